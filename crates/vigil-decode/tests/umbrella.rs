//! The Cisco Umbrella DNS decoder: DNS log records as JSON (Panther's names and the Reports
//! API's), what each field becomes, what is quarantined and why, and the Panther test fixture in
//! `$VIGIL_CORPUS/panther-analysis-tests/CiscoUmbrella_DNS.jsonl` (skipped, with a message, when
//! `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::{Format, Options, detect};
use vigil_model::{OcsfClass, Severity, Status};

mod common;
use common::{auto, corpus, panther_fixture_files, quarantined_with_reasons, run};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Umbrella corpus tests";

/// The unit the payloads are decoded as.
const UNIT: &str = "umbrella.json";

const BLOCKED: &str = r#"{"timestamp":"2024-02-01 15:04:11.000","mostGranularIdentity":"Jane Doe (jdoe@example.com)","mostGranularIdentityType":"AD Users","identities":"Jane Doe (jdoe@example.com),laptop-7,HQ Network","identityTypes":"AD Users,AD Computers,Networks","internalIp":"10.1.2.3","externalIp":"203.0.113.7","action":"Blocked","queryType":"16 (TXT)","responseCode":"NOERROR","domain":"pool.minexmr.com.","categories":"Cryptomining,Malware","blockedCategories":"Cryptomining"}"#;

#[test]
fn blocked_query_maps_field_by_field() {
    let (ev, q) = auto(BLOCKED);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(detect(&serde_json::from_str(BLOCKED).unwrap()).name(), "umbrella");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::DnsActivity, 2));
    assert_eq!(e.time, 1_706_799_851_000);
    assert_eq!((e.status, e.severity), (Some(Status::Failure), Severity::Low));
    assert_eq!(e.status_detail.as_deref(), Some("Blocked"));
    assert_eq!(e.metadata.format, "umbrella");
    assert_eq!((e.metadata.product.as_str(), e.metadata.vendor.as_str()), ("Umbrella DNS", "Cisco"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("dns"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("Blocked"));
    let dns = e.dns.as_ref().unwrap();
    assert_eq!(dns.query.as_deref(), Some("pool.minexmr.com"), "without the trailing dot");
    assert_eq!((dns.qtype.as_deref(), dns.rcode.as_deref()), (Some("TXT"), Some("NOERROR")));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("10.1.2.3"));
    let u = e.user.as_ref().unwrap();
    assert_eq!(u.name.as_deref(), Some("Jane Doe (jdoe@example.com)"));
    assert_eq!(u.email.as_deref(), Some("jdoe@example.com"));
    assert_eq!(e.actor.user.as_ref().unwrap().email.as_deref(), Some("jdoe@example.com"));
    assert!(e.device.is_none());
    let m = e.message.as_deref().unwrap();
    assert!(m.contains("categories: Cryptomining, Malware") && m.contains("blocked categories: Cryptomining"), "{m}");
    assert_eq!(e.raw, BLOCKED);
}

#[test]
fn allowed_query_from_a_device() {
    let line = r#"{"timestamp":"2024-02-01 15:04:12.000","mostGranularIdentity":"laptop-7","identities":["laptop-7"],"internalIp":"10.1.2.3","externalIp":"203.0.113.7","action":"Allowed","queryType":"1 (A)","responseCode":"NXDOMAIN","domain":"nosuch.example.org."}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.status, e.severity), (Some(Status::Success), Severity::Informational));
    let dev = e.device.as_ref().unwrap();
    assert_eq!((dev.hostname.as_deref(), dev.ip.as_deref()), (Some("laptop-7"), Some("10.1.2.3")));
    assert_eq!(e.src_endpoint.as_ref().unwrap().hostname.as_deref(), Some("laptop-7"));
    assert!(e.user.is_none());
    let dns = e.dns.as_ref().unwrap();
    assert_eq!((dns.qtype.as_deref(), dns.rcode.as_deref()), (Some("A"), Some("NXDOMAIN")));
    assert_eq!(e.message.as_deref(), Some("Allowed nosuch.example.org"));
}

/// The Reports API's lower-case names, its verdict, epoch milliseconds and labelled lists.
#[test]
fn reports_api_records() {
    let line = r#"{"timestamp":1706799851000,"internalip":"10.1.2.3","externalip":"203.0.113.7","verdict":"blocked","querytype":"AAAA","returncode":3,"domain":"evil.example","identities":[{"id":1,"label":"HQ Network","type":{"type":"network"}}],"categories":[{"id":68,"label":"Malware"}]}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.metadata.format, "umbrella");
    assert_eq!((e.time, e.status), (1_706_799_851_000, Some(Status::Failure)));
    let dns = e.dns.as_ref().unwrap();
    assert_eq!(
        (dns.query.as_deref(), dns.qtype.as_deref(), dns.rcode.as_deref()),
        (Some("evil.example"), Some("AAAA"), Some("3"))
    );
    assert!(e.user.is_none() && e.device.is_none(), "a network is neither");
    assert!(e.message.as_deref().is_some_and(|m| m.contains("Malware")));
}

