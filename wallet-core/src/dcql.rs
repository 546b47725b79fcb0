//! The Digital Credentials Query Language of OpenID for Verifiable Presentations
//! 1.0 (§6 "Digital Credentials Query Language (DCQL)", §7 "Claims Path Pointer"):
//! query types with the spec's validation rules, the wallet side ([`select`]) and
//! the verifier side ([`verify_response`]).
//!
//! Like [`crate::pex`], the engine works on [`CandidateCredential`]s. Claims paths
//! are evaluated with the JSON semantics of §7.1 (for `mso_mdoc` the caller maps
//! the mdoc to `{namespace: {element: value}}`, which gives the same result as
//! §7.2 for two-element paths). `trusted_authorities` is parsed and validated but
//! not evaluated (it needs the issuer's certificate chain, which the candidate
//! abstraction does not carry); the spec makes honouring it a SHOULD and requires
//! verifiers to check trust on their own anyway.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

pub use crate::pex::CandidateCredential;

/// Largest accepted query, in bytes of JSON.
pub const MAX_QUERY_BYTES: usize = 64 * 1024;
/// Most Credential Queries in `credentials`.
pub const MAX_CREDENTIAL_QUERIES: usize = 64;
/// Most Claims Queries per Credential Query.
pub const MAX_CLAIMS: usize = 64;
/// Most `claim_sets` / `credential_sets` / `options` entries, and ids per option.
pub const MAX_SETS: usize = 64;
/// Most components in a claims path pointer.
pub const MAX_PATH_LEN: usize = 16;
/// Most entries in `values`, `vct_values`, `type_values`.
pub const MAX_VALUES: usize = 64;
/// Most elements one claims path pointer may select.
pub const MAX_SELECTED: usize = 1024;

/// A DCQL failure. Each check has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcqlError {
    /// The JSON is larger than [`MAX_QUERY_BYTES`].
    #[error("DCQL query larger than {MAX_QUERY_BYTES} bytes")]
    TooLarge,
    /// The JSON does not have the shape of a DCQL query.
    #[error("malformed DCQL query: {0}")]
    Malformed(String),
    /// `credentials` is empty (§6: "a non-empty array").
    #[error("`credentials` is empty")]
    NoCredentialQueries,
    /// More than [`MAX_CREDENTIAL_QUERIES`].
    #[error("more than {MAX_CREDENTIAL_QUERIES} credential queries")]
    TooManyCredentialQueries,
    /// An id is empty or has a character other than alphanumerics, `_` and `-`.
    #[error("invalid id `{0}`")]
    InvalidId(String),
    /// Two Credential Queries share an id.
    #[error("duplicate credential query id `{0}`")]
    DuplicateCredentialId(String),
    /// `format` is empty.
    #[error("credential query `{0}` has an empty format")]
    EmptyFormat(String),
    /// `meta` is missing (§6.1: REQUIRED) or malformed.
    #[error("credential query `{query}`: invalid meta: {reason}")]
    InvalidMeta {
        /// The Credential Query.
        query: String,
        /// Why.
        reason: &'static str,
    },
    /// `claims` is present but empty, or has more than [`MAX_CLAIMS`].
    #[error("credential query `{0}`: claims empty or too many")]
    BadClaimsCount(String),
    /// Two Claims Queries share an id.
    #[error("credential query `{query}`: duplicate claim id `{claim}`")]
    DuplicateClaimId {
        /// The Credential Query.
        query: String,
        /// The claim id.
        claim: String,
    },
    /// A claims path pointer is empty, too long or has a bad component.
    #[error("credential query `{0}`: invalid claims path pointer")]
    InvalidPath(String),
    /// `values` is empty, too long, or holds something other than strings,
    /// integers and booleans.
    #[error("credential query `{0}`: invalid values")]
    InvalidValues(String),
    /// `claim_sets` without `claims` (§6.4.1: MUST NOT), or a claim without id.
    #[error("credential query `{0}`: claim_sets needs claims with ids")]
    ClaimSetsWithoutClaimIds(String),
    /// `claim_sets` or one of its options is empty or too large.
    #[error("credential query `{0}`: empty or too large claim_sets")]
    BadClaimSets(String),
    /// A claim set names an unknown claim id.
    #[error("credential query `{query}`: claim set refers to unknown claim `{claim}`")]
    UnknownClaimId {
        /// The Credential Query.
        query: String,
        /// The claim id.
        claim: String,
    },
    /// `trusted_authorities` malformed (empty, or an entry without type/values).
    #[error("credential query `{0}`: invalid trusted_authorities")]
    InvalidTrustedAuthorities(String),
    /// `credential_sets` or an `options` entry is empty or too large.
    #[error("empty or too large credential_sets")]
    BadCredentialSets,
    /// A credential set option names an unknown Credential Query.
    #[error("credential set refers to unknown credential query `{0}`")]
    UnknownCredentialQuery(String),
    /// A claims path pointer selected more than [`MAX_SELECTED`] elements.
    #[error("claims path pointer selects too many elements")]
    TooManySelected,
    /// The response has an entry for an id not in the query.
    #[error("response entry `{0}` matches no credential query")]
    UnexpectedResponseEntry(String),
    /// A response entry is an empty array (§8.1: "one or more Presentations").
    #[error("response entry `{0}` is empty")]
    EmptyResponseEntry(String),
    /// Several presentations for a query without `multiple: true`.
    #[error("credential query `{0}` does not allow multiple credentials")]
    MultipleNotAllowed(String),
    /// A presented credential has another format than its query.
    #[error("credential for `{0}` has the wrong format")]
    FormatMismatch(String),
    /// A presented credential does not meet the query's `meta`.
    #[error("credential for `{0}` does not match meta")]
    MetaMismatch(String),
    /// A presented credential satisfies none of the claim combinations.
    #[error("credential for `{0}` lacks requested claims")]
    ClaimsNotSatisfied(String),
    /// A required credential set (or, without sets, a query) is not answered.
    #[error("required credentials not presented: {0}")]
    RequiredCredentialsMissing(String),
}

