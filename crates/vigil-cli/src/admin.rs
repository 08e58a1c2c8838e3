//! `vigil user …` and `vigil sessions prune`: identity administration from the shell, through the
//! same operations the API and the admin page call.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vigil_app::admin::NewUser;
use vigil_app::{App, Caller};
use vigil_auth::Role;
use vigil_pipeline::DataDir;

#[derive(Subcommand)]
pub enum UserCommand {
    /// Users, their roles and whether they are disabled.
    List,
    /// Create a user; the password is read from standard input (one line).
    Create {
        username: String,
        /// Roles, comma separated (admin, detection_engineer, analyst, responder, approver, auditor, executive).
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        #[arg(long, default_value = "")]
        display_name: String,
    },
    /// Stop a user signing in: their sessions end and their tokens stop working.
    Disable { username: String },
    /// Let a disabled user sign in again.
    Enable { username: String },
    /// Set a user's password (read from standard input, one line); their sessions end.
    Password { username: String },
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

pub fn user(dir: &DataDir, cmd: UserCommand, actor: &str, json: bool) -> Result<()> {
    let app = App::new(dir.root());
    let who = Caller::local(actor);
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
            let users = app.users(&who)?;
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
            let u = app.create_user(&who, &NewUser { username, display_name, roles, password })?;
            show(&u, "created")
        }
        UserCommand::Disable { username } => show(&app.disable_user(&who, &username)?, "disabled; sessions ended"),
        UserCommand::Enable { username } => show(&app.enable_user(&who, &username)?, "enabled"),
        UserCommand::Password { username } => {
            let password = read_password()?;
            app.reset_password(&who, &username, &password)?;
            if json {
                println!("{}", serde_json::json!({"username": username, "password_reset": true}));
            } else {
                println!("{username}: password reset; sessions ended");
            }
            Ok(())
        }
    }
}

pub fn sessions(dir: &DataDir, cmd: SessionsCommand, actor: &str, json: bool) -> Result<()> {
    let SessionsCommand::Prune = cmd;
    let n = App::new(dir.root()).prune_sessions(&Caller::local(actor))?;
    if json {
        println!("{}", serde_json::json!({"pruned": n}));
    } else {
        println!("{n} old sessions forgotten");
    }
    Ok(())
}
