//! The detection configuration, assembled in one place for every way events arrive: `vigil
//! ingest`, the offline scan, HTTP and HEC ingest, and (later) pollers. Built-in Sigma rules and
//! behavioral detections, rule files, exceptions and behavioral files: the same inputs give the
//! same detector, whichever front end asked.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use vigil_behavior::BehaviorPack;
use vigil_detect::exceptions::Expired;
use vigil_detect::{Detector, DetectorOptions, Level, RulePack};
use vigil_vault::compliance::DetectionRef;

use crate::{AppError, Result};

/// Where detections come from.
#[derive(Debug, Clone)]
pub struct DetectionConfig {
    /// Sigma rule files or directories beside the built-in rules.
    pub rules: Vec<PathBuf>,
    /// Vigil exceptions files (Sigma filters with a reason, an owner and an optional expiry).
    pub exceptions: Vec<PathBuf>,
    /// Behavioral detection files (`vigil-behavior/1`) beside the built-in pack.
    pub behavior: Vec<PathBuf>,
    /// Leave out the built-in Sigma rules and behavioral detections.
    pub no_builtin: bool,
    /// Raise no alert below this level.
    pub min_level: Level,
}

impl Default for DetectionConfig {
    fn default() -> Self {
        DetectionConfig {
            rules: Vec::new(),
            exceptions: Vec::new(),
            behavior: Vec::new(),
            no_builtin: false,
            min_level: Level::Informational,
        }
    }
}

/// What a configuration loads into: the finished rule pack, the detector built from it, the
/// behavioral pack, and the exceptions that expired (and so were not applied).
pub struct Detection {
    pub pack: RulePack,
    pub detector: Arc<Detector>,
    pub behavior: Option<BehaviorPack>,
    pub expired: Vec<Expired>,
    /// Each exceptions file applied, with the SHA-256 of its content (for the audit log).
    pub exceptions_applied: Vec<(String, String)>,
}

fn read(p: &Path, what: &str) -> Result<String> {
    std::fs::read_to_string(p).map_err(|e| AppError::Invalid(format!("reading {what} {}: {e}", p.display())))
}

/// The Sigma side of a configuration, loaded: the finished pack, the exceptions that expired, and
/// each exceptions file applied with the SHA-256 of its content.
pub struct Rules {
    pub pack: RulePack,
    pub expired: Vec<Expired>,
    pub exceptions_applied: Vec<(String, String)>,
}

impl DetectionConfig {
    /// The rule pack alone: built-in rules (unless left out), the rule files and the exceptions.
    pub fn rules(&self) -> Result<Rules> {
        let mut pack = RulePack::default();
        if !self.no_builtin {
            vigil_detect::builtin::add_to(&mut pack);
        }
        // A rule path that is not there is a mistake to say, not an empty pack to run with.
        if let Some(missing) = self.rules.iter().find(|p| !p.exists()) {
            return Err(AppError::Invalid(format!("rules: {}: no such file or directory", missing.display())));
        }
        pack.merge(RulePack::load(&self.rules));
        let mut expired = Vec::new();
        let mut applied = Vec::new();
        let today = vigil_detect::exceptions::today();
        for p in &self.exceptions {
            let text = read(p, "exceptions")?;
            let name = p.display().to_string();
            expired.extend(vigil_detect::exceptions::add_exceptions(&mut pack, &name, &text, &today));
            applied.push((name, crate::sha256_hex(text.as_bytes())));
        }
        pack.finish();
        Ok(Rules { pack, expired, exceptions_applied: applied })
    }

    /// The behavioral pack: the built-in detections (unless left out) and the files. A built-in
    /// pack that fails to load is an error, never behavioral detection silently turned off.
    pub fn behavior_pack(&self) -> Result<Option<BehaviorPack>> {
        let mut pack = if self.no_builtin {
            BehaviorPack::default()
        } else {
            vigil_behavior::builtin().map_err(|errs| {
                let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                AppError::Internal(format!("the built-in behavioral pack does not load: {}", list.join("; ")))
            })?
        };
        for p in &self.behavior {
            let text = read(p, "behavioral detections")?;
            match vigil_behavior::format::parse(&p.display().to_string(), &text) {
                Ok(more) => pack.detections.extend(more.detections),
                Err(errs) => {
                    let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
                    return Err(AppError::Invalid(format!("behavioral detections rejected:\n  {}", list.join("\n  "))));
                }
            }
        }
        Ok((!pack.detections.is_empty()).then_some(pack))
    }

