//! Vigil's assistant: answers a question from Vigil's own data, with a citation for every claim,
//! and "I do not know" — with what was looked at and what data would answer — when the data is
//! not there.
//!
//! Owns: the facts and citations tools return ([`fact`]); the typed, read-only tools over the
//! application layer ([`tools`], and [`lookup`] for compliance coverage, the inventory, the
//! baselines and the asker's own SQL); an incident's investigation record ([`investigate`]);
//! recognising what a question names ([`entity`]); planning
//! without a model behind the [`plan::Planner`] seam; composing sentences behind the
//! [`compose::Writer`] seam; the verifier every sentence passes, whoever wrote it ([`verify`]);
//! and [`ask`], which puts them together and records the question, each tool call and the
//! answer on the audit log.
//!
//! Must not: read the store or the lake itself (every read is an operation of
//! [`vigil_app::App`], run as the asker, so an auditor's assistant sees only what the auditor's
//! grants cover); bypass the application layer's permission checks; change anything in Vigil
//! (no case, response or identity operation); put any text from a question into SQL except a
//! recognised, checked and quoted value — or a whole query the asker wrote, which runs exactly
//! as their own hunt would ([`vigil_app::App::hunt`]: the hunting permission, read-only, under
//! the engine's limits, audited); or let anything a writer (a model included) says become
//! a fact — facts come only from tools, and a sentence survives only if the verifier finds every
//! number, time, identifier and name of it in the facts it cites.

pub mod compose;
pub mod entity;
pub mod eval;
pub mod fact;
pub mod investigate;
pub mod investigation_eval;
pub mod lookup;
pub mod model;
pub mod plan;
pub mod tools;
pub mod verify;

use serde::{Deserialize, Serialize};
use vigil_app::{App, AppError, Caller};

pub use compose::{Composer, Writer};
pub use fact::{Citation, Fact, FactKind};
pub use plan::{CaseOrIncident, Plan, Planner, Purpose, RulePlanner};
pub use tools::ToolCall;
pub use verify::{Sentence, Why, verify};

/// The longest question accepted.
pub const MAX_QUESTION_CHARS: usize = 2000;

/// The audit actions the assistant records.
pub const AUDIT_QUESTION: &str = "assistant.question";
pub const AUDIT_TOOL: &str = "assistant.tool";
pub const AUDIT_ANSWER: &str = "assistant.answer";
pub const AUDIT_MODEL: &str = "assistant.model";

/// Why a question was not answered at all (an unanswerable question is not an error: it is an
/// answer that declines).
#[derive(Debug, thiserror::Error)]
pub enum AssistError {
    #[error("{0}")]
    Invalid(String),
    /// The audit log could not be written: no answer is given without its record.
    #[error(transparent)]
    App(#[from] AppError),
}

/// One entry the assistant wrote on the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub action: String,
    pub args: String,
    /// `ok`, or why not (a refusal by the application layer, for a tool call).
    pub outcome: Result<(), String>,
}

/// A sentence the verifier dropped, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dropped {
    pub text: String,
    pub why: String,
}

/// An answer: sentences, each citing facts; or a refusal to guess.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    pub question: String,
    /// The sentences that passed the verifier.
    pub sentences: Vec<Sentence>,
    /// How many sentences the verifier dropped.
    pub dropped: usize,
    pub dropped_sentences: Vec<Dropped>,
    /// "I do not know": no sentence stating data survived.
    pub declined: bool,
    /// What was looked at.
    pub searched: Vec<String>,
    /// What data would answer, where it is known to be missing.
    pub missing: Vec<String>,
    /// Every fact the sentences may cite, by [`Fact::id`].
    pub facts: Vec<Fact>,
    /// The entries written on the audit log for this question.
    pub audit: Vec<AuditRecord>,
}

