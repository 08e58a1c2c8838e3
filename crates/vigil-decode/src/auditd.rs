//! Linux audit logs — auditd's `audit.log`, raw or in its ENRICHED form, and `ausearch --raw`
//! output — to OCSF, one event per audit record (line).
//!
//! Framing turns each line into a JSON object of its fields, as Sigma's `linux`/`auditd` rules
//! read them: `type`, the `msg=audit(SECONDS:SERIAL)` stamp as `timestamp` and `serial`, every
//! `key=value` pair (quotes removed; `node=` kept), the fields of a quoted inner `msg='…'` (user
//! and PAM records) beside them, the ENRICHED trailer's upper-case fields (`SYSCALL`, `UID` …),
//! and values auditd wrote in hexadecimal because they held spaces or control characters
//! (`proctitle`, `EXECVE` arguments, paths, `comm`, `exe`) decoded. A raw `syscall` number is
//! named in `SYSCALL` for the architecture the record states (x86-64, i386, AArch64), as the
//! ENRICHED form would. `ausearch`'s `----` separators and `time->` lines are framing, not
//! records. Records that `ausearch -i` interpreted carry a time in the local zone of the machine
//! that printed them, which the log does not name: they are refused with that reason rather
//! than placed at a guessed time.

use serde_json::{Map, Value};
use vigil_model::{OcsfClass, Status, authentication, file, process};

use crate::json::as_text;
use crate::{DecodeError, Decoder, Draft, LogSource, QuarantineRecord, Record, Scanned, framing};

pub const FAMILY: &str = "auditd";
pub const NAME: &str = "auditd";

/// Linux audit records (auditd), framed from text by [`scan`].
pub struct Auditd;

impl Decoder for Auditd {
    fn name(&self) -> &'static str {
        NAME
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["linux-auditd", "audit"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Linux audit logs (auditd audit.log, raw or ENRICHED; ausearch --raw), one record per line"
    }
    /// An audit record as framing renders it (a JSON line of one): an upper-case `type`, a
    /// `serial` and a `timestamp`.
    fn recognizes(&self, record: &Value) -> bool {
        let upper =
            |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        record.get("type").and_then(Value::as_str).is_some_and(upper)
            && record.get("serial").is_some_and(Value::is_string)
            && record.get("timestamp").is_some_and(Value::is_string)
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[
            OcsfClass::ProcessActivity,
            OcsfClass::Authentication,
            OcsfClass::NetworkActivity,
            OcsfClass::FileSystemActivity,
            OcsfClass::BaseEvent,
        ]
    }
    fn logsource(&self) -> LogSource {
        LogSource::fixed("linux", "auditd")
    }
    /// One `EXECVE` record as framing makes it of its line.
    fn sample(&self) -> &'static str {
        r#"{"type":"EXECVE","timestamp":"1675255174.901","serial":"30777","argc":"2","a0":"python","a1":"badscript.py"}"#
    }
}

/// Whether a payload is audit records: its first line (past `ausearch` separators) is one.
pub fn looks_like(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    let Ok(text) = std::str::from_utf8(head).or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()])) else {
        return false;
    };
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !is_framing(l))
        .is_some_and(|l| (l.starts_with("type=") || l.starts_with("node=")) && l.contains(" msg=audit("))
}

/// `ausearch` output between records: separators and the `time->` line of each event.
fn is_framing(line: &str) -> bool {
    line == "----" || line.starts_with("time->")
}

/// Frames every line of an audit log into a record of [`Auditd`] (or its quarantine record).
pub fn scan<'a>(name: &'a str, data: &'a [u8], max_record_bytes: usize, emit: &mut dyn FnMut(Scanned<'a>)) {
    for f in framing::lines(data) {
        let locator = format!("line {} (byte {})", f.line, f.offset);
        let quarantine =
            |why: String| Scanned::Quarantine(QuarantineRecord::new(name, locator.clone(), NAME, why, f.bytes));
        if f.bytes.len() > max_record_bytes {
            emit(quarantine(DecodeError::TooLarge { size: f.bytes.len(), max: max_record_bytes }.to_string()));
            continue;
        }
        let line = match std::str::from_utf8(f.bytes) {
            Ok(t) => t.trim(),
            Err(e) => {
                emit(quarantine(DecodeError::NotUtf8(e.valid_up_to()).to_string()));
                continue;
            }
        };
        if line.is_empty() || is_framing(line) {
            continue;
        }
        match parse_line(line) {
            Ok(value) => emit(Scanned::Record(Record::framed(name, locator, &Auditd, f.bytes, value))),
            Err(why) => emit(quarantine(why)),
        }
    }
}

