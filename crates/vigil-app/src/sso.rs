//! Single sign-on with OpenID Connect: the operations behind `/sso/login` and `/sso/callback`.
//!
//! [`App::sso_begin`] starts a sign-in (fresh `state`, `nonce` and PKCE verifier, bound to a
//! browser secret the front end puts in a short-lived cookie) and returns the provider's
//! authorization URL. [`App::sso_finish`] takes the provider's answer: it spends the `state`
//! (single use, ten minutes, this browser only), exchanges the code at the token endpoint with
//! the PKCE verifier, verifies the ID token against the provider's JWKS (fetched once and cached;
//! fetched again, once, when a token names a key it does not hold — the provider rotated its
//! keys), maps the person's groups to roles, creates the user on first sign-in when the settings
//! allow it (or refuses a person Vigil does not know), brings an existing user's roles in line
//! with their groups, and opens a session exactly as a password sign-in does.
//!
//! Audited here: every sign-in (`sso.login`, `ok`), every refusal once the callback is matched to
//! a sign-in this server began (`sso.login`, `denied` or `failed`, with the reason), and each
//! user created on first sign-in (`user.create` by `vigil:sso`). A callback that matches no
//! sign-in begun here ([`SsoError::State`]) is anonymous noise: the front end counts those into
//! its summaries of refused requests instead of writing a row each. Never audited, logged or put
//! in an error: the client secret, the code, the verifier or a token.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use vigil_auth::oidc::{self, Discovery, Expected, IdClaims, Jwks, OidcError, PendingLogins, TokenAuth};
use vigil_auth::{Auth, Role, Session, SsoSettings};
use vigil_connectors::{HttpRequest, HttpTransport, Transport};
use vigil_store::AuditEntry;

use crate::{App, AppError};

/// Who the audit log names for what single sign-on does by itself (creating users, syncing roles).
pub const ACTOR: &str = "vigil:sso";
/// How long a call to the provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// The SSO settings with the client secret they name. `Debug` never shows the secret.
#[derive(Clone)]
pub struct SsoConfig {
    pub settings: SsoSettings,
    client_secret: String,
}

impl fmt::Debug for SsoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoConfig").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl SsoConfig {
    pub fn new(settings: SsoSettings, client_secret: String) -> Result<SsoConfig, OidcError> {
        settings.check()?;
        let client_secret = client_secret.trim().to_string();
        if client_secret.is_empty() {
            return Err(OidcError::Settings("the client secret is empty".into()));
        }
        Ok(SsoConfig { settings, client_secret })
    }

    /// Reads the settings file (JSON) and the client secret it names: `client_secret_file`
    /// (relative to the settings file's folder) or else the environment variable
    /// `client_secret_env` (default `VIGIL_SECRET_OIDC_CLIENT_SECRET`).
    pub fn load(path: &Path) -> Result<SsoConfig, OidcError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| OidcError::Settings(format!("cannot read {}: {e}", path.display())))?;
        let settings = SsoSettings::parse(&text).map_err(|e| {
            OidcError::Settings(format!("{}: {}", path.display(), e.to_string().trim_start_matches("SSO settings: ")))
        })?;
        let secret = match &settings.client_secret_file {
            Some(file) => {
                let file = path.parent().map_or_else(|| file.clone(), |dir| dir.join(file));
                std::fs::read_to_string(&file).map_err(|e| {
                    OidcError::Settings(format!("cannot read the client secret file {}: {e}", file.display()))
                })?
            }
            None => std::env::var(settings.secret_env()).map_err(|_| {
                OidcError::Settings(format!(
                    "no client secret: set {} or name a client_secret_file in {}",
                    settings.secret_env(),
                    path.display()
                ))
            })?,
        };
        SsoConfig::new(settings, secret)
    }
}

/// What the provider told us, kept between sign-ins.
#[derive(Debug, Clone)]
struct Provider {
    discovery: Discovery,
    jwks: Jwks,
}

/// Single sign-on while serving: the settings, the sign-ins in flight and the provider's
/// documents. Shared by every clone of the [`App`] it is attached to.
pub struct Sso {
    config: SsoConfig,
    pending: PendingLogins,
    provider: Mutex<Option<Provider>>,
    http: Box<dyn Transport>,
}

