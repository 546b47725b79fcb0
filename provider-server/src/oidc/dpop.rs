//! DPoP (RFC 9449): tokens bound to a key the client holds, so that a leaked access
//! or refresh token is useless without the key. Announced as
//! `dpop_signing_alg_values_supported`.
//!
//! - A token request with a valid proof in its `DPoP` header gets an access token
//!   bound to the proof's key (its RFC 7638 thumbprint, `jkt`) and `token_type`
//!   `DPoP` (§5). A public client's refresh token is bound too: every refresh must
//!   come with a proof by the same key, and one by another key is refused (the
//!   token is spent by then, so its next use revokes the family, as any reuse does).
//!   A confidential client's refresh token is bound to its client authentication
//!   instead (§5), so its refreshes may use a new key, or none.
//! - `/userinfo` takes a bound token only as `Authorization: DPoP <token>` with a
//!   proof by the bound key whose `ath` is the token's hash (§7); a bound token sent
//!   as `Bearer` is refused, and so is an unbound token sent as `DPoP`.
//! - Introspection reports a bound token's `cnf.jkt` and `token_type` `DPoP` (§6.2).
//! - A client registered with `dpop_bound_access_tokens` must send a proof with
//!   every token request (§5.2).
//! - A proof (§4.3): one `DPoP` header, a JWT of `typ` `dpop+jwt` signed with ES256
//!   or EdDSA by the public key in its own `jwk`
//!   ([`wallet_core::jws::verify_with_header_jwk`]), `htm` the request's method,
//!   `htu` this endpoint's URL under the issuer, `iat` at most [`MAX_AGE_SECS`] old
//!   and [`MAX_FUTURE_SECS`] ahead, a `jti` not seen before for that key (kept in the
//!   database, so a proof replayed at another instance is refused too). Server
//!   nonces (§8) are not built.
//! - The code can be bound too (§10): `dpop_jkt` on the authorization request, or a
//!   proof sent with a pushed one (§10.1), and then only a token request with a proof
//!   by that key redeems it.

use axum::http::HeaderMap;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use wallet_core::encoding::b64u_encode;
use wallet_core::jws::{self, Algorithm};

use crate::AppState;
use crate::error::{AppError, ErrorCode};
use crate::web::now;

/// The proof algorithms accepted.
pub const ALGORITHMS: [Algorithm; 2] = [Algorithm::ES256, Algorithm::EdDSA];
/// Their names, for discovery and the `algs` of a `DPoP` challenge.
pub const ALGORITHM_NAMES: [&str; 2] = ["ES256", "EdDSA"];
/// The oldest proof accepted, by its `iat`.
pub const MAX_AGE_SECS: i64 = 300;
/// How far ahead of our clock a proof's `iat` may be.
pub const MAX_FUTURE_SECS: i64 = 60;
/// The longest proof looked at.
const MAX_PROOF_LEN: usize = 8 * 1024;

/// A refused proof: why, for the caller to answer as its endpoint does
/// (`invalid_dpop_proof` as JSON at the token endpoint, a `DPoP` challenge at
/// `/userinfo`).
#[derive(Debug)]
pub struct Refused(pub String);

impl Refused {
    /// As the token endpoint answers it (RFC 9449 §5: `invalid_dpop_proof`, 400).
    #[must_use]
    pub fn at_token_endpoint(self) -> AppError {
        AppError::oauth(ErrorCode::InvalidDpopProof, self.0)
    }

    /// As a protected resource answers it (§7.1: 401 with a `DPoP` challenge).
    #[must_use]
    pub fn at_resource(self) -> AppError {
        AppError::DpopToken {
            code: ErrorCode::InvalidDpopProof,
            description: self.0,
        }
    }
}

/// Refuses a token request whose proof's key (`proven`) is not the key `bound` of
/// the code or refresh token it redeems (`what`), when that one is bound.
///
/// # Errors
/// `invalid_dpop_proof` (400).
pub fn require_key(
    bound: Option<&String>,
    proven: Option<&String>,
    what: &str,
) -> Result<(), AppError> {
    match bound {
        Some(bound) if proven != Some(bound) => Err(Refused(format!(
            "the {what} is bound to another DPoP key, or the proof is missing"
        ))
        .at_token_endpoint()),
        _ => Ok(()),
    }
}

/// The request's DPoP proof checked (§4.3) for `method` at `path` (this provider's
/// endpoint, under the issuer), with `ath` required and checked when `access_token`
/// is given: the thumbprint of its key, or `None` when the request carries no proof.
///
/// # Errors
/// [`Refused`] naming the failed check; a database failure as `Ok(Err)`.
pub async fn check(
    state: &AppState,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    access_token: Option<&str>,
) -> Result<Result<Option<String>, Refused>, AppError> {
    let refuse = |why: &str| Ok(Err(Refused(format!("DPoP proof refused: {why}"))));
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(Ok(None));
    };
    if values.next().is_some() {
        return refuse("more than one DPoP header");
    }
    let Ok(proof) = value.to_str() else {
        return refuse("not a JWT");
    };
    if proof.len() > MAX_PROOF_LEN {
        return refuse("too long");
    }
    let (verified, key) = match jws::verify_with_header_jwk(proof, &ALGORITHMS) {
        Ok(v) => v,
        Err(e) => return refuse(&e.to_string()),
    };
    if verified.header.typ.as_deref() != Some("dpop+jwt") {
        return refuse("typ is not dpop+jwt");
    }
    let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&verified.payload) else {
        return refuse("the claims are not a JSON object");
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let Some(jti) = text("jti").filter(|j| !j.is_empty() && j.len() <= 256) else {
        return refuse("jti is missing or too long");
    };
    if text("htm") != Some(method) {
        return refuse("htm is not this request's method");
    }
    // §4.3: the URI "ignoring any query and fragment parts", compared after
    // RFC 3986 normalization (the URL parser's).
    let expected = format!("{}{path}", state.config.issuer);
    let htu_matches = text("htu")
        .and_then(|h| url::Url::parse(h).ok())
        .zip(url::Url::parse(&expected).ok())
        .is_some_and(|(mut htu, expected)| {
            htu.set_query(None);
            htu.set_fragment(None);
            htu == expected
        });
    if !htu_matches {
        return refuse("htu is not this endpoint");
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return refuse("iat is missing");
    };
    let now = now();
    if iat < now.saturating_sub(MAX_AGE_SECS) || iat > now.saturating_add(MAX_FUTURE_SECS) {
        return refuse("iat is too old or in the future");
    }
    if let Some(token) = access_token {
        let ath = b64u_encode(Sha256::digest(token.as_bytes()));
        if text("ath") != Some(ath.as_str()) {
            return refuse("ath is not the access token's hash");
        }
    }
    let Ok(jkt) = key.thumbprint() else {
        return refuse("the key has no thumbprint");
    };
    // §11.1: a jti seen before for this key is a replay. Kept until the proof's iat
    // leaves the accepted window, after which the proof is refused for its age.
    let seen = b64u_encode(Sha256::digest(format!("{jkt}.{jti}").as_bytes()));
    let inserted = crate::db::query(
        "INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, $2) \
         ON CONFLICT (proof_hash) DO NOTHING",
    )
    .bind(seen)
    .bind(iat.saturating_add(MAX_AGE_SECS + MAX_FUTURE_SECS))
    .execute(&state.db)
    .await?
    .rows_affected();
    if inserted == 0 {
        return refuse("replayed (its jti was seen before)");
    }
    Ok(Ok(Some(jkt)))
}
