//! The assistant's tools: typed, read-only operations over [`vigil_app::App`], each run as the
//! asker, each returning facts with citations.
//!
//! A refusal by the application layer (not permitted, not granted, not found) yields no facts —
//! never the data — and says what was not looked at. Event searches go through
//! [`App::hunt`](vigil_app::App::hunt) with a row cap; their SQL is built only from values the
//! recogniser accepted ([`crate::entity::is_safe_value`]), quoted by [`sql_str`], and from
//! names in this file.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use vigil_app::{App, AppError, Caller};
use vigil_auth::Permission;

use crate::entity::{Period, VENDORS, is_safe_value};
use crate::fact::{Citation, Fact, FactKind, fmt_day, fmt_ms};
use crate::lookup;

/// The most rows one event search returns.
pub const MAX_EVENT_ROWS: usize = 20;
/// The most records of one kind a tool turns into facts.
pub const MAX_RECORDS: usize = 50;

/// A subject an event search looks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Subject {
    User(String),
    Email(String),
    Ip(String),
    Host(String),
    Key(String),
    Bucket(String),
    Process(String),
}

impl Subject {
    pub fn value(&self) -> &str {
        match self {
            Subject::User(v)
            | Subject::Email(v)
            | Subject::Ip(v)
            | Subject::Host(v)
            | Subject::Key(v)
            | Subject::Bucket(v)
            | Subject::Process(v) => v,
        }
    }

    pub fn noun(&self) -> &'static str {
        match self {
            Subject::User(_) => "user",
            Subject::Email(_) => "email",
            Subject::Ip(_) => "address",
            Subject::Host(_) => "host",
            Subject::Key(_) => "access key",
            Subject::Bucket(_) => "bucket",
            Subject::Process(_) => "process",
        }
    }

    /// The SQL condition matching this subject, or `None` for a value that is not safe.
    fn predicate(&self) -> Option<String> {
        let v = self.value();
        if !is_safe_value(v) {
            return None;
        }
        let l = sql_str(&v.to_lowercase());
        let s = sql_str(v);
        Some(match self {
            Subject::User(_) => format!(
                "(lower(actor_user_name) = {l} OR lower(user_name) = {l} OR lower(process_user) = {l} \
                 OR starts_with(lower(actor_user_name), {at}) OR starts_with(lower(user_name), {at}))",
                at = sql_str(&format!("{}@", v.to_lowercase()))
            ),
            Subject::Email(_) => {
                format!("(lower(actor_user_email) = {l} OR lower(actor_user_name) = {l} OR lower(user_name) = {l})")
            }
            Subject::Ip(_) => format!("(src_ip = {s} OR dst_ip = {s} OR device_ip = {s})"),
            Subject::Host(_) => {
                format!("(lower(device_hostname) = {l} OR lower(src_hostname) = {l} OR lower(dst_hostname) = {l})")
            }
            Subject::Key(_) => format!("(actor_user_credential_uid = {s} OR strpos(api_request_data, {s}) > 0)"),
            Subject::Bucket(_) => {
                format!("(strpos(api_request_data, {s}) > 0 OR strpos(api_response_data, {s}) > 0)")
            }
            Subject::Process(_) => format!("(lower(process_name) = {l} OR ends_with(lower(process_path), {l}))"),
        })
    }
}

/// An SQL string literal: single quotes doubled. Values reaching it were already checked by
/// [`is_safe_value`]; quoting is the second wall, not the only one.
pub fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// What an event search asks for.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EventQuery {
    /// Any of these (none: every event, so the period or operations must narrow it).
    pub subjects: Vec<Subject>,
    pub period: Option<Period>,
    /// One OCSF class's view (a name from `vigil_model::OcsfClass::table`).
    pub class: Option<String>,
    /// API operations, any of.
    pub operations: Vec<String>,
    /// Only sign-ins recorded without MFA.
    pub without_mfa: bool,
}

impl EventQuery {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.subjects.is_empty() {
            let s: Vec<String> = self.subjects.iter().map(|s| format!("{} {}", s.noun(), s.value())).collect();
            parts.push(s.join(" or "));
        }
        if let Some(c) = &self.class {
            parts.push(format!("class {c}"));
        }
        if !self.operations.is_empty() {
            parts.push(format!("operations {}", self.operations.join(", ")));
        }
        if self.without_mfa {
            parts.push("without MFA".to_string());
        }
        if let Some(p) = &self.period {
            parts.push(format!("in {}", p.span()));
        }
        parts.join(", ")
    }

    /// The table and the `WHERE` clause; `None` when nothing narrows the search.
    pub(crate) fn table_and_condition(&self) -> Option<(String, String)> {
        let table = match &self.class {
            Some(c) if vigil_model::OcsfClass::ALL.iter().any(|k| k.table() == c) => c.clone(),
            Some(_) => return None,
            None => "events".to_string(),
        };
        let mut conds = Vec::new();
        if !self.subjects.is_empty() {
            let preds: Option<Vec<String>> = self.subjects.iter().map(Subject::predicate).collect();
            conds.push(format!("({})", preds?.join(" OR ")));
        }
        if !self.operations.is_empty() {
            if !self.operations.iter().all(|o| is_safe_value(o)) {
                return None;
            }
            let ops: Vec<String> = self.operations.iter().map(|o| sql_str(o)).collect();
            conds.push(format!("api_operation IN ({})", ops.join(", ")));
        }
        if self.without_mfa {
            conds.push("(auth_is_mfa = false OR actor_session_is_mfa = false)".to_string());
        }
        if conds.is_empty() {
            return None;
        }
        if let Some(p) = &self.period {
            conds.push(format!(
                "time >= to_timestamp_millis({}) AND time < to_timestamp_millis({})",
                p.from_ms, p.to_ms
            ));
        }
        Some((table, conds.join(" AND ")))
    }
}

