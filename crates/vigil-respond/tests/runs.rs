//! Runs on a simulated company's cases against the vendor sandbox: approvals (never one's own,
//! never a machine's, never late), edited inputs recorded, rollback through inverses, dry-run
//! with secrets masked, triggers, the automation rate, and everything on the audit log.

use serde_json::{Value, json};
use vigil_connectors::sandbox::Sandbox;
use vigil_pipeline::DataDir;
use vigil_respond::engine::{self, Env};
use vigil_respond::{ApprovalStatus, RespondError, RunStatus, StepStatus, format};
use vigil_store::StateStore;

mod common;
use common::T0;

fn company() -> (tempfile::TempDir, tempfile::TempDir) {
    common::company(5, 60, 7)
}

/// A case with an entity of this kind, and the entity.
fn case_with(store: &dyn StateStore, kind: &str) -> (String, String) {
    let prefix = format!("{kind}:");
    // For users, a sign-in name (as the playbooks' `entity.user` prefers), not a role ARN.
    let fits = |v: &str| kind != "user" || (v.contains('@') && !v.contains('/') && !v.contains(':'));
    vigil_queue::cases(store)
        .unwrap()
        .into_iter()
        .find_map(|c| {
            c.entities
                .iter()
                .find_map(|e| e.strip_prefix(&prefix).filter(|v| fits(v)).map(|v| (c.id.clone(), v.to_string())))
        })
        .unwrap_or_else(|| panic!("no case with a {kind}"))
}

fn pb(id: &str) -> vigil_respond::Playbook {
    format::builtin().unwrap().into_iter().find(|p| p.id == id).unwrap()
}

fn pending(store: &dyn StateStore, run: &str) -> vigil_respond::Approval {
    engine::approvals(store)
        .unwrap()
        .into_iter()
        .find(|a| a.run_id == run && a.status == ApprovalStatus::Pending)
        .expect("a pending approval")
}

fn actions(store: &dyn StateStore) -> Vec<(String, String, String)> {
    store.audit(100_000).unwrap().into_iter().map(|e| (e.actor, e.action, e.result)).collect()
}

#[test]
fn approvals_are_never_the_requesters_never_a_machines_and_expire() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let (case, user) = case_with(&store, "user");
    let sb = Sandbox::start().unwrap();
    sb.seed_user("00u1", &user, "ACTIVE");
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = |now: i64| Env { config: &config, secrets: &secrets, now_ms: now };

    let run = engine::start(&mut store, &pb("account-reset"), &case, "ann", T0).unwrap();
    let run = engine::advance(&mut store, &run.id, &env(T0)).unwrap();
    assert_eq!(run.status, RunStatus::WaitingApproval);
    assert_eq!(run.steps[0].status, StepStatus::WaitingApproval, "suspend is a contain step");
    assert!(sb.requests().iter().all(|r| !r.path.contains("lifecycle")), "nothing sent before approval");
    let a = pending(&store, &run.id);

    // The requester cannot approve; nor can the automation.
    let e = engine::approve(&mut store, &a.id, "ann", "mine", None, &env(T0 + 1)).unwrap_err();
    assert!(matches!(e, RespondError::Refused(ref m) if m.contains("cannot decide")), "{e}");
    let e = engine::approve(&mut store, &a.id, "vigil:automation", "", None, &env(T0 + 1)).unwrap_err();
    assert!(matches!(e, RespondError::Refused(_)), "{e}");
    assert!(
        actions(&store)
            .iter()
            .any(|(who, what, res)| who == "ann" && what == "playbook.approval.approve" && res == "denied")
    );

    // Another person approves, editing the inputs (the same user, spelled as its id): recorded.
    let a = engine::approve(
        &mut store,
        &a.id,
        "bob",
        "confirmed with the user",
        Some(json!({"user": "00u1"})),
        &env(T0 + 2),
    )
    .unwrap();
    assert_eq!(a.edited_inputs, Some(json!({"user": "00u1"})));
    assert_eq!(a.inputs["user"], user.as_str());
    let run = engine::load_run(&store, &run.id).unwrap();
    assert_eq!(run.steps[0].status, StepStatus::Succeeded);
    assert!(!run.steps[0].automated, "an approved step is not automatic");
    assert_eq!(run.steps[0].inputs, Some(json!({"user": "00u1"})));
    assert_eq!(sb.state()["users"]["00u1"]["status"], "SUSPENDED");
    assert_eq!(run.steps[0].outcome.as_ref().unwrap().prior_state.as_ref().unwrap()["status"], "ACTIVE");
    let approved = store
        .audit(100_000)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "playbook.approval.approve" && e.result == "ok")
        .unwrap();
    assert!(approved.detail.contains("edited_inputs") && approved.detail.contains("00u1"), "{}", approved.detail);

    // Clearing sessions is destructive: it waits, and left unanswered, expires.
    assert_eq!(run.steps[1].status, StepStatus::WaitingApproval);
    let next = pending(&store, &run.id);
    assert_eq!(next.expires_ms - next.requested_ms, 24 * 3_600_000);
    let expired = engine::expire(&mut store, &env(next.expires_ms - 1)).unwrap();
    assert!(expired.is_empty(), "not a millisecond early");
    let expired = engine::expire(&mut store, &env(next.expires_ms)).unwrap();
    assert_eq!(expired.len(), 1);
    let e = engine::approve(&mut store, &next.id, "bob", "late", None, &env(next.expires_ms + 5)).unwrap_err();
    assert!(matches!(e, RespondError::Refused(_)), "{e}");
    let run = engine::load_run(&store, &run.id).unwrap();
    assert_eq!(run.steps[1].status, StepStatus::Expired);
    assert_eq!(run.status, RunStatus::Aborted);
    assert_eq!(sb.state()["users"]["00u1"]["okta_sessions"], 1, "the expired step never ran");
    assert!(actions(&store).iter().any(|(who, what, _)| who == "vigil:clock" && what == "playbook.approval.expire"));
    // The case's history shows the run.
    let c = vigil_queue::cases(&store).unwrap().into_iter().find(|c| c.id == case).unwrap();
    assert!(
        c.history.iter().any(|h| h.action == "playbook.step" && h.detail.contains("account-reset")),
        "{:?}",
        c.history
    );
}

