//! Property tests: no status entry or list credential makes the decoder panic.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use proptest::prelude::*;
use serde_json::json;
use wallet_core::status_list::{StatusEntry, StatusList};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_encoded_lists_never_panic(s in "u[A-Za-z0-9_=-]{0,200}") {
        let cred = json!({"type": "BitstringStatusListCredential",
            "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": "revocation", "encodedList": s}});
        let _ = StatusList::from_credential(&cred);
    }

    #[test]
    fn arbitrary_entries_never_panic(index in any::<u64>(), size in any::<u8>(), purpose in ".{0,8}") {
        let e = json!({"type": "BitstringStatusListEntry", "statusPurpose": purpose,
            "statusListIndex": index.to_string(), "statusListCredential": "https://x", "statusSize": size});
        if let Ok(entry) = StatusEntry::from_value(&e) {
            let list = StatusList::new("revocation", 131_072, 1).unwrap();
            let _ = list.status(&entry);
        }
    }
}
