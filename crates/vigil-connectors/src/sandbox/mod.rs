//! A strict local stand-in for every vendor the connectors call, for tests and the demo.
//!
//! [`Sandbox::start`] serves HTTP on `127.0.0.1` (a random port) and SMTP on another. Each
//! vendor lives under its own prefix (`/okta` — including its System Log, read by the live
//! pollers —, `/login`, `/graph` — with Entra's sign-ins and audits and Graph's security alerts
//! —, `/aws`, `/s3`, `/crowdstrike`, `/defender` — with its alerts —, `/manage` — the Office 365
//! Management Activity API —, `/jira`, `/servicenow`, `/github`, `/slack`, `/teams`, `/hooks`,
//! `/google` — Google's token endpoint and the Admin SDK Reports API's Workspace activities —),
//! checks
//! requests the way the vendor does (auth scheme and credential, method, path, content type,
//! required fields, the SigV4 signature recomputed with the shared secret), answers with the
//! vendor's response shapes, status codes and error bodies, and keeps state, so repeated and
//! inverse actions behave as they would for real. [`Sandbox::config`] and
//! [`Sandbox::secrets`] point the connectors at it; the credentials are random per sandbox.

mod aws;
mod endpoint;
mod gworkspace;
mod gworkspace_test_keys;
mod identity;
mod logs;
mod m365;
mod microsoft_logs;
mod notify;
mod smtp;
mod tickets;

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use rand::Rng;
use rand::distributions::Alphanumeric;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

pub use gworkspace::activity as gworkspace_activity;

use crate::Secrets;
use crate::util::{decode, parse_form};

