//! Shared set-up for the server tests: a data directory with one user and one API token per
//! role, and requests driven through the router in process.
#![allow(dead_code)]

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use tower::ServiceExt;
use vigil_auth::{Auth, Role};
use vigil_server::{AppState, Config, Shared};

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Env {
    pub dir: tempfile::TempDir,
    pub state: Shared,
    /// Role name → API token secret.
    pub tokens: Vec<(String, String)>,
}

pub fn now() -> i64 {
    vigil_server::now_ms()
}

pub fn env_with(f: impl FnOnce(&mut Config)) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::new(dir.path());
    f(&mut config);
    let state = AppState::new(config).unwrap();
    let mut store = state.store().unwrap();
    let mut auth = Auth::new(&mut store);
    auth.ensure_admin("admin", PASSWORD, now()).unwrap();
    let mut tokens = Vec::new();
    for role in Role::ALL {
        let name = role.as_str().to_string();
        let (owner, roles) = if role == Role::Admin {
            ("admin".to_string(), vec![Role::Admin])
        } else if role.for_people() {
            let user = name.replace('_', "-");
            auth.create_user("admin", &user, &name, &[role], PASSWORD, now()).unwrap();
            (user, vec![role])
        } else {
            ("admin".to_string(), vec![role])
        };
        // Each person mints their own token: one minted by the admin would be the admin's to use
        // (four eyes refuses it as the approver of the admin's request).
        let (secret, _) = auth.create_token(&owner, &format!("{name} token"), &roles, None, &owner, now()).unwrap();
        tokens.push((name, secret));
    }
    drop(store);
    Env { dir, state, tokens }
}

pub fn env() -> Env {
    env_with(|_| {})
}

impl Env {
    pub fn token(&self, role: &str) -> &str {
        &self.tokens.iter().find(|(r, _)| r == role).unwrap().1
    }

    pub async fn send(&self, mut req: Request<Body>) -> Response<Body> {
        req.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        vigil_server::router(self.state.clone()).oneshot(req).await.unwrap()
    }
}

pub async fn body_json(r: Response<Body>) -> serde_json::Value {
    let b = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
    serde_json::from_slice(&b).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&b)))
}

pub async fn body_text(r: Response<Body>) -> String {
    let b = axum::body::to_bytes(r.into_body(), 64 << 20).await.unwrap();
    String::from_utf8_lossy(&b).to_string()
}

/// Simulates a small company, ingests it with the built-in rules and behavioral detections,
/// loads its inventory and triages it: the store then holds alerts, incidents and cases.
pub fn simulated_company(env: &Env, seed: u64, users: u32, days: u32) {
    let sim = tempfile::tempdir().unwrap();
    vigil_sim::simulate(
        &vigil_sim::SimConfig {
            seed,
            users,
            days,
            start: vigil_sim::SimConfig::fixed_start(),
            ..vigil_sim::SimConfig::default()
        },
        sim.path(),
    )
    .unwrap();
    let logs: Vec<std::path::PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    let mut pack = vigil_detect::RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    let opts = vigil_pipeline::IngestOptions {
        detector: Some(std::sync::Arc::new(vigil_detect::Detector::new(
            &pack,
            vigil_detect::DetectorOptions::default(),
        ))),
        behavior: vigil_behavior::builtin().ok(),
        ..vigil_pipeline::IngestOptions::default()
    };
    vigil_pipeline::ingest(env.state.app.dir(), &logs, &opts).unwrap();
    let mut store = env.state.store().unwrap();
    let inv = std::fs::read_to_string(sim.path().join("inventory.json")).unwrap();
    vigil_queue::load_inventory(&mut store, &inv, "test", now()).unwrap();
    vigil_queue::run(&mut store, now()).unwrap();
}

/// Grants the auditor one case for an hour.
pub fn grant_auditor(env: &Env, case: &str) {
    let mut store = env.state.store().unwrap();
    let now = now();
    Auth::new(&mut store)
        .grant("admin", "auditor", &[case.to_string()], now - 86_400_000, now + 86_400_000, now + 3_600_000, now)
        .unwrap();
}

/// A server on a real listener, stopped by [`Listening::stop`].
pub struct Listening {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Serves `env` on `addr` (`127.0.0.1:0` for any free port) until [`Listening::stop`].
pub async fn listen_on(env: &Env, addr: SocketAddr) -> Listening {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(vigil_server::serve_until(env.state.clone(), addr, Some(ready_tx), async {
        let _ = stop_rx.await;
    }));
    Listening { addr: ready_rx.await.unwrap(), stop: Some(stop_tx), server }
}

/// [`listen_on`] a free loopback port.
pub async fn listen(env: &Env) -> Listening {
    listen_on(env, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

impl Listening {
    /// Stops the server and waits until it has returned (requests finished, spool ingested);
    /// panics if that takes more than half a minute or the server failed.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        tokio::time::timeout(std::time::Duration::from_secs(30), self.server)
            .await
            .expect("the server stops")
            .unwrap()
            .unwrap();
    }
}

/// Signs `user` in with the shared password (see [`login_with`]).
pub async fn login(env: &Env, user: &str) -> (String, String) {
    login_with(env, user, PASSWORD).await
}

/// Signs `user` in: the session cookie (`name=value`) and the CSRF token. The cookie must carry
/// HttpOnly, Secure, SameSite=Strict and Path=/.
pub async fn login_with(env: &Env, user: &str, password: &str) -> (String, String) {
    use axum::http::{StatusCode, header};
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/session")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(serde_json::json!({"username": user, "password": password}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    for flag in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing from {cookie}");
    }
    let v = body_json(r).await;
    (cookie.split(';').next().unwrap().to_string(), v["csrf_token"].as_str().unwrap().to_string())
}

/// A GET with a bearer token.
pub fn get_as(token: &str, uri: &str) -> Request<Body> {
    Request::builder()
        .uri(uri)
        .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}
