//! DIF Presentation Exchange v2.0.0
//! (<https://identity.foundation/presentation-exchange/spec/v2.0.0/>): presentation
//! definitions, submission requirements and presentation submissions, with the
//! wallet side ([`select`], [`build_submission`]) and the verifier side
//! ([`verify_submission`]).
//!
//! The engine works on [`CandidateCredential`]s, an abstraction of a credential
//! (its format, the JSON the paths are evaluated against and which claims it can
//! withhold), not on proofs: checking signatures is the caller's job, before
//! [`verify_submission`] and independently of it.
//!
//! A definition comes from an untrusted verifier: [`PresentationDefinition::parse`]
//! bounds its size, every count and every nesting, compiles every JSONPath
//! ([`crate::jsonpath`]) and filter ([`filter`]) before anything is evaluated.

pub mod filter;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::jsonpath::{JsonPathError, Query};
use filter::Filter;

/// Largest accepted definition or submission, in bytes of JSON.
pub const MAX_DEFINITION_BYTES: usize = 64 * 1024;
/// Most input descriptors in a definition.
pub const MAX_INPUT_DESCRIPTORS: usize = 64;
/// Most fields in one descriptor's constraints.
pub const MAX_FIELDS: usize = 64;
/// Most alternative paths in one field.
pub const MAX_PATHS_PER_FIELD: usize = 16;
/// Most submission requirement objects, counting nested ones.
pub const MAX_SUBMISSION_REQUIREMENTS: usize = 64;
/// Deepest nesting of `from_nested`.
pub const MAX_REQUIREMENT_DEPTH: usize = 4;
/// Most entries in a `descriptor_map`.
pub const MAX_DESCRIPTOR_MAP: usize = 64;
/// Deepest chain of `path_nested`.
pub const MAX_PATH_NESTED_DEPTH: usize = 4;
/// Most groups one descriptor may belong to.
pub const MAX_GROUPS: usize = 16;

