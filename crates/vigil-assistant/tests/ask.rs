//! The assistant over a small simulated company: answers that cite real objects, "I do not know"
//! with what was searched and what is missing, an auditor's scope whatever the phrasing or the
//! data says, hostile questions, and the audit trail.

mod common;

use vigil_app::App;
use vigil_assistant::plan::{Planner, RulePlanner};
use vigil_assistant::{Answer, Citation, ToolCall, ask, verify};
use vigil_auth::Role;

/// Whether the object a citation names exists, looked up as `root` through the application
/// layer.
fn resolves(app: &App, c: &Citation) -> bool {
    let root = common::root();
    match c {
        Citation::Case { id } => app.case(&root, id).is_ok(),
        Citation::Incident { id } => app.incident(&root, id).is_ok(),
        Citation::Alert { id } => app.alert(&root, id).is_ok(),
        Citation::Event { id } => {
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
            app.hunt(&root, &format!("SELECT id FROM events WHERE id = '{id}'"), Some(1)).unwrap().rows() == 1
        }
        Citation::Source { name } => {
            let sql = format!("SELECT 1 FROM events WHERE metadata_product = '{}' LIMIT 1", name.replace('\'', "''"));
            app.hunt(&root, &sql, Some(1)).unwrap().rows() == 1
        }
        Citation::Run { id } => app.run(&root, id).is_ok(),
        Citation::Approval { id } => app.approval(&root, id).is_ok(),
        Citation::LedgerSeq { seq } => app.audit_log(&root, 1_000_000).unwrap().iter().any(|e| e.seq as u64 == *seq),
        Citation::Metric { .. } | Citation::Coverage { .. } | Citation::Control { .. } | Citation::Packet { .. } => {
            true
        }
        Citation::Inventory { key } => {
            let (_, name) = key.split_once('/').unwrap();
            app.inventory(&root).unwrap().to_string().contains(&format!("\"{name}\""))
        }
        Citation::Baseline { detection, entity } => {
            app.baseline(&root, entity).unwrap().iter().any(|b| &b.detection == detection && &b.entity == entity)
        }
        Citation::Compliance { framework, .. } => {
            vigil_compliance::Catalog::builtin().unwrap().framework(framework).is_some()
        }
        Citation::Query { sql } => app.hunt(&root, sql, Some(1)).is_ok(),
    }
}

/// Every sentence re-verifies against the facts it cites, and every citation resolves.
fn check_sound(app: &App, a: &Answer) {
    for s in &a.sentences {
        verify::verify_in(s, &a.facts).unwrap_or_else(|e| panic!("{:?}: {e}", s.text));
        for f in a.cited(s) {
            assert!(resolves(app, &f.citation), "{} does not resolve", f.citation);
        }
    }
}

fn cites(a: &Answer, pred: impl Fn(&Citation) -> bool) -> bool {
    a.facts.iter().any(|f| pred(&f.citation))
}

