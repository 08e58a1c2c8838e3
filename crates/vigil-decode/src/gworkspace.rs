//! Google Workspace activity to OCSF, in the three shapes it is exported in:
//!
//! - the Admin SDK Reports API's `activity` resource (`activities.list`, one per line or in
//!   arrays): `kind: admin#reports#activity`, `id {time, uniqueQualifier, applicationName,
//!   customerId}`, `actor {email, profileId, callerType, key}`, `ipAddress`, `ownerDomain` and
//!   `events [{type, name, parameters [{name, value | intValue | boolValue | multiValue |
//!   multiIntValue | messageValue | multiMessageValue}]}]`;
//! - the same activity with its one event lifted to the top (`type`, `name`, `parameters` as an
//!   object of name to value), as Panther stores it (`p_event_time`, `p_log_type`);
//! - Workspace audit logs shared with Google Cloud (the Admin, Login, Groups and OAuth token logs
//!   in Cloud Logging): an `AuditLog` entry whose `protoPayload.metadata` is a
//!   `ccc_hosted_reporting.ActivityProto` with `event [{eventType, eventName, parameter [...]}]`,
//!   `protoPayload.serviceName` the application's (`admin.googleapis.com`,
//!   `login.googleapis.com` …), the principal in `authenticationInfo` and the address in
//!   `requestMetadata.callerIp`. Such an entry is read here, not by the `gcp` decoder.
//!
//! One record is one activity, one event: an activity holding several events (a Drive edit and
//! the sharing change it made, a login and its challenge) is classed by its primary event: the
//! one whose parameters say `primary_event: true`, else the first. Every event's name is kept:
//! the names joined as the message, each in the Sigma view's `eventName`. The primary event's
//! parameters are kept as `api.request_data` (an object of name to value), and the record as
//! written is kept and hashed.
//!
//! Classes, by application (`id.applicationName`, or the Cloud Logging service) and event:
//! - Authentication (3002): `login` (`login_success` logon succeeded, `login_failure` failed,
//!   `login_challenge` and `login_verification` by `login_challenge_status`, `logout` logoff,
//!   the `suspicious_*login*` events as blocked logons, `gov_attack_warning` and other login
//!   events as other) and `saml` (`login_success`, `login_failure`: SAML sign-ins to apps).
//! - Account Change (3001): the account events of `login` and `user_accounts` (`2sv_enroll`,
//!   `2sv_disable`, `password_edit`, recovery, Advanced Protection and forwarding changes,
//!   `account_disabled_*`), and `admin`'s `USER_SETTINGS` (create, delete, suspend,
//!   unsuspend, password change) and role and privilege grants (`ASSIGN_ROLE`,
//!   `GRANT_ADMIN_PRIVILEGE` … as attach and detach policy).
//! - Group Management (3006): `admin`'s `GROUP_SETTINGS` and `groups_enterprise` (groups
//!   created or deleted, members added or removed).
//! - API Activity (6003) for every other event (`admin`'s security, application and domain
//!   settings, `token` authorizations and revocations, Drive, Gmail, Calendar, mobile, rules …),
//!   create, read, update or delete from the event name's verb (`CHANGE_APPLICATION_SETTING`,
//!   `authorize`, `revoke`, `view`, `trash`). OCSF's file hosting class is not one Vigil has;
//!   a Drive event is API activity with the document's title as `file.name`.
//!
//! Kept for every class: the actor's email (name and email) and profile id, the source address,
//! the customer id (or the organization of a Cloud Logging entry) as the cloud account, the
//! unique qualifier as `metadata.original_uid`, the primary event's name as
//! `metadata.event_code` and `api.operation`, the application as `metadata.log_name` and
//! `api.service`; the user acted upon (`USER_EMAIL`, `affected_email_address` …, else the actor
//! for a user's own account events) and the group (`GROUP_EMAIL`, `group_id`).
//!
//! Sigma: product `gcp`, service `google_workspace.<application>` (SigmaHQ has rules for
//! `google_workspace.admin` and `google_workspace.login`). SigmaHQ's rules are written against
//! two shapes: the admin rules against flat names (`eventService: admin.googleapis.com`,
//! `eventName`, and the parameters lower-cased: `new_value`, `setting_name`), the login rules
//! against Cloud Logging's (`protoPayload.serviceName`, `protoPayload.metadata.event.eventName`;
//! one writes `protoPayload.Servicename`). [`Decoder::reshape`] adds both beside the record's
//! own fields, never over one the record has: `eventService`, `eventName` and `eventType` (the
//! one name, or every name when the events differ), each parameter of every event under its
//! lower-cased name (a name several events give, with different values, holds them all), and a
//! `protoPayload` with `serviceName`, `Servicename` and `metadata.event` for a record that has
//! none.
//!
//! Refused: a record that is not an object; a `kind` other than an activity's; no application
//! (`id.applicationName`, `protoPayload.serviceName`); no events, or a primary event without a
//! name; no readable time (`id.time` else Panther's `p_event_time`; a Cloud Logging entry's
//! `timestamp`, else `receiveTimestamp`, else `p_event_time`). Panther's rule tests without a
//! time are quarantined for it.

use serde_json::{Map, Value, json};
use vigil_model::{OcsfClass, Severity, Status, account_change, api, authentication, group};

