//! One borrowed view of a Windows event, whatever JSON shape it came in: the `evtx` crate's
//! rendering (`{"Event":{"System":…,"EventData":…}}`), the same XML converted to JSON with
//! `@`-attributes and `#text` (xmltodict's convention, which Windows XML text is read into too),
//! Winlogbeat 7+ and Elastic Agent (`{"winlog":{…}}`), Winlogbeat 6 (the same fields at the top
//! level), NXLog's flat records (the OTRF Security-Datasets), PowerShell's `Get-WinEvent |
//! ConvertTo-Json` (`Id`, `ProviderName`, `Properties` named by its decoder) and Microsoft
//! Sentinel's `SecurityEvent` and `WindowsEvent` rows.
//!
//! This module is the only place that knows where each shape keeps the event id, the channel,
//! the provider, the computer, the record id, the time, the level and the event data. The Windows
//! decoder normalizes through it, and the detection engine builds the Sigma field view from it, so
//! the two cannot disagree about a record. Nothing is copied: every field is a `&Value` into the
//! record.

use serde_json::{Map, Value, map};

use crate::json::{as_int, get};

/// Which shape a record came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The `evtx` crate's rendering: `{"Event":{"System":{…},"EventData":{…}}}`.
    Evtx,
    /// Winlogbeat 7 and later: `{"@timestamp":…,"winlog":{"event_id":…,"event_data":{…}}}`.
    Winlogbeat,
    /// Winlogbeat 6: `event_id`, `log_name`, `event_data` … at the top level.
    Winlogbeat6,
    /// NXLog / OTRF: one flat object, header and event data side by side.
    Nxlog,
    /// Event XML converted to JSON with `@`-attributes and `#text` (xmltodict's convention):
    /// `{"Event":{"@xmlns":…,"System":{"Provider":{"@Name":…},…},"EventData":{"Data":[…]}}}`.
    XmlJson,
    /// PowerShell `Get-WinEvent | ConvertTo-Json`: `Id`, `ProviderName`, `LogName`, `MachineName`,
    /// `RecordId`, `TimeCreated` (`/Date(…)/`) and the event data as `EventData` (which the
    /// decoder names from `Properties`).
    PowerShell,
    /// A Microsoft Sentinel `SecurityEvent` or `WindowsEvent` row: `EventID`, `Channel`,
    /// `Computer`, `EventSourceName` or `Provider`, `TimeGenerated`, and `EventData` (an object,
    /// or XML text the decoder reads into one); without `EventData`, the row's own columns.
    Sentinel,
}

impl Shape {
    /// What the shape is called in quarantine reasons.
    pub fn label(self) -> &'static str {
        match self {
            Shape::Evtx => "evtx-rendered Windows JSON",
            Shape::XmlJson => "xmltodict-style Windows JSON",
            Shape::Winlogbeat => "Winlogbeat/Elastic Agent Windows JSON",
            Shape::Winlogbeat6 => "Winlogbeat 6 Windows JSON",
            Shape::Nxlog => "NXLog Windows JSON",
            Shape::PowerShell => "PowerShell Get-WinEvent JSON",
            Shape::Sentinel => "Sentinel Windows event row",
        }
    }
}

/// A record's severity as its shape states it: the Windows Level (1 critical … 4 information) or
/// NXLog's SeverityValue (1 debug, 2 info, 3 warning, 4 error, 5 critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Windows(i64),
    Nxlog(i64),
}

/// The header fields of a flat (NXLog) record; every other top-level field is event data.
const NXLOG_HEADER: &[&str] = &[
    "EventID",
    "Channel",
    "SourceName",
    "Hostname",
    "RecordNumber",
    "@timestamp",
    "@version",
    "EventTime",
    "EventReceivedTime",
    "tags",
    "Keywords",
    "SourceModuleName",
    "SourceModuleType",
    "host",
    "port",
    "Message",
];

/// The columns of a Sentinel row that are not event data, when it has no `EventData` to read.
const SENTINEL_HEADER: &[&str] = &[
    "TenantId",
    "TimeGenerated",
    "TimeCreated",
    "SourceSystem",
    "Account",
    "AccountType",
    "Computer",
    "EventSourceName",
    "Provider",
    "Channel",
    "Task",
    "Level",
    "EventLevel",
    "EventLevelName",
    "EventID",
    "Activity",
    "EventRecordId",
    "EventOriginId",
    "EventData",
    "ManagementGroupName",
    "MG",
    "Type",
    "_ResourceId",
    "_ItemId",
    "Keywords",
    "Opcode",
    "Version",
    "Correlation",
    "SystemProcessId",
    "SystemThreadId",
    "SystemUserId",
    "RawEventData",
    "Data",
];

/// An empty element's text: `<Data Name="RuleName"></Data>` has the value `""`, as the `evtx`
/// crate renders it, whether its JSON form has a `#text` or not.
static EMPTY_TEXT: Value = Value::String(String::new());

/// How deep EventData/UserData wrapper objects are followed.
const MAX_DATA_DEPTH: u32 = 3;

