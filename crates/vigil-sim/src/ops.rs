//! Higher-level actions shared by background activity and attacks: a sign-in to Okta, a process
//! start on a Windows host (Security 4688 and Sysmon 1), a logon, a web visit seen by Zeek and
//! Sysmon, an AWS federated session.

use crate::aws::{Ct, Who, creds_response};
use crate::catalog::{EXES, Exe, Site};
use crate::company::{AD_DOMAIN, APP_AWS, APPS, Company, Host, UAS, User};
use crate::emit::Emitter;
use crate::geo::Net;
use crate::json::{J, obj};
use crate::okta::{Actor, Client, OktaEv, behaviors, dt_hash, session_id, t_app, t_app_user};
use crate::util::{HOUR, R, SEC, Ts, asia, b62, between, fmt_ts, ip_str, lognorm, unit};
use crate::win::{self, NULL_GUID, hashes, logon_guid, logon_id, process_guid};
use crate::zeek::{self, Conn};

/// A running process as Sysmon identifies it.
#[derive(Clone, Debug)]
pub(crate) struct Proc {
    pub guid: String,
    pub pid: u32,
    pub image: String,
    pub cmd: String,
    pub user: String,
}

/// A logon session on a Windows host.
pub(crate) struct Sess<'a> {
    pub hi: usize,
    pub host: &'a Host,
    pub account: String,
    pub domain: &'static str,
    pub sid: String,
    pub logon_id: String,
    pub logon_guid: String,
    pub shell: Proc,
    pub integrity: &'static str,
    pub term: u32,
}

impl<'a> Sess<'a> {
    /// The SYSTEM context on a host (services.exe as the parent).
    pub(crate) fn system(rng: &R, co: &'a Company, hi: usize) -> Sess<'a> {
        let host = &co.hosts[hi];
        let shell = Proc {
            guid: process_guid(rng, host, co.start_day * crate::util::DAY - 3 * crate::util::DAY),
            pid: host.services,
            image: EXES[crate::catalog::SERVICES].path.to_string(),
            cmd: EXES[crate::catalog::SERVICES].cmd.to_string(),
            user: "NT AUTHORITY\\SYSTEM".to_string(),
        };
        Sess {
            hi,
            host,
            account: format!("{}$", host.name),
            domain: AD_DOMAIN,
            sid: "S-1-5-18".to_string(),
            logon_id: "0x3e7".to_string(),
            logon_guid: NULL_GUID.to_string(),
            shell,
            integrity: "System",
            term: 0,
        }
    }

    /// An interactive user session whose shell is explorer.exe (no events are written).
    pub(crate) fn user(
        rng: &R,
        co: &'a Company,
        hi: usize,
        account: &str,
        sid: &str,
        ts: i64,
        admin: bool,
    ) -> Sess<'a> {
        let host = &co.hosts[hi];
        let shell = Proc {
            guid: process_guid(rng, host, ts),
            pid: between(rng, 3000, 14000) as u32 & !3,
            image: EXES[crate::catalog::EXPLORER].path.to_string(),
            cmd: EXES[crate::catalog::EXPLORER].cmd.to_string(),
            user: format!("{AD_DOMAIN}\\{account}"),
        };
        Sess {
            hi,
            host,
            account: account.to_string(),
            domain: AD_DOMAIN,
            sid: sid.to_string(),
            logon_id: logon_id(rng),
            logon_guid: logon_guid(rng),
            shell,
            integrity: if admin { "High" } else { "Medium" },
            term: 1,
        }
    }

    pub(crate) fn qualified(&self) -> String {
        if self.sid == "S-1-5-18" {
            "NT AUTHORITY\\SYSTEM".to_string()
        } else {
            format!("{}\\{}", self.domain, self.account)
        }
    }
}

fn expand(template: &str, exe: &Exe, account: &str, rng: &R) -> String {
    let path = exe.path.replace("{user}", account);
    let mut s = template.replace("{path}", &format!("\"{path}\"")).replace("{user}", account);
    if s.contains("{doc}") {
        s = s.replace("{doc}", crate::util::pick::<&str>(rng, crate::catalog::DOCS));
    }
    if s.contains("{num}") {
        s = s.replace("{num}", &between(rng, 81_000_000_000, 99_999_999_999).to_string());
    }
    s
}

