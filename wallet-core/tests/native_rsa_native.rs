//! RS256 signing with the constant-time aws-lc backend (`keys::RsaSigningKey`,
//! feature `native-crypto`) and `jws::sign_with`: RFC 7520 §4.1 reproduced exactly,
//! key generation, PKCS#8 round trip, and the refusals.
#![cfg(not(target_arch = "wasm32"))]
#![cfg(feature = "native-crypto")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use wallet_core::jwk::Jwk;
use wallet_core::jws::{self, Algorithm, Header, JwsError};
use wallet_core::keys::{KeyError, KeyType, PublicKey, RsaSigningKey};

const VECTOR: &str = include_str!("../../tests/vectors/rfc7520/jws-4.1-rs256-private-key.json");

fn vector() -> (Value, RsaSigningKey) {
    let v: Value = serde_json::from_str(VECTOR).unwrap();
    let jwk = Jwk::from_json(&v["key"].to_string()).unwrap();
    let key = RsaSigningKey::from_jwk(&jwk).unwrap();
    (v, key)
}

#[test]
fn rfc7520_4_1_signature_is_reproduced() {
    let (v, key) = vector();
    let header = Header::new(Algorithm::RS256).with_kid(v["protected"]["kid"].as_str().unwrap());
    let compact = jws::sign_with(&header, v["payload"].as_str().unwrap().as_bytes(), &key).unwrap();
    // PKCS#1 v1.5 signatures are deterministic: byte-for-byte the RFC's Figure 13.
    assert_eq!(compact, v["compact"].as_str().unwrap());
    let public = PublicKey::Rsa(key.public_key());
    jws::verify(&compact, &public, &[Algorithm::RS256]).unwrap();
}

#[test]
fn pkcs8_round_trip_keeps_the_key() {
    let (v, key) = vector();
    let der = key.to_pkcs8_der().unwrap();
    let again = RsaSigningKey::from_pkcs8_der(&der).unwrap();
    assert_eq!(again.public_key(), key.public_key());
    let header = Header::new(Algorithm::RS256).with_kid(v["protected"]["kid"].as_str().unwrap());
    let compact =
        jws::sign_with(&header, v["payload"].as_str().unwrap().as_bytes(), &again).unwrap();
    assert_eq!(compact, v["compact"].as_str().unwrap());
}

#[test]
fn generated_key_signs_verifiable_tokens() {
    let key = RsaSigningKey::generate(2048).unwrap();
    assert_eq!(key.public_key().bits(), 2048);
    let token = jws::sign_with(&Header::new(Algorithm::RS256), b"{}", &key).unwrap();
    let verified = jws::verify(
        &token,
        &PublicKey::Rsa(key.public_key()),
        &[Algorithm::RS256],
    )
    .unwrap();
    assert_eq!(verified.payload, b"{}");
    assert!(
        !format!("{key:?}").contains("d:"),
        "Debug must not print private material"
    );
}

#[test]
fn refusals() {
    let (_, key) = vector();
    assert_eq!(
        jws::sign_with(&Header::new(Algorithm::ES256), b"x", &key),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::ES256,
            key: KeyType::Rsa
        })
    );
    assert_eq!(
        RsaSigningKey::generate(1024).unwrap_err(),
        KeyError::RsaSize(1024)
    );
    assert_eq!(
        RsaSigningKey::from_pkcs8_der(b"not a key").unwrap_err(),
        KeyError::Invalid(KeyType::Rsa)
    );
    // A private JWK with an inconsistent member is refused by aws-lc's checks.
    let mut v: Value = serde_json::from_str(VECTOR).unwrap();
    v["key"]["dp"] = Value::String(v["key"]["dq"].as_str().unwrap().to_owned());
    let jwk = Jwk::from_json(&v["key"].to_string()).unwrap();
    assert_eq!(
        RsaSigningKey::from_jwk(&jwk).unwrap_err(),
        KeyError::Invalid(KeyType::Rsa)
    );
    // A public JWK has no private members.
    let public = Jwk::from_json(&v["key"].to_string()).unwrap().to_public();
    assert_eq!(
        RsaSigningKey::from_jwk(&public).unwrap_err(),
        KeyError::Invalid(KeyType::Rsa)
    );
}
