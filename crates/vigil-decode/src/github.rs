//! GitHub organization and enterprise audit log records to OCSF: the REST API's and the audit
//! log stream's shape (`@timestamp` and `created_at` in epoch milliseconds, `_document_id`), and
//! the same records as Panther stores them (`at_sign_timestamp`, `created_at` as
//! `2023-01-31 18:58:27.638`).
//!
//! Classes:
//! - Group Management (3006) for membership of an organization, a team or the organization's
//!   moderators (`org.add_member`, `team.remove_member`, `team.create` …): in GitHub those are the
//!   groups people are put in and taken out of, which is what OCSF's Group Management records
//!   (the group, the user added or removed), where Account Change would describe the account
//!   itself.
//! - Account Change (3001) for a user's own second factor (`two_factor_authentication.*`).
//! - API Activity (6003) for everything else (repositories, hooks, branch protection, security
//!   settings, git operations, workflows …), with create, read, update or delete taken from the
//!   action's verb.
//!
//! Every class keeps the action as `api.operation`, the actor, the source address and country,
//! the organization as the cloud account and the resource acted on (the repository, else the
//! team, else the organization) as `api.request_data`.

use serde_json::Value;
use vigil_model::{Geo, OcsfClass, Severity, Status, account_change, api, group};

use crate::generic::kind;
use crate::json::{boolean, get, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "github";

/// Keys tried, in order, for a record's time.
pub const TIME_KEYS: &[&str] = &["@timestamp", "created_at", "at_sign_timestamp"];

/// The GitHub audit log.
pub struct GitHub;

impl Decoder for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["github-audit"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "GitHub organization and enterprise audit log (REST API, audit log streaming)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "GitHub.Audit"
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::ApiActivity, OcsfClass::GroupManagement, OcsfClass::AccountChange]
    }
    /// SigmaHQ's GitHub rules (`rules/application/github/`) ask for `github` / `audit`, and
    /// name the record's own fields (`action`, `actor`, `org`, `repo` …).
    fn logsource(&self) -> LogSource {
        LogSource::fixed("github", "audit")
    }
    fn sample(&self) -> &'static str {
        r#"{"@timestamp":1706799491000,"_document_id":"b8a4QzVhY2E2NjQ0","action":"org.add_member","actor":"octocat","actor_id":1,"actor_ip":"203.0.113.7","actor_location":{"country_code":"US"},"business":"acme","created_at":1706799491000,"operation_type":"create","org":"acme-corp","org_id":42,"user":"mona","user_id":2,"user_agent":"Mozilla/5.0"}"#
    }
}

/// An action (`repo.create`, `org.add_member`) and one of the keys only the audit log writes
/// beside it. Webhook payloads also have an `action`, but a bare verb (`opened`).
pub fn looks_like(v: &Value) -> bool {
    let Some(action) = v.get("action").and_then(Value::as_str) else { return false };
    let dotted = action.contains('.')
        && action.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-'));
    dotted
        && (v.get("_document_id").is_some()
            || (v.get("actor").is_some_and(Value::is_string)
                && ["org", "business", "repo", "user", "actor_location"].iter().any(|k| v.get(k).is_some())))
}

