//! Ground truth for triage: labeled attack instances (the simulator's `labels.jsonl`) turned into
//! what an analyst would have said about each incident, and the queue measured against them.
//!
//! The simulated analyst: an incident built on a labeled attack's events is a true positive;
//! any other incident is a false positive when an alerting detection (level medium and above)
//! fired on ordinary activity, and a benign true positive when only signals did (the rule saw
//! what it describes; the change was sanctioned). Analysts err: a deterministic share of
//! dispositions (by default 2 %, chosen by the incident id's hash) is flipped, as a real
//! queue's labels are noisy.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use vigil_model::{Alert, Label};

use crate::model::Sample;
use crate::{Incident, TriageOutput};

/// Which labeled instances each incident touches (through its alerts' event ids).
pub fn instances_by_incident(
    out: &TriageOutput,
    alerts: &[Alert],
    labels: &[Label],
) -> HashMap<String, BTreeSet<String>> {
    instances_of(&out.incidents, alerts, labels)
}

/// Which labeled instances each of `incidents` touches (through its alerts' event ids).
pub fn instances_of(incidents: &[Incident], alerts: &[Alert], labels: &[Label]) -> HashMap<String, BTreeSet<String>> {
    let mut owner: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in labels {
        for e in &l.event_ids {
            owner.entry(e.as_str()).or_default().push(l.instance.as_str());
        }
    }
    let by_id: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut map = HashMap::new();
    for inc in incidents {
        let mut set = BTreeSet::new();
        for aid in inc.alert_ids() {
            if let Some(a) = by_id.get(aid.as_str()) {
                let members = a.correlation.as_ref().map(|c| c.members.as_slice()).unwrap_or(&[]);
                for e in a.event_ids.iter().chain(members) {
                    for inst in owner.get(e.as_str()).into_iter().flatten() {
                        set.insert(inst.to_string());
                    }
                }
            }
        }
        map.insert(inc.id.clone(), set);
    }
    map
}

/// The simulated analyst's disposition of an incident.
pub fn disposition(inc: &Incident, touches_attack: bool, error_rate: f64) -> &'static str {
    let truth = if touches_attack {
        "true_positive"
    } else if inc.items.iter().any(|i| matches!(i.level.as_str(), "medium" | "high" | "critical")) {
        "false_positive"
    } else {
        "benign_true_positive"
    };
    let h = crate::short_hash(&[&inc.id, "analyst"]);
    let draw = u64::from_str_radix(&h[..8], 16).unwrap_or(0) as f64 / u32::MAX as f64;
    if draw < error_rate { if truth == "true_positive" { "false_positive" } else { "true_positive" } } else { truth }
}

/// The simulated analyst's disposition of each of `incidents`, by incident id: the labels the
/// triage model is trained on ([`samples`]) and the dispositions a simulated analyst gives the
/// cases that hold them, from one function so the two cannot disagree.
pub fn dispositions(
    incidents: &[Incident],
    alerts: &[Alert],
    labels: &[Label],
    error_rate: f64,
) -> HashMap<String, &'static str> {
    let touched = instances_of(incidents, alerts, labels);
    incidents
        .iter()
        .map(|inc| {
            let t = touched.get(&inc.id).is_some_and(|s| !s.is_empty());
            (inc.id.clone(), disposition(inc, t, error_rate))
        })
        .collect()
}

/// Training examples from labeled incidents.
pub fn samples(out: &TriageOutput, alerts: &[Alert], labels: &[Label], error_rate: f64) -> Vec<Sample> {
    let said = dispositions(&out.incidents, alerts, labels, error_rate);
    out.incidents
        .iter()
        .map(|inc| Sample {
            features: inc.features.clone(),
            positive: said.get(&inc.id).is_some_and(|d| *d == "true_positive"),
            time_ms: inc.first_ms,
        })
        .collect()
}

