//! Property tests: arbitrary text and arbitrary JSON (including presentation-shaped
//! JSON with random members) into the presentation verifier give an error, never a
//! panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::{Value, json};
use wallet_core::data_integrity::OfflineResolver;
use wallet_core::presentation::{
    StoredCredential, TrustList, VerificationPolicy, candidate_from_stored, sd_jwt_reveal_paths,
    verify_presentation, verify_presentation_value,
};
use wallet_core::status_list::StaticStatusLists;

fn policy() -> VerificationPolicy {
    VerificationPolicy::new(
        "challenge",
        "https://provider.example",
        1_750_000_000,
        TrustList::AnyIssuer,
    )
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        ".{0,24}".prop_map(Value::String),
        prop_oneof![
            Just("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
            Just("https://www.w3.org/ns/credentials/v2"),
            Just("VerifiablePresentation"),
            Just("VerifiableCredential"),
            Just("EnvelopedVerifiableCredential"),
            Just("DataIntegrityProof"),
            Just("eddsa-jcs-2022"),
            Just("data:application/dc+sd-jwt,a.b.c~"),
            Just("data:application/vc+jwt,a.b.c"),
            Just("2025-01-01T00:00:00Z"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("@context".to_owned()),
                    Just("type".to_owned()),
                    Just("holder".to_owned()),
                    Just("id".to_owned()),
                    Just("issuer".to_owned()),
                    Just("proof".to_owned()),
                    Just("verifiableCredential".to_owned()),
                    Just("credentialSubject".to_owned()),
                    Just("credentialStatus".to_owned()),
                    Just("presentation_submission".to_owned()),
                    Just("cryptosuite".to_owned()),
                    Just("verificationMethod".to_owned()),
                    Just("proofPurpose".to_owned()),
                    Just("proofValue".to_owned()),
                    "[a-z]{1,8}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn vp_shaped() -> impl Strategy<Value = Value> {
    (arb_json(), arb_json(), arb_json()).prop_map(|(creds, proof, holder)| {
        json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiablePresentation"],
            "holder": holder,
            "verifiableCredential": creds,
            "proof": proof,
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in ".{0,512}") {
        let r = verify_presentation(&text, &policy(), &OfflineResolver, &StaticStatusLists::default());
        prop_assert!(r.is_err());
    }

    #[test]
    fn arbitrary_json_never_panics(value in arb_json()) {
        let r = verify_presentation_value(&value, &policy(), &OfflineResolver, &StaticStatusLists::default());
        prop_assert!(r.is_err());
        let r = verify_presentation(&value.to_string(), &policy(), &OfflineResolver, &StaticStatusLists::default());
        prop_assert!(r.is_err());
    }

    #[test]
    fn presentation_shaped_json_never_panics(value in vp_shaped()) {
        let r = verify_presentation_value(&value, &policy(), &OfflineResolver, &StaticStatusLists::default());
        prop_assert!(r.is_err());
    }

    #[test]
    fn stored_tokens_and_pointers_never_panic(token in "[A-Za-z0-9_.~-]{0,200}", claims in arb_json(), pointer in "(/[a-z0-9~]{0,4}){0,5}") {
        let _ = candidate_from_stored("x", StoredCredential::SdJwt(&token));
        let _ = candidate_from_stored("x", StoredCredential::VcJwt(&token));
        let _ = sd_jwt_reveal_paths(&claims, &[pointer]);
    }
}
