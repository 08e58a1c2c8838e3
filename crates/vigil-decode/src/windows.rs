//! Windows Security, System, Sysmon and PowerShell events to OCSF, from the three JSON shapes seen
//! in the field: the `evtx` crate's rendering (`{"Event":{"System":…,"EventData":…}}`), NXLog's flat
//! records (the OTRF Security-Datasets), and Winlogbeat (`{"winlog":{…}}`).

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_model::{OcsfClass, Severity, Status, account_change, authentication, file, group, process};

use crate::json::{as_int, as_text, basename, get, parse_int, text};
use crate::{DecodeError, Decoder, Draft, LogSource, Service};

pub const FAMILY: &str = "windows";

/// The OCSF classes Windows events are given (Security, System, Sysmon and PowerShell).
pub const CLASSES: &[OcsfClass] = &[
    OcsfClass::Authentication,
    OcsfClass::AccountChange,
    OcsfClass::GroupManagement,
    OcsfClass::ProcessActivity,
    OcsfClass::FileSystemActivity,
    OcsfClass::NetworkActivity,
    OcsfClass::DnsActivity,
    OcsfClass::KernelExtensionActivity,
    OcsfClass::ModuleActivity,
    OcsfClass::RegistryKeyActivity,
    OcsfClass::RegistryValueActivity,
    OcsfClass::ScheduledJobActivity,
    OcsfClass::WindowsServiceActivity,
    OcsfClass::SmbActivity,
    OcsfClass::BaseEvent,
];

/// Windows events as the Sigma rules for them see them: product `windows`, the service of the
/// event channel and the categories of the event id.
pub const LOGSOURCE: LogSource =
    LogSource { product: Some("windows"), service: Service::WindowsChannel, category: None };

/// A Sysmon process creation as NXLog ships it (the OTRF Security-Datasets shape).
pub const SAMPLE: &str = r#"{"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","SourceName":"Microsoft-Windows-Sysmon","Hostname":"WS1","@timestamp":"2019-03-19T23:34:25.523Z","Image":"C:\\Windows\\System32\\whoami.exe","CommandLine":"whoami /all","ProcessId":"4242","ParentImage":"C:\\Windows\\System32\\cmd.exe","User":"CORP\\alice"}"#;

/// Windows events as JSON, in any of the shapes in [the module docs](self).
pub struct WindowsJson;

impl Decoder for WindowsJson {
    fn name(&self) -> &'static str {
        "windows-json"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["windows", "sysmon", "winlogbeat"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Windows Security/System/Sysmon/PowerShell events as JSON (evtx rendering, NXLog/OTRF, Winlogbeat 6 and 7+)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn classes(&self) -> &'static [OcsfClass] {
        CLASSES
    }
    fn logsource(&self) -> LogSource {
        LOGSOURCE
    }
    fn sample(&self) -> &'static str {
        SAMPLE
    }
}

/// The shape-independent view of one Windows event.
pub struct WinRecord {
    pub event_id: u32,
    pub channel: Option<String>,
    pub provider: Option<String>,
    pub computer: Option<String>,
    pub record_id: Option<i64>,
    pub time: i64,
    pub level: Option<Level>,
    pub data: BTreeMap<String, String>,
}

/// A record's severity as its shape states it: the Windows Level (1 critical … 4 information) or
/// NXLog's SeverityValue (1 debug, 2 info, 3 warning, 4 error, 5 critical).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Windows(i64),
    Nxlog(i64),
}

pub fn looks_like(v: &Value) -> bool {
    v.get("Event").and_then(|e| e.get("System")).is_some()
        || v.get("winlog").is_some_and(Value::is_object)
        || (v.get("event_id").is_some()
            && (v.get("log_name").is_some() || v.get("computer_name").is_some() || v.get("source_name").is_some()))
        || (v.get("EventID").is_some()
            && (v.get("Channel").is_some() || v.get("SourceName").is_some() || v.get("Hostname").is_some()))
}

