//! Identity and authorization for `vigil serve`.
//!
//! Owns: local users with Argon2id password hashes; API tokens (shown once, stored as SHA-256,
//! scoped to roles, expiring, revocable); browser sessions with CSRF tokens and idle and absolute
//! expiry; the eight roles and the [`Permission`]s each holds; auditor grants scoped to named cases
//! and a period, that expire; an in-memory login rate limiter; and the network-free half of
//! OpenID Connect single sign-on ([`oidc`]: settings, PKCE, `state` and `nonce`, ID-token
//! verification against the provider's keys, groups to roles). Every change is appended to the
//! audit log through [`vigil_store::StateStore`], under the document kinds `user`, `token`,
//! `session` and `grant`. All time is passed in as `now_ms` (milliseconds since the epoch); this
//! crate never reads the clock.
//!
//! Must not: speak HTTP (the application layer fetches the provider's documents and hands them
//! in), set cookies or headers, or log, store or audit any secret — passwords, token secrets,
//! session secrets, an SSO client secret, authorization code, PKCE verifier or ID token, or
//! password hashes in the audit log. (The store keeps the PHC password hash in the user document, the SHA-256 of a token secret in the token document,
//! and the SHA-256 of a session secret as the session document's id; none of them ever reaches
//! the audit log or a `*View`.)
//!
//! Callers decide who may call what: a route checks [`Principal::can`] (identity changes need
//! [`Permission::ManageIdentity`]) before it calls [`Auth`]. What this crate enforces itself is
//! what must hold whoever calls: a token's roles never exceed its owner's (unless the owner is an
//! admin), only auditors receive grants, a grant expires within 90 days, people never hold the
//! [`Role::Ingestor`] role, and the last enabled admin cannot be demoted or disabled.

mod auth;
mod crypto;
mod limiter;
pub mod oidc;
mod principal;
mod roles;

pub use auth::{
    Auth, GRANT_MAX_DAYS, Grant, KIND_GRANT, KIND_SESSION, KIND_TOKEN, KIND_USER, Session, SessionPolicy, Token,
    TokenView, User, UserView,
};
pub use crypto::{check_csrf, constant_time_eq, hash_password, random_password, verify_password};
pub use limiter::{Attempt, LimiterPolicy, LoginLimiter, RetryAfterSecs};
pub use oidc::{LocalSignIn, OidcError, SsoSettings};
pub use principal::{Principal, Via};
pub use roles::{Permission, Role, permissions};

/// Why an identity operation was refused. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The same for an unknown user, a wrong password, an unknown token and a wrong token secret,
    /// so a caller cannot tell which.
    #[error("invalid username or password")]
    BadCredentials,
    #[error("too many failed logins; try again in {retry_after_secs} s")]
    Locked { retry_after_secs: u64 },
    #[error("expired")]
    Expired,
    #[error("revoked or ended")]
    Revoked,
    #[error("account disabled")]
    Disabled,
    #[error("forbidden: {reason}")]
    Forbidden { reason: String },
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{what} not found")]
    NotFound { what: String },
    #[error("{what} already exists")]
    Exists { what: String },
    #[error("stored {kind} {id} is unreadable: {message}")]
    Corrupt { kind: &'static str, id: String, message: String },
    #[error("password hashing: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] vigil_store::StoreError),
}

impl AuthError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> AuthError {
        AuthError::Invalid { field, reason: reason.into() }
    }
    pub(crate) fn forbidden(reason: impl Into<String>) -> AuthError {
        AuthError::Forbidden { reason: reason.into() }
    }
    pub(crate) fn not_found(what: impl Into<String>) -> AuthError {
        AuthError::NotFound { what: what.into() }
    }
}

pub type Result<T> = std::result::Result<T, AuthError>;
