//! CrowdStrike Falcon and Microsoft Defender for Endpoint.

use serde_json::json;
use vigil_connectors::util::parse_form;
use vigil_connectors::{ActionContext, ConnectorError, action};

use crate::common::*;

const KEY: &str = "case-3.step-4";

#[test]
fn falcon_contain_gets_a_token_reads_the_device_then_contains() {
    let h = Harness::new();
    let out = h.run("crowdstrike.contain_host", &json!({ "device_id": HOST }), KEY).expect("contains");
    let sent = h.sent();
    let base = h.config["crowdstrike"]["base_url"].as_str().expect("base");
    assert_eq!(sent.len(), 3);
    assert_eq!((sent[0].method.as_str(), sent[0].url.clone()), ("POST", format!("{base}/oauth2/token")));
    assert_eq!(header(&sent[0], "Content-Type"), "application/x-www-form-urlencoded");
    assert_eq!(
        parse_form(sent[0].body.as_deref().unwrap_or_default()),
        [
            ("client_id".to_string(), h.secret("crowdstrike_client_id")),
            ("client_secret".to_string(), h.secret("crowdstrike_client_secret"))
        ]
    );
    assert_eq!(h.received()[0].status, 201);
    let token = h.received()[0].json().expect("json")["access_token"].as_str().expect("token").to_string();
    assert_eq!(
        (sent[1].method.as_str(), sent[1].url.clone()),
        ("GET", format!("{base}/devices/entities/devices/v2?ids={HOST}"))
    );
    assert_eq!(
        (sent[2].method.as_str(), sent[2].url.clone()),
        ("POST", format!("{base}/devices/entities/devices-actions/v2?action_name=contain"))
    );
    for r in &sent[1..] {
        assert_eq!(header(r, "Authorization"), format!("Bearer {token}"));
    }
    assert_eq!(header(&sent[2], "Content-Type"), "application/json");
    assert_eq!(body_json(&sent[2]), json!({ "ids": [HOST] }));
    assert_eq!(out.prior_state, Some(json!({ "status": "normal" })));
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [201, 200, 202]);
    assert_eq!(h.state()["devices"][HOST]["containment"], "contained");
}

#[test]
fn falcon_contain_twice_is_already_done_and_lift_restores() {
    let h = Harness::new();
    let a = action("crowdstrike.contain_host").expect("action");
    let inputs = json!({ "device_id": HOST });
    let out = h.run("crowdstrike.contain_host", &inputs, KEY).expect("contains");
    h.reset();
    let again = h.run("crowdstrike.contain_host", &inputs, KEY).expect("runs");
    assert!(again.already_done);
    assert!(h.seen("devices-actions").is_empty());
    h.run("crowdstrike.lift_containment", &a.inverse_inputs(&inputs, out.prior_state.as_ref()), "undo").expect("lifts");
    assert_eq!(h.state()["devices"][HOST]["containment"], "normal");
    assert_eq!(h.seen("devices-actions")[0].query, "action_name=lift_containment");
    // Rolling back a containment of a host that was contained before changes nothing.
    h.reset();
    h.run("crowdstrike.contain_host", &inputs, "first").expect("contains");
    let before = h.run("crowdstrike.contain_host", &inputs, "second").expect("runs");
    assert!(before.already_done);
    let undo = h
        .run("crowdstrike.lift_containment", &a.inverse_inputs(&inputs, before.prior_state.as_ref()), "undo")
        .expect("runs");
    assert!(undo.already_done);
    assert_eq!(h.state()["devices"][HOST]["containment"], "contained");
}

