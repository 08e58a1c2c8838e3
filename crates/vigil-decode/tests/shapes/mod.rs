//! Test-only renderings of real Windows records into every shape Vigil reads, so one record can
//! be decoded from each and the outcomes compared. Not shipped: the fixtures are made from the
//! EVTX-ATTACK-SAMPLES files at test time and never stored.
//!
//! Each record comes from an `.evtx` file twice, as the `evtx` crate renders it: its JSON (what
//! the `evtx` decoder reads) and its XML (what `wevtutil` prints). From those:
//! - `windows-xml`: the XML itself, as a wrapped pretty-printed export, one event per line
//!   (Splunk's `XmlWinEventLog`), or events run together (`wevtutil qe /f:xml`), by file;
//! - `windows-xmljson`: the XML in xmltodict's convention, `SystemTime` written
//!   `2019-05-16 13:10:13.7609174` (no zone), JSON lines behind a byte-order mark;
//! - `windows-powershell`: `Get-WinEvent | ConvertTo-Json`: header properties, `TimeCreated` as
//!   `\/Date(ms)\/`, the event data as unnamed `Properties` with .NET's value renderings (hex
//!   numbers as numbers, GUIDs bare), pretty-printed as PowerShell does;
//! - `windows-ecs`: Winlogbeat 8 (ECS 8.0, `event.code`, every event data value as text, unnamed
//!   data as `param1`…, `user_data` with its `xml_name`), JSON lines;
//! - `windows-sentinel`: Security channel events as `SecurityEvent` rows (EventData as XML text,
//!   no record id), others as `WindowsEvent` rows (EventData as an object), a JSON array.

#![allow(dead_code)]

use std::path::Path;

use serde_json::{Map, Value, json};
use vigil_decode::WindowsView;

/// One record, as the `evtx` crate renders it.
pub struct Rec {
    pub json: Value,
    pub xml: String,
}

/// The shapes rendered, by decoder name, with the file extension their files get.
pub const SHAPES: &[(&str, &str)] = &[
    ("windows-xml", "xml"),
    ("windows-xmljson", "json"),
    ("windows-powershell", "json"),
    ("windows-ecs", "ndjson"),
    ("windows-sentinel", "json"),
];

/// Every record of an `.evtx` file, in order, as JSON and as XML.
pub fn read_evtx(path: &Path) -> Vec<Rec> {
    let settings = evtx::ParserSettings::new().separate_json_attributes(false);
    let mut p = evtx::EvtxParser::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let xml: Vec<String> = p.records().map(|r| r.map(|r| r.data).unwrap_or_default()).collect();
    let p = evtx::EvtxParser::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut p = p.with_configuration(settings);
    let json: Vec<Value> = p.records_json_value().map(|r| r.map(|r| r.data).unwrap_or(Value::Null)).collect();
    assert_eq!(xml.len(), json.len(), "{}", path.display());
    json.into_iter().zip(xml).map(|(json, xml)| Rec { json, xml: strip_declaration(&xml) }).collect()
}

fn strip_declaration(xml: &str) -> String {
    let t = xml.trim();
    match t.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(t, |(_, r)| r).trim().to_string(),
        None => t.to_string(),
    }
}

/// One file of `shape` holding `recs`; `n` picks among the shape's framings.
pub fn render(shape: &str, recs: &[Rec], n: usize) -> Vec<u8> {
    match shape {
        "windows-xml" => xml_file(recs, n),
        "windows-xmljson" => {
            let mut out = String::from("\u{feff}");
            for r in recs {
                out.push_str(&xmljson(r).to_string());
                out.push('\n');
            }
            out.into_bytes()
        }
        "windows-powershell" => {
            let items: Vec<Value> = recs.iter().map(powershell).collect();
            let v = if items.len() == 1 { items.into_iter().next().unwrap_or_default() } else { Value::Array(items) };
            let text = serde_json::to_string_pretty(&v).unwrap_or_default();
            // Windows PowerShell escapes the slashes of its dates.
            text.replace("\"/Date(", "\"\\/Date(").replace(")/\"", ")\\/\"").replace('\n', "\r\n").into_bytes()
        }
        "windows-ecs" => {
            let mut out = String::new();
            for r in recs {
                out.push_str(&ecs(r).to_string());
                out.push('\n');
            }
            out.into_bytes()
        }
        "windows-sentinel" => {
            let rows: Vec<Value> = recs.iter().map(sentinel).collect();
            serde_json::to_string(&rows).unwrap_or_default().into_bytes()
        }
        other => panic!("no rendering for {other}"),
    }
}

