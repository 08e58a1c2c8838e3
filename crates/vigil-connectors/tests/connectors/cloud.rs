//! AWS IAM: Query API requests signed with Signature Version 4.

use serde_json::json;
use vigil_connectors::sigv4::{
    canonical_request, parse_authorization, scope, sha256_hex, signature, signing_key, string_to_sign,
};
use vigil_connectors::util::{Url, parse_form};
use vigil_connectors::{ConnectorError, action};

use crate::common::*;

const KEY: &str = "case-9.step-2";

fn form_of(req: &vigil_connectors::HttpRequest) -> Vec<(String, String)> {
    parse_form(req.body.as_deref().unwrap_or_default())
}

#[test]
fn deactivate_lists_keys_then_updates_with_a_valid_signature() {
    let h = Harness::new();
    let inputs = json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE });
    let out = h.run("aws.deactivate_access_key", &inputs, KEY).expect("deactivates");
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    let endpoint = h.config["aws"]["endpoint"].as_str().expect("endpoint");
    for r in &sent {
        assert_eq!((r.method.as_str(), r.url.as_str()), ("POST", endpoint));
        assert_eq!(header(r, "Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
        assert_eq!(header(r, "X-Amz-Security-Token"), h.secret("aws_session_token"));
    }
    assert_eq!(
        form_of(&sent[0]),
        [
            ("Action".into(), "ListAccessKeys".into()),
            ("UserName".into(), IAM_USER.into()),
            ("Version".into(), "2010-05-08".into())
        ]
    );
    assert_eq!(
        form_of(&sent[1]),
        [
            ("Action".to_string(), "UpdateAccessKey".to_string()),
            ("AccessKeyId".into(), KEY_ACTIVE.into()),
            ("Status".into(), "Inactive".into()),
            ("UserName".into(), IAM_USER.into()),
            ("Version".into(), "2010-05-08".into())
        ]
    );
    // Check the signature independently of the signer: rebuild it from what the sandbox
    // received (its Host header included) with the shared secret.
    let update = &h.seen("/aws/")[1];
    let auth = parse_authorization(update.header("authorization").expect("auth")).expect("parses");
    assert_eq!(auth.access_key_id, h.secret("aws_access_key_id"));
    assert_eq!((auth.region.as_str(), auth.service.as_str()), ("us-east-1", "iam"));
    assert_eq!(auth.signed_headers, ["content-type", "host", "x-amz-date", "x-amz-security-token"]);
    let host = Url::parse(endpoint).expect("url").host_header();
    assert_eq!(update.header("host"), Some(host.as_str()));
    let headers: Vec<(String, String)> =
        auth.signed_headers.iter().map(|n| (n.clone(), update.header(n).expect("signed header").to_string())).collect();
    let (creq, _) =
        canonical_request("POST", &update.path, &update.query, &headers, &sha256_hex(update.body.as_bytes()));
    let stamp = update.header("x-amz-date").expect("date");
    let sts = string_to_sign(stamp, &scope(&auth.date, "us-east-1", "iam"), &creq);
    assert_eq!(
        signature(&signing_key(&h.secret("aws_secret_access_key"), &auth.date, "us-east-1", "iam"), &sts),
        auth.signature
    );

    assert_eq!(out.prior_state, Some(json!({ "status": "Active" })));
    assert_eq!(out.output, json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE, "status": "Inactive" }));
    assert_eq!(h.state()["keys"][KEY_ACTIVE]["status"], "Inactive");
    assert!(String::from_utf8_lossy(&h.received()[1].body).contains("<UpdateAccessKeyResponse"));
}

#[test]
fn deactivate_follows_the_marker_and_the_inverse_restores() {
    let h = Harness::new();
    for i in 3..=7 {
        h.sb.seed_key(IAM_USER, &format!("AKIAEXAMPLEKEY00000{i}"), "Active");
    }
    let target = "AKIAEXAMPLEKEY000007";
    let inputs = json!({ "user_name": IAM_USER, "access_key_id": target });
    let out = h.run("aws.deactivate_access_key", &inputs, KEY).expect("deactivates");
    let actions: Vec<String> = h
        .sent()
        .iter()
        .map(|r| {
            let f = form_of(r);
            let a = f.iter().find(|(k, _)| k == "Action").map(|(_, v)| v.clone()).unwrap_or_default();
            let m = f.iter().any(|(k, _)| k == "Marker");
            format!("{a}{}", if m { "+Marker" } else { "" })
        })
        .collect();
    assert_eq!(actions, ["ListAccessKeys", "ListAccessKeys+Marker", "ListAccessKeys+Marker", "UpdateAccessKey"]);
    assert_eq!(out.prior_state, Some(json!({ "status": "Active" })));
    assert_eq!(h.state()["keys"][target]["status"], "Inactive");

    let a = action("aws.deactivate_access_key").expect("action");
    assert_eq!(a.inverse(), Some("aws.activate_access_key"));
    h.run("aws.activate_access_key", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("activates");
    assert_eq!(h.state()["keys"][target]["status"], "Active");
}

#[test]
fn an_inactive_key_is_already_done_and_its_rollback_changes_nothing() {
    let h = Harness::new();
    let inputs = json!({ "user_name": IAM_USER, "access_key_id": KEY_INACTIVE });
    let out = h.run("aws.deactivate_access_key", &inputs, KEY).expect("runs");
    assert!(out.already_done);
    assert_eq!(out.prior_state, Some(json!({ "status": "Inactive" })));
    assert!(h.seen("/aws/").iter().all(|r| !r.body.contains("UpdateAccessKey")));
    h.reset();
    let a = action("aws.deactivate_access_key").expect("action");
    let undo =
        h.run("aws.activate_access_key", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("runs");
    assert!(undo.already_done);
    assert!(h.sb.requests().is_empty());
    assert_eq!(h.state()["keys"][KEY_INACTIVE]["status"], "Inactive");
}

#[test]
fn iam_errors_are_read_from_the_xml_error_response() {
    let h = Harness::new();
    assert_http(
        h.run(
            "aws.deactivate_access_key",
            &json!({ "user_name": IAM_USER, "access_key_id": "AKIANOSUCHKEY0000000" }),
            KEY,
        ),
        404,
        "NoSuchEntity: The Access Key with id AKIANOSUCHKEY0000000 cannot be found.",
    );
    assert_http(
        h.run("aws.deactivate_access_key", &json!({ "user_name": "nobody", "access_key_id": KEY_ACTIVE }), KEY),
        404,
        "NoSuchEntity: The user with name nobody cannot be found.",
    );
    h.sb.fail_next("/aws/", 403, None);
    assert_http(
        h.run("aws.deactivate_access_key", &json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }), KEY),
        403,
        "AccessDenied",
    );
    // Signing for another region is refused the way AWS refuses it.
    let eu = with_config(&h.config, "aws", "region", json!("eu-west-1"));
    assert_http(
        h.run_with(
            "aws.deactivate_access_key",
            &json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }),
            KEY,
            &eu,
            &h.secrets,
        ),
        403,
        "SignatureDoesNotMatch: Credential should be scoped to a valid region",
    );
    // Without the session token the temporary credentials are not valid.
    assert_http(
        h.run_with(
            "aws.deactivate_access_key",
            &json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }),
            KEY,
            &h.config,
            &without_secret(&h.secrets, "aws_session_token"),
        ),
        403,
        "InvalidClientTokenId",
    );
}

