//! Hand-checked fixtures for the contain SLA of cases resolved without containment, the
//! automation rate split by action class, and the executive brief's plain-words text.
//!
//! Times: `at(d, hh, mm)` is `d` days after Monday 2026-11-16 00:00 UTC, the start of ISO
//! week 2026-W47; d = 0..6 is in the week.

use vigil_metrics::{
    ActionFact, Brief, CaseFact, DetectionFact, Facts, PendingDecision, Period, SlaFact, StepAction, StepFact, compute,
    compute_with_actions, scorecard_with_actions,
};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Monday 2026-11-16 00:00 UTC.
const W47: i64 = 1_794_787_200_000;

fn at(d: i64, hh: i64, mm: i64) -> i64 {
    W47 + d * DAY + hh * HOUR + mm * MIN
}

fn week() -> Period {
    Period::iso_week(2026, 47).unwrap()
}

fn sla(kind: &str, due_ms: i64, met_ms: Option<i64>, breached: bool) -> SlaFact {
    SlaFact { kind: kind.into(), due_ms, met_ms, breached }
}

fn case(id: &str, severity: &str, alert: i64) -> CaseFact {
    CaseFact {
        id: id.into(),
        title: format!("case {id}"),
        severity: severity.into(),
        first_event_ms: Some(alert - 10 * MIN),
        first_alert_ms: alert,
        first_alert_raised_ms: None,
        opened_ms: alert,
        acknowledged_ms: None,
        contained_ms: None,
        resolved_ms: None,
        closed_ms: None,
        disposition: None,
        sla: Vec::new(),
        rules: Vec::new(),
        packet_complete: None,
        owner: None,
    }
}

/// Four critical cases opened in W47 (contain target 240 min):
/// - A: contained at +60 min, resolved at +120 → contain met (due +240).
/// - B: contained at +300 min (late), resolved at +400 → contain due, not met on time.
/// - C: resolved at +30 min without containment → not contained: neither met nor due.
/// - D: resolved at +500 min without containment (its contain clock had breached at +240
///   while it was open) → not contained as well, and not a breach.
///
/// By hand: contain met 1 (A), due 2 (A, B), attainment 1/2 = 50 %, not contained 2 (C, D);
/// breaches: B's contain only. MTTR (contain) n = 2 (A 60 min, B 300 min). Before the fix
/// C and D counted as contain "met" (at their resolution), giving a contain SLA over 4 cases
/// while MTTR (contain) had n = 2.
fn sla_facts() -> Facts {
    let mut a = case("A", "critical", at(1, 9, 0));
    a.contained_ms = Some(at(1, 10, 0));
    a.resolved_ms = Some(at(1, 11, 0));
    a.sla = vec![sla("contain", at(1, 13, 0), Some(at(1, 10, 0)), false)];
    let mut b = case("B", "critical", at(2, 9, 0));
    b.contained_ms = Some(at(2, 14, 0));
    b.resolved_ms = Some(at(2, 15, 40));
    b.sla = vec![sla("contain", at(2, 13, 0), Some(at(2, 14, 0)), true)];
    let mut c = case("C", "critical", at(3, 9, 0));
    c.resolved_ms = Some(at(3, 9, 30));
    // As the store reported it before containment alone met the clock: met at resolution.
    c.sla = vec![sla("contain", at(3, 13, 0), Some(at(3, 9, 30)), false)];
    let mut d = case("D", "critical", at(4, 9, 0));
    d.resolved_ms = Some(at(4, 17, 20));
    d.sla = vec![sla("contain", at(4, 13, 0), None, true)];
    Facts { cases: vec![a, b, c, d], ..Facts::default() }
}

#[test]
fn contain_sla_counts_only_contained_cases() {
    let m = compute(&sla_facts(), &week());
    assert_eq!(m.mttr_contain_ms.n, 2);
    assert_eq!(m.sla.len(), 1);
    let contain = &m.sla[0];
    assert_eq!((contain.kind.as_str(), contain.met, contain.due, contain.not_contained), ("contain", 1, 2, 2));
    assert_eq!(contain.value, Some(0.5));
    assert_eq!((m.sla_overall.numerator, m.sla_overall.denominator), (1, 2));
    assert_eq!(m.sla_not_contained, 2);
    let breached: Vec<&str> = m.sla_breaches.iter().map(|b| b.case_id.as_str()).collect();
    assert_eq!(breached, ["B"]);
}

#[test]
fn scorecard_says_not_contained() {
    let sc = scorecard_with_actions(&sla_facts(), &[], &week(), 0, "t", at(7, 0, 0));
    let md = sc.to_markdown();
    assert!(md.contains("| Severity | Kind | Met | Due | Attainment | Not contained |"), "{md}");
    assert!(md.contains("| critical | contain | 1 | 2 | 50% | 2 |"), "{md}");
    assert!(md.contains("2 cases not contained"), "{md}");
    let html = sc.to_html();
    assert!(html.contains("Not contained"));
    let json = sc.to_json();
    assert_eq!(json["metrics"]["sla_not_contained"], 2);
    assert_eq!(json["metrics"]["sla"][0]["not_contained"], 2);
}

