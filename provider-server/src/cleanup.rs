//! Deleting dead flow state: expired login sessions (and the key-exchange and
//! presentation challenges they hold), authorization codes, access tokens, refresh
//! tokens and refresh families nothing refers to any more, OID4VP transactions,
//! pushed authorization requests and the DPoP proofs seen.
//!
//! [`spawn_cleanup`] runs [`purge_expired`] every `--cleanup-interval-secs`; tests
//! call [`purge_expired`] (or [`purge`]) directly. Deletes go in batches of at most
//! [`BATCH`] rows, one short statement each, so that SQLite's single writer and
//! PostgreSQL's row locks are held only briefly. Several instances may purge at once:
//! a row deleted twice is deleted once.
//!
//! **Never a live row.** Each rule below keeps what a request may still read, and
//! waits [`grace_secs`] (the request timeout plus a minute) past an expiry, so no
//! request still in flight can reference a row that is gone:
//!
//! | table | deleted when |
//! |---|---|
//! | `login_sessions` | expired (finished or not) |
//! | `access_tokens` | expired, or revoked |
//! | `refresh_tokens` | expired, or its family is revoked or gone |
//! | `refresh_families` | older than the grace period and no token refers to it |
//! | `auth_codes` | expired and no token or family refers to it |
//! | `oid4vp_transactions` | expired (a verified holder nobody collected goes with it) |
//! | `pushed_requests` | expired (RFC 9126 `request_uri`s never used) |
//! | `dpop_proofs` | expired (their proofs are refused for their age anyway) |
//!
//! A redeemed code therefore stays as long as what it issued: a late replay is still
//! recognised as a reuse (RFC 6749 §4.1.2), and the `reused_at` mark that
//! [`crate::oidc::grants::lookup_access_token`] joins on cannot vanish under a token.
//! A refresh family stays while any of its tokens does, for the same reason. Used
//! refresh tokens stay until they expire, so that reusing one still revokes its family.

use std::time::Duration;

use crate::AppState;
use crate::db::{Db, DbError};

/// Most rows one statement deletes.
pub const BATCH: i64 = 500;

/// Extra seconds, beyond the request timeout, that a row is kept after its expiry.
pub const GRACE_MARGIN_SECS: i64 = 60;

/// How many rows a purge deleted, per table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purged {
    /// Login sessions (with their challenges).
    pub login_sessions: u64,
    /// Access tokens.
    pub access_tokens: u64,
    /// Refresh tokens.
    pub refresh_tokens: u64,
    /// Refresh families.
    pub refresh_families: u64,
    /// Authorization codes.
    pub auth_codes: u64,
    /// OID4VP authorization requests.
    pub oid4vp_transactions: u64,
    /// Pushed authorization requests.
    pub pushed_requests: u64,
    /// DPoP proofs seen.
    pub dpop_proofs: u64,
}

impl Purged {
    /// All rows deleted.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.login_sessions
            + self.access_tokens
            + self.refresh_tokens
            + self.refresh_families
            + self.auth_codes
            + self.oid4vp_transactions
            + self.pushed_requests
            + self.dpop_proofs
    }
}

