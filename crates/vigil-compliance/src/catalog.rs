//! The catalog: the built-in frameworks parsed from the embedded data files, custom frameworks,
//! the use-case mapping and the mapping of detections and playbooks to use cases.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::ComplianceError;
use crate::refs::{self, ControlRef, HIPAA, ISO27001, NIST_800_53, NIST_CSF, PCI_DSS, SOC2};

const SOC2_JSON: &str = include_str!("../catalogs/soc2-tsc-2017-common-criteria.json");
const ISO_JSON: &str = include_str!("../catalogs/iso27001-2022-annex-a.json");
const HIPAA_JSON: &str = include_str!("../catalogs/hipaa-security-rule.json");
const PCI_JSON: &str = include_str!("../catalogs/pci-dss-v4.0.1-selected.json");
const CSF_JSON: &str = include_str!("../catalogs/csf-2.0.json");
const SP800_53_JSON: &str = include_str!("../catalogs/sp800-53r5-controls.json");
const MAPPING_JSON: &str = include_str!("../catalogs/usecase-control-mapping.json");
const DETECTIONS_YML: &str = include_str!("../data/detections.yml");

/// One control (criterion, requirement, subcategory, implementation specification…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Control {
    /// The canonical id, as [`ControlRef::parse`] writes it (`CC6.1`, `A.8.5`, `164.312(b)`,
    /// `10.2.1.4`, `DE.CM-03`, `AC-2(12)`).
    pub id: String,
    /// For SOC 2, ISO 27001 and PCI DSS the project's own short paraphrase, never the official
    /// text; for the public-domain frameworks the official title (CSF: the outcome statement).
    pub title: String,
    /// What the control sits under: the SOC 2 series (`CC6`), the ISO theme (`A.8`), the HIPAA
    /// section (`164.312`), the PCI DSS principal requirement (`10`), the CSF function (`DE`),
    /// the 800-53 family (`AC`); for custom frameworks whatever the file says.
    pub group: Option<String>,
    /// Whether security operations produce evidence for it. SOC 2, ISO 27001 and HIPAA items
    /// carry this flag in their data; for the others (and the few unflagged SOC 2 supplemental
    /// and HIPAA breach-notification entries) it is derived: every PCI DSS sub-requirement (the
    /// file holds only those selected for security operations), the CSF DETECT and RESPOND
    /// functions, the 800-53 AU, IR and SI families, and any control the use-case mapping names.
    pub soc_ops_relevant: bool,
    /// What sort of entry: SOC 2 `common_criteria`/`supplemental`; HIPAA `standard`,
    /// `implementation_specification`, `breach_notification`; PCI DSS `requirement` for a
    /// principal requirement, otherwise its topic (`logging`, `mfa`…); CSF
    /// `category`/`subcategory`; 800-53 `control`/`enhancement`.
    pub kind: Option<String>,
    /// HIPAA implementation specifications: `required` or `addressable`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub designation: Option<String>,
    /// Custom frameworks: the controls of other frameworks this one is satisfied by. Whatever
    /// maps to those (detections, playbooks, cases, evidence) counts for this control too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub maps_to: Vec<ControlRef>,
}

/// A framework and its controls, in catalog order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Framework {
    /// The canonical id, the prefix of its [`ControlRef`]s (`SOC2`, `ACME-SEC`).
    pub id: String,
    pub name: String,
    pub version: String,
    /// Where the ids and titles come from.
    pub source: String,
    pub licence: String,
    pub controls: Vec<Control>,
}

impl Framework {
    /// The control with this id (normalized the way [`ControlRef::parse`] does).
    pub fn control(&self, id: &str) -> Option<&Control> {
        let id = refs::normalize_id(&self.id, id).ok()?;
        self.controls.iter().find(|c| c.id == id)
    }

    /// Whether this is one of the six shipped frameworks.
    pub fn is_builtin(&self) -> bool {
        refs::BUILTIN_FRAMEWORKS.contains(&self.id.as_str())
    }
}

/// A use case (or playbook) of the use-case mapping and the controls it serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UseCase {
    /// `ID-01`, `CL-02`, `PB-03`…
    pub id: String,
    /// `identity`, `cloud`, `ransomware`, `insider`, `third-party`, `playbook`, `platform`.
    pub group: String,
    pub title: String,
    pub controls: Vec<ControlRef>,
    /// What an auditor expects to see kept for it.
    pub evidence_to_capture: String,
}

