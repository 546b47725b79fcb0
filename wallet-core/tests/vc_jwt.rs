//! VC-JWT, VP-JWT and `vc+jwt`: encoding and decoding, signing with did:key and
//! did:jwk keys, and one test per verification failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::{Map, Value, json};
use wallet_core::data_integrity::OfflineResolver;
use wallet_core::did::{self, Did, DidUrl, Relationship};
use wallet_core::encoding::b64u_encode;
use wallet_core::jws::{self, Algorithm, Header, JwsError};
use wallet_core::keys::{Ed25519PrivateKey, P256PrivateKey, PrivateKey};
use wallet_core::vc::{Credential, EmbeddedCredential, EnvelopedMediaType, Presentation, VcError};
use wallet_core::vc_jwt::{
    VcJwtError, VpJwtClaims, VpJwtExpectations, decode_vc_claims, encode_vc_claims, sign_vc_jwt,
    sign_vp_jwt, verify_vc_jose, verify_vc_jwt, verify_vp_jwt,
};

const NOW: i64 = 1_700_000_000;

fn ed(seed: u8) -> PrivateKey {
    PrivateKey::Ed25519(Ed25519PrivateKey::from_seed(&[seed; 32]).unwrap())
}

fn p256(byte: u8) -> PrivateKey {
    PrivateKey::P256(P256PrivateKey::from_bytes(&[byte; 32]).unwrap())
}

fn did_key(key: &PrivateKey) -> (Did, DidUrl) {
    let did = did::key::encode(&key.public_key()).unwrap();
    let frag = did.method_specific_id().to_owned();
    let url = did.with_fragment(&frag).unwrap();
    (did, url)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!(),
    }
}

fn credential_v1(issuer: &Did) -> Credential {
    Credential::from_value(json!({
        "@context": ["https://www.w3.org/2018/credentials/v1", "https://www.w3.org/2018/credentials/examples/v1"],
        "id": "http://example.edu/credentials/3732",
        "type": ["VerifiableCredential", "UniversityDegreeCredential"],
        "issuer": issuer.as_str(),
        "issuanceDate": "2010-01-01T19:23:24Z",
        "expirationDate": "2030-01-01T19:23:24Z",
        "credentialSubject": {
            "id": "did:example:ebfeb1f712ebc6f1c276e12ec21",
            "degree": {"type": "BachelorDegree", "name": "Bachelor of Science and Arts"}
        },
        "unknownTopLevel": {"kept": [1, 2, 3]}
    }))
    .unwrap()
}

fn credential_v2(issuer: &Did) -> Credential {
    Credential::from_value(json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"],
        "issuer": {"id": issuer.as_str(), "name": "Example Issuer"},
        "validFrom": "2023-01-01T00:00:00.5Z",
        "validUntil": "2030-01-01T00:00:00Z",
        "credentialSubject": [{"id": "did:example:a"}, {"id": "did:example:b"}]
    }))
    .unwrap()
}

fn holder_presentation(holder: &Did, vc_jwt: &str) -> Presentation {
    Presentation::from_value(json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:3978344f-8596-4c3a-a978-8fcaba3903c5",
        "type": ["VerifiablePresentation"],
        "holder": holder.as_str(),
        "verifiableCredential": [
            vc_jwt,
            {"@context": "https://www.w3.org/ns/credentials/v2",
             "id": format!("data:application/vc+jwt,{vc_jwt}"),
             "type": "EnvelopedVerifiableCredential"}
        ]
    }))
    .unwrap()
}

fn vp_claims() -> VpJwtClaims {
    VpJwtClaims {
        audience: "https://rp.example".into(),
        nonce: "n-0S6_WzA2Mj".into(),
        issued_at: NOW,
        expires_at: Some(NOW + 300),
    }
}

fn vp_expect() -> VpJwtExpectations {
    VpJwtExpectations {
        audience: "https://rp.example".into(),
        nonce: "n-0S6_WzA2Mj".into(),
        now: NOW,
        skew_secs: 30,
    }
}

/// Signs arbitrary claims with an arbitrary header, for forged tokens.
fn raw_jwt(header: &Header, claims: Value, key: &PrivateKey) -> String {
    jws::sign_jwt(header, &obj(claims), key).unwrap()
}

