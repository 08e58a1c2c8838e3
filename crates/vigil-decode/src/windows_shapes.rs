//! The decoders of the Windows JSON shapes that `windows-json` does not name: event XML converted
//! to JSON with `@`-attributes (xmltodict style), PowerShell's `Get-WinEvent | ConvertTo-Json`,
//! Winlogbeat 8 and Elastic Agent (ECS), and Microsoft Sentinel `SecurityEvent`/`WindowsEvent`
//! rows.
//!
//! Owns: how each of these shapes is recognised by its keys, and what has to be done to a record
//! of the shape before [`crate::WindowsView`] can read it ([`Decoder::reshape`]): PowerShell's
//! unnamed `Properties` named from the event's template, with .NET's renderings of hex numbers
//! and GUIDs put back as Windows writes them; Winlogbeat's `param1`… (unnamed event data) put back
//! as one `Data` list; a Sentinel row's `EventData` XML read into an object. Each shape is its own
//! registry entry, with the family every Windows decoder shares, so a report (`by_format`) names
//! the shape each file was read as while ids, routing and normalization are the Windows ones.

use serde_json::{Map, Value};
use vigil_model::OcsfClass;

use crate::json::as_int;
use crate::windows_templates::{self, Kind};
use crate::windows_view::{Shape, WindowsView, is_powershell, is_sentinel};
use crate::{DecodeError, Decoder, Draft, LogSource, windows};

/// What every Windows shape decoder shares: family, normalization, classes and logsource.
macro_rules! windows_decoder {
    () => {
        fn family(&self) -> &'static str {
            windows::FAMILY
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
    };
}

/// Event XML converted to JSON with `@`-attributes and `#text` (xmltodict, many scripts and SIEM
/// exports), System fields as strings, with or without a byte-order mark.
pub struct XmlJson;

impl Decoder for XmlJson {
    windows_decoder!();
    fn name(&self) -> &'static str {
        "windows-xmljson"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["xmltodict"]
    }
    fn description(&self) -> &'static str {
        "Windows events as XML converted to JSON with @-attributes and #text (xmltodict style)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        WindowsView::of(record).is_some_and(|w| w.shape() == Shape::XmlJson)
    }
    fn sample(&self) -> &'static str {
        r##"{"Event":{"@xmlns":"http://schemas.microsoft.com/win/2004/08/events/event","System":{"Provider":{"@Name":"Microsoft-Windows-Security-Auditing"},"EventID":{"@Qualifiers":"0","#text":"4625"},"Level":"0","TimeCreated":{"@SystemTime":"2024-10-22 15:39:16.2645315"},"EventRecordID":"2","Channel":"Security","Computer":"WS1"},"EventData":{"Data":[{"@Name":"TargetUserName","#text":"alice"},{"@Name":"LogonType","#text":"3"},{"@Name":"IpAddress","#text":"10.0.0.5"},{"@Name":"SubStatus","#text":"0xc000006a"}]}}}"##
    }
}

/// PowerShell `Get-WinEvent | ConvertTo-Json`: `Id`, `ProviderName`, `LogName`, `MachineName`,
/// `RecordId`, `TimeCreated` as `/Date(…)/` (Windows PowerShell) or ISO 8601 (PowerShell 7) and
/// the event data as an unnamed `Properties` array.
pub struct PowerShell;

impl Decoder for PowerShell {
    windows_decoder!();
    fn name(&self) -> &'static str {
        "windows-powershell"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["get-winevent", "powershell-json"]
    }
    fn description(&self) -> &'static str {
        "Windows events from PowerShell Get-WinEvent | ConvertTo-Json (Properties named from event templates)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        is_powershell(record)
    }
    fn reshape(&self, record: &Value) -> Option<Value> {
        name_properties(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"Id":4625,"Version":0,"Level":0,"RecordId":3,"ProviderName":"Microsoft-Windows-Security-Auditing","LogName":"Security","MachineName":"WS1","TimeCreated":"/Date(1729611556264)/","LevelDisplayName":"Information","Properties":[{"Value":"S-1-0-0"},{"Value":"-"},{"Value":"-"},{"Value":0},{"Value":"S-1-0-0"},{"Value":"alice"},{"Value":"CORP"},{"Value":3221225581},{"Value":"%%2313"},{"Value":3221225578},{"Value":3},{"Value":"NtLmSsp "},{"Value":"NTLM"},{"Value":"WS2"},{"Value":"-"},{"Value":"-"},{"Value":0},{"Value":0},{"Value":"-"},{"Value":"10.0.0.5"},{"Value":"50512"}]}"#
    }
}

