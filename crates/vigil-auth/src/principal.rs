//! Who is asking, and what they may do.

use serde::{Deserialize, Serialize};

use crate::{Grant, Permission, Role, permissions};

/// How a principal proved who they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Password,
    Session,
    /// The token's public id.
    Token(String),
    /// A browser session, by a public id derived from its stored key (never its cookie secret).
    BrowserSession(String),
}

impl Via {
    /// The credential that proved who the caller is, when it names one: `token:<id>` or
    /// `session:<id>`. Two requests with the same credential are the same person's.
    pub fn credential(&self) -> Option<String> {
        match self {
            Via::Token(id) => Some(format!("token:{id}")),
            Via::BrowserSession(id) => Some(format!("session:{id}")),
            Via::Password | Via::Session => None,
        }
    }
}

/// An authenticated caller: a user's name, the roles in force for this request (a token's own
/// roles for a token), and, for auditors, their active grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Principal {
    pub username: String,
    pub roles: Vec<Role>,
    pub via: Via,
    pub grants: Vec<Grant>,
}

impl Principal {
    /// Whether any of the principal's roles holds `p`.
    pub fn can(&self, p: Permission) -> bool {
        self.roles.iter().any(|r| permissions(*r).contains(&p))
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    /// Whether the principal may read case `case_id`, opened at `case_opened_ms`. Whoever may
    /// view the queue sees every case; an auditor sees a case only while an active grant names
    /// it and the case's time falls within the grant's period.
    pub fn can_see_case(&self, case_id: &str, case_opened_ms: i64, now_ms: i64) -> bool {
        if self.can(Permission::ViewQueue) {
            return true;
        }
        self.can(Permission::AuditorPortal)
            && self.grants.iter().any(|g| g.auditor == self.username && g.covers(case_id, case_opened_ms, now_ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(cases: &[&str], from_ms: i64, to_ms: i64, expires_ms: i64, revoked_ms: Option<i64>) -> Grant {
        Grant {
            id: "g1".into(),
            auditor: "audrey".into(),
            cases: cases.iter().map(|c| c.to_string()).collect(),
            from_ms,
            to_ms,
            expires_ms,
            granted_by: "root".into(),
            created_ms: 0,
            revoked_ms,
        }
    }

    fn auditor(grants: Vec<Grant>) -> Principal {
        Principal { username: "audrey".into(), roles: vec![Role::Auditor], via: Via::Session, grants }
    }

    #[test]
    fn auditors_see_only_granted_cases_in_the_period_until_expiry() {
        let p = auditor(vec![grant(&["case-1", "case-2"], 1_000, 2_000, 10_000, None)]);
        assert!(p.can_see_case("case-1", 1_500, 5_000));
        assert!(p.can_see_case("case-2", 1_000, 5_000), "period start is inclusive");
        assert!(p.can_see_case("case-2", 2_000, 5_000), "period end is inclusive");
        assert!(!p.can_see_case("case-3", 1_500, 5_000), "not granted");
        assert!(!p.can_see_case("case-1", 999, 5_000), "before the period");
        assert!(!p.can_see_case("case-1", 2_001, 5_000), "after the period");
        assert!(!p.can_see_case("case-1", 1_500, 10_000), "the grant expired");
        let revoked = auditor(vec![grant(&["case-1"], 1_000, 2_000, 10_000, Some(4_000))]);
        assert!(revoked.can_see_case("case-1", 1_500, 3_999));
        assert!(!revoked.can_see_case("case-1", 1_500, 4_000), "revoked");
        assert!(!p.can(Permission::ViewQueue));
        // Someone else's grant in the list does not count.
        let mut other = auditor(vec![grant(&["case-1"], 1_000, 2_000, 10_000, None)]);
        other.username = "mallory".into();
        assert!(!other.can_see_case("case-1", 1_500, 5_000));
    }

    #[test]
    fn queue_viewers_see_every_case_and_others_none() {
        let analyst =
            Principal { username: "ann".into(), roles: vec![Role::Analyst], via: Via::Password, grants: vec![] };
        assert!(analyst.can_see_case("anything", 0, 0));
        let exec =
            Principal { username: "eve".into(), roles: vec![Role::Executive], via: Via::Password, grants: vec![] };
        assert!(!exec.can_see_case("anything", 0, 0));
        assert!(exec.can(Permission::ViewSummaries) && !exec.can(Permission::ViewQueue));
        let multi = Principal {
            username: "max".into(),
            roles: vec![Role::Executive, Role::Responder],
            via: Via::Token("0123456789ab".into()),
            grants: vec![],
        };
        assert!(multi.can(Permission::Respond) && multi.can(Permission::ViewSummaries));
        assert!(!multi.can(Permission::Approve));
        let nobody = Principal { username: "n".into(), roles: vec![], via: Via::Session, grants: vec![] };
        assert!(Permission::ALL.iter().all(|p| !nobody.can(*p)));
    }
}
