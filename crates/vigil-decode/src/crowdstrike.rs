//! CrowdStrike Falcon to OCSF: its alerts, in the three shapes a team receives them.
//!
//! - **Alerts API** (`POST /alerts/entities/alerts/v2`, what the Falcon alerts poller reads):
//!   `composite_id`, `created_timestamp`, `updated_timestamp`, `status`, `severity` (1–100) and
//!   `severity_name`, `name`/`display_name`, `description`, `tactic`/`tactic_id`,
//!   `technique`/`technique_id`, `confidence`, `device {hostname, device_id, local_ip,
//!   platform_name}`, `user_name`, `filename`, `filepath`, `cmdline`, `sha256`, `md5`,
//!   `parent_details {cmdline, filename, filepath}`, `falcon_host_link`,
//!   `pattern_disposition_description`.
//! - **Event Streams** (the SIEM connector and the streaming API): `metadata {eventType,
//!   eventCreationTime, customerIDString, offset}` around `event`. Detection summaries
//!   (`DetectionSummaryEvent`, `EppDetectionSummaryEvent` and the other `…DetectionSummaryEvent`
//!   types) and `IncidentSummaryEvent` are findings; the console's audit events
//!   (`AuthActivityAuditEvent`, `UserActivityAuditEvent`: `OperationName`, `ServiceName`,
//!   `Success`, `UserId`, `UserIp`, `AuditKeyValues`) are API Activity; any other event type is
//!   API Activity named by its type.
//! - **A detection summary by itself** (`ExternalApiType: Event_EppDetectionSummaryEvent`, as
//!   the SIEM connector writes it flat, or inside Falcon Data Replicator's `event`): the Event
//!   Streams fields without the envelope (`CompositeId`, `Name`, `Severity`/`SeverityName`,
//!   `Tactic`, `Technique`, `Hostname`, `UserName`, `CommandLine`, `FileName`, `FilePath`,
//!   `SHA256String`, `MD5String`, `ParentCommandLine`, `ParentImageFileName`,
//!   `FalconHostLink`, `UTCTimestamp`).
//!
//! Every alert is a Detection Finding (2004) with the device, the user, the process and its
//! parent, the file and its hashes; and a [`Finding`] the detection engine raises as a vendor
//! alert, so triage weighs Falcon's detections beside Vigil's own. An alert Falcon already
//! closed is kept as an event and raises nothing. A record that is not an object, is none of
//! these shapes, or has no readable time is quarantined naming why.

use serde_json::Value;
use vigil_model::{Level, OcsfClass, Status, api};

use crate::generic::kind;
use crate::json::{as_int, get, int, text};
use crate::{DecodeError, Decoder, Draft, Finding, LogSource};

pub const FAMILY: &str = "crowdstrike";

/// CrowdStrike Falcon alerts and Event Streams.
pub struct CrowdStrike;

impl Decoder for CrowdStrike {
    fn name(&self) -> &'static str {
        "crowdstrike"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["falcon", "crowdstrike-alerts", "crowdstrike-event-streams"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "CrowdStrike Falcon alerts (Alerts API, Event Streams, detection summaries)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        matches!(log_type, "Crowdstrike.EventStreams" | "Crowdstrike.DetectionSummary" | "Crowdstrike.Alerts")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::DetectionFinding, OcsfClass::ApiActivity]
    }
    /// No SigmaHQ rule is written for Falcon's alerts; a team's own rules name
    /// `crowdstrike` / `falcon`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("crowdstrike", "falcon")
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r#"{"composite_id":"0c2b6b5f0c8c4a1d9e2f3a4b5c6d7e8f:ind:1a2b3c4d5e6f708192a3b4c5d6e7f809:4242424242-10197-1234","created_timestamp":"2024-05-29T16:20:01.123Z","updated_timestamp":"2024-05-29T16:20:05.456Z","status":"new","severity":70,"severity_name":"High","name":"CredentialDumping","display_name":"Credential dumping via LSASS access","description":"A process accessed LSASS memory in a way consistent with credential theft.","tactic":"Credential Access","tactic_id":"TA0006","technique":"OS Credential Dumping","technique_id":"T1003","confidence":80,"device":{"device_id":"1a2b3c4d5e6f708192a3b4c5d6e7f809","hostname":"WS-0042","local_ip":"10.1.2.42","platform_name":"Windows"},"user_name":"ann","filename":"procdump64.exe","filepath":"\\Device\\HarddiskVolume3\\Users\\ann\\Downloads\\procdump64.exe","cmdline":"procdump64.exe -ma lsass.exe out.dmp","sha256":"a3b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1","parent_details":{"cmdline":"cmd.exe","filename":"cmd.exe","filepath":"C:\\Windows\\System32\\cmd.exe"},"falcon_host_link":"https://falcon.crowdstrike.com/activity-v2/detections/4242","pattern_disposition_description":"Detection, standard detection."}"#
    }
}

