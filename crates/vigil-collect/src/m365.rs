//! The Microsoft 365 poller: the Office 365 Management Activity API, the unified audit log of a
//! tenant (Entra ID, Exchange, SharePoint and OneDrive, the other workloads, and DLP), read-only.
//!
//! Credentials: the app registration's client credentials (`<secret>_client_id`,
//! `<secret>_client_secret`) are exchanged at the Microsoft identity platform as for the other
//! Microsoft kinds (see [`crate::microsoft`]), with scope `https://manage.office.com/.default`:
//! the token's audience is the Management API, not Graph, so a Graph token is refused there. The
//! registration needs the Office 365 Management APIs application permission `ActivityFeed.Read`
//! (and `ActivityFeed.ReadDlp` to read `DLP.All`), with admin consent. The tenant, in the
//! connection's `org`, must be its id (a GUID): the API names it in its path. The token lives for
//! one page; when the API answers 401 because it has expired, a new one is fetched once.
//!
//! The API (`base` is `https://manage.office.com`; the feed is
//! `{base}/api/v1.0/{tenant}/activity/feed`):
//! - `POST {feed}/subscriptions/start?contentType=X` starts the subscription a content type needs
//!   once. It is sent only when a listing answers `AF20022` (no subscription); an answer of
//!   `AF20024` (already enabled) is as good as 200.
//! - `GET {feed}/subscriptions/content?contentType=X&startTime=..&endTime=..` lists the content
//!   blobs (`contentId`, `contentUri`, `contentCreated`, `contentExpiration`) created in that
//!   window, at most 24 hours long and starting at most 7 days back; more pages follow the
//!   `NextPageUri` response header.
//! - `GET {contentUri}` returns a blob: a JSON array of audit records (`CreationTime`, `Id`,
//!   `Workload`, `Operation`, `RecordType`, `UserId`, `ClientIP` …), one line each here, for the
//!   `m365` decoder. Content is kept 7 days ([`crate::Kind::retention_days`]).
//!
//! `NextPageUri` is followed, and a `contentUri` read, only when it points back at the
//! connection's own origin and the tenant's feed (the token goes with every request); anything
//! else is refused naming the origin.
//!
//! The cursor is Vigil's own (`Audit.Exchange=T.F.F&Audit.SharePoint=T…`): per content type, the
//! time `T` (epoch ms) up to which its content has been listed and read — the `contentCreated`
//! of the newest blob read, or the end of a window that held nothing more — and the fingerprints
//! `F` of the blobs already read whose `contentCreated` lies within [`crate::OVERLAP_MS`] before
//! `T`. Each poll lists each content type from `OVERLAP_MS` before its `T` (the first from the
//! backfill window, never more than 7 days back) up to a minute before now, in windows of at most
//! 24 hours, and reads, oldest first, the blobs not already read until the page holds
//! `page_limit` records. A blob that reaches the listing late with an earlier `contentCreated`
//! (within the overlap) is still read; a blob listed twice, or again in the overlap, is read
//! once; so a restart from a kept cursor neither loses nor repeats a blob. A record Microsoft
//! puts in two blobs is handed on twice, identical, and ingest dedupes it by its content.
//!
//! Rate limits: 429, and 503 with `Retry-After`, wait the seconds it names within the policy;
//! other server errors are retried with back-off and jitter (the crate's shared exchange).
//! Errors: Microsoft's `{"error": {"code", "message"}}` is named; 401 and 403 name the
//! permission `ActivityFeed.Read`; a subscription that cannot be started says so.
//!
//! Must not: keep the token or the secret past the page, send either anywhere but the identity
//! platform and the connection's own origin, start any subscription but the ones read, or write
//! anything else at Microsoft (no webhooks, no subscription stopped).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use vigil_connectors::util::{Url, encode};
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::microsoft::{ClientCredentials, access_token, detail, limited, reset_wait, token_expired};
use crate::{CollectError, Connection, FUTURE_SKEW_MS, OVERLAP_MS, Page, RetryPolicy, origin, query_ok};

const VENDOR: &str = "Office 365 Management Activity API";
/// The API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://manage.office.com";
const SCOPE: &str = "https://manage.office.com/.default";

/// The content types the API serves.
pub const CONTENT_TYPES: &[&str] =
    &["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"];
