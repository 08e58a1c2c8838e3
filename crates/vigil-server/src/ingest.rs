//! Ingest over HTTP: JSON lines (`POST /api/v1/ingest`) and a Splunk-HEC-compatible endpoint
//! (`POST /services/collector/event`, `Authorization: Splunk <token>`), so Vector, Fluent Bit
//! and Splunk forwarders can send to Vigil unchanged.
//!
//! A request is acknowledged only once its events are on disk: the body is written to a spool
//! file, synced and renamed into `<data-dir>/spool/`. One worker ingests spool files in order
//! through the same pipeline as `vigil ingest` (decoders, dedupe, detection, the lake), runs
//! triage, and removes each file after its commit — so a crash or restart loses nothing that was
//! acknowledged, and a file ingested twice adds nothing (event ids dedupe). When more than the
//! configured bytes wait in the spool, requests are refused with 503 and `Retry-After` rather
//! than dropped.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use vigil_app::detection::Detection;

use crate::{ApiError, Config, Shared};

const RETRY_AFTER_SECS: u64 = 5;

/// The spool and its worker.
pub struct Spool {
    dir: PathBuf,
    pending: Arc<AtomicU64>,
    limit: u64,
    seq: AtomicU64,
    wake: Arc<(Mutex<bool>, Condvar)>,
    stop: Arc<AtomicBool>,
    worker: Mutex<Option<JoinHandle<()>>>,
    /// Spool files ingested since start, and events they held.
    pub ingested_files: Arc<AtomicU64>,
    pub ingested_events: Arc<AtomicU64>,
}