use crate::generic::kind;
use crate::json::{as_text, get, text};
use crate::{DecodeError, Decoder, Draft, LogSource, Service};

pub const FAMILY: &str = "gworkspace";

/// Keys tried, in order, for the time of a Reports API activity (either shape).
pub const TIME_KEYS: &[&str] = &["id.time", "p_event_time"];

/// Keys tried, in order, for the time of a Workspace entry in Cloud Logging.
pub const CLOUD_TIME_KEYS: &[&str] = &["timestamp", "receiveTimestamp", "p_event_time"];

/// The `kind` of a Reports API activity.
const ACTIVITY_KIND: &str = "admin#reports#activity";

/// The `@type` of a Cloud Logging entry's metadata carrying a Workspace activity.
const ACTIVITY_PROTO: &str = "type.googleapis.com/ccc_hosted_reporting.ActivityProto";

/// The Sigma services of the Reports API's applications: `google_workspace.<applicationName>`.
pub const SERVICES: &[&str] = &[
    "google_workspace.admin",
    "google_workspace.login",
    "google_workspace.access_transparency",
    "google_workspace.calendar",
    "google_workspace.chat",
    "google_workspace.chrome",
    "google_workspace.context_aware_access",
    "google_workspace.data_studio",
    "google_workspace.drive",
    "google_workspace.gcp",
    "google_workspace.gmail",
    "google_workspace.gplus",
    "google_workspace.groups",
    "google_workspace.groups_enterprise",
    "google_workspace.jamboard",
    "google_workspace.keep",
    "google_workspace.meet",
    "google_workspace.mobile",
    "google_workspace.rules",
    "google_workspace.saml",
    "google_workspace.token",
    "google_workspace.user_accounts",
    "google_workspace.vault",
];

/// Google Workspace activity (Reports API, Panther, Cloud Logging).
pub struct GWorkspace;

impl Decoder for GWorkspace {
    fn name(&self) -> &'static str {
        "gworkspace"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["google-workspace", "gsuite"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Google Workspace activity (Admin SDK Reports API activities, or Workspace audit logs in Cloud Logging)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        matches!(log_type, "GSuite.ActivityEvent" | "GSuite.Reports")
    }
    /// SigmaHQ's Workspace rules name `eventService`/`eventName`/lower-cased parameters, or
    /// Cloud Logging's `protoPayload.*`: both are added.
    fn reshape(&self, record: &Value) -> Option<Value> {
        sigma_names(record)
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::Authentication, OcsfClass::AccountChange, OcsfClass::GroupManagement, OcsfClass::ApiActivity]
    }
    /// SigmaHQ's Workspace rules (`rules/cloud/gcp/gworkspace/`) ask for `gcp` /
    /// `google_workspace.admin` and `google_workspace.login`.
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("gcp"), service: Service::OneOf(SERVICES), category: None }
    }
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        let app = application(record, shape(record))?;
        SERVICES.iter().copied().find(|s| s.strip_prefix("google_workspace.").is_some_and(|a| a == app))
    }
    fn sample(&self) -> &'static str {
        r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T10:15:00.123Z","uniqueQualifier":"-4012345678901234567","applicationName":"admin","customerId":"C01abcde2"},"etag":"\"abc/def\"","actor":{"callerType":"USER","email":"admin@example.com","profileId":"104857600000000000001"},"ipAddress":"203.0.113.7","events":[{"type":"SECURITY_SETTINGS","name":"ENFORCE_STRONG_AUTHENTICATION","parameters":[{"name":"ORG_UNIT_NAME","value":"Example"},{"name":"NEW_VALUE","value":"false"},{"name":"OLD_VALUE","value":"true"}]}]}"#
    }
}

/// Which of the three shapes a record is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// The Reports API's activity, its events in `events`.
    Reports,
    /// One event lifted to the top (`name`, `type`, `parameters` as an object).
    Flat,
    /// A Cloud Logging entry with the activity in `protoPayload.metadata`.
    Cloud,
}

/// An activity's events are in `events`; an activity without them, or any record with an `id`
/// or `kind`, is the flat shape; else a record with a `protoPayload` is a Cloud Logging entry.
/// (The names [`Decoder::reshape`] adds never change the answer.)
fn shape(v: &Value) -> Shape {
    if get(v, "events").is_some() {
        Shape::Reports
    } else if get(v, "id").is_some() || get(v, "kind").is_some() {
        Shape::Flat
    } else if get(v, "protoPayload").is_some() {
        Shape::Cloud
    } else {
        Shape::Flat
    }
}

/// A Cloud Logging payload whose metadata is a Workspace activity (`@type`, or Panther's rename).
pub fn is_activity_payload(pp: &Value) -> bool {
    let Some(meta) = get(pp, "metadata") else { return false };
    ["@type", "at_sign_type", "at_type"].iter().any(|k| meta.get(k).and_then(Value::as_str) == Some(ACTIVITY_PROTO))
}

/// A Reports API activity (its `kind`, or an `id` naming the application beside an actor, the
/// events or an event name), or a Cloud Logging entry carrying a Workspace activity.
pub fn looks_like(v: &Value) -> bool {
    let Some(m) = v.as_object() else { return false };
    if m.get("kind").and_then(Value::as_str) == Some(ACTIVITY_KIND) {
        return true;
    }
    let app = m.get("id").and_then(|id| id.get("applicationName")).is_some_and(Value::is_string);
    if app {
        return m.get("actor").is_some_and(Value::is_object)
            || m.get("events").is_some_and(Value::is_array)
            || m.get("name").is_some_and(Value::is_string);
    }
    get(v, "protoPayload").is_some_and(is_activity_payload)
}

