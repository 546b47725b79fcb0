//! A cross-device wallet on wallet-core speaking OpenID for Verifiable
//! Presentations 1.0 over real HTTP: it reads the `openid4vp://` Authorization
//! Request, fetches the Request Object at `request_uri` and verifies its signature
//! by resolving the verifier's DID, answers the DCQL query (or a PEX definition)
//! with presentations bound to `nonce` and `client_id` — an `ldp_vp`, a VP-JWT or
//! an SD-JWT VC with a Key Binding JWT, as the format asks — and `direct_post`s
//! them.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use wallet_core::dcql::{self, DcqlQuery};
use wallet_core::did::{self, DidUrl};
use wallet_core::encoding::b64u_decode;
use wallet_core::jwe::{self, ContentEncryption, EncryptOptions, KeyManagement};
use wallet_core::jwk::Jwk;
use wallet_core::jws::{self, Algorithm, Header};
use wallet_core::pex::{
    self, DescriptorMapEntry, Envelope, PresentationDefinition, SubmissionChoice,
};
use wallet_core::presentation::{
    HolderKey, PresentationOptions, StoredCredential, build_presentation, candidate_from_stored,
    sd_jwt_reveal_paths,
};
use wallet_core::random::OsRandom;
use wallet_core::sd_jwt::{KeyBindingParams, SdJwt};
use wallet_core::vc::{
    CREDENTIALS_V2_CONTEXT, Credential, EmbeddedCredential, Presentation, format_datetime,
};
use wallet_core::vc_jwt::{self, VpJwtClaims};

use super::Provider;
use super::wallet::{Party, now, party};

/// OID4VP 1.0 §5.9.3.
pub const DID_PREFIX: &str = "decentralized_identifier:";
/// OID4VP 1.0 §5.10.1.
pub const REQUEST_OBJECT_TYPE: &str = "application/oauth-authz-req+jwt";

/// A credential the wallet holds.
#[derive(Clone)]
pub enum Held {
    /// A JSON credential with a Data Integrity proof (`ldp_vc`).
    Json(Credential),
    /// A VC-JWT (`jwt_vc_json`).
    VcJwt(String),
    /// An SD-JWT VC as issued, with all its disclosures (`dc+sd-jwt`).
    SdJwt(String),
}

impl Held {
    fn stored(&self) -> StoredCredential<'_> {
        match self {
            Self::Json(c) => StoredCredential::Json(c),
            Self::VcJwt(t) => StoredCredential::VcJwt(t),
            Self::SdJwt(t) => StoredCredential::SdJwt(t),
        }
    }

    fn embedded(&self) -> EmbeddedCredential {
        match self {
            Self::Json(c) => EmbeddedCredential::Json(c.clone()),
            Self::VcJwt(t) => EmbeddedCredential::Jwt(t.clone()),
            Self::SdJwt(_) => panic!("an SD-JWT VC is presented on its own"),
        }
    }
}

/// The wallet app.
pub struct AppWallet {
    pub holder: Party,
    pub credentials: Vec<Held>,
    /// With PEX, answer in a VP-JWT (`jwt_vp_json`) instead of an `ldp_vp`.
    pub jwt_vp: bool,
}

/// What the `/login` page shows for wallet apps.
pub struct WalletLink {
    /// `openid4vp://?client_id=…&request_uri=…&request_uri_method=post`.
    pub authorization_request: String,
    pub client_id: String,
    pub request_uri: String,
    /// The `Set-Cookie` value (`name=value`) the page's browser keeps.
    pub cookie: String,
}

/// A Request Object whose signature verified.
#[derive(Debug, Clone)]
pub struct RequestObject {
    pub header: Header,
    pub claims: Map<String, Value>,
}

impl RequestObject {
    pub fn str(&self, name: &str) -> &str {
        self.claims[name].as_str().unwrap()
    }
}

/// What the wallet posts to `response_uri`.
#[derive(Debug, Clone)]
pub struct Answer {
    pub vp_token: String,
    pub presentation_submission: Option<String>,
}

