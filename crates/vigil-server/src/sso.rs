//! The single sign-on routes: `/sso/login` sends the browser to the OpenID provider and
//! `/sso/callback` takes it back. They carry redirects and cookies only; the sign-in itself —
//! `state`, PKCE, the code exchange, the ID token's checks, groups to roles, creating users,
//! the audit — is the application layer's ([`vigil_app::sso`]).
//!
//! A sign-in is bound to the browser that began it by a short-lived cookie (`vigil_sso`,
//! HttpOnly, `SameSite=Lax` so that it comes back on the provider's cross-site redirect, sent to
//! `/sso/callback` only, ten minutes). Callbacks that match no sign-in begun here are counted
//! into the summaries of anonymous refusals ([`crate::authn::Denials`]) rather than written a
//! row each.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use vigil_app::sso::{Callback, SsoError};
use vigil_auth::LocalSignIn;

use crate::api::blocking;
use crate::authn::{DenialKey, cookie};
use crate::web::{html_response, page};
use crate::{Shared, now_ms};

/// The cookie binding a sign-in in flight to its browser.
pub const SSO_COOKIE: &str = "vigil_sso";
const SSO_COOKIE_PATH: &str = "/sso/callback";

fn binding_cookie(s: &Shared, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if s.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SSO_COOKIE}={value}; Path={SSO_COOKIE_PATH}; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn refusal(status: StatusCode, why: &str) -> Response {
    html_response(
        status,
        page(
            "Single sign-on did not sign you in",
            None,
            html! {
                p role="alert" { (why) }
                p { a href="/login" { "Back to sign-in" } }
            },
        ),
    )
}

fn not_configured() -> Response {
    refusal(StatusCode::NOT_FOUND, "Single sign-on is not configured on this server.")
}

/// The sign-in page's single sign-on part: a link to the provider and, where passwords are for
/// break-glass admins only, a label saying so over the password form.
pub(crate) fn login_choices(s: &Shared) -> Markup {
    let Some(settings) = s.app.sso_settings() else { return html! {} };
    html! {
        p.sso { a.button id="sso" href="/sso/login" { "Sign in with " (settings.provider_name) } }
        @if settings.local_sign_in == LocalSignIn::BreakGlassOnly {
            p.note id="break-glass" { "Password sign-in below is for break-glass administrators only." }
        }
    }
}

/// `GET /sso/login`: to the provider, with a fresh sign-in bound to this browser.
pub async fn login(State(s): State<Shared>) -> Response {
    let st = s.clone();
    match blocking(move || Ok(st.app.sso_begin())).await {
        Ok(Ok(started)) => {
            let Ok(location) = HeaderValue::from_str(&started.url) else {
                return refusal(StatusCode::BAD_GATEWAY, "The provider's authorization endpoint is not a usable URL.");
            };
            let mut r = StatusCode::FOUND.into_response();
            r.headers_mut().insert(header::LOCATION, location);
            r.headers_mut().insert(header::SET_COOKIE, binding_cookie(&s, &started.browser, 600));
            r
        }
        Ok(Err(SsoError::NotConfigured)) => not_configured(),
        Ok(Err(e)) => refusal(StatusCode::BAD_GATEWAY, &e.to_string()),
        Err(e) => crate::web::error_page(None, &e),
    }
}

fn callback_params(query: Option<&str>) -> Callback {
    let pairs: Vec<(String, String)> = query.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
    // The first of each: a repeated parameter gains nothing.
    let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    Callback {
        code: get("code"),
        state: get("state"),
        error: get("error"),
        error_description: get("error_description"),
    }
}

/// `GET /sso/callback`: the provider's answer. On success the session cookie is set as a
/// password sign-in sets it, and a page sends the browser on to the queue (a same-site
/// navigation, so that the `SameSite=Strict` session cookie goes with it).
pub async fn callback(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let cb = callback_params(query.as_deref());
    let browser = cookie(&headers, SSO_COOKIE);
    let ip = addr.ip().to_string();
    let st = s.clone();
    let ip2 = ip.clone();
    let outcome = blocking(move || Ok(st.app.sso_finish(&cb, browser.as_deref(), &ip2))).await;
    let mut r = match outcome {
        Ok(Ok(done)) => {
            let mut r = html_response(
                StatusCode::OK,
                html! {
                    (maud::DOCTYPE)
                    html lang="en" {
                        head {
                            meta charset="utf-8";
                            meta http-equiv="refresh" content="0;url=/";
                            title { "Signed in · Vigil" }
                            link rel="stylesheet" href="/static/vigil.css";
                        }
                        body { main { p id="signed-in" { "Signed in as " (done.username) ". " a href="/" { "Continue" } } } }
                    }
                },
            );
            r.headers_mut().append(header::SET_COOKIE, crate::api::session_cookie(&s, &done.secret, 12 * 3600));
            r
        }
        Ok(Err(SsoError::NotConfigured)) => not_configured(),
        Ok(Err(SsoError::State(why))) => {
            let key = DenialKey {
                action: "sso.login",
                actor: "anonymous".into(),
                target: "GET /sso/callback".into(),
                result: "denied",
                source: ip,
                why: why.clone(),
            };
            let st = s.clone();
            let _ = tokio::task::spawn_blocking(move || st.denials.count(&st, key, now_ms())).await;
            refusal(StatusCode::BAD_REQUEST, &format!("Sign-in refused: {why}."))
        }
        Ok(Err(SsoError::Refused(why))) => refusal(StatusCode::FORBIDDEN, &format!("Sign-in refused: {why}.")),
        Ok(Err(SsoError::Failed(e))) => crate::web::error_page(None, &e.into()),
        Err(e) => crate::web::error_page(None, &e),
    };
    // The binding cookie is spent either way.
    r.headers_mut().append(header::SET_COOKIE, binding_cookie(&s, "", 0));
    r
}
