//! Requests, responses and the transport that carries them.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ConnectorError;

/// Largest response body read; vendors' answers to these calls are a few kilobytes.
const MAX_BODY: u64 = 16 << 20;

/// One HTTP call as a connector makes it (and as `plan` shows it). May hold secrets in its
/// headers, URL or body: pass it through [`crate::mask`] before showing or storing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

impl HttpRequest {
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        HttpRequest { method: method.to_string(), url: url.into(), headers: Vec::new(), body: None }
    }

    /// Adds a header (builder style).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// Sets `Content-Type: application/json` and the serialized body.
    pub fn with_json(self, body: &serde_json::Value) -> Self {
        let mut req = self.with_header("Content-Type", "application/json");
        req.body = Some(body.to_string());
        req
    }

    /// Sets `Content-Type: application/x-www-form-urlencoded` and the encoded body.
    pub fn with_form(self, pairs: &[(&str, &str)]) -> Self {
        let mut req = self.with_header("Content-Type", "application/x-www-form-urlencoded");
        req.body = Some(crate::util::form(pairs));
        req
    }

    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Replaces the value of every header named `name`, or adds it.
    pub fn set_header(&mut self, name: &str, value: &str) {
        let mut found = false;
        for (k, v) in &mut self.headers {
            if k.eq_ignore_ascii_case(name) {
                *v = value.to_string();
                found = true;
            }
        }
        if !found {
            self.headers.push((name.to_string(), value.to_string()));
        }
    }
}

/// A vendor's answer. Non-2xx statuses are answers too, not transport errors.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Every value of the headers named `name` (case-insensitive).
    pub fn headers_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers.iter().filter(move |(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON; [`ConnectorError::BadResponse`] when it is not.
    pub fn json(&self) -> Result<serde_json::Value, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|e| {
            ConnectorError::BadResponse(format!("HTTP {} with a body that is not JSON ({e})", self.status))
        })
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Carries requests to vendors. Implemented by [`HttpTransport`]; tests wrap it to record or
/// to fail calls.
pub trait Transport: Send + Sync {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError>;

    /// Waits before a retry after a rate limit. A test transport can record the wait
    /// instead of sleeping.
    fn sleep(&self, wait: Duration) {
        std::thread::sleep(wait);
    }
}

/// The real transport: a `ureq` agent over rustls. Connect timeout 10 s (or the whole-call
/// timeout when shorter); redirects are not followed, since a redirect would carry
/// credentials to wherever it points.
pub struct HttpTransport {
    agent: ureq::Agent,
    timeout: Duration,
}

impl fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpTransport").field("timeout", &self.timeout).finish()
    }
}

impl Default for HttpTransport {
    fn default() -> Self {
        Self::new(Duration::from_secs(30))
    }
}

impl HttpTransport {
    /// `timeout` bounds each call as a whole (connect, send, wait, read).
    pub fn new(timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("vigil-connectors/", env!("CARGO_PKG_VERSION")))
            .build();
        HttpTransport { agent: config.into(), timeout }
    }
}

impl Transport for HttpTransport {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        use ureq::http;
        let method = http::Method::from_bytes(req.method.as_bytes())
            .map_err(|_| ConnectorError::Unsupported(format!("HTTP method {}", req.method)))?;
        let mut builder = http::Request::builder().method(method.clone()).uri(req.url.as_str());
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let bad = |e: http::Error| ConnectorError::Unsupported(format!("cannot build the request: {e}"));
        let result = match &req.body {
            Some(body) => self.agent.run(builder.body(body.as_bytes()).map_err(bad)?),
            // An explicit empty body gives `Content-Length: 0`, which servers want on a POST.
            None if matches!(method, http::Method::POST | http::Method::PUT | http::Method::PATCH) => {
                self.agent.run(builder.body(&b""[..]).map_err(bad)?)
            }
            None => self.agent.run(builder.body(()).map_err(bad)?),
        };
        let mut resp = result.map_err(|e| ConnectorError::Transport(e.to_string()))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| ConnectorError::Transport(format!("reading the response: {e}")))?;
        Ok(HttpResponse { status, headers, body })
    }
}
