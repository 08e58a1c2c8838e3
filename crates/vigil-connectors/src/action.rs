//! The [`Action`] trait, what an execution returns, and the call loop every action shares
//! (rate-limit retries, call records, vendor error messages, masking of what it reports).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ActionClass, ConnectorError, HttpRequest, HttpResponse, Secrets, Transport, mask_text};

/// Stands for the idempotency key in [`Action::plan`]'s output, which has no key to show;
/// [`Action::plan_keyed`] shows the real one.
pub const IDEMPOTENCY_KEY_PLACEHOLDER: &str = "{idempotency_key}";
/// Stands for an OAuth access token a plan cannot know before the token call is made.
pub const ACCESS_TOKEN_PLACEHOLDER: &str = "{access_token}";
/// Retries after a rate limit before [`ConnectorError::RateLimited`] (config `retry.max_retries`).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Longest single wait before a retry (config `retry.max_wait_s`).
pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(30);

/// What an action runs with. `config` is the connector configuration object keyed by
/// connector (`{"okta": {"base_url": …}, "jira": {…}, "retry": {"max_wait_s": 30}}`).
pub struct ActionContext<'a> {
    pub config: &'a Value,
    pub secrets: &'a Secrets,
    pub transport: &'a dyn Transport,
    pub idempotency_key: &'a str,
}

/// One HTTP call an execution made. The URL is masked (a webhook URL can be a secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub method: String,
    pub url: String,
    pub status: u16,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionOutcome {
    pub output: Value,
    /// The state the action changed, as it was before (for rollback).
    pub prior_state: Option<Value>,
    pub calls: Vec<CallRecord>,
    /// True when the target was already in the wanted state or the idempotency key found
    /// an earlier result.
    pub already_done: bool,
}

/// A response action against one vendor API.
pub trait Action: Send + Sync {
    /// Dotted name, e.g. `okta.suspend_user`.
    fn name(&self) -> &'static str;
    fn class(&self) -> ActionClass;
    fn summary(&self) -> &'static str;
    /// The vendor API it calls, in a few words (RESPONSE.md's connector table shows it).
    fn api(&self) -> &'static str;
    fn required_inputs(&self) -> &'static [&'static str];
    fn required_secrets(&self) -> &'static [&'static str];
    /// The exact calls `execute` would make (method, URL, headers, body), for dry-run;
    /// secrets included — callers mask them with [`crate::mask`]. Reads a dry-run cannot
    /// know (a token call, a prior-state GET, a lookup by idempotency key) come first; only
    /// their first page is shown. The idempotency key appears as
    /// [`IDEMPOTENCY_KEY_PLACEHOLDER`] and an OAuth token as [`ACCESS_TOKEN_PLACEHOLDER`].
    fn plan(&self, inputs: &Value, config: &Value, secrets: &Secrets) -> Result<Vec<HttpRequest>, ConnectorError>;
    /// [`Action::plan`] with the idempotency key `execute` will be given, so the planned
    /// calls equal the executed ones (apart from OAuth tokens and request-signing times).
    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _idempotency_key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        self.plan(inputs, config, secrets)
    }
    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError>;
    /// The action that undoes this one, if any (e.g. `okta.unsuspend_user`).
    fn inverse(&self) -> Option<&'static str> {
        None
    }
    /// Inputs for the inverse, from this action's inputs and the prior state it recorded.
    fn inverse_inputs(&self, inputs: &Value, _prior: Option<&Value>) -> Value {
        inputs.clone()
    }
}

/// How a vendor reports errors, for turning an error response into a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Vendor {
    Okta,
    /// Microsoft Graph, Defender for Endpoint and the identity platform's token endpoint.
    Microsoft,
    Aws,
    CrowdStrike,
    Jira,
    ServiceNow,
    GitHub,
    /// Webhooks that answer plain text (Slack, Teams, generic receivers).
    Text,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub max_retries: u32,
    pub max_wait: Duration,
}

impl RetryPolicy {
    pub fn from_config(config: &Value) -> Self {
        let retry = config.get("retry");
        let max_retries = retry
            .and_then(|r| r.get("max_retries"))
            .and_then(Value::as_u64)
            .map_or(DEFAULT_MAX_RETRIES, |n| n.min(10) as u32);
        let max_wait = retry
            .and_then(|r| r.get("max_wait_s"))
            .and_then(Value::as_f64)
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(DEFAULT_MAX_WAIT, |s| Duration::from_secs_f64(s.min(3600.0)));
        RetryPolicy { max_retries, max_wait }
    }
}

/// The calls of one execution.
pub(crate) struct Session<'c, 'a> {
    pub action: &'static str,
    pub ctx: &'c ActionContext<'a>,
    pub calls: Vec<CallRecord>,
    policy: RetryPolicy,
}

