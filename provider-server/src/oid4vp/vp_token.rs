//! What the provider asks for over OID4VP ([`Requested`]) and the checks of what
//! the wallet answers: the `direct_post` form or `direct_post.jwt` payload
//! ([`AuthorizationResponse`]) and the
//! `vp_token` in it, verified with wallet-core.
//!
//! - DCQL (OID4VP 1.0 §8.1): `vp_token` is a JSON object whose keys are Credential
//!   Query ids and whose values are non-empty arrays of presentations, each of the
//!   one credential it presents, in the form its query's format prescribes
//!   (Appendix B): for `ldp_vc` a W3C Verifiable Presentation with a Data Integrity
//!   proof ([`presentation::verify_presentation_value`]), for `jwt_vc_json` a VP-JWT
//!   ([`presentation::verify_vp_jwt_presentation`]), for `dc+sd-jwt` the SD-JWT VC
//!   with a Key Binding JWT ([`presentation::verify_sd_jwt_presentation`]). Each is
//!   verified on its own; the answer as a whole is checked with
//!   [`dcql::verify_response`].
//! - Presentation Exchange (the pre-1.0 drafts, §6.1 of draft 20): `vp_token` is one
//!   presentation (an `ldp_vp` object or a `jwt_vp_json` string) or an array of
//!   them, and `presentation_submission` a separate parameter whose
//!   `descriptor_map` paths start at `vp_token`: `$` (or `$[i]`) with the
//!   presentation's format and `path_nested` `$.verifiableCredential[j]` (`ldp_vp`)
//!   or `$.vp.verifiableCredential[j]` (`jwt_vp_json`), or a flat
//!   `$.verifiableCredential[j]` for a single `ldp_vp`. It is checked with
//!   [`pex::verify_submission`].
//!
//! All presentations of one response must have the same holder: the login's
//! subject. Their credentials, in order, form the presentation the client's
//! `id_token_mapping` reads ([`crate::mapping::presentation_view`]).

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use wallet_core::dcql::{self, DcqlQuery};
use wallet_core::pex::{self, CandidateCredential, PresentationDefinition, PresentationSubmission};
use wallet_core::presentation::{
    self, PresentationError, VerificationPolicy, VerifiedPresentation,
};
use wallet_core::status_list::StatusListSource;

use crate::clients::LoginConfiguration;
use crate::credentials;
use crate::did_web::Resolver;
use crate::error::AppError;

/// Most parameters in one Authorization Response.
const MAX_RESPONSE_PARAMS: usize = 32;
/// Longest `state` accepted.
const MAX_STATE_LEN: usize = 512;
/// Longest `error` code accepted.
const MAX_ERROR_LEN: usize = 64;
/// The Credential Format Identifiers whose presentations this provider verifies
/// (with DCQL).
pub const SUPPORTED_FORMATS: [&str; 3] = ["ldp_vc", "jwt_vc_json", "dc+sd-jwt"];
/// The Data Integrity cryptosuites wallet-core verifies.
const CRYPTOSUITES: [&str; 2] = ["eddsa-jcs-2022", "ecdsa-jcs-2019"];
/// The JWS algorithms wallet-core verifies (VC-JWT, VP-JWT, SD-JWT, KB-JWT).
const JWS_ALGORITHMS: [&str; 2] = ["EdDSA", "ES256"];
/// The id of the Credential Query asked for when a client names no requirements.
pub const DEFAULT_QUERY_ID: &str = "credential";

fn bad(description: impl Into<String>) -> AppError {
    AppError::invalid_request(description)
}

/// An untrusted id for an error description: at most 64 characters.
fn short(s: &str) -> String {
    s.chars().take(64).collect()
}

/// The wallet's answer at the `response_uri`.
#[derive(Debug)]
pub(crate) struct AuthorizationResponse {
    /// `state`, required: it names the transaction.
    pub(crate) state: String,
    /// The presentations or the error.
    pub(crate) answer: Answer,
}

