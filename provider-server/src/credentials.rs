//! `/api/v1/credentials` (DESIGN §4 "Wire details", steps 4–6): the encrypted
//! `request-credential` message and the wallet's `submit-credential` / `reject`
//! answer, verified with [`wallet_core::presentation`] and mapped into claims with
//! the client's `id_token_mapping` ([`crate::mapping`]).
//!
//! Both calls need a completed key exchange for the login session
//! (`POST /api/v1/challenge`): its X25519 key is the only key the provider writes
//! to and accepts messages from.
//!
//! The presentation challenge is 256 random bits, issued with the answered key
//! exchange and stored with the session. A successful submission spends it in the
//! `UPDATE` that completes the session, a failed one in an `UPDATE` of its own:
//! whatever the outcome, a challenge verifies at most one presentation. After a
//! failure the wallet asks again (`GET`) for a fresh one.

pub mod status;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use wallet_core::credential_api::{EncryptedMessage, Message, MessageBody};
use wallet_core::dcql::{self, DcqlQuery};
use wallet_core::pex::{CompiledDefinition, PresentationDefinition};
use wallet_core::presentation::{
    self, TrustList, VerificationPolicy, VerifiedPresentation, verify_dcql_response,
};
use wallet_core::random::OsRandom;
use wallet_core::status_list::StatusListSource;

use crate::AppState;
use crate::clients::{self, LoginConfiguration, StoredClient};
use crate::did_web::Resolver;
use crate::error::AppError;
use crate::login::{self, LoginQuery, Session, VerifiedHolder};
use crate::mapping;
use crate::web::{self, ReadBody, handle_hash};

/// Length of the presentation challenge, bytes (hex on the wire).
pub const VP_CHALLENGE_LEN: usize = 32;

/// The provider origin: the proof's `domain` (DESIGN §4: "domain": provider origin).
pub(crate) fn provider_origin(state: &AppState) -> String {
    state.origin.to_string()
}

/// The origin of a registered redirect URI; a private-use scheme (RFC 8252 §7.1)
/// has no web origin and is shown as `scheme:`.
pub(crate) fn redirect_origin(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(url) => match url.origin() {
            o @ url::Origin::Tuple(..) => o.ascii_serialization(),
            url::Origin::Opaque(_) => format!("{}:", url.scheme()),
        },
        Err(_) => String::new(),
    }
}

/// The client's key for encrypted claims: the first JWK marked `"use": "enc"` or
/// with a key-management `alg`.
fn encryption_jwk(client: &LoginConfiguration) -> Option<Value> {
    client
        .jwks
        .as_ref()?
        .get("keys")?
        .as_array()?
        .iter()
        .find(|k| {
            k.get("use").and_then(Value::as_str) == Some("enc")
                || k.get("alg")
                    .and_then(Value::as_str)
                    .is_some_and(|a| a.starts_with("ECDH-ES") || a.starts_with("RSA-OAEP"))
        })
        .cloned()
}

/// The session's wallet key, or a 400 when the key exchange is not complete.
fn wallet_key(session: &Session) -> Result<(String, wallet_core::keys::X25519PublicKey), AppError> {
    let uri = session.wallet_key_uri.clone().ok_or_else(|| {
        AppError::invalid_request(
            "no completed key exchange for this login session (POST /api/v1/challenge first)",
        )
    })?;
    let key = login::wallet_session_key(&uri)?;
    Ok((uri, key))
}

pub(crate) async fn client_of(
    state: &AppState,
    session: &Session,
) -> Result<Arc<StoredClient>, AppError> {
    clients::get(&state.db, &session.request.client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| AppError::invalid_request("the client no longer exists"))
}

fn millis(state: &AppState) -> u64 {
    u64::try_from(state.clock.now())
        .unwrap_or(0)
        .saturating_mul(1000)
}

fn json_response(body: String) -> Response {
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    web::no_store(response.headers_mut());
    response
}

/// A presentation challenge: [`VP_CHALLENGE_LEN`] random bytes, hex.
pub(crate) fn fresh_vp_challenge() -> Result<String, AppError> {
    web::random_hex::<VP_CHALLENGE_LEN>()
}

