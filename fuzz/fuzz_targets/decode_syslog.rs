//! The `syslog` decoder, named with `--format syslog`: any bytes decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    vigil_fuzz::decode_with(Some("syslog"), data);
});
