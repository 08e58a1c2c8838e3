//! The CrowdStrike Falcon alerts poller: Falcon's Alerts API, read-only, with an OAuth2
//! client-credentials token (`base` is the API host of the customer's cloud:
//! `https://api.crowdstrike.com`, `https://api.us-2.crowdstrike.com`,
//! `https://api.eu-1.crowdstrike.com`).
//!
//! Each page takes a token (`POST {base}/oauth2/token` with the API client's id and secret: one
//! per page, since this crate keeps no secret longer than a request and a token is one), the
//! composite ids of the alerts updated since the cursor's time, oldest first
//! (`GET {base}/alerts/queries/alerts/v2?filter=updated_timestamp:>='…'&sort=updated_timestamp.asc&limit=…`,
//! and `after=` to continue a listing), then the alerts themselves (`POST
//! {base}/alerts/entities/alerts/v2` with `{"composite_ids": […]}`, at most [`DETAILS_MAX`] a
//! request), one JSON alert per line in the order of the ids. An API call answered 401 (the
//! token expired) fetches a new token once and is sent again.
//!
//! The cursor (`since=…&newest=…&after=…`, epoch milliseconds and Falcon's opaque token, all of
//! it ours: Falcon sees only the filter and the token) keeps the listing's filter time and, while
//! Falcon answers an `after` token, that token, so the next request continues exactly where the
//! page ended. At the end of a listing the poll after it asks again from [`crate::OVERLAP_MS`] before
//! the newest `updated_timestamp` read (as the GitHub poller does, and for the same reason):
//! alerts Falcon indexes late, with an earlier time, are still read, and the ones read already
//! are identical records, which the ingest dedupe removes (the event id hashes the record as
//! written). An alert updated later has a new `updated_timestamp`, so it is read again as a new
//! version. The newest time read travels in the cursor, capped at a few minutes past now so one
//! alert stamped in the future cannot carry the cursor past everything; the filter time never
//! goes back. A kept `after` token Falcon no longer takes (they expire) is answered 400: the
//! listing starts again from the cursor's filter time, which repeats records but loses none.
//!
//! Rate limits: a 429 waits until `X-RateLimit-RetryAfter` (epoch seconds, by Falcon's clock: a
//! second is added for skew, and a reset already past waits one second) within the policy's
//! longest wait; `X-RateLimit-Remaining` is logged when it runs low. Errors: Falcon's
//! `errors[].message` is named; 401 and 403 say the API client needs the `Alerts: Read` scope
//! (and nothing else).

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_connectors::util::{decode, encode};
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{CollectError, Connection, FUTURE_SKEW_MS, OVERLAP_MS, Page, RetryPolicy};

const VENDOR: &str = "CrowdStrike";
const TOKEN_PATH: &str = "/oauth2/token";
const QUERY_PATH: &str = "/alerts/queries/alerts/v2";
const DETAILS_PATH: &str = "/alerts/entities/alerts/v2";

/// The most composite ids one details request names (Falcon's limit).
pub const DETAILS_MAX: usize = 1000;
/// The most ids one query answer may hold (Falcon's `/v2` limit with `after`).
const QUERY_MAX: usize = 10_000;
/// The longest `after` token kept.
const MAX_AFTER_LEN: usize = 4096;
/// The latest time a cursor may name at all (the end of year 9999).
const MAX_MS: i64 = 253_402_300_799_999;

const TOKEN_HINT: &str = "the API client's id or secret is wrong, or the client was deleted or its secret reset (or the base URL is another Falcon cloud's); use an API client with only the Alerts: Read scope";
const EXPIRED_HINT: &str = "Falcon refused a freshly issued token too: the API client may have been deleted or its secret reset; it needs the Alerts: Read scope (and nothing else)";
const SCOPE_HINT: &str = "the API client may not read alerts: give it the Alerts: Read scope (and nothing else)";

/// Where the next request starts.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cursor {
    /// The filter time (`updated_timestamp:>=`), epoch ms.
    since_ms: i64,
    /// Falcon's token continuing the listing of `since_ms`, while it has more.
    after: Option<String>,
    /// The newest `updated_timestamp` read so far, epoch ms.
    newest_ms: Option<i64>,
}

