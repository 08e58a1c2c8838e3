//! Rule packs: Sigma rules, correlations and filters loaded from files and directories in the
//! SigmaHQ layout. Every document is either loaded or rejected with the file, the rule id and
//! the reason; a loaded rule whose logsource no Vigil decoder produces is kept but marked idle,
//! with the reason. Nothing is dropped silently.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use rsigma_eval::{CompiledRule, compile_rule};
use rsigma_parser::{CorrelationCondition, CorrelationRule, FilterRule, SigmaRule};
use serde::Serialize;

use crate::route::{RouteKey, unroutable};

/// A rule file larger than this is rejected unread: no real rule comes near it.
pub const MAX_RULE_FILE_BYTES: u64 = 1 << 20;
/// Directory depth followed when walking a rule pack.
const MAX_DEPTH: usize = 16;
/// A regular expression longer than this is rejected before it is compiled.
pub const MAX_REGEX_CHARS: usize = 4096;
/// YAML nesting deeper than this is rejected before it is parsed.
pub const MAX_YAML_NESTING: usize = 64;
/// Detection values per rule beyond which the rule is rejected (all lists together).
pub const MAX_VALUES_PER_RULE: usize = 20_000;

pub use vigil_model::alert::Level;

/// A Sigma rule's level; a rule without one is `medium`.
pub fn level_of_sigma(l: Option<&rsigma_parser::Level>) -> Level {
    match l {
        Some(rsigma_parser::Level::Informational) => Level::Informational,
        Some(rsigma_parser::Level::Low) => Level::Low,
        Some(rsigma_parser::Level::Medium) | None => Level::Medium,
        Some(rsigma_parser::Level::High) => Level::High,
        Some(rsigma_parser::Level::Critical) => Level::Critical,
    }
}

/// What an alert says about the rule that raised it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleInfo {
    /// The rule's `id`, or `title:<title>` for a rule without one.
    pub id: String,
    pub title: String,
    pub level: Level,
    pub status: Option<String>,
    pub tags: Vec<String>,
    pub description: Option<String>,
    pub falsepositives: Vec<String>,
    /// The file it was loaded from.
    pub file: String,
    /// The logsource, lower-cased.
    pub logsource: String,
}

/// One loaded detection rule.
pub struct LoadedRule {
    pub info: RuleInfo,
    pub sigma: SigmaRule,
    pub compiled: CompiledRule,
    pub route: RouteKey,
    /// Why no decoder can feed it, when none can.
    pub idle: Option<String>,
}

/// One loaded correlation rule.
pub struct LoadedCorrelation {
    pub info: RuleInfo,
    pub rule: CorrelationRule,
}

/// A document that was not loaded.
#[derive(Debug, Clone, Serialize)]
pub struct Rejection {
    pub file: String,
    pub rule_id: Option<String>,
    pub title: Option<String>,
    pub reason: String,
}

/// Everything loaded from a set of rule paths.
#[derive(Default)]
pub struct RulePack {
    pub rules: Vec<LoadedRule>,
    pub correlations: Vec<LoadedCorrelation>,
    pub filters: Vec<(String, FilterRule)>,
    pub rejected: Vec<Rejection>,
    /// Non-fatal findings (file, message): a document parsed with warnings.
    pub warnings: Vec<(String, String)>,
    pub files: usize,
}

/// Counts for `vigil rules check`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PackSummary {
    pub files: usize,
    pub rules: usize,
    pub active: usize,
    pub idle: usize,
    pub correlations: usize,
    pub filters: usize,
    pub rejected: usize,
}

impl RulePack {
    pub fn summary(&self) -> PackSummary {
        let idle = self.rules.iter().filter(|r| r.idle.is_some()).count();
        PackSummary {
            files: self.files,
            rules: self.rules.len(),
            active: self.rules.len() - idle,
            idle,
            correlations: self.correlations.len(),
            filters: self.filters.len(),
            rejected: self.rejected.len(),
        }
    }

