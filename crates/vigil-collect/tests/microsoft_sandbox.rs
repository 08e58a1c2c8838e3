//! The Microsoft pollers (Entra ID sign-ins and directory audits, Microsoft Graph security
//! alerts, Defender for Endpoint alerts) against the local vendor sandbox: the identity
//! platform's client-credentials grant, OData listings with `$filter`/`$orderby`/`$top` and an
//! `@odata.nextLink` carrying a `$skiptoken`, bearer tokens checked for their audience and
//! lifetime, `Retry-After` on 429 and 503, and Microsoft's error bodies.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::sandbox::Sandbox;
use vigil_connectors::{ConnectorError, HttpRequest, HttpResponse, HttpTransport, Secrets, Transport};

const KINDS: [Kind; 4] = [Kind::EntraSignIns, Kind::EntraAudits, Kind::GraphSecurityAlerts, Kind::DefenderAlerts];

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The path each kind's listing is served at.
fn path(kind: Kind) -> &'static str {
    match kind {
        Kind::EntraSignIns => "/graph/v1.0/auditLogs/signIns",
        Kind::EntraAudits => "/graph/v1.0/auditLogs/directoryAudits",
        Kind::GraphSecurityAlerts => "/graph/v1.0/security/alerts_v2",
        _ => "/defender/api/alerts",
    }
}

/// A record of `kind` with id `{n}` at `at_ms`, shaped as the API returns it.
fn record(kind: Kind, n: u32, at_ms: i64) -> Value {
    let t = iso(at_ms);
    match kind {
        Kind::EntraSignIns => json!({
            "id": format!("si-{n:04}"), "createdDateTime": t, "userDisplayName": "Alice",
            "userPrincipalName": "alice@contoso.com", "userId": "d3c4b2a1-0000-4000-8000-000000000001",
            "appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "appDisplayName": "Graph Explorer",
            "ipAddress": "203.0.113.7", "clientAppUsed": "Browser", "conditionalAccessStatus": "success",
            "isInteractive": true, "riskLevelDuringSignIn": "none",
            "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": null},
            "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US"}
        }),
        Kind::EntraAudits => json!({
            "id": format!("Directory_{n:04}"), "category": "UserManagement", "correlationId": "c-1",
            "result": "success", "resultReason": "", "activityDisplayName": "Update user",
            "activityDateTime": t, "loggedByService": "Core Directory", "operationType": "Update",
            "initiatedBy": {"app": null, "user": {"id": "u-9", "displayName": null,
                "userPrincipalName": "admin@contoso.com", "ipAddress": "203.0.113.8"}},
            "targetResources": [{"id": "u-1", "displayName": null, "type": "User",
                "userPrincipalName": "alice@contoso.com", "modifiedProperties": []}],
            "additionalDetails": []
        }),
        Kind::GraphSecurityAlerts => json!({
            "@odata.type": "#microsoft.graph.security.alert",
            "id": format!("da{n:04}"), "providerAlertId": format!("p{n}"), "incidentId": "2972395",
            "status": "new", "severity": "medium", "classification": null, "determination": null,
            "serviceSource": "microsoftDefenderForEndpoint", "detectionSource": "antivirus",
            "title": "Suspicious execution of hidden file", "category": "DefenseEvasion",
            "createdDateTime": t, "lastUpdateDateTime": t, "firstActivityDateTime": t,
            "evidence": []
        }),
        _ => json!({
            "id": format!("da{n:04}"), "incidentId": 118, "severity": "Medium", "status": "New",
            "title": "Low-reputation arbitrary code executed by signed executable",
            "category": "Execution", "detectionSource": "WindowsDefenderAtp",
            "alertCreationTime": t, "firstEventTime": t, "lastEventTime": t, "lastUpdateTime": t,
            "machineId": "111e6dd8c833c8a052ea231ec1b19adaf497b625", "computerDnsName": "temp123.middleeast.corp.microsoft.com"
        }),
    }
}

