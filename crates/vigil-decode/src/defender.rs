//! Microsoft's security alerts to OCSF: Microsoft Graph's security alerts (`alerts_v2`, the
//! alerts of every Defender product, Entra ID Protection and Purview in one shape) and Defender
//! for Endpoint's own alerts API (`/api/alerts`).
//!
//! - **Graph `alert`** (`GET /v1.0/security/alerts_v2`): `id`, `title`, `description`,
//!   `category`, `severity` (`informational` … `high`), `status` (`new`, `inProgress`,
//!   `resolved`), `classification`, `determination`, `serviceSource`, `detectionSource`,
//!   `productName`, `detectorId`, `incidentId`, `createdDateTime`, `lastUpdateDateTime`,
//!   `firstActivityDateTime`, `mitreTechniques`, `alertWebUrl`, `tenantId`, and `evidence`: each
//!   item typed by `@odata.type` (written `at_sign_odata_type` by some stores) —
//!   `userEvidence {userAccount}`, `deviceEvidence {deviceDnsName, mdeDeviceId}`,
//!   `ipEvidence {ipAddress}`, `processEvidence {processCommandLine, processId, imageFile,
//!   parentProcessImageFile}`, `fileEvidence {fileDetails}`, `urlEvidence {url}` …
//! - **Defender for Endpoint alert** (`GET /api/alerts`): `id`, `title`, `description`,
//!   `category`, `severity` (`Informational` … `High`), `status` (`New`, `InProgress`,
//!   `Resolved`), `detectionSource`, `threatFamilyName`, `alertCreationTime`, `lastUpdateTime`,
//!   `firstEventTime`, `machineId`, `computerDnsName`, `mitreTechniques`, `relatedUser
//!   {userName, domainName}`, `aadTenantId`, and `evidence` with `entityType` (`File`,
//!   `Process`, `User`, `Ip`, `Url`) and flat fields.
//!
//! Every alert is a Detection Finding (2004) with the user, the device, the address, the process
//! and the file its evidence names, and a [`Finding`] the detection engine raises as a vendor
//! alert for triage. An alert Microsoft already resolved is kept as an event and raises nothing.
//! A record that is not an object, has no id or title, or no readable time is quarantined
//! naming why.

use serde_json::Value;
use vigil_model::{Level, OcsfClass};

use crate::generic::kind;
use crate::json::text;
use crate::{DecodeError, Decoder, Draft, Finding, LogSource};

pub const FAMILY: &str = "defender";

/// Microsoft Graph security alerts and Defender for Endpoint alerts.
pub struct Defender;

impl Decoder for Defender {
    fn name(&self) -> &'static str {
        "defender"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["graph-security-alerts", "defender-alerts", "mde-alerts"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Microsoft Graph security alerts (alerts_v2) and Defender for Endpoint alerts"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        matches!(log_type, "MicrosoftGraph.SecurityAlertV2" | "MicrosoftGraph.SecurityAlert")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::DetectionFinding]
    }
    /// No SigmaHQ rule is written for these alerts; a team's own rules name `microsoft` /
    /// `security_alert`.
    fn logsource(&self) -> LogSource {
        LogSource::fixed("microsoft", "security_alert")
    }
    fn finding(&self, record: &Value) -> Option<Finding> {
        finding(record)
    }
    fn sample(&self) -> &'static str {
        r##"{"id":"da637551227677560813_-961444813","title":"Suspicious process injection observed","description":"A process injected code into another process.","category":"DefenseEvasion","severity":"high","status":"new","serviceSource":"microsoftDefenderForEndpoint","detectionSource":"microsoftDefenderForEndpoint","productName":"Microsoft Defender for Endpoint","incidentId":"2972395","createdDateTime":"2024-05-29T16:20:01.000Z","lastUpdateDateTime":"2024-05-29T16:25:00.000Z","mitreTechniques":["T1055"],"alertWebUrl":"https://security.microsoft.com/alerts/da637551227677560813_-961444813","tenantId":"b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c","evidence":[{"@odata.type":"#microsoft.graph.security.deviceEvidence","deviceDnsName":"ws-0042.acme.example","mdeDeviceId":"73e7e2de709dff64ef64b1d0c30e67fab63279db"},{"@odata.type":"#microsoft.graph.security.userEvidence","userAccount":{"accountName":"ann","domainName":"ACME","userPrincipalName":"ann@acme.example"}},{"@odata.type":"#microsoft.graph.security.processEvidence","processId":4780,"processCommandLine":"rundll32.exe c:\\temp\\x.dll,Start","imageFile":{"fileName":"rundll32.exe","filePath":"C:\\Windows\\System32"}}]}"##
    }
}

