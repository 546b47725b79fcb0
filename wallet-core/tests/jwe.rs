//! JWE compact serialization: published vectors (RFC 7518 App. C, RFC 7520 §5.2/§5.5, OpenID4VP 1.0 §8.3), our own interop vectors (cross-checked with node `jose`), round trips and every rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
mod rng;

use rng::{FailingRandom, SeededRandom};
use serde_json::{Value, json};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwe::{
    self, ContentEncryption, EncryptOptions, JweError, KeyManagement, MAX_HEADER_LEN, MAX_JWE_LEN,
    concat_kdf,
};
use wallet_core::jwk::Jwk;
use wallet_core::keys::{
    Ed25519PrivateKey, KeyError, KeyType, P256PrivateKey, PrivateKey, PublicKey, X25519PrivateKey,
    X25519PublicKey,
};

const APPENDIX_C: &str = include_str!("../../tests/vectors/rfc7518/appendix-c.json");
const RFC7520_5_2: &str = include_str!(
    "../../tests/vectors/rfc7520/jwe-5_2.key_encryption_using_rsa-oaep_with_aes-gcm.json"
);
const RFC7520_5_5: &str = include_str!(
    "../../tests/vectors/rfc7520/jwe-5_5.key_agreement_using_ecdh-es_with_aes-cbc-hmac-sha2.json"
);
const OID4VP_RESPONSE: &str = include_str!("../../tests/vectors/oid4vp/encrypted-response.json");
const KEYS: &str = include_str!("../../tests/vectors/jwe-interop/keys.json");
const OTHER_RSA_2048: &str = include_str!("../../tests/vectors/keys/rsa-2048.jwk.json");
const OURS: &str = include_str!("../../tests/vectors/jwe-interop/ours.json");
const JOSE: &str = include_str!("../../tests/vectors/jwe-interop/jose.json");

const ECDH: [KeyManagement; 2] = [KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw];
const ALL: [KeyManagement; 4] = KeyManagement::ALL;
const ENCS: [ContentEncryption; 2] = [ContentEncryption::A128Gcm, ContentEncryption::A256Gcm];

fn json(s: &str) -> Value {
    serde_json::from_str(s).unwrap()
}

fn b64(v: &Value) -> Vec<u8> {
    b64u_decode(v.as_str().unwrap()).unwrap()
}

fn jwk(v: &Value) -> Jwk {
    serde_json::from_value(v.clone()).unwrap()
}

fn key(name: &str) -> PrivateKey {
    jwk(&json(KEYS)[name]).to_private_key().unwrap()
}

fn dir_key() -> [u8; 32] {
    b64(&json(KEYS)["dir"]["k"]).try_into().unwrap()
}

fn p256() -> PrivateKey {
    key("p256")
}

fn x25519() -> PrivateKey {
    key("x25519")
}

fn rsa() -> PrivateKey {
    key("rsa")
}

fn rng() -> SeededRandom {
    SeededRandom::new(b"jwe tests")
}

fn enc(plaintext: &[u8], to: &PrivateKey, alg: KeyManagement) -> String {
    jwe::encrypt(
        plaintext,
        &to.public_key(),
        alg,
        &EncryptOptions::default(),
        &mut rng(),
    )
    .unwrap()
}

fn enc_with(
    plaintext: &[u8],
    to: &PrivateKey,
    alg: KeyManagement,
    content: ContentEncryption,
) -> String {
    let options = EncryptOptions {
        enc: Some(content),
        ..EncryptOptions::default()
    };
    jwe::encrypt(plaintext, &to.public_key(), alg, &options, &mut rng()).unwrap()
}

/// Every public-key algorithm with each recipient curve or key type it supports.
fn recipients() -> Vec<(PrivateKey, KeyManagement)> {
    vec![
        (p256(), KeyManagement::EcdhEs),
        (p256(), KeyManagement::EcdhEsA256Kw),
        (x25519(), KeyManagement::EcdhEs),
        (x25519(), KeyManagement::EcdhEsA256Kw),
        (rsa(), KeyManagement::RsaOaep256),
    ]
}

fn parts(compact: &str) -> Vec<String> {
    compact.split('.').map(str::to_owned).collect()
}

fn join(p: &[String]) -> String {
    p.join(".")
}

/// A JWE with the given header and well-formed (but meaningless) other parts, for
/// checks that happen before any cryptography.
fn with_header(header: &Value) -> String {
    format!(
        "{}..{}.{}.{}",
        b64u_encode(header.to_string()),
        b64u_encode([0u8; 12]),
        b64u_encode(b"ciphertext"),
        b64u_encode([0u8; 16])
    )
}

/// Replaces the protected header of `compact` (the AAD changes, so only checks made
/// before authentication can pass or fail meaningfully).
fn replace_header(compact: &str, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
    let mut p = parts(compact);
    let mut header: serde_json::Map<String, Value> =
        serde_json::from_slice(&b64u_decode(&p[0]).unwrap()).unwrap();
    f(&mut header);
    p[0] = b64u_encode(Value::Object(header).to_string());
    join(&p)
}

fn flip(part: &str, index: usize) -> String {
    let mut bytes = b64u_decode(part).unwrap();
    bytes[index] ^= 0x01;
    b64u_encode(bytes)
}

// ---------------------------------------------------------------- published vectors

#[test]
fn rfc7518_appendix_c_ecdh_and_concat_kdf() {
    let v = json(APPENDIX_C);
    let z: Vec<u8> = serde_json::from_value(v["z"].clone()).unwrap();
    let bob = jwk(&v["bob_key"]).to_private_key().unwrap();
    let alice = jwk(&v["alice_ephemeral_key"]).to_private_key().unwrap();
    let (PrivateKey::P256(bob), PrivateKey::P256(alice)) = (&bob, &alice) else {
        panic!("P-256 keys expected");
    };
    assert_eq!(bob.agree(&alice.public_key()).as_slice(), z.as_slice());
    assert_eq!(alice.agree(&bob.public_key()).as_slice(), z.as_slice());

    let header = &v["header"];
    let mut derived = [0u8; 16];
    concat_kdf(
        &z,
        header["enc"].as_str().unwrap(),
        &b64(&header["apu"]),
        &b64(&header["apv"]),
        &mut derived,
    )
    .unwrap();
    assert_eq!(v["keydatalen"], 128);
    let expected: Vec<u8> = serde_json::from_value(v["derived_key"].clone()).unwrap();
    assert_eq!(derived.as_slice(), expected.as_slice());
    assert_eq!(b64u_encode(derived), "VqqN6vgjbSBcIijNcacQGg");
    assert_eq!(v["derived_key_b64u"], "VqqN6vgjbSBcIijNcacQGg");
}

#[test]
fn rfc7520_5_5_ecdh_es_p256_derived_cek() {
    // §5.5 derives a 256-bit key for A128CBC-HS256 (no apu/apv): the same ECDH-ES
    // computation our A256GCM direct mode runs, with AlgorithmID = the enc name.
    let v = json(RFC7520_5_5);
    let PrivateKey::P256(recipient) = jwk(&v["input"]["key"]).to_private_key().unwrap() else {
        panic!("P-256 key expected");
    };
    let PublicKey::P256(epk) = jwk(&v["encrypting_content"]["protected"]["epk"])
        .to_public_key()
        .unwrap()
    else {
        panic!("P-256 epk expected");
    };
    let z = recipient.agree(&epk);
    let mut cek = [0u8; 32];
    concat_kdf(z.as_slice(), "A128CBC-HS256", b"", b"", &mut cek).unwrap();
    assert_eq!(
        b64u_encode(cek),
        v["encrypting_key"]["cek"].as_str().unwrap()
    );
}

