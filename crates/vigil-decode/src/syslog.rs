//! Syslog messages — RFC 5424 and RFC 3164 (BSD) — to OCSF, one event per message: what a syslog
//! listener receives and what rsyslog and syslog-ng write to `/var/log/syslog`, `auth.log` and
//! `messages` (with or without the `<PRI>` prefix, with RFC 3339 or BSD time stamps).
//!
//! The header is read by the `syslog_loose` crate. A line becomes the record Sigma's `linux`
//! rules read ([`Decoder::reshape`]): `facility`, `severity`, `timestamp`, `hostname`, `appname`,
//! `procid`, `msgid`, RFC 5424 structured data as `structured_data.<id>.<param>`, the `message`
//! after the header, and the `service` Sigma routes it by, named from the program that wrote it
//! (`sshd`, `sudo`, `cron`, `vsftpd`, `clamav`, `guacamole`; `auth` for other messages of the
//! auth facilities; `syslog` for the rest), so SigmaHQ's `linux` / `syslog`, `sshd`, `cron` …
//! rules see them. OpenSSH's log-ins (accepted, failed, invalid user) become Authentication
//! events with the user and the client's address; `sudo`'s commands Process Activity with who ran
//! what as whom; every other message a Base Event that keeps its words.
//!
//! A BSD time stamp has no year and no zone: the year is the one that puts the message at most a
//! day ahead of the moment it is read (a December message read in January is last year's), and
//! the zone is UTC, which is what a collector should be set to write; a line with no time stamp
//! at all is quarantined with that reason rather than placed at a guessed time.
//!
//! Framing ([`scan`]) reads a payload line by line. A line carrying Windows event XML after its
//! header (Sysmon for Linux) is read as event XML, and a line carrying a Linux audit record
//! (audisp's syslog plug-in) as an audit record, so the rules of those sources see them whatever
//! way they arrived.

use chrono::{DateTime, Datelike, Utc};
use serde_json::{Map, Value, json};
use syslog_loose::{Message, ProcId, Variant};
use vigil_model::{OcsfClass, Severity, Status, authentication, process};

use crate::{
    DecodeError, Decoder, Draft, LogSource, Options, QuarantineRecord, Record, Scanned, Service, auditd, framing,
};

pub const FAMILY: &str = "syslog";
pub const NAME: &str = "syslog";

/// The services a message is routed by (see the module documentation).
pub const SERVICES: &[&str] = &["syslog", "auth", "sshd", "sudo", "cron", "vsftpd", "clamav", "guacamole"];

/// Syslog messages (RFC 5424 and RFC 3164), framed from text by [`scan`].
pub struct Syslog;

impl Decoder for Syslog {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["rfc5424", "rfc3164"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Syslog messages (RFC 5424 and RFC 3164; a listener's stream or /var/log/syslog, auth.log), one per line"
    }
    /// A message handed over as JSON: an object whose `syslog` is the message's text, beside at
    /// most the `received` time and the `peer` that sent it.
    fn recognizes(&self, record: &Value) -> bool {
        record.as_object().is_some_and(|m| {
            m.get("syslog").is_some_and(Value::is_string)
                && m.keys().all(|k| matches!(k.as_str(), "syslog" | "received" | "peer"))
        })
    }
    fn reshape(&self, record: &Value) -> Option<Value> {
        if record.get("message").is_some() {
            return None;
        }
        parse_record(record).ok()
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        fields(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::BaseEvent, OcsfClass::Authentication, OcsfClass::ProcessActivity]
    }
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("linux"), service: Service::OneOf(SERVICES), category: None }
    }
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        record.get("service").and_then(Value::as_str)
    }
    fn sample(&self) -> &'static str {
        r#"{"syslog":"<38>1 2026-03-02T10:15:01.250Z web1 sshd 4242 - - Accepted publickey for alice from 203.0.113.7 port 51122 ssh2"}"#
    }
}