impl Answer {
    /// The answer as plain text: its sentences with their citations, or "I do not know" with
    /// what was searched and what is missing.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.declined {
            out.push_str("I do not know.\n");
        }
        for s in &self.sentences {
            let cites: Vec<String> = s
                .citations
                .iter()
                .filter_map(|id| self.facts.iter().find(|f| f.id == *id))
                .map(|f| f.citation.to_string())
                .collect();
            out.push_str(&format!("{} [{}]\n", s.text, cites.join(", ")));
        }
        if self.declined || !self.missing.is_empty() {
            for s in &self.searched {
                out.push_str(&format!("Searched: {s}\n"));
            }
            for m in &self.missing {
                out.push_str(&format!("Missing: {m}\n"));
            }
        }
        out
    }

    /// The facts a sentence cites.
    pub fn cited<'a>(&'a self, s: &Sentence) -> Vec<&'a Fact> {
        s.citations.iter().filter_map(|id| self.facts.iter().find(|f| f.id == *id)).collect()
    }
}

/// The caller the tools run as: a person's question runs as the assistant acting for them
/// (never more than they may do, never an approval or an identity change).
pub fn acting_for(caller: &Caller) -> Caller {
    match caller {
        Caller::Person(p) => Caller::Assistant { on_behalf: p.clone() },
        other => other.clone(),
    }
}

/// Answers `question` as `caller` with the built-in planner and composer.
pub fn ask(app: &App, caller: &Caller, question: &str, context: Option<CaseOrIncident>) -> Result<Answer, AssistError> {
    ask_with(app, caller, question, context.as_ref(), &RulePlanner, &Composer)
}

/// [`ask`], with the model an administrator configured when there is one (its planner widens
/// the built-in plan, its writer phrases the answer; see [`model`]), else the built-in planner
/// and composer.
pub fn ask_using(
    app: &App,
    caller: &Caller,
    question: &str,
    context: Option<CaseOrIncident>,
    model: Option<&vigil_llm::ChatClient>,
) -> Result<Answer, AssistError> {
    match model {
        Some(client) => ask_with(
            app,
            caller,
            question,
            context.as_ref(),
            &model::ModelPlanner::new(client),
            &model::ModelWriter::new(client),
        ),
        None => ask(app, caller, question, context),
    }
}

