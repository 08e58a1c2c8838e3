//! `vigil serve` and `vigil demo --serve`: the API, HTTP ingest and the web app.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use vigil_auth::Role;
use vigil_pipeline::DataDir;

use vigil_auth::random_password;

/// Creates the first administrator when the data directory has no user: with the password in
/// `VIGIL_ADMIN_PASSWORD`, or a generated one printed once on the terminal (never logged).
pub fn bootstrap_admin(dir: &DataDir) -> Result<()> {
    let (password, shown) = match std::env::var("VIGIL_ADMIN_PASSWORD") {
        Ok(p) if !p.is_empty() => (p, false),
        _ => (random_password(), true),
    };
    if vigil_app::App::new(dir.root()).bootstrap_admin("admin", &password)?.is_none() {
        return Ok(());
    }
    if shown {
        println!("created the first user: admin / {password}  (shown once; change it, or set VIGIL_ADMIN_PASSWORD)");
    } else {
        println!("created the first user: admin (password from VIGIL_ADMIN_PASSWORD)");
    }
    Ok(())
}

/// HTTPS and the bounds on connections.
#[derive(clap::Args, Clone, Debug)]
pub struct ServerArgs {
    /// Serve HTTPS with this certificate chain (PEM, server certificate first); reloaded when
    /// the file changes. Needs `--tls-key`.
    #[arg(long, value_name = "PEM", env = "VIGIL_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The certificate's private key (PEM: PKCS#8, RSA or EC); reloaded when the file changes.
    #[arg(long, value_name = "PEM", env = "VIGIL_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// Most connections open at once; past it new ones wait in the kernel's backlog.
    #[arg(long, value_name = "N", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Seconds a connection has to send its TLS handshake and each request's headers.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a connection may stay silent between requests, or a request body may stall.
    #[arg(long, value_name = "SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub idle_timeout: u64,
    /// An OpenAI-compatible model the assistant plans and phrases with (a JSON file, as for
    /// `vigil ask --model`); identifiers are redacted before anything leaves this machine.
    #[arg(long, value_name = "FILE", env = "VIGIL_ASSISTANT_MODEL")]
    pub assistant_model: Option<std::path::PathBuf>,
    /// Receive syslog (RFC 5424 and RFC 3164) over UDP on this address (`0.0.0.0:514`).
    #[arg(long, value_name = "ADDR")]
    pub syslog_udp: Option<SocketAddr>,
    /// Receive syslog over TCP on this address (octet-counted or newline-terminated messages).
    #[arg(long, value_name = "ADDR")]
    pub syslog_tcp: Option<SocketAddr>,
    /// Receive syslog over TLS (RFC 5425, port 6514) with the server's certificate. Needs
    /// `--tls-cert`.
    #[arg(long, value_name = "ADDR", requires = "tls_cert")]
    pub syslog_tls: Option<SocketAddr>,
    /// Longest syslog message kept whole, in bytes; a longer one keeps its first bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 65536, value_parser = clap::value_parser!(u32).range(480..=(16 << 20)))]
    pub syslog_max_message: u32,
    /// Follow this file (repeatable): the lines written to it are ingested, through rotation and
    /// restarts; any format `vigil ingest` reads line by line (syslog, audit.log, JSON lines).
    #[arg(long = "tail", value_name = "FILE")]
    pub tails: Vec<std::path::PathBuf>,
}

impl ServerArgs {
    /// Writes these settings into the server's configuration; a model file that does not load
    /// stops the start.
    pub fn apply(&self, config: &mut vigil_server::Config) -> Result<()> {
        if let Some(file) = &self.assistant_model {
            config.assistant_model = Some(vigil_llm::ModelConfig::from_file(file).context("--assistant-model")?);
        }
        if let (Some(cert), Some(key)) = (&self.tls_cert, &self.tls_key) {
            config.tls = Some(vigil_server::tls::TlsFiles { cert: cert.clone(), key: key.clone() });
        }
        config.listen = vigil_server::listen::ListenConfig {
            syslog_udp: self.syslog_udp,
            syslog_tcp: self.syslog_tcp,
            syslog_tls: self.syslog_tls,
            tails: self.tails.clone(),
            max_message_bytes: self.syslog_max_message as usize,
        };
        config.max_connections = self.max_connections as usize;
        config.header_read_timeout = std::time::Duration::from_secs(self.header_timeout);
        config.idle_timeout = std::time::Duration::from_secs(self.idle_timeout);
        Ok(())
    }
}

