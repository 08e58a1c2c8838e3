//! The CrowdStrike Falcon alerts poller against the local vendor sandbox (Falcon's OAuth2 token
//! and Alerts API v2: ids by `updated_timestamp` with `after` paging, details at most 1000 ids a
//! request, 429 with `X-RateLimit-RetryAfter`, errors in Falcon's `errors[]` shape).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::sandbox::Sandbox;
use vigil_connectors::{ConnectorError, HttpRequest, HttpResponse, HttpTransport, Secrets, Transport};

const QUERY: &str = "/crowdstrike/alerts/queries/alerts/v2";
const DETAILS: &str = "/crowdstrike/alerts/entities/alerts/v2";

fn ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn composite(i: u32) -> String {
    format!("0a1b2c3d4e5f:ind:{i:032x}:{}", 9_000_000 + i)
}

fn alert(i: u32, updated_ms: i64, status: &str) -> Value {
    json!({
        "composite_id": composite(i), "id": format!("ind:{i:032x}:{}", 9_000_000 + i),
        "created_timestamp": ts(updated_ms - 60_000), "updated_timestamp": ts(updated_ms), "timestamp": ts(updated_ms - 90_000),
        "severity": 70, "severity_name": "High", "status": status,
        "name": "CredentialDumping", "display_name": "Credential dumping", "description": "A process dumped LSASS memory.",
        "tactic": "Credential Access", "tactic_id": "TA0006", "technique": "OS Credential Dumping", "technique_id": "T1003",
        "device": {"device_id": format!("{i:032x}"), "hostname": format!("host-{i}"), "local_ip": "10.0.0.7", "platform_name": "Windows"},
        "user_name": "alice", "filename": "procdump64.exe", "filepath": "\\Device\\HarddiskVolume3\\Tools\\procdump64.exe",
        "cmdline": "procdump64.exe -ma lsass.exe", "sha256": "a".repeat(64),
        "parent_details": {"filename": "cmd.exe", "cmdline": "cmd.exe /c run.bat"},
        "falcon_host_link": "https://falcon.crowdstrike.com/activity-v2/detections/x", "type": "ldt", "product": "epp",
        "pattern_disposition_description": "Detection, standard detection.",
    })
}

fn setup() -> (Sandbox, Connection, Secrets) {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["crowdstrike"]["base_url"].as_str().unwrap().to_string();
    let mut c = Connection::new("falcon", Kind::CrowdStrikeAlerts, &base, "crowdstrike", None).unwrap();
    c.page_limit = 5;
    let s = sb.secrets();
    (sb, c, s)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn page(c: &Connection, s: &Secrets, cursor: Option<&str>, now: i64) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, now)
}

/// (composite_id, updated_timestamp) of each record, in order.
fn versions(p: &Page) -> Vec<(String, String)> {
    p.lines
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["composite_id"].as_str().unwrap().to_string(), v["updated_timestamp"].as_str().unwrap().to_string())
        })
        .collect()
}

fn ids(p: &Page) -> Vec<String> {
    versions(p).into_iter().map(|(id, _)| id).collect()
}

/// Reads pages until the listing's end; the records and the cursor after them.
fn read_to_end(c: &Connection, s: &Secrets, mut cursor: Option<String>, now: i64) -> (Vec<(String, String)>, String) {
    let mut seen = Vec::new();
    for _ in 0..100 {
        let p = page(c, s, cursor.as_deref(), now).unwrap();
        seen.extend(versions(&p));
        cursor = Some(p.cursor);
        if !p.more {
            break;
        }
    }
    (seen, cursor.unwrap())
}