/// A successful or an error Authorization Response.
#[derive(Debug)]
pub(crate) enum Answer {
    /// `vp_token` (and `presentation_submission` for PEX).
    VpToken {
        /// The `vp_token` parameter as sent.
        vp_token: String,
        /// The `presentation_submission` parameter, if any.
        presentation_submission: Option<String>,
    },
    /// `error` (RFC 6749 §4.1.2.1; OID4VP §8.5), e.g. `access_denied`.
    Error {
        /// The error code.
        error: String,
    },
}

impl AuthorizationResponse {
    /// The response in the payload of a `direct_post.jwt` JWE (§8.3): a JSON object
    /// whose members are the response parameters. A member that is not a string
    /// (the DCQL `vp_token` object, a `presentation_submission`) stands for its JSON
    /// text, as in the form.
    ///
    /// # Errors
    /// `invalid_request` for a payload that is not such an object, and the errors of
    /// [`AuthorizationResponse::from_params`].
    pub(crate) fn from_json(payload: &[u8]) -> Result<Self, AppError> {
        let members: Map<String, Value> = serde_json::from_slice(payload)
            .map_err(|_| bad("the encrypted response is not a JSON object"))?;
        if members.len() > MAX_RESPONSE_PARAMS || members.keys().any(|k| k.len() > 256) {
            return Err(bad("too many or too long parameters"));
        }
        let params = members
            .into_iter()
            .filter_map(|(name, value)| match value {
                Value::Null => None,
                Value::String(s) if s.is_empty() => None,
                Value::String(s) => Some((name, s)),
                other => Some((name, other.to_string())),
            })
            .collect();
        Self::from_params(params)
    }

    /// The response from its parameters (empty ones already left out).
    ///
    /// # Errors
    /// `invalid_request` for a missing `state`, an `error` that is not an error
    /// code, or neither `vp_token` nor `error`.
    pub(crate) fn from_params(mut params: BTreeMap<String, String>) -> Result<Self, AppError> {
        let state = params
            .remove("state")
            .filter(|s| s.len() <= MAX_STATE_LEN)
            .ok_or_else(|| bad("state is missing"))?;
        if let Some(error) = params.remove("error") {
            // RFC 6749 §4.1.2.1: error is %x20-21 / %x23-5B / %x5D-7E.
            let valid = error.len() <= MAX_ERROR_LEN
                && error
                    .bytes()
                    .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5b | 0x5d..=0x7e));
            if !valid {
                return Err(bad("error is not an error code"));
            }
            return Ok(Self {
                state,
                answer: Answer::Error { error },
            });
        }
        let vp_token = params
            .remove("vp_token")
            .ok_or_else(|| bad("vp_token is missing"))?;
        Ok(Self {
            state,
            answer: Answer::VpToken {
                vp_token,
                presentation_submission: params.remove("presentation_submission"),
            },
        })
    }
}

/// The parameters of an `application/x-www-form-urlencoded` body (§8.2), empty ones
/// left out. Unknown parameters are kept for the caller to ignore (§8.2: "The
/// Wallet MUST ignore …", and RFC 6749 for the client side); a repeated one is
/// refused (RFC 6749 §3.1).
///
/// # Errors
/// `invalid_request` for a body that is not UTF-8, too many or too long
/// parameters, or a repeated one.
pub(crate) fn form_params(body: &[u8]) -> Result<BTreeMap<String, String>, AppError> {
    let text = std::str::from_utf8(body).map_err(|_| bad("body is not UTF-8"))?;
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in url::form_urlencoded::parse(text.as_bytes()) {
        if params.len() >= MAX_RESPONSE_PARAMS || name.len() > 256 {
            return Err(bad("too many or too long parameters"));
        }
        if value.is_empty() {
            continue;
        }
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(bad(format!("parameter {} repeated", short(&name))));
        }
    }
    Ok(params)
}

