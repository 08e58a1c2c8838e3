//! The Cisco Duo decoder: authentication log (v2) and administrator log records as the Admin API
//! returns them and Panther stores them, what each field becomes, what is quarantined and why,
//! and the Panther test fixtures in `$VIGIL_CORPUS/panther-analysis-tests/Duo_Authentication.jsonl`
//! and `Duo_Administrator.jsonl` (skipped, with a message, when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::detect;
use vigil_model::{Event, OcsfClass, QuarantineRecord, Status, account_change, api, authentication};

mod common;
use common::{auto, corpus, panther_fixture_files, quarantined_with_reasons};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Duo corpus tests";

/// The unit the payloads are decoded as.
const UNIT: &str = "duo.json";

const BYPASS: &str = r#"{"access_device":{"browser":"Chrome","browser_version":"121.0","hostname":"laptop-7","ip":"198.51.100.40","location":{"city":"Lyon","country":"France","state":"Auvergne-Rhone-Alpes"},"os":"Windows","os_version":"11"},"alias":"","application":{"key":"DIY231J8BR23QK4UKBY8","name":"VPN"},"auth_device":{"ip":null,"location":{},"name":null},"email":"","event_type":"authentication","factor":"bypass_code","isotimestamp":"2024-02-01T15:04:11.000000+00:00","ood_software":null,"reason":"bypass_user","result":"success","timestamp":1706799851,"trusted_endpoint_status":"not trusted","txid":"340a23e3-23f3-4ad9-8d1f-1c2e3d4f5a6b","user":{"groups":["VPN users"],"key":"DU3KC77WJ06Y5HIV7XKQ","name":"jdoe@example.com"}}"#;

#[test]
fn authentication_record_maps_field_by_field() {
    let (ev, q) = auto(BYPASS);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(detect(&serde_json::from_str(BYPASS).unwrap()).name(), "duo");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, authentication::LOGON));
    assert_eq!(e.status, Some(Status::Success));
    assert_eq!(e.status_detail.as_deref(), Some("success: bypass_user"));
    assert_eq!(e.time, 1_706_799_851_000);
    assert_eq!(e.metadata.format, "duo");
    assert_eq!(e.metadata.product, "Duo Authentication Log");
    assert_eq!(e.metadata.vendor, "Cisco");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("340a23e3-23f3-4ad9-8d1f-1c2e3d4f5a6b"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("authentication"));
    let u = e.user.as_ref().unwrap();
    assert_eq!((u.name.as_deref(), u.uid.as_deref()), (Some("jdoe@example.com"), Some("DU3KC77WJ06Y5HIV7XKQ")));
    assert_eq!(u.email.as_deref(), Some("jdoe@example.com"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("jdoe@example.com"));
    let src = e.src_endpoint.as_ref().unwrap();
    assert_eq!((src.ip.as_deref(), src.hostname.as_deref()), (Some("198.51.100.40"), Some("laptop-7")));
    let geo = src.geo.as_ref().unwrap();
    assert_eq!((geo.city.as_deref(), geo.country.as_deref()), (Some("Lyon"), Some("France")));
    assert_eq!(e.device.as_ref().unwrap().os.as_deref(), Some("Windows"));
    let au = e.auth.as_ref().unwrap();
    assert_eq!((au.mfa_factor.as_deref(), au.is_mfa), (Some("bypass_code"), Some(true)));
    let a = e.api.as_ref().unwrap();
    assert_eq!((a.service.as_deref(), a.request_data.as_deref()), (Some("duo"), Some("VPN")));
    assert_eq!(a.request_uid.as_deref(), Some("340a23e3-23f3-4ad9-8d1f-1c2e3d4f5a6b"));
    assert_eq!(e.raw, BYPASS);
}

