//! Processing of an issuer-signed payload with disclosures (RFC 9901 §7.1 step 3 to
//! 5): digests are replaced by the disclosed claims, recursively, and every rule of
//! §7.1 is enforced.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{ClaimPath, Disclosure, MAX_DEPTH, SD_ALG, SdJwtError};

/// One step of a [`ClaimPath`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClaimPathElement {
    /// An object member name.
    Key(String),
    /// An array index (in the processed array).
    Index(usize),
}

impl From<&str> for ClaimPathElement {
    fn from(key: &str) -> Self {
        Self::Key(key.to_owned())
    }
}

impl From<String> for ClaimPathElement {
    fn from(key: String) -> Self {
        Self::Key(key)
    }
}

impl From<usize> for ClaimPathElement {
    fn from(index: usize) -> Self {
        Self::Index(index)
    }
}

/// The processed payload and, for each disclosure used, the path of its claim and
/// its index in the disclosure list.
pub(super) struct Processed {
    pub(super) claims: Map<String, Value>,
    pub(super) paths: Vec<(ClaimPath, usize)>,
}

struct Walker<'a> {
    disclosures: &'a [Disclosure],
    by_digest: BTreeMap<&'a str, usize>,
    seen: BTreeSet<String>,
    used: Vec<bool>,
    paths: Vec<(ClaimPath, usize)>,
}

/// Processes `payload` with `disclosures` (RFC 9901 §7.1 steps 3–5).
pub(super) fn process(
    mut payload: Map<String, Value>,
    disclosures: &[Disclosure],
) -> Result<Processed, SdJwtError> {
    // §4.1.1: "If the `_sd_alg` claim is not present at the top level, a default
    // value of `sha-256` MUST be used." Anything else is refused (§7.1 step 2.4).
    match payload.remove("_sd_alg") {
        None => {}
        Some(Value::String(alg)) if alg == SD_ALG => {}
        Some(Value::String(alg)) => return Err(SdJwtError::UnsupportedSdAlg(alg)),
        Some(other) => return Err(SdJwtError::UnsupportedSdAlg(other.to_string())),
    }
    let mut walker = Walker {
        disclosures,
        by_digest: disclosures
            .iter()
            .enumerate()
            .map(|(i, d)| (d.digest(), i))
            .collect(),
        seen: BTreeSet::new(),
        used: vec![false; disclosures.len()],
        paths: Vec::new(),
    };
    let mut path = Vec::new();
    let claims = walker.object(payload, &mut path, 0)?;
    // §7.1 step 5: "If any Disclosure was not referenced by digest value in the
    // Issuer-signed JWT (directly or recursively via other Disclosures), the SD-JWT
    // MUST be rejected."
    if let Some((i, _)) = walker.used.iter().enumerate().find(|(_, used)| !**used) {
        let digest = disclosures.get(i).map(|d| d.digest().to_owned());
        return Err(SdJwtError::UnreferencedDisclosure(
            digest.unwrap_or_default(),
        ));
    }
    Ok(Processed {
        claims,
        paths: walker.paths,
    })
}

