//! Vendor decoders: bytes in, normalized OCSF events (or quarantine records) out.
//!
//! Owns: the decoder registry, [`DECODERS`]: one entry per vendor format implementing [`Decoder`]
//! (its `--format` name and aliases, help line, id family, how a JSON record is recognised as
//! the vendor's, the decode of one record, the OCSF classes and the Sigma logsource its events
//! have, a sample record). The `--format` names and help ([`Format`]), record sniffing, test-fixture
//! log types and the detection engine's non-Windows routing are read from that one list. Also:
//! recognising what a payload is by its content (EVTX magic, CloudTrail's `Records` envelope,
//! JSON arrays, JSON lines, pretty-printed documents, Zeek TSV, syslog lines) and framing its records so that
//! truncation and hostile nesting are quarantined, not fatal; the decoders for AWS CloudTrail,
//! Okta System Log, Windows EVTX (through the `evtx` crate), Windows event XML (through
//! `quick-xml`), Windows Security/Sysmon JSON in every shape teams export it (evtx-rendered,
//! NXLog/OTRF and Winlogbeat 6/7 in `windows-json`; xmltodict-style, PowerShell `Get-WinEvent`,
//! Winlogbeat 8/Elastic Agent and Sentinel rows each in a decoder of its own, so a report names
//! the shape each file was read as), Zeek, Suricata EVE, Linux auditd, the GitHub audit log,
//! Azure Monitor and Entra ID logs, the Microsoft 365 unified audit log, Google Cloud audit
//! logs, Kubernetes API server audit events, OneLogin events, Cisco Duo authentication and
//! administrator logs, CrowdStrike Falcon alerts, Microsoft Graph security alerts and Defender
//! for Endpoint alerts (whose records also state the vendor's [`Finding`]), Google Workspace
//! activity, Proofpoint TAP message and click events, Sublime Security message events and audit
//! log (whose delivered threats, permitted clicks and flagged messages state a [`Finding`] too),
//! Cisco Umbrella DNS logs, syslog (RFC 5424 and RFC 3164, with the event XML and audit records
//! syslog lines carry read by those decoders) and generic JSON,
//! into [`vigil_model::Event`]s with their raw record kept; and turning every record it cannot
//! decode into a [`vigil_model::QuarantineRecord`] naming where and why.
//!
//! Must not: read files or archives (that is `vigil-source`), keep state between payloads, drop a
//! record without either an event or a quarantine record for it (every framed record yields
//! exactly one of the two), depend on the detection engine (routing reads the registry, not the
//! other way round), or change a shipped decoder's family (it is hashed into every event id).
//! Every decoder passes the conformance tests in `tests/conformance.rs`.

pub mod auditd;
pub mod azure;
pub mod cloudtrail;
pub mod crowdstrike;
pub mod defender;
pub mod duo;
mod evtx_bin;
pub mod framing;
pub mod gcp;
pub mod generic;
pub mod github;
pub mod gworkspace;
pub mod hec;
pub mod json;
pub mod kubernetes;
pub mod m365;
pub mod okta;
pub mod onelogin;
pub mod proofpoint;
pub mod registry;
pub mod sublime;
pub mod suricata;
pub mod syslog;
pub mod umbrella;
pub mod windows;
pub mod windows_shapes;
pub mod windows_templates;
pub mod windows_view;
pub mod windows_xml;
pub mod zeek;

use serde_json::Value;
use vigil_model::{Event, EventId, Metadata, OcsfClass, QuarantineRecord};

pub use registry::{Decoder, Finding, Format, LogSource, Service};
pub use windows_view::WindowsView;

