//! `POST {endpoint}/chat/completions`, with retries, bounded reads and audit hashes.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{LlmError, ModelConfig};

/// The most bytes read of any reply; a longer one is an error, so a hostile or broken server
/// cannot exhaust memory.
pub const MAX_REPLY_BYTES: u64 = 4 * 1024 * 1024;

/// The longest wait a `Retry-After` header can ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(5);

/// The first backoff; each retry doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(200);

/// How much of a bad reply an error quotes.
const EXCERPT_CHARS: usize = 160;

/// Who said a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Message {
        Message { role: Role::System, content: content.into() }
    }

    pub fn user(content: impl Into<String>) -> Message {
        Message { role: Role::User, content: content.into() }
    }

    pub fn assistant(content: impl Into<String>) -> Message {
        Message { role: Role::Assistant, content: content.into() }
    }
}

/// A reply, with what the audit log needs about the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The assistant message's text.
    pub content: String,
    /// The model the server says it ran (the configured name when it does not say).
    pub model: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Wall time of the whole call, retries and waits included.
    pub latency_ms: u64,
    /// `stop`, `length`, … as the server reports it (empty when it does not).
    pub finish_reason: String,
    /// Requests sent for this call, 1 when the first succeeded.
    pub attempts: u32,
    /// Hex SHA-256 of the exact request body sent: the prompt's fingerprint, never the prompt.
    pub request_sha256: String,
}

/// A client for one configured endpoint. Blocking: each call returns when the reply is in,
/// or when the retries are spent.
pub struct ChatClient {
    config: ModelConfig,
    url: String,
    agent: ureq::Agent,
    key: Option<String>,
    sent: AtomicU64,
}

