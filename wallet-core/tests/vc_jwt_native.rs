//! Property tests: arbitrary tokens and claims into VC-JWT / VP-JWT / vc+jwt
//! verification and decoding give an error, never a panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use wallet_core::data_integrity::OfflineResolver;
use wallet_core::encoding::b64u_encode;
use wallet_core::vc_jwt::{
    VpJwtExpectations, decode_vc_claims, verify_vc_jose, verify_vc_jwt, verify_vp_jwt,
};

fn expect() -> VpJwtExpectations {
    VpJwtExpectations {
        audience: "a".into(),
        nonce: "n".into(),
        now: 0,
        skew_secs: 0,
    }
}

fn small_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<i64>().prop_map(Value::from),
        ".{0,30}".prop_map(Value::String),
        Just(json!(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        )),
        Just(json!(
            "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
        )),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop::collection::btree_map(
            prop::sample::select(vec![
                "iss",
                "sub",
                "jti",
                "nbf",
                "exp",
                "vc",
                "vp",
                "aud",
                "nonce",
                "@context",
                "type",
                "issuer",
                "credentialSubject",
                "kid",
                "alg",
                "typ",
            ])
            .prop_map(str::to_owned),
            inner,
            0..6,
        )
        .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,300}") {
        let _ = verify_vc_jwt(&s, 0, 0);
        let _ = verify_vp_jwt(&s, &expect());
        let _ = verify_vc_jose(&s, 0, 0, &OfflineResolver);
    }

    #[test]
    fn structured_tokens_never_panic(h in small_json(), p in small_json(), sig in "[A-Za-z0-9_-]{0,90}") {
        let token = format!("{}.{}.{sig}", b64u_encode(h.to_string()), b64u_encode(p.to_string()));
        let _ = verify_vc_jwt(&token, 0, 0);
        let _ = verify_vp_jwt(&token, &expect());
        let _ = verify_vc_jose(&token, 0, 0, &OfflineResolver);
        if let Value::Object(claims) = p {
            let _ = decode_vc_claims(&claims);
        }
    }
}