/// Every decoder, in sniffing order: a JSON record is read by the first that recognizes it, so
/// the more specific come first and generic JSON, which takes any record, comes last. `--format`
/// names, help text, fixture log types and Sigma logsources are all read from here; adding a
/// decoder is a module implementing [`Decoder`] and one line in this list.
pub static DECODERS: &[&dyn Decoder] = &[
    &cloudtrail::CloudTrail,
    &auditd::Auditd,
    &okta::Okta,
    &evtx_bin::Evtx,
    &windows_xml::WindowsXml,
    &windows_shapes::XmlJson,
    &windows_shapes::PowerShell,
    &windows_shapes::Ecs,
    &windows_shapes::Sentinel,
    &windows::WindowsJson,
    &zeek::Zeek,
    &suricata::Suricata,
    &crowdstrike::CrowdStrike,
    &defender::Defender,
    &github::GitHub,
    &azure::Azure,
    &m365::M365,
    &gcp::Gcp,
    &kubernetes::Kubernetes,
    &onelogin::OneLogin,
    &duo::Duo,
    &gworkspace::GWorkspace,
    &proofpoint::Proofpoint,
    &sublime::Sublime,
    &umbrella::Umbrella,
    &syslog::Syslog,
    &generic::Json,
];

/// The decoders whose framing [`scan_unit`] recognises before any record is read.
const EVTX: Format = Format::of(&evtx_bin::Evtx);
const CLOUDTRAIL: Format = Format::of(&cloudtrail::CloudTrail);
const ZEEK: Format = Format::of(&zeek::Zeek);
const WINDOWS_XML: Format = Format::of(&windows_xml::WindowsXml);
const AUDITD: Format = Format::of(&auditd::Auditd);
const SYSLOG: Format = Format::of(&syslog::Syslog);

/// Why one record could not be decoded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON: {0}")]
    InvalidJson(String),
    #[error("not valid UTF-8 at byte {0} of the record")]
    NotUtf8(usize),
    #[error("record of {size} bytes exceeds the {max}-byte limit")]
    TooLarge { size: usize, max: usize },
    #[error("missing required field '{0}'")]
    Missing(String),
    #[error("field '{field}' has an unusable value {value:?}")]
    Bad { field: String, value: String },
    #[error("no usable timestamp (looked for {0})")]
    NoTime(String),
    #[error("{0}")]
    Unrecognized(String),
    #[error("EVTX: {0}")]
    Evtx(String),
    /// An error in reading one shape of a format (one of the Windows shapes), named.
    #[error("{shape}: {error}")]
    Shape { shape: &'static str, error: Box<DecodeError> },
}

impl DecodeError {
    pub fn missing(field: &str) -> DecodeError {
        DecodeError::Missing(field.to_string())
    }
    pub fn bad(field: &str, value: &str) -> DecodeError {
        // At most 80 characters, cut on a character boundary.
        let v: String = value.chars().take(80).collect();
        DecodeError::Bad { field: field.to_string(), value: v }
    }
}

/// Decoding options.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    /// A record larger than this is quarantined (its excerpt kept), not decoded.
    pub max_record_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { format: Format::Auto, max_record_bytes: 4 << 20 }
    }
}

/// What a decoder hands back, one per framed record.
#[derive(Debug)]
pub enum Decoded {
    Event(Box<Event>),
    Quarantine(QuarantineRecord),
}

/// The event being built for one record: knows its source, place and raw bytes.
pub struct Draft<'a> {
    source: &'a str,
    locator: String,
    format: &'static str,
    raw: &'a [u8],
    id: EventId,
    hint: Option<&'a str>,
    event: Option<Event>,
}

impl<'a> Draft<'a> {
    fn new(
        source: &'a str,
        locator: String,
        format: &'static str,
        raw: &'a [u8],
        id: EventId,
        hint: Option<&'a str>,
    ) -> Draft<'a> {
        Draft { source, locator, format, raw, id, hint, event: None }
    }

    /// The name of the decoder reading the record, as events and quarantine records give it.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// For decoders routed by [`Service::LogName`], the log name the payload's file name
    /// suggests (`dns.json.gz` → `dns`), for records that do not state theirs.
    pub fn log_name_hint(&self) -> Option<&'a str> {
        self.hint
    }

    /// Starts the event with its class and time; returns it for the decoder to fill.
    pub fn start(&mut self, class: OcsfClass, activity: u32, time: i64, product: &str, vendor: &str) -> &mut Event {
        let metadata = Metadata {
            product: product.to_string(),
            vendor: vendor.to_string(),
            format: self.format.to_string(),
            source: self.source.to_string(),
            locator: self.locator.clone(),
            ..Metadata::default()
        };
        // Records are accepted only as valid UTF-8 JSON, so this conversion is lossless.
        let raw = String::from_utf8_lossy(self.raw).into_owned();
        self.event.insert(Event::new(self.id.clone(), class, activity, time, metadata, raw))
    }
}

