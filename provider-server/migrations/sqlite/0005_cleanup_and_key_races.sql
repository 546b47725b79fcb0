-- The expired-row cleanup (src/cleanup.rs): indexes for its range scans and for the
-- "is anything still referencing this?" checks, and the age of a refresh family, so
-- that a family whose first tokens are still being written is never taken for empty.
ALTER TABLE refresh_families ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);
CREATE INDEX auth_codes_expires ON auth_codes (expires_at);
CREATE INDEX access_tokens_expires ON access_tokens (expires_at);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- At most one current signing key per algorithm, so that instances starting (and
-- rotating) at the same moment agree on it: the loser's INSERT … ON CONFLICT DO
-- NOTHING keeps the winner's key. Keys made current twice by that race before this
-- migration are superseded first, keeping the one every instance already signed with
-- (newest created_at, then greatest kid).
UPDATE signing_keys SET superseded_at = created_at, retire_at = created_at + 604800
WHERE superseded_at IS NULL AND EXISTS (
    SELECT 1 FROM signing_keys n
    WHERE n.alg = signing_keys.alg AND n.superseded_at IS NULL
      AND (n.created_at > signing_keys.created_at
           OR (n.created_at = signing_keys.created_at AND n.kid > signing_keys.kid)));
CREATE UNIQUE INDEX signing_keys_one_current ON signing_keys (alg) WHERE superseded_at IS NULL;
