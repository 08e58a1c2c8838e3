//! OpenID Connect single sign-on: the parts that need no network.
//!
//! Owns: the SSO settings ([`SsoSettings`], read from the JSON file `vigil serve --sso FILE`
//! names); the provider's discovery document ([`Discovery`]) and its checks; PKCE (S256), `state`
//! and `nonce` for each sign-in, kept server-side, single use, bound to a browser cookie and
//! expiring after ten minutes ([`PendingLogins`]); the authorization URL; verifying an ID token
//! ([`verify_id_token`]: signature against the provider's JWKS — RS256/384/512, PS256/384/512,
//! ES256/384 — `iss`, `aud`, `azp`, `exp`, `iat`, `nbf` with the allowed clock skew, and
//! `nonce`); and mapping the provider's groups to Vigil's roles ([`SsoSettings::roles_for`]).
//!
//! Must not: speak HTTP, read the clock (time is passed in as `now_ms`), or log or store a
//! secret — the client secret, a code, a PKCE verifier or a token. The application layer
//! (`vigil_app::sso`) fetches the discovery document and JWKS, exchanges the code, creates users
//! and sessions and audits; the server only carries the redirects and cookies.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Mutex;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::constant_time_eq;
use crate::roles::Role;

/// How long a sign-in begun at the provider may take before its `state` is forgotten.
pub const PENDING_TTL_MS: i64 = 10 * 60 * 1000;
/// Most sign-ins in flight at once (a flood of `/sso/login` cannot grow memory without bound).
pub const PENDING_MAX: usize = 10_000;
/// The environment variable the client secret is read from when the settings name no file.
pub const DEFAULT_SECRET_ENV: &str = "VIGIL_SECRET_OIDC_CLIENT_SECRET";

/// Why single sign-on refused or failed. Messages never hold a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OidcError {
    /// The settings file is wrong.
    #[error("SSO settings: {0}")]
    Settings(String),
    /// The provider answered something unusable (discovery, token endpoint, JWKS).
    #[error("OpenID provider: {0}")]
    Provider(String),
    /// The callback's `state` is unknown, used, expired or not this browser's.
    #[error("sign-in state refused: {0}")]
    State(String),
    /// The ID token was refused.
    #[error("ID token refused: {0}")]
    Token(String),
    /// The ID token names a key the JWKS does not hold (the caller refetches the JWKS once).
    #[error("ID token refused: its signing key '{0}' is not in the provider's JWKS")]
    UnknownKey(String),
    /// The person is known to the provider but may not sign in to Vigil.
    #[error("sign-in refused: {0}")]
    Denied(String),
}

/// Whether people may still sign in with a password once SSO is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LocalSignIn {
    /// Passwords work as before, beside SSO.
    #[default]
    On,
    /// Only the named break-glass admins may sign in with a password.
    BreakGlassOnly,
}

/// How the client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAuth {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
}

fn default_scopes() -> Vec<String> {
    ["openid", "profile", "email", "groups"].iter().map(|s| s.to_string()).collect()
}
fn default_groups_claim() -> String {
    "groups".into()
}
fn default_username_claim() -> String {
    "preferred_username".into()
}
fn default_skew() -> u64 {
    60
}
fn default_provider_name() -> String {
    "single sign-on".into()
}

/// The SSO settings file (JSON). The client secret is never in it: it is read from
/// `client_secret_file` or from the environment variable `client_secret_env`
/// (default `VIGIL_SECRET_OIDC_CLIENT_SECRET`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SsoSettings {
    /// What the sign-in page calls the provider ("Sign in with …").
    #[serde(default = "default_provider_name")]
    pub provider_name: String,
    /// The provider's issuer identifier, e.g. `https://login.example.com/realms/soc`.
    pub issuer: String,
    pub client_id: String,
    #[serde(default)]
    pub client_secret_file: Option<std::path::PathBuf>,
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default)]
    pub token_auth: TokenAuth,
    /// This server's public base URL plus `/sso/callback`.
    pub redirect_url: String,
    #[serde(default = "default_scopes")]
    pub scopes: Vec<String>,
    /// The ID-token claim holding the person's groups (a list of strings).
    #[serde(default = "default_groups_claim")]
    pub groups_claim: String,
    /// The ID-token claim that becomes the Vigil username.
    #[serde(default = "default_username_claim")]
    pub username_claim: String,
    /// Provider group → Vigil roles. A person receives the union over their groups; one whose
    /// groups map to no role is refused.
    #[serde(default)]
    pub role_map: BTreeMap<String, Vec<Role>>,
    /// Create the user on first sign-in with the mapped roles (otherwise it must exist).
    #[serde(default)]
    pub jit_users: bool,
    #[serde(default)]
    pub local_sign_in: LocalSignIn,
    /// The only users who may still sign in with a password under `break_glass_only`.
    #[serde(default)]
    pub break_glass_admins: Vec<String>,
    /// Allowed clock skew for `exp`, `iat` and `nbf`, in seconds (default 60).
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
}

