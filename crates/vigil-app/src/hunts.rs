//! Hunting: read-only SQL over the lake, the built-in hunts everyone starts with, and the hunts
//! people save. Every query run is on the audit log (`hunt.query`), every save too (`hunt.save`).

use serde::{Deserialize, Serialize};
use vigil_auth::Permission;
use vigil_store::{AuditEntry, Document, StateStore};

use crate::{App, AppError, Caller, Result};

/// Store kind of saved hunts.
const HUNT: &str = "hunt";

/// How long one query of a hunt over weeks may run: those read months of the lake in the
/// background, where an interactive query gets [`vigil_query::QueryLimits`]'s default.
pub const JOB_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// Longest query accepted.
pub const MAX_SQL_CHARS: usize = 100_000;
/// Longest saved hunt name.
pub const MAX_NAME_CHARS: usize = 100;

/// A named hunting query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hunt {
    pub name: String,
    pub sql: String,
    /// Shipped with Vigil rather than saved by a person.
    pub builtin: bool,
}

/// The hunts everyone starts with; each is plain SQL a person can rerun or change.
pub const BUILTIN: &[(&str, &str)] = &[
    ("Events per OCSF class", "SELECT class_name, count(*) AS events FROM events GROUP BY 1 ORDER BY 2 DESC"),
    (
        "Most MFA push denials per user (push bombing shows up here)",
        "SELECT actor_user_name AS user, count(*) AS denials FROM events \
         WHERE metadata_event_code = 'user.mfa.okta_verify.deny_push' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
    ),
    (
        "Sign-ins from the most countries per user",
        "SELECT user_name AS user, count(DISTINCT src_country) AS countries FROM authentication \
         WHERE src_country IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
    ),
    (
        "Shadow-copy deletion and recovery tampering (ransomware precursor)",
        "SELECT device_hostname AS host, process_cmd_line AS command FROM process_activity \
         WHERE lower(process_cmd_line) LIKE '%shadow%delete%' OR lower(process_cmd_line) LIKE '%delete%shadow%' \
         OR lower(process_cmd_line) LIKE '%recoveryenabled%' ORDER BY time LIMIT 20",
    ),
    (
        "AWS calls by the root user",
        "SELECT cloud_account_uid AS account, api_operation AS operation, count(*) AS calls FROM events \
         WHERE actor_user_type = 'Root' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 20",
    ),
];

/// What a hunt returned: its columns and rows, as the engine gave them (text tables and JSON
/// rows are the front ends' to render).
pub type HuntResult = vigil_query::QueryResult;

impl App {
    /// The built-in hunts, then the saved ones by name.
    pub fn hunts(&self, caller: &Caller) -> Result<Vec<Hunt>> {
        caller.require(Permission::Hunt, "read hunts")?;
        let mut v: Vec<Hunt> =
            BUILTIN.iter().map(|(n, s)| Hunt { name: n.to_string(), sql: s.to_string(), builtin: true }).collect();
        let store = self.store()?;
        let mut saved = Vec::new();
        for d in store.documents(HUNT)? {
            let sql: String = serde_json::from_str(&d.json)
                .map_err(|e| AppError::Internal(format!("stored hunt {:?} is not readable: {e}", d.id)))?;
            saved.push(Hunt { name: d.id, sql, builtin: false });
        }
        saved.sort_by(|a, b| a.name.cmp(&b.name));
        v.extend(saved);
        Ok(v)
    }

    /// Saves (or replaces) a named hunt.
    pub fn save_hunt(&self, caller: &Caller, name: &str, sql: &str) -> Result<()> {
        caller.require(Permission::Hunt, "hunt.save")?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(AppError::Invalid(format!("a saved hunt's name is 1 to {MAX_NAME_CHARS} characters")));
        }
        check_sql(sql)?;
        let now = self.now_ms();
        let json = serde_json::to_string(sql).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut store = self.store()?;
        store.put_documents(
            HUNT,
            &[Document { id: name.to_string(), updated_ms: now, json }],
            false,
            &[AuditEntry::new(now, &caller.name(), "hunt.save", name, "ok", &short(sql))],
        )?;
        Ok(())
    }

    /// Runs read-only SQL over the lake, returning at most `max_rows` rows (`None`: no row cap;
    /// the memory, spill and time limits of [`vigil_query::QueryLimits`] apply either way). The
    /// run is audited whether it succeeded or not; a query the engine refuses, or one that hits a
    /// limit, comes back as [`AppError::Invalid`] with the reason. A principal runs at most
    /// [`MAX_CONCURRENT_HUNTS`] at once; one more is [`AppError::Busy`].
    pub fn hunt(&self, caller: &Caller, sql: &str, max_rows: Option<usize>) -> Result<HuntResult> {
        self.hunt_cancellable(caller, sql, max_rows, None)
    }

    /// [`App::hunt`], stopped early when `cancel` is cancelled (the client went away, the server
    /// is stopping): the engine drops the running query at once, the run is audited as
    /// `cancelled`, and the caller gets [`AppError::Busy`].
    pub fn hunt_cancellable(
        &self,
        caller: &Caller,
        sql: &str,
        max_rows: Option<usize>,
        cancel: Option<vigil_query::Cancel>,
    ) -> Result<HuntResult> {
        self.query_within(caller, sql, vigil_query::QueryLimits { max_rows, cancel, ..Default::default() })
    }

    /// [`App::hunt`] for the jobs that read weeks of the lake (the hunts over weeks, retro-hunts):
    /// the same permission, slot and audit entry, with [`JOB_TIME_LIMIT`] instead of the
    /// interactive limit.
    pub(crate) fn hunt_job(&self, caller: &Caller, sql: &str, max_rows: Option<usize>) -> Result<HuntResult> {
        self.query_within(
            caller,
            sql,
            vigil_query::QueryLimits { max_rows, timeout: JOB_TIME_LIMIT, ..Default::default() },
        )
    }

    fn query_within(&self, caller: &Caller, sql: &str, limits: vigil_query::QueryLimits) -> Result<HuntResult> {
        caller.require(Permission::Hunt, "hunt.query")?;
        check_sql(sql)?;
        let _slot = HuntSlot::take(&self.running_hunts, &caller.name())?;
        // Only the lake files the store committed: never those of an ingest still running or
        // one that crashed before its commit (F13).
        let committed: Vec<String> = self.store()?.lake_files()?.into_iter().map(|f| f.path).collect();
        let result = vigil_query::QueryEngine::open_committed(&self.dir().lake(), &committed, limits)
            .and_then(|engine| engine.run_readonly(sql));
        let (outcome, detail) = match &result {
            Ok(r) => {
                ("ok", format!("{} rows{}: {}", r.rows(), if r.truncated { " (truncated)" } else { "" }, short(sql)))
            }
            Err(vigil_query::QueryError::Cancelled) => ("cancelled", format!("query cancelled: {}", short(sql))),
            Err(e) => {
                ("error", format!("query: {}: {}", e.to_string().chars().take(200).collect::<String>(), short(sql)))
            }
        };
        let mut store = self.store()?;
        self.audit(
            &mut store,
            &AuditEntry::new(self.now_ms(), &caller.name(), "hunt.query", "lake", outcome, &detail),
        )?;
        match result {
            Ok(r) => Ok(r),
            Err(vigil_query::QueryError::Cancelled) => Err(AppError::Busy {
                message: "the query was cancelled (the request ended or the server is stopping)".into(),
                retry_after_secs: 5,
            }),
            Err(e @ (vigil_query::QueryError::Lake { .. } | vigil_query::QueryError::Runtime(_))) => {
                Err(AppError::Internal(format!("opening the lake: {e}")))
            }
            Err(e) => Err(AppError::Invalid(format!("query: {e}"))),
        }
    }
}