/// Winlogbeat 8 and Elastic Agent: ECS 8 (`ecs.version`, `event.code`, `data_stream`) around
/// `winlog.*`.
pub struct Ecs;

impl Decoder for Ecs {
    windows_decoder!();
    fn name(&self) -> &'static str {
        "windows-ecs"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["winlogbeat8", "elastic-agent"]
    }
    fn description(&self) -> &'static str {
        "Windows events from Winlogbeat 8 or Elastic Agent (ECS 8 with winlog.*, event.code)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        is_ecs8(record)
    }
    fn reshape(&self, record: &Value) -> Option<Value> {
        unnamed_params(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"@timestamp":"2024-10-22T15:39:16.264Z","ecs":{"version":"8.0.0"},"agent":{"type":"winlogbeat","version":"8.15.0"},"event":{"code":"4688","kind":"event","provider":"Microsoft-Windows-Security-Auditing"},"log":{"level":"information"},"host":{"name":"ws1"},"winlog":{"channel":"Security","computer_name":"WS1","event_id":"4688","provider_name":"Microsoft-Windows-Security-Auditing","record_id":"4","event_data":{"SubjectUserName":"alice","SubjectDomainName":"CORP","SubjectLogonId":"0x3e7","NewProcessName":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ParentProcessName":"C:\\Windows\\System32\\cmd.exe"}}}"#
    }
}

/// Microsoft Sentinel `SecurityEvent` (EventData as XML text) and `WindowsEvent` (EventData as an
/// object) rows, as exported from Log Analytics.
pub struct Sentinel;

impl Decoder for Sentinel {
    windows_decoder!();
    fn name(&self) -> &'static str {
        "windows-sentinel"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["sentinel", "securityevent", "windowsevent"]
    }
    fn description(&self) -> &'static str {
        "Windows events as Microsoft Sentinel SecurityEvent or WindowsEvent rows (TimeGenerated, EventData)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        is_sentinel(record)
    }
    fn reshape(&self, record: &Value) -> Option<Value> {
        event_data_xml(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"TimeGenerated":"2024-10-22T15:39:16.2645315Z","Type":"SecurityEvent","Computer":"WS1","EventSourceName":"Microsoft-Windows-Security-Auditing","Channel":"Security","EventID":4624,"Activity":"4624 - An account was successfully logged on.","EventData":"<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><Data Name=\"TargetUserName\">alice</Data><Data Name=\"TargetDomainName\">CORP</Data><Data Name=\"LogonType\">10</Data><Data Name=\"IpAddress\">10.0.0.5</Data></EventData>"}"#
    }
}

/// A `winlog` record that states ECS 8 or later, or an Elastic Agent data stream.
fn is_ecs8(v: &Value) -> bool {
    let ecs_major = v
        .get("ecs")
        .and_then(|e| e.get("version"))
        .and_then(Value::as_str)
        .and_then(|s| s.split('.').next())
        .and_then(|m| m.parse::<u32>().ok());
    v.get("winlog").is_some_and(Value::is_object)
        && (ecs_major.is_some_and(|m| m >= 8) || v.get("data_stream").is_some_and(Value::is_object))
}

/// PowerShell's `Properties`, named: an `EventData` object from the template of the event's
/// provider, id, version and number of properties, with the values as Windows writes them in
/// XML; for an event with no known template, the values unnamed (`Data`), as in classic events.
/// A record that already carries an `EventData` object (exports that add one) is read as it is.
fn name_properties(record: &Value) -> Option<Value> {
    if record.get("EventData").is_some_and(Value::is_object) {
        return None;
    }
    let props = record.get("Properties")?.as_array()?;
    let values: Vec<&Value> = props.iter().map(|p| p.get("Value").unwrap_or(p)).collect();
    let provider = record.get("ProviderName").and_then(Value::as_str).unwrap_or("");
    let id = record.get("Id").and_then(as_int).unwrap_or(-1);
    let version = record.get("Version").and_then(as_int).unwrap_or(0);
    let mut data = Map::new();
    match windows_templates::find(provider, id, version, values.len()) {
        Some(fields) => {
            for ((name, kind), v) in fields.iter().zip(&values) {
                data.insert((*name).to_string(), as_windows_writes(*kind, v));
            }
        }
        None if values.is_empty() => {}
        None => {
            let unnamed: Vec<Value> = values.iter().map(|v| as_windows_writes(Kind::Text, v)).collect();
            data.insert("Data".into(), one_or_list(unnamed));
        }
    }
    let mut out = record.clone();
    out.as_object_mut()?.insert("EventData".into(), Value::Object(data));
    Some(out)
}

