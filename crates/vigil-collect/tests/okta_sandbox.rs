//! The Okta System Log poller against the local vendor sandbox (a real HTTP server speaking
//! Okta's polling contract): paging to the end and past it, the backfill window, 429 with
//! Okta's reset header, server errors retried, a refused token, duplicates and late records.

use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::HttpTransport;
use vigil_connectors::sandbox::Sandbox;

const NOW: i64 = 1_717_000_000_000; // 2024-05-29T16:26:40Z

fn record(i: u32, published_ms: i64) -> Value {
    let published = chrono::DateTime::from_timestamp_millis(published_ms).unwrap().to_rfc3339();
    json!({
        "uuid": format!("evt-{i:04}"),
        "published": published,
        "eventType": "user.session.start",
        "actor": {"id": "00u1", "type": "User", "alternateId": format!("user{i}@acme.example")},
        "outcome": {"result": "SUCCESS"},
        "client": {"ipAddress": "203.0.113.7"}
    })
}

fn setup(limit: u32) -> (Sandbox, Connection, vigil_connectors::Secrets) {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["okta"]["base_url"].as_str().unwrap().to_string();
    let mut c = Connection::new("okta-test", Kind::OktaSystemLog, &base, "okta_token", None).unwrap();
    c.page_limit = limit;
    let secrets = sb.secrets();
    (sb, c, secrets)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn page(c: &Connection, s: &vigil_connectors::Secrets, cursor: Option<&str>) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, NOW)
}

fn uuids(p: &Page) -> Vec<String> {
    p.lines.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["uuid"].as_str().unwrap().to_string()).collect()
}

#[test]
fn pages_to_the_end_and_stays_there_from_the_backfill_window() {
    let (sb, c, s) = setup(4);
    // Two records older than the 7-day backfill window, then ten within it.
    sb.add_okta_logs((0..2).map(|i| record(i, NOW - 8 * 86_400_000)));
    sb.add_okta_logs((2..12).map(|i| record(i, NOW - 3_600_000 + i64::from(i))));
    let mut cursor = None;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let p = page(&c, &s, cursor.as_deref()).unwrap();
        sizes.push(p.records);
        seen.extend(uuids(&p));
        assert!(p.cursor.contains("after=") || p.records == 0, "{}", p.cursor);
        let done = p.records == 0;
        cursor = Some(p.cursor);
        if done {
            break;
        }
    }
    assert_eq!(sizes, vec![4, 4, 2, 0]);
    assert_eq!(seen, (2..12).map(|i| format!("evt-{i:04}")).collect::<Vec<_>>());
    // Read to the end: the cursor stays, and a record arriving late (an earlier time) is next.
    let again = page(&c, &s, cursor.as_deref()).unwrap();
    assert_eq!((again.records, again.cursor.as_str()), (0, cursor.as_deref().unwrap()));
    sb.add_okta_logs([record(99, NOW - 86_400_000), record(5, NOW - 3_600_000 + 5)]);
    let late = page(&c, &s, cursor.as_deref()).unwrap();
    assert_eq!(uuids(&late), vec!["evt-0099", "evt-0005"], "late and duplicate records are delivered as sent");
    assert_eq!(late.newest_ms, Some(NOW - 3_600_000 + 5));
    // Every request carried the token as Okta wants it, and only to the System Log.
    let reqs = sb.requests();
    assert!(reqs.iter().all(|r| r.path.ends_with("/okta/api/v1/logs")));
    assert!(reqs.iter().all(|r| r.header("authorization").is_some_and(|a| a.starts_with("SSWS "))));
    assert!(reqs[0].query.contains("since=") && reqs[0].query.contains("sortOrder=ASCENDING"));
}

#[test]
fn rate_limits_wait_for_okta_reset_and_server_errors_are_retried() {
    let (sb, c, s) = setup(5);
    sb.add_okta_logs((0..3).map(|i| record(i, NOW - 60_000)));
    sb.fail_next("/okta/api/v1/logs", 429, Some(1));
    let p = page(&c, &s, None).unwrap();
    assert_eq!((p.records, p.attempts), (3, 2));
    assert!(p.waited >= Duration::from_secs(1), "waited {:?} for the reset", p.waited);
    sb.fail_next("/okta/api/v1/logs", 500, None);
    sb.fail_next("/okta/api/v1/logs", 503, None);
    let p = page(&c, &s, None).unwrap();
    assert_eq!((p.records, p.attempts), (3, 3));
    // Always failing: reported after the policy's attempts, naming the last answer.
    for _ in 0..4 {
        sb.fail_next("/okta/api/v1/logs", 502, None);
    }
    let e = page(&c, &s, None).unwrap_err();
    assert!(e.is_transient());
    assert_eq!(e.to_string(), "Okta unavailable after 4 requests: HTTP 502");
    // A reset further off than the policy waits is reported, not waited for.
    sb.fail_next("/okta/api/v1/logs", 429, Some(3600));
    let e = page(&c, &s, None).unwrap_err();
    assert!(matches!(e, CollectError::RateLimited { attempts: 1, .. }), "{e}");
}

#[test]
fn a_refused_or_missing_token_says_what_it_needs_and_never_shows_it() {
    let (sb, c, s) = setup(5);
    let mut wrong = vigil_connectors::Secrets::new();
    wrong.insert("okta_token", "00-not-the-token");
    let e = page(&c, &wrong, None).unwrap_err().to_string();
    assert!(e.contains("HTTP 401") && e.contains("E0000011") && e.contains("Read-Only Administrator"), "{e}");
    assert!(!e.contains("00-not-the-token"));
    let e = page(&c, &vigil_connectors::Secrets::new(), None).unwrap_err().to_string();
    assert!(e.contains("okta_token") && e.contains("VIGIL_SECRET_OKTA_TOKEN"), "{e}");
    sb.fail_next("/okta/api/v1/logs", 403, None);
    let e = page(&c, &s, None).unwrap_err().to_string();
    assert!(e.contains("HTTP 403") && e.contains("okta.logs.read"), "{e}");
    // A cursor the vendor does not know is the vendor's error, named.
    let e = page(&c, &s, Some("after=garbage&limit=5")).unwrap_err().to_string();
    assert!(e.contains("HTTP 400") && e.contains("E0000001"), "{e}");
    let token = s.get("okta_token").unwrap().to_string();
    assert!(!e.contains(&token));
}
