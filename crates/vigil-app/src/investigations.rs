//! Investigation records kept with the queue: every queued incident gets one after triage (made
//! by the assistant, which sits above this layer, as [`crate::caller::INVESTIGATOR`] or as the
//! person who asked), and the record is read back by the incident page, the API, the CLI and the
//! incident packet. A record made for the incident's alerts as they were is stale once an alert
//! joins or leaves, and is made again.

use serde_json::Value;
use vigil_auth::Permission;
use vigil_queue as q;
use vigil_triage::Incident;

use crate::{App, AppError, Caller, Result};

pub use vigil_queue::StoredInvestigation;

/// A kept record and whether it still describes the incident as it stands.
#[derive(Debug, Clone)]
pub struct Kept {
    pub stored: StoredInvestigation,
    /// False once the incident's alerts changed since it was made.
    pub current: bool,
}

impl App {
    /// The queued incidents whose investigation is missing or stale, highest risk first.
    pub fn incidents_to_investigate(&self, caller: &Caller) -> Result<Vec<Incident>> {
        caller.require(Permission::ViewQueue, "read incidents")?;
        caller.require(Permission::Hunt, "investigate incidents")?;
        Ok(q::to_investigate(&self.store()?)?)
    }

    /// Keeps `record` (and its text) as incident `id`'s investigation, made now by `caller` for
    /// the incident as it stands; `investigation.store` on the audit log in the same
    /// transaction.
    pub fn keep_investigation(
        &self,
        caller: &Caller,
        id: &str,
        record: Value,
        text: String,
    ) -> Result<StoredInvestigation> {
        caller.require(Permission::WorkCases, "investigation.store")?;
        caller.require(Permission::Hunt, "investigation.store")?;
        if !record.is_object() {
            return Err(AppError::Invalid(format!("the investigation of {id} is not a record")));
        }
        let mut store = self.store()?;
        let inc = q::incident(&store, id)?;
        let kept = StoredInvestigation {
            incident: inc.id.clone(),
            fingerprint: q::investigation_fingerprint(&inc),
            made_ms: self.now_ms(),
            made_by: caller.name(),
            record,
            text,
        };
        q::put_investigation(&mut store, &kept)?;
        Ok(kept)
    }

    /// Incident `id`'s kept investigation, if one was made, and whether it is current. Reading
    /// one needs what making one needs: the queue and the lake (it holds the lake's events).
    pub fn kept_investigation(&self, caller: &Caller, id: &str) -> Result<Option<Kept>> {
        caller.require(Permission::ViewQueue, "read incidents")?;
        caller.require(Permission::Hunt, "read investigations")?;
        let store = self.store()?;
        let inc = q::incident(&store, id)?;
        Ok(q::investigation(&store, &inc.id)?.map(|stored| Kept { current: stored.describes(&inc), stored }))
    }
}
