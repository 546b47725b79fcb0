//! DCQL (OpenID4VP 1.0 §6–7): the spec's example queries, wallet selection and
//! verifier checks with expected outcomes, validation rules and bounds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use wallet_core::dcql::{self, CandidateCredential, DcqlError, DcqlQuery, PathElement};

const EXAMPLES: &[(&str, &str)] = &[
    (
        "simple.json",
        include_str!("../../tests/vectors/dcql/simple.json"),
    ),
    (
        "simple_mdoc.json",
        include_str!("../../tests/vectors/dcql/simple_mdoc.json"),
    ),
    (
        "multi_credentials.json",
        include_str!("../../tests/vectors/dcql/multi_credentials.json"),
    ),
    (
        "claims_alternatives.json",
        include_str!("../../tests/vectors/dcql/claims_alternatives.json"),
    ),
    (
        "credentials_alternatives.json",
        include_str!("../../tests/vectors/dcql/credentials_alternatives.json"),
    ),
    (
        "complex_mdoc.json",
        include_str!("../../tests/vectors/dcql/complex_mdoc.json"),
    ),
    (
        "value_matching_simple.json",
        include_str!("../../tests/vectors/dcql/value_matching_simple.json"),
    ),
    (
        "dcql_jwt_vc.json",
        include_str!("../../tests/vectors/dcql/dcql_jwt_vc.json"),
    ),
];

fn example(name: &str) -> DcqlQuery {
    let (_, t) = EXAMPLES.iter().find(|(n, _)| *n == name).unwrap();
    DcqlQuery::parse(t).unwrap()
}

fn sd(id: &str, vct: &str, claims: Value) -> CandidateCredential {
    let mut c = claims;
    c["vct"] = json!(vct);
    let sdset = c
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| *k != "vct")
        .map(|k| format!("/{k}"))
        .collect();
    CandidateCredential {
        id: id.into(),
        format: "dc+sd-jwt".into(),
        claims: c,
        selectively_disclosable: Some(sdset),
    }
}

const PID: &str = "https://credentials.example.com/identity_credential";

fn pid() -> CandidateCredential {
    sd(
        "pid1",
        PID,
        json!({"given_name": "Arthur", "family_name": "Dent", "last_name": "Dent", "date_of_birth": "1970-01-01",
        "postal_code": "90210", "locality": "Milliways", "address": {"street_address": "42 Market Street"}}),
    )
}

