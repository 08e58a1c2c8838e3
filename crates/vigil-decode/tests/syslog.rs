//! The syslog decoder: RFC 5424 and RFC 3164 messages as a listener receives them and as
//! rsyslog writes them to files, what each becomes, the lines carrying other formats (Sysmon for
//! Linux's event XML, audit records), and what is quarantined and why.

use vigil_decode::{Format, Options};
use vigil_model::{OcsfClass, Severity, Status};

mod common;
use common::{auto, run};

/// The unit the payloads are decoded as.
const UNIT: &str = "syslog.log";

/// A listener's stream: RFC 5424 with structured data, RFC 3164 with a priority.
const STREAM: &str = concat!(
    "<38>1 2026-03-02T10:15:01.250Z web1 sshd 4242 - [origin ip=\"10.0.0.5\"] Failed password for invalid user admin from 198.51.100.9 port 40022 ssh2\n",
    "<86>Mar  2 10:15:03 web1 sudo: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow\n",
    "<30>1 2026-03-02T10:15:04+01:00 web1 systemd 1 - - Stopping firewalld - dynamic firewall daemon...\n",
);

#[test]
fn a_listeners_stream_is_read_message_by_message() {
    let (ev, q) = auto(STREAM);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 3);

    let ssh = &ev[0];
    assert_eq!((ssh.class, ssh.activity_id), (OcsfClass::Authentication, 1));
    assert_eq!(ssh.time, 1_772_446_501_250);
    assert_eq!(ssh.status, Some(Status::Failure));
    assert_eq!(ssh.metadata.format, "syslog");
    assert_eq!(ssh.metadata.log_name.as_deref(), Some("sshd"));
    assert_eq!(ssh.user.as_ref().and_then(|u| u.name.as_deref()), Some("admin"));
    let src = ssh.src_endpoint.as_ref().unwrap();
    assert_eq!((src.ip.as_deref(), src.port), (Some("198.51.100.9"), Some(40022)));
    assert_eq!(ssh.device.as_ref().and_then(|d| d.hostname.as_deref()), Some("web1"));
    assert_eq!(ssh.process.as_ref().and_then(|p| p.pid), Some(4242));
    assert_eq!(ssh.auth.as_ref().and_then(|a| a.protocol.as_deref()), Some("ssh"));
    assert_eq!(ssh.severity, Severity::Informational);

    let sudo = &ev[1];
    assert_eq!((sudo.class, sudo.activity_id), (OcsfClass::ProcessActivity, 1));
    assert_eq!(sudo.metadata.log_name.as_deref(), Some("sudo"));
    assert_eq!(sudo.actor.user.as_ref().and_then(|u| u.name.as_deref()), Some("alice"));
    let p = sudo.process.as_ref().unwrap();
    assert_eq!(p.cmd_line.as_deref(), Some("/usr/bin/cat /etc/shadow"));
    assert_eq!((p.name.as_deref(), p.user.as_deref()), (Some("cat"), Some("root")));
    // authpriv.info is priority 86.
    assert_eq!(sudo.severity, Severity::Informational);

    let other = &ev[2];
    assert_eq!(other.class, OcsfClass::BaseEvent);
    assert_eq!(other.metadata.log_name.as_deref(), Some("syslog"));
    assert_eq!(other.time, 1_772_442_904_000, "the offset in the time stamp is applied");
    assert_eq!(other.message.as_deref(), Some("Stopping firewalld - dynamic firewall daemon..."));
    // The raw message is kept as received.
    assert!(other.raw.starts_with("<30>1 2026-03-02T10:15:04+01:00"), "{}", other.raw);
}

#[test]
fn a_syslog_file_and_the_other_formats_it_carries() {
    let linux_sysmon = r#"<Event><System><Provider Name="Linux-Sysmon" Guid="{ff032593-a8d3-4f13-b0d6-01fc615a0f97}"/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime="2026-03-02T10:16:00.000000Z"/><EventRecordID>77</EventRecordID><Correlation/><Execution ProcessID="1" ThreadID="1"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer><Security UserId="0"/></System><EventData><Data Name="Image">/usr/bin/id</Data><Data Name="CommandLine">id</Data></EventData></Event>"#;
    let file = format!(
        "2026-03-02T10:15:59.123456+00:00 web1 CRON[991]: (root) REPLACE (root)\n\
         2026-03-02T10:16:00.000000+00:00 web1 sysmon: {linux_sysmon}\n\
         2026-03-02T10:16:01.000000+00:00 web1 audisp-syslog: node=web1 type=EXECVE msg=audit(1772446561.000:30777): argc=2 a0=\"python\" a1=\"x.py\"\n\
         this line is not a syslog message\n\
         2026-03-02T10:16:02.000000+00:00 web1 clamd[12]: /tmp/x: Win.Trojan.Agent FOUND\n"
    );
    let (ev, q) = auto(&file);
    let formats: Vec<&str> = ev.iter().map(|e| e.metadata.format.as_str()).collect();
    assert_eq!(formats, ["syslog", "windows-xml", "auditd", "syslog"]);
    assert_eq!(ev[0].metadata.log_name.as_deref(), Some("cron"));
    assert_eq!(ev[3].metadata.log_name.as_deref(), Some("clamav"));
    assert_eq!(ev[2].process.as_ref().and_then(|p| p.cmd_line.as_deref()), Some("python x.py"));
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0].locator, "line 4 (byte ".to_string() + &file.find("this line").unwrap().to_string() + ")");
    assert!(q[0].reason.contains("not a syslog message"), "{}", q[0].reason);
}