fn is_loopback_http(url: &str) -> bool {
    ["http://127.0.0.1", "http://localhost", "http://[::1]"].iter().any(|p| {
        url.strip_prefix(p).is_some_and(|rest| rest.is_empty() || rest.starts_with(':') || rest.starts_with('/'))
    })
}

/// An `https` URL, or plain `http` to a loopback address (tests and local demos).
pub fn check_url(what: &str, url: &str) -> Result<(), OidcError> {
    if url.starts_with("https://") && url.len() > "https://".len() || is_loopback_http(url) {
        Ok(())
    } else {
        Err(OidcError::Settings(format!("{what} '{url}' must be https (plain http only to a loopback address)")))
    }
}

impl SsoSettings {
    /// Parses and checks the settings file's text.
    pub fn parse(text: &str) -> Result<SsoSettings, OidcError> {
        let s: SsoSettings = serde_json::from_str(text).map_err(|e| OidcError::Settings(e.to_string()))?;
        s.check()?;
        Ok(s)
    }

    /// What must hold for the settings to be usable.
    pub fn check(&self) -> Result<(), OidcError> {
        check_url("issuer", &self.issuer)?;
        check_url("redirect_url", &self.redirect_url)?;
        if !self.redirect_url.trim_end_matches('/').ends_with("/sso/callback") {
            return Err(OidcError::Settings(format!(
                "redirect_url '{}' must be this server's public base URL followed by /sso/callback",
                self.redirect_url
            )));
        }
        if self.provider_name.trim().is_empty() || self.provider_name.chars().count() > 80 {
            return Err(OidcError::Settings("provider_name must be 1 to 80 characters".into()));
        }
        if self.client_id.trim().is_empty() {
            return Err(OidcError::Settings("client_id is empty".into()));
        }
        if !self.scopes.iter().any(|s| s == "openid") {
            return Err(OidcError::Settings("scopes must include openid".into()));
        }
        if let Some(r) = self.role_map.values().flatten().find(|r| !r.for_people()) {
            return Err(OidcError::Settings(format!("role_map gives the {r} role, which people never hold")));
        }
        if self.local_sign_in == LocalSignIn::BreakGlassOnly && self.break_glass_admins.is_empty() {
            return Err(OidcError::Settings(
                "local_sign_in is break_glass_only but break_glass_admins names nobody: nobody could sign in if the provider were down".into(),
            ));
        }
        if self.clock_skew_secs > 600 {
            return Err(OidcError::Settings("clock_skew_secs above 600 is not allowed".into()));
        }
        Ok(())
    }

    /// The environment variable the client secret comes from when no file is named.
    pub fn secret_env(&self) -> &str {
        self.client_secret_env.as_deref().unwrap_or(DEFAULT_SECRET_ENV)
    }

    /// Whether `username` may sign in with a password.
    pub fn password_allowed(&self, username: &str) -> bool {
        match self.local_sign_in {
            LocalSignIn::On => true,
            LocalSignIn::BreakGlassOnly => self.break_glass_admins.iter().any(|a| a == username),
        }
    }

    /// The Vigil username an accepted ID token names: its `username_claim`, in lower case, held
    /// to the rules of local usernames.
    pub fn username_for(&self, claims: &IdClaims) -> Result<String, OidcError> {
        let raw = claims.string(&self.username_claim).ok_or_else(|| {
            OidcError::Denied(format!("the ID token has no '{}' claim to name the user by", self.username_claim))
        })?;
        let name = raw.trim().to_lowercase();
        crate::auth::validate_username(&name).map_err(|e| {
            let shown: String = raw.chars().take(64).collect();
            OidcError::Denied(format!(
                "the provider's '{}' value '{shown}' is not a usable username ({e})",
                self.username_claim
            ))
        })?;
        Ok(name)
    }

    /// The roles `groups` map to (sorted, without repeats); empty when none maps.
    pub fn roles_for(&self, groups: &[String]) -> Vec<Role> {
        let mut roles: Vec<Role> =
            groups.iter().filter_map(|g| self.role_map.get(g)).flatten().copied().filter(|r| r.for_people()).collect();
        roles.sort();
        roles.dedup();
        roles
    }
}

/// The parts of the provider's `/.well-known/openid-configuration` Vigil uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