/// `GET /api/v1/credentials` → `200 EncryptedMessage` holding a
/// `request-credential` message with the outstanding challenge: the one issued when
/// the key exchange was answered, or a fresh one after a failed submission spent it.
///
/// # Errors
/// 400 for an unknown or finished session or before the key exchange.
pub async fn get_credentials(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
) -> Result<Response, AppError> {
    let handle = query.handle()?;
    let id_hash = handle_hash(handle);
    // One statement checks that the session is live and past the key exchange and
    // reads the wallet key with the challenge that belongs to it.
    let row: Option<(String, Option<String>, i64, Option<String>)> = crate::db::query_as(
        "SELECT request, wallet_key_uri, expires_at, vp_challenge FROM login_sessions \
         WHERE id_hash = $1 AND completed_at IS NULL AND expires_at > $2 \
         AND challenge_state = 'answered'",
    )
    .bind(&id_hash)
    .bind(web::now())
    .fetch_optional(&state.db)
    .await?;
    let row = match row {
        Some((request, wallet_key_uri, expires_at, Some(challenge))) => {
            Some((request, wallet_key_uri, expires_at, challenge))
        }
        // Spent by a failed submission: a fresh one, in one statement that checks the
        // session again and reads it back.
        Some(_) => {
            let challenge = fresh_vp_challenge()?;
            let row: Option<(String, Option<String>, i64)> = crate::db::query_as(
                "UPDATE login_sessions SET vp_challenge = $1 WHERE id_hash = $2 \
                 AND completed_at IS NULL AND expires_at > $3 AND challenge_state = 'answered' \
                 RETURNING request, wallet_key_uri, expires_at",
            )
            .bind(&challenge)
            .bind(&id_hash)
            .bind(web::now())
            .fetch_optional(&state.db)
            .await?;
            row.map(|(request, key, expires_at)| (request, key, expires_at, challenge))
        }
        None => None,
    };
    let Some((request, wallet_key_uri, expires_at, challenge)) = row else {
        // Say precisely why (a second read only on this refused path).
        let session = login::live_session(&state, handle).await?;
        wallet_key(&session)?;
        return Err(AppError::invalid_request(
            "login session finished or key exchange replaced",
        ));
    };
    let session = Session {
        request: serde_json::from_str(&request).map_err(AppError::internal)?,
        challenge: None,
        wallet_key_uri,
        vp_challenge: Some(challenge.clone()),
        expires_at,
    };
    let (wallet_uri, wallet_public) = wallet_key(&session)?;
    let stored = client_of(&state, &session).await?;
    let client = &stored.config;
    let mut client_info = Map::new();
    client_info.insert("client_id".into(), client.client_id.clone().into());
    client_info.insert("name".into(), client.name.clone().into());
    client_info.insert(
        "redirect_origin".into(),
        stored
            .redirect_origin(&session.request.target.redirect_uri)
            .into(),
    );
    let mut content = Map::new();
    content.insert("challenge".into(), challenge.into());
    content.insert("domain".into(), provider_origin(&state).into());
    if let Some(pd) = &client.presentation_definition {
        content.insert("presentation_definition".into(), pd.clone());
    }
    if let Some(q) = &client.dcql_query {
        content.insert("dcql_query".into(), q.clone());
    }
    content.insert("client".into(), Value::Object(client_info));
    if let Some(jwk) = encryption_jwk(client) {
        content.insert("encryption_jwk".into(), jwk);
    }
    let provider_uri = state.identity.key_agreement_uri();
    let message = Message::new(
        MessageBody::RequestCredential(Value::Object(content)),
        provider_uri,
        &wallet_uri,
        millis(&state),
        &mut OsRandom,
    )
    .map_err(AppError::internal)?;
    let encrypted = state
        .session_boxes
        .get(&wallet_public)
        .and_then(|b| b.encrypt(&message, provider_uri, &wallet_uri, &mut OsRandom))
        .map_err(AppError::internal)?;
    Ok(json_response(encrypted.to_json()))
}

