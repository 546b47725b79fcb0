//! Ed25519 and ES256 signing with aws-lc (`keys::NativeSigningKey`, feature
//! `native-crypto`) through `jws::sign_with`: RFC 8037 A.4 and the RFC 8032 §7.1
//! signature reproduced byte for byte, the same signatures as the pure-Rust path, ES256
//! signatures that verify with the pure-Rust verifier (RFC 7515 A.3 key), and the
//! refusals.
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "native-crypto")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use wallet_core::encoding::hex_decode;
use wallet_core::jwk::Jwk;
use wallet_core::jws::{self, Algorithm, Header, JwsError};
use wallet_core::keys::{
    Ed25519PrivateKey, KeyError, KeyType, NativeSigningKey, P256PrivateKey, PrivateKey,
    X25519PrivateKey,
};
use wallet_core::random::OsRandom;

const RFC8032: &str = include_str!("../../tests/vectors/rfc8032/ed25519.json");
const RFC8037: &str = include_str!("../../tests/vectors/rfc8037/ed25519-jws.json");
const RFC7515_A3: &str = include_str!("../../tests/vectors/rfc7515/jws-a3-es256.json");

fn hex(s: &str) -> Vec<u8> {
    hex_decode(s).unwrap()
}

#[test]
fn rfc8037_a4_jws_is_reproduced() {
    let v: Value = serde_json::from_str(RFC8037).unwrap();
    let key = Jwk::from_json(&v["A.1_private_jwk"].to_string())
        .unwrap()
        .to_private_key()
        .unwrap();
    let native = NativeSigningKey::from_private_key(&key).unwrap();
    assert_eq!(native.public_key(), key.public_key());
    let compact = jws::sign_with(
        &Header::new(Algorithm::EdDSA),
        v["A.4_payload"].as_str().unwrap().as_bytes(),
        &native,
    )
    .unwrap();
    assert_eq!(compact, v["A.4_compact"].as_str().unwrap());
}

#[test]
fn rfc8032_signatures_are_reproduced() {
    let cases: Vec<Value> = serde_json::from_str(RFC8032).unwrap();
    assert_eq!(cases.len(), 3);
    for case in &cases {
        let seed = hex(case["secret_key"].as_str().unwrap());
        let key = PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&seed).unwrap());
        let native = NativeSigningKey::from_private_key(&key).unwrap();
        let signature = native
            .sign(&hex(case["message"].as_str().unwrap()))
            .unwrap();
        assert_eq!(
            signature,
            hex(case["signature"].as_str().unwrap()),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn ed25519_signatures_equal_the_pure_rust_ones() {
    for i in 0..32usize {
        let key = PrivateKey::Ed25519(Ed25519PrivateKey::generate(&mut OsRandom).unwrap());
        let native = NativeSigningKey::from_private_key(&key).unwrap();
        let header = Header::new(Algorithm::EdDSA).with_kid(format!("k{i}"));
        let payload = vec![u8::try_from(i).unwrap(); i * 37];
        assert_eq!(
            jws::sign_with(&header, &payload, &native).unwrap(),
            jws::sign(&header, &payload, &key).unwrap()
        );
    }
}

#[test]
fn es256_signatures_verify_with_the_pure_rust_verifier() {
    let v: Value = serde_json::from_str(RFC7515_A3).unwrap();
    let key = Jwk::from_json(&v["key"].to_string())
        .unwrap()
        .to_private_key()
        .unwrap();
    let native = NativeSigningKey::from_private_key(&key).unwrap();
    assert_eq!(native.key_type(), KeyType::P256);
    assert_eq!(native.public_key(), key.public_key());
    let payload = v["payload"].as_str().unwrap().as_bytes();
    let header = Header::new(Algorithm::ES256);
    let a = jws::sign_with(&header, payload, &native).unwrap();
    let b = jws::sign_with(&header, payload, &native).unwrap();
    // A random nonce per signature (RFC 7518 §3.4 allows it); both verify.
    assert_ne!(a, b);
    for compact in [&a, &b] {
        let verified = jws::verify(compact, &key.public_key(), &[Algorithm::ES256]).unwrap();
        assert_eq!(verified.payload, payload);
    }
    // The RFC's own signature verifies with the same public key (the key was read right).
    jws::verify(
        v["compact"].as_str().unwrap(),
        &key.public_key(),
        &[Algorithm::ES256],
    )
    .unwrap();
    // And a fresh key, many times: the fixed-length r || s always verifies.
    let key = PrivateKey::P256(P256PrivateKey::generate(&mut OsRandom).unwrap());
    let native = NativeSigningKey::from_private_key(&key).unwrap();
    for i in 0..64usize {
        let payload = vec![u8::try_from(i).unwrap(); i * 11];
        let compact = jws::sign_with(&header, &payload, &native).unwrap();
        jws::verify(&compact, &key.public_key(), &[Algorithm::ES256]).unwrap();
    }
}

#[test]
fn other_key_types_and_algorithms_are_refused() {
    let x25519 = PrivateKey::X25519(X25519PrivateKey::generate(&mut OsRandom).unwrap());
    assert_eq!(
        NativeSigningKey::from_private_key(&x25519).unwrap_err(),
        KeyError::Invalid(KeyType::X25519)
    );
    let key = PrivateKey::Ed25519(Ed25519PrivateKey::generate(&mut OsRandom).unwrap());
    let native = NativeSigningKey::from_private_key(&key).unwrap();
    for alg in [Algorithm::ES256, Algorithm::RS256] {
        assert!(matches!(
            jws::sign_with(&Header::new(alg), b"x", &native),
            Err(JwsError::KeyMismatch { .. })
        ));
    }
    // Debug shows the public key only.
    let seed = match &key {
        PrivateKey::Ed25519(k) => wallet_core::encoding::b64u_encode(k.to_seed().as_slice()),
        _ => unreachable!(),
    };
    assert!(!format!("{native:?}").contains(&seed));
}
