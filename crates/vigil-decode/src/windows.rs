//! Windows Security, System, Sysmon and PowerShell events to OCSF, from the JSON shapes seen in the
//! field: the `evtx` crate's rendering (`{"Event":{"System":…,"EventData":…}}`), NXLog's flat
//! records (the OTRF Security-Datasets), and Winlogbeat 6 and 7 (`{"winlog":{…}}`), read by the
//! `windows-json` decoder here; the other shapes (XML text, XML as JSON, PowerShell, Winlogbeat 8
//! and Elastic Agent, Sentinel rows) have decoders of their own in [`crate::windows_shapes`] and
//! [`crate::windows_xml`], and every one normalizes through [`decode`]. Every shape is read
//! through one [`WindowsView`], which the detection engine's Sigma view reads too. Sysmon for
//! Linux writes the same events, with the same ids and data names, to the
//! `Linux-Sysmon/Operational` channel: they are read here as Sysmon's, on a Linux device.

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_model::{OcsfClass, Severity, Status, account_change, authentication, file, group, process};

use crate::json::{as_text, basename, get, parse_int};
use crate::windows_view::{Level, WindowsView};
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
        WindowsView::recognizes(record)
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record, self.name()).map(|_| ())
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

/// The event data as text, by name: the first usable value of each name (lists joined with
/// commas).
fn data_text<'a>(w: &WindowsView<'a>) -> BTreeMap<&'a str, String> {
    let mut data = BTreeMap::new();
    for (k, x) in w.data() {
        if !data.contains_key(k)
            && let Some(s) = text_of(x)
        {
            data.insert(k, s);
        }
    }
    data
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Array(items) => {
            let joined: Vec<String> = items.iter().filter_map(as_text).collect();
            (!joined.is_empty()).then(|| joined.join(","))
        }
        _ => as_text(v),
    }
}

/// The event id, or why the record has none.
fn event_id(w: &WindowsView<'_>) -> Result<u32, DecodeError> {
    let path = w.event_id_path();
    let raw = w.event_id_value().ok_or(DecodeError::missing(path))?;
    w.event_id().ok_or_else(|| DecodeError::bad(path, &raw.to_string()))
}

/// The event's time, or why it has none: the first field that holds something unreadable, else
/// every place looked in.
fn event_time(w: &WindowsView<'_>) -> Result<i64, DecodeError> {
    if let Some(t) = w.time() {
        return Ok(t);
    }
    let (at, keys) = w.time_fields();
    match keys.iter().find_map(|k| get(at, k).map(|x| (*k, x))) {
        Some((k, x)) => Err(DecodeError::bad(k, &x.to_string())),
        None => Err(DecodeError::NoTime(w.time_paths())),
    }
}

/// Normalizes one Windows event, read through its [`WindowsView`]. A record that cannot be read
/// is refused with a reason that names its shape and the field missing or unusable.
/// What a Windows event cannot do without — being one in a shape Vigil reads, its event id and
/// its time — read through its view; `format` is the decoder's name, for the shape in errors.
/// [`decode`] and the decoders' `admits` both start here.
pub fn head<'v>(v: &'v Value, format: &str) -> Result<(WindowsView<'v>, u32, i64), DecodeError> {
    let w = WindowsView::of(v).ok_or(DecodeError::Unrecognized(
        "not a Windows event in any shape Vigil reads (no Event.System, winlog, EventID, Id or event_id)".into(),
    ))?;
    let in_shape = |e: DecodeError| DecodeError::Shape { shape: shape_label(&w, format), error: Box::new(e) };
    let event_id = event_id(&w).map_err(in_shape)?;
    let time = event_time(&w).map_err(in_shape)?;
    Ok((w, event_id, time))
}

/// Sysmon for Linux's channel: its events read as Windows Sysmon's, on a Linux host.
pub const LINUX_SYSMON_CHANNEL: &str = "Linux-Sysmon/Operational";

