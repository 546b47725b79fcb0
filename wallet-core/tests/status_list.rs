//! Bitstring Status List: the spec example, lists written by Node's zlib, our own encoder
//! round trip, and every rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::{Value, json};
use wallet_core::status_list::{
    StaticStatusLists, StatusEntry, StatusError, StatusList, StatusListSource,
};

const SPEC: &str = include_str!("../../tests/vectors/bitstring-status-list/spec-example.json");
const NODE: &str = include_str!("../../tests/vectors/bitstring-status-list/node-zlib.json");

fn list_credential(encoded: &str, purpose: Value) -> Value {
    json!({
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "credentialSubject": {"type": "BitstringStatusList", "statusPurpose": purpose, "encodedList": encoded}
    })
}

fn entry(index: u64, size: u8) -> StatusEntry {
    StatusEntry::from_value(&json!({
        "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": index.to_string(), "statusListCredential": "https://example.com/status/3",
        "statusSize": size
    }))
    .unwrap()
}

#[test]
fn spec_example_is_all_zero() {
    let list = StatusList::from_credential(&serde_json::from_str(SPEC).unwrap()).unwrap();
    assert_eq!(list.purposes(), ["revocation"]);
    for i in [0, 1, 94567, 131_071] {
        assert_eq!(list.status(&entry(i, 1)), Ok(0));
    }
    assert_eq!(
        list.status(&entry(131_072, 1)),
        Err(StatusError::Range(131_072))
    );
}

#[test]
fn node_zlib_lists_decode_bit_for_bit() {
    let v: Value = serde_json::from_str(NODE).unwrap();
    for case in ["one_bit", "two_bit"] {
        let c = &v[case];
        let size = u8::try_from(c["statusSize"].as_u64().unwrap()).unwrap();
        let list = StatusList::from_credential(&list_credential(
            c["encodedList"].as_str().unwrap(),
            json!("revocation"),
        ))
        .unwrap();
        for pair in c["set"].as_array().unwrap() {
            let (i, val) = (pair[0].as_u64().unwrap(), pair[1].as_u64().unwrap());
            assert_eq!(
                u64::from(list.status(&entry(i, size)).unwrap()),
                val,
                "{case} {i}"
            );
        }
        for i in c["unset"].as_array().unwrap() {
            assert_eq!(
                list.status(&entry(i.as_u64().unwrap(), size)),
                Ok(0),
                "{case} {i}"
            );
        }
    }
}

#[test]
fn our_encoder_round_trips_and_matches_node_bits() {
    let v: Value = serde_json::from_str(NODE).unwrap();
    let mut ours = StatusList::new("revocation", 131_072, 1).unwrap();
    for pair in v["one_bit"]["set"].as_array().unwrap() {
        ours.set(pair[0].as_u64().unwrap(), 1, 1).unwrap();
    }
    let theirs = StatusList::from_credential(&list_credential(
        v["one_bit"]["encodedList"].as_str().unwrap(),
        json!("revocation"),
    ))
    .unwrap();
    let decoded = StatusList::from_credential(&list_credential(
        &ours.encode().unwrap(),
        json!("revocation"),
    ))
    .unwrap();
    assert_eq!(decoded, theirs);
    // Clearing a bit works too (un-suspending).
    ours.set(12345, 1, 0).unwrap();
    assert_eq!(ours.status(&entry(12345, 1)), Ok(0));
    assert_eq!(
        ours.set(0, 2, 4),
        Err(StatusError::Range(0)),
        "4 does not fit in 2 bits"
    );
}

#[test]
fn purposes_must_match() {
    let list = StatusList::from_credential(&list_credential(
        &StatusList::new("suspension", 131_072, 1)
            .unwrap()
            .encode()
            .unwrap(),
        json!(["suspension", "message"]),
    ))
    .unwrap();
    assert_eq!(
        list.status(&entry(1, 1)),
        Err(StatusError::PurposeMismatch("revocation".into()))
    );
}

#[test]
fn short_lists_and_bad_encodings_are_rejected() {
    let v: Value = serde_json::from_str(NODE).unwrap();
    let short = v["too_short"]["encodedList"].as_str().unwrap();
    assert_eq!(
        StatusList::from_credential(&list_credential(short, json!("revocation"))),
        Err(StatusError::Length)
    );
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let enc = spec["credentialSubject"]["encodedList"].as_str().unwrap();
    for bad in [&enc[1..], "zABC", "u!!!!", "uH4sI"] {
        assert_eq!(
            StatusList::from_credential(&list_credential(bad, json!("revocation"))),
            Err(StatusError::Encoding),
            "{bad}"
        );
    }
    // A 16 KiB list holds 131,072 two-bit entries only if it is 32 KiB long.
    let list = StatusList::from_credential(&spec).unwrap();
    let mut two_bit = entry(0, 2);
    two_bit.purpose = "revocation".into();
    assert_eq!(list.status(&two_bit), Err(StatusError::Length));
    assert_eq!(
        StatusList::new("revocation", 1000, 1),
        Err(StatusError::Length)
    );
}

