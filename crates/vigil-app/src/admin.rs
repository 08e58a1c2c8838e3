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

/// A new auditor grant: named cases, the period their time must fall in, and the expiry (what
/// the API takes, as it is).
#[derive(Debug, Clone, serde::Deserialize)]
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

    /// Creates a token; its secret is returned once and never stored. A token acts only as its
    /// owner, so a signed-in person (an admin included) mints tokens for themselves only — an
    /// admin who wants someone to have a token creates or resets that user, and the user mints
    /// it. The shell of the data directory (which holds the data outright) may mint for a named
    /// user; the token records who minted it, and the four-eyes rule holds that against them.
    pub fn create_token(&self, caller: &Caller, t: &NewToken) -> Result<(String, TokenView)> {
        let mut store = self.identity(caller, "token.create")?;
        let now = self.now_ms();
        let owner = t.owner.clone().unwrap_or_else(|| caller.name());
        if let Caller::Person(p) = caller
            && owner != p.username
        {
            let why = format!("{} may mint tokens only for themselves, not for {owner}", p.username);
            let entry = vigil_store::AuditEntry::new(now, &p.username, "token.create", &owner, "denied", &why);
            self.audit(&mut store, &entry)?;
            return Err(crate::AppError::Refused(why));
        }
        let expires = t.days.map(|d| now + d.clamp(1, 3650) * 86_400_000);
        Ok(Auth::new(&mut store).create_token(&owner, &t.name, &t.roles, expires, &caller.name(), now)?)
    }

    /// Replaces a user's roles (at least one, given explicitly). Refused when it would leave no
    /// enabled admin.
    pub fn set_roles(&self, caller: &Caller, username: &str, roles: &[Role]) -> Result<UserView> {
        let mut store = self.identity(caller, "user.roles")?;
        Ok(Auth::new(&mut store).set_roles(&caller.name(), username, roles, self.now_ms())?)
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

/// Signing in and out, and a person's own password: the operations before (or about) a caller.
impl App {
    /// Checks a password (subject to the login limiter) and opens a browser session; returns
    /// the cookie secret (never stored) and the session. Refused for all but the break-glass
    /// admins when single sign-on turns local sign-in off. Each sign-in also forgets sessions
    /// long over.
    pub fn sign_in(
        &self,
        username: &str,
        password: &str,
        ip: &str,
        limiter: &vigil_auth::LoginLimiter,
    ) -> Result<(String, vigil_auth::Session)> {
        let session = {
            let mut store = self.store()?;
            let now = self.now_ms();
            Auth::new(&mut store).login(username, password, ip, limiter, now)?;
            // Single sign-on: where local sign-in is for break-glass admins only, anyone else's
            // correct password opens no session (refused and audited).
            self.check_local_sign_in(&mut store, username, ip)?;
            Auth::new(&mut store).create_session(username, now)?
        };
        self.prune_sessions_housekeeping()?;
        Ok(session)
    }

    /// The person an API token stands for (`VIGIL_TOKEN` at the shell, a script's bearer):
    /// malformed, unknown, revoked and expired tokens and those of disabled users are refused.
    pub fn authenticate_token(&self, secret: &str) -> Result<Caller> {
        let mut store = self.store()?;
        Ok(Caller::Person(Auth::new(&mut store).verify_token(secret, self.now_ms())?))
    }

    /// Ends the session whose cookie secret this is (if it is one).
    pub fn sign_out(&self, secret: &str) -> Result<bool> {
        let mut store = self.store()?;
        Ok(Auth::new(&mut store).end_session(secret, self.now_ms())?)
    }

    /// A person changes their own password after proving the current one (subject to the
    /// login limiter); every session of theirs ends.
    pub fn change_own_password(
        &self,
        caller: &Caller,
        current: &str,
        new: &str,
        ip: &str,
        limiter: &vigil_auth::LoginLimiter,
    ) -> Result<()> {
        let Caller::Person(p) = caller else {
            return Err(crate::AppError::Invalid("only a signed-in person changes their own password".into()));
        };
        let mut store = self.store()?;
        let mut auth = Auth::new(&mut store);
        let now = self.now_ms();
        auth.login(&p.username, current, ip, limiter, now)?;
        Ok(auth.set_password(&p.username, &p.username, new, now)?)
    }

    /// Creates the first administrator, `username`, when the data directory has no user yet;
    /// returns it when it did.
    pub fn bootstrap_admin(&self, username: &str, password: &str) -> Result<Option<UserView>> {
        let mut store = self.store()?;
        Ok(Auth::new(&mut store).ensure_admin(username, password, self.now_ms())?)
    }

    /// Creates `u`, or, when the user exists, sets its password (the demo's fresh credentials).
    pub fn create_or_reset_user(&self, caller: &Caller, u: &NewUser) -> Result<UserView> {
        let exists = {
            let mut store = self.identity(caller, "user.create")?;
            Auth::new(&mut store).user(&u.username)?
        };
        match exists {
            Some(view) => {
                self.reset_password(caller, &u.username, &u.password)?;
                Ok(view)
            }
            None => self.create_user(caller, u),
        }
    }
}
