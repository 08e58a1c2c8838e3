//! The scorecard as Markdown: one table per section.

use crate::definitions::DEFINITIONS;
use crate::format::{escape_md_cell as cell, opt_duration, percent, utc_minute};
use crate::html::impact;
use crate::report::{breaches_by_severity, headlines};
use crate::scorecard::Scorecard;
use crate::stats::Stat;

/// A Markdown table; cells are escaped here. An empty table gets one row saying so.
fn table(out: &mut String, headers: &[&str], right: &[bool], rows: &[Vec<String>]) {
    out.push_str("| ");
    out.push_str(&headers.iter().map(|h| cell(h)).collect::<Vec<_>>().join(" | "));
    out.push_str(" |\n|");
    for i in 0..headers.len() {
        out.push_str(if right.get(i).copied().unwrap_or(false) { " ---: |" } else { " --- |" });
    }
    out.push('\n');
    if rows.is_empty() {
        let mut empty = vec!["none in this period".to_string()];
        empty.resize(headers.len(), String::new());
        out.push_str(&format!("| {} |\n", empty.join(" | ")));
    }
    for row in rows {
        out.push_str(&format!("| {} |\n", row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")));
    }
    out.push('\n');
}

fn stat(s: &Stat) -> String {
    format!("{} (p90 {}, n = {})", opt_duration(s.median), opt_duration(s.p90), s.n)
}

pub(crate) fn scorecard(sc: &Scorecard) -> String {
    let m = &sc.metrics;
    let series = sc.series();
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", cell(&sc.title)));
    out.push_str(&format!(
        "{}: {} to {} (UTC, end exclusive). Generated {}.\n\n",
        cell(&sc.period.label),
        utc_minute(sc.period.from_ms),
        utc_minute(sc.period.to_ms),
        utc_minute(sc.generated_at_ms)
    ));

    out.push_str("## Headline\n\n");
    let previous = sc.previous().map_or_else(|| "Change".to_string(), |p| format!("Change vs {}", p.period.label));
    let rows: Vec<Vec<String>> = headlines(sc)
        .into_iter()
        .map(|h| vec![h.name.to_string(), h.value, h.n, h.detail, h.change.map_or_else(|| "—".to_string(), |c| c.0)])
        .collect();
    table(&mut out, &["Metric", "Value", "n", "Detail", &previous], &[false, true, true, false, true], &rows);

    out.push_str("## Trends\n\n");
    let rows: Vec<Vec<String>> = series
        .iter()
        .map(|m| {
            vec![
                m.period.label.clone(),
                stat(&m.mttd_ms),
                stat(&m.mtta_ms),
                stat(&m.mttr_contain_ms),
                stat(&m.mttr_resolve_ms),
                format!("{} (n = {})", percent(m.precision.value), m.precision.denominator),
                format!("{} (n = {})", percent(m.automation.value), m.automation.denominator),
                format!("{} (n = {})", percent(m.automation_notify.value), m.automation_notify.denominator),
                format!("{} (n = {})", percent(m.automation_contain.value), m.automation_contain.denominator),
                format!("{} (n = {})", percent(m.evidence_completeness.value), m.evidence_completeness.denominator),
            ]
        })
        .collect();
    table(
        &mut out,
        &[
            "Period",
            "MTTD",
            "MTTA",
            "MTTR (contain)",
            "MTTR (resolve)",
            "Precision",
            "Automation",
            "Automation (notify/ticket)",
            "Automation (containment)",
            "Evidence completeness",
        ],
        &[],
        &rows,
    );

    out.push_str("## Precision per detection\n\n");
    let rows: Vec<Vec<String>> = m
        .per_detection
        .iter()
        .map(|d| {
            vec![
                d.rule_title.clone(),
                d.rule_id.clone(),
                d.alerts.to_string(),
                d.tp.to_string(),
                d.fp.to_string(),
                percent(d.precision),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Detection", "Rule id", "Alerts", "TP", "FP", "Precision"],
        &[false, false, true, true, true, true],
        &rows,
    );

    out.push_str("## Top noisy rules\n\n");
    let rows: Vec<Vec<String>> = sc
        .noisy_rules
        .iter()
        .map(|r| vec![r.rule_title.clone(), r.rule_id.clone(), r.false_positives.to_string(), r.alerts.to_string()])
        .collect();
    table(&mut out, &["Detection", "Rule id", "False positives", "Alerts"], &[false, false, true, true], &rows);

    out.push_str("## SLA attainment\n\n");
    let rows: Vec<Vec<String>> = m
        .sla
        .iter()
        .map(|s| {
            vec![
                s.severity.clone(),
                s.kind.clone(),
                s.met.to_string(),
                s.due.to_string(),
                percent(s.value),
                s.not_contained.to_string(),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Severity", "Kind", "Met", "Due", "Attainment", "Not contained"],
        &[false, false, true, true, true, true],
        &rows,
    );

    out.push_str("## SLA breaches by severity\n\n");
    let rows: Vec<Vec<String>> = breaches_by_severity(m).into_iter().map(|(s, c)| vec![s, c.to_string()]).collect();
    table(&mut out, &["Severity", "Breaches"], &[false, true], &rows);

    out.push_str("## SLA breaches\n\n");
    let rows: Vec<Vec<String>> = m
        .sla_breaches
        .iter()
        .map(|b| {
            vec![
                b.case_id.clone(),
                b.case_title.clone(),
                b.severity.clone(),
                b.kind.clone(),
                utc_minute(b.due_ms),
                b.met_ms.map_or_else(|| "not met".to_string(), utc_minute),
            ]
        })
        .collect();
    table(&mut out, &["Case", "Title", "Severity", "Kind", "Due", "Met"], &[], &rows);

    out.push_str("## Rates on labeled data\n\n");
    let rows: Vec<Vec<String>> = match &m.labeled {
        Some(l) => [
            ("Detection precision (alerts on an attack / labeled alerts)", &l.detection_precision),
            ("Detection false-positive rate (alerts not on an attack / labeled alerts)", &l.detection_fp_rate),
            ("Analyst true-positive rate (attack cases disposed TP / attack cases)", &l.analyst_tpr),
            ("Analyst false-positive rate (benign cases disposed TP / benign cases)", &l.analyst_fpr),
        ]
        .iter()
        .map(|(name, r)| vec![name.to_string(), percent(r.value), r.numerator.to_string(), r.denominator.to_string()])
        .collect(),
        None => Vec::new(),
    };
    table(&mut out, &["Measure", "Value", "Numerator", "Denominator"], &[false, true, true, true], &rows);

    out.push_str("## Tuning suggestions\n\n");
    let rows: Vec<Vec<String>> = sc
        .tuning
        .iter()
        .map(|s| {
            vec![
                s.rule_title.clone(),
                s.rule_id.clone(),
                s.false_positives.to_string(),
                s.suggestion.clone(),
                impact(s.would_hide_alerts, s.would_hide_true_positives),
            ]
        })
        .collect();
    table(
        &mut out,
        &["Detection", "Rule id", "False positives", "Suggested exception", "Impact preview"],
        &[false, false, true, false, false],
        &rows,
    );

    out.push_str("## Definitions\n\n");
    out.push_str("Medians and p90s by the nearest-rank method; — (null) when n = 0.\n\n");
    let rows: Vec<Vec<String>> = DEFINITIONS
        .iter()
        .map(|d| vec![d.name.to_string(), d.formula.to_string(), d.timestamps.to_string(), d.unit.to_string()])
        .collect();
    table(&mut out, &["Metric", "Formula", "Timestamps", "Unit"], &[], &rows);
    out
}
