//! The Google Workspace poller against the local vendor sandbox: a service account's RS256
//! assertion exchanged at the token endpoint, the Reports API's activity listings (newest first,
//! `startTime`/`endTime`/`maxResults`/`pageToken`) of several applications, rate limits, server
//! errors, expired tokens, refused keys, late activities and a restart from a kept cursor.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::Value;
use vigil_collect::{CollectError, Connection, Page, RetryPolicy, next_page};
use vigil_connectors::sandbox::{Sandbox, gworkspace_activity};
use vigil_connectors::{HttpTransport, Secrets};

const HOUR: i64 = 3_600_000;

fn setup() -> (Sandbox, Connection, Secrets) {
    let sb = Sandbox::start().unwrap();
    let cfg = sb.config();
    let mut c = Connection::google_workspace(
        "gws",
        cfg["google"]["base_url"].as_str().unwrap(),
        "gworkspace_key",
        cfg["google"]["subject"].as_str(),
    )
    .unwrap();
    c.page_limit = 5;
    c.validate().unwrap();
    let s = sb.secrets();
    (sb, c, s)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn page(c: &Connection, s: &Secrets, cursor: Option<&str>, now: i64) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, now)
}

/// `app-n`: an activity of `app` with unique qualifier `n` at `at_ms`.
fn act(app: &str, n: u64, at_ms: i64) -> Value {
    gworkspace_activity(app, n, at_ms, "alice@acme.example", "203.0.113.9")
}

fn name(v: &Value) -> String {
    let app = v.pointer("/id/applicationName").and_then(Value::as_str).unwrap();
    let q = v.pointer("/id/uniqueQualifier").and_then(Value::as_str).unwrap();
    let n: u64 = q.trim_start_matches('-').parse::<u64>().unwrap() - 4_000_000_000_000_000_000;
    format!("{app}-{n}")
}

fn ids(p: &Page) -> Vec<String> {
    p.lines.lines().map(|l| name(&serde_json::from_str(l).unwrap())).collect()
}

/// Reads pages until the round ends; the ids, the lines and the cursor after them.
fn drain(c: &Connection, s: &Secrets, mut cursor: Option<String>, now: i64) -> (Vec<String>, Vec<String>, String) {
    let (mut all, mut lines) = (Vec::new(), Vec::new());
    for _ in 0..50 {
        let p = page(c, s, cursor.as_deref(), now).unwrap();
        all.extend(ids(&p));
        lines.extend(p.lines.lines().map(str::to_string));
        cursor = Some(p.cursor);
        if !p.more {
            break;
        }
    }
    (all, lines, cursor.unwrap())
}

fn listings(sb: &Sandbox) -> Vec<vigil_connectors::sandbox::RecordedRequest> {
    sb.requests().into_iter().filter(|r| r.path.contains("/admin/reports/v1/")).collect()
}

fn token_requests(sb: &Sandbox) -> usize {
    sb.requests().iter().filter(|r| r.path == "/google/token").count()
}

fn names(app: &str, ns: impl IntoIterator<Item = u64>) -> Vec<String> {
    ns.into_iter().map(|n| format!("{app}-{n}")).collect()
}

