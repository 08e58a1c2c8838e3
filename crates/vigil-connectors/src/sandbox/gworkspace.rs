//! Google Workspace as the live poller reads it: Google's OAuth 2.0 token endpoint
//! (`POST /google/token`, the JWT-bearer grant of a service account with domain-wide
//! delegation) and the Admin SDK Reports API's activity listing
//! (`GET /google/admin/reports/v1/activity/users/all/applications/{application}`).
//!
//! The token endpoint checks the assertion as Google does: an RS256 JWT whose signature verifies
//! with the public key of the sandbox's service account (a fixed test key, see
//! [`super::gworkspace_test_keys`]), `iss` the service account's email, `aud` this endpoint,
//! `iat`/`exp` around now and at most an hour apart, `scope` holding the Reports audit scope
//! (the one scope the sandbox's delegation grants) and `sub` the domain's administrator; its
//! errors are Google's `{"error", "error_description"}`. Tokens can be made to expire
//! ([`crate::sandbox::Sandbox::expire_next_tokens`]).
//!
//! The listing takes `startTime`, `endTime` (RFC 3339, both inclusive), `maxResults` (1 to
//! 1000, default 1000) and `pageToken`, and answers
//! `{"kind": "admin#reports#activities", "etag", "items": [...], "nextPageToken"}` — `items`
//! left out when there are none, as Google does — newest first (same time: the last added
//! first). A page token names the query it was made for and the last activity served; used with
//! another query it is refused (400). So an activity that arrives late, with an earlier time, is
//! not in a listing already under way: a poller asks again from a while back. Errors are
//! Google's `{"error": {"code", "message", "errors", "status"}}`.
//!
//! Activities are appended as given ([`crate::sandbox::Sandbox::add_gworkspace_activities`];
//! one added twice is served twice) or made from the sandbox's users
//! ([`crate::sandbox::Sandbox::simulate_gworkspace_activity`]).

use serde_json::{Value, json};

use super::gworkspace_test_keys::{FOREIGN_TEST_KEY_PEM, SERVICE_ACCOUNT_TEST_KEY_N, SERVICE_ACCOUNT_TEST_KEY_PEM};
use super::{Audience, Inner, RecordedRequest, Resp, State};
use crate::util::form_get;

/// The scope the sandbox domain's delegation grants the service account.
pub(crate) const SCOPE: &str = "https://www.googleapis.com/auth/admin.reports.audit.readonly";
/// The domain's super administrator, the user the service account may act as.
pub(crate) const ADMIN: &str = "admin@acme.example";
/// The sandbox's service account.
pub(crate) const CLIENT_EMAIL: &str = "vigil-reports@acme-soc.iam.gserviceaccount.com";
/// The sandbox domain's customer id.
pub(crate) const CUSTOMER_ID: &str = "C03az79cb";
/// How long Google keeps most applications' activities.
const RETENTION_MS: i64 = 180 * 86_400_000;

/// The service account's JSON key as the Cloud console writes it, pointing at the sandbox's
/// token endpoint; `foreign` signs with a key the service account does not have.
pub(crate) fn key_json(base: &str, foreign: bool) -> String {
    let pem = if foreign { FOREIGN_TEST_KEY_PEM } else { SERVICE_ACCOUNT_TEST_KEY_PEM };
    json!({
        "type": "service_account",
        "project_id": "acme-soc",
        "private_key_id": if foreign { "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f" } else { "5e4b2c1d9a8f7e6d5c4b3a29180716f5e4d3c2b1" },
        "private_key": format!("{pem}\n"),
        "client_email": CLIENT_EMAIL,
        "client_id": "104857322165348212345",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": format!("{base}/google/token"),
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/vigil-reports%40acme-soc.iam.gserviceaccount.com",
        "universe_domain": "googleapis.com"
    })
    .to_string()
}

/// Google's OAuth error: `{"error", "error_description"}`.
fn oauth_error(status: u16, error: &str, description: &str) -> Resp {
    Resp::json(status, json!({ "error": error, "error_description": description }))
}

