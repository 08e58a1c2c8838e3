//! Properties every action must have: plans equal executed calls, rate limits are retried
//! and then reported, rejected credentials come back in the vendor's words, missing
//! inputs, secrets and configuration are named before any call, and masking removes every
//! secret.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use vigil_connectors::util::{encode, encode_plus};
use vigil_connectors::{
    ActionClass, ActionContext, ConnectorError, HttpTransport, IDEMPOTENCY_KEY_PLACEHOLDER, Secrets, action, mask,
    registry,
};

use crate::common::*;

struct Case {
    name: &'static str,
    inputs: Value,
    /// A path (or query) part of the calls a rate limit is injected into.
    fault_path: &'static str,
    setup: fn(&Harness),
    /// The setting named when the connector's configuration is missing (None: it has
    /// defaults or needs none).
    missing_config: Option<(&'static str, &'static str)>,
    /// A secret to spoil, and the status and message the vendor answers with.
    bad_secret: (&'static str, u16, &'static str),
}

fn nothing(_: &Harness) {}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "okta.suspend_user",
            inputs: json!({ "user": ALICE }),
            fault_path: "/lifecycle/suspend",
            setup: nothing,
            missing_config: Some(("okta", "okta.base_url")),
            bad_secret: ("okta_token", 401, "E0000011: Invalid token provided"),
        },
        Case {
            name: "okta.unsuspend_user",
            inputs: json!({ "user": BOB }),
            fault_path: "/lifecycle/unsuspend",
            setup: nothing,
            missing_config: Some(("okta", "okta.base_url")),
            bad_secret: ("okta_token", 401, "E0000011: Invalid token provided"),
        },
        Case {
            name: "okta.clear_sessions",
            inputs: json!({ "user": ALICE }),
            fault_path: "/sessions",
            setup: nothing,
            missing_config: Some(("okta", "okta.base_url")),
            bad_secret: ("okta_token", 401, "E0000011: Invalid token provided"),
        },
        Case {
            name: "okta.reset_factors",
            inputs: json!({ "user": ALICE }),
            fault_path: "/lifecycle/reset_factors",
            setup: nothing,
            missing_config: Some(("okta", "okta.base_url")),
            bad_secret: ("okta_token", 401, "E0000011: Invalid token provided"),
        },
        Case {
            name: "entra.revoke_sessions",
            inputs: json!({ "user": ALICE_LOGIN }),
            fault_path: "/revokeSignInSessions",
            setup: nothing,
            missing_config: Some(("entra", "entra.tenant_id")),
            bad_secret: ("entra_client_secret", 401, "invalid_client: AADSTS7000215: Invalid client secret provided"),
        },
        Case {
            name: "entra.disable_account",
            inputs: json!({ "user": ALICE }),
            fault_path: "/graph/v1.0/users/",
            setup: nothing,
            missing_config: Some(("entra", "entra.tenant_id")),
            bad_secret: ("entra_client_secret", 401, "AADSTS7000215"),
        },
        Case {
            name: "entra.enable_account",
            inputs: json!({ "user": BOB }),
            fault_path: "/graph/v1.0/users/",
            setup: nothing,
            missing_config: Some(("entra", "entra.tenant_id")),
            bad_secret: ("entra_client_secret", 401, "AADSTS7000215"),
        },
        Case {
            name: "aws.deactivate_access_key",
            inputs: json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }),
            fault_path: "/aws/",
            setup: nothing,
            missing_config: None,
            bad_secret: (
                "aws_secret_access_key",
                403,
                "SignatureDoesNotMatch: The request signature we calculated does not match",
            ),
        },
        Case {
            name: "aws.activate_access_key",
            inputs: json!({ "user_name": IAM_USER, "access_key_id": KEY_INACTIVE }),
            fault_path: "/aws/",
            setup: nothing,
            missing_config: None,
            bad_secret: (
                "aws_access_key_id",
                403,
                "InvalidClientTokenId: The security token included in the request is invalid.",
            ),
        },
        Case {
            name: "crowdstrike.find_device",
            inputs: json!({ "hostname": "WS-01.acme.example" }),
            fault_path: "devices/queries",
            setup: nothing,
            missing_config: None,
            bad_secret: ("crowdstrike_client_secret", 403, "403: Failed to issue access token - Not Authorized"),
        },
        Case {
            name: "crowdstrike.contain_host",
            inputs: json!({ "device_id": HOST }),
            fault_path: "devices-actions",
            setup: nothing,
            missing_config: None,
            bad_secret: ("crowdstrike_client_secret", 403, "403: Failed to issue access token - Not Authorized"),
        },
        Case {
            name: "crowdstrike.lift_containment",
            inputs: json!({ "device_id": HOST2 }),
            fault_path: "devices-actions",
            setup: |h| {
                h.run("crowdstrike.contain_host", &json!({ "device_id": HOST2 }), "setup").expect("contained");
            },
            missing_config: None,
            bad_secret: ("crowdstrike_client_secret", 403, "Failed to issue access token"),
        },
        Case {
            name: "defender.isolate_machine",
            inputs: json!({ "machine_id": HOST, "comment": "Ransomware beacon on WS-01" }),
            fault_path: "/isolate",
            setup: nothing,
            missing_config: Some(("defender", "defender.tenant_id")),
            bad_secret: ("defender_client_secret", 401, "AADSTS7000215"),
        },
        Case {
            name: "defender.release_machine",
            inputs: json!({ "machine_id": HOST2 }),
            fault_path: "/unisolate",
            setup: |h| h.sb.seed_machine_action(HOST2, "Isolate", "Succeeded"),
            missing_config: Some(("defender", "defender.tenant_id")),
            bad_secret: ("defender_client_secret", 401, "AADSTS7000215"),
        },
        Case {
            name: "jira.create_issue",
            inputs: json!({ "summary": "Suspicious sign-in for alice", "description": "Seen from 203.0.113.9.\n\nContained." }),
            fault_path: "/rest/api/3/issue",
            setup: nothing,
            missing_config: Some(("jira", "jira.base_url")),
            bad_secret: ("jira_api_token", 401, "Client must be authenticated to access this resource."),
        },
        Case {
            name: "servicenow.create_incident",
            inputs: json!({ "summary": "Suspicious sign-in for alice", "description": "Seen from 203.0.113.9." }),
            fault_path: "/table/incident",
            setup: nothing,
            missing_config: Some(("servicenow", "servicenow.base_url")),
            bad_secret: ("servicenow_password", 401, "User Not Authenticated: Required to provide Auth information"),
        },
        Case {
            name: "github.create_issue",
            inputs: json!({ "summary": "Suspicious sign-in for alice", "description": "Seen from 203.0.113.9." }),
            fault_path: "/repos/acme/soc/issues",
            setup: nothing,
            missing_config: Some(("github", "github.repo")),
            bad_secret: ("github_token", 401, "Bad credentials"),
        },
        Case {
            name: "slack.webhook",
            inputs: json!({ "text": "Contained WS-01" }),
            fault_path: "/slack/",
            setup: nothing,
            missing_config: None,
            bad_secret: ("slack_webhook_url", 403, "invalid_token"),
        },
        Case {
            name: "teams.webhook",
            inputs: json!({ "text": "Contained WS-01", "title": "Vigil" }),
            fault_path: "/teams/",
            setup: nothing,
            missing_config: None,
            bad_secret: ("teams_webhook_url", 401, "DirectApiAuthorizationRequired"),
        },
        Case {
            name: "webhook.signed",
            inputs: json!({ "payload": { "event": "contained", "host": "WS-01" } }),
            fault_path: "/hooks/",
            setup: nothing,
            missing_config: Some(("webhook", "webhook.url")),
            bad_secret: ("webhook_secret", 401, "invalid signature"),
        },
    ]
}