#[test]
fn every_application_pages_newest_first_within_the_backfill_window() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    // login 1..=7 an hour apart (7 the newest), admin 11..=13, no drive, token 21..=26; and one
    // login activity older than the 7-day backfill.
    sb.add_gworkspace_activities((1..=7).map(|n| act("login", n, now - 10 * HOUR + n as i64 * HOUR)));
    sb.add_gworkspace_activities((11..=13).map(|n| act("admin", n, now - 20 * HOUR + (n - 10) as i64 * HOUR)));
    sb.add_gworkspace_activities((21..=26).map(|n| act("token", n, now - 30 * HOUR + (n - 20) as i64 * HOUR)));
    sb.add_gworkspace_activities([act("login", 99, now - 8 * 24 * HOUR)]);
    let (read, _, cursor) = drain(&c, &s, None, now);
    let mut want = names("login", (1..=7).rev());
    want.extend(names("admin", (11..=13).rev()));
    want.extend(names("token", (21..=26).rev()));
    assert_eq!(read, want, "each application newest first, each activity once, none before the backfill");
    // login and token took two pages of five, admin and drive one each.
    let l = listings(&sb);
    let apps: Vec<&str> = l.iter().map(|r| r.path.rsplit('/').next().unwrap()).collect();
    assert_eq!(apps, ["login", "login", "admin", "drive", "token", "token"]);
    let start = chrono::DateTime::from_timestamp_millis(now - 7 * 24 * HOUR)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    for r in &l {
        assert_eq!(r.query_param("startTime").as_deref(), Some(start.as_str()), "{}", r.query);
        assert_eq!(r.query_param("maxResults").as_deref(), Some("5"));
        assert!(r.query_param("endTime").is_some());
        assert!(r.header("authorization").unwrap().starts_with("Bearer ya29."));
    }
    // The second page of a window is the same query with Google's page token.
    assert!(l[1].query_param("pageToken").is_some() && l[0].query_param("pageToken").is_none());
    // Nothing new: the next round reads again only the last hour before each newest activity
    // (the overlap), the same bytes.
    sb.clear_requests();
    let (again, _, cursor2) = drain(&c, &s, Some(cursor.clone()), now);
    assert_eq!(again, ["login-7", "login-6", "admin-13", "admin-12", "token-26", "token-25"]);
    assert_eq!(listings(&sb).len(), 4);
    let (_, _, cursor3) = drain(&c, &s, Some(cursor2.clone()), now);
    assert_eq!(cursor3, cursor2, "the cursor settles");
}

#[test]
fn a_configured_list_of_applications_is_read_and_only_it() {
    let (sb, mut c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    c.applications = Some(vec!["drive".into(), "saml".into()]);
    c.validate().unwrap();
    let sim = sb.simulate_gworkspace_activity(3, now - 5 * HOUR, now - HOUR);
    assert_eq!(sim.len(), 12);
    let (read, lines, _) = drain(&c, &s, None, now);
    assert_eq!(read.len(), 3, "{read:?}");
    assert!(read.iter().all(|r| r.starts_with("drive-")));
    for l in lines {
        assert!(sim.contains(&serde_json::from_str::<Value>(&l).unwrap()), "served as added: {l}");
    }
    let apps: Vec<String> = listings(&sb).iter().map(|r| r.path.rsplit('/').next().unwrap().to_string()).collect();
    assert_eq!(apps, ["drive", "saml"]);
}

#[test]
fn rate_limits_are_waited_out_and_server_errors_retried() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_gworkspace_activities((1..=3).map(|n| act("login", n, now - n as i64 * HOUR)));
    sb.fail_next("/applications/login", 429, Some(1));
    let p = page(&c, &s, None, now).unwrap();
    assert_eq!(ids(&p), ["login-1", "login-2", "login-3"]);
    assert_eq!(p.attempts, 3, "token, 429, the listing");
    assert!(p.waited >= Duration::from_secs(1), "Retry-After honoured: {:?}", p.waited);
    sb.fail_next("/applications/admin", 503, None);
    sb.fail_next("/applications/admin", 500, None);
    let p = page(&c, &s, Some(&p.cursor), now).unwrap();
    assert_eq!((p.records, p.attempts), (0, 4), "token, 503, 500, the listing");
    // Still failing after every attempt: a transient error naming the vendor.
    for _ in 0..4 {
        sb.fail_next("/applications/drive", 503, None);
    }
    let e = page(&c, &s, Some(&p.cursor), now).unwrap_err();
    assert!(e.is_transient() && e.to_string().contains("Google Workspace Reports API"), "{e}");
    // 429 at the token endpoint is waited out too.
    sb.fail_next("/google/token", 429, Some(1));
    let p2 = page(&c, &s, Some(&p.cursor), now).unwrap();
    assert_eq!(p2.attempts, 3);
}