/// The statements, in an order that lets one pass remove a whole chain (tokens, then
/// the family they kept, then the code the family kept). `$1` is the cutoff (now
/// minus the grace period), `$2` the batch size; every table is emptied through its
/// primary key so that the same SQL works on SQLite and PostgreSQL (neither
/// `DELETE … LIMIT` nor `ctid` is portable).
const STATEMENTS: [&str; 8] = [
    "DELETE FROM login_sessions WHERE id_hash IN (SELECT id_hash FROM login_sessions \
         WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM access_tokens WHERE token_hash IN (SELECT token_hash FROM access_tokens \
         WHERE expires_at <= $1 OR revoked <> 0 LIMIT $2)",
    "DELETE FROM refresh_tokens WHERE token_hash IN (SELECT r.token_hash FROM \
         refresh_tokens r WHERE r.expires_at <= $1 OR NOT EXISTS (SELECT 1 FROM \
         refresh_families f WHERE f.family_id = r.family_id AND f.revoked = 0) LIMIT $2)",
    "DELETE FROM refresh_families WHERE family_id IN (SELECT f.family_id FROM \
         refresh_families f WHERE f.created_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.family_id = f.family_id) \
         AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.family_id = f.family_id) \
         LIMIT $2)",
    "DELETE FROM auth_codes WHERE code_hash IN (SELECT c.code_hash FROM auth_codes c \
         WHERE c.expires_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM access_tokens a WHERE a.code_hash = c.code_hash) \
         AND NOT EXISTS (SELECT 1 FROM refresh_families f WHERE f.code_hash = c.code_hash) \
         LIMIT $2)",
    "DELETE FROM oid4vp_transactions WHERE id_hash IN (SELECT id_hash FROM \
         oid4vp_transactions WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM pushed_requests WHERE handle_hash IN (SELECT handle_hash FROM \
         pushed_requests WHERE expires_at <= $1 LIMIT $2)",
    "DELETE FROM dpop_proofs WHERE proof_hash IN (SELECT proof_hash FROM \
         dpop_proofs WHERE expires_at <= $1 LIMIT $2)",
];

/// How long a row is kept past its expiry: the request timeout plus
/// [`GRACE_MARGIN_SECS`].
#[must_use]
pub fn grace_secs(state: &AppState) -> i64 {
    i64::from(state.config.request_timeout_secs).saturating_add(GRACE_MARGIN_SECS)
}

/// One purge at the state's clock ([`crate::clock::Clock`], which tests move).
///
/// # Errors
/// Database failures; what was deleted before stays deleted.
pub async fn purge_expired(state: &AppState) -> Result<Purged, DbError> {
    purge(&state.db, state.clock.now(), grace_secs(state), BATCH).await
}

/// Deletes, in batches of `batch` rows, every row that has been dead since before
/// `now - grace` (see the module docs for what "dead" means per table).
///
/// # Errors
/// Database failures; what was deleted before stays deleted.
pub async fn purge(db: &Db, now: i64, grace: i64, batch: i64) -> Result<Purged, DbError> {
    let cutoff = now.saturating_sub(grace.max(0));
    let batch = batch.max(1);
    let mut counts = [0u64; STATEMENTS.len()];
    for (sql, deleted) in STATEMENTS.iter().zip(&mut counts) {
        loop {
            let n = crate::db::query(sql)
                .bind(cutoff)
                .bind(batch)
                .execute(db)
                .await?
                .rows_affected();
            *deleted = deleted.saturating_add(n);
            if n < u64::try_from(batch).unwrap_or(u64::MAX) {
                break;
            }
            // Let requests waiting for the database in between batches.
            tokio::task::yield_now().await;
        }
    }
    let [
        login_sessions,
        access_tokens,
        refresh_tokens,
        refresh_families,
        auth_codes,
        oid4vp_transactions,
        pushed_requests,
        dpop_proofs,
    ] = counts;
    Ok(Purged {
        login_sessions,
        access_tokens,
        refresh_tokens,
        refresh_families,
        auth_codes,
        oid4vp_transactions,
        pushed_requests,
        dpop_proofs,
    })
}

/// Runs [`purge_expired`] every `--cleanup-interval-secs`, the first time one
/// interval after the start; `None` (nothing spawned) when the interval is 0.
pub fn spawn_cleanup(state: &AppState) -> Option<tokio::task::JoinHandle<()>> {
    let secs = state.config.cleanup_interval_secs;
    if secs == 0 {
        return None;
    }
    let state = state.clone();
    let period = Duration::from_secs(u64::from(secs));
    Some(tokio::spawn(async move {
        let mut interval = tokio::time::interval(period);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        interval.tick().await;
        loop {
            interval.tick().await;
            match purge_expired(&state).await {
                Ok(p) if p.total() > 0 => tracing::info!(
                    login_sessions = p.login_sessions,
                    access_tokens = p.access_tokens,
                    refresh_tokens = p.refresh_tokens,
                    refresh_families = p.refresh_families,
                    auth_codes = p.auth_codes,
                    oid4vp_transactions = p.oid4vp_transactions,
                    "expired rows deleted"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "deleting expired rows failed"),
            }
        }
    }))
}
