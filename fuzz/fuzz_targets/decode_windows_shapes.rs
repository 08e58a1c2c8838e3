//! The Windows shape decoders that reshape what they read (`windows-xmljson`,
//! `windows-powershell`, `windows-ecs`, `windows-sentinel`), each named with `--format`: any bytes
//! decode without panic or hang.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for name in ["windows-xmljson", "windows-powershell", "windows-ecs", "windows-sentinel"] {
        vigil_fuzz::decode_with(Some(name), data);
    }
});
