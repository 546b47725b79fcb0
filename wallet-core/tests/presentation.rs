//! Presentations: the wallet builds and signs a VP (Data Integrity, authentication,
//! challenge, domain) over JSON, VC-JWT and SD-JWT VC credentials, and the verifier
//! checks every signature, holder binding, validity, trust, status and PEX submission;
//! likewise for the OID4VP forms, a VP-JWT and an SD-JWT VC with key binding alone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
#[allow(dead_code)] // FailingRandom is not used here
mod rng;

use std::collections::{BTreeMap, BTreeSet};

use rng::SeededRandom;
use serde_json::{Map, Value, json};
use wallet_core::data_integrity::{
    self, Cryptosuite, DiError, OfflineResolver, ProofOptions, ProofPurpose,
};
use wallet_core::dcql::DcqlQuery;
use wallet_core::did::{self, Did, DidUrl};
use wallet_core::encoding::b64u_encode;
use wallet_core::jws::Algorithm;
use wallet_core::keys::{KeyType, PrivateKey};
use wallet_core::pex::{self, Disclosure, Envelope, PresentationDefinition, SubmissionChoice};
use wallet_core::presentation::{
    CredentialFormat, HolderKey, PresentationError, PresentationOptions, StatusPolicy,
    StoredCredential, TrustList, VerificationPolicy, VerifiedPresentation, build_presentation,
    candidate_from_stored, sd_jwt_reveal_paths, verify_dcql_response, verify_presentation,
    verify_presentation_against_compiled, verify_presentation_against_definition,
    verify_sd_jwt_presentation, verify_vp_jwt_presentation,
};
use wallet_core::sd_jwt::{
    self, ClaimPathElement as E, IssueOptions, KeyBindingParams, SdJwt, SdJwtError,
};
use wallet_core::status_list::{MIN_ENTRIES, StaticStatusLists, StatusList};
use wallet_core::vc::{
    CREDENTIALS_V2_CONTEXT, Credential, EmbeddedCredential, EnvelopedCredential,
    EnvelopedMediaType, Presentation, format_datetime,
};
use wallet_core::vc_jwt::{self, VcJwtError, VpJwtClaims};

/// The verifier's fixed clock: 2025-06-15T15:06:40Z.
const NOW: i64 = 1_750_000_000;
const CHALLENGE: &str = "7a1e0c3b5d9f4e2a8c6b0d1f3e5a7c9b";
const DOMAIN: &str = "https://provider.example";
const LIST_URL: &str = "https://issuer.example/status/1";
const VCT: &str = "https://credentials.example/identity";

struct Party {
    key: PrivateKey,
    did: Did,
    vm: DidUrl,
}

fn party(seed: &str, kt: KeyType) -> Party {
    let key = PrivateKey::generate(kt, &mut SeededRandom::new(seed.as_bytes())).unwrap();
    let did = did::key::encode(&key.public_key()).unwrap();
    let vm = did.with_fragment(did.method_specific_id()).unwrap();
    Party { key, did, vm }
}

fn holder() -> Party {
    party("holder", KeyType::Ed25519)
}

fn issuer() -> Party {
    party("issuer", KeyType::Ed25519)
}

fn ts(unix: i64) -> String {
    format_datetime(unix).unwrap()
}

fn suite_for(key: &PrivateKey) -> Cryptosuite {
    match key.key_type() {
        KeyType::P256 => Cryptosuite::EcdsaJcs2019,
        _ => Cryptosuite::EddsaJcs2022,
    }
}

fn unsigned_credential(issuer: &Did, subject: &Did) -> Map<String, Value> {
    json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        "type": ["VerifiableCredential", "ExampleIdentityCredential"],
        "issuer": issuer.as_str(),
        "validFrom": ts(NOW - 86_400),
        "validUntil": ts(NOW + 86_400 * 365),
        "credentialSubject": {
            "id": subject.as_str(),
            "name": "Alice Example",
            "birthDate": "1990-01-01"
        }
    })
    .as_object()
    .unwrap()
    .clone()
}

fn sign(doc: &Map<String, Value>, signer: &Party) -> Map<String, Value> {
    let options = ProofOptions::new(
        suite_for(&signer.key),
        signer.vm.clone(),
        ProofPurpose::AssertionMethod,
    );
    data_integrity::add_proof(doc, &options, &signer.key).unwrap()
}

/// A signed JSON credential from `issuer` to `subject`, after `edit`.
fn credential_with(
    issuer: &Party,
    subject: &Did,
    edit: impl FnOnce(&mut Map<String, Value>),
) -> Credential {
    let mut doc = unsigned_credential(&issuer.did, subject);
    edit(&mut doc);
    Credential::from_map(sign(&doc, issuer)).unwrap()
}

fn credential() -> Credential {
    credential_with(&issuer(), &holder().did, |_| {})
}

fn options() -> PresentationOptions {
    PresentationOptions::new(CHALLENGE, DOMAIN, ts(NOW - 5))
}

fn vp_by(holder: &Party, credentials: Vec<EmbeddedCredential>) -> String {
    let key = HolderKey {
        verification_method: &holder.vm,
        key: &holder.key,
    };
    build_presentation(&key, credentials, &options())
        .unwrap()
        .to_json()
}

fn vp(credentials: Vec<EmbeddedCredential>) -> String {
    vp_by(&holder(), credentials)
}

fn policy() -> VerificationPolicy {
    VerificationPolicy::new(
        CHALLENGE,
        DOMAIN,
        NOW,
        TrustList::issuers([issuer().did.to_string()]),
    )
}

fn no_lists() -> StaticStatusLists {
    StaticStatusLists::default()
}

fn verify(
    vp: &str,
    policy: &VerificationPolicy,
) -> Result<VerifiedPresentation, PresentationError> {
    verify_presentation(vp, policy, &OfflineResolver, &no_lists())
}

fn json_vc(c: Credential) -> EmbeddedCredential {
    EmbeddedCredential::Json(c)
}