impl fmt::Debug for ChatClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatClient")
            .field("config", &self.config)
            .field("key", &self.key.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

/// What one request came to.
enum Attempt {
    Reply(Completion),
    /// Worth another try: a timeout, a connection error, 429 or 5xx.
    Retry {
        error: LlmError,
        retry_after: Option<Duration>,
    },
    Fail(LlmError),
}

impl ChatClient {
    /// Validates the configuration and reads the key from `api_key_env` when it names a
    /// variable (an unset or empty variable is an error). A key is refused over plain `http`
    /// to a host that is not loopback, since it would cross the network in the clear.
    pub fn new(cfg: ModelConfig) -> Result<ChatClient, LlmError> {
        cfg.validate()?;
        let mut cfg = cfg;
        cfg.endpoint = cfg.endpoint.trim_end_matches('/').to_string();
        let key = match &cfg.api_key_env {
            None => None,
            Some(var) => {
                let key = std::env::var(var).map_err(|e| {
                    LlmError::Config(match e {
                        std::env::VarError::NotPresent => format!("the API key variable {var} is not set"),
                        std::env::VarError::NotUnicode(_) => format!("the API key variable {var} is not UTF-8"),
                    })
                })?;
                let key = key.trim().to_string();
                if key.is_empty() {
                    return Err(LlmError::Config(format!("the API key variable {var} is empty")));
                }
                if key.chars().any(|c| c.is_control() || !c.is_ascii()) {
                    return Err(LlmError::Config(format!("the API key in {var} has characters a header cannot carry")));
                }
                if !cfg.is_https() && !cfg.is_loopback() {
                    return Err(LlmError::Config(format!(
                        "an API key is sent only over https to a host that is not loopback ({})",
                        cfg.endpoint
                    )));
                }
                Some(key)
            }
        };
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let mut builder = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .timeout_connect(Some(Duration::from_secs(10).min(timeout)))
            .http_status_as_error(false)
            // A redirect would carry the key and the prompt to wherever it points.
            .max_redirects(0)
            .user_agent(concat!("vigil-llm/", env!("CARGO_PKG_VERSION")));
        if cfg.is_loopback() {
            // A local server is reached directly, whatever proxy the environment names.
            builder = builder.proxy(None);
        }
        let url = format!("{}/chat/completions", cfg.endpoint);
        Ok(ChatClient { config: cfg, url, agent: builder.build().into(), key, sent: AtomicU64::new(0) })
    }

    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// Whether text must pass through a [`crate::Redactor`] before it is sent: true unless the
    /// endpoint is on loopback.
    pub fn must_redact(&self) -> bool {
        !self.config.is_loopback()
    }

    /// Requests sent by this client so far, retries included.
    pub fn requests_sent(&self) -> u64 {
        self.sent.load(Ordering::Relaxed)
    }

    /// POST {endpoint}/chat/completions. With `schema`, sends
    /// `"response_format": {"type":"json_schema","json_schema":{"name": name,"strict":true,"schema": schema}}`.
    ///
    /// Retries (up to `retries` times) after a timeout, a connection error, 429 or 5xx,
    /// waiting 200 ms × 2ⁿ, or what `Retry-After` asks up to 5 s. Other answers are final.
    pub fn chat(&self, messages: &[Message], schema: Option<(&str, &Value)>) -> Result<Completion, LlmError> {
        let body = self.request_body(messages, schema)?;
        let request_sha256 = hex::encode(Sha256::digest(&body));
        let start = Instant::now();
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            match self.attempt(&body) {
                Attempt::Reply(mut c) => {
                    c.attempts = attempts;
                    c.request_sha256 = request_sha256;
                    c.latency_ms = u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX);
                    return Ok(c);
                }
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry { error, retry_after } => {
                    if attempts > self.config.retries {
                        return Err(match error {
                            LlmError::Timeout { after_ms, .. } => LlmError::Timeout { after_ms, attempts },
                            LlmError::Connect(m) => LlmError::Connect(format!("{m} (after {attempts} attempts)")),
                            other => other,
                        });
                    }
                    std::thread::sleep(retry_wait(attempts - 1, retry_after));
                }
            }
        }
    }

    /// [`ChatClient::chat`] with a schema, then the content parsed as JSON into `T`. A reply
    /// cut off at the token limit (finish reason `length`), or one that does not parse as `T`,
    /// is [`LlmError::BadReply`] with the reason and a short excerpt, never a partial value.
    pub fn chat_json<T: DeserializeOwned>(
        &self,
        messages: &[Message],
        name: &str,
        schema: &Value,
    ) -> Result<(T, Completion), LlmError> {
        let c = self.chat(messages, Some((name, schema)))?;
        if c.finish_reason == "length" {
            return Err(LlmError::BadReply(format!(
                "the reply was cut off at the token limit ({} tokens): {}",
                self.config.max_tokens,
                excerpt(&self.scrub(&c.content))
            )));
        }
        match serde_json::from_str::<T>(c.content.trim()) {
            Ok(v) => Ok((v, c)),
            Err(e) => Err(LlmError::BadReply(format!(
                "the reply is not the JSON schema `{name}` asked for ({e}): {}",
                excerpt(&self.scrub(&c.content))
            ))),
        }
    }

    fn request_body(&self, messages: &[Message], schema: Option<(&str, &Value)>) -> Result<Vec<u8>, LlmError> {
        if messages.is_empty() {
            return Err(LlmError::Config("a chat needs at least one message".into()));
        }
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "stream": false,
        });
        if let Some((name, schema)) = schema {
            let ok = !name.is_empty()
                && name.len() <= 64
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                return Err(LlmError::Config(format!("schema name {name:?} is not 1-64 of [A-Za-z0-9_-]")));
            }
            if !schema.is_object() {
                return Err(LlmError::Config(format!("schema `{name}` is not a JSON object")));
            }
            body["response_format"] = serde_json::json!({
                "type": "json_schema",
                "json_schema": {"name": name, "strict": true, "schema": schema},
            });
        }
        serde_json::to_vec(&body).map_err(|e| LlmError::Config(format!("cannot encode the request: {e}")))
    }

    fn attempt(&self, body: &[u8]) -> Attempt {
        let mut req = ureq::http::Request::builder()
            .method("POST")
            .uri(self.url.as_str())
            .header("Content-Type", "application/json")
            .header("Accept", "application/json");
        if let Some(key) = &self.key {
            req = req.header("Authorization", format!("Bearer {key}"));
        }
        let req = match req.body(body) {
            Ok(r) => r,
            Err(e) => return Attempt::Fail(LlmError::Config(format!("cannot build the request: {e}"))),
        };
        self.sent.fetch_add(1, Ordering::Relaxed);
        let mut resp = match self.agent.run(req) {
            Ok(r) => r,
            Err(e) => return self.transport_error(e),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let declared = resp
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let read = match declared {
            Some(n) if n > MAX_REPLY_BYTES => Err(ureq::Error::BodyExceedsLimit(MAX_REPLY_BYTES)),
            _ => resp.body_mut().with_config().limit(MAX_REPLY_BYTES).read_to_vec(),
        };
        let is_success = (200..300).contains(&status);
        let retryable = status == 429 || (500..600).contains(&status);
        let bytes = match read {
            Ok(b) => b,
            Err(e) if is_success => {
                return match e {
                    ureq::Error::Timeout(_) => Attempt::Retry { error: self.timeout(), retry_after: None },
                    ureq::Error::BodyExceedsLimit(_) => Attempt::Fail(LlmError::BadReply(format!(
                        "the reply is larger than {} MiB",
                        MAX_REPLY_BYTES / (1024 * 1024)
                    ))),
                    other => Attempt::Fail(LlmError::BadReply(format!(
                        "reading the reply failed: {}",
                        self.scrub(&other.to_string())
                    ))),
                };
            }
            // An error answer whose body cannot be read is still an error answer.
            Err(_) => Vec::new(),
        };
        if is_success {
            return match self.parse_reply(&bytes) {
                Ok(c) => Attempt::Reply(c),
                Err(e) => Attempt::Fail(e),
            };
        }
        let error = LlmError::Http { status, message: self.scrub(&error_message(&bytes, status)) };
        if retryable { Attempt::Retry { error, retry_after } } else { Attempt::Fail(error) }
    }

    fn transport_error(&self, e: ureq::Error) -> Attempt {
        use ureq::Error as E;
        let retry = |error| Attempt::Retry { error, retry_after: None };
        match e {
            E::Timeout(_) => retry(self.timeout()),
            E::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => retry(self.timeout()),
            E::Io(io) => retry(LlmError::Connect(format!("{}: {}", self.config.endpoint, self.scrub(&io.to_string())))),
            E::HostNotFound => retry(LlmError::Connect(format!("{}: host not found", self.config.endpoint))),
            E::ConnectionFailed => retry(LlmError::Connect(format!("{}: connection failed", self.config.endpoint))),
            E::Protocol(p) => {
                Attempt::Fail(LlmError::BadReply(format!("not an HTTP reply: {}", self.scrub(&p.to_string()))))
            }
            E::BadUri(u) => Attempt::Fail(LlmError::Config(format!("bad endpoint URL: {u}"))),
            E::RedirectFailed | E::TooManyRedirects => Attempt::Fail(LlmError::Connect(format!(
                "{}: redirected; redirects are not followed",
                self.config.endpoint
            ))),
            other => Attempt::Fail(LlmError::Connect(format!(
                "{}: {}",
                self.config.endpoint,
                self.scrub(&other.to_string())
            ))),
        }
    }

    fn timeout(&self) -> LlmError {
        LlmError::Timeout { after_ms: self.config.timeout_ms, attempts: 1 }
    }

    fn parse_reply(&self, bytes: &[u8]) -> Result<Completion, LlmError> {
        let bad = |why: String| LlmError::BadReply(self.scrub(&why));
        let text = std::str::from_utf8(bytes).map_err(|e| bad(format!("the reply is not UTF-8 ({e})")))?;
        if text.trim().is_empty() {
            return Err(bad("the reply is empty".into()));
        }
        let reply: Wire = serde_json::from_str(text).map_err(|e| {
            let what = if e.is_eof() {
                "the reply is truncated JSON"
            } else if e.is_syntax() {
                "the reply is not JSON"
            } else {
                "the reply is not a chat completion"
            };
            bad(format!("{what} ({e}): {}", excerpt(text)))
        })?;
        if let Some(err) = reply.error {
            return Err(bad(format!("the server reported an error: {}", wire_error_message(&err))));
        }
        let choice = reply
            .choices
            .and_then(|c| c.into_iter().next())
            .ok_or_else(|| bad(format!("the reply has no choices: {}", excerpt(text))))?;
        let content = choice
            .message
            .and_then(|m| m.content)
            .ok_or_else(|| bad(format!("the reply's message has no content: {}", excerpt(text))))?;
        let usage = reply.usage.unwrap_or_default();
        Ok(Completion {
            content,
            model: reply.model.unwrap_or_else(|| self.config.model.clone()),
            prompt_tokens: usage.prompt_tokens.unwrap_or(0),
            completion_tokens: usage.completion_tokens.unwrap_or(0),
            latency_ms: 0,
            finish_reason: choice.finish_reason.unwrap_or_default(),
            attempts: 0,
            request_sha256: String::new(),
        })
    }

    /// Removes the key from text that came from elsewhere (a server could echo it).
    fn scrub(&self, text: &str) -> String {
        match &self.key {
            Some(key) if !key.is_empty() && text.contains(key.as_str()) => text.replace(key.as_str(), "<api key>"),
            _ => text.to_string(),
        }
    }
}