#[test]
fn rfc7520_5_5_unsupported_enc_is_rejected() {
    let v = json(RFC7520_5_5);
    let recipient = jwk(&v["input"]["key"]).to_private_key().unwrap();
    let compact = v["output"]["compact"].as_str().unwrap();
    assert_eq!(
        jwe::decrypt(compact, &recipient, &ALL).unwrap_err(),
        JweError::UnsupportedEncryption("A128CBC-HS256".into())
    );
}

#[test]
fn rfc7520_5_2_a256gcm_content_encryption() {
    let v = json(RFC7520_5_2);
    let cek = b64(&v["generated"]["cek"]);
    let iv: [u8; 12] = b64(&v["generated"]["iv"]).try_into().unwrap();
    let content = &v["encrypting_content"];
    let aad = content["protected_b64u"].as_str().unwrap().as_bytes();
    let plaintext = v["input"]["plaintext"].as_str().unwrap().as_bytes();

    let (ciphertext, tag) = ContentEncryption::A256Gcm
        .encrypt(&cek, &iv, aad, plaintext)
        .unwrap();
    assert_eq!(
        b64u_encode(&ciphertext),
        content["ciphertext"].as_str().unwrap()
    );
    assert_eq!(b64u_encode(tag), content["tag"].as_str().unwrap());

    let decrypted = ContentEncryption::A256Gcm
        .decrypt(
            &cek,
            &iv,
            aad,
            &b64(&content["ciphertext"]),
            &b64(&content["tag"]).try_into().unwrap(),
        )
        .unwrap();
    assert_eq!(decrypted.as_slice(), plaintext);
}

#[test]
fn oid4vp_encrypted_response_decrypts() {
    // OpenID4VP 1.0 §8.3: ECDH-ES + A128GCM to the Verifier's P-256 key "ac".
    let v = json(OID4VP_RESPONSE);
    let PrivateKey::P256(verifier) = jwk(&v["recipient_private_key"]).to_private_key().unwrap()
    else {
        panic!("P-256 key expected");
    };
    let compact = v["response"].as_str().unwrap();
    let out = jwe::decrypt(
        compact,
        &PrivateKey::P256(verifier),
        &[KeyManagement::EcdhEs],
    )
    .unwrap();
    assert_eq!(out.header.alg, KeyManagement::EcdhEs);
    assert_eq!(out.header.enc, ContentEncryption::A128Gcm);
    assert_eq!(out.header.kid.as_deref(), Some("ac"));
    assert_eq!(
        Value::Object(out.header.to_map()),
        v["decoded_header"],
        "the published decoded header"
    );
    assert!(parts(compact)[1].is_empty(), "direct key agreement");
    let text = String::from_utf8(out.plaintext.to_vec()).unwrap();
    let payload: Value = serde_json::from_str(&text).unwrap();
    assert!(
        payload.get("vp_token").is_some(),
        "plaintext {text:?} has no vp_token member"
    );
    assert_eq!(
        payload,
        json!({"vp_token": {"example_credential_id": ["eyJhb...YMetA"]}})
    );
    assert_eq!(text, v["plaintext"].as_str().unwrap(), "plaintext {text:?}");
}

#[test]
fn oid4vp_encrypted_response_is_bound_to_a128gcm() {
    // The CEK is 128 bits derived with AlgorithmID "A128GCM": read as A256GCM, the
    // key derivation and the AAD both change, and only the tag failure is reported.
    let v = json(OID4VP_RESPONSE);
    let verifier = jwk(&v["recipient_private_key"]).to_private_key().unwrap();
    let as_a256 = replace_header(v["response"].as_str().unwrap(), |h| {
        h.insert("enc".into(), json!("A256GCM"));
    });
    assert_eq!(
        jwe::decrypt(&as_a256, &verifier, &[KeyManagement::EcdhEs]).unwrap_err(),
        JweError::Decrypt
    );
    // The allow-list is about `alg`: the vector's ECDH-ES must be listed.
    assert_eq!(
        jwe::decrypt(
            v["response"].as_str().unwrap(),
            &verifier,
            &[KeyManagement::EcdhEsA256Kw]
        )
        .unwrap_err(),
        JweError::AlgorithmNotAllowed(KeyManagement::EcdhEs)
    );
}

#[test]
fn rfc7520_5_2_rsa_oaep_sha1_is_rejected() {
    let v = json(RFC7520_5_2);
    let recipient = jwk(&v["input"]["key"]).to_private_key().unwrap();
    let compact = v["output"]["compact"].as_str().unwrap();
    assert_eq!(
        jwe::decrypt(compact, &recipient, &ALL).unwrap_err(),
        JweError::UnsupportedAlgorithm("RSA-OAEP".into())
    );
}

// --------------------------------------------------- our own interop vectors

fn options_of(case: &Value) -> EncryptOptions {
    let s = |name: &str| case[name].as_str().map(str::to_owned);
    EncryptOptions {
        kid: s("kid"),
        typ: s("typ"),
        cty: s("cty"),
        apu: case["apu"].as_str().map(|v| b64u_decode(v).unwrap()),
        apv: case["apv"].as_str().map(|v| b64u_decode(v).unwrap()),
        enc: case["enc"]
            .as_str()
            .map(|e| ContentEncryption::from_name(e).unwrap()),
        ..EncryptOptions::default()
    }
}

fn decrypt_case(case: &Value) -> jwe::Decrypted {
    let compact = case["compact"].as_str().unwrap();
    let alg = KeyManagement::from_name(case["alg"].as_str().unwrap()).unwrap();
    let decrypted = if alg == KeyManagement::Dir {
        jwe::decrypt_dir(compact, &dir_key()).unwrap()
    } else {
        jwe::decrypt(compact, &key(case["key"].as_str().unwrap()), &[alg]).unwrap()
    };
    assert_eq!(decrypted.header.alg, alg);
    assert_eq!(
        decrypted.header.enc.name(),
        case["enc"].as_str().unwrap_or("A256GCM"),
        "{}",
        case["name"]
    );
    assert_eq!(
        decrypted.plaintext.as_slice(),
        case["plaintext"].as_str().unwrap().as_bytes()
    );
    decrypted
}

#[test]
fn own_vectors_are_reproduced_exactly_and_decrypt() {
    let cases = json(OURS);
    assert_eq!(cases.as_array().unwrap().len(), 10);
    for case in cases.as_array().unwrap() {
        let alg = KeyManagement::from_name(case["alg"].as_str().unwrap()).unwrap();
        let mut rng = SeededRandom::new(case["seed"].as_str().unwrap().as_bytes());
        let plaintext = case["plaintext"].as_str().unwrap().as_bytes();
        let options = options_of(case);
        let compact = if alg == KeyManagement::Dir {
            jwe::encrypt_dir(plaintext, &dir_key(), &options, &mut rng).unwrap()
        } else {
            let to = key(case["key"].as_str().unwrap()).public_key();
            jwe::encrypt(plaintext, &to, alg, &options, &mut rng).unwrap()
        };
        assert_eq!(
            compact,
            case["compact"].as_str().unwrap(),
            "{}",
            case["name"]
        );
        let decrypted = decrypt_case(case);
        assert_eq!(decrypted.header.kid, options.kid);
        assert_eq!(decrypted.header.typ, options.typ);
        assert_eq!(decrypted.header.cty, options.cty);
        assert_eq!(
            decrypted.header.apu,
            case["apu"].as_str().map(str::to_owned)
        );
    }
}