impl Discovery {
    /// Parses the discovery document and checks it is the configured issuer's (OpenID Connect
    /// Discovery §4.3) and its endpoints are https (or loopback http).
    pub fn parse(body: &[u8], issuer: &str) -> Result<Discovery, OidcError> {
        let d: Discovery = serde_json::from_slice(body)
            .map_err(|e| OidcError::Provider(format!("the discovery document is not usable: {e}")))?;
        if d.issuer != issuer {
            return Err(OidcError::Provider(format!(
                "the discovery document's issuer '{}' is not the configured issuer '{issuer}'",
                d.issuer
            )));
        }
        for (what, url) in [
            ("authorization_endpoint", &d.authorization_endpoint),
            ("token_endpoint", &d.token_endpoint),
            ("jwks_uri", &d.jwks_uri),
        ] {
            check_url(what, url).map_err(|e| OidcError::Provider(e.to_string()))?;
        }
        if let Some(m) = &d.code_challenge_methods_supported
            && !m.iter().any(|m| m == "S256")
        {
            return Err(OidcError::Provider("the provider does not support PKCE with S256".into()));
        }
        Ok(d)
    }
}

/// The provider's signing keys. Keys Vigil cannot use (encryption keys, symmetric keys, unknown
/// types) are left out rather than failing the whole set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

impl Jwks {
    pub fn parse(body: &[u8]) -> Result<Jwks, OidcError> {
        #[derive(Deserialize)]
        struct Raw {
            keys: Vec<serde_json::Value>,
        }
        let raw: Raw =
            serde_json::from_slice(body).map_err(|e| OidcError::Provider(format!("the JWKS is not usable: {e}")))?;
        let keys = raw
            .keys
            .into_iter()
            .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
            .filter(|k| !matches!(k.common.public_key_use, Some(PublicKeyUse::Encryption)))
            .filter(|k| matches!(k.algorithm, AlgorithmParameters::RSA(_) | AlgorithmParameters::EllipticCurve(_)))
            .collect();
        Ok(Jwks { keys })
    }

    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Option<&Jwk> {
        let fits = |k: &&Jwk| key_fits(k, alg);
        match kid {
            Some(kid) => self.keys.iter().filter(|k| k.common.key_id.as_deref() == Some(kid)).find(fits),
            // Without a `kid` the key must be unambiguous.
            None => {
                let mut it = self.keys.iter().filter(fits);
                let first = it.next();
                if it.next().is_some() { None } else { first }
            }
        }
    }
}

fn key_fits(k: &Jwk, alg: Algorithm) -> bool {
    let family = match (&k.algorithm, alg) {
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512,
        ) => true,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES256) => p.curve == EllipticCurve::P256,
        (AlgorithmParameters::EllipticCurve(p), Algorithm::ES384) => p.curve == EllipticCurve::P384,
        _ => false,
    };
    // A key that names its algorithm is used with that algorithm only.
    let alg_ok = match k.common.key_algorithm {
        None => true,
        Some(ka) => ka.to_string() == format!("{alg:?}"),
    };
    family && alg_ok
}

/// The ID-token signature algorithms accepted: asymmetric only (never `none` or HMAC).
pub const ACCEPTED_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// What an ID token must say to be accepted.
#[derive(Debug, Clone)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub skew_secs: u64,
}

/// The claims of an accepted ID token.
#[derive(Debug, Clone, PartialEq)]
pub struct IdClaims {
    pub sub: String,
    pub exp: i64,
    /// Every claim, for the username and groups.
    pub all: serde_json::Map<String, serde_json::Value>,
}

impl IdClaims {
    /// A string claim.
    pub fn string(&self, name: &str) -> Option<&str> {
        self.all.get(name).and_then(|v| v.as_str())
    }

    /// The person's groups from claim `name`: a list of strings (or one string).
    pub fn groups(&self, name: &str) -> Vec<String> {
        match self.all.get(name) {
            Some(serde_json::Value::Array(v)) => v.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
            Some(serde_json::Value::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        }
    }
}

fn quoted(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("'{}'", s.chars().take(200).collect::<String>()),
        other => other.to_string().chars().take(200).collect(),
    }
}