/// What the provider asks a wallet for, from the client's Login Configuration.
#[derive(Debug, Clone)]
pub enum Requested {
    /// A DCQL query (the client's, or [`Requested::default_query`] for a client
    /// without requirements). A client that also has a PEX definition has it checked
    /// against the presented credentials too.
    Dcql {
        /// The query.
        query: DcqlQuery,
        /// Its JSON for the Request Object.
        json: Value,
        /// The client's PEX definition, when it has both.
        definition: Option<PresentationDefinition>,
    },
    /// A DIF Presentation Exchange definition (clients without DCQL).
    Pex {
        /// The definition.
        definition: PresentationDefinition,
        /// Its JSON for the Request Object.
        json: Value,
    },
}

impl Requested {
    /// The query for a client that names no requirements: one or more W3C
    /// credentials (`ldp_vc`) of any type. `/api/v1/credentials` then accepts any
    /// credentials of trusted issuers; OID4VP needs a query (§5.1: "Either a
    /// `dcql_query` or a `scope` parameter … MUST be present").
    #[must_use]
    pub fn default_query() -> Value {
        json!({
            "credentials": [{
                "id": DEFAULT_QUERY_ID,
                "format": "ldp_vc",
                "multiple": true,
                "meta": {"type_values": [["VerifiableCredential"]]}
            }]
        })
    }

    /// What to ask `client`'s wallets for: its DCQL query, else its PEX definition,
    /// else [`Requested::default_query`].
    ///
    /// # Errors
    /// `invalid_request` for an invalid query or definition, or a DCQL query for a
    /// credential format this provider does not verify.
    pub fn of(client: &LoginConfiguration) -> Result<Self, AppError> {
        let required = credentials::requirements(client)?;
        let requested = match (required.dcql, required.definition) {
            (Some(query), definition) => Self::Dcql {
                json: client
                    .dcql_query
                    .clone()
                    .unwrap_or_else(Self::default_query),
                query,
                definition: definition.map(|d| d.definition().clone()),
            },
            (None, Some(definition)) => Self::Pex {
                json: client.presentation_definition.clone().unwrap_or_default(),
                definition: definition.definition().clone(),
            },
            (None, None) => {
                let json = Self::default_query();
                let query = DcqlQuery::parse(&json.to_string()).map_err(AppError::internal)?;
                Self::Dcql {
                    query,
                    json,
                    definition: None,
                }
            }
        };
        if let Self::Dcql { query, .. } = &requested
            && let Some(q) = query
                .credentials
                .iter()
                .find(|q| !SUPPORTED_FORMATS.contains(&q.format.as_str()))
        {
            return Err(bad(format!(
                "the client's DCQL query asks for format {}, whose presentations this \
                 provider does not verify over OID4VP (supported: {})",
                short(&q.format),
                SUPPORTED_FORMATS.join(", ")
            )));
        }
        Ok(requested)
    }

    /// The Request Object member carrying the query: `dcql_query` or
    /// `presentation_definition`.
    #[must_use]
    pub fn request_parameter(&self) -> (&'static str, Value) {
        match self {
            Self::Dcql { json, .. } => ("dcql_query", json.clone()),
            Self::Pex { json, .. } => ("presentation_definition", json.clone()),
        }
    }

    /// `client_metadata` (§5.1, §11.1): the formats verified, as OID4VP 1.0 names
    /// them (`vp_formats_supported`) and, for PEX wallets of the earlier drafts, as
    /// those name them (`vp_formats`); and the relying party's name for the consent
    /// screen.
    #[must_use]
    pub fn client_metadata(&self, client: &LoginConfiguration) -> Value {
        let ldp = json!({
            "proof_type_values": ["DataIntegrityProof"],
            "cryptosuite_values": CRYPTOSUITES,
        });
        let mut metadata = Map::new();
        metadata.insert(
            "vp_formats_supported".into(),
            json!({
                "ldp_vc": ldp,
                "ldp_vp": ldp,
                "jwt_vc_json": {"alg_values": JWS_ALGORITHMS},
                "dc+sd-jwt": {
                    "sd-jwt_alg_values": JWS_ALGORITHMS,
                    "kb-jwt_alg_values": JWS_ALGORITHMS,
                },
            }),
        );
        if matches!(self, Self::Pex { .. }) {
            let ldp = json!({"proof_type": ["DataIntegrityProof"]});
            let jwt = json!({"alg": JWS_ALGORITHMS});
            metadata.insert(
                "vp_formats".into(),
                json!({"ldp_vc": ldp, "ldp_vp": ldp, "jwt_vc_json": jwt, "jwt_vp_json": jwt}),
            );
        }
        metadata.insert("client_name".into(), client.name.clone().into());
        Value::Object(metadata)
    }

