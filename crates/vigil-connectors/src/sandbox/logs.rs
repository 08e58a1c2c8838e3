//! The vendors' read APIs for their logs, as the live pollers read them: Okta's System Log
//! (`GET /okta/api/v1/logs`) and GitHub's organization audit log
//! (`GET /github/orgs/{org}/audit-log`).
//!
//! Okta's polling contract: the first request names `since` (records published at or after it),
//! `limit` (1–1000, default 100) and `sortOrder=ASCENDING`; every answer carries a
//! `Link: <…>; rel="next"` whose opaque `after` cursor continues exactly where the page ended,
//! and an answer with no new records carries the same cursor again. The cursor follows the
//! order records reached the log, not their `published` time, so a record that arrives late
//! with an earlier time is still delivered once. Records are added with
//! [`crate::sandbox::Sandbox::add_okta_logs`]; a record added twice is served twice, as a
//! vendor's duplicate delivery would be.

use serde_json::{Value, json};

use super::{Inner, RecordedRequest, Resp};

fn okta_error(status: u16, code: &str, summary: &str) -> Resp {
    Resp::json(
        status,
        json!({"errorCode": code, "errorSummary": summary, "errorLink": code, "errorId": "sandbox", "errorCauses": []}),
    )
}

/// The cursor after the record at position `n` of the log.
fn cursor(n: usize) -> String {
    format!("1{n:012}_sbx")
}

fn parse_cursor(s: &str) -> Option<usize> {
    s.strip_suffix("_sbx")?.strip_prefix('1')?.parse().ok()
}

/// `GET /okta/api/v1/logs`.
pub(super) fn okta_logs(sb: &Inner, req: &RecordedRequest) -> Resp {
    if req.method != "GET" {
        return okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method");
    }
    let limit = match req.query_param("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return okta_error(400, "E0000001", "Api validation failed: limit"),
        },
    };
    if req.query_param("sortOrder").is_some_and(|o| o != "ASCENDING") {
        return okta_error(400, "E0000001", "Api validation failed: sortOrder (polling requires ASCENDING)");
    }
    let since = match req.query_param("since") {
        None => None,
        Some(s) => match chrono::DateTime::parse_from_rfc3339(&s) {
            Ok(t) => Some(t.timestamp_millis()),
            Err(_) => {
                return okta_error(
                    400,
                    "E0000030",
                    "Bad request. Invalid date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00.",
                );
            }
        },
    };
    let after = match req.query_param("after") {
        None => None,
        Some(a) => match parse_cursor(&a) {
            Some(n) => Some(n),
            None => return okta_error(400, "E0000001", "Api validation failed: after"),
        },
    };
    let st = sb.state();
    let published = |v: &Value| {
        v.get("published")
            .and_then(Value::as_str)
            .and_then(|p| chrono::DateTime::parse_from_rfc3339(p).ok())
            .map(|t| t.timestamp_millis())
    };
    let start = after.map_or(0, |a| a + 1);
    let mut page = Vec::new();
    let mut last = after;
    for (i, v) in st.okta_logs.iter().enumerate().skip(start) {
        if page.len() == limit {
            break;
        }
        // `since` bounds only the first request; the cursor carries on from there.
        if after.is_none() && since.is_some_and(|s| published(v).is_none_or(|p| p < s)) {
            continue;
        }
        page.push(v.clone());
        last = Some(i);
    }
    let base = format!("{}/okta/api/v1/logs", sb.base);
    let next = match last {
        Some(n) => format!("{base}?limit={limit}&sortOrder=ASCENDING&after={}", cursor(n)),
        None => match req.query_param("since") {
            Some(s) => format!("{base}?limit={limit}&sortOrder=ASCENDING&since={}", crate::util::encode(&s)),
            None => format!("{base}?limit={limit}&sortOrder=ASCENDING"),
        },
    };
    let this = if req.query.is_empty() { base.clone() } else { format!("{base}?{}", req.query) };
    Resp::json(200, Value::Array(page))
        .with_header("Link", format!("<{this}>; rel=\"self\""))
        .with_header("Link", format!("<{next}>; rel=\"next\""))
        .with_header("X-Rate-Limit-Limit", "120")
        .with_header("X-Rate-Limit-Remaining", "119")
        .with_header("X-Rate-Limit-Reset", (chrono::Utc::now().timestamp() + 60).to_string())
}

