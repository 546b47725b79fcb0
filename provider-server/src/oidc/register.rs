//! Dynamic client registration (RFC 7591), behind an initial access token (§3).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use crate::AppState;
use crate::clients::{self, ClientError, NewClient};
use crate::error::{AppError, ErrorCode};
use crate::web::{self, ReadBody};

/// `POST /register`.
pub async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    ReadBody(body): ReadBody,
) -> Response {
    match handle(&state, &headers, &body).await {
        Ok(v) => {
            let mut response = (StatusCode::CREATED, Json(v)).into_response();
            web::no_store(response.headers_mut());
            response
        }
        Err(e) => e.into_response(),
    }
}

async fn handle(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<Value, AppError> {
    let Some(expected) = &state.config.registration_token else {
        return Err(AppError::OAuth {
            code: ErrorCode::AccessDenied,
            description: "dynamic registration is disabled".into(),
            status: StatusCode::FORBIDDEN,
        });
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let ok = web::handle_hash(presented)
        .as_bytes()
        .ct_eq(web::handle_hash(expected.expose()).as_bytes());
    if presented.is_empty() || !bool::from(ok) {
        return Err(AppError::BearerToken(
            "a valid initial access token is required".into(),
        ));
    }
    let new: NewClient = serde_json::from_slice(body).map_err(|_| {
        AppError::oauth(
            ErrorCode::InvalidClientMetadata,
            "body is not client metadata JSON",
        )
    })?;
    let created = clients::create(&state.db, new).await.map_err(|e| match e {
        ClientError::RedirectUri(d) => AppError::oauth(ErrorCode::InvalidRedirectUri, d),
        ClientError::Metadata(d) => AppError::oauth(ErrorCode::InvalidClientMetadata, d),
        other => AppError::internal(other),
    })?;
    tracing::info!(client_id = %created.config.client_id, "client registered");
    let mut value = serde_json::to_value(&created).map_err(AppError::internal)?;
    if let Some(obj) = value.as_object_mut() {
        obj.insert("client_name".into(), json!(created.config.name));
        obj.insert(
            "client_id_issued_at".into(),
            json!(created.config.created_at),
        );
        if created.client_secret.is_some() {
            // RFC 7591 §3.2.1: 0 means the secret does not expire.
            obj.insert("client_secret_expires_at".into(), json!(0));
        }
    }
    Ok(value)
}