/// The fields of one audit record line, or why it is not one.
pub fn parse_line(line: &str) -> Result<Value, String> {
    let mut m = Map::new();
    let mut rest = line;
    if let Some(r) = rest.strip_prefix("node=") {
        let (node, after) = r.split_once(' ').ok_or("a node= with no record after it")?;
        m.insert("node".into(), Value::String(node.into()));
        rest = after.trim_start();
    }
    let r = rest.strip_prefix("type=").ok_or_else(|| {
        let start: String = line.chars().take(40).collect();
        format!("not an audit record: it does not start with type= (starts {start:?})")
    })?;
    let (kind, after) = r.split_once(' ').ok_or("an audit record with nothing after its type")?;
    if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(format!("audit record type {kind:?} is not a record type"));
    }
    m.insert("type".into(), Value::String(kind.into()));
    let after = after.trim_start();
    let stamp = after.strip_prefix("msg=audit(").ok_or("an audit record without its msg=audit(…) stamp")?;
    let close = stamp.find(')').ok_or("the msg=audit( stamp is not closed")?;
    let (time, serial) = stamp[..close].rsplit_once(':').ok_or("the msg=audit( stamp has no serial number")?;
    if is_interpreted(time) {
        return Err(interpreted(time));
    }
    m.insert("timestamp".into(), Value::String(time.into()));
    m.insert("serial".into(), Value::String(serial.into()));
    let body = stamp[close + 1..].trim_start();
    let body = body.strip_prefix(':').unwrap_or(body);
    // The ENRICHED form puts the interpreted fields after a group separator.
    let (fields, enriched) = body.split_once('\u{1d}').unwrap_or((body, ""));
    pairs(fields, &mut m, kind)?;
    pairs(enriched, &mut m, kind)?;
    if !m.contains_key("SYSCALL")
        && let Some(name) = syscall_name(&m)
    {
        m.insert("SYSCALL".into(), Value::String(name.into()));
    }
    Ok(Value::Object(m))
}

/// Reads `key=value` pairs into `m`; a quoted inner `msg='…'` is read the same way, its fields
/// beside the record's own (the record's win).
fn pairs(s: &str, m: &mut Map<String, Value>, kind: &str) -> Result<(), String> {
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(|| format!("{:?} is not a key=value field", cut(rest)))?;
        let key = &rest[..eq];
        if key.is_empty() || key.contains(char::is_whitespace) {
            return Err(format!("{:?} is not a key=value field", cut(rest)));
        }
        let after = &rest[eq + 1..];
        let (value, quoted, next) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => {
                let end = after[1..].find(q).ok_or_else(|| format!("the value of {key} is not closed"))?;
                (&after[1..1 + end], true, &after[2 + end..])
            }
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], false, &after[end..])
            }
        };
        if key == "msg" && quoted {
            let mut inner = Map::new();
            pairs(value, &mut inner, kind)?;
            for (k, v) in inner {
                m.entry(k).or_insert(v);
            }
        } else {
            let value = if quoted { value.to_string() } else { unhex(key, value, kind) };
            m.insert(key.to_string(), Value::String(value));
        }
        rest = next.trim_start();
    }
    Ok(())
}

fn cut(s: &str) -> String {
    s.chars().take(40).collect()
}

