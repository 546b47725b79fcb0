//! Property tests: arbitrary text and JSON into credential, presentation and
//! envelope parsing give a value or an error, never a panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use wallet_core::vc::{Credential, EnvelopedCredential, Presentation, parse_datetime};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        prop_oneof![
            Just("VerifiableCredential".to_owned()),
            Just("VerifiablePresentation".to_owned()),
            Just("EnvelopedVerifiableCredential".to_owned()),
            Just("https://www.w3.org/ns/credentials/v2".to_owned()),
            Just("https://www.w3.org/2018/credentials/v1".to_owned()),
            Just("2023-01-01T00:00:00Z".to_owned()),
            Just("data:application/vc+jwt,a.b.c".to_owned()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("@context".to_owned()),
                    Just("type".to_owned()),
                    Just("id".to_owned()),
                    Just("issuer".to_owned()),
                    Just("holder".to_owned()),
                    Just("credentialSubject".to_owned()),
                    Just("verifiableCredential".to_owned()),
                    Just("validFrom".to_owned()),
                    Just("issuanceDate".to_owned()),
                    Just("proof".to_owned()),
                    "[a-z]{1,6}",
                ],
                inner,
                0..8
            )
            .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn text_never_panics(s in ".{0,400}") {
        let _ = Credential::from_json(&s);
        let _ = Presentation::from_json(&s);
        let _ = parse_datetime(&s);
    }

    #[test]
    fn json_never_panics(v in arb_json()) {
        let _ = Credential::from_value(v.clone());
        let _ = Presentation::from_value(v.clone());
        if let Value::Object(m) = v {
            let _ = EnvelopedCredential::from_map(m);
        }
    }

    #[test]
    fn structured_credentials_never_panic(
        ctx in arb_json(), ty in arb_json(), issuer in arb_json(), subject in arb_json(),
        date in arb_json(), vc in arb_json()
    ) {
        let c = json!({"@context": ctx, "type": ty, "issuer": issuer,
                       "credentialSubject": subject, "validFrom": date, "issuanceDate": date});
        if let Ok(c) = Credential::from_value(c) {
            let _ = (c.issuer(), c.types(), c.subject_ids(), c.check_validity(0, 0));
        }
        let p = json!({"@context": ["https://www.w3.org/ns/credentials/v2"],
                       "type": "VerifiablePresentation", "verifiableCredential": vc});
        let _ = Presentation::from_value(p);
    }

    #[test]
    fn envelope_ids_never_panic(id in "data:.{0,40}") {
        let env = json!({"@context": "https://www.w3.org/ns/credentials/v2", "id": id,
                         "type": "EnvelopedVerifiableCredential"});
        if let Value::Object(m) = env {
            let _ = EnvelopedCredential::from_map(m);
        }
    }
}
