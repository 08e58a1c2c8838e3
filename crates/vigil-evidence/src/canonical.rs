//! RFC 8785 JSON Canonicalization Scheme (JCS).

use serde_json::{Number, Value};
use thiserror::Error;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CanonicalError {
    /// NaN and infinities have no JSON form.
    #[error("number {0} is not finite")]
    NonFinite(String),
    /// An integer outside ±2^53 whose decimal text is not the ECMAScript form of the
    /// nearest double (e.g. 2^53 + 1): canonicalizing it would lose digits and make two
    /// different integers look the same. RFC 8785 asks such values to be carried as strings.
    #[error("integer {0} has no exact IEEE 754 double form; carry it as a string")]
    UnsafeInteger(String),
}

/// 2^53: the largest magnitude up to which every integer is an exact double.
const MAX_SAFE: u64 = 1 << 53;

/// Serialize `value` per RFC 8785: keys sorted by UTF-16 code units, no whitespace, minimal
/// string escapes, numbers formatted like ECMAScript `Number.prototype.toString`.
///
/// Integers outside ±2^53 are refused (see [`CanonicalError::UnsafeInteger`]). The output
/// is only as exact as the doubles in `value`: serde_json without its `float_roundtrip`
/// feature can read a decimal one ulp off, so re-canonicalizing reparsed JSON can change
/// bytes unless that feature is on.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::new();
    write_value(value, &mut out)?;
    Ok(out)
}