/// Starts a process: Security 4688 and Sysmon 1. `cmd` overrides the catalog command line.
pub(crate) fn spawn(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    s: &Sess,
    parent: &Proc,
    exe_idx: usize,
    cmd: Option<String>,
) -> Proc {
    let exe = &EXES[exe_idx];
    let image = exe.path.replace("{user}", &s.account);
    let cmd = match cmd {
        Some(c) => c,
        None => expand(exe.cmd, exe, &s.account, rng),
    };
    spawn_image(rng, em, ts, s, parent, exe, image, cmd)
}

/// Metadata Sysmon reports for an unsigned binary without version information.
pub(crate) static UNKNOWN_EXE: Exe =
    Exe { path: "", desc: "-", product: "-", company: "-", orig: "-", ver: "-", cmd: "" };

/// Starts a process from an explicit image path with the given version metadata.
pub(crate) fn spawn_image(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    s: &Sess,
    parent: &Proc,
    exe: &Exe,
    image: String,
    cmd: String,
) -> Proc {
    let pid = between(rng, 1000, 30000) as u32 & !3;
    let guid = process_guid(rng, s.host, ts);
    let user = s.qualified();
    let cwd =
        if s.sid == "S-1-5-18" { "C:\\Windows\\system32\\".to_string() } else { format!("C:\\Users\\{}\\", s.account) };
    let label = match s.integrity {
        "System" => "S-1-16-16384",
        "High" => "S-1-16-12288",
        _ => "S-1-16-8192",
    };
    win::security(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        4688,
        obj! {
            "SubjectUserSid": &s.sid,
            "SubjectUserName": &s.account,
            "SubjectDomainName": s.domain,
            "SubjectLogonId": &s.logon_id,
            "NewProcessId": format!("0x{pid:x}"),
            "NewProcessName": &image,
            "TokenElevationType": if s.integrity == "Medium" { "%%1938" } else { "%%1936" },
            "ProcessId": format!("0x{:x}", parent.pid),
            "CommandLine": &cmd,
            "TargetUserSid": "S-1-0-0",
            "TargetUserName": "-",
            "TargetDomainName": "-",
            "TargetLogonId": "0x0",
            "ParentProcessName": &parent.image,
            "MandatoryLabel": label,
        },
    );
    win::sysmon(
        rng,
        em,
        ts + between(rng, 200, 4000),
        s.hi,
        s.host,
        1,
        obj! {
            "RuleName": "-",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &guid,
            "ProcessId": pid,
            "Image": &image,
            "FileVersion": exe.ver,
            "Description": exe.desc,
            "Product": exe.product,
            "Company": exe.company,
            "OriginalFileName": exe.orig,
            "CommandLine": &cmd,
            "CurrentDirectory": cwd,
            "User": &user,
            "LogonGuid": &s.logon_guid,
            "LogonId": &s.logon_id,
            "TerminalSessionId": s.term,
            "IntegrityLevel": s.integrity,
            "Hashes": hashes(&format!("{}{}{}", exe.orig, exe.ver, if exe.orig == "-" { image.as_str() } else { "" })),
            "ParentProcessGuid": &parent.guid,
            "ParentProcessId": parent.pid,
            "ParentImage": &parent.image,
            "ParentCommandLine": &parent.cmd,
            "ParentUser": &parent.user,
        },
    );
    Proc { guid, pid, image, cmd, user }
}

/// Sysmon 11.
pub(crate) fn file_create(rng: &R, em: &mut Emitter, ts: i64, s: &Sess, p: &Proc, path: &str) {
    win::sysmon(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        11,
        obj! {
            "RuleName": "-",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &p.guid,
            "ProcessId": p.pid,
            "Image": &p.image,
            "TargetFilename": path.to_string(),
            "CreationUtcTime": fmt_ts(ts, Ts::Sysmon),
            "User": &p.user,
        },
    );
}

