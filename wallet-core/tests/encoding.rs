//! Hex (the Credential API's ciphertexts, nonces and challenges): RFC 4648 §10 vectors,
//! both cases, the `0x` prefix, and rejection of odd lengths and non-hex digits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use wallet_core::encoding::{EncodingError, hex_decode, hex_encode};

const BASE16: &str = include_str!("../../tests/vectors/rfc4648/base16.json");

fn vectors() -> Vec<(String, String)> {
    serde_json::from_str(BASE16).unwrap()
}

#[test]
fn rfc4648_base16_vectors() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 7);
    for (input, upper) in vectors {
        assert_eq!(hex_encode(input.as_bytes()), upper.to_ascii_lowercase());
        assert_eq!(hex_decode(&upper).unwrap(), input.as_bytes(), "{upper}");
        assert_eq!(
            hex_decode(&upper.to_ascii_lowercase()).unwrap(),
            input.as_bytes()
        );
        assert_eq!(hex_decode(&format!("0x{upper}")).unwrap(), input.as_bytes());
    }
}

#[test]
fn every_byte_round_trips() {
    let all: Vec<u8> = (0..=255).collect();
    let text = hex_encode(&all);
    assert_eq!(text.len(), 512);
    assert!(
        text.bytes()
            .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
    );
    assert_eq!(&text[..8], "00010203");
    assert_eq!(&text[504..], "fcfdfeff");
    assert_eq!(hex_decode(&text).unwrap(), all);
    assert_eq!(hex_decode(&text.to_ascii_uppercase()).unwrap(), all);
}

#[test]
fn malformed_hex_is_refused() {
    for bad in [
        "6", "666", "6g", "g6", "66 6f", "0x0x66", "６６", "6\u{0}", "+6", "-6",
    ] {
        assert!(
            matches!(hex_decode(bad), Err(EncodingError::Hex)),
            "{bad:?} was accepted"
        );
    }
}
