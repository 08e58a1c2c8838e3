//! The Microsoft 365 decoder: the unified audit log's common schema and each workload's fields,
//! what each record becomes, the Sigma service and names it is routed by, what is quarantined and
//! why, and the Panther test fixtures in
//! `$VIGIL_CORPUS/panther-analysis-tests/Microsoft365_Audit_*.jsonl` (skipped, with a message,
//! when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use serde_json::Value;
use vigil_decode::{Options, Scanned, detect, scan_unit};
use vigil_model::{Event, OcsfClass, Severity, Status, account_change, api, authentication, group};

mod common;
use common::{auto, corpus, quarantined_with_reasons};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Microsoft 365 corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "m365.json";

fn one(data: &str) -> Event {
    let (mut ev, q) = auto(data);
    assert!(q.is_empty(), "{q:?}");
    assert_eq!(ev.len(), 1);
    ev.remove(0)
}

/// The Sigma service and the record as Sigma sees it, for each record of a payload.
fn scanned(data: &str) -> Vec<(Option<String>, Value)> {
    let mut out = Vec::new();
    scan_unit("m365.json", data.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s {
            out.push((r.log_name().map(str::to_string), r.value().clone()));
        }
    });
    out
}

fn service(data: &str) -> Option<String> {
    scanned(data).remove(0).0
}

const LOGIN_FAILED: &str = r#"{"CreationTime":"2024-03-04T08:00:12","Id":"1b0e7c2a-0001-4c4e-8d2e-0a1b2c3d4e5f","Operation":"UserLoginFailed","OrganizationId":"org-1","RecordType":15,"ResultStatus":"Success","UserKey":"10037FFE8000AAAA","UserType":0,"Version":1,"Workload":"AzureActiveDirectory","ClientIP":"[2001:db8::7]:50411","ObjectId":"00000002-0000-0ff1-ce00-000000000000","UserId":"alice@example.com","AzureActiveDirectoryEventType":1,"ExtendedProperties":[{"Name":"ResultStatusDetail","Value":"Success"},{"Name":"UserAgent","Value":"Mozilla/5.0 (Windows NT 10.0)"},{"Name":"RequestType","Value":"Login:login"}],"ApplicationId":"89bee1f7-5e6e-4d8a-9f3d-ecd601259da7","LogonError":"InvalidUserNameOrPassword"}"#;

