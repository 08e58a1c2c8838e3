//! The queue end to end over a real SQLite store: cases opened and kept, SLA clocks that breach
//! and escalate on time (a clock moved by hand, never slept), human dispositions carried,
//! suppressions and reopenings audited.

use vigil_cases::{Disposition, Severity, SlaEvent, SlaKind, Status};
use vigil_model::{Alert, AlertKind, AlertRule, Confidence, Entities, Level};
use vigil_queue as q;
use vigil_store::{AlertRow, Commit, SqliteStore, StateStore};
use vigil_triage::{Suppression, VerdictKind};

const MIN: i64 = 60_000;
const T0: i64 = 1_790_000_000_000;

fn alert(id: &str, rule: &str, level: Level, t: i64, user: &str, host: Option<&str>) -> Alert {
    Alert {
        id: id.into(),
        kind: AlertKind::Detection,
        rule: AlertRule {
            id: format!("rule-{rule}"),
            title: rule.into(),
            level,
            tags: vec![],
            techniques: vec![],
            tactics: vec![],
            file: String::new(),
        },
        time: Some(t),
        event_ids: vec![format!("ev-{id}")],
        source: None,
        matched: vec![],
        explanation: String::new(),
        confidence: Confidence { score: 70, reason: String::new() },
        entities: Entities {
            users: vec![user.into()],
            hosts: host.into_iter().map(String::from).collect(),
            ..Default::default()
        },
        correlation: None,
        features: vec![],
        controls: vec![],
    }
}

fn put(store: &mut SqliteStore, alerts: &[Alert]) {
    let run = store.begin_run(T0, "test").unwrap();
    let rows = alerts
        .iter()
        .map(|a| AlertRow {
            id: a.id.clone(),
            rule_id: a.rule.id.clone(),
            rule_title: a.rule.title.clone(),
            level: a.rule.level.as_str().into(),
            kind: a.kind.as_str().into(),
            time_ms: a.time,
            json: serde_json::to_string(a).unwrap(),
        })
        .collect();
    store.commit(run, T0, &Commit { alerts: rows, ..Default::default() }).unwrap();
}

fn setup() -> SqliteStore {
    let mut s = SqliteStore::in_memory().unwrap();
    q::load_inventory(
        &mut s,
        r#"{"users":[{"email":"ann@x.com","is_admin":true},{"email":"bob@x.com"}],"hosts":[{"hostname":"wks1"}]}"#,
        "admin",
        T0,
    )
    .unwrap();
    let mut roster = q::Roster::default();
    roster.teams.insert("identity".into(), vec!["ivy".into(), "ian".into()]);
    q::set_roster(&mut s, &roster, "admin", T0).unwrap();
    s
}

#[test]
fn cases_open_once_with_owners_and_grow_with_their_incidents() {
    let mut s = setup();
    put(
        &mut s,
        &[
            alert("a1", "Push storm", Level::High, T0, "ann@x.com", None),
            alert("b1", "Odd login", Level::High, T0, "bob@x.com", None),
        ],
    );
    let r = q::run(&mut s, T0).unwrap();
    assert_eq!(r.cases_opened.len(), 2);
    let cases = q::cases(&s).unwrap();
    let mut owners: Vec<_> = cases.iter().map(|c| c.owner.clone().unwrap()).collect();
    owners.sort();
    assert_eq!(owners, ["ian", "ivy"], "the identity roster takes turns");
    assert!(cases.iter().all(|c| c.team.as_deref() == Some("identity") && c.status == Status::New));
    // A second run opens nothing new.
    assert!(q::run(&mut s, T0 + MIN).unwrap().cases_opened.is_empty());
    // A new alert about ann joins her incident, and her case learns of it.
    put(&mut s, &[alert("a2", "New factor", Level::Low, T0 + 5 * MIN, "ann@x.com", None)]);
    let r = q::run(&mut s, T0 + 6 * MIN).unwrap();
    assert!(r.cases_opened.is_empty());
    let ann = q::cases(&s).unwrap().into_iter().find(|c| c.alerts.contains(&"a1".to_string())).unwrap();
    assert!(ann.alerts.contains(&"a2".to_string()));
    assert!(ann.history.iter().any(|h| h.action == "alerts_linked"));
    // Everything the automation did is in the audit log.
    let log = s.audit(100).unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "case.open" && e.actor == q::TRIAGE_ACTOR).count(), 2);
    assert_eq!(log.iter().filter(|e| e.action == "triage.run").count(), 3);
}

