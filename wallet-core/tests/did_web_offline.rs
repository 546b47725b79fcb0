//! did:web without the network: document URLs against the did:web Method
//! Specification's examples, fetched documents (the spec's examples, relative and
//! absolute references, embedded methods, a round trip), and one test per rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[allow(dead_code)]
#[path = "support/rng.rs"]
mod rng;

use serde_json::{Map, Value, json};
use wallet_core::data_integrity::{
    Cryptosuite, DiError, MethodResolver, ProofExpectations, ProofOptions, ProofPurpose,
    ResolvedMethod, add_proof, verify_proof,
};
use wallet_core::did::web::{self, MAX_DOCUMENT_BYTES, document_url, parse_document};
use wallet_core::did::{
    self, Did, DidDocument, DidError, DidUrl, Relationship, VerificationMethod,
    VerificationMethodFormat, VerificationMethodType, VerificationReference,
};
use wallet_core::keys::{Ed25519PrivateKey, KeyType, PrivateKey, PublicKey};

const URLS: &str = include_str!("../../tests/vectors/did-web/document-urls.json");
const JWS2020_DOC: &str = include_str!("../../tests/vectors/did-web/jws2020-document.json");
const ED2018_DOC: &str = include_str!("../../tests/vectors/did-web/ed25519-2018-document.json");

const DID: &str = "did:web:issuer.example";
/// The did:key Ed25519 key of the did:key vectors, used here as a plain key.
const ED_MULTIKEY: &str = "z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
const X_MULTIKEY: &str = "z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW";

fn did(s: &str) -> Did {
    Did::parse(s).unwrap()
}

fn url(s: &str) -> DidUrl {
    DidUrl::parse(s).unwrap()
}

fn url_of(s: &str) -> Result<String, DidError> {
    document_url(&did(s))
}

fn parse(value: &Value) -> Result<DidDocument, DidError> {
    parse_document(value.to_string().as_bytes(), &did(DID))
}

fn multikey(id: &str, key: &str) -> Value {
    json!({ "id": id, "type": "Multikey", "controller": DID, "publicKeyMultibase": key })
}

/// A did:web document with relative ids and references, as a server would write it.
fn issuer_doc() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": DID,
        "verificationMethod": [multikey("#key-1", ED_MULTIKEY), multikey("#key-x", X_MULTIKEY)],
        "authentication": ["#key-1"],
        "assertionMethod": [format!("{DID}#key-1")],
        "keyAgreement": ["#key-x"]
    })
}

// ---------------------------------------------------------------- document_url

#[test]
fn spec_examples_give_the_spec_urls() {
    let vectors: Vec<Value> = serde_json::from_str(URLS).unwrap();
    assert_eq!(vectors.len(), 4);
    for v in vectors {
        let (d, expected) = (v["did"].as_str().unwrap(), v["url"].as_str().unwrap());
        assert_eq!(url_of(d).unwrap(), expected, "{}", v["section"]);
    }
    // The DIDs of the spec's example documents.
    assert_eq!(
        url_of("did:web:example.com").unwrap(),
        "https://example.com/.well-known/did.json"
    );
    assert_eq!(
        url_of("did:web:example:com").unwrap(),
        "https://example/com/did.json"
    );
}

#[test]
fn localhost_with_port() {
    assert_eq!(
        url_of("did:web:localhost%3A8443").unwrap(),
        "https://localhost:8443/.well-known/did.json"
    );
    assert_eq!(
        url_of("did:web:localhost%3a8443:issuers:1").unwrap(),
        "https://localhost:8443/issuers/1/did.json"
    );
    assert_eq!(
        url_of("did:web:localhost%3A65535").unwrap(),
        "https://localhost:65535/.well-known/did.json"
    );
}

#[test]
fn hosts_are_lowercased_and_path_segments_reencoded() {
    assert_eq!(
        url_of("did:web:Example.COM:User").unwrap(),
        "https://example.com/User/did.json"
    );
    // Decoded, checked, and written back with only unreserved bytes left bare.
    assert_eq!(
        url_of("did:web:example.com:a%20b:%7Euser:caf%C3%A9:x%3Ay").unwrap(),
        "https://example.com/a%20b/~user/caf%C3%A9/x%3Ay/did.json"
    );
    assert_eq!(
        url_of("did:web:%65xample.com").unwrap(),
        "https://example.com/.well-known/did.json"
    );
    // Hyphens inside labels, digits in a DNS name, a 63-byte label.
    let label = "a".repeat(63);
    assert_eq!(
        url_of(&format!("did:web:xn--bcher-kva.example:{label}")).unwrap(),
        format!("https://xn--bcher-kva.example/{label}/did.json")
    );
    assert_eq!(
        url_of(&format!("did:web:{label}.1a")).unwrap(),
        format!("https://{label}.1a/.well-known/did.json")
    );
}