#[test]
fn falcon_errors_come_from_errors_array() {
    let h = Harness::new();
    assert_http(
        h.run("crowdstrike.contain_host", &json!({ "device_id": "no-such-device" }), KEY),
        404,
        "404: Device not found.",
    );
    // A 2xx answer with errors[] filled in is a failure as well.
    let canned = Canned::new(vec![
        (201, r#"{"access_token":"t","token_type":"bearer","expires_in":1799}"#),
        (200, r#"{"meta":{},"resources":[{"device_id":"d1","status":"normal"}],"errors":[]}"#),
        (
            202,
            r#"{"meta":{},"resources":[],"errors":[{"code":409,"message":"Containment is not supported for this platform"}]}"#,
        ),
    ]);
    let ctx = ActionContext { config: &h.config, secrets: &h.secrets, transport: &canned, idempotency_key: KEY };
    match action("crowdstrike.contain_host").expect("action").execute(&json!({ "device_id": "d1" }), &ctx) {
        Err(ConnectorError::Http { status: 409, message, .. }) => {
            assert_eq!(message, "409: Containment is not supported for this platform")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn falcon_rate_limit_waits_for_x_ratelimit_retryafter() {
    let h = Harness::new();
    h.sb.fail_next("devices-actions", 429, Some(3));
    h.run("crowdstrike.contain_host", &json!({ "device_id": HOST }), KEY).expect("contains");
    let limited = h.received().into_iter().find(|r| r.status == 429).expect("a 429");
    assert!(limited.header("x-ratelimit-retryafter").is_some() && limited.header("retry-after").is_none());
    assert!((2..=3).contains(&h.sleeps()[0].as_secs()), "{:?}", h.sleeps());
}

#[test]
fn defender_isolate_reads_machine_actions_then_isolates() {
    let h = Harness::new();
    let out = h
        .run("defender.isolate_machine", &json!({ "machine_id": HOST, "comment": "Beaconing to 198.51.100.7" }), KEY)
        .expect("isolates");
    let sent = h.sent();
    let base = h.config["defender"]["base_url"].as_str().expect("base");
    let form = parse_form(sent[0].body.as_deref().unwrap_or_default());
    assert!(form.contains(&("scope".into(), "https://api.securitycenter.microsoft.com/.default".into())));
    assert!(form.contains(&("client_id".into(), h.secret("defender_client_id"))));
    assert_eq!(sent[1].url, format!("{base}/api/machineactions?$filter=machineId%20eq%20%27{HOST}%27"));
    assert_eq!(h.seen("/api/machineactions")[0].query_param("$filter").as_deref(), Some("machineId eq 'dev-ws-01'"));
    assert_eq!((sent[2].method.as_str(), sent[2].url.clone()), ("POST", format!("{base}/api/machines/{HOST}/isolate")));
    assert_eq!(body_json(&sent[2]), json!({ "Comment": "Beaconing to 198.51.100.7", "IsolationType": "Full" }));
    assert_eq!(header(&sent[2], "Idempotency-Key"), KEY);
    assert_eq!(out.calls.last().map(|c| c.status), Some(201));
    assert_eq!(out.prior_state, Some(json!({ "isolated": false })));
    assert_eq!(out.output["machine_action_status"], "Pending");
    assert!(out.output["machine_action_id"].is_string());
    assert_eq!(h.state()["devices"][HOST]["isolated"], true);

    h.reset();
    let again = h.run("defender.isolate_machine", &json!({ "machine_id": HOST }), KEY).expect("runs");
    assert!(again.already_done);
    assert!(h.seen("/isolate").is_empty());

    let a = action("defender.isolate_machine").expect("action");
    let inv = a.inverse_inputs(&json!({ "machine_id": HOST, "comment": "x" }), out.prior_state.as_ref());
    assert_eq!(inv, json!({ "machine_id": HOST, "restore": { "isolated": false } }));
    h.run("defender.release_machine", &inv, "undo").expect("releases");
    let release = &h.seen("/unisolate")[0];
    assert!(release.json().expect("json")["Comment"].as_str().is_some_and(|c| c.contains("undo")));
    assert_eq!(h.state()["devices"][HOST]["isolated"], false);
}

#[test]
fn defender_reads_every_page_of_machine_actions() {
    let h = Harness::new();
    // Seven actions, three a page; the latest isolation-related one is an Isolate.
    for (kind, status) in [
        ("RunAntiVirusScan", "Succeeded"),
        ("Isolate", "Succeeded"),
        ("Unisolate", "Succeeded"),
        ("CollectInvestigationPackage", "Succeeded"),
        ("Unisolate", "Failed"),
        ("Isolate", "Succeeded"),
        ("RunAntiVirusScan", "Succeeded"),
    ] {
        h.sb.seed_machine_action(HOST, kind, status);
    }
    let out = h.run("defender.isolate_machine", &json!({ "machine_id": HOST }), KEY).expect("runs");
    assert!(out.already_done, "the last page's Isolate counts");
    let pages = h.seen("/api/machineactions");
    assert_eq!(pages.len(), 3);
    assert_eq!(pages[1].query_param("$skip").as_deref(), Some("3"));
    assert_eq!(pages[2].query_param("$skip").as_deref(), Some("6"));
    assert!(h.seen("/isolate").is_empty());
    // A failed Unisolate changed nothing: releasing does.
    h.run("defender.release_machine", &json!({ "machine_id": HOST }), KEY).expect("releases");
    assert_eq!(h.state()["devices"][HOST]["isolated"], false);
}

#[test]
fn defender_errors_carry_defender_codes() {
    let h = Harness::new();
    assert_http(
        h.run("defender.isolate_machine", &json!({ "machine_id": "nope" }), KEY),
        404,
        "ResourceNotFound: Machine nope was not found",
    );
    assert!(matches!(
        h.run("defender.isolate_machine", &json!({ "machine_id": HOST, "isolation_type": "Partial" }), KEY),
        Err(ConnectorError::Unsupported(_))
    ));
    // The Graph app's secret is not the Defender app's.
    let swapped = with_secret(&h.secrets, "defender_client_secret", &h.secret("entra_client_secret"));
    assert_http(
        h.run_with("defender.isolate_machine", &json!({ "machine_id": HOST }), KEY, &h.config, &swapped),
        401,
        "invalid_client",
    );
    h.sb.fail_next("/isolate", 403, None);
    assert_http(
        h.run("defender.isolate_machine", &json!({ "machine_id": HOST }), KEY),
        403,
        "Forbidden: The application does not have",
    );
}

#[test]
fn falcon_finds_a_device_by_host_name_short_name_first_and_never_guesses() {
    let h = Harness::new();
    // The sandbox's devices are named WS-01.acme.example (id HOST); Falcon matches names
    // case-insensitively.
    let out = h.run("crowdstrike.find_device", &json!({ "hostname": "ws-01.acme.example" }), KEY).expect("found");
    assert_eq!(out.output["device_id"], HOST);
    assert_eq!(out.prior_state, None, "a read changes nothing");
    let sent = h.sent();
    let base = h.config["crowdstrike"]["base_url"].as_str().expect("base");
    assert_eq!(sent.len(), 3, "a token, the full name, the short name");
    assert_eq!(
        (sent[1].method.as_str(), sent[1].url.clone()),
        ("GET", format!("{base}/devices/queries/devices/v1?filter=hostname%3A%27ws-01.acme.example%27"))
    );
    assert!(header(&sent[1], "Authorization").starts_with("Bearer "));
    // Only the short name is known to Falcon: the second query finds it.
    h.reset();
    h.sb.seed_device("aid-short", "WS-77");
    let out = h.run("crowdstrike.find_device", &json!({ "hostname": "ws-77.corp.example" }), KEY).expect("found");
    assert_eq!(out.output["device_id"], "aid-short");
    assert_eq!(h.sent().len(), 3);
    assert!(h.sent()[2].url.ends_with("hostname%3A%27ws-77%27"));
    // Unknown: a 404 in Falcon's words, nothing acted on.
    match h.run("crowdstrike.find_device", &json!({ "hostname": "nowhere" }), KEY) {
        Err(ConnectorError::Http { status: 404, message, .. }) => {
            assert!(message.contains("no Falcon device is named nowhere"))
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    // Two hosts with one name: refuse to guess.
    h.sb.seed_device("aid-a", "TWIN");
    h.sb.seed_device("aid-b", "twin");
    match h.run("crowdstrike.find_device", &json!({ "hostname": "twin" }), KEY) {
        Err(ConnectorError::BadResponse(m)) => assert!(m.contains("2 Falcon devices are named twin"), "{m}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A quote in the name is escaped in the FQL, not an injection.
    let _ = h.run("crowdstrike.find_device", &json!({ "hostname": "a' OR hostname:'*" }), KEY);
    let last = h.sent().into_iter().last().expect("sent");
    assert!(last.url.contains("a%5C%27%20OR%20hostname%3A%5C%27%2A"), "{}", last.url);
}
