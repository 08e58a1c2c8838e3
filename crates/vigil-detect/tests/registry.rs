//! Routing follows the decoder registry: every decoder's sample record is routed to the Sigma
//! logsource its registry entry declares, a rule naming that logsource is never idle, and a
//! GitHub audit rule written the way SigmaHQ's are sees GitHub records under their own field
//! names and nothing else, as a Linux audit rule does audit records, and Google Cloud and
//! Kubernetes audit rules their records under the names SigmaHQ writes them with, OneLogin
//! and Cisco Duo rules their events, Google Workspace rules Workspace activity by service, and
//! SigmaHQ's generic `category: dns` rules Cisco Umbrella's DNS log, and SigmaHQ's Linux built-in
//! rules syslog messages by the service that wrote them.

use vigil_decode::{DECODERS, Options, Scanned, Service, scan_unit};
use vigil_detect::route::{RouteKey, unroutable, windows_service};
use vigil_detect::view::View;
use vigil_detect::{Detector, DetectorOptions, RulePack};

/// The rules `det` fires on each record of `data`, scanned as the unit `name`: the record's
/// index and the rule's id, in order.
fn fired(det: &Detector, name: &str, data: &str) -> Vec<(usize, String)> {
    let mut fired = Vec::new();
    let (mut occ, mut i) = (vigil_decode::Occurrences::default(), 0);
    scan_unit(name, data.as_bytes(), &Options::default(), &mut |s| {
        if let Scanned::Record(r) = s
            && let Some(h) = det.check(&r, &mut occ, false).hits
        {
            fired.extend(h.alerts.into_iter().map(|a| (i, a.rule.id)));
        }
        i += 1;
    });
    fired
}

/// The rules of a folder of the SigmaHQ snapshot in `$VIGIL_CORPUS`, none rejected; `None`, with
/// a message naming `what` is skipped, when `VIGIL_CORPUS` is not set.
fn sigmahq_pack(folder: &str, what: &str) -> Option<RulePack> {
    let Some(root) = std::env::var_os("VIGIL_CORPUS") else {
        println!("skipping {what}: VIGIL_CORPUS is not set");
        return None;
    };
    let pack = RulePack::load(&[std::path::PathBuf::from(root).join(folder)]);
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    Some(pack)
}

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
    let mut fired = fired(&det, "audit.json", &lines.join("\n"));
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
    let fired = fired(&det, "audit.log", &log);
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
    let fired = fired(&det, "azure.json", &lines);
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

/// As SigmaHQ's `rules/linux/process_creation/proc_creation_lnx_base64_decode.yml` has it.
const LINUX_BASE64_DECODE: &str = r#"
title: Decode Base64 Encoded Text
id: e2072cab-8c9a-459b-b63c-40ae79e27031
logsource:
    category: process_creation
    product: linux
detection:
    selection:
        Image|endswith: '/base64'
        CommandLine|contains: '-d'
    condition: selection
level: low
"#;

/// The same selection for Windows: it must never see a Linux process.
const WINDOWS_BASE64_DECODE: &str = r#"
title: Base64 decode on Windows
id: 12121212-1212-1212-1212-121212121212
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '/base64'
        CommandLine|contains: '-d'
    condition: selection
level: low
"#;

/// A Sysmon for Linux process creation, as it writes it to syslog.
fn linux_sysmon_line(image: &str, cmd: &str, record: u32) -> String {
    format!(
        "Oct 14 19:37:12 web1 sysmon: <Event><System><Provider Name=\"Linux-Sysmon\" Guid=\"{{ff032593-a8d3-4f13-b0d6-01fc615a0f97}}\"/><EventID>1</EventID><Version>5</Version><Level>4</Level><Task>1</Task><Opcode>0</Opcode><Keywords>0x8000000000000000</Keywords><TimeCreated SystemTime=\"2021-10-14T19:37:12.873000000Z\"/><EventRecordID>{record}</EventRecordID><Correlation/><Execution ProcessID=\"23581\" ThreadID=\"23581\"/><Channel>Linux-Sysmon/Operational</Channel><Computer>web1</Computer><Security UserId=\"0\"/></System><EventData><Data Name=\"RuleName\">-</Data><Data Name=\"UtcTime\">2021-10-14 19:37:12.875</Data><Data Name=\"ProcessGuid\">{{5e5b1c5e-8e38-6168-a89a-a4c1c7550000}}</Data><Data Name=\"ProcessId\">23598</Data><Data Name=\"Image\">{image}</Data><Data Name=\"FileVersion\">-</Data><Data Name=\"Description\">-</Data><Data Name=\"Product\">-</Data><Data Name=\"Company\">-</Data><Data Name=\"OriginalFileName\">-</Data><Data Name=\"CommandLine\">{cmd}</Data><Data Name=\"CurrentDirectory\">/root</Data><Data Name=\"User\">root</Data><Data Name=\"LogonGuid\">{{5e5b1c5e-0000-0000-0000-000000000000}}</Data><Data Name=\"LogonId\">0</Data><Data Name=\"TerminalSessionId\">3</Data><Data Name=\"IntegrityLevel\">no level</Data><Data Name=\"Hashes\">-</Data><Data Name=\"ParentProcessGuid\">{{5e5b1c5e-8e2f-6168-c5d1-1cd4d9550000}}</Data><Data Name=\"ParentProcessId\">23581</Data><Data Name=\"ParentImage\">/usr/bin/bash</Data><Data Name=\"ParentCommandLine\">-bash</Data><Data Name=\"ParentUser\">root</Data></EventData></Event>"
    )
}