#[test]
fn document_url_rejects_other_methods() {
    for d in [
        "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp",
        "did:webs:example.com",
    ] {
        let method = d.split(':').nth(1).unwrap();
        assert_eq!(
            url_of(d),
            Err(DidError::WrongMethod {
                expected: "web",
                actual: method.into()
            }),
            "{d}"
        );
    }
}

#[test]
fn document_url_rejections() {
    let cases: &[(&str, &str)] = &[
        // empty host
        ("did:web::user:alice", "empty host"),
        ("did:web:%3A3000", "empty host"),
        // path traversal, plain and percent-encoded
        (
            "did:web:example.com:..:admin",
            "path segment \".\" or \"..\"",
        ),
        ("did:web:example.com:user:.", "path segment \".\" or \"..\""),
        ("did:web:example.com:%2E%2E", "path segment \".\" or \"..\""),
        ("did:web:example.com:%2e", "path segment \".\" or \"..\""),
        // empty path segments
        ("did:web:example.com::alice", "empty path segment"),
        ("did:web:example.com:user::alice", "empty path segment"),
        // percent-encoding that does not decode to UTF-8
        (
            "did:web:example.com%FF",
            "percent-encoded bytes are not UTF-8",
        ),
        (
            "did:web:example.com:%C3",
            "percent-encoded bytes are not UTF-8",
        ),
        // userinfo
        (
            "did:web:alice%40example.com",
            "the host holds userinfo (\"@\")",
        ),
        (
            "did:web:alice%3Apw%40example.com",
            "the host holds userinfo (\"@\")",
        ),
        // ports
        ("did:web:example.com%3Ahttps", "the port is not a number"),
        ("did:web:example.com%3A", "the port is not a number"),
        ("did:web:example.com%3A-1", "the port is not a number"),
        ("did:web:example.com%3A%2B80", "the port is not a number"),
        ("did:web:example.com%3A80%3A81", "the port is not a number"),
        ("did:web:example.com%3A0", "the port is not in 1-65535"),
        ("did:web:example.com%3A65536", "the port is not in 1-65535"),
        ("did:web:example.com%3A123456", "the port is not in 1-65535"),
        ("did:web:example.com%3A0443", "the port has leading zeros"),
        // URL delimiters and other bytes a host cannot hold
        (
            "did:web:example.com%2Fevil",
            "the host has characters a DNS name cannot hold",
        ),
        (
            "did:web:example.com%3Fq",
            "the host has characters a DNS name cannot hold",
        ),
        (
            "did:web:example.com%23f",
            "the host has characters a DNS name cannot hold",
        ),
        (
            "did:web:exa_mple.com",
            "the host has characters a DNS name cannot hold",
        ),
        (
            "did:web:%5B%3A%3A1%5D",
            "the host has characters a DNS name cannot hold",
        ),
        (
            "did:web:caf%C3%A9.example",
            "the host has characters a DNS name cannot hold",
        ),
        // DNS names
        ("did:web:.example.com", "empty label in the host"),
        ("did:web:example..com", "empty label in the host"),
        ("did:web:example.com.", "empty label in the host"),
        ("did:web:-example.com", "the host is not a valid DNS name"),
        ("did:web:example-.com", "the host is not a valid DNS name"),
        // IP addresses, in every form a URL parser reads as one (the spec: "MUST NOT
        // include IP addresses")
        (
            "did:web:127.0.0.1%3A8443",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:0.0.0.0",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:1.2.3",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:256.0.0.1",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:010.0.0.1",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:0x7f.0.0.1",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:127.0.0.0x1",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:2130706433",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:example.123",
            "the host is an IP address, which did:web does not allow",
        ),
        (
            "did:web:1.2.3.4.5",
            "the host is an IP address, which did:web does not allow",
        ),
        // path segments that would change the URL's structure
        (
            "did:web:example.com:a%2Fb",
            "a path segment holds \"/\", \"\\\", \"?\" or \"#\"",
        ),
        (
            "did:web:example.com:a%5Cb",
            "a path segment holds \"/\", \"\\\", \"?\" or \"#\"",
        ),
        (
            "did:web:example.com:a%3Fb",
            "a path segment holds \"/\", \"\\\", \"?\" or \"#\"",
        ),
        (
            "did:web:example.com:a%23b",
            "a path segment holds \"/\", \"\\\", \"?\" or \"#\"",
        ),
        (
            "did:web:example.com:a%00b",
            "a path segment holds a control character",
        ),
        (
            "did:web:example.com:a%0Ab",
            "a path segment holds a control character",
        ),
    ];
    for (d, reason) in cases {
        assert_eq!(url_of(d), Err(DidError::InvalidWebDid(reason)), "{d}");
    }

    // Labels and hosts past the DNS limits.
    let long_label = format!("did:web:{}.example", "a".repeat(64));
    assert_eq!(
        url_of(&long_label),
        Err(DidError::InvalidWebDid("the host is not a valid DNS name"))
    );
    let long_host = format!("did:web:{}example", "a.".repeat(124));
    assert_eq!(
        url_of(&long_host),
        Err(DidError::InvalidWebDid("host longer than 253 characters"))
    );
    // Malformed percent-encoding never becomes a Did in the first place.
    assert_eq!(
        Did::parse("did:web:example.com%3"),
        Err(DidError::InvalidMethodSpecificId)
    );
    assert_eq!(
        Did::parse("did:web:example.com%zz"),
        Err(DidError::InvalidMethodSpecificId)
    );
}

