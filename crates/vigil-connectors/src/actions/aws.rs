//! AWS IAM Query API (version 2010-05-08), form-encoded POSTs signed with Signature Version 4.

use chrono::Utc;
use serde_json::{Value, json};

use super::{MAX_PAGES, action_meta, restore, with_restore};
use crate::action::{Session, Vendor};
use crate::sigv4::{Credentials, sign};
use crate::util::{base_url, form, input_str, opt_config_str, xml_blocks, xml_text};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

const ENDPOINT: &str = "https://iam.amazonaws.com";
const VERSION: &str = "2010-05-08";
const SERVICE: &str = "iam";

struct Iam<'s> {
    endpoint: String,
    region: String,
    creds: Credentials<'s>,
}

impl<'s> Iam<'s> {
    fn new(config: &Value, secrets: &'s Secrets) -> Result<Self, ConnectorError> {
        let endpoint = format!("{}/", base_url(config, "aws", "endpoint", Some(ENDPOINT))?);
        // IAM is a global service signed for us-east-1 (other partitions name their own).
        let region = opt_config_str(config, "aws", "region").unwrap_or_else(|| "us-east-1".into());
        let creds = Credentials {
            access_key_id: secrets.get("aws_access_key_id")?,
            secret_access_key: secrets.get("aws_secret_access_key")?,
            session_token: secrets.get_opt("aws_session_token"),
        };
        Ok(Iam { endpoint, region, creds })
    }

    /// A signed Query API call: `Action` first, then the parameters, then `Version`.
    fn call(&self, action: &str, params: &[(&str, &str)]) -> Result<HttpRequest, ConnectorError> {
        let mut pairs = vec![("Action", action)];
        pairs.extend_from_slice(params);
        pairs.push(("Version", VERSION));
        let mut req = HttpRequest::new("POST", self.endpoint.clone())
            .with_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
        req.body = Some(form(&pairs));
        sign(&mut req, &self.creds, &self.region, SERVICE, Utc::now())?;
        Ok(req)
    }

    fn list_keys(&self, user: &str, marker: Option<&str>) -> Result<HttpRequest, ConnectorError> {
        match marker {
            Some(m) => self.call("ListAccessKeys", &[("Marker", m), ("UserName", user)]),
            None => self.call("ListAccessKeys", &[("UserName", user)]),
        }
    }

    fn update_key(&self, user: &str, key_id: &str, status: &str) -> Result<HttpRequest, ConnectorError> {
        self.call("UpdateAccessKey", &[("AccessKeyId", key_id), ("Status", status), ("UserName", user)])
    }
}

/// The status of `key_id` among `user`'s access keys (every page of ListAccessKeys).
fn key_status(
    s: &mut Session<'_, '_>,
    iam: &Iam<'_>,
    first: &HttpRequest,
    user: &str,
    key_id: &str,
) -> Result<Option<String>, ConnectorError> {
    let mut req = first.clone();
    for _ in 0..MAX_PAGES {
        let resp = s.send_ok(&req, Vendor::Aws)?;
        let body = resp.text();
        let result = xml_blocks(&body, "ListAccessKeysResult")
            .into_iter()
            .next()
            .ok_or_else(|| ConnectorError::BadResponse("ListAccessKeys without ListAccessKeysResult".into()))?;
        for member in xml_blocks(result, "member") {
            if xml_text(member, "AccessKeyId").as_deref() == Some(key_id) {
                return Ok(xml_text(member, "Status"));
            }
        }
        let truncated = xml_text(result, "IsTruncated").is_some_and(|t| t == "true");
        match (truncated, xml_text(result, "Marker")) {
            (true, Some(marker)) => req = iam.list_keys(user, Some(&marker))?,
            (true, None) => return Err(ConnectorError::BadResponse("ListAccessKeys truncated without Marker".into())),
            (false, _) => return Ok(None),
        }
    }
    Err(ConnectorError::BadResponse(format!("more than {MAX_PAGES} pages; stopped")))
}

