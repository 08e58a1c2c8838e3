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

    let run = app.run_hunts(&ana, i64::from(DAYS), &[]).unwrap();
    for l in &run.hunts {
        assert!(l.error.is_none(), "{}: {:?}", l.id, l.error);
    }
    let hs = app.hypotheses(&ana, false).unwrap();
    assert_eq!(hs.len(), run.new.len());
    let weeks = run.window.weeks() as usize;
    assert!(hs.len() <= 10 * weeks, "{} hypotheses in {weeks} weeks", hs.len());

    // Every slow attack is named by a hypothesis: one of its users, keys, hosts, addresses or
    // domains is among a hypothesis's names.
    let mut slow = 0;
    for label in &labels {
        let scenario = label["scenario"].as_str().unwrap();
        if !["slow_exfiltration", "dormant_service_weekly", "vendor_scope_creep"].contains(&scenario) {
            continue;
        }
        slow += 1;
        let names: BTreeSet<String> = ["users", "keys", "hosts", "ips", "domains"]
            .iter()
            .flat_map(|k| label["entities"][k].as_array().cloned().unwrap_or_default())
            .filter_map(|v| v.as_str().map(str::to_lowercase))
            .collect();
        let named = hs.iter().any(|h| h.draft.entities.iter().any(|e| names.contains(&e.to_lowercase())));
        let list: Vec<String> = hs.iter().map(|h| format!("{}: {}", h.draft.hunt, h.draft.statement)).collect();
        assert!(named, "{} is named by no hypothesis: {names:?}\n{}", label["instance"], list.join("\n"));
    }
    assert_eq!(slow, 3, "the simulator wrote each slow attack once");

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
}
