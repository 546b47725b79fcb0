//! DIF Presentation Exchange v2: the DIF spec examples, a table of cases with
//! expected outcomes (tests/vectors/pex/cases.json), submissions and every bound.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use wallet_core::jsonpath::{self, JsonPathError, Query};
use wallet_core::pex::{
    self, CandidateCredential, DescriptorMapEntry, Disclosure, Envelope, InputDescriptor, PexError,
    PresentationDefinition, PresentationSubmission, SubmissionChoice,
};

const DEFINITIONS: &[(&str, &str)] = &[
    (
        "basic_example.json",
        include_str!("../../tests/vectors/pex/definitions/basic_example.json"),
    ),
    (
        "format_example.json",
        include_str!("../../tests/vectors/pex/definitions/format_example.json"),
    ),
    (
        "input_descriptors_example.json",
        include_str!("../../tests/vectors/pex/definitions/input_descriptors_example.json"),
    ),
    (
        "multi_group_example.json",
        include_str!("../../tests/vectors/pex/definitions/multi_group_example.json"),
    ),
    (
        "pd_filter.json",
        include_str!("../../tests/vectors/pex/definitions/pd_filter.json"),
    ),
    (
        "single_group_example.json",
        include_str!("../../tests/vectors/pex/definitions/single_group_example.json"),
    ),
];
const CREDENTIALS: &str = include_str!("../../tests/vectors/pex/credentials.json");
const CASES: &str = include_str!("../../tests/vectors/pex/cases.json");

fn definition_json(file: &str) -> Value {
    let (_, text) = DEFINITIONS.iter().find(|(n, _)| *n == file).unwrap();
    let v: Value = serde_json::from_str(text).unwrap();
    v.get("presentation_definition").cloned().unwrap_or(v)
}

fn credentials() -> BTreeMap<String, CandidateCredential> {
    serde_json::from_str(CREDENTIALS).unwrap()
}

fn parse_def(v: &Value) -> Result<PresentationDefinition, PexError> {
    PresentationDefinition::parse(&v.to_string())
}