/// Reads any of the three shapes into a [`WinRecord`].
pub fn record(v: &Value, d: &Draft) -> Result<WinRecord, DecodeError> {
    if let Some(ev) = v.get("Event").filter(|e| e.get("System").is_some()) {
        let sys = &ev["System"];
        let event_id = get(sys, "EventID").and_then(as_int).ok_or(DecodeError::missing("Event.System.EventID"))?;
        let time = d.time_from(sys, &["TimeCreated.#attributes.SystemTime", "TimeCreated.SystemTime"])?;
        let data = sections(ev, &["EventData", "UserData"]);
        return Ok(WinRecord {
            event_id: u32::try_from(event_id).map_err(|_| DecodeError::bad("EventID", &event_id.to_string()))?,
            channel: text(sys, "Channel"),
            provider: text(sys, "Provider.#attributes.Name").or_else(|| text(sys, "Provider.Name")),
            computer: text(sys, "Computer"),
            record_id: get(sys, "EventRecordID").and_then(as_int),
            time,
            level: get(sys, "Level").and_then(as_int).map(Level::Windows),
            data,
        });
    }
    if let Some(w) = v.get("winlog").filter(|w| w.is_object()) {
        let event_id = get(w, "event_id").and_then(as_int).ok_or(DecodeError::missing("winlog.event_id"))?;
        let time = d.time_from(v, &["@timestamp"])?;
        let data = sections(w, &["event_data", "user_data"]);
        return Ok(WinRecord {
            event_id: u32::try_from(event_id)
                .map_err(|_| DecodeError::bad("winlog.event_id", &event_id.to_string()))?,
            channel: text(w, "channel"),
            provider: text(w, "provider_name"),
            computer: text(w, "computer_name").or_else(|| text(v, "host.name")),
            record_id: get(w, "record_id").and_then(as_int),
            time,
            level: None,
            data,
        });
    }
    // Winlogbeat 6.x put the fields at the top level.
    if let Some(id) = v.get("event_id").filter(|_| v.get("log_name").is_some() || v.get("computer_name").is_some()) {
        let event_id = as_int(id).ok_or(DecodeError::bad("event_id", &id.to_string()))?;
        let time = d.time_from(v, &["@timestamp"])?;
        let data = sections(v, &["event_data", "user_data"]);
        return Ok(WinRecord {
            event_id: u32::try_from(event_id).map_err(|_| DecodeError::bad("event_id", &event_id.to_string()))?,
            channel: text(v, "log_name"),
            provider: text(v, "source_name"),
            computer: text(v, "computer_name"),
            record_id: get(v, "record_number").and_then(as_int),
            time,
            level: None,
            data,
        });
    }
    // NXLog / OTRF flat records: event data fields sit beside the metadata.
    let event_id = get(v, "EventID").and_then(as_int).ok_or(DecodeError::missing("EventID"))?;
    let time = d.time_from(v, &["@timestamp", "TimeCreated", "EventTime", "TimeGenerated"])?;
    let mut data = BTreeMap::new();
    if let Value::Object(m) = v {
        for (k, x) in m {
            if !NXLOG_META.contains(&k.as_str())
                && let Some(s) = as_text(x)
            {
                data.insert(k.clone(), s);
            }
        }
    }
    Ok(WinRecord {
        event_id: u32::try_from(event_id).map_err(|_| DecodeError::bad("EventID", &event_id.to_string()))?,
        channel: text(v, "Channel"),
        provider: text(v, "SourceName").or_else(|| text(v, "ProviderName")),
        computer: text(v, "Hostname").or_else(|| text(v, "Computer")),
        record_id: get(v, "RecordNumber").and_then(as_int),
        time,
        level: get(v, "SeverityValue").and_then(as_int).map(Level::Nxlog),
        data,
    })
}

const NXLOG_META: &[&str] = &[
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

/// The named data sections of a record, flattened into one map.
fn sections(v: &Value, names: &[&str]) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    for section in names {
        if let Some(s) = v.get(*section) {
            flatten_data(s, &mut data, 0);
        }
    }
    data
}