/// A Presentation Exchange failure. Each check has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PexError {
    /// The JSON is larger than [`MAX_DEFINITION_BYTES`].
    #[error("presentation exchange object larger than {MAX_DEFINITION_BYTES} bytes")]
    TooLarge,
    /// The JSON does not have the shape of the object.
    #[error("malformed presentation exchange object: {0}")]
    Malformed(String),
    /// An `id` that must be a non-empty string is empty.
    #[error("empty id in {0}")]
    EmptyId(&'static str),
    /// More input descriptors than [`MAX_INPUT_DESCRIPTORS`].
    #[error("more than {MAX_INPUT_DESCRIPTORS} input descriptors")]
    TooManyInputDescriptors,
    /// Two input descriptors share an id (PEX v2 §Input Descriptor Object: ids MUST be unique).
    #[error("duplicate input descriptor id `{0}`")]
    DuplicateDescriptorId(String),
    /// More fields in one descriptor than [`MAX_FIELDS`].
    #[error("input descriptor `{0}` has more than {MAX_FIELDS} fields")]
    TooManyFields(String),
    /// A field has no path or more than [`MAX_PATHS_PER_FIELD`].
    #[error("a field of input descriptor `{0}` has no path or more than {MAX_PATHS_PER_FIELD}")]
    BadPathCount(String),
    /// Two fields share an id (PEX v2: a field id MUST be unique in the definition).
    #[error("duplicate field id `{0}`")]
    DuplicateFieldId(String),
    /// A JSONPath was rejected.
    #[error("input descriptor `{descriptor}`: {error}")]
    Path {
        /// The descriptor holding the path (or `descriptor_map` for a submission).
        descriptor: String,
        /// Why.
        error: JsonPathError,
    },
    /// A descriptor belongs to more than [`MAX_GROUPS`] groups.
    #[error("input descriptor `{0}` has more than {MAX_GROUPS} groups")]
    TooManyGroups(String),
    /// A feature of PEX v2 that this implementation does not evaluate, so it cannot
    /// honour it (e.g. `predicate: required`, `subject_is_issuer`, `statuses`).
    #[error("unsupported Presentation Exchange feature `{0}`")]
    UnsupportedFeature(String),
    /// More submission requirements than [`MAX_SUBMISSION_REQUIREMENTS`].
    #[error("more than {MAX_SUBMISSION_REQUIREMENTS} submission requirements")]
    TooManySubmissionRequirements,
    /// `from_nested` nests deeper than [`MAX_REQUIREMENT_DEPTH`].
    #[error("submission requirements nest deeper than {MAX_REQUIREMENT_DEPTH}")]
    RequirementsTooDeep,
    /// A requirement has both or neither of `from` and `from_nested`.
    #[error("a submission requirement needs exactly one of `from` and `from_nested`")]
    FromAndFromNested,
    /// `from` names a group no input descriptor belongs to.
    #[error("submission requirement refers to unknown group `{0}`")]
    UnknownGroup(String),
    /// `pick` with inconsistent `count`/`min`/`max`, or `all` with any of them.
    #[error("invalid pick rule: {0}")]
    InvalidPickRule(&'static str),
    /// A filter is not valid JSON Schema of the supported subset.
    #[error("invalid filter keyword `{keyword}`: {reason}")]
    InvalidFilter {
        /// The keyword.
        keyword: String,
        /// Why.
        reason: String,
    },
    /// A JSON Schema keyword this subset does not implement (see [`filter`]).
    #[error("unsupported filter keyword `{0}`")]
    UnsupportedFilterKeyword(String),
    /// A `format` other than `date` and `date-time`.
    #[error("unsupported filter format `{0}`")]
    UnsupportedFilterFormat(String),
    /// A filter nests deeper than [`filter::MAX_FILTER_DEPTH`].
    #[error("filter nests too deep")]
    FilterTooDeep,
    /// A filter has too many schema objects or keyword items.
    #[error("filter too large")]
    FilterTooLarge,
    /// A `pattern` is longer than [`filter::MAX_PATTERN_LEN`].
    #[error("filter pattern too long")]
    PatternTooLong,
    /// A `pattern` compiles to more than [`filter::MAX_REGEX_SIZE`].
    #[error("filter pattern too complex")]
    PatternTooComplex,
    /// A `pattern` is not a valid regular expression.
    #[error("invalid filter pattern: {0}")]
    InvalidPattern(String),
    /// `build_submission` or `verify_submission` named an unknown descriptor.
    #[error("unknown input descriptor `{0}`")]
    UnknownDescriptor(String),
    /// The submission's `definition_id` is not the definition's id.
    #[error("presentation submission is for definition `{0}`")]
    DefinitionIdMismatch(String),
    /// More `descriptor_map` entries than [`MAX_DESCRIPTOR_MAP`].
    #[error("more than {MAX_DESCRIPTOR_MAP} descriptor_map entries")]
    TooManyDescriptorMapEntries,
    /// `path_nested` deeper than [`MAX_PATH_NESTED_DEPTH`].
    #[error("path_nested deeper than {MAX_PATH_NESTED_DEPTH}")]
    PathNestedTooDeep,
    /// A `path_nested` object's id differs from its parent's.
    #[error("path_nested id differs from descriptor `{0}`")]
    PathNestedIdMismatch(String),
    /// The descriptor_map format is not allowed by the descriptor or definition.
    #[error("format `{format}` not allowed for input descriptor `{descriptor}`")]
    FormatNotAllowed {
        /// Descriptor id.
        descriptor: String,
        /// The format.
        format: String,
    },
    /// The descriptor_map path does not resolve to a credential.
    #[error("descriptor_map entry for `{0}` does not resolve to a credential")]
    Unresolved(String),
    /// The resolved credential's format differs from the descriptor_map's.
    #[error(
        "credential for `{descriptor}` has format `{actual}`, descriptor_map says `{declared}`"
    )]
    FormatMismatch {
        /// Descriptor id.
        descriptor: String,
        /// Format in the descriptor_map.
        declared: String,
        /// Format of the credential.
        actual: String,
    },
    /// The credential does not satisfy a field of the descriptor.
    #[error("credential for `{descriptor}` does not satisfy field {field}")]
    FieldNotSatisfied {
        /// Descriptor id.
        descriptor: String,
        /// The field's id or its index.
        field: String,
    },
    /// `limit_disclosure: required` but the credential cannot withhold claims.
    #[error("input descriptor `{0}` requires limited disclosure")]
    LimitDisclosureUnsupported(String),
    /// The credential discloses a claim `limit_disclosure: required` did not ask for.
    #[error("credential for `{descriptor}` discloses `{pointer}` which was not asked for")]
    OverDisclosed {
        /// Descriptor id.
        descriptor: String,
        /// JSON Pointer of the claim.
        pointer: String,
    },
    /// Without submission requirements, every descriptor must be answered.
    #[error("input descriptor `{0}` is not answered")]
    MissingDescriptor(String),
    /// A submission requirement is not met.
    #[error("submission requirement `{0}` is not met")]
    RequirementNotMet(String),
    /// The wallet cannot satisfy the definition with the credentials it has.
    #[error("the definition cannot be satisfied: {0}")]
    Unsatisfiable(String),
    /// `build_submission` got the same descriptor twice, or no choice at all.
    #[error("invalid submission choice: {0}")]
    InvalidChoice(String),
}

/// A credential as the query engines see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateCredential {
    /// The caller's handle for the credential (returned in results).
    pub id: String,
    /// Credential format identifier, e.g. `ldp_vc`, `jwt_vc_json`, `dc+sd-jwt`.
    pub format: String,
    /// The JSON paths are evaluated against: the VC JSON for `ldp_vc`, the decoded
    /// JWT payload for `jwt_vc_json`, the fully disclosed claim set for SD-JWT.
    pub claims: Value,
    /// JSON Pointers (RFC 6901) of the claims that can be withheld; `None` when the
    /// credential can only be presented whole.
    pub selectively_disclosable: Option<BTreeSet<String>>,
}

