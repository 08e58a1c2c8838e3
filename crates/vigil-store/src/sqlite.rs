//! SQLite implementation of the state store: one file, WAL journal, versioned migrations.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use vigil_model::{EventId, QuarantineRecord};

use crate::{
    AlertQuery, AlertRow, AuditEntry, BehaviorRow, CheckpointRow, Commit, CursorRow, Document, FrontierRow,
    LakeFileRow, QuarantineQuery, Result, RunRecord, SourceCheckpoint, StateStore, StoreError, StoredQuarantine,
    VaultRow,
};

/// Migrations in order; each runs once, inside a transaction, and is recorded in
/// `schema_migrations`.
const MIGRATIONS: &[(u32, &str, &str)] = &[
    (1, "init", include_str!("../migrations/sqlite/0001_init.sql")),
    (2, "alerts", include_str!("../migrations/sqlite/0002_alerts.sql")),
    (3, "behavior", include_str!("../migrations/sqlite/0003_behavior.sql")),
    (4, "triage_cases", include_str!("../migrations/sqlite/0004_triage_cases.sql")),
    (5, "evidence", include_str!("../migrations/sqlite/0005_evidence.sql")),
    (6, "ledger_frontier", include_str!("../migrations/sqlite/0006_ledger_frontier.sql")),
    (7, "poll_cursors", include_str!("../migrations/sqlite/0007_poll_cursors.sql")),
];

pub struct SqliteStore {
    conn: Connection,
}

impl SqliteStore {
    /// Opens (creating if needed) the store file and applies pending migrations.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Open { path: path.display().to_string(), message: e.to_string() })?;
        }
        let conn = Connection::open(path)?;
        Self::setup(conn)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<SqliteStore> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<SqliteStore> {
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut s = SqliteStore { conn };
        s.migrate()?;
        Ok(s)
    }

    fn migrate(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
        )?;
        for (version, name, sql) in MIGRATIONS {
            let done: Option<u32> = self
                .conn
                .query_row("SELECT version FROM schema_migrations WHERE version = ?1", [version], |r| r.get(0))
                .optional()?;
            if done.is_some() {
                continue;
            }
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql).map_err(|e| StoreError::Migration { version: *version, message: e.to_string() })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, strftime('%s','now') * 1000)",
                params![version, name],
            )?;
            tx.commit()?;
        }
        Ok(())
    }
}

impl StateStore for SqliteStore {
    fn begin_run(&mut self, started_at: i64, args: &str) -> Result<i64> {
        self.conn.execute("INSERT INTO runs (started_at, args) VALUES (?1, ?2)", params![started_at, args])?;
        Ok(self.conn.last_insert_rowid())
    }

    fn finish_run(&mut self, run_id: i64, finished_at: i64, report: &serde_json::Value) -> Result<()> {
        self.conn.execute(
            "UPDATE runs SET finished_at = ?1, report = ?2 WHERE id = ?3",
            params![finished_at, report.to_string(), run_id],
        )?;
        Ok(())
    }

    fn unseen(&mut self, ids: &[EventId]) -> Result<Vec<bool>> {
        let mut stmt = self.conn.prepare_cached("SELECT 1 FROM event_ids WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let found = stmt.exists([&id.to_bytes()[..]])?;
            out.push(!found);
        }
        Ok(out)
    }