fn add(sb: &Sandbox, kind: Kind, records: Vec<Value>) {
    match kind {
        Kind::EntraSignIns => sb.add_entra_sign_ins(records),
        Kind::EntraAudits => sb.add_entra_audits(records),
        Kind::GraphSecurityAlerts => sb.add_graph_alerts(records),
        _ => sb.add_defender_alerts(records),
    }
}

fn setup(kind: Kind) -> (Sandbox, Connection, Secrets) {
    let sb = Sandbox::start().unwrap();
    let cfg = sb.config();
    let (base, secret) = if kind == Kind::DefenderAlerts {
        (cfg["defender"]["base_url"].as_str().unwrap().to_string(), "defender")
    } else {
        (cfg["entra"]["graph_base"].as_str().unwrap().to_string(), "entra")
    };
    let tenant = cfg["entra"]["tenant_id"].as_str().unwrap().to_string();
    let mut c = Connection::new("ms", kind, &base, secret, Some(&tenant)).unwrap();
    c.auth_url = Some(cfg["entra"]["login_base"].as_str().unwrap().to_string());
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

fn ids(p: &Page) -> Vec<String> {
    p.lines.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string()).collect()
}

/// Reads until the listing ends; the pages' ids, lines and the cursor after them.
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

fn token_requests(sb: &Sandbox) -> usize {
    sb.requests().iter().filter(|r| r.path.ends_with("/oauth2/v2.0/token")).count()
}

fn name(kind: Kind, n: u32) -> String {
    record(kind, n, 0)["id"].as_str().unwrap().to_string()
}

#[test]
fn each_kind_pages_to_the_end_from_the_backfill_window_and_past_it() {
    for kind in KINDS {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        // Nothing yet: the poll is empty and the cursor stays.
        let empty = page(&c, &s, None, now).unwrap();
        assert_eq!((empty.records, empty.more), (0, false), "{kind:?}");
        let again = page(&c, &s, Some(&empty.cursor), now).unwrap();
        assert_eq!(again.cursor, empty.cursor, "{kind:?}: an empty poll keeps the cursor");
        // One record before the backfill window; twelve within it, added out of time order.
        add(&sb, kind, vec![record(kind, 0, now - 8 * 86_400_000)]);
        add(&sb, kind, (1..13).rev().map(|i| record(kind, i, now - 3_600_000 + i64::from(i) * 1000)).collect());
        sb.clear_requests();
        let mut cursor = None;
        let (mut seen, mut sizes, mut more, mut newest) = (Vec::new(), Vec::new(), Vec::new(), None);
        for _ in 0..3 {
            let p = page(&c, &s, cursor.as_deref(), now).unwrap();
            sizes.push(p.records);
            more.push(p.more);
            seen.extend(ids(&p));
            newest = p.newest_ms;
            cursor = Some(p.cursor);
        }
        let last = chrono::DateTime::parse_from_rfc3339(&iso(now - 3_600_000 + 12_000)).unwrap().timestamp_millis();
        assert_eq!(newest, Some(last), "{kind:?}: the newest record's time, for the source's lag");
        assert_eq!((sizes, more), (vec![5, 5, 2], vec![true, true, false]), "{kind:?}");
        assert_eq!(
            seen,
            (1..13).map(|i| name(kind, i)).collect::<Vec<_>>(),
            "{kind:?}: oldest first, the old one left out"
        );
        let reqs: Vec<_> = sb.requests().into_iter().filter(|r| r.path == path(kind)).collect();
        let filter = reqs[0].query_param("$filter").unwrap();
        let since =
            chrono::DateTime::parse_from_rfc3339(filter.rsplit(' ').next().unwrap()).unwrap().timestamp_millis();
        assert!((now - 7 * 86_400_000 - since).abs() < 1000, "{kind:?}: the backfill window: {filter}");
        assert!(reqs[0].query_param("$orderby").unwrap().ends_with(" asc"));
        assert_eq!(reqs[0].query_param("$top").as_deref(), Some("5"));
        assert!(
            reqs[1..].iter().all(|r| r.query.contains("$skiptoken=")),
            "{kind:?}: the next link's query is the cursor"
        );
        assert!(reqs.iter().all(|r| !r.query.contains("vigil-newest")), "our part of the cursor stays ours");
        assert_eq!(token_requests(&sb), 3, "{kind:?}: one token a page, never kept");
        // Past the end: the cursor asks again from ten minutes before the newest record read.
        let cur = cursor.unwrap();
        assert!(cur.starts_with("$filter="), "{kind:?}: {cur}");
        let (reread, _, after) = drain(&c, &s, Some(cur.clone()), now);
        assert_eq!(reread.len(), 12, "{kind:?}: the overlap is read again (identical records, deduped on ingest)");
        assert_eq!(after, cur, "{kind:?}: nothing new keeps the cursor");
    }
}

