//! Response: the playbooks in force with the controls they evidence, runs (and dry runs),
//! approvals, rollbacks and the automation's triggers — one set of operations for the CLI, the
//! API, the web app and the assistant. `vigil-respond` keeps the rules (a person other than the
//! requester approves, never a machine; no step twice) and audits every step and decision.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;
use vigil_auth::Permission;
use vigil_respond::engine::{self, AutomationRate, DryRunStep, Env};
use vigil_respond::{Actor, Approval, ApprovalStatus, Playbook, Run};

use crate::{App, AppError, Caller, Result};

/// Where response comes from: playbook files beside the built-in pilot playbooks, connector
/// settings and secrets (read fresh at each use, so a secret is held no longer than a call).
#[derive(Debug, Clone, Default)]
pub struct ResponseConfig {
    pub playbooks: Vec<PathBuf>,
    pub connectors: Option<PathBuf>,
    pub secrets: Option<PathBuf>,
}

impl ResponseConfig {
    /// The playbooks in force; a file that does not load is an error naming it.
    pub fn playbooks(&self) -> Result<Vec<Playbook>> {
        vigil_respond::format::in_force(&self.playbooks)
            .map_err(|e| AppError::Internal(format!("playbook file rejected: {e}")))
    }

    /// The secrets (file and `VIGIL_SECRET_*`), read now.
    pub fn secrets(&self) -> Result<vigil_connectors::Secrets> {
        self.settings().map(|(_, s)| s)
    }

    fn settings(&self) -> Result<(Value, vigil_connectors::Secrets)> {
        vigil_connectors::load_settings(self.connectors.as_deref(), self.secrets.as_deref())
            .map_err(|e| AppError::Internal(format!("connector settings: {e}")))
    }
}

/// A playbook as every front end lists it: with every control it evidences — its own and those
/// the compliance catalog maps its use case to.
#[derive(Debug, Clone, Serialize)]
pub struct PlaybookView {
    pub id: String,
    pub name: String,
    pub version: u32,
    pub enabled: bool,
    pub trigger: vigil_respond::format::Trigger,
    pub approval: vigil_respond::format::ApprovalPolicy,
    pub steps: Vec<vigil_respond::format::Step>,
    /// The playbook's own controls and the catalog's for its use case, sorted, once each.
    pub controls: Vec<String>,
    pub mitigations: Vec<String>,
    pub use_case: Option<String>,
    pub file: String,
    pub sha256: String,
}

impl PlaybookView {
    fn of(p: Playbook, catalog: &vigil_compliance::Catalog) -> PlaybookView {
        PlaybookView {
            controls: controls_of(&p, catalog),
            id: p.id,
            name: p.name,
            version: p.version,
            enabled: p.enabled,
            trigger: p.trigger,
            approval: p.approval,
            steps: p.steps,
            mitigations: p.mitigations,
            use_case: p.use_case,
            file: p.file,
            sha256: p.sha256,
        }
    }
}

/// What starting a playbook gave: a run, or (dry run) the calls it would make.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Started {
    Run(Box<Run>),
    DryRun(Vec<DryRunStep>),
}

/// A person's decision on an approval request.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Approve, with edited inputs (recorded) if any.
    Approve {
        note: String,
        inputs: Option<Value>,
    },
    Deny {
        note: String,
    },
}

fn controls_of(p: &Playbook, catalog: &vigil_compliance::Catalog) -> Vec<String> {
    let mut controls = p.controls.clone();
    if let Some(u) = &p.use_case {
        controls.extend(catalog.controls_for_playbook(u).iter().map(|c| c.to_string()));
    }
    controls.sort();
    controls.dedup();
    controls
}

impl From<vigil_respond::RespondError> for AppError {
    fn from(e: vigil_respond::RespondError) -> AppError {
        use vigil_respond::RespondError as R;
        match e {
            R::NotFound(m) => AppError::NotFound(m),
            R::Invalid(m) => AppError::Invalid(m),
            R::Refused(m) => AppError::Refused(m),
            R::Queue(q) => AppError::Queue(q),
            R::Store(s) => AppError::Store(s),
            R::Format(f) => AppError::Invalid(f.to_string()),
        }
    }
}

