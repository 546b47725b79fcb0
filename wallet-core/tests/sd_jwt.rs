//! SD-JWT (RFC 9901) and SD-JWT VC: the RFC's published examples (issuance,
//! presentation with key binding, recursive and complex nesting, SD-JWT VC), issue →
//! present → verify round trips, and one negative test per verification rule.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[allow(dead_code)] // FailingRandom is used once
#[path = "support/rng.rs"]
mod rng;

use rng::{FailingRandom, SeededRandom};
use serde_json::{Map, Value, json};
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::jwk::Jwk;
use wallet_core::jws::{Algorithm, Header, JwsError, sign_jwt};
use wallet_core::keys::{KeyType, P256PrivateKey, PrivateKey, PublicKey};
use wallet_core::random::RandomError;
use wallet_core::sd_jwt::{
    self, ClaimPath, ClaimPathElement as E, Disclosure, IssueOptions, IssuerKeyLookup, KeyBinding,
    KeyBindingParams, SdJwt, SdJwtError, VerifiedSdJwt, VerifyOptions, did_issuer_key,
    disclosure_digest, issue, sd_jwt_vc_claims,
};

const SIMPLE_ISSUANCE: &str =
    include_str!("../../tests/vectors/rfc9901/simple/sd_jwt_issuance.txt");
const SIMPLE_PRESENTATION: &str =
    include_str!("../../tests/vectors/rfc9901/simple/sd_jwt_presentation.txt");
const SIMPLE_KB_PAYLOAD: &str =
    include_str!("../../tests/vectors/rfc9901/simple/kb_jwt_payload.json");
const SIMPLE_VERIFIED: &str =
    include_str!("../../tests/vectors/rfc9901/simple/verified_contents.json");
const SIMPLE_DISCLOSURES: &str = include_str!("../../tests/vectors/rfc9901/simple/disclosures.txt");
const RECURSIVE_PAYLOAD: &str =
    include_str!("../../tests/vectors/rfc9901/recursive/sd_jwt_payload.json");
const RECURSIVE_DISCLOSURES: &str =
    include_str!("../../tests/vectors/rfc9901/recursive/disclosures.txt");
const RECURSIVE_VERIFIED: &str =
    include_str!("../../tests/vectors/rfc9901/recursive/verified_contents.json");
const COMPLEX_PRESENTATION: &str =
    include_str!("../../tests/vectors/rfc9901/complex/sd_jwt_presentation.txt");
const COMPLEX_VERIFIED: &str =
    include_str!("../../tests/vectors/rfc9901/complex/verified_contents.json");
const VC_ISSUANCE: &str = include_str!("../../tests/vectors/rfc9901/sd_jwt_vc/sd_jwt_issuance.txt");
const VC_PRESENTATION: &str =
    include_str!("../../tests/vectors/rfc9901/sd_jwt_vc/sd_jwt_presentation.txt");
const VC_KB_PAYLOAD: &str =
    include_str!("../../tests/vectors/rfc9901/sd_jwt_vc/kb_jwt_payload.json");
const VC_VERIFIED: &str =
    include_str!("../../tests/vectors/rfc9901/sd_jwt_vc/verified_contents.json");

// RFC 9901 Appendix A.5 / examples/settings.yml.
const ISSUER_X: &str = "b28d4MwZMjw8-00CG4xfnn9SLMVMM19SlqZpVb_uNtQ";
const ISSUER_Y: &str = "Xv5zWwuoaTgdS6hV43yI6gBwTnjukmFQQnJ_kCxzqk8";
const ISSUER_D: &str = "Ur2bNKuBPOrAaxsRnbSH6hIhmNTxSGXshDSUD1a1y7g";
const HOLDER_D: &str = "5K5SCos8zf9zRemGGUl6yfok-_NiiryNZsvANWMhF-I";
const NONCE: &str = "1234567890";
const AUD: &str = "https://verifier.example.org";
const KB_IAT: i64 = 1_737_118_540;
const ES256: &[Algorithm] = &[Algorithm::ES256];
const BOTH: &[Algorithm] = &[Algorithm::ES256, Algorithm::EdDSA];

fn issuer_public() -> PublicKey {
    let x = b64u_decode(ISSUER_X).unwrap();
    let y = b64u_decode(ISSUER_Y).unwrap();
    PublicKey::P256(wallet_core::keys::P256PublicKey::from_coordinates(&x, &y).unwrap())
}

fn issuer_private() -> PrivateKey {
    PrivateKey::P256(P256PrivateKey::from_bytes(&b64u_decode(ISSUER_D).unwrap()).unwrap())
}

fn holder_private() -> PrivateKey {
    PrivateKey::P256(P256PrivateKey::from_bytes(&b64u_decode(HOLDER_D).unwrap()).unwrap())
}

fn issuer_key(_: &IssuerKeyLookup<'_>) -> Result<PublicKey, SdJwtError> {
    Ok(issuer_public())
}

fn json_map(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap()
}

fn path(elements: &[E]) -> ClaimPath {
    elements.to_vec()
}

fn k(name: &str) -> E {
    E::Key(name.into())
}