/// One Windows event, read in place.
#[derive(Debug, Clone, Copy)]
pub struct WindowsView<'a> {
    record: &'a Value,
    shape: Shape,
    /// Where the header fields are: `Event.System`, `winlog`, or the record itself.
    head: &'a Value,
    /// Where the data sections are: `Event`, `winlog`, or the record itself.
    body: &'a Value,
}

impl<'a> WindowsView<'a> {
    /// Reads `record` as a Windows event; `None` when it is in none of the shapes. A shape is
    /// told by its envelope alone (`Event.System`, an object `winlog`, `event_id` with `log_name`
    /// or `computer_name`, or an `EventID`), so a record in a shape but without a usable event id
    /// still has a view, whose [`event_id`](Self::event_id) is `None`.
    pub fn of(record: &'a Value) -> Option<WindowsView<'a>> {
        let view = |shape, head, body| Some(WindowsView { record, shape, head, body });
        if let Some(ev) = record.get("Event")
            && let Some(sys) = ev.get("System")
        {
            let shape = if has_at_attributes(ev, sys) { Shape::XmlJson } else { Shape::Evtx };
            return view(shape, sys, ev);
        }
        if let Some(w) = record.get("winlog").filter(|w| w.is_object()) {
            return view(Shape::Winlogbeat, w, w);
        }
        if record.get("event_id").is_some()
            && (record.get("log_name").is_some() || record.get("computer_name").is_some())
        {
            return view(Shape::Winlogbeat6, record, record);
        }
        if is_powershell(record) {
            return view(Shape::PowerShell, record, record);
        }
        if is_sentinel(record) {
            return view(Shape::Sentinel, record, record);
        }
        if record.is_object() && get(record, "EventID").is_some() {
            return view(Shape::Nxlog, record, record);
        }
        None
    }

    /// Whether a record looks like a Windows event, for sniffing: stricter than [`of`](Self::of)
    /// for flat records, which must also name a channel, source or host.
    pub fn recognizes(v: &Value) -> bool {
        v.get("Event").and_then(|e| e.get("System")).is_some()
            || v.get("winlog").is_some_and(Value::is_object)
            || (v.get("event_id").is_some()
                && (v.get("log_name").is_some() || v.get("computer_name").is_some() || v.get("source_name").is_some()))
            || (v.get("EventID").is_some()
                && (v.get("Channel").is_some() || v.get("SourceName").is_some() || v.get("Hostname").is_some()))
            || is_powershell(v)
            || is_sentinel(v)
    }

    /// The record the view reads.
    pub fn record(&self) -> &'a Value {
        self.record
    }

    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// Where the shape keeps the event id, as a path for messages.
    pub fn event_id_path(&self) -> &'static str {
        match self.shape {
            Shape::Evtx | Shape::XmlJson => "Event.System.EventID",
            Shape::Winlogbeat => "winlog.event_id",
            Shape::Winlogbeat6 => "event_id",
            Shape::Nxlog | Shape::Sentinel => "EventID",
            Shape::PowerShell => "Id",
        }
    }

    /// The event id as the record states it (a number, decimal or `0x` text, or `{"#text":…}`).
    pub fn event_id_value(&self) -> Option<&'a Value> {
        match self.shape {
            Shape::Evtx | Shape::XmlJson | Shape::Nxlog | Shape::Sentinel => get(self.head, "EventID"),
            // Elastic Agent and Winlogbeat 8 state it as ECS `event.code` too.
            Shape::Winlogbeat => get(self.head, "event_id").or_else(|| get(self.record, "event.code")),
            Shape::Winlogbeat6 => self.head.get("event_id"),
            Shape::PowerShell => self.head.get("Id"),
        }
    }

    /// The event id, when it is a number that fits an event id.
    pub fn event_id(&self) -> Option<u32> {
        self.event_id_value().and_then(as_int).and_then(|n| u32::try_from(n).ok())
    }

    /// The event log channel (`Security`, `Microsoft-Windows-Sysmon/Operational` …).
    pub fn channel(&self) -> Option<&'a str> {
        self.first_text(self.head, self.channel_paths())
    }

    /// The provider (`Microsoft-Windows-Security-Auditing`, `Microsoft-Windows-Sysmon` …).
    pub fn provider(&self) -> Option<&'a str> {
        self.first_text(self.head, self.provider_paths())
    }

    /// The computer that logged the event.
    pub fn computer(&self) -> Option<&'a str> {
        self.first_text(self.head, self.computer_paths())
            .or_else(|| if self.shape == Shape::Winlogbeat { text_at(self.record, "host.name") } else { None })
    }

    /// The record number in its log.
    pub fn record_id(&self) -> Option<i64> {
        get(self.head, self.record_id_path()).and_then(as_int)
    }

    fn record_id_path(&self) -> &'static str {
        match self.shape {
            Shape::Evtx | Shape::XmlJson => "EventRecordID",
            Shape::Winlogbeat => "record_id",
            Shape::Winlogbeat6 => "record_number",
            Shape::Nxlog => "RecordNumber",
            Shape::PowerShell => "RecordId",
            Shape::Sentinel => "EventRecordId",
        }
    }

    /// The severity the record states, if its shape states one.
    pub fn level(&self) -> Option<Level> {
        match self.shape {
            Shape::Evtx | Shape::XmlJson | Shape::PowerShell => {
                get(self.head, "Level").and_then(as_int).map(Level::Windows)
            }
            Shape::Sentinel => {
                ["EventLevel", "Level"].iter().find_map(|k| get(self.head, k).and_then(as_int)).map(Level::Windows)
            }
            Shape::Nxlog => get(self.head, "SeverityValue").and_then(as_int).map(Level::Nxlog),
            // Winlogbeat 7+ names the level (`log.level`: `error`, `warning` …).
            Shape::Winlogbeat => {
                let name = self.record.get("log").and_then(|l| l.get("level")).and_then(Value::as_str)?;
                let level = match name.to_ascii_lowercase().as_str() {
                    "critical" => 1,
                    "error" => 2,
                    "warning" => 3,
                    "information" | "info" => 4,
                    "verbose" => 5,
                    _ => return None,
                };
                Some(Level::Windows(level))
            }
            Shape::Winlogbeat6 => None,
        }
    }

    /// Where the event's time may be: an object and the paths in it, in order of preference.
    pub fn time_fields(&self) -> (&'a Value, &'static [&'static str]) {
        match self.shape {
            Shape::Evtx | Shape::XmlJson => (
                self.head,
                &["TimeCreated.#attributes.SystemTime", "TimeCreated.@SystemTime", "TimeCreated.SystemTime"],
            ),
            Shape::Winlogbeat | Shape::Winlogbeat6 => (self.record, &["@timestamp"]),
            Shape::Nxlog => (self.record, &["@timestamp", "TimeCreated", "EventTime", "TimeGenerated"]),
            Shape::PowerShell => (self.record, &["TimeCreated"]),
            Shape::Sentinel => (self.record, &["TimeCreated", "TimeGenerated"]),
        }
    }

    /// Where the time is looked for, as paths from the record's top, for messages.
    pub fn time_paths(&self) -> String {
        let prefix = match self.shape {
            Shape::Evtx | Shape::XmlJson => "Event.System.",
            Shape::Winlogbeat | Shape::Winlogbeat6 | Shape::Nxlog | Shape::PowerShell | Shape::Sentinel => "",
        };
        let (_, paths) = self.time_fields();
        let mut shown: Vec<String> = paths.iter().map(|p| format!("{prefix}{p}")).collect();
        if self.shape == Shape::XmlJson {
            // The `@` form is the one this shape writes: name it first.
            shown.swap(0, 1);
        }
        shown.join(", ")
    }

    /// The event's time (epoch milliseconds): the first of [`time_fields`](Self::time_fields)
    /// that reads as a time, in any of the forms of [`parse_time`].
    pub fn time(&self) -> Option<i64> {
        let (v, paths) = self.time_fields();
        paths.iter().filter_map(|p| get(v, p)).find_map(parse_time)
    }

    /// The event data, flattened: EventData and UserData (Winlogbeat's `event_data` and
    /// `user_data`) with named values, `Data` arrays of `{"#attributes":{"Name"},"#text"}` and up
    /// to three levels of wrapper objects read through; a flat record's fields other than its
    /// header. Unnamed `Data` items are named `Data`. A name may repeat; the first is the one
    /// [`data_field`](Self::data_field) finds. Sections that are not objects are skipped.
    pub fn data(&self) -> DataFields<'a> {
        let (sections, flat): (&'static [&'static str], _) = match self.shape {
            Shape::Evtx | Shape::XmlJson => (&["EventData", "UserData"], None),
            Shape::Winlogbeat | Shape::Winlogbeat6 => (&["event_data", "user_data"], None),
            Shape::Nxlog => (&[], self.record.as_object().map(|m| (m.iter(), NXLOG_HEADER))),
            Shape::PowerShell => (&["EventData"], None),
            Shape::Sentinel if self.record.get("EventData").is_some_and(Value::is_object) => (&["EventData"], None),
            Shape::Sentinel => (&[], self.record.as_object().map(|m| (m.iter(), SENTINEL_HEADER))),
        };
        DataFields { body: self.body, sections: sections.iter(), stack: Vec::new(), items: None, flat }
    }

    /// The first data field of that name.
    pub fn data_field(&self, name: &str) -> Option<&'a Value> {
        self.data().find(|(k, _)| *k == name).map(|(_, v)| v)
    }

    /// Every field of the event under the flat names Sigma rules use: the header as
    /// `EventID`, `Channel`, `Provider_Name`, `Provider_Guid`, `Computer`, `EventRecordID`,
    /// `TimeCreated`, `Security_UserID`, `Execution_ProcessID` and the other System elements by
    /// their own names, then the [`data`](Self::data). A flat record's fields are its own, in
    /// order, with `Provider_Name` and `Computer` added when it names them otherwise.
    pub fn fields(&self) -> impl Iterator<Item = (&'a str, &'a Value)> + use<'a> {
        let mut head: Vec<(&'a str, &'a Value)> = Vec::with_capacity(16);
        let mut data = None;
        match self.shape {
            Shape::Evtx | Shape::XmlJson => {
                if let Value::Object(sys) = self.head {
                    system_fields(sys, &mut head);
                }
                data = Some(self.data());
            }
            Shape::Winlogbeat | Shape::Winlogbeat6 | Shape::PowerShell | Shape::Sentinel => {
                let header = [
                    ("EventID", self.event_id_value()),
                    ("Channel", self.first_value(self.head, self.channel_paths())),
                    ("Provider_Name", self.first_value(self.head, self.provider_paths())),
                    ("Computer", self.computer_value()),
                    ("EventRecordID", get(self.head, self.record_id_path())),
                ];
                head.extend(header.into_iter().filter_map(|(k, v)| Some((k, v?))));
                data = Some(self.data());
            }
            Shape::Nxlog => {
                if let Value::Object(m) = self.record {
                    head.extend(m.iter().map(|(k, x)| (k.as_str(), x)));
                    for (name, value) in [
                        ("Provider_Name", self.first_value(self.head, self.provider_paths())),
                        ("Computer", self.first_value(self.head, self.computer_paths())),
                    ] {
                        if !m.contains_key(name)
                            && let Some(x) = value
                        {
                            head.push((name, x));
                        }
                    }
                }
            }
        }
        head.into_iter().chain(data.into_iter().flatten())
    }

    fn channel_paths(&self) -> &'static [&'static str] {
        match self.shape {
            Shape::Evtx | Shape::XmlJson | Shape::Nxlog | Shape::Sentinel => &["Channel"],
            Shape::Winlogbeat => &["channel"],
            Shape::Winlogbeat6 => &["log_name"],
            Shape::PowerShell => &["LogName", "ContainerLog"],
        }
    }

    fn provider_paths(&self) -> &'static [&'static str] {
        match self.shape {
            Shape::Evtx | Shape::XmlJson => &["Provider.#attributes.Name", "Provider.@Name", "Provider.Name"],
            Shape::Winlogbeat => &["provider_name"],
            Shape::Winlogbeat6 => &["source_name"],
            Shape::Nxlog => &["SourceName", "ProviderName"],
            Shape::PowerShell => &["ProviderName"],
            Shape::Sentinel => &["EventSourceName", "Provider"],
        }
    }

    fn computer_paths(&self) -> &'static [&'static str] {
        match self.shape {
            Shape::Evtx | Shape::XmlJson | Shape::Sentinel => &["Computer"],
            Shape::Winlogbeat | Shape::Winlogbeat6 => &["computer_name"],
            Shape::Nxlog => &["Hostname", "Computer"],
            Shape::PowerShell => &["MachineName"],
        }
    }

    fn computer_value(&self) -> Option<&'a Value> {
        let paths = self.computer_paths();
        let host = || get(self.record, "host.name").filter(|x| str_of(x).is_some());
        match self.shape {
            Shape::Winlogbeat if self.first_text(self.head, paths).is_none() => {
                host().or_else(|| self.first_value(self.head, paths))
            }
            _ => self.first_value(self.head, paths),
        }
    }

    /// The first of `paths` whose value is usable text.
    fn first_text(&self, v: &'a Value, paths: &[&str]) -> Option<&'a str> {
        paths.iter().find_map(|p| text_at(v, p))
    }

    /// The value of the first of `paths` that is usable text, or else of the first present.
    fn first_value(&self, v: &'a Value, paths: &[&str]) -> Option<&'a Value> {
        paths
            .iter()
            .filter_map(|p| get(v, p))
            .find(|x| str_of(x).is_some())
            .or_else(|| paths.iter().find_map(|p| get(v, p)))
    }
}

/// A string field's text: `{"#text":…}` read through; blank, `-` and `null` are none.
pub fn str_of(v: &Value) -> Option<&str> {
    let s = unwrap_text(v).as_str()?;
    let t = s.trim();
    (!t.is_empty() && t != "-" && t != "null").then_some(s)
}

fn text_at<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    get(v, path).and_then(str_of)
}

