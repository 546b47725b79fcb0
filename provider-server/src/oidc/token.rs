//! The token endpoint (RFC 6749 §3.2, §4.1.3, §4.4, §6; OIDC Core §3.1.3).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use wallet_core::encoding::b64u_encode;

use crate::AppState;
use crate::clients::{self, LoginConfiguration, StoredClient, TokenEndpointAuthMethod};
use crate::cors;
use crate::error::{AppError, ErrorCode};
use crate::oidc::dpop;
use crate::oidc::grants::{self, Grant, RefreshRefusal};
use crate::web::{self, Params, ReadBody, now};

/// `POST /token`.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok((value, client)) => cors::readable_by(web::json_no_store(value), client),
        Err(e) => e.into_response(),
    }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Value, Arc<StoredClient>), AppError> {
    let (params, stored) = authenticated_form(state, headers, body).await?;
    let client = &stored.config;
    // RFC 9449 §5: a valid proof binds the tokens issued here to its key.
    let jkt = dpop::check(state, headers, "POST", "/token", None)
        .await?
        .map_err(dpop::Refused::at_token_endpoint)?;
    if jkt.is_none() && client.dpop_bound_access_tokens {
        return Err(dpop::Refused(
            "this client is registered with dpop_bound_access_tokens: a DPoP proof is required"
                .into(),
        )
        .at_token_endpoint());
    }
    let value = match params.get("grant_type") {
        Some("authorization_code") => authorization_code(state, client, &params, jkt).await,
        Some("refresh_token") => refresh_token(state, client, &params, jkt).await,
        Some("client_credentials") => client_credentials(state, client, &params, jkt).await,
        Some(_) => Err(AppError::oauth(
            ErrorCode::UnsupportedGrantType,
            "unsupported grant_type",
        )),
        None => Err(AppError::invalid_request("grant_type is missing")),
    }?;
    Ok((value, stored))
}

/// The form of a request to the token or the revocation endpoint, and the client it
/// authenticated as.
pub(crate) async fn authenticated_form(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(Params, Arc<StoredClient>), AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !content_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(AppError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let text =
        std::str::from_utf8(body).map_err(|_| AppError::invalid_request("body is not UTF-8"))?;
    let params = Params::parse(text)?;
    let client = authenticate(state, headers, &params).await?;
    Ok((params, client))
}

fn client_auth_error(description: &str) -> AppError {
    AppError::ClientAuth {
        description: description.to_owned(),
    }
}

/// RFC 6749 §2.3.1: client_secret_basic (credentials form-urlencoded, then Basic) or
/// client_secret_post; a public client sends only `client_id`. A client "MUST NOT
/// use more than one authentication method in each request".
async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Arc<StoredClient>, AppError> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .map(|v| parse_basic(v.to_str().unwrap_or_default()))
        .transpose()?;
    let (client_id, secret, method) = match (&basic, params.get("client_secret")) {
        (Some(_), Some(_)) => {
            return Err(AppError::invalid_request(
                "more than one client authentication method",
            ));
        }
        (Some((id, secret)), None) => {
            if params.get("client_id").is_some_and(|c| c != id) {
                return Err(AppError::invalid_request("client_id does not match"));
            }
            (
                id.clone(),
                Some(secret.clone()),
                TokenEndpointAuthMethod::ClientSecretBasic,
            )
        }
        (None, Some(secret)) => (
            params
                .get("client_id")
                .ok_or_else(|| AppError::invalid_request("client_id is missing"))?
                .to_owned(),
            Some(secret.to_owned()),
            TokenEndpointAuthMethod::ClientSecretPost,
        ),
        (None, None) => (
            params
                .get("client_id")
                .ok_or_else(|| client_auth_error("client authentication is missing"))?
                .to_owned(),
            None,
            TokenEndpointAuthMethod::None,
        ),
    };
    let client = clients::get(&state.db, &client_id)
        .await
        .map_err(AppError::internal)?
        .ok_or_else(|| client_auth_error("unknown client"))?;
    if client.config.token_endpoint_auth_method != method {
        return Err(client_auth_error(&format!(
            "this client must authenticate with {}",
            client.config.token_endpoint_auth_method.as_str()
        )));
    }
    if let Some(secret) = secret
        && !client.secret_matches(&secret)
    {
        return Err(client_auth_error("client authentication failed"));
    }
    Ok(client)
}

fn parse_basic(value: &str) -> Result<(String, String), AppError> {
    use base64::Engine as _;
    let bad = || client_auth_error("malformed Basic credentials");
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
        .ok_or_else(bad)?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = text.split_once(':').ok_or_else(bad)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((decode(id), decode(secret)))
}

async fn authorization_code(
    state: &AppState,
    client: &LoginConfiguration,
    params: &Params,
    jkt: Option<String>,
) -> Result<Value, AppError> {
    let code = params
        .get("code")
        .ok_or_else(|| AppError::invalid_request("code is missing"))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| AppError::invalid_request("redirect_uri is missing"))?;
    let check = |redeemed: &grants::RedeemedCode| {
        // RFC 6749 §4.1.3: the code was issued to this client, for this redirect_uri.
        if redeemed.client_id != client.client_id {
            return Err(AppError::invalid_grant("code was issued to another client"));
        }
        if redeemed.redirect_uri != redirect_uri {
            return Err(AppError::invalid_grant("redirect_uri does not match"));
        }
        if redeemed.expires_at <= now() {
            return Err(AppError::invalid_grant("code expired"));
        }
        // RFC 9449 §10: a code bound to a key is redeemed only with a proof by it.
        dpop::require_key(redeemed.grant.dpop_jkt.as_ref(), jkt.as_ref(), "code")?;
        check_pkce(&redeemed.grant, params.get("code_verifier"))
    };
    let Some((redeemed, grants::CodeTokens { access, refresh })) =
        grants::redeem_code_for_tokens(state, code, jkt.clone(), check).await?
    else {
        return Err(AppError::invalid_grant("invalid or already used code"));
    };
    let id_token = grants::id_token(state, client, &redeemed.grant, Some(&access), None)?;
    tracing::info!(client_id = %client.client_id, "code redeemed");
    Ok(token_response(
        state,
        &access,
        Some(&id_token),
        refresh.as_deref(),
        &redeemed.grant,
    ))
}

