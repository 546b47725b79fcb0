//! JWS, native only: property tests (arbitrary input into every parser never panics)
//! and a cross-check against an independent JOSE implementation (python `jwcrypto`).
//!
//! The cross-check needs `python3` with `jwcrypto` installed (`pip install jwcrypto`);
//! without it the test fails and says so.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use serde_json::{Value, json};
use wallet_core::encoding::b64u_encode;
use wallet_core::jwk::Jwk;
use wallet_core::jws::{
    Algorithm, Header, JwsError, check_time, peek_header, sign, verify, verify_detached, verify_jwt,
};
use wallet_core::keys::{PrivateKey, PublicKey};

const RFC8037: &str = include_str!("../../tests/vectors/rfc8037/ed25519-jws.json");
const RFC7515_A3: &str = include_str!("../../tests/vectors/rfc7515/jws-a3-es256.json");
const RFC7520_4_1: &str = include_str!("../../tests/vectors/rfc7520/jws-4.1-rs256.json");

const ALL: &[Algorithm] = &[Algorithm::EdDSA, Algorithm::ES256, Algorithm::RS256];

fn key_from(vector: &str, member: &str) -> PrivateKey {
    let v: Value = serde_json::from_str(vector).unwrap();
    let jwk: Jwk = serde_json::from_value(v[member].clone()).unwrap();
    jwk.to_private_key().unwrap()
}

fn public_keys() -> Vec<PublicKey> {
    let v: Value = serde_json::from_str(RFC7520_4_1).unwrap();
    let rsa: Jwk = serde_json::from_value(v["key"].clone()).unwrap();
    vec![
        key_from(RFC8037, "A.1_private_jwk").public_key(),
        key_from(RFC7515_A3, "key").public_key(),
        rsa.to_public_key().unwrap(),
    ]
}