/// Sysmon 23.
pub(crate) fn file_delete(rng: &R, em: &mut Emitter, ts: i64, s: &Sess, p: &Proc, path: &str) {
    win::sysmon(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        23,
        obj! {
            "RuleName": "-",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &p.guid,
            "ProcessId": p.pid,
            "User": &p.user,
            "Image": &p.image,
            "TargetFilename": path.to_string(),
            "Hashes": hashes(path),
            "IsExecutable": false,
            "Archived": "true",
        },
    );
}

/// Sysmon 13.
pub(crate) fn reg_set(rng: &R, em: &mut Emitter, ts: i64, s: &Sess, p: &Proc, rule: &str, key: &str, details: &str) {
    win::sysmon(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        13,
        obj! {
            "RuleName": rule.to_string(),
            "EventType": "SetValue",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &p.guid,
            "ProcessId": p.pid,
            "Image": &p.image,
            "TargetObject": key.to_string(),
            "Details": details.to_string(),
            "User": &p.user,
        },
    );
}

/// Sysmon 3 for an outbound connection.
pub(crate) fn net_conn(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    s: &Sess,
    p: &Proc,
    dst: u32,
    dst_host: &str,
    port: u16,
    src_port: u16,
) {
    let port_name = match port {
        443 => "https",
        445 => "microsoft-ds",
        135 => "epmap",
        3389 => "ms-wbt-server",
        80 => "http",
        _ => "-",
    };
    win::sysmon(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        3,
        obj! {
            "RuleName": "-",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &p.guid,
            "ProcessId": p.pid,
            "Image": &p.image,
            "User": &p.user,
            "Protocol": "tcp",
            "Initiated": true,
            "SourceIsIpv6": false,
            "SourceIp": ip_str(s.host.ip),
            "SourceHostname": &s.host.fqdn,
            "SourcePort": src_port,
            "SourcePortName": "-",
            "DestinationIsIpv6": false,
            "DestinationIp": ip_str(dst),
            "DestinationHostname": dst_host.to_string(),
            "DestinationPort": port,
            "DestinationPortName": port_name,
        },
    );
}

/// Sysmon 22.
pub(crate) fn dns_query(rng: &R, em: &mut Emitter, ts: i64, s: &Sess, p: &Proc, site: &Site) {
    let mut results = String::new();
    if let Some(c) = site.cname {
        results.push_str(&format!("type:  5 {c};"));
    }
    results.push_str(&format!("::ffff:{};", ip_str(site.ip)));
    win::sysmon(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        22,
        obj! {
            "RuleName": "-",
            "UtcTime": fmt_ts(ts, Ts::Sysmon),
            "ProcessGuid": &p.guid,
            "ProcessId": p.pid,
            "QueryName": site.host,
            "QueryStatus": "0",
            "QueryResults": results,
            "Image": &p.image,
            "User": &p.user,
        },
    );
}

/// A visit to a web site: Zeek DNS + conn, and (on Windows) Sysmon 22 + 3 from `proc`.
/// `scale` multiplies the bytes moved.
pub(crate) fn visit(
    rng: &R,
    em: &mut Emitter,
    co: &Company,
    ts: i64,
    hi: usize,
    site: &Site,
    win: Option<(&Sess, &Proc)>,
    up: u64,
    down: u64,
) -> u64 {
    let host = &co.hosts[hi];
    let resolver = co.hosts[co.srv.dc[hi % 2]].ip;
    zeek::lookup(rng, em, ts, host.ip, resolver, site.host, site.cname, &[site.ip], site.ttl);
    let t = ts + between(rng, 5_000, 90_000);
    let src_port = between(rng, 49152, 65535) as u16;
    let bytes = up.max(1);
    let duration = (bytes.max(down) as f64 / 2_000_000.0 + 0.3 + unit(rng) * 30.0).min(3600.0);
    let mut c = Conn::tcp(t, host.ip, site.ip, site.port, Some("ssl"));
    c.orig_p = src_port;
    c.duration = duration;
    c.orig_bytes = up;
    c.resp_bytes = down;
    c.emit(rng, em);
    if let Some((s, p)) = win {
        dns_query(rng, em, ts + 300, s, p, site);
        net_conn(rng, em, t + 200, s, p, site.ip, site.host, site.port, src_port);
    }
    duration as u64
}

