//! Response-action connectors: the calls Vigil makes to vendors' HTTP APIs to contain,
//! notify and open tickets.
//!
//! This crate owns:
//! * the vendor actions ([`registry`]): identity (Okta, Entra ID), cloud (AWS IAM), endpoint
//!   (CrowdStrike Falcon, Defender for Endpoint), ticketing (Jira, ServiceNow, GitHub) and
//!   notification (Slack, Teams, SMTP, signed webhooks), each with its vendor's endpoints,
//!   authentication, payloads, pagination, rate-limit handling and error messages;
//! * their inverses and the prior state they record for rollback;
//! * idempotency: actions read the target's state first, and ticket creation looks for an
//!   earlier ticket carrying the idempotency key before it creates one;
//! * [`Secrets`] (from a file or the environment) and [`mask`], which removes them from
//!   anything shown or stored;
//! * [`sigv4`], AWS Signature Version 4;
//! * [`sandbox`], a strict local stand-in for every vendor, for tests and the demo.
//!
//! It must not decide when to act, hold approvals or run state (that is the playbook
//! engine's), or log or return secrets: errors, call records and `Debug` output are masked.

pub mod sandbox;
pub mod sigv4;
pub mod util;

mod action;
mod actions;
mod docs;
mod http;
mod secrets;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use action::{
    ACCESS_TOKEN_PLACEHOLDER, Action, ActionContext, ActionOutcome, CallRecord, DEFAULT_MAX_RETRIES, DEFAULT_MAX_WAIT,
    IDEMPOTENCY_KEY_PLACEHOLDER,
};
pub use docs::actions_markdown;
pub use http::{HttpRequest, HttpResponse, HttpTransport, Transport};
pub use secrets::{ENV_PREFIX, Secrets, load_settings};

/// How much an action changes, from reading to destroying; the engine's approval rules
/// key on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionClass {
    Read,
    Notify,
    Contain,
    Destructive,
}

impl ActionClass {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionClass::Read => "read",
            ActionClass::Notify => "notify",
            ActionClass::Contain => "contain",
            ActionClass::Destructive => "destructive",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "read" => Some(ActionClass::Read),
            "notify" => Some(ActionClass::Notify),
            "contain" => Some(ActionClass::Contain),
            "destructive" => Some(ActionClass::Destructive),
            _ => None,
        }
    }
}

impl std::fmt::Display for ActionClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an action did not complete. No variant carries a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    #[error("missing input `{0}`")]
    MissingInput(String),
    #[error("missing secret `{0}`")]
    MissingSecret(String),
    #[error("missing configuration `{0}`")]
    MissingConfig(String),
    #[error("{action}: HTTP {status}: {message}")]
    Http { action: String, status: u16, message: String },
    #[error("{action}: rate limited; retry after {retry_after_s} s")]
    RateLimited { action: String, retry_after_s: u64 },
    #[error("transport: {0}")]
    Transport(String),
    #[error("unexpected response: {0}")]
    BadResponse(String),
    #[error("unsupported: {0}")]
    Unsupported(String),
}

impl ConnectorError {
    /// Whether trying again later may succeed: rate limits, transport failures and
    /// vendors' 5xx answers.
    pub fn retryable(&self) -> bool {
        match self {
            ConnectorError::RateLimited { .. } | ConnectorError::Transport(_) => true,
            ConnectorError::Http { status, .. } => (500..600).contains(status),
            _ => false,
        }
    }
}

/// Every action, by name.
pub fn registry() -> BTreeMap<&'static str, Box<dyn Action>> {
    actions::all().into_iter().map(|a| (a.name(), a)).collect()
}

/// The action named `name`.
pub fn action(name: &str) -> Option<Box<dyn Action>> {
    actions::all().into_iter().find(|a| a.name() == name)
}

/// What [`mask`] writes in place of a secret.
pub const MASK: &str = "****";

/// Headers whose whole value is a credential, masked whatever they hold.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-api-key",
    "api-key",
    "apikey",
    "x-auth-token",
    "x-access-token",
    "private-token",
    "x-amz-security-token",
    "x-vigil-signature",
    "cookie",
    "set-cookie",
];

