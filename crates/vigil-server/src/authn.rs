//! Who is calling, and may they: the middleware in front of every route.
//!
//! A caller is identified by an API token (`Authorization: Bearer vgl_…`, or `Splunk vgl_…` on
//! the HEC endpoint) or by the session cookie. Requests that change state with a session cookie
//! must carry the session's CSRF token (the `X-CSRF-Token` header, or a `csrf` form field);
//! token callers are not browsers and need none. Denials of state-changing requests are audited:
//! one entry each for a signed-in caller; for anonymous callers (and sign-ins refused while an
//! account or address is locked) counted in memory per route and address and written as one
//! summary entry per window ([`Denials`], F4), so a flood of anonymous requests cannot grow the
//! ledger by a row a request.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use vigil_auth::{Auth, Permission, Principal, Session};
use vigil_store::{AuditEntry, StateStore};

use crate::{Access, ApiError, ApiResult, AppState, Shared, now_ms};

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

/// Where a refused request came from, for the summaries of anonymous refusals.
struct Origin {
    /// The route's template (`POST /api/v1/cases/{id}`), so varying paths share one count.
    route: String,
    /// The client's address, without the port.
    source: String,
}

fn origin(req: &Request) -> Origin {
    let path = req.extensions().get::<MatchedPath>().map_or_else(|| req.uri().path(), |m| m.as_str());
    let source = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    Origin { route: format!("{} {path}", req.method()), source }
}

fn deny(state: &Shared, caller: Option<&Caller>, origin: &Origin, method: &Method, path: &str, why: &str) {
    if matches!(*method, Method::GET | Method::HEAD) {
        return;
    }
    let Some(c) = caller else {
        let key = DenialKey {
            action: "http.denied",
            actor: "anonymous".to_string(),
            target: origin.route.clone(),
            result: "denied",
            source: origin.source.clone(),
            why: why.to_string(),
        };
        state.denials.count(state, key, now_ms());
        return;
    };
    let entry =
        AuditEntry::new(now_ms(), &c.principal.username, "http.denied", &format!("{method} {path}"), "denied", why);
    // The request is refused either way; a refusal that cannot be recorded is an error to see.
    if let Err(e) = state.store().and_then(|mut store| Ok(vigil_queue::audit(&mut store, &entry)?)) {
        tracing::error!("could not record a refused request on the audit log: {}", e.message);
    }
}

/// What one summary counts: refusals with the same action, actor, target, result, address and
/// reason.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DenialKey {
    pub action: &'static str,
    pub actor: String,
    pub target: String,
    pub result: &'static str,
    pub source: String,
    pub why: String,
}

#[derive(Debug, Clone, Copy)]
struct Tally {
    first_ms: i64,
    last_ms: i64,
    count: u64,
}

/// Most distinct (route, address, …) counts held; past it, new addresses share one count per
/// route ("many addresses"), so memory stays bounded under a flood from many addresses.
const MAX_TALLIES: usize = 10_000;
const MANY: &str = "many addresses";

/// Refusals of anonymous callers, counted in memory and written as one audit entry per key and
/// window: when the next refusal of the same key comes after its window, every window (the
/// server's housekeeping) and at shutdown.
pub struct Denials {
    window_ms: i64,
    tallies: Mutex<HashMap<DenialKey, Tally>>,
    last_sweep_ms: AtomicI64,
}