#[test]
fn pages_to_the_end_and_past_it_oldest_first_from_the_backfill_window() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    // One alert before the 7-day backfill window; twelve within it, added newest first (the
    // details come back in Falcon's order, the records in the ids' order).
    sb.add_crowdstrike_alerts([alert(0, now - 8 * 86_400_000, "new")]);
    sb.add_crowdstrike_alerts((1..13).rev().map(|i| alert(i, now - 3_600_000 + i64::from(i) * 1000, "new")));
    let mut cursor = None;
    let mut seen = Vec::new();
    let mut shape = Vec::new();
    for _ in 0..3 {
        let p = page(&c, &s, cursor.as_deref(), now).unwrap();
        shape.push((p.records, p.more, p.attempts));
        seen.extend(ids(&p));
        assert_eq!(p.newest_ms, Some(now - 3_600_000 + 1000 * (seen.len() as i64)));
        cursor = Some(p.cursor);
    }
    assert_eq!(shape, vec![(5, true, 3), (5, true, 3), (2, false, 3)], "a token, the ids, the details");
    assert_eq!(seen, (1..13).map(composite).collect::<Vec<_>>(), "oldest first, the old one left out");
    let reqs = sb.requests();
    let queries: Vec<_> = reqs.iter().filter(|r| r.path == QUERY).collect();
    let backfill = ts(now - 7 * 86_400_000);
    assert!(queries.iter().all(|r| r.query_param("filter") == Some(format!("updated_timestamp:>='{backfill}'"))));
    assert!(queries.iter().all(|r| r.query_param("sort").as_deref() == Some("updated_timestamp.asc")));
    assert!(queries.iter().all(|r| r.query_param("limit").as_deref() == Some("5")));
    assert_eq!(queries.iter().map(|r| r.query_param("after").is_some()).collect::<Vec<_>>(), [false, true, true]);
    assert!(queries.iter().all(|r| !r.query.contains("newest") && !r.query.contains("since")), "our part stays ours");
    assert!(
        reqs.iter()
            .filter(|r| r.path == DETAILS)
            .all(|r| r.json().unwrap()["composite_ids"].as_array().unwrap().len() <= 5)
    );
    assert!(
        reqs.iter()
            .filter(|r| r.path != "/crowdstrike/oauth2/token")
            .all(|r| r.header("authorization").unwrap().starts_with("Bearer "))
    );

    // Past the end: the poll asks again from ten minutes before the newest alert read, so it
    // reads the overlap again (identical records, which the ingest dedupe removes) and keeps
    // its cursor.
    let end = cursor.clone().unwrap();
    sb.clear_requests();
    let (again, after) = read_to_end(&c, &s, Some(end.clone()), now);
    assert_eq!(again.len(), 12, "all twelve lie within the overlap");
    assert_eq!(after, end, "a poll with nothing new keeps its cursor");
    let since = sb.requests().iter().find(|r| r.path == QUERY).unwrap().query_param("filter").unwrap();
    assert_eq!(since, format!("updated_timestamp:>='{}'", ts(now - 3_600_000 + 12_000 - 10 * 60_000)));
    // Nothing at all: an empty page, the same cursor.
    let (_sb2, c2, s2) = setup();
    let empty = page(&c2, &s2, None, now).unwrap();
    assert_eq!((empty.records, empty.more, empty.newest_ms, empty.lines.as_str()), (0, false, None, ""));
    let still = page(&c2, &s2, Some(&empty.cursor), now).unwrap();
    assert_eq!((still.records, &still.cursor), (0, &empty.cursor));
}

#[test]
fn rate_limits_are_waited_and_server_errors_retried() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..3).map(|i| alert(i, now - 60_000, "new")));
    sb.fail_next(QUERY, 429, Some(1));
    sb.fail_next(DETAILS, 503, None);
    sb.fail_next("/crowdstrike/oauth2/token", 500, None);
    let p = page(&c, &s, None, now).unwrap();
    assert_eq!((p.records, p.attempts), (3, 6), "each of the three requests once more");
    assert!(p.waited >= Duration::from_secs(1), "{:?}", p.waited);
    // A reset further off than the policy's longest wait: reported, as transient.
    sb.fail_next(QUERY, 429, Some(30));
    let e = page(&c, &s, None, now).unwrap_err();
    assert!(e.is_transient() && e.to_string().contains("CrowdStrike rate limit"), "{e}");
}

