//! Data Integrity proofs: the W3C vc-di-eddsa `eddsa-jcs-2022` and vc-di-ecdsa
//! `ecdsa-jcs-2019` (P-256) test vectors, round trips, and one test per error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
#[allow(dead_code)]
mod rng;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use wallet_core::data_integrity::{
    Cryptosuite, DiError, MethodResolver, OfflineResolver, ProofExpectations, ProofOptions,
    ProofPurpose, ResolvedMethod, add_proof, hash_data, verify_proof, verify_proof_with_key,
    verify_proofs,
};
use wallet_core::did::{
    self, Did, DidError, DidUrl, Relationship, VerificationMethod, VerificationMethodFormat,
};
use wallet_core::encoding::{hex_encode, multibase_decode, multibase_encode};
use wallet_core::jcs::canonicalize;
use wallet_core::keys::{Ed25519PrivateKey, KeyType, P256PrivateKey, PrivateKey, PublicKey};

const ED_KEYPAIR: &str = include_str!("../../tests/vectors/vc-di-eddsa/keyPair.json");
const ED_CANON_DOC: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/canonDocJCS.txt");
const ED_DOC_HASH: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/docHashJCS.txt");
const ED_A_SIGNED: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-no-context/signedJCS.json");
const ED_A_PROOF_HASH: &str = include_str!(
    "../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-no-context/proofHashJCS.txt"
);
const ED_A_COMBINED: &str = include_str!(
    "../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-no-context/combinedHashJCS.txt"
);
const ED_A_SIG: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-no-context/sigBTC58JCS.txt");
const ED_B_SIGNED: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-context/signedJCS.json");
const ED_B_CONFIG: &str = include_str!(
    "../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-context/proofConfigJCS.json"
);
const ED_B_SIG_HEX: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-context/sigHexJCS.txt");
const ED_B_SIG: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/https-context/sigBTC58JCS.txt");
const ED_C_PROOF_CANON: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/didkey-context/proofCanonJCS.txt");
const ED_C_PROOF_HASH: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/didkey-context/proofHashJCS.txt");
const ED_C_COMBINED: &str = include_str!(
    "../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/didkey-context/combinedHashJCS.txt"
);
const ED_D_CONFIG: &str = include_str!(
    "../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/didkey-no-context/proofConfigJCS.json"
);
const ED_D_SIG_HEX: &str =
    include_str!("../../tests/vectors/vc-di-eddsa/eddsa-jcs-2022/didkey-no-context/sigHexJCS.txt");
/// vc-di-eddsa (W3C Recommendation), §A.3 eddsa-jcs-2022 example "signature of
/// combined hashes base58-btc" (see the vector README).
const ED_C_PROOF_VALUE: &str =
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX";

const P256_KEYPAIR: &str = include_str!("../../tests/vectors/vc-di-ecdsa/p256KeyPair.json");
const EC_SIGNED: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/didkey-no-context/signedJCSECDSAP256.json"
);
const EC_PROOF_CANON: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/didkey-no-context/proofCanonJCSECDSAP256.txt"
);
const EC_PROOF_HASH: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/didkey-no-context/proofHashJCSECDSAP256.txt"
);
const EC_COMBINED: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/didkey-no-context/combinedHashJCSECDSAP256.txt"
);
const EC_SIG: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/didkey-no-context/sigBTC58JCSECDSAP256.txt"
);
const EC_B_CONFIG: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/https-context/proofConfigJCSECDSAP256.json"
);
const EC_B_SIG_HEX: &str = include_str!(
    "../../tests/vectors/vc-di-ecdsa/ecdsa-jcs-2019-p256/https-context/sigHexJCSECDSAP256.txt"
);

const ED_DID: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
const CREATED: &str = "2023-02-24T23:36:38Z";
/// 2023-11-14, after `created` of the vectors.
const NOW: i64 = 1_700_000_000;

