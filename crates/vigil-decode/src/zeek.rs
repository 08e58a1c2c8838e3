//! Zeek logs (JSON streaming format, and the default TSV format) to OCSF. conn, dns, http, ssl,
//! files, ssh, rdp, smb, ftp, smtp and ntp get their own classes; every other log is kept as a
//! generic Network Activity record with its log name.

use serde_json::{Map, Value};
use vigil_model::OcsfClass;

use crate::json::{float, int, port, text};
use crate::{DecodeError, Decoder, Draft, LogSource, Service};

pub const FAMILY: &str = "zeek";

/// Zeek logs: JSON streaming records, and the TSV format (framed by [`crate::scan_unit`]).
pub struct Zeek;

impl Decoder for Zeek {
    fn name(&self) -> &'static str {
        "zeek"
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "Zeek logs, JSON or TSV (conn, dns, http, ssl, files, ssh, rdp, smb, ftp, smtp, ntp, and any other)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type.starts_with("Zeek.")
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        use OcsfClass::*;
        &[
            NetworkActivity,
            DnsActivity,
            HttpActivity,
            SshActivity,
            RdpActivity,
            SmbActivity,
            FtpActivity,
            EmailActivity,
            NtpActivity,
        ]
    }
    fn logsource(&self) -> LogSource {
        LogSource { product: Some("zeek"), service: Service::LogName, category: None }
    }
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        record.get("_path").and_then(Value::as_str)
    }
    fn sample(&self) -> &'static str {
        r#"{"_path":"dns","ts":"2018-03-24T17:15:20.865716Z","uid":"C1","id.orig_h":"10.0.0.1","id.orig_p":41772,"id.resp_h":"10.0.0.100","id.resp_p":53,"proto":"udp","query":"example.org","qtype_name":"A","rcode_name":"NOERROR","answers":["1.2.3.4"]}"#
    }
}

pub fn looks_like(v: &Value) -> bool {
    v.get("_path").is_some()
        || (v.get("ts").is_some() && (v.get("uid").is_some() || v.get("id.orig_h").is_some() || v.get("id").is_some()))
}

/// Logs written without `_path` take the log name from the file name (`dns.json.gz` → `dns`,
/// [`Draft::log_name_hint`]).
/// What a record cannot do without: its time.
fn head(v: &Value) -> Result<i64, DecodeError> {
    crate::time_of(v, &["ts", "_write_ts"])
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let path = text(v, "_path").or_else(|| d.log_name_hint().map(str::to_string)).unwrap_or_else(|| "unknown".into());
    let time = head(v)?;
    let class = match path.as_str() {
        "conn" => OcsfClass::NetworkActivity,
        "dns" => OcsfClass::DnsActivity,
        "http" => OcsfClass::HttpActivity,
        "ssh" => OcsfClass::SshActivity,
        "rdp" => OcsfClass::RdpActivity,
        "smb_files" | "smb_mapping" | "smb_cmd" => OcsfClass::SmbActivity,
        "ftp" => OcsfClass::FtpActivity,
        "smtp" => OcsfClass::EmailActivity,
        "ntp" => OcsfClass::NtpActivity,
        _ => OcsfClass::NetworkActivity,
    };
    let activity = if class == OcsfClass::DnsActivity { 2 } else { 6 };
    let e = d.start(class, activity, time, "Zeek", "Zeek");
    e.metadata.log_name = Some(path.clone());
    e.metadata.original_uid = text(v, "uid").or_else(|| text(v, "fuid"));

    if let Some(ip) = text(v, "id.orig_h") {
        let s = e.src_mut();
        s.ip = Some(ip);
        s.port = port(v, "id.orig_p");
    }
    if let Some(ip) = text(v, "id.resp_h") {
        let dst = e.dst_mut();
        dst.ip = Some(ip);
        dst.port = port(v, "id.resp_p");
    }
    if let Some(proto) = text(v, "proto") {
        e.traffic_mut().protocol = Some(proto);
    }
    match path.as_str() {
        "conn" => {
            let t = e.traffic_mut();
            t.bytes_out = int(v, "orig_bytes");
            t.bytes_in = int(v, "resp_bytes");
            t.duration_ms = float(v, "duration").map(|s| (s * 1000.0).round() as i64);
            t.state = text(v, "conn_state");
            if let Some(svc) = text(v, "service") {
                e.api_mut().service = Some(svc);
            }
        }
        "dns" => {
            let dns = e.dns_mut();
            dns.query = text(v, "query");
            dns.qtype = text(v, "qtype_name").or_else(|| text(v, "qtype"));
            dns.rcode = text(v, "rcode_name").or_else(|| text(v, "rcode"));
            dns.answers = v
                .get("answers")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(","));
        }
        "http" => {
            let h = e.http_mut();
            h.method = text(v, "method");
            let host = text(v, "host").unwrap_or_default();
            h.url = text(v, "uri").map(|u| format!("{host}{u}"));
            h.status = int(v, "status_code");
            h.user_agent = text(v, "user_agent");
            e.dst_mut().hostname = text(v, "host");
            let t = e.traffic_mut();
            t.bytes_out = int(v, "request_body_len");
            t.bytes_in = int(v, "response_body_len");
        }
        "ssl" => {
            e.dst_mut().hostname = text(v, "server_name");
            e.status_detail = text(v, "validation_status");
        }
        "files" => {
            let f = e.file_mut();
            f.name = text(v, "filename");
            f.hashes =
                text(v, "sha256").map(|h| format!("SHA256={h}")).or_else(|| text(v, "md5").map(|h| format!("MD5={h}")));
            f.size = int(v, "total_bytes").or_else(|| int(v, "seen_bytes"));
        }
        "smb_files" => {
            let f = e.file_mut();
            f.path = text(v, "path").map(|p| format!("{p}\\{}", text(v, "name").unwrap_or_default()));
            f.name = text(v, "name");
            f.size = int(v, "size");
        }
        "ssh" | "rdp" | "ntlm" | "kerberos" => {
            if let Some(user) = text(v, "username").or_else(|| text(v, "cookie")).or_else(|| text(v, "client")) {
                e.actor_user_mut().name = Some(user);
            }
            e.status_detail = text(v, "auth_success").or_else(|| text(v, "result")).or_else(|| text(v, "success"));
        }
        "smtp" => {
            e.message = text(v, "subject");
            if let Some(from) = text(v, "mailfrom") {
                e.actor_user_mut().email = Some(from);
            }
        }
        "notice" => {
            e.message = text(v, "msg");
            e.status_detail = text(v, "note");
        }
        _ => {}
    }
    Ok(())
}

