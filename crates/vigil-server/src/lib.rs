//! `vigil serve`: the REST API, HTTP ingest and the web app, in the same binary and process as the
//! pipeline.
//!
//! Owns: the HTTP surface — every route in one table ([`routes`]) with the permission it needs,
//! from which the router, the authorization checks and the OpenAPI document are all built, so
//! none of them can drift from the others; authentication of each request (session cookie with
//! CSRF, or an API token), JSON errors with a code and a message, pagination, security headers,
//! the ingest spool with back-pressure (JSON lines and a Splunk-HEC-compatible endpoint) and what
//! else feeds it ([`listen`]: syslog over UDP, TCP and TLS, and followed files), the
//! server-rendered web app with its embedded assets, and graceful shutdown.
//!
//! Must not: decide verdicts, change cases other than through `vigil-queue`, or hold identity
//! logic (that is `vigil-auth`); never log a password, token, cookie or CSRF secret.

pub mod api;
pub mod assistant;
pub mod authn;
pub mod error;
pub mod evidence;
pub mod hunting;
pub mod ingest;
pub mod listen;
pub mod metrics;
pub mod openapi;
pub mod respond;
pub mod sso;
pub mod summaries;
pub mod tls;
pub mod transport;
pub mod v1;
pub mod web;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::MethodRouter;
use vigil_auth::{LoginLimiter, Permission};

pub use error::{ApiError, ApiResult};

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in page, health, OpenAPI document, static assets).
    Public,
    /// Any signed-in user or token.
    Signed,
    /// Holders of this permission.
    Needs(Permission),
    /// The Splunk HEC endpoint: an `Ingest` token in `Authorization: Splunk <token>`.
    Hec,
}

/// One route: its method, path, who may call it and a summary (for the OpenAPI document).
#[derive(Debug, Clone)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub summary: &'static str,
    /// Part of the web app (HTML) rather than the API.
    pub web: bool,
}

/// Server settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    /// Cookies carry `Secure` (off only for plain-HTTP tests and local demos on 127.0.0.1).
    pub secure_cookies: bool,
    /// Most spooled bytes awaiting ingest before HTTP ingest answers 503.
    pub spool_limit_bytes: u64,
    /// Largest request body accepted for ingest (JSON lines, HEC); read only after the
    /// caller's token is checked.
    pub max_body_bytes: usize,
    /// Largest request body on every other route, the unauthenticated ones included (F2).
    pub small_body_bytes: usize,
    /// Most bytes of ingest bodies held in memory at once, all callers together: a request
    /// reserves its `Content-Length` (or [`Config::max_body_bytes`] when it declares none) before
    /// its body is read, and past this ingest answers 503 with Retry-After (F2).
    pub ingest_memory_bytes: usize,
    /// What HTTP ingest detects with and the rules page shows: the same configuration `vigil
    /// ingest` takes (rule files, exceptions, behavioral files beside the built-in packs).
    pub detection: vigil_app::detection::DetectionConfig,
    /// How often the ledger's tree head is signed while serving (when it has grown).
    pub checkpoint_every: std::time::Duration,
    /// How often the hunts over weeks run while serving (as `vigil:hunt`, over the lake's last
    /// 90 days); `None`: only when someone asks.
    pub hunt_every: Option<std::time::Duration>,
    /// How often the server looks for queued incidents without a current investigation and
    /// investigates them, highest risk first, as `vigil:investigate` (triage queues them; an
    /// incident whose alerts changed is investigated again); `None`: only when someone asks.
    pub investigate_every: Option<std::time::Duration>,
    /// How often the live sources (`vigil connect`) are polled while serving, as `vigil:poll`,
    /// with the detection HTTP ingest uses; new alerts are triaged. `None`: never.
    pub poll_every: Option<std::time::Duration>,
    /// Playbook files beside the built-in pilot playbooks, connector settings (JSON) and secrets
    /// (`NAME=value` lines or JSON; `VIGIL_SECRET_*` too).
    pub response: vigil_app::respond::ResponseConfig,
    /// Most connections open at once; over it the server stops accepting until one closes (F3).
    pub max_connections: usize,
    /// A connection that has not sent a whole request head within this is closed (slowloris).
    pub header_read_timeout: std::time::Duration,
    /// A connection that moves no bytes for this long, with no request being handled, is
    /// closed; a request body that stalls this long fails.
    pub idle_timeout: std::time::Duration,
    /// Refusals of anonymous callers (and sign-ins refused while locked) are counted per route
    /// and address and written as one audit entry per this window (F4).
    pub denial_window: std::time::Duration,
    /// OpenID Connect single sign-on (`vigil serve --sso FILE`); `None`: passwords only.
    pub sso: Option<vigil_app::sso::SsoConfig>,
    /// Serve HTTPS with this certificate and key (reloaded when the files change), and send
    /// Strict-Transport-Security; `None` serves plain HTTP (behind a TLS-terminating proxy, or
    /// on loopback).
    pub tls: Option<tls::TlsFiles>,
    /// How often the certificate and key files are checked for a change.
    pub tls_reload_every: std::time::Duration,
    /// The model the assistant plans and phrases with (`vigil serve --assistant-model FILE`);
    /// `None`: the built-in planner and composer.
    pub assistant_model: Option<vigil_llm::ModelConfig>,
    /// Syslog listeners and file tails feeding the ingest spool (`--syslog-udp`, `--tail` …).
    pub listen: listen::ListenConfig,
}