/// Answers `question` with the given planner and writer: plan, run the tools as the asker,
/// write, verify every sentence, and decline when nothing stating data survives.
pub fn ask_with(
    app: &App,
    caller: &Caller,
    question: &str,
    context: Option<&CaseOrIncident>,
    planner: &dyn Planner,
    writer: &dyn Writer,
) -> Result<Answer, AssistError> {
    let question = question.trim();
    if question.is_empty() {
        return Err(AssistError::Invalid("the question is empty".into()));
    }
    if question.chars().count() > MAX_QUESTION_CHARS {
        return Err(AssistError::Invalid(format!("a question is at most {MAX_QUESTION_CHARS} characters")));
    }
    let caller = acting_for(caller);
    // The question is on the log before any tool runs; the tool calls and the answer follow
    // in one append (one signed checkpoint) before the answer is handed out.
    let mut audit = Vec::new();
    let mut record = |action: &str, args: &str, outcome: Result<(), String>| {
        audit.push(AuditRecord { action: action.into(), args: args.into(), outcome });
    };
    let context_note = context.map(|c| format!(" (asked from {c:?})")).unwrap_or_default();
    let asked = format!("{question}{context_note}");
    app.record_invocation(&caller, AUDIT_QUESTION, &asked, Ok(()))?;
    record(AUDIT_QUESTION, &asked, Ok(()));

    let plan = planner.plan(question, context, app.now_ms());
    for call in planner.take_model_calls() {
        record(AUDIT_MODEL, &call.describe(), call.error.clone().map_or(Ok(()), Err));
    }
    let mut facts: Vec<Fact> = Vec::new();
    let mut coverage: Vec<Fact> = Vec::new();
    let mut coverage_read = false;
    let mut searched = Vec::new();
    let mut missing = Vec::new();
    for step in &plan.steps {
        let what = step.call.describe();
        let out = tools::run(app, &caller, &step.call);
        let outcome = if out.refused { Err(out.notes.join("; ")) } else { Ok(()) };
        record(AUDIT_TOOL, &format!("{what}: {} facts", out.facts.len()), outcome);
        searched.push(what);
        searched.extend(out.notes.iter().cloned());
        match step.purpose {
            Purpose::Answer => {
                missing.extend(out.missing);
                facts.extend(out.facts);
            }
            Purpose::Coverage => {
                coverage_read = !out.refused && out.notes.is_empty();
                if out.refused {
                    missing.extend(out.missing);
                }
                coverage.extend(out.facts);
            }
        }
        if step.call == ToolCall::Sources && step.purpose == Purpose::Answer {
            coverage_read = !out.refused;
            coverage.extend(facts.iter().filter(|f| matches!(f.citation, Citation::Source { .. })).cloned());
        }
    }
    let (gaps, gap_missing, beyond) = gaps(&plan, &coverage, coverage_read);
    // What the question asks is not in the data at all — a period the lake does not reach (an
    // empty lake reaches none), a source none of the named ones is connected, or something
    // Vigil never records: whatever else the tools found (other sources' events, a count of
    // nothing) does not answer it.
    let unconnected = |v: &String| gaps.iter().any(|g| g.field("vendor") == Some(v.as_str()));
    let vendors_missing = !plan.entities.vendors.is_empty() && plan.entities.vendors.iter().all(unconnected);
    if beyond || vendors_missing || !plan.never_recorded.is_empty() {
        facts.retain(|f| !matches!(f.kind, FactKind::Record | FactKind::Aggregate));
    }
    facts.extend(gaps);
    missing.extend(gap_missing);
    if plan.steps.is_empty() {
        missing.push(
            "a question naming what to look up: a user, host, address, key, bucket, case, incident, alert, \
             control, technique, source or period"
                .into(),
        );
    }
    for (n, f) in facts.iter_mut().enumerate() {
        f.id = format!("F{}", n + 1);
    }

    let written = writer.write(question, &facts);
    for call in writer.take_model_calls() {
        record(AUDIT_MODEL, &call.describe(), call.error.clone().map_or(Ok(()), Err));
    }
    let mut sentences = Vec::new();
    let mut dropped_sentences = Vec::new();
    for s in written {
        match verify::verify_in(&s, &facts) {
            Ok(()) => sentences.push(s),
            Err(why) => dropped_sentences.push(Dropped { text: s.text, why: why.to_string() }),
        }
    }
    let states_data = |s: &Sentence| {
        s.citations
            .iter()
            .filter_map(|id| facts.iter().find(|f| f.id == *id))
            .any(|f| matches!(f.kind, FactKind::Record | FactKind::Aggregate))
    };
    let declined = !sentences.iter().any(states_data);
    // Only what the sentences cite stays in the answer, so a dropped sentence's facts are
    // not handed on either.
    let cited: std::collections::HashSet<&String> = sentences.iter().flat_map(|s| &s.citations).collect();
    let facts: Vec<Fact> = facts.iter().filter(|f| cited.contains(&f.id)).cloned().collect();
    searched.dedup();
    missing.dedup();
    let summary = format!(
        "{} sentences, {} dropped{}; cites {}",
        sentences.len(),
        dropped_sentences.len(),
        if declined { ", declined" } else { "" },
        facts.iter().map(|f| f.citation.to_string()).take(50).collect::<Vec<_>>().join(" ")
    );
    record(AUDIT_ANSWER, &summary, Ok(()));
    let answer = Answer {
        question: question.to_string(),
        dropped: dropped_sentences.len(),
        dropped_sentences,
        sentences,
        declined,
        searched,
        missing,
        facts,
        audit,
    };
    // The tool calls, model calls and the answer go on the log in one append, with the turn
    // kept in the asker's conversation, before the answer is handed out.
    let mut turn = serde_json::to_value(&answer).map_err(|e| AppError::Internal(format!("the answer as JSON: {e}")))?;
    if let (Some(o), Some(c)) = (turn.as_object_mut(), context) {
        o.insert("context".into(), serde_json::to_value(c).unwrap_or_default());
    }
    let rest: Vec<(&str, &str, Result<(), String>)> =
        answer.audit[1..].iter().map(|r| (r.action.as_str(), r.args.as_str(), r.outcome.clone())).collect();
    app.record_assistant_turn(&caller, &rest, &turn.to_string())?;
    Ok(answer)
}