/// One request the sandbox received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    /// Path as sent (still percent-encoded), without the query.
    pub path: String,
    /// Query string as sent, without `?`.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RecordedRequest {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as JSON, when it is.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The body as decoded form pairs.
    pub fn form(&self) -> Vec<(String, String)> {
        parse_form(&self.body)
    }

    /// The query as decoded pairs.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }

    /// The first query parameter named `name`, decoded.
    pub fn query_param(&self, name: &str) -> Option<String> {
        self.query_pairs().into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    fn content_type_is(&self, mime: &str) -> bool {
        self.header("content-type")
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(mime))
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub(crate) struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    pub fn json(status: u16, body: Value) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "application/json;charset=UTF-8".into())],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, body: &str) -> Resp {
        Resp {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn xml(status: u16, body: String) -> Resp {
        Resp { status, headers: vec![("Content-Type".into(), "text/xml".into())], body: body.into_bytes() }
    }

    pub fn empty(status: u16) -> Resp {
        Resp { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Resp {
        self.headers.push((name.to_string(), value.into()));
        self
    }
}

/// The vendor API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    Okta,
    Login,
    Graph,
    Aws,
    /// S3 (path style), for CloudTrail delivered to a bucket.
    S3,
    CrowdStrike,
    Defender,
    /// The Office 365 Management Activity API.
    Manage,
    Jira,
    ServiceNow,
    GitHub,
    Slack,
    Teams,
    Hook,
    /// Google: its OAuth token endpoint and the Admin SDK Reports API.
    Google,
    Unknown,
}

impl Api {
    fn of(prefix: &str) -> Api {
        match prefix {
            "okta" => Api::Okta,
            "login" => Api::Login,
            "graph" => Api::Graph,
            "aws" => Api::Aws,
            "s3" => Api::S3,
            "crowdstrike" => Api::CrowdStrike,
            "defender" => Api::Defender,
            "manage" => Api::Manage,
            "jira" => Api::Jira,
            "servicenow" => Api::ServiceNow,
            "github" => Api::GitHub,
            "slack" => Api::Slack,
            "teams" => Api::Teams,
            "hooks" => Api::Hook,
            "google" => Api::Google,
            _ => Api::Unknown,
        }
    }
}

/// An error in `api`'s own shape. `code` is the vendor's error code where it has one
/// (ServiceNow: the message; Slack: the error word), `message` its text (ServiceNow: the
/// detail).
pub(crate) fn api_error(api: Api, status: u16, code: &str, message: &str) -> Resp {
    let request_id = random_hex(32);
    match api {
        Api::Okta => Resp::json(
            status,
            json!({ "errorCode": code, "errorSummary": message, "errorLink": code, "errorId": format!("oae{}", random_alnum(19)), "errorCauses": [] }),
        ),
        Api::Login => Resp::json(
            status,
            json!({
                "error": code,
                "error_description": format!("{message}\r\nTrace ID: {request_id}\r\nCorrelation ID: {}\r\nTimestamp: {}", random_hex(32), now_rfc3339()),
                "error_codes": [aadsts_number(message)],
                "timestamp": now_rfc3339(),
                "trace_id": request_id,
            }),
        ),
        Api::Graph | Api::Defender | Api::Manage => Resp::json(
            status,
            json!({ "error": { "code": code, "message": message, "innerError": { "date": now_rfc3339(), "request-id": request_id, "client-request-id": request_id } } }),
        ),
        Api::Aws => {
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            Resp::xml(
                status,
                format!(
                    "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{}</RequestId>\n</ErrorResponse>\n",
                    crate::util::xml_escape(code),
                    crate::util::xml_escape(message),
                    uuid()
                ),
            )
        }
        Api::S3 => Resp::xml(
            status,
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
                crate::util::xml_escape(code),
                crate::util::xml_escape(message),
                random_hex(16)
            ),
        ),
        Api::CrowdStrike => Resp::json(
            status,
            json!({ "meta": crowdstrike_meta(), "resources": [], "errors": [{ "code": status, "message": message }] }),
        ),
        Api::Jira => Resp::json(status, json!({ "errorMessages": [message], "errors": {} })),
        Api::ServiceNow => {
            Resp::json(status, json!({ "error": { "message": code, "detail": message }, "status": "failure" }))
        }
        Api::GitHub => Resp::json(
            status,
            json!({ "message": message, "documentation_url": "https://docs.github.com/rest", "status": status.to_string() }),
        ),
        Api::Slack | Api::Teams | Api::Unknown => Resp::text(status, code),
        Api::Hook => Resp::json(status, json!({ "error": message })),
        Api::Google => gworkspace::google_error(status, code, message),
    }
}

fn aadsts_number(message: &str) -> u64 {
    message.strip_prefix("AADSTS").and_then(|m| m.split(':').next()).and_then(|n| n.parse().ok()).unwrap_or(0)
}

pub(crate) fn crowdstrike_meta() -> Value {
    json!({ "query_time": 0.004, "powered_by": "sandbox", "trace_id": uuid() })
}

/// The error a vendor gives for `status` when nothing more specific applies (for
/// [`Sandbox::fail_next`]).
fn generic_error(api: Api, status: u16) -> Resp {
    let (code, message) = match (api, status) {
        (Api::Okta, 400) => ("E0000001", "Api validation failed"),
        (Api::Okta, 401) => ("E0000011", "Invalid token provided"),
        (Api::Okta, 403) => ("E0000006", "You do not have permission to perform the requested action"),
        (Api::Okta, 404) => ("E0000007", "Not found: Resource not found"),
        (Api::Okta, 429) => ("E0000047", "API call exceeded rate limit due to too many requests."),
        (Api::Okta, _) => ("E0000009", "Internal Server Error"),
        (Api::Login, 401) => ("invalid_client", "AADSTS7000215: Invalid client secret provided."),
        (Api::Login, 429) => {
            ("temporarily_unavailable", "AADSTS90025: Request processing has exceeded the time limit.")
        }
        (Api::Login, s) if s >= 500 => ("server_error", "AADSTS50000: There was an error issuing a token."),
        (Api::Login, _) => ("invalid_request", "AADSTS900144: The request is not valid."),
        (Api::Graph | Api::Defender, 400) => ("BadRequest", "The request is malformed or incorrect."),
        (Api::Graph | Api::Defender, 401) => ("InvalidAuthenticationToken", "Access token validation failure."),
        (Api::Graph, 403) => ("Authorization_RequestDenied", "Insufficient privileges to complete the operation."),
        (Api::Defender, 403) => (
            "Forbidden",
            "The application does not have any of the required application permissions to access the resource.",
        ),
        (Api::Graph, 404) => (
            "Request_ResourceNotFound",
            "Resource does not exist or one of its queried reference-property objects are not present.",
        ),
        (Api::Defender, 404) => ("ResourceNotFound", "The resource was not found."),
        (Api::Graph | Api::Defender, 429) => ("TooManyRequests", "Too many requests have been sent; retry later."),
        (Api::Graph | Api::Defender, 503) => ("ServiceUnavailable", "The service is temporarily unavailable."),
        (Api::Graph | Api::Defender, _) => ("InternalServerError", "An internal server error occurred."),
        (Api::Manage, 400) => ("AF20000", "The request is not valid."),
        (Api::Manage, 401) => ("Unauthorized", "Authorization has been denied for this request."),
        (Api::Manage, 403) => (
            "AF10001",
            "The permission set (Scope) sent in the request does not include the expected permission ActivityFeed.Read.",
        ),
        (Api::Manage, 404) => ("AF20000", "The requested resource does not exist."),
        (Api::Manage, 429) => ("AF429", "Too many requests. Method=GetBlob, PublisherId=sandbox"),
        (Api::Manage, _) => ("AF50000", "An internal error occurred. Retry the request."),
        (Api::Aws, 400) => ("ValidationError", "The request was not valid."),
        (Api::Aws, 401 | 403) => ("AccessDenied", "User is not authorized to perform this operation."),
        (Api::Aws, 404) => {
            ("NoSuchEntity", "The request was rejected because it referenced a resource entity that does not exist.")
        }
        (Api::Aws, 429) => ("Throttling", "Rate exceeded"),
        (Api::Aws, _) => {
            ("ServiceFailure", "The request processing has failed because of an unknown error, exception or failure.")
        }
        (Api::S3, 403) => ("AccessDenied", "Access Denied"),
        (Api::S3, 404) => ("NoSuchKey", "The specified key does not exist."),
        (Api::S3, 429 | 503) => ("SlowDown", "Please reduce your request rate."),
        (Api::S3, _) => ("InternalError", "We encountered an internal error. Please try again."),
        (Api::CrowdStrike, 401) => ("", "access denied, invalid bearer token"),
        (Api::CrowdStrike, 403) => ("", "access denied, authorization failed"),
        (Api::CrowdStrike, 404) => ("", "Not Found"),
        (Api::CrowdStrike, 429) => ("", "API rate limit exceeded."),
        (Api::CrowdStrike, _) => ("", "Internal Server Error"),
        (Api::Jira, 401) => ("", "Client must be authenticated to access this resource."),
        (Api::Jira, 403) => ("", "You do not have permission to create issues in this project."),
        (Api::Jira, 404) => ("", "Issue does not exist or you do not have permission to see it."),
        (Api::Jira, 429) => ("", "Rate limit exceeded."),
        (Api::Jira, _) => ("", "Internal server error."),
        (Api::ServiceNow, 401) => ("User Not Authenticated", "Required to provide Auth information"),
        (Api::ServiceNow, 403) => ("Operation Failed", "ACL Exception Insert Failed due to security constraints"),
        (Api::ServiceNow, 404) => ("No Record found", "Record doesn't exist or ACL restricts the record retrieval"),
        (Api::ServiceNow, 429) => ("Rate limit exceeded", "Too many requests for this user"),
        (Api::ServiceNow, _) => ("Internal Server Error", "The server could not complete the request"),
        (Api::GitHub, 401) => ("", "Bad credentials"),
        (Api::GitHub, 403) => ("", "Resource not accessible by personal access token"),
        (Api::GitHub, 404) => ("", "Not Found"),
        (Api::GitHub, 410) => ("", "Issues are disabled for this repo"),
        (Api::GitHub, 422) => ("", "Validation Failed"),
        (Api::GitHub, 429) => ("", "API rate limit exceeded for installation."),
        (Api::GitHub, _) => ("", "Server Error"),
        (Api::Slack | Api::Teams | Api::Unknown, 400) => ("invalid_payload", ""),
        (Api::Slack | Api::Teams | Api::Unknown, 403) => ("invalid_token", ""),
        (Api::Slack | Api::Teams | Api::Unknown, 404) => ("no_service", ""),
        (Api::Slack | Api::Teams | Api::Unknown, 410) => ("channel_is_archived", ""),
        (Api::Slack | Api::Teams | Api::Unknown, 429) => ("rate_limited", ""),
        (Api::Slack | Api::Teams | Api::Unknown, _) => ("rollup_error", ""),
        (Api::Hook, _) => ("", "receiver error"),
        (Api::Google, 400) => ("invalid", "Invalid Input"),
        (Api::Google, 401) => ("authError", "Request had invalid authentication credentials."),
        (Api::Google, 403) => ("forbidden", "Not Authorized to access this resource/api"),
        (Api::Google, 404) => ("notFound", "Not Found"),
        (Api::Google, 429) => {
            ("rateLimitExceeded", "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'.")
        }
        (Api::Google, 503) => ("backendError", "The service is currently unavailable."),
        (Api::Google, _) => ("backendError", "Internal error encountered."),
    };
    api_error(api, status, code, message)
}

/// What the sandbox accepts. Random per sandbox.
#[derive(Clone)]
pub(crate) struct Creds {
    pub tenant_id: String,
    pub okta_token: String,
    pub entra_client_id: String,
    pub entra_client_secret: String,
    pub defender_client_id: String,
    pub defender_client_secret: String,
    pub aws_access_key_id: String,
    pub aws_secret_access_key: String,
    pub aws_session_token: String,
    pub crowdstrike_client_id: String,
    pub crowdstrike_client_secret: String,
    pub jira_email: String,
    pub jira_api_token: String,
    pub servicenow_username: String,
    pub servicenow_password: String,
    pub github_token: String,
    pub slack_path: String,
    pub teams_path: String,
    pub teams_sig: String,
    pub webhook_secret: String,
    pub smtp_username: String,
    pub smtp_password: String,
}

impl Creds {
    fn random() -> Creds {
        Creds {
            tenant_id: uuid(),
            okta_token: format!("00{}", random_alnum(40)),
            entra_client_id: uuid(),
            // Client secrets carry characters that form encoding changes.
            entra_client_secret: format!("{}~{}+/={}", random_alnum(6), random_alnum(20), random_alnum(6)),
            defender_client_id: uuid(),
            defender_client_secret: format!("{}.{}+/={}", random_alnum(6), random_alnum(20), random_alnum(6)),
            aws_access_key_id: format!("AKIA{}", random_alnum(16).to_ascii_uppercase()),
            aws_secret_access_key: format!("{}/{}+{}", random_alnum(12), random_alnum(14), random_alnum(12)),
            aws_session_token: format!("IQoJb3JpZ2luX2Vj{}/{}=", random_alnum(60), random_alnum(40)),
            crowdstrike_client_id: random_hex(32),
            crowdstrike_client_secret: random_alnum(40),
            jira_email: format!("soc-automation+{}@acme.example", random_alnum(6).to_ascii_lowercase()),
            jira_api_token: format!("ATATT3x{}", random_alnum(40)),
            servicenow_username: format!("svc_integration_{}", random_alnum(6).to_ascii_lowercase()),
            servicenow_password: format!("{}!#%&{}", random_alnum(10), random_alnum(10)),
            github_token: format!("ghp_{}", random_alnum(36)),
            slack_path: format!(
                "/services/T0{}/B0{}/{}",
                random_alnum(8).to_ascii_uppercase(),
                random_alnum(8).to_ascii_uppercase(),
                random_alnum(24)
            ),
            teams_path: format!("/workflows/{}/triggers/manual/paths/invoke", random_hex(32)),
            teams_sig: random_alnum(43),
            webhook_secret: format!("whsec_{}", random_alnum(32)),
            smtp_username: format!("relay-user-{}", random_alnum(8).to_ascii_lowercase()),
            smtp_password: random_alnum(24),
        }
    }
}

/// A directory user, the same person in Okta and Entra ID.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: String,
    pub login: String,
    pub okta_status: String,
    pub account_enabled: bool,
    pub okta_sessions: u32,
    pub oauth_tokens: u32,
    pub factors: Vec<Factor>,
    pub sign_in_sessions_revoked: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Factor {
    pub id: String,
    pub factor_type: String,
    pub provider: String,
    pub status: String,
}

/// A host, enrolled in CrowdStrike (device id) and Defender (machine id) under one id.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub id: String,
    pub hostname: String,
    pub falcon_status: String,
    pub machine_actions: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct AccessKey {
    pub user: String,
    pub id: String,
    pub status: String,
    pub created: String,
}

/// Where an OAuth access token may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Audience {
    Graph,
    Defender,
    CrowdStrike,
    /// The Office 365 Management Activity API (`https://manage.office.com`).
    Manage,
    /// Google's Reports API, for a service account acting as an administrator.
    GoogleReports,
    /// Google, for a service account acting as itself (no user): no rights to read reports.
    GoogleNoUser,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub users: BTreeMap<String, User>,
    pub devices: BTreeMap<String, Device>,
    pub keys: Vec<AccessKey>,
    /// IAM users by name, with the ARNs of the managed policies attached to each.
    pub iam_policies: BTreeMap<String, Vec<String>>,
    pub jira: Vec<Value>,
    pub incidents: Vec<Value>,
    pub github: Vec<Value>,
    pub slack: Vec<Value>,
    pub teams: Vec<Value>,
    pub webhooks: Vec<Value>,
    pub email: Vec<Value>,
    pub tokens: BTreeMap<String, Audience>,
    pub webhook_keys: BTreeSet<String>,
    pub counter: u64,
    /// Okta System Log records, in the order they reached the log.
    pub okta_logs: Vec<Value>,
    /// The `acme` organization's GitHub audit log.
    pub github_audit: Vec<Value>,
    /// S3 objects by bucket and key (CloudTrail's delivery bucket).
    pub s3: BTreeMap<(String, String), Vec<u8>>,
    /// CrowdStrike Falcon alerts, the latest version of each (by `composite_id`).
    pub crowdstrike_alerts: Vec<Value>,
    /// Entra ID sign-ins (Graph `auditLogs/signIns`), in the order they were added.
    pub entra_sign_ins: Vec<Value>,
    /// Entra ID directory audits (Graph `auditLogs/directoryAudits`).
    pub entra_audits: Vec<Value>,
    /// Microsoft Graph security alerts (`security/alerts_v2`), one version per id.
    pub graph_alerts: Vec<Value>,
    /// Defender for Endpoint alerts (`api/alerts`), one version per id.
    pub defender_alerts: Vec<Value>,
    /// Office 365 Management Activity content blobs, in the order they were added.
    pub m365_content: Vec<m365::Blob>,
    /// The Management Activity content types with a subscription started.
    pub m365_subscriptions: BTreeSet<String>,
    /// Whether a content listing names each blob twice.
    pub m365_list_twice: bool,
    /// Tokens past their lifetime: refused as expired.
    pub expired_tokens: BTreeSet<String>,
    /// How many of the next tokens issued are born expired.
    pub expire_next: u32,
    /// Google Workspace activities (Reports API), every application's, in the order added.
    pub gworkspace: Vec<Value>,
}