/// The content types read unless the connection names others (`DLP.All` needs one more
/// permission and holds the matched sensitive data).
pub const DEFAULT_CONTENT_TYPES: &[&str] =
    &["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General"];

const DAY_MS: i64 = 86_400_000;
/// The longest window one listing may ask for.
const WINDOW_MS: i64 = DAY_MS;
/// How far back a listing may start.
const RETENTION_MS: i64 = 7 * DAY_MS;
/// Kept from the 7-day limit, so a window's start is not too old by the time it arrives.
const RETENTION_MARGIN_MS: i64 = 15 * 60_000;
/// Windows end this long before now: content still being written is listed on the next poll.
const DELAY_MS: i64 = 60_000;
/// The most listing pages one window follows in one poll.
const MAX_LIST_PAGES: usize = 50;
/// The most fingerprints a content type keeps.
const MAX_SEEN: usize = 4096;

const UNAUTHORIZED: &str = "the app registration must belong to this tenant (its id in org) and be granted the Office 365 Management APIs application permission ActivityFeed.Read, with admin consent";
const FORBIDDEN: &str = "the app registration needs the Office 365 Management APIs application permission ActivityFeed.Read (and ActivityFeed.ReadDlp to read DLP.All), with admin consent";

/// The content types a connection reads.
pub fn content_types(conn: &Connection) -> Vec<String> {
    match &conn.content_types {
        Some(t) if !t.is_empty() => t.clone(),
        _ => DEFAULT_CONTENT_TYPES.iter().map(|s| s.to_string()).collect(),
    }
}

/// The canonical name of a content type, matched without regard to case.
pub fn content_type(name: &str) -> Option<&'static str> {
    CONTENT_TYPES.iter().copied().find(|t| t.eq_ignore_ascii_case(name.trim()))
}

