//! Vigil's own rules, shipped in the binary: Sigma detections and correlations for the identity,
//! cloud and endpoint attacks Vigil is built to catch that single-event rules do not catch alone
//! (MFA fatigue, a bucket made public, an IAM escalation chain, ransomware preparation, lateral
//! movement). They live as ordinary Sigma files under `crates/vigil-detect/rules/`.

use crate::rules::RulePack;

pub const RULES: &[(&str, &str)] = &[
    ("builtin:okta_mfa_fatigue.yml", include_str!("../rules/okta_mfa_fatigue.yml")),
    ("builtin:aws_s3_public_bucket.yml", include_str!("../rules/aws_s3_public_bucket.yml")),
    ("builtin:aws_iam_escalation.yml", include_str!("../rules/aws_iam_escalation.yml")),
    ("builtin:windows_ransomware_lateral.yml", include_str!("../rules/windows_ransomware_lateral.yml")),
    ("builtin:signals.yml", include_str!("../rules/signals.yml")),
];

/// Adds the built-in rules to a pack (call [`RulePack::finish`] after the last addition).
pub fn add_to(pack: &mut RulePack) {
    for (name, text) in RULES {
        pack.files += 1;
        pack.add_yaml(name, text);
    }
}

/// DETECTIONS.md's table of the built-in Sigma rules and correlations: one row each (id, title,
/// kind, level, ATT&CK techniques), file by file in [`RULES`] order, each file's rules before its
/// correlations. Ends with a newline.
pub fn rules_markdown() -> String {
    let mut pack = RulePack::default();
    add_to(&mut pack);
    pack.finish();
    let mut out = String::from("| id | title | kind | level | ATT&CK |\n|---|---|---|---|---|\n");
    for (file, _) in RULES {
        let rules = pack.rules.iter().filter(|r| r.info.file == *file).map(|r| (&r.info, "Sigma rule".to_string()));
        let correlations = pack
            .correlations
            .iter()
            .filter(|c| c.info.file == *file)
            .map(|c| (&c.info, format!("Sigma correlation (`{}`)", c.rule.correlation_type.as_str())));
        for (info, kind) in rules.chain(correlations) {
            let techniques = info.alert_rule().techniques;
            let techniques = if techniques.is_empty() { "—".to_string() } else { techniques.join(", ") };
            out.push_str(&format!(
                "| `{}` | {} | {kind} | {} | {techniques} |\n",
                info.id,
                cell(&info.title),
                info.level.as_str()
            ));
        }
    }
    out
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