/// One tool call, as planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "tool", rename_all = "snake_case")]
pub enum ToolCall {
    /// The connected sources and the period each covers.
    Sources,
    /// Events matching a query, oldest first, at most [`MAX_EVENT_ROWS`].
    Events(EventQuery),
    /// Where and when a subject was seen: per source, how often, first and last.
    Sightings {
        subject: Subject,
        period: Option<Period>,
    },
    /// Incidents (first seen within `period`, when given); only those touching a crown jewel
    /// with `crown_jewels`.
    Incidents {
        period: Option<Period>,
        crown_jewels: bool,
    },
    Incident {
        id: String,
    },
    /// The cases the asker may see.
    Cases,
    /// One case with its timeline and SLA clocks.
    Case {
        id: String,
    },
    /// A case's playbook runs and approvals.
    CaseResponse {
        id: String,
    },
    /// A case's evidence items and packets.
    CaseEvidence {
        id: String,
    },
    /// An alert, or failing that an event, by its 32-hex id.
    AlertOrEvent {
        id: String,
    },
    /// The events of the alert's entities in the hour before it.
    HourBeforeAlert {
        id: String,
    },
    /// Alerts carrying an ATT&CK technique (sub-techniques included).
    AlertsByTechnique {
        technique: String,
    },
    /// Alerts evidencing a control.
    AlertsByControl {
        control: String,
    },
    /// The ledger's verification.
    Ledger,
    /// The scorecard's metrics over a period (this week when none is named) and the week
    /// before, each with its definition.
    Metrics {
        period: Option<Period>,
    },
    /// Compliance coverage of a framework's controls (one family of them, when named) over a
    /// period (the last 90 days when none is named).
    ControlCoverage {
        framework: String,
        family: Option<String>,
        period: Option<Period>,
    },
    /// Vendors in the inventory (those named, else every one), their identities and OAuth apps,
    /// and each app's token grants in the lake.
    Vendors {
        names: Vec<String>,
    },
    /// What the inventory says about a person, host, key or bucket.
    InventoryEntry {
        subject: Subject,
    },
    /// What the behavioral detections have learned about an entity.
    Baseline {
        subject: Subject,
    },
    /// A read-only query over the lake that the asker wrote (for those who may hunt).
    Sql {
        sql: String,
    },
}

impl ToolCall {
    /// What the call looks at, in words (the answer's `searched`, the audit entry's argument).
    pub fn describe(&self) -> String {
        match self {
            ToolCall::Sources => "the connected sources and their periods".into(),
            ToolCall::Events(q) => format!("events: {}", q.describe()),
            ToolCall::Sightings { subject, period } => format!(
                "sightings of {} {}{}",
                subject.noun(),
                subject.value(),
                period.as_ref().map(|p| format!(" in {}", p.span())).unwrap_or_default()
            ),
            ToolCall::Incidents { period, crown_jewels } => format!(
                "incidents{}{}",
                if *crown_jewels { " touching crown jewels" } else { "" },
                period.as_ref().map(|p| format!(" first seen in {}", p.span())).unwrap_or_default()
            ),
            ToolCall::Incident { id } => format!("incident {id}"),
            ToolCall::Cases => "the cases visible to you".into(),
            ToolCall::Case { id } => format!("case {id} and its timeline"),
            ToolCall::CaseResponse { id } => format!("playbook runs and approvals of case {id}"),
            ToolCall::CaseEvidence { id } => format!("evidence and packets of case {id}"),
            ToolCall::AlertOrEvent { id } => format!("alert or event {id}"),
            ToolCall::HourBeforeAlert { id } => format!("the hour before alert {id}"),
            ToolCall::AlertsByTechnique { technique } => format!("alerts for ATT&CK {technique}"),
            ToolCall::AlertsByControl { control } => format!("alerts evidencing control {control}"),
            ToolCall::Metrics { period } => format!(
                "the scorecard's metrics for {}",
                period.as_ref().map(|p| p.label.clone()).unwrap_or_else(|| "this week".into())
            ),
            ToolCall::Ledger => "the ledger's verification".into(),
            ToolCall::ControlCoverage { framework, family, period } => format!(
                "compliance coverage of {framework}{} controls over {}",
                family.as_ref().map(|f| format!(" {f}")).unwrap_or_default(),
                period.as_ref().map(|p| p.label.clone()).unwrap_or_else(|| "the last 90 days".into())
            ),
            ToolCall::Vendors { names } if names.is_empty() => {
                "the vendors in the inventory and their OAuth apps' token grants".into()
            }
            ToolCall::Vendors { .. } => {
                "the vendors the question names in the inventory and their OAuth apps' token grants".into()
            }
            ToolCall::InventoryEntry { subject } => {
                format!("the inventory's entry for {} {}", subject.noun(), subject.value())
            }
            ToolCall::Baseline { subject } => {
                format!("the behavioral baselines of {} {}", subject.noun(), subject.value())
            }
            ToolCall::Sql { sql } => format!("your query: {}", sql.chars().take(300).collect::<String>()),
        }
    }
}