fn step(run: &str, id: &str, at_ms: i64, automated: bool, status: &str) -> StepFact {
    StepFact {
        run_id: run.into(),
        playbook: "pb".into(),
        case_id: "A".into(),
        step: id.into(),
        at_ms,
        automated,
        status: status.into(),
    }
}

fn action(run: &str, step: &str, action: &str, class: &str) -> StepAction {
    StepAction { run_id: run.into(), step: step.into(), action: action.into(), class: class.into() }
}

/// Two runs in W47:
/// - R1 (ticket playbook): ticket `jira.create_issue` automated, succeeded.
/// - R2 (account reset): `okta.suspend_user` after approval (succeeded),
///   `okta.clear_sessions` automated (succeeded), `okta.reset_factors` after approval
///   (failed), `slack.webhook` automated (succeeded), `crowdstrike.contain_host` skipped
///   (left out of every rate), `okta.get_user` (read) automated, succeeded.
///
/// By hand: counted steps 6 (all but the skipped one), automated 4 → 4/6 overall.
/// Notify/ticket: jira + slack = 2 steps, both automated → 2/2.
/// Containment: suspend (manual), clear_sessions (automated), reset_factors (manual, failed)
/// = 3 steps, 1 automated → 1/3. The read step is in neither split.
fn step_facts() -> (Facts, Vec<StepAction>) {
    let steps = vec![
        step("R1", "ticket", at(1, 9, 0), true, "succeeded"),
        step("R2", "suspend", at(1, 10, 0), false, "succeeded"),
        step("R2", "clear-sessions", at(1, 10, 1), true, "succeeded"),
        step("R2", "reset-factors", at(1, 10, 2), false, "failed"),
        step("R2", "notify", at(1, 10, 3), true, "succeeded"),
        step("R2", "isolate", at(1, 10, 4), true, "skipped"),
        step("R2", "lookup", at(1, 9, 59), true, "succeeded"),
    ];
    let actions = vec![
        action("R1", "ticket", "jira.create_issue", "notify"),
        action("R2", "suspend", "okta.suspend_user", "contain"),
        action("R2", "clear-sessions", "okta.clear_sessions", "contain"),
        action("R2", "reset-factors", "okta.reset_factors", "contain"),
        action("R2", "notify", "slack.webhook", "notify"),
        action("R2", "isolate", "crowdstrike.contain_host", "contain"),
        action("R2", "lookup", "okta.get_user", "read"),
    ];
    (Facts { steps, ..Facts::default() }, actions)
}

#[test]
fn automation_is_split_by_action_class() {
    let (facts, actions) = step_facts();
    let m = compute_with_actions(&facts, &actions, &week());
    assert_eq!((m.automation.numerator, m.automation.denominator), (4, 6));
    assert_eq!((m.automation_notify.numerator, m.automation_notify.denominator), (2, 2));
    assert_eq!((m.automation_contain.numerator, m.automation_contain.denominator), (1, 3));
    assert_eq!(m.automation_contain.value, Some(1.0 / 3.0));

    // Without the actions the split has n = 0 and the overall rate is unchanged.
    let plain = compute(&facts, &week());
    assert_eq!((plain.automation.numerator, plain.automation.denominator), (4, 6));
    assert_eq!(plain.automation_contain.denominator, 0);
    assert_eq!(plain.automation_contain.value, None);

    let sc = scorecard_with_actions(&facts, &actions, &week(), 1, "t", at(7, 0, 0));
    let md = sc.to_markdown();
    assert!(md.contains("| Automation: notify and ticket steps | 100% | n = 2 |"), "{md}");
    assert!(md.contains("| Automation: containment steps | 33.3% | n = 3 |"), "{md}");
    assert!(md.contains("1 of 3 containment steps automated"), "{md}");
    let html = sc.to_html();
    assert!(html.contains("Automation: containment steps"));
    let json = sc.to_json();
    assert_eq!(json["metrics"]["automation_notify"]["numerator"], 2);
    assert_eq!(json["metrics"]["automation_contain"]["denominator"], 3);
    // Older JSON without the split reads back, with n = 0.
    let mut old = json.clone();
    old["metrics"].as_object_mut().unwrap().remove("automation_contain");
    let back: vigil_metrics::Scorecard = serde_json::from_value(old).unwrap();
    assert_eq!(back.metrics.automation_contain.denominator, 0);
}

