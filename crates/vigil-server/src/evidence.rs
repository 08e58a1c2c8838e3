//! Evidence over HTTP: a case's evidence and custody, packet export and download, the
//! compliance coverage page, the ledger's public key and verification, and the auditor
//! portal's scoped evidence. Every view and download of evidence is a custody event.

use axum::Form;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::{Value, json};
use vigil_auth::Permission;
use vigil_vault::{ExportOptions, ledger};

use crate::api::blocking;
use crate::authn::Caller;
use crate::web::{csrf, error_page, html_response, page, when};
use crate::{ApiError, ApiResult, Shared};

impl From<vigil_vault::VaultError> for ApiError {
    fn from(e: vigil_vault::VaultError) -> ApiError {
        use vigil_vault::VaultError as V;
        match e {
            V::NotFound(m) => ApiError::not_found(m),
            V::Invalid(m) => ApiError::bad_request(m),
            V::Queue(q) => q.into(),
            V::Store(s) => s.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<vigil_compliance::ComplianceError> for ApiError {
    fn from(e: vigil_compliance::ComplianceError) -> ApiError {
        ApiError::bad_request(e.to_string())
    }
}

pub use vigil_app::evidence::CaseEvidence;

/// An artifact as an HTTP download: its media type, a safe file name, its hash.
fn download_response(d: vigil_app::evidence::Download) -> Response {
    let name: String = d
        .item
        .meta
        .name
        .chars()
        .map(|ch| if ch.is_ascii_alphanumeric() || "-_.".contains(ch) { ch } else { '_' })
        .collect();
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, d.item.meta.media_type.clone()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::HeaderName::from_static("x-vigil-sha256"), d.item.sha256.clone()),
        ],
        d.bytes,
    )
        .into_response()
}

pub async fn case_evidence_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseEvidence>> {
    blocking(move || Ok(Json(s.app.case_evidence(&c.app(), &id, "api")?))).await
}

fn export(s: &Shared, c: &Caller, id: &str) -> ApiResult<vigil_vault::Exported> {
    let catalog = vigil_compliance::Catalog::builtin()?;
    Ok(s.app.export_case(&c.app(), id, &catalog, &ExportOptions::default())?.1)
}

pub async fn case_export_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<(StatusCode, Json<vigil_vault::Exported>)> {
    blocking(move || Ok((StatusCode::CREATED, Json(export(&s, &c, &id)?)))).await
}

pub async fn case_download_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path((id, sha)): Path<(String, String)>,
) -> ApiResult<Response> {
    blocking(move || Ok(download_response(s.app.download_evidence(&c.app(), &id, &sha, "api")?))).await
}

pub async fn auditor_evidence_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
) -> ApiResult<Json<CaseEvidence>> {
    blocking(move || Ok(Json(s.app.case_evidence(&c.app(), &id, "auditor portal")?))).await
}

pub async fn auditor_download_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path((id, sha)): Path<(String, String)>,
) -> ApiResult<Response> {
    blocking(move || Ok(download_response(s.app.download_evidence(&c.app(), &id, &sha, "auditor portal")?))).await
}

pub async fn public_key(State(s): State<Shared>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let key = ledger::load_or_create_key(s.app.dir().root())?;
        Ok(Json(json!({"algorithm": "ed25519", "public_key_hex": key.public_key_hex(), "key_id": key.key_id()})))
    })
    .await
}

pub async fn ledger_verify(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
) -> ApiResult<Json<ledger::LedgerReport>> {
    blocking(move || Ok(Json(s.app.verify_ledger(&c.app(), None)?))).await
}

/// `?framework=SOC2&from=2026-01-01&to=2026-03-31&format=json|csv|markdown`
#[derive(Debug, Default, Deserialize)]
pub struct CoverageQuery {
    pub framework: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub format: Option<String>,
}

fn parse_time(s: &str) -> ApiResult<i64> {
    Ok(vigil_metrics::parse_instant(s)?)
}

fn coverage(s: &Shared, c: &Caller, q: &CoverageQuery) -> ApiResult<vigil_compliance::CoverageReport> {
    let now = s.now_ms();
    let to = q.to.as_deref().filter(|t| !t.is_empty()).map(parse_time).transpose()?.unwrap_or(now);
    let from = q.from.as_deref().filter(|t| !t.is_empty()).map(parse_time).transpose()?.unwrap_or(to - 90 * 86_400_000);
    let framework = q.framework.clone().filter(|f| !f.is_empty()).unwrap_or_else(|| "SOC2".into());
    let catalog = vigil_compliance::Catalog::builtin()?;
    Ok(s.app.coverage(&c.app(), &catalog, s.app.detection_config(), &framework, from, to)?)
}

pub async fn coverage_api(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<CoverageQuery>,
) -> ApiResult<Response> {
    blocking(move || {
        let r = coverage(&s, &c, &q)?;
        Ok(match q.format.as_deref() {
            Some("csv") => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], r.to_csv()).into_response(),
            Some("markdown") => {
                ([(header::CONTENT_TYPE, "text/markdown; charset=utf-8")], r.to_markdown()).into_response()
            }
            None | Some("json") => Json(r).into_response(),
            Some(other) => return Err(ApiError::bad_request(format!("format {other:?}: use json, csv or markdown"))),
        })
    })
    .await
}