const KEY: &str = "run-42.step-3";

/// `plan()` shows the placeholder where `plan_keyed` shows the key.
fn bind_key(req: &vigil_connectors::HttpRequest, key: &str) -> vigil_connectors::HttpRequest {
    let sub = |s: &str| {
        s.replace(&encode_plus(IDEMPOTENCY_KEY_PLACEHOLDER), &encode_plus(key))
            .replace(&encode(IDEMPOTENCY_KEY_PLACEHOLDER), &encode(key))
            .replace(IDEMPOTENCY_KEY_PLACEHOLDER, key)
    };
    let mut r = req.clone();
    r.url = sub(&r.url);
    r.body = r.body.as_deref().map(sub);
    for (_, v) in &mut r.headers {
        *v = sub(v);
    }
    r
}

#[test]
fn every_action_plan_equals_the_calls_it_makes() {
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        h.reset();
        let a = action(case.name).expect("action");
        let planned = a.plan_keyed(&case.inputs, &h.config, &h.secrets, KEY).expect("plans");
        let unkeyed = a.plan(&case.inputs, &h.config, &h.secrets).expect("plans");
        let out = h.run(case.name, &case.inputs, KEY).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        assert!(!out.already_done, "{}", case.name);
        let sent: Vec<_> = h.sent().iter().map(comparable).collect();
        let want: Vec<_> = planned.iter().map(comparable).collect();
        assert_eq!(sent, want, "{}: executed calls differ from the plan", case.name);
        let bound: Vec<_> = unkeyed.iter().map(|r| comparable(&bind_key(r, KEY))).collect();
        assert_eq!(bound, want, "{}: plan() differs from plan_keyed() beyond the key", case.name);
        assert_eq!(out.calls.len(), sent.len(), "{}", case.name);
        assert!(out.calls.iter().all(|c| (200..300).contains(&c.status)), "{}: {:?}", case.name, out.calls);
    }
}

