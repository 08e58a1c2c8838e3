//! Tuning the queue: the triage model (trained from dispositions or labels, imported, shown,
//! evaluated) and suppressions, which take effect only with their preview on the audit log.

use serde::Serialize;
use vigil_auth::Permission;
use vigil_model::Label;
use vigil_queue as q;
use vigil_triage::{Impact, Suppression, TriageModel};

use crate::{App, AppError, Caller, Result};

/// A model's evaluation on every incident and on those after its training split.
#[derive(Debug, Clone, Serialize)]
pub struct ModelEvaluation {
    pub model: String,
    pub split_ms: i64,
    pub all: vigil_triage::model::Evaluation,
    pub held_out: vigil_triage::model::Evaluation,
}

/// What adding a suppression did, or (not confirmed) would do.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionOutcome {
    pub added: bool,
    pub suppression: Suppression,
    pub impact: Impact,
}

impl App {
    /// Trains a triage model from the people's dispositions (or `labels`), stores it and makes it
    /// the active one.
    pub fn train_model(
        &self,
        caller: &Caller,
        labels: Option<&[Label]>,
        train_fraction: f64,
        error_rate: f64,
    ) -> Result<TriageModel> {
        caller.require(Permission::ManageRules, "model.train")?;
        let _held = self.lock()?;
        let mut store = self.store()?;
        Ok(q::train(&mut store, labels, train_fraction, error_rate, &caller.name(), self.now_ms())?)
    }

    /// Imports a model trained elsewhere (checked against the features this build scores).
    pub fn import_model(&self, caller: &Caller, m: &TriageModel) -> Result<()> {
        caller.require(Permission::ManageRules, "model.import")?;
        let mut store = self.store()?;
        Ok(q::import_model(&mut store, m, &caller.name(), self.now_ms())?)
    }

    /// The model in force, if any.
    pub fn active_model(&self, caller: &Caller) -> Result<Option<TriageModel>> {
        caller.require(Permission::ViewRules, "read the triage model")?;
        Ok(q::active_model(&self.store()?)?)
    }

    /// The active model scored against `labels`: on every incident and after its split.
    pub fn evaluate_model(&self, caller: &Caller, labels: &[Label], error_rate: f64) -> Result<ModelEvaluation> {
        caller.require(Permission::ViewRules, "evaluate the triage model")?;
        let ctx = q::load(&self.store()?)?;
        let m = ctx.model.clone().ok_or_else(|| AppError::NotFound("no triage model: train one first".into()))?;
        let s = q::samples(&ctx, Some(labels), error_rate, self.now_ms());
        let all = m.evaluate(&s, 0.5);
        let held: Vec<_> = s.iter().filter(|x| x.time_ms >= m.split_ms).cloned().collect();
        let held_out = m.evaluate(&held, 0.5);
        Ok(ModelEvaluation { model: m.version.clone(), split_ms: m.split_ms, all, held_out })
    }

    /// What a suppression would hide from the queue now.
    pub fn preview_suppression(&self, caller: &Caller, s: &Suppression) -> Result<Impact> {
        caller.require(Permission::ViewQueue, "preview a suppression")?;
        let ctx = q::load(&self.store()?)?;
        Ok(vigil_triage::preview(&ctx.input(self.now_ms()), s))
    }

    /// Puts a suppression in force (`confirm`), its preview recorded with it, and re-runs triage;
    /// without `confirm`, only the preview.
    pub fn add_suppression(&self, caller: &Caller, s: Suppression, confirm: bool) -> Result<SuppressionOutcome> {
        caller.require(Permission::ManageRules, "suppression.add")?;
        if !confirm {
            let impact = self.preview_suppression(caller, &s)?;
            return Ok(SuppressionOutcome { added: false, suppression: s, impact });
        }
        let _held = self.lock()?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let impact = q::add_suppression(&mut store, &s, now)?;
        q::run(&mut store, now)?;
        Ok(SuppressionOutcome { added: true, suppression: s, impact })
    }

    /// Every suppression, in force or expired.
    pub fn suppressions(&self, caller: &Caller) -> Result<Vec<Suppression>> {
        caller.require(Permission::ViewQueue, "read suppressions")?;
        Ok(q::suppressions(&self.store()?)?)
    }
}
