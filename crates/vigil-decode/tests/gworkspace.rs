//! The Google Workspace activity decoder: the Reports API's activity, Panther's one-event shape
//! and a Workspace audit entry in Cloud Logging, what each field becomes, the names added for
//! Sigma, what is quarantined and why, and the Panther test fixtures in
//! `$VIGIL_CORPUS/panther-analysis-tests/GSuite_ActivityEvent.jsonl` (skipped, with a message,
//! when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::{Options, Scanned, detect, scan_unit};
use vigil_model::{OcsfClass, Severity, Status, account_change, api, authentication, group};

mod common;
use common::{auto, corpus, quarantined_with_reasons, sniffed_by_file};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Google Workspace corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "activities.json";

/// A sign-in with a 2-step verification challenge, as `activities.list` returns it for the login
/// application: two events in one activity, the challenge first.
const LOGIN: &str = r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T10:15:00.123Z","uniqueQualifier":"-4012345678901234567","applicationName":"login","customerId":"C01abcde2"},"etag":"\"e1\"","actor":{"callerType":"USER","email":"ann@example.com","profileId":"104857600000000000001"},"ipAddress":"203.0.113.7","events":[{"type":"login","name":"login_verification","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password","totp"]},{"name":"login_challenge_status","value":"Challenge Passed"},{"name":"is_suspicious","boolValue":false}]},{"type":"login","name":"login_success","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_challenge_method","multiValue":["password","totp"]},{"name":"is_suspicious","boolValue":false}]}]}"#;

/// An administrator turning off 2-step verification enforcement, in the Reports API's shape.
const MFA_OFF: &str = r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T11:00:00Z","uniqueQualifier":"77","applicationName":"admin","customerId":"C01abcde2"},"actor":{"callerType":"USER","email":"admin@example.com","profileId":"1"},"ipAddress":"198.51.100.2","events":[{"type":"SECURITY_SETTINGS","name":"ENFORCE_STRONG_AUTHENTICATION","parameters":[{"name":"ORG_UNIT_NAME","value":"Example"},{"name":"NEW_VALUE","value":"false"},{"name":"OLD_VALUE","value":"true"}]}]}"#;

/// A user added to a group, as Panther stores the one event of an activity.
const GROUP_ADD: &str = r#"{"actor":{"callerType":"USER","email":"admin@example.com","profileId":"1"},"id":{"applicationName":"admin","customerId":"C01abcde2","time":"2024-02-01 12:00:00.000000000","uniqueQualifier":"88"},"ipAddress":"198.51.100.2","kind":"admin#reports#activity","name":"ADD_GROUP_MEMBER","parameters":{"GROUP_EMAIL":"admins@example.com","USER_EMAIL":"bob@example.com"},"type":"GROUP_SETTINGS","p_log_type":"GSuite.ActivityEvent"}"#;

/// A suspicious sign-in blocked, as the Login Audit log shares it with Google Cloud.
const CLOUD_SUSPICIOUS: &str = r#"{"insertId":"-ab12","logName":"organizations/123456789012/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"ann@example.com"},"requestMetadata":{"callerIp":"192.0.2.44","requestAttributes":{},"destinationAttributes":{}},"serviceName":"login.googleapis.com","methodName":"google.login.LoginService.suspiciousLogin","resourceName":"organizations/123456789012","metadata":{"@type":"type.googleapis.com/ccc_hosted_reporting.ActivityProto","activityId":{"timeUsec":"1706789700000000","uniqQualifier":"5550001"},"event":[{"eventType":"account_warning","eventName":"suspicious_login","parameter":[{"type":"TYPE_STRING","name":"affected_email_address","value":"ann@example.com"},{"type":"TYPE_STRING","name":"login_type","value":"google_password"}]}]}},"resource":{"type":"audited_resource","labels":{"service":"login.googleapis.com","method":"google.login.LoginService.suspiciousLogin"}},"severity":"NOTICE","timestamp":"2024-02-01T12:15:00Z","receiveTimestamp":"2024-02-01T12:15:01.2Z"}"#;

