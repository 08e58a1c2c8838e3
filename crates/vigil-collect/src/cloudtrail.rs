//! The CloudTrail-in-S3 poller: the log files CloudTrail delivers to a bucket, read with
//! ListObjectsV2 and GetObject, signed with Signature Version 4 for `s3` (path-style requests:
//! `{base}/{bucket}?list-type=2…`, `{base}/{bucket}/{key}`).
//!
//! CloudTrail writes each file once, under keys that sort by time within a trail's prefix
//! (`AWSLogs/{account}/CloudTrail/{region}/{yyyy}/{mm}/{dd}/…`), so the cursor is the last key
//! read: each request lists the one key after it (`start-after`) and reads that object, one
//! page per file (gzip-compressed JSON, `{"Records": [...]}`), decompressed here with a limit.
//! The first poll starts at the backfill window's day when the prefix is a trail's region
//! prefix, else at the prefix's first key.
//!
//! Errors: S3's `<Error><Code>` and `<Message>` are named; 403 says what the credential needs;
//! `SlowDown` (503) and 429 wait with back-off, as server errors do.

use std::io::Read;
use std::time::Duration;

use serde_json::Value;
use vigil_connectors::sigv4::Credentials;
use vigil_connectors::{HttpRequest, HttpResponse, Transport};

use crate::{CollectError, Connection, Page, RetryPolicy};