/// A property value as the event's XML has it: .NET gives hex-typed values as plain numbers and
/// GUIDs without braces; a SID serialized whole is its `Value`.
fn as_windows_writes(kind: Kind, v: &Value) -> Value {
    let v = match v {
        Value::Object(m) => match m.get("Value") {
            Some(s @ Value::String(_)) => s,
            _ => v,
        },
        _ => v,
    };
    let hex = |n: &serde_json::Number, width: u8, upper: bool| {
        let u = n.as_u64().or_else(|| n.as_i64().map(|i| i as u64))?;
        let w = usize::from(width);
        Some(Value::String(if upper { format!("0x{u:0w$X}") } else { format!("0x{u:0w$x}") }))
    };
    match (kind, v) {
        (Kind::Hex(w), Value::Number(n)) => hex(n, w, false).unwrap_or_else(|| v.clone()),
        (Kind::HexUpper(w), Value::Number(n)) => hex(n, w, true).unwrap_or_else(|| v.clone()),
        (Kind::Guid, Value::String(s)) if is_bare_guid(s) => Value::String(format!("{{{}}}", s.to_ascii_lowercase())),
        (Kind::GuidUpper, Value::String(s)) if is_bare_guid(s) => {
            Value::String(format!("{{{}}}", s.to_ascii_uppercase()))
        }
        _ => v.clone(),
    }
}

fn is_bare_guid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { *c == b'-' } else { c.is_ascii_hexdigit() })
}

fn one_or_list(mut values: Vec<Value>) -> Value {
    if values.len() == 1 { values.pop().unwrap_or(Value::Null) } else { Value::Array(values) }
}

/// Winlogbeat names unnamed event data `param1`, `param2` …, as some providers name theirs (System
/// 7036): both readings are kept, the `param…` fields and one `Data` value of them (a list when
/// there are several) as the event's XML and every other shape have unnamed data, so a rule
/// written either way matches. The `xml_name` Winlogbeat adds to `user_data` (the wrapper
/// element's name) is not event data.
fn unnamed_params(record: &Value) -> Option<Value> {
    let w = record.get("winlog")?;
    let params = |m: &Map<String, Value>| (1..).map_while(|i| m.get(&format!("param{i}"))).count();
    let n = w.get("event_data").and_then(Value::as_object).map_or(0, params);
    let xml_name = w.get("user_data").and_then(|u| u.get("xml_name")).is_some();
    if n == 0 && !xml_name {
        return None;
    }
    let mut out = record.clone();
    let w = out.get_mut("winlog")?;
    if n > 0
        && let Some(Value::Object(data)) = w.get_mut("event_data")
    {
        let values: Vec<Value> = (1..=n).filter_map(|i| data.get(&format!("param{i}")).cloned()).collect();
        data.entry("Data").or_insert_with(|| one_or_list(values));
    }
    if xml_name && let Some(Value::Object(u)) = w.get_mut("user_data") {
        u.shift_remove("xml_name");
    }
    Some(out)
}