/// An element's text (`{"#attributes":…,"#text":x}` is `x`); any other value as it is.
pub fn unwrap_text(v: &Value) -> &Value {
    match v {
        Value::Object(m) => m.get("#text").unwrap_or(v),
        _ => v,
    }
}

/// An element's attribute, as the `evtx` crate renders it (`#attributes`), as xmltodict does
/// (`@Name`), or flattened.
fn attr<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let m = v.as_object()?;
    if let Some(x) = m.get("#attributes").and_then(|a| a.get(name)) {
        return Some(x);
    }
    m.iter().find(|(k, _)| k.strip_prefix('@') == Some(name)).map(|(_, x)| x).or_else(|| m.get(name))
}

/// The name an element's attributes give it (`Name`, under `#attributes` or as `@Name`).
fn name_attr(v: &Value) -> Option<&str> {
    let m = v.as_object()?;
    m.get("#attributes").and_then(|a| a.get("Name")).or_else(|| m.get("@Name")).and_then(Value::as_str)
}

/// Whether an `Event` is written with xmltodict's `@`-attributes rather than the `evtx` crate's
/// `#attributes`: its own attributes or those of the System elements that always have some.
fn has_at_attributes(ev: &Value, sys: &Value) -> bool {
    let at = |v: Option<&Value>| v.and_then(Value::as_object).is_some_and(|m| m.keys().any(|k| k.starts_with('@')));
    at(Some(ev)) || ["Provider", "TimeCreated", "EventID"].iter().any(|k| at(sys.get(*k)))
}

