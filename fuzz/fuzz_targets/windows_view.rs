//! The Windows event views (the XML-as-JSON and flat JSON shapes that EVTX and Windows JSON
//! records take): any JSON value is read without panic.
#![no_main]

use vigil_decode::WindowsView;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let _ = WindowsView::recognizes(&v);
    let Some(w) = WindowsView::of(&v) else { return };
    let _ = (w.shape(), w.event_id_path(), w.event_id_value(), w.event_id(), w.channel());
    let _ = (w.provider(), w.computer(), w.record_id(), w.level(), w.time(), w.time_fields());
    let _ = w.data_field("TargetUserName");
    for (k, v) in w.fields() {
        let _ = (k.len(), vigil_decode::windows_view::str_of(v));
    }
    let _ = format!("{:?}", w.data().count());
});