/// The text of a record: a line framed from a file, or the `syslog` of a JSON record.
fn text_of(record: &Value) -> Result<&str, DecodeError> {
    match record.get("syslog") {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(DecodeError::bad("syslog", &other.to_string())),
        None if record.is_object() => Err(DecodeError::missing("syslog")),
        None => Err(DecodeError::Unrecognized("not a syslog record: not a JSON object".into())),
    }
}

/// The moment a BSD time stamp (no year) is read against: the record's `received` time when it
/// states one (RFC 3339 or milliseconds), else now.
fn reference(record: &Value) -> DateTime<Utc> {
    let received = match record.get("received") {
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc)),
        Some(Value::Number(n)) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        _ => None,
    };
    received.unwrap_or_else(Utc::now)
}

/// Parses one message's header. A message must open with a priority or a time stamp; the loose
/// parser reads anything else as a bare message, which is not a syslog line.
pub fn parse(line: &str, now: DateTime<Utc>) -> Result<Message<&str>, String> {
    let line = line.trim_end_matches(['\r', '\n', '\0']);
    let get_year = move |(month, day, hour, minute, second): syslog_loose::IncompleteDate| {
        // The latest year that puts the message at most a day after `now` (a message of
        // 1 January read on 31 December is next year's; one of December read in January, last
        // year's; 29 February only in a leap year).
        let latest = now + chrono::Duration::days(1);
        let this = now.year();
        [this + 1, this, this - 1, this - 2, this - 3, this - 4]
            .into_iter()
            .find(|&y| {
                chrono::TimeZone::with_ymd_and_hms(&Utc, y, month, day, hour, minute, second)
                    .single()
                    .is_some_and(|t| t <= latest)
            })
            .unwrap_or(this)
    };
    let m = syslog_loose::parse_message_with_year_tz(line, get_year, Some(Utc), Variant::Either);
    if m.timestamp.is_none() && m.facility.is_none() {
        // A priority and then no header the parser knows (network gear often sends no time
        // stamp): the priority, and the rest as the message.
        if has_pri(line)
            && let Some((pri, rest)) = line[1..].split_once('>')
            && let Ok(pri) = pri.parse::<u8>()
        {
            let (facility, severity) = syslog_loose::decompose_pri(pri);
            if facility.is_some() {
                return Ok(Message { facility, severity, msg: rest.trim(), ..m });
            }
        }
        let start: String = line.chars().take(40).collect();
        return Err(format!("not a syslog message: no priority and no time stamp (starts {start:?})"));
    }
    Ok(m)
}

/// Whether a payload is syslog text: its first non-empty line opens with a `<PRI>`, or with a
/// time stamp followed by a host and a program.
pub fn looks_like(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()])) else {
        return false;
    };
    // Any of the first lines: a file followed from the middle may open with the continuation of
    // a message (a stack trace's lines), which is then quarantined alone.
    text.lines().map(str::trim).filter(|l| !l.is_empty()).take(8).any(is_message)
}

/// Whether one line is a syslog message (see [`looks_like`]).
fn is_message(line: &str) -> bool {
    if has_pri(line) {
        return true;
    }
    // Without a priority: a time stamp, a host, then the program's tag (`sshd[42]:`, `CRON:`),
    // so that other text that opens with a date (CSV, application logs) is not taken for syslog.
    parse(line, Utc::now()).is_ok_and(|m| {
        m.timestamp.is_some()
            && m.hostname.is_some()
            && m.appname.is_some_and(|app| {
                line.split_whitespace()
                    .any(|w| w.strip_prefix(app).is_some_and(|rest| rest.starts_with(':') || rest.starts_with('[')))
            })
    })
}

/// `<` one to three digits `>` at the start: a syslog priority.
pub fn has_pri(line: &str) -> bool {
    let b = line.as_bytes();
    let Some(close) = b.iter().take(5).position(|&c| c == b'>') else { return false };
    close >= 2 && b[0] == b'<' && b[1..close].iter().all(u8::is_ascii_digit)
}

