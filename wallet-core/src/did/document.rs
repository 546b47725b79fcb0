//! DID documents (W3C DID Core 1.0 §5), their verification methods and verification
//! relationships, in the JSON-LD representation with `@context` (§6.3).
//!
//! Serialization is deterministic: every JSON object is built in a
//! `serde_json::Map` (a `BTreeMap`, keys in lexicographic order).

use core::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::jwk::Jwk;
use crate::keys::{Ed25519PublicKey, KeyType, PublicKey, X25519PublicKey};

use super::key::{multikey_decode, multikey_encode};
use super::{Did, DidError, DidUrl};

/// The largest DID document JSON text [`DidDocument::from_json`] parses.
pub const MAX_DOCUMENT_LEN: usize = 64 * 1024;
/// The most verification methods (listed or embedded) a parsed document may hold.
pub const MAX_METHODS: usize = 64;

/// The DID Core v1 context, first in every `@context` (DID Core §6.3.1: "The value
/// of `@context` MUST be exactly `https://www.w3.org/ns/did/v1`" or an ordered set
/// whose first item is that).
pub const DID_CONTEXT_V1: &str = "https://www.w3.org/ns/did/v1";

/// A verification relationship (DID Core §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Relationship {
    /// `authentication` (§5.3.1).
    Authentication,
    /// `assertionMethod` (§5.3.2).
    AssertionMethod,
    /// `keyAgreement` (§5.3.3).
    KeyAgreement,
    /// `capabilityInvocation` (§5.3.4).
    CapabilityInvocation,
    /// `capabilityDelegation` (§5.3.5).
    CapabilityDelegation,
}

impl Relationship {
    /// Every relationship.
    pub const ALL: [Self; 5] = [
        Self::Authentication,
        Self::AssertionMethod,
        Self::KeyAgreement,
        Self::CapabilityInvocation,
        Self::CapabilityDelegation,
    ];

    /// The relationships of a signing key (all but `keyAgreement`).
    pub const SIGNING: [Self; 4] = [
        Self::Authentication,
        Self::AssertionMethod,
        Self::CapabilityInvocation,
        Self::CapabilityDelegation,
    ];

    /// The document property name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authentication => "authentication",
            Self::AssertionMethod => "assertionMethod",
            Self::KeyAgreement => "keyAgreement",
            Self::CapabilityInvocation => "capabilityInvocation",
            Self::CapabilityDelegation => "capabilityDelegation",
        }
    }
}

impl fmt::Display for Relationship {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `type` of a verification method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationMethodType {
    /// `Multikey` (Controlled Identifiers / Data Integrity): `publicKeyMultibase`.
    Multikey,
    /// `JsonWebKey2020`: `publicKeyJwk`.
    JsonWebKey2020,
    /// `Ed25519VerificationKey2020`: `publicKeyMultibase` (multicodec-prefixed).
    Ed25519VerificationKey2020,
    /// `X25519KeyAgreementKey2020`: `publicKeyMultibase` (multicodec-prefixed).
    X25519KeyAgreementKey2020,
    /// `Ed25519VerificationKey2018`: `publicKeyBase58` (raw key bytes).
    Ed25519VerificationKey2018,
    /// `X25519KeyAgreementKey2019`: `publicKeyBase58` (raw key bytes).
    X25519KeyAgreementKey2019,
}

impl VerificationMethodType {
    /// The `type` string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Multikey => "Multikey",
            Self::JsonWebKey2020 => "JsonWebKey2020",
            Self::Ed25519VerificationKey2020 => "Ed25519VerificationKey2020",
            Self::X25519KeyAgreementKey2020 => "X25519KeyAgreementKey2020",
            Self::Ed25519VerificationKey2018 => "Ed25519VerificationKey2018",
            Self::X25519KeyAgreementKey2019 => "X25519KeyAgreementKey2019",
        }
    }

    /// Parses a `type` string.
    ///
    /// # Errors
    /// [`DidError::UnsupportedVerificationMethodType`].
    pub fn parse(s: &str) -> Result<Self, DidError> {
        Ok(match s {
            "Multikey" => Self::Multikey,
            "JsonWebKey2020" => Self::JsonWebKey2020,
            "Ed25519VerificationKey2020" => Self::Ed25519VerificationKey2020,
            "X25519KeyAgreementKey2020" => Self::X25519KeyAgreementKey2020,
            "Ed25519VerificationKey2018" => Self::Ed25519VerificationKey2018,
            "X25519KeyAgreementKey2019" => Self::X25519KeyAgreementKey2019,
            other => {
                return Err(DidError::UnsupportedVerificationMethodType(truncated(
                    other,
                )));
            }
        })
    }

    /// The JSON-LD context that defines this type.
    #[must_use]
    pub fn context(self) -> &'static str {
        match self {
            Self::Multikey => "https://w3id.org/security/multikey/v1",
            Self::JsonWebKey2020 => "https://w3id.org/security/suites/jws-2020/v1",
            Self::Ed25519VerificationKey2020 => "https://w3id.org/security/suites/ed25519-2020/v1",
            Self::X25519KeyAgreementKey2020 => "https://w3id.org/security/suites/x25519-2020/v1",
            Self::Ed25519VerificationKey2018 => "https://w3id.org/security/suites/ed25519-2018/v1",
            Self::X25519KeyAgreementKey2019 => "https://w3id.org/security/suites/x25519-2019/v1",
        }
    }
}