#[test]
fn iam_throttling_is_a_400_retried_with_backoff() {
    let h = Harness::new();
    h.sb.fail_next("/aws/", 429, None);
    h.sb.fail_next("/aws/", 429, None);
    let out = h
        .run("aws.deactivate_access_key", &json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }), KEY)
        .expect("runs");
    let statuses: Vec<u16> = out.calls.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [400, 400, 200, 200]);
    assert!(String::from_utf8_lossy(&h.received()[0].body).contains("<Code>Throttling</Code>"));
    // No hint from IAM: exponential backoff.
    assert_eq!(h.sleeps().iter().map(|d| d.as_secs()).collect::<Vec<_>>(), [1, 2]);
    for _ in 0..4 {
        h.sb.fail_next("/aws/", 429, None);
    }
    assert!(matches!(
        h.run("aws.activate_access_key", &json!({ "user_name": IAM_USER, "access_key_id": KEY_ACTIVE }), KEY),
        Err(ConnectorError::RateLimited { retry_after_s: 8, .. })
    ));
}

#[test]
fn detach_user_policy_records_it_was_attached_and_attach_restores_it() {
    let h = Harness::new();
    let admin = "arn:aws:iam::aws:policy/AdministratorAccess";
    let other = "arn:aws:iam::111122223333:policy/ReadOnly";
    // More policies than a page, so the attached one is found on a later page.
    h.sb.set_page_size(1);
    h.sb.seed_iam_user("dev-ann", &[other, "arn:aws:iam::aws:policy/ViewOnlyAccess", admin]);
    let inputs = json!({ "user_name": "dev-ann", "policy_arn": admin });
    let out = h.run("aws.detach_user_policy", &inputs, KEY).expect("detaches");
    let actions: Vec<String> =
        h.sent().iter().filter_map(|r| form_of(r).into_iter().find(|(k, _)| k == "Action").map(|(_, v)| v)).collect();
    assert_eq!(
        actions,
        ["ListAttachedUserPolicies", "ListAttachedUserPolicies", "ListAttachedUserPolicies", "DetachUserPolicy"]
    );
    let detach = h.sent().last().cloned().expect("a detach");
    assert_eq!(
        form_of(&detach),
        [
            ("Action".to_string(), "DetachUserPolicy".to_string()),
            ("PolicyArn".into(), admin.into()),
            ("UserName".into(), "dev-ann".into()),
            ("Version".into(), "2010-05-08".into())
        ]
    );
    assert_eq!(out.prior_state, Some(json!({ "attached": true })));
    assert!(!out.already_done);
    assert_eq!(h.state()["iam_policies"]["dev-ann"], json!([other, "arn:aws:iam::aws:policy/ViewOnlyAccess"]));

    // Again: already detached, nothing sent but the lists.
    let again = h.run("aws.detach_user_policy", &inputs, KEY).expect("detached already");
    assert!(again.already_done);

    let a = action("aws.detach_user_policy").expect("action");
    assert_eq!(a.class(), vigil_connectors::ActionClass::Contain);
    assert_eq!(a.inverse(), Some("aws.attach_user_policy"));
    h.run("aws.attach_user_policy", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("attaches");
    assert!(
        h.state()["iam_policies"]["dev-ann"].as_array().expect("list").iter().any(|p| p == admin),
        "rollback re-attaches the policy"
    );
    // Undoing a detach of a policy that was not attached attaches nothing.
    let none =
        a.inverse_inputs(&json!({ "user_name": "dev-ann", "policy_arn": other }), Some(&json!({ "attached": false })));
    let plan = action("aws.attach_user_policy").expect("action").plan(&none, &h.config, &h.secrets).expect("plan");
    assert!(plan.is_empty());
}

#[test]
fn detach_from_an_unknown_user_is_iams_no_such_entity() {
    let h = Harness::new();
    let inputs = json!({ "user_name": "nobody", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess" });
    let e = h.run("aws.detach_user_policy", &inputs, KEY).expect_err("no such user");
    assert!(matches!(e, ConnectorError::Http { status: 404, ref message, .. } if message.contains("nobody")), "{e}");
}
