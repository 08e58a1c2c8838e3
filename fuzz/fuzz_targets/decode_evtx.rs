//! The `evtx` decoder, named with `--format evtx`: any bytes decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("evtx"), data);
});