fn kb_required(now: i64) -> VerifyOptions<'static> {
    VerifyOptions {
        algorithms: ES256,
        now,
        leeway: 30,
        key_binding: KeyBinding::Required {
            nonce: NONCE,
            aud: AUD,
            max_age: 300,
        },
        expected_typ: None,
    }
}

fn no_kb(now: i64) -> VerifyOptions<'static> {
    VerifyOptions {
        key_binding: KeyBinding::NotRequired,
        ..kb_required(now)
    }
}

fn verify_simple(presentation: &str) -> Result<VerifiedSdJwt, SdJwtError> {
    sd_jwt::verify(presentation, issuer_key, &kb_required(KB_IAT + 5))
}

/// The §4.2.3 examples: digests of the `family_name` and `FR` disclosures.
#[test]
fn rfc9901_section_4_2_3_digest_examples() {
    let d = "WyI2cU1RdlJMNWhhaiIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0";
    assert_eq!(
        disclosure_digest(d),
        "uutlBuYeMDyjLLTpf6Jxi7yNkEF35jdyWMn9U7b_RYY"
    );
    let parsed = Disclosure::parse(d).unwrap();
    assert_eq!(parsed.salt(), "6qMQvRL5haj");
    assert_eq!(parsed.name(), Some("family_name"));
    assert_eq!(parsed.value(), &json!("Möbius"));
    let fr = "WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0";
    assert_eq!(
        disclosure_digest(fr),
        "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
    );
    let parsed = Disclosure::parse(fr).unwrap();
    assert_eq!(parsed.name(), None);
    assert_eq!(parsed.value(), &json!("FR"));
}

/// Every disclosure of §5.1 and §6.3 hashes to its published digest.
#[test]
fn rfc9901_published_disclosure_digests() {
    for line in SIMPLE_DISCLOSURES
        .lines()
        .chain(RECURSIVE_DISCLOSURES.lines())
    {
        let (digest, disclosure) = line.split_once(' ').unwrap();
        let parsed = Disclosure::parse(disclosure).unwrap();
        assert_eq!(parsed.digest(), digest);
        assert_eq!(disclosure_digest(disclosure), digest);
    }
}

/// §5.1: the issued SD-JWT verifies with the issuer key; all ten disclosures are
/// referenced; the holder sees every claim.
#[test]
fn rfc9901_simple_issuance_verifies() {
    let verified = sd_jwt::verify(SIMPLE_ISSUANCE, issuer_key, &no_kb(KB_IAT)).unwrap();
    assert_eq!(verified.header.typ.as_deref(), Some("example+sd-jwt"));
    assert_eq!(
        verified.issuer.as_deref(),
        Some("https://issuer.example.com")
    );
    assert!(!verified.key_bound);
    assert_eq!(verified.disclosed.len(), 10);
    let c = &verified.claims;
    assert_eq!(c["given_name"], json!("John"));
    assert_eq!(c["phone_number_verified"], json!(true));
    assert_eq!(c["updated_at"], json!(1_570_000_000));
    assert_eq!(c["nationalities"], json!(["US", "DE"]));
    assert!(!c.contains_key("_sd") && !c.contains_key("_sd_alg"));
    let jwk = verified.holder_jwk.unwrap();
    assert_eq!(
        jwk.x.as_deref(),
        Some("TCAER19Zvu3OHF4j4W4vfSVoHIP1ILilDls7vCeGemc")
    );
    assert_eq!(jwk.to_public_key().unwrap(), holder_private().public_key());

    let sd = SdJwt::parse(SIMPLE_ISSUANCE).unwrap();
    assert_eq!(sd.to_compact(), SIMPLE_ISSUANCE);
    let decoded = sd.decode_unverified().unwrap();
    assert_eq!(decoded.claims, verified.claims);
    assert!(
        decoded
            .disclosable
            .contains(&path(&[k("nationalities"), E::Index(1)]))
    );
    assert!(decoded.disclosable.contains(&path(&[k("address")])));
}

/// §5.2: the SD-JWT+KB verifies (KB-JWT signed by the `cnf` key, nonce, aud, iat,
/// sd_hash) and the processed payload is the published one.
#[test]
fn rfc9901_simple_presentation_verifies() {
    let verified = verify_simple(SIMPLE_PRESENTATION).unwrap();
    assert!(verified.key_bound);
    assert_eq!(verified.claims, json_map(SIMPLE_VERIFIED));
    let mut disclosed = verified.disclosed.clone();
    disclosed.sort();
    assert_eq!(
        disclosed,
        vec![
            path(&[k("address")]),
            path(&[k("family_name")]),
            path(&[k("given_name")]),
            path(&[k("nationalities"), E::Index(0)]),
        ]
    );
}

/// §5.2: the KB-JWT payload is the published one, and its `sd_hash` is the digest of
/// the presentation up to the last `~`.
#[test]
fn rfc9901_simple_kb_jwt_payload_and_sd_hash() {
    let sd = SdJwt::parse(SIMPLE_PRESENTATION).unwrap();
    let kb = sd.kb_jwt().unwrap();
    let payload = b64u_decode(kb.split('.').nth(1).unwrap()).unwrap();
    let payload: Map<String, Value> = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload, json_map(SIMPLE_KB_PAYLOAD));
    let upto = &SIMPLE_PRESENTATION[..=SIMPLE_PRESENTATION.rfind('~').unwrap()];
    assert_eq!(sd.sd_jwt_part(), upto);
    assert_eq!(
        disclosure_digest(upto),
        payload["sd_hash"].as_str().unwrap()
    );
}

