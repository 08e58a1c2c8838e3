//! Slack, Teams, the signed webhook and SMTP email.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use vigil_connectors::{ActionContext, ConnectorError, action, mask};

use crate::common::*;

const KEY: &str = "case-5.step-9";

#[test]
fn slack_posts_json_text_to_the_webhook_url() {
    let h = Harness::new();
    let out = h.run("slack.webhook", &json!({ "text": "Contained WS-01 :lock:" }), KEY).expect("posts");
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].method.as_str(), sent[0].url.clone()), ("POST", h.secret("slack_webhook_url")));
    assert_eq!(header(&sent[0], "Content-Type"), "application/json");
    assert_eq!(body_json(&sent[0]), json!({ "text": "Contained WS-01 :lock:" }));
    assert_eq!(h.received()[0].body, b"ok");
    assert_eq!(out.output, json!({ "delivered": true, "status": 200 }));
    assert_eq!(h.state()["messages"]["slack"][0]["text"], "Contained WS-01 :lock:");
    // The webhook URL is the credential: the call record does not show it.
    assert!(!out.calls[0].url.contains(&h.secret("slack_webhook_url")));
    assert_eq!(out.calls[0].url, "****");
}

#[test]
fn slack_errors_are_its_error_words() {
    let h = Harness::new();
    let url = h.secret("slack_webhook_url");
    let (service, _) = url.rsplit_once('/').expect("path");
    let gone = with_secret(&h.secrets, "slack_webhook_url", &format!("{service}x/token"));
    assert_http(h.run_with("slack.webhook", &json!({ "text": "x" }), KEY, &h.config, &gone), 404, "no_service");
    h.sb.fail_next("/slack/", 410, None);
    assert_http(h.run("slack.webhook", &json!({ "text": "x" }), KEY), 410, "channel_is_archived");
    let bad = with_secret(&h.secrets, "slack_webhook_url", "not a url");
    assert!(matches!(
        h.run_with("slack.webhook", &json!({ "text": "x" }), KEY, &h.config, &bad),
        Err(ConnectorError::Unsupported(_))
    ));
}

#[test]
fn teams_posts_an_adaptive_card_or_a_message_card() {
    let h = Harness::new();
    let out = h
        .run("teams.webhook", &json!({ "text": "Contained WS-01", "title": "Vigil: containment" }), KEY)
        .expect("posts");
    let body = body_json(&h.sent()[0]);
    assert_eq!(body["type"], "message");
    let card = &body["attachments"][0];
    assert_eq!(card["contentType"], "application/vnd.microsoft.card.adaptive");
    assert_eq!(card["content"]["type"], "AdaptiveCard");
    assert_eq!(card["content"]["body"][0]["text"], "Vigil: containment");
    assert_eq!(card["content"]["body"][1]["text"], "Contained WS-01");
    assert_eq!(out.calls[0].status, 202);
    h.reset();
    let legacy = with_config(&h.config, "teams", "format", json!("message_card"));
    let out =
        h.run_with("teams.webhook", &json!({ "text": "Contained WS-01" }), KEY, &legacy, &h.secrets).expect("posts");
    let body = body_json(&h.sent()[0]);
    assert_eq!((body["@type"].as_str(), body["text"].as_str()), (Some("MessageCard"), Some("Contained WS-01")));
    assert_eq!(h.received()[0].body, b"1");
    assert_eq!(out.calls[0].status, 200);
    assert_eq!(h.state()["messages"]["teams"].as_array().map(Vec::len), Some(2));
    // An Office 365 connector says 200 but reports a failed delivery in its body.
    let canned = Canned::new(vec![(
        200,
        "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413",
    )]);
    let ctx = ActionContext { config: &legacy, secrets: &h.secrets, transport: &canned, idempotency_key: KEY };
    match action("teams.webhook").expect("action").execute(&json!({ "text": "x" }), &ctx) {
        Err(ConnectorError::BadResponse(m)) => {
            assert!(m.contains("HTTP error 413") && !m.contains(&h.secret("teams_webhook_url")), "{m}")
        }
        other => panic!("{other:?}"),
    }
}