fn xml_file(recs: &[Rec], n: usize) -> Vec<u8> {
    // Line breaks and indentation between tags go; those inside a value (a script block) stay.
    let compact = |x: &str| {
        let b = x.as_bytes();
        let mut out = String::with_capacity(x.len());
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'\n' && i > 0 && b[i - 1] == b'>' {
                let mut j = i + 1;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                if b.get(j) == Some(&b'<') {
                    i = j;
                    continue;
                }
            }
            let ch_len = x[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&x[i..i + ch_len]);
            i += ch_len;
        }
        out
    };
    let mut out = String::new();
    match n % 3 {
        0 => {
            out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Events>\n");
            for r in recs {
                out.push_str(&r.xml);
                out.push('\n');
            }
            out.push_str("</Events>\n");
        }
        1 => {
            for r in recs {
                out.push_str(&compact(&r.xml).replace('\r', "&#13;").replace('\n', "&#10;"));
                out.push('\n');
            }
        }
        _ => {
            for r in recs {
                out.push_str(&compact(&r.xml));
            }
        }
    }
    out.into_bytes()
}

/// The System element's fields, from the `evtx` JSON.
pub struct Sys {
    pub provider: String,
    pub guid: Value,
    pub event_id: Value,
    pub qualifiers: Value,
    pub version: Value,
    pub level: i64,
    pub task: Value,
    pub opcode: Value,
    pub keywords: String,
    pub system_time: String,
    pub record_id: Value,
    pub channel: String,
    pub computer: String,
    pub user_id: Value,
    pub pid: Value,
    pub tid: Value,
}

fn text_of(v: &Value) -> &Value {
    v.get("#text").unwrap_or(v)
}

fn attr<'a>(v: &'a Value, name: &str) -> &'a Value {
    v.get("#attributes").and_then(|a| a.get(name)).unwrap_or(&Value::Null)
}

pub fn sys(json: &Value) -> Sys {
    let s = &json["Event"]["System"];
    let st = |k: &str| s.get(k).map(text_of).and_then(Value::as_str).unwrap_or("").to_string();
    Sys {
        provider: attr(&s["Provider"], "Name").as_str().unwrap_or("").to_string(),
        guid: attr(&s["Provider"], "Guid").clone(),
        event_id: text_of(&s["EventID"]).clone(),
        qualifiers: attr(&s["EventID"], "Qualifiers").clone(),
        version: s.get("Version").cloned().unwrap_or(Value::Null),
        level: s.get("Level").and_then(Value::as_i64).unwrap_or(0),
        task: s.get("Task").cloned().unwrap_or(Value::Null),
        opcode: s.get("Opcode").cloned().unwrap_or(Value::Null),
        keywords: st("Keywords"),
        system_time: attr(&s["TimeCreated"], "SystemTime").as_str().unwrap_or("").to_string(),
        record_id: s["EventRecordID"].clone(),
        channel: st("Channel"),
        computer: st("Computer"),
        user_id: attr(&s["Security"], "UserID").clone(),
        pid: attr(&s["Execution"], "ProcessID").clone(),
        tid: attr(&s["Execution"], "ThreadID").clone(),
    }
}

/// Milliseconds of a `SystemTime`, cut as .NET and every other shape cut them.
pub fn ms(system_time: &str) -> i64 {
    vigil_decode::windows_view::parse_time(&json!(system_time)).unwrap_or(0)
}