/// Appendix A.2: the complex structured presentation (recursive array element
/// disclosure inside `verified_claims`) gives the published payload.
#[test]
fn rfc9901_complex_presentation_verifies() {
    let verified = sd_jwt::verify(COMPLEX_PRESENTATION, issuer_key, &no_kb(KB_IAT)).unwrap();
    assert_eq!(verified.claims, json_map(COMPLEX_VERIFIED));
    assert!(verified.disclosed.contains(&path(&[
        k("verified_claims"),
        k("verification"),
        k("evidence"),
        E::Index(0),
        k("method"),
    ])));
}

/// Appendix A.3: the SD-JWT VC (`dc+sd-jwt`) issuance verifies; the presentation
/// with key binding gives the published payload; its KB-JWT payload is the published
/// one.
#[test]
fn rfc9901_sd_jwt_vc_example() {
    let opts = VerifyOptions {
        expected_typ: Some(sd_jwt::SD_JWT_VC_TYP),
        ..no_kb(KB_IAT)
    };
    let issued = sd_jwt::verify(VC_ISSUANCE, issuer_key, &opts).unwrap();
    assert_eq!(
        issued.vct.as_deref(),
        Some("https://bmi.bund.example/credential/pid/1.0")
    );
    assert_eq!(issued.claims["address"]["locality"], json!("Köln"));
    assert_eq!(
        issued.claims["place_of_birth"],
        json!({"locality": "Berlin", "country": "DE"})
    );
    assert_eq!(issued.disclosed.len(), 21);

    let opts = VerifyOptions {
        expected_typ: Some(sd_jwt::SD_JWT_VC_TYP),
        ..kb_required(KB_IAT)
    };
    let verified = sd_jwt::verify(VC_PRESENTATION, issuer_key, &opts).unwrap();
    assert_eq!(verified.claims, json_map(VC_VERIFIED));
    assert!(verified.key_bound);
    let kb = SdJwt::parse(VC_PRESENTATION).unwrap();
    let payload = b64u_decode(kb.kb_jwt().unwrap().split('.').nth(1).unwrap()).unwrap();
    let payload: Map<String, Value> = serde_json::from_slice(&payload).unwrap();
    assert_eq!(payload, json_map(VC_KB_PAYLOAD));
}

/// §6.3 recursive disclosures: the published payload, signed with the example issuer
/// key, processed with the five published disclosures.
#[test]
fn rfc9901_recursive_example() {
    let jwt = sign_jwt(
        &Header::new(Algorithm::ES256),
        &json_map(RECURSIVE_PAYLOAD),
        &issuer_private(),
    )
    .unwrap();
    let mut presentation = format!("{jwt}~");
    for line in RECURSIVE_DISCLOSURES.lines() {
        presentation.push_str(line.split_once(' ').unwrap().1);
        presentation.push('~');
    }
    let verified = sd_jwt::verify(&presentation, issuer_key, &no_kb(KB_IAT)).unwrap();
    assert_eq!(verified.claims, json_map(RECURSIVE_VERIFIED));
    assert!(verified.disclosed.contains(&path(&[k("address")])));
    assert!(
        verified
            .disclosed
            .contains(&path(&[k("address"), k("region")]))
    );

    // Revealing one sub-claim needs the parent `address` disclosure as well.
    let sd = SdJwt::parse(&presentation).unwrap();
    let shown = sd
        .present(&[path(&[k("address"), k("locality")])], None)
        .unwrap();
    let verified = sd_jwt::verify(&shown, issuer_key, &no_kb(KB_IAT)).unwrap();
    assert_eq!(
        verified.claims["address"],
        json!({"locality": "Schulpforta"})
    );
    assert_eq!(SdJwt::parse(&shown).unwrap().disclosures().len(), 2);
}

/// The holder re-presents the §5.1 issuance with its own selection and key binding.
#[test]
fn present_rfc_issuance_with_key_binding() {
    let sd = SdJwt::parse(SIMPLE_ISSUANCE).unwrap();
    let holder = holder_private();
    let kb = KeyBindingParams {
        key: &holder,
        alg: Algorithm::ES256,
        nonce: NONCE,
        aud: AUD,
        iat: KB_IAT,
    };
    let reveal = [
        path(&[k("email")]),
        path(&[k("nationalities"), E::Index(1)]),
    ];
    let shown = sd.present(&reveal, Some(&kb)).unwrap();
    let verified = verify_simple(&shown).unwrap();
    assert_eq!(verified.claims["email"], json!("johndoe@example.com"));
    assert_eq!(verified.claims["nationalities"], json!(["DE"]));
    assert!(!verified.claims.contains_key("given_name"));
    assert!(!verified.claims.contains_key("address"));
}

fn sample_claims() -> Map<String, Value> {
    json_map(
        r#"{
        "iss": "https://issuer.example",
        "iat": 1700000000,
        "exp": 1900000000,
        "sub": "user-1",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "address": {"street_address": "1 Analytical Way", "locality": "London", "country": "GB"},
        "nationalities": ["GB", "FR", "IT"],
        "degrees": [{"type": "BSc", "year": 1830}, {"type": "MSc", "year": 1835}]
    }"#,
    )
}

