//! Vigil's built-in detections against real labeled data in `$VIGIL_CORPUS` (skips without it):
//!
//! - invictus-aws_dataset: 32 Stratus Red Team techniques detonated in one account. The dataset
//!   has no per-event labels; an event belongs to a technique when its user agent names
//!   stratus-red-team and its API call is the one the technique is about (table below, from the
//!   Stratus catalogue). Each technique is one instance for `vigil_detect::eval`.
//! - panther-analysis-tests: the CloudTrail test events of the Panther rules a Vigil detection
//!   covers, each with Panther's expected result; Vigil should fire where Panther does.
//!
//! The figures are asserted as measured, misses included: a change that moves one must explain it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use vigil_decode::{Occurrences, Options, Scanned, scan_unit};
use vigil_detect::eval::{Label, evaluate};
use vigil_detect::{Alert, Detector, DetectorOptions, RulePack};
use vigil_pipeline::{DataDir, IngestOptions, ingest};
use vigil_store::{AlertQuery, StateStore};

fn corpus() -> Option<PathBuf> {
    match std::env::var_os("VIGIL_CORPUS") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "skipping real-data detection test: VIGIL_CORPUS is not set");
            None
        }
    }
}

fn builtin() -> Detector {
    let mut pack = RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    Detector::new(&pack, DetectorOptions::default())
}

/// Stratus Red Team AWS techniques and the API calls that carry each.
const STRATUS: &[(&str, &[&str])] = &[
    ("aws.credential-access.ec2-get-password-data", &["GetPasswordData"]),
    ("aws.credential-access.secretsmanager-batch-retrieve-secrets", &["BatchGetSecretValue"]),
    ("aws.credential-access.secretsmanager-retrieve-secrets", &["GetSecretValue"]),
    ("aws.credential-access.ssm-retrieve-securestring-parameters", &["GetParameter", "GetParameters"]),
    ("aws.defense-evasion.cloudtrail-delete", &["DeleteTrail"]),
    ("aws.defense-evasion.cloudtrail-event-selectors", &["PutEventSelectors"]),
    ("aws.defense-evasion.cloudtrail-lifecycle-rule", &["PutBucketLifecycle"]),
    ("aws.defense-evasion.cloudtrail-stop", &["StopLogging"]),
    ("aws.defense-evasion.organizations-leave", &["LeaveOrganization"]),
    ("aws.defense-evasion.vpc-remove-flow-logs", &["DeleteFlowLogs"]),
    ("aws.discovery.ec2-download-user-data", &["DescribeInstanceAttribute"]),
    ("aws.discovery.ses-enumerate", &["GetAccount", "ListIdentities"]),
    ("aws.execution.ec2-launch-unusual-instances", &["RunInstances"]),
    ("aws.execution.ec2-user-data", &["ModifyInstanceAttribute"]),
    ("aws.execution.ssm-send-command", &["SendCommand"]),
    ("aws.execution.ssm-start-session", &["StartSession"]),
    ("aws.exfiltration.ec2-security-group-open-port-22-ingress", &["AuthorizeSecurityGroupIngress"]),
    ("aws.exfiltration.ec2-share-ami", &["ModifyImageAttribute"]),
    ("aws.exfiltration.ec2-share-ebs-snapshot", &["ModifySnapshotAttribute"]),
    ("aws.exfiltration.rds-share-snapshot", &["ModifyDBSnapshotAttribute"]),
    ("aws.exfiltration.s3-backdoor-bucket-policy", &["PutBucketPolicy"]),
    ("aws.impact.s3-ransomware-batch-deletion", &["DeleteObjects"]),
    ("aws.impact.s3-ransomware-client-side-encryption", &["CopyObject"]),
    ("aws.impact.s3-ransomware-individual-deletion", &["DeleteObject"]),
    ("aws.initial-access.console-login-without-mfa", &["ConsoleLogin"]),
    ("aws.persistence.iam-backdoor-role", &["UpdateAssumeRolePolicy"]),
    ("aws.persistence.iam-backdoor-user", &["CreateAccessKey"]),
    ("aws.persistence.iam-create-admin-user", &["AttachUserPolicy"]),
    ("aws.persistence.iam-create-backdoor-role", &["CreateRole"]),
    ("aws.persistence.iam-create-user-login-profile", &["CreateLoginProfile"]),
    ("aws.persistence.lambda-backdoor-function", &["AddPermission20150331v2"]),
    ("aws.persistence.lambda-layer-extension", &["PublishLayerVersion20181031"]),
    ("aws.persistence.lambda-overwrite-code", &["UpdateFunctionCode20150331v2"]),
    ("aws.persistence.rolesanywhere-create-trust-anchor", &["CreateTrustAnchor"]),
];

