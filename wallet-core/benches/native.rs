//! Native criterion benchmarks of wallet-core's hot operations:
//! `cargo bench -p wallet-core --bench native`. Figures go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{Criterion, criterion_group};
    use std::hint::black_box;
    use wallet_core::keys::{Ed25519PrivateKey, P256PrivateKey};
    use wallet_core::random::OsRandom;

    fn signatures(c: &mut Criterion) {
        let ed = Ed25519PrivateKey::generate(&mut OsRandom).unwrap();
        let ed_pk = ed.public_key();
        let msg = [7u8; 256];
        let ed_sig = ed.sign(&msg);
        c.bench_function("ed25519 sign (256 B)", |b| {
            b.iter(|| ed.sign(black_box(&msg)))
        });
        c.bench_function("ed25519 verify (256 B)", |b| {
            b.iter(|| ed_pk.verify(black_box(&msg), &ed_sig).unwrap())
        });
        let p = P256PrivateKey::generate(&mut OsRandom).unwrap();
        let p_pk = p.public_key();
        let p_sig = p.sign_es256(&msg);
        c.bench_function("es256 sign (256 B)", |b| {
            b.iter(|| p.sign_es256(black_box(&msg)))
        });
        c.bench_function("es256 verify (256 B)", |b| {
            b.iter(|| p_pk.verify_es256(black_box(&msg), &p_sig).unwrap())
        });
    }

    criterion_group!(benches, signatures);
    pub use benches as group;
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::group);

#[cfg(target_arch = "wasm32")]
fn main() {}