/// PowerShell `Get-WinEvent | ConvertTo-Json`: `Id` and `ProviderName`, with its log or properties.
pub fn is_powershell(v: &Value) -> bool {
    v.get("Id").is_some()
        && v.get("ProviderName").is_some()
        && (v.get("LogName").is_some() || v.get("Properties").is_some() || v.get("ContainerLog").is_some())
}

/// A Microsoft Sentinel `SecurityEvent` or `WindowsEvent` row.
pub fn is_sentinel(v: &Value) -> bool {
    let typed = v.get("Type").and_then(Value::as_str).is_some_and(|t| t == "SecurityEvent" || t == "WindowsEvent");
    v.get("EventID").is_some()
        && (typed
            || (v.get("TimeGenerated").is_some()
                && (v.get("EventSourceName").is_some()
                    || v.get("TenantId").is_some()
                    || v.get("EventOriginId").is_some())))
}

/// A Windows event time in any form the shapes write: RFC 3339 with or without a zone, to 100 ns
/// (`2024-10-22T15:39:16.2645315Z`, `2024-10-22 15:39:16.2645315`, `…+02:00`), .NET's JSON dates
/// (`/Date(1729611556264)/`, `/Date(1729611556264+0200)/`), or epoch numbers. Epoch milliseconds,
/// the precision events keep; finer digits are cut, not rounded, so every shape of one record
/// gives the same time.
pub fn parse_time(v: &Value) -> Option<i64> {
    if let Some(s) = v.as_str()
        && let Some(ms) = dotnet_date(s.trim())
    {
        return Some(ms);
    }
    vigil_model::parse_time_value(unwrap_text(v))
}

