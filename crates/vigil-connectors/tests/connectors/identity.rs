//! Okta and Entra ID (Microsoft Graph).

use serde_json::json;
use vigil_connectors::util::{base64_encode, parse_form};
use vigil_connectors::{ConnectorError, action};

use crate::common::*;

const KEY: &str = "case-7.step-1";

#[test]
fn okta_suspend_reads_then_suspends_with_the_api_token() {
    let h = Harness::new();
    let out = h.run("okta.suspend_user", &json!({ "user": ALICE }), KEY).expect("suspends");
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    let base = h.config["okta"]["base_url"].as_str().expect("base");
    assert_eq!((sent[0].method.as_str(), sent[0].url.clone()), ("GET", format!("{base}/api/v1/users/{ALICE}")));
    assert_eq!(
        (sent[1].method.as_str(), sent[1].url.clone()),
        ("POST", format!("{base}/api/v1/users/{ALICE}/lifecycle/suspend"))
    );
    for r in &sent {
        assert_eq!(header(r, "Authorization"), format!("SSWS {}", h.secret("okta_token")));
        assert_eq!(header(r, "Accept"), "application/json");
    }
    assert_eq!(header(&sent[1], "Idempotency-Key"), KEY);
    assert_eq!(out.output["status"], "SUSPENDED");
    assert_eq!(out.prior_state, Some(json!({ "status": "ACTIVE" })));
    assert!(!out.already_done);
    assert_eq!(
        out.calls.iter().map(|c| (c.method.as_str(), c.status)).collect::<Vec<_>>(),
        [("GET", 200), ("POST", 200)]
    );
    assert_eq!(h.state()["users"][ALICE]["status"], "SUSPENDED");
    // The sandbox saw the same, over the wire.
    let seen = h.seen("/lifecycle/suspend");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("idempotency-key"), Some(KEY));
}

#[test]
fn okta_suspend_twice_is_already_done_and_the_inverse_restores() {
    let h = Harness::new();
    let a = action("okta.suspend_user").expect("action");
    let inputs = json!({ "user": ALICE_LOGIN });
    let first = h.run("okta.suspend_user", &inputs, KEY).expect("suspends");
    h.reset();
    let second = h.run("okta.suspend_user", &inputs, KEY).expect("runs");
    assert!(second.already_done);
    assert_eq!(second.prior_state, Some(json!({ "status": "SUSPENDED" })));
    assert!(h.sb.requests().iter().all(|r| r.method == "GET"), "no state-changing call: {:?}", h.sb.requests());

    assert_eq!(a.inverse(), Some("okta.unsuspend_user"));
    let inverse_inputs = a.inverse_inputs(&inputs, first.prior_state.as_ref());
    let undo = h.run("okta.unsuspend_user", &inverse_inputs, "undo-1").expect("unsuspends");
    assert!(!undo.already_done);
    assert_eq!(h.state()["users"][ALICE]["status"], "ACTIVE");
    assert_eq!(h.seen("/lifecycle/unsuspend").len(), 1);
}

