//! Test harness: a sandbox seeded with a few users, devices and keys, and a transport that
//! records what it sends and receives and records waits instead of sleeping.

use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;
use vigil_connectors::sandbox::{RecordedRequest, Sandbox};
use vigil_connectors::{
    ActionContext, ActionOutcome, ConnectorError, HttpRequest, HttpResponse, HttpTransport, Secrets, Transport, action,
};

pub const ALICE: &str = "00u1alice0000000000";
pub const ALICE_LOGIN: &str = "alice@acme.example";
pub const BOB: &str = "00u2bob00000000000";
pub const HOST: &str = "dev-ws-01";
pub const HOST2: &str = "dev-ws-02";
pub const IAM_USER: &str = "svc-deploy";
pub const KEY_ACTIVE: &str = "AKIAEXAMPLEKEY000001";
pub const KEY_INACTIVE: &str = "AKIAEXAMPLEKEY000002";

/// Records every request and response, and every wait, without waiting.
pub struct Recorder {
    inner: HttpTransport,
    pub sent: Mutex<Vec<HttpRequest>>,
    pub received: Mutex<Vec<HttpResponse>>,
    pub sleeps: Mutex<Vec<Duration>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::with_timeout(Duration::from_secs(10))
    }

    pub fn with_timeout(t: Duration) -> Self {
        Recorder {
            inner: HttpTransport::new(t),
            sent: Mutex::new(Vec::new()),
            received: Mutex::new(Vec::new()),
            sleeps: Mutex::new(Vec::new()),
        }
    }
}

impl Transport for Recorder {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        self.sent.lock().expect("lock").push(req.clone());
        let resp = self.inner.send(req)?;
        self.received.lock().expect("lock").push(resp.clone());
        Ok(resp)
    }

    fn sleep(&self, wait: Duration) {
        self.sleeps.lock().expect("lock").push(wait);
    }
}

/// Answers from a fixed list, for response shapes the sandbox does not produce.
pub struct Canned {
    pub answers: Mutex<Vec<HttpResponse>>,
    pub sent: Mutex<Vec<HttpRequest>>,
}

impl Canned {
    pub fn new(answers: Vec<(u16, &str)>) -> Self {
        Canned {
            answers: Mutex::new(
                answers
                    .into_iter()
                    .rev()
                    .map(|(status, body)| HttpResponse { status, headers: Vec::new(), body: body.as_bytes().to_vec() })
                    .collect(),
            ),
            sent: Mutex::new(Vec::new()),
        }
    }
}

impl Transport for Canned {
    fn send(&self, req: &HttpRequest) -> Result<HttpResponse, ConnectorError> {
        self.sent.lock().expect("lock").push(req.clone());
        self.answers
            .lock()
            .expect("lock")
            .pop()
            .ok_or_else(|| ConnectorError::Transport("no canned answer left".into()))
    }

    fn sleep(&self, _: Duration) {}
}

pub struct Harness {
    pub sb: Sandbox,
    pub config: Value,
    pub secrets: Secrets,
    pub transport: Recorder,
}

impl Harness {
    pub fn new() -> Self {
        let sb = Sandbox::start().expect("sandbox starts");
        sb.seed_user(ALICE, ALICE_LOGIN, "ACTIVE");
        sb.seed_user(BOB, "bob@acme.example", "SUSPENDED");
        sb.seed_factor(ALICE, "push");
        sb.seed_factor(ALICE, "token:software:totp");
        sb.seed_device(HOST, "WS-01.acme.example");
        sb.seed_device(HOST2, "WS-02.acme.example");
        sb.seed_key(IAM_USER, KEY_ACTIVE, "Active");
        sb.seed_key(IAM_USER, KEY_INACTIVE, "Inactive");
        let config = sb.config();
        let secrets = sb.secrets();
        Harness { sb, config, secrets, transport: Recorder::new() }
    }

    pub fn run(&self, name: &str, inputs: &Value, key: &str) -> Result<ActionOutcome, ConnectorError> {
        self.run_with(name, inputs, key, &self.config, &self.secrets)
    }

