//! The GitHub audit log decoder: the shapes GitHub writes (REST API, audit log streaming) and
//! Panther stores, what each field becomes, what is quarantined and why, and the Panther test
//! fixtures in `$VIGIL_CORPUS/panther-analysis-tests/GitHub_Audit.jsonl` (skipped, with a
//! message, when `VIGIL_CORPUS` is not set).

use vigil_decode::detect;
use vigil_model::{OcsfClass, api, group};

mod common;
use common::{auto, corpus, panther_fixture_files, quarantined_with_reasons};

/// What the corpus tests are called when they are skipped.
const CORPUS: &str = "the GitHub audit corpus test";

/// The unit the payloads are decoded as.
const UNIT: &str = "audit.json";

const STREAMED: &str = r#"{"@timestamp":1706799491000,"_document_id":"b8a4QzVhY2E2NjQ0","action":"repo.destroy","actor":"octocat","actor_id":1,"actor_ip":"203.0.113.7","actor_location":{"country_code":"DE"},"business":"acme","created_at":1706799491000,"operation_type":"remove","org":"acme-corp","org_id":42,"repo":"acme-corp/secrets","repo_id":7,"user_agent":"git/2.43","token_id":99,"programmatic_access_type":"Personal access token (classic)"}"#;

#[test]
fn streamed_record_maps_to_api_activity() {
    let (ev, q) = auto(STREAMED);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::ApiActivity);
    assert_eq!(e.activity_id, api::DELETE);
    assert_eq!(e.time, 1_706_799_491_000);
    assert_eq!(e.metadata.format, "github");
    assert_eq!(e.metadata.product, "GitHub Audit Log");
    assert_eq!(e.metadata.vendor, "GitHub");
    assert_eq!(e.metadata.original_uid.as_deref(), Some("b8a4QzVhY2E2NjQ0"));
    assert_eq!(e.metadata.event_code.as_deref(), Some("repo.destroy"));
    let actor = e.actor.user.as_ref().unwrap();
    assert_eq!(actor.name.as_deref(), Some("octocat"));
    assert_eq!(actor.uid.as_deref(), Some("1"));
    assert_eq!(actor.credential_uid.as_deref(), Some("99"));
    let src = e.src_endpoint.as_ref().unwrap();
    assert_eq!(src.ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(src.geo.as_ref().unwrap().country.as_deref(), Some("DE"));
    let api = e.api.as_ref().unwrap();
    assert_eq!(api.service.as_deref(), Some("github"));
    assert_eq!(api.operation.as_deref(), Some("repo.destroy"));
    assert_eq!(api.request_data.as_deref(), Some("acme-corp/secrets"), "the resource: the repository");
    let cloud = e.cloud.as_ref().unwrap();
    assert_eq!(cloud.provider.as_deref(), Some("GitHub"));
    assert_eq!(cloud.account_uid.as_deref(), Some("acme-corp"));
    assert_eq!(e.http.as_ref().unwrap().user_agent.as_deref(), Some("git/2.43"));
    assert_eq!(e.raw, STREAMED);
}

#[test]
fn panther_shapes_and_membership_changes() {
    // Panther's rename of @timestamp and its string times, in a test-fixture envelope.
    let line = r#"{"rule_id":"GitHub.Org.Member","log_types":["GitHub.Audit"],"log":{"action":"org.add_member","actor":"admin","at_sign_timestamp":"2023-01-31 18:58:27.638","created_at":"2023-01-31 18:58:27.638","org":"acme-corp","user":"newbie","p_log_type":"GitHub.Audit"}}"#;
    let (ev, q) = auto(line);
    assert!(q.is_empty(), "{q:?}");
    let e = &ev[0];
    assert_eq!(e.class, OcsfClass::GroupManagement);
    assert_eq!(e.activity_id, group::ADD_USER);
    assert_eq!(e.time, 1_675_191_507_638);
    assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("newbie"));
    assert_eq!(e.group.as_ref().unwrap().name.as_deref(), Some("acme-corp"));
    assert_eq!(e.raw, line, "raw is the line as read");
    // A team's member: the team is the group.
    let team = r#"{"action":"team.remove_member","actor":"admin","created_at":1621305118553,"org":"acme-corp","team":"acme-corp/red","user":"leaver"}"#;
    let (ev, _) = auto(team);
    assert_eq!((ev[0].class, ev[0].activity_id), (OcsfClass::GroupManagement, group::REMOVE_USER));
    assert_eq!(ev[0].group.as_ref().unwrap().name.as_deref(), Some("acme-corp/red"));
    // A user's second factor is the account's own change.
    let mfa = r#"{"action":"two_factor_authentication.disabled","actor":"bob","@timestamp":1621305118553,"user":"bob","org":"acme-corp"}"#;
    let (ev, _) = auto(mfa);
    assert_eq!((ev[0].class, ev[0].activity_id), (OcsfClass::AccountChange, vigil_model::account_change::MFA_DISABLE));
}

