//! The roles and what each may do (the "Roles" table of ARCHITECTURE.md).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Who someone is to Vigil. People hold the first seven; [`Role::Ingestor`] is for shipper
/// tokens only (an admin mints a token scoped to `[Role::Ingestor]` for an HEC or push
/// endpoint), and [`crate::Auth`] refuses to give it to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    DetectionEngineer,
    Analyst,
    Responder,
    Approver,
    /// Read-only, and only the cases named in an active grant, within its period.
    Auditor,
    /// Read-only summaries.
    Executive,
    /// Pushes events; never a person.
    Ingestor,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Admin,
        Role::DetectionEngineer,
        Role::Analyst,
        Role::Responder,
        Role::Approver,
        Role::Auditor,
        Role::Executive,
        Role::Ingestor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::DetectionEngineer => "detection_engineer",
            Role::Analyst => "analyst",
            Role::Responder => "responder",
            Role::Approver => "approver",
            Role::Auditor => "auditor",
            Role::Executive => "executive",
            Role::Ingestor => "ingestor",
        }
    }

    /// Whether a person may hold this role (every role but [`Role::Ingestor`]).
    pub fn for_people(self) -> bool {
        self != Role::Ingestor
    }

    /// What this role may do.
    pub fn permissions(self) -> &'static [Permission] {
        permissions(self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = crate::AuthError;
    fn from_str(s: &str) -> crate::Result<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            crate::AuthError::invalid("role", format!("unknown role; expected one of {}", known.join(", ")))
        })
    }
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read alerts, incidents and cases.
    ViewQueue,
    /// SQL over events.
    Hunt,
    /// Assign, comment, acknowledge, change status, tasks, merge and split.
    WorkCases,
    /// Resolve with a disposition.
    Dispose,
    ViewRules,
    ManageRules,
    ViewInventory,
    ManageInventory,
    ViewAudit,
    /// Push events.
    Ingest,
    /// Users, tokens and grants.
    ManageIdentity,
    /// Run response playbooks.
    Respond,
    /// Approve response steps.
    Approve,
    /// Scorecard and executive brief.
    ViewSummaries,
    /// The read-only view of granted cases.
    AuditorPortal,
}

impl Permission {
    pub const ALL: [Permission; 15] = [
        Permission::ViewQueue,
        Permission::Hunt,
        Permission::WorkCases,
        Permission::Dispose,
        Permission::ViewRules,
        Permission::ManageRules,
        Permission::ViewInventory,
        Permission::ManageInventory,
        Permission::ViewAudit,
        Permission::Ingest,
        Permission::ManageIdentity,
        Permission::Respond,
        Permission::Approve,
        Permission::ViewSummaries,
        Permission::AuditorPortal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ViewQueue => "view_queue",
            Permission::Hunt => "hunt",
            Permission::WorkCases => "work_cases",
            Permission::Dispose => "dispose",
            Permission::ViewRules => "view_rules",
            Permission::ManageRules => "manage_rules",
            Permission::ViewInventory => "view_inventory",
            Permission::ManageInventory => "manage_inventory",
            Permission::ViewAudit => "view_audit",
            Permission::Ingest => "ingest",
            Permission::ManageIdentity => "manage_identity",
            Permission::Respond => "respond",
            Permission::Approve => "approve",
            Permission::ViewSummaries => "view_summaries",
            Permission::AuditorPortal => "auditor_portal",
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role may do. Admin holds everything; the rest follow the "Roles" table of ARCHITECTURE.md.
pub fn permissions(role: Role) -> &'static [Permission] {
    use Permission::*;
    match role {
        Role::Admin => &Permission::ALL,
        Role::DetectionEngineer => &[ViewQueue, Hunt, ViewRules, ManageRules, ViewInventory, ViewSummaries],
        Role::Analyst => &[ViewQueue, Hunt, WorkCases, Dispose, ViewRules, ViewInventory, ViewSummaries],
        Role::Responder => &[ViewQueue, WorkCases, Respond, ViewInventory],
        Role::Approver => &[ViewQueue, Approve, ViewSummaries],
        Role::Auditor => &[AuditorPortal],
        Role::Executive => &[ViewSummaries],
        Role::Ingestor => &[Ingest],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(role: Role, p: Permission) -> bool {
        permissions(role).contains(&p)
    }

    #[test]
    fn names_round_trip_through_str_and_serde() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
            assert_eq!(serde_json::from_str::<Role>(&format!("\"{}\"", r.as_str())).unwrap(), r);
        }
        for p in Permission::ALL {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        let e = "Admin".parse::<Role>().unwrap_err().to_string();
        assert!(e.contains("unknown role") && e.contains("detection_engineer"), "{e}");
        assert!("".parse::<Role>().is_err());
    }

    #[test]
    fn permissions_table_matches_the_product() {
        use Permission::*;
        // Admin: everything.
        for p in Permission::ALL {
            assert!(has(Role::Admin, p), "admin lacks {p}");
        }
        // Detection engineer: rules, hunting, reading; no case work, no identity.
        assert!(has(Role::DetectionEngineer, ManageRules) && has(Role::DetectionEngineer, Hunt));
        assert!(!has(Role::DetectionEngineer, WorkCases) && !has(Role::DetectionEngineer, Dispose));
        assert!(!has(Role::DetectionEngineer, ManageIdentity));
        // Analyst: works and disposes cases, hunts, cannot change rules or respond.
        assert!(has(Role::Analyst, WorkCases) && has(Role::Analyst, Dispose) && has(Role::Analyst, Hunt));
        assert!(!has(Role::Analyst, ManageRules) && !has(Role::Analyst, Respond) && !has(Role::Analyst, Approve));
        // Responder: runs playbooks but does not approve them, nor dispose.
        assert!(has(Role::Responder, Respond) && has(Role::Responder, WorkCases));
        assert!(!has(Role::Responder, Approve) && !has(Role::Responder, Dispose) && !has(Role::Responder, Hunt));
        // Approver: approves, does not run.
        assert!(has(Role::Approver, Approve) && has(Role::Approver, ViewQueue));
        assert!(!has(Role::Approver, Respond) && !has(Role::Approver, WorkCases));
        // Auditor: the portal only; no queue.
        assert_eq!(permissions(Role::Auditor), &[AuditorPortal]);
        assert!(!has(Role::Auditor, ViewQueue) && !has(Role::Auditor, ViewAudit));
        // Executive: summaries only.
        assert_eq!(permissions(Role::Executive), &[ViewSummaries]);
        // Ingestor: pushes events, nothing else; nobody else but admin ingests.
        assert_eq!(permissions(Role::Ingestor), &[Ingest]);
        for r in Role::ALL {
            if r != Role::Admin && r != Role::Ingestor {
                assert!(!has(r, Ingest), "{r} may ingest");
                assert!(!has(r, ManageIdentity), "{r} may manage identity");
                assert!(!has(r, ViewAudit), "{r} may view the audit log");
            }
        }
        assert!(!Role::Ingestor.for_people() && Role::Auditor.for_people());
    }
}
