//! Account security through the application layer: tokens act only as their owner, the
//! four-eyes rule compares authenticated principals, only another executive acknowledges a
//! brief, new accounts get only the roles given, the password policy, and every admin action on
//! the audit log.

use std::path::PathBuf;
use std::sync::Arc;

use vigil_app::admin::{NewToken, NewUser};
use vigil_app::respond::{Decision, ResponseConfig, Started};
use vigil_app::{App, AppError, Caller};
use vigil_auth::{Auth, Role};
use vigil_detect::{Detector, DetectorOptions, RulePack};
use vigil_pipeline::{DataDir, IngestOptions, ingest};
use vigil_store::StateStore;

const PW: &str = "a long enough passphrase";
const T0: i64 = 1_800_000_000_000;

/// A simulated company's logs ingested and triaged: cases to act on.
fn company() -> (tempfile::TempDir, tempfile::TempDir) {
    let mut pack = RulePack::default();
    vigil_detect::builtin::add_to(&mut pack);
    pack.finish();
    let opts = IngestOptions {
        detector: Some(Arc::new(Detector::new(&pack, DetectorOptions::default()))),
        behavior: Some(vigil_behavior::builtin().expect("built-in behavioral pack")),
        ..IngestOptions::default()
    };
    let sim = tempfile::tempdir().unwrap();
    let cfg = vigil_sim::SimConfig {
        seed: 5,
        users: 60,
        days: 7,
        start: vigil_sim::SimConfig::fixed_start(),
        ..vigil_sim::SimConfig::default()
    };
    vigil_sim::simulate(&cfg, sim.path()).unwrap();
    let logs: Vec<PathBuf> = ["okta", "aws", "windows", "zeek"].iter().map(|d| sim.path().join(d)).collect();
    let data = tempfile::tempdir().unwrap();
    let dd = DataDir::new(data.path());
    ingest(&dd, &logs, &opts).unwrap();
    let mut store = dd.open_store().unwrap();
    let inv = std::fs::read_to_string(sim.path().join("inventory.json")).unwrap();
    vigil_queue::load_inventory(&mut store, &inv, "test", T0).unwrap();
    vigil_queue::run(&mut store, T0).unwrap();
    (sim, data)
}

fn shell() -> Caller {
    Caller::local("local:ops")
}

/// Creates `user` from the shell and returns them as their own token authenticates them.
fn person(app: &App, user: &str, roles: &[Role]) -> Caller {
    let u = NewUser { username: user.into(), display_name: user.into(), roles: roles.to_vec(), password: PW.into() };
    app.create_user(&shell(), &u).unwrap();
    let t = NewToken { owner: Some(user.into()), name: "cli".into(), roles: roles.to_vec(), days: Some(1) };
    let (secret, _) = app.create_token(&shell(), &t).unwrap();
    app.authenticate_token(&secret).unwrap()
}

fn audited(app: &App, action: &str, result: &str) -> usize {
    app.store().unwrap().audit(100_000).unwrap().iter().filter(|e| e.action == action && e.result == result).count()
}

/// A case with a user entity (the account-reset playbook's target).
fn case_with_a_user(app: &App) -> String {
    let store = app.store().unwrap();
    vigil_queue::cases(&store)
        .unwrap()
        .into_iter()
        .find(|c| {
            c.entities.iter().any(|e| e.strip_prefix("user:").is_some_and(|v| v.contains('@') && !v.contains('/')))
        })
        .expect("a case with a user")
        .id
}

#[test]
fn an_admin_cannot_mint_a_token_for_the_approver_nor_approve_their_own_run_with_one() {
    let (_sim, data) = company();
    let app = App::new(data.path());
    let root = person(&app, "root", &[Role::Admin]);
    let lead = person(&app, "lead", &[Role::Approver]);

    // (a) A signed-in admin mints tokens for themselves only; the attempt is audited.
    let for_lead =
        NewToken { owner: Some("lead".into()), name: "mine now".into(), roles: vec![Role::Approver], days: None };
    let e = app.create_token(&root, &for_lead).unwrap_err();
    assert!(matches!(e, AppError::Refused(_)), "{e}");
    assert!(e.to_string().contains("only for themselves"), "{e}");
    assert_eq!(audited(&app, "token.create", "denied"), 1);
    let own = NewToken { owner: None, name: "shipper".into(), roles: vec![Role::Ingestor], days: Some(30) };
    assert_eq!(app.create_token(&root, &own).unwrap().1.owner, "root");

    // The admin starts a run that waits for approval.
    let cfg = ResponseConfig::default();
    let case = case_with_a_user(&app);
    let Started::Run(run) = app.run_playbook(&root, &cfg, &case, "account-reset", false).unwrap() else {
        panic!("a run")
    };
    let approval = app.approvals(&root, false).unwrap().into_iter().find(|a| a.run_id == run.id).expect("pending");

    // (b) A token owned by lead but minted by the requester (as the old flow allowed, or made
    // below the application) does not pass the four-eyes rule.
    let (minted, _) = {
        let mut store = app.store().unwrap();
        Auth::new(&mut store).create_token("lead", "by root", &[Role::Approver], None, "root", app.now_ms()).unwrap()
    };
    let as_lead = app.authenticate_token(&minted).unwrap();
    assert_eq!(as_lead.name(), "lead");
    let e =
        app.decide(&as_lead, &cfg, &approval.id, Decision::Approve { note: "self".into(), inputs: None }).unwrap_err();
    assert!(matches!(e, AppError::Refused(_)) && e.to_string().contains("four eyes"), "{e}");
    let still = app.approval(&root, &approval.id).unwrap();
    assert!(still.decided_by.is_none(), "not decided");

    // Lead's own credential decides, and the record names it.
    let decided = app.decide(&lead, &cfg, &approval.id, Decision::Deny { note: "not this one".into() }).unwrap();
    assert_eq!(decided.decided_by.as_deref(), Some("lead"));
    let vigil_auth::Via::Token(id) = &match &lead {
        Caller::Person(p) => p.clone(),
        _ => unreachable!(),
    }
    .via
    else {
        panic!("a token")
    };
    assert_eq!(decided.decided_via, Some(format!("token:{id}")));
    assert_eq!(decided.requester.as_ref().map(|r| r.name.as_str()), Some("root"));
}