    /// The decoders (by name, as the lake's `metadata_format` holds them) whose records some
    /// active rule can see, or `None` when an active rule leaves the product open (every record
    /// may match). What a retro-hunt reads from the lake.
    pub fn formats_seen(&self) -> Option<Vec<&'static str>> {
        let mut products = std::collections::BTreeSet::new();
        for r in self.rules.iter().filter(|r| r.idle.is_none()) {
            products.insert(r.route.product.clone()?);
        }
        Some(
            vigil_decode::DECODERS
                .iter()
                .filter(|d| d.logsource().product.is_some_and(|p| products.contains(p)))
                .map(|d| d.name())
                .collect(),
        )
    }

    /// Moves everything `other` loaded into this pack.
    pub fn merge(&mut self, other: RulePack) {
        self.rules.extend(other.rules);
        self.correlations.extend(other.correlations);
        self.filters.extend(other.filters);
        self.rejected.extend(other.rejected);
        self.warnings.extend(other.warnings);
        self.files += other.files;
    }

    /// Idle rules grouped by reason, most common first.
    pub fn idle_reasons(&self) -> Vec<(String, usize)> {
        let mut m: BTreeMap<&str, usize> = BTreeMap::new();
        for r in &self.rules {
            if let Some(why) = &r.idle {
                *m.entry(why.as_str()).or_default() += 1;
            }
        }
        let mut v: Vec<(String, usize)> = m.into_iter().map(|(k, n)| (k.to_string(), n)).collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    }

    /// Loads every rule file under `paths` (files, or directories walked in sorted order for
    /// `.yml`/`.yaml`).
    pub fn load(paths: &[PathBuf]) -> RulePack {
        let mut pack = RulePack::default();
        let mut files = Vec::new();
        for p in paths {
            collect(p, 0, &mut files, &mut pack.rejected);
        }
        for f in files {
            let name = f.display().to_string();
            pack.files += 1;
            match std::fs::metadata(&f) {
                Ok(m) if m.len() > MAX_RULE_FILE_BYTES => {
                    pack.reject(
                        &name,
                        None,
                        None,
                        format!(
                            "file of {} bytes exceeds the {MAX_RULE_FILE_BYTES}-byte limit for a rule file",
                            m.len()
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    pack.reject(&name, None, None, format!("cannot read: {e}"));
                    continue;
                }
                _ => {}
            }
            match std::fs::read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => pack.add_yaml(&name, &text),
                    Err(e) => {
                        pack.reject(&name, None, None, format!("not UTF-8 (byte {})", e.utf8_error().valid_up_to()))
                    }
                },
                Err(e) => pack.reject(&name, None, None, format!("cannot read: {e}")),
            }
        }
        pack.finish();
        pack
    }

    /// Loads rules from YAML text (one file's worth); call [`RulePack::finish`] after the last.
    pub fn add_yaml(&mut self, file: &str, text: &str) {
        if let Some(why) = hostile(text) {
            self.reject(file, first_key(text, "id"), first_key(text, "title"), why);
            return;
        }
        let coll = match rsigma_parser::parse_sigma_yaml(text) {
            Ok(c) => c,
            Err(e) => {
                self.reject(file, first_key(text, "id"), first_key(text, "title"), format!("cannot parse: {e}"));
                return;
            }
        };
        let docs = coll.rules.len() + coll.correlations.len() + coll.filters.len();
        if docs == 0 {
            let why =
                if coll.errors.is_empty() { "no Sigma rule in the file".to_string() } else { coll.errors.join("; ") };
            self.reject(file, first_key(text, "id"), first_key(text, "title"), why);
            return;
        }
        // A multi-document file can lose some documents; name them by their errors.
        let doc_count = text.lines().filter(|l| l.trim_end() == "---").count() + 1;
        for e in &coll.errors {
            if docs < doc_count {
                self.reject(file, None, None, e.clone());
            } else {
                self.warnings.push((file.to_string(), e.clone()));
            }
        }
        for rule in coll.rules {
            self.add_rule(file, rule);
        }
        for mut c in coll.correlations {
            // rsigma 0.23 gives a temporal correlation without a condition the threshold
            // `gte: 1`, so it fires when any one of its rules matches; the Sigma specification
            // says all of them must. Vigil restores the specification's default.
            if matches!(c.correlation_type, rsigma_parser::CorrelationType::Temporal)
                && let CorrelationCondition::Threshold { predicates, field: None, .. } = &mut c.condition
                && predicates.len() == 1
                && predicates[0] == (rsigma_parser::ConditionOperator::Gte, 1)
                && c.rules.len() > 1
            {
                predicates[0].1 = c.rules.len() as u64;
            }
            let info = info_of(
                file,
                c.id.as_deref(),
                &c.title,
                c.level.as_ref(),
                c.status.map(|s| format!("{s:?}").to_lowercase()),
                &c.tags,
                &c.description,
                &c.falsepositives,
                "correlation".into(),
            );
            self.correlations.push(LoadedCorrelation { info, rule: c });
        }
        for f in coll.filters {
            self.filters.push((file.to_string(), f));
        }
    }

    fn add_rule(&mut self, file: &str, rule: SigmaRule) {
        let id = rule.id.clone();
        if let Some(why) = too_many_values(&rule) {
            self.reject(file, id, Some(rule.title.clone()), why);
            return;
        }
        let compiled = match std::panic::catch_unwind(|| compile_rule(&rule)) {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                self.reject(file, id, Some(rule.title.clone()), format!("cannot compile: {e}"));
                return;
            }
            Err(_) => {
                self.reject(file, id, Some(rule.title.clone()), "the compiler failed on this rule".into());
                return;
            }
        };
        let route = RouteKey::of(&rule.logsource);
        let info = info_of(
            file,
            rule.id.as_deref(),
            &rule.title,
            rule.level.as_ref(),
            rule.status.map(|s| format!("{s:?}").to_lowercase()),
            &rule.tags,
            &rule.description,
            &rule.falsepositives,
            route.to_string(),
        );
        let idle = unroutable(&route);
        self.rules.push(LoadedRule { info, sigma: rule, compiled, route, idle });
    }

    fn reject(&mut self, file: &str, rule_id: Option<String>, title: Option<String>, reason: String) {
        self.rejected.push(Rejection { file: file.to_string(), rule_id, title, reason });
    }

    /// Cross-document checks once every file is in: duplicate ids, correlations whose rules are
    /// missing, correlation rules that do not compile.
    pub fn finish(&mut self) {
        let mut seen: HashMap<String, String> = HashMap::new();
        let mut keep = Vec::with_capacity(self.rules.len());
        for r in std::mem::take(&mut self.rules) {
            if let Some(first) = seen.get(&r.info.id) {
                let why = format!("duplicate rule id; first loaded from {first}");
                self.reject(&r.info.file.clone(), Some(r.info.id.clone()), Some(r.info.title.clone()), why);
                continue;
            }
            seen.insert(r.info.id.clone(), r.info.file.clone());
            keep.push(r);
        }
        self.rules = keep;
        let mut names: HashSet<String> = HashSet::new();
        for r in &self.rules {
            names.insert(r.info.id.clone());
            if let Some(n) = &r.sigma.name {
                names.insert(n.clone());
            }
        }
        for c in &self.correlations {
            if let Some(id) = &c.rule.id {
                names.insert(id.clone());
            }
            if let Some(n) = &c.rule.name {
                names.insert(n.clone());
            }
        }
        let mut keep = Vec::new();
        for c in std::mem::take(&mut self.correlations) {
            let missing: Vec<&String> = c.rule.rules.iter().filter(|r| !names.contains(*r)).collect();
            let why = if !missing.is_empty() {
                Some(format!("correlation refers to rules that are not loaded: {}", join(&missing)))
            } else {
                rsigma_eval::correlation::compile_correlation(&c.rule).err().map(|e| format!("cannot compile: {e}"))
            };
            match why {
                Some(why) => {
                    self.reject(&c.info.file.clone(), Some(c.info.id.clone()), Some(c.info.title.clone()), why)
                }
                None => keep.push(c),
            }
        }
        self.correlations = keep;
    }

    /// The field names correlation rules read from member events.
    pub fn correlation_fields(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.correlations {
            out.extend(c.rule.group_by.iter().cloned());
            if let CorrelationCondition::Threshold { field: Some(f), .. } = &c.rule.condition {
                out.extend(f.iter().cloned());
            }
            for a in &c.rule.aliases {
                out.extend(a.mapping.values().cloned());
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

fn join(v: &[&String]) -> String {
    v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
}

#[allow(clippy::too_many_arguments)]
fn info_of(
    file: &str,
    id: Option<&str>,
    title: &str,
    level: Option<&rsigma_parser::Level>,
    status: Option<String>,
    tags: &[String],
    description: &Option<String>,
    falsepositives: &[String],
    logsource: String,
) -> RuleInfo {
    RuleInfo {
        id: id.map(str::to_string).unwrap_or_else(|| format!("title:{title}")),
        title: title.to_string(),
        level: level_of_sigma(level),
        status,
        tags: tags.to_vec(),
        description: description.clone(),
        falsepositives: falsepositives.to_vec(),
        file: file.to_string(),
        logsource,
    }
}

fn collect(p: &Path, depth: usize, out: &mut Vec<PathBuf>, rejected: &mut Vec<Rejection>) {
    let meta = match std::fs::metadata(p) {
        Ok(m) => m,
        Err(e) => {
            rejected.push(Rejection {
                file: p.display().to_string(),
                rule_id: None,
                title: None,
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_file() {
        out.push(p.to_path_buf());
        return;
    }
    if depth >= MAX_DEPTH {
        rejected.push(Rejection {
            file: p.display().to_string(),
            rule_id: None,
            title: None,
            reason: format!("directory deeper than {MAX_DEPTH} levels; not walked"),
        });
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(p) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => {
            rejected.push(Rejection {
                file: p.display().to_string(),
                rule_id: None,
                title: None,
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    entries.sort();
    for e in entries {
        if e.is_dir() {
            collect(&e, depth + 1, out, rejected);
        } else if e.extension().is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml")) {
            out.push(e);
        }
    }
}

/// The first top-level `key:` value in YAML text, for naming a document that did not parse.
fn first_key(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix(key)?.strip_prefix(':')?;
        let v = rest.trim().trim_matches(['\'', '"']);
        (!v.is_empty()).then(|| v.chars().take(120).collect())
    })
}

/// Content no rule needs and that could make parsing or matching expensive, found before the
/// parser sees it: nesting deeper than any real rule, and oversized regular expressions.
fn hostile(text: &str) -> Option<String> {
    // Flow-collection nesting, counted outside quoted strings and comments.
    let mut depth = 0usize;
    let mut max = 0usize;
    for line in text.lines() {
        let (mut single, mut double) = (false, false);
        let mut prev = b' ';
        for b in line.bytes() {
            match b {
                b'\'' if !double => single = !single,
                b'"' if !single && prev != b'\\' => double = !double,
                b'#' if !single && !double && (prev == b' ' || prev == b'\t') => break,
                b'[' | b'{' if !single && !double => {
                    depth += 1;
                    max = max.max(depth);
                }
                b']' | b'}' if !single && !double => depth = depth.saturating_sub(1),
                _ => {}
            }
            prev = b;
        }
    }
    let indent = text.lines().map(|l| l.len() - l.trim_start_matches(' ').len()).max().unwrap_or(0) / 2;
    if max > MAX_YAML_NESTING || indent > MAX_YAML_NESTING * 2 {
        return Some(format!("nesting deeper than {MAX_YAML_NESTING} levels; no Sigma rule needs that"));
    }
    let parens = text.lines().filter(|l| l.trim_start().starts_with("condition")).map(|l| l.matches('(').count()).max();
    if parens.is_some_and(|p| p > MAX_YAML_NESTING) {
        return Some(format!("condition nests parentheses deeper than {MAX_YAML_NESTING} levels"));
    }
    None
}

/// Rejects rules whose value lists or regular expressions are far beyond what detection needs.
fn too_many_values(rule: &SigmaRule) -> Option<String> {
    let mut values = 0usize;
    let mut longest_re = 0usize;
    for det in rule.detection.named.values() {
        walk_detection(det, &mut values, &mut longest_re);
    }
    if values > MAX_VALUES_PER_RULE {
        return Some(format!("{values} detection values; the limit is {MAX_VALUES_PER_RULE}"));
    }
    if longest_re > MAX_REGEX_CHARS {
        return Some(format!("a regular expression of {longest_re} characters; the limit is {MAX_REGEX_CHARS}"));
    }
    None
}

fn walk_detection(d: &rsigma_parser::Detection, values: &mut usize, longest_re: &mut usize) {
    use rsigma_parser::Detection;
    match d {
        Detection::AllOf(items) => {
            for it in items {
                *values += it.values.len();
                let is_re = it.field.modifiers.iter().any(|m| matches!(m, rsigma_parser::Modifier::Re));
                if is_re {
                    for v in &it.values {
                        *longest_re = (*longest_re).max(format!("{v:?}").len());
                    }
                }
            }
        }
        Detection::AnyOf(ds) => {
            for d in ds {
                walk_detection(d, values, longest_re);
            }
        }
        Detection::Keywords(k) => *values += k.len(),
        #[allow(unreachable_patterns)]
        _ => {}
    }
}

#[cfg(test)]
mod tests;