/// An unquoted value of a field auditd writes in hexadecimal when it holds spaces, quotes or
/// control characters, decoded; anything else as it is. `proctitle` and `EXECVE` arguments
/// separate their parts with NUL, read as spaces.
fn unhex(key: &str, value: &str, kind: &str) -> String {
    let encoded = matches!(key, "proctitle" | "name" | "cwd" | "exe" | "comm" | "path" | "data" | "cmd")
        || (kind == "EXECVE" && key.starts_with('a') && key[1..].bytes().all(|b| b.is_ascii_digit()) && key.len() > 1);
    let hex = value.len() >= 2
        && value.len().is_multiple_of(2)
        && value.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
    if !(encoded && hex) {
        return value.to_string();
    }
    let bytes: Vec<u8> = (0..value.len())
        .step_by(2)
        .filter_map(|i| u8::from_str_radix(&value[i..i + 2], 16).ok())
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

/// The name of a raw `syscall` number on the record's architecture, when both are known.
fn syscall_name(m: &Map<String, Value>) -> Option<&'static str> {
    let n: std::ffi::c_long = m.get("syscall")?.as_str()?.parse().ok()?;
    match m.get("arch")?.as_str()? {
        "c000003e" => syscall_numbers::x86_64::sys_call_name(n),
        "40000003" => syscall_numbers::x86::sys_call_name(n),
        "c00000b7" => syscall_numbers::aarch64::sys_call_name(n),
        _ => None,
    }
}

/// What a record cannot do without: its type and a time in seconds since the epoch.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    let kind = field(v, "type").filter(|t| !t.is_empty()).ok_or(DecodeError::missing("type"))?;
    let stamp = field(v, "timestamp").ok_or(DecodeError::missing("timestamp"))?;
    Ok((kind, epoch_ms(&stamp)?))
}

/// `1675255174.901` → milliseconds. A stamp `ausearch -i` interpreted (`02/01/2023
/// 04:39:34.901`) is in a zone the log does not name, and is refused.
fn epoch_ms(stamp: &str) -> Result<i64, DecodeError> {
    let (secs, frac) = stamp.split_once('.').unwrap_or((stamp, ""));
    if is_interpreted(stamp) {
        return Err(DecodeError::Unrecognized(interpreted(stamp)));
    }
    let bad = || DecodeError::bad("timestamp", stamp);
    if secs.is_empty() || !secs.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let s: i64 = secs.parse().map_err(|_| bad())?;
    let ms: i64 = format!("{:0<3}", &frac[..frac.len().min(3)]).parse().map_err(|_| bad())?;
    // Beyond year 9999 is not a time any log holds.
    if s > 253_402_300_799 {
        return Err(bad());
    }
    Ok(s * 1000 + ms)
}

/// A field by its exact name: auditd's lower-case raw fields and the upper-case ENRICHED ones
/// (`uid` and `UID`) are different fields.
fn field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(as_text)
}

/// A stamp `ausearch -i` wrote (`02/01/2023 04:39:34.901`) rather than seconds since the epoch.
fn is_interpreted(stamp: &str) -> bool {
    stamp.contains('/') || stamp.contains(' ')
}

fn interpreted(stamp: &str) -> String {
    format!(
        "the time {stamp:?} was printed by ausearch -i in the local zone of the machine that ran it, which the log does not name; read the raw audit.log (or ausearch --raw) instead"
    )
}

fn int(v: &Value, key: &str) -> Option<i64> {
    field(v, key).and_then(|s| s.parse().ok())
}