fn evidence_markup(ev: &CaseEvidence, download_base: &str, export_form: Option<&Caller>) -> Markup {
    html! {
        section aria-labelledby="evidence" {
            h2 id="evidence" { "Evidence and custody" }
            @if ev.items.is_empty() { p { "No evidence in the vault for this case yet." } }
            @else {
                table {
                    thead { tr { th scope="col" { "Added" } th scope="col" { "Artifact" } th scope="col" { "Kind" } th scope="col" { "Bytes" } th scope="col" { "SHA-256" } } }
                    tbody { @for i in &ev.items {
                        tr {
                            td { (when(i.added_ms)) }
                            td { @if i.purged_ms.is_some() { (i.meta.name) " (purged)" } @else { a href=(format!("{download_base}/{}", i.sha256)) { (i.meta.name) } } }
                            td { (i.meta.kind) }
                            td { (i.size) }
                            td { code { (i.sha256) } }
                        }
                    } }
                }
            }
            @if let Some(c) = export_form {
                form method="post" action=(format!("/cases/{}/export", ev.case_id)) {
                    (csrf(c))
                    button type="submit" { "Export incident packet" }
                }
            }
            h3 { "Chain of custody" }
            @if ev.custody.is_empty() { p { "No custody events yet." } }
            @else {
                table {
                    thead { tr { th scope="col" { "#" } th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" } th scope="col" { "Result" } } }
                    tbody { @for e in &ev.custody {
                        tr { td { (e.seq) } td { (when(e.at_ms)) } td { (e.actor) } td { (e.action) } td { (e.result) } }
                    } }
                }
            }
            p.muted { "Packets verify offline: " code { "vigil verify PACKET.zip --public-key KEY" } " with the key from " a href="/api/v1/ledger/public-key" { "/api/v1/ledger/public-key" } "." }
        }
    }
}

/// The evidence section of the analyst's case page.
pub fn case_section(s: &Shared, case_id: &str, c: &Caller) -> ApiResult<Markup> {
    let ev = s.app.case_evidence_on_page(&c.app(), case_id)?;
    let form = c.principal.can(Permission::WorkCases).then_some(c);
    Ok(evidence_markup(&ev, &format!("/api/v1/cases/{case_id}/evidence"), form))
}

/// The evidence section of the auditor's read-only case page (the view is already recorded).
pub fn auditor_section(s: &Shared, case_id: &str, c: &Caller) -> ApiResult<Markup> {
    let ev = s.app.case_evidence_on_page(&c.app(), case_id)?;
    Ok(evidence_markup(&ev, &format!("/api/v1/auditor/cases/{case_id}/evidence"), None))
}

#[derive(Deserialize)]
pub struct ExportForm {}

pub async fn case_export_form(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Path(id): Path<String>,
    Form(_f): Form<ExportForm>,
) -> Response {
    let c2 = c.clone();
    let id2 = id.clone();
    match blocking(move || export(&s, &c2, &id2)).await {
        Ok(_) => {
            let mut r = Redirect::to(&format!("/cases/{id}#evidence")).into_response();
            *r.status_mut() = StatusCode::SEE_OTHER;
            r
        }
        Err(e) => error_page(Some(&c), &e),
    }
}

pub async fn compliance_page(
    State(s): State<Shared>,
    Extension(c): Extension<Caller>,
    Query(q): Query<CoverageQuery>,
) -> Response {
    let q2 = CoverageQuery { framework: q.framework.clone(), from: q.from.clone(), to: q.to.clone(), format: None };
    let frameworks: Vec<(String, String)> = vigil_compliance::Catalog::builtin()
        .map(|cat| cat.frameworks().iter().map(|f| (f.id.clone(), f.name.clone())).collect())
        .unwrap_or_default();
    let c2 = c.clone();
    match blocking(move || coverage(&s, &c2, &q2)).await {
        Ok(r) => {
            let body = html! {
                form method="get" action="/compliance" {
                    label for="framework" { "Framework" }
                    select id="framework" name="framework" {
                        @for (id, name) in &frameworks {
                            @if *id == r.framework { option value=(id) selected { (name) } } @else { option value=(id) { (name) } }
                        }
                    }
                    label for="from" { "From" } input id="from" name="from" type="date" value=(q.from.clone().unwrap_or_default());
                    label for="to" { "To" } input id="to" name="to" type="date" value=(q.to.clone().unwrap_or_default());
                    button type="submit" { "Show coverage" }
                }
                p { (r.framework_name) " · " (when(r.from_ms)) " to " (when(r.to_ms)) }
                p.muted { "Mapping: " (r.mapping_status) }
                p { "Complete " strong { (r.summary.complete) } " · partial " strong { (r.summary.partial) } " · no evidence " strong { (r.summary.no_evidence) } " · not mapped " strong { (r.summary.not_mapped) } " of " (r.summary.total) " controls. "
                    a href=(format!("/api/v1/compliance/coverage?framework={}&from={}&to={}&format=csv", r.framework, r.from_ms, r.to_ms)) { "CSV" } }
                table {
                    thead { tr { th scope="col" { "Control" } th scope="col" { "Title" } th scope="col" { "Status" } th scope="col" { "Detections" } th scope="col" { "Cases" } th scope="col" { "Evidence" } th scope="col" { "Missing" } } }
                    tbody { @for ctl in &r.controls {
                        tr {
                            td { (ctl.id) }
                            td { (ctl.title) }
                            td { (ctl.status.as_str()) }
                            td { (ctl.detections.len()) }
                            td { @for (n, k) in ctl.cases.iter().enumerate() { @if n > 0 { ", " } a href=(format!("/cases/{}", k.id)) { (k.id) } } }
                            td { (ctl.evidence.len()) }
                            td { (ctl.missing.join("; ")) }
                        }
                    } }
                }
            };
            html_response(StatusCode::OK, page("Compliance coverage", Some(&c), body))
        }
        Err(e) => error_page(Some(&c), &e),
    }
}