/// Sysmon for Linux's events (event XML in syslog lines, or the same event in a JSON shape) are
/// routed to SigmaHQ's `linux` rules of their category, and never to the `windows` ones.
#[test]
fn linux_rules_see_sysmon_for_linux_events_and_windows_rules_do_not() {
    let mut pack = RulePack::default();
    for (i, t) in [LINUX_BASE64_DECODE, WINDOWS_BASE64_DECODE].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert_eq!((pack.summary().active, pack.summary().idle), (2, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let syslog = [
        linux_sysmon_line("/usr/bin/base64", "base64 -d /tmp/payload.b64", 67),
        linux_sysmon_line("/usr/bin/whoami", "whoami", 68),
        linux_sysmon_line("/usr/bin/base64", "base64 --decode", 69),
    ]
    .join("\n");
    // The same event as xmltodict JSON, and a Windows Sysmon event with the same data.
    let json = [
        r##"{"Event":{"System":{"Provider":{"@Name":"Linux-Sysmon"},"EventID":1,"TimeCreated":{"@SystemTime":"2021-10-14T19:37:12.873Z"},"Channel":"Linux-Sysmon/Operational","Computer":"web1"},"EventData":{"Data":[{"@Name":"Image","#text":"/usr/bin/base64"},{"@Name":"CommandLine","#text":"base64 -d x"}]}}}"##,
        r##"{"Event":{"System":{"Provider":{"@Name":"Microsoft-Windows-Sysmon"},"EventID":1,"TimeCreated":{"@SystemTime":"2021-10-14T19:37:12.873Z"},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1"},"EventData":{"Data":[{"@Name":"Image","#text":"/usr/bin/base64"},{"@Name":"CommandLine","#text":"base64 -d x"}]}}}"##,
    ]
    .join("\n");
    let mut fired: Vec<(String, usize, String)> = Vec::new();
    for (name, data) in [("syslog", &syslog), ("events.json", &json)] {
        let (mut occ, mut i) = (vigil_decode::Occurrences::default(), 0);
        scan_unit(name, data.as_bytes(), &Options::default(), &mut |s| {
            let Scanned::Record(r) = s else { panic!("{name}: record {i} quarantined") };
            if let Some(h) = det.check(&r, &mut occ, false).hits {
                fired.extend(h.alerts.into_iter().map(|a| (name.to_string(), i, a.rule.id)));
            }
            i += 1;
        });
    }
    let want = |f: &str, n: usize, id: &str| (f.to_string(), n, id.to_string());
    let linux = "e2072cab-8c9a-459b-b63c-40ae79e27031";
    assert_eq!(
        fired,
        vec![
            want("syslog", 0, linux),
            want("syslog", 2, linux),
            want("events.json", 0, linux),
            want("events.json", 1, "12121212-1212-1212-1212-121212121212"),
        ]
    );
    // Decoded as Sysmon's process creation, on a Linux device.
    let mut events = Vec::new();
    vigil_decode::decode_unit("syslog", syslog.as_bytes(), &Options::default(), &mut |d| {
        if let vigil_decode::Decoded::Event(e) = d {
            events.push(*e);
        }
    });
    assert_eq!(events.len(), 3);
    let e = &events[0];
    assert_eq!(e.class, vigil_model::OcsfClass::ProcessActivity);
    assert_eq!(e.metadata.product, "Sysmon for Linux");
    assert_eq!(e.metadata.format, "windows-xml");
    let dev = e.device.as_ref().unwrap();
    assert_eq!((dev.hostname.as_deref(), dev.os.as_deref()), (Some("web1"), Some("Linux")));
    assert_eq!(e.process.as_ref().unwrap().cmd_line.as_deref(), Some("base64 -d /tmp/payload.b64"));
}

/// As SigmaHQ's `rules/cloud/gcp/audit/gcp_service_account_disabled_or_deleted.yml` has it
/// (Elastic's `gcp.audit.*` names).
const GCP_SERVICE_ACCOUNT_DELETED: &str = r#"
title: Google Cloud Service Account Disabled or Deleted
id: 13f81a90-a69c-4fab-8f07-b5bb55416a9f
status: test
logsource:
    product: gcp
    service: gcp.audit
detection:
    selection:
        gcp.audit.method_name|endswith:
            - .serviceAccounts.disable
            - .serviceAccounts.delete
    condition: selection
level: medium
"#;

/// As SigmaHQ's `rules/cloud/gcp/audit/gcp_access_policy_deleted.yml` has it (`data.protoPayload.*`
/// names, a permission inside the `authorizationInfo` array, `granted` a JSON boolean).
const GCP_ACCESS_POLICY_DELETED: &str = r#"
title: GCP Access Policy Deleted
id: 32438676-1dba-4ac7-bf69-b86cba995e05
status: test
logsource:
    product: gcp
    service: gcp.audit
detection:
    selection:
        data.protoPayload.authorizationInfo.permission:
            - 'accesscontextmanager.accessPolicies.delete'
            - 'accesscontextmanager.accessPolicies.accessLevels.delete'
            - 'accesscontextmanager.accessPolicies.accessZones.delete'
            - 'accesscontextmanager.accessPolicies.authorizedOrgsDescs.delete'
        data.protoPayload.authorizationInfo.granted: 'true'
        data.protoPayload.serviceName: 'accesscontextmanager.googleapis.com'
    condition: selection
level: medium
"#;

/// The entry's `resource` and log id under `data.protoPayload`, as SigmaHQ's break-glass rule
/// names them, and the entry's own fields.
const GCP_BY_FIELDS: &str = r#"
title: A pod created in a GKE cluster, by the entry's own and added names
id: 88888888-8888-8888-8888-888888888888
logsource:
    product: gcp
    service: gcp.audit
detection:
    selection:
        data.protoPayload.resource.type: 'k8s_cluster'
        data.protoPayload.logName: 'cloudaudit.googleapis.com%2Factivity'
        data.protoPayload.methodName: 'io.k8s.core.v1.pods.create'
        protoPayload.authenticationInfo.principalEmail: 'bob@example.com'
    condition: selection
level: low
"#;

/// As SigmaHQ's `rules/application/kubernetes/audit/kubernetes_audit_secrets_modified_or_deleted.yml`
/// has it.
const K8S_SECRETS_MODIFIED: &str = r#"
title: Kubernetes Secrets Modified or Deleted
id: 58d31a75-a4f8-4c40-985b-373d58162ca2
status: test
logsource:
    product: kubernetes
    service: audit
detection:
    selection:
        objectRef.resource: 'secrets'
        verb:
            - 'create'
            - 'delete'
            - 'patch'
            - 'replace'
            - 'update'
    condition: selection
level: medium
"#;

/// As SigmaHQ's `rules/application/kubernetes/audit/kubernetes_audit_rolebinding_modification.yml`
/// has it.
const K8S_ROLEBINDING_MODIFIED: &str = r#"
title: Kubernetes Rolebinding Modification
id: 10b97915-ec8d-455f-a815-9a78926585f6
status: test
logsource:
    product: kubernetes
    service: audit
detection:
    selection:
        objectRef.apiGroup: 'rbac.authorization.k8s.io'
        objectRef.resource:
            - 'clusterrolebindings'
            - 'rolebindings'
        verb:
            - 'create'
            - 'delete'
            - 'patch'
            - 'replace'
            - 'update'
    condition: selection
level: medium
"#;

/// As SigmaHQ's `rules/application/kubernetes/audit/kubernetes_audit_privileged_pod_creation.yml`
/// has it: `capabilities` is a name the decoder adds (the capabilities a pod's containers add).
const K8S_PRIVILEGED_POD: &str = r#"
title: Privileged Container Deployed
id: c5cd1b20-36bb-488d-8c05-486be3d0cb97
status: test
logsource:
    category: application
    product: kubernetes
    service: audit
detection:
    selection:
        verb: 'create'
        objectRef.resource: 'pods'
        capabilities: '*'
    condition: selection
level: low
"#;

/// SigmaHQ's `gcp` / `gcp.audit` rules see Google Cloud audit entries under the names they are
/// written against (Elastic's `gcp.audit.*`, `data.protoPayload.*`) as well as the entry's own;
/// its `kubernetes` / `audit` rules see Kubernetes audit events under theirs; neither sees the
/// other's records, nor a CloudTrail record carrying the same field names.
#[test]
fn gcp_and_kubernetes_rules_see_their_records() {
    let privileged_pod_open = K8S_PRIVILEGED_POD
        .replace("    category: application\n", "")
        .replace("c5cd1b20-36bb-488d-8c05-486be3d0cb97", "99999999-9999-9999-9999-999999999999");
    let rules = [
        GCP_SERVICE_ACCOUNT_DELETED,
        GCP_ACCESS_POLICY_DELETED,
        GCP_BY_FIELDS,
        K8S_SECRETS_MODIFIED,
        K8S_ROLEBINDING_MODIFIED,
        K8S_PRIVILEGED_POD,
        &privileged_pod_open,
    ];
    let mut pack = RulePack::default();
    for (i, t) in rules.iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    // Kubernetes audit events are of SigmaHQ's `application` category: a rule asking for it and
    // the same rule leaving it open are both active.
    let s = pack.summary();
    assert_eq!((s.active, s.idle), (7, 0), "{s:?}");
    let det = Detector::new(&pack, DetectorOptions::default());

    let lines = [
        // 0: a service account deleted.
        r#"{"insertId":"e0","logName":"projects/acme/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"iam.serviceAccounts.delete","serviceName":"iam.googleapis.com","resourceName":"projects/acme/serviceAccounts/backup@acme.iam.gserviceaccount.com","authenticationInfo":{"principalEmail":"bob@example.com"},"status":{}},"resource":{"type":"service_account","labels":{"project_id":"acme"}},"timestamp":"2024-02-01T10:00:00Z"}"#,
        // 1: an access policy deleted, the permission granted.
        r#"{"insertId":"e1","logName":"organizations/42/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"google.identity.accesscontextmanager.v1.AccessContextManager.DeleteAccessPolicy","serviceName":"accesscontextmanager.googleapis.com","authorizationInfo":[{"permission":"accesscontextmanager.accessPolicies.get","granted":true},{"permission":"accesscontextmanager.accessPolicies.delete","granted":true}],"authenticationInfo":{"principalEmail":"bob@example.com"}},"resource":{"type":"audited_resource"},"timestamp":"2024-02-01T10:00:01Z"}"#,
        // 2: the same call denied: no rule.
        r#"{"insertId":"e2","logName":"organizations/42/logs/cloudaudit.googleapis.com%2Fpolicy","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"google.identity.accesscontextmanager.v1.AccessContextManager.DeleteAccessPolicy","serviceName":"accesscontextmanager.googleapis.com","authorizationInfo":[{"permission":"accesscontextmanager.accessPolicies.delete","granted":false}],"status":{"code":7}},"resource":{"type":"audited_resource"},"timestamp":"2024-02-01T10:00:02Z"}"#,
        // 3: a pod created in a GKE cluster: Google Cloud's rule, not Kubernetes'.
        r#"{"insertId":"e3","logName":"projects/acme/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"io.k8s.core.v1.pods.create","serviceName":"k8s.io","authenticationInfo":{"principalEmail":"bob@example.com"}},"resource":{"type":"k8s_cluster","labels":{"cluster_name":"c1","project_id":"acme"}},"timestamp":"2024-02-01T10:00:03Z"}"#,
        // 4: a secret deleted.
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"k4","stage":"ResponseComplete","verb":"delete","user":{"username":"bob"},"objectRef":{"resource":"secrets","namespace":"prod","name":"db","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-03-04T05:06:07Z"}"#,
        // 5: secrets listed: no rule.
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"k5","stage":"ResponseComplete","verb":"list","user":{"username":"bob"},"objectRef":{"resource":"secrets","namespace":"prod","apiVersion":"v1"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-03-04T05:06:08Z"}"#,
        // 6: a cluster role binding created.
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"k6","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"clusterrolebindings","name":"pwn","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"code":201},"requestReceivedTimestamp":"2024-03-04T05:06:09Z"}"#,
        // 7: a pod whose container adds a capability.
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"k7","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"default","name":"p","apiVersion":"v1"},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"alpine","securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}]}},"responseStatus":{"code":201},"requestReceivedTimestamp":"2024-03-04T05:06:10Z"}"#,
        // 8: a pod adding none: no rule.
        r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"k8","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"default","name":"q","apiVersion":"v1"},"requestObject":{"kind":"Pod","spec":{"containers":[{"name":"c","image":"alpine"}]}},"responseStatus":{"code":201},"requestReceivedTimestamp":"2024-03-04T05:06:11Z"}"#,
        // 9: a CloudTrail record with the same field names: neither vendor's rules see it.
        r#"{"eventVersion":"1.08","eventTime":"2024-05-01T10:00:00Z","eventSource":"eks.amazonaws.com","eventName":"DeleteSecret","verb":"delete","objectRef":{"resource":"secrets"},"gcp":{"audit":{"method_name":"iam.serviceAccounts.delete"}},"awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"}}"#,
    ];
    let data = lines.join("\n");
    let mut fired = fired(&det, "audit.json", &data);
    fired.sort();
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "13f81a90-a69c-4fab-8f07-b5bb55416a9f"),
            want(1, "32438676-1dba-4ac7-bf69-b86cba995e05"),
            want(3, "88888888-8888-8888-8888-888888888888"),
            want(4, "58d31a75-a4f8-4c40-985b-373d58162ca2"),
            want(6, "10b97915-ec8d-455f-a815-9a78926585f6"),
            want(7, "99999999-9999-9999-9999-999999999999"),
            want(7, "c5cd1b20-36bb-488d-8c05-486be3d0cb97"),
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
    let fired = fired(&det, "m365.json", &lines);
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "6c220477-0b5b-4b25-bb90-66183b4089e8"),
            // The alert is Microsoft's own too: raised beside the rule as a vendor alert.
            want(0, "m365:Suspicious inbox forwarding"),
            want(2, "60de9b57-dc4d-48b9-a6a0-b39e0469f876"),
            want(3, "d3577be1-42c9-44a7-b56e-2e8de97349d3"),
        ]
    );
}