/// An id auditd prints as unsigned 32-bit -1 when unset.
fn set_id(v: &Value, key: &str) -> Option<String> {
    field(v, key).filter(|s| s != "4294967295" && s != "unset" && s != "-1")
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (kind, time) = head(v)?;
    let syscall = field(v, "SYSCALL").unwrap_or_default();
    let (class, activity) = match kind.as_str() {
        "SYSCALL" if syscall.starts_with("execve") => (OcsfClass::ProcessActivity, process::LAUNCH),
        "EXECVE" => (OcsfClass::ProcessActivity, process::LAUNCH),
        "SYSCALL" | "PROCTITLE" => (OcsfClass::ProcessActivity, process::OTHER),
        "USER_AUTH" | "USER_LOGIN" | "USER_ACCT" | "USER_START" | "USER_END" | "USER_ERR" | "CRED_ACQ"
        | "CRED_DISP" | "CRED_REFR" | "LOGIN" => (OcsfClass::Authentication, authentication_activity(&kind)),
        "SOCKADDR" => (OcsfClass::NetworkActivity, 6),
        "PATH" | "CWD" => (OcsfClass::FileSystemActivity, file::OTHER),
        _ => (OcsfClass::BaseEvent, 0),
    };
    let e = d.start(class, activity, time, "Linux audit", "Linux");
    e.metadata.original_uid = field(v, "serial");
    e.metadata.event_code = Some(kind.clone());
    e.metadata.log_name = Some("audit".into());
    if let Some(node) = field(v, "node") {
        e.device_mut().hostname = Some(node);
    }
    if let Some(auid) = set_id(v, "auid").or_else(|| set_id(v, "AUID")) {
        e.actor_user_mut().uid = Some(auid);
    }
    if let Some(name) = field(v, "AUID").filter(|s| s != "unset") {
        e.actor_user_mut().name = Some(name);
    }
    let has_process = ["pid", "exe", "comm", "proctitle"].iter().any(|k| field(v, k).is_some()) || kind == "EXECVE";
    if has_process {
        let cmd = if kind == "EXECVE" { execve_line(v) } else { field(v, "proctitle") };
        let p = e.process_mut();
        p.pid = int(v, "pid");
        p.parent_pid = int(v, "ppid");
        p.path = field(v, "exe");
        p.name = field(v, "comm");
        p.uid = set_id(v, "uid");
        p.user = field(v, "UID").or_else(|| set_id(v, "uid"));
        p.cmd_line = cmd;
    }
    match kind.as_str() {
        "PATH" => e.file_mut().path = field(v, "name"),
        "CWD" => e.file_mut().path = field(v, "cwd"),
        "SOCKADDR" => {
            if let Some((ip, port)) = field(v, "saddr").as_deref().and_then(inet) {
                let dst = e.dst_mut();
                dst.ip = Some(ip);
                dst.port = Some(port);
            }
        }
        _ => {}
    }
    if class == OcsfClass::Authentication {
        e.status = match field(v, "res").as_deref() {
            Some("success") | Some("yes") | Some("1") => Some(Status::Success),
            Some("failed") | Some("no") | Some("0") => Some(Status::Failure),
            _ => None,
        };
        if let Some(acct) = field(v, "acct").filter(|a| a != "?") {
            e.user_mut().name = Some(acct);
        }
        if let Some(addr) = field(v, "addr").filter(|a| a != "?") {
            e.src_mut().ip = Some(addr);
        }
        if let Some(host) = field(v, "hostname").filter(|h| h != "?") {
            e.src_mut().hostname = Some(host);
        }
        e.auth_mut().protocol = field(v, "op");
    } else if field(v, "success").as_deref() == Some("no") {
        e.status = Some(Status::Failure);
    } else if field(v, "success").as_deref() == Some("yes") {
        e.status = Some(Status::Success);
    }
    Ok(())
}

fn authentication_activity(kind: &str) -> u32 {
    match kind {
        "USER_LOGIN" | "USER_START" | "LOGIN" => authentication::LOGON,
        "USER_END" | "CRED_DISP" => authentication::LOGOFF,
        _ => authentication::OTHER,
    }
}

/// An `EXECVE` record's arguments `a0 … a(argc-1)` as one command line.
fn execve_line(v: &Value) -> Option<String> {
    let argc = int(v, "argc").unwrap_or(0).clamp(0, 4096);
    let args: Vec<String> = (0..argc).filter_map(|i| field(v, &format!("a{i}"))).collect();
    (!args.is_empty()).then(|| args.join(" "))
}

