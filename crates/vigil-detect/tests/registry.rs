//! Routing follows the decoder registry: every decoder's sample record is routed to the Sigma
//! logsource its registry entry declares, a rule naming that logsource is never idle, and a
//! GitHub audit rule written the way SigmaHQ's are sees GitHub records under their own field
//! names and nothing else, as a Linux audit rule does audit records.

use vigil_decode::{DECODERS, Options, Scanned, Service, scan_unit};
use vigil_detect::route::{RouteKey, unroutable, windows_service};
use vigil_detect::view::View;
use vigil_detect::{Detector, DetectorOptions, RulePack};

#[test]
fn every_decoders_sample_routes_to_its_registered_logsource() {
    for d in DECODERS {
        let n = d.name();
        let ls = d.logsource();
        let name = format!("{n}.json");
        let mut seen = 0;
        scan_unit(&name, d.sample().as_bytes(), &Options::default(), &mut |s| {
            let Scanned::Record(r) = s else { panic!("{n}: sample quarantined") };
            seen += 1;
            let (view, src) = View::new(r.family(), r.value(), r.log_name());
            assert_eq!(src.product, ls.product, "{n}: product");
            match ls.service {
                Service::Fixed(s) => assert_eq!(src.service, Some(s), "{n}"),
                Service::LogName => {
                    assert!(src.service.is_some(), "{n}: routed by its log name");
                    assert_eq!(src.service, r.log_name(), "{n}");
                }
                Service::OneOf(names) => {
                    let s = src.service.unwrap_or_else(|| panic!("{n}: the sample states one of its services"));
                    assert!(names.contains(&s), "{n}: {s}");
                    assert_eq!(src.service, r.log_name(), "{n}");
                }
                Service::None => assert_eq!(src.service, None, "{n}"),
                Service::WindowsChannel => {
                    assert!(matches!(view, View::Windows(_)), "{n}: read as a Windows event");
                    let channel = view.flat_json().get("Channel").and_then(|c| c.as_str().map(str::to_string));
                    assert_eq!(
                        src.service,
                        channel.as_deref().and_then(windows_service),
                        "{n}: service of the channel"
                    );
                    assert!(src.service.is_some(), "{n}");
                }
            }
            match ls.category {
                Some(c) => assert!(src.categories.contains(&c), "{n}"),
                None if ls.service != Service::WindowsChannel => assert!(src.categories.is_empty(), "{n}"),
                None => {}
            }
        });
        assert_eq!(seen, 1, "{n}");
    }
}

#[test]
fn a_rule_for_any_registered_logsource_is_routable() {
    for d in DECODERS {
        let ls = d.logsource();
        let service = match ls.service {
            Service::Fixed(s) => Some(s.to_string()),
            Service::LogName => Some("conn".to_string()),
            Service::OneOf(names) => names.first().map(|s| s.to_string()),
            Service::WindowsChannel => Some("security".to_string()),
            Service::None => None,
        };
        let key =
            RouteKey { product: ls.product.map(str::to_string), service, category: ls.category.map(str::to_string) };
        assert_eq!(unroutable(&key), None, "{}: {key}", d.name());
    }
    let other = RouteKey { product: Some("github".into()), service: Some("webhook".into()), category: None };
    let why = unroutable(&other).expect("no decoder gives github/webhook");
    assert!(why.contains("'audit'") && why.contains("'webhook'"), "{why}");
}

/// As SigmaHQ's `rules/application/github/audit/github_new_org_member.yml` has it.
const GITHUB_NEW_MEMBER: &str = r#"
title: New Github Organization Member Added
id: 3908d64a-3c06-4091-b503-b3a94424533b
status: test
logsource:
    product: github
    service: audit
detection:
    selection:
        action:
            - 'org.add_member'
            - 'org.join'
    condition: selection
level: informational
"#;

const GITHUB_BY_FIELDS: &str = r#"
title: A repository of one organization destroyed by one actor
id: 44444444-4444-4444-4444-444444444444
logsource:
    product: github
    service: audit