/// Verifies an ID token (OpenID Connect Core §3.1.3.7): its signature with a key of `jwks`
/// (asymmetric algorithms only; [`OidcError::UnknownKey`] when the `kid` is not there, so the
/// caller may refetch the JWKS once), then `iss`, `aud` (and `azp` when there are several
/// audiences or `azp` is present), `exp`, `iat` and `nbf` against `now_ms` with the allowed skew,
/// and `nonce`. Every refusal says which check failed and what the token said.
pub fn verify_id_token(token: &str, jwks: &Jwks, want: &Expected<'_>, now_ms: i64) -> Result<IdClaims, OidcError> {
    let bad = |m: String| OidcError::Token(m);
    let header = jsonwebtoken::decode_header(token).map_err(|e| bad(format!("not a signed JWT ({e})")))?;
    if !ACCEPTED_ALGORITHMS.contains(&header.alg) {
        return Err(bad(format!("signature algorithm {:?} is not accepted", header.alg)));
    }
    let jwk = match jwks.find(header.kid.as_deref(), header.alg) {
        Some(k) => k,
        None => return Err(OidcError::UnknownKey(header.kid.unwrap_or_else(|| "(no kid)".into()))),
    };
    let key = DecodingKey::from_jwk(jwk).map_err(|e| OidcError::Provider(format!("a JWKS key is unusable: {e}")))?;
    // The signature is checked here; the claims below, by hand, for clear refusals and the
    // application's clock.
    let mut v = Validation::new(header.alg);
    v.algorithms = vec![header.alg];
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(token, &key, &v).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => bad("its signature does not verify".into()),
                _ => bad(format!("it does not verify ({e})")),
            }
        })?;
    let c = data.claims;
    // iss
    match c.get("iss") {
        Some(serde_json::Value::String(iss)) if iss == want.issuer => {}
        Some(v) => return Err(bad(format!("issuer {} is not the configured issuer '{}'", quoted(v), want.issuer))),
        None => return Err(bad("it has no issuer (iss)".into())),
    }
    // aud, azp
    let auds: Vec<String> = match c.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.clone()],
        Some(serde_json::Value::Array(v)) => v.iter().filter_map(|a| a.as_str().map(str::to_string)).collect(),
        _ => return Err(bad("it has no audience (aud)".into())),
    };
    if !auds.iter().any(|a| a == want.client_id) {
        let shown = auds.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ");
        return Err(bad(format!("audience {shown} is not this client '{}'", want.client_id)));
    }
    match c.get("azp") {
        Some(serde_json::Value::String(azp)) if azp == want.client_id => {}
        Some(v) => {
            return Err(bad(format!("authorized party (azp) {} is not this client '{}'", quoted(v), want.client_id)));
        }
        None if auds.len() > 1 => {
            return Err(bad("it has several audiences but no authorized party (azp)".into()));
        }
        None => {}
    }
    // exp, iat, nbf
    let skew = i64::try_from(want.skew_secs).unwrap_or(600);
    let now = now_ms.div_euclid(1000);
    let num = |name: &str| c.get(name).and_then(|v| v.as_f64()).map(|f| f as i64);
    let exp = num("exp").ok_or_else(|| bad("it has no expiry (exp)".into()))?;
    if now > exp.saturating_add(skew) {
        return Err(bad(format!("it expired at {exp} (now {now}, allowed skew {skew} s)")));
    }
    let iat = num("iat").ok_or_else(|| bad("it has no issue time (iat)".into()))?;
    if iat > now.saturating_add(skew) {
        return Err(bad(format!("it was issued in the future at {iat} (now {now}, allowed skew {skew} s)")));
    }
    if let Some(nbf) = num("nbf")
        && nbf > now.saturating_add(skew)
    {
        return Err(bad(format!("it is not valid before {nbf} (now {now}, allowed skew {skew} s)")));
    }
    // nonce
    match c.get("nonce") {
        Some(serde_json::Value::String(n)) if constant_time_eq(n.as_bytes(), want.nonce.as_bytes()) => {}
        Some(_) => return Err(bad("its nonce is not the one this sign-in sent".into())),
        None => return Err(bad("it has no nonce".into())),
    }
    let sub = match c.get("sub") {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(bad("it has no subject (sub)".into())),
    };
    Ok(IdClaims { sub, exp, all: c })
}

fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut b = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut b);
    B64URL.encode(b)
}

/// The PKCE S256 challenge of a verifier (RFC 7636 §4.2).
pub fn pkce_challenge(verifier: &str) -> String {
    B64URL.encode(Sha256::digest(verifier.as_bytes()))
}

/// One sign-in begun at the provider and not yet finished. `Debug` hides the secrets.
#[derive(Clone)]
pub struct Pending {
    pub state: String,
    pub nonce: String,
    /// The PKCE code verifier (sent only to the token endpoint).
    pub verifier: String,
    /// The secret of the short-lived cookie this sign-in is bound to.
    pub browser: String,
    pub created_ms: i64,
}

impl fmt::Debug for Pending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending").field("created_ms", &self.created_ms).finish_non_exhaustive()
    }
}

/// Sign-ins in flight, by `state`: in memory, single use, ten minutes at most.
#[derive(Default)]
pub struct PendingLogins {
    inner: Mutex<HashMap<String, Pending>>,
}

impl fmt::Debug for PendingLogins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogins").finish_non_exhaustive()
    }
}

impl PendingLogins {
    pub fn new() -> PendingLogins {
        PendingLogins::default()
    }

    /// Begins a sign-in: fresh `state`, `nonce`, PKCE verifier and browser-binding secret.
    pub fn begin(&self, now_ms: i64) -> Result<Pending, OidcError> {
        let p = Pending {
            state: random_token(32),
            nonce: random_token(32),
            verifier: random_token(48),
            browser: random_token(32),
            created_ms: now_ms,
        };
        let mut m = self.inner.lock().map_err(|_| OidcError::State("the sign-in table was poisoned".into()))?;
        m.retain(|_, v| now_ms - v.created_ms <= PENDING_TTL_MS);
        if m.len() >= PENDING_MAX {
            return Err(OidcError::State("too many sign-ins in flight; try again shortly".into()));
        }
        m.insert(p.state.clone(), p.clone());
        Ok(p)
    }

