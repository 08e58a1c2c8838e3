//! The OCSF classes Vigil produces, with their uid, category and table name.

use serde::{Deserialize, Serialize};

/// OCSF categories (category_uid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    Other = 0,
    System = 1,
    Findings = 2,
    Iam = 3,
    Network = 4,
    Application = 6,
}

/// One OCSF event class Vigil normalizes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "u32", try_from = "u32")]
pub enum OcsfClass {
    BaseEvent,
    FileSystemActivity,
    KernelExtensionActivity,
    ModuleActivity,
    ScheduledJobActivity,
    ProcessActivity,
    DetectionFinding,
    AccountChange,
    Authentication,
    GroupManagement,
    NetworkActivity,
    HttpActivity,
    DnsActivity,
    RdpActivity,
    SmbActivity,
    SshActivity,
    FtpActivity,
    EmailActivity,
    NtpActivity,
    ApiActivity,
    RegistryKeyActivity,
    RegistryValueActivity,
    WindowsServiceActivity,
}

impl OcsfClass {
    /// Every class, in uid order.
    pub const ALL: [OcsfClass; 23] = [
        OcsfClass::BaseEvent,
        OcsfClass::FileSystemActivity,
        OcsfClass::KernelExtensionActivity,
        OcsfClass::ModuleActivity,
        OcsfClass::ScheduledJobActivity,
        OcsfClass::ProcessActivity,
        OcsfClass::DetectionFinding,
        OcsfClass::AccountChange,
        OcsfClass::Authentication,
        OcsfClass::GroupManagement,
        OcsfClass::NetworkActivity,
        OcsfClass::HttpActivity,
        OcsfClass::DnsActivity,
        OcsfClass::RdpActivity,
        OcsfClass::SmbActivity,
        OcsfClass::SshActivity,
        OcsfClass::FtpActivity,
        OcsfClass::EmailActivity,
        OcsfClass::NtpActivity,
        OcsfClass::ApiActivity,
        OcsfClass::RegistryKeyActivity,
        OcsfClass::RegistryValueActivity,
        OcsfClass::WindowsServiceActivity,
    ];

    pub fn uid(self) -> u32 {
        match self {
            OcsfClass::BaseEvent => 0,
            OcsfClass::FileSystemActivity => 1001,
            OcsfClass::KernelExtensionActivity => 1002,
            OcsfClass::ModuleActivity => 1005,
            OcsfClass::ScheduledJobActivity => 1006,
            OcsfClass::ProcessActivity => 1007,
            OcsfClass::DetectionFinding => 2004,
            OcsfClass::AccountChange => 3001,
            OcsfClass::Authentication => 3002,
            OcsfClass::GroupManagement => 3006,
            OcsfClass::NetworkActivity => 4001,
            OcsfClass::HttpActivity => 4002,
            OcsfClass::DnsActivity => 4003,
            OcsfClass::RdpActivity => 4005,
            OcsfClass::SmbActivity => 4006,
            OcsfClass::SshActivity => 4007,
            OcsfClass::FtpActivity => 4008,
            OcsfClass::EmailActivity => 4009,
            OcsfClass::NtpActivity => 4013,
            OcsfClass::ApiActivity => 6003,
            OcsfClass::RegistryKeyActivity => 201001,
            OcsfClass::RegistryValueActivity => 201002,
            OcsfClass::WindowsServiceActivity => 201004,
        }
    }

    pub fn from_uid(uid: u32) -> Option<OcsfClass> {
        OcsfClass::ALL.into_iter().find(|c| c.uid() == uid)
    }

    pub fn category(self) -> Category {
        match self.uid() {
            0 => Category::Other,
            1000..=1999 | 201000..=201999 => Category::System,
            2000..=2999 => Category::Findings,
            3000..=3999 => Category::Iam,
            4000..=4999 => Category::Network,
            _ => Category::Application,
        }
    }