impl Denials {
    pub fn new(window: std::time::Duration) -> Denials {
        Denials {
            window_ms: i64::try_from(window.as_millis()).unwrap_or(i64::MAX).max(1),
            tallies: Mutex::default(),
            last_sweep_ms: AtomicI64::new(now_ms()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<DenialKey, Tally>> {
        self.tallies.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one refusal at `now`; writes the summaries that fell due.
    pub fn count(&self, state: &AppState, key: DenialKey, now: i64) {
        let due = self.count_due(key, now);
        write_summaries(state, &due);
    }

    fn count_due(&self, mut key: DenialKey, now: i64) -> Vec<AuditEntry> {
        let mut due = Vec::new();
        let mut tallies = self.lock();
        if let Some(t) = tallies.get(&key).copied()
            && now.saturating_sub(t.first_ms) >= self.window_ms
        {
            tallies.remove(&key);
            due.push(summary(&key, &t));
        }
        let last = self.last_sweep_ms.load(Ordering::Relaxed);
        if now.saturating_sub(last) >= self.window_ms {
            self.last_sweep_ms.store(now, Ordering::Relaxed);
            due.extend(self.take(&mut tallies, |t| now.saturating_sub(t.first_ms) >= self.window_ms));
        }
        if !tallies.contains_key(&key) && tallies.len() >= MAX_TALLIES {
            key.source = MANY.to_string();
        }
        let t = tallies.entry(key).or_insert(Tally { first_ms: now, last_ms: now, count: 0 });
        t.count += 1;
        t.last_ms = t.last_ms.max(now);
        due
    }

    fn take(&self, tallies: &mut HashMap<DenialKey, Tally>, pick: impl Fn(&Tally) -> bool) -> Vec<AuditEntry> {
        let keys: Vec<DenialKey> = tallies.iter().filter(|(_, t)| pick(t)).map(|(k, _)| k.clone()).collect();
        let mut out: Vec<(i64, AuditEntry)> =
            keys.into_iter().filter_map(|k| tallies.remove(&k).map(|t| (t.first_ms, summary(&k, &t)))).collect();
        out.sort_by_key(|(first, _)| *first);
        out.into_iter().map(|(_, e)| e).collect()
    }

    /// Writes the summaries of windows that ended by `now`.
    pub fn flush_due(&self, state: &AppState, now: i64) {
        let due = {
            let mut tallies = self.lock();
            self.last_sweep_ms.store(now, Ordering::Relaxed);
            self.take(&mut tallies, |t| now.saturating_sub(t.first_ms) >= self.window_ms)
        };
        write_summaries(state, &due);
    }

    /// Writes every count held (at shutdown).
    pub fn flush_all(&self, state: &AppState) {
        let all = {
            let mut tallies = self.lock();
            self.take(&mut tallies, |_| true)
        };
        write_summaries(state, &all);
    }

    /// Refusals counted and not yet written.
    pub fn pending(&self) -> u64 {
        self.lock().values().map(|t| t.count).sum()
    }
}

fn summary(k: &DenialKey, t: &Tally) -> AuditEntry {
    let span = format!("between {} and {}", ms_text(t.first_ms), ms_text(t.last_ms));
    let detail = if k.action == "http.denied" {
        format!("{} anonymous denials of {} from {} {span}: {}", t.count, k.target, k.source, k.why)
    } else {
        format!("ip={}; {} attempts {span}", k.source, t.count)
    };
    AuditEntry::new(t.last_ms, &k.actor, k.action, &k.target, k.result, &detail)
}

fn ms_text(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or_else(|| ms.to_string(), |d| d.to_rfc3339())
}

fn write_summaries(state: &AppState, entries: &[AuditEntry]) {
    if entries.is_empty() {
        return;
    }
    let written = state.store().and_then(|mut store| {
        store.append_audit(entries)?;
        Ok(())
    });
    if let Err(e) = written {
        tracing::error!(
            "could not record {} summaries of refused requests on the audit log: {}",
            entries.len(),
            e.message
        );
    }
}

/// Signs in (see [`vigil_app::App::sign_in`]). While the username or address is locked, the
/// refusal is counted into one summary per window (`login.fail`, `locked`) instead of a row
/// per attempt; failures before the lock stay one row each (the limiter bounds them).
pub async fn sign_in(s: &Shared, username: String, password: String, ip: String) -> ApiResult<(String, Session)> {
    let st = s.clone();
    crate::api::blocking(move || {
        if let Err(vigil_auth::RetryAfterSecs(retry_after_secs)) = st.limiter.check(&username, &ip, st.now_ms()) {
            let who: String = username.chars().filter(|c| !c.is_control()).take(64).collect();
            let key = DenialKey {
                action: "login.fail",
                actor: who.clone(),
                target: who,
                result: "locked",
                source: ip.chars().filter(|c| !c.is_control()).take(64).collect(),
                why: String::new(),
            };
            st.denials.count(&st, key, now_ms());
            return Err(vigil_auth::AuthError::Locked { retry_after_secs }.into());
        }
        Ok(st.app.sign_in(&username, &password, &ip, &st.limiter)?)
    })
    .await
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
    let origin = origin(&req);
    let hec = access == Access::Hec;
    let st = state.clone();
    let headers = req.headers().clone();
    let caller = match tokio::task::spawn_blocking(move || identify(&st, &headers, hec)).await {
        Ok(Ok(c)) => c,
        Ok(Err(e)) if hec => {
            deny(&state, None, &origin, &method, &path, &e.message);
            return hec_error(StatusCode::FORBIDDEN, 4, "Invalid token");
        }
        Ok(Err(e)) => {
            deny(&state, None, &origin, &method, &path, &e.message);
            let mut r = e.into_response();
            r.headers_mut().insert(DENIED_HEADER, axum::http::HeaderValue::from_static("unauthenticated"));
            return r;
        }
        Err(e) => return ApiError::internal(e).into_response(),
    };
    let allowed = match (access, &caller) {
        (Access::Public, _) => true,
        (_, None) => {
            deny(&state, None, &origin, &method, &path, "not signed in");
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
        deny(&state, caller.as_ref(), &origin, &method, &path, "role does not allow it");
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
            deny(&state, caller.as_ref(), &origin, &method, &path, "missing or wrong CSRF token");
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
