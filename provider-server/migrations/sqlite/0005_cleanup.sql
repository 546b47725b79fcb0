-- The expired-row cleanup (src/cleanup.rs): indexes for its range scans and for the
-- "is anything still referencing this?" checks, and the age of a refresh family, so
-- that a family whose first tokens are still being written is never taken for empty.
ALTER TABLE refresh_families ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
