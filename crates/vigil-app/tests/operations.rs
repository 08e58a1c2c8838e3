//! The application layer's operations, as every front end reaches them: each checks its caller,
//! each state change is on the audit log exactly once.

use vigil_app::admin::NewUser;
use vigil_app::cases::CaseOp;
use vigil_app::{App, AppError, Caller};
use vigil_auth::{Auth, LoginLimiter, Principal, Role, Via};
use vigil_cases::{Disposition, Status};
use vigil_store::StateStore;

const PW: &str = "correct horse battery staple";

fn person(name: &str, roles: &[Role]) -> Caller {
    Caller::Person(Principal { username: name.into(), roles: roles.to_vec(), via: Via::Session, grants: Vec::new() })
}

fn actions(app: &App, action: &str) -> usize {
    app.store().unwrap().audit(100_000).unwrap().iter().filter(|e| e.action == action).count()
}

#[test]
fn every_case_operation_has_one_audit_action_and_the_right_permission() {
    let ops = [
        CaseOp::Assign { owner: "a".into(), team: None },
        CaseOp::Comment { text: "t".into() },
        CaseOp::Acknowledge,
        CaseOp::Status(Status::Investigating),
        CaseOp::AddTask { title: "t".into(), assignee: None },
        CaseOp::Resolve { disposition: Disposition::TruePositive, note: String::new() },
        CaseOp::PauseSla { reason: "r".into() },
        CaseOp::ResumeSla,
    ];
    let mut names: Vec<&str> = ops.iter().map(CaseOp::action).collect();
    assert!(names.iter().all(|n| n.starts_with("case.")));
    names.sort();
    names.dedup();
    assert_eq!(names.len(), ops.len(), "one action name per operation");
    for op in &ops {
        let want = if matches!(op, CaseOp::Resolve { .. }) {
            vigil_auth::Permission::Dispose
        } else {
            vigil_auth::Permission::WorkCases
        };
        assert_eq!(op.permission(), want, "{op:?}");
    }
}

#[test]
fn operations_check_their_caller_whatever_the_front_end_checked() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let auditor = person("audrey", &[Role::Auditor]);
    let e = app.case_op(&auditor, "case-x", &CaseOp::Comment { text: "hi".into() }).unwrap_err();
    assert!(matches!(e, AppError::Forbidden { .. }), "{e}");
    let analyst = person("ana", &[Role::Analyst]);
    assert!(matches!(app.disable_user(&analyst, "root"), Err(AppError::Forbidden { .. })));
    assert!(matches!(app.hunt(&person("exec", &[Role::Executive]), "SELECT 1", None), Err(AppError::Forbidden { .. })));
    // The assistant never approves, even for an approver.
    let assistant = Caller::Assistant {
        on_behalf: Principal { username: "pat".into(), roles: vec![Role::Approver], via: Via::Session, grants: vec![] },
    };
    let cfg = vigil_app::respond::ResponseConfig::default();
    let e = app.decide(&assistant, &cfg, "APR-x", vigil_app::respond::Decision::Deny { note: String::new() });
    assert!(matches!(e, Err(AppError::Forbidden { .. })), "{e:?}");
    // The automation never disposes of a case.
    let bot = Caller::automation("vigil:triage");
    let op = CaseOp::Resolve { disposition: Disposition::FalsePositive, note: String::new() };
    assert!(matches!(app.case_op(&bot, "case-x", &op), Err(AppError::Forbidden { .. })));
    // A person allowed to work cases gets past the check to the store: no such case.
    let e = app.case_op(&analyst, "case-x", &CaseOp::Comment { text: "hi".into() }).unwrap_err();
    assert!(e.to_string().contains("no case"), "{e}");
}