fn spool_files(dir: &Path) -> Vec<(PathBuf, u64)> {
    let mut v: Vec<(PathBuf, u64)> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_name().to_string_lossy().ends_with(".jsonl"))
                .map(|e| (e.path(), e.metadata().map(|m| m.len()).unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

impl Spool {
    pub fn start(config: &Config, app: &vigil_app::App, detection: Detection) -> std::io::Result<Spool> {
        let dir = config.data_dir.join("spool");
        std::fs::create_dir_all(&dir)?;
        // Leftovers of a crash: half-written temporaries were never acknowledged.
        for e in std::fs::read_dir(&dir)?.flatten() {
            if e.file_name().to_string_lossy().ends_with(".tmp") {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let pending = Arc::new(AtomicU64::new(spool_files(&dir).iter().map(|f| f.1).sum()));
        let wake = Arc::new((Mutex::new(true), Condvar::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let files = Arc::new(AtomicU64::new(0));
        let events = Arc::new(AtomicU64::new(0));
        let worker = {
            let (dir, pending, wake, stop, files, events) =
                (dir.clone(), pending.clone(), wake.clone(), stop.clone(), files.clone(), events.clone());
            let app = app.clone();
            let cfg = config.clone();
            std::thread::Builder::new()
                .name("vigil-ingest".into())
                .spawn(move || worker(&app, &dir, &detection, &pending, &wake, &stop, &files, &events, &cfg))?
        };
        Ok(Spool {
            dir,
            pending,
            limit: config.spool_limit_bytes,
            seq: AtomicU64::new(0),
            wake,
            stop,
            worker: Mutex::new(Some(worker)),
            ingested_files: files,
            ingested_events: events,
        })
    }

    pub fn pending_bytes(&self) -> u64 {
        self.pending.load(Ordering::Relaxed)
    }

    /// Writes a batch durably into the spool; refuses when the spool is full.
    pub fn accept(&self, body: &[u8]) -> Result<String, ApiError> {
        self.accept_recorded(body, |_| Ok(()))
    }

    /// [`Spool::accept`], with `record` run once the batch is synced under its final name but
    /// before it is published to the worker: when `record` fails (the audit log cannot be
    /// written), the batch is removed and the request refused, so nothing is ingested that is
    /// not on the record.
    pub fn accept_recorded(
        &self,
        body: &[u8],
        record: impl FnOnce(&str) -> Result<(), ApiError>,
    ) -> Result<String, ApiError> {
        if self.stop.load(Ordering::Relaxed) {
            return Err(ApiError::busy(RETRY_AFTER_SECS, "the server is shutting down"));
        }
        // Counted as the bytes the spool file will hold (the worker subtracts the file's size
        // when it removes it): the body plus the newline added when it lacks a trailing one.
        let n = body.len() as u64 + u64::from(!body.ends_with(b"\n"));
        if self.pending.load(Ordering::Relaxed).saturating_add(n) > self.limit {
            return Err(ApiError::busy(RETRY_AFTER_SECS, "ingest is behind; try again shortly"));
        }
        let name = format!(
            "{:016}-{:08}.jsonl",
            chrono::Utc::now().timestamp_micros(),
            self.seq.fetch_add(1, Ordering::Relaxed)
        );
        let tmp = self.dir.join(format!("{name}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(body)?;
            if !body.ends_with(b"\n") {
                f.write_all(b"\n")?;
            }
            f.sync_all()?;
            Ok(())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(ApiError::internal(e));
        }
        if let Err(e) = record(&name) {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, self.dir.join(&name)).map_err(ApiError::internal)?;
        self.pending.fetch_add(n, Ordering::Relaxed);
        let (lock, cv) = &*self.wake;
        if let Ok(mut w) = lock.lock() {
            *w = true;
        }
        cv.notify_one();
        Ok(name)
    }

    /// Stops accepting, ingests what is spooled, and waits for the worker.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::Relaxed);
        self.wake.1.notify_one();
        if let Some(h) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            let _ = h.join();
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn worker(
    app: &vigil_app::App,
    spool: &Path,
    detection: &Detection,
    pending: &AtomicU64,
    wake: &(Mutex<bool>, Condvar),
    stop: &AtomicBool,
    files: &AtomicU64,
    events: &AtomicU64,
    cfg: &crate::Config,
) {
    // HTTP ingest is the receiver's act on behalf of the tokens that were authorized to send.
    let receiver = vigil_app::Caller::automation("vigil:http-ingest");
    loop {
        let batch = spool_files(spool);
        if batch.is_empty() {
            if stop.load(Ordering::Relaxed) {
                return;
            }
            let (lock, cv) = wake;
            let Ok(mut w) = lock.lock() else { return };
            if !*w {
                w = match cv.wait_timeout(w, std::time::Duration::from_millis(500)) {
                    Ok((g, _)) => g,
                    Err(_) => return,
                };
            }
            *w = false;
            continue;
        }
        let paths: Vec<PathBuf> = batch.iter().map(|f| f.0.clone()).collect();
        let opts = vigil_pipeline::IngestOptions {
            threads: 1,
            args: "vigil serve (HTTP ingest)".into(),
            ..vigil_pipeline::IngestOptions::default()
        };
        match app.ingest(&receiver, &paths, Some(detection), opts) {
            Ok(report) => {
                events.fetch_add(report.events, Ordering::Relaxed);
                for (p, n) in &batch {
                    let _ = std::fs::remove_file(p);
                    // Saturating: a miscount must never wrap the counter and wedge ingest.
                    let _ = pending.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| Some(p.saturating_sub(*n)));
                    files.fetch_add(1, Ordering::Relaxed);
                }
                if report.alerts > 0 {
                    // Triage, then the playbooks whose triggers the new incidents match.
                    let triage = vigil_app::Caller::automation(vigil_queue::TRIAGE_ACTOR);
                    match app.triage(&triage) {
                        Err(e) => tracing::error!("triage after HTTP ingest: {e}"),
                        Ok(_) => {
                            if let Err(e) = crate::respond::trigger_all(cfg, app) {
                                tracing::error!("playbooks after HTTP ingest: {}", e.message);
                            }
                        }
                    }
                }
            }
            Err(e) => {
                // Left in the spool and retried: nothing acknowledged is dropped.
                tracing::error!("ingest of {} spooled files failed (will retry): {e}", paths.len());
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
        }
    }
}

/// `POST /api/v1/ingest`: a body of JSON lines, in any format `vigil ingest` reads.
/// Records an accepted ingest request: who sent how much, and where it was spooled. A batch
/// whose record cannot be written is refused.
fn audit_ingest(s: &Shared, who: &str, what: &str, lines: usize, bytes: usize, spool: &str) -> Result<(), ApiError> {
    let entry =
        vigil_store::AuditEntry::new(s.now_ms(), who, what, spool, "ok", &format!("{lines} events, {bytes} bytes"));
    vigil_queue::audit(&mut s.store()?, &entry)?;
    Ok(())
}

fn caller_name(c: &Option<axum::Extension<crate::authn::Caller>>) -> String {
    c.as_ref().map_or_else(
        || "anonymous".to_string(),
        |c| match &c.principal.via {
            vigil_auth::Via::Token(id) => format!("{} (token {id})", c.principal.username),
            _ => c.principal.username.clone(),
        },
    )
}

pub async fn json_lines(
    State(s): State<Shared>,
    caller: Option<axum::Extension<crate::authn::Caller>>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ApiError::bad_request("the body holds no events"));
    }
    if std::str::from_utf8(&body).is_err() {
        return Err(ApiError::bad_request("the body is not UTF-8 text (JSON lines)"));
    }
    let lines = body.split(|b| *b == b'\n').filter(|l| !l.iter().all(|b| b.is_ascii_whitespace())).count();
    let st = s.clone();
    let who = caller_name(&caller);
    let size = body.len();
    let name = tokio::task::spawn_blocking(move || {
        st.ingest.accept_recorded(&body, |name| audit_ingest(&st, &who, "ingest.http", lines, size, name))
    })
    .await
    .map_err(ApiError::internal)??;
    Ok((StatusCode::ACCEPTED, Json(json!({"accepted_lines": lines, "spool": name}))))
}

fn hec_reply(status: StatusCode, code: u8, text: &str, extra: Option<(&str, Value)>) -> Response {
    let mut v = json!({"text": text, "code": code});
    if let Some((k, x)) = extra {
        v[k] = x;
    }
    let mut r = (status, Json(v)).into_response();
    if status == StatusCode::SERVICE_UNAVAILABLE
        && let Ok(h) = axum::http::HeaderValue::from_str(&RETRY_AFTER_SECS.to_string())
    {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, h);
    }
    r
}

/// Reserves memory for an ingest body before it is read: its declared length, or the largest
/// body allowed when it declares none. When the ingest routes together already hold
/// [`crate::Config::ingest_memory_bytes`], the request is answered 503 with Retry-After (HEC's
/// "Server is busy", code 9, on the collector routes) without reading its body. Runs after the
/// access check, so only authorized callers reserve anything.
pub async fn reserve_memory(State(s): State<Shared>, req: axum::extract::Request, next: Next) -> Response {
    let max = s.config.max_body_bytes;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    let bytes = declared.unwrap_or(max).min(max);
    let kib = u32::try_from(bytes.div_ceil(1024).max(1)).unwrap_or(u32::MAX);
    match s.ingest_memory.clone().try_acquire_many_owned(kib) {
        Ok(permit) => {
            let r = next.run(req).await;
            drop(permit);
            r
        }
        Err(_) if req.uri().path().starts_with("/services/collector") => {
            hec_reply(StatusCode::SERVICE_UNAVAILABLE, 9, "Server is busy", None)
        }
        Err(_) => {
            ApiError::busy(RETRY_AFTER_SECS, "too many ingest bodies in flight; try again shortly").into_response()
        }
    }
}

/// `POST /services/collector/event`: Splunk's HTTP Event Collector protocol.
pub async fn hec(
    State(s): State<Shared>,
    caller: Option<axum::Extension<crate::authn::Caller>>,
    body: Bytes,
) -> Response {
    let receipt = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    let events = match vigil_decode::hec::events(&body, receipt) {
        Ok(e) if e.is_empty() => return hec_reply(StatusCode::BAD_REQUEST, 5, "No data", None),
        Ok(e) => e,
        Err(e) => {
            return hec_reply(
                StatusCode::BAD_REQUEST,
                6,
                "Invalid data format",
                Some(("invalid-event-number", json!(e.index))),
            );
        }
    };
    let mut text = events.join("\n");
    text.push('\n');
    let st = s.clone();
    let who = caller_name(&caller);
    let n = events.len();
    match tokio::task::spawn_blocking(move || {
        st.ingest.accept_recorded(text.as_bytes(), |name| audit_ingest(&st, &who, "ingest.hec", n, text.len(), name))
    })
    .await
    {
        Ok(Ok(_)) => hec_reply(StatusCode::OK, 0, "Success", None),
        Ok(Err(e)) if e.status == StatusCode::SERVICE_UNAVAILABLE => {
            hec_reply(StatusCode::SERVICE_UNAVAILABLE, 9, "Server is busy", None)
        }
        _ => hec_reply(StatusCode::INTERNAL_SERVER_ERROR, 8, "Internal server error", None),
    }
}

/// `GET /services/collector/health`.
pub async fn hec_health(State(s): State<Shared>) -> Response {
    if s.ingest.pending_bytes() > s.config.spool_limit_bytes {
        hec_reply(StatusCode::SERVICE_UNAVAILABLE, 9, "Server is busy", None)
    } else {
        hec_reply(StatusCode::OK, 17, "HEC is healthy", None)
    }
}
