//! A small SMTP server (RFC 5321) that requires AUTH (PLAIN or LOGIN) with the sandbox's
//! credentials and records each message. No TLS: the sandbox config uses `tls: none`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::json;

use super::Inner;
use crate::util::base64_decode;

/// Recipients in this domain are refused with a permanent error.
pub(crate) const REJECTED_DOMAIN: &str = "invalid.example";

pub(crate) struct SmtpServer {
    pub addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl SmtpServer {
    pub fn start(inner: Arc<Inner>) -> io::Result<SmtpServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new().name("vigil-sandbox-smtp".into()).spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let inner = inner.clone();
                    let _ = std::thread::Builder::new().name("vigil-sandbox-smtp-conn".into()).spawn(move || {
                        let _ = session(&inner, stream);
                    });
                }
            }
        })?;
        Ok(SmtpServer { addr, stop, thread: Some(thread) })
    }

    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = String::new();
    let n = io::Read::take(&mut *reader, 64 * 1024).read_line(&mut line)?;
    if n == 0 {
        return Ok(None);
    }
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_string()))
}

fn address(arg: &str) -> Option<String> {
    let start = arg.find('<')?;
    let end = arg[start..].find('>')? + start;
    Some(arg[start + 1..end].to_string())
}

fn session(inner: &Inner, stream: TcpStream) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut out = stream;
    let creds = (inner.creds.smtp_username.clone(), inner.creds.smtp_password.clone());
    let check = |user: &str, pass: &str| user == creds.0 && pass == creds.1;
    out.write_all(b"220 sandbox.vigil ESMTP ready\r\n")?;
    let (mut greeted, mut authed) = (false, false);
    let mut from: Option<String> = None;
    let mut rcpts: Vec<String> = Vec::new();
    while let Some(line) = read_line(&mut reader)? {
        let (verb, arg) = line.split_once(' ').unwrap_or((line.as_str(), ""));
        let reply: String = match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                greeted = true;
                format!(
                    "250-sandbox.vigil greets {arg}\r\n250-AUTH PLAIN LOGIN\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 10485760\r\n"
                )
            }
            "HELO" => {
                greeted = true;
                "250 sandbox.vigil\r\n".into()
            }
            "STARTTLS" => "454 4.7.0 TLS not available\r\n".into(),
            "AUTH" => {
                let (mech, initial) = arg.split_once(' ').unwrap_or((arg, ""));
                let ok = match mech.to_ascii_uppercase().as_str() {
                    "PLAIN" => {
                        let resp = if initial.is_empty() {
                            out.write_all(b"334 \r\n")?;
                            read_line(&mut reader)?.unwrap_or_default()
                        } else {
                            initial.to_string()
                        };
                        let raw = base64_decode(resp.trim()).unwrap_or_default();
                        let parts: Vec<&[u8]> = raw.split(|b| *b == 0).collect();
                        matches!(parts.as_slice(), [_, u, p] if check(&String::from_utf8_lossy(u), &String::from_utf8_lossy(p)))
                    }
                    "LOGIN" => {
                        let user = if initial.is_empty() {
                            out.write_all(b"334 VXNlcm5hbWU6\r\n")?;
                            read_line(&mut reader)?.unwrap_or_default()
                        } else {
                            initial.to_string()
                        };
                        out.write_all(b"334 UGFzc3dvcmQ6\r\n")?;
                        let pass = read_line(&mut reader)?.unwrap_or_default();
                        let dec = |s: &str| {
                            String::from_utf8_lossy(&base64_decode(s.trim()).unwrap_or_default()).into_owned()
                        };
                        check(&dec(&user), &dec(&pass))
                    }
                    _ => {
                        out.write_all(b"504 5.5.4 Unrecognized authentication type\r\n")?;
                        continue;
                    }
                };
                authed = ok;
                if ok {
                    "235 2.7.0 Authentication successful\r\n".into()
                } else {
                    "535 5.7.8 Authentication credentials invalid\r\n".into()
                }
            }
            "MAIL" if !greeted => "503 5.5.1 Error: send HELO/EHLO first\r\n".into(),
            "MAIL" if !authed => "530 5.7.0 Authentication required\r\n".into(),
            "MAIL" => match address(arg) {
                Some(a) => {
                    from = Some(a);
                    rcpts.clear();
                    "250 2.1.0 Ok\r\n".into()
                }
                None => "501 5.1.7 Bad sender address syntax\r\n".into(),
            },
            "RCPT" if from.is_none() => "503 5.5.1 Error: need MAIL command\r\n".into(),
            "RCPT" => match address(arg) {
                Some(a) if a.to_ascii_lowercase().ends_with(&format!("@{REJECTED_DOMAIN}")) => {
                    format!("550 5.1.1 <{a}>: Recipient address rejected: User unknown in virtual mailbox table\r\n")
                }
                Some(a) => {
                    rcpts.push(a);
                    "250 2.1.5 Ok\r\n".into()
                }
                None => "501 5.1.3 Bad recipient address syntax\r\n".into(),
            },
            "DATA" if rcpts.is_empty() => "503 5.5.1 Error: need RCPT command\r\n".into(),
            "DATA" => {
                out.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")?;
                let mut lines = Vec::new();
                loop {
                    let Some(l) = read_line(&mut reader)? else { return Ok(()) };
                    if l == "." {
                        break;
                    }
                    // Undo dot-stuffing (RFC 5321 §4.5.2).
                    lines.push(l.strip_prefix('.').map(str::to_string).filter(|_| l.starts_with("..")).unwrap_or(l));
                }
                let blank = lines.iter().position(String::is_empty).unwrap_or(lines.len());
                let header = |name: &str| {
                    lines[..blank].iter().find_map(|l| {
                        l.split_once(':')
                            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                            .map(|(_, v)| v.trim().to_string())
                    })
                };
                let mut st = inner.state();
                let n = st.next();
                st.email.push(json!({
                    "from": from,
                    "to": rcpts,
                    "subject": header("Subject"),
                    "message_id": header("Message-ID"),
                    "body": lines.get(blank + 1..).map(|b| b.join("\n")).unwrap_or_default(),
                }));
                from = None;
                rcpts = Vec::new();
                format!("250 2.0.0 Ok: queued as SBX{n:06}\r\n")
            }
            "RSET" => {
                from = None;
                rcpts.clear();
                "250 2.0.0 Ok\r\n".into()
            }
            "NOOP" => "250 2.0.0 Ok\r\n".into(),
            "QUIT" => {
                out.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => "502 5.5.2 Error: command not recognized\r\n".into(),
        };
        out.write_all(reply.as_bytes())?;
    }
    Ok(())
}