/// A short fingerprint of a content id (FNV-1a, 64 bits), what the cursor keeps of a read blob.
fn fingerprint(content_id: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in content_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Where one content type's reading stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Mark {
    /// Listed and read up to here (epoch ms).
    t_ms: i64,
    /// Fingerprints of the blobs read within the overlap before `t_ms`.
    seen: BTreeSet<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Cursor(BTreeMap<String, Mark>);

impl Cursor {
    fn parse(s: &str, now_ms: i64) -> Result<Cursor, CollectError> {
        let bad = |why: String| {
            CollectError::Config(format!("the kept cursor is not a Microsoft 365 Management Activity cursor ({why})"))
        };
        if s.len() > CONTENT_TYPES.len() * (MAX_SEEN * 17 + 64) {
            return Err(bad("too long".into()));
        }
        let mut marks = BTreeMap::new();
        for part in s.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = part.split_once('=').ok_or_else(|| bad("a part without =".into()))?;
            let Some(ct) = content_type(k) else { return Err(bad(format!("unknown content type {k:?}"))) };
            let mut pieces = v.split('.');
            let t = pieces.next().unwrap_or_default();
            if t.is_empty() || t.len() > 15 || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(format!("{ct}: not a time")));
            }
            let t_ms: i64 = t.parse().map_err(|_| bad(format!("{ct}: not a time")))?;
            if t_ms > now_ms.saturating_add(FUTURE_SKEW_MS) {
                return Err(bad(format!("{ct}: a time in the future")));
            }
            let mut seen = BTreeSet::new();
            for f in pieces {
                if f.len() != 16 || !f.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                    return Err(bad(format!("{ct}: not a blob fingerprint")));
                }
                seen.insert(f.to_string());
            }
            if seen.len() > MAX_SEEN {
                return Err(bad(format!("{ct}: too many blobs")));
            }
            if marks.insert(ct.to_string(), Mark { t_ms, seen }).is_some() {
                return Err(bad(format!("{ct} twice")));
            }
        }
        Ok(Cursor(marks))
    }

    fn render(&self) -> String {
        self.0
            .iter()
            .map(|(ct, m)| {
                let mut s = format!("{ct}={}", m.t_ms);
                for f in &m.seen {
                    s.push('.');
                    s.push_str(f);
                }
                s
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// One content blob as the listing names it.
#[derive(Debug, Clone)]
struct Blob {
    id: String,
    uri: String,
    created_ms: i64,
}

/// A time as Microsoft writes it: RFC 3339, or without a zone (UTC).
fn parse_time(t: &str) -> Option<i64> {
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(t) {
        return Some(d.timestamp_millis());
    }
    chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|d| d.and_utc().timestamp_millis())
}

/// A window bound as the API takes it (UTC, to the second, no zone).
fn api_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn floor_s(ms: i64) -> i64 {
    ms - ms.rem_euclid(1000)
}

/// Microsoft's error code in a body, when it has one.
fn error_code(resp: &HttpResponse) -> Option<String> {
    let v: Value = serde_json::from_slice(&resp.body).ok()?;
    v.get("error")?.get("code")?.as_str().map(str::to_string)
}

fn bad(why: String) -> CollectError {
    CollectError::BadResponse { vendor: VENDOR, why }
}

/// One page's requests: the token, the feed, the retries and waits.
struct Session<'a> {
    conn: &'a Connection,
    creds: &'a ClientCredentials<'a>,
    transport: &'a dyn Transport,
    policy: &'a RetryPolicy,
    token: String,
    refreshed: bool,
    attempts: u32,
    waited: Duration,
    /// `{base}/api/v1.0/{tenant}/activity/feed`.
    feed: String,
    /// Its path, which links must keep.
    feed_path: String,
}

impl<'a> Session<'a> {
    fn open(
        conn: &'a Connection,
        creds: &'a ClientCredentials<'a>,
        transport: &'a dyn Transport,
        policy: &'a RetryPolicy,
    ) -> Result<Session<'a>, CollectError> {
        let tenant = encode(conn.org.as_deref().unwrap_or_default());
        let feed = format!("{}/api/v1.0/{tenant}/activity/feed", conn.base_url);
        let feed_path = Url::parse(&feed).map(|u| u.path).unwrap_or_default();
        let (token, attempts, waited) = access_token(conn, creds, SCOPE, transport, policy)?;
        Ok(Session { conn, creds, transport, policy, token, refreshed: false, attempts, waited, feed, feed_path })
    }

    /// One request with the token; an expired token is fetched again once per page.
    fn send(&mut self, method: &str, url: &str) -> Result<HttpResponse, CollectError> {
        loop {
            let req = HttpRequest::new(method, url.to_string())
                .with_header("Authorization", format!("Bearer {}", self.token))
                .with_header("Accept", "application/json");
            let (resp, a, w) = crate::exchange(VENDOR, self.transport, self.policy, &req, &reset_wait, &limited)?;
            self.attempts += a;
            self.waited += w;
            if token_expired(&resp) && !self.refreshed {
                self.refreshed = true;
                let (t, a, w) = access_token(self.conn, self.creds, SCOPE, self.transport, self.policy)?;
                self.token = t;
                self.attempts += a;
                self.waited += w;
                continue;
            }
            return Ok(resp);
        }
    }

    /// Whether `link` is on the connection's own origin and in the tenant's feed: at `exact`
    /// below it (a listing) or anywhere below it (a content blob).
    fn own_link(&self, link: &str, what: &str, exact: Option<&str>) -> Result<(), CollectError> {
        if origin(link) != origin(&self.conn.base_url) {
            return Err(bad(format!(
                "the {what} points at another origin ({:?}); it is not followed",
                origin(link).unwrap_or_else(|| link.chars().take(80).collect())
            )));
        }
        let url = Url::parse(link.trim()).ok_or_else(|| bad(format!("the {what} is not a URL")))?;
        let path_ok = match exact {
            Some(p) => url.path.eq_ignore_ascii_case(&format!("{}{p}", self.feed_path)),
            None => {
                url.path.len() > self.feed_path.len() + 1
                    && url.path.to_ascii_lowercase().starts_with(&format!("{}/", self.feed_path.to_ascii_lowercase()))
                    && !url.path.contains("..")
                    && !url.path.to_ascii_lowercase().contains("%2e")
            }
        };
        if !path_ok {
            return Err(bad(format!("the {what} is not in this tenant's activity feed ({})", url.path)));
        }
        if !(url.query.is_empty() || query_ok(&url.query)) || link.contains('#') {
            return Err(bad(format!("the {what}'s query is not one the API sends")));
        }
        Ok(())
    }

    fn auth_error(resp: &HttpResponse) -> Option<CollectError> {
        match resp.status {
            401 => Some(CollectError::Auth { vendor: VENDOR, status: 401, detail: detail(resp), hint: UNAUTHORIZED }),
            403 => Some(CollectError::Auth { vendor: VENDOR, status: 403, detail: detail(resp), hint: FORBIDDEN }),
            _ => None,
        }
    }

    /// Starts the subscription to `ct` (one that is already enabled is fine).
    fn start(&mut self, ct: &str) -> Result<(), CollectError> {
        let url = format!(
            "{}/subscriptions/start?contentType={}&PublisherIdentifier={}",
            self.feed,
            encode(ct),
            self.tenant()
        );
        let resp = self.send("POST", &url)?;
        if resp.status == 200 || resp.status == 201 || error_code(&resp).as_deref() == Some("AF20024") {
            tracing::info!(content_type = ct, "Office 365 Management Activity subscription started");
            return Ok(());
        }
        if let Some(e) = Self::auth_error(&resp) {
            return Err(e);
        }
        Err(CollectError::Vendor {
            vendor: VENDOR,
            status: resp.status,
            detail: format!(
                "{}; the subscription to {ct} could not be started: the app registration needs ActivityFeed.Read{} with admin consent, and the tenant's unified audit log must be turned on",
                detail(&resp),
                if ct == "DLP.All" { " and ActivityFeed.ReadDlp" } else { "" }
            ),
        })
    }

    fn tenant(&self) -> String {
        encode(self.conn.org.as_deref().unwrap_or_default())
    }

    /// The blobs of `ct` created in `[start, end)`, and whether the listing was read to its end.
    fn list(&mut self, ct: &str, start: i64, end: i64) -> Result<(Vec<Blob>, bool), CollectError> {
        let mut url = format!(
            "{}/subscriptions/content?contentType={}&startTime={}&endTime={}&PublisherIdentifier={}",
            self.feed,
            encode(ct),
            encode(&api_time(start)),
            encode(&api_time(end)),
            self.tenant()
        );
        let mut blobs = Vec::new();
        let mut started = false;
        let mut pages = 0;
        while pages < MAX_LIST_PAGES {
            let resp = self.send("GET", &url)?;
            if resp.status == 400 && error_code(&resp).as_deref() == Some("AF20022") {
                if started {
                    return Err(CollectError::Vendor {
                        vendor: VENDOR,
                        status: 400,
                        detail: format!(
                            "{}; the subscription to {ct} was started but the API still has none: check that the tenant's unified audit log is turned on",
                            detail(&resp)
                        ),
                    });
                }
                self.start(ct)?;
                started = true;
                continue;
            }
            if let Some(e) = Self::auth_error(&resp) {
                return Err(e);
            }
            if resp.status != 200 {
                return Err(CollectError::Vendor {
                    vendor: VENDOR,
                    status: resp.status,
                    detail: format!("{} (listing {ct} content)", detail(&resp)),
                });
            }
            pages += 1;
            let body: Value = serde_json::from_slice(&resp.body)
                .map_err(|e| bad(format!("the {ct} content listing is not JSON ({e})")))?;
            let items = body.as_array().ok_or_else(|| bad(format!("the {ct} content listing is not an array")))?;
            for (i, item) in items.iter().enumerate() {
                let field = |name: &str| item.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
                let (Some(id), Some(uri), Some(created)) =
                    (field("contentId"), field("contentUri"), field("contentCreated"))
                else {
                    return Err(bad(format!(
                        "content {i} of the {ct} listing lacks contentId, contentUri or contentCreated"
                    )));
                };
                let created_ms = parse_time(created)
                    .ok_or_else(|| bad(format!("content {i} of the {ct} listing: contentCreated {created:?}")))?;
                self.own_link(uri, "contentUri", None)?;
                blobs.push(Blob { id: id.to_string(), uri: uri.trim().to_string(), created_ms });
            }
            match resp.header("NextPageUri").map(str::trim).filter(|s| !s.is_empty()) {
                Some(next) => {
                    self.own_link(next, "NextPageUri", Some("/subscriptions/content"))?;
                    url = next.to_string();
                }
                None => return Ok((blobs, true)),
            }
        }
        Ok((blobs, false))
    }

    /// The records of one blob.
    fn fetch(&mut self, blob: &Blob) -> Result<Vec<Value>, CollectError> {
        let resp = self.send("GET", &blob.uri)?;
        if let Some(e) = Self::auth_error(&resp) {
            return Err(e);
        }
        if resp.status != 200 {
            return Err(CollectError::Vendor {
                vendor: VENDOR,
                status: resp.status,
                detail: format!("{} (content {})", detail(&resp), blob.id.chars().take(120).collect::<String>()),
            });
        }
        let body: Value = serde_json::from_slice(&resp.body)
            .map_err(|e| bad(format!("content {} is not JSON ({e})", blob.id.chars().take(120).collect::<String>())))?;
        match body {
            Value::Array(records) => Ok(records),
            _ => Err(bad(format!(
                "content {} is not an array of records",
                blob.id.chars().take(120).collect::<String>()
            ))),
        }
    }
}