/// Which of the two shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Graph,
    Endpoint,
}

/// Keys only these alerts write: Graph's `serviceSource` or `alertWebUrl` beside its
/// `createdDateTime`; Defender for Endpoint's `alertCreationTime` beside `machineId` or
/// `detectionSource`.
pub fn looks_like(v: &Value) -> bool {
    let has = |k: &str| v.get(k).is_some();
    (has("createdDateTime") && (has("serviceSource") || has("alertWebUrl")) && has("severity"))
        || (has("alertCreationTime") && (has("machineId") || has("detectionSource")))
}

fn head(v: &Value) -> Result<(Shape, i64), DecodeError> {
    if !v.is_object() {
        return Err(DecodeError::Unrecognized(format!("a JSON {} is not a Microsoft security alert", kind(v))));
    }
    let shape = if v.get("alertCreationTime").is_some() { Shape::Endpoint } else { Shape::Graph };
    match v.get("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        None | Some(Value::Null) => return Err(DecodeError::missing("id")),
        Some(other) => return Err(DecodeError::bad("id", &other.to_string())),
    }
    if text(v, "title").is_none() && text(v, "category").is_none() {
        return Err(DecodeError::missing("title"));
    }
    let keys: &[&str] = match shape {
        Shape::Graph => &["createdDateTime", "firstActivityDateTime", "lastUpdateDateTime"],
        Shape::Endpoint => &["alertCreationTime", "firstEventTime", "lastUpdateTime"],
    };
    Ok((shape, crate::time_of(v, keys)?))
}

/// `informational` … `high`; `unknown`, `unknownFutureValue` and anything new informational.
fn level(v: &Value) -> Level {
    Level::of_vendor(text(v, "severity").as_deref())
}

/// The product's name for the service that raised it (`microsoftDefenderForIdentity` →
/// `Microsoft Defender for Identity`).
fn product(v: &Value, shape: Shape) -> String {
    if let Some(p) = text(v, "productName") {
        return p;
    }
    if shape == Shape::Endpoint {
        return "Microsoft Defender for Endpoint".into();
    }
    match text(v, "serviceSource").as_deref() {
        Some(s) if !s.is_empty() => {
            let mut out = String::new();
            for c in s.chars() {
                if c.is_ascii_uppercase() {
                    out.push(' ');
                }
                out.push(c);
            }
            let out = out.replace(" For ", " for ");
            let mut cs = out.chars();
            cs.next().map(|f| f.to_ascii_uppercase().to_string() + cs.as_str()).unwrap_or_default()
        }
        _ => "Microsoft security alert".into(),
    }
}

pub fn finding(v: &Value) -> Option<Finding> {
    let (shape, _) = head(v).ok()?;
    let title = text(v, "title").or_else(|| text(v, "category")).unwrap_or_default();
    let mut tags = Vec::new();
    if let Some(c) = text(v, "category") {
        tags.extend(Finding::tactic_tag(&c));
    }
    if let Some(Value::Array(ts)) = v.get("mitreTechniques") {
        for t in ts.iter().take(32) {
            tags.extend(t.as_str().and_then(Finding::technique_tag));
        }
    }
    tags.dedup();
    Some(Finding {
        product: product(v, shape),
        rule_id: format!("defender:{title}"),
        title,
        description: text(v, "description").filter(|d| !d.trim().is_empty()),
        level: level(v),
        uid: text(v, "id"),
        open: !text(v, "status").is_some_and(|s| s.eq_ignore_ascii_case("resolved")),
        tags,
        confidence: None,
        link: text(v, "alertWebUrl"),
    })
}

