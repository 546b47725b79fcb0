//! VC Data Model 1.1 / 2.0 credentials and presentations: accessors, nothing
//! dropped, `EnvelopedVerifiableCredential`, and one test per validation error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::{Map, Value, json};
use wallet_core::data_integrity::{
    Cryptosuite, OfflineResolver, ProofExpectations, ProofOptions, ProofPurpose, add_proof,
    verify_proof,
};
use wallet_core::did;
use wallet_core::keys::{Ed25519PrivateKey, PrivateKey};
use wallet_core::vc::{
    Credential, EmbeddedCredential, EnvelopedCredential, EnvelopedMediaType, Presentation, VcError,
    VcVersion, format_datetime, parse_datetime,
};

/// The eddsa-jcs-2022 vector's credential (VC 2.0).
const SIGNED_V2: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-no-context/signedJCS.json");

fn v1() -> Value {
    json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", {"ex": "https://example.org/#"}],
        "id": "http://example.edu/credentials/1872",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "issuer": {"id": "did:example:issuer", "name": "Example University"},
        "issuanceDate": "2010-01-01T19:23:24Z",
        "expirationDate": "2020-01-01T19:23:24+02:00",
        "credentialSubject": {"id": "did:example:alice", "alumniOf": {"id": "did:example:u", "name": [{"value": "Example U", "lang": "en"}]}},
        "credentialStatus": {"id": "https://example.edu/status/24#94567", "type": "BitstringStatusListEntry"},
        "evidence": [{"type": ["DocumentVerification"], "x-unknown": {"deep": [true, null, 1.5]}}]
    })
}

fn v2() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": "VerifiableCredential",
        "issuer": "did:example:issuer",
        "validFrom": "2023-01-01T00:00:00Z",
        "validUntil": "2024-01-01T00:00:00Z",
        "credentialSubject": [{"id": "did:example:a", "x": 1}, {"y": 2}],
        "proof": [{"type": "DataIntegrityProof"}, {"type": "DataIntegrityProof"}]
    })
}

fn vp() -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiablePresentation"],
        "holder": {"id": "did:example:holder", "extra": 1},
        "verifiableCredential": [
            v2(),
            {"@context": "https://www.w3.org/ns/credentials/v2",
             "id": "data:application/dc+sd-jwt,eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln~WyJzIiwiYSIsMV0~",
             "type": "EnvelopedVerifiableCredential"},
            "eyJhbGciOiJFZERTQSJ9.eyJ2YyI6e319.c2ln"
        ],
        "presentation_submission": {"id": "s", "definition_id": "d", "descriptor_map": []}
    })
}

fn with(base: Value, edit: impl FnOnce(&mut Map<String, Value>)) -> Value {
    let Value::Object(mut m) = base else { panic!() };
    edit(&mut m);
    Value::Object(m)
}

fn cred_err(v: Value) -> VcError {
    Credential::from_value(v).unwrap_err()
}

#[test]
fn v1_accessors() {
    let c = Credential::from_value(v1()).unwrap();
    assert_eq!(c.version(), VcVersion::V1_1);
    assert_eq!(c.context().len(), 2);
    assert_eq!(c.types(), ["VerifiableCredential", "AlumniCredential"]);
    assert!(c.has_type("AlumniCredential"));
    assert_eq!(c.id(), Some("http://example.edu/credentials/1872"));
    assert_eq!(c.issuer(), "did:example:issuer");
    assert_eq!(c.issuer_value().unwrap()["name"], "Example University");
    assert_eq!(c.subject_ids(), ["did:example:alice"]);
    assert_eq!(c.issuance_date(), Some(1_262_373_804));
    // +02:00 offset honoured: 17:23:24Z.
    assert_eq!(c.expiration_date(), Some(1_577_899_404));
    assert_eq!(c.valid_from(), None);
    assert_eq!(c.credential_status().len(), 1);
    assert!(c.proofs().is_empty());
}

#[test]
fn v2_accessors() {
    let c = Credential::from_value(v2()).unwrap();
    assert_eq!(c.version(), VcVersion::V2_0);
    assert_eq!(c.types(), ["VerifiableCredential"]);
    assert_eq!(c.issuer(), "did:example:issuer");
    assert_eq!(c.credential_subjects().len(), 2);
    assert_eq!(c.subject_ids(), ["did:example:a"]);
    assert_eq!(c.valid_from(), Some(1_672_531_200));
    assert_eq!(c.valid_until(), Some(1_704_067_200));
    assert_eq!(c.issuance_date(), None);
    assert_eq!(c.proofs().len(), 2);
}