/// Flattens EventData/UserData: named values, `Data` arrays of `{"#attributes":{"Name"}}`, and one
/// level of UserData wrapper objects.
fn flatten_data(v: &Value, out: &mut BTreeMap<String, String>, depth: u32) {
    let Value::Object(m) = v else { return };
    for (k, x) in m {
        if k == "#attributes" {
            continue;
        }
        match x {
            Value::Object(inner) if depth < 3 && !inner.contains_key("#text") => flatten_data(x, out, depth + 1),
            Value::Array(items) if k == "Data" => {
                for (i, it) in items.iter().enumerate() {
                    let name = it.get("#attributes").and_then(|a| a.get("Name")).and_then(Value::as_str);
                    let val = it.get("#text").and_then(as_text).or_else(|| as_text(it));
                    if let Some(val) = val {
                        out.insert(name.map(str::to_string).unwrap_or_else(|| format!("Data{i}")), val);
                    }
                }
            }
            Value::Array(items) => {
                let joined: Vec<String> = items.iter().filter_map(as_text).collect();
                if !joined.is_empty() {
                    out.insert(k.clone(), joined.join(","));
                }
            }
            other => {
                if let Some(s) = as_text(other) {
                    out.insert(k.clone(), s);
                }
            }
        }
    }
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let r = record(v, d)?;
    let sysmon = r.provider.as_deref().is_some_and(|p| p.contains("Sysmon"))
        || r.channel.as_deref().is_some_and(|c| c.contains("Sysmon"));
    let powershell = r.channel.as_deref().is_some_and(|c| c.contains("PowerShell"))
        || r.provider.as_deref().is_some_and(|p| p.contains("PowerShell"));
    let (class, activity) = if sysmon {
        classify_sysmon(r.event_id)
    } else if powershell {
        (OcsfClass::BaseEvent, 0)
    } else {
        classify_security(r.event_id)
    };
    let product = if sysmon { "Sysmon" } else { "Windows Event Log" };
    let e = d.start(class, activity, r.time, product, "Microsoft");
    e.metadata.event_code = Some(r.event_id.to_string());
    e.metadata.log_name = r.channel.clone();
    e.metadata.original_uid = r.record_id.map(|id| id.to_string());
    e.severity = match r.level {
        Some(Level::Windows(1)) | Some(Level::Nxlog(5)) => Severity::Critical,
        Some(Level::Windows(2)) | Some(Level::Nxlog(4)) => Severity::High,
        Some(Level::Windows(3)) | Some(Level::Nxlog(3)) => Severity::Medium,
        _ => Severity::Informational,
    };
    if matches!(r.event_id, 5157 | 5152) && !sysmon {
        // The Windows Filtering Platform blocked the connection or packet.
        e.status = Some(Status::Failure);
        e.status_detail = Some("blocked by Windows Filtering Platform".into());
    } else if matches!(r.event_id, 5156) && !sysmon {
        e.status = Some(Status::Success);
    }
    if let Some(c) = &r.computer {
        e.device_mut().hostname = Some(c.clone());
        e.device_mut().os = Some("Windows".into());
    }
    let f = |k: &str| r.data.get(k).filter(|s| !s.is_empty() && s.as_str() != "-").cloned();

    // Actor: the subject, or Sysmon's User.
    if let Some(name) = f("SubjectUserName") {
        let u = e.actor_user_mut();
        u.name = Some(name);
        u.domain = f("SubjectDomainName");
        u.uid = f("SubjectUserSid");
    } else if let Some(user) = f("User") {
        let u = e.actor_user_mut();
        match user.split_once('\\') {
            Some((dom, name)) => {
                u.domain = Some(dom.to_string());
                u.name = Some(name.to_string());
            }
            None => u.name = Some(user),
        }
    }
    // The session: for a logon the new one (TargetLogonId), so it joins the processes it starts
    // and its logoff; otherwise the subject's.
    let session = if class == OcsfClass::Authentication { f("TargetLogonId") } else { None };
    if let Some(lid) = session.or_else(|| f("SubjectLogonId")).or_else(|| f("LogonId")) {
        e.actor_session_mut().uid = Some(lid);
    }
    // The user acted upon. In group events (4727–4757) Target* names the group and Member* the
    // user added or removed.
    if class == OcsfClass::GroupManagement {
        let g = e.group_mut();
        g.name = f("TargetUserName");
        g.domain = f("TargetDomainName");
        g.uid = f("TargetSid").or_else(|| f("TargetUserSid"));
        let member = f("MemberName").filter(|m| m != "-");
        if member.is_some() || f("MemberSid").is_some() {
            let u = e.user_mut();
            // MemberName is a distinguished name: CN=Bob Smith,OU=…
            u.name = member
                .map(|m| m.strip_prefix("CN=").map(|r| r.split(',').next().unwrap_or(r).to_string()).unwrap_or(m));
            u.uid = f("MemberSid");
        }
    } else if let Some(name) = f("TargetUserName") {
        let u = e.user_mut();
        u.name = Some(name);
        u.domain = f("TargetDomainName");
        u.uid = f("TargetUserSid").or_else(|| f("TargetSid"));
    }
    // Endpoints.
    if let Some(ip) = f("IpAddress").or_else(|| f("SourceIp")).or_else(|| f("SourceAddress")) {
        let s = e.src_mut();
        s.ip = Some(ip.trim_start_matches("::ffff:").to_string());
        s.port = f("IpPort").or_else(|| f("SourcePort")).and_then(|p| p.parse().ok()).filter(|p| *p != 0);
        s.hostname = f("WorkstationName").or_else(|| f("SourceHostname"));
    } else if let Some(ws) = f("WorkstationName") {
        e.src_mut().hostname = Some(ws);
    }
    if let Some(ip) = f("DestinationIp").or_else(|| f("DestAddress")) {
        let dst = e.dst_mut();
        dst.ip = Some(ip);
        dst.port = f("DestinationPort").or_else(|| f("DestPort")).and_then(|p| p.parse().ok());
        dst.hostname = f("DestinationHostname");
    }
    if let Some(proto) = f("Protocol") {
        e.traffic_mut().protocol = Some(proto);
    }
    // Authentication details.
    if class == OcsfClass::Authentication {
        let lt = f("LogonType");
        let au = e.auth_mut();
        au.is_remote = lt.as_deref().map(|t| matches!(t, "3" | "10"));
        au.logon_type = lt;
        au.protocol = f("AuthenticationPackageName")
            .or_else(|| f("PackageName"))
            .or_else(|| matches!(r.event_id, 4768 | 4769 | 4771).then(|| "Kerberos".to_string()));
        let failed = matches!(r.event_id, 4625 | 4771)
            || (r.event_id == 4776 && f("Status").is_some_and(|s| parse_int(&s).unwrap_or(0) != 0))
            || (matches!(r.event_id, 4768 | 4769) && f("Status").is_some_and(|s| parse_int(&s).unwrap_or(0) != 0));
        e.status = Some(if failed { Status::Failure } else { Status::Success });
        e.status_detail = f("FailureReason").or_else(|| f("SubStatus")).or_else(|| f("Status"));
    }
    // Process.
    let image = f("NewProcessName").or_else(|| f("Image")).or_else(|| f("ProcessName")).or_else(|| f("Application"));
    if let Some(img) = image.clone() {
        let p = e.process_mut();
        p.name = Some(basename(&img));
        p.path = Some(img);
        p.pid = f("NewProcessId").or_else(|| f("ProcessId")).or_else(|| f("ProcessID")).and_then(|s| parse_int(&s));
        p.uid = f("ProcessGuid");
        p.cmd_line = f("CommandLine");
        p.integrity = f("IntegrityLevel").or_else(|| f("MandatoryLabel"));
        p.hashes = f("Hashes");
        p.parent_path = f("ParentProcessName").or_else(|| f("ParentImage"));
        p.parent_cmd_line = f("ParentCommandLine");
        p.parent_pid =
            f("ParentProcessId").or_else(|| f("ProcessId").filter(|_| r.event_id == 4688)).and_then(|s| parse_int(&s));
        p.user = f("User").or_else(|| f("TargetUserName").filter(|_| r.event_id == 4688));
    }
    if let Some(src) = f("SourceImage") {
        let p = e.process_mut();
        p.name = Some(basename(&src));
        p.path = Some(src);
        p.pid = f("SourceProcessId").and_then(|s| parse_int(&s));
        p.target_path = f("TargetImage");
    }
    // Services (System 7045, Security 4697). Kerberos events also carry a ServiceName (the SPN's
    // service), which is not a process.
    if let Some(svc) = f("ServiceName").filter(|_| class == OcsfClass::WindowsServiceActivity) {
        let p = e.process_mut();
        p.name = Some(svc);
        p.cmd_line = f("ImagePath").or_else(|| f("ServiceFileName"));
        p.user = f("AccountName").or_else(|| f("ServiceAccount"));
    }
    // Files and registry.
    if let Some(path) =
        f("TargetFilename").or_else(|| f("ObjectName").filter(|_| class == OcsfClass::FileSystemActivity))
    {
        let fi = e.file_mut();
        fi.name = Some(basename(&path));
        fi.path = Some(path);
        fi.hashes = f("Hashes").filter(|_| sysmon && matches!(r.event_id, 15 | 23 | 26 | 29));
    }
    if let Some(img) = f("ImageLoaded") {
        let fi = e.file_mut();
        fi.name = Some(basename(&img));
        fi.path = Some(img);
        fi.hashes = f("Hashes");
    }
    if let Some(key) = f("TargetObject").or_else(|| f("ObjectName").filter(|_| r.event_id == 4657)) {
        let fi = e.file_mut();
        fi.registry_key = Some(key);
        fi.registry_value = f("Details").or_else(|| f("NewValue"));
        fi.new_path = f("NewName");
    }
    // DNS (Sysmon 22).
    if let Some(q) = f("QueryName") {
        let dns = e.dns_mut();
        dns.query = Some(q);
        dns.rcode = f("QueryStatus");
        dns.answers = f("QueryResults");
    }
    if let Some(script) = f("ScriptBlockText") {
        e.message = Some(script);
    }
    Ok(())
}

