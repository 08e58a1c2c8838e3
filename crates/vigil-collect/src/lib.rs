//! Live read-only collection: the pollers that read vendors' log APIs, the connections that
//! configure them, and the cursor each keeps.
//!
//! Owns: [`Connection`], a named source (its [`Kind`], base URL, the name of the secret holding
//! its read-only credential, backfill window and page size), validated before it is kept; the
//! poller of each kind ([`okta`] for the Okta System Log, [`github`] for GitHub's organization
//! audit log, [`cloudtrail`] for CloudTrail in S3, [`crowdstrike`] for CrowdStrike Falcon's
//! alerts, [`microsoft`] for Entra ID sign-ins and directory audits, Microsoft Graph security
//! alerts and Defender for Endpoint alerts, [`m365`] for the Microsoft 365 unified audit log
//! through the Office 365 Management Activity API, [`gworkspace`] for Google Workspace's
//! activities through the Admin SDK Reports API) that turns one request into a
//! [`Page`] — the records as JSON lines and the vendor's cursor after them — with paging, rate
//! limits (429 and the vendor's own headers), retries with jitter on server errors and broken
//! connections, time-outs (the transport's), clock-skew tolerance, and the vendor's error
//! shapes turned into clear messages ([`CollectError`]).
//!
//! Must not: decode or store records (pages go through the ingest pipeline, which commits the
//! cursor in the same transaction as the page's events, so a restart neither loses nor repeats
//! one), decide when to poll (the application layer and `vigil serve` do), keep a secret (or an
//! access token obtained with one) longer than a page, or send a credential to any origin but
//! the connection's own (and, for Microsoft and Google, their token endpoints): the vendor's `next` link is
//! followed only when it points back at the connection's base URL.

pub mod cloudtrail;
pub mod crowdstrike;
pub mod github;
pub mod gworkspace;
pub mod m365;
pub mod microsoft;
pub mod okta;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use vigil_connectors::{ConnectorError, HttpResponse, Secrets, Transport};