#[test]
fn admins_disable_enable_and_reset_users_and_sessions_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let root = Caller::local("root");
    for (name, role) in [("admin1", Role::Admin), ("ana", Role::Analyst)] {
        let u = NewUser { username: name.into(), display_name: name.into(), roles: vec![role], password: PW.into() };
        app.create_user(&root, &u).unwrap();
    }
    let limiter = LoginLimiter::new();
    let login = |user: &str, pw: &str| {
        let mut store = app.store().unwrap();
        Auth::new(&mut store).login(user, pw, "127.0.0.1", &limiter, app.now_ms()).map(|_| ())
    };
    let session = |user: &str| {
        let mut store = app.store().unwrap();
        Auth::new(&mut store).create_session(user, app.now_ms()).unwrap().0
    };
    login("ana", PW).unwrap();
    let secret = session("ana");

    // Disabled: no sign-in, and the session ends.
    let admin = person("admin1", &[Role::Admin]);
    let u = app.disable_user(&admin, "ana").unwrap();
    assert!(u.disabled);
    assert!(login("ana", PW).is_err());
    {
        let mut store = app.store().unwrap();
        assert!(Auth::new(&mut store).session(&secret, app.now_ms()).is_err(), "the session ended");
    }
    // The last enabled admin cannot be disabled.
    assert!(app.disable_user(&admin, "admin1").is_err());
    app.enable_user(&admin, "ana").unwrap();
    login("ana", PW).unwrap();

    // An admin resets ana's password: the old one stops working, the new one signs in.
    let secret = session("ana");
    app.reset_password(&admin, "ana", "another long passphrase").unwrap();
    assert!(login("ana", PW).is_err());
    login("ana", "another long passphrase").unwrap();
    {
        let mut store = app.store().unwrap();
        assert!(Auth::new(&mut store).session(&secret, app.now_ms()).is_err(), "a reset ends sessions");
    }

    // Sessions long over are forgotten; recent ones are kept.
    assert_eq!(app.prune_sessions(&admin).unwrap(), 0, "nothing is a week old yet");
    app.advance_clock_ms(8 * 86_400_000);
    let live = session("ana");
    assert_eq!(app.prune_sessions(&admin).unwrap(), 2);
    {
        let mut store = app.store().unwrap();
        assert!(Auth::new(&mut store).session(&live, app.now_ms()).is_ok(), "a live session stays");
    }
    assert_eq!(app.prune_sessions_housekeeping().unwrap(), 0);

    for (action, n) in [("user.disable", 1), ("user.enable", 1), ("user.password", 1), ("session.prune", 1)] {
        assert_eq!(actions(&app, action), n, "{action} audited once");
    }
}

#[test]
fn hunts_are_saved_listed_run_read_only_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let analyst = person("ana", &[Role::Analyst]);
    app.save_hunt(&analyst, "ones", "SELECT 1 AS one").unwrap();
    assert!(app.save_hunt(&analyst, "", "SELECT 1").is_err(), "a name is needed");
    assert!(app.save_hunt(&analyst, "x", "  ").is_err(), "an empty query is refused");
    let hunts = app.hunts(&analyst).unwrap();
    assert!(hunts.iter().any(|h| h.builtin));
    assert!(hunts.iter().any(|h| h.name == "ones" && !h.builtin));
    let r = app.hunt(&analyst, "SELECT 1 AS one", None).unwrap();
    assert_eq!(r.columns, vec!["one".to_string()]);
    let e = app.hunt(&analyst, "CREATE TABLE t AS SELECT 1", None).err().expect("DDL is refused");
    assert!(matches!(e, AppError::Invalid(_)), "{e}");
    // A row cap stops the engine: 10 million rows are never materialised for a page of 5.
    let r = app.hunt(&analyst, "SELECT value FROM generate_series(1, 10000000)", Some(5)).unwrap();
    assert_eq!((r.rows(), r.truncated), (5, true));
    let log = app.store().unwrap().audit(1000).unwrap();
    assert_eq!(log.iter().filter(|e| e.action == "hunt.save").count(), 1);
    let runs: Vec<_> = log.iter().filter(|e| e.action == "hunt.query").map(|e| e.result.as_str()).collect();
    assert_eq!(runs, vec!["ok", "error", "ok"], "every run, refused ones too");
    assert!(log.iter().any(|e| e.action == "hunt.query" && e.detail.starts_with("5 rows (truncated)")));
}