impl App {
    /// The caller as authenticated, for the four-eyes rule: the name, the credential (a token's
    /// or a session's id) and everyone in control of it — for a token, its owner and whoever
    /// minted it; for the assistant, the person it answers for.
    pub fn actor(&self, caller: &Caller) -> Result<Actor> {
        let name = caller.name();
        let mut actor = Actor::named(&name);
        match caller {
            Caller::Person(p) => {
                actor.credential = p.via.credential();
                if let vigil_auth::Via::Token(id) = &p.via {
                    let mut store = self.store()?;
                    if let Some(t) = vigil_auth::Auth::new(&mut store).token(id)? {
                        for who in [t.owner, t.created_by] {
                            if !who.is_empty() && !actor.principals.contains(&who) {
                                actor.principals.push(who);
                            }
                        }
                    }
                }
            }
            Caller::Assistant { on_behalf } => {
                actor.credential = on_behalf.via.credential();
                actor.principals.push(on_behalf.username.clone());
            }
            Caller::Local { .. } | Caller::Automation { .. } => {}
        }
        Ok(actor)
    }

    /// Runs `f` with the connectors' environment and a store, under the case lock.
    fn with_env<T>(
        &self,
        cfg: &ResponseConfig,
        f: impl FnOnce(&mut dyn vigil_store::StateStore, &Env<'_>) -> Result<T>,
    ) -> Result<T> {
        let (config, secrets) = cfg.settings()?;
        let env = Env { config: &config, secrets: &secrets, now_ms: self.now_ms() };
        let _held = self.lock()?;
        let mut store = self.store()?;
        f(&mut store, &env)
    }

    /// The playbooks in force, with their controls.
    pub fn playbooks(&self, caller: &Caller, cfg: &ResponseConfig) -> Result<Vec<PlaybookView>> {
        caller.require(Permission::ViewQueue, "read playbooks")?;
        let catalog = vigil_compliance::Catalog::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(cfg.playbooks()?.into_iter().map(|p| PlaybookView::of(p, &catalog)).collect())
    }

    /// The playbooks in force whose trigger matches incident `id` (entity kinds resolved with the
    /// inventory): what a person could run on its case.
    pub fn playbooks_for(&self, caller: &Caller, cfg: &ResponseConfig, id: &str) -> Result<Vec<PlaybookView>> {
        caller.require(Permission::ViewQueue, "read playbooks")?;
        let store = self.store()?;
        let incident = vigil_queue::incident(&store, id)?;
        let inventory =
            vigil_queue::inventory_json(&store)?.and_then(|v| vigil_triage::Inventory::from_json(&v.to_string()).ok());
        let catalog = vigil_compliance::Catalog::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(cfg
            .playbooks()?
            .into_iter()
            .filter(|p| vigil_respond::engine::matches_with(p, &incident, inventory.as_ref()))
            .map(|p| PlaybookView::of(p, &catalog))
            .collect())
    }

    /// Starts playbook `playbook` on case `case` and runs it as far as it goes without a person
    /// (or, with `dry_run`, shows the exact calls it would make and sends nothing).
    pub fn run_playbook(
        &self,
        caller: &Caller,
        cfg: &ResponseConfig,
        case: &str,
        playbook: &str,
        dry_run: bool,
    ) -> Result<Started> {
        caller.require(Permission::Respond, "run a playbook")?;
        let pbs = cfg.playbooks()?;
        let pb = pbs
            .iter()
            .find(|p| p.id == playbook)
            .ok_or_else(|| AppError::NotFound(format!("no playbook {playbook:?}")))?;
        let who = self.actor(caller)?;
        self.with_env(cfg, |store, env| {
            if dry_run {
                return Ok(Started::DryRun(engine::dry_run(store, pb, case, &who.name, env)?));
            }
            let run = engine::start_as(store, pb, case, &who, env.now_ms)?;
            Ok(Started::Run(Box::new(engine::advance(store, &run.id, env)?)))
        })
    }

    /// Continues a run after a crash or a decision.
    pub fn resume_run(&self, caller: &Caller, cfg: &ResponseConfig, run: &str) -> Result<Run> {
        caller.require(Permission::Respond, "resume a run")?;
        self.with_env(cfg, |store, env| Ok(engine::advance(store, run, env)?))
    }

    /// Starts the playbooks whose triggers match queued incidents (the automation, after triage).
    pub fn trigger_playbooks(&self, caller: &Caller, cfg: &ResponseConfig) -> Result<Vec<Run>> {
        caller.require(Permission::Respond, "trigger playbooks")?;
        let pbs = cfg.playbooks()?;
        self.with_env(cfg, |store, env| Ok(engine::trigger(store, &pbs, env)?))
    }

    /// Rolls back a run's contained steps (or one step) through their inverses.
    pub fn rollback_run(&self, caller: &Caller, cfg: &ResponseConfig, run: &str, step: Option<&str>) -> Result<Run> {
        caller.require(Permission::Respond, "roll back a run")?;
        let who = caller.name();
        self.with_env(cfg, |store, env| Ok(engine::rollback(store, run, step, &who, env)?))
    }

    /// Approves or denies a request. Only a person holding the approve permission decides;
    /// `vigil-respond` refuses the requester — by name, by credential, or through a token one
    /// of them minted for the other — and any machine. The decision records its credential.
    pub fn decide(&self, caller: &Caller, cfg: &ResponseConfig, approval: &str, d: Decision) -> Result<Approval> {
        caller.require(Permission::Approve, "decide an approval")?;
        if caller.is_machine() {
            return Err(AppError::Refused("a machine identity never approves".into()));
        }
        let who = self.actor(caller)?;
        self.with_env(cfg, |store, env| {
            Ok(match d {
                Decision::Approve { note, inputs } => {
                    engine::decide_as(store, approval, &who, &note, inputs, true, env)?
                }
                Decision::Deny { note } => engine::decide_as(store, approval, &who, &note, None, false, env)?,
            })
        })
    }

    /// Expires approval requests past their time.
    pub fn expire_approvals(&self, caller: &Caller, cfg: &ResponseConfig) -> Result<Vec<Approval>> {
        caller.require(Permission::Respond, "expire approvals")?;
        self.with_env(cfg, |store, env| Ok(engine::expire(store, env)?))
    }

    /// Runs, newest first; of one case when named.
    pub fn runs(&self, caller: &Caller, case: Option<&str>) -> Result<Vec<Run>> {
        caller.require(Permission::ViewQueue, "read playbook runs")?;
        let mut runs = engine::runs(&self.store()?)?;
        runs.retain(|r| case.is_none_or(|c| r.case_id == c));
        runs.sort_by_key(|r| std::cmp::Reverse(r.created_ms));
        Ok(runs)
    }

    pub fn run(&self, caller: &Caller, id: &str) -> Result<Run> {
        caller.require(Permission::ViewQueue, "read playbook runs")?;
        Ok(engine::load_run(&self.store()?, id)?)
    }

    /// Approval requests, oldest first: pending and unexpired only, unless `all`.
    pub fn approvals(&self, caller: &Caller, all: bool) -> Result<Vec<Approval>> {
        caller.require(Permission::ViewQueue, "read approvals")?;
        let now = self.now_ms();
        let mut list = engine::approvals(&self.store()?)?;
        if !all {
            list.retain(|a| a.status == ApprovalStatus::Pending && a.expires_ms > now);
        }
        list.sort_by_key(|a| a.requested_ms);
        Ok(list)
    }

    pub fn approval(&self, caller: &Caller, id: &str) -> Result<Approval> {
        caller.require(Permission::ViewQueue, "read approvals")?;
        Ok(engine::load_approval(&self.store()?, id)?)
    }

    /// The share of steps that ran without a person.
    pub fn automation_rate(&self, caller: &Caller) -> Result<AutomationRate> {
        caller.require(Permission::ViewQueue, "read the automation rate")?;
        Ok(engine::automation_rate(&engine::runs(&self.store()?)?))
    }
}