    /// The detections this configuration loads — Sigma rules, correlations and behavioral
    /// detections — as the compliance coverage report needs them.
    pub fn detection_refs(&self) -> Result<Vec<DetectionRef>> {
        let pack = self.rules()?.pack;
        let behavior = self.behavior_pack()?.unwrap_or_default();
        let tactics_of = |tags: &[String]| -> Vec<String> {
            tags.iter()
                .filter_map(|t| t.strip_prefix("attack."))
                .filter(|t| !t.starts_with('t'))
                .map(str::to_string)
                .collect()
        };
        let mut out = Vec::new();
        for info in pack.rules.iter().map(|r| &r.info).chain(pack.correlations.iter().map(|c| &c.info)) {
            out.push(DetectionRef {
                id: info.id.clone(),
                title: info.title.clone(),
                tactics: tactics_of(&info.tags),
                controls: vec![],
            });
        }
        for d in &behavior.detections {
            out.push(DetectionRef {
                id: d.id.clone(),
                title: d.title.clone(),
                tactics: vec![],
                controls: d.controls.clone(),
            });
        }
        Ok(out)
    }

    /// Everything detection needs, loaded.
    pub fn load(&self) -> Result<Detection> {
        let Rules { pack, expired, exceptions_applied } = self.rules()?;
        let detector =
            Arc::new(Detector::new(&pack, DetectorOptions { min_level: self.min_level, ..DetectorOptions::default() }));
        let behavior = self.behavior_pack()?;
        Ok(Detection { pack, detector, behavior, expired, exceptions_applied })
    }
}

/// What one behavioral detection has learned about one entity.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Baseline {
    pub detection: String,
    pub entity: String,
    /// When the state last changed, milliseconds since the epoch.
    pub updated_ms: i64,
    /// The detection's own record (`null` where what was stored is not JSON).
    pub state: serde_json::Value,
}

impl crate::App {
    /// What the behavioral detections have learned about `entity` (a user, a key, a host, or a
    /// detection's own composite key ending in it), by detection.
    pub fn baseline(&self, caller: &crate::Caller, entity: &str) -> Result<Vec<Baseline>> {
        caller.require(vigil_auth::Permission::ViewQueue, "read behavioral baselines")?;
        let entity = entity.trim();
        if entity.is_empty() || entity.chars().count() > 512 {
            return Err(AppError::Invalid("a baseline is looked up by an entity of 1 to 512 characters".into()));
        }
        let rows = vigil_store::StateStore::behavior_state(&self.store()?, Some(entity))?;
        Ok(rows
            .into_iter()
            .map(|r| Baseline {
                state: serde_json::from_str(&r.state).unwrap_or(serde_json::Value::Null),
                detection: r.detection,
                entity: r.entity,
                updated_ms: r.updated_ms,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_configuration_has_the_built_in_rules_and_behavior() {
        let d = DetectionConfig::default().load().unwrap();
        assert!(!d.pack.rules.is_empty(), "built-in Sigma rules");
        assert!(d.behavior.is_some_and(|b| !b.detections.is_empty()), "built-in behavioral detections");
    }

    #[test]
    fn a_rule_path_that_is_not_there_is_refused_by_name() {
        let cfg = DetectionConfig { rules: vec!["no/such/rules".into()], ..DetectionConfig::default() };
        let e = cfg.rules().err().expect("refused");
        assert!(e.to_string().contains("no/such/rules"), "{e}");
    }

    #[test]
    fn exceptions_and_behavior_files_are_read_or_refused_with_their_path() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yml");
        let cfg = DetectionConfig { exceptions: vec![missing.clone()], ..DetectionConfig::default() };
        let e = cfg.load().err().unwrap().to_string();
        assert!(e.contains("nope.yml"), "{e}");
        let bad = dir.path().join("bad.yml");
        std::fs::write(&bad, "format: vigil-behavior/1\nid: x\n").unwrap();
        let cfg = DetectionConfig { behavior: vec![bad], ..DetectionConfig::default() };
        let e = cfg.load().err().unwrap().to_string();
        assert!(e.contains("rejected"), "{e}");
    }
}