impl fmt::Display for VerificationMethodType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which verification method representation a generated document uses
/// (the did:key v0.7 `publicKeyFormat` option).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum VerificationMethodFormat {
    /// `Multikey` with `publicKeyMultibase` (the default).
    #[default]
    Multikey,
    /// `JsonWebKey2020` with `publicKeyJwk`.
    JsonWebKey2020,
    /// `Ed25519VerificationKey2020` / `X25519KeyAgreementKey2020` with
    /// `publicKeyMultibase` (Ed25519 and X25519 only).
    Suite2020,
    /// `Ed25519VerificationKey2018` / `X25519KeyAgreementKey2019` with
    /// `publicKeyBase58` (Ed25519 and X25519 only; the form of the did:key test vectors).
    Suite2018,
}

impl fmt::Display for VerificationMethodFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Multikey => "Multikey",
            Self::JsonWebKey2020 => "JsonWebKey2020",
            Self::Suite2020 => "Ed25519VerificationKey2020/X25519KeyAgreementKey2020",
            Self::Suite2018 => "Ed25519VerificationKey2018/X25519KeyAgreementKey2019",
        })
    }
}

/// A verification method (DID Core §5.2): its id, type, controller and the validated
/// public key. The key is checked when the method is built or parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMethod {
    id: DidUrl,
    method_type: VerificationMethodType,
    controller: Did,
    public_key: PublicKey,
    /// The JWK as given, for `JsonWebKey2020` (keeps `use`, `kid`, `alg`, ...).
    jwk: Option<Jwk>,
}

impl VerificationMethod {
    /// A method for `key` in the representation `format`.
    ///
    /// # Errors
    /// [`DidError::UnsupportedFormat`] when `format` cannot represent the key type.
    pub fn for_key(
        id: DidUrl,
        controller: Did,
        key: PublicKey,
        format: VerificationMethodFormat,
    ) -> Result<Self, DidError> {
        use VerificationMethodFormat as F;
        use VerificationMethodType as T;
        let kt = key.key_type();
        let method_type = match (format, kt) {
            (F::Multikey, KeyType::Ed25519 | KeyType::X25519 | KeyType::P256) => T::Multikey,
            (F::JsonWebKey2020, _) => T::JsonWebKey2020,
            (F::Suite2020, KeyType::Ed25519) => T::Ed25519VerificationKey2020,
            (F::Suite2020, KeyType::X25519) => T::X25519KeyAgreementKey2020,
            (F::Suite2018, KeyType::Ed25519) => T::Ed25519VerificationKey2018,
            (F::Suite2018, KeyType::X25519) => T::X25519KeyAgreementKey2019,
            _ => {
                return Err(DidError::UnsupportedFormat {
                    key_type: kt,
                    format,
                });
            }
        };
        let jwk = (method_type == T::JsonWebKey2020).then(|| Jwk::from_public_key(&key));
        Ok(Self {
            id,
            method_type,
            controller,
            public_key: key,
            jwk,
        })
    }

    /// A `JsonWebKey2020` method holding `jwk` as given (its `use`, `kid`, ... kept).
    ///
    /// # Errors
    /// [`DidError::PrivateKeyInJwk`] for a JWK with private members,
    /// [`DidError::InvalidJwk`] for one that is not a valid public key.
    pub fn from_jwk(id: DidUrl, controller: Did, jwk: Jwk) -> Result<Self, DidError> {
        reject_private(&jwk)?;
        let public_key = jwk.to_public_key().map_err(DidError::InvalidJwk)?;
        Ok(Self {
            id,
            method_type: VerificationMethodType::JsonWebKey2020,
            controller,
            public_key,
            jwk: Some(jwk),
        })
    }

