//! Runs: durable execution of a playbook on a case, approvals, expiry, rollback, dry-run and
//! the automation rate. A run is persisted after every step; a process that dies mid-run
//! resumes with [`advance`], never repeating a completed step, and re-sending an interrupted
//! call with the same idempotency key.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_cases::{Case, CaseEvent};
use vigil_connectors::{ActionClass, ActionContext, ActionOutcome, HttpRequest, HttpTransport, Secrets, Transport};
use vigil_store::{AuditEntry, Document, StateStore};
use vigil_triage::Incident;

use crate::format::{Playbook, Step};
use crate::target::{self, Resolved, TargetKind};
use crate::{RespondError, Result, template};

pub const RUN: &str = "playbook_run";
pub const APPROVAL: &str = "approval";
/// The actor of runs the automation starts.
pub const AUTOMATION: &str = "vigil:automation";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    WaitingApproval,
    Succeeded,
    Failed,
    Aborted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    WaitingApproval,
    Running,
    Succeeded,
    Failed,
    Skipped,
    Denied,
    Expired,
}

impl StepStatus {
    pub fn done(self) -> bool {
        !matches!(self, StepStatus::Pending | StepStatus::WaitingApproval | StepStatus::Running)
    }
}

/// How a step was undone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackRecord {
    pub action: String,
    pub inputs: Value,
    /// `waiting_approval`, `succeeded`, `failed`, `denied`, `expired`.
    pub status: String,
    pub requested_by: String,
    pub approval: Option<String>,
    pub outcome: Option<ActionOutcome>,
    pub error: Option<String>,
    pub at_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRun {
    pub id: String,
    pub action: String,
    pub class: ActionClass,
    pub status: StepStatus,
    pub attempts: u32,
    pub idempotency_key: String,
    /// The inputs as rendered (and as an approver edited them).
    pub inputs: Option<Value>,
    pub approval: Option<String>,
    /// Run without a person deciding (no approval needed).
    pub automated: bool,
    pub outcome: Option<ActionOutcome>,
    pub error: Option<String>,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub rollback: Option<RollbackRecord>,
}

/// Who requests or decides, as authenticated: the name recorded, the credential that proved it
/// (`token:<id>`, `session:<id>`; `None` when it names none), and everyone in control of that
/// credential (the name, and for a token, who minted it). The four-eyes rule compares these,
/// not display names alone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    #[serde(default)]
    pub credential: Option<String>,
    #[serde(default)]
    pub principals: Vec<String>,
}

impl Actor {
    /// An actor known by name only.
    pub fn named(name: &str) -> Actor {
        Actor { name: name.into(), credential: None, principals: vec![name.into()] }
    }

    fn controls(&self, name: &str) -> bool {
        self.name == name || self.principals.iter().any(|p| p == name)
    }

    /// Why `self` (deciding) is the same person as `requester`, if they are: the same name, the
    /// same credential, or a credential one of them controls (a token the requester minted for
    /// the approver, or the reverse).
    pub fn same_person_as(&self, requester: &Actor) -> Option<String> {
        if self.name == requester.name {
            return Some(format!("{} requested it", self.name));
        }
        if let (Some(a), Some(b)) = (&self.credential, &requester.credential)
            && a == b
        {
            return Some(format!("the request and the decision use the same credential ({a})"));
        }
        if self.controls(&requester.name) {
            return Some(format!("{} requested it and controls {}'s credential", requester.name, self.name));
        }
        if requester.controls(&self.name) {
            return Some(format!("{} controls the credential that requested it", self.name));
        }
        None
    }
}

/// One execution of a playbook on a case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run {
    pub id: String,
    pub playbook: Playbook,
    pub playbook_sha256: String,
    pub case_id: String,
    pub requested_by: String,
    pub status: RunStatus,
    /// The template context the run started from (case, incident, entities, verdict, risk).
    pub context: Value,
    /// Contain and destructive steps on a critical asset wait for approval.
    pub critical: bool,
    pub inputs: Value,
    pub steps: Vec<StepRun>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub note: Option<String>,
    /// The requester as authenticated (absent on runs stored before it was kept).
    #[serde(default)]
    pub requester: Option<Actor>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Denied,
    Expired,
}

/// A request for a person's decision on one step (or its rollback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub run_id: String,
    pub case_id: String,
    pub playbook_id: String,
    pub step_id: String,
    /// `step` or `rollback`.
    pub purpose: String,
    pub action: String,
    pub class: ActionClass,
    pub requested_by: String,
    pub requested_ms: i64,
    pub expires_ms: i64,
    pub status: ApprovalStatus,
    pub inputs: Value,
    pub edited_inputs: Option<Value>,
    pub decided_by: Option<String>,
    pub decided_ms: Option<i64>,
    pub note: Option<String>,
    /// What the step acts on, readable: `host srv-backup01`, `idp_user ann@example.com`
    /// (never a vendor's internal id such as a device id).
    #[serde(default)]
    pub target: String,
    /// The case's verdict and risk when the approval was requested.
    #[serde(default)]
    pub verdict: Option<String>,
    #[serde(default)]
    pub risk: Option<f64>,
    /// What the action does (its connector's description).
    #[serde(default)]
    pub description: String,
    /// How it is undone: the inverse action and what it does, or that it cannot be rolled back.
    #[serde(default)]
    pub rollback: String,
    /// The requester as authenticated (absent on requests stored before it was kept).
    #[serde(default)]
    pub requester: Option<Actor>,
    /// The credential (`token:<id>`, `session:<id>`) that decided it, when it named one.
    #[serde(default)]
    pub decided_via: Option<String>,
}

impl Approval {
    /// Fills the readable fields of an approval stored before they existed, from its run.
    pub fn describe(&mut self, run: &Run) {
        if self.description.is_empty() {
            let (target, verdict, risk, description, rollback) = readable(run, &self.action);
            self.target = target;
            self.verdict = verdict;
            self.risk = risk;
            self.description = description;
            self.rollback = rollback;
        }
    }
}