detection:
    selection:
        action: repo.destroy
        actor: octocat
        org: acme-corp
        repo|endswith: /secrets
        actor_location.country_code: DE
    condition: selection
level: high
"#;

const CLOUDTRAIL_ANY: &str = r#"
title: Any CloudTrail call
id: 55555555-5555-5555-5555-555555555555
logsource:
    product: aws
    service: cloudtrail
detection:
    selection:
        eventName|exists: true
    condition: selection
level: low
"#;

#[test]
fn github_rules_see_github_records_under_their_own_field_names() {
    let mut pack = RulePack::default();
    for (i, t) in [GITHUB_NEW_MEMBER, GITHUB_BY_FIELDS, CLOUDTRAIL_ANY].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    let s = pack.summary();
    assert_eq!((s.active, s.idle), (3, 0), "{s:?}");
    let det = Detector::new(&pack, DetectorOptions::default());

    let github = |line: &str| line.to_string();
    let lines = [
        // The registry's sample: org.add_member.
        github(DECODERS.iter().find(|d| d.name() == "github").unwrap().sample()),
        github(
            r#"{"@timestamp":1706799491000,"_document_id":"x1","action":"repo.destroy","actor":"octocat","actor_location":{"country_code":"DE"},"org":"acme-corp","repo":"acme-corp/secrets"}"#,
        ),
        // Same action from a CloudTrail record: a GitHub rule must not see it.
        r#"{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","action":"org.add_member","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"}}"#.to_string(),
    ];
    let mut fired: Vec<(usize, String)> = Vec::new();
    let data = lines.join("\n");
    let mut occ = vigil_decode::Occurrences::default();
    let mut i = 0;
    scan_unit("audit.json", data.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(h) = det.check(&r, &mut occ, false).hits
        {
            for a in h.alerts {
                fired.push((i, a.rule.id.clone()));
            }
        }
        i += 1;
    });
    fired.sort();
    assert_eq!(
        fired,
        vec![
            (0, "3908d64a-3c06-4091-b503-b3a94424533b".to_string()),
            (1, "44444444-4444-4444-4444-444444444444".to_string()),
            (2, "55555555-5555-5555-5555-555555555555".to_string()),
        ]
    );
}

const AUDITD_MKNOD: &str = r#"
title: Mknod from a raw syscall number
id: 66666666-6666-6666-6666-666666666666
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: 'SYSCALL'
        SYSCALL: 'mknod'
    condition: selection
level: low
"#;

const AUDITD_ARECORD: &str = r#"
title: Audio capture
id: 77777777-7777-7777-7777-777777777777
logsource:
    product: linux
    service: auditd
detection:
    selection:
        type: EXECVE
        a0: arecord
        a1: '-vv'
    condition: selection
level: low
"#;

/// SigmaHQ's `linux`/`auditd` rules see audit records by the fields auditd writes: `type`, a
/// syscall's name named from its raw number for the record's architecture, `EXECVE`
/// arguments decoded from hexadecimal; a CloudTrail rule sees none of them.
#[test]
fn auditd_rules_see_audit_records_under_auditd_field_names() {
    let mut pack = RulePack::default();
    for (i, t) in [AUDITD_MKNOD, AUDITD_ARECORD, CLOUDTRAIL_ANY].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert_eq!((pack.summary().active, pack.summary().idle), (3, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let log = [
        "type=SYSCALL msg=audit(1675255174.901:1): arch=c000003e syscall=133 success=yes exit=0 pid=7 comm=\"mknod\"",
        // i386 numbers mknod 14: the architecture decides.
        "type=SYSCALL msg=audit(1675255174.901:2): arch=40000003 syscall=14 success=yes exit=0 pid=8",
        "type=SYSCALL msg=audit(1675255174.901:3): arch=c000003e syscall=14 success=yes exit=0 pid=9",
        // `-vv` written in hexadecimal, as auditd does for arguments it will not quote.
        "type=EXECVE msg=audit(1675255174.901:4): argc=2 a0=\"arecord\" a1=2D7676",
    ]
    .join("\n");
    let mut fired: Vec<(usize, String)> = Vec::new();
    let (mut occ, mut i) = (vigil_decode::Occurrences::default(), 0);
    scan_unit("audit.log", log.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(h) = det.check(&r, &mut occ, false).hits
        {
            fired.extend(h.alerts.into_iter().map(|a| (i, a.rule.id)));
        }
        i += 1;
    });
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "66666666-6666-6666-6666-666666666666"),
            want(1, "66666666-6666-6666-6666-666666666666"),
            want(3, "77777777-7777-7777-7777-777777777777"),
        ]
    );
}

