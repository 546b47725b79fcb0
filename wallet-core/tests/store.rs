//! The encrypted wallet store: Argon2id and AES-256-GCM conformance vectors, the blob
//! format (v2 golden fixture, v1 upgrade), every error variant, and the purity of the API.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
mod rng;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead as _, KeyInit as _, Payload};
use argon2::{Algorithm, Argon2, AssociatedData, ParamsBuilder, Version};
use rng::{FailingRandom, SeededRandom};
use serde_json::Value;
use wallet_core::encoding::{b64u_decode, b64u_encode};
use wallet_core::random::RandomError;
use wallet_core::store::{
    self, CURRENT_VERSION, DerivedKey, KdfParams, MAX_BLOB_LEN, MAX_PLAINTEXT_LEN, Password,
    StoreError, change_password, inspect, reseal, seal_new, unlock, unlock_with_key,
};

const ARGON2_VECTORS: &str = include_str!("../../tests/vectors/argon2/argon2id.json");
const GCM_VECTORS: &str = include_str!("../../tests/vectors/aes-gcm/aes256gcm.json");
const V1_FIXTURE: &str = include_str!("../../tests/vectors/wallet-store/v1.json");
const V2_FIXTURE: &str = include_str!("../../tests/vectors/wallet-store/v2.json");

/// Cheap parameters at the floor, so most tests cost ~1 ms per derivation.
fn weak() -> KdfParams {
    KdfParams::new(KdfParams::MIN_M_COST_KIB, 1, 1).unwrap()
}

fn pw(s: &str) -> Password {
    Password::from(s)
}

fn field<'a>(v: &'a Value, name: &str) -> &'a str {
    v[name].as_str().unwrap()
}

fn hex(v: &Value, name: &str) -> Vec<u8> {
    hex::decode(field(v, name)).unwrap()
}

/// A weak-parameter blob of `plaintext` under "pw" and its key.
fn sealed(plaintext: &[u8], seed: &[u8]) -> (String, DerivedKey) {
    seal_new(plaintext, &pw("pw"), weak(), &mut SeededRandom::new(seed)).unwrap()
}

/// Decodes a blob, lets `f` edit its bytes, re-encodes it.
fn edit(blob: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut bytes = b64u_decode(blob).unwrap();
    f(&mut bytes);
    b64u_encode(bytes)
}

/// The exported form of a key, built by hand from its parts (docs/store-format.md).
fn export_string(params: (u32, u32, u32), salt: &[u8], key: &[u8]) -> String {
    let mut b = b"SSIK".to_vec();
    b.extend([1, 1, 0x13]);
    for w in [params.0, params.1, params.2] {
        b.extend(w.to_be_bytes());
    }
    b.push(u8::try_from(salt.len()).unwrap());
    b.extend(salt);
    b.extend(key);
    b64u_encode(b)
}

// ---- conformance vectors ----------------------------------------------------------

#[test]
fn argon2id_matches_rfc9106_and_reference_vectors() {
    let vectors: Vec<Value> = serde_json::from_str(ARGON2_VECTORS).unwrap();
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        let mut builder = ParamsBuilder::new();
        builder
            .m_cost(u32::try_from(v["m_cost_kib"].as_u64().unwrap()).unwrap())
            .t_cost(u32::try_from(v["t_cost"].as_u64().unwrap()).unwrap())
            .p_cost(u32::try_from(v["p_cost"].as_u64().unwrap()).unwrap())
            .output_len(32);
        let ad = hex(v, "ad");
        if !ad.is_empty() {
            builder.data(AssociatedData::new(&ad).unwrap());
        }
        let params = builder.build().unwrap();
        let secret = hex(v, "secret");
        assert_eq!(v["version"], 0x13);
        let argon = if secret.is_empty() {
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        } else {
            Argon2::new_with_secret(&secret, Algorithm::Argon2id, Version::V0x13, params).unwrap()
        };
        let mut out = [0u8; 32];
        argon
            .hash_password_into(&hex(v, "password"), &hex(v, "salt"), &mut out)
            .unwrap();
        assert_eq!(out.to_vec(), hex(v, "tag"), "{}", field(v, "source"));
    }
}