#[test]
fn rollback_restores_the_recorded_state_under_approval() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let (case, host) = case_with(&store, "host");
    let sb = Sandbox::start().unwrap();
    sb.seed_device(&host, &host);
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = Env { config: &config, secrets: &secrets, now_ms: T0 };

    let run = engine::start(&mut store, &pb("device-isolation"), &case, "ann", T0).unwrap();
    engine::advance(&mut store, &run.id, &env).unwrap();
    let a = pending(&store, &run.id);
    engine::approve(&mut store, &a.id, "bob", "ransomware confirmed", None, &env).unwrap();
    let run = engine::load_run(&store, &run.id).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.steps);
    assert_eq!(sb.state()["devices"][&host]["containment"], "contained");
    // The containment that took effect contains the case: its contain clock is met.
    let c: vigil_cases::Case =
        serde_json::from_str(&store.document(vigil_queue::CASE, &case).unwrap().unwrap().json).unwrap();
    assert_eq!(c.status, vigil_cases::Status::Contained);
    assert!(c.times.contained_ms.is_some());
    assert!(
        run.steps[0].automated && run.steps[0].outcome.as_ref().unwrap().output["device_id"] == host.as_str(),
        "the lookup needed nobody"
    );
    assert_eq!(run.steps[2].status, StepStatus::Succeeded, "the notification needed nobody");
    assert!(run.steps[2].automated);

    // Rollback of a contain step waits for approval too, and not from its requester.
    let run = engine::rollback(&mut store, &run.id, None, "carol", &env).unwrap();
    assert!(run.steps[0].rollback.is_none(), "a read has nothing to undo");
    let rb = run.steps[1].rollback.as_ref().unwrap();
    assert_eq!((rb.action.as_str(), rb.status.as_str()), ("crowdstrike.lift_containment", "waiting_approval"));
    assert_eq!(sb.state()["devices"][&host]["containment"], "contained");
    let a = pending(&store, &run.id);
    assert_eq!(a.purpose, "rollback");
    assert!(engine::approve(&mut store, &a.id, "carol", "", None, &env).is_err());
    engine::approve(&mut store, &a.id, "bob", "false alarm after all", None, &env).unwrap();
    let run = engine::load_run(&store, &run.id).unwrap();
    assert_eq!(run.steps[1].rollback.as_ref().unwrap().status, "succeeded");
    assert_eq!(sb.state()["devices"][&host]["containment"], "normal");
    assert!(actions(&store).iter().any(|(who, what, res)| who == "bob" && what == "playbook.rollback" && res == "ok"));
    // Nothing left to undo.
    assert!(engine::rollback(&mut store, &run.id, Some("contain"), "carol", &env).is_err());
}