#[test]
fn every_dif_v2_example_definition_deserializes_and_validates() {
    for (name, text) in DEFINITIONS {
        let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let def = v
            .get("presentation_definition")
            .unwrap_or_else(|| panic!("{name}: no presentation_definition"));
        // Deserialize through serde_path_to_error-like reporting: the error names the file.
        parse_def(def).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn dif_v2_descriptor_submission_and_requirement_examples_deserialize() {
    let d: InputDescriptor = serde_json::from_str(include_str!(
        "../../tests/vectors/pex/definitions/VC_revocation_example.json"
    ))
    .unwrap();
    assert_eq!(d.constraints.fields.len(), 2);
    let def = PresentationDefinition {
        id: "rev".into(),
        name: None,
        purpose: None,
        format: None,
        submission_requirements: None,
        input_descriptors: vec![d],
    };
    def.validate().unwrap();

    let v: Value = serde_json::from_str(include_str!(
        "../../tests/vectors/pex/submissions/example.json"
    ))
    .unwrap();
    let sub = PresentationSubmission::parse(&v["presentation_submission"].to_string()).unwrap();
    assert_eq!(sub.descriptor_map.len(), 4);
    let nested = pex::innermost(&sub.descriptor_map[3]).unwrap();
    assert_eq!(nested.path, "$.mostInnerCredential[2]");
    assert_eq!(nested.format, "jwt_vc");
    assert_eq!(pex::vp_index(&sub.descriptor_map[1]), Some(1));

    let v: Value = serde_json::from_str(include_str!(
        "../../tests/vectors/pex/submissions/pick_1_example.json"
    ))
    .unwrap();
    let reqs: Vec<pex::SubmissionRequirement> =
        serde_json::from_value(v["submission_requirements"].clone()).unwrap();
    assert_eq!(reqs[0].count, Some(1));
}

#[test]
fn case_table() {
    let creds = credentials();
    let cases: Value = serde_json::from_str(CASES).unwrap();
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let def_json = if let Some(file) = case.get("definition_file") {
            definition_json(file.as_str().unwrap())
        } else if let Some(d) = case.get("definition") {
            d.clone()
        } else {
            json!({"id": "case", "input_descriptors": [case["descriptor"].clone()]})
        };
        let expect = &case["expect"];
        let def = match parse_def(&def_json) {
            Ok(d) => d,
            Err(e) => {
                let want = expect["error"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: unexpected error {e:?}"));
                assert!(
                    format!("{e:?}").contains(want),
                    "{name}: got {e:?}, want {want}"
                );
                continue;
            }
        };
        assert!(
            expect.get("error").is_none(),
            "{name}: expected error {}",
            expect["error"]
        );
        let list: Vec<CandidateCredential> = case["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| creds[n.as_str().unwrap()].clone())
            .collect();
        let sel = pex::select(&def, &list).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(s) = expect.get("satisfiable") {
            assert_eq!(sel.satisfiable, s.as_bool().unwrap(), "{name}: satisfiable");
        }
        if let Some(n) = expect.get("needed") {
            let n: Vec<String> = serde_json::from_value(n.clone()).unwrap();
            assert_eq!(sel.needed, n, "{name}: needed");
        }
        if let Some(m) = expect.get("matches") {
            for (desc, want) in m.as_object().unwrap() {
                let got: Vec<&str> = sel
                    .descriptors
                    .iter()
                    .find(|d| &d.descriptor_id == desc)
                    .unwrap_or_else(|| panic!("{name}: no descriptor {desc}"))
                    .candidates
                    .iter()
                    .map(|c| c.credential_id.as_str())
                    .collect();
                let want: Vec<&str> = want
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|w| w.as_str().unwrap())
                    .collect();
                assert_eq!(got, want, "{name}: candidates of {desc}");
            }
        }
        if let Some(d) = expect.get("disclose") {
            for (desc, per_cred) in d.as_object().unwrap() {
                let dc = sel
                    .descriptors
                    .iter()
                    .find(|x| &x.descriptor_id == desc)
                    .unwrap();
                for (cred, want) in per_cred.as_object().unwrap() {
                    let got = &dc
                        .candidates
                        .iter()
                        .find(|c| &c.credential_id == cred)
                        .unwrap()
                        .disclosure;
                    let want = if want == "full" {
                        Disclosure::Full
                    } else {
                        Disclosure::Only(
                            serde_json::from_value::<BTreeSet<String>>(want.clone()).unwrap(),
                        )
                    };
                    assert_eq!(got, &want, "{name}: disclosure of {cred} for {desc}");
                }
            }
        }
    }
}

fn feature_def() -> PresentationDefinition {
    parse_def(&json!({
        "id": "def-1",
        "submission_requirements": [{"rule": "all", "from": "A"}, {"rule": "pick", "count": 1, "from": "B"}],
        "input_descriptors": [
            {"id": "email", "group": ["A"], "constraints": {"fields": [{"path": ["$.credentialSubject.email", "$.vc.credentialSubject.email", "$.email"], "filter": {"type": "string"}}]}},
            {"id": "adult", "group": ["B"], "constraints": {"limit_disclosure": "required", "fields": [{"path": ["$.age"], "filter": {"type": "integer", "minimum": 18}}]}},
            {"id": "typed", "group": ["B"], "format": {"ldp_vc": {}}, "constraints": {"fields": [{"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "PersonCredential"}}}]}}
        ]
    }))
    .unwrap()
}

fn cred(name: &str) -> CandidateCredential {
    credentials()[name].clone()
}

fn entry(id: &str, format: &str, i: usize) -> DescriptorMapEntry {
    DescriptorMapEntry {
        id: id.into(),
        format: format.into(),
        path: format!("$.verifiableCredential[{i}]"),
        path_nested: None,
    }
}

fn verify(
    def: &PresentationDefinition,
    sub: &PresentationSubmission,
    vp: &[CandidateCredential],
) -> Result<pex::VerifiedSubmission, PexError> {
    let resolve = |e: &pex::DescriptorMapEntry| pex::vp_index(e).and_then(|i| vp.get(i));
    let result = pex::verify_submission(def, sub, resolve);
    // The definition compiled once gives the same answer, for every case here.
    let compiled = pex::CompiledDefinition::new(def.clone()).unwrap();
    assert_eq!(
        pex::verify_compiled_submission(&compiled, sub, resolve),
        result
    );
    result
}

#[test]
fn build_then_verify_round_trip_json_vp() {
    let def = feature_def();
    let vp = vec![cred("person"), cred("person_sd")];
    let sel = pex::select(&def, &vp).unwrap();
    assert!(sel.satisfiable);
    assert_eq!(sel.needed, vec!["email", "adult"]);
    let sub = pex::build_submission(
        &def,
        "sub-1",
        &Envelope::JsonVp,
        &[
            SubmissionChoice {
                descriptor_id: "email".into(),
                vp_index: 0,
                format: "ldp_vc".into(),
            },
            SubmissionChoice {
                descriptor_id: "adult".into(),
                vp_index: 1,
                format: "dc+sd-jwt".into(),
            },
        ],
    )
    .unwrap();
    assert_eq!(sub.descriptor_map[1].path, "$.verifiableCredential[1]");
    // The person_sd credential as presented: only `age` (plus non-SD claims) disclosed.
    let mut presented = vp.clone();
    presented[1].claims =
        json!({"vct": "https://example.com/person", "iss": "https://issuer.example", "age": 45});
    presented[1].selectively_disclosable = Some(BTreeSet::from(["/age".to_owned()]));
    let v = verify(&def, &sub, &presented).unwrap();
    assert_eq!(v.descriptors[1].credential_id, "person_sd");
    assert_eq!(
        v.descriptors[1].matched,
        BTreeSet::from(["/age".to_owned()])
    );
}

#[test]
fn build_then_verify_round_trip_jwt_vp() {
    let def = feature_def();
    let vp = vec![cred("person_jwt"), cred("person")];
    let sub = pex::build_submission(
        &def,
        "sub-2",
        &Envelope::JwtVp,
        &[
            SubmissionChoice {
                descriptor_id: "email".into(),
                vp_index: 0,
                format: "jwt_vc_json".into(),
            },
            SubmissionChoice {
                descriptor_id: "typed".into(),
                vp_index: 1,
                format: "ldp_vc".into(),
            },
        ],
    )
    .unwrap();
    assert_eq!(sub.descriptor_map[0].path, "$");
    assert_eq!(sub.descriptor_map[0].format, "jwt_vp_json");
    assert_eq!(
        sub.descriptor_map[0].path_nested.as_ref().unwrap().path,
        "$.vp.verifiableCredential[0]"
    );
    verify(&def, &sub, &vp).unwrap();
}

#[test]
fn build_submission_errors() {
    let def = feature_def();
    let c = |d: &str, f: &str| SubmissionChoice {
        descriptor_id: d.into(),
        vp_index: 0,
        format: f.into(),
    };
    assert!(matches!(
        pex::build_submission(&def, "s", &Envelope::JsonVp, &[c("nope", "ldp_vc")]),
        Err(PexError::UnknownDescriptor(_))
    ));
    assert!(matches!(
        pex::build_submission(&def, "s", &Envelope::JsonVp, &[c("typed", "jwt_vc_json")]),
        Err(PexError::FormatNotAllowed { .. })
    ));
    assert!(matches!(
        pex::build_submission(
            &def,
            "s",
            &Envelope::JsonVp,
            &[c("email", "ldp_vc"), c("email", "ldp_vc")]
        ),
        Err(PexError::InvalidChoice(_))
    ));
    assert!(matches!(
        pex::build_submission(&def, "s", &Envelope::JsonVp, &[]),
        Err(PexError::InvalidChoice(_))
    ));
    assert!(matches!(
        pex::build_submission(&def, "", &Envelope::JsonVp, &[c("email", "ldp_vc")]),
        Err(PexError::EmptyId(_))
    ));
}

fn good_submission() -> (
    PresentationDefinition,
    PresentationSubmission,
    Vec<CandidateCredential>,
) {
    let def = feature_def();
    let vp = [cred("person"), cred("person_sd")];
    let mut sd = vp[1].clone();
    sd.claims = json!({"vct": "https://example.com/person", "age": 45});
    sd.selectively_disclosable = Some(BTreeSet::from(["/age".to_owned()]));
    let sub = PresentationSubmission {
        id: "s".into(),
        definition_id: "def-1".into(),
        descriptor_map: vec![entry("email", "ldp_vc", 0), entry("adult", "dc+sd-jwt", 1)],
    };
    (def, sub, vec![vp[0].clone(), sd])
}

#[test]
fn verify_accepts_good_submission() {
    let (def, sub, vp) = good_submission();
    assert_eq!(verify(&def, &sub, &vp).unwrap().descriptors.len(), 2);
}

#[test]
fn verify_rejects_wrong_definition_id() {
    let (def, mut sub, vp) = good_submission();
    sub.definition_id = "other".into();
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::DefinitionIdMismatch("other".into()))
    );
}

#[test]
fn verify_rejects_unknown_descriptor() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map.push(entry("ghost", "ldp_vc", 0));
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::UnknownDescriptor("ghost".into()))
    );
}

#[test]
fn verify_rejects_format_not_allowed() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map.push(entry("typed", "jwt_vc_json", 0));
    assert!(
        matches!(verify(&def, &sub, &vp), Err(PexError::FormatNotAllowed { descriptor, .. }) if descriptor == "typed")
    );
}