/// `GET /api/v1/oid4vp/request` as the `/login` page calls it.
pub async fn wallet_link(p: &Provider, lc: &str) -> WalletLink {
    let r = p
        .http
        .get(p.url(&format!("/api/v1/oid4vp/request?login_challenge={lc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body: Value = r.json().await.unwrap();
    let link = body["authorization_request"].as_str().unwrap().to_owned();
    // The wallet reads only the link (as from a QR code or a tap on it).
    let rest = link.strip_prefix("openid4vp://?").unwrap();
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(rest.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(params["request_uri_method"], "post");
    assert_eq!(params["client_id"], body["client_id"].as_str().unwrap());
    assert_eq!(params["request_uri"], body["request_uri"].as_str().unwrap());
    WalletLink {
        authorization_request: link,
        client_id: params["client_id"].clone(),
        request_uri: params["request_uri"].clone(),
        cookie,
    }
}

/// What a wallet must check of a Request Object before trusting anything in it
/// (OID4VP 1.0 §5, §5.9.3, §5.10.1): `typ`, a `kid` of the DID the
/// `decentralized_identifier:` client_id names, the signature with the key found by
/// resolving that DID, and the same `client_id` inside.
pub fn verify_request_object(jwt: &str, client_id: &str) -> Result<RequestObject, String> {
    let header = jws::peek_header(jwt).map_err(|e| e.to_string())?;
    if header.typ.as_deref() != Some("oauth-authz-req+jwt") {
        return Err("typ is not oauth-authz-req+jwt".into());
    }
    let did = client_id
        .strip_prefix(DID_PREFIX)
        .ok_or("client_id is not decentralized_identifier:")?;
    let kid = DidUrl::parse(header.kid.as_deref().ok_or("no kid")?).map_err(|e| e.to_string())?;
    if kid.did().as_str() != did {
        return Err("kid is not a key of the client_id DID".into());
    }
    let method = did::resolve_verification_method(&kid).map_err(|e| e.to_string())?;
    let verified = jws::verify_jwt(
        jwt,
        method.public_key(),
        &[Algorithm::EdDSA, Algorithm::ES256],
    )
    .map_err(|e| e.to_string())?;
    if verified.claims.get("client_id").and_then(Value::as_str) != Some(client_id) {
        return Err("client_id differs from the Authorization Request".into());
    }
    Ok(RequestObject {
        header: verified.header,
        claims: verified.claims,
    })
}

/// Fetches the Request Object: `GET`, or `POST` with `wallet_nonce` (§5.10).
pub async fn fetch_request_object(
    p: &Provider,
    link: &WalletLink,
    wallet_nonce: Option<&str>,
) -> RequestObject {
    let request = match wallet_nonce {
        None => p.http.get(&link.request_uri),
        Some(nonce) => p
            .http
            .post(&link.request_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", REQUEST_OBJECT_TYPE)
            .body(
                url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("wallet_nonce", nonce)
                    .append_pair(
                        "wallet_metadata",
                        &json!({"vp_formats_supported": {"ldp_vc": {}}}).to_string(),
                    )
                    .finish(),
            ),
    };
    let r = request.send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], REQUEST_OBJECT_TYPE);
    let jwt = r.text().await.unwrap();
    verify_request_object(&jwt, &link.client_id).unwrap()
}

impl AppWallet {
    pub fn new() -> Self {
        Self {
            holder: party(),
            credentials: Vec::new(),
            jwt_vp: false,
        }
    }

    /// The nonce/challenge and client_id/domain the wallet binds to: the request's,
    /// unless `edit` changes them.
    fn options(
        &self,
        ro: &RequestObject,
        edit: &dyn Fn(&mut PresentationOptions),
    ) -> PresentationOptions {
        let mut options = PresentationOptions::new(
            ro.str("nonce"),
            ro.str("client_id"),
            format_datetime(now() - 1).unwrap(),
        );
        edit(&mut options);
        options
    }

    /// A VP-JWT (`aud` = client_id, `nonce`) of `held` (VC-JWTs).
    pub fn vp_jwt(
        &self,
        held: &[&Held],
        ro: &RequestObject,
        edit: &dyn Fn(&mut PresentationOptions),
    ) -> String {
        let options = self.options(ro, edit);
        let credentials: Vec<Value> = held
            .iter()
            .map(|h| match h {
                Held::VcJwt(t) => Value::String(t.clone()),
                _ => panic!("a VP-JWT here carries VC-JWTs"),
            })
            .collect();
        let vp = Presentation::from_value(json!({
            "@context": [CREDENTIALS_V2_CONTEXT],
            "type": ["VerifiablePresentation"],
            "holder": self.holder.did.as_str(),
            "verifiableCredential": credentials,
        }))
        .unwrap();
        let claims = VpJwtClaims {
            audience: options.domain,
            nonce: options.challenge,
            issued_at: now() - 1,
            expires_at: Some(now() + 300),
        };
        vc_jwt::sign_vp_jwt(&vp, &claims, &self.holder.vm, &self.holder.key).unwrap()
    }

    /// The SD-JWT VC with the claims at `disclose` (JSON Pointers) and a KB-JWT
    /// (`aud` = client_id, `nonce`).
    pub fn sd_jwt(
        &self,
        issued: &str,
        disclose: &BTreeSet<String>,
        ro: &RequestObject,
        edit: &dyn Fn(&mut PresentationOptions),
    ) -> String {
        let options = self.options(ro, edit);
        let sd = SdJwt::parse(issued).unwrap();
        let claims = Value::Object(sd.decode_unverified().unwrap().claims);
        let reveal = sd_jwt_reveal_paths(&claims, disclose).unwrap();
        let kb = KeyBindingParams {
            key: &self.holder.key,
            alg: Algorithm::EdDSA,
            nonce: &options.challenge,
            aud: &options.domain,
            iat: now() - 1,
        };
        sd.present(&reveal, Some(&kb)).unwrap()
    }

    /// One `ldp_vp` of `held`, bound to the request's `nonce` (challenge) and
    /// `client_id` (domain), with `edit` applied to the options before signing.
    pub fn ldp_vp(
        &self,
        held: &[&Held],
        ro: &RequestObject,
        edit: &dyn Fn(&mut PresentationOptions),
    ) -> Value {
        let options = self.options(ro, edit);
        let key = HolderKey {
            verification_method: &self.holder.vm,
            key: &self.holder.key,
        };
        let chosen = held.iter().map(|h| h.embedded()).collect();
        let vp = build_presentation(&key, chosen, &options).unwrap();
        serde_json::from_str(&vp.to_json()).unwrap()
    }

    /// The answer to `ro`'s `dcql_query` or `presentation_definition`.
    pub fn answer(&self, ro: &RequestObject, edit: impl Fn(&mut PresentationOptions)) -> Answer {
        assert_eq!(ro.str("response_type"), "vp_token");
        assert!(
            ["direct_post", "direct_post.jwt"].contains(&ro.str("response_mode")),
            "{}",
            ro.str("response_mode")
        );
        assert!(ro.claims.get("redirect_uri").is_none());
        let candidates: Vec<_> = self
            .credentials
            .iter()
            .enumerate()
            .map(|(i, h)| candidate_from_stored(&i.to_string(), h.stored()).unwrap())
            .collect();
        if let Some(q) = ro.claims.get("dcql_query") {
            let query = DcqlQuery::parse(&q.to_string()).unwrap();
            // Appendix B.1.3: DCQL claims paths start at the credential, for a
            // VC-JWT the one in its `vc` claim (PEX paths start at the payload).
            let candidates: Vec<_> = candidates
                .into_iter()
                .zip(&self.credentials)
                .map(|(mut c, held)| {
                    if let Held::VcJwt(token) = held {
                        let payload = b64u_decode(token.split('.').nth(1).unwrap()).unwrap();
                        let claims: Map<String, Value> = serde_json::from_slice(&payload).unwrap();
                        c.claims = Value::Object(
                            vc_jwt::decode_vc_claims(&claims).unwrap().as_map().clone(),
                        );
                    }
                    c
                })
                .collect();
            let selection = dcql::select(&query, &candidates).unwrap();
            assert!(selection.satisfiable, "wallet cannot satisfy the query");
            let mut token = Map::new();
            for q in &selection.queries {
                if !selection.to_present.contains(&q.query_id) {
                    continue;
                }
                let multiple = query
                    .credentials
                    .iter()
                    .any(|c| c.id == q.query_id && c.multiple);
                let take = if multiple { q.candidates.len() } else { 1 };
                // §8.1: an array of presentations, one credential each, in the form
                // of the query's format (Appendix B).
                let vps: Vec<Value> = q.candidates[..take]
                    .iter()
                    .map(|m| {
                        let held = &self.credentials[m.index];
                        match held {
                            Held::Json(_) => self.ldp_vp(&[held], ro, &edit),
                            Held::VcJwt(_) => Value::String(self.vp_jwt(&[held], ro, &edit)),
                            Held::SdJwt(t) => Value::String(self.sd_jwt(t, &m.disclose, ro, &edit)),
                        }
                    })
                    .collect();
                token.insert(q.query_id.clone(), Value::Array(vps));
            }
            return Answer {
                vp_token: Value::Object(token).to_string(),
                presentation_submission: None,
            };
        }
        let definition = ro.claims["presentation_definition"].to_string();
        let definition = PresentationDefinition::parse(&definition).unwrap();
        let selection = pex::select(&definition, &candidates).unwrap();
        assert!(
            selection.satisfiable,
            "wallet cannot satisfy the definition"
        );
        let mut chosen = Vec::new();
        let mut choices = Vec::new();
        for d in &selection.descriptors {
            if !selection.needed.contains(&d.descriptor_id) {
                continue;
            }
            let m = &d.candidates[0];
            choices.push(SubmissionChoice {
                descriptor_id: d.descriptor_id.clone(),
                vp_index: chosen.len(),
                format: candidates[m.index].format.clone(),
            });
            chosen.push(&self.credentials[m.index]);
        }
        if self.jwt_vp {
            // A VP-JWT: `$` with path_nested `$.vp.verifiableCredential[i]`.
            let submission =
                pex::build_submission(&definition, "submission-1", &Envelope::JwtVp, &choices)
                    .unwrap();
            return Answer {
                vp_token: self.vp_jwt(&chosen, ro, &edit),
                presentation_submission: Some(serde_json::to_string(&submission).unwrap()),
            };
        }
        let mut submission =
            pex::build_submission(&definition, "submission-1", &Envelope::JsonVp, &choices)
                .unwrap();
        // OID4VP (draft 20 §6.1): paths start at vp_token, here one ldp_vp.
        for entry in &mut submission.descriptor_map {
            let inner = entry.clone();
            *entry = DescriptorMapEntry {
                id: inner.id.clone(),
                format: "ldp_vp".into(),
                path: "$".into(),
                path_nested: Some(Box::new(inner)),
            };
        }
        Answer {
            vp_token: self.ldp_vp(&chosen, ro, &edit).to_string(),
            presentation_submission: Some(serde_json::to_string(&submission).unwrap()),
        }
    }
}

/// `POST response_uri` with a form body: status and JSON body.
pub async fn direct_post(p: &Provider, response_uri: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        body.append_pair(k, v);
    }
    let r = p
        .http
        .post(response_uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.finish())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    if status == 200 {
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["cache-control"], "no-store");
    }
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Posts `answer` for the request object's `state`, as its `response_mode` asks.
pub async fn post_answer(p: &Provider, ro: &RequestObject, answer: &Answer) -> (u16, Value) {
    let mut form = vec![
        ("vp_token", answer.vp_token.as_str()),
        ("state", ro.str("state")),
    ];
    if let Some(s) = &answer.presentation_submission {
        form.push(("presentation_submission", s.as_str()));
    }
    post_response(p, ro, &form).await
}

/// Posts the response parameters `params` to the request object's `response_uri`,
/// encrypted when it asks for `direct_post.jwt` ([`response_form`]).
pub async fn post_response(
    p: &Provider,
    ro: &RequestObject,
    params: &[(&str, &str)],
) -> (u16, Value) {
    let form = response_form(ro, params);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    direct_post(p, ro.str("response_uri"), &form).await
}

/// The form a wallet posts for the response parameters `params`: as they are for
/// `direct_post`; for `direct_post.jwt` (OID4VP 1.0 §8.3) one `response` parameter,
/// a JWE of the parameters as a JSON object (a `vp_token` or
/// `presentation_submission` given as JSON object or array text goes in as that
/// JSON) to the first key of `client_metadata.jwks`, with its `alg` and the first
/// `encrypted_response_enc_values_supported` (default `A128GCM`).
pub fn response_form(ro: &RequestObject, params: &[(&str, &str)]) -> Vec<(String, String)> {
    if ro.str("response_mode") != "direct_post.jwt" {
        return params
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    }
    let payload: Map<String, Value> = params
        .iter()
        .map(|(k, v)| {
            let json = match *k {
                "vp_token" | "presentation_submission" => serde_json::from_str::<Value>(v)
                    .ok()
                    .filter(|j| j.is_object() || j.is_array()),
                _ => None,
            };
            (
                (*k).to_owned(),
                json.unwrap_or_else(|| Value::String((*v).to_owned())),
            )
        })
        .collect();
    vec![(
        "response".to_owned(),
        encrypt_response(ro, &Value::Object(payload), None),
    )]
}

/// `payload` encrypted as [`response_form`] does, with `enc` instead of the first
/// announced one when given.
pub fn encrypt_response(
    ro: &RequestObject,
    payload: &Value,
    enc: Option<ContentEncryption>,
) -> String {
    let metadata = &ro.claims["client_metadata"];
    let jwk = Jwk::from_json(&metadata["jwks"]["keys"][0].to_string()).unwrap();
    let alg = KeyManagement::from_name(jwk.alg.as_deref().unwrap()).unwrap();
    let enc = enc.unwrap_or_else(|| {
        let name = metadata["encrypted_response_enc_values_supported"][0]
            .as_str()
            .unwrap_or("A128GCM");
        ContentEncryption::from_name(name).unwrap()
    });
    let options = EncryptOptions {
        enc: Some(enc),
        ..EncryptOptions::default()
    };
    jwe::encrypt_to_jwk(
        payload.to_string().as_bytes(),
        &jwk,
        alg,
        &options,
        &mut OsRandom,
    )
    .unwrap()
}

/// The `response_code` in the fragment of the `redirect_uri` the wallet follows.
pub fn response_code_of(redirect_uri: &str) -> String {
    let fragment = url::Url::parse(redirect_uri)
        .unwrap()
        .fragment()
        .unwrap()
        .to_owned();
    url::form_urlencoded::parse(fragment.as_bytes())
        .find(|(k, _)| k == "response_code")
        .unwrap()
        .1
        .into_owned()
}

/// What the callback page's script does: `POST /api/v1/oid4vp/response_code`,
/// naming the login by `login_challenge` or by the cookie.
pub async fn redeem(
    p: &Provider,
    login_challenge: Option<&str>,
    cookie: Option<&str>,
    response_code: &str,
) -> (u16, Value) {
    let path = match login_challenge {
        Some(lc) => format!("/api/v1/oid4vp/response_code?login_challenge={lc}"),
        None => "/api/v1/oid4vp/response_code".to_owned(),
    };
    let mut request = p
        .http
        .post(p.url(&path))
        .header("content-type", "application/json")
        .body(json!({ "response_code": response_code }).to_string());
    if let Some(c) = cookie {
        request = request.header("cookie", c);
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `GET /api/v1/oid4vp/status` as the `/login` page polls it.
pub async fn status(p: &Provider, lc: &str) -> (u16, Value) {
    let r = p
        .http
        .get(p.url(&format!("/api/v1/oid4vp/status?login_challenge={lc}")))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}
