use super::*;
use proptest::prelude::*;

/// Decodes `data`, checking the unit's counts against what reached the sink.
pub(crate) fn run(data: &[u8], opts: &Options) -> (Vec<Event>, Vec<QuarantineRecord>) {
    let mut ev = Vec::new();
    let mut q = Vec::new();
    let stats = decode_unit("test.json", data, opts, &mut |d| match d {
        Decoded::Event(e) => ev.push(*e),
        Decoded::Quarantine(r) => q.push(r),
    });
    assert_eq!(stats.events as usize, ev.len());
    assert_eq!(stats.quarantined as usize, q.len());
    (ev, q)
}

fn auto(data: &[u8]) -> (Vec<Event>, Vec<QuarantineRecord>) {
    run(data, &Options::default())
}

const CT: &str = r##"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","accessKeyId":"AKIAEXAMPLE","userName":"alice","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}},"eventTime":"2023-07-10T12:20:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.0","requestParameters":{"bucketName":"b"},"responseElements":null,"requestID":"R1","eventID":"E1","readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"##;

#[test]
fn cloudtrail_envelope_and_line_give_the_same_event_id() {
    let env = format!("{{\"Records\": [\n  {CT},\n  {}\n]}}", CT.replace("E1", "E2"));
    let (ev, q) = auto(env.as_bytes());
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 2);
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::ApiActivity);
    assert_eq!(e.activity_id, vigil_model::api::UPDATE);
    assert_eq!(e.time, 1_688_991_600_000);
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("alice"));
    assert_eq!(e.actor.user.as_ref().unwrap().credential_uid.as_deref(), Some("AKIAEXAMPLE"));
    assert_eq!(e.actor.session.as_ref().unwrap().is_mfa, Some(true));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("198.51.100.7"));
    assert_eq!(e.cloud.as_ref().unwrap().account_uid.as_deref(), Some("111122223333"));
    assert_eq!(e.api.as_ref().unwrap().operation.as_deref(), Some("PutBucketAcl"));
    assert_eq!(e.metadata.original_uid.as_deref(), Some("E1"));
    assert_eq!(e.raw, CT, "raw must be the record's exact bytes");
    let (line, _) = auto(CT.as_bytes());
    assert_eq!(line[0].id, e.id);
}

#[test]
fn identical_records_in_one_payload_are_distinct_occurrences() {
    let data = format!("{CT}\n{CT}\n{CT}\n");
    let (ev, _) = auto(data.as_bytes());
    let ids: std::collections::HashSet<_> = ev.iter().map(|e| e.id.clone()).collect();
    assert_eq!(ids.len(), 3);
    let (again, _) = auto(data.as_bytes());
    assert_eq!(again.iter().map(|e| &e.id).collect::<Vec<_>>(), ev.iter().map(|e| &e.id).collect::<Vec<_>>());
    // The first occurrence keeps the record's own id, so a copy in another file deduplicates.
    let (single, _) = auto(CT.as_bytes());
    assert_eq!(single[0].id, ev[0].id);
}

