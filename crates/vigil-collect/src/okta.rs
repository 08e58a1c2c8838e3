//! The Okta System Log poller: `GET {base}/api/v1/logs`, Okta's polling contract.
//!
//! The first request asks for records published since the connection's backfill window, oldest
//! first (`sortOrder=ASCENDING`), `limit` at a time; every answer carries a `Link` header with
//! `rel="next"`, whose query (`after=…`) is the cursor kept for the next request — also when the
//! page is empty, which means the log has been read to its end for now. The cursor follows the
//! order records reached the log, so records that arrive late with an earlier `published` time
//! are still read once; a record the vendor delivers twice is one event (ids dedupe).
//!
//! Rate limits: a 429 waits until `X-Rate-Limit-Reset` (epoch seconds, by Okta's clock: a
//! second is added for skew, and a reset already past waits one second) within the policy's
//! longest wait. Errors: Okta's `errorCode`/`errorSummary` are named; 401 and 403 say what the
//! token needs.

use std::time::Duration;

use serde_json::Value;
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{CollectError, Connection, Page, RetryPolicy, origin};

const VENDOR: &str = "Okta";
const PATH: &str = "/api/v1/logs";

/// The query of the first request: the backfill window's start, oldest first.
fn first_query(conn: &Connection, now_ms: i64) -> String {
    let since_ms = now_ms - i64::from(conn.backfill_days) * 86_400_000;
    let since = chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    format!("since={}&sortOrder=ASCENDING&limit={}", vigil_connectors::util::encode(&since), conn.page_limit)
}

/// How long a 429 asks to wait, from `X-Rate-Limit-Reset`.
fn reset_wait(resp: &HttpResponse) -> Option<Duration> {
    let reset: i64 = resp.header("X-Rate-Limit-Reset")?.trim().parse().ok()?;
    let now = chrono::Utc::now().timestamp();
    Some(Duration::from_secs(reset.saturating_sub(now).saturating_add(1).max(1) as u64))
}

/// The `rel="next"` target among the `Link` headers (one per header, or comma-separated).
pub fn next_link(resp: &HttpResponse) -> Option<String> {
    for value in resp.headers_named("Link") {
        for part in value.split(',') {
            let mut pieces = part.split(';');
            let target = pieces.next()?.trim();
            let is_next = pieces.any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next && let Some(url) = target.strip_prefix('<').and_then(|t| t.strip_suffix('>')) {
                return Some(url.to_string());
            }
        }
    }
    None
}

/// The cursor in a `next` link: its query, when the link points back at the connection's own
/// System Log (never elsewhere: the token goes with every request).
fn cursor_of(conn: &Connection, link: &str) -> Result<String, CollectError> {
    let bad = |why: String| CollectError::BadResponse { vendor: VENDOR, why };
    if origin(link) != origin(&conn.base_url) {
        return Err(bad(format!("the next link points at another origin ({:?})", origin(link).unwrap_or_default())));
    }
    let (path, query) = link.split_once('?').ok_or_else(|| bad("the next link has no query".into()))?;
    if !path.ends_with(PATH) {
        return Err(bad(format!("the next link is not the System Log ({path})")));
    }
    if !crate::query_ok(query) {
        return Err(bad("the next link's query is not a cursor".into()));
    }
    Ok(query.to_string())
}

/// Okta's error body (`errorCode`, `errorSummary`) in words, or nothing when it has none.
fn detail(resp: &HttpResponse) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else { return String::new() };
    let code = v.get("errorCode").and_then(Value::as_str);
    let summary = v.get("errorSummary").and_then(Value::as_str);
    match (code, summary) {
        (Some(c), Some(s)) => format!(", {c}: {}", s.chars().take(200).collect::<String>()),
        (Some(c), None) => format!(", {c}"),
        (None, Some(s)) => format!(": {}", s.chars().take(200).collect::<String>()),
        (None, None) => String::new(),
    }
}

