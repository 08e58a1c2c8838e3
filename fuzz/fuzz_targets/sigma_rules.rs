//! The Sigma rule loader: YAML text of one rule file, then the pack finished and compiled into
//! a detector.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut pack = vigil_detect::RulePack::default();
    pack.add_yaml("fuzz.yml", text);
    pack.finish();
    let _ = pack.summary();
    let _ = vigil_detect::Detector::new(&pack, vigil_detect::DetectorOptions::default());
});
