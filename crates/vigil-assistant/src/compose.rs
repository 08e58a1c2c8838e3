//! Composing: facts into sentences, each citing the facts it states.
//!
//! [`Writer`] is the seam a model-backed writer implements ([`crate::model::ModelWriter`]); the
//! built-in [`Composer`] is deterministic. Whoever writes, every sentence then goes through the verifier
//! ([`crate::verify`]) before it reaches an answer.

use crate::fact::{Fact, FactKind};
use crate::verify::Sentence;

/// The most sentences one answer holds (the facts themselves are all in the answer).
pub const MAX_SENTENCES: usize = 40;

/// Writes sentences about facts.
pub trait Writer {
    fn write(&self, question: &str, facts: &[Fact]) -> Vec<Sentence>;
    /// The model calls made since the last time they were taken (for the audit log).
    fn take_model_calls(&self) -> Vec<crate::model::ModelCall> {
        Vec::new()
    }
}

/// The built-in writer: one sentence per fact, in the order the tools found them, from the
/// fact's own words.
#[derive(Debug, Clone, Copy, Default)]
pub struct Composer;

/// The first letter in upper case and a closing full stop.
pub fn as_sentence(text: &str) -> String {
    let t = text.trim().trim_end_matches('.');
    let mut c = t.chars();
    let Some(first) = c.next() else { return String::new() };
    format!("{}{}.", first.to_uppercase(), c.as_str())
}

impl Writer for Composer {
    fn write(&self, _question: &str, facts: &[Fact]) -> Vec<Sentence> {
        let mut out: Vec<Sentence> = Vec::new();
        // Answers first, then what the data does not cover.
        let order = |f: &&Fact| matches!(f.kind, FactKind::Gap | FactKind::NotVisible);
        let (mut main, gaps): (Vec<&Fact>, Vec<&Fact>) = facts.iter().partition(|f| !order(f));
        main.extend(gaps);
        for f in main {
            let text = as_sentence(&f.text);
            if text.is_empty() {
                continue;
            }
            if let Some(same) = out.iter_mut().find(|s| s.text == text) {
                same.citations.push(f.id.clone());
                continue;
            }
            if out.len() >= MAX_SENTENCES {
                break;
            }
            out.push(Sentence::new(text, vec![f.id.clone()]));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fact::Citation;

    #[test]
    fn one_sentence_per_fact_gaps_last() {
        let mut gap = Fact::new(FactKind::Gap, Citation::coverage("lake"), "the lake starts on 2026-10-05")
            .with("lake_start", "2026-10-05");
        gap.id = "F1".into();
        let mut case =
            Fact::new(FactKind::Record, Citation::case("CASE-1"), "case CASE-1 is open").with("id", "CASE-1");
        case.id = "F2".into();
        let s = Composer.write("q", &[gap, case]);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0], Sentence::new("Case CASE-1 is open.", vec!["F2".into()]));
        assert_eq!(s[1].text, "The lake starts on 2026-10-05.");
    }
}