/// The catalog of frameworks and mappings. Cheap to clone; built once from the embedded data.
#[derive(Debug, Clone)]
pub struct Catalog {
    frameworks: Vec<Framework>,
    use_cases: Vec<UseCase>,
    mapping_title: String,
    mapping_status: String,
    mapping_notes: Vec<String>,
    detections: BTreeMap<String, Vec<String>>,
    tactics: BTreeMap<String, Vec<String>>,
    playbooks: BTreeMap<String, String>,
}

static BUILTIN: OnceLock<Result<Catalog, ComplianceError>> = OnceLock::new();

/// The ATT&CK enterprise tactics, as Vigil's rules name them (`attack.<tactic>` tags), with
/// their ATT&CK ids. `stealth` and `defense_impairment` are the newer names that split
/// defense evasion.
const TACTICS: &[(&str, &str)] = &[
    ("reconnaissance", "TA0043"),
    ("resource_development", "TA0042"),
    ("initial_access", "TA0001"),
    ("execution", "TA0002"),
    ("persistence", "TA0003"),
    ("privilege_escalation", "TA0004"),
    ("defense_evasion", "TA0005"),
    ("credential_access", "TA0006"),
    ("discovery", "TA0007"),
    ("lateral_movement", "TA0008"),
    ("collection", "TA0009"),
    ("command_and_control", "TA0011"),
    ("exfiltration", "TA0010"),
    ("impact", "TA0040"),
    ("stealth", ""),
    ("defense_impairment", ""),
];

/// The canonical name of an ATT&CK tactic: `credential_access` for `credential_access`,
/// `attack.credential-access`, `Credential Access` or `TA0006`; `None` for anything else.
pub fn normalize_tactic(tactic: &str) -> Option<&'static str> {
    let t = tactic.trim().to_ascii_lowercase();
    let t = t.strip_prefix("attack.").unwrap_or(&t);
    let t: String = t.chars().map(|c| if c == '-' || c == ' ' { '_' } else { c }).collect();
    TACTICS.iter().find(|(name, ta)| *name == t || (!ta.is_empty() && ta.eq_ignore_ascii_case(&t))).map(|(n, _)| *n)
}

impl Catalog {
    /// The six shipped frameworks, the use-case mapping and the detection mapping, parsed from
    /// the data compiled into the crate (once per process; later calls clone).
    pub fn builtin() -> Result<Catalog, ComplianceError> {
        Catalog::builtin_ref().cloned()
    }