/// As SigmaHQ's `rules/identity/onelogin/onelogin_assumed_another_user.yml` has it.
const ONELOGIN_ASSUMED: &str = r#"
title: OneLogin User Assumed Another User
id: 62fff148-278d-497e-8ecd-ad6083231a35
status: test
logsource:
    product: onelogin
    service: onelogin.events
detection:
    selection:
        event_type_id: 3
    condition: selection
level: low
"#;

/// As SigmaHQ's `rules/identity/onelogin/onelogin_user_account_locked.yml` has it.
const ONELOGIN_LOCKED: &str = r#"
title: OneLogin User Account Locked
id: a717c561-d117-437e-b2d9-0118a7035d01
status: test
logsource:
    product: onelogin
    service: onelogin.events
detection:
    selection1: # Locked via API
        event_type_id: 532
    selection2: # Locked via API
        event_type_id: 553
    selection3: # Suspended via API
        event_type_id: 551
    condition: 1 of selection*
level: low
"#;

/// As SigmaHQ's `rules/identity/cisco_duo/cisco_duo_mfa_bypass_via_bypass_code.yml` has it.
const DUO_BYPASS: &str = r#"
title: Cisco Duo Successful MFA Authentication Via Bypass Code
id: 6f7e1c10-2dc9-4312-adb6-9574ff09a5c8
status: test
logsource:
    product: cisco
    service: duo
