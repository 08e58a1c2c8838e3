//! The playbook format, `vigil-playbook/1` (YAML), and its validation: every error names the
//! file, the line and the field.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_connectors::ActionClass;

use crate::target::TargetKind;
use crate::template;

pub const FORMAT: &str = "vigil-playbook/1";

/// Where a playbook starts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// `incident` (run on queued incidents that match) or `manual` (only when a person asks).
    pub on: String,
    /// Any of these ATT&CK tactics among the incident's.
    #[serde(default)]
    pub tactics: Vec<String>,
    /// Any of these detections (rule id or title) among the incident's alerts.
    #[serde(default)]
    pub detections: Vec<String>,
    /// Verdicts that qualify (default: malicious, suspicious).
    #[serde(default)]
    pub verdicts: Vec<String>,
    #[serde(default)]
    pub min_risk: Option<f64>,
    /// Old spelling of the playbook's `targets`: `user` (read as `idp_user`), `host` or `key`
    /// (read as `access_key`).
    #[serde(default)]
    pub needs: Option<String>,
}

/// When steps wait for a person.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApprovalPolicy {
    #[serde(default = "required")]
    pub contain: String,
    #[serde(default = "required")]
    pub destructive: String,
    /// Contain and destructive steps on a critical asset (crown jewel, admin, critical host)
    /// always wait for approval, whatever the class setting says.
    #[serde(default = "required")]
    pub critical_assets: String,
    #[serde(default = "default_expiry")]
    pub expires_hours: u64,
}

fn required() -> String {
    "required".into()
}

fn default_expiry() -> u64 {
    24
}

impl Default for ApprovalPolicy {
    fn default() -> Self {
        Self { contain: required(), destructive: required(), critical_assets: required(), expires_hours: 24 }
    }
}

/// One step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub id: String,
    /// A connector action (`okta.suspend_user`).
    pub action: String,
    /// The action's inputs; strings may hold `{{ … }}` references.
    #[serde(default, rename = "with")]
    pub with: Value,
    /// Run only when this holds (`verdict == 'malicious' and risk >= 70`).
    #[serde(default)]
    pub when: Option<String>,
    #[serde(default)]
    pub retries: u32,
    #[serde(default = "default_timeout")]
    pub timeout_s: u64,
    /// `abort` (default), `continue`, or the id of a later step to go to.
    #[serde(default = "abort")]
    pub on_failure: String,
    /// `required` or `none`, overriding the playbook's policy for this step (a contain or
    /// destructive step can be made stricter, never laxer than a critical asset demands).
    #[serde(default)]
    pub approval: Option<String>,
}

fn default_timeout() -> u64 {
    30
}

fn abort() -> String {
    "abort".into()
}

/// A playbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Playbook {
    pub format: String,
    pub id: String,
    pub name: String,
    pub version: u32,
    #[serde(default)]
    pub description: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Control ids (`SOC2:CC7.4`); the compliance mapping adds those of its use case.
    #[serde(default)]
    pub controls: Vec<String>,
    /// ATT&CK mitigations (`M1032`).
    #[serde(default)]
    pub mitigations: Vec<String>,
    /// The use case in the compliance mapping (`PB-01`).
    #[serde(default)]
    pub use_case: Option<String>,
    pub trigger: Trigger,
    /// The kinds of entity the playbook acts on (`idp_user`, `cloud_principal`, `access_key`,
    /// `host`, `ip`, `bucket`): it triggers only on incidents holding one, its `{{ entity.… }}`
    /// references resolve only to entities of these kinds, and a run or dry run on a case
    /// without one is refused. Empty: the playbook acts on no entity (a ticket, a message).
    #[serde(default)]
    pub targets: Vec<String>,
    #[serde(default)]
    pub approval: ApprovalPolicy,
    /// Named inputs rendered once at the start of a run (`user: "{{ entity.user }}"`).
    #[serde(default)]
    pub inputs: serde_json::Map<String, Value>,
    pub steps: Vec<Step>,
    /// Where it was loaded from, and the SHA-256 of its text.
    #[serde(skip)]
    pub file: String,
    #[serde(skip)]
    pub sha256: String,
}

fn yes() -> bool {
    true
}

impl Playbook {
    /// The entity kinds the playbook acts on (its `targets`, or what `trigger.needs` stands for).
    pub fn target_kinds(&self) -> Vec<TargetKind> {
        let mut out: Vec<TargetKind> = self.targets.iter().filter_map(|t| TargetKind::parse(t)).collect();
        if out.is_empty()
            && let Some(k) = self.trigger.needs.as_deref().and_then(TargetKind::from_needs)
        {
            out.push(k);
        }
        out
    }
}

