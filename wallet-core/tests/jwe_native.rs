//! JWE interop against an independent implementation (node `jose`, run as a child process) and property tests of the JWE parsers.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[allow(dead_code)] // FailingRandom is exercised in tests/jwe.rs
#[path = "support/rng.rs"]
mod rng;

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use rng::SeededRandom;
use serde_json::Value;
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwe::{self, ContentEncryption, EncryptOptions, KeyManagement};
use wallet_core::jwk::Jwk;
use wallet_core::keys::{KeyType, PrivateKey, RsaPrivateKey};
use wallet_core::random::{OsRandom, SecureRandom};

const ENCS: [ContentEncryption; 2] = [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn vectors(file: &str) -> PathBuf {
    repo_root().join("tests/vectors/jwe-interop").join(file)
}

/// Runs `node tests/interop/jose.mjs <args>` and returns its trimmed stdout. Fails
/// (never skips) when node or the `jose` package is missing.
fn jose(args: &[&str]) -> String {
    let root = repo_root();
    assert!(
        root.join("node_modules/jose/package.json").is_file(),
        "node_modules/jose is missing: run `npm ci` at the repository root ({}) before these tests",
        root.display()
    );
    let out = Command::new("node")
        .arg("tests/interop/jose.mjs")
        .args(args)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `node` (is Node.js installed?): {e}"));
    assert!(
        out.status.success(),
        "node jose.mjs {} failed: {}",
        args.first().copied().unwrap_or_default(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn keys() -> Value {
    serde_json::from_str(&std::fs::read_to_string(vectors("keys.json")).unwrap()).unwrap()
}

fn private_jwk(key: &PrivateKey) -> String {
    serde_json::to_string(&Jwk::from_private_key(key).unwrap()).unwrap()
}

fn public_jwk(key: &PrivateKey) -> String {
    serde_json::to_string(&Jwk::from_public_key(&key.public_key())).unwrap()
}

fn oct_jwk(k: &[u8; 32]) -> String {
    serde_json::json!({"kty": "oct", "k": b64u_encode(k)}).to_string()
}

fn random_plaintext() -> Vec<u8> {
    let mut len = [0u8; 1];
    OsRandom.fill(&mut len).unwrap();
    let mut p = vec![0u8; usize::from(len[0]) * 7];
    OsRandom.fill(&mut p).unwrap();
    p
}

/// Fresh recipient keys, RSA generated natively (fast enough with optimised deps).
fn fresh_recipients() -> Vec<(PrivateKey, KeyManagement)> {
    let mut r = OsRandom;
    let p256 = || PrivateKey::generate(KeyType::P256, &mut OsRandom).unwrap();
    let x25519 = || PrivateKey::generate(KeyType::X25519, &mut OsRandom).unwrap();
    vec![
        (p256(), KeyManagement::EcdhEs),
        (p256(), KeyManagement::EcdhEsA256Kw),
        (x25519(), KeyManagement::EcdhEs),
        (x25519(), KeyManagement::EcdhEsA256Kw),
        (
            PrivateKey::Rsa(RsaPrivateKey::generate(&mut r, 2048).unwrap()),
            KeyManagement::RsaOaep256,
        ),
    ]
}

/// Every `alg` (and curve) with every `enc`: node jose is told which `enc` to accept,
/// so it refuses a JWE whose header names another.
#[test]
fn node_jose_decrypts_what_we_encrypt() {
    for (key, alg) in fresh_recipients() {
        for content in ENCS {
            let plaintext = random_plaintext();
            let options = EncryptOptions {
                enc: Some(content),
                ..EncryptOptions::with_kid("k1")
            };
            let compact =
                jwe::encrypt(&plaintext, &key.public_key(), alg, &options, &mut OsRandom).unwrap();
            let out = jose(&["decrypt", &private_jwk(&key), &compact, content.name()]);
            assert_eq!(
                out,
                b64u_encode(&plaintext),
                "node jose decrypting our {alg} {content} to {:?}",
                key.key_type()
            );
        }
    }
    // `dir` keys are A256GCM keys only.
    let k: [u8; 32] = OsRandom.bytes().unwrap();
    let plaintext = random_plaintext();
    let compact =
        jwe::encrypt_dir(&plaintext, &k, &EncryptOptions::default(), &mut OsRandom).unwrap();
    assert_eq!(
        jose(&["decrypt", &oct_jwk(&k), &compact, "A256GCM"]),
        b64u_encode(&plaintext)
    );
}

#[test]
fn we_decrypt_what_node_jose_encrypts() {
    for (key, alg) in fresh_recipients() {
        for content in ENCS {
            let plaintext = random_plaintext();
            let compact = jose(&[
                "encrypt",
                alg.name(),
                &public_jwk(&key),
                &b64u_encode(&plaintext),
                "k2",
                content.name(),
            ]);
            let out = jwe::decrypt(&compact, &key, &[alg]).unwrap();
            assert_eq!(
                out.plaintext.as_slice(),
                plaintext.as_slice(),
                "{alg} {content}"
            );
            assert_eq!(out.header.kid.as_deref(), Some("k2"));
            assert_eq!(out.header.enc, content, "{alg}");
        }
    }
    let k: [u8; 32] = OsRandom.bytes().unwrap();
    let plaintext = random_plaintext();
    let compact = jose(&["encrypt", "dir", &oct_jwk(&k), &b64u_encode(&plaintext)]);
    assert_eq!(
        jwe::decrypt_dir(&compact, &k).unwrap().plaintext.as_slice(),
        plaintext.as_slice()
    );
}

/// The OpenID4VP 1.0 §8.3 example response (decrypted by our code in `tests/jwe.rs`)
/// decrypts with node jose, as A128GCM, to the same bytes.
#[test]
fn node_jose_decrypts_the_oid4vp_vector() {
    let path = repo_root().join("tests/vectors/oid4vp/encrypted-response.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let out = jose(&[
        "decrypt",
        &v["recipient_private_key"].to_string(),
        v["response"].as_str().unwrap(),
        "A128GCM",
    ]);
    assert_eq!(out, b64u_encode(v["plaintext"].as_str().unwrap()));
}

/// Our deterministic vectors (`ours.json`) are reproduced and node jose decrypts them.
/// `JWE_REGENERATE_VECTORS=1` rewrites the file instead of comparing (after a
/// deliberate format change; review the diff).
#[test]
fn own_vectors_are_current_and_node_jose_decrypts_them() {
    let path = vectors("ours.json");
    let mut cases: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let keys = keys();
    let regenerate = std::env::var_os("JWE_REGENERATE_VECTORS").is_some();
    for case in cases.as_array_mut().unwrap() {
        let alg = KeyManagement::from_name(case["alg"].as_str().unwrap()).unwrap();
        let key_jwk = &keys[case["key"].as_str().unwrap()];
        let s = |n: &str| case[n].as_str().map(str::to_owned);
        let options = EncryptOptions {
            kid: s("kid"),
            typ: s("typ"),
            cty: s("cty"),
            apu: case["apu"].as_str().map(|v| b64u_decode(v).unwrap()),
            apv: case["apv"].as_str().map(|v| b64u_decode(v).unwrap()),
            enc: case["enc"]
                .as_str()
                .map(|e| ContentEncryption::from_name(e).unwrap()),
            ..EncryptOptions::default()
        };
        let mut rng = SeededRandom::new(case["seed"].as_str().unwrap().as_bytes());
        let plaintext = case["plaintext"].as_str().unwrap().as_bytes().to_vec();
        let compact = if alg == KeyManagement::Dir {
            let k: [u8; 32] = b64u_decode(key_jwk["k"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap();
            jwe::encrypt_dir(&plaintext, &k, &options, &mut rng).unwrap()
        } else {
            let jwk: Jwk = serde_json::from_value(key_jwk.clone()).unwrap();
            let to = jwk.to_public_key().unwrap();
            jwe::encrypt(&plaintext, &to, alg, &options, &mut rng).unwrap()
        };
        if regenerate {
            case["compact"] = Value::String(compact.clone());
        } else {
            assert_eq!(
                case["compact"].as_str().unwrap(),
                compact,
                "{}",
                case["name"]
            );
        }
        let enc = case["enc"].as_str().unwrap_or("A256GCM");
        let out = jose(&["decrypt", &key_jwk.to_string(), &compact, enc]);
        assert_eq!(
            out,
            b64u_encode(&plaintext),
            "node jose decrypting {}",
            case["name"]
        );
    }
    if regenerate {
        let text = serde_json::to_string_pretty(&cases).unwrap() + "\n";
        std::fs::write(&path, text).unwrap();
    }
}

/// The checked-in node jose vectors (`jose.json`) still decrypt with node jose itself
/// (they are also decrypted by our code in `tests/jwe.rs`, natively and in wasm).
#[test]
fn checked_in_jose_vectors_are_valid_for_node_jose() {
    let cases: Value =
        serde_json::from_str(&std::fs::read_to_string(vectors("jose.json")).unwrap()).unwrap();
    let keys = keys();
    for case in cases.as_array().unwrap() {
        let key_jwk = &keys[case["key"].as_str().unwrap()];
        let out = jose(&[
            "decrypt",
            &key_jwk.to_string(),
            case["compact"].as_str().unwrap(),
            case["enc"].as_str().unwrap_or("A256GCM"),
        ]);
        assert_eq!(
            out,
            b64u_encode(case["plaintext"].as_str().unwrap()),
            "{}",
            case["name"]
        );
    }
}

// ------------------------------------------------------------------ properties

fn fixed_keys() -> Vec<PrivateKey> {
    let mut r = SeededRandom::new(b"jwe proptest");
    vec![
        PrivateKey::generate(KeyType::P256, &mut r).unwrap(),
        PrivateKey::generate(KeyType::X25519, &mut r).unwrap(),
        PrivateKey::generate(KeyType::Ed25519, &mut r).unwrap(),
    ]
}

/// Five base64url parts over arbitrary bytes, the header sometimes a plausible one.
fn five_parts() -> impl Strategy<Value = String> {
    let header = prop_oneof![
        any::<Vec<u8>>(),
        (
            prop::sample::select(vec![
                "ECDH-ES",
                "ECDH-ES+A256KW",
                "dir",
                "RSA-OAEP-256",
                "none"
            ]),
            prop::sample::select(vec!["A256GCM", "A128GCM"]),
            any::<Vec<u8>>(),
            any::<[u8; 32]>(),
            prop::sample::select(vec!["P-256", "X25519", "Ed25519"]),
        )
            .prop_map(|(alg, enc, apu, x, crv)| {
                let kty = if crv == "P-256" { "EC" } else { "OKP" };
                serde_json::json!({
                    "alg": alg, "enc": enc, "apu": b64u_encode(&apu),
                    "epk": {"kty": kty, "crv": crv, "x": b64u_encode(x), "y": b64u_encode(x)}
                })
                .to_string()
                .into_bytes()
            }),
    ];
    (
        header,
        prop::collection::vec(any::<u8>(), 0..48),
        prop::collection::vec(any::<u8>(), 0..16),
        any::<Vec<u8>>(),
        prop::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(|(h, k, iv, c, t)| {
            [
                b64u_encode(h),
                b64u_encode(k),
                b64u_encode(iv),
                b64u_encode(c),
                b64u_encode(t),
            ]
            .join(".")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decrypt_never_panics_on_arbitrary_strings(s in ".*") {
        for key in fixed_keys() {
            prop_assert!(jwe::decrypt(&s, &key, &KeyManagement::ALL).is_err());
        }
        prop_assert!(jwe::decrypt_dir(&s, &[0u8; 32]).is_err());
        let _ = jwe::peek_header(&s);
    }

    #[test]
    fn decrypt_never_panics_on_structured_garbage(s in five_parts()) {
        for key in fixed_keys() {
            prop_assert!(jwe::decrypt(&s, &key, &KeyManagement::ALL).is_err());
        }
        prop_assert!(jwe::decrypt_dir(&s, &[0u8; 32]).is_err());
        let _ = jwe::peek_header(&s);
    }

    #[test]
    fn header_parser_never_panics(bytes in any::<Vec<u8>>(), text in "\\{.*\\}") {
        prop_assert!(jwe::Header::from_json(&bytes).is_err());
        let _ = jwe::Header::from_json(text.as_bytes());
    }

    #[test]
    fn round_trip_any_plaintext(plaintext in any::<Vec<u8>>(), seed in any::<[u8; 8]>()) {
        let mut r = SeededRandom::new(&seed);
        for key in fixed_keys().into_iter().take(2) {
            for alg in [KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw] {
                for content in ENCS {
                    let options = EncryptOptions { enc: Some(content), ..EncryptOptions::default() };
                    let c = jwe::encrypt(&plaintext, &key.public_key(), alg, &options, &mut r).unwrap();
                    let out = jwe::decrypt(&c, &key, &[alg]).unwrap();
                    prop_assert_eq!(out.plaintext.as_slice(), plaintext.as_slice());
                    prop_assert_eq!(out.header.enc, content);
                }
            }
        }
    }
}