// ---------------------------------------------------------------- happy paths

#[test]
fn ed25519_holder_and_eddsa_credential_verify() {
    let text = vp(vec![json_vc(credential())]);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["holder"], holder().did.as_str());
    assert_eq!(value["type"], json!(["VerifiablePresentation"]));
    assert_eq!(value["@context"][0], CREDENTIALS_V2_CONTEXT);
    let proof = &value["proof"];
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    assert_eq!(proof["proofPurpose"], "authentication");
    assert_eq!(proof["challenge"], CHALLENGE);
    assert_eq!(proof["domain"], DOMAIN);
    assert!(value.get("presentation_submission").is_none());

    let verified = verify(&text, &policy()).unwrap();
    assert_eq!(verified.holder, holder().did);
    assert_eq!(verified.challenge, CHALLENGE);
    assert_eq!(verified.domain, DOMAIN);
    let [c] = verified.credentials.as_slice() else {
        panic!("one credential")
    };
    assert_eq!(c.format, CredentialFormat::LdpVc);
    assert_eq!(c.issuer, issuer().did);
    assert_eq!(c.subjects, vec![holder().did.to_string()]);
    assert!(c.types.contains(&"ExampleIdentityCredential".to_owned()));
    assert_eq!(c.claims["credentialSubject"]["name"], "Alice Example");
    assert_eq!(c.index, 0);
    assert_eq!(c.raw, value["verifiableCredential"][0]);
}

#[test]
fn p256_issuer_ecdsa_credential_and_p256_holder_verify() {
    let p_issuer = party("p256-issuer", KeyType::P256);
    let p_holder = party("p256-holder", KeyType::P256);
    let cred = credential_with(&p_issuer, &p_holder.did, |_| {});
    assert_eq!(cred.proofs()[0]["cryptosuite"], "ecdsa-jcs-2019");
    let text = vp_by(&p_holder, vec![json_vc(cred)]);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(value["proof"]["cryptosuite"], "ecdsa-jcs-2019");
    let mut policy = policy();
    policy.trusted_issuers = TrustList::issuers([p_issuer.did.to_string()]);
    let verified = verify(&text, &policy).unwrap();
    assert_eq!(verified.holder, p_holder.did);
    assert_eq!(verified.credentials[0].issuer, p_issuer.did);
}

#[test]
fn vc_jwt_enveloped_verifies() {
    let issuer = issuer();
    let unsigned = Credential::from_map(unsigned_credential(&issuer.did, &holder().did)).unwrap();
    let token = vc_jwt::sign_vc_jwt(&unsigned, &issuer.vm, &issuer.key).unwrap();
    let env = EnvelopedCredential::new(EnvelopedMediaType::VcJwt, &token).unwrap();
    let text = vp(vec![EmbeddedCredential::Enveloped(env)]);
    let verified = verify(&text, &policy()).unwrap();
    let c = &verified.credentials[0];
    assert_eq!(c.format, CredentialFormat::JwtVcJson);
    assert_eq!(c.issuer, issuer.did);
    assert_eq!(c.claims["credentialSubject"]["name"], "Alice Example");
    assert_eq!(
        c.query_claims["vc"]["credentialSubject"]["name"],
        "Alice Example"
    );
    assert_eq!(c.query_claims["iss"], issuer.did.as_str());
}

fn sd_claims(exp: Option<i64>, nbf: Option<i64>) -> Map<String, Value> {
    let claims = json!({
        "given_name": "Alice",
        "family_name": "Example",
        "birthdate": "1990-01-01",
        "address": {"locality": "Springfield", "country": "US"}
    });
    sd_jwt::sd_jwt_vc_claims(
        issuer().did.as_str(),
        VCT,
        NOW - 86_400,
        exp,
        nbf,
        None,
        claims.as_object().unwrap().clone(),
    )
    .unwrap()
}

/// An SD-JWT VC bound (`cnf`) to `bound_to`, as issued (all disclosures).
fn issue_sd_jwt(bound_to: &Party, claims: &Map<String, Value>) -> String {
    let issuer = issuer();
    let holder_pk = bound_to.key.public_key();
    let opts = IssueOptions::sd_jwt_vc(Algorithm::EdDSA, issuer.vm.as_str(), Some(&holder_pk));
    let paths = vec![
        vec![E::from("given_name")],
        vec![E::from("family_name")],
        vec![E::from("birthdate")],
        vec![E::from("address")],
    ];
    sd_jwt::issue(
        claims,
        &paths,
        &opts,
        &issuer.key,
        &mut SeededRandom::new(b"sd-salts"),
    )
    .unwrap()
}

fn present_sd(issued: &str, signer: &Party, nonce: &str) -> String {
    let alg = match signer.key.key_type() {
        KeyType::P256 => Algorithm::ES256,
        _ => Algorithm::EdDSA,
    };
    let kb = KeyBindingParams {
        key: &signer.key,
        alg,
        nonce,
        aud: DOMAIN,
        iat: NOW - 2,
    };
    SdJwt::parse(issued)
        .unwrap()
        .present(
            &[vec![E::from("given_name")], vec![E::from("address")]],
            Some(&kb),
        )
        .unwrap()
}

fn sd_env(token: &str) -> EmbeddedCredential {
    EmbeddedCredential::Enveloped(
        EnvelopedCredential::new(EnvelopedMediaType::DcSdJwt, token).unwrap(),
    )
}

fn sd_presentation() -> String {
    let h = holder();
    present_sd(&issue_sd_jwt(&h, &sd_claims(None, None)), &h, CHALLENGE)
}