/// What a record cannot do without: being an object, its action and its time.
fn head(v: &Value) -> Result<(String, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a GitHub audit record", kind(v))));
    }
    let action = match get(v, "action") {
        None | Some(Value::Null) => return Err(DecodeError::missing("action")),
        Some(Value::String(s)) if !s.trim().is_empty() => s.clone(),
        Some(other) => return Err(DecodeError::bad("action", &other.to_string())),
    };
    Ok((action, crate::time_of(v, TIME_KEYS)?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (action, time) = head(v)?;
    let (class, activity) = classify(&action);
    let e = d.start(class, activity, time, "GitHub Audit Log", "GitHub");
    e.metadata.original_uid = text(v, "_document_id");
    e.metadata.event_code = Some(action.clone());
    e.metadata.log_name = Some("audit".into());
    e.severity = Severity::Informational;

    let u = e.actor_user_mut();
    u.name = text(v, "actor");
    u.uid = text(v, "actor_id");
    u.r#type = boolean(v, "actor_is_bot").map(|bot| String::from(if bot { "Bot" } else { "User" }));
    u.email = text(v, "external_identity_nameid").filter(|n| n.contains('@'));
    u.credential_uid = text(v, "token_id").or_else(|| text(v, "hashed_token"));
    e.actor.app_name = text(v, "integration");

    let ip = text(v, "actor_ip");
    let country = text(v, "actor_location.country_code");
    if ip.is_some() || country.is_some() {
        let s = e.src_mut();
        s.ip = ip;
        if country.is_some() {
            s.geo = Some(Geo { country, ..Geo::default() });
        }
    }
    if let Some(ua) = text(v, "user_agent") {
        e.http_mut().user_agent = Some(ua);
    }
    let org = text(v, "org");
    let c = e.cloud_mut();
    c.provider = Some("GitHub".into());
    c.account_uid = org.clone().or_else(|| text(v, "business"));

    // The user acted upon (a member added, a collaborator removed).
    if let Some(target) = text(v, "user") {
        let tu = e.user_mut();
        tu.name = Some(target);
        tu.uid = text(v, "user_id");
    }
    let team = text(v, "team");
    if class == OcsfClass::GroupManagement {
        let g = e.group_mut();
        g.name = team.clone().or_else(|| org.clone());
        g.domain = org.clone();
    }
    e.status = match text(v, "conclusion").as_deref() {
        Some("success") => Some(Status::Success),
        Some("failure" | "timed_out" | "startup_failure") => Some(Status::Failure),
        _ => None,
    };
    e.status_detail = text(v, "conclusion");

    let a = e.api_mut();
    a.service = Some("github".into());
    a.operation = Some(action);
    a.request_uid = text(v, "request_id");
    a.request_data = text(v, "repo").or_else(|| text(v, "repository")).or(team).or(org);
    Ok(())
}

/// OCSF class and activity from the action (`category.verb_object`).
fn classify(action: &str) -> (OcsfClass, u32) {
    use OcsfClass::*;
    match action {
        "org.add_member" | "team.add_member" | "business.add_member" | "organization_moderators.add_user" => {
            (GroupManagement, group::ADD_USER)
        }
        "org.remove_member"
        | "team.remove_member"
        | "business.remove_member"
        | "organization_moderators.remove_user" => (GroupManagement, group::REMOVE_USER),
        "team.create" => (GroupManagement, group::CREATE),
        "team.destroy" => (GroupManagement, group::DELETE),
        "org.update_member" | "team.promote_maintainer" | "team.demote_maintainer" | "team.change_parent_team" => {
            (GroupManagement, group::OTHER)
        }
        "two_factor_authentication.enabled" | "two_factor_authentication.add_factor" => {
            (AccountChange, account_change::MFA_ENABLE)
        }
        "two_factor_authentication.disabled" | "two_factor_authentication.remove_factor" => {
            (AccountChange, account_change::MFA_DISABLE)
        }
        _ if action.starts_with("two_factor_authentication.") => (AccountChange, account_change::OTHER),
        _ => (ApiActivity, api_activity(action)),
    }
}

/// The API activity of an action, from the first word of its last part that is a known verb
/// (`repo.destroy` → delete, `org.disable_two_factor_requirement` → update, `git.clone` → read).
fn api_activity(action: &str) -> u32 {
    let last = action.rsplit('.').next().unwrap_or(action);
    for word in last.split('_') {
        let activity = match word {
            "create" | "created" | "add" | "added" | "invite" | "install" | "grant" | "generate" | "register" => {
                api::CREATE
            }
            "destroy" | "delete" | "deleted" | "remove" | "removed" | "revoke" | "uninstall" | "unregister" => {
                api::DELETE
            }
            "clone" | "fetch" | "access" | "download" | "read" | "view" | "list" | "export" => api::READ,
            "update" | "updated" | "set" | "change" | "changed" | "rename" | "transfer" | "enable" | "enabled"
            | "disable" | "disabled" | "archived" | "unarchived" | "push" | "dismiss" | "reopen" | "resolve"
            | "edit" | "modify" | "promote" | "demote" | "override" | "approve" | "reject" => api::UPDATE,
            _ => continue,
        };
        return activity;
    }
    api::OTHER
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_activities() {
        assert_eq!(classify("org.add_member"), (OcsfClass::GroupManagement, group::ADD_USER));
        assert_eq!(classify("team.remove_member"), (OcsfClass::GroupManagement, group::REMOVE_USER));
        assert_eq!(classify("team.create"), (OcsfClass::GroupManagement, group::CREATE));
        assert_eq!(classify("two_factor_authentication.disabled"), (OcsfClass::AccountChange, 11));
        assert_eq!(classify("repo.destroy"), (OcsfClass::ApiActivity, api::DELETE));
        assert_eq!(classify("repo.create"), (OcsfClass::ApiActivity, api::CREATE));
        assert_eq!(classify("git.clone"), (OcsfClass::ApiActivity, api::READ));
        assert_eq!(classify("org.disable_two_factor_requirement"), (OcsfClass::ApiActivity, api::UPDATE));
        assert_eq!(classify("org.saml_disabled"), (OcsfClass::ApiActivity, api::UPDATE));
        assert_eq!(classify("org.invite_member"), (OcsfClass::ApiActivity, api::CREATE));
        assert_eq!(classify("workflows.completed_workflow_run"), (OcsfClass::ApiActivity, api::OTHER));
    }

    #[test]
    fn recognition_needs_a_dotted_action_and_an_audit_key() {
        let yes = serde_json::json!({"action": "repo.create", "actor": "a", "org": "o"});
        let streamed = serde_json::json!({"action": "repo.create", "_document_id": "x"});
        let webhook = serde_json::json!({"action": "opened", "sender": {"login": "a"}, "repository": {}});
        let bare = serde_json::json!({"action": "repo.create", "actor": "a"});
        let upper = serde_json::json!({"action": "User.Login", "actor": "a", "org": "o"});
        assert!(looks_like(&yes) && looks_like(&streamed));
        assert!(!looks_like(&webhook) && !looks_like(&bare) && !looks_like(&upper));
    }
}
