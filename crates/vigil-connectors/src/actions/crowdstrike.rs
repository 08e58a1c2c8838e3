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
        api: "Falcon `devices-actions/v2`, OAuth2",
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
        api: "Falcon `devices-actions/v2`, OAuth2",
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

/// Finds a host's Falcon device id (`aid`) by host name: the Hosts API's FQL query
/// `hostname:'<name>'`. Falcon host names are short names, so a fully qualified name is also
/// tried by its first label. A read: it changes nothing.
pub(crate) struct FindDevice;

fn find_plan(inputs: &Value, config: &Value, secrets: &Secrets) -> Result<Vec<HttpRequest>, ConnectorError> {
    let host = input_str(inputs, "hostname")?;
    let base = base_url(config, "crowdstrike", "base_url", Some(BASE))?;
    let id = secrets.get("crowdstrike_client_id")?;
    let secret = secrets.get("crowdstrike_client_secret")?;
    let token = HttpRequest::new("POST", format!("{base}/oauth2/token"))
        .with_header("Accept", "application/json")
        .with_form(&[("client_id", id), ("client_secret", secret)]);
    let short = host.split('.').next().unwrap_or(&host).to_string();
    // FQL string values are single-quoted; a quote inside is escaped with a backslash.
    let fql = |h: &str| format!("hostname:'{}'", h.replace('\\', "\\\\").replace('\'', "\\'"));
    let mut reqs =
        vec![token, bearer_request("GET", format!("{base}/devices/queries/devices/v1?filter={}", encode(&fql(&host))))];
    if short != host {
        reqs.push(bearer_request("GET", format!("{base}/devices/queries/devices/v1?filter={}", encode(&fql(&short)))));
    }
    Ok(reqs)
}

impl Action for FindDevice {
    action_meta!(
        "crowdstrike.find_device",
        Read,
        "Find a host's CrowdStrike Falcon device id by its host name",
        api: "Falcon `devices/queries/devices/v1` with an FQL `hostname:'…'` filter (full and short name; never guesses between two)",
        inputs: ["hostname"],
        secrets: ["crowdstrike_client_id", "crowdstrike_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        find_plan(inputs, config, secrets)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let host = input_str(inputs, "hostname")?;
        let reqs = find_plan(inputs, ctx.config, ctx.secrets)?;
        let mut s = Session::new(self.name(), ctx);
        let token = s.fetch_token(&reqs[0], Vendor::CrowdStrike)?;
        // Every query the plan names is made (so a dry run shows exactly these calls); the
        // full name's answer wins over the short name's.
        let mut answers = Vec::new();
        for q in &reqs[1..] {
            let resp = s.send_ok(&with_bearer(q, &token), Vendor::CrowdStrike)?;
            let body = check_errors(&s, &resp)?;
            let ids: Vec<String> = body
                .get("resources")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            answers.push(ids);
        }
        if let Some(ids) = answers.into_iter().find(|ids| !ids.is_empty()) {
            if let [one] = ids.as_slice() {
                return Ok(s.finish(json!({ "device_id": one, "hostname": host, "matches": 1 }), None, false));
            }
            return Err(s.clean(ConnectorError::BadResponse(format!(
                "{} Falcon devices are named {host}; refusing to guess which to act on",
                ids.len()
            ))));
        }
        Err(s.clean(ConnectorError::Http {
            action: self.name().to_string(),
            status: 404,
            message: format!("no Falcon device is named {host}"),
        }))
    }
}