impl Walker<'_> {
    /// Looks a digest up, enforcing §7.1 step 4 ("If any digest value is encountered
    /// more than once ... the SD-JWT MUST be rejected"). Digests without a disclosure
    /// (undisclosed claims, decoys) give `None`.
    fn lookup(&mut self, digest: &str) -> Result<Option<usize>, SdJwtError> {
        if !self.seen.insert(digest.to_owned()) {
            return Err(SdJwtError::DuplicateDigest(digest.to_owned()));
        }
        let found = self.by_digest.get(digest).copied();
        if let Some(i) = found
            && let Some(used) = self.used.get_mut(i)
        {
            *used = true;
        }
        Ok(found)
    }

    fn value(
        &mut self,
        value: Value,
        path: &mut ClaimPath,
        depth: usize,
    ) -> Result<Value, SdJwtError> {
        match value {
            Value::Object(map) => Ok(Value::Object(self.object(map, path, depth)?)),
            Value::Array(items) => Ok(Value::Array(self.array(items, path, depth)?)),
            other => Ok(other),
        }
    }

    fn object(
        &mut self,
        mut map: Map<String, Value>,
        path: &mut ClaimPath,
        depth: usize,
    ) -> Result<Map<String, Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooDeep(MAX_DEPTH));
        }
        if depth > 0 && map.contains_key("_sd_alg") {
            return Err(SdJwtError::NestedSdAlg);
        }
        let digests = match map.remove("_sd") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .map(|d| match d {
                    Value::String(s) => Ok(s),
                    _ => Err(SdJwtError::InvalidDigest("_sd entry is not a string")),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(_) => return Err(SdJwtError::InvalidDigest("_sd is not an array")),
        };
        let mut out = Map::new();
        for (name, value) in map {
            path.push(name.clone().into());
            let processed = self.value(value, path, depth + 1);
            path.pop();
            out.insert(name, processed?);
        }
        for digest in digests {
            let Some(i) = self.lookup(&digest)? else {
                continue;
            };
            let disclosures = self.disclosures;
            let Some(disclosure) = disclosures.get(i) else {
                continue;
            };
            // §7.1 step 3.3.2.1: an `_sd` digest must point at `[salt, name, value]`.
            let Some(name) = disclosure.name() else {
                return Err(SdJwtError::DisclosureShape(digest));
            };
            // §7.1 step 3.3.2.2: "If the claim name is `_sd` or `...`, the SD-JWT
            // MUST be rejected."
            if name == "_sd" || name == "..." {
                return Err(SdJwtError::ReservedClaimName(name.to_owned()));
            }
            // §7.1 step 3.3.2.3: "If the claim name already exists at the level of
            // the `_sd` key, the SD-JWT MUST be rejected."
            if out.contains_key(name) {
                return Err(SdJwtError::ClaimCollision(name.to_owned()));
            }
            path.push(name.into());
            let processed = self.value(disclosure.value().clone(), path, depth + 1);
            if processed.is_ok() {
                self.paths.push((path.clone(), i));
            }
            path.pop();
            out.insert(name.to_owned(), processed?);
        }
        Ok(out)
    }

    fn array(
        &mut self,
        items: Vec<Value>,
        path: &mut ClaimPath,
        depth: usize,
    ) -> Result<Vec<Value>, SdJwtError> {
        if depth > MAX_DEPTH {
            return Err(SdJwtError::TooDeep(MAX_DEPTH));
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            path.push(out.len().into());
            let result = self.array_item(item, path, depth);
            path.pop();
            if let Some(value) = result? {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// One array element: a `{"...": digest}` object is replaced by its disclosed
    /// value or dropped when undisclosed (§7.1 step 3.4); other elements are
    /// processed as values.
    fn array_item(
        &mut self,
        item: Value,
        path: &mut ClaimPath,
        depth: usize,
    ) -> Result<Option<Value>, SdJwtError> {
        let digest = match &item {
            Value::Object(map) if map.len() == 1 && map.contains_key("...") => {
                match map.get("...") {
                    Some(Value::String(d)) => d.clone(),
                    _ => return Err(SdJwtError::InvalidDigest("\"...\" is not a string")),
                }
            }
            _ => return self.value(item, path, depth + 1).map(Some),
        };
        let Some(i) = self.lookup(&digest)? else {
            return Ok(None);
        };
        let disclosures = self.disclosures;
        let Some(disclosure) = disclosures.get(i) else {
            return Ok(None);
        };
        // §7.1 step 3.3.3.1: an array digest must point at `[salt, value]`.
        if disclosure.name().is_some() {
            return Err(SdJwtError::DisclosureShape(digest));
        }
        let value = self.value(disclosure.value().clone(), path, depth + 1)?;
        self.paths.push((path.clone(), i));
        Ok(Some(value))
    }
}
