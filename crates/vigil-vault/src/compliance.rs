//! What the coverage report is computed from: the detections in force, the cases and the
//! vault's artifacts, each with the controls it maps to.

use std::collections::BTreeMap;

use vigil_compliance::{CaseItem, Catalog, ControlRef, CoverageInputs, EvidenceItem, MappedItem};
use vigil_model::Alert;
use vigil_store::StateStore;

use crate::Result;
use crate::vault;

/// A detection as the coverage report needs it.
#[derive(Debug, Clone)]
pub struct DetectionRef {
    pub id: String,
    pub title: String,
    pub tactics: Vec<String>,
    /// Controls the detection names itself (behavioral detections do).
    pub controls: Vec<String>,
}

fn refs(v: &[String]) -> Vec<ControlRef> {
    v.iter().filter_map(|c| ControlRef::parse(c).ok()).collect()
}

/// Assembles the coverage inputs: detections with their controls, the cases (controls from
/// their alerts' detections, the latest packet in the vault), and the vault's artifacts.
pub fn coverage_inputs(
    store: &dyn StateStore,
    catalog: &Catalog,
    detections: &[DetectionRef],
) -> Result<CoverageInputs> {
    let detections: Vec<MappedItem> = detections
        .iter()
        .map(|d| MappedItem {
            id: d.id.clone(),
            title: d.title.clone(),
            controls: catalog.controls_for_detection(&d.id, &d.tactics, &d.controls),
        })
        .collect();
    let items = vault::items(store)?;
    let mut packets: BTreeMap<String, String> = BTreeMap::new();
    let mut evidence = Vec::new();
    for it in items.iter().filter(|i| i.purged_ms.is_none()) {
        if it.meta.kind == "packet"
            && let Some(c) = &it.meta.scope.case_id
        {
            packets.insert(c.clone(), it.sha256.clone());
        }
        evidence.push(EvidenceItem {
            sha256: it.sha256.clone(),
            name: it.meta.name.clone(),
            kind: it.meta.kind.clone(),
            case_id: it.meta.scope.case_id.clone(),
            controls: refs(&it.meta.scope.controls),
            from_ms: it.meta.scope.from_ms.unwrap_or(it.added_ms),
            to_ms: it.meta.scope.to_ms.unwrap_or(it.added_ms),
        });
    }
    let alerts: BTreeMap<String, Alert> =
        vigil_queue::stored_alerts(store)?.into_iter().map(|a| (a.id.clone(), a)).collect();
    let mut cases = Vec::new();
    for c in vigil_queue::cases(store)? {
        if c.merged_into.is_some() {
            continue;
        }
        let mine: Vec<Alert> = c.alerts.iter().filter_map(|id| alerts.get(id).cloned()).collect();
        let controls = crate::export::case_controls(catalog, &mine).into_keys().collect::<Vec<_>>();
        cases.push(CaseItem {
            id: c.id.clone(),
            title: c.title.clone(),
            controls: refs(&controls),
            opened_ms: c.times.opened_ms,
            closed_ms: c.times.closed_ms.or(c.times.resolved_ms),
            packet_sha256: packets.get(&c.id).cloned(),
        });
    }
    Ok(CoverageInputs { detections, playbooks: vec![], evidence, cases })
}
