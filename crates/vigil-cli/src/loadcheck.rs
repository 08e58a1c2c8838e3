//! `vigil bench serve`: a bounded load check of `vigil serve` on 127.0.0.1 only. It starts the
//! server in this process on the given data directory (a copy of the demo's, say), signs in N
//! clients with a fresh API token each, and has each loop over the main API routes and the HEC
//! endpoint on a keep-alive connection until the time is up; then it stops everything by itself
//! and reports requests per second, latency percentiles and errors per route.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use vigil_auth::{Auth, Role};

/// One HTTP/1.1 request on a keep-alive connection; returns the status. The server always
/// answers with a Content-Length.
async fn request(s: &mut TcpStream, buf: &mut Vec<u8>, head: &str, body: &[u8]) -> Result<u16> {
    s.write_all(head.as_bytes()).await?;
    s.write_all(body).await?;
    buf.clear();
    let mut tmp = [0u8; 16384];
    let (header_end, len) = loop {
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            bail!("connection closed");
        }
        buf.extend_from_slice(&tmp[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..p]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)))
                .unwrap_or(0);
            break (p + 4, len);
        }
    };
    while buf.len() < header_end + len {
        let n = s.read(&mut tmp).await?;
        if n == 0 {
            bail!("connection closed mid-body");
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let status = std::str::from_utf8(&buf[9..12]).ok().and_then(|s| s.parse().ok()).unwrap_or(0);
    buf.drain(..header_end + len);
    Ok(status)
}

#[derive(Default)]
struct RouteStats {
    latencies_us: Vec<u64>,
    errors: u64,
    statuses: BTreeMap<u16, u64>,
}

fn pct(v: &[u64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)] as f64 / 1000.0
}