#[test]
fn verify_rejects_unresolved_path() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map[0].path = "$.verifiableCredential[7]".into();
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::Unresolved("email".into()))
    );
}

#[test]
fn verify_rejects_format_mismatch() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map[0].format = "jwt_vc_json".into();
    assert!(matches!(
        verify(&def, &sub, &vp),
        Err(PexError::FormatMismatch { .. })
    ));
}

#[test]
fn verify_rejects_unsatisfied_field() {
    let (def, sub, mut vp) = good_submission();
    vp[1].claims["age"] = json!(16);
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::FieldNotSatisfied {
            descriptor: "adult".into(),
            field: "0".into()
        })
    );
}

#[test]
fn verify_rejects_limit_disclosure_on_non_sd_credential() {
    let (def, sub, mut vp) = good_submission();
    vp[1].selectively_disclosable = None;
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::LimitDisclosureUnsupported("adult".into()))
    );
}

#[test]
fn verify_rejects_over_disclosure() {
    let (def, sub, mut vp) = good_submission();
    vp[1].claims["email"] = json!("carol@example.com");
    vp[1].selectively_disclosable = Some(BTreeSet::from(["/age".to_owned(), "/email".to_owned()]));
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::OverDisclosed {
            descriptor: "adult".into(),
            pointer: "/email".into()
        })
    );
}

