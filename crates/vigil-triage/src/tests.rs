use std::collections::{BTreeSet, HashMap};

use proptest::prelude::*;
use vigil_model::{Alert, AlertKind, AlertRule, Confidence, Entities, Level};

use super::*;

const H: i64 = 3_600_000;

#[allow(clippy::too_many_arguments)]
fn alert(
    id: &str,
    rule: &str,
    level: Level,
    tactic: &str,
    t: i64,
    users: &[&str],
    hosts: &[&str],
    events: &[&str],
) -> Alert {
    Alert {
        id: id.into(),
        kind: AlertKind::Detection,
        rule: AlertRule {
            id: format!("rule-{rule}"),
            title: rule.into(),
            level,
            tags: vec![],
            techniques: vec![],
            tactics: if tactic.is_empty() { vec![] } else { vec![tactic.into()] },
            file: String::new(),
        },
        time: Some(t),
        event_ids: events.iter().map(|s| s.to_string()).collect(),
        source: None,
        matched: vec![],
        explanation: String::new(),
        confidence: Confidence { score: 60, reason: String::new() },
        entities: Entities {
            users: users.iter().map(|s| s.to_string()).collect(),
            hosts: hosts.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
        correlation: None,
        features: vec![],
        controls: vec![],
    }
}

fn inv() -> Inventory {
    Inventory::from_json(
        r#"{"users":[{"email":"ann@x.com","is_admin":true},{"email":"bob@x.com"},{"email":"cy@x.com"},
                     {"email":"di@x.com"},{"email":"ed@x.com"}],
            "hosts":[{"hostname":"dc01","criticality":"critical"},{"hostname":"wks1"}]}"#,
    )
    .unwrap()
}

fn run(alerts: &[Alert], inv: &Inventory, overrides: &[Override], sups: &[Suppression]) -> TriageOutput {
    let human = HashMap::new();
    triage(&TriageInput {
        alerts,
        inventory: inv,
        model: None,
        overrides,
        suppressions: sups,
        human: &human,
        now_ms: 100 * H,
        options: GroupOptions::default(),
    })
}

#[test]
fn dedupe_keeps_every_alert_and_counts() {
    let a: Vec<Alert> = (0..5)
        .map(|i| alert(&format!("a{i}"), "R", Level::Low, "", i * 10 * 60_000, &["bob@x.com"], &[], &[]))
        .collect();
    // Two hours later: a new item of the same fingerprint.
    let mut all = a.clone();
    all.push(alert("late", "R", Level::Low, "", 4 * H, &["bob@x.com"], &[], &[]));
    let refs: Vec<&Alert> = all.iter().collect();
    let items = group::dedupe(&refs, H);
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].count, 5);
    assert_eq!(items[0].first_ms, 0);
    assert_eq!(items[0].last_ms, 40 * 60_000);
    assert_eq!(items[0].alert_ids.len() + items[1].alert_ids.len(), 6);
    assert_eq!(items[0].fingerprint, items[1].fingerprint);
    // A different entity is a different fingerprint.
    let other = alert("o", "R", Level::Low, "", 0, &["cy@x.com"], &[], &[]);
    assert_ne!(group::fingerprint(&other), items[0].fingerprint);
}