/// As SigmaHQ's `rules/cloud/azure/signin_logs/azure_account_lockout.yml` has it: the Log
/// Analytics column name (`ResultType`), which the diagnostic export writes as `resultType`.
const AZURE_LOCKOUT: &str = r#"
title: Account Lockout
id: 2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a
logsource:
    product: azure
    service: signinlogs
detection:
    selection:
        ResultType: 50053
    condition: selection
level: medium
"#;

/// A rule on the export's own names (`operationName`), for the activity log.
const AZURE_VM_DELETE: &str = r#"
title: Virtual machine deleted
id: 88888888-8888-8888-8888-888888888888
logsource:
    product: azure
    service: activitylogs
detection:
    selection:
        operationName|endswith: '/VIRTUALMACHINES/DELETE'
    condition: selection
level: low
"#;

/// A property under the Log Analytics column name (`ActivityDisplayName`, the export's
/// `properties.activityDisplayName`), for directory audits.
const AZURE_ROLE_MEMBER: &str = r#"
title: Member added to a role
id: 99999999-9999-9999-9999-999999999999
logsource:
    product: azure
    service: auditlogs
detection:
    selection:
        ActivityDisplayName: Add member to role
    condition: selection
level: low
"#;

/// Azure rules see Azure records by their service (the record's category) under both the
/// export's names and the Log Analytics columns; a rule of one service sees no other's records.
#[test]
fn azure_rules_see_azure_records_by_service_under_both_names() {
    let mut pack = RulePack::default();
    for (i, t) in [AZURE_LOCKOUT, AZURE_VM_DELETE, AZURE_ROLE_MEMBER].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert_eq!((pack.summary().active, pack.summary().idle), (3, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        // 0: a lockout, as the diagnostic export writes it.
        r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"t","resultType":"50053","properties":{"userPrincipalName":"a@example.com"}}"#,
        // 1: the same as a Log Analytics row.
        r#"{"TimeGenerated":"2025-01-15T09:30:45Z","Type":"SigninLogs","OperationName":"Sign-in activity","Category":"SignInLogs","ResultType":"50053","UserPrincipalName":"a@example.com"}"#,
        // 2: a VM deleted, in the activity log.
        r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE","category":"Administrative","resultType":"Success","callerIpAddress":"192.0.2.1"}"#,
        // 3: the same operation in a resource log: not the activity log's service.
        r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/subscriptions/s/x","operationName":"MICROSOFT.COMPUTE/VIRTUALMACHINES/DELETE","category":"StorageWrite","callerIpAddress":"192.0.2.1"}"#,
        // 4: a role membership, a directory audit.
        r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Add member to role","category":"AuditLogs","tenantId":"t","properties":{"activityDisplayName":"Add member to role","loggedByService":"Core Directory"}}"#,
        // 5: a sign-in whose error code is in a property of another name: no lockout.
        r#"{"time":"2025-01-15T09:30:45Z","resourceId":"/tenants/t/providers/Microsoft.aadiam","operationName":"Sign-in activity","category":"SignInLogs","tenantId":"t","resultType":"0","properties":{"status":{"errorCode":50053}}}"#,
    ]
    .join("\n");
    let mut fired: Vec<(usize, String)> = Vec::new();
    let (mut occ, mut i) = (vigil_decode::Occurrences::default(), 0);
    scan_unit("azure.json", lines.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(h) = det.check(&r, &mut occ, false).hits
        {
            fired.extend(h.alerts.into_iter().map(|a| (i, a.rule.id)));
        }
        i += 1;
    });
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a"),
            want(1, "2b7d6fc0-71ac-4cf7-8ed1-b5788ee5257a"),
            want(2, "88888888-8888-8888-8888-888888888888"),
            want(4, "99999999-9999-9999-9999-999999999999"),
        ]
    );
}

