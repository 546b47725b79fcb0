//! Property tests: arbitrary input into DCQL parsing and evaluation gives a result
//! or an error, never a panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde_json::{Value, json};
use wallet_core::dcql::{self, CandidateCredential, DcqlQuery};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i16>().prop_map(|i| json!(i)),
        "[a-z_-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("credentials".to_owned()),
                    Just("credential_sets".to_owned()),
                    Just("id".to_owned()),
                    Just("format".to_owned()),
                    Just("meta".to_owned()),
                    Just("claims".to_owned()),
                    Just("path".to_owned()),
                    Just("values".to_owned()),
                    Just("claim_sets".to_owned()),
                    Just("options".to_owned()),
                    Just("required".to_owned()),
                    Just("vct_values".to_owned()),
                    Just("type_values".to_owned()),
                    Just("vct".to_owned()),
                    Just("type".to_owned()),
                    Just("multiple".to_owned()),
                    "[a-z]{1,5}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parser_never_panics(s in ".{0,400}") {
        let _ = DcqlQuery::parse(&s);
    }

    #[test]
    fn arbitrary_query_evaluates_without_panic(q in arb_json(), claims in arb_json(), format in "dc\\+sd-jwt|ldp_vc|x") {
        if let Ok(q) = serde_json::from_value::<DcqlQuery>(q) {
            let c = CandidateCredential { id: "c".into(), format, claims, selectively_disclosable: None };
            let _ = dcql::select(&q, std::slice::from_ref(&c));
            let ids: Vec<String> = q.credentials.iter().map(|c| c.id.clone()).collect();
            let resp: BTreeMap<String, Vec<CandidateCredential>> = ids.into_iter().map(|i| (i, vec![c.clone()])).collect();
            let _ = dcql::verify_response(&q, &resp);
        }
    }
}