/// The Reports API's error body for `status`, with Google's status word and legacy reason.
pub(crate) fn google_error(status: u16, reason: &str, message: &str) -> Resp {
    let word = match status {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    Resp::json(
        status,
        json!({ "error": { "code": status, "message": message, "errors": [{ "message": message, "domain": "global", "reason": reason }], "status": word } }),
    )
}

/// `POST /google/token`: a service account's JWT-bearer grant.
pub(super) fn token(sb: &Inner, req: &RecordedRequest) -> Resp {
    if req.method != "POST" {
        return oauth_error(405, "invalid_request", "Method Not Allowed");
    }
    if !req.content_type_is("application/x-www-form-urlencoded") {
        return oauth_error(400, "invalid_request", "Invalid Content-Type, expected application/x-www-form-urlencoded");
    }
    let form = req.form();
    match form_get(&form, "grant_type") {
        Some("urn:ietf:params:oauth:grant-type:jwt-bearer") => {}
        Some(g) => return oauth_error(400, "unsupported_grant_type", &format!("Invalid grant_type: {g}")),
        None => return oauth_error(400, "invalid_request", "Missing required parameter: grant_type"),
    }
    let Some(assertion) = form_get(&form, "assertion") else {
        return oauth_error(400, "invalid_request", "Missing required parameter: assertion");
    };
    let Ok(header) = jsonwebtoken::decode_header(assertion) else {
        return oauth_error(400, "invalid_grant", "Invalid JWT: the assertion is not a JWS.");
    };
    if header.alg != jsonwebtoken::Algorithm::RS256 {
        return oauth_error(400, "invalid_grant", "Invalid JWT: only RS256 is accepted.");
    }
    let Ok(key) = jsonwebtoken::DecodingKey::from_rsa_components(SERVICE_ACCOUNT_TEST_KEY_N, "AQAB") else {
        return oauth_error(500, "internal_failure", "the sandbox's test key does not load");
    };
    // The signature first; the claims are then checked one by one for Google's own messages.
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    v.validate_exp = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let claims = match jsonwebtoken::decode::<Value>(assertion, &key, &v) {
        Ok(d) => d.claims,
        Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidSignature) => {
            return oauth_error(400, "invalid_grant", "Invalid JWT Signature.");
        }
        Err(_) => return oauth_error(400, "invalid_grant", "Invalid JWT: the assertion does not decode."),
    };
    let s = |k: &str| claims.get(k).and_then(Value::as_str);
    let n = |k: &str| claims.get(k).and_then(Value::as_i64);
    if s("iss") != Some(CLIENT_EMAIL) {
        return oauth_error(400, "invalid_grant", "Invalid grant: account not found");
    }
    let endpoint = format!("{}/google/token", sb.base);
    if s("aud") != Some(endpoint.as_str()) {
        return oauth_error(
            400,
            "invalid_grant",
            &format!("Invalid JWT: Failed audience check. The expected value was {endpoint}"),
        );
    }
    let now = chrono::Utc::now().timestamp();
    let timely = match (n("iat"), n("exp")) {
        (Some(iat), Some(exp)) => iat <= now + 300 && exp > now && exp > iat && exp - iat <= 3600,
        _ => false,
    };
    if !timely {
        return oauth_error(
            400,
            "invalid_grant",
            "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
        );
    }
    let audience = match s("sub") {
        Some(ADMIN) => Audience::GoogleReports,
        // The service account as itself: a token, but no user's rights to read reports.
        None => Audience::GoogleNoUser,
        Some(_) => return oauth_error(400, "invalid_grant", "Invalid email or User ID"),
    };
    let scopes: Vec<&str> = s("scope").unwrap_or_default().split(' ').filter(|x| !x.is_empty()).collect();
    if scopes.is_empty() {
        return oauth_error(400, "invalid_scope", "Invalid OAuth scope or ID token audience provided.");
    }
    if audience == Audience::GoogleReports && scopes.iter().any(|x| *x != SCOPE) {
        // Domain-wide delegation is granted scope by scope.
        return oauth_error(
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
        );
    }
    let token = format!("ya29.{}", sb.state().issue_token(audience));
    Resp::json(200, json!({ "access_token": token, "expires_in": 3599, "token_type": "Bearer" }))
}

