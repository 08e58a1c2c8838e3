//! A generic JSON webhook signed with HMAC-SHA256 over `"{timestamp}.{body}"`.

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::action_meta;
use crate::action::{Session, Vendor};
use crate::util::base_url;
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

/// `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`, the `X-Vigil-Signature` value.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

pub(crate) struct SignedWebhook;

impl Action for SignedWebhook {
    action_meta!(
        "webhook.signed",
        Notify,
        "POST a JSON payload to a webhook, signed with HMAC-SHA256 (X-Vigil-Signature)",
        api: "JSON POST signed with HMAC-SHA256 (`X-Vigil-Signature: sha256=…` over `timestamp.body`)",
        inputs: ["payload"],
        secrets: ["webhook_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let payload = inputs
            .get("payload")
            .filter(|p| !p.is_null())
            .ok_or_else(|| ConnectorError::MissingInput("payload".into()))?;
        let url = base_url(config, "webhook", "url", None)?;
        let secret = secrets.get("webhook_secret")?;
        let body = payload.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let mut req = HttpRequest::new("POST", url)
            .with_header("Content-Type", "application/json")
            .with_header("X-Vigil-Timestamp", timestamp.to_string())
            .with_header("X-Vigil-Signature", signature(secret, timestamp, &body))
            .with_header("Idempotency-Key", key);
        req.body = Some(body);
        Ok(vec![req])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let mut s = Session::new(self.name(), ctx);
        let mut status = 0;
        let mut duplicate = false;
        for req in &reqs {
            let resp = s.send_ok(req, Vendor::Text)?;
            status = resp.status;
            // A receiver that deduplicates by Idempotency-Key may say it had this one already.
            duplicate = resp.json().ok().and_then(|v| v.get("duplicate").and_then(Value::as_bool)).unwrap_or(false);
        }
        Ok(s.finish(json!({ "delivered": true, "status": status }), None, duplicate))
    }
}
