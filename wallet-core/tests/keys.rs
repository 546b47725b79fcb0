//! Keys and JWKs: published vectors (RFC 8032, RFC 7748), JWK round trips for every key
//! type, redaction of private material, and the validation every constructor performs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
mod rng;

use rng::{FailingRandom, SeededRandom};
use serde_json::Value;
use wallet_core::encoding::{b64u_encode, hex_decode};
use wallet_core::jwk::{Jwk, JwkError};
use wallet_core::keys::{
    Ed25519PrivateKey, Ed25519PublicKey, KeyError, KeyType, P256PrivateKey, P256PublicKey,
    PrivateKey, RsaPrivateKey, RsaPublicKey, X25519PrivateKey, X25519PublicKey,
};
use wallet_core::random::RandomError;

const RFC8032: &str = include_str!("../../tests/vectors/rfc8032/ed25519.json");
const RFC7748: &str = include_str!("../../tests/vectors/rfc7748/x25519.json");
const RFC7748_SCALARMULT: &str = include_str!("../../tests/vectors/rfc7748/x25519-scalarmult.json");
/// A fixed RSA-2048 key (RFC 7520 §3.4 is 2048 bits too, but its JWK lives with the JOSE
/// vectors); generated once so the browser suite never waits for RSA key generation.
const RSA_2048_JWK: &str = include_str!("../../tests/vectors/keys/rsa-2048.jwk.json");

fn hex(s: &str) -> Vec<u8> {
    hex_decode(s).unwrap()
}

#[test]
fn rfc8032_ed25519_vectors_sign_and_verify() {
    let cases: Vec<Value> = serde_json::from_str(RFC8032).unwrap();
    assert_eq!(cases.len(), 3);
    for case in cases {
        let sk = Ed25519PrivateKey::from_seed(&hex(case["secret_key"].as_str().unwrap())).unwrap();
        let pk = sk.public_key();
        assert_eq!(
            pk.to_bytes().to_vec(),
            hex(case["public_key"].as_str().unwrap())
        );
        let msg = hex(case["message"].as_str().unwrap());
        let sig = sk.sign(&msg);
        assert_eq!(
            sig.to_vec(),
            hex(case["signature"].as_str().unwrap()),
            "{}",
            case["name"]
        );
        pk.verify(&msg, &sig).unwrap();
        let mut bad = sig;
        bad[0] ^= 1;
        assert_eq!(pk.verify(&msg, &bad), Err(KeyError::BadSignature));
    }
}