#[test]
fn verify_rejects_unmet_requirement() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map.truncate(1);
    assert!(matches!(
        verify(&def, &sub, &vp),
        Err(PexError::RequirementNotMet(_))
    ));
    // pick count 1 from B: answering both B descriptors is too many.
    let (def, mut sub, mut vp) = good_submission();
    vp.push(cred("person"));
    sub.descriptor_map.push(entry("typed", "ldp_vc", 2));
    assert!(matches!(
        verify(&def, &sub, &vp),
        Err(PexError::RequirementNotMet(_))
    ));
}

#[test]
fn verify_without_requirements_needs_every_descriptor() {
    let def = parse_def(&definition_json("basic_example.json")).unwrap();
    let vp = vec![cred("passport")];
    let sub = PresentationSubmission {
        id: "s".into(),
        definition_id: def.id.clone(),
        descriptor_map: vec![entry("us_passport_input", "ldp_vc", 0)],
    };
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::MissingDescriptor("bankaccount_input".into()))
    );
}

#[test]
fn verify_rejects_deep_or_inconsistent_path_nested() {
    let (def, mut sub, vp) = good_submission();
    let mut e = entry("email", "ldp_vc", 0);
    for _ in 0..5 {
        e = DescriptorMapEntry {
            id: "email".into(),
            format: "jwt_vp_json".into(),
            path: "$".into(),
            path_nested: Some(Box::new(e)),
        };
    }
    sub.descriptor_map[0] = e;
    assert_eq!(verify(&def, &sub, &vp), Err(PexError::PathNestedTooDeep));
    let (def, mut sub, vp) = good_submission();
    let inner = entry("adult", "ldp_vc", 0);
    sub.descriptor_map[0] = DescriptorMapEntry {
        id: "email".into(),
        format: "jwt_vp_json".into(),
        path: "$".into(),
        path_nested: Some(Box::new(inner)),
    };
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::PathNestedIdMismatch("email".into()))
    );
}

