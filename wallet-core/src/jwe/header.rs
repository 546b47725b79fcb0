//! The JOSE header of a JWE (RFC 7516 §4): parsed strictly, serialized with members
//! in a fixed (lexicographic) order.

use serde_json::{Map, Value};

use super::{ContentEncryption, JweError, KeyManagement};
use crate::jwk::Jwk;

/// The largest decoded protected header accepted (bytes of JSON).
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// Header members handled by [`Header`] itself rather than kept in `extra`.
const KNOWN: [&str; 8] = ["alg", "enc", "kid", "typ", "cty", "epk", "apu", "apv"];

/// Header members this implementation refuses, with the reason:
/// - `zip`: we never decompress (a DEFLATE bomb expands 1 MiB into a gigabyte);
/// - `crit`: RFC 7516 §4.1.13 requires understanding every listed extension, and we
///   implement none;
/// - `jku`, `x5u`: would make the recipient fetch a key from an attacker-chosen URL;
/// - `jwk`: an embedded key the sender chose.
pub(crate) const REJECTED: [&str; 5] = ["zip", "crit", "jku", "x5u", "jwk"];

/// The (integrity-protected) header of a compact JWE.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// `alg`: the key management algorithm.
    pub alg: KeyManagement,
    /// `enc`: the content encryption algorithm.
    pub enc: ContentEncryption,
    /// `kid`: the recipient's key id.
    pub kid: Option<String>,
    /// `typ`: media type of the complete JWE.
    pub typ: Option<String>,
    /// `cty`: media type of the plaintext (`JWT` for nested tokens).
    pub cty: Option<String>,
    /// `epk`: the sender's ephemeral public key (ECDH-ES modes), as a public JWK.
    pub epk: Option<Jwk>,
    /// `apu`: agreement PartyUInfo, base64url as it appears in the header.
    pub apu: Option<String>,
    /// `apv`: agreement PartyVInfo, base64url as it appears in the header.
    pub apv: Option<String>,
    /// Every other member, in lexicographic order.
    pub extra: Map<String, Value>,
}

fn string_member(
    map: &mut Map<String, Value>,
    name: &'static str,
) -> Result<Option<String>, JweError> {
    match map.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(JweError::HeaderMemberType(name)),
    }
}

impl Header {
    /// Parses the decoded protected header: a JSON object of at most
    /// [`MAX_HEADER_LEN`] bytes with string `alg` and `enc` naming supported
    /// algorithms, and none of `zip`, `crit`, `jku`, `x5u`, `jwk`.
    ///
    /// Duplicate member names resolve to the lexically last one, which RFC 7516 §4
    /// permits ("use a JSON parser that returns only the lexically last duplicate").
    ///
    /// # Errors
    /// [`JweError::TooLarge`], [`JweError::HeaderJson`], [`JweError::MissingHeader`],
    /// [`JweError::HeaderMemberType`], [`JweError::UnsupportedAlgorithm`],
    /// [`JweError::UnsupportedEncryption`], [`JweError::Compression`],
    /// [`JweError::Critical`], [`JweError::ForbiddenHeader`].
    pub fn from_json(json: &[u8]) -> Result<Self, JweError> {
        if json.len() > MAX_HEADER_LEN {
            return Err(JweError::TooLarge {
                what: "protected header",
                max: MAX_HEADER_LEN,
            });
        }
        let mut map: Map<String, Value> =
            serde_json::from_slice(json).map_err(|e| JweError::HeaderJson(e.to_string()))?;
        if map.contains_key("zip") {
            return Err(JweError::Compression);
        }
        if map.contains_key("crit") {
            return Err(JweError::Critical);
        }
        for name in ["jku", "x5u", "jwk"] {
            if map.contains_key(name) {
                return Err(JweError::ForbiddenHeader(name));
            }
        }
        let alg = string_member(&mut map, "alg")?.ok_or(JweError::MissingHeader("alg"))?;
        let alg = KeyManagement::from_name(&alg)?;
        let enc = string_member(&mut map, "enc")?.ok_or(JweError::MissingHeader("enc"))?;
        let enc = ContentEncryption::from_name(&enc)?;
        let epk = match map.remove("epk") {
            None => None,
            Some(v @ Value::Object(_)) => Some(
                serde_json::from_value::<Jwk>(v).map_err(|_| JweError::HeaderMemberType("epk"))?,
            ),
            Some(_) => return Err(JweError::HeaderMemberType("epk")),
        };
        Ok(Self {
            alg,
            enc,
            kid: string_member(&mut map, "kid")?,
            typ: string_member(&mut map, "typ")?,
            cty: string_member(&mut map, "cty")?,
            epk,
            apu: string_member(&mut map, "apu")?,
            apv: string_member(&mut map, "apv")?,
            extra: map,
        })
    }

    /// The header as a JSON object, members in lexicographic order.
    #[must_use]
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        map.insert("alg".into(), self.alg.name().into());
        map.insert("enc".into(), self.enc.name().into());
        let optional = [
            ("kid", &self.kid),
            ("typ", &self.typ),
            ("cty", &self.cty),
            ("apu", &self.apu),
            ("apv", &self.apv),
        ];
        for (name, value) in optional {
            if let Some(v) = value {
                map.insert(name.into(), v.clone().into());
            }
        }
        if let Some(epk) = &self.epk {
            // A public JWK of plain strings always serializes; a failure would only
            // drop the member, which the recipient then reports as missing.
            if let Ok(v) = serde_json::to_value(epk.to_public()) {
                map.insert("epk".into(), v);
            }
        }
        map
    }

    /// The header as compact JSON text, members in lexicographic order.
    #[must_use]
    pub fn to_json(&self) -> String {
        Value::Object(self.to_map()).to_string()
    }

    pub(crate) fn is_known(name: &str) -> bool {
        KNOWN.contains(&name)
    }
}