/// SigmaHQ's `rules/cloud/m365/threat_management/microsoft365_susp_inbox_forwarding.yml`, written
/// against the Security & Compliance Center alert in another log's names (`eventSource`,
/// `eventName`, `status`).
const M365_SUSP_FORWARDING: &str = r#"
title: Suspicious Inbox Forwarding
id: 6c220477-0b5b-4b25-bb90-66183b4089e8
status: test
description: Detects when a Microsoft Cloud App Security reported suspicious email forwarding rules, for example, if a user created an inbox rule that forwards a copy of all emails to an external address.
references:
    - https://learn.microsoft.com/en-us/defender-cloud-apps/anomaly-detection-policy
    - https://learn.microsoft.com/en-us/defender-cloud-apps/policy-template-reference
author: Austin Songer @austinsonger
date: 2021-08-22
modified: 2022-10-09
tags:
    - attack.exfiltration
    - attack.t1020
logsource:
    service: threat_management
    product: m365
detection:
    selection:
        eventSource: SecurityComplianceCenter
        eventName: 'Suspicious inbox forwarding'
        status: success
    condition: selection
falsepositives:
    - Unknown
level: low
"#;

/// SigmaHQ's `rules/cloud/m365/audit/microsoft365_disabling_mfa.yml`, on the audit record's own
/// `Operation`.
const M365_DISABLING_MFA: &str = r#"
title: Disabling Multi Factor Authentication
id: 60de9b57-dc4d-48b9-a6a0-b39e0469f876
status: test
description: Detects disabling of Multi Factor Authentication.
references:
    - https://research.splunk.com/cloud/c783dd98-c703-4252-9e8a-f19d9f5c949e/
author: Splunk Threat Research Team (original rule), Harjot Singh @cyb3rjy0t (sigma rule)
date: 2023-09-18
tags:
    - attack.persistence
    - attack.credential-access
    - attack.defense-impairment
    - attack.t1556.006
logsource:
    service: audit
    product: m365
detection:
    selection:
        Operation|contains: 'Disable Strong Authentication.'
    condition: selection
falsepositives:
    - Unlikely
level: high
"#;

/// SigmaHQ's `rules-threat-hunting/cloud/m365/audit/microsoft365_susp_inbox_rule_creation_or_update_activity.yml`,
/// on Exchange's `Parameters`, a list of `{"Name", "Value"}` objects.
const M365_INBOX_RULE: &str = r#"
title: Inbox Rules Creation Or Update Activity in O365
id: d3577be1-42c9-44a7-b56e-2e8de97349d3
status: experimental
description: |
    Detects inbox rule creation or update via O365 Audit logs, a technique commonly observed in Business Email Compromise (BEC) attacks to hide emails.
    The usage of inbox rules can be a sign of a compromised mailbox, where an attacker is attempting to evade detections by suppressing or redirecting incoming emails.
    Analysts should review these rules in context, validate whether they reflect normal user behavior, and correlate with other indicators such as unusual login activity or recent mailbox rule modifications.
references:
    - https://redcanary.com/threat-detection-report/techniques/email-hiding-rules/
    - https://learn.microsoft.com/it-it/powershell/module/exchangepowershell/set-inboxrule?view=exchange-ps
    - https://learn.microsoft.com/it-it/powershell/module/exchangepowershell/new-inboxrule?view=exchange-ps
author: Marco Pedrinazzi (@pedrinazziM) (InTheCyber)
date: 2026-01-09
tags:
    - attack.stealth
    - attack.t1564.008
    - attack.exfiltration
    - attack.collection
    - attack.t1114.003
    - detection.threat-hunting
logsource:
    service: audit
    product: m365
    definition: "Requirements: The 'Parameters' field is a list of dict. A correct mapping to the 'Value' field inside is recommended to avoid greedy search"
