//! The endpoint's configuration, as an administrator writes it.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::LlmError;

/// The most retries a configuration may ask for; with the backoff doubling from 200 ms, ten
/// retries already wait over three minutes in all.
pub const MAX_RETRIES: u32 = 10;

/// Where the model is and how to call it. The key itself is never part of the configuration:
/// `api_key_env` names the environment variable that holds it.
///
/// ```json
/// {"endpoint": "http://127.0.0.1:8081/v1", "model": "smollm2-135m-instruct"}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// Base URL, normally ending in `/v1`; requests go to `{endpoint}/chat/completions`.
    pub endpoint: String,
    /// The model name sent with each request.
    pub model: String,
    /// Name of the environment variable holding the bearer key, if the endpoint wants one.
    #[serde(default)]
    pub api_key_env: Option<String>,
    /// Timeout of each request as a whole (connect, send, wait, read), in milliseconds.
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// Retries after connection errors, timeouts, 429 and 5xx answers.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// The most tokens a reply may have.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// Sampling temperature; 0 makes a local model's answers repeatable.
    #[serde(default)]
    pub temperature: f32,
}

fn default_timeout_ms() -> u64 {
    30_000
}

fn default_retries() -> u32 {
    2
}

fn default_max_tokens() -> u32 {
    512
}

impl ModelConfig {
    /// A configuration with the defaults: timeout 30 s, 2 retries, 512 tokens, temperature 0,
    /// no key. Not validated until used (see [`ModelConfig::validate`]).
    pub fn new(endpoint: impl Into<String>, model: impl Into<String>) -> ModelConfig {
        ModelConfig {
            endpoint: endpoint.into(),
            model: model.into(),
            api_key_env: None,
            timeout_ms: default_timeout_ms(),
            retries: default_retries(),
            max_tokens: default_max_tokens(),
            temperature: 0.0,
        }
    }

    /// Parses and validates a configuration. Unknown fields are refused, and the error names
    /// the field.
    pub fn from_json(text: &str) -> Result<ModelConfig, LlmError> {
        let mut cfg: ModelConfig = serde_json::from_str(text).map_err(|e| LlmError::Config(e.to_string()))?;
        cfg.validate()?;
        cfg.endpoint = cfg.endpoint.trim_end_matches('/').to_string();
        Ok(cfg)
    }