#[test]
fn what_it_cannot_read_is_quarantined_naming_the_field() {
    let cases = [
        (r#"{"actor":"a","created_at":1621305118553,"org":"o"}"#, "'action'"),
        (r#"{"action":42,"actor":"a","created_at":1621305118553}"#, "'action'"),
        (r#"{"action":"  ","actor":"a","created_at":1621305118553}"#, "'action'"),
        (r#"{"action":"repo.create","actor":"a","org":"o"}"#, "@timestamp, created_at, at_sign_timestamp"),
        (r#"{"action":"repo.create","actor":"a","created_at":"yesterday"}"#, "'created_at'"),
        (r#"["repo.create"]"#, "not a GitHub audit record"),
        (r#""repo.create""#, "not a GitHub audit record"),
    ];
    quarantined_with_reasons("github", &cases);
}

#[test]
fn panther_github_audit_fixtures() {
    let Some(root) = corpus(CORPUS) else { return };
    let path = root.join("panther-analysis-tests/GitHub_Audit.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let lines = text.lines().filter(|l| !l.trim().is_empty()).count();
    let (ev, q) = auto(&text);
    println!("GitHub_Audit.jsonl: {lines} records, {} decoded, {} quarantined", ev.len(), q.len());
    let mut reasons = std::collections::BTreeMap::new();
    for r in &q {
        *reasons.entry(r.reason.clone()).or_insert(0) += 1;
    }
    for (why, n) in &reasons {
        println!("  {n} quarantined: {why}");
    }
    assert_eq!(ev.len() + q.len(), lines, "one outcome per record");
    for r in &q {
        assert_eq!(r.format, "github", "the envelope declares GitHub.Audit: {r:?}");
        assert!(r.reason.contains("action") || r.reason.contains("created_at"), "names the field: {}", r.reason);
    }
    for e in &ev {
        assert_eq!(e.metadata.format, "github");
        assert!(e.api.as_ref().and_then(|a| a.operation.as_deref()).is_some_and(|o| !o.is_empty()));
        assert_eq!(e.cloud.as_ref().and_then(|c| c.provider.as_deref()), Some("GitHub"));
    }
    // 27 fixtures carry no time at all (Panther's rule tests need none) and 4 a malformed one
    // ("2024-12-17 00:00:00000000"); every other decodes.
    assert_eq!((ev.len(), q.len()), (70, 31));
    // Read again: the same ids.
    let (again, _) = auto(&text);
    assert_eq!(
        ev.iter().map(|e| &e.id).collect::<Vec<_>>(),
        again.iter().map(|e| &e.id).collect::<Vec<_>>(),
        "ids are stable under re-ingest"
    );
}

/// Sniffing takes a record for GitHub audit only where the fixture says it is one (shared rules'
/// fixtures list several log types, and their GitHub records sit in other vendors' files).
#[test]
fn no_other_panther_fixture_is_taken_for_github_audit() {
    let Some(root) = corpus(CORPUS) else { return };
    let files = panther_fixture_files(&root);
    let (mut checked, mut github) = (0, 0);
    for f in files {
        if f.file_name().is_some_and(|n| n == "GitHub_Audit.jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for line in text.lines() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else { continue };
            let record = v.get("log").unwrap_or(&v);
            checked += 1;
            if detect(record).name() == "github" {
                let declared = record.get("p_log_type").and_then(|t| t.as_str()) == Some("GitHub.Audit")
                    || v.get("log_types")
                        .and_then(|t| t.as_array())
                        .is_some_and(|t| t.iter().any(|x| x.as_str() == Some("GitHub.Audit")));
                assert!(declared, "{}: taken for GitHub audit: {line}", f.display());
                github += 1;
            }
        }
    }
    println!("{checked} records of other Panther fixtures: {github} sniffed as GitHub audit, each declared one");
    assert!(checked > 0);
}