/// Counts for one payload.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct UnitStats {
    pub events: u64,
    pub quarantined: u64,
}

/// Numbers content-identical events within one payload as distinct occurrences; see
/// `EventId::nth_occurrence`. Whoever normalizes the records of one payload keeps one of these.
#[derive(Debug, Default)]
pub struct Occurrences(std::collections::HashMap<EventId, u32>);

impl Occurrences {
    pub fn number(&mut self, e: &mut Event) {
        let n = self.0.entry(e.id.clone()).or_insert(0);
        if *n > 0 {
            e.id = e.id.nth_occurrence(*n);
        }
        *n += 1;
    }
}

/// One framed and parsed vendor record, before normalization: the vendor's own fields (what
/// Sigma rules are written against) and everything needed to normalize it later. Detection reads
/// records and normalizes only the ones a rule matched; ingest normalizes all of them.
pub struct Record<'a> {
    source: &'a str,
    locator: String,
    decoder: &'static dyn Decoder,
    /// The record's bytes as read; `None` for EVTX, whose kept form is the canonical rendering.
    raw: Option<&'a [u8]>,
    /// The log name the file name suggests, for decoders routed by log name.
    hint: Option<&'a str>,
    value: Value,
    /// Set when the decoder reshaped the record ([`Decoder::reshape`]): the record as written.
    written: Option<Box<Written>>,
}

/// What a reshaped record was as written: its id and, for a record not framed from bytes, its
/// canonical JSON (the raw form kept).
struct Written {
    id: EventId,
    canonical: Option<String>,
}

/// Applies the decoder's [`Decoder::reshape`], keeping the id of the record as written.
fn reshaped(decoder: &'static dyn Decoder, value: Value, framed: bool) -> (Value, Option<Box<Written>>) {
    match decoder.reshape(&value) {
        None => (value, None),
        Some(new) => {
            let written = if framed {
                Written { id: EventId::of_json(decoder.family(), &value), canonical: None }
            } else {
                let c = vigil_model::canonical_json(&value);
                Written { id: EventId::of_bytes(decoder.family(), c.as_bytes()), canonical: Some(c) }
            };
            (new, Some(Box::new(written)))
        }
    }
}

