//! JWS compact serialization: RFC 8037 / RFC 7515 / RFC 7520 / RFC 7638 vectors,
//! sign/verify round trips, and one test per rejection rule of `jws::verify`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[allow(dead_code)] // FailingRandom is unused here
#[path = "support/rng.rs"]
mod rng;

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256, Sha512};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwk::Jwk;
use wallet_core::jws::{
    self, Algorithm, Header, JwsError, MAX_HEADER_LEN, MAX_JWS_LEN, Part, check_time, sign,
    sign_detached, sign_jwt, verify, verify_detached, verify_jwt, verify_with_header_jwk,
};
use wallet_core::keys::{Ed25519PrivateKey, KeyError, KeyType, PrivateKey, PublicKey};

const RFC8037: &str = include_str!("../../tests/vectors/rfc8037/ed25519-jws.json");
const RFC7520_4_1: &str = include_str!("../../tests/vectors/rfc7520/jws-4.1-rs256.json");
const RFC7515_A2: &str = include_str!("../../tests/vectors/rfc7515/jws-a2-rs256.json");
const RFC7515_A3: &str = include_str!("../../tests/vectors/rfc7515/jws-a3-es256.json");
const RFC7638: &str = include_str!("../../tests/vectors/rfc7638/thumbprint-rsa.json");
const RFC9449_FIG2: &str = include_str!("../../tests/vectors/rfc9449/dpop-proof-figure2.json");