#[test]
fn console_login_is_authentication_with_mfa() {
    let rec = r##"{"eventVersion":"1.08","userIdentity":{"type":"Root","arn":"arn:aws:iam::1:root","accountId":"1"},"eventTime":"2023-07-10T12:20:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.9","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"eventID":"x"}"##;
    let (ev, _) = auto(rec.as_bytes());
    assert_eq!(ev[0].class, OcsfClass::Authentication);
    assert_eq!(ev[0].status, Some(vigil_model::Status::Failure));
    assert_eq!(ev[0].auth.as_ref().unwrap().is_mfa, Some(false));
    assert_eq!(ev[0].actor.user.as_ref().unwrap().r#type.as_deref(), Some("Root"));
}

const OKTA: &str = r##"{"uuid":"u-1","published":"2024-01-02T03:04:05.678Z","eventType":"system.push.send_factor_verify_push","version":"0","severity":"INFO","displayMessage":"Push sent","actor":{"id":"00u1","type":"User","alternateId":"bob@example.com","displayName":"Bob"},"client":{"ipAddress":"203.0.113.5","userAgent":{"rawUserAgent":"Mozilla/5.0","browser":"CHROME","os":"Mac OS X"},"geographicalContext":{"city":"Boston","country":"United States","geolocation":{"lat":42.36,"lon":-71.06}}},"outcome":{"result":"SUCCESS"},"authenticationContext":{"externalSessionId":"sess-1"},"target":[{"id":"00u1","type":"User","alternateId":"bob@example.com"}],"securityContext":{"asOrg":"comcast"}}"##;

#[test]
fn okta_array_and_lines() {
    let arr = format!("[{OKTA}, {}]", OKTA.replace("u-1", "u-2"));
    let (ev, q) = auto(arr.as_bytes());
    assert!(q.is_empty());
    assert_eq!(ev.len(), 2);
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::Authentication);
    assert_eq!(e.auth.as_ref().unwrap().mfa_factor.as_deref(), Some("push"));
    let geo = e.src_endpoint.as_ref().unwrap().geo.as_ref().unwrap();
    assert_eq!(geo.city.as_deref(), Some("Boston"));
    assert_eq!(geo.lat, Some(42.36));
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob@example.com"));
    assert_eq!(e.actor.session.as_ref().unwrap().uid.as_deref(), Some("sess-1"));
    assert_eq!(e.time, 1_704_164_645_678);
    let (lines, _) = auto(format!("{OKTA}\n{}\n", OKTA.replace("u-1", "u-2")).as_bytes());
    assert_eq!(lines.iter().map(|e| &e.id).collect::<Vec<_>>(), ev.iter().map(|e| &e.id).collect::<Vec<_>>());
}

#[test]
fn windows_shapes_map_to_the_same_fields() {
    let evtx_json = r##"{"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4624,"TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:25.523718Z"}},"EventRecordID":1,"Channel":"Security","Computer":"WS1"},"EventData":{"TargetUserName":"alice","TargetDomainName":"CORP","LogonType":3,"IpAddress":"10.0.0.5","IpPort":"5050","AuthenticationPackageName":"NTLM","WorkstationName":"WS2"}}}"##;
    let nxlog = r##"{"EventID":4624,"Channel":"Security","Hostname":"WS1","SourceName":"Microsoft-Windows-Security-Auditing","@timestamp":"2019-03-19T23:34:25.523Z","TargetUserName":"alice","TargetDomainName":"CORP","LogonType":"3","IpAddress":"10.0.0.5","IpPort":"5050","AuthenticationPackageName":"NTLM","WorkstationName":"WS2"}"##;
    let beat = r##"{"@timestamp":"2019-03-19T23:34:25.523Z","winlog":{"event_id":"4624","channel":"Security","computer_name":"WS1","provider_name":"Microsoft-Windows-Security-Auditing","record_id":1,"event_data":{"TargetUserName":"alice","TargetDomainName":"CORP","LogonType":"3","IpAddress":"10.0.0.5","IpPort":"5050","AuthenticationPackageName":"NTLM","WorkstationName":"WS2"}}}"##;
    let beat6 = r##"{"@timestamp":"2019-03-19T23:34:25.523Z","@metadata":{"beat":"winlogbeat","version":"6.7.0"},"event_id":4624,"log_name":"Security","computer_name":"WS1","source_name":"Microsoft-Windows-Security-Auditing","record_number":"1","event_data":{"TargetUserName":"alice","TargetDomainName":"CORP","LogonType":"3","IpAddress":"10.0.0.5","IpPort":"5050","AuthenticationPackageName":"NTLM","WorkstationName":"WS2"}}"##;
    for raw in [evtx_json, nxlog, beat, beat6] {
        let (ev, q) = auto(raw.as_bytes());
        assert!(q.is_empty(), "{q:?}");
        let e = &ev[0];
        assert_eq!(e.class, OcsfClass::Authentication, "{raw}");
        assert_eq!(e.status, Some(vigil_model::Status::Success));
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("alice"));
        assert_eq!(e.auth.as_ref().unwrap().logon_type.as_deref(), Some("3"));
        assert_eq!(e.auth.as_ref().unwrap().is_remote, Some(true));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("10.0.0.5"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().port, Some(5050));
        assert_eq!(e.device.as_ref().unwrap().hostname.as_deref(), Some("WS1"));
        assert_eq!(e.metadata.event_code.as_deref(), Some("4624"));
    }
}

