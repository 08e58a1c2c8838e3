//! The Microsoft pollers: Entra ID sign-ins (`GET {base}/v1.0/auditLogs/signIns`) and directory
//! audits (`GET {base}/v1.0/auditLogs/directoryAudits`), Microsoft Graph security alerts
//! (`GET {base}/v1.0/security/alerts_v2`) — `base` is `https://graph.microsoft.com` — and
//! Defender for Endpoint alerts (`GET {base}/api/alerts`, `base`
//! `https://api.securitycenter.microsoft.com` or a regional one).
//!
//! Credentials: an app registration's client credentials (`<secret>_client_id`,
//! `<secret>_client_secret`) are exchanged at the Microsoft identity platform
//! (`{auth_url}/{tenant}/oauth2/v2.0/token`, `auth_url` by default
//! `https://login.microsoftonline.com`, the tenant in the connection's `org`) for an access
//! token with scope `https://graph.microsoft.com/.default` or
//! `https://api.securitycenter.microsoft.com/.default`. The token lives for one page only (it
//! is never kept past the call); when the API answers 401 because it has expired, a new one is
//! fetched and the request sent again, once.
//!
//! Paging: the first request asks for records from the backfill window
//! (`$filter={time} ge {T}&$orderby={time} asc&$top={page_limit}`, the time being
//! `createdDateTime`, `activityDateTime`, `lastUpdateDateTime` or `lastUpdateTime`); while the
//! answer has an `@odata.nextLink` back to the connection's own origin and API path, its query
//! (with the opaque `$skiptoken`) is the cursor and continues the listing. When the listing
//! ends, the cursor becomes a time-based one, as GitHub's poller does: the same query from
//! [`crate::OVERLAP_MS`] before the newest record read, the newest time travelling in the cursor
//! (`vigil-newest`, never sent to Microsoft, capped at a few minutes past now). Records that
//! reach the log late with an earlier time (Entra's sign-in and audit logs can lag by minutes)
//! are so still read; the ones read twice are identical records, which ingest dedupes by their
//! content id, so a restart from a kept cursor neither loses nor repeats an event. An alert is
//! read again when it changes (its last-update time moves): that is a new version of it, and a
//! new record.
//!
//! Rate limits: 429, and 503 with `Retry-After`, wait the seconds `Retry-After` names within
//! the policy's longest wait; other server errors are retried with back-off. Errors: Microsoft's
//! body (`{"error": {"code", "message", "innerError"}}`, and the identity platform's
//! `error`/`error_description`) is named; 401 and 403 say which application permission the
//! registration needs.

use std::time::Duration;

use serde_json::Value;
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{
    CollectError, Connection, Kind, NEWEST, OVERLAP_MS, Page, RetryPolicy, origin, query_ok, split_cursor, with_newest,
};

/// The vendor named in errors from the token endpoint.
const LOGIN: &str = "Microsoft identity platform";
/// Where tokens are asked for unless the connection names another `auth_url`.
pub const DEFAULT_AUTH_URL: &str = "https://login.microsoftonline.com";
const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const DEFENDER_SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";

/// An app registration's client credentials.
pub struct ClientCredentials<'a> {
    pub client_id: &'a str,
    pub client_secret: &'a str,
}

/// What differs between the four APIs.
struct Api {
    vendor: &'static str,
    path: &'static str,
    time_field: &'static str,
    scope: &'static str,
    unauthorized: &'static str,
    forbidden: &'static str,
}