    /// Takes (and so consumes) the sign-in `state` names: refused when unknown or already used,
    /// older than ten minutes, or begun in another browser (`browser` is the cookie's value).
    pub fn take(&self, state: &str, browser: Option<&str>, now_ms: i64) -> Result<Pending, OidcError> {
        let mut m = self.inner.lock().map_err(|_| OidcError::State("the sign-in table was poisoned".into()))?;
        let p = m
            .remove(state)
            .ok_or_else(|| OidcError::State("unknown or already used state (a replayed or forged callback)".into()))?;
        if now_ms - p.created_ms > PENDING_TTL_MS {
            return Err(OidcError::State("the sign-in took longer than ten minutes".into()));
        }
        match browser {
            Some(b) if constant_time_eq(b.as_bytes(), p.browser.as_bytes()) => Ok(p),
            Some(_) => Err(OidcError::State("the sign-in was begun in another browser".into())),
            None => Err(OidcError::State("the sign-in cookie is missing (begun in another browser?)".into())),
        }
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1: both parts
/// form-encoded, then Base64).
pub fn basic_auth(client_id: &str, secret: &str) -> String {
    use base64::engine::general_purpose::STANDARD;
    format!("Basic {}", STANDARD.encode(format!("{}:{}", url_encode(client_id), url_encode(secret))))
}

/// The URL the browser is sent to: authorization code flow with PKCE S256, `state` and `nonce`.
pub fn authorization_url(d: &Discovery, s: &SsoSettings, p: &Pending) -> String {
    let scope = s.scopes.join(" ");
    let params = [
        ("response_type", "code"),
        ("client_id", s.client_id.as_str()),
        ("redirect_uri", s.redirect_url.as_str()),
        ("scope", scope.as_str()),
        ("state", p.state.as_str()),
        ("nonce", p.nonce.as_str()),
        ("code_challenge", &pkce_challenge(&p.verifier)),
        ("code_challenge_method", "S256"),
    ];
    let q = params.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect::<Vec<_>>().join("&");
    let sep = if d.authorization_endpoint.contains('?') { '&' } else { '?' };
    format!("{}{sep}{q}", d.authorization_endpoint)
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header, encode};
    use ring::rand::SystemRandom;
    use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use serde_json::{Value, json};

    use super::*;

    const ISS: &str = "https://login.example.com/realms/soc";
    const CLIENT: &str = "vigil";
    const NONCE: &str = "n-0S6_WzA2Mj";
    const NOW_S: i64 = 1_800_000_000;
    const NOW: i64 = NOW_S * 1000;

    struct Key {
        kid: String,
        pkcs8: Vec<u8>,
        jwk: Value,
    }

    fn key(kid: &str) -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let p = pair.public_key().as_ref(); // 0x04 || x || y
        let jwk = json!({"kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
            "x": B64URL.encode(&p[1..33]), "y": B64URL.encode(&p[33..65])});
        Key { kid: kid.into(), pkcs8: pkcs8.as_ref().to_vec(), jwk }
    }