#[test]
fn sysmon_process_creation() {
    let raw = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:25Z"}},"EventRecordID":9,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"WS1"},"EventData":{"Image":"C:\\Windows\\System32\\vssadmin.exe","CommandLine":"vssadmin delete shadows /all /quiet","ProcessId":"4242","ParentImage":"C:\\Windows\\System32\\cmd.exe","User":"CORP\\alice","Hashes":"SHA256=AB"}}}"##;
    let (ev, _) = auto(raw.as_bytes());
    let p = ev[0].process.as_ref().unwrap();
    assert_eq!(ev[0].class, OcsfClass::ProcessActivity);
    assert_eq!(p.name.as_deref(), Some("vssadmin.exe"));
    assert_eq!(p.pid, Some(4242));
    assert_eq!(p.cmd_line.as_deref(), Some("vssadmin delete shadows /all /quiet"));
    assert_eq!(ev[0].actor.user.as_ref().unwrap().name.as_deref(), Some("alice"));
    assert_eq!(ev[0].metadata.product, "Sysmon");
}

#[test]
fn zeek_json_and_tsv() {
    let j = r##"{"_path":"dns","ts":"2018-03-24T17:15:20.865716Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":41772,"id.resp_h":"10.0.0.100","id.resp_p":53,"proto":"udp","query":"example.org","qtype_name":"A","rcode_name":"NOERROR","answers":["1.2.3.4","5.6.7.8"]}"##;
    let (ev, q) = auto(j.as_bytes());
    assert!(q.is_empty());
    assert_eq!(ev[0].class, OcsfClass::DnsActivity);
    assert_eq!(ev[0].dns.as_ref().unwrap().answers.as_deref(), Some("1.2.3.4,5.6.7.8"));
    assert_eq!(ev[0].dst_endpoint.as_ref().unwrap().port, Some(53));
    let tsv = "#separator \\x09\n#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\torig_bytes\tresp_bytes\n#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tcount\n1521911720.865716\tC2\t10.0.0.1\t5\t10.0.0.2\t443\ttcp\t100\t-\n";
    let (ev, q) = auto(tsv.as_bytes());
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].class, OcsfClass::NetworkActivity);
    assert_eq!(ev[0].traffic.as_ref().unwrap().bytes_out, Some(100));
    assert_eq!(ev[0].traffic.as_ref().unwrap().bytes_in, None);
    // Logs without a ts column take the #open time.
    let tsv = "#separator \\x09\n#path\tloaded_scripts\n#open\t2018-03-24-17-15-20\n#fields\tname\n#types\tstring\n/opt/zeek/base.zeek\n";
    let (ev, q) = auto(tsv.as_bytes());
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].time, 1_521_911_720_000);
    assert_eq!(ev[0].metadata.log_name.as_deref(), Some("loaded_scripts"));
}

