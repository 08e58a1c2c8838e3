//! The JSON API under `/api/v1`. Every list is paginated (`limit`, at most 1,000, and
//! `offset`) and answers `{"items", "total", "limit", "offset"}`; every error is
//! `{"error": {"code", "message"}}`.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Extension, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use vigil_app::admin;
use vigil_app::cases::CaseOp;
use vigil_auth::Role;
use vigil_cases::{Case, Disposition, Status};
use vigil_queue as q;
use vigil_store::StateStore;

use crate::authn::{Caller, SESSION_COOKIE};
use crate::{ApiError, ApiResult, Shared, v1};

/// Runs store work off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
}

/// [`blocking`] for work that can be cancelled (hunts): the flag `f` gets is cancelled when the
/// client goes away (hyper drops this future, and the guard with it) or when the server starts
/// stopping, so an abandoned query stops using memory and a core at once (F1).
pub async fn cancellable<T: Send + 'static>(
    s: &Shared,
    f: impl FnOnce(vigil_query::Cancel) -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    let cancel = vigil_query::Cancel::new();
    let _on_drop = cancel.on_drop();
    let task = blocking({
        let cancel = cancel.clone();
        move || f(cancel)
    });
    let mut task = std::pin::pin!(task);
    tokio::select! {
        r = &mut task => r,
        _ = s.stopping.cancelled() => {
            cancel.cancel();
            task.await
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct Page {
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

impl Page {
    fn bounds(&self) -> (usize, usize) {
        (self.limit.unwrap_or(50).clamp(1, 1000), self.offset.unwrap_or(0))
    }
}

pub fn page<T: Serialize>(items: Vec<T>, p: &Page) -> Value {
    let (limit, offset) = p.bounds();
    let total = items.len();
    let items: Vec<T> = items.into_iter().skip(offset).take(limit).collect();
    serde_json::to_value(v1::Page { items, total, limit, offset }).unwrap_or(Value::Null)
}

pub async fn not_found() -> ApiError {
    ApiError::not_found("no such route")
}

pub async fn health(State(s): State<Shared>) -> ApiResult<Json<Value>> {
    let st = s.clone();
    let v = blocking(move || Ok(st.store()?.schema_version()?)).await?;
    Ok(Json(json!({"status": "ok", "schema_version": v, "spooled_bytes": s.ingest.pending_bytes()})))
}

#[derive(Debug, Deserialize)]
pub struct Login {
    pub username: String,
    pub password: String,
}

/// Signs in; returns the CSRF token the caller must echo on state-changing requests.
pub async fn sign_in(
    s: &Shared,
    username: String,
    password: String,
    ip: String,
) -> ApiResult<(String, vigil_auth::Session)> {
    crate::authn::sign_in(s, username, password, ip).await
}

pub fn session_cookie(s: &Shared, secret: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if s.config.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub async fn login(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(b): Json<Login>,
) -> ApiResult<Response> {
    let (secret, session) = sign_in(&s, b.username, b.password, addr.ip().to_string()).await?;
    let mut r = Json(
        json!({"username": session.username, "csrf_token": session.csrf_token, "expires_ms": session.expires_ms()}),
    )
    .into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&s, &secret, 12 * 3600));
    Ok(r)
}

pub async fn logout(State(s): State<Shared>, headers: HeaderMap) -> ApiResult<Response> {
    if let Some(secret) = crate::authn::cookie(&headers, SESSION_COOKIE) {
        let st = s.clone();
        blocking(move || Ok(st.app.sign_out(&secret)?)).await?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(header::SET_COOKIE, session_cookie(&s, "", 0));
    Ok(r)
}

pub async fn me(Extension(c): Extension<Caller>) -> Json<Value> {
    Json(json!({
        "username": c.principal.username,
        "roles": c.principal.roles,
        "permissions": vigil_auth::Permission::ALL.iter().filter(|p| c.principal.can(**p)).collect::<Vec<_>>(),
        "grants": c.principal.grants,
        "csrf_token": c.session.as_ref().map(|s| s.csrf_token.clone()),
    }))
}

#[derive(Debug, Deserialize)]
pub struct Sql {
    pub sql: String,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

/// Read-only SQL; a page of `limit` rows (default 1,000, at most 10,000) from `offset`. The
/// engine stops after `offset + limit` rows: `total` counts the rows up to there and `truncated`
/// says more matched.
pub async fn query(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<Sql>,
) -> ApiResult<Json<Value>> {
    let limit = b.limit.unwrap_or(1000).clamp(1, 10_000);
    let offset = b.offset.unwrap_or(0);
    cancellable(&s.clone(), move |cancel| {
        let r = s.app.hunt_cancellable(&c.app(), &b.sql, Some(offset.saturating_add(limit)), Some(cancel))?;
        let rows = r.to_json_rows().map_err(ApiError::internal)?;
        let total = rows.len();
        Ok(Json(json!({"columns": r.columns, "rows": rows.into_iter().skip(offset).take(limit).collect::<Vec<_>>(),
            "total": total, "truncated": r.truncated, "limit": limit, "offset": offset})))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct AlertFilter {
    pub rule: Option<String>,
    pub level: Option<String>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

pub async fn alerts(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(f): Query<AlertFilter>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let all = s.app.alerts(&c.app(), &vigil_app::auditor::AlertFilter { rule: f.rule, level: f.level })?;
        Ok(Json(page(v1::all::<_, v1::Alert>(all), &Page { limit: f.limit, offset: f.offset })))
    })
    .await
}

pub async fn alert(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(v1::Alert::from(s.app.alert(&c.app(), &id)?))))).await
}

#[derive(Debug, Deserialize)]
pub struct IncidentFilter {
    /// Include incidents closed as benign.
    pub all: Option<bool>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

pub async fn incidents(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(f): Query<IncidentFilter>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let list = s.app.incidents(&c.app(), f.all.unwrap_or(false))?;
        Ok(Json(page(v1::all::<_, v1::Incident>(list), &Page { limit: f.limit, offset: f.offset })))
    })
    .await
}

pub fn load_case(store: &dyn StateStore, id: &str) -> ApiResult<Case> {
    Ok(q::case(store, id)?)
}

pub async fn incident(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(v1::Incident::from(s.app.incident(&c.app(), &id)?))))).await
}

