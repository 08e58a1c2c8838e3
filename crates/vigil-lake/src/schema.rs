//! The lake's flat Arrow schema and the conversion of events into record batches.

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, TimestampMillisecondBuilder, UInt32Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{ArrowError, DataType, Field, Schema, TimeUnit};
use vigil_model::Event;

/// Column accessors.
type S = fn(&Event) -> Option<&str>;
type I = fn(&Event) -> Option<i64>;
type F = fn(&Event) -> Option<f64>;
type B = fn(&Event) -> Option<bool>;

/// How to fill one column from an event.
pub enum Col {
    Str(S),
    Int(I),
    Float(F),
    Bool(B),
}

/// The normalized columns after the fixed leading ones (id, time, class …), each with its
/// accessor. Names follow OCSF attribute paths with `_` for `.`.
pub const COLUMNS: &[(&str, Col)] = &[
    ("status_detail", Col::Str(|e| e.status_detail.as_deref())),
    ("message", Col::Str(|e| e.message.as_deref())),
    ("actor_user_name", Col::Str(|e| e.actor.user.as_ref()?.name.as_deref())),
    ("actor_user_uid", Col::Str(|e| e.actor.user.as_ref()?.uid.as_deref())),
    ("actor_user_type", Col::Str(|e| e.actor.user.as_ref()?.r#type.as_deref())),
    ("actor_user_domain", Col::Str(|e| e.actor.user.as_ref()?.domain.as_deref())),
    ("actor_user_email", Col::Str(|e| e.actor.user.as_ref()?.email.as_deref())),
    ("actor_user_credential_uid", Col::Str(|e| e.actor.user.as_ref()?.credential_uid.as_deref())),
    ("actor_session_uid", Col::Str(|e| e.actor.session.as_ref()?.uid.as_deref())),
    ("actor_session_issuer", Col::Str(|e| e.actor.session.as_ref()?.issuer.as_deref())),
    ("actor_session_is_mfa", Col::Bool(|e| e.actor.session.as_ref()?.is_mfa)),
    ("actor_app_name", Col::Str(|e| e.actor.app_name.as_deref())),
    ("user_name", Col::Str(|e| e.user.as_ref()?.name.as_deref())),
    ("user_uid", Col::Str(|e| e.user.as_ref()?.uid.as_deref())),
    ("user_type", Col::Str(|e| e.user.as_ref()?.r#type.as_deref())),
    ("user_domain", Col::Str(|e| e.user.as_ref()?.domain.as_deref())),
    ("group_name", Col::Str(|e| e.group.as_ref()?.name.as_deref())),
    ("group_uid", Col::Str(|e| e.group.as_ref()?.uid.as_deref())),
    ("group_domain", Col::Str(|e| e.group.as_ref()?.domain.as_deref())),
    ("src_ip", Col::Str(|e| e.src_endpoint.as_ref()?.ip.as_deref())),
    ("src_port", Col::Int(|e| e.src_endpoint.as_ref()?.port.map(i64::from))),
    ("src_hostname", Col::Str(|e| e.src_endpoint.as_ref()?.hostname.as_deref())),
    ("src_asn", Col::Str(|e| e.src_endpoint.as_ref()?.asn.as_deref())),
    ("src_country", Col::Str(|e| e.src_endpoint.as_ref()?.geo.as_ref()?.country.as_deref())),
    ("src_region", Col::Str(|e| e.src_endpoint.as_ref()?.geo.as_ref()?.region.as_deref())),
    ("src_city", Col::Str(|e| e.src_endpoint.as_ref()?.geo.as_ref()?.city.as_deref())),
    ("src_lat", Col::Float(|e| e.src_endpoint.as_ref()?.geo.as_ref()?.lat)),
    ("src_lon", Col::Float(|e| e.src_endpoint.as_ref()?.geo.as_ref()?.lon)),
    ("dst_ip", Col::Str(|e| e.dst_endpoint.as_ref()?.ip.as_deref())),
    ("dst_port", Col::Int(|e| e.dst_endpoint.as_ref()?.port.map(i64::from))),
    ("dst_hostname", Col::Str(|e| e.dst_endpoint.as_ref()?.hostname.as_deref())),
    ("device_hostname", Col::Str(|e| e.device.as_ref()?.hostname.as_deref())),
    ("device_uid", Col::Str(|e| e.device.as_ref()?.uid.as_deref())),
    ("device_ip", Col::Str(|e| e.device.as_ref()?.ip.as_deref())),
    ("device_os", Col::Str(|e| e.device.as_ref()?.os.as_deref())),
    ("cloud_provider", Col::Str(|e| e.cloud.as_ref()?.provider.as_deref())),
    ("cloud_account_uid", Col::Str(|e| e.cloud.as_ref()?.account_uid.as_deref())),
    ("cloud_region", Col::Str(|e| e.cloud.as_ref()?.region.as_deref())),
    ("api_service", Col::Str(|e| e.api.as_ref()?.service.as_deref())),
    ("api_operation", Col::Str(|e| e.api.as_ref()?.operation.as_deref())),
    ("api_request_uid", Col::Str(|e| e.api.as_ref()?.request_uid.as_deref())),
    ("api_request_data", Col::Str(|e| e.api.as_ref()?.request_data.as_deref())),
    ("api_response_data", Col::Str(|e| e.api.as_ref()?.response_data.as_deref())),
    ("api_response_error", Col::Str(|e| e.api.as_ref()?.response_error.as_deref())),
    ("api_response_error_message", Col::Str(|e| e.api.as_ref()?.response_error_message.as_deref())),
    ("process_pid", Col::Int(|e| e.process.as_ref()?.pid)),
    ("process_uid", Col::Str(|e| e.process.as_ref()?.uid.as_deref())),
    ("process_name", Col::Str(|e| e.process.as_ref()?.name.as_deref())),
    ("process_path", Col::Str(|e| e.process.as_ref()?.path.as_deref())),
    ("process_cmd_line", Col::Str(|e| e.process.as_ref()?.cmd_line.as_deref())),
    ("process_user", Col::Str(|e| e.process.as_ref()?.user.as_deref())),
    ("process_integrity", Col::Str(|e| e.process.as_ref()?.integrity.as_deref())),
    ("process_hashes", Col::Str(|e| e.process.as_ref()?.hashes.as_deref())),
    ("process_parent_pid", Col::Int(|e| e.process.as_ref()?.parent_pid)),
    ("process_parent_path", Col::Str(|e| e.process.as_ref()?.parent_path.as_deref())),
    ("process_parent_cmd_line", Col::Str(|e| e.process.as_ref()?.parent_cmd_line.as_deref())),
    ("process_target_path", Col::Str(|e| e.process.as_ref()?.target_path.as_deref())),
    ("file_path", Col::Str(|e| e.file.as_ref()?.path.as_deref())),
    ("file_name", Col::Str(|e| e.file.as_ref()?.name.as_deref())),
    ("file_new_path", Col::Str(|e| e.file.as_ref()?.new_path.as_deref())),
    ("file_hashes", Col::Str(|e| e.file.as_ref()?.hashes.as_deref())),
    ("file_size", Col::Int(|e| e.file.as_ref()?.size)),
    ("registry_key", Col::Str(|e| e.file.as_ref()?.registry_key.as_deref())),
    ("registry_value", Col::Str(|e| e.file.as_ref()?.registry_value.as_deref())),
    ("auth_logon_type", Col::Str(|e| e.auth.as_ref()?.logon_type.as_deref())),
    ("auth_protocol", Col::Str(|e| e.auth.as_ref()?.protocol.as_deref())),
    ("auth_is_mfa", Col::Bool(|e| e.auth.as_ref()?.is_mfa)),
    ("auth_mfa_factor", Col::Str(|e| e.auth.as_ref()?.mfa_factor.as_deref())),
    ("auth_is_remote", Col::Bool(|e| e.auth.as_ref()?.is_remote)),
    ("dns_query", Col::Str(|e| e.dns.as_ref()?.query.as_deref())),
    ("dns_qtype", Col::Str(|e| e.dns.as_ref()?.qtype.as_deref())),
    ("dns_rcode", Col::Str(|e| e.dns.as_ref()?.rcode.as_deref())),
    ("dns_answers", Col::Str(|e| e.dns.as_ref()?.answers.as_deref())),
    ("net_protocol", Col::Str(|e| e.traffic.as_ref()?.protocol.as_deref())),
    ("bytes_in", Col::Int(|e| e.traffic.as_ref()?.bytes_in)),
    ("bytes_out", Col::Int(|e| e.traffic.as_ref()?.bytes_out)),
    ("duration_ms", Col::Int(|e| e.traffic.as_ref()?.duration_ms)),
    ("net_state", Col::Str(|e| e.traffic.as_ref()?.state.as_deref())),
    ("http_method", Col::Str(|e| e.http.as_ref()?.method.as_deref())),
    ("http_url", Col::Str(|e| e.http.as_ref()?.url.as_deref())),
    ("http_status", Col::Int(|e| e.http.as_ref()?.status)),
    ("http_user_agent", Col::Str(|e| e.http.as_ref()?.user_agent.as_deref())),
    ("metadata_product", Col::Str(|e| Some(e.metadata.product.as_str()))),
    ("metadata_vendor", Col::Str(|e| Some(e.metadata.vendor.as_str()))),
    ("metadata_format", Col::Str(|e| Some(e.metadata.format.as_str()))),
    ("metadata_original_uid", Col::Str(|e| e.metadata.original_uid.as_deref())),
    ("metadata_log_name", Col::Str(|e| e.metadata.log_name.as_deref())),
    ("metadata_event_code", Col::Str(|e| e.metadata.event_code.as_deref())),
    ("metadata_source", Col::Str(|e| Some(e.metadata.source.as_str()))),
    ("metadata_locator", Col::Str(|e| Some(e.metadata.locator.as_str()))),
    ("raw", Col::Str(|e| Some(e.raw.as_str()))),
];

/// Columns before [`COLUMNS`]: id, time, class and the OCSF classification.
fn leading() -> Vec<Field> {
    vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
        Field::new("event_day", DataType::Utf8, false),
        Field::new("class_uid", DataType::UInt32, false),
        Field::new("class_name", DataType::Utf8, false),
        Field::new("category_uid", DataType::UInt32, false),
        Field::new("activity_id", DataType::UInt32, false),
        Field::new("type_uid", DataType::Int64, false),
        Field::new("severity_id", DataType::UInt32, false),
        Field::new("status_id", DataType::UInt32, true),
    ]
}

/// The lake's schema.
pub fn schema() -> Schema {
    let mut fields = leading();
    for (name, col) in COLUMNS {
        let dt = match col {
            Col::Str(_) => DataType::Utf8,
            Col::Int(_) => DataType::Int64,
            Col::Float(_) => DataType::Float64,
            Col::Bool(_) => DataType::Boolean,
        };
        fields.push(Field::new(*name, dt, *name != "raw"));
    }
    Schema::new(fields)
}

pub(crate) fn to_batch(events: &[Box<Event>]) -> Result<RecordBatch, ArrowError> {
    let n = events.len();
    let mut id = StringBuilder::with_capacity(n, n * 32);
    let mut time = TimestampMillisecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut day = StringBuilder::with_capacity(n, n * 10);
    let mut class_uid = UInt32Builder::with_capacity(n);
    let mut class_name = StringBuilder::with_capacity(n, n * 16);
    let mut category = UInt32Builder::with_capacity(n);
    let mut activity = UInt32Builder::with_capacity(n);
    let mut type_uid = Int64Builder::with_capacity(n);
    let mut severity = UInt32Builder::with_capacity(n);
    let mut status = UInt32Builder::with_capacity(n);
    for e in events {
        id.append_value(e.id.as_str());
        time.append_value(e.time);
        day.append_value(e.day());
        class_uid.append_value(e.class_uid());
        class_name.append_value(e.class.name());
        category.append_value(e.category_uid());
        activity.append_value(e.activity_id);
        type_uid.append_value(e.type_uid() as i64);
        severity.append_value(u32::from(e.severity.id()));
        status.append_option(e.status.map(|s| s as u32));
    }
    let mut arrays: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(time.finish()),
        Arc::new(day.finish()),
        Arc::new(class_uid.finish()),
        Arc::new(class_name.finish()),
        Arc::new(category.finish()),
        Arc::new(activity.finish()),
        Arc::new(type_uid.finish()),
        Arc::new(severity.finish()),
        Arc::new(status.finish()),
    ];
    for (_, col) in COLUMNS {
        let a: ArrayRef = match col {
            Col::Str(f) => {
                let mut b = StringBuilder::with_capacity(n, 0);
                for e in events {
                    b.append_option(f(e));
                }
                Arc::new(b.finish())
            }
            Col::Int(f) => {
                let mut b = Int64Builder::with_capacity(n);
                for e in events {
                    b.append_option(f(e));
                }
                Arc::new(b.finish())
            }
            Col::Float(f) => {
                let mut b = Float64Builder::with_capacity(n);
                for e in events {
                    b.append_option(f(e));
                }
                Arc::new(b.finish())
            }
            Col::Bool(f) => {
                let mut b = BooleanBuilder::with_capacity(n);
                for e in events {
                    b.append_option(f(e));
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(a);
    }
    RecordBatch::try_new(Arc::new(schema()), arrays)
}