#[test]
fn every_action_retries_a_rate_limit_then_succeeds() {
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        h.reset();
        h.sb.fail_next(case.fault_path, 429, Some(0));
        let out = h.run(case.name, &case.inputs, KEY).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let limited = out.calls.iter().filter(|c| c.status == 429 || c.status == 400).count();
        assert_eq!(limited, 1, "{}: {:?}", case.name, out.calls);
        assert_eq!(h.sleeps().len(), 1, "{}", case.name);
        assert!(h.sleeps()[0] <= Duration::from_secs(1), "{}: {:?}", case.name, h.sleeps());
    }
}

#[test]
fn every_action_gives_up_after_three_retries() {
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        h.reset();
        for _ in 0..4 {
            h.sb.fail_next(case.fault_path, 429, Some(0));
        }
        match h.run(case.name, &case.inputs, KEY) {
            Err(e @ ConnectorError::RateLimited { .. }) => {
                assert!(e.retryable());
                let ConnectorError::RateLimited { action, .. } = e else { unreachable!() };
                assert_eq!(action, case.name);
            }
            other => panic!("{}: expected RateLimited, got {other:?}", case.name),
        }
        assert_eq!(h.sleeps().len(), 3, "{}", case.name);
        assert_eq!(h.seen(case.fault_path).len(), 4, "{}: one call and three retries", case.name);
    }
}

#[test]
fn every_action_reports_a_rejected_credential_in_the_vendors_words() {
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        let (secret, status, message) = case.bad_secret;
        let spoiled = with_secret(&h.secrets, secret, &format!("{}x", h.secret(secret)));
        let r = h.run_with(case.name, &case.inputs, KEY, &h.config, &spoiled);
        match &r {
            Err(ConnectorError::Http { action, .. }) => assert_eq!(action, case.name),
            other => panic!("{}: {other:?}", case.name),
        }
        let text = format!("{:?}", r.as_ref().err());
        assert!(!text.contains(&h.secret(secret)), "{}: error shows the secret: {text}", case.name);
        assert_http(r, status, message);
    }
}

