//! A deterministic [`SecureRandom`] for reproducible tests: SHA-256 in counter mode
//! over a seed. Never for production use; it lives under `tests/` only.

use sha2::{Digest as _, Sha256};
use wallet_core::random::{RandomError, SecureRandom};

/// Deterministic byte stream: block i = SHA-256(seed || i as u64 big-endian).
pub struct SeededRandom {
    seed: Vec<u8>,
    counter: u64,
    buffer: Vec<u8>,
}

impl SeededRandom {
    /// A stream determined entirely by `seed`.
    pub fn new(seed: &[u8]) -> Self {
        Self {
            seed: seed.to_vec(),
            counter: 0,
            buffer: Vec::new(),
        }
    }
}

impl SecureRandom for SeededRandom {
    fn fill(&mut self, dest: &mut [u8]) -> Result<(), RandomError> {
        for byte in dest.iter_mut() {
            if self.buffer.is_empty() {
                let mut h = Sha256::new();
                h.update(&self.seed);
                h.update(self.counter.to_be_bytes());
                self.counter += 1;
                self.buffer = h.finalize().to_vec();
                self.buffer.reverse();
            }
            *byte = self.buffer.pop().unwrap_or(0);
        }
        Ok(())
    }
}

/// A source that always fails, to test that failures surface as errors.
pub struct FailingRandom;

impl SecureRandom for FailingRandom {
    fn fill(&mut self, _dest: &mut [u8]) -> Result<(), RandomError> {
        Err(RandomError)
    }
}