/// What one call found.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolOutput {
    pub facts: Vec<Fact>,
    /// Notes on what was looked at (a refusal, a truncation).
    pub notes: Vec<String>,
    /// What data would answer, where this call knows it is missing.
    pub missing: Vec<String>,
    /// The application layer refused the call (not permitted or not granted).
    pub refused: bool,
}

impl ToolOutput {
    pub(crate) fn facts(facts: Vec<Fact>) -> ToolOutput {
        ToolOutput { facts, ..Default::default() }
    }

    /// A refusal or absence, as the asker may learn of it: never whether a hidden object exists.
    pub(crate) fn refusal(e: &AppError, what: &str) -> ToolOutput {
        match e {
            AppError::Forbidden { needs, .. } => ToolOutput {
                notes: vec![format!("{what}: not permitted for you (needs the {needs} permission)")],
                missing: vec![format!("{what}, which you may not read")],
                refused: true,
                ..Default::default()
            },
            AppError::NotGranted(_) | AppError::NotFound(_) => ToolOutput {
                notes: vec![format!("{what}: nothing you may see")],
                missing: vec![format!("{what}: no such record that you may see")],
                refused: matches!(e, AppError::NotGranted(_)),
                ..Default::default()
            },
            other => ToolOutput {
                notes: vec![format!("{what}: could not be read ({})", first_line(&other.to_string()))],
                missing: vec![format!("{what}, which could not be read")],
                ..Default::default()
            },
        }
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().chars().take(200).collect()
}

/// Runs one call as `caller`.
pub fn run(app: &App, caller: &Caller, call: &ToolCall) -> ToolOutput {
    let what = call.describe();
    let r = match call {
        ToolCall::Sources => sources(app, caller),
        ToolCall::Events(q) => events(app, caller, q),
        ToolCall::Sightings { subject, period } => sightings(app, caller, subject, period.as_ref()),
        ToolCall::Incidents { period, crown_jewels } => incidents(app, caller, period.as_ref(), *crown_jewels),
        ToolCall::Incident { id } => incident(app, caller, id),
        ToolCall::Cases => cases(app, caller),
        ToolCall::Case { id } => case(app, caller, id),
        ToolCall::CaseResponse { id } => case_response(app, caller, id),
        ToolCall::CaseEvidence { id } => case_evidence(app, caller, id),
        ToolCall::AlertOrEvent { id } => alert_or_event(app, caller, id),
        ToolCall::HourBeforeAlert { id } => hour_before_alert(app, caller, id),
        ToolCall::AlertsByTechnique { technique } => alerts_where(app, caller, |a| {
            a.rule.techniques.iter().any(|t| t == technique || t.starts_with(&format!("{technique}.")))
        }),
        ToolCall::AlertsByControl { control } => alerts_where(app, caller, |a| a.controls.iter().any(|c| c == control)),
        ToolCall::Ledger => ledger(app, caller),
        ToolCall::Metrics { period } => metrics(app, caller, period.as_ref()),
        ToolCall::ControlCoverage { framework, family, period } => {
            lookup::control_coverage(app, caller, framework, family.as_deref(), period.as_ref())
        }
        ToolCall::Vendors { names } => lookup::vendors(app, caller, names),
        ToolCall::InventoryEntry { subject } => lookup::inventory_entry(app, caller, subject),
        ToolCall::Baseline { subject } => lookup::baseline(app, caller, subject),
        ToolCall::Sql { sql } => lookup::sql(app, caller, sql),
    };
    r.unwrap_or_else(|e| ToolOutput::refusal(&e, &what))
}

pub(crate) type R = Result<ToolOutput, AppError>;

/// Runs SQL as the caller and returns its rows as JSON objects.
pub(crate) fn hunt_rows(app: &App, caller: &Caller, sql: &str, cap: usize) -> Result<(Vec<Value>, bool), AppError> {
    let r = app.hunt(caller, sql, Some(cap))?;
    let rows = r.to_json_rows().map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((rows, r.truncated))
}

pub(crate) fn s(v: &Value, k: &str) -> String {
    match v.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

pub(crate) fn i(v: &Value, k: &str) -> Option<i64> {
    match v.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// The lake's sources: product, vendor, how many events, first and last.
fn sources(app: &App, caller: &Caller) -> R {
    let sql = "SELECT metadata_product AS product, metadata_vendor AS vendor, count(*) AS events, \
               CAST(min(time) AS BIGINT) AS first_ms, CAST(max(time) AS BIGINT) AS last_ms \
               FROM events GROUP BY 1, 2 ORDER BY 1, 2";
    let (rows, _) = hunt_rows(app, caller, sql, 1000)?;
    let mut facts = Vec::new();
    for r in &rows {
        let (product, vendor) = (s(r, "product"), s(r, "vendor"));
        let (first, last) = (i(r, "first_ms").map(fmt_ms).unwrap_or_default(), i(r, "last_ms").map(fmt_ms));
        let text = format!("source {product} ({vendor}) holds {} events from {first} to {}", s(r, "events"), {
            last.clone().unwrap_or_default()
        });
        facts.push(
            Fact::new(FactKind::Record, Citation::source(&product), text)
                .with("product", product.clone())
                .with("vendor", vendor)
                .with("events", s(r, "events"))
                .with("first", first)
                .with("first_day", i(r, "first_ms").map(fmt_day).unwrap_or_default())
                .with("last", last.unwrap_or_default())
                .with("first_ms", s(r, "first_ms"))
                .with("last_ms", s(r, "last_ms")),
        );
    }
    let mut out = ToolOutput::facts(facts);
    if rows.is_empty() {
        out.missing.push("events of any kind: the lake holds none".into());
    }
    Ok(out)
}

/// Whether a source fact is the connected form of a vendor (by the vendor's words).
pub fn source_is_vendor(source: &Fact, canonical: &str) -> bool {
    let Some((names, _, lake)) = VENDORS.iter().find(|(_, c, _)| *c == canonical) else { return false };
    let hay = format!(
        "{} {}",
        source.field("product").unwrap_or_default().to_lowercase(),
        source.field("vendor").unwrap_or_default().to_lowercase()
    );
    hay.contains(lake) || names.iter().any(|n| hay.contains(n))
}

pub(crate) const EVENT_COLUMNS: &str = "id, CAST(time AS BIGINT) AS t, class_name, metadata_product AS product, \
     metadata_event_code AS code, api_operation AS operation, actor_user_name AS actor, user_name AS target_user, \
     src_ip, dst_ip, device_hostname AS host, process_name AS process, http_user_agent AS user_agent, \
     api_request_data AS request, actor_user_credential_uid AS key";

/// The bucket an API call's request names (`bucketName` in CloudTrail's request parameters).
fn request_bucket(request: &str) -> String {
    serde_json::from_str::<Value>(request)
        .ok()
        .and_then(|v| v.get("bucketName").and_then(Value::as_str).map(str::to_string))
        .filter(|b| is_safe_value(b))
        .unwrap_or_default()
}

pub(crate) fn event_fact(r: &Value) -> Fact {
    let id = s(r, "id");
    let time = i(r, "t").map(fmt_ms).unwrap_or_default();
    let what = [s(r, "operation"), s(r, "code"), s(r, "process")].into_iter().find(|x| !x.is_empty());
    let mut text = format!("at {time} {} recorded a {} event", s(r, "product"), s(r, "class_name"));
    if let Some(w) = &what {
        text.push_str(&format!(" ({w})"));
    }
    for (k, label) in [("actor", "by"), ("target_user", "for"), ("src_ip", "from"), ("host", "on"), ("dst_ip", "to")] {
        let v = s(r, k);
        if !v.is_empty() {
            text.push_str(&format!(" {label} {v}"));
        }
    }
    let bucket = request_bucket(&s(r, "request"));
    if !bucket.is_empty() {
        text.push_str(&format!(" on bucket {bucket}"));
    }
    let mut f = Fact::new(FactKind::Record, Citation::event(&id), text)
        .with("id", id.clone())
        .with("time", time)
        .with("class", s(r, "class_name"))
        .with("product", s(r, "product"));
    for k in ["code", "operation", "actor", "target_user", "src_ip", "dst_ip", "host", "process", "user_agent", "key"] {
        f = f.with(k, s(r, k));
    }
    f.with("bucket", bucket)
}

fn events(app: &App, caller: &Caller, q: &EventQuery) -> R {
    let Some((table, cond)) = q.table_and_condition() else {
        return Ok(ToolOutput {
            notes: vec![format!("events: {}: nothing to search by", q.describe())],
            ..Default::default()
        });
    };
    let sql = format!("SELECT {EVENT_COLUMNS} FROM {table} WHERE {cond} ORDER BY time, id LIMIT {MAX_EVENT_ROWS}");
    let (rows, _) = hunt_rows(app, caller, &sql, MAX_EVENT_ROWS)?;
    let mut out = ToolOutput::facts(rows.iter().map(event_fact).collect());
    if rows.len() >= MAX_EVENT_ROWS {
        out.notes.push(format!("events: {}: the first {MAX_EVENT_ROWS} shown", q.describe()));
    }
    if rows.is_empty() {
        out.missing.push(format!("events matching {}: none in the lake", q.describe()));
    }
    Ok(out)
}

fn sightings(app: &App, caller: &Caller, subject: &Subject, period: Option<&Period>) -> R {
    let q = EventQuery { subjects: vec![subject.clone()], period: period.cloned(), ..Default::default() };
    let Some((table, cond)) = q.table_and_condition() else { return Ok(ToolOutput::default()) };
    let sql = format!(
        "SELECT metadata_product AS product, count(*) AS events, CAST(min(time) AS BIGINT) AS first_ms, \
         CAST(max(time) AS BIGINT) AS last_ms, first_value(id ORDER BY time, id) AS first_id, \
         last_value(id ORDER BY time, id) AS last_id FROM {table} WHERE {cond} GROUP BY 1 ORDER BY 3, 1"
    );
    let (rows, _) = hunt_rows(app, caller, &sql, 100)?;
    let (noun, value) = (subject.noun(), subject.value());
    let mut facts = Vec::new();
    for r in &rows {
        let (first, last) = (i(r, "first_ms").map(fmt_ms).unwrap_or_default(), i(r, "last_ms").map(fmt_ms));
        let last = last.unwrap_or_default();
        let product = s(r, "product");
        let n = s(r, "events");
        facts.push(
            Fact::new(
                FactKind::Aggregate,
                Citation::event(&s(r, "first_id")),
                format!("{noun} {value} appears in {n} {product} events, first at {first}"),
            )
            .with("subject", value)
            .with("product", product.clone())
            .with("events", n.clone())
            .with("first", first)
            .with("first_event", s(r, "first_id")),
        );
        facts.push(
            Fact::new(
                FactKind::Aggregate,
                Citation::event(&s(r, "last_id")),
                format!("{noun} {value} was last seen in {product} events at {last}"),
            )
            .with("subject", value)
            .with("product", product)
            .with("last", last)
            .with("last_event", s(r, "last_id")),
        );
    }
    let mut out = ToolOutput::facts(facts);
    if rows.is_empty() {
        out.missing.push(format!("events naming {noun} {value}: none in the lake"));
    }
    Ok(out)
}

pub(crate) fn incident_fact(i: &vigil_triage::Incident) -> Fact {
    Fact::new(
        FactKind::Record,
        Citation::incident(&i.id),
        format!(
            "incident {} \"{}\" began at {}, level {}, risk {:.0}, {} alerts",
            i.id,
            i.title,
            fmt_ms(i.first_ms),
            i.level,
            i.risk.score,
            i.alert_count
        ),
    )
    .with("id", i.id.clone())
    .with("title", i.title.clone())
    .with("first", fmt_ms(i.first_ms))
    .with("last", fmt_ms(i.last_ms))
    .with("level", i.level.clone())
    .with("risk", format!("{:.0}", i.risk.score))
    .with("alerts", i.alert_count.to_string())
    .with("entities", i.entities.join(" "))
    .with("verdict", i.verdict.verdict.as_str())
    .with("techniques", i.techniques.join(" "))
}

fn touches_crown_jewel(i: &vigil_triage::Incident) -> bool {
    i.risk
        .components
        .iter()
        .any(|c| c.name.contains("crown") || c.why.contains("crown-jewel") || c.why.contains("crown jewel"))
}

fn incidents(app: &App, caller: &Caller, period: Option<&Period>, crown: bool) -> R {
    let mut list = app.incidents(caller, true)?;
    if let Some(p) = period {
        list.retain(|i| i.first_ms >= p.from_ms && i.first_ms < p.to_ms);
    }
    if crown {
        list.retain(touches_crown_jewel);
    }
    list.sort_by(|a, b| a.first_ms.cmp(&b.first_ms).then(a.id.cmp(&b.id)));
    let n = list.len();
    let span = period.map(Period::span).unwrap_or_else(|| "all time".into());
    let name = if crown { "incidents touching crown jewels" } else { "incidents" };
    let mut facts = vec![
        Fact::new(
            FactKind::Aggregate,
            Citation::Metric { name: name.replace(' ', "_"), period: span.clone() },
            format!("{n} {name} in {span}"),
        )
        .with("count", n.to_string())
        .with("period", span)
        .with("label", period.map(|p| p.label.clone()).unwrap_or_default()),
    ];
    facts.extend(list.iter().take(MAX_RECORDS).map(incident_fact));
    Ok(ToolOutput::facts(facts))
}

fn incident(app: &App, caller: &Caller, id: &str) -> R {
    let d = app.incident_detail(caller, id)?;
    let mut f = incident_fact(&d.incident);
    if let Some(c) = &d.case {
        f = f.with("case", c.id.clone());
    }
    let mut facts = vec![f];
    for a in d.alerts.iter().take(MAX_RECORDS) {
        facts.push(alert_fact(a));
    }
    Ok(ToolOutput::facts(facts))
}

fn case_fact(c: &vigil_cases::Case) -> Fact {
    let owner = c.owner.clone().unwrap_or_else(|| "nobody".into());
    let mut f = Fact::new(
        FactKind::Record,
        Citation::case(&c.id),
        format!(
            "case {} \"{}\" is {}, severity {}, owned by {owner}, opened at {}",
            c.id,
            c.title,
            c.status.as_str(),
            c.severity.as_str(),
            fmt_ms(c.times.opened_ms)
        ),
    )
    .with("id", c.id.clone())
    .with("title", c.title.clone())
    .with("status", c.status.as_str())
    .with("severity", c.severity.as_str())
    .with("owner", owner)
    .with("team", c.team.clone().unwrap_or_default())
    .with("opened", fmt_ms(c.times.opened_ms))
    .with("incidents", c.incidents.join(" "))
    .with("alerts", c.alerts.len().to_string());
    for (k, t) in [
        ("acknowledged", c.times.acknowledged_ms),
        ("contained", c.times.contained_ms),
        ("resolved", c.times.resolved_ms),
        ("closed", c.times.closed_ms),
    ] {
        if let Some(t) = t {
            f = f.with(k, fmt_ms(t));
        }
    }
    if let Some(d) = &c.disposition {
        let v = serde_json::to_value(d).unwrap_or(Value::Null);
        f = f.with("disposition", s(&v, "disposition")).with("disposed_by", s(&v, "by"));
    }
    f
}

fn cases(app: &App, caller: &Caller) -> R {
    let list = if caller.can(Permission::ViewQueue) { app.all_cases(caller)? } else { app.granted_cases(caller)? };
    let n = list.len();
    let mut facts = vec![
        Fact::new(
            FactKind::Aggregate,
            Citation::Metric { name: "cases_visible".into(), period: "now".into() },
            format!("{n} {} visible to you", if n == 1 { "case is" } else { "cases are" }),
        )
        .with("count", n.to_string()),
    ];
    facts.extend(list.iter().take(MAX_RECORDS).map(case_fact));
    Ok(ToolOutput::facts(facts))
}

fn case(app: &App, caller: &Caller, id: &str) -> R {
    let (c, sla) = if caller.can(Permission::ViewQueue) {
        let v = app.case(caller, id)?;
        (v.case, v.sla)
    } else {
        (app.auditor_case(caller, id)?, Value::Null)
    };
    let mut facts = vec![case_fact(&c)];
    for h in c.history.iter().take(MAX_RECORDS) {
        facts.push(
            Fact::new(
                FactKind::Record,
                Citation::case(&c.id),
                format!("at {} {} recorded {} on case {}", fmt_ms(h.at_ms), h.actor, h.action, c.id),
            )
            .with("case", c.id.clone())
            .with("time", fmt_ms(h.at_ms))
            .with("actor", h.actor.clone())
            .with("action", h.action.clone())
            .with("detail", h.detail.chars().take(300).collect::<String>()),
        );
    }
    for clock in sla.as_array().into_iter().flatten() {
        let kind = s(clock, "kind");
        let due = i(clock, "due_ms").map(fmt_ms).unwrap_or_default();
        let met = i(clock, "met_ms").map(fmt_ms);
        let breached = clock.get("breached").and_then(Value::as_bool).unwrap_or(false);
        let text = match (&met, breached) {
            (Some(m), false) => format!("the {kind} clock of case {} was due at {due} and met at {m}", c.id),
            (Some(m), true) => format!("the {kind} clock of case {} was due at {due} and met late at {m}", c.id),
            (None, true) => format!("the {kind} clock of case {} was due at {due} and is breached", c.id),
            (None, false) => format!("the {kind} clock of case {} is due at {due}", c.id),
        };
        facts.push(
            Fact::new(FactKind::Record, Citation::case(&c.id), text)
                .with("case", c.id.clone())
                .with("clock", kind)
                .with("due", due)
                .with("met", met.unwrap_or_default())
                .with("sla_status", s(clock, "status")),
        );
    }
    Ok(ToolOutput::facts(facts))
}

fn case_response(app: &App, caller: &Caller, id: &str) -> R {
    let mut facts = Vec::new();
    for r in app.runs(caller, Some(id))?.iter().take(MAX_RECORDS) {
        let v = serde_json::to_value(r).unwrap_or(Value::Null);
        let pb = v.get("playbook").map(|p| s(p, "id")).unwrap_or_default();
        let (rid, status, by) = (s(&v, "id"), s(&v, "status"), s(&v, "requested_by"));
        let created = i(&v, "created_ms").map(fmt_ms).unwrap_or_default();
        facts.push(
            Fact::new(
                FactKind::Record,
                Citation::Run { id: rid.clone() },
                format!("run {rid} of playbook {pb} on case {id} was requested by {by} at {created} and is {status}"),
            )
            .with("id", rid)
            .with("playbook", pb)
            .with("case", id)
            .with("requested_by", by)
            .with("created", created)
            .with("status", status),
        );
    }
    for a in app.approvals(caller, true)?.iter().filter(|a| a.case_id == id).take(MAX_RECORDS) {
        let v = serde_json::to_value(a).unwrap_or(Value::Null);
        let (aid, action, status) = (s(&v, "id"), s(&v, "action"), s(&v, "status"));
        let decided_by = s(&v, "decided_by");
        let decided = i(&v, "decided_ms").map(fmt_ms).unwrap_or_default();
        let target = s(&v, "target");
        let text = if decided_by.is_empty() {
            format!("approval {aid} for {action} on case {id} is {status}")
        } else {
            format!("approval {aid} for {action} on case {id} was {status} by {decided_by} at {decided}")
        };
        facts.push(
            Fact::new(FactKind::Record, Citation::Approval { id: aid.clone() }, text)
                .with("id", aid)
                .with("case", id)
                .with("action", action)
                .with("class", s(&v, "class"))
                .with("target", target)
                .with("status", status)
                .with("requested_by", s(&v, "requested_by"))
                .with("decided_by", decided_by)
                .with("decided", decided),
        );
    }
    let mut out = ToolOutput::facts(facts);
    if out.facts.is_empty() {
        out.missing.push(format!("playbook runs or approvals of case {id}: none recorded"));
    }
    Ok(out)
}

fn case_evidence(app: &App, caller: &Caller, id: &str) -> R {
    let ev = app.case_evidence(caller, id, "assistant")?;
    let mut facts = Vec::new();
    for item in ev.items.iter().take(MAX_RECORDS) {
        let v = serde_json::to_value(item).unwrap_or(Value::Null);
        let meta = v.get("meta").cloned().unwrap_or(Value::Null);
        let name = s(&meta, "name");
        let added = i(&v, "added_ms").map(fmt_ms).unwrap_or_default();
        facts.push(
            Fact::new(
                FactKind::Record,
                Citation::Packet { sha256: item.sha256.clone() },
                format!("case {id} holds {name}, hash {}, added at {added}", item.sha256),
            )
            .with("case", id)
            .with("name", name)
            .with("sha256", item.sha256.clone())
            .with("added", added)
            .with("size", s(&v, "size")),
        );
    }
    for e in ev.custody.iter().take(MAX_RECORDS) {
        let v = serde_json::to_value(e).unwrap_or(Value::Null);
        let Some(seq) = i(&v, "seq").and_then(|n| u64::try_from(n).ok()) else { continue };
        let at = i(&v, "at_ms").or_else(|| i(&v, "time_ms")).map(fmt_ms).unwrap_or_default();
        facts.push(
            Fact::new(
                FactKind::Record,
                Citation::LedgerSeq { seq },
                format!("ledger entry {seq}: {} recorded {} on case {id} at {at}", s(&v, "actor"), s(&v, "action")),
            )
            .with("seq", seq.to_string())
            .with("actor", s(&v, "actor"))
            .with("action", s(&v, "action"))
            .with("time", at)
            .with("case", id),
        );
    }
    if let Ok((checked, problems)) = app.verify_vault(caller) {
        let changed: Vec<&Fact> = facts
            .iter()
            .filter(|f| f.field("sha256").is_some_and(|h| problems.iter().any(|p| p.contains(h))))
            .collect();
        let text = if changed.is_empty() {
            format!("all {checked} vault artifacts re-hash to their recorded hashes")
        } else {
            format!("{} artifacts of case {id} no longer match their recorded hashes", changed.len())
        };
        let changed_n = changed.len();
        facts.push(
            Fact::new(FactKind::Aggregate, Citation::coverage("vault"), text)
                .with("checked", checked.to_string())
                .with("changed", changed_n.to_string())
                .with("case", id),
        );
    }
    let mut out = ToolOutput::facts(facts);
    if out.facts.is_empty() {
        out.missing.push(format!("evidence of case {id}: no packet or artifact has been exported"));
    }
    Ok(out)
}

pub(crate) fn alert_fact(a: &vigil_model::Alert) -> Fact {
    let time = a.time.map(fmt_ms).unwrap_or_default();
    let mut f = Fact::new(
        FactKind::Record,
        Citation::alert(&a.id),
        format!("alert {} \"{}\" ({}) fired at {time}", a.id, a.rule.title, a.rule.level.as_str()),
    )
    .with("id", a.id.clone())
    .with("rule", a.rule.title.clone())
    .with("rule_id", a.rule.id.clone())
    .with("level", a.rule.level.as_str())
    .with("time", time)
    .with("techniques", a.rule.techniques.join(" "))
    .with("controls", a.controls.join(" "));
    for (k, v) in [
        ("users", &a.entities.users),
        ("hosts", &a.entities.hosts),
        ("ips", &a.entities.ips),
        ("keys", &a.entities.keys),
        ("buckets", &a.entities.buckets),
    ] {
        f = f.with(k, v.join(" "));
    }
    f
}

fn alert_or_event(app: &App, caller: &Caller, id: &str) -> R {
    match app.alert(caller, id) {
        Ok(a) => return Ok(ToolOutput::facts(vec![alert_fact(&a)])),
        Err(AppError::NotFound(_)) => {}
        Err(e) if !caller.can(Permission::Hunt) => return Err(e),
        Err(_) => {}
    }
    if !is_safe_value(id) {
        return Ok(ToolOutput::default());
    }
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = {} LIMIT 1", sql_str(id));
    let (rows, _) = hunt_rows(app, caller, &sql, 1)?;
    let mut out = ToolOutput::facts(rows.iter().map(event_fact).collect());
    if rows.is_empty() {
        out.missing.push(format!("alert or event {id}: no such record that you may see"));
    }
    Ok(out)
}

fn hour_before_alert(app: &App, caller: &Caller, id: &str) -> R {
    let a = app.alert(caller, id)?;
    let mut out = ToolOutput::facts(vec![alert_fact(&a)]);
    let Some(t) = a.time else {
        out.missing.push(format!("the time of alert {id}: the alert carries none"));
        return Ok(out);
    };
    let mut subjects: Vec<Subject> = Vec::new();
    subjects.extend(a.entities.users.iter().filter(|v| is_safe_value(v)).map(|v| Subject::User(v.clone())));
    subjects.extend(a.entities.hosts.iter().filter(|v| is_safe_value(v)).map(|v| Subject::Host(v.clone())));
    subjects.extend(a.entities.ips.iter().filter(|v| is_safe_value(v)).map(|v| Subject::Ip(v.clone())));
    let q = EventQuery {
        subjects,
        period: Some(Period { from_ms: t - 3_600_000, to_ms: t, label: format!("the hour before alert {id}") }),
        ..Default::default()
    };
    let found = events(app, caller, &q)?;
    out.facts.extend(found.facts);
    out.notes.extend(found.notes);
    out.missing.extend(found.missing);
    Ok(out)
}

fn alerts_where(app: &App, caller: &Caller, keep: impl Fn(&vigil_model::Alert) -> bool) -> R {
    let list: Vec<vigil_model::Alert> =
        app.alerts(caller, &vigil_app::auditor::AlertFilter::default())?.into_iter().filter(|a| keep(a)).collect();
    Ok(ToolOutput::facts(list.iter().take(MAX_RECORDS).map(alert_fact).collect()))
}

fn ledger(app: &App, caller: &Caller) -> R {
    let r = app.verify_ledger(caller, None)?;
    let text = format!(
        "the ledger holds {} entries under {} signed checkpoints, status {}, with {} problems",
        r.entries,
        r.checkpoints,
        r.status,
        r.problems.len()
    );
    Ok(ToolOutput::facts(vec![
        Fact::new(FactKind::Aggregate, Citation::LedgerSeq { seq: r.entries }, text)
            .with("entries", r.entries.to_string())
            .with("checkpoints", r.checkpoints.to_string())
            .with("status", r.status.clone())
            .with("problems", r.problems.len().to_string())
            .with("root", r.root_hex.clone()),
    ]))
}

/// A duration in words the verifier can check: hours with one decimal (`2.5 hours`).
fn hours(ms: f64) -> String {
    format!("{:.1}", ms / 3_600_000.0)
}

/// The scorecard's time and ratio metrics over `period` (this week by default) and the period
/// of the same length before it, each fact citing the metric and its period, and each metric's
/// definition as a fact of its own.
fn metrics(app: &App, caller: &Caller, period: Option<&Period>) -> R {
    let this = match period {
        Some(p) => vigil_metrics::Period::new(p.from_ms, p.to_ms, p.label.clone()),
        None => app.this_week()?,
    };
    let len = this.to_ms - this.from_ms;
    let before =
        vigil_metrics::Period::new(this.from_ms - len, this.from_ms, format!("the period before {}", this.label));
    let mut facts = Vec::new();
    for p in [&this, &before] {
        let card = app.scorecard(caller, p, 0)?;
        let m = &card.metrics;
        let span = format!("{}..{}", fmt_ms(p.from_ms), fmt_ms(p.to_ms));
        let stat = |key: &str, name: &str, st: &vigil_metrics::Stat| -> Fact {
            let cite = Citation::Metric { name: key.into(), period: span.clone() };
            match (st.median, st.p90) {
                (Some(med), Some(p90)) => Fact::new(
                    FactKind::Aggregate,
                    cite,
                    format!(
                        "{name} in {span}: median {} hours, p90 {} hours, over {} cases",
                        hours(med),
                        hours(p90),
                        st.n
                    ),
                )
                .with("metric", key)
                .with("period", span.clone())
                .with("median_hours", hours(med))
                .with("p90_hours", hours(p90))
                .with("count", st.n.to_string()),
                _ => Fact::new(FactKind::Gap, cite, format!("{name} in {span}: no case to measure"))
                    .with("metric", key)
                    .with("period", span.clone()),
            }
        };
        let ratio = |key: &str, name: &str, r: &vigil_metrics::Ratio| -> Fact {
            let cite = Citation::Metric { name: key.into(), period: span.clone() };
            match r.value {
                Some(v) => Fact::new(
                    FactKind::Aggregate,
                    cite,
                    format!("{name} in {span}: {:.2} ({} of {})", v, r.numerator, r.denominator),
                )
                .with("metric", key)
                .with("period", span.clone())
                .with("value", format!("{v:.2}"))
                .with("numerator", r.numerator.to_string())
                .with("denominator", r.denominator.to_string()),
                None => Fact::new(FactKind::Gap, cite, format!("{name} in {span}: nothing to measure"))
                    .with("metric", key)
                    .with("period", span.clone()),
            }
        };
        facts.push(stat("mttd_ms", "MTTD (time to detect)", &m.mttd_ms));
        facts.push(stat("mtta_ms", "MTTA (time to acknowledge)", &m.mtta_ms));
        facts.push(stat("mttr_contain_ms", "MTTR (contain)", &m.mttr_contain_ms));
        facts.push(stat("mttr_resolve_ms", "MTTR (resolve)", &m.mttr_resolve_ms));
        facts.push(ratio("precision", "case precision", &m.precision));
        facts.push(ratio("automation", "automation rate", &m.automation));
        facts.push(ratio("evidence_completeness", "evidence completeness", &m.evidence_completeness));
        facts.push(ratio("sla_overall", "SLA attainment", &m.sla_overall));
    }
    for d in vigil_metrics::DEFINITIONS.iter().filter(|d| {
        [
            "mttd_ms",
            "mtta_ms",
            "mttr_contain_ms",
            "mttr_resolve_ms",
            "precision",
            "automation",
            "evidence_completeness",
            "sla_overall",
        ]
        .contains(&d.key)
    }) {
        facts.push(
            Fact::new(
                FactKind::Record,
                Citation::Metric { name: d.key.into(), period: "definition".into() },
                format!("{} is defined as: {}", d.name, d.formula),
            )
            .with("metric", d.key)
            .with("definition", d.formula),
        );
    }
    Ok(ToolOutput::facts(facts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_literals_double_quotes_and_unsafe_subjects_build_nothing() {
        assert_eq!(sql_str("o'brien"), "'o''brien'");
        assert_eq!(Subject::User("bob' OR '1'='1".into()).predicate(), None);
        assert_eq!(Subject::Host("h; DROP TABLE events".into()).predicate(), None);
        let q = EventQuery { subjects: vec![Subject::Ip("x'--".into())], ..Default::default() };
        assert_eq!(q.table_and_condition(), None);
        let q = EventQuery { class: Some("events; DROP".into()), without_mfa: true, ..Default::default() };
        assert_eq!(q.table_and_condition(), None, "only the lake's own class views");
    }

    #[test]
    fn event_queries_narrow_by_subject_class_and_period() {
        let q = EventQuery {
            subjects: vec![Subject::Ip("10.0.0.5".into()), Subject::User("Bob".into())],
            period: Some(Period { from_ms: 1, to_ms: 2, label: "x".into() }),
            class: Some("authentication".into()),
            ..Default::default()
        };
        let (table, cond) = q.table_and_condition().unwrap();
        assert_eq!(table, "authentication");
        assert!(cond.contains("src_ip = '10.0.0.5'") && cond.contains("lower(user_name) = 'bob'"), "{cond}");
        assert!(cond.contains("to_timestamp_millis(1)") && cond.contains("to_timestamp_millis(2)"), "{cond}");
        assert_eq!(EventQuery::default().table_and_condition(), None, "never the whole lake");
    }
}
