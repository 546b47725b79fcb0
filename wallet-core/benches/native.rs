//! Native criterion benchmarks of wallet-core's hot operations:
//! `cargo bench -p wallet-core --bench native`. Figures go to BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[cfg(not(target_arch = "wasm32"))]
mod native {
    include!("support/ops.rs");

    fn all(c: &mut criterion::Criterion) {
        wallet_benches!(c);
    }

    criterion::criterion_group! {
        name = benches;
        config = criterion::Criterion::default()
            .sample_size(20)
            .warm_up_time(std::time::Duration::from_millis(500))
            .measurement_time(std::time::Duration::from_secs(2));
        targets = all
    }
    pub use benches as group;
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::group);

#[cfg(target_arch = "wasm32")]
fn main() {}