impl<'a> Record<'a> {
    /// A record that was not framed from bytes (a rendering, as EVTX records are, or a value
    /// handed over whole), to be read by `decoder`. Its kept raw form is the canonical JSON, and
    /// its id is the same as that of the same record framed from any file.
    pub fn from_value(source: &'a str, locator: String, decoder: &'static dyn Decoder, value: Value) -> Record<'a> {
        let hint = if decoder.logsource().service == Service::LogName { file_stem(source) } else { None };
        let (value, written) = reshaped(decoder, value, false);
        Record { source, locator, decoder, raw: None, hint, value, written }
    }

    /// A record framed from `raw` (which the caller parsed into `value`), to be read by `decoder`.
    pub(crate) fn framed(
        source: &'a str,
        locator: String,
        decoder: &'static dyn Decoder,
        raw: &'a [u8],
        value: Value,
    ) -> Record<'a> {
        let hint = if decoder.logsource().service == Service::LogName { file_stem(source) } else { None };
        let (value, written) = reshaped(decoder, value, true);
        Record { source, locator, decoder, raw: Some(raw), hint, value, written }
    }

    /// The vendor record (a test-fixture envelope already unwrapped).
    pub fn value(&self) -> &Value {
        &self.value
    }
    /// The decoder that reads it (never `Auto`).
    pub fn format(&self) -> Format {
        Format::of(self.decoder)
    }
    /// The registry entry that reads it.
    pub fn decoder(&self) -> &'static dyn Decoder {
        self.decoder
    }
    /// The decoder family, as in [`EventId`]: `cloudtrail`, `okta`, `windows`, `zeek`, `github`, `json` ….
    pub fn family(&self) -> &'static str {
        self.decoder.family()
    }
    pub fn source(&self) -> &str {
        self.source
    }
    pub fn locator(&self) -> &str {
        &self.locator
    }
    /// For decoders routed by [`Service::LogName`], the record's log name (Zeek's `conn`, `dns`
    /// … from `_path` or the file name); for [`Service::OneOf`], the one of its services the
    /// record states; `None` for every other decoder.
    pub fn log_name(&self) -> Option<&str> {
        match self.decoder.logsource().service {
            Service::LogName => self.decoder.log_name(&self.value).or(self.hint),
            Service::OneOf(names) => self.decoder.log_name(&self.value).filter(|n| names.contains(n)),
            Service::None | Service::Fixed(_) | Service::WindowsChannel => None,
        }
    }
    /// For Zeek records, the log name (`conn`, `dns` …) from `_path` or the file name: the
    /// [`Record::log_name`] of the one decoder routed by log name.
    pub fn zeek_log(&self) -> Option<&str> {
        self.log_name()
    }

    /// Whether [`Record::normalize`] would give an event, and if not why, without building it:
    /// the decoder's checks of the fields an event cannot do without. The offline scan, which
    /// normalizes only the records a rule matched, counts the others through this, so it and
    /// ingest agree on what is quarantined.
    pub fn admits(&self) -> Result<(), DecodeError> {
        self.decoder.admits(&self.value)
    }

    /// Normalizes the record to an OCSF event, or says why it cannot be.
    pub fn normalize(&self) -> Decoded {
        let canonical;
        let (raw, id) = match (self.raw, self.written.as_deref()) {
            (Some(raw), Some(w)) => (raw, w.id.clone()),
            (None, Some(Written { id, canonical: Some(c) })) => (c.as_bytes(), id.clone()),
            (Some(raw), None) => (raw, EventId::of_json(self.family(), &self.value)),
            (None, _) => {
                // The canonical rendering (sorted keys) is both the raw form kept and what the id
                // hashes, so the record is serialized once.
                canonical = vigil_model::canonical_json(&self.value);
                (canonical.as_bytes(), EventId::of_bytes(self.family(), canonical.as_bytes()))
            }
        };
        let name = self.decoder.name();
        let mut d = Draft::new(self.source, self.locator.clone(), name, raw, id, self.hint);
        match self.decoder.decode(&self.value, &mut d) {
            Ok(()) => finish(d),
            Err(e) => {
                Decoded::Quarantine(QuarantineRecord::new(self.source, self.locator.clone(), name, e.to_string(), raw))
            }
        }
    }
}

/// The first of `keys` (dotted paths) that holds a parseable time; else the first key holding
/// something unreadable, else that none is there. Decoders read times through it both when
/// they decode and in [`Decoder::admits`], so the two refuse the same records.
pub(crate) fn time_of(v: &Value, keys: &[&str]) -> Result<i64, DecodeError> {
    let mut seen_bad = None;
    for k in keys {
        if let Some(x) = json::get(v, k) {
            match vigil_model::parse_time_value(x) {
                Some(t) => return Ok(t),
                None if seen_bad.is_none() => seen_bad = Some((*k, x.to_string())),
                None => {}
            }
        }
    }
    match seen_bad {
        Some((k, x)) => Err(DecodeError::bad(k, &x)),
        None => Err(DecodeError::NoTime(keys.join(", "))),
    }
}

/// What [`scan_unit`] hands back, one per framed record.
pub enum Scanned<'a> {
    Record(Record<'a>),
    Quarantine(QuarantineRecord),
}

/// Decodes one payload (`name` is its display name, used in every quarantine record), calling
/// `sink` once per record.
pub fn decode_unit(name: &str, data: &[u8], opts: &Options, sink: &mut dyn FnMut(Decoded)) -> UnitStats {
    let mut stats = UnitStats::default();
    let mut occurrences = Occurrences::default();
    scan_unit(name, data, opts, &mut |s| {
        let mut d = match s {
            Scanned::Record(r) => r.normalize(),
            Scanned::Quarantine(q) => Decoded::Quarantine(q),
        };
        match &mut d {
            Decoded::Event(e) => {
                stats.events += 1;
                occurrences.number(e);
            }
            Decoded::Quarantine(_) => stats.quarantined += 1,
        }
        sink(d)
    });
    stats
}