/// The program a message names, lower case, as Sigma's services know it.
fn service(appname: Option<&str>, facility: Option<&str>) -> &'static str {
    let app = appname.unwrap_or("").to_ascii_lowercase();
    match app.as_str() {
        "sshd" | "sshd-session" => "sshd",
        "sudo" => "sudo",
        "cron" | "crond" | "crontab" | "anacron" => "cron",
        "vsftpd" => "vsftpd",
        "clamd" | "clamav" | "freshclam" | "clamscan" | "clamonacc" => "clamav",
        "guacd" | "guacamole" => "guacamole",
        _ if matches!(facility, Some("auth" | "authpriv")) => "auth",
        _ => "syslog",
    }
}

/// The record Sigma reads, parsed from a record's text.
fn parse_record(record: &Value) -> Result<Value, DecodeError> {
    let text = text_of(record)?;
    let m = parse(text, reference(record)).map_err(DecodeError::Unrecognized)?;
    let mut out = Map::new();
    let facility = m.facility.map(|f| f.as_str());
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v.filter(|v| !v.is_empty() && v != "-") {
            out.insert(k.into(), Value::String(v));
        }
    };
    put("facility", facility.map(str::to_string));
    put("severity", m.severity.map(|s| s.as_str().to_string()));
    // A message without a time stamp of its own is at the time it was received, when the
    // record says.
    let received = record.get("received").is_some().then(|| reference(record).to_rfc3339());
    put("timestamp", m.timestamp.map(|t| t.to_rfc3339()).or(received));
    put("hostname", m.hostname.map(str::to_string));
    put("appname", m.appname.map(str::to_string));
    put(
        "procid",
        m.procid.as_ref().map(|p| match p {
            ProcId::PID(n) => n.to_string(),
            ProcId::Name(s) => s.to_string(),
        }),
    );
    put("msgid", m.msgid.map(str::to_string));
    put("message", Some(m.msg.trim().to_string()));
    out.entry("message").or_insert(Value::String(String::new()));
    out.insert("service".into(), Value::String(service(m.appname, facility).into()));
    if !m.structured_data.is_empty() {
        let mut sd = Map::new();
        for el in &m.structured_data {
            let params: Map<String, Value> =
                el.params().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect();
            sd.insert(el.id.to_string(), Value::Object(params));
        }
        out.insert("structured_data".into(), Value::Object(sd));
    }
    for k in ["received", "peer"] {
        if let Some(v) = record.get(k) {
            out.insert(k.into(), v.clone());
        }
    }
    Ok(Value::Object(out))
}

/// What a message cannot do without, as read by Sigma: its time (and the rest of it).
struct Fields {
    time: i64,
}

/// The record as Sigma reads it: as it is when already reshaped, else parsed from its text.
fn view(record: &Value) -> Result<std::borrow::Cow<'_, Value>, DecodeError> {
    if record.get("message").is_some() {
        Ok(std::borrow::Cow::Borrowed(record))
    } else {
        parse_record(record).map(std::borrow::Cow::Owned)
    }
}

fn fields(record: &Value) -> Result<Fields, DecodeError> {
    let v = view(record)?;
    let time = match v.get("timestamp").and_then(Value::as_str) {
        Some(t) => DateTime::parse_from_rfc3339(t)
            .map_err(|_| DecodeError::bad("timestamp", t))?
            .with_timezone(&Utc)
            .timestamp_millis(),
        None => return Err(DecodeError::missing("timestamp")),
    };
    Ok(Fields { time })
}