#[test]
fn aes256gcm_matches_gcm_spec_and_cavp_vectors() {
    let vectors: Vec<Value> = serde_json::from_str(GCM_VECTORS).unwrap();
    assert_eq!(vectors.len(), 5);
    for v in &vectors {
        let cipher = Aes256Gcm::new_from_slice(&hex(v, "key")).unwrap();
        let iv = hex(v, "iv");
        let nonce = iv.as_slice().try_into().unwrap();
        let (aad, pt) = (hex(v, "aad"), hex(v, "plaintext"));
        let mut expected = hex(v, "ciphertext");
        expected.extend(hex(v, "tag"));
        let out = cipher
            .encrypt(
                nonce,
                Payload {
                    msg: &pt,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(out, expected, "{}", field(v, "source"));
        let back = cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &out,
                    aad: &aad,
                },
            )
            .unwrap();
        assert_eq!(back, pt);
        let mut bad = out.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(
            cipher
                .decrypt(
                    nonce,
                    Payload {
                        msg: &bad,
                        aad: &aad
                    }
                )
                .is_err()
        );
    }
}

// ---- fixtures: golden v2, upgrade from v1 -----------------------------------------

#[test]
fn golden_v2_fixture_is_reproduced_and_unlocks_at_default_params() {
    let fx: Value = serde_json::from_str(V2_FIXTURE).unwrap();
    let password = pw(field(&fx, "password"));
    let plaintext = field(&fx, "plaintext").as_bytes();
    let mut rng = SeededRandom::new(field(&fx, "rng_seed").as_bytes());
    let (blob, key) = seal_new(plaintext, &password, KdfParams::default(), &mut rng).unwrap();
    assert_eq!(blob, field(&fx, "blob"), "the v2 format changed");
    assert_eq!(key.params(), KdfParams::OWASP_MINIMUM);

    let info = inspect(&blob).unwrap();
    assert_eq!(info.version, CURRENT_VERSION);
    assert_eq!(info.version, 2);
    assert_eq!(info.params.m_cost_kib(), 19456);
    assert_eq!(info.params.t_cost(), 2);
    assert_eq!(info.params.p_cost(), 1);
    assert_eq!(info.salt.len(), 16);

    let u = unlock(
        field(&fx, "blob"),
        &password,
        KdfParams::default(),
        &mut FailingRandom,
    )
    .unwrap();
    assert_eq!(u.plaintext(), plaintext);
    assert!(u.upgraded_blob().is_none());
}

#[test]
fn v1_fixture_is_upgraded_on_unlock_and_the_input_is_untouched() {
    let fx: Value = serde_json::from_str(V1_FIXTURE).unwrap();
    let v1_blob = field(&fx, "blob").to_owned();
    let password = pw(field(&fx, "password"));
    let plaintext = field(&fx, "plaintext").as_bytes();

    let old = inspect(&v1_blob).unwrap();
    assert_eq!(old.version, 1);
    assert_eq!(
        (
            old.params.m_cost_kib(),
            old.params.t_cost(),
            old.params.p_cost()
        ),
        (4096, 3, 1)
    );
    assert_eq!(old.salt, hex(&fx, "salt_hex"));
    assert!(old.needs_upgrade(&KdfParams::default()));

    let mut rng = SeededRandom::new(b"upgrade");
    let u = unlock(&v1_blob, &password, KdfParams::default(), &mut rng).unwrap();
    assert_eq!(u.plaintext(), plaintext);
    assert_eq!(
        v1_blob,
        field(&fx, "blob"),
        "the input blob must not change"
    );
    let upgraded = u.upgraded_blob().expect("a v1 blob is upgraded").to_owned();

    let new = inspect(&upgraded).unwrap();
    assert_eq!(new.version, CURRENT_VERSION);
    assert_eq!(new.params, KdfParams::default());
    assert_ne!(new.salt, old.salt, "fresh salt");
    assert_ne!(new.nonce, old.nonce, "fresh nonce");
    assert!(!new.needs_upgrade(&KdfParams::default()));

    // The returned key is the upgraded blob's key, not the v1 one.
    assert_eq!(u.key().salt(), new.salt.as_slice());
    assert_eq!(
        unlock_with_key(&upgraded, u.key()).unwrap().plaintext(),
        plaintext
    );
    assert_eq!(
        unlock_with_key(&v1_blob, u.key()).unwrap_err(),
        StoreError::KeyMismatch
    );
}

