//! The Splunk HEC body parser of `POST /services/collector/event`: every event it accepts is
//! one line of a JSON object.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(lines) = vigil_decode::hec::events(data, 0.0) {
        for l in lines {
            assert!(!l.contains('\n'), "an event spans lines");
            assert!(serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&l).is_ok());
        }
    }
});