#[test]
fn refused_credentials_and_scopes_say_what_the_api_client_needs() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    let mut wrong = Secrets::new();
    wrong.insert("crowdstrike_client_id", s.get("crowdstrike_client_id").unwrap());
    wrong.insert("crowdstrike_client_secret", "not-the-secret-0123456789");
    let e = page(&c, &wrong, None, now).unwrap_err();
    assert!(matches!(e, CollectError::Auth { status: 403, .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("Not Authorized") && text.contains("Alerts: Read"), "{text}");
    assert!(!text.contains("not-the-secret"));
    // A token without the scope: Falcon's 403 on the API call, named.
    sb.fail_next(QUERY, 403, None);
    let e = page(&c, &s, None, now).unwrap_err();
    assert!(matches!(e, CollectError::Auth { status: 403, .. }), "{e:?}");
    let text = e.to_string();
    assert!(text.contains("access denied, authorization failed") && text.contains("Alerts: Read"), "{text}");
    // A missing secret names the set's member.
    let mut half = Secrets::new();
    half.insert("crowdstrike_client_id", "x");
    let e = page(&c, &half, None, now).unwrap_err().to_string();
    assert!(e.contains("crowdstrike_client_secret"), "{e}");
}

#[test]
fn an_expired_token_is_refreshed_once() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..3).map(|i| alert(i, now - 60_000, "new")));
    sb.fail_next(DETAILS, 401, None);
    let p = page(&c, &s, None, now).unwrap();
    assert_eq!(p.records, 3);
    let tokens = sb.requests().iter().filter(|r| r.path == "/crowdstrike/oauth2/token").count();
    assert_eq!(tokens, 2, "a new token after the 401");
    // Refused again with the new token: no second refresh; the refusal is reported.
    sb.clear_requests();
    sb.fail_next(QUERY, 401, None);
    sb.fail_next(QUERY, 401, None);
    let e = page(&c, &s, None, now).unwrap_err();
    assert!(matches!(e, CollectError::Auth { status: 401, .. }), "{e:?}");
    assert!(e.to_string().contains("invalid bearer token"), "{e}");
    assert_eq!(sb.requests().iter().filter(|r| r.path == "/crowdstrike/oauth2/token").count(), 2);
}

#[test]
fn an_alert_updated_later_is_delivered_again_as_a_new_version() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..4).map(|i| alert(i, now - 3_600_000 + i64::from(i) * 1000, "new")));
    let (first, cursor) = read_to_end(&c, &s, None, now);
    assert_eq!(first.len(), 4);
    // An hour later an analyst closes alert 1 and a new alert arrives.
    let later = now + 3_600_000;
    sb.add_crowdstrike_alerts([alert(1, later - 5_000, "closed"), alert(9, later - 4_000, "new")]);
    let (second, _) = read_to_end(&c, &s, Some(cursor), later);
    // The overlap reads the unchanged alerts again (identical records: the ingest dedupe
    // removes them); the new version and the new alert come after them.
    let new: Vec<_> = second.iter().filter(|v| !first.contains(v)).cloned().collect();
    assert_eq!(new, vec![(composite(1), ts(later - 5_000)), (composite(9), ts(later - 4_000))]);
    assert!(second.len() <= 5, "{second:?}");
    let p = page(&c, &s, None, later).unwrap();
    let closed =
        p.lines.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["composite_id"] == composite(1));
    assert_eq!(closed.unwrap()["status"], "closed");
}

#[test]
fn a_restart_from_a_saved_cursor_neither_loses_nor_repeats() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..23).map(|i| alert(i, now - 7_200_000 + i64::from(i) * 60_000, "new")));
    let (whole, _) = read_to_end(&c, &s, None, now);
    // A second reader stops after two pages (the cursor kept with the second page's records)
    // and starts again, as after a restart, from the kept cursor.
    let p1 = page(&c, &s, None, now).unwrap();
    let p2 = page(&c, &s, Some(&p1.cursor), now).unwrap();
    let kept = p2.cursor.clone();
    let mut resumed = versions(&p1);
    resumed.extend(versions(&p2));
    let (rest, _) = read_to_end(&c, &s, Some(kept), now);
    resumed.extend(rest);
    assert_eq!(resumed, whole, "the same records in the same order");
    let set: BTreeSet<(String, String)> = resumed.iter().cloned().collect();
    assert_eq!(set.len(), resumed.len(), "nothing read twice within a listing");
    let expected: BTreeSet<(String, String)> =
        (0..23).map(|i| (composite(i), ts(now - 7_200_000 + i64::from(i) * 60_000))).collect();
    assert_eq!(set, expected, "nothing lost");
    // A kept after token Falcon no longer takes (they expire): read again from the filter
    // time, repeating but losing nothing.
    let stale = format!("{}&after=c3RhbGU%3D", p1.cursor.split("&after=").next().unwrap());
    let p = page(&c, &s, Some(&stale), now).unwrap();
    assert_eq!(ids(&p), ids(&p1));
    // A hostile kept cursor is an error, not a panic, and is never sent.
    sb.clear_requests();
    for hostile in ["since=1&after=%0Aevil", "since=abc", "after=x", "since=1&since=2", "since=99999999999999"] {
        let e = page(&c, &s, Some(hostile), now).unwrap_err();
        assert!(matches!(e, CollectError::Config(_)), "{hostile}: {e:?}");
    }
    assert!(sb.requests().is_empty());
}