/// Which of Falcon's shapes a record is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The Alerts API's alert.
    Alert,
    /// An Event Streams record (`metadata` + `event`).
    Stream,
    /// A detection summary by itself, flat or inside Falcon Data Replicator's `event`.
    Summary,
}

/// Keys only Falcon writes: the Alerts API's composite id beside its timestamps; the Event
/// Streams envelope's customer id beside its event type; a detection summary's external API
/// type.
pub fn looks_like(v: &Value) -> bool {
    let s = |k: &str| v.get(k).is_some_and(Value::is_string);
    (s("composite_id") && (s("created_timestamp") || s("updated_timestamp")))
        || (v.pointer("/metadata/eventType").is_some_and(Value::is_string)
            && v.pointer("/metadata/customerIDString").is_some())
        || summary_type(v).is_some()
        || v.get("event").is_some_and(|e| summary_type(e).is_some())
}

fn summary_type(v: &Value) -> Option<&str> {
    v.get("ExternalApiType").and_then(Value::as_str).filter(|t| t.starts_with("Event_") && t.contains("Summary"))
}

/// The shape, the record's body (the event inside an envelope) and its time.
fn head(v: &Value) -> Result<(Shape, &Value, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a CrowdStrike record", kind(v))));
    }
    if v.get("composite_id").is_some() {
        let t = crate::time_of(v, &["created_timestamp", "timestamp", "updated_timestamp"])?;
        return Ok((Shape::Alert, v, t));
    }
    if let Some(meta) = v.get("metadata").filter(|m| m.is_object()) {
        match meta.get("eventType") {
            Some(Value::String(t)) if !t.trim().is_empty() => {}
            None | Some(Value::Null) => return Err(DecodeError::missing("metadata.eventType")),
            Some(other) => return Err(DecodeError::bad("metadata.eventType", &other.to_string())),
        }
        let body = v.get("event").filter(|e| e.is_object()).unwrap_or(&Value::Null);
        let t = crate::time_of(v, &["metadata.eventCreationTime", "event.UTCTimestamp", "p_event_time"])?;
        return Ok((Shape::Stream, body, t));
    }
    let body = match v.get("event") {
        Some(e) if summary_type(e).is_some() => e,
        _ => v,
    };
    if summary_type(body).is_none() {
        return Err(DecodeError::Unrecognized(
            "not a Falcon alert (no composite_id), Event Streams record (no metadata.eventType) or detection summary (no ExternalApiType)"
                .into(),
        ));
    }
    let t = match crate::time_of(body, &["UTCTimestamp", "timestamp", "ProcessStartTime"]) {
        Ok(t) => t,
        Err(e) => crate::time_of(v, &["p_event_time", "timestamp"]).map_err(|_| e)?,
    };
    Ok((Shape::Summary, body, t))
}

fn event_type(v: &Value) -> Option<&str> {
    v.pointer("/metadata/eventType").and_then(Value::as_str)
}

/// Whether an Event Streams event type is one of Falcon's detections or incidents.
fn is_detection_type(t: &str) -> bool {
    t.ends_with("DetectionSummaryEvent") || t == "IncidentSummaryEvent"
}

/// The first of `keys` holding text, in the body.
fn first(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| text(v, k)).filter(|s| !s.trim().is_empty())
}

/// Falcon's severity: its name where it gives one; else the number, on the 1–5 scale of older
/// summaries or the 1–100 scale of alerts and newer summaries.
fn level(v: &Value) -> Level {
    if let Some(name) = first(v, &["severity_name", "SeverityName"])
        && let Ok(l) = name.parse::<Level>()
    {
        return l;
    }
    match get(v, "severity").or_else(|| get(v, "Severity")).and_then(as_int) {
        Some(n @ 0..=5) => {
            [Level::Informational, Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical]
                [n as usize]
        }
        Some(n) if n >= 90 => Level::Critical,
        Some(n) if n >= 70 => Level::High,
        Some(n) if n >= 40 => Level::Medium,
        Some(n) if n >= 20 => Level::Low,
        _ => Level::Informational,
    }
}

