//! Retro-hunts: a Sigma rule run over the lake's past. What the rule matched is read into one
//! hypothesis per rule and subject (the host, else the user, the record names), never an alert:
//! the events are old, and a person decides what they mean now.

use std::collections::BTreeMap;

use crate::{Draft, Window, fmt_ms, sql_str};

/// Most event ids a retro-hunt hypothesis's test query names.
pub const MAX_TEST_IDS: usize = 200;

/// One lake record a rule matched.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub event: String,
    pub time_ms: i64,
    pub host: Option<String>,
    pub user: Option<String>,
}

/// The rule, as the hypothesis names it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleRef {
    pub id: String,
    pub title: String,
    pub level: String,
    pub techniques: Vec<String>,
}

/// The hunt id a retro-hunt of `rule` keeps its hypotheses under.
pub fn hunt_id(rule: &RuleRef) -> String {
    format!("sigma:{}", rule.id)
}

/// Event ids a retro-hunt hypothesis keeps as its evidence (its test query names more).
pub const EVIDENCE: usize = 25;

/// One hypothesis per subject the rule's hits name, the most hits first, each with its first
/// [`EVIDENCE`] events.
pub fn drafts(rule: &RuleRef, hits: &[Hit], w: &Window) -> Vec<(Draft, Vec<String>)> {
    let mut by: BTreeMap<String, Vec<&Hit>> = BTreeMap::new();
    for h in hits {
        let subject = h.host.clone().or_else(|| h.user.clone()).unwrap_or_else(|| "(no host or user)".into());
        by.entry(subject).or_default().push(h);
    }
    let mut out: Vec<(Draft, Vec<String>)> = by
        .into_iter()
        .map(|(subject, mut hs)| {
            hs.sort_by(|a, b| a.time_ms.cmp(&b.time_ms).then_with(|| a.event.cmp(&b.event)));
            let (first, last) = (hs[0].time_ms, hs[hs.len() - 1].time_ms);
            let ids: Vec<String> = hs.iter().take(MAX_TEST_IDS).map(|h| sql_str(&h.event)).collect();
            let users: std::collections::BTreeSet<&str> = hs.iter().filter_map(|h| h.user.as_deref()).collect();
            let mut entities = vec![subject.clone()];
            entities.extend(users.iter().map(|u| u.to_string()).filter(|u| *u != subject));
            let mut facts = vec![format!(
                "The rule {:?} ({}, {}) matched {} event(s) of {subject} in the lake between {} and {}",
                rule.title,
                rule.id,
                rule.level,
                hs.len(),
                fmt_ms(first),
                fmt_ms(last)
            )];
            if !users.is_empty() {
                facts.push(format!("The matched events name {}", users.into_iter().collect::<Vec<_>>().join(", ")));
            }
            let evidence = hs.iter().take(EVIDENCE).map(|h| h.event.clone()).collect();
            let draft = Draft {
                hunt: hunt_id(rule),
                subject: subject.clone(),
                statement: format!("{subject} did what {:?} looks for, {} time(s) in the last {} days", rule.title, hs.len(), w.days()),
                entities,
                facts,
                test_sql: format!(
                    "SELECT id, time, class_name, device_hostname, actor_user_name, user_name, process_cmd_line, message FROM events WHERE id IN ({}) ORDER BY time",
                    ids.join(", ")
                ),
                confirm: format!(
                    "The matched events are activity no one on {subject} meant (the rule's own false-positive notes do not explain them), and what followed them in the timeline is an attacker's next step"
                ),
                refute: "The matches are the rule's known false positives here: administration, software or a test that explains each of them".into(),
                score: (hs.len() as f64).min(50.0) + match rule.level.as_str() { "critical" => 50.0, "high" => 40.0, "medium" => 25.0, _ => 10.0 },
                first_ms: first,
                last_ms: last,
                techniques: rule.techniques.clone(),
            };
            (draft, evidence)
        })
        .collect();
    out.sort_by(|(a, _), (b, _)| {
        b.score.partial_cmp(&a.score).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.subject.cmp(&b.subject))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(e: &str, t: i64, host: Option<&str>, user: Option<&str>) -> Hit {
        Hit { event: e.into(), time_ms: t, host: host.map(String::from), user: user.map(String::from) }
    }

    #[test]
    fn hits_group_by_host_then_user_and_name_every_event_in_the_test() {
        let rule = RuleRef {
            id: "r1".into(),
            title: "PsExec service".into(),
            level: "high".into(),
            techniques: vec!["T1569.002".into()],
        };
        let w = Window { from_ms: 0, to_ms: 90 * crate::DAY_MS };
        let hits = [
            hit("e2", 20, Some("SRV-1"), Some("bob")),
            hit("e1", 10, Some("SRV-1"), None),
            hit("e3", 30, None, Some("carol")),
            hit("e4", 40, None, None),
        ];
        let both = drafts(&rule, &hits, &w);
        let d: Vec<&Draft> = both.iter().map(|(d, _)| d).collect();
        assert_eq!(d.len(), 3);
        let (_, ev) = both.iter().find(|(x, _)| x.subject == "SRV-1").unwrap();
        assert_eq!(ev, &vec!["e1".to_string(), "e2".to_string()]);
        let srv = d.iter().find(|x| x.subject == "SRV-1").unwrap();
        assert_eq!((srv.first_ms, srv.last_ms), (10, 20));
        assert!(srv.test_sql.contains("'e1', 'e2'"));
        assert!(srv.entities.contains(&"bob".to_string()));
        assert_eq!(srv.hunt, "sigma:r1");
        assert!(d.iter().any(|x| x.subject == "carol"));
        assert!(d.iter().any(|x| x.subject == "(no host or user)"));
        assert!(drafts(&rule, &[], &w).is_empty());
    }

    #[test]
    fn hostile_event_ids_stay_inside_their_string_literals() {
        let rule = RuleRef { id: "r".into(), title: "t".into(), level: "low".into(), techniques: vec![] };
        let w = Window { from_ms: 0, to_ms: crate::DAY_MS };
        let d = drafts(&rule, &[hit("x') OR 1=1 --", 1, Some("h"), None)], &w);
        assert!(d[0].0.test_sql.contains("'x'') OR 1=1 --'"));
    }
}