impl Config {
    pub fn new(data_dir: &Path) -> Config {
        Config {
            data_dir: data_dir.to_path_buf(),
            secure_cookies: true,
            spool_limit_bytes: 256 << 20,
            max_body_bytes: 32 << 20,
            small_body_bytes: 64 << 10,
            ingest_memory_bytes: 256 << 20,
            detection: Default::default(),
            checkpoint_every: std::time::Duration::from_secs(300),
            hunt_every: Some(std::time::Duration::from_secs(24 * 3600)),
            investigate_every: Some(std::time::Duration::from_secs(30)),
            poll_every: Some(std::time::Duration::from_secs(60)),
            response: Default::default(),
            max_connections: 1024,
            header_read_timeout: std::time::Duration::from_secs(10),
            idle_timeout: std::time::Duration::from_secs(60),
            denial_window: std::time::Duration::from_secs(60),
            sso: None,
            tls: None,
            tls_reload_every: tls::RELOAD_EVERY,
            listen: Default::default(),
            assistant_model: None,
        }
    }
}

/// What every handler shares.
pub struct AppState {
    pub config: Config,
    /// The application layer every handler calls: operations, permission checks, audit.
    pub app: vigil_app::App,
    pub limiter: LoginLimiter,
    pub ingest: ingest::Spool,
    /// Anonymous refusals counted in memory, written as summaries (F4).
    pub denials: authn::Denials,
    /// Cancelled when the server starts stopping: running hunts end at once instead of holding
    /// shutdown until their time limit (F1).
    pub stopping: vigil_query::Cancel,
    /// What ingest bodies may hold in memory at once, in KiB (see [`Config::ingest_memory_bytes`]).
    pub ingest_memory: Arc<tokio::sync::Semaphore>,
    /// The client of [`Config::assistant_model`], made once at start.
    pub assistant_model: Option<Arc<vigil_llm::ChatClient>>,
    /// Counters of the syslog listeners and file tails.
    pub listen_stats: Arc<listen::Stats>,
}

pub type Shared = Arc<AppState>;

impl AppState {
    pub fn new(config: Config) -> Result<Shared, ApiError> {
        let mut app = vigil_app::App::new(&config.data_dir).with_detection(config.detection.clone());
        if let Some(sso) = &config.sso {
            app = app.with_sso(sso.clone());
        }
        app.store()?;
        // The ledger's signing key exists from the first start, so its public half can be
        // handed to auditors before the first packet.
        vigil_vault::ledger::load_or_create_key(app.dir().root())?;
        // Detection is loaded once at start: a rule, exceptions or behavior file that does not
        // load stops the server with the reason, instead of ingest running without it.
        let detection = config.detection.load()?;
        let ingest = ingest::Spool::start(&config, &app, detection).map_err(ApiError::internal)?;
        let denials = authn::Denials::new(config.denial_window);
        let assistant_model = match &config.assistant_model {
            Some(m) => Some(Arc::new(
                vigil_llm::ChatClient::new(m.clone())
                    .map_err(|e| ApiError::bad_request(format!("assistant model: {e}")))?,
            )),
            None => None,
        };
        Ok(Arc::new(AppState {
            app,
            limiter: LoginLimiter::new(),
            ingest,
            denials,
            stopping: vigil_query::Cancel::new(),
            ingest_memory: Arc::new(tokio::sync::Semaphore::new(
                (config.ingest_memory_bytes.div_ceil(1024)).clamp(1, tokio::sync::Semaphore::MAX_PERMITS),
            )),
            assistant_model,
            listen_stats: Default::default(),
            config,
        }))
    }

    /// Now, as sessions, tokens and every operation see it (tests move the application's clock).
    pub fn now_ms(&self) -> i64 {
        self.app.now_ms()
    }

    /// Signs a checkpoint of the ledger if it grew since the last one.
    pub fn sign_checkpoint(&self) -> ApiResult<()> {
        Ok(self.app.sign_checkpoint()?)
    }

    /// A connection to the state store, for one request (SQLite in WAL mode: readers do not wait
    /// for the ingest writer).
    pub fn store(&self) -> ApiResult<vigil_store::SqliteStore> {
        Ok(self.app.store()?)
    }
}

/// The wall clock (without the offset tests give [`AppState::now_ms`]).
pub fn now_ms() -> i64 {
    use vigil_cases::Clock;
    vigil_cases::SystemClock.now_ms()
}

fn spec(method: Method, path: &'static str, access: Access, summary: &'static str) -> RouteSpec {
    RouteSpec { method, path, access, summary, web: !path.starts_with("/api/") && !path.starts_with("/services/") }
}