/// RFC 7636 §4.6, S256 only. A verifier without a stored challenge is refused too
/// (a PKCE downgrade: the attacker stripped the challenge from the request).
fn check_pkce(grant: &Grant, verifier: Option<&str>) -> Result<(), AppError> {
    match (&grant.code_challenge, verifier) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(AppError::invalid_grant(
            "code_verifier given but the authorization request had no code_challenge",
        )),
        (Some(_), None) => Err(AppError::invalid_grant("code_verifier is missing")),
        (Some(challenge), Some(verifier)) => {
            // RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~].
            if !(43..=128).contains(&verifier.len())
                || !verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
            {
                return Err(AppError::invalid_grant("malformed code_verifier"));
            }
            let computed = b64u_encode(Sha256::digest(verifier.as_bytes()));
            if bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
                Ok(())
            } else {
                Err(AppError::invalid_grant("code_verifier does not match"))
            }
        }
    }
}

async fn refresh_token(
    state: &AppState,
    client: &LoginConfiguration,
    params: &Params,
    jkt: Option<String>,
) -> Result<Value, AppError> {
    let token = params
        .get("refresh_token")
        .ok_or_else(|| AppError::invalid_request("refresh_token is missing"))?;
    let redeemed = match grants::redeem_refresh(state, token).await? {
        Ok(r) => r,
        Err(RefreshRefusal::Reused) => {
            return Err(AppError::invalid_grant("refresh token already used"));
        }
        Err(RefreshRefusal::Expired) => {
            return Err(AppError::invalid_grant("refresh token expired"));
        }
        Err(RefreshRefusal::Revoked) => {
            return Err(AppError::invalid_grant("refresh token revoked"));
        }
        Err(RefreshRefusal::Unknown) => {
            return Err(AppError::invalid_grant("unknown refresh token"));
        }
    };
    if redeemed.client_id != client.client_id {
        return Err(AppError::invalid_grant(
            "refresh token was issued to another client",
        ));
    }
    // RFC 6749 §6: a requested scope may not exceed the original grant.
    if let Some(scope) = params.get("scope")
        && !scope
            .split(' ')
            .all(|s| redeemed.grant.scope.split(' ').any(|g| g == s))
    {
        return Err(AppError::oauth(
            ErrorCode::InvalidScope,
            "scope exceeds the grant",
        ));
    }
    // RFC 9449 §5: a public client's refresh token bound to a key is used only with
    // a proof by that key. (It is spent already: its next use is a reuse.) A
    // confidential client's is bound to the client's authentication instead.
    if client.is_public() {
        dpop::require_key(
            redeemed.grant.dpop_jkt.as_ref(),
            jkt.as_ref(),
            "refresh token",
        )?;
    }
    let mut grant = redeemed.grant;
    // OIDC Core §12.2: a refreshed id_token carries no nonce.
    grant.nonce = None;
    // The new tokens are bound to this request's key, if any (for a public client,
    // the key checked above).
    grant.dpop_jkt = jkt;
    let access = grants::create_access_token(
        state,
        &client.client_id,
        &grant,
        None,
        Some(&redeemed.family_id),
    )
    .await?;
    let refresh =
        grants::create_refresh_token(state, &client.client_id, &redeemed.family_id, &grant).await?;
    let id_token = grants::id_token(state, client, &grant, Some(&access), None)?;
    Ok(token_response(
        state,
        &access,
        Some(&id_token),
        Some(&refresh),
        &grant,
    ))
}

async fn client_credentials(
    state: &AppState,
    client: &LoginConfiguration,
    params: &Params,
    jkt: Option<String>,
) -> Result<Value, AppError> {
    // RFC 6749 §4.4: "The client credentials grant type MUST only be used by
    // confidential clients."
    if client.is_public() {
        return Err(AppError::oauth(
            ErrorCode::UnauthorizedClient,
            "public clients cannot use client_credentials",
        ));
    }
    let scope = params.get("scope").unwrap_or_default().to_owned();
    let grant = Grant {
        sub: None,
        claims: Map::new(),
        scope,
        nonce: None,
        auth_time: None,
        code_challenge: None,
        dpop_jkt: jkt,
    };
    let access = grants::create_access_token(state, &client.client_id, &grant, None, None).await?;
    Ok(token_response(state, &access, None, None, &grant))
}

fn token_response(
    state: &AppState,
    access: &str,
    id_token: Option<&str>,
    refresh: Option<&str>,
    grant: &Grant,
) -> Value {
    let scope = grant.scope.as_str();
    // RFC 9449 §5: `DPoP` tells the client the access token is bound to its key.
    let token_type = if grant.dpop_jkt.is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    let mut value = json!({
        "access_token": access,
        "token_type": token_type,
        "expires_in": state.config.access_token_lifetime_secs,
    });
    if let Some(obj) = value.as_object_mut() {
        if let Some(t) = id_token {
            obj.insert("id_token".into(), Value::String(t.to_owned()));
        }
        if let Some(t) = refresh {
            obj.insert("refresh_token".into(), Value::String(t.to_owned()));
        }
        if !scope.is_empty() {
            obj.insert("scope".into(), Value::String(scope.to_owned()));
        }
    }
    value
}