    /// The method's id (an absolute DID URL).
    #[must_use]
    pub fn id(&self) -> &DidUrl {
        &self.id
    }

    /// The method's type.
    #[must_use]
    pub fn method_type(&self) -> VerificationMethodType {
        self.method_type
    }

    /// The controller DID.
    #[must_use]
    pub fn controller(&self) -> &Did {
        &self.controller
    }

    /// The validated public key.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The `publicKeyJwk` of a `JsonWebKey2020` method.
    #[must_use]
    pub fn jwk(&self) -> Option<&Jwk> {
        self.jwk.as_ref()
    }

    /// The JSON object of this method (keys in lexicographic order).
    ///
    /// # Errors
    /// [`DidError::UnsupportedKeyType`] if the key cannot be multibase-encoded
    /// (only reachable for RSA in a `Multikey`, which construction prevents).
    pub fn to_json_value(&self) -> Result<Value, DidError> {
        use VerificationMethodType as T;
        let mut m = Map::new();
        m.insert("id".into(), Value::String(self.id.to_string()));
        m.insert(
            "type".into(),
            Value::String(self.method_type.as_str().into()),
        );
        m.insert(
            "controller".into(),
            Value::String(self.controller.to_string()),
        );
        match self.method_type {
            T::Multikey | T::Ed25519VerificationKey2020 | T::X25519KeyAgreementKey2020 => {
                m.insert(
                    "publicKeyMultibase".into(),
                    Value::String(multikey_encode(&self.public_key)?),
                );
            }
            T::JsonWebKey2020 => {
                let jwk = self
                    .jwk
                    .clone()
                    .unwrap_or_else(|| Jwk::from_public_key(&self.public_key));
                let v = serde_json::to_value(jwk.to_public())
                    .map_err(|e| DidError::InvalidDocument(e.to_string()))?;
                m.insert("publicKeyJwk".into(), v);
            }
            T::Ed25519VerificationKey2018 | T::X25519KeyAgreementKey2019 => {
                let raw: Vec<u8> = match &self.public_key {
                    PublicKey::Ed25519(k) => k.to_bytes().to_vec(),
                    PublicKey::X25519(k) => k.to_bytes().to_vec(),
                    other => return Err(DidError::UnsupportedKeyType(other.key_type())),
                };
                m.insert(
                    "publicKeyBase58".into(),
                    Value::String(bs58::encode(raw).into_string()),
                );
            }
        }
        Ok(Value::Object(m))
    }

    /// Parses a verification method object; a relative `id` is resolved against `base`.
    ///
    /// # Errors
    /// [`DidError::InvalidDocument`] for a missing or mistyped member,
    /// [`DidError::UnsupportedVerificationMethodType`], [`DidError::MissingKeyMaterial`],
    /// [`DidError::KeyTypeMismatch`], and the key decoding errors.
    pub fn from_json_value(value: &Value, base: &Did) -> Result<Self, DidError> {
        use VerificationMethodType as T;
        let obj = value.as_object().ok_or_else(|| {
            DidError::InvalidDocument("verification method is not an object".into())
        })?;
        let id = DidUrl::parse_relative(str_member(obj, "id")?, base)?;
        let method_type = VerificationMethodType::parse(str_member(obj, "type")?)?;
        let controller = Did::parse(str_member(obj, "controller")?)?;
        let material = |name: &'static str| obj.get(name).ok_or(DidError::MissingKeyMaterial(name));
        let (public_key, jwk) = match method_type {
            T::Multikey | T::Ed25519VerificationKey2020 | T::X25519KeyAgreementKey2020 => {
                let mb = material("publicKeyMultibase")?
                    .as_str()
                    .ok_or(DidError::MissingKeyMaterial("publicKeyMultibase"))?;
                (multikey_decode(mb)?, None)
            }
            T::JsonWebKey2020 => {
                let jwk: Jwk =
                    serde_json::from_value(material("publicKeyJwk")?.clone()).map_err(|e| {
                        DidError::InvalidJwk(crate::jwk::JwkError::Malformed(e.to_string()))
                    })?;
                reject_private(&jwk)?;
                (
                    jwk.to_public_key().map_err(DidError::InvalidJwk)?,
                    Some(jwk),
                )
            }
            T::Ed25519VerificationKey2018 | T::X25519KeyAgreementKey2019 => {
                let b58 = material("publicKeyBase58")?
                    .as_str()
                    .ok_or(DidError::MissingKeyMaterial("publicKeyBase58"))?;
                if b58.len() > 64 {
                    return Err(DidError::InvalidBase58);
                }
                let raw = bs58::decode(b58)
                    .into_vec()
                    .map_err(|_| DidError::InvalidBase58)?;
                let key = if method_type == T::Ed25519VerificationKey2018 {
                    PublicKey::Ed25519(Ed25519PublicKey::from_bytes(&raw)?)
                } else {
                    PublicKey::X25519(X25519PublicKey::from_bytes(&raw)?)
                };
                (key, None)
            }
        };
        let expected = match method_type {
            T::Ed25519VerificationKey2020 | T::Ed25519VerificationKey2018 => Some(KeyType::Ed25519),
            T::X25519KeyAgreementKey2020 | T::X25519KeyAgreementKey2019 => Some(KeyType::X25519),
            T::Multikey | T::JsonWebKey2020 => None,
        };
        if let Some(kt) = expected
            && public_key.key_type() != kt
        {
            return Err(DidError::KeyTypeMismatch {
                method_type,
                key_type: public_key.key_type(),
            });
        }
        Ok(Self {
            id,
            method_type,
            controller,
            public_key,
            jwk,
        })
    }
}