#[test]
fn an_expired_token_is_fetched_again_once() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_gworkspace_activities([act("login", 1, now - HOUR)]);
    sb.expire_next_tokens(1);
    let p = page(&c, &s, None, now).unwrap();
    assert_eq!(ids(&p), ["login-1"]);
    assert_eq!(token_requests(&sb), 2);
    // Refused again with a fresh token: an error saying what the delegation needs.
    sb.expire_next_tokens(2);
    let e = page(&c, &s, Some(&p.cursor), now).unwrap_err();
    assert!(matches!(e, CollectError::Auth { status: 401, .. }), "{e}");
    assert!(e.to_string().contains("domain-wide delegation"), "{e}");
    assert_eq!(token_requests(&sb), 4);
}

#[test]
fn bad_keys_subjects_and_delegation_are_refused_with_clear_messages() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    let with_key = |key: &str| {
        let mut s2 = s.clone();
        s2.insert("gworkspace_key", key);
        s2
    };
    // A key the service account does not have.
    let e = page(&c, &with_key(&sb.gworkspace_foreign_key()), None, now).unwrap_err();
    assert!(matches!(e, CollectError::Auth { status: 400, .. }), "{e}");
    let m = e.to_string();
    assert!(m.contains("Invalid JWT Signature") && m.contains("deleted"), "{m}");
    // Not a key at all, and a key whose PEM is broken: named locally, never sent, never quoted.
    let e = page(&c, &with_key("hunter2-not-json"), None, now).unwrap_err().to_string();
    assert!(e.contains("gworkspace_key") && e.contains("JSON key") && !e.contains("hunter2"), "{e}");
    let mut broken: Value = serde_json::from_str(s.get("gworkspace_key").unwrap()).unwrap();
    broken["private_key"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into();
    let e = page(&c, &with_key(&broken.to_string()), None, now).unwrap_err().to_string();
    assert!(e.contains("PKCS#8"), "{e}");
    // A subject that is not a user of the domain.
    let mut other = c.clone();
    other.subject = Some("nobody@acme.example".into());
    let e = page(&other, &s, None, now).unwrap_err().to_string();
    assert!(e.contains("Invalid email or User ID") && e.contains("subject"), "{e}");
    assert!(listings(&sb).is_empty(), "no listing without a token");
    // The Reports API refusing the administrator: 403 naming the scope and the delegation.
    sb.fail_next("/applications/login", 403, None);
    let e = page(&c, &s, None, now).unwrap_err().to_string();
    assert!(
        e.contains("PERMISSION_DENIED") && e.contains("admin.reports.audit.readonly") && e.contains("delegation"),
        "{e}"
    );
    // The token endpoint is only ever an https one, or loopback http.
    let mut off = c.clone();
    off.auth_url = Some("http://oauth2.example/token".into());
    assert!(off.validate().unwrap_err().to_string().contains("auth URL"));
}

#[test]
fn credentials_go_only_to_the_token_endpoint_and_the_base_url() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_gworkspace_activities((1..=6).map(|n| act("token", n, now - n as i64 * 60_000)));
    drain(&c, &s, None, now);
    for r in sb.requests() {
        if r.path == "/google/token" {
            assert_eq!(r.method, "POST");
            assert!(r.header("authorization").is_none());
            let form = r.form();
            let grant = form.iter().find(|(k, _)| k == "grant_type").map(|(_, v)| v.as_str());
            assert_eq!(grant, Some("urn:ietf:params:oauth:grant-type:jwt-bearer"));
            // The assertion is a signed JWT, not the key.
            let assertion = &form.iter().find(|(k, _)| k == "assertion").unwrap().1;
            assert_eq!(assertion.split('.').count(), 3);
            assert!(!r.body.contains("PRIVATE"));
        } else {
            assert!(r.path.starts_with("/google/admin/reports/v1/activity/users/all/applications/"), "{}", r.path);
            assert_eq!(r.method, "GET");
        }
    }
}