impl State {
    pub fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    pub fn user_mut(&mut self, id_or_login: &str) -> Option<&mut User> {
        self.users.values_mut().find(|u| u.id == id_or_login || u.login.eq_ignore_ascii_case(id_or_login))
    }

    pub fn issue_token(&mut self, audience: Audience) -> String {
        let token = format!("eyJ0eXAiOiJKV1Qi.{}.{}", random_alnum(48), random_alnum(32));
        self.tokens.insert(token.clone(), audience);
        if self.expire_next > 0 {
            self.expire_next -= 1;
            self.expired_tokens.insert(token.clone());
        }
        token
    }
}

struct Fault {
    path_contains: String,
    status: u16,
    retry_after: Option<u64>,
}

pub(crate) struct Inner {
    pub base: String,
    pub creds: Creds,
    state: Mutex<State>,
    log: Mutex<Vec<RecordedRequest>>,
    faults: Mutex<Vec<Fault>>,
    delays: Mutex<Vec<(String, Duration)>>,
    page_size: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Inner {
    pub fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    pub fn page_size(&self) -> usize {
        self.page_size.load(Ordering::Relaxed).max(1)
    }

    /// Whether `Authorization` is `Bearer <token>` for a token issued for `audience` and not
    /// expired.
    pub fn bearer_ok(&self, req: &RecordedRequest, audience: Audience) -> Result<(), &'static str> {
        let Some(value) = req.header("authorization") else { return Err("missing") };
        let Some(token) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) else {
            return Err("scheme");
        };
        let st = self.state();
        match st.tokens.get(token.trim()) {
            Some(a) if *a == audience && st.expired_tokens.contains(token.trim()) => Err("expired"),
            Some(a) if *a == audience => Ok(()),
            Some(_) => Err("audience"),
            None => Err("invalid"),
        }
    }

    /// Whether `Authorization` is HTTP Basic for `user:password`.
    pub fn basic_ok(req: &RecordedRequest, user: &str, password: &str) -> bool {
        req.header("authorization")
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| crate::util::base64_decode(b.trim()))
            .is_some_and(|raw| raw == format!("{user}:{password}").as_bytes())
    }

    fn respond(&self, req: &RecordedRequest) -> Resp {
        let path = req.path.trim_start_matches('/');
        let (prefix, rest) = path.split_once('/').unwrap_or((path, ""));
        let api = Api::of(prefix);
        let fault = {
            let mut faults = lock(&self.faults);
            let target = format!("{}?{}", req.path, req.query);
            faults.iter().position(|f| target.contains(&f.path_contains)).map(|i| faults.remove(i))
        };
        if let Some(f) = fault {
            return fault_response(api, f.status, f.retry_after);
        }
        let segments: Vec<String> = rest.split('/').filter(|s| !s.is_empty()).map(|s| decode(s, false)).collect();
        let seg: Vec<&str> = segments.iter().map(String::as_str).collect();
        match api {
            Api::Okta => identity::okta(self, req, &seg),
            Api::Login => identity::login(self, req, &seg),
            Api::Graph => identity::graph(self, req, &seg),
            Api::Aws => aws::iam(self, req),
            Api::S3 => aws::s3(self, req, &seg),
            Api::CrowdStrike => endpoint::crowdstrike(self, req, &seg),
            Api::Defender => endpoint::defender(self, req, &seg),
            Api::Manage => m365::manage(self, req, &seg),
            Api::Jira => tickets::jira(self, req, &seg),
            Api::ServiceNow => tickets::servicenow(self, req, &seg),
            Api::GitHub => tickets::github(self, req, &seg),
            Api::Slack => notify::slack(self, req),
            Api::Teams => notify::teams(self, req),
            Api::Hook => notify::hook(self, req),
            Api::Google => gworkspace::google(self, req, &seg),
            Api::Unknown => Resp::text(404, "Not Found"),
        }
    }
}