/// Frames and parses one payload without normalizing: `sink` gets every record (as a [`Record`])
/// or its quarantine record, exactly one per framed record.
pub fn scan_unit<'a>(name: &'a str, data: &'a [u8], opts: &Options, emit: &mut dyn FnMut(Scanned<'a>)) {
    if data.is_empty() {
        return;
    }
    let is_evtx = data.starts_with(b"ElfFile\0");
    if opts.format == EVTX || (opts.format == Format::Auto && is_evtx) {
        evtx_bin::scan(name, data, emit);
        return;
    }
    if is_evtx {
        emit(quarantine_unit(name, data, opts.format.name(), "an EVTX file, but --format names another decoder"));
        return;
    }
    if let Some(why) = binary_reason(data) {
        emit(quarantine_unit(name, data, "detect", &why));
        return;
    }
    let start = framing::skip_ws(data, 0);
    if start >= data.len() {
        return;
    }
    // Syslog text: a `<PRI>` opens it (before event XML, which opens with `<` too), or a time
    // stamp, host and program do; Sysmon for Linux's event lines among them are read as event XML.
    let json = data[start] == b'{' || data[start] == b'[';
    let pri = syslog::has_pri(&String::from_utf8_lossy(&data[start..data.len().min(start + 8)]));
    let syslog = !json
        && (opts.format == SYSLOG
            || (opts.format == Format::Auto
                && (pri || (data[start] != b'<' && windows_xml::in_syslog(&data[start..])))));
    if syslog {
        syslog::scan(name, data, opts, emit);
        return;
    }
    if opts.format == WINDOWS_XML || (opts.format == Format::Auto && data[start] == b'<') {
        windows_xml::scan(name, data, opts, emit);
        return;
    }
    let text = data[start] != b'{' && data[start] != b'[';
    // Audit log text; JSON renderings of audit records (as framing makes them) are framed as JSON.
    if text && (opts.format == AUDITD || (opts.format == Format::Auto && auditd::looks_like(&data[start..]))) {
        auditd::scan(name, data, opts.max_record_bytes, emit);
        return;
    }
    if text && opts.format == Format::Auto && syslog::looks_like(&data[start..]) {
        syslog::scan(name, data, opts, emit);
        return;
    }
    // A payload may hold several JSON documents one after another (CloudTrail files concatenated
    // by a shipper, arrays then lines): frame each in turn until the bytes run out.
    let mut pos = start;
    loop {
        pos = framing::skip_ws(data, pos);
        if pos >= data.len() {
            break;
        }
        if let Some(open) = framing::records_envelope_at(data, pos) {
            let fmt = if opts.format == Format::Auto { CLOUDTRAIL } else { opts.format };
            let Some(end) = decode_array(name, data, open, fmt, opts, emit) else { break };
            // Past the array: the envelope's closing brace.
            let close = framing::skip_ws(data, end);
            if data.get(close) == Some(&b'}') {
                pos = close + 1;
                continue;
            }
            emit(quarantine_rest(name, data, close, fmt.name(), "the Records envelope is not closed after its array"));
            break;
        } else if data[pos] == b'[' {
            let Some(end) = decode_array(name, data, pos, opts.format, opts, emit) else { break };
            pos = end;
        } else if pos == start
            && (data[pos..].starts_with(b"#separator") || data[pos..].starts_with(b"#fields"))
            && (opts.format == Format::Auto || opts.format == ZEEK)
        {
            decode_zeek_tsv(name, data, opts, emit);
            break;
        } else if pos == start && opts.format == Format::Auto && data[pos] != b'{' {
            // Text that does not open with a JSON record is not a log format Vigil knows (a README,
            // a web server log …): one quarantine record for the whole payload, not one per line.
            // Name a decoder with --format to read it line by line anyway.
            let first: String = String::from_utf8_lossy(&data[start..data.len().min(start + 60)])
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            emit(quarantine_unit(
                name,
                data,
                "detect",
                &format!(
                    "not a recognised log format: the content does not start with a JSON record (starts {first:?})"
                ),
            ));
            break;
        } else if data[pos] == b'{' && is_pretty_json(&data[pos..]) {
            // Pretty-printed JSON: documents that span lines, one after another.
            decode_documents(name, data, pos, opts, emit);
            break;
        } else {
            let base_line = data[..pos].iter().filter(|&&b| b == b'\n').count();
            for f in framing::lines(&data[pos..]) {
                let locator = format!("line {} (byte {})", base_line + f.line, pos + f.offset);
                decode_record(name, locator, f.bytes, opts.format, opts, emit);
            }
            break;
        }
    }
}

