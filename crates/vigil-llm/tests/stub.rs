//! The client against a scripted local HTTP server: request shape, retries, error answers,
//! timeouts, bad and oversized replies, and the API key.

use std::io::Read;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use vigil_llm::{ChatClient, LlmError, Message, ModelConfig};

/// What the stub answers to one request.
#[derive(Clone)]
enum Reply {
    /// Status, body, extra headers.
    Json(u16, String, Vec<(&'static str, String)>),
    /// Accept the request and never answer.
    Hang,
    /// A 200 with `bytes` bytes of junk, with or without a Content-Length.
    Big { bytes: usize, chunked: bool },
}

/// A request as the stub saw it.
struct Seen {
    url: String,
    body: Vec<u8>,
    /// Lowercased names.
    headers: Vec<(String, String)>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

struct Stub {
    endpoint: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Stub {
    fn count(&self) -> usize {
        self.seen.lock().unwrap().len()
    }
}

/// Serves `replies` in order on 127.0.0.1, the last one repeating. The server thread lives
/// until the test process ends.
fn stub(replies: Vec<Reply>) -> Stub {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for (i, mut req) in server.incoming_requests().enumerate() {
            let mut body = Vec::new();
            let _ = req.as_reader().read_to_end(&mut body);
            let headers = req
                .headers()
                .iter()
                .map(|h| (h.field.as_str().as_str().to_ascii_lowercase(), h.value.as_str().to_string()))
                .collect();
            record.lock().unwrap().push(Seen { url: req.url().to_string(), body, headers });
            let reply = replies.get(i).or(replies.last()).cloned().unwrap();
            match reply {
                Reply::Json(status, body, extra) => {
                    let mut resp = tiny_http::Response::from_string(body)
                        .with_status_code(status)
                        .with_header(tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap());
                    for (name, value) in extra {
                        resp = resp.with_header(tiny_http::Header::from_bytes(name, value).unwrap());
                    }
                    let _ = req.respond(resp);
                }
                Reply::Hang => held.push(req),
                Reply::Big { bytes, chunked } => {
                    let reader = std::io::repeat(b'x').take(bytes as u64);
                    let len = if chunked { None } else { Some(bytes) };
                    let resp = tiny_http::Response::new(tiny_http::StatusCode(200), Vec::new(), reader, len, None);
                    // The client hangs up once it has read enough; the write then fails.
                    let _ = req.respond(resp);
                }
            }
        }
    });
    Stub { endpoint: format!("http://127.0.0.1:{port}/v1"), seen }
}

/// An OpenAI-shaped reply, with the extra fields llama-server adds.
fn completion(content: &str, finish: &str) -> String {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "served-model",
        "choices": [{"index": 0, "finish_reason": finish, "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
        "timings": {"prompt_ms": 1.5},
    })
    .to_string()
}

fn ok(content: &str) -> Reply {
    Reply::Json(200, completion(content, "stop"), Vec::new())
}

fn status(code: u16, body: &str) -> Reply {
    Reply::Json(code, body.to_string(), Vec::new())
}

fn client(endpoint: &str) -> ChatClient {
    let mut cfg = ModelConfig::new(endpoint, "test-model");
    cfg.timeout_ms = 10_000;
    ChatClient::new(cfg).unwrap()
}

fn plan_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": ["search_events", "list_cases"]},
            "entity": {"type": "string", "maxLength": 40}
        },
        "required": ["tool", "entity"]
    })
}

#[derive(Debug, Deserialize, PartialEq)]
struct Plan {
    tool: String,
    entity: String,
}

fn messages() -> Vec<Message> {
    vec![Message::system("Pick a tool."), Message::user("What did ann do?")]
}