/// A Sentinel row's `EventData` XML text (`<EventData><Data Name=…>…</Data></EventData>`, or the
/// event's `<UserData>`) read into an object. Text that is not XML is left as it is; the row's
/// own columns are then its data.
fn event_data_xml(record: &Value) -> Option<Value> {
    let text = record.get("EventData")?.as_str()?.trim();
    if !text.starts_with('<') {
        return None;
    }
    let parsed = crate::windows_xml::read_element(text).ok()?;
    let inner = match parsed {
        Value::Object(m) => m.into_iter().next().map(|(_, v)| v)?,
        _ => return None,
    };
    let inner = match inner {
        Value::Null => Value::Object(Map::new()),
        Value::Object(m) => Value::Object(m),
        other => {
            let mut m = Map::new();
            m.insert("Data".into(), other);
            Value::Object(m)
        }
    };
    let mut out = record.clone();
    out.as_object_mut()?.insert("EventData".into(), inner);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Decoded, Options, decode_unit};
    use serde_json::json;
    use vigil_model::QuarantineRecord;

    fn run(data: &str) -> (Vec<vigil_model::Event>, Vec<QuarantineRecord>) {
        crate::tests::run(data.as_bytes(), &Options::default())
    }

    #[test]
    fn each_sample_is_read_as_its_own_shape() {
        for d in [&XmlJson as &dyn Decoder, &PowerShell, &Ecs, &Sentinel] {
            let (ev, q) = run(d.sample());
            assert!(q.is_empty(), "{}: {q:?}", d.name());
            assert_eq!(ev.len(), 1);
            assert_eq!(ev[0].metadata.format, d.name());
        }
        let (ev, _) = run(XmlJson.sample());
        assert_eq!(ev[0].time, 1_729_611_556_264, "a time with no zone is UTC, cut to the millisecond");
        assert_eq!(ev[0].status_detail.as_deref(), Some("0xc000006a"));
        let (ev, _) = run(PowerShell.sample());
        assert_eq!(ev[0].time, 1_729_611_556_264);
        let (ev, _) = run(Sentinel.sample());
        assert_eq!(ev[0].auth.as_ref().and_then(|a| a.logon_type.as_deref()), Some("10"));
        assert_eq!(ev[0].src_endpoint.as_ref().and_then(|s| s.ip.as_deref()), Some("10.0.0.5"));
        let (ev, _) = run(Ecs.sample());
        assert_eq!(ev[0].process.as_ref().and_then(|p| p.cmd_line.as_deref()), Some("whoami /all"));
    }

    #[test]
    fn a_bom_at_the_start_and_where_files_were_joined() {
        let one = XmlJson.sample();
        for data in [
            format!("\u{feff}{one}\n"),
            format!("\u{feff}{one}\n\u{feff}{one}\n"),
            format!("\u{feff}[{one},\n{one}]"),
            format!("\u{feff}{}\n\u{feff}{}", pretty(one), pretty(one)),
        ] {
            let (ev, q) = run(&data);
            assert!(q.is_empty(), "{data}: {q:?}");
            assert!(!ev.is_empty());
            assert!(ev.iter().all(|e| e.metadata.format == "windows-xmljson"));
        }
    }

    fn pretty(s: &str) -> String {
        serde_json::from_str::<Value>(s).and_then(|v| serde_json::to_string_pretty(&v)).unwrap_or_default()
    }

    #[test]
    fn utf16_is_named_not_read_as_binary() {
        let mut data = vec![0xff, 0xfe];
        for u in "{\"a\":1}".encode_utf16() {
            data.extend(u.to_le_bytes());
        }
        let mut q = Vec::new();
        decode_unit("t.json", &data, &Options::default(), &mut |d| {
            if let Decoded::Quarantine(r) = d {
                q.push(r)
            }
        });
        assert_eq!(q.len(), 1);
        assert!(q[0].reason.contains("UTF-16"), "{}", q[0].reason);
    }

    #[test]
    fn timestamps_in_every_form_the_shapes_write() {
        let t = 1_729_611_556_264;
        for s in [
            "2024-10-22 15:39:16.2645315",
            "2024-10-22T15:39:16.2645315Z",
            "2024-10-22T15:39:16.2645315",
            "2024-10-22T17:39:16.2645315+02:00",
            "2024-10-22T15:39:16.264Z",
            "/Date(1729611556264)/",
            "/Date(1729611556264+0200)/",
            "/Date(1729611556264-0500)/",
        ] {
            assert_eq!(crate::windows_view::parse_time(&json!(s)), Some(t), "{s}");
        }
        for s in ["/Date()/", "/Date(12x)/", "/Date(1729611556264+02)/", "/Date(99999999999999999999)/", "Date(1)", ""]
        {
            assert_eq!(crate::windows_view::parse_time(&json!(s)), None, "{s}");
        }
    }

    #[test]
    fn malformed_records_of_each_shape_name_the_shape_and_field() {
        let xj: Value = serde_json::from_str(XmlJson.sample()).unwrap_or_default();
        let mut no_time = xj.clone();
        no_time["Event"]["System"].as_object_mut().map(|m| m.remove("TimeCreated"));
        let mut bad_time = xj.clone();
        bad_time["Event"]["System"]["TimeCreated"]["@SystemTime"] = json!("22/10/2024");
        let ps: Value = serde_json::from_str(PowerShell.sample()).unwrap_or_default();
        let mut ps_no_time = ps.clone();
        ps_no_time.as_object_mut().map(|m| m.remove("TimeCreated"));
        let mut ps_bad_date = ps.clone();
        ps_bad_date["TimeCreated"] = json!("/Date(abc)/");
        let ecs: Value = serde_json::from_str(Ecs.sample()).unwrap_or_default();
        let mut ecs_no_id = ecs.clone();
        ecs_no_id["winlog"].as_object_mut().map(|m| m.remove("event_id"));
        ecs_no_id["event"].as_object_mut().map(|m| m.remove("code"));
        let sen: Value = serde_json::from_str(Sentinel.sample()).unwrap_or_default();
        let mut sen_no_time = sen.clone();
        sen_no_time.as_object_mut().map(|m| m.remove("TimeGenerated"));
        let cases = [
            (
                no_time,
                "xmltodict-style Windows JSON: no usable timestamp (looked for Event.System.TimeCreated.@SystemTime",
            ),
            (bad_time, "xmltodict-style Windows JSON: field 'TimeCreated.@SystemTime' has an unusable value"),
            (ps_no_time, "PowerShell Get-WinEvent JSON: no usable timestamp (looked for TimeCreated)"),
            (ps_bad_date, "PowerShell Get-WinEvent JSON: field 'TimeCreated'"),
            (ecs_no_id, "Winlogbeat/Elastic Agent Windows JSON: missing required field 'winlog.event_id'"),
            (sen_no_time, "Sentinel Windows event row: no usable timestamp (looked for TimeCreated, TimeGenerated)"),
        ];
        for (v, why) in cases {
            let (ev, q) = run(&v.to_string());
            assert!(ev.is_empty(), "{v}");
            assert_eq!(q.len(), 1, "{v}");
            assert!(q[0].reason.starts_with(why), "{}\nwanted {why}", q[0].reason);
        }
    }

    #[test]
    fn hostile_values_in_reshaped_shapes_never_panic() {
        for v in [
            json!({"Id": 1, "ProviderName": "p", "Properties": [null, 1, {"Value": {"Value": 5}}, [1], {"Value": -1}]}),
            json!({"Id": "x", "ProviderName": 5, "LogName": "L", "Properties": "not a list"}),
            json!({"Id": 4624, "ProviderName": "Microsoft-Windows-Security-Auditing", "Version": 2, "Properties": []}),
            json!({"winlog": {"event_data": {"param1": 1, "param3": 3}, "user_data": {"xml_name": 1}}, "ecs": {"version": "8"}}),
            json!({"winlog": {"event_data": [1]}, "data_stream": {}}),
            json!({"EventID": 1, "Type": "SecurityEvent", "EventData": "<EventData><Data Name=\"a\">1</Data>"}),
            json!({"EventID": 1, "Type": "SecurityEvent", "EventData": "<x/>"}),
            json!({"EventID": 1, "Type": "SecurityEvent", "EventData": "<x>t</x>"}),
            json!({"EventID": 1, "Type": "WindowsEvent", "EventData": {"Data": [{"@Name": 5}]}}),
        ] {
            let (ev, q) = run(&v.to_string());
            assert_eq!(ev.len() + q.len(), 1, "{v}");
        }
        // Parameters renamed, in order; unnamed PowerShell values listed.
        let w = json!({"winlog": {"event_data": {"param2": "b", "param1": "a", "Binary": "00"}, "user_data": {"xml_name": "X", "A": "1"}}});
        let out = unnamed_params(&w).unwrap_or_default();
        assert_eq!(
            out["winlog"]["event_data"],
            json!({"param2": "b", "param1": "a", "Binary": "00", "Data": ["a", "b"]})
        );
        assert_eq!(out["winlog"]["user_data"], json!({"A": "1"}));
        let p = json!({"Id": 9999, "ProviderName": "x", "Properties": [{"Value": "a"}, {"Value": 2}]});
        assert_eq!(name_properties(&p).unwrap_or_default()["EventData"], json!({"Data": ["a", 2]}));
        assert_eq!(as_windows_writes(Kind::Hex(0), &json!(999)), json!("0x3e7"));
        assert_eq!(as_windows_writes(Kind::HexUpper(16), &json!(0x2ff0000)), json!("0x0000000002FF0000"));
        assert_eq!(as_windows_writes(Kind::Hex(8), &json!("not a number")), json!("not a number"));
        assert_eq!(
            as_windows_writes(Kind::Guid, &json!("DFAE8213-5B49-5CDD-0000-0010EE520500")),
            json!("{dfae8213-5b49-5cdd-0000-0010ee520500}")
        );
        assert_eq!(as_windows_writes(Kind::Text, &json!({"BinaryLength": 12, "Value": "S-1-5-18"})), json!("S-1-5-18"));
    }
}
