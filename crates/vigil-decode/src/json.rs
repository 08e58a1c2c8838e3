//! Small helpers for reading fields out of `serde_json::Value`s.

use serde_json::Value;

/// Follows a dotted path of object keys (`"userIdentity.arn"`). Keys that themselves contain dots
/// (Zeek's `id.orig_h`) are looked up whole first. A key not found as written is matched without
/// regard to ASCII case, since some shippers lowercase vendor field names (`eventtype`).
pub fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    if let Some(x) = key(v, path) {
        return Some(x);
    }
    let mut cur = v;
    for part in path.split('.') {
        cur = key(cur, part)?;
    }
    Some(cur)
}

fn key<'a>(v: &'a Value, k: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    m.get(k).or_else(|| m.iter().find(|(name, _)| name.eq_ignore_ascii_case(k)).map(|(_, x)| x))
}

/// A field as text: strings as they are, numbers and booleans printed; empty, `-` and null are none.
pub fn text(v: &Value, path: &str) -> Option<String> {
    get(v, path).and_then(as_text)
}

pub fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t != "-" && t != "null").then(|| s.clone())
        }
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(m) => m.get("#text").and_then(as_text),
        _ => None,
    }
}

/// A field as an integer: numbers, decimal text, or `0x` hex text.
pub fn int(v: &Value, path: &str) -> Option<i64> {
    get(v, path).and_then(as_int)
}

pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => {
            n.as_i64().or_else(|| n.as_u64().map(|u| u as i64)).or_else(|| n.as_f64().map(|f| f as i64))
        }
        Value::String(s) => parse_int(s),
        Value::Object(m) => m.get("#text").and_then(as_int),
        _ => None,
    }
}

pub fn parse_int(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()
    } else {
        s.parse::<i64>().ok()
    }
}

pub fn float(v: &Value, path: &str) -> Option<f64> {
    match get(v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
}

pub fn boolean(v: &Value, path: &str) -> Option<bool> {
    match get(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

/// Compact JSON of a field, when present and not null.
pub fn compact(v: &Value, path: &str) -> Option<String> {
    get(v, path).filter(|x| !x.is_null()).map(|x| x.to_string())
}

/// Port numbers in 0..=65535 only.
pub fn port(v: &Value, path: &str) -> Option<u16> {
    int(v, path).and_then(|p| u16::try_from(p).ok())
}

/// The last path component of a Windows or Unix path.
pub fn basename(path: &str) -> String {
    path.rsplit(['\\', '/']).next().unwrap_or(path).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_and_types() {
        let v = json!({"a":{"b":"x","n":"0x1a","m":"12","e":"-"},"id.orig_h":"1.2.3.4","t":{"#text":5}});
        assert_eq!(text(&v, "a.b").as_deref(), Some("x"));
        assert_eq!(int(&v, "a.n"), Some(26));
        assert_eq!(int(&v, "a.m"), Some(12));
        assert_eq!(text(&v, "a.e"), None);
        assert_eq!(text(&v, "id.orig_h").as_deref(), Some("1.2.3.4"));
        assert_eq!(int(&v, "t"), Some(5));
        assert_eq!(port(&v, "a.n"), Some(26));
        assert_eq!(text(&json!({"eventtype":"x"}), "eventType").as_deref(), Some("x"));
        assert_eq!(basename("C:\\Windows\\System32\\cmd.exe"), "cmd.exe");
    }
}
