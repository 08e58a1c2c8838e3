//! Identity administration: users, tokens, auditor grants and sessions. `vigil-auth` holds the
//! rules (hashing, the last admin, expiry) and audits each change; this layer checks who asks.

use vigil_auth::{Auth, Grant, Permission, Role, TokenView, UserView};

use crate::{App, Caller, Result};

/// How long an ended or lapsed session is kept before pruning forgets it.
pub const SESSION_RETENTION_MS: i64 = 7 * 86_400_000;

/// What a new user is.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub password: String,
}

/// What a new token is: its owner (the caller when `None`), name, roles and lifetime in days.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub owner: Option<String>,
    pub name: String,
    pub roles: Vec<Role>,
    pub days: Option<i64>,
}

/// A new auditor grant: named cases, the period their time must fall in, and the expiry.
#[derive(Debug, Clone)]
pub struct NewGrant {
    pub auditor: String,
    pub cases: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    pub expires_ms: i64,
}

impl App {
    fn identity(&self, caller: &Caller, what: &str) -> Result<vigil_store::SqliteStore> {
        caller.require(Permission::ManageIdentity, what)?;
        self.store()
    }

    pub fn users(&self, caller: &Caller) -> Result<Vec<UserView>> {
        let mut store = self.identity(caller, "read users")?;
        Ok(Auth::new(&mut store).users()?)
    }

    pub fn create_user(&self, caller: &Caller, u: &NewUser) -> Result<UserView> {
        let mut store = self.identity(caller, "user.create")?;
        Ok(Auth::new(&mut store).create_user(
            &caller.name(),
            &u.username,
            &u.display_name,
            &u.roles,
            &u.password,
            self.now_ms(),
        )?)
    }

    /// Stops a user signing in; their sessions end and their tokens stop working. Refused for the
    /// last enabled admin.
    pub fn disable_user(&self, caller: &Caller, username: &str) -> Result<UserView> {
        let mut store = self.identity(caller, "user.disable")?;
        Ok(Auth::new(&mut store).disable_user(&caller.name(), username, self.now_ms())?)
    }

    pub fn enable_user(&self, caller: &Caller, username: &str) -> Result<UserView> {
        let mut store = self.identity(caller, "user.enable")?;
        Ok(Auth::new(&mut store).enable_user(&caller.name(), username, self.now_ms())?)
    }

    /// Sets another user's password (an admin's reset); their sessions end.
    pub fn reset_password(&self, caller: &Caller, username: &str, password: &str) -> Result<()> {
        let mut store = self.identity(caller, "user.password")?;
        Ok(Auth::new(&mut store).set_password(&caller.name(), username, password, self.now_ms())?)
    }

    pub fn tokens(&self, caller: &Caller) -> Result<Vec<TokenView>> {
        let mut store = self.identity(caller, "read tokens")?;
        Ok(Auth::new(&mut store).tokens(None)?)
    }

    /// Creates a token; its secret is returned once and never stored.
    pub fn create_token(&self, caller: &Caller, t: &NewToken) -> Result<(String, TokenView)> {
        let mut store = self.identity(caller, "token.create")?;
        let now = self.now_ms();
        let owner = t.owner.clone().unwrap_or_else(|| caller.name());
        let expires = t.days.map(|d| now + d.clamp(1, 3650) * 86_400_000);
        Ok(Auth::new(&mut store).create_token(&owner, &t.name, &t.roles, expires, &caller.name(), now)?)
    }

    pub fn revoke_token(&self, caller: &Caller, id: &str) -> Result<TokenView> {
        let mut store = self.identity(caller, "token.revoke")?;
        Ok(Auth::new(&mut store).revoke_token(id, &caller.name(), self.now_ms())?)
    }

    pub fn grants(&self, caller: &Caller) -> Result<Vec<Grant>> {
        let mut store = self.identity(caller, "read grants")?;
        Ok(Auth::new(&mut store).grants(None)?)
    }

    pub fn create_grant(&self, caller: &Caller, g: &NewGrant) -> Result<Grant> {
        let mut store = self.identity(caller, "grant.create")?;
        Ok(Auth::new(&mut store).grant(
            &caller.name(),
            &g.auditor,
            &g.cases,
            g.from_ms,
            g.to_ms,
            g.expires_ms,
            self.now_ms(),
        )?)
    }

    pub fn revoke_grant(&self, caller: &Caller, id: &str) -> Result<Grant> {
        let mut store = self.identity(caller, "grant.revoke")?;
        Ok(Auth::new(&mut store).revoke_grant(id, &caller.name(), self.now_ms())?)
    }

    /// Forgets sessions that ended or lapsed more than [`SESSION_RETENTION_MS`] ago; returns how
    /// many. Run on a timer while serving, at each sign-in, and by an admin on demand.
    pub fn prune_sessions(&self, caller: &Caller) -> Result<usize> {
        let mut store = self.identity(caller, "session.prune")?;
        let now = self.now_ms();
        Ok(Auth::new(&mut store).prune_sessions(now - SESSION_RETENTION_MS, &caller.name(), now)?)
    }
}

impl App {
    /// The same pruning as housekeeping, by Vigil itself (`vigil:sessions`): on a timer while
    /// serving and at each sign-in. Audited when it forgets anything.
    pub fn prune_sessions_housekeeping(&self) -> Result<usize> {
        let mut store = self.store()?;
        let now = self.now_ms();
        Ok(Auth::new(&mut store).prune_sessions(now - SESSION_RETENTION_MS, "vigil:sessions", now)?)
    }
}