#[test]
fn okta_rollback_of_an_already_suspended_user_leaves_it_suspended() {
    let h = Harness::new();
    let a = action("okta.suspend_user").expect("action");
    let inputs = json!({ "user": BOB });
    let out = h.run("okta.suspend_user", &inputs, KEY).expect("runs");
    assert!(out.already_done);
    h.reset();
    let undo =
        h.run("okta.unsuspend_user", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("runs");
    assert!(undo.already_done);
    assert!(h.sb.requests().is_empty());
    assert_eq!(h.state()["users"][BOB]["status"], "SUSPENDED");
    // Unsuspending an active user changes nothing either.
    let active = h.run("okta.unsuspend_user", &json!({ "user": ALICE }), KEY).expect("runs");
    assert!(active.already_done);
    assert!(h.seen("/lifecycle/").is_empty());
}

#[test]
fn okta_errors_carry_okta_codes() {
    let h = Harness::new();
    assert_http(
        h.run("okta.suspend_user", &json!({ "user": "nobody@acme.example" }), KEY),
        404,
        "E0000007: Not found: Resource not found: nobody@acme.example (User)",
    );
    h.sb.fail_next("/lifecycle/suspend", 403, None);
    assert_http(
        h.run("okta.suspend_user", &json!({ "user": ALICE }), KEY),
        403,
        "E0000006: You do not have permission",
    );
    // A user Okta cannot suspend (not ACTIVE, not SUSPENDED) gets Okta's validation error.
    h.sb.seed_user("00u3staged0000000000", "carol@acme.example", "STAGED");
    assert_http(
        h.run("okta.suspend_user", &json!({ "user": "00u3staged0000000000" }), KEY),
        400,
        "E0000001: Api validation failed: status (Cannot suspend a user that is not active)",
    );
}

#[test]
fn okta_rate_limit_waits_for_x_rate_limit_reset() {
    let h = Harness::new();
    h.sb.fail_next(&format!("/users/{ALICE}"), 429, Some(5));
    h.run("okta.suspend_user", &json!({ "user": ALICE }), KEY).expect("suspends after the wait");
    let limited = &h.received()[0];
    assert_eq!(limited.status, 429);
    assert!(limited.header("retry-after").is_none(), "Okta sends X-Rate-Limit-Reset, not Retry-After");
    assert!(limited.header("x-rate-limit-reset").is_some());
    let waits = h.sleeps();
    assert_eq!(waits.len(), 1);
    assert!((4..=5).contains(&waits[0].as_secs()), "{waits:?}");
    let err = limited.json().expect("json");
    assert_eq!(err["errorCode"], "E0000047");
}

#[test]
fn okta_clear_sessions_deletes_and_can_revoke_oauth_tokens() {
    let h = Harness::new();
    let out = h.run("okta.clear_sessions", &json!({ "user": ALICE }), KEY).expect("clears");
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "DELETE");
    assert!(sent[0].url.ends_with(&format!("/api/v1/users/{ALICE}/sessions")));
    assert_eq!(out.calls[0].status, 204);
    assert_eq!(out.prior_state, None);
    assert_eq!(h.state()["users"][ALICE]["okta_sessions"], 0);
    assert_eq!(h.state()["users"][ALICE]["oauth_tokens"], 1);
    assert!(action("okta.clear_sessions").expect("action").inverse().is_none());
    h.reset();
    h.run("okta.clear_sessions", &json!({ "user": ALICE, "oauth_tokens": true }), KEY).expect("clears");
    assert!(h.sent()[0].url.ends_with("/sessions?oauthTokens=true"));
    assert_eq!(h.state()["users"][ALICE]["oauth_tokens"], 0);
}

#[test]
fn okta_reset_factors_reads_every_page_of_factors_first() {
    let h = Harness::new();
    for t in ["sms", "call", "webauthn"] {
        h.sb.seed_factor(ALICE, t);
    }
    // Five factors, three a page.
    let out = h.run("okta.reset_factors", &json!({ "user": ALICE }), KEY).expect("resets");
    let sent = h.sent();
    assert_eq!(sent.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["GET", "GET", "POST"]);
    assert!(sent[1].url.contains("/factors?after=") && sent[1].url.contains("limit=3"), "{}", sent[1].url);
    assert!(sent[2].url.ends_with("/lifecycle/reset_factors"));
    let prior = out.prior_state.expect("prior");
    let types: Vec<_> = prior["factors"].as_array().expect("list").iter().map(|f| f["factorType"].clone()).collect();
    assert_eq!(types, [json!("push"), json!("token:software:totp"), json!("sms"), json!("call"), json!("webauthn")]);
    assert_eq!(out.output["factors_reset"], 5);
    assert_eq!(h.state()["users"][ALICE]["factors"], json!([]));
    h.reset();
    let again = h.run("okta.reset_factors", &json!({ "user": ALICE }), KEY).expect("runs");
    assert!(again.already_done);
    assert!(h.seen("/lifecycle/").is_empty());
}

fn token_form(h: &Harness, scope: &str) -> Vec<(String, String)> {
    let token = &h.sent()[0];
    assert_eq!(token.method, "POST");
    assert_eq!(
        token.url,
        format!(
            "{}/{}/oauth2/v2.0/token",
            h.config["entra"]["login_base"].as_str().expect("login"),
            h.config["entra"]["tenant_id"].as_str().expect("tenant")
        )
    );
    assert_eq!(header(token, "Content-Type"), "application/x-www-form-urlencoded");
    let form = parse_form(token.body.as_deref().unwrap_or_default());
    assert!(form.contains(&("grant_type".into(), "client_credentials".into())));
    assert!(form.contains(&("scope".into(), scope.into())));
    form
}

#[test]
fn entra_revoke_sessions_gets_an_app_token_then_posts() {
    let h = Harness::new();
    let out = h.run("entra.revoke_sessions", &json!({ "user": ALICE_LOGIN }), KEY).expect("revokes");
    let form = token_form(&h, "https://graph.microsoft.com/.default");
    assert!(form.contains(&("client_id".into(), h.secret("entra_client_id"))));
    assert!(
        form.contains(&("client_secret".into(), h.secret("entra_client_secret"))),
        "the secret is form-encoded and decodes back"
    );
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    let graph = h.config["entra"]["graph_base"].as_str().expect("graph");
    assert_eq!(sent[1].method, "POST");
    assert_eq!(sent[1].url, format!("{graph}/v1.0/users/alice%40acme.example/revokeSignInSessions"));
    let token = h.received()[0].json().expect("token")["access_token"].as_str().expect("token").to_string();
    assert_eq!(header(&sent[1], "Authorization"), format!("Bearer {token}"));
    assert_eq!(h.seen("/revokeSignInSessions")[0].header("content-length"), Some("0"));
    assert_eq!(out.output["revoked"], true);
    assert_eq!(h.state()["users"][ALICE]["sign_in_sessions_revoked"], 1);
    assert!(action("entra.revoke_sessions").expect("action").inverse().is_none());
}

