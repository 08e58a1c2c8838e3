//! Windows events as XML text: what `wevtutil qe /f:xml`, `Get-WinEvent | % ToXml()`, Event
//! Viewer's "Save as XML" and Splunk's `XmlWinEventLog` give; and the same event XML that
//! Sysmon for Linux writes to syslog, one event per line after the syslog header.
//!
//! Owns: finding each `<Event>` element in a payload (one per line, pretty-printed, run together
//! with nothing between them, inside an `<Events>` wrapper, after an XML declaration) and reading
//! one into JSON in xmltodict's convention: attributes as `@Name`, an element's text as `#text`
//! (or the element's whole value when it has neither attributes nor children), repeated elements
//! as arrays, an empty element as `null`. [`crate::WindowsView`] reads that shape as it reads it
//! from a JSON file, so an XML event and the same event as xmltodict JSON are one view.
//!
//! The XML itself is parsed by `quick-xml`; framing only looks for the `<Event` and `</Event>`
//! tags, so an event cut short or malformed is quarantined alone and the next one is still read.
//! Nesting deeper than [`MAX_DEPTH`], entities other than XML's own and a DTD are refused.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as Xml};
use serde_json::{Map, Value};
use vigil_model::{OcsfClass, QuarantineRecord};

use crate::{DecodeError, Decoder, Draft, LogSource, Options, Record, Scanned, windows};

/// The decoder's name, as events and quarantine records give it.
pub const NAME: &str = "windows-xml";

/// Elements nested deeper than this are refused (event XML is five or six deep).
pub const MAX_DEPTH: usize = 32;

/// Windows event XML. Recognised by its framing (a payload that opens with `<`), never by record
/// content; each `<Event>` element is read into xmltodict's JSON convention and normalized as
/// Windows JSON is, with the same family.
pub struct WindowsXml;

impl Decoder for WindowsXml {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["xml", "xmlwineventlog", "wevtutil"]
    }
    fn family(&self) -> &'static str {
        windows::FAMILY
    }
    fn description(&self) -> &'static str {
        "Windows event XML text (wevtutil, Event Viewer, Splunk XmlWinEventLog), one event per line or run together"
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
    /// One event as this decoder reads its XML: the xmltodict convention.
    fn sample(&self) -> &'static str {
        r##"{"Event":{"@xmlns":"http://schemas.microsoft.com/win/2004/08/events/event","System":{"Provider":{"@Name":"Microsoft-Windows-Security-Auditing","@Guid":"{54849625-5478-4994-a5ba-3e3b0328c30d}"},"EventID":"4624","Version":"2","Level":"0","TimeCreated":{"@SystemTime":"2019-03-19T23:34:25.5237180Z"},"EventRecordID":"1","Channel":"Security","Computer":"WS1"},"EventData":{"Data":[{"@Name":"TargetUserName","#text":"alice"},{"@Name":"TargetDomainName","#text":"CORP"},{"@Name":"LogonType","#text":"3"},{"@Name":"IpAddress","#text":"10.0.0.5"}]}}}"##
    }
}

/// Reads the XML of one element (an `<Event>`, or a fragment such as Sentinel's `<EventData>`)
/// into xmltodict's JSON convention: `{"Event": {…}}`.
pub fn read_element(xml: &str) -> Result<Value, String> {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    // Open elements, innermost last: name, attributes and children so far, text so far.
    let mut stack: Vec<(String, Map<String, Value>, String)> = Vec::new();
    let mut root: Option<Value> = None;
    loop {
        let ev = reader.read_event().map_err(|e| format!("XML at byte {}: {e}", reader.error_position()))?;
        match ev {
            Xml::Start(t) => {
                if root.is_some() {
                    return Err("a second element after the first one closed".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(format!("elements nested deeper than {MAX_DEPTH}"));
                }
                let (name, attrs) = start(&t)?;
                stack.push((name, attrs, String::new()));
            }
            Xml::Empty(t) => {
                let (name, attrs) = start(&t)?;
                let v = finish(attrs, String::new());
                match stack.last_mut() {
                    Some(parent) => add_child(&mut parent.1, name, v),
                    None if root.is_none() => root = Some(single(name, v)),
                    None => return Err("a second element after the first one closed".into()),
                }
            }
            Xml::End(_) => {
                let Some((name, attrs, text)) = stack.pop() else {
                    return Err("a closing tag with no element open".into());
                };
                let v = finish(attrs, text);
                match stack.last_mut() {
                    Some(parent) => add_child(&mut parent.1, name, v),
                    None => root = Some(single(name, v)),
                }
            }
            // Text is kept as Windows wrote it, line ends included (a script block's CR LF), as
            // every other rendering of the event has it.
            Xml::Text(t) => {
                let text = t.into_inner();
                match stack.last_mut() {
                    Some(open) => open.2.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err("text outside the element".into()),
                }
            }
            Xml::CData(t) => match stack.last_mut() {
                Some(open) => open.2.push_str(&t.into_inner()),
                None => return Err("CDATA outside the element".into()),
            },
            Xml::GeneralRef(r) => {
                let c: String = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => {
                        let name = r.xml10_content();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_string(),
                            None => return Err(format!("unknown entity &{name};")),
                        }
                    }
                    Err(e) => return Err(format!("bad character reference: {e}")),
                };
                match stack.last_mut() {
                    Some(open) => open.2.push_str(&c),
                    None => return Err("a reference outside the element".into()),
                }
            }
            Xml::DocType(_) => return Err("a DTD (<!DOCTYPE>) is not read".into()),
            Xml::Comment(_) | Xml::Decl(_) | Xml::PI(_) => {}
            Xml::Eof => break,
        }
    }
    if let Some((name, _, _)) = stack.last() {
        return Err(format!("<{name}> is not closed"));
    }
    root.ok_or_else(|| "no element".to_string())
}