#[test]
fn builtin_detections_over_stratus_red_team_in_invictus() {
    let Some(root) = corpus() else { return };
    let dir = root.join("invictus-aws_dataset/CloudTrail");
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    let opts = IngestOptions {
        detector: Some(Arc::new(builtin())),
        behavior: Some(vigil_behavior::builtin().unwrap()),
        ..IngestOptions::default()
    };
    let report = ingest(&dd, std::slice::from_ref(&dir), &opts).unwrap();
    assert_eq!(report.events, 2900);
    // Labels: per technique, the ids of stratus-red-team events making its call.
    let mut by_call: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in std::fs::read_dir(&dir).unwrap().flatten() {
        let bytes = std::fs::read(f.path()).unwrap();
        let mut occ = Occurrences::default();
        scan_unit("f", &bytes, &Options::default(), &mut |s| {
            if let Scanned::Record(r) = s {
                let ua = r.value().get("userAgent").and_then(|v| v.as_str()).unwrap_or("");
                if !ua.contains("stratus-red-team") {
                    return;
                }
                let call = r.value().get("eventName").and_then(|v| v.as_str()).unwrap_or("").to_string();
                if let vigil_decode::Decoded::Event(mut e) = r.normalize() {
                    occ.number(&mut e);
                    by_call.entry(call).or_default().push(e.id.to_string());
                }
            }
        });
    }
    let labels: Vec<Label> = STRATUS
        .iter()
        .filter_map(|(t, calls)| {
            let ids: Vec<String> = calls.iter().flat_map(|c| by_call.get(*c).cloned().unwrap_or_default()).collect();
            (!ids.is_empty()).then(|| Label {
                scenario: t.to_string(),
                instance: t.to_string(),
                event_ids: ids,
                entities: Default::default(),
            })
        })
        .collect();
    let store = dd.open_store().unwrap();
    let alerts: Vec<Alert> = store
        .alerts(&AlertQuery { limit: u64::MAX, ..Default::default() })
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str(&r.json).unwrap())
        .collect();
    let r = evaluate(&labels, &alerts);
    println!("techniques with events in the dataset: {}", labels.len());
    println!("alerts {} ({} on no technique's events)", r.alerts, r.false_positive_alerts);
    for s in &r.scenarios {
        println!("{:<62} recall {:.0} by {:?}", s.name, s.recall, s.by);
    }
    for d in &r.detections {
        println!("detection {:<60} alerts {:>3} precision {:.2}", d.name, d.alerts, d.precision);
    }
    let detected: BTreeSet<String> = r.scenarios.iter().filter(|s| s.recall > 0.0).map(|s| s.name.clone()).collect();
    println!("detected: {detected:?}");
    // Measured: the built-in pack targets identity, S3 exposure, IAM escalation, ransomware and
    // exfiltration; of the 26 Stratus techniques with events here it catches these three. The one
    // alert outside them is AdministratorAccess attached during Stratus's own set-up (Terraform),
    // which the user-agent labelling does not count as a technique.
    assert_eq!(labels.len(), 26);
    assert_eq!(
        detected,
        [
            "aws.exfiltration.s3-backdoor-bucket-policy",
            "aws.persistence.iam-backdoor-user",
            "aws.persistence.iam-create-admin-user",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect::<BTreeSet<_>>()
    );
    assert_eq!((r.alerts, r.false_positive_alerts), (4, 1), "{:#?}", r.detections);
}

/// Panther rules a built-in Vigil detection covers, and that detection.
const PANTHER: &[(&str, &str)] = &[
    ("AWS.IAM.AttachAdminUserPolicy", "AdministratorAccess attached to an IAM identity"),
    ("AWS.IAM.AttachAdminRolePolicy", "AdministratorAccess attached to an IAM identity"),
    ("AWS.CloudTrail.RootAccessKeyCreated", "Access key created by the root user"),
    ("AWS.S3.DeletePublicAccessBlock", "S3 bucket public access block removed"),
];

#[test]
fn builtin_detections_against_panthers_expected_results() {
    let Some(root) = corpus() else { return };
    let det = builtin();
    let text = std::fs::read_to_string(root.join("panther-analysis-tests/AWS_CloudTrail.jsonl")).unwrap();
    // rule -> (tp, fp, fn, tn, unreadable)
    let mut m: BTreeMap<&str, [u32; 5]> = BTreeMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let rule = v["rule_id"].as_str().unwrap_or("");
        let Some((rule, vigil)) = PANTHER.iter().find(|(p, _)| *p == rule) else { continue };
        let expected = v["expected_result"].as_bool().unwrap_or(false);
        let mut fired = false;
        let mut read = false;
        let mut occ = Occurrences::default();
        scan_unit("t", line.as_bytes(), &Options::default(), &mut |s| {
            if let Scanned::Record(r) = s {
                read = true;
                if let Some(h) = det.check(&r, &mut occ, false).hits {
                    let mut all = h.alerts;
                    all.extend(h.pending.map(|p| p.alerts).unwrap_or_default());
                    fired |= all.iter().any(|a| a.rule.title == *vigil);
                }
            }
        });
        let e = m.entry(rule).or_default();
        match (read, expected, fired) {
            (false, _, _) => e[4] += 1,
            (true, true, true) => e[0] += 1,
            (true, false, true) => e[1] += 1,
            (true, true, false) => e[2] += 1,
            (true, false, false) => e[3] += 1,
        }
    }
    for (rule, c) in &m {
        println!("{rule:<40} tp {} fp {} fn {} tn {} unreadable {}", c[0], c[1], c[2], c[3], c[4]);
    }
    let measured: BTreeMap<String, [u32; 5]> = m.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    let expect: BTreeMap<String, [u32; 5]> = [
        // [agree fire, Vigil fires where Panther does not, Vigil misses, agree silent, unreadable]
        // Panther does not fire for a root user creating a key for another user; Vigil does.
        ("AWS.CloudTrail.RootAccessKeyCreated", [1, 1, 0, 0, 0]),
        ("AWS.IAM.AttachAdminRolePolicy", [1, 0, 0, 1, 0]),
        ("AWS.IAM.AttachAdminUserPolicy", [1, 0, 0, 1, 0]),
        ("AWS.S3.DeletePublicAccessBlock", [1, 0, 0, 3, 0]),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    assert_eq!(measured, expect);
}
