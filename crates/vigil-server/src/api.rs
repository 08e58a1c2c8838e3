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
use vigil_auth::{Auth, Role};
use vigil_cases::{Case, Disposition, Status};
use vigil_queue as q;
use vigil_store::StateStore;

use crate::authn::{Caller, SESSION_COOKIE};
use crate::{ApiError, ApiResult, Shared, now_ms};

/// Runs store work off the async threads.
pub async fn blocking<T: Send + 'static>(f: impl FnOnce() -> ApiResult<T> + Send + 'static) -> ApiResult<T> {
    tokio::task::spawn_blocking(f).await.map_err(ApiError::internal)?
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
    json!({"items": items, "total": total, "limit": limit, "offset": offset})
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
    let st = s.clone();
    blocking(move || {
        let mut store = st.store()?;
        let mut auth = Auth::new(&mut store);
        let now = now_ms();
        auth.login(&username, &password, &ip, &st.limiter, now)?;
        Ok(auth.create_session(&username, now)?)
    })
    .await
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
        blocking(move || {
            let mut store = st.store()?;
            Auth::new(&mut store).end_session(&secret, now_ms())?;
            Ok(())
        })
        .await?;
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

/// Read-only SQL; results capped at `limit` rows (default 1,000, at most 10,000).
pub async fn query(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<Sql>,
) -> ApiResult<Json<Value>> {
    if b.sql.len() > 100_000 {
        return Err(ApiError::bad_request("the query is longer than 100,000 characters"));
    }
    let lake = s.dir.lake();
    let limit = b.limit.unwrap_or(1000).clamp(1, 10_000);
    let st = s.clone();
    let who = c.principal.username.clone();
    blocking(move || {
        let engine = vigil_query::QueryEngine::open(&lake).map_err(ApiError::internal)?;
        let r = engine.run_readonly(&b.sql).map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
        let rows = r.to_json_rows().map_err(ApiError::internal)?;
        let total = rows.len();
        let mut store = st.store()?;
        let sql_short: String = b.sql.chars().take(500).collect();
        q::audit(
            &mut store,
            &vigil_store::AuditEntry::new(
                now_ms(),
                &who,
                "hunt.query",
                "lake",
                "ok",
                &format!("{total} rows: {sql_short}"),
            ),
        )?;
        let offset = b.offset.unwrap_or(0);
        Ok(Json(json!({"columns": r.columns, "rows": rows.into_iter().skip(offset).take(limit).collect::<Vec<_>>(),
            "total": total, "limit": limit, "offset": offset})))
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

pub async fn alerts(State(s): State<Shared>, Query(f): Query<AlertFilter>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let mut all = q::stored_alerts(&store)?;
        if let Some(r) = &f.rule {
            all.retain(|a| a.rule.id == *r || a.rule.title == *r);
        }
        if let Some(l) = &f.level {
            all.retain(|a| a.rule.level.as_str() == l);
        }
        Ok(Json(page(all, &Page { limit: f.limit, offset: f.offset })))
    })
    .await
}

pub async fn alert(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let a = q::stored_alerts(&store)?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no alert {id}")))?;
        Ok(Json(json!(a)))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct IncidentFilter {
    /// Include incidents closed as benign.
    pub all: Option<bool>,
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

pub async fn incidents(State(s): State<Shared>, Query(f): Query<IncidentFilter>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let list: Vec<_> = q::incidents(&store)?.into_iter().filter(|i| f.all.unwrap_or(false) || i.queued).collect();
        Ok(Json(page(list, &Page { limit: f.limit, offset: f.offset })))
    })
    .await
}

pub fn load_incident(store: &dyn StateStore, id: &str) -> ApiResult<vigil_triage::Incident> {
    let d = store.document(q::INCIDENT, id)?.ok_or_else(|| ApiError::not_found(format!("no incident {id}")))?;
    serde_json::from_str(&d.json).map_err(ApiError::internal)
}

pub fn load_case(store: &dyn StateStore, id: &str) -> ApiResult<Case> {
    let d = store.document(q::CASE, id)?.ok_or_else(|| ApiError::not_found(format!("no case {id}")))?;
    serde_json::from_str(&d.json).map_err(ApiError::internal)
}

pub async fn incident(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(load_incident(&s.store()?, &id)?)))).await
}