fn sample_paths() -> Vec<ClaimPath> {
    vec![
        path(&[k("given_name")]),
        path(&[k("family_name")]),
        path(&[k("address")]),
        path(&[k("address"), k("street_address")]),
        path(&[k("address"), k("locality")]),
        path(&[k("nationalities"), E::Index(0)]),
        path(&[k("nationalities"), E::Index(2)]),
        path(&[k("degrees"), E::Index(1)]),
        path(&[k("degrees"), E::Index(1), k("year")]),
    ]
}

fn issue_sample(decoys: usize) -> (String, PrivateKey, PrivateKey) {
    let mut rng = SeededRandom::new(b"sd-jwt issue");
    let issuer = PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap();
    let holder = PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap();
    let holder_pub = holder.public_key();
    let options = IssueOptions {
        header: Header::new(Algorithm::EdDSA)
            .with_kid("issuer-key-1")
            .with_typ("example+sd-jwt"),
        holder_key: Some(&holder_pub),
        decoys,
    };
    let sd = issue(
        &sample_claims(),
        &sample_paths(),
        &options,
        &issuer,
        &mut rng,
    )
    .unwrap();
    (sd, issuer, holder)
}

fn verify_with(
    sd: &str,
    issuer: &PrivateKey,
    now: i64,
    kb: KeyBinding<'_>,
) -> Result<VerifiedSdJwt, SdJwtError> {
    let key = issuer.public_key();
    let opts = VerifyOptions {
        algorithms: BOTH,
        now,
        leeway: 30,
        key_binding: kb,
        expected_typ: None,
    };
    sd_jwt::verify(
        sd,
        |l: &IssuerKeyLookup<'_>| {
            assert_eq!(l.kid, Some("issuer-key-1"));
            assert_eq!(l.iss, Some("https://issuer.example"));
            Ok(key)
        },
        &opts,
    )
}

const REQUIRED: KeyBinding<'static> = KeyBinding::Required {
    nonce: NONCE,
    aud: AUD,
    max_age: 300,
};