#[test]
fn the_request_has_the_openai_shape_and_the_reply_is_read() {
    let s = stub(vec![ok(r#"{"tool":"search_events","entity":"ann"}"#)]);
    let mut cfg = ModelConfig::new(&s.endpoint, "test-model");
    cfg.max_tokens = 99;
    cfg.temperature = 0.25;
    let c = ChatClient::new(cfg).unwrap();
    let schema = plan_schema();
    let (plan, done): (Plan, _) = c.chat_json(&messages(), "plan", &schema).unwrap();
    assert_eq!(plan, Plan { tool: "search_events".into(), entity: "ann".into() });

    let seen = s.seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let req = &seen[0];
    assert_eq!(req.url, "/v1/chat/completions");
    assert_eq!(req.header("content-type"), Some("application/json"));
    assert_eq!(req.header("authorization"), None);
    assert_eq!(
        req.json(),
        json!({
            "model": "test-model",
            "messages": [
                {"role": "system", "content": "Pick a tool."},
                {"role": "user", "content": "What did ann do?"}
            ],
            "temperature": 0.25,
            "max_tokens": 99,
            "stream": false,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "plan", "strict": true, "schema": schema}
            }
        })
    );
    assert_eq!(done.model, "served-model");
    assert_eq!((done.prompt_tokens, done.completion_tokens), (21, 7));
    assert_eq!(done.finish_reason, "stop");
    assert_eq!(done.attempts, 1);
    assert_eq!(done.request_sha256, hex::encode(Sha256::digest(&req.body)));
    assert_eq!(c.requests_sent(), 1);
}

#[test]
fn without_a_schema_there_is_no_response_format() {
    let s = stub(vec![ok("hello")]);
    let done = client(&s.endpoint).chat(&[Message::user("hi")], None).unwrap();
    assert_eq!(done.content, "hello");
    let body = s.seen.lock().unwrap()[0].json();
    assert!(body.get("response_format").is_none(), "{body}");
    assert_eq!(body["temperature"], json!(0.0));
    assert_eq!(body["max_tokens"], json!(512));
}

#[test]
fn a_500_then_a_200_succeeds_on_the_second_attempt() {
    let s = stub(vec![status(500, r#"{"error":{"code":500,"message":"busy","type":"server_error"}}"#), ok("fine")]);
    let done = client(&s.endpoint).chat(&messages(), None).unwrap();
    assert_eq!(done.content, "fine");
    assert_eq!(done.attempts, 2);
    let seen = s.seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    // The same bytes are sent again, and the hash is theirs.
    assert_eq!(seen[0].body, seen[1].body);
    assert_eq!(done.request_sha256, hex::encode(Sha256::digest(&seen[1].body)));
}

#[test]
fn a_400_is_final_and_carries_the_servers_message() {
    let s = stub(vec![status(
        400,
        r#"{"error":{"code":400,"message":"request (3031 tokens) exceeds the available context size (2048 tokens)","type":"exceed_context_size_error"}}"#,
    )]);
    let c = client(&s.endpoint);
    let err = c.chat(&messages(), None).unwrap_err();
    assert_eq!(
        err,
        LlmError::Http {
            status: 400,
            message: "request (3031 tokens) exceeds the available context size (2048 tokens)".into()
        }
    );
    assert_eq!(s.count(), 1);
    assert_eq!(c.requests_sent(), 1);
}

#[test]
fn persistent_5xx_gives_up_after_the_retries() {
    let s = stub(vec![status(503, "overloaded")]);
    let err = client(&s.endpoint).chat(&messages(), None).unwrap_err();
    assert_eq!(err, LlmError::Http { status: 503, message: "overloaded".into() });
    assert_eq!(s.count(), 3);
}

#[test]
fn a_server_that_never_answers_times_out_after_the_retries() {
    let s = stub(vec![Reply::Hang]);
    let mut cfg = ModelConfig::new(&s.endpoint, "test-model");
    cfg.timeout_ms = 300;
    let err = ChatClient::new(cfg).unwrap().chat(&messages(), None).unwrap_err();
    assert_eq!(err, LlmError::Timeout { after_ms: 300, attempts: 3 });
    assert_eq!(s.count(), 3);
}

#[test]
fn chat_json_refuses_a_reply_cut_off_at_the_token_limit() {
    let s = stub(vec![Reply::Json(200, completion(r#"{"tool":"search_events","entity":"aaaaaaa"#, "length"), vec![])]);
    let err = client(&s.endpoint).chat_json::<Plan>(&messages(), "plan", &plan_schema()).unwrap_err();
    let LlmError::BadReply(msg) = &err else { panic!("{err:?}") };
    assert!(msg.contains("cut off at the token limit") && msg.contains("search_events"), "{msg}");
    assert_eq!(s.count(), 1);
}

#[test]
fn chat_json_refuses_a_reply_of_the_wrong_shape() {
    let s = stub(vec![ok(r#"{"tool": 7}"#), ok("Sure! Here is the JSON you asked for.")]);
    let c = client(&s.endpoint);
    for _ in 0..2 {
        let err = c.chat_json::<Plan>(&messages(), "plan", &plan_schema()).unwrap_err();
        let LlmError::BadReply(msg) = &err else { panic!("{err:?}") };
        assert!(msg.contains("not the JSON schema `plan` asked for"), "{msg}");
    }
}

#[test]
fn a_non_json_body_is_a_bad_reply_without_retry() {
    let s = stub(vec![status(200, "<html>upstream says hi</html>")]);
    let err = client(&s.endpoint).chat(&messages(), None).unwrap_err();
    let LlmError::BadReply(msg) = &err else { panic!("{err:?}") };
    assert!(msg.contains("not JSON") && msg.contains("<html>upstream"), "{msg}");
    assert_eq!(s.count(), 1);
}

#[test]
fn a_truncated_or_empty_or_odd_body_is_a_bad_reply() {
    let cases = [
        (r#"{"choices":[{"message":{"content":"hel"#, "truncated JSON"),
        ("", "empty"),
        (r#"{"choices":[]}"#, "no choices"),
        (r#"{"choices":[{"message":{"role":"assistant","content":null}}]}"#, "no content"),
        (r#"{"error":{"message":"model not loaded"}}"#, "model not loaded"),
        (r#"[1,2]"#, "not a chat completion"),
    ];
    for (body, why) in cases {
        let s = stub(vec![status(200, body)]);
        let err = client(&s.endpoint).chat(&messages(), None).unwrap_err();
        let LlmError::BadReply(msg) = &err else { panic!("{body}: {err:?}") };
        assert!(msg.contains(why), "{body}: {msg}");
        assert_eq!(s.count(), 1, "{body}");
    }
}

#[test]
fn a_huge_body_is_refused_not_read() {
    for chunked in [false, true] {
        let s = stub(vec![Reply::Big { bytes: 10 * 1024 * 1024, chunked }]);
        let err = client(&s.endpoint).chat(&messages(), None).unwrap_err();
        assert_eq!(err, LlmError::BadReply("the reply is larger than 4 MiB".into()), "chunked: {chunked}");
        assert_eq!(s.count(), 1);
    }
}

#[test]
fn a_429_with_retry_after_is_retried() {
    let s = stub(vec![
        Reply::Json(429, r#"{"error":{"message":"slow down"}}"#.into(), vec![("Retry-After", "1".into())]),
        ok("done"),
    ]);
    let done = client(&s.endpoint).chat(&messages(), None).unwrap();
    assert_eq!(done.attempts, 2);
    assert_eq!(s.count(), 2);
    // The wait asked for was honoured (a lower bound only: the call cannot be faster).
    assert!(done.latency_ms >= 1000, "{}", done.latency_ms);
}

#[test]
fn a_redirect_is_not_followed() {
    let s = stub(vec![Reply::Json(302, String::new(), vec![("Location", "http://127.0.0.1:9/elsewhere".into())])]);
    let err = client(&s.endpoint).chat(&messages(), None).unwrap_err();
    assert!(matches!(err, LlmError::Http { status: 302, .. } | LlmError::Connect(_)), "{err:?}");
    assert_eq!(s.count(), 1);
}

#[test]
fn nothing_listening_is_a_connect_error_after_the_retries() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let c = client(&format!("http://127.0.0.1:{port}/v1"));
    let err = c.chat(&messages(), None).unwrap_err();
    let LlmError::Connect(msg) = &err else { panic!("{err:?}") };
    assert!(msg.contains("after 3 attempts"), "{msg}");
    assert_eq!(c.requests_sent(), 3);
}

#[test]
fn the_key_goes_in_the_header_and_nowhere_else() {
    const VAR: &str = "VIGIL_LLM_STUB_TEST_KEY_5e1d0c";
    const KEY: &str = "sk-stubtest-5e1d0c-Zq8WbLr3TnY2";
    // SAFETY: only this test reads or writes this variable.
    unsafe { std::env::set_var(VAR, KEY) };
    let echo = format!(r#"{{"error":{{"message":"invalid key Bearer {KEY}","type":"auth"}}}}"#);
    let s = stub(vec![ok("hi"), status(401, &echo), status(200, &format!("not json {KEY}"))]);
    let mut cfg = ModelConfig::new(&s.endpoint, "test-model");
    cfg.api_key_env = Some(VAR.into());
    let c = ChatClient::new(cfg).unwrap();

    c.chat(&messages(), None).unwrap();
    assert_eq!(s.seen.lock().unwrap()[0].header("authorization"), Some(format!("Bearer {KEY}").as_str()));

    let mut errors = vec![c.chat(&messages(), None).unwrap_err(), c.chat(&messages(), None).unwrap_err()];
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut cfg = ModelConfig::new(format!("http://127.0.0.1:{port}/v1"), "test-model");
    cfg.api_key_env = Some(VAR.into());
    cfg.retries = 0;
    let down = ChatClient::new(cfg).unwrap();
    errors.push(down.chat(&messages(), None).unwrap_err());
    assert!(matches!(errors[0], LlmError::Http { status: 401, .. }), "{:?}", errors[0]);
    assert!(matches!(errors[1], LlmError::BadReply(_)), "{:?}", errors[1]);
    assert!(matches!(errors[2], LlmError::Connect(_)), "{:?}", errors[2]);
    for e in &errors {
        assert!(!e.to_string().contains(KEY) && !format!("{e:?}").contains(KEY), "{e}");
    }
    assert!(errors[0].to_string().contains("invalid key Bearer <api key>"), "{}", errors[0]);
    assert!(!format!("{c:?}").contains(KEY));

    // A key does not travel in the clear to a host off this machine.
    let mut cfg = ModelConfig::new("http://10.0.0.1:8081/v1", "test-model");
    cfg.api_key_env = Some(VAR.into());
    let err = ChatClient::new(cfg).unwrap_err();
    assert!(matches!(&err, LlmError::Config(m) if m.contains("https")), "{err:?}");
    assert!(!err.to_string().contains(KEY));
}