detection:
    selection:
        Operation:
            - 'New-InboxRule'
            - 'Set-InboxRule'
        Parameters|contains:
            - 'DeleteMessage'
            - 'MarkAsRead'
            - 'MoveToFolder'
            - 'SubjectOrBodyContainsWords'
    condition: selection
falsepositives:
    - Legitimate inbox rules created by users or administrators to manage email flow such as filtering, organizing, or automating email handling.
level: medium
"#;

/// Microsoft 365 rules see alerts as `threat_management` under the alert names SigmaHQ writes
/// them with, and every other record as `audit` under its own names; neither sees the other's.
#[test]
fn m365_rules_see_alerts_and_audit_records_by_service() {
    let mut pack = RulePack::default();
    for (i, t) in [M365_SUSP_FORWARDING, M365_DISABLING_MFA, M365_INBOX_RULE].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert_eq!((pack.summary().active, pack.summary().idle), (3, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        // 0: the alert, as the Management Activity API gives it.
        r#"{"CreationTime":"2024-03-06T07:30:00","Id":"a-1","Operation":"AlertTriggered","OrganizationId":"org-1","RecordType":40,"ResultStatus":"Succeeded","UserKey":"SecurityComplianceAlerts","UserType":4,"Workload":"SecurityComplianceCenter","UserId":"SecurityComplianceAlerts","AlertId":"al-1","AlertType":"System","Name":"Suspicious inbox forwarding","Status":"Active","Severity":"Low","Category":"ThreatManagement","Source":"Cloud App Security","Data":"{}"}"#,
        // 1: an audit record with the same workload and an operation of that name: not an alert.
        r#"{"CreationTime":"2024-03-06T07:30:00","Id":"a-2","Operation":"Suspicious inbox forwarding","OrganizationId":"org-1","RecordType":18,"ResultStatus":"Succeeded","UserKey":"k","UserType":2,"Workload":"SecurityComplianceCenter","UserId":"admin@example.com"}"#,
        // 2: MFA disabled for a user, an Entra audit record.
        r#"{"CreationTime":"2024-03-06T07:31:00","Id":"d-1","Operation":"Disable Strong Authentication.","OrganizationId":"org-1","RecordType":8,"ResultStatus":"Success","UserKey":"k","UserType":0,"Workload":"AzureActiveDirectory","ObjectId":"bob@example.com","UserId":"admin@example.com"}"#,
        // 3: an inbox rule that deletes what it forwards, keys lower-cased as some shippers write them.
        r#"{"clientip":"198.51.100.20:10736","creationtime":"2024-03-06 07:32:00","id":"x-1","objectid":"alice@example.com\\Move mail","operation":"New-InboxRule","organizationid":"org-1","parameters":[{"Name":"Name","Value":"Move mail"},{"Name":"ForwardTo","Value":"drop@example.net"},{"Name":"DeleteMessage","Value":"True"}],"recordtype":1,"resultstatus":"True","userid":"alice@example.com","userkey":"k","usertype":2,"workload":"Exchange"}"#,
        // 4: an inbox rule that only flags mail: none of the rule's parameters.
        r#"{"CreationTime":"2024-03-06T07:33:00","Id":"x-2","Operation":"New-InboxRule","OrganizationId":"org-1","Parameters":[{"Name":"Name","Value":"Flag"},{"Name":"MarkImportance","Value":"High"}],"RecordType":1,"ResultStatus":"True","UserId":"alice@example.com","UserKey":"k","UserType":2,"Workload":"Exchange"}"#,
    ]
    .join("\n");
    let mut fired: Vec<(usize, String)> = Vec::new();
    let (mut occ, mut i) = (vigil_decode::Occurrences::default(), 0);
    scan_unit("m365.json", lines.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(h) = det.check(&r, &mut occ, false).hits
        {
            fired.extend(h.alerts.into_iter().map(|a| (i, a.rule.id)));
        }
        i += 1;
    });
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "6c220477-0b5b-4b25-bb90-66183b4089e8"),
            want(2, "60de9b57-dc4d-48b9-a6a0-b39e0469f876"),
            want(3, "d3577be1-42c9-44a7-b56e-2e8de97349d3"),
        ]
    );
}
