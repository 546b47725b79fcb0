//! A verifiable credential (VC 1.1 §4, VC 2.0 §4) kept as the JSON object it is.

use serde_json::{Map, Value};

use super::datetime::parse_datetime;
use super::{
    VcError, VcVersion, check_bounds, check_context, check_id, check_objects, check_types, id_of,
    object_or_objects, parse_object,
};

/// A credential: the JSON object it was made from, checked once at construction.
///
/// Every member is kept ([`Credential::as_map`]); accessors read it. Checked:
/// `@context` (first item a base context), `type` includes `VerifiableCredential`,
/// `issuer` present (a string, or an object with a string `id`),
/// `credentialSubject` present (an object or a non-empty array of objects), the
/// dates of the version parsed as RFC 3339 (1.1: `issuanceDate` required,
/// `expirationDate`; 2.0: `validFrom`, `validUntil`), `proof` and
/// `credentialStatus` objects or arrays of objects, size and depth bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Credential {
    map: Map<String, Value>,
    version: VcVersion,
    not_before: Option<i64>,
    not_after: Option<i64>,
}

impl Credential {
    /// Parses JSON text (bounded, duplicate member names refused).
    ///
    /// # Errors
    /// [`VcError::Json`] and the errors of [`Credential::from_map`].
    pub fn from_json(json: &str) -> Result<Self, VcError> {
        Self::from_map(parse_object(json)?)
    }

    /// Checks a JSON value.
    ///
    /// # Errors
    /// [`VcError::NotAnObject`] and the errors of [`Credential::from_map`].
    pub fn from_value(value: Value) -> Result<Self, VcError> {
        match value {
            Value::Object(map) => Self::from_map(map),
            _ => Err(VcError::NotAnObject),
        }
    }

