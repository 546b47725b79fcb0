//! The one place where failures become HTTP responses (RFC 6749 §4.1.2.1, §5.2;
//! OIDC Core §3.1.2.6; RFC 6750 §3; RFC 7591 §3.2.2).
//!
//! Internal failures are logged here and answered with a generic `server_error`;
//! their details never reach the client. Every client mistake is a 4xx.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::web;

/// An OAuth 2.0 / OIDC error code (RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6;
/// RFC 7591 §3.2.2; RFC 6750 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client`.
    InvalidClient,
    /// `invalid_grant`.
    InvalidGrant,
    /// `unauthorized_client`.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `invalid_scope`.
    InvalidScope,
    /// `access_denied`.
    AccessDenied,
    /// `login_required`.
    LoginRequired,
    /// `request_not_supported`.
    RequestNotSupported,
    /// `request_uri_not_supported`.
    RequestUriNotSupported,
    /// `invalid_token` (RFC 6750).
    InvalidToken,
    /// `invalid_dpop_proof` (RFC 9449 §12.2).
    InvalidDpopProof,
    /// `invalid_redirect_uri` (RFC 7591).
    InvalidRedirectUri,
    /// `invalid_client_metadata` (RFC 7591).
    InvalidClientMetadata,
    /// `temporarily_unavailable`.
    TemporarilyUnavailable,
    /// `server_error`.
    ServerError,
}

impl ErrorCode {
    /// The wire string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::AccessDenied => "access_denied",
            Self::LoginRequired => "login_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidToken => "invalid_token",
            Self::InvalidDpopProof => "invalid_dpop_proof",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::ServerError => "server_error",
        }
    }
}

/// Every failure a handler can return.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    /// An OAuth error answered as JSON `{error, error_description}` with `status`.
    #[error("{}: {description}", code.as_str())]
    OAuth {
        /// The error code.
        code: ErrorCode,
        /// A description for the developer (never personal data or secrets).
        description: String,
        /// The HTTP status.
        status: StatusCode,
    },
    /// Client authentication failed at the token endpoint: 401 with
    /// `WWW-Authenticate: Basic`, however the client tried (RFC 6749 §5.2 requires it
    /// when the client used the `Authorization` header, and RFC 9110 §15.5.2 on every
    /// 401; it also names the scheme the endpoint supports).
    #[error("invalid_client: {description}")]
    ClientAuth {
        /// Why.
        description: String,
    },
    /// A bearer token was missing or invalid (RFC 6750 §3).
    #[error("invalid_token: {0}")]
    BearerToken(String),
    /// A refused DPoP-bound token or DPoP proof at a protected resource (RFC 9449
    /// §7.1): 401 with a `DPoP` challenge naming `error` (`invalid_token` or
    /// `invalid_dpop_proof`) and the accepted `algs`.
    #[error("{code:?}: {description}")]
    DpopToken {
        /// `invalid_token` or `invalid_dpop_proof`.
        code: ErrorCode,
        /// Why.
        description: String,
    },
    /// An authorization request that cannot be answered by a redirect (unknown
    /// client, unregistered `redirect_uri`): an HTML error page, never a redirect
    /// (RFC 6749 §4.1.2.1: "MUST NOT automatically redirect the user-agent to the
    /// invalid redirection URI").
    #[error("error page: {0}")]
    ErrorPage(String),
    /// A logout request that cannot be honoured (an `id_token_hint` this provider did
    /// not issue, an unregistered `post_logout_redirect_uri`): an HTML error page,
    /// never a redirect (RP-Initiated Logout 1.0 §4: the OP "MUST NOT perform
    /// post-logout redirection to an RP" when it detects errors).
    #[error("logout error page: {0}")]
    LogoutErrorPage(String),
    /// A feature that is not built yet (501).
    #[error("not built yet: {0}")]
    NotBuilt(&'static str),
    /// A failure on our side; logged, answered with a generic `server_error`.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// `invalid_request` (400) with `description`.
    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::oauth(ErrorCode::InvalidRequest, description)
    }

    /// `invalid_grant` (400) with `description`.
    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::oauth(ErrorCode::InvalidGrant, description)
    }

    /// An OAuth error with status 400.
    pub fn oauth(code: ErrorCode, description: impl Into<String>) -> Self {
        Self::OAuth {
            code,
            description: description.into(),
            status: StatusCode::BAD_REQUEST,
        }
    }

    /// `invalid_request` with another status than 400 (413, 408: the request as a
    /// whole could not be read).
    pub fn with_status(status: StatusCode, description: impl Into<String>) -> Self {
        Self::OAuth {
            code: ErrorCode::InvalidRequest,
            description: description.into(),
            status,
        }
    }

    /// An internal failure (logged, never shown).
    pub fn internal(what: impl core::fmt::Display) -> Self {
        Self::Internal(what.to_string())
    }
}

