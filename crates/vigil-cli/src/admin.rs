//! `vigil user …` and `vigil sessions prune`: identity administration from the shell, through the
//! same operations the API and the admin page call.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vigil_app::admin::{NewToken, NewUser};
use vigil_app::{App, Caller};
use vigil_auth::Role;
use vigil_pipeline::DataDir;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Users, their roles and whether they are disabled.
    List,
    /// Create a user; the password is read from standard input (one line).
    Create {
        /// Lower-case letters, digits and . _ @ -
        username: String,
        /// Roles, comma separated (admin, detection_engineer, analyst, responder, approver, auditor, executive).
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// The name shown in the web app.
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Stop a user signing in: their sessions end and their tokens stop working.
    Disable {
        /// The user to disable.
        username: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        /// The user to enable.
        username: String,
    },
    /// Set a user's password (read from standard input, one line); their sessions end.
    Password {
        /// The user whose password is set.
        username: String,
    },
    /// API tokens: what `vigil` acts as when `VIGIL_TOKEN` holds one, and what scripts present
    /// as a bearer.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Mint a token for a user; its secret is printed once and never stored.
    Create {
        /// The user the token acts as.
        username: String,
        /// What the token is for (shown in lists and the audit log).
        #[arg(long)]
        name: String,
        /// Roles the token holds, comma separated; each must be one of the user's own roles.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Days until the token expires.
        #[arg(long, default_value_t = 90)]
        days: i64,
    },
    /// Every token: owner, roles, expiry, last use, revocation.
    List,
    /// Revoke a token by its id: it stops working at once.
    Revoke {
        /// The token's id (from `vigil user token list`).
        id: String,
    },
}

#[derive(Subcommand)]
pub enum SessionsCommand {
    /// Forget sessions that ended or lapsed over a week ago.
    Prune,
}

fn read_password() -> Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("give the password on standard input (one line)");
    }
    Ok(pw)
}

pub fn user(dir: &DataDir, cmd: UserCommand, who: &Caller, json: bool) -> Result<()> {
    let app = App::new(dir.root());
    let show = |u: &vigil_auth::UserView, what: &str| -> Result<()> {
        if json {
            println!("{}", serde_json::to_string_pretty(u)?);
        } else {
            println!("{} {what}", u.username);
        }
        Ok(())
    };
    match cmd {
        UserCommand::List => {
            let users = app.users(who)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
                return Ok(());
            }
            for u in &users {
                let roles: Vec<&str> = u.roles.iter().map(|r| r.as_str()).collect();
                println!(
                    "{:<24} {:<9} {}",
                    u.username,
                    if u.disabled { "disabled" } else { "active" },
                    roles.join(",")
                );
            }
            Ok(())
        }
        UserCommand::Create { username, roles, display_name } => {
            let roles: Vec<Role> = roles.iter().map(|r| r.parse::<Role>()).collect::<Result<_, _>>()?;
            let password = read_password()?;
            let u = app.create_user(who, &NewUser { username, display_name, roles, password })?;
            show(&u, "created")
        }
        UserCommand::Disable { username } => show(&app.disable_user(who, &username)?, "disabled; sessions ended"),
        UserCommand::Enable { username } => show(&app.enable_user(who, &username)?, "enabled"),
        UserCommand::Token { command } => token(&app, who, command, json),
        UserCommand::Password { username } => {
            let password = read_password()?;
            app.reset_password(who, &username, &password)?;
            if json {
                println!("{}", serde_json::json!({"username": username, "password_reset": true}));
            } else {
                println!("{username}: password reset; sessions ended");
            }
            Ok(())
        }
    }
}

fn token(app: &App, who: &Caller, cmd: TokenCommand, json: bool) -> Result<()> {
    let day = |ms: Option<i64>| ms.map_or_else(|| "-".to_string(), crate::queue::when);
    match cmd {
        TokenCommand::Create { username, name, roles, days } => {
            let roles: Vec<Role> = roles.iter().map(|r| r.parse::<Role>()).collect::<Result<_, _>>()?;
            let t = NewToken { owner: Some(username), name, roles, days: Some(days) };
            let (secret, view) = app.create_token(who, &t)?;
            if json {
                println!("{}", serde_json::json!({"token": secret, "view": view}));
            } else {
                println!("{secret}");
                eprintln!(
                    "token {} for {} ({}), expires {}; shown once — keep it where only its holder reads it",
                    view.id,
                    view.owner,
                    view.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(","),
                    day(view.expires_ms)
                );
            }
            Ok(())
        }
        TokenCommand::List => {
            let list = app.tokens(who)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(());
            }
            println!(
                "{:<18} {:<20} {:<20} {:<26} {:<17} {:<17} state",
                "id", "owner", "name", "roles", "expires", "last used"
            );
            for t in &list {
                let roles: Vec<&str> = t.roles.iter().map(|r| r.as_str()).collect();
                let state = if t.revoked_ms.is_some() { "revoked" } else { "active" };
                println!(
                    "{:<18} {:<20} {:<20} {:<26} {:<17} {:<17} {state}",
                    t.id,
                    t.owner,
                    t.name,
                    roles.join(","),
                    day(t.expires_ms),
                    day(t.last_used_ms)
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            let t = app.revoke_token(who, &id)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&t)?);
            } else {
                println!("token {} of {} revoked", t.id, t.owner);
            }
            Ok(())
        }
    }
}

pub fn sessions(dir: &DataDir, cmd: SessionsCommand, who: &Caller, json: bool) -> Result<()> {
    let SessionsCommand::Prune = cmd;
    let n = App::new(dir.root()).prune_sessions(who)?;
    if json {
        println!("{}", serde_json::json!({"pruned": n}));
    } else {
        println!("{n} old sessions forgotten");
    }
    Ok(())
}
