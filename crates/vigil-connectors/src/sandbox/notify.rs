//! Slack incoming webhooks, Teams (Workflows) webhooks, and a signed-webhook receiver.

use serde_json::{Value, json};

use super::{Api, Inner, RecordedRequest, Resp, api_error};
use crate::actions::webhook_signature;

/// `/slack/services/T…/B…/<token>`: answers `ok`, or Slack's error words.
pub(super) fn slack(sb: &Inner, req: &RecordedRequest) -> Resp {
    let path = req.path.strip_prefix("/slack").unwrap_or_default();
    if path != sb.creds.slack_path {
        let same_service =
            path.rsplit_once('/').map(|(s, _)| s) == sb.creds.slack_path.rsplit_once('/').map(|(s, _)| s);
        return if same_service { Resp::text(403, "invalid_token") } else { Resp::text(404, "no_service") };
    }
    if req.method != "POST" {
        return Resp::text(405, "invalid_method");
    }
    let payload = if req.content_type_is("application/json") {
        req.json()
    } else if req.content_type_is("application/x-www-form-urlencoded") {
        req.form().into_iter().find(|(k, _)| k == "payload").and_then(|(_, v)| serde_json::from_str(&v).ok())
    } else {
        None
    };
    let Some(payload) = payload.filter(Value::is_object) else { return Resp::text(400, "invalid_payload") };
    let has_text = payload.get("text").and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty());
    if !has_text && !payload.get("blocks").is_some_and(Value::is_array) {
        return Resp::text(400, "no_text");
    }
    sb.state().slack.push(payload);
    Resp::text(200, "ok").with_header("Content-Type", "text/html")
}

/// `/teams/workflows/<id>/triggers/manual/paths/invoke?…&sig=<sig>`: a Workflows webhook,
/// authenticated by its `sig` parameter. Takes an Adaptive Card message (202) or a legacy
/// MessageCard (200 `1`, as Office 365 connectors answer).
pub(super) fn teams(sb: &Inner, req: &RecordedRequest) -> Resp {
    let path = req.path.strip_prefix("/teams").unwrap_or_default();
    if path != sb.creds.teams_path {
        return Resp::text(404, "Not Found");
    }
    if req.query_param("sig").as_deref() != Some(sb.creds.teams_sig.as_str()) {
        return api_error(
            Api::Graph,
            401,
            "DirectApiAuthorizationRequired",
            "The request must be authenticated only by Shared Access scheme.",
        );
    }
    if req.method != "POST" {
        return api_error(Api::Graph, 405, "MethodNotAllowed", "The HTTP method is not allowed.");
    }
    if !req.content_type_is("application/json") {
        return api_error(
            Api::Graph,
            415,
            "UnsupportedMediaType",
            "The request content type must be application/json.",
        );
    }
    let Some(payload) = req.json().filter(Value::is_object) else {
        return api_error(Api::Graph, 400, "InvalidRequestContent", "The request content is not valid JSON.");
    };
    if payload.get("@type").and_then(Value::as_str) == Some("MessageCard") {
        let has = |k: &str| payload.get(k).and_then(Value::as_str).is_some_and(|t| !t.trim().is_empty());
        if !has("text") && !has("summary") {
            return Resp::text(400, "Summary or Text is required.");
        }
        sb.state().teams.push(payload);
        return Resp::text(200, "1");
    }
    let cards_ok = payload.get("type").and_then(Value::as_str) == Some("message")
        && payload.get("attachments").and_then(Value::as_array).is_some_and(|a| {
            !a.is_empty()
                && a.iter().all(|att| {
                    att.get("contentType").and_then(Value::as_str) == Some("application/vnd.microsoft.card.adaptive")
                        && att.pointer("/content/type").and_then(Value::as_str) == Some("AdaptiveCard")
                        && att.pointer("/content/body").is_some_and(Value::is_array)
                })
        });
    if !cards_ok {
        return api_error(
            Api::Graph,
            400,
            "InvalidRequestContent",
            "The message must be of type 'message' with Adaptive Card attachments.",
        );
    }
    sb.state().teams.push(payload);
    Resp::empty(202)
}

/// `/hooks/<name>`: checks `X-Vigil-Timestamp` (within 5 minutes) and
/// `X-Vigil-Signature`, and deduplicates by `Idempotency-Key`.
pub(super) fn hook(sb: &Inner, req: &RecordedRequest) -> Resp {
    let err = |status: u16, m: &str| api_error(Api::Hook, status, "", m);
    if req.method != "POST" {
        return err(405, "method not allowed");
    }
    if !req.content_type_is("application/json") {
        return err(415, "content type must be application/json");
    }
    let Some(ts) = req.header("x-vigil-timestamp").and_then(|t| t.trim().parse::<i64>().ok()) else {
        return err(400, "missing or malformed X-Vigil-Timestamp");
    };
    if (chrono::Utc::now().timestamp() - ts).abs() > 300 {
        return err(401, "timestamp outside the tolerance");
    }
    if req.header("x-vigil-signature") != Some(webhook_signature(&sb.creds.webhook_secret, ts, &req.body).as_str()) {
        return err(401, "invalid signature");
    }
    let Some(key) = req.header("idempotency-key").filter(|k| !k.is_empty()) else {
        return err(400, "missing Idempotency-Key");
    };
    let Some(payload) = req.json() else { return err(400, "body is not JSON") };
    let mut st = sb.state();
    let duplicate = !st.webhook_keys.insert(key.to_string());
    if !duplicate {
        st.webhooks.push(json!({ "idempotency_key": key, "payload": payload }));
    }
    Resp::json(200, json!({ "received": true, "duplicate": duplicate }))
}