fn time_of(v: &Value) -> Option<i64> {
    v.pointer("/id/time")
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

/// A page token: the query's window and the position (time, index) of the last activity served.
fn page_token(start: i64, end: i64, time: i64, index: usize) -> String {
    crate::util::base64_encode(format!("sbx:{start}:{end}:{time}:{index}").as_bytes())
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_string()
}

fn parse_page_token(token: &str) -> Option<(i64, i64, i64, usize)> {
    let mut t = token.replace('-', "+").replace('_', "/");
    while !t.len().is_multiple_of(4) {
        t.push('=');
    }
    let raw = String::from_utf8(crate::util::base64_decode(&t)?).ok()?;
    let mut p = raw.strip_prefix("sbx:")?.split(':');
    Some((p.next()?.parse().ok()?, p.next()?.parse().ok()?, p.next()?.parse().ok()?, p.next()?.parse().ok()?))
}

/// `/google/...`: the token endpoint and the Reports API.
pub(super) fn google(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    match seg {
        ["token"] => token(sb, req),
        ["admin", "reports", "v1", "activity", "users", "all", "applications", app] => {
            let token = req
                .header("authorization")
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .and_then(|t| t.strip_prefix("ya29."));
            let authorized = match token {
                None => Err(401),
                Some(t) => {
                    let st = sb.state();
                    match st.tokens.get(t) {
                        Some(Audience::GoogleReports) if st.expired_tokens.contains(t) => Err(401),
                        Some(Audience::GoogleReports) => Ok(()),
                        Some(Audience::GoogleNoUser) => Err(403),
                        _ => Err(401),
                    }
                }
            };
            match authorized {
                Ok(()) => list(sb, req, app),
                Err(403) => google_error(403, "forbidden", "Not Authorized to access this resource/api"),
                Err(_) => google_error(
                    401,
                    "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
                ),
            }
        }
        _ => google_error(404, "notFound", "Not Found"),
    }
}

fn list(sb: &Inner, req: &RecordedRequest, app: &str) -> Resp {
    if req.method != "GET" {
        return google_error(405, "httpMethodNotAllowed", "Method Not Allowed");
    }
    if app.is_empty() || !app.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return google_error(
            400,
            "invalid",
            &format!(
                "Invalid value '{app}'. Values must match the following regular expression: '(access_transparency)|(admin)|(calendar)|(chat)|(drive)|(gcp)|(groups)|(groups_enterprise)|(login)|(meet)|(mobile)|(rules)|(saml)|(token)|(user_accounts)'"
            ),
        );
    }
    let time = |name: &str| -> Result<Option<i64>, Resp> {
        match req.query_param(name) {
            None => Ok(None),
            Some(t) => chrono::DateTime::parse_from_rfc3339(&t)
                .map(|t| Some(t.timestamp_millis()))
                .map_err(|_| google_error(400, "invalid", &format!("Invalid value for {name}: {t}"))),
        }
    };
    let now = chrono::Utc::now().timestamp_millis();
    let start = match time("startTime") {
        Ok(t) => t,
        Err(r) => return r,
    };
    let end = match time("endTime") {
        Ok(t) => t,
        Err(r) => return r,
    };
    if let (Some(s), Some(e)) = (start, end)
        && s > e
    {
        return google_error(400, "invalid", "Start time must be less than or equal to the end time.");
    }
    if start.is_some_and(|s| s < now - RETENTION_MS) {
        return google_error(400, "invalid", "Start time is beyond the data retention period of 180 days.");
    }
    let max = match req.query_param("maxResults") {
        None => 1000,
        Some(m) => match m.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => {
                return google_error(
                    400,
                    "invalid",
                    &format!("Invalid value '{m}'. Values must be within the range: [1, 1000]"),
                );
            }
        },
    };
    let (s_key, e_key) = (start.unwrap_or(i64::MIN), end.unwrap_or(i64::MAX));
    let after = match req.query_param("pageToken") {
        None => None,
        Some(t) => match parse_page_token(&t) {
            Some((s, e, time, index)) if s == s_key && e == e_key => Some((time, index)),
            _ => return google_error(400, "invalid", "Invalid value for pageToken: it does not belong to this query"),
        },
    };
    let st = sb.state();
    let mut order: Vec<(i64, usize)> = st
        .gworkspace
        .iter()
        .enumerate()
        .filter(|(_, r)| r.pointer("/id/applicationName").and_then(Value::as_str) == Some(app))
        .filter_map(|(i, r)| time_of(r).map(|t| (t, i)))
        .filter(|(t, _)| *t >= s_key && *t <= e_key)
        .collect();
    // Newest first; the same time, the last added first.
    order.sort_by(|a, b| b.cmp(a));
    let rest: Vec<(i64, usize)> = match after {
        None => order,
        Some(pos) => order.into_iter().filter(|p| *p < pos).collect(),
    };
    let items: Vec<Value> = rest.iter().take(max).map(|(_, i)| st.gworkspace[*i].clone()).collect();
    let mut body = json!({ "kind": "admin#reports#activities", "etag": format!("\"{}\"", super::random_alnum(27)) });
    if !items.is_empty() {
        body["items"] = Value::Array(items);
    }
    if rest.len() > max
        && let Some((t, i)) = rest.get(max - 1)
    {
        body["nextPageToken"] = json!(page_token(s_key, e_key, *t, *i));
    }
    Resp::json(200, body)
}

