//! Users, tokens, sessions and grants, kept in the state store.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vigil_store::{AuditEntry, Document, StateStore};

use crate::crypto::{constant_time_eq, decoy_hash, hash_password, random_hex, sha256_hex, verify_password};
use crate::{AuthError, LoginLimiter, Principal, Result, RetryAfterSecs, Role, Via};

pub const KIND_USER: &str = "user";
pub const KIND_TOKEN: &str = "token";
pub const KIND_SESSION: &str = "session";
pub const KIND_GRANT: &str = "grant";

/// A grant expires at most this many days after it is made.
pub const GRANT_MAX_DAYS: i64 = 90;

const MINUTE_MS: i64 = 60_000;
const DAY_MS: i64 = 24 * 60 * MINUTE_MS;
const USERNAME_MAX: usize = 64;
const PASSWORD_MIN: usize = 12;
const PASSWORD_MAX: usize = 1024;
const DISPLAY_NAME_MAX: usize = 128;
const TOKEN_NAME_MAX: usize = 100;
const CASE_ID_MAX: usize = 128;
const GRANT_CASES_MAX: usize = 1000;
/// `vgl_` + 12 hex id + `_` + 64 hex secret.
const TOKEN_LEN: usize = 4 + 12 + 1 + 64;
const TOKEN_ID_LEN: usize = 12;
const SESSION_SECRET_LEN: usize = 64;
/// A token's `last_used_ms` is written at most this often, so busy shippers do not write per request.
const TOKEN_TOUCH_MS: i64 = MINUTE_MS;

/// A local user as stored. `Debug` leaves the hash out; lists return [`UserView`].
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// Argon2id, as a PHC string.
    pub password_hash: String,
    pub created_ms: i64,
    pub disabled: bool,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("roles", &self.roles)
            .field("password_hash", &"<redacted>")
            .field("created_ms", &self.created_ms)
            .field("disabled", &self.disabled)
            .finish()
    }
}

/// A user without the password hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub created_ms: i64,
    pub disabled: bool,
}

impl From<&User> for UserView {
    fn from(u: &User) -> UserView {
        UserView {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            roles: u.roles.clone(),
            created_ms: u.created_ms,
            disabled: u.disabled,
        }
    }
}

/// An API token as stored: its secret only as a SHA-256. `Debug` leaves the digest out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Token {
    /// 12 hex characters; public, the document id and the middle of the token string.
    pub id: String,
    pub name: String,
    pub owner: String,
    pub roles: Vec<Role>,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    pub secret_sha256: String,
    /// Who minted it (empty for tokens minted before this was kept).
    #[serde(default)]
    pub created_by: String,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("owner", &self.owner)
            .field("roles", &self.roles)
            .field("created_ms", &self.created_ms)
            .field("expires_ms", &self.expires_ms)
            .field("revoked_ms", &self.revoked_ms)
            .field("last_used_ms", &self.last_used_ms)
            .field("secret_sha256", &"<redacted>")
            .field("created_by", &self.created_by)
            .finish()
    }
}

/// A token without its digest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub roles: Vec<Role>,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
    pub revoked_ms: Option<i64>,
    pub last_used_ms: Option<i64>,
    /// Who minted it (empty for tokens minted before this was kept).
    #[serde(default)]
    pub created_by: String,
}

impl From<&Token> for TokenView {
    fn from(t: &Token) -> TokenView {
        TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            owner: t.owner.clone(),
            roles: t.roles.clone(),
            created_ms: t.created_ms,
            expires_ms: t.expires_ms,
            revoked_ms: t.revoked_ms,
            last_used_ms: t.last_used_ms,
            created_by: t.created_by.clone(),
        }
    }
}

/// How long browser sessions last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionPolicy {
    /// A session ends after this long without a request.
    pub idle_timeout_ms: i64,
    /// A session ends this long after it started, however busy.
    pub absolute_ms: i64,
}

impl Default for SessionPolicy {
    fn default() -> SessionPolicy {
        SessionPolicy { idle_timeout_ms: 30 * MINUTE_MS, absolute_ms: 12 * 60 * MINUTE_MS }
    }
}

/// A browser session as stored, under the SHA-256 of its cookie secret. `Debug` leaves the
/// CSRF token out.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub username: String,
    pub created_ms: i64,
    pub last_seen_ms: i64,
    /// Random hex; the page echoes it in a header or form field, checked by [`crate::check_csrf`].
    pub csrf_token: String,
    pub absolute_expiry_ms: i64,
    pub idle_timeout_ms: i64,
    /// When it was ended by logout, expiry, or a password change or disablement.
    pub ended_ms: Option<i64>,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("username", &self.username)
            .field("created_ms", &self.created_ms)
            .field("last_seen_ms", &self.last_seen_ms)
            .field("csrf_token", &"<redacted>")
            .field("absolute_expiry_ms", &self.absolute_expiry_ms)
            .field("idle_timeout_ms", &self.idle_timeout_ms)
            .field("ended_ms", &self.ended_ms)
            .finish()
    }
}