fn single(name: String, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(name, v);
    Value::Object(m)
}

/// An element's name and its attributes as `@name` keys.
fn start(t: &BytesStart<'_>) -> Result<(String, Map<String, Value>), String> {
    let name = t.name().as_ref().to_string();
    let mut attrs = Map::new();
    for a in t.attributes() {
        let a = a.map_err(|e| format!("attribute of <{name}>: {e}"))?;
        let key = format!("@{}", a.key.as_ref());
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("attribute {key} of <{name}>: {e}"))?;
        attrs.insert(key, Value::String(value.into_owned()));
    }
    Ok((name, attrs))
}

/// A closed element's value: its text alone, `null` when empty, or an object of its attributes
/// and children with its text as `#text`. White space between child elements is not text.
fn finish(mut fields: Map<String, Value>, text: String) -> Value {
    let has_children = fields.keys().any(|k| !k.starts_with('@'));
    if fields.is_empty() {
        return if text.is_empty() { Value::Null } else { Value::String(text) };
    }
    let only_layout = has_children && text.trim().is_empty();
    if !text.is_empty() && !only_layout {
        fields.insert("#text".into(), Value::String(text));
    }
    Value::Object(fields)
}

/// Adds a child element; a name seen again turns into an array, in document order.
fn add_child(fields: &mut Map<String, Value>, name: String, v: Value) {
    match fields.get_mut(&name) {
        None => {
            fields.insert(name, v);
        }
        // Element values are never arrays themselves: an array is a name repeated.
        Some(Value::Array(items)) => items.push(v),
        Some(prev) => {
            let first = prev.take();
            *prev = Value::Array(vec![first, v]);
        }
    }
}

/// Where the next `<Event` start tag is at or after `from` (not `<EventData`, `<Events` …).
fn event_open(data: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(p) = find(data, i, b"<Event") {
        match data.get(p + 6) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') => return Some(p),
            _ => i = p + 6,
        }
    }
    None
}

/// Whether one line is a syslog line carrying event XML: a header without markup (past a
/// `<PRI>`), then an `<Event>` element with its `<System>`; the event's start when it is.
pub(crate) fn syslog_event_at(line: &[u8]) -> Option<usize> {
    let from = match line.first() {
        Some(b'<') => {
            line.iter()
                .take(5)
                .position(|&b| b == b'>')
                .filter(|&c| c >= 2 && line[1..c].iter().all(u8::is_ascii_digit))?
                + 1
        }
        _ => 0,
    };
    let at = event_open(line, from)?;
    (at > from && !line[from..at].contains(&b'<') && find(line, at, b"<System").is_some()).then_some(at)
}

/// Whether a payload is syslog lines carrying event XML, as Sysmon for Linux writes them
/// (`Oct 14 19:37:12 web1 sysmon: <Event><System><Provider Name="Linux-Sysmon" …`): one of its
/// first 64 lines (within 64 KiB) is such a line. Such a payload is read line by line as syslog
/// ([`crate::syslog::scan`]), its event lines as event XML ([`scan_syslog_line`]).
pub fn in_syslog(data: &[u8]) -> bool {
    let head = &data[..data.len().min(64 << 10)];
    head.split(|&b| b == b'\n').take(64).any(|l| syslog_event_at(l).is_some())
}

