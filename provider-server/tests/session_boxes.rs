//! The provider's cache of Credential API boxes: a cached box is the box of the two
//! keys, hits share it, the cache stays within its capacity and drops old boxes, and
//! a low-order wallet key is refused and never cached. (The whole login through the
//! cache is exercised by `wallet_login.rs` and `login_api.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use provider_server::session_boxes::SessionBoxes;
use wallet_core::credential_api::{SessionBox, SessionError, open_with_nonce};
use wallet_core::keys::{X25519PrivateKey, X25519PublicKey};
use wallet_core::random::OsRandom;

const HOUR: Duration = Duration::from_secs(3600);

fn key() -> X25519PrivateKey {
    X25519PrivateKey::generate(&mut OsRandom).unwrap()
}

#[test]
fn cached_box_is_the_box_of_the_two_keys() {
    let provider = key();
    let wallet = key();
    let boxes = SessionBoxes::new(provider.clone(), 8, HOUR);
    let nonce = [3u8; 24];
    for _ in 0..3 {
        let at_provider = boxes.get(&wallet.public_key()).unwrap();
        let sealed = at_provider.seal_with_nonce(b"hello", &nonce).unwrap();
        assert_eq!(
            sealed,
            SessionBox::new(&provider, &wallet.public_key())
                .unwrap()
                .seal_with_nonce(b"hello", &nonce)
                .unwrap()
        );
        let opened = open_with_nonce(&sealed, &nonce, &wallet, &provider.public_key()).unwrap();
        assert_eq!(*opened, b"hello");
    }
    assert_eq!(boxes.len(), 1);
}

#[test]
fn hits_share_one_box_per_wallet_key() {
    let boxes = SessionBoxes::new(key(), 8, HOUR);
    let (a, b) = (key().public_key(), key().public_key());
    let first = boxes.get(&a).unwrap();
    assert!(Arc::ptr_eq(&first, &boxes.get(&a).unwrap()));
    assert!(!Arc::ptr_eq(&first, &boxes.get(&b).unwrap()));
    assert_eq!(boxes.len(), 2);
}

#[test]
fn capacity_bounds_the_cache_oldest_out_first() {
    let boxes = SessionBoxes::new(key(), 3, HOUR);
    let wallets: Vec<X25519PublicKey> = (0..10).map(|_| key().public_key()).collect();
    let held: Vec<_> = wallets.iter().map(|w| boxes.get(w).unwrap()).collect();
    assert_eq!(boxes.len(), 3);
    // The last three are cached; the first was evicted and is derived anew.
    for i in 7..10 {
        assert!(Arc::ptr_eq(&held[i], &boxes.get(&wallets[i]).unwrap()));
    }
    assert!(!Arc::ptr_eq(&held[0], &boxes.get(&wallets[0]).unwrap()));
    assert_eq!(boxes.len(), 3);
}

#[test]
fn expired_boxes_are_derived_again() {
    let boxes = SessionBoxes::new(key(), 8, Duration::ZERO);
    let w = key().public_key();
    let first = boxes.get(&w).unwrap();
    assert!(!Arc::ptr_eq(&first, &boxes.get(&w).unwrap()));
    assert!(boxes.len() <= 1);
    // A disabled cache still answers.
    let off = SessionBoxes::new(key(), 0, HOUR);
    off.get(&w).unwrap();
    assert!(off.is_empty());
}

#[test]
fn low_order_wallet_key_refused_and_not_cached() {
    let boxes = SessionBoxes::new(key(), 8, HOUR);
    let zero = X25519PublicKey::from_bytes(&[0u8; 32]).unwrap();
    assert_eq!(boxes.get(&zero).map(|_| ()), Err(SessionError::WeakKey));
    assert!(boxes.is_empty());
}

#[test]
fn debug_shows_no_key_material() {
    let boxes = SessionBoxes::new(key(), 8, HOUR);
    boxes.get(&key().public_key()).unwrap();
    let shown = format!("{boxes:?}");
    assert!(shown.starts_with("SessionBoxes { capacity: 8"), "{shown}");
}
