//! The Kubernetes audit decoder: an API server audit event as the log backend writes it and as
//! Panther stores it, what each field becomes, the names added for Sigma, what is quarantined and
//! why, and the Panther test fixtures in `$VIGIL_CORPUS/panther-analysis-tests/Amazon_EKS_Audit.jsonl`
//! (skipped, with a message, when `VIGIL_CORPUS` is not set).

use std::collections::BTreeMap;

use vigil_decode::{Options, Scanned, scan_unit};
use vigil_model::{OcsfClass, Status, api};

mod common;
use common::{auto, corpus, quarantined_with_reasons, sniffed_by_file};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the Kubernetes audit corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "audit.log";

/// A service account creating a privileged pod in `kube-system` while impersonating an admin, as
/// the log backend writes a `RequestResponse`-level event (the documented `audit.k8s.io/v1` fields).
const PRIVILEGED_POD: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/pods?fieldManager=kubectl-client-side-apply","verb":"create","user":{"username":"system:serviceaccount:ci:deployer","uid":"7d8e9f00-1111-2222-3333-444455556666","groups":["system:serviceaccounts","system:serviceaccounts:ci","system:authenticated"]},"impersonatedUser":{"username":"cluster-admin@example.com","groups":["system:masters"]},"sourceIPs":["10.0.12.7","192.0.2.1"],"userAgent":"kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9","objectRef":{"resource":"pods","namespace":"kube-system","name":"node-shell","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"node-shell","namespace":"kube-system"},"spec":{"hostPID":true,"containers":[{"name":"shell","image":"alpine:3.19","securityContext":{"privileged":true,"capabilities":{"add":["SYS_ADMIN","NET_ADMIN"]}}}],"volumes":[{"name":"host","hostPath":{"path":"/","type":"Directory"}}]}},"requestReceivedTimestamp":"2024-03-04T05:06:07.123456Z","stageTimestamp":"2024-03-04T05:06:07.200000Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"ci-deployer\" of ClusterRole \"cluster-admin\" to ServiceAccount \"deployer/ci\"","pod-security.kubernetes.io/enforce-policy":"privileged:latest"}}"#;

#[test]
fn log_backend_event_maps_to_api_activity() {
    let (ev, q) = auto(PRIVILEGED_POD);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::ApiActivity);
    assert_eq!(e.activity_id, api::CREATE);
    assert_eq!(e.time, 1_709_528_767_123);
    assert_eq!(e.metadata.format, "kubernetes");
    assert_eq!(e.metadata.product, "Kubernetes Audit");
    assert_eq!(e.metadata.vendor, "Kubernetes");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("create"));
    assert_eq!(e.metadata.log_name.as_deref(), Some("audit"));
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!(actor.name.as_deref(), Some("system:serviceaccount:ci:deployer"));
    assert_eq!(actor.uid.as_deref(), Some("7d8e9f00-1111-2222-3333-444455556666"));
    assert_eq!(actor.r#type.as_deref(), Some("ServiceAccount"));
    assert_eq!(actor.domain.as_deref(), Some("ci"), "a service account's namespace");
    let acted_as = e.user.as_ref().unwrap();
    assert_eq!(acted_as.name.as_deref(), Some("cluster-admin@example.com"), "the impersonated user");
    assert_eq!(acted_as.email.as_deref(), Some("cluster-admin@example.com"));
    assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("10.0.12.7"), "the first source address");
    let h = e.http.as_ref().unwrap();
    assert_eq!(h.user_agent.as_deref(), Some("kubectl/v1.29.1 (linux/amd64) kubernetes/bc401b9"));
    assert_eq!(h.url.as_deref(), Some("/api/v1/namespaces/kube-system/pods?fieldManager=kubectl-client-side-apply"));
    assert_eq!(h.status, Some(201));
    assert_eq!(e.status, Some(Status::Success));
    assert!(e.status_detail.as_deref().is_some_and(|d| d.starts_with("allow: RBAC: allowed by ClusterRoleBinding")));
    let a = e.api.as_ref().unwrap();
    assert_eq!(a.operation.as_deref(), Some("create"));
    assert_eq!(a.service.as_deref(), Some("core"), "the core API group");
    assert_eq!(a.request_uid.as_deref(), Some("0c1d2e3f-4a5b-6c7d-8e9f-a0b1c2d3e4f5"));
    let object: serde_json::Value = serde_json::from_str(a.request_data.as_deref().unwrap()).unwrap();
    assert_eq!(
        object,
        serde_json::json!({"resource":"pods","namespace":"kube-system","name":"node-shell","apiVersion":"v1"})
    );
    assert_eq!((a.response_error.as_deref(), a.response_error_message.as_deref()), (None, None));
    assert_eq!(e.cloud, None);
    assert_eq!(e.raw, PRIVILEGED_POD, "raw is the event as written, without the names added for Sigma");
}

