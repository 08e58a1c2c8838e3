//! The Google Cloud audit log decoder: a Cloud Logging entry as a log sink exports it and as
//! Panther stores it, what each field becomes, the names added for Sigma, what is quarantined and
//! why, and the Panther test fixtures in `$VIGIL_CORPUS/panther-analysis-tests/GCP_AuditLog.jsonl`
//! (skipped, with a message, when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::{Options, Scanned, scan_unit};
use vigil_model::{OcsfClass, Severity, Status, api};

mod common;
use common::{auto, corpus, quarantined_with_reasons, sniffed_by_file};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Google Cloud audit corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "audit.json";

/// A service account key created through an impersonated service account, as a log sink
/// exports the Admin Activity entry (the documented `LogEntry` and `AuditLog` fields).
const KEY_CREATED: &str = r#"{"insertId":"-x7c2k1e3b9a","logName":"projects/acme-prod/logs/cloudaudit.googleapis.com%2Factivity","operation":{"id":"op-1234","producer":"iam.googleapis.com","first":true,"last":true},"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"deployer@acme-prod.iam.gserviceaccount.com","principalSubject":"serviceAccount:deployer@acme-prod.iam.gserviceaccount.com","serviceAccountKeyName":"//iam.googleapis.com/projects/acme-prod/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com/keys/abc123","serviceAccountDelegationInfo":[{"firstPartyPrincipal":{"principalEmail":"mallory@example.com"}}]},"authorizationInfo":[{"granted":true,"permission":"iam.serviceAccountKeys.create","resource":"projects/-/serviceAccounts/1234567890","resourceAttributes":{}}],"methodName":"google.iam.admin.v1.CreateServiceAccountKey","request":{"@type":"type.googleapis.com/google.iam.admin.v1.CreateServiceAccountKeyRequest","name":"projects/-/serviceAccounts/backup@acme-prod.iam.gserviceaccount.com"},"requestMetadata":{"callerIp":"198.51.100.23","callerSuppliedUserAgent":"google-cloud-sdk gcloud/460.0.0 command/gcloud.iam.service-accounts.keys.create","requestAttributes":{"time":"2024-02-01T10:00:00.120Z","auth":{}},"destinationAttributes":{}},"resourceName":"projects/-/serviceAccounts/1234567890","serviceName":"iam.googleapis.com","status":{}},"receiveTimestamp":"2024-02-01T10:00:01.000000Z","resource":{"labels":{"email_id":"backup@acme-prod.iam.gserviceaccount.com","project_id":"acme-prod","unique_id":"1234567890"},"type":"service_account"},"severity":"NOTICE","timestamp":"2024-02-01T10:00:00.095Z"}"#;

#[test]
fn sink_entry_maps_to_api_activity() {
    let (ev, q) = auto(KEY_CREATED);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::ApiActivity);
    assert_eq!(e.activity_id, api::CREATE);
    assert_eq!(e.time, 1_706_781_600_095);
    assert_eq!(e.severity, Severity::Informational);
    assert_eq!(e.status, Some(Status::Success), "an empty status is OK");
    assert_eq!(e.metadata.format, "gcp");
    assert_eq!(e.metadata.product, "Cloud Audit Logs");
    assert_eq!(e.metadata.vendor, "Google Cloud");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("-x7c2k1e3b9a"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("google.iam.admin.v1.CreateServiceAccountKey"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("cloudaudit.googleapis.com/activity"));
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!(actor.name.as_deref(), Some("deployer@acme-prod.iam.gserviceaccount.com"));
    assert_eq!(actor.email.as_deref(), Some("deployer@acme-prod.iam.gserviceaccount.com"));
    assert_eq!(actor.uid.as_deref(), Some("serviceAccount:deployer@acme-prod.iam.gserviceaccount.com"));
    assert_eq!(actor.r#type.as_deref(), Some("ServiceAccount"));
    assert!(actor.credential_uid.as_deref().is_some_and(|k| k.ends_with("/keys/abc123")));
    let session = e.actor.session.as_ref().unwrap();
    assert_eq!(session.issuer.as_deref(), Some("mallory@example.com"), "who acted through the account");
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("198.51.100.23"));
    assert!(e.http.as_ref().unwrap().user_agent.as_deref().is_some_and(|u| u.starts_with("google-cloud-sdk")));
    let a = e.api.as_ref().unwrap();
    assert_eq!(a.service.as_deref(), Some("iam.googleapis.com"));
    assert_eq!(a.operation.as_deref(), Some("google.iam.admin.v1.CreateServiceAccountKey"));
    assert_eq!(a.request_uid.as_deref(), Some("op-1234"));
    assert_eq!(a.request_data.as_deref(), Some("projects/-/serviceAccounts/1234567890"));
    assert_eq!((a.response_error.as_deref(), a.response_error_message.as_deref()), (None, None));
    let c = e.cloud.as_ref().unwrap();
    assert_eq!(
        (c.provider.as_deref(), c.account_uid.as_deref(), c.region.as_deref()),
        (Some("GCP"), Some("acme-prod"), None)
    );
    assert_eq!(e.raw, KEY_CREATED, "raw is the entry as written, without the names added for Sigma");
}