/// An injected failure, with the rate-limit headers each vendor really sends.
fn fault_response(api: Api, status: u16, retry_after: Option<u64>) -> Resp {
    let now = chrono::Utc::now().timestamp();
    if api == Api::Aws && status == 429 {
        // IAM signals throttling as a 400 with the Throttling code, without Retry-After.
        return api_error(Api::Aws, 400, "Throttling", "Rate exceeded");
    }
    let mut resp = generic_error(api, status);
    let Some(after) = retry_after else { return resp };
    let reset = (now + after as i64).to_string();
    match (api, status) {
        (Api::Okta, 429) => {
            resp = resp
                .with_header("X-Rate-Limit-Limit", "600")
                .with_header("X-Rate-Limit-Remaining", "0")
                .with_header("X-Rate-Limit-Reset", reset);
        }
        (Api::CrowdStrike, 429) => {
            resp = resp
                .with_header("X-RateLimit-Limit", "6000")
                .with_header("X-RateLimit-Remaining", "0")
                .with_header("X-RateLimit-RetryAfter", reset);
        }
        (Api::GitHub, 403 | 429) => {
            resp = resp
                .with_header("Retry-After", after.to_string())
                .with_header("x-ratelimit-limit", "5000")
                .with_header("x-ratelimit-remaining", "0")
                .with_header("x-ratelimit-reset", reset);
        }
        _ => resp = resp.with_header("Retry-After", after.to_string()),
    }
    resp
}