impl fmt::Debug for Sso {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sso").field("config", &self.config).finish_non_exhaustive()
    }
}

/// A sign-in begun: where to send the browser, and the secret of the cookie that binds the
/// sign-in to it.
pub struct Started {
    pub url: String,
    pub browser: String,
}

/// What the provider sent back to `/sso/callback`.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// A finished sign-in: the session cookie's secret (never stored) and the session.
pub struct SignedIn {
    pub secret: String,
    pub session: Session,
    pub username: String,
    pub roles: Vec<Role>,
    /// The user was created by this sign-in.
    pub created: bool,
}

/// Why single sign-on did not sign someone in.
#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    #[error("single sign-on is not configured on this server")]
    NotConfigured,
    /// The callback matched no sign-in begun here for this browser (unknown, used, expired or
    /// another browser's `state`). Not audited here: see the module's documentation.
    #[error("{0}")]
    State(String),
    /// Refused after the callback was matched to a sign-in; audited.
    #[error("{0}")]
    Refused(String),
    /// Vigil could not do its own part (the store, the audit log).
    #[error(transparent)]
    Failed(#[from] AppError),
}

fn clean(s: &str, max: usize) -> String {
    s.chars().filter(|c| !c.is_control()).take(max).collect()
}

impl Sso {
    pub fn new(config: SsoConfig) -> Sso {
        Sso::with_transport(config, Box::new(HttpTransport::new(PROVIDER_TIMEOUT)))
    }

    /// With another transport (tests).
    pub fn with_transport(config: SsoConfig, http: Box<dyn Transport>) -> Sso {
        Sso { config, pending: PendingLogins::new(), provider: Mutex::new(None), http }
    }

    pub fn settings(&self) -> &SsoSettings {
        &self.config.settings
    }

    fn get(&self, what: &str, url: &str) -> Result<Vec<u8>, OidcError> {
        let r = self
            .http
            .send(&HttpRequest::new("GET", url).with_header("Accept", "application/json"))
            .map_err(|e| OidcError::Provider(format!("cannot fetch the {what} from {url}: {e}")))?;
        if !r.is_success() {
            return Err(OidcError::Provider(format!("the {what} at {url} answered HTTP {}", r.status)));
        }
        Ok(r.body)
    }

    fn fetch_jwks(&self, d: &Discovery) -> Result<Jwks, OidcError> {
        let jwks = Jwks::parse(&self.get("JWKS", &d.jwks_uri)?)?;
        if jwks.keys.is_empty() {
            return Err(OidcError::Provider(format!("the JWKS at {} holds no signing key Vigil can use", d.jwks_uri)));
        }
        Ok(jwks)
    }

    /// The provider's discovery document and keys: cached after the first success.
    fn provider(&self) -> Result<Provider, OidcError> {
        let mut cache =
            self.provider.lock().map_err(|_| OidcError::Provider("the provider cache was poisoned".into()))?;
        if let Some(p) = cache.as_ref() {
            return Ok(p.clone());
        }
        let issuer = &self.config.settings.issuer;
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let discovery = Discovery::parse(&self.get("discovery document", &url)?, issuer)?;
        let jwks = self.fetch_jwks(&discovery)?;
        let p = Provider { discovery, jwks };
        *cache = Some(p.clone());
        Ok(p)
    }

    /// The provider's keys fetched again (a token named a key the cached set lacks).
    fn refresh_jwks(&self, d: &Discovery) -> Result<Jwks, OidcError> {
        let jwks = self.fetch_jwks(d)?;
        let mut cache =
            self.provider.lock().map_err(|_| OidcError::Provider("the provider cache was poisoned".into()))?;
        if let Some(p) = cache.as_mut() {
            p.jwks = jwks.clone();
        }
        Ok(jwks)
    }

