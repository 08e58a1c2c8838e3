//! Reading the queue: alerts, and the auditor's scoped view of the cases an administrator
//! granted. Every auditor view is custody: on the audit log whether it was allowed or refused.

use vigil_auth::Permission;
use vigil_cases::Case;
use vigil_detect::Alert;
use vigil_queue as q;
use vigil_store::AuditEntry;

use crate::{App, AppError, Caller, Result};

/// Which stored alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    /// A rule's id or title.
    pub rule: Option<String>,
    /// A level name (`high`, …).
    pub level: Option<String>,
}

impl App {
    /// Stored alerts, oldest first, filtered.
    pub fn alerts(&self, caller: &Caller, f: &AlertFilter) -> Result<Vec<Alert>> {
        caller.require(Permission::ViewQueue, "read alerts")?;
        let mut all = q::stored_alerts(&self.store()?)?;
        if let Some(r) = &f.rule {
            all.retain(|a| a.rule.id == *r || a.rule.title == *r);
        }
        if let Some(l) = &f.level {
            all.retain(|a| a.rule.level.as_str() == l);
        }
        Ok(all)
    }

    pub fn alert(&self, caller: &Caller, id: &str) -> Result<Alert> {
        caller.require(Permission::ViewQueue, "read alerts")?;
        q::stored_alerts(&self.store()?)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| AppError::NotFound(format!("no alert {id}")))
    }

    /// The cases the caller may see now through the auditor portal (named by an active grant,
    /// opened within its period); the listing is recorded (`auditor.view`).
    pub fn granted_cases(&self, caller: &Caller) -> Result<Vec<Case>> {
        caller.require(Permission::AuditorPortal, "open the auditor portal")?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let list: Vec<Case> =
            q::cases(&store)?.into_iter().filter(|k| caller.can_see_case(&k.id, k.times.opened_ms, now)).collect();
        let entry = AuditEntry::new(
            now,
            &caller.name(),
            "auditor.view",
            "cases",
            "ok",
            &format!("{} cases listed", list.len()),
        );
        self.audit(&mut store, &entry)?;
        Ok(list)
    }

    /// One case through the auditor portal: refused unless granted; every view, allowed or
    /// refused, is custody (`custody.view`).
    pub fn auditor_case(&self, caller: &Caller, id: &str) -> Result<Case> {
        caller.require(Permission::AuditorPortal, "open the auditor portal")?;
        let mut store = self.store()?;
        let now = self.now_ms();
        let case = q::case(&store, id).ok().filter(|k| caller.can_see_case(&k.id, k.times.opened_ms, now));
        let result = if case.is_some() { "ok" } else { "denied" };
        self.audit(&mut store, &AuditEntry::new(now, &caller.name(), "custody.view", id, result, "auditor portal"))?;
        case.ok_or_else(|| AppError::NotGranted(format!("case {id} is not granted to you")))
    }
}