#[test]
fn only_another_executive_acknowledges_a_brief() {
    let (_sim, data) = company();
    let app = App::new(data.path());
    let ann = person(&app, "ann", &[Role::Analyst]);
    let eve = person(&app, "eve", &[Role::Analyst, Role::Executive]);
    let exec = person(&app, "exec", &[Role::Executive]);
    let case = vigil_queue::cases(&app.store().unwrap()).unwrap()[0].id.clone();

    let (mine, _) = app.issue_brief(&ann, &case).unwrap();
    let e = app.acknowledge_brief(&ann, &mine.id).unwrap_err();
    assert!(matches!(e, AppError::Refused(_)) && e.to_string().contains("executive"), "{e}");
    assert!(app.acknowledge_brief(&shell(), &mine.id).is_err(), "the shell is no executive");

    let (eves, _) = app.issue_brief(&eve, &case).unwrap();
    let e = app.acknowledge_brief(&eve, &eves.id).unwrap_err();
    assert!(e.to_string().contains("issued"), "{e}");
    assert!(app.brief(&exec, &eves.id).unwrap().acknowledged_ms.is_none(), "the clock did not stop");

    let acked = app.acknowledge_brief(&exec, &mine.id).unwrap();
    assert_eq!(acked.acknowledged_by.as_deref(), Some("exec"));
    assert_eq!(audited(&app, "brief.acknowledge", "denied"), 3);
    assert_eq!(audited(&app, "brief.acknowledge", "ok"), 1);
}

#[test]
fn accounts_get_only_the_roles_given_a_sound_password_and_every_admin_action_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let admin = person(&app, "root", &[Role::Admin]);
    let new = |name: &str, roles: Vec<Role>, password: &str| NewUser {
        username: name.into(),
        display_name: String::new(),
        roles,
        password: password.into(),
    };
    // No default role: a user or token without roles is refused.
    let e = app.create_user(&admin, &new("ana", vec![], PW)).unwrap_err();
    assert!(e.to_string().contains("at least one role"), "{e}");
    let t = NewToken { owner: None, name: "x".into(), roles: vec![], days: None };
    assert!(app.create_token(&admin, &t).unwrap_err().to_string().contains("at least one role"));
    // The password policy, each rule named.
    let e = app.create_user(&admin, &new("ana.long.name", vec![Role::Analyst], "ana.long.name")).unwrap_err();
    assert!(e.to_string().contains("must not be the user name"), "{e}");
    let e = app.create_user(&admin, &new("ana", vec![Role::Analyst], "Password1234")).unwrap_err();
    assert!(e.to_string().contains("most common passwords"), "{e}");
    let e = app.create_user(&admin, &new("ana", vec![Role::Analyst], "short")).unwrap_err();
    assert!(e.to_string().contains("at least 12"), "{e}");

    // Each admin action, once each, on the audit log.
    let before = |a: &str| audited(&app, a, "ok");
    let base: Vec<usize> =
        ["user.create", "user.roles", "user.disable", "user.enable", "user.password", "token.create", "token.revoke"]
            .iter()
            .map(|a| before(a))
            .collect();
    app.create_user(&admin, &new("ana", vec![Role::Analyst], PW)).unwrap();
    assert_eq!(app.set_roles(&admin, "ana", &[Role::Analyst, Role::Responder]).unwrap().roles.len(), 2);
    app.disable_user(&admin, "ana").unwrap();
    app.enable_user(&admin, "ana").unwrap();
    app.reset_password(&admin, "ana", "another long passphrase").unwrap();
    let (_, view) = app
        .create_token(&admin, &NewToken { owner: None, name: "hec".into(), roles: vec![Role::Ingestor], days: Some(1) })
        .unwrap();
    assert_eq!(view.created_by, "root");
    app.revoke_token(&admin, &view.id).unwrap();
    let after: Vec<usize> =
        ["user.create", "user.roles", "user.disable", "user.enable", "user.password", "token.create", "token.revoke"]
            .iter()
            .map(|a| before(a))
            .collect();
    for (i, (b, a)) in base.iter().zip(&after).enumerate() {
        assert_eq!(a - b, 1, "admin action {i} audited once");
    }
    let log = app.store().unwrap().audit(10_000).unwrap();
    assert!(
        log.iter()
            .filter(|e| e.action.starts_with("user.") || e.action.starts_with("token."))
            .all(|e| { !e.detail.contains(PW) && !e.detail.contains("another long passphrase") })
    );
}
