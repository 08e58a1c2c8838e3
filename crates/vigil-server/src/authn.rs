//! Who is calling, and may they: the middleware in front of every route.
//!
//! A caller is identified by an API token (`Authorization: Bearer vgl_…`, or `Splunk vgl_…` on
//! the HEC endpoint) or by the session cookie. Requests that change state with a session cookie
//! must carry the session's CSRF token (the `X-CSRF-Token` header, or a `csrf` form field);
//! token callers are not browsers and need none. Denials of state-changing requests are audited.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use vigil_auth::{Auth, Permission, Principal, Session};
use vigil_store::{AuditEntry, StateStore};

use crate::{Access, ApiError, Shared, now_ms};

pub const SESSION_COOKIE: &str = "vigil_session";
/// Set on every response the access check refused (`role`, `unauthenticated` or `csrf`), so a
/// refusal by the check is told apart from a handler's own answer.
pub const DENIED_HEADER: &str = "x-vigil-denied";
const MAX_FORM_BYTES: usize = 1 << 20;

/// The caller of a request, when there is one, and the session it came with.
#[derive(Clone)]
pub struct Caller {
    pub principal: Principal,
    pub session: Option<Session>,
}

impl Caller {
    /// The caller as the application layer knows it: every operation checks it again.
    pub fn app(&self) -> vigil_app::Caller {
        vigil_app::Caller::Person(self.principal.clone())
    }
}

pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

fn bearer(headers: &HeaderMap, scheme: &str) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (s, rest) = v.split_once(' ')?;
    s.eq_ignore_ascii_case(scheme).then(|| rest.trim().to_string())
}

/// Identifies the caller. `Ok(None)`: nobody presented anything.
fn identify(state: &Shared, headers: &HeaderMap, hec: bool) -> Result<Option<Caller>, ApiError> {
    let mut store = state.store()?;
    let mut auth = Auth::new(&mut store);
    let now = state.now_ms();
    let token = if hec { bearer(headers, "Splunk") } else { None }.or_else(|| bearer(headers, "Bearer"));
    if let Some(t) = token {
        let p = auth.verify_token(&t, now)?;
        return Ok(Some(Caller { principal: p, session: None }));
    }
    if let Some(secret) = cookie(headers, SESSION_COOKIE) {
        return match auth.session(&secret, now) {
            Ok((p, s)) => Ok(Some(Caller { principal: p, session: Some(s) })),
            // A stale cookie is the same as none.
            Err(_) => Ok(None),
        };
    }
    Ok(None)
}

fn deny(state: &Shared, caller: Option<&Caller>, method: &Method, path: &str, why: &str) {
    if matches!(*method, Method::GET | Method::HEAD) {
        return;
    }
    let who = caller.map_or("anonymous", |c| c.principal.username.as_str());
    let entry = AuditEntry::new(now_ms(), who, "http.denied", &format!("{method} {path}"), "denied", why);
    // The request is refused either way; a refusal that cannot be recorded is an error to see.
    if let Err(e) = state.store().and_then(|mut store| Ok(vigil_queue::audit(&mut store, &entry)?)) {
        tracing::error!("could not record a refused request on the audit log: {}", e.message);
    }
}

fn hec_error(status: StatusCode, code: u8, text: &str) -> Response {
    (status, axum::Json(serde_json::json!({"text": text, "code": code}))).into_response()
}

