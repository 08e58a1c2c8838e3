//! A hand-checked fixture over two ISO weeks, 2026-W46 and 2026-W47, and every metric
//! computed from it by hand. The same facts are in `tests/fixture.json`; run with
//! `VIGIL_METRICS_BLESS=1` to rewrite that file from `facts()`.
//!
//! Times: `at(d, hh, mm)` is `d` days after Monday 2026-11-09 00:00 UTC (the start of W46),
//! so d = 0..6 is W46 and d = 7..13 is W47 (Monday 2026-11-16 to Sunday 2026-11-22).
//!
//! Cases (severity, disposition; times relative to their first alert):
//! - A critical TP, W46: event 09:00, alert d0 09:10, ack +5 min, contained +60 min,
//!   resolved +1440 min (d1 09:10), closed d1 10:00, packet complete.
//! - B high FP, spans the weeks: alert d6 23:00, ack +30 min (W46), resolved d7 01:00
//!   (+120 min, W47), closed d7 01:30 (W47), no packet. Its acknowledge SLA was breached.
//! - C critical TP, W47: event d7 08:00, alert 08:30 (MTTD 30 min), ack +10, contained +60,
//!   resolved +1440 (d8 08:30), closed d8 12:00, packet complete.
//! - D medium TP, W47: event d8 10:00, alert 10:50 (MTTD 50), ack +20, contained +180,
//!   resolved +1440 (d9 10:50), closed d10 09:00, packet incomplete; resolve SLA breached.
//! - E high TP, W47: event d9 13:00, alert 13:10 (MTTD 10), ack +2, contained +30; not
//!   resolved or closed (so in no period for precision); resolve SLA breached, not met.
//! - F low benign_true_positive, W47: event d10 07:00 (not in MTTD: not TP), alert 07:20,
//!   ack +120, resolved +180, closed d10 10:30, packet complete. Its alert is on a labeled
//!   attack, so the analyst missed it.
//! - G medium FP, W47: alert d11 15:00, ack +30, resolved +60, closed d11 16:00, no packet.
//! - H low, undisposed: alert d13 23:20, never acknowledged; its SLA is due in W48.

use serde_json::Value;
use vigil_metrics::{
    AlertFact, Breach, BriefFact, CaseFact, DetectionPrecision, ExceptionSuggestion, Facts, LabeledRates, NoisyRule,
    Period, Ratio, SlaAttainment, SlaFact, Stat, StepFact, TriageFact, compute, scorecard,
};

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// Monday 2026-11-09 00:00 UTC, the start of ISO week 2026-W46.
const W46: i64 = 1_794_182_400_000;

fn at(d: i64, hh: i64, mm: i64) -> i64 {
    W46 + d * DAY + hh * HOUR + mm * MIN
}

fn sla(kind: &str, due_ms: i64, met_ms: Option<i64>, breached: bool) -> SlaFact {
    SlaFact { kind: kind.into(), due_ms, met_ms, breached }
}