/// `POST /api/v1/credentials` with an `EncryptedMessage` from the session's wallet
/// key: `reject` → `{redirect_to}` with `error=access_denied`; `submit-credential`
/// → the presentation is verified, mapped, and the login completed →
/// `{redirect_to}`.
///
/// # Errors
/// 400 for every failure of the message or the presentation.
pub async fn post_credentials(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    ReadBody(body): ReadBody,
) -> Result<Response, AppError> {
    let handle = query.handle()?;
    let session = login::live_session(&state, handle).await?;
    let (wallet_uri, wallet_public) = wallet_key(&session)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| AppError::invalid_request("body must be an EncryptedMessage"))?;
    let encrypted = EncryptedMessage::from_json(text)?;
    // Only the key of this session's key exchange may speak for the wallet.
    if encrypted.sender_key_uri() != wallet_uri {
        return Err(AppError::invalid_request(
            "message is not from this session's wallet key",
        ));
    }
    if encrypted.receiver_key_uri() != state.identity.key_agreement_uri() {
        return Err(AppError::invalid_request(
            "message is not encrypted to the provider's key",
        ));
    }
    let message = state
        .session_boxes
        .get(&wallet_public)?
        .decrypt(&encrypted, &wallet_uri)?;
    let redirect_to = match message.body {
        MessageBody::Reject(_) => login::reject_login(&state, handle).await?,
        MessageBody::SubmitCredential(vp) => {
            let (holder, challenge) = verify_submission(&state, handle, &session, vp).await?;
            login::complete_session(&state, handle, session, holder, Some(&challenge)).await?
        }
        other => {
            return Err(AppError::invalid_request(format!(
                "unexpected {} message",
                other.type_name()
            )));
        }
    };
    Ok(web::json_no_store(json!({ "redirect_to": redirect_to })))
}

/// What the client requires, parsed from its Login Configuration.
#[derive(Debug)]
pub(crate) struct Requirements {
    /// The DIF Presentation Exchange definition, if the client uses PEX, compiled
    /// once per cached client.
    pub(crate) definition: Option<CompiledDefinition>,
    /// The DCQL query, if the client uses DCQL.
    pub(crate) dcql: Option<DcqlQuery>,
}

pub(crate) fn requirements(client: &LoginConfiguration) -> Result<Requirements, AppError> {
    let definition = client
        .presentation_definition
        .as_ref()
        .map(|pd| PresentationDefinition::parse(&pd.to_string()).and_then(CompiledDefinition::new))
        .transpose()
        .map_err(|e| {
            AppError::invalid_request(format!(
                "the client's presentation_definition is invalid: {e}"
            ))
        })?;
    let dcql = client
        .dcql_query
        .as_ref()
        .map(|q| DcqlQuery::parse(&q.to_string()))
        .transpose()
        .map_err(|e| {
            AppError::invalid_request(format!("the client's dcql_query is invalid: {e}"))
        })?;
    Ok(Requirements { definition, dcql })
}

/// The issuers a client trusts: its own list plus the global one. Never empty:
/// trusting any issuer whose signature verifies would let anyone mint claims.
fn trust_list(state: &AppState, client: &LoginConfiguration) -> Result<TrustList, AppError> {
    let issuers: BTreeSet<String> = client
        .trusted_issuers
        .iter()
        .chain(&state.config.trusted_issuers)
        .filter(|s| !s.is_empty())
        .cloned()
        .collect();
    if issuers.is_empty() {
        return Err(AppError::invalid_request(
            "no trusted issuers are configured for this client (client trusted_issuers or \
             --trusted-issuer); no presentation can be accepted",
        ));
    }
    Ok(TrustList::Issuers(issuers))
}

/// How every presentation for a client is verified, whichever way it arrives
/// (`/api/v1/credentials` or OID4VP): the client's trust list, the injected clock,
/// the status list source, and the `challenge` and `domain` it must be bound to.
pub(crate) struct Verification {
    policy: VerificationPolicy,
    resolver: Resolver,
    status: status::StatusLists,
}

impl Verification {
    /// The verification of a presentation for `client` bound to `challenge` and
    /// `domain`.
    ///
    /// # Errors
    /// `invalid_request` when the client trusts no issuer.
    pub(crate) fn new(
        state: &AppState,
        client: &LoginConfiguration,
        challenge: String,
        domain: String,
    ) -> Result<Self, AppError> {
        let trust = trust_list(state, client)?;
        // `did:web` is resolved for trusted issuers only (see `crate::did_web`).
        let resolvable = match &trust {
            TrustList::Issuers(issuers) => issuers
                .iter()
                .filter(|did| did.starts_with("did:web:"))
                .cloned()
                .collect(),
            _ => BTreeSet::new(),
        };
        Ok(Self {
            policy: VerificationPolicy::new(challenge, domain, state.clock.now(), trust),
            resolver: Resolver::new(Arc::clone(&state.web_dids), resolvable),
            status: state.status_lists.clone(),
        })
    }

