//! Detection: Sigma rules (through the `rsigma` parser and evaluator), correlations and filters,
//! routed by logsource, raising explainable alerts.
//!
//! Owns: loading rule packs (every document loaded, idle with a reason, or rejected with a
//! reason); the logsource routing tables (Sigma product/service/category → the records Vigil's
//! decoders produce) and the Sigma field view of each record; evaluation, correlation with
//! bounded state, Vigil exceptions; the [`Alert`] record and its OCSF Detection Finding (2004) form.
//!
//! Must not: read event files or archives (the pipeline hands it records), write storage, or
//! evaluate Sigma by hand: matching is `rsigma-eval`'s, this crate decides what each rule sees.

pub mod alert;
pub mod builtin;
pub mod engine;
pub mod eval;
pub mod exceptions;
pub mod route;
pub mod rules;
pub mod view;

pub use alert::{Alert, AlertRule, Confidence, Entities, Feature, Matched};
pub use engine::{Checked, Correlator, Detector, DetectorOptions, Hits, Pending};
pub use rules::{Level, PackSummary, Rejection, RulePack};