fn millis(v: &str) -> Option<i64> {
    if v.is_empty() || v.len() > 15 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok().filter(|n| *n <= MAX_MS)
}

/// Whether an `after` token is one we send on: printable ASCII without spaces, within 4 KiB.
fn after_ok(t: &str) -> bool {
    !t.is_empty() && t.len() <= MAX_AFTER_LEN && t.bytes().all(|b| b.is_ascii_graphic())
}

impl Cursor {
    /// A kept cursor, checked: known parts once each, times not past now by more than a little.
    fn parse(s: &str, now_ms: i64) -> Result<Cursor, CollectError> {
        let bad =
            |why: &str| CollectError::Config(format!("the kept cursor is not a CrowdStrike alerts cursor ({why})"));
        if s.len() > 3 * MAX_AFTER_LEN + 64 {
            return Err(bad("too long"));
        }
        let (mut since, mut after, mut newest) = (None, None, None);
        for part in s.split('&') {
            let (k, v) = part.split_once('=').ok_or_else(|| bad("a part without ="))?;
            match k {
                "since" if since.is_none() => since = Some(millis(v).ok_or_else(|| bad("since is not a time"))?),
                "newest" if newest.is_none() => newest = Some(millis(v).ok_or_else(|| bad("newest is not a time"))?),
                "after" if after.is_none() => {
                    let t = decode(v, false);
                    if !after_ok(&t) {
                        return Err(bad("after is not a Falcon token"));
                    }
                    after = Some(t);
                }
                _ => return Err(bad("an unknown or repeated part")),
            }
        }
        let since_ms = since.ok_or_else(|| bad("no since"))?;
        let latest = now_ms.saturating_add(FUTURE_SKEW_MS);
        if since_ms > latest || newest.is_some_and(|n| n > latest) {
            return Err(bad("a time in the future"));
        }
        Ok(Cursor { since_ms, after, newest_ms: newest })
    }

    fn render(&self) -> String {
        let mut s = format!("since={}", self.since_ms);
        if let Some(n) = self.newest_ms {
            s.push_str(&format!("&newest={n}"));
        }
        if let Some(a) = &self.after {
            s.push_str(&format!("&after={}", encode(a)));
        }
        s
    }
}

/// The alert ids query of a cursor.
fn query_url(conn: &Connection, cur: &Cursor) -> String {
    let since = chrono::DateTime::from_timestamp_millis(cur.since_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut url = format!(
        "{}{QUERY_PATH}?filter={}&sort=updated_timestamp.asc&limit={}",
        conn.base_url,
        encode(&format!("updated_timestamp:>='{since}'")),
        conn.page_limit
    );
    if let Some(a) = &cur.after {
        url.push_str(&format!("&after={}", encode(a)));
    }
    url
}

/// How long a 429 asks to wait, from `X-RateLimit-RetryAfter` (epoch seconds).
fn reset_wait(resp: &HttpResponse) -> Option<Duration> {
    let reset: i64 = resp.header("X-RateLimit-RetryAfter")?.trim().parse().ok()?;
    let now = chrono::Utc::now().timestamp();
    Some(Duration::from_secs(reset.saturating_sub(now).saturating_add(1).max(1) as u64))
}

/// Falcon's `errors[].message` (a few of them) in words, or nothing when there are none.
fn detail(resp: &HttpResponse) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else { return String::new() };
    errors_of(&v).map(|e| format!(": {e}")).unwrap_or_default()
}