pub async fn triage(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let _held = s.cases_lock.lock().map_err(ApiError::internal)?;
        let mut store = s.store()?;
        q::audit(
            &mut store,
            &vigil_store::AuditEntry::new(now_ms(), &c.principal.username, "triage.request", "queue", "ok", ""),
        )?;
        let report = q::run(&mut store, now_ms())?;
        let runs = crate::respond::trigger(&s.config, &mut store, s.now_ms())?;
        Ok(Json(json!({"triage": report, "playbook_runs": runs.iter().map(|r| json!({"run": r.id, "playbook": r.playbook.id, "case": r.case_id, "status": r.status})).collect::<Vec<_>>()})))
    })
    .await
}

fn case_json(c: &Case, policy: &vigil_cases::SlaPolicy, now: i64) -> Value {
    json!({"case": c, "sla": c.sla_view(policy, now)})
}

pub async fn cases(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let policy = q::load(&store)?.policy;
        let now = now_ms();
        let list: Vec<Value> = q::cases(&store)?
            .iter()
            .filter(|c| c.merged_into.is_none() && c.status != Status::Closed)
            .map(|c| case_json(c, &policy, now))
            .collect();
        Ok(Json(page(list, &p)))
    })
    .await
}

pub async fn case(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let policy = q::load(&store)?.policy;
        Ok(Json(case_json(&load_case(&store, &id)?, &policy, now_ms())))
    })
    .await
}

/// Applies a person's case operation through `vigil-queue` (stored and audited).
pub async fn case_op<F>(s: Shared, id: String, who: String, action: &'static str, f: F) -> ApiResult<Case>
where
    F: FnOnce(&mut Case, &str, i64) -> Result<String, vigil_cases::CaseError> + Send + 'static,
{
    blocking(move || {
        let _held = s.cases_lock.lock().map_err(ApiError::internal)?;
        let mut store = s.store()?;
        let now = now_ms();
        Ok(q::with_case(&mut store, &id, &who, action, now, |c| f(c, &who, now))?)
    })
    .await
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
) -> ApiResult<Json<Case>> {
    let c = case_op(s, id, c.principal.username, "case.assign", move |case, who, now| {
        let team = b.team.clone().or(case.team.clone());
        case.assign(Some(&b.owner), team.as_deref(), who, now).map(|_| format!("owner {}", b.owner))
    })
    .await?;
    Ok(Json(c))
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
) -> ApiResult<Json<Case>> {
    Ok(Json(
        case_op(s, id, c.principal.username, "case.comment", move |case, who, now| {
            case.comment(&b.text, who, now).map(|_| format!("{} characters", b.text.chars().count()))
        })
        .await?,
    ))
}

pub async fn case_ack(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Case>> {
    Ok(Json(
        case_op(s, id, c.principal.username, "case.ack", |case, who, now| {
            case.acknowledge(who, now).map(|n| format!("new: {n}"))
        })
        .await?,
    ))
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
) -> ApiResult<Json<Case>> {
    let to: Status = b.status.parse().map_err(|e: vigil_cases::CaseError| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        case_op(s, id, c.principal.username, "case.status", move |case, who, now| {
            case.transition(to, who, now).map(|_| to.as_str().into())
        })
        .await?,
    ))
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
) -> ApiResult<Json<Case>> {
    let pause = match b.action.as_str() {
        "pause" => true,
        "resume" => false,
        other => return Err(ApiError::bad_request(format!("action must be pause or resume, not {other:?}"))),
    };
    Ok(Json(
        case_op(
            s,
            id,
            c.principal.username,
            if pause { "case.sla_pause" } else { "case.sla_resume" },
            move |case, who, now| {
                if pause {
                    case.pause_sla(&b.reason, who, now).map(|_| b.reason.clone())
                } else {
                    case.resume_sla(who, now).map(|_| String::new())
                }
            },
        )
        .await?,
    ))
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
) -> ApiResult<Json<Case>> {
    let d: Disposition =
        b.disposition.parse().map_err(|e: vigil_cases::CaseError| ApiError::bad_request(e.to_string()))?;
    Ok(Json(
        case_op(s, id, c.principal.username, "case.resolve", move |case, who, now| {
            case.resolve(d, &b.note, who, now).map(|_| d.as_str().into())
        })
        .await?,
    ))
}

pub async fn rules(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    let paths = s.config.rules.clone();
    blocking(move || {
        let pack = crate::rule_pack(&paths);
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

pub async fn inventory(State(s): State<Shared>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let v: Value = match store.document(q::SETTING, "inventory")? {
            Some(d) => serde_json::from_str(&d.json).map_err(ApiError::internal)?,
            None => json!({}),
        };
        Ok(Json(v))
    })
    .await
}

pub async fn inventory_put(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    body: String,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        let n = q::load_inventory(&mut store, &body, &c.principal.username, now_ms())?;
        Ok(Json(json!({"entities": n})))
    })
    .await
}

