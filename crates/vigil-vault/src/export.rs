//! `vigil case export`: an incident packet built from the store, the lake and the ledger.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Serialize;
use vigil_cases::Case;
use vigil_compliance::Catalog;
use vigil_evidence::SignedCheckpoint;
use vigil_evidence::packet::{self, ConsistencyLine, Manifest, ManifestLedger, PacketFile, ProvenEntry};
use vigil_model::Alert;
use vigil_store::{AuditEntry, StateStore};
use vigil_triage::Incident;

use crate::ledger::{self, entry_json, entry_kind};
use crate::vault::{self, ItemMeta, Scope};
use crate::{Result, VaultError, sha256_hex};

/// How a packet is cut.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// Logs cover the case's first alert minus this, to its last alert plus this.
    pub margin_ms: i64,
    /// A packet refuses to cut a population larger than this (it would not be complete).
    pub max_log_records: usize,
    /// Retention of the packet in the vault.
    pub retain_until_ms: Option<i64>,
    /// What produced the packet (`vigil 0.1.0 case export`).
    pub collector: String,
}

impl Default for ExportOptions {
    fn default() -> Self {
        Self {
            margin_ms: 24 * 3_600_000,
            max_log_records: 1_000_000,
            retain_until_ms: None,
            collector: format!("vigil {} case export", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// What an export produced.
#[derive(Debug, Clone, Serialize)]
pub struct Exported {
    pub case_id: String,
    pub sha256: String,
    pub size: u64,
    /// Every file in the packet, as the zip lists them.
    pub files: Vec<String>,
    pub ledger_entries: usize,
    pub log_records: u64,
    pub log_query: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub controls: Vec<String>,
    pub checkpoint: SignedCheckpoint,
    pub vault_item: i64,
}

/// The lake query that selects a case's population: its events by id, and every event in
/// the window that involves one of its users, hosts or addresses.
pub fn population_predicate(case: &Case, alerts: &[Alert], from_ms: i64, to_ms: i64) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let list = |v: &BTreeSet<String>| v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ");
    let mut users = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut ips = BTreeSet::new();
    for e in &case.entities {
        if let Some(v) = e.strip_prefix("user:") {
            users.insert(v.to_string());
        } else if let Some(v) = e.strip_prefix("host:") {
            hosts.insert(v.to_string());
        } else if let Some(v) = e.strip_prefix("ip:") {
            ips.insert(v.to_string());
        }
    }
    for a in alerts {
        users.extend(a.entities.users.iter().cloned());
        hosts.extend(a.entities.hosts.iter().cloned());
        ips.extend(a.entities.ips.iter().cloned());
    }
    let ids: BTreeSet<String> = alerts.iter().flat_map(|a| a.event_ids.iter().cloned()).collect();
    let mut any = Vec::new();
    if !ids.is_empty() {
        any.push(format!("id IN ({})", list(&ids)));
    }
    if !users.is_empty() {
        let l = list(&users);
        any.push(format!("actor_user_name IN ({l}) OR actor_user_email IN ({l}) OR user_name IN ({l})"));
    }
    if !hosts.is_empty() {
        let l = list(&hosts);
        any.push(format!("device_hostname IN ({l}) OR src_hostname IN ({l}) OR dst_hostname IN ({l})"));
    }
    if !ips.is_empty() {
        let l = list(&ips);
        any.push(format!("src_ip IN ({l}) OR dst_ip IN ({l}) OR device_ip IN ({l})"));
    }
    let who = if any.is_empty() { "FALSE".to_string() } else { any.join(" OR ") };
    format!("time >= to_timestamp_millis({from_ms}) AND time < to_timestamp_millis({to_ms}) AND ({who})")
}

fn csv_field(s: &str) -> String {
    // Cells an office suite would run as a formula are neutralised (OWASP CSV injection).
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_string() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

fn csv(header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = header.join(",");
    out.push('\n');
    for r in rows {
        out.push_str(&r.iter().map(|c| csv_field(c)).collect::<Vec<_>>().join(","));
        out.push('\n');
    }
    out.into_bytes()
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_else(|| ms.to_string())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Is this ledger entry about the case (or one of its incidents or alerts)?
fn concerns(e: &AuditEntry, ids: &BTreeSet<String>) -> bool {
    ids.contains(&e.target)
}

/// Controls a case's detections map to, with how.
pub fn case_controls(catalog: &Catalog, alerts: &[Alert]) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for a in alerts {
        for c in catalog.controls_for_detection(&a.rule.id, &a.rule.tactics, &a.controls) {
            out.entry(c.to_string()).or_default().insert(format!("{} ({})", a.rule.title, a.rule.id));
        }
    }
    out
}

/// Exports a case as a packet: appends the `custody.export` entry, signs a checkpoint that
/// includes it, writes the packet, and keeps the packet in the vault (an `evidence.add`
/// entry). Returns the packet's bytes and what was in it.
pub fn export_case(
    store: &mut dyn StateStore,
    data_dir: &Path,
    catalog: &Catalog,
    case_id: &str,
    actor: &str,
    now_ms: i64,
    opts: &ExportOptions,
) -> Result<(Vec<u8>, Exported)> {
    let doc = store
        .document(vigil_queue::CASE, case_id)?
        .ok_or_else(|| VaultError::NotFound(format!("no case {case_id}")))?;
    let case: Case =
        serde_json::from_str(&doc.json).map_err(|e| VaultError::Corrupt(format!("case {case_id}: {e}")))?;
    let mut incidents: Vec<Incident> = Vec::new();
    for id in &case.incidents {
        if let Some(d) = store.document(vigil_queue::INCIDENT, id)? {
            incidents
                .push(serde_json::from_str(&d.json).map_err(|e| VaultError::Corrupt(format!("incident {id}: {e}")))?);
        }
    }
    let wanted: BTreeSet<&String> = case.alerts.iter().collect();
    let mut alerts: Vec<Alert> =
        vigil_queue::stored_alerts(store)?.into_iter().filter(|a| wanted.contains(&a.id)).collect();
    alerts.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
    let times: Vec<i64> = alerts.iter().filter_map(|a| a.time).collect();
    let first = times.iter().min().copied().or(case.times.first_event_ms).unwrap_or(case.times.first_alert_ms);
    let last = times.iter().max().copied().unwrap_or(case.times.first_alert_ms).max(first);
    let (from_ms, to_ms) = (first - opts.margin_ms, last + opts.margin_ms + 1);

    // The time-scoped population from the lake, and a separate count that proves it whole.
    let pred = population_predicate(&case, &alerts, from_ms, to_ms);
    let query = format!("SELECT * FROM events WHERE {pred} ORDER BY time, id");
    let count_query = format!("SELECT count(*) AS n FROM events WHERE {pred}");
    // The committed lake files only: an ingest in flight, or one that crashed before its commit,
    // must not put events into a packet that the store does not know.
    let committed: Vec<String> = store.lake_files()?.into_iter().map(|f| f.path).collect();
    let engine = vigil_query::QueryEngine::open_committed(&data_dir.join("lake"), &committed, Default::default())
        .map_err(|e| VaultError::Lake(e.to_string()))?;
    let counted = engine
        .run_readonly(&count_query)
        .and_then(|r| r.to_json_rows())
        .map_err(|e| VaultError::Lake(e.to_string()))?
        .first()
        .and_then(|r| r.get("n").and_then(serde_json::Value::as_u64))
        .ok_or_else(|| VaultError::Lake("the count query returned no number".into()))?;
    if counted as usize > opts.max_log_records {
        return Err(VaultError::Invalid(format!(
            "the case's population is {counted} records, more than the packet limit {}; narrow the window",
            opts.max_log_records
        )));
    }
    let rows =
        engine.run_readonly(&query).and_then(|r| r.to_json_rows()).map_err(|e| VaultError::Lake(e.to_string()))?;
    if rows.len() as u64 != counted {
        return Err(VaultError::Lake(format!(
            "the population query returned {} records but the count query {counted}: the lake changed during export; try again",
            rows.len()
        )));
    }
    let mut events = Vec::new();
    for r in &rows {
        serde_json::to_writer(&mut events, r).map_err(|e| VaultError::Invalid(e.to_string()))?;
        events.push(b'\n');
    }

    let controls = case_controls(catalog, &alerts);
    let control_list: Vec<String> = controls.keys().cloned().collect();

    // The custody entry for this export goes in before the checkpoint, so the packet proves it.
    let mut ids: BTreeSet<String> = BTreeSet::from([case.id.clone()]);
    ids.extend(case.incidents.iter().cloned());
    let detail = serde_json::json!({
        "what": "packet export",
        "from_ms": from_ms, "to_ms": to_ms,
        "log_records": counted, "alerts": alerts.len(), "controls": control_list,
    })
    .to_string();
    store.append_audit(&[AuditEntry::new(now_ms, actor, "custody.export", &case.id, "ok", &detail)])?;
    let key = ledger::load_or_create_key(data_dir)?;
    let ledger_now = ledger::load(store)?;
    if let Some(p) = ledger_now.problems.first() {
        return Err(VaultError::Ledger(format!("refusing to export over a damaged ledger: {p}")));
    }
    let earlier = ledger::checkpoints(store)?;
    let cp = ledger::checkpoint(store, &ledger_now, &key, now_ms)?;
    let size = cp.checkpoint.size;
    let mine: Vec<&AuditEntry> = ledger_now.entries.iter().filter(|e| concerns(e, &ids)).collect();
    let mut proven = Vec::new();
    for e in &mine {
        let index = (e.seq - 1) as u64;
        let proof = ledger_now.tree.inclusion_proof(index, size).map_err(|err| VaultError::Ledger(err.to_string()))?;
        proven.push(ProvenEntry { index, entry: entry_json(e), inclusion: proof.iter().map(hex::encode).collect() });
    }
    let mut consistency = Vec::new();
    for c in earlier.iter().filter(|c| c.checkpoint.size < size).rev().take(1000) {
        let proof = ledger_now
            .tree
            .consistency_proof(c.checkpoint.size, size)
            .map_err(|err| VaultError::Ledger(err.to_string()))?;
        consistency.push(ConsistencyLine { from: c.clone(), proof: proof.iter().map(hex::encode).collect() });
    }
    consistency.reverse();

    let mut files = build_files(
        &case,
        &incidents,
        &alerts,
        &mine,
        &controls,
        catalog,
        events,
        counted,
        &query,
        &count_query,
        from_ms,
        to_ms,
        &opts.collector,
        actor,
        now_ms,
    )?;
    // Each incident's investigation, as kept with the queue: the record and its text.
    for inc in &incidents {
        let Some(inv) = vigil_queue::investigation(store, &inc.id)? else { continue };
        let made = format!(
            "made {} by {}{}",
            iso(inv.made_ms),
            inv.made_by,
            if inv.describes(inc) {
                ""
            } else {
                "; the incident has changed since (it describes the alerts it had then)"
            }
        );
        files.push(PacketFile::new(
            &format!("investigations/{}.json", inc.id),
            "application/json",
            &format!("the investigation of {}: context per entity, timeline with the decisive events, blast radius, unknowns, next steps, the cited summary and its facts; {made}", inc.id),
            "store:investigation",
            &opts.collector,
            pretty(&inv.record)?,
        ));
        files.push(PacketFile::new(
            &format!("investigations/{}.txt", inc.id),
            "text/plain; charset=utf-8",
            &format!("the investigation of {} as text; {made}", inc.id),
            "store:investigation",
            &opts.collector,
            inv.text.clone().into_bytes(),
        ));
    }
    let manifest = Manifest {
        format: String::new(),
        case_id: case.id.clone(),
        title: case.title.clone(),
        generated_at_ms: now_ms,
        generated_by: opts.collector.clone(),
        from_ms,
        to_ms,
        files: vec![],
        ledger: ManifestLedger {
            origin: String::new(),
            key_id: String::new(),
            public_key_hex: String::new(),
            tree_size: 0,
            root_hex: String::new(),
            entry_indexes: vec![],
            earlier_checkpoints: vec![],
        },
        controls: control_list.clone(),
    };
    let bytes = packet::write_packet(manifest, files, &proven, &cp, &consistency, &key)
        .map_err(|e| VaultError::Invalid(e.to_string()))?;
    let frameworks: BTreeSet<String> =
        control_list.iter().filter_map(|c| c.split_once(':').map(|(f, _)| f.to_string())).collect();
    let meta = ItemMeta {
        name: format!("{}-packet-{}.zip", case.id, now_ms),
        media_type: "application/zip".into(),
        kind: "packet".into(),
        scope: Scope {
            case_id: Some(case.id.clone()),
            frameworks: frameworks.into_iter().collect(),
            controls: control_list.clone(),
            from_ms: Some(from_ms),
            to_ms: Some(to_ms),
        },
        source: "vigil case export".into(),
        collector: opts.collector.clone(),
        added_by: actor.into(),
        retain_until_ms: opts.retain_until_ms,
    };
    let (item, _) = vault::put(store, data_dir, &bytes, &meta, now_ms)?;
    let exported = Exported {
        case_id: case.id.clone(),
        sha256: sha256_hex(&bytes),
        size: bytes.len() as u64,
        files: packet::file_names(&bytes).map_err(VaultError::Corrupt)?,
        ledger_entries: proven.len(),
        log_records: counted,
        log_query: query,
        from_ms,
        to_ms,
        controls: control_list,
        checkpoint: cp,
        vault_item: item.id,
    };
    Ok((bytes, exported))
}

#[allow(clippy::too_many_arguments)]
fn build_files(
    case: &Case,
    incidents: &[Incident],
    alerts: &[Alert],
    entries: &[&AuditEntry],
    controls: &BTreeMap<String, BTreeSet<String>>,
    catalog: &Catalog,
    events: Vec<u8>,
    counted: u64,
    query: &str,
    count_query: &str,
    from_ms: i64,
    to_ms: i64,
    collector: &str,
    actor: &str,
    now_ms: i64,
) -> Result<Vec<PacketFile>> {
    let mut files = Vec::new();
    files.push(PacketFile::new(
        "case.json",
        "application/json",
        "the case as stored",
        "store:case",
        collector,
        pretty(case)?,
    ));
    files.push(PacketFile::new(
        "incidents.json",
        "application/json",
        "the incidents the case holds, with links, risk and verdict",
        "store:incident",
        collector,
        pretty(&incidents)?,
    ));
    let mut alert_lines = Vec::new();
    for a in alerts {
        serde_json::to_writer(&mut alert_lines, a).map_err(|e| VaultError::Invalid(e.to_string()))?;
        alert_lines.push(b'\n');
    }
    files.push(
        PacketFile::new(
            "alerts.jsonl",
            "application/x-ndjson",
            "every alert of the case, with why it fired",
            "store:alerts",
            collector,
            alert_lines,
        )
        .records(alerts.len() as u64),
    );
    files.push(
        PacketFile::new(
            "logs/events.jsonl",
            "application/x-ndjson",
            "the time-scoped population: the case's events and every event in the window involving its users, hosts or addresses",
            "lake",
            collector,
            events,
        )
        .window(from_ms, to_ms)
        .records(counted)
        .query(query, count_query),
    );

    // Timeline: alerts, the case's history and the ledger, by time.
    let mut timeline: Vec<(i64, Vec<String>)> = Vec::new();
    for a in alerts {
        let t = a.time.unwrap_or(case.times.first_alert_ms);
        timeline.push((
            t,
            vec![
                iso(t),
                "alert".into(),
                "vigil:detect".into(),
                a.rule.title.clone(),
                format!("{} {}: {}", a.rule.level.as_str(), a.id, a.explanation),
            ],
        ));
    }
    for h in &case.history {
        timeline
            .push((h.at_ms, vec![iso(h.at_ms), "case".into(), h.actor.clone(), h.action.clone(), h.detail.clone()]));
    }
    for e in entries {
        timeline.push((
            e.at_ms,
            vec![
                iso(e.at_ms),
                format!("ledger #{}", e.seq),
                e.actor.clone(),
                e.action.clone(),
                format!("{} {}", e.result, e.detail),
            ],
        ));
    }
    timeline.sort_by_key(|t| t.0);
    let rows: Vec<Vec<String>> = timeline.into_iter().map(|(_, r)| r).collect();
    let n = rows.len() as u64;
    files.push(
        PacketFile::new(
            "timeline.csv",
            "text/csv",
            "alerts, case history and ledger entries in time order",
            "store+ledger",
            collector,
            csv(&["time", "source", "actor", "what", "detail"], &rows),
        )
        .window(from_ms, to_ms)
        .records(n),
    );

    // Approvals: every decision a person took on the case (acknowledge, status, disposition,
    // approvals and denials of response steps), from the ledger.
    let decision = |a: &str| {
        a.contains("approve")
            || a.contains("deny")
            || a.ends_with(".ack")
            || a.ends_with(".status")
            || a.ends_with(".resolve")
            || a.contains("disposition")
            || a.ends_with(".reopen")
    };
    let rows: Vec<Vec<String>> = entries
        .iter()
        .filter(|e| !e.actor.starts_with("vigil:") && decision(&e.action))
        .map(|e| {
            vec![
                e.seq.to_string(),
                iso(e.at_ms),
                e.actor.clone(),
                e.action.clone(),
                e.target.clone(),
                e.result.clone(),
                e.detail.clone(),
            ]
        })
        .collect();
    let n = rows.len() as u64;
    files.push(
        PacketFile::new(
            "approvals.csv",
            "text/csv",
            "decisions and approvals by people, from the ledger",
            "ledger",
            collector,
            csv(&["seq", "time", "approver", "action", "target", "result", "detail"], &rows),
        )
        .records(n),
    );

    // Custody: every evidence and custody event for the case, from the ledger.
    let rows: Vec<Vec<String>> = entries
        .iter()
        .filter(|e| entry_kind(&e.action) != "audit")
        .map(|e| {
            vec![e.seq.to_string(), iso(e.at_ms), e.actor.clone(), e.action.clone(), e.result.clone(), e.detail.clone()]
        })
        .collect();
    let n = rows.len() as u64;
    files.push(
        PacketFile::new(
            "custody.csv",
            "text/csv",
            "chain of custody: evidence added, viewed, downloaded and exported",
            "ledger",
            collector,
            csv(&["seq", "time", "actor", "action", "result", "detail"], &rows),
        )
        .records(n),
    );

    // Owners: who held the case, and the team.
    let mut rows = Vec::new();
    if let Some(t) = &case.team {
        rows.push(vec!["team".to_string(), t.clone(), iso(case.times.opened_ms), "case".into()]);
    }
    for h in case.history.iter().filter(|h| h.action.contains("assign") || h.action.contains("owner")) {
        rows.push(vec!["owner".into(), h.detail.clone(), iso(h.at_ms), format!("{} by {}", h.action, h.actor)]);
    }
    if let Some(o) = &case.owner {
        rows.push(vec!["current owner".into(), o.clone(), iso(now_ms), "case".into()]);
    }
    rows.push(vec!["exported by".into(), actor.into(), iso(now_ms), "custody.export".into()]);
    let n = rows.len() as u64;
    files.push(
        PacketFile::new(
            "owners.csv",
            "text/csv",
            "the case's owners and team over time",
            "store:case",
            collector,
            csv(&["role", "who", "since", "source"], &rows),
        )
        .records(n),
    );

    // Controls to evidence.
    let evidence_files =
        "alerts.jsonl; logs/events.jsonl; timeline.csv; approvals.csv; custody.csv; proofs/entries.jsonl";
    let rows: Vec<Vec<String>> = controls
        .iter()
        .map(|(c, via)| {
            let title = vigil_compliance::ControlRef::parse(c)
                .ok()
                .and_then(|r| catalog.lookup(&r).map(|x| x.title.clone()))
                .unwrap_or_default();
            let (fw, id) = c.split_once(':').unwrap_or(("", c));
            vec![
                fw.to_string(),
                id.to_string(),
                title,
                via.iter().cloned().collect::<Vec<_>>().join("; "),
                evidence_files.into(),
            ]
        })
        .collect();
    let n = rows.len() as u64;
    files.push(
        PacketFile::new(
            "controls-to-evidence.csv",
            "text/csv",
            "each control the case evidences, the detections that map to it and the files that show it",
            "vigil-compliance",
            collector,
            csv(&["framework", "control", "title", "mapped_from", "evidence_files"], &rows),
        )
        .records(n),
    );

    files.push(PacketFile::new(
        "report.html",
        "text/html",
        "the human-readable incident report",
        "store",
        collector,
        report_html(case, incidents, alerts, entries, controls, counted, from_ms, to_ms, now_ms).into_bytes(),
    ));
    Ok(files)
}

fn pretty<T: Serialize + ?Sized>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| VaultError::Invalid(e.to_string()))
}

#[allow(clippy::too_many_arguments)]
fn report_html(
    case: &Case,
    incidents: &[Incident],
    alerts: &[Alert],
    entries: &[&AuditEntry],
    controls: &BTreeMap<String, BTreeSet<String>>,
    counted: u64,
    from_ms: i64,
    to_ms: i64,
    now_ms: i64,
) -> String {
    let e = html_escape;
    let mut h = String::new();
    h.push_str("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
    h.push_str(&e(&format!("{} — incident packet", case.id)));
    h.push_str("</title><style>body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1f24}table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#eef}code{font-size:12px}h1{font-size:1.4rem}.m{color:#555}</style></head><body>");
    h.push_str(&format!("<h1>{}: {}</h1>", e(&case.id), e(&case.title)));
    h.push_str(&format!(
        "<p class=\"m\">Status {} · severity {} · verdict {} · risk {:.0} · owner {} · team {}</p>",
        e(&format!("{:?}", case.status)),
        e(&format!("{:?}", case.severity)),
        e(&case.verdict),
        case.risk,
        e(case.owner.as_deref().unwrap_or("unassigned")),
        e(case.team.as_deref().unwrap_or("-"))
    ));
    h.push_str(&format!("<p>{}</p>", e(&case.summary)));
    h.push_str(&format!(
        "<p>Packet cut at {} covering {} to {}: {} alerts, {} incidents, {} log records (population query and count in <code>manifest.json</code>), {} ledger entries with inclusion proofs.</p>",
        e(&iso(now_ms)), e(&iso(from_ms)), e(&iso(to_ms)), alerts.len(), incidents.len(), counted, entries.len()
    ));
    if let Some(d) = &case.disposition {
        h.push_str(&format!(
            "<p>Disposition: <b>{}</b> by {} at {}: {}</p>",
            e(&d.disposition.as_str().replace('_', " ")),
            e(&d.by),
            e(&iso(d.at_ms)),
            e(&d.note)
        ));
    }
    h.push_str("<h2>Alerts</h2><table><tr><th>time</th><th>detection</th><th>level</th><th>why</th></tr>");
    for a in alerts {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&a.time.map(iso).unwrap_or_default()),
            e(&a.rule.title),
            e(a.rule.level.as_str()),
            e(&a.explanation)
        ));
    }
    h.push_str("</table><h2>Controls evidenced</h2><table><tr><th>control</th><th>mapped from</th></tr>");
    for (c, via) in controls {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td></tr>",
            e(c),
            e(&via.iter().cloned().collect::<Vec<_>>().join("; "))
        ));
    }
    h.push_str(
        "</table><h2>Case history</h2><table><tr><th>time</th><th>actor</th><th>action</th><th>detail</th></tr>",
    );
    for ev in &case.history {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&iso(ev.at_ms)),
            e(&ev.actor),
            e(&ev.action),
            e(&ev.readable())
        ));
    }
    h.push_str("</table><h2>How to verify this packet</h2><ol><li><code>sha256sum -c SHA256SUMS</code> inside the unpacked packet.</li><li><code>vigil verify PACKET.zip --public-key KEY</code> with the key you obtained from the organisation (checks the signature, every hash, the inclusion proofs and the checkpoint's consistency).</li></ol></body></html>\n");
    h
}