/// The wait before retry number `n + 1` (`n` counts from 0): `Retry-After` when the server
/// sent one (at most 5 s), else 200 ms × 2ⁿ.
pub(crate) fn retry_wait(n: u32, retry_after: Option<Duration>) -> Duration {
    match retry_after {
        Some(d) => d.min(MAX_RETRY_AFTER),
        None => BACKOFF_BASE.saturating_mul(1u32 << n.min(16)),
    }
}

/// The server's message from an error answer: `{"error":{"message":…}}`, `{"error":"…"}` or
/// `{"message":…}`, else the start of the body, else the status alone.
fn error_message(bytes: &[u8], status: u16) -> String {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(v) = serde_json::from_str::<Value>(&text) {
        let msg = match v.get("error") {
            Some(e) => Some(wire_error_message(e)),
            None => v.get("message").and_then(Value::as_str).map(str::to_string),
        };
        if let Some(m) = msg {
            return excerpt_len(&m, 1000);
        }
    }
    if text.trim().is_empty() { format!("HTTP {status} with an empty body") } else { excerpt(&text) }
}

fn wire_error_message(e: &Value) -> String {
    match e {
        Value::String(s) => s.clone(),
        Value::Object(o) => match o.get("message").and_then(Value::as_str) {
            Some(m) => m.to_string(),
            None => e.to_string(),
        },
        other => other.to_string(),
    }
}

