//! Logsource routing: which Sigma `product`/`service`/`category` each decoded record satisfies,
//! and whether Vigil has any decoder that can satisfy a rule's logsource at all.
//!
//! Every decoder declares its logsource in the registry ([`vigil_decode::DECODERS`],
//! [`vigil_decode::Decoder::logsource`]): a fixed product and service (`aws`/`cloudtrail`,
//! `okta`/`okta`, `github`/`audit`), a service per record (Zeek's log name), none (generic
//! JSON), or the Windows event channel, with a category where the decoder's records are all of
//! one (Cisco Umbrella's `dns`, which SigmaHQ's product-less `category: dns` rules see). Routing
//! reads that declaration; only the Windows tables
//! live here, and Sysmon for Linux's (its events come in the Windows shapes, from the
//! `Linux-Sysmon/Operational` channel, and satisfy SigmaHQ's `linux` rules of their categories). They follow the SigmaHQ conventions (the `windows` product, services by event
//! channel, categories by Sysmon/Security/PowerShell event ids). Field names that differ between
//! the sources of one category (Security 4688 names the new process `NewProcessName` where Sysmon
//! says `Image`) are mapped on the event side, in [`crate::view`].

use rsigma_parser::LogSource;
use vigil_decode::{DECODERS, Service};

/// A rule's logsource, lower-cased, as the key rules are grouped by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RouteKey {
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
}

impl RouteKey {
    pub fn of(ls: &LogSource) -> RouteKey {
        let norm = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty());
        RouteKey { product: norm(&ls.product), service: norm(&ls.service), category: norm(&ls.category) }
    }
}

impl std::fmt::Display for RouteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = [("product", &self.product), ("service", &self.service), ("category", &self.category)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}")))
            .collect();
        if parts.is_empty() { write!(f, "(any)") } else { write!(f, "{}", parts.join(" ")) }
    }
}

