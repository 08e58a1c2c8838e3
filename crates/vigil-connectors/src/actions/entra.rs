//! Microsoft Entra ID through Microsoft Graph v1.0, with an app-only token from the
//! identity platform's client-credentials flow.

use serde_json::{Value, json};

use super::{action_meta, bearer_request, microsoft_token_request, restore, with_restore};
use crate::action::{Session, Vendor, with_bearer};
use crate::util::{base_url, config_str, encode, input_str};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

const GRAPH: &str = "https://graph.microsoft.com";
const LOGIN: &str = "https://login.microsoftonline.com";
const SCOPE: &str = "https://graph.microsoft.com/.default";

struct Graph {
    graph: String,
    token: HttpRequest,
}

impl Graph {
    fn new(config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        let graph = base_url(config, "entra", "graph_base", Some(GRAPH))?;
        let login = base_url(config, "entra", "login_base", Some(LOGIN))?;
        let tenant = config_str(config, "entra", "tenant_id")?;
        let id = secrets.get("entra_client_id")?;
        let secret = secrets.get("entra_client_secret")?;
        Ok(Graph { graph, token: microsoft_token_request(&login, &tenant, id, secret, SCOPE) })
    }

    fn user_url(&self, user: &str) -> String {
        format!("{}/v1.0/users/{}", self.graph, encode(user))
    }
}

/// Runs a plan whose first call is the token request: the token is fetched once and used
/// for every later call of this execution.
fn with_token(s: &mut Session<'_, '_>, reqs: &[HttpRequest]) -> Result<Vec<HttpRequest>, ConnectorError> {
    let (token_req, rest) = reqs.split_first().ok_or_else(|| ConnectorError::BadResponse("unexpected plan".into()))?;
    let token = s.fetch_token(token_req, Vendor::Microsoft)?;
    Ok(rest.iter().map(|r| with_bearer(r, &token)).collect())
}

pub(crate) struct RevokeSessions;

impl Action for RevokeSessions {
    action_meta!(
        "entra.revoke_sessions",
        Destructive,
        "Revoke every refresh token and session cookie of an Entra ID user (revokeSignInSessions)",
        api: "Microsoft Graph `revokeSignInSessions`, OAuth2 client credentials",
        inputs: ["user"],
        secrets: ["entra_client_id", "entra_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let user = input_str(inputs, "user")?;
        let g = Graph::new(config, secrets)?;
        let revoke = bearer_request("POST", format!("{}/revokeSignInSessions", g.user_url(&user)))
            .with_header("Idempotency-Key", key);
        Ok(vec![g.token.clone(), revoke])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let mut s = Session::new(self.name(), ctx);
        let calls = with_token(&mut s, &reqs)?;
        let mut revoked = Value::Null;
        for req in &calls {
            let resp = s.send_ok(req, Vendor::Microsoft)?;
            revoked = resp.json().ok().and_then(|v| v.get("value").cloned()).unwrap_or(Value::Bool(true));
        }
        Ok(s.finish(json!({ "user": input_str(inputs, "user")?, "revoked": revoked }), None, false))
    }
}

/// Reads `accountEnabled`, then PATCHes it to `wanted` unless it is there already.
fn set_enabled(
    name: &'static str,
    inputs: &Value,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    wanted: bool,
) -> Result<ActionOutcome, ConnectorError> {
    let user = input_str(inputs, "user")?;
    let mut s = Session::new(name, ctx);
    if reqs.is_empty() {
        return Ok(s.finish(
            json!({ "user": user, "account_enabled": !wanted, "note": "disabled before; left disabled" }),
            None,
            true,
        ));
    }
    let calls = with_token(&mut s, reqs)?;
    let [get, patch] = calls.as_slice() else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let found = s.send_ok(get, Vendor::Microsoft)?.json()?;
    let before = found
        .get("accountEnabled")
        .and_then(Value::as_bool)
        .ok_or_else(|| ConnectorError::BadResponse("Graph user without accountEnabled".into()))?;
    let prior = json!({ "accountEnabled": before });
    if before == wanted {
        return Ok(s.finish(json!({ "user": user, "account_enabled": wanted }), Some(prior), true));
    }
    s.send_ok(patch, Vendor::Microsoft)?;
    Ok(s.finish(json!({ "user": user, "account_enabled": wanted }), Some(prior), false))
}

fn enabled_plan(
    inputs: &Value,
    config: &Value,
    secrets: &Secrets,
    key: &str,
    wanted: bool,
) -> Result<Vec<HttpRequest>, ConnectorError> {
    let user = input_str(inputs, "user")?;
    let g = Graph::new(config, secrets)?;
    let get = bearer_request("GET", format!("{}?$select=accountEnabled", g.user_url(&user)));
    let patch = bearer_request("PATCH", g.user_url(&user))
        .with_header("Idempotency-Key", key)
        .with_json(&json!({ "accountEnabled": wanted }));
    Ok(vec![g.token.clone(), get, patch])
}

pub(crate) struct DisableAccount;

impl Action for DisableAccount {
    action_meta!(
        "entra.disable_account",
        Contain,
        "Disable an Entra ID account (accountEnabled = false)",
        api: "Microsoft Graph `PATCH /users/{id}` `accountEnabled`",
        inputs: ["user"],
        secrets: ["entra_client_id", "entra_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        enabled_plan(inputs, config, secrets, key, false)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_enabled(self.name(), inputs, ctx, &reqs, false)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("entra.enable_account")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct EnableAccount;

impl Action for EnableAccount {
    action_meta!(
        "entra.enable_account",
        Contain,
        "Enable an Entra ID account (accountEnabled = true)",
        api: "Microsoft Graph `PATCH /users/{id}` `accountEnabled`",
        inputs: ["user"],
        secrets: ["entra_client_id", "entra_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let plan = enabled_plan(inputs, config, secrets, key, true)?;
        // Undoing a disable of an account that was disabled already changes nothing.
        if restore(inputs, "accountEnabled").and_then(Value::as_bool) == Some(false) {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_enabled(self.name(), inputs, ctx, &reqs, true)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("entra.disable_account")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}
