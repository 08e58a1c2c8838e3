//! The `crowdstrike` decoder, named with `--format crowdstrike`: any bytes decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("crowdstrike"), data);
});
