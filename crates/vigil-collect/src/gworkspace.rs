//! The Google Workspace poller: the Admin SDK Reports API's activities
//! (`GET {base}/admin/reports/v1/activity/users/all/applications/{application}`, `base`
//! `https://admin.googleapis.com`), for each application the connection names (by default
//! `login`, `admin`, `drive` and `token`).
//!
//! Owns: the service account's token, the listing of each application, and the cursor that
//! says where each application's listing stands. Must not: keep the key, the signed assertion
//! or the access token past one page, send the assertion anywhere but the token endpoint, or
//! send the access token anywhere but the connection's base URL.
//!
//! Credentials: the secret holds a service account's whole JSON key (`client_email`,
//! `private_key` — a PEM RSA key —, `token_uri`). The account acts, by domain-wide delegation,
//! as the administrator the connection names in `subject`: a JWT signed RS256 with the key,
//! claims `iss` the service account, `sub` the administrator, `scope`
//! `https://www.googleapis.com/auth/admin.reports.audit.readonly`, `aud` the token endpoint,
//! `iat` a minute before this machine's clock and `exp` an hour after it, is exchanged at the
//! token endpoint (`POST`, `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=…`)
//! for an access token. The token endpoint is the connection's `auth_url` when it names one,
//! else the key's `token_uri`, else `https://oauth2.googleapis.com/token`; it must be https (or
//! plain http to a loopback address, a local sandbox). When the API answers 401 the token is
//! fetched again and the request sent again, once.
//!
//! Paging and the cursor: the API lists an application's activities newest first,
//! `maxResults` at a time, and continues a listing with `nextPageToken`, which is valid only
//! for the same query. A cursor that moved to the newest time read after the first page would
//! lose the older pages still unread if Vigil stopped there, so each application is read in
//! windows with both ends fixed: `startTime` from [`OVERLAP_MS`] before the newest activity
//! read so far (the backfill window the first time), `endTime` the time the round of polls
//! began. While a window is being read the cursor keeps its two ends and the page token, so
//! a restart carries on with the same query and neither loses nor repeats an activity; only
//! when the window's listing has ended does the application's start move, to the newest time
//! read less the overlap. Activities after `endTime` are read by the next round's window. A
//! round reads every application's window in turn (`more` stays true until the last has
//! ended), then the next poll begins a new round at its own time. Google documents that
//! activities reach the reports late (minutes, for some applications hours), so the overlap
//! here is an hour, not the ten minutes of the other pollers: an activity that arrives within
//! it, with an earlier time, is read by a later window; what is read twice is the same
//! activity, byte for byte, which ingest dedupes. An activity later than the overlap is not
//! read. The newest time is believed only up to a few minutes past now, and a start is never
//! older than the 180 days Google keeps.
//!
//! Rate limits and errors: 429, and 403 with the reason `rateLimitExceeded` or
//! `userRateLimitExceeded`, wait `Retry-After` (or back off with jitter); 5xx (503 included)
//! are retried with back-off. A page token Google no longer takes (400) restarts that window
//! once. Google's bodies (`{"error": {"code", "message", "status"}}` from the API,
//! `{"error", "error_description"}` from the token endpoint) are named; 401 and 403 say what
//! the delegation, the scope and the administrator need; `invalid_grant` at the token
//! endpoint says what is usually wrong (the key, the subject, the delegation or the clock).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{CollectError, Connection, Page, RetryPolicy, is_loopback, origin};

const VENDOR: &str = "Google Workspace Reports API";
const OAUTH: &str = "Google OAuth";
/// The one scope the poller asks for (and domain-wide delegation must grant).
pub const SCOPE: &str = "https://www.googleapis.com/auth/admin.reports.audit.readonly";
/// Where tokens are asked for when neither the connection nor the key names another.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The applications read unless the connection names others.
pub const DEFAULT_APPLICATIONS: &[&str] = &["login", "admin", "drive", "token"];
/// How far before the newest activity read the next window starts: Google's reports lag.
pub const OVERLAP_MS: i64 = 60 * 60_000;
/// Google keeps most applications' activities 180 days; a start a little inside that.
const RETENTION_MS: i64 = 180 * 86_400_000 - 3_600_000;

