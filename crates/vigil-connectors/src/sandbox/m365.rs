//! The Office 365 Management Activity API as the live poller reads it, under `/manage`
//! (`/manage/api/v1.0/{tenant}/activity/feed/...`), behind a bearer token issued for
//! `https://manage.office.com/.default` (a Graph token is refused for its audience):
//! - `POST subscriptions/start?contentType=X` enables a content type (`AF20024` when it already
//!   is); a listing of a content type not enabled answers `AF20022`.
//! - `GET subscriptions/content?contentType=X&startTime=..&endTime=..` lists the content blobs
//!   created in `[startTime, endTime)`, oldest first, the sandbox's page size a page, more
//!   pages through the `NextPageUri` header; a window longer than 24 hours, reversed, or given
//!   half is refused with `AF20055`, one starting more than 7 days back with `AF20056`.
//! - `GET audit/{contentId}` returns the blob's records (a JSON array); an unknown id is
//!   `AF20050`, one past its 7 days `AF20051`.
//!
//! Content is added as given ([`crate::sandbox::Sandbox::add_m365_content`]), with the time it
//! was created, so a test can add a blob late with an earlier `contentCreated`; listings can be
//! made to name each blob twice ([`crate::sandbox::Sandbox::m365_list_twice`]), as the service
//! may. Errors are in Microsoft's shape, `{"error": {"code", "message"}}`.

use serde_json::{Value, json};

use super::{Api, Audience, Inner, RecordedRequest, Resp, State, api_error};
use crate::util::encode;

/// The content types the API serves.
const CONTENT_TYPES: &[&str] =
    &["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"];
const DAY_MS: i64 = 86_400_000;

/// One content blob.
#[derive(Debug, Clone)]
pub(crate) struct Blob {
    pub content_type: String,
    pub id: String,
    pub created_ms: i64,
    pub records: Vec<Value>,
}

fn error(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::Manage, status, code, message)
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A time as the API takes it: `yyyy-MM-ddTHH:mm[:ss]`, UTC, with or without a zone.
fn parse_time(t: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(t, f).ok())
        .map(|d| d.and_utc().timestamp_millis())
}

/// Adds a blob of `content_type` created at `created_ms`; its content id.
pub(crate) fn add(st: &mut State, content_type: &str, created_ms: i64, records: Vec<Value>) -> String {
    let n = st.next();
    let day = chrono::DateTime::from_timestamp_millis(created_ms).unwrap_or_default().format("%Y%m%d%H%M%S");
    let id = format!(
        "{day}{n:09}${day}{n:09}${}${}$na{n:04}",
        content_type.to_ascii_lowercase().replace('.', "_"),
        content_type.replace('.', "_")
    );
    st.m365_content.push(Blob { content_type: content_type.to_string(), id: id.clone(), created_ms, records });
    id
}

/// `/manage/api/v1.0/{tenant}/activity/feed/...`.
pub(super) fn manage(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    match sb.bearer_ok(req, Audience::Manage) {
        Ok(()) => {}
        Err("expired") => {
            return error(401, "Unauthorized", "Authorization has been denied for this request: the token is expired.")
                .with_header(
                    "WWW-Authenticate",
                    "Bearer error=\"invalid_token\", error_description=\"The token is expired\"",
                );
        }
        Err("audience") => {
            return error(401, "Unauthorized", "Authorization has been denied for this request: invalid audience.");
        }
        Err(_) => return error(401, "Unauthorized", "Authorization has been denied for this request."),
    }
    let ["api", "v1.0", tenant, "activity", "feed", rest @ ..] = seg else {
        return error(404, "AF20000", "The requested resource does not exist.");
    };
    if !tenant.eq_ignore_ascii_case(&sb.creds.tenant_id) {
        return error(
            401,
            "AF20010",
            &format!(
                "The tenant ID passed in the URL ({tenant}) does not match the tenant ID passed in the access token."
            ),
        );
    }
    let now = chrono::Utc::now().timestamp_millis();
    match (req.method.as_str(), rest) {
        ("POST", ["subscriptions", "start"]) => {
            let Some(ct) = content_type(req) else {
                return error(400, "AF20020", "The specified content type is not valid.");
            };
            let mut st = sb.state();
            if !st.m365_subscriptions.insert(ct.to_string()) {
                return error(400, "AF20024", "The subscription is already enabled. No property change.");
            }
            Resp::json(200, json!({ "contentType": ct, "status": "enabled", "webhook": null }))
        }
        ("GET", ["subscriptions", "content"]) => list(sb, req, tenant, now),
        ("GET", ["audit", id]) => {
            let st = sb.state();
            let Some(blob) = st.m365_content.iter().find(|b| b.id == *id) else {
                return error(400, "AF20050", &format!("The specified content ({id}) does not exist."));
            };
            if blob.created_ms < now - 7 * DAY_MS {
                return error(
                    400,
                    "AF20051",
                    &format!(
                        "Content requested with the key {id} has already expired. Content older than 7 days cannot be retrieved."
                    ),
                );
            }
            Resp::json(200, Value::Array(blob.records.clone()))
        }
        (_, ["subscriptions", "start" | "content"] | ["audit", _]) => {
            error(405, "AF20001", "The requested resource does not support the HTTP method.")
        }
        _ => error(404, "AF20000", "The requested resource does not exist."),
    }
}

