//! Microsoft Defender for Endpoint machine isolation (`/api/machines/{id}/isolate`), with an
//! app-only token for the WindowsDefenderATP resource.

use serde_json::{Value, json};

use super::{MAX_PAGES, action_meta, bearer_request, microsoft_token_request, restore, with_restore};
use crate::action::{Session, Vendor, with_bearer};
use crate::util::{base_url, config_str, encode, input_str, opt_input_str, same_origin_link};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

const BASE: &str = "https://api.securitycenter.microsoft.com";
const LOGIN: &str = "https://login.microsoftonline.com";
const SCOPE: &str = "https://api.securitycenter.microsoft.com/.default";
/// Machine-action states that count: failed and cancelled ones changed nothing.
const EFFECTIVE: &[&str] = &["Pending", "InProgress", "Succeeded"];

fn plan(
    inputs: &Value,
    config: &Value,
    secrets: &Secrets,
    key: &str,
    isolate: bool,
) -> Result<Vec<HttpRequest>, ConnectorError> {
    let machine = input_str(inputs, "machine_id")?;
    let comment = opt_input_str(inputs, "comment")
        .unwrap_or_else(|| format!("{} by Vigil (run {key})", if isolate { "Isolated" } else { "Released" }));
    let isolation_type = opt_input_str(inputs, "isolation_type").unwrap_or_else(|| "Full".into());
    if isolate && isolation_type != "Full" && isolation_type != "Selective" {
        return Err(ConnectorError::Unsupported("isolation_type must be Full or Selective".into()));
    }
    let base = base_url(config, "defender", "base_url", Some(BASE))?;
    let login = base_url(config, "defender", "login_base", Some(LOGIN))?;
    let tenant = config_str(config, "defender", "tenant_id")?;
    let token = microsoft_token_request(
        &login,
        &tenant,
        secrets.get("defender_client_id")?,
        secrets.get("defender_client_secret")?,
        SCOPE,
    );
    let filter = format!("machineId eq '{}'", machine.replace('\'', "''"));
    let list = bearer_request("GET", format!("{base}/api/machineactions?$filter={}", encode(&filter)));
    let (path, body) = if isolate {
        ("isolate", json!({ "Comment": comment, "IsolationType": isolation_type }))
    } else {
        ("unisolate", json!({ "Comment": comment }))
    };
    let act = bearer_request("POST", format!("{base}/api/machines/{}/{path}", encode(&machine)))
        .with_header("Idempotency-Key", key)
        .with_json(&body);
    Ok(vec![token, list, act])
}

/// Whether the machine is isolated: the latest effective Isolate or Unisolate action
/// (every page of the machine's actions, following `@odata.nextLink`) decides.
fn isolated(s: &mut Session<'_, '_>, first: &HttpRequest) -> Result<bool, ConnectorError> {
    let mut latest: Option<(String, bool)> = None;
    let mut req = first.clone();
    for _ in 0..MAX_PAGES {
        let page = s.send_ok(&req, Vendor::Microsoft)?.json()?;
        let items = page
            .get("value")
            .and_then(Value::as_array)
            .ok_or_else(|| ConnectorError::BadResponse("machine actions without value".into()))?;
        for a in items {
            let kind = a.get("type").and_then(Value::as_str).unwrap_or_default();
            let status = a.get("status").and_then(Value::as_str).unwrap_or_default();
            if !(kind == "Isolate" || kind == "Unisolate") || !EFFECTIVE.contains(&status) {
                continue;
            }
            let when = a.get("creationDateTimeUtc").and_then(Value::as_str).unwrap_or_default().to_string();
            let when = chrono::DateTime::parse_from_rfc3339(&when).map(|t| t.to_rfc3339()).unwrap_or(when);
            if latest.as_ref().is_none_or(|(t, _)| when >= *t) {
                latest = Some((when, kind == "Isolate"));
            }
        }
        match page.get("@odata.nextLink").and_then(Value::as_str) {
            Some(next) => req.url = same_origin_link(&req.url, next)?,
            None => return Ok(latest.is_some_and(|(_, iso)| iso)),
        }
    }
    Err(ConnectorError::BadResponse(format!("more than {MAX_PAGES} pages; stopped")))
}

fn run(
    name: &'static str,
    inputs: &Value,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    isolate: bool,
) -> Result<ActionOutcome, ConnectorError> {
    let machine = input_str(inputs, "machine_id")?;
    let mut s = Session::new(name, ctx);
    if reqs.is_empty() {
        return Ok(s.finish(
            json!({ "machine_id": machine, "isolated": true, "note": "isolated before; left isolated" }),
            None,
            true,
        ));
    }
    let [token_req, list, act] = reqs else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let token = s.fetch_token(token_req, Vendor::Microsoft)?;
    let before = isolated(&mut s, &with_bearer(list, &token))?;
    let prior = json!({ "isolated": before });
    if before == isolate {
        return Ok(s.finish(json!({ "machine_id": machine, "isolated": isolate }), Some(prior), true));
    }
    let action = s.send_ok(&with_bearer(act, &token), Vendor::Microsoft)?.json()?;
    Ok(s.finish(
        json!({
            "machine_id": machine,
            "isolated": isolate,
            "machine_action_id": action.get("id").cloned().unwrap_or(Value::Null),
            "machine_action_status": action.get("status").cloned().unwrap_or(Value::Null),
        }),
        Some(prior),
        false,
    ))
}

pub(crate) struct IsolateMachine;

impl Action for IsolateMachine {
    action_meta!(
        "defender.isolate_machine",
        Contain,
        "Isolate a device from the network with Microsoft Defender for Endpoint",
        api: "Defender for Endpoint `isolate`/`unisolate`, OAuth2",
        inputs: ["machine_id"],
        secrets: ["defender_client_id", "defender_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        plan(inputs, config, secrets, key, true)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        run(self.name(), inputs, ctx, &reqs, true)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("defender.release_machine")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        let mut out = with_restore(inputs, prior);
        if let Some(map) = out.as_object_mut() {
            // The isolation comment does not fit the release.
            map.remove("comment");
            map.remove("isolation_type");
        }
        out
    }
}

pub(crate) struct ReleaseMachine;

impl Action for ReleaseMachine {
    action_meta!(
        "defender.release_machine",
        Contain,
        "Release a device from Microsoft Defender for Endpoint isolation",
        api: "Defender for Endpoint `isolate`/`unisolate`, OAuth2",
        inputs: ["machine_id"],
        secrets: ["defender_client_id", "defender_client_secret"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let plan = plan(inputs, config, secrets, key, false)?;
        // Undoing an isolation of a machine that was isolated already changes nothing.
        if restore(inputs, "isolated").and_then(Value::as_bool) == Some(true) {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        run(self.name(), inputs, ctx, &reqs, false)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("defender.isolate_machine")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}