fn errors_of(body: &Value) -> Option<String> {
    let errors = body.get("errors")?.as_array()?;
    let parts: Vec<String> = errors
        .iter()
        .take(3)
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .map(|m| m.chars().filter(|c| !c.is_control()).take(200).collect())
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn bad(why: impl Into<String>) -> CollectError {
    CollectError::BadResponse { vendor: VENDOR, why: why.into() }
}

fn json_body(resp: &HttpResponse) -> Result<Value, CollectError> {
    let v: Value = serde_json::from_slice(&resp.body).map_err(|e| bad(format!("the body is not JSON ({e})")))?;
    if !v.is_object() {
        return Err(bad("the body is not a JSON object"));
    }
    Ok(v)
}

/// An API call's refusal in words.
fn refused(resp: &HttpResponse) -> CollectError {
    match resp.status {
        401 => CollectError::Auth { vendor: VENDOR, status: 401, detail: detail(resp), hint: EXPIRED_HINT },
        403 => CollectError::Auth { vendor: VENDOR, status: 403, detail: detail(resp), hint: SCOPE_HINT },
        s => CollectError::Vendor { vendor: VENDOR, status: s, detail: detail(resp) },
    }
}

/// The requests of one page: the token, and what they took.
struct Session<'a> {
    conn: &'a Connection,
    client_id: &'a str,
    client_secret: &'a str,
    transport: &'a dyn Transport,
    policy: &'a RetryPolicy,
    token: String,
    refreshed: bool,
    attempts: u32,
    waited: Duration,
}

impl Session<'_> {
    fn exchange(&mut self, req: &HttpRequest) -> Result<HttpResponse, CollectError> {
        let (resp, n, w) = crate::exchange(VENDOR, self.transport, self.policy, req, &reset_wait, &|_| false)?;
        self.attempts += n;
        self.waited += w;
        if let Some(left) = resp.header("X-RateLimit-Remaining").and_then(|r| r.trim().parse::<u64>().ok())
            && left < 50
        {
            tracing::info!(vendor = VENDOR, left, "few requests left in the rate limit");
        }
        Ok(resp)
    }

    fn fetch_token(&mut self) -> Result<(), CollectError> {
        let req = HttpRequest::new("POST", format!("{}{TOKEN_PATH}", self.conn.base_url))
            .with_header("Accept", "application/json")
            .with_form(&[("client_id", self.client_id), ("client_secret", self.client_secret)]);
        let resp = self.exchange(&req)?;
        match resp.status {
            200 | 201 => {}
            s @ (401 | 403) => {
                return Err(CollectError::Auth { vendor: VENDOR, status: s, detail: detail(&resp), hint: TOKEN_HINT });
            }
            s => return Err(CollectError::Vendor { vendor: VENDOR, status: s, detail: detail(&resp) }),
        }
        let body = json_body(&resp)?;
        let token = crate::token_of(&body).ok_or_else(|| bad("the token answer has no access_token"))?;
        self.token = token.to_string();
        Ok(())
    }

    /// Sends what `build` makes with the token; a 401 (the token expired) fetches a new token
    /// once and sends it again.
    fn send(&mut self, build: &dyn Fn(&str) -> HttpRequest) -> Result<HttpResponse, CollectError> {
        loop {
            let resp = self.exchange(&build(&self.token))?;
            if resp.status == 401 && !self.refreshed {
                tracing::info!(vendor = VENDOR, "the token was refused (expired?); fetching a new one");
                self.refreshed = true;
                self.fetch_token()?;
                continue;
            }
            return Ok(resp);
        }
    }
}

fn bearer(method: &str, url: &str, token: &str) -> HttpRequest {
    HttpRequest::new(method, url)
        .with_header("Authorization", format!("Bearer {token}"))
        .with_header("Accept", "application/json")
}

/// The composite ids of a query answer and its `after` token (none on the last page).
fn read_ids(body: &Value) -> Result<(Vec<String>, Option<String>), CollectError> {
    let ids = match body.get("resources") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => {
            if a.len() > QUERY_MAX {
                return Err(bad(format!("{} alert ids in one answer (at most {QUERY_MAX})", a.len())));
            }
            a.iter()
                .map(|v| {
                    v.as_str()
                        .filter(|s| !s.is_empty() && s.len() <= 512 && !s.chars().any(char::is_control))
                        .map(str::to_string)
                        .ok_or_else(|| bad("an alert id that is not a composite id"))
                })
                .collect::<Result<_, _>>()?
        }
        Some(_) => return Err(bad("resources is not a list of alert ids")),
    };
    let after = match body.pointer("/meta/pagination/after") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) if after_ok(s) => Some(s.clone()),
        Some(_) => return Err(bad("meta.pagination.after is not a token")),
    };
    Ok((ids, after))
}

