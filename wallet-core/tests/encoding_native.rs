//! Hex, native only: `hex_encode` / `hex_decode` agree with the `hex` crate (an
//! independent implementation) on arbitrary bytes and arbitrary text.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use wallet_core::encoding::{hex_decode, hex_encode};

proptest! {
    #[test]
    fn encode_matches_the_hex_crate(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let ours = hex_encode(&bytes);
        prop_assert_eq!(&ours, &hex::encode(&bytes));
        prop_assert_eq!(hex_decode(&ours).unwrap(), bytes.clone());
        prop_assert_eq!(hex_decode(&ours.to_ascii_uppercase()).unwrap(), bytes);
    }

    #[test]
    fn decode_accepts_exactly_what_the_hex_crate_accepts(text in "[0-9a-fA-FxX g]{0,40}") {
        let stripped = text.strip_prefix("0x").unwrap_or(&text);
        prop_assert_eq!(hex_decode(&text).ok(), hex::decode(stripped).ok());
    }
}
