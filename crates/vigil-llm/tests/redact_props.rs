//! Properties of the redactor over random texts built from identifiers, secrets and filler.

use proptest::prelude::*;
use vigil_llm::Redactor;

/// Values the caller registers: (kind, value).
const KNOWN: &[(&str, &str)] =
    &[("user", "ann"), ("user", "bob.smith"), ("user", "svc_backup"), ("host", "ws-042"), ("bucket", "corp-backups")];

/// Identifiers and secrets the patterns must find on their own.
const FOUND: &[&str] = &[
    "ann.lee@corp.example.com",
    "x@y.io",
    "10.0.0.1",
    "192.168.77.3",
    "fe80::1ff:fe23:4567:890a",
    "2001:db8::7",
    "00:1a:2b:3c:4d:5e",
    "AKIAIOSFODNN7EXAMPLE",
    "arn:aws:iam::123456789012:role/Admin",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
    "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    "sk-proj-AbCdEf0123456789xyz",
    "vgl_0a1b2c3d4e5f_9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f9f",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "dc01.corp.local",
    "mail.example.com",
];

/// Words that must come through untouched, ids and lookalikes among them.
const KEPT: &[&str] = &[
    "9f86d081884c7d659a2feaa0c55ad015",
    "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
    "550e8400-e29b-41d4-a716-446655440000",
    "1.2.3",
    "a.json",
    "10:30:45",
    "annual",
    "joanna",
    "bobby",
    "event.id",
];

const FILLER: &[&str] = &["the", "user", "logged", "in", "from", "failed", "at", "ok", "é", "—", "3", "x"];

const SEPARATORS: &[&str] = &[" ", ", ", ". ", "\n", " (", ") ", ": ", "\t", " '", "' ", "; ", " \"", "\" "];

/// Occurrences of `needle` in `hay` not inside a longer word.
fn whole_token_count(hay: &str, needle: &str) -> usize {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    hay.match_indices(needle)
        .filter(|(i, _)| {
            !hay[..*i].chars().next_back().is_some_and(word)
                && !hay[i + needle.len()..].chars().next().is_some_and(word)
        })
        .count()
}

fn text() -> impl Strategy<Value = String> {
    let known: Vec<&str> = KNOWN.iter().map(|(_, v)| *v).collect();
    let word = prop_oneof![
        prop::sample::select(known),
        prop::sample::select(FOUND),
        prop::sample::select(KEPT),
        prop::sample::select(FILLER),
    ];
    prop::collection::vec((word, prop::sample::select(SEPARATORS)), 0..40).prop_map(|parts| {
        let mut s = String::new();
        for (w, sep) in parts {
            s.push_str(w);
            s.push_str(sep);
        }
        s
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn redaction_hides_identifiers_and_restores_exactly(x in text()) {
        let mut r = Redactor::new();
        for (kind, value) in KNOWN {
            r.know(kind, value);
        }
        let out = r.redact(&x);
        for (_, value) in KNOWN {
            prop_assert_eq!(whole_token_count(&out, value), 0, "{} left in {:?}", value, out);
        }
        for value in FOUND {
            prop_assert!(!out.contains(value), "{} left in {:?}", value, out);
        }
        for value in KEPT {
            prop_assert_eq!(whole_token_count(&out, value), whole_token_count(&x, value), "{} changed in {:?}", value, out);
        }
        prop_assert_eq!(r.restore(&out), x);
    }

    #[test]
    fn placeholders_are_stable_across_calls(a in text(), b in text()) {
        let mut r = Redactor::new();
        for (kind, value) in KNOWN {
            r.know(kind, value);
        }
        let first = r.redact(&a);
        let again = r.redact(&a);
        prop_assert_eq!(&first, &again);
        let other = r.redact(&b);
        prop_assert_eq!(r.restore(&other), b);
        prop_assert_eq!(r.restore(&first), a);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// Any text at all, including placeholder lookalikes and multi-byte characters next to the
    /// characters the patterns look for: no panic, and the round trip is exact.
    #[test]
    fn any_text_round_trips(
        x in prop_oneof![
            any::<String>(),
            "[a-zA-Z0-9@.:/_=+<>\"' \\-é—]{0,120}",
            "(<[A-Z]{1,4}_[0-9]{1,2}>|10\\.0\\.0\\.1|ann|x@y\\.io|é|[:.@<>_ -]|[a-f0-9]{1,8}){0,30}",
        ]
    ) {
        let mut r = Redactor::new();
        r.know("user", "ann");
        r.know("host", "é-host");
        let out = r.redact(&x);
        prop_assert_eq!(r.restore(&out), x);
    }
}