fn xmljson(r: &Rec) -> Value {
    let mut v = vigil_decode::windows_xml::read_element(&r.xml).unwrap_or_else(|e| panic!("{e}: {}", r.xml));
    if let Some(t) = v.pointer_mut("/Event/System/TimeCreated/@SystemTime")
        && let Some(s) = t.as_str()
    {
        *t = json!(s.replace('T', " ").trim_end_matches('Z'));
    }
    v
}

/// The event data in document order: named values, unnamed ones one by one.
fn data_items(json: &Value) -> Vec<(String, Value)> {
    let Some(w) = WindowsView::of(json) else { return Vec::new() };
    let mut out = Vec::new();
    for (k, v) in w.data() {
        match v {
            Value::Array(items) if k == "Data" => out.extend(items.iter().map(|x| ("Data".to_string(), x.clone()))),
            _ => out.push((k.to_string(), v.clone())),
        }
    }
    out
}

/// A value as .NET hands it to `ConvertTo-Json`: hex numbers as numbers, GUIDs without braces.
fn dotnet(v: &Value, guid: bool) -> Value {
    match v {
        Value::String(s) => {
            if let Some(h) = s.strip_prefix("0x")
                && !h.is_empty()
                && let Ok(n) = u64::from_str_radix(h, 16)
            {
                return json!(n);
            }
            let b = s.as_bytes();
            if guid && b.len() == 38 && b[0] == b'{' && b[37] == b'}' {
                return json!(s[1..37].to_string());
            }
            v.clone()
        }
        _ => v.clone(),
    }
}

fn powershell(r: &Rec) -> Value {
    use vigil_decode::windows_templates::{Kind, find};
    let s = sys(&r.json);
    let items: Vec<(String, Value)> = data_items(&r.json).into_iter().filter(|(k, _)| k != "Binary").collect();
    // Which values are GUID-typed is the template's to say: the JSON rendering does not.
    let id = vigil_decode::json::as_int(&s.event_id).unwrap_or(-1);
    let version = vigil_decode::json::as_int(&s.version).unwrap_or(0);
    let kinds = find(&s.provider, id, version, items.len());
    let props: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let guid = kinds.and_then(|k| k.get(i)).is_some_and(|(_, k)| matches!(k, Kind::Guid | Kind::GuidUpper));
            json!({"Value": dotnet(v, guid)})
        })
        .collect();
    let level_name = match s.level {
        1 => "Critical",
        2 => "Error",
        3 => "Warning",
        5 => "Verbose",
        _ => "Information",
    };
    json!({
        "Id": s.event_id,
        "Version": s.version,
        "Qualifiers": s.qualifiers,
        "Level": s.level,
        "Task": s.task,
        "Opcode": s.opcode,
        "Keywords": dotnet(&json!(s.keywords), false),
        "RecordId": s.record_id,
        "ProviderName": s.provider,
        "ProviderId": dotnet(&s.guid, true),
        "LogName": s.channel,
        "ProcessId": s.pid,
        "ThreadId": s.tid,
        "MachineName": s.computer,
        "UserId": s.user_id,
        "TimeCreated": format!("/Date({})/", ms(&s.system_time)),
        "ContainerLog": s.channel,
        "LevelDisplayName": level_name,
        "Properties": props,
    })
}

fn as_text(v: &Value) -> Value {
    match v {
        Value::String(_) => v.clone(),
        Value::Null => json!(""),
        other => json!(other.to_string()),
    }
}

