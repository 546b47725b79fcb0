//! Credential API session crypto: the NaCl box vector, message/envelope wire format,
//! encrypt/decrypt round trips, the login challenge, every rejection, and the
//! precomputed [`SessionBox`] against `crypto_box` itself.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

#[path = "support/rng.rs"]
mod rng;

use rng::{FailingRandom, SeededRandom};
use serde_json::{Value, json};
use wallet_core::credential_api::{
    EncryptedMessage, ErrorContent, MAX_MESSAGE_BYTES, Message, MessageBody, NONCE_LEN,
    RawEncryptedMessage, SessionBox, SessionError, TAG_LEN, decrypt, did_of, encrypt,
    open_challenge, open_with_nonce, seal_challenge, seal_with_nonce,
};
use wallet_core::encoding::{hex_decode, hex_encode};
use wallet_core::keys::{X25519PrivateKey, X25519PublicKey};
use wallet_core::random::SecureRandom as _;

const BOX: &str = include_str!("../../tests/vectors/nacl-box/box.json");

const WALLET: &str = "did:key:z6LSwallet";
const WALLET_KEY: &str = "did:key:z6LSwallet#z6LSwallet";
const PROVIDER: &str = "did:web:provider.example";
const PROVIDER_KEY: &str = "did:web:provider.example#key-x25519";
const MALLORY: &str = "did:key:z6LSmallory";

fn vector() -> Value {
    serde_json::from_str(BOX).unwrap()
}

fn hexfield(v: &Value, k: &str) -> Vec<u8> {
    hex_decode(v[k].as_str().unwrap()).unwrap()
}

fn nonce_of(v: &Value) -> [u8; NONCE_LEN] {
    hexfield(v, "nonce").try_into().unwrap()
}

struct Party {
    secret: X25519PrivateKey,
    public: X25519PublicKey,
}

fn party(seed: &[u8]) -> Party {
    let secret = X25519PrivateKey::generate(&mut SeededRandom::new(seed)).unwrap();
    let public = secret.public_key();
    Party { secret, public }
}

fn request(rng: &mut SeededRandom) -> Message {
    Message::new(
        MessageBody::RequestCredential(
            json!({"challenge": "00ff", "domain": "https://provider.example"}),
        ),
        PROVIDER,
        WALLET,
        1_700_000_000_000,
        rng,
    )
    .unwrap()
}

/// provider -> wallet, encrypted.
fn boxed(rng: &mut SeededRandom, p: &Party, w: &Party) -> (Message, EncryptedMessage) {
    let msg = request(rng);
    let enc = encrypt(&msg, PROVIDER_KEY, &p.secret, WALLET_KEY, &w.public, rng).unwrap();
    (msg, enc)
}

/// A box of arbitrary plaintext from the provider's key to the wallet's key.
fn raw_box(
    plaintext: &[u8],
    p: &Party,
    w: &Party,
    sender_uri: &str,
    receiver_uri: &str,
) -> EncryptedMessage {
    let nonce = [7u8; NONCE_LEN];
    let sealed = seal_with_nonce(plaintext, &nonce, &p.secret, &w.public).unwrap();
    EncryptedMessage::from_raw(&RawEncryptedMessage {
        receiver_key_uri: receiver_uri.into(),
        sender_key_uri: sender_uri.into(),
        ciphertext: hex_encode(sealed),
        nonce: hex_encode(nonce),
    })
    .unwrap()
}

// ---------------------------------------------------------------- NaCl vector

#[test]
fn nacl_box_vector_encrypts_exactly() {
    let v = vector();
    let alice = X25519PrivateKey::from_bytes(&hexfield(&v, "alice_secret")).unwrap();
    let bob_pk = X25519PublicKey::from_bytes(&hexfield(&v, "bob_public")).unwrap();
    let c = seal_with_nonce(&hexfield(&v, "plaintext"), &nonce_of(&v), &alice, &bob_pk).unwrap();
    assert_eq!(hex_encode(&c), v["ciphertext_with_tag"].as_str().unwrap());
    // The key pairs of the vector are consistent.
    assert_eq!(
        alice.public_key().to_bytes().to_vec(),
        hexfield(&v, "alice_public")
    );
}

