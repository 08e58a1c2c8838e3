//! The email security products: Proofpoint TAP (`proofpoint`) and Sublime Security (`sublime`) —
//! what each record becomes, the finding a delivered threat, a permitted click or a flagged
//! message states for triage, what is quarantined and why, and the Panther test fixtures in
//! `$VIGIL_CORPUS/panther-analysis-tests/` (skipped, with a message, when `VIGIL_CORPUS` is not
//! set).

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_decode::detect;
use vigil_model::{Level, OcsfClass, Severity, Status};

mod common;
use common::{auto, corpus, findings, fixture, panther_fixture_files, quarantined_with_reasons};

const CORPUS: &str = "the email security corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "email.json";

#[test]
fn proofpoint_event_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let text = fixture(&root, "Proofpoint_Event.jsonl");
    let (ev, q) = auto(&text);
    println!("Proofpoint_Event.jsonl: {} decoded, {} quarantined", ev.len(), q.len());
    assert_eq!((ev.len(), q.len()), (35, 0));
    assert!(ev.iter().all(|e| e.metadata.format == "proofpoint" && e.class == OcsfClass::EmailActivity));
    assert!(ev.iter().all(|e| e.src_endpoint.as_ref().is_some_and(|s| s.ip.is_some())
        && e.actor.user.as_ref().is_some_and(|u| u.email.is_some())
        && e.user.as_ref().is_some_and(|u| u.email.is_some())
        && e.message.is_some()));
    // The API gives a quarantine folder only for blocked messages.
    let blocked = ev.iter().filter(|e| e.status == Some(Status::Failure)).count();
    let delivered = ev.iter().filter(|e| e.status == Some(Status::Success)).count();
    println!("blocked {blocked}, delivered {delivered}");
    assert_eq!((blocked, delivered), (BLOCKED, 35 - BLOCKED));
    assert!(
        ev.iter()
            .filter(|e| e.status == Some(Status::Failure))
            .all(|e| e.status_detail.as_deref().is_some_and(|d| d.starts_with("blocked; quarantined to ")))
    );
    let fs = findings("proofpoint", &text);
    let open: Vec<_> = fs.iter().flatten().filter(|f| f.open).collect();
    let closed = fs.iter().flatten().filter(|f| !f.open).count();
    println!("findings: {} open, {closed} closed", open.len());
    // Two delivered messages carry an active threat (a credential phish link and a malware
    // attachment); three delivered ones had theirs cleared; every other threat was blocked.
    assert_eq!((open.len(), closed), (2, 3));
    assert_eq!(open[0].rule_id, "proofpoint:message-delivered-phish");
    assert_eq!(open[0].tags, vec!["attack.initial-access", "attack.t1566", "attack.t1566.002"]);
    assert_eq!(open[0].confidence, Some(75));
    assert_eq!(open[1].rule_id, "proofpoint:message-delivered-malware");
    assert_eq!(open[1].tags, vec!["attack.initial-access", "attack.t1566", "attack.t1566.001"]);
    assert!(open.iter().all(|f| f.level == Level::High && f.product == "Proofpoint TAP" && f.uid.is_some()));
    // Blocked threats are kept as events with the threat's severity.
    let multi = ev.iter().find(|e| e.message.as_deref() == Some("Critical Update Required")).unwrap();
    assert_eq!((multi.status, multi.severity), (Some(Status::Failure), Severity::High));
    assert!(multi.status_detail.as_deref().unwrap().contains("malware attachment update.zip (active)"));
}

/// Blocked messages in the Proofpoint fixtures: those with a quarantine folder.
const BLOCKED: usize = 18;