#[test]
fn bad_lines_are_quarantined_with_their_reason_and_nothing_else_is_lost() {
    let huge = format!("<13>Mar  2 10:00:00 web1 app: {}\n", "x".repeat(4096));
    let mut data = b"<13>Mar  2 10:00:00 web1 app: first\n".to_vec();
    data.extend_from_slice(huge.as_bytes());
    data.extend_from_slice(b"<13>Mar  2 10:00:01 web1 app: \xff\xfe broken\n");
    data.extend_from_slice(b"<13>\n");
    data.extend_from_slice(b"<13>Mar  2 10:00:02 web1 app: last, without a newline");
    let opts = Options { max_record_bytes: 1024, ..Options::default() };
    let (ev, q) = run_bytes(&data, &opts);
    let msgs: Vec<&str> = ev.iter().filter_map(|e| e.message.as_deref()).collect();
    assert_eq!(msgs, ["first", "last, without a newline"]);
    let reasons: Vec<&str> = q.iter().map(|r| r.reason.as_str()).collect();
    assert_eq!(q.len(), 3, "{reasons:?}");
    assert!(reasons[0].contains("1024"), "{reasons:?}");
    assert!(reasons[1].contains("UTF-8"), "{reasons:?}");
    assert!(reasons[2].contains("time stamp") || reasons[2].contains("timestamp"), "{reasons:?}");
    assert!(q.iter().all(|r| r.format == "syslog"));
}

#[test]
fn json_records_of_a_message_are_read_too() {
    let line = r#"{"syslog":"<38>Mar  2 10:15:01 web1 sshd[7]: Accepted password for bob from 203.0.113.7 port 2200 ssh2","received":"2026-03-02T10:15:01.400Z","peer":"10.0.0.5"}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].metadata.format, "syslog");
    assert_eq!(ev[0].status, Some(Status::Success));
    // The year of a BSD time stamp is the receive time's.
    assert_eq!(ev[0].time, 1_772_446_501_000);
    // A message without a time stamp of its own is at its receive time.
    let bare = r#"{"syslog":"<13>switch7: %LINK-3-UPDOWN: Interface Gi0/1, changed state to down","received":"2026-03-02T10:15:02Z"}"#;
    let (ev, q) = auto(bare);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].time, 1_772_446_502_000);
    // What a listener receives carrying another format is read by that format's decoder.
    let audit = r#"{"syslog":"<14>Mar  2 10:16:01 web1 audisp-syslog: node=web1 type=EXECVE msg=audit(1772446561.000:30777): argc=2 a0=\"python\" a1=\"x.py\"","received":"2026-03-02T10:16:01.100Z","peer":"10.0.0.5"}"#;
    let xml = r#"<Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><Version>5</Version><Level>4</Level><TimeCreated SystemTime="2026-03-02T10:16:00.000000Z"/><EventRecordID>78</EventRecordID><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer></System><EventData><Data Name="Image">/usr/bin/id</Data><Data Name="CommandLine">id</Data></EventData></Event>"#;
    let sysmon = serde_json::json!({
        "syslog": format!("<14>Mar  2 10:16:00 web1 sysmon: {xml}"),
        "received": "2026-03-02T10:16:00.100Z",
        "peer": "10.0.0.5",
    });
    let (ev, q) = auto(&format!("{audit}\n{sysmon}\n{line}\n"));
    assert!(q.is_empty(), "{q:?}");
    let formats: Vec<&str> = ev.iter().map(|e| e.metadata.format.as_str()).collect();
    assert_eq!(formats, ["auditd", "windows-xml", "syslog"]);
    assert!(ev[0].raw.contains("\"peer\":\"10.0.0.5\""), "the record as received is kept");
    assert_eq!(ev[2].device.as_ref().and_then(|d| d.ip.as_deref()), Some("10.0.0.5"));
    // Named with --format, a text file whose first line is not a message is still read.
    let (ev, q) = run(
        "garbage\n<13>Mar  2 10:00:00 web1 app: x\n",
        &Options { format: Format::named("syslog").unwrap(), ..Options::default() },
    );
    assert_eq!((ev.len(), q.len()), (1, 1));
}

fn run_bytes(data: &[u8], opts: &Options) -> (Vec<vigil_model::Event>, Vec<vigil_model::QuarantineRecord>) {
    let (mut ev, mut q) = (Vec::new(), Vec::new());
    let stats = vigil_decode::decode_unit(UNIT, data, opts, &mut |d| match d {
        vigil_decode::Decoded::Event(e) => ev.push(*e),
        vigil_decode::Decoded::Quarantine(r) => q.push(r),
    });
    assert_eq!((stats.events as usize, stats.quarantined as usize), (ev.len(), q.len()));
    (ev, q)
}
