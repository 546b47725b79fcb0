-- A code redeemed twice is marked here, so tokens its first redemption issues are
-- refused even when they are written after the reuse was detected (concurrent
-- redemptions on two instances).
ALTER TABLE auth_codes ADD COLUMN reused_at INTEGER;