fn excerpt(text: &str) -> String {
    excerpt_len(text, EXCERPT_CHARS)
}

/// The start of `text`, on one line, with an ellipsis when cut.
fn excerpt_len(text: &str, max: usize) -> String {
    let flat: String = text.trim().chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    let mut out: String = flat.chars().take(max).collect();
    if flat.chars().count() > max {
        out.push('…');
    }
    out
}

#[derive(Deserialize)]
struct Wire {
    model: Option<String>,
    choices: Option<Vec<WireChoice>>,
    usage: Option<WireUsage>,
    error: Option<Value>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: Option<WireMessage>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireMessage {
    content: Option<String>,
}

#[derive(Deserialize, Default)]
struct WireUsage {
    prompt_tokens: Option<u64>,
    completion_tokens: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_retry_after_is_capped() {
        assert_eq!(retry_wait(0, None), Duration::from_millis(200));
        assert_eq!(retry_wait(1, None), Duration::from_millis(400));
        assert_eq!(retry_wait(3, None), Duration::from_millis(1600));
        assert_eq!(retry_wait(1, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(retry_wait(0, Some(Duration::from_secs(3600))), Duration::from_secs(5));
        assert_eq!(retry_wait(0, Some(Duration::ZERO)), Duration::ZERO);
        // Never overflows, whatever the count.
        assert!(retry_wait(u32::MAX, None) > Duration::from_secs(60));
    }

    #[test]
    fn reads_openai_error_shapes() {
        let m = error_message(br#"{"error":{"code":400,"message":"too long","type":"x"}}"#, 400);
        assert_eq!(m, "too long");
        assert_eq!(error_message(br#"{"error":"nope"}"#, 400), "nope");
        assert_eq!(error_message(br#"{"message":"slow down"}"#, 429), "slow down");
        assert_eq!(error_message(b"", 502), "HTTP 502 with an empty body");
        assert_eq!(error_message(b"<html>bad gateway</html>", 502), "<html>bad gateway</html>");
    }

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        let long = "x\n".repeat(1000);
        let e = excerpt(&long);
        assert!(e.chars().count() < EXCERPT_CHARS + 5 && !e.contains('\n'), "{e}");
        assert!(e.ends_with('…'));
    }

    #[test]
    fn a_missing_key_variable_is_a_clear_error() {
        let mut cfg = ModelConfig::new("https://llm.example.com/v1", "m");
        cfg.api_key_env = Some("VIGIL_LLM_TEST_KEY_THAT_IS_NEVER_SET_7f3a".into());
        let err = ChatClient::new(cfg).unwrap_err();
        assert_eq!(
            err,
            LlmError::Config("the API key variable VIGIL_LLM_TEST_KEY_THAT_IS_NEVER_SET_7f3a is not set".into())
        );
    }

    #[test]
    fn must_redact_unless_loopback() {
        let local = ChatClient::new(ModelConfig::new("http://127.0.0.1:8081/v1", "m")).unwrap();
        assert!(!local.must_redact());
        let remote = ChatClient::new(ModelConfig::new("https://llm.example.com/v1", "m")).unwrap();
        assert!(remote.must_redact());
        let lan = ChatClient::new(ModelConfig::new("http://10.0.0.1:8081/v1", "m")).unwrap();
        assert!(lan.must_redact());
    }

    #[test]
    fn the_request_body_is_the_openai_shape() {
        let client = ChatClient::new(ModelConfig::new("http://127.0.0.1:1/v1/", "m")).unwrap();
        assert_eq!(client.url, "http://127.0.0.1:1/v1/chat/completions");
        let schema = serde_json::json!({"type": "object"});
        let body = client.request_body(&[Message::user("hi")], Some(("plan", &schema))).unwrap();
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["messages"], serde_json::json!([{"role": "user", "content": "hi"}]));
        assert_eq!(v["response_format"]["json_schema"]["name"], "plan");
        assert_eq!(v["response_format"]["json_schema"]["strict"], true);
        assert!(client.request_body(&[Message::user("hi")], Some(("bad name", &schema))).is_err());
        assert!(client.request_body(&[Message::user("hi")], Some(("plan", &Value::Bool(true)))).is_err());
        assert!(client.request_body(&[], None).is_err());
    }
}
