//! The same operations as `benches/native.rs`, timed inside headless Chromium with
//! wasm-bindgen-test's criterion port: `scripts/bench-browser`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]
#![cfg(target_arch = "wasm32")]

use std::hint::black_box;
use wallet_core::keys::{Ed25519PrivateKey, P256PrivateKey};
use wallet_core::random::OsRandom;
use wasm_bindgen_test::{Criterion, wasm_bindgen_bench};

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_bench]
fn ed25519(c: &mut Criterion) {
    let ed = Ed25519PrivateKey::generate(&mut OsRandom).unwrap();
    let pk = ed.public_key();
    let msg = [7u8; 256];
    let sig = ed.sign(&msg);
    c.bench_function("ed25519 sign (256 B)", |b| {
        b.iter(|| ed.sign(black_box(&msg)))
    });
    c.bench_function("ed25519 verify (256 B)", |b| {
        b.iter(|| pk.verify(black_box(&msg), &sig).unwrap())
    });
}

#[wasm_bindgen_bench]
fn es256(c: &mut Criterion) {
    let p = P256PrivateKey::generate(&mut OsRandom).unwrap();
    let pk = p.public_key();
    let msg = [7u8; 256];
    let sig = p.sign_es256(&msg);
    c.bench_function("es256 sign (256 B)", |b| {
        b.iter(|| p.sign_es256(black_box(&msg)))
    });
    c.bench_function("es256 verify (256 B)", |b| {
        b.iter(|| pk.verify_es256(black_box(&msg), &sig).unwrap())
    });
}
