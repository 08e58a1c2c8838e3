//! The OneLogin events decoder: the shapes OneLogin writes (Events API items, event broadcaster
//! records) and Panther stores, what each field becomes, what is quarantined and why, and the
//! Panther test fixtures in `$VIGIL_CORPUS/panther-analysis-tests/OneLogin_Events.jsonl`
//! (skipped, with a message, when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::detect;
use vigil_model::{OcsfClass, Status, account_change, api, authentication};

mod common;
use common::{auto, corpus, panther_fixture_files, quarantined_with_reasons};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the OneLogin corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "events.json";

const FAILED: &str = r#"{"id":1234567890,"uuid":"0b0e1f7c-5a4d-4e2b-9c1a-7d3e2f1a0b9c","account_id":55555,"created_at":"2024-02-01T14:58:11.123Z","event_type_id":6,"user_id":3456,"user_name":"Ann Smith","login_name":"ann@example.com","actor_user_id":3456,"actor_user_name":"Ann Smith","ipaddr":"198.51.100.23","app_name":"Salesforce","notes":"Invalid password","risk_score":80,"error_description":"Incorrect password","user_agent":"Mozilla/5.0","directory_sync_run_id":null}"#;

#[test]
fn failed_login_maps_field_by_field() {
    let (ev, q) = auto(FAILED);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(detect(&serde_json::from_str(FAILED).unwrap()).name(), "onelogin");
    assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, authentication::LOGON));
    assert_eq!(e.status, Some(Status::Failure));
    assert_eq!(e.status_detail.as_deref(), Some("Incorrect password"));
    assert_eq!(e.time, 1_706_799_491_123);
    assert_eq!(e.metadata.format, "onelogin");
    assert_eq!(e.metadata.product, "OneLogin");
    assert_eq!(e.metadata.vendor, "OneLogin");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("0b0e1f7c-5a4d-4e2b-9c1a-7d3e2f1a0b9c"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("6"));
    assert_eq!(e.message.as_deref(), Some("Invalid password"));
    assert_eq!(e.severity, vigil_model::Severity::High, "risk score 80");
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!((actor.name.as_deref(), actor.uid.as_deref()), (Some("Ann Smith"), Some("3456")));
    let user = e.user.as_ref().unwrap();
    assert_eq!((user.name.as_deref(), user.uid.as_deref()), (Some("Ann Smith"), Some("3456")));
    assert_eq!(user.email.as_deref(), Some("ann@example.com"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(e.http.as_ref().unwrap().user_agent.as_deref(), Some("Mozilla/5.0"));
    let cloud = e.cloud.as_ref().unwrap();
    assert_eq!((cloud.provider.as_deref(), cloud.account_uid.as_deref()), (Some("OneLogin"), Some("55555")));
    let a = e.api.as_ref().unwrap();
    assert_eq!((a.service.as_deref(), a.operation.as_deref()), (Some("onelogin"), Some("6")));
    assert_eq!(a.request_data.as_deref(), Some("Salesforce"));
    assert_eq!(e.raw, FAILED);
}

#[test]
fn ids_map_to_classes_and_unknown_ids_are_api_activity() {
    let rec = |id: &str| {
        format!(
            r#"{{"event_type_id":{id},"created_at":"2024-02-01T14:58:11Z","account_id":1,"user_id":2,"user_name":"bob","actor_user_id":3,"actor_user_name":"admin","role_name":"Admins"}}"#
        )
    };
    let cases = [
        ("5", OcsfClass::Authentication, authentication::LOGON, Some(Status::Success)),
        ("8", OcsfClass::Authentication, authentication::LOGOFF, Some(Status::Success)),
        ("3", OcsfClass::Authentication, authentication::OTHER, Some(Status::Success)),
        ("13", OcsfClass::AccountChange, account_change::CREATE, None),
        ("17", OcsfClass::AccountChange, account_change::DELETE, None),
        ("11", OcsfClass::AccountChange, account_change::PASSWORD_CHANGE, None),
        ("532", OcsfClass::AccountChange, account_change::LOCK, None),
        ("553", OcsfClass::AccountChange, account_change::LOCK, None),
        ("551", OcsfClass::AccountChange, account_change::DISABLE, None),
        ("\"240\"", OcsfClass::ApiActivity, api::OTHER, None),
        ("99999", OcsfClass::ApiActivity, api::OTHER, None),
    ];
    for (id, class, activity, status) in cases {
        let (ev, q) = auto(&rec(id));
        assert!(q.is_empty(), "{id}: {q:?}");
        let e = &ev[0];
        assert_eq!((e.class, e.activity_id, e.status), (class, activity, status), "{id}");
        assert_eq!(e.metadata.event_code.as_deref(), Some(id.trim_matches('"')), "the id is kept");
        assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("admin"));
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob"));
        assert_eq!(e.api.as_ref().unwrap().request_data.as_deref(), Some("Admins"));
    }
}