#[test]
fn sd_jwt_vc_enveloped_with_key_binding_verifies() {
    let text = vp(vec![sd_env(&sd_presentation())]);
    let verified = verify(&text, &policy()).unwrap();
    let c = &verified.credentials[0];
    assert_eq!(c.format, CredentialFormat::DcSdJwt);
    assert_eq!(c.issuer, issuer().did);
    assert_eq!(c.types, vec![VCT.to_owned()]);
    assert_eq!(c.claims["given_name"], "Alice");
    assert_eq!(c.claims["address"]["locality"], "Springfield");
    assert!(c.claims.get("family_name").is_none());
    assert!(c.claims.get("birthdate").is_none());
    let disclosed = c.disclosed_paths.clone().unwrap();
    assert_eq!(
        disclosed,
        BTreeSet::from(["/address".to_owned(), "/given_name".to_owned()])
    );
}

#[test]
fn mixed_credentials_are_indexed_in_order() {
    let issuer = issuer();
    let unsigned = Credential::from_map(unsigned_credential(&issuer.did, &holder().did)).unwrap();
    let token = vc_jwt::sign_vc_jwt(&unsigned, &issuer.vm, &issuer.key).unwrap();
    let text = vp(vec![
        json_vc(credential()),
        sd_env(&sd_presentation()),
        EmbeddedCredential::Enveloped(
            EnvelopedCredential::new(EnvelopedMediaType::VcJwt, &token).unwrap(),
        ),
    ]);
    let verified = verify(&text, &policy()).unwrap();
    let formats: Vec<_> = verified.credentials.iter().map(|c| c.format).collect();
    assert_eq!(
        formats,
        [
            CredentialFormat::LdpVc,
            CredentialFormat::DcSdJwt,
            CredentialFormat::JwtVcJson
        ]
    );
    let indices: Vec<_> = verified.credentials.iter().map(|c| c.index).collect();
    assert_eq!(indices, [0, 1, 2]);
}

fn definition() -> PresentationDefinition {
    PresentationDefinition::parse(
        &json!({
            "id": "login-definition",
            "input_descriptors": [
                {
                    "id": "identity",
                    "format": {"ldp_vc": {"proof_type": ["DataIntegrityProof"]}},
                    "constraints": {"fields": [
                        {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "ExampleIdentityCredential"}}},
                        {"path": ["$.credentialSubject.name"]}
                    ]}
                },
                {
                    "id": "sd-identity",
                    "format": {"dc+sd-jwt": {}},
                    "constraints": {
                        "limit_disclosure": "required",
                        "fields": [
                            {"path": ["$.vct"], "filter": {"type": "string", "const": VCT}},
                            {"path": ["$.given_name"]}
                        ]
                    }
                }
            ]
        })
        .to_string(),
    )
    .unwrap()
}

/// The wallet's whole PEX flow: candidates, select, reveal only what is asked,
/// submission, presentation.
fn pex_presentation(definition: &PresentationDefinition) -> String {
    let h = holder();
    let cred = credential();
    let issued = issue_sd_jwt(&h, &sd_claims(None, None));
    let candidates = vec![
        candidate_from_stored("ldp-1", StoredCredential::Json(&cred)).unwrap(),
        candidate_from_stored("sd-1", StoredCredential::SdJwt(&issued)).unwrap(),
    ];
    assert_eq!(candidates[1].format, "dc+sd-jwt");
    assert!(
        candidates[1]
            .selectively_disclosable
            .as_ref()
            .unwrap()
            .contains("/family_name")
    );
    let selection = pex::select(definition, &candidates).unwrap();
    assert!(selection.satisfiable);
    let mut embedded = Vec::new();
    let mut choices = Vec::new();
    for d in &selection.descriptors {
        let m = &d.candidates[0];
        let cand = &candidates[m.index];
        let entry = match (&cand.format[..], &m.disclosure) {
            ("dc+sd-jwt", Disclosure::Only(pointers)) => {
                let reveal = sd_jwt_reveal_paths(&cand.claims, pointers).unwrap();
                let kb = KeyBindingParams {
                    key: &h.key,
                    alg: Algorithm::EdDSA,
                    nonce: CHALLENGE,
                    aud: DOMAIN,
                    iat: NOW - 2,
                };
                let shown = SdJwt::parse(&issued)
                    .unwrap()
                    .present(&reveal, Some(&kb))
                    .unwrap();
                sd_env(&shown)
            }
            ("ldp_vc", Disclosure::Full) => json_vc(cred.clone()),
            other => panic!("unexpected {other:?}"),
        };
        choices.push(SubmissionChoice {
            descriptor_id: d.descriptor_id.clone(),
            vp_index: embedded.len(),
            format: cand.format.clone(),
        });
        embedded.push(entry);
    }
    let submission =
        pex::build_submission(definition, "submission-1", &Envelope::JsonVp, &choices).unwrap();
    let mut opts = options();
    opts.presentation_submission = Some(submission);
    let key = HolderKey {
        verification_method: &h.vm,
        key: &h.key,
    };
    build_presentation(&key, embedded, &opts).unwrap().to_json()
}

/// [`verify_presentation_against_definition`], checked to give the same answer as
/// [`verify_presentation_against_compiled`] with the definition compiled once.
fn against_definition(
    text: &str,
    def: &PresentationDefinition,
) -> Result<(VerifiedPresentation, pex::VerifiedSubmission), PresentationError> {
    let result =
        verify_presentation_against_definition(text, def, &policy(), &OfflineResolver, &no_lists());
    let compiled = pex::CompiledDefinition::new(def.clone()).unwrap();
    let again = verify_presentation_against_compiled(
        text,
        &compiled,
        &policy(),
        &OfflineResolver,
        &no_lists(),
    );
    assert_eq!(again, result);
    result
}

#[test]
fn pex_definition_select_submit_and_verify_end_to_end() {
    let def = definition();
    let text = pex_presentation(&def);
    let value: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        value["presentation_submission"]["definition_id"],
        "login-definition"
    );
    let (verified, submission) = against_definition(&text, &def).unwrap();
    assert_eq!(submission.descriptors.len(), 2);
    assert_eq!(
        submission.descriptors[1].credential_id,
        "$.verifiableCredential[1]"
    );
    // limit_disclosure required: only given_name was disclosed.
    let sd = &verified.credentials[1];
    assert_eq!(sd.claims["given_name"], "Alice");
    assert!(sd.claims.get("address").is_none());
    assert!(sd.claims.get("family_name").is_none());
}

