//! Okta Users API (`/api/v1/users`), authenticated with an API token (`Authorization: SSWS …`).

use serde_json::{Value, json};

use super::{action_meta, json_str, restore, with_restore};
use crate::action::{Session, Vendor};
use crate::util::{base_url, encode, input_str};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

struct Okta {
    base: String,
    token: String,
}

impl Okta {
    fn new(config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        Ok(Okta { base: base_url(config, "okta", "base_url", None)?, token: secrets.get("okta_token")?.to_string() })
    }

    fn request(&self, method: &str, path: &str) -> HttpRequest {
        HttpRequest::new(method, format!("{}{path}", self.base))
            .with_header("Accept", "application/json")
            .with_header("Authorization", format!("SSWS {}", self.token))
    }

    fn get_user(&self, user: &str) -> HttpRequest {
        self.request("GET", &format!("/api/v1/users/{}", encode(user)))
    }

    fn lifecycle(&self, user: &str, operation: &str, key: &str) -> HttpRequest {
        self.request("POST", &format!("/api/v1/users/{}/lifecycle/{operation}", encode(user)))
            .with_header("Idempotency-Key", key)
    }
}

fn status_of(user: &Value) -> Result<String, ConnectorError> {
    json_str(user, "status", "Okta user").map(str::to_string)
}

/// Reads the user, then moves it to `target` with `operation` unless it is there already.
fn transition(
    name: &'static str,
    reqs: &[HttpRequest],
    ctx: &ActionContext<'_>,
    user: &str,
    target: &str,
) -> Result<ActionOutcome, ConnectorError> {
    let [get, change] = reqs else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let mut s = Session::new(name, ctx);
    let found = s.send_ok(get, Vendor::Okta)?.json()?;
    let before = status_of(&found)?;
    let okta_id = found.get("id").cloned().unwrap_or(Value::Null);
    let prior = json!({ "status": before });
    if before == target {
        return Ok(s.finish(json!({ "user": user, "okta_id": okta_id, "status": target }), Some(prior), true));
    }
    s.send_ok(change, Vendor::Okta)?;
    Ok(s.finish(json!({ "user": user, "okta_id": okta_id, "status": target }), Some(prior), false))
}

pub(crate) struct SuspendUser;

impl Action for SuspendUser {
    action_meta!(
        "okta.suspend_user",
        Contain,
        "Suspend an Okta user (sign-in blocked, sessions kept, reversible)",
        api: "Okta Users lifecycle, `SSWS` token",
        inputs: ["user"],
        secrets: ["okta_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let user = input_str(inputs, "user")?;
        let okta = Okta::new(config, secrets)?;
        Ok(vec![okta.get_user(&user), okta.lifecycle(&user, "suspend", key)])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        transition(self.name(), &reqs, ctx, &input_str(inputs, "user")?, "SUSPENDED")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("okta.unsuspend_user")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct UnsuspendUser;

impl UnsuspendUser {
    /// Rolling back a suspension of a user who was suspended already changes nothing.
    fn nothing_to_restore(inputs: &Value) -> bool {
        restore(inputs, "status").and_then(Value::as_str) == Some("SUSPENDED")
    }
}

impl Action for UnsuspendUser {
    action_meta!(
        "okta.unsuspend_user",
        Contain,
        "Return a suspended Okta user to ACTIVE",
        api: "Okta Users lifecycle, `SSWS` token",
        inputs: ["user"],
        secrets: ["okta_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let user = input_str(inputs, "user")?;
        let okta = Okta::new(config, secrets)?;
        if Self::nothing_to_restore(inputs) {
            return Ok(Vec::new());
        }
        Ok(vec![okta.get_user(&user), okta.lifecycle(&user, "unsuspend", key)])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let user = input_str(inputs, "user")?;
        if reqs.is_empty() {
            let s = Session::new(self.name(), ctx);
            return Ok(s.finish(
                json!({ "user": user, "status": "SUSPENDED", "note": "suspended before; left suspended" }),
                None,
                true,
            ));
        }
        transition(self.name(), &reqs, ctx, &user, "ACTIVE")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("okta.suspend_user")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct ClearSessions;

impl Action for ClearSessions {
    action_meta!(
        "okta.clear_sessions",
        Destructive,
        "End every Okta session of a user (optionally revoking OAuth tokens too)",
        api: "Okta Users sessions",
        inputs: ["user"],
        secrets: ["okta_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let user = input_str(inputs, "user")?;
        let okta = Okta::new(config, secrets)?;
        let oauth = inputs.get("oauth_tokens").and_then(Value::as_bool).unwrap_or(false);
        let query = if oauth { "?oauthTokens=true" } else { "" };
        Ok(vec![
            okta.request("DELETE", &format!("/api/v1/users/{}/sessions{query}", encode(&user)))
                .with_header("Idempotency-Key", key),
        ])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let mut s = Session::new(self.name(), ctx);
        for req in &reqs {
            s.send_ok(req, Vendor::Okta)?;
        }
        let oauth = inputs.get("oauth_tokens").and_then(Value::as_bool).unwrap_or(false);
        Ok(s.finish(
            json!({ "user": input_str(inputs, "user")?, "sessions_cleared": true, "oauth_tokens_revoked": oauth }),
            None,
            false,
        ))
    }
}

pub(crate) struct ResetFactors;

impl Action for ResetFactors {
    action_meta!(
        "okta.reset_factors",
        Destructive,
        "Reset every enrolled MFA factor of an Okta user",
        api: "Okta Users factors and lifecycle",
        inputs: ["user"],
        secrets: ["okta_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let user = input_str(inputs, "user")?;
        let okta = Okta::new(config, secrets)?;
        Ok(vec![
            okta.request("GET", &format!("/api/v1/users/{}/factors", encode(&user))),
            okta.lifecycle(&user, "reset_factors", key),
        ])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let [list, reset] = reqs.as_slice() else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
        let mut s = Session::new(self.name(), ctx);
        let mut factors = Vec::new();
        s.follow_links(list, Vendor::Okta, |resp| {
            let page = resp.json()?;
            let items =
                page.as_array().ok_or_else(|| ConnectorError::BadResponse("Okta factors: not a list".into()))?;
            factors.extend(items.iter().map(|f| {
                json!({
                    "id": f.get("id").cloned().unwrap_or(Value::Null),
                    "factorType": f.get("factorType").cloned().unwrap_or(Value::Null),
                    "provider": f.get("provider").cloned().unwrap_or(Value::Null),
                    "status": f.get("status").cloned().unwrap_or(Value::Null),
                })
            }));
            Ok(false)
        })?;
        let user = input_str(inputs, "user")?;
        let prior = json!({ "factors": factors });
        if factors.is_empty() {
            return Ok(s.finish(json!({ "user": user, "factors_reset": 0 }), Some(prior), true));
        }
        s.send_ok(reset, Vendor::Okta)?;
        Ok(s.finish(json!({ "user": user, "factors_reset": factors.len() }), Some(prior), false))
    }
}