/// Converts Zeek's TSV format (`#separator`, `#fields`, `#types` headers) into JSON objects, one per
/// data line, keeping each line's bytes as its raw form.
pub struct Tsv {
    pub path: Option<String>,
    fields: Vec<String>,
    types: Vec<String>,
    sep: u8,
    unset: String,
    empty: String,
    /// The log's `#open` time (RFC 3339), given to rows that have no `ts` of their own.
    open: Option<String>,
}

impl Tsv {
    pub fn new() -> Tsv {
        Tsv {
            path: None,
            fields: Vec::new(),
            types: Vec::new(),
            sep: b'\t',
            unset: "-".into(),
            empty: "(empty)".into(),
            open: None,
        }
    }

    /// Feeds a header line (starting with `#`). Returns an error for a malformed header.
    pub fn header(&mut self, line: &str) -> Result<(), String> {
        let mut parts = line.splitn(2, [' ', '\t']);
        let key = parts.next().unwrap_or_default();
        let rest = parts.next().unwrap_or_default();
        let split = |s: &str, sep: u8| s.split(sep as char).map(str::to_string).collect::<Vec<_>>();
        match key {
            "#separator" => {
                let s = rest.trim();
                self.sep = if let Some(hex) = s.strip_prefix("\\x") {
                    u8::from_str_radix(hex, 16).map_err(|_| format!("bad #separator {s:?}"))?
                } else {
                    *s.as_bytes().first().ok_or("empty #separator")?
                };
            }
            "#path" => self.path = Some(rest.trim().to_string()),
            "#open" => {
                self.open = chrono::NaiveDateTime::parse_from_str(rest.trim(), "%Y-%m-%d-%H-%M-%S")
                    .ok()
                    .map(|t| t.and_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
            }
            "#unset_field" => self.unset = rest.trim().to_string(),
            "#empty_field" => self.empty = rest.trim().to_string(),
            "#fields" => self.fields = split(rest, self.sep),
            "#types" => self.types = split(rest, self.sep),
            _ => {}
        }
        Ok(())
    }

    pub fn has_fields(&self) -> bool {
        !self.fields.is_empty()
    }

    /// One data line as a JSON object with typed values.
    pub fn row(&self, line: &str) -> Result<Value, String> {
        let vals: Vec<&str> = line.split(self.sep as char).collect();
        if vals.len() != self.fields.len() {
            return Err(format!("{} values for {} fields", vals.len(), self.fields.len()));
        }
        let mut m = Map::new();
        if let Some(p) = &self.path {
            m.insert("_path".into(), Value::String(p.clone()));
        }
        for (i, (k, raw)) in self.fields.iter().zip(vals).enumerate() {
            if raw == self.unset {
                continue;
            }
            let ty = self.types.get(i).map(String::as_str).unwrap_or("string");
            let v = if raw == self.empty {
                if ty.starts_with("set") || ty.starts_with("vector") {
                    Value::Array(vec![])
                } else {
                    Value::String(String::new())
                }
            } else if ty.starts_with("set") || ty.starts_with("vector") {
                Value::Array(raw.split(',').map(|s| Value::String(s.to_string())).collect())
            } else {
                match ty {
                    "count" | "int" | "port" => {
                        raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.into()))
                    }
                    "double" | "interval" | "time" => raw
                        .parse::<f64>()
                        .ok()
                        .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                        .unwrap_or_else(|| Value::String(raw.into())),
                    "bool" => Value::Bool(raw == "T"),
                    _ => Value::String(raw.to_string()),
                }
            };
            m.insert(k.clone(), v);
        }
        if !m.contains_key("ts")
            && let Some(open) = &self.open
        {
            m.insert("_write_ts".into(), Value::String(open.clone()));
        }
        Ok(Value::Object(m))
    }
}

impl Default for Tsv {
    fn default() -> Self {
        Tsv::new()
    }
}