/// The vendors Vigil can poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Okta System Log (`GET /api/v1/logs`), with an API token (`SSWS`) of a read-only
    /// administrator.
    OktaSystemLog,
    /// GitHub organization audit log (`GET /orgs/{org}/audit-log`, GitHub Enterprise Cloud), with
    /// a token of an organization owner limited to `read:audit_log`.
    #[serde(rename = "github-audit-log", alias = "git-hub-audit-log")]
    GitHubAuditLog,
    /// AWS CloudTrail delivered to an S3 bucket (ListObjectsV2 + GetObject, Signature Version
    /// 4), with credentials allowed only to list the trail's prefix and read its objects.
    #[serde(rename = "aws-cloudtrail-s3", alias = "cloud-trail-s3")]
    CloudTrailS3,
    /// CrowdStrike Falcon alerts (Alerts API v2: ids by `updated_timestamp`, then the alerts),
    /// with an OAuth2 API client allowed only `Alerts: Read`.
    #[serde(rename = "crowdstrike-alerts")]
    CrowdStrikeAlerts,
    /// Entra ID sign-ins through Microsoft Graph (`GET /v1.0/auditLogs/signIns`), with an app
    /// registration's client credentials.
    EntraSignIns,
    /// Entra ID directory audits through Microsoft Graph (`GET /v1.0/auditLogs/directoryAudits`).
    EntraAudits,
    /// Microsoft Graph security alerts (`GET /v1.0/security/alerts_v2`): the alerts of Microsoft
    /// Defender XDR and the products it gathers.
    GraphSecurityAlerts,
    /// Microsoft Defender for Endpoint alerts (`GET /api/alerts`).
    DefenderAlerts,
    /// The Microsoft 365 unified audit log through the Office 365 Management Activity API
    /// (content blobs listed by `GET /api/v1.0/{tenant}/activity/feed/subscriptions/content`,
    /// then read), with an app registration's client credentials.
    #[serde(rename = "m365-management-activity")]
    M365ManagementActivity,
    /// Google Workspace activities through the Admin SDK Reports API
    /// (`GET /admin/reports/v1/activity/users/all/applications/{application}`), with a service
    /// account's key and domain-wide delegation.
    #[serde(rename = "google-workspace-reports")]
    GoogleWorkspaceReports,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::OktaSystemLog,
        Kind::GitHubAuditLog,
        Kind::CloudTrailS3,
        Kind::EntraSignIns,
        Kind::EntraAudits,
        Kind::GraphSecurityAlerts,
        Kind::DefenderAlerts,
        Kind::M365ManagementActivity,
        Kind::CrowdStrikeAlerts,
        Kind::GoogleWorkspaceReports,
    ];

    /// Whether the kind reads a Microsoft API (client credentials, a tenant in `org`).
    pub fn is_microsoft(self) -> bool {
        matches!(
            self,
            Kind::EntraSignIns
                | Kind::EntraAudits
                | Kind::GraphSecurityAlerts
                | Kind::DefenderAlerts
                | Kind::M365ManagementActivity
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::OktaSystemLog => "okta-system-log",
            Kind::GitHubAuditLog => "github-audit-log",
            Kind::CloudTrailS3 => "aws-cloudtrail-s3",
            Kind::CrowdStrikeAlerts => "crowdstrike-alerts",
            Kind::EntraSignIns => "entra-sign-ins",
            Kind::EntraAudits => "entra-audits",
            Kind::GraphSecurityAlerts => "graph-security-alerts",
            Kind::DefenderAlerts => "defender-alerts",
            Kind::M365ManagementActivity => "m365-management-activity",
            Kind::GoogleWorkspaceReports => "google-workspace-reports",
        }
    }

    /// The decoder its records are read with (a `--format` name).
    pub fn format(self) -> &'static str {
        match self {
            Kind::OktaSystemLog => "okta",
            Kind::GitHubAuditLog => "github",
            Kind::CloudTrailS3 => "cloudtrail",
            Kind::CrowdStrikeAlerts => "crowdstrike",
            Kind::EntraSignIns | Kind::EntraAudits => "azure",
            Kind::GraphSecurityAlerts | Kind::DefenderAlerts => "defender",
            Kind::M365ManagementActivity => "m365",
            Kind::GoogleWorkspaceReports => "gworkspace",
        }
    }

    /// The least the credential must be allowed, as the vendor names it.
    pub fn minimum_scope(self) -> &'static str {
        match self {
            Kind::OktaSystemLog => "an API token (SSWS) created by a Read-Only Administrator",
            Kind::GitHubAuditLog => {
                "a classic token of an organization owner with only read:audit_log, or a GitHub App with organization Administration: read"
            }
            Kind::CloudTrailS3 => {
                "an IAM identity allowed only s3:ListBucket on the trail's bucket and prefix and s3:GetObject on its objects (and kms:Decrypt on the trail's key when it is encrypted with KMS)"
            }
            Kind::CrowdStrikeAlerts => "an API client with only the Alerts: Read scope",
            Kind::EntraSignIns => {
                "an app registration with the Microsoft Graph application permissions AuditLog.Read.All and Directory.Read.All (admin consent; the tenant needs Entra ID P1 or P2)"
            }
            Kind::EntraAudits => {
                "an app registration with the Microsoft Graph application permission AuditLog.Read.All (admin consent)"
            }
            Kind::GraphSecurityAlerts => {
                "an app registration with the Microsoft Graph application permission SecurityAlert.Read.All (admin consent)"
            }
            Kind::DefenderAlerts => {
                "an app registration with the WindowsDefenderATP application permission Alert.Read.All (admin consent)"
            }
            Kind::M365ManagementActivity => {
                "an app registration with the Office 365 Management APIs application permission ActivityFeed.Read (and ActivityFeed.ReadDlp for DLP.All), admin consent"
            }
            Kind::GoogleWorkspaceReports => {
                "a service account key whose client id is granted domain-wide delegation for only https://www.googleapis.com/auth/admin.reports.audit.readonly, acting as (subject) an administrator with the Reports privilege"
            }
        }
    }

    /// How many days of history the vendor keeps to be read (the longest backfill).
    pub fn retention_days(self) -> u32 {
        match self {
            // Okta keeps the System Log for 90 days; GitHub the audit log's API for 180.
            Kind::OktaSystemLog => 90,
            Kind::GitHubAuditLog => 180,
            // The bucket keeps what its lifecycle rules keep.
            Kind::CloudTrailS3 => 3650,
            // Falcon keeps alerts for 90 days.
            Kind::CrowdStrikeAlerts => 90,
            // Entra keeps sign-ins and audits 30 days (with P1 or P2); Defender's alerts 180.
            Kind::EntraSignIns | Kind::EntraAudits => 30,
            Kind::GraphSecurityAlerts | Kind::DefenderAlerts => 180,
            // The Management Activity API keeps content blobs 7 days.
            Kind::M365ManagementActivity => 7,
            // Google keeps most applications' activities 180 days.
            Kind::GoogleWorkspaceReports => 180,
        }
    }

    /// The most records one request may ask for.
    pub fn max_page_limit(self) -> u32 {
        match self {
            Kind::OktaSystemLog => 1000,
            Kind::GitHubAuditLog => 100,
            // One object (a CloudTrail log file) per request.
            Kind::CloudTrailS3 => 1,
            // `$top` as each API documents its largest page.
            Kind::EntraSignIns => 1000,
            Kind::EntraAudits => 999,
            Kind::GraphSecurityAlerts => 2000,
            Kind::DefenderAlerts => 10_000,
            // Alert ids per query; their details go 1000 a request.
            Kind::CrowdStrikeAlerts => 1000,
            // Records per page: content blobs are read whole until a page holds this many.
            Kind::M365ManagementActivity => 50_000,
            // `maxResults`, per application.
            Kind::GoogleWorkspaceReports => 1000,
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        let s = s.trim().to_ascii_lowercase();
        match s.as_str() {
            "okta-system-log" | "okta" | "okta-logs" => Some(Kind::OktaSystemLog),
            "github-audit-log" | "github" | "github-audit" => Some(Kind::GitHubAuditLog),
            "aws-cloudtrail-s3" | "cloudtrail" | "cloudtrail-s3" => Some(Kind::CloudTrailS3),
            "crowdstrike-alerts" | "crowdstrike" | "falcon" => Some(Kind::CrowdStrikeAlerts),
            "entra-sign-ins" | "entra-signins" | "entra-sign-in-logs" | "azure-ad-sign-ins" => Some(Kind::EntraSignIns),
            "entra-audits" | "entra-audit-logs" | "entra-directory-audits" | "azure-ad-audits" => {
                Some(Kind::EntraAudits)
            }
            "graph-security-alerts" | "graph-alerts" | "alerts-v2" | "defender-xdr-alerts" => {
                Some(Kind::GraphSecurityAlerts)
            }
            "defender-alerts" | "mde-alerts" | "defender-endpoint-alerts" => Some(Kind::DefenderAlerts),
            "m365-management-activity"
            | "m365"
            | "o365-management-activity"
            | "office365-management-activity"
            | "m365-audit"
            | "unified-audit-log" => Some(Kind::M365ManagementActivity),
            "google-workspace-reports" | "gworkspace" | "google-workspace" | "workspace-reports" => {
                Some(Kind::GoogleWorkspaceReports)
            }
            _ => None,
        }
    }
}