#[test]
fn v1_fixture_opens_with_its_cached_key_and_reseal_writes_v2() {
    let fx: Value = serde_json::from_str(V1_FIXTURE).unwrap();
    let v1_blob = field(&fx, "blob");
    let key = DerivedKey::import(&export_string(
        (4096, 3, 1),
        &hex(&fx, "salt_hex"),
        &hex(&fx, "key_hex"),
    ))
    .unwrap();
    let u = unlock_with_key(v1_blob, &key).unwrap();
    assert_eq!(u.plaintext(), field(&fx, "plaintext").as_bytes());
    assert!(
        u.upgraded_blob().is_none(),
        "no upgrade without the password"
    );

    let resealed = reseal(v1_blob, b"new contents", &key, &mut SeededRandom::new(b"r")).unwrap();
    let info = inspect(&resealed).unwrap();
    assert_eq!(info.version, CURRENT_VERSION);
    assert_eq!(info.params, key.params());
    let back = unlock(
        &resealed,
        &pw(field(&fx, "password")),
        weak(),
        &mut FailingRandom,
    );
    assert_eq!(back.unwrap().plaintext(), b"new contents");
}

// ---- round trips and the API's write policy ------------------------------------------

#[test]
fn seal_and_unlock_round_trip() {
    for plaintext in [&b""[..], b"x", br#"{"identities":[{"name":"Alice"}]}"#] {
        let (blob, key) = sealed(plaintext, b"rt");
        let u = unlock(&blob, &pw("pw"), weak(), &mut FailingRandom).unwrap();
        assert_eq!(u.plaintext(), plaintext);
        assert!(u.upgraded_blob().is_none());
        assert_eq!(u.key().salt(), key.salt());
        assert_eq!(u.key().params(), weak());
        let (pt, k, up) = u.into_parts();
        assert_eq!(&*pt, plaintext);
        assert_eq!(k.export(), key.export());
        assert!(up.is_none());
    }
}

#[test]
fn every_seal_with_the_password_draws_a_fresh_salt_and_nonce() {
    let mut rng = SeededRandom::new(b"fresh");
    let (a, _) = seal_new(b"same", &pw("pw"), weak(), &mut rng).unwrap();
    let (b, _) = seal_new(b"same", &pw("pw"), weak(), &mut rng).unwrap();
    let (ia, ib) = (inspect(&a).unwrap(), inspect(&b).unwrap());
    assert_ne!(ia.salt, ib.salt);
    assert_ne!(ia.nonce, ib.nonce);
    assert_ne!(a, b);
}

#[test]
fn weaker_params_are_upgraded_to_the_target_and_stronger_ones_kept() {
    let stronger = KdfParams::new(2 * KdfParams::MIN_M_COST_KIB, 1, 1).unwrap();
    let (blob, _) = sealed(b"data", b"weaker");
    let info = inspect(&blob).unwrap();
    assert!(info.needs_upgrade(&stronger));
    assert!(!info.needs_upgrade(&weak()));

    let u = unlock(&blob, &pw("pw"), stronger, &mut SeededRandom::new(b"up")).unwrap();
    let up = u.upgraded_blob().unwrap();
    let new = inspect(up).unwrap();
    assert_eq!(new.params, stronger);
    assert_ne!(new.salt, info.salt);
    assert_eq!(u.key().params(), stronger);
    assert_eq!(unlock_with_key(up, u.key()).unwrap().plaintext(), b"data");

    // More passes also count as stronger.
    let more_passes = KdfParams::new(KdfParams::MIN_M_COST_KIB, 2, 1).unwrap();
    assert!(weak().is_weaker_than(&more_passes));

    // A blob stronger than the target is never downgraded.
    let strong_blob = unlock(&blob, &pw("pw"), stronger, &mut SeededRandom::new(b"x"))
        .unwrap()
        .into_parts()
        .2
        .unwrap();
    let u = unlock(&strong_blob, &pw("pw"), weak(), &mut FailingRandom).unwrap();
    assert!(u.upgraded_blob().is_none());
}

