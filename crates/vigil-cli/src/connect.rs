//! `vigil connect` (the live sources Vigil polls), `vigil poll` (read them now) and
//! `vigil sources --live` (their health): parse, call the application layer, render.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vigil_app::respond::ResponseConfig;
use vigil_app::sources::{PollReport, SourceHealth};
use vigil_collect::{Connection, Kind};

use crate::output::clean;

// Parsed once from the command line: the size of `Add` (every vendor's options) costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum ConnectCommand {
    /// Add (or replace) a live source: a vendor's log API read with a read-only credential.
    Add {
        /// The source's name (a-z, 0-9, -).
        name: String,
        /// What it is: okta (the Okta System Log), github (GitHub's organization audit log),
        /// cloudtrail (CloudTrail delivered to S3), crowdstrike (CrowdStrike Falcon's alerts),
        /// entra-sign-ins, entra-audits (Entra ID through Microsoft Graph), graph-security-alerts
        /// (Microsoft Graph's alerts_v2), defender-alerts (Defender for Endpoint's alerts API),
        /// m365-management-activity (the Microsoft 365 unified audit log through the Office 365
        /// Management Activity API, `https://manage.office.com`);
        /// google-workspace-reports (Google Workspace's activities, Admin SDK Reports API).
        #[arg(long)]
        kind: String,
        /// The vendor's base URL (`https://acme.okta.com`).
        #[arg(long)]
        url: String,
        /// The name of the secret holding the credential, in the secrets file or
        /// `VIGIL_SECRET_<NAME>` (never the credential itself); for CloudTrail the name of a set:
        /// `<NAME>_access_key_id`, `<NAME>_secret_access_key`, `<NAME>_session_token`; for
        /// CrowdStrike and the Microsoft kinds the set `<NAME>_client_id`, `<NAME>_client_secret`;
        /// for Google Workspace the service account's whole JSON key.
        #[arg(long)]
        secret: String,
        /// Days of history read on the first poll.
        #[arg(long, default_value_t = vigil_collect::DEFAULT_BACKFILL_DAYS)]
        backfill_days: u32,
        /// Records asked for per request (default: the most the vendor serves: Okta 1,000,
        /// GitHub 100, CrowdStrike 1,000, Entra sign-ins 1,000, Entra audits 999, Graph alerts
        /// 2,000, Defender alerts 10,000, Google Workspace 1,000; Microsoft 365: records per page,
        /// content blobs read whole, default 1,000).
        #[arg(long)]
        page_limit: Option<u32>,
        /// The account the API names: GitHub's organization, CloudTrail's S3 bucket, the Microsoft
        /// tenant (its id or a domain such as `contoso.onmicrosoft.com`; for
        /// m365-management-activity its id, a GUID).
        #[arg(long)]
        org: Option<String>,
        /// CloudTrail: the trail's key prefix in the bucket (`AWSLogs/123456789012/CloudTrail/us-east-1/`).
        #[arg(long)]
        prefix: Option<String>,
        /// CloudTrail: the bucket's region (default us-east-1).
        #[arg(long)]
        region: Option<String>,
        /// The Microsoft kinds: the identity platform that issues their tokens (default
        /// `https://login.microsoftonline.com`; another for a national cloud). Google Workspace:
        /// the token endpoint (default: the key's `token_uri`).
        #[arg(long)]
        auth_url: Option<String>,
        /// m365-management-activity: the content types read, comma-separated (default
        /// Audit.AzureActiveDirectory,Audit.Exchange,Audit.SharePoint,Audit.General; DLP.All too
        /// with the ActivityFeed.ReadDlp permission).
        #[arg(long, value_delimiter = ',')]
        content_types: Option<Vec<String>>,
        /// Google Workspace: the administrator the service account acts as by domain-wide
        /// delegation (`admin@acme.example`).
        #[arg(long)]
        subject: Option<String>,
        /// Google Workspace: the Reports API applications read, comma-separated (default
        /// login,admin,drive,token).
        #[arg(long, value_delimiter = ',')]
        applications: Option<Vec<String>>,
    },
    /// The live sources, with their kind, address and the secret each reads.
    List,
    /// Reads one page from a source without keeping it: does the credential work?
    Test {
        /// The source's name.
        name: String,
        /// Secrets (`NAME=value` lines or a JSON object); `VIGIL_SECRET_<NAME>` variables too.
        #[arg(long, env = "VIGIL_SECRETS_FILE")]
        secrets: Option<std::path::PathBuf>,
    },
    /// Removes a source and its cursor; the events it brought stay.
    Remove {
        /// The source's name.
        name: String,
    },
}