const ALL: &[Algorithm] = &[Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

fn vector(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

fn jwk(v: &Value) -> Jwk {
    serde_json::from_value(v.clone()).unwrap()
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// The RFC 8037 A.1 Ed25519 key.
fn ed_key() -> PrivateKey {
    jwk(&vector(RFC8037)["A.1_private_jwk"])
        .to_private_key()
        .unwrap()
}

fn ed_seed() -> Ed25519PrivateKey {
    match ed_key() {
        PrivateKey::Ed25519(k) => k,
        _ => unreachable!(),
    }
}

/// The RFC 7515 A.3 P-256 key.
fn p256_key() -> PrivateKey {
    jwk(&vector(RFC7515_A3)["key"]).to_private_key().unwrap()
}

fn rsa_public() -> PublicKey {
    jwk(&vector(RFC7520_4_1)["key"]).to_public_key().unwrap()
}

/// Signs an arbitrary header JSON text (which `sign` would never produce) with a real
/// key, so that a rejection test fails if its check is removed.
fn forge(header_json: &str, payload_b64: &str, key: &PrivateKey) -> String {
    let input = format!("{}.{payload_b64}", b64u_encode(header_json));
    let sig = match key {
        PrivateKey::Ed25519(k) => k.sign(input.as_bytes()).to_vec(),
        PrivateKey::P256(k) => k.sign_es256(input.as_bytes()).to_vec(),
        _ => unreachable!(),
    };
    format!("{input}.{}", b64u_encode(sig))
}

fn forge_ed(header_json: &str) -> String {
    forge(header_json, &b64u_encode("payload"), &ed_key())
}

fn with_signature(token: &str, sig: &[u8]) -> String {
    let (input, _) = token.rsplit_once('.').unwrap();
    format!("{input}.{}", b64u_encode(sig))
}

fn signature_of(token: &str) -> Vec<u8> {
    b64u_decode(token.rsplit_once('.').unwrap().1).unwrap()
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().to_vec()
}

// ---------------------------------------------------------------- conformance

#[test]
fn rfc8037_a1_a2_private_and_public_key() {
    let v = vector(RFC8037);
    let public = jwk(&v["A.2_public_jwk"]).to_public_key().unwrap();
    assert_eq!(ed_key().public_key(), public);
    assert_eq!(
        ed_seed().to_seed().as_slice(),
        b64u_decode(s(&v["A.1_private_jwk"]["d"])).unwrap()
    );
}

#[test]
fn rfc8037_a3_thumbprint() {
    let v = vector(RFC8037);
    let expected = s(&v["A.3_thumbprint"]);
    assert_eq!(jwk(&v["A.2_public_jwk"]).thumbprint().unwrap(), expected);
    assert_eq!(jwk(&v["A.1_private_jwk"]).thumbprint().unwrap(), expected);
    let digest = Sha256::digest(s(&v["A.3_thumbprint_canonical"]).as_bytes());
    assert_eq!(
        wallet_core::encoding::hex_encode(digest),
        s(&v["A.3_thumbprint_hex"])
    );
}

#[test]
fn rfc8037_a4_sign_reproduces_the_exact_jws() {
    let v = vector(RFC8037);
    let header = Header::new(Algorithm::EdDSA);
    assert_eq!(header.to_json(), s(&v["A.4_protected"]));
    let token = sign(&header, s(&v["A.4_payload"]).as_bytes(), &ed_key()).unwrap();
    assert_eq!(token, s(&v["A.4_compact"]));
    let (input, sig) = token.rsplit_once('.').unwrap();
    assert_eq!(input, s(&v["A.4_signing_input"]));
    assert_eq!(sig, s(&v["A.4_signature"]));
}

#[test]
fn rfc8037_a5_verify() {
    let v = vector(RFC8037);
    let key = jwk(&v["A.2_public_jwk"]).to_public_key().unwrap();
    let out = verify(s(&v["A.4_compact"]), &key, &[Algorithm::EdDSA]).unwrap();
    assert_eq!(out.payload, s(&v["A.4_payload"]).as_bytes());
    assert_eq!(out.header, Header::new(Algorithm::EdDSA));
}

#[test]
fn rfc7520_4_1_rs256_verify() {
    let v = vector(RFC7520_4_1);
    let out = verify(s(&v["compact"]), &rsa_public(), &[Algorithm::RS256]).unwrap();
    assert_eq!(out.payload, s(&v["payload"]).as_bytes());
    assert_eq!(
        out.header.kid.as_deref(),
        Some("bilbo.baggins@hobbiton.example")
    );
    assert_eq!(b64u_encode(out.header.to_json()), s(&v["protected_b64u"]));
}

#[test]
fn rfc7515_a2_rs256_verify() {
    let v = vector(RFC7515_A2);
    let key = jwk(&v["key"]).to_public_key().unwrap();
    let out = verify(s(&v["compact"]), &key, &[Algorithm::RS256]).unwrap();
    assert_eq!(out.payload, s(&v["payload"]).as_bytes());
}

#[test]
fn rfc7515_a3_es256_verify_and_claims() {
    let v = vector(RFC7515_A3);
    let key = jwk(&v["key"]).to_public_key().unwrap();
    let out = verify(s(&v["compact"]), &key, &[Algorithm::ES256]).unwrap();
    assert_eq!(out.payload, s(&v["payload"]).as_bytes());
    let jwt = verify_jwt(s(&v["compact"]), &key, &[Algorithm::ES256]).unwrap();
    assert_eq!(jwt.claims["iss"], "joe");
    assert_eq!(jwt.claims["exp"], 1_300_819_380);
    assert_eq!(jwt.claims["http://example.com/is_root"], true);
    assert_eq!(
        check_time(&jwt.claims, 1_300_819_380, 0),
        Err(JwsError::Expired {
            exp: 1_300_819_380,
            now: 1_300_819_380
        })
    );
    check_time(&jwt.claims, 1_300_819_379, 0).unwrap();
}

#[test]
fn rfc7638_rsa_thumbprint() {
    let v = vector(RFC7638);
    assert_eq!(jwk(&v["jwk"]).thumbprint().unwrap(), s(&v["thumbprint"]));
}

// ---------------------------------------------------------------- round trips

#[test]
fn es256_sign_verify_round_trip_with_generated_key() {
    let mut rng = rng::SeededRandom::new(b"jws es256");
    let key = PrivateKey::generate(KeyType::P256, &mut rng).unwrap();
    let header = Header::new(Algorithm::ES256).with_kid("k1").with_typ("JWT");
    let token = sign(&header, b"hello", &key).unwrap();
    let out = verify(&token, &key.public_key(), &[Algorithm::ES256]).unwrap();
    assert_eq!(out.payload, b"hello");
    assert_eq!(out.header, header);
    assert_eq!(signature_of(&token).len(), 64);
}

#[test]
fn header_serialization_is_deterministic_and_round_trips() {
    let header = Header::new(Algorithm::EdDSA)
        .with_typ("JWT")
        .with_kid("did:key:z6Mk#z6Mk")
        .with_cty("json")
        .with_member("nonce", json!("n-0S6_WzA2Mj"))
        .unwrap()
        .with_member("aa", json!({"z": 1, "b": [1, 2]}))
        .unwrap();
    let text = header.to_json();
    assert_eq!(
        text,
        r#"{"aa":{"b":[1,2],"z":1},"alg":"EdDSA","cty":"json","kid":"did:key:z6Mk#z6Mk","nonce":"n-0S6_WzA2Mj","typ":"JWT"}"#
    );
    let parsed = Header::from_json_bytes(text.as_bytes()).unwrap();
    assert_eq!(parsed, header);
    assert_eq!(parsed.member("nonce"), Some(&json!("n-0S6_WzA2Mj")));
    let token = sign(&header, b"x", &ed_key()).unwrap();
    assert_eq!(jws::peek_header(&token).unwrap(), header);
}

#[test]
fn header_refuses_typed_names_as_other_members() {
    for name in ["alg", "kid", "typ", "cty", "crit"] {
        let err = Header::new(Algorithm::EdDSA)
            .with_member(name, json!("x"))
            .unwrap_err();
        assert!(
            matches!(err, JwsError::InvalidHeaderMember(n) if n == name),
            "{name}"
        );
    }
}

#[test]
fn detached_payload_round_trip() {
    let header = Header::new(Algorithm::EdDSA);
    let token = sign_detached(&header, b"detached content", &ed_key()).unwrap();
    assert!(token.contains(".."));
    let public = ed_key().public_key();
    assert_eq!(
        verify_detached(&token, b"detached content", &public, &[Algorithm::EdDSA]).unwrap(),
        header
    );
    assert_eq!(
        verify_detached(&token, b"other content", &public, &[Algorithm::EdDSA]),
        Err(JwsError::BadSignature)
    );
    let attached = sign(&header, b"detached content", &ed_key()).unwrap();
    assert_eq!(
        verify_detached(&attached, b"detached content", &public, &[Algorithm::EdDSA]),
        Err(JwsError::Base64(Part::Payload))
    );
}

#[test]
fn algorithm_parse_table() {
    assert_eq!(Algorithm::parse("EdDSA"), Ok(Algorithm::EdDSA));
    assert_eq!(Algorithm::parse("ES256"), Ok(Algorithm::ES256));
    assert_eq!(Algorithm::parse("RS256"), Ok(Algorithm::RS256));
    assert_eq!("ES256".parse::<Algorithm>(), Ok(Algorithm::ES256));
    for none in ["none", "None", "NONE", "nOnE"] {
        assert_eq!(Algorithm::parse(none), Err(JwsError::AlgNone), "{none}");
    }
    for hs in ["HS256", "HS384", "HS512", "hs256"] {
        assert_eq!(
            Algorithm::parse(hs),
            Err(JwsError::HmacAlgorithm(hs.into()))
        );
    }
    for other in ["es256", "ES384", "ES512", "PS256", "RS512", "Ed25519", ""] {
        assert_eq!(
            Algorithm::parse(other),
            Err(JwsError::UnsupportedAlgorithm(other.into()))
        );
    }
    for alg in [Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256] {
        assert_eq!(Algorithm::parse(alg.as_str()), Ok(alg));
    }
}

// ---------------------------------------------------------------- alg rules

#[test]
fn rejects_alg_none() {
    let payload = b64u_encode("{\"sub\":\"admin\"}");
    for header in [r#"{"alg":"none"}"#, r#"{"alg":"None"}"#] {
        let token = format!("{}.{payload}.", b64u_encode(header));
        assert_eq!(
            verify(&token, &ed_key().public_key(), ALL),
            Err(JwsError::AlgNone)
        );
    }
}

#[test]
fn rejects_hmac_with_public_key_as_secret() {
    // The classic confusion: a verifier that takes `alg` from the token would MAC
    // with the public key's bytes. These tokens carry correct MACs under exactly that.
    let payload = b64u_encode("{\"sub\":\"admin\"}");
    let p256 = p256_key().public_key();
    let PublicKey::P256(p) = &p256 else {
        unreachable!()
    };
    let rsa = rsa_public();
    let PublicKey::Rsa(r) = &rsa else {
        unreachable!()
    };
    let cases: [(&PublicKey, Vec<u8>); 3] = [
        (&p256, p.to_sec1_compressed().to_vec()),
        (&rsa, r.n()),
        (
            &rsa,
            serde_json::to_vec(&Jwk::from_public_key(&rsa)).unwrap(),
        ),
    ];
    for (key, secret) in cases {
        for alg in ["HS256", "HS384", "HS512"] {
            let input = format!("{}.{payload}", b64u_encode(format!(r#"{{"alg":"{alg}"}}"#)));
            let token = format!(
                "{input}.{}",
                b64u_encode(hmac_sha256(&secret, input.as_bytes()))
            );
            assert_eq!(
                verify(&token, key, ALL),
                Err(JwsError::HmacAlgorithm(alg.into())),
                "{alg}"
            );
        }
    }
}

#[test]
fn rejects_unknown_alg() {
    let token = forge_ed(r#"{"alg":"ES512"}"#);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::UnsupportedAlgorithm("ES512".into()))
    );
}

#[test]
fn rejects_alg_outside_allow_list() {
    let token = sign(&Header::new(Algorithm::EdDSA), b"p", &ed_key()).unwrap();
    let key = ed_key().public_key();
    assert!(verify(&token, &key, &[Algorithm::EdDSA]).is_ok());
    assert_eq!(
        verify(&token, &key, &[Algorithm::ES256, Algorithm::RS256]),
        Err(JwsError::AlgorithmNotAllowed(Algorithm::EdDSA))
    );
    assert_eq!(
        verify(&token, &key, &[]),
        Err(JwsError::AlgorithmNotAllowed(Algorithm::EdDSA))
    );
}

#[test]
fn rejects_alg_key_type_mismatch() {
    let es = sign(&Header::new(Algorithm::ES256), b"p", &p256_key()).unwrap();
    assert_eq!(
        verify(&es, &ed_key().public_key(), ALL),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::ES256,
            key: KeyType::Ed25519
        })
    );
    assert_eq!(
        verify(&es, &rsa_public(), ALL),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::ES256,
            key: KeyType::Rsa
        })
    );
    let ed = sign(&Header::new(Algorithm::EdDSA), b"p", &ed_key()).unwrap();
    let x25519 = PublicKey::X25519(ed_seed().public_key().to_x25519());
    assert_eq!(
        verify(&ed, &x25519, ALL),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::EdDSA,
            key: KeyType::X25519
        })
    );
    // RS256 header, EdDSA signature bytes, Ed25519 key.
    let rs = forge_ed(r#"{"alg":"RS256"}"#);
    assert_eq!(
        verify(&rs, &ed_key().public_key(), ALL),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::RS256,
            key: KeyType::Ed25519
        })
    );
}