#[test]
fn reseal_with_the_cached_key_keeps_salt_and_params_and_draws_a_fresh_nonce() {
    let (blob, key) = sealed(b"v1 of the data", b"reseal");
    let before = blob.clone();
    let next = reseal(&blob, b"v2 of the data", &key, &mut SeededRandom::new(b"n")).unwrap();
    assert_eq!(blob, before);
    let (old, new) = (inspect(&blob).unwrap(), inspect(&next).unwrap());
    assert_eq!(new.salt, old.salt);
    assert_eq!(new.params, old.params);
    assert_ne!(new.nonce, old.nonce);
    assert_eq!(
        unlock_with_key(&next, &key).unwrap().plaintext(),
        b"v2 of the data"
    );
    // The password still opens it: same salt and parameters, same key.
    let u = unlock(&next, &pw("pw"), weak(), &mut FailingRandom).unwrap();
    assert_eq!(u.plaintext(), b"v2 of the data");
}

#[test]
fn change_password_reencrypts_with_fresh_salt_and_refuses_a_wrong_old_password() {
    let (blob, old_key) = sealed(b"secret data", b"chpw");
    let original = blob.clone();
    let mut rng = SeededRandom::new(b"chpw-new");

    let err = change_password(&blob, &pw("wrong"), &pw("new"), weak(), &mut rng).unwrap_err();
    assert_eq!(err, StoreError::WrongPasswordOrTampered);
    let err = change_password(&blob, &pw("pw"), &pw(""), weak(), &mut rng).unwrap_err();
    assert_eq!(err, StoreError::EmptyPassword);
    assert_eq!(blob, original);

    let (next, new_key) = change_password(&blob, &pw("pw"), &pw("new"), weak(), &mut rng).unwrap();
    assert_ne!(inspect(&next).unwrap().salt, inspect(&blob).unwrap().salt);
    assert_ne!(inspect(&next).unwrap().nonce, inspect(&blob).unwrap().nonce);
    assert_eq!(
        unlock(&next, &pw("pw"), weak(), &mut FailingRandom).unwrap_err(),
        StoreError::WrongPasswordOrTampered
    );
    let u = unlock(&next, &pw("new"), weak(), &mut FailingRandom).unwrap();
    assert_eq!(u.plaintext(), b"secret data");
    assert_eq!(
        unlock_with_key(&next, &new_key).unwrap().plaintext(),
        b"secret data"
    );

    // A key cached before the change is stale: it can neither read nor write the new blob.
    assert_eq!(
        unlock_with_key(&next, &old_key).unwrap_err(),
        StoreError::KeyMismatch
    );
    assert_eq!(
        reseal(&next, b"overwrite", &old_key, &mut rng).unwrap_err(),
        StoreError::KeyMismatch
    );
}

// ---- the cached key ------------------------------------------------------------------

#[test]
fn derived_key_exports_and_imports_for_session_storage() {
    let (blob, key) = sealed(b"session", b"export");
    let exported = key.export();
    let imported = DerivedKey::import(&exported).unwrap();
    assert_eq!(imported.params(), key.params());
    assert_eq!(imported.salt(), key.salt());
    assert_eq!(
        unlock_with_key(&blob, &imported).unwrap().plaintext(),
        b"session"
    );

    // Same salt and params but different key bytes: authentication fails.
    let mut raw = b64u_decode(&exported).unwrap();
    *raw.last_mut().unwrap() ^= 1;
    let wrong = DerivedKey::import(&b64u_encode(raw)).unwrap();
    assert_eq!(
        unlock_with_key(&blob, &wrong).unwrap_err(),
        StoreError::WrongKeyOrTampered
    );
    assert_eq!(
        reseal(&blob, b"x", &wrong, &mut SeededRandom::new(b"w")).unwrap_err(),
        StoreError::WrongKeyOrTampered
    );

    // A key for another blob (another salt).
    let (_, other) = sealed(b"session", b"another");
    assert_eq!(
        unlock_with_key(&blob, &other).unwrap_err(),
        StoreError::KeyMismatch
    );
}