/// Every route of the server, with its handler. The router, the authorization layer, the
/// OpenAPI document and the authorization-matrix test are all built from this one list.
pub fn routes() -> Vec<(RouteSpec, MethodRouter<Shared>)> {
    use Access::*;
    use Permission as P;
    use axum::routing::{get, post};
    vec![
        (spec(Method::GET, "/api/v1/health", Public, "Liveness and the schema version"), get(api::health)),
        (spec(Method::GET, "/api/v1/openapi.json", Public, "This API's OpenAPI 3.1 document"), get(openapi::document)),
        (
            spec(Method::POST, "/api/v1/session", Public, "Sign in with a password; sets the session cookie"),
            post(api::login),
        ),
        (spec(Method::DELETE, "/api/v1/session", Signed, "Sign out"), axum::routing::delete(api::logout)),
        (spec(Method::GET, "/api/v1/me", Signed, "Who is calling, with roles and grants"), get(api::me)),
        (
            spec(Method::POST, "/api/v1/me/password", Signed, "Change your own password (ends your sessions)"),
            post(api::me_password),
        ),
        (spec(Method::POST, "/api/v1/events/query", Needs(P::Hunt), "Read-only SQL over the lake"), post(api::query)),
        (
            spec(
                Method::POST,
                "/api/v1/hunts/run",
                Needs(P::Hunt),
                "Run the hunts over weeks; keep the hypotheses they propose",
            ),
            post(hunting::run_api),
        ),
        (
            spec(Method::GET, "/api/v1/hypotheses", Needs(P::Hunt), "Hypotheses waiting on a person (all: every one)"),
            get(hunting::list_api),
        ),
        (spec(Method::GET, "/api/v1/hypotheses/{id}", Needs(P::Hunt), "One hypothesis"), get(hunting::one_api)),
        (
            spec(Method::POST, "/api/v1/hypotheses/{id}/take", Needs(P::Hunt), "Take a hypothesis to test it"),
            post(hunting::take_api),
        ),
        (
            spec(Method::POST, "/api/v1/hypotheses/{id}/dismiss", Needs(P::Hunt), "Dismiss a hypothesis with a reason"),
            post(hunting::dismiss_api),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/hypotheses/{id}/promote",
                Needs(P::Hunt),
                "Promote a hypothesis to a case (needs working cases too)",
            ),
            post(hunting::promote_api),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/assistant/ask",
                Signed,
                "Ask the assistant: an answer from the data you may see, every sentence cited, or \"I do not know\"",
            ),
            post(assistant::ask),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/assistant/conversation",
                Signed,
                "Your own questions to the assistant and its answers, oldest first (an export)",
            ),
            get(assistant::conversation),
        ),
        (spec(Method::GET, "/api/v1/alerts", Needs(P::ViewQueue), "Stored alerts, oldest first"), get(api::alerts)),
        (spec(Method::GET, "/api/v1/alerts/{id}", Needs(P::ViewQueue), "One alert"), get(api::alert)),
        (spec(Method::GET, "/api/v1/incidents", Needs(P::ViewQueue), "Incidents by risk"), get(api::incidents)),
        (
            spec(Method::GET, "/api/v1/incidents/{id}", Needs(P::ViewQueue), "One incident with its verdict's work"),
            get(api::incident),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/incidents/{id}/investigation",
                Needs(P::ViewQueue),
                "Investigate an incident: entities, timeline with decisive events, blast radius, unknowns, next steps",
            ),
            get(api::investigation),
        ),
        (spec(Method::POST, "/api/v1/triage", Needs(P::WorkCases), "Run triage now"), post(api::triage)),
        (spec(Method::GET, "/api/v1/cases", Needs(P::ViewQueue), "Cases with their SLA clocks"), get(api::cases)),
        (spec(Method::GET, "/api/v1/cases/{id}", Needs(P::ViewQueue), "One case"), get(api::case)),
        (
            spec(Method::POST, "/api/v1/cases/{id}/assign", Needs(P::WorkCases), "Assign an owner (and team)"),
            post(api::case_assign),
        ),
        (spec(Method::POST, "/api/v1/cases/{id}/comments", Needs(P::WorkCases), "Comment"), post(api::case_comment)),
        (spec(Method::POST, "/api/v1/cases/{id}/acknowledge", Needs(P::WorkCases), "Acknowledge"), post(api::case_ack)),
        (
            spec(Method::POST, "/api/v1/cases/{id}/status", Needs(P::WorkCases), "Move to another status"),
            post(api::case_status),
        ),
        (
            spec(Method::POST, "/api/v1/cases/{id}/sla", Needs(P::WorkCases), "Pause or resume the SLA clocks"),
            post(api::case_sla),
        ),
        (
            spec(Method::POST, "/api/v1/cases/{id}/disposition", Needs(P::Dispose), "Resolve with a disposition"),
            post(api::case_disposition),
        ),
        (
            spec(Method::GET, "/api/v1/rules", Needs(P::ViewRules), "Rules loaded, idle and rejected, with reasons"),
            get(api::rules),
        ),
        (
            spec(Method::GET, "/api/v1/sources", Needs(P::ViewInventory), "Live sources and their health"),
            get(api::sources),
        ),
        (
            spec(Method::GET, "/api/v1/inventory", Needs(P::ViewInventory), "The asset and identity inventory"),
            get(api::inventory),
        ),
        (
            spec(Method::PUT, "/api/v1/inventory", Needs(P::ManageInventory), "Replace the inventory"),
            axum::routing::put(api::inventory_put),
        ),
        (spec(Method::GET, "/api/v1/audit", Needs(P::ViewAudit), "The audit log"), get(api::audit)),
        (
            spec(
                Method::POST,
                "/api/v1/ingest",
                Needs(P::Ingest),
                "Ingest JSON lines (any format `vigil ingest` reads)",
            ),
            post(ingest::json_lines),
        ),
        (spec(Method::POST, "/services/collector/event", Hec, "Splunk HEC-compatible event ingest"), post(ingest::hec)),
        (
            spec(Method::POST, "/services/collector/event/1.0", Hec, "Splunk HEC-compatible event ingest"),
            post(ingest::hec),
        ),
        (spec(Method::GET, "/services/collector/health", Public, "Splunk HEC health"), get(ingest::hec_health)),
        (spec(Method::GET, "/api/v1/users", Needs(P::ManageIdentity), "Users"), get(api::users)),
        (spec(Method::POST, "/api/v1/users", Needs(P::ManageIdentity), "Create a user"), post(api::user_create)),
        (
            spec(
                Method::POST,
                "/api/v1/users/{name}/disable",
                Needs(P::ManageIdentity),
                "Disable a user (sessions end, tokens stop)",
            ),
            post(api::user_disable),
        ),
        (
            spec(Method::POST, "/api/v1/users/{name}/enable", Needs(P::ManageIdentity), "Enable a disabled user"),
            post(api::user_enable),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/users/{name}/password",
                Needs(P::ManageIdentity),
                "Reset another user's password (their sessions end)",
            ),
            post(api::user_password),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/sessions/prune",
                Needs(P::ManageIdentity),
                "Forget sessions that ended or lapsed over a week ago",
            ),
            post(api::sessions_prune),
        ),
        (
            spec(Method::GET, "/api/v1/tokens", Needs(P::ManageIdentity), "API tokens (never their secrets)"),
            get(api::tokens),
        ),
        (
            spec(Method::POST, "/api/v1/tokens", Needs(P::ManageIdentity), "Create a token; its secret is shown once"),
            post(api::token_create),
        ),
        (
            spec(Method::DELETE, "/api/v1/tokens/{id}", Needs(P::ManageIdentity), "Revoke a token"),
            axum::routing::delete(api::token_revoke),
        ),
        (spec(Method::GET, "/api/v1/grants", Needs(P::ManageIdentity), "Auditor grants"), get(api::grants)),
        (
            spec(Method::POST, "/api/v1/grants", Needs(P::ManageIdentity), "Grant an auditor named cases for a period"),
            post(api::grant_create),
        ),
        (
            spec(Method::DELETE, "/api/v1/grants/{id}", Needs(P::ManageIdentity), "Revoke a grant"),
            axum::routing::delete(api::grant_revoke),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/auditor/cases",
                Needs(P::AuditorPortal),
                "The cases granted to the calling auditor",
            ),
            get(api::auditor_cases),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/auditor/cases/{id}",
                Needs(P::AuditorPortal),
                "One granted case (recorded as an auditor view)",
            ),
            get(api::auditor_case),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/cases/{id}/evidence",
                Needs(P::ViewQueue),
                "The case's evidence and chain of custody (recorded as a custody view)",
            ),
            get(evidence::case_evidence_api),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/cases/{id}/export",
                Needs(P::WorkCases),
                "Export the case's incident packet into the vault (a custody event)",
            ),
            post(evidence::case_export_api),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/cases/{id}/evidence/{sha256}",
                Needs(P::ViewQueue),
                "Download one of the case's artifacts or packets (a custody event)",
            ),
            get(evidence::case_download_api),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/auditor/cases/{id}/evidence",
                Needs(P::AuditorPortal),
                "A granted case's evidence and custody (recorded as a custody view)",
            ),
            get(evidence::auditor_evidence_api),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/auditor/cases/{id}/evidence/{sha256}",
                Needs(P::AuditorPortal),
                "Download a granted case's artifact or packet (a custody event)",
            ),
            get(evidence::auditor_download_api),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/compliance/coverage",
                Needs(P::ViewSummaries),
                "Per control: mapped detections and playbooks, cases and evidence in a period, and status",
            ),
            get(evidence::coverage_api),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/ledger/public-key",
                Public,
                "The Ed25519 key packets and checkpoints are signed with",
            ),
            get(evidence::public_key),
        ),
        (
            spec(
                Method::GET,
                "/api/v1/ledger/verify",
                Needs(P::ViewAudit),
                "Recompute the ledger and check it against every signed checkpoint",
            ),
            get(evidence::ledger_verify),
        ),
        (
            spec(Method::GET, "/api/v1/playbooks", Needs(P::ViewQueue), "The playbooks in force"),
            get(respond::list_playbooks),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/cases/{id}/playbooks/{playbook}",
                Needs(P::Respond),
                "Run a playbook on the case (`{\"dry_run\": true}` shows the calls instead)",
            ),
            post(respond::run_playbook),
        ),
        (spec(Method::GET, "/api/v1/runs", Needs(P::ViewQueue), "Playbook runs, newest first"), get(respond::runs)),
        (
            spec(Method::GET, "/api/v1/runs/{id}", Needs(P::ViewQueue), "One playbook run with its steps"),
            get(respond::run),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/runs/{id}/rollback",
                Needs(P::Respond),
                "Undo a run's state-changing steps (or `step`), under approval",
            ),
            post(respond::rollback),
        ),
        (
            spec(Method::GET, "/api/v1/approvals", Needs(P::Approve), "Approval requests waiting for a decision"),
            get(respond::approvals),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/approvals/{id}/approve",
                Needs(P::Approve),
                "Approve (never your own request; `inputs` edits them, recorded)",
            ),
            post(respond::approve),
        ),
        (spec(Method::POST, "/api/v1/approvals/{id}/deny", Needs(P::Approve), "Deny"), post(respond::deny)),
        (
            spec(
                Method::GET,
                "/api/v1/scorecard",
                Needs(P::ViewSummaries),
                "The scorecard for a week (`week=2026-W47`, `format=json|markdown|html`)",
            ),
            get(summaries::scorecard_api),
        ),
        (spec(Method::GET, "/api/v1/briefs", Needs(P::ViewSummaries), "Executive briefs"), get(summaries::briefs_api)),
        (
            spec(Method::POST, "/api/v1/cases/{id}/brief", Needs(P::WorkCases), "Issue the executive brief for a case"),
            post(summaries::issue_api),
        ),
        (
            spec(
                Method::POST,
                "/api/v1/briefs/{id}/acknowledge",
                Needs(P::ViewSummaries),
                "Acknowledge a brief (stops the decision clock)",
            ),
            post(summaries::acknowledge_api),
        ),
        // The web app.
        (spec(Method::GET, "/", Public, "The queue (sign-in when signed out)"), get(web::home)),
        (spec(Method::GET, "/login", Public, "Sign-in page"), get(web::login_page)),
        (spec(Method::POST, "/login", Public, "Sign in"), post(web::login_submit)),
        (spec(Method::POST, "/logout", Signed, "Sign out"), post(web::logout)),
        (spec(Method::GET, "/sso/login", Public, "Sign in at the OpenID provider"), get(sso::login)),
        (spec(Method::GET, "/sso/callback", Public, "The OpenID provider's answer"), get(sso::callback)),
        (spec(Method::GET, "/static/vigil.css", Public, "Stylesheet"), get(web::css)),
        (spec(Method::GET, "/incidents/{id}", Needs(P::ViewQueue), "Incident page"), get(web::incident_page)),
        (spec(Method::GET, "/alerts/{id}", Needs(P::ViewQueue), "Alert page"), get(web::alert_page)),
        (
            spec(Method::GET, "/incidents/{id}/investigation", Needs(P::ViewQueue), "An incident's investigation"),
            get(web::investigation_page),
        ),
        (
            spec(Method::GET, "/events/{id}", Needs(P::Hunt), "Event page: its fields and raw record"),
            get(web::event_page),
        ),
        (
            spec(Method::GET, "/baselines/{entity}", Needs(P::ViewQueue), "What behavioral detections learned"),
            get(web::baseline_page),
        ),
        (spec(Method::GET, "/cases", Needs(P::ViewQueue), "Cases page"), get(web::cases_page)),
        (spec(Method::GET, "/cases/{id}", Needs(P::ViewQueue), "Case page"), get(web::case_page)),
        (spec(Method::POST, "/cases/{id}/assign", Needs(P::WorkCases), "Assign (form)"), post(web::case_assign)),
        (spec(Method::POST, "/cases/{id}/comment", Needs(P::WorkCases), "Comment (form)"), post(web::case_comment)),
        (
            spec(Method::POST, "/cases/{id}/disposition", Needs(P::Dispose), "Resolve (form)"),
            post(web::case_disposition),
        ),
        (
            spec(Method::POST, "/cases/{id}/export", Needs(P::WorkCases), "Export an incident packet (form)"),
            post(evidence::case_export_form),
        ),
        (
            spec(Method::GET, "/compliance", Needs(P::ViewSummaries), "Compliance coverage page"),
            get(evidence::compliance_page),
        ),
        (
            spec(Method::POST, "/cases/{id}/playbooks", Needs(P::Respond), "Run a playbook (form)"),
            post(respond::run_form),
        ),
        (
            spec(Method::POST, "/runs/{id}/rollback", Needs(P::Respond), "Roll a run back (form)"),
            post(respond::rollback_form),
        ),
        (spec(Method::GET, "/approvals", Needs(P::Approve), "The approvals inbox"), get(respond::inbox)),
        (
            spec(Method::POST, "/approvals/{id}/approve", Needs(P::Approve), "Approve (form)"),
            post(respond::approve_form),
        ),
        (spec(Method::POST, "/approvals/{id}/deny", Needs(P::Approve), "Deny (form)"), post(respond::deny_form)),
        (
            spec(Method::GET, "/metrics", Needs(P::ViewSummaries), "Prometheus metrics (scrape with a token)"),
            get(metrics::metrics),
        ),
        (spec(Method::GET, "/scorecard", Needs(P::ViewSummaries), "The scorecard page"), get(summaries::scorecard_web)),
        (spec(Method::GET, "/briefs/{id}", Needs(P::ViewSummaries), "A brief"), get(summaries::brief_web)),
        (
            spec(Method::POST, "/briefs/{id}/acknowledge", Needs(P::ViewSummaries), "Acknowledge a brief (form)"),
            post(summaries::acknowledge_web),
        ),
        (
            spec(Method::POST, "/cases/{id}/brief", Needs(P::WorkCases), "Issue a brief (form)"),
            post(summaries::issue_web),
        ),
        (spec(Method::GET, "/ask", Signed, "The Ask page"), get(assistant::ask_page)),
        (spec(Method::POST, "/ask", Signed, "Ask the assistant (form)"), post(assistant::ask_form)),
        (spec(Method::GET, "/hunt", Needs(P::Hunt), "Hunting page"), get(web::hunt_page)),
        (spec(Method::POST, "/hunt", Needs(P::Hunt), "Run a hunt (form)"), post(web::hunt_run)),
        (spec(Method::POST, "/hunt/weeks", Needs(P::Hunt), "Run the hunts over weeks (form)"), post(hunting::run_web)),
        (spec(Method::GET, "/hypotheses", Needs(P::Hunt), "Hypotheses from the hunts"), get(hunting::list_page)),
        (spec(Method::GET, "/hypotheses/{id}", Needs(P::Hunt), "One hypothesis"), get(hunting::one_page)),
        (
            spec(Method::POST, "/hypotheses/{id}/take", Needs(P::Hunt), "Take a hypothesis (form)"),
            post(hunting::take_web),
        ),
        (
            spec(Method::POST, "/hypotheses/{id}/dismiss", Needs(P::Hunt), "Dismiss a hypothesis with a reason (form)"),
            post(hunting::dismiss_web),
        ),
        (
            spec(
                Method::POST,
                "/hypotheses/{id}/promote",
                Needs(P::Hunt),
                "Promote a hypothesis to a case (form; working cases too)",
            ),
            post(hunting::promote_web),
        ),
        (spec(Method::GET, "/rules", Needs(P::ViewRules), "Rules page"), get(web::rules_page)),
        (spec(Method::GET, "/sources", Needs(P::ViewInventory), "Live sources page"), get(web::sources_page)),
        (spec(Method::GET, "/auditor", Needs(P::AuditorPortal), "Auditor portal"), get(web::auditor_page)),
        (
            spec(Method::GET, "/auditor/cases/{id}", Needs(P::AuditorPortal), "A granted case, read-only"),
            get(web::auditor_case_page),
        ),
        (spec(Method::GET, "/account", Signed, "Your account"), get(web::account_page)),
        (spec(Method::POST, "/account/password", Signed, "Change your password (form)"), post(web::account_password)),
        (spec(Method::GET, "/admin", Needs(P::ManageIdentity), "Users, tokens and grants"), get(web::admin_page)),
        (spec(Method::POST, "/admin/users", Needs(P::ManageIdentity), "Create a user (form)"), post(web::admin_user)),
        (
            spec(
                Method::POST,
                "/admin/tokens",
                Needs(P::ManageIdentity),
                "Create a token (form; its secret shown once)",
            ),
            post(web::admin_token),
        ),
        (
            spec(Method::POST, "/admin/tokens/{id}/revoke", Needs(P::ManageIdentity), "Revoke a token (form)"),
            post(web::admin_token_revoke),
        ),
        (
            spec(Method::POST, "/admin/grants", Needs(P::ManageIdentity), "Grant an auditor cases (form)"),
            post(web::admin_grant),
        ),
        (
            spec(Method::POST, "/admin/users/{name}/disable", Needs(P::ManageIdentity), "Disable a user (form)"),
            post(web::admin_user_disable),
        ),
        (
            spec(Method::POST, "/admin/users/{name}/enable", Needs(P::ManageIdentity), "Enable a user (form)"),
            post(web::admin_user_enable),
        ),
        (
            spec(
                Method::POST,
                "/admin/users/{name}/password",
                Needs(P::ManageIdentity),
                "Reset a user's password (form)",
            ),
            post(web::admin_user_password),
        ),
        (
            spec(Method::POST, "/admin/sessions/prune", Needs(P::ManageIdentity), "Forget old sessions (form)"),
            post(web::admin_sessions_prune),
        ),
    ]
}

