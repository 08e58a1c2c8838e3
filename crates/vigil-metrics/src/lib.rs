//! Metrics, the weekly scorecard and the executive brief: exact definitions (one place;
//! METRICS.md mirrors them), computation over plain facts with medians and p90s, the
//! scorecard in HTML (charts drawn as inline SVG, no network needed), Markdown and JSON, and
//! the executive brief.
//!
//! * [`Facts`] and its parts ([`CaseFact`], [`AlertFact`], [`TriageFact`], [`StepFact`],
//!   [`BriefFact`], [`ExceptionSuggestion`]): the plain inputs, converted by the caller.
//! * [`DEFINITIONS`] and [`NOTES`]: the exact formulas; [`definitions_markdown`] renders
//!   them as METRICS.md.
//! * [`Period`]: a half-open `[from, to)` window, usually an ISO week.
//! * [`compute`] gives [`Metrics`] for one period ([`compute_with_actions`] also splits the
//!   automation rate by action class, from [`StepAction`]s); [`Stat`] (n, median, p90, mean by the
//!   nearest-rank method) and [`Ratio`] carry every number with its n.
//! * [`scorecard`] (or [`scorecard_with_actions`]) gives a [`Scorecard`] with its trend, noisy rules and tuning
//!   suggestions, rendered by [`Scorecard::to_html`], [`Scorecard::to_markdown`] and
//!   [`Scorecard::to_json`].
//! * [`Brief`]: the one-page executive brief for a case, [`Brief::to_html`]; its text in plain
//!   words from the incident's facts ([`Brief::what_happened`], [`Brief::actions_taken`],
//!   [`Brief::pending_decisions`] over [`DetectionFact`], [`ActionFact`], [`PendingDecision`]).
//!
//! Must not: read the store, the clock or the network — callers pass facts and periods in.

mod brief;
mod charts;
mod compute;
mod definitions;
mod error;
mod facts;
mod format;
mod html;
mod markdown;
mod period;
mod report;
mod scorecard;
mod stats;

pub use brief::Brief;
pub use compute::{Breach, DetectionPrecision, LabeledRates, Metrics, SlaAttainment, compute, compute_with_actions};
pub use definitions::{DEFINITIONS, Definition, NOTES, definitions_markdown};
pub use error::MetricsError;
pub use facts::{
    ActionFact, AlertFact, BriefFact, CaseFact, DetectionFact, ExceptionSuggestion, Facts, PendingDecision, SlaFact,
    StepAction, StepFact, TriageFact,
};
pub use period::{Period, parse_instant};
pub use scorecard::{NoisyRule, Scorecard, scorecard, scorecard_with_actions};
pub use stats::{Ratio, Stat, percentile_nearest_rank};
