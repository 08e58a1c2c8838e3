//! Email over SMTP (submission with STARTTLS, implicit TLS, or plain for local relays).

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport as _};
use serde_json::{Value, json};

use super::action_meta;
use crate::action::Session;
use crate::util::{config_str, input_str, opt_config_str, opt_input_str};
use crate::{Action, ActionContext, ActionOutcome, CallRecord, ConnectorError, HttpRequest, Secrets, mask_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TlsMode {
    None,
    StartTls,
    Implicit,
}

struct Mail {
    host: String,
    port: u16,
    tls: TlsMode,
    hello: Option<String>,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject: String,
    body: String,
    credentials: Option<(String, String)>,
}

fn mailbox(s: &str, input: &str) -> Result<Mailbox, ConnectorError> {
    s.trim().parse::<Mailbox>().map_err(|_| ConnectorError::Unsupported(format!("`{input}` is not an email address")))
}

impl Mail {
    fn new(inputs: &Value, config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        let to_raw: Vec<String> = match inputs.get("to") {
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            Some(Value::String(s)) => s.split(',').map(str::to_string).filter(|s| !s.trim().is_empty()).collect(),
            _ => Vec::new(),
        };
        if to_raw.is_empty() {
            return Err(ConnectorError::MissingInput("to".into()));
        }
        let subject = input_str(inputs, "subject")?;
        let body = input_str(inputs, "body")?;
        let from = opt_input_str(inputs, "from")
            .or_else(|| opt_config_str(config, "email", "from"))
            .ok_or_else(|| ConnectorError::MissingInput("from".into()))?;
        let host = config_str(config, "email", "host")?;
        let tls = match opt_config_str(config, "email", "tls").as_deref().unwrap_or("starttls") {
            "starttls" => TlsMode::StartTls,
            "tls" => TlsMode::Implicit,
            "none" => TlsMode::None,
            other => return Err(ConnectorError::Unsupported(format!("email.tls `{other}` (starttls, tls or none)"))),
        };
        let port = match opt_config_str(config, "email", "port") {
            Some(p) => p.parse().map_err(|_| ConnectorError::Unsupported("email.port must be a port number".into()))?,
            None => match tls {
                TlsMode::StartTls => 587,
                TlsMode::Implicit => 465,
                TlsMode::None => 25,
            },
        };
        let credentials = match (secrets.get_opt("smtp_username"), secrets.get_opt("smtp_password")) {
            (Some(u), Some(p)) => Some((u.to_string(), p.to_string())),
            (None, None) => None,
            (Some(_), None) => return Err(ConnectorError::MissingSecret("smtp_password".into())),
            (None, Some(_)) => return Err(ConnectorError::MissingSecret("smtp_username".into())),
        };
        Ok(Mail {
            host,
            port,
            tls,
            hello: opt_config_str(config, "email", "hello_name"),
            from: mailbox(&from, "from")?,
            to: to_raw.iter().map(|t| mailbox(t, "to")).collect::<Result<_, _>>()?,
            subject,
            body,
            credentials,
        })
    }

    fn url(&self) -> String {
        let scheme = if self.tls == TlsMode::Implicit { "smtps" } else { "smtp" };
        format!("{scheme}://{}:{}", self.host, self.port)
    }

    fn message_id(&self, key: &str) -> String {
        let domain = self.from.email.domain().to_string();
        let key: String =
            key.chars().map(|c| if c.is_ascii_alphanumeric() || "-._".contains(c) { c } else { '_' }).collect();
        format!("<vigil.{key}@{domain}>")
    }
}

pub(crate) struct Smtp;

impl Action for Smtp {
    action_meta!(
        "email.smtp",
        Notify,
        "Send a plain-text email through an SMTP server",
        api: "SMTP (STARTTLS by default; implicit TLS or none when configured)",
        inputs: ["to", "subject", "body"],
        secrets: []
    );

    /// One pseudo-request: method `SMTP`, URL `smtp(s)://host:port`, the message headers,
    /// and the body; with credentials, an `Authorization` header holding them.
    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let mail = Mail::new(inputs, config, secrets)?;
        let mut req = HttpRequest::new("SMTP", mail.url())
            .with_header("From", mail.from.to_string())
            .with_header("To", mail.to.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
            .with_header("Subject", mail.subject.clone())
            .with_header("Message-ID", mail.message_id(key))
            .with_header(
                "X-Smtp-Tls",
                match mail.tls {
                    TlsMode::None => "none",
                    TlsMode::StartTls => "starttls",
                    TlsMode::Implicit => "tls",
                },
            );
        if let Some((user, password)) = &mail.credentials {
            req = req.with_header("Authorization", format!("AUTH {user} {password}"));
        }
        req.body = Some(mail.body.clone());
        Ok(vec![req])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        let mail = Mail::new(inputs, ctx.config, ctx.secrets)?;
        let mut builder = Message::builder()
            .from(mail.from.clone())
            .subject(mail.subject.clone())
            .message_id(Some(mail.message_id(ctx.idempotency_key)))
            .header(ContentType::TEXT_PLAIN);
        for to in &mail.to {
            builder = builder.to(to.clone());
        }
        let message = builder
            .body(mail.body.clone())
            .map_err(|e| ConnectorError::Unsupported(format!("cannot build the message: {e}")))?;
        let tls = match mail.tls {
            TlsMode::None => Tls::None,
            TlsMode::StartTls | TlsMode::Implicit => {
                let params = TlsParameters::new(mail.host.clone())
                    .map_err(|e| ConnectorError::Transport(format!("TLS setup: {e}")))?;
                if mail.tls == TlsMode::StartTls { Tls::Required(params) } else { Tls::Wrapper(params) }
            }
        };
        let mut transport = SmtpTransport::builder_dangerous(mail.host.clone())
            .port(mail.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(30)));
        if let Some((user, password)) = &mail.credentials {
            transport = transport.credentials(Credentials::new(user.clone(), password.clone()));
        }
        if let Some(hello) = &mail.hello {
            transport = transport.hello_name(ClientId::Domain(hello.clone()));
        }
        let s = Session::new(self.name(), ctx);
        let response = transport.build().send(&message).map_err(|e| {
            let text = mask_text(&e.to_string(), ctx.secrets);
            let code = e.status().map(|c| c.to_string()).unwrap_or_default();
            if e.is_permanent() {
                // A 5xx SMTP reply: the server refused for good (bad address, policy,
                // authentication). Not an HTTP status, and not worth retrying.
                ConnectorError::BadResponse(format!("email.smtp: SMTP {code}: {text}"))
            } else {
                ConnectorError::Transport(format!("email.smtp: {text}"))
            }
        })?;
        let status: u16 = response.code().to_string().parse().unwrap_or(250);
        let mut outcome = s.finish(
            json!({ "delivered": true, "message_id": mail.message_id(ctx.idempotency_key), "recipients": mail.to.len() }),
            None,
            false,
        );
        outcome.calls.push(CallRecord { method: "SMTP".into(), url: mail.url(), status });
        Ok(outcome)
    }
}
