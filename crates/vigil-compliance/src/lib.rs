//! Compliance frameworks as data: the shipped catalogs (SOC 2 Common Criteria, ISO/IEC
//! 27001:2022 Annex A, HIPAA Security Rule, PCI DSS 4.0.1 selected, NIST CSF 2.0, NIST SP 800-53
//! r5), custom frameworks in YAML, the mapping of use cases, detections and playbooks to control
//! ids, and the coverage report. Must not: read the store, the vault or the clock — callers
//! pass detections, playbooks, evidence and cases in.
//!
//! * [`Catalog::builtin`] parses the embedded catalogs (`catalogs/`, see its README for sources
//!   and licences) and the detection mapping (`data/detections.yml`).
//! * [`ControlRef`] names a control as `FRAMEWORK:ID` (`SOC2:CC6.1`, `NIST-800-53:AC-2(12)`),
//!   normalized so that references written differently compare equal.
//! * [`load_framework_yaml`] / [`Catalog::load_custom_yaml`] read custom frameworks
//!   (`format: vigil-framework/1`), whose controls may `maps_to` built-in ones.
//! * [`Catalog::controls_for_detection`] and [`Catalog::controls_for_playbook`] map Vigil's
//!   detections (by rule id, or by ATT&CK tactic for third-party rules) and playbooks to
//!   controls through the use cases of the mapping.
//! * [`coverage`] reports, per control, what maps to it and what evidence of a period shows it
//!   operating, as JSON (serde), CSV or Markdown.
//!
//! The use-case mapping is a draft for review by a qualified assessor
//! ([`Catalog::mapping_status`]); every coverage report carries that status.
//!
//! SOC 2, ISO 27001 and PCI DSS titles are the project's own short paraphrases, not the
//! copyrighted text of those standards, and must stay that way.

mod catalog;
mod coverage;
mod custom;
mod refs;

pub use catalog::{Catalog, Control, Framework, UseCase, normalize_tactic};
pub use coverage::{
    CaseItem, CaseRef, ControlCoverage, CoverageInputs, CoverageReport, CoverageStatus, CoverageSummary, EvidenceItem,
    EvidenceRef, ItemRef, MappedItem, coverage, format_utc,
};
pub use custom::{FRAMEWORK_FORMAT, load_framework_yaml};
pub use refs::{
    BUILTIN_FRAMEWORKS, ControlRef, HIPAA, ISO27001, NIST_800_53, NIST_CSF, PCI_DSS, SOC2, builtin_framework,
    canonical_framework,
};

/// What can go wrong; every message names what it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplianceError {
    /// A control reference that does not parse.
    #[error("bad control reference `{reference}`: {reason}")]
    BadControlRef { reference: String, reason: String },
    /// A framework id or alias the catalog does not have.
    #[error("unknown framework `{0}`")]
    UnknownFramework(String),
    /// A custom framework file that does not parse or fails a check.
    #[error("{file}{}: {}{message}", at(*line, *column), field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default())]
    Yaml {
        file: String,
        /// 1-based.
        line: Option<usize>,
        /// 1-based.
        column: Option<usize>,
        /// The path of the offending field (`controls[1].title`), when inside the document.
        field: Option<String>,
        message: String,
    },
    /// A custom framework that fails a check when added to a catalog.
    #[error("custom framework `{framework}`: {message}")]
    InvalidFramework { framework: String, message: String },
    /// An embedded data file that does not parse (a build of the crate with broken data).
    #[error("built-in catalog file {file}: {message}")]
    Catalog { file: String, message: String },
    /// A report period that ends before it starts.
    #[error("bad period: from {from_ms} is after to {to_ms}")]
    BadPeriod { from_ms: i64, to_ms: i64 },
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(":{l}:{c}"),
        (Some(l), None) => format!(":{l}"),
        _ => String::new(),
    }
}
