//! The `m365` decoder, named with `--format m365`: any bytes decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("m365"), data);
});