impl Session {
    /// When the session lapses if no request comes first.
    pub fn expires_ms(&self) -> i64 {
        self.absolute_expiry_ms.min(self.last_seen_ms.saturating_add(self.idle_timeout_ms))
    }

    /// Whether the session is neither ended nor lapsed at `now_ms`.
    pub fn is_active(&self, now_ms: i64) -> bool {
        self.ended_ms.is_none() && now_ms < self.expires_ms()
    }
}

/// Read access for one auditor to named cases whose time falls in `[from_ms, to_ms]`, until
/// `expires_ms` (exclusive) or revocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub auditor: String,
    pub cases: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub expires_ms: i64,
    pub granted_by: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

impl Grant {
    pub fn is_active(&self, now_ms: i64) -> bool {
        now_ms < self.expires_ms && self.revoked_ms.is_none_or(|r| now_ms < r)
    }

    /// Whether the grant, at `now_ms`, lets its auditor see `case_id` opened at `case_ms`.
    pub fn covers(&self, case_id: &str, case_ms: i64, now_ms: i64) -> bool {
        self.is_active(now_ms)
            && (self.from_ms..=self.to_ms).contains(&case_ms)
            && self.cases.iter().any(|c| c == case_id)
    }
}

/// Identity operations over a state store. Build one per request (or hold one behind the lock
/// that guards the store); it keeps no state of its own but the session policy.
pub struct Auth<'a> {
    store: &'a mut dyn StateStore,
    policy: SessionPolicy,
}

pub(crate) fn validate_username(username: &str) -> Result<()> {
    if username.is_empty() || username.len() > USERNAME_MAX {
        return Err(AuthError::invalid("username", format!("must be 1 to {USERNAME_MAX} characters")));
    }
    if !username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._@-".contains(&b)) {
        return Err(AuthError::invalid("username", "may contain only a-z, 0-9, '.', '_', '@' and '-'"));
    }
    Ok(())
}

/// The most common passwords of 12 characters or more (shorter ones fail the length rule),
/// compared without regard to case.
const COMMON_PASSWORDS: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "123456123456",
    "111111111111",
    "000000000000",
    "123123123123",
    "password1234",
    "password12345",
    "password123456",
    "passwordpassword",
    "password1!password",
    "qwertyuiop12",
    "qwertyuiop123",
    "qwerty123456",
    "qwertyuiopasdfgh",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "1qaz2wsx3edc4rfv",
    "zaq12wsxcde3",
    "abcdefghijkl",
    "abc123abc123",
    "iloveyou1234",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "administrator",
    "administrator1",
    "admin1234567",
    "adminadminadmin",
    "changeme1234",
    "changemenow!",
    "football1234",
    "baseball1234",
    "sunshine1234",
    "princess1234",
    "trustno1trustno1",
    "superman1234",
    "starwars1234",
    "monkey123456",
    "dragon123456",
    "master123456",
    "p@ssw0rd1234",
    "passw0rd1234",
    "p@ssword1234",
    "secret123456",
    "vigilvigilvigil",
    "vigil1234567",
];

/// The local password policy: 12 to 1024 characters, not the user name, not a common password.
/// Each refusal names the rule.
fn validate_password(username: &str, password: &str) -> Result<()> {
    let n = password.chars().count();
    if n < PASSWORD_MIN {
        return Err(AuthError::invalid("password", format!("must be at least {PASSWORD_MIN} characters")));
    }
    if n > PASSWORD_MAX {
        return Err(AuthError::invalid("password", format!("must be at most {PASSWORD_MAX} characters")));
    }
    let lower = password.trim().to_lowercase();
    if lower == username.to_lowercase() {
        return Err(AuthError::invalid("password", "must not be the user name"));
    }
    if COMMON_PASSWORDS.contains(&lower.as_str()) {
        return Err(AuthError::invalid("password", "is one of the most common passwords; choose another"));
    }
    Ok(())
}

