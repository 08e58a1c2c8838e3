//! Single sign-on end to end against a real OpenID provider (panva's `oidc-provider`, started by
//! the tests from `scripts/oidc-provider`): sign-in with groups mapped to roles, users created on
//! first sign-in or refused, a replayed callback and a replayed code, an ID token for another
//! audience, an expired one and one with a tampered signature, Vigil's clock off within and
//! beyond the allowed skew, and the provider rotating its signing key while Vigil keeps running.
//! Break-glass-only local sign-in needs no provider and always runs.
//!
//! Without `node` or `scripts/oidc-provider/node_modules` the provider tests say so and skip,
//! unless `VIGIL_REQUIRE_OIDC` is set (CI), where they fail.

mod common;
mod oidc_provider;

use axum::body::Body;
use axum::http::{Request, header};
use oidc_provider::{Browser, CLIENT_SECRET, PEOPLE, Provider};
use serde_json::{Value, json};
use vigil_store::StateStore;

/// Vigil serving on a port chosen before the provider starts (the redirect URI names it).
struct Vigil {
    env: common::Env,
    base: String,
    rt: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Vigil {
    fn start(port: u16, sso: vigil_app::sso::SsoConfig) -> Vigil {
        let env = common::env_with(|c| {
            c.sso = Some(sso);
            c.secure_cookies = false;
        });
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = rt.spawn(vigil_server::serve_until(
            env.state.clone(),
            format!("127.0.0.1:{port}").parse().unwrap(),
            Some(ready_tx),
            async {
                let _ = stop_rx.await;
            },
        ));
        rt.block_on(ready_rx).unwrap();
        Vigil { env, base: format!("http://127.0.0.1:{port}"), rt, stop: Some(stop_tx), server: Some(server) }
    }

    /// Stops serving (which writes the summaries of refusals counted) and returns the audit log.
    fn finish(mut self) -> Vec<vigil_store::AuditEntry> {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            self.rt.block_on(s).unwrap().unwrap();
        }
        self.audit()
    }

    fn audit(&self) -> Vec<vigil_store::AuditEntry> {
        self.env.state.store().unwrap().audit(100_000).unwrap()
    }

    /// Who the session cookie in `b` signs in as, with their roles.
    fn me(&self, b: &mut Browser) -> Value {
        let r = b.get(&format!("{}/api/v1/me", self.base));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json().unwrap()
    }
}

struct Setup {
    op: Provider,
    vigil: Vigil,
}

fn setup(kid: &str, extra: Value) -> Setup {
    let (oport, vport) = (oidc_provider::free_port(), oidc_provider::free_port());
    let redirect = format!("http://127.0.0.1:{vport}/sso/callback");
    let op = Provider::start(oport, kid, &redirect);
    let vigil = Vigil::start(vport, oidc_provider::settings(&op.issuer, &redirect, extra));
    Setup { op, vigil }
}

fn password(user: &str) -> &'static str {
    PEOPLE.iter().find(|(u, _, _)| *u == user).unwrap().1
}

fn query_param(url: &str, name: &str) -> String {
    let q = url.split_once('?').unwrap().1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(q).unwrap();
    pairs.into_iter().find(|(k, _)| k == name).unwrap().1
}