/// Forwards to the real transport, asking the query for more ids than a page's limit (as a
/// connection with a larger page would), to see the details split.
struct WideQuery(HttpTransport);

impl Transport for WideQuery {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let mut req = req.clone();
        req.url = req.url.replace("&limit=1000", "&limit=1500");
        self.0.send(&req)
    }
}

#[test]
fn more_than_a_thousand_ids_go_in_several_detail_requests_in_order() {
    let (sb, mut c, s) = setup();
    c.page_limit = 1000;
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..1500).map(|i| alert(i, now - 3_600_000 + i64::from(i), "new")));
    let p = next_page(&c, &s, &WideQuery(HttpTransport::default()), &fast(), None, now).unwrap();
    assert_eq!(p.records, 1500);
    assert_eq!(ids(&p), (0..1500).map(composite).collect::<Vec<_>>());
    let sizes: Vec<usize> = sb
        .requests()
        .iter()
        .filter(|r| r.path == DETAILS)
        .map(|r| r.json().unwrap()["composite_ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [1000, 500]);
    // The sandbox holds Falcon's limit: 1001 ids are refused, in Falcon's error shape.
    let t = HttpTransport::default();
    let base = &c.base_url;
    let form = [
        ("client_id", s.get("crowdstrike_client_id").unwrap()),
        ("client_secret", s.get("crowdstrike_client_secret").unwrap()),
    ];
    let tok = t.send(&HttpRequest::new("POST", format!("{base}/oauth2/token")).with_form(&form)).unwrap();
    let tok: Value = serde_json::from_slice(&tok.body).unwrap();
    let many: Vec<String> = (0..1001).map(composite).collect();
    let r = t
        .send(
            &HttpRequest::new("POST", format!("{base}/alerts/entities/alerts/v2"))
                .with_header("Authorization", format!("Bearer {}", tok["access_token"].as_str().unwrap()))
                .with_json(&json!({ "composite_ids": many })),
        )
        .unwrap();
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(r.status, 400);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("at most 1000"), "{body}");
}

#[test]
fn the_sandbox_checks_queries_as_falcon_does() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_crowdstrike_alerts((0..3).map(|i| alert(i, now - 60_000, "new")));
    let t = HttpTransport::default();
    let base = &c.base_url;
    let form = [
        ("client_id", s.get("crowdstrike_client_id").unwrap()),
        ("client_secret", s.get("crowdstrike_client_secret").unwrap()),
    ];
    let tok = t.send(&HttpRequest::new("POST", format!("{base}/oauth2/token")).with_form(&form)).unwrap();
    assert_eq!(tok.status, 201);
    let tok: Value = serde_json::from_slice(&tok.body).unwrap();
    let token = tok["access_token"].as_str().unwrap().to_string();
    let get = |q: &str, bearer: &str| {
        t.send(
            &HttpRequest::new("GET", format!("{base}/alerts/queries/alerts/v2?{q}"))
                .with_header("Authorization", format!("Bearer {bearer}")),
        )
        .unwrap()
    };
    let since = vigil_connectors::util::encode(&format!("updated_timestamp:>='{}'", ts(now - 3_600_000)));
    let ok = get(&format!("filter={since}&sort=updated_timestamp.asc&limit=2"), &token);
    let body: Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!((ok.status, body["resources"].as_array().unwrap().len()), (200, 2));
    assert_eq!(body["meta"]["pagination"]["total"], 3);
    assert!(!body["meta"]["pagination"]["after"].as_str().unwrap().is_empty());
    for (q, why) in [
        ("filter=status%3A%27new%27".to_string(), "Invalid filter"),
        (format!("filter={since}&sort=severity.desc"), "Invalid sort"),
        (format!("filter={since}&limit=0"), "limit"),
        (format!("filter={since}&limit=10001"), "limit"),
        (format!("filter={since}&after=bm90LWEtdG9rZW4%3D"), "after"),
    ] {
        let r = get(&q, &token);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(r.status, 400, "{q}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains(why), "{q}: {body}");
    }
    let r = get(&format!("filter={since}"), "not-a-token");
    assert_eq!(r.status, 401);
}
