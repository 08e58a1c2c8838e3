//! What the HTML and Markdown scorecards share: the headline numbers and small summaries.

use crate::compute::{Metrics, severity_rank};
use crate::format::{duration_change, opt_duration, percent, points_change};
use crate::scorecard::Scorecard;
use crate::stats::{Ratio, Stat};

/// Whether a change is good news.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Better,
    Worse,
    Same,
}

/// One headline number, already formatted (not escaped).
pub(crate) struct Headline {
    pub name: &'static str,
    pub value: String,
    pub n: String,
    pub detail: String,
    /// The change from the previous period and whether it is good news.
    pub change: Option<(String, Direction)>,
}

fn direction(delta: f64, lower_is_better: bool) -> Direction {
    if delta == 0.0 {
        Direction::Same
    } else if (delta < 0.0) == lower_is_better {
        Direction::Better
    } else {
        Direction::Worse
    }
}

fn time_headline(name: &'static str, now: &Stat, before: Option<&Stat>) -> Headline {
    let change = match (now.median, before.and_then(|b| b.median)) {
        (Some(a), Some(b)) => Some((duration_change(a - b), direction(a - b, true))),
        _ => None,
    };
    Headline {
        name,
        value: opt_duration(now.median),
        n: format!("n = {}", now.n),
        detail: if now.n == 0 {
            "median —, p90 —".to_string()
        } else {
            format!(
                "median {}, p90 {}, mean {}",
                opt_duration(now.median),
                opt_duration(now.p90),
                opt_duration(now.mean)
            )
        },
        change,
    }
}

fn ratio_change(now: Option<f64>, before: Option<f64>) -> Option<(String, Direction)> {
    match (now, before) {
        (Some(a), Some(b)) => Some((points_change(a - b), direction(a - b, false))),
        _ => None,
    }
}

fn ratio_headline(name: &'static str, now: &Ratio, before: Option<&Ratio>, detail: String) -> Headline {
    Headline {
        name,
        value: percent(now.value),
        n: format!("n = {}", now.denominator),
        detail,
        change: ratio_change(now.value, before.and_then(|b| b.value)),
    }
}

/// The headline numbers of a scorecard, each with its change from the week before.
pub(crate) fn headlines(sc: &Scorecard) -> Vec<Headline> {
    let m = &sc.metrics;
    let p = sc.previous();
    let triage = match &m.triage {
        Some(t) => format!("{} raw alerts → {} queued ({} incidents)", t.raw_alerts, t.queued, t.incidents),
        None => "no triage snapshot in the period".to_string(),
    };
    vec![
        time_headline("MTTD", &m.mttd_ms, p.map(|p| &p.mttd_ms)),
        time_headline("MTTA", &m.mtta_ms, p.map(|p| &p.mtta_ms)),
        time_headline("MTTR (contain)", &m.mttr_contain_ms, p.map(|p| &p.mttr_contain_ms)),
        time_headline("MTTR (resolve)", &m.mttr_resolve_ms, p.map(|p| &p.mttr_resolve_ms)),
        ratio_headline(
            "Precision",
            &m.precision,
            p.map(|p| &p.precision),
            format!(
                "{} true positive, {} false positive cases",
                m.precision.numerator,
                m.precision.denominator.saturating_sub(m.precision.numerator)
            ),
        ),
        Headline {
            name: "Alert reduction",
            value: percent(m.alert_reduction),
            n: format!("n = {}", m.triage.as_ref().map_or(0, |t| t.raw_alerts)),
            detail: triage,
            change: ratio_change(m.alert_reduction, p.and_then(|p| p.alert_reduction)),
        },
        ratio_headline(
            "Automation rate",
            &m.automation,
            p.map(|p| &p.automation),
            format!("{} of {} playbook steps automated", m.automation.numerator, m.automation.denominator),
        ),
        ratio_headline(
            "Automation: notify and ticket steps",
            &m.automation_notify,
            p.map(|p| &p.automation_notify),
            format!(
                "{} of {} notification and ticket steps automated",
                m.automation_notify.numerator, m.automation_notify.denominator
            ),
        ),
        ratio_headline(
            "Automation: containment steps",
            &m.automation_contain,
            p.map(|p| &p.automation_contain),
            format!(
                "{} of {} containment steps automated",
                m.automation_contain.numerator, m.automation_contain.denominator
            ),
        ),
        ratio_headline(
            "Evidence completeness",
            &m.evidence_completeness,
            p.map(|p| &p.evidence_completeness),
            format!(
                "{} of {} closed cases with a complete packet",
                m.evidence_completeness.numerator, m.evidence_completeness.denominator
            ),
        ),
        ratio_headline(
            "SLA attainment",
            &m.sla_overall,
            p.map(|p| &p.sla_overall),
            format!(
                "{} of {} clocks met on time; {} breaches; {} cases not contained (resolved without containment, \
                 not counted)",
                m.sla_overall.numerator,
                m.sla_overall.denominator,
                m.sla_breaches.len(),
                m.sla_not_contained
            ),
        ),
        time_headline("Executive time to decision", &m.time_to_decision_ms, p.map(|p| &p.time_to_decision_ms)),
    ]
}

/// The unit to plot durations in: minutes, or hours when the largest value is 2 h or more.
pub(crate) fn time_unit(series: &[&Metrics]) -> (f64, &'static str) {
    let max = series
        .iter()
        .flat_map(|m| [m.mttd_ms.median, m.mtta_ms.median, m.mttr_contain_ms.median, m.mttr_resolve_ms.median])
        .flatten()
        .fold(0.0, f64::max);
    if max >= 7_200_000.0 { (3_600_000.0, "hours") } else { (60_000.0, "minutes") }
}

/// Breaches counted per severity: the four standard severities always, others when present.
pub(crate) fn breaches_by_severity(m: &Metrics) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> =
        ["critical", "high", "medium", "low"].iter().map(|s| (s.to_string(), 0)).collect();
    for breach in &m.sla_breaches {
        match out.iter_mut().find(|(s, _)| *s == breach.severity) {
            Some((_, count)) => *count += 1,
            None => out.push((breach.severity.clone(), 1)),
        }
    }
    out.sort_by_key(|(s, _)| severity_rank(s));
    out
}
