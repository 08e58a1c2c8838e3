//! The Microsoft 365 Management Activity poller against the local vendor sandbox: a token for
//! `https://manage.office.com/.default`, the subscription started when the API has none,
//! content listings in windows of at most 24 hours and at most 7 days back, paged by
//! `NextPageUri`, content blobs read once each, `Retry-After` on 429 and 503, expired tokens,
//! links to other origins refused, and a restart from a kept cursor.

use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::sandbox::Sandbox;
use vigil_connectors::{ConnectorError, HttpRequest, HttpResponse, HttpTransport, Secrets, Transport};

const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// An audit record with id `rec-{n}` at `at_ms`, shaped as the API returns it.
fn record(content_type: &str, n: u32, at_ms: i64) -> Value {
    let t = chrono::DateTime::from_timestamp_millis(at_ms).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string();
    let (workload, operation, record_type) = match content_type {
        "Audit.AzureActiveDirectory" => ("AzureActiveDirectory", "UserLoggedIn", 15),
        "Audit.SharePoint" => ("SharePoint", "FileDownloaded", 6),
        "Audit.Exchange" => ("Exchange", "MailItemsAccessed", 50),
        _ => ("MicrosoftTeams", "MemberAdded", 25),
    };
    json!({
        "CreationTime": t, "Id": format!("rec-{n:04}"), "Operation": operation,
        "OrganizationId": "4a5b6c7d-0000-4000-8000-000000000001", "RecordType": record_type,
        "ResultStatus": "Succeeded", "UserKey": "10032001A2B3C4D5", "UserType": 0, "Version": 1,
        "Workload": workload, "ClientIP": "203.0.113.7", "ObjectId": "alice@contoso.com",
        "UserId": "alice@contoso.com"
    })
}

fn setup(types: &[&str]) -> (Sandbox, Connection, Secrets) {
    let sb = Sandbox::start().unwrap();
    let cfg = sb.config();
    let base = cfg["m365"]["base_url"].as_str().unwrap().to_string();
    let tenant = cfg["m365"]["tenant_id"].as_str().unwrap().to_string();
    let mut c = Connection::new("m365", Kind::M365ManagementActivity, &base, "entra", Some(&tenant)).unwrap();
    c.auth_url = Some(cfg["m365"]["login_base"].as_str().unwrap().to_string());
    c.page_limit = 3;
    c.content_types = Some(types.iter().map(|t| t.to_string()).collect());
    c.validate().unwrap();
    // Listings of two blobs a page, so a few blobs page by NextPageUri.
    sb.set_page_size(2);
    let s = sb.secrets();
    (sb, c, s)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn page(c: &Connection, s: &Secrets, cursor: Option<&str>) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, now())
}

fn ids(p: &Page) -> Vec<String> {
    p.lines.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["Id"].as_str().unwrap().to_string()).collect()
}

fn names(ns: impl IntoIterator<Item = u32>) -> Vec<String> {
    ns.into_iter().map(|n| format!("rec-{n:04}")).collect()
}

/// Reads until the poller says nothing more is there: the ids, the page sizes, the cursor.
fn drain(c: &Connection, s: &Secrets, mut cursor: Option<String>) -> (Vec<String>, Vec<usize>, String) {
    let (mut all, mut sizes) = (Vec::new(), Vec::new());
    for _ in 0..40 {
        let p = page(c, s, cursor.as_deref()).unwrap();
        all.extend(ids(&p));
        sizes.push(p.records);
        cursor = Some(p.cursor);
        if !p.more {
            return (all, sizes, cursor.unwrap());
        }
    }
    panic!("the poller never caught up");
}

/// A blob of `ct` created at `at` holding the records numbered `ns`.
fn blob(sb: &Sandbox, ct: &str, at: i64, ns: &[u32]) -> String {
    sb.add_m365_content(ct, at, ns.iter().map(|n| record(ct, *n, at - MIN)).collect())
}

fn requests(sb: &Sandbox, path_has: &str) -> Vec<vigil_connectors::sandbox::RecordedRequest> {
    sb.requests().into_iter().filter(|r| r.path.contains(path_has)).collect()
}