/// The sandbox: an HTTP server and an SMTP server on loopback, stopped on drop.
pub struct Sandbox {
    inner: Arc<Inner>,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
    smtp: smtp::SmtpServer,
    addr: SocketAddr,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("addr", &self.addr).field("smtp", &self.smtp.addr).finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Starts both servers on `127.0.0.1` with random ports and fresh credentials.
    pub fn start() -> io::Result<Sandbox> {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").map_err(|e| io::Error::other(e.to_string()))?);
        let addr = server.server_addr().to_ip().ok_or_else(|| io::Error::other("sandbox is not listening on TCP"))?;
        let creds = Creds::random();
        let inner = Arc::new(Inner {
            base: format!("http://{addr}"),
            creds,
            state: Mutex::new(State::default()),
            log: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            delays: Mutex::new(Vec::new()),
            page_size: AtomicUsize::new(3),
        });
        let smtp = smtp::SmtpServer::start(inner.clone())?;
        let thread = {
            let server = server.clone();
            let inner = inner.clone();
            std::thread::Builder::new().name("vigil-sandbox".into()).spawn(move || {
                for request in server.incoming_requests() {
                    let inner = inner.clone();
                    // One thread per request, so a delayed answer holds up nothing else.
                    let _ = std::thread::Builder::new()
                        .name("vigil-sandbox-req".into())
                        .spawn(move || serve(&inner, request));
                }
            })?
        };
        Ok(Sandbox { inner, server, thread: Some(thread), smtp, addr })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        self.inner.base.clone()
    }

    /// The SMTP listener's address.
    pub fn smtp_addr(&self) -> SocketAddr {
        self.smtp.addr
    }

    /// Connector configuration pointing every vendor at the sandbox.
    pub fn config(&self) -> Value {
        let base = &self.inner.base;
        json!({
            "okta": { "base_url": format!("{base}/okta") },
            "entra": { "tenant_id": self.inner.creds.tenant_id, "graph_base": format!("{base}/graph"), "login_base": format!("{base}/login") },
            "aws": { "endpoint": format!("{base}/aws/"), "region": "us-east-1" },
            "crowdstrike": { "base_url": format!("{base}/crowdstrike") },
            "defender": { "tenant_id": self.inner.creds.tenant_id, "base_url": format!("{base}/defender"), "login_base": format!("{base}/login") },
            "m365": { "tenant_id": self.inner.creds.tenant_id, "base_url": format!("{base}/manage"), "login_base": format!("{base}/login") },
            "jira": { "base_url": format!("{base}/jira"), "project": "SEC", "issue_type": "Task" },
            "servicenow": { "base_url": format!("{base}/servicenow") },
            "github": { "base_url": format!("{base}/github"), "repo": "acme/soc" },
            "teams": { "format": "adaptive_card" },
            "email": { "host": "127.0.0.1", "port": self.smtp.addr.port(), "tls": "none", "from": "vigil@acme.example" },
            "webhook": { "url": format!("{base}/hooks/vigil") },
            "google": { "base_url": format!("{base}/google"), "token_uri": format!("{base}/google/token"), "subject": gworkspace::ADMIN, "customer_id": gworkspace::CUSTOMER_ID },
        })
    }