/// Where one content type's next window starts and ends, by its mark.
fn window(t_ms: i64, now_ms: i64) -> (i64, i64) {
    let oldest = now_ms - RETENTION_MS + RETENTION_MARGIN_MS;
    let start = floor_s((t_ms - OVERLAP_MS).max(oldest));
    let end = floor_s((start + WINDOW_MS).min(now_ms - DELAY_MS));
    (start, end)
}

/// The mark after a window's listing: read up to `t_ms`; fingerprints of what was listed within
/// the overlap before it and read (now or before), and, when the listing was not read to its
/// end, every one kept before.
fn advance(old: &Mark, listed: &[Blob], read: &BTreeSet<String>, t_ms: i64, complete: bool) -> Mark {
    let keep_from = t_ms - OVERLAP_MS;
    let mut seen: BTreeSet<String> = listed
        .iter()
        .filter(|b| b.created_ms >= keep_from)
        .map(|b| fingerprint(&b.id))
        .filter(|f| read.contains(f) || old.seen.contains(f))
        .collect();
    if !complete {
        seen.extend(old.seen.iter().cloned());
    }
    while seen.len() > MAX_SEEN {
        seen.pop_first();
    }
    Mark { t_ms: t_ms.max(old.t_ms), seen }
}

/// The record time `CreationTime` (UTC, often without a zone).
fn record_time(v: &Value) -> Option<i64> {
    v.get("CreationTime").and_then(Value::as_str).and_then(parse_time)
}