fn set_status(
    name: &'static str,
    inputs: &Value,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    wanted: &str,
) -> Result<ActionOutcome, ConnectorError> {
    let user = input_str(inputs, "user_name")?;
    let key_id = input_str(inputs, "access_key_id")?;
    let mut s = Session::new(name, ctx);
    let output = json!({ "user_name": user, "access_key_id": key_id, "status": wanted });
    if reqs.is_empty() {
        return Ok(s.finish(json!({ "user_name": user, "access_key_id": key_id, "status": "Inactive", "note": "inactive before; left inactive" }), None, true));
    }
    let [list, update] = reqs else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let iam = Iam::new(ctx.config, ctx.secrets)?;
    let before = key_status(&mut s, &iam, list, &user, &key_id)?;
    let prior = before.as_ref().map(|b| json!({ "status": b }));
    if before.as_deref() == Some(wanted) {
        return Ok(s.finish(output, prior, true));
    }
    // A key missing from the list is left for IAM itself to report (NoSuchEntity).
    s.send_ok(update, Vendor::Aws)?;
    Ok(s.finish(output, prior, false))
}

fn status_plan(
    inputs: &Value,
    config: &Value,
    secrets: &Secrets,
    wanted: &str,
) -> Result<Vec<HttpRequest>, ConnectorError> {
    let user = input_str(inputs, "user_name")?;
    let key_id = input_str(inputs, "access_key_id")?;
    let iam = Iam::new(config, secrets)?;
    Ok(vec![iam.list_keys(&user, None)?, iam.update_key(&user, &key_id, wanted)?])
}

pub(crate) struct DeactivateAccessKey;

