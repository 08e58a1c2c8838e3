//! The GitHub audit log poller against the local vendor sandbox (GitHub's audit-log API: Link
//! paging with no `next` on the last page, `created:>=` phrases, 403 rate limits with
//! `x-ratelimit-*`, "Bad credentials", an unknown organization).

use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::HttpTransport;
use vigil_connectors::sandbox::Sandbox;

fn record(i: u32, at_ms: i64) -> Value {
    json!({"@timestamp": at_ms, "_document_id": format!("doc-{i:04}"), "action": "repo.create",
           "actor": "octocat", "org": "acme", "repo": format!("acme/r{i}"), "created_at": at_ms})
}

fn setup(org: &str) -> (Sandbox, Connection, vigil_connectors::Secrets) {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["github"]["base_url"].as_str().unwrap().to_string();
    let mut c = Connection::new("gh-acme", Kind::GitHubAuditLog, &base, "github_token", Some(org)).unwrap();
    c.page_limit = 5;
    let s = sb.secrets();
    (sb, c, s)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn page(c: &Connection, s: &vigil_connectors::Secrets, cursor: Option<&str>, now: i64) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, now)
}

fn ids(p: &Page) -> Vec<String> {
    p.lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["_document_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn pages_then_carries_on_from_the_newest_second() {
    let (sb, c, s) = setup("acme");
    let now = chrono::Utc::now().timestamp_millis();
    // One record before the backfill window; twelve within it, added out of time order.
    sb.add_github_audit([record(0, now - 9 * 86_400_000)]);
    sb.add_github_audit((1..13).rev().map(|i| record(i, now - 3_600_000 + i64::from(i) * 1000)));
    let mut cursor = None;
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    for _ in 0..3 {
        let p = page(&c, &s, cursor.as_deref(), now).unwrap();
        sizes.push(p.records);
        seen.extend(ids(&p));
        cursor = Some(p.cursor);
    }
    assert_eq!(sizes, vec![5, 5, 2]);
    assert_eq!(seen, (1..13).map(|i| format!("doc-{i:04}")).collect::<Vec<_>>(), "oldest first, the old one left out");
    // Every request after the first kept the query (oldest first, all events, 5 a page).
    let reqs = sb.requests();
    assert!(
        reqs[1..3]
            .iter()
            .all(|r| r.query.contains("order=asc") && r.query.contains("per_page=5") && r.query.contains("after=sbx"))
    );
    assert!(reqs.iter().all(|r| !r.query.contains("vigil-newest")), "our part of the cursor stays ours");
    // The last page had no next link: the cursor asks again from ten minutes before the newest
    // record read (ids dedupe what is read twice), so a record GitHub indexes late with an
    // earlier time is still read.
    let cur = cursor.clone().unwrap();
    assert!(cur.starts_with("phrase=created%3A%3E%3D"), "{cur}");
    sb.add_github_audit([record(13, now - 3_600_000 + 20_000), record(14, now - 3_600_000 + 5_500)]);
    let mut again = Vec::new();
    let mut cur = cursor.clone();
    for _ in 0..10 {
        let p = page(&c, &s, cur.as_deref(), now).unwrap();
        again.extend(ids(&p));
        let done = !p.more;
        cur = Some(p.cursor);
        if done {
            break;
        }
    }
    assert!(again.contains(&"doc-0013".to_string()) && again.contains(&"doc-0014".to_string()), "{again:?}");
    assert!(again.contains(&"doc-0012".to_string()), "the overlap is read again: {again:?}");
    // A record stamped days ahead does not carry the cursor past everything.
    sb.add_github_audit([record(15, now + 5 * 86_400_000)]);
    let mut seen_future = false;
    for _ in 0..10 {
        let p = page(&c, &s, cur.as_deref(), now).unwrap();
        seen_future |= ids(&p).contains(&"doc-0015".to_string());
        let done = !p.more;
        cur = Some(p.cursor);
        if done {
            break;
        }
    }
    assert!(seen_future);
    let newest: i64 = cur.unwrap().rsplit("vigil-newest=").next().unwrap().parse().unwrap();
    assert!(newest <= now + 5 * 60_000, "capped at a few minutes past now");
    let reqs = sb.requests();
    assert!(reqs.iter().all(|r| r.path.ends_with("/github/orgs/acme/audit-log")), "requests go to the org's own path");
    assert!(reqs.iter().all(|r| r.header("x-github-api-version") == Some("2022-11-28")));
}

#[test]
fn rate_limits_and_refusals_in_githubs_words() {
    let (sb, c, s) = setup("acme");
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_github_audit((0..3).map(|i| record(i, now - 60_000)));
    sb.fail_next("/github/orgs/acme/audit-log", 403, Some(1));
    let p = page(&c, &s, None, now).unwrap();
    assert_eq!((p.records, p.attempts), (3, 2));
    assert!(p.waited >= Duration::from_secs(1));
    let mut wrong = vigil_connectors::Secrets::new();
    wrong.insert("github_token", "ghp_wrong");
    let e = page(&c, &wrong, None, now).unwrap_err().to_string();
    assert!(e.contains("HTTP 401") && e.contains("Bad credentials") && e.contains("read:audit_log"), "{e}");
    assert!(!e.contains("ghp_wrong"));
    let (_sb2, other, s2) = setup("nope");
    let e = page(&other, &s2, None, now).unwrap_err().to_string();
    assert!(e.contains("HTTP 404") && e.contains("\"nope\""), "{e}");
}