    /// Verifies a `vp_token` (and the `presentation_submission` for PEX) against
    /// this request, `policy` (challenge = `nonce`, domain = `client_id`) and the
    /// status lists; returns the holder's credentials as one presentation.
    ///
    /// # Errors
    /// `invalid_request` naming the first failed check.
    pub fn verify(
        &self,
        vp_token: &str,
        submission: Option<&str>,
        policy: &VerificationPolicy,
        resolver: &Resolver,
        status: &dyn StatusListSource,
    ) -> Result<VerifiedPresentation, AppError> {
        match self {
            Self::Dcql {
                query, definition, ..
            } => verify_dcql(
                query,
                definition.as_ref(),
                vp_token,
                policy,
                resolver,
                status,
            ),
            Self::Pex { definition, .. } => {
                verify_pex(definition, vp_token, submission, policy, resolver, status)
            }
        }
    }
}

/// One `ldp_vp`: a JSON presentation with a Data Integrity proof.
fn verify_ldp_vp(
    item: &Value,
    policy: &VerificationPolicy,
    resolver: &Resolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, AppError> {
    Ok(presentation::verify_presentation_value(
        item, policy, resolver, status,
    )?)
}

/// One presentation answering a DCQL Credential Query of `format`, in the form
/// Appendix B gives that format.
fn verify_for_format(
    format: &str,
    item: &Value,
    policy: &VerificationPolicy,
    resolver: &Resolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, AppError> {
    match (format, item) {
        ("ldp_vc", Value::Object(_)) => verify_ldp_vp(item, policy, resolver, status),
        ("jwt_vc_json", Value::String(token)) => Ok(presentation::verify_vp_jwt_presentation(
            token, policy, resolver, status,
        )?),
        ("dc+sd-jwt", Value::String(token)) => Ok(presentation::verify_sd_jwt_presentation(
            token, policy, resolver, status,
        )?),
        ("ldp_vc", _) => Err(bad(
            "an ldp_vc presentation must be a JSON Verifiable Presentation (ldp_vp)",
        )),
        ("jwt_vc_json", _) => Err(bad("a jwt_vc_json presentation must be a VP-JWT string")),
        ("dc+sd-jwt", _) => Err(bad(
            "a dc+sd-jwt presentation must be an SD-JWT with a Key Binding JWT",
        )),
        (other, _) => Err(bad(format!(
            "presentations of format {} are not verified here",
            short(other)
        ))),
    }
}

fn verify_dcql(
    query: &DcqlQuery,
    definition: Option<&PresentationDefinition>,
    vp_token: &str,
    policy: &VerificationPolicy,
    resolver: &Resolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, AppError> {
    let shape = "vp_token must be a JSON object mapping credential query ids to arrays of \
                 presentations (OID4VP 1.0 section 8.1)";
    let Ok(Value::Object(entries)) = serde_json::from_str::<Value>(vp_token) else {
        return Err(bad(shape));
    };
    // Bound the work before any signature is checked.
    let mut total = 0usize;
    for (id, value) in &entries {
        let q = query
            .credentials
            .iter()
            .find(|c| c.id == *id)
            .ok_or_else(|| {
                bad(format!(
                    "vp_token entry {} matches no credential query",
                    short(id)
                ))
            })?;
        match value {
            // §8.1: "When multiple is omitted, or set to false, the array MUST
            // contain only one Presentation."
            Value::Array(items) if items.len() > 1 && !q.multiple => {
                return Err(bad(format!(
                    "credential query {} does not allow multiple presentations",
                    q.id
                )));
            }
            Value::Array(items) if !items.is_empty() => total = total.saturating_add(items.len()),
            _ => {
                return Err(bad(format!(
                    "vp_token entry {} must be a non-empty array of presentations",
                    q.id
                )));
            }
        }
    }
    if total == 0 {
        return Err(bad(shape));
    }
    if total > policy.max_credentials {
        return Err(bad("vp_token holds too many presentations"));
    }
    let mut parts = Vec::with_capacity(total);
    let mut response: BTreeMap<String, Vec<CandidateCredential>> = BTreeMap::new();
    for (id, value) in &entries {
        let format = query
            .credentials
            .iter()
            .find(|c| c.id == *id)
            .map_or("", |c| c.format.as_str());
        for item in value.as_array().into_iter().flatten() {
            let vp = verify_for_format(format, item, policy, resolver, status)?;
            // §8.1: each Presentation is of one Credential matching the query.
            if vp.credentials.len() != 1 {
                return Err(bad(format!(
                    "a presentation for credential query {id} must carry exactly one credential"
                )));
            }
            response
                .entry(id.clone())
                .or_default()
                .extend(dcql_candidates(&vp, &format!("{id}/{}", parts.len())));
            parts.push(vp);
        }
    }
    let merged = merge(parts, None)?;
    dcql::verify_response(query, &response).map_err(PresentationError::Dcql)?;
    if let Some(definition) = definition {
        let selection = pex::select(definition, &merged.candidates())
            .map_err(|e| bad(format!("the client's presentation_definition: {e}")))?;
        if !selection.satisfiable {
            return Err(bad(
                "the presented credentials do not satisfy the client's presentation_definition",
            ));
        }
    }
    Ok(merged)
}

/// The credentials of `vp` as DCQL sees them. Appendix B.1.3: "the `claims_path`
/// parameter always matches on the root of Verifiable Credential (not the
/// Verifiable Presentation)" — for `jwt_vc_json` the decoded credential, not the
/// JWT payload that [`VerifiedPresentation::candidates`] gives PEX paths
/// (`$.vc.credentialSubject…`). For the other formats the two are the same.
fn dcql_candidates(vp: &VerifiedPresentation, id: &str) -> Vec<CandidateCredential> {
    vp.credentials
        .iter()
        .map(|c| CandidateCredential {
            id: id.to_owned(),
            format: c.format.as_str().to_owned(),
            claims: c.claims.clone(),
            selectively_disclosable: c.disclosed_paths.clone(),
        })
        .collect()
}

/// How a presentation in a PEX `vp_token` is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Envelope {
    /// `ldp_vp`: a JSON presentation with a Data Integrity proof.
    Ldp,
    /// `jwt_vp_json`: a VP-JWT.
    Jwt,
}

impl Envelope {
    /// Whether a `descriptor_map` format names this envelope (`jwt_vp` is the
    /// pre-1.0 name of `jwt_vp_json`).
    fn is_named(self, format: &str) -> bool {
        match self {
            Self::Ldp => format == "ldp_vp",
            Self::Jwt => format == "jwt_vp_json" || format == "jwt_vp",
        }
    }

    /// Where the credentials are, from the presentation's root.
    fn credentials_path(self) -> &'static str {
        match self {
            Self::Ldp => "$.verifiableCredential[",
            Self::Jwt => "$.vp.verifiableCredential[",
        }
    }
}

fn verify_pex(
    definition: &PresentationDefinition,
    vp_token: &str,
    submission: Option<&str>,
    policy: &VerificationPolicy,
    resolver: &Resolver,
    status: &dyn StatusListSource,
) -> Result<VerifiedPresentation, AppError> {
    let submission = submission.ok_or_else(|| {
        bad("presentation_submission is missing (required with a presentation_definition)")
    })?;
    let submission = PresentationSubmission::parse(submission)
        .map_err(|e| bad(format!("invalid presentation_submission: {e}")))?;
    // A JSON presentation arrives as its JSON text, a VP-JWT as itself (or as a
    // JSON string).
    let token = match serde_json::from_str::<Value>(vp_token) {
        Ok(v) => v,
        Err(_) if !vp_token.trim_start().starts_with(['{', '[', '"']) => {
            Value::String(vp_token.to_owned())
        }
        Err(_) => return Err(bad("vp_token is not valid JSON")),
    };
    let (items, single) = match token {
        Value::Array(items) if !items.is_empty() => (items, false),
        v @ (Value::Object(_) | Value::String(_)) => (vec![v], true),
        _ => {
            return Err(bad(
                "vp_token is neither a presentation nor a non-empty array of them",
            ));
        }
    };
    if items.len() > policy.max_credentials {
        return Err(bad("vp_token holds too many presentations"));
    }
    let mut parts = Vec::with_capacity(items.len());
    let mut envelopes = Vec::with_capacity(items.len());
    for item in &items {
        let (envelope, vp) = match item {
            Value::Object(_) => (
                Envelope::Ldp,
                verify_ldp_vp(item, policy, resolver, status)?,
            ),
            Value::String(token) => (
                Envelope::Jwt,
                presentation::verify_vp_jwt_presentation(token, policy, resolver, status)?,
            ),
            _ => {
                return Err(bad(
                    "a presentation is an ldp_vp object or a jwt_vp_json string",
                ));
            }
        };
        envelopes.push(envelope);
        parts.push(vp);
    }
    let candidates: Vec<Vec<CandidateCredential>> =
        parts.iter().map(VerifiedPresentation::candidates).collect();
    pex::verify_submission(definition, &submission, |entry| {
        resolve(entry, single, &envelopes, &candidates)
    })
    .map_err(PresentationError::Pex)?;
    merge(parts, Some(submission))
}

/// The credential a `descriptor_map` entry names, with paths rooted at `vp_token`
/// (module docs).
fn resolve<'c>(
    entry: &pex::DescriptorMapEntry,
    single: bool,
    envelopes: &[Envelope],
    candidates: &'c [Vec<CandidateCredential>],
) -> Option<&'c CandidateCredential> {
    let (vp, inner) = match &entry.path_nested {
        Some(nested) => {
            if nested.path_nested.is_some() {
                return None;
            }
            let vp = if single {
                (entry.path == "$").then_some(0)?
            } else {
                index_in(&entry.path, "$[")?
            };
            (vp, nested.as_ref())
        }
        None if single => (0, entry),
        None => return None,
    };
    let envelope = *envelopes.get(vp)?;
    let outer_named = match &entry.path_nested {
        Some(_) => envelope.is_named(&entry.format),
        // A flat path points into the one ldp_vp itself.
        None => envelope == Envelope::Ldp,
    };
    if !outer_named {
        return None;
    }
    let credential = index_in(&inner.path, envelope.credentials_path())?;
    candidates.get(vp)?.get(credential)
}

/// `prefix` + a decimal index without leading zeros + `]`.
fn index_in(path: &str, prefix: &str) -> Option<usize> {
    let digits = path.strip_prefix(prefix)?.strip_suffix(']')?;
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() == 1 || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

/// The presentations of one response as one: same holder required, credentials
/// in order.
fn merge(
    parts: Vec<VerifiedPresentation>,
    submission: Option<PresentationSubmission>,
) -> Result<VerifiedPresentation, AppError> {
    let mut parts = parts.into_iter();
    let mut merged = parts
        .next()
        .ok_or_else(|| bad("vp_token holds no presentation"))?;
    for vp in parts {
        if vp.holder != merged.holder {
            return Err(bad("the presentations are from different holders"));
        }
        merged.credentials.extend(vp.credentials);
    }
    for (i, c) in merged.credentials.iter_mut().enumerate() {
        c.index = i;
    }
    merged.presentation_submission = submission;
    Ok(merged)
}
