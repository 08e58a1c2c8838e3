//! The Azure decoder: the diagnostic export's shape and Log Analytics rows, what each category
//! becomes, the services Sigma routes by, what is quarantined and why, and the Panther test
//! fixtures in `$VIGIL_CORPUS/panther-analysis-tests/Azure_*.jsonl` (skipped, with a message,
//! when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::{Format, Options, Scanned, detect, scan_unit};
use vigil_model::{OcsfClass, Severity, Status, account_change, api, group};

mod common;
use common::{auto, corpus, quarantined_with_reasons, run};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Azure corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "azure.json";

/// The Sigma service each record of a payload is routed by.
fn services(data: &str) -> Vec<Option<String>> {
    let mut out = Vec::new();
    scan_unit("azure.json", data.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s {
            out.push(r.log_name().map(str::to_string));
        }
    });
    out
}

const SIGN_IN: &str = r#"{"time":"2025-01-15T09:30:45.123Z","resourceId":"/tenants/6f1c/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"6f1c","resultType":"50126","resultDescription":"Invalid username or password","callerIpAddress":"203.0.113.9","correlationId":"c0ffee","properties":{"id":"si-1","userPrincipalName":"alice@example.com","userId":"u-1","ipAddress":"203.0.113.9","appDisplayName":"Azure Portal","userAgent":"Mozilla/5.0","authenticationRequirement":"singleFactorAuthentication","sessionId":"s-9","location":{"city":"Oslo","countryOrRegion":"NO","geoCoordinates":{"latitude":59.9,"longitude":10.7}},"status":{"errorCode":50126,"failureReason":"Invalid username or password"},"deviceDetail":{"operatingSystem":"Windows 10","displayName":"LAPTOP-7"}}}"#;

#[test]
fn a_failed_sign_in_is_a_failed_logon_of_the_user_from_where_it_came() {
    let (ev, q) = auto(SIGN_IN);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, vigil_model::authentication::LOGON));
    assert_eq!(e.time, 1_736_933_445_123);
    assert_eq!(e.metadata.format, "azure");
    assert_eq!(e.metadata.product, "Entra ID Sign-in Logs");
    assert_eq!(e.metadata.vendor, "Microsoft");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("si-1"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("SignInLogs"));
    assert_eq!(e.status, Some(Status::Failure));
    assert_eq!(e.status_detail.as_deref(), Some("Invalid username or password"));
    let u = e.user.as_ref().unwrap();
    assert_eq!(u.name.as_deref(), Some("alice@example.com"));
    assert_eq!(u.uid.as_deref(), Some("u-1"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("alice@example.com"));
    assert_eq!(e.actor.app_name.as_deref(), Some("Azure Portal"));
    let src = e.src_endpoint.as_ref().unwrap();
    assert_eq!(src.ip.as_deref(), Some("203.0.113.9"));
    let geo = src.geo.as_ref().unwrap();
    assert_eq!((geo.country.as_deref(), geo.city.as_deref(), geo.lat), (Some("NO"), Some("Oslo"), Some(59.9)));
    assert_eq!(e.http.as_ref().unwrap().user_agent.as_deref(), Some("Mozilla/5.0"));
    assert_eq!(e.auth.as_ref().unwrap().is_mfa, Some(false));
    assert_eq!(e.device.as_ref().unwrap().hostname.as_deref(), Some("LAPTOP-7"));
    assert_eq!(e.cloud.as_ref().unwrap().provider.as_deref(), Some("Azure"));
    assert_eq!(e.raw, SIGN_IN, "the record as written is kept");
    assert_eq!(services(SIGN_IN), vec![Some("signinlogs".to_string())]);
    // Success is error code 0.
    let ok = SIGN_IN.replace(r#""resultType":"50126""#, r#""resultType":"0""#);
    assert_eq!(auto(&ok).0[0].status, Some(Status::Success));
}

#[test]
fn log_analytics_rows_read_as_the_export_does() {
    let row = r#"{"TimeGenerated":"2025-01-15T09:30:45.123Z","Type":"SigninLogs","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"0","UserPrincipalName":"bob@example.com","UserId":"u-2","IPAddress":"198.51.100.4","AppDisplayName":"Office 365 Exchange Online","AuthenticationRequirement":"multiFactorAuthentication","TenantId":"6f1c","LocationDetails":{"city":"Lyon","countryOrRegion":"FR"}}"#;
    let (ev, q) = auto(row);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.metadata.format, "azure");
    assert_eq!(e.class, OcsfClass::Authentication);
    assert_eq!(e.status, Some(Status::Success));
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob@example.com"));
    let src = e.src_endpoint.as_ref().unwrap();
    assert_eq!(src.ip.as_deref(), Some("198.51.100.4"));
    assert_eq!(src.geo.as_ref().unwrap().country.as_deref(), Some("FR"));
    assert_eq!(e.auth.as_ref().unwrap().is_mfa, Some(true));
    assert_eq!(services(row), vec![Some("signinlogs".to_string())]);
    let activity = r#"{"TimeGenerated":"2025-02-01T10:00:00Z","Type":"AzureActivity","OperationNameValue":"MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE","CategoryValue":"Administrative","ActivityStatusValue":"Success","Caller":"ops@example.com","CallerIpAddress":"192.0.2.1","_ResourceId":"/subscriptions/sub-9/resourcegroups/rg/providers/microsoft.compute/virtualmachines/vm1","OperationName":"Delete Virtual Machine"}"#;
    let (ev, q) = auto(activity);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(
        (e.class, e.activity_id),
        (OcsfClass::ApiActivity, api::DELETE),
        "the operation's value, not its display name"
    );
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("ops@example.com"));
    assert_eq!(e.cloud.as_ref().unwrap().account_uid.as_deref(), Some("sub-9"));
    assert_eq!(services(activity), vec![Some("activitylogs".to_string())]);
    // A write: the operation, not its display name, decides (and is what Sigma sees as
    // `operationName`).
    let write = activity
        .replace("VIRTUALMACHINES/DELETE", "VIRTUALMACHINES/WRITE")
        .replace("Delete Virtual Machine", "Create or Update Virtual Machine");
    let (ev, _) = auto(&write);
    assert_eq!(ev[0].activity_id, api::UPDATE);
    assert_eq!(ev[0].api.as_ref().unwrap().operation.as_deref(), Some("MICROSOFT.COMPUTE/VIRTUALMACHINES/WRITE"));
}