/// The evidence items, each with its type in lower case without Graph's namespace
/// (`userevidence`, `file`).
fn evidence(v: &Value) -> impl Iterator<Item = (String, &Value)> {
    let items = match v.get("evidence") {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    };
    items.iter().take(256).map(|e| {
        let t = text(e, "@odata.type")
            .or_else(|| text(e, "at_sign_odata_type"))
            .or_else(|| text(e, "entityType"))
            .unwrap_or_default();
        (t.rsplit('.').next().unwrap_or_default().to_ascii_lowercase(), e)
    })
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (shape, time) = head(v)?;
    let f = finding(v);
    let e = d.start(OcsfClass::DetectionFinding, 1, time, "Microsoft security alerts", "Microsoft");
    e.metadata.log_name = Some(match shape {
        Shape::Graph => "alerts_v2".into(),
        Shape::Endpoint => "mde_alerts".into(),
    });
    if let Some(f) = &f {
        e.metadata.original_uid = f.uid.clone();
        e.metadata.event_code = text(v, "detectorId").or_else(|| text(v, "category"));
        e.severity = f.level.event_severity();
        e.message = Some(match &f.description {
            Some(desc) => format!("{}: {desc}", f.title),
            None => f.title.clone(),
        });
    }
    e.status_detail = text(v, "status").map(|s| match text(v, "determination").or_else(|| text(v, "classification")) {
        Some(why) if why != "unknown" => format!("{s}: {why}"),
        _ => s,
    });
    if let Some(host) = text(v, "computerDnsName") {
        let dv = e.device_mut();
        dv.hostname = Some(host);
        dv.uid = text(v, "machineId");
    }
    if let Some(user) = text(v, "relatedUser.userName") {
        let u = e.user_mut();
        u.name = Some(user);
        u.domain = text(v, "relatedUser.domainName");
    }
    for (t, item) in evidence(v) {
        match t.as_str() {
            "userevidence" | "user" => {
                if e.user.as_ref().is_some_and(|u| u.name.is_some()) {
                    continue;
                }
                let name = text(item, "userAccount.userPrincipalName")
                    .or_else(|| text(item, "userPrincipalName"))
                    .or_else(|| text(item, "userAccount.accountName"))
                    .or_else(|| text(item, "accountName"));
                let Some(name) = name else { continue };
                let u = e.user_mut();
                u.email = name.contains('@').then(|| name.clone());
                u.name = Some(name);
                u.uid = text(item, "userAccount.azureAdUserId").or_else(|| text(item, "aadUserId"));
                u.domain = text(item, "userAccount.domainName").or_else(|| text(item, "domainName"));
            }
            "deviceevidence" | "machine" => {
                if e.device.as_ref().is_some_and(|dv| dv.hostname.is_some()) {
                    continue;
                }
                if let Some(host) = text(item, "deviceDnsName").or_else(|| text(item, "computerDnsName")) {
                    let dv = e.device_mut();
                    dv.hostname = Some(host);
                    dv.uid = text(item, "mdeDeviceId").or_else(|| text(item, "machineId"));
                    dv.os = text(item, "osPlatform");
                }
            }
            "ipevidence" | "ip" => {
                if e.src_endpoint.is_none()
                    && let Some(ip) = text(item, "ipAddress")
                {
                    let s = e.src_mut();
                    s.ip = Some(ip);
                    if let Some(cc) = text(item, "countryLetterCode") {
                        s.geo.get_or_insert_with(Default::default).country = Some(cc);
                    }
                }
            }
            "processevidence" | "process" => {
                if e.process.is_some() {
                    continue;
                }
                let cmd = text(item, "processCommandLine");
                let name = text(item, "imageFile.fileName").or_else(|| text(item, "fileName"));
                let dir = text(item, "imageFile.filePath").or_else(|| text(item, "filePath"));
                if cmd.is_none() && name.is_none() {
                    continue;
                }
                let p = e.process_mut();
                p.cmd_line = cmd;
                p.path = join(dir.as_deref(), name.as_deref());
                p.name = name;
                p.pid = item.get("processId").and_then(Value::as_i64);
                p.parent_pid = item.get("parentProcessId").and_then(Value::as_i64);
                p.parent_path = join(
                    text(item, "parentProcessImageFile.filePath").as_deref(),
                    text(item, "parentProcessImageFile.fileName").as_deref(),
                );
                p.hashes =
                    text(item, "imageFile.sha256").or_else(|| text(item, "sha256")).map(|h| format!("SHA256={h}"));
            }
            "fileevidence" | "file" => {
                if e.file.is_some() {
                    continue;
                }
                let name = text(item, "fileDetails.fileName").or_else(|| text(item, "fileName"));
                let dir = text(item, "fileDetails.filePath").or_else(|| text(item, "filePath"));
                if name.is_none() && dir.is_none() {
                    continue;
                }
                let fi = e.file_mut();
                fi.path = join(dir.as_deref(), name.as_deref());
                fi.name = name;
                fi.hashes =
                    text(item, "fileDetails.sha256").or_else(|| text(item, "sha256")).map(|h| format!("SHA256={h}"));
            }
            _ => {}
        }
    }
    let c = e.cloud_mut();
    c.provider = Some("Microsoft".into());
    c.account_uid = text(v, "tenantId").or_else(|| text(v, "aadTenantId"));
    let a = e.api_mut();
    a.service = text(v, "serviceSource").or_else(|| text(v, "detectionSource"));
    a.request_uid = text(v, "incidentId").map(|i| format!("incident {i}"));
    Ok(())
}