/// Issue with nested, array and recursive disclosures and decoys; the holder sees
/// everything; the issuer JWT hides every blinded claim.
#[test]
fn issue_then_verify_everything() {
    let (sd, issuer, _) = issue_sample(3);
    assert!(sd.ends_with('~'));
    let parsed = SdJwt::parse(&sd).unwrap();
    assert_eq!(parsed.disclosures().len(), 9);
    for d in parsed.disclosures() {
        assert_eq!(b64u_decode(d.salt()).unwrap().len(), sd_jwt::SALT_BYTES);
    }
    let payload = b64u_decode(parsed.issuer_jwt().split('.').nth(1).unwrap()).unwrap();
    let payload: Value = serde_json::from_slice(&payload).unwrap();
    let text = payload.to_string();
    for secret in ["Ada", "Lovelace", "London", "1835", "\"GB\"", "\"IT\""] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
    assert_eq!(payload["_sd_alg"], json!("sha-256"));
    assert!(
        payload["nationalities"]
            .as_array()
            .unwrap()
            .contains(&json!("FR"))
    );
    // 3 real + 3 decoy digests at the top level; sorted.
    let top: Vec<&str> = payload["_sd"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(top.len(), 6);
    let mut sorted = top.clone();
    sorted.sort_unstable();
    assert_eq!(top, sorted);
    assert_eq!(payload["nationalities"].as_array().unwrap().len(), 6);

    let verified = verify_with(&sd, &issuer, 1_800_000_000, KeyBinding::NotRequired).unwrap();
    assert!(verified.claims.contains_key("cnf"));
    let mut expected = sample_claims();
    expected.insert("cnf".into(), payload["cnf"].clone());
    assert_eq!(verified.claims, expected);
    let mut disclosed = verified.disclosed.clone();
    disclosed.sort();
    let mut all = sample_paths();
    all.sort();
    assert_eq!(disclosed, all);
}

/// Present a subset with key binding; only the chosen claims (and their parents)
/// appear.
#[test]
fn present_subset_then_verify() {
    let (sd, issuer, holder) = issue_sample(1);
    let now = 1_800_000_000;
    let kb = KeyBindingParams {
        key: &holder,
        alg: Algorithm::EdDSA,
        nonce: NONCE,
        aud: AUD,
        iat: now,
    };
    let reveal = [
        path(&[k("address"), k("locality")]),
        path(&[k("nationalities"), E::Index(2)]),
        path(&[k("degrees"), E::Index(1), k("year")]),
    ];
    let shown = SdJwt::parse(&sd)
        .unwrap()
        .present(&reveal, Some(&kb))
        .unwrap();
    let verified = verify_with(&shown, &issuer, now + 10, REQUIRED).unwrap();
    assert!(verified.key_bound);
    let c = &verified.claims;
    assert_eq!(c["address"], json!({"locality": "London", "country": "GB"}));
    assert_eq!(c["nationalities"], json!(["FR", "IT"]));
    assert_eq!(
        c["degrees"],
        json!([{"type": "BSc", "year": 1830}, {"type": "MSc", "year": 1835}])
    );
    assert!(!c.contains_key("given_name") && !c.contains_key("family_name"));
    assert_eq!(verified.disclosed.len(), 5);

    // Nothing revealed, no key binding: just the issuer JWT and a `~`.
    let bare = SdJwt::parse(&sd).unwrap().present(&[], None).unwrap();
    assert_eq!(bare.matches('~').count(), 1);
    let verified = verify_with(&bare, &issuer, now, KeyBinding::NotRequired).unwrap();
    assert_eq!(verified.claims["nationalities"], json!(["FR"]));
    assert!(!verified.claims.contains_key("address"));
}

/// An SD-JWT VC from a did:key issuer, verified with the DID resolver.
#[test]
fn sd_jwt_vc_with_did_issuer() {
    let mut rng = SeededRandom::new(b"sd-jwt vc");
    let issuer = PrivateKey::generate(KeyType::Ed25519, &mut rng).unwrap();
    let did = wallet_core::did::key::encode(&issuer.public_key()).unwrap();
    let kid = format!("{}#{}", did.as_str(), did.method_specific_id());
    let holder = PrivateKey::generate(KeyType::P256, &mut rng).unwrap();
    let holder_pub = holder.public_key();
    let mut own = Map::new();
    own.insert("given_name".into(), json!("Erika"));
    own.insert("age_equal_or_over".into(), json!({"18": true, "65": false}));
    let status = json!({"status_list": {"idx": 7, "uri": "https://issuer.example/status/1"}});
    let claims = sd_jwt_vc_claims(
        did.as_str(),
        "urn:eudi:pid:1",
        1_700_000_000,
        Some(1_900_000_000),
        None,
        Some(status.clone()),
        own,
    )
    .unwrap();
    let options = IssueOptions::sd_jwt_vc(Algorithm::EdDSA, &kid, Some(&holder_pub));
    let paths = [
        path(&[k("given_name")]),
        path(&[k("age_equal_or_over"), k("18")]),
        path(&[k("age_equal_or_over"), k("65")]),
    ];
    let sd = issue(&claims, &paths, &options, &issuer, &mut rng).unwrap();
    let kb = KeyBindingParams {
        key: &holder,
        alg: Algorithm::ES256,
        nonce: NONCE,
        aud: AUD,
        iat: 1_800_000_000,
    };
    let shown = SdJwt::parse(&sd)
        .unwrap()
        .present(&[path(&[k("age_equal_or_over"), k("18")])], Some(&kb))
        .unwrap();
    let opts = VerifyOptions {
        algorithms: BOTH,
        expected_typ: Some(sd_jwt::SD_JWT_VC_TYP),
        ..kb_required(1_800_000_000)
    };
    let verified = sd_jwt::verify(&shown, did_issuer_key, &opts).unwrap();
    assert_eq!(verified.issuer.as_deref(), Some(did.as_str()));
    assert_eq!(verified.vct.as_deref(), Some("urn:eudi:pid:1"));
    assert_eq!(verified.claims["age_equal_or_over"], json!({"18": true}));
    assert_eq!(verified.claims["status"], status);
    assert_eq!(verified.holder_jwk, Some(Jwk::from_public_key(&holder_pub)));

    // Claims the SD-JWT VC draft keeps in the clear cannot be made disclosable.
    for name in ["iss", "vct", "exp", "status"] {
        let err = issue(&claims, &[path(&[k(name)])], &options, &issuer, &mut rng).unwrap_err();
        assert_eq!(err, SdJwtError::NotDisclosable(name.into()));
    }
    // Another DID's key id is not accepted for this issuer.
    let other = wallet_core::did::key::encode(&holder_pub).unwrap();
    let lookup_header = Header::new(Algorithm::EdDSA);
    let other_kid = format!("{}#{}", other.as_str(), other.method_specific_id());
    let lookup = IssuerKeyLookup {
        iss: Some(did.as_str()),
        kid: Some(&other_kid),
        header: &lookup_header,
    };
    assert!(matches!(
        did_issuer_key(&lookup),
        Err(SdJwtError::IssuerKeyNotFound { .. })
    ));
}

#[test]
fn issue_errors() {
    let mut rng = SeededRandom::new(b"issue errors");
    let issuer = issuer_private();
    let options = IssueOptions {
        header: Header::new(Algorithm::ES256),
        holder_key: None,
        decoys: 0,
    };
    let claims = sample_claims();
    let err = issue(&claims, &[path(&[k("nope")])], &options, &issuer, &mut rng).unwrap_err();
    assert_eq!(err, SdJwtError::UnknownClaimPath("[\"nope\"]".into()));
    let err = issue(
        &claims,
        &[path(&[k("nationalities"), E::Index(9)])],
        &options,
        &issuer,
        &mut rng,
    )
    .unwrap_err();
    assert!(matches!(err, SdJwtError::UnknownClaimPath(_)));
    let mut bad = claims.clone();
    bad.insert("_sd".into(), json!([]));
    let err = issue(&bad, &[], &options, &issuer, &mut rng).unwrap_err();
    assert_eq!(err, SdJwtError::ReservedClaimName("_sd".into()));
    let err = issue(
        &claims,
        &[path(&[k("given_name")])],
        &options,
        &issuer,
        &mut FailingRandom,
    )
    .unwrap_err();
    assert_eq!(err, SdJwtError::Random(RandomError));
    let ed = IssueOptions {
        header: Header::new(Algorithm::EdDSA),
        ..options
    };
    let err = issue(&claims, &[], &ed, &issuer, &mut rng).unwrap_err();
    assert!(matches!(
        err,
        SdJwtError::Signing(JwsError::KeyMismatch { .. })
    ));
}

// ---------------------------------------------------------------------------------
// Negative verification tests: each targets one rule and asserts its variant.

/// Signs `payload` as the example issuer and appends `disclosures`.
fn forge(payload: Value, disclosures: &[&str]) -> String {
    let Value::Object(map) = payload else {
        panic!()
    };
    let jwt = sign_jwt(&Header::new(Algorithm::ES256), &map, &issuer_private()).unwrap();
    let mut out = format!("{jwt}~");
    for d in disclosures {
        out.push_str(d);
        out.push('~');
    }
    out
}

fn disclosure(array: Value) -> String {
    b64u_encode(array.to_string())
}

fn with_kb(sd_jwt: &str, claims: Value, header: Header, key: &PrivateKey) -> String {
    let Value::Object(map) = claims else { panic!() };
    format!("{sd_jwt}{}", sign_jwt(&header, &map, key).unwrap())
}

fn kb_claims(sd_part: &str) -> Value {
    json!({"nonce": NONCE, "aud": AUD, "iat": KB_IAT, "sd_hash": disclosure_digest(sd_part)})
}

fn kb_header() -> Header {
    Header::new(Algorithm::ES256).with_typ("kb+jwt")
}

fn simple_sd_part() -> &'static str {
    &SIMPLE_PRESENTATION[..=SIMPLE_PRESENTATION.rfind('~').unwrap()]
}