/// did:jwk: "a JWK for a private key must never be used and must be rejected by all
/// implementations when encountered"; the same holds for any document.
pub(super) fn reject_private(jwk: &Jwk) -> Result<(), DidError> {
    if jwk.d.is_some()
        || jwk.p.is_some()
        || jwk.q.is_some()
        || jwk.dp.is_some()
        || jwk.dq.is_some()
        || jwk.qi.is_some()
    {
        return Err(DidError::PrivateKeyInJwk);
    }
    Ok(())
}

fn str_member<'a>(obj: &'a Map<String, Value>, name: &str) -> Result<&'a str, DidError> {
    obj.get(name).and_then(Value::as_str).ok_or_else(|| {
        DidError::InvalidDocument(format!("member {name:?} missing or not a string"))
    })
}

/// Error strings echo at most this much of untrusted input.
fn truncated(s: &str) -> String {
    s.chars().take(64).collect()
}

/// An entry of a verification relationship: a reference to a method, or a method
/// embedded in the relationship (DID Core §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationReference {
    /// A DID URL naming a method (serialized as an absolute DID URL string).
    Reference(DidUrl),
    /// A method that exists only inside this relationship.
    Embedded(Box<VerificationMethod>),
}

impl VerificationReference {
    /// The id of the method this entry names or holds.
    #[must_use]
    pub fn id(&self) -> &DidUrl {
        match self {
            Self::Reference(id) => id,
            Self::Embedded(m) => m.id(),
        }
    }
}

/// A DID document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidDocument {
    context: Vec<Value>,
    id: Did,
    verification_method: Vec<VerificationMethod>,
    relationships: Vec<(Relationship, Vec<VerificationReference>)>,
    /// Other properties (`controller`, `service`, `alsoKnownAs`, ...), kept as given.
    other: Map<String, Value>,
}

impl DidDocument {
    /// An empty document for `id` with the DID Core v1 context.
    #[must_use]
    pub fn new(id: Did) -> Self {
        Self {
            context: vec![Value::String(DID_CONTEXT_V1.into())],
            id,
            verification_method: Vec::new(),
            relationships: Relationship::ALL.iter().map(|r| (*r, Vec::new())).collect(),
            other: Map::new(),
        }
    }

    /// The DID this document describes.
    #[must_use]
    pub fn id(&self) -> &Did {
        &self.id
    }

    /// The `@context` entries: empty only for a document read from the plain JSON
    /// representation (DID Core §6.2) that had none, such as a `did:web` document
    /// parsed by [`super::web::parse_document`].
    #[must_use]
    pub fn context(&self) -> &[Value] {
        &self.context
    }

    /// The `verificationMethod` list.
    #[must_use]
    pub fn verification_methods(&self) -> &[VerificationMethod] {
        &self.verification_method
    }

    /// The entries of one relationship.
    #[must_use]
    pub fn relationship(&self, rel: Relationship) -> &[VerificationReference] {
        self.relationships
            .iter()
            .find(|(r, _)| *r == rel)
            .map(|(_, v)| v.as_slice())
            .unwrap_or_default()
    }