#[test]
fn sign_refuses_mismatched_key_and_rs256() {
    assert_eq!(
        sign(&Header::new(Algorithm::ES256), b"p", &ed_key()),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::ES256,
            key: KeyType::Ed25519
        })
    );
    assert_eq!(
        sign(&Header::new(Algorithm::EdDSA), b"p", &p256_key()),
        Err(JwsError::KeyMismatch {
            alg: Algorithm::EdDSA,
            key: KeyType::P256
        })
    );
    assert_eq!(
        sign(&Header::new(Algorithm::RS256), b"p", &ed_key()),
        Err(JwsError::SigningNotSupported(Algorithm::RS256))
    );
}

// ---------------------------------------------------------------- header rules

#[test]
fn rejects_embedded_keys_in_header() {
    let key = ed_key();
    let public_jwk = serde_json::to_value(Jwk::from_public_key(&key.public_key())).unwrap();
    let cases = [
        ("jwk", public_jwk),
        ("jku", json!("https://attacker.example/jwks.json")),
        ("x5u", json!("https://attacker.example/cert.pem")),
        ("x5c", json!(["MIIBszCCAVmgAwIBAgIUQ"])),
    ];
    for (name, value) in cases {
        let header = Header::new(Algorithm::EdDSA)
            .with_member(name, value)
            .unwrap();
        let token = sign(&header, b"p", &key).unwrap();
        assert_eq!(
            verify(&token, &key.public_key(), ALL),
            Err(JwsError::EmbeddedKey(name)),
            "{name}"
        );
    }
}