/// Windows services and the event channels that carry them.
pub const WINDOWS_SERVICES: &[(&str, &[&str])] = &[
    ("security", &["Security"]),
    ("system", &["System"]),
    ("application", &["Application"]),
    ("sysmon", &["Microsoft-Windows-Sysmon/Operational"]),
    ("powershell", &["Microsoft-Windows-PowerShell/Operational", "PowerShellCore/Operational"]),
    ("powershell-classic", &["Windows PowerShell"]),
    ("taskscheduler", &["Microsoft-Windows-TaskScheduler/Operational"]),
    ("wmi", &["Microsoft-Windows-WMI-Activity/Operational"]),
    ("ntlm", &["Microsoft-Windows-NTLM/Operational"]),
    ("dhcp", &["Microsoft-Windows-DHCP-Server/Operational"]),
    ("dns-server", &["DNS Server"]),
    ("driver-framework", &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"]),
    ("printservice-admin", &["Microsoft-Windows-PrintService/Admin"]),
    ("printservice-operational", &["Microsoft-Windows-PrintService/Operational"]),
    ("smbclient-security", &["Microsoft-Windows-SmbClient/Security"]),
    ("smbclient-connectivity", &["Microsoft-Windows-SmbClient/Connectivity"]),
    ("smbserver-connectivity", &["Microsoft-Windows-SMBServer/Connectivity"]),
    ("terminalservices-localsessionmanager", &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"]),
    ("codeintegrity-operational", &["Microsoft-Windows-CodeIntegrity/Operational"]),
    (
        "applocker",
        &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
    ),
    ("msexchange-management", &["MSExchange Management"]),
    ("windefend", &["Microsoft-Windows-Windows Defender/Operational"]),
    ("firewall-as", &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"]),
    ("bits-client", &["Microsoft-Windows-Bits-Client/Operational"]),
    (
        "security-mitigations",
        &["Microsoft-Windows-Security-Mitigations/Kernel Mode", "Microsoft-Windows-Security-Mitigations/User Mode"],
    ),
    ("diagnosis-scripted", &["Microsoft-Windows-Diagnosis-Scripted/Operational"]),
    ("shell-core", &["Microsoft-Windows-Shell-Core/Operational"]),
    ("openssh", &["OpenSSH/Operational"]),
    ("ldap", &["Microsoft-Windows-LDAP-Client/Debug"]),
    ("bitlocker", &["Microsoft-Windows-BitLocker/BitLocker Management"]),
    ("vhdmp", &["Microsoft-Windows-VHDMP/Operational"]),
    ("appxdeployment-server", &["Microsoft-Windows-AppXDeploymentServer/Operational"]),
    ("lsa-server", &["Microsoft-Windows-LSA/Operational"]),
    ("appxpackaging-om", &["Microsoft-Windows-AppxPackaging/Operational"]),
    ("dns-client", &["Microsoft-Windows-DNS Client Events/Operational"]),
    ("appmodel-runtime", &["Microsoft-Windows-AppModel-Runtime/Admin"]),
    ("capi2", &["Microsoft-Windows-CAPI2/Operational"]),
    (
        "certificateservicesclient-lifecycle-system",
        &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"],
    ),
    (
        "kernel-shimengine",
        &["Microsoft-Windows-Kernel-ShimEngine/Operational", "Microsoft-Windows-Kernel-ShimEngine/Diagnostic"],
    ),
    (
        "application-experience",
        &[
            "Microsoft-Windows-Application-Experience/Program-Telemetry",
            "Microsoft-Windows-Application-Experience/Program-Compatibility-Assistant",
        ],
    ),
    ("ntfs", &["Microsoft-Windows-Ntfs/Operational"]),
    ("hyper-v-worker", &["Microsoft-Windows-Hyper-V-Worker"]),
    ("kernel-event-tracing", &["Microsoft-Windows-Kernel-EventTracing"]),
    ("sense", &["Microsoft-Windows-SENSE/Operational"]),
    ("servicebus-client", &["Microsoft-ServiceBus-Client/Admin", "Microsoft-ServiceBus-Client/Operational"]),
    ("microsoft-servicebus-client", &["Microsoft-ServiceBus-Client/Admin", "Microsoft-ServiceBus-Client/Operational"]),
    ("iis-configuration", &["Microsoft-IIS-Configuration/Operational"]),
];

/// Windows categories: the category, the service whose channel carries it, and its event ids.
pub const WINDOWS_CATEGORIES: &[(&str, &str, &[u32])] = &[
    ("process_creation", "sysmon", &[1]),
    ("process_creation", "security", &[4688]),
    ("file_change", "sysmon", &[2]),
    ("network_connection", "sysmon", &[3]),
    ("sysmon_status", "sysmon", &[4, 16]),
    ("process_termination", "sysmon", &[5]),
    ("driver_load", "sysmon", &[6]),
    ("image_load", "sysmon", &[7]),
    ("create_remote_thread", "sysmon", &[8]),
    ("raw_access_thread", "sysmon", &[9]),
    ("process_access", "sysmon", &[10]),
    ("file_event", "sysmon", &[11]),
    ("registry_event", "sysmon", &[12, 13, 14]),
    ("registry_set", "sysmon", &[13]),
    ("registry_rename", "sysmon", &[14]),
    ("create_stream_hash", "sysmon", &[15]),
    ("pipe_created", "sysmon", &[17, 18]),
    ("wmi_event", "sysmon", &[19, 20, 21]),
    ("dns_query", "sysmon", &[22]),
    ("file_delete", "sysmon", &[23]),
    ("clipboard_change", "sysmon", &[24]),
    ("process_tampering", "sysmon", &[25]),
    ("file_delete_detected", "sysmon", &[26]),
    ("file_block_executable", "sysmon", &[27]),
    ("file_block_shredding", "sysmon", &[28]),
    ("file_executable_detected", "sysmon", &[29]),
    ("sysmon_error", "sysmon", &[255]),
    ("ps_module", "powershell", &[4103]),
    ("ps_script", "powershell", &[4104]),
    ("ps_classic_start", "powershell-classic", &[400]),
    ("ps_classic_provider_start", "powershell-classic", &[600]),
    ("ps_classic_script", "powershell-classic", &[800]),
    ("antivirus", "windefend", &[1006, 1007, 1008, 1009, 1010, 1011, 1012, 1017, 1018, 1019, 1115, 1116]),
    // Sysmon 12 splits by EventType; see `windows_categories`.
    ("registry_add", "sysmon", &[12]),
    ("registry_delete", "sysmon", &[12]),
];

/// The Sysmon event ids Sysmon for Linux writes (process creation and termination, network
/// connections, raw access reads, file creation and deletion, its own state and errors).
pub const LINUX_SYSMON_EVENT_IDS: &[u32] = &[1, 3, 4, 5, 9, 11, 16, 23, 255];

/// The logsource of a Sysmon for Linux event: SigmaHQ's `linux` product, the `sysmon` service
/// and the categories the same event id has in Windows Sysmon (`process_creation` for 1 …).
pub fn linux_sysmon_source(event_id: Option<u32>) -> EventSource<'static> {
    let categories = match event_id {
        Some(id) if LINUX_SYSMON_EVENT_IDS.contains(&id) => windows_categories(Some("sysmon"), id, None),
        _ => Vec::new(),
    };
    EventSource { product: Some("linux"), service: Some("sysmon"), categories }
}

/// Whether Sysmon for Linux's events satisfy a `linux` rule's service and category.
fn linux_sysmon_routes(service: Option<&str>, category: Option<&str>) -> bool {
    service.is_none_or(|s| s == "sysmon")
        && category.is_none_or(|c| {
            WINDOWS_CATEGORIES.iter().any(|(n, svc, ids)| {
                *n == c && *svc == "sysmon" && ids.iter().any(|id| LINUX_SYSMON_EVENT_IDS.contains(id))
            })
        })
}

/// The service of a Windows channel (case-insensitive).
pub fn windows_service(channel: &str) -> Option<&'static str> {
    WINDOWS_SERVICES.iter().find(|(_, chans)| chans.iter().any(|c| c.eq_ignore_ascii_case(channel))).map(|(s, _)| *s)
}

/// The categories a Windows event belongs to. `event_type` is Sysmon's EventType (registry events).
pub fn windows_categories(service: Option<&str>, event_id: u32, event_type: Option<&str>) -> Vec<&'static str> {
    let Some(service) = service else { return Vec::new() };
    let mut out = Vec::new();
    for (cat, svc, ids) in WINDOWS_CATEGORIES {
        if *svc != service || !ids.contains(&event_id) {
            continue;
        }
        let ok = match *cat {
            "registry_add" => event_type.is_some_and(|t| t.eq_ignore_ascii_case("CreateKey")),
            "registry_delete" => {
                event_type.is_some_and(|t| t.eq_ignore_ascii_case("DeleteKey") || t.eq_ignore_ascii_case("DeleteValue"))
            }
            _ => true,
        };
        if ok && !out.contains(cat) {
            out.push(*cat);
        }
    }
    out
}