#[test]
fn directory_audits_become_account_group_and_api_activity() {
    let add_member = r#"{"time":"2025-03-01T12:00:00Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Add member to role","category":"AuditLogs","tenantId":"t","correlationId":"k-1","properties":{"id":"Directory_1","activityDisplayName":"Add member to role","loggedByService":"Core Directory","operationType":"Assign","result":"success","initiatedBy":{"user":{"userPrincipalName":"admin@example.com","id":"a-1","ipAddress":"192.0.2.8"}},"targetResources":[{"id":"u-3","type":"User","userPrincipalName":"carol@example.com"},{"id":"r-1","type":"Role","displayName":"Global Administrator"}]}}"#;
    let (ev, q) = auto(add_member);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::GroupManagement, group::ADD_USER));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("admin@example.com"));
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("carol@example.com"));
    assert_eq!(e.group.as_ref().unwrap().name.as_deref(), Some("Global Administrator"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("192.0.2.8"));
    assert_eq!(e.status, Some(Status::Success));
    assert_eq!(services(add_member), vec![Some("auditlogs".to_string())]);
    let reset = add_member.replace("Add member to role", "Reset user password");
    assert_eq!(auto(&reset).0[0].activity_id, account_change::PASSWORD_RESET);
    let app = add_member.replace("Add member to role", "Add service principal credentials").replace("Assign", "Update");
    let (ev, _) = auto(&app);
    assert_eq!((ev[0].class, ev[0].activity_id), (OcsfClass::ApiActivity, api::UPDATE));
}