detection:
    selection:
        event_type: authentication
        reason: bypass_user
    condition: selection
level: medium
"#;

/// SigmaHQ's OneLogin rules see OneLogin events by `event_type_id` (a number or, as some stores
/// write it, text), and its Duo rule Duo authentication records by `event_type` and `reason`;
/// neither sees another vendor's record with the same fields, nor the other's records.
#[test]
fn onelogin_and_duo_rules_see_their_records() {
    let mut pack = RulePack::default();
    for (i, t) in [ONELOGIN_ASSUMED, ONELOGIN_LOCKED, DUO_BYPASS].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    assert_eq!((pack.summary().active, pack.summary().idle), (3, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        // 0: a user assumed by an administrator.
        r#"{"id":1,"account_id":9,"created_at":"2024-02-01T14:58:11Z","event_type_id":3,"user_id":7,"user_name":"bob","actor_user_id":8,"actor_user_name":"admin"}"#,
        // 1: locked via the API, the id as text.
        r#"{"id":2,"account_id":9,"created_at":"2024-02-01T14:58:12Z","event_type_id":"553","user_id":7,"user_name":"bob"}"#,
        // 2: suspended.
        r#"{"id":3,"account_id":9,"created_at":"2024-02-01T14:58:13Z","event_type_id":551,"user_id":7,"user_name":"bob"}"#,
        // 3: a login: neither rule.
        r#"{"id":4,"account_id":9,"created_at":"2024-02-01T14:58:14Z","event_type_id":5,"user_id":7,"user_name":"bob"}"#,
        // 4: a Duo authentication with a bypass code.
        r#"{"txid":"t-1","timestamp":1706799851,"event_type":"authentication","factor":"bypass_code","reason":"bypass_user","result":"success","access_device":{"ip":"198.51.100.40"},"user":{"name":"jdoe@example.com"}}"#,
        // 5: a Duo push approved.
        r#"{"txid":"t-2","timestamp":1706799852,"event_type":"authentication","factor":"duo_push","reason":"user_approved","result":"success","access_device":{"ip":"198.51.100.40"},"user":{"name":"jdoe@example.com"}}"#,
        // 6: generic JSON with the Duo rule's fields and a OneLogin id: no OneLogin or Duo rule.
        r#"{"event_type":"authentication","reason":"bypass_user","event_type_id":3,"time":"2024-02-01T14:58:15Z"}"#,
        // 7: a Duo administrator record.
        r#"{"action":"bypass_create","username":"Admin","object":"jdoe","timestamp":1706799853,"description":"{}"}"#,
    ]
    .join("\n");
    let fired = fired(&det, "idp.json", &lines);
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "62fff148-278d-497e-8ecd-ad6083231a35"),
            want(1, "a717c561-d117-437e-b2d9-0118a7035d01"),
            want(2, "a717c561-d117-437e-b2d9-0118a7035d01"),
            want(4, "6f7e1c10-2dc9-4312-adb6-9574ff09a5c8"),
        ]
    );
}