    /// Reads [`ModelConfig::from_json`] from a file.
    pub fn from_file(path: &Path) -> Result<ModelConfig, LlmError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LlmError::Config(format!("cannot read {}: {e}", path.display())))?;
        ModelConfig::from_json(&text).map_err(|e| match e {
            LlmError::Config(m) => LlmError::Config(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// Checks every field: the endpoint is an `http`/`https` URL with a host and no
    /// credentials, query or fragment; the model is named; the numbers are in range; the key
    /// variable, when named, is a plausible variable name.
    pub fn validate(&self) -> Result<(), LlmError> {
        parse_endpoint(&self.endpoint)?;
        if self.model.trim().is_empty() {
            return Err(LlmError::Config("field `model` is empty".into()));
        }
        if let Some(var) = &self.api_key_env
            && (var.is_empty() || var.contains('=') || var.contains('\0') || var.chars().any(char::is_whitespace))
        {
            return Err(LlmError::Config(format!("field `api_key_env` is not a variable name: {var:?}")));
        }
        if self.timeout_ms == 0 {
            return Err(LlmError::Config("field `timeout_ms` must be above 0".into()));
        }
        if self.retries > MAX_RETRIES {
            return Err(LlmError::Config(format!("field `retries` is {}, at most {MAX_RETRIES}", self.retries)));
        }
        if self.max_tokens == 0 {
            return Err(LlmError::Config("field `max_tokens` must be above 0".into()));
        }
        if !self.temperature.is_finite() || !(0.0..=2.0).contains(&self.temperature) {
            return Err(LlmError::Config(format!("field `temperature` is {}, not within 0..=2", self.temperature)));
        }
        Ok(())
    }

    /// Whether the endpoint's host is a loopback address (127.0.0.0/8, ::1, "localhost").
    /// Anything else, including a host name that merely starts with `127.`, is not; an
    /// endpoint that does not parse is not.
    pub fn is_loopback(&self) -> bool {
        match parse_endpoint(&self.endpoint) {
            Ok(ep) => host_is_loopback(&ep.host),
            Err(_) => false,
        }
    }

    /// Whether the endpoint is `https`.
    pub(crate) fn is_https(&self) -> bool {
        parse_endpoint(&self.endpoint).map(|ep| ep.https).unwrap_or(false)
    }
}

/// The parts of an endpoint URL that matter here.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Endpoint {
    pub https: bool,
    /// Without brackets for IPv6.
    pub host: String,
}

/// Parses `http(s)://host[:port][/path]`, refusing what a model endpoint has no use for.
pub(crate) fn parse_endpoint(url: &str) -> Result<Endpoint, LlmError> {
    let bad = |why: &str| LlmError::Config(format!("field `endpoint` {url:?} {why}"));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("is not an http(s) URL"))?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "http" => false,
        "https" => true,
        _ => return Err(bad("is not an http(s) URL")),
    };
    if rest.contains('?') || rest.contains('#') {
        return Err(bad("has a query or fragment"));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(bad("carries credentials; name the key's variable in `api_key_env` instead"));
    }
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (h, after) = inner.split_once(']').ok_or_else(|| bad("has an unclosed IPv6 bracket"))?;
        h.parse::<Ipv6Addr>().map_err(|_| bad("has a bad IPv6 address"))?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(|| bad("has junk after the IPv6 address"))?),
        };
        (h, port)
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if !authority.starts_with('[') && !host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
        return Err(bad("has a bad host"));
    }
    if let Some(p) = port
        && !matches!(p.parse::<u16>(), Ok(n) if n > 0)
    {
        return Err(bad("has a bad port"));
    }
    Ok(Endpoint { https, host: host.to_string() })
}