    pub fn run_with(
        &self,
        name: &str,
        inputs: &Value,
        key: &str,
        config: &Value,
        secrets: &Secrets,
    ) -> Result<ActionOutcome, ConnectorError> {
        let a = action(name).unwrap_or_else(|| panic!("no action {name}"));
        let ctx = ActionContext { config, secrets, transport: &self.transport, idempotency_key: key };
        a.execute(inputs, &ctx)
    }

    /// Forgets what the sandbox and the transport saw.
    pub fn reset(&self) {
        self.sb.clear_requests();
        self.transport.sent.lock().expect("lock").clear();
        self.transport.received.lock().expect("lock").clear();
        self.transport.sleeps.lock().expect("lock").clear();
    }

    pub fn sent(&self) -> Vec<HttpRequest> {
        self.transport.sent.lock().expect("lock").clone()
    }

    pub fn received(&self) -> Vec<HttpResponse> {
        self.transport.received.lock().expect("lock").clone()
    }

    pub fn sleeps(&self) -> Vec<Duration> {
        self.transport.sleeps.lock().expect("lock").clone()
    }

    /// Sandbox requests whose path contains `part`.
    pub fn seen(&self, part: &str) -> Vec<RecordedRequest> {
        self.sb.requests().into_iter().filter(|r| r.path.contains(part) || r.query.contains(part)).collect()
    }

    pub fn secret(&self, name: &str) -> String {
        self.secrets.get(name).expect("secret").to_string()
    }

    pub fn state(&self) -> Value {
        self.sb.state()
    }
}

/// `config` with `connector.field` set to `value`.
pub fn with_config(config: &Value, connector: &str, field: &str, value: Value) -> Value {
    let mut c = config.clone();
    c[connector][field] = value;
    c
}

/// `secrets` with `name` replaced by `value`.
pub fn with_secret(secrets: &Secrets, name: &str, value: &str) -> Secrets {
    let mut s = secrets.clone();
    s.insert(name, value);
    s
}

/// `secrets` without `name`.
pub fn without_secret(secrets: &Secrets, name: &str) -> Secrets {
    let mut s = Secrets::new();
    for n in secrets.names() {
        if n != name {
            s.insert(n, secrets.get(n).expect("present"));
        }
    }
    s
}

pub fn header<'a>(req: &'a HttpRequest, name: &str) -> &'a str {
    req.header(name).unwrap_or_else(|| panic!("no header {name} in {} {}", req.method, req.url))
}

pub fn body_json(req: &HttpRequest) -> Value {
    serde_json::from_str(req.body.as_deref().unwrap_or_default()).expect("JSON body")
}

/// Asserts `r` is an HTTP error of `status` whose message contains `part`.
#[track_caller]
pub fn assert_http(r: Result<ActionOutcome, ConnectorError>, status: u16, part: &str) {
    match r {
        Err(ConnectorError::Http { status: s, message, .. }) => {
            assert_eq!(s, status, "status; message: {message}");
            assert!(message.contains(part), "message {message:?} lacks {part:?}");
        }
        other => panic!("expected HTTP {status}, got {other:?}"),
    }
}

/// The request with time- and token-dependent parts set aside: OAuth bearer tokens, SigV4
/// dates and signatures, webhook timestamps and signatures.
pub fn comparable(req: &HttpRequest) -> HttpRequest {
    let mut r = req.clone();
    r.headers.retain(|(k, _)| {
        !["x-amz-date", "x-vigil-timestamp", "x-vigil-signature"].iter().any(|h| k.eq_ignore_ascii_case(h))
    });
    for (k, v) in &mut r.headers {
        if k.eq_ignore_ascii_case("authorization") && (v.starts_with("Bearer ") || v.starts_with("AWS4-HMAC-SHA256 ")) {
            *v = v.split(' ').next().unwrap_or_default().to_string();
        }
    }
    r
}
