//! Hunting over weeks, in the API and the web app: run the weak-signal hunts, read the
//! hypotheses they propose, take, dismiss (with a reason) or promote one to a case. Parses,
//! calls `vigil_app`'s hypothesis operations, renders.

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_app::hypotheses::{HuntRun, HypothesisOp};
use vigil_hunt::{Hypothesis, Status};

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page, when};
use crate::{ApiResult, Shared};

/// Days a run looks back when the request does not say.
pub const DEFAULT_DAYS: i64 = 90;

#[derive(Debug, Deserialize)]
pub struct RunBody {
    /// Days before the lake's newest event, 1 to 366.
    pub days: Option<i64>,
    /// Only these hunts.
    #[serde(default)]
    pub only: Vec<String>,
}

pub async fn run_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<RunBody>,
) -> ApiResult<Json<HuntRun>> {
    blocking(move || Ok(Json(s.app.run_hunts(&c.app(), b.days.unwrap_or(DEFAULT_DAYS), &b.only)?))).await
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    pub all: Option<bool>,
}

pub async fn list_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let v = s.app.hypotheses(&c.app(), q.all.unwrap_or(false))?;
        Ok(Json(json!({"hypotheses": v, "total": v.len()})))
    })
    .await
}

pub async fn one_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Hypothesis>> {
    blocking(move || Ok(Json(s.app.hypothesis(&c.app(), &id)?))).await
}

#[derive(Debug, Deserialize)]
pub struct TakeBody {
    pub owner: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DismissBody {
    pub reason: String,
}

async fn op(s: Shared, c: Caller, id: String, op: HypothesisOp) -> ApiResult<Hypothesis> {
    blocking(move || Ok(s.app.hypothesis_op(&c.app(), &id, &op)?)).await
}

pub async fn take_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<TakeBody>,
) -> ApiResult<Json<Hypothesis>> {
    Ok(Json(op(s, c, id, HypothesisOp::Take { owner: b.owner }).await?))
}

pub async fn dismiss_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Json(b): Json<DismissBody>,
) -> ApiResult<Json<Hypothesis>> {
    Ok(Json(op(s, c, id, HypothesisOp::Dismiss { reason: b.reason }).await?))
}

pub async fn promote_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Hypothesis>> {
    Ok(Json(op(s, c, id, HypothesisOp::Promote).await?))
}

// ---------------------------------------------------------------------------------------------
// Web

/// The hypotheses section of the Hunt page: a button to run the hunts, then each hypothesis
/// waiting on a person.
pub fn hypotheses_markup(c: &Caller, hs: &[Hypothesis]) -> Markup {
    html! {
        section aria-labelledby="hypotheses" {
            h2 id="hypotheses" { "Hypotheses from hunts over weeks" }
            p { "Hunts over the lake's last " (DEFAULT_DAYS) " days look for what no detection sees as events arrive: stacking and rarity, and low-and-slow patterns. They propose hypotheses, not alerts; " a href="/hypotheses?all=true" { "all, dismissed and promoted too" } "." }
            form method="post" action="/hunt/weeks" {
                (csrf(c))
                button type="submit" { "Run the hunts over weeks now" }
            }
            @if hs.is_empty() {
                p { "No hypothesis waits on anyone." }
            } @else {
                (list_markup(hs))
            }
        }
    }
}

fn list_markup(hs: &[Hypothesis]) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "Hypothesis" } th scope="col" { "Hunt" } th scope="col" { "Evidence" } th scope="col" { "Status" } } }
            tbody { @for h in hs { tr {
                td { a href=(format!("/hypotheses/{}", h.id)) { (h.draft.statement) } }
                td { (h.draft.hunt) }
                td { (when(h.draft.first_ms)) " – " (when(h.draft.last_ms)) }
                td { (h.status.as_str()) @if let Some(o) = &h.owner { " (" (o) ")" } }
            } } }
        }
    }
}