#[test]
fn err_definition_without_submission() {
    let text = vp(vec![json_vc(credential())]);
    let err = against_definition(&text, &definition()).unwrap_err();
    assert_eq!(err, PresentationError::MissingSubmission);
}

#[test]
fn err_submission_that_does_not_satisfy_the_definition() {
    // The submission answers only one of two required descriptors.
    let def = definition();
    let choices = [SubmissionChoice {
        descriptor_id: "identity".into(),
        vp_index: 0,
        format: "ldp_vc".into(),
    }];
    let mut opts = options();
    opts.presentation_submission =
        Some(pex::build_submission(&def, "s", &Envelope::JsonVp, &choices).unwrap());
    let h = holder();
    let key = HolderKey {
        verification_method: &h.vm,
        key: &h.key,
    };
    let text = build_presentation(&key, vec![json_vc(credential())], &opts)
        .unwrap()
        .to_json();
    let err = against_definition(&text, &def).unwrap_err();
    assert_eq!(
        err,
        PresentationError::Pex(pex::PexError::MissingDescriptor("sd-identity".into()))
    );
}

#[test]
fn dcql_query_against_verified_credentials() {
    let text = vp(vec![json_vc(credential()), sd_env(&sd_presentation())]);
    let verified = verify(&text, &policy()).unwrap();
    let query = DcqlQuery::parse(
        &json!({"credentials": [{
            "id": "pid",
            "format": "dc+sd-jwt",
            "meta": {"vct_values": [VCT]},
            "claims": [{"path": ["given_name"]}]
        }]})
        .to_string(),
    )
    .unwrap();
    let ok = verify_dcql_response(
        &verified,
        &query,
        &BTreeMap::from([("pid".into(), vec![1])]),
    );
    assert!(ok.is_ok(), "{ok:?}");
    let err = verify_dcql_response(
        &verified,
        &query,
        &BTreeMap::from([("pid".into(), vec![7])]),
    )
    .unwrap_err();
    assert_eq!(err, PresentationError::UnknownCredentialIndex(7));
    // The JSON credential is not a dc+sd-jwt.
    let err = verify_dcql_response(
        &verified,
        &query,
        &BTreeMap::from([("pid".into(), vec![0])]),
    )
    .unwrap_err();
    assert!(matches!(err, PresentationError::Dcql(_)), "{err:?}");
}

#[test]
fn candidate_from_vc_jwt_uses_the_jwt_payload() {
    let issuer = issuer();
    let unsigned = Credential::from_map(unsigned_credential(&issuer.did, &holder().did)).unwrap();
    let token = vc_jwt::sign_vc_jwt(&unsigned, &issuer.vm, &issuer.key).unwrap();
    let c = candidate_from_stored("jwt-1", StoredCredential::VcJwt(&token)).unwrap();
    assert_eq!(c.format, "jwt_vc_json");
    assert_eq!(c.claims["vc"]["credentialSubject"]["name"], "Alice Example");
    assert!(c.selectively_disclosable.is_none());
    let err = candidate_from_stored("bad", StoredCredential::VcJwt("a.b.c")).unwrap_err();
    assert!(
        matches!(err, PresentationError::InvalidStoredCredential { ref id, .. } if id == "bad"),
        "{err:?}"
    );
}

#[test]
fn reveal_paths_resolve_pointers_and_reject_unknown_ones() {
    let claims = json!({"a": {"b/c": [10, {"d~e": 1}]}});
    let paths = sd_jwt_reveal_paths(&claims, &["/a/b~1c/1/d~0e".to_owned()]).unwrap();
    assert_eq!(
        paths,
        vec![vec![
            E::from("a"),
            E::from("b/c"),
            E::Index(1),
            E::from("d~e")
        ]]
    );
    for bad in ["/a/x", "a", "/a/b~1c/9", "/a/b~1c/x"] {
        let err = sd_jwt_reveal_paths(&claims, &[bad.to_owned()]).unwrap_err();
        assert_eq!(err, PresentationError::UnknownPointer(bad.into()));
    }
}

#[test]
fn builder_rejects_bad_options_and_keys() {
    let h = holder();
    let key = HolderKey {
        verification_method: &h.vm,
        key: &h.key,
    };
    let mut o = options();
    o.created = "yesterday".into();
    assert_eq!(
        build_presentation(&key, vec![], &o).unwrap_err(),
        PresentationError::InvalidOption("created")
    );
    let mut o = options();
    o.challenge = String::new();
    assert_eq!(
        build_presentation(&key, vec![], &o).unwrap_err(),
        PresentationError::InvalidOption("challenge")
    );
    let x = PrivateKey::generate(KeyType::X25519, &mut SeededRandom::new(b"x")).unwrap();
    let key = HolderKey {
        verification_method: &h.vm,
        key: &x,
    };
    assert_eq!(
        build_presentation(&key, vec![], &options()).unwrap_err(),
        PresentationError::UnsupportedHolderKey(KeyType::X25519)
    );
}

// ---------------------------------------------------------------- negatives

