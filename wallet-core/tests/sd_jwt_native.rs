//! SD-JWT parsing and verification never panic on arbitrary input (proptest).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::json;
use wallet_core::encoding::b64u_encode;
use wallet_core::jws::Algorithm;
use wallet_core::keys::{Ed25519PrivateKey, PrivateKey, PublicKey};
use wallet_core::sd_jwt::{
    self, Disclosure, IssuerKeyLookup, KeyBinding, SdJwt, SdJwtError, VerifyOptions,
};

fn key() -> PublicKey {
    PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&[7u8; 32]).unwrap()).public_key()
}

fn options() -> VerifyOptions<'static> {
    VerifyOptions {
        algorithms: &[Algorithm::EdDSA, Algorithm::ES256],
        now: 1_700_000_000,
        leeway: 30,
        key_binding: KeyBinding::Required {
            nonce: "n",
            aud: "a",
            max_age: 60,
        },
        expected_typ: None,
    }
}

fn resolve(_: &IssuerKeyLookup<'_>) -> Result<PublicKey, SdJwtError> {
    Ok(key())
}

/// Strings built from the pieces an SD-JWT is made of, to get past the first checks.
fn sd_jwt_like() -> impl Strategy<Value = String> {
    let json_piece = prop_oneof![
        Just(json!(["salt", "name", "value"]).to_string()),
        Just(json!(["salt", {"...": "x"}]).to_string()),
        Just(json!({"_sd": ["a", "a"], "_sd_alg": "sha-256"}).to_string()),
        Just(r#"{"alg":"EdDSA"}"#.to_owned()),
        Just(r#"{"alg":"none"}"#.to_owned()),
        ".{0,40}",
    ];
    let part = prop_oneof![
        json_piece.prop_map(b64u_encode),
        "[A-Za-z0-9_-]{0,30}",
        Just(String::new()),
    ];
    prop::collection::vec((part, prop_oneof![Just("~"), Just("."), Just("")]), 0..12).prop_map(
        |pieces| {
            pieces
                .into_iter()
                .map(|(p, sep)| format!("{p}{sep}"))
                .collect()
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_arbitrary_strings(s in ".{0,400}") {
        let _ = SdJwt::parse(&s);
        let _ = Disclosure::parse(&s);
        let _ = sd_jwt::verify(&s, resolve, &options());
    }

    #[test]
    fn verify_structured_garbage(s in sd_jwt_like()) {
        if let Ok(parsed) = SdJwt::parse(&s) {
            let _ = parsed.decode_unverified();
            let _ = parsed.present(&[], None);
        }
        prop_assert!(sd_jwt::verify(&s, resolve, &options()).is_err());
    }

    #[test]
    fn disclosure_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Disclosure::parse(&b64u_encode(&bytes));
    }
}