pub async fn run_web(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let who = c.app();
    match blocking(move || Ok(s.app.run_hunts(&who, DEFAULT_DAYS, &[])?)).await {
        Ok(_) => see_other("/hunt#hypotheses"),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn list_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Response {
    let who = c.app();
    let all = q.all.unwrap_or(false);
    match blocking(move || Ok(s.app.hypotheses(&who, all)?)).await {
        Ok(hs) => html_response(
            StatusCode::OK,
            page(
                "Hypotheses",
                Some(&c),
                html! {
                    p { @if all { "Every hypothesis the hunts proposed." } @else { "Hypotheses waiting on a person. " a href="/hypotheses?all=true" { "Show all" } } }
                    (list_markup(&hs))
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn one_page(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    let who = c.app();
    let h = match blocking(move || Ok(s.app.hypothesis(&who, &id)?)).await {
        Ok(h) => h,
        Err(e) => return error_page(Some(&c), &e),
    };
    let test =
        vigil_assistant::Citation::Query { sql: h.draft.test_sql.clone() }.web_path().unwrap_or_else(|| "/hunt".into());
    html_response(
        StatusCode::OK,
        page(
            &format!("Hypothesis {}", h.id),
            Some(&c),
            html! {
                p.lead { (h.draft.statement) }
                dl {
                    dt { "Status" } dd { (h.status.as_str()) @if let Some(o) = &h.owner { " — " (o) } }
                    @match &h.status {
                        Status::Dismissed { reason } => { dt { "Dismissed because" } dd { (reason) } }
                        Status::Promoted { case } => { dt { "Case" } dd { a href=(format!("/cases/{case}")) { (case) } } }
                        _ => {}
                    }
                    dt { "Hunt" } dd { (h.draft.hunt) " · score " (format!("{:.0}", h.draft.score)) " · proposed by " (h.runs) " run(s)" }
                    dt { "Evidence" } dd { (when(h.draft.first_ms)) " – " (when(h.draft.last_ms)) }
                    @if !h.draft.techniques.is_empty() { dt { "ATT&CK" } dd { (h.draft.techniques.join(", ")) } }
                    @if !h.draft.entities.is_empty() { dt { "Names" } dd { (h.draft.entities.join(", ")) } }
                }
                h2 { "What the data shows" }
                ul { @for f in &h.draft.facts { li { (f) } } }
                h2 { "Test it" }
                pre { (h.draft.test_sql) }
                p { a href=(test) { "Run the test query on the Hunt page" } }
                dl {
                    dt { "Confirms it" } dd { (h.draft.confirm) }
                    dt { "Refutes it" } dd { (h.draft.refute) }
                }
                @if !h.evidence_events.is_empty() {
                    h2 { "Evidence events" }
                    ul { @for e in &h.evidence_events { li { a href=(format!("/events/{e}")) { code { (e) } } } } }
                }
                @if h.status.is_active() {
                    h2 { "Decide" }
                    form method="post" action=(format!("/hypotheses/{}/take", h.id)) {
                        (csrf(&c))
                        button type="submit" { "Take it (test it myself)" }
                    }
                    form method="post" action=(format!("/hypotheses/{}/promote", h.id)) {
                        (csrf(&c))
                        button type="submit" { "Promote to a case" }
                    }
                    form method="post" action=(format!("/hypotheses/{}/dismiss", h.id)) {
                        (csrf(&c))
                        label for="reason" { "Reason (later runs keep it dismissed)" }
                        input id="reason" name="reason" required;
                        button type="submit" { "Dismiss" }
                    }
                }
                h2 { "History" }
                ul { @for ch in &h.history { li { (when(ch.at_ms)) " " (ch.actor) " " (ch.action) ": " (ch.detail) } } }
            },
        ),
    )
}

#[derive(Debug, Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    pub reason: String,
}

async fn op_form(s: Shared, c: Caller, id: String, o: HypothesisOp) -> Response {
    match op(s, c.clone(), id.clone(), o).await {
        Ok(h) => match h.status {
            Status::Promoted { case } => see_other(&format!("/cases/{case}")),
            _ => see_other(&format!("/hypotheses/{id}")),
        },
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn take_web(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    op_form(s, c, id, HypothesisOp::Take { owner: None }).await
}

pub async fn promote_web(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    op_form(s, c, id, HypothesisOp::Promote).await
}

pub async fn dismiss_web(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<ReasonForm>,
) -> Response {
    op_form(s, c, id, HypothesisOp::Dismiss { reason: f.reason }).await
}

fn see_other(to: &str) -> Response {
    let mut r = Redirect::to(to).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}