/// One component of a claims path pointer (§7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElement {
    /// A string: the key of an object.
    Key(String),
    /// A non-negative integer: an array index.
    Index(u64),
    /// `null`: every element of the selected array(s).
    All,
}

impl<'de> Deserialize<'de> for PathElement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(s) => Ok(Self::Key(s)),
            Value::Null => Ok(Self::All),
            Value::Number(n) => n.as_u64().map(Self::Index).ok_or_else(|| {
                serde::de::Error::custom("path index must be a non-negative integer")
            }),
            _ => Err(serde::de::Error::custom(
                "path components are strings, null or non-negative integers",
            )),
        }
    }
}

impl Serialize for PathElement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Key(k) => s.serialize_str(k),
            Self::Index(i) => s.serialize_u64(*i),
            Self::All => s.serialize_none(),
        }
    }
}

/// A Claims Query (§6.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimsQuery {
    /// Id, required when the Credential Query has `claim_sets`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Claims path pointer.
    pub path: Vec<PathElement>,
    /// Accepted values (strings, integers, booleans).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
    /// mdoc `intent_to_retain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_to_retain: Option<bool>,
}

/// A Trusted Authorities Query (§6.1.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustedAuthoritiesQuery {
    /// `aki`, `etsi_tl`, `openid_federation`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Non-empty values.
    pub values: Vec<String>,
}

/// A Credential Query (§6.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialQuery {
    /// Id, unique in the query.
    pub id: String,
    /// Credential Format Identifier.
    pub format: String,
    /// Whether several credentials may answer.
    #[serde(default)]
    pub multiple: bool,
    /// Format-specific metadata constraints (REQUIRED, may be empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Map<String, Value>>,
    /// Trusted authorities (validated, not evaluated: module doc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trusted_authorities: Option<Vec<TrustedAuthoritiesQuery>>,
    /// Defaults to `true`.
    #[serde(default = "default_true")]
    pub require_cryptographic_holder_binding: bool,
    /// Requested claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimsQuery>>,
    /// Acceptable claim combinations, most preferred first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_sets: Option<Vec<Vec<String>>>,
}

fn default_true() -> bool {
    true
}

/// A Credential Set Query (§6.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialSetQuery {
    /// Alternatives, each a list of Credential Query ids.
    pub options: Vec<Vec<String>>,
    /// Defaults to `true`.
    #[serde(default = "default_true")]
    pub required: bool,
}

