//! Issuance (RFC 9901 §4.1, §4.2): blinding the chosen claims and signing.

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use super::{
    ClaimPath, ClaimPathElement, Disclosure, MAX_DEPTH, SALT_BYTES, SD_ALG, SD_JWT_VC_TYP,
    SdJwtError, path_to_string,
};
use crate::encoding::b64u_encode;
use crate::jwk::Jwk;
use crate::jws::{Algorithm, Header, sign_jwt};
use crate::keys::{PrivateKey, PublicKey};
use crate::random::SecureRandom;

/// Claims an SD-JWT VC keeps in the clear (SD-JWT VC draft §3.2.2.2: "`iss`, `nbf`,
/// `exp`, `cnf`, `vct`, `vct#integrity`, `status` ... MUST NOT be selectively
/// disclosed").
const VC_CLEAR: [&str; 7] = ["iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"];

/// How to issue.
#[derive(Debug, Clone)]
pub struct IssueOptions<'a> {
    /// The issuer-signed JWT header: `alg`, and usually `kid` and `typ`.
    pub header: Header,
    /// The holder's public key, put in `cnf.jwk` (RFC 7800 §3.2) to enable key
    /// binding.
    pub holder_key: Option<&'a PublicKey>,
    /// Decoy digests added to each `_sd` array and each array holding selectively
    /// disclosable elements (RFC 9901 §4.2.5), to hide how many claims there are.
    pub decoys: usize,
}

impl<'a> IssueOptions<'a> {
    /// Options for an SD-JWT VC: `typ` `dc+sd-jwt`, the given `alg` and `kid`.
    #[must_use]
    pub fn sd_jwt_vc(alg: Algorithm, kid: &str, holder_key: Option<&'a PublicKey>) -> Self {
        Self {
            header: Header::new(alg).with_typ(SD_JWT_VC_TYP).with_kid(kid),
            holder_key,
            decoys: 0,
        }
    }
}

/// The claims of an SD-JWT VC (SD-JWT VC draft §3.2.2): `iss`, `vct`, `iat` and the
/// optional `exp`, `nbf` and `status`, merged with the credential's own `claims`.
///
/// # Errors
/// [`SdJwtError::ClaimCollision`] when `claims` already has one of those names.
pub fn sd_jwt_vc_claims(
    iss: &str,
    vct: &str,
    iat: i64,
    exp: Option<i64>,
    nbf: Option<i64>,
    status: Option<Value>,
    claims: Map<String, Value>,
) -> Result<Map<String, Value>, SdJwtError> {
    let mut out = Map::new();
    out.insert("iss".into(), Value::String(iss.to_owned()));
    out.insert("vct".into(), Value::String(vct.to_owned()));
    out.insert("iat".into(), Value::from(iat));
    if let Some(exp) = exp {
        out.insert("exp".into(), Value::from(exp));
    }
    if let Some(nbf) = nbf {
        out.insert("nbf".into(), Value::from(nbf));
    }
    if let Some(status) = status {
        out.insert("status".into(), status);
    }
    for (name, value) in claims {
        if out.contains_key(&name) {
            return Err(SdJwtError::ClaimCollision(name));
        }
        out.insert(name, value);
    }
    Ok(out)
}

/// Issues an SD-JWT: every claim named by a path in `disclosable` becomes a
/// disclosure (an object property or an array element, at any depth; a path inside
/// another disclosable claim gives a recursive disclosure, RFC 9901 §4.2.6). Returns
/// `<JWT>~<D1>~…~<Dn>~`.
///
/// `_sd` arrays are sorted, so their order says nothing about the claims' order (RFC
/// 9901 §4.2.4.1: "The Issuer MUST hide the original order of the claims in the
/// array"). Salts are [`SALT_BYTES`] bytes from `rng`.
///
/// # Errors
/// [`SdJwtError::UnknownClaimPath`], [`SdJwtError::NotDisclosable`] (the top level,
/// `cnf`, and for `typ` `dc+sd-jwt` the claims the SD-JWT VC draft keeps in the
/// clear), [`SdJwtError::ReservedClaimName`] (`_sd`, `_sd_alg` or `...` in the
/// input), [`SdJwtError::ClaimCollision`] (`cnf` given twice),
/// [`SdJwtError::TooDeep`], [`SdJwtError::Random`], [`SdJwtError::Signing`].
pub fn issue(
    claims: &Map<String, Value>,
    disclosable: &[ClaimPath],
    options: &IssueOptions<'_>,
    key: &PrivateKey,
    rng: &mut impl SecureRandom,
) -> Result<String, SdJwtError> {
    let is_vc = options.header.typ.as_deref() == Some(SD_JWT_VC_TYP);
    for path in disclosable {
        if lookup(claims, path).is_none() {
            return Err(SdJwtError::UnknownClaimPath(path_to_string(path)));
        }
        match path.as_slice() {
            [] => return Err(SdJwtError::NotDisclosable(String::new())),
            [ClaimPathElement::Key(name)]
                if name == "cnf" || (is_vc && VC_CLEAR.contains(&name.as_str())) =>
            {
                return Err(SdJwtError::NotDisclosable(name.clone()));
            }
            _ => {}
        }
    }
    if claims.contains_key("_sd_alg") {
        return Err(SdJwtError::ReservedClaimName("_sd_alg".into()));
    }
    if options.holder_key.is_some() && claims.contains_key("cnf") {
        return Err(SdJwtError::ClaimCollision("cnf".into()));
    }
    let set: BTreeSet<&ClaimPath> = disclosable.iter().collect();
    let mut blinder = Blinder {
        set,
        decoys: options.decoys,
        disclosures: Vec::new(),
    };
    let mut path = Vec::new();
    let mut payload = blinder.object(claims, &mut path, 0, rng)?;
    payload.insert("_sd_alg".into(), Value::String(SD_ALG.into()));
    if let Some(holder) = options.holder_key {
        let jwk = serde_json::to_value(Jwk::from_public_key(holder))
            .map_err(|e| SdJwtError::InvalidCnf(e.to_string()))?;
        let mut cnf = Map::new();
        cnf.insert("jwk".into(), jwk);
        payload.insert("cnf".into(), Value::Object(cnf));
    }
    let jwt = sign_jwt(&options.header, &payload, key).map_err(SdJwtError::Signing)?;
    let mut out = jwt;
    out.push('~');
    for d in &blinder.disclosures {
        out.push_str(d.encoded());
        out.push('~');
    }
    Ok(out)
}

