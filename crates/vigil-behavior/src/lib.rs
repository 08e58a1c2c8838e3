//! Behavioral detections: what Sigma cannot say — per-entity baselines, first-seen sets, rates
//! over windows, geo velocity, sequences across sources — in a YAML format of Vigil's own
//! (`format: vigil-behavior/1`), evaluated on normalized events with bounded state that the
//! pipeline persists in the state store.
//!
//! Owns: the format and its validation (errors name file, line and field); the detection kinds;
//! per-entity state (learning periods, median/MAD baselines, first-seen sets, recent locations)
//! with a cap per detection; alerts that carry the features that deviated, the baseline they
//! were compared with, each feature's contribution, a confidence, ATT&CK and the controls they
//! evidence.
//!
//! Must not: read files of events, write storage (the pipeline hands it events and saves its
//! state), or depend on anything outside the machine (no geo-IP database: coordinates come from
//! the logs).

pub mod format;
pub mod kinds;
pub mod obs;

pub use format::{BehaviorDetection, BehaviorPack, EntityKind, Kind, LoadError};
pub use kinds::{Engine, EntityState, StateRow};
pub use obs::Obs;

/// The built-in pack, shipped in the binary (files under `rules/`).
pub const BUILTIN: &[(&str, &str)] = &[("builtin:behavior.yml", include_str!("../rules/behavior.yml"))];

/// Loads the built-in pack.
pub fn builtin() -> Result<BehaviorPack, Vec<LoadError>> {
    let mut pack = BehaviorPack::default();
    let mut errors = Vec::new();
    for (name, text) in BUILTIN {
        match format::parse(name, text) {
            Ok(p) => pack.detections.extend(p.detections),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() { Ok(pack) } else { Err(errors) }
}

/// DETECTIONS.md's table of the built-in behavioral detections: one row each (id, title, kind,
/// level, ATT&CK techniques) in the order of [`BUILTIN`]. A file that does not load is listed by
/// its errors instead. Ends with a newline.
pub fn builtin_markdown() -> String {
    let mut out = String::from("| id | title | kind | level | ATT&CK |\n|---|---|---|---|---|\n");
    for (name, text) in BUILTIN {
        match format::parse(name, text) {
            Ok(pack) => {
                for d in &pack.detections {
                    let techniques = if d.techniques.is_empty() { "—".to_string() } else { d.techniques.join(", ") };
                    out.push_str(&format!(
                        "| `{}` | {} | behavioral (`{}`) | {} | {techniques} |\n",
                        d.id,
                        cell(&d.title),
                        d.kind.name(),
                        d.level.as_str()
                    ));
                }
            }
            Err(errors) => {
                for e in errors {
                    out.push_str(&format!("| — | {} | not loaded | — | — |\n", cell(&e.to_string())));
                }
            }
        }
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
