//! The alert record and its OCSF Detection Finding (class 2004) form are shared data and live in
//! [`vigil_model::alert`]; they are re-exported here under their old paths. What this crate adds is
//! the bridge from a loaded rule to the rule an alert carries ([`RuleInfo::alert_rule`]).

pub use vigil_model::alert::*;

use crate::rules::RuleInfo;

impl RuleInfo {
    /// The rule as its alerts carry it, with ATT&CK techniques and tactics read from the tags.
    pub fn alert_rule(&self) -> AlertRule {
        AlertRule::new(self.id.clone(), self.title.clone(), self.level, self.tags.clone(), self.file.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rules_alert_rule_carries_its_attack_tags() {
        let info = RuleInfo {
            id: "r1".into(),
            title: "Whoami".into(),
            level: Level::High,
            status: Some("test".into()),
            tags: vec![
                "attack.discovery".into(),
                "attack.t1033".into(),
                "attack.t1059.001".into(),
                "cve.2021-1".into(),
            ],
            description: None,
            falsepositives: vec![],
            file: "r.yml".into(),
            logsource: String::new(),
        };
        let r = info.alert_rule();
        assert_eq!((r.id.as_str(), r.title.as_str(), r.level, r.file.as_str()), ("r1", "Whoami", Level::High, "r.yml"));
        assert_eq!(r.tags, info.tags);
        assert_eq!(r.techniques, vec!["T1033", "T1059.001"]);
        assert_eq!(r.tactics, vec!["discovery"]);
    }
}
