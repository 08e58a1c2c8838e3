//! The assistant over HTTP: `POST /api/v1/assistant/ask` and the web app's Ask page, with the
//! ask box the incident, case and auditor pages carry. Both only parse the question and its
//! context, call [`vigil_assistant::ask`] as the person asking, and render the answer with its
//! citations as links; what the answer may say is decided there, never here.

use axum::extract::{Extension, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Form, Json};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_assistant::{AssistError, CaseOrIncident};

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page};
use crate::{ApiError, ApiResult, Shared, v1};

impl From<AssistError> for ApiError {
    fn from(e: AssistError) -> ApiError {
        match e {
            AssistError::Invalid(m) => ApiError::bad_request(m),
            AssistError::App(a) => a.into(),
        }
    }
}

/// A question, optionally asked from a case's, an incident's or an alert's page (at most one).
#[derive(Debug, Default, Deserialize)]
pub struct AskBody {
    #[serde(default)]
    pub question: String,
    pub case: Option<String>,
    pub incident: Option<String>,
    pub alert: Option<String>,
}

impl AskBody {
    fn context(&self) -> ApiResult<Option<CaseOrIncident>> {
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        match (given(&self.case), given(&self.incident), given(&self.alert)) {
            (None, None, None) => Ok(None),
            (Some(c), None, None) => Ok(Some(CaseOrIncident::Case(c))),
            (None, Some(i), None) => Ok(Some(CaseOrIncident::Incident(i))),
            (None, None, Some(a)) => Ok(Some(CaseOrIncident::Alert(a))),
            _ => Err(ApiError::bad_request("name at most one of case, incident and alert")),
        }
    }
}

async fn answer(s: Shared, c: Caller, b: AskBody) -> ApiResult<v1::Answer> {
    let context = b.context()?;
    blocking(move || {
        let who = c.app();
        let a = vigil_assistant::ask_using(&s.app, &who, &b.question, context, s.assistant_model.as_deref())?;
        Ok(v1::Answer::of(a, &who))
    })
    .await
}

/// Answers a question from the data the caller may see, every sentence with its citations.
pub async fn ask(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Json(b): Json<AskBody>,
) -> ApiResult<Json<v1::Answer>> {
    Ok(Json(answer(s, c, b).await?))
}

/// The ask box: a question about the page's case, incident or alert (or about anything, on the
/// Ask page itself).
pub fn ask_box(c: &Caller, context: Option<&CaseOrIncident>, question: &str) -> Markup {
    let (field, id, label) = match context {
        Some(CaseOrIncident::Case(id)) => (Some("case"), id.as_str(), format!("Ask about case {id}")),
        Some(CaseOrIncident::Incident(id)) => (Some("incident"), id.as_str(), format!("Ask about incident {id}")),
        Some(CaseOrIncident::Alert(id)) => (Some("alert"), id.as_str(), format!("Ask about alert {id}")),
        None => (None, "", "Your question".to_string()),
    };
    html! {
        section.ask aria-labelledby="ask-h" {
            h2 id="ask-h" { "Ask Vigil" }
            form method="post" action="/ask" {
                (csrf(c))
                @if let Some(f) = field { input type="hidden" name=(f) value=(id); }
                label for="question" { (label) }
                textarea id="question" name="question" rows="2" maxlength=(vigil_assistant::MAX_QUESTION_CHARS) required { (question) }
                button type="submit" { "Ask" }
            }
            p { small { "Answers come only from the data you may see here; every sentence cites it, and when the data is not there the answer is \u{201c}I do not know\u{201d}." } }
        }
    }
}