    /// The credentials the sandbox accepts, by the names the actions read.
    /// Writes the sandbox's connector settings and credentials as a deployment keeps them —
    /// `sandbox-connectors.json` and `sandbox-secrets.env` (`name=value` lines) in `dir` — for
    /// `--connectors`/`--secrets` and the server's configuration. Returns the two paths.
    pub fn write_settings(&self, dir: &std::path::Path) -> io::Result<(std::path::PathBuf, std::path::PathBuf)> {
        let settings = dir.join("sandbox-connectors.json");
        std::fs::write(&settings, serde_json::to_string_pretty(&self.config()).map_err(io::Error::other)?)?;
        let secrets = self.secrets();
        let mut text = String::from("# Credentials of the local vendor sandbox (not of any real vendor).\n");
        for name in secrets.names() {
            if let Ok(v) = secrets.get(name) {
                text.push_str(&format!("{name}={v}\n"));
            }
        }
        let path = dir.join("sandbox-secrets.env");
        std::fs::write(&path, text)?;
        Ok((settings, path))
    }

    pub fn secrets(&self) -> Secrets {
        let c = &self.inner.creds;
        let base = &self.inner.base;
        let mut s = Secrets::new();
        for (name, value) in [
            ("okta_token", c.okta_token.clone()),
            ("entra_client_id", c.entra_client_id.clone()),
            ("entra_client_secret", c.entra_client_secret.clone()),
            ("defender_client_id", c.defender_client_id.clone()),
            ("defender_client_secret", c.defender_client_secret.clone()),
            ("aws_access_key_id", c.aws_access_key_id.clone()),
            ("aws_secret_access_key", c.aws_secret_access_key.clone()),
            ("aws_session_token", c.aws_session_token.clone()),
            ("crowdstrike_client_id", c.crowdstrike_client_id.clone()),
            ("crowdstrike_client_secret", c.crowdstrike_client_secret.clone()),
            ("jira_email", c.jira_email.clone()),
            ("jira_api_token", c.jira_api_token.clone()),
            ("servicenow_username", c.servicenow_username.clone()),
            ("servicenow_password", c.servicenow_password.clone()),
            ("github_token", c.github_token.clone()),
            ("slack_webhook_url", format!("{base}/slack{}", c.slack_path)),
            (
                "teams_webhook_url",
                format!(
                    "{base}/teams{}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={}",
                    c.teams_path, c.teams_sig
                ),
            ),
            ("webhook_secret", c.webhook_secret.clone()),
            ("smtp_username", c.smtp_username.clone()),
            ("smtp_password", c.smtp_password.clone()),
            // A service account's whole JSON key, signed with a fixed test key.
            ("gworkspace_key", gworkspace::key_json(base, false)),
        ] {
            s.insert(name, &value);
        }
        s
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.inner.log).clone()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.inner.log).clear();
    }

    /// Users (Okta status, Entra `accountEnabled`, sessions, factors), devices (Falcon
    /// status, Defender isolation), access keys, tickets, and delivered messages.
    pub fn state(&self) -> Value {
        let st = self.inner.state();
        let users: serde_json::Map<String, Value> = st
            .users
            .values()
            .map(|u| {
                (
                    u.id.clone(),
                    json!({
                        "login": u.login,
                        "status": u.okta_status,
                        "account_enabled": u.account_enabled,
                        "okta_sessions": u.okta_sessions,
                        "oauth_tokens": u.oauth_tokens,
                        "factors": u.factors.iter().map(|f| json!({ "id": f.id, "factorType": f.factor_type, "status": f.status })).collect::<Vec<_>>(),
                        "sign_in_sessions_revoked": u.sign_in_sessions_revoked,
                    }),
                )
            })
            .collect();
        let devices: serde_json::Map<String, Value> = st
            .devices
            .values()
            .map(|d| {
                (
                    d.id.clone(),
                    json!({
                        "hostname": d.hostname,
                        "containment": d.falcon_status,
                        "isolated": endpoint::is_isolated(d),
                        "machine_actions": d.machine_actions.len(),
                    }),
                )
            })
            .collect();
        let keys: serde_json::Map<String, Value> =
            st.keys.iter().map(|k| (k.id.clone(), json!({ "user": k.user, "status": k.status }))).collect();
        json!({
            "users": users,
            "devices": devices,
            "keys": keys,
            "iam_policies": st.iam_policies,
            "tickets": { "jira": st.jira, "servicenow": st.incidents, "github": st.github },
            "messages": { "slack": st.slack, "teams": st.teams, "webhook": st.webhooks, "email": st.email },
        })
    }

    /// Makes the next request whose path (with query) contains `path_contains` fail with
    /// `status` in the vendor's error shape; with `retry_after`, with the vendor's
    /// rate-limit headers (`Retry-After`, Okta's `X-Rate-Limit-Reset`, CrowdStrike's
    /// `X-RateLimit-RetryAfter`, GitHub's `x-ratelimit-*`). For AWS a 429 is answered as IAM
    /// throttles: 400 `Throttling`. Calls queue: inject four to fail four requests.
    pub fn fail_next(&self, path_contains: &str, status: u16, retry_after: Option<u64>) {
        lock(&self.inner.faults).push(Fault { path_contains: path_contains.to_string(), status, retry_after });
    }

    /// Holds the answer to every request whose path contains `path_contains` for `d`,
    /// after the request has taken effect (as when a response is lost in a crash). A zero
    /// duration removes the delay.
    pub fn delay(&self, path_contains: &str, d: Duration) {
        let mut delays = lock(&self.inner.delays);
        delays.retain(|(p, _)| p != path_contains);
        if !d.is_zero() {
            delays.push((path_contains.to_string(), d));
        }
    }

    /// Page size of every list the sandbox serves (default 3, so a few seeded items page).
    pub fn set_page_size(&self, n: usize) {
        self.inner.page_size.store(n.max(1), Ordering::Relaxed);
    }

    /// Appends records to Okta's System Log (`GET /okta/api/v1/logs` serves them), in the
    /// order given; a record appended twice is served twice.
    pub fn add_okta_logs(&self, records: impl IntoIterator<Item = Value>) {
        self.inner.state().okta_logs.extend(records);
    }

    /// Appends records to the `acme` organization's GitHub audit log
    /// (`GET /github/orgs/acme/audit-log` serves them by their `@timestamp`).
    pub fn add_github_audit(&self, records: impl IntoIterator<Item = Value>) {
        self.inner.state().github_audit.extend(records);
    }

    /// Adds alerts to CrowdStrike Falcon's Alerts API (`/crowdstrike/alerts/...` serves them by
    /// their `updated_timestamp`). An alert whose `composite_id` is already there replaces it,
    /// as an alert updated in Falcon (a new status, a new `updated_timestamp`) does.
    pub fn add_crowdstrike_alerts(&self, alerts: impl IntoIterator<Item = Value>) {
        let mut st = self.inner.state();
        for alert in alerts {
            let id = alert.get("composite_id").cloned();
            st.crowdstrike_alerts.retain(|a| id.is_none() || a.get("composite_id") != id.as_ref());
            st.crowdstrike_alerts.push(alert);
        }
    }

    /// Puts an object in a bucket of the S3 stand-in (`/s3/{bucket}/{key}`, path style), as
    /// CloudTrail delivers its log files.
    pub fn put_s3_object(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.inner.state().s3.insert((bucket.to_string(), key.to_string()), body);
    }

    /// Appends Entra ID sign-ins (`signIn` objects, served by `createdDateTime` from
    /// `GET /graph/v1.0/auditLogs/signIns`); one added twice is served twice.
    pub fn add_entra_sign_ins(&self, records: impl IntoIterator<Item = Value>) {
        microsoft_logs::add(&mut self.inner.state(), microsoft_logs::Listing::SignIns, records);
    }

    /// Appends Entra ID directory audits (`directoryAudit` objects, served by `activityDateTime`
    /// from `GET /graph/v1.0/auditLogs/directoryAudits`).
    pub fn add_entra_audits(&self, records: impl IntoIterator<Item = Value>) {
        microsoft_logs::add(&mut self.inner.state(), microsoft_logs::Listing::DirectoryAudits, records);
    }

    /// Adds Microsoft Graph security alerts (`alert` objects, served by `lastUpdateDateTime` from
    /// `GET /graph/v1.0/security/alerts_v2`); one with the id of an alert already there is its
    /// new version and replaces it.
    pub fn add_graph_alerts(&self, records: impl IntoIterator<Item = Value>) {
        microsoft_logs::add(&mut self.inner.state(), microsoft_logs::Listing::AlertsV2, records);
    }

    /// Adds Defender for Endpoint alerts (served by `lastUpdateTime` from
    /// `GET /defender/api/alerts`); one with the id of an alert already there replaces it.
    pub fn add_defender_alerts(&self, records: impl IntoIterator<Item = Value>) {
        microsoft_logs::add(&mut self.inner.state(), microsoft_logs::Listing::DefenderAlerts, records);
    }

    /// Adds a content blob of `content_type` (`Audit.Exchange`, …) to the Office 365 Management
    /// Activity API, created at `created_ms` (epoch ms; one added after others may be older than
    /// them, as late content is), holding `records`; returns its content id. The same record may
    /// be put in two blobs.
    pub fn add_m365_content(&self, content_type: &str, created_ms: i64, records: Vec<Value>) -> String {
        m365::add(&mut self.inner.state(), content_type, created_ms, records)
    }

    /// Makes each Management Activity content listing name every blob twice (or not).
    pub fn m365_list_twice(&self, twice: bool) {
        self.inner.state().m365_list_twice = twice;
    }

    /// The Management Activity content types whose subscription has been started.
    pub fn m365_subscriptions(&self) -> Vec<String> {
        self.inner.state().m365_subscriptions.iter().cloned().collect()
    }

    /// Appends Google Workspace activities (Reports API `activity` objects, served newest first
    /// by `id.time` from
    /// `GET /google/admin/reports/v1/activity/users/all/applications/{id.applicationName}`); one
    /// added twice is served twice.
    pub fn add_gworkspace_activities(&self, records: impl IntoIterator<Item = Value>) {
        gworkspace::add(&mut self.inner.state(), records);
    }

    /// Makes `per_app` plausible activities of each of `login`, `admin`, `drive` and `token`
    /// from the sandbox's users, spread over `[from_ms, to_ms]`, adds them and returns them.
    pub fn simulate_gworkspace_activity(&self, per_app: u32, from_ms: i64, to_ms: i64) -> Vec<Value> {
        let mut st = self.inner.state();
        let first = st.next();
        let acts = gworkspace::simulate(&st, per_app, from_ms, to_ms, first * 1_000);
        gworkspace::add(&mut st, acts.clone());
        acts
    }

    /// A JSON key of the sandbox's service account signed with a key the service account does
    /// not have (a deleted key): the token endpoint refuses it with `Invalid JWT Signature.`
    pub fn gworkspace_foreign_key(&self) -> String {
        gworkspace::key_json(&self.inner.base, true)
    }

    /// Makes the next `n` access tokens the Microsoft identity platform stand-in issues expire
    /// at once: Graph and Defender refuse them with 401 (`InvalidAuthenticationToken`,
    /// "Lifetime validation failed, the token is expired."), the Management Activity API with
    /// 401 "the token is expired".
    pub fn expire_next_tokens(&self, n: u32) {
        self.inner.state().expire_next = n;
    }

    /// How many records Okta's System Log holds.
    pub fn okta_log_len(&self) -> usize {
        self.inner.state().okta_logs.len()
    }

    /// A user in both directories: Okta `status` (`ACTIVE`, `SUSPENDED`, …) and Entra
    /// `accountEnabled` = (`status` is `ACTIVE`), with one Okta session.
    pub fn seed_user(&self, id: &str, login: &str, status: &str) {
        let user = User {
            id: id.to_string(),
            login: login.to_string(),
            okta_status: status.to_string(),
            account_enabled: status == "ACTIVE",
            okta_sessions: 1,
            oauth_tokens: 1,
            factors: Vec::new(),
            sign_in_sessions_revoked: 0,
        };
        self.inner.state().users.insert(id.to_string(), user);
    }

    /// An enrolled Okta factor (`push`, `token:software:totp`, `sms`, …) for a seeded user.
    pub fn seed_factor(&self, user: &str, factor_type: &str) {
        let mut st = self.inner.state();
        let n = st.next();
        if let Some(u) = st.user_mut(user) {
            u.factors.push(Factor {
                id: format!("uft{n:017}"),
                factor_type: factor_type.to_string(),
                provider: if factor_type == "push" { "OKTA".into() } else { "GOOGLE".into() },
                status: "ACTIVE".into(),
            });
        }
    }

    /// A host known to CrowdStrike (status `normal`) and Defender (not isolated).
    pub fn seed_device(&self, id: &str, hostname: &str) {
        let device = Device {
            id: id.to_string(),
            hostname: hostname.to_string(),
            falcon_status: "normal".into(),
            machine_actions: Vec::new(),
        };
        self.inner.state().devices.insert(id.to_string(), device);
    }

    /// A past Defender machine action (`Isolate`, `Unisolate`, `RunAntiVirusScan`, …) with
    /// `status` (`Succeeded`, `Failed`, …), older than any action made later.
    pub fn seed_machine_action(&self, machine: &str, kind: &str, status: &str) {
        let mut st = self.inner.state();
        let n = st.next();
        if let Some(d) = st.devices.get_mut(machine) {
            let created = format!("2024-01-01T00:{:02}:{:02}.000Z", (n / 60) % 60, n % 60);
            let action = endpoint::machine_action(d, kind, status, "seeded", &created);
            d.machine_actions.push(action);
        }
    }

    /// An IAM user with the managed policies attached to it (ARNs); an IAM user with keys
    /// (see [`Sandbox::seed_key`]) exists with no policies.
    pub fn seed_iam_user(&self, user: &str, policies: &[&str]) {
        let mut st = self.inner.state();
        let list = st.iam_policies.entry(user.to_string()).or_default();
        for p in policies {
            if !list.iter().any(|x| x == p) {
                list.push((*p).to_string());
            }
        }
    }

    /// An IAM access key of `user` with `status` (`Active` or `Inactive`).
    pub fn seed_key(&self, user: &str, key_id: &str, status: &str) {
        self.inner.state().iam_policies.entry(user.to_string()).or_default();
        self.inner.state().keys.push(AccessKey {
            user: user.to_string(),
            id: key_id.to_string(),
            status: status.to_string(),
            created: "2024-01-01T00:00:00Z".into(),
        });
    }

    /// A Jira issue in project SEC; returns its key.
    pub fn seed_jira_issue(&self, summary: &str, labels: &[&str]) -> String {
        let mut st = self.inner.state();
        tickets::new_jira_issue(&self.inner.base, &mut st, summary, labels, "Task", Value::Null)
    }

    /// A ServiceNow incident; returns its number.
    pub fn seed_incident(&self, short_description: &str, correlation_id: &str) -> String {
        let mut st = self.inner.state();
        let record = tickets::new_incident(
            &mut st,
            &json!({ "short_description": short_description, "correlation_id": correlation_id }),
        );
        record["number"].as_str().unwrap_or_default().to_string()
    }

    /// A GitHub issue in acme/soc; returns its number.
    pub fn seed_github_issue(&self, title: &str, body: &str) -> u64 {
        let mut st = self.inner.state();
        let issue = tickets::new_github_issue(&self.inner.base, &mut st, title, body, &[]);
        issue["number"].as_u64().unwrap_or_default()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.smtp.stop();
    }
}

