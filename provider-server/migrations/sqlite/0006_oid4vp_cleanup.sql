-- The cleanup (src/cleanup.rs) deletes expired OID4VP transactions by expires_at.
CREATE INDEX oid4vp_transactions_expires ON oid4vp_transactions (expires_at);