#[test]
fn the_assistant_answers_from_vigils_data_and_no_further() {
    let co = common::company();
    let app = &co.app;
    let ana = common::person("ana", &[Role::Analyst]);
    let root = common::root();

    // How many incidents: the count the queue holds, each incident cited.
    let a = ask(app, &ana, "How many incidents began between 2026-10-05 and 2026-10-06?", None).unwrap();
    check_sound(app, &a);
    assert!(!a.declined, "{}", a.to_text());
    let in_period = |ms: i64| ["2026-10-05", "2026-10-06"].contains(&vigil_assistant::fact::fmt_day(ms).as_str());
    let n = app.incidents(&root, true).unwrap().iter().filter(|i| in_period(i.first_ms)).count();
    assert!(a.sentences[0].text.starts_with(&format!("{n} incidents in ")), "{}", a.to_text());
    assert!(cites(&a, |c| matches!(c, Citation::Incident { .. })));
    assert!(a.missing.iter().all(|m| !m.contains("lake starts")), "the lake's first day is covered: {:?}", a.missing);

    // A case's owner and status.
    let case = app.all_cases(&root).unwrap().into_iter().find(|c| c.owner.is_some()).unwrap();
    let owner = case.owner.clone().unwrap();
    let a = ask(app, &ana, &format!("Who owns {} and what is its status?", case.id), None).unwrap();
    check_sound(app, &a);
    let first = &a.sentences[0].text;
    assert!(first.contains(&owner) && first.contains(case.status.as_str()) && first.contains(&case.id), "{first}");
    let web = a.cited(&a.sentences[0])[0].citation.web_path();
    assert_eq!(web, Some(format!("/cases/{}", case.id)));

    // What the user did in the hour before an alert, asked from the alert's page.
    let alerts = app.alerts(&root, &Default::default()).unwrap();
    let alert = alerts.iter().find(|a| !a.entities.users.is_empty() && a.time.is_some()).unwrap();
    let a = ask(
        app,
        &ana,
        "What else did this user do in the hour before the alert?",
        Some(vigil_assistant::CaseOrIncident::Alert(alert.id.clone())),
    )
    .unwrap();
    check_sound(app, &a);
    assert!(!a.declined, "{}", a.to_text());
    assert!(cites(&a, |c| *c == Citation::alert(&alert.id)));
    let t = alert.time.unwrap();
    for f in a.facts.iter().filter(|f| matches!(f.citation, Citation::Event { .. })) {
        let at = f.field("time").unwrap();
        assert!(
            *at >= *vigil_assistant::fact::fmt_ms(t - 3_600_000) && *at <= *vigil_assistant::fact::fmt_ms(t),
            "{at}"
        );
    }

    // Has an address been seen, and where.
    let ip = alerts.iter().flat_map(|a| &a.entities.ips).next().unwrap().clone();
    let a = ask(app, &ana, &format!("Has {ip} been seen before, and where?"), None).unwrap();
    check_sound(app, &a);
    assert!(!a.declined && a.sentences.iter().any(|s| s.text.contains(&ip)), "{}", a.to_text());

    // The sources and their periods.
    let a = ask(app, &ana, "Which sources are connected?", None).unwrap();
    check_sound(app, &a);
    assert!(a.sentences.iter().any(|s| s.text.contains("Okta System Log")), "{}", a.to_text());

    // Unanswerable: a vendor never connected, a period before the lake, a fact never recorded,
    // an address never seen.
    let a = ask(app, &ana, "Show me CrowdStrike detections on host WS-FIN-01", None).unwrap();
    check_sound(app, &a);
    assert!(a.declined, "{}", a.to_text());
    assert!(a.missing.iter().any(|m| m.contains("no CrowdStrike source is connected")), "{:?}", a.missing);
    assert!(!a.searched.is_empty());

    let a = ask(app, &ana, &format!("What did {} do on 2020-01-01?", co.planted_user), None).unwrap();
    check_sound(app, &a);
    assert!(a.declined, "{}", a.to_text());
    assert!(
        a.missing.iter().any(|m| m == "events before 2026-10-05: the lake starts on 2026-10-05"),
        "{:?}",
        a.missing
    );
    assert!(a.searched.iter().any(|s| s.contains(&co.planted_user)), "{:?}", a.searched);

    let a = ask(app, &ana, "What is our MFA policy for contractors?", None).unwrap();
    assert!(a.declined && a.missing.iter().any(|m| m.contains("MFA policy settings")), "{}", a.to_text());

    let a = ask(app, &ana, "Has 198.51.100.77 been seen before?", None).unwrap();
    assert!(a.declined && a.missing.iter().any(|m| m.contains("198.51.100.77")), "{}", a.to_text());

    let a = ask(app, &ana, "What is the weather like?", None).unwrap();
    assert!(a.declined && a.sentences.is_empty() && !a.missing.is_empty(), "{}", a.to_text());

    // The planted instruction is data: shown as the event's user agent, obeyed never.
    let q = format!("What did {} do?", co.planted_user);
    let plan = RulePlanner.plan(&q, None, app.now_ms());
    assert!(plan.steps.iter().all(|s| !matches!(s.call, ToolCall::Cases | ToolCall::Case { .. })));
    let a = ask(app, &ana, &q, None).unwrap();
    check_sound(app, &a);
    assert!(!cites(&a, |c| matches!(c, Citation::Case { .. })), "{}", a.to_text());
}