/// `/Date(ms)/` or `/Date(ms+hhmm)/`: the milliseconds are UTC already; the offset only says
/// which zone the writer was in.
fn dotnet_date(s: &str) -> Option<i64> {
    let inner = s.strip_prefix("/Date(")?.strip_suffix(")/")?;
    let digits_end = inner.char_indices().skip(1).find(|(_, c)| !c.is_ascii_digit()).map_or(inner.len(), |(i, _)| i);
    let (ms, zone) = inner.split_at(digits_end);
    let ok_zone = zone.is_empty()
        || (zone.len() == 5 && zone.starts_with(['+', '-']) && zone[1..].bytes().all(|b| b.is_ascii_digit()));
    if !ok_zone {
        return None;
    }
    let ms: i64 = ms.parse().ok()?;
    // Within the years Vigil keeps (0001–9999), as any other time.
    (-62_135_596_800_000..253_402_300_800_000).contains(&ms).then_some(ms)
}

/// The System element under Sigma's flat names.
fn system_fields<'a>(sys: &'a Map<String, Value>, out: &mut Vec<(&'a str, &'a Value)>) {
    for (k, x) in sys {
        match k.as_str() {
            "Provider" => {
                if let Some(n) = attr(x, "Name") {
                    out.push(("Provider_Name", n));
                }
                if let Some(g) = attr(x, "Guid") {
                    out.push(("Provider_Guid", g));
                }
            }
            "TimeCreated" => {
                if let Some(t) = attr(x, "SystemTime") {
                    out.push(("TimeCreated", t));
                }
            }
            "Security" => {
                if let Some(u) = attr(x, "UserID") {
                    out.push(("Security_UserID", u));
                }
            }
            "Execution" => {
                if let Some(p) = attr(x, "ProcessID") {
                    out.push(("Execution_ProcessID", p));
                }
            }
            "Correlation" => {}
            _ => out.push((k.as_str(), unwrap_text(x))),
        }
    }
}

fn is_text_or_null(v: &Value) -> bool {
    matches!(v, Value::String(_) | Value::Null)
}

