//! The web app: server-rendered HTML (maud, escaped by construction), one embedded stylesheet,
//! no script. Forms carry the session's CSRF token; the strict Content-Security-Policy forbids
//! inline script and style and anything from elsewhere. Every page is usable by keyboard alone
//! (native links, buttons and form controls, a skip link, visible focus) and labelled for
//! screen readers.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use vigil_auth::Permission;
use vigil_cases::{Case, Disposition, SlaPolicy};
use vigil_triage::Incident;

use vigil_app::cases::CaseOp;
use vigil_app::hunts::{BUILTIN as BUILTIN_HUNTS, Hunt};

use crate::api::{blocking, case_op};
use crate::authn::Caller;
use crate::{ApiError, ApiResult, Shared, now_ms};

const CSS: &str = include_str!("vigil.css");

pub async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

pub(crate) fn when(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

fn span(ms: i64) -> String {
    let m = ms.abs() / 60_000;
    let s = if m >= 2880 {
        format!("{}d {}h", m / 1440, (m % 1440) / 60)
    } else if m >= 120 {
        format!("{}h {:02}m", m / 60, m % 60)
    } else {
        format!("{m}m")
    };
    if ms < 0 { format!("{s} overdue") } else { s }
}

pub(crate) fn page(title: &str, caller: Option<&Caller>, body: Markup) -> Markup {
    let can = |p: Permission| caller.is_some_and(|c| c.principal.can(p));
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Vigil" }
                link rel="stylesheet" href="/static/vigil.css";
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header {
                    span.brand { "Vigil" }
                    @if let Some(c) = caller {
                        nav aria-label="Main" {
                            ul {
                                @if can(Permission::ViewQueue) { li { a href="/" { "Queue" } } li { a href="/cases" { "Cases" } } }
                                li { a href="/ask" { "Ask" } }
                                @if can(Permission::Hunt) { li { a href="/hunt" { "Hunt" } } }
                                @if can(Permission::ViewRules) { li { a href="/rules" { "Rules" } } }
                                @if can(Permission::ViewInventory) { li { a href="/sources" { "Sources" } } }
                                @if can(Permission::Approve) { li { a href="/approvals" { "Approvals" } } }
                                @if can(Permission::ViewSummaries) { li { a href="/scorecard" { "Scorecard" } } li { a href="/compliance" { "Compliance" } } }
                                @if can(Permission::AuditorPortal) { li { a href="/auditor" { "Auditor portal" } } }
                                @if can(Permission::ManageIdentity) { li { a href="/admin" { "Admin" } } }
                                li { a href="/account" { "Account" } }
                            }
                        }
                        form.signout method="post" action="/logout" {
                            @if let Some(s) = &c.session { input type="hidden" name="csrf" value=(s.csrf_token); }
                            span { (c.principal.username) " (" (c.principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")) ")" }
                            " "
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

pub(crate) fn html_response(status: StatusCode, m: Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], m.into_string()).into_response()
}

pub(crate) fn error_page(caller: Option<&Caller>, e: &ApiError) -> Response {
    html_response(
        e.status,
        page(
            "Something is not right",
            caller,
            html! { p role="alert" { (e.message) } p { a href="/" { "Back to the queue" } } },
        ),
    )
}

pub fn forbidden_page(caller: Option<&Caller>) -> Response {
    html_response(
        StatusCode::FORBIDDEN,
        page(
            "Not allowed",
            caller,
            html! { p role="alert" { "Your roles do not allow this page." } p { a href="/" { "Home" } } },
        ),
    )
}

pub(crate) fn csrf(c: &Caller) -> Markup {
    html! { @if let Some(s) = &c.session { input type="hidden" name="csrf" value=(s.csrf_token); } }
}

pub async fn login_page(State(s): State<Shared>) -> Response {
    html_response(StatusCode::OK, login_markup(&s, None))
}

fn login_markup(s: &Shared, error: Option<&str>) -> Markup {
    page(
        "Sign in",
        None,
        html! {
            @if let Some(e) = error { p.error role="alert" { (e) } }
            (crate::sso::login_choices(s))
            form.login method="post" action="/login" {
                label for="username" { "Username" }
                input id="username" name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input id="password" name="password" type="password" autocomplete="current-password" required;
                button type="submit" { "Sign in" }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn login_submit(
    State(s): State<Shared>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(f): Form<LoginForm>,
) -> Response {
    match crate::api::sign_in(&s, f.username, f.password, addr.ip().to_string()).await {
        Ok((secret, _)) => {
            let mut r = Redirect::to("/").into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r.headers_mut().insert(header::SET_COOKIE, crate::api::session_cookie(&s, &secret, 12 * 3600));
            r
        }
        Err(e) => {
            let status = if e.status == StatusCode::TOO_MANY_REQUESTS { e.status } else { StatusCode::UNAUTHORIZED };
            let mut r = html_response(status, login_markup(&s, Some(&e.message)));
            if let Some(ra) = e.retry_after
                && let Ok(v) = ra.to_string().parse()
            {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            r
        }
    }
}

pub async fn logout(State(s): State<Shared>, headers: axum::http::HeaderMap) -> Response {
    let _ = crate::api::logout(State(s), headers).await;
    let mut r = Redirect::to("/login").into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r.headers_mut().insert(
        header::SET_COOKIE,
        axum::http::HeaderValue::from_static("vigil_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
}

fn sla_cell(c: &Case, policy: &SlaPolicy, now: i64) -> Markup {
    let clocks = c.sla_view(policy, now);
    let next = clocks.iter().find(|k| k.is_open());
    let not_contained = clocks.iter().any(|k| k.status == vigil_cases::SlaStatus::NotContained);
    html! {
        @match next {
            Some(k) if k.breached || k.status == vigil_cases::SlaStatus::Breached => span.breach { (k.kind.as_str()) " breached, " (span(k.remaining_ms)) }
            Some(k) if k.paused => span { (k.kind.as_str()) " paused" }
            Some(k) => span { (k.kind.as_str()) " due in " (span(k.remaining_ms)) }
            None if not_contained => span { "met; not contained" }
            None => span { "met" }
        }
    }
}

pub async fn home(State(s): State<Shared>, caller: Option<Extension<Caller>>) -> Response {
    let Some(Extension(c)) = caller else { return Redirect::to("/login").into_response() };
    if !c.principal.can(Permission::ViewQueue) {
        if c.principal.can(Permission::AuditorPortal) {
            return Redirect::to("/auditor").into_response();
        }
        if c.principal.can(Permission::ViewSummaries) {
            let c2 = c.clone();
            let c3 = c.clone();
            return match blocking(move || crate::summaries::executive_home(&s, &c3)).await {
                Ok(body) => html_response(StatusCode::OK, page("Summaries", Some(&c2), body)),
                Err(e) => error_page(Some(&c2), &e),
            };
        }
        return html_response(
            StatusCode::OK,
            page("Welcome", Some(&c), html! { p { "Your roles have no pages here." } }),
        );
    }
    let c2 = c.clone();
    let who = c.app();
    let r = blocking(move || {
        let o = s.app.queue_overview(&who)?;
        Ok((o.policy, o.cases, o.incidents))
    })
    .await;
    let (policy, cases, incidents) = match r {
        Ok(x) => x,
        Err(e) => return error_page(Some(&c2), &e),
    };
    let now = now_ms();
    let queued: Vec<&Incident> = incidents.iter().filter(|i| i.queued).collect();
    let closed = incidents.len() - queued.len();
    let case_of = |id: &str| cases.iter().find(|k| k.merged_into.is_none() && k.incidents.iter().any(|i| i == id));
    html_response(
        StatusCode::OK,
        page(
            "Queue",
            Some(&c2),
            html! {
                p { (queued.len()) " incidents in the queue, by risk; " (closed) " closed as benign by triage (reversible: " code { "vigil incidents reopen" } ")." }
                table {
                    caption.visually-hidden { "Incidents in the queue" }
                    thead { tr { th scope="col" { "Risk" } th scope="col" { "Verdict" } th scope="col" { "Incident" } th scope="col" { "Case" } th scope="col" { "Owner" } th scope="col" { "SLA" } } }
                    tbody {
                        @for i in &queued {
                            @let k = case_of(&i.id);
                            tr {
                                td.num { (format!("{:.0}", i.risk.score)) }
                                td { span class=(format!("verdict {}", i.verdict.verdict.as_str())) { (i.verdict.verdict.as_str()) } }
                                td { a href=(format!("/incidents/{}", i.id)) { (i.title) } br; small { (i.id) " · " (i.level) " · " (i.alert_count) " alerts · " (when(i.first_ms)) } }
                                td { @if let Some(k) = k { a href=(format!("/cases/{}", k.id)) { (k.id) } br; small { (k.status.as_str()) } } }
                                td { @if let Some(k) = k { (k.owner.as_deref().unwrap_or("-")) } }
                                td { @if let Some(k) = k { (sla_cell(k, &policy, now)) } }
                            }
                        }
                    }
                }
            },
        ),
    )
}

fn incident_markup(i: &Incident, alerts: &[vigil_detect::Alert]) -> Markup {
    html! {
        p.lead { span class=(format!("verdict {}", i.verdict.verdict.as_str())) { (i.verdict.verdict.as_str()) } " — " (i.verdict.summary) }
        dl {
            dt { "Risk" } dd { (format!("{:.0}", i.risk.score)) " of 100" }
            dt { "Decided by" } dd { (i.verdict.decided_by) @if let Some(v) = &i.verdict.model_version { " with " (v) } }
            dt { "When" } dd { (when(i.first_ms)) " → " (when(i.last_ms)) }
            dt { "Tactics" } dd { (i.tactics.join(" → ")) }
            dt { "Entities" } dd { (i.entities.join(", ")) }
        }
        @if !i.verdict.missing.is_empty() {
            section aria-labelledby="missing" { h2 id="missing" { "Missing data" } ul { @for m in &i.verdict.missing { li { (m) } } } }
        }
        section aria-labelledby="work" {
            h2 id="work" { "How the verdict was reached" }
            table { thead { tr { th scope="col" { "Check" } th scope="col" { "Result" } } } tbody { @for c in &i.verdict.checks { tr { td { (c.check) } td { (c.result) } } } } }
            h3 { "Decisive evidence" }
            ul { @for d in &i.verdict.decisive { li { (d) } } }
            h3 { "Risk components" }
            table { thead { tr { th scope="col" { "Component" } th scope="col" { "Points" } th scope="col" { "Why" } } } tbody { @for c in &i.risk.components { tr { td { (c.name) } td.num { (format!("{:.1}", c.points)) } td { (c.why) } } } } }
            @if let Some(m) = &i.model {
                h3 { "Model contributions (log-odds)" }
                p { "Probability " (format!("{:.3}", m.probability)) ", intercept " (format!("{:+.2}", m.intercept)) }
                table { thead { tr { th scope="col" { "Feature" } th scope="col" { "Value" } th scope="col" { "Contribution" } } } tbody { @for c in m.contributions.iter().take(8) { tr { td { (c.feature) } td.num { (format!("{:.2}", c.value)) } td.num { (format!("{:+.3}", c.contribution)) } } } } }
            }
        }
        section aria-labelledby="timeline" {
            h2 id="timeline" { "Timeline: why each alert fired" }
            ol.timeline {
                @for a in alerts {
                    li {
                        p { strong { (a.rule.title) } " · " (a.rule.level.as_str()) " · " (a.time.map(when).unwrap_or_default()) }
                        p { (a.explanation) }
                        @if !a.matched.is_empty() {
                            p { "Matched: " @for (n, m) in a.matched.iter().enumerate() { @if n > 0 { ", " } code { (m.field) " = " (m.value.to_string()) } } }
                        }
                        @if !a.features.is_empty() {
                            p { "Deviating features: " @for (n, f) in a.features.iter().enumerate() { @if n > 0 { "; " } (f.name) " " (f.value.to_string()) " (baseline " (f.baseline.to_string()) ", " (format!("{:.0} %", f.contribution * 100.0)) ")" } }
                        }
                        p { small { "Confidence " (a.confidence.score) " — " (a.confidence.reason) } }
                        p { small { "Source events: " (a.event_ids.iter().take(5).cloned().collect::<Vec<_>>().join(", ")) @if a.event_ids.len() > 5 { " …" } @if let Some(src) = &a.source { " · " (src) } } }
                    }
                }
            }
        }
        section aria-labelledby="links" {
            h2 id="links" { "Why these alerts are one incident" }
            @if i.links.is_empty() { p { "One item; nothing linked." } }
            ul { @for l in &i.links { li { (l.kind) ": " (l.detail) @if let Some((a, b)) = &l.progression { " (progression " (a) " → " (b) ")" } } } }
        }
    }
}

pub async fn incident_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let who = c.app();
    let r = blocking(move || {
        let d = s.app.incident_detail(&who, &id)?;
        Ok((d.incident, d.alerts, d.case))
    })
    .await;
    match r {
        Ok((i, alerts, case)) => html_response(
            StatusCode::OK,
            page(
                &i.title.clone(),
                Some(&c),
                html! {
                    @if let Some(k) = &case { p { "Case " a href=(format!("/cases/{}", k.id)) { (k.id) } " · " (k.status.as_str()) " · owner " (k.owner.as_deref().unwrap_or("-")) } }
                    p { a href=(format!("/incidents/{}/investigation", i.id)) { "Investigate: timeline, decisive events, blast radius, next steps" } }
                    (incident_markup(&i, &alerts))
                    (crate::assistant::ask_box(&c, Some(&vigil_assistant::CaseOrIncident::Incident(i.id.clone())), ""))
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn cases_page(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let who = c.app();
    let r = blocking(move || {
        let o = s.app.queue_overview(&who)?;
        Ok((o.policy, o.cases))
    })
    .await;
    let (policy, cases) = match r {
        Ok(x) => x,
        Err(e) => return error_page(Some(&c), &e),
    };
    let now = now_ms();
    html_response(
        StatusCode::OK,
        page(
            "Cases",
            Some(&c),
            html! {
                table {
                    thead { tr { th scope="col" { "Case" } th scope="col" { "Status" } th scope="col" { "Severity" } th scope="col" { "Owner" } th scope="col" { "SLA" } th scope="col" { "Title" } } }
                    tbody { @for k in cases.iter().filter(|k| k.merged_into.is_none()) {
                        tr { td { a href=(format!("/cases/{}", k.id)) { (k.id) } } td { (k.status.as_str()) } td { (k.severity.as_str()) } td { (k.owner.as_deref().unwrap_or("-")) } td { (sla_cell(k, &policy, now)) } td { (k.title) } }
                    } }
                }
            },
        ),
    )
}

fn case_markup(k: &Case, policy: &SlaPolicy, now: i64, forms: Option<&Caller>) -> Markup {
    html! {
        dl {
            dt { "Status" } dd { (k.status.as_str()) }
            dt { "Severity" } dd { (k.severity.as_str()) }
            dt { "Owner" } dd { (k.owner.as_deref().unwrap_or("-")) @if let Some(t) = &k.team { " (" (t) ")" } }
            dt { "Verdict at opening" } dd { (k.verdict) ", risk " (format!("{:.0}", k.risk)) }
            dt { "Incidents" } dd { @for (n, i) in k.incidents.iter().enumerate() { @if n > 0 { ", " } @if forms.is_some() { a href=(format!("/incidents/{i}")) { (i) } } @else { (i) } } }
            dt { "Alerts" } dd { (k.alerts.len()) }
            @if let Some(d) = &k.disposition { dt { "Disposition" } dd { (d.disposition.as_str().replace('_', " ")) " by " (d.by) " at " (when(d.at_ms)) ": " (d.note) } }
        }
        section aria-labelledby="sla" {
            h2 id="sla" { "SLA" }
            table { thead { tr { th scope="col" { "Clock" } th scope="col" { "Due" } th scope="col" { "State" } } } tbody {
                @for clk in k.sla_view(policy, now) {
                    tr { td { (clk.kind.as_str()) } td { (when(clk.due_ms)) } td {
                        @match clk.met_ms { Some(m) => { "met " (when(m)) @if clk.breached { " (late)" } } None if clk.breached => { span.breach { "breached, " (span(clk.remaining_ms)) } } None => { (span(clk.remaining_ms)) " left" @if clk.paused { " (paused)" } } }
                    } }
                }
            } }
        }
        @if !k.tasks.is_empty() { section aria-labelledby="tasks" { h2 id="tasks" { "Tasks" } ul { @for t in &k.tasks { li { @if t.done { "✔ " } @else { "☐ " } (t.title) @if let Some(a) = &t.assignee { " (" (a) ")" } } } } } }
        section aria-labelledby="comments" {
            h2 id="comments" { "Comments" }
            @if k.comments.is_empty() { p { "None yet." } }
            ul.comments { @for cm in &k.comments { li { strong { (cm.author) } " · " (when(cm.at_ms)) p { (cm.text) } } } }
        }
        @if let Some(c) = forms {
            @if c.principal.can(Permission::WorkCases) {
                section aria-labelledby="work" {
                    h2 id="work" { "Work the case" }
                    form method="post" action=(format!("/cases/{}/assign", k.id)) {
                        (csrf(c))
                        label for="owner" { "Owner" }
                        input id="owner" name="owner" required value=(k.owner.clone().unwrap_or_default());
                        button type="submit" { "Assign" }
                    }
                    form method="post" action=(format!("/cases/{}/comment", k.id)) {
                        (csrf(c))
                        label for="text" { "Comment" }
                        textarea id="text" name="text" rows="3" required {}
                        button type="submit" { "Add comment" }
                    }
                }
            }
            @if c.principal.can(Permission::Dispose) {
                form method="post" action=(format!("/cases/{}/disposition", k.id)) {
                    (csrf(c))
                    label for="disposition" { "Disposition" }
                    select id="disposition" name="disposition" {
                        option value="true_positive" { "True positive" }
                        option value="benign_true_positive" { "Benign true positive" }
                        option value="false_positive" { "False positive" }
                    }
                    label for="note" { "Note" }
                    input id="note" name="note";
                    button type="submit" { "Resolve" }
                }
            }
        }
        section aria-labelledby="history" {
            h2 id="history" { "History" }
            ol.timeline { @for h in &k.history { li { (when(h.at_ms)) " · " (h.actor) " · " (h.action) @if !h.detail.is_empty() { " — " (h.readable()) } } } }
        }
    }
}

pub async fn case_page(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    let c2 = c.clone();
    let r = blocking(move || {
        let k = s.app.case(&c2.app(), &id)?.case;
        let ev = crate::evidence::case_section(&s, &k.id, &c2)?;
        let runs = crate::respond::case_section(&s, &k.id, &c2)?;
        let brief = crate::summaries::case_brief_form(&k.id, &c2);
        Ok((s.app.sla_policy()?, k, html! { (runs) (ev) (brief) }))
    })
    .await;
    match r {
        Ok((policy, k, ev)) => html_response(
            StatusCode::OK,
            page(
                &format!("{} — {}", k.id, k.title),
                Some(&c),
                html! {
                    (case_markup(&k, &policy, now_ms(), Some(&c))) (ev)
                    (crate::assistant::ask_box(&c, Some(&vigil_assistant::CaseOrIncident::Case(k.id.clone())), ""))
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

fn back_to(id: &str) -> Response {
    let mut r = Redirect::to(&format!("/cases/{id}")).into_response();
    *r.status_mut() = StatusCode::SEE_OTHER;
    r
}

#[derive(Deserialize)]
pub struct AssignForm {
    owner: String,
}

pub async fn case_assign(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<AssignForm>,
) -> Response {
    case_form(s, c, id, CaseOp::Assign { owner: f.owner, team: None }).await
}

/// Applies a case operation from a form, then shows the case again (or why it was refused).
async fn case_form(s: Shared, c: Caller, id: String, op: CaseOp) -> Response {
    match case_op(s, &c, id.clone(), op).await {
        Ok(_) => back_to(&id),
        Err(e) => error_page(Some(&c), &e),
    }
}

#[derive(Deserialize)]
pub struct CommentForm {
    text: String,
}

pub async fn case_comment(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<CommentForm>,
) -> Response {
    case_form(s, c, id, CaseOp::Comment { text: f.text }).await
}

#[derive(Deserialize)]
pub struct DispositionForm {
    disposition: String,
    #[serde(default)]
    note: String,
}

pub async fn case_disposition(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(f): Form<DispositionForm>,
) -> Response {
    let disposition: Disposition = match f.disposition.parse() {
        Ok(d) => d,
        Err(e) => return error_page(Some(&c), &ApiError::bad_request(format!("{e}"))),
    };
    case_form(s, c, id, CaseOp::Resolve { disposition, note: f.note }).await
}

#[derive(Deserialize)]
pub struct HuntForm {
    sql: String,
    #[serde(default)]
    save_as: String,
}

/// The most rows the hunt page shows; the engine stops after them.
const WEB_HUNT_ROWS: usize = 500;

/// A hunt's columns, its rows (at most [`WEB_HUNT_ROWS`]), how many, and whether more matched; or
/// why it failed.
type HuntResult = Result<(Vec<String>, Vec<serde_json::Value>, usize, bool), String>;

fn hunt_markup(
    c: &Caller,
    hunts: &[Hunt],
    hs: &[vigil_hunt::Hypothesis],
    sql: &str,
    result: Option<HuntResult>,
) -> Markup {
    html! {
        form method="post" action="/hunt" {
            (csrf(c))
            label for="sql" { "SQL over the lake (read-only; tables: events and one per OCSF class)" }
            textarea id="sql" name="sql" rows="5" required { (sql) }
            label for="save_as" { "Save as (optional)" }
            input id="save_as" name="save_as";
            button type="submit" { "Run" }
        }
        @match result {
            Some(Ok((cols, rows, total, truncated))) => {
                p { @if truncated { "More than " (total) " rows; the first " (total) " shown" } @else { (total) " rows" } }
                div.scroll { table {
                    thead { tr { @for col in &cols { th scope="col" { (col) } } } }
                    tbody { @for r in &rows { tr { @for col in &cols { td { (r.get(col).map(|v| match v { serde_json::Value::String(s) => s.clone(), other => other.to_string() }).unwrap_or_default()) } } } } }
                } }
            }
            Some(Err(e)) => p.error role="alert" { (e) }
            None => {}
        }
        (crate::hunting::hypotheses_markup(c, hs))
        section aria-labelledby="saved" {
            h2 id="saved" { "Saved hunts" }
            ul { @for h in hunts { li { details { summary { (h.name) } pre { (h.sql) } } } } }
        }
    }
}

/// An incident's investigation — the one kept since triage while it still describes the
/// incident, else made now as the reader: summary, decisive events, entities, blast radius,
/// what is unknown and next steps, each fact linked where the reader may open it.
pub async fn investigation_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let who = c.app();
    let cfg = s.config.response.clone();
    let app = s.app.clone();
    let r = blocking(move || Ok(vigil_assistant::investigate::kept_or_new(&app, &who, &id, &cfg, false)?)).await;
    let (inv, kept) = match r {
        Ok(x) => x,
        Err(e) => return error_page(Some(&c), &e),
    };
    let reader = c.app();
    let cite = |fact: &str| -> Markup {
        match inv.fact(fact) {
            Some(f) => match f.citation.web_path_for(&reader) {
                Some(h) => html! { a.cite href=(h) title=(f.text) { "[" (f.citation) "]" } },
                None => html! { span.cite { "[" (f.citation) "]" } },
            },
            None => html! {},
        }
    };
    html_response(
        StatusCode::OK,
        page(
            &format!("Investigation of {}", inv.incident),
            Some(&c),
            html! {
                p { a href=(format!("/incidents/{}", inv.incident)) { "Back to the incident" } " · " (inv.title) }
                p.made { (if kept { "Kept since " } else { "Made " }) (when(inv.made_ms)) " by " (inv.made_by) }
                section aria-labelledby="summary" {
                    h2 id="summary" { "Summary" }
                    @for sentence in &inv.summary {
                        p { (sentence.text) " " @for f in &sentence.citations { (cite(f)) " " } }
                    }
                }
                section aria-labelledby="decisive" {
                    h2 id="decisive" { "Decisive events" }
                    p { (inv.decisive().count()) " of " (inv.timeline.len()) " events from " (when(inv.from_ms)) " to " (when(inv.to_ms))
                        @if inv.timeline_truncated { " (the timeline was cut; every decisive event is kept)" } }
                    table {
                        thead { tr { th scope="col" { "Event" } th scope="col" { "Why it is decisive" } th scope="col" { "Source" } } }
                        tbody { @for e in inv.decisive() {
                            tr { td { (inv.fact(&e.fact).map(|f| f.text.as_str()).unwrap_or_default()) " " (cite(&e.fact)) } td { (e.decisive.as_deref().unwrap_or_default()) } td { (e.product) } }
                        } }
                    }
                }
                section aria-labelledby="entities" {
                    h2 id="entities" { "Entities" }
                    @for ent in &inv.entities {
                        h3 { (ent.kind) " " code { (ent.value) } }
                        ul { @for f in &ent.facts { li { (inv.fact(f).map(|x| x.text.as_str()).unwrap_or_default()) " " (cite(f)) } } }
                    }
                }
                @if !inv.blast_radius.is_empty() {
                    section aria-labelledby="blast" {
                        h2 id="blast" { "Blast radius" }
                        ul { @for r in &inv.blast_radius { li { (r.kind) " " code { (r.value) } " — " (r.via) " " (cite(&r.fact)) } } }
                    }
                }
                @if !inv.unknown.is_empty() {
                    section aria-labelledby="unknown" {
                        h2 id="unknown" { "Unknown" }
                        ul { @for u in &inv.unknown { li { (u) } } }
                    }
                }
                @if !inv.next_steps.is_empty() {
                    section aria-labelledby="next" {
                        h2 id="next" { "Next steps" }
                        ul { @for n in &inv.next_steps {
                            li { (n.text)
                                @if let Some(p) = &n.playbook { " (playbook " code { (p) } ")" }
                                @if let Some(h) = n.hunt.as_ref().and_then(|sql| vigil_assistant::Citation::Query { sql: sql.clone() }.web_path()) { " — " a href=(h) { "open the hunt" } }
                            }
                        } }
                    }
                }
            },
        ),
    )
}

/// `/hunt?sql=…`: the form filled in with a query (a citation's), not run until submitted.
#[derive(Debug, Default, Deserialize)]
pub struct HuntPrefill {
    pub sql: Option<String>,
}

pub async fn hunt_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    axum::extract::Query(q): axum::extract::Query<HuntPrefill>,
) -> Response {
    let who = c.app();
    let sql = q
        .sql
        .filter(|x| !x.trim().is_empty() && x.chars().count() <= vigil_app::hunts::MAX_SQL_CHARS)
        .unwrap_or_else(|| BUILTIN_HUNTS[0].1.to_string());
    match blocking(move || Ok((s.app.hunts(&who)?, s.app.hypotheses(&who, false)?))).await {
        Ok((h, hs)) => html_response(StatusCode::OK, page("Hunt", Some(&c), hunt_markup(&c, &h, &hs, &sql, None))),
        Err(e) => error_page(Some(&c), &e),
    }
}

/// One alert: why it fired, what it matched, and the events behind it (linked for those who
/// may read the lake).
pub async fn alert_page(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    let who = c.app();
    let hunts = c.app().can(Permission::Hunt);
    match blocking(move || Ok(s.app.alert(&who, &id)?)).await {
        Ok(a) => html_response(
            StatusCode::OK,
            page(
                &a.rule.title.clone(),
                Some(&c),
                html! {
                    p.lead { (a.rule.level.as_str()) " · " (a.time.map(when).unwrap_or_default()) " · rule " code { (a.rule.id) } }
                    p { (a.explanation) }
                    dl {
                        dt { "Alert" } dd { code { (a.id) } }
                        @if !a.rule.techniques.is_empty() { dt { "ATT&CK" } dd { (a.rule.techniques.join(", ")) } }
                        @if !a.controls.is_empty() { dt { "Controls" } dd { (a.controls.join(", ")) } }
                        dt { "Confidence" } dd { (a.confidence.score) " — " (a.confidence.reason) }
                        @if let Some(src) = &a.source { dt { "Source" } dd { (src) } }
                    }
                    @if !a.matched.is_empty() {
                        h2 { "Matched" }
                        ul { @for m in &a.matched { li { code { (m.field) " = " (m.value.to_string()) } } } }
                    }
                    @if !a.features.is_empty() {
                        h2 { "Deviating features" }
                        ul { @for f in &a.features { li { (f.name) " " (f.value.to_string()) " (baseline " (f.baseline.to_string()) ")" } } }
                    }
                    h2 { "Source events" }
                    ul { @for e in &a.event_ids {
                        li { @if hunts { a href=(format!("/events/{e}")) { code { (e) } } } @else { code { (e) } } }
                    } }
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

/// One event of the lake: its normalized fields and the raw record as it arrived.
pub async fn event_page(State(s): State<Shared>, Extension(c): Extension<Caller>, Path(id): Path<String>) -> Response {
    let who = c.app();
    match blocking(move || Ok(s.app.event(&who, &id)?)).await {
        Ok(ev) => {
            let fields: Vec<(String, String)> = ev
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(k, v)| k.as_str() != "raw" && !v.is_null())
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                match v {
                                    serde_json::Value::String(x) => x.clone(),
                                    o => o.to_string(),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let raw = ev.get("raw").and_then(|r| r.as_str()).unwrap_or_default();
            let raw_pretty = serde_json::from_str::<serde_json::Value>(raw)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or_else(|| raw.to_string());
            let title = format!("Event {}", ev.get("id").and_then(|v| v.as_str()).unwrap_or_default());
            html_response(
                StatusCode::OK,
                page(
                    &title,
                    Some(&c),
                    html! {
                        table {
                            thead { tr { th scope="col" { "Field" } th scope="col" { "Value" } } }
                            tbody { @for (k, v) in &fields { tr { td { code { (k) } } td { (v) } } } }
                        }
                        h2 { "Raw record" }
                        pre { (raw_pretty) }
                    },
                ),
            )
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

/// What the behavioral detections have learned about one entity.
pub async fn baseline_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(entity): Path<String>,
) -> Response {
    let who = c.app();
    let name = entity.clone();
    match blocking(move || Ok(s.app.baseline(&who, &entity)?)).await {
        Ok(rows) => html_response(
            StatusCode::OK,
            page(
                &format!("Baselines of {name}"),
                Some(&c),
                html! {
                    @if rows.is_empty() { p { "No behavioral detection has learned anything about this entity." } }
                    @for b in &rows {
                        section {
                            h2 { (b.detection) }
                            p { "Entity " code { (b.entity) } " · updated " (when(b.updated_ms)) }
                            pre { (serde_json::to_string_pretty(&b.state).unwrap_or_default()) }
                        }
                    }
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn hunt_run(State(s): State<Shared>, Extension(c): Extension<Caller>, Form(f): Form<HuntForm>) -> Response {
    let who = c.app();
    let sql = f.sql.clone();
    let r = crate::api::cancellable(&s.clone(), move |cancel| {
        let name = f.save_as.trim();
        if !name.is_empty() {
            s.app.save_hunt(&who, name, &f.sql)?;
        }
        let hunts = s.app.hunts(&who)?;
        let hs = s.app.hypotheses(&who, false)?;
        // A query the engine refuses is shown on the page; anything else is an error page.
        let result: HuntResult = match s.app.hunt_cancellable(&who, &f.sql, Some(WEB_HUNT_ROWS), Some(cancel)) {
            Ok(r) => {
                let rows = r.to_json_rows().map_err(ApiError::internal)?;
                let total = rows.len();
                Ok((r.columns, rows, total, r.truncated))
            }
            Err(vigil_app::AppError::Invalid(m)) => Err(m),
            Err(e) => return Err(e.into()),
        };
        Ok((hunts, hs, result))
    })
    .await;
    match r {
        Ok((hunts, hs, result)) => {
            html_response(StatusCode::OK, page("Hunt", Some(&c), hunt_markup(&c, &hunts, &hs, &sql, Some(result))))
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn rules_page(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let r = blocking(move || {
        let pack = s.config.detection.rules()?.pack;
        Ok(pack)
    })
    .await;
    let pack = match r {
        Ok(p) => p,
        Err(e) => return error_page(Some(&c), &e),
    };
    let sm = pack.summary();
    html_response(
        StatusCode::OK,
        page(
            "Rules",
            Some(&c),
            html! {
                p { (sm.rules) " rules (" (sm.active) " active, " (sm.idle) " idle), " (sm.correlations) " correlations, " (sm.rejected) " rejected." }
                @if !pack.rejected.is_empty() {
                    h2 { "Rejected" }
                    table { thead { tr { th scope="col" { "File" } th scope="col" { "Rule" } th scope="col" { "Reason" } } } tbody { @for r in &pack.rejected { tr { td { (r.file) } td { (r.rule_id.clone().or(r.title.clone()).unwrap_or_default()) } td { (r.reason) } } } } }
                }
                h2 { "Loaded" }
                table { thead { tr { th scope="col" { "Title" } th scope="col" { "Level" } th scope="col" { "State" } th scope="col" { "File" } } } tbody {
                    @for r in &pack.rules { tr { td { (r.info.title) } td { (r.info.level.as_str()) } td { @match &r.idle { Some(why) => { "idle: " (why) } None => { "active" } } } td { (r.info.file) } } }
                } }
            },
        ),
    )
}

/// The live sources: each one's kind, address, last success, lag, events, errors and whether it
/// is a blind spot.
pub async fn sources_page(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let c2 = c.clone();
    let r = blocking(move || {
        let who = c2.app();
        Ok((s.app.sources(&who)?, s.now_ms()))
    })
    .await;
    let (sources, now) = match r {
        Ok(x) => x,
        Err(e) => return error_page(Some(&c), &e),
    };
    let ago = |t: Option<i64>| t.map_or("never".to_string(), |t| format!("{} ago", span((now - t).max(0))));
    html_response(
        StatusCode::OK,
        page(
            "Sources",
            Some(&c),
            html! {
                p { "Live sources Vigil polls with a read-only credential (`vigil connect add`). A source failing three polls in a row, not read for six hours, or with no new record for a day, is a blind spot and raises an alert of its own." }
                @if sources.is_empty() { p { "No live source is connected." } } @else {
                    table { thead { tr { th scope="col" { "Source" } th scope="col" { "Kind" } th scope="col" { "Address" } th scope="col" { "Last success" } th scope="col" { "Lag" } th scope="col" { "Events" } th scope="col" { "Per minute" } th scope="col" { "State" } } } tbody {
                        @for (k, h) in &sources {
                            tr {
                                td { (k.name) } td { (k.kind.name()) } td { (k.base_url) }
                                td { (ago(h.last_success_ms)) }
                                td { @match h.lag_ms(now) { Some(l) => { (span(l)) } None => { "–" } } }
                                td { (h.events_total) }
                                td { (format!("{:.1}", h.events_per_minute())) }
                                td { @match h.blind_spot(now) { Some(why) => { strong { "blind spot: " } (why) } None => { @match &h.last_error { Some(e) => { "last error: " (e) } None => { "ok" } } } } }
                            }
                        }
                    } }
                }
            },
        ),
    )
}

pub async fn auditor_page(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let c2 = c.clone();
    let r = blocking(move || Ok(s.app.granted_cases(&c2.app())?)).await;
    match r {
        Ok(list) => html_response(
            StatusCode::OK,
            page(
                "Auditor portal",
                Some(&c),
                html! {
                    p { "Read-only. You see the cases an administrator granted you, for the granted period, until the grant expires. Every view is recorded." }
                    @if list.is_empty() { p { "No case is granted to you now." } }
                    ul { @for k in &list { li { a href=(format!("/auditor/cases/{}", k.id)) { (k.id) " — " (k.title) } } } }
                    (crate::assistant::ask_box(&c, None, ""))
                    h2 { "Your grants" }
                    ul { @for g in &c.principal.grants { li { (g.cases.join(", ")) " · period " (when(g.from_ms)) " → " (when(g.to_ms)) " · expires " (when(g.expires_ms)) } } }
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn auditor_case_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let c2 = c.clone();
    let r = blocking(move || {
        let k = crate::api::auditor_view(&s, &c2, &id)?;
        let ev = crate::evidence::auditor_section(&s, &k.id, &c2)?;
        Ok((s.app.sla_policy()?, k, ev))
    })
    .await;
    match r {
        Ok((policy, k, ev)) => html_response(
            StatusCode::OK,
            page(
                &format!("{} — {}", k.id, k.title),
                Some(&c),
                html! {
                    (case_markup(&k, &policy, now_ms(), None)) (ev)
                    (crate::assistant::ask_box(&c, Some(&vigil_assistant::CaseOrIncident::Case(k.id.clone())), ""))
                },
            ),
        ),
        Err(e) => error_page(Some(&c), &e),
    }
}

fn admin_markup(
    c: &Caller,
    users: &[vigil_auth::UserView],
    tokens: &[vigil_auth::TokenView],
    grants: &[vigil_auth::Grant],
    notice: Option<Markup>,
) -> Markup {
    let roles = |r: &[vigil_auth::Role]| r.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
    html! {
        @if let Some(n) = notice { div.notice role="status" { (n) } }
        h2 { "Users" }
        table { thead { tr { th scope="col" { "User" } th scope="col" { "Roles" } th scope="col" { "State" } th scope="col" { "Actions" } } } tbody { @for u in users { tr {
            td { (u.username) } td { (roles(&u.roles)) } td { @if u.disabled { "disabled" } @else { "active" } }
            td {
                @if u.disabled {
                    form method="post" action=(format!("/admin/users/{}/enable", u.username)) { (csrf(c)) button type="submit" aria-label=(format!("Enable {}", u.username)) { "Enable" } }
                } @else {
                    form method="post" action=(format!("/admin/users/{}/disable", u.username)) { (csrf(c)) button type="submit" aria-label=(format!("Disable {}", u.username)) { "Disable" } }
                }
                form method="post" action=(format!("/admin/users/{}/password", u.username)) {
                    (csrf(c))
                    label for=(format!("reset-{}", u.username)) { "New password for " (u.username) }
                    input id=(format!("reset-{}", u.username)) name="password" type="password" required minlength="12" autocomplete="new-password";
                    button type="submit" { "Reset password" }
                }
            }
        } } } }
        form method="post" action="/admin/users" {
            (csrf(c))
            label for="new-username" { "New user" }
            input id="new-username" name="username" required pattern="[a-z0-9._@-]{1,64}";
            label for="new-role" { "Role" }
            select id="new-role" name="role" required { option value="" disabled selected { "choose a role" } @for r in vigil_auth::Role::ALL.iter().filter(|r| r.for_people()) { option value=(r.as_str()) { (r.as_str()) } } }
            label for="new-password" { "Initial password (12 characters or more)" }
            input id="new-password" name="password" type="password" required minlength="12" autocomplete="new-password";
            button type="submit" { "Create user" }
        }
        h2 { "API tokens" }
        table { thead { tr { th scope="col" { "Id" } th scope="col" { "Name" } th scope="col" { "Owner" } th scope="col" { "Roles" } th scope="col" { "Expires" } th scope="col" { "State" } } } tbody { @for t in tokens { tr {
            td { code { (t.id) } } td { (t.name) } td { (t.owner) } td { (roles(&t.roles)) } td { (t.expires_ms.map(when).unwrap_or_else(|| "never".into())) }
            td { @if t.revoked_ms.is_some() { "revoked" } @else { form method="post" action=(format!("/admin/tokens/{}/revoke", t.id)) { (csrf(c)) button type="submit" aria-label=(format!("Revoke token {}", t.id)) { "Revoke" } } } }
        } } } }
        form method="post" action="/admin/tokens" {
            (csrf(c))
            label for="token-name" { "New token name" }
            input id="token-name" name="name" required maxlength="100";
            label for="token-owner" { "Owner" }
            input id="token-owner" name="owner" required value=(c.principal.username);
            label for="token-role" { "Role" }
            select id="token-role" name="role" required { option value="" disabled selected { "choose a role" } @for r in vigil_auth::Role::ALL { option value=(r.as_str()) { (r.as_str()) } } }
            label for="token-days" { "Expires after (days)" }
            input id="token-days" name="days" type="number" min="1" max="3650" value="90";
            button type="submit" { "Create token" }
        }
        h2 { "Auditor grants" }
        table { thead { tr { th scope="col" { "Auditor" } th scope="col" { "Cases" } th scope="col" { "Period" } th scope="col" { "Expires" } } } tbody { @for g in grants { tr { td { (g.auditor) } td { (g.cases.join(", ")) } td { (when(g.from_ms)) " → " (when(g.to_ms)) } td { (when(g.expires_ms)) @if g.revoked_ms.is_some() { " (revoked)" } } } } } }
        h2 { "Sessions" }
        form method="post" action="/admin/sessions/prune" {
            (csrf(c))
            p { "Sessions that ended or lapsed over a week ago are forgotten every few minutes and at each sign-in." }
            button type="submit" { "Prune now" }
        }
        form method="post" action="/admin/grants" {
            (csrf(c))
            label for="grant-auditor" { "Auditor" }
            input id="grant-auditor" name="auditor" required;
            label for="grant-cases" { "Case ids (comma separated)" }
            input id="grant-cases" name="cases" required;
            label for="grant-days-back" { "Period: cases opened in the last N days" }
            input id="grant-days-back" name="days_back" type="number" min="1" max="3650" value="90";
            label for="grant-days" { "Grant expires after (days, at most 90)" }
            input id="grant-days" name="days" type="number" min="1" max="90" value="30";
            button type="submit" { "Grant" }
        }
    }
}

async fn admin_render(s: Shared, c: Caller, notice: Option<Markup>, status: StatusCode) -> Response {
    let who = c.app();
    let r = blocking(move || Ok((s.app.users(&who)?, s.app.tokens(&who)?, s.app.grants(&who)?))).await;
    match r {
        Ok((users, tokens, grants)) => {
            html_response(status, page("Admin", Some(&c), admin_markup(&c, &users, &tokens, &grants, notice)))
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

/// Runs an admin operation and shows the admin page with its outcome.
async fn admin_do<T: Send + 'static>(
    s: Shared,
    c: Caller,
    ok: StatusCode,
    op: impl FnOnce(&vigil_app::App, &vigil_app::Caller) -> ApiResult<T> + Send + 'static,
    say: impl FnOnce(T) -> Markup,
) -> Response {
    let (st, who) = (s.clone(), c.app());
    match blocking(move || op(&st.app, &who)).await {
        Ok(v) => admin_render(s, c, Some(say(v)), ok).await,
        Err(e) => admin_render(s, c, Some(html! { span.error { (e.message) } }), e.status).await,
    }
}

pub async fn admin_page(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    admin_render(s, c, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct NewUserForm {
    username: String,
    role: String,
    password: String,
}

pub async fn admin_user(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Form(f): Form<NewUserForm>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| {
        let role: vigil_auth::Role = f.role.parse()?;
        let name = f.username.trim().to_string();
        let u = vigil_app::admin::NewUser {
            username: name.clone(),
            display_name: name,
            roles: vec![role],
            password: f.password,
        };
        Ok(app.create_user(who, &u)?)
    };
    admin_do(s, c, StatusCode::OK, op, |u| html! { "User " strong { (u.username) } " created." }).await
}

pub async fn admin_user_disable(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| Ok(app.disable_user(who, &name)?);
    admin_do(s, c, StatusCode::OK, op, |u| html! { "User " strong { (u.username) } " disabled; their sessions ended." })
        .await
}

pub async fn admin_user_enable(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| Ok(app.enable_user(who, &name)?);
    admin_do(s, c, StatusCode::OK, op, |u| html! { "User " strong { (u.username) } " enabled." }).await
}

#[derive(Deserialize)]
pub struct PasswordResetForm {
    password: String,
}

pub async fn admin_user_password(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(name): Path<String>,
    Form(f): Form<PasswordResetForm>,
) -> Response {
    let shown = name.clone();
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| Ok(app.reset_password(who, &name, &f.password)?);
    admin_do(
        s,
        c,
        StatusCode::OK,
        op,
        move |()| html! { "Password of " strong { (shown) } " reset; their sessions ended." },
    )
    .await
}

pub async fn admin_sessions_prune(State(s): State<Shared>, Extension(c): Extension<Caller>) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| Ok(app.prune_sessions(who)?);
    admin_do(s, c, StatusCode::OK, op, |n| html! { (n) " old sessions forgotten." }).await
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    name: String,
    owner: String,
    role: String,
    days: Option<i64>,
}

pub async fn admin_token(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Form(f): Form<NewTokenForm>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| {
        let role: vigil_auth::Role = f.role.parse()?;
        let t = vigil_app::admin::NewToken {
            owner: Some(f.owner.trim().to_string()),
            name: f.name,
            roles: vec![role],
            days: f.days,
        };
        Ok(app.create_token(who, &t)?)
    };
    // The secret is on this page once, and nowhere else.
    admin_do(s, c, StatusCode::CREATED, op, |(secret, view)| html! { "Token " code { (view.id) } " created. Copy it now; it is not shown again: " code.secret { (secret) } }).await
}

pub async fn admin_token_revoke(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| Ok(app.revoke_token(who, &id)?);
    admin_do(s, c, StatusCode::OK, op, |t| html! { "Token " code { (t.id) } " revoked." }).await
}

#[derive(Deserialize)]
pub struct NewGrantForm {
    auditor: String,
    cases: String,
    days_back: Option<i64>,
    days: Option<i64>,
}

pub async fn admin_grant(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Form(f): Form<NewGrantForm>,
) -> Response {
    let op = move |app: &vigil_app::App, who: &vigil_app::Caller| {
        let cases: Vec<String> = f.cases.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect();
        let now = app.now_ms();
        let g = vigil_app::admin::NewGrant {
            auditor: f.auditor.trim().to_string(),
            cases,
            from_ms: now - f.days_back.unwrap_or(90).clamp(1, 3650) * 86_400_000,
            to_ms: now + 86_400_000,
            expires_ms: now + f.days.unwrap_or(30).clamp(1, 90) * 86_400_000,
        };
        Ok(app.create_grant(who, &g)?)
    };
    admin_do(
        s,
        c,
        StatusCode::CREATED,
        op,
        |g| html! { "Granted " (g.cases.join(", ")) " to " (g.auditor) " until " (when(g.expires_ms)) "." },
    )
    .await
}

fn account_markup(c: &Caller, notice: Option<Markup>) -> Markup {
    html! {
        @if let Some(n) = notice { div.notice role="status" { (n) } }
        p { "Signed in as " strong { (c.principal.username) } " with roles " (c.principal.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")) "." }
        h2 { "Change your password" }
        form method="post" action="/account/password" {
            (csrf(c))
            label for="current" { "Current password" }
            input id="current" name="current" type="password" required autocomplete="current-password";
            label for="new" { "New password (12 characters or more)" }
            input id="new" name="new" type="password" required minlength="12" autocomplete="new-password";
            button type="submit" { "Change password" }
        }
    }
}

pub async fn account_page(Extension(c): Extension<Caller>) -> Response {
    html_response(StatusCode::OK, page("Account", Some(&c), account_markup(&c, None)))
}

#[derive(Deserialize)]
pub struct PasswordForm {
    current: String,
    new: String,
}

pub async fn account_password(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Form(f): Form<PasswordForm>,
) -> Response {
    match crate::api::change_password(
        &s,
        &c,
        addr.ip().to_string(),
        crate::api::PasswordChange { current: f.current, new: f.new },
    )
    .await
    {
        // Every session ended with the change: sign in again.
        Ok(()) => {
            let mut r = Redirect::to("/login").into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => html_response(
            e.status,
            page("Account", Some(&c), account_markup(&c, Some(html! { span.error { (e.message) } }))),
        ),
    }
}
