//! Chat notifications through incoming webhooks: Slack, and Microsoft Teams (Workflows
//! webhooks with an Adaptive Card, or legacy Office 365 connectors with a MessageCard).

use serde_json::{Value, json};

use super::action_meta;
use crate::action::{Session, Vendor};
use crate::util::{Url, input_str, opt_config_str, opt_input_str};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

fn webhook_url<'s>(secrets: &'s Secrets, name: &str) -> Result<&'s str, ConnectorError> {
    let url = secrets.get(name)?;
    if Url::parse(url).is_none() {
        return Err(ConnectorError::Unsupported(format!("secret `{name}` is not an absolute http(s) URL")));
    }
    Ok(url)
}

fn send_all(
    name: &'static str,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    check: impl Fn(&crate::HttpResponse) -> bool,
) -> Result<ActionOutcome, ConnectorError> {
    let mut s = Session::new(name, ctx);
    let mut status = 0;
    for req in reqs {
        let resp = s.send_ok(req, Vendor::Text)?;
        if !check(&resp) {
            let text = crate::util::truncate_chars(resp.text().trim(), 300);
            return Err(s.clean(ConnectorError::BadResponse(format!(
                "{name}: HTTP {} but not delivered: {text}",
                resp.status
            ))));
        }
        status = resp.status;
    }
    Ok(s.finish(json!({ "delivered": true, "status": status }), None, false))
}

pub(crate) struct SlackWebhook;

impl Action for SlackWebhook {
    action_meta!(
        "slack.webhook",
        Notify,
        "Post a message to Slack through an incoming webhook",
        api: "incoming webhooks",
        inputs: ["text"],
        secrets: ["slack_webhook_url"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        _config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let text = input_str(inputs, "text")?;
        let url = webhook_url(secrets, "slack_webhook_url")?;
        let mut body = json!({ "text": text });
        if let Some(blocks) = inputs.get("blocks").filter(|b| b.is_array()) {
            body["blocks"] = blocks.clone();
        }
        Ok(vec![HttpRequest::new("POST", url).with_header("Idempotency-Key", key).with_json(&body)])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        send_all(self.name(), ctx, &reqs, |_| true)
    }
}

pub(crate) struct TeamsWebhook;

impl Action for TeamsWebhook {
    action_meta!(
        "teams.webhook",
        Notify,
        "Post a card to a Microsoft Teams channel through a webhook",
        api: "incoming webhooks",
        inputs: ["text"],
        secrets: ["teams_webhook_url"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let text = input_str(inputs, "text")?;
        let title = opt_input_str(inputs, "title").unwrap_or_else(|| "Vigil".into());
        let url = webhook_url(secrets, "teams_webhook_url")?;
        let body = match opt_config_str(config, "teams", "format").as_deref().unwrap_or("adaptive_card") {
            "adaptive_card" => json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": null,
                    "content": {
                        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                        "type": "AdaptiveCard",
                        "version": "1.4",
                        "body": [
                            { "type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": true },
                            { "type": "TextBlock", "text": text, "wrap": true }
                        ]
                    }
                }]
            }),
            "message_card" => json!({
                "@type": "MessageCard",
                "@context": "https://schema.org/extensions",
                "summary": title,
                "themeColor": "B22222",
                "title": title,
                "text": text,
            }),
            other => {
                return Err(ConnectorError::Unsupported(format!(
                    "teams.format `{other}` (adaptive_card or message_card)"
                )));
            }
        };
        Ok(vec![HttpRequest::new("POST", url).with_header("Idempotency-Key", key).with_json(&body)])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let legacy = opt_config_str(ctx.config, "teams", "format").as_deref() == Some("message_card");
        // Office 365 connectors answer 200 with `1` on success and 200 with an error text
        // when delivery failed behind them.
        send_all(self.name(), ctx, &reqs, |resp| !legacy || resp.text().trim() == "1")
    }
}