fn case(id: &str, title: &str, severity: &str, first_alert_ms: i64) -> CaseFact {
    CaseFact {
        id: id.into(),
        title: title.into(),
        severity: severity.into(),
        first_event_ms: None,
        first_alert_ms,
        first_alert_raised_ms: None,
        opened_ms: first_alert_ms + MIN,
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

fn rule_title(rule_id: &str) -> &'static str {
    match rule_id {
        "r-mimi" => "Mimikatz LSASS access",
        "r-spray" => "Password spray",
        "r-vss" => "Shadow copy deletion",
        "r-link" => "Suspicious link click",
        "r-psexec" => "PsExec service install",
        "r-travel" => "Impossible travel",
        "r-encps" => "Encoded PowerShell",
        "r-dns" => "Unusual DNS volume",
        _ => "unknown",
    }
}

fn step(run: &str, playbook: &str, case_id: &str, name: &str, at_ms: i64, automated: bool, status: &str) -> StepFact {
    StepFact {
        run_id: run.into(),
        playbook: playbook.into(),
        case_id: case_id.into(),
        step: name.into(),
        at_ms,
        automated,
        status: status.into(),
    }
}

pub fn facts() -> Facts {
    let tp = Some("true_positive".to_string());
    let fp = Some("false_positive".to_string());
    let cases = vec![
        CaseFact {
            first_event_ms: Some(at(0, 9, 0)),
            acknowledged_ms: Some(at(0, 9, 15)),
            contained_ms: Some(at(0, 10, 10)),
            resolved_ms: Some(at(1, 9, 10)),
            closed_ms: Some(at(1, 10, 0)),
            disposition: tp.clone(),
            sla: vec![
                sla("acknowledge", at(0, 9, 25), Some(at(0, 9, 15)), false),
                // Met exactly at the due time: on time.
                sla("contain", at(0, 10, 10), Some(at(0, 10, 10)), false),
                sla("resolve", at(2, 9, 10), Some(at(1, 9, 10)), false),
            ],
            rules: vec!["Mimikatz LSASS access".into()],
            packet_complete: Some(true),
            owner: Some("alice".into()),
            ..case("case-a", "Credential dumping on HR-LT-07", "critical", at(0, 9, 10))
        },
        CaseFact {
            acknowledged_ms: Some(at(6, 23, 30)),
            resolved_ms: Some(at(7, 1, 0)),
            closed_ms: Some(at(7, 1, 30)),
            disposition: fp.clone(),
            sla: vec![
                sla("acknowledge", at(6, 23, 15), Some(at(6, 23, 30)), true),
                sla("resolve", at(8, 23, 0), Some(at(7, 1, 0)), false),
            ],
            rules: vec!["Password spray".into()],
            owner: Some("bob".into()),
            ..case("case-b", "Password spray against VPN", "high", at(6, 23, 0))
        },
        CaseFact {
            first_event_ms: Some(at(7, 8, 0)),
            acknowledged_ms: Some(at(7, 8, 40)),
            contained_ms: Some(at(7, 9, 30)),
            resolved_ms: Some(at(8, 8, 30)),
            closed_ms: Some(at(8, 12, 0)),
            disposition: tp.clone(),
            sla: vec![
                sla("acknowledge", at(7, 8, 45), Some(at(7, 8, 40)), false),
                sla("contain", at(7, 9, 30), Some(at(7, 9, 30)), false),
                sla("resolve", at(9, 8, 30), Some(at(8, 8, 30)), false),
            ],
            rules: vec!["Shadow copy deletion".into(), "Mimikatz LSASS access".into()],
            packet_complete: Some(true),
            owner: Some("alice".into()),
            ..case("case-c", "Ransomware precursor on FS-02", "critical", at(7, 8, 30))
        },
        CaseFact {
            first_event_ms: Some(at(8, 10, 0)),
            acknowledged_ms: Some(at(8, 11, 10)),
            contained_ms: Some(at(8, 13, 50)),
            resolved_ms: Some(at(9, 10, 50)),
            closed_ms: Some(at(10, 9, 0)),
            disposition: tp.clone(),
            sla: vec![
                sla("acknowledge", at(8, 11, 50), Some(at(8, 11, 10)), false),
                sla("contain", at(8, 14, 50), Some(at(8, 13, 50)), false),
                sla("resolve", at(9, 10, 0), Some(at(9, 10, 50)), true),
            ],
            rules: vec!["Suspicious link click".into()],
            packet_complete: Some(false),
            owner: Some("carol".into()),
            ..case("case-d", "Phishing link clicked by finance user", "medium", at(8, 10, 50))
        },
        CaseFact {
            first_event_ms: Some(at(9, 13, 0)),
            acknowledged_ms: Some(at(9, 13, 12)),
            contained_ms: Some(at(9, 13, 40)),
            disposition: tp.clone(),
            sla: vec![
                sla("acknowledge", at(9, 13, 25), Some(at(9, 13, 12)), false),
                sla("contain", at(9, 14, 10), Some(at(9, 13, 40)), false),
                sla("resolve", at(11, 13, 10), None, true),
            ],
            rules: vec!["PsExec service install".into()],
            owner: Some("alice".into()),
            ..case("case-e", "Lateral movement via PsExec", "high", at(9, 13, 10))
        },
        CaseFact {
            first_event_ms: Some(at(10, 7, 0)),
            acknowledged_ms: Some(at(10, 9, 20)),
            resolved_ms: Some(at(10, 10, 20)),
            closed_ms: Some(at(10, 10, 30)),
            disposition: Some("benign_true_positive".into()),
            sla: vec![
                sla("acknowledge", at(10, 11, 20), Some(at(10, 9, 20)), false),
                sla("resolve", at(12, 7, 20), Some(at(10, 10, 20)), false),
            ],
            rules: vec!["Impossible travel".into()],
            packet_complete: Some(true),
            owner: Some("bob".into()),
            ..case("case-f", "Admin login from a new country", "low", at(10, 7, 20))
        },
        CaseFact {
            acknowledged_ms: Some(at(11, 15, 30)),
            resolved_ms: Some(at(11, 16, 0)),
            closed_ms: Some(at(11, 16, 0)),
            disposition: fp.clone(),
            sla: vec![
                sla("acknowledge", at(11, 16, 0), Some(at(11, 15, 30)), false),
                sla("resolve", at(12, 15, 0), Some(at(11, 16, 0)), false),
            ],
            rules: vec!["Encoded PowerShell".into(), "Password spray".into()],
            ..case("case-g", "Encoded PowerShell from Office", "medium", at(11, 15, 0))
        },
        CaseFact {
            // Due in W48: in neither week.
            sla: vec![sla("acknowledge", at(14, 3, 20), None, false)],
            rules: vec!["Unusual DNS volume".into()],
            ..case("case-h", "Unusual DNS volume from a kiosk", "low", at(13, 23, 20))
        },
    ];

    // (id, rule, time, case, labeled_attack); an alert's disposition is its case's.
    type Row<'a> = (&'a str, &'a str, i64, Option<&'a str>, Option<bool>);
    let alert_rows: [Row; 15] = [
        ("a01", "r-mimi", at(0, 9, 10), Some("case-a"), Some(true)),
        ("a02", "r-spray", at(6, 23, 0), Some("case-b"), Some(false)),
        ("a03", "r-spray", at(6, 23, 5), Some("case-b"), Some(false)),
        ("a04", "r-vss", at(7, 8, 30), Some("case-c"), Some(true)),
        ("a05", "r-mimi", at(7, 8, 35), Some("case-c"), Some(true)),
        ("a06", "r-link", at(8, 10, 50), Some("case-d"), Some(true)),
        ("a07", "r-psexec", at(9, 13, 10), Some("case-e"), Some(true)),
        ("a08", "r-psexec", at(9, 13, 20), Some("case-e"), None),
        ("a09", "r-travel", at(10, 7, 20), Some("case-f"), Some(true)),
        ("a10", "r-encps", at(11, 15, 0), Some("case-g"), Some(false)),
        ("a11", "r-encps", at(11, 15, 10), Some("case-g"), Some(false)),
        ("a12", "r-encps", at(11, 15, 20), Some("case-g"), None),
        ("a13", "r-encps", at(12, 9, 0), None, Some(false)),
        ("a14", "r-spray", at(11, 15, 30), Some("case-g"), Some(false)),
        ("a15", "r-dns", at(13, 23, 20), Some("case-h"), None),
    ];
    let alerts = alert_rows
        .iter()
        .map(|&(id, rule_id, time_ms, case_id, labeled_attack)| AlertFact {
            id: id.into(),
            rule_id: rule_id.into(),
            rule_title: rule_title(rule_id).into(),
            time_ms,
            case_id: case_id.map(String::from),
            disposition: case_id.and_then(|c| cases.iter().find(|k| k.id == c)).and_then(|k| k.disposition.clone()),
            labeled_attack,
        })
        .collect();

    let triage = vec![
        // Listed first but later in time: the latest snapshot of W47.
        TriageFact { at_ms: at(13, 18, 0), raw_alerts: 2000, items: 400, incidents: 30, queued: 50 },
        TriageFact { at_ms: at(9, 12, 0), raw_alerts: 900, items: 180, incidents: 12, queued: 45 },
    ];

    let steps = vec![
        step("run-1", "contain-host", "case-a", "isolate host", at(0, 9, 20), true, "succeeded"),
        step("run-1", "contain-host", "case-a", "reset credentials", at(0, 9, 40), false, "succeeded"),
        step("run-2", "ransomware-containment", "case-c", "isolate host", at(7, 8, 45), true, "succeeded"),
        step("run-2", "ransomware-containment", "case-c", "snapshot disk", at(7, 8, 50), true, "failed"),
        step("run-2", "ransomware-containment", "case-c", "notify owner", at(7, 9, 0), false, "succeeded"),
        step("run-3", "phishing-response", "case-d", "purge email", at(8, 11, 30), true, "succeeded"),
        step("run-3", "phishing-response", "case-d", "block sender", at(8, 11, 31), true, "succeeded"),
        step("run-3", "phishing-response", "case-d", "interview user", at(8, 12, 0), false, "skipped"),
    ];

    let briefs = vec![
        BriefFact {
            id: "brief-1".into(),
            case_id: "case-c".into(),
            issued_ms: at(7, 10, 0),
            acknowledged_ms: Some(at(7, 10, 45)),
        },
        BriefFact {
            id: "brief-2".into(),
            case_id: "case-d".into(),
            issued_ms: at(8, 15, 0),
            acknowledged_ms: Some(at(8, 17, 0)),
        },
        BriefFact { id: "brief-3".into(), case_id: "case-e".into(), issued_ms: at(9, 14, 0), acknowledged_ms: None },
    ];

    let suggestions = vec![
        ExceptionSuggestion {
            rule_id: "r-spray".into(),
            rule_title: "Password spray".into(),
            false_positives: 1,
            suggestion: "Suppress source host vuln-scan-01 for 7 days".into(),
            would_hide_alerts: 3,
            would_hide_true_positives: 1,
        },
        ExceptionSuggestion {
            rule_id: "r-encps".into(),
            rule_title: "Encoded PowerShell".into(),
            false_positives: 3,
            suggestion: "Sigma filter: ParentImage|endswith: '\\OfficeClickToRun.exe'".into(),
            would_hide_alerts: 4,
            would_hide_true_positives: 0,
        },
    ];

    Facts { cases, alerts, triage, steps, briefs, suggestions }
}