#[test]
fn node_jose_vectors_decrypt() {
    let cases = json(JOSE);
    assert_eq!(cases.as_array().unwrap().len(), 10);
    for case in cases.as_array().unwrap() {
        let decrypted = decrypt_case(case);
        assert_eq!(
            decrypted.header.kid.as_deref(),
            json(KEYS)[case["key"].as_str().unwrap()]["kid"].as_str()
        );
    }
}

// ------------------------------------------------------------------ round trips

#[test]
fn round_trip_every_algorithm_and_curve() {
    let plaintext = b"{\"sub\":\"did:key:z6Mk...\"}";
    for (key, alg) in [
        (p256(), KeyManagement::EcdhEs),
        (p256(), KeyManagement::EcdhEsA256Kw),
        (x25519(), KeyManagement::EcdhEs),
        (x25519(), KeyManagement::EcdhEsA256Kw),
        (rsa(), KeyManagement::RsaOaep256),
    ] {
        let compact = enc(plaintext, &key, alg);
        let p = parts(&compact);
        assert_eq!(p.len(), 5);
        assert_eq!(p[1].is_empty(), alg == KeyManagement::EcdhEs, "{alg}");
        let out = jwe::decrypt(&compact, &key, &[alg]).unwrap();
        assert_eq!(out.plaintext.as_slice(), plaintext);
        assert_eq!(out.header.alg, alg);
        assert_eq!(out.header.enc, ContentEncryption::A256Gcm);
        assert_eq!(out.header.epk.is_some(), alg != KeyManagement::RsaOaep256);
    }
    let compact = jwe::encrypt_dir(
        plaintext,
        &dir_key(),
        &EncryptOptions::default(),
        &mut rng(),
    )
    .unwrap();
    assert!(parts(&compact)[1].is_empty());
    assert_eq!(
        jwe::decrypt_dir(&compact, &dir_key())
            .unwrap()
            .plaintext
            .as_slice(),
        plaintext
    );
}

#[test]
fn round_trip_a128gcm_every_algorithm_and_curve() {
    let plaintext = b"{\"vp_token\":{\"pid\":[\"eyJ...\"]}}";
    for (key, alg) in recipients() {
        let compact = enc_with(plaintext, &key, alg, ContentEncryption::A128Gcm);
        let p = parts(&compact);
        // The JWE Encrypted Key: empty for direct agreement, a wrapped 16-byte CEK (one
        // 8-byte block longer) for A256KW, one RSA-2048 block for RSA-OAEP-256.
        let expected_key_len = match alg {
            KeyManagement::EcdhEs => 0,
            KeyManagement::EcdhEsA256Kw => 24,
            _ => 256,
        };
        assert_eq!(b64u_decode(&p[1]).unwrap().len(), expected_key_len, "{alg}");
        let header = jwe::peek_header(&compact).unwrap();
        assert_eq!(header.enc, ContentEncryption::A128Gcm);
        assert!(
            String::from_utf8(b64u_decode(&p[0]).unwrap())
                .unwrap()
                .contains(r#""enc":"A128GCM""#)
        );
        let out = jwe::decrypt(&compact, &key, &[alg]).unwrap();
        assert_eq!(out.plaintext.as_slice(), plaintext, "{alg}");
        assert_eq!(out.header.alg, alg);
        assert_eq!(out.header.enc, ContentEncryption::A128Gcm);
        // Explicit A256GCM is the same as the default.
        let a256 = enc_with(plaintext, &key, alg, ContentEncryption::A256Gcm);
        assert_eq!(a256, enc(plaintext, &key, alg), "{alg}");
        assert_eq!(
            jwe::decrypt(&a256, &key, &[alg]).unwrap().header.enc,
            ContentEncryption::A256Gcm
        );
    }
}

#[test]
fn ecdh_es_a128gcm_cek_is_the_128_bit_concat_kdf_output() {
    // RFC 7518 §4.6.2: in direct key agreement the Concat KDF's AlgorithmID is the
    // "enc" value and keydatalen its key size. Recompute the CEK of the published
    // OpenID4VP response and of one of ours by hand and open the content with it.
    let v = json(OID4VP_RESPONSE);
    let verifier = jwk(&v["recipient_private_key"]).to_private_key().unwrap();
    let ours = enc_with(
        b"hand-derived",
        &p256(),
        KeyManagement::EcdhEs,
        ContentEncryption::A128Gcm,
    );
    for (compact, key) in [(v["response"].as_str().unwrap(), verifier), (&ours, p256())] {
        let PrivateKey::P256(key) = key else {
            unreachable!()
        };
        let p = parts(compact);
        let header = jwe::peek_header(compact).unwrap();
        let PublicKey::P256(epk) = header.epk.unwrap().to_public_key().unwrap() else {
            panic!("P-256 epk expected");
        };
        let z = key.agree(&epk);
        let iv: [u8; 12] = b64u_decode(&p[2]).unwrap().try_into().unwrap();
        let ciphertext = b64u_decode(&p[3]).unwrap();
        let tag: [u8; 16] = b64u_decode(&p[4]).unwrap().try_into().unwrap();
        let aad = p[0].as_bytes();

        let mut cek = [0u8; 16];
        concat_kdf(z.as_slice(), "A128GCM", b"", b"", &mut cek).unwrap();
        let plaintext = ContentEncryption::A128Gcm
            .decrypt(&cek, &iv, aad, &ciphertext, &tag)
            .unwrap();
        assert_eq!(
            plaintext.as_slice(),
            jwe::decrypt(compact, &PrivateKey::P256(key.clone()), &ECDH)
                .unwrap()
                .plaintext
                .as_slice()
        );
        // The 256-bit key an A256GCM reading would derive does not open it, with the
        // original AAD either.
        let mut cek256 = [0u8; 32];
        concat_kdf(z.as_slice(), "A256GCM", b"", b"", &mut cek256).unwrap();
        assert_eq!(
            ContentEncryption::A256Gcm
                .decrypt(&cek256, &iv, aad, &ciphertext, &tag)
                .unwrap_err(),
            JweError::Decrypt
        );
    }
}

#[test]
fn a128gcm_and_a256gcm_are_not_interchangeable() {
    // The header names the enc; rewriting it never opens the JWE. ECDH-ES and
    // RSA-OAEP-256 answer with the uninformative Decrypt error; for ECDH-ES+A256KW the
    // wrapped key's (public) length no longer matches and is refused before any
    // unwrapping.
    for (from, to) in [
        (ContentEncryption::A128Gcm, ContentEncryption::A256Gcm),
        (ContentEncryption::A256Gcm, ContentEncryption::A128Gcm),
    ] {
        for (key, alg) in recipients() {
            let compact = enc_with(b"x", &key, alg, from);
            let relabelled = replace_header(&compact, |h| {
                h.insert("enc".into(), json!(to.name()));
            });
            let expected = if alg == KeyManagement::EcdhEsA256Kw {
                JweError::EncryptedKeyLength(from.key_len() + 8)
            } else {
                JweError::Decrypt
            };
            assert_eq!(
                jwe::decrypt(&relabelled, &key, &ALL).unwrap_err(),
                expected,
                "{alg}: {from} read as {to}"
            );
        }
    }
}

#[test]
fn dir_is_a256gcm_only() {
    // The `dir` key is a fixed 32-byte A256GCM key: A128GCM is refused both ways.
    let options = EncryptOptions {
        enc: Some(ContentEncryption::A128Gcm),
        ..EncryptOptions::default()
    };
    assert_eq!(
        jwe::encrypt_dir(b"x", &dir_key(), &options, &mut rng()).unwrap_err(),
        JweError::UnsupportedEncryption("A128GCM".into())
    );
    let explicit = EncryptOptions {
        enc: Some(ContentEncryption::A256Gcm),
        ..EncryptOptions::default()
    };
    let compact = jwe::encrypt_dir(b"x", &dir_key(), &explicit, &mut rng()).unwrap();
    assert_eq!(
        compact,
        jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap()
    );
    let header = json!({"alg": "dir", "enc": "A128GCM"});
    assert_eq!(
        jwe::decrypt_dir(&with_header(&header), &dir_key()).unwrap_err(),
        JweError::UnsupportedEncryption("A128GCM".into())
    );
    // A real dir JWE relabelled A128GCM: refused for the enc, not tried.
    let relabelled = replace_header(&compact, |h| {
        h.insert("enc".into(), json!("A128GCM"));
    });
    assert_eq!(
        jwe::decrypt_dir(&relabelled, &dir_key()).unwrap_err(),
        JweError::UnsupportedEncryption("A128GCM".into())
    );
    // Through `decrypt`, dir is still a key mismatch for a public-key recipient.
    assert_eq!(
        jwe::decrypt(&relabelled, &p256(), &ALL).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::Dir,
            key: KeyType::P256
        }
    );
}

