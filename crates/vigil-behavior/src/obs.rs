//! What behavioral detections read of an event: a compact copy of the normalized fields they
//! may use, named as the lake's columns, so a batch can be kept and sorted by time cheaply.

use serde::{Deserialize, Serialize};
use vigil_model::Event;

/// Field names detections may use (the lake's column names).
pub const FIELDS: &[&str] = &[
    "class_name",
    "metadata_product",
    "metadata_event_code",
    "status_id",
    "actor_user_name",
    "actor_user_type",
    "actor_user_credential_uid",
    "user_name",
    "group_name",
    "src_ip",
    "src_asn",
    "src_country",
    "src_city",
    "dst_ip",
    "dst_port",
    "device_hostname",
    "api_operation",
    "api_request_data",
    "bytes_out",
    "bytes_in",
    "dns_query",
    "dns_answers",
    "file_name",
    "process_cmd_line",
];

/// One event as behavioral detections see it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Obs {
    pub id: String,
    /// Milliseconds since the epoch.
    pub time: i64,
    pub values: Vec<Option<String>>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl Obs {
    pub fn of(e: &Event) -> Obs {
        let src = e.src_endpoint.as_ref();
        let geo = src.and_then(|s| s.geo.as_ref());
        let mut values = Vec::with_capacity(FIELDS.len());
        for f in FIELDS {
            values.push(field(e, f));
        }
        Obs { id: e.id.to_string(), time: e.time, values, lat: geo.and_then(|g| g.lat), lon: geo.and_then(|g| g.lon) }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        let i = FIELDS.iter().position(|f| *f == name)?;
        self.values.get(i)?.as_deref()
    }

    /// Whether every condition holds (values compared case-insensitively; `*x`, `x*` match
    /// suffixes and prefixes).
    pub fn matches(&self, filter: &[(String, Vec<String>)]) -> bool {
        filter.iter().all(|(k, vals)| {
            let Some(v) = self.get(k) else { return false };
            let v = v.to_ascii_lowercase();
            vals.iter().any(|want| {
                if let Some(suffix) = want.strip_prefix('*') {
                    v.ends_with(suffix)
                } else if let Some(prefix) = want.strip_suffix('*') {
                    v.starts_with(prefix)
                } else {
                    v == *want
                }
            })
        })
    }
}

fn field(e: &Event, name: &str) -> Option<String> {
    let src = e.src_endpoint.as_ref();
    let actor = e.actor.user.as_ref();
    match name {
        "class_name" => Some(e.class.name().to_string()),
        "metadata_product" => Some(e.metadata.product.clone()),
        "metadata_event_code" => e.metadata.event_code.clone(),
        "status_id" => e.status.map(|s| (s as u8).to_string()),
        "actor_user_name" => actor.and_then(|u| u.name.clone()),
        "actor_user_type" => actor.and_then(|u| u.r#type.clone()),
        "actor_user_credential_uid" => actor.and_then(|u| u.credential_uid.clone()),
        "user_name" => e.user.as_ref().and_then(|u| u.name.clone()),
        "group_name" => e.group.as_ref().and_then(|g| g.name.clone()),
        "src_ip" => src.and_then(|s| s.ip.clone()),
        "src_asn" => src.and_then(|s| s.asn.clone()),
        "src_country" => src.and_then(|s| s.geo.as_ref()).and_then(|g| g.country.clone()),
        "src_city" => src.and_then(|s| s.geo.as_ref()).and_then(|g| g.city.clone()),
        "dst_ip" => e.dst_endpoint.as_ref().and_then(|d| d.ip.clone()),
        "dst_port" => e.dst_endpoint.as_ref().and_then(|d| d.port).map(|p| p.to_string()),
        "device_hostname" => e.device.as_ref().and_then(|d| d.hostname.clone()),
        "api_operation" => e.api.as_ref().and_then(|a| a.operation.clone()),
        "api_request_data" => e.api.as_ref().and_then(|a| a.request_data.clone()),
        "bytes_out" => e.traffic.as_ref().and_then(|t| t.bytes_out).map(|b| b.to_string()),
        "bytes_in" => e.traffic.as_ref().and_then(|t| t.bytes_in).map(|b| b.to_string()),
        "dns_query" => e.dns.as_ref().and_then(|d| d.query.clone()),
        "dns_answers" => e.dns.as_ref().and_then(|d| d.answers.clone()),
        "file_name" => e.file.as_ref().and_then(|f| f.name.clone()),
        "process_cmd_line" => e.process.as_ref().and_then(|p| p.cmd_line.clone()),
        _ => None,
    }
}
