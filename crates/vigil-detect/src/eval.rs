//! Scoring alerts against ground truth: labeled attack instances (the simulator's `labels.jsonl`,
//! or any file of the same shape), each naming the event ids that belong to it.
//!
//! An alert is a true positive for an instance when one of its event ids is one of the
//! instance's; an alert that touches no labeled event is a false positive. Per scenario: recall
//! is the share of its instances that at least one alert touches; precision is, over the
//! detections that touch the scenario, the share of their alerts that touch a labeled attack. Per detection:
//! precision is the share of its alerts that touch any instance; recall is the share of the
//! instances of the scenarios it touches that it touches.
//!
//! Signals (rules at level `low` or `informational`, which Sigma defines as "rarely an incident")
//! are scored per detection but do not count toward a scenario's precision and recall, the
//! false-positive total or the missed list: those measure the alerting detections. Whether
//! signals help is measured where they are used, by triage.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
pub use vigil_model::label::{Label, read_labels};

use crate::alert::Alert;
use crate::rules::Level;

/// Precision, recall and F1 of one scenario or detection.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Score {
    pub name: String,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub alerts: u64,
    pub true_positive_alerts: u64,
    pub instances: u64,
    pub detected_instances: u64,
    /// For scenarios: the detections that touched it; for detections: the scenarios it touched.
    pub by: Vec<String>,
    /// For detections: a signal (level low or informational), not an alerting detection.
    #[serde(skip_serializing_if = "std::ops::Not::not", default)]
    pub signal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Alerts of the alerting detections (level medium and above).
    pub alerts: u64,
    pub false_positive_alerts: u64,
    /// Alerts of signals (level low and informational), and those of them on no labeled event.
    pub signals: u64,
    pub signal_false_positive_alerts: u64,
    pub instances: u64,
    pub detected_instances: u64,
    pub scenarios: Vec<Score>,
    pub detections: Vec<Score>,
    /// Instances no alert touched.
    pub missed: Vec<String>,
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