#[test]
fn did_web_still_needs_a_fetcher() {
    let d = did("did:web:example.com");
    assert_eq!(
        did::resolve(&d),
        Err(DidError::ResolverUnavailable("did:web"))
    );
    assert_eq!(web::METHOD, d.method());
}

// ---------------------------------------------------------------- parse_document

#[test]
fn spec_jws2020_example_document() {
    let d = did("did:web:example.com");
    let doc = parse_document(JWS2020_DOC.as_bytes(), &d).unwrap();
    assert_eq!(doc.id(), &d);
    assert_eq!(
        doc.context(),
        [
            json!("https://www.w3.org/ns/did/v1"),
            json!("https://w3id.org/security/suites/jws-2020/v1")
        ]
    );
    let methods = doc.verification_methods();
    assert_eq!(methods.len(), 3);
    for (i, kt) in [KeyType::Ed25519, KeyType::X25519, KeyType::P256]
        .into_iter()
        .enumerate()
    {
        let id = url(&format!("did:web:example.com#key-{i}"));
        let m = doc.dereference(&id).unwrap();
        assert_eq!(m.method_type(), VerificationMethodType::JsonWebKey2020);
        assert_eq!(m.public_key().key_type(), kt);
        assert_eq!(m.controller(), &d);
        assert_eq!(&methods[i], m);
    }
    use Relationship::{AssertionMethod, Authentication, KeyAgreement};
    let rels = |i: usize| doc.relationships_of(&url(&format!("did:web:example.com#key-{i}")));
    assert_eq!(rels(0), [Authentication, AssertionMethod]);
    assert_eq!(rels(1), [KeyAgreement]);
    assert_eq!(rels(2), [Authentication, AssertionMethod, KeyAgreement]);
    assert!(
        doc.relationship(Relationship::CapabilityInvocation)
            .is_empty()
    );
    // Written back, it is the spec's document (keys sorted, nothing lost).
    let expected: Value = serde_json::from_str(JWS2020_DOC).unwrap();
    assert_eq!(doc.to_json_value().unwrap(), expected);
    // The same document as DidDocument's own JSON-LD parser reads it.
    assert_eq!(DidDocument::from_json(JWS2020_DOC).unwrap(), doc);
}