/// The router: every route of [`routes`] behind its access check, and the security headers.
pub fn router(state: Shared) -> Router {
    let mut r: Router<Shared> = Router::new();
    for (spec, handler) in routes() {
        let access = spec.access;
        let web = spec.web;
        // Only ingest routes take large bodies, and only once authorized: this limit sits
        // inside the access check, and the body is read by the handler, after it.
        let handler = if is_ingest_route(spec.path) {
            handler
                .layer(axum::extract::DefaultBodyLimit::max(state.config.max_body_bytes))
                .layer(middleware::from_fn_with_state(state.clone(), ingest::reserve_memory))
        } else {
            handler
        };
        let guarded =
            handler.route_layer(middleware::from_fn_with_state((state.clone(), access, web), authn::authorize));
        r = r.route(spec.path, guarded);
    }
    let r = r
        .fallback(api::not_found)
        .layer(middleware::from_fn(json_rejections))
        .layer(middleware::map_response(security_headers))
        .layer(axum::extract::DefaultBodyLimit::max(state.config.small_body_bytes));
    let r = if state.config.tls.is_some() { r.layer(middleware::map_response(strict_transport)) } else { r };
    r.with_state(state)
}

/// The API's errors are all `{"error": {"code", "message"}}`: a body the extractors refuse
/// (malformed JSON, a field of the wrong type, the wrong media type, too large) answers in plain
/// text from axum, and is rewritten here for `/api/` routes, its status and words kept.
async fn json_rejections(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let api = req.uri().path().starts_with("/api/");
    let r = next.run(req).await;
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !api || !plain || !(r.status().is_client_error() || r.status().is_server_error()) {
        return r;
    }
    let status = r.status();
    let code = match status {
        StatusCode::UNPROCESSABLE_ENTITY => "unprocessable",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        s if s.is_server_error() => "internal",
        _ => "bad_request",
    };
    // Rejection texts are short; anything longer is cut rather than read whole.
    let text = match axum::body::to_bytes(r.into_body(), 4096).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => status.canonical_reason().unwrap_or("error").to_string(),
    };
    ApiError::new(status, code, text).into_response()
}