/// The readable target, verdict, risk, description and rollback of an approval of `action` in `run`.
fn readable(run: &Run, action: &str) -> (String, Option<String>, Option<f64>, String, String) {
    let entity = run.context.get("entity");
    let field = |k: &str| entity.and_then(|e| e.get(k)).and_then(Value::as_str).filter(|v| !v.is_empty());
    let mut parts: Vec<String> = Vec::new();
    for kind in run.playbook.target_kinds() {
        let shown = match kind {
            TargetKind::CloudPrincipal => field("cloud_principal").map(|p| match field("iam_user") {
                Some(u) if u != p => format!("IAM user {u} ({p})"),
                Some(u) => format!("IAM user {u}"),
                None => format!("cloud principal {p}"),
            }),
            TargetKind::AccessKey => field("access_key").map(|k| match field("access_key_user") {
                Some(u) => format!("access key {k} of IAM user {u}"),
                None => format!("access key {k}"),
            }),
            TargetKind::IdpUser => field("idp_user").map(|u| format!("identity-provider account {u}")),
            TargetKind::Host => field("host").map(|h| format!("host {h}")),
            TargetKind::Ip => field("ip").map(|h| format!("IP address {h}")),
            TargetKind::Bucket => field("bucket").map(|h| format!("bucket {h}")),
        };
        parts.extend(shown);
    }
    if parts.is_empty() {
        parts.push(format!("case {}", run.case_id));
    }
    let registry = vigil_connectors::registry();
    let a = registry.get(action);
    let description = a.map(|a| a.summary().to_string()).unwrap_or_else(|| format!("{action} (not available)"));
    let rollback = match a.and_then(|a| a.inverse()) {
        Some(inv) => match registry.get(inv) {
            Some(i) => format!("rolled back by {inv}: {}", i.summary()),
            None => format!("rolled back by {inv}"),
        },
        None => "cannot be rolled back".to_string(),
    };
    let verdict = run.context.get("verdict").and_then(Value::as_str).map(str::to_string);
    let risk = run.context.get("risk").and_then(Value::as_f64);
    (parts.join("; "), verdict, risk, description, rollback)
}

/// Where connectors are and with what credentials.
pub struct Env<'a> {
    pub config: &'a Value,
    pub secrets: &'a Secrets,
    pub now_ms: i64,
}

fn sha(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn doc<T: Serialize>(id: &str, now: i64, v: &T) -> Result<Document> {
    Ok(Document {
        id: id.into(),
        updated_ms: now,
        json: serde_json::to_string(v).map_err(|e| RespondError::Invalid(e.to_string()))?,
    })
}

fn audit(now: i64, actor: &str, action: &str, target: &str, result: &str, detail: Value) -> AuditEntry {
    AuditEntry::new(now, actor, action, target, result, &detail.to_string())
}

/// Saves a run with its audit entries (target: the case, so a packet of the case proves them),
/// and adds a line to the case's history for each entry.
fn save(store: &mut dyn StateStore, run: &Run, entries: &[AuditEntry]) -> Result<()> {
    store.put_documents(RUN, &[doc(&run.id, run.updated_ms, run)?], false, entries)?;
    if entries.is_empty() {
        return Ok(());
    }
    if let Some(d) = store.document(vigil_queue::CASE, &run.case_id)? {
        let mut case: Case =
            serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("case {}: {e}", run.case_id)))?;
        for e in entries {
            case.history.push(CaseEvent {
                at_ms: e.at_ms,
                actor: e.actor.clone(),
                action: e.action.clone(),
                detail: format!("{} {} ({})", run.playbook.id, e.detail, e.result),
            });
        }
        // A containment step that took effect contains the case: its contain clock is met
        // then, by whoever ran the step, and the case says so. (A later rollback undoes the
        // action, not the fact that the case was contained.)
        let contained = run.steps.iter().any(|s| {
            s.status == StepStatus::Succeeded && matches!(s.class, ActionClass::Contain | ActionClass::Destructive)
        });
        if contained
            && let Some(e) = entries.iter().find(|e| e.action == "playbook.step" && e.result == "ok")
            && case.times.contained_ms.is_none()
            && case.status.can_move_to(vigil_cases::Status::Contained)
        {
            case.transition(vigil_cases::Status::Contained, &e.actor, e.at_ms)
                .map_err(|err| RespondError::Invalid(format!("case {}: {err}", case.id)))?;
        }
        store.put_documents(vigil_queue::CASE, &[doc(&case.id, run.updated_ms, &case)?], false, &[])?;
    }
    Ok(())
}

fn save_approval(store: &mut dyn StateStore, a: &Approval, now: i64, entries: &[AuditEntry]) -> Result<()> {
    store.put_documents(APPROVAL, &[doc(&a.id, now, a)?], false, entries)?;
    Ok(())
}

pub fn runs(store: &dyn StateStore) -> Result<Vec<Run>> {
    store
        .documents(RUN)?
        .iter()
        .map(|d| serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("run {}: {e}", d.id))))
        .collect()
}

pub fn load_run(store: &dyn StateStore, id: &str) -> Result<Run> {
    let d = store.document(RUN, id)?.ok_or_else(|| RespondError::NotFound(format!("no run {id}")))?;
    serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("run {id}: {e}")))
}

pub fn approvals(store: &dyn StateStore) -> Result<Vec<Approval>> {
    let mut out: Vec<Approval> = store
        .documents(APPROVAL)?
        .iter()
        .map(|d| serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("approval {}: {e}", d.id))))
        .collect::<Result<_>>()?;
    for a in out.iter_mut().filter(|a| a.description.is_empty()) {
        if let Ok(run) = load_run(store, &a.run_id) {
            a.describe(&run);
        }
    }
    Ok(out)
}

pub fn load_approval(store: &dyn StateStore, id: &str) -> Result<Approval> {
    let d = store.document(APPROVAL, id)?.ok_or_else(|| RespondError::NotFound(format!("no approval {id}")))?;
    let mut a: Approval =
        serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("approval {id}: {e}")))?;
    if a.description.is_empty()
        && let Ok(run) = load_run(store, &a.run_id)
    {
        a.describe(&run);
    }
    Ok(a)
}

/// The case's entities, each with the kind it was resolved to (inventory, else shape).
pub fn resolved_entities(store: &dyn StateStore, case_id: &str) -> Result<Vec<Resolved>> {
    let case = load_case(store, case_id)?;
    let inventory = vigil_queue::load(store).map(|c| c.inventory).ok();
    Ok(target::resolve_all(&case.entities, inventory.as_ref()))
}

