//! The exact metric definitions, in one place. METRICS.md (at the repository root) is [`definitions_markdown`]'s
//! output, and a test keeps the two equal.

use serde::Serialize;

/// One metric: what it is, exactly how it is computed, which timestamps it uses and its
/// unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Definition {
    /// The field of [`crate::Metrics`] (or of its parts) that holds it.
    pub key: &'static str,
    pub name: &'static str,
    pub formula: &'static str,
    pub timestamps: &'static str,
    pub unit: &'static str,
}

const DURATION_UNIT: &str =
    "milliseconds in JSON (minutes, hours or days in HTML and Markdown); median, p90, mean and n";
const RATIO_UNIT: &str = "ratio 0–1 with its numerator and denominator (n = the denominator)";

/// Conventions every definition shares.
pub const NOTES: &[&str] = &[
    "A fact belongs to the period [from, to) when the timestamp named in its definition, t, satisfies from ≤ t < to. \
     Times are milliseconds since the Unix epoch, UTC; weekly periods are ISO 8601 weeks, Monday 00:00 UTC to the next Monday.",
    "Median and p90 use the nearest-rank method: sort the n samples ascending; the p-th percentile is the sample at \
     1-based rank ⌈p/100 × n⌉ (p = 50 for the median, so for an even n it is the lower of the two middle samples). \
     Both are always members of the sample, never interpolated. The mean is the arithmetic mean.",
    "Every metric states its n (a ratio states its numerator and denominator). When n = 0 the value is null, never 0.",
    "A duration whose end precedes its start (inconsistent timestamps) is left out of its metric.",
    "Dispositions, severities, SLA kinds and step statuses are compared after trimming and lowercasing.",
    "A case is disposed when a person gave it a disposition; its disposed time is closed_ms, or resolved_ms when it is \
     not closed. A disposed case with neither is in no period for the metrics that use the disposed time.",
];

/// Every metric the crate computes, in the order the reports show them.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        key: "mttd_ms",
        name: "MTTD (time to detect)",
        formula: "alert − first_event_ms for each case whose disposition is true_positive and that has \
                  first_event_ms (first malicious event → first alert), where alert is first_alert_raised_ms (when \
                  Vigil raised the first alert) or, when unknown, first_alert_ms (its event's time).",
        timestamps: "first_event_ms, first_alert_raised_ms (else first_alert_ms); period by the alert time",
        unit: DURATION_UNIT,
    },
    Definition {
        key: "mtta_ms",
        name: "MTTA (time to acknowledge)",
        formula: "acknowledged_ms − alert for each acknowledged case (first alert → acknowledged), whatever its \
                  disposition; alert as for MTTD.",
        timestamps: "first_alert_raised_ms (else first_alert_ms), acknowledged_ms; period by acknowledged_ms",
        unit: DURATION_UNIT,
    },
    Definition {
        key: "mttr_contain_ms",
        name: "MTTR (contain)",
        formula: "contained_ms − alert for each contained case; alert as for MTTD.",
        timestamps: "first_alert_raised_ms (else first_alert_ms), contained_ms; period by contained_ms",
        unit: DURATION_UNIT,
    },
    Definition {
        key: "mttr_resolve_ms",
        name: "MTTR (resolve)",
        formula: "resolved_ms − alert for each resolved case; alert as for MTTD.",
        timestamps: "first_alert_raised_ms (else first_alert_ms), resolved_ms; period by resolved_ms",
        unit: DURATION_UNIT,
    },
    Definition {
        key: "precision",
        name: "Precision (cases)",
        formula: "TP / (TP + FP) over the cases a person disposed in the period. TP = cases disposed true_positive, \
                  FP = cases disposed false_positive. benign_true_positive counts as neither: it is left out of both \
                  the numerator and the denominator, as is any other disposition.",
        timestamps: "closed_ms, or resolved_ms when the case is not closed; period by that time",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "per_detection",
        name: "Precision per detection",
        formula: "For each rule (rule_id): tp / (tp + fp) over the rule's alerts in the period, where an alert's \
                  disposition is its case's. tp = alerts disposed true_positive, fp = alerts disposed false_positive; \
                  benign_true_positive and undisposed alerts count as neither. alerts counts all of the rule's \
                  alerts in the period; the title shown is that of the rule's latest alert.",
        timestamps: "alert time_ms; period by time_ms",
        unit: "ratio 0–1 with tp, fp and alerts (n = tp + fp)",
    },
    Definition {
        key: "noisy_rules",
        name: "Top noisy rules",
        formula: "The 10 rules with the most false_positive alerts in the period (ties: more alerts first, then \
                  rule_id); rules with no false positive are not listed.",
        timestamps: "alert time_ms; period by time_ms",
        unit: "count of alerts",
    },
    Definition {
        key: "labeled.detection_precision",
        name: "Detection precision on labeled data",
        formula: "Among the alerts in the period whose labeled_attack is set (labeled alerts): alerts on a labeled \
                  attack event (labeled_attack = true) / all labeled alerts.",
        timestamps: "alert time_ms; period by time_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "labeled.detection_fp_rate",
        name: "Detection false-positive rate on labeled data",
        formula: "Among the same labeled alerts: alerts not on an attack (labeled_attack = false) / all labeled \
                  alerts, which is 1 − the labeled detection precision.",
        timestamps: "alert time_ms; period by time_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "labeled.analyst_tpr",
        name: "Analyst true-positive rate on labeled data",
        formula: "Among the cases disposed in the period that have at least one labeled alert (alerts matched by \
                  case_id, whatever their time): a case is an attack case when any of its labeled alerts is on an \
                  attack, otherwise a benign case. Analyst TPR = attack cases disposed true_positive / attack cases. \
                  An attack case disposed benign_true_positive or false_positive is a miss.",
        timestamps: "the disposed time (closed_ms, else resolved_ms); period by that time",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "labeled.analyst_fpr",
        name: "Analyst false-positive rate on labeled data",
        formula: "Among the same cases: benign cases disposed true_positive / benign cases.",
        timestamps: "the disposed time (closed_ms, else resolved_ms); period by that time",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "alert_reduction",
        name: "Alert reduction",
        formula: "1 − queued / raw_alerts from the latest triage snapshot in the period (raw alerts in → items queued \
                  for an analyst out), computed as (raw_alerts − queued) / raw_alerts. Latest = the greatest at_ms; on a \
                  tie, the later in the input. null when the period has no snapshot or raw_alerts = 0; the snapshot \
                  used is reported beside it.",
        timestamps: "triage at_ms; period by at_ms",
        unit: "ratio (1 − queued / raw_alerts); n = raw_alerts of the snapshot",
    },
    Definition {
        key: "automation",
        name: "Automation rate",
        formula: "automated playbook steps / all playbook steps whose status is succeeded or failed; steps with any \
                  other status (skipped, pending, …) are left out of both.",
        timestamps: "step at_ms; period by at_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "automation_notify",
        name: "Automation rate, notify and ticket steps",
        formula: "As the automation rate, over only the steps whose action's class is notify (notifications and \
                  tickets: jira.create_issue, slack.webhook, …); the class comes from the connectors' registry. \
                  Steps whose action is not known are in neither split.",
        timestamps: "step at_ms; period by at_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "automation_contain",
        name: "Automation rate, containment steps",
        formula: "As the automation rate, over only the steps whose action's class is contain or destructive \
                  (okta.suspend_user, crowdstrike.contain_host, …); the class comes from the connectors' registry.",
        timestamps: "step at_ms; period by at_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "evidence_completeness",
        name: "Evidence completeness",
        formula: "cases closed in the period (closed, or resolved and not closed) whose packet_complete is true (the \
                  latest packet verifies and has every required part) / all such cases. A case without an exported \
                  packet counts as incomplete.",
        timestamps: "closed_ms, else resolved_ms; period by that time",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "sla",
        name: "SLA attainment per severity and kind",
        formula: "For each (case severity, clock kind): clocks met on time / clocks due in the period, where met on \
                  time = met_ms is set, met_ms ≤ due_ms and breached is false. Only containment meets a contain \
                  clock: the contain clock of a case resolved or closed without contained_ms is not contained, \
                  counted apart (not_contained; sla_not_contained over all) and neither met nor due. sla_overall \
                  is met / due over all clocks. The facts hold only clocks that are met or already due when they \
                  are taken, so a clock still running is neither met nor breached.",
        timestamps: "SLA clock due_ms; period by due_ms",
        unit: RATIO_UNIT,
    },
    Definition {
        key: "sla_breaches",
        name: "SLA breaches",
        formula: "Every SLA clock due in the period that was not met on time: breached, met after due_ms, or not \
                  met; a not-contained contain clock is not a breach. Their count per (severity, kind) is due − met.",
        timestamps: "SLA clock due_ms; period by due_ms",
        unit: "list of clocks (case, severity, kind, due, met)",
    },
    Definition {
        key: "time_to_decision_ms",
        name: "Executive time to decision",
        formula: "acknowledged_ms − issued_ms for each executive brief issued in the period that was acknowledged; \
                  an unacknowledged brief is not in n.",
        timestamps: "brief issued_ms, acknowledged_ms; period by issued_ms",
        unit: DURATION_UNIT,
    },
];

