//! Computing [`Metrics`] for one period, exactly as [`crate::DEFINITIONS`] states.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::facts::{CaseFact, Facts, StepAction, TriageFact};
use crate::format::norm;
use crate::period::Period;
use crate::stats::{Ratio, Stat};

const TRUE_POSITIVE: &str = "true_positive";
const FALSE_POSITIVE: &str = "false_positive";

/// Precision of one detection rule over its alerts in the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetectionPrecision {
    pub rule_id: String,
    pub rule_title: String,
    /// Alerts disposed true_positive.
    pub tp: u64,
    /// Alerts disposed false_positive.
    pub fp: u64,
    /// All of the rule's alerts in the period, disposed or not.
    pub alerts: u64,
    /// tp / (tp + fp); `None` when tp + fp = 0.
    pub precision: Option<f64>,
}

/// Rates against ground-truth labels.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabeledRates {
    /// Labeled alerts on an attack / all labeled alerts.
    pub detection_precision: Ratio,
    /// Labeled alerts not on an attack / all labeled alerts.
    pub detection_fp_rate: Ratio,
    /// Attack cases disposed true_positive / attack cases (disposed in the period).
    pub analyst_tpr: Ratio,
    /// Benign cases disposed true_positive / benign cases (disposed in the period).
    pub analyst_fpr: Ratio,
}

/// SLA attainment for one (severity, kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaAttainment {
    pub severity: String,
    pub kind: String,
    /// Clocks met on time.
    pub met: u64,
    /// Clocks due in the period.
    pub due: u64,
    /// met / due; `None` when due = 0.
    pub value: Option<f64>,
    /// Contain clocks due in the period of cases resolved or closed without containment:
    /// neither met nor due, and not breaches.
    #[serde(default)]
    pub not_contained: u64,
}

/// One SLA clock due in the period that was not met on time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breach {
    pub case_id: String,
    pub case_title: String,
    pub severity: String,
    pub kind: String,
    pub due_ms: i64,
    pub met_ms: Option<i64>,
}

/// Every metric for one period. Durations are milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    pub period: Period,
    pub mttd_ms: Stat,
    pub mtta_ms: Stat,
    pub mttr_contain_ms: Stat,
    pub mttr_resolve_ms: Stat,
    pub precision: Ratio,
    pub per_detection: Vec<DetectionPrecision>,
    /// `None` when nothing in the period is labeled.
    pub labeled: Option<LabeledRates>,
    pub alert_reduction: Option<f64>,
    /// The triage snapshot `alert_reduction` comes from.
    pub triage: Option<TriageFact>,
    pub automation: Ratio,
    /// Automation of notify steps (notifications and tickets): automated / counted.
    #[serde(default)]
    pub automation_notify: Ratio,
    /// Automation of containment steps (contain and destructive actions): automated / counted.
    #[serde(default)]
    pub automation_contain: Ratio,
    pub evidence_completeness: Ratio,
    pub sla: Vec<SlaAttainment>,
    /// All SLA clocks due in the period: met on time / due.
    pub sla_overall: Ratio,
    /// Contain clocks due in the period of cases that ended without containment.
    #[serde(default)]
    pub sla_not_contained: u64,
    pub sla_breaches: Vec<Breach>,
    pub time_to_decision_ms: Stat,
}

/// Computes every metric over `facts` for `period`. Without step actions the automation
/// split by class has n = 0; see [`compute_with_actions`].
pub fn compute(facts: &Facts, period: &Period) -> Metrics {
    compute_with_actions(facts, &[], period)
}

/// The class group a step's action falls in for the automation split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClassGroup {
    Notify,
    Contain,
    Other,
}

fn class_group(class: &str) -> ClassGroup {
    match norm(class).as_str() {
        "notify" | "ticket" => ClassGroup::Notify,
        "contain" | "destructive" => ClassGroup::Contain,
        _ => ClassGroup::Other,
    }
}