fn w46() -> Period {
    Period::parse_week("2026-W46").expect("valid week")
}

fn w47() -> Period {
    Period::parse_week("2026-W47").expect("valid week")
}

fn stat(n: u64, median_min: f64, p90_min: f64, mean_ms: f64) -> Stat {
    Stat { n, median: Some(median_min * MIN as f64), p90: Some(p90_min * MIN as f64), mean: Some(mean_ms) }
}

fn ratio(numerator: u64, denominator: u64) -> Ratio {
    Ratio { numerator, denominator, value: Some(numerator as f64 / denominator as f64) }
}

fn null_ratio() -> Ratio {
    Ratio { numerator: 0, denominator: 0, value: None }
}

fn detection(rule_id: &str, tp: u64, fp: u64, alerts: u64, precision: Option<f64>) -> DetectionPrecision {
    DetectionPrecision { rule_id: rule_id.into(), rule_title: rule_title(rule_id).into(), tp, fp, alerts, precision }
}

fn attained(severity: &str, kind: &str, met: u64, due: u64) -> SlaAttainment {
    SlaAttainment {
        severity: severity.into(),
        kind: kind.into(),
        met,
        due,
        value: Some(met as f64 / due as f64),
        not_contained: 0,
    }
}

#[test]
fn fixture_json_is_the_same_facts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixture.json");
    let expected = facts();
    if std::env::var_os("VIGIL_METRICS_BLESS").is_some() {
        let text = serde_json::to_string_pretty(&expected).expect("serialize") + "\n";
        std::fs::write(path, text).expect("write fixture.json");
    }
    let text = std::fs::read_to_string(path).expect("read fixture.json");
    let loaded: Facts = serde_json::from_str(&text).expect("fixture.json parses as Facts");
    assert_eq!(loaded, expected, "tests/fixture.json is stale; rerun with VIGIL_METRICS_BLESS=1");
}