/// A playbook that could not be loaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {field}: {message}")]
pub struct FormatError {
    pub file: String,
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// The line of the first `key: value` (or `- key: value`) holding `value`, at or after `from`.
fn line_of(text: &str, key: &str, value: Option<&str>, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1))
        .find(|(_, l)| {
            let t = l.trim_start().trim_start_matches("- ");
            t.starts_with(&format!("{key}:")) && value.is_none_or(|v| t.contains(v))
        })
        .map(|(i, _)| i + 1)
        .unwrap_or(from.max(1))
}

const ROOTS: [&str; 9] = ["case", "incident", "entity", "inputs", "steps", "verdict", "risk", "severity", "playbook"];

/// Parses and validates a playbook.
pub fn parse(file: &str, text: &str) -> Result<Playbook, FormatError> {
    let err = |line: usize, field: &str, message: String| FormatError {
        file: file.into(),
        line,
        field: field.into(),
        message,
    };
    if text.len() > 1 << 20 {
        return Err(err(1, "(file)", "larger than 1 MiB".into()));
    }
    let mut pb: Playbook = yaml_serde::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(1);
        let msg = e.to_string();
        let field = msg.split('`').nth(1).filter(|_| msg.contains("field")).unwrap_or("(document)").to_string();
        err(line, &field, msg)
    })?;
    pb.file = file.into();
    pb.sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
    if pb.format != FORMAT {
        return Err(err(line_of(text, "format", None, 1), "format", format!("{:?}: expected {FORMAT}", pb.format)));
    }
    let id_ok = |s: &str| {
        !s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !id_ok(&pb.id) {
        return Err(err(
            line_of(text, "id", None, 1),
            "id",
            format!("{:?}: use letters, digits, - and _ (at most 64)", pb.id),
        ));
    }
    if pb.name.trim().is_empty() {
        return Err(err(line_of(text, "name", None, 1), "name", "must not be empty".into()));
    }
    if !["incident", "manual"].contains(&pb.trigger.on.as_str()) {
        return Err(err(
            line_of(text, "on", None, 1),
            "trigger.on",
            format!("{:?}: use incident or manual", pb.trigger.on),
        ));
    }
    let kinds = TargetKind::ALL.map(TargetKind::as_str).join(", ");
    for t in &pb.targets {
        if TargetKind::parse(t).is_none() {
            return Err(err(
                line_of(text, "targets", None, 1),
                "targets",
                format!("{t:?} is not an entity kind; use {kinds}"),
            ));
        }
    }
    if let Some(n) = pb.trigger.needs.clone() {
        let Some(kind) = TargetKind::from_needs(&n) else {
            return Err(err(
                line_of(text, "needs", None, 1),
                "trigger.needs",
                format!("{n:?}: use user, host or key, or better `targets: [...]` with {kinds}"),
            ));
        };
        if pb.targets.is_empty() {
            pb.targets.push(kind.as_str().to_string());
        } else if !pb.targets.iter().any(|t| t == kind.as_str()) {
            return Err(err(
                line_of(text, "needs", None, 1),
                "trigger.needs",
                format!(
                    "needs: {n} means targets [{}], which the playbook's targets [{}] do not include; drop `needs`",
                    kind.as_str(),
                    pb.targets.join(", ")
                ),
            ));
        }
    }
    let targets = pb.target_kinds();
    for (field, v) in [
        ("approval.contain", &pb.approval.contain),
        ("approval.destructive", &pb.approval.destructive),
        ("approval.critical_assets", &pb.approval.critical_assets),
    ] {
        if !["required", "none"].contains(&v.as_str()) {
            let key = field.rsplit('.').next().unwrap_or(field);
            return Err(err(line_of(text, key, None, 1), field, format!("{v:?}: use required or none")));
        }
    }
    if pb.approval.expires_hours == 0 || pb.approval.expires_hours > 24 * 30 {
        return Err(err(
            line_of(text, "expires_hours", None, 1),
            "approval.expires_hours",
            "between 1 and 720 hours".into(),
        ));
    }
    for c in &pb.controls {
        if let Err(e) = vigil_compliance::ControlRef::parse(c) {
            return Err(err(line_of(text, "controls", None, 1), "controls", e.to_string()));
        }
    }
    for m in &pb.mitigations {
        let ok = m.len() == 5 && m.starts_with('M') && m[1..].chars().all(|c| c.is_ascii_digit());
        if !ok {
            return Err(err(
                line_of(text, "mitigations", None, 1),
                "mitigations",
                format!("{m:?} is not an ATT&CK mitigation id (M1032)"),
            ));
        }
    }
    if pb.steps.is_empty() {
        return Err(err(line_of(text, "steps", None, 1), "steps", "a playbook needs at least one step".into()));
    }
    for (k, v) in &pb.inputs {
        check_refs(v, &[]).map_err(|m| err(line_of(text, k, None, 1), &format!("inputs.{k}"), m))?;
        check_entity_refs(v, &targets).map_err(|m| err(line_of(text, k, None, 1), &format!("inputs.{k}"), m))?;
    }
    let registry = vigil_connectors::registry();
    let mut seen: Vec<&str> = Vec::new();
    let all_ids: BTreeSet<&str> = pb.steps.iter().map(|s| s.id.as_str()).collect();
    for (i, s) in pb.steps.iter().enumerate() {
        let line = line_of(text, "id", Some(&s.id), 1);
        let f = |name: &str| format!("steps[{i}].{name}");
        if !id_ok(&s.id) {
            return Err(err(line, &f("id"), format!("{:?}: use letters, digits, - and _", s.id)));
        }
        if seen.contains(&s.id.as_str()) {
            return Err(err(line, &f("id"), format!("duplicate step id {:?}", s.id)));
        }
        let Some(action) = registry.get(s.action.as_str()) else {
            return Err(err(
                line_of(text, "action", Some(&s.action), line),
                &f("action"),
                format!(
                    "unknown action {:?}; known: {}",
                    s.action,
                    registry.keys().copied().collect::<Vec<_>>().join(", ")
                ),
            ));
        };
        if !s.with.is_null() && !s.with.is_object() {
            return Err(err(line_of(text, "with", None, line), &f("with"), "must be a mapping of inputs".into()));
        }
        for input in action.required_inputs() {
            if s.with.get(*input).is_none() {
                return Err(err(
                    line_of(text, "with", None, line),
                    &f("with"),
                    format!("{} needs input `{input}`", s.action),
                ));
            }
        }
        check_refs(&s.with, &seen).map_err(|m| err(line_of(text, "with", None, line), &f("with"), m))?;
        check_entity_refs(&s.with, &targets).map_err(|m| err(line_of(text, "with", None, line), &f("with"), m))?;
        if let Some(w) = &s.when {
            template::check_condition(w).map_err(|m| err(line_of(text, "when", None, line), &f("when"), m))?;
        }
        if s.retries > 5 {
            return Err(err(line_of(text, "retries", None, line), &f("retries"), "at most 5".into()));
        }
        if s.timeout_s == 0 || s.timeout_s > 600 {
            return Err(err(
                line_of(text, "timeout_s", None, line),
                &f("timeout_s"),
                "between 1 and 600 seconds".into(),
            ));
        }
        if !["abort", "continue"].contains(&s.on_failure.as_str()) {
            let later = all_ids.contains(s.on_failure.as_str())
                && !seen.contains(&s.on_failure.as_str())
                && s.on_failure != s.id;
            if !later {
                return Err(err(
                    line_of(text, "on_failure", None, line),
                    &f("on_failure"),
                    format!("{:?}: use abort, continue or the id of a later step", s.on_failure),
                ));
            }
        }
        if let Some(a) = &s.approval
            && !["required", "none"].contains(&a.as_str())
        {
            return Err(err(
                line_of(text, "approval", None, line),
                &f("approval"),
                format!("{a:?}: use required or none"),
            ));
        }
        if s.approval.as_deref() == Some("none") && action.class() == ActionClass::Destructive {
            return Err(err(
                line_of(text, "approval", None, line),
                &f("approval"),
                format!("{} is destructive: it cannot run without approval", s.action),
            ));
        }
        seen.push(&s.id);
    }
    Ok(pb)
}