/// The brief's incident: critical case K, first alert d1 06:10, acknowledged 06:30,
/// resolved 07:00 without containment.
/// Detections: "IAM privilege escalation chain" at 06:10 on user kavya@x.com with key
/// ASIA1 (privilege_escalation, persistence); "Okta account reactivated" at 06:00 and 06:40
/// on user kavya@x.com (persistence, initial_access).
/// By hand: 3 detections of 2 kinds between d1 06:00 and 06:40 (2026-11-17); the reactivation
/// rule fired first. Tactics in kill-chain order: initial access, persistence, privilege
/// escalation. Actions: jira.create_issue (automatic, 06:20), okta.suspend_user on kavya@x.com
/// (after approval, 06:50). Pending: crowdstrike.contain_host on WKS-1 requested 06:45 by
/// vigil:automation, expires 10:45; okta.reset_factors on kavya@x.com requested 06:41.
fn brief_inputs() -> (CaseFact, Vec<DetectionFact>, Vec<ActionFact>, Vec<PendingDecision>) {
    let mut k = case("K", "critical", at(1, 6, 10));
    k.acknowledged_ms = Some(at(1, 6, 30));
    k.resolved_ms = Some(at(1, 7, 0));
    let det = |title: &str, t: i64, tactics: &[&str], keys: &[&str]| DetectionFact {
        rule_title: title.into(),
        time_ms: Some(t),
        tactics: tactics.iter().map(|s| s.to_string()).collect(),
        users: vec!["kavya@x.com".into()],
        keys: keys.iter().map(|s| s.to_string()).collect(),
        ..DetectionFact::default()
    };
    let detections = vec![
        det("IAM privilege escalation chain", at(1, 6, 10), &["privilege_escalation", "persistence"], &["ASIA1"]),
        det("Okta account reactivated", at(1, 6, 0), &["persistence", "initial_access"], &[]),
        det("Okta account reactivated", at(1, 6, 40), &["persistence"], &[]),
    ];
    let actions = vec![
        ActionFact {
            playbook: "Account reset".into(),
            action: "okta.suspend_user".into(),
            target: Some("kavya@x.com".into()),
            at_ms: Some(at(1, 6, 50)),
            automated: false,
            rolled_back: None,
        },
        ActionFact {
            playbook: "Ticket creation".into(),
            action: "jira.create_issue".into(),
            target: None,
            at_ms: Some(at(1, 6, 20)),
            automated: true,
            rolled_back: None,
        },
    ];
    let pending = vec![
        PendingDecision {
            action: "crowdstrike.contain_host".into(),
            class: "contain".into(),
            target: Some("WKS-1".into()),
            playbook: "device-isolation".into(),
            requested_by: "vigil:automation".into(),
            requested_ms: at(1, 6, 45),
            expires_ms: at(1, 10, 45),
        },
        PendingDecision {
            action: "okta.reset_factors".into(),
            class: "Contain".into(),
            target: Some("kavya@x.com".into()),
            playbook: "account-reset".into(),
            requested_by: "lena".into(),
            requested_ms: at(1, 6, 41),
            expires_ms: at(1, 10, 41),
        },
    ];
    (k, detections, actions, pending)
}

#[test]
fn brief_says_what_happened_in_plain_words() {
    let (k, detections, actions, _) = brief_inputs();
    let text = Brief::what_happened(&k, &detections, &actions);
    assert_eq!(
        text,
        "3 detections of 2 kinds fired between 2026-11-17 06:00 UTC and 2026-11-17 06:40 UTC. \
         \"Okta account reactivated\" fired 2 times on user kavya@x.com, first at 2026-11-17 06:00 UTC. \
         \"IAM privilege escalation chain\" fired once on user kavya@x.com; access key ASIA1, first at \
         2026-11-17 06:10 UTC. \
         In ATT&CK terms the activity looks like initial access (getting in), persistence (keeping a foothold) \
         and privilege escalation (gaining higher permissions). \
         Done so far: jira.create_issue (Ticket creation) at 2026-11-17 06:20 UTC, automatically; \
         okta.suspend_user (Account reset) on kavya@x.com at 2026-11-17 06:50 UTC, after approval. \
         The case is resolved without containment."
    );
    assert!(!text.contains("probability") && !text.contains("model"));
}

#[test]
fn brief_lists_pending_decisions() {
    let (k, detections, actions, pending) = brief_inputs();
    let decisions = Brief::pending_decisions(&pending);
    assert_eq!(
        decisions,
        vec![
            "Approve or deny okta.reset_factors (contain, playbook account-reset) on kavya@x.com: waiting since \
             2026-11-17 06:41 UTC, requested by lena; expires 2026-11-17 10:41 UTC"
                .to_string(),
            "Approve or deny crowdstrike.contain_host (contain, playbook device-isolation) on WKS-1: waiting since \
             2026-11-17 06:45 UTC, requested by vigil:automation; expires 2026-11-17 10:45 UTC"
                .to_string(),
        ]
    );
    let brief = Brief {
        what_happened: Brief::what_happened(&k, &detections, &actions),
        impact: "i".into(),
        actions: Brief::actions_taken(&actions),
        decisions,
        case: k,
        issued_ms: at(1, 7, 5),
        id: "BRF-1".into(),
    };
    let html = brief.to_html();
    assert!(!html.contains("No decision is waiting."));
    assert!(html.contains("okta.reset_factors (contain, playbook account-reset) on kavya@x.com"));
}
