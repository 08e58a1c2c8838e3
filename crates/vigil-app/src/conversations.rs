//! The assistant's conversations: each question a person asks and the answer they got, kept
//! per person and readable (and exportable) only by that person.
//!
//! A turn is written in the same transaction as the audit entries of the question's tool calls,
//! model calls and answer, then a checkpoint is signed over them: the conversation and the
//! ledger cannot disagree. What a turn holds is decided by the assistant (its answer, as JSON);
//! this module keeps and returns it.

use vigil_store::{Document, StateStore};

use crate::{App, AppError, Caller, Result};

/// The document kind of one person's conversation (one kind per person, so reading one never
/// reads another's).
fn kind_of(owner: &str) -> String {
    format!("assistant.conversation:{owner}")
}

/// The most turns kept per person; older turns are dropped (their audit entries stay on the
/// ledger), a batch at a time: a conversation holds at most `MAX_TURNS + PRUNE_SLACK` turns.
pub const MAX_TURNS: usize = 1000;
const PRUNE_SLACK: usize = 100;

/// One kept turn.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Turn {
    pub id: String,
    pub at_ms: i64,
    /// The answer as the assistant recorded it.
    pub answer: serde_json::Value,
}

impl Caller {
    /// Whose conversation a caller's questions belong to: the person (an assistant acting for
    /// them included), or the shell's account.
    pub fn conversation_owner(&self) -> String {
        match self {
            Caller::Person(p) | Caller::Assistant { on_behalf: p } => p.username.clone(),
            Caller::Local { username } => username.clone(),
            Caller::Automation { name } => name.clone(),
        }
    }
}

impl App {
    /// Appends `entries` (a question's tool calls, model calls and answer) to the audit log and
    /// keeps `answer_json` as a turn of the asker's conversation, in one transaction, then signs
    /// a checkpoint. Only where the directory already holds a store.
    pub fn record_assistant_turn(
        &self,
        caller: &Caller,
        entries: &[(&str, &str, std::result::Result<(), String>)],
        answer_json: &str,
    ) -> Result<()> {
        if !self.dir().has_store() {
            return Ok(());
        }
        let now = self.now_ms();
        let rows = self.invocation_rows(caller, entries);
        let kind = kind_of(&caller.conversation_owner());
        // Asking reads no earlier turn: the id is the time and the turn's own hash, and the
        // conversation is cut back to MAX_TURNS only once it has grown PRUNE_SLACK past it.
        let digest = crate::sha256_hex(answer_json.as_bytes());
        let doc =
            Document { id: format!("{now:013}-{}", &digest[..12]), updated_ms: now, json: answer_json.to_string() };
        let mut store = self.store()?;
        if store.document_count(&kind)? as usize >= MAX_TURNS + PRUNE_SLACK {
            let mut kept = store.documents(&kind)?;
            kept.drain(..kept.len() + 1 - MAX_TURNS);
            kept.push(doc);
            store.put_documents(&kind, &kept, true, &rows)?;
        } else {
            store.put_documents(&kind, &[doc], false, &rows)?;
        }
        drop(store);
        self.sign_checkpoint()
    }

    /// The caller's own conversation, oldest turn first: the last `limit` turns.
    pub fn conversation(&self, caller: &Caller, limit: usize) -> Result<Vec<Turn>> {
        let docs = self.store()?.documents(&kind_of(&caller.conversation_owner()))?;
        let skip = docs.len().saturating_sub(limit);
        docs.into_iter()
            .skip(skip)
            .map(|d| {
                let answer = serde_json::from_str(&d.json)
                    .map_err(|e| AppError::Internal(format!("conversation turn {}: {e}", d.id)))?;
                Ok(Turn { id: d.id, at_ms: d.updated_ms, answer })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_auth::{Principal, Role, Via};

    fn person(name: &str) -> Caller {
        Caller::Person(Principal {
            username: name.into(),
            roles: vec![Role::Analyst],
            via: Via::Session,
            grants: vec![],
        })
    }

    #[test]
    fn turns_are_kept_per_person_with_their_audit_entries() {
        let dir = tempfile::tempdir().unwrap();
        let app = App::new(dir.path());
        app.store().unwrap();
        let ann = Caller::Assistant {
            on_behalf: match person("ann") {
                Caller::Person(p) => p,
                _ => unreachable!(),
            },
        };
        let bob = person("bob");
        app.record_assistant_turn(&ann, &[("assistant.answer", "1 sentences", Ok(()))], r#"{"question":"q1"}"#)
            .unwrap();
        app.record_assistant_turn(&ann, &[("assistant.answer", "0 sentences", Ok(()))], r#"{"question":"q2"}"#)
            .unwrap();
        app.record_assistant_turn(&bob, &[], r#"{"question":"theirs"}"#).unwrap();
        let mine = app.conversation(&person("ann"), 10).unwrap();
        assert_eq!(mine.iter().map(|t| t.answer["question"].as_str().unwrap()).collect::<Vec<_>>(), ["q1", "q2"]);
        assert_eq!(app.conversation(&bob, 10).unwrap().len(), 1);
        assert_eq!(app.conversation(&person("ann"), 1).unwrap()[0].answer["question"], "q2");
        let log = app.store().unwrap().audit(10).unwrap();
        assert_eq!(log.iter().filter(|e| e.actor == "ann (assistant)").count(), 2);
    }
}