/// A DCQL query (§6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DcqlQuery {
    /// Credential Queries.
    pub credentials: Vec<CredentialQuery>,
    /// Credential Set Queries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_sets: Option<Vec<CredentialSetQuery>>,
}

fn valid_id(id: &str) -> bool {
    // §6.1 / §6.3: non-empty, alphanumeric, underscore or hyphen.
    !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn string_list(v: &Value) -> Option<Vec<&str>> {
    let a = v.as_array()?;
    if a.is_empty() || a.len() > MAX_VALUES {
        return None;
    }
    a.iter().map(Value::as_str).collect()
}

impl DcqlQuery {
    /// Parses and validates an untrusted query.
    pub fn parse(json: &str) -> Result<Self, DcqlError> {
        if json.len() > MAX_QUERY_BYTES {
            return Err(DcqlError::TooLarge);
        }
        let q: Self =
            serde_json::from_str(json).map_err(|e| DcqlError::Malformed(e.to_string()))?;
        q.validate()?;
        Ok(q)
    }

    /// Checks the spec's rules and this implementation's bounds.
    pub fn validate(&self) -> Result<(), DcqlError> {
        if self.credentials.is_empty() {
            return Err(DcqlError::NoCredentialQueries);
        }
        if self.credentials.len() > MAX_CREDENTIAL_QUERIES {
            return Err(DcqlError::TooManyCredentialQueries);
        }
        let mut ids = BTreeSet::new();
        for c in &self.credentials {
            if !valid_id(&c.id) {
                return Err(DcqlError::InvalidId(c.id.clone()));
            }
            if !ids.insert(c.id.as_str()) {
                return Err(DcqlError::DuplicateCredentialId(c.id.clone()));
            }
            c.validate()?;
        }
        if let Some(sets) = &self.credential_sets {
            if sets.is_empty() || sets.len() > MAX_SETS {
                return Err(DcqlError::BadCredentialSets);
            }
            for s in sets {
                if s.options.is_empty() || s.options.len() > MAX_SETS {
                    return Err(DcqlError::BadCredentialSets);
                }
                for o in &s.options {
                    if o.is_empty() || o.len() > MAX_SETS {
                        return Err(DcqlError::BadCredentialSets);
                    }
                    if let Some(bad) = o.iter().find(|id| !ids.contains(id.as_str())) {
                        return Err(DcqlError::UnknownCredentialQuery(bad.clone()));
                    }
                }
            }
        }
        Ok(())
    }

    fn query(&self, id: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.id == id)
    }
}