/// The parts of a service account's JSON key the poller reads.
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: Option<String>,
    #[serde(default)]
    token_uri: Option<String>,
}

/// The applications a connection reads.
pub fn applications(conn: &Connection) -> Vec<String> {
    match &conn.applications {
        Some(a) if !a.is_empty() => a.clone(),
        _ => DEFAULT_APPLICATIONS.iter().map(|a| a.to_string()).collect(),
    }
}

/// Whether `app` is written as the API names applications (`login`, `user_accounts`).
pub fn application_ok(app: &str) -> bool {
    !app.is_empty() && app.len() <= 40 && app.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// Whether `s` looks like a user's email address (the administrator acted as).
pub fn email_ok(s: &str) -> bool {
    let Some((user, domain)) = s.split_once('@') else { return false };
    !user.is_empty()
        && s.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"@.-_+'".contains(&b))
}

/// Where one application's listing stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AppCursor {
    app: String,
    /// The next window's `startTime` (epoch ms).
    start: i64,
    /// The newest activity time read (epoch ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    newest: Option<i64>,
    /// The `endTime` of the window being read in this round; none once it has ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    end: Option<i64>,
    /// The page token continuing that window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token: Option<String>,
}

/// The cursor: every application's state, as compact JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    apps: Vec<AppCursor>,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn clip(s: &str) -> String {
    s.lines().next().unwrap_or_default().chars().take(300).collect()
}

/// Google's error body in words: `{"error": {"code", "message", "status"}}` (the API) or
/// `{"error", "error_description"}` (the token endpoint); nothing when it has neither.
pub(crate) fn detail(resp: &HttpResponse) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(&resp.body) else { return String::new() };
    let (code, message) = match v.get("error") {
        Some(Value::Object(e)) => (
            e.get("status").and_then(Value::as_str).map(str::to_string),
            e.get("message").and_then(Value::as_str).map(str::to_string),
        ),
        Some(Value::String(code)) => {
            (Some(code.clone()), v.get("error_description").and_then(Value::as_str).map(str::to_string))
        }
        _ => (None, None),
    };
    match (code, message) {
        (Some(c), Some(m)) => format!(", {}: {}", clip(&c), clip(&m)),
        (Some(c), None) => format!(", {}", clip(&c)),
        (None, Some(m)) => format!(": {}", clip(&m)),
        (None, None) => String::new(),
    }
}

/// The legacy reason of Google's first error (`rateLimitExceeded`).
fn reason(resp: &HttpResponse) -> Option<String> {
    let v = serde_json::from_slice::<Value>(&resp.body).ok()?;
    v.pointer("/error/errors/0/reason").and_then(Value::as_str).map(str::to_string)
}

fn reset_wait(resp: &HttpResponse) -> Option<Duration> {
    let s = resp.header("Retry-After")?.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(s.max(1)))
}

/// Google's older APIs answer a rate limit with 403 and a reason.
fn limited(resp: &HttpResponse) -> bool {
    resp.status == 403 && matches!(reason(resp).as_deref(), Some("rateLimitExceeded" | "userRateLimitExceeded"))
}