#[test]
fn a_failed_login_is_a_failed_logon_whatever_result_status_says() {
    let e = one(LOGIN_FAILED);
    assert_eq!((e.class, e.activity_id), (OcsfClass::Authentication, authentication::LOGON));
    assert_eq!(e.time, 1_709_539_212_000, "a zoneless CreationTime is UTC");
    assert_eq!(e.metadata.format, "m365");
    assert_eq!(e.metadata.vendor, "Microsoft");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("1b0e7c2a-0001-4c4e-8d2e-0a1b2c3d4e5f"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("UserLoginFailed"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("AzureActiveDirectory"));
    assert_eq!(e.status, Some(Status::Failure));
    assert_eq!(e.status_detail.as_deref(), Some("InvalidUserNameOrPassword"));
    let u = e.user.as_ref().unwrap();
    assert_eq!((u.name.as_deref(), u.uid.as_deref()), (Some("alice@example.com"), Some("10037FFE8000AAAA")));
    assert_eq!(u.email.as_deref(), Some("alice@example.com"));
    assert_eq!(u.r#type.as_deref(), Some("User"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("alice@example.com"));
    assert_eq!(e.actor.app_name.as_deref(), Some("89bee1f7-5e6e-4d8a-9f3d-ecd601259da7"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("2001:db8::7"), "no brackets, no port");
    assert_eq!(e.http.as_ref().unwrap().user_agent.as_deref(), Some("Mozilla/5.0 (Windows NT 10.0)"));
    let c = e.cloud.as_ref().unwrap();
    assert_eq!((c.provider.as_deref(), c.account_uid.as_deref()), (Some("Microsoft 365"), Some("org-1")));
    assert_eq!(e.api.as_ref().unwrap().service.as_deref(), Some("AzureActiveDirectory"));
    assert_eq!(e.raw, LOGIN_FAILED, "the record as written is kept");
    // A successful sign-in.
    let ok = LOGIN_FAILED.replace("UserLoginFailed", "UserLoggedIn");
    let e = one(&ok);
    assert_eq!((e.class, e.status), (OcsfClass::Authentication, Some(Status::Success)));
    // Sigma: service audit, the extended properties at the top level, the record's own names kept.
    let (svc, v) = scanned(&ok).remove(0);
    assert_eq!(svc.as_deref(), Some("audit"));
    assert_eq!(v["RequestType"], "Login:login");
    assert_eq!(v["UserAgent"], "Mozilla/5.0 (Windows NT 10.0)");
    assert_eq!(v["ResultStatus"], "Success");
    assert_eq!(v["eventSource"], "AzureActiveDirectory");
    assert_eq!(v["eventName"], "UserLoggedIn");
    assert_eq!(v["status"], "success");
    assert!(v["ExtendedProperties"].is_array(), "the list itself is kept");
}

#[test]
fn directory_changes_are_account_and_group_management() {
    let add = r#"{"CreationTime":"2024-03-04T09:01:00","Id":"d-1","Operation":"Add member to role.","OrganizationId":"org-1","RecordType":8,"ResultStatus":"Success","UserKey":"1003AAAA@example.com","UserType":0,"Workload":"AzureActiveDirectory","ObjectId":"bob@example.com","UserId":"admin@example.com","AzureActiveDirectoryEventType":1,"ModifiedProperties":[{"Name":"Role.ObjectID","NewValue":"62e90394-69f5-4237-9190-012177145e10","OldValue":""},{"Name":"Role.DisplayName","NewValue":"Global Administrator","OldValue":""}],"Target":[{"ID":"User_8f1e","Type":2},{"ID":"bob@example.com","Type":5}]}"#;
    let e = one(add);
    assert_eq!((e.class, e.activity_id), (OcsfClass::GroupManagement, group::ADD_USER));
    assert_eq!(e.group.as_ref().unwrap().name.as_deref(), Some("Global Administrator"));
    assert_eq!(e.group.as_ref().unwrap().uid.as_deref(), Some("62e90394-69f5-4237-9190-012177145e10"));
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob@example.com"));
    assert_eq!(e.actor.user.as_ref().unwrap().name.as_deref(), Some("admin@example.com"));
    assert_eq!(e.status, Some(Status::Success));
    let group = add.replace("Add member to role.", "Add member to group.");
    assert_eq!((one(&group).class, one(&group).activity_id), (OcsfClass::GroupManagement, group::ADD_USER));
    let remove = add.replace("Add member to role.", "Remove member from role.");
    assert_eq!(one(&remove).activity_id, group::REMOVE_USER);
    for (op, want) in [
        ("Add user.", account_change::CREATE),
        ("Delete user.", account_change::DELETE),
        ("Reset user password.", account_change::PASSWORD_RESET),
        ("Change user password.", account_change::PASSWORD_CHANGE),
        ("Disable account.", account_change::DISABLE),
        ("Disable Strong Authentication.", account_change::MFA_DISABLE),
    ] {
        let e = one(&add.replace("Add member to role.", op));
        assert_eq!((e.class, e.activity_id), (OcsfClass::AccountChange, want), "{op}");
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob@example.com"), "{op}: the target is ObjectId");
    }
    // `Update user.` that clears or adds strong authentication methods.
    let mfa = |old: &str, new: &str| {
        format!(
            r#"{{"CreationTime":"2024-03-04T09:02:00","Id":"d-2","Operation":"Update user.","OrganizationId":"org-1","RecordType":8,"ResultStatus":"Success","UserKey":"Not Available","UserType":4,"Workload":"AzureActiveDirectory","ObjectId":"bob@example.com","UserId":"ServicePrincipal_1","ModifiedProperties":[{{"Name":"StrongAuthenticationMethod","NewValue":"{new}","OldValue":"{old}"}}]}}"#
        )
    };
    let off = one(&mfa("[{\\\"MethodType\\\": 7}]", "[]"));
    assert_eq!((off.class, off.activity_id), (OcsfClass::AccountChange, account_change::MFA_DISABLE));
    assert_eq!(off.actor.user.as_ref().unwrap().uid, None, "\"Not Available\" is no key");
    assert_eq!(off.actor.user.as_ref().unwrap().r#type.as_deref(), Some("System"));
    assert_eq!(one(&mfa("[]", "[{\\\"MethodType\\\": 7}]")).activity_id, account_change::MFA_ENABLE);
    assert_eq!(service(add).as_deref(), Some("audit"));
}

/// As Panther's fixtures have Exchange records: every key lower-cased, a `:port` on the address.
const INBOX_RULE: &str = r#"{"clientip":"198.51.100.20:10736","creationtime":"2024-03-04 11:11:11.000000000","externalaccess":false,"id":"x-1","objectid":"alice@example.com\\Move mail","operation":"New-InboxRule","organizationid":"org-1","organizationname":"example.onmicrosoft.com","originatingserver":"AM0PR01MB1234 (15.20.7452.000)","parameters":[{"Name":"Name","Value":"Move mail"},{"Name":"ForwardTo","Value":"drop@example.net"},{"Name":"DeleteMessage","Value":"True"}],"recordtype":1,"resultstatus":"True","userid":"alice@example.com","userkey":"10032001ABCDEF12","usertype":2,"workload":"Exchange"}"#;

#[test]
fn exchange_cmdlets_are_api_activity_with_their_parameters() {
    let e = one(INBOX_RULE);
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::CREATE));
    assert_eq!(e.time, 1_709_550_671_000);
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("198.51.100.20"));
    assert_eq!(e.status, Some(Status::Success), "ResultStatus True");
    let a = e.api.as_ref().unwrap();
    assert_eq!((a.service.as_deref(), a.operation.as_deref()), (Some("Exchange"), Some("New-InboxRule")));
    assert_eq!(a.request_data.as_deref(), Some("Name=Move mail; ForwardTo=drop@example.net; DeleteMessage=True"));
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!((actor.name.as_deref(), actor.r#type.as_deref()), (Some("alice@example.com"), Some("Admin")));
    assert_eq!(e.cloud.as_ref().unwrap().account_uid.as_deref(), Some("org-1"));
    let (svc, v) = scanned(INBOX_RULE).remove(0);
    assert_eq!(svc.as_deref(), Some("audit"));
    assert_eq!(v["Operation"], "New-InboxRule", "the schema's names beside the lower-cased ones");
    assert_eq!(
        v["Parameters"],
        serde_json::json!(["Name=Move mail", "ForwardTo=drop@example.net", "DeleteMessage=True"]),
        "parameters as strings a Sigma value can match"
    );
    assert_eq!(v["eventSource"], "Exchange");
    assert_eq!(v["status"], "success");
    for (op, want) in [
        ("Set-Mailbox", api::UPDATE),
        ("Remove-MailboxPermission", api::DELETE),
        ("Get-Mailbox", api::READ),
        ("MailItemsAccessed", api::READ),
        ("HardDelete", api::DELETE),
        ("UpdateInboxRules", api::UPDATE),
    ] {
        let e = one(&INBOX_RULE.replace("New-InboxRule", op));
        assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, want), "{op}");
    }
    let failed = INBOX_RULE.replace(r#""resultstatus":"True""#, r#""resultstatus":"False""#);
    assert_eq!(one(&failed).status, Some(Status::Failure));
}

#[test]
fn file_operations_read_the_file_and_its_verb() {
    let dl = r#"{"CreationTime":"2024-03-05T14:20:00","Id":"f-1","Operation":"FileDownloaded","OrganizationId":"org-1","RecordType":6,"UserKey":"i:0h.f|membership|10032001@live.com","UserType":0,"Version":1,"Workload":"SharePoint","ClientIP":"192.0.2.44","ObjectId":"https://example.sharepoint.com/sites/fin/Shared Documents/q1.xlsx","UserId":"carol@example.com","EventSource":"SharePoint","ItemType":"File","Site":"s-1","UserAgent":"OneDriveMpc-Transform_Thumbnail/1.0","SiteUrl":"https://example.sharepoint.com/sites/fin/","SourceFileExtension":"xlsx","SourceFileName":"q1.xlsx","SourceRelativeUrl":"Shared Documents"}"#;
    let e = one(dl);
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::READ));
    assert_eq!(e.status, None, "no ResultStatus, no status");
    assert_eq!(e.http.as_ref().unwrap().user_agent.as_deref(), Some("OneDriveMpc-Transform_Thumbnail/1.0"));
    let a = e.api.as_ref().unwrap();
    assert_eq!(a.request_data.as_deref(), Some("https://example.sharepoint.com/sites/fin/Shared Documents/q1.xlsx"));
    assert_eq!(a.service.as_deref(), Some("SharePoint"));
    assert_eq!(one(&dl.replace("FileDownloaded", "FileDeleted")).activity_id, api::DELETE);
    assert_eq!(one(&dl.replace("FileDownloaded", "FileUploaded")).activity_id, api::CREATE);
    assert_eq!(one(&dl.replace("FileDownloaded", "FileModified")).activity_id, api::UPDATE);
    assert_eq!(one(&dl.replace("FileDownloaded", "FileCheckOutDiscarded")).activity_id, api::OTHER);
    // Without a workload, the record type names it.
    let no_workload = dl.replace(r#""Workload":"SharePoint","#, "");
    assert_eq!(one(&no_workload).api.unwrap().service.as_deref(), Some("SharePoint"));
    assert_eq!(service(dl).as_deref(), Some("audit"));
}

const ALERT: &str = r#"{"CreationTime":"2024-03-06T07:30:00","Id":"a-1","Operation":"AlertTriggered","OrganizationId":"org-1","RecordType":40,"ResultStatus":"Succeeded","UserKey":"SecurityComplianceAlerts","UserType":4,"Version":1,"Workload":"SecurityComplianceCenter","ObjectId":"7c9f1e2d-aaaa-bbbb-cccc-0123456789ab","UserId":"SecurityComplianceAlerts","AlertId":"7c9f1e2d-aaaa-bbbb-cccc-0123456789ab","AlertType":"System","Name":"Suspicious inbox forwarding","PolicyId":"p-1","Status":"Active","Severity":"Medium","Category":"ThreatManagement","Source":"Cloud App Security","Comments":"New alert","Data":"{\"f3u\":\"alice@example.com\",\"op\":\"New-InboxRule\"}","EntityType":"User"}"#;

#[test]
fn compliance_center_alerts_are_findings_in_threat_management() {
    let e = one(ALERT);
    assert_eq!(e.class, OcsfClass::DetectionFinding);
    assert_eq!(e.message.as_deref(), Some("Suspicious inbox forwarding"));
    assert_eq!(e.severity, Severity::Medium);
    assert_eq!(e.status_detail.as_deref(), Some("Active"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("SecurityComplianceCenter"));
    let a = e.api.as_ref().unwrap();
    assert_eq!(a.request_uid.as_deref(), Some("7c9f1e2d-aaaa-bbbb-cccc-0123456789ab"));
    assert_eq!(a.request_data.as_deref(), Some("ThreatManagement: Suspicious inbox forwarding"));
    let (svc, v) = scanned(ALERT).remove(0);
    assert_eq!(svc.as_deref(), Some("threat_management"));
    assert_eq!(v["eventSource"], "SecurityComplianceCenter");
    assert_eq!(v["eventName"], "Suspicious inbox forwarding", "an alert's name, not its operation");
    assert_eq!(v["status"], "success");
    assert_eq!(v["Payload"], v["Data"]);
    // A compliance-center cmdlet is an audit record, not an alert.
    let cmdlet = r#"{"CreationTime":"2024-03-06T07:31:00","Id":"c-1","Operation":"New-ComplianceSearchAction","OrganizationId":"org-1","RecordType":18,"ResultStatus":"True","UserKey":"admin@example.com","UserType":2,"Workload":"SecurityComplianceCenter","ObjectId":"search-1_Export","UserId":"admin@example.com","Parameters":"-SearchName \"search-1\" -Export -Format \"FxStream\""}"#;
    let e = one(cmdlet);
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::CREATE));
    assert_eq!(service(cmdlet).as_deref(), Some("audit"));
    assert_eq!(scanned(cmdlet).remove(0).1.get("Payload"), None);
}