fn text(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

/// An OpenSSH log-in: whether it succeeded, the user, the client's address and port, the method.
struct SshLogin {
    ok: bool,
    user: String,
    ip: String,
    port: Option<u16>,
    method: Option<String>,
}

/// `Accepted publickey for alice from 203.0.113.7 port 51122 ssh2`, `Failed password for invalid
/// user admin from 198.51.100.9 port 40022 ssh2`, `Invalid user admin from 198.51.100.9 port 40022`.
fn ssh_login(msg: &str) -> Option<SshLogin> {
    let (ok, method, rest) = if let Some(r) = msg.strip_prefix("Accepted ") {
        let (method, r) = r.split_once(" for ")?;
        (true, Some(method.to_string()), r)
    } else if let Some(r) = msg.strip_prefix("Failed ") {
        let (method, r) = r.split_once(" for ")?;
        (false, Some(method.to_string()), r)
    } else if let Some(r) = msg.strip_prefix("Invalid user ") {
        (false, None, r)
    } else {
        return None;
    };
    let rest = rest.strip_prefix("invalid user ").unwrap_or(rest);
    let (user, after) = rest.rsplit_once(" from ")?;
    let mut words = after.split_whitespace();
    let ip = words.next()?.to_string();
    let port = match (words.next(), words.next()) {
        (Some("port"), Some(p)) => p.parse().ok(),
        _ => None,
    };
    (!user.is_empty() && ip.parse::<std::net::IpAddr>().is_ok()).then(|| SshLogin {
        ok,
        user: user.to_string(),
        ip,
        port,
        method,
    })
}

/// `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u`: who, as whom, what.
fn sudo_command(msg: &str) -> Option<(String, Option<String>, String)> {
    let (who, rest) = msg.split_once(" : ")?;
    let mut runas = None;
    let mut command = None;
    for part in rest.split(" ; ") {
        if let Some(u) = part.strip_prefix("USER=") {
            runas = Some(u.trim().to_string());
        } else if let Some(c) = part.strip_prefix("COMMAND=") {
            command = Some(c.trim().to_string());
        }
    }
    let who = who.trim();
    (!who.is_empty() && !who.contains(' ')).then_some(())?;
    Some((who.to_string(), runas, command?))
}

fn severity(s: Option<&str>) -> Severity {
    match s {
        Some("emerg" | "alert") => Severity::Critical,
        Some("crit") => Severity::High,
        Some("err") => Severity::Medium,
        Some("warning") => Severity::Low,
        _ => Severity::Informational,
    }
}

pub fn decode(record: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let v = view(record)?;
    let v = v.as_ref();
    let Fields { time } = fields(v)?;
    let msg = text(v, "message").unwrap_or_default();
    let app = text(v, "appname");
    let service = text(v, "service").unwrap_or_else(|| "syslog".into());
    let login = (service == "sshd").then(|| ssh_login(&msg)).flatten();
    let sudo = (service == "sudo").then(|| sudo_command(&msg)).flatten();
    let (class, activity) = if login.is_some() {
        (OcsfClass::Authentication, authentication::LOGON)
    } else if sudo.is_some() {
        (OcsfClass::ProcessActivity, process::LAUNCH)
    } else {
        (OcsfClass::BaseEvent, 0)
    };
    let e = d.start(class, activity, time, "Syslog", "Linux");
    e.metadata.log_name = Some(service);
    e.metadata.event_code = text(v, "msgid").or_else(|| app.clone());
    e.severity = severity(v.get("severity").and_then(Value::as_str));
    if let Some(host) = text(v, "hostname") {
        e.device_mut().hostname = Some(host);
    }
    // The address it came from (a listener's record), which is the device when no relay sat
    // between.
    if let Some(peer) = text(v, "peer") {
        e.device_mut().ip = Some(peer);
    }
    if app.is_some() || v.get("procid").is_some() {
        let p = e.process_mut();
        p.name = app.clone();
        p.pid = text(v, "procid").and_then(|s| s.parse().ok());
    }
    if let Some(l) = login {
        e.status = Some(if l.ok { Status::Success } else { Status::Failure });
        e.status_detail = Some(msg.split(" for ").next().unwrap_or_default().to_string());
        e.user_mut().name = Some(l.user);
        let src = e.src_mut();
        src.ip = Some(l.ip);
        src.port = l.port;
        let auth = e.auth_mut();
        auth.protocol = Some("ssh".into());
        auth.logon_type = l.method;
    } else if let Some((who, runas, command)) = sudo {
        e.actor_user_mut().name = Some(who);
        let p = e.process_mut();
        p.name = command.split_whitespace().next().map(|c| c.rsplit('/').next().unwrap_or(c).to_string());
        p.path = command.split_whitespace().next().map(str::to_string);
        p.cmd_line = Some(command);
        p.user = runas;
        p.pid = None;
    }
    e.message = Some(msg);
    Ok(())
}

/// For a message handed over as JSON (a listener's `{"syslog": …}` line): the decoder and record
/// of what the message carries when it is another format's — Windows event XML after the header
/// (Sysmon for Linux), or a Linux audit record (audisp's syslog plug-in) — as [`scan`] reads the
/// same message from a file.
pub fn carried(record: &Value) -> Option<(&'static dyn Decoder, Value)> {
    let text = record.get("syslog")?.as_str()?;
    if let Some(at) = crate::windows_xml::syslog_event_at(text.as_bytes()) {
        let value = crate::windows_xml::read_element(text.get(at..)?).ok()?;
        return Some((&crate::windows_xml::WindowsXml, value));
    }
    let m = parse(text, reference(record)).ok()?;
    let body = m.msg.trim();
    if (body.starts_with("type=") || body.starts_with("node=")) && body.contains(" msg=audit(") {
        return auditd::parse_line(body).ok().map(|v| (&auditd::Auditd as &'static dyn Decoder, v));
    }
    None
}

/// Frames a syslog payload line by line into records of [`Syslog`] (or, for a line carrying event
/// XML or an audit record, of those decoders), quarantining what is not a message.
pub fn scan<'a>(name: &'a str, data: &'a [u8], opts: &Options, emit: &mut dyn FnMut(Scanned<'a>)) {
    let now = Utc::now();
    for f in framing::lines(data) {
        let locator = format!("line {} (byte {})", f.line, f.offset);
        let line = f.bytes.trim_ascii_end();
        if line.trim_ascii().is_empty() {
            continue;
        }
        let fail = |why: String, bytes: &'a [u8]| {
            Scanned::Quarantine(QuarantineRecord::new(name, locator.clone(), NAME, why, bytes))
        };
        if line.len() > opts.max_record_bytes {
            emit(fail(DecodeError::TooLarge { size: line.len(), max: opts.max_record_bytes }.to_string(), line));
            continue;
        }
        let text = match std::str::from_utf8(line) {
            Ok(t) => t,
            Err(e) => {
                emit(fail(DecodeError::NotUtf8(e.valid_up_to()).to_string(), line));
                continue;
            }
        };
        if crate::windows_xml::syslog_event_at(line).is_some() {
            crate::windows_xml::scan_syslog_line(name, locator, line, emit);
            continue;
        }
        let m = match parse(text, now) {
            Ok(m) => m,
            Err(why) => {
                emit(fail(why, line));
                continue;
            }
        };
        let body = m.msg.trim();
        if (body.starts_with("type=") || body.starts_with("node="))
            && body.contains(" msg=audit(")
            && let Ok(value) = auditd::parse_line(body)
        {
            emit(Scanned::Record(Record::framed(name, locator, &auditd::Auditd, line, value)));
            continue;
        }
        emit(Scanned::Record(Record::framed(name, locator, &Syslog, line, json!({ "syslog": text }))));
    }
}

