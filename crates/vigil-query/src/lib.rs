//! SQL over the lake, through Apache DataFusion.
//!
//! Owns: registering the lake's Parquet files as the `events` table and one view per OCSF class
//! (`authentication`, `api_activity`, `process_activity` …), running a SQL statement, and
//! rendering the result as a text table or JSON rows.
//!
//! Bounds every query: a fair-spill memory pool ([`QueryLimits::memory_bytes`], default 512 MiB)
//! with a bounded spill directory, a time limit (default 30 s) after which the running streams
//! are dropped, an optional row cap applied inside the plan (so `LIMIT`-less hunts never
//! materialise more than the cap), and recursive CTEs disabled. Hitting a limit is an error with a
//! clear message, never an abort.
//!
//! Must not: write to the lake or the state store; run a query without limits. DataFusion is the heaviest dependency in the
//! workspace; it lives here alone so no other crate pays its build cost.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::FairSpillPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{DataFrame, SessionConfig, SessionContext};
use vigil_model::OcsfClass;

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("{0}")]
    DataFusion(#[from] datafusion::error::DataFusionError),
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
    #[error("lake at {path}: {message}")]
    Lake { path: String, message: String },
    #[error("query runtime: {0}")]
    Runtime(String),
    #[error("query exceeded its memory limit of {} MiB", .0 / (1024 * 1024))]
    Memory(usize),
    #[error("query exceeded its memory limit of {} MiB and its spill limit of {} MiB", .0 / (1024 * 1024), .1 / (1024 * 1024))]
    Spill(usize, u64),
    #[error("query ran past its {} s time limit", .0.as_secs())]
    TimedOut(Duration),
    /// Stopped through its [`Cancel`]: the person who asked went away, or the server is stopping.
    #[error("query cancelled")]
    Cancelled,
}