    pub(crate) fn builtin_ref() -> Result<&'static Catalog, ComplianceError> {
        BUILTIN.get_or_init(parse_builtin).as_ref().map_err(Clone::clone)
    }

    /// All frameworks: the built-in six, then custom ones in the order they were added.
    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    /// A framework by id or alias (`soc2`, `iso`, `iso27001`, `hipaa`, `pci`, `pci-dss`, `csf`,
    /// `nist-csf`, `800-53`, `nist-800-53`, or a custom framework's id), case-insensitive.
    pub fn framework(&self, id_or_alias: &str) -> Option<&Framework> {
        let id = refs::canonical_framework(id_or_alias).ok()?;
        self.frameworks.iter().find(|f| f.id == id)
    }

    /// The control a reference names, if the catalog has it.
    pub fn lookup(&self, reference: &ControlRef) -> Option<&Control> {
        let r = reference.canonical();
        self.frameworks.iter().find(|f| f.id == r.framework)?.controls.iter().find(|c| c.id == r.id)
    }

    /// The reference itself and, for a custom control, every control its `maps_to` names,
    /// following custom controls' own `maps_to` in turn. Whatever maps to any of these counts
    /// for the reference.
    pub fn satisfied_by(&self, reference: &ControlRef) -> Vec<ControlRef> {
        let mut out = vec![reference.canonical()];
        let mut seen: HashSet<ControlRef> = out.iter().cloned().collect();
        let mut i = 0;
        while i < out.len() {
            if let Some(control) = self.lookup(&out[i]) {
                for m in &control.maps_to {
                    let m = m.canonical();
                    if seen.insert(m.clone()) {
                        out.push(m);
                    }
                }
            }
            i += 1;
        }
        out
    }

    /// Adds a custom framework after checking it: a well-formed id that is neither a built-in
    /// framework's (or one of its aliases) nor one already added, at least one control, unique
    /// non-empty control ids, non-empty titles, and `maps_to` references that name controls of
    /// other frameworks already in the catalog. Ids are normalized as [`ControlRef`] does.
    pub fn add_custom(&mut self, mut framework: Framework) -> Result<(), ComplianceError> {
        let invalid = |framework: &str, message: String| ComplianceError::InvalidFramework {
            framework: framework.to_owned(),
            message,
        };
        let raw_id = framework.id.clone();
        framework.id = check_custom_framework_id(&raw_id, self).map_err(|m| invalid(&raw_id, m))?;
        let fid = framework.id.clone();
        if framework.name.trim().is_empty() {
            return Err(invalid(&fid, "name must not be empty".into()));
        }
        if framework.controls.is_empty() {
            return Err(invalid(&fid, "a framework needs at least one control".into()));
        }
        let mut seen = HashSet::new();
        for control in &mut framework.controls {
            control.id = refs::normalize_id(&fid, &control.id)
                .map_err(|m| invalid(&fid, format!("control id `{}`: {m}", control.id)))?;
            if !seen.insert(control.id.clone()) {
                return Err(invalid(&fid, format!("duplicate control id `{}`", control.id)));
            }
            if control.title.trim().is_empty() {
                return Err(invalid(&fid, format!("control {}: title must not be empty", control.id)));
            }
            let mut maps_to = Vec::new();
            for m in &control.maps_to {
                let r = check_maps_to(&m.to_string(), self)
                    .map_err(|e| invalid(&fid, format!("control {}: maps_to: {e}", control.id)))?;
                if !maps_to.contains(&r) {
                    maps_to.push(r);
                }
            }
            control.maps_to = maps_to;
        }
        self.frameworks.push(framework);
        Ok(())
    }

    /// Parses a `vigil-framework/1` YAML file (see [`crate::load_framework_yaml`]), checking its
    /// `maps_to` against this catalog (so it may map to custom frameworks added before), and
    /// adds it. Returns the framework as added.
    pub fn load_custom_yaml(&mut self, text: &str, file_name: &str) -> Result<&Framework, ComplianceError> {
        let framework = crate::custom::parse(text, file_name, self)?;
        self.add_custom(framework)?;
        self.frameworks.last().ok_or_else(|| ComplianceError::InvalidFramework {
            framework: file_name.to_owned(),
            message: "not added".into(),
        })
    }

    /// The use cases and playbooks of the mapping, in its order.
    pub fn use_cases(&self) -> &[UseCase] {
        &self.use_cases
    }

    /// One use case by id (`ID-01`), case-insensitive.
    pub fn use_case(&self, id: &str) -> Option<&UseCase> {
        let id = id.trim();
        self.use_cases.iter().find(|u| u.id.eq_ignore_ascii_case(id))
    }

    /// The use-case mapping's title.
    pub fn mapping_title(&self) -> &str {
        &self.mapping_title
    }

    /// The use-case mapping's status: it is a draft for review by a qualified assessor, and
    /// every report built on it must say so.
    pub fn mapping_status(&self) -> &str {
        &self.mapping_status
    }

    /// The use-case mapping's notes (scope assumptions, ids outside the shipped 800-53 file).
    pub fn mapping_notes(&self) -> &[String] {
        &self.mapping_notes
    }

    /// The built-in detection ids the detection mapping knows.
    pub fn mapped_detection_ids(&self) -> impl Iterator<Item = &str> {
        self.detections.keys().map(String::as_str)
    }

    /// The use cases a detection serves: those listed for its id (Vigil's built-in rules), or
    /// else those of its ATT&CK tactics (third-party rules; names as in
    /// [`normalize_tactic`]). Sorted, without duplicates.
    pub fn use_cases_for_detection(&self, id: &str, tactics: &[String]) -> Vec<String> {
        let mut out = BTreeSet::new();
        if let Some(listed) = self.detections.get(&id.trim().to_ascii_lowercase()) {
            out.extend(listed.iter().cloned());
        } else {
            for t in tactics.iter().filter_map(|t| normalize_tactic(t)) {
                if let Some(listed) = self.tactics.get(t) {
                    out.extend(listed.iter().cloned());
                }
            }
        }
        out.into_iter().collect()
    }

    /// The controls of a detection: its own `controls` (rules may carry them; ones that do not
    /// parse are skipped) and those of its use cases ([`Catalog::use_cases_for_detection`]).
    /// Sorted, without duplicates.
    pub fn controls_for_detection(&self, id: &str, tactics: &[String], own: &[String]) -> Vec<ControlRef> {
        let mut out: BTreeSet<ControlRef> = own.iter().filter_map(|c| ControlRef::parse(c).ok()).collect();
        for uc in self.use_cases_for_detection(id, tactics) {
            if let Some(u) = self.use_case(&uc) {
                out.extend(u.controls.iter().cloned());
            }
        }
        out.into_iter().collect()
    }

    /// The playbook use case for a playbook's id (`PB-02`) or name (`device-isolation`).
    pub fn use_case_for_playbook(&self, id_or_name: &str) -> Option<&UseCase> {
        let key = id_or_name.trim().to_ascii_lowercase().replace('_', "-");
        let id = self.playbooks.get(&key).map(String::as_str).unwrap_or(id_or_name);
        self.use_case(id).filter(|u| u.group == "playbook")
    }

    /// The controls of a playbook, by its id (`PB-01`) or name (`account-reset`); empty for a
    /// playbook the mapping does not know. Sorted, without duplicates.
    pub fn controls_for_playbook(&self, id_or_name: &str) -> Vec<ControlRef> {
        let set: BTreeSet<ControlRef> =
            self.use_case_for_playbook(id_or_name).map(|u| u.controls.iter().cloned().collect()).unwrap_or_default();
        set.into_iter().collect()
    }
}