/// Bytes for an ordinary visit to `site`.
pub(crate) fn visit_bytes(rng: &R, site: &Site) -> (u64, u64) {
    (lognorm(rng, site.up as f64, 0.6), lognorm(rng, site.down as f64, 0.9))
}

/// Security 4624 (and 4672 when `privileged`). Returns the new logon id.
pub(crate) fn logon(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    hi: usize,
    host: &Host,
    account: &str,
    sid: &str,
    logon_type: u32,
    src_ip: Option<u32>,
    workstation: &str,
    kerberos: bool,
    privileged: bool,
    logon_id_override: Option<&str>,
) -> String {
    let lid = logon_id_override.map(str::to_string).unwrap_or_else(|| logon_id(rng));
    let (proc_name, proc_id, subj_sid, subj_name, subj_lid) = match logon_type {
        2 | 7 | 10 | 11 => (
            "C:\\Windows\\System32\\svchost.exe",
            format!("0x{:x}", between(rng, 900, 1600)),
            "S-1-5-18",
            format!("{}$", host.name),
            "0x3e7",
        ),
        _ => ("-", "0x0".to_string(), "S-1-0-0", "-".to_string(), "0x0"),
    };
    let (pkg, lproc) = match (logon_type, kerberos) {
        (2 | 7 | 11, _) => ("Negotiate", "User32 "),
        (10, _) => ("Negotiate", "User32 "),
        (_, true) => ("Kerberos", "Kerberos"),
        (_, false) => ("NTLM", "NtLmSsp "),
    };
    let ip_s = match (logon_type, src_ip) {
        (2 | 7 | 11, _) => "127.0.0.1".to_string(),
        (_, Some(i)) => ip_str(i),
        (_, None) => "-".to_string(),
    };
    let port = match logon_type {
        2 | 7 | 11 => "0".to_string(),
        _ => between(rng, 49152, 65535).to_string(),
    };
    let elevated = privileged;
    win::security(
        rng,
        em,
        ts,
        hi,
        host,
        4624,
        obj! {
            "SubjectUserSid": subj_sid,
            "SubjectUserName": subj_name,
            "SubjectDomainName": if subj_sid == "S-1-5-18" { AD_DOMAIN } else { "-" },
            "SubjectLogonId": subj_lid,
            "TargetUserSid": sid.to_string(),
            "TargetUserName": account.to_string(),
            "TargetDomainName": AD_DOMAIN,
            "TargetLogonId": &lid,
            "LogonType": logon_type,
            "LogonProcessName": lproc,
            "AuthenticationPackageName": pkg,
            "WorkstationName": if kerberos && logon_type == 3 { "-".to_string() } else { workstation.to_string() },
            "LogonGuid": if kerberos { logon_guid(rng) } else { NULL_GUID.to_string() },
            "TransmittedServices": "-",
            "LmPackageName": if pkg == "NTLM" { "NTLM V2" } else { "-" },
            "KeyLength": if pkg == "NTLM" { 128 } else { 0 },
            "ProcessId": proc_id,
            "ProcessName": proc_name,
            "IpAddress": ip_s,
            "IpPort": port,
            "ImpersonationLevel": "%%1833",
            "RestrictedAdminMode": if logon_type == 10 { "%%1843" } else { "-" },
            "TargetOutboundUserName": "-",
            "TargetOutboundDomainName": "-",
            "VirtualAccount": "%%1843",
            "TargetLinkedLogonId": "0x0",
            "ElevatedToken": if elevated { "%%1842" } else { "%%1843" },
        },
    );
    if privileged {
        special_privileges(rng, em, ts + between(rng, 1, 900), hi, host, account, sid, &lid);
    }
    lid
}