/// Checks the decoder against a few lines of each shape; more in the crate's tests.
#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T12:00:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    #[test]
    fn headers_of_both_rfcs_are_read() {
        let m = parse("<38>1 2026-03-02T10:15:01.250Z web1 sshd 4242 ID47 [origin ip=\"10.0.0.1\"] Accepted x", now())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.hostname, m.appname, m.msgid), (Some("web1"), Some("sshd"), Some("ID47")));
        assert_eq!(m.facility.map(|f| f.as_str()), Some("auth"));
        let m = parse("Mar  2 10:15:01 web1 CRON[991]: (root) CMD (true)", now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.timestamp.map(|t| t.to_rfc3339()), Some("2026-03-02T10:15:01+00:00".into()));
        assert_eq!(m.appname, Some("CRON"));
        // December read in March: last year's.
        let m = parse("Dec 31 23:59:59 web1 app: x", now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.timestamp.map(|t| t.year()), Some(2025));
        // 1 January read on New Year's Eve (a sender's clock ahead): next year's.
        let eve =
            DateTime::parse_from_rfc3339("2026-12-31T23:50:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let m = parse("Jan  1 00:05:00 web1 app: x", eve).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.timestamp.map(|t| t.year()), Some(2027));
        // 29 February: the last leap year.
        let m = parse("Feb 29 10:00:00 web1 app: x", now()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.timestamp.map(|t| t.year()), Some(2024));
        // A line with neither priority nor time stamp is not a message.
        assert!(parse("hello world", now()).is_err());
        assert!(parse("", now()).is_err());
    }

    #[test]
    fn ssh_and_sudo_messages_are_read() {
        let l = ssh_login("Failed password for invalid user admin from 198.51.100.9 port 40022 ssh2").unwrap();
        assert_eq!((l.ok, l.user.as_str(), l.ip.as_str(), l.port), (false, "admin", "198.51.100.9", Some(40022)));
        let l = ssh_login("Accepted publickey for alice from 2001:db8::7 port 22 ssh2: ED25519 SHA256:x").unwrap();
        assert!(l.ok && l.method.as_deref() == Some("publickey") && l.ip == "2001:db8::7");
        assert!(ssh_login("Accepted publickey for alice from nowhere").is_none());
        assert!(ssh_login("Connection closed by 1.2.3.4 port 22").is_none());
        let (who, runas, cmd) =
            sudo_command("alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id -u").unwrap();
        assert_eq!((who.as_str(), runas.as_deref(), cmd.as_str()), ("alice", Some("root"), "/usr/bin/id -u"));
        assert!(sudo_command("pam_unix(sudo:session): session opened for user root").is_none());
    }

    #[test]
    fn services_are_named_from_the_program() {
        assert_eq!(service(Some("sshd"), Some("auth")), "sshd");
        assert_eq!(service(Some("CRON"), None), "cron");
        assert_eq!(service(Some("freshclam"), None), "clamav");
        assert_eq!(service(Some("su"), Some("authpriv")), "auth");
        assert_eq!(service(Some("named"), Some("daemon")), "syslog");
        assert_eq!(service(None, None), "syslog");
    }

    #[test]
    fn priorities_are_recognised() {
        assert!(has_pri("<13>Oct 11 x"));
        assert!(has_pri("<191>1 2026"));
        assert!(!has_pri("<Event>"));
        assert!(!has_pri("<1234>x"));
        assert!(!has_pri("<>x"));
        assert!(looks_like(b"\n<13>Oct 11 22:14:15 host app: x\n"));
        assert!(looks_like(b"Oct 11 22:14:15 host app[1]: x\n"));
        assert!(looks_like(b"2026-03-02T10:15:01.123456+00:00 host app[1]: x\n"));
        assert!(!looks_like(b"hello world\n"));
        assert!(!looks_like(b"# a README\n"));
        // Text that opens with a date but has no program tag is not syslog.
        assert!(!looks_like(b"2024-02-01 15:04:11,jdoe,10.1.2.3,Allowed\n"));
        assert!(!looks_like(b"2024-02-01T15:04:11Z INFO app started on port 8080\n"));
    }
}