#[test]
fn encode_moves_registered_members_into_claims() {
    let (issuer, _) = did_key(&ed(1));
    let claims = encode_vc_claims(&credential_v1(&issuer)).unwrap();
    assert_eq!(claims["iss"], issuer.as_str());
    assert_eq!(claims["jti"], "http://example.edu/credentials/3732");
    assert_eq!(claims["sub"], "did:example:ebfeb1f712ebc6f1c276e12ec21");
    assert_eq!(claims["nbf"], 1_262_373_804);
    assert_eq!(claims["exp"], 1_893_525_804);
    let vc = claims["vc"].as_object().unwrap();
    for gone in ["issuer", "id", "issuanceDate", "expirationDate"] {
        assert!(!vc.contains_key(gone), "{gone}");
    }
    assert!(
        !vc["credentialSubject"]
            .as_object()
            .unwrap()
            .contains_key("id")
    );
    assert_eq!(vc["unknownTopLevel"], json!({"kept": [1, 2, 3]}));
}

#[test]
fn decode_restores_the_credential_exactly() {
    let (issuer, _) = did_key(&ed(1));
    for cred in [credential_v1(&issuer), credential_v2(&issuer)] {
        let claims = encode_vc_claims(&cred).unwrap();
        assert_eq!(decode_vc_claims(&claims).unwrap(), cred);
    }
}

#[test]
fn fractional_date_stays_in_vc() {
    let (issuer, _) = did_key(&ed(1));
    let claims = encode_vc_claims(&credential_v2(&issuer)).unwrap();
    assert_eq!(claims["nbf"], 1_672_531_200);
    assert_eq!(claims["vc"]["validFrom"], "2023-01-01T00:00:00.5Z");
    assert!(claims["vc"].get("validUntil").is_none());
    // The issuer object keeps its other members, without the id.
    assert_eq!(claims["vc"]["issuer"], json!({"name": "Example Issuer"}));
}

#[test]
fn vc_jwt_round_trip_eddsa_did_key() {
    let key = ed(1);
    let (issuer, kid) = did_key(&key);
    let cred = credential_v1(&issuer);
    let token = sign_vc_jwt(&cred, &kid, &key).unwrap();
    let header = jws::peek_header(&token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    assert_eq!(header.alg, Algorithm::EdDSA);
    let v = verify_vc_jwt(&token, NOW, 0).unwrap();
    assert_eq!(v.credential, cred);
    assert_eq!(v.issuer, issuer);
    assert_eq!(v.kid, kid);
}

#[test]
fn vc_jwt_round_trip_es256_did_jwk() {
    let key = p256(7);
    let issuer = did::jwk::encode_public_key(&key.public_key()).unwrap();
    let kid = issuer.with_fragment("0").unwrap();
    let cred = credential_v2(&issuer);
    let token = sign_vc_jwt(&cred, &kid, &key).unwrap();
    let v = verify_vc_jwt(&token, NOW, 0).unwrap();
    assert_eq!(v.credential, cred);
    assert_eq!(jws::peek_header(&token).unwrap().alg, Algorithm::ES256);
}

#[test]
fn vc_jwt_tampered_payload_is_rejected() {
    let key = ed(1);
    let (issuer, kid) = did_key(&key);
    let token = sign_vc_jwt(&credential_v1(&issuer), &kid, &key).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let mut claims = encode_vc_claims(&credential_v1(&issuer)).unwrap();
    claims["vc"]["credentialSubject"]["degree"]["name"] = json!("PhD");
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64u_encode(Value::Object(claims).to_string()),
        parts[2]
    );
    assert_eq!(
        verify_vc_jwt(&forged, NOW, 0),
        Err(VcJwtError::Jws(JwsError::BadSignature))
    );
}

#[test]
fn vc_jwt_expired_and_not_yet_valid() {
    let key = ed(1);
    let (issuer, kid) = did_key(&key);
    let token = sign_vc_jwt(&credential_v1(&issuer), &kid, &key).unwrap();
    assert!(matches!(
        verify_vc_jwt(&token, 1_893_525_804, 0),
        Err(VcJwtError::Jws(JwsError::Expired { .. }))
    ));
    assert!(matches!(
        verify_vc_jwt(&token, 1_262_373_000, 0),
        Err(VcJwtError::Jws(JwsError::NotYetValid { .. }))
    ));
}