    fn commit(&mut self, run_id: i64, now: i64, batch: &Commit) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut ins = tx.prepare_cached("INSERT OR IGNORE INTO event_ids (id, run_id) VALUES (?1, ?2)")?;
            for id in &batch.event_ids {
                ins.execute(params![&id.to_bytes()[..], run_id])?;
            }
            let mut lf = tx.prepare_cached(
                "INSERT OR REPLACE INTO lake_files (path, class_uid, day, rows, bytes, sha256, run_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for f in &batch.lake_files {
                lf.execute(params![f.path, f.class_uid, f.day, f.rows as i64, f.bytes as i64, f.sha256, run_id])?;
            }
            let mut q = tx.prepare_cached(
                "INSERT OR IGNORE INTO quarantine (run_id, at, source, locator, format, reason, size, sha256, excerpt)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for r in &batch.quarantine {
                q.execute(params![
                    run_id,
                    now,
                    r.source,
                    r.locator,
                    r.format,
                    r.reason,
                    r.size as i64,
                    r.sha256,
                    r.excerpt
                ])?;
            }
            let mut s = tx.prepare_cached(
                "INSERT OR REPLACE INTO sources (path, size, modified_ms, sha256, offset, records, events, quarantined, duplicates, formats, run_id, ingested_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?;
            for c in &batch.sources {
                let formats = serde_json::to_string(&c.formats).unwrap_or_else(|_| "{}".into());
                s.execute(params![
                    c.path,
                    c.size as i64,
                    c.modified_ms,
                    c.sha256,
                    c.offset as i64,
                    c.records as i64,
                    c.events as i64,
                    c.quarantined as i64,
                    c.duplicates as i64,
                    formats,
                    run_id,
                    c.ingested_at
                ])?;
            }
            let mut a = tx.prepare_cached(
                "INSERT OR IGNORE INTO alerts (id, run_id, rule_id, rule_title, level, kind, time_ms, created_ms, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for r in &batch.alerts {
                a.execute(params![r.id, run_id, r.rule_id, r.rule_title, r.level, r.kind, r.time_ms, now, r.json])?;
            }
            let mut b = tx.prepare_cached(
                "INSERT OR REPLACE INTO behavior_state (detection, entity, updated_ms, state) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &batch.behavior {
                b.execute(params![r.detection, r.entity, r.updated_ms, r.state])?;
            }
            let mut c = tx.prepare_cached(
                "INSERT OR REPLACE INTO poll_cursors (source, cursor, updated_ms, run_id) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in &batch.cursors {
                c.execute(params![r.source, r.cursor, r.updated_ms, run_id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertRow>> {
        let mut sql =
            String::from("SELECT id, rule_id, rule_title, level, kind, time_ms, json FROM alerts WHERE 1 = 1");
        let mut args: Vec<rusqlite::types::Value> = Vec::new();
        if let Some(r) = &q.rule {
            sql.push_str(" AND (rule_id = ? OR rule_title = ?)");
            args.push(r.clone().into());
            args.push(r.clone().into());
        }
        if !q.levels.is_empty() {
            sql.push_str(&format!(" AND level IN ({})", vec!["?"; q.levels.len()].join(", ")));
            for l in &q.levels {
                args.push(l.clone().into());
            }
        }
        sql.push_str(" ORDER BY time_ms, id LIMIT ?");
        args.push((q.limit.min(i64::MAX as u64) as i64).into());
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(args), |r| {
            Ok(AlertRow {
                id: r.get(0)?,
                rule_id: r.get(1)?,
                rule_title: r.get(2)?,
                level: r.get(3)?,
                kind: r.get(4)?,
                time_ms: r.get(5)?,
                json: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn behavior_state(&self, entity: Option<&str>) -> Result<Vec<BehaviorRow>> {
        let mut st = self.conn.prepare(
            "SELECT detection, entity, updated_ms, state FROM behavior_state
             WHERE ?1 IS NULL OR entity = ?1 OR entity LIKE '%|' || ?1 ORDER BY detection, entity",
        )?;
        let rows = st.query_map(params![entity], |r| {
            Ok(BehaviorRow { detection: r.get(0)?, entity: r.get(1)?, updated_ms: r.get(2)?, state: r.get(3)? })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn put_documents(&mut self, kind: &str, docs: &[Document], replace_kind: bool, audit: &[AuditEntry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        {
            if replace_kind {
                tx.execute("DELETE FROM documents WHERE kind = ?1", params![kind])?;
            }
            let mut ins = tx.prepare_cached(
                "INSERT OR REPLACE INTO documents (kind, id, updated_ms, json) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for d in docs {
                ins.execute(params![kind, d.id, d.updated_ms, d.json])?;
            }
        }
        insert_audit(&tx, audit)?;
        tx.commit()?;
        Ok(())
    }

    fn documents(&self, kind: &str) -> Result<Vec<Document>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, updated_ms, json FROM documents WHERE kind = ?1 ORDER BY updated_ms, id")?;
        let rows =
            st.query_map(params![kind], |r| Ok(Document { id: r.get(0)?, updated_ms: r.get(1)?, json: r.get(2)? }))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn document_count(&self, kind: &str) -> Result<u64> {
        let n: i64 =
            self.conn.query_row("SELECT count(*) FROM documents WHERE kind = ?1", params![kind], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn document(&self, kind: &str, id: &str) -> Result<Option<Document>> {
        let mut st =
            self.conn.prepare_cached("SELECT id, updated_ms, json FROM documents WHERE kind = ?1 AND id = ?2")?;
        let mut rows = st
            .query_map(params![kind, id], |r| Ok(Document { id: r.get(0)?, updated_ms: r.get(1)?, json: r.get(2)? }))?;
        Ok(rows.next().transpose()?)
    }

    fn audit(&self, limit: u64) -> Result<Vec<AuditEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, at_ms, actor, action, target, result, detail FROM
               (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
        )?;
        let rows = st.query_map(params![limit.min(i64::MAX as u64) as i64], audit_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn audit_from(&self, from_seq: i64, limit: u64) -> Result<Vec<AuditEntry>> {
        let mut st = self.conn.prepare_cached(
            "SELECT seq, at_ms, actor, action, target, result, detail FROM audit_log
             WHERE seq >= ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = st.query_map(params![from_seq, limit.min(i64::MAX as u64) as i64], audit_row)?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn audit_len(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT coalesce(max(seq), 0) FROM audit_log", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn append_audit(&mut self, audit: &[AuditEntry]) -> Result<Vec<AuditEntry>> {
        let tx = self.conn.transaction()?;
        let out = insert_audit(&tx, audit)?;
        tx.commit()?;
        Ok(out)
    }

    fn put_checkpoint(&mut self, c: &CheckpointRow) -> Result<()> {
        self.conn.execute(
            "INSERT INTO ledger_checkpoints (size, time_ms, json) VALUES (?1, ?2, ?3)",
            params![c.size as i64, c.time_ms, c.json],
        )?;
        Ok(())
    }

    fn latest_checkpoint(&self) -> Result<Option<CheckpointRow>> {
        Ok(self
            .conn
            .query_row("SELECT size, time_ms, json FROM ledger_checkpoints ORDER BY size DESC LIMIT 1", [], |r| {
                Ok(CheckpointRow { size: r.get::<_, i64>(0)? as u64, time_ms: r.get(1)?, json: r.get(2)? })
            })
            .optional()?)
    }

    fn put_frontier(&mut self, f: &FrontierRow) -> Result<()> {
        self.conn.execute(
            "INSERT OR IGNORE INTO ledger_frontier (size, nodes) VALUES (?1, ?2)",
            params![f.size as i64, f.nodes],
        )?;
        Ok(())
    }

    fn frontier_at_most(&self, size: u64) -> Result<Option<FrontierRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT size, nodes FROM ledger_frontier WHERE size <= ?1 ORDER BY size DESC LIMIT 1",
                params![size.min(i64::MAX as u64) as i64],
                |r| Ok(FrontierRow { size: r.get::<_, i64>(0)? as u64, nodes: r.get(1)? }),
            )
            .optional()?)
    }

    fn checkpoints(&self) -> Result<Vec<CheckpointRow>> {
        let mut st = self.conn.prepare_cached("SELECT size, time_ms, json FROM ledger_checkpoints ORDER BY size")?;
        let rows = st.query_map([], |r| {
            Ok(CheckpointRow { size: r.get::<_, i64>(0)? as u64, time_ms: r.get(1)?, json: r.get(2)? })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn add_vault_item(&mut self, item: &VaultRow, audit: &[AuditEntry]) -> Result<(VaultRow, Vec<AuditEntry>)> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO vault_items (sha256, size, added_ms, json) VALUES (?1, ?2, ?3, ?4)",
            params![item.sha256, item.size as i64, item.added_ms, item.json],
        )?;
        let row = VaultRow { id: tx.last_insert_rowid(), purged_ms: None, ..item.clone() };
        let entries = insert_audit(&tx, audit)?;
        tx.commit()?;
        Ok((row, entries))
    }

    fn vault_items(&self) -> Result<Vec<VaultRow>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT id, sha256, size, added_ms, json, purged_ms FROM vault_items ORDER BY id")?;
        let rows = st.query_map([], |r| {
            Ok(VaultRow {
                id: r.get(0)?,
                sha256: r.get(1)?,
                size: r.get::<_, i64>(2)? as u64,
                added_ms: r.get(3)?,
                json: r.get(4)?,
                purged_ms: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn purge_vault_item(&mut self, id: i64, at_ms: i64, audit: &[AuditEntry]) -> Result<()> {
        let tx = self.conn.transaction()?;
        tx.execute("UPDATE vault_items SET purged_ms = ?2 WHERE id = ?1", params![id, at_ms])?;
        insert_audit(&tx, audit)?;
        tx.commit()?;
        Ok(())
    }

    fn alert_counts_by_level(&self) -> Result<Vec<(String, u64)>> {
        let mut st = self.conn.prepare_cached("SELECT level, count(*) FROM alerts GROUP BY level ORDER BY level")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn alerts_raised(&self) -> Result<Vec<(String, i64)>> {
        let mut st = self.conn.prepare_cached("SELECT id, created_ms FROM alerts ORDER BY created_ms, id")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn alert_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM alerts", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn quarantine(&self, q: &QuarantineQuery) -> Result<Vec<StoredQuarantine>> {
        let limit = if q.limit == 0 { i64::MAX } else { q.limit as i64 };
        let mut stmt = self.conn.prepare(
            "SELECT id, run_id, at, source, locator, format, reason, size, sha256, excerpt FROM quarantine
             WHERE (?1 IS NULL OR instr(source, ?1) > 0) AND (?2 IS NULL OR run_id = ?2)
             ORDER BY id LIMIT ?3 OFFSET ?4",
        )?;
        let rows = stmt.query_map(params![q.source, q.run_id, limit, q.offset as i64], |r| {
            Ok(StoredQuarantine {
                id: r.get(0)?,
                run_id: r.get(1)?,
                at: r.get(2)?,
                record: QuarantineRecord {
                    source: r.get(3)?,
                    locator: r.get(4)?,
                    format: r.get(5)?,
                    reason: r.get(6)?,
                    size: r.get::<_, i64>(7)? as u64,
                    sha256: r.get(8)?,
                    excerpt: r.get(9)?,
                },
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn quarantine_count_matching(&self, q: &QuarantineQuery) -> Result<u64> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM quarantine WHERE (?1 IS NULL OR instr(source, ?1) > 0) AND (?2 IS NULL OR run_id = ?2)",
            params![q.source, q.run_id],
            |r| r.get::<_, i64>(0),
        )? as u64)
    }

    fn sources(&self) -> Result<Vec<SourceCheckpoint>> {
        let mut stmt = self.conn.prepare(
            "SELECT path, size, modified_ms, sha256, offset, records, events, quarantined, duplicates, formats, ingested_at FROM sources ORDER BY path",
        )?;
        let rows = stmt.query_map([], |r| {
            let formats: String = r.get(9)?;
            Ok(SourceCheckpoint {
                path: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                modified_ms: r.get(2)?,
                sha256: r.get(3)?,
                offset: r.get::<_, i64>(4)? as u64,
                records: r.get::<_, i64>(5)? as u64,
                events: r.get::<_, i64>(6)? as u64,
                quarantined: r.get::<_, i64>(7)? as u64,
                duplicates: r.get::<_, i64>(8)? as u64,
                formats: serde_json::from_str(&formats).unwrap_or_default(),
                ingested_at: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn cursor(&self, source: &str) -> Result<Option<CursorRow>> {
        let row = self
            .conn
            .query_row("SELECT source, cursor, updated_ms FROM poll_cursors WHERE source = ?1", [source], |r| {
                Ok(CursorRow { source: r.get(0)?, cursor: r.get(1)?, updated_ms: r.get(2)? })
            })
            .optional()?;
        Ok(row)
    }

    fn clear_cursor(&mut self, source: &str) -> Result<()> {
        self.conn.execute("DELETE FROM poll_cursors WHERE source = ?1", [source])?;
        Ok(())
    }

    fn lake_files(&self) -> Result<Vec<LakeFileRow>> {
        let mut stmt =
            self.conn.prepare("SELECT path, class_uid, day, rows, bytes, sha256 FROM lake_files ORDER BY path")?;
        let rows = stmt.query_map([], |r| {
            Ok(LakeFileRow {
                path: r.get(0)?,
                class_uid: r.get(1)?,
                day: r.get(2)?,
                rows: r.get::<_, i64>(3)? as u64,
                bytes: r.get::<_, i64>(4)? as u64,
                sha256: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn event_count(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM event_ids", [], |r| r.get::<_, i64>(0))? as u64)
    }

    fn runs(&self) -> Result<Vec<RunRecord>> {
        let mut stmt = self.conn.prepare("SELECT id, started_at, finished_at, args, report FROM runs ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            let report: Option<String> = r.get(4)?;
            Ok(RunRecord {
                id: r.get(0)?,
                started_at: r.get(1)?,
                finished_at: r.get(2)?,
                args: r.get(3)?,
                report: report.and_then(|s| serde_json::from_str(&s).ok()),
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    fn schema_version(&self) -> Result<u32> {
        Ok(self.conn.query_row("SELECT coalesce(max(version), 0) FROM schema_migrations", [], |r| r.get(0))?)
    }
}

fn audit_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditEntry> {
    Ok(AuditEntry {
        seq: r.get(0)?,
        at_ms: r.get(1)?,
        actor: r.get(2)?,
        action: r.get(3)?,
        target: r.get(4)?,
        result: r.get(5)?,
        detail: r.get(6)?,
    })
}

/// Appends entries inside a transaction; returns them with the `seq` each was given.
fn insert_audit(tx: &rusqlite::Transaction<'_>, audit: &[AuditEntry]) -> Result<Vec<AuditEntry>> {
    let mut au = tx.prepare_cached(
        "INSERT INTO audit_log (at_ms, actor, action, target, result, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut out = Vec::with_capacity(audit.len());
    for e in audit {
        au.execute(params![e.at_ms, e.actor, e.action, e.target, e.result, e.detail])?;
        out.push(AuditEntry { seq: tx.last_insert_rowid(), ..e.clone() });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(id: &str, rule: &str, level: &str, time: Option<i64>) -> AlertRow {
        AlertRow {
            id: id.into(),
            rule_id: rule.into(),
            rule_title: format!("title {rule}"),
            level: level.into(),
            kind: "detection".into(),
            time_ms: time,
            json: "{}".into(),
        }
    }

    fn id(n: u32) -> EventId {
        EventId::of_bytes("t", &n.to_le_bytes())
    }

    #[test]
    fn migrations_apply_once_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("state.db");
        let mut s = SqliteStore::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), 7);
        let run = s.begin_run(1, "test").unwrap();
        s.commit(run, 2, &Commit { event_ids: vec![id(1), id(2)], ..Default::default() }).unwrap();
        drop(s);
        let mut s = SqliteStore::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), 7);
        assert_eq!(s.event_count().unwrap(), 2);
        assert_eq!(s.unseen(&[id(1), id(3)]).unwrap(), vec![false, true]);
    }

    #[test]
    fn commit_records_everything_and_quarantine_filters() {
        let mut s = SqliteStore::in_memory().unwrap();
        let run = s.begin_run(1, "test").unwrap();
        let q1 = QuarantineRecord::new("a.json", "line 2".into(), "json", "invalid JSON".into(), b"{");
        let q2 = QuarantineRecord::new("b.json", "line 9".into(), "json", "invalid JSON".into(), b"[");
        let cp = SourceCheckpoint {
            path: "a.json".into(),
            size: 10,
            modified_ms: None,
            sha256: "x".into(),
            offset: 10,
            records: 3,
            events: 2,
            quarantined: 1,
            duplicates: 0,
            formats: [("json".to_string(), 3)].into_iter().collect(),
            ingested_at: 5,
        };
        let lf = LakeFileRow {
            path: "p".into(),
            class_uid: 0,
            day: "2024-01-01".into(),
            rows: 2,
            bytes: 9,
            sha256: "h".into(),
        };
        s.commit(
            run,
            3,
            &Commit {
                event_ids: vec![id(1)],
                lake_files: vec![lf.clone()],
                quarantine: vec![q1, q2],
                sources: vec![cp.clone()],
                alerts: vec![alert("a1", "r1", "high", Some(5)), alert("a2", "r2", "low", Some(1))],
                behavior: vec![],
                cursors: vec![],
            },
        )
        .unwrap();
        // A live source's cursor: committed with a batch, replaced by the next, cleared on request.
        assert_eq!(s.cursor("okta-prod").unwrap(), None);
        let cur = |c: &str| CursorRow { source: "okta-prod".into(), cursor: c.into(), updated_ms: 9 };
        s.commit(run, 3, &Commit { event_ids: vec![id(7)], cursors: vec![cur("after=1")], ..Default::default() })
            .unwrap();
        assert_eq!(s.cursor("okta-prod").unwrap(), Some(cur("after=1")));
        s.commit(run, 3, &Commit { cursors: vec![cur("after=2")], ..Default::default() }).unwrap();
        assert_eq!(s.cursor("okta-prod").unwrap(), Some(cur("after=2")));
        assert_eq!(s.cursor("other").unwrap(), None);
        s.clear_cursor("okta-prod").unwrap();
        assert_eq!(s.cursor("okta-prod").unwrap(), None);
        assert_eq!(s.unseen(&[id(7)]).unwrap(), vec![false], "the batch's ids were committed with it");
        // The same alert again (same id) is stored once.
        s.commit(run, 4, &Commit { alerts: vec![alert("a1", "r1", "high", Some(5))], ..Default::default() }).unwrap();
        assert_eq!(s.alert_count().unwrap(), 2);
        assert_eq!(s.alert_counts_by_level().unwrap(), vec![("high".to_string(), 1), ("low".to_string(), 1)]);
        assert_eq!(s.alerts_raised().unwrap().len(), 2);
        let all = s.alerts(&AlertQuery { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(all.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(), vec!["a2", "a1"], "oldest first");
        let high = s.alerts(&AlertQuery { levels: vec!["high".into()], limit: 10, ..Default::default() }).unwrap();
        assert_eq!(high.len(), 1);
        assert_eq!(high[0].json, "{}");
        let by_rule = s.alerts(&AlertQuery { rule: Some("r2".into()), limit: 10, ..Default::default() }).unwrap();
        assert_eq!(by_rule[0].id, "a2");
        assert!(s.alerts(&AlertQuery { limit: 0, ..Default::default() }).unwrap().is_empty());
        // Behavioral state: replaced per (detection, entity), found by entity.
        let row = |e: &str, st: &str| BehaviorRow {
            detection: "d".into(),
            entity: e.into(),
            updated_ms: 1,
            state: st.into(),
        };
        s.commit(run, 5, &Commit { behavior: vec![row("alice", "1"), row("k|alice", "2")], ..Default::default() })
            .unwrap();
        s.commit(run, 6, &Commit { behavior: vec![row("alice", "3")], ..Default::default() }).unwrap();
        let all = s.behavior_state(None).unwrap();
        assert_eq!(all.len(), 2);
        let alice = s.behavior_state(Some("alice")).unwrap();
        assert_eq!(alice.iter().map(|r| r.state.as_str()).collect::<Vec<_>>(), vec!["3", "2"]);
        assert_eq!(s.quarantine_count().unwrap(), 2);
        let only_b = s.quarantine(&QuarantineQuery { source: Some("b.json".into()), ..Default::default() }).unwrap();
        assert_eq!(only_b.len(), 1);
        assert_eq!(only_b[0].record.locator, "line 9");
        let q = QuarantineQuery { source: Some("b.json".into()), limit: 0, ..Default::default() };
        assert_eq!(s.quarantine_count_matching(&q).unwrap(), 1);
        assert_eq!(s.sources().unwrap(), vec![cp]);
        assert_eq!(s.lake_files().unwrap(), vec![lf]);
        s.finish_run(run, 9, &serde_json::json!({"events": 1})).unwrap();
        assert_eq!(s.runs().unwrap()[0].report.as_ref().unwrap()["events"], 1);
    }
}

#[cfg(test)]
mod document_tests {
    use super::*;

    #[test]
    fn documents_replace_by_kind_and_the_audit_log_cannot_be_rewritten() {
        let mut s = SqliteStore::in_memory().unwrap();
        let doc = |id: &str, t: i64| Document { id: id.into(), updated_ms: t, json: format!("{{\"id\":\"{id}\"}}") };
        s.put_documents("incident", &[doc("a", 2), doc("b", 1)], false, &[]).unwrap();
        assert_eq!((s.document_count("incident").unwrap(), s.document_count("case").unwrap()), (2, 0));
        s.put_documents("case", &[doc("c", 1)], false, &[AuditEntry::new(5, "ann", "case.open", "c", "ok", "")])
            .unwrap();
        assert_eq!(s.documents("incident").unwrap().iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["b", "a"]);
        s.put_documents("incident", &[doc("z", 3)], true, &[]).unwrap();
        assert_eq!(s.documents("incident").unwrap().len(), 1);
        assert_eq!(s.documents("case").unwrap().len(), 1, "other kinds are untouched");
        assert!(s.document("case", "c").unwrap().is_some());
        assert!(s.document("case", "nope").unwrap().is_none());
        let log = s.audit(10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].actor, "ann");
        assert!(s.conn.execute("UPDATE audit_log SET actor = 'mallory'", []).is_err());
        assert!(s.conn.execute("DELETE FROM audit_log", []).is_err());
        assert_eq!(s.audit(10).unwrap()[0].actor, "ann");
    }

    #[test]
    fn ledger_checkpoints_and_vault_items_are_append_only() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = SqliteStore::open(&dir.path().join("s.db")).unwrap();
        let got = s
            .append_audit(&[AuditEntry::new(1, "a", "x", "t", "ok", ""), AuditEntry::new(2, "b", "y", "t", "ok", "")])
            .unwrap();
        assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
        assert_eq!(s.audit_len().unwrap(), 2);
        assert_eq!(s.audit_from(2, 10).unwrap()[0].actor, "b");
        s.put_checkpoint(&CheckpointRow { size: 2, time_ms: 3, json: "{}".into() }).unwrap();
        assert!(s.put_checkpoint(&CheckpointRow { size: 2, time_ms: 4, json: "{}".into() }).is_err());
        assert!(s.conn.execute("UPDATE ledger_checkpoints SET json = 'x'", []).is_err());
        assert!(s.conn.execute("DELETE FROM ledger_checkpoints", []).is_err());
        let item = VaultRow { id: 0, sha256: "ab".into(), size: 2, added_ms: 5, json: "{}".into(), purged_ms: None };
        let (row, entries) =
            s.add_vault_item(&item, &[AuditEntry::new(5, "a", "evidence.add", "ab", "ok", "")]).unwrap();
        assert_eq!((row.id, entries[0].seq), (1, 3));
        assert!(s.conn.execute("DELETE FROM vault_items", []).is_err());
        assert!(s.conn.execute("UPDATE vault_items SET sha256 = 'cd'", []).is_err());
        assert!(s.conn.execute("UPDATE vault_items SET json = '{\"case\":1}'", []).is_err());
        s.purge_vault_item(1, 9, &[]).unwrap();
        assert!(s.purge_vault_item(1, 10, &[]).is_err(), "purged twice");
        assert_eq!(s.vault_items().unwrap()[0].purged_ms, Some(9));
        assert_eq!(s.checkpoints().unwrap().len(), 1);
    }

    #[test]
    fn the_latest_checkpoint_and_frontiers_are_found_without_reading_them_all() {
        let mut s = SqliteStore::in_memory().unwrap();
        assert!(s.latest_checkpoint().unwrap().is_none());
        assert!(s.frontier_at_most(u64::MAX).unwrap().is_none());
        for size in [2u64, 7, 5] {
            s.put_checkpoint(&CheckpointRow { size, time_ms: size as i64, json: format!("{size}") }).unwrap();
            s.put_frontier(&FrontierRow { size, nodes: vec![size as u8; 32 * size.count_ones() as usize] }).unwrap();
        }
        assert_eq!(s.latest_checkpoint().unwrap().unwrap().size, 7);
        assert_eq!(s.frontier_at_most(6).unwrap().unwrap().size, 5);
        assert_eq!(s.frontier_at_most(7).unwrap().unwrap().nodes, vec![7u8; 96]);
        assert!(s.frontier_at_most(1).unwrap().is_none());
        // A second frontier for a size is ignored (the first stands); none can be changed.
        s.put_frontier(&FrontierRow { size: 5, nodes: vec![0; 64] }).unwrap();
        assert_eq!(s.frontier_at_most(5).unwrap().unwrap().nodes, vec![5u8; 64]);
        assert!(s.conn.execute("UPDATE ledger_frontier SET nodes = x'00'", []).is_err());
        assert!(s.conn.execute("DELETE FROM ledger_frontier", []).is_err());
    }
}