#[test]
fn nacl_box_vector_decrypts() {
    let v = vector();
    let bob = X25519PrivateKey::from_bytes(&hexfield(&v, "bob_secret")).unwrap();
    let alice_pk = X25519PublicKey::from_bytes(&hexfield(&v, "alice_public")).unwrap();
    assert_eq!(
        bob.public_key().to_bytes().to_vec(),
        hexfield(&v, "bob_public")
    );
    let m = open_with_nonce(
        &hexfield(&v, "ciphertext_with_tag"),
        &nonce_of(&v),
        &bob,
        &alice_pk,
    )
    .unwrap();
    assert_eq!(*m, hexfield(&v, "plaintext"));
}

#[test]
fn nacl_box_vector_small_order_key_rejected() {
    let v = vector();
    let alice = X25519PrivateKey::from_bytes(&hexfield(&v, "alice_secret")).unwrap();
    let small = X25519PublicKey::from_bytes(&hexfield(&v, "small_order_public")).unwrap();
    assert_eq!(
        seal_with_nonce(b"m", &nonce_of(&v), &alice, &small),
        Err(SessionError::WeakKey)
    );
    let c = hexfield(&v, "ciphertext_with_tag");
    assert_eq!(
        open_with_nonce(&c, &nonce_of(&v), &alice, &small).map(|m| m.to_vec()),
        Err(SessionError::WeakKey)
    );
}

// ---------------------------------------------------------------- SessionBox

/// `len` bytes from `rng`.
fn random_bytes(rng: &mut SeededRandom, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    rng.fill(&mut v).unwrap();
    v
}

#[test]
fn session_box_matches_crypto_box_byte_for_byte() {
    use crypto_box::aead::Aead as _;
    let mut rng = SeededRandom::new(b"vs crypto_box");
    for len in [0usize, 1, 15, 16, 17, 63, 64, 65, 300, 1024, 4099] {
        let a = X25519PrivateKey::generate(&mut rng).unwrap();
        let b = X25519PrivateKey::generate(&mut rng).unwrap();
        let nonce: [u8; NONCE_LEN] = rng.bytes().unwrap();
        let plaintext = random_bytes(&mut rng, len);
        let reference = crypto_box::SalsaBox::new(
            &crypto_box::PublicKey::from_bytes(b.public_key().to_bytes()),
            &crypto_box::SecretKey::from_bytes(*a.to_bytes()),
        );
        let expected = reference
            .encrypt((&nonce).into(), plaintext.as_slice())
            .unwrap();
        let ours = SessionBox::new(&a, &b.public_key()).unwrap();
        let sealed = ours.seal_with_nonce(&plaintext, &nonce).unwrap();
        assert_eq!(sealed, expected, "len {len}");
        // The one-shot function, and the other side's box, agree.
        assert_eq!(
            seal_with_nonce(&plaintext, &nonce, &a, &b.public_key()).unwrap(),
            expected
        );
        let theirs = SessionBox::new(&b, &a.public_key()).unwrap();
        assert_eq!(
            theirs.seal_with_nonce(&plaintext, &nonce).unwrap(),
            expected
        );
        assert_eq!(*theirs.open_with_nonce(&sealed, &nonce).unwrap(), plaintext);
        assert_eq!(
            reference
                .decrypt((&nonce).into(), sealed.as_slice())
                .unwrap(),
            plaintext
        );
    }
}

