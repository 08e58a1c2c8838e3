//! The pilot on a small simulated company: every step's outcome agrees with what the store holds,
//! and the simulated analysts dispose of cases with the triage model's own training labels.

use std::collections::{BTreeMap, HashMap};

use vigil_app::pilot::{self, PilotConfig, RollbackStatus};
use vigil_app::{App, Caller};
use vigil_cases::Disposition;
use vigil_triage::TriageInput;

#[test]
fn the_pilot_reports_what_the_store_holds() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = PilotConfig {
        dir: dir.path().to_path_buf(),
        sim: vigil_sim::SimConfig {
            seed: 1,
            days: 4,
            users: 30,
            start: vigil_sim::SimConfig::fixed_start(),
            ..vigil_sim::SimConfig::default()
        },
        threads: 2,
        rules: Vec::new(),
        progress: None,
    };
    let said = std::cell::RefCell::new(Vec::new());
    let run = pilot::run_pilot(cfg, &|s: &str| said.borrow_mut().push(s.to_string())).unwrap();
    let r = &run.report;
    assert_eq!(said.borrow().len(), pilot::STEPS.len(), "one message per step: {:?}", said.borrow());

    let app = App::new(&dir.path().join("data"));
    let me = Caller::local("checker");
    let log = app.audit_log(&me, u64::MAX).unwrap();
    let ok = |action: &str| log.iter().filter(|e| e.action == action && e.result == "ok").collect::<Vec<_>>();

    // Ingest: the events the report counts are the lake's, and the labels all reached it.
    assert_eq!(r.ingest.report.events, r.simulation.events);
    assert_eq!(r.ingest.labels.labeled_events, r.ingest.labels.labeled_events_in_lake);

    // Triage through the application: the pilot's own requests are on the log under its name.
    for action in ["setting.inventory", "setting.roster", "triage.request", "model.train"] {
        assert!(ok(action).iter().any(|e| e.actor == pilot::ACTOR), "{action} by {}", pilot::ACTOR);
    }
    let cases = app.all_cases(&me).unwrap();
    assert_eq!(r.triage.run.cases_opened.len(), cases.len());
    assert!(!r.triage.queue.is_empty());

    // The analysts: each acknowledgement and resolution the report counts is one audit entry by
    // the case's owner, the same action a person's would be.
    let w = &r.work;
    let acks = ok("case.ack");
    assert_eq!(acks.len(), w.acknowledged);
    assert_eq!(ok("case.resolve").len(), w.resolved);
    for wc in &w.cases {
        let c = cases.iter().find(|c| c.id == wc.case).unwrap();
        assert_eq!(c.owner.as_deref(), Some(wc.owner.as_str()));
        assert!(
            acks.iter().any(|e| e.target == wc.case && e.actor == wc.owner),
            "{} acknowledged by its owner",
            wc.case
        );
        assert_eq!(c.disposition.as_ref().map(|d| d.disposition), wc.disposition, "{}", wc.case);
        if let Some(d) = &c.disposition {
            assert_eq!(d.by, wc.owner);
        }
    }
    let stored =
        |d: Disposition| cases.iter().filter(|c| c.disposition.as_ref().is_some_and(|x| x.disposition == d)).count();
    assert_eq!(stored(Disposition::TruePositive), w.true_positives);
    assert_eq!(stored(Disposition::BenignTruePositive), w.benign_true_positives);
    assert_eq!(stored(Disposition::FalsePositive), w.false_positives);
    assert_eq!(w.resolved, w.true_positives + w.benign_true_positives + w.false_positives);
    assert_eq!(w.acknowledged, w.resolved + w.left_open);
    assert!(w.resolved > 0, "the analysts resolved cases");

    // The analysts' truth is the model's: the training labels, recomputed here from the store the
    // way training computes them (triage without a model), give every resolved case's disposition.
    let labels = vigil_model::read_labels(&std::fs::read_to_string(&r.simulation.labels_path).unwrap()).unwrap();
    let store = app.store().unwrap();
    let ctx = vigil_queue::load(&store).unwrap();
    let out = vigil_triage::triage(&TriageInput { model: None, ..ctx.input(app.now_ms()) });
    let trained: HashMap<String, &str> =
        vigil_triage::truth::dispositions(&out.incidents, &ctx.alerts, &labels, pilot::ANALYST_ERROR_RATE);
    let positives = vigil_triage::truth::samples(&out, &ctx.alerts, &labels, pilot::ANALYST_ERROR_RATE);
    for (inc, s) in out.incidents.iter().zip(&positives) {
        assert_eq!(s.positive, trained[&inc.id] == "true_positive");
    }
    let mut all: BTreeMap<String, usize> = BTreeMap::new();
    for l in trained.values() {
        *all.entry(l.to_string()).or_default() += 1;
    }
    assert_eq!(w.incidents_by_truth, all, "the analysts' truth covers the incidents training saw");
    let mut by_label: BTreeMap<&str, usize> = BTreeMap::new();
    for wc in &w.cases {
        for t in &wc.truth {
            assert_eq!(t.label.as_str(), trained[&t.incident], "{} in {}", t.incident, wc.case);
            *by_label.entry(trained[&t.incident]).or_default() += 1;
        }
        if let Some(d) = wc.disposition {
            let labels: Vec<Disposition> = wc.truth.iter().map(|t| t.label).collect();
            assert_eq!(pilot::case_disposition(&labels), Some(d), "{}", wc.case);
        }
    }
    assert!(!by_label.is_empty(), "the worked cases hold labeled incidents");
    // The scorecard's precision counts what the analysts said: benign true positives are neither.
    let m = &r.evidence.scorecard.scorecard.metrics;
    assert_eq!(m.precision.numerator as usize, w.true_positives);
    assert_eq!(m.precision.denominator as usize, w.true_positives + w.false_positives);

    // Response: every run the report lists is stored as listed; the approvals are the approver's;
    // the isolation's rollback is the stored run's.
    let runs = app.runs(&me, None).unwrap();
    assert_eq!(runs.len(), r.response.runs.len());
    for row in &r.response.runs {
        let stored = runs.iter().find(|x| x.id == row.run).unwrap();
        assert_eq!(stored.status, row.status);
        for (s, st) in row.steps.iter().zip(&stored.steps) {
            assert_eq!(s.status, st.status);
            assert_eq!(s.rollback, st.rollback.as_ref().map(|rb| rb.status.clone()));
        }
    }
    assert!(ok("playbook.approval.approve").iter().all(|e| e.actor == pilot::APPROVER));
    if let Some(ar) = &r.response.account_reset {
        assert_eq!(ar.approvals.len(), ok("playbook.approval.approve").iter().filter(|e| e.target == ar.case).count());
    }
    if let Some(iso) = &r.response.isolation {
        let stored = app.run(&me, &iso.run).unwrap();
        assert_eq!(RollbackStatus::of(&stored), iso.rollback);
        assert_eq!(iso.rollback == RollbackStatus::NotRolledBack, stored.steps.iter().all(|s| s.rollback.is_none()));
        if iso.rollback == RollbackStatus::RolledBack {
            let by = iso.rollback_requested_by.as_deref().unwrap();
            assert!(ok("playbook.rollback").iter().any(|e| e.target == iso.case && e.actor == pilot::APPROVER));
            assert!(log.iter().any(|e| e.action == "playbook.approval.request" && e.actor == by));
        }
    }
    assert_eq!(app.approvals(&me, false).unwrap().len(), r.response.waiting_approvals);

    // Hunts and evidence through the application's operations.
    // The built-in hunts, then one run of the hunts over weeks, whose every query is a hunt too.
    let weeks = &r.hypotheses.run;
    assert_eq!(weeks.hunts.len(), vigil_hunt::CATALOG.len());
    assert_eq!(log.iter().filter(|e| e.action == "hunt.run").count(), 1);
    assert!(ok("hunt.query").len() >= r.hunts.len() + weeks.hunts.len());
    assert_eq!(app.hypotheses(&me, false).unwrap().len(), weeks.new.len());
    assert!(r.hypotheses.top.len() <= 3 && r.hypotheses.top.iter().all(|h| weeks.new.contains(&h.id)));
    let packet = r.evidence.packet.as_ref().unwrap();
    assert!(packet.verify.problems.is_empty());
    assert!(std::path::Path::new(&packet.packet).exists());
    assert_eq!(
        log.iter().filter(|e| e.action == "custody.export" && e.actor == pilot::ACTOR).count(),
        1 + packet.more_packets.len()
    );

    // The JSON keys front ends and tests read.
    let v = serde_json::to_value(r).unwrap();
    assert_eq!(v["ingest"]["events"], r.simulation.events);
    assert!(v["alerts"]["by_rule"].is_object() && v["labels"]["labeled_events"].is_u64());
    assert!(v["rules"]["rules"].is_u64() && v["triage"]["eval"]["incident_recall"].is_f64());
    assert!(v["evidence"]["verify"]["problems"].is_array() && v["scorecard"]["scorecard"]["metrics"].is_object());
    assert!(v["response"]["runs"].is_array() && v["hunts"].is_array());
}