fn obj(json: &str) -> Map<String, Value> {
    match serde_json::from_str(json).unwrap() {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

/// Multikey secret: multicodec varint (2 bytes: 0x8026 ed25519-priv, 0x8626
/// p256-priv) then the 32-byte secret.
fn secret_from_keypair(json: &str, member: &str, codec: [u8; 2]) -> Vec<u8> {
    let kp = obj(json);
    let bytes = multibase_decode(kp[member].as_str().unwrap()).unwrap();
    assert_eq!(bytes[..2], codec);
    bytes[2..].to_vec()
}

fn ed_key() -> PrivateKey {
    PrivateKey::Ed25519(
        Ed25519PrivateKey::from_seed(&secret_from_keypair(
            ED_KEYPAIR,
            "privateKeyMultibase",
            [0x80, 0x26],
        ))
        .unwrap(),
    )
}

fn p256_key() -> PrivateKey {
    PrivateKey::P256(
        P256PrivateKey::from_bytes(&secret_from_keypair(
            P256_KEYPAIR,
            "secretKeyMultibase",
            [0x86, 0x26],
        ))
        .unwrap(),
    )
}

fn unsigned_doc() -> Map<String, Value> {
    let mut doc = obj(ED_A_SIGNED);
    doc.remove("proof");
    doc
}

fn sha256_hex(s: &str) -> String {
    hex_encode(Sha256::digest(s.as_bytes()))
}

fn ed_vm() -> DidUrl {
    DidUrl::parse(&format!("{ED_DID}#{}", &ED_DID[8..])).unwrap()
}

fn expect_assertion() -> ProofExpectations {
    ProofExpectations::new(ProofPurpose::AssertionMethod, NOW)
}

fn did_key_vm(key: &PrivateKey) -> DidUrl {
    let did = did::key::encode(&key.public_key()).unwrap();
    let fragment = did.method_specific_id().to_owned();
    did.with_fragment(&fragment).unwrap()
}

/// A freshly signed credential with challenge and domain, for the negative tests.
fn signed_with(options_edit: impl FnOnce(&mut ProofOptions)) -> Map<String, Value> {
    let key = ed_key();
    let mut options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        ed_vm(),
        ProofPurpose::Authentication,
    );
    options.created = Some(CREATED.into());
    options.challenge = Some("c-123".into());
    options.domain = vec!["https://rp.example".into()];
    options_edit(&mut options);
    add_proof(&unsigned_doc(), &options, &key).unwrap()
}

fn expect_auth() -> ProofExpectations {
    ProofExpectations {
        purpose: ProofPurpose::Authentication,
        challenge: Some("c-123".into()),
        domain: Some("https://rp.example".into()),
        now: NOW,
        skew_secs: 60,
    }
}

fn proof_mut(doc: &mut Map<String, Value>) -> &mut Map<String, Value> {
    doc.get_mut("proof").unwrap().as_object_mut().unwrap()
}

// ---------------------------------------------------------------- vectors ----

#[test]
fn eddsa_keypair_matches_public_multikey() {
    let key = ed_key();
    let did = did::key::encode(&key.public_key()).unwrap();
    assert_eq!(did.as_str(), ED_DID);
}

#[test]
fn eddsa_canonical_document_and_hash() {
    let canon = canonicalize(&Value::Object(unsigned_doc())).unwrap();
    assert_eq!(canon, ED_CANON_DOC);
    assert_eq!(sha256_hex(&canon), ED_DOC_HASH);
}

#[test]
fn eddsa_https_no_context_hashes_and_signature() {
    let signed = obj(ED_A_SIGNED);
    let mut config = signed["proof"].as_object().unwrap().clone();
    config.remove("proofValue");
    let hash = hash_data(&config, &unsigned_doc()).unwrap();
    assert_eq!(hex_encode(&hash[..32]), ED_A_PROOF_HASH);
    assert_eq!(hex_encode(hash), ED_A_COMBINED);
    let PrivateKey::Ed25519(k) = ed_key() else {
        panic!()
    };
    assert_eq!(multibase_encode(&k.sign(&hash)), ED_A_SIG);
    assert_eq!(signed["proof"]["proofValue"], ED_A_SIG);
}

#[test]
fn eddsa_https_no_context_signed_document_verifies() {
    let signed = obj(ED_A_SIGNED);
    let proof =
        verify_proof_with_key(&signed, &expect_assertion(), &ed_key().public_key()).unwrap();
    assert_eq!(proof.cryptosuite(), Cryptosuite::EddsaJcs2022);
    assert_eq!(proof.created(), Some(1_677_281_798));
}

#[test]
fn eddsa_https_context_signature_and_signed_document() {
    let config = obj(ED_B_CONFIG);
    let hash = hash_data(&config, &unsigned_doc()).unwrap();
    let PrivateKey::Ed25519(k) = ed_key() else {
        panic!()
    };
    let sig = k.sign(&hash);
    assert_eq!(hex_encode(sig), ED_B_SIG_HEX);
    assert_eq!(multibase_encode(&sig), ED_B_SIG);
    let signed = obj(ED_B_SIGNED);
    assert_eq!(signed["proof"]["proofValue"], ED_B_SIG);
    verify_proof_with_key(&signed, &expect_assertion(), &ed_key().public_key()).unwrap();
}

#[test]
fn eddsa_did_key_no_context_signature() {
    let config = obj(ED_D_CONFIG);
    let hash = hash_data(&config, &unsigned_doc()).unwrap();
    let PrivateKey::Ed25519(k) = ed_key() else {
        panic!()
    };
    assert_eq!(hex_encode(k.sign(&hash)), ED_D_SIG_HEX);
}

/// The current spec's algorithm (the document's `@context` copied into the proof),
/// through the public API: `add_proof` reproduces every intermediate and the
/// proofValue, and `verify_proof` resolves the did:key.
#[test]
fn eddsa_add_proof_reproduces_current_vector() {
    let mut options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        ed_vm(),
        ProofPurpose::AssertionMethod,
    );
    options.created = Some(CREATED.into());
    let signed = add_proof(&unsigned_doc(), &options, &ed_key()).unwrap();
    let mut config = signed["proof"].as_object().unwrap().clone();
    config.remove("proofValue");
    assert_eq!(
        canonicalize(&Value::Object(config.clone())).unwrap(),
        ED_C_PROOF_CANON
    );
    let hash = hash_data(&config, &unsigned_doc()).unwrap();
    assert_eq!(hex_encode(&hash[..32]), ED_C_PROOF_HASH);
    assert_eq!(hex_encode(hash), ED_C_COMBINED);
    assert_eq!(signed["proof"]["proofValue"], ED_C_PROOF_VALUE);

    let verified = verify_proof(&signed, &expect_assertion(), &OfflineResolver).unwrap();
    assert_eq!(verified.verification_method, ed_vm());
    assert_eq!(verified.controller.as_str(), ED_DID);
    assert_eq!(verified.cryptosuite, Cryptosuite::EddsaJcs2022);
    assert_eq!(verified.purpose, ProofPurpose::AssertionMethod);
    assert_eq!(verified.created, Some(1_677_281_798));
}