pub async fn audit(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let store = s.store()?;
        let mut rows = store.audit(100_000)?;
        rows.reverse();
        Ok(Json(page(rows, &p)))
    })
    .await
}

pub async fn users(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(page(Auth::new(&mut store).users()?, &p)))
    })
    .await
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
    let roles = roles(&b.roles)?;
    blocking(move || {
        let mut store = s.store()?;
        let u = Auth::new(&mut store).create_user(
            &c.principal.username,
            &b.username,
            &b.display_name,
            &roles,
            &b.password,
            now_ms(),
        )?;
        Ok((StatusCode::CREATED, Json(json!(u))))
    })
    .await
}

pub async fn tokens(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(page(Auth::new(&mut store).tokens(None)?, &p)))
    })
    .await
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
    let roles = roles(&b.roles)?;
    blocking(move || {
        let mut store = s.store()?;
        let now = now_ms();
        let owner = b.owner.clone().unwrap_or_else(|| c.principal.username.clone());
        let expires = b.days.map(|d| now + d.clamp(1, 3650) * 86_400_000);
        let (secret, view) =
            Auth::new(&mut store).create_token(&owner, &b.name, &roles, expires, &c.principal.username, now)?;
        Ok((StatusCode::CREATED, Json(json!({"token": secret, "shown_once": true, "details": view}))))
    })
    .await
}

pub async fn token_revoke(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(json!(Auth::new(&mut store).revoke_token(&id, &c.principal.username, now_ms())?)))
    })
    .await
}

pub async fn grants(State(s): State<Shared>, Query(p): Query<Page>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(page(Auth::new(&mut store).grants(None)?, &p)))
    })
    .await
}

#[derive(Debug, Deserialize)]
pub struct NewGrant {
    pub auditor: String,
    pub cases: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub expires_ms: i64,
}

pub async fn grant_create(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<NewGrant>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    blocking(move || {
        let mut store = s.store()?;
        let g = Auth::new(&mut store).grant(
            &c.principal.username,
            &b.auditor,
            &b.cases,
            b.from_ms,
            b.to_ms,
            b.expires_ms,
            now_ms(),
        )?;
        Ok((StatusCode::CREATED, Json(json!(g))))
    })
    .await
}

pub async fn grant_revoke(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(json!(Auth::new(&mut store).revoke_grant(&id, &c.principal.username, now_ms())?)))
    })
    .await
}

/// The cases an auditor may see now: named by an active grant, opened within its period.
pub fn granted_cases(store: &dyn StateStore, c: &Caller) -> ApiResult<Vec<Case>> {
    let now = now_ms();
    Ok(q::cases(store)?.into_iter().filter(|k| c.principal.can_see_case(&k.id, k.times.opened_ms, now)).collect())
}

/// One case for an auditor: refused unless granted; every view is recorded.
pub fn auditor_view(store: &mut dyn StateStore, c: &Caller, id: &str) -> ApiResult<Case> {
    let now = now_ms();
    let case = load_case(store, id).ok().filter(|k| c.principal.can_see_case(&k.id, k.times.opened_ms, now));
    let result = if case.is_some() { "ok" } else { "denied" };
    q::audit(
        store,
        &vigil_store::AuditEntry::new(now, &c.principal.username, "custody.view", id, result, "auditor portal"),
    )?;
    case.ok_or_else(|| ApiError::new(StatusCode::FORBIDDEN, "not_granted", format!("case {id} is not granted to you")))
}

pub async fn auditor_cases(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let mut store = s.store()?;
        let list = granted_cases(&store, &c)?;
        q::audit(
            &mut store,
            &vigil_store::AuditEntry::new(
                now_ms(),
                &c.principal.username,
                "auditor.view",
                "cases",
                "ok",
                &format!("{} cases listed", list.len()),
            ),
        )?;
        Ok(Json(page(list, &p)))
    })
    .await
}

pub async fn auditor_case(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Case>> {
    blocking(move || {
        let mut store = s.store()?;
        Ok(Json(auditor_view(&mut store, &c, &id)?))
    })
    .await
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
    let who = c.principal.username.clone();
    blocking(move || {
        let mut store = st.store()?;
        let mut auth = Auth::new(&mut store);
        let now = now_ms();
        auth.login(&who, &b.current, &ip, &st.limiter, now)?;
        auth.set_password(&who, &who, &b.new, now)?;
        Ok(())
    })
    .await
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