/// Without an internal IP the external one is the source; odd field types are left out, not fatal.
#[test]
fn partial_and_odd_records_still_decode() {
    let line = r#"{"timestamp":"2020-05-21 19:20:25.000","externalIp":"136.24.229.58","action":{"x":1},"queryType":[1],"responseCode":null,"domain":".","categories":7,"mostGranularIdentity":"HQ Network"}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("136.24.229.58"));
    assert_eq!((e.status, e.status_detail.as_deref()), (None, None));
    let dns = e.dns.as_ref().unwrap();
    assert_eq!((dns.query.as_deref(), dns.qtype.as_deref(), dns.rcode.as_deref()), (Some("."), None, None));
    assert!(e.user.is_none() && e.device.is_none());
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (
            r#"{"timestamp":"2020-05-21 19:20:25.000","internalIp":"10.0.0.1","action":"Allowed"}"#,
            "missing required field 'domain'",
        ),
        (r#"{"timestamp":"2020-05-21 19:20:25.000","domain":null}"#, "missing required field 'domain'"),
        (r#"{"timestamp":"2020-05-21 19:20:25.000","domain":7}"#, "'domain'"),
        (r#"{"timestamp":"2020-05-21 19:20:25.000","domain":"  "}"#, "'domain'"),
        (r#"{"timestamp":"2020-05-21 19:20:25.000","domain":{"a":["b"]}}"#, "'domain'"),
        (
            r#"{"domain":"a.example.","action":"Allowed"}"#,
            "no usable timestamp (looked for timestamp, datetime, p_event_time)",
        ),
        (r#"{"domain":"a.example.","timestamp":"yesterday"}"#, "'timestamp'"),
        (r#"{"domain":"a.example.","timestamp":[1]}"#, "'timestamp'"),
        (r#""domain""#, "not an Umbrella DNS record"),
        (r#"[7]"#, "not an Umbrella DNS record"),
        (r#"null"#, "not an Umbrella DNS record"),
        (r#"{"domain":"a.example.","timestamp":"2020-05-21 19:20:25.000""#, "JSON"),
        (r#"{"domain":"a.exam"#, "JSON"),
    ];
    quarantined_with_reasons("umbrella", &cases);
}

/// Deep nesting and stray bytes are quarantined, one record each, and the next record still decodes.
#[test]
fn hostile_records_do_not_stop_the_next() {
    let deep = format!(r#"{{"domain":"a.","timestamp":1,"x":{}{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let bad_utf8 = String::from_utf8_lossy(b"{\"domain\":\"\xff\xfe\",\"timestamp\":1}").into_owned();
    let data = [deep.as_str(), bad_utf8.as_str(), "\u{0}\u{1}", BLOCKED].join("\n");
    let opts = Options { format: Format::named("umbrella").unwrap(), ..Options::default() };
    let (ev, q) = run(&data, &opts);
    assert_eq!(ev.len() + q.len(), 4, "one outcome per record: {q:?}");
    assert!(ev.iter().any(|e| e.raw == BLOCKED));
    assert!(q.iter().any(|r| r.reason.contains("JSON")), "{q:?}");
}

#[test]
fn panther_cisco_umbrella_dns_fixture() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/CiscoUmbrella_DNS.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
        assert_eq!(r.format, "umbrella", "every envelope declares CiscoUmbrella.DNS first: {r:?}");
    }
    println!("CiscoUmbrella_DNS.jsonl: {lines} records, {} decoded, {} quarantined: {reasons:?}", ev.len(), q.len());
    // Four Umbrella records; the standard SSO-lookalike rule's six tests give CrowdStrike DNS
    // requests under the same first log type, which have no domain.
    assert_eq!((lines, ev.len(), q.len()), (10, 4, 6));
    assert_eq!(reasons.get("missing required field 'domain'"), Some(&6));
    let queries: Vec<&str> = ev.iter().filter_map(|e| e.dns.as_ref()?.query.as_deref()).collect();
    assert_eq!(queries, ["malware.gvt2.com", "beacons3.gvt2.com", "cron.photoscape.ch", "google.com"]);
    let statuses: Vec<Option<Status>> = ev.iter().map(|e| e.status).collect();
    // Panther's suspicious-domain test writes `Allow`: read as Allowed.
    assert_eq!(statuses, [Some(Status::Failure), Some(Status::Success), Some(Status::Success), Some(Status::Success)]);
    for e in &ev {
        assert_eq!(e.class, OcsfClass::DnsActivity);
        assert_eq!(e.time, 1_590_088_825_000, "2020-05-21 19:20:25, UTC");
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("136.24.229.58"));
        assert_eq!(e.dns.as_ref().unwrap().rcode.as_deref(), Some("NOERROR"));
    }
    assert_eq!(ev[0].severity, Severity::Low);
}

/// Sniffing takes a record for Umbrella only where the fixture says it is one.
#[test]
fn no_other_panther_fixture_is_taken_for_umbrella() {
    let Some(root) = corpus(CORPUS) else { return };
    let (mut checked, mut taken) = (0, 0);
    for f in panther_fixture_files(&root) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            checked += 1;
            if detect(record).name() == "umbrella" {
                let declared = v
                    .get("log_types")
                    .and_then(|t| t.as_array())
                    .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("CiscoUmbrella.DNS")));
                assert!(declared, "{}: taken for Umbrella: {line}", f.display());
                taken += 1;
            }
        }
    }
    println!("{checked} Panther fixture records: {taken} sniffed as Umbrella, each declared one");
    // The 4 of CiscoUmbrella_DNS.jsonl and 2 Umbrella records among the DNS fixtures filed
    // with CrowdStrike's FDR events (a rule shared by DNS sources, each naming Umbrella).
    assert_eq!(taken, 6);
    assert!(checked > 0);
}