#[test]
fn forged_disclosure_is_unreferenced() {
    let forged = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "given_name", "Mallory"]));
    let presentation = format!("{SIMPLE_ISSUANCE}{forged}~");
    let err = sd_jwt::verify(&presentation, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::UnreferencedDisclosure(disclosure_digest(&forged))
    );
}

#[test]
fn wrong_sd_hash() {
    // A KB-JWT correctly signed by the holder, but over a different disclosure set.
    let sd_part = simple_sd_part();
    let other = &sd_part[..sd_part[..sd_part.len() - 1].rfind('~').unwrap() + 1];
    let presentation = with_kb(sd_part, kb_claims(other), kb_header(), &holder_private());
    assert_eq!(
        verify_simple(&presentation).unwrap_err(),
        SdJwtError::WrongSdHash
    );
    // Dropping a disclosure from the published presentation breaks its sd_hash.
    let sd = SdJwt::parse(SIMPLE_PRESENTATION).unwrap();
    let dropped =
        SIMPLE_PRESENTATION.replacen(&format!("~{}", sd.disclosures()[0].encoded()), "", 1);
    assert_eq!(
        verify_simple(&dropped).unwrap_err(),
        SdJwtError::WrongSdHash
    );
}

#[test]
fn kb_wrong_nonce() {
    let opts = VerifyOptions {
        key_binding: KeyBinding::Required {
            nonce: "other",
            aud: AUD,
            max_age: 300,
        },
        ..kb_required(KB_IAT)
    };
    let err = sd_jwt::verify(SIMPLE_PRESENTATION, issuer_key, &opts).unwrap_err();
    assert_eq!(err, SdJwtError::KbNonceMismatch);
}

#[test]
fn kb_wrong_aud() {
    let opts = VerifyOptions {
        key_binding: KeyBinding::Required {
            nonce: NONCE,
            aud: "https://evil.example",
            max_age: 300,
        },
        ..kb_required(KB_IAT)
    };
    let err = sd_jwt::verify(SIMPLE_PRESENTATION, issuer_key, &opts).unwrap_err();
    assert_eq!(err, SdJwtError::KbAudienceMismatch);
}

#[test]
fn kb_stale_and_future_iat() {
    let now = KB_IAT + 3600;
    let err = sd_jwt::verify(SIMPLE_PRESENTATION, issuer_key, &kb_required(now)).unwrap_err();
    assert_eq!(err, SdJwtError::KbStale { iat: KB_IAT, now });
    let now = KB_IAT - 3600;
    let err = sd_jwt::verify(SIMPLE_PRESENTATION, issuer_key, &kb_required(now)).unwrap_err();
    assert_eq!(err, SdJwtError::KbIssuedInFuture { iat: KB_IAT, now });
}

#[test]
fn kb_signed_by_another_key() {
    let other = PrivateKey::generate(KeyType::P256, &mut SeededRandom::new(b"other")).unwrap();
    let presentation = with_kb(
        simple_sd_part(),
        kb_claims(simple_sd_part()),
        kb_header(),
        &other,
    );
    assert_eq!(
        verify_simple(&presentation).unwrap_err(),
        SdJwtError::KbSignature(JwsError::BadSignature)
    );
}

