//! The assistant with a language model: a [`ModelPlanner`] that may widen the built-in plan and a
//! [`ModelWriter`] that phrases answers, both over an OpenAI-compatible endpoint
//! ([`vigil_llm::ChatClient`]).
//!
//! What a model may do is narrow by construction:
//! - **Planning**: the model picks, from a numbered list, tool calls about the entities the
//!   question names (as the recogniser read them, checked and quoted) — it cannot name a value
//!   of its own, and it cannot drop the built-in plan, only add to it. A question in which
//!   nothing is recognised gets no calls from it at all.
//! - **Writing**: the model phrases sentences from the facts and cites fact ids; every sentence
//!   then passes the verifier like the composer's, and nothing it writes becomes a fact. Facts
//!   none of its surviving sentences cite get the composer's sentences after its own, so
//!   nothing found is left out; when none of its sentences that state data survives, the
//!   answer is the composer's (the model's are counted as dropped).
//! - **Redaction**: before anything goes to an endpoint that is not on loopback, identifiers and
//!   secrets in the question and the facts (user names, emails, addresses, hosts, keys, buckets,
//!   tokens) are replaced by stable placeholders, and restored in the reply.
//! - **Audit**: each model call — endpoint, model, purpose, the request's SHA-256, tokens,
//!   latency, attempts, how many values were redacted, or why it failed — is handed to
//!   [`crate::ask_with`], which puts it on the audit log with the question.

use std::cell::RefCell;

use serde::Deserialize;
use serde_json::json;
use vigil_llm::{ChatClient, Completion, LlmError, Message, Redactor};

use crate::compose::{Composer, MAX_SENTENCES, Writer};
use crate::fact::{Fact, FactKind};
use crate::plan::{CaseOrIncident, Plan, Planner, Purpose, RulePlanner, Step};
use crate::tools::{EventQuery, ToolCall};
use crate::verify::Sentence;

/// One call to the model, as the audit log records it.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelCall {
    pub purpose: &'static str,
    pub endpoint: String,
    pub model: String,
    pub request_sha256: String,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub latency_ms: u64,
    pub attempts: u32,
    pub redacted: usize,
    /// Why the call gave nothing usable (the built-in plan or composer was used instead).
    pub error: Option<String>,
}

impl ModelCall {
    fn of(client: &ChatClient, purpose: &'static str, redacted: usize, r: &Result<Completion, LlmError>) -> ModelCall {
        let cfg = client.config();
        let mut call = ModelCall {
            purpose,
            endpoint: cfg.endpoint.clone(),
            model: cfg.model.clone(),
            request_sha256: String::new(),
            prompt_tokens: 0,
            completion_tokens: 0,
            latency_ms: 0,
            attempts: 0,
            redacted,
            error: None,
        };
        match r {
            Ok(c) => {
                call.model = c.model.clone();
                call.request_sha256 = c.request_sha256.clone();
                call.prompt_tokens = c.prompt_tokens;
                call.completion_tokens = c.completion_tokens;
                call.latency_ms = c.latency_ms;
                call.attempts = c.attempts;
            }
            Err(e) => call.error = Some(e.to_string()),
        }
        call
    }

    /// The audit entry's argument.
    pub fn describe(&self) -> String {
        format!(
            "{} via {} model {}: request sha256 {}, {} prompt + {} completion tokens, {} ms, {} attempts, {} values redacted",
            self.purpose,
            self.endpoint,
            self.model,
            if self.request_sha256.is_empty() { "-" } else { &self.request_sha256 },
            self.prompt_tokens,
            self.completion_tokens,
            self.latency_ms,
            self.attempts,
            self.redacted
        )
    }
}

/// Collects the model calls a planner or writer made for one question.
#[derive(Debug, Default)]
struct Calls(RefCell<Vec<ModelCall>>);

impl Calls {
    fn push(&self, c: ModelCall) {
        self.0.borrow_mut().push(c);
    }
    fn take(&self) -> Vec<ModelCall> {
        std::mem::take(&mut *self.0.borrow_mut())
    }
}

/// A redactor for one request, when the endpoint is off this machine (or `always` is set).
fn redactor_for(client: &ChatClient, always: bool) -> Option<Redactor> {
    (always || client.must_redact()).then(Redactor::new)
}

/// Registers the identifiers a fact carries, so a bare user name is redacted too.
fn know_fact(r: &mut Redactor, f: &Fact) {
    for (k, v) in &f.fields {
        let kind = match k.as_str() {
            "actor" | "target_user" | "owner" | "requested_by" | "decided_by" | "user" | "subject" | "target" => "user",
            "host" => "host",
            "src_ip" | "dst_ip" | "ip" => "ip",
            "bucket" => "bucket",
            "key" => "key",
            _ => continue,
        };
        for part in v.split_whitespace() {
            r.know(kind, part);
        }
    }
}

