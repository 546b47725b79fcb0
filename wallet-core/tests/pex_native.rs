//! Property tests: arbitrary input into the PEX, DCQL and JSONPath parsers and
//! evaluators gives a result or an error, never a panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::{Value, json};
use wallet_core::jsonpath::Query;
use wallet_core::pex::{self, CandidateCredential, PresentationDefinition, PresentationSubmission};

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|i| json!(i)),
        any::<f32>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        "[a-z$@.\\[\\]*?()'0-9 _-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("path".to_owned()),
                    Just("filter".to_owned()),
                    Just("type".to_owned()),
                    Just("pattern".to_owned()),
                    Just("rule".to_owned()),
                    Just("from".to_owned()),
                    Just("from_nested".to_owned()),
                    Just("count".to_owned()),
                    Just("group".to_owned()),
                    Just("constraints".to_owned()),
                    Just("fields".to_owned()),
                    Just("contains".to_owned()),
                    Just("not".to_owned()),
                    Just("anyOf".to_owned()),
                    Just("format".to_owned()),
                    Just("input_descriptors".to_owned()),
                    Just("submission_requirements".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn candidate(claims: Value) -> CandidateCredential {
    CandidateCredential {
        id: "c".into(),
        format: "ldp_vc".into(),
        claims,
        selectively_disclosable: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn definition_parser_never_panics(s in ".{0,400}") {
        let _ = PresentationDefinition::parse(&s);
        let _ = PresentationSubmission::parse(&s);
    }

    #[test]
    fn jsonpath_never_panics(s in "[$@.\\[\\]*?()'\"a-z0-9 =<>!&|,:-]{0,80}", doc in arb_json()) {
        if let Ok(q) = Query::parse(&s) {
            let _ = q.select(&doc);
        }
    }

    #[test]
    fn arbitrary_definition_json_evaluates_without_panic(def in arb_json(), claims in arb_json()) {
        if let Ok(d) = serde_json::from_value::<PresentationDefinition>(def) {
            let _ = pex::select(&d, &[candidate(claims)]);
        }
    }

    #[test]
    fn arbitrary_filters_never_panic(filter in arb_json(), value in arb_json(), path in "\\$(\\.[a-z]{1,3}|\\[\\*\\]){0,3}") {
        let def = json!({"id": "d", "input_descriptors": [{"id": "x", "constraints": {"fields": [{"path": [path], "filter": filter}]}}]});
        if let Ok(d) = PresentationDefinition::parse(&def.to_string()) {
            let _ = pex::select(&d, &[candidate(value.clone()), candidate(json!({"a": value}))]);
        }
    }

    #[test]
    fn arbitrary_patterns_never_panic(p in ".{0,40}", s in ".{0,40}") {
        let def = json!({"id": "d", "input_descriptors": [{"id": "x", "constraints": {"fields": [{"path": ["$.a"], "filter": {"pattern": p}}]}}]});
        if let Ok(d) = PresentationDefinition::parse(&def.to_string()) {
            let _ = pex::select(&d, &[candidate(json!({"a": s}))]);
        }
    }

    #[test]
    fn arbitrary_submission_verifies_without_panic(sub in arb_json(), claims in arb_json()) {
        let d = PresentationDefinition::parse(r#"{"id":"d","input_descriptors":[{"id":"x","constraints":{"fields":[{"path":["$.a"]}]}}]}"#).unwrap();
        let c = candidate(claims);
        if let Ok(s) = serde_json::from_value::<PresentationSubmission>(sub) {
            let plain = pex::verify_submission(&d, &s, |_| Some(&c));
            let compiled = pex::CompiledDefinition::new(d.clone()).unwrap();
            prop_assert_eq!(pex::verify_compiled_submission(&compiled, &s, |_| Some(&c)), plain);
        }
    }
}