#[test]
fn groups_by_entity_time_and_progression_with_reasons() {
    let alerts = vec![
        alert("a1", "Push storm", Level::Medium, "credential_access", 0, &["ann@x.com"], &[], &[]),
        alert("a2", "New factor", Level::Low, "persistence", 10 * 60_000, &["ann@x.com"], &[], &[]),
        // 40 hours later, a later stage (exfiltration after persistence): linked by progression.
        alert("a3", "Big download", Level::High, "exfiltration", 40 * H, &["ann@x.com"], &[], &[]),
        // Same user 40 hours after that, an earlier stage: too far for the plain window.
        alert("a4", "Group add", Level::Low, "persistence", 80 * H, &["ann@x.com"], &[], &[]),
        // Someone else entirely.
        alert("b1", "Group add", Level::Low, "persistence", 5 * 60_000, &["bob@x.com"], &[], &[]),
    ];
    let out = run(&alerts, &inv(), &[], &[]);
    let ids: Vec<BTreeSet<&str>> = out.incidents.iter().map(|i| i.alert_ids().map(String::as_str).collect()).collect();
    assert!(ids.contains(&["a1", "a2", "a3"].into_iter().collect()), "{ids:?}");
    assert!(ids.contains(&["a4"].into_iter().collect()));
    assert!(ids.contains(&["b1"].into_iter().collect()));
    let inc = out.incidents.iter().find(|i| i.alert_count == 3).unwrap();
    assert_eq!(inc.links.len(), 2);
    assert!(inc.links.iter().all(|l| l.kind == "shared_entity" && l.detail.contains("ann@x.com")));
    // Progression runs between detections of attack stages (the push storm), not from the
    // low-level signal in between.
    let prog = inc.links.iter().find_map(|l| l.progression.clone()).unwrap();
    assert_eq!(prog, ("credential_access".to_string(), "exfiltration".to_string()));
    assert_eq!(inc.tactics, vec!["persistence", "credential_access", "exfiltration"], "ATT&CK order, not time order");
    // Risk shows its parts and they add up.
    let sum: f64 = inc.risk.components.iter().map(|c| c.points).sum();
    assert_eq!(inc.risk.score, sum.min(100.0));
    assert!(inc.risk.components.iter().any(|c| c.name == "entity_criticality" && c.points == 15.0));
}

#[test]
fn hubs_do_not_link_and_shared_events_do() {
    // dc01 is seen with four different users: a hub, so four people's alerts stay apart.
    let users = ["ann@x.com", "bob@x.com", "cy@x.com", "di@x.com"];
    let mut alerts: Vec<Alert> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            alert(&format!("g{i}"), "Group add", Level::Low, "persistence", i as i64 * 60_000, &[u], &["DC01"], &[])
        })
        .collect();
    // A correlation built on b-events links to the detection on the same events without entities.
    alerts.push(alert("d1", "Shadow delete", Level::High, "impact", 3 * H, &[], &["wks1"], &["e1", "e2"]));
    let mut c = alert("c1", "Ransomware prep", Level::Critical, "impact", 3 * H + 1, &[], &[], &["e2"]);
    c.kind = AlertKind::Correlation;
    alerts.push(c);
    let out = run(&alerts, &inv(), &[], &[]);
    assert_eq!(out.incidents.len(), 5, "{:#?}", out.incidents.iter().map(|i| &i.title).collect::<Vec<_>>());
    let corr = out.incidents.iter().find(|i| i.alert_count == 2).unwrap();
    assert_eq!(corr.links[0].kind, "shared_events");
}

#[test]
fn a_host_alert_groups_with_that_hosts_other_alerts() {
    // The behavioral mass-file-change alert files the host as a host (FQDN), the EDR alerts the
    // short name with the user: one incident.
    let alerts = vec![
        alert(
            "r1",
            "Recovery inhibition",
            Level::High,
            "impact",
            0,
            &["grace.johnson"],
            &["WKS-0187.corp.example.com"],
            &["e1"],
        ),
        alert(
            "r2",
            "Ransomware preparation",
            Level::Critical,
            "impact",
            1000,
            &["grace.johnson"],
            &["WKS-0187"],
            &["e1"],
        ),
        alert(
            "m1",
            "Mass file changes",
            Level::High,
            "impact",
            5 * 60_000,
            &[],
            &["wks-0187.corp.example.com"],
            &["e9"],
        ),
    ];
    let out = run(&alerts, &inv(), &[], &[]);
    assert_eq!(out.incidents.len(), 1, "{:#?}", out.incidents.iter().map(|i| &i.title).collect::<Vec<_>>());
}

