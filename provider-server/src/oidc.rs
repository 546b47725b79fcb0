//! The OpenID Connect / OAuth 2.0 endpoints (DESIGN §5).

pub mod authorize;
pub mod discovery;
pub mod dpop;
pub mod grants;
pub mod introspect;
pub mod logout;
pub mod par;
pub mod register;
pub mod revoke;
pub mod token;
pub mod userinfo;
