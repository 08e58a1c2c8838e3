//! What a Sigma rule sees of one record: the vendor's own field names, without copying them.
//!
//! Records of every decoder not routed by Windows event channel (CloudTrail, Okta, Zeek, GitHub,
//! generic JSON …) are read as they are, under the vendor's own field names (dotted paths walk
//! nested objects). Windows records come in four shapes (the `evtx` rendering, NXLog/OTRF,
//! Winlogbeat 6 and 7+), which only [`vigil_decode::WindowsView`] knows, the same view the
//! decoder normalizes through; Sigma rules name the flat fields of the event (`EventID`,
//! `Channel`, `Provider_Name`, `Computer` and the EventData names), so [`WinView`] lists the
//! view's fields once, borrowing the values in place, and adds the names SigmaHQ maps between
//! sources of one category (Security 4688's `NewProcessName` is process creation's `Image`).

use std::borrow::Cow;

type Fields<'a> = Vec<(Cow<'a, str>, &'a Value)>;

use rsigma_eval::{Event as SigmaEvent, EventValue, JsonEvent};
use serde_json::{Map, Value};

use vigil_decode::{LogSource, Service, WindowsView};

use crate::route::{self, EventSource};

/// Names SigmaHQ maps on the event side, per service and event id (any id when `None`):
/// (Sigma name, source field).
const ALIASES: &[(&str, Option<u32>, &str, &str)] = &[
    ("security", Some(4688), "Image", "NewProcessName"),
    ("security", Some(4688), "ParentImage", "ParentProcessName"),
    ("windefend", None, "Signature", "ThreatName"),
    ("windefend", None, "Signature", "Threat Name"),
    ("windefend", None, "Filename", "Path"),
];

/// The flat Sigma view of one Windows event.
pub struct WinView<'a> {
    fields: Fields<'a>,
    root: &'a Value,
    pub event_id: Option<u32>,
    pub channel: Option<&'a str>,
}

impl<'a> WinView<'a> {
    /// Reads any of the Windows shapes through [`WindowsView`]; `None` when the record is not one.
    pub fn new(v: &'a Value) -> Option<WinView<'a>> {
        let w = WindowsView::of(v)?;
        let mut fields: Fields<'a> = Vec::with_capacity(40);
        for (k, x) in w.fields() {
            push_field(&mut fields, k, x);
        }
        let mut view = WinView { fields, root: v, event_id: w.event_id(), channel: w.channel() };
        view.add_aliases();
        Some(view)
    }

    fn add_aliases(&mut self) {
        let (Some(service), Some(id)) = (self.channel.and_then(route::windows_service), self.event_id) else {
            return;
        };
        for (svc, eid, sigma, src) in ALIASES {
            if *svc == service
                && eid.is_none_or(|e| e == id)
                && self.get(sigma).is_none()
                && let Some(v) = self.get(src)
            {
                self.fields.push((Cow::Borrowed(sigma), v));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }

    /// The logsource this event satisfies.
    pub fn source(&self) -> EventSource<'static> {
        if self.channel.is_some_and(vigil_decode::windows::is_linux_channel) {
            return route::linux_sysmon_source(self.event_id);
        }
        let service = self.channel.and_then(route::windows_service);
        let event_type = self.get("EventType").and_then(Value::as_str);
        let categories = match self.event_id {
            Some(id) => route::windows_categories(service, id, event_type),
            None => Vec::new(),
        };
        EventSource { product: vigil_decode::windows::LOGSOURCE.product, service, categories }
    }

    /// The fields as one flat JSON object (first value of a repeated name wins).
    pub fn to_object(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for (k, v) in &self.fields {
            m.entry(k.to_string()).or_insert_with(|| (*v).clone());
        }
        m
    }
}

/// Pushes a field; names with spaces (Defender's `Threat Name`) also go in without them, as
/// SigmaHQ rules write them (`ThreatName`).
fn push_field<'a>(out: &mut Fields<'a>, k: &'a str, v: &'a Value) {
    if k.contains(' ') {
        out.push((Cow::Owned(k.replace(' ', "")), v));
    }
    out.push((Cow::Borrowed(k), v));
}

fn visit_strings(v: &Value, visit: &mut dyn FnMut(&str), depth: usize) {
    match v {
        Value::String(s) => visit(s),
        Value::Array(a) if depth > 0 => a.iter().for_each(|x| visit_strings(x, visit, depth - 1)),
        Value::Object(m) if depth > 0 => m.values().for_each(|x| visit_strings(x, visit, depth - 1)),
        _ => {}
    }
}

impl SigmaEvent for WinView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if let Some(v) = self.get(path) {
            return Some(EventValue::from(v));
        }
        if path.contains('.') {
            return JsonEvent::borrow(self.root).get_field(path).map(|v| own(v));
        }
        None
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut hit = false;
        self.visit_string_values(&mut |s| hit = hit || pred(s));
        hit
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        self.visit_string_values(&mut |s| out.push(Cow::Owned(s.to_string())));
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        for (_, v) in &self.fields {
            visit_strings(v, visit, 16);
        }
    }

    fn to_json(&self) -> Value {
        Value::Object(self.to_object())
    }

    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        Some(self.fields.iter().map(|(k, _)| Cow::Borrowed(k.as_ref())).collect())
    }

    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        for (k, _) in &self.fields {
            visit(k.as_ref());
        }
        true
    }
}