fn load_case(store: &dyn StateStore, case_id: &str) -> Result<Case> {
    let d = store
        .document(vigil_queue::CASE, case_id)?
        .ok_or_else(|| RespondError::NotFound(format!("no case {case_id}")))?;
    serde_json::from_str(&d.json).map_err(|e| RespondError::Invalid(format!("case {case_id}: {e}")))
}

/// The IAM user owning an access key, from the inventory's `aws_accounts[].iam_users[]`.
pub fn key_owner(inventory: Option<&Value>, key: &str) -> Option<String> {
    let accounts = inventory?.get("aws_accounts")?.as_array()?;
    accounts
        .iter()
        .filter_map(|a| a.get("iam_users").and_then(Value::as_array))
        .flatten()
        .find(|u| {
            u.get("access_keys").and_then(Value::as_array).is_some_and(|ks| {
                ks.iter().any(|k| {
                    k.get("access_key_id").and_then(Value::as_str).is_some_and(|id| id.eq_ignore_ascii_case(key))
                })
            })
        })
        .and_then(|u| u.get("name").and_then(Value::as_str))
        .map(str::to_string)
}

/// The template context for a case: `case`, `incident` (the first), `entity` (one entity of
/// each kind: `idp_user` (also `user`), `cloud_principal` with its IAM user name `iam_user`,
/// `access_key` (also `key`) with the IAM user owning it `access_key_user`, `host`, `ip`,
/// `bucket`, each null when the case holds none), `verdict`, `risk`, `severity`; and whether
/// any entity is critical. Kinds come from the inventory where it knows the entity, else from
/// the entity's shape (see [`crate::target`]), so `entity.user` is never an AWS ARN.
pub fn context_for_case(store: &dyn StateStore, case_id: &str) -> Result<(Value, bool)> {
    let case = load_case(store, case_id)?;
    let incident: Option<Incident> = match case.incidents.first() {
        Some(id) => store.document(vigil_queue::INCIDENT, id)?.and_then(|d| serde_json::from_str(&d.json).ok()),
        None => None,
    };
    let inventory = vigil_queue::load(store).map(|c| c.inventory).ok();
    let resolved = target::resolve_all(&case.entities, inventory.as_ref());
    let first = |k: TargetKind| resolved.iter().find(|r| r.kind == k).map(|r| r.value.clone());
    let idp_user = first(TargetKind::IdpUser);
    // An IAM user (whose keys and policies can be changed) before an account root or a role.
    let principal = resolved
        .iter()
        .filter(|r| r.kind == TargetKind::CloudPrincipal)
        .max_by_key(|r| (target::iam_user_name(&r.value).is_some(), r.value.starts_with("arn:")))
        .map(|r| r.value.clone());
    let iam_user = principal.as_deref().and_then(target::iam_user_name);
    let key = first(TargetKind::AccessKey);
    let raw_inventory = vigil_queue::inventory_json(store).ok().flatten();
    let key_user = key.as_deref().and_then(|k| key_owner(raw_inventory.as_ref(), k));
    let critical = inventory.as_ref().is_some_and(|inv| {
        case.entities.iter().any(|e| {
            let name = e.split_once(':').map(|(_, v)| v).unwrap_or(e);
            inv.lookup(name).is_some_and(|info| !info.criticality.is_empty())
        })
    });
    let verdict =
        incident.as_ref().map(|i| i.verdict.verdict.as_str().to_string()).unwrap_or_else(|| case.verdict.clone());
    let ctx = json!({
        "case": {"id": case.id, "title": case.title, "severity": case.severity.as_str(), "owner": case.owner, "team": case.team, "summary": case.summary},
        "incident": incident.as_ref().map(|i| json!({"id": i.id, "title": i.title, "tactics": i.tactics, "techniques": i.techniques, "entities": i.entities})).unwrap_or(Value::Null),
        "entity": {
            "user": idp_user, "idp_user": idp_user,
            "cloud_principal": principal, "iam_user": iam_user,
            "key": key, "access_key": key, "access_key_user": key_user,
            "host": first(TargetKind::Host), "ip": first(TargetKind::Ip), "bucket": first(TargetKind::Bucket),
        },
        "verdict": verdict,
        "risk": incident.as_ref().map(|i| i.risk.score).unwrap_or(case.risk),
        "severity": case.severity.as_str(),
    });
    Ok((ctx, critical))
}

/// Refuses a run or dry run of a playbook on a case holding no entity of a kind it acts on.
fn check_targets(store: &dyn StateStore, pb: &Playbook, case_id: &str) -> Result<()> {
    let kinds = pb.target_kinds();
    if kinds.is_empty() {
        return Ok(());
    }
    let resolved = resolved_entities(store, case_id)?;
    if resolved.iter().any(|r| kinds.contains(&r.kind)) {
        return Ok(());
    }
    let case = load_case(store, case_id)?;
    let held: Vec<String> = case
        .entities
        .iter()
        .filter(|e| !e.starts_with("ip:"))
        .map(|e| match resolved.iter().find(|r| &r.entity == e) {
            Some(r) => format!("{e} is a {}", r.kind.as_str()),
            None => format!("{e} is of no kind Vigil can act on"),
        })
        .collect();
    Err(RespondError::Invalid(format!(
        "playbook {} acts on {}; case {case_id} holds none{}",
        pb.id,
        kinds.iter().map(|k| format!("{} ({})", k.as_str(), k.describe())).collect::<Vec<_>>().join(" or "),
        if held.is_empty() { String::new() } else { format!(" ({})", held.join("; ")) }
    )))
}

/// Whether a step waits for a person.
pub fn needs_approval(pb: &Playbook, step: &Step, class: ActionClass, critical: bool) -> bool {
    let critical_rule = critical && pb.approval.critical_assets == "required";
    match step.approval.as_deref() {
        Some("required") => true,
        _ => match class {
            ActionClass::Read | ActionClass::Notify => false,
            ActionClass::Contain if step.approval.as_deref() == Some("none") => critical_rule,
            ActionClass::Contain => pb.approval.contain == "required" || critical_rule,
            ActionClass::Destructive => pb.approval.destructive == "required" || critical_rule,
        },
    }
}