#[test]
fn session_box_nacl_vector() {
    let v = vector();
    let alice = X25519PrivateKey::from_bytes(&hexfield(&v, "alice_secret")).unwrap();
    let bob = X25519PrivateKey::from_bytes(&hexfield(&v, "bob_secret")).unwrap();
    let alice_pk = X25519PublicKey::from_bytes(&hexfield(&v, "alice_public")).unwrap();
    let bob_pk = X25519PublicKey::from_bytes(&hexfield(&v, "bob_public")).unwrap();
    let plaintext = hexfield(&v, "plaintext");
    let expected = hexfield(&v, "ciphertext_with_tag");
    let at_alice = SessionBox::new(&alice, &bob_pk).unwrap();
    let at_bob = SessionBox::new(&bob, &alice_pk).unwrap();
    assert_eq!(
        at_alice.seal_with_nonce(&plaintext, &nonce_of(&v)).unwrap(),
        expected
    );
    assert_eq!(
        *at_bob.open_with_nonce(&expected, &nonce_of(&v)).unwrap(),
        plaintext
    );
    let mut tampered = expected.clone();
    tampered[0] ^= 1;
    assert_eq!(
        at_bob
            .open_with_nonce(&tampered, &nonce_of(&v))
            .map(|m| m.to_vec()),
        Err(SessionError::Decrypt)
    );
    assert_eq!(
        at_bob
            .open_with_nonce(&expected[..TAG_LEN - 1], &nonce_of(&v))
            .map(|m| m.to_vec()),
        Err(SessionError::Decrypt)
    );
}

#[test]
fn session_box_refuses_low_order_keys() {
    let v = vector();
    let alice = X25519PrivateKey::from_bytes(&hexfield(&v, "alice_secret")).unwrap();
    let small = X25519PublicKey::from_bytes(&hexfield(&v, "small_order_public")).unwrap();
    let zero = X25519PublicKey::from_bytes(&[0u8; 32]).unwrap();
    let mut one = [0u8; 32];
    one[0] = 1;
    let one = X25519PublicKey::from_bytes(&one).unwrap();
    for weak in [small, zero, one] {
        assert_eq!(
            SessionBox::new(&alice, &weak).map(|_| ()),
            Err(SessionError::WeakKey)
        );
    }
}

#[test]
fn one_shot_functions_check_input_before_the_key() {
    // The one-shot functions derive their box only after the cheap checks: input that
    // is malformed is refused with its own error, even with a low-order key.
    let v = vector();
    let alice = X25519PrivateKey::from_bytes(&hexfield(&v, "alice_secret")).unwrap();
    let small = X25519PublicKey::from_bytes(&hexfield(&v, "small_order_public")).unwrap();
    let mut rng = SeededRandom::new(b"order");
    assert_eq!(
        open_with_nonce(&[0u8; TAG_LEN - 1], &[0u8; NONCE_LEN], &alice, &small).map(|m| m.to_vec()),
        Err(SessionError::Decrypt)
    );
    assert_eq!(
        open_challenge("qq", &"11".repeat(24), &alice, &small),
        Err(SessionError::BadHex)
    );
    assert_eq!(
        seal_challenge(&[0u8; 1025], &alice, &small, &mut rng),
        Err(SessionError::Oversize)
    );
    let mut msg = request(&mut rng);
    msg.receiver = MALLORY.into();
    assert_eq!(
        encrypt(&msg, PROVIDER_KEY, &alice, WALLET_KEY, &small, &mut rng),
        Err(SessionError::ReceiverMismatch)
    );
    // Well-formed input reaches the key and is refused for it.
    assert_eq!(
        open_challenge(&"00".repeat(20), &"11".repeat(24), &alice, &small),
        Err(SessionError::WeakKey)
    );
}