fn hmac_hex(secret: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[test]
fn signed_webhook_carries_a_verifiable_hmac() {
    let h = Harness::new();
    let payload = json!({ "event": "contained", "host": "WS-01", "note": "quote \" and unicode é" });
    let out = h.run("webhook.signed", &json!({ "payload": payload }), KEY).expect("posts");
    assert!(!out.already_done);
    let got = &h.seen("/hooks/vigil")[0];
    assert_eq!(got.method, "POST");
    assert_eq!(got.header("content-type"), Some("application/json"));
    assert_eq!(got.header("idempotency-key"), Some(KEY));
    assert_eq!(serde_json::from_str::<serde_json::Value>(&got.body).expect("json"), payload);
    let ts = got.header("x-vigil-timestamp").expect("timestamp");
    assert!((chrono::Utc::now().timestamp() - ts.parse::<i64>().expect("number")).abs() < 60);
    // Recompute the signature here, from the bytes received.
    let want = format!("sha256={}", hmac_hex(&h.secret("webhook_secret"), &format!("{ts}.{}", got.body)));
    assert_eq!(got.header("x-vigil-signature"), Some(want.as_str()));
    assert_eq!(h.state()["messages"]["webhook"].as_array().map(Vec::len), Some(1));
    // The receiver deduplicates by Idempotency-Key, and says so.
    let again = h.run("webhook.signed", &json!({ "payload": payload }), KEY).expect("posts");
    assert!(again.already_done);
    assert_eq!(h.state()["messages"]["webhook"].as_array().map(Vec::len), Some(1));
    // Masking hides the signature along with the secret.
    let plan = action("webhook.signed")
        .expect("action")
        .plan(&json!({ "payload": payload }), &h.config, &h.secrets)
        .expect("plans");
    assert_eq!(mask(&plan[0], &h.secrets).header("x-vigil-signature"), Some("****"));
}

fn email_inputs() -> serde_json::Value {
    json!({
        "to": ["soc@acme.example", "oncall@acme.example"],
        "subject": "Vigil: WS-01 contained",
        "body": "Host WS-01 was contained.\n.hidden line starting with a dot\nEnd.",
    })
}

#[test]
fn email_is_sent_over_smtp_with_auth() {
    let h = Harness::new();
    let out = h.run("email.smtp", &email_inputs(), KEY).expect("sends");
    assert_eq!(out.calls.len(), 1);
    assert_eq!(out.calls[0].method, "SMTP");
    assert_eq!(out.calls[0].url, format!("smtp://127.0.0.1:{}", h.sb.smtp_addr().port()));
    assert_eq!(out.calls[0].status, 250);
    let mail = &h.state()["messages"]["email"][0];
    assert_eq!(mail["from"], "vigil@acme.example");
    assert_eq!(mail["to"], json!(["soc@acme.example", "oncall@acme.example"]));
    assert_eq!(mail["subject"], "Vigil: WS-01 contained");
    assert_eq!(mail["message_id"], format!("<vigil.{KEY}@acme.example>"));
    assert_eq!(out.output["message_id"], mail["message_id"]);
    let body = mail["body"].as_str().expect("body").replace("\r\n", "\n");
    assert!(body.contains("\n.hidden line starting with a dot\n"), "dot-stuffing undone: {body:?}");
    // The plan shows the SMTP exchange with the credentials masked.
    let plan =
        action("email.smtp").expect("action").plan_keyed(&email_inputs(), &h.config, &h.secrets, KEY).expect("plans");
    assert_eq!(plan[0].method, "SMTP");
    assert_eq!(plan[0].header("Message-ID"), Some(format!("<vigil.{KEY}@acme.example>").as_str()));
    let masked = format!("{:?}", mask(&plan[0], &h.secrets));
    assert!(!masked.contains(&h.secret("smtp_password")) && !masked.contains(&h.secret("smtp_username")));
}

#[test]
fn email_failures_are_classified() {
    let h = Harness::new();
    let mut inputs = email_inputs();
    inputs["to"] = json!("someone@invalid.example");
    match h.run("email.smtp", &inputs, KEY) {
        Err(e @ ConnectorError::BadResponse(_)) => {
            assert!(e.to_string().contains("550"), "{e}");
            assert!(!e.retryable());
        }
        other => panic!("{other:?}"),
    }
    let wrong = with_secret(&h.secrets, "smtp_password", "wrong");
    match h.run_with("email.smtp", &email_inputs(), KEY, &h.config, &wrong) {
        Err(ConnectorError::BadResponse(m)) => assert!(m.contains("535") && !m.contains("wrong"), "{m}"),
        other => panic!("{other:?}"),
    }
    let anonymous = without_secret(&without_secret(&h.secrets, "smtp_username"), "smtp_password");
    match h.run_with("email.smtp", &email_inputs(), KEY, &h.config, &anonymous) {
        Err(ConnectorError::BadResponse(m)) => assert!(m.contains("530"), "{m}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        h.run_with("email.smtp", &email_inputs(), KEY, &h.config, &without_secret(&h.secrets, "smtp_password")),
        Err(ConnectorError::MissingSecret(n)) if n == "smtp_password"
    ));
    // STARTTLS required, and the server does not offer it: nothing is sent in clear.
    let tls = with_config(&h.config, "email", "tls", json!("starttls"));
    match h.run_with("email.smtp", &email_inputs(), KEY, &tls, &h.secrets) {
        Err(e @ ConnectorError::Transport(_)) => assert!(e.retryable()),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state()["messages"]["email"].as_array().map(Vec::len), Some(0));
    let mut no_from = email_inputs();
    no_from["from"] = json!("not an address");
    assert!(matches!(h.run("email.smtp", &no_from, KEY), Err(ConnectorError::Unsupported(_))));
    let mut config = h.config.clone();
    config["email"].as_object_mut().expect("object").remove("from");
    assert!(
        matches!(h.run_with("email.smtp", &email_inputs(), KEY, &config, &h.secrets), Err(ConnectorError::MissingInput(n)) if n == "from")
    );
}