/// A PEM private key as PKCS#1 DER (what the signer takes): `RSA PRIVATE KEY` as it is,
/// `PRIVATE KEY` (PKCS#8, as Google writes it) unwrapped.
fn pkcs1_der(pem: &str) -> Result<Vec<u8>, String> {
    let (label, body) = ["PRIVATE KEY", "RSA PRIVATE KEY"]
        .iter()
        .find_map(|l| {
            let begin = format!("-----BEGIN {l}-----");
            let end = format!("-----END {l}-----");
            let rest = pem.split_once(&begin)?.1;
            Some((*l, rest.split_once(&end)?.0))
        })
        .ok_or("private_key is not a PEM private key (-----BEGIN PRIVATE KEY-----)")?;
    let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let der = vigil_connectors::util::base64_decode(&b64).ok_or("private_key's PEM body is not base64")?;
    if label == "RSA PRIVATE KEY" {
        return Ok(der);
    }
    // PrivateKeyInfo ::= SEQUENCE { version INTEGER, algorithm SEQUENCE { rsaEncryption, NULL },
    // privateKey OCTET STRING (the PKCS#1 RSAPrivateKey) }
    let not = "private_key is not a PKCS#8 RSA key";
    let (tag, info, _) = der_tlv(&der).ok_or(not)?;
    if tag != 0x30 {
        return Err(not.into());
    }
    let (tag, _version, rest) = der_tlv(info).ok_or(not)?;
    if tag != 0x02 {
        return Err(not.into());
    }
    let (tag, alg, rest) = der_tlv(rest).ok_or(not)?;
    const RSA_ENCRYPTION: &[u8] = &[0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    if tag != 0x30 || !alg.starts_with(RSA_ENCRYPTION) {
        return Err("private_key is not an RSA key (a service account's key is RSA)".into());
    }
    let (tag, key, _) = der_tlv(rest).ok_or(not)?;
    if tag != 0x04 {
        return Err(not.into());
    }
    Ok(key.to_vec())
}

/// One DER element: its tag, its contents and what follows it.
fn der_tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let first = *b.get(1)?;
    let (len, head) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = head.checked_add(len)?;
    Some((tag, b.get(head..end)?, b.get(end..)?))
}

/// The token endpoint: the connection's `auth_url`, else the key's `token_uri`, else Google's.
fn token_endpoint(conn: &Connection, key: &ServiceAccountKey) -> Result<String, CollectError> {
    let uri = conn.auth_url.as_deref().or(key.token_uri.as_deref()).unwrap_or(DEFAULT_TOKEN_URI).trim();
    let Some(o) = origin(uri) else {
        return Err(CollectError::Config(format!("the token endpoint {uri:?} is not an http(s) URL")));
    };
    if o.starts_with("http://") && !is_loopback(&o) {
        return Err(CollectError::Config(format!(
            "the token endpoint {uri:?}: plain http only to a loopback address (the signed assertion travels to it)"
        )));
    }
    Ok(uri.to_string())
}

/// The assertion signed with the service account's key.
fn assertion(conn: &Connection, key: &ServiceAccountKey, endpoint: &str) -> Result<String, CollectError> {
    let secret = &conn.secret;
    let der = pkcs1_der(&key.private_key)
        .map_err(|why| CollectError::Config(format!("the secret {secret:?} (a service account's JSON key): {why}")))?;
    let now = chrono::Utc::now().timestamp();
    // A minute's leeway for clocks a little ahead of Google's; at most an hour in all.
    let iat = now - 60;
    let claims = serde_json::json!({
        "iss": key.client_email,
        "sub": conn.subject,
        "scope": SCOPE,
        "aud": endpoint,
        "iat": iat,
        "exp": iat + 3600,
    });
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = key.private_key_id.clone();
    jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_der(&der)).map_err(|e| {
        CollectError::Config(format!(
            "the secret {secret:?}: its private_key does not sign ({e}); use the service account's JSON key as downloaded"
        ))
    })
}