fn answer_markup(a: &v1::Answer) -> Markup {
    let fact = |id: &String| a.facts.iter().find(|f| f.id == *id);
    html! {
        section.answer aria-labelledby="answer-h" aria-live="polite" {
            h2 id="answer-h" { "Answer" }
            p { strong { "Q: " } (a.question) }
            @if a.declined { p.declined role="status" { strong { "I do not know." } } }
            @if !a.sentences.is_empty() {
                ol.sentences {
                    @for s in &a.sentences {
                        li {
                            (s.text) " "
                            span.cites {
                                @for (n, id) in s.citations.iter().enumerate() {
                                    @if n > 0 { " " }
                                    @if let Some(f) = fact(id) {
                                        @if let Some(h) = &f.href { a.cite href=(h) title=(f.text) { "[" (f.citation) "]" } }
                                        @else { span.cite title=(f.text) { "[" (f.citation) "]" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if a.declined || !a.missing.is_empty() {
                @if !a.searched.is_empty() {
                    h3 { "What was looked at" }
                    ul { @for x in &a.searched { li { (x) } } }
                }
                @if !a.missing.is_empty() {
                    h3 { "What data would answer" }
                    ul { @for x in &a.missing { li { (x) } } }
                }
            }
            @if a.dropped > 0 { p { small { (a.dropped) " sentence(s) left out: the facts they cite do not support them." } } }
        }
    }
}

/// The caller's last questions, and the export of the whole conversation.
fn history_markup(turns: &[vigil_app::conversations::Turn]) -> Markup {
    html! {
        section aria-labelledby="history-h" {
            h2 id="history-h" { "Your recent questions" }
            @if turns.is_empty() { p { "None yet." } }
            ol { @for t in turns.iter().rev() {
                li { (crate::web::when(t.at_ms)) " — " (t.answer["question"].as_str().unwrap_or_default())
                    @if t.answer["declined"].as_bool() == Some(true) { " (I do not know)" } }
            } }
            p { a href="/api/v1/assistant/conversation?limit=1000" { "Export your conversation (JSON)" } }
        }
    }
}

/// `GET /ask`: the Ask page, optionally about a case, incident or alert (`?case=…`), with the
/// asker's recent questions.
pub async fn ask_page(State(s): State<Shared>, Extension(c): Extension<Caller>, Query(q): Query<AskBody>) -> Response {
    let ctx = match q.context() {
        Ok(ctx) => ctx,
        Err(e) => return error_page(Some(&c), &e),
    };
    let who = c.app();
    match blocking(move || Ok(vigil_assistant::conversation(&s.app, &who, 10)?)).await {
        Ok(turns) => html_response(
            StatusCode::OK,
            page("Ask", Some(&c), html! { (ask_box(&c, ctx.as_ref(), &q.question)) (history_markup(&turns)) }),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

/// `POST /ask`: asks and shows the answer under the question, ready for the next one.
pub async fn ask_form(State(s): State<Shared>, Extension(c): Extension<Caller>, Form(b): Form<AskBody>) -> Response {
    let ctx = match b.context() {
        Ok(ctx) => ctx,
        Err(e) => return error_page(Some(&c), &e),
    };
    let question = b.question.clone();
    match answer(s, c.clone(), b).await {
        Ok(a) => html_response(
            StatusCode::OK,
            page("Ask", Some(&c), html! { (answer_markup(&a)) (ask_box(&c, ctx.as_ref(), &question)) }),
        ),
        Err(e) if e.status == StatusCode::BAD_REQUEST => html_response(
            StatusCode::BAD_REQUEST,
            page(
                "Ask",
                Some(&c),
                html! { p.error role="alert" { (e.message) } (ask_box(&c, ctx.as_ref(), &question)) },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

/// `GET /api/v1/assistant/conversation`: the caller's own turns, oldest first, as a page.
pub async fn conversation(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(p): Query<crate::api::Page>,
) -> ApiResult<Json<Value>> {
    let limit = p.limit.unwrap_or(50).clamp(1, 1000);
    let offset = p.offset.unwrap_or(0);
    blocking(move || {
        let all = vigil_assistant::conversation(&s.app, &c.app(), vigil_app::conversations::MAX_TURNS)?;
        let total = all.len();
        let items: Vec<_> = all.into_iter().skip(offset).take(limit).collect();
        Ok(Json(json!({"items": items, "total": total, "limit": limit, "offset": offset})))
    })
    .await
}