fn token_requests(sb: &Sandbox) -> usize {
    requests(sb, "/oauth2/v2.0/token").len()
}

fn window_of(r: &vigil_connectors::sandbox::RecordedRequest) -> (i64, i64) {
    let t = |n: &str| {
        chrono::NaiveDateTime::parse_from_str(&r.query_param(n).unwrap(), "%Y-%m-%dT%H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    };
    (t("startTime"), t("endTime"))
}

#[test]
fn pages_across_next_page_uri_from_the_backfill_window() {
    let (sb, c, s) = setup(&["Audit.Exchange", "Audit.SharePoint"]);
    let t = now();
    // Older than the API keeps (never listed), six days back, then five within the last hour.
    blob(&sb, "Audit.Exchange", t - 8 * DAY, &[90, 91]);
    blob(&sb, "Audit.Exchange", t - 6 * DAY, &[1, 2]);
    for i in 0..5u32 {
        blob(&sb, "Audit.Exchange", t - 50 * MIN + i64::from(i) * MIN, &[10 + 2 * i, 11 + 2 * i]);
    }
    blob(&sb, "Audit.SharePoint", t - 30 * MIN, &[30, 31, 32]);
    let (got, sizes, cursor) = drain(&c, &s, None);
    let mut want = names([1, 2]);
    want.extend(names(10..20));
    want.extend(names([30, 31, 32]));
    assert_eq!(got, want, "oldest first, by content type, nothing past the 7 days");
    // A page reads whole blobs until it holds page_limit (3) records.
    assert_eq!(sizes, vec![2, 4, 4, 2, 3]);
    assert_eq!(sb.m365_subscriptions(), vec!["Audit.Exchange".to_string(), "Audit.SharePoint".to_string()]);
    let lists = requests(&sb, "/subscriptions/content");
    let first = window_of(&lists[0]);
    assert!((first.0 - (t - 7 * DAY + 15 * MIN)).abs() < 5_000, "the backfill starts within the 7 days: {first:?}");
    for r in &lists {
        if r.query_param("nextPage").is_none() {
            let (a, b) = window_of(r);
            assert!(b > a && b - a <= DAY, "a window of at most 24 hours: {}", r.query);
            assert!(a >= t - 7 * DAY, "never more than 7 days back: {}", r.query);
        }
    }
    assert!(lists.iter().any(|r| r.query_param("nextPage").is_some()), "NextPageUri followed");
    assert_eq!(requests(&sb, "/activity/feed/audit/").len(), 7, "each blob read once");
    assert!(sb.requests().iter().all(|r| !r.query.contains("Audit.Exchange=")), "the cursor stays ours");
    // Caught up: another poll reads nothing and keeps the cursor.
    let (again, _, after) = drain(&c, &s, Some(cursor.clone()));
    assert_eq!((again.len(), after), (0, cursor));
}

#[test]
fn a_shorter_backfill_starts_later() {
    let (sb, mut c, s) = setup(&["Audit.General"]);
    c.backfill_days = 2;
    let t = now();
    blob(&sb, "Audit.General", t - 3 * DAY, &[1]);
    blob(&sb, "Audit.General", t - DAY, &[2]);
    let (got, _, _) = drain(&c, &s, None);
    assert_eq!(got, names([2]));
    let first = window_of(&requests(&sb, "/subscriptions/content")[0]);
    assert!((first.0 - (t - 2 * DAY)).abs() < 5_000, "{first:?}");
    c.backfill_days = 8;
    assert!(c.validate().unwrap_err().to_string().contains("backfill"));
}

#[test]
fn duplicates_late_blobs_and_a_restart_neither_lose_nor_repeat() {
    let (sb, c, s) = setup(&["Audit.Exchange"]);
    sb.m365_list_twice(true);
    let t0 = now() - 60 * MIN;
    blob(&sb, "Audit.Exchange", t0 + MIN, &[1, 2]);
    blob(&sb, "Audit.Exchange", t0 + 2 * MIN, &[3, 4]);
    blob(&sb, "Audit.Exchange", t0 + 3 * MIN, &[5, 6]);
    // Record 6 again in another blob: handed on twice, identical, for ingest to dedupe.
    let six = record("Audit.Exchange", 6, t0 + 2 * MIN);
    sb.add_m365_content("Audit.Exchange", t0 + 4 * MIN, vec![six, record("Audit.Exchange", 7, t0 + 3 * MIN)]);
    let p1 = page(&c, &s, None).unwrap();
    assert_eq!(ids(&p1), names([1, 2, 3, 4]));
    // The next page is read but its cursor never committed (a crash): from the kept cursor the
    // same page comes again, then the rest.
    let lost = page(&c, &s, Some(&p1.cursor)).unwrap();
    let (rest, _, end) = drain(&c, &s, Some(p1.cursor.clone()));
    assert_eq!(ids(&lost), rest[..4].to_vec());
    assert_eq!(rest, names([5, 6, 6, 7]));
    let lines: Vec<&str> = lost.lines.lines().collect();
    let again = page(&c, &s, Some(&p1.cursor)).unwrap();
    assert_eq!(again.lines.lines().collect::<Vec<_>>(), lines, "the same records, byte for byte");
    let twice: Vec<&str> = lost.lines.lines().filter(|l| l.contains("rec-0006")).collect();
    assert_eq!(twice.len(), 2);
    assert_eq!(twice[0], twice[1], "a record in two blobs is the same record: one event once ingested");
    // A blob created before the last one read, listed only now (late), and a newer one.
    blob(&sb, "Audit.Exchange", t0 + 4 * MIN - 3 * MIN, &[8]);
    blob(&sb, "Audit.Exchange", t0 + 5 * MIN, &[9]);
    let (next, _, end2) = drain(&c, &s, Some(end));
    assert_eq!(next, names([8, 9]), "the late blob is read via the overlap, nothing read again");
    let (none, sizes, end3) = drain(&c, &s, Some(end2.clone()));
    assert_eq!((none.len(), sizes, end3), (0, vec![0], end2));
    // Every blob was listed twice; none was read twice but for the replays above.
    let reads = requests(&sb, "/activity/feed/audit/");
    let mut paths: Vec<&str> = reads.iter().map(|r| r.path.as_str()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 6);
}

#[test]
fn rate_limits_and_server_errors_are_waited_out() {
    let (sb, c, s) = setup(&["Audit.Exchange"]);
    let t = now();
    // A first poll starts the subscription.
    let (_, _, cursor) = drain(&c, &s, None);
    blob(&sb, "Audit.Exchange", t - 5 * MIN, &[1, 2]);
    sb.fail_next("/subscriptions/content", 429, Some(1));
    let p = page(&c, &s, Some(&cursor)).unwrap();
    assert_eq!((ids(&p), p.attempts), (names([1, 2]), 4), "the token, the 429, the listing, the blob");
    assert!(p.waited >= Duration::from_secs(1), "Retry-After waited: {:?}", p.waited);
    sb.fail_next("/activity/feed/audit/", 503, Some(1));
    sb.fail_next("/activity/feed/audit/", 500, None);
    let p = page(&c, &s, Some(&cursor)).unwrap();
    assert_eq!((ids(&p), p.attempts), (names([1, 2]), 5), "503 and 500 retried");
    assert!(p.waited >= Duration::from_secs(1));
    sb.fail_next("/oauth2/v2.0/token", 500, None);
    assert_eq!(page(&c, &s, Some(&cursor)).unwrap().attempts, 4);
    for _ in 0..4 {
        sb.fail_next("/subscriptions/content", 502, None);
    }
    let e = page(&c, &s, Some(&cursor)).unwrap_err();
    assert!(e.is_transient() && e.to_string().contains("HTTP 502"), "{e}");
    sb.fail_next("/activity/feed/audit/", 429, Some(60));
    let e = page(&c, &s, Some(&cursor)).unwrap_err();
    assert!(matches!(e, CollectError::RateLimited { wait_s: 60, .. }), "{e}");
}

#[test]
fn an_expired_token_is_fetched_again_once() {
    let (sb, c, s) = setup(&["Audit.Exchange"]);
    let (_, _, cursor) = drain(&c, &s, None);
    blob(&sb, "Audit.Exchange", now() - 5 * MIN, &[1]);
    sb.clear_requests();
    sb.expire_next_tokens(1);
    let p = page(&c, &s, Some(&cursor)).unwrap();
    assert_eq!((ids(&p), p.attempts), (names([1]), 5), "token, 401, token, listing, blob");
    assert_eq!(token_requests(&sb), 2);
    sb.expire_next_tokens(2);
    let e = page(&c, &s, Some(&cursor)).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, CollectError::Auth { status: 401, .. }), "{text}");
    assert!(text.contains("expired") && text.contains("ActivityFeed.Read"), "{text}");
    assert_eq!(token_requests(&sb), 4, "once, not again and again");
}