/// Re-owns a value borrowed from a temporary `JsonEvent` (dotted lookups only; rare).
fn own(v: EventValue<'_>) -> EventValue<'static> {
    match v {
        EventValue::Str(s) => EventValue::Str(Cow::Owned(s.into_owned())),
        EventValue::Int(i) => EventValue::Int(i),
        EventValue::Float(f) => EventValue::Float(f),
        EventValue::Bool(b) => EventValue::Bool(b),
        EventValue::Null => EventValue::Null,
        EventValue::Array(a) => EventValue::Array(a.into_iter().map(own).collect()),
        EventValue::Map(m) => {
            EventValue::Map(m.into_iter().map(|(k, v)| (Cow::Owned(k.into_owned()), own(v))).collect())
        }
    }
}

/// A record as Sigma sees it, with the logsource it satisfies.
pub enum View<'a> {
    Windows(WinView<'a>),
    Json(JsonEvent<'a>),
}

impl<'a> View<'a> {
    /// `family` is the decoder family (`windows`, `cloudtrail`, `okta`, `zeek`, `github`, `json` …);
    /// `log_name` the record's log name, for decoders routed by it (Zeek).
    pub fn new(family: &str, value: &'a Value, log_name: Option<&'a str>) -> (View<'a>, EventSource<'a>) {
        let ls = vigil_decode::registry::by_family(family).map_or(LogSource::NONE, |d| d.logsource());
        if ls.service == Service::WindowsChannel
            && let Some(w) = WinView::new(value)
        {
            let src = w.source();
            return (View::Windows(w), src);
        }
        (View::Json(JsonEvent::borrow(value)), route::source_of(ls, log_name))
    }
}

impl View<'_> {
    /// The record as Sigma sees it, as one JSON value (flat for Windows events).
    pub fn flat_json(&self) -> Value {
        SigmaEvent::to_json(self)
    }
}

impl SigmaEvent for View<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        match self {
            View::Windows(w) => w.get_field(path),
            View::Json(j) => j.get_field(path),
        }
    }
    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        match self {
            View::Windows(w) => w.any_string_value(pred),
            View::Json(j) => j.any_string_value(pred),
        }
    }
    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        match self {
            View::Windows(w) => w.all_string_values(),
            View::Json(j) => j.all_string_values(),
        }
    }
    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        match self {
            View::Windows(w) => w.visit_string_values(visit),
            View::Json(j) => j.visit_string_values(visit),
        }
    }
    fn to_json(&self) -> Value {
        match self {
            View::Windows(w) => w.to_json(),
            View::Json(j) => j.to_json(),
        }
    }
    fn top_level_keys(&self) -> Option<Vec<Cow<'_, str>>> {
        match self {
            View::Windows(w) => w.top_level_keys(),
            View::Json(j) => j.top_level_keys(),
        }
    }
    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        match self {
            View::Windows(w) => w.visit_top_level_keys(visit),
            View::Json(j) => j.visit_top_level_keys(visit),
        }
    }
}

/// The few fields of a matched event that correlation rules read (group-by, value and alias
/// fields), owned, so correlation can run after the record itself is gone. Its JSON form is just
/// the Vigil event id, which is what correlation keeps as the member reference.
pub struct CorrEvent {
    pub fields: Map<String, Value>,
    pub id: String,
}

impl CorrEvent {
    pub fn capture(view: &View<'_>, names: &[String], id: String) -> CorrEvent {
        let mut fields = Map::new();
        for n in names {
            if let Some(v) = view.get_field(n) {
                fields.insert(n.clone(), v.to_json());
            }
        }
        CorrEvent { fields, id }
    }
}