impl CredentialQuery {
    fn validate(&self) -> Result<(), DcqlError> {
        let q = || self.id.clone();
        if self.format.is_empty() {
            return Err(DcqlError::EmptyFormat(q()));
        }
        let meta = self.meta.as_ref().ok_or(DcqlError::InvalidMeta {
            query: q(),
            reason: "meta is required",
        })?;
        if let Some(v) = meta.get("vct_values")
            && string_list(v).is_none()
        {
            return Err(DcqlError::InvalidMeta {
                query: q(),
                reason: "vct_values must be a non-empty array of strings",
            });
        }
        if let Some(v) = meta.get("type_values") {
            let ok = v.as_array().is_some_and(|outer| {
                !outer.is_empty()
                    && outer.len() <= MAX_VALUES
                    && outer.iter().all(|inner| string_list(inner).is_some())
            });
            if !ok {
                return Err(DcqlError::InvalidMeta {
                    query: q(),
                    reason: "type_values must be a non-empty array of non-empty string arrays",
                });
            }
        }
        if let Some(v) = meta.get("doctype_value")
            && !v.is_string()
        {
            return Err(DcqlError::InvalidMeta {
                query: q(),
                reason: "doctype_value must be a string",
            });
        }
        if let Some(ta) = &self.trusted_authorities
            && (ta.is_empty()
                || ta.len() > MAX_VALUES
                || ta.iter().any(|t| {
                    t.kind.is_empty() || t.values.is_empty() || t.values.len() > MAX_VALUES
                }))
        {
            return Err(DcqlError::InvalidTrustedAuthorities(q()));
        }
        let mut claim_ids = BTreeSet::new();
        if let Some(claims) = &self.claims {
            if claims.is_empty() || claims.len() > MAX_CLAIMS {
                return Err(DcqlError::BadClaimsCount(q()));
            }
            for c in claims {
                if let Some(id) = &c.id {
                    if !valid_id(id) {
                        return Err(DcqlError::InvalidId(id.clone()));
                    }
                    if !claim_ids.insert(id.as_str()) {
                        return Err(DcqlError::DuplicateClaimId {
                            query: q(),
                            claim: id.clone(),
                        });
                    }
                }
                if c.path.is_empty() || c.path.len() > MAX_PATH_LEN {
                    return Err(DcqlError::InvalidPath(q()));
                }
                if let Some(values) = &c.values {
                    // §6.3: "A non-empty array of strings, integers or boolean values".
                    let ok = !values.is_empty()
                        && values.len() <= MAX_VALUES
                        && values
                            .iter()
                            .all(|v| v.is_string() || v.is_boolean() || v.is_i64() || v.is_u64());
                    if !ok {
                        return Err(DcqlError::InvalidValues(q()));
                    }
                }
            }
        }
        if let Some(sets) = &self.claim_sets {
            let Some(claims) = &self.claims else {
                return Err(DcqlError::ClaimSetsWithoutClaimIds(q()));
            };
            if claims.iter().any(|c| c.id.is_none()) {
                return Err(DcqlError::ClaimSetsWithoutClaimIds(q()));
            }
            if sets.is_empty() || sets.len() > MAX_SETS {
                return Err(DcqlError::BadClaimSets(q()));
            }
            for s in sets {
                if s.is_empty() || s.len() > MAX_CLAIMS {
                    return Err(DcqlError::BadClaimSets(q()));
                }
                if let Some(bad) = s.iter().find(|id| !claim_ids.contains(id.as_str())) {
                    return Err(DcqlError::UnknownClaimId {
                        query: q(),
                        claim: bad.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Processes a claims path pointer (§7.1.1) against `root`: the selected elements
/// with their JSON Pointers. `Ok(empty)` and the spec's "error" cases are both
/// "claim not present"; `Err` only when the selection exceeds [`MAX_SELECTED`].
pub fn process_path<'v>(
    path: &[PathElement],
    root: &'v Value,
) -> Result<Vec<(String, &'v Value)>, DcqlError> {
    let mut selected: Vec<(String, &Value)> = vec![(String::new(), root)];
    for component in path {
        let mut next = Vec::new();
        for (ptr, v) in &selected {
            match (component, v) {
                (PathElement::Key(k), Value::Object(o)) => {
                    if let Some(child) = o.get(k) {
                        next.push((format!("{ptr}/{}", escape_pointer(k)), child));
                    }
                }
                (PathElement::All, Value::Array(a)) => {
                    next.extend(a.iter().enumerate().map(|(i, c)| (format!("{ptr}/{i}"), c)));
                }
                (PathElement::Index(i), Value::Array(a)) => {
                    if let Some(child) = usize::try_from(*i).ok().and_then(|i| a.get(i)) {
                        next.push((format!("{ptr}/{i}"), child));
                    }
                }
                // §7.1.1: a component applied to the wrong type aborts processing.
                _ => return Ok(Vec::new()),
            }
            if next.len() > MAX_SELECTED {
                return Err(DcqlError::TooManySelected);
            }
        }
        selected = next;
    }
    Ok(selected)
}

fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// §6.3 values: "the type and value of the claim both match exactly".
fn value_matches(allowed: &[Value], v: &Value) -> bool {
    allowed.iter().any(|a| match (a, v) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_i64().is_some() && x.as_i64() == y.as_i64())
                || (x.as_u64().is_some() && x.as_u64() == y.as_u64())
        }
        _ => a == v,
    })
}

/// Pointers disclosed for one claims query, or `None` when it is not satisfied.
fn match_claim(c: &ClaimsQuery, claims: &Value) -> Result<Option<Vec<String>>, DcqlError> {
    let nodes = process_path(&c.path, claims)?;
    let hits: Vec<String> = nodes
        .into_iter()
        .filter(|(_, v)| {
            c.values
                .as_deref()
                .is_none_or(|allowed| value_matches(allowed, v))
        })
        .map(|(p, _)| p)
        .collect();
    Ok((!hits.is_empty()).then_some(hits))
}

fn meta_matches(q: &CredentialQuery, cred: &CandidateCredential) -> bool {
    let Some(meta) = &q.meta else { return false };
    if let Some(vcts) = meta.get("vct_values").and_then(string_list) {
        let vct = cred.claims.get("vct").and_then(Value::as_str);
        if !vct.is_some_and(|v| vcts.contains(&v)) {
            return false;
        }
    }
    if let Some(outer) = meta.get("type_values").and_then(Value::as_array) {
        // W3C VC meta: every type of one inner array must be among the credential's
        // types (for jwt_vc_json the claims are the JWT payload: look under `vc`).
        let types = cred
            .claims
            .get("type")
            .or_else(|| cred.claims.get("vc").and_then(|vc| vc.get("type")));
        let types: Vec<&str> = match types {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            Some(Value::String(s)) => vec![s.as_str()],
            _ => Vec::new(),
        };
        let ok = outer.iter().any(|inner| {
            string_list(inner).is_some_and(|need| need.iter().all(|t| types.contains(t)))
        });
        if !ok {
            return false;
        }
    }
    if let Some(doctype) = meta.get("doctype_value").and_then(Value::as_str)
        && cred.claims.get("doctype").and_then(Value::as_str) != Some(doctype)
    {
        return false;
    }
    true
}

/// How a candidate satisfies a Credential Query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcqlMatch {
    /// Position in the slice given to [`select`].
    pub index: usize,
    /// Its [`CandidateCredential::id`].
    pub credential_id: String,
    /// Index of the claim set used (the first satisfiable one), if any.
    pub claim_set: Option<usize>,
    /// JSON Pointers of the claims to disclose. §6.4.1: Wallets MUST NOT send
    /// selectively disclosable claims that were not selected; without `claims`
    /// this is empty (only mandatory claims are presented).
    pub disclose: BTreeSet<String>,
}

/// The claim set used (if any) and the pointers to disclose.
type ClaimsMatch = (Option<usize>, BTreeSet<String>);

/// Evaluates one Credential Query against one credential: the outer `Err` is a
/// bound being hit, the inner one why this credential does not match.
fn match_query(
    q: &CredentialQuery,
    cred: &CandidateCredential,
) -> Result<Result<ClaimsMatch, DcqlError>, DcqlError> {
    let fail = |e: DcqlError| Ok(Err(e));
    if cred.format != q.format {
        return fail(DcqlError::FormatMismatch(q.id.clone()));
    }
    if !meta_matches(q, cred) {
        return fail(DcqlError::MetaMismatch(q.id.clone()));
    }
    let Some(claims) = &q.claims else {
        return Ok(Ok((None, BTreeSet::new())));
    };
    let mut found: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (i, c) in claims.iter().enumerate() {
        if let Some(p) = match_claim(c, &cred.claims)? {
            found.insert(i, p);
        }
    }
    let collect = |idx: &[usize]| -> Option<BTreeSet<String>> {
        let mut out = BTreeSet::new();
        for i in idx {
            out.extend(found.get(i)?.iter().cloned());
        }
        Some(out)
    };
    match &q.claim_sets {
        None => {
            let all: Vec<usize> = (0..claims.len()).collect();
            match collect(&all) {
                Some(d) => Ok(Ok((None, d))),
                None => fail(DcqlError::ClaimsNotSatisfied(q.id.clone())),
            }
        }
        Some(sets) => {
            for (si, set) in sets.iter().enumerate() {
                let idx: Vec<usize> = set
                    .iter()
                    .filter_map(|id| claims.iter().position(|c| c.id.as_deref() == Some(id)))
                    .collect();
                if let Some(d) = collect(&idx) {
                    return Ok(Ok((Some(si), d)));
                }
            }
            fail(DcqlError::ClaimsNotSatisfied(q.id.clone()))
        }
    }
}

/// Candidates for one Credential Query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueryCandidates {
    /// The Credential Query id.
    pub query_id: String,
    /// Matching credentials, in the order given.
    pub candidates: Vec<DcqlMatch>,
}

/// The wallet's answer to a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DcqlSelection {
    /// Candidates per Credential Query, in query order.
    pub queries: Vec<QueryCandidates>,
    /// For each Credential Set Query, the first option whose queries all have
    /// candidates (`None`: not satisfiable).
    pub credential_sets: Vec<Option<usize>>,
    /// Whether every required set (or, without sets, every query) is satisfiable.
    /// §6.4.2: otherwise the wallet MUST NOT return any credential.
    pub satisfiable: bool,
    /// Query ids to answer: the chosen options of required sets and of the
    /// optional sets that can be met, or every query without sets.
    pub to_present: Vec<String>,
}

