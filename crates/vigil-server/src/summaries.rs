//! The scorecard and executive briefs over HTTP, for the executive role (`view_summaries`):
//! the scorecard as JSON, Markdown or a self-contained HTML page with its charts; briefs
//! issued on a case (by whoever works it) and acknowledged by an executive.

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page, when};
use crate::{ApiError, ApiResult, Shared};

impl From<vigil_report::ReportError> for ApiError {
    fn from(e: vigil_report::ReportError) -> ApiError {
        match e {
            vigil_report::ReportError::NotFound(m) => ApiError::not_found(m),
            vigil_report::ReportError::Invalid(m) => ApiError::bad_request(m),
            vigil_report::ReportError::Metrics(m) => ApiError::bad_request(m.to_string()),
            other => ApiError::internal(other),
        }
    }
}

impl From<vigil_metrics::MetricsError> for ApiError {
    fn from(e: vigil_metrics::MetricsError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ScorecardQuery {
    pub week: Option<String>,
    pub weeks: Option<usize>,
    pub format: Option<String>,
}

fn compute(s: &Shared, c: &Caller, q: &ScorecardQuery) -> ApiResult<vigil_metrics::Scorecard> {
    let period = match q.week.as_deref().filter(|w| !w.is_empty()) {
        Some(w) => vigil_metrics::Period::parse_week(w)?,
        None => s.app.this_week()?,
    };
    Ok(s.app.scorecard(&c.app(), &period, q.weeks.unwrap_or(8))?)
}

/// The scorecard page keeps its own inline styles and SVG: everything else stays forbidden.
fn scorecard_page(html: String) -> Response {
    let mut r = (StatusCode::OK, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"),
    );
    r
}

pub async fn scorecard_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ScorecardQuery>,
) -> ApiResult<Response> {
    blocking(move || {
        let sc = compute(&s, &c, &q)?;
        Ok(match q.format.as_deref() {
            None | Some("json") => Json(sc.to_json()).into_response(),
            Some("markdown") => {
                ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], sc.to_markdown()).into_response()
            }
            Some("html") => scorecard_page(sc.to_html()),
            Some(other) => return Err(ApiError::bad_request(format!("format {other:?}: use json, markdown or html"))),
        })
    })
    .await
}

pub async fn scorecard_web(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<ScorecardQuery>,
) -> Response {
    let c2 = c.clone();
    match blocking(move || compute(&s, &c2, &q)).await {
        Ok(sc) => scorecard_page(sc.to_html()),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn briefs_api(State(s): State<Shared>, Extension(c): Extension<Caller>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let list = s.app.briefs(&c.app())?;
        Ok(Json(json!(list.iter().map(|b| json!({"id": b.id, "case_id": b.case_id, "issued_ms": b.issued_ms, "issued_by": b.issued_by, "acknowledged_ms": b.acknowledged_ms, "acknowledged_by": b.acknowledged_by})).collect::<Vec<_>>())))
    })
    .await
}

pub async fn issue_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(case): Path<String>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    blocking(move || {
        let (rec, _) = s.app.issue_brief(&c.app(), &case)?;
        Ok((StatusCode::CREATED, Json(json!({"id": rec.id, "case_id": rec.case_id, "issued_ms": rec.issued_ms, "html_sha256": rec.html_sha256}))))
    })
    .await
}

pub async fn acknowledge_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    blocking(move || {
        let b = s.app.acknowledge_brief(&c.app(), &id)?;
        Ok(Json(json!({"id": b.id, "acknowledged_ms": b.acknowledged_ms, "acknowledged_by": b.acknowledged_by, "time_to_decision_ms": b.acknowledged_ms.map(|a| a - b.issued_ms)})))
    })
    .await
}

/// A brief as its printable page, with the acknowledge button for whoever may.
pub async fn brief_web(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    let who = c.app();
    match blocking(move || Ok(s.app.brief(&who, &id)?)).await {
        Ok(b) => {
            let body = html! {
                p { "Issued " (when(b.issued_ms)) " by " (b.issued_by) ". "
                    @match (&b.acknowledged_by, b.acknowledged_ms) {
                        (Some(who), Some(at)) => { "Acknowledged by " (who) " at " (when(at)) "." }
                        _ => { "Waiting for acknowledgement." }
                    }
                }
                @if b.acknowledged_ms.is_none() {
                    form method="post" action=(format!("/briefs/{}/acknowledge", b.id)) { (csrf(&c)) button type="submit" { "Acknowledge" } }
                }
                (brief_markup(&b.brief))
            };
            html_response(StatusCode::OK, page(&format!("Brief {} — {}", b.id, b.case_id), Some(&c), body))
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

fn brief_markup(b: &vigil_metrics::Brief) -> Markup {
    html! {
        h2 { "What happened" } p { (b.what_happened) }
        h2 { "Impact" } p { (b.impact) }
        h2 { "What was done" } ul { @for a in &b.actions { li { (a) } } }
        h2 { "Waiting for a decision" }
        @if b.decisions.is_empty() { p { "Nothing." } } @else { ul { @for d in &b.decisions { li { (d) } } } }
    }
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn acknowledge_web(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(_f): Form<Empty>,
) -> Response {
    let who = c.app();
    let id2 = id.clone();
    match blocking(move || Ok(s.app.acknowledge_brief(&who, &id2)?)).await {
        Ok(_) => {
            let mut r = Redirect::to(&format!("/briefs/{id}")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn issue_web(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(case): Path<String>,
    Form(_f): Form<Empty>,
) -> Response {
    let who = c.app();
    match blocking(move || Ok(s.app.issue_brief(&who, &case)?.0)).await {
        Ok(b) => {
            let mut r = Redirect::to(&format!("/briefs/{}", b.id)).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

/// The executive's home: briefs waiting for acknowledgement and the scorecard.
pub fn executive_home(s: &Shared, c: &Caller) -> ApiResult<Markup> {
    let list = s.app.briefs(&c.app())?;
    Ok(html! {
        p { a href="/scorecard" { "This week's scorecard" } " · " a href="/compliance" { "Compliance coverage" } }
        h2 { "Briefs" }
        @if list.is_empty() { p { "No brief has been issued." } }
        ul { @for b in &list {
            li { a href=(format!("/briefs/{}", b.id)) { (b.id) } " · " (b.case_id) " · issued " (when(b.issued_ms)) " · "
                @if b.acknowledged_ms.is_some() { "acknowledged" } @else { strong { "waiting for you" } } }
        } }
    })
}

/// The "issue a brief" form on a case page, for people who work cases.
pub fn case_brief_form(case_id: &str, c: &Caller) -> Markup {
    html! {
        @if c.principal.can(vigil_auth::Permission::WorkCases) {
            form method="post" action=(format!("/cases/{case_id}/brief")) { (csrf(c)) button type="submit" { "Issue executive brief" } }
        }
    }
}
