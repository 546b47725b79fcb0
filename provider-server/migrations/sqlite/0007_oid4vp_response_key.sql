-- OID4VP `direct_post.jwt` (OID4VP 1.0 §8.3): the private key a transaction's
-- encrypted response is made for (a P-256 scalar, base64url, sealed like the
-- provider's other keys when --key-encryption-secret is set). NULL for a transaction
-- that asked for a plain `direct_post` response.
ALTER TABLE oid4vp_transactions ADD COLUMN response_key TEXT;