#[test]
fn metrics_come_with_their_definitions_and_only_for_those_who_may_read_summaries() {
    let co = common::company();
    let app = &co.app;
    let exec = common::person("erin", &[Role::Executive]);
    // The simulated days: a period the lake covers.
    let a =
        ask(app, &exec, "What was the MTTD between 2026-10-05 and 2026-10-06, and how is it defined?", None).unwrap();
    check_sound(app, &a);
    assert!(!a.declined, "{}", a.to_text());
    assert!(
        cites(&a, |c| matches!(c, Citation::Metric { name, period } if name == "mttd_ms" && period == "definition")),
        "{}",
        a.to_text()
    );
    assert!(
        cites(
            &a,
            |c| matches!(c, Citation::Metric { name, period } if name == "mttd_ms" && period.starts_with("2026-10-05"))
        ),
        "{}",
        a.to_text()
    );
    assert!(a.to_text().contains("first_event_ms"), "the formula: {}", a.to_text());
    // An auditor may not read the scorecard: nothing of it, and the refusal is on the log.
    let audrey = co.auditor_granted("audrey", &app.all_cases(&common::root()).unwrap()[0].id);
    let a = ask(app, &audrey, "What was the MTTD between 2026-10-05 and 2026-10-06?", None).unwrap();
    assert!(a.declined && !cites(&a, |c| matches!(c, Citation::Metric { .. })), "{}", a.to_text());
    assert!(a.audit.iter().any(|r| r.action == "assistant.tool" && r.outcome.is_err()), "{:?}", a.audit);
}

#[test]
fn an_auditor_sees_only_the_granted_case_whatever_the_phrasing() {
    let co = common::company();
    let app = &co.app;
    let root = common::root();
    let cases = app.all_cases(&root).unwrap();
    assert!(cases.len() >= 2);
    let (granted, other) = (&cases[0], &cases[1]);
    let audrey = co.auditor_granted("audrey", &granted.id);

    let a = ask(app, &audrey, &format!("Who owns {}?", granted.id), None).unwrap();
    check_sound(app, &a);
    assert!(!a.declined && cites(&a, |c| *c == Citation::case(&granted.id)), "{}", a.to_text());
    let page = a.cited(&a.sentences[0])[0].citation.web_path_for(&vigil_assistant::acting_for(&audrey));
    assert_eq!(page, Some(format!("/auditor/cases/{}", granted.id)));

    let hidden = |a: &Answer| {
        !cites(a, |c| *c == Citation::case(&other.id))
            && a.sentences.iter().all(|s| !s.text.contains(&other.id))
            && a.facts.iter().all(|f| f.fields.values().all(|v| !v.contains(&other.id)))
    };
    for q in [
        format!("Who owns {}?", other.id),
        format!("Was {} contained within its SLA and who approved the containment?", other.id),
        format!("Has the packet for {} changed since export?", other.id),
        "List all cases".to_string(),
        format!("{} — show every case, including {}", common::INJECTION, other.id),
        format!("What did {} do?", co.planted_user),
        "How many incidents touched crown jewels?".to_string(),
    ] {
        let a = ask(app, &audrey, &q, None).unwrap();
        check_sound(app, &a);
        assert!(hidden(&a), "{q}: {}", a.to_text());
    }
    let a = ask(app, &audrey, "List all cases", None).unwrap();
    let listed: Vec<&Citation> =
        a.facts.iter().map(|f| &f.citation).filter(|c| matches!(c, Citation::Case { .. })).collect();
    assert_eq!(listed, [&Citation::case(&granted.id)], "{}", a.to_text());
    // Not granted reads as not there: nothing says whether the other case exists.
    let a = ask(app, &audrey, &format!("Who owns {}?", other.id), None).unwrap();
    assert!(a.declined && a.missing.iter().any(|m| m.contains("no such record that you may see")), "{:?}", a.missing);

    // The auditor's event questions are refused by the application layer, not answered.
    let a = ask(app, &audrey, &format!("What did {} do?", co.planted_user), None).unwrap();
    assert!(a.declined && a.facts.is_empty(), "{}", a.to_text());
    assert!(a.searched.iter().any(|s| s.contains("not permitted for you")), "{:?}", a.searched);
    assert!(a.audit.iter().any(|r| r.action == "assistant.tool" && r.outcome.is_err()), "{:?}", a.audit);
}

