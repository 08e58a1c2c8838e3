//! Who asks: a signed-in person or token, the person at the shell of a data directory, Vigil's own
//! automation, or the assistant acting for a person. Every operation takes one and checks it.

use vigil_auth::{Permission, Principal};

use crate::AppError;

/// The caller of an operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// A person or token authenticated by the server: their roles in force, and an auditor's
    /// grants.
    Person(Principal),
    /// The operating-system account running `vigil` on a data directory, without a Vigil token
    /// (recorded as `local:<account>`). Holding the directory is holding its data, so the shell
    /// may do what its files allow — except approve: four-eyes approval is a named person's act,
    /// so approving needs a Vigil user's token ([`crate::App::authenticate_token`]).
    Local { username: String },
    /// Vigil's own automation (`vigil:triage`, `vigil:playbook`). It may work the queue and run
    /// playbooks, never dispose of a case, approve, or manage identities.
    Automation { name: String },
    /// The assistant, answering `on_behalf` of a person: never more than that person may do, and
    /// never an approval or an identity change, whatever their roles.
    Assistant { on_behalf: Principal },
}

/// What Vigil's automation may do.
const AUTOMATION: &[Permission] = &[
    Permission::ViewQueue,
    Permission::WorkCases,
    Permission::ViewRules,
    Permission::ViewInventory,
    Permission::Ingest,
    Permission::Respond,
];

/// The automation that runs the scheduled hunts over weeks: it reads the lake as well.
pub const HUNT_SCHEDULE: &str = "vigil:hunt";

/// The automation that investigates queued incidents after triage: it reads the lake as well
/// (an investigation's timeline and blast radius are queries over it).
pub const INVESTIGATOR: &str = "vigil:investigate";

/// The automation that polls the live sources while serving (ingest and reading the sources'
/// configuration are both in what every automation may do).
pub const POLLER: &str = "vigil:poll";

/// The automations that read the lake besides working the queue.
const READS_THE_LAKE: &[&str] = &[HUNT_SCHEDULE, INVESTIGATOR];

/// What the shell without a token never does: approvals must be a named person's own act.
const NOT_FOR_THE_SHELL: &[Permission] = &[Permission::Approve];

/// What the assistant never does for anyone: decisions that must be a person's own act.
const NOT_FOR_THE_ASSISTANT: &[Permission] = &[Permission::Approve, Permission::ManageIdentity];

impl Caller {
    pub fn local(username: &str) -> Caller {
        Caller::Local { username: username.to_string() }
    }

    pub fn automation(name: &str) -> Caller {
        Caller::Automation { name: name.to_string() }
    }

    /// The name recorded on cases and the audit log.
    pub fn name(&self) -> String {
        match self {
            Caller::Person(p) => p.username.clone(),
            Caller::Local { username } => username.clone(),
            Caller::Automation { name } => name.clone(),
            Caller::Assistant { on_behalf } => format!("{} (assistant)", on_behalf.username),
        }
    }

    /// Whether the caller holds `p`.
    pub fn can(&self, p: Permission) -> bool {
        match self {
            Caller::Person(principal) => principal.can(p),
            Caller::Local { .. } => !NOT_FOR_THE_SHELL.contains(&p),
            Caller::Automation { name } => {
                AUTOMATION.contains(&p) || (p == Permission::Hunt && READS_THE_LAKE.contains(&name.as_str()))
            }
            Caller::Assistant { on_behalf } => on_behalf.can(p) && !NOT_FOR_THE_ASSISTANT.contains(&p),
        }
    }

    /// `Ok` when the caller holds `p`; otherwise a refusal naming what was asked.
    pub fn require(&self, p: Permission, what: &str) -> Result<(), AppError> {
        if self.can(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden { who: self.name(), what: what.to_string(), needs: p.as_str() })
        }
    }

    /// Whether the caller may read case `id` opened at `opened_ms`: the queue's readers see every
    /// case; an auditor (or the assistant for one) only what an active grant covers.
    pub fn can_see_case(&self, id: &str, opened_ms: i64, now_ms: i64) -> bool {
        match self {
            Caller::Person(p) => p.can_see_case(id, opened_ms, now_ms),
            Caller::Assistant { on_behalf } => on_behalf.can_see_case(id, opened_ms, now_ms),
            Caller::Local { .. } => true,
            Caller::Automation { .. } => true,
        }
    }

    /// A machine identity (never approves, never overrides a person's disposition).
    pub fn is_machine(&self) -> bool {
        matches!(self, Caller::Automation { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil_auth::{Role, Via};

    fn person(roles: &[Role]) -> Principal {
        Principal { username: "pat".into(), roles: roles.to_vec(), via: Via::Session, grants: Vec::new() }
    }

    #[test]
    fn each_caller_holds_what_it_should() {
        let analyst = Caller::Person(person(&[Role::Analyst]));
        assert!(analyst.can(Permission::WorkCases));
        assert!(!analyst.can(Permission::ManageIdentity));
        let bot = Caller::automation("vigil:triage");
        assert!(bot.can(Permission::WorkCases));
        assert!(!bot.can(Permission::Dispose), "the automation never disposes");
        assert!(!bot.can(Permission::Approve), "the automation never approves");
        assert!(!bot.can(Permission::Hunt), "triage does not read the lake");
        assert!(Caller::automation(HUNT_SCHEDULE).can(Permission::Hunt), "the hunt schedule does");
        assert!(Caller::automation(INVESTIGATOR).can(Permission::Hunt), "so does the investigator");
        assert!(!Caller::automation(INVESTIGATOR).can(Permission::Dispose), "which never disposes");
        let admin_assistant = Caller::Assistant { on_behalf: person(&[Role::Admin, Role::Approver]) };
        assert!(admin_assistant.can(Permission::ViewQueue));
        assert!(!admin_assistant.can(Permission::Approve), "approval is a person's own act");
        assert!(!admin_assistant.can(Permission::ManageIdentity));
        let auditor_assistant = Caller::Assistant { on_behalf: person(&[Role::Auditor]) };
        assert!(!auditor_assistant.can(Permission::ViewQueue), "no more than the person");
        assert_eq!(auditor_assistant.name(), "pat (assistant)");
        let e = auditor_assistant.require(Permission::WorkCases, "assign a case").unwrap_err();
        assert!(e.to_string().contains("work_cases"), "{e}");
        let shell = Caller::local("local:pat");
        assert!(shell.can(Permission::Dispose) && shell.can(Permission::ManageIdentity));
        assert!(!shell.can(Permission::Approve), "the shell without a token never approves");
    }
}