#[test]
fn sniffing_tells_it_from_the_other_microsoft_logs() {
    for rec in [LOGIN_FAILED, INBOX_RULE, ALERT] {
        let v: Value = serde_json::from_str(rec).unwrap();
        assert_eq!(detect(&v).name(), "m365");
    }
    let azure = r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"t","resultType":"0"}"#;
    assert_eq!(detect(&serde_json::from_str(azure).unwrap()).name(), "azure");
    // A record that merely has an `Operation` and a creation time is not one.
    let other = r#"{"CreationTime":"2024-03-04T08:00:12","Operation":"x","Status":"ok"}"#;
    assert_ne!(detect(&serde_json::from_str(other).unwrap()).name(), "m365");
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (r#"{"CreationTime":"2024-03-04T08:00:12","Workload":"Exchange","OrganizationId":"o"}"#, "'Operation'"),
        (r#"{"CreationTime":"2024-03-04T08:00:12","Operation":7}"#, "'Operation'"),
        (r#"{"CreationTime":"2024-03-04T08:00:12","Operation":"  "}"#, "'Operation'"),
        (r#"{"CreationTime":"2024-03-04T08:00:12","Operation":null}"#, "'Operation'"),
        (r#"{"Operation":"FileAccessed","Workload":"SharePoint"}"#, "no usable timestamp (looked for CreationTime)"),
        (r#"{"CreationTime":"yesterday","Operation":"FileAccessed"}"#, "'CreationTime'"),
        (r#"{"CreationTime":true,"Operation":"FileAccessed"}"#, "'CreationTime'"),
        (r#"[["UserLoggedIn"]]"#, "a JSON array is not a Microsoft 365 audit record"),
        (r#""UserLoggedIn""#, "not a Microsoft 365 audit record"),
        (r#"null"#, "not a Microsoft 365 audit record"),
    ];
    quarantined_with_reasons("m365", &cases);
}

#[test]
fn panther_microsoft365_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    // Entra ID: two sign-ins (one without a Workload, named by its record type) and two
    // `Update user.` records adding and clearing strong authentication. Exchange: ten admin
    // cmdlets (Set-Mailbox, New-InboxRule), keys lower-cased. OneDrive: five sharing records.
    for (file, want, want_classes, want_services, want_activities) in [
        (
            "Microsoft365_Audit_AzureActiveDirectory.jsonl",
            4,
            r#"{"m365:AccountChange": 2, "m365:Authentication": 2}"#,
            r#"{"audit": 4}"#,
            r#"{"Update user.": 2, "UserLoggedIn": 1, "UserLoginFailed": 1}"#,
        ),
        (
            "Microsoft365_Audit_Exchange.jsonl",
            10,
            r#"{"m365:ApiActivity": 10}"#,
            r#"{"audit": 10}"#,
            r#"{"New-InboxRule": 3, "Set-Mailbox": 7}"#,
        ),
        (
            "Microsoft365_Audit_SharePoint.jsonl",
            5,
            r#"{"m365:ApiActivity": 5}"#,
            r#"{"audit": 5}"#,
            r#"{"AddedToSecureLink": 5}"#,
        ),
    ] {
        let path = root.join("panther-analysis-tests").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), want, "{file}");
        let (ev, q) = auto(&text);
        let mut classes: BTreeMap<String, usize> = BTreeMap::new();
        let mut ops: BTreeMap<String, usize> = BTreeMap::new();
        for e in &ev {
            *classes.entry(format!("{}:{:?}", e.metadata.format, e.class)).or_default() += 1;
            *ops.entry(e.metadata.event_code.clone().unwrap_or_default()).or_default() += 1;
        }
        let mut by_service: BTreeMap<String, usize> = BTreeMap::new();
        for (s, _) in scanned(&text) {
            *by_service.entry(s.unwrap_or_else(|| "-".into())).or_default() += 1;
        }
        println!(
            "{file}: {} records, {} decoded, {} quarantined; {classes:?}; {by_service:?}",
            lines.len(),
            ev.len(),
            q.len()
        );
        assert!(q.is_empty(), "{file}: {q:?}");
        assert_eq!(ev.len(), want, "{file}");
        assert_eq!(format!("{classes:?}"), want_classes, "{file}");
        assert_eq!(format!("{by_service:?}"), want_services, "{file}");
        assert_eq!(format!("{ops:?}"), want_activities, "{file}");
        for line in &lines {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(detect(&v["log"]).name(), "m365", "{file}: sniffed without its envelope too");
        }
        for e in &ev {
            assert!(e.time > 0 && e.cloud.as_ref().unwrap().account_uid.is_some(), "{file}");
        }
    }
    // The failed login in the fixture says `ResultStatus: Success`; it is a failure all the same.
    let aad =
        std::fs::read_to_string(root.join("panther-analysis-tests/Microsoft365_Audit_AzureActiveDirectory.jsonl"))
            .unwrap_or_default();
    let (ev, _) = auto(&aad);
    let failed: Vec<_> = ev.iter().filter(|e| e.metadata.event_code.as_deref() == Some("UserLoginFailed")).collect();
    assert_eq!(failed[0].status, Some(Status::Failure));
    let mfa: Vec<u32> = ev.iter().filter(|e| e.class == OcsfClass::AccountChange).map(|e| e.activity_id).collect();
    assert_eq!(mfa, vec![account_change::MFA_ENABLE, account_change::MFA_DISABLE]);
    // Other Microsoft logs are not this decoder's: Graph security alerts (the `defender` decoder's), Defender XDR hunting
    // rows and Intune's diagnostic export.
    for (file, want) in [
        ("MicrosoftGraph_SecurityAlertV2.jsonl", "defender"),
        ("MicrosoftDefenderXDR_AdvancedHunting.jsonl", "azure"),
        ("MicrosoftIntune_AuditLogs.jsonl", "azure"),
        ("MicrosoftIntune_OperationalLogs.jsonl", "azure"),
    ] {
        let text = std::fs::read_to_string(root.join("panther-analysis-tests").join(file)).unwrap_or_default();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let v: Value = serde_json::from_str(line).unwrap();
            assert_eq!(detect(&v["log"]).name(), want, "{file}");
        }
    }
}