pub(crate) fn next_page(
    conn: &Connection,
    creds: &ClientCredentials<'_>,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let types = content_types(conn);
    let mut cur = match cursor {
        Some(c) => Cursor::parse(c, now_ms)?,
        None => Cursor::default(),
    };
    // A content type no longer read is forgotten; one newly named starts from the backfill.
    cur.0.retain(|ct, _| types.iter().any(|t| t == ct));
    let backfill_from = now_ms - i64::from(conn.backfill_days.min(7)) * DAY_MS;
    let mut s = Session::open(conn, creds, transport, policy)?;
    let horizon = floor_s(now_ms - DELAY_MS);
    for (n, ct) in types.iter().enumerate() {
        // At most the windows 7 days hold, then on to the next content type.
        for _ in 0..(RETENTION_MS / (WINDOW_MS - OVERLAP_MS) + 2) {
            let mark =
                cur.0.get(ct).cloned().unwrap_or(Mark { t_ms: backfill_from + OVERLAP_MS, seen: BTreeSet::new() });
            let (start, end) = window(mark.t_ms, now_ms);
            if end <= start {
                break;
            }
            let (listed, complete) = s.list(ct, start, end)?;
            let mut ids = BTreeSet::new();
            let mut unread: Vec<&Blob> = listed
                .iter()
                .filter(|b| !mark.seen.contains(&fingerprint(&b.id)) && ids.insert(b.id.clone()))
                .collect();
            unread.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
            // How far this listing reaches: its end, or (cut short) its newest blob.
            let reach = if complete {
                if end < horizon {
                    end
                } else {
                    listed.iter().map(|b| b.created_ms).max().unwrap_or(mark.t_ms).min(end)
                }
            } else {
                listed.iter().map(|b| b.created_ms).max().unwrap_or(mark.t_ms).min(end)
            };
            if unread.is_empty() {
                let next = advance(&mark, &listed, &BTreeSet::new(), reach, complete);
                let moved = next.t_ms > mark.t_ms;
                cur.0.insert(ct.clone(), next);
                if end < horizon && moved {
                    continue;
                }
                break;
            }
            let mut lines = String::new();
            let (mut records, mut newest) = (0usize, None);
            let mut read = BTreeSet::new();
            let mut last_created = mark.t_ms;
            for blob in &unread {
                if records >= conn.page_limit as usize {
                    break;
                }
                let got = match s.fetch(blob) {
                    Ok(got) => got,
                    // Content Microsoft no longer has (expired, or gone: AF20051, AF20000, 404)
                    // cannot be read by any retry: it is passed over, named in the log, so it
                    // does not hold back this content type and the others behind it.
                    Err(CollectError::Vendor { status, detail, .. })
                        if status == 404
                            || (status == 400 && (detail.contains("AF20051") || detail.contains("AF20000"))) =>
                    {
                        tracing::warn!(vendor = VENDOR, content_type = %ct, "content passed over, Microsoft cannot serve it: HTTP {status}: {detail}");
                        read.insert(fingerprint(&blob.id));
                        last_created = last_created.max(blob.created_ms.min(end));
                        continue;
                    }
                    Err(e) => return Err(e),
                };
                for r in got {
                    // Every record goes on as one line; one that is not an object is still
                    // handed on, for the decoder to quarantine with its reason.
                    lines.push_str(&r.to_string());
                    lines.push('\n');
                    newest = newest.max(record_time(&r));
                    records += 1;
                }
                read.insert(fingerprint(&blob.id));
                last_created = last_created.max(blob.created_ms.min(end));
            }
            let all_read = read.len() == unread.len();
            let t_ms = if all_read { reach.max(last_created) } else { last_created };
            cur.0.insert(ct.clone(), advance(&mark, &listed, &read, t_ms, complete && all_read));
            let more = !all_read || end < horizon || !complete || n + 1 < types.len();
            return Ok(Page {
                lines,
                records,
                cursor: cur.render(),
                newest_ms: crate::newest_believed(newest, now_ms),
                more,
                attempts: s.attempts,
                waited: s.waited,
            });
        }
    }
    Ok(Page {
        lines: String::new(),
        records: 0,
        cursor: cur.render(),
        newest_ms: None,
        more: false,
        attempts: s.attempts,
        waited: s.waited,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_checked() {
        let now = 1_700_000_000_000;
        let c = Cursor::parse("Audit.Exchange=1699999000000.00000000000000ab.0123456789abcdef&DLP.All=1", now).unwrap();
        assert_eq!(c.render(), "Audit.Exchange=1699999000000.00000000000000ab.0123456789abcdef&DLP.All=1");
        assert_eq!(Cursor::parse("", now).unwrap(), Cursor::default());
        for (bad, why) in [
            ("Audit.Nope=1", "unknown content type"),
            ("Audit.Exchange", "without ="),
            ("Audit.Exchange=x", "not a time"),
            ("Audit.Exchange=1800000000000", "future"),
            ("Audit.Exchange=1.xyz", "fingerprint"),
            ("Audit.Exchange=1.00000000000000AB", "fingerprint"),
            ("Audit.Exchange=1&audit.exchange=2", "twice"),
        ] {
            let e = Cursor::parse(bad, now).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn windows_are_a_day_at_most_and_seven_days_back_at_most() {
        let now = 1_700_000_000_000;
        let (s, e) = window(now - 10 * DAY_MS, now);
        assert_eq!(s, floor_s(now - RETENTION_MS + RETENTION_MARGIN_MS));
        assert_eq!(e - s, WINDOW_MS);
        let (s, e) = window(now - 3_600_000, now);
        assert_eq!((s, e), (now - 3_600_000 - OVERLAP_MS, now - DELAY_MS));
        let (s, e) = window(now, now);
        assert!(e > s);
        assert_eq!(api_time(1_700_000_000_123), "2023-11-14T22:13:20");
    }

    #[test]
    fn times_with_and_without_a_zone() {
        assert_eq!(parse_time("2023-11-14T22:13:20"), Some(1_700_000_000_000));
        assert_eq!(parse_time("2023-11-14T22:13:20.5Z"), Some(1_700_000_000_500));
        assert_eq!(parse_time("2023-11-14T23:13:20+01:00"), Some(1_700_000_000_000));
        assert_eq!(parse_time("yesterday"), None);
        assert_eq!(fingerprint(""), "cbf29ce484222325");
        assert_ne!(fingerprint("a"), fingerprint("b"));
    }

    #[test]
    fn links_only_back_to_the_tenants_feed() {
        let mut c = Connection::new(
            "m365",
            crate::Kind::M365ManagementActivity,
            DEFAULT_BASE_URL,
            "m365",
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47"),
        )
        .unwrap();
        c.page_limit = 10;
        let creds = ClientCredentials { client_id: "x", client_secret: "y" };
        let policy = RetryPolicy::default();
        struct Never;
        impl Transport for Never {
            fn send(&self, _: &HttpRequest) -> Result<HttpResponse, vigil_connectors::ConnectorError> {
                Err(vigil_connectors::ConnectorError::Transport("never".into()))
            }
        }
        let s = Session {
            conn: &c,
            creds: &creds,
            transport: &Never,
            policy: &policy,
            token: String::new(),
            refreshed: false,
            attempts: 0,
            waited: Duration::ZERO,
            feed: format!("{DEFAULT_BASE_URL}/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed"),
            feed_path: "/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed".into(),
        };
        let feed = "https://manage.office.com/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed";
        s.own_link(&format!("{feed}/audit/abc$def"), "contentUri", None).unwrap();
        s.own_link(
            &format!("{feed}/subscriptions/content?contentType=Audit.Exchange&nextPage=x"),
            "NextPageUri",
            Some("/subscriptions/content"),
        )
        .unwrap();
        for (link, exact, why) in [
            (
                "https://evil.example/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed/audit/a",
                None,
                "another origin",
            ),
            ("https://manage.office.com.evil.example/x", None, "another origin"),
            (
                "http://manage.office.com/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed/audit/a",
                None,
                "another origin",
            ),
            (
                "https://manage.office.com/api/v1.0/00000000-0000-0000-0000-000000000000/activity/feed/audit/a",
                None,
                "not in this tenant",
            ),
            (
                "https://manage.office.com/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed/../../x",
                None,
                "not in this tenant",
            ),
            (
                "https://manage.office.com/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed/audit/a",
                Some("/subscriptions/content"),
                "not in this tenant",
            ),
            (
                "https://manage.office.com/api/v1.0/72f988bf-86f1-41af-91ab-2d7cd011db47/activity/feed/audit/a?x=a b",
                None,
                "query",
            ),
        ] {
            let e = s.own_link(link, "link", exact).unwrap_err().to_string();
            assert!(e.contains(why), "{link}: {e}");
        }
    }

    #[test]
    fn the_mark_keeps_only_the_overlap() {
        let b = |id: &str, t: i64| Blob { id: id.into(), uri: String::new(), created_ms: t };
        let t = 10 * OVERLAP_MS;
        let listed = vec![b("old", t - OVERLAP_MS - 1), b("in", t - 1), b("edge", t - OVERLAP_MS), b("unread", t)];
        let read: BTreeSet<String> = ["old", "in", "edge"].iter().map(|i| fingerprint(i)).collect();
        let m = advance(&Mark::default(), &listed, &read, t, true);
        assert_eq!(m.t_ms, t);
        assert_eq!(m.seen, ["in", "edge"].iter().map(|i| fingerprint(i)).collect());
        // Never back.
        assert_eq!(advance(&Mark { t_ms: t + 5, seen: BTreeSet::new() }, &[], &BTreeSet::new(), t, true).t_ms, t + 5);
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a kept cursor holds, reading it never panics, and one it takes renders back
        /// to a cursor it takes the same way.
        #[test]
        fn kept_cursors_never_panic(c in prop_oneof![
            ".{0,200}",
            "(Audit\\.Exchange|DLP\\.All|Audit\\.Nope)=[0-9]{0,16}(\\.[0-9a-fA-F]{14,17}){0,3}(&Audit\\.General=[0-9]{1,13})?",
        ]) {
            let now = 1_700_000_000_000;
            if let Ok(cur) = Cursor::parse(&c, now) {
                let again = Cursor::parse(&cur.render(), now);
                prop_assert_eq!(again.ok(), Some(cur));
            }
        }
    }
}