#[test]
fn derived_key_import_rejects_anything_else() {
    let (blob, key) = sealed(b"k", b"import");
    let good = b64u_decode(&key.export()).unwrap();
    let cases: Vec<String> = vec![
        String::new(),
        "not base64!".into(),
        blob.clone(),
        b64u_encode(&good[..good.len() - 1]),
        b64u_encode([good.as_slice(), &[0]].concat()),
        edit(&b64u_encode(&good), |b| b[0] = b'X'),
        edit(&b64u_encode(&good), |b| b[4] = 2),
        edit(&b64u_encode(&good), |b| b[5] = 2),
        edit(&b64u_encode(&good), |b| b[6] = 0x10),
        edit(&b64u_encode(&good), |b| b[19] = 8),
        "A".repeat(300),
    ];
    for c in &cases {
        assert_eq!(
            DerivedKey::import(c).unwrap_err(),
            StoreError::InvalidExportedKey,
            "{c}"
        );
    }
    assert_eq!(
        DerivedKey::import(&export_string((1 << 21, 1, 1), &[0; 16], &[0; 32])).unwrap_err(),
        StoreError::ParamsOutOfBounds {
            m_cost_kib: 1 << 21,
            t_cost: 1,
            p_cost: 1
        }
    );
}

#[test]
fn secrets_are_redacted_in_debug_output() {
    let (blob, key) = sealed(b"TOP-SECRET-PLAINTEXT", b"debug");
    let key_hex = hex::encode(&b64u_decode(&key.export()).unwrap()[36..]);
    let shown = format!("{key:?}");
    assert!(shown.contains("redacted"));
    assert!(!shown.contains(&key_hex));
    let p = pw("hunter2");
    assert!(!format!("{p:?}").contains("hunter2"));
    let u = unlock(&blob, &pw("pw"), weak(), &mut FailingRandom).unwrap();
    let shown = format!("{u:?}");
    assert!(!shown.contains("TOP-SECRET"));
    assert!(
        !shown.contains("84, 79, 80"),
        "plaintext bytes must not be printed"
    );
}

// ---- the header is authenticated ------------------------------------------------------

#[test]
fn the_header_is_the_gcm_associated_data() {
    let (blob, key) = sealed(b"bound", b"aad");
    let bytes = b64u_decode(&blob).unwrap();
    let header_len = 4 + 1 + 1 + 1 + 12 + 1 + 16 + 12 + 4;
    let (header, sealed_part) = bytes.split_at(header_len);
    let raw_key = &b64u_decode(&key.export()).unwrap()[36..];
    let cipher = Aes256Gcm::new_from_slice(raw_key).unwrap();
    let nonce = header[36..48].try_into().unwrap();
    let ok = cipher.decrypt(
        nonce,
        Payload {
            msg: sealed_part,
            aad: header,
        },
    );
    assert_eq!(ok.unwrap(), b"bound");
    assert!(
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: sealed_part,
                    aad: b""
                }
            )
            .is_err()
    );
}

#[test]
fn altered_header_or_ciphertext_fails_authentication() {
    let (blob, key) = sealed(b"authenticated contents", b"tamper");
    let password = pw("pw");
    let mut rng = FailingRandom;
    let expect_auth = |b: &str| {
        assert_eq!(
            unlock(b, &password, weak(), &mut FailingRandom).unwrap_err(),
            StoreError::WrongPasswordOrTampered
        );
    };
    // Parameter downgrade/upgrade inside the bounds: another key, tag fails.
    expect_auth(&edit(&blob, |b| b[14] = 2)); // t: 1 -> 2
    expect_auth(&edit(&blob, |b| b[9] = 0x20)); // m: 4096 -> 8192
    expect_auth(&edit(&blob, |b| b[20] ^= 1)); // salt
    expect_auth(&edit(&blob, |b| b[40] ^= 1)); // nonce
    expect_auth(&edit(&blob, |b| b[52] ^= 1)); // ciphertext
    expect_auth(&edit(&blob, |b| *b.last_mut().unwrap() ^= 1)); // tag
    assert_eq!(
        unlock(&blob, &pw("wrong"), weak(), &mut rng).unwrap_err(),
        StoreError::WrongPasswordOrTampered
    );
    // With the cached key, a changed salt/params is a key mismatch, a changed
    // nonce/ciphertext a tag failure.
    assert_eq!(
        unlock_with_key(&edit(&blob, |b| b[20] ^= 1), &key).unwrap_err(),
        StoreError::KeyMismatch
    );
    assert_eq!(
        unlock_with_key(&edit(&blob, |b| b[40] ^= 1), &key).unwrap_err(),
        StoreError::WrongKeyOrTampered
    );
}