#[test]
fn empty_plaintext_round_trips() {
    let compact = enc(b"", &p256(), KeyManagement::EcdhEsA256Kw);
    let out = jwe::decrypt(&compact, &p256(), &ECDH).unwrap();
    assert!(out.plaintext.is_empty());
}

#[test]
fn header_members_are_carried_and_authenticated() {
    let mut extra = serde_json::Map::new();
    extra.insert("x-purpose".into(), json!({"scope": ["email"]}));
    let options = EncryptOptions {
        kid: Some("did:key:z6LS#z6LS".into()),
        typ: Some("JWT".into()),
        cty: Some("JWT".into()),
        apu: Some(b"Alice".to_vec()),
        apv: Some(b"Bob".to_vec()),
        extra,
        enc: None,
    };
    let compact = jwe::encrypt(
        b"x",
        &x25519().public_key(),
        KeyManagement::EcdhEs,
        &options,
        &mut rng(),
    )
    .unwrap();
    let header = jwe::peek_header(&compact).unwrap();
    assert_eq!(header.kid.as_deref(), Some("did:key:z6LS#z6LS"));
    assert_eq!(header.apu.as_deref(), Some("QWxpY2U"));
    assert_eq!(header.apv.as_deref(), Some("Qm9i"));
    assert_eq!(header.extra["x-purpose"], json!({"scope": ["email"]}));
    assert_eq!(header.epk.as_ref().unwrap().crv.as_deref(), Some("X25519"));
    assert!(header.epk.as_ref().unwrap().d.is_none());
    let out = jwe::decrypt(&compact, &x25519(), &ECDH).unwrap();
    assert_eq!(out.header, header);
    // Members are serialized in lexicographic order (deterministic output).
    let json_text = String::from_utf8(b64u_decode(&parts(&compact)[0]).unwrap()).unwrap();
    assert!(json_text.starts_with(
        r#"{"alg":"ECDH-ES","apu":"QWxpY2U","apv":"Qm9i","cty":"JWT","enc":"A256GCM","epk":"#
    ));
}

#[test]
fn apu_apv_enter_the_key_derivation() {
    let options = EncryptOptions {
        apu: Some(b"Alice".to_vec()),
        ..EncryptOptions::default()
    };
    let compact = jwe::encrypt(
        b"x",
        &p256().public_key(),
        KeyManagement::EcdhEs,
        &options,
        &mut rng(),
    )
    .unwrap();
    // Same AAD-independent change: swap apu in the header for another value. The tag
    // fails either way, but a different apu must change the derived key too, which we
    // see through the sender side: same rng, different apu -> different ciphertext.
    let other = EncryptOptions {
        apu: Some(b"Mallory".to_vec()),
        ..EncryptOptions::default()
    };
    let compact2 = jwe::encrypt(
        b"x",
        &p256().public_key(),
        KeyManagement::EcdhEs,
        &other,
        &mut rng(),
    )
    .unwrap();
    assert_eq!(
        parts(&compact)[2],
        parts(&compact2)[2],
        "same IV from the same seed"
    );
    assert_ne!(parts(&compact)[3], parts(&compact2)[3]);
}

#[test]
fn every_encryption_is_fresh() {
    let mut rng = rng();
    let to = p256().public_key();
    let a = jwe::encrypt(
        b"same",
        &to,
        KeyManagement::EcdhEsA256Kw,
        &EncryptOptions::default(),
        &mut rng,
    )
    .unwrap();
    let b = jwe::encrypt(
        b"same",
        &to,
        KeyManagement::EcdhEsA256Kw,
        &EncryptOptions::default(),
        &mut rng,
    )
    .unwrap();
    let (pa, pb) = (parts(&a), parts(&b));
    assert_ne!(pa[0], pb[0], "fresh ephemeral key");
    assert_ne!(pa[1], pb[1], "fresh CEK");
    assert_ne!(pa[2], pb[2], "fresh IV");
    let d1 = jwe::encrypt_dir(b"same", &dir_key(), &EncryptOptions::default(), &mut rng).unwrap();
    let d2 = jwe::encrypt_dir(b"same", &dir_key(), &EncryptOptions::default(), &mut rng).unwrap();
    assert_ne!(parts(&d1)[2], parts(&d2)[2]);
}

#[test]
fn encrypt_to_jwk_uses_its_kid() {
    let recipient = Jwk::from_public_key(&p256().public_key()).with_kid("k-1");
    let compact = jwe::encrypt_to_jwk(
        b"x",
        &recipient,
        KeyManagement::EcdhEs,
        &EncryptOptions::default(),
        &mut rng(),
    )
    .unwrap();
    assert_eq!(
        jwe::peek_header(&compact).unwrap().kid.as_deref(),
        Some("k-1")
    );
    let compact = jwe::encrypt_to_jwk(
        b"x",
        &recipient,
        KeyManagement::EcdhEs,
        &EncryptOptions::with_kid("k-2"),
        &mut rng(),
    )
    .unwrap();
    assert_eq!(
        jwe::peek_header(&compact).unwrap().kid.as_deref(),
        Some("k-2")
    );
    let bad = Jwk {
        x: Some("AAAA".into()),
        ..recipient
    };
    assert!(matches!(
        jwe::encrypt_to_jwk(
            b"x",
            &bad,
            KeyManagement::EcdhEs,
            &EncryptOptions::default(),
            &mut rng()
        ),
        Err(JweError::Jwk(_))
    ));
}

