//! The same operations as `benches/native.rs` (both include `support/ops.rs`), timed inside
//! headless Chromium with wasm-bindgen-test's criterion port: `scripts/bench-browser`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

include!("support/ops.rs");

#[wasm_bindgen_test::wasm_bindgen_bench]
fn all(c: &mut wasm_bindgen_test::Criterion) {
    wallet_benches!(c);
}