#[derive(Deserialize)]
pub struct InvestigationQuery {
    /// Make a new investigation even when the kept one still describes the incident.
    #[serde(default)]
    fresh: bool,
}

/// The incident's investigation: the one kept since triage while it still describes the
/// incident, else made now (and kept, when the caller may keep it).
pub async fn investigation(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Query(f): Query<InvestigationQuery>,
) -> ApiResult<Json<vigil_assistant::investigate::Investigation>> {
    blocking(move || {
        let (record, _) =
            vigil_assistant::investigate::kept_or_new(&s.app, &c.app(), &id, &s.config.response, f.fresh)?;
        Ok(Json(record))
    })
    .await
}

pub async fn triage(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let report = s.app.triage(&c.app())?;
        let runs = crate::respond::trigger_all(&s.config, &s.app)?;
        Ok(Json(json!({"triage": report, "playbook_runs": runs.iter().map(|r| json!({"run": r.id, "playbook": r.playbook.id, "case": r.case_id, "status": r.status})).collect::<Vec<_>>()})))
    })
    .await
}

pub async fn cases(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(page(v1::all::<_, v1::CaseWithClocks>(s.app.open_cases(&c.app())?), &p)))).await
}

pub async fn case(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(v1::CaseWithClocks::from(s.app.case(&c.app(), &id)?))))).await
}

/// Applies a case operation through the application layer (checked, stored, audited once).
pub async fn case_op(s: Shared, c: &Caller, id: String, op: CaseOp) -> ApiResult<Case> {
    let who = c.app();
    blocking(move || Ok(s.app.case_op(&who, &id, &op)?)).await
}

