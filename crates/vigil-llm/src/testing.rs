//! A real llama.cpp server for tests (feature `testing`): `scripts/llm-server` from the
//! repository, SmolLM2-135M-Instruct on one CPU thread on a free loopback port, stopped when
//! dropped. Where the server is not installed, [`LocalServer::start`] gives `None` with a note
//! on stderr — unless `VIGIL_REQUIRE_LLM` is set (to anything but empty or `0`), which makes it
//! a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{ChatClient, ModelConfig};

/// The model id the script serves the model under.
pub const MODEL_ID: &str = "smollm2-135m-instruct";

/// The repository root, from a crate's manifest directory (`crates/<name>`).
pub fn repo_root(manifest_dir: &str) -> PathBuf {
    let p = Path::new(manifest_dir).join("../..");
    p.canonicalize().unwrap_or(p)
}

fn free_port() -> Option<u16> {
    TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok().map(|a| a.port())
}

fn required() -> bool {
    std::env::var("VIGIL_REQUIRE_LLM").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The running server; killed when dropped.
pub struct LocalServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.log);
    }
}

impl LocalServer {
    /// Starts the server and waits (at most 60 s) until it answers `/health` with 200; `None`
    /// when it is not installed and not required. Panics when required and missing, or when it
    /// does not come up.
    pub fn start(root: &Path) -> Option<LocalServer> {
        let script = root.join("scripts/llm-server");
        let out = Command::new(&script).arg("path").current_dir(root).output();
        if !matches!(&out, Ok(o) if o.status.success()) {
            let why = match &out {
                Ok(o) => String::from_utf8_lossy(&o.stderr).trim().to_string(),
                Err(e) => e.to_string(),
            };
            assert!(
                !required(),
                "VIGIL_REQUIRE_LLM is set but the llama.cpp server is not installed ({why}); run scripts/llm-server install"
            );
            eprintln!(
                "skipping: no llama.cpp server ({why}); run scripts/llm-server install, or set VIGIL_REQUIRE_LLM=1"
            );
            return None;
        }
        let port = free_port()?;
        let log = std::env::temp_dir().join(format!("vigil-llm-server-{}-{port}.log", std::process::id()));
        let file = std::fs::File::create(&log).ok()?;
        let child = Command::new(&script)
            .arg("start")
            .arg(port.to_string())
            .current_dir(root)
            .stdin(Stdio::null())
            .stdout(file.try_clone().ok()?)
            .stderr(file)
            .spawn()
            .ok()?;
        let mut server = LocalServer { child, port, log };
        server.wait_healthy();
        Some(server)
    }

    /// The last lines the server wrote.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn wait_healthy(&mut self) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(2)))
            .http_status_as_error(false)
            .proxy(None)
            .build()
            .into();
        let url = format!("http://127.0.0.1:{}/health", self.port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(resp) = agent.get(&url).call()
                && resp.status() == 200
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("llama-server exited ({status}) before it was healthy:\n{}", self.log_tail());
            }
            assert!(Instant::now() < deadline, "llama-server not healthy within 60 s:\n{}", self.log_tail());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The endpoint's configuration: this server, `max_tokens`, a generous time-out.
    pub fn config(&self, max_tokens: u32) -> ModelConfig {
        let mut cfg = ModelConfig::new(format!("http://127.0.0.1:{}/v1", self.port), MODEL_ID);
        cfg.max_tokens = max_tokens;
        cfg.timeout_ms = 60_000;
        cfg
    }

    /// A client of this server.
    pub fn client(&self, max_tokens: u32) -> ChatClient {
        match ChatClient::new(self.config(max_tokens)) {
            Ok(c) => c,
            Err(e) => panic!("a client of the local server: {e}"),
        }
    }
}