#[test]
fn lateral_movement_is_one_incident_across_servers_but_not_the_servers_routine() {
    let lm = "lateral_movement";
    let mut alerts = vec![
        // Five hours earlier: a routine service install on one of the servers (a signal).
        alert("routine", "Windows service installed", Level::Low, "persistence", 0, &[], &["srv-app01"], &["r0"]),
        // The attack: remote-execution services on three servers within minutes; the
        // correlation names two of them, the third comes after it.
        alert("p1", "Remote-execution service", Level::High, lm, 5 * H, &[], &["SRV-SQL01.corp.example.com"], &["e1"]),
        alert("w1", "Windows service installed", Level::Low, "persistence", 5 * H, &[], &["srv-sql01"], &["e1"]),
        alert("p2", "Remote-execution service", Level::High, lm, 5 * H + 20 * 60_000, &[], &["srv-app01"], &["e2"]),
        alert("p3", "Remote-execution service", Level::High, lm, 5 * H + 24 * 60_000, &[], &["dc01"], &["e3"]),
    ];
    let mut c = alert(
        "c1",
        "Lateral movement",
        Level::Critical,
        lm,
        5 * H + 20 * 60_000,
        &[],
        &["srv-sql01", "srv-app01"],
        &["e2"],
    );
    c.kind = AlertKind::Correlation;
    c.correlation = None;
    c.event_ids = vec!["e1".into(), "e2".into()];
    alerts.push(c);
    // dc01, a crown jewel, is a hub: four administrators' routine group changes name it.
    for (i, u) in ["ann@x.com", "bob@x.com", "cy@x.com", "di@x.com"].iter().enumerate() {
        alerts.push(alert(
            &format!("g{i}"),
            "Group add",
            Level::Low,
            "persistence",
            2 * H + i as i64,
            &[u],
            &["dc01"],
            &[],
        ));
    }
    let out = run(&alerts, &inv(), &[], &[]);
    let attack = out.incidents.iter().find(|i| i.alert_ids().any(|a| a == "p1")).unwrap();
    let ids: BTreeSet<&str> = attack.alert_ids().map(String::as_str).collect();
    assert_eq!(ids, ["p1", "w1", "p2", "p3", "c1"].into_iter().collect(), "{:#?}", attack.links);
    assert!(attack.links.iter().any(|l| l.kind == "spread"), "{:#?}", attack.links);
    assert!(attack.queued);
    for g in ["g0", "g1", "g2", "g3", "routine"] {
        assert!(!ids.contains(g), "{g} is not part of the attack");
    }
    // The administrators' group changes the hub logs are routine signals: closed. The routine
    // service install on srv-app01 is not a crown jewel's either (the inventory does not know it:
    // inconclusive, in front of an analyst).
    for inc in out.incidents.iter().filter(|i| i.alert_ids().any(|a| a.starts_with('g'))) {
        assert!(!inc.queued, "{:#?}", inc.verdict);
    }
}

#[test]
fn a_persons_routine_hours_later_is_not_progression() {
    // A dormant admin reactivated with another admin's token: the reactivation names both.
    let alerts = vec![
        alert("re", "Okta account reactivated", Level::Low, "persistence", 0, &["kim@x.com", "ann@x.com"], &[], &[]),
        alert(
            "seq",
            "Reactivated account grants itself group membership",
            Level::Critical,
            "privilege_escalation",
            10 * 60_000,
            &["kim@x.com"],
            &[],
            &[],
        ),
        // Ten hours later the token's owner does her ordinary work: low signals, later "stages".
        alert(
            "ga",
            "Okta group membership added",
            Level::Low,
            "persistence",
            10 * H,
            &["ann@x.com", "ed@x.com"],
            &[],
            &[],
        ),
        alert("acl", "S3 bucket ACL changed", Level::Low, "exfiltration", 11 * H, &["ann@x.com"], &[], &[]),
        // A later-stage detection of the reactivated account two days later still progresses.
        alert("ex", "Big download", Level::High, "exfiltration", 50 * H, &["kim@x.com"], &[], &[]),
    ];
    let out = run(&alerts, &inv(), &[], &[]);
    let attack = out.incidents.iter().find(|i| i.alert_ids().any(|a| a == "seq")).unwrap();
    let ids: BTreeSet<&str> = attack.alert_ids().map(String::as_str).collect();
    assert_eq!(ids, ["re", "seq", "ex"].into_iter().collect(), "{:#?}", attack.links);
    assert!(attack.links.iter().any(|l| l.progression.is_some()));
    assert!(out.incidents.iter().flat_map(|i| &i.links).all(|l| l.progression.is_none() || l.detail.contains("kim")));
}