#[test]
fn ecdsa_keypair_matches_public_multikey() {
    let did = did::key::encode(&p256_key().public_key()).unwrap();
    assert_eq!(
        did.as_str(),
        "did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"
    );
}

#[test]
fn ecdsa_intermediates() {
    let signed = obj(EC_SIGNED);
    let mut doc = signed.clone();
    doc.remove("proof");
    assert_eq!(
        canonicalize(&Value::Object(doc.clone())).unwrap(),
        ED_CANON_DOC
    );
    let mut config = signed["proof"].as_object().unwrap().clone();
    config.remove("proofValue");
    assert_eq!(
        canonicalize(&Value::Object(config.clone())).unwrap(),
        EC_PROOF_CANON
    );
    let hash = hash_data(&config, &doc).unwrap();
    assert_eq!(hex_encode(&hash[..32]), EC_PROOF_HASH);
    assert_eq!(hex_encode(hash), EC_COMBINED);
    assert_eq!(signed["proof"]["proofValue"], EC_SIG);
    let PrivateKey::P256(sk) = p256_key() else {
        panic!()
    };
    assert_eq!(multibase_encode(&sk.sign_es256(&hash)), EC_SIG);
}

#[test]
fn ecdsa_signed_document_verifies_via_did_key() {
    let signed = obj(EC_SIGNED);
    let verified = verify_proof(&signed, &expect_assertion(), &OfflineResolver).unwrap();
    assert_eq!(verified.cryptosuite, Cryptosuite::EcdsaJcs2019);
    assert_eq!(
        verified.controller.as_str(),
        "did:key:zDnaepBuvsQ8cpsWrVKw8fbpGpvPeNSjVPTWoq6cRqaYzBKVP"
    );
}

#[test]
fn ecdsa_https_context_signature_verifies() {
    let config = obj(EC_B_CONFIG);
    let hash = hash_data(&config, &unsigned_doc()).unwrap();
    let sig = wallet_core::encoding::hex_decode(EC_B_SIG_HEX).unwrap();
    let PublicKey::P256(k) = p256_key().public_key() else {
        panic!()
    };
    k.verify_es256(&hash, &sig).unwrap();
    // The vector was made with a deterministic nonce (RFC 6979), as ours is: the
    // signature is reproduced byte for byte.
    let PrivateKey::P256(sk) = p256_key() else {
        panic!()
    };
    assert_eq!(hex_encode(sk.sign_es256(&hash)), EC_B_SIG_HEX);
}

