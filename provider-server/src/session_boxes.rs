//! The provider's Credential API boxes, one per wallet session key, kept between the
//! requests of a login.
//!
//! Every box of a login is between the provider's static key-agreement key and the
//! wallet's session key for that login: the challenge answer (`POST
//! /api/v1/challenge`), the `request-credential` (`GET /api/v1/credentials`) and the
//! wallet's reply (`POST /api/v1/credentials`). A [`SessionBox`] does the X25519 of
//! the pair once; this cache keeps it for the login's other two requests.
//!
//! - **Bounded.** At most `capacity` boxes; when full, the oldest goes first. A box
//!   is dropped once it is older than `ttl` (the login session lifetime), at the
//!   next access of the cache. The wallet's key is the attacker's choice, so the
//!   cache must never grow with the number of keys seen.
//! - **Only an optimisation.** A miss derives the box again, from the same two keys,
//!   with the same result: several instances behind one database, a restart, or an
//!   evicted entry cost time, never correctness.
//! - **Only in memory.** What is held is the derived box key (zeroized when the last
//!   reference drops), never written to the database or to logs; `Debug` prints the
//!   settings only.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use wallet_core::credential_api::{SessionBox, SessionError};
use wallet_core::keys::{X25519PrivateKey, X25519PublicKey};

/// The provider's [`SessionBox`]es, keyed by the wallet's X25519 public key.
pub struct SessionBoxes {
    provider_key: X25519PrivateKey,
    capacity: usize,
    ttl: Duration,
    cache: Mutex<Cache>,
}

impl core::fmt::Debug for SessionBoxes {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SessionBoxes")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Cache {
    boxes: HashMap<[u8; 32], (Arc<SessionBox>, Instant)>,
    /// Insertion order, oldest first, with each insertion's time. An entry since
    /// replaced by a newer box of the same key no longer matches its time in `boxes`
    /// and is skipped. Never longer than the capacity, so neither is `boxes`.
    order: VecDeque<([u8; 32], Instant)>,
}

impl SessionBoxes {
    /// The default capacity: boxes for this many concurrent logins (a few MB).
    pub const DEFAULT_CAPACITY: usize = 16_384;

    /// An empty cache for boxes of `provider_key`, holding at most `capacity` of
    /// them for `ttl` each (0 disables the cache).
    #[must_use]
    pub fn new(provider_key: X25519PrivateKey, capacity: usize, ttl: Duration) -> Self {
        Self {
            provider_key,
            capacity,
            ttl,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// The box between the provider's key and `wallet_key`, cached or derived now.
    ///
    /// # Errors
    /// [`SessionError::WeakKey`] for a low-order `wallet_key` (never cached).
    pub fn get(&self, wallet_key: &X25519PublicKey) -> Result<Arc<SessionBox>, SessionError> {
        let key = wallet_key.to_bytes();
        let now = Instant::now();
        {
            let mut cache = self.lock();
            cache.expire(now, self.ttl);
            if let Some((found, _)) = cache.boxes.get(&key) {
                return Ok(Arc::clone(found));
            }
        }
        // Derived outside the lock: two concurrent misses of one key both derive it
        // (the same box), and the later insertion replaces the earlier.
        let fresh = Arc::new(SessionBox::new(&self.provider_key, wallet_key)?);
        if self.capacity > 0 {
            self.lock()
                .insert(key, Arc::clone(&fresh), now, self.capacity);
        }
        Ok(fresh)
    }

    /// How many boxes are cached now.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lock().boxes.len()
    }

    /// Whether no box is cached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Cache> {
        // Nothing in the critical sections panics; should one, the maps are still
        // consistent (at worst an entry too many is dropped), so carry on.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Cache {
    /// Drops the boxes derived `ttl` or longer before `now`, oldest first.
    fn expire(&mut self, now: Instant, ttl: Duration) {
        while let Some(&(key, at)) = self.order.front() {
            if now.saturating_duration_since(at) < ttl {
                break;
            }
            self.order.pop_front();
            self.remove_if_inserted_at(&key, at);
        }
    }

    fn insert(
        &mut self,
        key: [u8; 32],
        session_box: Arc<SessionBox>,
        now: Instant,
        capacity: usize,
    ) {
        while self.order.len() >= capacity {
            match self.order.pop_front() {
                Some((old, at)) => self.remove_if_inserted_at(&old, at),
                None => break,
            }
        }
        self.order.push_back((key, now));
        self.boxes.insert(key, (session_box, now));
    }

    fn remove_if_inserted_at(&mut self, key: &[u8; 32], at: Instant) {
        if self.boxes.get(key).is_some_and(|(_, t)| *t == at) {
            self.boxes.remove(key);
        }
    }
}