#[test]
fn verify_rejects_bad_descriptor_map_path() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map[0].path = "$.verifiableCredential[?match(@.a, 'x')]".into();
    assert!(matches!(
        verify(&def, &sub, &vp),
        Err(PexError::Path {
            error: JsonPathError::FunctionExtension(_),
            ..
        })
    ));
}

#[test]
fn vp_index_only_accepts_plain_indices() {
    let e = |p: &str| DescriptorMapEntry {
        id: "a".into(),
        format: "f".into(),
        path: p.into(),
        path_nested: None,
    };
    assert_eq!(pex::vp_index(&e("$.verifiableCredential[12]")), Some(12));
    assert_eq!(pex::vp_index(&e("$.verifiableCredential[01]")), None);
    assert_eq!(pex::vp_index(&e("$.verifiableCredential[-1]")), None);
    assert_eq!(pex::vp_index(&e("$.other[0]")), None);
}

// ---- limits: one test per bound, asserting its error ----

fn field(path: &str, filter: Value) -> Value {
    json!({"path": [path], "filter": filter})
}

fn one_field_def(f: Value) -> Value {
    json!({"id": "d", "input_descriptors": [{"id": "x", "constraints": {"fields": [f]}}]})
}

#[test]
fn limit_definition_size() {
    let big = "a".repeat(pex::MAX_DEFINITION_BYTES);
    let v = json!({"id": big, "input_descriptors": []});
    assert_eq!(parse_def(&v), Err(PexError::TooLarge));
    assert_eq!(
        PresentationSubmission::parse(&" ".repeat(pex::MAX_DEFINITION_BYTES + 1)),
        Err(PexError::TooLarge)
    );
}

#[test]
fn limit_input_descriptors() {
    let ds: Vec<Value> = (0..=pex::MAX_INPUT_DESCRIPTORS)
        .map(|i| json!({"id": format!("d{i}")}))
        .collect();
    assert_eq!(
        parse_def(&json!({"id": "d", "input_descriptors": ds})),
        Err(PexError::TooManyInputDescriptors)
    );
}

#[test]
fn limit_fields() {
    let fs: Vec<Value> = (0..=pex::MAX_FIELDS)
        .map(|_| json!({"path": ["$.a"]}))
        .collect();
    let v = json!({"id": "d", "input_descriptors": [{"id": "x", "constraints": {"fields": fs}}]});
    assert_eq!(parse_def(&v), Err(PexError::TooManyFields("x".into())));
}

#[test]
fn limit_paths_per_field() {
    let ps: Vec<String> = (0..=pex::MAX_PATHS_PER_FIELD)
        .map(|i| format!("$.a{i}"))
        .collect();
    assert_eq!(
        parse_def(&one_field_def(json!({"path": ps}))),
        Err(PexError::BadPathCount("x".into()))
    );
}

#[test]
fn limit_groups() {
    let gs: Vec<String> = (0..=pex::MAX_GROUPS).map(|i| format!("g{i}")).collect();
    let v = json!({"id": "d", "input_descriptors": [{"id": "x", "group": gs}]});
    assert_eq!(parse_def(&v), Err(PexError::TooManyGroups("x".into())));
}