/// The routes whose bodies may be as large as [`Config::max_body_bytes`].
fn is_ingest_route(path: &str) -> bool {
    path == "/api/v1/ingest" || path.starts_with("/services/collector/event")
}

/// Browsers that reached Vigil over HTTPS keep to HTTPS for a year (sent only when TLS is on).
async fn strict_transport(mut r: axum::response::Response) -> axum::response::Response {
    r.headers_mut()
        .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    r
}

/// A strict Content-Security-Policy (no inline script or style, nothing from elsewhere) and the
/// usual hardening headers on every response.
async fn security_headers(mut r: axum::response::Response) -> axum::response::Response {
    let h = r.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: axum::http::HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    // A handler may set a narrower policy of its own (the scorecard's inline styles); otherwise
    // the strict one.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        set(
            h,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        );
    }
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(h, header::CACHE_CONTROL, "no-store");
    r
}

/// Serves until ctrl-c or SIGTERM, then stops taking requests, lets those in flight finish and
/// ingests everything already spooled before returning.
pub async fn serve(
    state: Shared,
    addr: SocketAddr,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
) -> std::io::Result<()> {
    serve_until(state, addr, ready, shutdown_signal()).await
}

/// [`serve`], stopping when `stop` completes instead of on a signal.
pub async fn serve_until(
    state: Shared,
    addr: SocketAddr,
    ready: Option<tokio::sync::oneshot::Sender<SocketAddr>>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let certs = match &state.config.tls {
        Some(files) => Some(std::sync::Arc::new(
            tls::Certificates::load(files).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?,
        )),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    if let Some(tx) = ready {
        let _ = tx.send(local);
    }
    let app = router(state.clone());
    let signer = tokio::spawn(sign_checkpoints(state.clone()));
    let flusher = tokio::spawn(flush_denials(state.clone()));
    let hunter = state.config.hunt_every.map(|every| tokio::spawn(scheduled_hunts(state.clone(), every)));
    let investigator =
        state.config.investigate_every.map(|every| tokio::spawn(scheduled_investigations(state.clone(), every)));
    let poller = state.config.poll_every.map(|every| tokio::spawn(scheduled_polls(state.clone(), every)));
    let reloader = certs.clone().map(|c| tokio::spawn(tls::watch(c, state.config.tls_reload_every)));
    let listeners = listen::start(state.clone(), certs.clone()).await?;
    let b = &listeners.bound;
    for (what, addr) in [("UDP", b.udp), ("TCP", b.tcp), ("TLS", b.tls)] {
        if let Some(a) = addr {
            tracing::info!("receiving syslog over {what} on {a}");
        }
    }
    let stopping = state.stopping.clone();
    let stop = async move {
        stop.await;
        stopping.cancel();
    };
    transport::serve(listener, app, transport::Limits::of(&state.config), certs, stop).await?;
    if let Some(r) = reloader {
        r.abort();
    }
    signer.abort();
    flusher.abort();
    if let Some(h) = hunter {
        h.abort();
    }
    if let Some(h) = investigator {
        h.abort();
    }
    if let Some(h) = poller {
        h.abort();
    }
    // What the listeners hold goes to the spool before the spool's last run.
    listeners.stop().await;
    // The refusals counted since the last summary, so none is lost at shutdown.
    let st = state.clone();
    let _ = tokio::task::spawn_blocking(move || st.denials.flush_all(&st)).await;
    let st = state.clone();
    // A last tree head, so everything done while serving is anchored.
    let _ = tokio::task::spawn_blocking(move || st.sign_checkpoint()).await;
    let st = state.clone();
    let _ = tokio::task::spawn_blocking(move || st.ingest.shutdown()).await;
    Ok(())
}

/// Housekeeping while serving, every `checkpoint_every`: signs the ledger's tree head and
/// forgets sessions that ended or lapsed long ago.
async fn sign_checkpoints(state: Shared) {
    let mut tick = tokio::time::interval(state.config.checkpoint_every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        match tokio::task::spawn_blocking(move || st.sign_checkpoint()).await {
            Ok(Err(e)) => tracing::warn!("signing a ledger checkpoint: {}", e.message),
            Err(e) => tracing::warn!("signing a ledger checkpoint: {e}"),
            Ok(Ok(())) => {}
        }
        let st = state.clone();
        match tokio::task::spawn_blocking(move || st.app.prune_sessions_housekeeping()).await {
            Ok(Err(e)) => tracing::warn!("pruning sessions: {e}"),
            Err(e) => tracing::warn!("pruning sessions: {e}"),
            Ok(Ok(_)) => {}
        }
    }
}

/// Runs the hunts over weeks once per `every` (the first a period after start), as the hunt
/// schedule's automation; a lake with nothing in it yet is skipped quietly.
async fn scheduled_hunts(state: Shared, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        let who = vigil_app::Caller::automation(vigil_app::caller::HUNT_SCHEDULE);
        match tokio::task::spawn_blocking(move || st.app.run_hunts(&who, hunting::DEFAULT_DAYS, &[])).await {
            Ok(Ok(r)) => tracing::info!("scheduled hunts: {} new hypotheses, {} again", r.new.len(), r.again.len()),
            Ok(Err(vigil_app::AppError::Invalid(m))) => tracing::debug!("scheduled hunts skipped: {m}"),
            Ok(Err(e)) => tracing::warn!("scheduled hunts: {e}"),
            Err(e) => tracing::warn!("scheduled hunts: {e}"),
        }
    }
}