#[test]
fn session_box_reused_for_a_whole_login_interoperates() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let at_provider = SessionBox::new(&p.secret, &w.public).unwrap();
    let at_wallet = SessionBox::new(&w.secret, &p.public).unwrap();
    let mut rng = SeededRandom::new(b"login");
    for round in 0..3 {
        // Challenge: wallet → provider, each side with a box or the one-shot function.
        let challenge = random_bytes(&mut rng, 24);
        let sealed = at_wallet.seal_challenge(&challenge, &mut rng).unwrap();
        assert_eq!(
            open_challenge(
                &sealed.encrypted_challenge,
                &sealed.nonce,
                &p.secret,
                &w.public
            )
            .unwrap(),
            challenge
        );
        assert_eq!(
            at_provider
                .open_challenge(&sealed.encrypted_challenge, &sealed.nonce)
                .unwrap(),
            challenge
        );
        let sealed = seal_challenge(&challenge, &w.secret, &p.public, &mut rng).unwrap();
        assert_eq!(
            at_provider
                .open_challenge(&sealed.encrypted_challenge, &sealed.nonce)
                .unwrap(),
            challenge
        );

        // request-credential: provider → wallet.
        let req = request(&mut rng);
        let enc = at_provider
            .encrypt(&req, PROVIDER_KEY, WALLET_KEY, &mut rng)
            .unwrap();
        assert_eq!(decrypt(&enc, &w.secret, &p.public, PROVIDER).unwrap(), req);
        assert_eq!(at_wallet.decrypt(&enc, PROVIDER).unwrap(), req);
        let enc = encrypt(
            &req,
            PROVIDER_KEY,
            &p.secret,
            WALLET_KEY,
            &w.public,
            &mut rng,
        )
        .unwrap();
        assert_eq!(at_wallet.decrypt(&enc, PROVIDER).unwrap(), req);

        // submit-credential: wallet → provider.
        let sub = Message::reply(
            MessageBody::SubmitCredential(json!({"round": round})),
            &req,
            1_700_000_000_500,
            &mut rng,
        )
        .unwrap();
        let enc = at_wallet
            .encrypt(&sub, WALLET_KEY, PROVIDER_KEY, &mut rng)
            .unwrap();
        assert_eq!(decrypt(&enc, &p.secret, &w.public, WALLET).unwrap(), sub);
        assert_eq!(at_provider.decrypt(&enc, WALLET).unwrap(), sub);
        let enc = encrypt(
            &sub,
            WALLET_KEY,
            &w.secret,
            PROVIDER_KEY,
            &p.public,
            &mut rng,
        )
        .unwrap();
        assert_eq!(at_provider.decrypt(&enc, WALLET).unwrap(), sub);

        // The message checks hold on the box path too.
        assert_eq!(
            at_provider.decrypt(&enc, PROVIDER),
            Err(SessionError::SenderMismatch)
        );
        let mallory = SessionBox::new(&party(b"mallory").secret, &p.public).unwrap();
        assert_eq!(mallory.decrypt(&enc, WALLET), Err(SessionError::Decrypt));
    }
}

#[test]
fn session_box_debug_is_redacted() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let b = SessionBox::new(&p.secret, &w.public).unwrap();
    assert_eq!(format!("{b:?}"), "SessionBox([redacted])");
}

// ---------------------------------------------------------------- round trips

#[test]
fn encrypt_decrypt_round_trip() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"rt");
    let (msg, enc) = boxed(&mut rng, &p, &w);
    assert_eq!(enc.sender_key_uri(), PROVIDER_KEY);
    assert_eq!(enc.receiver_key_uri(), WALLET_KEY);
    assert_eq!(enc.ciphertext().len(), msg.to_json().unwrap().len() + 16);
    let got = decrypt(&enc, &w.secret, &p.public, PROVIDER).unwrap();
    assert_eq!(got, msg);
    // The expected party may also be named by a DID URL of it.
    assert_eq!(
        decrypt(&enc, &w.secret, &p.public, PROVIDER_KEY).unwrap(),
        msg
    );
}

#[test]
fn fresh_nonce_and_message_id_each_time() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"fresh");
    let (m1, e1) = boxed(&mut rng, &p, &w);
    let (m2, e2) = boxed(&mut rng, &p, &w);
    assert_ne!(e1.nonce(), e2.nonce());
    assert_ne!(m1.message_id, m2.message_id);
    assert_eq!(m1.message_id.len(), 32);
}

#[test]
fn reply_threads_and_swaps_parties() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"reply");
    let (_, enc) = boxed(&mut rng, &p, &w);
    let req = decrypt(&enc, &w.secret, &p.public, PROVIDER).unwrap();
    let vp = json!({"type": ["VerifiablePresentation"], "holder": "did:key:z6Mkholder"});
    let sub = Message::reply(
        MessageBody::SubmitCredential(vp.clone()),
        &req,
        1_700_000_000_500,
        &mut rng,
    )
    .unwrap();
    assert_eq!(sub.sender, WALLET);
    assert_eq!(sub.receiver, PROVIDER);
    assert_eq!(sub.in_reply_to.as_deref(), Some(req.message_id.as_str()));
    assert_eq!(sub.references, Some(vec![req.message_id.clone()]));
    let enc = encrypt(
        &sub,
        WALLET_KEY,
        &w.secret,
        PROVIDER_KEY,
        &p.public,
        &mut rng,
    )
    .unwrap();
    let got = decrypt(&enc, &p.secret, &w.public, WALLET).unwrap();
    assert_eq!(got.body, MessageBody::SubmitCredential(vp));
}