#[test]
fn refusals_name_the_permission_and_the_subscription() {
    let (sb, c, s) = setup(&["Audit.Exchange"]);
    sb.fail_next("/subscriptions/start", 403, None);
    let e = page(&c, &s, None).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, CollectError::Auth { status: 403, .. }), "{text}");
    assert!(text.contains("AF10001") && text.contains("ActivityFeed.Read"), "{text}");
    sb.fail_next("/subscriptions/start", 400, None);
    let text = page(&c, &s, None).unwrap_err().to_string();
    assert!(text.contains("AF20022") || text.contains("could not be started"), "{text}");
    assert!(text.contains("subscription to Audit.Exchange could not be started"), "{text}");
    assert!(sb.m365_subscriptions().is_empty());
    // Started now; a listing refused for the permission says which.
    let (_, _, cursor) = drain(&c, &s, None);
    sb.fail_next("/subscriptions/content", 403, None);
    let text = page(&c, &s, Some(&cursor)).unwrap_err().to_string();
    assert!(text.contains("HTTP 403") && text.contains("ActivityFeed.Read"), "{text}");
    let mut wrong = s.clone();
    wrong.insert("entra_client_secret", "not-the-secret");
    let text = page(&c, &wrong, None).unwrap_err().to_string();
    assert!(text.contains("AADSTS7000215") && !text.contains("not-the-secret"), "{text}");
    // The tenant must be its id: the API names it in its path.
    let e =
        Connection::new("m365", Kind::M365ManagementActivity, &c.base_url, "entra", Some("contoso.onmicrosoft.com"))
            .unwrap_err();
    assert!(e.to_string().contains("GUID"), "{e}");
    let mut bad = c.clone();
    bad.content_types = Some(vec!["Audit.Nope".into()]);
    assert!(bad.validate().unwrap_err().to_string().contains("Audit.Nope"));
    let kept = "Audit.Exchange=1&Audit.Exchange=2";
    assert!(page(&c, &s, Some(kept)).unwrap_err().to_string().contains("cursor"));
}

