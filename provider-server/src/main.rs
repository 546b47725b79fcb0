//! `provider-server`: the OpenID Connect provider.
//!
//! The OIDC endpoints, the Credential API login and the storage are built in their own
//! issue. Until then this binary refuses to start instead of pretending to serve.

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!(
        "provider-server {}: the OpenID provider is not built yet (see the provider-server issue); \
         wallet-core is ready to be used by it.",
        env!("CARGO_PKG_VERSION")
    );
    ExitCode::from(2)
}
