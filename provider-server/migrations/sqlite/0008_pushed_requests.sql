-- Pushed authorization requests (RFC 9126, src/oidc/par.rs): the validated request
-- under the hash of its request_uri handle, until /authorize takes it (once) or it
-- expires; the cleanup (src/cleanup.rs) deletes expired ones by expires_at.
CREATE TABLE pushed_requests (
    handle_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    request TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX pushed_requests_expires ON pushed_requests (expires_at);