#[test]
fn decompression_is_bounded() {
    // 17 MiB of zeros compresses to ~17 KiB: a bomb against an unbounded decoder.
    use std::io::Write as _;
    let mut gz = flate2_free_gzip::encoder();
    gz.write_all(&vec![0u8; 17 * 1024 * 1024]).unwrap();
    let bomb = format!(
        "u{}",
        wallet_core::encoding::b64u_encode(gz.finish().unwrap())
    );
    assert_eq!(
        StatusList::from_credential(&list_credential(&bomb, json!("revocation"))),
        Err(StatusError::Length)
    );
}

/// The test builds its GZIP bomb with our own encoder's public path: a list's
/// `encode()` cannot exceed the maximum, so use the raw format via a tiny helper.
mod flate2_free_gzip {
    pub struct Enc(Vec<u8>);
    pub fn encoder() -> Enc {
        Enc(Vec::new())
    }
    impl std::io::Write for Enc {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl Enc {
        pub fn finish(self) -> std::io::Result<Vec<u8>> {
            Ok(super::gzip_stored(&self.0))
        }
    }
}

/// GZIP (RFC 1952) of `data` using fixed-Huffman DEFLATE blocks that encode runs of zero
/// bytes as length-258 back-references: enough to build a small bomb without a
/// compression library in the test's dependencies.
fn gzip_stored(data: &[u8]) -> Vec<u8> {
    assert!(data.iter().all(|&b| b == 0), "helper only compresses zeros");
    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(1, 2); // BTYPE = 01, fixed Huffman
    // Literal 0: fixed code 00110000 (8 bits, value 0x30), written MSB-first.
    bits.put_rev(0x30, 8);
    let mut remaining = data.len() - 1;
    while remaining >= 258 {
        // Length 258 = code 285: 7-bit code 11000101, no extra bits.
        bits.put_rev(0b1100_0101, 8);
        // Distance 1 = code 0: 5-bit 00000.
        bits.put_rev(0, 5);
        remaining -= 258;
    }
    for _ in 0..remaining {
        bits.put_rev(0x30, 8);
    }
    bits.put_rev(0, 7); // end of block (256): 0000000
    let deflate = bits.finish();
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255];
    out.extend_from_slice(&deflate);
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    cur: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, v: u32, n: u32) {
        self.cur |= v << self.n;
        self.n += n;
        while self.n >= 8 {
            self.out.push((self.cur & 0xff) as u8);
            self.cur >>= 8;
            self.n -= 8;
        }
    }
    /// Huffman codes are packed most significant bit first.
    fn put_rev(&mut self, code: u32, n: u32) {
        for i in (0..n).rev() {
            self.put((code >> i) & 1, 1);
        }
    }
    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push((self.cur & 0xff) as u8);
        }
        self.out
    }
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn entries_are_validated() {
    let ok = json!({"type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "94567", "statusListCredential": "https://example.com/status/3"});
    let e = StatusEntry::from_value(&ok).unwrap();
    assert_eq!(
        (e.index, e.size, e.purpose.as_str()),
        (94567, 1, "revocation")
    );
    let mut cases = Vec::new();
    for (key, val, what) in [
        (
            "type",
            json!("StatusList2021Entry"),
            "type is not BitstringStatusListEntry",
        ),
        ("statusListIndex", json!("-1"), "statusListIndex"),
        ("statusListIndex", json!("1e3"), "statusListIndex"),
        (
            "statusListIndex",
            json!("99999999999999999999"),
            "statusListIndex",
        ),
        ("statusPurpose", json!(""), "statusPurpose"),
        ("statusListCredential", json!(7), "statusListCredential"),
        ("statusSize", json!(0), "statusSize"),
        ("statusSize", json!(9), "statusSize"),
    ] {
        let mut v = ok.clone();
        v[key] = val;
        cases.push((v, what));
    }
    for (v, what) in cases {
        assert_eq!(
            StatusEntry::from_value(&v),
            Err(StatusError::InvalidEntry(what)),
            "{v}"
        );
    }
}

#[test]
fn list_credentials_are_validated() {
    let spec: Value = serde_json::from_str(SPEC).unwrap();
    let mut wrong_type = spec.clone();
    wrong_type["type"] = json!(["VerifiableCredential"]);
    assert!(matches!(
        StatusList::from_credential(&wrong_type),
        Err(StatusError::InvalidListCredential(_))
    ));
    let mut wrong_subject = spec.clone();
    wrong_subject["credentialSubject"]["type"] = json!("StatusList2021");
    assert!(matches!(
        StatusList::from_credential(&wrong_subject),
        Err(StatusError::InvalidListCredential(_))
    ));
    let mut no_purpose = spec;
    no_purpose["credentialSubject"]["statusPurpose"] = json!([]);
    assert_eq!(
        StatusList::from_credential(&no_purpose),
        Err(StatusError::InvalidListCredential("statusPurpose"))
    );
}

#[test]
fn static_source_reports_missing_lists() {
    let src = StaticStatusLists::default();
    assert!(matches!(
        src.status_list_credential("https://example.com/x"),
        Err(StatusError::Retrieval { .. })
    ));
}