/// Starts a run of a playbook on a case (persisted, audited); call [`advance`] to execute it.
pub fn start(store: &mut dyn StateStore, pb: &Playbook, case_id: &str, requested_by: &str, now: i64) -> Result<Run> {
    start_as(store, pb, case_id, &Actor::named(requested_by), now)
}

/// [`start`], for a requester known by credential as well as name.
pub fn start_as(store: &mut dyn StateStore, pb: &Playbook, case_id: &str, requester: &Actor, now: i64) -> Result<Run> {
    let requested_by = requester.name.as_str();
    if !pb.enabled {
        return Err(RespondError::Invalid(format!("playbook {} is disabled", pb.id)));
    }
    check_targets(store, pb, case_id)?;
    let (ctx, critical) = context_for_case(store, case_id)?;
    let n = store.documents(RUN)?.len();
    let id = format!("RUN-{}", &sha(&format!("{}\n{case_id}\n{now}\n{n}", pb.id))[..12]);
    let mut inputs = serde_json::Map::new();
    let mut problems = Vec::new();
    for (k, v) in &pb.inputs {
        match template::render(v, &ctx) {
            Ok(x) => {
                inputs.insert(k.clone(), x);
            }
            Err(e) => problems.push(format!("input {k}: {e}")),
        }
    }
    let registry = vigil_connectors::registry();
    let steps = pb
        .steps
        .iter()
        .map(|s| StepRun {
            id: s.id.clone(),
            action: s.action.clone(),
            class: registry.get(s.action.as_str()).map(|a| a.class()).unwrap_or(ActionClass::Destructive),
            status: StepStatus::Pending,
            attempts: 0,
            idempotency_key: sha(&format!("{id}:{}", s.id))[..32].to_string(),
            inputs: None,
            approval: None,
            automated: false,
            outcome: None,
            error: None,
            started_ms: None,
            finished_ms: None,
            rollback: None,
        })
        .collect();
    let mut run = Run {
        id,
        playbook: pb.clone(),
        playbook_sha256: pb.sha256.clone(),
        case_id: case_id.into(),
        requested_by: requested_by.into(),
        status: RunStatus::Running,
        context: ctx,
        critical,
        inputs: Value::Object(inputs),
        steps,
        created_ms: now,
        updated_ms: now,
        note: None,
        requester: Some(requester.clone()),
    };
    let mut entries = vec![audit(
        now,
        requested_by,
        "playbook.run",
        case_id,
        "ok",
        json!({"run": run.id, "playbook": pb.id, "version": pb.version, "sha256": pb.sha256}),
    )];
    if !problems.is_empty() {
        run.status = RunStatus::Failed;
        run.note = Some(problems.join("; "));
        entries.push(audit(
            now,
            requested_by,
            "playbook.run.failed",
            case_id,
            "failed",
            json!({"run": run.id, "why": run.note}),
        ));
    }
    save(store, &run, &entries)?;
    Ok(run)
}

fn step_context(run: &Run) -> Value {
    let mut ctx = run.context.clone();
    let mut steps = serde_json::Map::new();
    for s in &run.steps {
        steps.insert(
            s.id.clone(),
            json!({"status": s.status, "output": s.outcome.as_ref().map(|o| o.output.clone()).unwrap_or(Value::Null)}),
        );
    }
    if let Value::Object(m) = &mut ctx {
        m.insert("inputs".into(), run.inputs.clone());
        m.insert("steps".into(), Value::Object(steps));
        m.insert("playbook".into(), json!({"id": run.playbook.id, "name": run.playbook.name, "run": run.id}));
    }
    ctx
}

fn call(
    action: &dyn vigil_connectors::Action,
    inputs: &Value,
    key: &str,
    timeout_s: u64,
    env: &Env<'_>,
) -> std::result::Result<ActionOutcome, vigil_connectors::ConnectorError> {
    let transport = HttpTransport::new(Duration::from_secs(timeout_s));
    let ctx = ActionContext {
        config: env.config,
        secrets: env.secrets,
        transport: &transport as &dyn Transport,
        idempotency_key: key,
    };
    action.execute(inputs, &ctx)
}

