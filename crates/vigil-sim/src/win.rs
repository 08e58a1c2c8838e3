//! Windows Security, System and Sysmon events in the JSON shape the `evtx` crate renders records.

use crate::company::{AD_DOMAIN, Host};
use crate::emit::{Chan, Emitter, Sink};
use crate::json::{J, obj};
use crate::util::{R, Ts, between, fmt_ts, guid, hash_chars, hash_str};

const XMLNS: &str = "http://schemas.microsoft.com/win/2004/08/events/event";
const SECURITY_GUID: &str = "{54849625-5478-4994-A5BA-3E3B0328C30D}";
const SYSMON_GUID: &str = "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}";
const SCM_GUID: &str = "{555908d1-a6d7-4695-8e1e-26931d2012f4}";
const EVENTLOG_GUID: &str = "{fc65ddd8-d6ef-4962-83d5-6e5cfe9ce148}";

pub(crate) const AUDIT_SUCCESS: &str = "0x8020000000000000";
pub(crate) const AUDIT_FAILURE: &str = "0x8010000000000000";

/// (version, task, keywords) of the Security events we write.
fn security_meta(eid: u32) -> (u32, u32, &'static str) {
    match eid {
        4624 => (2, 12544, AUDIT_SUCCESS),
        4625 => (0, 12544, AUDIT_FAILURE),
        4634 => (0, 12545, AUDIT_SUCCESS),
        4648 => (0, 12544, AUDIT_SUCCESS),
        4672 => (0, 12548, AUDIT_SUCCESS),
        4688 => (2, 13312, AUDIT_SUCCESS),
        4720 | 4722 | 4725 | 4726 | 4738 => (0, 13824, AUDIT_SUCCESS),
        4728 | 4732 | 4756 => (0, 13826, AUDIT_SUCCESS),
        4697 => (0, 12289, AUDIT_SUCCESS),
        4663 => (1, 12800, AUDIT_SUCCESS),
        _ => (0, 0, AUDIT_SUCCESS),
    }
}

fn sysmon_version(eid: u32) -> u32 {
    match eid {
        1 | 3 | 22 | 23 => 5,
        11 | 13 => 2,
        _ => 3,
    }
}

fn event<'a>(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    host_idx: usize,
    host: &Host,
    chan: Chan,
    provider: J<'a>,
    eid: J<'a>,
    version: u32,
    level: u32,
    task: u32,
    keywords: &'static str,
    correlation: J<'a>,
    pid: u32,
    security: J<'a>,
    body_key: &'static str,
    body: J<'a>,
) {
    let channel = match chan {
        Chan::Security => "Security",
        Chan::Sysmon => "Microsoft-Windows-Sysmon/Operational",
        Chan::System => "System",
    };
    let tid = between(rng, 100, 12000) as u32;
    let system = obj! {
        "Provider": provider,
        "EventID": eid,
        "Version": version,
        "Level": level,
        "Task": task,
        "Opcode": 0,
        "Keywords": keywords,
        "TimeCreated": obj!{"#attributes": obj!{"SystemTime": fmt_ts(ts, Ts::Micros)}},
        "EventRecordID": J::RecordId,
        "Correlation": correlation,
        "Execution": obj!{"#attributes": obj!{"ProcessID": pid, "ThreadID": tid}},
        "Channel": channel,
        "Computer": &host.fqdn,
        "Security": security,
    };
    let ev = obj! {"Event": J::Obj(vec![
        ("#attributes", obj!{"xmlns": XMLNS}),
        ("System", system),
        (body_key, body),
    ])};
    em.emit(ts, Sink::Win { host: host_idx as u32, chan }, &ev);
}

/// A Security-channel event.
pub(crate) fn security(rng: &R, em: &mut Emitter, ts: i64, host_idx: usize, host: &Host, eid: u32, data: J) {
    let (version, task, kw) = security_meta(eid);
    let correlation = if matches!(eid, 4624 | 4625 | 4648 | 4634) {
        obj! {"#attributes": obj!{"ActivityID": guid(rng)}}
    } else {
        J::Null
    };
    event(
        rng,
        em,
        ts,
        host_idx,
        host,
        Chan::Security,
        obj! {"#attributes": obj!{"Name": "Microsoft-Windows-Security-Auditing", "Guid": SECURITY_GUID}},
        J::Int(i64::from(eid)),
        version,
        0,
        task,
        kw,
        correlation,
        host.lsass,
        J::Null,
        "EventData",
        data,
    );
}