    /// Properties other than `@context`, `id`, `verificationMethod` and the five
    /// relationships.
    #[must_use]
    pub fn other_properties(&self) -> &Map<String, Value> {
        &self.other
    }

    /// Appends a verification method.
    pub fn add_method(&mut self, method: VerificationMethod) {
        self.verification_method.push(method);
    }

    /// Adds a reference to a method to a relationship.
    pub fn add_reference(&mut self, rel: Relationship, id: DidUrl) {
        self.push_entry(rel, VerificationReference::Reference(id));
    }

    fn push_entry(&mut self, rel: Relationship, entry: VerificationReference) {
        if let Some((_, v)) = self.relationships.iter_mut().find(|(r, _)| *r == rel) {
            v.push(entry);
        } else {
            self.relationships.push((rel, vec![entry]));
        }
    }

    /// Sets `@context` to the DID Core v1 context followed by the context of each
    /// verification method type used, in order of first use.
    pub fn set_context_from_methods(&mut self) {
        let mut context = vec![Value::String(DID_CONTEXT_V1.into())];
        let embedded = self
            .relationships
            .iter()
            .flat_map(|(_, v)| v)
            .filter_map(|e| match e {
                VerificationReference::Embedded(m) => Some(m.as_ref()),
                VerificationReference::Reference(_) => None,
            });
        for m in self.verification_method.iter().chain(embedded) {
            let c = Value::String(m.method_type().context().into());
            if !context.contains(&c) {
                context.push(c);
            }
        }
        self.context = context;
    }

    /// Finds the verification method `url` names, listed in `verificationMethod` or
    /// embedded in a relationship (DID Core §7.2 dereferencing of a fragment).
    ///
    /// # Errors
    /// [`DidError::VerificationMethodNotFound`].
    pub fn dereference(&self, url: &DidUrl) -> Result<&VerificationMethod, DidError> {
        let embedded = self
            .relationships
            .iter()
            .flat_map(|(_, v)| v)
            .filter_map(|e| match e {
                VerificationReference::Embedded(m) => Some(m.as_ref()),
                VerificationReference::Reference(_) => None,
            });
        self.verification_method
            .iter()
            .chain(embedded)
            .find(|m| m.id() == url)
            .ok_or_else(|| DidError::VerificationMethodNotFound(url.to_string()))
    }

    /// The relationships whose entries name the method `id`.
    #[must_use]
    pub fn relationships_of(&self, id: &DidUrl) -> Vec<Relationship> {
        self.relationships
            .iter()
            .filter(|(_, entries)| entries.iter().any(|e| e.id() == id))
            .map(|(r, _)| *r)
            .collect()
    }

    /// The JSON form (JSON-LD with `@context`), keys in lexicographic order;
    /// empty relationships are left out.
    ///
    /// # Errors
    /// Only if a method cannot be encoded (see [`VerificationMethod::to_json_value`]).
    pub fn to_json_value(&self) -> Result<Value, DidError> {
        let mut m = Map::new();
        // Only a plain-JSON document that had no `@context` has an empty one; writing
        // `"@context": []` would not be valid JSON-LD (DID Core §6.3.1).
        if !self.context.is_empty() {
            m.insert("@context".into(), Value::Array(self.context.clone()));
        }
        m.insert("id".into(), Value::String(self.id.to_string()));
        if !self.verification_method.is_empty() {
            let methods = self
                .verification_method
                .iter()
                .map(VerificationMethod::to_json_value)
                .collect::<Result<Vec<_>, _>>()?;
            m.insert("verificationMethod".into(), Value::Array(methods));
        }
        for (rel, entries) in &self.relationships {
            if entries.is_empty() {
                continue;
            }
            let values = entries
                .iter()
                .map(|e| match e {
                    VerificationReference::Reference(id) => Ok(Value::String(id.to_string())),
                    VerificationReference::Embedded(vm) => vm.to_json_value(),
                })
                .collect::<Result<Vec<_>, DidError>>()?;
            m.insert(rel.as_str().into(), Value::Array(values));
        }
        for (k, v) in &self.other {
            m.insert(k.clone(), v.clone());
        }
        Ok(Value::Object(m))
    }

    /// The JSON text (deterministic).
    ///
    /// # Errors
    /// As [`DidDocument::to_json_value`].
    pub fn to_json(&self) -> Result<String, DidError> {
        Ok(self.to_json_value()?.to_string())
    }