/// `limit_disclosure` of an input descriptor's constraints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitDisclosure {
    /// Only the claims named by `fields` may be disclosed.
    Required,
    /// The verifier prefers limited disclosure.
    Preferred,
}

/// A `field` of an input descriptor's constraints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Optional id, unique in the definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// JSONPath alternatives, tried in order; the first that yields a node passing
    /// the filter wins.
    pub path: Vec<String>,
    /// Why the verifier asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// JSON Schema the selected value must be valid against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Value>,
    /// Whether the field may be left unanswered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optional: Option<bool>,
    /// Whether the verifier intends to retain the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent_to_retain: Option<bool>,
    /// Predicate feature (`required` / `preferred`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicate: Option<String>,
}

/// An input descriptor's `constraints`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Constraints {
    /// `limit_disclosure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_disclosure: Option<LimitDisclosure>,
    /// The fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Other members (features this engine refuses when present: see
    /// [`PexError::UnsupportedFeature`]).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// An input descriptor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputDescriptor {
    /// Unique id.
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why the verifier asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Allowed formats (keys) with their algorithm constraints (values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Map<String, Value>>,
    /// Groups the descriptor belongs to (for `submission_requirements`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<String>,
    /// Constraints.
    #[serde(default)]
    pub constraints: Constraints,
}

/// `rule` of a submission requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rule {
    /// Every descriptor of the group / every nested requirement.
    All,
    /// A number of them (`count`, `min`, `max`).
    Pick,
}

/// A submission requirement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionRequirement {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// `all` or `pick`.
    pub rule: Rule,
    /// Exact number to pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Least number to pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// Most number to pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// A group of input descriptors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Nested requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_nested: Option<Vec<SubmissionRequirement>>,
}

/// A presentation definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresentationDefinition {
    /// Id (echoed as the submission's `definition_id`).
    pub id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// Formats allowed for every descriptor that has no `format` of its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Map<String, Value>>,
    /// Submission requirements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submission_requirements: Option<Vec<SubmissionRequirement>>,
    /// Input descriptors.
    pub input_descriptors: Vec<InputDescriptor>,
}

/// One `descriptor_map` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorMapEntry {
    /// The input descriptor answered.
    pub id: String,
    /// Format of the object at `path`.
    pub format: String,
    /// JSONPath to the object, from the root of the presentation.
    pub path: String,
    /// Path into the object at `path` (e.g. into a JWT VP's payload).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_nested: Option<Box<DescriptorMapEntry>>,
}

/// A presentation submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresentationSubmission {
    /// Id of the submission.
    pub id: String,
    /// Id of the definition it answers.
    pub definition_id: String,
    /// Which credential answers which descriptor.
    pub descriptor_map: Vec<DescriptorMapEntry>,
}

fn parse_bounded<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, PexError> {
    if json.len() > MAX_DEFINITION_BYTES {
        return Err(PexError::TooLarge);
    }
    serde_json::from_str(json).map_err(|e| PexError::Malformed(e.to_string()))
}

impl PresentationSubmission {
    /// Parses an untrusted submission (size-bounded; checked against its
    /// definition by [`verify_submission`]).
    pub fn parse(json: &str) -> Result<Self, PexError> {
        parse_bounded(json)
    }
}

impl PresentationDefinition {
    /// Parses and validates an untrusted definition.
    pub fn parse(json: &str) -> Result<Self, PexError> {
        let def: Self = parse_bounded(json)?;
        def.validate()?;
        Ok(def)
    }

    /// Checks every bound and cross-reference, and compiles every path and filter.
    pub fn validate(&self) -> Result<(), PexError> {
        Compiled::new(self).map(|_| ())
    }

    fn descriptor(&self, id: &str) -> Option<&InputDescriptor> {
        self.input_descriptors.iter().find(|d| d.id == id)
    }

    /// Formats allowed for `descriptor` (its own `format`, else the definition's);
    /// `None` means any format.
    fn allowed_formats<'a>(
        &'a self,
        descriptor: &'a InputDescriptor,
    ) -> Option<&'a Map<String, Value>> {
        descriptor.format.as_ref().or(self.format.as_ref())
    }
}

/// Features of PEX v2 whose presence changes what a match means; refused because
/// this engine does not evaluate them (ignoring them would over-accept).
const UNSUPPORTED_CONSTRAINTS: &[&str] =
    &["subject_is_issuer", "is_holder", "same_subject", "statuses"];

struct CompiledField {
    label: String,
    paths: Vec<Query>,
    filter: Option<Filter>,
    optional: bool,
}

struct CompiledDescriptor {
    fields: Vec<CompiledField>,
}

struct Compiled {
    descriptors: Vec<CompiledDescriptor>,
}