pub fn serve(
    data_dir: &std::path::Path,
    listen: SocketAddr,
    insecure_cookies: bool,
    rules: crate::detect::RuleArgs,
    playbooks: crate::playbook::PlaybookArgs,
    server: ServerArgs,
    sso: Option<&std::path::Path>,
) -> Result<()> {
    let dir = DataDir::new(data_dir);
    bootstrap_admin(&dir)?;
    // Refuse to start on a bad playbook file rather than at the first incident.
    playbooks.playbooks()?;
    let mut config = vigil_server::Config::new(data_dir);
    config.secure_cookies = !insecure_cookies;
    config.detection = rules.config();
    config.response = playbooks.config();
    server.apply(&mut config)?;
    if let Some(file) = sso {
        config.sso = Some(vigil_app::sso::SsoConfig::load(file).context("--sso")?);
    }
    if let Some(files) = &config.tls {
        if insecure_cookies {
            anyhow::bail!("--insecure-cookies is for plain HTTP; with --tls-cert the session cookie is always Secure");
        }
        // A certificate that cannot be served stops the start, not the first connection.
        vigil_server::tls::server_config(files).context("--tls-cert/--tls-key")?;
    }
    run(config, listen)
}

pub fn run(config: vigil_server::Config, listen: SocketAddr) -> Result<()> {
    let tls = config.tls.is_some();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(async move {
        let state = vigil_server::AppState::new(config).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(vigil_server::serve(state, listen, Some(tx)));
        if let Ok(addr) = rx.await {
            let scheme = if tls { "https" } else { "http" };
            println!(
                "Vigil is serving on {scheme}://{addr}  (API under /api/v1, OpenAPI at /api/v1/openapi.json; ctrl-c stops)"
            );
        }
        server.await.context("server task")?.with_context(|| format!("serving on {listen}"))?;
        println!("stopped: requests in flight finished and the ingest spool is empty");
        anyhow::Ok(())
    })
}

/// Demo users, each with a fresh password, and an auditor granted the first case.
pub fn demo_users(dir: &DataDir) -> Result<Vec<(String, String, String)>> {
    let app = vigil_app::App::new(dir.root());
    let demo = vigil_app::Caller::local("demo");
    let now = app.now_ms();
    let first_case = app.all_cases(&demo)?.into_iter().max_by(|a, b| a.risk.total_cmp(&b.risk));
    let mut out = Vec::new();
    let people: [(&str, &str, &[Role]); 6] = [
        ("admin", "Administrator", &[Role::Admin]),
        ("maya.iam", "Maya (identity analyst)", &[Role::Analyst]),
        ("sam.edr", "Sam (responder)", &[Role::Responder]),
        ("lead", "Lead (approver)", &[Role::Approver]),
        ("auditor", "External auditor", &[Role::Auditor]),
        ("exec", "Executive", &[Role::Executive]),
    ];
    for (user, name, roles) in people {
        let pw = random_password();
        let u = vigil_app::admin::NewUser {
            username: user.into(),
            display_name: name.into(),
            roles: roles.to_vec(),
            password: pw.clone(),
        };
        // A person the pilot already made (a case owner, the approver) keeps their roles.
        let view = app.create_or_reset_user(&demo, &u)?;
        out.push((user.to_string(), pw, view.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")));
    }
    if let Some(c) = first_case {
        let from = c.times.opened_ms - 86_400_000;
        let g = vigil_app::admin::NewGrant {
            auditor: "auditor".into(),
            cases: vec![c.id.clone()],
            from_ms: from,
            to_ms: now + 86_400_000,
            expires_ms: now + 7 * 86_400_000,
        };
        app.create_grant(&demo, &g)?;
        out.push(("(grant)".into(), c.id.clone(), "auditor may see this case for 7 days".into()));
    }
    Ok(out)
}
