//! The framing that splits a payload into records: JSON lines, a top-level JSON array and
//! CloudTrail's `{"Records":[...]}` envelope. Frames must lie inside the input, in order.
#![no_main]

use vigil_decode::framing::{self, Element};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let mut last = None;
    for f in framing::lines(data) {
        assert!(f.offset + f.bytes.len() <= data.len());
        assert_eq!(&data[f.offset..f.offset + f.bytes.len()], f.bytes);
        assert!(!f.bytes.contains(&b'\n'));
        assert!(last.is_none_or(|(o, l)| f.offset > o && f.line > l), "lines out of order");
        last = Some((f.offset, f.line));
    }
    let start = framing::skip_ws(data, 0);
    assert!(start <= data.len());
    let open = framing::records_envelope(data).or_else(|| (data.get(start) == Some(&b'[')).then_some(start));
    if let Some(open) = open {
        assert_eq!(data[open], b'[');
        let (elements, end) = framing::array_elements_end(data, open);
        let mut prev_end = open + 1;
        for e in &elements {
            match e {
                Element::Item(f) => {
                    assert!(f.offset >= prev_end && f.offset + f.bytes.len() <= data.len(), "element out of bounds");
                    assert_eq!(&data[f.offset..f.offset + f.bytes.len()], f.bytes);
                    prev_end = f.offset + f.bytes.len();
                }
                Element::Truncated { offset, .. } => assert!(*offset <= data.len()),
            }
        }
        if let Some(end) = end {
            assert!(end <= data.len() && data[end - 1] == b']');
            // Whatever follows a closed array may hold another envelope.
            let _ = framing::records_envelope_at(data, end);
        }
    }
});