/// Stops a running query from elsewhere (another thread, another runtime): the client that
/// asked disconnected, or the server is shutting down. Cloning shares the one flag.
#[derive(Debug, Clone)]
pub struct Cancel(std::sync::Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Cancel {
    fn default() -> Self {
        Cancel(std::sync::Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// Cancels every query holding this flag, now and later.
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once [`Cancel::cancel`] has been called.
    pub async fn cancelled(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = rx.wait_for(|c| *c).await;
    }

    /// A guard that cancels when dropped (for example with the request future of a client that
    /// went away), unless [`CancelOnDrop::disarm`] was called.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// See [`Cancel::on_drop`].
#[derive(Debug)]
pub struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

/// Limits every query of an engine runs under.
#[derive(Debug, Clone)]
pub struct QueryLimits {
    /// The memory pool shared by the engine's queries, in bytes (default 512 MiB).
    pub memory_bytes: usize,
    /// The most a query may spill to disk, in bytes (default 1 GiB).
    pub spill_bytes: u64,
    /// How long one query may run (default 30 s).
    pub timeout: Duration,
    /// The most rows a read-only query returns; `None` for no cap. The cap is applied in the plan
    /// and one extra row is fetched so [`QueryResult::truncated`] is known.
    pub max_rows: Option<usize>,
    /// Stops the query early when cancelled; the running streams are dropped at once.
    pub cancel: Option<Cancel>,
}

impl Default for QueryLimits {
    fn default() -> Self {
        QueryLimits {
            memory_bytes: 512 * 1024 * 1024,
            spill_bytes: 1 << 30,
            timeout: Duration::from_secs(30),
            max_rows: None,
            cancel: None,
        }
    }
}

/// A query's result: its column names and record batches.
pub struct QueryResult {
    pub columns: Vec<String>,
    pub batches: Vec<RecordBatch>,
    /// The row cap was hit: more rows matched than were returned.
    pub truncated: bool,
}

impl QueryResult {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// A text table, as psql or DuckDB print one.
    pub fn to_table(&self) -> Result<String, QueryError> {
        if self.batches.is_empty() {
            return Ok(format!("{}\n(0 rows)", self.columns.join(" | ")));
        }
        Ok(format!("{}\n({} rows)", arrow::util::pretty::pretty_format_batches(&self.batches)?, self.rows()))
    }

    /// One JSON object per row.
    pub fn to_json_rows(&self) -> Result<Vec<serde_json::Value>, QueryError> {
        let mut buf = Vec::new();
        {
            let mut w = arrow::json::ArrayWriter::new(&mut buf);
            for b in &self.batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        if buf.is_empty() {
            return Ok(Vec::new());
        }
        serde_json::from_slice(&buf).map_err(|e| QueryError::Runtime(e.to_string()))
    }
}

/// A SQL engine bound to one lake directory.
pub struct QueryEngine {
    ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
    limits: QueryLimits,
}

impl QueryEngine {
    /// Registers the lake under `root`. An empty or new lake is fine: tables exist with no rows.
    pub fn open(root: &Path) -> Result<QueryEngine, QueryError> {
        QueryEngine::open_with(root, QueryLimits::default())
    }

    /// As [`QueryEngine::open`], with explicit limits. Every Parquet file under `root` is read,
    /// committed or not: for tools over a lake at rest. What people query goes through
    /// [`QueryEngine::open_committed`].
    pub fn open_with(root: &Path, limits: QueryLimits) -> Result<QueryEngine, QueryError> {
        QueryEngine::build(root, None, limits)
    }

    /// Registers only `files` (paths relative to `root`, as the state store lists the lake files
    /// it committed), so a file published by an ingest that has not committed yet, or left by
    /// one that crashed before committing, is never read (F13).
    pub fn open_committed(root: &Path, files: &[String], limits: QueryLimits) -> Result<QueryEngine, QueryError> {
        QueryEngine::build(root, Some(files), limits)
    }

    fn build(root: &Path, files: Option<&[String]>, limits: QueryLimits) -> Result<QueryEngine, QueryError> {
        std::fs::create_dir_all(root)
            .map_err(|e| QueryError::Lake { path: root.display().to_string(), message: e.to_string() })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| QueryError::Runtime(e.to_string()))?;
        let config = SessionConfig::new()
            .with_information_schema(true)
            .set_bool("datafusion.execution.listing_table_ignore_subdirectory", false)
            .set_bool("datafusion.execution.parquet.pushdown_filters", true)
            .set_bool("datafusion.execution.enable_recursive_ctes", false);
        let rt = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(FairSpillPool::new(limits.memory_bytes)))
            .with_max_temp_directory_size(limits.spill_bytes)
            .build_arc()?;
        let ctx = SessionContext::new_with_config_rt(config, rt);
        let root = root.canonicalize().unwrap_or(root.to_path_buf());
        let schema = Arc::new(vigil_lake::schema());
        let opts = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let table: Arc<dyn datafusion::catalog::TableProvider> = match files {
            None => {
                let url = ListingTableUrl::parse(format!("{}/", root.display()))?;
                let cfg = ListingTableConfig::new(url).with_listing_options(opts).with_schema(schema);
                Arc::new(ListingTable::try_new(cfg)?)
            }
            Some([]) => Arc::new(datafusion::datasource::MemTable::try_new(schema, vec![vec![]])?),
            Some(files) => {
                let mut urls = Vec::with_capacity(files.len());
                for f in files {
                    if f.split('/').any(|part| part == ".." || part.is_empty()) || !f.ends_with(".parquet") {
                        return Err(QueryError::Lake {
                            path: f.clone(),
                            message: "not a lake file path (relative, no '..', ending .parquet)".into(),
                        });
                    }
                    urls.push(ListingTableUrl::parse(root.join(f).display().to_string())?);
                }
                let cfg = ListingTableConfig::new_with_multi_paths(urls).with_listing_options(opts).with_schema(schema);
                Arc::new(ListingTable::try_new(cfg)?)
            }
        };
        ctx.register_table("events", table)?;
        let engine = QueryEngine { ctx, runtime, limits };
        for c in OcsfClass::ALL {
            let sql = format!("CREATE VIEW {} AS SELECT * FROM events WHERE class_uid = {}", c.table(), c.uid());
            engine.run(&sql)?;
        }
        Ok(engine)
    }

    /// Runs one SQL statement and collects its result.
    pub fn run(&self, sql: &str) -> Result<QueryResult, QueryError> {
        self.runtime.block_on(async {
            let df = self.ctx.sql(sql).await?;
            self.collect(df, None).await
        })
    }

    /// Collects `df` under the engine's time limit and an optional row cap. When the time limit
    /// passes, the collecting future and with it every executing stream is dropped.
    async fn collect(&self, df: DataFrame, cap: Option<usize>) -> Result<QueryResult, QueryError> {
        let columns = df.schema().fields().iter().map(|f| f.name().clone()).collect();
        let df = match cap {
            Some(cap) => df.limit(0, Some(cap.saturating_add(1)))?,
            None => df,
        };
        let never = Cancel::new();
        let cancel = self.limits.cancel.as_ref().unwrap_or(&never);
        if cancel.is_cancelled() {
            return Err(QueryError::Cancelled);
        }
        let batches = tokio::select! {
            r = tokio::time::timeout(self.limits.timeout, df.collect()) => match r {
                Err(_) => return Err(QueryError::TimedOut(self.limits.timeout)),
                Ok(r) => r.map_err(|e| self.classify(e))?,
            },
            _ = cancel.cancelled() => return Err(QueryError::Cancelled),
        };
        let mut result = QueryResult { columns, batches, truncated: false };
        if let Some(cap) = cap
            && result.rows() > cap
        {
            result.batches = truncate(result.batches, cap);
            result.truncated = true;
        }
        Ok(result)
    }

    fn classify(&self, e: DataFusionError) -> QueryError {
        if matches!(e.find_root(), DataFusionError::ResourcesExhausted(_)) {
            QueryError::Memory(self.limits.memory_bytes)
        } else if e.to_string().contains("max_temp_directory_size") {
            QueryError::Spill(self.limits.memory_bytes, self.limits.spill_bytes)
        } else {
            QueryError::DataFusion(e)
        }
    }

    /// Runs one read-only statement: a query, never DDL, DML or statements such as `COPY` or
    /// `SET` (for hunting by people over the API).
    pub fn run_readonly(&self, sql: &str) -> Result<QueryResult, QueryError> {
        let opts = datafusion::execution::context::SQLOptions::new()
            .with_allow_ddl(false)
            .with_allow_dml(false)
            .with_allow_statements(false);
        self.runtime.block_on(async {
            let df = self.ctx.sql_with_options(sql, opts).await?;
            self.collect(df, self.limits.max_rows).await
        })
    }

    /// The tables and views a user can query.
    pub fn tables() -> Vec<&'static str> {
        let mut t = vec!["events"];
        t.extend(OcsfClass::ALL.iter().map(|c| c.table()));
        t
    }
}

/// The first `cap` rows of `batches`.
fn truncate(batches: Vec<RecordBatch>, cap: usize) -> Vec<RecordBatch> {
    let mut left = cap;
    let mut out = Vec::new();
    for b in batches {
        if left == 0 {
            break;
        }
        let n = b.num_rows().min(left);
        out.push(b.slice(0, n));
        left -= n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_lake::LakeWriter;
    use vigil_model::{Event, EventId, Metadata};

    fn ev(n: u32, class: OcsfClass) -> Event {
        let md =
            Metadata { source: "s".into(), locator: format!("line {n}"), format: "json".into(), ..Default::default() };
        let mut e = Event::new(
            EventId::of_bytes("t", &n.to_le_bytes()),
            class,
            1,
            1_700_000_000_000 + i64::from(n),
            md,
            "{}".into(),
        );
        e.actor_user_mut().name = Some(if n.is_multiple_of(2) { "alice".into() } else { "bob".into() });
        e
    }

    #[test]
    fn empty_lake_has_tables() {
        let dir = tempfile::tempdir().unwrap();
        let q = QueryEngine::open(dir.path()).unwrap();
        let r = q.run("SELECT count(*) AS n FROM events").unwrap();
        assert_eq!(r.to_json_rows().unwrap()[0]["n"], 0);
        let r = q.run("SELECT count(*) AS n FROM authentication").unwrap();
        assert_eq!(r.to_json_rows().unwrap()[0]["n"], 0);
    }

    #[test]
    fn only_committed_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LakeWriter::new(dir.path(), 1);
        for i in 0..4 {
            w.add(ev(i, OcsfClass::Authentication));
        }
        let committed: Vec<String> = w.flush().unwrap().into_iter().map(|f| f.path).collect();
        // A second run publishes a file and "crashes" before its commit.
        let mut w = LakeWriter::new(dir.path(), 2);
        for i in 10..13 {
            w.add(ev(i, OcsfClass::ApiActivity));
        }
        w.flush().unwrap();
        let count = |q: &QueryEngine| {
            q.run_readonly("SELECT count(*) AS n FROM events").unwrap().to_json_rows().unwrap()[0]["n"].clone()
        };
        // Everything on disk: 7 rows, 3 of them never committed.
        assert_eq!(count(&QueryEngine::open(dir.path()).unwrap()), 7);
        // What people query: the committed 4 only.
        let q = QueryEngine::open_committed(dir.path(), &committed, QueryLimits::default()).unwrap();
        assert_eq!(count(&q), 4);
        assert_eq!(
            q.run_readonly("SELECT count(*) AS n FROM api_activity").unwrap().to_json_rows().unwrap()[0]["n"],
            0
        );
        // Nothing committed yet: empty tables, not the uncommitted file.
        let q = QueryEngine::open_committed(dir.path(), &[], QueryLimits::default()).unwrap();
        assert_eq!(count(&q), 0);
        // A listed path that escapes the lake is refused.
        let bad = QueryEngine::open_committed(dir.path(), &["../x.parquet".to_string()], QueryLimits::default());
        assert!(matches!(bad.err().unwrap(), QueryError::Lake { .. }));
    }

    #[test]
    fn queries_span_partitions_and_views_filter_by_class() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = LakeWriter::new(dir.path(), 1);
        for i in 0..6 {
            w.add(ev(i, OcsfClass::Authentication));
        }
        for i in 6..10 {
            w.add(ev(i, OcsfClass::ApiActivity));
        }
        w.flush().unwrap();
        let q = QueryEngine::open(dir.path()).unwrap();
        let r = q.run("SELECT actor_user_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1").unwrap();
        let rows = r.to_json_rows().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["actor_user_name"], "alice");
        assert_eq!(rows[0]["n"], 5);
        let r = q.run("SELECT count(*) AS n FROM authentication").unwrap();
        assert_eq!(r.to_json_rows().unwrap()[0]["n"], 6);
        assert!(r.to_table().unwrap().contains("(1 rows)"));
        let err = q.run("SELECT nope FROM events").err().unwrap();
        assert!(err.to_string().contains("nope"), "{err}");
    }

    fn limited(limits: QueryLimits) -> (tempfile::TempDir, QueryEngine) {
        let dir = tempfile::tempdir().unwrap();
        let q = QueryEngine::open_with(dir.path(), limits).unwrap();
        (dir, q)
    }

    #[test]
    fn row_cap_is_applied_in_the_plan() {
        // 20M rows would need gigabytes if materialised; a 64 MiB pool proves they are not.
        let (_d, q) = limited(QueryLimits { max_rows: Some(1), memory_bytes: 64 << 20, ..Default::default() });
        let r = q.run_readonly("SELECT * FROM generate_series(1,20000000)").unwrap();
        assert_eq!(r.rows(), 1);
        assert!(r.truncated);
        let r = q.run_readonly("SELECT 1 AS x").unwrap();
        assert_eq!(r.rows(), 1);
        assert!(!r.truncated);
    }

    #[test]
    fn memory_limit_is_an_error_not_an_abort() {
        let (_d, q) = limited(QueryLimits { memory_bytes: 1 << 20, spill_bytes: 0, ..Default::default() });
        let err = q
            .run_readonly("SELECT value % 1000003 AS k, count(*) FROM generate_series(1,3000000) GROUP BY 1 ORDER BY 1")
            .err()
            .unwrap();
        assert!(matches!(err, QueryError::Memory(_) | QueryError::Spill(..)), "{err}");
        assert!(err.to_string().starts_with("query exceeded its memory limit of 1 MiB"), "{err}");
    }

    #[test]
    fn endless_query_is_stopped_by_the_time_limit() {
        let (_d, q) = limited(QueryLimits { timeout: Duration::from_millis(500), ..Default::default() });
        let err = q.run_readonly("SELECT count(*) FROM generate_series(1,10000000000000)").err().unwrap();
        assert!(matches!(err, QueryError::TimedOut(_)), "{err}");
        assert!(err.to_string().contains("time limit"), "{err}");
    }

    #[test]
    fn a_cancelled_query_stops_long_before_its_time_limit() {
        let cancel = Cancel::new();
        let (_d, q) = limited(QueryLimits { cancel: Some(cancel.clone()), ..Default::default() });
        let started = std::time::Instant::now();
        let canceller = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            cancel.cancel();
        });
        let err = q.run_readonly("SELECT count(*) FROM generate_series(1,10000000000000)").err().unwrap();
        canceller.join().unwrap();
        assert!(matches!(err, QueryError::Cancelled), "{err}");
        // The 30 s limit did not fire: cancellation ended it.
        assert!(started.elapsed() < Duration::from_secs(30));
        // A flag already cancelled stops a query before it starts; dropping a guard cancels.
        let gone = Cancel::new();
        drop(gone.on_drop());
        assert!(gone.is_cancelled());
        let dir = tempfile::tempdir().unwrap();
        let r = QueryEngine::open_with(dir.path(), QueryLimits { cancel: Some(gone), ..Default::default() })
            .and_then(|q| q.run_readonly("SELECT 1"));
        assert!(matches!(r.err().unwrap(), QueryError::Cancelled));
        let kept = Cancel::new();
        kept.on_drop().disarm();
        assert!(!kept.is_cancelled());
    }

    #[test]
    fn recursive_ctes_are_refused() {
        let (_d, q) = limited(QueryLimits::default());
        let err = q
            .run_readonly("WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t) SELECT count(*) FROM t")
            .err()
            .unwrap();
        assert!(err.to_string().to_lowercase().contains("recursive"), "{err}");
    }
}