#[test]
fn forbidden_requests_panther_times_and_other_verbs() {
    // Panther's shape: no kind or apiVersion, its time format; a request the authorizer forbade.
    let line = r#"{"rule_id":"Amazon.EKS.X","log_types":["Amazon.EKS.Audit"],"log":{"annotations":{"authorization.k8s.io/decision":"forbid","authorization.k8s.io/reason":""},"auditID":"a1","objectRef":{"apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1","resource":"clusterrolebindings"},"requestReceivedTimestamp":"2022-11-29 00:09:04.38","responseStatus":{"code":403,"reason":"Forbidden","message":"clusterrolebindings.rbac.authorization.k8s.io is forbidden: User \"system:anonymous\" cannot list resource"},"sourceIPs":["8.8.8.8"],"user":{"username":"system:anonymous"},"verb":"list","p_log_type":"Amazon.EKS.Audit"}}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!((e.class, e.activity_id), (OcsfClass::ApiActivity, api::READ));
    assert_eq!(e.time, 1_669_680_544_380);
    assert_eq!(e.status, Some(Status::Failure));
    assert_eq!(e.status_detail.as_deref(), Some("forbid"), "the decision; its empty reason left out");
    assert_eq!(e.actor.user.as_ref().unwrap().r#type.as_deref(), Some("System"));
    let a = e.api.as_ref().unwrap();
    assert_eq!(a.service.as_deref(), Some("rbac.authorization.k8s.io"));
    assert_eq!(a.response_error.as_deref(), Some("Forbidden"));
    assert!(a.response_error_message.as_deref().is_some_and(|m| m.contains("is forbidden")));
    assert_eq!(e.raw, line, "raw is the line as read");
    // An event without a response (the RequestReceived stage): the decision says the outcome.
    let received = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"RequestReceived","auditID":"a2","verb":"deletecollection","user":{"username":"bob"},"objectRef":{"resource":"secrets","namespace":"prod"},"stageTimestamp":"2024-03-04T05:06:07Z","annotations":{"authorization.k8s.io/decision":"allow"}}"#;
    let (ev, _) = auto(received);
    assert_eq!((ev[0].activity_id, ev[0].status), (api::DELETE, Some(Status::Success)));
    assert_eq!(ev[0].time, 1_709_528_767_000, "the stage's time where the request's is missing");
    // A non-resource request: no object, no API group.
    let healthz = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","stage":"ResponseComplete","auditID":"a3","verb":"get","requestURI":"/healthz","user":{"username":"system:anonymous"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2024-03-04T05:06:07Z"}"#;
    let (ev, _) = auto(healthz);
    let a = ev[0].api.as_ref().unwrap();
    assert_eq!((a.service.as_deref(), a.request_data.as_deref()), (None, None));
    assert_eq!(ev[0].http.as_ref().unwrap().url.as_deref(), Some("/healthz"));
}