#[test]
fn dry_run_shows_masked_calls_and_sends_nothing() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let (case, user) = case_with(&store, "user");
    let sb = Sandbox::start().unwrap();
    sb.seed_user("00u1", &user, "ACTIVE");
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = Env { config: &config, secrets: &secrets, now_ms: T0 };
    let before = sb.requests().len();
    let steps = engine::dry_run(&mut store, &pb("account-reset"), &case, "ann", &env).unwrap();
    assert_eq!(sb.requests().len(), before, "a dry run sends nothing");
    assert_eq!(steps.len(), 4);
    assert!(steps[0].would_wait_for_approval && steps[1].would_wait_for_approval && !steps[3].would_wait_for_approval);
    let suspend = &steps[0];
    assert!(
        suspend.calls.iter().any(|c| c.method == "POST" && c.url.contains("/lifecycle/suspend")),
        "{:?}",
        suspend.calls
    );
    let text = serde_json::to_string(&steps).unwrap();
    for s in secrets.values() {
        if s.len() >= 6 {
            assert!(!text.contains(s), "a secret leaked into the dry run");
        }
    }
    assert!(text.contains("****"));
    assert!(actions(&store).iter().any(|(_, what, _)| what == "playbook.dry_run"));
}

#[test]
fn triggers_open_tickets_alone_and_the_automation_rate_counts_people() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let sb = Sandbox::start().unwrap();
    for c in vigil_queue::cases(&store).unwrap() {
        for e in &c.entities {
            if let Some(u) = e.strip_prefix("user:") {
                sb.seed_user(u, u, "ACTIVE");
            }
            if let Some(h) = e.strip_prefix("host:") {
                sb.seed_device(h, h);
            }
        }
    }
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = Env { config: &config, secrets: &secrets, now_ms: T0 };
    // One rate limit on the first ticket: retried by the connector, then created.
    sb.fail_next("/rest/api/3/issue", 429, Some(0));
    let runs = engine::trigger(&mut store, &format::builtin().unwrap(), &env).unwrap();
    let tickets: Vec<_> = runs.iter().filter(|r| r.playbook.id == "ticket-open").collect();
    assert!(!tickets.is_empty());
    assert!(tickets.iter().all(|r| r.status == RunStatus::Succeeded && r.steps[0].automated), "{tickets:?}");
    let jira = sb.state()["tickets"]["jira"].as_array().map(|a| a.len()).unwrap_or(0);
    assert_eq!(jira, tickets.len(), "one ticket per case");
    assert!(runs.iter().any(|r| r.status == RunStatus::WaitingApproval), "contain steps wait");
    // Triggering again starts nothing new.
    assert!(engine::trigger(&mut store, &format::builtin().unwrap(), &env).unwrap().is_empty());
    let rate = engine::automation_rate(&engine::runs(&store).unwrap());
    // Automatic: each ticket, and each isolation's device lookup (a read) before its
    // containment waits.
    let lookups = runs.iter().filter(|r| r.playbook.id == "device-isolation").count();
    assert!(lookups > 0);
    assert_eq!(rate.automated_steps, (tickets.len() + lookups) as u64);
    assert_eq!(rate.human_steps, 0);
    assert_eq!(rate.rate, Some(1.0));
    // An approval adds a human step.
    let waiting = runs.iter().find(|r| r.status == RunStatus::WaitingApproval).unwrap();
    let a = pending(&store, &waiting.id);
    engine::approve(&mut store, &a.id, "lead", "go", None, &env).unwrap();
    let rate = engine::automation_rate(&engine::runs(&store).unwrap());
    assert_eq!(rate.human_steps, 1);
    assert!(rate.rate.unwrap() < 1.0);
    let v: Value = serde_json::to_value(&rate).unwrap();
    assert!(v["total_steps"].as_u64().unwrap() > 1);
}