/// Whether a channel is a Linux one (Sysmon for Linux's).
pub fn is_linux_channel(channel: &str) -> bool {
    channel.eq_ignore_ascii_case(LINUX_SYSMON_CHANNEL)
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (w, event_id, time) = head(v, d.format())?;
    let (channel, provider) = (w.channel(), w.provider());
    let data = data_text(&w);
    let sysmon = provider.is_some_and(|p| p.contains("Sysmon")) || channel.is_some_and(|c| c.contains("Sysmon"));
    let powershell =
        channel.is_some_and(|c| c.contains("PowerShell")) || provider.is_some_and(|p| p.contains("PowerShell"));
    let (class, activity) = if sysmon {
        classify_sysmon(event_id)
    } else if powershell {
        (OcsfClass::BaseEvent, 0)
    } else {
        classify_security(event_id)
    };
    // Sysmon for Linux: the same events and event ids, in the `Linux-Sysmon/Operational` channel.
    let linux = channel.is_some_and(is_linux_channel);
    let product = match (sysmon, linux) {
        (true, true) => "Sysmon for Linux",
        (true, false) => "Sysmon",
        (false, _) => "Windows Event Log",
    };
    let e = d.start(class, activity, time, product, "Microsoft");
    e.metadata.event_code = Some(event_id.to_string());
    e.metadata.log_name = channel.map(str::to_string);
    e.metadata.original_uid = w.record_id().map(|id| id.to_string());
    e.severity = match w.level() {
        Some(Level::Windows(1)) | Some(Level::Nxlog(5)) => Severity::Critical,
        Some(Level::Windows(2)) | Some(Level::Nxlog(4)) => Severity::High,
        Some(Level::Windows(3)) | Some(Level::Nxlog(3)) => Severity::Medium,
        _ => Severity::Informational,
    };
    if matches!(event_id, 5157 | 5152) && !sysmon {
        // The Windows Filtering Platform blocked the connection or packet.
        e.status = Some(Status::Failure);
        e.status_detail = Some("blocked by Windows Filtering Platform".into());
    } else if matches!(event_id, 5156) && !sysmon {
        e.status = Some(Status::Success);
    }
    if let Some(c) = w.computer() {
        e.device_mut().hostname = Some(c.to_string());
        e.device_mut().os = Some(if linux { "Linux" } else { "Windows" }.into());
    }
    let f = |k: &str| data.get(k).filter(|s| !s.is_empty() && s.as_str() != "-").cloned();

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
            .or_else(|| matches!(event_id, 4768 | 4769 | 4771).then(|| "Kerberos".to_string()));
        let failed = matches!(event_id, 4625 | 4771)
            || (event_id == 4776 && f("Status").is_some_and(|s| parse_int(&s).unwrap_or(0) != 0))
            || (matches!(event_id, 4768 | 4769) && f("Status").is_some_and(|s| parse_int(&s).unwrap_or(0) != 0));
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
            f("ParentProcessId").or_else(|| f("ProcessId").filter(|_| event_id == 4688)).and_then(|s| parse_int(&s));
        p.user = f("User").or_else(|| f("TargetUserName").filter(|_| event_id == 4688));
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
        fi.hashes = f("Hashes").filter(|_| sysmon && matches!(event_id, 15 | 23 | 26 | 29));
    }
    if let Some(img) = f("ImageLoaded") {
        let fi = e.file_mut();
        fi.name = Some(basename(&img));
        fi.path = Some(img);
        fi.hashes = f("Hashes");
    }
    if let Some(key) = f("TargetObject").or_else(|| f("ObjectName").filter(|_| event_id == 4657)) {
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

/// The shape as quarantine reasons name it: XML text read into the `@`-attribute convention is
/// named as the XML it was.
fn shape_label(w: &WindowsView<'_>, format: &str) -> &'static str {
    if format == crate::windows_xml::NAME { "Windows event XML" } else { w.shape().label() }
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