/// Appends activities (served by `id.time` under their `id.applicationName`).
pub(crate) fn add(st: &mut State, records: impl IntoIterator<Item = Value>) {
    st.gworkspace.extend(records);
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// One plausible activity of `application` (`login`, `admin`, `drive` or `token`; anything
/// else gets a generic event) by `email` at `at_ms`, from `ip`, with unique qualifier `n`, as
/// the Reports API returns it.
pub fn activity(application: &str, n: u64, at_ms: i64, email: &str, ip: &str) -> Value {
    let profile = format!("1{:020}", n.wrapping_mul(7_919));
    let event = match (application, n % 3) {
        ("login", 0) => json!({ "type": "login", "name": "login_failure", "parameters": [
            { "name": "login_type", "value": "google_password" },
            { "name": "login_challenge_method", "multiValue": ["password"] },
            { "name": "login_failure_type", "value": "login_failure_invalid_password" },
            { "name": "is_suspicious", "boolValue": false }] }),
        ("login", _) => json!({ "type": "login", "name": "login_success", "parameters": [
            { "name": "login_type", "value": "google_password" },
            { "name": "login_challenge_method", "multiValue": ["password", "google_authenticator"] },
            { "name": "is_suspicious", "boolValue": false }] }),
        ("admin", 0) => json!({ "type": "DELEGATED_ADMIN_SETTINGS", "name": "ASSIGN_ROLE", "parameters": [
            { "name": "ROLE_NAME", "value": "_HELP_DESK_ADMIN_ROLE" },
            { "name": "USER_EMAIL", "value": email }] }),
        ("admin", _) => json!({ "type": "USER_SETTINGS", "name": "CHANGE_PASSWORD", "parameters": [
            { "name": "USER_EMAIL", "value": email }] }),
        ("drive", 0) => json!({ "type": "acl_change", "name": "change_user_access", "parameters": [
            { "name": "primary_event", "boolValue": true },
            { "name": "doc_id", "value": format!("1Xa{n:08}") },
            { "name": "doc_type", "value": "spreadsheet" },
            { "name": "doc_title", "value": "Q3 payroll" },
            { "name": "owner", "value": email },
            { "name": "visibility", "value": "people_with_link" },
            { "name": "target_user", "value": "partner@external.example" }] }),
        ("drive", _) => json!({ "type": "access", "name": "view", "parameters": [
            { "name": "primary_event", "boolValue": true },
            { "name": "doc_id", "value": format!("1Xa{n:08}") },
            { "name": "doc_type", "value": "document" },
            { "name": "doc_title", "value": "Onboarding checklist" },
            { "name": "owner", "value": email },
            { "name": "visibility", "value": "private" }] }),
        ("token", _) => {
            json!({ "type": "auth", "name": if n.is_multiple_of(3) { "revoke" } else { "authorize" }, "parameters": [
            { "name": "client_id", "value": "1234567890-abcdefg.apps.googleusercontent.com" },
            { "name": "app_name", "value": "Calendar Sync Pro" },
            { "name": "client_type", "value": "WEB" },
            { "name": "scope", "multiValue": ["https://www.googleapis.com/auth/calendar", "https://www.googleapis.com/auth/drive.readonly"] }] })
        }
        _ => json!({ "type": application, "name": "activity", "parameters": [] }),
    };
    json!({
        "kind": "admin#reports#activity",
        "id": {
            "time": iso(at_ms),
            "uniqueQualifier": format!("-{}", 4_000_000_000_000_000_000u64 + n),
            "applicationName": application,
            "customerId": CUSTOMER_ID,
        },
        "etag": format!("\"sbx{n:016x}/{application}\""),
        "actor": { "callerType": "USER", "email": email, "profileId": profile },
        "ipAddress": ip,
        "ownerDomain": "acme.example",
        "events": [event],
    })
}

/// Activities of the four applications from the sandbox's users (or, when none is seeded,
/// three made-up people of `acme.example`): `per_app` each, spread evenly over
/// `[from_ms, to_ms]`, with unique qualifiers from `first_n` on.
pub(crate) fn simulate(st: &State, per_app: u32, from_ms: i64, to_ms: i64, first_n: u64) -> Vec<Value> {
    let mut people: Vec<String> = st
        .users
        .values()
        .map(|u| if u.login.contains('@') { u.login.clone() } else { format!("{}@acme.example", u.login) })
        .collect();
    if people.is_empty() {
        people = ["alice@acme.example", "bob@acme.example", "carol@acme.example"].map(String::from).to_vec();
    }
    let mut out = Vec::new();
    let steps = i64::from(per_app.max(1));
    let mut n = first_n;
    for app in ["login", "admin", "drive", "token"] {
        for i in 0..i64::from(per_app) {
            let at = from_ms + (to_ms - from_ms).max(0) * i / steps;
            let who = &people[(n as usize) % people.len()];
            let ip = format!("203.0.113.{}", 1 + n % 250);
            out.push(activity(app, n, at, who, &ip));
            n += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_round_trip_and_name_their_query() {
        let t = page_token(1, 2, 1_700_000_000_123, 42);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        assert_eq!(parse_page_token(&t), Some((1, 2, 1_700_000_000_123, 42)));
        assert_eq!(parse_page_token("nope"), None);
    }

    #[test]
    fn simulated_activities_are_the_reports_apis_shape() {
        let st = State::default();
        let acts = simulate(&st, 2, 0, 60_000, 10);
        assert_eq!(acts.len(), 8);
        for a in &acts {
            assert_eq!(a["kind"], "admin#reports#activity");
            assert!(time_of(a).is_some());
            assert!(a.pointer("/events/0/name").and_then(Value::as_str).is_some());
        }
        let q: std::collections::BTreeSet<&str> =
            acts.iter().filter_map(|a| a.pointer("/id/uniqueQualifier").and_then(Value::as_str)).collect();
        assert_eq!(q.len(), 8, "unique qualifiers are unique");
    }
}
