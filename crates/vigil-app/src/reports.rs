//! Summaries for the people who decide: the weekly scorecard (computed on demand, or published
//! into the vault) and the one-page executive brief (issued for a case, acknowledged by an
//! executive, which stops the decision clock).
//!
//! `vigil-report` gathers the facts, stores and audits; this layer checks who asks.

use std::collections::BTreeSet;

use vigil_auth::{Permission, Role};
use vigil_metrics::{Period, Scorecard};
use vigil_report::{BriefRecord, Published};

use crate::{App, AppError, Caller, Result};

impl From<vigil_report::ReportError> for AppError {
    fn from(e: vigil_report::ReportError) -> AppError {
        use vigil_report::ReportError as R;
        match e {
            R::NotFound(m) => AppError::NotFound(m),
            R::Invalid(m) => AppError::Invalid(m),
            R::Metrics(m) => AppError::Invalid(m.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl App {
    /// The ISO week `now` falls in.
    pub fn this_week(&self) -> Result<Period> {
        use chrono::Datelike;
        let w = chrono::DateTime::from_timestamp_millis(self.now_ms()).unwrap_or_default().iso_week();
        Period::iso_week(w.year(), w.week()).map_err(|e| AppError::Invalid(e.to_string()))
    }

    /// The scorecard of `period` with `weeks` of trend, computed now, stored nowhere.
    pub fn scorecard(&self, caller: &Caller, period: &Period, weeks: usize) -> Result<Scorecard> {
        caller.require(Permission::ViewSummaries, "read the scorecard")?;
        let store = self.store()?;
        let title = "Vigil weekly scorecard";
        Ok(vigil_report::scorecard(&store, self.dir().root(), period, weeks.min(52), title, self.now_ms(), None)?)
    }

    /// Publishes the scorecard of `period`: kept in the vault and audited.
    pub fn publish_scorecard(
        &self,
        caller: &Caller,
        period: &Period,
        weeks: usize,
        title: &str,
        labeled_events: Option<&BTreeSet<String>>,
    ) -> Result<Published> {
        caller.require(Permission::ViewSummaries, "scorecard.publish")?;
        let mut store = self.store()?;
        let (root, now) = (self.dir().root(), self.now_ms());
        Ok(vigil_report::publish_scorecard(
            &mut store,
            root,
            period,
            weeks,
            title,
            &caller.name(),
            now,
            labeled_events,
        )?)
    }

    /// Issues case `case`'s executive brief; the record and its printable page.
    pub fn issue_brief(&self, caller: &Caller, case: &str) -> Result<(BriefRecord, String)> {
        caller.require(Permission::WorkCases, "brief.issue")?;
        let mut store = self.store()?;
        Ok(vigil_report::issue_brief(&mut store, self.dir().root(), case, &caller.name(), self.now_ms())?)
    }

    /// Acknowledges a brief (once). The acknowledgement stops the executive decision clock, so
    /// only a signed-in person holding the executive role may make it, and never the person who
    /// issued the brief.
    pub fn acknowledge_brief(&self, caller: &Caller, id: &str) -> Result<BriefRecord> {
        caller.require(Permission::ViewSummaries, "brief.acknowledge")?;
        let mut store = self.store()?;
        let brief = vigil_report::load_brief(&store, id)?;
        let who = caller.name();
        let refusal = match caller {
            Caller::Person(p) if !p.has_role(Role::Executive) => {
                Some(format!("{who} does not hold the executive role; only an executive acknowledges a brief"))
            }
            Caller::Person(p) if p.username == brief.issued_by => {
                Some(format!("{who} issued {id} and cannot acknowledge it; another executive must"))
            }
            Caller::Person(_) => None,
            _ => Some(format!("{who} is not a signed-in executive; only an executive acknowledges a brief")),
        };
        if let Some(why) = refusal {
            let detail = serde_json::json!({"brief": id, "why": why}).to_string();
            let entry = vigil_store::AuditEntry::new(
                self.now_ms(),
                &who,
                "brief.acknowledge",
                &brief.case_id,
                "denied",
                &detail,
            );
            self.audit(&mut store, &entry)?;
            return Err(AppError::Refused(why));
        }
        Ok(vigil_report::acknowledge_brief(&mut store, id, &who, self.now_ms())?)
    }

    /// Briefs, newest first.
    pub fn briefs(&self, caller: &Caller) -> Result<Vec<BriefRecord>> {
        caller.require(Permission::ViewSummaries, "read briefs")?;
        let mut list = vigil_report::briefs(&self.store()?)?;
        list.sort_by_key(|b| std::cmp::Reverse(b.issued_ms));
        Ok(list)
    }

    pub fn brief(&self, caller: &Caller, id: &str) -> Result<BriefRecord> {
        caller.require(Permission::ViewSummaries, "read briefs")?;
        Ok(vigil_report::load_brief(&self.store()?, id)?)
    }
}