/// Executes the run's next steps until it finishes, fails or waits for a person. Safe to call
/// again at any time (after a crash, an approval, a denial): completed steps are never
/// repeated; a step found `running` (the process died during its call) is sent again with the
/// same idempotency key.
pub fn advance(store: &mut dyn StateStore, run_id: &str, env: &Env<'_>) -> Result<Run> {
    let mut run = load_run(store, run_id)?;
    if matches!(run.status, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Aborted) {
        return Ok(run);
    }
    let registry = vigil_connectors::registry();
    let now = env.now_ms;
    let mut i = 0;
    while i < run.steps.len() {
        if run.steps[i].status.done() {
            i += 1;
            continue;
        }
        let step = run.playbook.steps[i].clone();
        let who = run.requested_by.clone();
        let Some(action) = registry.get(step.action.as_str()) else {
            return Err(RespondError::Invalid(format!("action {} is not available", step.action)));
        };
        let ctx = step_context(&run);
        if run.steps[i].status == StepStatus::Pending {
            if let Some(w) = &step.when {
                let holds = template::condition(w, &ctx).map_err(RespondError::Invalid)?;
                if !holds {
                    run.steps[i].status = StepStatus::Skipped;
                    run.steps[i].finished_ms = Some(now);
                    run.updated_ms = now;
                    let e = audit(
                        now,
                        &who,
                        "playbook.step.skipped",
                        &run.case_id,
                        "ok",
                        json!({"run": run.id, "step": step.id, "when": w}),
                    );
                    save(store, &run, &[e])?;
                    i += 1;
                    continue;
                }
            }
            let inputs = match template::render(&step.with, &ctx) {
                Ok(v) => v,
                Err(e) => {
                    fail_step(store, &mut run, i, &format!("inputs: {e}"), now)?;
                    match next_after_failure(&run, i) {
                        Some(n) => {
                            i = n;
                            continue;
                        }
                        None => return Ok(run),
                    }
                }
            };
            run.steps[i].inputs = Some(inputs.clone());
            if needs_approval(&run.playbook, &step, action.class(), run.critical) {
                let a = request_approval(&run, i, "step", &step.action, action.class(), inputs, now);
                run.steps[i].status = StepStatus::WaitingApproval;
                run.steps[i].approval = Some(a.id.clone());
                run.status = RunStatus::WaitingApproval;
                run.updated_ms = now;
                let e = audit(
                    now,
                    &who,
                    "playbook.approval.request",
                    &run.case_id,
                    "pending",
                    json!({"run": run.id, "step": step.id, "action": step.action, "class": action.class().as_str(), "approval": a.id, "expires_ms": a.expires_ms}),
                );
                save_approval(store, &a, now, &[])?;
                save(store, &run, &[e])?;
                return Ok(run);
            }
            run.steps[i].automated = true;
        }
        if run.steps[i].status == StepStatus::WaitingApproval {
            let aid = run.steps[i].approval.clone().unwrap_or_default();
            let mut a = load_approval(store, &aid)?;
            if a.status == ApprovalStatus::Pending && now >= a.expires_ms {
                expire_one(store, &mut a, now)?;
            }
            match a.status {
                ApprovalStatus::Pending => {
                    run.status = RunStatus::WaitingApproval;
                    return Ok(run);
                }
                ApprovalStatus::Denied | ApprovalStatus::Expired => {
                    run.steps[i].status =
                        if a.status == ApprovalStatus::Denied { StepStatus::Denied } else { StepStatus::Expired };
                    run.steps[i].finished_ms = Some(now);
                    run.steps[i].error = Some(format!(
                        "{} by {}",
                        if a.status == ApprovalStatus::Denied { "denied" } else { "expired" },
                        a.decided_by.clone().unwrap_or_else(|| "the clock".into())
                    ));
                    run.status = RunStatus::Aborted;
                    run.note = Some(format!("step {} was not approved", step.id));
                    run.updated_ms = now;
                    let e = audit(
                        now,
                        &who,
                        "playbook.run.aborted",
                        &run.case_id,
                        "aborted",
                        json!({"run": run.id, "step": step.id, "approval": a.id}),
                    );
                    save(store, &run, &[e])?;
                    return Ok(run);
                }
                ApprovalStatus::Approved => {
                    if let Some(edited) = &a.edited_inputs {
                        run.steps[i].inputs = Some(edited.clone());
                    }
                    run.steps[i].automated = false;
                }
            }
        }
        // Mark it running and persist before the call: a crash from here on resumes by sending
        // the same call with the same idempotency key.
        run.steps[i].status = StepStatus::Running;
        run.steps[i].started_ms.get_or_insert(now);
        run.status = RunStatus::Running;
        run.updated_ms = now;
        save(store, &run, &[])?;
        let inputs = run.steps[i].inputs.clone().unwrap_or(Value::Null);
        let key = run.steps[i].idempotency_key.clone();
        let mut last_err = None;
        let mut outcome = None;
        for attempt in 0..=step.retries {
            run.steps[i].attempts += 1;
            match call(action.as_ref(), &inputs, &key, step.timeout_s, env) {
                Ok(o) => {
                    outcome = Some(o);
                    break;
                }
                Err(e) => {
                    let retry = e.retryable() && attempt < step.retries;
                    last_err = Some(e.to_string());
                    if !retry {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(200 * u64::from(attempt + 1)));
                }
            }
        }
        match outcome {
            Some(o) => {
                let s = &mut run.steps[i];
                s.status = StepStatus::Succeeded;
                s.finished_ms = Some(now);
                s.error = None;
                let detail = json!({"run": run.id, "step": s.id, "action": s.action, "class": s.class.as_str(), "automated": s.automated, "idempotency_key": s.idempotency_key, "already_done": o.already_done, "calls": o.calls, "prior_state": o.prior_state});
                s.outcome = Some(o);
                run.updated_ms = now;
                let e = audit(now, &who, "playbook.step", &run.case_id, "ok", detail);
                save(store, &run, &[e])?;
                i += 1;
            }
            None => {
                fail_step(store, &mut run, i, last_err.as_deref().unwrap_or("failed"), now)?;
                match next_after_failure(&run, i) {
                    Some(n) => i = n,
                    None => return Ok(run),
                }
            }
        }
    }
    run.status =
        if run.steps.iter().any(|s| s.status == StepStatus::Failed) { RunStatus::Failed } else { RunStatus::Succeeded };
    run.updated_ms = now;
    let result = if run.status == RunStatus::Succeeded { "ok" } else { "failed" };
    let e = audit(
        now,
        &run.requested_by,
        "playbook.run.finished",
        &run.case_id,
        result,
        json!({"run": run.id, "status": run.status}),
    );
    save(store, &run, &[e])?;
    Ok(run)
}

fn fail_step(store: &mut dyn StateStore, run: &mut Run, i: usize, why: &str, now: i64) -> Result<()> {
    let s = &mut run.steps[i];
    s.status = StepStatus::Failed;
    s.finished_ms = Some(now);
    s.error = Some(why.to_string());
    let policy = run.playbook.steps[i].on_failure.clone();
    if policy == "abort" {
        run.status = RunStatus::Failed;
        run.note = Some(format!("step {} failed: {why}", s.id));
    }
    run.updated_ms = now;
    let e = audit(
        now,
        &run.requested_by,
        "playbook.step",
        &run.case_id,
        "failed",
        json!({"run": run.id, "step": s.id, "action": s.action, "error": why, "on_failure": policy}),
    );
    save(store, run, &[e])
}

/// Where a run goes after step `i` failed: `None` to stop (abort), else the next index.
fn next_after_failure(run: &Run, i: usize) -> Option<usize> {
    match run.playbook.steps[i].on_failure.as_str() {
        "abort" => None,
        "continue" => Some(i + 1),
        target => {
            let j = run.playbook.steps.iter().position(|s| s.id == target)?;
            // Steps jumped over are skipped, so the run can finish.
            Some(j)
        }
    }
}

