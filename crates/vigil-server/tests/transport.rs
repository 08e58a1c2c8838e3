//! Ingest accounting and HEC details over the in-process router: the spool byte counter
//! stays exact for bodies without a trailing newline (F6), and HEC plain-text events without
//! a `time` are stamped with the receipt time and ingested, not quarantined (F12).
//!
//! Over a real listener on 127.0.0.1: a connection that stops mid-request is closed after the
//! header time-out, idle connections after the idle time-out, the connection cap holds new
//! connections until one closes (F3); anonymous refusals are counted into one audit summary per
//! window instead of a row each, and so are sign-ins refused while locked (F4). Over HTTPS: the
//! certificate is served and checked, HSTS is sent, plain HTTP gets no answer, and a renewed
//! certificate is picked up without a restart (curl checks it too).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use vigil_store::StateStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_without_a_trailing_newline_do_not_wrap_the_spool_counter() {
    let env = common::env_with(|c| c.spool_limit_bytes = 1 << 20);
    let okta = |i: usize| {
        format!(
            r#"{{"uuid": "u-{i}", "published": "2026-10-01T10:00:{:02}.000Z", "eventType": "user.session.start", "actor": {{"alternateId": "a{i}@x.com"}}, "outcome": {{"result": "SUCCESS"}}}}"#,
            i % 60
        )
    };
    for i in 0..3 {
        // No trailing newline: before the fix this counted n on arrival and n+1 on removal.
        let r = env
            .send(
                Request::builder()
                    .method("POST")
                    .uri("/api/v1/ingest")
                    .header(header::AUTHORIZATION, format!("Bearer {}", env.token("ingestor")))
                    .body(Body::from(okta(i)))
                    .unwrap(),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    let st = env.state.clone();
    tokio::task::spawn_blocking(move || st.ingest.shutdown()).await.unwrap();
    assert_eq!(env.state.ingest.pending_bytes(), 0, "the counter returns to exactly zero");
    assert_eq!(env.state.store().unwrap().event_count().unwrap(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_only_on_ingest_and_only_after_authentication() {
    let env = common::env_with(|_| {});
    let big = vec![b'a'; 1 << 20];
    // A public route refuses a body over the small limit (it was 32 MiB before, F2).
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(big.clone()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Without a token the ingest route answers 401 before the body is read.
    let r =
        env.send(Request::builder().method("POST").uri("/api/v1/ingest").body(Body::from(big.clone())).unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // With one, a large body is still accepted on ingest.
    let line = r#"{"uuid": "u-1", "published": "2026-10-01T10:00:01.000Z", "eventType": "user.session.start", "actor": {"alternateId": "a@x.com"}, "outcome": {"result": "SUCCESS"}}"#;
    let body: String = std::iter::repeat_n(format!("{line}\n"), 1000).collect();
    assert!(body.len() > 64 << 10);
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("ingestor")))
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
}

// ---- over a real listener -----------------------------------------------------------------

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Generous: only a broken server takes this long (tests never assert how fast it is).
const PATIENCE: Duration = Duration::from_secs(30);

/// Reads until the server closes the connection (EOF or reset); panics if it stays open.
async fn read_until_closed(s: &mut tokio::net::TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return,
                Err(e) => panic!("reading: {e}"),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server left the connection open");
    got
}

async fn health(addr: std::net::SocketAddr) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
    String::from_utf8_lossy(&read_until_closed(&mut s).await).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_that_stops_mid_request_line_is_closed_after_the_header_timeout() {
    let env = common::env_with(|c| {
        c.header_read_timeout = Duration::from_millis(300);
        c.idle_timeout = Duration::from_secs(600);
    });
    let server = common::listen(&env).await;
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(b"GET /api/v1/hea").await.unwrap();
    let answer = read_until_closed(&mut slow).await;
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"), "no request was served");
    // The server still answers everyone else.
    assert!(health(server.addr).await.starts_with("HTTP/1.1 200"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let env = common::env_with(|c| {
        c.header_read_timeout = Duration::from_secs(600);
        c.idle_timeout = Duration::from_millis(300);
    });
    let server = common::listen(&env).await;
    // A connection that never sends a byte.
    let mut silent = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    assert!(read_until_closed(&mut silent).await.is_empty());
    // A keep-alive connection after one answered request.
    let mut kept = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    kept.write_all(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut kept).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_the_connection_cap_a_new_connection_waits_until_one_closes() {
    let env = common::env_with(|c| {
        c.max_connections = 2;
        c.header_read_timeout = Duration::from_secs(600);
        c.idle_timeout = Duration::from_secs(600);
    });
    let server = common::listen(&env).await;
    let first = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    // Both slots are held by connections that send nothing: a health probe is not accepted...
    let addr = server.addr;
    let mut probe = tokio::spawn(async move { health(addr).await });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut probe).await.is_err(),
        "a third connection was served while two idle ones held the cap"
    );
    // ...until one of them closes; then it is, without the client retrying.
    drop(first);
    let answer = tokio::time::timeout(PATIENCE, probe).await.expect("the probe is served once a slot frees").unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Shutting down does not wait for the idle connection's time-outs.
    server.stop().await;
}

fn leading_count(detail: &str) -> u64 {
    detail.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no count in {detail}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_denials_are_counted_into_a_summary_not_a_row_each() {
    let env = common::env();
    let server = common::listen(&env).await;
    let before = env.state.store().unwrap().audit_len().unwrap();
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build_http::<Body>();
    let post = |token: Option<&str>| {
        let mut b = Request::builder().method("POST").uri(format!("http://{}/api/v1/triage", server.addr));
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        b.body(Body::empty()).unwrap()
    };
    for _ in 0..500 {
        let r = client.request(post(None)).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let added = env.state.store().unwrap().audit_len().unwrap() - before;
    assert!(added <= 3, "500 anonymous refusals added {added} audit rows");
    assert_eq!(env.state.denials.pending(), 500);
    // A signed-in caller's refusal is still one row each.
    for _ in 0..3 {
        let r = client.request(post(Some(env.token("executive")))).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    server.stop().await;
    // Stopping wrote what was counted.
    assert_eq!(env.state.denials.pending(), 0);
    let audit = env.state.store().unwrap().audit(100_000).unwrap();
    let summaries: Vec<_> = audit
        .iter()
        .filter(|e| e.action == "http.denied" && e.actor == "anonymous" && e.target == "POST /api/v1/triage")
        .collect();
    assert!(!summaries.is_empty() && summaries.len() <= 3, "{} summaries", summaries.len());
    assert_eq!(summaries.iter().map(|e| leading_count(&e.detail)).sum::<u64>(), 500);
    assert!(summaries.iter().all(|e| e.detail.contains("from 127.0.0.1")), "{:?}", summaries[0].detail);
    let signed_in = audit.iter().filter(|e| e.action == "http.denied" && e.actor == "executive").count();
    assert_eq!(signed_in, 3);
}

/// The outcomes of the `hunt.query` audit rows so far.
fn hunt_outcomes(env: &common::Env) -> Vec<String> {
    let audit = env.state.store().unwrap().audit(100_000).unwrap();
    audit.iter().filter(|e| e.action == "hunt.query").map(|e| e.result.clone()).collect()
}

/// Sends an endless hunt as the analyst on a raw connection and returns it, the request sent.
async fn endless_hunt(env: &common::Env, addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let body = r#"{"sql":"SELECT count(*) FROM generate_series(1,10000000000000)"}"#;
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/events/query HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        env.token("analyst"),
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hunt_stops_when_its_client_goes_and_when_the_server_stops() {
    let env = common::env();
    let server = common::listen(&env).await;
    // The client gives up: the query is cancelled, not left running to its 30 s limit.
    let client = endless_hunt(&env, server.addr).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    drop(client);
    let outcomes = tokio::time::timeout(PATIENCE, async {
        loop {
            let o = hunt_outcomes(&env);
            if !o.is_empty() {
                return o;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .expect("the abandoned hunt ends");
    // Before cancellation existed it ran on and was recorded as stopped by the time limit.
    assert_eq!(outcomes, ["cancelled"]);

    // Stopping the server cancels a hunt in flight; its client gets an answer, not a hang.
    let mut waiting = endless_hunt(&env, server.addr).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.stop().await;
    let answer = String::from_utf8_lossy(&read_until_closed(&mut waiting).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 429"), "{answer}");
    assert_eq!(hunt_outcomes(&env), ["cancelled", "cancelled"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_refused_while_locked_are_summarized_and_windows_roll_over() {
    let env = common::env_with(|c| c.denial_window = Duration::from_secs(3600));
    let login = |password: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(serde_json::json!({"username": "analyst", "password": password}).to_string()))
            .unwrap()
    };
    for _ in 0..5 {
        assert_eq!(env.send(login("wrong password!")).await.status(), StatusCode::UNAUTHORIZED);
    }
    for _ in 0..40 {
        assert_eq!(env.send(login("wrong password!")).await.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    let fails = |result: &str| {
        env.state
            .store()
            .unwrap()
            .audit(100_000)
            .unwrap()
            .into_iter()
            .filter(|e| e.action == "login.fail" && e.actor == "analyst" && e.result == result)
            .collect::<Vec<_>>()
    };
    // Each failure before the lock is on the record; the refusals while locked are counted.
    assert_eq!(fails("bad_credentials").len(), 5);
    assert!(fails("locked").is_empty());
    assert_eq!(env.state.denials.pending(), 40);
    env.state.denials.flush_all(&env.state);
    let locked = fails("locked");
    assert_eq!(locked.len(), 1);
    assert!(locked[0].detail.contains("40 attempts"), "{}", locked[0].detail);

    // A refusal after its window ends writes the window's summary and starts a new count.
    let d = vigil_server::authn::Denials::new(Duration::from_millis(1000));
    let key = vigil_server::authn::DenialKey {
        action: "http.denied",
        actor: "anonymous".into(),
        target: "POST /api/v1/triage".into(),
        result: "denied",
        source: "192.0.2.9".into(),
        why: "not signed in".into(),
    };
    let before = env.state.store().unwrap().audit_len().unwrap();
    let t0 = vigil_server::now_ms();
    for i in 0..10 {
        d.count(&env.state, key.clone(), t0 + i);
    }
    assert_eq!(env.state.store().unwrap().audit_len().unwrap(), before);
    d.count(&env.state, key.clone(), t0 + 1000);
    assert_eq!(env.state.store().unwrap().audit_len().unwrap(), before + 1);
    assert_eq!(d.pending(), 1);
    let last = env.state.store().unwrap().audit(100_000).unwrap().pop().unwrap();
    assert_eq!(leading_count(&last.detail), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_bodies_in_memory_are_bounded_across_callers() {
    let env = common::env_with(|c| c.ingest_memory_bytes = 1 << 20);
    let server = common::listen(&env).await;
    let line = r#"{"uuid": "u-1", "published": "2026-10-01T10:00:01.000Z", "eventType": "user.session.start", "actor": {"alternateId": "a@x.com"}, "outcome": {"result": "SUCCESS"}}"#;
    let mut body = String::new();
    while body.len() < 800_000 {
        body.push_str(line);
        body.push('\n');
    }
    let token = env.token("ingestor").to_string();
    let head = |len: usize, path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
        )
    };
    // A slow sender declares 800 kB and sends a little: its reservation is held.
    let mut slow = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    slow.write_all(head(body.len(), "/api/v1/ingest").as_bytes()).await.unwrap();
    slow.write_all(&body.as_bytes()[..1000]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another 300 kB body would pass the 1 MiB budget: refused before it is read.
    let mut second = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    second.write_all(head(300_000, "/api/v1/ingest").as_bytes()).await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut second).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("retry-after:"), "{answer}");
    // HEC callers get HEC's own busy answer.
    let hec = format!("Authorization: Splunk {token}");
    let mut third = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    third
        .write_all(
            head(300_000, "/services/collector/event")
                .replace(&format!("Authorization: Bearer {token}"), &hec)
                .as_bytes(),
        )
        .await
        .unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut third).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("\"code\":9"), "{answer}");
    // The slow body completes and is accepted; its reservation is given back.
    slow.write_all(&body.as_bytes()[1000..]).await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut slow).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    let mut again = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    again.write_all(head(line.len() + 1, "/api/v1/ingest").as_bytes()).await.unwrap();
    again.write_all(format!("{line}\n").as_bytes()).await.unwrap();
    let answer = String::from_utf8_lossy(&read_until_closed(&mut again).await).to_string();
    assert!(answer.starts_with("HTTP/1.1 202"), "{answer}");
    server.stop().await;
}

// ---- TLS ----------------------------------------------------------------------------------

/// A self-signed certificate for `name` and its key, written as PEM files in `dir`.
fn write_certificate(dir: &std::path::Path, name: &str) -> (vigil_server::tls::TlsFiles, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
    let files = vigil_server::tls::TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
    // Written beside and renamed, as a certificate renewal would, so no reload sees half a file.
    std::fs::write(dir.join("cert.pem.new"), cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem.new"), key.serialize_pem()).unwrap();
    std::fs::rename(dir.join("key.pem.new"), &files.key).unwrap();
    std::fs::rename(dir.join("cert.pem.new"), &files.cert).unwrap();
    (files, cert.pem())
}

/// A TLS client that trusts only `ca_pem` and expects the server to be `name`.
async fn https_get(
    addr: std::net::SocketAddr,
    name: &str,
    ca_pem: &str,
    path: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c?)?;
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let server_name = rustls::pki_types::ServerName::try_from(name.to_string())?;
    let mut tls = tokio::time::timeout(PATIENCE, connector.connect(server_name, tcp)).await??;
    tls.write_all(format!("GET {path} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut got = Vec::new();
    tokio::time::timeout(PATIENCE, tls.read_to_end(&mut got)).await??;
    Ok(String::from_utf8_lossy(&got).to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_with_hsts_refuses_plain_http_and_picks_up_a_renewed_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let (files, first_pem) = write_certificate(certs.path(), "vigil.test");
    let env = common::env_with(|c| {
        c.tls = Some(files.clone());
        c.tls_reload_every = Duration::from_millis(200);
    });
    let server = common::listen(&env).await;

    let answer = https_get(server.addr, "vigil.test", &first_pem, "/api/v1/health").await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("strict-transport-security: max-age=31536000"), "{answer}");
    // The certificate is checked by the client: another name is refused.
    assert!(https_get(server.addr, "other.test", &first_pem, "/api/v1/health").await.is_err());

    // Plain HTTP on the HTTPS port gets no answer, only a closed connection.
    let plain = health(server.addr).await;
    assert!(!plain.contains("200 OK"), "{plain}");

    // A renewed certificate (new key) is served without a restart; the old one is no longer.
    let (_, second_pem) = write_certificate(certs.path(), "vigil.test");
    let renewed = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Ok(a) = https_get(server.addr, "vigil.test", &second_pem, "/api/v1/health").await {
                return a;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the renewed certificate is served");
    assert!(renewed.starts_with("HTTP/1.1 200"), "{renewed}");
    assert!(https_get(server.addr, "vigil.test", &first_pem, "/api/v1/health").await.is_err());

    // A broken renewal keeps the last good certificate.
    std::fs::write(&files.cert, b"-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    let still = https_get(server.addr, "vigil.test", &second_pem, "/api/v1/health").await.unwrap();
    assert!(still.starts_with("HTTP/1.1 200"), "{still}");

    // curl, as an operator would check it, trusting only this certificate.
    if which_curl() {
        std::fs::write(certs.path().join("ca.pem"), &second_pem).unwrap();
        let out = std::process::Command::new("curl")
            .args(["-sS", "-D", "-", "-o", "/dev/null", "--cacert"])
            .arg(certs.path().join("ca.pem"))
            .args(["--resolve", &format!("vigil.test:{}:127.0.0.1", server.addr.port())])
            .arg(format!("https://vigil.test:{}/api/v1/health", server.addr.port()))
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        assert!(out.status.success(), "curl: {}", String::from_utf8_lossy(&out.stderr));
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("strict-transport-security"), "{head}");
    }
    server.stop().await;
}

/// Whether `curl` is on the PATH; where the tools are required (CI), its absence fails.
fn which_curl() -> bool {
    let found = std::process::Command::new("curl").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("VIGIL_REQUIRE_TOOLS").is_none(), "VIGIL_REQUIRE_TOOLS is set but curl is missing");
        eprintln!("skipping the curl check: curl is not on the PATH");
    }
    found
}
