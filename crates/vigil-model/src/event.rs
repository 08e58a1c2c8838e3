//! The normalized event record.

use serde::{Deserialize, Serialize};

use crate::{EventId, OcsfClass};

/// OCSF severity_id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
pub enum Severity {
    Unknown = 0,
    #[default]
    Informational = 1,
    Low = 2,
    Medium = 3,
    High = 4,
    Critical = 5,
    Fatal = 6,
}

impl Severity {
    pub fn id(self) -> u8 {
        self as u8
    }
}

/// OCSF status_id: 1 success, 2 failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Success = 1,
    Failure = 2,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct User {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// OCSF user type (User, Admin, System, Service, IAMUser, AssumedRole, Root …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Access key or other credential the user acted with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credential_uid: Option<String>,
}

/// A group acted upon (Group Management): the group a member was added to or removed from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Whether the session was established with MFA, where the source says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<Session>,
    /// Application or client acting (user agent product, OAuth app …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Geo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    /// Autonomous system or ISP the source names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo: Option<Geo>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Device {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hostname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cloud {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Api {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uid: Option<String>,
    /// Request parameters as compact JSON, where the source has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_data: Option<String>,
    /// Response elements as compact JSON, where the source has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_error_message: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Process {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cmd_line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_cmd_line: Option<String>,
    /// The other process of an open/inject (Sysmon 8/10: TargetImage).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_path: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New path of a rename.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hashes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    /// Registry key or value path, for registry classes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry_value: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AuthInfo {
    /// Windows logon type number or vendor logon kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logon_type: Option<String>,
    /// Authentication protocol or provider (NTLM, Kerberos, OKTA, SAML …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_mfa: Option<bool>,
    /// MFA factor involved (push, totp, sms …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_factor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_remote: Option<bool>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DnsInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qtype: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rcode: Option<String>,
    /// Answers joined with ','.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answers: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Traffic {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_in: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_out: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<i64>,
    /// Connection state or direction as the source names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Http {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

/// Where an event came from and how it was read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub product: String,
    pub vendor: String,
    /// The decoder that read the record (e.g. `cloudtrail`, `evtx`).
    pub format: String,
    /// The source's own id for the record (CloudTrail eventID, Okta uuid, EVTX record id …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_uid: Option<String>,
    /// Log name: Windows channel, Zeek path, CloudTrail event category …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_name: Option<String>,
    /// Vendor event code: Windows EventID, CloudTrail eventName, Okta eventType.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_code: Option<String>,
    /// The file (and archive entry) the record was read from.
    pub source: String,
    /// Where in the source: `line 12`, `byte 4096`, `record 17`.
    pub locator: String,
}

/// One normalized security event.
///
/// `raw` holds the record exactly as the source wrote it (for EVTX, whose binary records depend
/// on their chunk's templates, the `evtx` crate's JSON rendering of the record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub class: OcsfClass,
    pub activity_id: u32,
    /// Milliseconds since the Unix epoch, UTC.
    pub time: i64,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default)]
    pub actor: Actor,
    /// The user acted upon (target of an account change, the user authenticating).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<User>,
    /// The group acted upon (Group Management).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Group>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub src_endpoint: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dst_endpoint: Option<Endpoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<Device>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud: Option<Cloud>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api: Option<Api>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<Process>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<FileInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsInfo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<Traffic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<Http>,
    pub metadata: Metadata,
    /// The record as read, byte for byte (always valid UTF-8: every accepted record is JSON).
    pub raw: String,
}

impl Event {
    /// A new event with the required fields; everything else empty.
    pub fn new(id: EventId, class: OcsfClass, activity_id: u32, time: i64, metadata: Metadata, raw: String) -> Event {
        Event {
            id,
            class,
            activity_id,
            time,
            severity: Severity::Informational,
            status: None,
            status_detail: None,
            message: None,
            actor: Actor::default(),
            user: None,
            group: None,
            src_endpoint: None,
            dst_endpoint: None,
            device: None,
            cloud: None,
            api: None,
            process: None,
            file: None,
            auth: None,
            dns: None,
            traffic: None,
            http: None,
            metadata,
            raw,
        }
    }

    pub fn class_uid(&self) -> u32 {
        self.class.uid()
    }

    pub fn category_uid(&self) -> u32 {
        self.class.category() as u32
    }

    /// OCSF type_uid = class_uid * 100 + activity_id.
    pub fn type_uid(&self) -> u64 {
        u64::from(self.class.uid()) * 100 + u64::from(self.activity_id)
    }