#[test]
fn version_swap_to_v1_fails_authentication() {
    // Re-label a v2 blob as v1 (v1's layout: salt and nonce right after the version):
    // the salt, nonce and parameters now read differently and the tag fails.
    let (blob, _) = sealed(b"swap", b"swap");
    let swapped = edit(&blob, |b| b[4] = 1);
    assert_eq!(inspect(&swapped).unwrap().version, 1);
    assert_eq!(
        unlock(&swapped, &pw("pw"), weak(), &mut FailingRandom).unwrap_err(),
        StoreError::WrongPasswordOrTampered
    );
}

// ---- structural errors, each its own variant -------------------------------------------

#[test]
fn structural_errors_are_reported_before_any_key_derivation() {
    let (blob, _) = sealed(b"structure", b"structure");
    let check = |b: &str, want: StoreError| {
        // FailingRandom and an absurd password: only parsing can produce these errors.
        assert_eq!(inspect(b).unwrap_err(), want, "inspect");
        assert_eq!(
            unlock(b, &pw("pw"), weak(), &mut FailingRandom).unwrap_err(),
            want,
            "unlock"
        );
    };
    check("", StoreError::Truncated);
    check("U1NJ", StoreError::Truncated); // "SSI"
    check(&b64u_encode(b"SSIW"), StoreError::Truncated);
    check(&b64u_encode(b"SSIW\x02\x01\x13\x00"), StoreError::Truncated);
    check(&blob[..blob.len() - 4], StoreError::Truncated);
    check(&edit(&blob, |b| b.truncate(60)), StoreError::Truncated);
    check("not*base64", StoreError::Malformed("not base64url"));
    check(&format!("{blob}="), StoreError::Malformed("not base64url"));
    check(
        &edit(&blob, |b| b[0] = b'X'),
        StoreError::Malformed("bad magic"),
    );
    check(
        &b64u_encode(b"{\"v\":2}"),
        StoreError::Malformed("bad magic"),
    );
    check(
        &edit(&blob, |b| b.push(0)),
        StoreError::Malformed("trailing bytes"),
    );
    check(
        &edit(&blob, |b| b[19] = 15),
        StoreError::Malformed("salt length"),
    );
    check(
        &edit(&blob, |b| b[19] = 65),
        StoreError::Malformed("salt length"),
    );
    check(
        &edit(&blob, |b| b[48] = 0x01),
        StoreError::Malformed("plaintext length"),
    );
    check(&edit(&blob, |b| b[4] = 0), StoreError::UnknownVersion(0));
    check(&edit(&blob, |b| b[4] = 3), StoreError::UnknownVersion(3));
    check(&edit(&blob, |b| b[5] = 2), StoreError::UnsupportedKdf(2));
    check(
        &edit(&blob, |b| b[6] = 0x10),
        StoreError::UnsupportedKdfVersion(0x10),
    );
    let bounds = |m: u32, t: u32, p: u32| StoreError::ParamsOutOfBounds {
        m_cost_kib: m,
        t_cost: t,
        p_cost: p,
    };
    check(&edit(&blob, |b| b[7] = 0x01), bounds(0x0100_1000, 1, 1)); // m = 16 GiB
    check(&edit(&blob, |b| b[14] = 11), bounds(4096, 11, 1));
    check(&edit(&blob, |b| b[14] = 0), bounds(4096, 0, 1));
    check(&edit(&blob, |b| b[18] = 5), bounds(4096, 1, 5));
    check(&edit(&blob, |b| b[18] = 0), bounds(4096, 1, 0));
    check(
        &edit(&blob, |b| b[9] = 0x08), // m = 2048 KiB, below the 4 MiB floor
        StoreError::ParamsTooWeak {
            m_cost_kib: 2048,
            t_cost: 1,
        },
    );
    let huge = "A".repeat(MAX_BLOB_LEN + 1);
    check(
        &huge,
        StoreError::Oversize {
            len: MAX_BLOB_LEN + 1,
            max: MAX_BLOB_LEN,
        },
    );
}