    /// Runs `check` on `presentation` with the policy, the resolver and the status
    /// list source. A presentation that may need a fetch (it mentions
    /// `credentialStatus` or `status` anywhere, or a `did:web` issuer the resolver
    /// would fetch) is checked on the blocking pool, since a fetch blocks; any other
    /// is checked right here: its signatures are a few hundred microseconds of CPU,
    /// less than the two thread hand-offs the pool costs.
    ///
    /// # Errors
    /// What `check` returns; 500 when the task fails.
    pub(crate) async fn run<T, F>(self, presentation: String, check: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(
                &str,
                &VerificationPolicy,
                &Resolver,
                &dyn StatusListSource,
            ) -> Result<T, AppError>
            + Send
            + 'static,
    {
        if !may_need_status_list(&presentation) && !self.resolver.may_fetch(&presentation) {
            return check(
                &presentation,
                &self.policy,
                &self.resolver,
                self.status.0.as_ref(),
            );
        }
        tokio::task::spawn_blocking(move || {
            check(
                &presentation,
                &self.policy,
                &self.resolver,
                self.status.0.as_ref(),
            )
        })
        .await
        .map_err(AppError::internal)?
    }
}

/// Whether a presentation (any form: JSON, JWT or SD-JWT, so the check is on the
/// text and on its base64url-decoded parts) might reference a status list. False
/// positives only cost the blocking pool.
fn may_need_status_list(input: &str) -> bool {
    mentions_any(input, &["credentialStatus", "status"])
}

/// Whether `input` (a presentation in any form) contains one of `needles`, in the
/// clear or in a base64url-encoded JWT or SD-JWT part (each part decoded once).
pub(crate) fn mentions_any(input: &str, needles: &[&str]) -> bool {
    if needles.iter().any(|n| input.contains(n)) {
        return true;
    }
    // JWT and SD-JWT parts are base64url JSON: decode what may be JSON and look
    // inside. A base64url JSON object or array starts with `e` (`{`) or `W` (`[`),
    // or with `I`, `C` or `D` (a leading space, tab or newline, carriage return);
    // nothing else needs decoding (proof values, DIDs, hex challenges).
    input
        .split(['.', '~', '"'])
        .filter(|part| {
            part.len() >= 8 && matches!(part.as_bytes()[0], b'e' | b'W' | b'I' | b'C' | b'D')
        })
        .filter_map(|part| wallet_core::encoding::b64u_decode(part).ok())
        .any(|bytes| needles.iter().any(|n| contains(&bytes, n.as_bytes())))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The holder of a verified presentation and the claims the client's
/// `id_token_mapping` takes from it.
///
/// # Errors
/// `invalid_request` when the mapping cannot be applied (conflicting values).
pub(crate) fn verified_holder(
    client: &LoginConfiguration,
    verified: &VerifiedPresentation,
) -> Result<VerifiedHolder, AppError> {
    let claims = match &client.id_token_mapping {
        Some(m) => mapping::apply(m, &mapping::presentation_view(verified))?,
        None => Map::new(),
    };
    Ok(VerifiedHolder {
        did: verified.holder.as_str().to_owned(),
        claims,
    })
}

/// Verifies `vp` against the session's outstanding credential request challenge and
/// the client's requirements, and maps the claims. Returns the holder and the
/// challenge, which the completion then spends in the statement that completes the
/// session (one write for a successful submission). A submission that fails
/// verification spends the challenge here: the wallet must ask for a fresh one.
async fn verify_submission(
    state: &AppState,
    handle: &str,
    session: &Session,
    vp: Value,
) -> Result<(VerifiedHolder, String), AppError> {
    let challenge = session.vp_challenge.clone().ok_or_else(|| {
        AppError::invalid_request(
            "no credential request outstanding (GET /api/v1/credentials for a fresh challenge)",
        )
    })?;
    let verified = async {
        let stored = client_of(state, session).await?;
        let required = stored.requirements()?;
        let client = &stored.config;
        let verification =
            Verification::new(state, client, challenge.clone(), provider_origin(state))?;
        let json = serde_json::to_string(&vp).map_err(AppError::internal)?;
        let verified = verification
            .run(json, move |json, policy, resolver, status| {
                verify_blocking(json, policy, resolver, &required, status)
            })
            .await?;
        verified_holder(client, &verified)
    }
    .await;
    match verified {
        Ok(holder) => Ok((holder, challenge)),
        Err(e) => {
            spend_challenge(state, handle, &challenge).await?;
            Err(e)
        }
    }
}

/// Spends the session's credential request challenge after a failed submission
/// (a no-op when a concurrent submission spent it or completed the session).
async fn spend_challenge(state: &AppState, handle: &str, challenge: &str) -> Result<(), AppError> {
    crate::db::query(
        "UPDATE login_sessions SET vp_challenge = NULL WHERE id_hash = $1 AND vp_challenge = $2",
    )
    .bind(handle_hash(handle))
    .bind(challenge.to_owned())
    .execute(&state.db)
    .await?;
    Ok(())
}

fn verify_blocking(
    json: &str,
    policy: &VerificationPolicy,
    resolver: &Resolver,
    required: &Requirements,
    source: &dyn StatusListSource,
) -> Result<VerifiedPresentation, AppError> {
    let verified = match &required.definition {
        Some(definition) => {
            presentation::verify_presentation_against_compiled(
                json, definition, policy, resolver, source,
            )?
            .0
        }
        None => presentation::verify_presentation(json, policy, resolver, source)?,
    };
    if let Some(query) = &required.dcql {
        check_dcql(&verified, query)?;
    }
    Ok(verified)
}

/// A W3C presentation does not say which credential answers which DCQL
/// Credential Query: pick, for each query the query needs answered, the matching
/// credentials (all of them when `multiple`), then check that answer.
fn check_dcql(verified: &VerifiedPresentation, query: &DcqlQuery) -> Result<(), AppError> {
    let selection = dcql::select(query, &verified.candidates()).map_err(|e| {
        AppError::invalid_request(format!(
            "the presentation does not satisfy the DCQL query: {e}"
        ))
    })?;
    if !selection.satisfiable {
        return Err(AppError::invalid_request(
            "the presentation does not satisfy the DCQL query",
        ));
    }
    let mut response: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for q in &selection.queries {
        if !selection.to_present.contains(&q.query_id) {
            continue;
        }
        let multiple = query
            .credentials
            .iter()
            .any(|c| c.id == q.query_id && c.multiple);
        let indices: Vec<usize> = if multiple {
            q.candidates.iter().map(|m| m.index).collect()
        } else {
            q.candidates.iter().take(1).map(|m| m.index).collect()
        };
        response.insert(q.query_id.clone(), indices);
    }
    verify_dcql_response(verified, query, &response)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::may_need_status_list;
    use wallet_core::encoding::b64u_encode;

    #[test]
    fn status_screen_finds_status_in_every_form() {
        let plain = r#"{"verifiableCredential":[{"credentialSubject":{"email":"a@b.c"}}]}"#;
        assert!(!may_need_status_list(plain));
        let ldp = r#"{"verifiableCredential":[{"credentialStatus":{"type":"BitstringStatusListEntry"}}]}"#;
        assert!(may_need_status_list(ldp));
        // A VC-JWT inside a VP-JWT, or an SD-JWT: the claim is only in base64url.
        let payload = b64u_encode(br#"{"vc":{"credentialStatus":{"statusListIndex":"7"}}}"#);
        let jwt = format!("eyJhbGciOiJFZERTQSJ9.{payload}.c2ln");
        assert!(may_need_status_list(&jwt));
        let sd_payload = b64u_encode(br#"{"status":{"status_list":{"idx":1,"uri":"x"}}}"#);
        let sd_jwt = format!("eyJhbGciOiJFZERTQSJ9.{sd_payload}.c2ln~WyJzYWx0Il0~");
        assert!(may_need_status_list(&sd_jwt));
        // JSON with leading white space (base64url starting I, C or D).
        for lead in [" ", "\t", "\n", "\r"] {
            let spaced = b64u_encode(format!(r#"{lead}{{"status":{{"idx":1}}}}"#));
            assert!(may_need_status_list(&format!(
                "eyJhbGciOiJFZERTQSJ9.{spaced}.c2ln"
            )));
        }
        let quiet = b64u_encode(br#"{"vc":{"credentialSubject":{"email":"a@b.c"}}}"#);
        assert!(!may_need_status_list(&format!(
            "eyJhbGciOiJFZERTQSJ9.{quiet}.c2ln"
        )));
    }
}