#[test]
fn spec_example_with_an_embedded_method_and_a_service() {
    let d = did("did:web:example:com");
    let doc = parse_document(ED2018_DOC.as_bytes(), &d).unwrap();
    let id = url("did:web:example:com#keys-1");
    let m = doc.dereference(&id).unwrap();
    assert_eq!(
        m.method_type(),
        VerificationMethodType::Ed25519VerificationKey2018
    );
    assert_eq!(m.public_key().key_type(), KeyType::Ed25519);
    assert_eq!(doc.relationships_of(&id), [Relationship::Authentication]);
    // Embedded methods stay in their relationship (DID Core §5.3).
    assert!(doc.verification_methods().is_empty());
    assert!(matches!(
        doc.relationship(Relationship::Authentication),
        [VerificationReference::Embedded(_)]
    ));
    let expected: Value = serde_json::from_str(ED2018_DOC).unwrap();
    assert_eq!(doc.other_properties()["service"], expected["service"]);
    assert_eq!(
        doc.to_json_value().unwrap()["@context"],
        json!([did::DID_CONTEXT_V1])
    );
}

#[test]
fn relative_and_absolute_references() {
    let doc = parse(&issuer_doc()).unwrap();
    let key1 = url(&format!("{DID}#key-1"));
    let keyx = url(&format!("{DID}#key-x"));
    // Relative ids and references were resolved against the DID.
    assert_eq!(doc.verification_methods()[0].id(), &key1);
    assert_eq!(
        doc.relationship(Relationship::Authentication),
        [VerificationReference::Reference(key1.clone())]
    );
    assert_eq!(
        doc.relationships_of(&key1),
        [Relationship::Authentication, Relationship::AssertionMethod]
    );
    assert_eq!(doc.relationships_of(&keyx), [Relationship::KeyAgreement]);
    assert_eq!(
        doc.dereference(&keyx).unwrap().public_key().key_type(),
        KeyType::X25519
    );
    // Absolute and relative method ids are the same id.
    let mut v = issuer_doc();
    v["verificationMethod"][0]["id"] = json!(format!("{DID}#key-1"));
    assert_eq!(parse(&v).unwrap(), doc);
}

#[test]
fn embedded_assertion_method() {
    let mut v = issuer_doc();
    v["assertionMethod"] = json!(["#key-1", multikey("#assert-2", ED_MULTIKEY)]);
    let doc = parse(&v).unwrap();
    let embedded = url(&format!("{DID}#assert-2"));
    let m = doc.dereference(&embedded).unwrap();
    assert_eq!(m.id(), &embedded);
    assert_eq!(m.public_key().key_type(), KeyType::Ed25519);
    assert_eq!(
        doc.relationships_of(&embedded),
        [Relationship::AssertionMethod]
    );
    assert!(
        doc.verification_methods()
            .iter()
            .all(|m| m.id() != &embedded)
    );
    // Another relationship may reference the embedded method by its id.
    v["capabilityInvocation"] = json!(["#assert-2"]);
    let doc = parse(&v).unwrap();
    assert_eq!(
        doc.relationships_of(&embedded),
        [
            Relationship::AssertionMethod,
            Relationship::CapabilityInvocation
        ]
    );
}

#[test]
fn plain_json_without_context_and_other_members() {
    let mut v = issuer_doc();
    v.as_object_mut().unwrap().remove("@context");
    v["service"] = json!([{"id": "#linked", "type": "LinkedDomains", "serviceEndpoint": "https://issuer.example"}]);
    v["alsoKnownAs"] = json!(["https://issuer.example"]);
    v["controller"] = json!("did:web:other.example");
    let doc = parse(&v).unwrap();
    assert!(doc.context().is_empty());
    for name in ["service", "alsoKnownAs", "controller"] {
        assert_eq!(doc.other_properties()[name], v[name], "{name}");
    }
    // Written back without a `@context` it never had.
    let out = doc.to_json_value().unwrap();
    assert!(out.get("@context").is_none());
    assert_eq!(parse(&out).unwrap(), doc);
}