/// A presentation definition checked and compiled (its JSONPaths and filters) once,
/// for verifiers that check many submissions against it
/// ([`verify_compiled_submission`]).
pub struct CompiledDefinition {
    definition: PresentationDefinition,
    compiled: Compiled,
}

impl CompiledDefinition {
    /// Checks and compiles `definition` ([`PresentationDefinition::validate`]).
    ///
    /// # Errors
    /// What [`PresentationDefinition::validate`] returns.
    pub fn new(definition: PresentationDefinition) -> Result<Self, PexError> {
        let compiled = Compiled::new(&definition)?;
        Ok(Self {
            definition,
            compiled,
        })
    }

    /// The definition.
    #[must_use]
    pub fn definition(&self) -> &PresentationDefinition {
        &self.definition
    }
}

impl std::fmt::Debug for CompiledDefinition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CompiledDefinition")
            .field(&self.definition)
            .finish()
    }
}

impl Compiled {
    fn new(def: &PresentationDefinition) -> Result<Self, PexError> {
        if def.id.is_empty() {
            return Err(PexError::EmptyId("presentation_definition"));
        }
        if def.input_descriptors.len() > MAX_INPUT_DESCRIPTORS {
            return Err(PexError::TooManyInputDescriptors);
        }
        let mut ids = BTreeSet::new();
        let mut field_ids = BTreeSet::new();
        let mut groups = BTreeSet::new();
        let mut descriptors = Vec::with_capacity(def.input_descriptors.len());
        for d in &def.input_descriptors {
            if d.id.is_empty() {
                return Err(PexError::EmptyId("input_descriptor"));
            }
            if !ids.insert(d.id.as_str()) {
                return Err(PexError::DuplicateDescriptorId(d.id.clone()));
            }
            if d.group.len() > MAX_GROUPS {
                return Err(PexError::TooManyGroups(d.id.clone()));
            }
            groups.extend(d.group.iter().map(String::as_str));
            if let Some(k) = UNSUPPORTED_CONSTRAINTS
                .iter()
                .find(|k| d.constraints.extra.contains_key(**k))
            {
                return Err(PexError::UnsupportedFeature((*k).to_owned()));
            }
            if d.constraints.fields.len() > MAX_FIELDS {
                return Err(PexError::TooManyFields(d.id.clone()));
            }
            let mut fields = Vec::with_capacity(d.constraints.fields.len());
            for (i, f) in d.constraints.fields.iter().enumerate() {
                if let Some(fid) = &f.id
                    && !field_ids.insert(fid.clone())
                {
                    return Err(PexError::DuplicateFieldId(fid.clone()));
                }
                // PEX v2 §Predicate Feature: `required` asks for a boolean in place
                // of the value, which this engine cannot produce.
                if f.predicate.as_deref() == Some("required") {
                    return Err(PexError::UnsupportedFeature("predicate".to_owned()));
                }
                if f.path.is_empty() || f.path.len() > MAX_PATHS_PER_FIELD {
                    return Err(PexError::BadPathCount(d.id.clone()));
                }
                let paths = f
                    .path
                    .iter()
                    .map(|p| {
                        Query::parse(p).map_err(|error| PexError::Path {
                            descriptor: d.id.clone(),
                            error,
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let filter = f.filter.as_ref().map(Filter::compile).transpose()?;
                fields.push(CompiledField {
                    label: f.id.clone().unwrap_or_else(|| i.to_string()),
                    paths,
                    filter,
                    optional: f.optional.unwrap_or(false),
                });
            }
            descriptors.push(CompiledDescriptor { fields });
        }
        if let Some(reqs) = &def.submission_requirements {
            let mut budget = MAX_SUBMISSION_REQUIREMENTS;
            for r in reqs {
                check_requirement(r, &groups, 1, &mut budget)?;
            }
        }
        Ok(Self { descriptors })
    }
}

fn check_requirement(
    r: &SubmissionRequirement,
    groups: &BTreeSet<&str>,
    depth: usize,
    budget: &mut usize,
) -> Result<(), PexError> {
    if depth > MAX_REQUIREMENT_DEPTH {
        return Err(PexError::RequirementsTooDeep);
    }
    *budget = budget
        .checked_sub(1)
        .ok_or(PexError::TooManySubmissionRequirements)?;
    match r.rule {
        Rule::All if r.count.is_some() || r.min.is_some() || r.max.is_some() => {
            return Err(PexError::InvalidPickRule(
                "`all` takes no count, min or max",
            ));
        }
        Rule::Pick => {
            if r.count.is_some() && (r.min.is_some() || r.max.is_some()) {
                return Err(PexError::InvalidPickRule("count with min or max"));
            }
            if let (Some(min), Some(max)) = (r.min, r.max)
                && min > max
            {
                return Err(PexError::InvalidPickRule("min greater than max"));
            }
        }
        Rule::All => {}
    }
    match (&r.from, &r.from_nested) {
        (Some(g), None) => {
            if !groups.contains(g.as_str()) {
                return Err(PexError::UnknownGroup(g.clone()));
            }
        }
        (None, Some(nested)) => {
            if nested.is_empty() {
                return Err(PexError::FromAndFromNested);
            }
            for n in nested {
                check_requirement(n, groups, depth + 1, budget)?;
            }
        }
        _ => return Err(PexError::FromAndFromNested),
    }
    Ok(())
}

/// Which claims of a credential are to be disclosed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disclosure {
    /// Present the credential whole.
    Full,
    /// Disclose exactly these selectively disclosable claims (JSON Pointers of the
    /// matched fields), withholding every other one.
    Only(BTreeSet<String>),
}

/// A credential that satisfies an input descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorMatch {
    /// Position of the credential in the slice given to [`select`].
    pub index: usize,
    /// Its [`CandidateCredential::id`].
    pub credential_id: String,
    /// JSON Pointers of the values that satisfied the fields (optional fields
    /// included when present).
    pub matched: BTreeSet<String>,
    /// What to disclose.
    pub disclosure: Disclosure,
}

/// Candidates for one input descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DescriptorCandidates {
    /// The descriptor's id.
    pub descriptor_id: String,
    /// Matching credentials, in the order given.
    pub candidates: Vec<DescriptorMatch>,
}

/// The wallet's answer to a definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    /// Candidates per descriptor, in definition order.
    pub descriptors: Vec<DescriptorCandidates>,
    /// Whether the submission requirements (or, without any, every descriptor) can
    /// be met with these candidates.
    pub satisfiable: bool,
    /// Descriptor ids to answer (a minimal choice meeting the requirements, in
    /// definition order); empty when not satisfiable.
    pub needed: Vec<String>,
}