#[test]
fn kb_wrong_typ_and_missing_claims() {
    let sd = simple_sd_part();
    let jwt_typ = Header::new(Algorithm::ES256).with_typ("JWT");
    let p = with_kb(sd, kb_claims(sd), jwt_typ, &holder_private());
    assert_eq!(
        verify_simple(&p).unwrap_err(),
        SdJwtError::KbWrongTyp(Some("JWT".into()))
    );
    let mut claims = kb_claims(sd);
    claims.as_object_mut().unwrap().remove("nonce");
    let p = with_kb(sd, claims, kb_header(), &holder_private());
    assert_eq!(verify_simple(&p).unwrap_err(), SdJwtError::KbClaim("nonce"));
    let mut claims = kb_claims(sd);
    claims.as_object_mut().unwrap().remove("sd_hash");
    let p = with_kb(sd, claims, kb_header(), &holder_private());
    assert_eq!(
        verify_simple(&p).unwrap_err(),
        SdJwtError::KbClaim("sd_hash")
    );
}

#[test]
fn kb_missing_when_required() {
    assert_eq!(
        verify_simple(SIMPLE_ISSUANCE).unwrap_err(),
        SdJwtError::KbMissing
    );
    // A KB-JWT is required but the credential has no cnf.
    let p = with_kb(
        COMPLEX_PRESENTATION,
        kb_claims(COMPLEX_PRESENTATION),
        kb_header(),
        &holder_private(),
    );
    assert_eq!(verify_simple(&p).unwrap_err(), SdJwtError::NoHolderKey);
}

#[test]
fn duplicate_disclosure() {
    let sd = SdJwt::parse(SIMPLE_ISSUANCE).unwrap();
    let d = sd.disclosures()[0].encoded();
    let presentation = format!("{SIMPLE_ISSUANCE}{d}~");
    let err = sd_jwt::verify(&presentation, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert!(matches!(err, SdJwtError::DuplicateDisclosure(_)));
}

#[test]
fn disclosure_shadowing_existing_claim() {
    let d = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "sub", "admin"]));
    let p = forge(
        json!({"sub": "user_42", "_sd": [disclosure_digest(&d)]}),
        &[&d],
    );
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::ClaimCollision("sub".into()));
}

#[test]
fn disclosure_with_reserved_name() {
    for name in ["_sd", "..."] {
        let d = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", name, ["x"]]));
        let p = forge(json!({"_sd": [disclosure_digest(&d)]}), &[&d]);
        let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
        assert_eq!(err, SdJwtError::ReservedClaimName(name.into()));
    }
}

#[test]
fn duplicate_digest_in_payload() {
    let d = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "a", 1]));
    let h = disclosure_digest(&d);
    let p = forge(
        json!({"_sd": [h.clone()], "x": {"_sd": [h.clone()]}}),
        &[&d],
    );
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::DuplicateDigest(h.clone()));
    // Even a digest with no disclosure (a decoy) may not repeat.
    let p = forge(json!({"_sd": [h.clone(), h.clone()]}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::DuplicateDigest(h));
}

#[test]
fn disclosure_shape_must_fit_its_place() {
    let element = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "value"]));
    let p = forge(json!({"_sd": [disclosure_digest(&element)]}), &[&element]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::DisclosureShape(disclosure_digest(&element))
    );
    let property = disclosure(json!(["c2FsdHNhbHRzYWx0c2FsdA", "n", "v"]));
    let p = forge(
        json!({"a": [{"...": disclosure_digest(&property)}]}),
        &[&property],
    );
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::DisclosureShape(disclosure_digest(&property))
    );
}