fn model_with(positives: usize) -> TriageModel {
    // Says "routine" (p ≈ 0) to everything.
    let d = model::FEATURES.len();
    TriageModel {
        version: format!("triage-lr-test{positives}"),
        algorithm: "test".into(),
        features: model::FEATURES.iter().map(|s| s.to_string()).collect(),
        mean: vec![0.0; d],
        scale: vec![1.0; d],
        coef: vec![0.0; d],
        intercept: -10.0,
        trained_on: 200,
        trained_positives: positives,
        split_ms: 0,
        evaluation: None,
        source: "test".into(),
        non_negative: vec![],
        auto_close: positives >= model::MIN_POSITIVES_TO_CLOSE,
    }
}

#[test]
fn a_model_trained_on_few_positives_does_not_close_incidents() {
    // A medium-level detection about an administrator, which the model calls routine.
    let alerts = vec![alert("s1", "Policy change", Level::Medium, "persistence", 0, &["ann@x.com"], &[], &[])];
    let inv = inv();
    let human = HashMap::new();
    let with = |m: &TriageModel| {
        triage(&TriageInput {
            alerts: &alerts,
            inventory: &inv,
            model: Some(m),
            overrides: &[],
            suppressions: &[],
            human: &human,
            now_ms: H,
            options: GroupOptions::default(),
        })
    };
    let trusted = with(&model_with(model::MIN_POSITIVES_TO_CLOSE));
    assert_eq!(trusted.incidents[0].verdict.verdict, VerdictKind::Benign);
    assert!(!trusted.incidents[0].queued);
    let few = with(&model_with(6));
    let inc = &few.incidents[0];
    assert!(inc.queued, "{:#?}", inc.verdict);
    assert_eq!(inc.verdict.verdict, VerdictKind::Suspicious);
    assert!(inc.verdict.summary.contains("too few true positives"), "{}", inc.verdict.summary);
    assert!(inc.verdict.checks.iter().any(|c| c.check == "triage model" && c.result.contains("fewer than 20")));
    assert_eq!(few.stats.auto_closed, 0);
    // What the rule without a model closes, it still closes: a lone signal, even an
    // administrator's; one on a crown jewel stays in the queue.
    for (who, host, queued) in [("bob@x.com", "wks1", false), ("ann@x.com", "wks1", false), ("bob@x.com", "dc01", true)]
    {
        let alerts = vec![alert("s2", "Group add", Level::Low, "persistence", 0, &[who], &[host], &[])];
        for m in [None, Some(model_with(6))] {
            let out = triage(&TriageInput {
                alerts: &alerts,
                inventory: &inv,
                model: m.as_ref(),
                overrides: &[],
                suppressions: &[],
                human: &human,
                now_ms: H,
                options: GroupOptions::default(),
            });
            assert_eq!(out.incidents[0].queued, queued, "{who} on {host}: {:#?}", out.incidents[0].verdict);
        }
    }
}