/// A Sysmon event.
pub(crate) fn sysmon(rng: &R, em: &mut Emitter, ts: i64, host_idx: usize, host: &Host, eid: u32, data: J) {
    event(
        rng,
        em,
        ts,
        host_idx,
        host,
        Chan::Sysmon,
        obj! {"#attributes": obj!{"Name": "Microsoft-Windows-Sysmon", "Guid": SYSMON_GUID}},
        J::Int(i64::from(eid)),
        sysmon_version(eid),
        4,
        eid,
        "0x8000000000000000",
        J::Null,
        host.sysmon,
        obj! {"#attributes": obj!{"UserID": "S-1-5-18"}},
        "EventData",
        data,
    );
}

/// System channel 7045: a service was installed.
pub(crate) fn service_installed(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    host_idx: usize,
    host: &Host,
    by_sid: &str,
    name: &str,
    image: &str,
    start: &'static str,
    account: &str,
) {
    let data = obj! {
        "ServiceName": name.to_string(),
        "ImagePath": image.to_string(),
        "ServiceType": "user mode service",
        "StartType": start,
        "AccountName": account.to_string(),
    };
    event(
        rng,
        em,
        ts,
        host_idx,
        host,
        Chan::System,
        obj! {"#attributes": obj!{"Name": "Service Control Manager", "Guid": SCM_GUID, "EventSourceName": "Service Control Manager"}},
        obj! {"#attributes": obj!{"Qualifiers": 16384}, "#text": 7045},
        0,
        4,
        0,
        "0x8080000000000000",
        J::Null,
        host.services,
        obj! {"#attributes": obj!{"UserID": by_sid.to_string()}},
        "EventData",
        data,
    );
}

/// Security 1102: the audit log was cleared (rendered with `UserData`).
pub(crate) fn log_cleared(rng: &R, em: &mut Emitter, ts: i64, host_idx: usize, host: &Host, sid: &str, user: &str) {
    let body = obj! {"LogFileCleared": obj!{
        "#attributes": obj!{"xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
        "SubjectUserSid": sid.to_string(),
        "SubjectUserName": user.to_string(),
        "SubjectDomainName": AD_DOMAIN,
        "SubjectLogonId": logon_id(rng),
    }};
    event(
        rng,
        em,
        ts,
        host_idx,
        host,
        Chan::Security,
        obj! {"#attributes": obj!{"Name": "Microsoft-Windows-Eventlog", "Guid": EVENTLOG_GUID}},
        J::Int(1102),
        0,
        4,
        104,
        "0x4020000000000000",
        J::Null,
        host.lsass,
        obj! {"#attributes": obj!{"UserID": sid.to_string()}},
        "UserData",
        body,
    );
}

pub(crate) fn logon_id(rng: &R) -> String {
    format!("0x{:x}", between(rng, 0x10_0000, 0x7FF_FFFF))
}

/// The logon GUID Kerberos logons carry.
pub(crate) fn logon_guid(rng: &R) -> String {
    guid(rng)
}

pub(crate) const NULL_GUID: &str = "{00000000-0000-0000-0000-000000000000}";

/// Sysmon `Hashes` for a binary, stable per binary.
pub(crate) fn hashes(name: &str) -> String {
    let h = hash_str(name);
    let up = b"0123456789ABCDEF";
    format!(
        "SHA1={},MD5={},SHA256={},IMPHASH={}",
        hash_chars(h, up, 40),
        hash_chars(h ^ 1, up, 32),
        hash_chars(h ^ 2, up, 64),
        hash_chars(h ^ 3, up, 32)
    )
}

/// A Sysmon process GUID: Sysmon packs the machine id and the process start time into it.
pub(crate) fn process_guid(rng: &R, host: &Host, ts: i64) -> String {
    let machine = hash_str(&host.name) as u32;
    let secs = (ts / 1_000_000) as u32;
    format!(
        "{{{:08X}-{:04X}-{:04X}-{:04X}-{:012X}}}",
        machine,
        (secs >> 16) as u16,
        secs as u16,
        between(rng, 0, 0xFFFF),
        between(rng, 0, 0xFFFF_FFFF) as u64 | 0x0100_0000_0000
    )
}