#[test]
fn limit_submission_requirements_count_and_depth() {
    let reqs: Vec<Value> = (0..=pex::MAX_SUBMISSION_REQUIREMENTS)
        .map(|_| json!({"rule": "all", "from": "A"}))
        .collect();
    let v = json!({"id": "d", "submission_requirements": reqs, "input_descriptors": [{"id": "x", "group": ["A"]}]});
    assert_eq!(parse_def(&v), Err(PexError::TooManySubmissionRequirements));
    let mut r = json!({"rule": "all", "from": "A"});
    for _ in 0..pex::MAX_REQUIREMENT_DEPTH {
        r = json!({"rule": "all", "from_nested": [r]});
    }
    let v = json!({"id": "d", "submission_requirements": [r], "input_descriptors": [{"id": "x", "group": ["A"]}]});
    assert_eq!(parse_def(&v), Err(PexError::RequirementsTooDeep));
}

#[test]
fn limit_descriptor_map() {
    let (def, mut sub, vp) = good_submission();
    sub.descriptor_map = (0..=pex::MAX_DESCRIPTOR_MAP)
        .map(|_| entry("email", "ldp_vc", 0))
        .collect();
    assert_eq!(
        verify(&def, &sub, &vp),
        Err(PexError::TooManyDescriptorMapEntries)
    );
}

#[test]
fn limit_jsonpath_length() {
    let long = format!("$.{}", "a".repeat(jsonpath::MAX_EXPRESSION_LEN));
    assert_eq!(Query::parse(&long).unwrap_err(), JsonPathError::TooLong);
    assert!(matches!(
        parse_def(&one_field_def(json!({"path": [long]}))),
        Err(PexError::Path {
            error: JsonPathError::TooLong,
            ..
        })
    ));
}

#[test]
fn limit_jsonpath_nesting() {
    assert_eq!(
        Query::parse("$[?@[?@[?@[?@[?@.a]]]]]").unwrap_err(),
        JsonPathError::TooDeep
    );
    Query::parse("$[?@.a[?@.b]]").unwrap();
}

#[test]
fn limit_jsonpath_descendants() {
    assert_eq!(
        Query::parse("$..a..b").unwrap_err(),
        JsonPathError::DescendantNotAllowed
    );
    assert_eq!(
        Query::parse("$..[?@..a]").unwrap_err(),
        JsonPathError::DescendantNotAllowed
    );
    // `..` inside a quoted name is just text.
    Query::parse("$['..']").unwrap();
}

#[test]
fn limit_jsonpath_functions() {
    for p in [
        "$[?length(@) > 1]",
        "$[?count(@.*) > 1]",
        "$[?search(@, 'a')]",
        "$[?value(@.a) == 1]",
        "$[? match (@, 'a')]",
    ] {
        assert!(
            matches!(Query::parse(p), Err(JsonPathError::FunctionExtension(_))),
            "{p}"
        );
    }
    Query::parse("$['length(x)']").unwrap();
}

#[test]
fn limit_jsonpath_results() {
    let big = Value::Array((0..=jsonpath::MAX_RESULTS).map(|i| json!(i)).collect());
    assert_eq!(
        Query::parse("$[*]").unwrap().select(&big).unwrap_err(),
        JsonPathError::TooManyResults
    );
    let q = Query::parse("$.a[1:3]").unwrap();
    let doc = json!({"a": [0, 1, 2, 3]});
    let r = q.select(&doc).unwrap();
    assert_eq!(
        r.iter().map(|l| l.pointer.as_str()).collect::<Vec<_>>(),
        ["/a/1", "/a/2"]
    );
    // A credential too big for a path is an error of select, not a silent non-match.
    let def = parse_def(&one_field_def(json!({"path": ["$.*"]}))).unwrap();
    let c = CandidateCredential {
        id: "big".into(),
        format: "ldp_vc".into(),
        claims: json!({"a": big}),
        selectively_disclosable: None,
    };
    pex::select(&def, std::slice::from_ref(&c)).unwrap();
    let def = parse_def(&one_field_def(json!({"path": ["$.a[*]"]}))).unwrap();
    assert!(matches!(
        pex::select(&def, &[c]),
        Err(PexError::Path {
            error: JsonPathError::TooManyResults,
            ..
        })
    ));
}

