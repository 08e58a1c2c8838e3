//! The `windows-xml` decoder, named with `--format windows-xml`: any bytes frame and decode
//! without panic or hang (event framing, `quick-xml` reading, the xmltodict-style conversion).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("windows-xml"), data);
});
