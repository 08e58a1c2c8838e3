//! Suppressions: a person's decision that some alerts need no analyst — a rule on an entity, a
//! rule everywhere, or everything about an entity — with a reason, an owner and an expiry.
//! Suppressed alerts are kept and counted, never deleted; a suppression only takes effect after
//! its impact preview (how many past alerts and incidents it would have hidden) was shown.

use serde::{Deserialize, Serialize};
use vigil_model::Alert;

use crate::TriageError;
use crate::group::entity_keys;
use crate::inventory::normalize;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Suppression {
    pub id: String,
    /// A rule id or title; `None` for every rule.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rule: Option<String>,
    /// An entity name (user, host, key, bucket, ip); `None` for every entity.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub entity: Option<String>,
    pub reason: String,
    pub owner: String,
    pub created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub expires_ms: Option<i64>,
}

impl Suppression {
    pub fn new(
        rule: Option<String>,
        entity: Option<String>,
        reason: &str,
        owner: &str,
        created_ms: i64,
        expires_ms: Option<i64>,
    ) -> Result<Suppression, TriageError> {
        if rule.is_none() && entity.is_none() {
            return Err(TriageError::Suppression("a suppression needs a rule, an entity or both".into()));
        }
        if reason.trim().len() < 8 {
            return Err(TriageError::Suppression("a suppression needs a reason (at least 8 characters)".into()));
        }
        if owner.trim().is_empty() {
            return Err(TriageError::Suppression("a suppression needs an owner".into()));
        }
        if let Some(e) = expires_ms
            && e <= created_ms
        {
            return Err(TriageError::Suppression("the expiry is not after the creation time".into()));
        }
        let id = format!(
            "SUP-{}",
            &crate::short_hash(&[
                rule.as_deref().unwrap_or("*"),
                entity.as_deref().unwrap_or("*"),
                &created_ms.to_string()
            ])[..10]
        );
        Ok(Suppression {
            id,
            rule,
            entity,
            reason: reason.trim().into(),
            owner: owner.trim().into(),
            created_ms,
            expires_ms,
        })
    }

    pub fn active(&self, now_ms: i64) -> bool {
        self.expires_ms.is_none_or(|e| now_ms < e)
    }

    pub fn matches(&self, a: &Alert) -> bool {
        if let Some(r) = &self.rule
            && !(a.rule.id.eq_ignore_ascii_case(r) || a.rule.title.eq_ignore_ascii_case(r))
        {
            return false;
        }
        if let Some(e) = &self.entity {
            let want = normalize(e);
            let short = want.split('.').next().unwrap_or(&want).to_string();
            return entity_keys(a).iter().any(|k| {
                let v = k.split_once(':').map_or(k.as_str(), |x| x.1);
                v == want || v == short
            });
        }
        true
    }
}