fn content_type(req: &RecordedRequest) -> Option<&'static str> {
    let ct = req.query_param("contentType")?;
    CONTENT_TYPES.iter().copied().find(|t| *t == ct)
}

fn list(sb: &Inner, req: &RecordedRequest, tenant: &str, now: i64) -> Resp {
    let Some(ct) = content_type(req) else { return error(400, "AF20020", "The specified content type is not valid.") };
    if !sb.state().m365_subscriptions.contains(ct) {
        return error(400, "AF20022", "No subscription found for the specified content type");
    }
    let window = |name: &str| req.query_param(name).map(|t| parse_time(&t));
    let (start, end) = match (window("startTime"), window("endTime")) {
        (None, None) => (now - DAY_MS, now),
        (Some(Some(s)), Some(Some(e))) if e > s && e - s <= DAY_MS => (s, e),
        _ => {
            return error(
                400,
                "AF20055",
                "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to end time.",
            );
        }
    };
    if start < now - 7 * DAY_MS {
        return error(400, "AF20056", "Start time cannot be more than 7 days in the past.");
    }
    let offset = match req.query_param("nextPage") {
        None => 0,
        Some(t) => match super::page_offset(&t) {
            Some(o) => o,
            None => return error(400, "AF20031", &format!("Invalid nextPage Input: {t}.")),
        },
    };
    let st = sb.state();
    let mut found: Vec<(i64, usize)> = st
        .m365_content
        .iter()
        .enumerate()
        .filter(|(_, b)| b.content_type == ct && b.created_ms >= start && b.created_ms < end)
        .map(|(i, b)| (b.created_ms, i))
        .collect();
    found.sort();
    if st.m365_list_twice {
        found = found.into_iter().flat_map(|p| [p, p]).collect();
    }
    let size = sb.page_size();
    let page: Vec<Value> = found
        .iter()
        .skip(offset)
        .take(size)
        .map(|(_, i)| {
            let b = &st.m365_content[*i];
            json!({
                "contentType": b.content_type,
                "contentId": b.id,
                "contentUri": format!("{}/manage/api/v1.0/{tenant}/activity/feed/audit/{}", sb.base, b.id),
                "contentCreated": iso(b.created_ms),
                "contentExpiration": iso(b.created_ms + 7 * DAY_MS),
            })
        })
        .collect();
    let mut resp = Resp::json(200, Value::Array(page));
    if found.len() > offset + size {
        let q: Vec<String> = req
            .query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("nextPage="))
            .map(str::to_string)
            .chain([format!("nextPage={}", encode(&super::page_token(offset + size)))])
            .collect();
        resp = resp.with_header(
            "NextPageUri",
            format!("{}/manage/api/v1.0/{tenant}/activity/feed/subscriptions/content?{}", sb.base, q.join("&")),
        );
    }
    resp
}