/// The logsource one record satisfies: a product, at most one service, any number of categories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventSource<'a> {
    pub product: Option<&'a str>,
    pub service: Option<&'a str>,
    pub categories: Vec<&'a str>,
}

impl EventSource<'_> {
    /// Every rule key this record can be routed to: each of product, service and category either
    /// as the record has it or left open, as a rule may leave it.
    pub fn keys(&self) -> Vec<(Option<&str>, Option<&str>, Option<&str>)> {
        let mut out = Vec::new();
        let products = [self.product, None];
        let services = [self.service, None];
        for p in products.iter().take(if self.product.is_some() { 2 } else { 1 }) {
            for s in services.iter().take(if self.service.is_some() { 2 } else { 1 }) {
                out.push((*p, *s, None));
                for c in &self.categories {
                    out.push((*p, *s, Some(*c)));
                }
            }
        }
        out
    }
}

/// Why no Vigil decoder can produce events for a rule's logsource, or `None` when one can.
pub fn unroutable(key: &RouteKey) -> Option<String> {
    match key.product.as_deref() {
        None => windows_unroutable(key).filter(|_| !category_routes(key)),
        Some(p) if is_windows_product(p) => windows_unroutable(key),
        Some("linux") if linux_sysmon_routes(key.service.as_deref(), key.category.as_deref()) => None,
        Some(p) => registry_unroutable(p, key.service.as_deref(), key.category.as_deref()),
    }
}