fn parse_key(conn: &Connection, key_json: &str) -> Result<ServiceAccountKey, CollectError> {
    serde_json::from_str::<ServiceAccountKey>(key_json).map_err(|e| {
        // serde's message may quote the value it met: only its position and class are named.
        CollectError::Config(format!(
            "the secret {:?} is not a service account's JSON key (with client_email and private_key; {:?} error at line {} column {})",
            conn.secret,
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}

/// An access token by the JWT-bearer grant, with the requests and waiting it took.
fn access_token(
    conn: &Connection,
    key_json: &str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
) -> Result<(String, u32, Duration), CollectError> {
    let key = parse_key(conn, key_json)?;
    let endpoint = token_endpoint(conn, &key)?;
    let jwt = assertion(conn, &key, &endpoint)?;
    let req = HttpRequest::new("POST", endpoint.clone())
        .with_header("Accept", "application/json")
        .with_form(&[("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", &jwt)]);
    let (resp, attempts, waited) = crate::exchange(OAUTH, transport, policy, &req, &reset_wait, &limited)?;
    if resp.status != 200 {
        let code = serde_json::from_slice::<Value>(&resp.body)
            .ok()
            .and_then(|v| v.get("error").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        let hint = match code.as_str() {
            "invalid_grant" => {
                "invalid_grant: the key may be deleted or not this service account's (Invalid JWT Signature), the subject may not be a user of the domain, or this machine's clock may be off by minutes (iat and exp)"
            }
            "unauthorized_client" => {
                "the service account's client id is not granted domain-wide delegation for https://www.googleapis.com/auth/admin.reports.audit.readonly (Admin console > Security > API controls > Domain-wide delegation)"
            }
            "invalid_scope" => "the scope was refused: domain-wide delegation must grant the Reports audit scope",
            _ => "",
        };
        if matches!(resp.status, 400 | 401 | 403) && !hint.is_empty() {
            return Err(CollectError::Auth { vendor: OAUTH, status: resp.status, detail: detail(&resp), hint });
        }
        return Err(CollectError::Vendor {
            vendor: OAUTH,
            status: resp.status,
            detail: format!("{} (token endpoint {endpoint})", detail(&resp)),
        });
    }
    let token = serde_json::from_slice::<Value>(&resp.body)
        .ok()
        .as_ref()
        .and_then(crate::token_of)
        .map(str::to_string)
        .ok_or_else(|| CollectError::BadResponse {
            vendor: OAUTH,
            why: "the token answer has no access_token".into(),
        })?;
    Ok((token, attempts, waited))
}

/// The cursor kept for a connection, with every configured application in it (new ones from
/// the backfill window, ones no longer configured dropped).
fn load_cursor(conn: &Connection, cursor: Option<&str>, now_ms: i64) -> Result<Cursor, CollectError> {
    let kept = match cursor {
        None | Some("") => Cursor::default(),
        Some(c) => serde_json::from_str::<Cursor>(c).map_err(|e| {
            CollectError::Config(format!(
                "the kept cursor is not a Google Workspace cursor ({e}); remove the source and add it again to read from its backfill window"
            ))
        })?,
    };
    let backfill = now_ms - i64::from(conn.backfill_days) * 86_400_000;
    let apps = applications(conn)
        .into_iter()
        .map(|app| {
            kept.apps.iter().find(|a| a.app == app).cloned().unwrap_or(AppCursor {
                app,
                start: backfill,
                newest: None,
                end: None,
                token: None,
            })
        })
        .collect();
    Ok(Cursor { apps })
}

fn list_url(conn: &Connection, app: &str, start: i64, end: i64, token: Option<&str>) -> String {
    let enc = vigil_connectors::util::encode;
    let mut url = format!(
        "{}/admin/reports/v1/activity/users/all/applications/{}?startTime={}&endTime={}&maxResults={}",
        conn.base_url,
        enc(app),
        enc(&rfc3339(start)),
        enc(&rfc3339(end)),
        conn.page_limit
    );
    if let Some(t) = token {
        url.push_str("&pageToken=");
        url.push_str(&enc(t));
    }
    url
}

fn stamp(v: &Value) -> Option<i64> {
    v.pointer("/id/time")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

pub(crate) fn next_page(
    conn: &Connection,
    key_json: &str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let mut cur = load_cursor(conn, cursor, now_ms)?;
    if cur.apps.iter().all(|a| a.end.is_none()) {
        // A new round: every application's window ends now.
        for a in &mut cur.apps {
            a.start = a.start.max(now_ms - RETENTION_MS).min(now_ms);
            a.end = Some(now_ms);
            a.token = None;
        }
    }
    let Some(i) = cur.apps.iter().position(|a| a.end.is_some()) else {
        return Err(CollectError::Config("the connection names no application to read".into()));
    };
    let (mut token, mut attempts, mut waited) = access_token(conn, key_json, transport, policy)?;
    let mut refreshed = false;
    let mut restarted = false;
    let resp = loop {
        let a = &cur.apps[i];
        let url = list_url(conn, &a.app, a.start, a.end.unwrap_or(now_ms), a.token.as_deref());
        let req = HttpRequest::new("GET", url)
            .with_header("Authorization", format!("Bearer {token}"))
            .with_header("Accept", "application/json");
        let (resp, n, w) = crate::exchange(VENDOR, transport, policy, &req, &reset_wait, &limited)?;
        attempts += n;
        waited += w;
        if resp.status == 401 && !refreshed {
            // Expired (or revoked) between the grant and the request: one new token, one try.
            refreshed = true;
            let (t, n, w) = access_token(conn, key_json, transport, policy)?;
            (token, attempts, waited) = (t, attempts + n, waited + w);
            continue;
        }
        if resp.status == 400 && cur.apps[i].token.is_some() && !restarted {
            // A page token Google no longer takes: the window again from its newest activity
            // (what is read twice dedupes on ingest).
            tracing::warn!(app = %cur.apps[i].app, "Google refused the page token; reading the window again");
            restarted = true;
            cur.apps[i].token = None;
            continue;
        }
        break resp;
    };
    match resp.status {
        200 => {}
        401 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 401,
                detail: detail(&resp),
                hint: "Google refused a fresh access token: the service account needs domain-wide delegation for https://www.googleapis.com/auth/admin.reports.audit.readonly and the subject must be an administrator of the domain",
            });
        }
        403 => {
            return Err(CollectError::Auth {
                vendor: VENDOR,
                status: 403,
                detail: detail(&resp),
                hint: "the subject must be an administrator with the Reports privilege, the service account's client id needs domain-wide delegation for https://www.googleapis.com/auth/admin.reports.audit.readonly, and the Admin SDK API must be enabled in its project",
            });
        }
        s => {
            return Err(CollectError::Vendor {
                vendor: VENDOR,
                status: s,
                detail: format!("{} (application {})", detail(&resp), cur.apps[i].app),
            });
        }
    }
    let body: Value = serde_json::from_slice(&resp.body)
        .map_err(|e| CollectError::BadResponse { vendor: VENDOR, why: format!("the body is not JSON ({e})") })?;
    let items = match (body.get("kind").and_then(Value::as_str), body.get("items")) {
        (_, Some(Value::Array(items))) => items.as_slice(),
        // Google leaves `items` out when there are none.
        (Some("admin#reports#activities"), None | Some(Value::Null)) => &[],
        _ => {
            return Err(CollectError::BadResponse {
                vendor: VENDOR,
                why: "the body is not an admin#reports#activities listing with an items array".into(),
            });
        }
    };
    let next = match body.get("nextPageToken") {
        None | Some(Value::Null) => None,
        Some(Value::String(t)) if !t.is_empty() && t.len() <= 4096 && t.bytes().all(|b| b.is_ascii_graphic()) => {
            Some(t.clone())
        }
        Some(Value::String(t)) if t.is_empty() => None,
        Some(_) => {
            return Err(CollectError::BadResponse { vendor: VENDOR, why: "nextPageToken is not a page token".into() });
        }
    };
    let mut lines = String::new();
    let mut newest_ms = None;
    for item in items {
        // Every activity goes on as one line; one that is not an object is still handed on,
        // for the decoder to quarantine with its reason.
        lines.push_str(&item.to_string());
        lines.push('\n');
        newest_ms = newest_ms.max(stamp(item));
    }
    let newest_ms = crate::newest_believed(newest_ms, now_ms);
    let a = &mut cur.apps[i];
    a.newest = a.newest.max(newest_ms);
    match next {
        Some(t) => a.token = Some(t),
        None => {
            // The window has ended: the next one starts an overlap before the newest read.
            a.token = None;
            a.end = None;
            if let Some(n) = a.newest {
                a.start = n.saturating_sub(OVERLAP_MS);
            }
        }
    }
    let more = cur.apps.iter().any(|a| a.end.is_some());
    let cursor = serde_json::to_string(&cur)
        .map_err(|e| CollectError::BadResponse { vendor: VENDOR, why: format!("the cursor does not encode ({e})") })?;
    Ok(Page { lines, records: items.len(), cursor, newest_ms, more, attempts, waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() }
    }

    #[test]
    fn googles_error_bodies_in_words() {
        let api = r#"{"error":{"code":403,"message":"Not Authorized to access this resource/api","errors":[{"message":"Not Authorized to access this resource/api","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}"#;
        assert_eq!(detail(&resp(403, api)), ", PERMISSION_DENIED: Not Authorized to access this resource/api");
        assert!(!limited(&resp(403, api)));
        let rl = r#"{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"reason":"rateLimitExceeded"}]}}"#;
        assert!(limited(&resp(403, rl)));
        let oauth = r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#;
        assert_eq!(detail(&resp(400, oauth)), ", invalid_grant: Invalid JWT Signature.");
        assert_eq!(detail(&resp(500, "<html>")), "");
    }

    #[test]
    fn pem_keys_unwrap_to_pkcs1_and_junk_is_named() {
        assert!(pkcs1_der("nope").unwrap_err().contains("not a PEM"));
        assert!(
            pkcs1_der("-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----").unwrap_err().contains("base64")
        );
        assert!(
            pkcs1_der("-----BEGIN PRIVATE KEY-----\nMAMCAQA=\n-----END PRIVATE KEY-----")
                .unwrap_err()
                .contains("PKCS#8")
        );
        // A DER length running past the end is refused, not read.
        assert_eq!(der_tlv(&[0x30, 0x82, 0xff, 0xff, 0x00]), None);
        assert_eq!(der_tlv(&[0x02, 0x01, 0x05, 0x09]), Some((0x02, &[0x05][..], &[0x09][..])));
    }

    #[test]
    fn subjects_and_applications_are_checked() {
        assert!(email_ok("admin@acme.example"));
        for bad in ["", "admin", "@acme.example", "admin@acme", "a b@acme.example", "admin@.example."] {
            assert!(!email_ok(bad), "{bad}");
        }
        assert!(application_ok("user_accounts"));
        assert!(!application_ok("Login") && !application_ok("") && !application_ok("../x"));
    }

    #[test]
    fn listing_urls_carry_the_window() {
        let e = Connection::new(
            "gws",
            crate::Kind::GoogleWorkspaceReports,
            "https://admin.googleapis.com",
            "gws_key",
            None,
        )
        .unwrap_err();
        assert!(e.to_string().contains("subject"), "{e}");
        let e =
            Connection::google_workspace("gws", "https://admin.googleapis.com", "gws_key", Some("admin")).unwrap_err();
        assert!(e.to_string().contains("administrator's email"), "{e}");
        let mut conn =
            Connection::google_workspace("gws", "https://admin.googleapis.com", "gws_key", Some("admin@acme.example"))
                .unwrap();
        conn.validate().unwrap();
        assert_eq!(
            list_url(&conn, "login", 1_700_000_000_000, 1_700_000_060_000, Some("a/b")),
            "https://admin.googleapis.com/admin/reports/v1/activity/users/all/applications/login?startTime=2023-11-14T22%3A13%3A20.000Z&endTime=2023-11-14T22%3A14%3A20.000Z&maxResults=1000&pageToken=a%2Fb"
        );
        conn.applications = Some(vec!["login".into(), "Login".into()]);
        assert!(conn.validate().unwrap_err().to_string().contains("application"));
    }
}