#[test]
fn analyst_merge_and_split_survive_retriage() {
    let alerts = vec![
        alert("a1", "X", Level::Medium, "", 0, &["bob@x.com"], &[], &[]),
        alert("a2", "Y", Level::Medium, "", 60_000, &["bob@x.com"], &[], &[]),
        alert("c1", "Z", Level::Medium, "", 0, &["cy@x.com"], &[], &[]),
    ];
    let out = run(&alerts, &inv(), &[], &[]);
    assert_eq!(out.incidents.len(), 2);
    let item = |aid: &str| {
        out.incidents
            .iter()
            .flat_map(|i| i.items.iter())
            .find(|it| it.alert_ids.contains(&aid.to_string()))
            .unwrap()
            .id
            .clone()
    };
    let split =
        Override::Split { items: vec![item("a2")], by: "ann".into(), at_ms: 0, reason: "different activity".into() };
    let out2 = run(&alerts, &inv(), std::slice::from_ref(&split), &[]);
    assert_eq!(out2.incidents.len(), 3);
    let merge = Override::Merge {
        items: vec![item("a2"), item("c1")],
        by: "ann".into(),
        at_ms: 1,
        reason: "same campaign".into(),
    };
    let out3 = run(&alerts, &inv(), &[split, merge], &[]);
    assert_eq!(out3.incidents.len(), 2);
    let merged = out3.incidents.iter().find(|i| i.alert_ids().any(|a| a == "c1")).unwrap();
    assert!(merged.alert_ids().any(|a| a == "a2"));
    assert!(merged.links.iter().any(|l| l.kind == "analyst_merge" && l.detail.contains("same campaign")));
    // The incident that kept a1 keeps its id through all of it.
    let id_of = |o: &TriageOutput| o.incidents.iter().find(|i| i.alert_ids().any(|a| a == "a1")).unwrap().id.clone();
    assert_eq!(id_of(&out), id_of(&out2));
    assert_eq!(id_of(&out), id_of(&out3));
}

#[test]
fn inconclusive_names_the_missing_data() {
    // Signals only, about a user the inventory does not know: benign if ordinary, not if an admin.
    let alerts = vec![alert("s1", "Group add", Level::Low, "persistence", 0, &["stranger@x.com"], &[], &[])];
    let out = run(&alerts, &inv(), &[], &[]);
    let v = &out.incidents[0].verdict;
    assert_eq!(v.verdict, VerdictKind::Inconclusive, "{v:#?}");
    assert!(
        v.missing.iter().any(|m| m.contains("user:stranger@x.com") && m.contains("not in the inventory")),
        "{v:#?}"
    );
    assert!(v.checks.iter().any(|c| c.check == "missing data"));
    assert!(out.incidents[0].queued, "an inconclusive incident stays in front of an analyst");
    // The same signal about a known ordinary user is benign and closed, with its reasons.
    let alerts = vec![alert("s2", "Group add", Level::Low, "persistence", 0, &["bob@x.com"], &[], &[])];
    let out = run(&alerts, &inv(), &[], &[]);
    assert_eq!(out.incidents[0].verdict.verdict, VerdictKind::Benign);
    assert!(!out.incidents[0].queued);
    assert!(out.incidents[0].verdict.missing.is_empty());
    // No inventory at all: named as missing.
    let out = run(&alerts, &Inventory::empty(), &[], &[]);
    assert_eq!(out.incidents[0].verdict.verdict, VerdictKind::Inconclusive);
    assert!(out.incidents[0].verdict.missing[0].contains("no inventory"));
}

#[test]
fn a_human_disposition_is_never_changed() {
    let alerts = vec![alert("h1", "Big", Level::Critical, "impact", 0, &["ann@x.com"], &["dc01"], &[])];
    let base = run(&alerts, &inv(), &[], &[]);
    assert_eq!(base.incidents[0].verdict.verdict, VerdictKind::Malicious);
    let mut human = HashMap::new();
    human.insert(base.incidents[0].id.clone(), ("false_positive".to_string(), "ann".to_string()));
    let out = triage(&TriageInput {
        alerts: &alerts,
        inventory: &inv(),
        model: None,
        overrides: &[],
        suppressions: &[],
        human: &human,
        now_ms: 0,
        options: GroupOptions::default(),
    });
    let v = &out.incidents[0].verdict;
    assert_eq!(v.verdict, VerdictKind::Benign);
    assert_eq!(v.decided_by, "ann");
    assert!(v.model_version.is_none());
}

