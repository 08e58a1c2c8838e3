//! The GitHub organization audit log poller: `GET {base}/orgs/{org}/audit-log` (GitHub
//! Enterprise Cloud; `base` is `https://api.github.com`, or a GitHub Enterprise Server's
//! `https://HOST/api/v3`).
//!
//! The first request asks for records created since the backfill window
//! (`phrase=created:>=…`), oldest first (`order=asc`, `include=all`), `page_limit` at a time (at
//! most 100); while the answer has a `Link` with `rel="next"` (GitHub writes it with the
//! organization's numeric path, `/organizations/{id}/audit-log`, and only `after`/`before`), its
//! `after`/`before` continue the same query. GitHub gives the last page no `next` link, so the
//! poll after it asks again from [`crate::OVERLAP_MS`] before the newest record read: records GitHub
//! indexed late, with an earlier time, are still read, and the ones read already dedupe by event
//! id. The newest time read travels in the cursor (`vigil-newest`, never sent to GitHub), capped
//! at a few minutes past now so one record stamped in the future cannot carry the cursor past
//! everything.
//!
//! Rate limits: 429, or 403 with `x-ratelimit-remaining: 0` (GitHub's primary limit), waits
//! until `x-ratelimit-reset` (epoch seconds, a second added for skew) or `Retry-After` (the
//! secondary limit). Errors: GitHub's `message` is named; 401 and 403 say what the token needs;
//! 404 says the organization is not there or its audit log is not the token's to read.

use std::time::Duration;

use serde_json::Value;
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{CollectError, Connection, OVERLAP_MS, Page, RetryPolicy, origin, query_ok, split_cursor, with_newest};

const VENDOR: &str = "GitHub";

fn path(conn: &Connection) -> String {
    format!("/orgs/{}/audit-log", conn.org.as_deref().unwrap_or_default())
}

/// A query from `since_ms`, oldest first.
fn since_query(conn: &Connection, since_ms: i64) -> String {
    let since = chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    format!(
        "phrase={}&include=all&order=asc&per_page={}",
        vigil_connectors::util::encode(&format!("created:>={since}")),
        conn.page_limit
    )
}

fn reset_wait(resp: &HttpResponse) -> Option<Duration> {
    if let Some(s) = resp.header("Retry-After").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(s.max(1)));
    }
    let reset: i64 = resp.header("x-ratelimit-reset")?.trim().parse().ok()?;
    let now = chrono::Utc::now().timestamp();
    Some(Duration::from_secs(reset.saturating_sub(now).saturating_add(1).max(1) as u64))
}

/// GitHub's primary rate limit answers 403 with no requests remaining.
fn limited(resp: &HttpResponse) -> bool {
    resp.status == 403
        && (resp.header("x-ratelimit-remaining").is_some_and(|r| r.trim() == "0")
            || resp.header("Retry-After").is_some())
}

fn message(resp: &HttpResponse) -> String {
    serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .and_then(|v| {
            v.get("message").and_then(Value::as_str).map(|m| format!(": {}", m.chars().take(200).collect::<String>()))
        })
        .unwrap_or_default()
}

/// The `after`/`before` of a `next` link, when it points back at the connection's own origin and
/// at an audit log; they continue `query` (whose other parameters GitHub's link leaves out).
fn continue_with(conn: &Connection, query: &str, link: &str) -> Result<String, CollectError> {
    let bad = |why: String| CollectError::BadResponse { vendor: VENDOR, why };
    if origin(link) != origin(&conn.base_url) {
        return Err(bad(format!("the next link points at another origin ({:?})", origin(link).unwrap_or_default())));
    }
    let (p, lq) = link.split_once('?').ok_or_else(|| bad("the next link has no query".into()))?;
    if !p.ends_with("/audit-log") {
        return Err(bad(format!("the next link is not an audit log ({p})")));
    }
    if !query_ok(lq) {
        return Err(bad("the next link's query is not a cursor".into()));
    }
    let pos: Vec<&str> = lq.split('&').filter(|kv| kv.starts_with("after=") || kv.starts_with("before=")).collect();
    if !pos.iter().any(|kv| kv.starts_with("after=") && kv.len() > "after=".len()) {
        return Err(bad("the next link has no after cursor".into()));
    }
    let mut out: Vec<&str> =
        query.split('&').filter(|kv| !kv.starts_with("after=") && !kv.starts_with("before=")).collect();
    out.extend(pos);
    Ok(out.join("&"))
}

/// A record's time (epoch ms): `@timestamp`, else `created_at`.
fn stamp(v: &Value) -> Option<i64> {
    v.get("@timestamp").or_else(|| v.get("created_at")).and_then(vigil_time)
}

