//! Windows EVTX binary files, read through the `evtx` crate.

use evtx::{EvtxParser, ParserSettings};
use vigil_model::{EventId, QuarantineRecord};

use crate::{Decoded, Draft, windows};

pub fn decode(name: &str, data: &[u8], emit: &mut dyn FnMut(Decoded)) {
    let settings = ParserSettings::new().separate_json_attributes(false);
    let mut parser = match EvtxParser::from_buffer(data.to_vec()) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            let q = QuarantineRecord::new(
                name,
                "file header".into(),
                "evtx",
                format!("EVTX file header: {e}"),
                &data[..data.len().min(4096)],
            );
            emit(Decoded::Quarantine(q));
            return;
        }
    };
    for (i, rec) in parser.records_json_value().enumerate() {
        match rec {
            Ok(r) => {
                let locator = format!("record {}", r.event_record_id);
                // The canonical rendering (sorted keys) is both the raw form kept and what the id
                // hashes, so the record is serialized once.
                let raw = vigil_model::canonical_json(&r.data);
                let id = EventId::of_bytes(windows::FAMILY, raw.as_bytes());
                let mut d = Draft::new(name, locator.clone(), "evtx", raw.as_bytes(), id);
                match windows::decode(&r.data, &mut d) {
                    Ok(()) => {
                        if let Some(mut e) = d.event {
                            e.metadata.product = if e.metadata.product == "Sysmon" {
                                "Sysmon".into()
                            } else {
                                "Windows Event Log".into()
                            };
                            emit(Decoded::Event(Box::new(e)));
                        }
                    }
                    Err(err) => {
                        let q = QuarantineRecord::new(name, locator, "evtx", err.to_string(), raw.as_bytes());
                        emit(Decoded::Quarantine(q));
                    }
                }
            }
            Err(e) => {
                let q = QuarantineRecord::new(name, format!("item {i}"), "evtx", format!("EVTX: {e}"), &[]);
                emit(Decoded::Quarantine(q));
            }
        }
    }
}
