//! Credential API, native only: cross-checks against an independent NaCl
//! implementation (PyNaCl, i.e. libsodium) and property tests that no input panics.
//!
//! REQUIRES `python3` with PyNaCl (`pip install pynacl`); the cross-check tests fail
//! (they do not skip) when it is missing.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/rng.rs"]
#[allow(dead_code)]
mod rng;

use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use rng::SeededRandom;
use serde_json::{Value, json};
use wallet_core::credential_api::{
    EncryptedMessage, Message, MessageBody, RawEncryptedMessage, decrypt, encrypt, open_challenge,
};
use wallet_core::encoding::{hex_decode, hex_encode};
use wallet_core::keys::{X25519PrivateKey, X25519PublicKey};

const WALLET: &str = "did:key:z6LSwallet";
const WALLET_KEY: &str = "did:key:z6LSwallet#z6LSwallet";
const PROVIDER: &str = "did:web:provider.example";
const PROVIDER_KEY: &str = "did:web:provider.example#key-x25519";

/// Runs a Python snippet with `input` on stdin; returns stdout. Panics with a clear
/// message when python3 or PyNaCl is missing.
fn python(script: &str, input: &Value) -> String {
    let probe = Command::new("python3")
        .args(["-c", "import nacl.public"])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "PyNaCl is required for this cross-check: run `pip install pynacl` \
             (python3 with the `nacl` module must be on PATH)"
        ),
    }
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn keys(seed: &[u8]) -> (X25519PrivateKey, X25519PublicKey) {
    let sk = X25519PrivateKey::generate(&mut SeededRandom::new(seed)).unwrap();
    let pk = sk.public_key();
    (sk, pk)
}

#[test]
fn pynacl_opens_our_box() {
    let (psk, ppk) = keys(b"provider");
    let (wsk, wpk) = keys(b"wallet");
    let mut rng = SeededRandom::new(b"py1");
    let msg = Message::new(
        MessageBody::RequestCredential(
            json!({"challenge": "0a0b", "domain": "https://p.example", "ü": "€😀"}),
        ),
        PROVIDER,
        WALLET,
        1_700_000_000_000,
        &mut rng,
    )
    .unwrap();
    let enc = encrypt(&msg, PROVIDER_KEY, &psk, WALLET_KEY, &wpk, &mut rng).unwrap();
    let script = r#"
import sys, json
from nacl.public import PrivateKey, PublicKey, Box
d = json.load(sys.stdin)
box = Box(PrivateKey(bytes.fromhex(d["sk"])), PublicKey(bytes.fromhex(d["pk"])))
e = d["enc"]
print(box.decrypt(bytes.fromhex(e["ciphertext"]), bytes.fromhex(e["nonce"])).hex())
"#;
    let input = json!({
        "sk": hex_encode(*wsk.to_bytes()),
        "pk": hex_encode(ppk.to_bytes()),
        "enc": serde_json::from_str::<Value>(&enc.to_json()).unwrap(),
    });
    let plaintext = hex_decode(&python(script, &input)).unwrap();
    assert_eq!(plaintext, msg.to_json().unwrap());
    assert_eq!(Message::from_json(&plaintext).unwrap(), msg);
}