#[test]
fn resolving_a_true_positive_with_containment_awaiting_approval_needs_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let now = app.now_ms();
    let seed = vigil_cases::CaseSeed {
        title: "Ransomware preparation on wks-1".into(),
        severity: vigil_cases::Severity::High,
        incidents: vec!["INC-1".into()],
        alerts: vec![],
        risk: 80.0,
        verdict: "malicious".into(),
        first_event_ms: None,
        first_alert_ms: now,
        entities: vec!["host:wks-1".into()],
        summary: String::new(),
    };
    let case = vigil_cases::Case::open_with_id("CASE-1", seed, "vigil:triage", now).unwrap();
    let approval = serde_json::json!({
        "id": "APR-1", "run_id": "RUN-1", "case_id": "CASE-1", "playbook_id": "device-isolation",
        "step_id": "contain", "purpose": "step", "action": "crowdstrike.contain_host", "class": "contain",
        "requested_by": "vigil:automation", "requested_ms": now, "expires_ms": now + 3_600_000,
        "status": "pending", "inputs": {"device_id": "abc"}, "edited_inputs": null, "decided_by": null,
        "decided_ms": null, "note": null, "target": "host wks-1"
    });
    let doc = |id: &str, v: String| vigil_store::Document { id: id.into(), updated_ms: now, json: v };
    let mut store = app.store().unwrap();
    store
        .put_documents(vigil_queue::CASE, &[doc("CASE-1", serde_json::to_string(&case).unwrap())], false, &[])
        .unwrap();
    store.put_documents(vigil_respond::engine::APPROVAL, &[doc("APR-1", approval.to_string())], false, &[]).unwrap();
    drop(store);
    let lead = person("lee", &[Role::Analyst]);
    app.case_op(&lead, "CASE-1", &CaseOp::Acknowledge).unwrap();

    let tp = |note: &str| CaseOp::Resolve { disposition: Disposition::TruePositive, note: note.into() };
    let e = app.case_op(&lead, "CASE-1", &tp("  ")).unwrap_err();
    assert!(
        matches!(e, AppError::Invalid(ref m) if m.contains("APR-1") && m.contains("host wks-1") && m.contains("reason")),
        "{e}"
    );
    assert_ne!(app.case(&lead, "CASE-1").unwrap().case.status, Status::Resolved, "not resolved");

    let c = app.case_op(&lead, "CASE-1", &tp("host already reimaged by IT")).unwrap();
    assert_eq!(c.status, Status::Resolved);
    let line = c.history.iter().find(|h| h.action == "case.resolve.pending_containment").expect("the reason recorded");
    assert!(line.detail.contains("APR-1") && line.detail.contains("host already reimaged by IT"), "{}", line.detail);
    let audit = app.store().unwrap().audit(100).unwrap();
    assert!(audit.iter().any(|e| e.action == "case.resolve" && e.detail.contains("host already reimaged by IT")));
}

#[test]
fn events_and_baselines_are_read_by_those_who_may_and_bad_names_are_clear() {
    let dir = tempfile::tempdir().unwrap();
    let app = App::new(dir.path());
    let analyst = person("ana", &[Role::Analyst]);
    let responder = person("rita", &[Role::Responder]);
    let executive = person("eve", &[Role::Executive]);
    app.store().unwrap();
    // One event reads the lake: the hunting permission, and the same audit entry a hunt makes.
    assert!(matches!(app.event(&responder, &"a".repeat(32)), Err(AppError::Forbidden { .. })));
    for bad in ["", "x", "' OR 1=1 --", &"g".repeat(32), &"a".repeat(33)] {
        assert!(matches!(app.event(&analyst, bad), Err(AppError::NotFound(_))), "{bad:?}");
    }
    assert_eq!(actions(&app, "hunt.query"), 0, "a malformed id reaches no query");
    assert!(matches!(app.event(&analyst, &"a".repeat(32)), Err(AppError::NotFound(_))), "an empty lake");
    assert_eq!(actions(&app, "hunt.query"), 1);
    // Baselines: the queue's view; nothing learned is an empty list, not an error.
    assert!(matches!(app.baseline(&executive, "ann@example.com"), Err(AppError::Forbidden { .. })));
    assert!(app.baseline(&responder, "ann@example.com").unwrap().is_empty());
    assert!(matches!(app.baseline(&analyst, "  "), Err(AppError::Invalid(_))));
    assert!(matches!(app.baseline(&analyst, &"x".repeat(600)), Err(AppError::Invalid(_))));
}