#[test]
fn rejects_any_critical_extension() {
    let mut header = Header::new(Algorithm::EdDSA)
        .with_member("exp", json!(5))
        .unwrap();
    header.set_crit(vec!["exp".into()]).unwrap();
    let token = sign(&header, b"p", &ed_key()).unwrap();
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::UnsupportedCritical("exp".into()))
    );
    // The RFC 7797 case: b64=false must be refused, not silently misread.
    let mut header = Header::new(Algorithm::EdDSA)
        .with_member("b64", json!(false))
        .unwrap();
    header.set_crit(vec!["b64".into()]).unwrap();
    let token = sign(&header, b"p", &ed_key()).unwrap();
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::UnsupportedCritical("b64".into()))
    );
}

#[test]
fn rejects_empty_crit() {
    let token = forge_ed(r#"{"alg":"EdDSA","crit":[]}"#);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::CritEmpty)
    );
    assert_eq!(
        Header::new(Algorithm::EdDSA).set_crit(vec![]),
        Err(JwsError::CritEmpty)
    );
}

#[test]
fn rejects_invalid_crit() {
    for header in [
        r#"{"alg":"EdDSA","crit":"exp","exp":1}"#,
        r#"{"alg":"EdDSA","crit":[1]}"#,
        r#"{"alg":"EdDSA","crit":["alg"]}"#,
        r#"{"alg":"EdDSA","crit":["kid"],"kid":"a"}"#,
        r#"{"alg":"EdDSA","crit":["absent"]}"#,
        r#"{"alg":"EdDSA","crit":["exp","exp"],"exp":1}"#,
    ] {
        assert_eq!(
            verify(&forge_ed(header), &ed_key().public_key(), ALL),
            Err(JwsError::CritInvalid),
            "{header}"
        );
    }
    assert_eq!(
        Header::new(Algorithm::EdDSA).set_crit(vec!["absent".into()]),
        Err(JwsError::CritInvalid)
    );
}

#[test]
fn rejects_duplicate_header_members() {
    // serde_json alone keeps the last "alg"; a token signed this way would verify.
    let token = forge_ed(r#"{"alg":"none","alg":"EdDSA"}"#);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::DuplicateHeaderMember("alg".into()))
    );
    let token = forge_ed(r#"{"alg":"EdDSA","kid":"a","kid":"b"}"#);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::DuplicateHeaderMember("kid".into()))
    );
}

