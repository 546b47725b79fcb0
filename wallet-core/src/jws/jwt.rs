//! JWT (RFC 7519) on top of JWS: the payload is a JSON object of claims.
//!
//! No clock is read here. [`check_time`] takes the caller's `now`, so the server, the
//! wallet in the browser and deterministic tests all judge time the same way.

use serde_json::{Map, Value};

use super::header::{ObjectError, parse_unique_object};
use super::{Algorithm, Header, JwsError, sign, verify};
use crate::keys::{PrivateKey, PublicKey};

/// A verified JWT: its protected header and claims set.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedJwt {
    /// The protected header.
    pub header: Header,
    /// The claims, in name order.
    pub claims: Map<String, Value>,
}

/// Signs a claims set as a JWS. The claims are serialized from an ordered map, so
/// the same claims always give the same payload bytes.
///
/// # Errors
/// As [`sign`].
pub fn sign_jwt(
    header: &Header,
    claims: &Map<String, Value>,
    key: &PrivateKey,
) -> Result<String, JwsError> {
    let payload = Value::Object(claims.clone()).to_string();
    sign(header, payload.as_bytes(), key)
}

/// Verifies a JWT like [`verify`] and parses its payload as a JSON object with unique
/// claim names (RFC 7519 §7.2 step 10). Time claims are not checked: call
/// [`check_time`] with the caller's clock.
///
/// # Errors
/// The errors of [`verify`], [`JwsError::ClaimsNotObject`],
/// [`JwsError::DuplicateClaim`].
pub fn verify_jwt(
    token: &str,
    key: &PublicKey,
    allowed: &[Algorithm],
) -> Result<VerifiedJwt, JwsError> {
    let verified = verify(token, key, allowed)?;
    let claims = parse_unique_object(&verified.payload).map_err(|e| match e {
        ObjectError::Json(msg) => JwsError::ClaimsNotObject(msg),
        ObjectError::NotObject => JwsError::ClaimsNotObject("not an object".into()),
        ObjectError::Duplicate(name) => JwsError::DuplicateClaim(name),
    })?;
    Ok(VerifiedJwt {
        header: verified.header,
        claims,
    })
}

/// A NumericDate claim (RFC 7519 §2: seconds since the epoch, possibly fractional).
/// Fractions round up: for whole-second `now`, `now < exp`, `now >= nbf` and
/// `iat <= now` then hold exactly when they hold for the fractional value.
fn numeric_date(claims: &Map<String, Value>, name: &'static str) -> Result<Option<i64>, JwsError> {
    let Some(value) = claims.get(name) else {
        return Ok(None);
    };
    let Value::Number(n) = value else {
        return Err(JwsError::InvalidTimeClaim(name));
    };
    if let Some(i) = n.as_i64() {
        return Ok(Some(i));
    }
    let f = n.as_f64().ok_or(JwsError::InvalidTimeClaim(name))?;
    // Outside i64 seconds (and u64 values above i64::MAX) is nonsense for a date.
    if !f.is_finite() || f.abs() >= 9.0e18 {
        return Err(JwsError::InvalidTimeClaim(name));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(Some(f.ceil() as i64))
}

/// Checks `exp`, `nbf` and `iat` against the caller's `now_unix` (seconds), allowing
/// `leeway` seconds of clock skew. Absent claims pass; the caller decides which are
/// required.
///
/// - `exp` (RFC 7519 §4.1.4): "the current date/time MUST be before" it.
/// - `nbf` (§4.1.5): the current time "MUST be after or equal to" it.
/// - `iat` (§4.1.6): refused when it lies in the future.
///
/// # Errors
/// [`JwsError::InvalidTimeClaim`], [`JwsError::Expired`],
/// [`JwsError::NotYetValid`], [`JwsError::IssuedInFuture`].
pub fn check_time(claims: &Map<String, Value>, now_unix: i64, leeway: u32) -> Result<(), JwsError> {
    let leeway = i64::from(leeway);
    if let Some(exp) = numeric_date(claims, "exp")?
        && now_unix >= exp.saturating_add(leeway)
    {
        return Err(JwsError::Expired { exp, now: now_unix });
    }
    if let Some(nbf) = numeric_date(claims, "nbf")?
        && now_unix < nbf.saturating_sub(leeway)
    {
        return Err(JwsError::NotYetValid { nbf, now: now_unix });
    }
    if let Some(iat) = numeric_date(claims, "iat")?
        && iat > now_unix.saturating_add(leeway)
    {
        return Err(JwsError::IssuedInFuture { iat, now: now_unix });
    }
    Ok(())
}
