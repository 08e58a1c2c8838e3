//! Investigations over a small simulated company: for each attack the simulator labelled, the
//! incident it became is investigated, and the record must mark the attack's events as decisive,
//! name its entities, cite only what resolves, and summarise without a claim its facts do not
//! hold; investigating is refused to those who may not read the queue, and what the
//! investigator may not read is named as unknown, not guessed. After triage every queued incident
//! gets a kept record, which is shown until its incident changes and goes into the case packet.

mod common;

use std::collections::BTreeSet;

use vigil_app::respond::ResponseConfig;
use vigil_assistant::investigate::{Investigation, investigate, investigate_pending, kept_or_new};
use vigil_assistant::{Citation, verify};
use vigil_auth::Role;

fn sound(app: &vigil_app::App, inv: &Investigation) {
    let root = common::root();
    for s in &inv.summary {
        verify::verify_in(s, &inv.facts).unwrap_or_else(|e| panic!("{:?}: {e}", s.text));
    }
    for e in &inv.timeline {
        let f = inv.fact(&e.fact).expect("each entry states a fact");
        assert_eq!(f.citation, Citation::event(&e.event));
    }
    for f in &inv.facts {
        assert!(vigil_assistant::eval::resolves(app, &root, &f.citation), "{} does not resolve", f.citation);
    }
}

#[test]
fn every_labelled_attack_is_investigated_with_its_events_decisive_and_its_entities_named() {
    let co = common::company();
    let app = &co.app;
    let ana = common::person("ana", &[Role::Analyst]);
    let root = common::root();
    let detail_of = |id: &str| app.incident_detail(&root, id).unwrap();
    let incidents = app.incidents(&root, true).unwrap();
    let mut done: std::collections::BTreeMap<String, Investigation> = Default::default();
    let (mut labelled, mut marked) = (0usize, 0usize);
    let mut breakdown: Vec<String> = Vec::new();
    for label in &co.labels {
        let events: BTreeSet<String> =
            label["event_ids"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()).collect();
        // The incidents holding the alerts on this attack's events (an attack may become several).
        let mine: Vec<&vigil_triage::Incident> = incidents
            .iter()
            .filter(|i| detail_of(&i.id).alerts.iter().any(|a| a.event_ids.iter().any(|e| events.contains(e))))
            .collect();
        if mine.is_empty() {
            continue;
        }
        for inc in &mine {
            if !done.contains_key(&inc.id) {
                let inv = investigate(app, &ana, &inc.id, &ResponseConfig::default()).unwrap();
                sound(app, &inv);
                assert!(!inv.summary.is_empty() && inv.dropped == 0, "{}", inv.to_text());
                done.insert(inc.id.clone(), inv);
            }
        }
        let invs: Vec<&Investigation> = mine.iter().map(|i| &done[&i.id]).collect();
        // The attack's events that the timelines hold are marked decisive.
        let decisive: BTreeSet<&str> = invs.iter().flat_map(|v| v.decisive()).map(|e| e.event.as_str()).collect();
        let held: Vec<&String> =
            events.iter().filter(|e| invs.iter().any(|v| v.timeline.iter().any(|t| &t.event == *e))).collect();
        labelled += held.len();
        let hit = held.iter().filter(|e| decisive.contains(e.as_str())).count();
        marked += hit;
        breakdown.push(format!("{}: {hit}/{}", label["scenario"], held.len()));
        // The labelled users, hosts and keys are named: among the investigated entities or the
        // blast radius.
        let named: BTreeSet<String> = invs
            .iter()
            .flat_map(|v| {
                v.entities
                    .iter()
                    .map(|c| c.value.to_lowercase())
                    .chain(v.blast_radius.iter().map(|r| r.value.to_lowercase()))
            })
            .collect();
        for kind in ["users", "hosts", "keys"] {
            for v in label["entities"][kind].as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
                let v = v.to_lowercase();
                let short = v.split('@').next().unwrap_or(&v).to_string();
                // Only what the lake shows within the investigations' windows can be named.
                let (from, to) = (
                    invs.iter().map(|x| x.from_ms).min().unwrap_or(0),
                    invs.iter().map(|x| x.to_ms).max().unwrap_or(0),
                );
                let q = format!(
                    "SELECT count(*) AS n FROM events WHERE time >= to_timestamp_millis({from}) \
                     AND time < to_timestamp_millis({to}) AND (lower(device_hostname) LIKE '{short}%' \
                     OR lower(actor_user_name) LIKE '{short}%' OR lower(user_name) LIKE '{short}%' \
                     OR actor_user_credential_uid = '{up}' OR strpos(api_response_data, '{up}') > 0)",
                    up = v.to_uppercase()
                );
                let shown = app.hunt(&root, &q, None).unwrap().to_json_rows().unwrap()[0]["n"].as_i64().unwrap_or(0);
                if shown == 0 {
                    continue;
                }

                assert!(
                    named.iter().any(|n| *n == v
                        || *n == short
                        || n.starts_with(&format!("{short}@"))
                        || n.starts_with(&format!("{v}."))),
                    "{kind} {v} of {} is not named:\n{}",
                    label["scenario"],
                    invs.iter().map(|v| v.to_text()).collect::<Vec<_>>().join("\n")
                );
            }
        }
    }
    let investigated = done.len();
    assert!(investigated >= 3, "the small company's attacks become incidents: {investigated}");
    assert!(labelled > 0);
    let recall = marked as f64 / labelled as f64;
    // Measured on this company: about half of the labelled events the timelines hold are marked
    // decisive (the rest are the attack's ordinary-looking steps: sign-ins, process starts,
    // file writes). The floor keeps it from getting worse; ASSISTANT.md records the figure.
    eprintln!("decisive recall {marked}/{labelled}: {breakdown:?}");
    assert!(recall >= 0.45, "{marked} of {labelled} labelled events in the timelines are decisive: {breakdown:?}");

    // The log records each investigation, as the analyst's assistant.
    let log = app.audit_log(&root, 100_000).unwrap();
    assert_eq!(
        log.iter().filter(|e| e.action == "assistant.investigate" && e.actor == "ana (assistant)").count(),
        investigated
    );

    // `vigil eval investigations` scores the same way: the same incidents, the same decisive
    // recall, every shown entity named, and no summary sentence that does not hold.
    let truth: Vec<vigil_model::Label> = co.labels.iter().map(|l| serde_json::from_value(l.clone()).unwrap()).collect();
    let e = vigil_assistant::investigation_eval::eval_investigations(app, &ana, &truth, &ResponseConfig::default())
        .unwrap();
    assert_eq!(e.investigated, investigated);
    assert_eq!((e.decisive(), e.held()), (marked, labelled));
    assert_eq!(e.named(), e.entities(), "{:?}", e.labels);
    assert!(e.entities() > 0);
    assert_eq!(e.fabricated, 0);
}