/// An alert's `updated_timestamp`, epoch ms.
fn updated_ms(alert: &Value) -> Option<i64> {
    alert
        .get("updated_timestamp")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

pub(crate) fn next_page(
    conn: &Connection,
    client_id: &str,
    client_secret: &str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let mut cur = match cursor {
        Some(c) => Cursor::parse(c, now_ms)?,
        None => Cursor {
            since_ms: now_ms.saturating_sub(i64::from(conn.backfill_days) * 86_400_000).clamp(0, MAX_MS),
            after: None,
            newest_ms: None,
        },
    };
    let mut s = Session {
        conn,
        client_id,
        client_secret,
        transport,
        policy,
        token: String::new(),
        refreshed: false,
        attempts: 0,
        waited: Duration::ZERO,
    };
    s.fetch_token()?;
    let url = query_url(conn, &cur);
    let mut resp = s.send(&|t| bearer("GET", &url, t))?;
    if resp.status == 400 && cur.after.is_some() {
        // Falcon's `after` tokens expire: start the listing again from its filter time.
        tracing::warn!(vendor = VENDOR, "the kept after token was refused; reading again from the cursor's time");
        cur.after = None;
        let url = query_url(conn, &cur);
        resp = s.send(&|t| bearer("GET", &url, t))?;
    }
    if resp.status != 200 {
        return Err(refused(&resp));
    }
    let body = json_body(&resp)?;
    let (ids, after) = read_ids(&body)?;
    if ids.is_empty()
        && let Some(e) = errors_of(&body)
    {
        return Err(CollectError::Vendor { vendor: VENDOR, status: 200, detail: format!(": {e}") });
    }
    // The alerts, at most DETAILS_MAX a request.
    let mut alerts: HashMap<String, Value> = HashMap::new();
    let details = format!("{}{DETAILS_PATH}", conn.base_url);
    for chunk in ids.chunks(DETAILS_MAX) {
        let ask = json!({ "composite_ids": chunk });
        let resp = s.send(&|t| bearer("POST", &details, t).with_json(&ask))?;
        if resp.status != 200 {
            return Err(refused(&resp));
        }
        let body = json_body(&resp)?;
        let found = match body.get("resources") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(a)) => a.as_slice(),
            Some(_) => return Err(bad("resources is not a list of alerts")),
        };
        for alert in found {
            let id = alert
                .get("composite_id")
                .and_then(Value::as_str)
                .ok_or_else(|| bad("an alert without a composite_id"))?;
            alerts.insert(id.to_string(), alert.clone());
        }
    }
    let mut lines = String::new();
    let mut records = 0;
    let mut newest_ms = None;
    let mut missing = 0usize;
    for id in &ids {
        let Some(alert) = alerts.remove(id) else {
            missing += 1;
            continue;
        };
        lines.push_str(&alert.to_string());
        lines.push('\n');
        records += 1;
        newest_ms = newest_ms.max(updated_ms(&alert));
    }
    if missing > 0 {
        tracing::warn!(vendor = VENDOR, missing, "alerts listed but not answered (deleted meanwhile?)");
    }
    // The newest time read, never further than a little past now.
    let newest_ms = crate::newest_believed(newest_ms, now_ms);
    let newest_all = cur.newest_ms.max(newest_ms);
    let (next, more) = match after {
        Some(a) if !ids.is_empty() => (Cursor { since_ms: cur.since_ms, after: Some(a), newest_ms: newest_all }, true),
        // The end for now: ask again from a while before the newest alert read.
        _ => {
            let since_ms = newest_all.map_or(cur.since_ms, |t| cur.since_ms.max(t.saturating_sub(OVERLAP_MS)));
            (Cursor { since_ms, after: None, newest_ms: newest_all }, false)
        }
    };
    Ok(Page { lines, records, cursor: next.render(), newest_ms, more, attempts: s.attempts, waited: s.waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn() -> Connection {
        let mut c = Connection::new(
            "falcon",
            crate::Kind::CrowdStrikeAlerts,
            "https://api.us-2.crowdstrike.com",
            "crowdstrike",
            None,
        )
        .unwrap();
        c.page_limit = 500;
        c
    }

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_kind_is_named_scoped_and_bounded() {
        let k = crate::Kind::CrowdStrikeAlerts;
        for alias in ["crowdstrike-alerts", "crowdstrike", "Falcon "] {
            assert_eq!(crate::Kind::parse(alias), Some(k), "{alias}");
        }
        assert_eq!(
            (k.name(), k.format(), k.retention_days(), k.max_page_limit()),
            ("crowdstrike-alerts", "crowdstrike", 90, 1000)
        );
        assert!(k.minimum_scope().contains("Alerts: Read"));
        assert!(crate::Kind::ALL.contains(&k));
        let mut c = conn();
        c.page_limit = 1001;
        assert!(c.validate().unwrap_err().to_string().contains("1 to 1000"));
        c.page_limit = 1000;
        c.backfill_days = 91;
        assert!(c.validate().unwrap_err().to_string().contains("1 to 90"));
    }

    #[test]
    fn cursors_round_trip_and_are_checked() {
        let now = 1_700_000_000_000;
        let c = Cursor { since_ms: 1_699_000_000_000, after: Some("eyJ0cyI6MX0=+/".into()), newest_ms: Some(now) };
        let text = c.render();
        assert_eq!(text, "since=1699000000000&newest=1700000000000&after=eyJ0cyI6MX0%3D%2B%2F");
        assert!(crate::query_ok(&text));
        assert_eq!(Cursor::parse(&text, now).unwrap(), c);
        let plain = Cursor { since_ms: 5, after: None, newest_ms: None };
        assert_eq!(Cursor::parse(&plain.render(), now).unwrap(), plain);
        for (hostile, why) in [
            ("", "without ="),
            ("since=", "since is not a time"),
            ("since=-5", "since is not a time"),
            ("since=99999999999999999999", "since is not a time"),
            ("since=1&since=2", "repeated"),
            ("since=1&evil=2", "unknown"),
            ("newest=1", "no since"),
            ("since=1&after=", "not a Falcon token"),
            ("since=1&after=a%20b", "not a Falcon token"),
            ("since=1&after=a%00b", "not a Falcon token"),
            ("since=1800000000000", "future"),
            ("since=1&newest=1800000000000", "future"),
        ] {
            let e = Cursor::parse(hostile, now).unwrap_err().to_string();
            assert!(e.contains(why), "{hostile:?}: {e}");
        }
    }

    #[test]
    fn the_query_filters_on_the_update_time_oldest_first() {
        let c = conn();
        let cur = Cursor { since_ms: 1_700_000_000_000, after: None, newest_ms: None };
        assert_eq!(
            query_url(&c, &cur),
            "https://api.us-2.crowdstrike.com/alerts/queries/alerts/v2?filter=updated_timestamp%3A%3E%3D%272023-11-14T22%3A13%3A20.000Z%27&sort=updated_timestamp.asc&limit=500"
        );
        let cur = Cursor { after: Some("eyJ=".into()), ..cur };
        assert!(query_url(&c, &cur).ends_with("&limit=500&after=eyJ%3D"));
    }

    #[test]
    fn ids_and_tokens_of_a_query_answer() {
        let body = json!({"meta": {"pagination": {"total": 3, "limit": 2, "after": "tok=="}}, "resources": ["a:ind:1", "a:ind:2"], "errors": []});
        assert_eq!(
            read_ids(&body).unwrap(),
            (vec!["a:ind:1".to_string(), "a:ind:2".to_string()], Some("tok==".into()))
        );
        let last = json!({"meta": {"pagination": {"total": 3, "limit": 2, "after": ""}}, "resources": ["a:ind:3"]});
        assert_eq!(read_ids(&last).unwrap().1, None);
        assert_eq!(read_ids(&json!({"resources": null})).unwrap(), (vec![], None));
        for hostile in [
            json!({"resources": [1]}),
            json!({"resources": "x"}),
            json!({"resources": ["a\u{0}b"]}),
            json!({"resources": [], "meta": {"pagination": {"after": 7}}}),
            json!({"resources": [], "meta": {"pagination": {"after": "a b"}}}),
        ] {
            assert!(read_ids(&hostile).is_err(), "{hostile}");
        }
    }

    #[test]
    fn falcons_errors_and_rate_limit_headers() {
        let r =
            resp(403, &[], r#"{"meta":{},"errors":[{"code":403,"message":"access denied, authorization failed"}]}"#);
        let e = refused(&r).to_string();
        assert!(e.contains("HTTP 403: access denied, authorization failed") && e.contains("Alerts: Read"), "{e}");
        assert!(refused(&resp(500, &[], "<html>")).to_string().contains("HTTP 500"));
        assert_eq!(reset_wait(&resp(429, &[("X-RateLimit-RetryAfter", "1000")], "")), Some(Duration::from_secs(1)));
        let soon = (chrono::Utc::now().timestamp() + 5).to_string();
        let w = reset_wait(&resp(429, &[("X-RateLimit-RetryAfter", &soon)], "")).unwrap();
        assert!(w >= Duration::from_secs(5) && w <= Duration::from_secs(7), "{w:?}");
        assert_eq!(reset_wait(&resp(429, &[("X-RateLimit-RetryAfter", "soon")], "")), None);
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::prelude::*;
    use vigil_connectors::ConnectorError;

    /// Answers the token request properly and everything else with what the test gives.
    struct Scripted {
        query: HttpResponse,
        details: HttpResponse,
    }

    impl Transport for Scripted {
        fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
            if req.url.contains(TOKEN_PATH) {
                return Ok(HttpResponse {
                    status: 201,
                    headers: Vec::new(),
                    body: br#"{"access_token":"t","expires_in":1799,"token_type":"bearer"}"#.to_vec(),
                });
            }
            Ok(if req.url.contains(QUERY_PATH) { self.query.clone() } else { self.details.clone() })
        }

        fn sleep(&self, _: Duration) {}
    }

    fn body() -> impl Strategy<Value = String> {
        prop_oneof![
            ".{0,100}",
            proptest::collection::vec("[a-z:0-9]{0,12}", 0..4).prop_map(|ids| {
                json!({"meta": {"pagination": {"after": ids.first().cloned().unwrap_or_default()}}, "resources": ids})
                    .to_string()
            }),
            proptest::collection::vec(("[a-z:0-9]{0,6}", ".{0,30}"), 0..4).prop_map(|alerts| {
                let resources: Vec<Value> =
                    alerts.into_iter().map(|(id, t)| json!({"composite_id": id, "updated_timestamp": t})).collect();
                json!({"resources": resources}).to_string()
            }),
        ]
    }

    proptest! {
        /// Any cursor read back: an error or a cursor, never a panic; one taken is rendered back
        /// the same.
        #[test]
        fn kept_cursors_never_panic(c in ".{0,120}", after in "[ -~]{0,40}") {
            let now = 1_700_000_000_000;
            for text in [c.clone(), format!("since=1&after={after}"), format!("since={c}")] {
                if let Ok(cur) = Cursor::parse(&text, now) {
                    prop_assert_eq!(Cursor::parse(&cur.render(), now).ok(), Some(cur));
                }
            }
        }

        /// Any answers from Falcon: reading them never panics, and a page's cursor reads back.
        #[test]
        fn answers_never_panic(q in body(), d in body(), qs in prop_oneof![Just(200u16), 400u16..600], ds in prop_oneof![Just(200u16), 400u16..600]) {
            let t = Scripted {
                query: HttpResponse { status: qs, headers: Vec::new(), body: q.into_bytes() },
                details: HttpResponse { status: ds, headers: Vec::new(), body: d.into_bytes() },
            };
            let conn = Connection::new("falcon", crate::Kind::CrowdStrikeAlerts, "https://api.crowdstrike.com", "cs", None).unwrap();
            let policy = RetryPolicy { max_attempts: 2, backoff: Duration::ZERO, max_wait: Duration::ZERO };
            let now = 1_700_000_000_000;
            if let Ok(p) = next_page(&conn, "id", "secret", &t, &policy, None, now) {
                prop_assert!(Cursor::parse(&p.cursor, now).is_ok());
                prop_assert_eq!(p.lines.lines().count(), p.records);
            }
        }
    }
}