/// The event data of one record, in order; see [`WindowsView::data`].
pub struct DataFields<'a> {
    body: &'a Value,
    /// Data sections not yet read.
    sections: std::slice::Iter<'static, &'static str>,
    /// The objects being read, innermost last, with their depth.
    stack: Vec<(map::Iter<'a>, u32)>,
    /// A `Data` array being read.
    items: Option<std::slice::Iter<'a, Value>>,
    /// A flat record's fields, and the header names that are not data.
    flat: Option<(map::Iter<'a>, &'static [&'static str])>,
}

impl<'a> Iterator for DataFields<'a> {
    type Item = (&'a str, &'a Value);

    fn next(&mut self) -> Option<(&'a str, &'a Value)> {
        if let Some((flat, header)) = &mut self.flat {
            return flat.find(|(k, _)| !header.contains(&k.as_str())).map(|(k, x)| (k.as_str(), x));
        }
        loop {
            if let Some(items) = &mut self.items {
                match items.next() {
                    Some(it) => match name_attr(it) {
                        Some(name) => match it.get("#text") {
                            Some(t) => return Some((name, t)),
                            // xmltodict writes an empty element without `#text`.
                            None if it.get("@Name").is_some() => return Some((name, &EMPTY_TEXT)),
                            None => continue,
                        },
                        None => return Some(("Data", unwrap_text(it))),
                    },
                    None => self.items = None,
                }
                continue;
            }
            if let Some((entries, depth)) = self.stack.last_mut() {
                let depth = *depth;
                let Some((k, x)) = entries.next() else {
                    self.stack.pop();
                    continue;
                };
                if k == "#attributes" || k.starts_with('@') {
                    continue;
                }
                match x {
                    // One named Data element (xmltodict writes a lone element as an object).
                    Value::Object(inner) if k == "Data" && inner.contains_key("@Name") => {
                        if let Some(name) = name_attr(x) {
                            return Some((name, inner.get("#text").unwrap_or(&EMPTY_TEXT)));
                        }
                        return Some((k.as_str(), unwrap_text(x)));
                    }
                    Value::Object(inner) if inner.contains_key("#text") => return Some((k.as_str(), &inner["#text"])),
                    Value::Object(inner) if depth < MAX_DATA_DEPTH => self.stack.push((inner.iter(), depth + 1)),
                    // Unnamed values only (`<Data>a</Data><Data>b</Data>`): one field holding them
                    // all, as the `evtx` crate's `{"#text":[…]}` gives them.
                    Value::Array(items) if k == "Data" && !items.is_empty() && items.iter().all(is_text_or_null) => {
                        return Some((k.as_str(), x));
                    }
                    Value::Array(items) if k == "Data" => self.items = Some(items.iter()),
                    _ => return Some((k.as_str(), x)),
                }
                continue;
            }
            let section = self.sections.next()?;
            if let Some(Value::Object(m)) = self.body.get(*section) {
                self.stack.push((m.iter(), 0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// One Security 4624, the same in every shape.
    fn shapes() -> Vec<(Shape, Value)> {
        vec![
            (
                Shape::Evtx,
                json!({"Event": {"#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
                    "System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                        "EventID": 4624, "Level": 0, "EventRecordID": 17, "Channel": "Security", "Computer": "WS1",
                        "TimeCreated": {"#attributes": {"SystemTime": "2019-03-19T23:34:25.523Z"}}},
                    "EventData": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}}}),
            ),
            (
                Shape::Evtx,
                json!({"Event": {
                    "System": {"Provider": {"Name": "Microsoft-Windows-Security-Auditing"},
                        "EventID": {"#attributes": {"Qualifiers": 0}, "#text": "4624"}, "EventRecordID": "17",
                        "Channel": {"#text": "Security"}, "Computer": "WS1",
                        "TimeCreated": {"SystemTime": "2019-03-19T23:34:25.523Z"}},
                    "EventData": {"Data": [
                        {"#attributes": {"Name": "TargetUserName"}, "#text": "alice"},
                        {"#attributes": {"Name": "LogonType"}, "#text": 3},
                        {"#attributes": {"Name": "IpAddress"}, "#text": "10.0.0.5"}]}}}),
            ),
            (
                Shape::Winlogbeat,
                json!({"@timestamp": "2019-03-19T23:34:25.523Z", "host": {"name": "ws1.corp"},
                    "winlog": {"event_id": "4624", "channel": "Security", "computer_name": "WS1", "record_id": 17,
                        "provider_name": "Microsoft-Windows-Security-Auditing",
                        "event_data": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}}}),
            ),
            (
                Shape::Winlogbeat6,
                json!({"@timestamp": "2019-03-19T23:34:25.523Z", "@metadata": {"beat": "winlogbeat", "version": "6.7.0"},
                    "event_id": 4624, "log_name": "Security", "computer_name": "WS1", "record_number": "17",
                    "source_name": "Microsoft-Windows-Security-Auditing",
                    "event_data": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}}),
            ),
            (
                Shape::Nxlog,
                json!({"EventID": 4624, "Channel": "Security", "Hostname": "WS1", "RecordNumber": 17,
                    "SourceName": "Microsoft-Windows-Security-Auditing", "@timestamp": "2019-03-19T23:34:25.523Z",
                    "TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}),
            ),
            (
                Shape::XmlJson,
                json!({"Event": {"@xmlns": "http://schemas.microsoft.com/win/2004/08/events/event",
                    "System": {"Provider": {"@Name": "Microsoft-Windows-Security-Auditing"},
                        "EventID": {"@Qualifiers": "0", "#text": "4624"}, "EventRecordID": "17", "Channel": "Security",
                        "Computer": "WS1", "TimeCreated": {"@SystemTime": "2019-03-19 23:34:25.5237180"}},
                    "EventData": {"Data": [{"@Name": "TargetUserName", "#text": "alice"},
                        {"@Name": "LogonType", "#text": 3}, {"@Name": "IpAddress", "#text": "10.0.0.5"}]}}}),
            ),
            (
                Shape::PowerShell,
                json!({"Id": 4624, "RecordId": 17, "ProviderName": "Microsoft-Windows-Security-Auditing",
                    "LogName": "Security", "MachineName": "WS1", "TimeCreated": "/Date(1553038465523)/",
                    "EventData": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}}),
            ),
            (
                Shape::Sentinel,
                json!({"Type": "WindowsEvent", "EventID": 4624, "EventRecordId": "17", "Channel": "Security",
                    "Provider": "Microsoft-Windows-Security-Auditing", "Computer": "WS1",
                    "TimeGenerated": "2019-03-19T23:34:25.5237180Z",
                    "EventData": {"TargetUserName": "alice", "LogonType": 3, "IpAddress": "10.0.0.5"}}),
            ),
        ]
    }

    #[test]
    fn every_shape_gives_the_same_view() {
        for (shape, v) in shapes() {
            let w = WindowsView::of(&v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!(w.shape(), shape, "{v}");
            assert_eq!(w.event_id(), Some(4624), "{v}");
            assert_eq!(w.channel(), Some("Security"), "{v}");
            assert_eq!(w.provider(), Some("Microsoft-Windows-Security-Auditing"), "{v}");
            assert_eq!(w.computer(), Some("WS1"), "{v}");
            assert_eq!(w.record_id(), Some(17), "{v}");
            assert_eq!(w.time(), Some(1_553_038_465_523), "{v}");
            let mut data: Vec<(&str, String)> = w.data().map(|(k, x)| (k, x.to_string())).collect();
            data.sort();
            let want = [("IpAddress", "\"10.0.0.5\""), ("LogonType", "3"), ("TargetUserName", "\"alice\"")];
            assert_eq!(data, want.map(|(k, x)| (k, x.to_string())), "{v}");
            assert_eq!(w.data_field("TargetUserName"), Some(&json!("alice")), "{v}");
            assert_eq!(w.data_field("Nope"), None, "{v}");
            let fields: Vec<&str> = w.fields().map(|(k, _)| k).collect();
            for name in ["EventID", "Channel", "Provider_Name", "Computer", "TargetUserName", "LogonType"] {
                assert!(fields.contains(&name), "{name} in {fields:?} of {v}");
            }
            let field = |name: &str| w.fields().find(|(k, _)| *k == name).map(|(_, x)| x);
            assert_eq!(field("Computer").and_then(str_of), Some("WS1"), "{v}");
            assert_eq!(field("Channel").and_then(str_of), Some("Security"), "{v}");
            assert_eq!(field("Provider_Name").and_then(str_of), Some("Microsoft-Windows-Security-Auditing"));
        }
    }

    #[test]
    fn xmltodict_lone_and_empty_data_and_unnamed_lists() {
        let v = json!({"Event": {"@xmlns": "e", "System": {"EventID": "1"},
            "EventData": {"Data": {"@Name": "RuleName"}, "Binary": "00"},
            "UserData": {"W": {"@xmlns": "x", "Data": ["a", null, "c"]}}}});
        let w = WindowsView::of(&v).unwrap_or_else(|| panic!("a view"));
        assert_eq!(w.shape(), Shape::XmlJson);
        let data: Vec<(&str, Value)> = w.data().map(|(k, x)| (k, x.clone())).collect();
        assert_eq!(data, vec![("RuleName", json!("")), ("Binary", json!("00")), ("Data", json!(["a", null, "c"]))]);
        let sentinel_columns = json!({"Type": "SecurityEvent", "EventID": 4624, "TimeGenerated": "2019-03-19T23:34:25Z",
            "Computer": "WS1", "TargetUserName": "alice", "Activity": "4624 - An account was successfully logged on."});
        let w = WindowsView::of(&sentinel_columns).unwrap_or_else(|| panic!("a view"));
        let data: Vec<&str> = w.data().map(|(k, _)| k).collect();
        assert_eq!(data, ["TargetUserName"], "a row without EventData: its own columns, less the header");
    }

    #[test]
    fn levels_as_each_shape_states_them() {
        let evtx = json!({"Event": {"System": {"EventID": 1, "Level": "2"}}});
        assert_eq!(WindowsView::of(&evtx).and_then(|w| w.level()), Some(Level::Windows(2)));
        let nx = json!({"EventID": 1, "SeverityValue": 4});
        assert_eq!(WindowsView::of(&nx).and_then(|w| w.level()), Some(Level::Nxlog(4)));
        let beat = json!({"winlog": {"event_id": 1, "level": "information"}});
        assert_eq!(WindowsView::of(&beat).and_then(|w| w.level()), None);
    }

    #[test]
    fn userdata_wrappers_data_arrays_and_their_limits() {
        let v = json!({"Event": {"System": {"EventID": 1102, "Channel": "Security"},
            "EventData": {"Binary": {"#attributes": {"Length": 2}, "#text": "00FF"},
                          "Data": [{"#attributes": {"Name": "TargetUserName"}, "#text": "alice"}, "loose",
                                   {"#attributes": {"Name": "NoText"}}, {"#text": "wrapped"}]},
            "UserData": {"LogFileCleared": {"#attributes": {"xmlns": "x"}, "A": {"B": {"C": {"deep": 1}}},
                                            "SubjectUserName": "bob"}}}});
        let w = WindowsView::of(&v).unwrap_or_else(|| panic!("a view"));
        let data: Vec<(&str, Value)> = w.data().map(|(k, x)| (k, x.clone())).collect();
        assert_eq!(
            data,
            vec![
                ("Binary", json!("00FF")),
                ("TargetUserName", json!("alice")),
                ("Data", json!("loose")),
                ("Data", json!("wrapped")),
                ("C", json!({"deep": 1})),
                ("SubjectUserName", json!("bob")),
            ]
        );
        let mut head: Vec<&str> = w.fields().take(2).map(|(k, _)| k).collect();
        head.sort_unstable();
        assert_eq!(head, ["Channel", "EventID"]);
    }

    #[test]
    fn flat_records_split_header_from_data() {
        let v = json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "ProviderName": "Microsoft-Windows-Sysmon",
                       "Hostname": "h1", "Image": "C:\\x.exe", "Keywords": -1});
        let w = WindowsView::of(&v).unwrap_or_else(|| panic!("a view"));
        assert_eq!(w.provider(), Some("Microsoft-Windows-Sysmon"));
        let mut data: Vec<&str> = w.data().map(|(k, _)| k).collect();
        data.sort_unstable();
        assert_eq!(data, ["Image", "ProviderName"]);
        let fields: Vec<&str> = w.fields().map(|(k, _)| k).collect();
        assert_eq!(fields[6..], ["Provider_Name", "Computer"]);
        let mut own = fields[..6].to_vec();
        own.sort_unstable();
        assert_eq!(own, ["Channel", "EventID", "Hostname", "Image", "Keywords", "ProviderName"]);
    }

    #[test]
    fn winlogbeat_falls_back_to_the_host_name() {
        let v = json!({"host": {"name": "ws1.corp"}, "winlog": {"event_id": 4624, "computer_name": "-"}});
        let w = WindowsView::of(&v).unwrap_or_else(|| panic!("a view"));
        assert_eq!(w.computer(), Some("ws1.corp"));
        assert_eq!(w.fields().find(|(k, _)| *k == "Computer").map(|(_, x)| x), Some(&json!("ws1.corp")));
    }

    #[test]
    fn hostile_records_give_none_or_skip_fields() {
        for v in [
            json!(null),
            json!("Event"),
            json!([1, 2]),
            json!({"foo": 1}),
            json!({"Event": {"EventData": {}}}),
            json!({"winlog": "x"}),
            json!({"event_id": 1}),
        ] {
            assert!(WindowsView::of(&v).is_none(), "{v}");
        }
        let hostile = [
            json!({"Event": {"System": "x", "EventData": "a string"}}),
            json!({"Event": {"System": [1, 2], "EventData": [1, {"a": 2}], "UserData": 5}}),
            json!({"Event": {"System": {"EventID": "four", "Channel": 7, "Provider": "p", "Computer": {"x": 1},
                                        "TimeCreated": 5, "Security": null, "Execution": [1]},
                             "EventData": {"Data": [1, null, [2], {"#attributes": 3}, {"#attributes": {"Name": 4}, "#text": "t"}]}}}),
            json!({"winlog": {"event_id": -4, "channel": ["Security"], "event_data": "x", "user_data": [1]}, "host": 5}),
            json!({"event_id": {"a": 1}, "log_name": 3, "event_data": null}),
            json!({"EventID": 99_999_999_999u64, "Channel": {"#text": 5}, "SourceName": true, "Hostname": 1.5}),
            json!({"EventID": "0x1210", "Channel": "-", "Hostname": "", "@timestamp": "not a time"}),
        ];
        for v in &hostile {
            let w = WindowsView::of(v).unwrap_or_else(|| panic!("a view of {v}"));
            assert!(w.event_id().is_none_or(|id| id == 0x1210), "{v}");
            assert_eq!(w.channel(), None, "{v}");
            assert_eq!(w.provider(), None, "{v}");
            assert_eq!(w.computer(), None, "{v}");
            assert_eq!(w.time(), None, "{v}");
            let _ = w.record_id();
            let _ = w.level();
            let n = w.data().count();
            let m = w.fields().count();
            assert!(m >= n || w.shape() == Shape::Nxlog, "{v}");
        }
        // Non-object items of a Data array are unnamed values; a name that is not text names nothing.
        let w = WindowsView::of(&hostile[2]).unwrap_or_else(|| panic!("a view"));
        let data: Vec<(&str, &Value)> = w.data().collect();
        let want = [json!(1), json!(null), json!([2]), json!({"#attributes": 3}), json!("t")];
        assert_eq!(data, want.iter().map(|x| ("Data", x)).collect::<Vec<_>>());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut inner = json!({"Leaf": "x"});
        for _ in 0..100 {
            inner = json!({ "W": inner });
        }
        let v = json!({"Event": {"System": {"EventID": 1}, "UserData": inner}});
        let w = WindowsView::of(&v).unwrap_or_else(|| panic!("a view"));
        let data: Vec<&str> = w.data().map(|(k, _)| k).collect();
        assert_eq!(data, ["W"]);
    }
}