/// Days of history read the first time a connection is polled, unless it says otherwise.
pub const DEFAULT_BACKFILL_DAYS: u32 = 7;
/// Records asked for per request, unless the connection says otherwise.
pub const DEFAULT_PAGE_LIMIT: u32 = 1000;

/// One configured live source. Holds no secret: `secret` names the one to read (from the
/// secrets file or `VIGIL_SECRET_<NAME>`), as the response connectors do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// Unique, `[a-z0-9-]`, 1–64 characters: the source name on events' pages, cursors, health.
    pub name: String,
    pub kind: Kind,
    /// `https://acme.okta.com`; plain `http` only to a loopback address (a local sandbox).
    pub base_url: String,
    /// The name of the secret holding the credential (`okta_token`).
    pub secret: String,
    #[serde(default = "default_backfill")]
    pub backfill_days: u32,
    #[serde(default = "default_limit")]
    pub page_limit: u32,
    /// The account whose log is read, where the API names one: GitHub's organization, the S3
    /// bucket CloudTrail delivers to, the Microsoft tenant (its id or one of its domain names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    /// Where a Microsoft connection asks for its access token (default
    /// `https://login.microsoftonline.com`; another cloud's, or a local sandbox's, otherwise);
    /// for Google Workspace the token endpoint itself (default: the key's `token_uri`); plain
    /// `http` only to a loopback address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_url: Option<String>,
    /// Where in the account the log lies: the trail's key prefix in its bucket
    /// (`AWSLogs/123456789012/CloudTrail/us-east-1/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The vendor region a request is signed for (S3: the bucket's region; default `us-east-1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The Office 365 Management Activity API's content types read (`Audit.Exchange`, …;
    /// default [`m365::DEFAULT_CONTENT_TYPES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_types: Option<Vec<String>>,
    /// The user a Google Workspace service account acts as by domain-wide delegation: an
    /// administrator allowed to read reports (`admin@acme.example`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Google Workspace: the Reports API applications read (default `login`, `admin`, `drive`,
    /// `token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applications: Option<Vec<String>>,
}

fn default_backfill() -> u32 {
    DEFAULT_BACKFILL_DAYS
}

fn default_limit() -> u32 {
    DEFAULT_PAGE_LIMIT
}

impl Connection {
    /// A connection with the default backfill and the largest page its vendor serves, checked.
    /// `org` is the account the API names in its path (GitHub's organization), where it has one.
    pub fn new(
        name: &str,
        kind: Kind,
        base_url: &str,
        secret: &str,
        org: Option<&str>,
    ) -> Result<Connection, CollectError> {
        let c = Connection::unchecked(name, kind, base_url, secret, org);
        c.validate()?;
        Ok(c)
    }