#[test]
fn wire_format_is_camel_case_lower_hex() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"wire");
    let (_, enc) = boxed(&mut rng, &p, &w);
    let v: Value = serde_json::from_str(&enc.to_json()).unwrap();
    let obj = v.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["ciphertext", "nonce", "receiverKeyUri", "senderKeyUri"]
    );
    for k in ["ciphertext", "nonce"] {
        let s = obj[k].as_str().unwrap();
        assert!(
            s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "{k}"
        );
    }
    assert_eq!(obj["nonce"].as_str().unwrap().len(), 48);
    // serde round trip through the validated type.
    let back: EncryptedMessage = serde_json::from_value(v).unwrap();
    assert_eq!(back, enc);
    assert_eq!(EncryptedMessage::from_json(&enc.to_json()).unwrap(), enc);
}

#[test]
fn message_json_shape() {
    let mut rng = SeededRandom::new(b"shape");
    let mut msg = Message::new(
        MessageBody::Reject(ErrorContent {
            name: Some("user-declined".into()),
            message: None,
        }),
        WALLET,
        PROVIDER,
        42,
        &mut rng,
    )
    .unwrap();
    msg.in_reply_to = Some("abc".into());
    let v: Value = serde_json::from_slice(&msg.to_json().unwrap()).unwrap();
    assert_eq!(
        v,
        json!({
            "body": {"type": "reject", "content": {"name": "user-declined"}},
            "createdAt": 42,
            "sender": WALLET,
            "receiver": PROVIDER,
            "messageId": msg.message_id,
            "inReplyTo": "abc"
        })
    );
    assert_eq!(Message::from_json(&msg.to_json().unwrap()).unwrap(), msg);
    assert_eq!(msg.body.type_name(), "reject");
}

#[test]
fn accepts_0x_prefixed_and_upper_case_hex() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"0x");
    let (msg, enc) = boxed(&mut rng, &p, &w);
    let raw = RawEncryptedMessage {
        receiver_key_uri: WALLET_KEY.into(),
        sender_key_uri: PROVIDER_KEY.into(),
        ciphertext: format!("0x{}", hex_encode(enc.ciphertext()).to_uppercase()),
        nonce: format!("0x{}", hex_encode(enc.nonce())),
    };
    let parsed = EncryptedMessage::from_raw(&raw).unwrap();
    assert_eq!(
        decrypt(&parsed, &w.secret, &p.public, PROVIDER).unwrap(),
        msg
    );
}

#[test]
fn challenge_round_trip() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"challenge");
    let challenge = [0xabu8; 24];
    let sealed = seal_challenge(&challenge, &w.secret, &p.public, &mut rng).unwrap();
    assert_eq!(sealed.nonce.len(), 48);
    assert_eq!(sealed.encrypted_challenge.len(), 2 * (24 + 16));
    let v = serde_json::to_value(&sealed).unwrap();
    assert!(v.get("encryptedChallenge").is_some() && v.get("nonce").is_some());
    let opened = open_challenge(
        &sealed.encrypted_challenge,
        &sealed.nonce,
        &p.secret,
        &w.public,
    )
    .unwrap();
    assert_eq!(opened, challenge);
}

#[test]
fn did_of_strips_fragment_path_query() {
    assert_eq!(did_of("did:key:z6LSa#z6LSa"), "did:key:z6LSa");
    assert_eq!(did_of("did:web:x.example/path?q#f"), "did:web:x.example");
    assert_eq!(did_of("did:web:x.example"), "did:web:x.example");
}

// ---------------------------------------------------------------- rejections