#[test]
fn sla_breaches_and_escalations_happen_on_time() {
    let mut s = setup();
    put(&mut s, &[alert("a1", "Push storm", Level::High, T0, "ann@x.com", None)]);
    q::run(&mut s, T0).unwrap();
    let c = q::cases(&s).unwrap().remove(0);
    assert_eq!(c.severity, Severity::High);
    let policy = q::load(&s).unwrap().policy;
    let ack = policy.targets_for(Severity::High).acknowledge_mins as i64 * MIN;
    // One millisecond before the acknowledge deadline: nothing.
    let r = q::run(&mut s, T0 + ack - 1).unwrap();
    assert!(r.sla_events.is_empty(), "{:?}", r.sla_events);
    // At the deadline: a breach and an escalation to the chain's first name.
    let r = q::run(&mut s, T0 + ack).unwrap();
    let chain = policy.chain(Severity::High).to_vec();
    assert!(
        matches!(&r.sla_events[0], SlaEvent::Breach { kind: SlaKind::Acknowledge, due_ms, .. } if *due_ms == T0 + ack)
    );
    assert!(r.sla_events.iter().any(|e| matches!(e, SlaEvent::Escalated { to, .. } if *to == chain[0])));
    let c2 = q::cases(&s).unwrap().remove(0);
    assert_eq!(c2.owner.as_deref(), Some(chain[0].as_str()));
    // Reported once.
    assert!(q::run(&mut s, T0 + ack + MIN).unwrap().sla_events.is_empty());
    assert_eq!(s.audit(100).unwrap().iter().filter(|e| e.action == "case.sla").count(), 2);
    // A person acknowledges and contains in time: no more breaches, even long after.
    q::with_case(&mut s, &c.id, "ann", "case.ack", T0 + ack + 2 * MIN, |c| {
        c.acknowledge("ann", T0 + ack + 2 * MIN).map(|_| String::new())
    })
    .unwrap();
    q::with_case(&mut s, &c.id, "ann", "case.status", T0 + ack + 3 * MIN, |c| {
        c.transition(Status::Contained, "ann", T0 + ack + 3 * MIN).map(|_| String::new())
    })
    .unwrap();
    q::with_case(&mut s, &c.id, "ann", "case.resolve", T0 + ack + 4 * MIN, |c| {
        c.resolve(Disposition::TruePositive, "confirmed push bombing", "ann", T0 + ack + 4 * MIN).map(|_| String::new())
    })
    .unwrap();
    assert!(q::run(&mut s, T0 + 100 * 24 * 60 * MIN).unwrap().sla_events.is_empty());
    let done = q::cases(&s).unwrap().remove(0);
    assert_eq!(done.times.acknowledged_ms, Some(T0 + ack + 2 * MIN));
    assert_eq!(done.times.contained_ms, Some(T0 + ack + 3 * MIN));
    assert_eq!(done.times.resolved_ms, Some(T0 + ack + 4 * MIN));
}

#[test]
fn a_human_disposition_is_carried_by_every_later_triage() {
    let mut s = setup();
    put(&mut s, &[alert("a1", "Big", Level::Critical, T0, "ann@x.com", Some("wks1"))]);
    q::run(&mut s, T0).unwrap();
    let c = q::cases(&s).unwrap().remove(0);
    assert_eq!(q::incidents(&s).unwrap()[0].verdict.verdict, VerdictKind::Malicious);
    q::with_case(&mut s, &c.id, "bob", "case.resolve", T0 + MIN, |c| {
        c.resolve(Disposition::FalsePositive, "test account", "bob", T0 + MIN).map(|_| String::new())
    })
    .unwrap();
    q::run(&mut s, T0 + 2 * MIN).unwrap();
    let inc = q::incidents(&s).unwrap().remove(0);
    assert_eq!(inc.verdict.verdict, VerdictKind::Benign);
    assert_eq!(inc.verdict.decided_by, "bob");
    // The machine cannot overwrite it, and the refusal is audited.
    let err = q::with_case(&mut s, &c.id, q::TRIAGE_ACTOR, "case.disposition", T0 + 3 * MIN, |c| {
        c.set_disposition(Disposition::TruePositive, "model says so", q::TRIAGE_ACTOR, T0 + 3 * MIN)
            .map(|_| String::new())
    });
    assert!(err.is_err());
    assert!(s.audit(100).unwrap().iter().any(|e| e.action == "case.disposition" && e.result == "denied"));
    assert_eq!(q::cases(&s).unwrap()[0].disposition.as_ref().unwrap().by, "bob");
}

