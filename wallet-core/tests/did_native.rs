//! Property tests: arbitrary strings and bytes into every DID parser and resolver
//! give an `Err` or a value, never a panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use wallet_core::did::{self, Did, DidDocument, DidUrl, resolve_verification_method};
use wallet_core::encoding::{b64u_encode, multibase_encode};

const ED_DID: &str = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
const ED_X: &str = "z6LShs9GGnqk85isEBzzshkuVWrVKsRp24GnDuHk8QWkARMW";

fn exercise_url(s: &str) {
    if let Ok(url) = DidUrl::parse(s) {
        assert!(url.as_str() == s);
        let _ = url.path();
        let _ = url.query();
        let _ = url.fragment();
        let _ = resolve_verification_method(&url);
    }
}

fn exercise_did(s: &str) {
    if let Ok(d) = Did::parse(s) {
        assert_eq!(d.as_str(), s);
        assert_eq!(format!("did:{}:{}", d.method(), d.method_specific_id()), s);
        let _ = did::resolve(&d);
        if let Ok(url) = did::web::document_url(&d) {
            check_web_url(&url);
        }
    }
}

/// What a did:web document URL may look like, whatever the DID: HTTPS, no userinfo,
/// no query or fragment, no dot segments, no empty segments, ending in `/did.json`.
fn check_web_url(url: &str) {
    let rest = url.strip_prefix("https://").unwrap();
    assert!(rest.ends_with("/did.json"), "{url}");
    assert!(!rest.contains(['@', '?', '#', '\\']), "{url}");
    assert!(
        !rest.bytes().any(|b| b.is_ascii_control() || !b.is_ascii()),
        "{url}"
    );
    let mut segments = rest.split('/');
    let authority = segments.next().unwrap();
    assert!(
        !authority.is_empty() && !authority.starts_with(':'),
        "{url}"
    );
    for segment in segments {
        assert!(!matches!(segment, "" | "." | ".."), "{url}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,200}") {
        exercise_did(&s);
        exercise_url(&s);
        let _ = DidDocument::from_json(&s);
    }

    #[test]
    fn did_shaped_strings_never_panic(
        method in "(key|jwk|web|[a-z0-9]{1,6})",
        msid in "[A-Za-z0-9._:%-]{0,120}",
        tail in "([/?#][A-Za-z0-9._:%/?#@!$&'()*+,;=~-]{0,40})?",
    ) {
        let s = format!("did:{method}:{msid}{tail}");
        exercise_did(&s);
        exercise_url(&s);
    }

    #[test]
    fn web_dids_never_panic_and_give_well_formed_urls(
        segments in proptest::collection::vec("(%[0-9A-Fa-f]{2}|[A-Za-z0-9._-]){0,12}", 1..6),
    ) {
        let s = format!("did:web:{}", segments.join(":"));
        exercise_did(&s);
    }

    #[test]
    fn arbitrary_bytes_as_a_web_document_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = did::web::parse_document(&bytes, &Did::parse("did:web:example.com").unwrap());
    }

    #[test]
    fn web_document_shaped_json_never_panics(
        id in "(did:web:example.com|did:web:other.example|)",
        vm_id in "(#k|did:web:example.com#k|did:web:other.example#k|did:web:example.com|#)",
        controller in "(did:web:example.com|did:web:other.example|x)",
        reference in "(#k|#j|did:web:example.com#k|\\?q#k|/p#k)",
        embedded in any::<bool>(),
    ) {
        let method = format!(
            r#"{{"id":"{vm_id}","type":"Multikey","controller":"{controller}","publicKeyMultibase":"{ED_X}"}}"#
        );
        let assertion = if embedded { method.clone() } else { format!("\"{reference}\"") };
        let json = format!(
            r#"{{"id":"{id}","verificationMethod":[{method}],"authentication":["{reference}"],"assertionMethod":[{assertion}]}}"#
        );
        let did = Did::parse("did:web:example.com").unwrap();
        if let Ok(doc) = did::web::parse_document(json.as_bytes(), &did) {
            let _ = doc.to_json();
            for m in doc.verification_methods() {
                prop_assert_eq!(m.controller(), &did);
                prop_assert_eq!(m.id().did(), &did);
            }
        }
    }

    #[test]
    fn arbitrary_multikey_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let s = format!("did:key:{}", multibase_encode(&bytes));
        exercise_did(&s);
        exercise_url(&format!("{s}#{}", &s[8..]));
    }

    #[test]
    fn codec_prefixed_bytes_never_panic(
        prefix in prop_oneof![Just(vec![0xedu8, 0x01]), Just(vec![0xec, 0x01]), Just(vec![0x80, 0x24])],
        body in proptest::collection::vec(any::<u8>(), 0..70),
    ) {
        let mut bytes = prefix;
        bytes.extend_from_slice(&body);
        let s = format!("did:key:{}", multibase_encode(&bytes));
        exercise_did(&s);
    }

    #[test]
    fn arbitrary_did_jwk_payloads_never_panic(payload in ".{0,300}") {
        let s = format!("did:jwk:{}", b64u_encode(payload.as_bytes()));
        exercise_did(&s);
        exercise_url(&format!("{s}#0"));
    }

    #[test]
    fn jwk_shaped_payloads_never_panic(
        kty in "(OKP|EC|RSA|x)",
        crv in "(Ed25519|X25519|P-256|P-384|)",
        x in "[A-Za-z0-9_-]{0,60}",
        y in "[A-Za-z0-9_-]{0,60}",
        use_ in "(sig|enc|other|)",
    ) {
        let json = format!(r#"{{"kty":"{kty}","crv":"{crv}","x":"{x}","y":"{y}","use":"{use_}"}}"#);
        exercise_did(&format!("did:jwk:{}", b64u_encode(json)));
    }

    #[test]
    fn arbitrary_fragments_on_a_real_did_never_panic(frag in ".{0,80}") {
        exercise_url(&format!("{ED_DID}#{frag}"));
    }

    #[test]
    fn document_shaped_json_never_panics(
        id in "(#k|did:example:1#k|x|)",
        ty in "(Multikey|JsonWebKey2020|Ed25519VerificationKey2018|X25519KeyAgreementKey2019|Ed25519VerificationKey2020|Other)",
        mb in "[A-Za-z0-9]{0,60}",
    ) {
        let json = format!(
            r##"{{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:example:1",
            "verificationMethod":[{{"id":"{id}","type":"{ty}","controller":"did:example:1",
            "publicKeyMultibase":"{mb}","publicKeyBase58":"{mb}","publicKeyJwk":{{"kty":"OKP","crv":"Ed25519","x":"{mb}"}}}}],
            "authentication":["{id}"],"keyAgreement":[{{"id":"{id}"}}]}}"##
        );
        if let Ok(doc) = DidDocument::from_json(&json) {
            let _ = doc.to_json();
        }
    }
}

#[test]
fn deeply_nested_document_is_an_error_not_a_stack_overflow() {
    let json = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    assert!(DidDocument::from_json(&json).is_err());
    let json = format!(
        r#"{{"@context":["https://www.w3.org/ns/did/v1"],"id":"did:example:1","service":{}{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(DidDocument::from_json(&json).is_err());
    let web = Did::parse("did:web:example.com").unwrap();
    let json = format!("{}{}", "[".repeat(30_000), "]".repeat(30_000));
    assert!(did::web::parse_document(json.as_bytes(), &web).is_err());
}
