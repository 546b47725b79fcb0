-- provider-server schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql.
-- Secrets (client secrets, codes, tokens, login challenges) are stored as SHA-256
-- hashes; signing keys are stored unencrypted (see provider-server's crate docs).

CREATE TABLE settings (
    name TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE clients (
    client_id TEXT PRIMARY KEY NOT NULL,
    secret_hash TEXT,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY NOT NULL,
    alg TEXT NOT NULL,
    private_key TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    superseded_at BIGINT,
    retire_at BIGINT
);

CREATE TABLE login_sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    request TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    challenge TEXT,
    challenge_state TEXT NOT NULL,
    wallet_key_uri TEXT,
    completed_at BIGINT,
    response TEXT
);

CREATE TABLE auth_codes (
    code_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    grant_data TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE refresh_families (
    family_id TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    code_hash TEXT,
    revoked BIGINT NOT NULL
);
CREATE INDEX refresh_families_code ON refresh_families (code_hash);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    family_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    grant_data TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    client_id TEXT NOT NULL,
    grant_data TEXT NOT NULL,
    code_hash TEXT,
    family_id TEXT,
    expires_at BIGINT NOT NULL,
    revoked BIGINT NOT NULL
);
CREATE INDEX access_tokens_code ON access_tokens (code_hash);
CREATE INDEX access_tokens_family ON access_tokens (family_id);