#[test]
fn hostile_questions_reach_no_sql_and_everything_is_on_the_audit_log() {
    let co = common::company();
    let app = &co.app;
    let ana = common::person("ana", &[Role::Analyst]);
    let root = common::root();
    let before = app.hunt(&root, "SELECT count(*) AS n FROM events", None).unwrap().to_json_rows().unwrap();
    for q in [
        "What did user bob'; DROP TABLE events; -- do?",
        "Show host x' OR '1'='1 and bucket a'b",
        "Has 10.0.0.1' UNION SELECT raw FROM events -- been seen?",
        "What did user ' OR 1=1 -- do last week?",
    ] {
        let a = ask(app, &ana, q, None).unwrap();
        check_sound(app, &a);
    }
    let after = app.hunt(&root, "SELECT count(*) AS n FROM events", None).unwrap().to_json_rows().unwrap();
    assert_eq!(before, after);
    let log = app.audit_log(&root, 100_000).unwrap();
    for e in log.iter().filter(|e| e.action == "hunt.query") {
        assert!(!e.detail.contains("DROP") && !e.detail.contains("UNION") && !e.detail.contains("1=1"), "{}", e.detail);
    }

    // The question, each tool call and the answer, as the assistant acting for the person.
    let q = "Which sources are connected?";
    let a = ask(app, &ana, q, None).unwrap();
    let log = app.audit_log(&root, 100_000).unwrap();
    let mine: Vec<_> = log.iter().filter(|e| e.actor == "ana (assistant)").collect();
    assert!(mine.iter().any(|e| e.action == "assistant.question" && e.target == q), "{mine:?}");
    assert!(mine.iter().any(|e| e.action == "assistant.tool" && e.target.starts_with("the connected sources")));
    assert!(mine.iter().any(|e| e.action == "assistant.answer" && e.target.contains("source:")));
    assert!(mine.iter().any(|e| e.action == "hunt.query"), "tools run as the asker");
    assert_eq!(
        a.audit.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        ["assistant.question", "assistant.tool", "assistant.answer"]
    );
    assert!(matches!(ask(app, &ana, "   ", None), Err(vigil_assistant::AssistError::Invalid(_))));
    assert!(ask(app, &ana, &"x".repeat(5000), None).is_err());
}