/// Security 4672.
pub(crate) fn special_privileges(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    hi: usize,
    host: &Host,
    account: &str,
    sid: &str,
    lid: &str,
) {
    win::security(
        rng,
        em,
        ts,
        hi,
        host,
        4672,
        obj! {
            "SubjectUserSid": sid.to_string(),
            "SubjectUserName": account.to_string(),
            "SubjectDomainName": AD_DOMAIN,
            "SubjectLogonId": lid.to_string(),
            "PrivilegeList": "SeSecurityPrivilege\n\t\t\tSeBackupPrivilege\n\t\t\tSeRestorePrivilege\n\t\t\tSeTakeOwnershipPrivilege\n\t\t\tSeDebugPrivilege\n\t\t\tSeSystemEnvironmentPrivilege\n\t\t\tSeLoadDriverPrivilege\n\t\t\tSeImpersonatePrivilege\n\t\t\tSeDelegateSessionUserImpersonatePrivilege",
        },
    );
}

/// Security 4634.
pub(crate) fn logoff(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    hi: usize,
    host: &Host,
    account: &str,
    sid: &str,
    lid: &str,
    logon_type: u32,
) {
    win::security(
        rng,
        em,
        ts,
        hi,
        host,
        4634,
        obj! {
            "TargetUserSid": sid.to_string(),
            "TargetUserName": account.to_string(),
            "TargetDomainName": AD_DOMAIN,
            "TargetLogonId": lid.to_string(),
            "LogonType": logon_type,
        },
    );
}

/// Security 4648: a logon was attempted using explicit credentials.
pub(crate) fn explicit_creds(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    s: &Sess,
    p: &Proc,
    target_account: &str,
    target_server: &str,
    target_ip: u32,
) {
    win::security(
        rng,
        em,
        ts,
        s.hi,
        s.host,
        4648,
        obj! {
            "SubjectUserSid": &s.sid,
            "SubjectUserName": &s.account,
            "SubjectDomainName": s.domain,
            "SubjectLogonId": &s.logon_id,
            "LogonGuid": NULL_GUID,
            "TargetUserName": target_account.to_string(),
            "TargetDomainName": AD_DOMAIN,
            "TargetLogonGuid": NULL_GUID,
            "TargetServerName": target_server.to_string(),
            "TargetInfo": target_server.to_string(),
            "ProcessId": format!("0x{:x}", p.pid),
            "ProcessName": &p.image,
            "IpAddress": ip_str(target_ip),
            "IpPort": "445",
        },
    );
}

/// Security 4625.
pub(crate) fn failed_logon(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    hi: usize,
    host: &Host,
    account: &str,
    logon_type: u32,
    src_ip: Option<u32>,
    workstation: &str,
) {
    win::security(
        rng,
        em,
        ts,
        hi,
        host,
        4625,
        obj! {
            "SubjectUserSid": if logon_type == 3 { "S-1-0-0" } else { "S-1-5-18" },
            "SubjectUserName": if logon_type == 3 { "-".to_string() } else { format!("{}$", host.name) },
            "SubjectDomainName": if logon_type == 3 { "-" } else { AD_DOMAIN },
            "SubjectLogonId": if logon_type == 3 { "0x0" } else { "0x3e7" },
            "TargetUserSid": "S-1-0-0",
            "TargetUserName": account.to_string(),
            "TargetDomainName": AD_DOMAIN,
            "Status": "0xc000006d",
            "FailureReason": "%%2313",
            "SubStatus": "0xc000006a",
            "LogonType": logon_type,
            "LogonProcessName": if logon_type == 3 { "NtLmSsp " } else { "User32 " },
            "AuthenticationPackageName": if logon_type == 3 { "NTLM" } else { "Negotiate" },
            "WorkstationName": workstation.to_string(),
            "TransmittedServices": "-",
            "LmPackageName": "-",
            "KeyLength": 0,
            "ProcessId": if logon_type == 3 { "0x0".to_string() } else { format!("0x{:x}", between(rng, 900, 1600)) },
            "ProcessName": if logon_type == 3 { "-" } else { "C:\\Windows\\System32\\svchost.exe" },
            "IpAddress": match src_ip { Some(i) => ip_str(i), None => "127.0.0.1".to_string() },
            "IpPort": if logon_type == 3 { between(rng, 49152, 65535).to_string() } else { "0".to_string() },
        },
    );
}