fn request_approval(
    run: &Run,
    i: usize,
    purpose: &str,
    action: &str,
    class: ActionClass,
    inputs: Value,
    now: i64,
) -> Approval {
    let step = &run.steps[i];
    let id = format!("APR-{}", &sha(&format!("{}:{}:{purpose}:{now}", run.id, step.id))[..12]);
    let (target, verdict, risk, description, rollback) = readable(run, action);
    Approval {
        target,
        verdict,
        risk,
        description,
        rollback,
        id,
        run_id: run.id.clone(),
        case_id: run.case_id.clone(),
        playbook_id: run.playbook.id.clone(),
        step_id: step.id.clone(),
        purpose: purpose.into(),
        action: action.into(),
        class,
        requested_by: run.requested_by.clone(),
        requested_ms: now,
        expires_ms: now + run.playbook.approval.expires_hours as i64 * 3_600_000,
        status: ApprovalStatus::Pending,
        inputs,
        edited_inputs: None,
        decided_by: None,
        decided_ms: None,
        note: None,
        requester: run.requester.clone(),
        decided_via: None,
    }
}

fn expire_one(store: &mut dyn StateStore, a: &mut Approval, now: i64) -> Result<()> {
    a.status = ApprovalStatus::Expired;
    a.decided_ms = Some(now);
    let e = audit(
        now,
        "vigil:clock",
        "playbook.approval.expire",
        &a.case_id,
        "expired",
        json!({"approval": a.id, "run": a.run_id, "step": a.step_id, "requested_ms": a.requested_ms, "expires_ms": a.expires_ms}),
    );
    save_approval(store, a, now, &[e])
}

/// Expires every pending approval past its time (and aborts what waited on it).
pub fn expire(store: &mut dyn StateStore, env: &Env<'_>) -> Result<Vec<Approval>> {
    let mut out = Vec::new();
    for mut a in approvals(store)? {
        if a.status == ApprovalStatus::Pending && env.now_ms >= a.expires_ms {
            expire_one(store, &mut a, env.now_ms)?;
            out.push(a.clone());
            if a.purpose == "step" {
                advance(store, &a.run_id, env)?;
            } else {
                finish_rollback_decision(store, &a, env)?;
            }
        }
    }
    Ok(out)
}

/// A person approves: never the requester, never after expiry. The approver may edit the
/// inputs; the original and the edit are both kept.
pub fn approve(
    store: &mut dyn StateStore,
    approval_id: &str,
    approver: &str,
    note: &str,
    edited: Option<Value>,
    env: &Env<'_>,
) -> Result<Approval> {
    decide(store, approval_id, &Actor::named(approver), note, edited, true, env)
}

pub fn deny(
    store: &mut dyn StateStore,
    approval_id: &str,
    approver: &str,
    note: &str,
    env: &Env<'_>,
) -> Result<Approval> {
    decide(store, approval_id, &Actor::named(approver), note, None, false, env)
}

/// Approves (`yes`) or denies as an authenticated person: refused when the decider is the
/// requester by name, by credential, or through a credential either controls. The decision
/// records the credential that made it.
pub fn decide_as(
    store: &mut dyn StateStore,
    approval_id: &str,
    approver: &Actor,
    note: &str,
    edited: Option<Value>,
    yes: bool,
    env: &Env<'_>,
) -> Result<Approval> {
    decide(store, approval_id, approver, note, edited, yes, env)
}

fn decide(
    store: &mut dyn StateStore,
    approval_id: &str,
    decider: &Actor,
    note: &str,
    edited: Option<Value>,
    yes: bool,
    env: &Env<'_>,
) -> Result<Approval> {
    let now = env.now_ms;
    let approver = decider.name.as_str();
    let mut a = load_approval(store, approval_id)?;
    let verb = if yes { "playbook.approval.approve" } else { "playbook.approval.deny" };
    let refuse = |store: &mut dyn StateStore, why: String| -> Result<Approval> {
        store.append_audit(&[audit(
            now,
            approver,
            verb,
            &a.case_id,
            "denied",
            json!({"approval": a.id, "why": why}),
        )])?;
        Err(RespondError::Refused(why))
    };
    if approver == a.requested_by {
        return refuse(store, format!("{approver} requested {} and cannot decide it", a.id));
    }
    let requester = match (&a.requester, load_run(store, &a.run_id)) {
        (Some(r), _) => Some(r.clone()),
        (None, Ok(run)) if a.purpose == "step" => run.requester,
        _ => None,
    };
    if let Some(why) = requester.as_ref().and_then(|r| decider.same_person_as(r)) {
        return refuse(store, format!("four eyes: {why}; {} needs another person's decision", a.id));
    }
    if approver.starts_with("vigil:") {
        return refuse(store, "only a person can approve or deny".into());
    }
    if a.status == ApprovalStatus::Pending && now >= a.expires_ms {
        expire_one(store, &mut a, now)?;
        if a.purpose == "step" {
            advance(store, &a.run_id, env)?;
        } else {
            finish_rollback_decision(store, &a, env)?;
        }
        return Err(RespondError::Refused(format!(
            "{} expired at {} and can no longer be decided",
            a.id, a.expires_ms
        )));
    }
    if a.status != ApprovalStatus::Pending {
        return refuse(store, format!("{} is already {:?}", a.id, a.status).to_lowercase());
    }
    if let Some(e) = &edited
        && !e.is_object()
    {
        return Err(RespondError::Invalid("edited inputs must be a JSON object".into()));
    }
    a.status = if yes { ApprovalStatus::Approved } else { ApprovalStatus::Denied };
    a.decided_by = Some(approver.into());
    a.decided_via = decider.credential.clone();
    a.decided_ms = Some(now);
    a.note = Some(note.into());
    a.edited_inputs = edited.clone();
    let e = audit(
        now,
        approver,
        verb,
        &a.case_id,
        "ok",
        json!({"approval": a.id, "run": a.run_id, "step": a.step_id, "purpose": a.purpose, "action": a.action, "note": note, "inputs": a.inputs, "edited_inputs": edited, "via": a.decided_via}),
    );
    save_approval(store, &a, now, &[e])?;
    if a.purpose == "step" {
        advance(store, &a.run_id, env)?;
    } else {
        finish_rollback_decision(store, &a, env)?;
    }
    Ok(a)
}