/// A `signIn` as Microsoft Graph returns it (`GET /v1.0/auditLogs/signIns`), from Microsoft's
/// documented example, with the failure of a wrong password.
const GRAPH_SIGN_IN: &str = r#"{"id":"66ea54eb-6301-4ee5-be62-ff5a759b0100","createdDateTime":"2020-03-13T19:15:41.6195833Z","userDisplayName":"Test contoso","userPrincipalName":"testaccount1@contoso.com","userId":"26be570a-ae82-4189-b4e2-a37c6808512d","appId":"de8bc8b5-d9f9-48b1-a8ad-b748da725064","appDisplayName":"Graph Explorer","ipAddress":"131.107.159.37","clientAppUsed":"Browser","correlationId":"d79f5bee-5860-4832-928f-3133e22ae912","conditionalAccessStatus":"notApplied","isInteractive":true,"riskDetail":"none","riskLevelAggregated":"none","riskLevelDuringSignIn":"none","riskState":"none","riskEventTypes":[],"riskEventTypes_v2":[],"resourceDisplayName":"Microsoft Graph","resourceId":"00000003-0000-0000-c000-000000000000","status":{"errorCode":50126,"failureReason":"Error validating credentials due to invalid username or password.","additionalDetails":null},"deviceDetail":{"deviceId":"","displayName":null,"operatingSystem":"Windows 10","browser":"Edge 80.0.361","isCompliant":null,"isManaged":null,"trustType":null},"location":{"city":"Redmond","state":"Washington","countryOrRegion":"US","geoCoordinates":{"altitude":null,"latitude":47.68050003051758,"longitude":-122.12094116210938}},"appliedConditionalAccessPolicies":[]}"#;

/// A `directoryAudit` as Microsoft Graph returns it (`GET /v1.0/auditLogs/directoryAudits`),
/// from Microsoft's documented example.
const GRAPH_AUDIT: &str = r#"{"id":"Directory_ce218a71-9c8d-4ca5-8b9c-2ad6f2a3be5a_ZGY1S_24045862","category":"GroupManagement","correlationId":"da159bfb-54fa-4092-8a38-4e1fa7870979","result":"success","resultReason":"Successfully added member to group","activityDisplayName":"Add member to group","activityDateTime":"2018-01-09T21:20:02.7215374Z","loggedByService":"Core Directory","operationType":"Assign","initiatedBy":{"app":null,"user":{"id":"728309ae-0a5f-4e7b-8c5d-3d7c6a1b2c3d","displayName":"Jamie Doe","userPrincipalName":"jdoe@contoso.com","ipAddress":"131.107.159.37","userType":null,"homeTenantId":null,"homeTenantName":null}},"targetResources":[{"id":"ef7e527d-6c92-4234-8c6d-cf6fdfb57f95","displayName":"Marketing","type":"Group","modifiedProperties":[{"displayName":"Group.DisplayName","oldValue":null,"newValue":"\"Marketing\""}],"groupType":"unifiedGroups"},{"id":"1f0e98f5-3161-4c6b-9b50-d488572f2bb7","displayName":null,"type":"User","userPrincipalName":"example@contoso.com","modifiedProperties":[]}],"additionalDetails":[{"key":"Additional Detail Name","value":"Additional Detail Value"}]}"#;

fn as_azure(data: &str) -> (Vec<vigil_model::Event>, Vec<vigil_model::QuarantineRecord>) {
    run(data, &Options { format: Format::named("azure").unwrap(), ..Options::default() })
}

#[test]
fn graph_sign_ins_read_as_the_export_holding_them() {
    for (ev, q) in [auto(GRAPH_SIGN_IN), as_azure(GRAPH_SIGN_IN)] {
        assert!(q.is_empty(), "{q:?}");
        let e = &ev[0];
        assert_eq!(e.metadata.format, "azure");
        assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, vigil_model::authentication::LOGON));
        assert_eq!(e.time, 1_584_126_941_619);
        assert_eq!(e.metadata.original_uid.as_deref(), Some("66ea54eb-6301-4ee5-be62-ff5a759b0100"));
        assert_eq!(e.metadata.log_name.as_deref(), Some("SignInLogs"));
        assert_eq!(e.status, Some(Status::Failure));
        assert_eq!(
            e.status_detail.as_deref(),
            Some("Error validating credentials due to invalid username or password.")
        );
        let u = e.user.as_ref().unwrap();
        assert_eq!(u.name.as_deref(), Some("testaccount1@contoso.com"));
        assert_eq!(u.uid.as_deref(), Some("26be570a-ae82-4189-b4e2-a37c6808512d"));
        assert_eq!(e.actor.app_name.as_deref(), Some("Graph Explorer"));
        let src = e.src_endpoint.as_ref().unwrap();
        assert_eq!(src.ip.as_deref(), Some("131.107.159.37"));
        let geo = src.geo.as_ref().unwrap();
        assert_eq!((geo.country.as_deref(), geo.city.as_deref()), (Some("US"), Some("Redmond")));
        assert_eq!(e.device.as_ref().unwrap().os.as_deref(), Some("Windows 10"));
        assert_eq!(e.api.as_ref().unwrap().request_uid.as_deref(), Some("d79f5bee-5860-4832-928f-3133e22ae912"));
        assert_eq!(e.raw, GRAPH_SIGN_IN, "the record as written is kept");
    }
    assert_eq!(services(GRAPH_SIGN_IN), vec![Some("signinlogs".to_string())]);
    // Error code 0 is a success, whatever `failureReason` says.
    let ok = GRAPH_SIGN_IN.replace(r#""errorCode":50126"#, r#""errorCode":0"#);
    let (ev, q) = auto(&ok);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].status, Some(Status::Success));
    // Graph's beta API names non-interactive sign-ins: their own category, the same service.
    let ni = GRAPH_SIGN_IN
        .replace(r#""isInteractive":true"#, r#""isInteractive":false,"signInEventTypes":["nonInteractiveUser"]"#);
    assert_eq!(auto(&ni).0[0].metadata.log_name.as_deref(), Some("NonInteractiveUserSignInLogs"));
    assert_eq!(services(&ni), vec![Some("signinlogs".to_string())]);
}