    /// Exchanges the code at the token endpoint (with the PKCE verifier) for the ID token.
    fn exchange(&self, d: &Discovery, code: &str, verifier: &str) -> Result<String, OidcError> {
        let s = &self.config.settings;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", s.redirect_url.as_str()),
            ("code_verifier", verifier),
            ("client_id", s.client_id.as_str()),
        ];
        if s.token_auth == TokenAuth::ClientSecretPost {
            form.push(("client_secret", self.config.client_secret.as_str()));
        }
        let mut req =
            HttpRequest::new("POST", &d.token_endpoint).with_form(&form).with_header("Accept", "application/json");
        if s.token_auth == TokenAuth::ClientSecretBasic {
            req = req.with_header("Authorization", oidc::basic_auth(&s.client_id, &self.config.client_secret));
        }
        // The request holds the code, the verifier and the secret: an error names only the endpoint.
        let r = self
            .http
            .send(&req)
            .map_err(|e| OidcError::Provider(format!("cannot reach the token endpoint {}: {e}", d.token_endpoint)))?;
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
        if !r.is_success() {
            let error =
                body.get("error").and_then(|v| v.as_str()).map_or_else(|| "no error code".into(), |e| clean(e, 100));
            let desc = body.get("error_description").and_then(|v| v.as_str()).map(|d| clean(d, 300));
            return Err(OidcError::Provider(format!(
                "the token endpoint refused the code (HTTP {}: {error}{})",
                r.status,
                desc.map(|d| format!(", {d}")).unwrap_or_default()
            )));
        }
        match body.get("id_token").and_then(|v| v.as_str()) {
            Some(t) if !t.is_empty() => Ok(t.to_string()),
            _ => Err(OidcError::Provider("the token endpoint's answer has no id_token".into())),
        }
    }

    /// Verifies the ID token, fetching the JWKS again once if it names a key not held.
    fn verify(&self, p: &Provider, token: &str, nonce: &str, now_ms: i64) -> Result<IdClaims, OidcError> {
        let s = &self.config.settings;
        let want = Expected { issuer: &s.issuer, client_id: &s.client_id, nonce, skew_secs: s.clock_skew_secs };
        match oidc::verify_id_token(token, &p.jwks, &want, now_ms) {
            Err(OidcError::UnknownKey(_)) => {
                let jwks = self.refresh_jwks(&p.discovery)?;
                oidc::verify_id_token(token, &jwks, &want, now_ms)
            }
            other => other,
        }
    }
}

impl App {
    /// This application with single sign-on (`vigil serve --sso FILE`).
    pub fn with_sso(mut self, config: SsoConfig) -> App {
        self.sso = Some(Arc::new(Sso::new(config)));
        self
    }

    /// This application with single sign-on over another transport (tests).
    pub fn with_sso_transport(mut self, config: SsoConfig, http: Box<dyn Transport>) -> App {
        self.sso = Some(Arc::new(Sso::with_transport(config, http)));
        self
    }

    /// The SSO settings in force, if any.
    pub fn sso_settings(&self) -> Option<&SsoSettings> {
        self.sso.as_deref().map(Sso::settings)
    }

    /// Begins a sign-in at the provider: the URL to send the browser to and the secret of the
    /// cookie that binds the sign-in to that browser. Fetches the provider's documents on first use.
    pub fn sso_begin(&self) -> Result<Started, SsoError> {
        let sso = self.sso.as_deref().ok_or(SsoError::NotConfigured)?;
        let p = sso.provider().map_err(|e| SsoError::Refused(e.to_string()))?;
        let pending = sso.pending.begin(self.now_ms()).map_err(|e| SsoError::Refused(e.to_string()))?;
        Ok(Started { url: oidc::authorization_url(&p.discovery, sso.settings(), &pending), browser: pending.browser })
    }