#[test]
fn limit_filter_depth() {
    let mut f = json!({"type": "string"});
    for _ in 0..=pex::filter::MAX_FILTER_DEPTH {
        f = json!({"not": f});
    }
    assert_eq!(
        parse_def(&one_field_def(field("$.a", f))),
        Err(PexError::FilterTooDeep)
    );
}

#[test]
fn limit_filter_size() {
    let many: Vec<Value> = (0..pex::filter::MAX_KEYWORD_ITEMS)
        .map(|_| json!({"anyOf": [true, true]}))
        .collect();
    assert_eq!(
        parse_def(&one_field_def(field("$.a", json!({"allOf": many})))),
        Err(PexError::FilterTooLarge)
    );
    let e: Vec<Value> = (0..=pex::filter::MAX_KEYWORD_ITEMS)
        .map(|i| json!(i))
        .collect();
    assert_eq!(
        parse_def(&one_field_def(field("$.a", json!({"enum": e})))),
        Err(PexError::FilterTooLarge)
    );
}

#[test]
fn limit_pattern_length() {
    let p = "a".repeat(pex::filter::MAX_PATTERN_LEN + 1);
    assert_eq!(
        parse_def(&one_field_def(field("$.a", json!({"pattern": p})))),
        Err(PexError::PatternTooLong)
    );
}

#[test]
fn limit_pattern_compiled_size() {
    assert_eq!(
        parse_def(&one_field_def(field(
            "$.a",
            json!({"pattern": "\\w{100}{100}"})
        ))),
        Err(PexError::PatternTooComplex)
    );
}

#[test]
fn pattern_matching_is_linear_on_a_classic_redos_pattern() {
    // (a+)+$ backtracks exponentially in ECMAScript engines; here it is an automaton.
    let def = parse_def(&one_field_def(field("$.a", json!({"pattern": "^(a+)+$"})))).unwrap();
    let c = CandidateCredential {
        id: "c".into(),
        format: "ldp_vc".into(),
        claims: json!({"a": format!("{}!", "a".repeat(5000))}),
        selectively_disclosable: None,
    };
    let sel = pex::select(&def, &[c]).unwrap();
    assert!(sel.descriptors[0].candidates.is_empty());
}

#[test]
fn rfc3339_grammar() {
    use pex::filter::{is_rfc3339_date, is_rfc3339_date_time};
    for ok in ["2024-02-29", "2000-02-29", "1999-12-31"] {
        assert!(is_rfc3339_date(ok), "{ok}");
    }
    for bad in [
        "2023-02-29",
        "1900-02-29",
        "2023-13-01",
        "2023-00-10",
        "2023-1-01",
        "1999-5-16",
        "２０２３-01-01",
    ] {
        assert!(!is_rfc3339_date(bad), "{bad}");
    }
    for ok in [
        "1985-04-12T23:20:50.52Z",
        "1996-12-19T16:39:57-08:00",
        "1990-12-31T23:59:60Z",
        "1937-01-01t12:00:27.87+00:20",
    ] {
        assert!(is_rfc3339_date_time(ok), "{ok}");
    }
    for bad in [
        "1985-04-12 23:20:50Z",
        "1985-04-12T24:00:00Z",
        "1985-04-12T23:20:50",
        "1985-04-12T23:20:50.Z",
        "1985-04-12T23:20:50+0800",
    ] {
        assert!(!is_rfc3339_date_time(bad), "{bad}");
    }
}

#[test]
fn selection_by_credential_groups_descriptors() {
    let def = feature_def();
    let sel = pex::select(&def, &[cred("person"), cred("person_sd")]).unwrap();
    let by = pex::by_credential(&sel);
    assert_eq!(by["person"], vec!["email", "typed"]);
    assert_eq!(by["person_sd"], vec!["email", "adult"]);
}