#[test]
fn decrypted_debug_redacts_plaintext() {
    let compact = enc(b"top secret", &p256(), KeyManagement::EcdhEs);
    let out = jwe::decrypt(&compact, &p256(), &ECDH).unwrap();
    let debug = format!("{out:?}");
    assert!(!debug.contains("top secret"));
    assert!(debug.contains("10 bytes redacted"));
}

#[test]
fn algorithm_names() {
    for alg in ALL {
        assert_eq!(KeyManagement::from_name(alg.name()).unwrap(), alg);
    }
    for content in ENCS {
        assert_eq!(
            ContentEncryption::from_name(content.name()).unwrap(),
            content
        );
        assert_eq!(content.to_string(), content.name());
    }
    assert_eq!(ContentEncryption::A128Gcm.name(), "A128GCM");
    assert_eq!(ContentEncryption::A256Gcm.name(), "A256GCM");
    assert_eq!(
        ContentEncryption::from_name("a128gcm").unwrap_err(),
        JweError::UnsupportedEncryption("a128gcm".into())
    );
    assert_eq!(
        KeyManagement::from_name("ecdh-es").unwrap_err(),
        JweError::UnsupportedAlgorithm("ecdh-es".into())
    );
}

// ------------------------------------------------------------- encrypt errors

#[test]
fn encrypt_rejects_mismatched_keys() {
    let opts = EncryptOptions::default();
    let ed = PrivateKey::Ed25519(Ed25519PrivateKey::generate(&mut rng()).unwrap()).public_key();
    assert_eq!(
        jwe::encrypt(b"x", &ed, KeyManagement::EcdhEs, &opts, &mut rng()).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::EcdhEs,
            key: KeyType::Ed25519
        }
    );
    assert_eq!(
        jwe::encrypt(
            b"x",
            &p256().public_key(),
            KeyManagement::RsaOaep256,
            &opts,
            &mut rng()
        )
        .unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::RsaOaep256,
            key: KeyType::P256
        }
    );
    assert_eq!(
        jwe::encrypt(
            b"x",
            &rsa().public_key(),
            KeyManagement::EcdhEsA256Kw,
            &opts,
            &mut rng()
        )
        .unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::EcdhEsA256Kw,
            key: KeyType::Rsa
        }
    );
    assert_eq!(
        jwe::encrypt(
            b"x",
            &p256().public_key(),
            KeyManagement::Dir,
            &opts,
            &mut rng()
        )
        .unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::Dir,
            key: KeyType::P256
        }
    );
}

#[test]
fn encrypt_rejects_reserved_extra_members() {
    for name in [
        "alg", "enc", "epk", "kid", "apu", "zip", "crit", "jku", "x5u", "jwk",
    ] {
        let mut extra = serde_json::Map::new();
        extra.insert(name.into(), json!("x"));
        let opts = EncryptOptions {
            extra,
            ..EncryptOptions::default()
        };
        assert_eq!(
            jwe::encrypt(
                b"x",
                &p256().public_key(),
                KeyManagement::EcdhEs,
                &opts,
                &mut rng()
            )
            .unwrap_err(),
            JweError::ReservedHeader(name.into())
        );
        assert_eq!(
            jwe::encrypt_dir(b"x", &dir_key(), &opts, &mut rng()).unwrap_err(),
            JweError::ReservedHeader(name.into())
        );
    }
}