fn serve(inner: &Inner, mut request: tiny_http::Request) {
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let mut body = Vec::new();
    let _ = request.as_reader().read_to_end(&mut body);
    let rec = RecordedRequest {
        method: request.method().as_str().to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers: request
            .headers()
            .iter()
            .map(|h| (h.field.as_str().as_str().to_string(), h.value.as_str().to_string()))
            .collect(),
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    lock(&inner.log).push(rec.clone());
    let resp = inner.respond(&rec);
    let hold = lock(&inner.delays).iter().find(|(p, _)| rec.path.contains(p.as_str())).map(|(_, d)| *d);
    if let Some(d) = hold {
        std::thread::sleep(d);
    }
    let mut out = tiny_http::Response::from_data(resp.body).with_status_code(resp.status);
    for (k, v) in resp.headers {
        if let Ok(h) = tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()) {
            out.add_header(h);
        }
    }
    let _ = request.respond(out);
}

pub(crate) fn random_alnum(n: usize) -> String {
    rand::thread_rng().sample_iter(&Alphanumeric).take(n).map(char::from).collect()
}

pub(crate) fn random_hex(n: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..n).map(|_| char::from(b"0123456789abcdef"[rng.gen_range(0..16)])).collect()
}

pub(crate) fn uuid() -> String {
    let h = random_hex(32);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `offset` as an opaque page token, and back.
pub(crate) fn page_token(offset: usize) -> String {
    crate::util::base64_encode(format!("page:{offset}").as_bytes())
}

pub(crate) fn page_offset(token: &str) -> Option<usize> {
    let raw = crate::util::base64_decode(token)?;
    String::from_utf8(raw).ok()?.strip_prefix("page:")?.parse().ok()
}
