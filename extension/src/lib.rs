//! The wallet extension's wasm module.
//!
//! Only the binding surface that exists today is exported: the service worker, content
//! script and popup arrive with the extension issue. Nothing here re-implements
//! cryptography: every call goes to `wallet-core`.

use wasm_bindgen::prelude::wasm_bindgen;

/// The version of the wasm module, so the service worker can check it loaded the build
/// it expects.
#[wasm_bindgen(js_name = walletVersion)]
#[must_use]
pub fn wallet_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