#[test]
fn periods_of_the_fixture() {
    let p = w47();
    assert_eq!((p.from_ms, p.to_ms), (at(7, 0, 0), at(14, 0, 0)));
    assert_eq!(p.previous(), w46());
    assert_eq!(w46().from_ms, W46);
}

#[test]
fn durations_week_47() {
    let m = compute(&facts(), &w47());
    // MTTD, TP cases with a first event, by first alert in W47: C 30, D 50, E 10 min
    // (A is W46; B, G have no first event; F is benign_true_positive).
    // Sorted [10, 30, 50]: median rank ⌈1.5⌉ = 2 → 30 min; p90 rank ⌈2.7⌉ = 3 → 50 min;
    // mean 90 / 3 = 30 min = 1_800_000 ms.
    assert_eq!(m.mttd_ms, stat(3, 30.0, 50.0, 1_800_000.0));
    // MTTA, by acknowledged in W47: C 10, D 20, E 2, F 120, G 30 min (B acked in W46, H never).
    // Sorted [2, 10, 20, 30, 120]: median rank 3 → 20; p90 rank ⌈4.5⌉ = 5 → 120;
    // mean 182 / 5 = 36.4 min = 2_184_000 ms.
    assert_eq!(m.mtta_ms, stat(5, 20.0, 120.0, 2_184_000.0));
    // MTTR contain, by contained in W47: C 60, D 180, E 30 → [30, 60, 180]: median 60,
    // p90 180, mean 270 / 3 = 90 min = 5_400_000 ms.
    assert_eq!(m.mttr_contain_ms, stat(3, 60.0, 180.0, 5_400_000.0));
    // MTTR resolve, by resolved in W47: B 120 (alert in W46, resolved in W47), C 1440,
    // D 1440, F 180, G 60 → [60, 120, 180, 1440, 1440]: median rank 3 → 180; p90 rank 5 →
    // 1440; mean 3240 / 5 = 648 min = 38_880_000 ms.
    assert_eq!(m.mttr_resolve_ms, stat(5, 180.0, 1440.0, 38_880_000.0));
    // Time to decision, briefs issued in W47 and acknowledged: brief-1 45 min, brief-2
    // 120 min (brief-3 unacknowledged, not in n) → median rank 1 → 45; p90 rank ⌈1.8⌉ = 2 →
    // 120; mean 82.5 min = 4_950_000 ms.
    assert_eq!(m.time_to_decision_ms, stat(2, 45.0, 120.0, 4_950_000.0));
}

#[test]
fn precision_week_47() {
    let m = compute(&facts(), &w47());
    // Disposed in W47 (closed, else resolved): B FP (closed d7), C TP, D TP, F benign (neither),
    // G FP. E is TP but neither closed nor resolved, so it is in no period. TP 2, FP 2 → 2/4.
    assert_eq!(m.precision, ratio(2, 4));
    assert_eq!(m.precision.value, Some(0.5));
    // Per detection over W47 alerts, sorted by title:
    // Encoded PowerShell: a10, a11, a12 (case G, FP) and a13 (no case) → 4 alerts, 0 TP, 3 FP → 0.
    // Impossible travel: a09 (benign) → 1 alert, neither → null.
    // Mimikatz: a05 (C) → 1 TP → 1. Password spray: a14 (G) → 1 FP → 0.
    // PsExec: a07, a08 (E, TP) → 2 TP → 1. Shadow copy: a04 → 1. Suspicious link: a06 → 1.
    // Unusual DNS: a15 (H, undisposed) → null.
    assert_eq!(
        m.per_detection,
        vec![
            detection("r-encps", 0, 3, 4, Some(0.0)),
            detection("r-travel", 0, 0, 1, None),
            detection("r-mimi", 1, 0, 1, Some(1.0)),
            detection("r-spray", 0, 1, 1, Some(0.0)),
            detection("r-psexec", 2, 0, 2, Some(1.0)),
            detection("r-vss", 1, 0, 1, Some(1.0)),
            detection("r-link", 1, 0, 1, Some(1.0)),
            detection("r-dns", 0, 0, 1, None),
        ]
    );
}