impl SigmaEvent for CorrEvent {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        self.fields.get(path).map(EventValue::from)
    }
    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.fields.values().any(|v| v.as_str().is_some_and(pred))
    }
    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.fields.values().filter_map(Value::as_str).map(Cow::Borrowed).collect()
    }
    fn to_json(&self) -> Value {
        serde_json::json!({ "id": self.id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s<'a>(v: &'a EventValue<'a>) -> String {
        v.as_str().map(|c| c.into_owned()).unwrap_or_default()
    }

    #[test]
    fn evtx_rendering_is_flattened_with_sigma_names() {
        let v = json!({"Event": {"System": {
            "Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
            "EventID": {"#attributes": {"Qualifiers": 0}, "#text": 4688},
            "Channel": "Security", "Computer": "WS01",
            "TimeCreated": {"#attributes": {"SystemTime": "2024-01-01T00:00:00Z"}}},
            "EventData": {"NewProcessName": "C:\\Windows\\System32\\whoami.exe", "CommandLine": "whoami /all",
                          "ParentProcessName": "C:\\Windows\\System32\\cmd.exe"}}});
        let w = WinView::new(&v).unwrap();
        assert_eq!(w.event_id, Some(4688));
        assert_eq!(s(&w.get_field("Provider_Name").unwrap()), "Microsoft-Windows-Security-Auditing");
        assert_eq!(s(&w.get_field("Image").unwrap()), "C:\\Windows\\System32\\whoami.exe");
        assert_eq!(s(&w.get_field("ParentImage").unwrap()), "C:\\Windows\\System32\\cmd.exe");
        assert_eq!(w.get_field("EventID"), Some(EventValue::Int(4688)));
        assert_eq!(w.source().categories, vec!["process_creation"]);
        assert_eq!(w.source().service, Some("security"));
        assert!(w.get_field("Nope").is_none());
        assert!(w.get_field("Event.EventData.CommandLine").is_some(), "dotted paths still reach the record");
    }

    #[test]
    fn data_arrays_and_userdata_wrappers() {
        let v = json!({"Event": {"System": {"EventID": 1102, "Channel": "Security"},
            "UserData": {"LogFileCleared": {"SubjectUserName": "bob"}},
            "EventData": {"Data": [{"#attributes": {"Name": "TargetUserName"}, "#text": "alice"}, "loose"]}}});
        let w = WinView::new(&v).unwrap();
        assert_eq!(s(&w.get_field("SubjectUserName").unwrap()), "bob");
        assert_eq!(s(&w.get_field("TargetUserName").unwrap()), "alice");
        assert_eq!(s(&w.get_field("Data").unwrap()), "loose");
        let mut all = Vec::new();
        w.visit_string_values(&mut |x| all.push(x.to_string()));
        assert!(all.contains(&"alice".to_string()) && all.contains(&"bob".to_string()));
    }

    #[test]
    fn one_event_in_every_shape_looks_the_same_to_sigma() {
        let shapes = [
            json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-Security-Auditing"}},
                "EventID": 4688, "Channel": "Security", "Computer": "WS1"},
                "EventData": {"Data": [{"#attributes": {"Name": "NewProcessName"}, "#text": "C:\\w.exe"},
                                       {"#attributes": {"Name": "Threat Name"}, "#text": "T"}]}}}),
            json!({"winlog": {"event_id": "4688", "channel": "Security", "computer_name": "WS1",
                "provider_name": "Microsoft-Windows-Security-Auditing",
                "event_data": {"NewProcessName": "C:\\w.exe", "Threat Name": "T"}}}),
            json!({"event_id": 4688, "log_name": "Security", "computer_name": "WS1",
                "source_name": "Microsoft-Windows-Security-Auditing",
                "event_data": {"NewProcessName": "C:\\w.exe", "Threat Name": "T"}}),
            json!({"EventID": 4688, "Channel": "Security", "Hostname": "WS1", "SourceName": "Microsoft-Windows-Security-Auditing",
                "NewProcessName": "C:\\w.exe", "Threat Name": "T"}),
        ];
        for v in &shapes {
            let w = WinView::new(v).unwrap_or_else(|| panic!("{v}"));
            assert_eq!(w.event_id, Some(4688), "{v}");
            assert_eq!(w.channel, Some("Security"), "{v}");
            assert_eq!(w.source().categories, vec!["process_creation"], "{v}");
            for (field, want) in [
                ("Channel", "Security"),
                ("Computer", "WS1"),
                ("Provider_Name", "Microsoft-Windows-Security-Auditing"),
                ("NewProcessName", "C:\\w.exe"),
                ("Image", "C:\\w.exe"),
                ("ThreatName", "T"),
            ] {
                assert_eq!(w.get_field(field).as_ref().map(s), Some(want.to_string()), "{field} of {v}");
            }
            assert!(matches!(w.get_field("EventID"), Some(EventValue::Int(4688)) | Some(EventValue::Str(_))), "{v}");
        }
    }

    #[test]
    fn nxlog_and_winlogbeat_shapes() {
        let nx = json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "SourceName": "Microsoft-Windows-Sysmon",
                        "Hostname": "h1", "Image": "C:\\x.exe"});
        let w = WinView::new(&nx).unwrap();
        assert_eq!(s(&w.get_field("Computer").unwrap()), "h1");
        assert_eq!(w.source().categories, vec!["process_creation"]);
        let wb = json!({"winlog": {"event_id": 4104, "channel": "Microsoft-Windows-PowerShell/Operational",
                        "event_data": {"ScriptBlockText": "IEX"}}});
        let w = WinView::new(&wb).unwrap();
        assert_eq!(w.source().categories, vec!["ps_script"]);
        assert_eq!(s(&w.get_field("ScriptBlockText").unwrap()), "IEX");
        assert!(WinView::new(&json!({"foo": 1})).is_none());
        assert!(WinView::new(&json!([1, 2])).is_none());
    }
}