#[test]
fn ecdsa_vector_tampered_claim_is_rejected() {
    let mut signed = obj(EC_SIGNED);
    signed["credentialSubject"]["alumniOf"] = json!("Another School");
    assert_eq!(
        verify_proof(&signed, &expect_assertion(), &OfflineResolver),
        Err(DiError::SignatureInvalid)
    );
}

#[test]
fn eddsa_vector_tampered_claim_is_rejected() {
    let mut signed = obj(ED_A_SIGNED);
    signed["validFrom"] = json!("2023-01-01T00:00:01Z");
    assert_eq!(
        verify_proof_with_key(&signed, &expect_assertion(), &ed_key().public_key()),
        Err(DiError::SignatureInvalid)
    );
}

// ------------------------------------------------------------- round trips ----

#[test]
fn ecdsa_round_trip_with_did_key_and_did_jwk() {
    let key = p256_key();
    let mut options = ProofOptions::new(
        Cryptosuite::EcdsaJcs2019,
        did_key_vm(&key),
        ProofPurpose::AssertionMethod,
    );
    options.created = Some(CREATED.into());
    let signed = add_proof(&unsigned_doc(), &options, &key).unwrap();
    verify_proof(&signed, &expect_assertion(), &OfflineResolver).unwrap();

    let jwk_did = did::jwk::encode_public_key(&key.public_key()).unwrap();
    options.verification_method = jwk_did.with_fragment("0").unwrap();
    let signed = add_proof(&unsigned_doc(), &options, &key).unwrap();
    let verified = verify_proof(&signed, &expect_assertion(), &OfflineResolver).unwrap();
    assert_eq!(verified.controller, jwk_did);
}

#[test]
fn authentication_proof_with_challenge_and_domains() {
    let signed = signed_with(|o| {
        o.domain = vec!["https://a.example".into(), "https://rp.example".into()];
        o.expires = Some("2030-01-01T00:00:00Z".into());
        o.nonce = Some("n".into());
    });
    assert!(signed["proof"]["domain"].is_array());
    let v = verify_proof(&signed, &expect_auth(), &OfflineResolver).unwrap();
    assert_eq!(v.challenge.as_deref(), Some("c-123"));
    assert_eq!(v.domain.len(), 2);
    assert_eq!(v.expires, Some(1_893_456_000));
}

#[test]
fn proof_set_is_appended_and_each_verifies() {
    let once = signed_with(|_| {});
    let key = p256_key();
    let mut options = ProofOptions::new(
        Cryptosuite::EcdsaJcs2019,
        did_key_vm(&key),
        ProofPurpose::Authentication,
    );
    options.challenge = Some("c-123".into());
    options.domain = vec!["https://rp.example".into()];
    let twice = add_proof(&once, &options, &key).unwrap();
    assert_eq!(twice["proof"].as_array().unwrap().len(), 2);
    assert_eq!(
        verify_proof(&twice, &expect_auth(), &OfflineResolver),
        Err(DiError::MultipleProofs(2))
    );
    let all = verify_proofs(&twice, &expect_auth(), &OfflineResolver).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].cryptosuite, Cryptosuite::EcdsaJcs2019);
}

// ------------------------------------------------------------- each error ----

#[test]
fn err_unsupported_cryptosuite() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert("cryptosuite".into(), json!("eddsa-rdfc-2022"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::UnsupportedCryptosuite("eddsa-rdfc-2022".into()))
    );
}

#[test]
fn err_unsupported_proof_type() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert("type".into(), json!("Ed25519Signature2020"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::UnsupportedProofType("Ed25519Signature2020".into()))
    );
}

#[test]
fn err_missing_proof_value() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).remove("proofValue");
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MissingProofValue)
    );
}

#[test]
fn err_bad_proof_value_encoding() {
    for bad in [
        json!("u3P6rHMU"),
        json!("z3P6rHMU"),
        json!("z0OIl"),
        json!(5),
    ] {
        let mut d = signed_with(|_| {});
        proof_mut(&mut d).insert("proofValue".into(), bad);
        assert_eq!(
            verify_proof(&d, &expect_auth(), &OfflineResolver),
            Err(DiError::BadProofValueEncoding)
        );
    }
}

