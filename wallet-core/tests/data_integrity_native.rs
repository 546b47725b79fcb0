//! Property tests: arbitrary proofs and documents into Data Integrity verification
//! give an error, never a panic; any change to a signed claim is detected.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use wallet_core::data_integrity::{
    Cryptosuite, DiError, OfflineResolver, ProofExpectations, ProofOptions, ProofPurpose,
    add_proof, verify_proof,
};
use wallet_core::did;
use wallet_core::keys::{Ed25519PrivateKey, PrivateKey};

fn doc() -> Map<String, Value> {
    let Value::Object(m) = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": "did:example:i",
        "credentialSubject": {"id": "did:example:s", "claim": "value"}
    }) else {
        panic!()
    };
    m
}

fn signed() -> Map<String, Value> {
    let key = PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&[9; 32]).unwrap());
    let d = did::key::encode(&key.public_key()).unwrap();
    let vm = d.with_fragment(d.method_specific_id()).unwrap();
    let options = ProofOptions::new(Cryptosuite::EddsaJcs2022, vm, ProofPurpose::AssertionMethod);
    add_proof(&doc(), &options, &key).unwrap()
}

fn member() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        ".{0,60}".prop_map(Value::String),
        Just(json!("DataIntegrityProof")),
        Just(json!("eddsa-jcs-2022")),
        Just(json!("ecdsa-jcs-2019")),
        Just(json!("assertionMethod")),
        Just(json!(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        )),
        "z[1-9A-HJ-NP-Za-km-z]{0,100}".prop_map(Value::String),
        prop::collection::vec(".{0,8}".prop_map(Value::String), 0..3).prop_map(Value::Array),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_proof_members_never_panic(
        name in prop::sample::select(vec!["type", "cryptosuite", "verificationMethod",
            "proofPurpose", "proofValue", "created", "expires", "challenge", "domain",
            "@context", "previousProof"]),
        value in member(),
    ) {
        let mut d = signed();
        d["proof"].as_object_mut().unwrap().insert(name.into(), value);
        let _ = verify_proof(&d, &ProofExpectations::new(ProofPurpose::AssertionMethod, 0), &OfflineResolver);
    }

    #[test]
    fn arbitrary_proof_objects_never_panic(
        members in prop::collection::btree_map(
            prop::sample::select(vec!["type", "cryptosuite", "verificationMethod",
                "proofPurpose", "proofValue", "created", "domain"]).prop_map(str::to_owned),
            member(), 0..8)
    ) {
        let mut d = doc();
        d.insert("proof".into(), Value::Object(members.into_iter().collect()));
        let _ = verify_proof(&d, &ProofExpectations::new(ProofPurpose::AssertionMethod, 0), &OfflineResolver);
    }

    #[test]
    fn any_changed_claim_is_detected(v in ".{0,20}") {
        prop_assume!(v != "value");
        let mut d = signed();
        d["credentialSubject"]["claim"] = Value::String(v);
        prop_assert_eq!(
            verify_proof(&d, &ProofExpectations::new(ProofPurpose::AssertionMethod, 0), &OfflineResolver),
            Err(DiError::SignatureInvalid)
        );
    }
}