/// Reads the event XML of one syslog line ([`syslog_event_at`] found its start); the header is
/// not part of the event.
pub(crate) fn scan_syslog_line<'a>(name: &'a str, locator: String, line: &'a [u8], emit: &mut dyn FnMut(Scanned<'a>)) {
    let Some(at) = syslog_event_at(line) else { return };
    let bytes = &line[at..];
    let fail = |why: String| Scanned::Quarantine(QuarantineRecord::new(name, locator.clone(), NAME, why, bytes));
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            emit(fail(DecodeError::NotUtf8(e.valid_up_to()).to_string()));
            return;
        }
    };
    match read_element(text) {
        Ok(value) => emit(Scanned::Record(Record::framed(name, locator, &WindowsXml, bytes, value))),
        Err(why) => emit(fail(DecodeError::Unrecognized(format!("Windows event XML: {why}")).to_string())),
    }
}

/// The end (past the `>`) of the next `</Event>` end tag at or after `from`.
fn event_close(data: &[u8], from: usize) -> Option<(usize, usize)> {
    let mut i = from;
    while let Some(p) = find(data, i, b"</Event") {
        let mut j = p + 7;
        while data.get(j).is_some_and(u8::is_ascii_whitespace) {
            j += 1;
        }
        if data.get(j) == Some(&b'>') {
            return Some((p, j + 1));
        }
        i = p + 7;
    }
    None
}

fn find(data: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let hay = data.get(from..)?;
    let first = needle[0];
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|&b| b == first) {
            None => return None,
            Some(k) => {
                i += k;
                if hay[i..].starts_with(needle) {
                    return Some(from + i);
                }
                i += 1;
            }
        }
    }
    None
}

/// Whether the start tag at `open` closes itself (`<Event/>`); its end when it does.
fn self_closed(data: &[u8], open: usize) -> Option<usize> {
    let gt = data[open..].iter().position(|&b| b == b'>')? + open;
    (gt > open && data[gt - 1] == b'/').then_some(gt + 1)
}