#[test]
fn vc_jwt_kid_of_another_did_is_rejected() {
    let issuer_key = ed(1);
    let (issuer, _) = did_key(&issuer_key);
    let attacker = ed(2);
    let (_, attacker_kid) = did_key(&attacker);
    let token = sign_vc_jwt(&credential_v1(&issuer), &attacker_kid, &attacker).unwrap();
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::KidNotOfIssuer {
            kid: attacker_kid.to_string(),
            expected: issuer.to_string()
        })
    );
}

#[test]
fn vc_jwt_missing_and_invalid_kid() {
    let key = ed(1);
    let (issuer, _) = did_key(&key);
    let claims = Value::Object(encode_vc_claims(&credential_v1(&issuer)).unwrap());
    let token = raw_jwt(&Header::new(Algorithm::EdDSA), claims.clone(), &key);
    assert_eq!(verify_vc_jwt(&token, NOW, 0), Err(VcJwtError::MissingKid));
    let token = raw_jwt(
        &Header::new(Algorithm::EdDSA).with_kid("key-1"),
        claims.clone(),
        &key,
    );
    assert!(matches!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::InvalidKid(_))
    ));
    let token = raw_jwt(
        &Header::new(Algorithm::EdDSA).with_kid(issuer.as_str()),
        claims,
        &key,
    );
    assert!(matches!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::InvalidKid(_))
    ));
}

#[test]
fn vc_jwt_key_in_header_is_refused() {
    let key = ed(1);
    let (issuer, kid) = did_key(&key);
    let claims = Value::Object(encode_vc_claims(&credential_v1(&issuer)).unwrap());
    let header = Header::new(Algorithm::EdDSA)
        .with_kid(kid.as_str())
        .with_member("jwk", json!({"kty": "OKP"}))
        .unwrap();
    let token = raw_jwt(&header, claims, &key);
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::Jws(JwsError::EmbeddedKey("jwk")))
    );
}

#[test]
fn vc_jwt_alg_none_is_refused() {
    let (issuer, kid) = did_key(&ed(1));
    let claims = Value::Object(encode_vc_claims(&credential_v1(&issuer)).unwrap());
    let token = format!(
        "{}.{}.",
        b64u_encode(json!({"alg": "none", "kid": kid.as_str()}).to_string()),
        b64u_encode(claims.to_string())
    );
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::Jws(JwsError::AlgNone))
    );
}

#[test]
fn vc_jwt_wrong_typ_is_refused() {
    let key = ed(1);
    let (issuer, kid) = did_key(&key);
    let claims = Value::Object(encode_vc_claims(&credential_v1(&issuer)).unwrap());
    let header = Header::new(Algorithm::EdDSA)
        .with_kid(kid.as_str())
        .with_typ("dc+sd-jwt");
    let token = raw_jwt(&header, claims, &key);
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::UnexpectedType("dc+sd-jwt".into()))
    );
}

#[test]
fn vc_jwt_issuer_not_a_did() {
    let key = ed(1);
    let (_, kid) = did_key(&key);
    let mut claims =
        encode_vc_claims(&credential_v1(&Did::parse("did:example:x").unwrap())).unwrap();
    claims.insert("iss".into(), json!("https://issuer.example"));
    let header = Header::new(Algorithm::EdDSA).with_kid(kid.as_str());
    let token = raw_jwt(&header, Value::Object(claims), &key);
    assert!(matches!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::IssuerNotDid(_))
    ));
}

#[test]
fn vc_jwt_key_agreement_method_not_authorized() {
    let key = ed(1);
    let (issuer, _) = did_key(&key);
    let doc = did::resolve(&issuer).unwrap();
    let ka = doc.relationship(Relationship::KeyAgreement)[0].id().clone();
    let token = sign_vc_jwt(&credential_v1(&issuer), &ka, &key).unwrap();
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::MethodNotAuthorized {
            method: ka.to_string(),
            relationship: Relationship::AssertionMethod
        })
    );
}