/// The kind of entity an `entity.<field>` reference names (`user` and `key` are the old names
/// of `idp_user` and `access_key`; `iam_user` is a cloud principal's IAM user name and
/// `access_key_user` the IAM user owning the access key).
pub fn entity_field_kind(field: &str) -> Option<TargetKind> {
    match field {
        "user" | "idp_user" => Some(TargetKind::IdpUser),
        "cloud_principal" | "iam_user" => Some(TargetKind::CloudPrincipal),
        "key" | "access_key" | "access_key_user" => Some(TargetKind::AccessKey),
        "host" => Some(TargetKind::Host),
        "ip" => Some(TargetKind::Ip),
        "bucket" => Some(TargetKind::Bucket),
        _ => None,
    }
}

/// A playbook with targets may refer only to entities of those kinds.
fn check_entity_refs(v: &Value, targets: &[TargetKind]) -> Result<(), String> {
    match v {
        Value::String(s) => {
            for r in template::references(s) {
                let mut parts = r.split('.');
                if parts.next() != Some("entity") {
                    continue;
                }
                let field = parts.next().unwrap_or_default();
                let Some(kind) = entity_field_kind(field) else {
                    return Err(format!(
                        "`{r}`: entity fields are user, idp_user, cloud_principal, iam_user, key, access_key, access_key_user, host, ip, bucket"
                    ));
                };
                if !targets.is_empty() && !targets.contains(&kind) {
                    return Err(format!(
                        "`{r}` is a {} ({}), not one of the playbook's targets [{}]",
                        kind.as_str(),
                        kind.describe(),
                        targets.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|x| check_entity_refs(x, targets)),
        Value::Object(m) => m.values().try_for_each(|x| check_entity_refs(x, targets)),
        _ => Ok(()),
    }
}

/// Every `{{ ref }}` must start at a known root; `steps.X` only for earlier steps.
fn check_refs(v: &Value, earlier: &[&str]) -> Result<(), String> {
    match v {
        Value::String(s) => {
            if s.matches("{{").count() != s.matches("}}").count() {
                return Err(format!("unbalanced braces in {s:?}"));
            }
            for r in template::references(s) {
                let root = r.split('.').next().unwrap_or_default();
                if !ROOTS.contains(&root) {
                    return Err(format!("`{r}`: templates may refer to {}", ROOTS.join(", ")));
                }
                if root == "steps" {
                    let step = r.split('.').nth(1).unwrap_or_default();
                    if !earlier.contains(&step) {
                        return Err(format!("`{r}`: step {step:?} does not run before this one"));
                    }
                }
            }
            Ok(())
        }
        Value::Array(a) => a.iter().try_for_each(|x| check_refs(x, earlier)),
        Value::Object(m) => m.values().try_for_each(|x| check_refs(x, earlier)),
        _ => Ok(()),
    }
}

/// Loads every `*.yml`/`*.yaml` under the paths (files or directories), sorted; returns the
/// playbooks and the errors, one per bad file.
pub fn load(paths: &[PathBuf]) -> (Vec<Playbook>, Vec<FormatError>) {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, true);
    }
    files.sort();
    let mut ok: Vec<Playbook> = Vec::new();
    let mut bad = Vec::new();
    for f in files {
        let name = f.display().to_string();
        match std::fs::read_to_string(&f) {
            Err(e) => bad.push(FormatError { file: name, line: 0, field: "(file)".into(), message: e.to_string() }),
            Ok(text) => match parse(&name, &text) {
                Ok(pb) if ok.iter().any(|o| o.id == pb.id) => bad.push(FormatError {
                    file: name,
                    line: line_of(&text, "id", None, 1),
                    field: "id".into(),
                    message: format!("playbook id {:?} is already used", pb.id),
                }),
                Ok(pb) => ok.push(pb),
                Err(e) => bad.push(e),
            },
        }
    }
    (ok, bad)
}

/// Files named on the command line are read whatever their name; inside directories, only
/// `.yml` and `.yaml`.
fn collect(p: &Path, out: &mut Vec<PathBuf>, explicit: bool) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                collect(&e.path(), out, false);
            }
        }
    } else if explicit || p.extension().is_some_and(|e| e == "yml" || e == "yaml") {
        out.push(p.to_path_buf());
    }
}

