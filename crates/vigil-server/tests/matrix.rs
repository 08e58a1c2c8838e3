//! The authorization matrix: every route the router serves, called by every role (through an
//! API token) and by an anonymous caller, against a table written by hand from the roles in ARCHITECTURE.md.
//! The routes come from `vigil_server::routes()`, which the router is built from: a new route
//! without a row here fails the test.

mod common;

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, header};
use vigil_server::authn::DENIED_HEADER;

const ROLES: &[&str] =
    &["admin", "detection_engineer", "analyst", "responder", "approver", "auditor", "executive", "ingestor"];

fn who(spec: &str) -> Vec<&'static str> {
    let all: Vec<&'static str> = ROLES.to_vec();
    match spec {
        "public" => {
            let mut v = all;
            v.push("anonymous");
            v
        }
        "signed" => all,
        "queue" => vec!["admin", "detection_engineer", "analyst", "responder", "approver"],
        "hunt" | "rules" => vec!["admin", "detection_engineer", "analyst"],
        "work" => vec!["admin", "analyst", "responder"],
        "dispose" => vec!["admin", "analyst"],
        "inventory" => vec!["admin", "detection_engineer", "analyst", "responder"],
        "admin" => vec!["admin"],
        "ingest" => vec!["admin", "ingestor"],
        "auditor" => vec!["admin", "auditor"],
        "summaries" => vec!["admin", "detection_engineer", "analyst", "approver", "executive"],
        "respond" => vec!["admin", "responder"],
        "approve" => vec!["admin", "approver"],
        other => panic!("unknown group {other}"),
    }
}

