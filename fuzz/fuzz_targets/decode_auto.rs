//! Content sniffing and every decoder it routes to (`--format auto`, the default).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(None, data);
});