#[test]
fn tampered_ciphertext_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"tamper");
    let (_, enc) = boxed(&mut rng, &p, &w);
    for i in [0, 15, 16, enc.ciphertext().len() - 1] {
        let mut ct = enc.ciphertext().to_vec();
        ct[i] ^= 1;
        let bad = EncryptedMessage::from_raw(&RawEncryptedMessage {
            receiver_key_uri: WALLET_KEY.into(),
            sender_key_uri: PROVIDER_KEY.into(),
            ciphertext: hex_encode(ct),
            nonce: hex_encode(enc.nonce()),
        })
        .unwrap();
        assert_eq!(
            decrypt(&bad, &w.secret, &p.public, PROVIDER),
            Err(SessionError::Decrypt),
            "byte {i}"
        );
    }
    // Truncated below the tag length.
    let short = RawEncryptedMessage {
        receiver_key_uri: WALLET_KEY.into(),
        sender_key_uri: PROVIDER_KEY.into(),
        ciphertext: "00".repeat(15),
        nonce: hex_encode(enc.nonce()),
    };
    assert_eq!(
        EncryptedMessage::from_raw(&short),
        Err(SessionError::Decrypt)
    );
}

#[test]
fn wrong_keys_rejected() {
    let (p, w, m) = (party(b"provider"), party(b"wallet"), party(b"mallory"));
    let mut rng = SeededRandom::new(b"wrongkey");
    let (_, enc) = boxed(&mut rng, &p, &w);
    assert_eq!(
        decrypt(&enc, &m.secret, &p.public, PROVIDER),
        Err(SessionError::Decrypt)
    );
    assert_eq!(
        decrypt(&enc, &w.secret, &m.public, PROVIDER),
        Err(SessionError::Decrypt)
    );
}

#[test]
fn wrong_nonce_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"nonce");
    let (_, enc) = boxed(&mut rng, &p, &w);
    let mut nonce = *enc.nonce();
    nonce[23] ^= 0x80;
    let bad = EncryptedMessage::from_raw(&RawEncryptedMessage {
        receiver_key_uri: WALLET_KEY.into(),
        sender_key_uri: PROVIDER_KEY.into(),
        ciphertext: hex_encode(enc.ciphertext()),
        nonce: hex_encode(nonce),
    })
    .unwrap();
    assert_eq!(
        decrypt(&bad, &w.secret, &p.public, PROVIDER),
        Err(SessionError::Decrypt)
    );
}

fn raw_with(ciphertext: &str, nonce: &str) -> RawEncryptedMessage {
    RawEncryptedMessage {
        receiver_key_uri: WALLET_KEY.into(),
        sender_key_uri: PROVIDER_KEY.into(),
        ciphertext: ciphertext.into(),
        nonce: nonce.into(),
    }
}

#[test]
fn nonce_wrong_length_rejected() {
    let ct = "00".repeat(40);
    assert_eq!(
        EncryptedMessage::from_raw(&raw_with(&ct, &"11".repeat(23))),
        Err(SessionError::NonceLength(23))
    );
    assert_eq!(
        EncryptedMessage::from_raw(&raw_with(&ct, &"11".repeat(25))),
        Err(SessionError::NonceLength(25))
    );
    assert_eq!(
        EncryptedMessage::from_raw(&raw_with(&ct, "")),
        Err(SessionError::NonceLength(0))
    );
    assert_eq!(
        open_challenge(
            &ct,
            &"11".repeat(12),
            &party(b"a").secret,
            &party(b"b").public
        ),
        Err(SessionError::NonceLength(12))
    );
}

#[test]
fn bad_hex_rejected() {
    let nonce = "11".repeat(24);
    for ct in ["zz", "abc", "0x0g", "00 11", "0X00"] {
        assert_eq!(
            EncryptedMessage::from_raw(&raw_with(ct, &nonce)),
            Err(SessionError::BadHex),
            "{ct}"
        );
    }
    assert_eq!(
        EncryptedMessage::from_raw(&raw_with(&"00".repeat(20), "xy")),
        Err(SessionError::BadHex)
    );
    assert_eq!(
        open_challenge("qq", &nonce, &party(b"a").secret, &party(b"b").public),
        Err(SessionError::BadHex)
    );
}

