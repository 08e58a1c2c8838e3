//! The client against a real llama.cpp server (`scripts/llm-server`, SmolLM2-135M-Instruct on
//! one CPU thread). Skipped with a note when the server is not installed, unless
//! `VIGIL_REQUIRE_LLM` is set (to anything but empty or `0`), which makes a missing server a
//! failure.

use std::net::TcpListener;
use std::time::Instant;

use serde::Deserialize;
use serde_json::json;
use vigil_llm::testing::{LocalServer, MODEL_ID, repo_root};
use vigil_llm::{ChatClient, LlmError, Message, ModelConfig};

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[derive(Debug, Deserialize)]
struct Plan {
    tool: String,
    entity: String,
}

#[test]
fn a_real_llama_server() {
    let started = Instant::now();
    let Some(server) = LocalServer::start(&repo_root(env!("CARGO_MANIFEST_DIR"))) else { return };
    eprintln!("llama-server healthy after {} ms", started.elapsed().as_millis());

    // A plain chat.
    let client = server.client(16);
    assert!(!client.must_redact());
    let done = client.chat(&[Message::user("Say hello.")], None).unwrap();
    assert!(!done.content.trim().is_empty(), "{done:?}");
    assert!(done.prompt_tokens > 0 && done.completion_tokens > 0, "{done:?}");
    assert!(matches!(done.finish_reason.as_str(), "stop" | "length"), "{done:?}");
    assert_eq!(done.model, MODEL_ID);
    assert_eq!(done.attempts, 1);
    assert_eq!(done.request_sha256.len(), 64);

    // A schema-constrained plan, with an example in the prompt so the tiny model stops.
    let schema = json!({
        "type": "object",
        "properties": {
            "tool": {"type": "string", "enum": ["search_events", "list_cases"]},
            "entity": {"type": "string", "maxLength": 40}
        },
        "required": ["tool", "entity"]
    });
    let client = server.client(64);
    let messages = [
        Message::system(
            "Choose a tool for the question. Answer with JSON only, like {\"tool\":\"search_events\",\"entity\":\"ann\"}.",
        ),
        Message::user("What did user bob do yesterday?"),
    ];
    let (plan, done): (Plan, _) = client.chat_json(&messages, "plan", &schema).unwrap();
    assert!(["search_events", "list_cases"].contains(&plan.tool.as_str()), "{plan:?}");
    assert!(plan.entity.chars().count() <= 40, "{plan:?}");
    assert_eq!(done.finish_reason, "stop");

    // A prompt over the 2048-token context is the server's 400, not retried.
    let before = client.requests_sent();
    let long = "word ".repeat(3000);
    let err = client.chat(&[Message::user(long)], None).unwrap_err();
    let LlmError::Http { status, message } = &err else { panic!("{err:?}") };
    assert_eq!(*status, 400, "{message}");
    assert!(message.contains("context"), "{message}");
    assert_eq!(client.requests_sent() - before, 1);
    eprintln!("llama test done in {} ms", started.elapsed().as_millis());
}

#[test]
fn nothing_listening_is_a_connect_error_after_the_retries() {
    let mut cfg = ModelConfig::new(format!("http://127.0.0.1:{}/v1", free_port()), MODEL_ID);
    cfg.retries = 1;
    let client = ChatClient::new(cfg).unwrap();
    let err = client.chat(&[Message::user("hi")], None).unwrap_err();
    let LlmError::Connect(msg) = &err else { panic!("{err:?}") };
    assert!(msg.contains("after 2 attempts"), "{msg}");
    assert_eq!(client.requests_sent(), 2);
}