/// The alert a record states, for every detection shape; `None` for audit and other events.
pub fn finding(v: &Value) -> Option<Finding> {
    let (shape, body, _) = head(v).ok()?;
    if shape == Shape::Stream && !event_type(v).is_some_and(is_detection_type) {
        return None;
    }
    let name = first(body, &["name", "Name", "pattern_name", "IncidentType"])
        .or_else(|| first(body, &["technique", "Technique"]))
        .or_else(|| event_type(v).map(str::to_string))
        .unwrap_or_else(|| "Falcon detection".into());
    let title = first(body, &["display_name", "DetectName"]).unwrap_or_else(|| name.clone());
    let mut tags = Vec::new();
    for k in ["tactic", "Tactic"] {
        tags.extend(text(body, k).as_deref().and_then(Finding::tactic_tag));
    }
    for k in ["technique_id", "TechniqueId"] {
        tags.extend(text(body, k).as_deref().and_then(Finding::technique_tag));
    }
    tags.dedup();
    let status = first(body, &["status", "Status"]).map(|s| s.to_ascii_lowercase());
    Some(Finding {
        product: "CrowdStrike Falcon".into(),
        rule_id: format!("crowdstrike:{name}"),
        title,
        description: first(body, &["description", "Description"]),
        level: level(body),
        uid: first(body, &["composite_id", "CompositeId", "DetectId", "EventUUID", "IncidentId"]),
        open: !matches!(status.as_deref(), Some("closed" | "resolved" | "false_positive" | "ignored")),
        tags,
        confidence: int(body, "confidence")
            .or_else(|| int(body, "Confidence"))
            .and_then(|c| u8::try_from(c.clamp(0, 100)).ok()),
        link: first(body, &["falcon_host_link", "FalconHostLink"]),
    })
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (shape, body, time) = head(v)?;
    let etype = event_type(v);
    let detection = shape != Shape::Stream || etype.is_some_and(is_detection_type);
    if !detection {
        return audit(v, body, etype.unwrap_or("event"), time, d);
    }
    let f = finding(v);
    let e = d.start(OcsfClass::DetectionFinding, 1, time, "Falcon", "CrowdStrike");
    e.metadata.log_name = Some(etype.map_or_else(
        || if shape == Shape::Alert { "alerts".into() } else { "detection_summary".into() },
        str::to_string,
    ));
    if let Some(f) = &f {
        e.metadata.original_uid = f.uid.clone();
        e.metadata.event_code = Some(f.rule_id.trim_start_matches("crowdstrike:").to_string());
        e.severity = f.level.event_severity();
        e.message = Some(match &f.description {
            Some(desc) => format!("{}: {desc}", f.title),
            None => f.title.clone(),
        });
    }
    e.status_detail = first(body, &["pattern_disposition_description", "PatternDispositionDescription", "status"]);
    let host = first(body, &["device.hostname", "Hostname", "ComputerName"]).or_else(|| text(v, "Hostname"));
    let device_id =
        first(body, &["device.device_id", "AgentIdString", "SensorId", "agent_id"]).or_else(|| text(v, "aid"));
    let local_ip = first(body, &["device.local_ip", "LocalIP"]);
    if host.is_some() || device_id.is_some() || local_ip.is_some() {
        let dv = e.device_mut();
        dv.hostname = host;
        dv.uid = device_id;
        dv.ip = local_ip;
        dv.os = first(body, &["device.platform_name", "device.os_version", "PlatformName"]);
    }
    if let Some(user) = first(body, &["user_name", "UserName"]) {
        let u = e.actor_user_mut();
        u.domain = first(body, &["device.machine_domain", "MachineDomain"]);
        u.name = Some(user);
        u.uid = first(body, &["user_id", "UserId", "UserSid"]);
    }
    let cmd = first(body, &["cmdline", "CommandLine"]);
    let name = first(body, &["filename", "FileName"]);
    let dir = first(body, &["filepath", "FilePath"]);
    let path = match (&dir, &name) {
        // Summaries give the folder and the name apart; the Alerts API the whole path.
        (Some(p), Some(n)) if !p.ends_with(n.as_str()) => {
            Some(format!("{p}{}{n}", if p.ends_with(['/', '\\']) { "" } else { "\\" }))
        }
        (Some(p), _) => Some(p.clone()),
        (None, Some(n)) => Some(n.clone()),
        (None, None) => None,
    };
    let hashes = hashes(body);
    if cmd.is_some() || path.is_some() {
        let p = e.process_mut();
        p.cmd_line = cmd;
        p.name = name.clone();
        p.path = path.clone();
        p.pid = first(body, &["local_process_id", "ProcessId"]).and_then(|s| s.parse().ok());
        p.hashes = hashes.clone();
        p.parent_cmd_line = first(body, &["parent_details.cmdline", "ParentCommandLine"]);
        p.parent_path = first(body, &["parent_details.filepath", "ParentImageFileName"]);
        p.parent_pid =
            first(body, &["parent_details.local_process_id", "ParentProcessId"]).and_then(|s| s.parse().ok());
    }
    if hashes.is_some() || path.is_some() {
        let fi = e.file_mut();
        fi.path = path;
        fi.name = name;
        fi.hashes = hashes;
    }
    let c = e.cloud_mut();
    c.provider = Some("CrowdStrike".into());
    c.account_uid = first(body, &["cid", "CustomerIdString"])
        .or_else(|| text(v, "metadata.customerIDString"))
        .or_else(|| text(v, "cid"));
    Ok(())
}