    /// A Google Workspace connection (Reports API at `base_url`, `https://admin.googleapis.com`)
    /// whose service account acts as the administrator `subject`, checked.
    pub fn google_workspace(
        name: &str,
        base_url: &str,
        secret: &str,
        subject: Option<&str>,
    ) -> Result<Connection, CollectError> {
        let mut c = Connection::unchecked(name, Kind::GoogleWorkspaceReports, base_url, secret, None);
        c.subject = subject.map(|s| s.trim().to_string());
        c.validate()?;
        Ok(c)
    }

    fn unchecked(name: &str, kind: Kind, base_url: &str, secret: &str, org: Option<&str>) -> Connection {
        Connection {
            name: name.trim().to_string(),
            kind,
            base_url: base_url.trim().trim_end_matches('/').to_string(),
            secret: secret.trim().to_ascii_lowercase(),
            backfill_days: DEFAULT_BACKFILL_DAYS,
            page_limit: DEFAULT_PAGE_LIMIT.min(kind.max_page_limit()),
            org: org.map(|o| o.trim().to_string()),
            auth_url: None,
            prefix: None,
            region: None,
            content_types: None,
            subject: None,
            applications: None,
        }
    }

    /// Why this connection cannot be used, naming the field.
    pub fn validate(&self) -> Result<(), CollectError> {
        let bad = |what: String| Err(CollectError::Config(what));
        if self.name.is_empty()
            || self.name.len() > 64
            || !self.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return bad(format!("name {:?}: use 1 to 64 of a-z, 0-9 and -", self.name));
        }
        if self.secret.is_empty()
            || self.secret.len() > 64
            || !self.secret.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return bad(format!("secret name {:?}: use 1 to 64 of a-z, 0-9 and _", self.secret));
        }
        let Some(origin) = origin(&self.base_url) else {
            return bad(format!("base URL {:?} is not an http(s) URL", self.base_url));
        };
        if origin.starts_with("http://") && !is_loopback(&origin) {
            return bad(format!(
                "base URL {:?}: plain http only to a loopback address; use https (the credential travels with every request)",
                self.base_url
            ));
        }
        let keeps = self.kind.retention_days();
        if self.backfill_days == 0 || self.backfill_days > keeps {
            return bad(format!(
                "backfill of {} days: use 1 to {keeps} (what {} keeps)",
                self.backfill_days,
                self.kind.name()
            ));
        }
        let most = self.kind.max_page_limit();
        if self.page_limit == 0 || self.page_limit > most {
            return bad(format!("page limit {}: use 1 to {most} for {}", self.page_limit, self.kind.name()));
        }
        match (self.kind, self.org.as_deref()) {
            (Kind::GitHubAuditLog, None) => return bad("org: the GitHub organization whose audit log is read".into()),
            (Kind::GitHubAuditLog, Some(o))
                if o.is_empty() || o.len() > 39 || !o.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
            {
                return bad(format!("org {o:?}: a GitHub organization name (letters, digits and -)"));
            }
            (Kind::CloudTrailS3, None) => return bad("org: the S3 bucket CloudTrail delivers to".into()),
            (Kind::CloudTrailS3, Some(b))
                if b.len() < 3
                    || b.len() > 63
                    || !b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.') =>
            {
                return bad(format!("bucket {b:?}: an S3 bucket name (3 to 63 of a-z, 0-9, . and -)"));
            }
            (k, None) if k.is_microsoft() => {
                return bad(
                    "org: the Microsoft tenant (its id, a GUID, or a domain name such as contoso.onmicrosoft.com)"
                        .into(),
                );
            }
            (k, Some(t)) if k.is_microsoft() && !microsoft::tenant_ok(t) => {
                return bad(format!(
                    "org {t:?}: a Microsoft tenant id (a GUID) or domain name (contoso.onmicrosoft.com)"
                ));
            }
            (Kind::M365ManagementActivity, Some(t)) if !microsoft::tenant_ok(t) || t.contains('.') => {
                return bad(format!(
                    "org {t:?}: the Microsoft tenant id, a GUID (the Management Activity API names it in its path; a domain name is not taken)"
                ));
            }
            _ => {}
        }
        if self.kind != Kind::GoogleWorkspaceReports && (self.subject.is_some() || self.applications.is_some()) {
            return bad(format!("subject and applications are read only by {}", Kind::GoogleWorkspaceReports.name()));
        }
        if self.kind == Kind::GoogleWorkspaceReports {
            match self.subject.as_deref() {
                None => {
                    return bad(
                        "subject: the administrator the service account acts as (admin@acme.example), by domain-wide delegation"
                            .into(),
                    );
                }
                Some(s) if !gworkspace::email_ok(s) => {
                    return bad(format!("subject {s:?}: an administrator's email address (admin@acme.example)"));
                }
                Some(_) => {}
            }
        }
        if let Some(apps) = &self.applications {
            if apps.len() > 32 {
                return bad("applications: at most 32".into());
            }
            for (i, a) in apps.iter().enumerate() {
                if !gworkspace::application_ok(a) || apps[..i].contains(a) {
                    return bad(format!(
                        "application {a:?}: a Reports API application name (login, admin, drive, token …), each once"
                    ));
                }
            }
        }
        if let Some(a) = &self.auth_url {
            let Some(o) = crate::origin(a) else {
                return bad(format!("auth URL {a:?} is not an http(s) URL"));
            };
            if o.starts_with("http://") && !is_loopback(&o) {
                return bad(format!(
                    "auth URL {a:?}: plain http only to a loopback address; use https (the client secret or signed assertion travels with it)"
                ));
            }
            if a.contains(['?', '#']) || a.chars().any(char::is_whitespace) {
                return bad(format!("auth URL {a:?}: a base URL without query or fragment"));
            }
        }
        if let Some(types) = &self.content_types {
            if self.kind != Kind::M365ManagementActivity {
                return bad(format!("content types: only for {}", Kind::M365ManagementActivity.name()));
            }
            if types.is_empty() {
                return bad(format!("content types: name at least one of {}", m365::CONTENT_TYPES.join(", ")));
            }
            for (i, t) in types.iter().enumerate() {
                if m365::content_type(t) != Some(t.as_str()) {
                    return bad(format!("content type {t:?}: one of {}", m365::CONTENT_TYPES.join(", ")));
                }
                if types[..i].contains(t) {
                    return bad(format!("content type {t:?} named twice"));
                }
            }
        }
        if let Some(p) = &self.prefix
            && (p.len() > 512 || p.starts_with('/') || p.contains("..") || p.chars().any(char::is_control))
        {
            return bad(format!("prefix {p:?}: a key prefix without a leading /, .. or control characters"));
        }
        if let Some(r) = &self.region
            && (r.is_empty()
                || r.len() > 32
                || !r.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'))
        {
            return bad(format!("region {r:?}: an AWS region name (us-east-1)"));
        }
        Ok(())
    }
}