#[test]
fn denied_calls_panther_names_and_locations() {
    // Panther's shape: `@type` as `at_sign_type`, `callerIP`, lower-cased keys, `p_event_time`
    // only; a denied call (status code 7) from inside Google's network; a region from the
    // payload's resource location.
    let line = r#"{"rule_id":"GCP.X","log_types":["GCP.AuditLog"],"log":{"logname":"projects/p9/logs/cloudaudit.googleapis.com%2Fdata_access","protopayload":{"at_sign_type":"type.googleapis.com/google.cloud.audit.AuditLog","authenticationInfo":{"principalEmail":"bob@example.com"},"methodName":"v1.compute.instances.aggregatedList","requestMetadata":{"callerIP":"private"},"resourceLocation":{"currentLocations":["europe-west1-b"]},"serviceName":"compute.googleapis.com","status":{"code":7,"message":"PERMISSION_DENIED"}},"severity":"ERROR","p_event_time":"2023-03-08 18:52:52.114","p_log_type":"GCP.AuditLog"}}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::READ));
    assert_eq!(e.time, 1_678_301_572_114);
    assert_eq!(e.severity, Severity::High);
    assert_eq!(e.status, Some(Status::Failure));
    assert_eq!(e.status_detail.as_deref(), Some("PERMISSION_DENIED"));
    let a = e.api.as_ref().unwrap();
    assert_eq!(
        (a.response_error.as_deref(), a.response_error_message.as_deref()),
        (Some("7"), Some("PERMISSION_DENIED"))
    );
    assert_eq!(e.src_endpoint, None, "`private` is not an address");
    assert_eq!(e.actor.user.as_ref().unwrap().r#type.as_deref(), Some("User"));
    let c = e.cloud.as_ref().unwrap();
    assert_eq!(
        (c.account_uid.as_deref(), c.region.as_deref()),
        (Some("p9"), Some("europe-west1-b")),
        "project from logName"
    );
    assert_eq!(e.metadata.log_name.as_deref(), Some("cloudaudit.googleapis.com/data_access"));
    assert_eq!(e.raw, line, "raw is the line as read");
    // A payload without a status says nothing of the outcome.
    let (ev, _) = auto(
        r#"{"logName":"projects/p/logs/x","protoPayload":{"methodName":"storage.objects.get","serviceName":"storage.googleapis.com"},"timestamp":"2024-01-01T00:00:00Z"}"#,
    );
    assert_eq!((ev[0].status, ev[0].activity_id), (None, api::READ));
}

#[test]
fn sigma_sees_the_entry_and_the_names_sigmahq_rules_use() {
    let mut seen = Vec::new();
    scan_unit("audit.json", KEY_CREATED.as_bytes(), &Options::default(), &mut |s| {
        let Scanned::Record(r) = s else { panic!("quarantined") };
        seen.push(r.value().clone());
    });
    let v = &seen[0];
    assert_eq!(v["protoPayload"]["methodName"], "google.iam.admin.v1.CreateServiceAccountKey", "kept as written");
    assert_eq!(v["gcp"]["audit"]["method_name"], "google.iam.admin.v1.CreateServiceAccountKey");
    assert_eq!(v["gcp"]["audit"]["service_name"], "iam.googleapis.com");
    assert_eq!(
        v["gcp"]["audit"]["authentication_info"]["principal_email"],
        "deployer@acme-prod.iam.gserviceaccount.com"
    );
    assert_eq!(v["gcp"]["audit"]["request_metadata"]["caller_ip"], "198.51.100.23");
    assert_eq!(v["gcp"]["audit"]["authorization_info"][0]["permission"], "iam.serviceAccountKeys.create");
    assert_eq!(v["data"]["protoPayload"]["methodName"], "google.iam.admin.v1.CreateServiceAccountKey");
    assert_eq!(v["data"]["protoPayload"]["resource"]["type"], "service_account", "the entry's resource");
    assert_eq!(v["data"]["protoPayload"]["logName"], "cloudaudit.googleapis.com%2Factivity", "the log id");
    assert_eq!(v["data"]["protoPayload"]["authorizationInfo"][0]["granted"], true);
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let t = r#""timestamp":"2024-02-01T10:00:00Z""#;
    let cases = [
        (format!(r#"{{"logName":"l",{t}}}"#), "'protoPayload'"),
        (format!(r#"{{"protoPayload":"storage.buckets.delete",{t}}}"#), "'protoPayload'"),
        (format!(r#"{{"protoPayload":{{"serviceName":"s"}},{t}}}"#), "'protoPayload.methodName'"),
        (format!(r#"{{"protoPayload":{{"methodName":7}},{t}}}"#), "'protoPayload.methodName'"),
        (format!(r#"{{"protoPayload":{{"methodName":" "}},{t}}}"#), "'protoPayload.methodName'"),
        (
            format!(
                r#"{{"protoPayload":{{"@type":"type.googleapis.com/google.appengine.logging.v1.RequestLog","methodName":"GET"}},{t}}}"#
            ),
            "not a Google Cloud audit log",
        ),
        (r#"{"protoPayload":{"methodName":"m"}}"#.to_string(), "timestamp, receiveTimestamp, p_event_time"),
        (r#"{"protoPayload":{"methodName":"m"},"timestamp":"soon"}"#.to_string(), "'timestamp'"),
        (r#"["storage.buckets.delete"]"#.to_string(), "not a Google Cloud audit log entry"),
        ("42".to_string(), "not a Google Cloud audit log entry"),
    ];
    quarantined_with_reasons("gcp", &cases);
}

#[test]
fn panther_gcp_audit_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/GCP_AuditLog.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("GCP_AuditLog.jsonl: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
    let mut reasons = BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    for (why, n) in &reasons {
        println!("  {n} quarantined: {why}");
    }
    let mut activities = BTreeMap::new();
    for e in &ev {
        *activities.entry(e.activity_id).or_insert(0) += 1;
    }
    println!("  activities: {activities:?}");
    assert_eq!(ev.len() + q.len(), lines, "one outcome per record");
    for r in &q {
        assert_eq!(r.format, "gcp", "the envelope declares GCP.AuditLog: {r:?}");
    }
    for e in &ev {
        assert_eq!(e.class, OcsfClass::ApiActivity);
        assert_eq!(e.metadata.format, "gcp");
        assert!(e.api.as_ref().and_then(|a| a.operation.as_deref()).is_some_and(|o| !o.is_empty()));
        assert_eq!(e.cloud.as_ref().and_then(|c| c.provider.as_deref()), Some("GCP"));
    }
    // Panther's rule tests need only the fields a rule reads: 8 fixtures have no payload (a bare
    // `methodName`, an `authorizationInfo` beside it), 8 a payload without a method, 10 no time
    // at all and 1 the time "..."; every other decodes.
    assert_eq!((ev.len(), q.len()), (141, 27));
    let expect = [
        ("missing required field 'protoPayload'", 8),
        ("missing required field 'protoPayload.methodName'", 8),
        ("no usable timestamp (looked for timestamp, receiveTimestamp, p_event_time)", 10),
        ("field 'receiveTimestamp' has an unusable value \"\\\"...\\\"\"", 1),
    ];
    assert_eq!(reasons, expect.iter().map(|(w, n)| (w.to_string(), *n)).collect::<BTreeMap<_, _>>());
    assert_eq!(
        activities,
        BTreeMap::from([(api::CREATE, 66), (api::READ, 14), (api::UPDATE, 35), (api::DELETE, 12), (api::OTHER, 14)])
    );
    // Read again: the same ids.
    let (again, _) = auto(&text);
    assert_eq!(
        ev.iter().map(|e| &e.id).collect::<Vec<_>>(),
        again.iter().map(|e| &e.id).collect::<Vec<_>>(),
        "ids are stable under re-ingest"
    );
}

/// Sniffing, without the envelope's word for it: which fixtures are taken for Google Cloud audit
/// log entries, in this file and in every other Panther fixture file.
#[test]
fn sniffing_takes_gcp_entries_and_nothing_else() {
    let Some(root) = corpus(CORPUS) else { return };
    let by_file = sniffed_by_file(&root, "GCP_AuditLog.jsonl", "gcp", &mut |format, record, line| {
        if format == "gcp" {
            let pp = record.get("protoPayload").or_else(|| record.get("protopayload"));
            assert!(pp.is_some_and(|p| p.get("methodName").is_some() || p.get("serviceName").is_some()), "{line}");
        }
    });
    // The fixtures of this file that are whole entries (a payload naming a call, and a key of
    // the entry or the payload's type) are sniffed as Google Cloud; the other 19 are fragments
    // (a bare `methodName`, a payload without a method, no entry key) and read as generic JSON.
    // Elsewhere: GKE's audit entries among the Kubernetes fixtures (Panther's Kubernetes rules
    // read EKS, AKS and GKE alike) and Google Cloud entries among the shared rules' fixtures
    // filed with Asana's: each one is an AuditLog entry, and nothing else is taken for one. The
    // 5 entries of this file that carry a Google Workspace activity (`ActivityProto` metadata:
    // inbound SSO profiles, a group member added) are the `gworkspace` decoder's when sniffed.
    let expect: BTreeMap<String, BTreeMap<&str, usize>> = BTreeMap::from([
        ("Amazon_EKS_Audit.jsonl".to_string(), BTreeMap::from([("gcp", 31)])),
        ("Asana_Audit.jsonl".to_string(), BTreeMap::from([("gcp", 4)])),
        ("GCP_AuditLog.jsonl".to_string(), BTreeMap::from([("gcp", 144), ("gworkspace", 5), ("json", 19)])),
    ]);
    assert_eq!(by_file, expect);
}