/// Options for an Okta sign-in.
#[derive(Default, Clone, Copy)]
pub(crate) struct SignIn {
    pub fail_first: bool,
    /// Several wrong passwords first, the account locks, the sign-in succeeds after it unlocks.
    pub lockout: bool,
    pub deny_once: bool,
    pub new_geo: bool,
    pub new_device: bool,
    pub new_ip: bool,
    pub velocity: bool,
    pub risk_high: bool,
}

/// A sign-in: password verify, Okta Verify push, MFA success, session start. Returns the session id.
pub(crate) fn okta_signin<'a>(
    rng: &R,
    em: &mut Emitter,
    actor: Actor<'a>,
    factor_id: &'a str,
    ua: usize,
    net: Net,
    ts: i64,
    o: SignIn,
) -> String {
    let sid = session_id(rng);
    let client = Client::browser(ua, net);
    let mut t = ts;
    if o.lockout {
        let mut tf = t - between(rng, 20, 35) * crate::util::MIN;
        for _ in 0..5 {
            let mut e = OktaEv::new(tf, "user.session.start", actor, client);
            e.result = "FAILURE";
            e.reason = Some("INVALID_CREDENTIALS");
            e.emit(rng, em);
            tf += between(rng, 8, 40) * SEC;
        }
        let mut e = OktaEv::new(tf, "user.account.lock", actor, client);
        e.result = "FAILURE";
        e.reason = Some("LOCKED_OUT");
        e.emit(rng, em);
    }
    if o.fail_first {
        let mut e = OktaEv::new(t - between(rng, 20, 90) * SEC, "user.session.start", actor, client);
        e.result = "FAILURE";
        e.reason = Some("INVALID_CREDENTIALS");
        e.dbg("behaviors", J::Own(behaviors(o.new_geo, o.new_device, o.new_ip, o.velocity)));
        e.emit(rng, em);
    }
    let mut e = OktaEv::new(t, "user.authentication.verify", actor, client);
    e.session = Some(&sid);
    e.step = 0;
    e.emit(rng, em);
    let enrollment = || {
        vec![obj! {
            "id": factor_id,
            "type": "AuthenticatorEnrollment",
            "alternateId": "unknown",
            "displayName": "Okta Verify",
            "detailEntry": obj!{"methodTypeUsed": "Get a push notification", "methodUsedVerifiedProperties": "[DEVICE_BOUND, HARDWARE_PROTECTED, USER_PRESENCE]"},
        }]
    };
    let mut pushes = 1;
    if o.deny_once {
        pushes = 2;
    }
    for k in 0..pushes {
        t += between(rng, 1, 4) * SEC;
        let mut e = OktaEv::new(t, "system.push.send_factor_verify_push", actor, client);
        e.session = Some(&sid);
        e.step = 1;
        e.targets = Some(enrollment());
        e.emit(rng, em);
        t += between(rng, 4, 25) * SEC;
        if k + 1 < pushes {
            let mut e = OktaEv::new(t, "user.mfa.okta_verify.deny_push", actor, client);
            e.session = Some(&sid);
            e.step = 1;
            e.result = "FAILURE";
            e.reason = Some("User rejected Okta push verify");
            e.targets = Some(enrollment());
            e.emit(rng, em);
        }
    }
    let mut e = OktaEv::new(t, "user.authentication.auth_via_mfa", actor, client);
    e.session = Some(&sid);
    e.step = 1;
    e.targets = Some(enrollment());
    e.dbg("factor", "OKTA_VERIFY_PUSH");
    e.dbg("factorIntent", "AUTHENTICATION");
    e.emit(rng, em);
    t += between(rng, 200_000, 1_500_000);
    let mut e = OktaEv::new(t, "user.session.start", actor, client);
    e.session = Some(&sid);
    e.dbg("behaviors", J::Own(behaviors(o.new_geo, o.new_device, o.new_ip, o.velocity)));
    e.dbg("risk", if o.risk_high { "{reasons=Anomalous Location, level=HIGH}" } else { "{level=LOW}" });
    e.dbg("dtHash", J::Own(dt_hash(rng)));
    e.dbg("deviceFingerprint", J::Own(b62(rng, 32)));
    e.emit(rng, em);
    sid
}