/// Registers what the recogniser found in a question: a bare user name, a host or a bucket
/// matches no pattern of the redactor's, and would otherwise leave the machine as asked.
fn know_entities(r: &mut Redactor, e: &crate::entity::Entities) {
    for (kind, values) in [
        ("user", &e.users),
        ("email", &e.emails),
        ("ip", &e.ips),
        ("host", &e.hosts),
        ("key", &e.keys),
        ("bucket", &e.buckets),
    ] {
        for v in values {
            r.know(kind, v);
        }
    }
}

/// The model's choice of extra tool calls.
#[derive(Debug, Deserialize)]
struct Choice {
    #[serde(default)]
    calls: Vec<usize>,
}

/// Tool calls about the entities the recogniser found: what a model may choose from.
pub fn candidates(plan: &Plan) -> Vec<ToolCall> {
    let e = &plan.entities;
    let mut out: Vec<ToolCall> = Vec::new();
    let mut add = |c: ToolCall| {
        if !out.contains(&c) {
            out.push(c);
        }
    };
    for s in crate::plan::subjects(e) {
        add(ToolCall::Sightings { subject: s.clone(), period: e.period.clone() });
        add(ToolCall::Events(EventQuery { subjects: vec![s.clone()], period: e.period.clone(), ..Default::default() }));
        add(ToolCall::Baseline { subject: s.clone() });
        if !matches!(s, crate::tools::Subject::Process(_)) {
            add(ToolCall::InventoryEntry { subject: s });
        }
    }
    for fw in &e.frameworks {
        add(ToolCall::ControlCoverage { framework: fw.clone(), family: None, period: e.period.clone() });
    }
    for id in &e.cases {
        add(ToolCall::Case { id: id.clone() });
        add(ToolCall::CaseResponse { id: id.clone() });
        add(ToolCall::CaseEvidence { id: id.clone() });
    }
    for id in &e.incidents {
        add(ToolCall::Incident { id: id.clone() });
    }
    for id in &e.hex_ids {
        add(ToolCall::AlertOrEvent { id: id.clone() });
    }
    for t in &e.techniques {
        add(ToolCall::AlertsByTechnique { technique: t.clone() });
    }
    for c in &e.controls {
        add(ToolCall::AlertsByControl { control: c.clone() });
    }
    out
}

/// Plans with the built-in planner, then lets the model add calls from [`candidates`].
pub struct ModelPlanner<'a> {
    client: &'a ChatClient,
    always_redact: bool,
    calls: Calls,
}

impl<'a> ModelPlanner<'a> {
    pub fn new(client: &'a ChatClient) -> ModelPlanner<'a> {
        ModelPlanner { client, always_redact: false, calls: Calls::default() }
    }
    /// Redacts even for a loopback endpoint (for tests and for cautious administrators).
    pub fn always_redact(mut self, yes: bool) -> Self {
        self.always_redact = yes;
        self
    }
}

impl Planner for ModelPlanner<'_> {
    fn plan(&self, question: &str, context: Option<&CaseOrIncident>, now_ms: i64) -> Plan {
        let mut plan = RulePlanner.plan(question, context, now_ms);
        let options = candidates(&plan);
        if options.is_empty() {
            return plan;
        }
        let mut red = redactor_for(self.client, self.always_redact);
        if let Some(r) = red.as_mut() {
            know_entities(r, &plan.entities);
        }
        let mut hide = |t: &str| match red.as_mut() {
            Some(r) => r.redact(t),
            None => t.to_string(),
        };
        let list: Vec<String> =
            options.iter().enumerate().map(|(n, c)| format!("{n}: {}", hide(&c.describe()))).collect();
        let q = hide(question);
        let redacted = red.as_ref().map(Redactor::placeholders).unwrap_or(0);
        let schema = json!({
            "type": "object",
            "properties": {"calls": {"type": "array", "maxItems": 6,
                "items": {"type": "integer", "minimum": 0, "maximum": options.len() - 1}}},
            "required": ["calls"]
        });
        let messages = [
            Message::system(
                "You choose which look-ups answer a security question. Reply with JSON only, like {\"calls\":[0,2]}: \
                 the numbers of the look-ups to run, most useful first. Choose none if none helps.",
            ),
            Message::user(format!("Question: {q}\nLook-ups:\n{}", list.join("\n"))),
        ];
        let r = self.client.chat_json::<Choice>(&messages, "plan", &schema);
        let (completion, chosen) = match r {
            Ok((choice, c)) => (Ok(c), choice.calls),
            Err(e) => (Err(e), Vec::new()),
        };
        self.calls.push(ModelCall::of(self.client, "plan", redacted, &completion));
        for n in chosen.into_iter().take(6) {
            if let Some(call) = options.get(n)
                && !plan.steps.iter().any(|s| s.call == *call)
            {
                plan.steps.push(Step { call: call.clone(), purpose: Purpose::Answer });
            }
        }
        plan
    }