/// `scheme://host[:port]` of a URL, lower-cased (the connectors' own reading of a URL, which
/// their pagination links are held to); `None` when it is not http(s), names a user, or its host
/// holds white space.
pub(crate) fn origin(url: &str) -> Option<String> {
    vigil_connectors::util::Url::parse(url.trim())
        .filter(|u| !u.authority.chars().any(char::is_whitespace))
        .map(|u| u.origin())
}

/// Whether a cursor taken from a vendor's link holds only what a URL query may (RFC 3986's
/// unreserved characters, sub-delimiters, `:@/?` and percent escapes), within 2 KiB.
pub(crate) fn query_ok(q: &str) -> bool {
    !q.is_empty()
        && q.len() <= 2048
        && q.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?%".contains(&b))
}

/// The `access_token` of an OAuth 2.0 token answer (RFC 6749 §5.1), as every poller that asks
/// for one takes it: printable ASCII, not empty, at most 16 KiB; `None` otherwise.
pub(crate) fn token_of(answer: &serde_json::Value) -> Option<&str> {
    answer
        .get("access_token")
        .and_then(serde_json::Value::as_str)
        .filter(|t| !t.is_empty() && t.len() <= 16_384 && t.bytes().all(|b| b.is_ascii_graphic()))
}

pub(crate) fn is_loopback(origin: &str) -> bool {
    let host = origin.trim_start_matches("http://").trim_start_matches("https://");
    let host =
        host.rsplit_once(':').map_or(host, |(h, p)| if p.bytes().all(|b| b.is_ascii_digit()) { h } else { host });
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// How far before the newest record read a time-based poll asks again once a listing has ended
/// (GitHub's audit log, Falcon's alerts, Microsoft's logs, and the Microsoft 365 content
/// listing; Google Workspace keeps its own, longer one, [`gworkspace::OVERLAP_MS`]): records
/// that reach the vendor's log
/// late are still read; what is read twice is the same record, one event once ingested.
pub const OVERLAP_MS: i64 = 10 * 60_000;
/// The newest time a cursor may carry, past now: clocks disagree a little, not by days.
pub(crate) const FUTURE_SKEW_MS: i64 = 5 * 60_000;
/// Vigil's own part of a cursor (the newest time read), taken off before the query goes to the
/// vendor.
pub(crate) const NEWEST: &str = "vigil-newest";

/// A cursor split into the query for the vendor and the newest time read so far.
pub(crate) fn split_cursor(cursor: &str) -> (String, Option<i64>) {
    let mut newest = None;
    let q: Vec<&str> = cursor
        .split('&')
        .filter(|kv| match kv.strip_prefix(NEWEST).and_then(|r| r.strip_prefix('=')) {
            Some(v) => {
                newest = v.parse().ok();
                false
            }
            None => true,
        })
        .collect();
    (q.join("&"), newest)
}

/// A vendor's query with the newest time read added as Vigil's own part of the cursor.
pub(crate) fn with_newest(query: String, newest: Option<i64>) -> String {
    match newest {
        Some(n) => format!("{query}&{NEWEST}={n}"),
        None => query,
    }
}

/// The newest record time a page read, believed only up to [`FUTURE_SKEW_MS`] past now.
pub(crate) fn newest_believed(newest_ms: Option<i64>, now_ms: i64) -> Option<i64> {
    newest_ms.map(|t| t.min(now_ms.saturating_add(FUTURE_SKEW_MS)))
}

/// What one request returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The records, one JSON document per line, as the vendor sent them.
    pub lines: String,
    pub records: usize,
    /// The vendor's cursor after these records: where the next request starts.
    pub cursor: String,
    /// The newest record time in the page (epoch ms), for the source's lag.
    pub newest_ms: Option<i64>,
    /// Whether the vendor holds more records after this page right now (read on, or stop until
    /// the next poll).
    pub more: bool,
    /// Requests this page took (retries included).
    pub attempts: u32,
    /// Time spent waiting on rate limits and back-off.
    pub waited: Duration,
}