#[test]
fn graph_directory_audits_read_as_the_export_holding_them() {
    for (ev, q) in [auto(GRAPH_AUDIT), as_azure(GRAPH_AUDIT)] {
        assert!(q.is_empty(), "{q:?}");
        let e = &ev[0];
        assert_eq!(e.metadata.format, "azure");
        assert_eq!((e.class, e.activity_id), (OcsfClass::GroupManagement, group::ADD_USER));
        assert_eq!(e.time, 1_515_532_802_721);
        assert_eq!(e.metadata.log_name.as_deref(), Some("AuditLogs"));
        assert_eq!(e.message.as_deref(), Some("Add member to group"));
        assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("jdoe@contoso.com"));
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("example@contoso.com"));
        assert_eq!(e.group.as_ref().unwrap().name.as_deref(), Some("Marketing"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("131.107.159.37"));
        assert_eq!(e.status, Some(Status::Success));
        assert_eq!(e.status_detail.as_deref(), Some("Successfully added member to group"));
        assert_eq!(e.api.as_ref().unwrap().service.as_deref(), Some("Core Directory"));
        assert_eq!(e.raw, GRAPH_AUDIT);
    }
    assert_eq!(services(GRAPH_AUDIT), vec![Some("auditlogs".to_string())]);
    // An application's change: the app is the actor.
    let by_app = GRAPH_AUDIT.replace(
        r#""initiatedBy":{"app":null,"user":{"id":"728309ae-0a5f-4e7b-8c5d-3d7c6a1b2c3d","displayName":"Jamie Doe","userPrincipalName":"jdoe@contoso.com","ipAddress":"131.107.159.37","userType":null,"homeTenantId":null,"homeTenantName":null}}"#,
        r#""initiatedBy":{"user":null,"app":{"appId":"a-1","displayName":"Provisioning Service","servicePrincipalId":"sp-1","servicePrincipalName":null}}"#,
    );
    let (ev, q) = auto(&by_app);
    assert!(q.is_empty(), "{q:?}");
    let actor = ev[0].actor.user.as_ref().unwrap();
    assert_eq!((actor.name.as_deref(), actor.uid.as_deref()), (Some("Provisioning Service"), Some("sp-1")));
    // The same object inside the diagnostic export decodes to the same event.
    let export = format!(
        r#"{{"time":"2018-01-09T21:20:02.7215374Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Add member to group","category":"AuditLogs","tenantId":"t","correlationId":"da159bfb-54fa-4092-8a38-4e1fa7870979","properties":{GRAPH_AUDIT}}}"#
    );
    let (a, b) = (&auto(GRAPH_AUDIT).0[0], &auto(&export).0[0]);
    assert_eq!(
        (a.class, a.activity_id, a.time, &a.user, &a.group),
        (b.class, b.activity_id, b.time, &b.user, &b.group)
    );
    // Without its time it is quarantined naming the field it was read from.
    let no_time = GRAPH_AUDIT.replace(r#""activityDateTime":"2018-01-09T21:20:02.7215374Z","#, "");
    let (ev, q) = as_azure(&no_time);
    assert!(ev.is_empty() && q.len() == 1, "{ev:?}");
    assert!(q[0].reason.contains("time"), "{:?}", q[0].reason);
}