/// Evaluates one descriptor against one credential: `Ok(matched pointers)` or the
/// label of the first unsatisfied field.
fn match_descriptor(
    def: &PresentationDefinition,
    descriptor: &InputDescriptor,
    compiled: &CompiledDescriptor,
    credential: &CandidateCredential,
) -> Result<BTreeSet<String>, FieldFailure> {
    if let Some(formats) = def.allowed_formats(descriptor)
        && !formats.contains_key(&credential.format)
    {
        return Err(FieldFailure::Format);
    }
    if descriptor.constraints.limit_disclosure == Some(LimitDisclosure::Required)
        && credential.selectively_disclosable.is_none()
    {
        return Err(FieldFailure::LimitDisclosure);
    }
    let mut matched = BTreeSet::new();
    for field in &compiled.fields {
        match match_field(field, &credential.claims) {
            Ok(Some(p)) => {
                matched.insert(p);
            }
            Ok(None) if field.optional => {}
            Ok(None) => return Err(FieldFailure::Field(field.label.clone())),
            Err(e) => return Err(FieldFailure::Path(e)),
        }
    }
    Ok(matched)
}

enum FieldFailure {
    Format,
    LimitDisclosure,
    Field(String),
    Path(JsonPathError),
}

/// PEX v2 §Input Evaluation: try each path in order; the first node that exists
/// (and passes the filter, when there is one) satisfies the field.
fn match_field(field: &CompiledField, claims: &Value) -> Result<Option<String>, JsonPathError> {
    for path in &field.paths {
        for node in path.select(claims)? {
            if field.filter.as_ref().is_none_or(|f| f.accepts(node.value)) {
                return Ok(Some(node.pointer));
            }
        }
    }
    Ok(None)
}

fn disclosure_for(
    descriptor: &InputDescriptor,
    credential: &CandidateCredential,
    matched: &BTreeSet<String>,
) -> Disclosure {
    match (
        descriptor.constraints.limit_disclosure,
        &credential.selectively_disclosable,
    ) {
        (Some(_), Some(_)) => Disclosure::Only(matched.clone()),
        _ => Disclosure::Full,
    }
}

/// Wallet side: lists the credentials that satisfy each input descriptor and
/// decides whether (and with which descriptors) the definition can be met.
pub fn select(
    definition: &PresentationDefinition,
    credentials: &[CandidateCredential],
) -> Result<Selection, PexError> {
    let compiled = Compiled::new(definition)?;
    let mut out = Vec::with_capacity(definition.input_descriptors.len());
    for (d, c) in definition
        .input_descriptors
        .iter()
        .zip(&compiled.descriptors)
    {
        let mut candidates = Vec::new();
        for (index, cred) in credentials.iter().enumerate() {
            match match_descriptor(definition, d, c, cred) {
                Ok(matched) => candidates.push(DescriptorMatch {
                    index,
                    credential_id: cred.id.clone(),
                    disclosure: disclosure_for(d, cred, &matched),
                    matched,
                }),
                Err(FieldFailure::Path(error)) => {
                    return Err(PexError::Path {
                        descriptor: d.id.clone(),
                        error,
                    });
                }
                Err(_) => {}
            }
        }
        out.push(DescriptorCandidates {
            descriptor_id: d.id.clone(),
            candidates,
        });
    }
    let available: BTreeSet<&str> = out
        .iter()
        .filter(|d| !d.candidates.is_empty())
        .map(|d| d.descriptor_id.as_str())
        .collect();
    let needed = match &definition.submission_requirements {
        None => {
            if available.len() == definition.input_descriptors.len() {
                Some(
                    definition
                        .input_descriptors
                        .iter()
                        .map(|d| d.id.as_str())
                        .collect(),
                )
            } else {
                None
            }
        }
        Some(reqs) => reqs.iter().try_fold(BTreeSet::new(), |mut acc, r| {
            acc.extend(choose(definition, r, &available)?);
            Some(acc)
        }),
    };
    let (satisfiable, needed) = match needed {
        Some(set) => (
            true,
            definition
                .input_descriptors
                .iter()
                .filter(|d| set.contains(d.id.as_str()))
                .map(|d| d.id.clone())
                .collect(),
        ),
        None => (false, Vec::new()),
    };
    Ok(Selection {
        descriptors: out,
        satisfiable,
        needed,
    })
}