fn vigil_time(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis()),
        _ => None,
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
    let (query, newest_before) = match cursor {
        Some(c) => split_cursor(c),
        None => (since_query(conn, now_ms - i64::from(conn.backfill_days) * 86_400_000), None),
    };
    if !query_ok(&query) {
        return Err(CollectError::Config(format!(
            "the kept cursor is not a query GitHub takes ({} bytes)",
            query.len()
        )));
    }
    let url = format!("{}{}?{query}", conn.base_url, path(conn));
    let req = HttpRequest::new("GET", url)
        .with_header("Authorization", format!("Bearer {token}"))
        .with_header("Accept", "application/vnd.github+json")
        .with_header("X-GitHub-Api-Version", "2022-11-28");
    let (resp, attempts, waited) = crate::exchange(VENDOR, transport, policy, &req, &reset_wait, &limited)?;
    match resp.status {
        200 => {}
        401 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 401,
                detail: message(&resp),
                hint: "the token is wrong, expired or revoked; use an organization owner's token with read:audit_log",
            });
        }
        403 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 403,
                detail: message(&resp),
                hint: "the token may not read the audit log: it needs read:audit_log from an organization owner (or an App with Administration: read)",
            });
        }
        404 => {
            return Err(CollectError::Vendor {
                vendor: VENDOR,
                status: 404,
                detail: format!(
                    "{}; no organization {:?}, or its audit log is not this token's to read (the API needs GitHub Enterprise Cloud)",
                    message(&resp),
                    conn.org.as_deref().unwrap_or_default()
                ),
            });
        }
        s => return Err(CollectError::Vendor { vendor: VENDOR, status: s, detail: message(&resp) }),
    }
    let body: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| CollectError::BadResponse { vendor: VENDOR, why: format!("the body is not JSON ({e})") })?;
    let Value::Array(items) = body else {
        return Err(CollectError::BadResponse {
            vendor: VENDOR,
            why: "the body is not a JSON array of records".into(),
        });
    };
    let mut lines = String::new();
    let mut newest_ms = None;
    for item in &items {
        lines.push_str(&item.to_string());
        lines.push('\n');
        newest_ms = newest_ms.max(stamp(item));
    }
    // The newest time read, never further than a little past now.
    let newest_ms = crate::newest_believed(newest_ms, now_ms);
    let newest_all = newest_before.max(newest_ms);
    let next = crate::okta::next_link(&resp);
    let more = next.is_some();
    let cursor = match next {
        Some(link) => with_newest(continue_with(conn, &query, &link)?, newest_all),
        // The end for now: ask again from a while before the newest record read.
        None => match newest_all {
            Some(t) => with_newest(since_query(conn, t.saturating_sub(OVERLAP_MS)), Some(t)),
            None => with_newest(query, None),
        },
    };
    Ok(Page { lines, records: items.len(), cursor, newest_ms, more, attempts, waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let mut c =
            Connection::new("gh", crate::Kind::GitHubAuditLog, "https://api.github.com", "github_token", Some("acme"))
                .unwrap();
        c.page_limit = 50;
        c
    }

    #[test]
    fn an_organization_is_required_and_pages_are_at_most_100() {
        let e = Connection::new("gh", crate::Kind::GitHubAuditLog, "https://api.github.com", "t", None).unwrap_err();
        assert_eq!(conn().kind.max_page_limit(), 100);
        assert!(e.to_string().contains("org"), "{e}");
        let mut c = conn();
        c.page_limit = 101;
        assert!(c.validate().unwrap_err().to_string().contains("1 to 100"));
        c.page_limit = 100;
        c.org = Some("acme corp".into());
        assert!(c.validate().unwrap_err().to_string().contains("organization name"));
    }

    #[test]
    fn queries_and_cursors() {
        let c = conn();
        let q = since_query(&c, 1_700_000_000_000);
        assert_eq!(q, "phrase=created%3A%3E%3D2023-11-14T22%3A13%3A20Z&include=all&order=asc&per_page=50");
        // GitHub's link: the numeric organization path, only after and before.
        let next = continue_with(&c, &q, "https://api.github.com/organizations/80307827/audit-log?after=MS4x&before=")
            .unwrap();
        assert_eq!(next, format!("{q}&after=MS4x&before="));
        let again =
            continue_with(&c, &next, "https://api.github.com/organizations/80307827/audit-log?after=MS4y&before=")
                .unwrap();
        assert_eq!(again, format!("{q}&after=MS4y&before="), "the earlier after is replaced");
        for link in [
            "https://evil.example/orgs/acme/audit-log?after=X",
            "https://api.github.com/orgs/acme/members?after=X",
            "https://api.github.com/orgs/acme/audit-log",
            "https://api.github.com/orgs/acme/audit-log?before=",
            "https://api.github.com/orgs/acme/audit-log?after=a\u{1}b",
        ] {
            assert!(continue_with(&c, &q, link).is_err(), "{link}");
        }
        assert_eq!(split_cursor(&with_newest(q.clone(), Some(42))), (q.clone(), Some(42)));
        assert_eq!(split_cursor(&q), (q, None));
    }

    #[test]
    fn githubs_403_is_a_rate_limit_only_with_nothing_remaining() {
        let r = |status, headers: &[(&str, &str)]| HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: Vec::new(),
        };
        assert!(limited(&r(403, &[("x-ratelimit-remaining", "0")])));
        assert!(limited(&r(403, &[("Retry-After", "30")])));
        assert!(!limited(&r(403, &[("x-ratelimit-remaining", "4999")])));
        assert_eq!(reset_wait(&r(403, &[("Retry-After", "30")])), Some(Duration::from_secs(30)));
    }
}
