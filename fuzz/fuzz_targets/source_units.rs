//! Container expansion of a payload (gzip, zip, tar, nested), as for a file or an HTTP body, with
//! small limits: bounded output, every unit named.
#![no_main]

use vigil_source::{Limits, Unit};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_unit_bytes: 1 << 20, max_depth: 3 };
    let mut units = 0usize;
    vigil_source::read_bytes_units("fuzz.bin", data.to_vec(), limits, &mut |u: Unit| {
        units += 1;
        assert!(u.data.len() as u64 <= limits.max_unit_bytes, "unit exceeds its limit");
        assert!(u.name.starts_with("fuzz"));
    });
    assert!(units >= 1 || data.is_empty(), "a non-empty payload yields at least one unit");
});