/// Runs every entry point that takes a token; none may panic, and none may accept
/// input that was not signed by the key.
fn all_parsers_reject(token: &str, keys: &[PublicKey]) {
    let _ = peek_header(token);
    for key in keys {
        assert!(verify(token, key, ALL).is_err());
        assert!(verify_jwt(token, key, ALL).is_err());
        assert!(verify_detached(token, b"payload", key, ALL).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_into_verify(token in ".{0,400}") {
        all_parsers_reject(&token, &public_keys());
    }

    #[test]
    fn arbitrary_bytes_into_header_parsing(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = Header::from_json_bytes(&bytes);
    }

    #[test]
    fn arbitrary_alg_strings(alg in ".{0,40}") {
        let _ = Algorithm::parse(&alg);
    }

    #[test]
    fn three_base64url_parts_of_arbitrary_bytes(
        h in proptest::collection::vec(any::<u8>(), 0..200),
        p in proptest::collection::vec(any::<u8>(), 0..200),
        s in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let token = format!("{}.{}.{}", b64u_encode(&h), b64u_encode(&p), b64u_encode(&s));
        all_parsers_reject(&token, &public_keys());
    }

    #[test]
    fn json_shaped_headers_with_arbitrary_members(
        alg in prop_oneof![
            Just("EdDSA".to_owned()), Just("ES256".to_owned()), Just("RS256".to_owned()),
            Just("none".to_owned()), Just("HS256".to_owned()), ".{0,10}"
        ],
        name in prop_oneof![
            Just("crit".to_owned()), Just("jwk".to_owned()), Just("kid".to_owned()),
            Just("alg".to_owned()), "[a-z]{1,5}"
        ],
        value in prop_oneof![
            Just(json!(null)), Just(json!([])), Just(json!(["kid"])), any::<i64>().prop_map(|n| json!(n)),
            ".{0,20}".prop_map(|s| json!(s)),
        ],
        sig in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let header = format!(r#"{{"alg":{},{}:{}}}"#, json!(alg), json!(name), value);
        let _ = Header::from_json_bytes(header.as_bytes());
        let token = format!("{}.{}.{}", b64u_encode(&header), b64u_encode("{}"), b64u_encode(&sig));
        all_parsers_reject(&token, &public_keys());
    }

    #[test]
    fn deep_nesting_is_bounded(depth in 0usize..2000) {
        let header = format!(r#"{{"alg":"EdDSA","x":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
        let _ = Header::from_json_bytes(header.as_bytes());
    }

    #[test]
    fn arbitrary_claims_into_check_time(
        exp in proptest::option::of(any::<f64>()),
        nbf in proptest::option::of(any::<i64>()),
        iat in proptest::option::of(".{0,5}"),
        now in any::<i64>(),
        leeway in any::<u32>(),
    ) {
        let mut claims = serde_json::Map::new();
        if let Some(exp) = exp.and_then(serde_json::Number::from_f64) {
            claims.insert("exp".into(), Value::Number(exp));
        }
        if let Some(nbf) = nbf {
            claims.insert("nbf".into(), json!(nbf));
        }
        if let Some(iat) = iat {
            claims.insert("iat".into(), json!(iat));
        }
        let _ = check_time(&claims, now, leeway);
    }
}

// ---------------------------------------------------------------- jwcrypto

const PY_VERIFY: &str = r#"
import json, sys
try:
    from jwcrypto import jwk, jws
except ImportError as e:
    print("MISSING-JWCRYPTO: " + str(e))
    sys.exit(3)
out = []
for case in json.load(sys.stdin):
    key = jwk.JWK(**case["jwk"])
    s = jws.JWS()
    s.deserialize(case["token"])
    s.verify(key, alg=case["alg"])
    out.append(s.payload.decode("utf-8"))
print(json.dumps(out))
"#;

const PY_SIGN: &str = r#"
import json, sys
try:
    from jwcrypto import jwk, jws
except ImportError as e:
    print("MISSING-JWCRYPTO: " + str(e))
    sys.exit(3)
out = []
for kty, crv, alg in [("OKP", "Ed25519", "EdDSA"), ("EC", "P-256", "ES256")]:
    key = jwk.JWK.generate(kty=kty, crv=crv)
    payload = json.dumps({"iss": "jwcrypto", "alg": alg}).encode("utf-8")
    s = jws.JWS(payload)
    s.add_signature(key, alg=alg, protected=json.dumps({"alg": alg, "kid": "py-" + alg}))
    out.append({"token": s.serialize(compact=True), "jwk": key.export_public(as_dict=True),
                "payload": payload.decode("utf-8"), "alg": alg})
print(json.dumps(out))
"#;

fn python(script: &str, stdin: &str) -> Value {
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 must be on PATH for the jwcrypto cross-check");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.starts_with("MISSING-JWCRYPTO"),
        "the jwcrypto cross-check needs the python package: run `pip install jwcrypto` ({stdout})"
    );
    assert!(
        out.status.success(),
        "python/jwcrypto failed: {}\n{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap()
}

#[test]
fn jwcrypto_verifies_our_eddsa_and_es256_tokens() {
    let ed = key_from(RFC8037, "A.1_private_jwk");
    let es = key_from(RFC7515_A3, "key");
    let mut cases = Vec::new();
    for (key, alg) in [(&ed, Algorithm::EdDSA), (&es, Algorithm::ES256)] {
        let payload = format!(r#"{{"iss":"wallet-core","alg":"{alg}","n":"\u00e9"}}"#);
        let header = Header::new(alg).with_kid("ours").with_typ("JWT");
        let token = sign(&header, payload.as_bytes(), key).unwrap();
        let jwk = serde_json::to_value(Jwk::from_public_key(&key.public_key())).unwrap();
        cases.push(json!({"token": token, "jwk": jwk, "alg": alg.as_str(), "payload": payload}));
    }
    let payloads = python(PY_VERIFY, &Value::Array(cases.clone()).to_string());
    for (case, got) in cases.iter().zip(payloads.as_array().unwrap()) {
        assert_eq!(got, &case["payload"]);
    }
    assert_eq!(payloads.as_array().unwrap().len(), 2);

    // And a tampered token must be refused by jwcrypto too (the harness can fail).
    let mut bad = cases[0].clone();
    let token = bad["token"].as_str().unwrap().to_owned();
    let (input, _) = token.rsplit_once('.').unwrap();
    bad["token"] = json!(format!("{input}.{}", b64u_encode([7u8; 64])));
    let status = Command::new("python3")
        .args(["-c", PY_VERIFY])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut c| {
            c.stdin
                .take()
                .unwrap()
                .write_all(Value::Array(vec![bad]).to_string().as_bytes())?;
            c.wait()
        })
        .unwrap();
    assert!(!status.success(), "jwcrypto accepted a forged signature");
}

#[test]
fn we_verify_jwcrypto_eddsa_and_es256_tokens() {
    let produced = python(PY_SIGN, "");
    let produced = produced.as_array().unwrap();
    assert_eq!(produced.len(), 2);
    for case in produced {
        let jwk: Jwk = serde_json::from_value(case["jwk"].clone()).unwrap();
        let key = jwk.to_public_key().unwrap();
        let alg = Algorithm::parse(case["alg"].as_str().unwrap()).unwrap();
        let token = case["token"].as_str().unwrap();
        let out = verify(token, &key, &[alg]).unwrap();
        assert_eq!(out.payload, case["payload"].as_str().unwrap().as_bytes());
        assert_eq!(
            out.header.kid.as_deref(),
            Some(format!("py-{alg}").as_str())
        );
        // Our allow-list still applies to foreign tokens.
        let other = if alg == Algorithm::EdDSA {
            Algorithm::ES256
        } else {
            Algorithm::EdDSA
        };
        assert_eq!(
            verify(token, &key, &[other]),
            Err(JwsError::AlgorithmNotAllowed(alg))
        );
    }
}