#[test]
fn a_late_activity_within_the_overlap_is_read_and_rereads_are_identical() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    let t0 = now - 6 * HOUR;
    sb.add_gworkspace_activities((1..=4).map(|n| act("drive", n, t0 + n as i64 * HOUR)));
    let (first, first_lines, cursor) = drain(&c, &s, None, now);
    assert_eq!(first, names("drive", (1..=4).rev()));
    let mut seen: BTreeMap<String, String> =
        first.iter().cloned().zip(first_lines.iter().cloned()).collect::<BTreeMap<_, _>>();
    // Reaching the reports late: 5 thirty minutes before the newest read (within the overlap),
    // 6 newer than anything read, and 4 delivered twice.
    let newest = t0 + 4 * HOUR;
    sb.add_gworkspace_activities([
        act("drive", 5, newest - 30 * 60_000),
        act("drive", 6, newest + 10 * 60_000),
        act("drive", 4, newest),
    ]);
    let later = now + 5 * 60_000;
    let (next, next_lines, _) = drain(&c, &s, Some(cursor), later);
    // The window starts an hour before the newest read: 3 (exactly then) is read again too.
    assert_eq!(next, ["drive-6", "drive-4", "drive-4", "drive-5", "drive-3"]);
    for (id, line) in next.iter().zip(next_lines) {
        if let Some(before) = seen.get(id) {
            assert_eq!(before, &line, "{id} read again differs");
        }
        seen.insert(id.clone(), line);
    }
    assert_eq!(seen.len(), 6, "after dedupe, every activity once: {:?}", seen.keys());
}

#[test]
fn a_restart_from_a_kept_cursor_neither_loses_nor_repeats() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    let t0 = now - 2 * HOUR;
    sb.add_gworkspace_activities((1..=12).map(|n| act("login", n, t0 + n as i64 * 60_000)));
    sb.add_gworkspace_activities((31..=33).map(|n| act("admin", n, t0 + n as i64 * 60_000)));
    let p1 = page(&c, &s, None, now).unwrap();
    let p2 = page(&c, &s, Some(&p1.cursor), now).unwrap();
    assert!(p2.more);
    // Vigil stops here, with p2's cursor committed; meanwhile newer activity arrives (after
    // the window's end: the next round's).
    sb.add_gworkspace_activities([act("login", 13, now + 60_000)]);
    let kept = p2.cursor.clone();
    let restart_at = now + 2 * 60_000;
    let (rest, _, end) = drain(&c, &s, Some(kept), restart_at);
    let round: Vec<String> = ids(&p1).into_iter().chain(ids(&p2)).chain(rest).collect();
    let mut want = names("login", (1..=12).rev());
    want.extend(names("admin", (31..=33).rev()));
    assert_eq!(round, want, "the window carries on where it stopped: nothing lost, nothing twice");
    // The next round reads 13 (and the overlap again, which dedupes).
    let (next, _, _) = drain(&c, &s, Some(end), restart_at);
    assert_eq!(next.first().map(String::as_str), Some("login-13"));
    assert!(next.iter().filter(|n| *n == "login-13").count() == 1);
}

#[test]
fn a_page_token_google_refuses_restarts_the_window() {
    let (sb, c, s) = setup();
    let now = chrono::Utc::now().timestamp_millis();
    sb.add_gworkspace_activities((1..=7).map(|n| act("login", n, now - n as i64 * 60_000)));
    let p1 = page(&c, &s, None, now).unwrap();
    assert_eq!(ids(&p1), names("login", 1..=5));
    sb.fail_next("pageToken=", 400, None);
    let p2 = page(&c, &s, Some(&p1.cursor), now).unwrap();
    assert_eq!(ids(&p2), names("login", 1..=5), "read again from the window's newest");
    let p3 = page(&c, &s, Some(&p2.cursor), now).unwrap();
    assert_eq!(ids(&p3), names("login", 6..=7));
}

#[test]
fn a_kept_cursor_that_is_not_one_is_refused() {
    let (_sb, c, s) = setup();
    let e = page(&c, &s, Some("startTime=2024-01-01T00:00:00Z"), chrono::Utc::now().timestamp_millis()).unwrap_err();
    assert!(matches!(e, CollectError::Config(_)) && e.to_string().contains("cursor"), "{e}");
}