fn api(kind: Kind) -> Api {
    const GRAPH_401: &str = "Microsoft Graph refused the access token: the app registration must belong to this tenant and be granted admin consent for its application permissions";
    match kind {
        Kind::EntraAudits => Api {
            vendor: "Microsoft Graph",
            path: "/v1.0/auditLogs/directoryAudits",
            time_field: "activityDateTime",
            scope: GRAPH_SCOPE,
            unauthorized: GRAPH_401,
            forbidden: "the app registration needs the Microsoft Graph application permission AuditLog.Read.All, with admin consent",
        },
        Kind::GraphSecurityAlerts => Api {
            vendor: "Microsoft Graph",
            path: "/v1.0/security/alerts_v2",
            time_field: "lastUpdateDateTime",
            scope: GRAPH_SCOPE,
            unauthorized: GRAPH_401,
            forbidden: "the app registration needs the Microsoft Graph application permission SecurityAlert.Read.All, with admin consent",
        },
        Kind::DefenderAlerts => Api {
            vendor: "Defender for Endpoint",
            path: "/api/alerts",
            time_field: "lastUpdateTime",
            scope: DEFENDER_SCOPE,
            unauthorized: "Defender for Endpoint refused the access token: the app registration must belong to this tenant, the tenant must have Defender for Endpoint, and the base URL must be its API (https://api.securitycenter.microsoft.com or a regional one)",
            forbidden: "the app registration needs the WindowsDefenderATP application permission Alert.Read.All (APIs my organization uses > WindowsDefenderATP), with admin consent",
        },
        // Sign-ins (and, unreachable, the kinds of other modules).
        _ => Api {
            vendor: "Microsoft Graph",
            path: "/v1.0/auditLogs/signIns",
            time_field: "createdDateTime",
            scope: GRAPH_SCOPE,
            unauthorized: GRAPH_401,
            forbidden: "the app registration needs the Microsoft Graph application permissions AuditLog.Read.All and Directory.Read.All, with admin consent, and the tenant an Entra ID P1 or P2 licence",
        },
    }
}

/// Whether `t` names a tenant as the identity platform takes it: its id (a GUID) or one of its
/// domain names (`contoso.onmicrosoft.com`).
pub fn tenant_ok(t: &str) -> bool {
    let guid = t.len() == 36
        && t.bytes()
            .enumerate()
            .all(|(i, b)| if [8, 13, 18, 23].contains(&i) { b == b'-' } else { b.is_ascii_hexdigit() });
    let domain = t.len() <= 253
        && t.contains('.')
        && t.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    guid || domain
}

/// The query from `since_ms`, oldest first.
fn since_query(conn: &Connection, api: &Api, since_ms: i64) -> String {
    let since = chrono::DateTime::from_timestamp_millis(since_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let enc = vigil_connectors::util::encode;
    format!(
        "$filter={}&$orderby={}&$top={}",
        enc(&format!("{} ge {since}", api.time_field)),
        enc(&format!("{} asc", api.time_field)),
        conn.page_limit
    )
}

/// How long a 429 (or a 503 with `Retry-After`) asks to wait.
pub(crate) fn reset_wait(resp: &HttpResponse) -> Option<Duration> {
    let s = resp.header("Retry-After")?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(s.max(1)))
}

/// A 503 with `Retry-After` is Microsoft's throttling too.
pub(crate) fn limited(resp: &HttpResponse) -> bool {
    resp.status == 503 && resp.header("Retry-After").is_some()
}

fn clip(s: &str) -> String {
    s.lines().next().unwrap_or_default().chars().take(300).collect()
}

/// Microsoft's error body in words: `{"error": {"code", "message"}}` (Graph, Defender) or
/// `{"error", "error_description"}` (the identity platform, whose description's first line is
/// the `AADSTS…` message); nothing when it has neither.
pub(crate) fn detail(resp: &HttpResponse) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else { return String::new() };
    let (code, message) = match v.get("error") {
        Some(Value::Object(e)) => (e.get("code").and_then(Value::as_str), e.get("message").and_then(Value::as_str)),
        Some(Value::String(code)) => (Some(code.as_str()), v.get("error_description").and_then(Value::as_str)),
        _ => (None, None),
    };
    match (code, message) {
        (Some(c), Some(m)) => format!(", {}: {}", clip(c), clip(m)),
        (Some(c), None) => format!(", {}", clip(c)),
        (None, Some(m)) => format!(": {}", clip(m)),
        (None, None) => String::new(),
    }
}

/// Whether a 401 says the token's lifetime is over (so a new one may be accepted).
pub(crate) fn token_expired(resp: &HttpResponse) -> bool {
    resp.status == 401 && detail(resp).to_ascii_lowercase().contains("expired")
}