#[test]
fn results_and_event_types() {
    let rec = |result: &str, event_type: &str| {
        format!(
            r#"{{"txid":"t","timestamp":1706799851,"factor":"duo_push","result":"{result}","reason":"r","event_type":"{event_type}","user":{{"name":"u"}}}}"#
        )
    };
    let cases = [
        ("success", "authentication", authentication::LOGON, Some(Status::Success)),
        ("denied", "authentication", authentication::LOGON, Some(Status::Failure)),
        ("fraud", "authentication", authentication::LOGON, Some(Status::Failure)),
        ("failure", "enrollment", authentication::OTHER, Some(Status::Failure)),
        ("something", "authentication", authentication::LOGON, None),
    ];
    for (result, et, activity, status) in cases {
        let (ev, q) = auto(&rec(result, et));
        assert!(q.is_empty(), "{q:?}");
        assert_eq!((ev[0].class, ev[0].activity_id, ev[0].status), (OcsfClass::Authentication, activity, status));
    }
    let (ev, _) = auto(&rec("fraud", "authentication"));
    assert_eq!(ev[0].severity, vigil_model::Severity::High);
}

/// Epoch seconds (the Admin API's `timestamp`) read as seconds, not milliseconds.
#[test]
fn epoch_seconds_and_iso_times() {
    let secs =
        r#"{"action":"user_update","username":"Admin","object":"jdoe","timestamp":1706799851,"description":"{}"}"#;
    let (ev, _) = auto(secs);
    assert_eq!(ev[0].time, 1_706_799_851_000);
    let iso = secs.replace(r#""timestamp":1706799851"#, r#""timestamp":1,"isotimestamp":"2024-02-01T15:04:12+00:00""#);
    let (ev, _) = auto(&iso);
    assert_eq!(ev[0].time, 1_706_799_852_000, "isotimestamp comes first");
}

#[test]
fn administrator_records() {
    let line = r#"{"action":"bypass_create","description":"{\"bypass\": \"\", \"count\": 1, \"valid_secs\": 3600}","isotimestamp":"2022-12-14T21:17:39+00:00","object":"target@example.io","timestamp":1671052659,"username":"Homer Simpson"}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(detect(&serde_json::from_str(line).unwrap()).name(), "duo");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::CREATE));
    assert_eq!(e.time, 1_671_052_659_000);
    assert_eq!(e.metadata.product, "Duo Administrator Log");
    assert_eq!(e.metadata.event_code.as_deref(), Some("bypass_create"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("Homer Simpson"));
    assert_eq!(e.api.as_ref().unwrap().request_data.as_deref(), Some("target@example.io"));
    assert!(e.message.as_deref().is_some_and(|m| m.contains("valid_secs")));

    let rec = |action: &str| {
        format!(
            r#"{{"action":"{action}","username":"Admin","object":"jdoe","timestamp":1671052659,"description":"{{}}"}}"#
        )
    };
    let cases = [
        ("admin_login", OcsfClass::Authentication, authentication::LOGON, Some(Status::Success)),
        ("admin_2fa_error", OcsfClass::Authentication, authentication::LOGON, Some(Status::Failure)),
        ("user_create", OcsfClass::AccountChange, account_change::CREATE, None),
        ("user_delete", OcsfClass::AccountChange, account_change::DELETE, None),
        ("admin_lockout", OcsfClass::AccountChange, account_change::LOCK, None),
        ("user_update", OcsfClass::AccountChange, account_change::OTHER, None),
        ("integration_skey_view", OcsfClass::ApiActivity, api::READ, None),
        ("policy_update", OcsfClass::ApiActivity, api::UPDATE, None),
    ];
    for (action, class, activity, status) in cases {
        let (ev, q) = auto(&rec(action));
        assert!(q.is_empty(), "{action}: {q:?}");
        assert_eq!((ev[0].class, ev[0].activity_id, ev[0].status), (class, activity, status), "{action}");
    }
    let (ev, _) = auto(&rec("user_delete"));
    assert_eq!(ev[0].user.as_ref().unwrap().name.as_deref(), Some("jdoe"), "the account acted on");
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (r#"{"txid":"t","factor":"sms","timestamp":1706799851}"#, "missing required field 'result'"),
        (r#"{"txid":"t","result":7,"timestamp":1706799851}"#, "'result'"),
        (r#"{"action":"","username":"a","timestamp":1706799851}"#, "'action'"),
        (r#"{"action":{"x":1},"username":"a","timestamp":1706799851}"#, "'action'"),
        (r#"{"username":"a","timestamp":1706799851}"#, "missing required field 'result'"),
        (
            r#"{"txid":"t","result":"success"}"#,
            "no usable timestamp (looked for isotimestamp, timestamp, p_event_time)",
        ),
        (r#"{"txid":"t","result":"success","timestamp":"soon"}"#, "'timestamp'"),
        (r#"{"action":"user_update","username":"a","isotimestamp":"x"}"#, "'isotimestamp'"),
        (r#""txid""#, "not a Duo log record"),
        (r#"null"#, "not a Duo log record"),
    ];
    quarantined_with_reasons("duo", &cases);
}

/// A fixture file's record count, events, quarantine records and reasons counted.
type Fixtures = (usize, Vec<Event>, Vec<QuarantineRecord>, BTreeMap<String, usize>);

fn fixtures(name: &str) -> Option<Fixtures> {
    let root = corpus(CORPUS)?;
    let path = root.join("panther-analysis-tests").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("{name}: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    for (why, n) in &reasons {
        println!("  {n} quarantined: {why}");
    }
    assert_eq!(ev.len() + q.len(), lines, "one outcome per record");
    for r in &q {
        assert_eq!(r.format, "duo", "every envelope declares a Duo log type: {r:?}");
    }
    Some((lines, ev, q, reasons))
}

#[test]
fn panther_duo_authentication_fixtures() {
    let Some((lines, ev, q, reasons)) = fixtures("Duo_Authentication.jsonl") else { return };
    // Panther's rule tests give authentication records no time (and no txid): every one is
    // read as Duo, by its envelope, and quarantined for its time.
    assert_eq!((lines, ev.len(), q.len()), (14, 0, 14));
    assert_eq!(reasons.get("no usable timestamp (looked for isotimestamp, timestamp, p_event_time)"), Some(&14));
    // With a time they decode; one carries the shape SigmaHQ's bypass-code rule matches.
    let root = corpus(CORPUS).unwrap();
    let text = std::fs::read_to_string(root.join("panther-analysis-tests/Duo_Authentication.jsonl")).unwrap();
    let timed: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["log"]["timestamp"] = serde_json::json!(1_706_799_851);
            v.to_string()
        })
        .collect();
    let (ev, q) = auto(&timed.join("\n"));
    assert_eq!((ev.len(), q.len()), (14, 0), "{q:?}");
    assert!(ev.iter().all(|e| e.class == OcsfClass::Authentication && e.time == 1_706_799_851_000));
}

#[test]
fn panther_duo_administrator_fixtures() {
    let Some((lines, ev, q, _)) = fixtures("Duo_Administrator.jsonl") else { return };
    assert_eq!((lines, ev.len(), q.len()), (28, 28, 0));
    let mut classes = BTreeMap::new();
    for e in &ev {
        *classes.entry(format!("{:?}", e.class)).or_insert(0) += 1;
        assert!(e.actor.user.as_ref().and_then(|u| u.name.as_deref()).is_some());
    }
    println!("  classes: {classes:?}");
    let want: BTreeMap<String, usize> =
        [("AccountChange", 13), ("ApiActivity", 11), ("Authentication", 4)].map(|(k, n)| (k.to_string(), n)).into();
    assert_eq!(classes, want);
    assert_eq!(ev[0].time, 1_671_048_597_000, "2022-12-14 20:09:57, UTC");
}

/// Sniffing takes a record for Duo only where the fixture says it is one.
#[test]
fn no_other_panther_fixture_is_taken_for_duo() {
    let Some(root) = corpus(CORPUS) else { return };
    let files = panther_fixture_files(&root);
    let (mut checked, mut taken) = (0, 0);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            checked += 1;
            if detect(record).name() == "duo" {
                let declared = v
                    .get("log_types")
                    .and_then(|t| t.as_array())
                    .is_some_and(|t| t.iter().any(|x| x.as_str().is_some_and(|s| s.starts_with("Duo."))));
                assert!(declared, "{}: taken for Duo: {line}", f.display());
                taken += 1;
            }
        }
    }
    println!("{checked} Panther fixture records: {taken} sniffed as Duo, each declared one");
    // The 14 authentication fixtures; the administrator fixtures' text timestamps are not the
    // Admin API's epoch seconds, so only their envelopes name them.
    assert_eq!(taken, 14);
    assert!(checked > 0);
}