/// Checks a custom framework's id: well-formed, not a built-in one (or alias), not already in
/// `catalog`. Returns the canonical id.
pub(crate) fn check_custom_framework_id(id: &str, catalog: &Catalog) -> Result<String, String> {
    if let Some(builtin) = refs::builtin_framework(id) {
        return Err(format!("framework id `{}` clashes with the built-in framework {builtin}", id.trim()));
    }
    let canonical = refs::canonical_framework(id)?;
    if catalog.frameworks.iter().any(|f| f.id == canonical) {
        return Err(format!("a framework with id `{canonical}` is already loaded"));
    }
    Ok(canonical)
}

/// Checks one `maps_to` reference: it parses, and names a control of a framework the catalog has.
pub(crate) fn check_maps_to(reference: &str, catalog: &Catalog) -> Result<ControlRef, String> {
    let r = ControlRef::parse(reference).map_err(|e| e.to_string())?;
    let Some(framework) = catalog.frameworks.iter().find(|f| f.id == r.framework) else {
        return Err(format!("`{r}` names the unknown framework `{}`", r.framework));
    };
    if !framework.controls.iter().any(|c| c.id == r.id) {
        return Err(format!("`{r}` is not a control of {}", framework.id));
    }
    Ok(r)
}

// ---------------------------------------------------------------------------------------------
// The embedded data.

fn parse_json<'a, T: Deserialize<'a>>(file: &str, text: &'a str) -> Result<T, ComplianceError> {
    serde_json::from_str(text).map_err(|e| ComplianceError::Catalog { file: file.to_owned(), message: e.to_string() })
}

fn catalog_error(file: &str, message: String) -> ComplianceError {
    ComplianceError::Catalog { file: file.to_owned(), message }
}

fn canonical_id(file: &str, framework: &str, id: &str) -> Result<String, ComplianceError> {
    refs::normalize_id(framework, id).map_err(|m| catalog_error(file, format!("control id `{id}`: {m}")))
}