#[test]
fn labeled_rates_week_47() {
    let m = compute(&facts(), &w47());
    // Labeled W47 alerts: a04 a05 a06 a07 a09 on attacks (5); a10 a11 a13 a14 not (4); a08,
    // a12, a15 unlabeled. Detection precision 5/9, FP rate 4/9.
    // Cases disposed in W47 with labeled alerts: C (attack, TP), D (attack, TP), F (attack,
    // benign_true_positive: a miss), B (benign: a02, a03; FP), G (benign; FP).
    // Analyst TPR = 2/3; analyst FPR = benign cases disposed TP 0 / 2.
    assert_eq!(
        m.labeled,
        Some(LabeledRates {
            detection_precision: ratio(5, 9),
            detection_fp_rate: ratio(4, 9),
            analyst_tpr: ratio(2, 3),
            analyst_fpr: ratio(0, 2),
        })
    );
}

#[test]
fn sla_week_47() {
    let m = compute(&facts(), &w47());
    // Clocks due in W47, by (severity, kind):
    // critical: C ack, contain, resolve — all on time (contain met exactly at due).
    // high: E ack, E contain on time; resolve: B on time (due d8), E breached unmet → 1/2.
    // medium: ack D, G on time → 2/2; contain D → 1/1; resolve: D late (breached), G on time → 1/2.
    // low: F ack → 1/1 (H's ack is due in W48); F resolve → 1/1.
    assert_eq!(
        m.sla,
        vec![
            attained("critical", "acknowledge", 1, 1),
            attained("critical", "contain", 1, 1),
            attained("critical", "resolve", 1, 1),
            attained("high", "acknowledge", 1, 1),
            attained("high", "contain", 1, 1),
            attained("high", "resolve", 1, 2),
            attained("medium", "acknowledge", 2, 2),
            attained("medium", "contain", 1, 1),
            attained("medium", "resolve", 1, 2),
            attained("low", "acknowledge", 1, 1),
            attained("low", "resolve", 1, 1),
        ]
    );
    // 14 clocks due, 12 on time.
    assert_eq!(m.sla_overall, ratio(12, 14));
    assert_eq!(
        m.sla_breaches,
        vec![
            Breach {
                case_id: "case-d".into(),
                case_title: "Phishing link clicked by finance user".into(),
                severity: "medium".into(),
                kind: "resolve".into(),
                due_ms: at(9, 10, 0),
                met_ms: Some(at(9, 10, 50)),
            },
            Breach {
                case_id: "case-e".into(),
                case_title: "Lateral movement via PsExec".into(),
                severity: "high".into(),
                kind: "resolve".into(),
                due_ms: at(11, 13, 10),
                met_ms: None,
            },
        ]
    );
}

#[test]
fn evidence_automation_reduction_week_47() {
    let m = compute(&facts(), &w47());
    // Closed in W47: B (no packet), C (complete), D (incomplete), F (complete), G (no packet) → 2/5.
    assert_eq!(m.evidence_completeness, ratio(2, 5));
    assert_eq!(m.evidence_completeness.value, Some(0.4));
    // Steps in W47 that succeeded or failed: run-2 ×3 (2 automated, one of them failed),
    // run-3 purge + block (automated); "interview user" was skipped and is left out → 4/5.
    assert_eq!(m.automation, ratio(4, 5));
    assert_eq!(m.automation.value, Some(0.8));
    // Latest triage snapshot in W47 is d13 18:00: 1 − 50/2000 = 1950/2000 = 0.975.
    assert_eq!(m.alert_reduction, Some(0.975));
    assert_eq!(m.triage.as_ref().map(|t| t.raw_alerts), Some(2000));
}

#[test]
fn every_metric_week_46() {
    let m = compute(&facts(), &w46());
    // MTTD: A 10 min, alone → median = p90 = mean = 10 min.
    assert_eq!(m.mttd_ms, stat(1, 10.0, 10.0, 600_000.0));
    // MTTA: A 5, B 30 → median rank 1 → 5; p90 rank ⌈1.8⌉ = 2 → 30; mean 17.5 min.
    assert_eq!(m.mtta_ms, stat(2, 5.0, 30.0, 1_050_000.0));
    // Contain: A 60. Resolve: A 1440 (B resolved in W47).
    assert_eq!(m.mttr_contain_ms, stat(1, 60.0, 60.0, 3_600_000.0));
    assert_eq!(m.mttr_resolve_ms, stat(1, 1440.0, 1440.0, 86_400_000.0));
    // Disposed in W46: A (TP) only; B closed in W47.
    assert_eq!(m.precision, ratio(1, 1));
    // W46 alerts: a01 (Mimikatz, TP), a02 + a03 (Password spray, FP).
    assert_eq!(
        m.per_detection,
        vec![detection("r-mimi", 1, 0, 1, Some(1.0)), detection("r-spray", 0, 2, 2, Some(0.0))]
    );
    // Labeled: a01 attack, a02 a03 not → 1/3, 2/3. Disposed: A, an attack case, TP → 1/1; no
    // benign case → the FPR is null, not 0.
    assert_eq!(
        m.labeled,
        Some(LabeledRates {
            detection_precision: ratio(1, 3),
            detection_fp_rate: ratio(2, 3),
            analyst_tpr: ratio(1, 1),
            analyst_fpr: null_ratio(),
        })
    );
    // No triage snapshot in W46.
    assert_eq!(m.alert_reduction, None);
    assert_eq!(m.triage, None);
    // run-1: isolate (automated) and reset (manual) → 1/2.
    assert_eq!(m.automation, ratio(1, 2));
    // Closed in W46: A, complete → 1/1.
    assert_eq!(m.evidence_completeness, ratio(1, 1));
    // SLA due in W46: A ack, contain, resolve on time; B ack late (breached).
    assert_eq!(
        m.sla,
        vec![
            attained("critical", "acknowledge", 1, 1),
            attained("critical", "contain", 1, 1),
            attained("critical", "resolve", 1, 1),
            attained("high", "acknowledge", 0, 1),
        ]
    );
    assert_eq!(m.sla_overall, ratio(3, 4));
    assert_eq!(
        m.sla_breaches,
        vec![Breach {
            case_id: "case-b".into(),
            case_title: "Password spray against VPN".into(),
            severity: "high".into(),
            kind: "acknowledge".into(),
            due_ms: at(6, 23, 15),
            met_ms: Some(at(6, 23, 30)),
        }]
    );
    // No brief issued in W46.
    assert_eq!(m.time_to_decision_ms, Stat::EMPTY);
}