/// What one record must have: being an object of an activity's kind, an application, a primary
/// event with a name, and a time. Hands back the shape, the primary event's index and the time.
fn head(v: &Value) -> Result<(Shape, usize, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Google Workspace activity", kind(v))));
    }
    if let Some(k) = get(v, "kind").filter(|k| !k.is_null())
        && k.as_str() != Some(ACTIVITY_KIND)
    {
        return Err(DecodeError::Unrecognized(format!(
            "a Reports API resource of kind {}, not a Google Workspace activity",
            crate::json::compact(v, "kind").unwrap_or_default()
        )));
    }
    let sh = shape(v);
    if application(v, sh).is_none() {
        let field = if sh == Shape::Cloud { "protoPayload.serviceName" } else { "id.applicationName" };
        return Err(match get(v, field).filter(|x| !x.is_null()) {
            Some(x) => DecodeError::bad(field, &x.to_string()),
            None => DecodeError::missing(field),
        });
    }
    let list = events(v, sh)?;
    let primary = primary(&list, sh);
    let name_key = match sh {
        Shape::Reports => "events.name",
        Shape::Flat => "name",
        Shape::Cloud => "protoPayload.metadata.event.eventName",
    };
    match list[primary].get(names(sh).0) {
        None | Some(Value::Null) => return Err(DecodeError::missing(name_key)),
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        Some(other) => return Err(DecodeError::bad(name_key, &other.to_string())),
    }
    let keys = if sh == Shape::Cloud { CLOUD_TIME_KEYS } else { TIME_KEYS };
    Ok((sh, primary, crate::time_of(v, keys)?))
}

/// The keys of an event's name, type and parameters in a shape.
fn names(sh: Shape) -> (&'static str, &'static str, &'static str) {
    match sh {
        Shape::Reports | Shape::Flat => ("name", "type", "parameters"),
        Shape::Cloud => ("eventName", "eventType", "parameter"),
    }
}

/// The application, lower case: `id.applicationName`, or the Cloud Logging service's
/// (`admin.googleapis.com` → `admin`, `oauth2.googleapis.com` → `token`).
fn application(v: &Value, sh: Shape) -> Option<String> {
    let app = match sh {
        Shape::Reports | Shape::Flat => get(v, "id.applicationName")?.as_str()?.trim().to_ascii_lowercase(),
        Shape::Cloud => {
            let svc = get(v, "protoPayload.serviceName")?.as_str()?.trim().to_ascii_lowercase();
            let app = svc.strip_suffix(".googleapis.com").unwrap_or(&svc);
            match app {
                "oauth2" => "token".to_string(),
                "groupsenterprise" | "cloudidentity" => "groups_enterprise".to_string(),
                other => other.to_string(),
            }
        }
    };
    (!app.is_empty()).then_some(app)
}

/// The Cloud Logging service of an application (`admin` → `admin.googleapis.com`).
fn service_name(app: &str) -> String {
    match app {
        "token" => "oauth2.googleapis.com".to_string(),
        other => format!("{other}.googleapis.com"),
    }
}

/// The event objects of an activity: `events`, `protoPayload.metadata.event`, or the record
/// itself in the flat shape. Never empty.
fn events(v: &Value, sh: Shape) -> Result<Vec<&Value>, DecodeError> {
    let (field, list) = match sh {
        Shape::Flat => return Ok(vec![v]),
        Shape::Reports => ("events", get(v, "events")),
        Shape::Cloud => ("protoPayload.metadata.event", get(v, "protoPayload.metadata.event")),
    };
    match list {
        None | Some(Value::Null) => Err(DecodeError::missing(field)),
        Some(Value::Array(items)) if items.iter().any(Value::is_object) => {
            Ok(items.iter().filter(|e| e.is_object()).collect())
        }
        // One event given as an object, not a list of one.
        Some(e @ Value::Object(_)) => Ok(vec![e]),
        Some(other) => Err(DecodeError::bad(field, &other.to_string())),
    }
}

/// The primary event: the first whose parameters say `primary_event: true`, else the first.
fn primary(list: &[&Value], sh: Shape) -> usize {
    if list.len() < 2 {
        return 0;
    }
    list.iter().position(|e| params(e, sh).iter().any(|(k, x)| k == "primary_event" && is_true(x))).unwrap_or(0)
}

fn is_true(x: &Value) -> bool {
    x.as_bool() == Some(true) || x.as_str().is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

/// How deep parameters of parameters (`messageValue`) are read.
const MAX_MESSAGE_DEPTH: usize = 4;

/// An event's parameters as (name, value), in order, without nulls: a list of `{name, value…}`
/// (Reports API, Cloud Logging) or an object of name to value (the flat shape).
fn params(ev: &Value, sh: Shape) -> Vec<(String, Value)> {
    param_list(get(ev, names(sh).2), MAX_MESSAGE_DEPTH)
}

fn param_list(p: Option<&Value>, depth: usize) -> Vec<(String, Value)> {
    match p {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| {
                let name = item.get("name")?.as_str()?.to_string();
                Some((name, param_value(item, depth)?))
            })
            .collect(),
        Some(Value::Object(m)) => m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), x.clone())).collect(),
        _ => Vec::new(),
    }
}