/// The sandbox's answers with a `NextPageUri` or a `contentUri` pointed at another origin.
struct Elsewhere {
    inner: HttpTransport,
    header: bool,
}

impl Transport for Elsewhere {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let mut resp = self.inner.send(req)?;
        if self.header {
            for (k, v) in resp.headers.iter_mut() {
                if k.eq_ignore_ascii_case("NextPageUri") {
                    *v = v.replacen("127.0.0.1", "attacker.example", 1);
                }
            }
        } else if req.url.contains("/subscriptions/content")
            && let Ok(Value::Array(mut items)) = serde_json::from_slice::<Value>(&resp.body)
        {
            for item in &mut items {
                let moved =
                    item["contentUri"].as_str().unwrap_or_default().replacen("127.0.0.1", "attacker.example", 1);
                item["contentUri"] = json!(moved);
            }
            resp.body = Value::Array(items).to_string().into_bytes();
        }
        Ok(resp)
    }
}

#[test]
fn links_to_another_origin_are_refused() {
    for (header, what) in [(true, "NextPageUri"), (false, "contentUri")] {
        let (sb, c, s) = setup(&["Audit.Exchange"]);
        for i in 0..5 {
            blob(&sb, "Audit.Exchange", now() - 30 * MIN + i * MIN, &[i as u32]);
        }
        let t = Elsewhere { inner: HttpTransport::default(), header };
        let e = next_page(&c, &s, &t, &fast(), None, now()).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, CollectError::BadResponse { .. }), "{text}");
        assert!(text.contains(what) && text.contains("another origin") && text.contains("attacker.example"), "{text}");
        assert!(requests(&sb, "/activity/feed/audit/").is_empty(), "{what}: no blob read");
    }
}