/// Frames and reads every `<Event>` element of one payload; exactly one outcome per element, and
/// one quarantine record for a payload with none.
pub(crate) fn scan<'a>(name: &'a str, data: &'a [u8], opts: &Options, emit: &mut dyn FnMut(Scanned<'a>)) {
    let mut at = 0usize;
    let mut line = 1usize;
    let mut counted = 0usize;
    let mut n = 0usize;
    while let Some(open) = event_open(data, at) {
        line += data[counted..open].iter().filter(|&&b| b == b'\n').count();
        counted = open;
        let locator = format!("event {n} (line {line}, byte {open})");
        n += 1;
        let next_open = event_open(data, open + 6);
        let end = match self_closed(data, open) {
            Some(end) if next_open.is_none_or(|o| end <= o) => Some(end),
            _ => match event_close(data, open + 6) {
                Some((close, end)) if next_open.is_none_or(|o| close < o) => Some(end),
                _ => None,
            },
        };
        let Some(end) = end else {
            // Cut short: the rest up to the next event is this one's, quarantined.
            let stop = next_open.unwrap_or(data.len());
            let q = QuarantineRecord::new(
                name,
                locator,
                NAME,
                "truncated: an <Event> element that is not closed before the next one or the end".into(),
                &data[open..stop],
            );
            emit(Scanned::Quarantine(q));
            at = stop;
            continue;
        };
        let bytes = &data[open..end];
        at = end;
        let fail = |e: DecodeError| {
            Scanned::Quarantine(QuarantineRecord::new(name, locator.clone(), NAME, e.to_string(), bytes))
        };
        if bytes.len() > opts.max_record_bytes {
            emit(fail(DecodeError::TooLarge { size: bytes.len(), max: opts.max_record_bytes }));
            continue;
        }
        let text = match std::str::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                emit(fail(DecodeError::NotUtf8(e.valid_up_to())));
                continue;
            }
        };
        match read_element(text) {
            Ok(value) => emit(Scanned::Record(Record::framed(name, locator, &WindowsXml, bytes, value))),
            Err(why) => emit(fail(DecodeError::Unrecognized(format!("Windows event XML: {why}")))),
        }
    }
    if n == 0 {
        let first: String =
            String::from_utf8_lossy(&data[..data.len().min(60)]).lines().next().unwrap_or("").trim().to_string();
        let q = QuarantineRecord::new(
            name,
            "whole file".into(),
            NAME,
            format!("no <Event> element: not Windows event XML (starts {first:?})"),
            data,
        );
        emit(Scanned::Quarantine(q));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decoded, decode_unit};
    use serde_json::json;

    const ONE: &str = r#"<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"/><EventID>1</EventID><Version>5</Version><Level>4</Level><TimeCreated SystemTime="2019-05-16T13:10:13.7609174Z"/><EventRecordID>7</EventRecordID><Correlation/><Execution ProcessID="1780" ThreadID="2156"/><Channel>Microsoft-Windows-Sysmon/Operational</Channel><Computer>WS1</Computer><Security UserID="S-1-5-18"/></System><EventData><Data Name="RuleName"></Data><Data Name="Image">C:\Windows\System32\whoami.exe</Data><Data Name="CommandLine">whoami /all &amp; echo &#x41;</Data><Data Name="User">CORP\alice</Data></EventData></Event>"#;

    fn run(data: &str) -> (Vec<vigil_model::Event>, Vec<QuarantineRecord>) {
        crate::tests::run(data.as_bytes(), &Options::default())
    }

    #[test]
    fn syslog_lines_carrying_event_xml_are_framed_as_event_xml() {
        let linux = ONE
            .replace("Microsoft-Windows-Sysmon/Operational", "Linux-Sysmon/Operational")
            .replace("Microsoft-Windows-Sysmon", "Linux-Sysmon");
        let lines = format!("Oct 14 19:37:12 web1 sysmon: {linux}\nOct 14 19:37:13 web1 sysmon: {linux}\n");
        assert!(in_syslog(lines.as_bytes()));
        let (ev, q) = run(&lines);
        assert!(q.is_empty(), "{q:?}");
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].metadata.format, NAME);
        assert_eq!(ev[0].metadata.product, "Sysmon for Linux");
        assert_eq!(ev[0].device.as_ref().unwrap().os.as_deref(), Some("Linux"));
        assert!(ev[1].metadata.locator.starts_with("line 2 (byte "), "{}", ev[1].metadata.locator);
        // A syslog file whose Sysmon lines come after other messages: those are syslog
        // messages, read as such beside the event.
        let mixed = format!(
            "Oct 14 19:37:10 web1 sshd[1]: Accepted publickey for root from 10.0.0.9 port 22 ssh2\nOct 14 19:37:12 web1 sysmon: {linux}\nOct 14 19:37:14 web1 CRON[9]: (root) CMD (true)\n"
        );
        assert!(in_syslog(mixed.as_bytes()));
        let (ev, q) = run(&mixed);
        assert!(q.is_empty(), "{q:?}");
        let formats: Vec<&str> = ev.iter().map(|e| e.metadata.format.as_str()).collect();
        assert_eq!(formats, ["syslog", NAME, "syslog"]);
        assert_eq!(ev[1].metadata.locator.split(' ').take(2).collect::<Vec<_>>(), ["line", "2"]);
        // With a priority before the header, as a listener receives it.
        let with_pri = format!("<14>Oct 14 19:37:12 web1 sysmon: {linux}\n");
        assert!(in_syslog(with_pri.as_bytes()));
        let (ev, q) = run(&with_pri);
        assert!(q.is_empty() && ev.len() == 1 && ev[0].metadata.format == NAME, "{q:?}");
        // Not: plain syslog, event XML that opens the payload, markup in the header, JSON.
        assert!(!in_syslog(b"Oct 14 19:37:12 web1 sshd[1]: Accepted publickey for root"));
        assert!(!in_syslog(ONE.as_bytes()), "XML at the start is framed as XML already");
        assert!(!in_syslog(b"<x>Oct 14 web1 x: <Event><System>"));
        assert!(!in_syslog(b"Oct 14 19:37:12 web1 app: <Events> are fun"));
    }

    #[test]
    fn an_event_reads_in_the_xmltodict_convention() {
        let v = read_element(ONE).unwrap_or_else(|e| panic!("{e}"));
        let sys = &v["Event"]["System"];
        assert_eq!(v["Event"]["@xmlns"], json!("http://schemas.microsoft.com/win/2004/08/events/event"));
        assert_eq!(
            sys["Provider"],
            json!({"@Name": "Microsoft-Windows-Sysmon", "@Guid": "{5770385f-c22a-43e0-bf4c-06f5698ffbd9}"})
        );
        assert_eq!(sys["EventID"], json!("1"));
        assert_eq!(sys["Correlation"], Value::Null);
        assert_eq!(sys["TimeCreated"], json!({"@SystemTime": "2019-05-16T13:10:13.7609174Z"}));
        let data = &v["Event"]["EventData"]["Data"];
        assert_eq!(data[0], json!({"@Name": "RuleName"}));
        assert_eq!(data[2]["#text"], json!("whoami /all & echo A"));
        let (ev, q) = run(ONE);
        assert!(q.is_empty(), "{q:?}");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0].metadata.format, NAME);
        assert_eq!(ev[0].time, 1_558_012_213_760);
        assert_eq!(ev[0].process.as_ref().and_then(|p| p.cmd_line.as_deref()), Some("whoami /all & echo A"));
        assert_eq!(ev[0].raw, ONE);
    }

    #[test]
    fn framings_wevtutil_splunk_and_wrapped() {
        let pretty = ONE.replace("><", ">\n  <");
        let single_quoted = ONE.replace('"', "'");
        for (what, data, n) in [
            ("run together", format!("{ONE}{ONE}{ONE}"), 3),
            ("one per line", format!("{ONE}\n{single_quoted}\n"), 2),
            (
                "pretty, with a declaration and a wrapper",
                format!("<?xml version=\"1.0\"?>\n<Events>\n{pretty}\n{pretty}\n</Events>\n"),
                2,
            ),
            ("byte-order mark", format!("\u{feff}{ONE}"), 1),
        ] {
            let (ev, q) = run(&data);
            assert!(q.is_empty(), "{what}: {q:?}");
            assert_eq!(ev.len(), n, "{what}");
            assert!(ev.iter().all(|e| e.time == 1_558_012_213_760), "{what}");
        }
    }

    #[test]
    fn malformed_truncated_and_hostile_events_are_quarantined_alone() {
        let cut = &ONE[..ONE.len() / 2];
        let deep = format!("<Event><System>{}</System></Event>", "<a>".repeat(100) + &"</a>".repeat(100));
        let huge = format!("<Event a=\"{}\"><System/></Event>", "x".repeat(5 << 20));
        let cases: Vec<(&str, String, &str)> = vec![
            ("truncated then a good one", format!("{cut}\n{ONE}"), "truncated"),
            ("truncated at the end", format!("{ONE}{cut}"), "truncated"),
            ("mismatched tags", ONE.replace("</Computer>", "</Computr>"), "XML"),
            ("deep nesting", deep, "nested deeper"),
            ("huge attribute", huge, "exceeds"),
            ("unknown entity", ONE.replace("&amp;", "&bogus;"), "unknown entity"),
            ("a DTD inside", ONE.replace("<System>", "<!DOCTYPE x [<!ENTITY a \"b\">]><System>"), "DTD"),
            (
                "no System",
                "<Event><EventData><Data Name=\"a\">1</Data></EventData></Event>".into(),
                "not a Windows event",
            ),
            (
                "bad time",
                ONE.replace("2019-05-16T13:10:13.7609174Z", "yesterday"),
                "Windows event XML: field 'TimeCreated.@SystemTime'",
            ),
            (
                "no time",
                ONE.replace("<TimeCreated SystemTime=\"2019-05-16T13:10:13.7609174Z\"/>", ""),
                "Event.System.TimeCreated.@SystemTime",
            ),
            ("no event id", ONE.replace("<EventID>1</EventID>", ""), "missing required field 'Event.System.EventID'"),
            ("self-closed", "<Event/>".into(), "not a Windows event"),
        ];
        for (what, data, why) in &cases {
            let (ev, q) = run(data);
            let good = usize::from(what.contains("good one") || what.contains("at the end"));
            assert_eq!(ev.len(), good, "{what}: {q:?}");
            assert_eq!(q.len(), 1, "{what}: {q:?}");
            assert!(q[0].reason.contains(why), "{what}: {}", q[0].reason);
            assert_eq!(q[0].format, NAME, "{what}");
        }
        // Invalid UTF-8 bytes inside one event.
        let mut bad = ONE.as_bytes().to_vec();
        let at = ONE.find("alice").unwrap_or(0);
        bad.splice(at..at, [0xff, 0xfe]);
        let (mut ev, mut q) = (0, Vec::new());
        decode_unit("t.xml", &bad, &Options::default(), &mut |d| match d {
            Decoded::Event(_) => ev += 1,
            Decoded::Quarantine(r) => q.push(r),
        });
        assert_eq!((ev, q.len()), (0, 1));
        assert!(q[0].reason.contains("UTF-8"), "{}", q[0].reason);
    }

    #[test]
    fn text_that_is_not_event_xml_is_one_quarantine_record() {
        for data in ["<html><body>hi</body></html>", "<Events></Events>", "<"] {
            let (ev, q) = run(data);
            assert!(ev.is_empty());
            assert_eq!(q.len(), 1, "{data}");
            assert!(q[0].reason.contains("no <Event> element"), "{}", q[0].reason);
        }
    }
}