#[test]
fn nothing_is_dropped() {
    for v in [v1(), v2()] {
        let c = Credential::from_value(v.clone()).unwrap();
        assert_eq!(Value::Object(c.as_map().clone()), v);
        let reparsed = Credential::from_json(&c.to_json()).unwrap();
        assert_eq!(reparsed, c);
        assert_eq!(serde_json::to_value(&c).unwrap(), v);
    }
    let p = Presentation::from_value(vp()).unwrap();
    assert_eq!(Value::Object(p.clone().into_map()), vp());
}

#[test]
fn signed_vector_survives_the_type() {
    // A proof made over the document still verifies after the document went
    // through Credential.
    let key = PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&[5; 32]).unwrap());
    let did = did::key::encode(&key.public_key()).unwrap();
    let vm = did.with_fragment(did.method_specific_id()).unwrap();
    let Value::Object(mut doc) = serde_json::from_str(SIGNED_V2).unwrap() else {
        panic!()
    };
    doc.remove("proof");
    let options = ProofOptions::new(Cryptosuite::EddsaJcs2022, vm, ProofPurpose::AssertionMethod);
    let signed = add_proof(&doc, &options, &key).unwrap();
    let c = Credential::from_json(&Value::Object(signed).to_string()).unwrap();
    assert_eq!(c.proofs().len(), 1);
    let exp = ProofExpectations::new(ProofPurpose::AssertionMethod, 1_700_000_000);
    verify_proof(c.as_map(), &exp, &OfflineResolver).unwrap();
}

#[test]
fn validity_period_with_skew() {
    let c = Credential::from_value(v2()).unwrap();
    c.check_validity(1_700_000_000, 0).unwrap();
    assert_eq!(
        c.check_validity(1_672_531_100, 0),
        Err(VcError::NotYetValid {
            not_before: 1_672_531_200,
            now: 1_672_531_100
        })
    );
    c.check_validity(1_672_531_100, 100).unwrap();
    assert_eq!(
        c.check_validity(1_704_067_300, 0),
        Err(VcError::Expired {
            not_after: 1_704_067_200,
            now: 1_704_067_300
        })
    );
    c.check_validity(1_704_067_300, 100).unwrap();
}

#[test]
fn datetime_helpers() {
    assert_eq!(parse_datetime("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(
        parse_datetime("2023-02-24T23:36:38.999Z"),
        Some(1_677_281_798)
    );
    assert_eq!(parse_datetime("2023-02-24T23:36:38"), None);
    assert_eq!(parse_datetime("2023-02-24"), None);
    assert_eq!(
        format_datetime(1_677_281_798).as_deref(),
        Some("2023-02-24T23:36:38Z")
    );
    assert_eq!(format_datetime(i64::MAX), None);
}

#[test]
fn err_not_an_object_and_json() {
    assert_eq!(cred_err(json!([1])), VcError::NotAnObject);
    assert!(matches!(Credential::from_json("{"), Err(VcError::Json(_))));
    assert!(matches!(
        Credential::from_json(r#"{"a":1,"a":2}"#),
        Err(VcError::Json(_))
    ));
    assert_eq!(
        Credential::from_json("[]").unwrap_err(),
        VcError::NotAnObject
    );
}

#[test]
fn err_context() {
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.remove("@context")))),
        VcError::MissingContext
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert("@context".into(), json!(5))))),
        VcError::InvalidContext
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert(
            "@context".into(),
            json!(["https://www.w3.org/ns/credentials/v2", 5])
        )))),
        VcError::InvalidContext
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert(
            "@context".into(),
            json!([
                "https://example.org/ctx",
                "https://www.w3.org/ns/credentials/v2"
            ])
        )))),
        VcError::UnknownBaseContext
    );
    // A lone string base context is accepted.
    Credential::from_value(with(v2(), |m| {
        drop(m.insert(
            "@context".into(),
            json!("https://www.w3.org/ns/credentials/v2"),
        ))
    }))
    .unwrap();
}