fn roles(me: &Value) -> Vec<String> {
    me["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect()
}

#[test]
fn sign_in_maps_groups_to_roles_and_creates_users_on_first_sign_in() {
    if !oidc_provider::available("sign_in_maps_groups_to_roles_and_creates_users_on_first_sign_in") {
        return;
    }
    let Setup { op, vigil } = setup("key-1", json!({}));
    let base = vigil.base.clone();

    // Ann is new to Vigil: created with the roles her groups map to, and signed in.
    let mut ann = Browser::default();
    let (callback, r) = ann.sso(&base, "ann", password("ann"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().contains("Signed in as ann"));
    let login_url = &ann.visited[1];
    assert!(login_url.starts_with(&format!("{}/auth?", op.issuer)), "{login_url}");
    for p in ["code_challenge_method=S256", "code_challenge=", "state=", "nonce=", "response_type=code"] {
        assert!(login_url.contains(p), "the authorization request carries {p}: {login_url}");
    }
    let me = vigil.me(&mut ann);
    assert_eq!(me["username"], "ann");
    assert_eq!(roles(&me), vec!["analyst"]);
    let code = query_param(&callback, "code");

    // An existing user's roles follow their groups (analyst → analyst and approver).
    let mut analyst = Browser::default();
    let (_, r) = analyst.sso(&base, "analyst", password("analyst"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(roles(&vigil.me(&mut analyst)), vec!["analyst", "approver"]);

    // Bob's groups map to no role: refused, with the reason.
    let mut bob = Browser::default();
    let (_, r) = bob.sso(&base, "bob", password("bob"));
    assert_eq!(r.status, 403);
    assert!(r.text().contains("none of bob's groups (marketing) maps to a Vigil role"), "{}", r.text());
    assert!(bob.cookie(&base, "vigil_session").is_none());

    let audit = vigil.finish();
    let has = |actor: &str, action: &str, result: &str| {
        audit.iter().any(|e| e.actor == actor && e.action == action && e.result == result)
    };
    assert!(audit.iter().any(|e| e.actor == "vigil:sso" && e.action == "user.create" && e.target == "ann"));
    assert!(has("ann", "sso.login", "ok") && has("ann", "session.start", "ok"));
    assert!(audit.iter().any(|e| e.actor == "vigil:sso" && e.action == "user.roles" && e.target == "analyst"));
    assert!(has("bob", "sso.login", "denied"));
    // No secret reached the audit log.
    for e in &audit {
        let line = format!("{} {} {} {}", e.actor, e.target, e.result, e.detail);
        assert!(!line.contains(&code) && !line.contains(CLIENT_SECRET), "a secret in the audit log: {line}");
    }
}

#[test]
fn without_creation_on_first_sign_in_an_unknown_person_is_refused() {
    if !oidc_provider::available("without_creation_on_first_sign_in_an_unknown_person_is_refused") {
        return;
    }
    let Setup { op: _op, vigil } = setup("key-1", json!({"jit_users": false}));
    let mut ann = Browser::default();
    let (_, r) = ann.sso(&vigil.base, "ann", password("ann"));
    assert_eq!(r.status, 403);
    assert!(r.text().contains("there is no Vigil user ann"), "{}", r.text());
    let mut analyst = Browser::default();
    let (_, r) = analyst.sso(&vigil.base, "analyst", password("analyst"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(vigil.me(&mut analyst)["username"], "analyst");
    let audit = vigil.finish();
    assert!(!audit.iter().any(|e| e.action == "user.create" && e.target == "ann"));
    assert!(audit.iter().any(|e| e.actor == "ann" && e.action == "sso.login" && e.result == "denied"));
}

#[test]
fn a_replayed_callback_and_a_replayed_code_are_refused() {
    if !oidc_provider::available("a_replayed_callback_and_a_replayed_code_are_refused") {
        return;
    }
    let Setup { op: _op, vigil } = setup("key-1", json!({}));
    let base = vigil.base.clone();
    let mut ann = Browser::default();
    let (callback, r) = ann.sso(&base, "ann", password("ann"));
    assert_eq!(r.status, 200, "{}", r.text());

    // The same callback again: its state is spent (Vigil refuses before asking the provider).
    let r = ann.get(&callback);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("unknown or already used state"), "{}", r.text());

    // Another browser presenting the callback: not its sign-in.
    let mut mallory = Browser::default();
    assert_eq!(mallory.get(&callback).status, 400);

    // A fresh sign-in's state with the old code: Vigil's checks pass and the provider refuses
    // the code it already redeemed.
    let r = ann.get(&format!("{base}/sso/login"));
    let auth_url = r.header("location").unwrap().to_string();
    let state = query_param(&auth_url, "state");
    let code = query_param(&callback, "code");
    let r = ann.get(&format!("{base}/sso/callback?code={code}&state={state}"));
    assert_eq!(r.status, 403, "{}", r.text());
    assert!(
        r.text().contains("the token endpoint refused the code") && r.text().contains("invalid_grant"),
        "{}",
        r.text()
    );

    let audit = vigil.finish();
    assert!(
        audit.iter().any(|e| e.action == "sso.login" && e.result == "denied" && e.detail.contains("invalid_grant"))
    );
    // The spent-state refusals are counted into a summary, not a row each.
    let summary = audit
        .iter()
        .find(|e| e.action == "sso.login" && e.actor == "anonymous" && e.target == "GET /sso/callback")
        .expect("a summary of refused callbacks");
    assert!(summary.detail.contains("2 attempts") || summary.detail.contains("attempts"), "{}", summary.detail);
    for e in &audit {
        assert!(!e.detail.contains(&code), "the code in the audit log: {}", e.detail);
    }
}

#[test]
fn wrong_audience_expired_and_tampered_tokens_are_refused_and_skew_is_allowed() {
    if !oidc_provider::available("wrong_audience_expired_and_tampered_tokens_are_refused_and_skew_is_allowed") {
        return;
    }
    let Setup { op, vigil } = setup("key-1", json!({"clock_skew_secs": 60}));
    let base = vigil.base.clone();
    let attempt = |why: &str| {
        let mut b = Browser::default();
        let (_, r) = b.sso(&base, "ann", password("ann"));
        assert_eq!(r.status, 403, "{why}: {}", r.text());
        assert!(r.text().contains(why), "expected '{why}' in {}", r.text());
        assert!(b.cookie(&base, "vigil_session").is_none());
    };
    op.set_mode("wrong_audience");
    attempt("audience 'another-app' is not this client");
    op.set_mode("expired");
    attempt("it expired at");
    op.set_mode("tampered");
    attempt("its signature does not verify");
    op.set_mode("none");

    // Vigil's clock 30 s behind the provider's: inside the allowed skew.
    vigil.env.state.app.advance_clock_ms(-30_000);
    let mut b = Browser::default();
    let (_, r) = b.sso(&base, "ann", password("ann"));
    assert_eq!(r.status, 200, "{}", r.text());
    // Ten minutes behind: the token looks issued in the future.
    vigil.env.state.app.advance_clock_ms(-570_000);
    attempt("issued in the future");
    // Two hours ahead: the token looks expired.
    vigil.env.state.app.advance_clock_ms(600_000 + 2 * 3_600_000);
    attempt("it expired at");

    let audit = vigil.finish();
    let denied: Vec<&str> =
        audit.iter().filter(|e| e.action == "sso.login" && e.result == "denied").map(|e| e.detail.as_str()).collect();
    assert!(denied.iter().any(|d| d.contains("audience 'another-app'")), "{denied:?}");
    assert!(denied.iter().any(|d| d.contains("signature does not verify")), "{denied:?}");
}

#[test]
fn a_rotated_signing_key_is_fetched_without_restarting_vigil() {
    if !oidc_provider::available("a_rotated_signing_key_is_fetched_without_restarting_vigil") {
        return;
    }
    let Setup { op, vigil } = setup("key-1", json!({}));
    let base = vigil.base.clone();
    let mut b = Browser::default();
    let (_, r) = b.sso(&base, "ann", password("ann"));
    assert_eq!(r.status, 200, "{}", r.text());
    // The provider comes back with a new key; Vigil has only the old one cached.
    let port = op.port;
    op.stop();
    let redirect = format!("{base}/sso/callback");
    let op = Provider::start(port, "key-2", &redirect);
    let jwks = Browser::default().get(&format!("{}/jwks", op.issuer)).json().unwrap();
    assert_eq!(jwks["keys"][0]["kid"], "key-2");
    let mut b = Browser::default();
    let (_, r) = b.sso(&base, "lee", password("lee"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(roles(&vigil.me(&mut b)), vec!["analyst", "approver"]);
}

/// Break-glass-only local sign-in: a correct password opens a session for the break-glass admin
/// only. Needs no provider (nothing is fetched until someone uses single sign-on).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn break_glass_only_refuses_passwords_except_the_break_glass_admins() {
    let redirect = "http://127.0.0.1:9/sso/callback";
    let sso = oidc_provider::settings(
        "http://127.0.0.1:9",
        redirect,
        json!({"local_sign_in": "break_glass_only", "break_glass_admins": ["admin"]}),
    );
    let env = common::env_with(|c| c.sso = Some(sso));
    let login = |user: &str, password: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/session")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(json!({"username": user, "password": password}).to_string()))
            .unwrap()
    };
    let r = env.send(login("analyst", common::PASSWORD)).await;
    assert_eq!(r.status(), 403);
    let body = common::body_json(r).await;
    assert!(body["error"]["message"].as_str().unwrap().contains("sign in with Test Provider"), "{body}");
    // A wrong password is still just a wrong password.
    assert_eq!(env.send(login("analyst", "not the password at all")).await.status(), 401);
    let r = env.send(login("admin", common::PASSWORD)).await;
    assert_eq!(r.status(), 200);
    // The sign-in page offers the provider and labels the password form.
    let r = env.send(Request::builder().uri("/login").body(Body::empty()).unwrap()).await;
    let page = common::body_text(r).await;
    assert!(page.contains("href=\"/sso/login\"") && page.contains("Sign in with Test Provider"), "{page}");
    assert!(page.contains("break-glass administrators only"), "{page}");
    // The web form refuses the same way.
    let r = env
        .send(
            Request::builder()
                .method("POST")
                .uri("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!("username=analyst&password={}", common::PASSWORD.replace(' ', "+"))))
                .unwrap(),
        )
        .await;
    assert!(r.status().is_client_error());
    assert!(r.headers().get(header::SET_COOKIE).is_none());
    let audit = env.state.store().unwrap().audit(10_000).unwrap();
    assert!(audit.iter().any(|e| e.actor == "analyst" && e.action == "login.refused" && e.result == "sso_only"));
    assert!(!audit.iter().any(|e| e.actor == "analyst" && e.action == "session.start"));
    assert!(audit.iter().any(|e| e.actor == "admin" && e.action == "session.start"));
    env.state.ingest.shutdown();
}

/// Without settings the routes answer 404 and the sign-in page offers passwords only; a
/// callback with no state is refused without a provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sso_routes_without_settings_and_callbacks_without_state() {
    let env = common::env();
    let r = env.send(Request::builder().uri("/sso/login").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), 404);
    let r = env.send(Request::builder().uri("/login").body(Body::empty()).unwrap()).await;
    assert!(!common::body_text(r).await.contains("/sso/login"));
    env.state.ingest.shutdown();

    let sso = oidc_provider::settings("http://127.0.0.1:9", "http://127.0.0.1:9/sso/callback", json!({}));
    let env = common::env_with(|c| c.sso = Some(sso));
    let r = env.send(Request::builder().uri("/sso/callback?code=abc").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), 400);
    assert!(common::body_text(r).await.contains("no state"));
    let r = env.send(Request::builder().uri("/sso/callback?code=abc&state=forged").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), 400);
    // An unreachable provider: /sso/login says so rather than redirecting anywhere.
    let r = env.send(Request::builder().uri("/sso/login").body(Body::empty()).unwrap()).await;
    assert_eq!(r.status(), 502);
    assert!(common::body_text(r).await.contains("cannot fetch the discovery document"));
    env.state.ingest.shutdown();
}
