//! The behavioral detection loader (`vigil-behavior` format): YAML text of one file.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match vigil_behavior::format::parse("fuzz.yml", text) {
        Ok(pack) => {
            let _ = vigil_behavior::Engine::new(pack);
        }
        Err(errors) => assert!(!errors.is_empty(), "a rejected file names at least one error"),
    }
});