#[test]
fn unsupported_sd_alg() {
    let p = forge(json!({"_sd_alg": "sha-512", "sub": "x"}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::UnsupportedSdAlg("sha-512".into()));
    let p = forge(json!({"a": {"_sd_alg": "sha-256"}}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::NestedSdAlg);
    let p = forge(json!({"_sd": "abc"}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidDigest(_)));
}

#[test]
fn tampered_issuer_jwt() {
    let sd = SdJwt::parse(SIMPLE_ISSUANCE).unwrap();
    let jwt = sd.issuer_jwt();
    let mut parts: Vec<String> = jwt.split('.').map(str::to_owned).collect();
    let payload = String::from_utf8(b64u_decode(&parts[1]).unwrap()).unwrap();
    parts[1] = b64u_encode(payload.replace("user_42", "user_43"));
    let tampered = SIMPLE_ISSUANCE.replacen(jwt, &parts.join("."), 1);
    let err = sd_jwt::verify(&tampered, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::IssuerSignature(JwsError::BadSignature));
}

#[test]
fn alg_none_issuer_jwt() {
    let header = b64u_encode(r#"{"alg":"none","typ":"dc+sd-jwt"}"#);
    let payload = b64u_encode(r#"{"iss":"https://issuer.example.com","vct":"x"}"#);
    let presentation = format!("{header}.{payload}.~");
    let err = sd_jwt::verify(&presentation, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::IssuerSignature(JwsError::AlgNone));
}

#[test]
fn algorithm_outside_allow_list() {
    let opts = VerifyOptions {
        algorithms: &[Algorithm::EdDSA],
        ..no_kb(KB_IAT)
    };
    let err = sd_jwt::verify(SIMPLE_ISSUANCE, issuer_key, &opts).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::IssuerSignature(JwsError::AlgorithmNotAllowed(Algorithm::ES256))
    );
}

#[test]
fn wrong_typ_and_missing_vct() {
    let opts = VerifyOptions {
        expected_typ: Some(sd_jwt::SD_JWT_VC_TYP),
        ..no_kb(KB_IAT)
    };
    let err = sd_jwt::verify(SIMPLE_ISSUANCE, issuer_key, &opts).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::WrongTyp {
            found: Some("example+sd-jwt".into()),
            expected: "dc+sd-jwt".into()
        }
    );
    let Value::Object(map) = json!({"iss": "https://issuer.example.com"}) else {
        panic!()
    };
    let jwt = sign_jwt(
        &Header::new(Algorithm::ES256).with_typ("dc+sd-jwt"),
        &map,
        &issuer_private(),
    )
    .unwrap();
    let err = sd_jwt::verify(&format!("{jwt}~"), issuer_key, &opts).unwrap_err();
    assert_eq!(err, SdJwtError::MissingVct);
}

#[test]
fn expired_and_not_yet_valid() {
    let now = 1_883_000_000 + 100;
    let err = sd_jwt::verify(SIMPLE_ISSUANCE, issuer_key, &no_kb(now)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::Expired {
            exp: 1_883_000_000,
            now
        }
    );
    let p = forge(json!({"nbf": 2_000_000_000}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::NotYetValid {
            nbf: 2_000_000_000,
            now: KB_IAT
        }
    );
    let now = 1_683_000_000 - 100;
    let err = sd_jwt::verify(SIMPLE_ISSUANCE, issuer_key, &no_kb(now)).unwrap_err();
    assert_eq!(
        err,
        SdJwtError::IssuedInFuture {
            iat: 1_683_000_000,
            now
        }
    );
}

#[test]
fn resolver_error_is_returned() {
    let err = sd_jwt::verify(
        SIMPLE_ISSUANCE,
        |l: &IssuerKeyLookup<'_>| {
            Err(SdJwtError::IssuerKeyNotFound {
                iss: l.iss.map(str::to_owned),
                kid: None,
            })
        },
        &no_kb(KB_IAT),
    )
    .unwrap_err();
    assert_eq!(
        err,
        SdJwtError::IssuerKeyNotFound {
            iss: Some("https://issuer.example.com".into()),
            kid: None
        }
    );
}

#[test]
fn private_key_in_cnf_is_refused() {
    let holder = Jwk::from_private_key(&holder_private()).unwrap();
    let p = forge(
        json!({"cnf": {"jwk": serde_json::to_value(&holder).unwrap()}}),
        &[],
    );
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert!(matches!(err, SdJwtError::InvalidCnf(_)));
}

#[test]
fn parse_errors() {
    assert_eq!(
        SdJwt::parse("a.b.c").unwrap_err(),
        SdJwtError::Malformed("no '~' after the issuer-signed JWT")
    );
    assert_eq!(
        SdJwt::parse("a.b.c~~").unwrap_err(),
        SdJwtError::Malformed("empty disclosure")
    );
    assert_eq!(
        SdJwt::parse("a.b~").unwrap_err(),
        SdJwtError::Malformed("issuer-signed JWT is not a compact JWS")
    );
    assert_eq!(
        SdJwt::parse("a.b.c~x.y").unwrap_err(),
        SdJwtError::Malformed("KB-JWT is not a compact JWS")
    );
    assert!(matches!(
        SdJwt::parse("a.b.c~!!~").unwrap_err(),
        SdJwtError::MalformedDisclosure(_)
    ));
    let not_array = b64u_encode("{}");
    assert_eq!(
        SdJwt::parse(&format!("a.b.c~{not_array}~")).unwrap_err(),
        SdJwtError::MalformedDisclosure("not a JSON array")
    );
    let four = b64u_encode(r#"["s","n","v","x"]"#);
    assert_eq!(
        SdJwt::parse(&format!("a.b.c~{four}~")).unwrap_err(),
        SdJwtError::MalformedDisclosure("not 2 or 3 elements")
    );
    let many = format!(
        "a.b.c{}~",
        "~WyJzIiwxXQ".repeat(sd_jwt::MAX_DISCLOSURES + 1)
    );
    assert_eq!(
        SdJwt::parse(&many).unwrap_err(),
        SdJwtError::TooManyDisclosures(sd_jwt::MAX_DISCLOSURES)
    );
    let big = "a".repeat(sd_jwt::MAX_SD_JWT_LEN + 1);
    assert!(matches!(
        SdJwt::parse(&big).unwrap_err(),
        SdJwtError::TooLarge { .. }
    ));
    // A holder must reject an issuance that carries a KB-JWT.
    let sd = SdJwt::parse(SIMPLE_PRESENTATION).unwrap();
    assert_eq!(sd.present(&[], None).unwrap_err(), SdJwtError::KbUnexpected);
}

#[test]
fn recursion_depth_is_bounded() {
    let mut value = json!("leaf");
    for _ in 0..(sd_jwt::MAX_DEPTH + 2) {
        value = json!([value]);
    }
    let p = forge(json!({"deep": value}), &[]);
    let err = sd_jwt::verify(&p, issuer_key, &no_kb(KB_IAT)).unwrap_err();
    assert_eq!(err, SdJwtError::TooDeep(sd_jwt::MAX_DEPTH));
}