impl From<crate::db::DbError> for AppError {
    fn from(e: crate::db::DbError) -> Self {
        if e.is_busy() {
            // Another process kept the database's write lock for longer than the
            // server waits (`db::sqlite::BUSY_TIMEOUT`): worth a retry, not a bug.
            tracing::warn!(error = %e, "database busy");
            return Self::OAuth {
                code: ErrorCode::TemporarilyUnavailable,
                description: "the database is busy; retry shortly".into(),
                status: StatusCode::SERVICE_UNAVAILABLE,
            };
        }
        Self::Internal(format!("database: {e}"))
    }
}

/// RFC 6749 §5.2: `error_description` characters are limited to %x20-21 / %x23-5B /
/// %x5D-7E; anything else (CR, LF, TAB, quotes, non-ASCII) becomes a space.
#[must_use]
pub fn sanitize_description(s: &str) -> String {
    s.chars()
        .take(300)
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => ' ',
        })
        .collect()
}

fn json_error(status: StatusCode, code: ErrorCode, description: &str) -> Response {
    let body = serde_json::json!({
        "error": code.as_str(),
        "error_description": sanitize_description(description),
    });
    let mut response = (status, axum::Json(body)).into_response();
    web::no_store(response.headers_mut());
    response
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth {
                code,
                description,
                status,
            } => {
                tracing::debug!(error = code.as_str(), %description, "request refused");
                json_error(status, code, &description)
            }
            Self::ClientAuth { description } => {
                tracing::info!(%description, "client authentication failed");
                let mut response = json_error(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::InvalidClient,
                    &description,
                );
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"token\""),
                );
                response
            }
            Self::BearerToken(description) => {
                tracing::debug!(%description, "bearer token refused");
                let mut response = json_error(
                    StatusCode::UNAUTHORIZED,
                    ErrorCode::InvalidToken,
                    &description,
                );
                let challenge = format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    sanitize_description(&description)
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::DpopToken { code, description } => {
                tracing::debug!(error = code.as_str(), %description, "DPoP token refused");
                let mut response = json_error(StatusCode::UNAUTHORIZED, code, &description);
                let challenge = format!(
                    "DPoP error=\"{}\", error_description=\"{}\", algs=\"{}\"",
                    code.as_str(),
                    sanitize_description(&description),
                    crate::oidc::dpop::ALGORITHM_NAMES.join(" ")
                );
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::ErrorPage(description) => {
                tracing::info!(%description, "authorization request refused with an error page");
                error_page("Login request refused", "login", &description)
            }
            Self::LogoutErrorPage(description) => {
                tracing::info!(%description, "logout request refused with an error page");
                error_page("Logout request refused", "logout", &description)
            }
            Self::NotBuilt(what) => json_error(
                StatusCode::NOT_IMPLEMENTED,
                ErrorCode::TemporarilyUnavailable,
                &format!("{what} is not built yet"),
            ),
            Self::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                json_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::ServerError,
                    "internal error",
                )
            }
        }
    }
}

/// The page of a refused browser request (`what`: "login" or "logout"): 400, and
/// never a redirect.
fn error_page(title: &str, what: &str, description: &str) -> Response {
    let page = web::page(
        title,
        &format!(
            "<h1>This {what} request cannot be processed</h1><p>{}</p>\
             <p>The application that sent you here is misconfigured. \
             You have not been redirected.</p>",
            web::escape(&sanitize_description(description))
        ),
    );
    let mut response = (StatusCode::BAD_REQUEST, Html(page)).into_response();
    web::html_security_headers(response.headers_mut(), None);
    response
}

/// Failures of the encrypted Credential API message (`POST /api/v1/credentials`):
/// the wallet's mistake, 400.
impl From<wallet_core::credential_api::SessionError> for AppError {
    fn from(e: wallet_core::credential_api::SessionError) -> Self {
        Self::invalid_request(format!("encrypted message rejected: {e}"))
    }
}

/// A presentation that fails verification: 400 `invalid_request` whose description
/// names the failed check. Variants that would echo the holder's DID are described
/// without it (descriptions are logged).
impl From<wallet_core::presentation::PresentationError> for AppError {
    fn from(e: wallet_core::presentation::PresentationError) -> Self {
        use wallet_core::presentation::PresentationError as P;
        let description = match &e {
            P::HolderKeyMismatch { .. } => {
                "presentation is not signed by a key of its holder".to_owned()
            }
            P::HolderMismatch { index, .. } => {
                format!("credential {index} subject is not the holder")
            }
            P::SdJwtHolderMismatch { index, .. } => {
                format!("credential {index}: SD-JWT cnf key does not belong to the holder")
            }
            P::CredentialExpired { index, .. } => format!("credential {index} has expired"),
            P::CredentialNotYetValid { index, .. } => {
                format!("credential {index} is not valid yet")
            }
            other => other.to_string(),
        };
        Self::invalid_request(format!("presentation rejected: {description}"))
    }
}

/// The client's `id_token_mapping` cannot be applied to the presentation: 400.
impl From<crate::mapping::MappingError> for AppError {
    fn from(e: crate::mapping::MappingError) -> Self {
        Self::invalid_request(e.to_string())
    }
}