#[test]
fn late_records_duplicates_and_a_restart_neither_lose_nor_repeat() {
    for kind in KINDS {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        let t0 = now - 3_600_000;
        add(&sb, kind, (1..=12).map(|i| record(kind, i, t0 + i64::from(i) * 60_000)).collect());
        // Two pages, then a restart from the kept cursor: the listing carries on where it was.
        let p1 = page(&c, &s, None, now).unwrap();
        let p2 = page(&c, &s, Some(&p1.cursor), now).unwrap();
        let kept = p2.cursor.clone();
        let (rest, _, end) = drain(&c, &s, Some(kept), now);
        let mut first: Vec<String> = ids(&p1).into_iter().chain(ids(&p2)).chain(rest).collect();
        assert_eq!(
            first,
            (1..=12).map(|i| name(kind, i)).collect::<Vec<_>>(),
            "{kind:?}: no loss, no repeat mid-listing"
        );
        let mut lines: BTreeMap<String, String> = BTreeMap::new();
        for l in p1.lines.lines().chain(p2.lines.lines()) {
            let v: Value = serde_json::from_str(l).unwrap();
            lines.insert(v["id"].as_str().unwrap().to_string(), l.to_string());
        }
        // A record that reaches the log late with an earlier time (within the overlap), one
        // newer, and (for the logs) a duplicate delivery.
        let late = record(kind, 13, t0 + 12 * 60_000 - 4 * 60_000);
        let newer = record(kind, 14, t0 + 13 * 60_000);
        add(&sb, kind, vec![late, newer, record(kind, 12, t0 + 12 * 60_000)]);
        let (next, next_lines, end2) = drain(&c, &s, Some(end), now);
        assert!(next.contains(&name(kind, 13)), "{kind:?}: the late record is read: {next:?}");
        assert!(next.contains(&name(kind, 14)), "{kind:?}: {next:?}");
        // Whatever is read again is the same record, byte for byte: one event once ingested.
        for l in &next_lines {
            let v: Value = serde_json::from_str(l).unwrap();
            let id = v["id"].as_str().unwrap().to_string();
            if let Some(before) = lines.get(&id) {
                assert_eq!(before, l, "{kind:?}: {id} read again differs");
            }
            lines.insert(id, l.clone());
        }
        first.extend(next);
        first.sort();
        first.dedup();
        assert_eq!(first, (1..=14).map(|i| name(kind, i)).collect::<Vec<_>>(), "{kind:?}");
        // Nothing new: the cursor stays.
        let (_, _, end3) = drain(&c, &s, Some(end2.clone()), now);
        assert_eq!(end3, end2);
    }
}