#[derive(Deserialize)]
struct AuthoredFile {
    framework: String,
    notice: String,
    license: String,
    items: Vec<AuthoredItem>,
    #[serde(default)]
    supplemental_criteria: Vec<AuthoredItem>,
    #[serde(default)]
    themes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct AuthoredItem {
    id: String,
    title: String,
    #[serde(default)]
    soc_ops_relevant: Option<bool>,
    #[serde(default)]
    topic: Option<String>,
}

#[derive(Deserialize)]
struct HipaaFile {
    title: String,
    source: String,
    license: String,
    items: Vec<HipaaItem>,
    related: Vec<HipaaRelated>,
}

#[derive(Deserialize)]
struct HipaaItem {
    cfr_ref: String,
    kind: String,
    designation: Option<String>,
    title: String,
    section: String,
    soc_relevant: bool,
}

#[derive(Deserialize)]
struct HipaaRelated {
    id: String,
    title: String,
    kind: String,
}

#[derive(Deserialize)]
struct CsfFile {
    source: String,
    license: String,
    items: Vec<CsfItem>,
}

#[derive(Deserialize)]
struct CsfItem {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    function: String,
    #[serde(default)]
    title: Option<String>,
    statement: String,
    status: String,
}

#[derive(Deserialize)]
struct Sp80053File {
    source: String,
    license: String,
    controls: Vec<Sp80053Item>,
}

#[derive(Deserialize)]
struct Sp80053Item {
    id: String,
    title: String,
    family: String,
    parent: Option<String>,
}

#[derive(Deserialize)]
struct MappingFile {
    title: String,
    status: String,
    notes: Vec<String>,
    items: Vec<MappingItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingItem {
    id: String,
    group: String,
    use_case: String,
    soc2_tsc: Vec<String>,
    iso27001_2022: Vec<String>,
    hipaa_45cfr: Vec<String>,
    pci_dss_v4: Vec<String>,
    nist_csf_2: Vec<String>,
    nist_800_53r5: Vec<String>,
    evidence_to_capture: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetectionsFile {
    format: String,
    detections: BTreeMap<String, Vec<String>>,
    tactics: BTreeMap<String, Vec<String>>,
    playbooks: BTreeMap<String, String>,
}

fn parse_builtin() -> Result<Catalog, ComplianceError> {
    let mapping_file = "usecase-control-mapping.json";
    let mapping: MappingFile = parse_json(mapping_file, MAPPING_JSON)?;
    let mut use_cases = Vec::new();
    for item in &mapping.items {
        let mut controls = Vec::new();
        for (framework, ids) in [
            (SOC2, &item.soc2_tsc),
            (ISO27001, &item.iso27001_2022),
            (HIPAA, &item.hipaa_45cfr),
            (PCI_DSS, &item.pci_dss_v4),
            (NIST_CSF, &item.nist_csf_2),
            (NIST_800_53, &item.nist_800_53r5),
        ] {
            for id in ids {
                let r = ControlRef::new(framework, id)
                    .map_err(|e| catalog_error(mapping_file, format!("use case {}: {e}", item.id)))?;
                controls.push(r);
            }
        }
        use_cases.push(UseCase {
            id: item.id.clone(),
            group: item.group.clone(),
            title: item.use_case.clone(),
            controls,
            evidence_to_capture: item.evidence_to_capture.clone(),
        });
    }
    let mapped: HashSet<ControlRef> = use_cases.iter().flat_map(|u| u.controls.iter().cloned()).collect();
    let is_mapped =
        |framework: &str, id: &str| mapped.contains(&ControlRef { framework: framework.into(), id: id.into() });

    let frameworks = vec![
        soc2(&is_mapped)?,
        iso27001()?,
        hipaa(&is_mapped)?,
        pci_dss()?,
        nist_csf(&is_mapped)?,
        nist_800_53(&is_mapped)?,
    ];

    let detections_file = "detections.yml";
    let raw: DetectionsFile =
        yaml_serde::from_str(DETECTIONS_YML).map_err(|e| catalog_error(detections_file, e.to_string()))?;
    if raw.format != "vigil-compliance-detections/1" {
        return Err(catalog_error(detections_file, format!("unknown format `{}`", raw.format)));
    }
    let known = |ucs: &[String], what: &str| -> Result<(), ComplianceError> {
        match ucs.iter().find(|u| !use_cases.iter().any(|c| &c.id == *u)) {
            Some(u) => Err(catalog_error(detections_file, format!("{what}: unknown use case `{u}`"))),
            None => Ok(()),
        }
    };
    let mut detections = BTreeMap::new();
    for (id, ucs) in raw.detections {
        known(&ucs, &id)?;
        detections.insert(id.to_ascii_lowercase(), ucs);
    }
    let mut tactics = BTreeMap::new();
    for (tactic, ucs) in raw.tactics {
        let Some(name) = normalize_tactic(&tactic) else {
            return Err(catalog_error(detections_file, format!("unknown ATT&CK tactic `{tactic}`")));
        };
        known(&ucs, &tactic)?;
        tactics.insert(name.to_owned(), ucs);
    }
    let mut playbooks = BTreeMap::new();
    for (name, id) in raw.playbooks {
        if !use_cases.iter().any(|u| u.id == id && u.group == "playbook") {
            return Err(catalog_error(detections_file, format!("playbook {name}: `{id}` is not a playbook use case")));
        }
        playbooks.insert(name.to_ascii_lowercase(), id);
    }

    Ok(Catalog {
        frameworks,
        use_cases,
        mapping_title: mapping.title,
        mapping_status: mapping.status,
        mapping_notes: mapping.notes,
        detections,
        tactics,
        playbooks,
    })
}

fn soc2(is_mapped: &dyn Fn(&str, &str) -> bool) -> Result<Framework, ComplianceError> {
    let file = "soc2-tsc-2017-common-criteria.json";
    let raw: AuthoredFile = parse_json(file, SOC2_JSON)?;
    let mut controls = Vec::new();
    for (items, kind) in [(&raw.items, "common_criteria"), (&raw.supplemental_criteria, "supplemental")] {
        for item in items {
            let id = canonical_id(file, SOC2, &item.id)?;
            let group = id.split('.').next().map(str::to_owned);
            let soc_ops_relevant = item.soc_ops_relevant.unwrap_or_else(|| is_mapped(SOC2, &id));
            controls.push(Control {
                id,
                title: item.title.clone(),
                group,
                soc_ops_relevant,
                kind: Some(kind.into()),
                designation: None,
                maps_to: vec![],
            });
        }
    }
    Ok(Framework {
        id: SOC2.into(),
        name: "AICPA Trust Services Criteria (SOC 2): Common Criteria and supplemental criteria".into(),
        version: "2017 (points of focus revised 2022)".into(),
        source: format!("{}. {}", raw.framework, raw.notice),
        licence: raw.license,
        controls,
    })
}

fn iso27001() -> Result<Framework, ComplianceError> {
    let file = "iso27001-2022-annex-a.json";
    let raw: AuthoredFile = parse_json(file, ISO_JSON)?;
    let mut controls = Vec::new();
    for item in &raw.items {
        let id = canonical_id(file, ISO27001, &item.id)?;
        let group = id.rsplit_once('.').map(|(theme, _)| theme.to_owned());
        if let Some(g) = &group
            && !raw.themes.contains_key(g)
        {
            return Err(catalog_error(file, format!("{id}: unknown theme {g}")));
        }
        controls.push(Control {
            id,
            title: item.title.clone(),
            group,
            soc_ops_relevant: item.soc_ops_relevant.unwrap_or(false),
            kind: None,
            designation: None,
            maps_to: vec![],
        });
    }
    Ok(Framework {
        id: ISO27001.into(),
        name: "ISO/IEC 27001:2022 Annex A".into(),
        version: "2022".into(),
        source: format!("{}. {}", raw.framework, raw.notice),
        licence: raw.license,
        controls,
    })
}

fn hipaa(is_mapped: &dyn Fn(&str, &str) -> bool) -> Result<Framework, ComplianceError> {
    let file = "hipaa-security-rule.json";
    let raw: HipaaFile = parse_json(file, HIPAA_JSON)?;
    let mut controls = Vec::new();
    for item in &raw.items {
        controls.push(Control {
            id: canonical_id(file, HIPAA, &item.cfr_ref)?,
            title: item.title.clone(),
            group: Some(item.section.clone()),
            soc_ops_relevant: item.soc_relevant,
            kind: Some(item.kind.clone()),
            designation: item.designation.clone(),
            maps_to: vec![],
        });
    }
    // Definitions and general rules are not controls; the breach-notification sections are.
    for item in raw.related.iter().filter(|r| r.kind == "breach_notification") {
        let id = canonical_id(file, HIPAA, &item.id)?;
        controls.push(Control {
            soc_ops_relevant: is_mapped(HIPAA, &id),
            group: Some(id.clone()),
            id,
            title: item.title.clone(),
            kind: Some(item.kind.clone()),
            designation: None,
            maps_to: vec![],
        });
    }
    Ok(Framework {
        id: HIPAA.into(),
        name: raw.title,
        version: "45 CFR 164 (eCFR)".into(),
        source: raw.source,
        licence: raw.license,
        controls,
    })
}

fn pci_dss() -> Result<Framework, ComplianceError> {
    let file = "pci-dss-v4.0.1-selected.json";
    let raw: AuthoredFile = parse_json(file, PCI_JSON)?;
    let mut controls = Vec::new();
    for item in &raw.items {
        let id = canonical_id(file, PCI_DSS, &item.id)?;
        let group = id.split('.').next().map(str::to_owned);
        controls.push(Control {
            soc_ops_relevant: item.topic.is_some(),
            kind: Some(item.topic.clone().unwrap_or_else(|| "requirement".into())),
            id,
            title: item.title.clone(),
            group,
            designation: None,
            maps_to: vec![],
        });
    }
    Ok(Framework {
        id: PCI_DSS.into(),
        name: "PCI DSS: requirements selected for security operations".into(),
        version: "4.0.1".into(),
        source: format!("{}. {}", raw.framework, raw.notice),
        licence: raw.license,
        controls,
    })
}

fn nist_csf(is_mapped: &dyn Fn(&str, &str) -> bool) -> Result<Framework, ComplianceError> {
    let file = "csf-2.0.json";
    let raw: CsfFile = parse_json(file, CSF_JSON)?;
    let mut controls = Vec::new();
    for item in raw.items.iter().filter(|i| i.status == "active") {
        if item.kind != "category" && item.kind != "subcategory" {
            return Err(catalog_error(file, format!("{}: unknown type `{}`", item.id, item.kind)));
        }
        let id = canonical_id(file, NIST_CSF, &item.id)?;
        controls.push(Control {
            soc_ops_relevant: matches!(item.function.as_str(), "DE" | "RS") || is_mapped(NIST_CSF, &id),
            id,
            title: item.title.clone().unwrap_or_else(|| item.statement.clone()),
            group: Some(item.function.clone()),
            kind: Some(item.kind.clone()),
            designation: None,
            maps_to: vec![],
        });
    }
    Ok(Framework {
        id: NIST_CSF.into(),
        name: "NIST Cybersecurity Framework".into(),
        version: "2.0".into(),
        source: raw.source,
        licence: raw.license,
        controls,
    })
}

fn nist_800_53(is_mapped: &dyn Fn(&str, &str) -> bool) -> Result<Framework, ComplianceError> {
    let file = "sp800-53r5-controls.json";
    let raw: Sp80053File = parse_json(file, SP800_53_JSON)?;
    let mut controls = Vec::new();
    for item in &raw.controls {
        let id = canonical_id(file, NIST_800_53, &item.id)?;
        let family = item.family.to_ascii_uppercase();
        controls.push(Control {
            soc_ops_relevant: matches!(family.as_str(), "AU" | "IR" | "SI") || is_mapped(NIST_800_53, &id),
            id,
            title: item.title.clone(),
            group: Some(family),
            kind: Some(if item.parent.is_some() { "enhancement" } else { "control" }.into()),
            designation: None,
            maps_to: vec![],
        });
    }
    // The file lists ids in string order (ac-1, ac-10, ac-11, ac-2); reports read better in the
    // publication's order: family, control number, enhancement.
    controls.sort_by_key(|c| sp800_53_order(&c.id));
    Ok(Framework {
        id: NIST_800_53.into(),
        name: "NIST SP 800-53: HIGH and PRIVACY baseline controls".into(),
        version: "Revision 5".into(),
        source: raw.source,
        licence: raw.license,
        controls,
    })
}

fn sp800_53_order(id: &str) -> (String, u32, u32) {
    let (family, rest) = id.split_once('-').unwrap_or((id, ""));
    let (base, enhancement) = match rest.split_once('(') {
        Some((b, e)) => (b, e.trim_end_matches(')')),
        None => (rest, ""),
    };
    (family.to_owned(), base.parse().unwrap_or(0), enhancement.parse().unwrap_or(0))
}