/// Whether a rule that names no product but a category is seen by the records of a decoder
/// outside the Windows tables that declares the category (SigmaHQ's `category: dns` rules and
/// Cisco Umbrella's DNS log), of the rule's service when it names one.
fn category_routes(key: &RouteKey) -> bool {
    let Some(category) = key.category.as_deref() else { return false };
    DECODERS.iter().map(|d| d.logsource()).any(|ls| {
        let service_ok = match (key.service.as_deref(), ls.service) {
            (None, _) => true,
            (Some(want), Service::Fixed(s)) => want == s,
            (Some(_), Service::LogName) => true,
            (Some(want), Service::OneOf(names)) => names.contains(&want),
            (Some(_), Service::None | Service::WindowsChannel) => false,
        };
        ls.service != Service::WindowsChannel && ls.category == Some(category) && service_ok
    })
}

/// Whether `product` is the one of the decoders routed by Windows event channel.
fn is_windows_product(product: &str) -> bool {
    DECODERS
        .iter()
        .map(|d| d.logsource())
        .any(|ls| ls.service == Service::WindowsChannel && ls.product == Some(product))
}

/// The Windows tables' answer, for rules naming the Windows product or no product at all.
fn windows_unroutable(key: &RouteKey) -> Option<String> {
    let service = key.service.as_deref();
    let category = key.category.as_deref();
    if let Some(s) = service
        && !WINDOWS_SERVICES.iter().any(|(n, _)| *n == s)
    {
        if key.product.is_none() {
            return Some(format!("no Vigil decoder produces service '{s}' without a product"));
        }
        return Some(format!("no Windows event channel is known for service '{s}'"));
    }
    if let Some(c) = category {
        let known = WINDOWS_CATEGORIES.iter().any(|(n, svc, _)| *n == c && service.is_none_or(|s| s == *svc));
        if !known {
            return Some(match service {
                Some(s) => format!("no Windows event of service '{s}' is of category '{c}'"),
                None if key.product.is_none() => format!("no Vigil decoder produces category '{c}' without a product"),
                None => format!("no Windows event source Vigil reads is of category '{c}'"),
            });
        }
    }
    None
}

/// The registry's answer for any other product: routable when some decoder of the product
/// declares a service and category the rule accepts.
fn registry_unroutable(product: &str, service: Option<&str>, category: Option<&str>) -> Option<String> {
    let decoders: Vec<_> = DECODERS.iter().filter(|d| d.logsource().product == Some(product)).collect();
    if decoders.is_empty() {
        return Some(format!("no Vigil decoder produces product '{product}'"));
    }
    let accepts = |ls: vigil_decode::LogSource| {
        let service_ok = match (service, ls.service) {
            (None, _) => true,
            (Some(want), Service::Fixed(s)) => want == s,
            (Some(_), Service::LogName) => true,
            (Some(want), Service::OneOf(names)) => names.contains(&want),
            (Some(_), Service::None | Service::WindowsChannel) => false,
        };
        service_ok && category.is_none_or(|c| ls.category == Some(c))
    };
    if decoders.iter().any(|d| accepts(d.logsource())) {
        return None;
    }
    let offers: Vec<String> = decoders
        .iter()
        .map(|d| {
            let ls = d.logsource();
            let service = match ls.service {
                Service::Fixed(s) => format!("service '{s}'"),
                Service::LogName => "a service per log (its log name)".to_string(),
                Service::OneOf(names) => format!("the services '{}'", names.join("', '")),
                Service::None | Service::WindowsChannel => "no service".to_string(),
            };
            let category = ls.category.map(|c| format!("category '{c}'")).unwrap_or_else(|| "no category".into());
            format!("the {} decoder gives {service} and {category}", d.name())
        })
        .collect();
    let asks: Vec<String> = [("service", service), ("category", category)]
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k} '{v}'")))
        .collect();
    Some(format!("{product} logs: {}; the rule asks for {}", offers.join(", "), asks.join(" and ")))
}

