//! Windows EVTX binary files, read through the `evtx` crate.
//!
//! The crate reports a chunk it cannot parse but silently stops at a file cut short, so this layer
//! checks the file's length against the chunk count its header declares and quarantines what is
//! missing, naming the chunks (and, where the chunk header survives, the record ids) lost.

use evtx::err::EvtxError;
use evtx::{EvtxParser, ParserSettings};
use serde_json::Value;
use vigil_model::{OcsfClass, QuarantineRecord};

use crate::{DecodeError, Decoder, Draft, LogSource, Record, Scanned, windows};

/// Windows EVTX files. Recognised by their magic bytes before any record is read, never by
/// record content (with `--format evtx` every payload is read as an EVTX file); each record's
/// `evtx` rendering is read as Windows JSON is, with the same family, so the same ids.
pub struct Evtx;

impl Decoder for Evtx {
    fn name(&self) -> &'static str {
        "evtx"
    }
    fn family(&self) -> &'static str {
        windows::FAMILY
    }
    fn description(&self) -> &'static str {
        "Windows EVTX binary event logs (recognised by their magic bytes)"
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        windows::decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        windows::head(record, self.name()).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        windows::CLASSES
    }
    fn logsource(&self) -> LogSource {
        windows::LOGSOURCE
    }
    /// The `evtx` crate's JSON rendering of one record: what this decoder reads of a binary record.
    fn sample(&self) -> &'static str {
        r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:25.523718Z"}},"EventRecordID":1,"Channel":"Security","Computer":"WS1"},"EventData":{"TargetUserName":"alice","TargetDomainName":"CORP","LogonType":3,"IpAddress":"10.0.0.5","IpPort":"5050","AuthenticationPackageName":"NTLM","WorkstationName":"WS2"}}}"##
    }
}

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
                decoder: &Evtx,
                raw: None,
                hint: None,
                value: r.data,
                written: None,
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