#[test]
fn sender_mismatch_rejected() {
    // A valid box from the provider's key whose message claims Mallory as sender.
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"spoof");
    let mut msg = request(&mut rng);
    msg.sender = MALLORY.into();
    let enc = raw_box(&msg.to_json().unwrap(), &p, &w, PROVIDER_KEY, WALLET_KEY);
    assert_eq!(
        decrypt(&enc, &w.secret, &p.public, PROVIDER),
        Err(SessionError::SenderMismatch)
    );
    // Expecting Mallory instead: the key that sealed it is not Mallory's.
    assert_eq!(
        decrypt(&enc, &w.secret, &p.public, MALLORY),
        Err(SessionError::SenderKeyMismatch)
    );
    // encrypt() refuses to produce such a message in the first place.
    assert_eq!(
        encrypt(
            &msg,
            PROVIDER_KEY,
            &p.secret,
            WALLET_KEY,
            &w.public,
            &mut rng
        ),
        Err(SessionError::SenderKeyMismatch)
    );
}

#[test]
fn receiver_mismatch_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"recv");
    let mut msg = request(&mut rng);
    msg.receiver = MALLORY.into();
    let enc = raw_box(&msg.to_json().unwrap(), &p, &w, PROVIDER_KEY, WALLET_KEY);
    assert_eq!(
        decrypt(&enc, &w.secret, &p.public, PROVIDER),
        Err(SessionError::ReceiverMismatch)
    );
    assert_eq!(
        encrypt(
            &msg,
            PROVIDER_KEY,
            &p.secret,
            WALLET_KEY,
            &w.public,
            &mut rng
        ),
        Err(SessionError::ReceiverMismatch)
    );
}

#[test]
fn non_message_plaintext_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"nonmsg");
    let good = serde_json::to_value(request(&mut rng)).unwrap();
    let mut unknown_type = good.clone();
    unknown_type["body"]["type"] = json!("request-attestation");
    let mut extra_field = good.clone();
    extra_field["receivedAt"] = json!(1);
    let mut no_id = good.clone();
    no_id.as_object_mut().unwrap().remove("messageId");
    let mut float_time = good.clone();
    float_time["createdAt"] = json!(1.5);
    let mut bad_error = good.clone();
    bad_error["body"] = json!({"type": "error", "content": {"name": "x", "stack": "y"}});
    for (i, plaintext) in [
        b"not json".to_vec(),
        b"{\"hello\":1}".to_vec(),
        b"[]".to_vec(),
        serde_json::to_vec(&unknown_type).unwrap(),
        serde_json::to_vec(&extra_field).unwrap(),
        serde_json::to_vec(&no_id).unwrap(),
        serde_json::to_vec(&float_time).unwrap(),
        serde_json::to_vec(&bad_error).unwrap(),
    ]
    .iter()
    .enumerate()
    {
        let enc = raw_box(plaintext, &p, &w, PROVIDER_KEY, WALLET_KEY);
        assert_eq!(
            decrypt(&enc, &w.secret, &p.public, PROVIDER),
            Err(SessionError::NotAMessage),
            "case {i}"
        );
    }
    // Well-formed JSON with a sender that is not a DID.
    let mut not_did = good;
    not_did["sender"] = json!("provider");
    let enc = raw_box(
        &serde_json::to_vec(&not_did).unwrap(),
        &p,
        &w,
        PROVIDER_KEY,
        WALLET_KEY,
    );
    assert_eq!(
        decrypt(&enc, &w.secret, &p.public, PROVIDER),
        Err(SessionError::InvalidDid)
    );
}