/// Replaces every secret value (anywhere in URL, headers, body; also percent-, form- and
/// JSON-encoded) and the values of `Authorization`, `X-Api-Key` and similar credential
/// headers with `****`.
pub fn mask(req: &HttpRequest, secrets: &Secrets) -> HttpRequest {
    HttpRequest {
        method: req.method.clone(),
        url: mask_text(&req.url, secrets),
        headers: req
            .headers
            .iter()
            .map(|(k, v)| {
                let credential = CREDENTIAL_HEADERS.iter().any(|h| k.eq_ignore_ascii_case(h));
                (k.clone(), if credential { MASK.to_string() } else { mask_text(v, secrets) })
            })
            .collect(),
        body: req.body.as_ref().map(|b| mask_text(b, secrets)),
    }
}

/// Replaces every secret value in `text`, in the encodings a request may carry it in.
pub fn mask_text(text: &str, secrets: &Secrets) -> String {
    let mut needles: Vec<String> = Vec::new();
    for value in secrets.values().filter(|v| !v.is_empty()) {
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        for form in [value.to_string(), util::encode(value), util::encode_plus(value), json] {
            if !form.is_empty() && !needles.contains(&form) {
                needles.push(form);
            }
        }
    }
    // Longest first, so a secret that contains another is replaced whole.
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = text.to_string();
    for needle in &needles {
        if out.contains(needle.as_str()) {
            out = out.replace(needle.as_str(), MASK);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_round_trip() {
        for c in [ActionClass::Read, ActionClass::Notify, ActionClass::Contain, ActionClass::Destructive] {
            assert_eq!(ActionClass::parse(c.as_str()), Some(c));
            assert_eq!(serde_json::to_value(c).ok(), Some(serde_json::Value::String(c.as_str().into())));
        }
        assert!(ActionClass::Read < ActionClass::Destructive);
        assert_eq!(ActionClass::parse("delete"), None);
    }

    #[test]
    fn retryable_errors() {
        assert!(ConnectorError::RateLimited { action: "a".into(), retry_after_s: 1 }.retryable());
        assert!(ConnectorError::Transport("x".into()).retryable());
        assert!(ConnectorError::Http { action: "a".into(), status: 503, message: String::new() }.retryable());
        assert!(!ConnectorError::Http { action: "a".into(), status: 404, message: String::new() }.retryable());
        assert!(!ConnectorError::MissingSecret("x".into()).retryable());
    }

    #[test]
    fn mask_replaces_values_in_every_encoding_and_credential_headers() {
        let mut s = Secrets::new();
        s.insert("client_secret", "a+b/c=d e\"f");
        s.insert("short", "abc");
        s.insert("long", "abcdef");
        let req = HttpRequest {
            method: "POST".into(),
            url: "https://x.example/p?k=abcdef&s=a%2Bb%2Fc%3Dd%20e%22f".into(),
            headers: vec![
                ("Authorization".into(), "Basic Zm9vOmJhcg==".into()),
                ("X-Api-Key".into(), "anything".into()),
                ("X-Other".into(), "v abc".into()),
            ],
            body: Some(r#"{"s":"a+b/c=d e\"f"} a%2Bb%2Fc%3Dd+e%22f"#.into()),
        };
        let m = mask(&req, &s);
        assert_eq!(m.url, "https://x.example/p?k=****&s=****");
        assert_eq!(m.headers[0].1, "****");
        assert_eq!(m.headers[1].1, "****");
        assert_eq!(m.headers[2].1, "v ****");
        assert_eq!(m.body.as_deref(), Some(r#"{"s":"****"} ****"#));
    }

    #[test]
    fn registry_names_match() {
        let reg = registry();
        assert!(reg.len() >= 20);
        for (name, a) in &reg {
            assert_eq!(*name, a.name());
            assert!(action(name).is_some());
            if let Some(inv) = a.inverse() {
                assert!(reg.contains_key(inv), "{name} inverse {inv}");
            }
        }
        assert!(action("nope.nothing").is_none());
    }
}
