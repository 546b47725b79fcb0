-- The outstanding request-credential challenge of a login session (GET
-- /api/v1/credentials issues it, POST /api/v1/credentials consumes it once).
ALTER TABLE login_sessions ADD COLUMN vp_challenge TEXT;