fn quarantine_rest(name: &str, data: &[u8], at: usize, format: &str, why: &str) -> Scanned<'static> {
    Scanned::Quarantine(QuarantineRecord::new(
        name,
        format!("byte {at}"),
        format,
        why.to_string(),
        &data[at.min(data.len())..],
    ))
}

fn quarantine_unit(name: &str, data: &[u8], format: &str, why: &str) -> Scanned<'static> {
    Scanned::Quarantine(QuarantineRecord::new(name, "whole file".into(), format, why.to_string(), data))
}

/// Recognises content that is not text at all, with a reason that names what it is when known.
fn binary_reason(data: &[u8]) -> Option<String> {
    let head = &data[..data.len().min(4096)];
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        // What Windows PowerShell 5's `>` and `Out-File` write by default.
        return Some(
            "UTF-16 text (it opens with a UTF-16 byte-order mark); Vigil reads UTF-8: convert it first \
             (iconv -f UTF-16 -t UTF-8, or Out-File -Encoding utf8)"
                .into(),
        );
    }
    let known = [
        (
            &[0xd4u8, 0xc3, 0xb2, 0xa1][..],
            "a pcap packet capture; packet captures are not decoded (run Zeek on it and ingest its logs)",
        ),
        (
            &[0xa1, 0xb2, 0xc3, 0xd4][..],
            "a pcap packet capture; packet captures are not decoded (run Zeek on it and ingest its logs)",
        ),
        (
            &[0x0a, 0x0d, 0x0d, 0x0a][..],
            "a pcapng packet capture; packet captures are not decoded (run Zeek on it and ingest its logs)",
        ),
        (&[0x00, 0x05, 0x16, 0x07][..], "a macOS AppleDouble resource fork (archive metadata), not a log"),
        (&[0x7f, b'E', b'L', b'F'][..], "an ELF executable, not a log"),
        (&b"MZ"[..], "a Windows executable, not a log"),
        (&b"%PDF"[..], "a PDF document, not a log"),
        (&b"PAR1"[..], "a Parquet file; ingest reads logs, not lake files"),
    ];
    for (magic, why) in known {
        if head.starts_with(magic) {
            return Some(why.to_string());
        }
    }
    // A stray NUL in a text log is a bad record, not a binary file: only call the whole payload
    // binary when control bytes are common in its head.
    let ctrl = head.iter().filter(|&&b| b == 0 || (b < 0x09) || (0x0e..0x20).contains(&b)).count();
    (ctrl * 8 > head.len()).then(|| {
        format!("binary content ({ctrl} control bytes in the first {} bytes), not a recognised log format", head.len())
    })
}

/// Decodes the elements of the array at `open`; returns the offset past its `]`, or none when
/// the array was cut short (the cut is quarantined).
fn decode_array<'a>(
    name: &'a str,
    data: &'a [u8],
    open: usize,
    fmt: Format,
    opts: &Options,
    emit: &mut dyn FnMut(Scanned<'a>),
) -> Option<usize> {
    let (elements, end) = framing::array_elements_end(data, open);
    for (i, el) in elements.into_iter().enumerate() {
        match el {
            framing::Element::Item(f) => {
                let locator = format!("element {} (line {}, byte {})", i, f.line, f.offset);
                decode_record(name, locator, f.bytes, fmt, opts, emit);
            }
            framing::Element::Truncated { offset, line, reason } => {
                let q = QuarantineRecord::new(
                    name,
                    format!("element {i} (line {line}, byte {offset})"),
                    fmt.name(),
                    format!("truncated: {reason}"),
                    &data[offset.min(data.len())..],
                );
                emit(Scanned::Quarantine(q));
            }
        }
    }
    end
}