#[test]
fn rejects_missing_or_mistyped_registered_members() {
    let key = ed_key().public_key();
    assert_eq!(
        verify(&forge_ed(r#"{"kid":"a"}"#), &key, ALL),
        Err(JwsError::MissingAlg)
    );
    let cases = [
        (r#"{"alg":["EdDSA"]}"#, "alg"),
        (r#"{"alg":"EdDSA","kid":7}"#, "kid"),
        (r#"{"alg":"EdDSA","typ":null}"#, "typ"),
        (r#"{"alg":"EdDSA","cty":{}}"#, "cty"),
    ];
    for (header, name) in cases {
        assert_eq!(
            verify(&forge_ed(header), &key, ALL),
            Err(JwsError::InvalidHeaderMember(name)),
            "{header}"
        );
    }
}

#[test]
fn rejects_header_that_is_not_a_json_object() {
    let key = ed_key().public_key();
    for header in [r#"["alg","EdDSA"]"#, "\"EdDSA\"", "null", "42"] {
        assert_eq!(
            verify(&forge_ed(header), &key, ALL),
            Err(JwsError::HeaderNotObject),
            "{header}"
        );
    }
    for header in [
        r#"{"alg":"EdDSA""#,
        r#"{"alg":"EdDSA"} x"#,
        "",
        "{'alg':'EdDSA'}",
    ] {
        assert!(
            matches!(
                verify(&forge_ed(header), &key, ALL),
                Err(JwsError::HeaderJson(_))
            ),
            "{header}"
        );
    }
    // Not UTF-8.
    let token = format!(
        "{}.{}.{}",
        b64u_encode([0x7b, 0xff, 0x7d]),
        b64u_encode("p"),
        ""
    );
    assert!(matches!(
        verify(&token, &key, ALL),
        Err(JwsError::HeaderJson(_))
    ));
}

// ---------------------------------------------------------------- structure

#[test]
fn rejects_wrong_part_count() {
    let token = sign(&Header::new(Algorithm::EdDSA), b"p", &ed_key()).unwrap();
    let key = ed_key().public_key();
    let (two, _) = token.rsplit_once('.').unwrap();
    assert_eq!(verify(two, &key, ALL), Err(JwsError::PartCount(2)));
    assert_eq!(
        verify(&format!("{token}."), &key, ALL),
        Err(JwsError::PartCount(4))
    );
    assert_eq!(
        verify(&format!("{token}.x.y"), &key, ALL),
        Err(JwsError::PartCount(5))
    );
    assert_eq!(verify("", &key, ALL), Err(JwsError::PartCount(1)));
    // JWE compact has five parts.
    assert_eq!(verify("a.b.c.d.e", &key, ALL), Err(JwsError::PartCount(5)));
}

#[test]
fn rejects_bad_base64url_in_each_part() {
    let key = ed_key();
    let public = key.public_key();
    let token = sign(&Header::new(Algorithm::EdDSA), b"payload!", &key).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    // Padding and the standard alphabet are not base64url (RFC 7515 §2).
    let padded_header = format!("{}=.{}.{}", parts[0], parts[1], parts[2]);
    assert_eq!(
        verify(&padded_header, &public, ALL),
        Err(JwsError::Base64(Part::Header))
    );
    let bad_sig = format!("{}.{}.{}+", parts[0], parts[1], &parts[2][1..]);
    assert_eq!(
        verify(&bad_sig, &public, ALL),
        Err(JwsError::Base64(Part::Signature))
    );
    // A signature that is valid over a payload part that is not base64url.
    let token = forge(r#"{"alg":"EdDSA"}"#, "not/base64+", &key);
    assert_eq!(
        verify(&token, &public, ALL),
        Err(JwsError::Base64(Part::Payload))
    );
}

#[test]
fn rejects_oversized_token() {
    // A genuinely signed token that is just over the limit.
    let payload = vec![b'a'; MAX_JWS_LEN * 3 / 4 + 16];
    let token = sign(&Header::new(Algorithm::EdDSA), &payload, &ed_key()).unwrap();
    assert!(token.len() > MAX_JWS_LEN);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::TooLarge {
            len: token.len(),
            max: MAX_JWS_LEN
        })
    );
    // Just under the limit still verifies.
    let payload = vec![b'a'; MAX_JWS_LEN * 3 / 4 - 200];
    let token = sign(&Header::new(Algorithm::EdDSA), &payload, &ed_key()).unwrap();
    assert!(token.len() <= MAX_JWS_LEN);
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL).unwrap().payload,
        payload
    );
}

#[test]
fn rejects_oversized_header() {
    let header = Header::new(Algorithm::EdDSA)
        .with_member("pad", json!("x".repeat(MAX_HEADER_LEN)))
        .unwrap();
    let token = sign(&header, b"p", &ed_key()).unwrap();
    assert!(matches!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::HeaderTooLarge {
            max: MAX_HEADER_LEN,
            ..
        })
    ));
    assert!(matches!(
        Header::from_json_bytes(header.to_json().as_bytes()),
        Err(JwsError::HeaderTooLarge {
            max: MAX_HEADER_LEN,
            ..
        })
    ));
}

// ---------------------------------------------------------------- signatures

#[test]
fn rejects_tampered_payload_and_signature() {
    let key = p256_key();
    let token = sign(&Header::new(Algorithm::ES256), b"amount=1", &key).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!("{}.{}.{}", parts[0], b64u_encode("amount=9"), parts[2]);
    assert_eq!(
        verify(&tampered, &key.public_key(), ALL),
        Err(JwsError::BadSignature)
    );
    let mut sig = signature_of(&token);
    sig[10] ^= 1;
    assert_eq!(
        verify(&with_signature(&token, &sig), &key.public_key(), ALL),
        Err(JwsError::BadSignature)
    );
    let ed = sign(&Header::new(Algorithm::EdDSA), b"p", &ed_key()).unwrap();
    let mut sig = signature_of(&ed);
    sig[0] ^= 0x80;
    assert_eq!(
        verify(&with_signature(&ed, &sig), &ed_key().public_key(), ALL),
        Err(JwsError::BadSignature)
    );
    // The RS256 vector with one bit flipped.
    let v = vector(RFC7520_4_1);
    let mut sig = signature_of(s(&v["compact"]));
    sig[100] ^= 4;
    assert_eq!(
        verify(&with_signature(s(&v["compact"]), &sig), &rsa_public(), ALL),
        Err(JwsError::BadSignature)
    );
}

#[test]
fn rejects_wrong_signature_lengths() {
    let es = sign(&Header::new(Algorithm::ES256), b"p", &p256_key()).unwrap();
    let sig = signature_of(&es);
    for len in [0usize, 63, 65, 72] {
        let mut other = sig.clone();
        other.resize(len, 0);
        assert_eq!(
            verify(&with_signature(&es, &other), &p256_key().public_key(), ALL),
            Err(JwsError::SignatureLength {
                expected: 64,
                actual: len
            })
        );
    }
    let ed = sign(&Header::new(Algorithm::EdDSA), b"p", &ed_key()).unwrap();
    let mut sig = signature_of(&ed);
    sig.truncate(63);
    assert_eq!(
        verify(&with_signature(&ed, &sig), &ed_key().public_key(), ALL),
        Err(JwsError::SignatureLength {
            expected: 64,
            actual: 63
        })
    );
    let v = vector(RFC7520_4_1);
    let mut sig = signature_of(s(&v["compact"]));
    sig.insert(0, 0);
    assert_eq!(
        verify(&with_signature(s(&v["compact"]), &sig), &rsa_public(), ALL),
        Err(JwsError::SignatureLength {
            expected: 256,
            actual: 257
        })
    );
}

#[test]
fn rejects_ecdsa_zero_r_or_s() {
    let key = p256_key();
    let token = sign(&Header::new(Algorithm::ES256), b"p", &key).unwrap();
    let sig = signature_of(&token);
    let mut zero_r = sig.clone();
    zero_r[..32].fill(0);
    let mut zero_s = sig.clone();
    zero_s[32..].fill(0);
    for bad in [zero_r, zero_s, vec![0u8; 64]] {
        assert_eq!(
            verify(&with_signature(&token, &bad), &key.public_key(), ALL),
            Err(JwsError::EcdsaZeroScalar)
        );
    }
}

#[test]
fn rejects_ecdsa_scalars_not_below_order() {
    let key = p256_key();
    let token = sign(&Header::new(Algorithm::ES256), b"p", &key).unwrap();
    let sig = signature_of(&token);
    let n = wallet_core::encoding::hex_decode(
        "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551",
    )
    .unwrap();
    let mut r_is_n = sig.clone();
    r_is_n[..32].copy_from_slice(&n);
    let mut s_is_ff = sig.clone();
    s_is_ff[32..].fill(0xff);
    for bad in [r_is_n, s_is_ff] {
        assert_eq!(
            verify(&with_signature(&token, &bad), &key.public_key(), ALL),
            Err(JwsError::EcdsaScalarRange)
        );
    }
    // n - 1 is in range: it gets as far as the signature check.
    let mut n_minus_1 = n.clone();
    n_minus_1[31] -= 1;
    let mut edge = sig.clone();
    edge[..32].copy_from_slice(&n_minus_1);
    assert_eq!(
        verify(&with_signature(&token, &edge), &key.public_key(), ALL),
        Err(JwsError::BadSignature)
    );
    // The unmodified signature is valid: the failures above come from the edits.
    assert!(verify(&token, &key.public_key(), ALL).is_ok());
}

/// Little-endian L, the Ed25519 group order.
const L: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn add_l(s: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for ((o, a), b) in out.iter_mut().zip(s).zip(L) {
        let v = u16::from(*a) + u16::from(b) + carry;
        *o = v.to_le_bytes()[0];
        carry = v >> 8;
    }
    assert_eq!(carry, 0);
    out
}

#[test]
fn rejects_non_canonical_ed25519_s() {
    let key = ed_key();
    let token = sign(&Header::new(Algorithm::EdDSA), b"p", &key).unwrap();
    let sig = signature_of(&token);
    // (R, S + L) satisfies the verification equation mod L: only the S < L rule stops it.
    let mut malleated = sig.clone();
    malleated[32..].copy_from_slice(&add_l(&sig[32..]));
    assert_eq!(
        verify(&with_signature(&token, &malleated), &key.public_key(), ALL),
        Err(JwsError::Ed25519NonCanonical)
    );
    // S = L exactly.
    let mut s_is_l = sig.clone();
    s_is_l[32..].copy_from_slice(&L);
    assert_eq!(
        verify(&with_signature(&token, &s_is_l), &key.public_key(), ALL),
        Err(JwsError::Ed25519NonCanonical)
    );
    // The key type's own strict verification rejects it as well.
    let (input, _) = token.rsplit_once('.').unwrap();
    assert_eq!(
        ed_seed().public_key().verify(input.as_bytes(), &malleated),
        Err(KeyError::BadSignature)
    );
}

/// A signature with the identity point as R and S = k·a mod L satisfies the
/// cofactorless equation [S]B = R + [k]A, so plain `verify` accepts it; only
/// `verify_strict` (which refuses a small-order R) rejects it.
fn small_order_r_signature(message: &[u8]) -> Vec<u8> {
    use rsa::BigUint;
    let seed = ed_seed().to_seed();
    let public = ed_seed().public_key().to_bytes();
    let h = Sha512::digest(seed.as_slice());
    let mut a = [0u8; 32];
    a.copy_from_slice(&h[..32]);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    let mut r = [0u8; 32];
    r[0] = 1; // the identity point, encoded
    let mut k_hash = Sha512::new();
    k_hash.update(r);
    k_hash.update(public);
    k_hash.update(message);
    let k = BigUint::from_bytes_le(&k_hash.finalize());
    let l = BigUint::from_bytes_le(&L);
    let s = (k * BigUint::from_bytes_le(&a)) % &l;
    let mut s_bytes = s.to_bytes_le();
    s_bytes.resize(32, 0);
    let mut sig = r.to_vec();
    sig.extend_from_slice(&s_bytes);
    sig
}

#[test]
fn rejects_ed25519_small_order_r_via_verify_strict() {
    let header = r#"{"alg":"EdDSA"}"#;
    let input = format!("{}.{}", b64u_encode(header), b64u_encode("p"));
    let sig = small_order_r_signature(input.as_bytes());
    let token = format!("{input}.{}", b64u_encode(&sig));
    assert_eq!(
        verify(&token, &ed_key().public_key(), ALL),
        Err(JwsError::BadSignature)
    );
    assert_eq!(
        ed_seed().public_key().verify(input.as_bytes(), &sig),
        Err(KeyError::BadSignature)
    );
}

// ---------------------------------------------------------------- JWT

#[test]
fn jwt_round_trip_and_time_checks() {
    let mut claims = Map::new();
    claims.insert("sub".into(), json!("did:key:z6Mk"));
    claims.insert("iat".into(), json!(1_000));
    claims.insert("nbf".into(), json!(1_000));
    claims.insert("exp".into(), json!(2_000));
    let header = Header::new(Algorithm::EdDSA).with_typ("JWT");
    let token = sign_jwt(&header, &claims, &ed_key()).unwrap();
    let out = verify_jwt(&token, &ed_key().public_key(), &[Algorithm::EdDSA]).unwrap();
    assert_eq!(out.claims, claims);
    assert_eq!(out.header, header);
    check_time(&out.claims, 1_000, 0).unwrap();
    check_time(&out.claims, 1_999, 0).unwrap();
    assert_eq!(
        check_time(&out.claims, 2_000, 0),
        Err(JwsError::Expired {
            exp: 2_000,
            now: 2_000
        })
    );
    check_time(&out.claims, 2_059, 60).unwrap();
    assert_eq!(
        check_time(&out.claims, 2_060, 60),
        Err(JwsError::Expired {
            exp: 2_000,
            now: 2_060
        })
    );
    let mut nbf_only = Map::new();
    nbf_only.insert("nbf".into(), json!(1_000));
    assert_eq!(
        check_time(&nbf_only, 999, 0),
        Err(JwsError::NotYetValid {
            nbf: 1_000,
            now: 999
        })
    );
    check_time(&nbf_only, 940, 60).unwrap();
    let mut iat_only = Map::new();
    iat_only.insert("iat".into(), json!(1_000));
    assert_eq!(
        check_time(&iat_only, 999, 0),
        Err(JwsError::IssuedInFuture {
            iat: 1_000,
            now: 999
        })
    );
    check_time(&iat_only, 999, 1).unwrap();
    // Fractional NumericDate: now 100 < 100.5 is valid, 101 is not.
    let mut frac = Map::new();
    frac.insert("exp".into(), json!(100.5));
    check_time(&frac, 100, 0).unwrap();
    assert_eq!(
        check_time(&frac, 101, 0),
        Err(JwsError::Expired { exp: 101, now: 101 })
    );
    check_time(&Map::new(), 0, 0).unwrap();
}

#[test]
fn jwt_rejects_non_numeric_time_claims() {
    for name in ["exp", "nbf", "iat"] {
        for bad in [json!("2000"), json!(null), json!([1]), json!(1e300)] {
            let mut claims = Map::new();
            claims.insert(name.into(), bad.clone());
            assert!(
                matches!(check_time(&claims, 0, 0), Err(JwsError::InvalidTimeClaim(n)) if n == name),
                "{name} {bad}"
            );
        }
    }
}

#[test]
fn jwt_rejects_non_object_and_duplicate_claims() {
    let key = ed_key();
    for payload in ["[1,2]", "\"sub\"", "not json", ""] {
        let token = sign(&Header::new(Algorithm::EdDSA), payload.as_bytes(), &key).unwrap();
        assert!(
            matches!(
                verify_jwt(&token, &key.public_key(), ALL),
                Err(JwsError::ClaimsNotObject(_))
            ),
            "{payload}"
        );
    }
    let token = sign(
        &Header::new(Algorithm::EdDSA),
        br#"{"sub":"alice","sub":"admin"}"#,
        &key,
    )
    .unwrap();
    assert_eq!(
        verify_jwt(&token, &key.public_key(), ALL),
        Err(JwsError::DuplicateClaim("sub".into()))
    );
    // verify_jwt applies every JWS rule too.
    let none = format!(
        "{}.{}.",
        b64u_encode(r#"{"alg":"none"}"#),
        b64u_encode("{}")
    );
    assert_eq!(
        verify_jwt(&none, &key.public_key(), ALL),
        Err(JwsError::AlgNone)
    );
}

#[test]
fn rfc9449_figure2_proof_verifies_with_its_own_jwk() {
    let v = vector(RFC9449_FIG2);
    let (verified, key) = verify_with_header_jwk(s(&v["proof"]), ALL).unwrap();
    assert_eq!(verified.header.alg, Algorithm::ES256);
    assert_eq!(verified.header.typ.as_deref(), Some("dpop+jwt"));
    let claims: Value = serde_json::from_slice(&verified.payload).unwrap();
    assert_eq!(claims, v["claims"]);
    // RFC 9449 Figure 9: the `cnf.jkt` of a token bound to this key.
    assert_eq!(key.thumbprint().unwrap(), s(&v["jkt"]));
    // The ordinary verification refuses a key carried in the token.
    let p256 = key.to_public_key().unwrap();
    assert!(matches!(
        verify(s(&v["proof"]), &p256, ALL),
        Err(JwsError::EmbeddedKey("jwk"))
    ));
    // Only what the caller allows.
    assert!(matches!(
        verify_with_header_jwk(s(&v["proof"]), &[Algorithm::EdDSA]),
        Err(JwsError::AlgorithmNotAllowed(Algorithm::ES256))
    ));
}

#[test]
fn header_jwk_proofs_refuse_tampering_and_wrong_keys() {
    let v = vector(RFC9449_FIG2);
    let proof = s(&v["proof"]);
    let mut parts: Vec<&str> = proof.split('.').collect();
    let other_payload = b64u_encode(br#"{"htm":"GET"}"#);
    parts[1] = &other_payload;
    assert!(matches!(
        verify_with_header_jwk(&parts.join("."), ALL),
        Err(JwsError::BadSignature)
    ));

    let key = ed_key();
    let public = Jwk::from_public_key(&key.public_key());
    let private = Jwk::from_private_key(&key).unwrap();
    let signed = |header: Header| sign(&header, b"{}", &key).unwrap();
    let with_jwk = |jwk: Value| {
        Header::new(Algorithm::EdDSA)
            .with_typ("dpop+jwt")
            .with_member("jwk", jwk)
            .unwrap()
    };
    // A proof made here verifies with the key it carries.
    let own = serde_json::to_value(&public).unwrap();
    let (_, carried) = verify_with_header_jwk(&signed(with_jwk(own.clone())), ALL).unwrap();
    assert_eq!(carried, public);
    // Without a jwk, with a private one, with another key's, or with a second key
    // member beside it.
    assert!(matches!(
        verify_with_header_jwk(&signed(Header::new(Algorithm::EdDSA)), ALL),
        Err(JwsError::HeaderJwk(_))
    ));
    let private = serde_json::to_value(&private).unwrap();
    assert!(matches!(
        verify_with_header_jwk(&signed(with_jwk(private)), ALL),
        Err(JwsError::HeaderJwk(_))
    ));
    assert!(matches!(
        verify_with_header_jwk(&signed(with_jwk(json!("not an object"))), ALL),
        Err(JwsError::HeaderJwk(_))
    ));
    let stranger = Jwk::from_public_key(
        &PrivateKey::Ed25519(
            Ed25519PrivateKey::generate(&mut rng::SeededRandom::new(b"stranger")).unwrap(),
        )
        .public_key(),
    );
    let stranger = serde_json::to_value(&stranger).unwrap();
    assert!(matches!(
        verify_with_header_jwk(&signed(with_jwk(stranger)), ALL),
        Err(JwsError::BadSignature)
    ));
    let both = with_jwk(own)
        .with_member("x5u", json!("https://x.example/cert"))
        .unwrap();
    assert!(matches!(
        verify_with_header_jwk(&signed(both), ALL),
        Err(JwsError::EmbeddedKey("x5u"))
    ));
}