/// One parameter's value, whichever of the typed fields holds it.
fn param_value(item: &Value, depth: usize) -> Option<Value> {
    for k in ["value", "intValue", "boolValue"] {
        if let Some(x) = item.get(k).filter(|x| !x.is_null()) {
            return Some(x.clone());
        }
    }
    for k in ["multiValue", "multiStrValue", "multiIntValue"] {
        if let Some(x @ Value::Array(_)) = item.get(k) {
            return Some(x.clone());
        }
    }
    if depth == 0 {
        return None;
    }
    let object = |m: &Value| {
        let fields = param_list(m.get("parameter"), depth - 1);
        Value::Object(fields.into_iter().collect::<Map<String, Value>>())
    };
    if let Some(m) = item.get("messageValue").filter(|m| m.is_object()) {
        return Some(object(m));
    }
    if let Some(Value::Array(ms)) = item.get("multiMessageValue") {
        return Some(Value::Array(ms.iter().map(object).collect()));
    }
    None
}

/// A parameter as text: strings as they are, other scalars printed, lists joined with `,`.
fn param_text(ps: &[(String, Value)], names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let x = &ps.iter().find(|(k, _)| k.eq_ignore_ascii_case(n))?.1;
        match x {
            Value::Array(items) => {
                let parts: Vec<String> = items.iter().filter_map(as_text).collect();
                (!parts.is_empty()).then(|| parts.join(","))
            }
            other => as_text(other),
        }
    })
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (sh, primary, time) = head(v)?;
    let app = application(v, sh).unwrap_or_default();
    let list = events(v, sh)?;
    let (name_key, type_key, _) = names(sh);
    let ev = list[primary];
    let name = ev.get(name_key).and_then(Value::as_str).unwrap_or_default().to_string();
    let etype = ev.get(type_key).and_then(Value::as_str);
    let ps = params(ev, sh);
    let c = classify(&app, etype.unwrap_or(""), name.trim(), &ps);

    let e = d.start(c.class, c.activity, time, "Google Workspace", "Google");
    let all: Vec<&str> = list.iter().filter_map(|x| x.get(name_key).and_then(Value::as_str)).collect();
    e.message = Some(all.join(", "));
    e.metadata.event_code = Some(name.clone());
    e.metadata.log_name = Some(app.clone());
    e.status = c.status;
    e.severity = c.severity;

    let (email, profile, caller, ip, customer, uid) = match sh {
        Shape::Reports | Shape::Flat => (
            text(v, "actor.email"),
            text(v, "actor.profileId"),
            text(v, "actor.callerType"),
            text(v, "ipAddress"),
            text(v, "id.customerId"),
            text(v, "id.uniqueQualifier"),
        ),
        Shape::Cloud => (
            text(v, "protoPayload.authenticationInfo.principalEmail"),
            text(v, "protoPayload.authenticationInfo.principalSubject"),
            None,
            text(v, "protoPayload.requestMetadata.callerIp"),
            text(v, "logName").and_then(|n| organization(&n)),
            text(v, "protoPayload.metadata.activityId.uniqQualifier").or_else(|| text(v, "insertId")),
        ),
    };
    e.metadata.original_uid = uid;
    if email.is_some() || profile.is_some() {
        let u = e.actor_user_mut();
        u.name = email.clone().or_else(|| profile.clone());
        u.uid = profile;
        u.email = email.clone().filter(|m| m.contains('@'));
        u.domain = email.as_deref().and_then(|m| m.rsplit_once('@')).map(|(_, dom)| dom.to_string());
        u.r#type = caller.map(|t| match t.to_ascii_uppercase().as_str() {
            "USER" => "User".to_string(),
            "KEY" => "Service".to_string(),
            _ => t,
        });
        u.credential_uid = text(v, "actor.key");
    }
    // The OAuth client a token was granted to acts for the user.
    e.actor.app_name = (app == "token")
        .then(|| param_text(&ps, &["app_name"]))
        .flatten()
        .or_else(|| text(v, "actor.applicationInfo.applicationName"));
    if let Some(ip) = ip.filter(|ip| ip.parse::<std::net::IpAddr>().is_ok()) {
        e.src_mut().ip = Some(ip);
    }

    // The user acted upon, and for a user's own account and sign-in events, the actor.
    let target = param_text(&ps, &["USER_EMAIL", "affected_email_address", "target_user", "member_id"]);
    if let Some(t) = target {
        let u = e.user_mut();
        u.name = Some(t.clone());
        u.email = Some(t).filter(|m| m.contains('@'));
        u.r#type = Some("User".into());
    } else if matches!(c.class, OcsfClass::Authentication | OcsfClass::AccountChange) && e.actor.user.is_some() {
        e.user = e.actor.user.clone();
    }
    if c.class == OcsfClass::GroupManagement
        && let Some(g) = param_text(&ps, &["GROUP_EMAIL", "group_id", "group_email", "GROUP_NAME"])
    {
        let gr = e.group_mut();
        gr.domain = g.rsplit_once('@').map(|(_, dom)| dom.to_string());
        gr.name = Some(g);
    }
    if c.class == OcsfClass::Authentication {
        let methods = param_text(&ps, &["login_challenge_method"])
            .map(|m| m.split(',').filter(|x| !matches!(*x, "none" | "password" | "")).collect::<Vec<_>>().join(","));
        let au = e.auth_mut();
        au.is_remote = Some(true);
        au.logon_type = param_text(&ps, &["login_type"]);
        au.protocol = (app == "saml" || au.logon_type.as_deref() == Some("saml")).then(|| "SAML".to_string());
        au.mfa_factor = methods.filter(|m| !m.is_empty());
        if au.mfa_factor.is_some() || name.trim() == "login_verification" {
            au.is_mfa = Some(true);
        }
    }
    if app == "drive"
        && let Some(title) = param_text(&ps, &["doc_title"])
    {
        e.file_mut().name = Some(title);
    }
    if let Some(ua) = param_text(&ps, &["user_agent"]) {
        e.http_mut().user_agent = Some(ua);
    }
    let cl = e.cloud_mut();
    cl.provider = Some("Google Workspace".into());
    cl.account_uid = customer;

    let a = e.api_mut();
    a.service = Some(app);
    a.operation = Some(name);
    if !ps.is_empty() {
        a.request_data = Some(Value::Object(ps.into_iter().collect()).to_string());
    }
    Ok(())
}