/// The value at `path`, if any.
pub(super) fn lookup<'v>(
    claims: &'v Map<String, Value>,
    path: &[ClaimPathElement],
) -> Option<&'v Value> {
    let (first, rest) = path.split_first()?;
    let ClaimPathElement::Key(name) = first else {
        return None;
    };
    let mut current = claims.get(name)?;
    for step in rest {
        current = match (step, current) {
            (ClaimPathElement::Key(k), Value::Object(map)) => map.get(k)?,
            (ClaimPathElement::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// A decoy digest: RFC 9901 §4.2.5 recommends "hashing over a cryptographically
/// secure random number".
fn decoy(rng: &mut impl SecureRandom) -> Result<String, SdJwtError> {
    let random = rng.bytes::<SALT_BYTES>()?;
    Ok(b64u_encode(Sha256::digest(b64u_encode(random).as_bytes())))
}

struct Blinder<'a> {
    set: BTreeSet<&'a ClaimPath>,
    decoys: usize,
    disclosures: Vec<Disclosure>,
}

impl Blinder<'_> {
    fn value(
        &mut self,
        value: &Value,
        path: &mut ClaimPath,
        depth: usize,
        rng: &mut impl SecureRandom,
    ) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, path, depth, rng)?)),
            Value::Array(items) => Ok(Value::Array(self.array(items, path, depth, rng)?)),
            other => Ok(other.clone()),
        }
    }

    fn object(
        &mut self,
        map: &Map<String, Value>,
        path: &mut ClaimPath,
        depth: usize,
        rng: &mut impl SecureRandom,
    ) -> Result<Map<String, Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooDeep(MAX_DEPTH));
        }
        let mut out = Map::new();
        let mut digests = Vec::new();
        for (name, value) in map {
            if name == "_sd" || name == "..." || (depth > 0 && name == "_sd_alg") {
                return Err(SdJwtError::ReservedClaimName(name.clone()));
            }
            path.push(name.as_str().into());
            let result = self.value(value, path, depth + 1, rng);
            let blind = self.set.contains(path);
            path.pop();
            let inner = result?;
            if blind {
                // Children first: a recursive disclosure embeds their digests.
                let disclosure = Disclosure::new(Some(name), inner, rng)?;
                digests.push(disclosure.digest().to_owned());
                self.disclosures.push(disclosure);
            } else {
                out.insert(name.clone(), inner);
            }
        }
        if !digests.is_empty() {
            for _ in 0..self.decoys {
                digests.push(decoy(rng)?);
            }
            digests.sort_unstable();
            out.insert(
                "_sd".into(),
                Value::Array(digests.into_iter().map(Value::String).collect()),
            );
        }
        Ok(out)
    }

    fn array(
        &mut self,
        items: &[Value],
        path: &mut ClaimPath,
        depth: usize,
        rng: &mut impl SecureRandom,
    ) -> Result<Vec<Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooDeep(MAX_DEPTH));
        }
        let mut out = Vec::with_capacity(items.len());
        let mut any_blinded = false;
        for (i, item) in items.iter().enumerate() {
            path.push(i.into());
            let result = self.value(item, path, depth + 1, rng);
            let blind = self.set.contains(path);
            path.pop();
            let inner = result?;
            if blind {
                let disclosure = Disclosure::new(None, inner, rng)?;
                out.push(digest_element(disclosure.digest().to_owned()));
                self.disclosures.push(disclosure);
                any_blinded = true;
            } else {
                out.push(inner);
            }
        }
        if any_blinded {
            for _ in 0..self.decoys {
                // A random position, so decoys do not all trail the real entries.
                let r = u32::from_le_bytes(rng.bytes::<4>()?);
                let slots = u32::try_from(out.len() + 1).unwrap_or(u32::MAX);
                let at = usize::try_from(r % slots).unwrap_or(0).min(out.len());
                out.insert(at, digest_element(decoy(rng)?));
            }
        }
        Ok(out)
    }
}

/// `{"...": digest}` (RFC 9901 §4.2.4.2).
fn digest_element(digest: String) -> Value {
    let mut map = Map::new();
    map.insert("...".into(), Value::String(digest));
    Value::Object(map)
}