    /// Checks a JSON object.
    ///
    /// # Errors
    /// One [`VcError`] variant per failed check (see the type's documentation).
    pub fn from_map(map: Map<String, Value>) -> Result<Self, VcError> {
        check_bounds(&map)?;
        let version = check_context(&map)?;
        check_types(&map, "VerifiableCredential")?;
        check_id(&map)?;
        id_of(map.get("issuer").ok_or(VcError::MissingIssuer)?).ok_or(VcError::InvalidIssuer)?;
        let subjects = object_or_objects(
            map.get("credentialSubject")
                .ok_or(VcError::MissingSubject)?,
        )
        .ok_or(VcError::InvalidSubject)?;
        if subjects.is_empty()
            || subjects
                .iter()
                .any(|s| s.get("id").is_some_and(|id| !id.is_string()))
        {
            return Err(VcError::InvalidSubject);
        }
        check_objects(&map, "proof")?;
        check_objects(&map, "credentialStatus")?;
        let date = |name: &'static str| -> Result<Option<i64>, VcError> {
            match map.get(name) {
                None => Ok(None),
                Some(v) => v
                    .as_str()
                    .and_then(parse_datetime)
                    .map(Some)
                    .ok_or(VcError::InvalidDate(name)),
            }
        };
        let (not_before, not_after) = match version {
            VcVersion::V1_1 => {
                // VC 1.1 §4.6: "A credential MUST have an issuanceDate property."
                let issued = date("issuanceDate")?.ok_or(VcError::MissingDate("issuanceDate"))?;
                (Some(issued), date("expirationDate")?)
            }
            VcVersion::V2_0 => (date("validFrom")?, date("validUntil")?),
        };
        Ok(Self {
            map,
            version,
            not_before,
            not_after,
        })
    }

    super::json_object_accessors!("credential");

    /// Whether `type` includes `t`.
    #[must_use]
    pub fn has_type(&self, t: &str) -> bool {
        self.types().contains(&t)
    }

    /// The credential's `id`, if any.
    #[must_use]
    pub fn id(&self) -> Option<&str> {
        self.map.get("id").and_then(Value::as_str)
    }

    /// The issuer's id (the `issuer` string, or its `id` when it is an object).
    #[must_use]
    pub fn issuer(&self) -> &str {
        self.map.get("issuer").and_then(id_of).unwrap_or_default()
    }

    /// The `issuer` member as given (a string or an object).
    #[must_use]
    pub fn issuer_value(&self) -> Option<&Value> {
        self.map.get("issuer")
    }

    /// The subjects (`credentialSubject` as an object gives one).
    #[must_use]
    pub fn credential_subjects(&self) -> Vec<&Map<String, Value>> {
        self.map
            .get("credentialSubject")
            .and_then(object_or_objects)
            .unwrap_or_default()
    }

    /// The `id`s of the subjects that have one.
    #[must_use]
    pub fn subject_ids(&self) -> Vec<&str> {
        self.credential_subjects()
            .into_iter()
            .filter_map(|s| s.get("id").and_then(Value::as_str))
            .collect()
    }

    /// `validFrom` (VC 2.0 §4.9) in unix seconds; `None` for a 1.1 credential.
    #[must_use]
    pub fn valid_from(&self) -> Option<i64> {
        (self.version == VcVersion::V2_0)
            .then_some(self.not_before)
            .flatten()
    }

    /// `validUntil` (VC 2.0 §4.9) in unix seconds; `None` for a 1.1 credential.
    #[must_use]
    pub fn valid_until(&self) -> Option<i64> {
        (self.version == VcVersion::V2_0)
            .then_some(self.not_after)
            .flatten()
    }

    /// `issuanceDate` (VC 1.1 §4.6) in unix seconds; `None` for a 2.0 credential.
    #[must_use]
    pub fn issuance_date(&self) -> Option<i64> {
        (self.version == VcVersion::V1_1)
            .then_some(self.not_before)
            .flatten()
    }

    /// `expirationDate` (VC 1.1 §4.7) in unix seconds; `None` for a 2.0 credential.
    #[must_use]
    pub fn expiration_date(&self) -> Option<i64> {
        (self.version == VcVersion::V1_1)
            .then_some(self.not_after)
            .flatten()
    }

    /// The start of validity whatever the version (`validFrom` or `issuanceDate`).
    #[must_use]
    pub fn not_before(&self) -> Option<i64> {
        self.not_before
    }

    /// The end of validity whatever the version (`validUntil` or `expirationDate`).
    #[must_use]
    pub fn not_after(&self) -> Option<i64> {
        self.not_after
    }

    /// Checks the validity period against the caller's `now` (unix seconds),
    /// allowing `skew_secs` of clock difference.
    ///
    /// # Errors
    /// [`VcError::NotYetValid`], [`VcError::Expired`].
    pub fn check_validity(&self, now: i64, skew_secs: u32) -> Result<(), VcError> {
        let skew = i64::from(skew_secs);
        if let Some(nb) = self.not_before
            && now.saturating_add(skew) < nb
        {
            return Err(VcError::NotYetValid {
                not_before: nb,
                now,
            });
        }
        if let Some(na) = self.not_after
            && now.saturating_sub(skew) > na
        {
            return Err(VcError::Expired { not_after: na, now });
        }
        Ok(())
    }

    /// The `credentialStatus` entries (VC 2.0 §4.10).
    #[must_use]
    pub fn credential_status(&self) -> Vec<&Map<String, Value>> {
        self.map
            .get("credentialStatus")
            .and_then(object_or_objects)
            .unwrap_or_default()
    }

    /// The embedded proofs (`proof` as an object gives one).
    #[must_use]
    pub fn proofs(&self) -> Vec<&Map<String, Value>> {
        self.map
            .get("proof")
            .and_then(object_or_objects)
            .unwrap_or_default()
    }

    /// A member by name.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }
}

impl TryFrom<Map<String, Value>> for Credential {
    type Error = VcError;
    fn try_from(map: Map<String, Value>) -> Result<Self, VcError> {
        Self::from_map(map)
    }
}

impl serde::Serialize for Credential {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.map.serialize(s)
    }
}