#[test]
fn panther_fixture_envelope_is_unwrapped() {
    let line = format!(r##"{{"rule_id":"X","log_types":["AWS.CloudTrail"],"expected_result":true,"log":{CT}}}"##);
    let (ev, q) = auto(line.as_bytes());
    assert!(q.is_empty());
    assert_eq!(ev[0].class, OcsfClass::ApiActivity);
    let (direct, _) = auto(CT.as_bytes());
    assert_eq!(ev[0].id, direct[0].id, "the id is the vendor record's, not the envelope's");
    assert_eq!(ev[0].raw, line, "raw is the line as read");
}

#[test]
fn malformed_lines_are_quarantined_and_the_rest_kept() {
    let data = format!("{CT}\n{{\"broken\": \n\u{0}\u{1}\n{OKTA}\n[1,2]\n\"just a string\"\n{{\"no\":\"time\"}}\n");
    let (ev, q) = auto(data.as_bytes());
    assert_eq!(ev.len(), 2);
    assert_eq!(q.len(), 5, "{q:#?}");
    assert!(q[0].locator.starts_with("line 2"), "{}", q[0].locator);
    assert!(q[0].reason.contains("invalid JSON"));
    assert!(q.iter().any(|r| r.reason.contains("no usable timestamp")));
    assert!(q.iter().any(|r| r.reason.contains("not an event record")));
}

#[test]
fn a_stray_nul_spoils_one_line_not_the_file() {
    let data = format!("{CT}\n{{\"a\u{0}\":1}}\n{OKTA}\n");
    let (ev, q) = auto(data.as_bytes());
    assert_eq!((ev.len(), q.len()), (2, 1));
}

#[test]
fn invalid_utf8_and_wrong_types() {
    let mut data = CT.as_bytes().to_vec();
    data.extend_from_slice(
        b"\n{\"eventVersion\":\"1\",\"eventSource\":\"s3\",\"eventName\":\"X\",\"eventTime\":\"\xff\xfe\"}\n",
    );
    data.extend_from_slice(
        b"{\"eventVersion\":\"1\",\"eventSource\":\"s3\",\"eventName\":\"X\",\"eventTime\":12.5e400}\n",
    );
    data.extend_from_slice(b"{\"eventVersion\":\"1\",\"eventSource\":\"s3\",\"eventName\":\"X\",\"eventTime\":[1]}\n");
    data.extend_from_slice(
        b"{\"eventVersion\":\"1\",\"eventSource\":\"s3\",\"eventName\":\"X\",\"eventTime\":\"not a time\"}\n",
    );
    let (ev, q) = auto(&data);
    assert_eq!(ev.len(), 1);
    assert_eq!(q.len(), 4, "{q:#?}");
    assert!(q[0].reason.contains("UTF-8"), "{}", q[0].reason);
    assert!(q[3].reason.contains("eventTime"), "{}", q[3].reason);
}

#[test]
fn a_ten_megabyte_field_is_quarantined_with_a_bounded_excerpt() {
    let big = format!(
        r##"{{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"X","eventTime":"2023-07-10T12:20:00Z","blob":"{}"}}"##,
        "A".repeat(10 << 20)
    );
    let data = format!("{big}\n{CT}\n");
    let (ev, q) = auto(data.as_bytes());
    assert_eq!(ev.len(), 1);
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("exceeds"));
    assert!(q[0].excerpt.len() <= QuarantineRecord::EXCERPT_MAX);
    assert_eq!(q[0].size as usize, big.len());
    // With a larger limit the same record decodes.
    let (ev, q) = run(data.as_bytes(), &Options { max_record_bytes: 16 << 20, ..Options::default() });
    assert_eq!((ev.len(), q.len()), (2, 0));
}

#[test]
fn truncated_records_envelope_keeps_whole_records() {
    let env = format!("{{\"Records\":[{CT},{},{}", CT.replace("E1", "E2"), &CT[..40]);
    let (ev, q) = auto(env.as_bytes());
    assert_eq!(ev.len(), 2);
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("truncated"), "{}", q[0].reason);
}

#[test]
fn empty_binary_and_unknown_inputs() {
    assert_eq!(auto(b"").0.len() + auto(b"").1.len(), 0);
    assert_eq!(auto(b"\n\n  \n").1.len(), 0);
    let (ev, q) = auto(&[0u8, 1, 2, 3, 0, 0, 7]);
    assert!(ev.is_empty());
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("binary"));
    let (_, q) = auto(&[0xd4, 0xc3, 0xb2, 0xa1, 0, 0]);
    assert!(q[0].reason.contains("pcap"));
    let (_, q) = auto(b"ElfFile\0garbage");
    assert_eq!(q.len(), 1);
    assert!(q[0].reason.contains("EVTX"), "{}", q[0].reason);
}

#[test]
fn forced_format_quarantines_records_it_cannot_read() {
    let data = format!("{CT}\n{OKTA}\n");
    let (ev, q) = run(data.as_bytes(), &Options { format: "okta".parse().unwrap(), ..Options::default() });
    assert_eq!(ev.len(), 1);
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].format, "okta");
    assert!(q[0].reason.contains("published"), "{}", q[0].reason);
}