/// As SigmaHQ's `rules/cloud/gcp/gworkspace/admin/gcp_gworkspace_mfa_disabled.yml` has it.
const GWS_MFA_DISABLED: &str = r#"
title: Google Workspace MFA Disabled
id: 780601d1-6376-4f2a-884e-b8d45599f78c
status: test
logsource:
    product: gcp
    service: google_workspace.admin
detection:
    selection_base:
        eventService: admin.googleapis.com
        eventName:
            - ENFORCE_STRONG_AUTHENTICATION
            - ALLOW_STRONG_AUTHENTICATION
    selection_eventValue:
        new_value: 'false'
    condition: all of selection*
level: medium
"#;

/// As SigmaHQ's `rules/cloud/gcp/gworkspace/admin/gcp_gworkspace_application_access_levels_modified.yml`
/// has it.
const GWS_ACCESS_LEVELS: &str = r#"
title: Google Workspace Application Access Level Modified
id: 22f2fb54-5312-435d-852f-7c74f81684ca
status: test
logsource:
    product: gcp
    service: google_workspace.admin
detection:
    selection:
        eventService: 'admin.googleapis.com'
        eventName: 'CHANGE_APPLICATION_SETTING'
        setting_name|startswith: 'ContextAwareAccess'
    condition: selection
level: medium
"#;

/// As SigmaHQ's `rules/cloud/gcp/gworkspace/login/gcp_gworkspace_suspicious_login.yml` has it
/// (`Servicename` as that rule writes it).
const GWS_SUSPICIOUS_LOGIN: &str = r#"
title: Google Workspace Suspicious Login
id: 38360161-76c4-4283-842e-efcf997dafc8
status: test
logsource:
    product: gcp
    service: google_workspace.login
detection:
    selection:
        protoPayload.Servicename: 'login.googleapis.com'
        protoPayload.metadata.event.eventName:
            - 'suspicious_login_less_secure_app'
            - 'suspicious_login'
            - 'suspicious_programmatic_login'
    condition: selection
level: medium
"#;

/// As SigmaHQ's `rules/cloud/gcp/gworkspace/login/gcp_gworkspace_out_of_domain_email_forwarding.yml`
/// has it.
const GWS_FORWARDING: &str = r#"
title: Google Workspace Out Of Domain Email Forwarding
id: 2a0bb2dd-eb5f-4517-8cb9-404f8ba764a5
status: test
logsource:
    product: gcp
    service: google_workspace.login
detection:
    selection:
        protoPayload.serviceName: 'login.googleapis.com'
        protoPayload.metadata.event.eventName: 'email_forwarding_out_of_domain'
    condition: selection
level: medium
"#;

