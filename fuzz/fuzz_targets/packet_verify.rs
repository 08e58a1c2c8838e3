//! The evidence packet verifier: any bytes (a zip, or not) give a report, never a panic; a
//! report that passes has no problems.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let r = vigil_evidence::packet::verify_packet(data, None, &[]);
    assert_eq!(r.ok(), r.problems.is_empty());
    let _ = vigil_evidence::packet::file_names(data);
    let _ = vigil_evidence::packet::checkpoint_of(data);
});