#[test]
fn hostile_nesting_does_not_crash() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (ev, q) = auto(deep.as_bytes());
    assert_eq!(ev.len() + q.len(), 1);
    let deep_line = format!("{{\"a\":{}1{}}}\n", "[".repeat(10_000), "]".repeat(10_000));
    let (ev, q) = auto(deep_line.as_bytes());
    assert_eq!((ev.len(), q.len()), (0, 1));
    assert!(q[0].reason.contains("recursion") || q[0].reason.contains("JSON"), "{}", q[0].reason);
}

proptest! {
    #[test]
    fn every_line_yields_exactly_one_outcome(lines in proptest::collection::vec("[ -~¡-ÿ]{0,60}", 0..20)) {
        let data = lines.join("\n");
        let (ev, q) = auto(data.as_bytes());
        let nonblank = data.split('\n').filter(|l| !l.trim_end_matches('\r').trim().is_empty()).count();
        let first = data.trim_start().chars().next();
        // Records and array framings have their own counts; JSON lines are one outcome each; other
        // text is one quarantine record for the whole payload.
        match first {
            // One outcome per line, or per document when the first one spans lines.
            Some('{') => prop_assert!(ev.len() + q.len() >= 1 && ev.len() + q.len() <= nonblank),
            Some('[') => {}
            Some(_) => prop_assert_eq!((ev.len(), q.len()), (0, 1)),
            None => prop_assert_eq!(ev.len() + q.len(), 0),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = auto(&data);
        let mut evtx = b"ElfFile\0".to_vec();
        evtx.extend(&data);
        let _ = auto(&evtx);
    }

    #[test]
    fn truncating_a_valid_file_never_panics(cut in 0usize..1200) {
        let env = format!("{{\"Records\": [{CT}, {OKTA}]}}");
        let cut = cut.min(env.len());
        let _ = auto(&env.as_bytes()[..cut]);
    }
}

#[test]
fn concatenated_documents_are_all_read() {
    let two = format!("{{\"Records\":[{CT}]}}\n{{\"Records\":[{}]}}\n", CT.replace("E1", "E2"));
    let (ev, q) = auto(two.as_bytes());
    assert_eq!((ev.len(), q.len()), (2, 0), "{q:?}");
    let arrays = format!("[{OKTA}]\n[{}]\n{}\n", OKTA.replace("u-1", "u-2"), OKTA.replace("u-1", "u-3"));
    let (ev, q) = auto(arrays.as_bytes());
    assert_eq!((ev.len(), q.len()), (3, 0), "{q:?}");
    assert!(ev[2].metadata.locator.starts_with("line 3"), "{}", ev[2].metadata.locator);
    let junk_after = format!("[{OKTA}] trailing words\n");
    let (ev, q) = auto(junk_after.as_bytes());
    assert_eq!((ev.len(), q.len()), (1, 1), "{q:?}");
}

#[test]
fn multibyte_values_in_errors_do_not_panic() {
    let rec = format!(r#"{{"eventVersion":"1","eventSource":"x","eventName":"y","eventTime":"{}"}}"#, "é".repeat(50));
    let (ev, q) = auto(rec.as_bytes());
    assert_eq!((ev.len(), q.len()), (0, 1));
    assert!(q[0].reason.contains("eventTime"));
}

#[test]
fn group_membership_names_the_member_and_the_group() {
    let raw = r##"{"Event":{"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4728,"TimeCreated":{"#attributes":{"SystemTime":"2019-03-19T23:34:25Z"}},"EventRecordID":3,"Channel":"Security","Computer":"DC1"},"EventData":{"MemberName":"CN=Bob Smith,OU=Staff,DC=corp,DC=local","MemberSid":"S-1-5-21-1-1105","TargetUserName":"Domain Admins","TargetDomainName":"CORP","TargetSid":"S-1-5-21-1-512","SubjectUserName":"alice","SubjectLogonId":"0x1"}}}"##;
    let (ev, _) = auto(raw.as_bytes());
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::GroupManagement);
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("Bob Smith"));
    assert_eq!(e.user.as_ref().unwrap().uid.as_deref(), Some("S-1-5-21-1-1105"));
    assert_eq!(e.group.as_ref().unwrap().name.as_deref(), Some("Domain Admins"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("alice"));
}

#[test]
fn kerberos_service_is_not_a_process_and_logons_carry_their_new_session() {
    let tgs = r##"{"EventID":4769,"Channel":"Security","Hostname":"DC1","SourceName":"Microsoft-Windows-Security-Auditing","@timestamp":"2019-03-19T23:34:25.523Z","SeverityValue":2,"TargetUserName":"bob@CORP","ServiceName":"MSSQLSvc","Status":"0x0"}"##;
    let (ev, _) = auto(tgs.as_bytes());
    assert!(ev[0].process.is_none());
    assert_eq!(ev[0].severity, vigil_model::Severity::Informational, "NXLog SeverityValue 2 is INFO");
    let logon = r##"{"EventID":4624,"Channel":"Security","Hostname":"WS1","@timestamp":"2019-03-19T23:34:25.523Z","SubjectLogonId":"0x3e7","TargetLogonId":"0xabc","TargetUserName":"bob","LogonType":"2"}"##;
    let (ev, _) = auto(logon.as_bytes());
    assert_eq!(ev[0].actor.session.as_ref().unwrap().uid.as_deref(), Some("0xabc"));
    let blocked = r##"{"EventID":5157,"Channel":"Security","Hostname":"WS1","@timestamp":"2019-03-19T23:34:25.523Z","SourceAddress":"10.0.0.1","DestAddress":"10.0.0.2","DestPort":"445"}"##;
    let (ev, _) = auto(blocked.as_bytes());
    assert_eq!(ev[0].status, Some(vigil_model::Status::Failure));
}

#[test]
fn assumed_role_actor_is_the_session_name() {
    let rec = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/Admin/alice@corp.com","sessionContext":{"sessionIssuer":{"userName":"Admin","arn":"arn:aws:iam::1:role/Admin"}}},"eventTime":"2023-07-10T12:20:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","eventID":"z"}"#;
    let (ev, _) = auto(rec.as_bytes());
    assert_eq!(ev[0].actor.user.as_ref().unwrap().name.as_deref(), Some("alice@corp.com"));
    assert_eq!(ev[0].actor.session.as_ref().unwrap().issuer.as_deref(), Some("arn:aws:iam::1:role/Admin"));
}

#[test]
fn pretty_printed_documents_are_framed_whole_and_a_broken_one_quarantines_the_rest() {
    let v: serde_json::Value = serde_json::from_str(CT).unwrap();
    let pretty = serde_json::to_string_pretty(&v).unwrap();
    let two = format!("{pretty}\n{}\n", pretty.replace("E1", "E2"));
    let (ev, q) = auto(two.as_bytes());
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].id, auto(CT.as_bytes()).0[0].id, "the same record pretty or on one line is one event");
    assert!(ev[1].metadata.locator.starts_with("document 1 (line "), "{}", ev[1].metadata.locator);
    // Break the second of three documents: it is quarantined, the third is still read.
    let three = format!("{pretty}\n{}\n{}\n", pretty.replace("\"E1\"", "\"E2\" oops"), pretty.replace("E1", "E3"));
    let (ev, q) = auto(three.as_bytes());
    assert_eq!((ev.len(), q.len()), (2, 1), "{q:?}");
    assert!(q[0].reason.contains("invalid JSON"), "{}", q[0].reason);
    assert!(q[0].locator.starts_with("document 1"), "{}", q[0].locator);
    // JSON lines whose first line is cut stay JSON lines: one bad line, the rest read.
    let lines = format!("{}\n{CT}\n{}\n", &CT[..50], CT.replace("E1", "E2"));
    let (ev, q) = auto(lines.as_bytes());
    assert_eq!((ev.len(), q.len()), (2, 1));
    assert!(q[0].locator.starts_with("line 1"), "{}", q[0].locator);
}