fn ecs(r: &Rec) -> Value {
    let s = sys(&r.json);
    let mut data = Map::new();
    let mut param = 0;
    for (k, v) in data_items(&r.json) {
        if k == "Data" {
            param += 1;
            data.insert(format!("param{param}"), as_text(&v));
        } else {
            data.entry(k).or_insert_with(|| as_text(&v));
        }
    }
    let mut winlog = json!({
        "channel": s.channel,
        "computer_name": s.computer,
        "event_id": as_text(&s.event_id),
        "provider_name": s.provider,
        "provider_guid": s.guid,
        "record_id": as_text(&s.record_id),
        "process": {"pid": s.pid, "thread": {"id": s.tid}},
        "api": "wineventlog",
    });
    if let Some(u) = s.user_id.as_str() {
        winlog["user"] = json!({"identifier": u});
    }
    match r.json["Event"].get("UserData").and_then(Value::as_object) {
        Some(ud) => {
            if let Some(name) = ud.keys().next() {
                data.insert("xml_name".into(), json!(name));
            }
            winlog["user_data"] = Value::Object(data);
        }
        None if !data.is_empty() => winlog["event_data"] = Value::Object(data),
        None => {}
    }
    let level = match s.level {
        1 => "critical",
        2 => "error",
        3 => "warning",
        5 => "verbose",
        _ => "information",
    };
    json!({
        "@timestamp": vigil_model::format_rfc3339_ms(ms(&s.system_time)),
        "agent": {"type": "winlogbeat", "version": "8.15.0"},
        "ecs": {"version": "8.0.0"},
        "event": {"code": as_text(&s.event_id), "kind": "event", "provider": s.provider, "created": "2024-10-22T15:39:16.264Z"},
        "host": {"name": s.computer.to_ascii_lowercase()},
        "log": {"level": level},
        "winlog": winlog,
    })
}

/// The `<EventData>` or `<UserData>` element of an event's XML.
fn data_element(xml: &str) -> Option<&str> {
    for tag in ["EventData", "UserData"] {
        let open = format!("<{tag}");
        if let Some(a) = xml.find(&open) {
            let rest = &xml[a..];
            if let Some(end) = rest.find('>')
                && rest[..end].ends_with('/')
            {
                return Some(&rest[..=end]);
            }
            let close = format!("</{tag}>");
            return rest.find(&close).map(|b| &rest[..b + close.len()]);
        }
    }
    None
}

fn sentinel(r: &Rec) -> Value {
    let s = sys(&r.json);
    let origin = vigil_model::EventId::of_json("sentinel-row", &r.json).to_string();
    let origin: String =
        origin.chars().filter(char::is_ascii_hexdigit).chain(std::iter::repeat('0')).take(32).collect();
    let origin =
        format!("{}-{}-{}-{}-{}", &origin[..8], &origin[8..12], &origin[12..16], &origin[16..20], &origin[20..]);
    if s.channel == "Security" {
        let mut row = json!({
            "TenantId": "00000000-0000-0000-0000-000000000001",
            "TimeGenerated": s.system_time,
            "SourceSystem": "OpsManager",
            "Computer": s.computer,
            "EventSourceName": s.provider,
            "Channel": s.channel,
            "Task": s.task,
            "Level": as_text(&json!(s.level)),
            "EventID": s.event_id,
            "Activity": format!("{} - event", as_text(&s.event_id).as_str().unwrap_or("")),
            "EventOriginId": origin,
            "Type": "SecurityEvent",
        });
        if let Some(x) = data_element(&r.xml) {
            row["EventData"] = json!(x);
        }
        row
    } else {
        let parsed = vigil_decode::windows_xml::read_element(&r.xml).unwrap_or_default();
        let ev = &parsed["Event"];
        let data = ev.get("EventData").or_else(|| ev.get("UserData")).cloned();
        let mut row = json!({
            "TenantId": "00000000-0000-0000-0000-000000000001",
            "TimeGenerated": s.system_time,
            "Computer": s.computer,
            "Channel": s.channel,
            "Provider": s.provider,
            "EventID": s.event_id,
            "EventLevel": s.level,
            "EventRecordId": as_text(&s.record_id),
            "Task": s.task,
            "Opcode": s.opcode,
            "Keywords": s.keywords,
            "EventOriginId": origin,
            "Type": "WindowsEvent",
        });
        match data {
            Some(Value::Object(m)) => row["EventData"] = Value::Object(m),
            Some(Value::Null) => row["EventData"] = json!({}),
            Some(other) => row["EventData"] = json!({"Data": other}),
            None => {}
        }
        row
    }
}
