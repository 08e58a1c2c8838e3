//! The `azure` decoder, named with `--format azure`: any bytes decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("azure"), data);
});