pub(crate) fn next_page(
    conn: &Connection,
    token: &str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let query = match cursor {
        Some(c) => c.to_string(),
        None => first_query(conn, now_ms),
    };
    let url = format!("{}{PATH}?{query}", conn.base_url);
    let req = HttpRequest::new("GET", url)
        .with_header("Authorization", format!("SSWS {token}"))
        .with_header("Accept", "application/json");
    let (resp, attempts, waited) = crate::exchange(VENDOR, transport, policy, &req, &reset_wait, &|_| false)?;
    match resp.status {
        200 => {}
        401 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 401,
                detail: detail(&resp),
                hint: "the API token is wrong, revoked or expired (Okta expires tokens unused for 30 days); create one as a Read-Only Administrator",
            });
        }
        403 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 403,
                detail: detail(&resp),
                hint: "the token's administrator may not read the System Log; it needs okta.logs.read (Read-Only Administrator)",
            });
        }
        s => return Err(CollectError::Vendor { vendor: VENDOR, status: s, detail: detail(&resp) }),
    }
    let body: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| CollectError::BadResponse { vendor: VENDOR, why: format!("the body is not JSON ({e})") })?;
    let Value::Array(items) = body else {
        return Err(CollectError::BadResponse {
            vendor: VENDOR,
            why: "the body is not a JSON array of records".into(),
        });
    };
    let next = next_link(&resp)
        .ok_or_else(|| CollectError::BadResponse { vendor: VENDOR, why: "no Link header with rel=\"next\"".into() })?;
    let cursor = cursor_of(conn, &next)?;
    let mut lines = String::new();
    let mut newest_ms = None;
    for item in &items {
        // Each record goes on as one line; one that is not an object is still handed on, for
        // the decoder to quarantine with its reason.
        lines.push_str(&item.to_string());
        lines.push('\n');
        let t =
            item.get("published").and_then(Value::as_str).and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok());
        if let Some(t) = t {
            newest_ms = newest_ms.max(Some(t.timestamp_millis()));
        }
    }
    let more = items.len() >= conn.page_limit as usize;
    Ok(Page { lines, records: items.len(), cursor, newest_ms, more, attempts, waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(headers: &[(&str, &str)]) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: b"[]".to_vec(),
        }
    }

    fn conn() -> Connection {
        Connection::new("okta", crate::Kind::OktaSystemLog, "https://acme.okta.com", "okta_token", None).unwrap()
    }

    #[test]
    fn next_links_in_every_header_shape() {
        let two = resp(&[
            ("link", "<https://acme.okta.com/api/v1/logs?since=x>; rel=\"self\""),
            ("Link", "<https://acme.okta.com/api/v1/logs?after=123&limit=5>; rel=\"next\""),
        ]);
        assert_eq!(next_link(&two).as_deref(), Some("https://acme.okta.com/api/v1/logs?after=123&limit=5"));
        let joined = resp(&[(
            "Link",
            "<https://acme.okta.com/api/v1/logs?a=1>; rel=\"self\", <https://acme.okta.com/api/v1/logs?after=9>; rel=next",
        )]);
        assert_eq!(next_link(&joined).as_deref(), Some("https://acme.okta.com/api/v1/logs?after=9"));
        assert_eq!(next_link(&resp(&[("Link", "<https://x/>; rel=\"self\"")])), None);
        assert_eq!(next_link(&resp(&[])), None);
    }

    #[test]
    fn a_cursor_only_from_a_link_back_to_the_same_system_log() {
        let c = conn();
        assert_eq!(cursor_of(&c, "https://acme.okta.com/api/v1/logs?after=1&limit=5").unwrap(), "after=1&limit=5");
        for (link, why) in [
            ("https://evil.example/api/v1/logs?after=1", "another origin"),
            ("https://acme.okta.com.evil.example/api/v1/logs?after=1", "another origin"),
            ("http://acme.okta.com/api/v1/logs?after=1", "another origin"),
            ("https://acme.okta.com/api/v1/users?after=1", "not the System Log"),
            ("https://acme.okta.com/api/v1/logs", "no query"),
            ("https://acme.okta.com/api/v1/logs?after=1 2", "not a cursor"),
            ("https://acme.okta.com/api/v1/logs?after=1\u{7f}2", "not a cursor"),
        ] {
            let e = cursor_of(&c, link).unwrap_err().to_string();
            assert!(e.contains(why), "{link}: {e}");
        }
    }

    #[test]
    fn the_first_query_starts_at_the_backfill_window() {
        let q = first_query(&conn(), 1_700_000_000_000);
        assert_eq!(q, "since=2023-11-07T22%3A13%3A20.000Z&sortOrder=ASCENDING&limit=1000");
    }

    #[test]
    fn a_reset_already_past_waits_a_second() {
        let past = resp(&[("X-Rate-Limit-Reset", "1000")]);
        assert_eq!(reset_wait(&past), Some(Duration::from_secs(1)));
        let soon = (chrono::Utc::now().timestamp() + 5).to_string();
        let w = reset_wait(&resp(&[("X-Rate-Limit-Reset", &soon)])).unwrap();
        assert!(w >= Duration::from_secs(5) && w <= Duration::from_secs(7), "{w:?}");
        assert_eq!(reset_wait(&resp(&[("X-Rate-Limit-Reset", "soon")])), None);
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any Link headers a vendor sends: reading them never panics, and a cursor is taken only
        /// from a link back to the connection's own System Log.
        #[test]
        fn link_headers_never_panic_and_never_leave_the_origin(links in proptest::collection::vec(".{0,200}", 0..4)) {
            let resp = HttpResponse {
                status: 200,
                headers: links.iter().map(|l| ("Link".to_string(), l.clone())).collect(),
                body: Vec::new(),
            };
            let conn = Connection::new("okta", crate::Kind::OktaSystemLog, "https://acme.okta.com", "t", None).unwrap();
            if let Some(link) = next_link(&resp)
                && cursor_of(&conn, &link).is_ok()
            {
                prop_assert_eq!(origin(&link), origin("https://acme.okta.com"));
            }
        }
    }
}