/// `SHA256=…,MD5=…`, as Sysmon writes hashes, from Falcon's separate fields (all-zero
/// placeholders left out).
fn hashes(body: &Value) -> Option<String> {
    let mut parts = Vec::new();
    for (label, keys) in
        [("SHA256", ["sha256", "SHA256String"]), ("SHA1", ["sha1", "SHA1String"]), ("MD5", ["md5", "MD5String"])]
    {
        if let Some(h) = first(body, &keys).filter(|h| h.bytes().any(|b| b != b'0')) {
            parts.push(format!("{label}={h}"));
        }
    }
    (!parts.is_empty()).then(|| parts.join(","))
}

/// The console's audit events and every other Event Streams type: API Activity.
fn audit(v: &Value, body: &Value, etype: &str, time: i64, d: &mut Draft) -> Result<(), DecodeError> {
    let op = first(body, &["OperationName"]).unwrap_or_else(|| etype.to_string());
    let e = d.start(OcsfClass::ApiActivity, api_activity(&op), time, "Falcon", "CrowdStrike");
    e.metadata.log_name = Some(etype.to_string());
    e.metadata.original_uid = text(v, "metadata.offset");
    e.metadata.event_code = Some(op.clone());
    e.status = match get(body, "Success") {
        Some(Value::Bool(true)) => Some(Status::Success),
        Some(Value::Bool(false)) => Some(Status::Failure),
        _ => None,
    };
    if let Some(user) = first(body, &["UserId"]) {
        let u = e.actor_user_mut();
        u.email = user.contains('@').then(|| user.clone());
        u.name = Some(user);
    }
    if let Some(ip) = first(body, &["UserIp"]) {
        e.src_mut().ip = Some(ip);
    }
    // Falcon's audit details are key/value pairs; the acted-on user is one of them.
    let mut details = serde_json::Map::new();
    if let Some(Value::Array(kvs)) = get(body, "AuditKeyValues") {
        for kv in kvs.iter().take(64) {
            if let (Some(k), Some(val)) = (text(kv, "Key"), text(kv, "ValueString")) {
                details.insert(k, Value::String(val));
            }
        }
    }
    if let Some(target) = details.get("target_name").and_then(Value::as_str) {
        let u = e.user_mut();
        u.name = Some(target.to_string());
        u.uid = details.get("target_user_uuid").and_then(Value::as_str).map(str::to_string);
    }
    let c = e.cloud_mut();
    c.provider = Some("CrowdStrike".into());
    c.account_uid = text(v, "metadata.customerIDString");
    let a = e.api_mut();
    a.service = first(body, &["ServiceName"]).or(Some("falcon".into()));
    a.operation = Some(op);
    a.request_data = (!details.is_empty()).then(|| Value::Object(details).to_string());
    Ok(())
}