/// Raw alerts → queued incidents, and labeled instances that reach the queue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct QueueEval {
    pub raw_alerts: u64,
    pub incidents: u64,
    pub queued_incidents: u64,
    /// 1 − queued incidents / raw alerts.
    pub alert_reduction: f64,
    pub labeled_instances: u64,
    /// Instances with at least one alert in a queued incident (surfaced as a case).
    pub surfaced_instances: u64,
    pub incident_recall: f64,
    /// Instances at least one alert (signals included) touched: the most triage can surface.
    pub detected_instances: u64,
    /// Surfaced / detected: what triage itself lost.
    pub recall_of_detected: f64,
    /// Instances some alert touched but whose incidents were all closed as benign or suppressed.
    pub hidden_instances: Vec<String>,
    /// Instances no alert touched at all.
    pub undetected_instances: Vec<String>,
    /// Queued incidents that touch no labeled instance.
    pub queued_without_attack: u64,
    /// Labeled instances split over more than one queued incident.
    pub fragmented_instances: Vec<String>,
    /// How many labeled attack instances have alerts in more than one queued incident (one
    /// attack, several cases): the length of `fragmented_instances`. 0 is the goal.
    #[serde(default)]
    pub split_attacks: u64,
    /// Queued incidents that hold alerts of a labeled attack together with alerts of another
    /// attack or alerts on no labeled event (an attack's case padded with unrelated activity).
    /// 0 is the goal.
    #[serde(default)]
    pub mixed_incidents: u64,
    /// Those incidents' ids.
    #[serde(default)]
    pub mixed_incident_ids: Vec<String>,
}

/// Which labeled instances each alert touches (through its event ids and correlation members).
fn instances_by_alert<'a>(alerts: &'a [Alert], labels: &'a [Label]) -> HashMap<&'a str, BTreeSet<&'a str>> {
    let mut owner: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in labels {
        for e in &l.event_ids {
            owner.entry(e.as_str()).or_default().push(l.instance.as_str());
        }
    }
    alerts
        .iter()
        .map(|a| {
            let members = a.correlation.as_ref().map(|c| c.members.as_slice()).unwrap_or(&[]);
            let set: BTreeSet<&str> = a
                .event_ids
                .iter()
                .chain(members)
                .flat_map(|e| owner.get(e.as_str()).into_iter().flatten().copied())
                .collect();
            (a.id.as_str(), set)
        })
        .collect()
}

/// Whether a queued incident mixes a labeled attack with anything else: alerts of two attacks,
/// or an attack's alerts and alerts on no labeled event.
fn is_mixed(inc: &Incident, by_alert: &HashMap<&str, BTreeSet<&str>>) -> bool {
    let mut attacks: BTreeSet<&str> = BTreeSet::new();
    let mut unlabeled = false;
    for aid in inc.alert_ids() {
        match by_alert.get(aid.as_str()) {
            Some(set) if !set.is_empty() => attacks.extend(set.iter().copied()),
            // An alert not in the list given (it cannot be attributed) counts as unlabeled.
            _ => unlabeled = true,
        }
    }
    !attacks.is_empty() && (attacks.len() > 1 || unlabeled)
}

/// Whether the incident reached a person: triage queued it, or a person's disposition decided
/// it (an analyst who resolved a case, even wrongly, saw the attack — a wrong disposition is the
/// analyst's miss, not triage's).
fn reached_a_person(inc: &Incident) -> bool {
    inc.queued || !inc.verdict.decided_by.starts_with("vigil:")
}