#[test]
fn the_sandbox_checks_windows_as_microsoft_does() {
    let (sb, c, s) = setup(&["Audit.Exchange"]);
    let token = |scope: &str| {
        let form = [
            ("client_id", s.get("entra_client_id").unwrap()),
            ("scope", scope),
            ("client_secret", s.get("entra_client_secret").unwrap()),
            ("grant_type", "client_credentials"),
        ];
        let url = format!("{}/{}/oauth2/v2.0/token", c.auth_url.clone().unwrap(), c.org.clone().unwrap());
        let r = HttpTransport::default().send(&HttpRequest::new("POST", url).with_form(&form)).unwrap();
        r.json().unwrap()["access_token"].as_str().unwrap().to_string()
    };
    let manage = token("https://manage.office.com/.default");
    let graph = token("https://graph.microsoft.com/.default");
    let feed = format!("{}/api/v1.0/{}/activity/feed", c.base_url, c.org.clone().unwrap());
    let call = |method: &str, path: &str, tok: &str| {
        HttpTransport::default()
            .send(
                &HttpRequest::new(method, format!("{feed}{path}"))
                    .with_header("Authorization", format!("Bearer {tok}")),
            )
            .unwrap()
    };
    let code = |r: &HttpResponse| r.json().unwrap()["error"]["code"].as_str().unwrap_or_default().to_string();
    let iso = |ms: i64| chrono::DateTime::from_timestamp_millis(ms).unwrap().format("%Y-%m-%dT%H:%M:%S").to_string();
    let list = |a: i64, b: i64| {
        format!("/subscriptions/content?contentType=Audit.Exchange&startTime={}&endTime={}", iso(a), iso(b))
    };
    let t = now();
    assert_eq!(call("GET", &list(t - DAY, t), &graph).status, 401, "a Graph token is not for this API");
    assert_eq!(code(&call("GET", &list(t - DAY, t), &manage)), "AF20022");
    assert_eq!(call("POST", "/subscriptions/start?contentType=Audit.Exchange", &manage).status, 200);
    assert_eq!(code(&call("POST", "/subscriptions/start?contentType=Audit.Exchange", &manage)), "AF20024");
    assert_eq!(code(&call("POST", "/subscriptions/start?contentType=Audit.Nope", &manage)), "AF20020");
    assert_eq!(call("GET", &list(t - DAY, t), &manage).status, 200);
    assert_eq!(code(&call("GET", &list(t - DAY - 60_000, t), &manage)), "AF20055", "over 24 hours");
    assert_eq!(code(&call("GET", &list(t, t - MIN), &manage)), "AF20055", "reversed");
    assert_eq!(code(&call("GET", &list(t - 8 * DAY, t - 8 * DAY + MIN), &manage)), "AF20056", "over 7 days back");
    assert_eq!(code(&call("GET", "/audit/nope", &manage)), "AF20050");
    let id = blob(&sb, "Audit.Exchange", t - 8 * DAY, &[1]);
    assert_eq!(code(&call("GET", &format!("/audit/{id}"), &manage)), "AF20051", "expired content");
}

#[test]
fn content_microsoft_no_longer_serves_is_passed_over_not_waited_on() {
    let (sb, c, s) = setup(&["Audit.Exchange", "Audit.SharePoint"]);
    let t0 = now() - 60 * MIN;
    let gone = sb.add_m365_content("Audit.Exchange", t0 + MIN, vec![record("Audit.Exchange", 1, t0 + MIN)]);
    blob(&sb, "Audit.Exchange", t0 + 2 * MIN, &[2]);
    blob(&sb, "Audit.SharePoint", t0 + 3 * MIN, &[3]);
    sb.fail_next(&gone, 404, None);
    let (read, _, end) = drain(&c, &s, None);
    assert_eq!(read, names([2, 3]), "the blob that is gone is passed over; the rest is read");
    // Not read again later either: the cursor moved past it.
    let (again, _, _) = drain(&c, &s, Some(end));
    assert!(again.is_empty(), "{again:?}");
}