impl Action for DeactivateAccessKey {
    action_meta!(
        "aws.deactivate_access_key",
        Contain,
        "Set an IAM user's access key to Inactive (UpdateAccessKey)",
        api: "AWS IAM `UpdateAccessKey`, Signature Version 4",
        inputs: ["user_name", "access_key_id"],
        secrets: ["aws_access_key_id", "aws_secret_access_key"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        status_plan(inputs, config, secrets, "Inactive")
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_status(self.name(), inputs, ctx, &reqs, "Inactive")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("aws.activate_access_key")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct ActivateAccessKey;

impl Action for ActivateAccessKey {
    action_meta!(
        "aws.activate_access_key",
        Contain,
        "Set an IAM user's access key to Active (UpdateAccessKey)",
        api: "AWS IAM `UpdateAccessKey`, Signature Version 4",
        inputs: ["user_name", "access_key_id"],
        secrets: ["aws_access_key_id", "aws_secret_access_key"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let plan = status_plan(inputs, config, secrets, "Active")?;
        // Undoing a deactivation of a key that was inactive already changes nothing.
        if restore(inputs, "status").and_then(Value::as_str) == Some("Inactive") {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_status(self.name(), inputs, ctx, &reqs, "Active")
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("aws.deactivate_access_key")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

impl Iam<'_> {
    fn list_policies(&self, user: &str, marker: Option<&str>) -> Result<HttpRequest, ConnectorError> {
        match marker {
            Some(m) => self.call("ListAttachedUserPolicies", &[("Marker", m), ("UserName", user)]),
            None => self.call("ListAttachedUserPolicies", &[("UserName", user)]),
        }
    }

    fn user_policy(&self, action: &str, user: &str, policy_arn: &str) -> Result<HttpRequest, ConnectorError> {
        self.call(action, &[("PolicyArn", policy_arn), ("UserName", user)])
    }
}

/// Whether `policy_arn` is attached to `user` (every page of ListAttachedUserPolicies).
fn policy_attached(
    s: &mut Session<'_, '_>,
    iam: &Iam<'_>,
    first: &HttpRequest,
    user: &str,
    policy_arn: &str,
) -> Result<bool, ConnectorError> {
    let mut req = first.clone();
    for _ in 0..MAX_PAGES {
        let resp = s.send_ok(&req, Vendor::Aws)?;
        let body = resp.text();
        let result = xml_blocks(&body, "ListAttachedUserPoliciesResult").into_iter().next().ok_or_else(|| {
            ConnectorError::BadResponse("ListAttachedUserPolicies without ListAttachedUserPoliciesResult".into())
        })?;
        if xml_blocks(result, "member").iter().any(|m| xml_text(m, "PolicyArn").as_deref() == Some(policy_arn)) {
            return Ok(true);
        }
        let truncated = xml_text(result, "IsTruncated").is_some_and(|t| t == "true");
        match (truncated, xml_text(result, "Marker")) {
            (true, Some(marker)) => req = iam.list_policies(user, Some(&marker))?,
            (true, None) => {
                return Err(ConnectorError::BadResponse("ListAttachedUserPolicies truncated without Marker".into()));
            }
            (false, _) => return Ok(false),
        }
    }
    Err(ConnectorError::BadResponse(format!("more than {MAX_PAGES} pages; stopped")))
}

fn policy_plan(
    inputs: &Value,
    config: &Value,
    secrets: &Secrets,
    action: &str,
) -> Result<Vec<HttpRequest>, ConnectorError> {
    let user = input_str(inputs, "user_name")?;
    let policy = input_str(inputs, "policy_arn")?;
    let iam = Iam::new(config, secrets)?;
    Ok(vec![iam.list_policies(&user, None)?, iam.user_policy(action, &user, &policy)?])
}

/// Attaches (`attach`) or detaches a managed policy, recording whether it was attached before.
fn set_policy(
    name: &'static str,
    inputs: &Value,
    ctx: &ActionContext<'_>,
    reqs: &[HttpRequest],
    attach: bool,
) -> Result<ActionOutcome, ConnectorError> {
    let user = input_str(inputs, "user_name")?;
    let policy = input_str(inputs, "policy_arn")?;
    let mut s = Session::new(name, ctx);
    let output = json!({ "user_name": user, "policy_arn": policy, "attached": attach });
    if reqs.is_empty() {
        let note = "not attached before; left detached";
        return Ok(s.finish(
            json!({ "user_name": user, "policy_arn": policy, "attached": false, "note": note }),
            None,
            true,
        ));
    }
    let [list, change] = reqs else { return Err(ConnectorError::BadResponse("unexpected plan".into())) };
    let iam = Iam::new(ctx.config, ctx.secrets)?;
    let before = policy_attached(&mut s, &iam, list, &user, &policy)?;
    let prior = Some(json!({ "attached": before }));
    if before == attach {
        return Ok(s.finish(output, prior, true));
    }
    s.send_ok(change, Vendor::Aws)?;
    Ok(s.finish(output, prior, false))
}

pub(crate) struct DetachUserPolicy;

impl Action for DetachUserPolicy {
    action_meta!(
        "aws.detach_user_policy",
        Contain,
        "Detach a managed policy (such as AdministratorAccess) from an IAM user (DetachUserPolicy)",
        api: "AWS IAM `ListAttachedUserPolicies`, `DetachUserPolicy`, Signature Version 4",
        inputs: ["user_name", "policy_arn"],
        secrets: ["aws_access_key_id", "aws_secret_access_key"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        policy_plan(inputs, config, secrets, "DetachUserPolicy")
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_policy(self.name(), inputs, ctx, &reqs, false)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("aws.attach_user_policy")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}

pub(crate) struct AttachUserPolicy;

impl Action for AttachUserPolicy {
    action_meta!(
        "aws.attach_user_policy",
        Contain,
        "Attach a managed policy to an IAM user (AttachUserPolicy)",
        api: "AWS IAM `ListAttachedUserPolicies`, `AttachUserPolicy`, Signature Version 4",
        inputs: ["user_name", "policy_arn"],
        secrets: ["aws_access_key_id", "aws_secret_access_key"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        _key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let plan = policy_plan(inputs, config, secrets, "AttachUserPolicy")?;
        // Undoing a detach of a policy that was not attached changes nothing.
        if restore(inputs, "attached").and_then(Value::as_bool) == Some(false) {
            return Ok(Vec::new());
        }
        Ok(plan)
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        set_policy(self.name(), inputs, ctx, &reqs, true)
    }

    fn inverse(&self) -> Option<&'static str> {
        Some("aws.detach_user_policy")
    }

    fn inverse_inputs(&self, inputs: &Value, prior: Option<&Value>) -> Value {
        with_restore(inputs, prior)
    }
}