    fn jwks(keys: &[&Key]) -> Jwks {
        let doc = json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()});
        Jwks::parse(doc.to_string().as_bytes()).unwrap()
    }

    fn claims() -> Value {
        json!({"iss": ISS, "aud": CLIENT, "sub": "u-1", "exp": NOW_S + 300, "iat": NOW_S - 5, "nonce": NONCE,
            "preferred_username": "Ann.Lee", "groups": ["soc-analysts", "everyone"]})
    }

    fn with(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
        let mut c = claims();
        f(c.as_object_mut().unwrap());
        c
    }

    fn sign(k: &Key, c: &Value) -> String {
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some(k.kid.clone());
        encode(&h, c, &EncodingKey::from_ec_der(&k.pkcs8)).unwrap()
    }

    fn want() -> Expected<'static> {
        Expected { issuer: ISS, client_id: CLIENT, nonce: NONCE, skew_secs: 60 }
    }

    fn refused(token: &str, keys: &Jwks) -> String {
        match verify_id_token(token, keys, &want(), NOW) {
            Err(OidcError::Token(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_good_token_is_accepted_with_its_claims() {
        let k = key("k1");
        let c = verify_id_token(&sign(&k, &claims()), &jwks(&[&k]), &want(), NOW).unwrap();
        assert_eq!(c.sub, "u-1");
        assert_eq!(c.groups("groups"), vec!["soc-analysts".to_string(), "everyone".to_string()]);
        assert_eq!(c.string("preferred_username"), Some("Ann.Lee"));
    }

    #[test]
    fn the_issuer_must_be_the_configured_one() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        let m = refused(&sign(&k, &with(|c| drop(c.insert("iss".into(), json!("https://evil.example"))))), &keys);
        assert!(m.contains("issuer 'https://evil.example'"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.remove("iss")))), &keys);
        assert!(m.contains("no issuer"), "{m}");
    }

    #[test]
    fn the_audience_and_authorized_party_must_be_this_client() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        let m = refused(&sign(&k, &with(|c| drop(c.insert("aud".into(), json!("other-app"))))), &keys);
        assert!(m.contains("audience 'other-app' is not this client 'vigil'"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.remove("aud")))), &keys);
        assert!(m.contains("no audience"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.insert("aud".into(), json!([CLIENT, "other-app"]))))), &keys);
        assert!(m.contains("several audiences but no authorized party"), "{m}");
        let m = refused(
            &sign(
                &k,
                &with(|c| {
                    c.insert("aud".into(), json!([CLIENT, "other-app"]));
                    c.insert("azp".into(), json!("other-app"));
                }),
            ),
            &keys,
        );
        assert!(m.contains("authorized party (azp) 'other-app'"), "{m}");
        let ok = with(|c| {
            c.insert("aud".into(), json!([CLIENT, "other-app"]));
            c.insert("azp".into(), json!(CLIENT));
        });
        assert!(verify_id_token(&sign(&k, &ok), &keys, &want(), NOW).is_ok());
    }

    #[test]
    fn expiry_issue_time_and_not_before_hold_with_the_allowed_skew() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        // Expired 30 s ago: inside the 60 s skew, accepted; 61 s ago: refused.
        assert!(
            verify_id_token(&sign(&k, &with(|c| drop(c.insert("exp".into(), json!(NOW_S - 30))))), &keys, &want(), NOW)
                .is_ok()
        );
        let m = refused(&sign(&k, &with(|c| drop(c.insert("exp".into(), json!(NOW_S - 61))))), &keys);
        assert!(m.contains("expired at"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.remove("exp")))), &keys);
        assert!(m.contains("no expiry"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.insert("iat".into(), json!(NOW_S + 61))))), &keys);
        assert!(m.contains("issued in the future"), "{m}");
        assert!(
            verify_id_token(&sign(&k, &with(|c| drop(c.insert("iat".into(), json!(NOW_S + 59))))), &keys, &want(), NOW)
                .is_ok()
        );
        let m = refused(&sign(&k, &with(|c| drop(c.remove("iat")))), &keys);
        assert!(m.contains("no issue time"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.insert("nbf".into(), json!(NOW_S + 120))))), &keys);
        assert!(m.contains("not valid before"), "{m}");
        // A skew of zero is exact.
        let strict = Expected { skew_secs: 0, ..want() };
        let t = sign(&k, &with(|c| drop(c.insert("exp".into(), json!(NOW_S - 1)))));
        assert!(matches!(verify_id_token(&t, &keys, &strict, NOW), Err(OidcError::Token(_))));
    }

    #[test]
    fn the_nonce_must_be_this_sign_ins_and_the_subject_present() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        let m = refused(&sign(&k, &with(|c| drop(c.insert("nonce".into(), json!("replayed"))))), &keys);
        assert!(m.contains("nonce is not the one"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.remove("nonce")))), &keys);
        assert!(m.contains("no nonce"), "{m}");
        let m = refused(&sign(&k, &with(|c| drop(c.remove("sub")))), &keys);
        assert!(m.contains("no subject"), "{m}");
    }

    #[test]
    fn a_tampered_or_foreign_signature_is_refused() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        let good = sign(&k, &claims());
        // The payload changed after signing (another subject), the signature kept.
        let parts: Vec<&str> = good.split('.').collect();
        let forged = B64URL.encode(with(|c| drop(c.insert("sub".into(), json!("admin")))).to_string());
        let m = refused(&format!("{}.{forged}.{}", parts[0], parts[2]), &keys);
        assert!(m.contains("signature does not verify"), "{m}");
        // The signature's bytes changed.
        let mut sig = B64URL.decode(parts[2]).unwrap();
        sig[10] ^= 1;
        let m = refused(&format!("{}.{}.{}", parts[0], parts[1], B64URL.encode(sig)), &keys);
        assert!(m.contains("signature does not verify"), "{m}");
        // Signed by another key that claims the provider's kid.
        let mut other = key("k1");
        other.kid = "k1".into();
        let m = refused(&sign(&other, &claims()), &keys);
        assert!(m.contains("signature does not verify"), "{m}");
        // Not a JWT at all.
        assert!(refused("not-a-token", &keys).contains("not a signed JWT"));
    }

    #[test]
    fn symmetric_and_unsigned_tokens_are_refused() {
        let k = key("k1");
        let keys = jwks(&[&k]);
        let mut h = Header::new(Algorithm::HS256);
        h.kid = Some("k1".into());
        let t = encode(&h, &claims(), &EncodingKey::from_secret(b"the client secret")).unwrap();
        assert!(refused(&t, &keys).contains("HS256 is not accepted"));
        let none =
            format!("{}.{}.", B64URL.encode(r#"{"alg":"none","kid":"k1"}"#), B64URL.encode(claims().to_string()));
        assert!(refused(&none, &keys).contains("not a signed JWT"));
    }

    #[test]
    fn an_unknown_key_asks_for_the_jwks_again_and_a_rotated_key_then_verifies() {
        let old = key("k1");
        let new = key("k2");
        let t = sign(&new, &claims());
        assert_eq!(verify_id_token(&t, &jwks(&[&old]), &want(), NOW), Err(OidcError::UnknownKey("k2".into())));
        assert!(verify_id_token(&t, &jwks(&[&old, &new]), &want(), NOW).is_ok());
        // Without a kid, the key must be the only one that fits.
        let mut h = Header::new(Algorithm::ES256);
        h.kid = None;
        let t = encode(&h, &claims(), &EncodingKey::from_ec_der(&new.pkcs8)).unwrap();
        assert!(verify_id_token(&t, &jwks(&[&new]), &want(), NOW).is_ok());
        assert!(matches!(verify_id_token(&t, &jwks(&[&old, &new]), &want(), NOW), Err(OidcError::UnknownKey(_))));
    }

    #[test]
    fn the_jwks_keeps_only_signing_keys_vigil_can_use() {
        let k = key("k1");
        let mut enc = k.jwk.clone();
        enc["use"] = json!("enc");
        enc["kid"] = json!("k-enc");
        let doc = json!({"keys": [k.jwk, enc, {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"}, {"kty": "weird"}]});
        let keys = Jwks::parse(doc.to_string().as_bytes()).unwrap();
        assert_eq!(keys.keys.len(), 1);
        assert!(Jwks::parse(b"{\"nope\": 1}").is_err());
    }

    #[test]
    fn pkce_follows_rfc_7636() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_pending_sign_in_is_single_use_bound_to_its_browser_and_expires() {
        let p = PendingLogins::new();
        let a = p.begin(NOW).unwrap();
        assert_eq!(a.verifier.len(), 64);
        assert!(p.take(&a.state, Some(&a.browser), NOW + 1000).is_ok());
        let again = p.take(&a.state, Some(&a.browser), NOW + 2000).unwrap_err();
        assert!(again.to_string().contains("already used"), "{again}");
        let b = p.begin(NOW).unwrap();
        assert!(p.take(&b.state, Some("another-browser"), NOW).unwrap_err().to_string().contains("another browser"));
        // Taken (and so spent) even when refused.
        assert!(p.take(&b.state, Some(&b.browser), NOW).is_err());
        let c = p.begin(NOW).unwrap();
        assert!(p.take(&c.state, None, NOW).unwrap_err().to_string().contains("cookie is missing"));
        let d = p.begin(NOW).unwrap();
        assert!(
            p.take(&d.state, Some(&d.browser), NOW + PENDING_TTL_MS + 1)
                .unwrap_err()
                .to_string()
                .contains("ten minutes")
        );
        assert!(format!("{d:?}").find(&d.verifier).is_none(), "Debug hides the secrets");
    }

    #[test]
    fn sign_ins_in_flight_are_capped_and_old_ones_forgotten() {
        let p = PendingLogins::new();
        for _ in 0..PENDING_MAX {
            p.begin(NOW).unwrap();
        }
        assert!(p.begin(NOW).unwrap_err().to_string().contains("too many"));
        // Ten minutes later the old ones are gone and there is room again.
        assert!(p.begin(NOW + PENDING_TTL_MS + 1).is_ok());
    }

    fn settings() -> Value {
        json!({"issuer": ISS, "client_id": CLIENT, "redirect_url": "https://vigil.example.com/sso/callback",
            "role_map": {"soc-analysts": ["analyst"], "soc-leads": ["analyst", "approver"], "it-admins": ["admin"]}})
    }

    fn parse(f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Result<SsoSettings, OidcError> {
        let mut s = settings();
        f(s.as_object_mut().unwrap());
        SsoSettings::parse(&s.to_string())
    }

    #[test]
    fn settings_are_checked_when_read() {
        let s = parse(|_| {}).unwrap();
        assert_eq!(s.provider_name, "single sign-on");
        assert_eq!(s.clock_skew_secs, 60);
        assert_eq!(s.local_sign_in, LocalSignIn::On);
        assert_eq!(s.secret_env(), DEFAULT_SECRET_ENV);
        assert!(s.scopes.contains(&"openid".to_string()));
        let bad = |f: fn(&mut serde_json::Map<String, Value>), what: &str| {
            let e = parse(f).unwrap_err().to_string();
            assert!(e.contains(what), "{e} should mention {what}");
        };
        bad(|s| drop(s.insert("issuer".into(), json!("http://login.example.com"))), "must be https");
        bad(|s| drop(s.insert("redirect_url".into(), json!("https://vigil.example.com/elsewhere"))), "/sso/callback");
        bad(|s| drop(s.insert("client_id".into(), json!(" "))), "client_id is empty");
        bad(|s| drop(s.insert("scopes".into(), json!(["profile"]))), "openid");
        bad(|s| drop(s.insert("role_map".into(), json!({"bots": ["ingestor"]}))), "people never hold");
        bad(|s| drop(s.insert("local_sign_in".into(), json!("break_glass_only"))), "break_glass_admins names nobody");
        bad(|s| drop(s.insert("clock_skew_secs".into(), json!(3600))), "600");
        bad(|s| drop(s.insert("client_secret".into(), json!("inline"))), "unknown field");
        assert!(parse(|s| drop(s.insert("issuer".into(), json!("http://127.0.0.1:8080/oidc")))).is_ok());
    }

    #[test]
    fn groups_map_to_the_union_of_their_roles_and_break_glass_limits_passwords() {
        let mut s = parse(|_| {}).unwrap();
        let g = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(s.roles_for(&g(&["soc-leads", "soc-analysts", "other"])), vec![Role::Analyst, Role::Approver]);
        assert!(s.roles_for(&g(&["other"])).is_empty());
        assert!(s.password_allowed("anyone"));
        s.local_sign_in = LocalSignIn::BreakGlassOnly;
        s.break_glass_admins = vec!["root".into()];
        assert!(s.password_allowed("root"));
        assert!(!s.password_allowed("ann"));
    }

    #[test]
    fn the_username_comes_from_its_claim_in_lower_case() {
        let s = parse(|_| {}).unwrap();
        let k = key("k1");
        let keys = jwks(&[&k]);
        let c = verify_id_token(&sign(&k, &claims()), &keys, &want(), NOW).unwrap();
        assert_eq!(s.username_for(&c).unwrap(), "ann.lee");
        let c = verify_id_token(
            &sign(&k, &with(|c| drop(c.insert("preferred_username".into(), json!("Ann Lee"))))),
            &keys,
            &want(),
            NOW,
        )
        .unwrap();
        assert!(matches!(s.username_for(&c), Err(OidcError::Denied(_))));
        let c =
            verify_id_token(&sign(&k, &with(|c| drop(c.remove("preferred_username")))), &keys, &want(), NOW).unwrap();
        assert!(s.username_for(&c).unwrap_err().to_string().contains("no 'preferred_username' claim"));
    }

    #[test]
    fn discovery_must_be_the_configured_issuers_and_offer_s256() {
        let doc = |iss: &str, methods: Value| {
            json!({"issuer": iss, "authorization_endpoint": format!("{iss}/auth"), "token_endpoint": format!("{iss}/token"),
                "jwks_uri": format!("{iss}/jwks"), "code_challenge_methods_supported": methods})
            .to_string()
        };
        assert!(Discovery::parse(doc(ISS, json!(["S256"])).as_bytes(), ISS).is_ok());
        let e = Discovery::parse(doc("https://evil.example", json!(["S256"])).as_bytes(), ISS).unwrap_err();
        assert!(e.to_string().contains("is not the configured issuer"), "{e}");
        let e = Discovery::parse(doc(ISS, json!(["plain"])).as_bytes(), ISS).unwrap_err();
        assert!(e.to_string().contains("S256"), "{e}");
        assert!(Discovery::parse(b"<html>", ISS).is_err());
    }

    #[test]
    fn the_authorization_url_carries_pkce_state_and_nonce() {
        let s = parse(|_| {}).unwrap();
        let d = Discovery {
            issuer: ISS.into(),
            authorization_endpoint: format!("{ISS}/auth"),
            token_endpoint: format!("{ISS}/token"),
            jwks_uri: format!("{ISS}/jwks"),
            code_challenge_methods_supported: None,
        };
        let p = PendingLogins::new().begin(NOW).unwrap();
        let url = authorization_url(&d, &s, &p);
        assert!(url.starts_with(&format!("{ISS}/auth?response_type=code&client_id=vigil&")), "{url}");
        for part in [
            "redirect_uri=https%3A%2F%2Fvigil.example.com%2Fsso%2Fcallback".to_string(),
            "scope=openid%20profile%20email%20groups".to_string(),
            format!("state={}", p.state),
            format!("nonce={}", p.nonce),
            format!("code_challenge={}", pkce_challenge(&p.verifier)),
            "code_challenge_method=S256".to_string(),
        ] {
            assert!(url.contains(&part), "{url} lacks {part}");
        }
        assert!(!url.contains(&p.verifier) && !url.contains(&p.browser), "the secrets stay here");
    }
}