#[test]
fn err_type() {
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.remove("type")))),
        VcError::MissingType
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(
            m.insert("type".into(), json!(["VerifiableCredential", 1]))
        ))),
        VcError::InvalidType
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(
            m.insert("type".into(), json!("AlumniCredential"))
        ))),
        VcError::MissingRequiredType("VerifiableCredential")
    );
}

#[test]
fn err_id_issuer_subject() {
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert("id".into(), json!(1))))),
        VcError::InvalidId
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.remove("issuer")))),
        VcError::MissingIssuer
    );
    for bad in [json!(1), json!(""), json!({"name": "x"}), json!({"id": 3})] {
        assert_eq!(
            cred_err(with(v2(), |m| drop(m.insert("issuer".into(), bad)))),
            VcError::InvalidIssuer
        );
    }
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.remove("credentialSubject")))),
        VcError::MissingSubject
    );
    for bad in [
        json!("did:example:a"),
        json!([]),
        json!([{"id": 1}]),
        json!([{}, 2]),
    ] {
        assert_eq!(
            cred_err(with(v2(), |m| drop(
                m.insert("credentialSubject".into(), bad)
            ))),
            VcError::InvalidSubject
        );
    }
}

#[test]
fn err_dates() {
    assert_eq!(
        cred_err(with(v1(), |m| drop(m.remove("issuanceDate")))),
        VcError::MissingDate("issuanceDate")
    );
    assert_eq!(
        cred_err(with(v1(), |m| drop(
            m.insert("expirationDate".into(), json!("2020-01-01T00:00:00"))
        ))),
        VcError::InvalidDate("expirationDate")
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert("validFrom".into(), json!(5))))),
        VcError::InvalidDate("validFrom")
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(
            m.insert("validUntil".into(), json!("2024-13-01T00:00:00Z"))
        ))),
        VcError::InvalidDate("validUntil")
    );
    // 2.0 does not require any date.
    Credential::from_value(with(v2(), |m| {
        m.remove("validFrom");
        m.remove("validUntil");
    }))
    .unwrap();
}

#[test]
fn err_proof_and_status_shapes() {
    assert_eq!(
        cred_err(with(v2(), |m| drop(
            m.insert("proof".into(), json!("z..."))
        ))),
        VcError::InvalidMember("proof")
    );
    assert_eq!(
        cred_err(with(v2(), |m| drop(
            m.insert("credentialStatus".into(), json!([1]))
        ))),
        VcError::InvalidMember("credentialStatus")
    );
}

#[test]
fn err_too_deep_and_too_large() {
    let mut deep = json!(1);
    for _ in 0..70 {
        deep = json!({"a": deep});
    }
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert("x".into(), deep)))),
        VcError::TooDeep
    );
    let wide = Value::Array(vec![json!(0); 100_001]);
    assert_eq!(
        cred_err(with(v2(), |m| drop(m.insert("x".into(), wide)))),
        VcError::TooLarge
    );
}

#[test]
fn presentation_accessors_and_entries() {
    let p = Presentation::from_value(vp()).unwrap();
    assert_eq!(p.version(), VcVersion::V2_0);
    assert_eq!(p.holder(), Some("did:example:holder"));
    assert_eq!(p.types(), ["VerifiablePresentation"]);
    assert!(p.get("presentation_submission").is_some());
    let creds = p.verifiable_credentials();
    assert_eq!(creds.len(), 3);
    assert!(matches!(&creds[0], EmbeddedCredential::Json(c) if c.issuer() == "did:example:issuer"));
    let EmbeddedCredential::Enveloped(env) = &creds[1] else {
        panic!()
    };
    assert_eq!(env.media_type(), EnvelopedMediaType::DcSdJwt);
    assert_eq!(
        env.token(),
        "eyJhbGciOiJFUzI1NiJ9.eyJ4IjoxfQ.c2ln~WyJzIiwiYSIsMV0~"
    );
    assert!(
        matches!(&creds[2], EmbeddedCredential::Jwt(t) if t.starts_with("eyJhbGciOiJFZERTQSJ9."))
    );
    // A presentation with no credentials and no holder is valid.
    let bare = Presentation::from_value(json!({"@context": ["https://www.w3.org/2018/credentials/v1"], "type": "VerifiablePresentation"})).unwrap();
    assert_eq!(bare.version(), VcVersion::V1_1);
    assert_eq!(bare.holder(), None);
    assert!(bare.verifiable_credentials().is_empty());
}

