//! The playbook format: the pilot playbooks load, and bad files are refused with the file, the
//! line and the field.

use vigil_respond::format::{self, parse};

const GOOD: &str = r#"format: vigil-playbook/1
id: test-pb
name: Test
version: 3
trigger:
  on: manual
inputs:
  user: "{{ entity.user }}"
steps:
  - id: ticket
    action: jira.create_issue
    with:
      summary: "{{ case.id }}"
  - id: suspend
    action: okta.suspend_user
    with:
      user: "{{ inputs.user }}"
    when: "verdict == 'malicious'"
    on_failure: notify
  - id: notify
    action: slack.webhook
    with:
      text: "ticket {{ steps.ticket.output.key }}"
"#;

#[test]
fn the_pilot_playbooks_load_with_controls_and_mitigations() {
    let pbs = format::builtin().unwrap();
    let ids: Vec<&str> = pbs.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["account-reset", "cloud-credential", "device-isolation", "ticket-open"]);
    let catalog = vigil_compliance::Catalog::builtin().unwrap();
    for p in &pbs {
        assert!(!p.controls.is_empty(), "{} names controls", p.id);
        let uc = p.use_case.as_deref().unwrap();
        assert!(!catalog.controls_for_playbook(uc).is_empty(), "{} maps to controls through {uc}", p.id);
        assert!(p.trigger.on == "incident");
    }
    assert!(pbs.iter().filter(|p| p.id != "ticket-open").all(|p| !p.mitigations.is_empty()));
    let pb = parse("good.yml", GOOD).unwrap();
    assert_eq!((pb.version, pb.steps.len(), pb.steps[1].retries, pb.steps[1].timeout_s), (3, 3, 0, 30));
    assert_eq!(pb.approval.expires_hours, 24);
    assert_eq!(pb.sha256.len(), 64);
}

fn bad(text: &str) -> vigil_respond::FormatError {
    parse("bad.yml", text).expect_err("a bad playbook was accepted")
}

#[test]
fn bad_playbooks_name_file_line_and_field() {
    let e = bad(&GOOD.replace("action: okta.suspend_user", "action: okta.delete_everything"));
    assert_eq!((e.file.as_str(), e.line, e.field.as_str()), ("bad.yml", 15, "steps[1].action"), "{e}");
    assert!(e.message.contains("unknown action"), "{e}");
    let e = bad(&GOOD.replace("  on: manual", "  on: manual\n  colour: blue"));
    assert_eq!(e.line, 7, "{e}");
    assert!(e.to_string().contains("colour"), "{e}");
    let e = bad(&GOOD.replace("      user: \"{{ inputs.user }}\"", "      who: \"{{ inputs.user }}\""));
    assert_eq!(e.field, "steps[1].with", "{e}");
    assert!(e.message.contains("needs input `user`"), "{e}");
    let e = bad(&GOOD.replace("{{ case.id }}", "{{ secrets.okta }}"));
    assert!(e.message.contains("templates may refer to"), "{e}");
    let e = bad(&GOOD.replace("text: \"ticket {{ steps.ticket.output.key }}\"", "text: \"{{ steps.later.output }}\""));
    assert!(e.message.contains("does not run before this one"), "{e}");
    let e = bad(&GOOD.replace("verdict == 'malicious'", "verdict is malicious"));
    assert_eq!(e.field, "steps[1].when", "{e}");
    let e = bad(&GOOD.replace("on_failure: notify", "on_failure: ticket"));
    assert!(e.message.contains("later step"), "{e}");
    let e =
        bad(&GOOD.replace("on_failure: notify", "on_failure: continue").replace("  - id: notify", "  - id: ticket"));
    assert!(e.message.contains("duplicate step id"), "{e}");
    let e = bad(&GOOD.replace("    action: okta.suspend_user", "    action: okta.reset_factors\n    approval: none"));
    assert!(e.message.contains("destructive"), "{e}");
    let e = bad(&GOOD.replace("format: vigil-playbook/1", "format: vigil-playbook/9"));
    assert_eq!((e.line, e.field.as_str()), (1, "format"), "{e}");
    let e = bad(&GOOD.replace("version: 3", "version: three"));
    assert!(e.line == 4, "{e}");
    let e = bad("format: vigil-playbook/1\nid: [unclosed\n");
    assert!(e.line >= 2, "{e}");
    let e = bad(&format!("{GOOD}controls: [NOT A CONTROL]\n"));
    assert_eq!(e.field, "controls", "{e}");
    let e = bad(&format!("{GOOD}mitigations: [T1059]\n"));
    assert_eq!(e.field, "mitigations", "{e}");
    assert!(bad(&"x".repeat(2 << 20)).message.contains("1 MiB"));
}

#[test]
fn loading_a_directory_reports_each_bad_file_and_duplicate_ids() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yml"), GOOD).unwrap();
    std::fs::write(dir.path().join("b.yml"), GOOD).unwrap();
    std::fs::write(dir.path().join("c.yaml"), "format: nope\n").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a playbook").unwrap();
    let (ok, bad) = format::load(&[dir.path().to_path_buf()]);
    assert_eq!(ok.len(), 1);
    assert_eq!(bad.len(), 2, "{bad:?}");
    assert!(bad.iter().any(|e| e.message.contains("already used")));
}

#[test]
fn the_playbooks_in_force_are_the_pilots_overridden_by_id_and_refuse_a_bad_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(format::in_force(&[]).unwrap().len(), 4);
    let mine = GOOD.replace("id: test-pb", "id: ticket-open").replace("version: 3", "version: 9");
    std::fs::write(dir.path().join("ticket.yml"), mine).unwrap();
    std::fs::write(dir.path().join("extra.yml"), GOOD).unwrap();
    let all = format::in_force(&[dir.path().to_path_buf()]).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all.iter().find(|p| p.id == "ticket-open").unwrap().version, 9, "the local one replaces the pilot");
    std::fs::write(dir.path().join("broken.yml"), "format: nope\n").unwrap();
    assert!(format::in_force(&[dir.path().to_path_buf()]).unwrap_err().file.ends_with("broken.yml"));
}

#[test]
fn targets_are_validated_and_needs_maps_onto_them() {
    let with_needs = GOOD.replace("  on: manual", "  on: manual\n  needs: user");
    let pb = parse("old.yml", &with_needs).unwrap();
    assert_eq!(pb.targets, ["idp_user"], "needs: user is read as targets [idp_user]");
    assert_eq!(pb.target_kinds(), [vigil_respond::TargetKind::IdpUser]);

    let e = bad(&GOOD.replace("  on: manual", "  on: manual\n  needs: person"));
    assert_eq!((e.line, e.field.as_str()), (7, "trigger.needs"), "{e}");
    assert!(e.message.contains("targets"), "{e}");

    let e = bad(&GOOD.replace("steps:\n", "targets: [okta_user]\nsteps:\n"));
    assert_eq!(e.field, "targets", "{e}");
    assert_eq!(e.line, GOOD.lines().position(|l| l.starts_with("steps:")).unwrap() + 1, "{e}");
    assert!(e.message.contains("idp_user") && e.message.contains("cloud_principal"), "{e}");

    // A playbook acting on hosts cannot hand an entity of another kind to a step.
    let e = bad(&GOOD.replace("steps:\n", "targets: [host]\nsteps:\n"));
    assert!(e.field.starts_with("steps[") || e.field.starts_with("inputs."), "{e}");
    assert!(e.message.contains("idp_user") && e.message.contains("[host]"), "{e}");
}