/// Okta SSO into an app.
pub(crate) fn okta_sso<'a>(
    rng: &R,
    em: &mut Emitter,
    co: &'a Company,
    actor: Actor<'a>,
    app: usize,
    ua: usize,
    net: Net,
    ts: i64,
    session: &'a str,
) {
    let mut e = OktaEv::new(ts, "user.authentication.sso", actor, Client::browser(ua, net));
    e.session = Some(session);
    e.targets = Some(vec![t_app(co, app), t_app_user(rng, actor.alt, actor.display)]);
    e.request_uri = format!("/app/{}/{}/sso/saml", APPS[app].1, co.app_ids[app]);
    e.dbg("initiationType", if unit(rng) < 0.6 { "IDP_INITIATED" } else { "SP_INITIATED" });
    e.dbg("signOnMode", "SAML 2.0");
    e.emit(rng, em);
}

/// A federated AWS role session: Okta SSO to the AWS app, then STS AssumeRoleWithSAML, and a
/// console sign-in when `console`.
pub(crate) struct RoleSession {
    pub acct: usize,
    pub role: usize,
    pub key: String,
    pub created: i64,
}

pub(crate) fn aws_federate(
    rng: &R,
    em: &mut Emitter,
    co: &Company,
    u: &User,
    ua: usize,
    session: Option<&str>,
    acct: usize,
    role_name: &str,
    net: Net,
    ts: i64,
    console: bool,
) -> Option<RoleSession> {
    let a = &co.accounts[acct];
    let role = a.role(role_name)?;
    if let Some(sid) = session {
        okta_sso(rng, em, co, Actor::user(u), APP_AWS, ua, net, ts, sid);
    }
    let t = ts + between(rng, 1, 3) * SEC;
    let key = asia(rng);
    let r = &a.roles[role];
    let resp = creds_response(
        rng,
        &key,
        t + HOUR,
        format!("arn:aws:sts::{}:assumed-role/{}/{}", a.id, r.name, u.email),
        format!("{}:{}", r.id, u.email),
        Some(("subjectType", J::Str("persistent"))),
    );
    let mut resp = resp;
    resp.push("issuer", format!("http://www.okta.com/exk{}", crate::util::hash_b62(crate::util::hash_str(&a.id), 17)));
    resp.push("audience", "https://signin.aws.amazon.com/saml");
    resp.push("nameQualifier", crate::util::hash_b62(crate::util::hash_str(&a.saml_provider), 27) + "=");
    resp.push("subject", &u.email);
    let mut ct = Ct::new(
        t,
        acct,
        Who::Saml { email: &u.email },
        net.ip_s(),
        "aws-internal/3 aws-sdk-java/1.12.750",
        "sts.amazonaws.com",
        "AssumeRoleWithSAML",
    )
    .req(obj! {"roleArn": &r.arn, "principalArn": &a.saml_provider, "durationSeconds": 3600})
    .resp(resp);
    ct.read_only = true;
    ct.emit(rng, em, &co.accounts);
    if console {
        let who = Who::Role { role: r, session: &u.email, key: "", created: t, mfa: false };
        let mut ct = Ct::new(t + between(rng, 1, 4) * SEC, acct, who, net.ip_s(), UAS[ua].raw, "signin.amazonaws.com", "ConsoleLogin")
            .resp(obj! {"ConsoleLogin": "Success"})
            .add(obj! {
                "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1",
                "MobileVersion": "No",
                "MFAUsed": "No",
                "SamlProviderArn": &a.saml_provider,
            });
        ct.event_type = "AwsConsoleSignIn";
        ct.read_only = false;
        ct.emit(rng, em, &co.accounts);
    }
    Some(RoleSession { acct, role, key, created: t })
}

/// The Who of a federated session.
pub(crate) fn role_who<'a>(co: &'a Company, s: &'a RoleSession, email: &'a str) -> Who<'a> {
    Who::Role { role: &co.accounts[s.acct].roles[s.role], session: email, key: &s.key, created: s.created, mfa: false }
}