pub fn evaluate(labels: &[Label], alerts: &[Alert]) -> EvalReport {
    let mut owner: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, l) in labels.iter().enumerate() {
        for id in &l.event_ids {
            owner.entry(id.as_str()).or_default().push(i);
        }
    }
    // detection -> (alerts, tp alerts, instances touched); instance -> detections touching it.
    let mut det_alerts: BTreeMap<String, (u64, u64, BTreeSet<usize>)> = BTreeMap::new();
    let mut inst_dets: Vec<BTreeSet<String>> = vec![BTreeSet::new(); labels.len()];
    let mut fp = 0;
    let (mut n_alerting, mut n_signals, mut signal_fp) = (0, 0, 0);
    let mut signal_names: BTreeSet<String> = BTreeSet::new();
    for a in alerts {
        let name = a.rule.title.clone();
        let signal = a.rule.level < Level::Medium;
        let touched: BTreeSet<usize> =
            a.event_ids.iter().filter_map(|id| owner.get(id.as_str())).flatten().copied().collect();
        let e = det_alerts.entry(name.clone()).or_default();
        e.0 += 1;
        if signal {
            n_signals += 1;
            signal_names.insert(name.clone());
        } else {
            n_alerting += 1;
        }
        if touched.is_empty() {
            if signal {
                signal_fp += 1;
            } else {
                fp += 1;
            }
        } else {
            e.1 += 1;
        }
        for i in touched {
            e.2.insert(i);
            if !signal {
                inst_dets[i].insert(name.clone());
            }
        }
    }
    let mut by_scenario: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, l) in labels.iter().enumerate() {
        by_scenario.entry(l.scenario.as_str()).or_default().push(i);
    }
    let mut scenarios = Vec::new();
    for (sc, insts) in &by_scenario {
        let detected = insts.iter().filter(|i| !inst_dets[**i].is_empty()).count() as u64;
        let dets: BTreeSet<&String> = insts.iter().flat_map(|i| inst_dets[*i].iter()).collect();
        let (mut all, mut tp) = (0, 0);
        for d in &dets {
            if let Some((n, t, _)) = det_alerts.get(*d) {
                all += n;
                tp += t;
            }
        }
        let p = ratio(tp, all);
        let r = ratio(detected, insts.len() as u64);
        scenarios.push(Score {
            name: sc.to_string(),
            precision: p,
            recall: r,
            f1: f1(p, r),
            alerts: all,
            true_positive_alerts: tp,
            instances: insts.len() as u64,
            detected_instances: detected,
            by: dets.into_iter().cloned().collect(),
            signal: false,
        });
    }
    let mut detections = Vec::new();
    for (d, (n, tp, touched)) in &det_alerts {
        let scs: BTreeSet<&str> = touched.iter().map(|i| labels[*i].scenario.as_str()).collect();
        let insts: u64 = scs.iter().map(|s| by_scenario.get(s).map_or(0, |v| v.len() as u64)).sum();
        let p = ratio(*tp, *n);
        let r = ratio(touched.len() as u64, insts);
        detections.push(Score {
            name: d.clone(),
            precision: p,
            recall: r,
            f1: f1(p, r),
            alerts: *n,
            true_positive_alerts: *tp,
            instances: insts,
            detected_instances: touched.len() as u64,
            by: scs.into_iter().map(str::to_string).collect(),
            signal: signal_names.contains(d),
        });
    }
    let missed =
        labels.iter().enumerate().filter(|(i, _)| inst_dets[*i].is_empty()).map(|(_, l)| l.instance.clone()).collect();
    EvalReport {
        alerts: n_alerting,
        false_positive_alerts: fp,
        signals: n_signals,
        signal_false_positive_alerts: signal_fp,
        instances: labels.len() as u64,
        detected_instances: inst_dets.iter().filter(|d| !d.is_empty()).count() as u64,
        scenarios,
        detections,
        missed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{AlertKind, AlertRule, Confidence, Entities};

    fn alert(rule: &str, ids: &[&str]) -> Alert {
        Alert {
            id: format!("{rule}{ids:?}"),
            kind: AlertKind::Detection,
            rule: AlertRule {
                id: rule.into(),
                title: rule.into(),
                level: Level::High,
                tags: vec![],
                techniques: vec![],
                tactics: vec![],
                file: String::new(),
            },
            time: None,
            event_ids: ids.iter().map(|s| s.to_string()).collect(),
            source: None,
            matched: vec![],
            explanation: String::new(),
            confidence: Confidence { score: 50, reason: String::new() },
            entities: Entities::default(),
            correlation: None,
            features: vec![],
            controls: vec![],
        }
    }

    #[test]
    fn precision_recall_per_scenario_and_detection() {
        let labels = read_labels(
            "{\"scenario\":\"a\",\"event_ids\":[\"e1\",\"e2\"]}\n{\"scenario\":\"a\",\"event_ids\":[\"e3\"]}\n\n{\"scenario\":\"b\",\"event_ids\":[\"e9\"]}\n",
        )
        .unwrap();
        let alerts = vec![alert("R1", &["e1"]), alert("R1", &["x"]), alert("R2", &["e3"]), alert("R2", &["e2"])];
        let r = evaluate(&labels, &alerts);
        assert_eq!((r.alerts, r.false_positive_alerts, r.instances, r.detected_instances), (4, 1, 3, 2));
        let a = r.scenarios.iter().find(|s| s.name == "a").unwrap();
        assert_eq!((a.recall, a.precision), (1.0, 0.75));
        assert_eq!(a.by, vec!["R1", "R2"]);
        let b = r.scenarios.iter().find(|s| s.name == "b").unwrap();
        assert_eq!((b.recall, b.precision, b.f1), (0.0, 0.0, 0.0));
        let r1 = r.detections.iter().find(|s| s.name == "R1").unwrap();
        assert_eq!((r1.precision, r1.recall), (0.5, 0.5));
        let r2 = r.detections.iter().find(|s| s.name == "R2").unwrap();
        assert_eq!((r2.precision, r2.recall), (1.0, 1.0));
        assert_eq!(r.missed, vec!["b-4"]);
        assert!(read_labels("{bad").unwrap_err().starts_with("line 1"));
    }
}