#[test]
fn reports_api_login_maps_field_by_field() {
    let (ev, q) = auto(LOGIN);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 1, "one activity, one event");
    let e = &ev[0];
    assert_eq!(detect(&serde_json::from_str(LOGIN).unwrap()).name(), "gworkspace");
    // The first event is the primary one: the challenge, passed.
    assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, authentication::LOGON));
    assert_eq!(e.status, Some(Status::Success));
    assert_eq!(e.time, 1_706_782_500_123);
    assert_eq!(e.severity, Severity::Informational);
    assert_eq!(e.metadata.format, "gworkspace");
    assert_eq!((e.metadata.product.as_str(), e.metadata.vendor.as_str()), ("Google Workspace", "Google"));
    assert_eq!(e.metadata.original_uid.as_deref(), Some("-4012345678901234567"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("login_verification"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("login"));
    assert_eq!(e.message.as_deref(), Some("login_verification, login_success"), "every event's name is kept");
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!(actor.name.as_deref(), Some("ann@example.com"));
    assert_eq!(actor.email.as_deref(), Some("ann@example.com"));
    assert_eq!(actor.uid.as_deref(), Some("104857600000000000001"));
    assert_eq!(actor.domain.as_deref(), Some("example.com"));
    assert_eq!(actor.r#type.as_deref(), Some("User"));
    assert_eq!(e.user.as_ref(), Some(actor), "the user signing in");
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("203.0.113.7"));
    let au = e.auth.as_ref().unwrap();
    assert_eq!(au.logon_type.as_deref(), Some("google_password"));
    assert_eq!((au.mfa_factor.as_deref(), au.is_mfa), (Some("totp"), Some(true)));
    assert_eq!(au.is_remote, Some(true));
    let c = e.cloud.as_ref().unwrap();
    assert_eq!((c.provider.as_deref(), c.account_uid.as_deref()), (Some("Google Workspace"), Some("C01abcde2")));
    let a = e.api.as_ref().unwrap();
    assert_eq!((a.service.as_deref(), a.operation.as_deref()), (Some("login"), Some("login_verification")));
    let params: serde_json::Value = serde_json::from_str(a.request_data.as_deref().unwrap()).unwrap();
    assert_eq!(params["login_challenge_method"], serde_json::json!(["password", "totp"]));
    assert_eq!(params["is_suspicious"], false);
    assert_eq!(e.raw, LOGIN, "raw is the activity as written, without the names added for Sigma");
}

#[test]
fn admin_group_and_cloud_logging_records() {
    let (ev, q) = auto(&[MFA_OFF, GROUP_ADD, CLOUD_SUSPICIOUS].join("\n"));
    assert!(q.is_empty(), "{q:?}");
    let (mfa, grp, cloud) = (&ev[0], &ev[1], &ev[2]);

    assert_eq!((mfa.class, mfa.activity_id), (OcsfClass::ApiActivity, api::UPDATE));
    assert_eq!(mfa.metadata.event_code.as_deref(), Some("ENFORCE_STRONG_AUTHENTICATION"));
    assert!(mfa.user.is_none(), "a setting has no user acted upon");

    assert_eq!((grp.class, grp.activity_id), (OcsfClass::GroupManagement, group::ADD_USER));
    assert_eq!(grp.time, 1_706_788_800_000);
    let g = grp.group.as_ref().unwrap();
    assert_eq!((g.name.as_deref(), g.domain.as_deref()), (Some("admins@example.com"), Some("example.com")));
    assert_eq!(grp.user.as_ref().unwrap().email.as_deref(), Some("bob@example.com"));
    assert_eq!(grp.actor.user.as_ref().unwrap().email.as_deref(), Some("admin@example.com"));

    assert_eq!(detect(&serde_json::from_str(CLOUD_SUSPICIOUS).unwrap()).name(), "gworkspace", "not gcp");
    assert_eq!((cloud.class, cloud.activity_id), (OcsfClass::Authentication, authentication::LOGON));
    assert_eq!((cloud.status, cloud.severity), (Some(Status::Failure), Severity::Medium), "blocked, suspicious");
    assert_eq!(cloud.time, 1_706_789_700_000);
    assert_eq!(cloud.metadata.log_name.as_deref(), Some("login"));
    assert_eq!(cloud.metadata.original_uid.as_deref(), Some("5550001"));
    assert_eq!(cloud.actor.user.as_ref().unwrap().email.as_deref(), Some("ann@example.com"));
    assert_eq!(cloud.user.as_ref().unwrap().email.as_deref(), Some("ann@example.com"));
    assert_eq!(cloud.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("192.0.2.44"));
    assert_eq!(cloud.cloud.as_ref().unwrap().account_uid.as_deref(), Some("123456789012"), "the organization");
    assert_eq!(cloud.raw, CLOUD_SUSPICIOUS);
}

#[test]
fn events_map_to_classes() {
    let rec = |app: &str, t: &str, name: &str, params: &str| {
        format!(
            r#"{{"id":{{"applicationName":"{app}","time":"2024-02-01T10:00:00Z"}},"actor":{{"email":"u@example.com"}},"type":"{t}","name":"{name}","parameters":{params}}}"#
        )
    };
    use OcsfClass::*;
    let cases = [
        (rec("login", "login", "login_failure", "null"), Authentication, authentication::LOGON, Some(Status::Failure)),
        (rec("login", "login", "logout", "{}"), Authentication, authentication::LOGOFF, Some(Status::Success)),
        (rec("login", "attack_warning", "gov_attack_warning", "{}"), Authentication, authentication::OTHER, None),
        (
            rec("saml", "login", "login_success", r#"{"application_name":"App"}"#),
            Authentication,
            authentication::LOGON,
            Some(Status::Success),
        ),
        (rec("login", "2sv_change", "2sv_disable", "{}"), AccountChange, account_change::MFA_DISABLE, None),
        (
            rec("user_accounts", "password_change", "password_edit", "{}"),
            AccountChange,
            account_change::PASSWORD_CHANGE,
            None,
        ),
        (
            rec(
                "login",
                "account_warning",
                "account_disabled_hijacked",
                r#"{"affected_email_address":"v@example.com"}"#,
            ),
            AccountChange,
            account_change::DISABLE,
            None,
        ),
        (
            rec("admin", "USER_SETTINGS", "CREATE_USER", r#"{"USER_EMAIL":"new@example.com"}"#),
            AccountChange,
            account_change::CREATE,
            None,
        ),
        (
            rec("admin", "USER_SETTINGS", "DELETE_USER", r#"{"USER_EMAIL":"old@example.com"}"#),
            AccountChange,
            account_change::DELETE,
            None,
        ),
        (
            rec(
                "admin",
                "DELEGATED_ADMIN_SETTINGS",
                "ASSIGN_ROLE",
                r#"{"ROLE_NAME":"Super Admin","USER_EMAIL":"bob@example.com"}"#,
            ),
            AccountChange,
            account_change::ATTACH_POLICY,
            None,
        ),
        (
            rec("admin", "GROUP_SETTINGS", "CREATE_GROUP", r#"{"GROUP_EMAIL":"g@example.com"}"#),
            GroupManagement,
            group::CREATE,
            None,
        ),
        (
            rec(
                "groups_enterprise",
                "moderator_action",
                "add_member",
                r#"{"group_id":"g@example.com","member_id":"m@example.com"}"#,
            ),
            GroupManagement,
            group::ADD_USER,
            None,
        ),
        (
            rec(
                "admin",
                "APPLICATION_SETTINGS",
                "CHANGE_APPLICATION_SETTING",
                r#"{"SETTING_NAME":"ContextAwareAccess"}"#,
            ),
            ApiActivity,
            api::UPDATE,
            None,
        ),
        (rec("admin", "DELEGATED_ADMIN_SETTINGS", "DELETE_ROLE", "{}"), ApiActivity, api::DELETE, None),
        (
            rec("token", "auth", "authorize", r#"{"app_name":"Some App","scope":["a","b"]}"#),
            ApiActivity,
            api::CREATE,
            None,
        ),
        (rec("token", "auth", "revoke", "{}"), ApiActivity, api::DELETE, None),
        (rec("drive", "access", "download", r#"{"doc_title":"Plan"}"#), ApiActivity, api::READ, None),
        (rec("drive", "access", "trash", "{}"), ApiActivity, api::DELETE, None),
        (rec("mobile", "device_updates", "DEVICE_SYNC_EVENT", "{}"), ApiActivity, api::OTHER, None),
    ];
    for (line, class, activity, status) in &cases {
        let (ev, q) = auto(line);
        assert!(q.is_empty(), "{line}: {q:?}");
        let e = &ev[0];
        assert_eq!((e.class, e.activity_id, e.status), (*class, *activity, *status), "{line}");
    }
    let (ev, _) = auto(&cases[3].0);
    assert_eq!(ev[0].auth.as_ref().unwrap().protocol.as_deref(), Some("SAML"));
    let (ev, _) = auto(&cases[6].0);
    assert_eq!(ev[0].user.as_ref().unwrap().email.as_deref(), Some("v@example.com"), "the account warned about");
    assert_eq!(ev[0].severity, Severity::High);
    let (ev, _) = auto(&cases[14].0);
    assert_eq!(ev[0].actor.app_name.as_deref(), Some("Some App"), "the OAuth client");
    let (ev, _) = auto(&cases[16].0);
    assert_eq!(ev[0].file.as_ref().unwrap().name.as_deref(), Some("Plan"));
}

#[test]
fn the_primary_event_classes_a_drive_activity() {
    let line = r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T10:00:00Z","applicationName":"drive","customerId":"C1","uniqueQualifier":"9"},"actor":{"email":"u@example.com","profileId":"2"},"events":[{"type":"access","name":"edit","parameters":[{"name":"primary_event","boolValue":false},{"name":"doc_title","value":"Plan"}]},{"type":"acl_change","name":"change_user_access","parameters":[{"name":"primary_event","boolValue":true},{"name":"doc_title","value":"Plan"},{"name":"visibility","value":"people_with_link"}]}]}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].metadata.event_code.as_deref(), Some("change_user_access"));
    assert_eq!((ev[0].class, ev[0].activity_id), (OcsfClass::ApiActivity, api::UPDATE));
    assert_eq!(ev[0].message.as_deref(), Some("edit, change_user_access"));
}

#[test]
fn sigma_sees_the_record_and_the_names_sigmahq_rules_use() {
    let mut seen = Vec::new();
    let data = [MFA_OFF, LOGIN, CLOUD_SUSPICIOUS, GROUP_ADD].join("\n");
    scan_unit("activities.json", data.as_bytes(), &Options::default(), &mut |s| {
        let Scanned::Record(r) = s else { panic!("quarantined") };
        seen.push((r.value().clone(), r.log_name().map(str::to_string)));
    });
    let (mfa, login, cloud, grp) = (&seen[0], &seen[1], &seen[2], &seen[3]);
    assert_eq!(mfa.1.as_deref(), Some("google_workspace.admin"));
    assert_eq!(mfa.0["eventService"], "admin.googleapis.com");
    assert_eq!(mfa.0["eventName"], "ENFORCE_STRONG_AUTHENTICATION");
    assert_eq!(mfa.0["eventType"], "SECURITY_SETTINGS");
    assert_eq!(mfa.0["new_value"], "false");
    assert_eq!(mfa.0["old_value"], "true");
    assert_eq!(mfa.0["events"][0]["name"], "ENFORCE_STRONG_AUTHENTICATION", "kept as written");
    assert_eq!(mfa.0["protoPayload"]["serviceName"], "admin.googleapis.com");

    assert_eq!(login.1.as_deref(), Some("google_workspace.login"));
    assert_eq!(login.0["eventName"], serde_json::json!(["login_verification", "login_success"]));
    assert_eq!(login.0["eventType"], "login");
    assert_eq!(login.0["login_type"], "google_password", "one value where the events agree");
    assert_eq!(login.0["protoPayload"]["Servicename"], "login.googleapis.com");
    assert_eq!(login.0["protoPayload"]["metadata"]["event"][1]["eventName"], "login_success");

    assert_eq!(cloud.1.as_deref(), Some("google_workspace.login"));
    assert_eq!(cloud.0["protoPayload"]["serviceName"], "login.googleapis.com", "the entry's own");
    assert_eq!(cloud.0["protoPayload"]["Servicename"], "login.googleapis.com");
    assert_eq!(cloud.0["eventService"], "login.googleapis.com");
    assert_eq!(cloud.0["eventName"], "suspicious_login");
    assert_eq!(cloud.0["affected_email_address"], "ann@example.com");
    assert!(cloud.0.get("events").is_none());

    assert_eq!(grp.0["group_email"], "admins@example.com");
    assert_eq!(grp.0["name"], "ADD_GROUP_MEMBER", "kept as written");
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let t = r#""time":"2024-02-01T10:00:00Z""#;
    let cases = [
        (format!(r#"{{"kind":"admin#reports#activity","id":{{{t}}},"events":[{{"name":"x"}}]}}"#), "missing required field 'id.applicationName'"),
        (format!(r#"{{"id":{{"applicationName":7,{t}}},"name":"x"}}"#), "'id.applicationName'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":[]}}"#), "'events'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":"CREATE_USER"}}"#), "'events'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":[1,2]}}"#), "'events'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":null}}"#), "missing required field 'events'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":[{{"type":"USER_SETTINGS"}}]}}"#), "missing required field 'events.name'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":[{{"name":["x"]}}]}}"#), "'events.name'"),
        (format!(r#"{{"id":{{"applicationName":"admin",{t}}},"events":[{{"name":"  "}}]}}"#), "'events.name'"),
        (format!(r#"{{"id":{{"applicationName":"login",{t}}},"type":"login"}}"#), "missing required field 'name'"),
        (r#"{"id":{"applicationName":"login"},"name":"login_success"}"#.to_string(), "no usable timestamp (looked for id.time, p_event_time)"),
        (r#"{"id":{"applicationName":"login","time":"soon"},"name":"login_success"}"#.to_string(), "'id.time'"),
        (format!(r#"{{"kind":"admin#reports#usageReport","id":{{"applicationName":"admin",{t}}},"name":"x"}}"#), "not a Google Workspace activity"),
        (r#"{"protoPayload":{"metadata":{"event":[{"eventName":"x"}]}},"timestamp":"2024-02-01T10:00:00Z"}"#.to_string(), "missing required field 'protoPayload.serviceName'"),
        (r#"{"protoPayload":{"serviceName":"login.googleapis.com"},"timestamp":"2024-02-01T10:00:00Z"}"#.to_string(), "missing required field 'protoPayload.metadata.event'"),
        (r#"{"protoPayload":{"serviceName":"login.googleapis.com","metadata":{"event":[{"eventType":"login"}]}},"timestamp":"2024-02-01T10:00:00Z"}"#.to_string(), "'protoPayload.metadata.event.eventName'"),
        (r#"{"protoPayload":{"serviceName":"login.googleapis.com","metadata":{"event":[{"eventName":"login_success"}]}}}"#.to_string(), "timestamp, receiveTimestamp, p_event_time"),
        (r#"["login_success"]"#.to_string(), "not a Google Workspace activity"),
        ("null".to_string(), "not a Google Workspace activity"),
    ];
    quarantined_with_reasons("gworkspace", &cases);
}

#[test]
fn hostile_records_give_one_outcome_each() {
    // Deeply nested message parameters, a huge events list, strings where objects belong,
    // numbers where strings belong, a truncated record: each gives one event or one quarantine
    // record, never a panic.
    let mut nested = r#"{"name":"leaf","value":"v"}"#.to_string();
    // 40 levels of messages (120 of JSON, under serde_json's limit): read to a depth, no deeper.
    for i in 0..40 {
        nested = format!(r#"{{"name":"n{i}","messageValue":{{"parameter":[{nested}]}}}}"#);
    }
    let many: Vec<String> =
        (0..5000).map(|i| format!(r#"{{"name":"e{i}","parameters":[{{"name":"p","intValue":"{i}"}}]}}"#)).collect();
    let lines = [
        format!(r#"{{"id":{{"applicationName":"admin","time":"2024-02-01T10:00:00Z"}},"events":[{{"name":"x","parameters":[{nested}]}}]}}"#),
        format!(r#"{{"id":{{"applicationName":"drive","time":"2024-02-01T10:00:00Z"}},"events":[{}]}}"#, many.join(",")),
        r#"{"id":{"applicationName":"login","time":"2024-02-01T10:00:00Z"},"actor":"ann","ipAddress":7,"name":"login_success","parameters":"none"}"#.to_string(),
        r#"{"id":{"applicationName":"login","time":"2024-02-01T10:00:00Z"},"actor":{"email":["a"],"profileId":{}},"ipAddress":"not-an-ip","name":"login_success","parameters":{"login_challenge_method":{"x":1},"affected_email_address":[]}}"#.to_string(),
        r#"{"id":{"applicationName":"login","time":"2024-02-01T10:00:00Z"},"events":[{"name":"a","parameters":[{"name":"primary_event","value":"true"}]},{"name":"b","parameters":[{"name":"primary_event","boolValue":true}]}]}"#.to_string(),
        r#"{"protoPayload":{"serviceName":"","metadata":{"@type":"type.googleapis.com/ccc_hosted_reporting.ActivityProto","event":{"eventName":"x"}}},"timestamp":"2024-02-01T10:00:00Z"}"#.to_string(),
        r#"{"id":{"applicationName":"login","time":"2024-02-01T10:00:00Z"},"name":"login_su"#.to_string(),
    ];
    let data = lines.join("\n");
    let (ev, q) = auto(&data);
    assert_eq!(ev.len() + q.len(), lines.len(), "{q:?}");
    assert_eq!(ev.len(), 5, "{q:?}");
    assert_eq!(ev[1].message.as_deref().map(|m| m.split(", ").count()), Some(5000));
    assert_eq!(ev[2].src_endpoint, None, "7 is not an address");
    assert_eq!(ev[3].src_endpoint, None, "nor is not-an-ip");
    assert_eq!(ev[4].metadata.event_code.as_deref(), Some("a"), "\"true\" as text marks the primary too");
    assert!(q.iter().any(|r| r.reason.contains("'protoPayload.serviceName'")), "{q:?}");
    assert!(q.iter().any(|r| r.reason.contains("invalid JSON")), "{q:?}");
}

#[test]
fn panther_gsuite_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/GSuite_ActivityEvent.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("GSuite_ActivityEvent.jsonl: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    for (why, n) in &reasons {
        println!("  {n} quarantined: {why}");
    }
    let mut classes: BTreeMap<(u32, u32), usize> = BTreeMap::new();
    for e in &ev {
        *classes.entry((e.class.uid(), e.activity_id)).or_insert(0) += 1;
    }
    println!("  classes: {classes:?}");
    assert_eq!(lines, 157);
    assert_eq!(ev.len() + q.len(), lines, "one outcome per record");
    for r in &q {
        assert_eq!(r.format, "gworkspace", "the envelope declares GSuite.ActivityEvent: {r:?}");
    }
    for e in &ev {
        assert_eq!(e.metadata.format, "gworkspace");
        assert!(e.metadata.event_code.as_deref().is_some_and(|c| !c.is_empty()));
        assert_eq!(e.cloud.as_ref().and_then(|c| c.provider.as_deref()), Some("Google Workspace"));
    }
    // Panther's rule tests need only the fields a rule reads: 7 have no event name (Panther's
    // rules-application tests, an access transparency stub), 56 no time; the other 94 decode.
    assert_eq!((ev.len(), q.len()), (94, 63));
    let expect = [("missing required field 'name'", 7), ("no usable timestamp (looked for id.time, p_event_time)", 56)];
    assert_eq!(reasons, expect.iter().map(|(w, n)| (w.to_string(), *n)).collect::<BTreeMap<_, _>>());
    assert_eq!(classes, BTreeMap::from(FIXTURE_CLASSES));
    // Read again: the same ids.
    let (again, _) = auto(&text);
    assert_eq!(
        ev.iter().map(|e| &e.id).collect::<Vec<_>>(),
        again.iter().map(|e| &e.id).collect::<Vec<_>>(),
        "ids are stable under re-ingest"
    );
}

/// The decoded fixtures by (OCSF class uid, activity id): the fixtures that carry a time are
/// mostly Admin console settings and Drive activity (API activity), a few account changes and
/// one SAML sign-in.
const FIXTURE_CLASSES: [((u32, u32), usize); 8] = [
    ((3001, account_change::CREATE), 1),
    ((3001, account_change::OTHER), 2),
    ((3002, authentication::LOGON), 1),
    ((6003, api::CREATE), 16),
    ((6003, api::READ), 2),
    ((6003, api::UPDATE), 42),
    ((6003, api::DELETE), 3),
    ((6003, api::OTHER), 27),
];

/// Sniffing, without the envelope's word for it: which fixtures are taken for Workspace
/// activity, in this file and in every other Panther fixture file.
#[test]
fn sniffing_takes_workspace_activity_and_nothing_else() {
    let Some(root) = corpus(CORPUS) else { return };
    let by_file = sniffed_by_file(&root, "GSuite_ActivityEvent.jsonl", "gworkspace", &mut |_, _, _| {});
    // This file's fixtures are taken for Workspace activity but for two stubs with nothing but
    // an application and an event type (read as generic JSON). Elsewhere: the Workspace cases of
    // Panther's shared rules filed with Asana's fixtures, and the Workspace activities shared with
    // Google Cloud among the Google Cloud audit fixtures (an `ActivityProto` payload); nothing
    // else is taken for Workspace activity.
    let expect: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::from([
        ("Asana_Audit.jsonl".to_string(), BTreeMap::from([("gworkspace", 6)])),
        ("GCP_AuditLog.jsonl".to_string(), BTreeMap::from([("gworkspace", 5)])),
        ("GSuite_ActivityEvent.jsonl".to_string(), BTreeMap::from([("gworkspace", 155), ("json", 2)])),
    ]);
    assert_eq!(by_file, expect);
}

/// A page as the live poller (`google-workspace-reports`) hands it on: `activities.list`
/// items, one per line, re-serialized (keys in order), one of each application it reads by
/// default.
const POLLED_PAGE: &str = r#"{"actor":{"callerType":"USER","email":"alice@acme.example","profileId":"100000000000000007919"},"etag":"\"sbx0000000000000001/login\"","events":[{"name":"login_success","parameters":[{"name":"login_type","value":"google_password"},{"multiValue":["password","google_authenticator"],"name":"login_challenge_method"},{"boolValue":false,"name":"is_suspicious"}],"type":"login"}],"id":{"applicationName":"login","customerId":"C03az79cb","time":"2026-12-07T10:00:00.000Z","uniqueQualifier":"-4000000000000000001"},"ipAddress":"203.0.113.9","kind":"admin#reports#activity","ownerDomain":"acme.example"}
{"actor":{"callerType":"USER","email":"admin@acme.example","profileId":"100000000000000023757"},"etag":"\"sbx0000000000000003/admin\"","events":[{"name":"ASSIGN_ROLE","parameters":[{"name":"ROLE_NAME","value":"_HELP_DESK_ADMIN_ROLE"},{"name":"USER_EMAIL","value":"bob@acme.example"}],"type":"DELEGATED_ADMIN_SETTINGS"}],"id":{"applicationName":"admin","customerId":"C03az79cb","time":"2026-12-07T10:01:00.000Z","uniqueQualifier":"-4000000000000000003"},"ipAddress":"203.0.113.10","kind":"admin#reports#activity","ownerDomain":"acme.example"}
{"actor":{"callerType":"USER","email":"carol@acme.example","profileId":"100000000000000047514"},"etag":"\"sbx0000000000000006/drive\"","events":[{"name":"change_user_access","parameters":[{"boolValue":true,"name":"primary_event"},{"name":"doc_id","value":"1Xa00000006"},{"name":"doc_type","value":"spreadsheet"},{"name":"doc_title","value":"Q3 payroll"},{"name":"owner","value":"carol@acme.example"},{"name":"visibility","value":"people_with_link"},{"name":"target_user","value":"partner@external.example"}],"type":"acl_change"}],"id":{"applicationName":"drive","customerId":"C03az79cb","time":"2026-12-07T10:02:00.000Z","uniqueQualifier":"-4000000000000000006"},"ipAddress":"203.0.113.11","kind":"admin#reports#activity","ownerDomain":"acme.example"}
{"actor":{"callerType":"USER","email":"bob@acme.example","profileId":"100000000000000055433"},"etag":"\"sbx0000000000000007/token\"","events":[{"name":"authorize","parameters":[{"name":"client_id","value":"1234567890-abcdefg.apps.googleusercontent.com"},{"name":"app_name","value":"Calendar Sync Pro"},{"name":"client_type","value":"WEB"},{"multiValue":["https://www.googleapis.com/auth/calendar","https://www.googleapis.com/auth/drive.readonly"],"name":"scope"}],"type":"auth"}],"id":{"applicationName":"token","customerId":"C03az79cb","time":"2026-12-07T10:03:00.000Z","uniqueQualifier":"-4000000000000000007"},"ipAddress":"203.0.113.12","kind":"admin#reports#activity","ownerDomain":"acme.example"}"#;

#[test]
fn a_page_the_live_poller_reads_decodes_one_event_an_activity() {
    let (ev, q) = auto(POLLED_PAGE);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 4);
    let classes: Vec<OcsfClass> = ev.iter().map(|e| e.class).collect();
    assert_eq!(
        classes,
        [OcsfClass::Authentication, OcsfClass::AccountChange, OcsfClass::ApiActivity, OcsfClass::ApiActivity]
    );
    let codes: Vec<&str> = ev.iter().map(|e| e.metadata.event_code.as_deref().unwrap()).collect();
    assert_eq!(codes, ["login_success", "ASSIGN_ROLE", "change_user_access", "authorize"]);
    let logs: Vec<&str> = ev.iter().map(|e| e.metadata.log_name.as_deref().unwrap()).collect();
    assert_eq!(logs, ["login", "admin", "drive", "token"]);
    assert!(ev.iter().all(|e| e.metadata.format == "gworkspace"));
    assert_eq!(ev[0].metadata.original_uid.as_deref(), Some("-4000000000000000001"));
    assert_eq!(ev[1].user.as_ref().unwrap().email.as_deref(), Some("bob@acme.example"), "the user given the role");
}