/// Undoes a run's state-changing steps (or one), newest first, with each action's declared
/// inverse and the prior state it recorded. Contain and destructive inverses wait for approval
/// like the steps did; steps without an inverse are named, not skipped silently.
pub fn rollback(
    store: &mut dyn StateStore,
    run_id: &str,
    step: Option<&str>,
    requested_by: &str,
    env: &Env<'_>,
) -> Result<Run> {
    let mut run = load_run(store, run_id)?;
    let now = env.now_ms;
    let registry = vigil_connectors::registry();
    let targets: Vec<usize> = (0..run.steps.len())
        .rev()
        .filter(|&i| step.is_none_or(|s| run.steps[i].id == s))
        .filter(|&i| {
            run.steps[i].status == StepStatus::Succeeded
                && run.steps[i].rollback.as_ref().is_none_or(|r| r.status == "failed")
        })
        .filter(|&i| !matches!(run.steps[i].class, ActionClass::Read | ActionClass::Notify))
        .collect();
    if let Some(s) = step
        && targets.is_empty()
    {
        return Err(RespondError::Invalid(format!(
            "step {s} of {run_id} has nothing to roll back (not run, already undone, or it changes nothing)"
        )));
    }
    let mut entries = Vec::new();
    for i in targets {
        let action = registry
            .get(run.steps[i].action.as_str())
            .ok_or_else(|| RespondError::Invalid(format!("action {} is not available", run.steps[i].action)))?;
        let Some(inverse_name) = action.inverse() else {
            entries.push(audit(now, requested_by, "playbook.rollback", &run.case_id, "irreversible", json!({"run": run.id, "step": run.steps[i].id, "action": run.steps[i].action, "why": "the action declares no inverse"})));
            continue;
        };
        let inverse = registry
            .get(inverse_name)
            .ok_or_else(|| RespondError::Invalid(format!("inverse {inverse_name} is not available")))?;
        let inputs = action.inverse_inputs(
            run.steps[i].inputs.as_ref().unwrap_or(&Value::Null),
            run.steps[i].outcome.as_ref().and_then(|o| o.prior_state.as_ref()),
        );
        let mut record = RollbackRecord {
            action: inverse_name.into(),
            inputs: inputs.clone(),
            status: "pending".into(),
            requested_by: requested_by.into(),
            approval: None,
            outcome: None,
            error: None,
            at_ms: now,
        };
        let pb_step = run.playbook.steps[i].clone();
        if needs_approval(&run.playbook, &pb_step, inverse.class().max(ActionClass::Contain), run.critical) {
            let mut a = request_approval(&run, i, "rollback", inverse_name, inverse.class(), inputs, now);
            a.requested_by = requested_by.into();
            a.requester = Some(Actor::named(requested_by));
            record.status = "waiting_approval".into();
            record.approval = Some(a.id.clone());
            entries.push(audit(now, requested_by, "playbook.approval.request", &run.case_id, "pending", json!({"run": run.id, "step": run.steps[i].id, "purpose": "rollback", "action": inverse_name, "approval": a.id})));
            save_approval(store, &a, now, &[])?;
            run.steps[i].rollback = Some(record);
            continue;
        }
        execute_rollback(&mut run, i, &mut record, inverse.as_ref(), env, requested_by, &mut entries);
        run.steps[i].rollback = Some(record);
    }
    run.updated_ms = now;
    save(store, &run, &entries)?;
    Ok(run)
}

fn execute_rollback(
    run: &mut Run,
    i: usize,
    record: &mut RollbackRecord,
    inverse: &dyn vigil_connectors::Action,
    env: &Env<'_>,
    actor: &str,
    entries: &mut Vec<AuditEntry>,
) {
    let key = sha(&format!("{}:rollback:{}", run.id, run.steps[i].id))[..32].to_string();
    let timeout = run.playbook.steps[i].timeout_s;
    match call(inverse, &record.inputs, &key, timeout, env) {
        Ok(o) => {
            record.status = "succeeded".into();
            entries.push(audit(env.now_ms, actor, "playbook.rollback", &run.case_id, "ok", json!({"run": run.id, "step": run.steps[i].id, "action": record.action, "inputs": record.inputs, "restored": run.steps[i].outcome.as_ref().and_then(|x| x.prior_state.clone()), "calls": o.calls})));
            record.outcome = Some(o);
        }
        Err(e) => {
            record.status = "failed".into();
            record.error = Some(e.to_string());
            entries.push(audit(
                env.now_ms,
                actor,
                "playbook.rollback",
                &run.case_id,
                "failed",
                json!({"run": run.id, "step": run.steps[i].id, "action": record.action, "error": e.to_string()}),
            ));
        }
    }
    record.at_ms = env.now_ms;
}

fn finish_rollback_decision(store: &mut dyn StateStore, a: &Approval, env: &Env<'_>) -> Result<()> {
    let mut run = load_run(store, &a.run_id)?;
    let Some(i) = run.steps.iter().position(|s| s.id == a.step_id) else { return Ok(()) };
    let Some(mut record) = run.steps[i].rollback.clone() else { return Ok(()) };
    if record.status != "waiting_approval" {
        return Ok(());
    }
    let mut entries = Vec::new();
    match a.status {
        ApprovalStatus::Approved => {
            if let Some(e) = &a.edited_inputs {
                record.inputs = e.clone();
            }
            let registry = vigil_connectors::registry();
            let inverse = registry
                .get(record.action.as_str())
                .ok_or_else(|| RespondError::Invalid(format!("inverse {} is not available", record.action)))?;
            let actor = a.decided_by.clone().unwrap_or_default();
            execute_rollback(&mut run, i, &mut record, inverse.as_ref(), env, &actor, &mut entries);
        }
        ApprovalStatus::Denied => record.status = "denied".into(),
        ApprovalStatus::Expired => record.status = "expired".into(),
        ApprovalStatus::Pending => return Ok(()),
    }
    run.steps[i].rollback = Some(record);
    run.updated_ms = env.now_ms;
    save(store, &run, &entries)
}