#[test]
fn a_line_with_a_value_and_trailing_text_is_one_quarantine_record() {
    for line in ["{}a", "{\"a\":1}{\"b\":2}", "{\"uuid\":\"x\"} trailing"] {
        let (ev, q) = auto(line.as_bytes());
        assert_eq!((ev.len(), q.len()), (0, 1), "{line}: {q:?}");
    }
    // Pretty-printed documents still frame one by one.
    let pretty = "{\n  \"a\": 1\n}\n{\n  \"b\": 2\n}\n";
    let (ev, q) = auto(pretty.as_bytes());
    assert_eq!(ev.len() + q.len(), 2);
}

/// Values a mutated record's field may take: absent-like, wrong types, times in shapes some
/// decoders read and others refuse, and numbers at the edges.
const HOSTILE: &[&str] = &[
    "null",
    "\"\"",
    "\" \"",
    "\"x\"",
    "0",
    "-1",
    "1e300",
    "4624",
    "\"4624\"",
    "\"2024-10-22 15:39:16.2645315\"",
    "\"2024-10-22T15:39:16Z\"",
    "\"/Date(1571234567890)/\"",
    "\"9999-99-99T00:00:00Z\"",
    "1700000000.5",
    "true",
    "[]",
    "{}",
    "[\"a\",1]",
    "{\"@SystemTime\":\"2019-03-19T23:34:25.5237180Z\"}",
    "{\"#attributes\":{\"SystemTime\":\"nope\"}}",
];