#[test]
fn every_action_names_what_is_missing_before_any_call() {
    for case in cases() {
        let h = Harness::new();
        (case.setup)(&h);
        h.reset();
        let a = action(case.name).expect("action");
        for input in a.required_inputs() {
            let mut inputs = case.inputs.clone();
            inputs.as_object_mut().expect("object").remove(*input);
            match h.run(case.name, &inputs, KEY) {
                Err(ConnectorError::MissingInput(n)) => assert_eq!(n, *input, "{}", case.name),
                other => panic!("{} without {input}: {other:?}", case.name),
            }
        }
        for secret in a.required_secrets() {
            match h.run_with(case.name, &case.inputs, KEY, &h.config, &without_secret(&h.secrets, secret)) {
                Err(ConnectorError::MissingSecret(n)) => assert_eq!(n, *secret, "{}", case.name),
                other => panic!("{} without {secret}: {other:?}", case.name),
            }
        }
        if let Some((connector, named)) = case.missing_config {
            let mut config = h.config.clone();
            config.as_object_mut().expect("object").remove(connector);
            match h.run_with(case.name, &case.inputs, KEY, &config, &h.secrets) {
                Err(ConnectorError::MissingConfig(n)) => assert_eq!(n, named, "{}", case.name),
                other => panic!("{} without config: {other:?}", case.name),
            }
        }
        assert!(h.sent().is_empty(), "{}: a call went out: {:?}", case.name, h.sent());
    }
}

fn secret_values(s: &Secrets) -> Vec<String> {
    s.values().map(str::to_string).collect()
}

#[test]
fn masked_plans_and_outcomes_hold_no_secret() {
    let mut names: Vec<&str> = cases().iter().map(|c| c.name).collect();
    names.push("email.smtp");
    for case in cases().into_iter().chain(std::iter::once(Case {
        name: "email.smtp",
        inputs: json!({ "to": "soc@acme.example", "subject": "Contained", "body": "WS-01 contained." }),
        fault_path: "",
        setup: nothing,
        missing_config: None,
        bad_secret: ("smtp_password", 0, ""),
    })) {
        let h = Harness::new();
        (case.setup)(&h);
        let a = action(case.name).expect("action");
        let plan = a.plan_keyed(&case.inputs, &h.config, &h.secrets, KEY).expect("plans");
        let raw = format!("{plan:?}");
        assert!(
            secret_values(&h.secrets).iter().any(|s| raw.contains(s.as_str()))
                || plan.iter().any(|r| r.header("authorization").is_some() || r.header("x-vigil-signature").is_some()),
            "{}: the unmasked plan carries no credential, so masking it proves nothing",
            case.name
        );
        let masked: Vec<_> = plan.iter().map(|r| mask(r, &h.secrets)).collect();
        let shown = format!("{masked:?}\n{}", serde_json::to_string(&masked).expect("serializes"));
        for secret in secret_values(&h.secrets) {
            assert!(!shown.contains(&secret), "{}: masked plan shows a secret: {shown}", case.name);
        }
        for r in &masked {
            for credential in ["authorization", "x-vigil-signature", "x-amz-security-token"] {
                if let Some(v) = r.header(credential) {
                    assert_eq!(v, "****", "{}: {credential}", case.name);
                }
            }
        }
        // What an execution reports holds no secret either (a webhook URL is one).
        let out = h.run(case.name, &case.inputs, KEY).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let reported = serde_json::to_string(&out).expect("serializes");
        for secret in secret_values(&h.secrets) {
            assert!(!reported.contains(&secret), "{}: outcome shows a secret: {reported}", case.name);
        }
    }
    assert_eq!(names.len(), 21);
}