fn write_value(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => out.extend_from_slice(number(n)?.as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_value(v, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\u{08}' => out.extend_from_slice(b"\\b"),
            '\u{0c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

fn number(n: &Number) -> Result<String, CanonicalError> {
    if let Some(u) = n.as_u64() {
        return exact_integer(u <= MAX_SAFE, u.to_string(), u as f64);
    }
    if let Some(i) = n.as_i64() {
        return exact_integer(i.unsigned_abs() <= MAX_SAFE, i.to_string(), i as f64);
    }
    match n.as_f64() {
        Some(f) => format_number(f).ok_or_else(|| CanonicalError::NonFinite(n.to_string())),
        None => Err(CanonicalError::NonFinite(n.to_string())),
    }
}

/// An integer is accepted when its ECMAScript form is its own decimal text, so no two
/// integers share a canonical form and canonical output re-canonicalizes unchanged.
fn exact_integer(safe: bool, decimal: String, as_double: f64) -> Result<String, CanonicalError> {
    if safe || format_number(as_double).as_deref() == Some(decimal.as_str()) {
        Ok(decimal)
    } else {
        Err(CanonicalError::UnsafeInteger(decimal))
    }
}

/// Format a double like ECMAScript `Number.prototype.toString` (ECMA-262 Number::toString,
/// as RFC 8785 §3.2.2.3 requires). `None` for NaN and infinities.
pub fn format_number(x: f64) -> Option<String> {
    if !x.is_finite() {
        return None;
    }
    if x == 0.0 {
        return Some("0".to_owned());
    }
    if x < 0.0 {
        return format_number(-x).map(|s| format!("-{s}"));
    }
    // Rust's `{:e}` gives the shortest digits that round-trip, e.g. "1.2345e-7".
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e')?;
    let exp: i32 = exp.parse().ok()?;
    let mut digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if let Some(even) = tie_to_even(x, &digits, exp) {
        digits = even;
    }
    let k = digits.len() as i32;
    // value = 0.digits × 10^n
    let n = exp + 1;
    let s = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{sign}{}", e.unsigned_abs())
        } else {
            format!("{first}.{rest}e{sign}{}", e.unsigned_abs())
        }
    };
    Some(s)
}

/// ECMA-262 says that when two shortest digit strings are equally close to `x`, the even
/// one wins; Rust's shortest formatting rounds such ties up. `digits` × 10^(`exp` + 1 −
/// len) is Rust's choice; returns the even alternative when `x` lies exactly halfway
/// between two candidates and that alternative also reads back as `x`.
fn tie_to_even(x: f64, digits: &str, exp: i32) -> Option<String> {
    let k = digits.len();
    // The exact decimal expansion of a double has at most 767 significant digits.
    let exact = format!("{x:.780e}");
    let (mantissa, exact_exp) = exact.split_once('e')?;
    if exact_exp.parse::<i32>().ok()? != exp {
        return None;
    }
    let exact_digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let (head, tail) = exact_digits.split_at_checked(k)?;
    let mut tail = tail.bytes();
    if tail.next() != Some(b'5') || !tail.all(|b| b == b'0') {
        return None;
    }
    // x is exactly halfway between `head` and `head + 1` (in the last place).
    let last = head.bytes().last()?;
    let candidate = if (last - b'0').is_multiple_of(2) {
        head.to_owned()
    } else if last < b'9' {
        let mut c = head[..k - 1].to_owned();
        c.push(char::from(last + 1));
        c
    } else {
        return None;
    };
    if candidate == digits {
        return None;
    }
    let (first, rest) = candidate.split_at(1);
    let reread: f64 = format!("{first}.{rest}e{exp}").parse().ok()?;
    (reread == x).then_some(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(canonical_json(v).unwrap()).unwrap()
    }

    #[test]
    fn rfc8785_number_examples() {
        let cases: [(u64, &str); 24] = [
            (0x0000000000000000, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, want) in cases {
            let x = f64::from_bits(bits);
            assert_eq!(format_number(x).unwrap(), want, "{bits:#018x}");
            // Through serde_json as well.
            assert_eq!(canon(&json!(x)), want, "{bits:#018x}");
        }
        for (x, want) in [
            (1e21, "1e+21"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (-0.0, "0"),
            (1e20, "100000000000000000000"),
            (4.5, "4.5"),
            (0.002, "0.002"),
            (1e-27, "1e-27"),
            (1e30, "1e+30"),
            (-1.5e-9, "-1.5e-9"),
            (123.0, "123"),
        ] {
            assert_eq!(format_number(x).unwrap(), want, "{x}");
        }
        assert_eq!(format_number(f64::NAN), None);
        assert_eq!(format_number(f64::INFINITY), None);
        assert_eq!(format_number(f64::NEG_INFINITY), None);
    }

    #[test]
    fn integers_and_the_safe_range() {
        assert_eq!(canon(&json!(0)), "0");
        assert_eq!(canon(&json!(-42)), "-42");
        assert_eq!(canon(&json!(9007199254740992u64)), "9007199254740992");
        assert_eq!(canon(&json!(-9007199254740992i64)), "-9007199254740992");
        assert!(matches!(canonical_json(&json!(9007199254740993u64)), Err(CanonicalError::UnsafeInteger(_))));
        assert!(matches!(canonical_json(&json!({"a": [i64::MIN]})), Err(CanonicalError::UnsafeInteger(_))));
        assert!(canonical_json(&json!(u64::MAX)).is_err());
        // Large integers that are exactly what a double prints as are kept.
        assert_eq!(canon(&json!(1152921504606847000u64)), "1152921504606847000");
        assert!(canonical_json(&json!(1u64 << 60)).is_err());
        assert_eq!(canon(&json!(-1013821544048052700i64)), "-1013821544048052700");
        assert_eq!(canon(&json!(-1.0138215440480527e18)), "-1013821544048052700");
    }

    #[test]
    fn rfc8785_main_example() {
        let input = r#"{
          "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
          "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
          "literals": [null, true, false]
        }"#;
        let mut v: Value = serde_json::from_str(input).unwrap();
        // serde_json (without its `float_roundtrip` feature) may read a decimal one ulp off;
        // put in the correctly rounded double, as RFC 8785 assumes.
        v["numbers"][0] = json!("333333333.33333329".parse::<f64>().unwrap());
        let want = "{\"literals\":[null,true,false],\"numbers\":[333333333.3333333,1e+30,4.5,0.002,1e-27],\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}";
        assert_eq!(canon(&v), want);
    }

    #[test]
    fn keys_sort_by_utf16_code_units() {
        // RFC 8785 §3.2.3: the emoji (surrogates D83D DE00) sorts before U+FB33 in UTF-16,
        // though it comes after it by code point and in UTF-8.
        let input = r#"{
          "\u20ac": "Euro Sign",
          "\r": "Carriage Return",
          "\ufb33": "Hebrew Letter Dalet With Dagesh",
          "1": "One",
          "\ud83d\ude00": "Emoji: Grinning Face",
          "\u0080": "Control",
          "\u00f6": "Latin Small Letter O With Diaeresis"
        }"#;
        let v: Value = serde_json::from_str(input).unwrap();
        let out = canon(&v);
        let order = ["\\r", "1", "\u{80}", "ö", "€", "😀", "\u{fb33}"];
        let positions: Vec<usize> = order.iter().map(|k| out.find(&format!("\"{k}\":")).unwrap()).collect();
        assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
        assert!(out.starts_with("{\"\\r\":\"Carriage Return\",\"1\":\"One\""));
    }

    #[test]
    fn escapes_and_nesting() {
        let v = json!({
            "s": "q\" b\\ \u{8}\u{c}\n\r\t \u{0} \u{1f} \u{7f} \u{2028} é/",
            "nested": {"z": [1, [2, {"b": null, "a": []}]], "a": {}},
            "empty": "",
        });
        assert_eq!(
            canon(&v),
            "{\"empty\":\"\",\"nested\":{\"a\":{},\"z\":[1,[2,{\"a\":[],\"b\":null}]]},\
             \"s\":\"q\\\" b\\\\ \\b\\f\\n\\r\\t \\u0000 \\u001f \u{7f} \u{2028} é/\"}"
        );
        assert_eq!(canon(&json!([])), "[]");
        assert_eq!(canon(&json!({})), "{}");
        assert_eq!(canon(&json!("")), "\"\"");
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|i| json!(i)),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Equality where numbers compare as doubles (canonical form writes 0.0 as `0`).
    fn same_json(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
            (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
            (Value::Object(x), Value::Object(y)) => {
                x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w)))
            }
            _ => a == b,
        }
    }

    proptest! {
        #[test]
        fn canonical_form_is_idempotent_and_reparses_equal(v in arb_json()) {
            let once = canonical_json(&v).unwrap();
            let reparsed: Value = serde_json::from_slice(&once).unwrap();
            prop_assert!(same_json(&reparsed, &v), "{} vs {}", reparsed, v);
            let twice = canonical_json(&reparsed).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn numbers_round_trip(x in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
            let s = format_number(x).unwrap();
            let back: f64 = s.parse().unwrap();
            prop_assert!(back == x, "{} -> {} -> {}", x, s, back);
        }
    }
}