/// SigmaHQ's Workspace rules see Workspace activity by its application's service, in the
/// Reports API's shape, Panther's one-event shape and Cloud Logging's, under the names they are
/// written against: an admin rule never sees a login, a login rule never an admin event, and
/// neither a Google Cloud audit entry or a CloudTrail record carrying the same names.
#[test]
fn google_workspace_rules_see_workspace_activity_by_service() {
    let mut pack = RulePack::default();
    for (i, t) in [GWS_MFA_DISABLED, GWS_ACCESS_LEVELS, GWS_SUSPICIOUS_LOGIN, GWS_FORWARDING].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    assert_eq!((pack.summary().active, pack.summary().idle), (4, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        // 0: enforcement of 2-step verification turned off (Reports API).
        r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T11:00:00Z","uniqueQualifier":"1","applicationName":"admin","customerId":"C1"},"actor":{"email":"admin@example.com"},"events":[{"type":"SECURITY_SETTINGS","name":"ENFORCE_STRONG_AUTHENTICATION","parameters":[{"name":"NEW_VALUE","value":"false"},{"name":"OLD_VALUE","value":"true"}]}]}"#,
        // 1: turned on: no rule.
        r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T11:00:01Z","uniqueQualifier":"2","applicationName":"admin","customerId":"C1"},"actor":{"email":"admin@example.com"},"events":[{"type":"SECURITY_SETTINGS","name":"ENFORCE_STRONG_AUTHENTICATION","parameters":[{"name":"NEW_VALUE","value":"true"}]}]}"#,
        // 2: a context-aware access level changed (Panther's shape).
        r#"{"id":{"applicationName":"admin","customerId":"C1","time":"2024-02-01 11:00:02.000000000","uniqueQualifier":"3"},"actor":{"email":"admin@example.com"},"kind":"admin#reports#activity","type":"APPLICATION_SETTINGS","name":"CHANGE_APPLICATION_SETTING","parameters":{"APPLICATION_NAME":"Drive","SETTING_NAME":"ContextAwareAccess Policy","NEW_VALUE":"lvl1"}}"#,
        // 3: a suspicious login blocked (Reports API, login application).
        r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T11:00:03Z","uniqueQualifier":"4","applicationName":"login","customerId":"C1"},"actor":{"email":"ann@example.com"},"ipAddress":"192.0.2.44","events":[{"type":"account_warning","name":"suspicious_login","parameters":[{"name":"affected_email_address","value":"ann@example.com"}]}]}"#,
        // 4: the same, as the Login Audit log shares it with Google Cloud.
        r#"{"insertId":"c5","logName":"organizations/1/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"ann@example.com"},"serviceName":"login.googleapis.com","methodName":"google.login.LoginService.suspiciousLogin","metadata":{"@type":"type.googleapis.com/ccc_hosted_reporting.ActivityProto","event":[{"eventType":"account_warning","eventName":"suspicious_login"}]}},"timestamp":"2024-02-01T11:00:04Z"}"#,
        // 5: forwarding out of the domain (Panther's shape, login application).
        r#"{"id":{"applicationName":"login","customerId":"C1","time":"2024-02-01 11:00:05.000000000"},"actor":{"email":"ann@example.com"},"type":"email_forwarding_change","name":"email_forwarding_out_of_domain","parameters":{"email_forwarding_destination_address":"x@elsewhere.example"}}"#,
        // 6: the same event from user_accounts: the login rule is not for that service.
        r#"{"id":{"applicationName":"user_accounts","customerId":"C1","time":"2024-02-01 11:00:06.000000000"},"actor":{"email":"ann@example.com"},"type":"email_forwarding_change","name":"email_forwarding_out_of_domain"}"#,
        // 7: a login application event named like the admin rule's: not an admin event.
        r#"{"kind":"admin#reports#activity","id":{"time":"2024-02-01T11:00:07Z","applicationName":"login"},"actor":{"email":"ann@example.com"},"events":[{"type":"x","name":"ENFORCE_STRONG_AUTHENTICATION","parameters":[{"name":"NEW_VALUE","value":"false"}]}]}"#,
        // 8: a Google Cloud audit entry (gcp.audit) with the admin rule's names: no rule.
        r#"{"insertId":"g8","logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"ENFORCE_STRONG_AUTHENTICATION","serviceName":"login.googleapis.com","metadata":{"event":[{"eventName":"suspicious_login"}]}},"eventService":"admin.googleapis.com","eventName":"ENFORCE_STRONG_AUTHENTICATION","new_value":"false","timestamp":"2024-02-01T11:00:08Z"}"#,
        // 9: a CloudTrail record with the same names: no rule.
        r#"{"eventVersion":"1.08","eventTime":"2024-02-01T11:00:09Z","eventSource":"iam.amazonaws.com","eventName":"ENFORCE_STRONG_AUTHENTICATION","eventService":"admin.googleapis.com","new_value":"false","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser"}}"#,
    ]
    .join("\n");
    let fired = fired(&det, "workspace.json", &lines);
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![
            want(0, "780601d1-6376-4f2a-884e-b8d45599f78c"),
            want(2, "22f2fb54-5312-435d-852f-7c74f81684ca"),
            want(3, "38360161-76c4-4283-842e-efcf997dafc8"),
            want(4, "38360161-76c4-4283-842e-efcf997dafc8"),
            want(5, "2a0bb2dd-eb5f-4517-8cb9-404f8ba764a5"),
        ]
    );
}