/// Every field path of a JSON value (JSON pointers), the value itself first.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                pointers(x, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                pointers(x, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Removes the field at `ptr` (or empties the array slot), or replaces it with `with`.
fn mutate(v: &mut Value, ptr: &str, with: Option<Value>) {
    if ptr.is_empty() {
        *v = with.unwrap_or(Value::Null);
        return;
    }
    let (parent, last) = ptr.rsplit_once('/').unwrap_or(("", ptr));
    let key = last.replace("~1", "/").replace("~0", "~");
    let Some(p) = v.pointer_mut(parent) else { return };
    match (p, with) {
        (Value::Object(m), None) => {
            m.remove(&key);
        }
        (Value::Object(m), Some(w)) => {
            m.insert(key, w);
        }
        (Value::Array(a), w) => {
            if let Some(slot) = key.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *slot = w.unwrap_or(Value::Null);
            }
        }
        _ => {}
    }
}

/// What decoding the record gives: `Ok` when an event was made, else the reason.
fn decodes(d: &'static dyn Decoder, v: &Value) -> Result<(), String> {
    let id = vigil_model::EventId::of_bytes(d.family(), b"{}");
    let mut draft = Draft::new("mutated", "1".into(), d.name(), b"{}", id, None);
    d.decode(v, &mut draft).map_err(|e| e.to_string())?;
    match finish(draft) {
        Decoded::Event(_) => Ok(()),
        Decoded::Quarantine(q) => Err(q.reason),
    }
}

#[test]
fn admits_agrees_with_decode_on_every_sample() {
    for d in DECODERS {
        let v: Value = serde_json::from_str(d.sample()).unwrap_or_else(|e| panic!("{} sample: {e}", d.name()));
        assert_eq!(d.admits(&v).map_err(|e| e.to_string()), Ok(()), "{}", d.name());
        assert_eq!(decodes(*d, &v), Ok(()), "{}", d.name());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]
    /// The offline scan counts the records no rule matched through `admits`, ingest through
    /// `decode`: for any decoder and any damage to its sample record (fields removed, or given
    /// wrong types, unreadable times, other shapes' times), both give the same answer and the
    /// same reason.
    #[test]
    fn admits_agrees_with_decode_on_damaged_records(
        which in 0..DECODERS.len(),
        ops in proptest::collection::vec((any::<usize>(), any::<bool>(), 0..HOSTILE.len()), 1..4),
    ) {
        let d = DECODERS[which];
        let mut v: Value = serde_json::from_str(d.sample()).unwrap_or_else(|e| panic!("{} sample: {e}", d.name()));
        for (at, remove, with) in ops {
            let mut paths = Vec::new();
            pointers(&v, String::new(), &mut paths);
            let ptr = &paths[at % paths.len()];
            let with = (!remove).then(|| serde_json::from_str(HOSTILE[with]).unwrap_or(Value::Null));
            mutate(&mut v, &ptr.clone(), with);
        }
        let admitted = d.admits(&v).map_err(|e| e.to_string());
        prop_assert_eq!(admitted, decodes(d, &v), "{} on {}", d.name(), v);
    }
}