#[test]
fn entra_disable_patches_account_enabled_and_enable_restores() {
    let h = Harness::new();
    let a = action("entra.disable_account").expect("action");
    let inputs = json!({ "user": ALICE });
    let out = h.run("entra.disable_account", &inputs, KEY).expect("disables");
    let sent = h.sent();
    assert_eq!(sent.iter().map(|r| r.method.as_str()).collect::<Vec<_>>(), ["POST", "GET", "PATCH"]);
    assert!(sent[1].url.ends_with(&format!("/v1.0/users/{ALICE}?$select=accountEnabled")));
    assert_eq!(header(&sent[2], "Content-Type"), "application/json");
    assert_eq!(body_json(&sent[2]), json!({ "accountEnabled": false }));
    assert_eq!(h.seen("/oauth2/v2.0/token").len(), 1, "one token per execution");
    assert_eq!(out.prior_state, Some(json!({ "accountEnabled": true })));
    assert_eq!(out.calls.last().map(|c| c.status), Some(204));
    assert_eq!(h.state()["users"][ALICE]["account_enabled"], false);

    h.reset();
    let again = h.run("entra.disable_account", &inputs, KEY).expect("runs");
    assert!(again.already_done);
    assert!(h.sb.requests().iter().all(|r| r.method != "PATCH"));

    let undo =
        h.run("entra.enable_account", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("enables");
    assert!(!undo.already_done);
    assert_eq!(h.state()["users"][ALICE]["account_enabled"], true);

    // Rolling back a disable of an account that was disabled already changes nothing.
    h.reset();
    let bob = h.run("entra.disable_account", &json!({ "user": BOB }), KEY).expect("runs");
    assert!(bob.already_done);
    let undo = h
        .run("entra.enable_account", &a.inverse_inputs(&json!({ "user": BOB }), bob.prior_state.as_ref()), "undo")
        .expect("runs");
    assert!(undo.already_done);
    assert_eq!(h.state()["users"][BOB]["account_enabled"], false);
}

#[test]
fn entra_errors_carry_graph_and_identity_platform_codes() {
    let h = Harness::new();
    assert_http(
        h.run("entra.disable_account", &json!({ "user": "ghost@acme.example" }), KEY),
        404,
        "Request_ResourceNotFound: Resource 'ghost@acme.example' does not exist",
    );
    let wrong_tenant = with_config(&h.config, "entra", "tenant_id", json!("contoso.onmicrosoft.com"));
    assert_http(
        h.run_with("entra.revoke_sessions", &json!({ "user": ALICE }), KEY, &wrong_tenant, &h.secrets),
        400,
        "invalid_request: AADSTS90002",
    );
    // Defender's app registration cannot get a Graph token.
    let swapped = with_secret(&h.secrets, "entra_client_id", &h.secret("defender_client_id"));
    assert_http(
        h.run_with("entra.revoke_sessions", &json!({ "user": ALICE }), KEY, &h.config, &swapped),
        400,
        "unauthorized_client: AADSTS700016",
    );
    h.sb.fail_next("/revokeSignInSessions", 403, None);
    assert_http(
        h.run("entra.revoke_sessions", &json!({ "user": ALICE }), KEY),
        403,
        "Authorization_RequestDenied: Insufficient privileges",
    );
    // Graph's 503 with Retry-After is its way of throttling too.
    h.sb.fail_next("/revokeSignInSessions", 503, Some(0));
    assert!(h.run("entra.revoke_sessions", &json!({ "user": ALICE }), KEY).is_ok());
    h.sb.fail_next("/revokeSignInSessions", 500, None);
    match h.run("entra.revoke_sessions", &json!({ "user": ALICE }), KEY) {
        Err(e @ ConnectorError::Http { status: 500, .. }) => assert!(e.retryable()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn basic_credentials_are_what_the_sandbox_checks() {
    // The sandbox compares the decoded Basic credential; a differently encoded one fails.
    let h = Harness::new();
    let good = format!(
        "Basic {}",
        base64_encode(format!("{}:{}", h.secret("jira_email"), h.secret("jira_api_token")).as_bytes())
    );
    h.run("jira.create_issue", &json!({ "summary": "x" }), KEY).expect("creates");
    assert_eq!(h.seen("/rest/api/3/issue")[0].header("authorization"), Some(good.as_str()));
}
