//! The names of Windows events' data, by event template: what PowerShell's `Get-WinEvent` leaves
//! out of its `Properties` (values only, in template order) and the event's XML states.
//!
//! Owns: the table [`TEMPLATES`], one entry per provider, event id, template version and number
//! of properties (Sysmon has shipped templates of one version with different field counts), with
//! each field's name and how .NET renders its value differently from the XML (hex numbers, GUIDs).
//! The table is generated from the events of the EVTX-ATTACK-SAMPLES corpus, whose records carry
//! their templates' names: run `VIGIL_CORPUS=… VIGIL_WRITE_TEMPLATES=1 cargo test -p vigil-decode
//! --test windows_shapes -- --ignored write_templates` to regenerate it. An event with no entry
//! keeps its values unnamed (`Data`), as classic events are.

/// How a field's value is rendered by .NET where it differs from the event's XML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// As it is.
    Text,
    /// `win:HexInt32`/`HexInt64` and pointers: a number in .NET, `0x…` in XML in lower case,
    /// zero-padded to this many digits (0: not padded).
    Hex(u8),
    /// As [`Kind::Hex`], the digits in upper case.
    HexUpper(u8),
    /// `win:GUID`: bare in .NET, braced in XML, in lower case.
    Guid,
    /// As [`Kind::Guid`], in upper case.
    GuidUpper,
}

#[allow(unused_imports)]
use Kind::{Guid as G, GuidUpper as GU, Hex as H, HexUpper as X, Text as T};

