//! The weekly scorecard: this period's metrics, the trend before it, the noisiest rules and
//! the tuning suggestions.

use serde::{Deserialize, Serialize};

use crate::compute::{Metrics, compute_with_actions};
use crate::facts::{ExceptionSuggestion, Facts, StepAction};
use crate::period::Period;

/// How many noisy rules and tuning suggestions a scorecard lists.
const TOP: usize = 10;

/// A rule ranked by its false-positive alerts in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoisyRule {
    pub rule_id: String,
    pub rule_title: String,
    /// Alerts of the rule in the period disposed false_positive.
    pub false_positives: u64,
    /// All alerts of the rule in the period.
    pub alerts: u64,
}

/// The weekly scorecard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scorecard {
    pub title: String,
    pub period: Period,
    pub generated_at_ms: i64,
    pub metrics: Metrics,
    /// The `weeks` periods before `period`, oldest first.
    pub trend: Vec<Metrics>,
    /// The top 10 rules by false-positive alerts in the period.
    pub noisy_rules: Vec<NoisyRule>,
    /// The suggested exceptions for the detections with the most false positives, most
    /// first (at most 10), each with what it would hide.
    pub tuning: Vec<ExceptionSuggestion>,
}

/// Builds the scorecard for `period` with a trend over the `weeks` periods before it.
/// `generated_at_ms` is only printed; nothing here reads the clock.
pub fn scorecard(facts: &Facts, period: &Period, weeks: usize, title: &str, generated_at_ms: i64) -> Scorecard {
    scorecard_with_actions(facts, &[], period, weeks, title, generated_at_ms)
}

/// [`scorecard`] with the automation rate split by the class of each step's action.
pub fn scorecard_with_actions(
    facts: &Facts,
    actions: &[StepAction],
    period: &Period,
    weeks: usize,
    title: &str,
    generated_at_ms: i64,
) -> Scorecard {
    let metrics = compute_with_actions(facts, actions, period);
    let mut trend = Vec::with_capacity(weeks);
    let mut earlier = period.clone();
    for _ in 0..weeks {
        earlier = earlier.previous();
        trend.push(compute_with_actions(facts, actions, &earlier));
    }
    trend.reverse();

    let mut noisy_rules: Vec<NoisyRule> = metrics
        .per_detection
        .iter()
        .filter(|d| d.fp > 0)
        .map(|d| NoisyRule {
            rule_id: d.rule_id.clone(),
            rule_title: d.rule_title.clone(),
            false_positives: d.fp,
            alerts: d.alerts,
        })
        .collect();
    noisy_rules.sort_by(|a, b| {
        b.false_positives.cmp(&a.false_positives).then(b.alerts.cmp(&a.alerts)).then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    noisy_rules.truncate(TOP);

    let mut tuning = facts.suggestions.clone();
    tuning.sort_by(|a, b| b.false_positives.cmp(&a.false_positives).then_with(|| a.rule_id.cmp(&b.rule_id)));
    tuning.truncate(TOP);

    Scorecard { title: title.to_string(), period: period.clone(), generated_at_ms, metrics, trend, noisy_rules, tuning }
}

impl Scorecard {
    /// The scorecard as JSON (durations in milliseconds, null where n = 0); it reads back
    /// with `serde_json::from_value::<Scorecard>`.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// The scorecard as Markdown, one table per section.
    pub fn to_markdown(&self) -> String {
        crate::markdown::scorecard(self)
    }

    /// The scorecard as one self-contained HTML page: inline CSS, charts as inline SVG,
    /// no script and no external reference.
    pub fn to_html(&self) -> String {
        crate::html::scorecard(self)
    }

    /// The metrics of the week before `period`, when the trend has it.
    pub fn previous(&self) -> Option<&Metrics> {
        self.trend.last()
    }

    /// The trend and the current period, oldest first.
    pub fn series(&self) -> Vec<&Metrics> {
        self.trend.iter().chain(std::iter::once(&self.metrics)).collect()
    }
}