#[test]
fn scorecard_trend_noisy_rules_and_tuning() {
    let facts = facts();
    let sc = scorecard(&facts, &w47(), 2, "Weekly SOC scorecard", at(14, 8, 0));
    assert_eq!(sc.metrics, compute(&facts, &w47()));
    // Two weeks before, oldest first: W45 (empty), W46.
    let labels: Vec<&str> = sc.trend.iter().map(|m| m.period.label.as_str()).collect();
    assert_eq!(labels, ["2026-W45", "2026-W46"]);
    assert_eq!(sc.trend[1], compute(&facts, &w46()));
    // W47 false positives: Encoded PowerShell 3 (of 4 alerts), Password spray 1 (of 1).
    assert_eq!(
        sc.noisy_rules,
        vec![
            NoisyRule {
                rule_id: "r-encps".into(),
                rule_title: "Encoded PowerShell".into(),
                false_positives: 3,
                alerts: 4
            },
            NoisyRule { rule_id: "r-spray".into(), rule_title: "Password spray".into(), false_positives: 1, alerts: 1 },
        ]
    );
    // Most false positives first.
    let tuning: Vec<&str> = sc.tuning.iter().map(|s| s.rule_id.as_str()).collect();
    assert_eq!(tuning, ["r-encps", "r-spray"]);
}

#[test]
fn empty_period_gives_null_not_zero() {
    let sc = scorecard(&facts(), &w47(), 2, "Weekly SOC scorecard", at(14, 8, 0));
    let w45 = &sc.trend[0];
    assert_eq!(w45.period.label, "2026-W45");
    for s in [&w45.mttd_ms, &w45.mtta_ms, &w45.mttr_contain_ms, &w45.mttr_resolve_ms, &w45.time_to_decision_ms] {
        assert_eq!(*s, Stat::EMPTY);
    }
    for r in [&w45.precision, &w45.automation, &w45.evidence_completeness, &w45.sla_overall] {
        assert_eq!(*r, null_ratio());
    }
    assert_eq!(w45.labeled, None);
    assert_eq!(w45.alert_reduction, None);
    assert!(w45.per_detection.is_empty() && w45.sla.is_empty() && w45.sla_breaches.is_empty());

    let json = sc.to_json();
    let t = &json["trend"][0];
    assert_eq!(t["mttd_ms"]["n"], Value::from(0));
    assert_eq!(t["mttd_ms"]["median"], Value::Null);
    assert_eq!(t["mttd_ms"]["p90"], Value::Null);
    assert_eq!(t["mttd_ms"]["mean"], Value::Null);
    assert_eq!(t["precision"]["value"], Value::Null);
    assert_eq!(t["precision"]["denominator"], Value::from(0));
    assert_eq!(t["automation"]["value"], Value::Null);
    assert_eq!(t["evidence_completeness"]["value"], Value::Null);
    assert_eq!(t["alert_reduction"], Value::Null);
    assert_eq!(t["labeled"], Value::Null);
    assert_eq!(t["time_to_decision_ms"]["median"], Value::Null);
    // Durations are milliseconds in JSON.
    assert_eq!(json["metrics"]["mttd_ms"]["median"], Value::from(1_800_000.0));
}

#[test]
fn json_round_trips() {
    let sc = scorecard(&facts(), &w47(), 2, "Weekly SOC scorecard", at(14, 8, 0));
    let json = sc.to_json();
    let text = serde_json::to_string(&json).expect("serialize");
    let back: vigil_metrics::Scorecard = serde_json::from_str(&text).expect("parse");
    assert_eq!(back, sc);
    assert_eq!(serde_json::from_value::<vigil_metrics::Scorecard>(json).expect("from value"), sc);
}