/// Wallet side: matching candidates per Credential Query, and which queries to answer.
pub fn select(
    query: &DcqlQuery,
    credentials: &[CandidateCredential],
) -> Result<DcqlSelection, DcqlError> {
    query.validate()?;
    let mut queries = Vec::with_capacity(query.credentials.len());
    for q in &query.credentials {
        let mut candidates = Vec::new();
        for (index, cred) in credentials.iter().enumerate() {
            if let Ok((claim_set, disclose)) = match_query(q, cred)? {
                candidates.push(DcqlMatch {
                    index,
                    credential_id: cred.id.clone(),
                    claim_set,
                    disclose,
                });
            }
        }
        queries.push(QueryCandidates {
            query_id: q.id.clone(),
            candidates,
        });
    }
    let has = |id: &str| {
        queries
            .iter()
            .any(|q| q.query_id == id && !q.candidates.is_empty())
    };
    let mut to_present = BTreeSet::new();
    let mut sets = Vec::new();
    let satisfiable = match &query.credential_sets {
        None => {
            to_present.extend(query.credentials.iter().map(|c| c.id.as_str()));
            query.credentials.iter().all(|c| has(&c.id))
        }
        Some(css) => {
            let mut ok = true;
            for s in css {
                let chosen = s.options.iter().position(|o| o.iter().all(|id| has(id)));
                match chosen.and_then(|i| s.options.get(i)) {
                    Some(o) => to_present.extend(o.iter().map(String::as_str)),
                    None if s.required => ok = false,
                    None => {}
                }
                sets.push(chosen);
            }
            ok
        }
    };
    let to_present = if satisfiable {
        query
            .credentials
            .iter()
            .filter(|c| to_present.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect()
    } else {
        Vec::new()
    };
    Ok(DcqlSelection {
        queries,
        credential_sets: sets,
        satisfiable,
        to_present,
    })
}

/// A verified response: for each answered query, the disclosed claim pointers of
/// each presented credential that the query asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedDcqlResponse {
    /// Query id → per credential (its id, the matched claim pointers).
    pub answered: BTreeMap<String, Vec<(String, BTreeSet<String>)>>,
}

