//! The security products' own alerts: CrowdStrike Falcon (`crowdstrike`) and Microsoft Graph
//! security alerts / Defender for Endpoint (`defender`) — what each shape becomes, the finding
//! each states for triage, what is quarantined and why, and the Panther test fixtures in
//! `$VIGIL_CORPUS/panther-analysis-tests/` (skipped, with a message, when `VIGIL_CORPUS` is not
//! set).

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_decode::detect;
use vigil_model::{Level, OcsfClass, Severity};

mod common;
use common::{auto, corpus, findings, fixture, panther_fixture_files, quarantined_with_reasons};

const CORPUS: &str = "the vendor alerts corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "alerts.json";

#[test]
fn falcon_event_streams_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let text = fixture(&root, "Crowdstrike_EventStreams.jsonl");
    let (ev, q) = auto(&text);
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    println!("Crowdstrike_EventStreams.jsonl: {} decoded, {} quarantined {reasons:?}", ev.len(), q.len());
    assert_eq!((ev.len(), q.len()), (36, 0));
    assert!(ev.iter().all(|e| e.metadata.format == "crowdstrike"));
    // Five detection summaries (informational to critical), 31 console audit events.
    let found: Vec<_> = ev.iter().filter(|e| e.class == OcsfClass::DetectionFinding).collect();
    assert_eq!(found.len(), 5);
    assert_eq!(
        found.iter().map(|e| e.severity).collect::<Vec<_>>(),
        vec![Severity::Informational, Severity::Low, Severity::Medium, Severity::High, Severity::Critical]
    );
    assert!(found.iter().all(|e| e.device.as_ref().is_some_and(|d| d.hostname.is_some())
        || e.process.as_ref().is_some_and(|p| p.cmd_line.is_some())));
    let audits = ev.iter().filter(|e| e.class == OcsfClass::ApiActivity).count();
    assert_eq!(audits, 31);
    let fs = findings("crowdstrike", &text);
    assert_eq!(fs.iter().flatten().count(), 5, "only detections are findings");
    let levels: Vec<Level> = fs.iter().flatten().map(|f| f.level).collect();
    assert_eq!(levels, vec![Level::Informational, Level::Low, Level::Medium, Level::High, Level::Critical]);
    for f in fs.iter().flatten() {
        assert!(f.open && f.rule_id.starts_with("crowdstrike:") && f.uid.is_some(), "{f:?}");
        assert_eq!(f.product, "CrowdStrike Falcon");
    }
    // ATT&CK tactics named by Falcon become tags; its own words (`Malware`) do not.
    assert!(fs.iter().flatten().any(|f| f.tags.contains(&"attack.execution".to_string())));
    assert!(fs.iter().flatten().all(|f| f.tags.iter().all(|t| t != "attack.malware")));
}

#[test]
fn falcon_detection_summary_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let text = fixture(&root, "Crowdstrike_DetectionSummary.jsonl");
    let (ev, q) = auto(&text);
    println!("Crowdstrike_DetectionSummary.jsonl: {} decoded, {} quarantined", ev.len(), q.len());
    // The flat summary and one inside Falcon Data Replicator's `event` decode; the third, a
    // Falcon Data Replicator record of another type with no time (Panther's non-matching case),
    // is quarantined saying so.
    assert_eq!((ev.len(), q.len()), (2, 1));
    assert!(ev.iter().all(|e| e.metadata.format == "crowdstrike"));
    assert_eq!(q[0].format, "crowdstrike");
    assert!(q[0].reason.contains("not a Falcon alert"), "{}", q[0].reason);
    let first = &ev[0];
    assert_eq!(first.class, OcsfClass::DetectionFinding);
    assert_eq!(first.severity, Severity::Low);
    assert_eq!(first.device.as_ref().unwrap().hostname.as_deref(), Some("macbook"));
    assert_eq!(first.actor.user.as_ref().unwrap().name.as_deref(), Some("bobert"));
    assert_eq!(first.process.as_ref().unwrap().path.as_deref(), Some("/Applications/app.app/Contents/MacOS/pup app"));
    let fs = findings("crowdstrike", &text);
    assert_eq!(fs[0].as_ref().unwrap().rule_id, "crowdstrike:NGAV");
    assert_eq!(fs[1].as_ref().unwrap().rule_id, "crowdstrike:Suspicious Activity");
    assert!(fs[2].is_none());
}