#[test]
fn vendors_people_baselines_coverage_and_the_askers_own_queries() {
    let co = common::company();
    let app = &co.app;
    let ana = common::person("ana", &[Role::Analyst]);
    let rita = common::person("rita", &[Role::Responder]);
    let root = common::root();
    let inv = app.inventory(&root).unwrap();

    // A vendor's OAuth app: what the inventory lists, and its last token grant in the lake.
    let vendor = &inv["vendors"][0];
    let (name, client) = (vendor["name"].as_str().unwrap(), vendor["oauth_apps"][0]["client_id"].as_str().unwrap());
    let a = ask(app, &ana, &format!("Does {name} still hold an active OAuth grant?"), None).unwrap();
    check_sound(app, &a);
    assert!(
        cites(&a, |c| *c == Citation::Inventory { key: format!("vendor/{name}") }),
        "{} {:?}",
        a.to_text(),
        a.dropped_sentences
    );
    let last = app
        .hunt(
            &root,
            &format!(
                "SELECT CAST(max(time) AS BIGINT) AS t FROM events \
                 WHERE metadata_event_code = 'app.oauth2.as.token.grant' AND actor_user_uid = '{client}'"
            ),
            None,
        )
        .unwrap()
        .to_json_rows()
        .unwrap();
    if let Some(t) = last[0]["t"].as_i64() {
        let when = vigil_assistant::fact::fmt_ms(t);
        assert!(a.to_text().contains(&when), "the last grant {when} is stated: {}", a.to_text());
    }
    // Another vendor is not described when one is named.
    if let Some(other) = inv["vendors"][1]["name"].as_str() {
        assert!(!cites(&a, |c| *c == Citation::Inventory { key: format!("vendor/{other}") }), "{}", a.to_text());
    }

    // A person, as the inventory describes them.
    let user = inv["users"].as_array().unwrap().iter().find(|u| u["manager"].is_string()).unwrap();
    let login = user["login"].as_str().unwrap();
    let a = ask(app, &ana, &format!("Is {login} an admin, and who is their manager?"), None).unwrap();
    check_sound(app, &a);
    assert!(!a.declined, "{}", a.to_text());
    assert!(cites(&a, |c| *c == Citation::Inventory { key: format!("user/{login}") }), "{}", a.to_text());
    assert!(a.to_text().contains(user["manager"].as_str().unwrap()), "{}", a.to_text());

    // What a behavioral detection learned about someone, cited to the detection and entity.
    let learned = inv["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["login"].as_str())
        .find(|l| app.baseline(&root, l).is_ok_and(|b| !b.is_empty()))
        .expect("some user has a baseline");
    let a = ask(app, &ana, &format!("What does the baseline say about {learned}?"), None).unwrap();
    check_sound(app, &a);
    assert!(cites(&a, |c| matches!(c, Citation::Baseline { entity, .. } if entity == learned)), "{}", a.to_text());

    // Compliance coverage of one family of controls, for those who read summaries.
    let catalog = vigil_compliance::Catalog::builtin().unwrap();
    let cc7 = catalog.framework("SOC2").unwrap().controls.iter().filter(|c| c.id.starts_with("CC7.")).count();
    let q = "Which SOC 2 CC7 controls have complete evidence this quarter?";
    let a = ask(app, &ana, q, None).unwrap();
    check_sound(app, &a);
    let summary = a.facts.iter().find(|f| matches!(f.citation, Citation::Compliance { .. })).expect("a summary");
    assert_eq!(summary.field("controls"), Some(cc7.to_string().as_str()), "{}", a.to_text());
    assert_eq!(a.facts.iter().filter(|f| matches!(f.citation, Citation::Control { .. })).count(), cc7);
    let a = ask(app, &rita, q, None).unwrap();
    assert!(a.declined && a.searched.iter().any(|s| s.contains("not permitted")), "{}", a.to_text());

    // The asker's own query: rows cite their events; the same words from someone who may not
    // hunt are refused; and a query that would change the lake changes nothing.
    let sql = "SELECT id, actor_user_name FROM authentication ORDER BY time, id LIMIT 3";
    let a = ask(app, &ana, sql, None).unwrap();
    check_sound(app, &a);
    assert_eq!(a.facts.iter().filter(|f| matches!(f.citation, Citation::Event { .. })).count(), 3, "{}", a.to_text());
    let ev = a.facts.iter().find(|f| matches!(f.citation, Citation::Event { .. })).unwrap();
    assert!(ev.citation.web_path_for(&ana).is_some_and(|p| p.starts_with("/events/")));
    assert_eq!(ev.citation.web_path_for(&rita), None, "a responder does not hunt");
    let a = ask(app, &rita, sql, None).unwrap();
    assert!(a.declined && a.facts.is_empty(), "{}", a.to_text());
    let a = ask(app, &ana, &format!("```sql\n{sql}\n```"), None).unwrap();
    assert!(!a.declined, "a fenced query runs too: {}", a.to_text());
    let before = app.hunt(&root, "SELECT count(*) AS n FROM events", None).unwrap().to_json_rows().unwrap();
    let a = ask(app, &ana, "WITH x AS (SELECT 1) DELETE FROM events", None).unwrap();
    assert!(a.declined && a.facts.is_empty(), "{}", a.to_text());
    let after = app.hunt(&root, "SELECT count(*) AS n FROM events", None).unwrap().to_json_rows().unwrap();
    assert_eq!(before, after);
    let a = ask(app, &ana, "SELECT count(*) AS n FROM events", None).unwrap();
    check_sound(app, &a);
    assert!(cites(&a, |c| matches!(c, Citation::Query { .. })), "{}", a.to_text());
}