impl<'c, 'a> Session<'c, 'a> {
    pub fn new(action: &'static str, ctx: &'c ActionContext<'a>) -> Self {
        Session { action, ctx, calls: Vec::new(), policy: RetryPolicy::from_config(ctx.config) }
    }

    /// Sends `req`, waiting and retrying while the vendor answers with a rate limit.
    pub fn send(&mut self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        let mut retries = 0u32;
        loop {
            let resp = self.ctx.transport.send(req).map_err(|e| self.clean(e))?;
            self.calls.push(CallRecord {
                method: req.method.clone(),
                url: mask_text(&req.url, self.ctx.secrets),
                status: resp.status,
            });
            let Some(hint) = rate_limit_hint(&resp, chrono::Utc::now().timestamp()) else { return Ok(resp) };
            let wait = hint.unwrap_or_else(|| Duration::from_secs(1u64 << retries.min(5)));
            if retries >= self.policy.max_retries {
                return Err(ConnectorError::RateLimited {
                    action: self.action.to_string(),
                    retry_after_s: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
                });
            }
            self.ctx.transport.sleep(wait.min(self.policy.max_wait));
            retries += 1;
        }
    }

    /// [`Session::send`], with a non-2xx answer turned into [`ConnectorError::Http`] carrying
    /// the vendor's own message.
    pub fn send_ok(&mut self, req: &HttpRequest, vendor: Vendor) -> Result<HttpResponse, ConnectorError> {
        let resp = self.send(req)?;
        if resp.is_success() { Ok(resp) } else { Err(self.http_error(&resp, vendor)) }
    }

    pub fn http_error(&self, resp: &HttpResponse, vendor: Vendor) -> ConnectorError {
        ConnectorError::Http {
            action: self.action.to_string(),
            status: resp.status,
            message: crate::util::truncate_chars(&mask_text(&vendor_message(vendor, resp), self.ctx.secrets), 500),
        }
    }

    /// Masks secrets out of an error's text.
    pub fn clean(&self, e: ConnectorError) -> ConnectorError {
        let m = |s: String| mask_text(&s, self.ctx.secrets);
        match e {
            ConnectorError::Transport(s) => ConnectorError::Transport(m(s)),
            ConnectorError::BadResponse(s) => ConnectorError::BadResponse(m(s)),
            ConnectorError::Unsupported(s) => ConnectorError::Unsupported(m(s)),
            ConnectorError::Http { action, status, message } => {
                ConnectorError::Http { action, status, message: m(message) }
            }
            other => other,
        }
    }

    pub fn finish(self, output: Value, prior_state: Option<Value>, already_done: bool) -> ActionOutcome {
        ActionOutcome { output, prior_state, calls: self.calls, already_done }
    }