fn decode_zeek_tsv<'a>(name: &'a str, data: &'a [u8], opts: &Options, emit: &mut dyn FnMut(Scanned<'a>)) {
    let mut tsv = zeek::Tsv::new();
    for f in framing::lines(data) {
        let locator = format!("line {} (byte {})", f.line, f.offset);
        let quarantine =
            |why: String| Scanned::Quarantine(QuarantineRecord::new(name, locator.clone(), "zeek", why, f.bytes));
        let text = match std::str::from_utf8(f.bytes) {
            Ok(t) => t,
            Err(e) => {
                emit(quarantine(DecodeError::NotUtf8(e.valid_up_to()).to_string()));
                continue;
            }
        };
        if text.starts_with('#') {
            if let Err(why) = tsv.header(text) {
                emit(quarantine(format!("Zeek TSV header: {why}")));
            }
            continue;
        }
        if f.bytes.len() > opts.max_record_bytes {
            emit(quarantine(DecodeError::TooLarge { size: f.bytes.len(), max: opts.max_record_bytes }.to_string()));
            continue;
        }
        if !tsv.has_fields() {
            emit(quarantine("Zeek TSV data line before any #fields header".into()));
            continue;
        }
        match tsv.row(text) {
            Ok(value) => emit(Scanned::Record(Record {
                source: name,
                locator,
                decoder: &zeek::Zeek,
                raw: Some(f.bytes),
                hint: None,
                value,
                written: None,
            })),
            Err(why) => emit(quarantine(format!("Zeek TSV: {why}"))),
        }
    }
}

/// Whether `data` opens with a JSON document that spans lines (pretty-printed JSON) rather than
/// one JSON value per line: the first line alone is not a value, but the first document is, and
/// it ends past that line. A first line holding a value and something after it (`{}a`, two
/// values run together) is a malformed JSON line: one quarantine record, not two outcomes.
fn is_pretty_json(data: &[u8]) -> bool {
    let line = data.split(|&b| b == b'\n').next().unwrap_or(data);
    if serde_json::from_slice::<serde::de::IgnoredAny>(line).is_ok() {
        return false;
    }
    let mut stream = serde_json::Deserializer::from_slice(data).into_iter::<serde::de::IgnoredAny>();
    matches!(stream.next(), Some(Ok(_))) && stream.byte_offset() > line.len()
}

/// Frames JSON documents that follow one another with any white space between them (each may
/// span many lines). A document that does not parse is quarantined up to the next line that
/// opens a document, and framing goes on from there.
fn decode_documents<'a>(name: &'a str, data: &'a [u8], pos: usize, opts: &Options, emit: &mut dyn FnMut(Scanned<'a>)) {
    let mut start = pos;
    let mut i = 0usize;
    'outer: while start < data.len() {
        let body = &data[start..];
        let mut stream = serde_json::Deserializer::from_slice(body).into_iter::<serde::de::IgnoredAny>();
        let mut offset = 0usize;
        loop {
            let first = framing::skip_ws(body, offset);
            if body[offset..first].windows(framing::BOM.len()).any(|w| w == framing::BOM) {
                // Files joined with their byte-order marks: the next document starts past the mark.
                start += first;
                continue 'outer;
            }
            let at = start + first;
            let line = data[..at].iter().filter(|&&b| b == b'\n').count() + 1;
            let locator = format!("document {i} (line {line}, byte {at})");
            match stream.next() {
                None => break 'outer,
                Some(Ok(_)) => {
                    let end = stream.byte_offset();
                    decode_record(name, locator, &body[first..end], opts.format, opts, emit);
                    offset = end;
                    i += 1;
                }
                Some(Err(e)) => {
                    // Resume at the next line that opens a document.
                    let next =
                        body[first..].windows(2).position(|w| w == b"\n{").map(|p| first + p + 1).unwrap_or(body.len());
                    let q = QuarantineRecord::new(
                        name,
                        locator,
                        opts.format.name(),
                        format!("invalid JSON: {e}"),
                        &body[first..next],
                    );
                    emit(Scanned::Quarantine(q));
                    i += 1;
                    start += next;
                    continue 'outer;
                }
            }
        }
    }
}

