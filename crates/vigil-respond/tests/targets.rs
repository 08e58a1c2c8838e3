//! Playbooks act only on entities of the kinds they declare: the account reset never on an AWS
//! principal, the cloud-credential playbook on the IAM user and key of a cloud incident, and
//! approvals say in words what they act on and how it is undone.

use serde_json::json;
use vigil_connectors::sandbox::Sandbox;
use vigil_pipeline::DataDir;
use vigil_respond::engine::{self, Env};
use vigil_respond::{ApprovalStatus, RespondError, RunStatus, StepStatus, format};
use vigil_store::StateStore;

mod common;
use common::T0;
const ADMIN: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

fn company() -> (tempfile::TempDir, tempfile::TempDir) {
    common::company(1, 200, 14)
}

fn pb(id: &str) -> vigil_respond::Playbook {
    format::builtin().unwrap().into_iter().find(|p| p.id == id).unwrap()
}

/// The case of the risky IAM policy: an IAM user's ARN and no email among its users.
fn iam_case(store: &dyn StateStore) -> vigil_cases::Case {
    vigil_queue::cases(store)
        .unwrap()
        .into_iter()
        .find(|c| {
            c.entities.iter().any(|e| e.starts_with("user:arn:aws:iam::") && e.contains(":user/"))
                && c.entities.iter().any(|e| e.starts_with("key:akia"))
                && !c.entities.iter().any(|e| e.starts_with("user:") && e.contains('@'))
        })
        .expect("a case of an IAM user with an access key")
}

#[test]
fn playbooks_act_only_on_entities_of_their_kinds() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let case = iam_case(&store);
    let sb = Sandbox::start().unwrap();
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = |now: i64| Env { config: &config, secrets: &secrets, now_ms: now };

    // The IdP playbook's `entity.user` is never the ARN, and a dry run or a run is refused.
    let (ctx, _) = engine::context_for_case(&store, &case.id).unwrap();
    assert!(ctx["entity"]["user"].is_null(), "{}", ctx["entity"]);
    assert!(ctx["entity"]["cloud_principal"].as_str().unwrap().starts_with("arn:aws:iam::"));
    let e = engine::dry_run(&mut store, &pb("account-reset"), &case.id, "ann", &env(T0)).unwrap_err();
    assert!(
        matches!(e, RespondError::Invalid(ref m) if m.contains("idp_user") && m.contains("cloud_principal")),
        "{e}"
    );
    let e = engine::start(&mut store, &pb("account-reset"), &case.id, "ann", T0).unwrap_err();
    assert!(matches!(e, RespondError::Invalid(_)), "{e}");

    // The automation: no playbook run targets an entity of a kind it cannot act on.
    let runs = engine::trigger(&mut store, &format::builtin().unwrap(), &env(T0)).unwrap();
    assert!(!runs.iter().any(|r| r.playbook.id == "account-reset" && r.case_id == case.id));
    for r in &runs {
        if let Some(u) = r.inputs.get("user").and_then(|v| v.as_str()) {
            assert!(u.contains('@') && !u.starts_with("arn:"), "{} on {u}", r.playbook.id);
        }
        for s in r.steps.iter().filter(|s| s.action.starts_with("okta.")) {
            let inputs = s.inputs.as_ref().map(|v| v.to_string()).unwrap_or_default();
            assert!(!inputs.contains("arn:aws"), "{inputs}");
        }
    }
    let cloud = runs
        .iter()
        .find(|r| r.playbook.id == "cloud-credential" && r.case_id == case.id)
        .expect("the cloud-credential playbook starts on the IAM case");
    assert_eq!(cloud.status, RunStatus::WaitingApproval);
    let user = cloud.inputs["iam_user"].as_str().unwrap().to_string();
    let key = cloud.inputs["access_key"].as_str().unwrap().to_string();
    assert_eq!(key, key.to_ascii_uppercase(), "access key ids are upper case");
    assert_eq!(cloud.inputs["key_user"].as_str(), Some(user.as_str()), "the inventory names the key's IAM user");

    // The sandbox holds the IAM user, its key and the admin policy the attacker attached.
    sb.seed_key(&user, &key, "Active");
    sb.seed_iam_user(&user, &[ADMIN]);
    let mut decided = Vec::new();
    for _ in 0..3 {
        let Some(mut a) = engine::approvals(&store)
            .unwrap()
            .into_iter()
            .find(|a| a.run_id == cloud.id && a.status == ApprovalStatus::Pending)
        else {
            break;
        };
        // Readable: the target in words, what the step does and how it is undone.
        assert!(a.target.contains(&format!("IAM user {user}")), "{}", a.target);
        assert!(a.target.contains(&key), "{}", a.target);
        assert!(!a.description.is_empty());
        assert!(a.rollback.starts_with("rolled back by aws."), "{}", a.rollback);
        assert_eq!(a.verdict.as_deref(), Some("malicious"));
        assert!(a.risk.is_some());
        a = engine::approve(&mut store, &a.id, "bob", "attacker's admin", None, &env(T0 + 1)).unwrap();
        decided.push(a.action);
    }
    assert_eq!(decided, ["aws.deactivate_access_key", "aws.detach_user_policy"]);
    let run = engine::load_run(&store, &cloud.id).unwrap();
    assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.steps);
    assert_eq!(sb.state()["keys"][&key]["status"], "Inactive");
    assert_eq!(sb.state()["iam_policies"][&user], json!([]));

    // Rollback (approved) reactivates the key and re-attaches the policy.
    engine::rollback(&mut store, &run.id, None, "carol", &env(T0 + 2)).unwrap();
    for a in engine::approvals(&store).unwrap().into_iter().filter(|a| a.purpose == "rollback") {
        engine::approve(&mut store, &a.id, "bob", "false alarm", None, &env(T0 + 3)).unwrap();
    }
    let run = engine::load_run(&store, &run.id).unwrap();
    assert!(
        run.steps
            .iter()
            .filter(|s| s.status == StepStatus::Succeeded && !s.id.starts_with("notify"))
            .all(|s| { s.rollback.as_ref().is_some_and(|r| r.status == "succeeded") })
    );
    assert_eq!(sb.state()["keys"][&key]["status"], "Active");
    assert_eq!(sb.state()["iam_policies"][&user], json!([ADMIN]));
}

#[test]
fn a_host_approval_names_the_host_not_the_device_id() {
    let (_sim, data) = company();
    let mut store = DataDir::new(data.path()).open_store().unwrap();
    let sb = Sandbox::start().unwrap();
    let (config, secrets) = (sb.config(), sb.secrets());
    let env = Env { config: &config, secrets: &secrets, now_ms: T0 };
    for c in vigil_queue::cases(&store).unwrap() {
        for h in c.entities.iter().filter_map(|e| e.strip_prefix("host:")) {
            sb.seed_device(&format!("dev{}", h.len()), h);
        }
    }
    let runs = engine::trigger(&mut store, &format::builtin().unwrap(), &env).unwrap();
    let iso = runs.iter().find(|r| r.playbook.id == "device-isolation").expect("an isolation run");
    let a = engine::approvals(&store).unwrap().into_iter().find(|a| a.run_id == iso.id).expect("its approval");
    assert!(a.inputs.get("device_id").is_some());
    let host = iso.inputs["host"].as_str().unwrap();
    assert_eq!(a.target, format!("host {host}"));
    assert!(a.rollback.contains("crowdstrike.lift_containment"), "{}", a.rollback);
}