#[test]
fn suppression_preview_counts_what_it_would_hide() {
    let alerts = vec![
        alert("a1", "Service installed", Level::Medium, "", 0, &["bob@x.com"], &["wks1"], &[]),
        alert("a2", "Service installed", Level::Medium, "", 2 * H, &["bob@x.com"], &["wks1"], &[]),
        alert("a3", "Service installed", Level::Medium, "", 0, &["cy@x.com"], &[], &[]),
        alert("a4", "Other", Level::Medium, "", 2 * H + 1, &["bob@x.com"], &[], &[]),
    ];
    let inv = inv();
    let human = HashMap::new();
    let input = TriageInput {
        alerts: &alerts,
        inventory: &inv,
        model: None,
        overrides: &[],
        suppressions: &[],
        human: &human,
        now_ms: 10 * H,
        options: GroupOptions::default(),
    };
    let s = Suppression::new(
        Some("Service installed".into()),
        Some("WKS1".into()),
        "SCCM pushes agents to wks1",
        "ann",
        0,
        Some(20 * H),
    )
    .unwrap();
    let imp = preview(&input, &s);
    assert_eq!(imp.alerts_hidden, 2);
    assert_eq!(imp.by_rule.get("Service installed"), Some(&2));
    assert_eq!(imp.incidents_reduced.len(), 1, "{imp:#?}");
    assert_eq!(imp.queue_before, 2);
    assert_eq!(imp.queue_after, 2, "the reduced incident stays queued");
    // Hiding alerts by id (what an exception would have stopped) gives the same kind of answer.
    let hidden: BTreeSet<String> = ["a3".to_string()].into_iter().collect();
    let imp = impact_of_hiding(&input, "ex.yml", &hidden);
    assert_eq!((imp.alerts_hidden, imp.incidents_hidden.len(), imp.queue_after), (1, 1, 1), "{imp:#?}");
    // Expired suppressions hide nothing.
    let expired = Suppression { expires_ms: Some(5 * H), ..s.clone() };
    let out = triage(&TriageInput { suppressions: std::slice::from_ref(&expired), ..input });
    assert!(out.suppressed.is_empty());
    // Suppressions without a reason or a target are refused.
    assert!(Suppression::new(None, None, "a good reason", "ann", 0, None).is_err());
    assert!(Suppression::new(Some("x".into()), None, "short", "ann", 0, None).is_err());
    assert!(Suppression::new(Some("x".into()), None, "long enough reason", "", 0, None).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn every_alert_lands_in_exactly_one_incident_or_is_suppressed(
        spec in proptest::collection::vec((0u8..4, 0u8..5, 0u8..6, 0i64..200, 0u8..3), 0..60),
        sup in any::<bool>(),
    ) {
        let users = ["ann@x.com", "bob@x.com", "cy@x.com", "nobody@x.com", ""];
        let levels = [Level::Low, Level::Medium, Level::High, Level::Critical];
        let alerts: Vec<Alert> = spec.iter().enumerate().map(|(i, (r, u, tac, t, lv))| {
            let us: Vec<&str> = if users[*u as usize].is_empty() { vec![] } else { vec![users[*u as usize]] };
            alert(&format!("x{i}"), &format!("R{r}"), levels[*lv as usize], group::TACTIC_ORDER[*tac as usize], t * 600_000, &us, &[], &[])
        }).collect();
        let sups = if sup { vec![Suppression::new(Some("R1".into()), None, "noisy test rule", "t", 0, None).unwrap()] } else { vec![] };
        let out = run(&alerts, &inv(), &[], &sups);
        let mut seen: Vec<&String> = out.incidents.iter().flat_map(|i| i.alert_ids()).collect();
        seen.extend(out.suppressed.keys());
        seen.sort();
        let before = seen.len();
        seen.dedup();
        prop_assert_eq!(before, seen.len());
        prop_assert_eq!(seen.len(), alerts.len());
        for i in &out.incidents {
            prop_assert!(i.risk.score >= 0.0 && i.risk.score <= 100.0);
            prop_assert!(!i.verdict.checks.is_empty());
        }
        // Deterministic.
        let again = run(&alerts, &inv(), &[], &sups);
        prop_assert_eq!(again.incidents, out.incidents);
    }
}
