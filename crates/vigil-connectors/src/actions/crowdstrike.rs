//! CrowdStrike Falcon host containment (Hosts API), with an OAuth2 client-credentials token.

use serde_json::{Value, json};

use super::{action_meta, bearer_request, restore, with_restore};
use crate::action::{Session, Vendor, crowdstrike_errors, with_bearer};
use crate::util::{base_url, encode, input_str};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, HttpResponse, Secrets};

const BASE: &str = "https://api.crowdstrike.com";

/// Device states in which containment is in force or on its way.
const CONTAINED: &[&str] = &["contained", "containment_pending"];
/// Device states in which the host is free or on its way to be.
const NORMAL: &[&str] = &["normal", "lift_containment_pending"];

fn plan(
    inputs: &Value,
    config: &Value,
    secrets: &Secrets,
    key: &str,
    action_name: &str,
) -> Result<Vec<HttpRequest>, ConnectorError> {
    let device = input_str(inputs, "device_id")?;
    let base = base_url(config, "crowdstrike", "base_url", Some(BASE))?;
    let id = secrets.get("crowdstrike_client_id")?;
    let secret = secrets.get("crowdstrike_client_secret")?;
    let token = HttpRequest::new("POST", format!("{base}/oauth2/token"))
        .with_header("Accept", "application/json")
        .with_form(&[("client_id", id), ("client_secret", secret)]);
    let get = bearer_request("GET", format!("{base}/devices/entities/devices/v2?ids={}", encode(&device)));
    let act = bearer_request("POST", format!("{base}/devices/entities/devices-actions/v2?action_name={action_name}"))
        .with_header("Idempotency-Key", key)
        .with_json(&json!({ "ids": [device] }));
    Ok(vec![token, get, act])
}

/// CrowdStrike can answer 2xx with `errors[]` filled in: that is a failure too.
fn check_errors(s: &Session<'_, '_>, resp: &HttpResponse) -> Result<Value, ConnectorError> {
    let body = resp.json()?;
    if let Some(message) = crowdstrike_errors(&body) {
        let status = body
            .pointer("/errors/0/code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok())
            .filter(|c| *c >= 400)
            .unwrap_or(resp.status);
        return Err(s.clean(ConnectorError::Http { action: s.action.to_string(), status, message }));
    }
    Ok(body)
}

fn run(
    name: &'static str,
    inputs: &Value,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    done: &[&str],
    result: &str,
) -> Result<ActionOutcome, ConnectorError> {
    let device = input_str(inputs, "device_id")?;
    let mut s = Session::new(name, ctx);
    if reqs.is_empty() {
        return Ok(s.finish(
            json!({ "device_id": device, "status": "contained", "note": "contained before; left contained" }),
            None,
            true,
        ));
    }
    let [token_req, get, act] = reqs else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let token = s.fetch_token(token_req, Vendor::CrowdStrike)?;
    let resp = s.send_ok(&with_bearer(get, &token), Vendor::CrowdStrike)?;
    let body = check_errors(&s, &resp)?;
    let before = body
        .pointer("/resources/0/status")
        .and_then(Value::as_str)
        .ok_or_else(|| ConnectorError::BadResponse("CrowdStrike device without status".into()))?
        .to_string();
    let prior = json!({ "status": before });
    if done.contains(&before.as_str()) {
        return Ok(s.finish(json!({ "device_id": device, "status": before }), Some(prior), true));
    }
    let resp = s.send_ok(&with_bearer(act, &token), Vendor::CrowdStrike)?;
    check_errors(&s, &resp)?;
    Ok(s.finish(json!({ "device_id": device, "status": result }), Some(prior), false))
}

pub(crate) struct ContainHost;

impl Action for ContainHost {
    action_meta!(
        "crowdstrike.contain_host",
        Contain,
        "Network-contain a host with CrowdStrike Falcon",
        inputs: ["device_id"],
        secrets: ["crowdstrike_client_id", "crowdstrike_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        plan(inputs, config, secrets, key, "contain")
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        run(self.name(), inputs, ctx, &reqs, CONTAINED, "containment_pending")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("crowdstrike.lift_containment")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct LiftContainment;

impl Action for LiftContainment {
    action_meta!(
        "crowdstrike.lift_containment",
        Contain,
        "Lift CrowdStrike Falcon network containment from a host",
        inputs: ["device_id"],
        secrets: ["crowdstrike_client_id", "crowdstrike_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let plan = plan(inputs, config, secrets, key, "lift_containment")?;
        // Undoing a containment of a host that was contained already changes nothing.
        if restore(inputs, "status").and_then(Value::as_str).is_some_and(|s| CONTAINED.contains(&s)) {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        run(self.name(), inputs, ctx, &reqs, NORMAL, "lift_containment_pending")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("crowdstrike.contain_host")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}
