//! Stable, content-derived event ids.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::fmt;

/// A stable event id: the first 128 bits of SHA-256 over the record's family and its canonical
/// content, as 32 lowercase hex characters.
///
/// The same record read twice — from the same file, a copy, a re-export with other white space or
/// key order — gets the same id, which is how ingest stays idempotent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

/// SHA-256 of bytes as lowercase hex: the one digest helper every crate shares (content
/// addresses in the vault, token and session hashes, request signing, audit details).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl EventId {
    /// Id of a record given as canonical bytes, within a record family (e.g. `cloudtrail`).
    pub fn of_bytes(family: &str, canonical: &[u8]) -> EventId {
        let mut h = Sha256::new();
        h.update(family.as_bytes());
        h.update([0u8]);
        h.update(canonical);
        let d = h.finalize();
        EventId(hex::encode(&d[..16]))
    }

    /// Id of a JSON record: its canonical form (sorted keys, no white space) hashed.
    pub fn of_json(family: &str, value: &Value) -> EventId {
        EventId::of_bytes(family, canonical_json(value).as_bytes())
    }

    /// The id of the `n`-th (from 1) repetition of this record within one source payload.
    ///
    /// A payload may hold content-identical records that are distinct occurrences (logs without a
    /// record number, second-precision timestamps). They are kept apart, while the same payload
    /// read again — or a copy of it — yields the same ids, so re-ingesting stays idempotent.
    pub fn nth_occurrence(&self, n: u32) -> EventId {
        if n == 0 {
            return self.clone();
        }
        EventId::of_bytes("occurrence", format!("{}#{n}", self.0).as_bytes())
    }

    /// Accepts a 32-hex-character id as produced by this type.
    pub fn parse(s: &str) -> Option<EventId> {
        (s.len() == 32 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| EventId(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 16 raw bytes of the id.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        // The id is always 32 hex chars by construction.
        if hex::decode_to_slice(&self.0, &mut out).is_err() {
            out = [0u8; 16];
        }
        out
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Canonical JSON text: object keys sorted by their UTF-16 code units as RFC 8785 orders them,
/// no insignificant white space, strings escaped as serde_json escapes them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(*k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn key_order_and_whitespace_do_not_change_the_id() {
        let a: Value = serde_json::from_str(r#"{"b":1,"a":{"y":[1,2],"x":"s"}}"#).unwrap();
        let b: Value = serde_json::from_str("{ \"a\" : {\"x\":\"s\", \"y\":[1, 2]},\n \"b\":1 }").unwrap();
        assert_eq!(EventId::of_json("f", &a), EventId::of_json("f", &b));
        assert_eq!(canonical_json(&a), r#"{"a":{"x":"s","y":[1,2]},"b":1}"#);
    }

    #[test]
    fn family_and_content_change_the_id() {
        let a: Value = serde_json::from_str(r#"{"a":1}"#).unwrap();
        let b: Value = serde_json::from_str(r#"{"a":2}"#).unwrap();
        assert_ne!(EventId::of_json("f", &a), EventId::of_json("f", &b));
        assert_ne!(EventId::of_json("f", &a), EventId::of_json("g", &a));
    }

    #[test]
    fn occurrences_are_distinct_and_stable() {
        let id = EventId::of_bytes("x", b"y");
        assert_eq!(id.nth_occurrence(0), id);
        assert_ne!(id.nth_occurrence(1), id);
        assert_ne!(id.nth_occurrence(1), id.nth_occurrence(2));
        assert_eq!(id.nth_occurrence(1), id.nth_occurrence(1));
    }

    #[test]
    fn parse_round_trips() {
        let id = EventId::of_bytes("x", b"y");
        assert_eq!(EventId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(id.to_bytes().len(), 16);
        assert!(EventId::parse("zz").is_none());
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            ".{0,8}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(".{0,6}", inner, 0..5).prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn canonical_form_is_stable_under_reparsing(v in arb_json()) {
            let c = canonical_json(&v);
            let back: Value = serde_json::from_str(&c).unwrap();
            prop_assert_eq!(&back, &v);
            prop_assert_eq!(canonical_json(&back), c);
            let pretty = serde_json::to_string_pretty(&v).unwrap();
            let reparsed: Value = serde_json::from_str(&pretty).unwrap();
            prop_assert_eq!(EventId::of_json("f", &reparsed), EventId::of_json("f", &v));
        }
    }
}