/// Every `every`, polls each live source to its end (at most 100 pages a tick) as the poller
/// automation, with the detection HTTP ingest uses; when a poll brought alerts, triage and the
/// playbooks they trigger run, as after HTTP ingest. A source's failure is kept in its health
/// (and raises a blind-spot alert once it keeps failing) and tried again at the next tick.
async fn scheduled_polls(state: Shared, every: std::time::Duration) {
    let detection = match state.config.detection.load() {
        Ok(d) => Arc::new(d),
        Err(e) => {
            tracing::error!("live sources are not polled: detection did not load: {e}");
            return;
        }
    };
    let mut tick = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let st = state.clone();
        let d = detection.clone();
        let r = tokio::task::spawn_blocking(move || poll_sources(&st, &d)).await;
        if let Err(e) = r {
            tracing::warn!("polling live sources: {e}");
        }
    }
}

fn poll_sources(st: &AppState, detection: &vigil_app::detection::Detection) {
    let who = vigil_app::Caller::automation(vigil_app::caller::POLLER);
    let conns = match st.app.connections(&who) {
        Ok(c) => c,
        Err(e) => return tracing::warn!("live sources: {e}"),
    };
    let mut alerts = 0;
    for c in conns {
        if st.stopping.is_cancelled() {
            return;
        }
        match st.app.poll(&who, &c.name, &st.config.response, Some(detection), 100) {
            Ok(r) => {
                if r.records > 0 {
                    tracing::info!("{}: {} records, {} new events, {} alerts", c.name, r.records, r.events, r.alerts);
                }
                alerts += r.alerts;
            }
            Err(e) => tracing::warn!("{}: poll failed: {e}", c.name),
        }
    }
    match st.app.raise_blind_spots(&who) {
        Ok(n) => alerts += n,
        Err(e) => tracing::warn!("blind spots: {e}"),
    }
    if alerts > 0 {
        let triage = vigil_app::Caller::automation(vigil_queue::TRIAGE_ACTOR);
        match st.app.triage(&triage) {
            Err(e) => tracing::error!("triage after polling: {e}"),
            Ok(_) => {
                if let Err(e) = respond::trigger_all(&st.config, &st.app) {
                    tracing::error!("playbooks after polling: {}", e.message);
                }
            }
        }
    }
}