#[test]
fn investigating_needs_the_queue_and_what_may_not_be_read_is_unknown() {
    let co = common::company();
    let app = &co.app;
    let root = common::root();
    let inc = app.incidents(&root, true).unwrap().into_iter().max_by_key(|i| i.alert_count).unwrap();
    let exec = common::person("eve", &[Role::Executive]);
    assert!(investigate(app, &exec, &inc.id, &ResponseConfig::default()).is_err());
    assert!(investigate(app, &root, "INC-not-there", &ResponseConfig::default()).is_err());
    // A responder reads the queue but not the lake: no timeline, and it says so.
    let rita = common::person("rita", &[Role::Responder]);
    let inv = investigate(app, &rita, &inc.id, &ResponseConfig::default()).unwrap();
    assert!(inv.timeline.is_empty(), "{}", inv.to_text());
    assert!(inv.unknown.iter().any(|u| u.contains("which you may not read")), "{:?}", inv.unknown);
    sound(app, &inv);
}

#[test]
fn every_queued_incident_gets_a_kept_investigation_that_the_packet_carries() {
    let co = common::company();
    let app = &co.app;
    let root = common::root();
    let bot = vigil_app::Caller::automation(vigil_app::caller::INVESTIGATOR);
    let queued: Vec<String> = app.incidents(&root, false).unwrap().into_iter().map(|i| i.id).collect();
    assert!(queued.len() >= 2, "the company queues incidents");
    let pending = app.incidents_to_investigate(&bot).unwrap();
    assert_eq!(pending.len(), queued.len(), "none investigated yet");
    assert!(pending.windows(2).all(|w| w[0].risk.score >= w[1].risk.score), "highest risk first");

    // Two at a time, as the automation; the rest are counted as remaining.
    let cfg = ResponseConfig::default();
    let first = investigate_pending(app, &bot, &cfg, 2, &|| false).unwrap();
    assert_eq!(first.investigated, pending.iter().take(2).map(|i| i.id.clone()).collect::<Vec<_>>());
    assert_eq!((first.failed.len(), first.remaining), (0, queued.len() - 2));
    // Stopped at once: nothing done, nothing lost.
    let stopped = investigate_pending(app, &bot, &cfg, usize::MAX, &|| true).unwrap();
    assert_eq!((stopped.investigated.len(), stopped.remaining), (0, queued.len() - 2));
    let rest = investigate_pending(app, &bot, &cfg, usize::MAX, &|| false).unwrap();
    assert_eq!((rest.investigated.len(), rest.remaining), (queued.len() - 2, 0));
    assert!(app.incidents_to_investigate(&bot).unwrap().is_empty());

    // Each kept record reads back as the investigation it was, made by the automation, sound.
    let ana = common::person("ana", &[Role::Analyst]);
    for id in &queued {
        let kept = app.kept_investigation(&root, id).unwrap().expect("kept");
        assert!(kept.current);
        assert_eq!(kept.stored.made_by, vigil_app::caller::INVESTIGATOR);
        let (inv, reused) = kept_or_new(app, &ana, id, &cfg, false).unwrap();
        assert!(reused, "{id}: the kept one is shown");
        assert_eq!(inv.made_by, vigil_app::caller::INVESTIGATOR);
        assert_eq!(inv.to_text(), kept.stored.text);
        sound(app, &inv);
    }
    // --fresh makes it again, as the person, and keeps that one.
    let (again, reused) = kept_or_new(app, &ana, &queued[0], &cfg, true).unwrap();
    assert!(!reused);
    assert_eq!(app.kept_investigation(&root, &queued[0]).unwrap().unwrap().stored.made_by, again.made_by);
    assert!(again.made_by.starts_with("ana"), "{}", again.made_by);
    let stored = app.audit_log(&root, 100_000).unwrap();
    let kept_entries = stored.iter().filter(|e| e.action == "investigation.store").count();
    assert_eq!(kept_entries, queued.len() + 1, "each kept record is on the audit log");

    // Those who may not read the lake do not get the kept record; a responder gets one made as
    // themselves (no timeline), and it is not kept over the automation's.
    let rita = common::person("rita", &[Role::Responder]);
    assert!(app.kept_investigation(&rita, &queued[1]).is_err());
    let (mine, reused) = kept_or_new(app, &rita, &queued[1], &cfg, false).unwrap();
    assert!(!reused && mine.timeline.is_empty());
    assert_eq!(
        app.kept_investigation(&root, &queued[1]).unwrap().unwrap().stored.made_by,
        vigil_app::caller::INVESTIGATOR
    );
    // Triage does not do the automation's other work: it may not read the lake.
    let triage = vigil_app::Caller::automation(vigil_queue::TRIAGE_ACTOR);
    assert!(app.incidents_to_investigate(&triage).is_err());

    // The packet of the case holding the first incident carries its investigation, and verifies.
    let case = app
        .open_cases(&root)
        .unwrap()
        .into_iter()
        .find(|c| c.case.incidents.contains(&queued[0]))
        .expect("a case holds the queued incident");
    let catalog = vigil_compliance::Catalog::builtin().unwrap();
    let (bytes, exported) =
        app.export_case(&root, &case.case.id, &catalog, &vigil_vault::ExportOptions::default()).unwrap();
    let name = format!("investigations/{}.json", queued[0]);
    assert!(exported.files.contains(&name), "{:?}", exported.files);
    assert!(exported.files.contains(&format!("investigations/{}.txt", queued[0])));
    let key = vigil_vault::ledger::load_or_create_key(app.dir().root()).unwrap().public_key_hex();
    let report = vigil_evidence::packet::verify_packet(&bytes, Some(&key), &[]);
    assert!(report.ok(), "{report:?}");

    // When an incident's alerts change its record is stale: merged, the two incidents' alerts
    // are one incident's, which is to be investigated again; a stale record is never shown.
    app.merge_incidents(&root, &[queued[0].clone(), queued[1].clone()], "one intrusion").unwrap();
    let stale = app.incidents_to_investigate(&bot).unwrap();
    assert_eq!(stale.len(), 1, "{:?}", stale.iter().map(|i| &i.id).collect::<Vec<_>>());
    if let Some(k) = app.kept_investigation(&root, &stale[0].id).unwrap() {
        assert!(!k.current);
        let (inv, reused) = kept_or_new(app, &ana, &stale[0].id, &cfg, false).unwrap();
        assert!(!reused && inv.made_by.starts_with("ana"));
    }
}
