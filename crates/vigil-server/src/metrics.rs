//! `GET /metrics`: Prometheus text exposition (through the `prometheus-client` crate) of what
//! an operator watches: pipeline throughput and lag, quarantine, alerts, open cases by SLA
//! state, playbook runs by state, pending approvals, the ledger, and each live source's last
//! success, lag, events, failures and whether it is a blind spot. Values are read from the store
//! at scrape time, so every process serving the same data directory reports the same numbers.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use vigil_store::StateStore;

use crate::api::blocking;
use crate::{ApiError, ApiResult, Shared};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SourceLabel {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LevelLabel {
    level: String,
}

fn gauge(registry: &mut Registry, name: &str, help: &str, v: i64) {
    let g: Gauge = Gauge::default();
    g.set(v);
    registry.register(name, help, g);
}

fn family(registry: &mut Registry, name: &str, help: &str, values: &[(String, i64)]) {
    let f = Family::<StateLabel, Gauge>::default();
    for (state, v) in values {
        f.get_or_create(&StateLabel { state: state.clone() }).set(*v);
    }
    registry.register(name, help, f);
}

/// The exposition text.
pub fn render(s: &Shared) -> ApiResult<String> {
    let store = s.store()?;
    let now = s.now_ms();
    let mut r = Registry::with_prefix("vigil");
    let n = |x: u64| i64::try_from(x).unwrap_or(i64::MAX);

    // Pipeline.
    gauge(&mut r, "events_stored", "Events in the lake (after dedupe), all time", n(store.event_count()?));
    let runs = store.runs()?;
    let last = runs.iter().filter_map(|x| x.finished_at).max().unwrap_or(0);
    gauge(&mut r, "ingest_runs", "Ingest runs recorded", n(runs.len() as u64));
    gauge(&mut r, "ingest_last_finished_seconds", "When the last ingest run finished (Unix seconds)", last / 1000);
    gauge(
        &mut r,
        "ingest_lag_seconds",
        "Seconds since the last ingest run finished",
        if last > 0 { (now - last) / 1000 } else { -1 },
    );
    gauge(
        &mut r,
        "http_ingest_spool_bytes",
        "Bytes accepted over HTTP and not yet ingested",
        n(s.ingest.pending_bytes()),
    );
    gauge(
        &mut r,
        "http_ingest_events",
        "Events ingested from HTTP since this process started",
        n(s.ingest.ingested_events.load(std::sync::atomic::Ordering::Relaxed)),
    );
    let ls = &s.listen_stats;
    let load = |c: &std::sync::atomic::AtomicU64| n(c.load(std::sync::atomic::Ordering::Relaxed));
    for (name, help, v) in [
        ("syslog_messages", "Syslog messages received since this process started", &ls.messages),
        ("syslog_truncated_messages", "Syslog messages longer than the limit, kept truncated", &ls.truncated),
        ("syslog_partial_messages", "Octet-counted syslog messages cut short by the sender closing", &ls.partial),
        ("syslog_dropped_messages", "Syslog messages dropped because too much waited for the spool", &ls.dropped),
        ("tailed_lines", "Lines read from followed files since this process started", &ls.tailed_lines),
    ] {
        gauge(&mut r, name, help, load(v));
    }
    gauge(&mut r, "quarantined_records", "Records quarantined, all time", n(store.quarantine_count()?));
    let files = store.lake_files()?;
    gauge(&mut r, "lake_files", "Parquet files in the lake", n(files.len() as u64));
    gauge(&mut r, "lake_bytes", "Bytes of Parquet in the lake", n(files.iter().map(|f| f.bytes).sum::<u64>()));

    // Detection.
    let f = Family::<LevelLabel, Gauge>::default();
    for (level, v) in store.alert_counts_by_level()? {
        f.get_or_create(&LevelLabel { level }).set(n(v));
    }
    r.register("alerts", "Stored alerts by level, all time", f);

    // Cases by SLA state.
    let policy = vigil_queue::sla_policy(&store)?;
    let mut states: std::collections::BTreeMap<String, i64> =
        ["on_time", "breached", "paused"].iter().map(|k| (k.to_string(), 0)).collect();
    for c in vigil_queue::cases(&store)? {
        if c.merged_into.is_some() || c.times.closed_ms.is_some() || c.times.resolved_ms.is_some() {
            continue;
        }
        let clocks = c.sla_view(&policy, now);
        let state = if clocks.iter().any(|k| k.paused) {
            "paused"
        } else if clocks.iter().any(|k| k.met_ms.is_none() && (k.breached || k.remaining_ms < 0)) {
            "breached"
        } else {
            "on_time"
        };
        *states.entry(state.into()).or_default() += 1;
    }
    family(&mut r, "cases_open", "Open cases by SLA state", &states.into_iter().collect::<Vec<_>>());

    // Response.
    let mut run_states: std::collections::BTreeMap<String, i64> =
        ["running", "waiting_approval", "succeeded", "failed", "aborted"].iter().map(|k| (k.to_string(), 0)).collect();
    let all_runs = vigil_respond::engine::runs(&store)?;
    for run in &all_runs {
        let k = serde_json::to_value(run.status).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        *run_states.entry(k).or_default() += 1;
    }
    family(&mut r, "playbook_runs", "Playbook runs by state", &run_states.into_iter().collect::<Vec<_>>());
    let pending = vigil_respond::engine::approvals(&store)?
        .iter()
        .filter(|a| a.status == vigil_respond::ApprovalStatus::Pending && a.expires_ms > now)
        .count();
    gauge(&mut r, "approvals_pending", "Approval requests waiting for a person", n(pending as u64));
    let rate = vigil_respond::engine::automation_rate(&all_runs);
    gauge(&mut r, "playbook_steps_automated", "Playbook steps run without a person", n(rate.automated_steps));
    gauge(&mut r, "playbook_steps", "Playbook steps run (succeeded or failed)", n(rate.total_steps));

    // Live sources: one series per source.
    let health: Vec<vigil_app::sources::SourceHealth> = store
        .documents(vigil_app::sources::HEALTH)?
        .iter()
        .filter_map(|d| serde_json::from_str(&d.json).ok())
        .collect();
    let per_source =
        |name: &str, help: &str, f: &dyn Fn(&vigil_app::sources::SourceHealth) -> i64, r: &mut Registry| {
            let fam = Family::<SourceLabel, Gauge>::default();
            for h in &health {
                fam.get_or_create(&SourceLabel { source: h.name.clone() }).set(f(h));
            }
            r.register(name, help, fam);
        };
    per_source(
        "source_last_success_seconds",
        "When each live source was last polled successfully (Unix seconds; 0: never)",
        &|h| h.last_success_ms.unwrap_or(0) / 1000,
        &mut r,
    );
    per_source(
        "source_lag_seconds",
        "How old the newest record read from each live source is",
        &|h| h.lag_ms(now).unwrap_or(0) / 1000,
        &mut r,
    );
    per_source("source_events", "Events each live source brought, all time", &|h| n(h.events_total), &mut r);
    per_source("source_failures", "Failed polls in a row, per live source", &|h| i64::from(h.failures), &mut r);
    per_source(
        "source_blind_spot",
        "1 when a live source is failing or silent (a blind spot), else 0",
        &|h| i64::from(h.blind_spot(now).is_some()),
        &mut r,
    );

    // Evidence.
    gauge(&mut r, "ledger_entries", "Entries in the audit ledger", n(store.audit_len()?));
    let cp = store.checkpoints()?.last().map(|c| c.size).unwrap_or(0);
    gauge(&mut r, "ledger_checkpoint_size", "Entries covered by the latest signed checkpoint", n(cp));

    let mut out = String::new();
    encode(&mut out, &r).map_err(ApiError::internal)?;
    Ok(out)
}

pub async fn metrics(State(s): State<Shared>) -> ApiResult<Response> {
    blocking(move || {
        let text = render(&s)?;
        Ok((
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")],
            text,
        )
            .into_response())
    })
    .await
}