#[test]
fn ed25519_rejects_non_canonical_s() {
    // S + L is the same scalar mod L; verify_strict (and RFC 8032 §5.1.7) rejects S >= L.
    let cases: Vec<Value> = serde_json::from_str(RFC8032).unwrap();
    let sk = Ed25519PrivateKey::from_seed(&hex(cases[0]["secret_key"].as_str().unwrap())).unwrap();
    let sig = sk.sign(b"");
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut forged = sig;
    let mut carry = 0u16;
    for i in 0..32 {
        let v = u16::from(sig[32 + i]) + u16::from(L[i]) + carry;
        forged[32 + i] = (v & 0xff) as u8;
        carry = v >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 256 bits for this vector");
    assert_eq!(
        sk.public_key().verify(b"", &forged),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn ed25519_rejects_weak_and_invalid_public_keys() {
    // The identity point (y = 1) has small order: a signature under it proves nothing.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    assert_eq!(
        Ed25519PublicKey::from_bytes(&identity),
        Err(KeyError::Invalid(KeyType::Ed25519))
    );
    assert_eq!(
        Ed25519PublicKey::from_bytes(&[1u8; 31]),
        Err(KeyError::Invalid(KeyType::Ed25519))
    );
}

#[test]
fn rfc7748_x25519_vector() {
    let v: Value = serde_json::from_str(RFC7748).unwrap();
    let a = X25519PrivateKey::from_bytes(&hex(v["alice_private"].as_str().unwrap())).unwrap();
    let b = X25519PrivateKey::from_bytes(&hex(v["bob_private"].as_str().unwrap())).unwrap();
    assert_eq!(
        a.public_key().to_bytes().to_vec(),
        hex(v["alice_public"].as_str().unwrap())
    );
    assert_eq!(
        b.public_key().to_bytes().to_vec(),
        hex(v["bob_public"].as_str().unwrap())
    );
    let k1 = a.agree(&b.public_key()).unwrap();
    let k2 = b.agree(&a.public_key()).unwrap();
    assert_eq!(k1.to_vec(), hex(v["shared"].as_str().unwrap()));
    assert_eq!(*k1, *k2);
}

/// RFC 7748 §5.2: X25519 itself, including a `u` with its top bit set, and the
/// iterated test (k, u) ← (X25519(k, u), k).
#[test]
fn rfc7748_x25519_function_vectors() {
    let v: Value = serde_json::from_str(RFC7748_SCALARMULT).unwrap();
    let x25519 = |k: &[u8], u: &[u8]| {
        X25519PrivateKey::from_bytes(k)
            .unwrap()
            .agree(&X25519PublicKey::from_bytes(u).unwrap())
            .unwrap()
            .to_vec()
    };
    for t in v["vectors"].as_array().unwrap() {
        let got = x25519(
            &hex(t["scalar"].as_str().unwrap()),
            &hex(t["u"].as_str().unwrap()),
        );
        assert_eq!(got, hex(t["output"].as_str().unwrap()));
    }
    let it = &v["iterated"];
    let mut k = hex(it["start"].as_str().unwrap());
    let mut u = k.clone();
    for i in 1..=1000 {
        let next = x25519(&k, &u);
        u = std::mem::replace(&mut k, next);
        if i == 1 {
            assert_eq!(k, hex(it["after_1"].as_str().unwrap()));
        }
    }
    assert_eq!(k, hex(it["after_1000"].as_str().unwrap()));
}

#[test]
fn x25519_rejects_low_order_peer() {
    let a = X25519PrivateKey::generate(&mut SeededRandom::new(b"x")).unwrap();
    // u = 0 and u = 1 are low-order points: the shared secret would be all zero.
    for u in [[0u8; 32], {
        let mut one = [0u8; 32];
        one[0] = 1;
        one
    }] {
        let peer = X25519PublicKey::from_bytes(&u).unwrap();
        assert_eq!(a.agree(&peer).map(|_| ()), Err(KeyError::NonContributory));
    }
}

#[test]
fn ed25519_to_x25519_conversion_is_consistent() {
    let sk = Ed25519PrivateKey::generate(&mut SeededRandom::new(b"conv")).unwrap();
    assert_eq!(sk.to_x25519().public_key(), sk.public_key().to_x25519());
    // And the derived key agrees with an independent X25519 key.
    let other = X25519PrivateKey::generate(&mut SeededRandom::new(b"other")).unwrap();
    assert_eq!(
        *sk.to_x25519().agree(&other.public_key()).unwrap(),
        *other.agree(&sk.public_key().to_x25519()).unwrap()
    );
}

#[test]
fn p256_sign_verify_and_ecdh() {
    let mut rng = SeededRandom::new(b"p256");
    let a = P256PrivateKey::generate(&mut rng).unwrap();
    let b = P256PrivateKey::generate(&mut rng).unwrap();
    let sig = a.sign_es256(b"hello");
    a.public_key().verify_es256(b"hello", &sig).unwrap();
    assert_eq!(
        a.public_key().verify_es256(b"hellO", &sig),
        Err(KeyError::BadSignature)
    );
    assert_eq!(*a.agree(&b.public_key()), *b.agree(&a.public_key()));
    // Compressed and uncompressed encodings name the same key.
    let (x, y) = a.public_key().coordinates();
    let from_xy = P256PublicKey::from_coordinates(&x, &y).unwrap();
    let from_c = P256PublicKey::from_sec1(&a.public_key().to_sec1_compressed()).unwrap();
    assert_eq!(from_xy, from_c);
}

#[test]
fn p256_rejects_zero_signature_components() {
    // CVE-2022-21449 ("psychic signatures"): r = s = 0 must never verify.
    let key = P256PrivateKey::generate(&mut SeededRandom::new(b"z")).unwrap();
    let pk = key.public_key();
    assert_eq!(
        pk.verify_es256(b"m", &[0u8; 64]),
        Err(KeyError::BadSignature)
    );
    let sig = key.sign_es256(b"m");
    let mut r_zero = sig;
    r_zero[..32].fill(0);
    assert_eq!(pk.verify_es256(b"m", &r_zero), Err(KeyError::BadSignature));
    let mut s_zero = sig;
    s_zero[32..].fill(0);
    assert_eq!(pk.verify_es256(b"m", &s_zero), Err(KeyError::BadSignature));
    // A DER-encoded or truncated signature is not the JOSE r||s form.
    assert_eq!(
        pk.verify_es256(b"m", &sig[..63]),
        Err(KeyError::BadSignature)
    );
}

#[test]
fn p256_rejects_points_off_the_curve() {
    let key = P256PrivateKey::generate(&mut SeededRandom::new(b"c")).unwrap();
    let (x, mut y) = key.public_key().coordinates();
    y[31] ^= 1;
    assert_eq!(
        P256PublicKey::from_coordinates(&x, &y),
        Err(KeyError::Invalid(KeyType::P256))
    );
    assert_eq!(
        P256PublicKey::from_coordinates(&x[..31], &y),
        Err(KeyError::Invalid(KeyType::P256))
    );
    assert_eq!(
        P256PrivateKey::from_bytes(&[0u8; 32]).err(),
        Some(KeyError::Invalid(KeyType::P256))
    );
    // The group order n itself is out of range.
    let n = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    assert_eq!(
        P256PrivateKey::from_bytes(&n).err(),
        Some(KeyError::Invalid(KeyType::P256))
    );
}

#[test]
fn rsa_oaep_round_trip_with_fixed_key() {
    let jwk = Jwk::from_json(RSA_2048_JWK).unwrap();
    let PrivateKey::Rsa(sk) = jwk.to_private_key().unwrap() else {
        panic!("not RSA")
    };
    let pk = sk.public_key();
    assert_eq!(pk.bits(), 2048);
    let mut rng = SeededRandom::new(b"oaep");
    let ct = pk
        .encrypt_oaep_sha256(&mut rng, b"secret data key")
        .unwrap();
    assert_eq!(ct.len(), 256);
    assert_eq!(
        sk.decrypt_oaep_sha256(&ct).unwrap().as_slice(),
        b"secret data key"
    );
    let mut tampered = ct.clone();
    tampered[10] ^= 0x40;
    assert_eq!(
        sk.decrypt_oaep_sha256(&tampered).err(),
        Some(KeyError::Decrypt)
    );
    // OAEP-SHA256 on 2048 bits carries at most 256 - 2*32 - 2 = 190 bytes.
    assert_eq!(
        pk.encrypt_oaep_sha256(&mut rng, &[0u8; 191]).err(),
        Some(KeyError::Encrypt)
    );
    assert_eq!(
        pk.encrypt_oaep_sha256(&mut FailingRandom, b"x").err(),
        Some(KeyError::Random(RandomError))
    );
}

#[test]
fn rsa_size_limits() {
    let jwk = Jwk::from_json(RSA_2048_JWK).unwrap();
    let n = wallet_core::encoding::b64u_decode(jwk.n.as_deref().unwrap()).unwrap();
    // Drop the top byte: a 2040-bit modulus is below the RFC 7518 minimum.
    assert_eq!(
        RsaPublicKey::from_components(&n[1..], &[1, 0, 1]),
        Err(KeyError::RsaSize(2040))
    );
    let huge = vec![0xffu8; 513];
    assert_eq!(
        RsaPublicKey::from_components(&huge, &[1, 0, 1]),
        Err(KeyError::RsaSize(4104))
    );
    assert_eq!(
        RsaPrivateKey::generate(&mut SeededRandom::new(b"r"), 1024).err(),
        Some(KeyError::RsaSize(1024))
    );
}

#[test]
fn jwk_round_trips_for_every_key_type() {
    let mut rng = SeededRandom::new(b"jwk");
    let mut keys = vec![
        PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap(),
        PrivateKey::generate(KeyType::P256, &mut rng).unwrap(),
        PrivateKey::generate(KeyType::X25519, &mut rng).unwrap(),
    ];
    keys.push(
        Jwk::from_json(RSA_2048_JWK)
            .unwrap()
            .to_private_key()
            .unwrap(),
    );
    for key in keys {
        let private = Jwk::from_private_key(&key).unwrap();
        assert!(private.is_private());
        let text = serde_json::to_string(&private).unwrap();
        let back = Jwk::from_json(&text).unwrap().to_private_key().unwrap();
        assert_eq!(back.public_key(), key.public_key());
        let public = private.to_public();
        assert!(!public.is_private());
        assert_eq!(public.to_public_key().unwrap(), key.public_key());
        assert_eq!(public.thumbprint().unwrap(), private.thumbprint().unwrap());
        assert_eq!(
            Jwk::from_public_key(&key.public_key())
                .to_public_key()
                .unwrap(),
            key.public_key()
        );
        assert_eq!(public.to_private_key().err(), Some(JwkError::NotPrivate));
    }
}

#[test]
fn jwk_debug_never_prints_private_material() {
    let key = PrivateKey::generate(KeyType::Ed25519, &mut SeededRandom::new(b"dbg")).unwrap();
    let jwk = Jwk::from_private_key(&key).unwrap();
    let d = jwk.d.as_ref().unwrap().secret().to_owned();
    let printed = format!("{jwk:?} {key:?}");
    assert!(!printed.contains(&d), "{printed}");
    assert!(printed.contains("[redacted]"));
    let PrivateKey::Ed25519(ed) = &key else {
        panic!()
    };
    assert!(!format!("{ed:?}").contains(&d));
    assert!(!format!("{:?}", ed.to_x25519()).contains(&b64u_encode(*ed.to_x25519().to_bytes())));
}

#[test]
fn jwk_private_key_must_match_public_members() {
    let mut rng = SeededRandom::new(b"mm");
    let a = Jwk::from_private_key(&PrivateKey::generate(KeyType::P256, &mut rng).unwrap()).unwrap();
    let b = Jwk::from_private_key(&PrivateKey::generate(KeyType::P256, &mut rng).unwrap()).unwrap();
    let spliced = Jwk {
        d: b.d.clone(),
        ..a
    };
    assert_eq!(
        spliced.to_private_key().err(),
        Some(JwkError::Key(KeyError::Mismatch))
    );
}

#[test]
fn jwk_rejections_are_specific() {
    let unsupported = Jwk::from_json(r#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#).unwrap();
    assert!(matches!(
        unsupported.to_public_key(),
        Err(JwkError::Unsupported { .. })
    ));
    let oct = Jwk::from_json(r#"{"kty":"oct","k":"AAAA"}"#).unwrap();
    assert!(matches!(
        oct.to_public_key(),
        Err(JwkError::Unsupported { .. })
    ));
    let missing = Jwk::from_json(r#"{"kty":"OKP","crv":"Ed25519"}"#).unwrap();
    assert_eq!(missing.to_public_key(), Err(JwkError::MissingMember("x")));
    let padded = Jwk::from_json(r#"{"kty":"OKP","crv":"X25519","x":"AAAA="}"#).unwrap();
    assert_eq!(padded.to_public_key(), Err(JwkError::BadEncoding("x")));
    let short = Jwk::from_json(r#"{"kty":"OKP","crv":"X25519","x":"AAAA"}"#).unwrap();
    assert_eq!(
        short.to_public_key(),
        Err(JwkError::Key(KeyError::Invalid(KeyType::X25519)))
    );
    assert!(matches!(Jwk::from_json("[]"), Err(JwkError::Malformed(_))));
    assert!(matches!(
        Jwk::from_json(r#"{"kty":1}"#),
        Err(JwkError::Malformed(_))
    ));
    let big = format!(r#"{{"kty":"OKP","pad":"{}"}}"#, "a".repeat(17 * 1024));
    assert!(matches!(Jwk::from_json(&big), Err(JwkError::Malformed(_))));
    assert!(matches!(
        Jwk {
            kty: "OKP".into(),
            crv: Some("X25519\",\"kty\":\"x".into()),
            ..Jwk::default()
        }
        .thumbprint(),
        Err(JwkError::Unsupported { .. })
    ));
}

#[test]
fn generation_surfaces_random_failures() {
    for t in [KeyType::Ed25519, KeyType::P256, KeyType::X25519] {
        assert_eq!(
            PrivateKey::generate(t, &mut FailingRandom)
                .err()
                .map(|e| e.to_string()),
            Some(KeyError::Random(RandomError).to_string())
        );
    }
}
