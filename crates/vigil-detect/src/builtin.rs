//! Vigil's own rules, shipped in the binary: Sigma detections and correlations for the identity,
//! cloud and endpoint attacks of the product brief that single-event rules do not catch alone
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
