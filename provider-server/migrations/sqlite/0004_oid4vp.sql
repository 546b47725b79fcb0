-- OID4VP 1.0 authorization requests of login sessions (cross-device and headless
-- wallets). Keep in step with ../postgres/0004_oid4vp.sql.
--
-- id_hash is the hash of the request_uri handle; state_hash the hash of the state
-- derived from it; response_code_hash the hash of the response_code given to the
-- wallet. `holder` (the verified holder DID and mapped claims, JSON) lives only
-- until the result is delivered to the browser.
CREATE TABLE oid4vp_transactions (
    id_hash TEXT PRIMARY KEY NOT NULL,
    state_hash TEXT NOT NULL UNIQUE,
    login_hash TEXT NOT NULL,
    nonce TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    answered_at INTEGER,
    outcome TEXT,
    holder TEXT,
    error_description TEXT,
    response_code_hash TEXT UNIQUE,
    delivered_at INTEGER
);
CREATE INDEX oid4vp_transactions_login ON oid4vp_transactions (login_hash);
