//! The vendors' read APIs for their logs, as the live pollers read them: Okta's System Log
//! (`GET /okta/api/v1/logs`), GitHub's organization audit log
//! (`GET /github/orgs/{org}/audit-log`) and CrowdStrike Falcon's Alerts API
//! (`GET /crowdstrike/alerts/queries/alerts/v2`, `POST /crowdstrike/alerts/entities/alerts/v2`).
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

use super::{Api, Inner, RecordedRequest, Resp, api_error, crowdstrike_meta};

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

/// The most alert ids one query answers (Falcon's `/v2` with `after`).
const CS_QUERY_MAX: usize = 10_000;
/// The most composite ids one details request may name.
const CS_DETAILS_MAX: usize = 1000;

fn cs_error(status: u16, message: &str) -> Resp {
    api_error(Api::CrowdStrike, status, "", message)
}

/// An alert's `updated_timestamp` (epoch ms), and its `composite_id`: its place in the listing.
fn cs_key(v: &Value) -> (i64, String) {
    let at = v
        .get("updated_timestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map_or(0, |t| t.timestamp_millis());
    (at, v.get("composite_id").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// The opaque `after` token: the key of the last alert answered (the listing continues after
/// it, as a search-after cursor does), base64 as Falcon's are.
fn cs_after(key: &(i64, String)) -> String {
    crate::util::base64_encode(json!({"version": "v1", "ts": key.0, "id": key.1}).to_string().as_bytes())
}

fn cs_parse_after(token: &str) -> Option<(i64, String)> {
    let v: Value = serde_json::from_slice(&crate::util::base64_decode(token)?).ok()?;
    Some((v.get("ts")?.as_i64()?, v.get("id")?.as_str()?.to_string()))
}

/// `GET /crowdstrike/alerts/queries/alerts/v2` (the bearer token already checked): the composite
/// ids of the alerts matching `filter`, in `sort` order, `limit` (1–10000, default 100) at a
/// time. Of FQL only `updated_timestamp:>='<RFC 3339>'` is understood; anything else is a 400 in
/// Falcon's error shape. `sort` is `updated_timestamp.asc` (the default here) or `.desc` (`|` for
/// `.` too). `meta.pagination.after` continues the listing after the page's last alert, and is
/// empty on the last page; an alert updated meanwhile moves to its new place, so a listing read
/// oldest first reads it again later.
pub(super) fn crowdstrike_alert_ids(sb: &Inner, req: &RecordedRequest) -> Resp {
    let limit = match req.query_param("limit") {
        None => 100,
        Some(l) => match l.parse::<usize>() {
            Ok(n) if (1..=CS_QUERY_MAX).contains(&n) => n,
            _ => return cs_error(400, &format!("limit must be between 1 and {CS_QUERY_MAX}")),
        },
    };
    let desc = match req.query_param("sort").as_deref() {
        None | Some("updated_timestamp.asc" | "updated_timestamp|asc") => false,
        Some("updated_timestamp.desc" | "updated_timestamp|desc") => true,
        Some(other) => return cs_error(400, &format!("Invalid sort: {other}")),
    };
    let since = match req.query_param("filter") {
        None => None,
        Some(f) => {
            let t = f
                .strip_prefix("updated_timestamp:>='")
                .and_then(|r| r.strip_suffix('\''))
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            match t {
                Some(t) => Some(t.timestamp_millis()),
                None => return cs_error(400, &format!("Invalid filter: {f}")),
            }
        }
    };
    let after = match req.query_param("after") {
        None => None,
        Some(a) if a.is_empty() => None,
        Some(a) => match cs_parse_after(&a) {
            Some(k) => Some(k),
            None => return cs_error(400, "Invalid after token, or it has expired"),
        },
    };
    let st = sb.state();
    let mut keys: Vec<(i64, String)> =
        st.crowdstrike_alerts.iter().map(cs_key).filter(|(t, _)| since.is_none_or(|s| *t >= s)).collect();
    keys.sort();
    if desc {
        keys.reverse();
    }
    let total = keys.len();
    let rest: Vec<(i64, String)> = keys
        .into_iter()
        .filter(|k| match &after {
            None => true,
            Some(a) if desc => k < a,
            Some(a) => k > a,
        })
        .collect();
    let page: Vec<&(i64, String)> = rest.iter().take(limit).collect();
    let next = match page.last() {
        Some(last) if rest.len() > page.len() => cs_after(last),
        _ => String::new(),
    };
    let mut meta = crowdstrike_meta();
    meta["pagination"] = json!({
        "total": total,
        "limit": limit,
        "after": next,
        "expires_at": chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() + 120_000_000_000,
    });
    let ids: Vec<&str> = page.iter().map(|(_, id)| id.as_str()).collect();
    Resp::json(200, json!({ "meta": meta, "resources": ids, "errors": [] }))
        .with_header("X-RateLimit-Limit", "6000")
        .with_header("X-RateLimit-Remaining", "5999")
}

/// `POST /crowdstrike/alerts/entities/alerts/v2` (the bearer token already checked): the alerts
/// named by `composite_ids` (1–1000), in no particular order; an id Falcon does not know is
/// simply absent.
pub(super) fn crowdstrike_alerts(sb: &Inner, req: &RecordedRequest) -> Resp {
    if !req.content_type_is("application/json") {
        return cs_error(415, "Unsupported Media Type");
    }
    let ids: Vec<String> = match req.json().and_then(|b| b.get("composite_ids").cloned()) {
        Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        _ => return cs_error(400, "composite_ids are required in the request body"),
    };
    if ids.len() > CS_DETAILS_MAX {
        return cs_error(400, &format!("at most {CS_DETAILS_MAX} composite_ids may be requested at once"));
    }
    let wanted: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
    let st = sb.state();
    // The stored order, not the order asked for: callers put them back in their own order.
    let found: Vec<Value> = st
        .crowdstrike_alerts
        .iter()
        .filter(|a| a.get("composite_id").and_then(Value::as_str).is_some_and(|id| wanted.contains(id)))
        .cloned()
        .collect();
    Resp::json(200, json!({ "meta": crowdstrike_meta(), "resources": found, "errors": [] }))
        .with_header("X-RateLimit-Limit", "6000")
        .with_header("X-RateLimit-Remaining", "5998")
}
