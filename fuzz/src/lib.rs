//! Shared checks for the fuzz targets in `fuzz_targets/`. Each target asserts that its entry
//! point neither panics nor hangs on any input, plus the cheap invariants below.

use vigil_decode::{Decoded, Format, Options, Scanned};

/// Decodes `data` as one payload with the named decoder (`None`: content sniffing) and checks
/// that the unit statistics agree with what reached the sink; then reads every framed record's
/// vendor finding (a product's own alert), which must not panic either.
pub fn decode_with(format: Option<&str>, data: &[u8]) {
    let format = match format {
        Some(name) => Format::named(name).expect("a registered decoder name"),
        None => Format::Auto,
    };
    // A small record limit, so the over-size path is reachable with small inputs too.
    for max_record_bytes in [Options::default().max_record_bytes, 64] {
        let opts = Options { format, max_record_bytes };
        let (mut events, mut quarantined) = (0u64, 0u64);
        let stats = vigil_decode::decode_unit("fuzz.input", data, &opts, &mut |d| match d {
            Decoded::Event(_) => events += 1,
            Decoded::Quarantine(_) => quarantined += 1,
        });
        assert_eq!((stats.events, stats.quarantined), (events, quarantined), "unit statistics disagree with the sink");
    }
    vigil_decode::scan_unit("fuzz.input", data, &Options { format, ..Options::default() }, &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(f) = r.decoder().finding(r.value())
        {
            assert!(!f.rule_id.is_empty() && f.tags.iter().all(|t| t.starts_with("attack.")), "{f:?}");
        }
    });
}