/// Frames one JSON record, always emitting exactly one record or one quarantine record.
fn decode_record<'a>(
    name: &'a str,
    locator: String,
    bytes: &'a [u8],
    fmt: Format,
    opts: &Options,
    emit: &mut dyn FnMut(Scanned<'a>),
) {
    // A byte-order mark where files were joined (`cat a.json b.json`) starts a record, not a value.
    let bytes = bytes.strip_prefix(framing::BOM).unwrap_or(bytes);
    let fail = |format: &str, e: DecodeError, locator: String| {
        Scanned::Quarantine(QuarantineRecord::new(name, locator, format, e.to_string(), bytes))
    };
    if bytes.len() > opts.max_record_bytes {
        emit(fail(fmt.name(), DecodeError::TooLarge { size: bytes.len(), max: opts.max_record_bytes }, locator));
        return;
    }
    if let Err(e) = std::str::from_utf8(bytes) {
        emit(fail(fmt.name(), DecodeError::NotUtf8(e.valid_up_to()), locator));
        return;
    }
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            emit(fail(fmt.name(), DecodeError::InvalidJson(e.to_string()), locator));
            return;
        }
    };
    // Panther-style test fixtures wrap the vendor record: {"log": {...}, "log_types": [...]}.
    let (value, declared) = unwrap_envelope(value);
    let decoder = fmt.decoder().unwrap_or_else(|| declared.unwrap_or_else(|| sniff(&value)));
    // A syslog message carrying another format's record is read by that format's decoder.
    if decoder.name() == syslog::NAME
        && let Some((carrier, inner)) = syslog::carried(&value)
    {
        emit(Scanned::Record(Record::framed(name, locator, carrier, bytes, inner)));
        return;
    }
    emit(Scanned::Record(Record::framed(name, locator, decoder, bytes, value)));
}

fn finish(d: Draft<'_>) -> Decoded {
    match d.event {
        Some(e) => Decoded::Event(Box::new(e)),
        None => Decoded::Quarantine(QuarantineRecord::new(
            d.source,
            d.locator,
            d.format,
            "decoder produced no event".into(),
            d.raw,
        )),
    }
}

/// The vendor of one JSON record, by its keys.
pub fn detect(v: &Value) -> Format {
    Format::of(sniff(v))
}

/// The first decoder of the registry that recognizes the record; generic JSON, last, takes any.
fn sniff(v: &Value) -> &'static dyn Decoder {
    DECODERS.iter().find(|d| d.recognizes(v)).copied().unwrap_or(&generic::Json)
}

/// Unwraps `{"log": {...}, "log_types": [...]}` test-fixture envelopes (Panther's rule tests),
/// returning the vendor record and the format the envelope declares for it, if Vigil knows it.
fn unwrap_envelope(v: Value) -> (Value, Option<&'static dyn Decoder>) {
    let is_env =
        v.get("log").is_some_and(Value::is_object) && (v.get("log_types").is_some() || v.get("rule_id").is_some());
    if !is_env {
        return (v, None);
    }
    let declared = v
        .get("log_types")
        .and_then(|t| t.get(0))
        .and_then(Value::as_str)
        .or_else(|| v.get("log").and_then(|l| l.get("p_log_type")).and_then(Value::as_str))
        .and_then(registry::by_fixture_log_type);
    match v {
        Value::Object(mut m) => match m.remove("log") {
            Some(inner) => (inner, declared),
            None => (Value::Object(m), None),
        },
        other => (other, None),
    }
}

/// The log name a file name suggests: `.../dns.json` or `conn.log` → `dns`, `conn`.
fn file_stem(name: &str) -> Option<&str> {
    let base = name.rsplit(['/', '\\', '!']).next()?;
    let stem = base.split('.').next()?;
    (!stem.is_empty()).then_some(stem)
}

#[cfg(test)]
mod tests;

/// One record decoded by `decoder` as a test expects it to be: the event, or a panic naming the
/// record and why it was quarantined.
#[cfg(test)]
pub(crate) fn decoded_by(decoder: &'static dyn Decoder, v: &Value) -> Event {
    match Record::from_value("t.json", "line 1".into(), decoder, v.clone()).normalize() {
        Decoded::Event(e) => *e,
        Decoded::Quarantine(q) => panic!("{v}: {}", q.reason),
    }
}