#[test]
fn presentation_errors() {
    let p_err = |v: Value| Presentation::from_value(v).unwrap_err();
    assert_eq!(
        p_err(with(vp(), |m| drop(
            m.insert("type".into(), json!("VerifiableCredential"))
        ))),
        VcError::MissingRequiredType("VerifiablePresentation")
    );
    assert_eq!(
        p_err(with(vp(), |m| drop(
            m.insert("holder".into(), json!(["did:example:h"]))
        ))),
        VcError::InvalidHolder
    );
    assert_eq!(
        p_err(with(vp(), |m| drop(
            m.insert("verifiableCredential".into(), json!([5]))
        ))),
        VcError::InvalidMember("verifiableCredential")
    );
    assert_eq!(
        p_err(with(vp(), |m| drop(
            m.insert("verifiableCredential".into(), json!(["not a jwt"]))
        ))),
        VcError::InvalidMember("verifiableCredential")
    );
    // An invalid embedded credential gives its own error.
    assert_eq!(
        p_err(with(vp(), |m| drop(m.insert(
            "verifiableCredential".into(),
            with(v2(), |c| drop(c.remove("issuer")))
        )))),
        VcError::MissingIssuer
    );
    let many = Value::Array(vec![json!("a.b.c"); 257]);
    assert_eq!(
        p_err(with(vp(), |m| drop(
            m.insert("verifiableCredential".into(), many)
        ))),
        VcError::TooManyCredentials
    );
    assert_eq!(
        Presentation::from_value(json!(1)).unwrap_err(),
        VcError::NotAnObject
    );
}

fn envelope(id: Value, ctx: Value) -> Map<String, Value> {
    let Value::Object(m) =
        json!({"@context": ctx, "id": id, "type": "EnvelopedVerifiableCredential"})
    else {
        panic!()
    };
    m
}

#[test]
fn enveloped_credential_round_trip() {
    let env = EnvelopedCredential::new(EnvelopedMediaType::VcSdJwt, "a.b.c~d~").unwrap();
    assert_eq!(env.as_map()["id"], "data:application/vc+sd-jwt,a.b.c~d~");
    let back = EnvelopedCredential::from_map(env.as_map().clone()).unwrap();
    assert_eq!(back, env);
    assert_eq!(back.media_type().as_str(), "application/vc+sd-jwt");
}

#[test]
fn enveloped_credential_errors() {
    let v2ctx = json!("https://www.w3.org/ns/credentials/v2");
    let cases = [
        (
            envelope(
                json!("data:application/vc+jwt,a.b.c"),
                json!("https://www.w3.org/2018/credentials/v1"),
            ),
            "@context",
        ),
        (envelope(json!(5), v2ctx.clone()), "id string"),
        (
            envelope(json!("https://x/a.b.c"), v2ctx.clone()),
            "data URL",
        ),
        (
            envelope(json!("data:application/vc+jwt"), v2ctx.clone()),
            "comma",
        ),
        (
            envelope(json!("data:application/vc+jwt,"), v2ctx.clone()),
            "empty",
        ),
        (
            envelope(json!("data:application/vc+jwt,a.b c"), v2ctx.clone()),
            "charset",
        ),
    ];
    for (map, what) in cases {
        assert!(
            matches!(
                EnvelopedCredential::from_map(map),
                Err(VcError::InvalidEnvelope(_))
            ),
            "{what}"
        );
    }
    let mut not_env = envelope(json!("data:application/vc+jwt,a.b.c"), v2ctx.clone());
    not_env.insert("type".into(), json!("VerifiableCredential"));
    assert!(matches!(
        EnvelopedCredential::from_map(not_env),
        Err(VcError::InvalidEnvelope(_))
    ));
    assert_eq!(
        EnvelopedCredential::from_map(envelope(json!("data:application/vc+cose,abc"), v2ctx)),
        Err(VcError::UnsupportedMediaType("application/vc+cose".into()))
    );
    assert!(matches!(
        EnvelopedCredential::new(EnvelopedMediaType::VcJwt, ""),
        Err(VcError::InvalidEnvelope(_))
    ));
}