/// An IPv4 or IPv6 `sockaddr` (hexadecimal, as auditd writes it) → address and port.
fn inet(hex: &str) -> Option<(String, u16)> {
    let b: Vec<u8> =
        (0..hex.len() / 2).filter_map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()).collect();
    let family = u16::from_le_bytes([*b.first()?, *b.get(1)?]);
    let port = u16::from_be_bytes([*b.get(2)?, *b.get(3)?]);
    match family {
        2 => Some((std::net::Ipv4Addr::new(*b.get(4)?, *b.get(5)?, *b.get(6)?, *b.get(7)?).to_string(), port)),
        10 => {
            let a: [u8; 16] = b.get(8..24)?.try_into().ok()?;
            Some((std::net::Ipv6Addr::from(a).to_string(), port))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_raw_line_is_read_as_sigma_sees_it() {
        let v = parse_line(r#"type=SYSCALL msg=audit(1675255174.901:30777): arch=c000003e syscall=59 success=yes exit=0 a0=11ba5a8 items=2 ppid=8720 pid=24107 auid=4294967295 uid=1000 tty=pts19 comm="python" exe="/usr/bin/python2.7" key="T1059_1""#).unwrap();
        assert_eq!(v["type"], "SYSCALL");
        assert_eq!(v["SYSCALL"], "execve", "the number named for x86-64");
        assert_eq!(v["a0"], "11ba5a8", "a syscall argument stays as written");
        assert_eq!((v["comm"].as_str(), v["key"].as_str()), (Some("python"), Some("T1059_1")));
        assert_eq!(head(&v).unwrap().1, 1_675_255_174_901);
        let p = parse_line(
            "type=PROCTITLE msg=audit(1675255174.901:30777): proctitle=707974686F6E006261647363726970742E7079",
        )
        .unwrap();
        assert_eq!(p["proctitle"], "python badscript.py");
        let x = parse_line(r#"type=EXECVE msg=audit(1.5:2): argc=2 a0="sh" a1=2D63206563686F202268692220"#).unwrap();
        assert_eq!(x["a1"], "-c echo \"hi\"");
    }

    #[test]
    fn node_inner_msg_and_enriched_fields() {
        let line = "node=web1 type=USER_AUTH msg=audit(1675723170.702:35495): pid=1 uid=0 auid=4294967295 ses=4294967295 msg='op=PAM:authentication grantors=? acct=\"izy\" exe=\"/usr/sbin/sshd\" hostname=10.0.0.9 addr=10.0.0.9 terminal=ssh res=failed'\u{1d}UID=\"root\" AUID=\"unset\"";
        let v = parse_line(line).unwrap();
        assert_eq!(
            (v["node"].as_str(), v["acct"].as_str(), v["res"].as_str()),
            (Some("web1"), Some("izy"), Some("failed"))
        );
        assert_eq!(v["UID"], "root");
        assert_eq!(v["pid"], "1", "the record's own field wins over the inner one");
    }

    #[test]
    fn what_is_not_an_audit_record_says_why() {
        for (line, why) in [
            ("root@ubuntu:/etc/audit/rules.d# ls", "does not start with type="),
            ("type=SYSCALL", "nothing after its type"),
            ("type=SYSCALL arch=c000003e", "stamp"),
            ("type=SYSCALL msg=audit(1675255174.901", "not closed"),
            ("type=SYSCALL msg=audit(1675255174.901:1): comm=\"x", "not closed"),
            ("type=SYS/CALL msg=audit(1:1): a=b", "not a record type"),
            ("type=SYSCALL msg=audit(1:1): novalue", "not a key=value"),
        ] {
            let e = parse_line(line).unwrap_err();
            assert!(e.contains(why), "{line}: {e}");
        }
        let e = parse_line("type=PROCTITLE msg=audit(02/01/2023 04:39:34.901:30777) : proctitle=python bad.py")
            .unwrap_err();
        assert!(e.contains("local zone"), "{e}");
        let as_json = serde_json::json!({"type": "CWD", "timestamp": "02/01/2023 04:39:34.901", "serial": "1"});
        assert!(head(&as_json).unwrap_err().to_string().contains("local zone"));
        for bad in ["", "x.1", "1.x", "99999999999999999999", "-5"] {
            assert!(epoch_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn socket_addresses() {
        assert_eq!(inet("020000167F0000010000000000000000"), Some(("127.0.0.1".into(), 22)));
        assert_eq!(
            inet("0A000050000000002001000D0000000000000000000000010000000000000000"),
            Some(("2001:d::1".into(), 80))
        );
        assert_eq!(inet("0100"), None);
        assert_eq!(inet("zz"), None);
    }
}