    /// The OAuth access token from a client-credentials token request.
    pub fn fetch_token(&mut self, req: &HttpRequest, vendor: Vendor) -> Result<String, ConnectorError> {
        let resp = self.send_ok(req, vendor)?;
        let body = resp.json()?;
        body.get("access_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .ok_or_else(|| ConnectorError::BadResponse("token response without access_token".into()))
    }
}

/// A copy of `req` carrying `token` as its bearer credential.
pub(crate) fn with_bearer(req: &HttpRequest, token: &str) -> HttpRequest {
    let mut out = req.clone();
    out.set_header("Authorization", &format!("Bearer {token}"));
    out
}

/// `Some(wait)` when `resp` is a rate limit: HTTP 429; 403 with `X-RateLimit-Remaining: 0`
/// (GitHub's primary limit); 503 with `Retry-After` (Graph); AWS's `Throttling` error
/// codes. The wait comes from `Retry-After` (seconds or an HTTP date), then
/// `X-RateLimit-RetryAfter` (CrowdStrike, epoch seconds), then `X-Rate-Limit-Reset` (Okta)
/// or `X-RateLimit-Reset` (GitHub) — epoch seconds, or seconds from now when small.
/// `Some(None)`: rate-limited with no hint.
pub(crate) fn rate_limit_hint(resp: &HttpResponse, now: i64) -> Option<Option<Duration>> {
    let limited = match resp.status {
        429 => true,
        403 => {
            resp.header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0")
                || resp.header("retry-after").is_some()
        }
        503 => resp.header("retry-after").is_some() || aws_throttled(resp),
        400 => aws_throttled(resp),
        _ => false,
    };
    if !limited {
        return None;
    }
    let secs_from = |v: &str| -> Option<Duration> {
        let n: f64 = v.trim().parse().ok()?;
        if !n.is_finite() || n < 0.0 {
            return None;
        }
        // Values this large are Unix times; smaller ones are seconds from now.
        let delta = if n > 1_000_000_000.0 { (n - now as f64).max(0.0) } else { n };
        Some(Duration::from_secs_f64(delta.min(86_400.0)))
    };
    if let Some(v) = resp.header("retry-after") {
        if let Ok(n) = v.trim().parse::<u64>() {
            return Some(Some(Duration::from_secs(n.min(86_400))));
        }
        if let Ok(at) = chrono::DateTime::parse_from_rfc2822(v.trim()) {
            return Some(Some(Duration::from_secs((at.timestamp() - now).clamp(0, 86_400) as u64)));
        }
    }
    for name in ["x-ratelimit-retryafter", "x-rate-limit-reset", "x-ratelimit-reset"] {
        if let Some(d) = resp.header(name).and_then(secs_from) {
            return Some(Some(d));
        }
    }
    Some(None)
}

fn aws_throttled(resp: &HttpResponse) -> bool {
    let body = String::from_utf8_lossy(&resp.body);
    ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"]
        .iter()
        .any(|code| body.contains(&format!("<Code>{code}</Code>")))
}

/// The vendor's error message from an error response, in the vendor's own words.
pub(crate) fn vendor_message(vendor: Vendor, resp: &HttpResponse) -> String {
    let json = serde_json::from_slice::<Value>(&resp.body).ok();
    let s = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let message = match (vendor, &json) {
        (Vendor::Okta, Some(j)) => s(j.get("errorSummary")).map(|summary| {
            let code = s(j.get("errorCode")).map(|c| format!("{c}: ")).unwrap_or_default();
            let causes: Vec<String> = j
                .get("errorCauses")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|c| s(c.get("errorSummary"))).collect())
                .unwrap_or_default();
            if causes.is_empty() {
                format!("{code}{summary}")
            } else {
                format!("{code}{summary} ({})", causes.join("; "))
            }
        }),
        (Vendor::Microsoft, Some(j)) => match j.get("error") {
            Some(Value::Object(e)) => {
                let code = s(e.get("code")).unwrap_or_default();
                let msg = s(e.get("message")).unwrap_or_default();
                Some(if code.is_empty() { msg } else { format!("{code}: {msg}") })
            }
            Some(Value::String(code)) => {
                let desc = s(j.get("error_description")).unwrap_or_default();
                Some(format!("{code}: {}", desc.lines().next().unwrap_or_default()))
            }
            _ => None,
        },
        (Vendor::Aws, _) => {
            let body = String::from_utf8_lossy(&resp.body);
            crate::util::xml_text(&body, "Code").map(|code| {
                let msg = crate::util::xml_text(&body, "Message").unwrap_or_default();
                format!("{code}: {msg}")
            })
        }
        (Vendor::CrowdStrike, Some(j)) => crowdstrike_errors(j),
        (Vendor::Jira, Some(j)) => {
            let mut parts: Vec<String> = j
                .get("errorMessages")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|m| s(Some(m))).collect())
                .unwrap_or_default();
            if let Some(Value::Object(errors)) = j.get("errors") {
                parts.extend(errors.iter().map(|(k, v)| format!("{k}: {}", v.as_str().unwrap_or_default())));
            }
            (!parts.is_empty()).then(|| parts.join("; "))
        }
        (Vendor::ServiceNow, Some(j)) => j.get("error").and_then(|e| {
            let msg = s(e.get("message"))?;
            Some(match s(e.get("detail")).filter(|d| !d.is_empty()) {
                Some(d) => format!("{msg}: {d}"),
                None => msg,
            })
        }),
        (Vendor::GitHub, Some(j)) => s(j.get("message")).map(|msg| {
            let details: Vec<String> = j
                .get("errors")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .map(|e| match (s(e.get("message")), s(e.get("code")), s(e.get("field"))) {
                            (Some(m), _, _) => m,
                            (None, Some(c), Some(f)) => format!("{f} {c}"),
                            (None, Some(c), None) => c,
                            _ => e.to_string(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            if details.is_empty() { msg } else { format!("{msg}: {}", details.join("; ")) }
        }),
        _ => None,
    };
    message.filter(|m| !m.trim().is_empty()).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(&resp.body).trim().to_string();
        if text.is_empty() {
            format!("HTTP {} with an empty body", resp.status)
        } else {
            crate::util::truncate_chars(&text, 300)
        }
    })
}

