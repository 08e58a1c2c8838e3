//! Windows EVTX binary files, read through the `evtx` crate.
//!
//! The crate reports a chunk it cannot parse but silently stops at a file cut short, so this layer
//! checks the file's length against the chunk count its header declares and quarantines what is
//! missing, naming the chunks (and, where the chunk header survives, the record ids) lost.

use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
use vigil_model::QuarantineRecord;

use crate::{Format, Record, Scanned};

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65536;

/// First and last record id a chunk header declares, if the header is present and sane.
fn chunk_record_ids(data: &[u8], chunk: usize) -> Option<(u64, u64)> {
    let off = FILE_HEADER.checked_add(chunk.checked_mul(CHUNK)?)?;
    let head = data.get(off..off + 40)?;
    if !head.starts_with(b"ElfChnk\0") {
        return None;
    }
    let first = u64::from_le_bytes(head[24..32].try_into().ok()?);
    let last = u64::from_le_bytes(head[32..40].try_into().ok()?);
    (first <= last && last - first < 1_000_000).then_some((first, last))
}

fn describe_chunk(data: &[u8], chunk: usize) -> String {
    match chunk_record_ids(data, chunk) {
        Some((a, b)) => format!("chunk {chunk} (record ids {a}–{b}, {} records)", b - a + 1),
        None => format!("chunk {chunk}"),
    }
}

pub fn scan<'a>(name: &'a str, data: &'a [u8], emit: &mut dyn FnMut(Scanned<'a>)) {
    let settings = ParserSettings::new().separate_json_attributes(false);
    // Read in place: the payload is already in memory, so no copy of the whole file.
    let mut parser = match EvtxParser::from_read_seek(std::io::Cursor::new(data)) {
        Ok(p) => p.with_configuration(settings),
        Err(e) => {
            let q = QuarantineRecord::new(
                name,
                "file header".into(),
                "evtx",
                format!("EVTX file header: {e}"),
                &data[..data.len().min(4096)],
            );
            emit(Scanned::Quarantine(q));
            return;
        }
    };
    let declared_chunks = usize::from(parser.header().chunk_count);
    for (i, rec) in parser.records_json_value().enumerate() {
        match rec {
            Ok(r) => emit(Scanned::Record(Record {
                source: name,
                locator: format!("record {}", r.event_record_id),
                format: Format::Evtx,
                fmt_name: "evtx",
                raw: None,
                zeek_hint: None,
                value: r.data,
            })),
            Err(EvtxError::FailedToParseChunk { chunk_id, source }) => {
                let chunk = usize::try_from(chunk_id).unwrap_or(usize::MAX);
                let off = FILE_HEADER.saturating_add(chunk.saturating_mul(CHUNK));
                let bytes = data.get(off..data.len().min(off.saturating_add(CHUNK))).unwrap_or(&[]);
                let q = QuarantineRecord::new(
                    name,
                    format!("chunk {chunk_id} (byte {off})"),
                    "evtx",
                    format!("EVTX: {} cannot be parsed: {source}", describe_chunk(data, chunk)),
                    bytes,
                );
                emit(Scanned::Quarantine(q));
            }
            Err(e) => {
                let q = QuarantineRecord::new(name, format!("item {i}"), "evtx", format!("EVTX: {e}"), &[]);
                emit(Scanned::Quarantine(q));
            }
        }
    }
    // A file cut short: the chunks its header declares that are not all there.
    let needed = FILE_HEADER + declared_chunks * CHUNK;
    if data.len() < needed {
        let first_missing = data.len().saturating_sub(FILE_HEADER) / CHUNK;
        let lost: Vec<String> = (first_missing..declared_chunks).map(|c| describe_chunk(data, c)).collect();
        let off = FILE_HEADER + first_missing * CHUNK;
        let q = QuarantineRecord::new(
            name,
            format!("chunk {first_missing} (byte {off})"),
            "evtx",
            format!(
                "truncated EVTX file: {} bytes, but its header declares {declared_chunks} chunks ({needed} bytes); unreadable: {}",
                data.len(),
                lost.join(", ")
            ),
            data.get(off..).unwrap_or(&[]),
        );
        emit(Scanned::Quarantine(q));
    }
}