/// An access token for `scope` by the client-credentials grant, with the requests and waiting
/// it took.
pub(crate) fn access_token(
    conn: &Connection,
    creds: &ClientCredentials<'_>,
    scope: &str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
) -> Result<(String, u32, Duration), CollectError> {
    let auth = conn.auth_url.as_deref().unwrap_or(DEFAULT_AUTH_URL).trim_end_matches('/');
    let tenant = vigil_connectors::util::encode(conn.org.as_deref().unwrap_or_default());
    let req = HttpRequest::new("POST", format!("{auth}/{tenant}/oauth2/v2.0/token"))
        .with_header("Accept", "application/json")
        .with_form(&[
            ("client_id", creds.client_id),
            ("scope", scope),
            ("client_secret", creds.client_secret),
            ("grant_type", "client_credentials"),
        ]);
    let (resp, attempts, waited) = crate::exchange(LOGIN, transport, policy, &req, &reset_wait, &limited)?;
    match resp.status {
        200 => {}
        400 | 401 => {
            return Err(CollectError::Auth {
                vendor: LOGIN,
                status: resp.status,
                detail: detail(&resp),
                hint: "the tenant, the application (client) id or its client secret is wrong, or the secret has expired (the secret's value is needed, not its id)",
            });
        }
        s => return Err(CollectError::Vendor { vendor: LOGIN, status: s, detail: detail(&resp) }),
    }
    let token = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .as_ref()
        .and_then(crate::token_of)
        .map(str::to_string)
        .ok_or_else(|| CollectError::BadResponse {
            vendor: LOGIN,
            why: "the token answer has no access_token".into(),
        })?;
    Ok((token, attempts, waited))
}

/// The cursor in an `@odata.nextLink`: its query, when the link points back at the connection's
/// own origin and API (never elsewhere: the token goes with every request).
fn cursor_of(conn: &Connection, api: &Api, link: &str) -> Result<String, CollectError> {
    let bad = |why: String| CollectError::BadResponse { vendor: api.vendor, why };
    if origin(link) != origin(&conn.base_url) {
        return Err(bad(format!("the next link points at another origin ({:?})", origin(link).unwrap_or_default())));
    }
    let (path, query) = link.split_once('?').ok_or_else(|| bad("the next link has no query".into()))?;
    let base_path = vigil_connectors::util::Url::parse(&conn.base_url)
        .map(|u| u.path.trim_end_matches('/').to_string())
        .unwrap_or_default();
    let link_path = vigil_connectors::util::Url::parse(path).map(|u| u.path).unwrap_or_default();
    if !link_path.eq_ignore_ascii_case(&format!("{base_path}{}", api.path)) {
        return Err(bad(format!("the next link is not the listing read ({link_path})")));
    }
    if !query_ok(query) || query.contains(NEWEST) {
        return Err(bad("the next link's query is not a cursor".into()));
    }
    Ok(query.to_string())
}

fn stamp(v: &Value, field: &str) -> Option<i64> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

