//! Detection: Sigma rules (through the `rsigma` parser and evaluator), correlations and filters,
//! routed by logsource, raising explainable alerts.
//!
//! Owns: loading rule packs (every document loaded, idle with a reason, or rejected with a
//! reason); the logsource routing tables (Sigma product/service/category → the records Vigil's
//! decoders produce) and the Sigma field view of each record; evaluation, correlation with
//! bounded state, Vigil exceptions; scoring alerts against ground truth. The [`Alert`] record
//! it raises (with its kind, level, entities and OCSF Detection Finding form) and the
//! ground-truth labels are shared data owned by `vigil_model` and re-exported here, so stages
//! that only read alerts depend on `vigil-model`, not on this crate.
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

pub use alert::{Alert, AlertKind, AlertRule, Confidence, CorrelationInfo, Entities, Feature, Matched};
pub use engine::{Checked, Correlator, Detector, DetectorOptions, Hits, Pending};
pub use rules::{Level, PackSummary, Rejection, RulePack};