#[test]
fn sigma_sees_the_event_and_the_names_sigmahq_rules_use() {
    let sidecar = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"a4","verb":"patch","user":{"username":"bob"},"objectRef":{"resource":"deployments","namespace":"prod","name":"web","apiGroup":"apps","apiVersion":"v1"},"requestReceivedTimestamp":"2024-03-04T05:06:07Z"}"#;
    let data = format!("{PRIVILEGED_POD}\n{sidecar}\n");
    let mut seen = Vec::new();
    scan_unit("audit.log", data.as_bytes(), &Options::default(), &mut |s| {
        let Scanned::Record(r) = s else { panic!("quarantined") };
        seen.push(r.value().clone());
    });
    assert_eq!(seen[0]["capabilities"], serde_json::json!(["SYS_ADMIN", "NET_ADMIN"]));
    assert_eq!(seen[0]["hostPath"], serde_json::json!(["/"]));
    assert!(seen[0].get("apiGroup").is_none(), "the core group has no name");
    assert_eq!(seen[0]["objectRef"]["resource"], "pods", "kept as written");
    assert_eq!(seen[1]["apiGroup"], "apps");
    assert!(seen[1].get("capabilities").is_none() && seen[1].get("hostPath").is_none());
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let t = r#""requestReceivedTimestamp":"2024-03-04T05:06:07Z""#;
    let cases = [
        (format!(r#"{{"kind":"Event","objectRef":{{"resource":"pods"}},{t}}}"#), "'verb'"),
        (format!(r#"{{"verb":["get"],{t}}}"#), "'verb'"),
        (format!(r#"{{"verb":"",{t}}}"#), "'verb'"),
        (format!(r#"{{"verb":null,{t}}}"#), "'verb'"),
        (
            r#"{"verb":"get","objectRef":{"resource":"pods"}}"#.to_string(),
            "requestReceivedTimestamp, stageTimestamp, p_event_time",
        ),
        (r#"{"verb":"get","requestReceivedTimestamp":"yesterday"}"#.to_string(), "'requestReceivedTimestamp'"),
        (
            format!(r#"{{"kind":"EventList","apiVersion":"audit.k8s.io/v1","items":[{{"verb":"get",{t}}}]}}"#),
            "EventList",
        ),
        (r#"["create"]"#.to_string(), "not a Kubernetes audit event"),
        (r#""create""#.to_string(), "not a Kubernetes audit event"),
    ];
    quarantined_with_reasons("kubernetes", &cases);
}

#[test]
fn panther_eks_audit_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/Amazon_EKS_Audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("Amazon_EKS_Audit.jsonl: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
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
    // Every envelope names Amazon.EKS.Audit first, so every record is read as a Kubernetes audit
    // event, the Azure and GKE records filed here with them too (Panther's Kubernetes rules read
    // EKS, AKS and GKE alike): those have no verb and are quarantined naming it.
    for r in &q {
        assert_eq!(r.format, "kubernetes", "the envelope declares Amazon.EKS.Audit: {r:?}");
    }
    for e in &ev {
        assert_eq!(e.class, OcsfClass::ApiActivity);
        assert_eq!(e.metadata.format, "kubernetes");
        assert!(e.api.as_ref().and_then(|a| a.operation.as_deref()).is_some_and(|o| !o.is_empty()));
    }
    // Panther's rule tests need only the fields a rule reads, and few carry a time: 162 events
    // have none; 93 records have no verb (35 Azure activity records, 34 GKE entries, 13
    // enrichment-only fragments of other vendors, 11 audit events cut to a few fields).
    assert_eq!((ev.len(), q.len()), (15, 255));
    let expect = BTreeMap::from([
        ("missing required field 'verb'".to_string(), 93),
        ("no usable timestamp (looked for requestReceivedTimestamp, stageTimestamp, p_event_time)".to_string(), 162),
    ]);
    assert_eq!(reasons, expect);
    assert_eq!(activities, BTreeMap::from([(api::CREATE, 4), (api::READ, 11)]));
    let (again, _) = auto(&text);
    assert_eq!(
        ev.iter().map(|e| &e.id).collect::<Vec<_>>(),
        again.iter().map(|e| &e.id).collect::<Vec<_>>(),
        "ids are stable under re-ingest"
    );
}

/// Sniffing, without the envelope's word for it: what the fixtures filed as EKS audit are taken
/// for, and that no other Panther fixture is taken for a Kubernetes audit event.
#[test]
fn sniffing_takes_audit_events_and_nothing_else() {
    let Some(root) = corpus(CORPUS) else { return };
    let by_file = sniffed_by_file(&root, "Amazon_EKS_Audit.jsonl", "kubernetes", &mut |_, _, _| {});
    // Of the 270: 185 are audit events (by kind and apiVersion, or a verb beside an object
    // reference); the 31 GKE entries are Google Cloud audit log entries; 2 of the 35 AKS
    // `kube-audit` records (Azure resource logs carrying an audit event as text in
    // `properties.log`) name their resource and are read as Azure resource logs; 52 are read as
    // generic JSON (the other 33 AKS records, 13 enrichment-only fragments of other vendors, 3
    // GKE fragments without a method, 3 events with a verb and neither object nor audit id). No
    // other fixture file has anything taken for a Kubernetes audit event.
    let expect = BTreeMap::from([(
        "Amazon_EKS_Audit.jsonl".to_string(),
        BTreeMap::from([("azure", 2), ("gcp", 31), ("json", 52), ("kubernetes", 185)]),
    )]);
    assert_eq!(by_file, expect);
}