fn classify_sysmon(id: u32) -> (OcsfClass, u32) {
    use OcsfClass::*;
    match id {
        1 => (ProcessActivity, process::LAUNCH),
        5 => (ProcessActivity, process::TERMINATE),
        8 => (ProcessActivity, process::INJECT),
        10 => (ProcessActivity, process::OPEN),
        25 => (ProcessActivity, process::OTHER),
        2 => (FileSystemActivity, file::SET_ATTRIBUTES),
        11 | 29 => (FileSystemActivity, file::CREATE),
        15 => (FileSystemActivity, file::UPDATE),
        23 | 26 => (FileSystemActivity, file::DELETE),
        3 => (NetworkActivity, 6), // Traffic
        22 => (DnsActivity, 2),    // Response
        6 => (KernelExtensionActivity, 1),
        7 => (ModuleActivity, 1),
        12 => (RegistryKeyActivity, 99),
        13 | 14 => (RegistryValueActivity, 99),
        _ => (BaseEvent, 0),
    }
}

fn classify_security(id: u32) -> (OcsfClass, u32) {
    use OcsfClass::*;
    match id {
        4624 | 4625 | 4648 | 4778 => (Authentication, authentication::LOGON),
        4634 | 4647 | 4779 => (Authentication, authentication::LOGOFF),
        4768 | 4771 => (Authentication, authentication::AUTHENTICATION_TICKET),
        4769 => (Authentication, authentication::SERVICE_TICKET),
        4776 | 4672 => (Authentication, authentication::OTHER),
        4720 => (AccountChange, account_change::CREATE),
        4722 => (AccountChange, account_change::ENABLE),
        4723 => (AccountChange, account_change::PASSWORD_CHANGE),
        4724 | 4794 => (AccountChange, account_change::PASSWORD_RESET),
        4725 => (AccountChange, account_change::DISABLE),
        4726 => (AccountChange, account_change::DELETE),
        4740 => (AccountChange, account_change::LOCK),
        4738 | 4767 | 4781 => (AccountChange, account_change::OTHER),
        4728 | 4732 | 4756 => (GroupManagement, group::ADD_USER),
        4729 | 4733 | 4757 => (GroupManagement, group::REMOVE_USER),
        4727 | 4731 | 4754 => (GroupManagement, group::CREATE),
        4688 => (ProcessActivity, process::LAUNCH),
        4689 => (ProcessActivity, process::TERMINATE),
        4656 | 4663 | 4658 => (FileSystemActivity, file::READ),
        4660 => (FileSystemActivity, file::DELETE),
        4657 => (RegistryValueActivity, 99),
        4697 | 7045 | 7036 | 7040 => (WindowsServiceActivity, 99),
        4698 => (ScheduledJobActivity, 1),
        4699 => (ScheduledJobActivity, 2),
        4700 => (ScheduledJobActivity, 3),
        4701 => (ScheduledJobActivity, 4),
        4702 => (ScheduledJobActivity, 5),
        5156..=5158 => (NetworkActivity, 6),
        5140 | 5145 => (SmbActivity, 99),
        _ => (BaseEvent, 0),
    }
}
