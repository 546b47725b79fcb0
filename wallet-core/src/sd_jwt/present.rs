//! Presentation by the holder (RFC 9901 §7.2): a subset of the disclosures and a Key
//! Binding JWT (§4.3).

use serde_json::{Map, Value};

use super::issue::lookup;
use super::{
    ClaimPath, KB_JWT_TYP, SdJwt, SdJwtError, disclosure_digest, path_to_string, process,
    unverified_payload,
};
use crate::jws::{Algorithm, Header, sign_jwt};
use crate::keys::PrivateKey;

/// What the holder signs in a Key Binding JWT.
#[derive(Debug, Clone, Copy)]
pub struct KeyBindingParams<'a> {
    /// The holder's private key (the one in `cnf`).
    pub key: &'a PrivateKey,
    /// The signature algorithm.
    pub alg: Algorithm,
    /// The verifier's nonce.
    pub nonce: &'a str,
    /// The verifier (`aud`).
    pub aud: &'a str,
    /// The time of signing (unix seconds).
    pub iat: i64,
}

impl SdJwt {
    /// Builds a presentation that reveals the claims at `reveal` and nothing else:
    /// for each path, the disclosures of the claim itself, of every claim inside it,
    /// and of every enclosing claim (a nested claim cannot be shown without its
    /// parents). With `key_binding`, a KB-JWT over `nonce`, `aud`, `iat` and
    /// `sd_hash` is appended (RFC 9901 §4.3); without, the result ends in `~`.
    ///
    /// # Errors
    /// [`SdJwtError::KbUnexpected`] when `self` already carries a KB-JWT,
    /// [`SdJwtError::UnknownClaimPath`], the processing errors of
    /// [`SdJwt::decode_unverified`], [`SdJwtError::Signing`].
    pub fn present(
        &self,
        reveal: &[ClaimPath],
        key_binding: Option<&KeyBindingParams<'_>>,
    ) -> Result<String, SdJwtError> {
        if self.kb_jwt.is_some() {
            return Err(SdJwtError::KbUnexpected);
        }
        let payload = unverified_payload(&self.issuer_jwt)?;
        let processed = process::process(payload, &self.disclosures)?;
        for path in reveal {
            if lookup(&processed.claims, path).is_none() {
                return Err(SdJwtError::UnknownClaimPath(path_to_string(path)));
            }
        }
        let mut keep = vec![false; self.disclosures.len()];
        for (path, index) in &processed.paths {
            let related = reveal
                .iter()
                .any(|r| r.starts_with(path) || path.starts_with(r));
            if related && let Some(k) = keep.get_mut(*index) {
                *k = true;
            }
        }
        let selected = Self {
            issuer_jwt: self.issuer_jwt.clone(),
            disclosures: self
                .disclosures
                .iter()
                .zip(keep)
                .filter(|(_, k)| *k)
                .map(|(d, _)| d.clone())
                .collect(),
            kb_jwt: None,
        };
        let mut out = selected.sd_jwt_part();
        if let Some(kb) = key_binding {
            let mut claims = Map::new();
            claims.insert("nonce".into(), Value::String(kb.nonce.to_owned()));
            claims.insert("aud".into(), Value::String(kb.aud.to_owned()));
            claims.insert("iat".into(), Value::from(kb.iat));
            // §4.3.1: "the hash over the US-ASCII bytes of the SD-JWT ... including the
            // last `~`", hashed with the `_sd_alg` (always sha-256 here).
            claims.insert("sd_hash".into(), Value::String(disclosure_digest(&out)));
            let header = Header::new(kb.alg).with_typ(KB_JWT_TYP);
            let jwt = sign_jwt(&header, &claims, kb.key).map_err(SdJwtError::Signing)?;
            out.push_str(&jwt);
        }
        Ok(out)
    }
}
