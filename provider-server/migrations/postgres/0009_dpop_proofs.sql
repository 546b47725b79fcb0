-- DPoP proofs seen (RFC 9449 §11.1, src/oidc/dpop.rs): the hash of each proof's key
-- thumbprint and jti, until its iat leaves the accepted window; a second insert of
-- the same hash is a replay. The cleanup (src/cleanup.rs) deletes expired ones.
CREATE TABLE dpop_proofs (
    proof_hash TEXT PRIMARY KEY NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX dpop_proofs_expires ON dpop_proofs (expires_at);
