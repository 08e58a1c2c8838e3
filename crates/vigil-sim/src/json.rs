//! A small ordered JSON tree, written straight into a `String`.
//!
//! `serde_json::Value` sorts object keys (the workspace does not enable `preserve_order`), while
//! vendor logs have their own field order; this tree keeps the order it is built in, borrows the
//! company's strings instead of copying them, and can mark the spot where a Windows
//! `EventRecordID` goes once the writer knows it.

use std::fmt::Write as _;

/// A JSON value borrowing from `'a`.
#[derive(Debug, Clone)]
pub(crate) enum J<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(&'a str),
    Own(String),
    Arr(Vec<J<'a>>),
    Obj(Vec<(&'static str, J<'a>)>),
    /// Where the writer later inserts the host's per-channel record number.
    RecordId,
}

/// `obj!{"k": v, ...}`: an ordered object; values go through `J::from`.
macro_rules! obj {
    ($($k:literal : $v:expr),* $(,)?) => {
        $crate::json::J::Obj(vec![$(($k, $crate::json::J::from($v))),*])
    };
}

/// `arr![a, b]`: an array; values go through `J::from`.
#[cfg(test)]
macro_rules! arr {
    ($($v:expr),* $(,)?) => {
        $crate::json::J::Arr(vec![$($crate::json::J::from($v)),*])
    };
}

pub(crate) use obj;

impl<'a> From<&'a str> for J<'a> {
    fn from(s: &'a str) -> Self {
        J::Str(s)
    }
}
impl<'a> From<&'a String> for J<'a> {
    fn from(s: &'a String) -> Self {
        J::Str(s.as_str())
    }
}
impl From<String> for J<'_> {
    fn from(s: String) -> Self {
        J::Own(s)
    }
}
impl From<bool> for J<'_> {
    fn from(b: bool) -> Self {
        J::Bool(b)
    }
}
impl From<f64> for J<'_> {
    fn from(f: f64) -> Self {
        J::Float(f)
    }
}
macro_rules! int_from {
    ($($t:ty),*) => {$(
        impl From<$t> for J<'_> {
            fn from(n: $t) -> Self {
                J::Int(n as i64)
            }
        }
    )*};
}
int_from!(i32, i64, u8, u16, u32, u64, usize);

impl<'a, T: Into<J<'a>>> From<Option<T>> for J<'a> {
    fn from(o: Option<T>) -> Self {
        match o {
            Some(v) => v.into(),
            None => J::Null,
        }
    }
}
impl<'a> From<Vec<J<'a>>> for J<'a> {
    fn from(v: Vec<J<'a>>) -> Self {
        J::Arr(v)
    }
}

impl<'a> J<'a> {
    /// An array of strings.
    pub(crate) fn strs<S: AsRef<str>>(items: &[S]) -> J<'a> {
        J::Arr(items.iter().map(|s| J::Own(s.as_ref().to_string())).collect())
    }

    /// Appends a field to an object (no-op on other values).
    pub(crate) fn push(&mut self, key: &'static str, v: impl Into<J<'a>>) {
        if let J::Obj(fields) = self {
            fields.push((key, v.into()));
        }
    }

    /// Drops the object's top-level fields that are null.
    pub(crate) fn without_nulls(self) -> J<'a> {
        match self {
            J::Obj(fields) => J::Obj(fields.into_iter().filter(|(_, v)| !matches!(v, J::Null)).collect()),
            other => other,
        }
    }

    /// Writes compact JSON; returns the byte offset of the [`J::RecordId`] marker, if any.
    pub(crate) fn write(&self, out: &mut String) -> Option<usize> {
        let mut at = None;
        self.write_into(out, &mut at);
        at
    }

    /// Writes indented JSON (two spaces), for files people read.
    pub(crate) fn write_pretty(&self, out: &mut String, depth: usize) {
        let pad = |out: &mut String, d: usize| {
            out.push('\n');
            for _ in 0..d {
                out.push_str("  ");
            }
        };
        match self {
            J::Arr(items) if !items.is_empty() => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    v.write_pretty(out, depth + 1);
                }
                pad(out, depth);
                out.push(']');
            }
            J::Obj(fields) if !fields.is_empty() => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    pad(out, depth + 1);
                    escape(k, out);
                    out.push_str(": ");
                    v.write_pretty(out, depth + 1);
                }
                pad(out, depth);
                out.push('}');
            }
            other => {
                other.write(out);
            }
        }
    }

    fn write_into(&self, out: &mut String, at: &mut Option<usize>) {
        match self {
            J::Null => out.push_str("null"),
            J::Bool(true) => out.push_str("true"),
            J::Bool(false) => out.push_str("false"),
            J::Int(n) => {
                let _ = write!(out, "{n}");
            }
            J::Float(f) => {
                if f.is_finite() {
                    let _ = write!(out, "{f:?}");
                } else {
                    out.push_str("null");
                }
            }
            J::Str(s) => escape(s, out),
            J::Own(s) => escape(s, out),
            J::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write_into(out, at);
                }
                out.push(']');
            }
            J::Obj(fields) => {
                out.push('{');
                for (i, (k, v)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    escape(k, out);
                    out.push(':');
                    v.write_into(out, at);
                }
                out.push('}');
            }
            J::RecordId => *at = Some(out.len()),
        }
    }
}

/// Writes `s` as a JSON string literal.
pub(crate) fn escape(s: &str, out: &mut String) {
    out.push('"');
    if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push_str(s);
    } else {
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                }
                c => out.push(c),
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_ordered_compact_json_that_serde_reads() {
        let name = String::from("C:\\Windows\\\"x\"\n");
        let mut v = obj! {"z": 1, "a": &name, "f": 1.5, "n": Option::<u32>::None, "arr": arr![true, "s"]};
        v.push("id", J::RecordId);
        v.push("after", 2u32);
        let mut s = String::new();
        let at = v.write(&mut s);
        assert!(s.starts_with("{\"z\":1,\"a\":"));
        let at = at.expect("marker");
        let mut full = s.clone();
        full.insert_str(at, "42");
        let back: serde_json::Value = serde_json::from_str(&full).expect("valid json");
        assert_eq!(back["a"], name.as_str());
        assert_eq!(back["id"], 42);
        assert_eq!(back["f"], 1.5);
        assert!(back["n"].is_null());
    }
}