#[test]
fn registry_lists_every_action_with_its_class_and_inverse() {
    let want: &[(&str, ActionClass, Option<&str>)] = &[
        ("okta.suspend_user", ActionClass::Contain, Some("okta.unsuspend_user")),
        ("okta.unsuspend_user", ActionClass::Contain, Some("okta.suspend_user")),
        ("okta.clear_sessions", ActionClass::Destructive, None),
        ("okta.reset_factors", ActionClass::Destructive, None),
        ("entra.revoke_sessions", ActionClass::Destructive, None),
        ("entra.disable_account", ActionClass::Contain, Some("entra.enable_account")),
        ("entra.enable_account", ActionClass::Contain, Some("entra.disable_account")),
        ("aws.deactivate_access_key", ActionClass::Contain, Some("aws.activate_access_key")),
        ("aws.activate_access_key", ActionClass::Contain, Some("aws.deactivate_access_key")),
        ("aws.detach_user_policy", ActionClass::Contain, Some("aws.attach_user_policy")),
        ("aws.attach_user_policy", ActionClass::Contain, Some("aws.detach_user_policy")),
        ("crowdstrike.find_device", ActionClass::Read, None),
        ("crowdstrike.contain_host", ActionClass::Contain, Some("crowdstrike.lift_containment")),
        ("crowdstrike.lift_containment", ActionClass::Contain, Some("crowdstrike.contain_host")),
        ("defender.isolate_machine", ActionClass::Contain, Some("defender.release_machine")),
        ("defender.release_machine", ActionClass::Contain, Some("defender.isolate_machine")),
        ("jira.create_issue", ActionClass::Notify, None),
        ("servicenow.create_incident", ActionClass::Notify, None),
        ("github.create_issue", ActionClass::Notify, None),
        ("slack.webhook", ActionClass::Notify, None),
        ("teams.webhook", ActionClass::Notify, None),
        ("email.smtp", ActionClass::Notify, None),
        ("webhook.signed", ActionClass::Notify, None),
    ];
    let reg = registry();
    assert_eq!(reg.len(), want.len());
    for (name, class, inverse) in want {
        let a = reg.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!(a.class(), *class, "{name}");
        assert_eq!(a.inverse(), *inverse, "{name}");
        assert!(!a.summary().is_empty());
    }
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let h = Harness::new();
    h.sb.fail_next("/lifecycle/suspend", 503, Some(7));
    // Okta answers 503 with Retry-After: a retry, after the hinted wait.
    h.run("okta.suspend_user", &json!({ "user": ALICE }), KEY).expect("suspends");
    assert_eq!(h.sleeps(), [Duration::from_secs(7)]);
    h.reset();
    let capped = json!({ "retry": { "max_wait_s": 2, "max_retries": 1 } });
    let mut config = h.config.clone();
    config["retry"] = capped["retry"].clone();
    h.sb.fail_next("/lifecycle/unsuspend", 429, Some(40));
    h.sb.fail_next("/lifecycle/unsuspend", 429, Some(40));
    match h.run_with("okta.unsuspend_user", &json!({ "user": BOB }), KEY, &config, &h.secrets) {
        Err(ConnectorError::RateLimited { retry_after_s, .. }) => {
            assert!((39..=40).contains(&retry_after_s), "{retry_after_s}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(h.sleeps(), [Duration::from_secs(2)], "one retry, its wait capped");
}

#[test]
fn the_real_transport_sleeps_for_retry_after() {
    let h = Harness::new();
    h.sb.fail_next("/revokeSignInSessions", 429, Some(1));
    let transport = HttpTransport::new(Duration::from_secs(10));
    let ctx = ActionContext { config: &h.config, secrets: &h.secrets, transport: &transport, idempotency_key: KEY };
    let started = Instant::now();
    let out =
        action("entra.revoke_sessions").expect("action").execute(&json!({ "user": ALICE }), &ctx).expect("revokes");
    assert!(started.elapsed() >= Duration::from_secs(1), "{:?}", started.elapsed());
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [200, 429, 200]);
}

#[test]
fn a_lost_answer_is_found_done_on_the_next_run() {
    // The vendor applies the call but the answer never arrives (a timeout, a crash): the
    // rerun finds the target in the wanted state and makes no second change.
    let h = Harness::new();
    h.sb.delay("/lifecycle/suspend", Duration::from_secs(3));
    let impatient = Recorder::with_timeout(Duration::from_millis(500));
    let ctx = ActionContext { config: &h.config, secrets: &h.secrets, transport: &impatient, idempotency_key: KEY };
    let a = action("okta.suspend_user").expect("action");
    match a.execute(&json!({ "user": ALICE }), &ctx) {
        Err(e @ ConnectorError::Transport(_)) => assert!(e.retryable()),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.state()["users"][ALICE]["status"], "SUSPENDED");
    h.sb.delay("/lifecycle/suspend", Duration::ZERO);
    h.reset();
    let out = h.run("okta.suspend_user", &json!({ "user": ALICE }), KEY).expect("reruns");
    assert!(out.already_done);
    assert!(h.seen("/lifecycle/").is_empty());
}

#[test]
fn secrets_from_key_value_and_json_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let kv = dir.path().join("secrets.env");
    std::fs::write(&kv, "# Vigil\nOKTA_TOKEN=00abc=def\nexport github_token='ghp_x y'\n\njira_api_token = \"ATATT\"\n")
        .expect("write");
    let s = Secrets::from_file(&kv).expect("reads");
    assert_eq!(s.get("okta_token").ok(), Some("00abc=def"));
    assert_eq!(s.get("github_token").ok(), Some("ghp_x y"));
    assert_eq!(s.get("jira_api_token").ok(), Some("ATATT"));
    let js = dir.path().join("secrets.json");
    std::fs::write(&js, r#"{"okta_token": "00json", "slack_webhook_url": "https://hooks.slack.com/services/T/B/x"}"#)
        .expect("write");
    let mut s = Secrets::from_file(&js).expect("reads");
    assert_eq!(s.get("okta_token").ok(), Some("00json"));
    assert!(!format!("{s:?}").contains("00json"));
    let mut other = Secrets::new();
    other.insert("okta_token", "00merged");
    s.merge(other);
    assert_eq!(s.get("okta_token").ok(), Some("00merged"));
    let bad = dir.path().join("bad.env");
    std::fs::write(&bad, "okta_token=fine\nsupersecretvalue\n").expect("write");
    match Secrets::from_file(&bad) {
        Err(e) => assert!(!e.to_string().contains("supersecretvalue") && e.to_string().contains("line 2"), "{e}"),
        Ok(_) => panic!("a line without = is an error"),
    }
    assert!(matches!(Secrets::from_file(&dir.path().join("absent")), Err(ConnectorError::MissingConfig(_))));
}

#[test]
fn secrets_from_the_environment() {
    if std::env::var_os("VIGIL_CONNECTORS_ENV_CHILD").is_some() {
        let s = Secrets::from_env();
        assert_eq!(s.get("okta_token").ok(), Some("00from-env"));
        assert_eq!(s.get("Github_Token").ok(), Some("ghp_env"));
        assert!(s.get("unrelated").is_err());
        return;
    }
    // The child process has the variables; this one's environment stays untouched.
    let child = std::process::Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "general::secrets_from_the_environment", "--test-threads=1"])
        .env("VIGIL_CONNECTORS_ENV_CHILD", "1")
        .env("VIGIL_SECRET_OKTA_TOKEN", "00from-env")
        .env("VIGIL_SECRET_GITHUB_TOKEN", "ghp_env")
        .env("UNRELATED", "x")
        .output()
        .expect("runs");
    let out = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success() && out.contains("1 passed"), "{out}{}", String::from_utf8_lossy(&child.stderr));
}
