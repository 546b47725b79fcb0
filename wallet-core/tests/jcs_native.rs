//! JCS, native only: property tests (no input panics; canonical form is a fixed
//! point) and a cross-check of number serialization and key ordering against
//! JavaScript itself (`node`, whose `JSON.stringify` and default string sort are the
//! ECMAScript operations RFC 8785 is defined by).
//!
//! REQUIRES `node` on PATH; the cross-check fails (does not skip) without it.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

#[path = "support/rng.rs"]
#[allow(dead_code)]
mod rng;

use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use rng::SeededRandom;
use serde_json::{Map, Value};
use wallet_core::jcs::{canonicalize, canonicalize_str, number_to_string, parse};
use wallet_core::random::SecureRandom as _;

/// The "ECMAScript serialization + UTF-16 sort" recipe of RFC 8785 §3.2,
/// written directly in JavaScript, used as an independent oracle.
const NODE_JCS: &str = r#"
const canon = (v) => {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
};
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const { numbers, docs } = JSON.parse(input);
  const out = {
    numbers: numbers.map((h) => {
      const b = Buffer.from(h, 'hex');
      return JSON.stringify(b.readDoubleBE(0));
    }),
    docs: docs.map((t) => canon(JSON.parse(t))),
  };
  process.stdout.write(JSON.stringify(out));
});
"#;

fn node(input: &Value) -> Value {
    let mut child = match Command::new("node")
        .args(["-e", NODE_JCS])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!("`node` is required for the JCS cross-check: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "node failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn numbers_and_ordering_match_javascript() {
    let mut rng = SeededRandom::new(b"jcs-node");
    let mut numbers = Vec::new();
    while numbers.len() < 5000 {
        let bits = u64::from_be_bytes(rng.bytes::<8>().unwrap());
        // Half the samples with a small exponent so integers and short decimals occur.
        let bits = if numbers.len() % 2 == 0 {
            bits
        } else {
            (bits & 0x800f_ffff_ffff_ffff) | (0x3f0u64 + (bits >> 56) % 0x60) << 52
        };
        if f64::from_bits(bits).is_finite() {
            numbers.push(bits);
        }
    }
    let docs = [
        r#"{"b":1,"a":{"\u20ac":1,"\r":2,"\ufb33":3,"1":4,"\ud83d\ude00":5,"\u0080":6,"\u00f6":7}}"#,
        r#"{"\ud800\udc00":1,"\uffff":2,"\ue000":3,"":4,"A":5,"a":6,"aa":7,"a\u0000":8}"#,
        r#"[1e21,1e-7,123456789012345678,-0.0,0.1,5e-324,"\u001f\u007f\u2028"]"#,
    ];
    let input = serde_json::json!({
        "numbers": numbers.iter().map(|b| format!("{b:016x}")).collect::<Vec<_>>(),
        "docs": docs,
    });
    let js = node(&input);
    for (bits, expected) in numbers.iter().zip(js["numbers"].as_array().unwrap()) {
        let n = f64::from_bits(*bits);
        assert_eq!(
            number_to_string(n).unwrap(),
            expected.as_str().unwrap(),
            "{bits:016x}"
        );
    }
    for (doc, expected) in docs.iter().zip(js["docs"].as_array().unwrap()) {
        assert_eq!(
            canonicalize_str(doc).unwrap(),
            expected.as_str().unwrap(),
            "{doc}"
        );
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        any::<i64>().prop_map(|i| Value::Number(i.into())),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            proptest::collection::vec((any::<String>(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        let _ = canonicalize_str(&s);
    }

    #[test]
    fn json_ish_text_never_panics(s in "[\\[\\]{}\":,0-9eE.+\\-a-z\\\\ ]{0,200}") {
        let _ = canonicalize_str(&s);
    }

    #[test]
    fn canonical_form_is_stable(v in arb_json()) {
        let once = canonicalize(&v).unwrap();
        // Parsing the canonical text yields a value with the same canonical form,
        // and the canonical text is its own canonical form.
        let reparsed = parse(&once).unwrap();
        prop_assert_eq!(canonicalize(&reparsed).unwrap(), once.clone());
        prop_assert_eq!(canonicalize_str(&once).unwrap(), once);
    }
}

/// Member names built to exercise RFC 8785 §3.2.3 sorting: short strings over ASCII,
/// control characters, two-byte characters, U+E000..U+FFFF (which sort after
/// surrogates in UTF-16 but before them in code point order) and astral-plane
/// characters (surrogate pairs), so that names often share prefixes.
fn arb_key() -> impl Strategy<Value = String> {
    let ch = prop_oneof![
        proptest::char::range('a', 'c'),
        proptest::char::range('\u{0}', '\u{1f}'),
        Just('"'),
        Just('\\'),
        Just('\u{7f}'),
        proptest::char::range('\u{80}', '\u{7ff}'),
        proptest::char::range('\u{d7ff}', '\u{d7ff}'),
        proptest::char::range('\u{e000}', '\u{e002}'),
        proptest::char::range('\u{fffd}', '\u{ffff}'),
        proptest::char::range('\u{10000}', '\u{10002}'),
        proptest::char::range('\u{1f600}', '\u{1f601}'),
        proptest::char::range('\u{10fffe}', '\u{10ffff}'),
        any::<char>(),
    ];
    proptest::collection::vec(ch, 0..4).prop_map(|cs| cs.into_iter().collect())
}

/// Numbers of every magnitude: arbitrary doubles (all exponents), integers around
/// ±2^53 and the extremes of i64/u64, decimal powers around the 1e21 and 1e-7
/// switches of ECMAScript's number formatting.
fn arb_number() -> impl Strategy<Value = Value> {
    let two53 = 1i64 << 53;
    prop_oneof![
        any::<f64>().prop_filter_map("finite", serde_json::Number::from_f64),
        any::<i64>().prop_map(serde_json::Number::from),
        any::<u64>().prop_map(serde_json::Number::from),
        (-3i64..=3).prop_map(move |d| serde_json::Number::from(two53 + d)),
        (-3i64..=3).prop_map(move |d| serde_json::Number::from(-two53 + d)),
        prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)]
            .prop_map(serde_json::Number::from),
        (-30i32..=30, -9i64..=9).prop_filter_map("finite", |(e, m)| {
            serde_json::Number::from_f64(m as f64 * 10f64.powi(e))
        }),
    ]
    .prop_map(Value::Number)
}

fn arb_json_unicode() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        any::<String>().prop_map(Value::String),
        arb_key().prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 96, 10, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::vec((arb_key(), inner), 0..10)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// The direct serializer of `jcs` is byte-identical to the
    /// `serde_json_canonicalizer` crate it replaced, the reference here.
    #[test]
    fn fast_canonicalization_matches_reference(v in arb_json_unicode()) {
        let reference = serde_json_canonicalizer::to_string(&v).unwrap();
        prop_assert_eq!(canonicalize(&v).unwrap(), reference.clone());
        prop_assert_eq!(wallet_core::jcs::canonicalize_to_vec(&v).unwrap(), reference.into_bytes());
    }

    /// Same, with objects of many members whose names all collide on prefixes.
    #[test]
    fn member_sorting_matches_reference(
        kv in proptest::collection::vec((arb_key(), arb_number()), 0..40)
    ) {
        let v = Value::Object(kv.into_iter().collect::<Map<_, _>>());
        prop_assert_eq!(canonicalize(&v).unwrap(), serde_json_canonicalizer::to_string(&v).unwrap());
    }
}