fn api_activity(op: &str) -> u32 {
    let o = op.to_ascii_lowercase();
    if o.starts_with("create") || o.starts_with("add") || o.starts_with("grant") {
        api::CREATE
    } else if o.starts_with("delete") || o.starts_with("remove") || o.starts_with("revoke") {
        api::DELETE
    } else if o.starts_with("update") || o.starts_with("change") || o.starts_with("set") || o.starts_with("reset") {
        api::UPDATE
    } else if o.starts_with("get") || o.starts_with("list") || o.starts_with("query") {
        api::READ
    } else {
        api::OTHER
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use vigil_model::Severity;

    fn decoded(v: &Value) -> vigil_model::Event {
        crate::decoded_by(&CrowdStrike, v)
    }

    #[test]
    fn an_alerts_api_alert_is_a_finding_with_its_device_user_and_process() {
        let v: Value = serde_json::from_str(CrowdStrike.sample()).unwrap();
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert_eq!(f.rule_id, "crowdstrike:CredentialDumping");
        assert_eq!(f.title, "Credential dumping via LSASS access");
        assert_eq!(f.level, Level::High);
        assert_eq!(f.confidence, Some(80));
        assert!(f.open);
        assert_eq!(f.tags, vec!["attack.credential-access".to_string(), "attack.t1003".to_string()]);
        assert!(f.uid.as_deref().unwrap().contains(":ind:"));
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::DetectionFinding);
        assert_eq!(e.severity, Severity::High);
        assert_eq!(e.device.as_ref().unwrap().hostname.as_deref(), Some("WS-0042"));
        assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("ann"));
        let p = e.process.as_ref().unwrap();
        assert_eq!(p.cmd_line.as_deref(), Some("procdump64.exe -ma lsass.exe out.dmp"));
        assert_eq!(p.parent_path.as_deref(), Some("C:\\Windows\\System32\\cmd.exe"));
        assert!(p.hashes.as_deref().unwrap().starts_with("SHA256=a3b1"));
    }

    #[test]
    fn a_closed_alert_is_kept_but_raises_nothing() {
        let mut v: Value = serde_json::from_str(CrowdStrike.sample()).unwrap();
        v["status"] = json!("closed");
        assert!(!finding(&v).unwrap().open);
        assert_eq!(decoded(&v).class, OcsfClass::DetectionFinding);
    }

    #[test]
    fn severities_by_name_and_on_both_scales() {
        assert_eq!(level(&json!({"SeverityName": "Critical", "Severity": 2})), Level::Critical);
        assert_eq!(level(&json!({"Severity": 2})), Level::Low);
        assert_eq!(level(&json!({"Severity": 5})), Level::Critical);
        assert_eq!(level(&json!({"severity": 50})), Level::Medium);
        assert_eq!(level(&json!({"severity": 95})), Level::Critical);
        assert_eq!(level(&json!({"severity": "x"})), Level::Informational);
        assert_eq!(level(&json!({"severity_name": "bogus", "severity": 75})), Level::High);
    }

    #[test]
    fn stream_audit_events_are_api_activity_and_not_findings() {
        let v = json!({"metadata": {"customerIDString": "c1", "eventType": "AuthActivityAuditEvent", "eventCreationTime": 1721683969531u64, "offset": 7},
            "event": {"OperationName": "grantUserRoles", "ServiceName": "Crowdstrike Authentication", "Success": true, "UTCTimestamp": 1721683969000u64, "UserId": "pip@example.com", "UserIp": "192.0.2.1",
                "AuditKeyValues": [{"Key": "target_name", "ValueString": "merry@example.com"}, {"Key": "roles", "ValueString": "falcon_admin"}]}});
        assert!(looks_like(&v));
        assert!(finding(&v).is_none());
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::ApiActivity);
        assert_eq!(e.activity_id, api::CREATE);
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("merry@example.com"));
        assert_eq!(e.status, Some(Status::Success));
        assert!(e.api.as_ref().unwrap().request_data.as_deref().unwrap().contains("falcon_admin"));
    }

    #[test]
    fn damaged_records_are_refused_naming_why() {
        for (v, why) in [
            (json!([1]), "not a CrowdStrike record"),
            (json!({"composite_id": "x"}), "no usable timestamp"),
            (json!({"composite_id": "x", "created_timestamp": "yesterday"}), "created_timestamp"),
            (json!({"metadata": {"eventType": 5, "customerIDString": "c"}}), "metadata.eventType"),
            (json!({"metadata": {"customerIDString": "c"}}), "metadata.eventType"),
            (json!({"metadata": {"eventType": "X", "customerIDString": "c"}}), "no usable timestamp"),
            (json!({"ExternalApiType": "Event_EppDetectionSummaryEvent"}), "no usable timestamp"),
            (json!({"Name": "x"}), "not a Falcon alert"),
        ] {
            let e = head(&v).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(why), "{v}: {e:?}");
            assert!(finding(&v).is_none());
        }
    }

    #[test]
    fn tags_only_from_attack_names_and_ids() {
        assert_eq!(Finding::tactic_tag("Credential Access").as_deref(), Some("attack.credential-access"));
        assert_eq!(Finding::tactic_tag("CredentialAccess").as_deref(), Some("attack.credential-access"));
        assert_eq!(Finding::tactic_tag("Command and Control").as_deref(), Some("attack.command-and-control"));
        assert_eq!(Finding::tactic_tag("Malware"), None);
        assert_eq!(Finding::tactic_tag("Falcon Detection Method!"), None);
        assert_eq!(Finding::technique_tag("T1059.001").as_deref(), Some("attack.t1059.001"));
        for bad in ["T10", "TA0006", "T1059.1", "x1059", ""] {
            assert_eq!(Finding::technique_tag(bad), None, "{bad}");
        }
    }
}
