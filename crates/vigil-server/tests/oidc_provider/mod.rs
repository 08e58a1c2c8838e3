//! A real OpenID provider for the single sign-on tests: `scripts/oidc-provider/provider.mjs`
//! (panva's `oidc-provider` under Node), started on a free port with Vigil registered as a
//! client, a few people with groups, and a fresh signing key.
//!
//! Needs `node` on the PATH and `scripts/oidc-provider/node_modules` (`npm ci` there). Without
//! them the tests say so and skip — unless `VIGIL_REQUIRE_OIDC` is set (CI), where they fail.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use vigil_connectors::{HttpRequest, HttpResponse, HttpTransport, Transport};

pub const CLIENT_ID: &str = "vigil-test";
pub const CLIENT_SECRET: &str = "client-secret-for-the-tests-only-7c1f";

/// The people the provider knows: username, password, groups.
pub const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("ann", "ann-password-1", &["soc-analysts"]),
    ("lee", "lee-password-1", &["soc-leads", "everyone"]),
    ("analyst", "analyst-password-1", &["soc-leads"]),
    ("bob", "bob-password-1", &["marketing"]),
];

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn which(cmd: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(cmd).is_file()))
}

/// Whether the provider can run here; when not, says why (and fails under `VIGIL_REQUIRE_OIDC`).
pub fn available(test: &str) -> bool {
    let missing = if !which("node") {
        Some("node is not on the PATH")
    } else if !repo_root().join("scripts/oidc-provider/node_modules/oidc-provider").is_dir() {
        Some("scripts/oidc-provider/node_modules is missing (run `npm ci` in scripts/oidc-provider)")
    } else {
        None
    };
    match missing {
        None => true,
        Some(why) => {
            assert!(std::env::var_os("VIGIL_REQUIRE_OIDC").is_none(), "VIGIL_REQUIRE_OIDC is set but {why}");
            eprintln!("skipping {test}: {why}");
            false
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running provider; stopped when dropped.
pub struct Provider {
    child: Child,
    _stdin: ChildStdin,
    pub port: u16,
    pub issuer: String,
    _dir: tempfile::TempDir,
}

impl Provider {
    /// Starts the provider at `http://localhost:<port>` signing with a fresh key named `kid`;
    /// Vigil's redirect URI is `redirect`.
    pub fn start(port: u16, kid: &str, redirect: &str) -> Provider {
        let issuer = format!("http://localhost:{port}");
        let users: serde_json::Map<String, Value> = PEOPLE
            .iter()
            .map(|(u, p, g)| {
                (u.to_string(), json!({"password": p, "name": format!("{u} (from the provider)"), "email": format!("{u}@example.com"), "groups": g}))
            })
            .collect();
        let config = json!({
            "issuer": issuer,
            "kid": kid,
            "clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [redirect]}],
            "users": users,
        });
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("provider.json");
        std::fs::write(&file, config.to_string()).unwrap();
        let mut child = Command::new("node")
            .arg(repo_root().join("scripts/oidc-provider/provider.mjs"))
            .arg(&file)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node starts");
        let stdin = child.stdin.take().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        match lines.next() {
            Some(Ok(l)) if l.starts_with("listening ") => {}
            other => panic!("the OpenID provider did not start: {other:?}"),
        }
        // Keep reading its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Provider { child, _stdin: stdin, port, issuer, _dir: dir }
    }

    /// Makes the token endpoint misbehave: `none`, `wrong_audience`, `expired` or `tampered`.
    pub fn set_mode(&self, mode: &str) {
        let mut req = HttpRequest::new("POST", format!("{}/_test/mode", self.issuer));
        req.body = Some(mode.to_string());
        let r = HttpTransport::new(Duration::from_secs(10)).send(&req).unwrap();
        assert_eq!(r.status, 204);
    }

    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The Vigil settings for this provider.
pub fn settings(issuer: &str, redirect: &str, extra: Value) -> vigil_app::sso::SsoConfig {
    let mut s = json!({
        "provider_name": "Test Provider",
        "issuer": issuer,
        "client_id": CLIENT_ID,
        "redirect_url": redirect,
        "role_map": {"soc-analysts": ["analyst"], "soc-leads": ["analyst", "approver"], "it-admins": ["admin"]},
        "jit_users": true,
    });
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    let settings = vigil_auth::SsoSettings::parse(&s.to_string()).unwrap();
    vigil_app::sso::SsoConfig::new(settings, CLIENT_SECRET.into()).unwrap()
}

/// A scripted browser: follows no redirect by itself, keeps cookies per host and port.
pub struct Browser {
    http: HttpTransport,
    pub jar: HashMap<String, HashMap<String, String>>,
    /// Every URL visited, in order.
    pub visited: Vec<String>,
}

fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split('/').next().unwrap_or_default().to_string()
}

fn absolute(base: &str, loc: &str) -> String {
    if loc.starts_with("http://") || loc.starts_with("https://") {
        loc.to_string()
    } else {
        let scheme = base.split_once("://").map_or("http", |(s, _)| s);
        format!("{scheme}://{}{loc}", origin(base))
    }
}

impl Default for Browser {
    fn default() -> Self {
        Browser { http: HttpTransport::new(Duration::from_secs(20)), jar: HashMap::new(), visited: Vec::new() }
    }
}

impl Browser {
    pub fn cookie(&self, url: &str, name: &str) -> Option<String> {
        self.jar.get(&origin(url)).and_then(|c| c.get(name)).cloned()
    }

    pub fn send(&mut self, mut req: HttpRequest) -> HttpResponse {
        self.visited.push(req.url.clone());
        let host = origin(&req.url);
        if let Some(c) = self.jar.get(&host)
            && !c.is_empty()
        {
            let v = c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req = req.with_header("Cookie", v);
        }
        let r = self.http.send(&req).unwrap();
        for set in r.headers_named("set-cookie") {
            let first = set.split(';').next().unwrap_or_default();
            let Some((k, v)) = first.split_once('=') else { continue };
            let gone = v.is_empty() || set.to_ascii_lowercase().contains("max-age=0") || set.contains("1970");
            let jar = self.jar.entry(host.clone()).or_default();
            if gone {
                jar.remove(k.trim());
            } else {
                jar.insert(k.trim().to_string(), v.to_string());
            }
        }
        r
    }

    pub fn get(&mut self, url: &str) -> HttpResponse {
        self.send(HttpRequest::new("GET", url))
    }

    /// Follows redirects from `url` until a page answers; returns its URL and the answer.
    pub fn follow(&mut self, url: &str) -> (String, HttpResponse) {
        let mut url = url.to_string();
        for _ in 0..20 {
            let r = self.get(&url);
            match r.header("location") {
                Some(loc) if (300..400).contains(&r.status) => url = absolute(&url, loc),
                _ => return (url, r),
            }
        }
        panic!("too many redirects from {url}");
    }

    /// Signs in at the provider's form (the page `page_url` answered) and follows on; returns
    /// the last URL and answer.
    pub fn provider_login(
        &mut self,
        page_url: &str,
        page: &HttpResponse,
        user: &str,
        password: &str,
    ) -> (String, HttpResponse) {
        let html = page.text();
        let action =
            html.split("action=\"").nth(1).and_then(|r| r.split('"').next()).expect("the provider's sign-in form");
        let r = self.send(
            HttpRequest::new("POST", absolute(page_url, action)).with_form(&[("login", user), ("password", password)]),
        );
        let loc = r.header("location").expect("the provider redirects after sign-in").to_string();
        self.follow(&absolute(page_url, &loc))
    }

    /// The whole single sign-on round: Vigil's `/sso/login`, the provider's form, back to
    /// Vigil's callback. Returns the callback URL and Vigil's answer.
    pub fn sso(&mut self, vigil: &str, user: &str, password: &str) -> (String, HttpResponse) {
        let (page_url, page) = self.follow(&format!("{vigil}/sso/login"));
        assert_eq!(page.status, 200, "the provider's sign-in page: {}", page.text());
        let (last, r) = self.provider_login(&page_url, &page, user, password);
        assert!(last.starts_with(&format!("{vigil}/sso/callback?")), "ended at {last}");
        (last, r)
    }
}