fn group_members<'a>(def: &'a PresentationDefinition, group: &str) -> Vec<&'a str> {
    def.input_descriptors
        .iter()
        .filter(|d| d.group.iter().any(|g| g == group))
        .map(|d| d.id.as_str())
        .collect()
}

/// The least number a `pick` needs, and whether `n` picked items are acceptable.
fn pick_bounds(r: &SubmissionRequirement) -> (usize, usize) {
    let to = |v: u32| usize::try_from(v).unwrap_or(usize::MAX);
    match (r.count, r.min, r.max) {
        (Some(c), _, _) => (to(c), to(c)),
        (None, min, max) => (min.map_or(0, to), max.map_or(usize::MAX, to)),
    }
}

/// Wallet side of a requirement: a set of descriptors meeting it, if any.
fn choose<'a>(
    def: &'a PresentationDefinition,
    r: &SubmissionRequirement,
    available: &BTreeSet<&str>,
) -> Option<BTreeSet<&'a str>> {
    if let Some(group) = &r.from {
        let members = group_members(def, group);
        let ok: Vec<&str> = members
            .iter()
            .copied()
            .filter(|m| available.contains(m))
            .collect();
        return match r.rule {
            Rule::All => (ok.len() == members.len()).then(|| ok.into_iter().collect()),
            Rule::Pick => {
                let (lo, hi) = pick_bounds(r);
                // Pick the fewest the rule allows, but at least one when possible.
                let want = lo.max(1).min(hi).min(ok.len());
                (want >= lo && ok.len() >= lo).then(|| ok.into_iter().take(want).collect())
            }
        };
    }
    let nested = r.from_nested.as_deref().unwrap_or_default();
    let results: Vec<Option<BTreeSet<&str>>> =
        nested.iter().map(|n| choose(def, n, available)).collect();
    match r.rule {
        Rule::All => results.into_iter().try_fold(BTreeSet::new(), |mut acc, s| {
            acc.extend(s?);
            Some(acc)
        }),
        Rule::Pick => {
            let (lo, hi) = pick_bounds(r);
            let ok: Vec<BTreeSet<&str>> = results.into_iter().flatten().collect();
            let want = lo.max(1).min(hi).min(ok.len());
            (ok.len() >= lo).then(|| ok.into_iter().take(want).flatten().collect())
        }
    }
}

/// Verifier side of a requirement: whether the answered descriptors meet it.
fn met(def: &PresentationDefinition, r: &SubmissionRequirement, answered: &BTreeSet<&str>) -> bool {
    let count = if let Some(group) = &r.from {
        let members = group_members(def, group);
        let n = members.iter().filter(|m| answered.contains(*m)).count();
        if r.rule == Rule::All {
            return n == members.len();
        }
        n
    } else {
        let nested = r.from_nested.as_deref().unwrap_or_default();
        let n = nested.iter().filter(|n| met(def, n, answered)).count();
        if r.rule == Rule::All {
            return n == nested.len();
        }
        n
    };
    let (lo, hi) = pick_bounds(r);
    count >= lo && count <= hi
}

/// How a chosen credential sits in the presentation, for its `descriptor_map` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Envelope {
    /// Directly in a JSON presentation: `$.verifiableCredential[i]`.
    JsonVp,
    /// Inside a JWT VP (`jwt_vp_json`): path `$` with `path_nested`
    /// `$.vp.verifiableCredential[i]`.
    JwtVp,
}

/// A credential the holder chose for a descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionChoice {
    /// The input descriptor it answers.
    pub descriptor_id: String,
    /// Its position in the presentation's `verifiableCredential` array.
    pub vp_index: usize,
    /// Its format (e.g. `ldp_vc`, `jwt_vc_json`, `dc+sd-jwt`).
    pub format: String,
}