/// A folder and a file name as one path.
fn join(dir: Option<&str>, name: Option<&str>) -> Option<String> {
    match (dir, name) {
        (Some(d), Some(n)) if !d.ends_with(n) => {
            Some(format!("{d}{}{n}", if d.ends_with(['\\', '/']) || d.is_empty() { "" } else { "\\" }))
        }
        (Some(d), _) => Some(d.to_string()),
        (None, n) => n.map(str::to_string),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decoded(v: &Value) -> vigil_model::Event {
        crate::decoded_by(&Defender, v)
    }

    #[test]
    fn a_graph_alert_is_a_finding_with_its_evidence() {
        let v: Value = serde_json::from_str(Defender.sample()).unwrap();
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert_eq!(f.rule_id, "defender:Suspicious process injection observed");
        assert_eq!(f.product, "Microsoft Defender for Endpoint");
        assert_eq!(f.level, Level::High);
        assert!(f.open);
        assert_eq!(f.tags, vec!["attack.defense-evasion".to_string(), "attack.t1055".to_string()]);
        let e = decoded(&v);
        assert_eq!(e.class, OcsfClass::DetectionFinding);
        assert_eq!(e.device.as_ref().unwrap().hostname.as_deref(), Some("ws-0042.acme.example"));
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("ann@acme.example"));
        let p = e.process.as_ref().unwrap();
        assert_eq!(p.path.as_deref(), Some("C:\\Windows\\System32\\rundll32.exe"));
        assert_eq!(p.pid, Some(4780));
    }

    #[test]
    fn an_endpoint_api_alert_and_a_resolved_one() {
        let v = json!({"id": "da6375", "incidentId": 12, "title": "Mimikatz credential theft tool", "severity": "High", "status": "Resolved",
            "category": "CredentialAccess", "detectionSource": "WindowsDefenderAv", "alertCreationTime": "2024-05-29T16:20:01.1234567Z",
            "machineId": "73e7", "computerDnsName": "ws-7.acme.example", "relatedUser": {"userName": "bob", "domainName": "ACME"},
            "mitreTechniques": ["T1003.001", "bogus"],
            "evidence": [{"entityType": "File", "fileName": "mimikatz.exe", "filePath": "C:\\Temp", "sha256": "ab12"}, {"entityType": "Ip", "ipAddress": "198.51.100.4"}]});
        assert!(looks_like(&v));
        let f = finding(&v).unwrap();
        assert!(!f.open);
        assert_eq!(f.product, "Microsoft Defender for Endpoint");
        assert_eq!(f.tags, vec!["attack.credential-access".to_string(), "attack.t1003.001".to_string()]);
        let e = decoded(&v);
        assert_eq!(e.user.as_ref().unwrap().name.as_deref(), Some("bob"));
        assert_eq!(e.file.as_ref().unwrap().path.as_deref(), Some("C:\\Temp\\mimikatz.exe"));
        assert_eq!(e.src_endpoint.as_ref().unwrap().ip.as_deref(), Some("198.51.100.4"));
        assert_eq!(e.device.as_ref().unwrap().hostname.as_deref(), Some("ws-7.acme.example"));
    }

    #[test]
    fn products_named_from_the_service() {
        let v = json!({"serviceSource": "microsoftDefenderForIdentity"});
        assert_eq!(product(&v, Shape::Graph), "Microsoft Defender for Identity");
        assert_eq!(product(&json!({}), Shape::Graph), "Microsoft security alert");
    }

    #[test]
    fn damaged_records_are_refused_naming_why() {
        for (v, why) in [
            (json!("x"), "not a Microsoft security alert"),
            (json!({"title": "t", "createdDateTime": "2024-01-01T00:00:00Z"}), "'id'"),
            (json!({"id": 5, "title": "t", "createdDateTime": "2024-01-01T00:00:00Z"}), "'id'"),
            (json!({"id": "a", "createdDateTime": "2024-01-01T00:00:00Z"}), "'title'"),
            (json!({"id": "a", "title": "t"}), "no usable timestamp"),
            (json!({"id": "a", "title": "t", "createdDateTime": "soon"}), "createdDateTime"),
            (json!({"id": "a", "title": "t", "alertCreationTime": [1]}), "alertCreationTime"),
        ] {
            let e = head(&v).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(why), "{v}: {e:?}");
            assert!(finding(&v).is_none());
        }
        // Evidence of the wrong types is passed over, never a panic.
        let mut v: Value = serde_json::from_str(Defender.sample()).unwrap();
        v["evidence"] = json!([1, null, {"@odata.type": 5}, {"entityType": "Process", "processId": "x"}, {"at_sign_odata_type": "#microsoft.graph.security.ipEvidence"}]);
        let e = decoded(&v);
        assert!(e.process.is_none() && e.src_endpoint.is_none());
    }
}