/// The caller's own conversation with the assistant (the last `limit` questions and answers),
/// as kept by the application layer.
pub fn conversation(
    app: &App,
    caller: &Caller,
    limit: usize,
) -> Result<Vec<vigil_app::conversations::Turn>, AssistError> {
    Ok(app.conversation(caller, limit)?)
}

/// The gaps in the data a question runs into, what data would close them, and whether the
/// question's period lies wholly outside what the lake holds.
fn gaps(plan: &Plan, sources: &[Fact], sources_read: bool) -> (Vec<Fact>, Vec<String>, bool) {
    let mut facts = Vec::new();
    let mut missing = Vec::new();
    for what in &plan.never_recorded {
        facts.push(
            Fact::new(
                FactKind::Gap,
                Citation::coverage(&format!("never-recorded:{what}")),
                format!("Vigil records no {what}"),
            )
            .with("topic", what.clone()),
        );
        missing.push(format!("{what}: Vigil records none, and no connected source provides them"));
    }
    if !sources_read {
        return (facts, missing, false);
    }
    if sources.is_empty() {
        facts.push(Fact::new(
            FactKind::Gap,
            Citation::coverage("lake"),
            "the lake holds no events: nothing has been ingested from any source",
        ));
        missing.push("events from any source: nothing has been ingested yet".into());
    }
    for vendor in &plan.entities.vendors {
        if !sources.iter().any(|s| tools::source_is_vendor(s, vendor)) {
            facts.push(
                Fact::new(
                    FactKind::Gap,
                    Citation::coverage(&format!("source:{vendor}")),
                    format!("no {vendor} source is connected"),
                )
                .with("vendor", vendor.clone()),
            );
            missing.push(format!("events from {vendor}: no {vendor} source is connected"));
        }
    }
    // An empty lake reaches no period at all.
    let mut beyond = sources.is_empty() && plan.entities.period.is_some();
    let first = sources.iter().filter_map(|s| s.field("first_ms")?.parse::<i64>().ok()).min();
    let last = sources.iter().filter_map(|s| s.field("last_ms")?.parse::<i64>().ok()).max();
    if let (Some(p), Some(first), Some(last)) = (&plan.entities.period, first, last) {
        // Before the lake's first day: the day the lake starts on is covered, whatever hour its
        // first event arrived.
        let first_day = first - first.rem_euclid(86_400_000);
        beyond = p.to_ms <= first_day || p.from_ms > last;
        if p.from_ms < first_day {
            let day = fact::fmt_day(first);
            facts.push(
                Fact::new(FactKind::Gap, Citation::coverage("lake"), format!("the lake starts on {day}"))
                    .with("lake_start", day.clone()),
            );
            missing.push(format!("events before {day}: the lake starts on {day}"));
        }
        if p.to_ms > last + 1 && p.from_ms > last {
            let at = fact::fmt_ms(last);
            facts.push(
                Fact::new(FactKind::Gap, Citation::coverage("lake"), format!("the lake's latest event is at {at}"))
                    .with("lake_end", at.clone()),
            );
            missing.push(format!("events after {at}: none have arrived yet"));
        }
    }
    (facts, missing, beyond)
}