/// The fixture with hostile text where facts carry free text.
fn hostile_facts() -> Facts {
    let mut facts = facts();
    for alert in facts.alerts.iter_mut().filter(|a| a.rule_id == "r-encps") {
        alert.rule_title = "<script>alert('rule')</script> Encoded PowerShell".into();
    }
    for case in facts.cases.iter_mut().filter(|c| c.id == "case-d") {
        case.title = "<script>alert(\"case\")</script> Phishing".into();
    }
    facts.suggestions[1].suggestion = "<img src=x onerror=alert(1)> filter".into();
    facts
}

#[test]
fn html_is_self_contained_with_a_chart_per_section() {
    let sc = scorecard(&hostile_facts(), &w47(), 4, "Weekly <SOC> scorecard", at(14, 8, 0));
    let html = sc.to_html();
    assert!(html.starts_with("<!DOCTYPE html>"));
    // Six trend charts (response times, precision, automation overall, for notify and
    // ticket steps and for containment steps, evidence), per-detection precision, noisy
    // rules, SLA breaches by severity.
    assert_eq!(html.matches("<svg").count(), 9);
    assert_eq!(html.matches("</svg>").count(), 9);
    for title in [
        "Response times (median)",
        "Precision",
        "Automation rate",
        "Evidence completeness",
        "Precision per detection",
        "Top noisy rules",
        "SLA breaches by severity",
    ] {
        assert!(html.contains(&format!("aria-label=\"{title}\"")), "chart {title} missing");
    }
    // Every chart has a table right after it (the text fallback).
    for after in html.split("</svg>").skip(1) {
        let next_table = after.find("<table>").expect("a table after each chart");
        assert!(after.find("<svg").is_none_or(|s| next_table < s), "chart without its table");
    }
    // Text is drawn as SVG text: titles and axis labels.
    assert!(html.contains("<text"));
    assert!(html.contains("Response times (median)\n</text>"));
    assert!(html.contains("precision (%)"));
    assert!(html.contains("2026-W47\n</text>"));
    // Nothing external, no script.
    let lower = html.to_lowercase();
    assert!(!lower.contains("http://") && !lower.contains("https://"));
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("<img"));
    assert!(!lower.contains("url("));
    // Hostile text is escaped in tables and in the SVG.
    assert!(html.contains("&lt;script&gt;alert(&#39;rule&#39;)&lt;/script&gt; Encoded PowerShell"));
    assert!(html.contains("&lt;script&gt;alert(&quot;case&quot;)&lt;/script&gt; Phishing"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; filter"));
    assert!(html.contains("Weekly &lt;SOC&gt; scorecard"));
    // Headline numbers with n and the change from the previous week.
    assert!(html.contains("n = 3"));
    assert!(html.contains("median 30 min, p90 50 min, mean 30 min"));
    assert!(html.contains("+20 min vs 2026-W46"));
    assert!(html.contains("−50 pp vs 2026-W46"));
    // Impact preview of each suggested exception.
    assert!(html.contains("would hide 4 alerts, 0 of them true positives"));
    assert!(html.contains("would hide 3 alerts, 1 of them a true positive"));
}

#[test]
fn markdown_has_a_table_per_section() {
    let sc = scorecard(&hostile_facts(), &w47(), 1, "Weekly SOC scorecard", at(14, 8, 0));
    let md = sc.to_markdown();
    let sections: Vec<&str> = md.split("\n## ").skip(1).collect();
    let names: Vec<&str> = sections.iter().map(|s| s.lines().next().unwrap_or("")).collect();
    assert_eq!(
        names,
        [
            "Headline",
            "Trends",
            "Precision per detection",
            "Top noisy rules",
            "SLA attainment",
            "SLA breaches by severity",
            "SLA breaches",
            "Rates on labeled data",
            "Tuning suggestions",
            "Definitions",
        ]
    );
    for section in &sections {
        assert!(section.lines().any(|l| l.starts_with("| ---") || l.starts_with("| ---:")), "no table in {section}");
    }
    assert!(md.contains("| MTTD | 30 min | n = 3 | median 30 min, p90 50 min, mean 30 min | +20 min |"));
    assert!(md.contains("| Precision | 50% | n = 4 |"));
    assert!(md.contains("| Alert reduction | 97.5% | n = 2000 |"));
    assert!(md.contains("would hide 4 alerts, 0 of them true positives"));
    assert!(!md.contains("<script"));
    assert!(md.contains("&lt;script&gt;"));
}

#[test]
fn brief_is_one_escaped_printable_page() {
    let facts = hostile_facts();
    let case = facts.cases.iter().find(|c| c.id == "case-d").cloned().expect("case-d");
    let brief = vigil_metrics::Brief {
        case,
        what_happened: "A finance user opened a link.\n\n<b>It</b> ran a dropper.".into(),
        impact: "One laptop; no data left the network.".into(),
        actions: vec!["Isolated the laptop".into(), "Purged the email from 40 mailboxes".into()],
        decisions: vec!["Approve a password reset for the finance team <today>".into()],
        issued_ms: at(8, 15, 0),
        id: "brief-2".into(),
    };
    let html = brief.to_html();
    assert!(html.contains("@media print"));
    assert!(html.contains("@page"));
    assert!(html.contains("&lt;script&gt;alert(&quot;case&quot;)&lt;/script&gt; Phishing"));
    assert!(html.contains("<p>&lt;b&gt;It&lt;/b&gt; ran a dropper.</p>"));
    assert!(html.contains("<li>Approve a password reset for the finance team &lt;today&gt;</li>"));
    assert!(html.contains("sev-medium"));
    assert!(html.contains("2026-11-17 15:00 UTC"));
    // Contained 180 min after the first alert.
    assert!(html.contains("+3 h"));
    let lower = html.to_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("http://") && !lower.contains("https://"));
    assert!(!lower.contains("<b>"));
}