fn ids(sel: &dcql::DcqlSelection, q: &str) -> Vec<String> {
    sel.queries
        .iter()
        .find(|x| x.query_id == q)
        .unwrap()
        .candidates
        .iter()
        .map(|c| c.credential_id.clone())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn every_spec_example_parses_and_validates() {
    for (name, text) in EXAMPLES {
        DcqlQuery::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn simple_query_selects_and_discloses_only_requested_claims() {
    let q = example("simple.json");
    let other = sd(
        "other",
        "https://other.example/vct",
        json!({"family_name": "X", "given_name": "Y", "address": {"street_address": "s"}}),
    );
    let sel = dcql::select(&q, &[other, pid()]).unwrap();
    assert!(sel.satisfiable);
    assert_eq!(ids(&sel, "my_credential"), ["pid1"]);
    let m = &sel.queries[0].candidates[0];
    assert_eq!(
        m.disclose,
        set(&["/family_name", "/given_name", "/address/street_address"])
    );
    assert_eq!(sel.to_present, ["my_credential"]);
}

#[test]
fn simple_query_missing_claim_is_not_a_match() {
    let q = example("simple.json");
    let c = sd(
        "c",
        PID,
        json!({"family_name": "Dent", "given_name": "Arthur"}),
    );
    let sel = dcql::select(&q, &[c]).unwrap();
    assert!(!sel.satisfiable);
    assert!(sel.to_present.is_empty());
}

#[test]
fn claim_sets_pick_first_satisfiable_option() {
    let q = example("claims_alternatives.json");
    // Has locality but no region: option 0 (a,c,d,e) fails, option 1 (a,b,e) holds.
    let sel = dcql::select(&q, &[pid()]).unwrap();
    let m = &sel.queries[0].candidates[0];
    assert_eq!(m.claim_set, Some(1));
    assert_eq!(
        m.disclose,
        set(&["/last_name", "/postal_code", "/date_of_birth"])
    );
    let mut full = pid();
    full.claims["region"] = json!("Betelgeuse");
    let sel = dcql::select(&q, &[full]).unwrap();
    assert_eq!(sel.queries[0].candidates[0].claim_set, Some(0));
    let none = sd("n", PID, json!({"last_name": "Dent"}));
    assert!(!dcql::select(&q, &[none]).unwrap().satisfiable);
}

#[test]
fn credential_sets_alternatives_and_optional_set() {
    let q = example("credentials_alternatives.json");
    let reduced1 = sd(
        "r1",
        "https://credentials.example.com/reduced_identity_credential",
        json!({"family_name": "D", "given_name": "A"}),
    );
    let reduced2 = sd(
        "r2",
        "https://cred.example/residence_credential",
        json!({"postal_code": "1", "locality": "L", "region": "R"}),
    );
    let sel = dcql::select(&q, &[reduced1.clone(), reduced2.clone()]).unwrap();
    assert!(sel.satisfiable);
    assert_eq!(sel.credential_sets, vec![Some(2), None]);
    assert_eq!(sel.to_present, ["pid_reduced_cred_1", "pid_reduced_cred_2"]);
    // With the pid, the first option wins; the optional rewards set is added when held.
    let rewards = sd(
        "rw",
        "https://company.example/company_rewards",
        json!({"rewards_number": 7}),
    );
    let sel = dcql::select(&q, &[pid(), rewards]).unwrap();
    assert_eq!(sel.credential_sets, vec![Some(0), Some(0)]);
    assert_eq!(sel.to_present, ["pid", "nice_to_have"]);
    // Only half of option 3: the required set fails, nothing is returned.
    let sel = dcql::select(&q, &[reduced1]).unwrap();
    assert!(!sel.satisfiable);
    assert!(sel.to_present.is_empty());
}

fn mdoc(id: &str, doctype: &str, ns: &str, elements: Value) -> CandidateCredential {
    CandidateCredential {
        id: id.into(),
        format: "mso_mdoc".into(),
        claims: json!({"doctype": doctype, ns: elements}),
        selectively_disclosable: Some(BTreeSet::new()),
    }
}

#[test]
fn mdoc_doctype_and_namespaced_paths() {
    let q = example("complex_mdoc.json");
    let mdl = mdoc(
        "mdl",
        "org.iso.18013.5.1.mDL",
        "org.iso.18013.5.1",
        json!({"given_name": "A", "family_name": "D", "portrait": "..."}),
    );
    let sel = dcql::select(&q, std::slice::from_ref(&mdl)).unwrap();
    assert!(sel.satisfiable);
    assert_eq!(sel.credential_sets, vec![Some(0), None]);
    assert_eq!(ids(&sel, "photo_card-id"), Vec::<String>::new());
    let q = example("simple_mdoc.json");
    assert!(!dcql::select(&q, &[mdl]).unwrap().satisfiable);
    let mvrc = CandidateCredential {
        id: "v".into(),
        format: "mso_mdoc".into(),
        selectively_disclosable: Some(BTreeSet::new()),
        claims: json!({"doctype": "org.iso.7367.1.mVRC", "org.iso.7367.1": {"vehicle_holder": "A"}, "org.iso.18013.5.1": {"given_name": "A"}}),
    };
    assert!(dcql::select(&q, &[mvrc]).unwrap().satisfiable);
}

#[test]
fn multi_credentials_needs_both() {
    let q = example("multi_credentials.json");
    assert!(!dcql::select(&q, &[pid()]).unwrap().satisfiable);
}

#[test]
fn value_matching() {
    let q = example("value_matching_simple.json");
    let mut c = sd(
        "c",
        PID,
        json!({"family_name": "Doe", "given_name": "J", "address": {"street_address": "s"}, "postal_code": "90211"}),
    );
    c.id = "ok".into();
    let sel = dcql::select(&q, &[c.clone()]).unwrap();
    assert_eq!(ids(&sel, "my_credential"), ["ok"]);
    let mut wrong = c.clone();
    wrong.claims["postal_code"] = json!("10001");
    assert!(!dcql::select(&q, &[wrong]).unwrap().satisfiable);
    // Type must match too: the integer 90210 is not the string "90210".
    let mut int = c;
    int.claims["postal_code"] = json!(90210);
    assert!(!dcql::select(&q, &[int]).unwrap().satisfiable);
}

#[test]
fn w3c_type_values_subset_semantics() {
    let q = example("dcql_jwt_vc.json");
    let jwt = |types: Value| CandidateCredential {
        id: "j".into(),
        format: "jwt_vc_json".into(),
        selectively_disclosable: None,
        claims: json!({"iss": "did:example:1", "vc": {"type": types, "credentialSubject": {"family_name": "D", "given_name": "A"}}, "credentialSubject": {"family_name": "D", "given_name": "A"}}),
    };
    assert!(
        dcql::select(&q, &[jwt(json!(["VerifiableCredential", "IDCredential"]))])
            .unwrap()
            .satisfiable
    );
    assert!(
        !dcql::select(&q, &[jwt(json!(["VerifiableCredential", "Other"]))])
            .unwrap()
            .satisfiable
    );
    // Spec §B.1.1 example: the inner arrays are alternatives, each a subset of the types.
    let q = DcqlQuery::parse(&json!({"credentials": [{"id": "d", "format": "ldp_vc", "meta": {"type_values": [
        ["https://example.org/examples#AlumniCredential", "https://example.org/examples#BachelorDegree"],
        ["IdentityCredential"]]}}]}).to_string()).unwrap();
    let ldp = |types: Value| CandidateCredential {
        id: "l".into(),
        format: "ldp_vc".into(),
        selectively_disclosable: None,
        claims: json!({"type": types}),
    };
    assert!(
        dcql::select(
            &q,
            &[ldp(json!(["VerifiableCredential", "IdentityCredential"]))]
        )
        .unwrap()
        .satisfiable
    );
    assert!(
        dcql::select(
            &q,
            &[ldp(json!([
                "https://example.org/examples#BachelorDegree",
                "https://example.org/examples#AlumniCredential"
            ]))]
        )
        .unwrap()
        .satisfiable
    );
    assert!(
        !dcql::select(
            &q,
            &[ldp(json!(["https://example.org/examples#BachelorDegree"]))]
        )
        .unwrap()
        .satisfiable
    );
    // Without claims nothing selectively disclosable is requested.
    let sel = dcql::select(&q, &[ldp(json!(["IdentityCredential"]))]).unwrap();
    assert!(sel.queries[0].candidates[0].disclose.is_empty());
}

#[test]
fn claims_path_pointer_example_from_section_7() {
    let doc = json!({"name": "Arthur Dent", "address": {"street_address": "42 Market Street", "locality": "Milliways", "postal_code": "12345"},
        "degrees": [{"type": "Bachelor of Science", "university": "University of Betelgeuse"}, {"type": "Master of Science", "university": "University of Betelgeuse"}],
        "nationalities": ["British", "Betelgeusian"]});
    let k = |s: &str| PathElement::Key(s.into());
    let r = dcql::process_path(&[k("name")], &doc).unwrap();
    assert_eq!(r[0].1, &json!("Arthur Dent"));
    let r = dcql::process_path(&[k("address"), k("street_address")], &doc).unwrap();
    assert_eq!(
        r[0],
        (
            "/address/street_address".to_owned(),
            &json!("42 Market Street")
        )
    );
    let r = dcql::process_path(&[k("degrees"), PathElement::All, k("type")], &doc).unwrap();
    assert_eq!(
        r.iter().map(|x| x.1.as_str().unwrap()).collect::<Vec<_>>(),
        ["Bachelor of Science", "Master of Science"]
    );
    let r = dcql::process_path(&[k("nationalities"), PathElement::Index(1)], &doc).unwrap();
    assert_eq!(r[0].1, &json!("Betelgeusian"));
    // A key applied to an array aborts (no claim).
    assert!(
        dcql::process_path(&[k("nationalities"), k("x")], &doc)
            .unwrap()
            .is_empty()
    );
}

fn bad(q: Value) -> DcqlError {
    DcqlQuery::parse(&q.to_string()).unwrap_err()
}

#[test]
fn validation_rules() {
    let cq = |extra: Value| {
        let mut c = json!({"id": "a", "format": "dc+sd-jwt", "meta": {}});
        for (k, v) in extra.as_object().unwrap() {
            c[k] = v.clone();
        }
        json!({"credentials": [c]})
    };
    assert_eq!(
        bad(json!({"credentials": []})),
        DcqlError::NoCredentialQueries
    );
    assert_eq!(
        bad(cq(json!({"id": "a b"}))),
        DcqlError::InvalidId("a b".into())
    );
    assert_eq!(bad(cq(json!({"id": ""}))), DcqlError::InvalidId("".into()));
    assert_eq!(
        bad(
            json!({"credentials": [{"id": "a", "format": "f", "meta": {}}, {"id": "a", "format": "f", "meta": {}}]})
        ),
        DcqlError::DuplicateCredentialId("a".into())
    );
    assert_eq!(
        bad(cq(json!({"format": ""}))),
        DcqlError::EmptyFormat("a".into())
    );
    assert!(matches!(
        bad(json!({"credentials": [{"id": "a", "format": "f"}]})),
        DcqlError::InvalidMeta { .. }
    ));
    assert!(matches!(
        bad(cq(json!({"meta": {"vct_values": []}}))),
        DcqlError::InvalidMeta { .. }
    ));
    assert!(matches!(
        bad(cq(json!({"meta": {"type_values": ["x"]}}))),
        DcqlError::InvalidMeta { .. }
    ));
    assert!(matches!(
        bad(cq(json!({"meta": {"doctype_value": 1}}))),
        DcqlError::InvalidMeta { .. }
    ));
    assert_eq!(
        bad(cq(json!({"claims": []}))),
        DcqlError::BadClaimsCount("a".into())
    );
    assert_eq!(
        bad(cq(json!({"claims": [{"path": []}]}))),
        DcqlError::InvalidPath("a".into())
    );
    assert!(matches!(
        bad(cq(json!({"claims": [{"path": [-1]}]}))),
        DcqlError::Malformed(_)
    ));
    assert!(matches!(
        bad(cq(json!({"claims": [{"path": [1.5]}]}))),
        DcqlError::Malformed(_)
    ));
    assert!(matches!(
        bad(cq(json!({"claims": [{"path": [{}]}]}))),
        DcqlError::Malformed(_)
    ));
    assert_eq!(
        bad(cq(json!({"claims": [{"path": ["x"], "values": []}]}))),
        DcqlError::InvalidValues("a".into())
    );
    assert_eq!(
        bad(cq(json!({"claims": [{"path": ["x"], "values": [1.5]}]}))),
        DcqlError::InvalidValues("a".into())
    );
    assert_eq!(
        bad(cq(json!({"claims": [{"path": ["x"], "values": [null]}]}))),
        DcqlError::InvalidValues("a".into())
    );
    assert!(matches!(
        bad(cq(
            json!({"claims": [{"id": "x", "path": ["x"]}, {"id": "x", "path": ["y"]}]})
        )),
        DcqlError::DuplicateClaimId { .. }
    ));
    assert_eq!(
        bad(cq(json!({"claim_sets": [["x"]]}))),
        DcqlError::ClaimSetsWithoutClaimIds("a".into())
    );
    assert_eq!(
        bad(cq(
            json!({"claims": [{"path": ["x"]}], "claim_sets": [["x"]]})
        )),
        DcqlError::ClaimSetsWithoutClaimIds("a".into())
    );
    assert_eq!(
        bad(cq(
            json!({"claims": [{"id": "x", "path": ["x"]}], "claim_sets": []})
        )),
        DcqlError::BadClaimSets("a".into())
    );
    assert_eq!(
        bad(cq(
            json!({"claims": [{"id": "x", "path": ["x"]}], "claim_sets": [[]]})
        )),
        DcqlError::BadClaimSets("a".into())
    );
    assert!(matches!(
        bad(cq(
            json!({"claims": [{"id": "x", "path": ["x"]}], "claim_sets": [["y"]]})
        )),
        DcqlError::UnknownClaimId { .. }
    ));
    assert_eq!(
        bad(cq(json!({"trusted_authorities": []}))),
        DcqlError::InvalidTrustedAuthorities("a".into())
    );
    assert_eq!(
        bad(cq(
            json!({"trusted_authorities": [{"type": "aki", "values": []}]})
        )),
        DcqlError::InvalidTrustedAuthorities("a".into())
    );
    let mut q = cq(json!({}));
    q["credential_sets"] = json!([]);
    assert_eq!(bad(q.clone()), DcqlError::BadCredentialSets);
    q["credential_sets"] = json!([{"options": [[]]}]);
    assert_eq!(bad(q.clone()), DcqlError::BadCredentialSets);
    q["credential_sets"] = json!([{"options": [["zzz"]]}]);
    assert_eq!(
        bad(q.clone()),
        DcqlError::UnknownCredentialQuery("zzz".into())
    );
    // Unknown properties MUST be ignored (§6).
    let mut q = cq(json!({"future": 1}));
    q["also_future"] = json!(true);
    DcqlQuery::parse(&q.to_string()).unwrap();
    // Defaults.
    let q = DcqlQuery::parse(&cq(json!({})).to_string()).unwrap();
    assert!(!q.credentials[0].multiple);
    assert!(q.credentials[0].require_cryptographic_holder_binding);
}

#[test]
fn limits() {
    assert_eq!(
        DcqlQuery::parse(&" ".repeat(dcql::MAX_QUERY_BYTES + 1)).unwrap_err(),
        DcqlError::TooLarge
    );
    let many: Vec<Value> = (0..=dcql::MAX_CREDENTIAL_QUERIES)
        .map(|i| json!({"id": format!("c{i}"), "format": "f", "meta": {}}))
        .collect();
    assert_eq!(
        bad(json!({"credentials": many})),
        DcqlError::TooManyCredentialQueries
    );
    let claims: Vec<Value> = (0..=dcql::MAX_CLAIMS)
        .map(|i| json!({"path": [format!("c{i}")]}))
        .collect();
    assert_eq!(
        bad(json!({"credentials": [{"id": "a", "format": "f", "meta": {}, "claims": claims}]})),
        DcqlError::BadClaimsCount("a".into())
    );
    let path: Vec<Value> = (0..=dcql::MAX_PATH_LEN).map(|_| Value::Null).collect();
    assert_eq!(
        bad(
            json!({"credentials": [{"id": "a", "format": "f", "meta": {}, "claims": [{"path": path}]}]})
        ),
        DcqlError::InvalidPath("a".into())
    );
    // Selection blow-up: null over a wide array of wide arrays.
    let wide = Value::Array(
        (0..40)
            .map(|_| Value::Array((0..40).map(|i| json!(i)).collect()))
            .collect(),
    );
    let doc = json!({"w": wide});
    let r = dcql::process_path(
        &[
            PathElement::Key("w".into()),
            PathElement::All,
            PathElement::All,
        ],
        &doc,
    );
    assert_eq!(r.unwrap_err(), DcqlError::TooManySelected);
}

fn response(
    pairs: &[(&str, Vec<CandidateCredential>)],
) -> BTreeMap<String, Vec<CandidateCredential>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

#[test]
fn verifier_accepts_satisfying_response() {
    let q = example("credentials_alternatives.json");
    let v = dcql::verify_response(
        &q,
        &response(&[(
            "other_pid",
            vec![sd(
                "o",
                "https://othercredentials.example/pid",
                json!({"given_name": "A", "family_name": "D", "address": {"street_address": "s"}}),
            )],
        )]),
    )
    .unwrap();
    assert_eq!(
        v.answered["other_pid"][0].1,
        set(&["/given_name", "/family_name", "/address/street_address"])
    );
}

#[test]
fn verifier_rejections() {
    let q = example("credentials_alternatives.json");
    let p = pid();
    assert_eq!(
        dcql::verify_response(&q, &response(&[("nope", vec![p.clone()])])),
        Err(DcqlError::UnexpectedResponseEntry("nope".into()))
    );
    assert_eq!(
        dcql::verify_response(&q, &response(&[("pid", vec![])])),
        Err(DcqlError::EmptyResponseEntry("pid".into()))
    );
    assert_eq!(
        dcql::verify_response(&q, &response(&[("pid", vec![p.clone(), p.clone()])])),
        Err(DcqlError::MultipleNotAllowed("pid".into()))
    );
    let mut wrong_format = p.clone();
    wrong_format.format = "vc+sd-jwt".into();
    assert_eq!(
        dcql::verify_response(&q, &response(&[("pid", vec![wrong_format])])),
        Err(DcqlError::FormatMismatch("pid".into()))
    );
    assert_eq!(
        dcql::verify_response(&q, &response(&[("other_pid", vec![p.clone()])])),
        Err(DcqlError::MetaMismatch("other_pid".into()))
    );
    let mut missing = p.clone();
    missing.claims.as_object_mut().unwrap().remove("address");
    assert_eq!(
        dcql::verify_response(&q, &response(&[("pid", vec![missing])])),
        Err(DcqlError::ClaimsNotSatisfied("pid".into()))
    );
    // Only the optional set answered: the required set is missing.
    let rewards = sd(
        "rw",
        "https://company.example/company_rewards",
        json!({"rewards_number": 7}),
    );
    assert!(matches!(
        dcql::verify_response(&q, &response(&[("nice_to_have", vec![rewards])])),
        Err(DcqlError::RequiredCredentialsMissing(_))
    ));
    // Without credential_sets every query must be answered.
    let q = example("multi_credentials.json");
    assert_eq!(
        dcql::verify_response(&q, &response(&[("pid", vec![p])])),
        Err(DcqlError::RequiredCredentialsMissing("mdl".into()))
    );
}

#[test]
fn verifier_multiple_allowed() {
    let q = DcqlQuery::parse(&json!({"credentials": [{"id": "m", "format": "dc+sd-jwt", "multiple": true, "meta": {"vct_values": [PID]}}]}).to_string()).unwrap();
    let v = dcql::verify_response(&q, &response(&[("m", vec![pid(), pid()])])).unwrap();
    assert_eq!(v.answered["m"].len(), 2);
}