/// What the provider does with a parsed document: a `MethodResolver` answering from
/// it, used to verify a Data Integrity proof signed with the did:web's key.
#[test]
fn provider_resolver_over_a_parsed_document_verifies_a_proof() {
    struct WebResolver(DidDocument);
    impl MethodResolver for WebResolver {
        fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError> {
            Ok(ResolvedMethod {
                method: self.0.dereference(url)?.clone(),
                relationships: self.0.relationships_of(url),
            })
        }
    }
    let mut rng = rng::SeededRandom::new(b"did:web proof");
    let key = PrivateKey::Ed25519(Ed25519PrivateKey::generate(&mut rng).unwrap());
    let public = did::key::multikey_encode(&key.public_key()).unwrap();
    let mut v = issuer_doc();
    v["verificationMethod"][0]["publicKeyMultibase"] = json!(public);
    let resolver = WebResolver(parse(&v).unwrap());

    let mut unsigned = Map::new();
    unsigned.insert(
        "@context".into(),
        json!(["https://www.w3.org/ns/credentials/v2"]),
    );
    unsigned.insert("issuer".into(), json!(DID));
    let vm = url(&format!("{DID}#key-1"));
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        vm.clone(),
        ProofPurpose::AssertionMethod,
    );
    let signed = add_proof(&unsigned, &options, &key).unwrap();
    let verified = verify_proof(
        &signed,
        &ProofExpectations::new(ProofPurpose::AssertionMethod, 0),
        &resolver,
    )
    .unwrap();
    assert_eq!(verified.verification_method, vm);
    assert_eq!(verified.controller, did(DID));

    // The key-agreement key is not an assertion method: the relationships came through.
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        url(&format!("{DID}#key-x")),
        ProofPurpose::AssertionMethod,
    );
    let signed = add_proof(&unsigned, &options, &key).unwrap();
    assert!(matches!(
        verify_proof(
            &signed,
            &ProofExpectations::new(ProofPurpose::AssertionMethod, 0),
            &resolver
        ),
        Err(DiError::MethodNotAuthorized { .. })
    ));
    // A method the document does not have is the document's error, passed through.
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        url(&format!("{DID}#key-9")),
        ProofPurpose::AssertionMethod,
    );
    let signed = add_proof(&unsigned, &options, &key).unwrap();
    assert_eq!(
        verify_proof(
            &signed,
            &ProofExpectations::new(ProofPurpose::AssertionMethod, 0),
            &resolver
        ),
        Err(DiError::VerificationMethod(
            DidError::VerificationMethodNotFound(format!("{DID}#key-9"))
        ))
    );
}

#[test]
fn round_trip_of_a_document_built_with_the_api() {
    let d = did(DID);
    let mut rng = rng::SeededRandom::new(b"did:web round trip");
    let ed = PrivateKey::generate(KeyType::Ed25519, &mut rng)
        .unwrap()
        .public_key();
    let p256 = PrivateKey::generate(KeyType::P256, &mut rng)
        .unwrap()
        .public_key();
    let x = PrivateKey::generate(KeyType::X25519, &mut rng)
        .unwrap()
        .public_key();
    let mut doc = DidDocument::new(d.clone());
    let methods = [
        ("ed", ed, VerificationMethodFormat::Multikey),
        ("p256", p256, VerificationMethodFormat::JsonWebKey2020),
        ("x", x, VerificationMethodFormat::Suite2020),
    ];
    for (fragment, key, format) in methods {
        let id = d.with_fragment(fragment).unwrap();
        doc.add_method(VerificationMethod::for_key(id, d.clone(), key, format).unwrap());
    }
    let id = |f: &str| d.with_fragment(f).unwrap();
    for rel in Relationship::SIGNING {
        doc.add_reference(rel, id("ed"));
    }
    doc.add_reference(Relationship::AssertionMethod, id("p256"));
    doc.add_reference(Relationship::KeyAgreement, id("x"));
    doc.add_reference(Relationship::KeyAgreement, id("p256"));
    doc.set_context_from_methods();

    let bytes = doc.to_json().unwrap();
    let back = parse_document(bytes.as_bytes(), &d).unwrap();
    assert_eq!(back.verification_methods(), doc.verification_methods());
    for rel in Relationship::ALL {
        assert_eq!(back.relationship(rel), doc.relationship(rel), "{rel}");
    }
    assert_eq!(back, doc);
    assert_eq!(
        back.relationships_of(&id("p256")),
        [Relationship::AssertionMethod, Relationship::KeyAgreement]
    );
    let PublicKey::P256(_) = back.dereference(&id("p256")).unwrap().public_key() else {
        panic!("not P-256")
    };
}

// ---------------------------------------------------------------- rejections

