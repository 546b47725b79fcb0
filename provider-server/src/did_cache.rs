//! A memo of verification-method resolution.
//!
//! The provider resolves only self-describing DIDs (`did:key`, `did:jwk`), whose
//! verification methods are a pure function of the DID URL: decoding one costs a
//! base58 decode and, for Ed25519, a point decompression (about 2 % of a login's CPU,
//! paid twice per login for the same holder and issuer keys). [`CachedResolver`]
//! answers exactly what [`OfflineResolver`] answers, remembering successes.
//!
//! Bounded: at [`CAPACITY`] entries the memo starts over, so a stream of fresh DIDs
//! costs only the recomputation it would have cost anyway.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use wallet_core::data_integrity::{MethodResolver, OfflineResolver, ResolvedMethod};
use wallet_core::did::{DidError, DidUrl};

/// Entries kept before the memo starts over.
pub const CAPACITY: usize = 8192;

static METHODS: LazyLock<Mutex<HashMap<String, ResolvedMethod>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// [`OfflineResolver`] with a process-wide memo of the methods it resolved.
#[derive(Debug, Clone, Copy, Default)]
pub struct CachedResolver;

impl MethodResolver for CachedResolver {
    fn resolve_method(&self, url: &DidUrl) -> Result<ResolvedMethod, DidError> {
        if let Some(hit) = METHODS
            .lock()
            .ok()
            .and_then(|m| m.get(url.as_str()).cloned())
        {
            return Ok(hit);
        }
        let resolved = OfflineResolver.resolve_method(url)?;
        if let Ok(mut m) = METHODS.lock() {
            if m.len() >= CAPACITY {
                m.clear();
            }
            m.insert(url.as_str().to_owned(), resolved.clone());
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wallet_core::keys::{KeyType, PrivateKey};
    use wallet_core::random::OsRandom;

    /// Hits answer exactly what the resolver answers; failures are not remembered.
    #[test]
    fn answers_as_the_offline_resolver() {
        let key = PrivateKey::generate(KeyType::Ed25519, &mut OsRandom).unwrap();
        let did = wallet_core::did::key::encode(&key.public_key()).unwrap();
        let url = DidUrl::parse(&format!("{did}#{}", did.method_specific_id())).unwrap();
        let expected = OfflineResolver.resolve_method(&url).unwrap();
        assert_eq!(CachedResolver.resolve_method(&url).unwrap(), expected);
        assert_eq!(CachedResolver.resolve_method(&url).unwrap(), expected);

        let wrong = DidUrl::parse(&format!("{did}#other")).unwrap();
        let first = CachedResolver.resolve_method(&wrong).unwrap_err();
        assert_eq!(
            first.to_string(),
            OfflineResolver
                .resolve_method(&wrong)
                .unwrap_err()
                .to_string()
        );
        assert!(!METHODS.lock().unwrap().contains_key(wrong.as_str()));
    }
}