pub fn run(data_dir: &Path, clients: usize, seconds: u64, json_out: bool) -> Result<()> {
    if clients == 0 || clients > 256 || seconds == 0 || seconds > 600 {
        bail!("--clients must be 1–256 and --seconds 1–600");
    }
    let dir = vigil_pipeline::DataDir::new(data_dir);
    let mut store = dir.open_store()?;
    let now = crate::queue::now_ms();
    let mut auth = Auth::new(&mut store);
    if auth.users()?.is_empty() {
        auth.ensure_admin("admin", &vigil_auth::random_password(), now)?;
    }
    let admin =
        auth.users()?.into_iter().find(|u| u.roles.contains(&Role::Admin)).context("no administrator")?.username;
    let expires = Some(now + 3_600_000);
    let (reader, _) = auth.create_token(&admin, "load check (reader)", &[Role::Admin], expires, "bench", now)?;
    let (shipper, _) = auth.create_token(&admin, "load check (shipper)", &[Role::Ingestor], expires, "bench", now)?;
    drop(store);

    let mut config = vigil_server::Config::new(data_dir);
    config.secure_cookies = true;
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let result = rt.block_on(async move {
        let state = vigil_server::AppState::new(config).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(vigil_server::serve_until(state.clone(), SocketAddr::from(([127, 0, 0, 1], 0)), Some(ready_tx), async {
            let _ = stop_rx.await;
        }));
        let addr = ready_rx.await.context("the server did not start")?;
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for client in 0..clients {
            let (reader, shipper) = (reader.clone(), shipper.clone());
            tasks.push(tokio::spawn(async move {
                let mut stats: BTreeMap<&'static str, RouteStats> = BTreeMap::new();
                let mut s = TcpStream::connect(addr).await?;
                s.set_nodelay(true)?;
                let mut buf = Vec::new();
                let mut i: u64 = 0;
                while Instant::now() < deadline {
                    i += 1;
                    let (name, head, body): (&'static str, String, Vec<u8>) = match i % 4 {
                        0 => {
                            let events: String = (0..10)
                                .map(|k| {
                                    json!({"event": {"uuid": format!("load-{client}-{i}-{k}"), "published": "2026-11-01T12:00:00.000Z",
                                        "eventType": "user.session.start", "actor": {"alternateId": format!("load{client}@example.com")},
                                        "outcome": {"result": "SUCCESS"}}})
                                    .to_string()
                                })
                                .collect::<Vec<_>>()
                                .join("\n");
                            let head = format!(
                                "POST /services/collector/event HTTP/1.1\r\nHost: vigil\r\nAuthorization: Splunk {shipper}\r\nContent-Length: {}\r\n\r\n",
                                events.len()
                            );
                            ("POST /services/collector/event (10 events)", head, events.into_bytes())
                        }
                        1 => ("GET /api/v1/incidents", format!("GET /api/v1/incidents?limit=50 HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer {reader}\r\n\r\n"), Vec::new()),
                        2 => ("GET /api/v1/cases", format!("GET /api/v1/cases?limit=50 HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer {reader}\r\n\r\n"), Vec::new()),
                        _ => ("GET /api/v1/alerts", format!("GET /api/v1/alerts?limit=50 HTTP/1.1\r\nHost: vigil\r\nAuthorization: Bearer {reader}\r\n\r\n"), Vec::new()),
                    };
                    let t = Instant::now();
                    let r = request(&mut s, &mut buf, &head, &body).await;
                    let st = stats.entry(name).or_default();
                    st.latencies_us.push(t.elapsed().as_micros() as u64);
                    match r {
                        Ok(code) => {
                            *st.statuses.entry(code).or_default() += 1;
                            if !(200..300).contains(&code) {
                                st.errors += 1;
                            }
                        }
                        Err(_) => {
                            st.errors += 1;
                            s = TcpStream::connect(addr).await?;
                        }
                    }
                }
                anyhow::Ok(stats)
            }));
        }
        let started = Instant::now();
        let mut all: BTreeMap<&'static str, RouteStats> = BTreeMap::new();
        for t in tasks {
            for (k, v) in t.await.context("client task")?? {
                let e = all.entry(k).or_default();
                e.latencies_us.extend(v.latencies_us);
                e.errors += v.errors;
                for (c, n) in v.statuses {
                    *e.statuses.entry(c).or_default() += n;
                }
            }
        }
        let elapsed = started.elapsed().as_secs_f64().max(seconds as f64);
        let _ = stop_tx.send(());
        server.await.context("server task")??;
        anyhow::Ok((all, elapsed, state.ingest.ingested_events.load(std::sync::atomic::Ordering::Relaxed)))
    })?;
    let (mut all, elapsed, ingested) = result;
    let mut rows = Vec::new();
    let mut total = RouteStats::default();
    for (name, st) in all.iter_mut() {
        st.latencies_us.sort_unstable();
        total.latencies_us.extend(&st.latencies_us);
        total.errors += st.errors;
        rows.push(json!({"route": name, "requests": st.latencies_us.len(), "rps": st.latencies_us.len() as f64 / elapsed,
            "p50_ms": pct(&st.latencies_us, 0.5), "p99_ms": pct(&st.latencies_us, 0.99), "errors": st.errors, "statuses": st.statuses}));
    }
    total.latencies_us.sort_unstable();
    let summary = json!({"clients": clients, "seconds": elapsed, "requests": total.latencies_us.len(),
        "rps": total.latencies_us.len() as f64 / elapsed, "p50_ms": pct(&total.latencies_us, 0.5), "p99_ms": pct(&total.latencies_us, 0.99),
        "errors": total.errors, "events_ingested_over_hec": ingested, "routes": rows});
    if json_out {
        println!("{}", serde_json::to_string_pretty(&summary)?);
        return Ok(());
    }
    println!(
        "{clients} clients × {elapsed:.0} s on 127.0.0.1: {} requests, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms, {} errors; {ingested} events ingested over HEC",
        total.latencies_us.len(),
        total.latencies_us.len() as f64 / elapsed,
        pct(&total.latencies_us, 0.5),
        pct(&total.latencies_us, 0.99),
        total.errors
    );
    for r in &rows {
        println!(
            "  {:<46} {:>7} req {:>8.1} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  {}",
            r["route"].as_str().unwrap_or(""),
            r["requests"],
            r["rps"].as_f64().unwrap_or(0.0),
            r["p50_ms"].as_f64().unwrap_or(0.0),
            r["p99_ms"].as_f64().unwrap_or(0.0),
            r["errors"],
            r["statuses"]
        );
    }
    Ok(())
}
