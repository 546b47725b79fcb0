//! Property tests of the wallet store's parsers: arbitrary input never panics, and
//! every truncation and every single-character change of a valid blob is an error.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/rng.rs"]
mod rng;

use proptest::prelude::*;
use rng::{FailingRandom, SeededRandom};
use wallet_core::encoding::b64u_encode;
use wallet_core::store::{
    DerivedKey, KdfParams, Password, inspect, seal_new, unlock, unlock_with_key,
};

const B64U: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn weak() -> KdfParams {
    KdfParams::new(KdfParams::MIN_M_COST_KIB, 1, 1).unwrap()
}

fn sample() -> (String, DerivedKey) {
    seal_new(
        br#"{"identities":[{"name":"Alice"}]}"#,
        &Password::from("pw"),
        weak(),
        &mut SeededRandom::new(b"native"),
    )
    .unwrap()
}

#[test]
fn every_truncation_of_a_valid_blob_is_an_error() {
    let (blob, key) = sample();
    assert!(unlock_with_key(&blob, &key).is_ok());
    for len in 0..blob.len() {
        let cut = &blob[..len];
        assert!(
            inspect(cut).is_err(),
            "inspect accepted a blob cut at {len}"
        );
        assert!(unlock_with_key(cut, &key).is_err(), "cut at {len}");
        assert!(
            unlock(cut, &Password::from("pw"), weak(), &mut FailingRandom).is_err(),
            "unlock accepted a blob cut at {len}"
        );
    }
}

#[test]
fn every_single_character_change_of_a_valid_blob_is_an_error() {
    let (blob, key) = sample();
    let bytes = blob.as_bytes();
    for i in 0..bytes.len() {
        for &c in B64U.iter().chain(b"=+/ .") {
            if c == bytes[i] {
                continue;
            }
            let mut changed = bytes.to_vec();
            changed[i] = c;
            let changed = String::from_utf8(changed).unwrap();
            assert!(
                unlock_with_key(&changed, &key).is_err(),
                "char {i} -> {}",
                c as char
            );
        }
    }
    // With the password (each accepted parse costs a key derivation, so one change
    // per position): the next character of the alphabet.
    for i in 0..bytes.len() {
        let pos = B64U.iter().position(|&c| c == bytes[i]).unwrap();
        let mut changed = bytes.to_vec();
        changed[i] = B64U[(pos + 1) % B64U.len()];
        let changed = String::from_utf8(changed).unwrap();
        assert!(
            unlock(&changed, &Password::from("pw"), weak(), &mut FailingRandom).is_err(),
            "char {i} changed"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(s in ".{0,400}") {
        let _ = inspect(&s);
        let _ = unlock(&s, &Password::from("pw"), weak(), &mut FailingRandom);
        let _ = DerivedKey::import(&s);
    }

    #[test]
    fn arbitrary_bytes_after_a_valid_prefix_never_panic(
        version in 0u8..4,
        tail in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        // Parse-only paths: `inspect` and `unlock_with_key` (which refuses a key for
        // other parameters before any derivation), so no arbitrary Argon2 cost is paid.
        let (_, key) = sample();
        let mut bytes = b"SSIW".to_vec();
        bytes.push(version);
        bytes.extend(&tail);
        let s = b64u_encode(&bytes);
        let _ = inspect(&s);
        prop_assert!(unlock_with_key(&s, &key).is_err());
        let mut key_bytes = b"SSIK".to_vec();
        key_bytes.extend(&tail);
        let _ = DerivedKey::import(&b64u_encode(&key_bytes));
    }

    #[test]
    fn any_single_character_change_fails_with_the_cached_key(
        pos in any::<prop::sample::Index>(),
        c in any::<char>(),
    ) {
        let (blob, key) = sample();
        let i = pos.index(blob.len());
        let original = blob.as_bytes()[i] as char;
        prop_assume!(c != original);
        let mut changed = String::new();
        changed.push_str(&blob[..i]);
        changed.push(c);
        changed.push_str(&blob[i + 1..]);
        prop_assert!(unlock_with_key(&changed, &key).is_err());
    }

    #[test]
    fn arbitrary_plaintexts_round_trip(pt in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (blob, key) = seal_new(&pt, &Password::from("pw"), weak(), &mut SeededRandom::new(&pt)).unwrap();
        let u = unlock_with_key(&blob, &key).unwrap();
        prop_assert_eq!(u.plaintext(), pt.as_slice());
    }
}