#[test]
fn failed_operations_return_no_blob_and_leave_the_input_unchanged() {
    let (blob, key) = sealed(b"keep me", b"pure");
    let copy = blob.clone();
    assert!(unlock(&blob, &pw("bad"), weak(), &mut FailingRandom).is_err());
    assert!(
        change_password(
            &blob,
            &pw("bad"),
            &pw("n"),
            weak(),
            &mut SeededRandom::new(b"a")
        )
        .is_err()
    );
    assert!(reseal(&blob, b"new", &key, &mut FailingRandom).is_err());
    assert!(
        reseal(
            &edit(&blob, |b| b[52] ^= 1),
            b"new",
            &key,
            &mut SeededRandom::new(b"b")
        )
        .is_err()
    );
    assert_eq!(blob, copy);
    assert_eq!(
        unlock(&blob, &pw("pw"), weak(), &mut FailingRandom)
            .unwrap()
            .plaintext(),
        b"keep me"
    );
}

#[test]
fn random_failures_surface_as_errors() {
    let random = StoreError::Random(RandomError);
    assert_eq!(
        seal_new(b"x", &pw("pw"), weak(), &mut FailingRandom).unwrap_err(),
        random
    );
    let (blob, key) = sealed(b"x", b"rng");
    assert_eq!(
        reseal(&blob, b"y", &key, &mut FailingRandom).unwrap_err(),
        random
    );
    assert_eq!(
        change_password(&blob, &pw("pw"), &pw("n"), weak(), &mut FailingRandom).unwrap_err(),
        random
    );
    // An upgrade needs randomness: without it, unlock fails as a whole.
    let stronger = KdfParams::new(2 * KdfParams::MIN_M_COST_KIB, 1, 1).unwrap();
    assert_eq!(
        unlock(&blob, &pw("pw"), stronger, &mut FailingRandom).unwrap_err(),
        random
    );
}

#[test]
fn inputs_are_bounded_before_the_kdf_runs() {
    let big = vec![0u8; MAX_PLAINTEXT_LEN + 1];
    let too_large = StoreError::PlaintextTooLarge {
        len: MAX_PLAINTEXT_LEN + 1,
        max: MAX_PLAINTEXT_LEN,
    };
    assert_eq!(
        seal_new(&big, &pw("pw"), weak(), &mut FailingRandom).unwrap_err(),
        too_large
    );
    let (blob, key) = sealed(b"x", b"bound");
    assert_eq!(
        reseal(&blob, &big, &key, &mut FailingRandom).unwrap_err(),
        too_large
    );
    assert_eq!(
        seal_new(b"x", &pw(""), weak(), &mut FailingRandom).unwrap_err(),
        StoreError::EmptyPassword
    );
}

#[test]
fn kdf_params_are_bounded() {
    assert_eq!(KdfParams::default(), KdfParams::OWASP_MINIMUM);
    assert_eq!(KdfParams::new(19456, 2, 1).unwrap(), KdfParams::default());
    assert!(KdfParams::new(KdfParams::MAX_M_COST_KIB, 10, 4).is_ok());
    let oob = |m, t, p| StoreError::ParamsOutOfBounds {
        m_cost_kib: m,
        t_cost: t,
        p_cost: p,
    };
    assert_eq!(
        KdfParams::new(1024 * 1024 + 1, 1, 1).unwrap_err(),
        oob(1024 * 1024 + 1, 1, 1)
    );
    assert_eq!(KdfParams::new(4096, 11, 1).unwrap_err(), oob(4096, 11, 1));
    assert_eq!(KdfParams::new(4096, 0, 1).unwrap_err(), oob(4096, 0, 1));
    assert_eq!(KdfParams::new(4096, 1, 5).unwrap_err(), oob(4096, 1, 5));
    assert_eq!(KdfParams::new(4096, 1, 0).unwrap_err(), oob(4096, 1, 0));
    assert_eq!(
        KdfParams::new(4095, 2, 1).unwrap_err(),
        StoreError::ParamsTooWeak {
            m_cost_kib: 4095,
            t_cost: 2
        }
    );
    assert_eq!(store::MAX_PLAINTEXT_LEN, 8 * 1024 * 1024);
}