pub fn run(app: &vigil_app::App, who: &vigil_app::Caller, cmd: ConnectCommand, json: bool) -> Result<()> {
    match cmd {
        ConnectCommand::Add {
            name,
            kind,
            url,
            secret,
            backfill_days,
            page_limit,
            org,
            prefix,
            region,
            auth_url,
            content_types,
            subject,
            applications,
        } => {
            let Some(kind) = Kind::parse(&kind) else {
                bail!(
                    "unknown source kind {kind:?}; one of: {}",
                    Kind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                );
            };
            let mut conn = if kind == Kind::GoogleWorkspaceReports {
                Connection::google_workspace(&name, &url, &secret, subject.as_deref())?
            } else {
                Connection::new(&name, kind, &url, &secret, org.as_deref())?
            };
            conn.backfill_days = backfill_days;
            if let Some(n) = page_limit {
                conn.page_limit = n;
            }
            conn.prefix = prefix;
            conn.region = region;
            conn.auth_url = auth_url;
            conn.content_types = content_types.map(|t| {
                t.iter()
                    .map(|c| vigil_collect::m365::content_type(c).map_or_else(|| c.trim().to_string(), str::to_string))
                    .collect()
            });
            if kind != Kind::GoogleWorkspaceReports {
                conn.subject = subject.map(|s| s.trim().to_string());
            }
            conn.applications = applications.map(|a| a.iter().map(|x| x.trim().to_ascii_lowercase()).collect());
            conn.validate()?;
            app.add_connection(who, conn.clone())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&conn)?);
            } else {
                println!(
                    "connected {} ({}); the credential needs {}; `vigil connect test {}` checks it",
                    conn.name,
                    kind.name(),
                    kind.minimum_scope(),
                    conn.name
                );
            }
            Ok(())
        }
        ConnectCommand::List => {
            let conns = app.connections(who)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&conns)?);
            } else if conns.is_empty() {
                println!("no live sources; `vigil connect add` adds one");
            } else {
                for c in conns {
                    println!(
                        "{:<20} {:<16} {}  secret {}  backfill {} d  pages of {}",
                        clean(&c.name),
                        c.kind.name(),
                        clean(&c.base_url),
                        clean(&c.secret),
                        c.backfill_days,
                        c.page_limit
                    );
                }
            }
            Ok(())
        }
        ConnectCommand::Test { name, secrets } => {
            let cfg = ResponseConfig { secrets, ..ResponseConfig::default() };
            let n = app.test_connection(who, &name, &cfg).with_context(|| format!("testing {name}"))?;
            if json {
                println!("{}", serde_json::json!({"source": name, "ok": true, "records_on_first_page": n}));
            } else {
                println!("{name}: ok, {n} records on the first page of its backfill window");
            }
            Ok(())
        }
        ConnectCommand::Remove { name } => {
            app.remove_connection(who, &name)?;
            if !json {
                println!("removed {name}; the events it brought stay");
            }
            Ok(())
        }
    }
}

/// Polls the named sources (every source when none is named) once, each to its end or
/// `max_pages` pages; fails when any poll failed, after polling the others.
pub fn poll(
    app: &vigil_app::App,
    who: &vigil_app::Caller,
    names: Vec<String>,
    cfg: &ResponseConfig,
    detection: Option<&vigil_app::detection::Detection>,
    max_pages: u32,
    json: bool,
) -> Result<()> {
    let names = if names.is_empty() { app.connections(who)?.into_iter().map(|c| c.name).collect() } else { names };
    if names.is_empty() {
        bail!("no live sources to poll; `vigil connect add` adds one");
    }
    let mut reports: Vec<PollReport> = Vec::new();
    let mut failed = 0;
    for name in names {
        match app.poll(who, &name, cfg, detection, max_pages) {
            Ok(r) => reports.push(r),
            Err(e) => {
                failed += 1;
                reports.push(PollReport { source: name, error: Some(e.to_string()), ..PollReport::default() });
            }
        }
    }
    // A source failing poll after poll, or silent too long, is a finding of its own.
    let blind = app.raise_blind_spots(who)?;
    if blind > 0 {
        eprintln!("{blind} new blind-spot alerts (`vigil sources --live` says why; `vigil triage` queues them)");
    }
    if json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    } else {
        for r in &reports {
            match &r.error {
                Some(e) => println!("{}: failed: {}", clean(&r.source), clean(e)),
                None => println!(
                    "{}: {} pages, {} records, {} new events, {} duplicates, {} quarantined, {} alerts{}",
                    clean(&r.source),
                    r.pages,
                    r.records,
                    r.events,
                    r.duplicates,
                    r.quarantined,
                    r.alerts,
                    if r.caught_up { "; read to its end" } else { "; more to read" }
                ),
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} sources failed to poll", reports.len());
    }
    Ok(())
}

/// The live sources' health, as `vigil sources --live` shows it.
pub fn health(rows: &[SourceHealth], now_ms: i64, json: bool) -> Result<()> {
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|h| {
                let mut v = serde_json::to_value(h).unwrap_or_default();
                if let Some(m) = v.as_object_mut() {
                    m.insert("lag_ms".into(), serde_json::json!(h.lag_ms(now_ms)));
                    m.insert("events_per_minute".into(), serde_json::json!(h.events_per_minute()));
                    m.insert("blind_spot".into(), serde_json::json!(h.blind_spot(now_ms)));
                }
                v
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no live sources; `vigil connect add` adds one");
        return Ok(());
    }
    let ago = |t: Option<i64>| t.map_or("never".to_string(), |t| format!("{} s ago", ((now_ms - t) / 1000).max(0)));
    println!("{:<20} {:>12} {:>12} {:>10} {:>10}  last error", "source", "last success", "lag", "events", "per min");
    for h in rows {
        println!(
            "{:<20} {:>12} {:>12} {:>10} {:>10.1}  {}",
            clean(&h.name),
            ago(h.last_success_ms),
            h.lag_ms(now_ms).map_or("-".into(), |l| format!("{} s", l / 1000)),
            h.events_total,
            h.events_per_minute(),
            h.last_error.as_deref().map(clean).unwrap_or_default()
        );
        if let Some(b) = h.blind_spot(now_ms) {
            println!("  blind spot: {}", clean(&b));
        }
    }
    Ok(())
}