const VENDOR: &str = "S3";
/// The largest log file read, decompressed (CloudTrail's are a few megabytes).
pub const MAX_OBJECT_BYTES: u64 = 256 << 20;
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn s3_error(resp: &HttpResponse) -> String {
    let text = String::from_utf8_lossy(&resp.body);
    let tag = |t: &str| {
        let open = format!("<{t}>");
        let close = format!("</{t}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&close)? + start;
        Some(text[start..end].chars().take(200).collect::<String>())
    };
    match (tag("Code"), tag("Message")) {
        (Some(c), Some(m)) => format!(", {c}: {m}"),
        (Some(c), None) => format!(", {c}"),
        _ => String::new(),
    }
}

/// A request signed for `s3` in the connection's region.
fn signed(conn: &Connection, creds: &Credentials<'_>, url: String) -> Result<HttpRequest, CollectError> {
    let mut req = HttpRequest::new("GET", url).with_header("x-amz-content-sha256", EMPTY_SHA256);
    let region = conn.region.as_deref().unwrap_or("us-east-1");
    vigil_connectors::sigv4::sign(&mut req, creds, region, "s3", chrono::Utc::now())
        .map_err(|e| CollectError::Config(format!("signing for S3: {e}")))?;
    Ok(req)
}

fn refused(resp: &HttpResponse) -> CollectError {
    match resp.status {
        403 => CollectError::Auth {
            vendor: VENDOR,
            status: 403,
            detail: s3_error(resp),
            hint: "the credential needs s3:ListBucket on the bucket and prefix and s3:GetObject on its objects (and kms:Decrypt for a KMS-encrypted trail); a clock more than 15 minutes off is refused too",
        },
        s => CollectError::Vendor { vendor: VENDOR, status: s, detail: s3_error(resp) },
    }
}

/// Where the first poll starts: the day of the backfill window within a trail's region prefix
/// (`…/CloudTrail/us-east-1/2024/05/01/`), else the prefix's first key.
fn first_start_after(conn: &Connection, now_ms: i64) -> String {
    let prefix = conn.prefix.clone().unwrap_or_default();
    let parts: Vec<&str> = prefix.trim_end_matches('/').split('/').collect();
    let is_region_prefix = parts.len() >= 4 && parts[parts.len() - 2] == "CloudTrail";
    if !is_region_prefix {
        return String::new();
    }
    let since = chrono::DateTime::from_timestamp_millis(now_ms - i64::from(conn.backfill_days) * 86_400_000)
        .unwrap_or_default();
    format!("{}/{}", prefix.trim_end_matches('/'), since.format("%Y/%m/%d/"))
}

/// Reads a little XML: the text of every `<tag>` in order.
fn all_tags(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(unescape(&after[..j]));
        rest = &after[j + close.len()..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

pub(crate) fn next_page(
    conn: &Connection,
    creds: &Credentials<'_>,
    transport: &dyn Transport,
    policy: &RetryPolicy,
    cursor: Option<&str>,
    now_ms: i64,
) -> Result<Page, CollectError> {
    let bucket = conn.org.as_deref().unwrap_or_default();
    let prefix = conn.prefix.clone().unwrap_or_default();
    let after = match cursor {
        Some(c) => c.to_string(),
        None => first_start_after(conn, now_ms),
    };
    let enc = vigil_connectors::util::encode;
    let mut list_url = format!("{}/{bucket}?list-type=2&max-keys=2", conn.base_url);
    if !prefix.is_empty() {
        list_url.push_str(&format!("&prefix={}", enc(&prefix)));
    }
    if !after.is_empty() {
        list_url.push_str(&format!("&start-after={}", enc(&after)));
    }
    let limited = |r: &HttpResponse| r.status == 503 && s3_error(r).contains("SlowDown");
    let no_reset = |_: &HttpResponse| None::<Duration>;
    let req = signed(conn, creds, list_url)?;
    let (resp, mut attempts, mut waited) = crate::exchange(VENDOR, transport, policy, &req, &no_reset, &limited)?;
    if resp.status != 200 {
        return Err(refused(&resp));
    }
    let xml = String::from_utf8_lossy(&resp.body).into_owned();
    if !xml.contains("<ListBucketResult") {
        return Err(CollectError::BadResponse { vendor: VENDOR, why: "the listing is not a ListBucketResult".into() });
    }
    let keys = all_tags(&xml, "Key");
    let Some(key) = keys.first().cloned() else {
        // Nothing after the cursor: caught up; the cursor stays.
        return Ok(Page {
            lines: String::new(),
            records: 0,
            cursor: after,
            newest_ms: None,
            more: false,
            attempts,
            waited,
        });
    };
    if key.as_str() <= after.as_str() || !key.starts_with(&prefix) {
        return Err(CollectError::BadResponse {
            vendor: VENDOR,
            why: format!("the listing went backwards or left the prefix ({key:?})"),
        });
    }
    let more = keys.len() > 1 || xml.contains("<IsTruncated>true</IsTruncated>");
    let path: String = key.split('/').map(enc).collect::<Vec<_>>().join("/");
    let req = signed(conn, creds, format!("{}/{bucket}/{path}", conn.base_url))?;
    let (obj, a, w) = crate::exchange(VENDOR, transport, policy, &req, &no_reset, &limited)?;
    attempts += a;
    waited += w;
    if obj.status != 200 {
        return Err(refused(&obj));
    }
    let text = if obj.body.starts_with(&[0x1f, 0x8b]) {
        let mut out = String::new();
        flate2::read::MultiGzDecoder::new(&obj.body[..]).take(MAX_OBJECT_BYTES + 1).read_to_string(&mut out).map_err(
            |e| CollectError::BadResponse { vendor: VENDOR, why: format!("{key}: not readable gzip text ({e})") },
        )?;
        if out.len() as u64 > MAX_OBJECT_BYTES {
            return Err(CollectError::BadResponse {
                vendor: VENDOR,
                why: format!("{key}: larger than {MAX_OBJECT_BYTES} bytes decompressed"),
            });
        }
        out
    } else {
        String::from_utf8(obj.body).map_err(|_| CollectError::BadResponse {
            vendor: VENDOR,
            why: format!("{key}: neither gzip nor UTF-8 text"),
        })?
    };
    // The file goes on whole (the CloudTrail decoder reads its envelope and quarantines what it
    // cannot read); the count and the newest time are read here for the source's health.
    let doc: Option<Value> = serde_json::from_str(&text).ok();
    let records = doc.as_ref().and_then(|d| d.get("Records")).and_then(Value::as_array);
    let newest_ms = records.and_then(|rs| {
        rs.iter()
            .filter_map(|r| r.get("eventTime").and_then(Value::as_str))
            .filter_map(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.timestamp_millis())
            .max()
    });
    let n = records.map_or(1, Vec::len);
    let mut lines = text;
    if !lines.ends_with('\n') {
        lines.push('\n');
    }
    Ok(Page { lines, records: n, cursor: key, newest_ms, more, attempts, waited })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_poll_starts_at_the_backfill_day_of_a_trails_region_prefix() {
        let mut c = Connection::new(
            "ct",
            crate::Kind::CloudTrailS3,
            "https://s3.us-east-1.amazonaws.com",
            "aws",
            Some("acme-trail"),
        )
        .unwrap();
        c.prefix = Some("AWSLogs/123456789012/CloudTrail/us-east-1/".into());
        assert_eq!(first_start_after(&c, 1_717_000_000_000), "AWSLogs/123456789012/CloudTrail/us-east-1/2024/05/22/");
        c.prefix = Some("AWSLogs/".into());
        assert_eq!(first_start_after(&c, 1_717_000_000_000), "");
        c.prefix = Some("../x".into());
        assert!(c.validate().is_err());
        c.prefix = None;
        c.org = Some("Bad_Bucket".into());
        assert!(c.validate().unwrap_err().to_string().contains("bucket"));
    }

    #[test]
    fn s3_xml_is_read_as_s3_writes_it() {
        let xml = "<ListBucketResult><Contents><Key>a/b&amp;c.json.gz</Key></Contents><Contents><Key>a/d</Key></Contents></ListBucketResult>";
        assert_eq!(all_tags(xml, "Key"), vec!["a/b&c.json.gz", "a/d"]);
        let r = HttpResponse {
            status: 403,
            headers: Vec::new(),
            body: b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".to_vec(),
        };
        assert_eq!(s3_error(&r), ", AccessDenied: Access Denied");
        assert!(refused(&r).to_string().contains("s3:GetObject"));
    }
}

#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever a listing or an error body holds, reading it never panics and every key
        /// read was between its tags.
        #[test]
        fn s3_bodies_never_panic(body in ".{0,400}", extra in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut bytes = body.clone().into_bytes();
            bytes.extend(extra);
            let r = HttpResponse { status: 403, headers: Vec::new(), body: bytes };
            let _ = s3_error(&r);
            let text = String::from_utf8_lossy(&r.body).into_owned();
            for k in all_tags(&text, "Key") {
                prop_assert!(!k.contains("</Key>"));
            }
        }
    }
}