#[test]
fn sublime_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let text = fixture(&root, "Sublime_MessageEvent.jsonl");
    let (ev, q) = auto(&text);
    println!("Sublime_MessageEvent.jsonl: {} decoded, {} quarantined", ev.len(), q.len());
    assert_eq!((ev.len(), q.len()), (1, 0));
    let e = &ev[0];
    assert_eq!((e.metadata.format.as_str(), e.class), ("sublime", OcsfClass::EmailActivity));
    assert_eq!(e.severity, Severity::Medium);
    assert_eq!(e.metadata.original_uid.as_deref(), Some("019224ec-aba6-763d-bb2e-cd4cbd40a29f"));
    let f = findings("sublime", &text).remove(0).unwrap();
    assert!(f.open);
    // Five rules flagged it; the export states no severities, so medium.
    assert_eq!(f.level, Level::Medium);
    assert!(f.title.starts_with("Credential phishing: Engaging language"), "{}", f.title);
    assert!(f.title.ends_with(" and 2 more"), "{}", f.title);
    assert_eq!(f.rule_id, "sublime:Credential phishing: Engaging language and other indicators (untrusted sender)");

    let text = fixture(&root, "Sublime_Audit.jsonl");
    let (ev, q) = auto(&text);
    println!("Sublime_Audit.jsonl: {} decoded, {} quarantined", ev.len(), q.len());
    assert_eq!((ev.len(), q.len()), (6, 0));
    assert!(ev.iter().all(|e| e.metadata.format == "sublime" && e.class == OcsfClass::ApiActivity));
    assert!(ev.iter().all(|e| e.actor.user.as_ref().unwrap().email.as_deref() == Some("john.doe@sublime.security")));
    assert!(ev.iter().all(|e| e.src_endpoint.as_ref().unwrap().ip.as_deref() == Some("1.2.3.4")));
    let ops: Vec<_> = ev.iter().map(|e| e.api.as_ref().unwrap().operation.clone().unwrap()).collect();
    assert!(ops.contains(&"rules.delete".to_string()));
    assert!(findings("sublime", &text).iter().all(Option::is_none), "audit events are no findings");
}

#[test]
fn what_they_cannot_read_is_quarantined_naming_why() {
    quarantined_with_reasons(
        "proofpoint",
        &[
            (r#"{"messageTime":"later","spamScore":3}"#, "'messageTime'"),
            (r#"{"threatsInfoMap":[]}"#, "no usable timestamp"),
            (r#"{"messageTime":"2024-01-01T00:00:00Z","threatsInfoMap":"all"}"#, "'threatsInfoMap'"),
            (r#"{"clickTime":"2024-01-01T00:00:00Z","clickIP":"192.0.2.1"}"#, "missing required field 'url'"),
            (r#"{"messageTime":"2024-01-01T00:00:00Z","eventType":"clicksPermitted"}"#, "names a click"),
            (r#""message""#, "not a Proofpoint TAP event"),
            (r#"{"messageTime":"2024-01-01T00:00:00Z","spamScore":1,"threatsInfoMap":[{"#, "invalid JSON"),
        ],
    );
    quarantined_with_reasons(
        "sublime",
        &[
            (r#"{"created_at":"2024-01-01 00:00:00","data":{}}"#, "missing required field 'type'"),
            (r#"{"type":"rules.delete","created_at":"yesterday"}"#, "'created_at'"),
            (r#"{"type":"message.flagged","created_at":"2024-01-01 00:00:00","data":{}}"#, "'data.message'"),
            (
                r#"{"type":"message.flagged","created_at":"2024-01-01 00:00:00","data":{"message":{},"flagged_rules":{}}}"#,
                "'data.flagged_rules'",
            ),
            (r#"null"#, "not a Sublime Security event"),
        ],
    );
}

/// Sniffing takes a record for either only where the fixture says it is one.
#[test]
fn no_other_panther_fixture_is_taken_for_an_email_product() {
    let Some(root) = corpus(CORPUS) else { return };
    let mut taken = BTreeMap::new();
    for f in panther_fixture_files(&root) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            let name = detect(record).name();
            let declared: Vec<String> = v
                .get("log_types")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let ours = declared.iter().any(|t| t.starts_with("Proofpoint.") || t.starts_with("Sublime."));
            if name == "proofpoint" || name == "sublime" {
                assert!(ours, "{}: taken for {name}: {line}", f.display());
                *taken.entry(name).or_insert(0) += 1;
            } else {
                assert!(!ours, "{}: not sniffed as the email product it is ({name}): {line}", f.display());
            }
        }
    }
    println!("sniffed: {taken:?}");
    assert_eq!(taken.get("proofpoint"), Some(&35));
    assert_eq!(taken.get("sublime"), Some(&7));
}