    /// Parses a DID document of at most [`MAX_DOCUMENT_LEN`] bytes.
    ///
    /// # Errors
    /// [`DidError::TooLong`], [`DidError::InvalidDocument`] and the errors of
    /// [`DidDocument::from_json_value`].
    pub fn from_json(json: &str) -> Result<Self, DidError> {
        if json.len() > MAX_DOCUMENT_LEN {
            return Err(DidError::TooLong {
                max: MAX_DOCUMENT_LEN,
            });
        }
        let value: Value =
            serde_json::from_str(json).map_err(|e| DidError::InvalidDocument(e.to_string()))?;
        Self::from_json_value(&value)
    }

    /// Parses a DID document from JSON. Relative method ids and references
    /// (`#key-1`) are resolved against the document's `id`.
    ///
    /// # Errors
    /// [`DidError::InvalidDocument`] for a structural problem, and the errors of
    /// [`VerificationMethod::from_json_value`].
    pub fn from_json_value(value: &Value) -> Result<Self, DidError> {
        Self::parse_value(value, ContextRule::Required)
    }

    /// As [`DidDocument::from_json_value`], but for the plain JSON representation
    /// (`application/did+json`, DID Core §6.2), where `@context` is optional: a
    /// document without one gets an empty [`DidDocument::context`]. A `@context` that
    /// is present must still start with [`DID_CONTEXT_V1`].
    pub(super) fn from_plain_json_value(value: &Value) -> Result<Self, DidError> {
        Self::parse_value(value, ContextRule::Optional)
    }

    fn parse_value(value: &Value, context_rule: ContextRule) -> Result<Self, DidError> {
        let obj = value
            .as_object()
            .ok_or_else(|| DidError::InvalidDocument("not a JSON object".into()))?;
        let id = Did::parse(str_member(obj, "id")?)?;
        let mut doc = Self::new(id.clone());
        doc.context = match (obj.get("@context"), context_rule) {
            (Some(Value::Array(items)), _) => items.clone(),
            (Some(s @ Value::String(_)), _) => vec![s.clone()],
            (None, ContextRule::Optional) => Vec::new(),
            _ => {
                return Err(DidError::InvalidDocument(
                    "@context missing or invalid".into(),
                ));
            }
        };
        // A `@context` that is present, even in plain JSON, must be valid JSON-LD.
        if obj.contains_key("@context")
            && doc.context.first().and_then(Value::as_str) != Some(DID_CONTEXT_V1)
        {
            return Err(DidError::InvalidDocument(
                "the first @context must be https://www.w3.org/ns/did/v1".into(),
            ));
        }
        let mut count = 0usize;
        let mut bump = || {
            count += 1;
            if count > MAX_METHODS {
                Err(DidError::InvalidDocument(
                    "too many verification methods".into(),
                ))
            } else {
                Ok(())
            }
        };
        if let Some(v) = obj.get("verificationMethod") {
            let items = v.as_array().ok_or_else(|| {
                DidError::InvalidDocument("verificationMethod is not an array".into())
            })?;
            for item in items {
                bump()?;
                doc.add_method(VerificationMethod::from_json_value(item, &id)?);
            }
        }
        for rel in Relationship::ALL {
            let Some(v) = obj.get(rel.as_str()) else {
                continue;
            };
            let items = v
                .as_array()
                .ok_or_else(|| DidError::InvalidDocument(format!("{rel} is not an array")))?;
            for item in items {
                bump()?;
                let entry = match item {
                    Value::String(s) => {
                        VerificationReference::Reference(DidUrl::parse_relative(s, &id)?)
                    }
                    Value::Object(_) => VerificationReference::Embedded(Box::new(
                        VerificationMethod::from_json_value(item, &id)?,
                    )),
                    _ => {
                        return Err(DidError::InvalidDocument(format!(
                            "{rel} entry is neither a string nor an object"
                        )));
                    }
                };
                doc.push_entry(rel, entry);
            }
        }
        for (k, v) in obj {
            let known = matches!(k.as_str(), "@context" | "id" | "verificationMethod")
                || Relationship::ALL.iter().any(|r| r.as_str() == k);
            if !known {
                doc.other.insert(k.clone(), v.clone());
            }
        }
        Ok(doc)
    }
}

/// Whether a parsed document must carry `@context` (JSON-LD, DID Core §6.3) or may
/// leave it out (plain JSON, DID Core §6.2).
#[derive(Clone, Copy)]
enum ContextRule {
    Required,
    Optional,
}

impl Serialize for DidDocument {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json_value()
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for DidDocument {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        Self::from_json_value(&value).map_err(serde::de::Error::custom)
    }
}
