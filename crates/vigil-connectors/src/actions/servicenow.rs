//! ServiceNow Table API (`/api/now/table/incident`), idempotent through `correlation_id`.

use serde_json::{Value, json};

use super::{action_meta, check_key, json_str};
use crate::action::{Session, Vendor};
use crate::util::{base_url, base64_encode, encode, input_str, opt_input_str, truncate_chars};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

struct Snow {
    base: String,
    auth: String,
}

impl Snow {
    fn new(config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        let base = base_url(config, "servicenow", "base_url", None)?;
        let user = secrets.get("servicenow_username")?;
        let password = secrets.get("servicenow_password")?;
        Ok(Snow { base, auth: format!("Basic {}", base64_encode(format!("{user}:{password}").as_bytes())) })
    }

    fn request(&self, method: &str, path: &str) -> HttpRequest {
        HttpRequest::new(method, format!("{}{path}", self.base))
            .with_header("Accept", "application/json")
            .with_header("Authorization", self.auth.clone())
    }
}

/// `1`–`3` (high to low), given as a number or a string; default `2`.
fn level(inputs: &Value, name: &str) -> Result<String, ConnectorError> {
    let v = opt_input_str(inputs, name).unwrap_or_else(|| "2".into());
    match v.as_str() {
        "1" | "2" | "3" => Ok(v),
        _ => Err(ConnectorError::Unsupported(format!("{name} must be 1, 2 or 3"))),
    }
}

fn incident_out(base: &str, record: &Value) -> Result<Value, ConnectorError> {
    let sys_id = json_str(record, "sys_id", "ServiceNow incident")?;
    Ok(json!({
        "number": record.get("number").cloned().unwrap_or(Value::Null),
        "sys_id": sys_id,
        "url": format!("{base}/nav_to.do?uri=incident.do?sys_id={sys_id}"),
    }))
}

pub(crate) struct CreateIncident;

impl Action for CreateIncident {
    action_meta!(
        "servicenow.create_incident",
        Notify,
        "Open a ServiceNow incident (once per idempotency key, kept in correlation_id)",
        api: "ServiceNow Table API",
        inputs: ["summary"],
        secrets: ["servicenow_username", "servicenow_password"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let summary = input_str(inputs, "summary")?;
        let (urgency, impact) = (level(inputs, "urgency")?, level(inputs, "impact")?);
        let snow = Snow::new(config, secrets)?;
        if key.contains('^') {
            return Err(ConnectorError::Unsupported(
                "idempotency key must not contain `^` (ServiceNow query separator)".into(),
            ));
        }
        let lookup = snow.request(
            "GET",
            &format!(
                "/api/now/table/incident?sysparm_query={}&sysparm_limit=1&sysparm_fields={}",
                encode(&format!("correlation_id={key}")),
                encode("sys_id,number,correlation_id")
            ),
        );
        let mut body = json!({
            "short_description": truncate_chars(summary.lines().next().unwrap_or_default(), 160),
            "description": opt_input_str(inputs, "description").unwrap_or_default(),
            "urgency": urgency,
            "impact": impact,
            "correlation_id": key,
            "correlation_display": "Vigil",
        });
        for optional in ["assignment_group", "category", "caller_id"] {
            if let Some(v) = opt_input_str(inputs, optional) {
                body[optional] = json!(v);
            }
        }
        let create =
            snow.request("POST", "/api/now/table/incident").with_header("Idempotency-Key", key).with_json(&body);
        Ok(vec![lookup, create])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        check_key(ctx.idempotency_key)?;
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let [lookup, create] = reqs.as_slice() else {
            return Err(ConnectorError::BadResponse("unexpected plan".into()));
        };
        let base = base_url(ctx.config, "servicenow", "base_url", None)?;
        let key = ctx.idempotency_key;
        let mut s = Session::new(self.name(), ctx);
        let mut found = None;
        // String comparison in ServiceNow queries ignores case; the key must match exactly.
        s.follow_links(lookup, Vendor::ServiceNow, |resp| {
            let page = resp.json()?;
            let records = page.get("result").and_then(Value::as_array).cloned().unwrap_or_default();
            found = records.into_iter().find(|r| r.get("correlation_id").and_then(Value::as_str) == Some(key));
            Ok(found.is_some())
        })?;
        if let Some(record) = found {
            return Ok(s.finish(incident_out(&base, &record)?, None, true));
        }
        let created = s.send_ok(create, Vendor::ServiceNow)?.json()?;
        let record = created
            .get("result")
            .ok_or_else(|| ConnectorError::BadResponse("ServiceNow answer without result".into()))?;
        Ok(s.finish(incident_out(&base, record)?, None, false))
    }
}
