//! The CloudTrail-in-S3 poller against the local vendor sandbox (an S3 stand-in that checks
//! Signature Version 4 for `s3` as AWS does): one log file per page in key order, gzip or not,
//! from the backfill day of a trail's prefix; S3's `SlowDown` retried; a wrong secret key and an
//! unknown bucket in S3's words.

use std::io::Write;
use std::time::Duration;

use serde_json::{Value, json};
use vigil_collect::{CollectError, Connection, Kind, Page, RetryPolicy, next_page};
use vigil_connectors::HttpTransport;
use vigil_connectors::sandbox::Sandbox;

const PREFIX: &str = "AWSLogs/123456789012/CloudTrail/us-east-1/";

fn file(n: usize, day: &str) -> Value {
    let records: Vec<Value> = (0..n)
        .map(|i| {
            json!({"eventVersion": "1.08", "eventTime": format!("{day}T10:00:{i:02}Z"), "eventSource": "s3.amazonaws.com",
                   "eventName": "GetObject", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.5",
                   "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIAEXAMPLE"},
                   "eventID": format!("{day}-{i}")})
        })
        .collect();
    json!({ "Records": records })
}

fn gz(v: &Value) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(v.to_string().as_bytes()).unwrap();
    e.finish().unwrap()
}

fn setup() -> (Sandbox, Connection, vigil_connectors::Secrets) {
    let sb = Sandbox::start().unwrap();
    let base = format!("{}/s3", sb.base_url());
    let mut c = Connection::new("trail", Kind::CloudTrailS3, &base, "aws", Some("acme-trail")).unwrap();
    c.prefix = Some(PREFIX.into());
    c.validate().unwrap();
    let s = sb.secrets();
    (sb, c, s)
}

fn fast() -> RetryPolicy {
    RetryPolicy { max_attempts: 4, backoff: Duration::from_millis(20), max_wait: Duration::from_secs(5) }
}

fn page(c: &Connection, s: &vigil_connectors::Secrets, cursor: Option<&str>, now: i64) -> Result<Page, CollectError> {
    next_page(c, s, &HttpTransport::default(), &fast(), cursor, now)
}

#[test]
fn one_file_per_page_in_key_order_from_the_backfill_day() {
    let (sb, c, s) = setup();
    let now = chrono::DateTime::parse_from_rfc3339("2024-05-29T12:00:00Z").unwrap().timestamp_millis();
    let key = |day: &str, n: u32| {
        format!(
            "{PREFIX}{}/123456789012_CloudTrail_us-east-1_{}T1000Z_{n}.json.gz",
            day.replace('-', "/"),
            day.replace('-', "")
        )
    };
    // Before the 7-day window: never read.
    sb.put_s3_object("acme-trail", &key("2024-05-01", 1), gz(&file(2, "2024-05-01")));
    sb.put_s3_object("acme-trail", &key("2024-05-23", 1), gz(&file(3, "2024-05-23")));
    sb.put_s3_object("acme-trail", &key("2024-05-23", 2), file(1, "2024-05-23").to_string().into_bytes());
    sb.put_s3_object("acme-trail", &key("2024-05-28", 1), gz(&file(4, "2024-05-28")));
    // Another prefix in the bucket (digests) is not the trail.
    sb.put_s3_object(
        "acme-trail",
        "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2024/05/28/d.json.gz",
        gz(&json!({})),
    );
    let mut cursor: Option<String> = None;
    let mut got = Vec::new();
    loop {
        let p = page(&c, &s, cursor.as_deref(), now).unwrap();
        if p.records > 0 {
            let doc: Value = serde_json::from_str(&p.lines).unwrap();
            got.push((p.cursor.clone(), doc["Records"].as_array().unwrap().len(), p.more));
        }
        let done = !p.more;
        cursor = Some(p.cursor);
        if done {
            break;
        }
    }
    assert_eq!(
        got,
        vec![(key("2024-05-23", 1), 3, true), (key("2024-05-23", 2), 1, true), (key("2024-05-28", 1), 4, false)]
    );
    // Caught up: the cursor stays; a new file is read next.
    let p = page(&c, &s, cursor.as_deref(), now).unwrap();
    assert_eq!((p.records, p.cursor.as_str(), p.more), (0, cursor.as_deref().unwrap(), false));
    sb.put_s3_object("acme-trail", &key("2024-05-29", 1), gz(&file(2, "2024-05-29")));
    sb.fail_next("/s3/acme-trail", 503, None);
    let p = page(&c, &s, cursor.as_deref(), now).unwrap();
    assert_eq!((p.records, p.attempts), (2, 3), "SlowDown retried");
    assert_eq!(
        p.newest_ms,
        Some(chrono::DateTime::parse_from_rfc3339("2024-05-29T10:00:01Z").unwrap().timestamp_millis())
    );
    let reqs = sb.requests();
    assert!(reqs.iter().all(|r| r.header("authorization").is_some_and(|a| a.contains("/us-east-1/s3/aws4_request"))));
}

#[test]
fn a_wrong_secret_key_and_an_unknown_bucket_in_s3s_words() {
    let (sb, c, s) = setup();
    sb.put_s3_object("acme-trail", &format!("{PREFIX}2024/05/28/x.json.gz"), gz(&file(1, "2024-05-28")));
    let mut wrong = s.clone();
    wrong.insert("aws_secret_access_key", "not-the-key");
    let e = page(&c, &wrong, None, 0).unwrap_err().to_string();
    assert!(e.contains("HTTP 403") && e.contains("SignatureDoesNotMatch") && e.contains("s3:GetObject"), "{e}");
    assert!(!e.contains("not-the-key"));
    let mut other = c.clone();
    other.org = Some("nope-bucket".into());
    let e = page(&other, &s, None, 0).unwrap_err().to_string();
    assert!(e.contains("HTTP 404") && e.contains("NoSuchBucket"), "{e}");
    let mut missing = vigil_connectors::Secrets::new();
    missing.insert("aws_access_key_id", "AKIA");
    let e = page(&c, &missing, None, 0).unwrap_err().to_string();
    assert!(e.contains("aws_secret_access_key"), "{e}");
}