/// Computes every metric over `facts` for `period`, with the automation rate also split by
/// the class of each step's action (`actions`, keyed by run and step).
pub fn compute_with_actions(facts: &Facts, actions: &[StepAction], period: &Period) -> Metrics {
    let cases = &facts.cases;
    let in_period = |t: i64| period.contains(t);

    // Detection counts to when the first alert was raised (when known), response from it.
    let raised = |c: &CaseFact| c.first_alert_raised_ms.unwrap_or(c.first_alert_ms);
    let mttd = durations(cases.iter().filter(|c| is(&c.disposition, TRUE_POSITIVE)), |c| {
        let event = c.first_event_ms?;
        in_period(raised(c)).then_some((event, raised(c)))
    });
    let mtta = durations(cases.iter(), |c| {
        let ack = c.acknowledged_ms?;
        in_period(ack).then_some((raised(c), ack))
    });
    let contain = durations(cases.iter(), |c| {
        let t = c.contained_ms?;
        in_period(t).then_some((raised(c), t))
    });
    let resolve = durations(cases.iter(), |c| {
        let t = c.resolved_ms?;
        in_period(t).then_some((raised(c), t))
    });

    let disposed: Vec<&CaseFact> =
        cases.iter().filter(|c| c.disposition.is_some() && disposed_ms(c).is_some_and(&in_period)).collect();
    let tp = disposed.iter().filter(|c| is(&c.disposition, TRUE_POSITIVE)).count() as u64;
    let fp = disposed.iter().filter(|c| is(&c.disposition, FALSE_POSITIVE)).count() as u64;

    // Closed, or resolved and not (yet) closed: the case's work is done either way.
    let closed: Vec<&CaseFact> = cases.iter().filter(|c| disposed_ms(c).is_some_and(&in_period)).collect();
    let complete = closed.iter().filter(|c| c.packet_complete == Some(true)).count() as u64;

    let (sla, sla_overall, sla_breaches, sla_not_contained) = sla(cases, period);

    let triage = facts
        .triage
        .iter()
        .enumerate()
        .filter(|(_, t)| in_period(t.at_ms))
        .max_by_key(|(i, t)| (t.at_ms, *i))
        .map(|(_, t)| t.clone());
    let alert_reduction = triage
        .as_ref()
        .and_then(|t| (t.raw_alerts > 0).then(|| (t.raw_alerts as f64 - t.queued as f64) / t.raw_alerts as f64));

    let counted_steps: Vec<_> = facts
        .steps
        .iter()
        .filter(|s| in_period(s.at_ms) && matches!(norm(&s.status).as_str(), "succeeded" | "failed"))
        .collect();
    let automated = counted_steps.iter().filter(|s| s.automated).count() as u64;
    let class_of: HashMap<(&str, &str), ClassGroup> =
        actions.iter().map(|a| ((a.run_id.as_str(), a.step.as_str()), class_group(&a.class))).collect();
    let split = |group: ClassGroup| {
        let steps: Vec<_> = counted_steps
            .iter()
            .filter(|s| class_of.get(&(s.run_id.as_str(), s.step.as_str())) == Some(&group))
            .collect();
        Ratio::new(steps.iter().filter(|s| s.automated).count() as u64, steps.len() as u64)
    };

    let decisions: Vec<i64> = facts
        .briefs
        .iter()
        .filter(|b| in_period(b.issued_ms))
        .filter_map(|b| b.acknowledged_ms.and_then(|ack| ack.checked_sub(b.issued_ms)))
        .filter(|d| *d >= 0)
        .collect();

    Metrics {
        period: period.clone(),
        mttd_ms: mttd,
        mtta_ms: mtta,
        mttr_contain_ms: contain,
        mttr_resolve_ms: resolve,
        precision: Ratio::new(tp, tp + fp),
        per_detection: per_detection(facts, period),
        labeled: labeled(facts, period, &disposed),
        alert_reduction,
        triage,
        automation: Ratio::new(automated, counted_steps.len() as u64),
        automation_notify: split(ClassGroup::Notify),
        automation_contain: split(ClassGroup::Contain),
        evidence_completeness: Ratio::new(complete, closed.len() as u64),
        sla,
        sla_overall,
        sla_not_contained,
        sla_breaches,
        time_to_decision_ms: Stat::from_samples(&decisions),
    }
}

/// Whether an optional disposition is `wanted`, after trimming and lowercasing.
fn is(disposition: &Option<String>, wanted: &str) -> bool {
    disposition.as_deref().is_some_and(|d| norm(d) == wanted)
}

/// closed_ms, or resolved_ms when the case is not closed.
fn disposed_ms(case: &CaseFact) -> Option<i64> {
    case.closed_ms.or(case.resolved_ms)
}

/// The stat of `end − start` over the cases `pick` returns a pair for; inconsistent pairs
/// (end before start) are left out.
fn durations<'a>(cases: impl Iterator<Item = &'a CaseFact>, pick: impl Fn(&CaseFact) -> Option<(i64, i64)>) -> Stat {
    let samples: Vec<i64> =
        cases.filter_map(pick).filter_map(|(start, end)| end.checked_sub(start)).filter(|d| *d >= 0).collect();
    Stat::from_samples(&samples)
}

fn per_detection(facts: &Facts, period: &Period) -> Vec<DetectionPrecision> {
    struct Acc {
        title: String,
        title_at: (i64, usize),
        tp: u64,
        fp: u64,
        alerts: u64,
    }
    let mut rules: BTreeMap<&str, Acc> = BTreeMap::new();
    for (i, alert) in facts.alerts.iter().enumerate().filter(|(_, a)| period.contains(a.time_ms)) {
        let acc = rules.entry(alert.rule_id.as_str()).or_insert_with(|| Acc {
            title: alert.rule_title.clone(),
            title_at: (alert.time_ms, i),
            tp: 0,
            fp: 0,
            alerts: 0,
        });
        if (alert.time_ms, i) >= acc.title_at {
            acc.title = alert.rule_title.clone();
            acc.title_at = (alert.time_ms, i);
        }
        acc.alerts += 1;
        if is(&alert.disposition, TRUE_POSITIVE) {
            acc.tp += 1;
        } else if is(&alert.disposition, FALSE_POSITIVE) {
            acc.fp += 1;
        }
    }
    let mut out: Vec<DetectionPrecision> = rules
        .into_iter()
        .map(|(rule_id, a)| DetectionPrecision {
            rule_id: rule_id.to_string(),
            rule_title: a.title,
            tp: a.tp,
            fp: a.fp,
            alerts: a.alerts,
            precision: Ratio::new(a.tp, a.tp + a.fp).value,
        })
        .collect();
    out.sort_by(|a, b| a.rule_title.cmp(&b.rule_title).then_with(|| a.rule_id.cmp(&b.rule_id)));
    out
}