    /// The event's day (UTC) as `YYYY-MM-DD`, the lake's partition key.
    pub fn day(&self) -> String {
        crate::format_day(self.time)
    }

    pub fn actor_user_mut(&mut self) -> &mut User {
        self.actor.user.get_or_insert_with(User::default)
    }
    pub fn actor_session_mut(&mut self) -> &mut Session {
        self.actor.session.get_or_insert_with(Session::default)
    }
    pub fn user_mut(&mut self) -> &mut User {
        self.user.get_or_insert_with(User::default)
    }
    pub fn group_mut(&mut self) -> &mut Group {
        self.group.get_or_insert_with(Group::default)
    }
    pub fn src_mut(&mut self) -> &mut Endpoint {
        self.src_endpoint.get_or_insert_with(Endpoint::default)
    }
    pub fn dst_mut(&mut self) -> &mut Endpoint {
        self.dst_endpoint.get_or_insert_with(Endpoint::default)
    }
    pub fn device_mut(&mut self) -> &mut Device {
        self.device.get_or_insert_with(Device::default)
    }
    pub fn cloud_mut(&mut self) -> &mut Cloud {
        self.cloud.get_or_insert_with(Cloud::default)
    }
    pub fn api_mut(&mut self) -> &mut Api {
        self.api.get_or_insert_with(Api::default)
    }
    pub fn process_mut(&mut self) -> &mut Process {
        self.process.get_or_insert_with(Process::default)
    }
    pub fn file_mut(&mut self) -> &mut FileInfo {
        self.file.get_or_insert_with(FileInfo::default)
    }
    pub fn auth_mut(&mut self) -> &mut AuthInfo {
        self.auth.get_or_insert_with(AuthInfo::default)
    }
    pub fn dns_mut(&mut self) -> &mut DnsInfo {
        self.dns.get_or_insert_with(DnsInfo::default)
    }
    pub fn traffic_mut(&mut self) -> &mut Traffic {
        self.traffic.get_or_insert_with(Traffic::default)
    }
    pub fn http_mut(&mut self) -> &mut Http {
        self.http.get_or_insert_with(Http::default)
    }
}

/// A record that could not be decoded, kept with the reason and where it was.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuarantineRecord {
    /// File (and archive entry) the record came from.
    pub source: String,
    /// Where in the source: `line 12`, `byte 4096`, `chunk 3`.
    pub locator: String,
    /// The decoder that rejected it, or `detect` when no decoder recognised the input.
    pub format: String,
    pub reason: String,
    /// Size of the rejected record in bytes.
    pub size: u64,
    /// The first bytes of the record (at most [`QuarantineRecord::EXCERPT_MAX`]), lossily as UTF-8.
    pub excerpt: String,
    /// SHA-256 of the whole rejected record, so it can be found again in the source.
    pub sha256: String,
}

impl QuarantineRecord {
    pub const EXCERPT_MAX: usize = 4096;

    pub fn new(source: &str, locator: String, format: &str, reason: String, bytes: &[u8]) -> QuarantineRecord {
        use sha2::{Digest, Sha256};
        let cut = bytes.len().min(Self::EXCERPT_MAX);
        QuarantineRecord {
            source: source.to_string(),
            locator,
            format: format.to_string(),
            reason,
            size: bytes.len() as u64,
            excerpt: String::from_utf8_lossy(&bytes[..cut]).into_owned(),
            sha256: hex::encode(Sha256::digest(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_uid_and_day() {
        let md = Metadata { source: "s".into(), locator: "line 1".into(), ..Default::default() };
        let e =
            Event::new(EventId::of_bytes("x", b"{}"), OcsfClass::Authentication, 1, 1_700_000_000_000, md, "{}".into());
        assert_eq!(e.type_uid(), 300201);
        assert_eq!(e.category_uid(), 3);
        assert_eq!(e.day(), "2023-11-14");
    }

    #[test]
    fn quarantine_excerpt_is_bounded() {
        let big = vec![b'a'; 10 * 1024 * 1024];
        let q = QuarantineRecord::new("f", "line 1".into(), "jsonl", "too big".into(), &big);
        assert_eq!(q.size, 10 * 1024 * 1024);
        assert_eq!(q.excerpt.len(), QuarantineRecord::EXCERPT_MAX);
        assert_eq!(q.sha256.len(), 64);
    }
}