/// Wallet side: the `presentation_submission` for the chosen credentials.
/// `submission_id` is the caller's fresh id (randomness is injected, never drawn here).
pub fn build_submission(
    definition: &PresentationDefinition,
    submission_id: &str,
    envelope: &Envelope,
    chosen: &[SubmissionChoice],
) -> Result<PresentationSubmission, PexError> {
    if submission_id.is_empty() {
        return Err(PexError::EmptyId("presentation_submission"));
    }
    if chosen.is_empty() {
        return Err(PexError::InvalidChoice("no credential chosen".to_owned()));
    }
    if chosen.len() > MAX_DESCRIPTOR_MAP {
        return Err(PexError::TooManyDescriptorMapEntries);
    }
    let mut seen = BTreeSet::new();
    let mut descriptor_map = Vec::with_capacity(chosen.len());
    for c in chosen {
        let d = definition
            .descriptor(&c.descriptor_id)
            .ok_or_else(|| PexError::UnknownDescriptor(c.descriptor_id.clone()))?;
        if !seen.insert(c.descriptor_id.as_str()) {
            return Err(PexError::InvalidChoice(format!(
                "descriptor `{}` chosen twice",
                c.descriptor_id
            )));
        }
        if let Some(formats) = definition.allowed_formats(d)
            && !formats.contains_key(&c.format)
        {
            return Err(PexError::FormatNotAllowed {
                descriptor: d.id.clone(),
                format: c.format.clone(),
            });
        }
        descriptor_map.push(match envelope {
            Envelope::JsonVp => DescriptorMapEntry {
                id: d.id.clone(),
                format: c.format.clone(),
                path: format!("$.verifiableCredential[{}]", c.vp_index),
                path_nested: None,
            },
            Envelope::JwtVp => DescriptorMapEntry {
                id: d.id.clone(),
                format: "jwt_vp_json".to_owned(),
                path: "$".to_owned(),
                path_nested: Some(Box::new(DescriptorMapEntry {
                    id: d.id.clone(),
                    format: c.format.clone(),
                    path: format!("$.vp.verifiableCredential[{}]", c.vp_index),
                    path_nested: None,
                })),
            },
        });
    }
    Ok(PresentationSubmission {
        id: submission_id.to_owned(),
        definition_id: definition.id.clone(),
        descriptor_map,
    })
}

/// The innermost entry of a `descriptor_map` entry (following `path_nested`),
/// checking depth and that every level names the same descriptor.
pub fn innermost(entry: &DescriptorMapEntry) -> Result<&DescriptorMapEntry, PexError> {
    let mut cur = entry;
    let mut depth = 0;
    while let Some(next) = &cur.path_nested {
        depth += 1;
        if depth > MAX_PATH_NESTED_DEPTH {
            return Err(PexError::PathNestedTooDeep);
        }
        if next.id != entry.id {
            return Err(PexError::PathNestedIdMismatch(entry.id.clone()));
        }
        cur = next;
    }
    Ok(cur)
}

/// Resolves the common `descriptor_map` shapes to a position in the presentation's
/// `verifiableCredential` array: `$.verifiableCredential[i]` (JSON VP) and `$` +
/// `path_nested` `$.vp.verifiableCredential[i]` (JWT VP). Other paths give `None`.
pub fn vp_index(entry: &DescriptorMapEntry) -> Option<usize> {
    let inner = innermost(entry).ok()?;
    let rest = inner
        .path
        .strip_prefix("$.verifiableCredential[")
        .or_else(|| inner.path.strip_prefix("$.vp.verifiableCredential["))?;
    let digits = rest.strip_suffix(']')?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

/// One verified `descriptor_map` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedDescriptor {
    /// The descriptor answered.
    pub descriptor_id: String,
    /// The credential's [`CandidateCredential::id`].
    pub credential_id: String,
    /// JSON Pointers of the values that satisfied the fields.
    pub matched: BTreeSet<String>,
}

/// A submission that satisfies its definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifiedSubmission {
    /// Every entry, in `descriptor_map` order.
    pub descriptors: Vec<VerifiedDescriptor>,
}

/// Verifier side: checks that `submission` answers `definition` with credentials
/// that satisfy it. `resolve` maps a `descriptor_map` entry to the credential it
/// points at (already signature-checked by the caller), e.g. with [`vp_index`].
pub fn verify_submission<'c>(
    definition: &PresentationDefinition,
    submission: &PresentationSubmission,
    resolve: impl Fn(&DescriptorMapEntry) -> Option<&'c CandidateCredential>,
) -> Result<VerifiedSubmission, PexError> {
    verify_compiled(definition, &Compiled::new(definition)?, submission, resolve)
}

/// [`verify_submission`] against a definition compiled once
/// ([`CompiledDefinition::new`]), for a verifier that checks many submissions
/// against the same definition.
pub fn verify_compiled_submission<'c>(
    definition: &CompiledDefinition,
    submission: &PresentationSubmission,
    resolve: impl Fn(&DescriptorMapEntry) -> Option<&'c CandidateCredential>,
) -> Result<VerifiedSubmission, PexError> {
    verify_compiled(
        &definition.definition,
        &definition.compiled,
        submission,
        resolve,
    )
}

