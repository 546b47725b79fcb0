//! Property tests: no byte string or JSON text makes a key or JWK parser panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use wallet_core::encoding::{b64u_decode, hex_decode, multibase_decode};
use wallet_core::jwk::Jwk;
use wallet_core::keys::{
    Ed25519PublicKey, P256PrivateKey, P256PublicKey, RsaPublicKey, X25519PublicKey,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn key_constructors_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let _ = Ed25519PublicKey::from_bytes(&bytes);
        let _ = X25519PublicKey::from_bytes(&bytes);
        let _ = P256PublicKey::from_sec1(&bytes);
        let _ = P256PrivateKey::from_bytes(&bytes);
        let half = bytes.len() / 2;
        let _ = P256PublicKey::from_coordinates(&bytes[..half], &bytes[half..]);
        let _ = RsaPublicKey::from_components(&bytes, &bytes);
    }

    #[test]
    fn encodings_never_panic(s in ".{0,64}") {
        let _ = b64u_decode(&s);
        let _ = hex_decode(&s);
        let _ = multibase_decode(&s);
    }

    #[test]
    fn jwk_from_arbitrary_text_never_panics(s in ".{0,256}") {
        if let Ok(jwk) = Jwk::from_json(&s) {
            let _ = jwk.to_public_key();
            let _ = jwk.to_private_key();
            let _ = jwk.thumbprint();
        }
    }

    #[test]
    fn jwk_with_arbitrary_members_never_panics(
        kty in prop::sample::select(vec!["OKP", "EC", "RSA", "oct", ""]),
        crv in prop::option::of(prop::sample::select(vec!["Ed25519", "X25519", "P-256", "P-521"])),
        x in prop::option::of("[A-Za-z0-9_-]{0,90}"),
        y in prop::option::of("[A-Za-z0-9_-]{0,90}"),
        d in prop::option::of("[A-Za-z0-9_-]{0,90}"),
    ) {
        let mut obj = serde_json::json!({"kty": kty});
        if let Some(c) = crv { obj["crv"] = c.into(); }
        if let Some(v) = &x { obj["x"] = v.clone().into(); obj["n"] = v.clone().into(); }
        if let Some(v) = &y { obj["y"] = v.clone().into(); obj["e"] = v.clone().into(); }
        if let Some(v) = &d { obj["d"] = v.clone().into(); obj["p"] = v.clone().into(); obj["q"] = v.clone().into(); }
        let jwk = Jwk::from_json(&obj.to_string()).unwrap();
        let _ = jwk.to_public_key();
        let _ = jwk.to_private_key();
        let _ = jwk.thumbprint();
    }
}