/// What a step would do, without doing it.
#[derive(Debug, Clone, Serialize)]
pub struct DryRunStep {
    pub step: String,
    pub action: String,
    pub class: ActionClass,
    pub would_wait_for_approval: bool,
    /// Why it would not run (`when` false), if so.
    pub skipped: Option<String>,
    pub inputs: Value,
    /// The exact calls, secrets masked.
    pub calls: Vec<HttpRequest>,
    pub problem: Option<String>,
}

/// The calls each step would make on this case, secrets masked. Steps whose inputs depend on
/// an earlier step's output show the reference unresolved. Nothing is sent; the dry run is
/// audited.
pub fn dry_run(
    store: &mut dyn StateStore,
    pb: &Playbook,
    case_id: &str,
    actor: &str,
    env: &Env<'_>,
) -> Result<Vec<DryRunStep>> {
    check_targets(store, pb, case_id)?;
    let (ctx, critical) = context_for_case(store, case_id)?;
    let mut inputs = serde_json::Map::new();
    for (k, v) in &pb.inputs {
        inputs.insert(
            k.clone(),
            template::render(v, &ctx).map_err(|e| RespondError::Invalid(format!("input {k}: {e}")))?,
        );
    }
    let mut full = ctx.clone();
    if let Value::Object(m) = &mut full {
        m.insert("inputs".into(), Value::Object(inputs));
        m.insert("steps".into(), json!({}));
        m.insert("playbook".into(), json!({"id": pb.id, "name": pb.name, "run": "(dry run)"}));
    }
    let registry = vigil_connectors::registry();
    let mut out = Vec::new();
    for s in &pb.steps {
        let Some(action) = registry.get(s.action.as_str()) else { continue };
        let skipped = match &s.when {
            Some(w) => match template::condition(w, &full) {
                Ok(true) => None,
                Ok(false) => Some(format!("`{w}` does not hold")),
                Err(e) => Some(e),
            },
            None => None,
        };
        let (inputs, problem) = match template::render(&s.with, &full) {
            Ok(v) => (v, None),
            Err(e) => (s.with.clone(), Some(format!("inputs resolved at run time: {e}"))),
        };
        let (calls, problem) = if problem.is_none() {
            match action.plan(&inputs, env.config, env.secrets) {
                Ok(c) => (c.iter().map(|r| vigil_connectors::mask(r, env.secrets)).collect(), None),
                Err(e) => (vec![], Some(e.to_string())),
            }
        } else {
            (vec![], problem)
        };
        out.push(DryRunStep {
            step: s.id.clone(),
            action: s.action.clone(),
            class: action.class(),
            would_wait_for_approval: needs_approval(pb, s, action.class(), critical),
            skipped,
            inputs,
            calls,
            problem,
        });
    }
    store.append_audit(&[audit(
        env.now_ms,
        actor,
        "playbook.dry_run",
        case_id,
        "ok",
        json!({"playbook": pb.id, "steps": out.len()}),
    )])?;
    Ok(out)
}

/// Steps run without a person / all steps run (succeeded or failed), from stored runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AutomationRate {
    pub automated_steps: u64,
    pub human_steps: u64,
    pub total_steps: u64,
    pub rate: Option<f64>,
}

pub fn automation_rate(runs: &[Run]) -> AutomationRate {
    let mut r = AutomationRate::default();
    for s in runs.iter().flat_map(|r| &r.steps) {
        if matches!(s.status, StepStatus::Succeeded | StepStatus::Failed) {
            r.total_steps += 1;
            if s.automated {
                r.automated_steps += 1;
            } else {
                r.human_steps += 1;
            }
        }
    }
    r.rate = (r.total_steps > 0).then(|| r.automated_steps as f64 / r.total_steps as f64);
    r
}

/// Does a playbook's trigger match this incident? Entity kinds from their shape only; see
/// [`matches_with`].
pub fn matches(pb: &Playbook, inc: &Incident) -> bool {
    matches_with(pb, inc, None)
}

/// Does a playbook's trigger match this incident, the incident holding an entity of a kind the
/// playbook acts on (resolved with the inventory where it knows the entity)?
pub fn matches_with(pb: &Playbook, inc: &Incident, inventory: Option<&vigil_triage::Inventory>) -> bool {
    let t = &pb.trigger;
    if t.on != "incident" || !pb.enabled || !inc.queued {
        return false;
    }
    let verdicts: Vec<&str> = if t.verdicts.is_empty() {
        vec!["malicious", "suspicious"]
    } else {
        t.verdicts.iter().map(String::as_str).collect()
    };
    if !verdicts.contains(&inc.verdict.verdict.as_str()) {
        return false;
    }
    if t.min_risk.is_some_and(|m| inc.risk.score < m) {
        return false;
    }
    if !t.tactics.is_empty() && !inc.tactics.iter().any(|x| t.tactics.contains(x)) {
        return false;
    }
    if !t.detections.is_empty() {
        let hit = inc.items.iter().any(|it| t.detections.iter().any(|d| d == &it.rule_id || d == &it.rule_title));
        if !hit {
            return false;
        }
    }
    let kinds = pb.target_kinds();
    kinds.is_empty() || target::resolve_all(&inc.entities, inventory).iter().any(|r| kinds.contains(&r.kind))
}

/// Starts (and advances) a run of every enabled, incident-triggered playbook on every queued
/// incident's case that matches it and has no run of it yet.
pub fn trigger(store: &mut dyn StateStore, playbooks: &[Playbook], env: &Env<'_>) -> Result<Vec<Run>> {
    let existing = runs(store)?;
    let cases = vigil_queue::cases(store)?;
    let inventory = vigil_queue::load(store).map(|c| c.inventory).ok();
    let mut out = Vec::new();
    for inc in vigil_queue::incidents(store)? {
        let Some(case) = cases.iter().find(|c| c.incidents.contains(&inc.id) && c.merged_into.is_none()) else {
            continue;
        };
        for pb in playbooks.iter().filter(|pb| matches_with(pb, &inc, inventory.as_ref())) {
            if existing.iter().chain(out.iter()).any(|r: &Run| r.playbook.id == pb.id && r.case_id == case.id) {
                continue;
            }
            let run = start(store, pb, &case.id, AUTOMATION, env.now_ms)?;
            let run = if run.status == RunStatus::Running { advance(store, &run.id, env)? } else { run };
            out.push(run);
        }
    }
    Ok(out)
}