#[test]
fn encrypt_rejects_oversized_plaintext() {
    let big = vec![0u8; MAX_JWE_LEN + 1];
    assert_eq!(
        jwe::encrypt_dir(&big, &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap_err(),
        JweError::TooLarge {
            what: "plaintext",
            max: MAX_JWE_LEN
        }
    );
    // Within the plaintext limit, but the encoded JWE would exceed the 1 MiB cap.
    let big = vec![0u8; MAX_JWE_LEN - 100];
    assert_eq!(
        jwe::encrypt_dir(&big, &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap_err(),
        JweError::TooLarge {
            what: "JWE",
            max: MAX_JWE_LEN
        }
    );
}

#[test]
fn encrypt_surfaces_rng_failure() {
    for alg in [KeyManagement::EcdhEs, KeyManagement::EcdhEsA256Kw] {
        assert!(matches!(
            jwe::encrypt(
                b"x",
                &p256().public_key(),
                alg,
                &EncryptOptions::default(),
                &mut FailingRandom
            ),
            Err(JweError::Key(KeyError::Random(_)))
        ));
    }
    assert!(matches!(
        jwe::encrypt_dir(
            b"x",
            &dir_key(),
            &EncryptOptions::default(),
            &mut FailingRandom
        ),
        Err(JweError::Random(_))
    ));
    assert!(matches!(
        jwe::encrypt(
            b"x",
            &rsa().public_key(),
            KeyManagement::RsaOaep256,
            &EncryptOptions::default(),
            &mut FailingRandom
        ),
        Err(JweError::Random(_))
    ));
}

#[test]
fn encrypt_to_low_order_x25519_key_fails() {
    let low_order = PublicKey::X25519(X25519PublicKey::from_bytes(&[0u8; 32]).unwrap());
    assert_eq!(
        jwe::encrypt(
            b"x",
            &low_order,
            KeyManagement::EcdhEs,
            &EncryptOptions::default(),
            &mut rng()
        )
        .unwrap_err(),
        JweError::Key(KeyError::NonContributory)
    );
}

// ----------------------------------------------------- structural rejections

#[test]
fn rejects_oversized_input() {
    let huge = "a".repeat(MAX_JWE_LEN + 1);
    assert_eq!(
        jwe::decrypt(&huge, &p256(), &ALL).unwrap_err(),
        JweError::TooLarge {
            what: "JWE",
            max: MAX_JWE_LEN
        }
    );
    assert_eq!(
        jwe::decrypt_dir(&huge, &dir_key()).unwrap_err(),
        JweError::TooLarge {
            what: "JWE",
            max: MAX_JWE_LEN
        }
    );
}

#[test]
fn rejects_oversized_header() {
    let header = json!({"alg": "dir", "enc": "A256GCM", "pad": "x".repeat(MAX_HEADER_LEN)});
    assert_eq!(
        jwe::decrypt_dir(&with_header(&header), &dir_key()).unwrap_err(),
        JweError::TooLarge {
            what: "protected header",
            max: MAX_HEADER_LEN
        }
    );
    // Just under the encoded bound but over the decoded one: caught after decoding.
    let header = json!({"alg": "dir", "enc": "A256GCM", "pad": "x".repeat(MAX_HEADER_LEN - 30)});
    assert_eq!(
        jwe::Header::from_json(header.to_string().as_bytes()).unwrap_err(),
        JweError::TooLarge {
            what: "protected header",
            max: MAX_HEADER_LEN
        }
    );
}

#[test]
fn rejects_wrong_part_count() {
    let compact = enc(b"x", &p256(), KeyManagement::EcdhEs);
    let p = parts(&compact);
    assert_eq!(
        jwe::decrypt(&join(&p[..4]), &p256(), &ALL).unwrap_err(),
        JweError::PartCount(4)
    );
    let six = format!("{compact}.AAAA");
    assert_eq!(
        jwe::decrypt(&six, &p256(), &ALL).unwrap_err(),
        JweError::PartCount(6)
    );
    assert_eq!(
        jwe::decrypt("", &p256(), &ALL).unwrap_err(),
        JweError::PartCount(1)
    );
}

#[test]
fn rejects_bad_base64_in_each_part() {
    let compact = enc(b"x", &rsa(), KeyManagement::RsaOaep256);
    let names = [
        "protected header",
        "encrypted key",
        "IV",
        "ciphertext",
        "authentication tag",
    ];
    for (i, name) in names.into_iter().enumerate() {
        for bad in ["a+b", "ab==", "a b", "A"] {
            let mut p = parts(&compact);
            p[i] = bad.into();
            assert_eq!(
                jwe::decrypt(&join(&p), &rsa(), &ALL).unwrap_err(),
                JweError::Base64(name),
                "part {i} = {bad:?}"
            );
        }
    }
}

#[test]
fn rejects_non_object_header() {
    for text in ["[]", "\"dir\"", "{", "", "{\"alg\":\"dir\",}"] {
        let compact = format!(
            "{}..{}.AA.{}",
            b64u_encode(text),
            b64u_encode([0u8; 12]),
            b64u_encode([0u8; 16])
        );
        assert!(
            matches!(
                jwe::decrypt_dir(&compact, &dir_key()),
                Err(JweError::HeaderJson(_))
            ),
            "{text:?}"
        );
    }
    // Invalid UTF-8 is not JSON.
    assert!(matches!(
        jwe::Header::from_json(b"{\"alg\":\"\xff\"}"),
        Err(JweError::HeaderJson(_))
    ));
}

#[test]
fn rejects_missing_or_mistyped_alg_and_enc() {
    let cases = [
        (json!({"enc": "A256GCM"}), JweError::MissingHeader("alg")),
        (json!({"alg": "dir"}), JweError::MissingHeader("enc")),
        (
            json!({"alg": 1, "enc": "A256GCM"}),
            JweError::HeaderMemberType("alg"),
        ),
        (
            json!({"alg": "dir", "enc": null}),
            JweError::HeaderMemberType("enc"),
        ),
        (
            json!({"alg": "dir", "enc": "A256GCM", "kid": 7}),
            JweError::HeaderMemberType("kid"),
        ),
        (
            json!({"alg": "dir", "enc": "A256GCM", "apu": []}),
            JweError::HeaderMemberType("apu"),
        ),
        (
            json!({"alg": "dir", "enc": "A256GCM", "epk": "key"}),
            JweError::HeaderMemberType("epk"),
        ),
        (
            json!({"alg": "dir", "enc": "A256GCM", "epk": {"kty": 1}}),
            JweError::HeaderMemberType("epk"),
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(
            jwe::decrypt_dir(&with_header(&header), &dir_key()).unwrap_err(),
            expected,
            "{header}"
        );
    }
}

#[test]
fn rejects_unsupported_algorithms() {
    for alg in [
        "none",
        "RSA1_5",
        "RSA-OAEP",
        "A256KW",
        "ECDH-ES+A128KW",
        "PBES2-HS256+A128KW",
        "HS256",
        "",
    ] {
        let header = json!({"alg": alg, "enc": "A256GCM"});
        assert_eq!(
            jwe::decrypt(&with_header(&header), &p256(), &ALL).unwrap_err(),
            JweError::UnsupportedAlgorithm(alg.into())
        );
    }
    for enc in [
        "A192GCM",
        "A128CBC-HS256",
        "A256CBC-HS512",
        "a256gcm",
        "none",
        "",
    ] {
        let header = json!({"alg": "dir", "enc": enc});
        assert_eq!(
            jwe::decrypt_dir(&with_header(&header), &dir_key()).unwrap_err(),
            JweError::UnsupportedEncryption(enc.into())
        );
        let header = json!({"alg": "ECDH-ES", "enc": enc});
        assert_eq!(
            jwe::decrypt(&with_header(&header), &p256(), &ALL).unwrap_err(),
            JweError::UnsupportedEncryption(enc.into())
        );
    }
}

#[test]
fn rejects_zip() {
    // A real JWE with "zip" added: refused before anything is decrypted or inflated.
    let compact =
        jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap();
    let zipped = replace_header(&compact, |h| {
        h.insert("zip".into(), json!("DEF"));
    });
    assert_eq!(
        jwe::decrypt_dir(&zipped, &dir_key()).unwrap_err(),
        JweError::Compression
    );
    assert_eq!(
        jwe::peek_header(&zipped).unwrap_err(),
        JweError::Compression
    );
}

#[test]
fn rejects_crit() {
    for crit in [json!(["exp"]), json!([]), json!("b64")] {
        let header = json!({"alg": "ECDH-ES", "enc": "A256GCM", "crit": crit});
        assert_eq!(
            jwe::decrypt(&with_header(&header), &p256(), &ALL).unwrap_err(),
            JweError::Critical
        );
    }
}

#[test]
fn rejects_key_bearing_headers() {
    let public = serde_json::to_value(Jwk::from_public_key(&p256().public_key())).unwrap();
    for (name, value) in [
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("jwk", public),
    ] {
        let compact = replace_header(&enc(b"x", &p256(), KeyManagement::EcdhEs), |h| {
            h.insert(name.into(), value);
        });
        assert_eq!(
            jwe::decrypt(&compact, &p256(), &ALL).unwrap_err(),
            JweError::ForbiddenHeader(match name {
                "jku" => "jku",
                "x5u" => "x5u",
                _ => "jwk",
            })
        );
    }
}

#[test]
fn rejects_wrong_iv_length() {
    for len in [0usize, 8, 11, 13, 16] {
        let mut p = parts(&enc(b"x", &p256(), KeyManagement::EcdhEs));
        p[2] = b64u_encode(vec![0u8; len]);
        assert_eq!(
            jwe::decrypt(&join(&p), &p256(), &ALL).unwrap_err(),
            JweError::IvLength(len)
        );
    }
}

#[test]
fn rejects_wrong_tag_length() {
    for len in [0usize, 12, 15, 17, 32] {
        let mut p = parts(
            &jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap(),
        );
        p[4] = b64u_encode(vec![0u8; len]);
        assert_eq!(
            jwe::decrypt_dir(&join(&p), &dir_key()).unwrap_err(),
            JweError::TagLength(len)
        );
    }
}

#[test]
fn content_encryption_checks_lengths() {
    let (iv, tag) = ([0u8; 12], [0u8; 16]);
    assert_eq!(ContentEncryption::A128Gcm.key_len(), 16);
    assert_eq!(ContentEncryption::A256Gcm.key_len(), 32);
    for (gcm, wrong) in [
        (ContentEncryption::A128Gcm, [0usize, 15, 17, 24, 32]),
        (ContentEncryption::A256Gcm, [0usize, 16, 24, 31, 33]),
    ] {
        for len in wrong {
            let cek = vec![0u8; len];
            assert_eq!(
                gcm.encrypt(&cek, &iv, b"", b"x").unwrap_err(),
                JweError::CekLength(len)
            );
            assert_eq!(
                gcm.decrypt(&cek, &iv, b"", b"x", &tag).unwrap_err(),
                JweError::CekLength(len)
            );
        }
        let cek = vec![7u8; gcm.key_len()];
        assert_eq!(
            gcm.decrypt(&cek, &iv, b"", b"x", &tag).unwrap_err(),
            JweError::Decrypt
        );
        let (ciphertext, tag) = gcm.encrypt(&cek, &iv, b"aad", b"hello").unwrap();
        assert_eq!(
            gcm.decrypt(&cek, &iv, b"aad", &ciphertext, &tag)
                .unwrap()
                .as_slice(),
            b"hello"
        );
    }
}

// -------------------------------------------------------------- policy rejections

#[test]
fn rejects_algorithms_outside_the_allow_list() {
    let compact = enc(b"x", &p256(), KeyManagement::EcdhEs);
    assert_eq!(
        jwe::decrypt(&compact, &p256(), &[KeyManagement::EcdhEsA256Kw]).unwrap_err(),
        JweError::AlgorithmNotAllowed(KeyManagement::EcdhEs)
    );
    assert_eq!(
        jwe::decrypt(&compact, &p256(), &[]).unwrap_err(),
        JweError::AlgorithmNotAllowed(KeyManagement::EcdhEs)
    );
    assert_eq!(
        jwe::decrypt_dir(&compact, &dir_key()).unwrap_err(),
        JweError::AlgorithmNotAllowed(KeyManagement::EcdhEs)
    );
}

#[test]
fn rejects_algorithm_key_mismatch() {
    let to_rsa = enc(b"x", &rsa(), KeyManagement::RsaOaep256);
    assert_eq!(
        jwe::decrypt(&to_rsa, &p256(), &ALL).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::RsaOaep256,
            key: KeyType::P256
        }
    );
    let to_ec = enc(b"x", &p256(), KeyManagement::EcdhEsA256Kw);
    assert_eq!(
        jwe::decrypt(&to_ec, &rsa(), &ALL).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::EcdhEsA256Kw,
            key: KeyType::Rsa
        }
    );
    let ed = PrivateKey::Ed25519(Ed25519PrivateKey::generate(&mut rng()).unwrap());
    assert_eq!(
        jwe::decrypt(&to_ec, &ed, &ALL).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::EcdhEsA256Kw,
            key: KeyType::Ed25519
        }
    );
    let dir = jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap();
    assert_eq!(
        jwe::decrypt(&dir, &p256(), &ALL).unwrap_err(),
        JweError::KeyMismatch {
            alg: KeyManagement::Dir,
            key: KeyType::P256
        }
    );
}

