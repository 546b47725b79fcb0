//! A parsed `DataIntegrityProof` (Data Integrity §2.1).

use core::fmt;

use serde_json::{Map, Value};

use super::{Cryptosuite, DiError, PROOF_TYPE};
use crate::did::Relationship;
use crate::vc::parse_datetime;

/// A proof purpose (Data Integrity §2.1 `proofPurpose`), each naming the DID
/// verification relationship its method must be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofPurpose {
    /// `assertionMethod`: an issuer's statement (credentials).
    AssertionMethod,
    /// `authentication`: proving control of a DID (presentations).
    Authentication,
    /// `capabilityInvocation`.
    CapabilityInvocation,
    /// `capabilityDelegation`.
    CapabilityDelegation,
}

impl ProofPurpose {
    /// The `proofPurpose` string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.relationship().as_str()
    }

    /// The verification relationship the purpose requires.
    #[must_use]
    pub fn relationship(self) -> Relationship {
        match self {
            Self::AssertionMethod => Relationship::AssertionMethod,
            Self::Authentication => Relationship::Authentication,
            Self::CapabilityInvocation => Relationship::CapabilityInvocation,
            Self::CapabilityDelegation => Relationship::CapabilityDelegation,
        }
    }

    /// Parses a `proofPurpose` value; `None` for any other.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::AssertionMethod,
            Self::Authentication,
            Self::CapabilityInvocation,
            Self::CapabilityDelegation,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for ProofPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `DataIntegrityProof` object, checked: `type`, a supported `cryptosuite`,
/// `verificationMethod`, `proofPurpose`, `proofValue` present; `created` and
/// `expires` RFC 3339; `challenge`, `nonce`, `id` strings; `domain` a string or a
/// non-empty array of strings; no `previousProof`. Every member is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataIntegrityProof {
    map: Map<String, Value>,
    cryptosuite: Cryptosuite,
    purpose: ProofPurpose,
    created: Option<i64>,
    expires: Option<i64>,
}

impl DataIntegrityProof {
    /// Parses a proof object.
    ///
    /// # Errors
    /// [`DiError::UnsupportedProofType`], [`DiError::UnsupportedCryptosuite`],
    /// [`DiError::MissingProofMember`], [`DiError::InvalidProofMember`],
    /// [`DiError::MissingProofValue`], [`DiError::ProofChainUnsupported`].
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, DiError> {
        let str_member = |name: &'static str| -> Result<Option<&str>, DiError> {
            match map.get(name) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(DiError::InvalidProofMember(name)),
            }
        };
        let required = |name: &'static str| -> Result<&str, DiError> {
            str_member(name)?.ok_or(DiError::MissingProofMember(name))
        };
        match str_member("type")? {
            Some(PROOF_TYPE) => {}
            Some(other) => {
                return Err(DiError::UnsupportedProofType(
                    other.chars().take(64).collect(),
                ));
            }
            None => return Err(DiError::MissingProofMember("type")),
        }
        let cryptosuite = Cryptosuite::parse(required("cryptosuite")?)?;
        required("verificationMethod")?;
        let purpose_str = required("proofPurpose")?;
        let purpose =
            ProofPurpose::parse(purpose_str).ok_or(DiError::InvalidProofMember("proofPurpose"))?;
        match map.get("proofValue") {
            None => return Err(DiError::MissingProofValue),
            Some(Value::String(_)) => {}
            Some(_) => return Err(DiError::BadProofValueEncoding),
        }
        if map.contains_key("previousProof") {
            return Err(DiError::ProofChainUnsupported);
        }
        for name in ["challenge", "nonce", "id"] {
            str_member(name)?;
        }
        let date = |name: &'static str| -> Result<Option<i64>, DiError> {
            str_member(name)?
                .map(|s| parse_datetime(s).ok_or(DiError::InvalidProofMember(name)))
                .transpose()
        };
        let created = date("created")?;
        let expires = date("expires")?;
        match map.get("domain") {
            None | Some(Value::String(_)) => {}
            Some(Value::Array(items))
                if !items.is_empty() && items.iter().all(Value::is_string) => {}
            Some(_) => return Err(DiError::InvalidProofMember("domain")),
        }
        Ok(Self {
            map: map.clone(),
            cryptosuite,
            purpose,
            created,
            expires,
        })
    }

    /// The cryptosuite.
    #[must_use]
    pub fn cryptosuite(&self) -> Cryptosuite {
        self.cryptosuite
    }

    /// The proof purpose.
    #[must_use]
    pub fn purpose(&self) -> ProofPurpose {
        self.purpose
    }

    /// `verificationMethod` as written.
    #[must_use]
    pub fn verification_method(&self) -> &str {
        self.str("verificationMethod").unwrap_or_default()
    }

    /// `created` (unix seconds).
    #[must_use]
    pub fn created(&self) -> Option<i64> {
        self.created
    }

    /// `expires` (unix seconds).
    #[must_use]
    pub fn expires(&self) -> Option<i64> {
        self.expires
    }

    /// `challenge`.
    #[must_use]
    pub fn challenge(&self) -> Option<&str> {
        self.str("challenge")
    }

    /// `nonce`.
    #[must_use]
    pub fn nonce(&self) -> Option<&str> {
        self.str("nonce")
    }

    /// `domain` values (a string gives one).
    #[must_use]
    pub fn domain(&self) -> Vec<&str> {
        match self.map.get("domain") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `proofValue`.
    #[must_use]
    pub fn proof_value(&self) -> &str {
        self.str("proofValue").unwrap_or_default()
    }

    /// The proof object as given.
    #[must_use]
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// The proof options: the proof without `proofValue` (the suites' "Verify
    /// Proof" step 2), which is what the proof configuration hashes.
    #[must_use]
    pub fn options(&self) -> Map<String, Value> {
        let mut options = self.map.clone();
        options.remove("proofValue");
        options
    }

    fn str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }
}