#[derive(Debug, Deserialize)]
pub struct Assign {
    pub owner: String,
    pub team: Option<String>,
}

pub async fn case_assign(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<Assign>,
) -> ApiResult<Json<v1::Case>> {
    Ok(Json(case_op(s, &c, id, CaseOp::Assign { owner: b.owner, team: b.team }).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct CommentBody {
    pub text: String,
}

pub async fn case_comment(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<CommentBody>,
) -> ApiResult<Json<v1::Case>> {
    Ok(Json(case_op(s, &c, id, CaseOp::Comment { text: b.text }).await?.into()))
}

pub async fn case_ack(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<v1::Case>> {
    Ok(Json(case_op(s, &c, id, CaseOp::Acknowledge).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct StatusBody {
    pub status: String,
}

pub async fn case_status(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<StatusBody>,
) -> ApiResult<Json<v1::Case>> {
    let to: Status = b.status.parse().map_err(|e: vigil_cases::CaseError| ApiError::bad_request(e.to_string()))?;
    Ok(Json(case_op(s, &c, id, CaseOp::Status(to)).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct SlaBody {
    /// `pause` or `resume`.
    pub action: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn case_sla(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<SlaBody>,
) -> ApiResult<Json<v1::Case>> {
    let op = match b.action.as_str() {
        "pause" => CaseOp::PauseSla { reason: b.reason },
        "resume" => CaseOp::ResumeSla,
        other => return Err(ApiError::bad_request(format!("action must be pause or resume, not {other:?}"))),
    };
    Ok(Json(case_op(s, &c, id, op).await?.into()))
}

#[derive(Debug, Deserialize)]
pub struct DispositionBody {
    pub disposition: String,
    #[serde(default)]
    pub note: String,
}

pub async fn case_disposition(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<DispositionBody>,
) -> ApiResult<Json<v1::Case>> {
    let disposition: Disposition =
        b.disposition.parse().map_err(|e: vigil_cases::CaseError| ApiError::bad_request(e.to_string()))?;
    Ok(Json(case_op(s, &c, id, CaseOp::Resolve { disposition, note: b.note }).await?.into()))
}

pub async fn rules(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let pack = s.config.detection.rules()?.pack;
        let rules: Vec<Value> = pack
            .rules
            .iter()
            .map(|r| json!({"id": r.info.id, "title": r.info.title, "level": r.info.level.as_str(), "file": r.info.file, "idle": r.idle}))
            .collect();
        let mut v = page(rules, &p);
        v["summary"] = json!(pack.summary());
        v["rejected"] = json!(pack.rejected);
        Ok(Json(v))
    })
    .await
}

pub async fn inventory(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(s.app.inventory(&c.app())?))).await
}

/// `GET /api/v1/sources`: each live source's connection (never its secret, only the secret's
/// name) and health, with its lag, events per minute and blind spot worked out now.
pub async fn sources(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let who = c.app();
        let now = s.now_ms();
        let rows: Vec<Value> = s
            .app
            .sources(&who)?
            .iter()
            .map(|(k, h)| {
                json!({
                    "name": k.name,
                    "kind": k.kind.name(),
                    "base_url": k.base_url,
                    "secret": k.secret,
                    "backfill_days": k.backfill_days,
                    "page_limit": k.page_limit,
                    "last_poll_ms": h.last_poll_ms,
                    "last_success_ms": h.last_success_ms,
                    "last_error": h.last_error,
                    "failures": h.failures,
                    "lag_ms": h.lag_ms(now),
                    "events_total": h.events_total,
                    "events_per_minute": h.events_per_minute(),
                    "blind_spot": h.blind_spot(now),
                })
            })
            .collect();
        Ok(Json(json!({ "sources": rows })))
    })
    .await
}

pub async fn inventory_put(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    body: String,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!({"entities": s.app.load_inventory(&c.app(), &body)?})))).await
}

pub async fn audit(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut rows = s.app.audit_log(&c.app(), 100_000)?;
        rows.reverse();
        Ok(Json(page(v1::all::<_, v1::AuditEntry>(rows), &p)))
    })
    .await
}

