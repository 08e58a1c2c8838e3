//! Splitting a payload into records: JSON lines with a bounded line length, and the elements of a
//! JSON array (a top-level `[...]` or CloudTrail's `{"Records":[...]}`) found by a scanner that
//! survives a malformed element or a truncated tail.

/// One framed record: its bytes and where it starts.
#[derive(Debug, PartialEq)]
pub struct Frame<'a> {
    pub bytes: &'a [u8],
    /// Byte offset in the payload.
    pub offset: usize,
    /// 1-based line number of the record's first byte.
    pub line: usize,
}

/// Iterates over non-blank lines, trimming `\r`. Lines are borrowed; no copy, no limit needed here:
/// the caller checks each line's length against its record limit.
pub fn lines(data: &[u8]) -> impl Iterator<Item = Frame<'_>> {
    let mut offset = 0usize;
    let mut line = 0usize;
    std::iter::from_fn(move || {
        loop {
            if offset >= data.len() {
                return None;
            }
            line += 1;
            let start = offset;
            let end = memchr(b'\n', &data[start..]).map(|i| start + i).unwrap_or(data.len());
            offset = end + 1;
            let mut bytes = &data[start..end];
            if bytes.last() == Some(&b'\r') {
                bytes = &bytes[..bytes.len() - 1];
            }
            if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                continue;
            }
            return Some(Frame { bytes, offset: start, line });
        }
    })
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// The UTF-8 byte-order mark.
pub const BOM: &[u8] = &[0xEF, 0xBB, 0xBF];

/// Skips white space and UTF-8 byte-order marks (at the start, and where files were joined);
/// returns the index of the first other byte.
pub fn skip_ws(data: &[u8], mut i: usize) -> usize {
    loop {
        if i < data.len() && data[i].is_ascii_whitespace() {
            i += 1;
        } else if data.get(i..).is_some_and(|d| d.starts_with(BOM)) {
            i += BOM.len();
        } else {
            return i;
        }
    }
}

/// If the payload is `{"Records": [ ... ]}` (CloudTrail's file shape), the offset of the `[`.
pub fn records_envelope(data: &[u8]) -> Option<usize> {
    records_envelope_at(data, 0)
}

/// As [`records_envelope`], for an envelope starting at or after `from` (white space skipped).
pub fn records_envelope_at(data: &[u8], from: usize) -> Option<usize> {
    let mut i = skip_ws(data, from);
    if data.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(data, i + 1);
    if !data[i..].starts_with(b"\"Records\"") {
        return None;
    }
    i = skip_ws(data, i + 9);
    if data.get(i) != Some(&b':') {
        return None;
    }
    i = skip_ws(data, i + 1);
    (data.get(i) == Some(&b'[')).then_some(i)
}

/// What the array scanner found at one position.
#[derive(Debug, PartialEq)]
pub enum Element<'a> {
    /// A syntactically balanced element (it may still be invalid JSON inside; the decoder checks).
    Item(Frame<'a>),
    /// The array ended early: the rest of the payload from this offset could not be framed.
    Truncated { offset: usize, line: usize, reason: String },
}

/// Splits the JSON array whose `[` is at `open` into its top-level elements, by tracking strings
/// and bracket depth. Stops at the matching `]`; a payload that ends first yields `Truncated`.
/// Depth is bounded so hostile nesting cannot exhaust the stack of the later parse.
pub fn array_elements(data: &[u8], open: usize) -> Vec<Element<'_>> {
    array_elements_end(data, open).0
}