pub fn evaluate_queue(out: &TriageOutput, alerts: &[Alert], labels: &[Label]) -> QueueEval {
    let touched = instances_by_incident(out, alerts, labels);
    let mut surfaced: HashMap<&str, usize> = HashMap::new();
    let mut any: BTreeSet<&str> = BTreeSet::new();
    let mut queued_without = 0;
    for inc in &out.incidents {
        let set = touched.get(&inc.id);
        for s in set.into_iter().flatten() {
            any.insert(s.as_str());
            if reached_a_person(inc) {
                *surfaced.entry(s.as_str()).or_default() += 1;
            }
        }
        if inc.queued && set.is_none_or(|s| s.is_empty()) {
            queued_without += 1;
        }
    }
    // Alerts that were suppressed still count as having touched an instance.
    let by_id: HashMap<&str, &Alert> = alerts.iter().map(|a| (a.id.as_str(), a)).collect();
    let mut owner: HashMap<&str, &str> = HashMap::new();
    for l in labels {
        for e in &l.event_ids {
            owner.insert(e.as_str(), l.instance.as_str());
        }
    }
    for aid in out.suppressed.keys() {
        if let Some(a) = by_id.get(aid.as_str()) {
            for e in &a.event_ids {
                if let Some(i) = owner.get(e.as_str()) {
                    any.insert(i);
                }
            }
        }
    }
    let queued = out.incidents.iter().filter(|i| i.queued).count() as u64;
    let by_alert = instances_by_alert(alerts, labels);
    let mixed_incident_ids: Vec<String> =
        out.incidents.iter().filter(|i| i.queued && is_mixed(i, &by_alert)).map(|i| i.id.clone()).collect();
    let fragmented_instances: Vec<String> = labels
        .iter()
        .filter(|l| surfaced.get(l.instance.as_str()).is_some_and(|n| *n > 1))
        .map(|l| l.instance.clone())
        .collect();
    let n = labels.len() as u64;
    let surfaced_n = labels.iter().filter(|l| surfaced.contains_key(l.instance.as_str())).count() as u64;
    QueueEval {
        raw_alerts: alerts.len() as u64,
        incidents: out.incidents.len() as u64,
        queued_incidents: queued,
        alert_reduction: if alerts.is_empty() { 0.0 } else { 1.0 - queued as f64 / alerts.len() as f64 },
        labeled_instances: n,
        surfaced_instances: surfaced_n,
        incident_recall: if n == 0 { 0.0 } else { surfaced_n as f64 / n as f64 },
        detected_instances: labels.iter().filter(|l| any.contains(l.instance.as_str())).count() as u64,
        recall_of_detected: {
            let d = labels.iter().filter(|l| any.contains(l.instance.as_str())).count();
            if d == 0 { 0.0 } else { surfaced_n as f64 / d as f64 }
        },
        hidden_instances: labels
            .iter()
            .filter(|l| any.contains(l.instance.as_str()) && !surfaced.contains_key(l.instance.as_str()))
            .map(|l| l.instance.clone())
            .collect(),
        undetected_instances: labels
            .iter()
            .filter(|l| !any.contains(l.instance.as_str()))
            .map(|l| l.instance.clone())
            .collect(),
        queued_without_attack: queued_without,
        split_attacks: fragmented_instances.len() as u64,
        fragmented_instances,
        mixed_incidents: mixed_incident_ids.len() as u64,
        mixed_incident_ids,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use vigil_model::{AlertKind, AlertRule, Confidence, Entities, Level};

    use super::*;
    use crate::{GroupOptions, Inventory, TriageInput};

    const DAY: i64 = 86_400_000;

    fn alert(id: &str, level: Level, day: i64, user: &str, event: &str) -> Alert {
        Alert {
            id: id.into(),
            kind: AlertKind::Detection,
            rule: AlertRule {
                id: format!("rule-{id}"),
                title: format!("rule {id}"),
                level,
                tags: vec![],
                techniques: vec![],
                tactics: vec![],
                file: String::new(),
            },
            time: Some(day * DAY),
            event_ids: vec![event.into()],
            source: None,
            matched: vec![],
            explanation: String::new(),
            confidence: Confidence { score: 60, reason: String::new() },
            entities: Entities { users: vec![user.into()], ..Default::default() },
            correlation: None,
            features: vec![],
            controls: vec![],
        }
    }

    #[test]
    fn the_analyst_and_the_training_labels_agree_benign_true_positives_included() {
        let alerts = vec![
            alert("attack", Level::High, 1, "ann@x.com", "ev-attack"),
            alert("noise", Level::Medium, 3, "bob@x.com", "ev-noise"),
            alert("signal", Level::Low, 5, "cy@x.com", "ev-signal"),
        ];
        let labels = vec![Label {
            scenario: "s".into(),
            instance: "s-1".into(),
            event_ids: vec!["ev-attack".into()],
            entities: Default::default(),
        }];
        let inventory = Inventory::empty();
        let human = HashMap::new();
        let out = crate::triage(&TriageInput {
            alerts: &alerts,
            inventory: &inventory,
            model: None,
            overrides: &[],
            suppressions: &[],
            human: &human,
            now_ms: 10 * DAY,
            options: GroupOptions::default(),
        });
        assert_eq!(out.incidents.len(), 3, "three unrelated alerts, three incidents");
        let of = |alert: &str| out.incidents.iter().find(|i| i.alert_ids().any(|a| a == alert)).unwrap().id.clone();

        let said = dispositions(&out.incidents, &alerts, &labels, 0.0);
        assert_eq!(said[&of("attack")], "true_positive");
        assert_eq!(said[&of("noise")], "false_positive");
        assert_eq!(said[&of("signal")], "benign_true_positive");

        // The training labels are the analyst's, incident by incident, at any error rate.
        for rate in [0.0, 0.02, 1.0] {
            let said = dispositions(&out.incidents, &alerts, &labels, rate);
            let trained = samples(&out, &alerts, &labels, rate);
            assert_eq!(trained.len(), out.incidents.len());
            for (inc, sample) in out.incidents.iter().zip(&trained) {
                assert_eq!(sample.positive, said[&inc.id] == "true_positive", "{} at {rate}", inc.id);
                assert_eq!(said[&inc.id], disposition(inc, inc.id == of("attack"), rate));
            }
        }
        // Every disposition errs at rate 1: a true positive is called false, the rest true.
        let flipped = dispositions(&out.incidents, &alerts, &labels, 1.0);
        assert_eq!(flipped[&of("attack")], "false_positive");
        assert_eq!(flipped[&of("signal")], "true_positive");
    }

    #[test]
    fn split_attacks_and_mixed_incidents_are_counted() {
        // Attack s-1: two alerts on different users three days apart (two queued incidents).
        // Attack s-2: one alert, in the same incident as ordinary activity of the same user.
        let alerts = vec![
            alert("a1", Level::High, 1, "ann@x.com", "ev-1a"),
            alert("a2", Level::High, 4, "cy@x.com", "ev-1b"),
            alert("b1", Level::High, 7, "bob@x.com", "ev-2"),
            alert("noise", Level::High, 7, "bob@x.com", "ev-noise"),
        ];
        let labels = vec![
            Label {
                scenario: "s".into(),
                instance: "s-1".into(),
                event_ids: vec!["ev-1a".into(), "ev-1b".into()],
                entities: Default::default(),
            },
            Label {
                scenario: "s".into(),
                instance: "s-2".into(),
                event_ids: vec!["ev-2".into()],
                entities: Default::default(),
            },
        ];
        let inventory = Inventory::empty();
        let human = HashMap::new();
        let out = crate::triage(&TriageInput {
            alerts: &alerts,
            inventory: &inventory,
            model: None,
            overrides: &[],
            suppressions: &[],
            human: &human,
            now_ms: 10 * DAY,
            options: GroupOptions::default(),
        });
        assert!(out.incidents.iter().all(|i| i.queued));
        let e = evaluate_queue(&out, &alerts, &labels);
        assert_eq!(e.incident_recall, 1.0);
        assert_eq!(e.split_attacks, 1);
        assert_eq!(e.fragmented_instances, vec!["s-1".to_string()]);
        assert_eq!(e.mixed_incidents, 1);
        let mixed = out.incidents.iter().find(|i| i.id == e.mixed_incident_ids[0]).unwrap();
        assert!(mixed.alert_ids().any(|a| a == "noise"));

        // Without the noise and with one attack per incident: nothing split, nothing mixed.
        let clean: Vec<Alert> = alerts.iter().filter(|a| a.id != "noise" && a.id != "a2").cloned().collect();
        let labels = vec![
            Label {
                scenario: "s".into(),
                instance: "s-1".into(),
                event_ids: vec!["ev-1a".into()],
                entities: Default::default(),
            },
            Label {
                scenario: "s".into(),
                instance: "s-2".into(),
                event_ids: vec!["ev-2".into()],
                entities: Default::default(),
            },
        ];
        let out = crate::triage(&TriageInput {
            alerts: &clean,
            inventory: &inventory,
            model: None,
            overrides: &[],
            suppressions: &[],
            human: &human,
            now_ms: 10 * DAY,
            options: GroupOptions::default(),
        });
        let e = evaluate_queue(&out, &clean, &labels);
        assert_eq!((e.split_attacks, e.mixed_incidents, e.incident_recall), (0, 0, 1.0));

        // An analyst who resolves an attack's case as a false positive saw it: the attack was
        // surfaced, whatever the disposition (the wrong call is theirs, not triage's).
        let s2 = out.incidents.iter().find(|i| i.alert_ids().any(|a| a == "b1")).unwrap().id.clone();
        let human: HashMap<String, (String, String)> =
            [(s2, ("false_positive".to_string(), "ann".to_string()))].into_iter().collect();
        let out = crate::triage(&TriageInput {
            alerts: &clean,
            inventory: &inventory,
            model: None,
            overrides: &[],
            suppressions: &[],
            human: &human,
            now_ms: 10 * DAY,
            options: GroupOptions::default(),
        });
        assert_eq!(out.incidents.iter().filter(|i| !i.queued).count(), 1, "closed by the person");
        assert_eq!(evaluate_queue(&out, &clean, &labels).incident_recall, 1.0);
    }
}