/// The organization of a Cloud Logging entry's `logName` (`organizations/123/logs/…` → 123).
fn organization(log_name: &str) -> Option<String> {
    let rest = log_name.strip_prefix("organizations/")?;
    let id = rest.split('/').next().filter(|id| !id.is_empty())?;
    Some(id.to_string())
}

/// An event's OCSF class, activity, outcome and severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Class {
    class: OcsfClass,
    activity: u32,
    status: Option<Status>,
    severity: Severity,
}

fn class(class: OcsfClass, activity: u32, status: Option<Status>) -> Class {
    Class { class, activity, status, severity: Severity::Informational }
}

/// The class of an event, by application, event type and name (see the module documentation).
fn classify(app: &str, etype: &str, name: &str, ps: &[(String, Value)]) -> Class {
    use OcsfClass::*;
    let lower = name.to_ascii_lowercase();
    let suspicious = ps.iter().any(|(k, x)| k == "is_suspicious" && is_true(x));
    let mut c = match app {
        "login" | "user_accounts" | "saml" => match account_event(&lower) {
            Some(a) => class(AccountChange, a, None),
            None if app == "user_accounts" => class(AccountChange, account_change::OTHER, None),
            None => login_event(&lower, ps),
        },
        "admin" => admin_event(etype, &name.to_ascii_uppercase()),
        "groups_enterprise" => class(GroupManagement, group_activity(&lower), None),
        _ => class(ApiActivity, verb(&lower), None),
    };
    c.severity = if lower == "gov_attack_warning" || lower == "account_disabled_hijacked" {
        Severity::High
    } else if lower.starts_with("suspicious_") || lower.starts_with("account_disabled_") || suspicious {
        Severity::Medium
    } else {
        Severity::Informational
    };
    c
}

/// The account events of the `login` and `user_accounts` applications.
fn account_event(name: &str) -> Option<u32> {
    Some(match name {
        "2sv_enroll" => account_change::MFA_ENABLE,
        "2sv_disable" => account_change::MFA_DISABLE,
        "password_edit" => account_change::PASSWORD_CHANGE,
        n if n.starts_with("account_disabled_") => account_change::DISABLE,
        n if n.starts_with("recovery_") || n.starts_with("titanium_") || n.starts_with("email_forwarding_") => {
            account_change::OTHER
        }
        _ => return None,
    })
}

/// Sign-in events (`login`, `saml`).
fn login_event(name: &str, ps: &[(String, Value)]) -> Class {
    use OcsfClass::Authentication;
    let challenge = || {
        let s = param_text(ps, &["login_challenge_status"])?.to_ascii_lowercase();
        if s.contains("pass") {
            Some(Status::Success)
        } else if s.contains("fail") {
            Some(Status::Failure)
        } else {
            None
        }
    };
    match name {
        "login_success" => class(Authentication, authentication::LOGON, Some(Status::Success)),
        "login_failure" => class(Authentication, authentication::LOGON, Some(Status::Failure)),
        "login_challenge" | "login_verification" => class(Authentication, authentication::LOGON, challenge()),
        "logout" => class(Authentication, authentication::LOGOFF, Some(Status::Success)),
        // Google blocked these sign-ins.
        n if n.starts_with("suspicious_") && n.contains("login") => {
            class(Authentication, authentication::LOGON, Some(Status::Failure))
        }
        "risky_sensitive_action_allowed" => class(Authentication, authentication::OTHER, Some(Status::Success)),
        "risky_sensitive_action_blocked" => class(Authentication, authentication::OTHER, Some(Status::Failure)),
        _ => class(Authentication, authentication::OTHER, None),
    }
}

