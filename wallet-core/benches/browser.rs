//! The same operations as `benches/native.rs` (both include `support/ops.rs`), timed inside
//! headless Chromium with wasm-bindgen-test's criterion port: `scripts/bench-browser`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("support/ops.rs");

// The attribute's expansion names `Criterion` unqualified.
use wasm_bindgen_test::{Criterion, wasm_bindgen_bench};

#[wasm_bindgen_bench]
fn all(_default: &mut Criterion) {
    // The same sampling as the native harness, so the two tables compare like with like.
    let mut c = Criterion::default()
        .sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    wallet_benches!(&mut c);
}
