//! SQL over the lake, through Apache DataFusion.
//!
//! Owns: registering the lake's Parquet files as the `events` table and one view per OCSF class
//! (`authentication`, `api_activity`, `process_activity` …), running a SQL statement, and
//! rendering the result as a text table or JSON rows.
//!
//! Must not: write to the lake or the state store. DataFusion is the heaviest dependency in the
//! workspace; it lives here alone so no other crate pays its build cost.

use std::path::Path;
use std::sync::Arc;

use arrow::record_batch::RecordBatch;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::prelude::{SessionConfig, SessionContext};
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
}

/// A query's result: its column names and record batches.
pub struct QueryResult {
    pub columns: Vec<String>,
    pub batches: Vec<RecordBatch>,
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
}

impl QueryEngine {
    /// Registers the lake under `root`. An empty or new lake is fine: tables exist with no rows.
    pub fn open(root: &Path) -> Result<QueryEngine, QueryError> {
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
            .set_bool("datafusion.execution.parquet.pushdown_filters", true);
        let ctx = SessionContext::new_with_config(config);
        let url = ListingTableUrl::parse(format!("{}/", root.canonicalize().unwrap_or(root.to_path_buf()).display()))?;
        let opts = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let cfg = ListingTableConfig::new(url).with_listing_options(opts).with_schema(Arc::new(vigil_lake::schema()));
        ctx.register_table("events", Arc::new(ListingTable::try_new(cfg)?))?;
        let engine = QueryEngine { ctx, runtime };
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
            let columns = df.schema().fields().iter().map(|f| f.name().clone()).collect();
            let batches = df.collect().await?;
            Ok(QueryResult { columns, batches })
        })
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
            let columns = df.schema().fields().iter().map(|f| f.name().clone()).collect();
            let batches = df.collect().await?;
            Ok(QueryResult { columns, batches })
        })
    }

    /// The tables and views a user can query.
    pub fn tables() -> Vec<&'static str> {
        let mut t = vec!["events"];
        t.extend(OcsfClass::ALL.iter().map(|c| c.table()));
        t
    }
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
}
