//! Response over HTTP: playbooks, runs (start, dry-run, roll back), and the approvals inbox.
//! Approving and denying need the `approve` permission and never work on one's own request.

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_auth::Permission;
use vigil_respond::engine::{self, Env};
use vigil_respond::{Approval, ApprovalStatus, Playbook, RespondError, Run};
use vigil_store::StateStore;

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page, when};
use crate::{ApiError, ApiResult, Config, Shared, now_ms};

impl From<RespondError> for ApiError {
    fn from(e: RespondError) -> ApiError {
        match e {
            RespondError::NotFound(m) => ApiError::not_found(m),
            RespondError::Invalid(m) => ApiError::bad_request(m),
            RespondError::Refused(m) => ApiError::new(StatusCode::FORBIDDEN, "refused", m),
            RespondError::Format(f) => ApiError::bad_request(f.to_string()),
            RespondError::Queue(q) => q.into(),
            RespondError::Store(s) => s.into(),
        }
    }
}

impl From<vigil_connectors::ConnectorError> for ApiError {
    fn from(e: vigil_connectors::ConnectorError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

/// The playbooks in force: the built-in pilot ones and the configured files.
pub fn playbooks(cfg: &Config) -> ApiResult<Vec<Playbook>> {
    vigil_respond::format::in_force(&cfg.playbooks)
        .map_err(|e| ApiError::internal(format!("playbook file rejected: {e}")))
}

/// Connector settings and secrets, read fresh for each use (secrets never kept in memory longer).
pub fn connectors(cfg: &Config) -> ApiResult<(Value, vigil_connectors::Secrets)> {
    vigil_connectors::load_settings(cfg.connectors.as_deref(), cfg.secrets.as_deref())
        .map_err(|e| ApiError::internal(e.to_string()))
}

fn with_env<T>(s: &Shared, f: impl FnOnce(&mut dyn StateStore, &Env<'_>) -> ApiResult<T>) -> ApiResult<T> {
    let (config, secrets) = connectors(&s.config)?;
    let env = Env { config: &config, secrets: &secrets, now_ms: s.now_ms() };
    let _held = s.cases_lock.lock().map_err(ApiError::internal)?;
    let mut store = s.store()?;
    f(&mut store, &env)
}

/// Starts the playbooks whose triggers match queued incidents (after triage).
pub fn trigger(cfg: &Config, store: &mut dyn StateStore, now: i64) -> ApiResult<Vec<Run>> {
    let pbs = playbooks(cfg)?;
    let (config, secrets) = connectors(cfg)?;
    let env = Env { config: &config, secrets: &secrets, now_ms: now };
    Ok(engine::trigger(store, &pbs, &env)?)
}

pub async fn list_playbooks(State(s): State<Shared>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let pbs = playbooks(&s.config)?;
        Ok(Json(json!(pbs.iter().map(|p| json!({"id": p.id, "name": p.name, "version": p.version, "enabled": p.enabled, "trigger": p.trigger, "approval": p.approval, "steps": p.steps, "controls": p.controls, "mitigations": p.mitigations})).collect::<Vec<_>>())))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct RunRequest {
    #[serde(default)]
    pub dry_run: bool,
}

/// An optional JSON body: empty means the defaults.
fn optional<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> ApiResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("body: {e}")))
}

fn start(s: &Shared, c: &Caller, case: &str, playbook: &str, dry_run: bool) -> ApiResult<Value> {
    let pbs = playbooks(&s.config)?;
    let pb =
        pbs.iter().find(|p| p.id == playbook).ok_or_else(|| ApiError::not_found(format!("no playbook {playbook}")))?;
    with_env(s, |store, env| {
        if dry_run {
            return Ok(json!(engine::dry_run(store, pb, case, &c.principal.username, env)?));
        }
        let run = engine::start(store, pb, case, &c.principal.username, env.now_ms)?;
        Ok(json!(engine::advance(store, &run.id, env)?))
    })
}

pub async fn run_playbook(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path((case, playbook)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let dry = optional::<RunRequest>(&body)?.dry_run;
    blocking(move || {
        Ok((if dry { StatusCode::OK } else { StatusCode::CREATED }, Json(start(&s, &c, &case, &playbook, dry)?)))
    })
    .await
}

pub async fn runs(State(s): State<Shared>) -> ApiResult<Json<Vec<Run>>> {
    blocking(move || {
        let mut r = engine::runs(&s.store()?)?;
        r.sort_by_key(|x| std::cmp::Reverse(x.created_ms));
        Ok(Json(r))
    })
    .await
}

pub async fn run(State(s): State<Shared>, Path(id): Path<String>) -> ApiResult<Json<Run>> {
    blocking(move || Ok(Json(engine::load_run(&s.store()?, &id)?))).await
}

#[derive(Debug, Default, Deserialize)]
pub struct RollbackRequest {
    #[serde(default)]
    pub step: Option<String>,
}

pub async fn rollback(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Run>> {
    let step = optional::<RollbackRequest>(&body)?.step;
    blocking(move || {
        with_env(&s, |store, env| Ok(Json(engine::rollback(store, &id, step.as_deref(), &c.principal.username, env)?)))
    })
    .await
}

pub async fn approvals(State(s): State<Shared>) -> ApiResult<Json<Vec<Approval>>> {
    blocking(move || {
        let store = s.store()?;
        let mut list = engine::approvals(&store)?;
        list.retain(|a| a.status == ApprovalStatus::Pending);
        list.sort_by_key(|a| a.requested_ms);
        Ok(Json(list))
    })
    .await
}

#[derive(Debug, Default, Deserialize)]
pub struct Decision {
    #[serde(default)]
    pub note: String,
    /// Edited inputs (approve only), a JSON object.
    #[serde(default)]
    pub inputs: Option<Value>,
}

fn decide(s: &Shared, c: &Caller, id: &str, yes: bool, d: Decision) -> ApiResult<Approval> {
    with_env(s, |store, env| {
        Ok(if yes {
            engine::approve(store, id, &c.principal.username, &d.note, d.inputs, env)?
        } else {
            engine::deny(store, id, &c.principal.username, &d.note, env)?
        })
    })
}

pub async fn approve(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Approval>> {
    let d = optional::<Decision>(&body)?;
    blocking(move || Ok(Json(decide(&s, &c, &id, true, d)?))).await
}

pub async fn deny(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Approval>> {
    let d = optional::<Decision>(&body)?;
    blocking(move || Ok(Json(decide(&s, &c, &id, false, d)?))).await
}

// The web app.

/// The runs section of a case page, with the run buttons for responders.
pub fn case_section(s: &Shared, store: &dyn StateStore, case_id: &str, c: &Caller) -> ApiResult<Markup> {
    let mut runs: Vec<Run> = engine::runs(store)?.into_iter().filter(|r| r.case_id == case_id).collect();
    runs.sort_by_key(|r| r.created_ms);
    let pbs = if c.principal.can(Permission::Respond) { playbooks(&s.config)? } else { vec![] };
    Ok(html! {
        section aria-labelledby="response" {
            h2 id="response" { "Response" }
            @if runs.is_empty() { p { "No playbook has run on this case." } }
            @for r in &runs {
                h3 { (r.playbook.name) " · " (r.id) " · " (format!("{:?}", r.status).to_lowercase()) }
                table {
                    thead { tr { th scope="col" { "Step" } th scope="col" { "Action" } th scope="col" { "Class" } th scope="col" { "Status" } th scope="col" { "Detail" } } }
                    tbody { @for st in &r.steps {
                        tr {
                            td { (st.id) } td { code { (st.action) } } td { (st.class.as_str()) }
                            td { (format!("{:?}", st.status).to_lowercase()) @if st.automated { " (automatic)" } }
                            td {
                                @if let Some(a) = &st.approval { "approval " (a) " " }
                                @if let Some(e) = &st.error { (e) }
                                @if let Some(rb) = &st.rollback { "rollback " (rb.action) ": " (rb.status) }
                            }
                        }
                    } }
                }
                @if c.principal.can(Permission::Respond) && r.steps.iter().any(|st| st.status == vigil_respond::StepStatus::Succeeded && matches!(st.class, vigil_connectors::ActionClass::Contain | vigil_connectors::ActionClass::Destructive) && st.rollback.is_none()) {
                    form method="post" action=(format!("/runs/{}/rollback", r.id)) { (csrf(c)) button type="submit" { "Roll back " (r.id) } }
                }
            }
            @if !pbs.is_empty() {
                form method="post" action=(format!("/cases/{case_id}/playbooks")) {
                    (csrf(c))
                    label for="playbook" { "Playbook" }
                    select id="playbook" name="playbook" { @for p in &pbs { option value=(p.id) { (p.name) } } }
                    label { input type="checkbox" name="dry_run" value="true"; " dry run" }
                    button type="submit" { "Run" }
                }
            }
        }
    })
}

#[derive(Deserialize)]
pub struct RunForm {
    playbook: String,
    #[serde(default)]
    dry_run: Option<String>,
}

pub async fn run_form(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(case): Path<String>,
    Form(f): Form<RunForm>,
) -> Response {
    let (c2, case2) = (c.clone(), case.clone());
    let dry = f.dry_run.is_some();
    match blocking(move || start(&s, &c2, &case2, &f.playbook, dry)).await {
        Ok(v) if dry => {
            let body = html! {
                p { "Dry run — nothing was sent. The exact calls, secrets masked:" }
                pre { (serde_json::to_string_pretty(&v).unwrap_or_default()) }
                p { a href=(format!("/cases/{case}")) { "Back to the case" } }
            };
            html_response(StatusCode::OK, page("Dry run", Some(&c), body))
        }
        Ok(_) => see_other(&format!("/cases/{case}#response")),
        Err(e) => error_page(Some(&c), &e),
    }
}

fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

pub async fn rollback_form(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let c2 = c.clone();
    let id2 = id.clone();
    match blocking(move || {
        with_env(&s, |store, env| Ok(engine::rollback(store, &id2, None, &c2.principal.username, env)?))
    })
    .await
    {
        Ok(run) => see_other(&format!("/cases/{}#response", run.case_id)),
        Err(e) => error_page(Some(&c), &e),
    }
}

fn inbox_markup(list: &[Approval], c: &Caller) -> Markup {
    html! {
        @if list.is_empty() { p { "Nothing is waiting for a decision." } }
        @for a in list {
            section.approval {
                h2 { (a.purpose) " · " code { (a.action) } " (" (a.class.as_str()) ")" }
                p { "Case " a href=(format!("/cases/{}", a.case_id)) { (a.case_id) } " · playbook " (a.playbook_id) " · run " (a.run_id) " · step " (a.step_id) }
                p { "Requested by " strong { (a.requested_by) } " at " (when(a.requested_ms)) "; expires " (when(a.expires_ms)) "." }
                pre { (serde_json::to_string_pretty(&a.inputs).unwrap_or_default()) }
                @if a.requested_by == c.principal.username {
                    p.muted { "You requested this; another approver must decide it." }
                } @else {
                    form method="post" action=(format!("/approvals/{}/approve", a.id)) {
                        (csrf(c))
                        label for=(format!("note-{}", a.id)) { "Note" }
                        input id=(format!("note-{}", a.id)) name="note";
                        label for=(format!("inputs-{}", a.id)) { "Inputs (edit to change; recorded)" }
                        textarea id=(format!("inputs-{}", a.id)) name="inputs" rows="3" { (serde_json::to_string(&a.inputs).unwrap_or_default()) }
                        button type="submit" { "Approve" }
                    }
                    form method="post" action=(format!("/approvals/{}/deny", a.id)) {
                        (csrf(c))
                        input type="hidden" name="note" value="denied from the inbox";
                        button type="submit" { "Deny" }
                    }
                }
            }
        }
    }
}

pub async fn inbox(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    match blocking(move || {
        let store = s.store()?;
        let mut list = engine::approvals(&store)?;
        list.retain(|a| a.status == ApprovalStatus::Pending && a.expires_ms > now_ms());
        list.sort_by_key(|a| a.requested_ms);
        Ok(list)
    })
    .await
    {
        Ok(list) => html_response(StatusCode::OK, page("Approvals", Some(&c), inbox_markup(&list, &c))),
        Err(e) => error_page(Some(&c), &e),
    }
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    inputs: Option<String>,
}

async fn decide_form(s: Shared, c: Caller, id: String, yes: bool, f: DecisionForm) -> Response {
    let c2 = c.clone();
    let r = blocking(move || {
        let a = load_pending_inputs(&s, &id)?;
        let edited = match f.inputs.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => {
                let v: Value =
                    serde_json::from_str(t).map_err(|e| ApiError::bad_request(format!("inputs are not JSON: {e}")))?;
                (v != a).then_some(v)
            }
        };
        decide(&s, &c2, &id, yes, Decision { note: f.note, inputs: edited })
    })
    .await;
    match r {
        Ok(_) => see_other("/approvals"),
        Err(e) => error_page(Some(&c), &e),
    }
}

fn load_pending_inputs(s: &Shared, id: &str) -> ApiResult<Value> {
    Ok(engine::load_approval(&s.store()?, id)?.inputs)
}

pub async fn approve_form(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide_form(s, c, id, true, f).await
}

pub async fn deny_form(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<DecisionForm>,
) -> Response {
    decide_form(s, c, id, false, f).await
}