#[test]
fn oversized_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"big");
    let big = Message::new(
        MessageBody::SubmitCredential(json!({"blob": "a".repeat(MAX_MESSAGE_BYTES)})),
        WALLET,
        PROVIDER,
        0,
        &mut rng,
    )
    .unwrap();
    assert_eq!(big.to_json(), Err(SessionError::Oversize));
    assert_eq!(
        encrypt(
            &big,
            WALLET_KEY,
            &w.secret,
            PROVIDER_KEY,
            &p.public,
            &mut rng
        ),
        Err(SessionError::Oversize)
    );
    // A box whose plaintext would exceed the limit is refused before decryption.
    let ct = "00".repeat(MAX_MESSAGE_BYTES + 17);
    assert_eq!(
        EncryptedMessage::from_raw(&raw_with(&ct, &"11".repeat(24))),
        Err(SessionError::Oversize)
    );
    assert_eq!(
        Message::from_json(&vec![b' '; MAX_MESSAGE_BYTES + 1]),
        Err(SessionError::Oversize)
    );
    assert_eq!(
        seal_challenge(&[0u8; 1025], &w.secret, &p.public, &mut rng),
        Err(SessionError::Oversize)
    );
}

#[test]
fn invalid_dids_rejected() {
    let mut rng = SeededRandom::new(b"did");
    let body = || MessageBody::Error(ErrorContent::default());
    for bad in [
        "",
        "did:",
        "did::x",
        "did:key:",
        "did:KEY:z",
        "dod:key:z",
        "did:key:a b",
        "did:key:#f",
    ] {
        assert_eq!(
            Message::new(body(), bad, PROVIDER, 0, &mut rng),
            Err(SessionError::InvalidDid),
            "{bad:?}"
        );
    }
    let long = format!("did:web:{}", "a".repeat(2000));
    assert_eq!(
        Message::new(body(), &long, PROVIDER, 0, &mut rng),
        Err(SessionError::InvalidDid)
    );
    // Key URIs must carry a fragment naming the key.
    let ct = "00".repeat(40);
    let mut raw = raw_with(&ct, &"11".repeat(24));
    raw.sender_key_uri = PROVIDER.into();
    assert_eq!(
        EncryptedMessage::from_raw(&raw),
        Err(SessionError::InvalidDid)
    );
}

#[test]
fn envelope_json_rejections() {
    assert_eq!(
        EncryptedMessage::from_json("{}"),
        Err(SessionError::NotAnEnvelope)
    );
    assert_eq!(
        EncryptedMessage::from_json("nope"),
        Err(SessionError::NotAnEnvelope)
    );
    let extra = r#"{"receiverKeyUri":"did:a:b#c","senderKeyUri":"did:a:b#c","ciphertext":"00","nonce":"00","x":1}"#;
    assert_eq!(
        EncryptedMessage::from_json(extra),
        Err(SessionError::NotAnEnvelope)
    );
    let ok_shape = r#"{"receiverKeyUri":"did:a:b#c","senderKeyUri":"did:a:b#c","ciphertext":"zz","nonce":"00"}"#;
    assert_eq!(
        EncryptedMessage::from_json(ok_shape),
        Err(SessionError::BadHex)
    );
}

#[test]
fn tampered_challenge_rejected() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let mut rng = SeededRandom::new(b"ch2");
    let sealed = seal_challenge(b"challenge", &w.secret, &p.public, &mut rng).unwrap();
    let mut ct = hex_decode(&sealed.encrypted_challenge).unwrap();
    ct[20] ^= 4;
    assert_eq!(
        open_challenge(&hex_encode(ct), &sealed.nonce, &p.secret, &w.public),
        Err(SessionError::Decrypt)
    );
    assert_eq!(
        open_challenge(
            &sealed.encrypted_challenge,
            &sealed.nonce,
            &p.secret,
            &party(b"x").public
        ),
        Err(SessionError::Decrypt)
    );
}

#[test]
fn failing_rng_surfaces() {
    let (p, w) = (party(b"provider"), party(b"wallet"));
    let msg = request(&mut SeededRandom::new(b"r"));
    assert!(matches!(
        encrypt(
            &msg,
            PROVIDER_KEY,
            &p.secret,
            WALLET_KEY,
            &w.public,
            &mut FailingRandom
        ),
        Err(SessionError::Random(_))
    ));
    assert!(matches!(
        Message::new(msg.body.clone(), WALLET, PROVIDER, 0, &mut FailingRandom),
        Err(SessionError::Random(_))
    ));
    assert!(matches!(
        seal_challenge(b"c", &w.secret, &p.public, &mut FailingRandom),
        Err(SessionError::Random(_))
    ));
}
