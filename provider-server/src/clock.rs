//! The clock that presentation verification (`now` of
//! [`wallet_core::presentation::VerificationPolicy`]) and the expired-row cleanup
//! ([`crate::cleanup`]) read. Injected through [`crate::AppState`] so that tests can
//! move it: the system time plus an offset.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// System time plus an adjustable offset, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    #[must_use]
    pub fn system() -> Self {
        Self::default()
    }

    /// Current time, unix seconds.
    #[must_use]
    pub fn now(&self) -> i64 {
        crate::web::now().saturating_add(self.offset.load(Ordering::Relaxed))
    }

    /// Moves this clock (and all its clones) `secs` away from the system time.
    pub fn set_offset(&self, secs: i64) {
        self.offset.store(secs, Ordering::Relaxed);
    }
}