/// The pilot playbooks shipped with Vigil: account reset, cloud credential containment, device
/// isolation, ticket creation.
pub const BUILTIN: [(&str, &str); 4] = [
    ("account-reset.yml", include_str!("../playbooks/account-reset.yml")),
    ("cloud-credential.yml", include_str!("../playbooks/cloud-credential.yml")),
    ("device-isolation.yml", include_str!("../playbooks/device-isolation.yml")),
    ("ticket-open.yml", include_str!("../playbooks/ticket-open.yml")),
];

/// The shipped playbooks, parsed. They are tested to load.
pub fn builtin() -> Result<Vec<Playbook>, FormatError> {
    BUILTIN.iter().map(|(f, t)| parse(&format!("builtin:{f}"), t)).collect()
}

/// The playbooks in force: the built-in pilot playbooks, each replaced by a loaded playbook of
/// the same id, plus the others loaded from `paths`. Any rejected file is an error (the first,
/// with the count), so a deployment never runs with a playbook silently missing.
pub fn in_force(paths: &[PathBuf]) -> Result<Vec<Playbook>, FormatError> {
    let mut all = builtin()?;
    let (extra, bad) = load(paths);
    if let Some(e) = bad.into_iter().next() {
        return Err(e);
    }
    for pb in extra {
        all.retain(|b| b.id != pb.id);
        all.push(pb);
    }
    Ok(all)
}