// ---------------------------------------------------- key management rejections

#[test]
fn rejects_encrypted_key_with_ecdh_es_direct() {
    // The encrypted key is not covered by the tag: without the RFC 7516 §5.2 step 10
    // check this JWE would decrypt.
    for key in [p256(), x25519()] {
        let mut p = parts(&enc(b"x", &key, KeyManagement::EcdhEs));
        p[1] = b64u_encode([7u8; 40]);
        assert_eq!(
            jwe::decrypt(&join(&p), &key, &ECDH).unwrap_err(),
            JweError::EncryptedKeyNotEmpty
        );
    }
}

#[test]
fn rejects_encrypted_key_with_dir() {
    let mut p =
        parts(&jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap());
    p[1] = b64u_encode([7u8; 40]);
    assert_eq!(
        jwe::decrypt_dir(&join(&p), &dir_key()).unwrap_err(),
        JweError::EncryptedKeyNotEmpty
    );
}

#[test]
fn rejects_wrong_encrypted_key_length() {
    for len in [0usize, 32, 39, 41, 48] {
        let mut p = parts(&enc(b"x", &x25519(), KeyManagement::EcdhEsA256Kw));
        p[1] = b64u_encode(vec![0u8; len]);
        assert_eq!(
            jwe::decrypt(&join(&p), &x25519(), &ECDH).unwrap_err(),
            JweError::EncryptedKeyLength(len)
        );
    }
    // A wrapped A128GCM key is 16 + 8 bytes; 40 is the A256GCM length.
    for len in [0usize, 16, 23, 25, 40] {
        let mut p = parts(&enc_with(
            b"x",
            &p256(),
            KeyManagement::EcdhEsA256Kw,
            ContentEncryption::A128Gcm,
        ));
        p[1] = b64u_encode(vec![0u8; len]);
        assert_eq!(
            jwe::decrypt(&join(&p), &p256(), &ECDH).unwrap_err(),
            JweError::EncryptedKeyLength(len)
        );
    }
    for len in [0usize, 255, 257, 512] {
        let mut p = parts(&enc(b"x", &rsa(), KeyManagement::RsaOaep256));
        p[1] = b64u_encode(vec![1u8; len]);
        assert_eq!(
            jwe::decrypt(&join(&p), &rsa(), &ALL).unwrap_err(),
            JweError::EncryptedKeyLength(len)
        );
    }
}

#[test]
fn rejects_missing_epk() {
    for alg in ECDH {
        let compact = replace_header(&enc(b"x", &p256(), alg), |h| {
            h.remove("epk");
        });
        assert_eq!(
            jwe::decrypt(&compact, &p256(), &ECDH).unwrap_err(),
            JweError::MissingHeader("epk")
        );
    }
}