/// Every `every`, investigates the queued incidents that have no current investigation, highest
/// risk first, as the investigator automation, until none is left or the server stops. One
/// incident's failure is logged and tried again at the next tick.
async fn scheduled_investigations(state: Shared, every: std::time::Duration) {
    let mut tick = tokio::time::interval(every.max(std::time::Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        let r = tokio::task::spawn_blocking(move || {
            let who = vigil_app::Caller::automation(vigil_app::caller::INVESTIGATOR);
            let stop = || st.stopping.is_cancelled();
            vigil_assistant::investigate::investigate_pending(&st.app, &who, &st.config.response, usize::MAX, &stop)
        })
        .await;
        match r {
            Ok(Ok(run)) => {
                if !run.investigated.is_empty() {
                    tracing::info!(
                        "investigated {} queued incidents; {} still to investigate",
                        run.investigated.len(),
                        run.remaining
                    );
                }
                for (id, why) in &run.failed {
                    tracing::warn!("investigating {id}: {why}");
                }
            }
            Ok(Err(e)) => tracing::warn!("investigating queued incidents: {e}"),
            Err(e) => tracing::warn!("investigating queued incidents: {e}"),
        }
    }
}

/// Writes the summaries of refusal windows that have ended, once a window.
async fn flush_denials(state: Shared) {
    let mut tick = tokio::time::interval(state.config.denial_window.max(std::time::Duration::from_millis(100)));
    tick.tick().await;
    loop {
        tick.tick().await;
        let st = state.clone();
        let _ = tokio::task::spawn_blocking(move || st.denials.flush_due(&st, now_ms())).await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight and ingesting what is spooled");
}