fn validate_label(field: &'static str, s: &str, max: usize, allow_empty: bool) -> Result<String> {
    let s = s.trim();
    if s.is_empty() && !allow_empty {
        return Err(AuthError::invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(AuthError::invalid(field, format!("must be at most {max} characters")));
    }
    if s.chars().any(char::is_control) {
        return Err(AuthError::invalid(field, "must not contain control characters"));
    }
    Ok(s.to_string())
}

/// Sorted, without duplicates, not empty.
fn normalize_roles(roles: &[Role]) -> Result<Vec<Role>> {
    let mut r = roles.to_vec();
    r.sort();
    r.dedup();
    if r.is_empty() {
        return Err(AuthError::invalid("roles", "at least one role is required"));
    }
    Ok(r)
}

fn roles_for_person(roles: &[Role]) -> Result<Vec<Role>> {
    let r = normalize_roles(roles)?;
    if r.iter().any(|r| !r.for_people()) {
        return Err(AuthError::invalid("roles", "the ingestor role is for tokens, not people"));
    }
    Ok(r)
}

fn role_list(roles: &[Role]) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}

/// Attacker-supplied text, made safe for one audit field: control characters replaced, length capped.
fn clean(s: &str, max: usize) -> String {
    let mut out: String = s.chars().take(max).map(|c| if c.is_control() { '?' } else { c }).collect();
    if s.chars().count() > max {
        out.push('…');
    }
    out
}

/// `vgl_<12 hex>_<64 hex>` → the id; `None` for anything else, without slicing inside a character.
fn parse_token(presented: &str) -> Option<&str> {
    let b = presented.as_bytes();
    let hex = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(c));
    let ok = b.len() == TOKEN_LEN
        && b.starts_with(b"vgl_")
        && hex(&b[4..4 + TOKEN_ID_LEN])
        && b[4 + TOKEN_ID_LEN] == b'_'
        && hex(&b[5 + TOKEN_ID_LEN..]);
    // All ASCII when ok, so the slice is on character boundaries.
    ok.then(|| &presented[4..4 + TOKEN_ID_LEN])
}

fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
}