#[test]
fn graph_security_alert_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let text = fixture(&root, "MicrosoftGraph_SecurityAlertV2.jsonl");
    let (ev, q) = auto(&text);
    println!("MicrosoftGraph_SecurityAlertV2.jsonl: {} decoded, {} quarantined", ev.len(), q.len());
    assert_eq!((ev.len(), q.len()), (4, 0));
    assert!(ev.iter().all(|e| e.metadata.format == "defender" && e.class == OcsfClass::DetectionFinding));
    assert_eq!(ev[0].user.as_ref().unwrap().name.as_deref(), Some("homer.simpson@corporation.onmicrosoft.com"));
    assert_eq!(ev[0].src_endpoint.as_ref().unwrap().ip.as_deref(), Some("185.220.103.6"));
    let fs: Vec<_> = findings("defender", &text).into_iter().map(Option::unwrap).collect();
    // Panther's expectations: the new anonymous-IP and password-spray alerts are raised; the
    // resolved one is not; the informational one is a finding below every default threshold.
    assert_eq!(fs.iter().map(|f| f.open).collect::<Vec<_>>(), vec![true, true, false, true]);
    assert_eq!(
        fs.iter().map(|f| f.level).collect::<Vec<_>>(),
        vec![Level::Medium, Level::High, Level::High, Level::Informational]
    );
    assert_eq!(fs[1].product, "Microsoft Defender for Identity");
    assert_eq!(fs[0].rule_id, "defender:Anonymous IP address");
}

#[test]
fn what_they_cannot_read_is_quarantined_naming_why() {
    quarantined_with_reasons(
        "crowdstrike",
        &[
            (r#"{"composite_id":"a:ind:b:c"}"#, "no usable timestamp"),
            (r#"{"composite_id":"a","created_timestamp":"later"}"#, "'created_timestamp'"),
            (r#"{"metadata":{"customerIDString":"c","eventType":7},"event":{}}"#, "'metadata.eventType'"),
            (r#"{"Name":"x","UTCTimestamp":1}"#, "not a Falcon alert"),
            (r#"5"#, "not a CrowdStrike record"),
        ],
    );
    quarantined_with_reasons(
        "defender",
        &[
            (r#"{"title":"t","createdDateTime":"2024-01-01T00:00:00Z"}"#, "missing required field 'id'"),
            (
                r#"{"id":"a","severity":"high","createdDateTime":"2024-01-01T00:00:00Z"}"#,
                "missing required field 'title'",
            ),
            (r#"{"id":"a","title":"t","createdDateTime":"never"}"#, "'createdDateTime'"),
            (r#"{"id":"a","title":"t","alertCreationTime":"never","machineId":"m"}"#, "'alertCreationTime'"),
            (r#""alert""#, "not a Microsoft security alert"),
        ],
    );
}

/// Sniffing takes a record for either only where the fixture says it is one.
#[test]
fn no_other_panther_fixture_is_taken_for_a_vendor_alert() {
    let Some(root) = corpus(CORPUS) else { return };
    let mut taken = BTreeMap::new();
    for f in panther_fixture_files(&root) {
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            let name = detect(record).name();
            if name == "crowdstrike" || name == "defender" {
                let declared: Vec<String> = v
                    .get("log_types")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                let ok = declared.iter().any(|t| t.starts_with("Crowdstrike.") || t.starts_with("MicrosoftGraph."));
                assert!(ok, "{}: taken for {name}: {line}", f.display());
                *taken.entry(name).or_insert(0) += 1;
            }
        }
    }
    println!("sniffed: {taken:?}");
    assert_eq!(taken.get("crowdstrike"), Some(&38));
    assert_eq!(taken.get("defender"), Some(&4));
}
