//! Injectable randomness.
//!
//! Every operation that needs entropy takes a `&mut impl SecureRandom`, so that the
//! wallet (browser `crypto.getRandomValues`), the server (the OS) and deterministic
//! tests all run the same code. [`OsRandom`] is the production source on every target.

/// The source of randomness could not produce bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomError;

/// A cryptographically secure source of random bytes.
pub trait SecureRandom {
    /// Fills `dest` entirely with random bytes.
    ///
    /// # Errors
    /// [`RandomError`] when the underlying source fails; `dest` must then be discarded.
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RandomError>;

    /// Returns `N` random bytes.
    ///
    /// # Errors
    /// [`RandomError`] when the underlying source fails.
    fn bytes<const N: usize>(&mut self) -> Result<[u8; N], RandomError>
    where
        Self: Sized,
    {
        let mut out = [0u8; N];
        self.fill(&mut out)?;
        Ok(out)
    }
}

impl<R: SecureRandom + ?Sized> SecureRandom for &mut R {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RandomError> {
        (**self).fill(dest)
    }
}

/// The operating system's generator (`getrandom`): the kernel natively,
/// `crypto.getRandomValues` in a browser or service worker.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl SecureRandom for OsRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RandomError> {
        getrandom::fill(dest).map_err(|_| RandomError)
    }
}

/// Adapts a [`SecureRandom`] to the `rand_core` 0.6 traits that the `rsa` crate
/// expects. `RngCore::fill_bytes` cannot fail, so a failure is recorded instead and
/// the caller must check [`Rng06::failed`] and discard the result.
pub(crate) struct Rng06<'a, R: SecureRandom + ?Sized> {
    inner: &'a mut R,
    failed: bool,
}

impl<'a, R: SecureRandom + ?Sized> Rng06<'a, R> {
    pub(crate) fn new(inner: &'a mut R) -> Self {
        Self {
            inner,
            failed: false,
        }
    }

    /// `Err` when any request for randomness failed since construction.
    pub(crate) fn check(&self) -> Result<(), RandomError> {
        if self.failed {
            Err(RandomError)
        } else {
            Ok(())
        }
    }
}

impl<R: SecureRandom + ?Sized> rand_core06::RngCore for Rng06<'_, R> {
    fn next_u32(&mut self) -> u32 {
        let mut b = [0u8; 4];
        self.fill_bytes(&mut b);
        u32::from_le_bytes(b)
    }

    fn next_u64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.fill_bytes(&mut b);
        u64::from_le_bytes(b)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        if self.inner.fill(dest).is_err() {
            self.failed = true;
            dest.fill(0);
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core06::Error> {
        self.inner.fill(dest).map_err(|_| {
            self.failed = true;
            rand_core06::Error::from(core::num::NonZeroU32::MIN)
        })
    }
}

impl<R: SecureRandom + ?Sized> rand_core06::CryptoRng for Rng06<'_, R> {}