#[test]
fn wrong_document_id() {
    for other in [
        "did:web:evil.example",
        "did:web:issuer.example:sub",
        "did:web:Issuer.example",
        "did:web:issuer.example ",
    ] {
        let mut v = issuer_doc();
        v["id"] = json!(other);
        assert_eq!(
            parse(&v),
            Err(DidError::DocumentIdMismatch {
                expected: DID.into(),
                actual: other.into()
            }),
            "{other}"
        );
    }
    // The id is compared before the rest is read.
    let mut v = issuer_doc();
    v["id"] = json!("did:web:evil.example");
    v["verificationMethod"] = json!("not an array");
    assert!(matches!(
        parse(&v),
        Err(DidError::DocumentIdMismatch { .. })
    ));
    // Long ids are echoed at most 64 characters long.
    let mut v = issuer_doc();
    v["id"] = json!("x".repeat(1000));
    let Err(DidError::DocumentIdMismatch { actual, .. }) = parse(&v) else {
        panic!()
    };
    assert_eq!(actual.len(), 64);
    // Missing or not a string.
    for id in [None, Some(json!(7)), Some(json!([DID]))] {
        let mut v = issuer_doc();
        let obj = v.as_object_mut().unwrap();
        match id {
            Some(id) => obj.insert("id".into(), id),
            None => obj.remove("id"),
        };
        assert_eq!(
            parse(&v),
            Err(DidError::InvalidDocument(
                "member \"id\" missing or not a string".into()
            ))
        );
    }
}

#[test]
fn foreign_controller() {
    let mut v = issuer_doc();
    v["verificationMethod"][1]["controller"] = json!("did:web:other.example");
    assert_eq!(
        parse(&v),
        Err(DidError::ForeignController {
            id: format!("{DID}#key-x"),
            controller: "did:web:other.example".into()
        })
    );
    // Embedded methods too.
    let mut v = issuer_doc();
    let mut embedded = multikey("#assert-2", ED_MULTIKEY);
    embedded["controller"] = json!("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp");
    v["assertionMethod"] = json!([embedded]);
    assert!(matches!(
        parse(&v),
        Err(DidError::ForeignController { id, .. }) if id == format!("{DID}#assert-2")
    ));
}

#[test]
fn method_ids_must_be_fragments_of_the_did() {
    for id in [
        "did:web:other.example#key-1",
        "did:web:issuer.example:sub#key-1",
        "did:web:issuer.example",
        "did:web:issuer.example#",
        "did:web:issuer.example/keys#key-1",
        "did:web:issuer.example?v=1#key-1",
        "/keys#key-1",
    ] {
        let mut v = issuer_doc();
        v["verificationMethod"][0]["id"] = json!(id);
        v["authentication"] = json!([]);
        v["assertionMethod"] = json!([]);
        let expected = DidUrl::parse_relative(id, &did(DID)).unwrap().to_string();
        assert_eq!(parse(&v), Err(DidError::ForeignMethodId(expected)), "{id}");
    }
}

#[test]
fn dangling_references() {
    let cases = [
        ("authentication", "#nope", format!("{DID}#nope")),
        (
            "assertionMethod",
            "did:web:other.example#key-1",
            "did:web:other.example#key-1".to_owned(),
        ),
        (
            "capabilityDelegation",
            "did:web:issuer.example:sub#key-1",
            "did:web:issuer.example:sub#key-1".to_owned(),
        ),
        ("keyAgreement", "?x=1#key-x", format!("{DID}?x=1#key-x")),
    ];
    for (rel, reference, id) in cases {
        let mut v = issuer_doc();
        v[rel] = json!([reference]);
        let relationship = Relationship::ALL
            .into_iter()
            .find(|r| r.as_str() == rel)
            .unwrap();
        assert_eq!(
            parse(&v),
            Err(DidError::DanglingReference { relationship, id }),
            "{reference}"
        );
    }
}

#[test]
fn duplicate_method_ids() {
    // Twice in verificationMethod, once relative and once absolute.
    let mut v = issuer_doc();
    v["verificationMethod"][1] = multikey(&format!("{DID}#key-1"), X_MULTIKEY);
    v["keyAgreement"] = json!([]);
    assert_eq!(
        parse(&v),
        Err(DidError::DuplicateMethodId(format!("{DID}#key-1")))
    );
    // Listed and embedded.
    let mut v = issuer_doc();
    v["capabilityInvocation"] = json!([multikey("#key-x", X_MULTIKEY)]);
    assert_eq!(
        parse(&v),
        Err(DidError::DuplicateMethodId(format!("{DID}#key-x")))
    );
    // Embedded in two relationships.
    let mut v = issuer_doc();
    v["capabilityInvocation"] = json!([multikey("#e", ED_MULTIKEY)]);
    v["capabilityDelegation"] = json!([multikey("#e", ED_MULTIKEY)]);
    assert_eq!(
        parse(&v),
        Err(DidError::DuplicateMethodId(format!("{DID}#e")))
    );
}