#[test]
fn suppressions_are_audited_with_their_impact_and_auto_closes_are_reversible() {
    let mut s = setup();
    put(
        &mut s,
        &[
            alert("g1", "Group add", Level::Low, T0, "bob@x.com", None),
            alert("m1", "Service installed", Level::Medium, T0, "bob@x.com", Some("wks1")),
            alert("m2", "Service installed", Level::Medium, T0 + 3 * 3_600_000, "bob@x.com", Some("wks1")),
        ],
    );
    q::run(&mut s, T0).unwrap();
    let sup = Suppression::new(
        Some("Service installed".into()),
        Some("wks1".into()),
        "software distribution to wks1",
        "ann",
        T0,
        None,
    )
    .unwrap();
    let imp = q::add_suppression(&mut s, &sup, T0 + MIN).unwrap();
    assert_eq!(imp.alerts_hidden, 2);
    let entry = s.audit(100).unwrap().into_iter().find(|e| e.action == "suppression.add").unwrap();
    assert!(entry.detail.contains("would have hidden 2 alerts"), "{}", entry.detail);
    assert_eq!(entry.actor, "ann");
    let r = q::run(&mut s, T0 + 2 * MIN).unwrap();
    assert_eq!(r.stats.suppressed_alerts, 2);
    // What is left is a routine signal about an ordinary user: closed as benign, and audited.
    let inc = q::incidents(&s).unwrap().remove(0);
    assert!(!inc.queued);
    assert!(s.audit(100).unwrap().iter().any(|e| e.action == "incident.auto_close" && e.target == inc.id));
    // Reopened by a person, it comes back with a case.
    q::reopen(&mut s, &inc.id, "ann", "bob is on leave; who added him?", T0 + 3 * MIN).unwrap();
    q::run(&mut s, T0 + 4 * MIN).unwrap();
    // Its alert already belonged to the case opened before the suppression: that case holds it.
    let cases = q::cases(&s).unwrap();
    assert_eq!(cases.len(), 1);
    assert!(cases[0].incidents.contains(&inc.id) && cases[0].alerts.contains(&"g1".to_string()));
    let inc = q::incidents(&s).unwrap().into_iter().find(|i| i.id == inc.id).unwrap();
    assert!(inc.queued);
    assert_eq!(inc.verdict.decided_by, "ann");
    assert!(q::reopen(&mut s, "INC-nope", "ann", "x", T0).is_err());
}

#[test]
fn cases_merge_and_split_through_the_store() {
    let mut s = setup();
    put(
        &mut s,
        &[
            alert("a1", "Push storm", Level::High, T0, "ann@x.com", None),
            alert("b1", "Odd login", Level::High, T0, "bob@x.com", None),
        ],
    );
    q::run(&mut s, T0).unwrap();
    let cases = q::cases(&s).unwrap();
    let (a, b) = (cases[0].id.clone(), cases[1].id.clone());
    let merged = q::merge_cases(&mut s, &a, &b, "ann", T0 + MIN).unwrap();
    assert_eq!(merged.incidents.len(), 2);
    let gone = q::cases(&s).unwrap().into_iter().find(|c| c.id == b).unwrap();
    assert_eq!(gone.merged_into.as_deref(), Some(a.as_str()));
    // Later runs add nothing to the merged-away case and open no new one.
    assert!(q::run(&mut s, T0 + 2 * MIN).unwrap().cases_opened.is_empty());
    let inc = merged.incidents[1].clone();
    let split = q::split_case(&mut s, &a, &[inc.as_str()], "bob's login", "ann", T0 + 3 * MIN).unwrap();
    assert_eq!(split.incidents, vec![inc]);
    assert!(q::split_case(&mut s, &a, &["INC-nope"], "x", "ann", T0 + 4 * MIN).is_err());
    let log = s.audit(100).unwrap();
    assert!(log.iter().any(|e| e.action == "case.merge" && e.result == "ok"));
    assert!(log.iter().any(|e| e.action == "case.split" && e.result == "ok"));
    assert!(log.iter().any(|e| e.action == "case.split" && e.result == "denied"));
}