#[test]
fn risk_detections_are_findings_and_resource_logs_have_no_service() {
    let risk = r#"{"time":"2025-03-02T08:00:00Z","operationName":"User Risk Detection","category":"UserRiskEvents","tenantId":"t","properties":{"id":"rd-1","riskEventType":"unfamiliarFeatures","riskLevel":"high","riskState":"atRisk","riskDetail":"none","userPrincipalName":"dave@example.com","ipAddress":"203.0.113.50"}}"#;
    let (ev, q) = auto(risk);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev[0].class, OcsfClass::DetectionFinding);
    assert_eq!(ev[0].severity, Severity::High);
    assert_eq!(ev[0].message.as_deref(), Some("unfamiliarFeatures (risk high)"));
    assert_eq!(services(risk), vec![Some("riskdetection".to_string())]);
    let blob = r#"{"time":"2025-01-28T18:00:00Z","resourceId":"/subscriptions/s-1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct/blobServices/default","operationName":"GetBlob","callerIpAddress":"8.8.8.8:44321","category":"StorageRead","properties":{"objectKey":"/acct/c/report.xlsx","userAgentHeader":"python-requests/2.31.0","metricResponseType":"Success"}}"#;
    let (ev, q) = auto(blob);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::READ));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("8.8.8.8"), "the port is not the address");
    assert_eq!(e.api.as_ref().unwrap().service.as_deref(), Some("Microsoft.Storage"));
    assert_eq!(e.api.as_ref().unwrap().request_data.as_deref(), Some("/acct/c/report.xlsx"));
    assert_eq!(e.cloud.as_ref().unwrap().account_uid.as_deref(), Some("s-1"));
    assert_eq!(services(blob), vec![None], "a storage resource log is not the activity log");
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (r#"{"time":"2025-01-15T09:30:45Z","category":"SignInLogs","resourceId":"/x"}"#, "'operationName'"),
        (r#"{"time":"2025-01-15T09:30:45Z","operationName":7,"resourceId":"/x"}"#, "'operationName'"),
        (r#"{"time":"2025-01-15T09:30:45Z","operationName":{"localizedValue":"x"}}"#, "'operationName'"),
        (r#"{"operationName":"Sign-in activity","resourceId":"/x"}"#, "time, properties.activityDateTime"),
        (r#"{"time":"soon","operationName":"Sign-in activity"}"#, "'time'"),
        (r#"["Sign-in activity"]"#, "not an Azure log record"),
        (r#"null"#, "not an Azure log record"),
    ];
    quarantined_with_reasons("azure", &cases);
}

#[test]
fn panther_azure_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    // Entra ID: 26 sign-ins (interactive, non-interactive and service principal) and 21
    // directory audits, one a role membership. The activity log: 196 records of its categories,
    // 18 storage resource logs (routed to no service).
    for (file, want_records, want_classes, want_services) in [
        (
            "Azure_Audit.jsonl",
            47,
            r#"{"azure:ApiActivity": 20, "azure:Authentication": 26, "azure:GroupManagement": 1}"#,
            r#"{"auditlogs": 21, "signinlogs": 26}"#,
        ),
        ("Azure_MonitorActivity.jsonl", 214, r#"{"azure:ApiActivity": 214}"#, r#"{"-": 18, "activitylogs": 196}"#),
    ] {
        let path = root.join("panther-analysis-tests").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
        assert_eq!(lines, want_records, "{file}");
        let (ev, q) = auto(&text);
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        for e in &ev {
            *classes.entry(format!("{}:{:?}", e.metadata.format, e.class)).or_default() += 1;
        }
        let mut by_service: BTreeMap<String, usize> = BTreeMap::new();
        for s in services(&text) {
            *by_service.entry(s.unwrap_or_else(|| "-".into())).or_default() += 1;
        }
        println!("{file}: {lines} records, {} decoded, {} quarantined; {classes:?}; {by_service:?}", ev.len(), q.len());
        assert!(q.is_empty(), "{file}: {q:?}");
        assert_eq!(ev.len(), want_records, "{file}");
        assert_eq!(format!("{classes:?}"), want_classes, "{file}");
        assert_eq!(format!("{by_service:?}"), want_services, "{file}");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(detect(&v["log"]).name(), "azure", "{file}: sniffed without its envelope too");
        }
    }
}