#[test]
fn err_signature_invalid_tampered_claim_and_proof_option() {
    let mut d = signed_with(|_| {});
    d.insert("name".into(), json!("Forged"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::SignatureInvalid)
    );
    // The proof options are signed too.
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert("created".into(), json!("2023-02-24T23:36:39Z"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::SignatureInvalid)
    );
}

#[test]
fn err_challenge_mismatch_and_missing() {
    let d = signed_with(|_| {});
    let mut e = expect_auth();
    e.challenge = Some("other".into());
    assert_eq!(
        verify_proof(&d, &e, &OfflineResolver),
        Err(DiError::ChallengeMismatch)
    );
    let d = signed_with(|o| o.challenge = None);
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MissingChallenge)
    );
}

#[test]
fn err_domain_mismatch_and_missing() {
    let d = signed_with(|_| {});
    let mut e = expect_auth();
    e.domain = Some("https://evil.example".into());
    assert_eq!(
        verify_proof(&d, &e, &OfflineResolver),
        Err(DiError::DomainMismatch)
    );
    let d = signed_with(|o| o.domain.clear());
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MissingDomain)
    );
}

#[test]
fn err_purpose_mismatch() {
    let d = signed_with(|o| o.purpose = ProofPurpose::AssertionMethod);
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::PurposeMismatch {
            expected: ProofPurpose::Authentication,
            actual: "assertionMethod".into()
        })
    );
}

#[test]
fn err_proof_expired_with_skew() {
    let d = signed_with(|o| o.expires = Some("2023-11-14T22:13:00Z".into())); // NOW - 20 s
    let mut e = expect_auth();
    e.skew_secs = 60;
    verify_proof(&d, &e, &OfflineResolver).unwrap();
    e.skew_secs = 0;
    assert_eq!(
        verify_proof(&d, &e, &OfflineResolver),
        Err(DiError::ProofExpired {
            expires: NOW - 20,
            now: NOW
        })
    );
}

#[test]
fn err_created_in_future_with_skew() {
    let d = signed_with(|o| o.created = Some("2023-11-14T22:13:40Z".into())); // NOW + 20 s
    verify_proof(&d, &expect_auth(), &OfflineResolver).unwrap();
    let mut e = expect_auth();
    e.skew_secs = 10;
    assert_eq!(
        verify_proof(&d, &e, &OfflineResolver),
        Err(DiError::CreatedInFuture {
            created: NOW + 20,
            now: NOW
        })
    );
}

#[test]
fn err_verification_method_unresolvable() {
    let d = signed_with(|o| {
        o.verification_method = DidUrl::parse("did:web:issuer.example#key-1").unwrap();
    });
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::VerificationMethod(DidError::ResolverUnavailable(
            "did:web"
        )))
    );
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert(
        "verificationMethod".into(),
        json!("https://vc.example/key#1"),
    );
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::VerificationMethod(DidError::NotADid))
    );
}

#[test]
fn err_method_not_authorized_for_purpose() {
    // The X25519 key of the did:key is only in keyAgreement.
    let doc = did::resolve(&Did::parse(ED_DID).unwrap()).unwrap();
    let ka = doc.relationship(Relationship::KeyAgreement)[0].id().clone();
    let d = signed_with(|o| o.verification_method = ka.clone());
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MethodNotAuthorized {
            method: ka.to_string(),
            purpose: ProofPurpose::Authentication
        })
    );
}

#[test]
fn err_key_type_mismatch() {
    // Signing: a P-256 key with the EdDSA suite.
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        ed_vm(),
        ProofPurpose::AssertionMethod,
    );
    assert_eq!(
        add_proof(&unsigned_doc(), &options, &p256_key()),
        Err(DiError::KeyTypeMismatch {
            cryptosuite: Cryptosuite::EddsaJcs2022,
            key_type: KeyType::P256
        })
    );
    // Verifying: an Ed25519 did:key claimed as ecdsa-jcs-2019.
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert("cryptosuite".into(), json!("ecdsa-jcs-2019"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::KeyTypeMismatch {
            cryptosuite: Cryptosuite::EcdsaJcs2019,
            key_type: KeyType::Ed25519
        })
    );
}

