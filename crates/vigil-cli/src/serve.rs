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

pub fn serve(
    data_dir: &std::path::Path,
    listen: SocketAddr,
    insecure_cookies: bool,
    rules: crate::detect::RuleArgs,
    playbooks: crate::playbook::PlaybookArgs,
) -> Result<()> {
    let dir = DataDir::new(data_dir);
    bootstrap_admin(&dir)?;
    // Refuse to start on a bad playbook file rather than at the first incident.
    playbooks.playbooks()?;
    let mut config = vigil_server::Config::new(data_dir);
    config.secure_cookies = !insecure_cookies;
    config.detection = rules.config();
    config.response = playbooks.config();
    run(config, listen)
}

pub fn run(config: vigil_server::Config, listen: SocketAddr) -> Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the runtime")?;
    rt.block_on(async move {
        let state = vigil_server::AppState::new(config).map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let server = tokio::spawn(vigil_server::serve(state, listen, Some(tx)));
        if let Ok(addr) = rx.await {
            println!(
                "Vigil is serving on http://{addr}  (API under /api/v1, OpenAPI at /api/v1/openapi.json; ctrl-c stops)"
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