#[test]
fn we_open_pynacl_box() {
    let (psk, ppk) = keys(b"provider");
    let (wsk, wpk) = keys(b"wallet");
    // PyNaCl, as KILT's JS does, may emit 0x-prefixed hex; the message is built there.
    let script = r#"
import sys, json
from nacl.public import PrivateKey, PublicKey, Box
from nacl.utils import random
d = json.load(sys.stdin)
box = Box(PrivateKey(bytes.fromhex(d["sk"])), PublicKey(bytes.fromhex(d["pk"])))
msg = {"body": {"type": "submit-credential", "content": {"holder": "did:key:z6Mkh", "x": [1, 2.5]}},
       "createdAt": 1700000000001, "sender": d["sender"], "receiver": d["receiver"],
       "messageId": "py-1", "inReplyTo": "abc", "references": ["abc"]}
nonce = random(24)
ct = box.encrypt(json.dumps(msg).encode(), nonce).ciphertext
print(json.dumps({"receiverKeyUri": d["receiverKeyUri"], "senderKeyUri": d["senderKeyUri"],
                  "ciphertext": "0x" + ct.hex(), "nonce": "0x" + nonce.hex()}))
"#;
    let input = json!({
        "sk": hex_encode(*wsk.to_bytes()),
        "pk": hex_encode(ppk.to_bytes()),
        "sender": WALLET, "receiver": PROVIDER,
        "senderKeyUri": WALLET_KEY, "receiverKeyUri": PROVIDER_KEY,
    });
    let enc = EncryptedMessage::from_json(&python(script, &input)).unwrap();
    let msg = decrypt(&enc, &psk, &wpk, WALLET).unwrap();
    assert_eq!(msg.message_id, "py-1");
    assert_eq!(msg.created_at, 1_700_000_000_001);
    assert_eq!(
        msg.body,
        MessageBody::SubmitCredential(json!({"holder": "did:key:z6Mkh", "x": [1, 2.5]}))
    );
}

#[test]
fn pynacl_challenge_interop() {
    let (psk, ppk) = keys(b"provider");
    let (wsk, wpk) = keys(b"wallet");
    let script = r#"
import sys, json
from nacl.public import PrivateKey, PublicKey, Box
d = json.load(sys.stdin)
box = Box(PrivateKey(bytes.fromhex(d["sk"])), PublicKey(bytes.fromhex(d["pk"])))
nonce = bytes(range(24))
print(json.dumps({"encryptedChallenge": box.encrypt(bytes.fromhex(d["challenge"]), nonce).ciphertext.hex(),
                  "nonce": nonce.hex()}))
"#;
    let challenge = [0x5au8; 24];
    let input = json!({
        "sk": hex_encode(*wsk.to_bytes()),
        "pk": hex_encode(ppk.to_bytes()),
        "challenge": hex_encode(challenge),
    });
    let v: Value = serde_json::from_str(&python(script, &input)).unwrap();
    let opened = open_challenge(
        v["encryptedChallenge"].as_str().unwrap(),
        v["nonce"].as_str().unwrap(),
        &psk,
        &wpk,
    )
    .unwrap();
    assert_eq!(opened, challenge);
}

fn json_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[{}\\[\\]\":,0-9a-zA-Z#\\\\ -]{0,200}",
        // Near-valid envelopes.
        ("[0-9a-fA-FxX]{0,80}", "[0-9a-fA-FxX ]{0,60}", "(did:[a-z]{1,5}:[a-z0-9#]{0,10})?").prop_map(
            |(c, n, d)| {
                format!(
                    r#"{{"receiverKeyUri":"{d}","senderKeyUri":"did:a:b#c","ciphertext":"{c}","nonce":"{n}"}}"#
                )
            }
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn envelope_parsing_never_panics(s in json_ish()) {
        let _ = EncryptedMessage::from_json(&s);
    }

    #[test]
    fn message_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), s in json_ish()) {
        let _ = Message::from_json(&bytes);
        let _ = Message::from_json(s.as_bytes());
    }

    #[test]
    fn decrypt_of_arbitrary_box_is_an_error(ct in proptest::collection::vec(any::<u8>(), 0..200),
                                           nonce in proptest::collection::vec(any::<u8>(), 0..30),
                                           expected in any::<String>()) {
        let (wsk, _) = keys(b"wallet");
        let (_, ppk) = keys(b"provider");
        let raw = RawEncryptedMessage {
            receiver_key_uri: WALLET_KEY.into(),
            sender_key_uri: PROVIDER_KEY.into(),
            ciphertext: hex_encode(&ct),
            nonce: hex_encode(&nonce),
        };
        if let Ok(enc) = EncryptedMessage::from_raw(&raw) {
            prop_assert!(decrypt(&enc, &wsk, &ppk, &expected).is_err());
        }
        prop_assert!(open_challenge(&hex_encode(&ct), &hex_encode(&nonce), &wsk, &ppk).is_err());
    }
}
