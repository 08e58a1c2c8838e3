//! Properties of the verifier: a sentence made of its facts' values passes; the same sentence
//! with one number or identifier that no cited fact holds never does.

use proptest::prelude::*;
use vigil_assistant::fact::{Citation, Fact, FactKind};
use vigil_assistant::verify::{Sentence, verify};

fn fact(owner: &str, host: &str, ip: &str, n: u32, case: &str) -> Fact {
    // The fact's own words, as a tool writes them: a sentence may rephrase with these and
    // joining words, but not add words of its own.
    let text = format!("case {case} holds {n} alerts on {host} from {ip}, owned by {owner}");
    let mut f = Fact::new(FactKind::Record, Citation::case(case), text)
        .with("owner", owner)
        .with("host", host)
        .with("ip", ip)
        .with("alerts", n.to_string());
    f.id = "F1".into();
    f
}

fn sentence(text: String) -> Sentence {
    Sentence::new(text, vec!["F1".into()])
}

prop_compose! {
    fn values()(
        owner in "[a-z]{3,8}@example\\.com",
        host in "WS-[A-Z]{3}-[0-9]{2}",
        ip in (1u8..=254, 0u8..=255, 0u8..=255, 1u8..=254).prop_map(|(a, b, c, d)| format!("{a}.{b}.{c}.{d}")),
        n in 0u32..100_000,
        case in "CASE-[0-9a-f]{10}",
    ) -> (String, String, String, u32, String) {
        (owner, host, ip, n, case)
    }
}

/// Something a writer might slip in: a number, an address, an id, a key, a host, a date, a name.
fn injected() -> impl Strategy<Value = String> {
    prop_oneof![
        (100_000u32..10_000_000).prop_map(|n| n.to_string()),
        (1u8..=254, 0u8..=255).prop_map(|(a, b)| format!("172.31.{a}.{b}")),
        "CASE-[0-9a-f]{10}".prop_map(|s| s),
        "INC-[0-9a-f]{16}".prop_map(|s| s),
        "AKIA[A-Z0-9]{16}".prop_map(|s| s),
        "[a-z]{3,8}\\.[a-z]{3,8}@corp\\.example".prop_map(|s| s),
        "SRV-[A-Z]{4}-[0-9]{3}".prop_map(|s| s),
        (2000u32..2100, 1u32..13, 1u32..29).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        "[A-Z][a-z]{4,9}corp".prop_map(|s| s),
        "[0-9a-f]{32}".prop_map(|s| s),
    ]
}

proptest! {
    #[test]
    fn sentences_from_the_facts_pass((owner, host, ip, n, case) in values()) {
        let f = fact(&owner, &host, &ip, n, &case);
        let s = sentence(format!("Case {case} holds {n} alerts on {host} from {ip}, owned by {owner}."));
        prop_assert_eq!(verify(&s, &[&f]), Ok(()));
    }

    #[test]
    fn an_injected_value_is_always_dropped(
        (owner, host, ip, n, case) in values(),
        extra in injected(),
        at in 0usize..5,
    ) {
        let f = fact(&owner, &host, &ip, n, &case);
        prop_assume!(![owner.as_str(), host.as_str(), ip.as_str(), case.as_str()].contains(&extra.as_str()));
        prop_assume!(extra != n.to_string());
        let mut words = vec![
            format!("Case {case}"),
            format!("holds {n} alerts"),
            format!("on {host}"),
            format!("from {ip},"),
            format!("owned by {owner}"),
        ];
        words.insert(at + 1, format!("and {extra}"));
        let s = sentence(format!("{}.", words.join(" ")));
        prop_assert!(verify(&s, &[&f]).is_err(), "{:?} passed", s.text);
    }

    #[test]
    fn a_word_the_facts_do_not_hold_is_dropped(
        (owner, host, ip, n, case) in values(),
        word in "[a-z]{4,10}",
    ) {
        let f = fact(&owner, &host, &ip, n, &case);
        prop_assume!(!["case", "holds", "alerts", "from", "owned", "with", "been", "have", "were", "that", "this",
            "they", "them", "their", "there", "which", "when", "where", "while", "what", "also", "both", "each",
            "into", "onto", "over", "under", "after", "before", "during", "between", "about", "than", "then",
            "whom", "whose", "does", "same", "only", "again", "since", "until", "according", "shows", "show",
            "showed", "record", "records", "recorded", "found", "finds", "lists", "listed", "total", "following",
            "follows", "these", "those", "such", "other", "another", "without", "being", "here"]
            .contains(&word.as_str()));
        prop_assume!(!owner.contains(&word));
        let s = sentence(format!("Case {case} holds {n} {word} alerts on {host}."));
        prop_assert!(verify(&s, &[&f]).is_err(), "{:?} passed", s.text);
    }

    #[test]
    fn a_sentence_citing_nothing_is_dropped(text in "[A-Za-z0-9 ]{1,60}") {
        let s = Sentence::new(text, vec![]);
        prop_assert!(verify(&s, &[]).is_err());
    }
}