    /// OCSF caption, e.g. "Authentication".
    pub fn name(self) -> &'static str {
        match self {
            OcsfClass::BaseEvent => "Base Event",
            OcsfClass::FileSystemActivity => "File System Activity",
            OcsfClass::KernelExtensionActivity => "Kernel Extension Activity",
            OcsfClass::ModuleActivity => "Module Activity",
            OcsfClass::ScheduledJobActivity => "Scheduled Job Activity",
            OcsfClass::ProcessActivity => "Process Activity",
            OcsfClass::DetectionFinding => "Detection Finding",
            OcsfClass::AccountChange => "Account Change",
            OcsfClass::Authentication => "Authentication",
            OcsfClass::GroupManagement => "Group Management",
            OcsfClass::NetworkActivity => "Network Activity",
            OcsfClass::HttpActivity => "HTTP Activity",
            OcsfClass::DnsActivity => "DNS Activity",
            OcsfClass::RdpActivity => "RDP Activity",
            OcsfClass::SmbActivity => "SMB Activity",
            OcsfClass::SshActivity => "SSH Activity",
            OcsfClass::FtpActivity => "FTP Activity",
            OcsfClass::EmailActivity => "Email Activity",
            OcsfClass::NtpActivity => "NTP Activity",
            OcsfClass::ApiActivity => "API Activity",
            OcsfClass::RegistryKeyActivity => "Registry Key Activity",
            OcsfClass::RegistryValueActivity => "Registry Value Activity",
            OcsfClass::WindowsServiceActivity => "Windows Service Activity",
        }
    }

    /// SQL table name for this class in the lake, e.g. `authentication`.
    pub fn table(self) -> &'static str {
        match self {
            OcsfClass::BaseEvent => "base_event",
            OcsfClass::FileSystemActivity => "file_activity",
            OcsfClass::KernelExtensionActivity => "kernel_extension_activity",
            OcsfClass::ModuleActivity => "module_activity",
            OcsfClass::ScheduledJobActivity => "scheduled_job_activity",
            OcsfClass::ProcessActivity => "process_activity",
            OcsfClass::DetectionFinding => "detection_finding",
            OcsfClass::AccountChange => "account_change",
            OcsfClass::Authentication => "authentication",
            OcsfClass::GroupManagement => "group_management",
            OcsfClass::NetworkActivity => "network_activity",
            OcsfClass::HttpActivity => "http_activity",
            OcsfClass::DnsActivity => "dns_activity",
            OcsfClass::RdpActivity => "rdp_activity",
            OcsfClass::SmbActivity => "smb_activity",
            OcsfClass::SshActivity => "ssh_activity",
            OcsfClass::FtpActivity => "ftp_activity",
            OcsfClass::EmailActivity => "email_activity",
            OcsfClass::NtpActivity => "ntp_activity",
            OcsfClass::ApiActivity => "api_activity",
            OcsfClass::RegistryKeyActivity => "registry_key_activity",
            OcsfClass::RegistryValueActivity => "registry_value_activity",
            OcsfClass::WindowsServiceActivity => "windows_service_activity",
        }
    }
}

impl From<OcsfClass> for u32 {
    fn from(c: OcsfClass) -> u32 {
        c.uid()
    }
}

impl TryFrom<u32> for OcsfClass {
    type Error = String;
    fn try_from(uid: u32) -> Result<Self, String> {
        OcsfClass::from_uid(uid).ok_or_else(|| format!("unknown OCSF class_uid {uid}"))
    }
}

/// Activity ids of Authentication (3002).
pub mod authentication {
    pub const LOGON: u32 = 1;
    pub const LOGOFF: u32 = 2;
    pub const AUTHENTICATION_TICKET: u32 = 3;
    pub const SERVICE_TICKET: u32 = 4;
    pub const OTHER: u32 = 99;
}

/// Activity ids of Account Change (3001).
pub mod account_change {
    pub const CREATE: u32 = 1;
    pub const ENABLE: u32 = 2;
    pub const PASSWORD_CHANGE: u32 = 3;
    pub const PASSWORD_RESET: u32 = 4;
    pub const DISABLE: u32 = 5;
    pub const DELETE: u32 = 6;
    pub const ATTACH_POLICY: u32 = 7;
    pub const DETACH_POLICY: u32 = 8;
    pub const LOCK: u32 = 9;
    pub const MFA_ENABLE: u32 = 10;
    pub const MFA_DISABLE: u32 = 11;
    pub const OTHER: u32 = 99;
}

/// Activity ids of Group Management (3006).
pub mod group {
    pub const ASSIGN_PRIVILEGES: u32 = 1;
    pub const REVOKE_PRIVILEGES: u32 = 2;
    pub const ADD_USER: u32 = 3;
    pub const REMOVE_USER: u32 = 4;
    pub const DELETE: u32 = 5;
    pub const CREATE: u32 = 6;
    pub const OTHER: u32 = 99;
}

/// Activity ids of API Activity (6003).
pub mod api {
    pub const CREATE: u32 = 1;
    pub const READ: u32 = 2;
    pub const UPDATE: u32 = 3;
    pub const DELETE: u32 = 4;
    pub const OTHER: u32 = 99;
}

/// Activity ids of Process Activity (1007).
pub mod process {
    pub const LAUNCH: u32 = 1;
    pub const TERMINATE: u32 = 2;
    pub const OPEN: u32 = 3;
    pub const INJECT: u32 = 4;
    pub const OTHER: u32 = 99;
}

/// Activity ids of File System Activity (1001).
pub mod file {
    pub const CREATE: u32 = 1;
    pub const READ: u32 = 2;
    pub const UPDATE: u32 = 3;
    pub const DELETE: u32 = 4;
    pub const RENAME: u32 = 5;
    pub const SET_ATTRIBUTES: u32 = 6;
    pub const OTHER: u32 = 99;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for c in OcsfClass::ALL {
            assert!(seen.insert(c.uid()), "duplicate uid {}", c.uid());
            assert_eq!(OcsfClass::from_uid(c.uid()), Some(c));
        }
        let tables: std::collections::HashSet<_> = OcsfClass::ALL.iter().map(|c| c.table()).collect();
        assert_eq!(tables.len(), OcsfClass::ALL.len());
    }

    #[test]
    fn categories_follow_ocsf() {
        assert_eq!(OcsfClass::Authentication.category() as u32, 3);
        assert_eq!(OcsfClass::ApiActivity.category() as u32, 6);
        assert_eq!(OcsfClass::DnsActivity.category() as u32, 4);
        assert_eq!(OcsfClass::ProcessActivity.category() as u32, 1);
        assert_eq!(OcsfClass::RegistryKeyActivity.category() as u32, 1);
        assert_eq!(OcsfClass::BaseEvent.category() as u32, 0);
    }
}
