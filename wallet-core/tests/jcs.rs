//! JCS (RFC 8785): the RFC's examples, its Appendix B number table, the reference
//! implementation's test data, and the I-JSON / size / depth rejections.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use serde_json::{Value, json};
use wallet_core::jcs::{
    JcsError, MAX_DEPTH, MAX_INPUT_BYTES, canonicalize, canonicalize_str, canonicalize_to_vec,
    number_to_string, parse,
};

macro_rules! vector {
    ($($f:tt)+) => {
        include_str!(concat!("../../tests/vectors/rfc8785/", $($f)+))
    };
}

fn hex_bytes(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect()
}

#[test]
fn rfc_3_2_2_sample() {
    let out = canonicalize_str(vector!("sec-3.2.2-input.json")).unwrap();
    assert_eq!(out, vector!("sec-3.2.2-output.json"));
}

#[test]
fn rfc_3_2_4_utf8_bytes() {
    let value: Value = serde_json::from_str(vector!("sec-3.2.2-input.json")).unwrap();
    let bytes = canonicalize_to_vec(&value).unwrap();
    assert_eq!(bytes, hex_bytes(vector!("sec-3.2.4-utf8.txt")));
}

#[test]
fn rfc_3_2_3_sorting_by_utf16_code_units() {
    let out = canonicalize_str(vector!("sec-3.2.3-input.json")).unwrap();
    assert_eq!(out, vector!("sec-3.2.3-output.json"));
    // The point of the example: U+1F600 (surrogates D83D DE00) sorts before U+FB33,
    // which UTF-8 or code-point order would get wrong.
    let emoji = out.find('\u{1F600}').unwrap();
    let dalet = out.find('\u{FB33}').unwrap();
    assert!(emoji < dalet);
}

#[test]
fn rfc_appendix_b_numbers() {
    let doc: Value = serde_json::from_str(vector!("appendix-b.json")).unwrap();
    let rows = doc["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 26);
    for row in rows {
        let bits = u64::from_str_radix(row["ieee754"].as_str().unwrap(), 16).unwrap();
        let n = f64::from_bits(bits);
        match row["expected"].as_str() {
            Some(expected) => {
                assert_eq!(number_to_string(n).unwrap(), expected, "{row}");
                // The same through a full document, parsed from its own output.
                let text = format!("[{expected}]");
                assert_eq!(canonicalize_str(&text).unwrap(), text);
            }
            None => assert_eq!(number_to_string(n), Err(JcsError::NonFinite), "{row}"),
        }
    }
}

fn cyberphone(name: &str, input: &str, output: &str, outhex: &str) {
    let out = canonicalize_str(input).unwrap();
    assert_eq!(out, output, "{name}");
    assert_eq!(out.as_bytes(), hex_bytes(outhex), "{name} (outhex)");
}

macro_rules! cyberphone_case {
    ($test:ident, $name:literal) => {
        #[test]
        fn $test() {
            cyberphone(
                $name,
                vector!(concat!("cyberphone/input/", $name, ".json")),
                vector!(concat!("cyberphone/output/", $name, ".json")),
                vector!(concat!("cyberphone/outhex/", $name, ".txt")),
            );
        }
    };
}

cyberphone_case!(cyberphone_arrays, "arrays");
cyberphone_case!(cyberphone_french, "french");
cyberphone_case!(cyberphone_structures, "structures");
cyberphone_case!(cyberphone_unicode, "unicode");
cyberphone_case!(cyberphone_values, "values");
cyberphone_case!(cyberphone_weird, "weird");

#[test]
fn integers_become_doubles_like_ecmascript() {
    assert_eq!(
        canonicalize_str(
            "[9007199254740993,-0,1E2,18446744073709551615,123456789012345678901234567890]"
        )
        .unwrap(),
        "[9007199254740992,0,100,18446744073709552000,1.2345678901234568e+29]"
    );
    assert_eq!(
        canonicalize(&json!({"b": 1u64 << 60, "a": -5i64})).unwrap(),
        r#"{"a":-5,"b":1152921504606847000}"#
    );
}

#[test]
fn string_escaping_is_minimal() {
    // RFC 8785 §3.2.2.2: only '"', '\\' and U+0000..U+001F are escaped; the short forms
    // \b \t \n \f \r are used where they exist, lower-case \u00xx otherwise.
    let out = canonicalize(&json!(
        "\u{0}\u{8}\t\n\u{b}\u{c}\r\u{1f} \"\\/\u{7f}\u{2028}é"
    ))
    .unwrap();
    assert_eq!(
        out,
        "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f \\\"\\\\/\u{7f}\u{2028}é\""
    );
}

#[test]
fn rejects_duplicate_member_names() {
    assert_eq!(
        canonicalize_str(r#"{"a":1,"a":2}"#),
        Err(JcsError::DuplicateMember("a".into()))
    );
    // The same name spelled with an escape is still a duplicate.
    assert_eq!(
        canonicalize_str(r#"{"x":{"\u0061":1,"a":2}}"#),
        Err(JcsError::DuplicateMember("a".into()))
    );
}

#[test]
fn rejects_out_of_range_numbers() {
    assert_eq!(canonicalize_str("1e309"), Err(JcsError::NumberOutOfRange));
    assert_eq!(
        canonicalize_str("[-1e400]"),
        Err(JcsError::NumberOutOfRange)
    );
}

#[test]
fn rejects_non_json() {
    for bad in [
        "",
        "NaN",
        "[Infinity]",
        "{\"a\":1,}",
        "[1] x",
        "\"\\ud800\"",
        "'a'",
        "01",
    ] {
        assert!(
            matches!(canonicalize_str(bad), Err(JcsError::Syntax { .. })),
            "{bad:?}: {:?}",
            canonicalize_str(bad)
        );
    }
}

#[test]
fn rejects_oversized_input() {
    let big = format!("\"{}\"", "a".repeat(MAX_INPUT_BYTES));
    assert_eq!(canonicalize_str(&big), Err(JcsError::TooLarge(big.len())));
    let ok = format!("\"{}\"", "a".repeat(MAX_INPUT_BYTES - 2));
    assert!(canonicalize_str(&ok).is_ok());
}

#[test]
fn depth_limit_on_text() {
    let at_limit = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
    assert!(canonicalize_str(&at_limit).is_ok());
    let over = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
    assert_eq!(canonicalize_str(&over), Err(JcsError::TooDeep));
    let objects = format!(
        "{}1{}",
        "{\"a\":".repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(parse(&objects), Err(JcsError::TooDeep));
    // Far beyond serde_json's own recursion limit: still our error, not a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(canonicalize_str(&deep), Err(JcsError::TooDeep));
}

#[test]
fn depth_limit_on_values() {
    let mut v = json!(1);
    for _ in 0..=MAX_DEPTH {
        v = json!([v]);
    }
    assert_eq!(canonicalize(&v), Err(JcsError::TooDeep));
    let mut ok = json!({});
    for _ in 1..MAX_DEPTH {
        ok = json!({ "k": ok });
    }
    assert!(canonicalize(&ok).is_ok());
}

#[test]
fn canonical_form_is_a_fixed_point() {
    let once = canonicalize_str(vector!("cyberphone/input/weird.json")).unwrap();
    assert_eq!(canonicalize_str(&once).unwrap(), once);
}