#[test]
fn vc_jwt_claim_mismatch_and_missing_vc() {
    let (issuer, _) = did_key(&ed(1));
    let mut claims = encode_vc_claims(&credential_v1(&issuer)).unwrap();
    claims["vc"]
        .as_object_mut()
        .unwrap()
        .insert("id".into(), json!("urn:other"));
    assert_eq!(
        decode_vc_claims(&claims),
        Err(VcJwtError::ClaimMismatch {
            claim: "jti",
            member: "id"
        })
    );
    let mut claims = encode_vc_claims(&credential_v1(&issuer)).unwrap();
    claims["vc"]
        .as_object_mut()
        .unwrap()
        .insert("issuanceDate".into(), json!("2011-01-01T00:00:00Z"));
    assert_eq!(
        decode_vc_claims(&claims),
        Err(VcJwtError::ClaimMismatch {
            claim: "nbf",
            member: "issuanceDate"
        })
    );
    claims.remove("vc");
    assert_eq!(
        decode_vc_claims(&claims),
        Err(VcJwtError::MissingClaim("vc"))
    );
}

#[test]
fn vp_jwt_round_trip_with_embedded_credentials() {
    let issuer_key = ed(1);
    let (issuer, issuer_kid) = did_key(&issuer_key);
    let vc_jwt = sign_vc_jwt(&credential_v1(&issuer), &issuer_kid, &issuer_key).unwrap();
    let holder_key = p256(9);
    let (holder, holder_kid) = did_key(&holder_key);
    let vp = holder_presentation(&holder, &vc_jwt);
    let token = sign_vp_jwt(&vp, &vp_claims(), &holder_kid, &holder_key).unwrap();
    let v = verify_vp_jwt(&token, &vp_expect()).unwrap();
    assert_eq!(v.holder, holder);
    assert_eq!(v.presentation, vp);
    assert_eq!(v.claims["aud"], "https://rp.example");
    let creds = v.presentation.verifiable_credentials();
    assert_eq!(creds.len(), 2);
    let EmbeddedCredential::Jwt(inner) = &creds[0] else {
        panic!()
    };
    let EmbeddedCredential::Enveloped(env) = &creds[1] else {
        panic!()
    };
    assert_eq!(env.media_type(), EnvelopedMediaType::VcJwt);
    assert_eq!(env.token(), inner);
    assert_eq!(verify_vc_jwt(inner, NOW, 0).unwrap().issuer, issuer);
}

#[test]
fn vp_jwt_audience_mismatch_and_array_audience() {
    let key = ed(3);
    let (holder, kid) = did_key(&key);
    let vp = holder_presentation(&holder, "a.b.c");
    let token = sign_vp_jwt(&vp, &vp_claims(), &kid, &key).unwrap();
    let mut e = vp_expect();
    e.audience = "https://evil.example".into();
    assert_eq!(verify_vp_jwt(&token, &e), Err(VcJwtError::AudienceMismatch));
    // An `aud` array containing the audience is accepted (RFC 7519 §4.1.3).
    let header = Header::new(Algorithm::EdDSA)
        .with_kid(kid.as_str())
        .with_typ("JWT");
    let mut vp_map = vp.as_map().clone();
    vp_map.remove("holder");
    let token = raw_jwt(
        &header,
        json!({"iss": holder.as_str(), "aud": ["x", "https://rp.example"], "nonce": "n-0S6_WzA2Mj", "iat": NOW, "vp": vp_map}),
        &key,
    );
    verify_vp_jwt(&token, &vp_expect()).unwrap();
}

#[test]
fn vp_jwt_nonce_mismatch() {
    let key = ed(3);
    let (holder, kid) = did_key(&key);
    let token = sign_vp_jwt(
        &holder_presentation(&holder, "a.b.c"),
        &vp_claims(),
        &kid,
        &key,
    )
    .unwrap();
    let mut e = vp_expect();
    e.nonce = "replayed".into();
    assert_eq!(verify_vp_jwt(&token, &e), Err(VcJwtError::NonceMismatch));
}