struct ForeignController;
impl MethodResolver for ForeignController {
    fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError> {
        let method = VerificationMethod::for_key(
            url.clone(),
            Did::parse("did:example:someone-else").unwrap(),
            ed_key().public_key(),
            VerificationMethodFormat::Multikey,
        )?;
        Ok(ResolvedMethod {
            method,
            relationships: vec![Relationship::Authentication],
        })
    }
}

#[test]
fn err_controller_mismatch() {
    let d = signed_with(|_| {});
    assert_eq!(
        verify_proof(&d, &expect_auth(), &ForeignController),
        Err(DiError::ControllerMismatch {
            method: ed_vm().to_string(),
            controller: "did:example:someone-else".into()
        })
    );
}

#[test]
fn err_context_mismatch() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert(
        "@context".into(),
        json!([
            "https://www.w3.org/ns/credentials/v2",
            "https://evil.example/ctx"
        ]),
    );
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::ContextMismatch)
    );
}

#[test]
fn err_document_context_changed_after_signing() {
    // The proof's @context replaces the document's: extra trailing document
    // contexts are allowed by the prefix rule but are not what was signed, so a
    // changed document context is caught by the prefix rule or the signature.
    let mut d = signed_with(|_| {});
    d.insert(
        "@context".into(),
        json!(["https://www.w3.org/2018/credentials/v1"]),
    );
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::ContextMismatch)
    );
}

#[test]
fn err_proof_chain_unsupported() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).insert("previousProof".into(), json!("urn:uuid:1"));
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::ProofChainUnsupported)
    );
}

#[test]
fn err_missing_and_malformed_proof() {
    let d = unsigned_doc();
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MissingProof)
    );
    for bad in [json!("proof"), json!([]), json!([1])] {
        let mut d = unsigned_doc();
        d.insert("proof".into(), bad);
        assert_eq!(
            verify_proof(&d, &expect_auth(), &OfflineResolver),
            Err(DiError::MalformedProof)
        );
    }
}

#[test]
fn err_missing_and_invalid_proof_members() {
    let mut d = signed_with(|_| {});
    proof_mut(&mut d).remove("verificationMethod");
    assert_eq!(
        verify_proof(&d, &expect_auth(), &OfflineResolver),
        Err(DiError::MissingProofMember("verificationMethod"))
    );
    let cases = [
        ("created", json!("yesterday")),
        ("expires", json!("2030-01-01")),
        ("domain", json!(7)),
        ("domain", json!([])),
        ("challenge", json!(1)),
        ("proofPurpose", json!("keyAgreement")),
    ];
    for (name, value) in cases {
        let mut d = signed_with(|_| {});
        proof_mut(&mut d).insert(name.into(), value);
        assert_eq!(
            verify_proof(&d, &expect_auth(), &OfflineResolver),
            Err(DiError::InvalidProofMember(name)),
            "{name}"
        );
    }
}

#[test]
fn err_invalid_option_on_create() {
    let mut options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        ed_vm(),
        ProofPurpose::AssertionMethod,
    );
    options.created = Some("24 Feb 2023".into());
    assert_eq!(
        add_proof(&unsigned_doc(), &options, &ed_key()),
        Err(DiError::InvalidOption("created"))
    );
}

#[test]
fn err_too_large() {
    let mut deep = json!("x");
    for _ in 0..100 {
        deep = json!([deep]);
    }
    let mut d = unsigned_doc();
    d.insert("deep".into(), deep);
    let options = ProofOptions::new(
        Cryptosuite::EddsaJcs2022,
        ed_vm(),
        ProofPurpose::AssertionMethod,
    );
    assert_eq!(add_proof(&d, &options, &ed_key()), Err(DiError::TooLarge));
}

#[test]
fn seeded_keys_round_trip_both_suites() {
    let mut rng = rng::SeededRandom::new(b"data-integrity");
    for (suite, kt) in [
        (Cryptosuite::EddsaJcs2022, KeyType::Ed25519),
        (Cryptosuite::EcdsaJcs2019, KeyType::P256),
    ] {
        let key = PrivateKey::generate(kt, &mut rng).unwrap();
        let options = ProofOptions::new(suite, did_key_vm(&key), ProofPurpose::AssertionMethod);
        let signed = add_proof(&unsigned_doc(), &options, &key).unwrap();
        let v = verify_proof(&signed, &expect_assertion(), &OfflineResolver).unwrap();
        assert_eq!(v.created, None);
    }
}