#[test]
fn panther_shape_reads_p_event_time() {
    let line = r#"{"rule_id":"x","log_types":["OneLogin.Events"],"log":{"event_type_id":"13","actor_user_id":123456,"user_id":12345,"actor_user_name":"Bob Cat","user_name":"Bob Cat","p_event_time":"2021-06-27 00:08:28.792Z","p_log_type":"OneLogin.Events"}}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!((ev[0].class, ev[0].activity_id), (OcsfClass::AccountChange, account_change::CREATE));
    assert_eq!(ev[0].time, 1_624_752_508_792);
    assert_eq!(ev[0].raw, line);
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (r#"{"user_id":1,"created_at":"2024-02-01T14:58:11Z"}"#, "missing required field 'event_type_id'"),
        (r#"{"event_type_id":null,"created_at":"2024-02-01T14:58:11Z"}"#, "'event_type_id'"),
        (r#"{"event_type_id":"login","created_at":"2024-02-01T14:58:11Z"}"#, "'event_type_id'"),
        (r#"{"event_type_id":-5,"created_at":"2024-02-01T14:58:11Z"}"#, "'event_type_id'"),
        (r#"{"event_type_id":[5],"created_at":"2024-02-01T14:58:11Z"}"#, "'event_type_id'"),
        (r#"{"event_type_id":5,"user_id":1}"#, "no usable timestamp (looked for created_at, p_event_time)"),
        (r#"{"event_type_id":5,"created_at":"yesterday"}"#, "'created_at'"),
        (r#""event_type_id""#, "not a OneLogin event"),
        (r#"5"#, "not a OneLogin event"),
    ];
    quarantined_with_reasons("onelogin", &cases);
}

#[test]
fn panther_onelogin_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/OneLogin_Events.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("OneLogin_Events.jsonl: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    for (why, n) in &reasons {
        println!("  {n} quarantined: {why}");
    }
    assert_eq!(lines, 31);
    assert_eq!(ev.len() + q.len(), lines, "one outcome per record");
    for r in &q {
        assert_eq!(r.format, "onelogin", "every envelope declares OneLogin.Events first: {r:?}");
    }
    // Two fixtures carry a time (Panther's `p_event_time`) and decode; three are a CloudTrail
    // and a Zoom record under an envelope listing OneLogin.Events first, read as OneLogin and
    // quarantined for having no event type id; the other 26 carry no time at all (Panther's
    // rule tests need none).
    assert_eq!((ev.len(), q.len()), (2, 29));
    assert_eq!(reasons.get("missing required field 'event_type_id'"), Some(&3));
    assert_eq!(reasons.get("no usable timestamp (looked for created_at, p_event_time)"), Some(&26));
    assert_eq!(
        ev.iter().map(|e| (e.class, e.metadata.event_code.as_deref())).collect::<Vec<_>>(),
        vec![(OcsfClass::AccountChange, Some("13")), (OcsfClass::Authentication, Some("5"))]
    );
}

/// Sniffing takes a record for OneLogin only where the fixture says it is one.
#[test]
fn no_other_panther_fixture_is_taken_for_onelogin() {
    let Some(root) = corpus(CORPUS) else { return };
    let files = panther_fixture_files(&root);
    let (mut checked, mut taken) = (0, 0);
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            checked += 1;
            if detect(record).name() == "onelogin" {
                let declared = record.get("p_log_type").and_then(|t| t.as_str()) == Some("OneLogin.Events")
                    || v.get("log_types")
                        .and_then(|t| t.as_array())
                        .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("OneLogin.Events")));
                assert!(declared, "{}: taken for OneLogin: {line}", f.display());
                taken += 1;
            }
        }
    }
    println!("{checked} Panther fixture records: {taken} sniffed as OneLogin, each declared one");
    // The 28 OneLogin fixtures with an event type id, and five OneLogin cases of rules shared
    // with other log types, filed under another vendor's fixtures.
    assert_eq!(taken, 33);
    assert!(checked > 0);
}