    fn take_model_calls(&self) -> Vec<ModelCall> {
        self.calls.take()
    }
}

#[derive(Debug, Deserialize)]
struct Written {
    #[serde(default)]
    sentences: Vec<WrittenSentence>,
}

#[derive(Debug, Deserialize)]
struct WrittenSentence {
    text: String,
    #[serde(default)]
    cites: Vec<String>,
}

/// Phrases the answer with the model; falls back to the composer when none of the model's
/// sentences that state data would pass the verifier.
pub struct ModelWriter<'a> {
    client: &'a ChatClient,
    always_redact: bool,
    calls: Calls,
}

impl<'a> ModelWriter<'a> {
    pub fn new(client: &'a ChatClient) -> ModelWriter<'a> {
        ModelWriter { client, always_redact: false, calls: Calls::default() }
    }
    pub fn always_redact(mut self, yes: bool) -> Self {
        self.always_redact = yes;
        self
    }
}

/// The most facts put in front of the model (the prompt stays small; the rest are composed).
const MAX_PROMPT_FACTS: usize = 12;

impl Writer for ModelWriter<'_> {
    fn write(&self, question: &str, facts: &[Fact]) -> Vec<Sentence> {
        let composed = Composer.write(question, facts);
        if facts.is_empty() {
            return composed;
        }
        let shown: Vec<&Fact> = facts.iter().take(MAX_PROMPT_FACTS).collect();
        let mut red = redactor_for(self.client, self.always_redact);
        if let Some(r) = red.as_mut() {
            know_entities(r, &crate::entity::recognize(question, 0));
            for f in &shown {
                know_fact(r, f);
            }
        }
        let mut hide = |t: &str| match red.as_mut() {
            Some(r) => r.redact(t),
            None => t.to_string(),
        };
        let q = hide(question);
        let lines: Vec<String> = shown.iter().map(|f| format!("{}: {}", f.id, hide(&f.text))).collect();
        let ids: Vec<&str> = shown.iter().map(|f| f.id.as_str()).collect();
        let schema = json!({
            "type": "object",
            "properties": {"sentences": {"type": "array", "maxItems": 8, "items": {
                "type": "object",
                "properties": {
                    "text": {"type": "string", "maxLength": 400},
                    "cites": {"type": "array", "maxItems": 4, "items": {"type": "string", "enum": ids}}
                },
                "required": ["text", "cites"]}}},
            "required": ["sentences"]
        });
        let example = format!(
            "{{\"sentences\":[{{\"text\":\"{}\",\"cites\":[\"{}\"]}}]}}",
            crate::compose::as_sentence(&lines[0][lines[0].find(": ").map(|i| i + 2).unwrap_or(0)..]).replace('"', "'"),
            shown[0].id
        );
        let messages = [
            Message::system(format!(
                "Answer the question using only the facts given. Every sentence must cite the ids of the facts it \
                 states and must not add anything they do not say. Reply with JSON only, like {example}"
            )),
            Message::user(format!("Question: {q}\nFacts:\n{}", lines.join("\n"))),
        ];
        let redacted = red.as_ref().map(Redactor::placeholders).unwrap_or(0);
        let r = self.client.chat_json::<Written>(&messages, "answer", &schema);
        let (completion, written) = match r {
            Ok((w, c)) => (Ok(c), w.sentences),
            Err(e) => (Err(e), Vec::new()),
        };
        self.calls.push(ModelCall::of(self.client, "write", redacted, &completion));
        let restore = |t: &str| match &red {
            Some(r) => r.restore(t),
            None => t.to_string(),
        };
        let mine: Vec<Sentence> = written
            .into_iter()
            .take(MAX_SENTENCES)
            .map(|s| {
                Sentence::new(restore(&s.text), s.cites.into_iter().filter(|c| ids.contains(&c.as_str())).collect())
            })
            .collect();
        let states_data = |s: &Sentence| {
            crate::verify::verify_in(s, facts).is_ok()
                && s.citations
                    .iter()
                    .filter_map(|id| facts.iter().find(|f| f.id == *id))
                    .any(|f| matches!(f.kind, FactKind::Record | FactKind::Aggregate))
        };
        if mine.iter().any(states_data) {
            // What the model left out is still answered, in the composer's words: a fact no
            // surviving model sentence cites gets its composed sentence after the model's.
            let said: std::collections::HashSet<&String> =
                mine.iter().filter(|s| crate::verify::verify_in(s, facts).is_ok()).flat_map(|s| &s.citations).collect();
            let rest: Vec<Sentence> =
                composed.into_iter().filter(|c| c.citations.iter().all(|id| !said.contains(id))).collect();
            mine.into_iter().chain(rest).collect()
        } else {
            // The model's sentences still go to the verifier, and are counted as dropped.
            mine.into_iter().chain(composed).collect()
        }
    }

    fn take_model_calls(&self) -> Vec<ModelCall> {
        self.calls.take()
    }
}