/// The logsource of a record that is not read as a Windows event: its decoder family's
/// registry entry, with `log_name` as the service of decoders routed by log name (Zeek).
pub fn non_windows_source<'a>(family: &str, log_name: Option<&'a str>) -> EventSource<'a> {
    match vigil_decode::registry::by_family(family) {
        Some(d) => source_of(d.logsource(), log_name),
        None => EventSource::default(),
    }
}

/// The logsource a record of a decoder declaring `ls` satisfies, outside the Windows tables: a
/// record of a Windows decoder that is in no Windows shape satisfies none.
pub fn source_of<'a>(ls: vigil_decode::LogSource, log_name: Option<&'a str>) -> EventSource<'a> {
    let service = match ls.service {
        Service::Fixed(s) => Some(s),
        Service::LogName | Service::OneOf(_) => log_name,
        Service::None => None,
        Service::WindowsChannel => return EventSource::default(),
    };
    EventSource { product: ls.product, service, categories: ls.category.into_iter().collect() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: Option<&str>, s: Option<&str>, c: Option<&str>) -> RouteKey {
        RouteKey { product: p.map(Into::into), service: s.map(Into::into), category: c.map(Into::into) }
    }

    #[test]
    fn sysmon_registry_events_split_by_event_type() {
        assert_eq!(windows_categories(Some("sysmon"), 12, Some("CreateKey")), vec!["registry_event", "registry_add"]);
        assert_eq!(
            windows_categories(Some("sysmon"), 12, Some("DeleteValue")),
            vec!["registry_event", "registry_delete"]
        );
        assert_eq!(windows_categories(Some("sysmon"), 13, Some("SetValue")), vec!["registry_event", "registry_set"]);
        assert_eq!(windows_categories(Some("security"), 4688, None), vec!["process_creation"]);
        assert!(windows_categories(Some("security"), 1, None).is_empty(), "event id 1 is a process only in Sysmon");
        assert!(windows_categories(None, 1, None).is_empty());
    }

    #[test]
    fn linux_rules_of_sysmon_for_linux_categories_are_routable_and_others_say_why_not() {
        for c in ["process_creation", "network_connection", "file_event", "file_delete", "process_termination"] {
            assert_eq!(unroutable(&key(Some("linux"), None, Some(c))), None, "{c}");
        }
        assert_eq!(unroutable(&key(Some("linux"), Some("sysmon"), None)), None);
        assert_eq!(unroutable(&key(Some("linux"), Some("auditd"), None)), None);
        // Sysmon for Linux has no registry, image loads or DNS events.
        for c in ["registry_set", "image_load", "dns_query"] {
            let why = unroutable(&key(Some("linux"), None, Some(c))).expect(c);
            assert!(why.contains(c), "{why}");
        }
        // The syslog decoder's services are routable; a service no decoder names is not.
        for service in ["sshd", "sudo", "cron", "syslog", "auth"] {
            assert_eq!(unroutable(&key(Some("linux"), Some(service), None)), None, "{service}");
        }
        let why = unroutable(&key(Some("linux"), Some("apache"), None)).expect("no apache logs");
        assert!(why.contains("'apache'"), "{why}");
        let src = linux_sysmon_source(Some(1));
        assert_eq!(
            (src.product, src.service, src.categories),
            (Some("linux"), Some("sysmon"), vec!["process_creation"])
        );
        assert!(linux_sysmon_source(Some(7)).categories.is_empty(), "no image loads on Linux");
    }

    #[test]
    fn event_keys_cover_rules_that_leave_dimensions_open() {
        let src =
            EventSource { product: Some("windows"), service: Some("sysmon"), categories: vec!["process_creation"] };
        let keys = src.keys();
        assert!(keys.contains(&(Some("windows"), None, Some("process_creation"))));
        assert!(keys.contains(&(Some("windows"), Some("sysmon"), None)));
        assert!(keys.contains(&(None, None, Some("process_creation"))));
        assert!(keys.contains(&(None, None, None)));
        assert_eq!(keys.len(), 8);
    }

    #[test]
    fn unroutable_rules_say_why() {
        assert!(unroutable(&key(Some("windows"), None, Some("process_creation"))).is_none());
        assert!(unroutable(&key(Some("windows"), Some("security"), None)).is_none());
        assert!(unroutable(&key(Some("aws"), Some("cloudtrail"), None)).is_none());
        assert!(unroutable(&key(Some("zeek"), Some("dns"), None)).is_none());
        assert!(unroutable(&key(Some("zeek"), None, Some("dns"))).unwrap().contains("'dns'"));
        assert!(unroutable(&key(Some("okta"), Some("okta"), None)).is_none());
        assert!(unroutable(&key(Some("okta"), Some("admin"), None)).unwrap().contains("service 'okta'"));
        assert!(unroutable(&key(Some("aws"), Some("cloudtrail"), Some("x"))).is_some());
        assert!(unroutable(&key(Some("github"), Some("audit"), None)).is_none());
        assert!(unroutable(&key(Some("github"), None, None)).is_none());
        assert!(unroutable(&key(Some("github"), Some("webhook"), None)).is_some());
        assert!(unroutable(&key(Some("linux"), Some("auditd"), None)).is_none());
        assert!(unroutable(&key(Some("linux"), None, None)).is_none());
        assert!(unroutable(&key(Some("linux"), None, Some("process_creation"))).is_none(), "Sysmon for Linux");
        let why = unroutable(&key(Some("linux"), None, Some("registry_set"))).unwrap();
        assert!(why.contains("service 'auditd'") && why.contains("registry_set"), "{why}");
        assert!(unroutable(&key(Some("macos"), None, Some("process_creation"))).unwrap().contains("'macos'"));
        assert!(unroutable(&key(Some("windows"), Some("nosuch"), None)).unwrap().contains("'nosuch'"));
        assert!(unroutable(&key(Some("windows"), Some("security"), Some("image_load"))).is_some());
        assert!(windows_service("microsoft-windows-sysmon/operational") == Some("sysmon"));
        // Google Workspace: the gcp product's services per application, beside gcp.audit.
        assert!(unroutable(&key(Some("gcp"), Some("google_workspace.admin"), None)).is_none());
        assert!(unroutable(&key(Some("gcp"), Some("google_workspace.login"), None)).is_none());
        assert!(unroutable(&key(Some("gcp"), Some("gcp.audit"), None)).is_none());
        // Cisco Umbrella's DNS log: the rules of its category that name no product.
        assert!(unroutable(&key(None, None, Some("dns"))).is_none());
        assert!(unroutable(&key(Some("cisco"), Some("umbrella"), Some("dns"))).is_none());
        assert!(unroutable(&key(None, Some("umbrella"), Some("dns"))).is_none());
        assert!(unroutable(&key(None, Some("nosuch"), Some("dns"))).is_some());
        assert!(unroutable(&key(Some("cisco"), None, Some("proxy"))).is_some());
        let why = unroutable(&key(None, None, Some("proxy"))).unwrap();
        assert!(why.contains("'proxy'"), "{why}");
        let why = unroutable(&key(Some("gcp"), Some("google_workspace.nosuch"), None)).unwrap();
        assert!(why.contains("gworkspace") && why.contains("'google_workspace.nosuch'"), "{why}");
    }

    #[test]
    fn non_windows_records_take_their_decoders_logsource() {
        let ct = non_windows_source("cloudtrail", None);
        assert_eq!((ct.product, ct.service), (Some("aws"), Some("cloudtrail")));
        let okta = non_windows_source("okta", None);
        assert_eq!((okta.product, okta.service), (Some("okta"), Some("okta")));
        let zeek = non_windows_source("zeek", Some("dns"));
        assert_eq!((zeek.product, zeek.service), (Some("zeek"), Some("dns")));
        let gh = non_windows_source("github", None);
        assert_eq!((gh.product, gh.service), (Some("github"), Some("audit")));
        let audit = non_windows_source("auditd", None);
        assert_eq!((audit.product, audit.service), (Some("linux"), Some("auditd")));
        let gws = non_windows_source("gworkspace", Some("google_workspace.login"));
        assert_eq!((gws.product, gws.service), (Some("gcp"), Some("google_workspace.login")));
        assert_eq!(non_windows_source("json", None), EventSource::default());
        assert_eq!(non_windows_source("windows", None), EventSource::default(), "not a Windows shape");
        assert_eq!(non_windows_source("nosuch", None), EventSource::default());
    }
}