fn labeled(facts: &Facts, period: &Period, disposed: &[&CaseFact]) -> Option<LabeledRates> {
    let labels: Vec<bool> =
        facts.alerts.iter().filter(|a| period.contains(a.time_ms)).filter_map(|a| a.labeled_attack).collect();
    let on_attack = labels.iter().filter(|l| **l).count() as u64;
    let labeled_alerts = labels.len() as u64;

    // Per case: whether any alert is labeled on an attack, over all alerts of the case.
    let mut case_labels: HashMap<&str, bool> = HashMap::new();
    for alert in &facts.alerts {
        if let (Some(case_id), Some(label)) = (alert.case_id.as_deref(), alert.labeled_attack) {
            let attack = case_labels.entry(case_id).or_insert(false);
            *attack |= label;
        }
    }
    let (mut attack_cases, mut attack_tp, mut benign_cases, mut benign_tp) = (0u64, 0u64, 0u64, 0u64);
    for case in disposed {
        let Some(&attack) = case_labels.get(case.id.as_str()) else { continue };
        let tp = is(&case.disposition, TRUE_POSITIVE) as u64;
        if attack {
            attack_cases += 1;
            attack_tp += tp;
        } else {
            benign_cases += 1;
            benign_tp += tp;
        }
    }
    if labeled_alerts == 0 && attack_cases + benign_cases == 0 {
        return None;
    }
    Some(LabeledRates {
        detection_precision: Ratio::new(on_attack, labeled_alerts),
        detection_fp_rate: Ratio::new(labeled_alerts - on_attack, labeled_alerts),
        analyst_tpr: Ratio::new(attack_tp, attack_cases),
        analyst_fpr: Ratio::new(benign_tp, benign_cases),
    })
}

/// Sort key for severities: critical, high, medium, low, then others by name.
pub(crate) fn severity_rank(severity: &str) -> (u8, String) {
    let rank = match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        _ => 4,
    };
    (rank, severity.to_string())
}

fn kind_rank(kind: &str) -> (u8, String) {
    let rank = match kind {
        "acknowledge" => 0,
        "contain" => 1,
        "resolve" => 2,
        _ => 3,
    };
    (rank, kind.to_string())
}

fn sla(cases: &[CaseFact], period: &Period) -> (Vec<SlaAttainment>, Ratio, Vec<Breach>, u64) {
    // (severity sort key, kind sort key) → (met on time, due, not contained).
    type Key = ((u8, String), (u8, String));
    let mut groups: BTreeMap<Key, (u64, u64, u64)> = BTreeMap::new();
    let mut breaches = Vec::new();
    for case in cases {
        let severity = norm(&case.severity);
        // Resolved or closed without ever being contained: its contain clock stopped unmet.
        let not_contained = case.contained_ms.is_none() && disposed_ms(case).is_some();
        for clock in case.sla.iter().filter(|s| period.contains(s.due_ms)) {
            let kind = norm(&clock.kind);
            let entry = groups.entry((severity_rank(&severity), kind_rank(&kind))).or_insert((0, 0, 0));
            if kind == "contain" && not_contained {
                entry.2 += 1;
                continue;
            }
            let on_time = !clock.breached && clock.met_ms.is_some_and(|m| m <= clock.due_ms);
            entry.1 += 1;
            if on_time {
                entry.0 += 1;
            } else {
                breaches.push(Breach {
                    case_id: case.id.clone(),
                    case_title: case.title.clone(),
                    severity: severity.clone(),
                    kind,
                    due_ms: clock.due_ms,
                    met_ms: clock.met_ms,
                });
            }
        }
    }
    let (met, due, not_contained) = groups.values().fold((0, 0, 0), |(m, d, n), (gm, gd, gn)| (m + gm, d + gd, n + gn));
    let attainment = groups
        .into_iter()
        .map(|(((_, severity), (_, kind)), (met, due, not_contained))| SlaAttainment {
            severity,
            kind,
            met,
            due,
            value: Ratio::new(met, due).value,
            not_contained,
        })
        .collect();
    breaches.sort_by(|a, b| a.due_ms.cmp(&b.due_ms).then_with(|| a.case_id.cmp(&b.case_id)).then(a.kind.cmp(&b.kind)));
    (attainment, Ratio::new(met, due), breaches, not_contained)
}