pub async fn users(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(page(s.app.users(&c.app())?, &p)))).await
}

#[derive(Debug, Deserialize)]
pub struct NewUser {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub roles: Vec<String>,
    pub password: String,
}

fn roles(names: &[String]) -> ApiResult<Vec<Role>> {
    names.iter().map(|r| r.parse::<Role>().map_err(ApiError::from)).collect()
}

pub async fn user_create(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<NewUser>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let u = admin::NewUser {
        roles: roles(&b.roles)?,
        username: b.username,
        display_name: b.display_name,
        password: b.password,
    };
    blocking(move || Ok((StatusCode::CREATED, Json(json!(s.app.create_user(&c.app(), &u)?))))).await
}

pub async fn user_disable(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(s.app.disable_user(&c.app(), &name)?)))).await
}

pub async fn user_enable(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(s.app.enable_user(&c.app(), &name)?)))).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordReset {
    pub password: String,
}

/// An admin sets another user's password; that user's sessions end.
pub async fn user_password(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    Json(b): Json<PasswordReset>,
) -> ApiResult<StatusCode> {
    blocking(move || Ok(s.app.reset_password(&c.app(), &name, &b.password)?)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Forgets sessions that ended or lapsed over a week ago.
pub async fn sessions_prune(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!({"pruned": s.app.prune_sessions(&c.app())?})))).await
}

pub async fn tokens(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(page(s.app.tokens(&c.app())?, &p)))).await
}

#[derive(Debug, Deserialize)]
pub struct NewToken {
    pub owner: Option<String>,
    pub name: String,
    pub roles: Vec<String>,
    /// Lifetime in days (none: no expiry).
    pub days: Option<i64>,
}

pub async fn token_create(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<NewToken>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let t = admin::NewToken { roles: roles(&b.roles)?, owner: b.owner, name: b.name, days: b.days };
    blocking(move || {
        let (secret, view) = s.app.create_token(&c.app(), &t)?;
        Ok((StatusCode::CREATED, Json(json!({"token": secret, "shown_once": true, "details": view}))))
    })
    .await
}

pub async fn token_revoke(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(s.app.revoke_token(&c.app(), &id)?)))).await
}

pub async fn grants(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(page(s.app.grants(&c.app())?, &p)))).await
}

pub async fn grant_create(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(g): Json<admin::NewGrant>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    blocking(move || Ok((StatusCode::CREATED, Json(json!(s.app.create_grant(&c.app(), &g)?))))).await
}

pub async fn grant_revoke(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(s.app.revoke_grant(&c.app(), &id)?)))).await
}

/// One case for an auditor: refused unless granted; every view is recorded.
pub fn auditor_view(s: &Shared, c: &Caller, id: &str) -> ApiResult<Case> {
    Ok(s.app.auditor_case(&c.app(), id)?)
}

pub async fn auditor_cases(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(page(v1::all::<_, v1::Case>(s.app.granted_cases(&c.app())?), &p)))).await
}

pub async fn auditor_case(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<v1::Case>> {
    blocking(move || Ok(Json(auditor_view(&s, &c, &id)?.into()))).await
}

#[derive(Debug, Deserialize)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}

/// Changes the caller's own password after checking the current one (subject to the login
/// limit); every session of the user ends, so they sign in again.
pub async fn change_password(s: &Shared, c: &Caller, ip: String, b: PasswordChange) -> ApiResult<()> {
    let st = s.clone();
    let who = c.app();
    blocking(move || Ok(st.app.change_own_password(&who, &b.current, &b.new, &ip, &st.limiter)?)).await
}

pub async fn me_password(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(b): Json<PasswordChange>,
) -> ApiResult<StatusCode> {
    change_password(&s, &c, addr.ip().to_string(), b).await?;
    Ok(StatusCode::NO_CONTENT)
}