#[test]
fn rejects_epk_on_another_curve() {
    let x_epk = serde_json::to_value(Jwk::from_public_key(&x25519().public_key())).unwrap();
    let compact = replace_header(&enc(b"x", &p256(), KeyManagement::EcdhEs), |h| {
        h.insert("epk".into(), x_epk);
    });
    assert_eq!(
        jwe::decrypt(&compact, &p256(), &ECDH).unwrap_err(),
        JweError::EpkCurveMismatch
    );

    let p_epk = serde_json::to_value(Jwk::from_public_key(&p256().public_key())).unwrap();
    let compact = replace_header(&enc(b"x", &x25519(), KeyManagement::EcdhEs), |h| {
        h.insert("epk".into(), p_epk);
    });
    assert_eq!(
        jwe::decrypt(&compact, &x25519(), &ECDH).unwrap_err(),
        JweError::EpkCurveMismatch
    );

    // P-384 (RFC 7520 §5.4's curve) and Ed25519 are not key-agreement curves here.
    for epk in [
        json!({"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"}),
        json!({"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}),
    ] {
        let compact = replace_header(&enc(b"x", &p256(), KeyManagement::EcdhEs), |h| {
            h.insert("epk".into(), epk);
        });
        assert_eq!(
            jwe::decrypt(&compact, &p256(), &ECDH).unwrap_err(),
            JweError::EpkCurveMismatch
        );
    }
}

#[test]
fn rejects_invalid_curve_points() {
    // The invalid-curve attack: a point off P-256 (here: y + 1, and the coordinates of
    // a point on another curve) must never reach the scalar multiplication.
    let (x, y) = match p256().public_key() {
        PublicKey::P256(k) => k.coordinates(),
        _ => unreachable!(),
    };
    let mut y1 = y;
    y1[31] ^= 1;
    let bad_points = [
        json!({"kty": "EC", "crv": "P-256", "x": b64u_encode(x), "y": b64u_encode(y1)}),
        json!({"kty": "EC", "crv": "P-256", "x": b64u_encode([0u8; 32]), "y": b64u_encode([0u8; 32])}),
        json!({"kty": "EC", "crv": "P-256", "x": b64u_encode([0xffu8; 32]), "y": b64u_encode(y)}),
        json!({"kty": "EC", "crv": "P-256", "x": b64u_encode(&x[..31]), "y": b64u_encode(y)}),
        json!({"kty": "EC", "crv": "P-256", "x": b64u_encode(x)}),
        json!({"kty": "EC", "crv": "P-256", "x": "not base64!", "y": b64u_encode(y)}),
    ];
    for epk in bad_points {
        let compact = replace_header(&enc(b"x", &p256(), KeyManagement::EcdhEsA256Kw), |h| {
            h.insert("epk".into(), epk.clone());
        });
        assert_eq!(
            jwe::decrypt(&compact, &p256(), &ECDH).unwrap_err(),
            JweError::InvalidEpk,
            "{epk}"
        );
    }
    let short = json!({"kty": "OKP", "crv": "X25519", "x": b64u_encode([9u8; 31])});
    let compact = replace_header(&enc(b"x", &x25519(), KeyManagement::EcdhEs), |h| {
        h.insert("epk".into(), short);
    });
    assert_eq!(
        jwe::decrypt(&compact, &x25519(), &ECDH).unwrap_err(),
        JweError::InvalidEpk
    );
}

#[test]
fn rejects_low_order_x25519_epk() {
    // u = 0 and u = 1 are of small order; X25519 with them yields the all-zero secret.
    let mut one = [0u8; 32];
    one[0] = 1;
    for u in [[0u8; 32], one] {
        let epk = json!({"kty": "OKP", "crv": "X25519", "x": b64u_encode(u)});
        let compact = replace_header(&enc(b"x", &x25519(), KeyManagement::EcdhEs), |h| {
            h.insert("epk".into(), epk);
        });
        assert_eq!(
            jwe::decrypt(&compact, &x25519(), &ECDH).unwrap_err(),
            JweError::LowOrderEpk
        );
    }
}

#[test]
fn rejects_bad_apu_apv_encoding() {
    for name in ["apu", "apv"] {
        let compact = replace_header(&enc(b"x", &p256(), KeyManagement::EcdhEs), |h| {
            h.insert(name.into(), json!("a+b/"));
        });
        assert_eq!(
            jwe::decrypt(&compact, &p256(), &ECDH).unwrap_err(),
            JweError::Base64(if name == "apu" { "apu" } else { "apv" })
        );
    }
}

// ------------------------------------------------- tampering: one uninformative error

#[test]
fn tampering_gives_one_uninformative_error() {
    let cases = ENCS
        .into_iter()
        .flat_map(|content| recipients().into_iter().map(move |(k, a)| (k, a, content)));
    for (key, alg, content) in cases {
        let compact = enc_with(b"attack at dawn", &key, alg, content);
        let p = parts(&compact);
        let mut tampered = Vec::new();
        for (i, index) in [(2usize, 0usize), (3, 0), (3, 13), (4, 0), (4, 15)] {
            let mut q = p.clone();
            q[i] = flip(&q[i], index);
            tampered.push(join(&q));
        }
        if !p[1].is_empty() {
            let mut q = p.clone();
            q[1] = flip(&q[1], 0);
            tampered.push(join(&q));
            let mut q = p.clone();
            let last = b64u_decode(&q[1]).unwrap().len() - 1;
            q[1] = flip(&q[1], last);
            tampered.push(join(&q));
        }
        // The header is the AAD: an added member breaks the tag.
        tampered.push(replace_header(&compact, |h| {
            h.insert("kid".into(), json!("mallory"));
        }));
        for t in tampered {
            assert_eq!(
                jwe::decrypt(&t, &key, &ALL).unwrap_err(),
                JweError::Decrypt,
                "{alg} {content}"
            );
        }
    }
    let compact =
        jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap();
    let mut p = parts(&compact);
    p[4] = flip(&p[4], 3);
    assert_eq!(
        jwe::decrypt_dir(&join(&p), &dir_key()).unwrap_err(),
        JweError::Decrypt
    );
}

#[test]
fn wrong_recipient_key_gives_decrypt_error() {
    let other_p256 =
        PrivateKey::P256(P256PrivateKey::generate(&mut SeededRandom::new(b"other")).unwrap());
    let other_x25519 =
        PrivateKey::X25519(X25519PrivateKey::generate(&mut SeededRandom::new(b"other")).unwrap());
    // Another RSA-2048 key, so the encrypted key's length still fits.
    let other_rsa = jwk(&json(OTHER_RSA_2048)).to_private_key().unwrap();
    for content in ENCS {
        for (key, alg) in recipients() {
            let other = match key.key_type() {
                KeyType::P256 => &other_p256,
                KeyType::X25519 => &other_x25519,
                _ => &other_rsa,
            };
            let compact = enc_with(b"x", &key, alg, content);
            assert_eq!(
                jwe::decrypt(&compact, other, &ALL).unwrap_err(),
                JweError::Decrypt,
                "{alg} {content}"
            );
        }
    }
    let compact =
        jwe::encrypt_dir(b"x", &dir_key(), &EncryptOptions::default(), &mut rng()).unwrap();
    assert_eq!(
        jwe::decrypt_dir(&compact, &[1u8; 32]).unwrap_err(),
        JweError::Decrypt
    );
}

#[test]
fn rsa_cek_of_wrong_size_is_indistinguishable_from_a_bad_tag() {
    // An attacker can OAEP-encrypt a 16-byte "CEK" to the public key; the recipient
    // must answer exactly as for a padding failure or a bad tag.
    let PublicKey::Rsa(public) = rsa().public_key() else {
        unreachable!()
    };
    // The expected length follows the header's enc: a 32-byte CEK is as wrong for
    // A128GCM as a 16-byte one for A256GCM.
    for (content, wrong) in [
        (ContentEncryption::A256Gcm, [16usize, 31, 33, 0]),
        (ContentEncryption::A128Gcm, [32usize, 15, 17, 0]),
    ] {
        let mut p = parts(&enc_with(b"x", &rsa(), KeyManagement::RsaOaep256, content));
        for cek_len in wrong {
            let ek = public
                .encrypt_oaep_sha256(&mut rng(), &vec![5u8; cek_len])
                .unwrap();
            p[1] = b64u_encode(ek);
            assert_eq!(
                jwe::decrypt(&join(&p), &rsa(), &ALL).unwrap_err(),
                JweError::Decrypt,
                "{content} with a {cek_len}-byte CEK"
            );
        }
    }
}

#[test]
fn header_parser_keeps_unknown_members_in_order() {
    let header = jwe::Header::from_json(
        br#"{"zz":1,"enc":"A256GCM","aa":{"b":2,"a":1},"alg":"ECDH-ES+A256KW","typ":"JWT"}"#,
    )
    .unwrap();
    assert_eq!(header.alg, KeyManagement::EcdhEsA256Kw);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.extra.keys().collect::<Vec<_>>(), ["aa", "zz"]);
    assert_eq!(
        header.to_json(),
        r#"{"aa":{"a":1,"b":2},"alg":"ECDH-ES+A256KW","enc":"A256GCM","typ":"JWT","zz":1}"#
    );
}