fn gh_error(status: u16, message: &str) -> Resp {
    Resp::json(
        status,
        json!({"message": message, "documentation_url": "https://docs.github.com/rest/orgs/orgs#get-the-audit-log-for-an-organization", "status": status.to_string()}),
    )
}

/// `GET /github/orgs/{org}/audit-log` (authentication, `User-Agent` and API version already
/// checked by the GitHub stand-in): GitHub's audit log for an organization. `phrase` may hold
/// `created:>=…` (a date or a date-time); `order` is `asc` or `desc` (GitHub's default);
/// `per_page` 1–100 (default 30); the `after` cursor continues a listing. As GitHub does, the last
/// page carries no `next` link: a poller continues from the time of the newest record it read.
/// The `next` link names the organization by number and carries only `after` and `before`; the
/// other parameters are the caller's to send again.
pub(super) fn github_audit(sb: &Inner, req: &RecordedRequest, org: &str) -> Resp {
    let st = sb.state();
    if org != "acme" {
        return gh_error(404, "Not Found");
    }
    let per_page = match req.query_param("per_page") {
        None => 30,
        Some(p) => match p.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => return gh_error(422, "Invalid per_page"),
        },
    };
    let asc = match req.query_param("order").as_deref() {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(_) => return gh_error(422, "Invalid order"),
    };
    let mut since = None;
    if let Some(phrase) = req.query_param("phrase") {
        for term in phrase.split_whitespace() {
            let Some(t) = term.strip_prefix("created:>=") else {
                return gh_error(422, &format!("Unsupported search qualifier: {term}"));
            };
            let ms = chrono::DateTime::parse_from_rfc3339(t)
                .map(|d| d.timestamp_millis())
                .or_else(|_| {
                    chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
                        .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc().timestamp_millis())
                })
                .ok();
            let Some(ms) = ms else { return gh_error(422, &format!("Invalid date: {t}")) };
            since = Some(ms);
        }
    }
    let after = match req.query_param("after") {
        None => None,
        Some(a) => match a.strip_prefix("sbx").and_then(|n| n.parse::<usize>().ok()) {
            Some(n) => Some(n),
            None => return gh_error(422, "Invalid cursor"),
        },
    };
    // Positions in listing order that match the phrase.
    let stamp = |v: &Value| v.get("@timestamp").and_then(Value::as_i64);
    let mut order: Vec<usize> = (0..st.github_audit.len())
        .filter(|&i| since.is_none_or(|s| stamp(&st.github_audit[i]).is_some_and(|t| t >= s)))
        .collect();
    if asc {
        order.sort_by_key(|&i| (stamp(&st.github_audit[i]).unwrap_or(0), i));
    } else {
        order.sort_by_key(|&i| std::cmp::Reverse((stamp(&st.github_audit[i]).unwrap_or(0), i)));
    }
    let start = after.map_or(0, |a| a + 1);
    let page: Vec<Value> = order.iter().skip(start).take(per_page).map(|&i| st.github_audit[i].clone()).collect();
    let end = start + page.len();
    let mut resp = Resp::json(200, Value::Array(page));
    if end < order.len() {
        // As GitHub writes it: the organization's numeric path, and only the cursors.
        resp = resp.with_header(
            "Link",
            format!("<{}/github/organizations/4242/audit-log?after=sbx{}&before=>; rel=\"next\"", sb.base, end - 1),
        );
    }
    resp.with_header("x-ratelimit-limit", "1750").with_header("x-ratelimit-remaining", "1749")
}