#[test]
fn an_updated_alert_is_read_again_as_its_new_version() {
    for kind in [Kind::GraphSecurityAlerts, Kind::DefenderAlerts] {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        add(&sb, kind, (1..=3).map(|i| record(kind, i, now - 7_200_000 + i64::from(i) * 1000)).collect());
        let (got, _, cur) = drain(&c, &s, None, now);
        assert_eq!(got.len(), 3);
        // Resolved an hour later: its last-update time moves past the cursor's.
        let mut resolved = record(kind, 2, now - 3_600_000);
        let status = if kind == Kind::DefenderAlerts { "Resolved" } else { "resolved" };
        resolved["status"] = json!(status);
        add(&sb, kind, vec![resolved]);
        let (got, lines, _) = drain(&c, &s, Some(cur), now);
        // The two unchanged alerts again (the overlap, identical records), then the new version.
        assert_eq!(got, vec![name(kind, 1), name(kind, 3), name(kind, 2)], "{kind:?}");
        assert!(lines[2].contains(status) && !lines[0].contains(status));
    }
}

#[test]
fn rate_limits_and_server_errors_are_waited_out() {
    for kind in KINDS {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        add(&sb, kind, (1..=3).map(|i| record(kind, i, now - 60_000)).collect());
        sb.fail_next(path(kind), 429, Some(1));
        let p = page(&c, &s, None, now).unwrap();
        assert_eq!((p.records, p.attempts), (3, 3), "{kind:?}: the token, the 429, the page");
        assert!(p.waited >= Duration::from_secs(1), "{kind:?}: Retry-After waited: {:?}", p.waited);
        sb.fail_next(path(kind), 503, Some(1));
        sb.fail_next(path(kind), 500, None);
        let p = page(&c, &s, None, now).unwrap();
        assert_eq!((p.records, p.attempts), (3, 4), "{kind:?}: 503 and 500 retried");
        assert!(p.waited >= Duration::from_secs(1));
        // The token endpoint is retried the same way.
        sb.fail_next("/oauth2/v2.0/token", 500, None);
        assert_eq!(page(&c, &s, None, now).unwrap().attempts, 3);
        for _ in 0..4 {
            sb.fail_next(path(kind), 502, None);
        }
        let e = page(&c, &s, None, now).unwrap_err();
        assert!(e.is_transient() && e.to_string().contains("HTTP 502"), "{e}");
        sb.fail_next(path(kind), 429, Some(60));
        let e = page(&c, &s, None, now).unwrap_err();
        assert!(matches!(e, CollectError::RateLimited { wait_s: 60, .. }), "{kind:?}: {e}");
    }
}

#[test]
fn refused_credentials_say_what_the_registration_needs() {
    for (kind, needs) in [
        (Kind::EntraSignIns, "AuditLog.Read.All and Directory.Read.All"),
        (Kind::EntraAudits, "AuditLog.Read.All"),
        (Kind::GraphSecurityAlerts, "SecurityAlert.Read.All"),
        (Kind::DefenderAlerts, "WindowsDefenderATP application permission Alert.Read.All"),
    ] {
        let (sb, c, s) = setup(kind);
        let mut wrong = s.clone();
        let secret_name = format!("{}_client_secret", c.secret);
        wrong.insert(&secret_name, "not-the-secret");
        let e = page(&c, &wrong, None, 0).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, CollectError::Auth { status: 401, .. }), "{text}");
        assert!(text.contains("AADSTS7000215") && text.contains("client secret"), "{text}");
        assert!(!text.contains("not-the-secret"));
        sb.fail_next(path(kind), 403, None);
        let e = page(&c, &s, None, 0).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, CollectError::Auth { status: 403, .. }), "{text}");
        assert!(text.contains(needs), "{kind:?}: {text}");
        let mut other = c.clone();
        other.org = Some("00000000-0000-0000-0000-000000000000".into());
        let text = page(&other, &s, None, 0).unwrap_err().to_string();
        assert!(text.contains("AADSTS90002"), "{text}");
        let mut missing = Secrets::new();
        missing.insert(&format!("{}_client_id", c.secret), "x");
        assert!(page(&c, &missing, None, 0).unwrap_err().to_string().contains(&secret_name));
    }
    // A token for the other API is refused for its audience, and not fetched again.
    let (sb, mut c, s) = setup(Kind::DefenderAlerts);
    c.secret = "entra".into();
    let e = page(&c, &s, None, 0).unwrap_err().to_string();
    assert!(e.contains("AADSTS700016") || e.contains("HTTP 401"), "{e}");
    assert!(token_requests(&sb) <= 1);
}