impl<'a> Auth<'a> {
    pub fn new(store: &'a mut dyn StateStore) -> Auth<'a> {
        Auth { store, policy: SessionPolicy::default() }
    }

    pub fn with_policy(store: &'a mut dyn StateStore, policy: SessionPolicy) -> Auth<'a> {
        Auth { store, policy }
    }

    pub fn policy(&self) -> &SessionPolicy {
        &self.policy
    }

    // ---- storage -------------------------------------------------------------------------

    fn decode<T: DeserializeOwned>(kind: &'static str, doc: &Document) -> Result<T> {
        serde_json::from_str(&doc.json).map_err(|e| AuthError::Corrupt {
            kind,
            id: doc.id.clone(),
            message: e.to_string(),
        })
    }

    fn load<T: DeserializeOwned>(&self, kind: &'static str, id: &str) -> Result<Option<T>> {
        self.store.document(kind, id)?.map(|d| Self::decode(kind, &d)).transpose()
    }

    fn load_all<T: DeserializeOwned>(&self, kind: &'static str) -> Result<Vec<(String, T)>> {
        self.store.documents(kind)?.into_iter().map(|d| Ok((d.id.clone(), Self::decode(kind, &d)?))).collect()
    }

    fn put<T: Serialize>(&mut self, kind: &str, items: &[(&str, &T)], now_ms: i64, audit: &[AuditEntry]) -> Result<()> {
        let docs = items
            .iter()
            .map(|(id, v)| {
                let json = serde_json::to_string(v).map_err(|e| AuthError::Corrupt {
                    kind: "document",
                    id: id.to_string(),
                    message: e.to_string(),
                })?;
                Ok(Document { id: id.to_string(), updated_ms: now_ms, json })
            })
            .collect::<Result<Vec<_>>>()?;
        self.store.put_documents(kind, &docs, false, audit)?;
        Ok(())
    }

    fn audit(&mut self, entry: AuditEntry) -> Result<()> {
        self.store.put_documents(KIND_USER, &[], false, &[entry])?;
        Ok(())
    }

    fn load_user(&self, username: &str) -> Result<Option<User>> {
        self.load(KIND_USER, username)
    }

    fn user_or_not_found(&self, username: &str) -> Result<User> {
        validate_username(username)?;
        self.load_user(username)?.ok_or_else(|| AuthError::not_found(format!("user {username}")))
    }

    fn put_user(&mut self, user: &User, now_ms: i64, audit: &[AuditEntry]) -> Result<()> {
        self.put(KIND_USER, &[(user.username.as_str(), user)], now_ms, audit)
    }

    // ---- users ---------------------------------------------------------------------------

    /// Creates `username` as an admin when no user exists yet (first start); otherwise does
    /// nothing. Returns the user when it made one.
    pub fn ensure_admin(&mut self, username: &str, password: &str, now_ms: i64) -> Result<Option<UserView>> {
        if !self.store.documents(KIND_USER)?.is_empty() {
            return Ok(None);
        }
        self.create_user("bootstrap", username, username, &[Role::Admin], password, now_ms).map(Some)
    }

    /// Adds a local user. The caller checks that `actor` may manage identity.
    pub fn create_user(
        &mut self,
        actor: &str,
        username: &str,
        display_name: &str,
        roles: &[Role],
        password: &str,
        now_ms: i64,
    ) -> Result<UserView> {
        validate_username(username)?;
        let display_name = validate_label("display_name", display_name, DISPLAY_NAME_MAX, true)?;
        let roles = roles_for_person(roles)?;
        validate_password(username, password)?;
        if self.load_user(username)?.is_some() {
            return Err(AuthError::Exists { what: format!("user {username}") });
        }
        let user = User {
            username: username.to_string(),
            display_name: if display_name.is_empty() { username.to_string() } else { display_name },
            roles,
            password_hash: hash_password(password)?,
            created_ms: now_ms,
            disabled: false,
        };
        let entry =
            AuditEntry::new(now_ms, actor, "user.create", username, "ok", &format!("roles={}", role_list(&user.roles)));
        self.put_user(&user, now_ms, &[entry])?;
        Ok(UserView::from(&user))
    }

    /// Replaces a user's password and ends their sessions (tokens stay).
    pub fn set_password(&mut self, actor: &str, username: &str, password: &str, now_ms: i64) -> Result<()> {
        let mut user = self.user_or_not_found(username)?;
        validate_password(username, password)?;
        user.password_hash = hash_password(password)?;
        self.put_user(&user, now_ms, &[AuditEntry::new(now_ms, actor, "user.password", username, "ok", "")])?;
        self.end_sessions_of(actor, username, "password changed", now_ms)?;
        Ok(())
    }

    /// Replaces a user's roles. Refused when it would leave no enabled admin.
    pub fn set_roles(&mut self, actor: &str, username: &str, roles: &[Role], now_ms: i64) -> Result<UserView> {
        let mut user = self.user_or_not_found(username)?;
        let roles = roles_for_person(roles)?;
        if !roles.contains(&Role::Admin) {
            self.refuse_losing_last_admin(&user)?;
        }
        let detail = format!("from={} to={}", role_list(&user.roles), role_list(&roles));
        user.roles = roles;
        self.put_user(&user, now_ms, &[AuditEntry::new(now_ms, actor, "user.roles", username, "ok", &detail)])?;
        Ok(UserView::from(&user))
    }

    /// Disables a user: logins, sessions and their tokens stop working. Refused for the last
    /// enabled admin.
    pub fn disable_user(&mut self, actor: &str, username: &str, now_ms: i64) -> Result<UserView> {
        let mut user = self.user_or_not_found(username)?;
        self.refuse_losing_last_admin(&user)?;
        user.disabled = true;
        self.put_user(&user, now_ms, &[AuditEntry::new(now_ms, actor, "user.disable", username, "ok", "")])?;
        self.end_sessions_of(actor, username, "user disabled", now_ms)?;
        Ok(UserView::from(&user))
    }

    /// Enables a disabled user again.
    pub fn enable_user(&mut self, actor: &str, username: &str, now_ms: i64) -> Result<UserView> {
        let mut user = self.user_or_not_found(username)?;
        user.disabled = false;
        self.put_user(&user, now_ms, &[AuditEntry::new(now_ms, actor, "user.enable", username, "ok", "")])?;
        Ok(UserView::from(&user))
    }

    fn refuse_losing_last_admin(&self, user: &User) -> Result<()> {
        if user.disabled || !user.roles.contains(&Role::Admin) {
            return Ok(());
        }
        let others = self
            .load_all::<User>(KIND_USER)?
            .into_iter()
            .any(|(_, u)| u.username != user.username && !u.disabled && u.roles.contains(&Role::Admin));
        if others { Ok(()) } else { Err(AuthError::forbidden("that would leave no enabled admin")) }
    }

    pub fn users(&self) -> Result<Vec<UserView>> {
        let mut v: Vec<UserView> = self.load_all::<User>(KIND_USER)?.iter().map(|(_, u)| UserView::from(u)).collect();
        v.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(v)
    }

    pub fn user(&self, username: &str) -> Result<Option<UserView>> {
        if validate_username(username).is_err() {
            return Ok(None);
        }
        Ok(self.load_user(username)?.as_ref().map(UserView::from))
    }

    fn principal(&self, username: &str, roles: Vec<Role>, via: Via, now_ms: i64) -> Result<Principal> {
        let grants = if roles.contains(&Role::Auditor) { self.active_grants(username, now_ms)? } else { Vec::new() };
        Ok(Principal { username: username.to_string(), roles, via, grants })
    }

    // ---- login ---------------------------------------------------------------------------

    /// Checks a username and password, under the limiter. Audits `login.ok` or `login.fail`
    /// (result `bad_credentials`, `locked` or `disabled`) with the username and address only.
    /// An unknown user and a wrong password give the same error and cost the same time.
    pub fn login(
        &mut self,
        username: &str,
        password: &str,
        ip: &str,
        limiter: &LoginLimiter,
        now_ms: i64,
    ) -> Result<Principal> {
        let who = clean(username, USERNAME_MAX);
        let detail = format!("ip={}", clean(ip, 64));
        let fail = |result: &str| AuditEntry::new(now_ms, &who, "login.fail", &who, result, &detail);
        // The attempt is counted before any hashing, atomically with the check, so guesses that
        // arrive together cannot all pass it while the first are still hashing.
        let attempt = match limiter.begin(username, ip, now_ms) {
            Ok(a) => a,
            Err(RetryAfterSecs(retry_after_secs)) => {
                self.audit(fail("locked"))?;
                return Err(AuthError::Locked { retry_after_secs });
            }
        };
        let user = if validate_username(username).is_ok() { self.load_user(username)? } else { None };
        let plausible = password.chars().count() <= PASSWORD_MAX;
        let ok = match &user {
            Some(u) => plausible && verify_password(password, &u.password_hash),
            None => {
                // Spend the time a real check would, so timing does not reveal who exists.
                let _ = plausible && verify_password(password, decoy_hash());
                false
            }
        };
        let user = match (ok, user) {
            (true, Some(u)) => u,
            _ => {
                attempt.failed();
                self.audit(fail("bad_credentials"))?;
                return Err(AuthError::BadCredentials);
            }
        };
        attempt.succeeded();
        if user.disabled {
            self.audit(fail("disabled"))?;
            return Err(AuthError::Disabled);
        }
        self.audit(AuditEntry::new(now_ms, &who, "login.ok", &who, "ok", &detail))?;
        self.principal(&user.username, user.roles.clone(), Via::Password, now_ms)
    }

    // ---- tokens --------------------------------------------------------------------------

    /// Mints an API token for `owner` and returns its string — shown once, never stored — with
    /// its view. Its roles must be among the owner's unless the owner is an admin (so only an
    /// admin can mint an [`Role::Ingestor`] token). The caller checks that `actor` may mint
    /// for `owner`.
    pub fn create_token(
        &mut self,
        owner: &str,
        name: &str,
        roles: &[Role],
        expires_ms: Option<i64>,
        actor: &str,
        now_ms: i64,
    ) -> Result<(String, TokenView)> {
        let owner_user = self.user_or_not_found(owner)?;
        if owner_user.disabled {
            return Err(AuthError::Disabled);
        }
        let name = validate_label("name", name, TOKEN_NAME_MAX, false)?;
        let roles = normalize_roles(roles)?;
        if !owner_user.roles.contains(&Role::Admin)
            && let Some(extra) = roles.iter().find(|r| !owner_user.roles.contains(r))
        {
            return Err(AuthError::forbidden(format!("{owner} does not hold the {extra} role the token asks for")));
        }
        if let Some(e) = expires_ms
            && e <= now_ms
        {
            return Err(AuthError::invalid("expires_ms", "must be after now"));
        }
        let mut id = random_hex(TOKEN_ID_LEN / 2);
        let mut tries = 0;
        while self.store.document(KIND_TOKEN, &id)?.is_some() {
            tries += 1;
            if tries > 16 {
                return Err(AuthError::Exists { what: "token id".into() });
            }
            id = random_hex(TOKEN_ID_LEN / 2);
        }
        let secret = format!("vgl_{id}_{}", random_hex(32));
        let token = Token {
            id: id.clone(),
            name,
            owner: owner.to_string(),
            roles,
            created_ms: now_ms,
            expires_ms,
            revoked_ms: None,
            last_used_ms: None,
            secret_sha256: sha256_hex(&secret),
            created_by: actor.to_string(),
        };
        let detail = format!(
            "owner={owner} name={} roles={} expires_ms={}",
            token.name,
            role_list(&token.roles),
            expires_ms.map_or("never".to_string(), |e| e.to_string())
        );
        let entry = AuditEntry::new(now_ms, actor, "token.create", &id, "ok", &detail);
        self.put(KIND_TOKEN, &[(id.as_str(), &token)], now_ms, &[entry])?;
        Ok((secret, TokenView::from(&token)))
    }

    /// Checks a presented token. Rejects malformed, unknown, wrong, revoked and expired tokens
    /// and tokens of disabled owners. The principal holds the token's roles — narrowed to the
    /// owner's current roles unless the owner is an admin, so demoting a user demotes their
    /// tokens.
    pub fn verify_token(&mut self, presented: &str, now_ms: i64) -> Result<Principal> {
        let id = parse_token(presented)
            .ok_or_else(|| AuthError::invalid("token", "not a Vigil API token (vgl_<id>_<secret>)"))?;
        let Some(mut token) = self.load::<Token>(KIND_TOKEN, id)? else {
            return Err(AuthError::BadCredentials);
        };
        if !constant_time_eq(sha256_hex(presented).as_bytes(), token.secret_sha256.as_bytes()) {
            return Err(AuthError::BadCredentials);
        }
        if token.revoked_ms.is_some() {
            return Err(AuthError::Revoked);
        }
        if token.expires_ms.is_some_and(|e| now_ms >= e) {
            return Err(AuthError::Expired);
        }
        let owner = match self.load_user(&token.owner)? {
            Some(u) if !u.disabled => u,
            _ => return Err(AuthError::Disabled),
        };
        let roles: Vec<Role> = if owner.roles.contains(&Role::Admin) {
            token.roles.clone()
        } else {
            token.roles.iter().copied().filter(|r| owner.roles.contains(r)).collect()
        };
        if roles.is_empty() {
            return Err(AuthError::forbidden("the owner no longer holds any of the token's roles"));
        }
        if token.last_used_ms.is_none_or(|t| now_ms.saturating_sub(t) >= TOKEN_TOUCH_MS || now_ms < t) {
            token.last_used_ms = Some(now_ms);
            self.put(KIND_TOKEN, &[(token.id.as_str(), &token)], now_ms, &[])?;
        }
        self.principal(&owner.username, roles, Via::Token(token.id.clone()), now_ms)
    }

    /// Revokes a token for good. Revoking a revoked token changes nothing.
    pub fn revoke_token(&mut self, id: &str, actor: &str, now_ms: i64) -> Result<TokenView> {
        let not_found = || AuthError::not_found(format!("token {}", clean(id, 16)));
        if !is_lower_hex(id, TOKEN_ID_LEN) {
            return Err(not_found());
        }
        let mut token = self.load::<Token>(KIND_TOKEN, id)?.ok_or_else(not_found)?;
        if token.revoked_ms.is_none() {
            token.revoked_ms = Some(now_ms);
            let entry = AuditEntry::new(now_ms, actor, "token.revoke", id, "ok", &format!("owner={}", token.owner));
            self.put(KIND_TOKEN, &[(id, &token)], now_ms, &[entry])?;
        }
        Ok(TokenView::from(&token))
    }

    /// One token's view, by its public id; `None` when there is no such token.
    pub fn token(&self, id: &str) -> Result<Option<TokenView>> {
        if !is_lower_hex(id, TOKEN_ID_LEN) {
            return Ok(None);
        }
        Ok(self.load::<Token>(KIND_TOKEN, id)?.as_ref().map(TokenView::from))
    }

    /// Tokens, all or one owner's, oldest first.
    pub fn tokens(&self, owner: Option<&str>) -> Result<Vec<TokenView>> {
        let mut v: Vec<Token> = self
            .load_all::<Token>(KIND_TOKEN)?
            .into_iter()
            .map(|(_, t)| t)
            .filter(|t| owner.is_none_or(|o| t.owner == o))
            .collect();
        v.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(v.iter().map(TokenView::from).collect())
    }

    // ---- sessions ------------------------------------------------------------------------

    /// Starts a browser session for `username` (after [`Auth::login`]) and returns the cookie
    /// secret — never stored; the session is kept under its SHA-256 — with the session.
    pub fn create_session(&mut self, username: &str, now_ms: i64) -> Result<(String, Session)> {
        let user = self.user_or_not_found(username)?;
        if user.disabled {
            return Err(AuthError::Disabled);
        }
        let secret = random_hex(SESSION_SECRET_LEN / 2);
        let session = Session {
            username: user.username.clone(),
            created_ms: now_ms,
            last_seen_ms: now_ms,
            csrf_token: random_hex(32),
            absolute_expiry_ms: now_ms.saturating_add(self.policy.absolute_ms),
            idle_timeout_ms: self.policy.idle_timeout_ms,
            ended_ms: None,
        };
        let entry = AuditEntry::new(now_ms, username, "session.start", username, "ok", "");
        self.put(KIND_SESSION, &[(sha256_hex(&secret).as_str(), &session)], now_ms, &[entry])?;
        Ok((secret, session))
    }

    /// The principal behind a session cookie, with the session (for its CSRF token). Records
    /// the request as the session's last activity. A lapsed session is ended and refused with
    /// [`AuthError::Expired`]; an ended one with [`AuthError::Revoked`]. Roles are the user's
    /// current roles.
    pub fn session(&mut self, secret: &str, now_ms: i64) -> Result<(Principal, Session)> {
        if !is_lower_hex(secret, SESSION_SECRET_LEN) {
            return Err(AuthError::invalid("session", "not a Vigil session"));
        }
        let id = sha256_hex(secret);
        let Some(mut session) = self.load::<Session>(KIND_SESSION, &id)? else {
            return Err(AuthError::BadCredentials);
        };
        if session.ended_ms.is_some() {
            return Err(AuthError::Revoked);
        }
        if now_ms >= session.expires_ms() {
            session.ended_ms = Some(now_ms);
            let entry = AuditEntry::new(now_ms, &session.username, "session.end", &session.username, "expired", "");
            self.put(KIND_SESSION, &[(id.as_str(), &session)], now_ms, &[entry])?;
            return Err(AuthError::Expired);
        }
        let user = match self.load_user(&session.username)? {
            Some(u) if !u.disabled => u,
            _ => {
                session.ended_ms = Some(now_ms);
                let u = session.username.clone();
                let entry = AuditEntry::new(now_ms, &u, "session.end", &u, "disabled", "");
                self.put(KIND_SESSION, &[(id.as_str(), &session)], now_ms, &[entry])?;
                return Err(AuthError::Disabled);
            }
        };
        if now_ms > session.last_seen_ms {
            session.last_seen_ms = now_ms;
            self.put(KIND_SESSION, &[(id.as_str(), &session)], now_ms, &[])?;
        }
        // A public id for the session: derived from its stored key, never the cookie secret.
        let via = Via::BrowserSession(sha256_hex(&id)[..16].to_string());
        let principal = self.principal(&user.username, user.roles.clone(), via, now_ms)?;
        Ok((principal, session))
    }

    /// Logs a session out. Returns whether it was active; an unknown or ended session is not an error.
    pub fn end_session(&mut self, secret: &str, now_ms: i64) -> Result<bool> {
        if !is_lower_hex(secret, SESSION_SECRET_LEN) {
            return Ok(false);
        }
        let id = sha256_hex(secret);
        let Some(mut session) = self.load::<Session>(KIND_SESSION, &id)? else {
            return Ok(false);
        };
        if session.ended_ms.is_some() {
            return Ok(false);
        }
        session.ended_ms = Some(now_ms);
        let u = session.username.clone();
        let entry = AuditEntry::new(now_ms, &u, "session.end", &u, "ok", "logout");
        self.put(KIND_SESSION, &[(id.as_str(), &session)], now_ms, &[entry])?;
        Ok(true)
    }

    /// Ends every active session of `username`; returns how many.
    pub fn end_sessions_of(&mut self, actor: &str, username: &str, reason: &str, now_ms: i64) -> Result<usize> {
        let mut ended: Vec<(String, Session)> = self
            .load_all::<Session>(KIND_SESSION)?
            .into_iter()
            .filter(|(_, s)| s.username == username && s.ended_ms.is_none())
            .collect();
        if ended.is_empty() {
            return Ok(0);
        }
        for (_, s) in &mut ended {
            s.ended_ms = Some(now_ms);
        }
        let entry = AuditEntry::new(
            now_ms,
            actor,
            "session.end",
            username,
            "ok",
            &format!("{reason}; {} session(s)", ended.len()),
        );
        let items: Vec<(&str, &Session)> = ended.iter().map(|(id, s)| (id.as_str(), s)).collect();
        self.put(KIND_SESSION, &items, now_ms, &[entry])?;
        Ok(ended.len())
    }

    /// Forgets sessions that ended or lapsed before `before_ms` (the store has no delete, so
    /// this rewrites the kind); returns how many. Audited as `session.prune`.
    pub fn prune_sessions(&mut self, before_ms: i64, actor: &str, now_ms: i64) -> Result<usize> {
        let docs = self.store.documents(KIND_SESSION)?;
        let total = docs.len();
        let mut keep = Vec::with_capacity(docs.len());
        for d in docs {
            let s: Session = Self::decode(KIND_SESSION, &d)?;
            let over = s.ended_ms.unwrap_or_else(|| s.expires_ms());
            if over >= before_ms {
                keep.push(d);
            }
        }
        let removed = total - keep.len();
        if removed > 0 {
            let entry =
                AuditEntry::new(now_ms, actor, "session.prune", KIND_SESSION, "ok", &format!("removed={removed}"));
            self.store.put_documents(KIND_SESSION, &keep, true, &[entry])?;
        }
        Ok(removed)
    }

    // ---- auditor grants ------------------------------------------------------------------

    /// Lets `auditor` (who must hold the auditor role) read the named cases whose time falls
    /// in `[from_ms, to_ms]`, until `expires_ms`, which must be after now and within
    /// [`GRANT_MAX_DAYS`] days.
    #[allow(clippy::too_many_arguments)]
    pub fn grant(
        &mut self,
        actor: &str,
        auditor: &str,
        cases: &[String],
        from_ms: i64,
        to_ms: i64,
        expires_ms: i64,
        now_ms: i64,
    ) -> Result<Grant> {
        let user = self.user_or_not_found(auditor)?;
        if !user.roles.contains(&Role::Auditor) {
            return Err(AuthError::invalid("auditor", format!("{auditor} does not hold the auditor role")));
        }
        if user.disabled {
            return Err(AuthError::Disabled);
        }
        let mut case_ids = Vec::with_capacity(cases.len());
        for c in cases {
            case_ids.push(validate_label("cases", c, CASE_ID_MAX, false)?);
        }
        case_ids.sort();
        case_ids.dedup();
        if case_ids.is_empty() {
            return Err(AuthError::invalid("cases", "at least one case is required"));
        }
        if case_ids.len() > GRANT_CASES_MAX {
            return Err(AuthError::invalid("cases", format!("at most {GRANT_CASES_MAX} cases per grant")));
        }
        if from_ms > to_ms {
            return Err(AuthError::invalid("period", "from_ms must not be after to_ms"));
        }
        if expires_ms <= now_ms {
            return Err(AuthError::invalid("expires_ms", "must be after now"));
        }
        if expires_ms.saturating_sub(now_ms) > GRANT_MAX_DAYS * DAY_MS {
            return Err(AuthError::invalid("expires_ms", format!("must be within {GRANT_MAX_DAYS} days of now")));
        }
        let mut id = random_hex(8);
        while self.store.document(KIND_GRANT, &id)?.is_some() {
            id = random_hex(8);
        }
        let grant = Grant {
            id: id.clone(),
            auditor: auditor.to_string(),
            cases: case_ids,
            from_ms,
            to_ms,
            expires_ms,
            granted_by: actor.to_string(),
            created_ms: now_ms,
            revoked_ms: None,
        };
        let detail = format!(
            "auditor={auditor} cases={} from_ms={from_ms} to_ms={to_ms} expires_ms={expires_ms}",
            grant.cases.join(",")
        );
        let entry = AuditEntry::new(now_ms, actor, "grant.create", &id, "ok", &detail);
        self.put(KIND_GRANT, &[(id.as_str(), &grant)], now_ms, &[entry])?;
        Ok(grant)
    }

    /// Revokes a grant. Revoking a revoked grant changes nothing.
    pub fn revoke_grant(&mut self, id: &str, actor: &str, now_ms: i64) -> Result<Grant> {
        let not_found = || AuthError::not_found(format!("grant {}", clean(id, 16)));
        if !is_lower_hex(id, 16) {
            return Err(not_found());
        }
        let mut grant = self.load::<Grant>(KIND_GRANT, id)?.ok_or_else(not_found)?;
        if grant.revoked_ms.is_none() {
            grant.revoked_ms = Some(now_ms);
            let entry = AuditEntry::new(now_ms, actor, "grant.revoke", id, "ok", &format!("auditor={}", grant.auditor));
            self.put(KIND_GRANT, &[(id, &grant)], now_ms, &[entry])?;
        }
        Ok(grant)
    }

    /// Grants, all or one auditor's, oldest first.
    pub fn grants(&self, auditor: Option<&str>) -> Result<Vec<Grant>> {
        let mut v: Vec<Grant> = self
            .load_all::<Grant>(KIND_GRANT)?
            .into_iter()
            .map(|(_, g)| g)
            .filter(|g| auditor.is_none_or(|a| g.auditor == a))
            .collect();
        v.sort_by(|a, b| (a.created_ms, &a.id).cmp(&(b.created_ms, &b.id)));
        Ok(v)
    }

    /// An auditor's grants in force at `now_ms`.
    pub fn active_grants(&self, auditor: &str, now_ms: i64) -> Result<Vec<Grant>> {
        Ok(self.grants(Some(auditor))?.into_iter().filter(|g| g.is_active(now_ms)).collect())
    }
}

#[cfg(test)]
mod tests;