/// METRICS.md: the notes and every definition, as Markdown.
pub fn definitions_markdown() -> String {
    let mut out = String::new();
    out.push_str("# Metric definitions\n\n");
    out.push_str(
        "The exact definitions of the metrics in `vigil-metrics`. This file is generated from `NOTES` and \
         `DEFINITIONS` in `crates/vigil-metrics/src/definitions.rs`, and a test checks that the two agree.\n\n",
    );
    out.push_str("## Conventions\n\n");
    for note in NOTES {
        out.push_str("- ");
        out.push_str(note);
        out.push('\n');
    }
    out.push_str("\n## Metrics\n");
    for d in DEFINITIONS {
        out.push_str(&format!(
            "\n### {} (`{}`)\n\n- Formula: {}\n- Timestamps: {}\n- Unit: {}\n",
            d.name, d.key, d.formula, d.timestamps, d.unit
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// METRICS.md is this module's text; `VIGIL_METRICS_BLESS=1` rewrites it.
    #[test]
    fn metrics_md_mirrors_the_definitions() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../METRICS.md");
        let expected = definitions_markdown();
        if std::env::var_os("VIGIL_METRICS_BLESS").is_some() {
            std::fs::write(path, &expected).expect("write METRICS.md");
        }
        let on_disk = std::fs::read_to_string(path).expect("read METRICS.md");
        assert!(on_disk == expected, "METRICS.md is stale; rerun with VIGIL_METRICS_BLESS=1");
    }

    #[test]
    fn keys_are_unique_and_text_is_clean() {
        for (i, d) in DEFINITIONS.iter().enumerate() {
            assert!(DEFINITIONS[i + 1..].iter().all(|e| e.key != d.key), "duplicate {}", d.key);
            for text in [d.name, d.formula, d.timestamps, d.unit] {
                assert!(!text.contains("  ") && !text.contains('\n'), "stray whitespace in {}", d.key);
            }
        }
    }
}
