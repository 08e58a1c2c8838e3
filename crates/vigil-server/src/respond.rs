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
use vigil_respond::{Approval, RespondError, Run};

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page, when};
use crate::{ApiError, ApiResult, Config, Shared, v1};

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

/// [`vigil_app::App::trigger_playbooks`] by the automation (after triage).
pub fn trigger_all(cfg: &Config, app: &vigil_app::App) -> ApiResult<Vec<Run>> {
    Ok(app.trigger_playbooks(&vigil_app::Caller::automation(vigil_queue::TRIAGE_ACTOR), &cfg.response)?)
}

pub async fn list_playbooks(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || Ok(Json(json!(s.app.playbooks(&c.app(), &s.config.response)?)))).await
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
    Ok(match s.app.run_playbook(&c.app(), &s.config.response, case, playbook, dry_run)? {
        vigil_app::respond::Started::Run(r) => json!(v1::Run::from(*r)),
        vigil_app::respond::Started::DryRun(steps) => json!(steps),
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

pub async fn runs(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Vec<v1::Run>>> {
    blocking(move || Ok(Json(v1::all(s.app.runs(&c.app(), None)?)))).await
}

pub async fn run(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<v1::Run>> {
    blocking(move || Ok(Json(s.app.run(&c.app(), &id)?.into()))).await
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
) -> ApiResult<Json<v1::Run>> {
    let step = optional::<RollbackRequest>(&body)?.step;
    blocking(move || Ok(Json(s.app.rollback_run(&c.app(), &s.config.response, &id, step.as_deref())?.into()))).await
}

/// An approval as the API returns it: the v1 fields and, readable, what it acts on, the case's
/// verdict and risk, what the step does and how it is rolled back.
#[derive(Debug, serde::Serialize)]
pub struct ApprovalJson {
    #[serde(flatten)]
    pub approval: v1::Approval,
    pub target: String,
    pub verdict: Option<String>,
    pub risk: Option<f64>,
    pub description: String,
    pub rollback: String,
}

impl From<Approval> for ApprovalJson {
    fn from(a: Approval) -> ApprovalJson {
        ApprovalJson {
            target: a.target.clone(),
            verdict: a.verdict.clone(),
            risk: a.risk,
            description: a.description.clone(),
            rollback: a.rollback.clone(),
            approval: a.into(),
        }
    }
}

pub async fn approvals(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Vec<ApprovalJson>>> {
    blocking(move || Ok(Json(v1::all(s.app.approvals(&c.app(), false)?)))).await
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
    let d = if yes {
        vigil_app::respond::Decision::Approve { note: d.note, inputs: d.inputs }
    } else {
        vigil_app::respond::Decision::Deny { note: d.note }
    };
    Ok(s.app.decide(&c.app(), &s.config.response, id, d)?)
}

pub async fn approve(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ApprovalJson>> {
    let d = optional::<Decision>(&body)?;
    blocking(move || Ok(Json(decide(&s, &c, &id, true, d)?.into()))).await
}

pub async fn deny(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<Json<ApprovalJson>> {
    let d = optional::<Decision>(&body)?;
    blocking(move || Ok(Json(decide(&s, &c, &id, false, d)?.into()))).await
}

// The web app.

/// The runs section of a case page, with the run buttons for responders.
pub fn case_section(s: &Shared, case_id: &str, c: &Caller) -> ApiResult<Markup> {
    let mut runs: Vec<Run> = s.app.runs(&c.app(), Some(case_id))?;
    runs.sort_by_key(|r| r.created_ms);
    let pbs = if c.principal.can(Permission::Respond) { s.config.response.playbooks()? } else { vec![] };
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
    match blocking(move || Ok(s.app.rollback_run(&c2.app(), &s.config.response, &id2, None)?)).await {
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
                dl.approval-facts {
                    dt { "Target" } dd.target { (if a.target.is_empty() { "(not recorded)" } else { a.target.as_str() }) }
                    dt { "Case" } dd { a href=(format!("/cases/{}", a.case_id)) { (a.case_id) } " · verdict " (a.verdict.as_deref().unwrap_or("-")) " · risk " (a.risk.map(|r| format!("{r:.0}")).unwrap_or_else(|| "-".into())) }
                    dt { "Does" } dd { (a.description) }
                    dt { "Rollback" } dd.rollback { (a.rollback) }
                }
                p { "Playbook " (a.playbook_id) " · run " (a.run_id) " · step " (a.step_id) }
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
                        button.danger type="submit" { "Deny" }
                    }
                }
            }
        }
    }
}

pub async fn inbox(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let who = c.app();
    match blocking(move || Ok(s.app.approvals(&who, false)?)).await {
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
        let a = load_pending_inputs(&s, &c2, &id)?;
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

fn load_pending_inputs(s: &Shared, c: &Caller, id: &str) -> ApiResult<Value> {
    Ok(s.app.approval(&c.app(), id)?.inputs)
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