/// CrowdStrike's `errors[]` as one message, `None` when empty.
pub(crate) fn crowdstrike_errors(body: &Value) -> Option<String> {
    let errors = body.get("errors")?.as_array()?;
    let parts: Vec<String> = errors
        .iter()
        .map(|e| {
            let msg = e.get("message").and_then(Value::as_str).unwrap_or("error");
            match e.get("code").and_then(Value::as_u64) {
                Some(code) => format!("{code}: {msg}"),
                None => msg.to_string(),
            }
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn rate_limit_hints() {
        let now = 1_700_000_000;
        assert_eq!(rate_limit_hint(&resp(200, &[], ""), now), None);
        assert_eq!(rate_limit_hint(&resp(429, &[("Retry-After", "7")], ""), now), Some(Some(Duration::from_secs(7))));
        assert_eq!(rate_limit_hint(&resp(429, &[], ""), now), Some(None));
        // Okta: reset as a Unix time.
        assert_eq!(
            rate_limit_hint(&resp(429, &[("X-Rate-Limit-Reset", "1700000012")], ""), now),
            Some(Some(Duration::from_secs(12)))
        );
        // CrowdStrike.
        assert_eq!(
            rate_limit_hint(&resp(429, &[("X-RateLimit-RetryAfter", "1700000003")], ""), now),
            Some(Some(Duration::from_secs(3)))
        );
        // GitHub primary limit: 403 with nothing remaining.
        assert_eq!(
            rate_limit_hint(
                &resp(403, &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "1700000060")], ""),
                now
            ),
            Some(Some(Duration::from_secs(60)))
        );
        assert_eq!(rate_limit_hint(&resp(403, &[("x-ratelimit-remaining", "12")], ""), now), None);
        // HTTP date.
        let at = chrono::DateTime::from_timestamp(now + 5, 0).expect("time").to_rfc2822();
        assert_eq!(rate_limit_hint(&resp(503, &[("Retry-After", &at)], ""), now), Some(Some(Duration::from_secs(5))));
        // AWS throttling is a 400 with an error code.
        let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
        assert_eq!(rate_limit_hint(&resp(400, &[], throttled), now), Some(None));
        assert_eq!(rate_limit_hint(&resp(400, &[], "<Code>ValidationError</Code>"), now), None);
        assert_eq!(rate_limit_hint(&resp(503, &[], ""), now), None);
    }

    #[test]
    fn vendor_messages() {
        let okta = r#"{"errorCode":"E0000001","errorSummary":"Api validation failed: suspend","errorCauses":[{"errorSummary":"Cannot suspend a user that is not active"}]}"#;
        assert_eq!(
            vendor_message(Vendor::Okta, &resp(400, &[], okta)),
            "E0000001: Api validation failed: suspend (Cannot suspend a user that is not active)"
        );
        let graph = r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist."}}"#;
        assert_eq!(
            vendor_message(Vendor::Microsoft, &resp(404, &[], graph)),
            "Request_ResourceNotFound: Resource 'x' does not exist."
        );
        let token = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1"}"#;
        assert_eq!(
            vendor_message(Vendor::Microsoft, &resp(401, &[], token)),
            "invalid_client: AADSTS7000215: Invalid client secret provided."
        );
        let jira = r#"{"errorMessages":[],"errors":{"summary":"You must specify a summary of the issue."}}"#;
        assert_eq!(
            vendor_message(Vendor::Jira, &resp(400, &[], jira)),
            "summary: You must specify a summary of the issue."
        );
        let snow = r#"{"error":{"message":"User Not Authenticated","detail":"Required to provide Auth information"},"status":"failure"}"#;
        assert_eq!(
            vendor_message(Vendor::ServiceNow, &resp(401, &[], snow)),
            "User Not Authenticated: Required to provide Auth information"
        );
        let gh =
            r#"{"message":"Validation Failed","errors":[{"resource":"Issue","code":"missing_field","field":"title"}]}"#;
        assert_eq!(vendor_message(Vendor::GitHub, &resp(422, &[], gh)), "Validation Failed: title missing_field");
        let cs = r#"{"meta":{},"errors":[{"code":404,"message":"Device not found"}]}"#;
        assert_eq!(vendor_message(Vendor::CrowdStrike, &resp(404, &[], cs)), "404: Device not found");
        assert_eq!(vendor_message(Vendor::Text, &resp(403, &[], "invalid_token")), "invalid_token");
        assert_eq!(vendor_message(Vendor::Okta, &resp(502, &[], "")), "HTTP 502 with an empty body");
    }

    #[test]
    fn retry_policy_from_config() {
        let p = RetryPolicy::from_config(&serde_json::json!({}));
        assert_eq!((p.max_retries, p.max_wait), (3, Duration::from_secs(30)));
        let p = RetryPolicy::from_config(&serde_json::json!({"retry": {"max_retries": 1, "max_wait_s": 0.5}}));
        assert_eq!((p.max_retries, p.max_wait), (1, Duration::from_millis(500)));
    }
}