impl App {
    /// One event of the lake by its id: every column, the raw record included, as JSON. Reading
    /// the lake is hunting (the same permission, the same audit entry); an id that is not 32
    /// hexadecimal digits names no event.
    pub fn event(&self, caller: &Caller, id: &str) -> Result<serde_json::Value> {
        caller.require(Permission::Hunt, "read events")?;
        let well_formed = id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit());
        if !well_formed {
            return Err(AppError::NotFound(format!("no event {}", id.chars().take(64).collect::<String>())));
        }
        let id = id.to_ascii_lowercase();
        let r = self.hunt(caller, &format!("SELECT * FROM events WHERE id = '{id}' LIMIT 1"), Some(1))?;
        let rows = r.to_json_rows().map_err(|e| AppError::Internal(format!("event {id}: {e}")))?;
        rows.into_iter().next().ok_or_else(|| AppError::NotFound(format!("no event {id}")))
    }
}

/// The most hunts one principal runs at once: a query holds memory and a core for up to its time
/// limit, so one person (or one leaked token) cannot take the engine from everyone else.
pub const MAX_CONCURRENT_HUNTS: usize = 2;

/// A principal's place among the running hunts, given back when dropped.
struct HuntSlot<'a> {
    running: &'a std::sync::Mutex<std::collections::HashMap<String, usize>>,
    who: String,
}

impl<'a> HuntSlot<'a> {
    fn take(running: &'a std::sync::Mutex<std::collections::HashMap<String, usize>>, who: &str) -> Result<Self> {
        let mut m = running.lock().map_err(|_| AppError::Internal("the hunt table was poisoned by a panic".into()))?;
        let n = m.entry(who.to_string()).or_insert(0);
        if *n >= MAX_CONCURRENT_HUNTS {
            return Err(AppError::Busy {
                message: format!("{who} already has {MAX_CONCURRENT_HUNTS} hunts running; try again when one ends"),
                retry_after_secs: 5,
            });
        }
        *n += 1;
        Ok(HuntSlot { running, who: who.to_string() })
    }
}

impl Drop for HuntSlot<'_> {
    fn drop(&mut self) {
        if let Ok(mut m) = self.running.lock()
            && let Some(n) = m.get_mut(&self.who)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.who);
            }
        }
    }
}

fn check_sql(sql: &str) -> Result<()> {
    if sql.trim().is_empty() {
        return Err(AppError::Invalid("the query is empty".into()));
    }
    if sql.chars().count() > MAX_SQL_CHARS {
        return Err(AppError::Invalid(format!("the query is longer than {MAX_SQL_CHARS} characters")));
    }
    Ok(())
}

fn short(sql: &str) -> String {
    sql.chars().take(500).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_principal_runs_at_most_the_limit_and_slots_come_back() {
        let running = std::sync::Mutex::new(std::collections::HashMap::new());
        let a = HuntSlot::take(&running, "ann").unwrap();
        let _b = HuntSlot::take(&running, "ann").unwrap();
        match HuntSlot::take(&running, "ann") {
            Err(AppError::Busy { message, retry_after_secs }) => {
                assert!(message.contains("ann already has 2 hunts running") && retry_after_secs > 0, "{message}")
            }
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a third hunt was allowed"),
        }
        let _other = HuntSlot::take(&running, "bob").expect("another principal is not limited by ann's");
        drop(a);
        let _c = HuntSlot::take(&running, "ann").expect("a slot comes back when a hunt ends");
        drop(_c);
        drop(_b);
        drop(_other);
        assert!(running.lock().unwrap().is_empty(), "nothing is left behind");
    }
}
