//! The vendor actions.

mod aws;
mod chat;
mod crowdstrike;
mod defender;
mod email;
mod entra;
mod github;
mod jira;
mod okta;
mod servicenow;
mod webhook;

pub(crate) use webhook::signature as webhook_signature;

use serde_json::Value;

use crate::action::{ACCESS_TOKEN_PLACEHOLDER, Session, Vendor};
use crate::util::{encode, link_next, same_origin_link};
use crate::{Action, ConnectorError, HttpRequest, HttpResponse};

/// Every action, grouped by vendor (the order of [`crate::actions_markdown`]'s table).
pub(crate) fn all() -> Vec<Box<dyn Action>> {
    vec![
        Box::new(okta::SuspendUser),
        Box::new(okta::UnsuspendUser),
        Box::new(okta::ClearSessions),
        Box::new(okta::ResetFactors),
        Box::new(entra::RevokeSessions),
        Box::new(entra::DisableAccount),
        Box::new(entra::EnableAccount),
        Box::new(aws::DeactivateAccessKey),
        Box::new(aws::ActivateAccessKey),
        Box::new(aws::DetachUserPolicy),
        Box::new(aws::AttachUserPolicy),
        Box::new(crowdstrike::FindDevice),
        Box::new(crowdstrike::ContainHost),
        Box::new(crowdstrike::LiftContainment),
        Box::new(defender::IsolateMachine),
        Box::new(defender::ReleaseMachine),
        Box::new(jira::CreateIssue),
        Box::new(servicenow::CreateIncident),
        Box::new(github::CreateIssue),
        Box::new(chat::SlackWebhook),
        Box::new(chat::TeamsWebhook),
        Box::new(email::Smtp),
        Box::new(webhook::SignedWebhook),
    ]
}

/// The metadata methods and `plan` (as `plan_keyed` with the placeholder key).
macro_rules! action_meta {
    ($name:literal, $class:ident, $summary:literal, api: $api:literal, inputs: [$($input:literal),* $(,)?], secrets: [$($secret:literal),* $(,)?]) => {
        fn name(&self) -> &'static str {
            $name
        }
        fn class(&self) -> $crate::ActionClass {
            $crate::ActionClass::$class
        }
        fn summary(&self) -> &'static str {
            $summary
        }
        fn api(&self) -> &'static str {
            $api
        }
        fn required_inputs(&self) -> &'static [&'static str] {
            &[$($input),*]
        }
        fn required_secrets(&self) -> &'static [&'static str] {
            &[$($secret),*]
        }
        fn plan(
            &self,
            inputs: &serde_json::Value,
            config: &serde_json::Value,
            secrets: &$crate::Secrets,
        ) -> Result<Vec<$crate::HttpRequest>, $crate::ConnectorError> {
            self.plan_keyed(inputs, config, secrets, $crate::IDEMPOTENCY_KEY_PLACEHOLDER)
        }
    };
}
pub(crate) use action_meta;

/// Upper bound on pages followed in one read.
pub(crate) const MAX_PAGES: usize = 100;

/// `inputs.restore.<field>`: the prior state an inverse is asked to restore.
pub(crate) fn restore<'a>(inputs: &'a Value, field: &str) -> Option<&'a Value> {
    inputs.get("restore")?.get(field)
}

/// Inverse inputs: the forward action's inputs plus `restore` = the prior state.
pub(crate) fn with_restore(inputs: &Value, prior: Option<&Value>) -> Value {
    let mut out = match inputs {
        Value::Object(map) => map.clone(),
        _ => serde_json::Map::new(),
    };
    out.remove("restore");
    if let Some(prior) = prior {
        out.insert("restore".into(), prior.clone());
    }
    Value::Object(out)
}

/// An idempotency key usable in vendors' labels, queries and markers: non-empty, at most
/// 200 characters, no whitespace or control characters.
pub(crate) fn check_key(key: &str) -> Result<(), ConnectorError> {
    if key.is_empty() {
        return Err(ConnectorError::MissingInput("idempotency_key".into()));
    }
    if key.chars().count() > 200 || key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConnectorError::Unsupported(
            "idempotency key must be at most 200 characters without whitespace or control characters".into(),
        ));
    }
    Ok(())
}

/// Microsoft identity platform client-credentials token request (v2.0 endpoint).
pub(crate) fn microsoft_token_request(
    login_base: &str,
    tenant: &str,
    client_id: &str,
    client_secret: &str,
    scope: &str,
) -> HttpRequest {
    HttpRequest::new("POST", format!("{login_base}/{}/oauth2/v2.0/token", encode(tenant)))
        .with_header("Accept", "application/json")
        .with_form(&[
            ("client_id", client_id),
            ("scope", scope),
            ("client_secret", client_secret),
            ("grant_type", "client_credentials"),
        ])
}

/// A request with the bearer placeholder, for APIs called with an OAuth token.
pub(crate) fn bearer_request(method: &str, url: String) -> HttpRequest {
    HttpRequest::new(method, url)
        .with_header("Accept", "application/json")
        .with_header("Authorization", format!("Bearer {ACCESS_TOKEN_PLACEHOLDER}"))
}

impl Session<'_, '_> {
    /// Sends `first`, then follows `Link: <…>; rel="next"` until `page` says it is done
    /// (returns `true`) or there is no next page.
    pub(crate) fn follow_links(
        &mut self,
        first: &HttpRequest,
        vendor: Vendor,
        mut page: impl FnMut(&HttpResponse) -> Result<bool, ConnectorError>,
    ) -> Result<(), ConnectorError> {
        let mut req = first.clone();
        for _ in 0..MAX_PAGES {
            let resp = self.send_ok(&req, vendor)?;
            if page(&resp)? {
                return Ok(());
            }
            match link_next(resp.headers_named("link")) {
                Some(next) => req.url = same_origin_link(&req.url, &next)?,
                None => return Ok(()),
            }
        }
        Err(ConnectorError::BadResponse(format!("more than {MAX_PAGES} pages; stopped")))
    }
}

/// A string field of a JSON object, or a `BadResponse` naming it.
pub(crate) fn json_str<'a>(v: &'a Value, field: &str, what: &str) -> Result<&'a str, ConnectorError> {
    v.get(field).and_then(Value::as_str).ok_or_else(|| ConnectorError::BadResponse(format!("{what} without `{field}`")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_checked() {
        assert!(check_key("run-1.step-2:a_b").is_ok());
        assert!(matches!(check_key(""), Err(ConnectorError::MissingInput(_))));
        assert!(matches!(check_key("a b"), Err(ConnectorError::Unsupported(_))));
        assert!(matches!(check_key(&"x".repeat(201)), Err(ConnectorError::Unsupported(_))));
    }

    #[test]
    fn restore_inputs() {
        let v = with_restore(
            &serde_json::json!({"user": "u", "restore": 1}),
            Some(&serde_json::json!({"status": "ACTIVE"})),
        );
        assert_eq!(v, serde_json::json!({"user": "u", "restore": {"status": "ACTIVE"}}));
        assert_eq!(restore(&v, "status").and_then(Value::as_str), Some("ACTIVE"));
        assert_eq!(with_restore(&serde_json::json!({"user": "u"}), None), serde_json::json!({"user": "u"}));
    }
}