fn host_is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4: Ipv4Addr| v4.is_loopback()),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_config() {
        let cfg = ModelConfig::from_json(
            r#"{"endpoint":"https://llm.example.com/v1/","model":"m","api_key_env":"VIGIL_LLM_KEY",
                "timeout_ms":1000,"retries":3,"max_tokens":64,"temperature":0.2}"#,
        )
        .unwrap();
        assert_eq!(cfg.endpoint, "https://llm.example.com/v1");
        assert_eq!(cfg.model, "m");
        assert_eq!(cfg.api_key_env.as_deref(), Some("VIGIL_LLM_KEY"));
        assert_eq!((cfg.timeout_ms, cfg.retries, cfg.max_tokens), (1000, 3, 64));
        assert!((cfg.temperature - 0.2).abs() < 1e-6);
        assert!(cfg.is_https());
    }

    #[test]
    fn fills_defaults() {
        let cfg = ModelConfig::from_json(r#"{"endpoint":"http://127.0.0.1:8081/v1","model":"smollm2-135m-instruct"}"#)
            .unwrap();
        assert_eq!(cfg, ModelConfig::new("http://127.0.0.1:8081/v1", "smollm2-135m-instruct"));
        assert_eq!((cfg.timeout_ms, cfg.retries, cfg.max_tokens), (30_000, 2, 512));
        assert_eq!(cfg.temperature, 0.0);
        assert_eq!(cfg.api_key_env, None);
    }

    #[test]
    fn refuses_an_unknown_field_by_name() {
        let err =
            ModelConfig::from_json(r#"{"endpoint":"http://127.0.0.1/v1","model":"m","api_key":"sk-123"}"#).unwrap_err();
        let LlmError::Config(msg) = &err else { panic!("{err:?}") };
        assert!(msg.contains("unknown field `api_key`"), "{msg}");
    }

    #[test]
    fn refuses_a_missing_field_by_name() {
        let err = ModelConfig::from_json(r#"{"endpoint":"http://127.0.0.1/v1"}"#).unwrap_err();
        assert!(err.to_string().contains("missing field `model`"), "{err}");
    }

    #[test]
    fn refuses_bad_endpoints() {
        for url in [
            "",
            "127.0.0.1:8081/v1",
            "ftp://host/v1",
            "http://",
            "http:///v1",
            "http://host:0/v1",
            "http://host:99999/v1",
            "http://host:abc/v1",
            "http://user:pw@host/v1",
            "http://host/v1?key=1",
            "http://host/v1#x",
            "http://ho st/v1",
            "http://[::1/v1",
            "http://[nonsense]/v1",
            "http://host%2f/v1",
        ] {
            let json = serde_json::json!({"endpoint": url, "model": "m"}).to_string();
            let err = ModelConfig::from_json(&json).unwrap_err();
            assert!(matches!(&err, LlmError::Config(m) if m.contains("endpoint")), "{url}: {err:?}");
        }
    }

    #[test]
    fn refuses_bad_numbers_and_names() {
        for json in [
            r#"{"endpoint":"http://h/v1","model":" "}"#,
            r#"{"endpoint":"http://h/v1","model":"m","timeout_ms":0}"#,
            r#"{"endpoint":"http://h/v1","model":"m","retries":11}"#,
            r#"{"endpoint":"http://h/v1","model":"m","max_tokens":0}"#,
            r#"{"endpoint":"http://h/v1","model":"m","temperature":3.5}"#,
            r#"{"endpoint":"http://h/v1","model":"m","temperature":-0.1}"#,
            r#"{"endpoint":"http://h/v1","model":"m","api_key_env":""}"#,
            r#"{"endpoint":"http://h/v1","model":"m","api_key_env":"A=B"}"#,
            r#"{"endpoint":"http://h/v1","model":"m","retries":-1}"#,
        ] {
            assert!(matches!(ModelConfig::from_json(json), Err(LlmError::Config(_))), "{json}");
        }
    }

    #[test]
    fn reads_from_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("model.json");
        std::fs::write(&good, r#"{"endpoint":"http://localhost:8081/v1","model":"m"}"#).unwrap();
        assert_eq!(ModelConfig::from_file(&good).unwrap().endpoint, "http://localhost:8081/v1");
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, r#"{"endpoint":"http://localhost/v1","model":"m","tokens":1}"#).unwrap();
        let err = ModelConfig::from_file(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.json") && err.contains("`tokens`"), "{err}");
        let missing = ModelConfig::from_file(&dir.path().join("none.json")).unwrap_err().to_string();
        assert!(missing.contains("none.json"), "{missing}");
    }

    #[test]
    fn knows_loopback_hosts() {
        let lo = |url: &str| ModelConfig::new(url, "m").is_loopback();
        assert!(lo("http://127.0.0.1:8081/v1"));
        assert!(lo("http://127.4.5.6/v1"));
        assert!(lo("http://[::1]:8081/v1"));
        assert!(lo("http://[::ffff:127.0.0.1]/v1"));
        assert!(lo("http://localhost:8081/v1"));
        assert!(lo("HTTP://LocalHost/v1"));
        assert!(lo("https://localhost"));
        assert!(!lo("http://10.0.0.1:8081/v1"));
        assert!(!lo("http://127.0.0.1.evil.com/v1"));
        assert!(!lo("http://localhost.evil.com/v1"));
        assert!(!lo("http://evil.com/127.0.0.1"));
        assert!(!lo("http://[::2]/v1"));
        assert!(!lo("http://0.0.0.0/v1"));
        assert!(!lo("https://api.openai.com/v1"));
        assert!(!lo("http://127.0.0.1@evil.com/v1"));
        assert!(!lo("not a url"));
    }
}