#[test]
fn inconsistent_times_and_odd_spelling() {
    let mut facts = facts();
    // Acknowledged before its first alert: left out of MTTA (5 samples remain in W47).
    let mut odd = case("case-x", "Clock skew", " HIGH ", at(9, 12, 0));
    odd.acknowledged_ms = Some(at(9, 11, 0));
    odd.closed_ms = Some(at(9, 12, 30));
    // Dispositions and severities compare trimmed and lowercased.
    odd.disposition = Some(" True_Positive ".into());
    odd.sla = vec![sla(" Acknowledge", at(9, 12, 15), Some(at(9, 12, 5)), false)];
    facts.cases.push(odd);
    let m = compute(&facts, &w47());
    assert_eq!(m.mtta_ms.n, 5);
    // One more TP disposed in W47: 3 / 5.
    assert_eq!(m.precision, ratio(3, 5));
    assert_eq!(m.sla[3], attained("high", "acknowledge", 2, 2));
}

#[test]
fn many_rules_chart_is_capped() {
    let alerts = (0..45)
        .map(|i| AlertFact {
            id: format!("x{i}"),
            rule_id: format!("rule-{i:02}"),
            rule_title: format!("Rule number {i}"),
            time_ms: at(8, 0, i),
            case_id: Some("c".into()),
            disposition: Some(if i % 3 == 0 { "true_positive" } else { "false_positive" }.into()),
            labeled_attack: None,
        })
        .collect();
    let facts = Facts { alerts, ..Facts::default() };
    let sc = scorecard(&facts, &w47(), 1, "Many rules", at(14, 0, 0));
    assert_eq!(sc.metrics.per_detection.len(), 45);
    // 30 rules have a false positive; the top 10 are listed.
    assert_eq!(sc.noisy_rules.len(), 10);
    let html = sc.to_html();
    assert!(html.contains("Precision per detection (30 busiest of 45)"));
    assert_eq!(html.matches("<svg").count(), 9);
}

#[test]
fn detection_and_response_count_from_when_the_alert_was_raised() {
    // The first event at W47 Mon 10:00; its alert's event at 10:05; Vigil raised it at 10:45
    // (a late log shipment); acknowledged 11:00, resolved 12:45.
    let mut c = case("R", "Raised late", "high", at(7, 10, 5));
    c.first_event_ms = Some(at(7, 10, 0));
    c.first_alert_raised_ms = Some(at(7, 10, 45));
    c.acknowledged_ms = Some(at(7, 11, 0));
    c.resolved_ms = Some(at(7, 12, 45));
    c.disposition = Some("true_positive".into());
    let facts = Facts { cases: vec![c.clone()], ..Facts::default() };
    let m = compute(&facts, &w47());
    assert_eq!(m.mttd_ms.median, Some((45 * MIN) as f64), "event → raised: 45 min");
    assert_eq!(m.mtta_ms.median, Some((15 * MIN) as f64), "raised → acknowledged: 15 min");
    assert_eq!(m.mttr_resolve_ms.median, Some((2 * HOUR) as f64), "raised → resolved: 2 h");
    // Without the raised time, the alert's event time stands in.
    c.first_alert_raised_ms = None;
    let m = compute(&Facts { cases: vec![c], ..Facts::default() }, &w47());
    assert_eq!(m.mttd_ms.median, Some((5 * MIN) as f64));
    assert_eq!(m.mtta_ms.median, Some((55 * MIN) as f64));
}

#[test]
fn evidence_completeness_counts_resolved_cases_not_yet_closed() {
    // Two cases resolved in W47, one closed in W47: three done; packets complete for two.
    let mut a = case("A1", "Resolved with a packet", "high", at(7, 9, 0));
    a.resolved_ms = Some(at(7, 12, 0));
    a.packet_complete = Some(true);
    let mut b = case("B1", "Resolved without a packet", "high", at(7, 9, 0));
    b.resolved_ms = Some(at(8, 12, 0));
    b.packet_complete = None;
    let mut c = case("C1", "Closed with a packet", "low", at(7, 9, 0));
    c.resolved_ms = Some(at(7, 10, 0));
    c.closed_ms = Some(at(9, 10, 0));
    c.packet_complete = Some(true);
    let mut d = case("D1", "Still open", "low", at(7, 9, 0));
    d.packet_complete = Some(true);
    let m = compute(&Facts { cases: vec![a, b, c, d], ..Facts::default() }, &w47());
    assert_eq!((m.evidence_completeness.numerator, m.evidence_completeness.denominator), (2, 3));
}