/// Verifier side: checks that `response` (Credential Query id → presented
/// credentials, already signature-checked by the caller) satisfies `query`.
pub fn verify_response(
    query: &DcqlQuery,
    response: &BTreeMap<String, Vec<CandidateCredential>>,
) -> Result<VerifiedDcqlResponse, DcqlError> {
    query.validate()?;
    let mut answered = BTreeMap::new();
    for (id, creds) in response {
        let q = query
            .query(id)
            .ok_or_else(|| DcqlError::UnexpectedResponseEntry(id.clone()))?;
        if creds.is_empty() {
            return Err(DcqlError::EmptyResponseEntry(id.clone()));
        }
        // §8.1: "When multiple is omitted, or set to false, the array MUST contain
        // only one Presentation."
        if !q.multiple && creds.len() > 1 {
            return Err(DcqlError::MultipleNotAllowed(id.clone()));
        }
        let mut out = Vec::with_capacity(creds.len());
        for c in creds {
            let (_, matched) = match_query(q, c)??;
            out.push((c.id.clone(), matched));
        }
        answered.insert(id.clone(), out);
    }
    match &query.credential_sets {
        None => {
            // §6.4.2: without credential_sets all Credential Queries are requested.
            if let Some(missing) = query
                .credentials
                .iter()
                .find(|c| !answered.contains_key(&c.id))
            {
                return Err(DcqlError::RequiredCredentialsMissing(missing.id.clone()));
            }
        }
        Some(sets) => {
            for (i, s) in sets.iter().enumerate() {
                let met = s
                    .options
                    .iter()
                    .any(|o| o.iter().all(|id| answered.contains_key(id)));
                if s.required && !met {
                    return Err(DcqlError::RequiredCredentialsMissing(format!(
                        "credential set {i}"
                    )));
                }
            }
        }
    }
    Ok(VerifiedDcqlResponse { answered })
}