#[test]
fn err_tampered_claim() {
    let mut map = credential().into_map();
    map["credentialSubject"]["name"] = json!("Mallory");
    let tampered = Credential::from_map(map).unwrap();
    let err = verify(&vp(vec![json_vc(tampered)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::CredentialProof {
            index: 0,
            error: DiError::SignatureInvalid
        }
    );
}

#[test]
fn err_wrong_challenge() {
    let mut p = policy();
    p.challenge = "another-challenge".into();
    let err = verify(&vp(vec![json_vc(credential())]), &p).unwrap_err();
    assert_eq!(err, PresentationError::ChallengeMismatch);
}

#[test]
fn err_wrong_domain() {
    let mut p = policy();
    p.domain = "https://evil.example".into();
    let err = verify(&vp(vec![json_vc(credential())]), &p).unwrap_err();
    assert_eq!(err, PresentationError::DomainMismatch);
}

#[test]
fn err_holder_is_not_the_subject_unless_allowed() {
    let other = party("someone-else", KeyType::Ed25519);
    let cred = credential_with(&issuer(), &other.did, |_| {});
    let text = vp(vec![json_vc(cred)]);
    let err = verify(&text, &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::HolderMismatch {
            index: 0,
            subject: Some(other.did.to_string()),
            holder: holder().did.to_string(),
        }
    );
    let mut p = policy();
    p.allow_unbound_credentials = true;
    assert!(verify(&text, &p).is_ok());
}

#[test]
fn err_subject_without_id_is_unbound() {
    let cred = credential_with(&issuer(), &holder().did, |m| {
        m["credentialSubject"].as_object_mut().unwrap().remove("id");
    });
    let err = verify(&vp(vec![json_vc(cred)]), &policy()).unwrap_err();
    assert!(
        matches!(err, PresentationError::HolderMismatch { subject: None, .. }),
        "{err:?}"
    );
}

#[test]
fn err_expired_credential() {
    let cred = credential_with(&issuer(), &holder().did, |m| {
        m["validUntil"] = json!(ts(NOW - 3600));
    });
    let err = verify(&vp(vec![json_vc(cred)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::CredentialExpired {
            index: 0,
            not_after: NOW - 3600,
            now: NOW
        }
    );
}

#[test]
fn expiry_within_skew_is_accepted() {
    let cred = credential_with(&issuer(), &holder().did, |m| {
        m["validUntil"] = json!(ts(NOW - 30));
    });
    assert!(verify(&vp(vec![json_vc(cred)]), &policy()).is_ok());
}

#[test]
fn err_not_yet_valid_credential() {
    let cred = credential_with(&issuer(), &holder().did, |m| {
        m["validFrom"] = json!(ts(NOW + 3600));
    });
    let err = verify(&vp(vec![json_vc(cred)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::CredentialNotYetValid {
            index: 0,
            not_before: NOW + 3600,
            now: NOW
        }
    );
}

#[test]
fn err_expired_vc_jwt() {
    let issuer = issuer();
    let mut map = unsigned_credential(&issuer.did, &holder().did);
    map["validUntil"] = json!(ts(NOW - 3600));
    let token =
        vc_jwt::sign_vc_jwt(&Credential::from_map(map).unwrap(), &issuer.vm, &issuer.key).unwrap();
    let env = EnvelopedCredential::new(EnvelopedMediaType::VcJwt, &token).unwrap();
    let err = verify(&vp(vec![EmbeddedCredential::Enveloped(env)]), &policy()).unwrap_err();
    assert!(
        matches!(err, PresentationError::CredentialExpired { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn err_untrusted_issuer() {
    let rogue = party("rogue-issuer", KeyType::Ed25519);
    let cred = credential_with(&rogue, &holder().did, |_| {});
    let text = vp(vec![json_vc(cred)]);
    let err = verify(&text, &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::UntrustedIssuer {
            issuer: rogue.did.to_string()
        }
    );
    let mut p = policy();
    p.trusted_issuers = TrustList::AnyIssuer;
    assert!(verify(&text, &p).is_ok());
}

#[test]
fn err_issuer_not_the_signer() {
    // Claims the trusted issuer, signed by someone else.
    let rogue = party("rogue-issuer", KeyType::Ed25519);
    let doc = unsigned_credential(&issuer().did, &holder().did);
    let cred = Credential::from_map(sign(&doc, &rogue)).unwrap();
    let err = verify(&vp(vec![json_vc(cred)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::IssuerMismatch {
            index: 0,
            issuer: issuer().did.to_string(),
            signer: rogue.did.to_string(),
        }
    );
}

#[test]
fn err_unsupported_cryptosuite() {
    let mut map = credential().into_map();
    map["proof"]["cryptosuite"] = json!("bbs-2023");
    let cred = Credential::from_map(map).unwrap();
    let err = verify(&vp(vec![json_vc(cred)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::UnsupportedCryptosuite("bbs-2023".into())
    );
}

#[test]
fn err_vp_signed_by_a_key_not_of_the_holder() {
    let h = holder();
    let other = party("other-holder", KeyType::Ed25519);
    let text = vp(vec![json_vc(credential())]);
    let mut map: Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.remove("proof");
    // The presentation names the holder, the proof is made with another DID's key.
    let mut opts = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        other.vm.clone(),
        ProofPurpose::Authentication,
    );
    opts.challenge = Some(CHALLENGE.into());
    opts.domain = vec![DOMAIN.into()];
    let forged = data_integrity::add_proof(&map, &opts, &other.key).unwrap();
    let err = verify(&Value::Object(forged).to_string(), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::HolderKeyMismatch {
            holder: h.did.to_string(),
            signer: other.did.to_string(),
        }
    );
}

#[test]
fn err_vp_without_proof() {
    let text = vp(vec![json_vc(credential())]);
    let mut map: Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.remove("proof");
    let err = verify(&Value::Object(map).to_string(), &policy()).unwrap_err();
    assert_eq!(err, PresentationError::MissingProof);
}

#[test]
fn err_vp_without_holder() {
    let text = vp(vec![json_vc(credential())]);
    let mut map: Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.remove("holder");
    let err = verify(&Value::Object(map).to_string(), &policy()).unwrap_err();
    assert_eq!(err, PresentationError::MissingHolder);
}

#[test]
fn err_vp_tampered_after_signing() {
    let text = vp(vec![json_vc(credential())]);
    let mut map: Map<String, Value> = serde_json::from_str(&text).unwrap();
    map.insert("id".into(), json!("urn:uuid:added-later"));
    let err = verify(&Value::Object(map).to_string(), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::PresentationProof(DiError::SignatureInvalid)
    );
}

#[test]
fn err_too_many_credentials() {
    let creds: Vec<_> = (0..3).map(|_| json_vc(credential())).collect();
    let text = vp(creds);
    let mut p = policy();
    p.max_credentials = 2;
    let err = verify(&text, &p).unwrap_err();
    assert_eq!(
        err,
        PresentationError::TooManyCredentials { count: 3, max: 2 }
    );
}

#[test]
fn err_too_large() {
    let text = vp(vec![json_vc(credential())]);
    let mut p = policy();
    p.max_vp_bytes = 100;
    let err = verify(&text, &p).unwrap_err();
    assert_eq!(
        err,
        PresentationError::TooLarge {
            len: text.len(),
            max: 100
        }
    );
}

#[test]
fn err_not_a_presentation() {
    let err = verify(
        r#"{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"X"}"#,
        &policy(),
    )
    .unwrap_err();
    assert!(
        matches!(err, PresentationError::InvalidPresentation(_)),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- status

const LIST_INDEX: u64 = 94_567;

/// A status list credential for `purpose` with entry `LIST_INDEX` set to `bit`,
/// signed by `signer` (claiming `signer` as issuer).
fn status_list(purpose: &str, bit: u8, signer: &Party) -> Value {
    let mut list = StatusList::new(purpose, MIN_ENTRIES, 1).unwrap();
    list.set(LIST_INDEX, 1, bit).unwrap();
    let doc = json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": signer.did.as_str(),
        "validFrom": ts(NOW - 3600),
        "credentialSubject": {
            "id": format!("{LIST_URL}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": list.encode().unwrap()
        }
    });
    Value::Object(sign(doc.as_object().unwrap(), signer))
}

fn credential_with_status(purpose: &str) -> Credential {
    credential_with(&issuer(), &holder().did, |m| {
        m.insert(
            "credentialStatus".into(),
            json!({
                "id": format!("{LIST_URL}#{LIST_INDEX}"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": purpose,
                "statusListIndex": LIST_INDEX.to_string(),
                "statusListCredential": LIST_URL
            }),
        );
    })
}

fn lists(list: Value) -> StaticStatusLists {
    StaticStatusLists(BTreeMap::from([(LIST_URL.to_owned(), list)]))
}

fn verify_status(
    cred: Credential,
    source: &StaticStatusLists,
    status: StatusPolicy,
) -> Result<VerifiedPresentation, PresentationError> {
    let mut p = policy();
    p.status = status;
    verify_presentation(&vp(vec![json_vc(cred)]), &p, &OfflineResolver, source)
}

#[test]
fn status_bit_clear_passes() {
    let source = lists(status_list("revocation", 0, &issuer()));
    let cred = credential_with_status("revocation");
    assert!(verify_status(cred.clone(), &source, StatusPolicy::Required).is_ok());
    assert!(verify_status(cred, &source, StatusPolicy::IfPresent).is_ok());
}

#[test]
fn err_revoked() {
    let source = lists(status_list("revocation", 1, &issuer()));
    let cred = credential_with_status("revocation");
    let err = verify_status(cred.clone(), &source, StatusPolicy::IfPresent).unwrap_err();
    assert_eq!(err, PresentationError::Revoked { index: 0 });
    // Ignored on request.
    assert!(verify_status(cred, &source, StatusPolicy::Ignore).is_ok());
}

#[test]
fn err_suspended() {
    let source = lists(status_list("suspension", 1, &issuer()));
    let cred = credential_with_status("suspension");
    let err = verify_status(cred, &source, StatusPolicy::Required).unwrap_err();
    assert_eq!(err, PresentationError::Suspended { index: 0 });
}

#[test]
fn err_status_required_but_list_unavailable() {
    let cred = credential_with_status("revocation");
    let err = verify_status(cred, &no_lists(), StatusPolicy::Required).unwrap_err();
    assert!(
        matches!(err, PresentationError::StatusUnavailable { index: 0, .. }),
        "{err:?}"
    );
}

#[test]
fn err_status_required_but_credential_has_none() {
    let err = verify_status(credential(), &no_lists(), StatusPolicy::Required).unwrap_err();
    assert!(
        matches!(err, PresentationError::StatusUnavailable { index: 0, .. }),
        "{err:?}"
    );
    assert!(verify_status(credential(), &no_lists(), StatusPolicy::IfPresent).is_ok());
}

#[test]
fn err_status_list_signed_by_someone_else() {
    let rogue = party("rogue-issuer", KeyType::Ed25519);
    let source = lists(status_list("revocation", 0, &rogue));
    let err = verify_status(
        credential_with_status("revocation"),
        &source,
        StatusPolicy::IfPresent,
    )
    .unwrap_err();
    assert_eq!(
        err,
        PresentationError::StatusListIssuerMismatch {
            index: 0,
            list_issuer: rogue.did.to_string(),
            issuer: issuer().did.to_string(),
        }
    );
}

#[test]
fn err_status_list_tampered() {
    let mut list = status_list("revocation", 1, &issuer());
    // Flip the list back to "all clear" without re-signing.
    let clear = StatusList::new("revocation", MIN_ENTRIES, 1)
        .unwrap()
        .encode()
        .unwrap();
    list["credentialSubject"]["encodedList"] = json!(clear);
    let err = verify_status(
        credential_with_status("revocation"),
        &lists(list),
        StatusPolicy::IfPresent,
    )
    .unwrap_err();
    assert_eq!(
        err,
        PresentationError::StatusListProof {
            index: 0,
            error: DiError::SignatureInvalid
        }
    );
}

#[test]
fn err_status_purpose_not_served_by_list() {
    let source = lists(status_list("revocation", 0, &issuer()));
    let err = verify_status(
        credential_with_status("suspension"),
        &source,
        StatusPolicy::IfPresent,
    )
    .unwrap_err();
    assert!(
        matches!(err, PresentationError::Status { index: 0, .. }),
        "{err:?}"
    );
}

// ---------------------------------------------------------------- SD-JWT

#[test]
fn err_sd_jwt_forged_disclosure() {
    let shown = sd_presentation();
    let (sd_part, kb) = shown.rsplit_once('~').unwrap();
    let forged = b64u_encode(json!(["c2FsdHNhbHRzYWx0", "family_name", "Mallory"]).to_string());
    let token = format!("{sd_part}~{forged}~{kb}");
    let err = verify(&vp(vec![sd_env(&token)]), &policy()).unwrap_err();
    assert!(
        matches!(
            err,
            PresentationError::SdJwt {
                index: 0,
                error: SdJwtError::UnreferencedDisclosure(_)
            }
        ),
        "{err:?}"
    );
}

#[test]
fn err_sd_jwt_wrong_sd_hash() {
    // Drop a disclosure after the KB-JWT was made over the full set.
    let shown = sd_presentation();
    let parts: Vec<&str> = shown.split('~').collect();
    assert!(parts.len() >= 4);
    let mut kept: Vec<&str> = parts.clone();
    kept.remove(1);
    let token = kept.join("~");
    let err = verify(&vp(vec![sd_env(&token)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::SdJwt {
            index: 0,
            error: SdJwtError::WrongSdHash
        }
    );
}

#[test]
fn err_sd_jwt_kb_wrong_nonce() {
    let h = holder();
    let token = present_sd(&issue_sd_jwt(&h, &sd_claims(None, None)), &h, "stale-nonce");
    let err = verify(&vp(vec![sd_env(&token)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::SdJwt {
            index: 0,
            error: SdJwtError::KbNonceMismatch
        }
    );
}

#[test]
fn err_sd_jwt_without_key_binding() {
    let issued = issue_sd_jwt(&holder(), &sd_claims(None, None));
    let err = verify(&vp(vec![sd_env(&issued)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::SdJwt {
            index: 0,
            error: SdJwtError::KbMissing
        }
    );
}

#[test]
fn err_sd_jwt_bound_to_another_key() {
    // Issued to (and key-bound by) someone else, presented inside the holder's VP.
    let thief = party("thief", KeyType::Ed25519);
    let token = present_sd(
        &issue_sd_jwt(&thief, &sd_claims(None, None)),
        &thief,
        CHALLENGE,
    );
    let text = vp(vec![sd_env(&token)]);
    let err = verify(&text, &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::SdJwtHolderMismatch {
            index: 0,
            holder: holder().did.to_string()
        }
    );
    let mut p = policy();
    p.allow_unbound_credentials = true;
    assert!(verify(&text, &p).is_ok());
}

#[test]
fn err_sd_jwt_expired() {
    let h = holder();
    let token = present_sd(
        &issue_sd_jwt(&h, &sd_claims(Some(NOW - 3600), None)),
        &h,
        CHALLENGE,
    );
    let err = verify(&vp(vec![sd_env(&token)]), &policy()).unwrap_err();
    assert_eq!(
        err,
        PresentationError::CredentialExpired {
            index: 0,
            not_after: NOW - 3600,
            now: NOW
        }
    );
}

#[test]
fn err_sd_jwt_untrusted_issuer() {
    let mut p = policy();
    p.trusted_issuers = TrustList::issuers(["did:key:z6MkSomebodyElse"]);
    let err = verify(&vp(vec![sd_env(&sd_presentation())]), &p).unwrap_err();
    assert_eq!(
        err,
        PresentationError::UntrustedIssuer {
            issuer: issuer().did.to_string()
        }
    );
}

#[test]
fn err_sd_jwt_status_required() {
    let mut p = policy();
    p.status = StatusPolicy::Required;
    let err = verify(&vp(vec![sd_env(&sd_presentation())]), &p).unwrap_err();
    assert!(
        matches!(err, PresentationError::StatusUnavailable { index: 0, .. }),
        "{err:?}"
    );
}

// ------------------------------------- the OID4VP forms: VP-JWT, bare SD-JWT+KB

/// A VP-JWT by `signer` for a presentation whose `holder` is `holder`.
fn vp_jwt(signer: &Party, holder: &Did, credentials: Vec<Value>, nonce: &str) -> String {
    let vp = Presentation::from_value(json!({
        "@context": [CREDENTIALS_V2_CONTEXT],
        "type": ["VerifiablePresentation"],
        "holder": holder.as_str(),
        "verifiableCredential": credentials,
    }))
    .unwrap();
    let claims = VpJwtClaims {
        audience: DOMAIN.into(),
        nonce: nonce.into(),
        issued_at: NOW - 5,
        expires_at: Some(NOW + 300),
    };
    vc_jwt::sign_vp_jwt(&vp, &claims, &signer.vm, &signer.key).unwrap()
}

fn vc_jwt_of(subject: &Did) -> String {
    let issuer = issuer();
    let unsigned = Credential::from_map(unsigned_credential(&issuer.did, subject)).unwrap();
    vc_jwt::sign_vc_jwt(&unsigned, &issuer.vm, &issuer.key).unwrap()
}

fn verify_vp_jwt(
    token: &str,
    policy: &VerificationPolicy,
) -> Result<VerifiedPresentation, PresentationError> {
    verify_vp_jwt_presentation(token, policy, &OfflineResolver, &no_lists())
}

#[test]
fn vp_jwt_presentation_verifies_its_credentials() {
    let h = holder();
    let json = Value::Object(credential().as_map().clone());
    let token = vp_jwt(&h, &h.did, vec![json!(vc_jwt_of(&h.did)), json], CHALLENGE);
    let verified = verify_vp_jwt(&token, &policy()).unwrap();
    assert_eq!(verified.holder, h.did);
    assert_eq!(verified.challenge, CHALLENGE);
    assert_eq!(verified.domain, DOMAIN);
    let formats: Vec<_> = verified.credentials.iter().map(|c| c.format).collect();
    assert_eq!(
        formats,
        [CredentialFormat::JwtVcJson, CredentialFormat::LdpVc]
    );
    assert_eq!(verified.credentials[0].issuer, issuer().did);
    assert_eq!(
        verified.credentials[0].claims["credentialSubject"]["name"],
        "Alice Example"
    );
    assert_eq!(verified.credentials[1].index, 1);
}

#[test]
fn err_vp_jwt_presentation_binding_and_credentials() {
    let h = holder();
    let good = |nonce: &str| vp_jwt(&h, &h.did, vec![json!(vc_jwt_of(&h.did))], nonce);
    // nonce and aud stand for the challenge and the domain.
    assert_eq!(
        verify_vp_jwt(&good("another-nonce"), &policy()).unwrap_err(),
        PresentationError::ChallengeMismatch
    );
    let mut p = policy();
    p.domain = "decentralized_identifier:did:key:z6MkSomebodyElse".into();
    assert_eq!(
        verify_vp_jwt(&good(CHALLENGE), &p).unwrap_err(),
        PresentationError::DomainMismatch
    );
    // Signed by a key of someone who is not the holder.
    let mallory = party("mallory", KeyType::Ed25519);
    let forged = vp_jwt(&mallory, &h.did, vec![json!(vc_jwt_of(&h.did))], CHALLENGE);
    assert!(
        matches!(
            verify_vp_jwt(&forged, &policy()).unwrap_err(),
            PresentationError::PresentationJwt(VcJwtError::KidNotOfIssuer { .. })
        ),
        "a VP-JWT signed by another DID's key"
    );
    // A broken signature.
    let mut tampered = good(CHALLENGE);
    tampered.pop();
    tampered.push('A');
    let err = verify_vp_jwt(&tampered, &policy()).unwrap_err();
    assert!(
        matches!(err, PresentationError::PresentationJwt(_)),
        "{err:?}"
    );
    // The credentials inside get every check: holder binding, trust.
    let other = party("other", KeyType::Ed25519);
    let unbound = vp_jwt(&h, &h.did, vec![json!(vc_jwt_of(&other.did))], CHALLENGE);
    assert!(matches!(
        verify_vp_jwt(&unbound, &policy()).unwrap_err(),
        PresentationError::HolderMismatch { index: 0, .. }
    ));
    let mut p = policy();
    p.trusted_issuers = TrustList::issuers(["did:key:z6MkSomebodyElse"]);
    assert_eq!(
        verify_vp_jwt(&good(CHALLENGE), &p).unwrap_err(),
        PresentationError::UntrustedIssuer {
            issuer: issuer().did.to_string()
        }
    );
}

fn verify_sd(
    token: &str,
    policy: &VerificationPolicy,
) -> Result<VerifiedPresentation, PresentationError> {
    verify_sd_jwt_presentation(token, policy, &OfflineResolver, &no_lists())
}

#[test]
fn sd_jwt_presentation_names_the_holder_of_the_cnf_key() {
    for h in [holder(), party("p256-holder", KeyType::P256)] {
        let token = present_sd(&issue_sd_jwt(&h, &sd_claims(None, None)), &h, CHALLENGE);
        let verified = verify_sd(&token, &policy()).unwrap();
        // The did:key of the cnf key: the same holder as in a Data Integrity VP.
        assert_eq!(verified.holder, h.did);
        let [c] = verified.credentials.as_slice() else {
            panic!("one credential")
        };
        assert_eq!(c.format, CredentialFormat::DcSdJwt);
        assert_eq!(c.issuer, issuer().did);
        assert_eq!(c.claims["given_name"], "Alice");
        assert!(c.claims.get("family_name").is_none());
        assert_eq!(c.raw, Value::String(token.clone()));
    }
}

#[test]
fn err_sd_jwt_presentation_binding_and_trust() {
    let h = holder();
    let issued = issue_sd_jwt(&h, &sd_claims(None, None));
    let sd = |error| PresentationError::SdJwt { index: 0, error };
    assert_eq!(
        verify_sd(&present_sd(&issued, &h, "another-nonce"), &policy()).unwrap_err(),
        sd(SdJwtError::KbNonceMismatch)
    );
    let mut p = policy();
    p.domain = "decentralized_identifier:did:key:z6MkSomebodyElse".into();
    assert_eq!(
        verify_sd(&present_sd(&issued, &h, CHALLENGE), &p).unwrap_err(),
        sd(SdJwtError::KbAudienceMismatch)
    );
    // Without a Key Binding JWT, or with one by another key.
    let bare = SdJwt::parse(&issued)
        .unwrap()
        .present(&[vec![E::from("given_name")]], None)
        .unwrap();
    assert_eq!(
        verify_sd(&bare, &policy()).unwrap_err(),
        sd(SdJwtError::KbMissing)
    );
    let mallory = party("mallory", KeyType::Ed25519);
    assert!(matches!(
        verify_sd(&present_sd(&issued, &mallory, CHALLENGE), &policy()).unwrap_err(),
        PresentationError::SdJwt {
            index: 0,
            error: SdJwtError::KbSignature(_)
        }
    ));
    // No cnf key: nobody to bind the login to.
    let unbound = {
        let issuer = issuer();
        let opts = IssueOptions::sd_jwt_vc(Algorithm::EdDSA, issuer.vm.as_str(), None);
        sd_jwt::issue(
            &sd_claims(None, None),
            &[vec![E::from("given_name")]],
            &opts,
            &issuer.key,
            &mut SeededRandom::new(b"sd-salts"),
        )
        .unwrap()
    };
    assert_eq!(
        verify_sd(&unbound, &policy()).unwrap_err(),
        sd(SdJwtError::NoHolderKey)
    );
    let mut p = policy();
    p.trusted_issuers = TrustList::issuers(["did:key:z6MkSomebodyElse"]);
    assert_eq!(
        verify_sd(&present_sd(&issued, &h, CHALLENGE), &p).unwrap_err(),
        PresentationError::UntrustedIssuer {
            issuer: issuer().did.to_string()
        }
    );
}