#[test]
fn vp_jwt_missing_nonce_and_aud() {
    let key = ed(3);
    let (holder, kid) = did_key(&key);
    let header = Header::new(Algorithm::EdDSA).with_kid(kid.as_str());
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation"});
    let token = raw_jwt(
        &header,
        json!({"iss": holder.as_str(), "aud": "https://rp.example", "iat": NOW, "vp": vp}),
        &key,
    );
    assert_eq!(
        verify_vp_jwt(&token, &vp_expect()),
        Err(VcJwtError::MissingClaim("nonce"))
    );
    let token = raw_jwt(
        &header,
        json!({"iss": holder.as_str(), "nonce": "n-0S6_WzA2Mj", "iat": NOW, "vp": vp}),
        &key,
    );
    assert_eq!(
        verify_vp_jwt(&token, &vp_expect()),
        Err(VcJwtError::MissingClaim("aud"))
    );
}

#[test]
fn vp_jwt_holder_must_be_iss() {
    let key = ed(3);
    let (holder, kid) = did_key(&key);
    let header = Header::new(Algorithm::EdDSA).with_kid(kid.as_str());
    let vp = json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation", "holder": "did:example:victim"});
    let token = raw_jwt(
        &header,
        json!({"iss": holder.as_str(), "aud": "https://rp.example", "nonce": "n-0S6_WzA2Mj", "iat": NOW, "vp": vp}),
        &key,
    );
    assert_eq!(
        verify_vp_jwt(&token, &vp_expect()),
        Err(VcJwtError::ClaimMismatch {
            claim: "iss",
            member: "holder"
        })
    );
}

#[test]
fn vp_jwt_signing_needs_a_holder() {
    let key = ed(3);
    let (_, kid) = did_key(&key);
    let vp = Presentation::from_value(json!({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation"})).unwrap();
    assert_eq!(
        sign_vp_jwt(&vp, &vp_claims(), &kid, &key),
        Err(VcJwtError::MissingHolder)
    );
}

#[test]
fn vp_jwt_expired() {
    let key = ed(3);
    let (holder, kid) = did_key(&key);
    let token = sign_vp_jwt(
        &holder_presentation(&holder, "a.b.c"),
        &vp_claims(),
        &kid,
        &key,
    )
    .unwrap();
    let mut e = vp_expect();
    e.now = NOW + 400;
    assert!(matches!(
        verify_vp_jwt(&token, &e),
        Err(VcJwtError::Jws(JwsError::Expired { .. }))
    ));
}

fn vc_jose_token(key: &PrivateKey, kid: &DidUrl, cred: &Credential) -> String {
    let header = Header::new(Algorithm::EdDSA)
        .with_kid(kid.as_str())
        .with_typ("vc+jwt")
        .with_cty("vc");
    jws::sign_jwt(&header, cred.as_map(), key).unwrap()
}

#[test]
fn vc_jose_payload_is_the_credential() {
    let key = ed(4);
    let (issuer, kid) = did_key(&key);
    let cred = credential_v2(&issuer);
    let token = vc_jose_token(&key, &kid, &cred);
    let v = verify_vc_jose(&token, NOW, 0, &OfflineResolver).unwrap();
    assert_eq!(v.credential, cred);
    assert_eq!(v.issuer, issuer);
    // A VC-JWT verifier does not accept it (different typ), and vice versa.
    assert_eq!(
        verify_vc_jwt(&token, NOW, 0),
        Err(VcJwtError::UnexpectedType("vc+jwt".into()))
    );
    let vc_jwt = sign_vc_jwt(&cred, &kid, &key).unwrap();
    assert_eq!(
        verify_vc_jose(&vc_jwt, NOW, 0, &OfflineResolver),
        Err(VcJwtError::UnexpectedType("JWT".into()))
    );
}

#[test]
fn vc_jose_issuer_binding_and_validity() {
    let key = ed(4);
    let (_, kid) = did_key(&key);
    let other = Did::parse("did:example:issuer").unwrap();
    let token = vc_jose_token(&key, &kid, &credential_v2(&other));
    assert!(matches!(
        verify_vc_jose(&token, NOW, 0, &OfflineResolver),
        Err(VcJwtError::KidNotOfIssuer { .. })
    ));
    let (issuer, _) = did_key(&key);
    let token = vc_jose_token(&key, &kid, &credential_v2(&issuer));
    assert_eq!(
        verify_vc_jose(&token, 1_893_456_001, 0, &OfflineResolver),
        Err(VcJwtError::Vc(VcError::Expired {
            not_after: 1_893_456_000,
            now: 1_893_456_001
        }))
    );
}