#[test]
fn size_limit() {
    // Whitespace pads a valid document to exactly the limit: accepted.
    let text = issuer_doc().to_string();
    let mut padded = text.clone().into_bytes();
    padded.resize(MAX_DOCUMENT_BYTES, b' ');
    assert!(parse_document(&padded, &did(DID)).is_ok());
    // One byte more: refused before it is parsed.
    padded.push(b' ');
    assert_eq!(
        parse_document(&padded, &did(DID)),
        Err(DidError::TooLong {
            max: MAX_DOCUMENT_BYTES
        })
    );
    assert_eq!(MAX_DOCUMENT_BYTES, 64 * 1024);
}

#[test]
fn not_json_and_not_an_object() {
    let d = did(DID);
    for bytes in [
        &b""[..],
        b"{",
        b"{\"id\": \"did:web:issuer.example\",}",
        b"\xff\xfe{}",
        b"{\"id\": \"did:web:issuer.example\"} trailing",
    ] {
        assert!(
            matches!(parse_document(bytes, &d), Err(DidError::InvalidDocument(m)) if m.starts_with("not JSON: ")),
            "{bytes:?}"
        );
    }
    for value in [json!([issuer_doc()]), json!(DID), json!(null), json!(1)] {
        assert_eq!(
            parse(&value),
            Err(DidError::InvalidDocument("not a JSON object".into())),
            "{value}"
        );
    }
}

#[test]
fn malformed_members() {
    let invalid = |v: &Value| matches!(parse(v), Err(DidError::InvalidDocument(_)));
    // A @context that is present must be JSON-LD's.
    for context in [
        json!([]),
        json!(["https://example.com/other"]),
        json!(null),
        json!({}),
    ] {
        let mut v = issuer_doc();
        v["@context"] = context.clone();
        assert!(invalid(&v), "{context}");
    }
    let mut v = issuer_doc();
    v["@context"] = json!(did::DID_CONTEXT_V1);
    assert_eq!(parse(&v).unwrap().context(), [json!(did::DID_CONTEXT_V1)]);
    // Relationships and verificationMethod must be arrays of the right entries.
    for (member, value) in [
        ("verificationMethod", json!({})),
        ("verificationMethod", json!(["#key-1"])),
        ("authentication", json!("#key-1")),
        ("keyAgreement", json!([7])),
    ] {
        let mut v = issuer_doc();
        v[member] = value.clone();
        assert!(invalid(&v), "{member}: {value}");
    }
    // A method's key is checked.
    let mut v = issuer_doc();
    v["verificationMethod"][0]["type"] = json!("EcdsaSecp256k1VerificationKey2019");
    assert_eq!(
        parse(&v),
        Err(DidError::UnsupportedVerificationMethodType(
            "EcdsaSecp256k1VerificationKey2019".into()
        ))
    );
}

#[test]
fn parse_document_rejects_other_methods() {
    let key_did = did("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp");
    let doc = did::resolve(&key_did).unwrap().to_json().unwrap();
    assert_eq!(
        parse_document(doc.as_bytes(), &key_did),
        Err(DidError::WrongMethod {
            expected: "web",
            actual: "key".into()
        })
    );
}

#[test]
fn error_messages() {
    assert_eq!(
        DidError::InvalidWebDid("empty host").to_string(),
        "invalid did:web: empty host"
    );
    assert_eq!(
        DidError::ResolutionFailed {
            did: DID.into(),
            reason: "HTTP 404".into()
        }
        .to_string(),
        "could not resolve did:web:issuer.example: HTTP 404"
    );
    assert_eq!(
        DidError::DanglingReference {
            relationship: Relationship::Authentication,
            id: format!("{DID}#k")
        }
        .to_string(),
        "authentication references did:web:issuer.example#k, which is not a verification method of the document"
    );
    assert_eq!(
        DidError::ForeignController {
            id: format!("{DID}#k"),
            controller: "did:web:x.example".into()
        }
        .to_string(),
        "verification method did:web:issuer.example#k is controlled by did:web:x.example, not by the DID itself"
    );
}
