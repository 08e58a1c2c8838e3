//! Hunting over weeks on a simulated company with the slow attacks no single event gives away:
//! every slow attack is named by a hypothesis, the analyst's load stays within ten hypotheses a
//! week, every hypothesis's test query returns its evidence, a dismissal survives later runs,
//! promotion opens a case, and only those who may hunt can.

use std::collections::BTreeSet;
use std::path::PathBuf;

use vigil_app::hypotheses::HypothesisOp;
use vigil_app::{App, AppError, Caller};
use vigil_auth::{Principal, Role, Via};
use vigil_sim::ScenarioKind;

fn person(name: &str, roles: &[Role]) -> Caller {
    Caller::Person(Principal { username: name.into(), roles: roles.to_vec(), via: Via::Session, grants: Vec::new() })
}

/// Long enough for a dormant key to be seen silent for two weeks before it wakes.
const DAYS: u32 = 70;

#[test]
fn slow_attacks_become_hypotheses_that_people_work_and_later_runs_respect() {
    let dir = tempfile::tempdir().unwrap();
    let sim = tempfile::tempdir().unwrap();
    vigil_sim::simulate(
        &vigil_sim::SimConfig {
            seed: 5,
            users: 12,
            days: DAYS,
            start: vigil_sim::SimConfig::fixed_start(),
            scenarios: vec![
                ScenarioKind::SlowExfiltration,
                ScenarioKind::DormantServiceWeekly,
                ScenarioKind::VendorScopeCreep,
                ScenarioKind::LateralMovement,
            ],
        },
        sim.path(),
    )
    .unwrap();
    let labels: Vec<serde_json::Value> = std::fs::read_to_string(sim.path().join("labels.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let app = App::new(dir.path());
    let root = Caller::local("root");
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    app.ingest(&root, &logs, None, vigil_pipeline::IngestOptions::default()).unwrap();

    // Nothing to hunt is an error, not an empty success; so is a window out of bounds.
    let ana = person("ana", &[Role::Analyst]);
    assert!(matches!(app.run_hunts(&ana, 0, &[]), Err(AppError::Invalid(_))));
    assert!(matches!(app.run_hunts(&ana, 30, &["no_such_hunt".into()]), Err(AppError::Invalid(_))));
    // Those who may not hunt may not run hunts or read hypotheses.
    let exec = person("eve", &[Role::Executive]);
    assert!(matches!(app.run_hunts(&exec, 30, &[]), Err(AppError::Forbidden { .. })));
    assert!(matches!(app.hypotheses(&exec, true), Err(AppError::Forbidden { .. })));

    // Scored the way `vigil eval hunting` scores it: every slow attack is named by a hypothesis
    // (one of its users, keys, hosts, addresses or domains is among the hypothesis's names)
    // and the analyst's load stays within ten hypotheses a week.
    let truth = vigil_model::read_labels(&std::fs::read_to_string(sim.path().join("labels.jsonl")).unwrap()).unwrap();
    let scored = app.eval_hunting(&ana, &truth, i64::from(DAYS)).unwrap();
    let run = scored.run.clone();
    for l in &run.hunts {
        assert!(l.error.is_none(), "{}: {:?}", l.id, l.error);
    }
    let hs = app.hypotheses(&ana, false).unwrap();
    assert_eq!(hs.len(), run.new.len());
    assert_eq!(scored.hypotheses, hs.len());
    let weeks = run.window.weeks() as usize;
    assert_eq!(scored.weeks.len(), weeks);
    assert_eq!(scored.weeks.iter().map(|w| w.hypotheses).sum::<usize>(), hs.len());
    assert!(scored.max_per_week <= 10, "{} hypotheses in the busiest week: {:?}", scored.max_per_week, scored.weeks);
    let list: Vec<String> = hs.iter().map(|h| format!("{}: {}", h.draft.hunt, h.draft.statement)).collect();
    assert_eq!(scored.slow.len(), 3, "the simulator wrote each slow attack once");
    for s in &scored.slow {
        assert!(
            !s.named_by.is_empty(),
            "{} is named by no hypothesis: {:?}\n{}",
            s.instance,
            s.entities,
            list.join("\n")
        );
    }
    assert_eq!(scored.recall(), Some(1.0));
    // Cross-check the scorer on the raw labels: a name the label gives is a name a hypothesis holds.
    for label in &labels {
        let scenario = label["scenario"].as_str().unwrap();
        if !vigil_app::hypotheses::SLOW_SCENARIOS.contains(&scenario) {
            continue;
        }
        let names: BTreeSet<String> = ["users", "keys", "hosts", "ips", "domains"]
            .iter()
            .flat_map(|k| label["entities"][k].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(str::to_lowercase))
            .collect();
        assert!(hs.iter().any(|h| h.draft.entities.iter().any(|e| names.contains(&e.to_lowercase()))));
    }

    // Each hypothesis states facts, a test query that returns its evidence, and both outcomes.
    for h in &hs {
        assert!(!h.draft.facts.is_empty() && !h.draft.confirm.is_empty() && !h.draft.refute.is_empty());
        assert!(!h.evidence_events.is_empty(), "{} kept no evidence: {}", h.id, h.draft.test_sql);
        let r = app.hunt(&ana, &h.draft.test_sql, Some(5)).unwrap();
        assert!(r.rows() > 0, "{}'s test query returns nothing", h.id);
    }

    // A dismissal needs a reason and survives the next run; promotion opens a case.
    let first = &hs[0];
    let refused = app.hypothesis_op(&ana, &first.id, &HypothesisOp::Dismiss { reason: "  ".into() });
    assert!(matches!(refused, Err(AppError::Invalid(_))));
    app.hypothesis_op(&ana, &first.id, &HypothesisOp::Dismiss { reason: "the backup vendor's weekly job".into() })
        .unwrap();
    let again = app.run_hunts(&ana, i64::from(DAYS), &[]).unwrap();
    assert!(again.new.is_empty(), "the same data proposes nothing new: {:?}", again.new);
    assert_eq!(again.respected, vec![first.id.clone()]);
    let kept = app.hypothesis(&ana, &first.id).unwrap();
    assert_eq!(kept.status, vigil_hunt::Status::Dismissed { reason: "the backup vendor's weekly job".into() });
    assert_eq!(kept.runs, 2);
    assert!(!app.hypotheses(&ana, false).unwrap().iter().any(|h| h.id == first.id));

    if let Some(second) = hs.get(1) {
        // Hunting alone does not open cases.
        let hunter = person("dee", &[Role::DetectionEngineer]);
        assert!(matches!(
            app.hypothesis_op(&hunter, &second.id, &HypothesisOp::Promote),
            Err(AppError::Forbidden { .. })
        ));
        let h = app.hypothesis_op(&ana, &second.id, &HypothesisOp::Promote).unwrap();
        let vigil_hunt::Status::Promoted { case } = &h.status else { panic!("{:?}", h.status) };
        let c = app.case(&ana, case).unwrap().case;
        assert_eq!(c.alerts, vec![second.id.clone()]);
        assert!(c.summary.contains(&second.draft.test_sql));
        assert!(app.hypothesis_op(&ana, &second.id, &HypothesisOp::Promote).is_err(), "promoted once");
    }
    let audit = app.audit_log(&root, 10_000).unwrap();
    for action in ["hunt.run", "hypothesis.dismiss", "hypothesis.promote", "case.open"] {
        assert!(audit.iter().any(|e| e.action == action), "{action} is not on the audit log");
    }
    assert!(matches!(app.hypothesis(&ana, "HYP-nope"), Err(AppError::NotFound(_))));

    retro_hunts(&app, &labels);
}

const WHOAMI: &str = r#"
title: Account discovery with whoami /all
id: 6f1c2a4e-1d2b-4c3a-9e8f-000000000001
status: test
logsource:
  product: windows
  category: process_creation
detection:
  selection:
    CommandLine|contains: 'whoami /all'
  condition: selection
level: medium
tags:
  - attack.discovery
  - attack.t1033
"#;

/// A Sigma rule over the lake's past: its matches on the lateral movement become hypotheses
/// naming the host, with those very events as evidence; rules that cannot run are refused.
fn retro_hunts(app: &App, labels: &[serde_json::Value]) {
    let ana = person("ana", &[Role::Analyst]);
    let exec = person("eve", &[Role::Executive]);
    assert!(matches!(app.retro_hunt(&exec, "w.yml", WHOAMI, 30), Err(AppError::Forbidden { .. })));
    for (bad, why) in [
        ("title: [unclosed", "does not load"),
        (
            "title: t\nlogsource: {product: macos, category: process_creation}\ndetection: {s: {a: b}, condition: s}\n",
            "can see",
        ),
        ("", "does not load"),
    ] {
        match app.retro_hunt(&ana, "bad.yml", bad, 30) {
            Err(AppError::Invalid(m)) => assert!(m.contains(why), "{bad:?}: {m}"),
            other => panic!("{bad:?} was not refused: {other:?}"),
        }
    }
    let r = app.retro_hunt(&ana, "whoami.yml", WHOAMI, i64::from(DAYS)).unwrap();
    assert!(!r.formats.is_empty(), "a windows rule reads only Windows records");
    assert!(r.scanned > 0 && r.matched > 0, "{r:?}");
    let lateral: Vec<&serde_json::Value> = labels.iter().filter(|l| l["scenario"] == "lateral_movement").collect();
    assert!(!lateral.is_empty());
    let attack_events: BTreeSet<&str> =
        lateral.iter().flat_map(|l| l["event_ids"].as_array().unwrap().iter().filter_map(|e| e.as_str())).collect();
    let hs: Vec<vigil_hunt::Hypothesis> = r.new.iter().map(|id| app.hypothesis(&ana, id).unwrap()).collect();
    assert!(!hs.is_empty());
    assert!(
        hs.iter().any(|h| h.evidence_events.iter().any(|e| attack_events.contains(e.as_str()))),
        "no retro-hunt hypothesis holds a lateral-movement event"
    );
    for h in &hs {
        assert!(h.draft.hunt.starts_with("sigma:6f1c2a4e"));
        assert!(h.draft.techniques.contains(&"T1033".to_string()));
        let rows = app.hunt(&ana, &h.draft.test_sql, None).unwrap().rows();
        assert!(rows > 0 && rows >= h.evidence_events.len(), "{}: {rows} rows", h.id);
    }
    // Run again: the same hypotheses, nothing new.
    let again = app.retro_hunt(&ana, "whoami.yml", WHOAMI, i64::from(DAYS)).unwrap();
    assert!(again.new.is_empty());
    assert_eq!(again.again.len(), r.new.len());
}