/// The Admin console's events: users, roles and groups by name, every other setting API activity.
fn admin_event(etype: &str, name: &str) -> Class {
    use OcsfClass::*;
    let account = |a| class(AccountChange, a, None);
    match name {
        "CREATE_USER" => account(account_change::CREATE),
        "DELETE_USER" => account(account_change::DELETE),
        "SUSPEND_USER" => account(account_change::DISABLE),
        "UNSUSPEND_USER" | "UNDELETE_USER" => account(account_change::ENABLE),
        "CHANGE_PASSWORD" => account(account_change::PASSWORD_RESET),
        "ASSIGN_ROLE" | "GRANT_ADMIN_PRIVILEGE" | "GRANT_DELEGATED_ADMIN_PRIVILEGES" => {
            account(account_change::ATTACH_POLICY)
        }
        "UNASSIGN_ROLE" | "REVOKE_ADMIN_PRIVILEGE" | "REVOKE_DELEGATED_ADMIN_PRIVILEGES" => {
            account(account_change::DETACH_POLICY)
        }
        _ if etype.eq_ignore_ascii_case("USER_SETTINGS") => account(account_change::OTHER),
        _ if etype.eq_ignore_ascii_case("GROUP_SETTINGS") => {
            class(GroupManagement, group_activity(&name.to_ascii_lowercase()), None)
        }
        _ => class(ApiActivity, verb(&name.to_ascii_lowercase()), None),
    }
}

/// Group Management's activity of a group event (`ADD_GROUP_MEMBER`, `add_member`, `create_group` …).
fn group_activity(name: &str) -> u32 {
    let member = name.contains("member") || name.contains("user");
    match name.split('_').next().unwrap_or("") {
        "add" if member => group::ADD_USER,
        "remove" if member => group::REMOVE_USER,
        "create" => group::CREATE,
        "delete" => group::DELETE,
        _ => group::OTHER,
    }
}

/// API activity from an event name's first word (`CHANGE_APPLICATION_SETTING` → update,
/// `authorize` → create, `revoke` → delete, `view` → read).
fn verb(name: &str) -> u32 {
    match name.split(['_', ' ']).next().unwrap_or("") {
        "create" | "add" | "upload" | "copy" | "insert" | "authorize" | "generate" | "register" | "import" => {
            api::CREATE
        }
        "view" | "download" | "preview" | "print" | "list" | "get" | "search" | "export" | "read" | "access" => {
            api::READ
        }
        "change" | "update" | "edit" | "rename" | "move" | "set" | "enable" | "disable" | "allow" | "enforce"
        | "grant" | "assign" | "unassign" | "suspend" | "unsuspend" | "restore" | "untrash" | "reset" | "toggle"
        | "modify" | "turn" | "rotate" => api::UPDATE,
        "delete" | "remove" | "trash" | "revoke" | "purge" => api::DELETE,
        _ => api::OTHER,
    }
}

/// Names never taken from a parameter: the record's own structure, and the names added here.
const RESERVED: &[&str] = &[
    "id",
    "kind",
    "etag",
    "actor",
    "ipaddress",
    "ownerdomain",
    "events",
    "name",
    "type",
    "parameters",
    "protopayload",
    "timestamp",
    "receivetimestamp",
    "p_event_time",
    "insertid",
    "logname",
    "resource",
    "severity",
    "eventservice",
    "eventname",
    "eventtype",
];