    /// Finishes a sign-in from the provider's callback (`browser`: the binding cookie's value,
    /// `ip`: the caller's address, for the audit log). See the module's documentation.
    pub fn sso_finish(&self, cb: &Callback, browser: Option<&str>, ip: &str) -> Result<SignedIn, SsoError> {
        let sso = self.sso.as_deref().ok_or(SsoError::NotConfigured)?;
        let s = sso.settings();
        let now = self.now_ms();
        let state =
            cb.state.as_deref().filter(|s| !s.is_empty()).ok_or_else(|| {
                SsoError::State("the provider's answer has no state (not a sign-in begun here)".into())
            })?;
        let pending = sso.pending.take(state, browser, now).map_err(|e| SsoError::State(e.to_string()))?;
        let ip = clean(ip, 64);
        // From here every refusal is audited: the callback belongs to a sign-in begun here.
        let refuse = |who: &str, result: &str, why: String| -> SsoError {
            let entry = AuditEntry::new(now, who, "sso.login", &s.issuer, result, &format!("ip={ip}; {why}"));
            match self.store().and_then(|mut st| self.audit(&mut st, &entry)) {
                Ok(()) => SsoError::Refused(why),
                Err(e) => SsoError::Failed(e),
            }
        };
        if let Some(error) = &cb.error {
            let desc = cb.error_description.as_deref().map(|d| format!(": {}", clean(d, 300))).unwrap_or_default();
            return Err(refuse("anonymous", "denied", format!("the provider answered {}{desc}", clean(error, 100))));
        }
        let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
            return Err(refuse("anonymous", "denied", "the provider's answer has no code".into()));
        };
        let provider = sso.provider().map_err(|e| refuse("anonymous", "failed", e.to_string()))?;
        let token = sso
            .exchange(&provider.discovery, code, &pending.verifier)
            .map_err(|e| refuse("anonymous", "denied", e.to_string()))?;
        let claims = sso
            .verify(&provider, &token, &pending.nonce, now)
            .map_err(|e| refuse("anonymous", "denied", e.to_string()))?;
        drop(token);
        let username = s
            .username_for(&claims)
            .map_err(|e| refuse("anonymous", "denied", format!("{e} (sub {})", clean(&claims.sub, 100))))?;
        let groups = claims.groups(&s.groups_claim);
        let roles = s.roles_for(&groups);
        if roles.is_empty() {
            let shown = if groups.is_empty() { "none".to_string() } else { clean(&groups.join(", "), 300) };
            return Err(refuse(
                &username,
                "denied",
                format!("none of {username}'s groups ({shown}) maps to a Vigil role"),
            ));
        }
        let mut store = self.store()?;
        let existing = Auth::new(&mut store).user(&username).map_err(AppError::from)?;
        let created = match existing {
            None if !s.jit_users => {
                return Err(refuse(
                    &username,
                    "denied",
                    format!("there is no Vigil user {username} and creating users on first sign-in is off"),
                ));
            }
            None => {
                let display: String = claims.string("name").map(|n| clean(n, 128)).unwrap_or_default();
                // A password nobody knows: this user signs in through the provider.
                let password = vigil_auth::random_password();
                Auth::new(&mut store)
                    .create_user(ACTOR, &username, display.trim(), &roles, &password, now)
                    .map_err(|e| refuse(&username, "failed", format!("creating user {username}: {e}")))?;
                true
            }
            Some(u) if u.disabled => return Err(refuse(&username, "denied", format!("user {username} is disabled"))),
            Some(u) => {
                if u.roles != roles {
                    Auth::new(&mut store).set_roles(ACTOR, &username, &roles, now).map_err(|e| {
                        refuse(&username, "failed", format!("setting {username}'s roles from their groups: {e}"))
                    })?;
                }
                false
            }
        };
        let detail = format!(
            "ip={ip}; sub={}; groups={}; roles={}{}",
            clean(&claims.sub, 100),
            clean(&groups.join(","), 300),
            roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
            if created { "; user created" } else { "" }
        );
        self.audit(&mut store, &AuditEntry::new(now, &username, "sso.login", &s.issuer, "ok", &detail))?;
        let (secret, session) = Auth::new(&mut store).create_session(&username, now).map_err(AppError::from)?;
        drop(store);
        self.prune_sessions_housekeeping()?;
        Ok(SignedIn { secret, session, username, roles, created })
    }

    /// Whether a correct password of `username` may open a session: always, unless single
    /// sign-on limits local sign-in to the break-glass admins. A refusal is audited
    /// (`login.refused`).
    pub(crate) fn check_local_sign_in(
        &self,
        store: &mut vigil_store::SqliteStore,
        username: &str,
        ip: &str,
    ) -> crate::Result<()> {
        let Some(s) = self.sso_settings() else { return Ok(()) };
        if s.password_allowed(username) {
            return Ok(());
        }
        let why = format!("password sign-in is only for break-glass admins here: sign in with {}", s.provider_name);
        let who = clean(username, 64);
        let entry =
            AuditEntry::new(self.now_ms(), &who, "login.refused", &who, "sso_only", &format!("ip={}", clean(ip, 64)));
        self.audit(store, &entry)?;
        Err(AppError::Refused(why))
    }
}