fn verify_compiled<'c>(
    definition: &PresentationDefinition,
    compiled: &Compiled,
    submission: &PresentationSubmission,
    resolve: impl Fn(&DescriptorMapEntry) -> Option<&'c CandidateCredential>,
) -> Result<VerifiedSubmission, PexError> {
    if submission.definition_id != definition.id {
        return Err(PexError::DefinitionIdMismatch(
            submission.definition_id.clone(),
        ));
    }
    if submission.id.is_empty() {
        return Err(PexError::EmptyId("presentation_submission"));
    }
    if submission.descriptor_map.len() > MAX_DESCRIPTOR_MAP {
        return Err(PexError::TooManyDescriptorMapEntries);
    }
    let mut verified = Vec::with_capacity(submission.descriptor_map.len());
    for entry in &submission.descriptor_map {
        let (pos, d) = definition
            .input_descriptors
            .iter()
            .enumerate()
            .find(|(_, d)| d.id == entry.id)
            .ok_or_else(|| PexError::UnknownDescriptor(entry.id.clone()))?;
        let inner = innermost(entry)?;
        // Every path level must be a well-formed, bounded JSONPath.
        let mut level = Some(entry);
        while let Some(e) = level {
            Query::parse(&e.path).map_err(|error| PexError::Path {
                descriptor: "descriptor_map".to_owned(),
                error,
            })?;
            level = e.path_nested.as_deref();
        }
        if let Some(formats) = definition.allowed_formats(d)
            && !formats.contains_key(&inner.format)
        {
            return Err(PexError::FormatNotAllowed {
                descriptor: d.id.clone(),
                format: inner.format.clone(),
            });
        }
        let cred = resolve(entry).ok_or_else(|| PexError::Unresolved(d.id.clone()))?;
        if cred.format != inner.format {
            return Err(PexError::FormatMismatch {
                descriptor: d.id.clone(),
                declared: inner.format.clone(),
                actual: cred.format.clone(),
            });
        }
        let c = compiled
            .descriptors
            .get(pos)
            .ok_or_else(|| PexError::UnknownDescriptor(d.id.clone()))?;
        let matched = match match_descriptor(definition, d, c, cred) {
            Ok(m) => m,
            Err(FieldFailure::Format) => {
                return Err(PexError::FormatNotAllowed {
                    descriptor: d.id.clone(),
                    format: cred.format.clone(),
                });
            }
            Err(FieldFailure::LimitDisclosure) => {
                return Err(PexError::LimitDisclosureUnsupported(d.id.clone()));
            }
            Err(FieldFailure::Field(field)) => {
                return Err(PexError::FieldNotSatisfied {
                    descriptor: d.id.clone(),
                    field,
                });
            }
            Err(FieldFailure::Path(error)) => {
                return Err(PexError::Path {
                    descriptor: d.id.clone(),
                    error,
                });
            }
        };
        if d.constraints.limit_disclosure == Some(LimitDisclosure::Required)
            && let Some(sd) = &cred.selectively_disclosable
        {
            // A disclosed selectively disclosable claim that no field asked for
            // (nor lies inside or above one that did) breaks `required`.
            if let Some(extra) = sd.iter().find(|p| {
                !matched.iter().any(|m| {
                    m == *p || m.starts_with(&format!("{p}/")) || p.starts_with(&format!("{m}/"))
                })
            }) {
                return Err(PexError::OverDisclosed {
                    descriptor: d.id.clone(),
                    pointer: extra.clone(),
                });
            }
        }
        verified.push(VerifiedDescriptor {
            descriptor_id: d.id.clone(),
            credential_id: cred.id.clone(),
            matched,
        });
    }
    let answered: BTreeSet<&str> = verified.iter().map(|v| v.descriptor_id.as_str()).collect();
    match &definition.submission_requirements {
        None => {
            // PEX v2: without submission_requirements, all input descriptors MUST
            // be satisfied.
            if let Some(missing) = definition
                .input_descriptors
                .iter()
                .find(|d| !answered.contains(d.id.as_str()))
            {
                return Err(PexError::MissingDescriptor(missing.id.clone()));
            }
        }
        Some(reqs) => {
            for (i, r) in reqs.iter().enumerate() {
                if !met(definition, r, &answered) {
                    return Err(PexError::RequirementNotMet(
                        r.name.clone().unwrap_or_else(|| i.to_string()),
                    ));
                }
            }
        }
    }
    Ok(VerifiedSubmission {
        descriptors: verified,
    })
}

/// Collects all descriptor ids of a selection by candidate credential, e.g. to show
/// the user which credential answers what.
pub fn by_credential(selection: &Selection) -> BTreeMap<String, Vec<String>> {
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for d in &selection.descriptors {
        for c in &d.candidates {
            map.entry(c.credential_id.clone())
                .or_default()
                .push(d.descriptor_id.clone());
        }
    }
    map
}