/// How hard a poller tries before it reports a failure.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Requests per page, the first included.
    pub max_attempts: u32,
    /// The first back-off after a server error; doubled each time, with up to half again of jitter.
    pub backoff: Duration,
    /// The longest single wait (a rate limit's reset further off than this is reported instead).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, backoff: Duration::from_millis(500), max_wait: Duration::from_secs(60) }
    }
}

impl RetryPolicy {
    /// The wait before attempt `n + 1` after a server error or broken connection.
    pub(crate) fn backoff_for(&self, n: u32) -> Duration {
        use rand::Rng;
        let base = self.backoff.saturating_mul(1u32 << n.min(8));
        let jitter = rand::thread_rng().gen_range(0..=base.as_millis().min(u64::MAX as u128) as u64 / 2);
        (base + Duration::from_millis(jitter)).min(self.max_wait)
    }
}

/// Why a poll failed, in words an operator can act on. Never holds a secret.
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error("connection: {0}")]
    Config(String),
    #[error("the secret {0:?} is not set (in the secrets file or VIGIL_SECRET_{up})", up = .0.to_ascii_uppercase())]
    MissingSecret(String),
    #[error("{vendor} refused the credential (HTTP {status}{detail}); {hint}")]
    Auth { vendor: &'static str, status: u16, detail: String, hint: &'static str },
    #[error("{vendor} rate limit: still limited after {attempts} requests (reset in {wait_s} s)")]
    RateLimited { vendor: &'static str, attempts: u32, wait_s: u64 },
    #[error("{vendor} unavailable after {attempts} requests: {last}")]
    Unavailable { vendor: &'static str, attempts: u32, last: String },
    #[error("{vendor} answered HTTP {status}{detail}")]
    Vendor { vendor: &'static str, status: u16, detail: String },
    #[error("{vendor} answered something that is not its log API's shape: {why}")]
    BadResponse { vendor: &'static str, why: String },
}

impl CollectError {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(self, CollectError::RateLimited { .. } | CollectError::Unavailable { .. })
    }
}

/// One request/response exchange with retries: server errors and broken connections are
/// retried with back-off and jitter; 429 (or what `limited` says is the vendor's own rate-limit
/// answer, such as GitHub's 403 with no requests remaining) waits for the vendor's reset
/// (`reset_wait`) within the policy; anything else is handed back for the poller to read.
pub(crate) fn exchange(
    vendor: &'static str,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    req: &vigil_connectors::HttpRequest,
    reset_wait: &dyn Fn(&HttpResponse) -> Option<Duration>,
    limited: &dyn Fn(&HttpResponse) -> bool,
) -> Result<(HttpResponse, u32, Duration), CollectError> {
    let mut waited = Duration::ZERO;
    let mut last = String::new();
    for attempt in 0..policy.max_attempts.max(1) {
        let n = attempt + 1;
        let resp = match transport.send(req) {
            Ok(r) => r,
            Err(e) => {
                // Transport errors name the host and the failure, never a header.
                last = match e {
                    ConnectorError::Transport(t) => format!("connection failed: {t}"),
                    other => other.to_string(),
                };
                if n < policy.max_attempts {
                    let w = policy.backoff_for(attempt);
                    transport.sleep(w);
                    waited += w;
                }
                continue;
            }
        };
        match resp.status {
            s if s == 429 || limited(&resp) => {
                let w = reset_wait(&resp).unwrap_or(policy.backoff_for(attempt));
                if w > policy.max_wait || n == policy.max_attempts {
                    return Err(CollectError::RateLimited { vendor, attempts: n, wait_s: w.as_secs() });
                }
                tracing::info!(vendor, wait_ms = w.as_millis() as u64, "rate limited; waiting for the reset");
                transport.sleep(w);
                waited += w;
            }
            s if s >= 500 => {
                last = format!("HTTP {s}");
                if n < policy.max_attempts {
                    let w = policy.backoff_for(attempt);
                    transport.sleep(w);
                    waited += w;
                }
            }
            _ => return Ok((resp, n, waited)),
        }
    }
    Err(CollectError::Unavailable { vendor, attempts: policy.max_attempts.max(1), last })
}

/// Reads one page for a connection: the first from its backfill window when `cursor` is
/// `None`, else from where the cursor left off.
pub fn next_page(
    conn: &Connection,
    secrets: &Secrets,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    conn.validate()?;
    let secret = |name: &str| secrets.get_opt(name).ok_or_else(|| CollectError::MissingSecret(name.to_string()));
    match conn.kind {
        Kind::OktaSystemLog => okta::next_page(conn, secret(&conn.secret)?, transport, policy, cursor, now_ms),
        Kind::GitHubAuditLog => github::next_page(conn, secret(&conn.secret)?, transport, policy, cursor, now_ms),
        // `secret` names a set: `<secret>_access_key_id`, `<secret>_secret_access_key` and, for
        // temporary credentials, `<secret>_session_token`.
        Kind::CloudTrailS3 => {
            let id = secret(&format!("{}_access_key_id", conn.secret))?;
            let key = secret(&format!("{}_secret_access_key", conn.secret))?;
            let token = secrets.get_opt(&format!("{}_session_token", conn.secret));
            let creds = vigil_connectors::sigv4::Credentials {
                access_key_id: id,
                secret_access_key: key,
                session_token: token,
            };
            cloudtrail::next_page(conn, &creds, transport, policy, cursor, now_ms)
        }
        // `secret` names a set: `<secret>_client_id` and `<secret>_client_secret`.
        Kind::CrowdStrikeAlerts => {
            let id = secret(&format!("{}_client_id", conn.secret))?;
            let key = secret(&format!("{}_client_secret", conn.secret))?;
            crowdstrike::next_page(conn, id, key, transport, policy, cursor, now_ms)
        }
        // `secret` names a set too: `<secret>_client_id` and `<secret>_client_secret`, an app
        // registration's client credentials.
        Kind::EntraSignIns | Kind::EntraAudits | Kind::GraphSecurityAlerts | Kind::DefenderAlerts => {
            let client_id = secret(&format!("{}_client_id", conn.secret))?;
            let client_secret = secret(&format!("{}_client_secret", conn.secret))?;
            let creds = microsoft::ClientCredentials { client_id, client_secret };
            microsoft::next_page(conn, &creds, transport, policy, cursor, now_ms)
        }
        // The same set: the app registration's client credentials.
        Kind::M365ManagementActivity => {
            let client_id = secret(&format!("{}_client_id", conn.secret))?;
            let client_secret = secret(&format!("{}_client_secret", conn.secret))?;
            let creds = microsoft::ClientCredentials { client_id, client_secret };
            m365::next_page(conn, &creds, transport, policy, cursor, now_ms)
        }
        // `secret` holds the service account's whole JSON key.
        Kind::GoogleWorkspaceReports => {
            gworkspace::next_page(conn, secret(&conn.secret)?, transport, policy, cursor, now_ms)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_checked_naming_the_field() {
        let ok =
            Connection::new("okta-prod", Kind::OktaSystemLog, "https://acme.okta.com/", "okta_token", None).unwrap();
        assert_eq!(ok.base_url, "https://acme.okta.com");
        assert!(Connection::new("okta-dev", Kind::OktaSystemLog, "http://127.0.0.1:8080/okta", "t", None).is_ok());
        for (name, url, secret, why) in [
            ("Okta Prod", "https://acme.okta.com", "t", "name"),
            ("", "https://acme.okta.com", "t", "name"),
            ("okta", "ftp://acme.okta.com", "t", "base URL"),
            ("okta", "http://acme.okta.com", "t", "plain http"),
            ("okta", "https://user@evil.example", "t", "base URL"),
            ("okta", "https://acme.okta.com", "okta token", "secret name"),
            ("okta", "https://acme.okta.com", "", "secret name"),
        ] {
            let e = Connection::new(name, Kind::OktaSystemLog, url, secret, None).unwrap_err().to_string();
            assert!(e.contains(why), "{name} {url} {secret}: {e}");
        }
        let mut c = ok.clone();
        c.page_limit = 5000;
        assert!(c.validate().unwrap_err().to_string().contains("page limit"));
        c.page_limit = 10;
        c.backfill_days = 0;
        assert!(c.validate().unwrap_err().to_string().contains("backfill"));
    }

    #[test]
    fn kinds_are_kept_by_their_names_and_parse_back() {
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), serde_json::json!(k.name()));
            assert_eq!(Kind::parse(&k.name().to_ascii_uppercase()), Some(*k));
            assert!(k.max_page_limit() >= 1 && k.retention_days() >= 1 && !k.minimum_scope().is_empty());
        }
        assert_eq!(Kind::parse("mde-alerts"), Some(Kind::DefenderAlerts));
        // Connections saved with serde's own spelling of these two still load.
        assert_eq!(serde_json::from_str::<Kind>(r#""git-hub-audit-log""#).unwrap(), Kind::GitHubAuditLog);
        assert_eq!(serde_json::from_str::<Kind>(r#""cloud-trail-s3""#).unwrap(), Kind::CloudTrailS3);
        assert_eq!(Kind::EntraSignIns.format(), "azure");
        assert_eq!(Kind::parse("m365"), Some(Kind::M365ManagementActivity));
        assert_eq!(Kind::M365ManagementActivity.format(), "m365");
        assert_eq!(Kind::M365ManagementActivity.retention_days(), 7);
        // Content types are the Management Activity API's, named once, for that kind only.
        let tenant = Some("72f988bf-86f1-41af-91ab-2d7cd011db47");
        let mut m =
            Connection::new("m", Kind::M365ManagementActivity, "https://manage.office.com", "m365", tenant).unwrap();
        m.content_types = Some(vec!["DLP.All".into(), "Audit.Exchange".into()]);
        m.validate().unwrap();
        for (types, why) in [
            (vec![], "at least one"),
            (vec!["dlp.all".to_string()], "content type"),
            (vec!["Audit.Exchange".to_string(), "Audit.Exchange".to_string()], "twice"),
        ] {
            m.content_types = Some(types);
            assert!(m.validate().unwrap_err().to_string().contains(why), "{why}");
        }
        let mut o = Connection::new("o", Kind::EntraAudits, "https://graph.microsoft.com", "e", tenant).unwrap();
        o.content_types = Some(vec!["Audit.Exchange".into()]);
        assert!(o.validate().unwrap_err().to_string().contains("only for m365-management-activity"));
        // A connection kept before `auth_url` existed still loads.
        let old = r#"{"name":"s","kind":"entra-audits","base_url":"https://graph.microsoft.com","secret":"entra","org":"contoso.onmicrosoft.com"}"#;
        let c: Connection = serde_json::from_str(old).unwrap();
        assert_eq!((c.auth_url, c.page_limit), (None, DEFAULT_PAGE_LIMIT));
        // ... and before `subject` and `applications` existed.
        assert_eq!((c.subject, c.applications), (None, None));
        assert_eq!(Kind::parse("gworkspace"), Some(Kind::GoogleWorkspaceReports));
        assert_eq!(Kind::GoogleWorkspaceReports.format(), "gworkspace");
    }

    #[test]
    fn origins_and_loopback() {
        assert_eq!(origin("https://Acme.okta.com/api/v1/logs?x=1").as_deref(), Some("https://acme.okta.com"));
        assert_eq!(origin("http://127.0.0.1:9/okta").as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(origin("javascript:alert(1)"), None);
        assert!(is_loopback("http://127.0.0.1:9"));
        assert!(is_loopback("http://localhost"));
        assert!(!is_loopback("http://127.0.0.1.evil.example"));
    }

    #[test]
    fn backoff_grows_and_is_bounded() {
        let p = RetryPolicy { max_attempts: 5, backoff: Duration::from_millis(100), max_wait: Duration::from_secs(1) };
        let first = p.backoff_for(0);
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(150), "{first:?}");
        let third = p.backoff_for(2);
        assert!(third >= Duration::from_millis(400) && third <= Duration::from_millis(600), "{third:?}");
        assert_eq!(p.backoff_for(20), Duration::from_secs(1));
    }
}