/// (method, path) → who may call it.
fn expected() -> BTreeMap<(&'static str, &'static str), &'static str> {
    [
        (("GET", "/api/v1/health"), "public"),
        (("GET", "/api/v1/openapi.json"), "public"),
        (("POST", "/api/v1/session"), "public"),
        (("DELETE", "/api/v1/session"), "signed"),
        (("GET", "/api/v1/me"), "signed"),
        (("POST", "/api/v1/me/password"), "signed"),
        (("POST", "/api/v1/events/query"), "hunt"),
        (("POST", "/api/v1/hunts/run"), "hunt"),
        (("GET", "/api/v1/hypotheses"), "hunt"),
        (("GET", "/api/v1/hypotheses/{id}"), "hunt"),
        (("POST", "/api/v1/hypotheses/{id}/take"), "hunt"),
        (("POST", "/api/v1/hypotheses/{id}/dismiss"), "hunt"),
        (("POST", "/api/v1/hypotheses/{id}/promote"), "hunt"),
        (("POST", "/hunt/weeks"), "hunt"),
        (("GET", "/hypotheses"), "hunt"),
        (("GET", "/hypotheses/{id}"), "hunt"),
        (("POST", "/hypotheses/{id}/take"), "hunt"),
        (("POST", "/hypotheses/{id}/dismiss"), "hunt"),
        (("POST", "/hypotheses/{id}/promote"), "hunt"),
        (("POST", "/api/v1/assistant/ask"), "signed"),
        (("GET", "/api/v1/assistant/conversation"), "signed"),
        (("GET", "/api/v1/alerts"), "queue"),
        (("GET", "/api/v1/alerts/{id}"), "queue"),
        (("GET", "/api/v1/incidents"), "queue"),
        (("GET", "/api/v1/incidents/{id}"), "queue"),
        (("POST", "/api/v1/triage"), "work"),
        (("GET", "/api/v1/cases"), "queue"),
        (("GET", "/api/v1/cases/{id}"), "queue"),
        (("POST", "/api/v1/cases/{id}/assign"), "work"),
        (("POST", "/api/v1/cases/{id}/comments"), "work"),
        (("POST", "/api/v1/cases/{id}/acknowledge"), "work"),
        (("POST", "/api/v1/cases/{id}/status"), "work"),
        (("POST", "/api/v1/cases/{id}/sla"), "work"),
        (("POST", "/api/v1/cases/{id}/disposition"), "dispose"),
        (("GET", "/api/v1/rules"), "rules"),
        (("GET", "/api/v1/inventory"), "inventory"),
        (("GET", "/api/v1/sources"), "inventory"),
        (("PUT", "/api/v1/inventory"), "admin"),
        (("GET", "/api/v1/audit"), "admin"),
        (("POST", "/api/v1/ingest"), "ingest"),
        (("POST", "/services/collector/event"), "ingest"),
        (("POST", "/services/collector/event/1.0"), "ingest"),
        (("GET", "/services/collector/health"), "public"),
        (("GET", "/api/v1/users"), "admin"),
        (("POST", "/api/v1/users"), "admin"),
        (("POST", "/api/v1/users/{name}/disable"), "admin"),
        (("POST", "/api/v1/users/{name}/enable"), "admin"),
        (("POST", "/api/v1/users/{name}/password"), "admin"),
        (("POST", "/api/v1/sessions/prune"), "admin"),
        (("GET", "/api/v1/tokens"), "admin"),
        (("POST", "/api/v1/tokens"), "admin"),
        (("DELETE", "/api/v1/tokens/{id}"), "admin"),
        (("GET", "/api/v1/grants"), "admin"),
        (("POST", "/api/v1/grants"), "admin"),
        (("DELETE", "/api/v1/grants/{id}"), "admin"),
        (("GET", "/api/v1/auditor/cases"), "auditor"),
        (("GET", "/api/v1/auditor/cases/{id}"), "auditor"),
        (("GET", "/api/v1/cases/{id}/evidence"), "queue"),
        (("POST", "/api/v1/cases/{id}/export"), "work"),
        (("GET", "/api/v1/cases/{id}/evidence/{sha256}"), "queue"),
        (("GET", "/api/v1/auditor/cases/{id}/evidence"), "auditor"),
        (("GET", "/api/v1/auditor/cases/{id}/evidence/{sha256}"), "auditor"),
        (("GET", "/api/v1/compliance/coverage"), "summaries"),
        (("GET", "/api/v1/ledger/public-key"), "public"),
        (("GET", "/api/v1/ledger/verify"), "admin"),
        (("POST", "/cases/{id}/export"), "work"),
        (("GET", "/compliance"), "summaries"),
        (("GET", "/metrics"), "summaries"),
        (("GET", "/api/v1/scorecard"), "summaries"),
        (("GET", "/api/v1/briefs"), "summaries"),
        (("POST", "/api/v1/cases/{id}/brief"), "work"),
        (("POST", "/api/v1/briefs/{id}/acknowledge"), "summaries"),
        (("GET", "/scorecard"), "summaries"),
        (("GET", "/briefs/{id}"), "summaries"),
        (("POST", "/briefs/{id}/acknowledge"), "summaries"),
        (("POST", "/cases/{id}/brief"), "work"),
        (("GET", "/api/v1/playbooks"), "queue"),
        (("POST", "/api/v1/cases/{id}/playbooks/{playbook}"), "respond"),
        (("GET", "/api/v1/runs"), "queue"),
        (("GET", "/api/v1/runs/{id}"), "queue"),
        (("POST", "/api/v1/runs/{id}/rollback"), "respond"),
        (("GET", "/api/v1/approvals"), "approve"),
        (("POST", "/api/v1/approvals/{id}/approve"), "approve"),
        (("POST", "/api/v1/approvals/{id}/deny"), "approve"),
        (("POST", "/cases/{id}/playbooks"), "respond"),
        (("POST", "/runs/{id}/rollback"), "respond"),
        (("GET", "/approvals"), "approve"),
        (("POST", "/approvals/{id}/approve"), "approve"),
        (("POST", "/approvals/{id}/deny"), "approve"),
        (("GET", "/"), "public"),
        (("GET", "/login"), "public"),
        (("POST", "/login"), "public"),
        (("POST", "/logout"), "signed"),
        (("GET", "/sso/login"), "public"),
        (("GET", "/sso/callback"), "public"),
        (("GET", "/static/vigil.css"), "public"),
        (("GET", "/incidents/{id}"), "queue"),
        (("GET", "/alerts/{id}"), "queue"),
        (("GET", "/incidents/{id}/investigation"), "queue"),
        (("GET", "/api/v1/incidents/{id}/investigation"), "queue"),
        (("GET", "/events/{id}"), "hunt"),
        (("GET", "/baselines/{entity}"), "queue"),
        (("GET", "/cases"), "queue"),
        (("GET", "/cases/{id}"), "queue"),
        (("POST", "/cases/{id}/assign"), "work"),
        (("POST", "/cases/{id}/comment"), "work"),
        (("POST", "/cases/{id}/disposition"), "dispose"),
        (("GET", "/ask"), "signed"),
        (("POST", "/ask"), "signed"),
        (("GET", "/hunt"), "hunt"),
        (("POST", "/hunt"), "hunt"),
        (("GET", "/rules"), "rules"),
        (("GET", "/sources"), "inventory"),
        (("GET", "/auditor"), "auditor"),
        (("GET", "/auditor/cases/{id}"), "auditor"),
        (("GET", "/account"), "signed"),
        (("POST", "/account/password"), "signed"),
        (("GET", "/admin"), "admin"),
        (("POST", "/admin/users"), "admin"),
        (("POST", "/admin/tokens"), "admin"),
        (("POST", "/admin/tokens/{id}/revoke"), "admin"),
        (("POST", "/admin/grants"), "admin"),
        (("POST", "/admin/users/{name}/disable"), "admin"),
        (("POST", "/admin/users/{name}/enable"), "admin"),
        (("POST", "/admin/users/{name}/password"), "admin"),
        (("POST", "/admin/sessions/prune"), "admin"),
    ]
    .into_iter()
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_against_every_role_and_an_anonymous_caller() {
    let env = common::env();
    let table = expected();
    let routes = vigil_server::routes();
    let served: Vec<(String, String)> =
        routes.iter().map(|(s, _)| (s.method.to_string(), s.path.to_string())).collect();
    for (m, p) in &served {
        assert!(table.contains_key(&(m.as_str(), p.as_str())), "route {m} {p} has no row in the authorization matrix");
    }
    for (m, p) in table.keys() {
        assert!(served.iter().any(|(a, b)| a == m && b == p), "matrix row {m} {p} is not a route any more");
    }
    let mut checked = 0;
    let mut failures = Vec::new();
    for (spec, _) in &routes {
        let allowed = who(table[&(spec.method.as_str(), spec.path)]);
        let path = spec
            .path
            .replace("{id}", "x-not-there")
            .replace("{name}", "x-not-there")
            .replace("{entity}", "x-not-there")
            .replace("{sha256}", &"0".repeat(64))
            .replace("{playbook}", "ticket-open");
        for caller in ROLES.iter().copied().chain(["anonymous"]) {
            let mut req = Request::builder().method(spec.method.clone()).uri(&path);
            if caller != "anonymous" {
                let scheme = if spec.path.starts_with("/services/") { "Splunk" } else { "Bearer" };
                req = req.header(header::AUTHORIZATION, format!("{scheme} {}", env.token(caller)));
            }
            let body = if spec.method == Method::GET || spec.method == Method::DELETE {
                Body::empty()
            } else if spec.web {
                req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
                Body::from("x=1")
            } else {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from("{}")
            };
            let r = env.send(req.body(body).unwrap()).await;
            let denied = r.headers().get(DENIED_HEADER).is_some();
            let want_allowed = allowed.contains(&caller);
            if denied == want_allowed {
                failures.push(format!(
                    "{} {} as {caller}: expected {}, got {} ({})",
                    spec.method,
                    spec.path,
                    if want_allowed { "allowed" } else { "denied" },
                    if denied { "denied" } else { "allowed" },
                    r.status()
                ));
            }
            if !want_allowed {
                let code = r.status().as_u16();
                assert!(
                    matches!(code, 401 | 403 | 303 | 307),
                    "{} {} as {caller}: a denial answers 401/403 or a redirect to sign-in, not {code}",
                    spec.method,
                    spec.path
                );
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{} of {checked} checks failed:\n{}", failures.len(), failures.join("\n"));
    assert_eq!(checked, routes.len() * (ROLES.len() + 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_has_every_api_route_and_only_those() {
    let env = common::env();
    let r = env.send(Request::builder().uri("/api/v1/openapi.json").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), 200);
    let doc = common::body_json(r).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["description"].as_str().unwrap().starts_with("Access: "),
                "{method} {path} says who may call it"
            );
            documented.push((method.to_uppercase(), path.clone()));
        }
    }
    documented.sort();
    let mut api: Vec<(String, String)> = vigil_server::routes()
        .iter()
        .filter(|(s, _)| !s.web)
        .map(|(s, _)| (s.method.to_string(), s.path.to_string()))
        .collect();
    api.sort();
    assert_eq!(documented, api);
    env.state.ingest.shutdown();
}