#[test]
fn an_expired_token_is_fetched_again_once() {
    for kind in KINDS {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        add(&sb, kind, (1..=2).map(|i| record(kind, i, now - 60_000)).collect());
        sb.expire_next_tokens(1);
        let p = page(&c, &s, None, now).unwrap();
        assert_eq!((p.records, p.attempts), (2, 4), "{kind:?}: token, 401, token, page");
        assert_eq!(token_requests(&sb), 2);
        sb.expire_next_tokens(2);
        let e = page(&c, &s, None, now).unwrap_err();
        let text = e.to_string();
        assert!(matches!(e, CollectError::Auth { status: 401, .. }), "{text}");
        assert!(text.contains("InvalidAuthenticationToken") && text.contains("expired"), "{text}");
        assert_eq!(token_requests(&sb), 4, "{kind:?}: once, not again and again");
    }
}

/// The sandbox's answers with their `@odata.nextLink` pointed at another origin.
struct Elsewhere(HttpTransport);

impl Transport for Elsewhere {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let mut resp = self.0.send(req)?;
        if let Ok(mut v) = serde_json::from_slice::<Value>(&resp.body)
            && let Some(link) = v.get("@odata.nextLink").and_then(Value::as_str)
        {
            let moved = link.replacen("127.0.0.1", "attacker.example", 1);
            v["@odata.nextLink"] = json!(moved);
            resp.body = v.to_string().into_bytes();
        }
        Ok(resp)
    }
}

#[test]
fn a_next_link_to_another_origin_is_refused() {
    for kind in KINDS {
        let (sb, c, s) = setup(kind);
        let now = chrono::Utc::now().timestamp_millis();
        add(&sb, kind, (1..=8).map(|i| record(kind, i, now - 60_000 + i64::from(i))).collect());
        let e = next_page(&c, &s, &Elsewhere(HttpTransport::default()), &fast(), None, now).unwrap_err();
        assert!(matches!(e, CollectError::BadResponse { .. }), "{e}");
        assert!(e.to_string().contains("another origin") && e.to_string().contains("attacker.example"), "{e}");
        assert!(sb.requests().iter().all(|r| !r.path.contains("attacker")));
    }
}

#[test]
fn the_sandbox_speaks_odata_as_microsoft_does() {
    let (sb, c, s) = setup(Kind::EntraSignIns);
    let token = {
        let t = HttpTransport::default();
        let form = [
            ("client_id", s.get("entra_client_id").unwrap()),
            ("scope", "https://graph.microsoft.com/.default"),
            ("client_secret", s.get("entra_client_secret").unwrap()),
            ("grant_type", "client_credentials"),
        ];
        let url = format!("{}/{}/oauth2/v2.0/token", c.auth_url.clone().unwrap(), c.org.clone().unwrap());
        let r = t.send(&HttpRequest::new("POST", url).with_form(&form)).unwrap();
        r.json().unwrap()["access_token"].as_str().unwrap().to_string()
    };
    let get = |query: &str| {
        let url = format!("{}/v1.0/auditLogs/signIns?{query}", c.base_url);
        HttpTransport::default()
            .send(&HttpRequest::new("GET", url).with_header("Authorization", format!("Bearer {token}")))
            .unwrap()
    };
    for bad in [
        "$filter=userId%20eq%20%27x%27",
        "$filter=createdDateTime%20le%202024-01-01T00:00:00Z",
        "$orderby=userId%20asc",
        "$top=1001",
        "$top=0",
        "$skiptoken=garbage!",
    ] {
        let r = get(bad);
        assert_eq!(r.status, 400, "{bad}");
        assert!(r.json().unwrap()["error"]["code"].as_str().is_some(), "{bad}");
    }
    let r = get("$top=1000");
    assert_eq!(r.status, 200);
    assert_eq!(r.json().unwrap()["value"], json!([]));
    drop(sb);
}