/// Every SigmaHQ Workspace rule of the snapshot in `$VIGIL_CORPUS/sigma` (skipped, with a
/// message, when it is not set) is active and fires on the Workspace activity it describes, each
/// on its own record and no other: the ten rules the `gworkspace` decoder makes active.
#[test]
fn every_sigmahq_workspace_rule_fires_on_workspace_activity() {
    let Some(pack) = sigmahq_pack("sigma/rules/cloud/gcp/gworkspace", "the SigmaHQ Workspace rules") else { return };
    assert_eq!((pack.summary().rules, pack.summary().active, pack.summary().idle), (10, 10, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let admin = |n: u32, name: &str, params: &str| {
        format!(
            r#"{{"kind":"admin#reports#activity","id":{{"time":"2024-02-01T11:00:{n:02}Z","uniqueQualifier":"{n}","applicationName":"admin","customerId":"C1"}},"actor":{{"email":"admin@example.com"}},"ipAddress":"198.51.100.2","events":[{{"type":"X_SETTINGS","name":"{name}","parameters":[{params}]}}]}}"#
        )
    };
    let login = |n: u32, name: &str| {
        format!(
            r#"{{"id":{{"applicationName":"login","customerId":"C1","time":"2024-02-01 11:01:{n:02}.000000000"}},"actor":{{"email":"ann@example.com"}},"type":"account_warning","name":"{name}"}}"#
        )
    };
    let cloud = |n: u32, name: &str| {
        format!(
            r#"{{"insertId":"c{n}","logName":"organizations/1/logs/cloudaudit.googleapis.com%2Fdata_access","protoPayload":{{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"login.googleapis.com","metadata":{{"@type":"type.googleapis.com/ccc_hosted_reporting.ActivityProto","event":[{{"eventType":"account_warning","eventName":"{name}"}}]}}}},"timestamp":"2024-02-01T11:02:{n:02}Z"}}"#
        )
    };
    let lines = [
        admin(0, "REMOVE_APPLICATION", r#"{"name":"APPLICATION_NAME","value":"App"}"#),
        admin(1, "CHANGE_APPLICATION_SETTING", r#"{"name":"SETTING_NAME","value":"ContextAwareAccess Level"}"#),
        admin(2, "REMOVE_PRIVILEGE", r#"{"name":"ROLE_NAME","value":"r"}"#),
        admin(3, "GRANT_ADMIN_PRIVILEGE", r#"{"name":"USER_EMAIL","value":"bob@example.com"}"#),
        admin(4, "ALLOW_STRONG_AUTHENTICATION", r#"{"name":"NEW_VALUE","value":"false"}"#),
        admin(5, "UPDATE_ROLE", r#"{"name":"ROLE_NAME","value":"r"}"#),
        admin(6, "AUTHORIZE_API_CLIENT_ACCESS", r#"{"name":"API_CLIENT_NAME","value":"c"}"#),
        login(7, "suspicious_programmatic_login"),
        login(8, "email_forwarding_out_of_domain"),
        login(9, "gov_attack_warning"),
        cloud(10, "suspicious_login"),
        cloud(11, "gov_attack_warning"),
        // Neither: a setting changed to something else, a login.
        admin(12, "CHANGE_APPLICATION_SETTING", r#"{"name":"SETTING_NAME","value":"Other"}"#),
        login(13, "login_success"),
    ]
    .join("\n");
    let mut fired = fired(&det, "workspace.json", &lines);
    fired.sort();
    let want = |n: usize, id: &str| (n, id.to_string());
    let mut expect = vec![
        want(0, "ee2803f0-71c8-4831-b48b-a1fc57601ee4"),
        want(1, "22f2fb54-5312-435d-852f-7c74f81684ca"),
        want(2, "bf638ef7-4d2d-44bb-a1dc-a238252e6267"),
        want(3, "2d1b83e4-17c6-4896-a37b-29140b40a788"),
        want(4, "780601d1-6376-4f2a-884e-b8d45599f78c"),
        want(5, "6aef64e3-60c6-4782-8db3-8448759c714e"),
        want(6, "04e2a23a-9b29-4a5c-be3a-3542e3f982ba"),
        want(7, "38360161-76c4-4283-842e-efcf997dafc8"),
        want(8, "2a0bb2dd-eb5f-4517-8cb9-404f8ba764a5"),
        want(9, "eafe6f2b-cfec-4612-aec2-49563c33a087"),
        want(10, "38360161-76c4-4283-842e-efcf997dafc8"),
        want(11, "eafe6f2b-cfec-4612-aec2-49563c33a087"),
    ];
    expect.sort();
    assert_eq!(fired, expect);
}

/// As SigmaHQ's `rules/network/dns/net_dns_susp_telegram_api.yml` has it: no product, only the
/// `dns` category.
const DNS_TELEGRAM: &str = r#"
title: Telegram Bot API Request
id: c64c5175-5189-431b-a55e-6d9882158251
status: test
logsource:
    category: dns
detection:
    selection:
        query: 'api.telegram.org'
    condition: selection
level: medium
"#;

/// A rule in the names some DNS rules use instead (`QueryName`, `record_type`).
const DNS_QUERYNAME_TXT: &str = r#"
title: TXT lookup of one name
id: 66666666-6666-6666-6666-666666666666
logsource:
    category: dns
detection:
    selection:
        QueryName|endswith: '.example.net'
        record_type: TXT
    condition: selection
level: low
"#;

/// One Umbrella DNS record (Panther's names) for `domain`, `action` and `qtype`.
fn umbrella_line(n: u32, domain: &str, action: &str, qtype: &str) -> String {
    format!(
        r#"{{"timestamp":"2024-02-01 12:00:{n:02}.000","mostGranularIdentity":"laptop-7","internalIp":"10.1.2.3","externalIp":"203.0.113.7","action":"{action}","queryType":"{qtype}","responseCode":"NOERROR","domain":"{domain}"}}"#
    )
}

/// SigmaHQ's `category: dns` rules name no product: they see Cisco Umbrella's DNS records (the
/// one decoder declaring the category) under the names they are written in, `query` without
/// Umbrella's trailing dot, and not Zeek's DNS log, generic JSON or another vendor's record with
/// the same field.
#[test]
fn dns_category_rules_see_umbrella_records() {
    let mut pack = RulePack::default();
    for (i, t) in [DNS_TELEGRAM, DNS_QUERYNAME_TXT].iter().enumerate() {
        pack.add_yaml(&format!("r{i}.yml"), t);
    }
    pack.finish();
    assert!(pack.rejected.is_empty(), "{:?}", pack.rejected);
    assert_eq!((pack.summary().active, pack.summary().idle), (2, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        // 0: blocked lookup of the Bot API.
        umbrella_line(0, "api.telegram.org.", "Blocked", "1 (A)"),
        // 1: a TXT lookup under example.net.
        umbrella_line(1, "c2.example.net.", "Allowed", "16 (TXT)"),
        // 2: an A lookup under example.net: not the TXT rule.
        umbrella_line(2, "www.example.net.", "Allowed", "1 (A)"),
        // 3: Zeek's DNS log with the same query: Zeek declares no category.
        r#"{"_path":"dns","ts":"2024-02-01T12:00:03Z","uid":"C1","id.orig_h":"10.0.0.1","id.resp_h":"10.0.0.53","query":"api.telegram.org","qtype_name":"A"}"#.to_string(),
        // 4: generic JSON with the rule's field.
        r#"{"query":"api.telegram.org","time":"2024-02-01T12:00:04Z"}"#.to_string(),
        // 5: a Duo record: not DNS.
        r#"{"txid":"t-1","timestamp":1706799851,"event_type":"authentication","factor":"duo_push","reason":"user_approved","result":"success","access_device":{"ip":"198.51.100.40"},"user":{"name":"api.telegram.org"}}"#.to_string(),
    ]
    .join("\n");
    let fired = fired(&det, "dns.json", &lines);
    let want = |n: usize, id: &str| (n, id.to_string());
    assert_eq!(
        fired,
        vec![want(0, "c64c5175-5189-431b-a55e-6d9882158251"), want(1, "66666666-6666-6666-6666-666666666666")]
    );
}

/// Every SigmaHQ `category: dns` rule in `rules/` is active and fires on the Umbrella record it
/// describes (the TXT rule on a record that carries an answer, which Umbrella's log does not).
#[test]
fn every_sigmahq_dns_rule_fires_on_umbrella_records() {
    let Some(pack) = sigmahq_pack("sigma/rules/network/dns", "the SigmaHQ DNS rules") else { return };
    assert_eq!((pack.summary().rules, pack.summary().active, pack.summary().idle), (7, 7, 0));
    let det = Detector::new(&pack, DetectorOptions::default());
    let txt = umbrella_line(6, "t.example.org.", "Allowed", "16 (TXT)")
        .replace(r#""domain""#, r#""answer":"powershell IEX (New-Object Net.WebClient)","domain""#);
    let lines = [
        umbrella_line(0, "api.telegram.org.", "Blocked", "1 (A)"),
        umbrella_line(1, "ifferfsodp9ifjaposdfjhgosurijfaewrwergwea.com.", "Allowed", "1 (A)"),
        umbrella_line(2, "aaa.stage.12345.evil.example.", "Allowed", "16 (TXT)"),
        umbrella_line(3, "pool.minexmr.com.", "Blocked", "1 (A)"),
        umbrella_line(4, "abc.oast.fun.", "Allowed", "1 (A)"),
        umbrella_line(5, "dGVzdA==.evil.example.", "Allowed", "1 (A)"),
        txt,
        // None: an ordinary lookup.
        umbrella_line(7, "google.com.", "Allowed", "1 (A)"),
    ]
    .join("\n");
    let mut fired = fired(&det, "umbrella.json", &lines);
    fired.sort();
    let want = |n: usize, id: &str| (n, id.to_string());
    let mut expect = vec![
        want(0, "c64c5175-5189-431b-a55e-6d9882158251"),
        want(1, "3eaf6218-3bed-4d8a-8707-274096f12a18"),
        want(2, "2975af79-28c4-4d2f-a951-9095f229df29"),
        want(3, "b593fd50-7335-4682-a36c-4edcb68e4641"),
        want(4, "aff715fa-4dd5-497a-8db3-910bea555566"),
        want(5, "4153a907-2451-4e4f-a578-c52bb6881432"),
        want(6, "8ae51330-899c-4641-8125-e39f2e07da72"),
    ];
    expect.sort();
    assert_eq!(fired, expect);
}

#[test]
fn sigmahq_linux_builtin_rules_fire_on_syslog_messages_by_service() {
    let Some(pack) = sigmahq_pack("sigma/rules/linux/builtin", "the SigmaHQ Linux built-in rules") else { return };
    assert_eq!(pack.summary().idle, 0, "every built-in rule has a decoder producing its logsource");
    let det = Detector::new(&pack, DetectorOptions::default());
    let lines = [
        "<30>1 2026-03-02T10:15:00Z web1 systemd 1 - - stopping firewalld - dynamic firewall daemon",
        "<30>Mar  2 10:15:01 ns1 named[812]: client 198.51.100.9#5353: denied AXFR from 198.51.100.9",
        "<78>Mar  2 10:15:02 web1 crontab[4001]: (root) REPLACE (root)",
        "<38>Mar  2 10:15:03 web1 sshd[22]: error: Corrupted MAC on input. [preauth]",
        "<27>Mar  2 10:15:04 web1 clamd[12]: /var/www/x.php: Php.Webshell.Generic FOUND",
        "<30>Mar  2 10:15:05 ftp1 vsftpd[77]: Connection refused: too many sessions for this address.",
        "<30>Mar  2 10:15:06 gw1 guacd[5]: User joined connection (2 users now present)",
        "<86>Mar  2 10:15:07 web1 useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash",
        // None: ordinary messages, and a service's words in another program's message.
        "<38>Mar  2 10:15:08 web1 sshd[22]: Accepted publickey for alice from 203.0.113.7 port 51122 ssh2",
        "<30>Mar  2 10:15:09 web1 app[3]: (root) REPLACE (root)",
    ]
    .join("\n");
    let mut fired = fired(&det, "syslog.log", &lines);
    fired.sort();
    let want = |n: usize, id: &str| (n, id.to_string());
    let mut expect = vec![
        want(0, "49f5dfc1-f92e-4d34-96fa-feba3f6acf36"),
        want(1, "c8e35e96-19ce-4f16-aeb6-fd5588dc5365"),
        want(2, "af202fd3-7bff-4212-a25a-fb34606cfcbe"),
        want(3, "e76b413a-83d0-4b94-8e4c-85db4a5b8bdc"),
        want(4, "36aa86ca-fd9d-4456-814e-d3b1b8e1e0bb"),
        want(5, "377f33a1-4b36-4ee1-acee-1dbe4b43cfbe"),
        want(6, "1edd77db-0669-4fef-9598-165bda82826d"),
        want(7, "0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"),
    ];
    expect.sort();
    assert_eq!(fired, expect);
}