pub(crate) fn next_page(
    conn: &Connection,
    creds: &ClientCredentials<'_>,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let api = api(conn.kind);
    let (query, newest_before) = match cursor {
        Some(c) => split_cursor(c),
        None => (since_query(conn, &api, now_ms - i64::from(conn.backfill_days) * 86_400_000), None),
    };
    if !query_ok(&query) {
        return Err(CollectError::Config(format!(
            "the kept cursor is not a query {} takes ({} bytes)",
            api.vendor,
            query.len()
        )));
    }
    let url = format!("{}{}?{query}", conn.base_url, api.path);
    let (mut token, mut attempts, mut waited) = access_token(conn, creds, api.scope, transport, policy)?;
    let mut refreshed = false;
    let resp = loop {
        let req = HttpRequest::new("GET", url.clone())
            .with_header("Authorization", format!("Bearer {token}"))
            .with_header("Accept", "application/json");
        let (resp, a, w) = crate::exchange(api.vendor, transport, policy, &req, &reset_wait, &limited)?;
        attempts += a;
        waited += w;
        if token_expired(&resp) && !refreshed {
            // Expired between the grant and the request: one new token, one more try.
            refreshed = true;
            let (t, a, w) = access_token(conn, creds, api.scope, transport, policy)?;
            (token, attempts, waited) = (t, attempts + a, waited + w);
            continue;
        }
        break resp;
    };
    match resp.status {
        200 => {}
        401 => {
            return Err(CollectError::Auth {
                vendor: api.vendor,
                status: 401,
                detail: detail(&resp),
                hint: api.unauthorized,
            });
        }
        403 => {
            return Err(CollectError::Auth {
                vendor: api.vendor,
                status: 403,
                detail: detail(&resp),
                hint: api.forbidden,
            });
        }
        s => return Err(CollectError::Vendor { vendor: api.vendor, status: s, detail: detail(&resp) }),
    }
    let body: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| CollectError::BadResponse { vendor: api.vendor, why: format!("the body is not JSON ({e})") })?;
    let Some(items) = body.get("value").and_then(Value::as_array) else {
        return Err(CollectError::BadResponse {
            vendor: api.vendor,
            why: "the body has no \"value\" array of records".into(),
        });
    };
    let next = match body.get("@odata.nextLink") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => {
            return Err(CollectError::BadResponse {
                vendor: api.vendor,
                why: "@odata.nextLink is not a string".into(),
            });
        }
    };
    let mut lines = String::new();
    let mut newest_ms = None;
    for item in items {
        // Every record goes on as one line; one that is not an object is still handed on, for
        // the decoder to quarantine with its reason.
        lines.push_str(&item.to_string());
        lines.push('\n');
        newest_ms = newest_ms.max(stamp(item, api.time_field));
    }
    let newest_ms = crate::newest_believed(newest_ms, now_ms);
    let newest_all = newest_before.max(newest_ms);
    let cursor = match next {
        Some(link) => with_newest(cursor_of(conn, &api, link)?, newest_all),
        // The end for now: ask again from a while before the newest record read.
        None => match newest_all {
            Some(t) => with_newest(since_query(conn, &api, t.saturating_sub(OVERLAP_MS)), Some(t)),
            None => with_newest(query, None),
        },
    };
    Ok(Page { lines, records: items.len(), cursor, newest_ms, more: next.is_some(), attempts, waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(kind: Kind, base: &str) -> Connection {
        let mut c = Connection::new("ms", kind, base, "entra", Some("contoso.onmicrosoft.com")).unwrap();
        c.page_limit = 50;
        c
    }

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn tenants_are_guids_or_domain_names() {
        for ok in ["72f988bf-86f1-41af-91ab-2d7cd011db47", "contoso.onmicrosoft.com", "acme.example"] {
            assert!(tenant_ok(ok), "{ok}");
        }
        for bad in ["", "common", "72f988bf-86f1-41af-91ab-2d7cd011db4", "a/b.com", "-x.com", "a..b", "x.com/../y"] {
            assert!(!tenant_ok(bad), "{bad}");
        }
        let e = Connection::new("ms", Kind::EntraSignIns, "https://graph.microsoft.com", "entra", None).unwrap_err();
        assert!(e.to_string().contains("tenant"), "{e}");
        let e = Connection::new("ms", Kind::EntraSignIns, "https://graph.microsoft.com", "entra", Some("common"))
            .unwrap_err();
        assert!(e.to_string().contains("tenant"), "{e}");
        let mut c = conn(Kind::EntraSignIns, "https://graph.microsoft.com");
        c.auth_url = Some("http://login.example".into());
        assert!(c.validate().unwrap_err().to_string().contains("auth URL"));
        c.auth_url = Some("http://127.0.0.1:9/login".into());
        c.validate().unwrap();
    }

    #[test]
    fn queries_name_each_apis_time_field() {
        let t = 1_700_000_000_000;
        let q = since_query(&conn(Kind::EntraSignIns, "https://graph.microsoft.com"), &api(Kind::EntraSignIns), t);
        assert_eq!(q, "$filter=createdDateTime%20ge%202023-11-14T22%3A13%3A20Z&$orderby=createdDateTime%20asc&$top=50");
        for (kind, field) in [
            (Kind::EntraAudits, "activityDateTime"),
            (Kind::GraphSecurityAlerts, "lastUpdateDateTime"),
            (Kind::DefenderAlerts, "lastUpdateTime"),
        ] {
            let q = since_query(&conn(kind, "https://graph.microsoft.com"), &api(kind), t);
            assert!(q.starts_with(&format!("$filter={field}%20ge%20")), "{q}");
        }
    }

    #[test]
    fn a_cursor_only_from_a_link_back_to_the_same_listing() {
        let c = conn(Kind::EntraSignIns, "https://graph.microsoft.com");
        let a = api(Kind::EntraSignIns);
        assert_eq!(
            cursor_of(&c, &a, "https://graph.microsoft.com/v1.0/auditLogs/signIns?$top=50&$skiptoken=abc").unwrap(),
            "$top=50&$skiptoken=abc"
        );
        for (link, why) in [
            ("https://evil.example/v1.0/auditLogs/signIns?$skiptoken=1", "another origin"),
            ("https://graph.microsoft.com.evil.example/v1.0/auditLogs/signIns?$skiptoken=1", "another origin"),
            ("http://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=1", "another origin"),
            ("https://user@graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=1", "another origin"),
            ("https://graph.microsoft.com/v1.0/users?$skiptoken=1", "not the listing"),
            ("https://graph.microsoft.com/beta/auditLogs/signIns?$skiptoken=1", "not the listing"),
            ("https://graph.microsoft.com/v1.0/auditLogs/signIns", "no query"),
            ("https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=a b", "not a cursor"),
            ("https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=a&vigil-newest=9", "not a cursor"),
        ] {
            let e = cursor_of(&c, &a, link).unwrap_err().to_string();
            assert!(e.contains(why), "{link}: {e}");
        }
        // A base URL with a path (a proxy, the sandbox): the link must keep it.
        let s = conn(Kind::DefenderAlerts, "http://127.0.0.1:8080/defender");
        let d = api(Kind::DefenderAlerts);
        assert!(cursor_of(&s, &d, "http://127.0.0.1:8080/defender/api/alerts?$skiptoken=x").is_ok());
        assert!(cursor_of(&s, &d, "http://127.0.0.1:8080/other/api/alerts?$skiptoken=x").is_err());
    }

    #[test]
    fn microsofts_error_bodies_in_words() {
        let graph = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2024-05-01T10:00:00","request-id":"r","client-request-id":"r"}}}"#;
        assert_eq!(
            detail(&resp(403, graph)),
            ", Authorization_RequestDenied: Insufficient privileges to complete the operation."
        );
        let login = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t\r\nCorrelation ID: c","error_codes":[7000215]}"#;
        assert_eq!(detail(&resp(401, login)), ", invalid_client: AADSTS7000215: Invalid client secret provided.");
        assert_eq!(detail(&resp(500, "<html>oops</html>")), "");
        assert_eq!(detail(&resp(500, r#"{"error":{"message":"m"}}"#)), ": m");
        let expired = r#"{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}"#;
        assert!(token_expired(&resp(401, expired)));
        assert!(!token_expired(&resp(403, expired)));
        assert!(!token_expired(&resp(401, graph)));
    }

    #[test]
    fn retry_after_is_read_on_429_and_503() {
        let mut r = resp(503, "");
        assert!(!limited(&r));
        r.headers.push(("Retry-After".into(), "7".into()));
        assert!(limited(&r));
        assert_eq!(reset_wait(&r), Some(Duration::from_secs(7)));
        r.headers[0].1 = "Wed, 21 Oct 2015 07:28:00 GMT".into();
        assert_eq!(reset_wait(&r), None);
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever `@odata.nextLink` a vendor sends, a cursor is taken only from a link back to
        /// the connection's own origin and listing, and reading it never panics.
        #[test]
        fn next_links_never_leave_the_origin(
            link in prop_oneof![
                ".{0,200}",
                "https://graph\\.microsoft\\.com[a-z.@:/%?$=&]{0,60}",
                "(https?)://[a-z0-9.@:\\[\\]]{0,30}/v1\\.0/auditLogs/signIns\\?[ -~]{0,40}",
            ],
            body in ".{0,300}",
        ) {
            let conn =
                Connection::new("ms", Kind::EntraSignIns, "https://graph.microsoft.com", "entra", Some("contoso.example"))
                    .unwrap();
            if let Ok(q) = cursor_of(&conn, &api(Kind::EntraSignIns), &link) {
                prop_assert_eq!(origin(&link), origin("https://graph.microsoft.com"));
                prop_assert!(query_ok(&q));
            }
            let _ = detail(&HttpResponse { status: 400, headers: Vec::new(), body: body.into_bytes() });
        }
    }
}