pub async fn authorize(
    State((state, access, web)): State<(Shared, Access, bool)>,
    req: Request,
    next: Next,
) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let hec = access == Access::Hec;
    let st = state.clone();
    let headers = req.headers().clone();
    let caller = match tokio::task::spawn_blocking(move || identify(&st, &headers, hec)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) if hec => {
            deny(&state, None, &method, &path, &e.message);
            return hec_error(StatusCode::FORBIDDEN, 4, "Invalid token");
        }
        Ok(Err(e)) => {
            deny(&state, None, &method, &path, &e.message);
            let mut r = e.into_response();
            r.headers_mut().insert(DENIED_HEADER, axum::http::HeaderValue::from_static("unauthenticated"));
            return r;
        }
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let allowed = match (access, &caller) {
        (Access::Public, _) => true,
        (_, None) => {
            deny(&state, None, &method, &path, "not signed in");
            let mut r = match (hec, web) {
                (true, _) => hec_error(StatusCode::UNAUTHORIZED, 2, "Token is required"),
                (_, true) => Redirect::to("/login").into_response(),
                _ => ApiError::unauthenticated().into_response(),
            };
            r.headers_mut().insert(DENIED_HEADER, axum::http::HeaderValue::from_static("unauthenticated"));
            return r;
        }
        (Access::Signed, Some(_)) => true,
        (Access::Needs(p), Some(c)) => c.principal.can(p),
        (Access::Hec, Some(c)) => c.principal.can(Permission::Ingest),
    };
    if !allowed {
        deny(&state, caller.as_ref(), &method, &path, "role does not allow it");
        let mut r = if hec {
            hec_error(StatusCode::FORBIDDEN, 4, "Invalid token")
        } else if web {
            crate::web::forbidden_page(caller.as_ref())
        } else {
            ApiError::forbidden(&format!("{method} {path}")).into_response()
        };
        r.headers_mut().insert(DENIED_HEADER, axum::http::HeaderValue::from_static("role"));
        return r;
    }
    // CSRF: a browser session changing state must prove the page came from us.
    let mut req = req;
    // (Public routes — signing in — are exempt: the caller may still hold an old cookie.)
    if let Some(Caller { session: Some(s), .. }) = &caller
        && access != Access::Public
        && !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_string);
        let presented = match header_token {
            Some(t) => Some(t),
            None if is_form(req.headers()) => {
                let (parts, body) = req.into_parts();
                let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
                    Ok(b) => b,
                    Err(_) => return ApiError::bad_request("form too large").into_response(),
                };
                let token = form_field(&bytes, "csrf");
                req = Request::from_parts(parts, Body::from(bytes));
                token
            }
            None => None,
        };
        if !presented.is_some_and(|t| vigil_auth::check_csrf(s, &t)) {
            deny(&state, caller.as_ref(), &method, &path, "missing or wrong CSRF token");
            let mut r = ApiError::new(StatusCode::FORBIDDEN, "csrf", "missing or wrong CSRF token").into_response();
            r.headers_mut().insert(DENIED_HEADER, axum::http::HeaderValue::from_static("csrf"));
            return r;
        }
    }
    let who = caller.as_ref().map(|c| c.principal.username.clone());
    if let Some(c) = caller {
        req.extensions_mut().insert(c);
    }
    let response = next.run(req).await;
    // Every state-changing request by a signed-in caller is on the audit record with its
    // outcome (ingest is recorded per batch by the spool instead: shippers post continuously).
    let ingest = hec || access == Access::Needs(Permission::Ingest);
    if let Some(who) = who
        && !ingest
        && !matches!(method, Method::GET | Method::HEAD | Method::OPTIONS)
    {
        let status = response.status();
        let result = if status.is_success() || status.is_redirection() { "ok" } else { "failed" };
        let st = state.clone();
        let target = format!("{method} {path}");
        let detail = format!("HTTP {}", status.as_u16());
        let entry = AuditEntry::new(now_ms(), &who, "http.request", &target, result, &detail);
        let recorded = tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
            st.store()?.append_audit(&[entry])?;
            Ok(())
        })
        .await;
        // The change is made and answered; what is left is to say loudly that its record failed.
        match recorded {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!("could not record {method} {path} on the audit log: {}", e.message),
            Err(e) => tracing::error!("could not record {method} {path} on the audit log: {e}"),
        }
    }
    response
}

fn is_form(h: &HeaderMap) -> bool {
    h.get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded_pairs(body);
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

/// `a=1&b=2` → pairs, percent-decoded (with the decoder axum's form extractor uses).
fn serde_urlencoded_pairs(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default()
}
