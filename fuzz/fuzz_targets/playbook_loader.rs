//! The response playbook loader (`vigil-respond` format): YAML text of one file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = vigil_respond::format::parse("fuzz.yml", text) {
        let _ = p.target_kinds();
    }
});