/// The record with the names SigmaHQ's Workspace rules read added beside its own (see the module
/// documentation). `None` for a record without an application or events.
fn sigma_names(v: &Value) -> Option<Value> {
    let m = v.as_object()?;
    let sh = shape(v);
    let app = application(v, sh)?;
    let list = events(v, sh).ok()?;
    let (name_key, type_key, _) = names(sh);
    let mut out = m.clone();
    let put = |out: &mut Map<String, Value>, k: &str, x: Value| {
        if !out.keys().any(|have| have.eq_ignore_ascii_case(k)) {
            out.insert(k.to_string(), x);
        }
    };
    let service = match sh {
        Shape::Cloud => text(v, "protoPayload.serviceName").unwrap_or_else(|| service_name(&app)),
        _ => service_name(&app),
    };
    put(&mut out, "eventService", Value::String(service.clone()));
    let one_or_all = |key: &str| {
        let mut all: Vec<Value> = Vec::new();
        for x in list.iter().filter_map(|e| e.get(key)).filter(|x| x.is_string()) {
            if !all.contains(x) {
                all.push(x.clone());
            }
        }
        match all.len() {
            0 => None,
            1 => all.pop(),
            _ => Some(Value::Array(all)),
        }
    };
    if let Some(n) = one_or_all(name_key) {
        put(&mut out, "eventName", n);
    }
    if let Some(t) = one_or_all(type_key) {
        put(&mut out, "eventType", t);
    }
    // Each event's parameters under lower-cased names; a name several events give with
    // different values holds them all.
    let mut merged: Vec<(String, Vec<Value>)> = Vec::new();
    for e in &list {
        for (k, x) in params(e, sh) {
            let k = k.to_ascii_lowercase();
            if RESERVED.contains(&k.as_str()) {
                continue;
            }
            match merged.iter_mut().find(|(n, _)| *n == k) {
                Some((_, xs)) if !xs.contains(&x) => xs.push(x),
                Some(_) => {}
                None => merged.push((k, vec![x])),
            }
        }
    }
    for (k, mut xs) in merged {
        let x = if xs.len() == 1 { xs.remove(0) } else { Value::Array(xs) };
        put(&mut out, &k, x);
    }
    // The entry's own payload (under any case of its name) gains `Servicename`; a record without
    // one gains a payload in Cloud Logging's names.
    let payload_key = out.keys().find(|k| k.eq_ignore_ascii_case("protoPayload")).cloned();
    match payload_key {
        Some(k) => {
            if let Some(Value::Object(pp)) = out.get_mut(&k)
                && !pp.contains_key("Servicename")
                && let Some(s) = pp.get("serviceName").cloned()
            {
                pp.insert("Servicename".into(), s);
            }
        }
        None => {
            let evs: Vec<Value> = list
                .iter()
                .map(|e| {
                    let mut o = Map::new();
                    for (to, from) in [("eventName", name_key), ("eventType", type_key)] {
                        if let Some(x) = e.get(from).filter(|x| !x.is_null()) {
                            o.insert(to.into(), x.clone());
                        }
                    }
                    Value::Object(o)
                })
                .collect();
            out.insert(
                "protoPayload".into(),
                json!({"serviceName": service, "Servicename": service, "metadata": {"event": evs}}),
            );
        }
    }
    Some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(pairs: &[(&str, Value)]) -> Vec<(String, Value)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn classes_by_application_and_event() {
        let none = ps(&[]);
        let c = classify("login", "login", "login_success", &none);
        assert_eq!(
            (c.class, c.activity, c.status),
            (OcsfClass::Authentication, authentication::LOGON, Some(Status::Success))
        );
        assert_eq!(classify("login", "login", "login_failure", &none).status, Some(Status::Failure));
        assert_eq!(classify("login", "login", "logout", &none).activity, authentication::LOGOFF);
        let s = classify("login", "account_warning", "suspicious_login", &none);
        assert_eq!((s.status, s.severity), (Some(Status::Failure), Severity::Medium));
        assert_eq!(classify("login", "attack_warning", "gov_attack_warning", &none).severity, Severity::High);
        let passed = ps(&[("login_challenge_status", json!("Challenge Passed"))]);
        assert_eq!(classify("login", "login", "login_challenge", &passed).status, Some(Status::Success));
        let failed = ps(&[("login_challenge_status", json!("Challenge Failed"))]);
        assert_eq!(classify("login", "login", "login_verification", &failed).status, Some(Status::Failure));
        assert_eq!(classify("login", "login", "login_challenge", &none).status, None);
        assert_eq!(classify("user_accounts", "2sv_change", "2sv_disable", &none).activity, account_change::MFA_DISABLE);
        assert_eq!(classify("login", "2sv_change", "2sv_enroll", &none).activity, account_change::MFA_ENABLE);
        assert_eq!(classify("user_accounts", "x", "something_new", &none).class, OcsfClass::AccountChange);
        assert_eq!(
            classify("login", "account_warning", "account_disabled_spamming", &none).activity,
            account_change::DISABLE
        );
        assert_eq!(classify("saml", "login", "login_failure", &none).status, Some(Status::Failure));
        assert_eq!(classify("admin", "USER_SETTINGS", "CREATE_USER", &none).activity, account_change::CREATE);
        assert_eq!(classify("admin", "USER_SETTINGS", "SUSPEND_USER", &none).activity, account_change::DISABLE);
        assert_eq!(classify("admin", "USER_SETTINGS", "CHANGE_FIRST_NAME", &none).activity, account_change::OTHER);
        assert_eq!(
            classify("admin", "DELEGATED_ADMIN_SETTINGS", "ASSIGN_ROLE", &none).activity,
            account_change::ATTACH_POLICY
        );
        let g = classify("admin", "GROUP_SETTINGS", "ADD_GROUP_MEMBER", &none);
        assert_eq!((g.class, g.activity), (OcsfClass::GroupManagement, group::ADD_USER));
        assert_eq!(classify("admin", "GROUP_SETTINGS", "CHANGE_GROUP_SETTING", &none).activity, group::OTHER);
        assert_eq!(
            classify("groups_enterprise", "moderator_action", "remove_member", &none).activity,
            group::REMOVE_USER
        );
        let s = classify("admin", "SECURITY_SETTINGS", "ENFORCE_STRONG_AUTHENTICATION", &none);
        assert_eq!((s.class, s.activity), (OcsfClass::ApiActivity, api::UPDATE));
        assert_eq!(classify("admin", "APPLICATION_SETTINGS", "REMOVE_APPLICATION", &none).activity, api::DELETE);
        assert_eq!(classify("token", "auth", "authorize", &none).activity, api::CREATE);
        assert_eq!(classify("token", "auth", "revoke", &none).activity, api::DELETE);
        assert_eq!(classify("drive", "access", "view", &none).activity, api::READ);
        assert_eq!(classify("drive", "access", "trash", &none).activity, api::DELETE);
        assert_eq!(classify("drive", "acl_change", "change_user_access", &none).activity, api::UPDATE);
        assert_eq!(classify("gmail", "delivery_type", "delivery", &none).activity, api::OTHER);
        let flagged = ps(&[("is_suspicious", json!(true))]);
        assert_eq!(classify("login", "login", "login_success", &flagged).severity, Severity::Medium);
    }

    #[test]
    fn parameters_of_every_type() {
        let ev = json!({"parameters": [
            {"name": "a", "value": "x"}, {"name": "b", "intValue": "7"}, {"name": "c", "boolValue": false},
            {"name": "d", "multiValue": ["p", "q"]}, {"name": "e", "multiIntValue": [1, 2]},
            {"name": "f", "messageValue": {"parameter": [{"name": "g", "value": "h"}]}},
            {"name": "i", "multiMessageValue": [{"parameter": [{"name": "j", "boolValue": true}]}]},
            {"name": "nothing"}, {"value": "nameless"}, "loose", 5
        ]});
        let got = params(&ev, Shape::Reports);
        let want = ps(&[
            ("a", json!("x")),
            ("b", json!("7")),
            ("c", json!(false)),
            ("d", json!(["p", "q"])),
            ("e", json!([1, 2])),
            ("f", json!({"g": "h"})),
            ("i", json!([{"j": true}])),
        ]);
        assert_eq!(got, want);
        let flat = json!({"parameters": {"x": 1, "y": null}});
        assert_eq!(params(&flat, Shape::Flat), ps(&[("x", json!(1))]));
        assert!(params(&json!({"parameters": "no"}), Shape::Flat).is_empty());
        assert_eq!(param_text(&ps(&[("m", json!(["a", "b"]))]), &["M"]).as_deref(), Some("a,b"));
    }

    #[test]
    fn messages_nested_without_end_are_cut_short() {
        let mut p = json!({"name": "leaf", "value": "v"});
        for i in 0..200 {
            p = json!({"name": format!("n{i}"), "messageValue": {"parameter": [p]}});
        }
        let got = params(&json!({"parameters": [p]}), Shape::Reports);
        assert_eq!(got.len(), 1);
        let depth = |mut x: &Value| {
            let mut n = 0;
            while let Some((_, inner)) = x.as_object().and_then(|m| m.iter().next()) {
                x = inner;
                n += 1;
            }
            n
        };
        assert!(depth(&got[0].1) <= MAX_MESSAGE_DEPTH + 1);
    }

    #[test]
    fn recognition_and_shapes() {
        assert!(looks_like(&json!({"kind": "admin#reports#activity"})));
        assert!(looks_like(&json!({"id": {"applicationName": "login"}, "actor": {}})));
        assert!(looks_like(&json!({"id": {"applicationName": "drive"}, "name": "view"})));
        assert!(!looks_like(&json!({"id": {"applicationName": "drive"}})));
        assert!(!looks_like(&json!({"id": "x", "name": "y", "actor": {}})));
        assert!(!looks_like(&json!({"kind": "admin#reports#usageReports"})));
        let cloud =
            json!({"protoPayload": {"serviceName": "login.googleapis.com", "metadata": {"@type": ACTIVITY_PROTO}}});
        assert!(looks_like(&cloud));
        assert!(!looks_like(&json!({"protoPayload": {"serviceName": "login.googleapis.com"}})));
        assert_eq!(shape(&cloud), Shape::Cloud);
        assert_eq!(shape(&json!({"events": []})), Shape::Reports);
        assert_eq!(shape(&json!({"id": {}, "protoPayload": {}})), Shape::Flat);
        assert_eq!(application(&cloud, Shape::Cloud).as_deref(), Some("login"));
        let token = json!({"protoPayload": {"serviceName": "oauth2.googleapis.com"}});
        assert_eq!(application(&token, Shape::Cloud).as_deref(), Some("token"));
        assert_eq!(service_name("token"), "oauth2.googleapis.com");
        assert_eq!(service_name("admin"), "admin.googleapis.com");
        assert_eq!(organization("organizations/42/logs/x").as_deref(), Some("42"));
        assert_eq!(organization("projects/p/logs/x"), None);
    }

    #[test]
    fn the_primary_event_is_the_one_marked_primary() {
        let v = json!({"events": [
            {"name": "edit", "parameters": [{"name": "primary_event", "boolValue": false}]},
            {"name": "change_user_access", "parameters": [{"name": "primary_event", "boolValue": true}]}
        ]});
        let list = events(&v, Shape::Reports).unwrap();
        assert_eq!(primary(&list, Shape::Reports), 1);
        let v = json!({"events": [{"name": "a"}, {"name": "b"}]});
        assert_eq!(primary(&events(&v, Shape::Reports).unwrap(), Shape::Reports), 0);
    }

    #[test]
    fn sigma_names_never_replace_the_records_own() {
        let v = json!({"id": {"applicationName": "admin", "time": "2024-01-01T00:00:00Z"}, "name": "X",
            "eventName": "mine", "parameters": {"NAME": "param", "ID": "p", "NEW_VALUE": "false", "Timestamp": "t"}});
        let r = sigma_names(&v).unwrap();
        assert_eq!(r["eventName"], "mine");
        assert_eq!(r["name"], "X");
        assert_eq!(r["new_value"], "false");
        assert_eq!(r["eventService"], "admin.googleapis.com");
        assert!(r.get("timestamp").is_none() && r.get("Timestamp").is_none(), "no time from a parameter");
        assert_eq!(r["protoPayload"]["Servicename"], "admin.googleapis.com");
        assert_eq!(r["protoPayload"]["metadata"]["event"][0]["eventName"], "X");
        assert!(sigma_names(&json!({"id": {}})).is_none());
        assert!(sigma_names(&json!([1])).is_none());
    }
}
