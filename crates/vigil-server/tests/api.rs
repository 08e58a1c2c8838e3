//! The API and its guards end to end, in process: sessions and their cookie, CSRF, the login
//! limit, security headers, JSON errors, pagination, tokens shown once, secrets kept out of the
//! audit log and the server log, the auditor's scope, HEC and JSON-lines ingest with
//! back-pressure, and a graceful shutdown that ingests everything it acknowledged.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{PASSWORD, body_json, body_text};
use serde_json::json;
use vigil_server::authn::DENIED_HEADER;
use vigil_store::StateStore;

fn json_req(method: &str, uri: &str, v: &serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(v.to_string()))
        .unwrap()
}

async fn login(env: &common::Env, user: &str, password: &str) -> (String, String) {
    common::login_with(env, user, password).await
}

/// Captures what the server logs.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);
impl Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_csrf_limits_headers_errors_and_no_secret_in_any_log() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber =
        tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(move || sink.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let env = common::env();
    let (cookie, csrf) = login(&env, "analyst", PASSWORD).await;

    // Security headers on every answer, errors as JSON with a code.
    let r = env.send(Request::builder().uri("/api/v1/nothing-here").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let csp = r.headers().get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap().to_string();
    assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(r.headers().get(header::X_FRAME_OPTIONS).unwrap(), "DENY");
    let v = body_json(r).await;
    assert_eq!(v["error"]["code"], "not_found");

    // A session changes state only with its CSRF token.
    let triage = |with: Option<&str>| {
        let mut b = Request::builder().method("POST").uri("/api/v1/triage").header(header::COOKIE, cookie.clone());
        if let Some(t) = with {
            b = b.header("x-csrf-token", t);
        }
        b.body(Body::empty()).unwrap()
    };
    let r = env.send(triage(None)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.headers().get(DENIED_HEADER).unwrap(), "csrf");
    let r = env.send(triage(Some("0000"))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = env.send(triage(Some(&csrf))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(r).await);
    // Reading needs no CSRF token; a form post without one is refused too.
    let r = env
        .send(Request::builder().uri("/api/v1/me").header(header::COOKIE, cookie.clone()).body(Body::empty()).unwrap())
        .await;
    assert_eq!(body_json(r).await["username"], "analyst");
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/hunt")
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("sql=SELECT+1"))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/hunt")
                .header(header::COOKIE, cookie.clone())
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("sql=SELECT+1+AS+one&csrf={csrf}")))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Hunting is read-only: statements that write are refused.
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/events/query")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("analyst")))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"sql": "COPY (SELECT 1) TO '/tmp/vigil-copy-test.csv'"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(!std::path::Path::new("/tmp/vigil-copy-test.csv").exists());

    // A session lapses after 30 idle minutes (the server's clock moved, not slept).
    let (idle_cookie, _) = login(&env, "approver", PASSWORD).await;
    let me = |c: &str| {
        Request::builder().uri("/api/v1/me").header(header::COOKIE, c.to_string()).body(Body::empty()).unwrap()
    };
    assert_eq!(env.send(me(&idle_cookie)).await.status(), StatusCode::OK);
    env.state.app.advance_clock_ms(31 * 60_000);
    assert_eq!(env.send(me(&idle_cookie)).await.status(), StatusCode::UNAUTHORIZED);
    env.state.app.advance_clock_ms(-31 * 60_000);
    assert_eq!(env.send(me(&idle_cookie)).await.status(), StatusCode::UNAUTHORIZED, "a lapsed session stays ended");

    // A person changes their own password: the wrong current one is refused; the change ends
    // their sessions, and only the new password signs in.
    let (exec_cookie, exec_csrf) = login(&env, "executive", PASSWORD).await;
    let change = |current: &str, new: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/me/password")
            .header(header::COOKIE, exec_cookie.clone())
            .header("x-csrf-token", exec_csrf.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"current": current, "new": new}).to_string()))
            .unwrap()
    };
    assert_eq!(env.send(change("not my password!", "a brand new passphrase")).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(env.send(change(PASSWORD, "short")).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(env.send(change(PASSWORD, "a brand new passphrase")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(env.send(me(&exec_cookie)).await.status(), StatusCode::UNAUTHORIZED);
    let r =
        env.send(json_req("POST", "/api/v1/session", &json!({"username": "executive", "password": PASSWORD}))).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    login(&env, "executive", "a brand new passphrase").await;

    // Signing out ends the session.
    let r = env
        .send(
            Request::builder()
                .method("DELETE")
                .uri("/api/v1/session")
                .header(header::COOKIE, cookie.clone())
                .header("x-csrf-token", &csrf)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = env
        .send(Request::builder().uri("/api/v1/me").header(header::COOKIE, cookie.clone()).body(Body::empty()).unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Five wrong passwords lock the user name; the sixth try is refused with Retry-After, even
    // with the right password.
    for _ in 0..5 {
        let r = env
            .send(json_req(
                "POST",
                "/api/v1/session",
                &json!({"username": "responder", "password": "wrong password 123"}),
            ))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r =
        env.send(json_req("POST", "/api/v1/session", &json!({"username": "responder", "password": PASSWORD}))).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());

    // A token is shown once: the list never carries it.
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/tokens")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("admin")))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"name": "fluent-bit", "roles": ["ingestor"], "days": 30}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let secret = body_json(r).await["token"].as_str().unwrap().to_string();
    let r = env
        .send(
            Request::builder()
                .uri("/api/v1/tokens?limit=2")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("admin")))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let list = body_json(r).await;
    assert_eq!(list["limit"], 2);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    assert!(list["total"].as_u64().unwrap() >= 9);
    // Use the new token once, through HEC.
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/services/collector/event")
                .header(header::AUTHORIZATION, format!("Splunk {secret}"))
                .body(Body::from(r#"{"event": {"uuid": "e-1", "published": "2026-10-01T10:00:00.000Z", "eventType": "user.session.start", "actor": {"alternateId": "a@x.com"}}}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // No secret in the audit log, the documents or the server's own log.
    let store = env.state.store().unwrap();
    let audit = serde_json::to_string(&store.audit(100_000).unwrap()).unwrap();
    let docs: String = ["user", "token", "session"]
        .iter()
        .map(|k| serde_json::to_string(&store.documents(k).unwrap()).unwrap())
        .collect();
    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    let session_secret = cookie.split_once('=').unwrap().1.to_string();
    for s in [
        PASSWORD,
        "a brand new passphrase",
        secret.as_str(),
        session_secret.as_str(),
        csrf.as_str(),
        env.token("admin"),
    ] {
        assert!(!audit.contains(s), "a secret is in the audit log");
        assert!(!logged.contains(s), "a secret is in the server log");
    }
    assert!(!docs.contains(PASSWORD) && !docs.contains(&secret) && !docs.contains(&session_secret));
    // But what happened is there.
    for action in
        ["login.ok", "login.fail", "http.denied", "token.create", "session.end", "ingest.hec", "triage.request"]
    {
        assert!(audit.contains(action), "{action} missing from the audit log");
    }
    env.state.ingest.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auditors_see_only_their_granted_case_and_every_view_is_recorded() {
    let env = common::env();
    // Two cases from a small simulated company.
    common::simulated_company(&env, 5, 40, 5);
    let cases = vigil_queue::cases(&env.state.store().unwrap()).unwrap();
    assert!(cases.len() >= 2, "{} cases", cases.len());
    let (granted, other) = (cases[0].id.clone(), cases[1].id.clone());
    common::grant_auditor(&env, &granted);

    let (cookie, _) = login(&env, "auditor", PASSWORD).await;
    let get =
        |uri: &str| Request::builder().uri(uri).header(header::COOKIE, cookie.clone()).body(Body::empty()).unwrap();
    let v = body_json(env.send(get("/api/v1/auditor/cases")).await).await;
    let ids: Vec<&str> = v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![granted.as_str()]);
    assert_eq!(env.send(get(&format!("/api/v1/auditor/cases/{granted}"))).await.status(), StatusCode::OK);
    let r = env.send(get(&format!("/api/v1/auditor/cases/{other}"))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(r).await["error"]["code"], "not_granted");
    // The web portal says the same, and the queue is not theirs.
    assert!(body_text(env.send(get("/auditor")).await).await.contains(&granted));
    assert_eq!(env.send(get(&format!("/auditor/cases/{other}"))).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(env.send(get("/api/v1/cases")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(env.send(get(&format!("/cases/{granted}"))).await.status(), StatusCode::FORBIDDEN);
    let store = env.state.store().unwrap();
    let views: Vec<_> = store.audit(1000).unwrap().into_iter().filter(|e| e.action == "custody.view").collect();
    assert!(views.iter().any(|e| e.target == granted && e.result == "ok"));
    assert!(views.iter().any(|e| e.target == other && e.result == "denied"));
    env.state.ingest.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packets_are_exported_downloaded_and_verified_and_every_touch_is_custody() {
    let env = common::env();
    common::simulated_company(&env, 5, 40, 5);
    let cases = vigil_queue::cases(&env.state.store().unwrap()).unwrap();
    let (case, other) = (cases[0].id.clone(), cases[1].id.clone());
    let bearer = |role: &str, method: &str, uri: &str| {
        Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", env.token(role)))
            .body(Body::empty())
            .unwrap()
    };
    // A case that does not exist is a 404 (it answered 500 before the API fuzzing found it).
    let r = env.send(bearer("analyst", "POST", "/api/v1/cases/0/export")).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // An analyst exports the packet; it lands in the vault.
    let r = env.send(bearer("analyst", "POST", &format!("/api/v1/cases/{case}/export"))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ex = body_json(r).await;
    let sha = ex["sha256"].as_str().unwrap().to_string();
    assert!(ex["log_records"].as_u64().unwrap() > 0);
    let ev = body_json(env.send(bearer("analyst", "GET", &format!("/api/v1/cases/{case}/evidence"))).await).await;
    assert_eq!(ev["items"][0]["sha256"], sha.as_str());
    assert!(ev["custody"].as_array().unwrap().iter().any(|e| e["action"] == "custody.export"));
    // Downloaded, it verifies offline with the published key.
    let r = env.send(bearer("analyst", "GET", &format!("/api/v1/cases/{case}/evidence/{sha}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["x-vigil-sha256"], sha.as_str());
    let bytes = axum::body::to_bytes(r.into_body(), usize::MAX).await.unwrap();
    let key =
        body_json(env.send(Request::builder().uri("/api/v1/ledger/public-key").body(Body::empty()).unwrap()).await)
            .await;
    let report = vigil_evidence::packet::verify_packet(&bytes, key["public_key_hex"].as_str(), &[]);
    assert!(report.ok(), "{:?}", report.problems);
    // A packet of one case cannot be fetched through another.
    let r = env.send(bearer("analyst", "GET", &format!("/api/v1/cases/{other}/evidence/{sha}"))).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // The auditor sees the granted case's evidence, and nothing of another case.
    common::grant_auditor(&env, &case);
    let r = env.send(bearer("auditor", "GET", &format!("/api/v1/auditor/cases/{case}/evidence"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = env.send(bearer("auditor", "GET", &format!("/api/v1/auditor/cases/{case}/evidence/{sha}"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = env.send(bearer("auditor", "GET", &format!("/api/v1/auditor/cases/{other}/evidence"))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        env.send(bearer("auditor", "GET", &format!("/api/v1/cases/{case}/evidence/{sha}"))).await.status(),
        StatusCode::FORBIDDEN
    );
    // Every touch is a custody event in the ledger, and the ledger verifies.
    let store = env.state.store().unwrap();
    let log = store.audit(10_000).unwrap();
    let has = |actor: &str, action: &str, target: &str, result: &str| {
        log.iter().any(|e| e.actor == actor && e.action == action && e.target == target && e.result == result)
    };
    assert!(has("analyst", "custody.export", &case, "ok"));
    assert!(has("analyst", "custody.view", &case, "ok"));
    assert!(has("analyst", "custody.download", &case, "ok"));
    assert!(has("analyst", "custody.download", &other, "denied"));
    assert!(has("auditor", "custody.view", &case, "ok"));
    assert!(has("auditor", "custody.download", &case, "ok"));
    assert!(has("auditor", "custody.view", &other, "denied"));
    let v = body_json(env.send(bearer("admin", "GET", "/api/v1/ledger/verify")).await).await;
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
    // The coverage report, for an executive, as JSON and CSV; the web page for an analyst.
    let v = body_json(env.send(bearer("executive", "GET", "/api/v1/compliance/coverage?framework=SOC2")).await).await;
    assert_eq!(v["framework"], "SOC2");
    assert_eq!(v["controls"].as_array().unwrap().len(), v["summary"]["total"].as_u64().unwrap() as usize);
    assert!(v["controls"].as_array().unwrap().iter().any(|c| c["evidence"].as_array().is_some_and(|e| !e.is_empty())));
    let r = env.send(bearer("executive", "GET", "/api/v1/compliance/coverage?framework=iso&format=csv")).await;
    assert!(body_text(r).await.starts_with("framework,control,title,status"));
    let r = env.send(bearer("executive", "GET", "/api/v1/compliance/coverage?framework=nope")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = env.send(bearer("executive", "GET", "/api/v1/compliance/coverage?from=2026-13-45")).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // The scorecard and a brief for the executive.
    let r = env.send(bearer("executive", "GET", "/api/v1/scorecard?week=2026-W48")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sc = body_json(r).await;
    assert_eq!(sc["period"]["label"], "2026-W48");
    assert!(sc["metrics"]["alert_reduction"].is_number() || sc["metrics"]["alert_reduction"].is_null());
    let r = env.send(bearer("executive", "GET", "/api/v1/scorecard?format=html")).await;
    let csp = r.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
    assert!(csp.contains("style-src 'unsafe-inline'") && !csp.contains("script"), "{csp}");
    let html = body_text(r).await;
    assert!(html.contains("<svg") && !html.contains("<script"));
    assert_eq!(
        env.send(bearer("executive", "GET", "/api/v1/scorecard?week=2026-W99")).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        env.send(bearer("executive", "GET", "/api/v1/scorecard?format=pdf")).await.status(),
        StatusCode::BAD_REQUEST
    );
    let r = env.send(bearer("analyst", "POST", &format!("/api/v1/cases/{case}/brief"))).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let brief = body_json(r).await["id"].as_str().unwrap().to_string();
    let r = env.send(bearer("executive", "POST", &format!("/api/v1/briefs/{brief}/acknowledge"))).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(body_json(r).await["time_to_decision_ms"].as_i64().unwrap() >= 0);
    let r = env.send(bearer("executive", "POST", &format!("/api/v1/briefs/{brief}/acknowledge"))).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST, "acknowledged once");
    let log = env.state.store().unwrap().audit(100_000).unwrap();
    assert!(log.iter().any(|e| e.action == "brief.acknowledge" && e.actor == "executive" && e.target == case));
    let page = body_text(env.send(bearer("analyst", "GET", "/compliance?framework=HIPAA")).await).await;
    assert!(page.contains("HIPAA Security Rule") && page.contains("164.308(a)(1)(i)"), "{page}");
    let page = body_text(env.send(bearer("analyst", "GET", &format!("/cases/{case}"))).await).await;
    assert!(page.contains("Evidence and custody") && page.contains(&sha), "the case page lists the packet");
    // A new user or token has no role until the admin picks one: the forms do not default to admin.
    let admin = body_text(env.send(bearer("admin", "GET", "/admin")).await).await;
    assert_eq!(admin.matches(r#"<option value="" disabled selected>choose a role</option>"#).count(), 2, "{admin}");
    env.state.ingest.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playbooks_run_wait_for_another_person_and_roll_back_over_http() {
    let sb = vigil_connectors::sandbox::Sandbox::start().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (connectors, secrets_file) = sb.write_settings(files.path()).unwrap();
    let env = common::env_with(|c| {
        c.response.connectors = Some(connectors.clone());
        c.response.secrets = Some(secrets_file.clone());
    });
    common::simulated_company(&env, 5, 40, 5);
    let cases = vigil_queue::cases(&env.state.store().unwrap()).unwrap();
    let (case, host) = cases
        .iter()
        .find_map(|c| c.entities.iter().find_map(|e| e.strip_prefix("host:").map(|h| (c.id.clone(), h.to_string()))))
        .expect("a case with a host");
    sb.seed_device(&host, &host);
    let call = |role: &str, method: &str, uri: &str, body: Option<serde_json::Value>| {
        let b = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", env.token(role)))
            .header(header::CONTENT_TYPE, "application/json");
        b.body(body.map(|v| Body::from(v.to_string())).unwrap_or_else(Body::empty)).unwrap()
    };
    // A dry run shows the calls, secrets masked, and sends nothing.
    let before = sb.requests().len();
    let r = env
        .send(call(
            "responder",
            "POST",
            &format!("/api/v1/cases/{case}/playbooks/device-isolation"),
            Some(json!({"dry_run": true})),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = body_text(r).await;
    // The lookup's call is shown; the containment's device comes from the lookup at run time.
    assert!(text.contains("devices/queries/devices/v1") && text.contains("****"), "{text}");
    assert!(text.contains("inputs resolved at run time: `steps.find.output.device_id`"), "{text}");
    assert_eq!(sb.requests().len(), before);
    // The responder runs it; containment waits for an approver.
    let r =
        env.send(call("responder", "POST", &format!("/api/v1/cases/{case}/playbooks/device-isolation"), None)).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let run = body_json(r).await;
    assert_eq!(run["status"], "waiting_approval", "{run}");
    let run_id = run["id"].as_str().unwrap().to_string();
    assert_eq!(env.send(call("responder", "GET", "/api/v1/approvals", None)).await.status(), StatusCode::FORBIDDEN);
    let list = body_json(env.send(call("approver", "GET", "/api/v1/approvals", None)).await).await;
    let apr = list.as_array().unwrap().iter().find(|a| a["run_id"] == run_id.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The inbox page lists it for the approver.
    let page = body_text(env.send(call("approver", "GET", "/approvals", None)).await).await;
    assert!(page.contains(&apr) && page.contains("crowdstrike.contain_host"), "{page}");
    let r = env
        .send(call(
            "approver",
            "POST",
            &format!("/api/v1/approvals/{apr}/approve"),
            Some(json!({"note": "encryption on the host"})),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(r).await);
    let run = body_json(env.send(call("analyst", "GET", &format!("/api/v1/runs/{run_id}"), None)).await).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(sb.state()["devices"][&host]["containment"], "contained");
    // Rolled back: the admin asks, and cannot approve their own request; the approver can.
    let r = env.send(call("admin", "POST", &format!("/api/v1/runs/{run_id}/rollback"), Some(json!({})))).await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(r).await);
    let list = body_json(env.send(call("admin", "GET", "/api/v1/approvals", None)).await).await;
    let apr =
        list.as_array().unwrap().iter().find(|a| a["run_id"] == run_id.as_str() && a["purpose"] == "rollback").unwrap()
            ["id"]
            .as_str()
            .unwrap()
            .to_string();
    let r = env.send(call("admin", "POST", &format!("/api/v1/approvals/{apr}/approve"), Some(json!({})))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(body_json(r).await["error"]["code"], "refused");
    let r = env
        .send(call(
            "approver",
            "POST",
            &format!("/api/v1/approvals/{apr}/approve"),
            Some(json!({"note": "backup job"})),
        ))
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", body_text(r).await);
    assert_eq!(sb.state()["devices"][&host]["containment"], "normal");
    // Prometheus sees the runs, the cases by SLA state and the pipeline.
    let r = env.send(call("executive", "GET", "/metrics", None)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/openmetrics-text"));
    let m = body_text(r).await;
    for want in [
        "vigil_playbook_runs{state=\"succeeded\"} 1",
        "vigil_cases_open{state=\"on_time\"}",
        "vigil_events_stored ",
        "vigil_quarantined_records 0",
        "vigil_alerts{level=\"high\"}",
        "vigil_http_ingest_spool_bytes 0",
        "vigil_approvals_pending 0",
        "vigil_ledger_entries ",
        "# EOF",
    ] {
        assert!(m.contains(want), "{want} missing from\n{m}");
    }
    assert_eq!(env.send(call("responder", "GET", "/metrics", None)).await.status(), StatusCode::FORBIDDEN);
    // The case page shows the run; the audit log has every decision against the case.
    let page = body_text(env.send(call("responder", "GET", &format!("/cases/{case}"), None)).await).await;
    assert!(page.contains(&run_id) && page.contains("Response"));
    // Its history reads as words, not as the playbook's JSON.
    assert!(page.contains("History") && page.contains("vendor call"), "{page}");
    assert!(!page.contains("&quot;run&quot;") && !page.contains("idempotency"), "{page}");
    let store = env.state.store().unwrap();
    let log = store.audit(100_000).unwrap();
    for (who, what, result) in [
        ("responder", "playbook.run", "ok"),
        ("approver", "playbook.approval.approve", "ok"),
        ("admin", "playbook.approval.approve", "denied"),
        ("approver", "playbook.rollback", "ok"),
    ] {
        assert!(
            log.iter().any(|e| e.actor == who && e.action == what && e.result == result && e.target == case),
            "{who} {what} {result}"
        );
    }
    env.state.ingest.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hec_and_json_lines_ingest_with_back_pressure_and_a_graceful_shutdown() {
    let env = common::env_with(|c| c.spool_limit_bytes = 4096);
    let hec = |token: Option<&str>, body: &str| {
        let mut b = Request::builder().method("POST").uri("/services/collector/event");
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Splunk {t}"));
        }
        b.body(Body::from(body.to_string())).unwrap()
    };
    let okta = |i: usize| {
        format!(
            r#"{{"uuid": "u-{i}", "published": "2026-10-01T10:00:{:02}.000Z", "eventType": "user.session.start", "actor": {{"alternateId": "a{i}@x.com"}}, "outcome": {{"result": "SUCCESS"}}}}"#,
            i % 60
        )
    };
    // Protocol answers as Splunk's.
    let r = env.send(hec(None, "{}")).await;
    assert_eq!((r.status(), body_json(r).await["code"].clone()), (StatusCode::UNAUTHORIZED, json!(2)));
    let r = env.send(hec(Some("vgl_000000000000_00"), "{}")).await;
    assert_eq!((r.status(), body_json(r).await["code"].clone()), (StatusCode::FORBIDDEN, json!(4)));
    let r = env.send(hec(Some(env.token("analyst")), &format!("{{\"event\": {}}}", okta(0)))).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "an analyst token cannot ingest");
    let r = env.send(hec(Some(env.token("ingestor")), "")).await;
    assert_eq!((r.status(), body_json(r).await["code"].clone()), (StatusCode::BAD_REQUEST, json!(5)));
    let r = env.send(hec(Some(env.token("ingestor")), r#"{"event": {"a": 1}} {"event": "#)).await;
    let v = body_json(r).await;
    assert_eq!((v["code"].clone(), v["invalid-event-number"].clone()), (json!(6), json!(1)));
    // Several events in one body, objects and strings.
    let body: String =
        (0..5).map(|i| format!("{{\"event\": {}, \"sourcetype\": \"okta\"}}\n", okta(i))).collect::<String>()
            + &format!("{{\"event\": {}}}", serde_json::to_string(&okta(5)).unwrap());
    let r = env.send(hec(Some(env.token("ingestor")), &body)).await;
    assert_eq!(body_json(r).await, json!({"text": "Success", "code": 0}));
    // JSON lines.
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/ingest")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("ingestor")))
                .body(Body::from(format!("{}\n{}\n", okta(10), okta(11))))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // Back-pressure: a body that would overfill the spool is refused with 503 and Retry-After.
    let big: String = (100..140).map(|i| format!("{{\"event\": {}}}\n", okta(i))).collect();
    assert!(big.len() > 4096);
    let r = env.send(hec(Some(env.token("ingestor")), &big)).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().get(header::RETRY_AFTER).is_some());
    assert_eq!(body_json(r).await["code"], 9);
    // Shutting down ingests everything acknowledged.
    let st = env.state.clone();
    tokio::task::spawn_blocking(move || st.ingest.shutdown()).await.unwrap();
    assert_eq!(env.state.ingest.pending_bytes(), 0);
    let store = env.state.store().unwrap();
    assert_eq!(store.event_count().unwrap(), 8);
    assert_eq!(std::fs::read_dir(env.dir.path().join("spool")).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_listener_stops_gracefully_and_keeps_what_it_acknowledged() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let env = common::env();
    let server = common::listen(&env).await;
    let addr = server.addr;
    let body = (0..20)
        .map(|i| format!(r#"{{"event": {{"uuid": "t-{i}", "published": "2026-10-02T11:00:{i:02}.000Z", "eventType": "user.session.start", "actor": {{"alternateId": "b@x.com"}}}}}}"#))
        .collect::<Vec<_>>()
        .join("\n");
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "POST /services/collector/event HTTP/1.1\r\nHost: x\r\nAuthorization: Splunk {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        env.token("ingestor"),
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    server.stop().await;
    assert_eq!(
        env.state.store().unwrap().event_count().unwrap(),
        20,
        "everything acknowledged is ingested before the server returns"
    );
    assert!(tokio::net::TcpStream::connect(addr).await.is_err(), "the listener is closed");
}

/// HTTP ingest detects with the same configuration as `vigil ingest`: extra rule files, the
/// exceptions that silence them (on the audit log) and extra behavioral files; a configuration
/// that does not load stops the server from starting instead of ingesting without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_ingest_detects_with_the_same_rules_exceptions_and_behavior_as_the_cli() {
    let files = tempfile::tempdir().unwrap();
    let rule = files.path().join("okta-session.yml");
    std::fs::write(
        &rule,
        "title: Okta session for a watched account\nid: 6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f\nstatus: test\nlevel: high\nlogsource: {product: okta, service: okta}\ndetection:\n    selection:\n        eventType: user.session.start\n    condition: selection\n",
    )
    .unwrap();
    let exception = files.path().join("ex.yml");
    std::fs::write(
        &exception,
        "title: The service account signs in all day\ndescription: expected\nauthor: lena\nexpires: 2099-01-01\nlogsource: {product: okta}\nfilter:\n    rules: [6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f]\n    selection:\n        actor.alternateId: svc@x.com\n    condition: not selection\n",
    )
    .unwrap();
    let behavior = files.path().join("extra.yml");
    std::fs::write(
        &behavior,
        "format: vigil-behavior/1\nid: extra-new-country\ntitle: Sign-in from a new country\nlevel: low\nwhere:\n  metadata_event_code: user.session.start\nentity: actor_user_name\nkind: new_value\nparams: {value: src_ip, learning_days: 3, min_events: 20}\n",
    )
    .unwrap();
    let (r, e, b) = (rule.clone(), exception.clone(), behavior.clone());
    let env = common::env_with(move |c| {
        c.detection.rules = vec![r];
        c.detection.exceptions = vec![e];
        c.detection.behavior = vec![b];
    });
    let event = |i: usize, who: &str| {
        format!(
            r#"{{"uuid": "x-{i}", "published": "2026-10-03T10:00:{i:02}.000Z", "eventType": "user.session.start", "actor": {{"alternateId": "{who}"}}, "outcome": {{"result": "SUCCESS"}}}}"#
        )
    };
    let body = format!("{}\n{}\n", event(1, "svc@x.com"), event(2, "ana@x.com"));
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
    let st = env.state.clone();
    tokio::task::spawn_blocking(move || st.ingest.shutdown()).await.unwrap();
    let store = env.state.store().unwrap();
    let alerts = vigil_queue::stored_alerts(&store).unwrap();
    let watched: Vec<_> = alerts.iter().filter(|a| a.rule.id == "6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f").collect();
    assert_eq!(watched.len(), 1, "the rule file is loaded and the exception silences the service account: {watched:?}");
    assert!(watched[0].entities.users.iter().any(|u| u == "ana@x.com"), "{:?}", watched[0].entities);
    let log = store.audit(10_000).unwrap();
    assert!(
        log.iter().any(|e| e.action == "exceptions.apply" && e.target.ends_with("ex.yml")),
        "the exceptions file applied to HTTP ingest is on the audit log"
    );
    // The rules route shows what HTTP ingest detects with.
    let r = env
        .send(
            Request::builder()
                .uri("/api/v1/rules?limit=1000")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("admin")))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let v = body_json(r).await;
    assert!(v["items"].as_array().unwrap().iter().any(|x| x["id"] == "6f1c2d3e-0a1b-4c5d-8e9f-0a1b2c3d4e5f"), "{v}");

    // A behavior file that does not load stops the server from starting.
    let bad = files.path().join("bad.yml");
    std::fs::write(&bad, "format: vigil-behavior/1\nid: broken\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = vigil_server::Config::new(dir.path());
    config.detection.behavior = vec![bad];
    let err = vigil_server::AppState::new(config).err().expect("a broken behavior file is refused at start");
    assert!(err.message.contains("rejected") || err.message.contains("internal"), "{}", err.message);
}

/// An audit log that cannot be written fails the operation instead of being skipped: HTTP
/// ingest refuses the batch (and spools nothing), a hunt and a case change answer an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_audit_log_fails_the_operation_instead_of_being_skipped() {
    let env = common::env();
    let db = env.dir.path().join("state.db");
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER test_audit_unwritable BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit log unwritable'); END;",
    )
    .unwrap();
    drop(conn);
    let bearer = |role: &str| format!("Bearer {}", env.token(role));
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/ingest")
                .header(header::AUTHORIZATION, bearer("ingestor"))
                .body(Body::from(
                    r#"{"uuid": "z-1", "published": "2026-10-03T10:00:00.000Z", "eventType": "user.session.start", "actor": {"alternateId": "a@x.com"}}"#,
                ))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "an ingest that cannot be recorded is refused");
    let spooled = std::fs::read_dir(env.dir.path().join("spool")).unwrap().count();
    assert_eq!(spooled, 0, "nothing was left in the spool to be ingested off the record");
    assert_eq!(env.state.ingest.pending_bytes(), 0);
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/api/v1/events/query")
                .header(header::AUTHORIZATION, bearer("analyst"))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(json!({"sql": "SELECT 1 AS one"}).to_string()))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR, "a hunt that cannot be recorded fails");
}

/// The playbooks listed over the API carry every control they evidence — their own and those
/// the compliance catalog maps their use case to — as `vigil playbook list` does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playbooks_over_the_api_carry_their_catalog_controls() {
    let env = common::env();
    let r = env
        .send(
            Request::builder()
                .uri("/api/v1/playbooks")
                .header(header::AUTHORIZATION, format!("Bearer {}", env.token("analyst")))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v = body_json(r).await;
    let catalog = vigil_compliance::Catalog::builtin().unwrap();
    let list = v.as_array().unwrap();
    assert!(!list.is_empty());
    let mut from_catalog = 0;
    for pb in vigil_respond::format::builtin().unwrap() {
        let listed = list.iter().find(|x| x["id"] == pb.id.as_str()).unwrap_or_else(|| panic!("{} listed", pb.id));
        let controls: Vec<&str> = listed["controls"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
        for c in &pb.controls {
            assert!(controls.contains(&c.as_str()), "{}: its own control {c}", pb.id);
        }
        if let Some(u) = &pb.use_case {
            for c in catalog.controls_for_playbook(u) {
                from_catalog += 1;
                assert!(controls.contains(&c.to_string().as_str()), "{}: the catalog's {c} for {u}", pb.id);
            }
        }
    }
    assert!(from_catalog > 0, "the pilot playbooks' use cases map to controls in the catalog");
}

/// A live source as an operator watches it: polled (as `vigil serve`'s scheduler polls it), then
/// its health over the API (the secret's name, never the secret), in `/metrics` and on the
/// Sources page; a source that keeps failing shows as a blind spot in all three.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_sources_health_over_the_api_metrics_and_the_sources_page() {
    let sb = vigil_connectors::sandbox::Sandbox::start().unwrap();
    let files = tempfile::tempdir().unwrap();
    let (_, secrets_file) = sb.write_settings(files.path()).unwrap();
    let env = common::env_with(|c| c.response.secrets = Some(secrets_file.clone()));
    let base = sb.config()["okta"]["base_url"].as_str().unwrap().to_string();
    let now = chrono::Utc::now();
    sb.add_okta_logs((0..3).map(|i| {
        json!({"uuid": format!("u-{i}"), "published": (now - chrono::Duration::minutes(10 - i)).to_rfc3339(),
               "eventType": "user.session.start", "actor": {"id": "00u1", "type": "User", "alternateId": "pat@acme.example"},
               "outcome": {"result": "SUCCESS"}, "client": {"ipAddress": "203.0.113.9"}})
    }));
    let app = &env.state.app;
    let shell = vigil_app::Caller::local("ops");
    let conn =
        vigil_collect::Connection::new("okta-prod", vigil_collect::Kind::OktaSystemLog, &base, "okta_token", None)
            .unwrap();
    app.add_connection(&shell, conn).unwrap();
    let poller = vigil_app::Caller::automation(vigil_app::caller::POLLER);
    let r = app.poll(&poller, "okta-prod", &env.state.config.response, None, 10).unwrap();
    assert_eq!((r.records, r.events), (3, 3));
    let call = |role: &str, uri: &str| {
        Request::builder()
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", env.token(role)))
            .body(Body::empty())
            .unwrap()
    };
    let v = body_json(env.send(call("analyst", "/api/v1/sources")).await).await;
    let s = &v["sources"][0];
    assert_eq!(
        (s["name"].as_str(), s["kind"].as_str(), s["secret"].as_str()),
        (Some("okta-prod"), Some("okta-system-log"), Some("okta_token"))
    );
    assert_eq!(s["events_total"], 3);
    assert!(s["lag_ms"].as_i64().is_some_and(|l| (0..20 * 60_000).contains(&l)), "{s}");
    assert!(s["blind_spot"].is_null() && s["last_error"].is_null());
    let token = sb.secrets().get("okta_token").unwrap().to_string();
    assert!(!v.to_string().contains(&token));
    assert_eq!(env.send(call("executive", "/api/v1/sources")).await.status(), StatusCode::FORBIDDEN);
    let m = body_text(env.send(call("executive", "/metrics")).await).await;
    for want in [
        "vigil_source_events{source=\"okta-prod\"} 3",
        "vigil_source_failures{source=\"okta-prod\"} 0",
        "vigil_source_blind_spot{source=\"okta-prod\"} 0",
    ] {
        assert!(m.contains(want), "{want} missing from\n{m}");
    }
    // The token revoked: three failed polls make it a blind spot, raised as an alert once.
    for _ in 0..3 {
        sb.fail_next("/okta/api/v1/logs", 401, None);
        assert!(app.poll(&poller, "okta-prod", &env.state.config.response, None, 10).is_err());
    }
    assert_eq!(app.raise_blind_spots(&poller).unwrap(), 1);
    assert_eq!(app.raise_blind_spots(&poller).unwrap(), 0, "once per source and day");
    let v = body_json(env.send(call("analyst", "/api/v1/sources")).await).await;
    assert!(v["sources"][0]["blind_spot"].as_str().is_some_and(|b| b.contains("failed 3 polls")), "{v}");
    assert!(v["sources"][0]["last_error"].as_str().is_some_and(|e| e.contains("E0000011")), "{v}");
    let m = body_text(env.send(call("executive", "/metrics")).await).await;
    assert!(m.contains("vigil_source_blind_spot{source=\"okta-prod\"} 1"), "{m}");
    let page = body_text(env.send(call("analyst", "/sources")).await).await;
    assert!(page.contains("okta-prod") && page.contains("blind spot") && page.contains("E0000011"), "{page}");
}