/// One template: provider, event id, version, and its fields in order.
pub type Template = (&'static str, u32, u32, &'static [(&'static str, Kind)]);

/// The fields of the template of `provider`'s event `id`, `version`, with `count` properties.
pub fn find(provider: &str, id: i64, version: i64, count: usize) -> Option<&'static [(&'static str, Kind)]> {
    let (id, version) = (u32::try_from(id).ok()?, u32::try_from(version).ok()?);
    let key = |t: &Template| (t.0, t.1, t.2, t.3.len());
    TEMPLATES.binary_search_by(|t| key(t).cmp(&(provider, id, version, count))).ok().map(|i| TEMPLATES[i].3)
}

/// Sorted by provider, id, version and field count.
#[rustfmt::skip]
pub static TEMPLATES: &[Template] = &[
// BEGIN GENERATED
("Microsoft-Windows-Application-Experience", 500, 0, &[("ProcessId", T), ("StartTime", T), ("FixID", G), ("Flags", H(0)), ("ExePath", T), ("FixName", T)]),
("Microsoft-Windows-Bits-Client", 3, 0, &[("string", T), ("string2", T), ("string3", T)]),
("Microsoft-Windows-Bits-Client", 3, 2, &[("jobTitle", T), ("jobId", G), ("jobOwner", T), ("processPath", T), ("processId", T)]),
("Microsoft-Windows-Bits-Client", 4, 1, &[("User", T), ("jobTitle", T), ("jobId", G), ("jobOwner", T), ("fileCount", T), ("bytesTransferred", T), ("bytesTransferredFromPeer", T)]),
("Microsoft-Windows-Bits-Client", 5, 0, &[("User", T), ("jobTitle", T), ("jobId", G), ("jobOwner", T), ("fileCount", T)]),
("Microsoft-Windows-Bits-Client", 59, 1, &[("transferId", G), ("name", T), ("Id", G), ("url", T), ("peer", T), ("fileTime", T), ("fileLength", T), ("bytesTotal", T), ("bytesTransferred", T), ("bytesTransferredFromPeer", T)]),
("Microsoft-Windows-Bits-Client", 60, 1, &[("transferId", G), ("name", T), ("Id", G), ("url", T), ("peer", T), ("hr", T), ("fileTime", T), ("fileLength", T), ("bytesTotal", T), ("bytesTransferred", T), ("proxy", T), ("peerProtocolFlags", T), ("bytesTransferredFromPeer", T), ("AdditionalInfoHr", T), ("PeerContextInfo", T), ("bandwidthLimit", T), ("ignoreBandwidthLimitsOnLan", T)]),
("Microsoft-Windows-Bits-Client", 61, 1, &[("transferId", G), ("name", T), ("Id", G), ("url", T), ("peer", T), ("hr", T), ("fileTime", T), ("fileLength", T), ("bytesTotal", T), ("bytesTransferred", T), ("proxy", T), ("peerProtocolFlags", T), ("bytesTransferredFromPeer", T), ("AdditionalInfoHr", T), ("PeerContextInfo", T), ("bandwidthLimit", T), ("ignoreBandwidthLimitsOnLan", T)]),
("Microsoft-Windows-Bits-Client", 209, 0, &[("jobName", T), ("jobId", G), ("isRoaming", T)]),
("Microsoft-Windows-Bits-Client", 310, 0, &[("ErrorCode", T)]),
("Microsoft-Windows-DistributedCOM", 10016, 0, &[("param1", T), ("param2", T), ("param3", T), ("param4", T), ("param5", T), ("param6", T), ("param7", T), ("param8", T), ("param9", T), ("param10", T), ("param11", T)]),
("Microsoft-Windows-Eventlog", 104, 0, &[("SubjectUserName", T), ("SubjectDomainName", T), ("Channel", T), ("BackupPath", T)]),
("Microsoft-Windows-Eventlog", 1102, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0))]),
("Microsoft-Windows-PowerShell", 4104, 1, &[("MessageNumber", T), ("MessageTotal", T), ("ScriptBlockText", T), ("ScriptBlockId", T), ("Path", T)]),
("Microsoft-Windows-PowerShell", 53504, 1, &[("param1", T), ("param2", T)]),
("Microsoft-Windows-ProcessExitMonitor", 3001, 0, &[("param1", T), ("param2", T), ("param3", T), ("param4", T)]),
("Microsoft-Windows-Program-Compatibility-Assistant", 17, 0, &[("ExePath", T), ("ResolverName", T)]),
("Microsoft-Windows-RPC", 6, 1, &[("InterfaceUuid", G), ("ProcNum", T), ("Protocol", T), ("NetworkAddress", T), ("Endpoint", T), ("Options", T), ("AuthenticationLevel", T), ("AuthenticationService", T), ("ImpersonationLevel", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 65, 0, &[("ConnectionName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 66, 0, &[("ConnectionName", T), ("SessionID", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 68, 0, &[("ConnectionName", T), ("PromptForCredentials", T), ("PromptForCredentialsDone", T), ("GfxChannelOpened", T), ("FirstGraphicsReceived", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 70, 0, &[("DisplayDriverName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 71, 0, &[("ConnectionName", T), ("DisplayDriverName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 72, 0, &[("MethodName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 101, 0, &[("ReasonString", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 103, 0, &[("ReasonCode", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 104, 0, &[("TimezoneBiasHour", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 129, 0, &[("TransportProtocolName", T), ("Port", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 130, 0, &[("TunnelID", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 131, 0, &[("ConnType", T), ("ClientIP", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 132, 0, &[("ChannelName", T), ("TunnelID", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 135, 0, &[("TunnelID", T), ("TransportType", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 141, 0, &[("InstanceID", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 142, 0, &[("error", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 143, 0, &[("error", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 145, 0, &[("IdleSeconds", T), ("IdleSeconds1", T), ("IdleSeconds2", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 148, 0, &[("ChannelName", T), ("TunnelID", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 162, 0, &[("Version", H(0)), ("ClientMode", T), ("AvcEnabled", T), ("ProfileIdNum", T), ("ServerName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 163, 0, &[("ServerName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 168, 0, &[("MonitorNum", T), ("MonitorWidth", T), ("MonitorHeight", T), ("MonitorX", T), ("MonitorY", T), ("ServerName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 169, 0, &[("MajorType", T), ("MinorType", T), ("ServerName", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 226, 0, &[("StateTransition", T), ("PreviousState", T), ("PreviousStateName", T), ("NewState", T), ("NewStateName", T), ("Event", T), ("EventName", T), ("ErrorCode", H(0))]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 227, 0, &[("Name", T), ("Value", T), ("CustomLevel", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 228, 0, &[("ComponentName", T), ("Message", T), ("ErrorCode", T)]),
("Microsoft-Windows-RemoteDesktopServices-RdpCoreTS", 229, 0, &[("Name", T), ("CustomLevel", T)]),
("Microsoft-Windows-Security-Auditing", 4611, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("LogonProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4624, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("LogonType", T), ("LogonProcessName", T), ("AuthenticationPackageName", T), ("WorkstationName", T), ("LogonGuid", G), ("TransmittedServices", T), ("LmPackageName", T), ("KeyLength", T), ("ProcessId", H(0)), ("ProcessName", T), ("IpAddress", T), ("IpPort", T)]),
("Microsoft-Windows-Security-Auditing", 4624, 1, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("LogonType", T), ("LogonProcessName", T), ("AuthenticationPackageName", T), ("WorkstationName", T), ("LogonGuid", G), ("TransmittedServices", T), ("LmPackageName", T), ("KeyLength", T), ("ProcessId", H(0)), ("ProcessName", T), ("IpAddress", T), ("IpPort", T), ("ImpersonationLevel", T)]),
("Microsoft-Windows-Security-Auditing", 4624, 2, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("LogonType", T), ("LogonProcessName", T), ("AuthenticationPackageName", T), ("WorkstationName", T), ("LogonGuid", G), ("TransmittedServices", T), ("LmPackageName", T), ("KeyLength", T), ("ProcessId", H(0)), ("ProcessName", T), ("IpAddress", T), ("IpPort", T), ("ImpersonationLevel", T), ("RestrictedAdminMode", T), ("TargetOutboundUserName", T), ("TargetOutboundDomainName", T), ("VirtualAccount", T), ("TargetLinkedLogonId", H(0)), ("ElevatedToken", T)]),
("Microsoft-Windows-Security-Auditing", 4625, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("Status", H(0)), ("FailureReason", T), ("SubStatus", H(0)), ("LogonType", T), ("LogonProcessName", T), ("AuthenticationPackageName", T), ("WorkstationName", T), ("TransmittedServices", T), ("LmPackageName", T), ("KeyLength", T), ("ProcessId", H(0)), ("ProcessName", T), ("IpAddress", T), ("IpPort", T)]),
("Microsoft-Windows-Security-Auditing", 4627, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("LogonType", T), ("EventIdx", T), ("EventCountTotal", T), ("GroupMembership", T)]),
("Microsoft-Windows-Security-Auditing", 4634, 0, &[("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("LogonType", T)]),
("Microsoft-Windows-Security-Auditing", 4648, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("LogonGuid", G), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonGuid", G), ("TargetServerName", T), ("TargetInfo", T), ("ProcessId", H(0)), ("ProcessName", T), ("IpAddress", T), ("IpPort", T)]),
("Microsoft-Windows-Security-Auditing", 4656, 1, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("ObjectType", T), ("ObjectName", T), ("HandleId", H(0)), ("TransactionId", G), ("AccessList", T), ("AccessReason", T), ("AccessMask", H(0)), ("PrivilegeList", T), ("RestrictedSidCount", T), ("ProcessId", H(0)), ("ProcessName", T), ("ResourceAttributes", T)]),
("Microsoft-Windows-Security-Auditing", 4658, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("HandleId", H(0)), ("ProcessId", H(0)), ("ProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4661, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("ObjectType", T), ("ObjectName", T), ("HandleId", H(0)), ("TransactionId", G), ("AccessList", T), ("AccessMask", H(0)), ("PrivilegeList", T), ("Properties", T), ("RestrictedSidCount", T), ("ProcessId", H(0)), ("ProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4662, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("ObjectType", T), ("ObjectName", T), ("OperationType", T), ("HandleId", H(0)), ("AccessList", T), ("AccessMask", H(0)), ("Properties", T), ("AdditionalInfo", T), ("AdditionalInfo2", T)]),
("Microsoft-Windows-Security-Auditing", 4663, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("ObjectType", T), ("ObjectName", T), ("HandleId", H(0)), ("AccessList", T), ("AccessMask", H(0)), ("ProcessId", H(0)), ("ProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4663, 1, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("ObjectType", T), ("ObjectName", T), ("HandleId", H(0)), ("AccessList", T), ("AccessMask", H(0)), ("ProcessId", H(0)), ("ProcessName", T), ("ResourceAttributes", T)]),
("Microsoft-Windows-Security-Auditing", 4672, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T)]),
("Microsoft-Windows-Security-Auditing", 4673, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectServer", T), ("Service", T), ("PrivilegeList", T), ("ProcessId", H(0)), ("ProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4688, 1, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("NewProcessId", H(0)), ("NewProcessName", T), ("TokenElevationType", T), ("ProcessId", H(0)), ("CommandLine", T)]),
("Microsoft-Windows-Security-Auditing", 4688, 2, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("NewProcessId", H(0)), ("NewProcessName", T), ("TokenElevationType", T), ("ProcessId", H(0)), ("CommandLine", T), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("ParentProcessName", T), ("MandatoryLabel", T)]),
("Microsoft-Windows-Security-Auditing", 4698, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TaskName", T), ("TaskContent", T)]),
("Microsoft-Windows-Security-Auditing", 4699, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TaskName", T), ("TaskContent", T)]),
("Microsoft-Windows-Security-Auditing", 4702, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TaskName", T), ("TaskContentNew", T)]),
("Microsoft-Windows-Security-Auditing", 4703, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TargetUserSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetLogonId", H(0)), ("ProcessName", T), ("ProcessId", H(0)), ("EnabledPrivilegeList", T), ("DisabledPrivilegeList", T)]),
("Microsoft-Windows-Security-Auditing", 4719, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("CategoryId", T), ("SubcategoryId", T), ("SubcategoryGuid", G), ("AuditPolicyChanges", T)]),
("Microsoft-Windows-Security-Auditing", 4720, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T), ("SamAccountName", T), ("DisplayName", T), ("UserPrincipalName", T), ("HomeDirectory", T), ("HomePath", T), ("ScriptPath", T), ("ProfilePath", T), ("UserWorkstations", T), ("PasswordLastSet", T), ("AccountExpires", T), ("PrimaryGroupId", T), ("AllowedToDelegateTo", T), ("OldUacValue", H(0)), ("NewUacValue", H(0)), ("UserAccountControl", T), ("UserParameters", T), ("SidHistory", T), ("LogonHours", T)]),
("Microsoft-Windows-Security-Auditing", 4722, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0))]),
("Microsoft-Windows-Security-Auditing", 4724, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0))]),
("Microsoft-Windows-Security-Auditing", 4732, 0, &[("MemberName", T), ("MemberSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T)]),
("Microsoft-Windows-Security-Auditing", 4738, 0, &[("Dummy", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T), ("SamAccountName", T), ("DisplayName", T), ("UserPrincipalName", T), ("HomeDirectory", T), ("HomePath", T), ("ScriptPath", T), ("ProfilePath", T), ("UserWorkstations", T), ("PasswordLastSet", T), ("AccountExpires", T), ("PrimaryGroupId", T), ("AllowedToDelegateTo", T), ("OldUacValue", T), ("NewUacValue", T), ("UserAccountControl", T), ("UserParameters", T), ("SidHistory", T), ("LogonHours", T)]),
("Microsoft-Windows-Security-Auditing", 4741, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T), ("SamAccountName", T), ("DisplayName", T), ("UserPrincipalName", T), ("HomeDirectory", T), ("HomePath", T), ("ScriptPath", T), ("ProfilePath", T), ("UserWorkstations", T), ("PasswordLastSet", T), ("AccountExpires", T), ("PrimaryGroupId", T), ("AllowedToDelegateTo", T), ("OldUacValue", H(0)), ("NewUacValue", H(0)), ("UserAccountControl", T), ("UserParameters", T), ("SidHistory", T), ("LogonHours", T), ("DnsHostName", T), ("ServicePrincipalNames", T)]),
("Microsoft-Windows-Security-Auditing", 4742, 0, &[("ComputerAccountChange", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T), ("SamAccountName", T), ("DisplayName", T), ("UserPrincipalName", T), ("HomeDirectory", T), ("HomePath", T), ("ScriptPath", T), ("ProfilePath", T), ("UserWorkstations", T), ("PasswordLastSet", T), ("AccountExpires", T), ("PrimaryGroupId", T), ("AllowedToDelegateTo", T), ("OldUacValue", T), ("NewUacValue", T), ("UserAccountControl", T), ("UserParameters", T), ("SidHistory", T), ("LogonHours", T), ("DnsHostName", T), ("ServicePrincipalNames", T)]),
("Microsoft-Windows-Security-Auditing", 4765, 0, &[("SourceUserName", T), ("SourceSid", T), ("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T), ("SidList", T)]),
("Microsoft-Windows-Security-Auditing", 4768, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("ServiceName", T), ("ServiceSid", T), ("TicketOptions", H(0)), ("Status", H(0)), ("TicketEncryptionType", H(0)), ("PreAuthType", T), ("IpAddress", T), ("IpPort", T), ("CertIssuerName", T), ("CertSerialNumber", T), ("CertThumbprint", T)]),
("Microsoft-Windows-Security-Auditing", 4769, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("ServiceName", T), ("ServiceSid", T), ("TicketOptions", H(0)), ("TicketEncryptionType", H(0)), ("IpAddress", T), ("IpPort", T), ("Status", H(0)), ("LogonGuid", G), ("TransmittedServices", T)]),
("Microsoft-Windows-Security-Auditing", 4771, 0, &[("TargetUserName", T), ("TargetSid", T), ("ServiceName", T), ("TicketOptions", H(0)), ("Status", H(0)), ("PreAuthType", T), ("IpAddress", T), ("IpPort", T), ("CertIssuerName", T), ("CertSerialNumber", T), ("CertThumbprint", T)]),
("Microsoft-Windows-Security-Auditing", 4776, 0, &[("PackageName", T), ("TargetUserName", T), ("Workstation", T), ("Status", H(0))]),
("Microsoft-Windows-Security-Auditing", 4781, 0, &[("OldTargetUserName", T), ("NewTargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("PrivilegeList", T)]),
("Microsoft-Windows-Security-Auditing", 4794, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("Workstation", T), ("Status", H(0))]),
("Microsoft-Windows-Security-Auditing", 4798, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("CallerProcessId", H(0)), ("CallerProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4799, 0, &[("TargetUserName", T), ("TargetDomainName", T), ("TargetSid", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("CallerProcessId", H(0)), ("CallerProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 4826, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("LoadOptions", T), ("AdvancedOptions", T), ("ConfigAccessPolicy", T), ("RemoteEventLogging", T), ("KernelDebug", T), ("VsmLaunchType", T), ("TestSigning", T), ("FlightSigning", T), ("DisableIntegrityChecks", T), ("HypervisorLoadOptions", T), ("HypervisorLaunchType", T), ("HypervisorDebug", T)]),
("Microsoft-Windows-Security-Auditing", 4985, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("TransactionId", G), ("NewState", T), ("ResourceManager", G), ("ProcessId", H(0)), ("ProcessName", T)]),
("Microsoft-Windows-Security-Auditing", 5136, 0, &[("OpCorrelationID", G), ("AppCorrelationID", T), ("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("DSName", T), ("DSType", T), ("ObjectDN", T), ("ObjectGUID", G), ("ObjectClass", T), ("AttributeLDAPDisplayName", T), ("AttributeSyntaxOID", T), ("AttributeValue", T), ("OperationType", T)]),
("Microsoft-Windows-Security-Auditing", 5140, 1, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectType", T), ("IpAddress", T), ("IpPort", T), ("ShareName", T), ("ShareLocalPath", T), ("AccessMask", H(0)), ("AccessList", T)]),
("Microsoft-Windows-Security-Auditing", 5142, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ShareName", T), ("ShareLocalPath", T)]),
("Microsoft-Windows-Security-Auditing", 5145, 0, &[("SubjectUserSid", T), ("SubjectUserName", T), ("SubjectDomainName", T), ("SubjectLogonId", H(0)), ("ObjectType", T), ("IpAddress", T), ("IpPort", T), ("ShareName", T), ("ShareLocalPath", T), ("RelativeTargetName", T), ("AccessMask", H(0)), ("AccessList", T), ("AccessReason", T)]),
("Microsoft-Windows-Security-Auditing", 5156, 1, &[("ProcessID", T), ("Application", T), ("Direction", T), ("SourceAddress", T), ("SourcePort", T), ("DestAddress", T), ("DestPort", T), ("Protocol", T), ("FilterRTID", T), ("LayerName", T), ("LayerRTID", T), ("RemoteUserID", T), ("RemoteMachineID", T)]),
("Microsoft-Windows-Security-Auditing", 5158, 0, &[("ProcessId", T), ("Application", T), ("SourceAddress", T), ("SourcePort", T), ("Protocol", T), ("FilterRTID", T), ("LayerName", T), ("LayerRTID", T)]),
("Microsoft-Windows-Sysmon", 1, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("CommandLine", T), ("CurrentDirectory", T), ("User", T), ("LogonGuid", G), ("LogonId", H(0)), ("TerminalSessionId", T), ("IntegrityLevel", T), ("Hashes", T), ("ParentProcessGuid", G), ("ParentProcessId", T), ("ParentImage", T), ("ParentCommandLine", T)]),
("Microsoft-Windows-Sysmon", 1, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("OriginalFileName", T), ("CommandLine", T), ("CurrentDirectory", T), ("User", T), ("LogonGuid", G), ("LogonId", H(0)), ("TerminalSessionId", T), ("IntegrityLevel", T), ("Hashes", T), ("ParentProcessGuid", G), ("ParentProcessId", T), ("ParentImage", T), ("ParentCommandLine", T)]),
("Microsoft-Windows-Sysmon", 1, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("OriginalFileName", T), ("CommandLine", T), ("CurrentDirectory", T), ("User", T), ("LogonGuid", G), ("LogonId", H(0)), ("TerminalSessionId", T), ("IntegrityLevel", T), ("Hashes", T), ("ParentProcessGuid", G), ("ParentProcessId", T), ("ParentImage", T), ("ParentCommandLine", T), ("ParentUser", T)]),
("Microsoft-Windows-Sysmon", 2, 4, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetFilename", T), ("CreationUtcTime", T), ("PreviousCreationUtcTime", T)]),
("Microsoft-Windows-Sysmon", 3, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("User", T), ("Protocol", T), ("Initiated", T), ("SourceIsIpv6", T), ("SourceIp", T), ("SourceHostname", T), ("SourcePort", T), ("SourcePortName", T), ("DestinationIsIpv6", T), ("DestinationIp", T), ("DestinationHostname", T), ("DestinationPort", T), ("DestinationPortName", T)]),
("Microsoft-Windows-Sysmon", 4, 3, &[("UtcTime", T), ("State", T), ("Version", T), ("SchemaVersion", T)]),
("Microsoft-Windows-Sysmon", 5, 3, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 6, 3, &[("RuleName", T), ("UtcTime", T), ("ImageLoaded", T), ("Hashes", T), ("Signed", T), ("Signature", T), ("SignatureStatus", T)]),
("Microsoft-Windows-Sysmon", 7, 3, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("ImageLoaded", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("Hashes", T), ("Signed", T), ("Signature", T), ("SignatureStatus", T)]),
("Microsoft-Windows-Sysmon", 7, 3, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("ImageLoaded", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("OriginalFileName", T), ("Hashes", T), ("Signed", T), ("Signature", T), ("SignatureStatus", T)]),
("Microsoft-Windows-Sysmon", 7, 3, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("ImageLoaded", T), ("FileVersion", T), ("Description", T), ("Product", T), ("Company", T), ("OriginalFileName", T), ("Hashes", T), ("Signed", T), ("Signature", T), ("SignatureStatus", T), ("User", T)]),
("Microsoft-Windows-Sysmon", 8, 2, &[("RuleName", T), ("UtcTime", T), ("SourceProcessGuid", G), ("SourceProcessId", T), ("SourceImage", T), ("TargetProcessGuid", G), ("TargetProcessId", T), ("TargetImage", T), ("NewThreadId", T), ("StartAddress", X(0)), ("StartModule", T), ("StartFunction", T)]),
("Microsoft-Windows-Sysmon", 10, 3, &[("RuleName", T), ("UtcTime", T), ("SourceProcessGUID", G), ("SourceProcessId", T), ("SourceThreadId", T), ("SourceImage", T), ("TargetProcessGUID", G), ("TargetProcessId", T), ("TargetImage", T), ("GrantedAccess", H(0)), ("CallTrace", T)]),
("Microsoft-Windows-Sysmon", 10, 3, &[("RuleName", T), ("UtcTime", T), ("SourceProcessGUID", G), ("SourceProcessId", T), ("SourceThreadId", T), ("SourceImage", T), ("TargetProcessGUID", G), ("TargetProcessId", T), ("TargetImage", T), ("GrantedAccess", H(0)), ("CallTrace", T), ("SourceUser", T), ("TargetUser", T)]),
("Microsoft-Windows-Sysmon", 11, 2, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetFilename", T), ("CreationUtcTime", T)]),
("Microsoft-Windows-Sysmon", 11, 2, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetFilename", T), ("CreationUtcTime", T), ("User", T)]),
("Microsoft-Windows-Sysmon", 12, 2, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetObject", T)]),
("Microsoft-Windows-Sysmon", 13, 2, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetObject", T), ("Details", T)]),
("Microsoft-Windows-Sysmon", 13, 2, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetObject", T), ("Details", T), ("User", T)]),
("Microsoft-Windows-Sysmon", 15, 2, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("Image", T), ("TargetFilename", T), ("CreationUtcTime", T), ("Hash", T)]),
("Microsoft-Windows-Sysmon", 16, 3, &[("UtcTime", T), ("Configuration", T), ("ConfigurationFileHash", T)]),
("Microsoft-Windows-Sysmon", 17, 1, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("PipeName", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 17, 1, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("PipeName", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 18, 1, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("PipeName", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 18, 1, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("PipeName", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 19, 3, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("Operation", T), ("User", T), ("EventNamespace", T), ("Name", T), ("Query", T)]),
("Microsoft-Windows-Sysmon", 20, 3, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("Operation", T), ("User", T), ("Name", T), ("Type", T), ("Destination", T)]),
("Microsoft-Windows-Sysmon", 21, 3, &[("RuleName", T), ("EventType", T), ("UtcTime", T), ("Operation", T), ("User", T), ("Consumer", T), ("Filter", T)]),
("Microsoft-Windows-Sysmon", 22, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("QueryName", T), ("QueryStatus", T), ("QueryResults", T), ("Image", T)]),
("Microsoft-Windows-Sysmon", 23, 5, &[("RuleName", T), ("UtcTime", T), ("ProcessGuid", G), ("ProcessId", T), ("User", T), ("Image", T), ("TargetFilename", T), ("Hashes", T), ("IsExecutable", T), ("Archived", T)]),
("Microsoft-Windows-TerminalServices-RemoteConnectionManager", 258, 0, &[("listenerName", T)]),
("Microsoft-Windows-TerminalServices-RemoteConnectionManager", 261, 0, &[("listenerName", T)]),
("Microsoft-Windows-TerminalServices-RemoteConnectionManager", 1149, 0, &[("Param1", T), ("Param2", T), ("Param3", T)]),
("Microsoft-Windows-WinRM", 169, 0, &[("username", T), ("authenticationMechanism", T)]),
("Microsoft-Windows-Windows Defender", 1116, 0, &[("Product Name", T), ("Product Version", T), ("Detection ID", GU), ("Detection Time", T), ("Unused", T), ("Unused2", T), ("Threat ID", T), ("Threat Name", T), ("Severity ID", T), ("Severity Name", T), ("Category ID", T), ("Category Name", T), ("FWLink", T), ("Status Code", T), ("Status Description", T), ("State", T), ("Source ID", T), ("Source Name", T), ("Process Name", T), ("Detection User", T), ("Unused3", T), ("Path", T), ("Origin ID", T), ("Origin Name", T), ("Execution ID", T), ("Execution Name", T), ("Type ID", T), ("Type Name", T), ("Pre Execution Status", T), ("Action ID", T), ("Action Name", T), ("Unused4", T), ("Error Code", H(8)), ("Error Description", T), ("Unused5", T), ("Post Clean Status", T), ("Additional Actions ID", T), ("Additional Actions String", T), ("Remediation User", T), ("Unused6", T), ("Signature Version", T), ("Engine Version", T)]),
("Microsoft-Windows-Windows Defender", 1117, 0, &[("Product Name", T), ("Product Version", T), ("Detection ID", GU), ("Detection Time", T), ("Unused", T), ("Unused2", T), ("Threat ID", T), ("Threat Name", T), ("Severity ID", T), ("Severity Name", T), ("Category ID", T), ("Category Name", T), ("FWLink", T), ("Status Code", T), ("Status Description", T), ("State", T), ("Source ID", T), ("Source Name", T), ("Process Name", T), ("Detection User", T), ("Unused3", T), ("Path", T), ("Origin ID", T), ("Origin Name", T), ("Execution ID", T), ("Execution Name", T), ("Type ID", T), ("Type Name", T), ("Pre Execution Status", T), ("Action ID", T), ("Action Name", T), ("Unused4", T), ("Error Code", H(8)), ("Error Description", T), ("Unused5", T), ("Post Clean Status", T), ("Additional Actions ID", T), ("Additional Actions String", T), ("Remediation User", T), ("Unused6", T), ("Signature Version", T), ("Engine Version", T)]),
("Microsoft-Windows-Winsock-WS2HELP", 1, 0, &[("LSPName", T), ("Catalog", T), ("Installer", T), ("GUID", G), ("Category", T)]),
("Service Control Manager", 7036, 0, &[("param1", T), ("param2", T)]),
("Service Control Manager", 7045, 0, &[("ServiceName", T), ("ImagePath", T), ("ServiceType", T), ("StartType", T), ("AccountName", T)]),
// END GENERATED
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_found() {
        let key = |t: &Template| (t.0, t.1, t.2, t.3.len());
        assert!(TEMPLATES.windows(2).all(|w| key(&w[0]) < key(&w[1])), "sorted, no duplicate keys");
        for t in TEMPLATES {
            assert_eq!(find(t.0, t.1.into(), t.2.into(), t.3.len()), Some(t.3));
        }
        assert_eq!(find("nobody", 1, 0, 1), None);
        assert_eq!(find("nobody", -1, 0, 1), None);
    }
}