/// As [`array_elements`], also returning the offset just past the closing `]` (none when the
/// array was cut short), so the caller can go on with what follows it.
pub fn array_elements_end(data: &[u8], open: usize) -> (Vec<Element<'_>>, Option<usize>) {
    const MAX_DEPTH: usize = 512;
    let mut out = Vec::new();
    let mut i = open + 1;
    let mut line = 1 + data[..open.min(data.len())].iter().filter(|&&b| b == b'\n').count();
    loop {
        // Skip white space and commas between elements, counting lines.
        while i < data.len() && (data[i].is_ascii_whitespace() || data[i] == b',') {
            if data[i] == b'\n' {
                line += 1;
            }
            i += 1;
        }
        if i >= data.len() {
            out.push(Element::Truncated { offset: i, line, reason: "array not closed: input ends early".into() });
            return (out, None);
        }
        if data[i] == b']' {
            return (out, Some(i + 1));
        }
        let start = i;
        let start_line = line;
        let mut depth = 0usize;
        let mut in_str = false;
        let mut esc = false;
        let mut ended = false;
        while i < data.len() {
            let b = data[i];
            if b == b'\n' {
                line += 1;
            }
            if in_str {
                if esc {
                    esc = false;
                } else if b == b'\\' {
                    esc = true;
                } else if b == b'"' {
                    in_str = false;
                }
            } else {
                match b {
                    b'"' => in_str = true,
                    b'{' | b'[' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            out.push(Element::Truncated {
                                offset: start,
                                line: start_line,
                                reason: format!("element nested deeper than {MAX_DEPTH} levels"),
                            });
                            return (out, None);
                        }
                    }
                    b'}' | b']' => {
                        if depth == 0 {
                            if b == b'}' || i == start {
                                out.push(Element::Truncated {
                                    offset: i,
                                    line,
                                    reason: format!("unexpected '{}' at byte {i}", b as char),
                                });
                                return (out, None);
                            }
                            // End of the enclosing array right after a scalar element.
                            ended = true;
                            break;
                        }
                        depth -= 1;
                        if depth == 0 {
                            i += 1;
                            ended = true;
                            break;
                        }
                    }
                    b',' if depth == 0 => {
                        ended = true;
                        break;
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        if !ended {
            out.push(Element::Truncated {
                offset: start,
                line: start_line,
                reason: format!("element starting at byte {start} is cut off: input ends inside it"),
            });
            return (out, None);
        }
        let mut end = i;
        while end > start && data[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        out.push(Element::Item(Frame { bytes: &data[start..end], offset: start, line: start_line }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn items(v: &[Element<'_>]) -> Vec<String> {
        v.iter()
            .map(|e| match e {
                Element::Item(f) => String::from_utf8_lossy(f.bytes).into_owned(),
                Element::Truncated { reason, .. } => format!("TRUNC:{reason}"),
            })
            .collect()
    }

    #[test]
    fn splits_records_envelope() {
        let d = br#"{"Records": [{"a":"x,]}"}, {"b":[1,2]} ,{"c":{}}]}"#;
        let open = records_envelope(d).unwrap();
        assert_eq!(items(&array_elements(d, open)), [r#"{"a":"x,]}"}"#, r#"{"b":[1,2]}"#, r#"{"c":{}}"#]);
    }

    #[test]
    fn truncated_tail_is_reported_and_prefix_kept() {
        let d = br#"[{"a":1},{"b":2},{"c":"#;
        let v = array_elements(d, 0);
        assert_eq!(v.len(), 3);
        assert!(matches!(v[2], Element::Truncated { .. }));
        let d2 = br#"[{"a":1}"#;
        assert!(matches!(array_elements(d2, 0)[1], Element::Truncated { .. }));
    }

    #[test]
    fn lines_skip_blanks_and_trim_cr() {
        let d = b"{\"a\":1}\r\n\n  \n{\"b\":2}";
        let v: Vec<_> = lines(d).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].bytes, b"{\"a\":1}");
        assert_eq!(v[1].line, 4);
        assert_eq!(v[1].offset, 13);
    }

    #[test]
    fn deep_nesting_is_refused() {
        let mut d = b"[".to_vec();
        d.extend(std::iter::repeat_n(b'[', 10_000));
        let v = array_elements(&d, 0);
        assert!(matches!(&v[0], Element::Truncated { reason, .. } if reason.contains("nested")));
    }

    proptest! {
        #[test]
        fn scanner_never_panics(d in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut buf = b"[".to_vec();
            buf.extend(d);
            let _ = array_elements(&buf, 0);
            let _ = records_envelope(&buf);
            let _: Vec<_> = lines(&buf).collect();
        }

        #[test]
        fn scanner_agrees_with_serde(v in proptest::collection::vec(proptest::collection::btree_map("[a-z,\\]\\[{}\"]{0,5}", 0i32..100, 0..4), 0..6)) {
            let text = serde_json::to_string_pretty(&v).unwrap();
            let got = array_elements(text.as_bytes(), 0);
            prop_assert_eq!(got.len(), v.len());
            for (e, m) in got.iter().zip(&v) {
                match e {
                    Element::Item(f) => {
                        let back: std::collections::BTreeMap<String, i32> = serde_json::from_slice(f.bytes).unwrap();
                        prop_assert_eq!(&back, m);
                    }
                    Element::Truncated { .. } => prop_assert!(false, "unexpected truncation"),
                }
            }
        }
    }
}
