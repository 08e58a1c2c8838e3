//! AWS Signature Version 4 (header-based), as the IAM Query API requires, and the pieces the
//! sandbox uses to check a signature the way AWS does.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::util::{Url, decode, encode};
use crate::{ConnectorError, HttpRequest};

pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Signing credentials. `Debug` shows the access key id only.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub session_token: Option<&'a str>,
}

impl std::fmt::Debug for Credentials<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("access_key_id", &self.access_key_id).finish_non_exhaustive()
    }
}

/// `20150830T123600Z`.
pub fn amz_date(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

pub use vigil_model::sha256_hex;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The path with each segment URI-encoded once (services other than S3 normalize it so).
pub fn canonical_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    path.split('/').map(|seg| encode(&decode(seg, false))).collect::<Vec<_>>().join("/")
}

/// Query parameters decoded, re-encoded and sorted by name, then value.
pub fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (encode(&decode(k, false)), encode(&decode(v, false)))
        })
        .collect();
    pairs.sort();
    pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

/// The canonical request and the signed-headers list, from the headers to sign (which must
/// include `host`).
pub fn canonical_request(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    payload_sha256: &str,
) -> (String, String) {
    let mut merged: Vec<(String, String)> = Vec::new();
    for (name, value) in headers {
        let name = name.trim().to_ascii_lowercase();
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        match merged.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                v.push(',');
                v.push_str(&value);
            }
            None => merged.push((name, value)),
        }
    }
    merged.sort();
    let canonical_headers: String = merged.iter().map(|(n, v)| format!("{n}:{v}\n")).collect();
    let signed = merged.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>().join(";");
    let request = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_uri(path),
        canonical_query(query),
        canonical_headers,
        signed,
        payload_sha256
    );
    (request, signed)
}

/// `yyyymmdd/region/service/aws4_request`.
pub fn scope(date: &str, region: &str, service: &str) -> String {
    format!("{date}/{region}/{service}/aws4_request")
}

pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// Signs `req` in place: sets `X-Amz-Date` (and `X-Amz-Security-Token` with a session
/// token), then `Authorization`. Every header the request carries is signed, with `host`
/// taken from the URL the way the HTTP client will send it.
pub fn sign(
    req: &mut HttpRequest,
    creds: &Credentials<'_>,
    region: &str,
    service: &str,
    at: DateTime<Utc>,
) -> Result<(), ConnectorError> {
    let url = Url::parse(&req.url)
        .ok_or_else(|| ConnectorError::Unsupported("AWS endpoint must be an absolute http(s) URL".into()))?;
    let stamp = amz_date(at);
    req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("authorization"));
    req.set_header("X-Amz-Date", &stamp);
    if let Some(token) = creds.session_token {
        req.set_header("X-Amz-Security-Token", token);
    }
    let mut headers = vec![("host".to_string(), url.host_header())];
    headers.extend(req.headers.iter().filter(|(k, _)| !k.eq_ignore_ascii_case("host")).cloned());
    let payload = sha256_hex(req.body.as_deref().unwrap_or_default().as_bytes());
    let (canonical, signed) = canonical_request(&req.method, &url.path, &url.query, &headers, &payload);
    let date = &stamp[..8];
    let scope = scope(date, region, service);
    let sts = string_to_sign(&stamp, &scope, &canonical);
    let sig = signature(&signing_key(creds.secret_access_key, date, region, service), &sts);
    req.headers.push((
        "Authorization".into(),
        format!("{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed}, Signature={sig}", creds.access_key_id),
    ));
    Ok(())
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub access_key_id: String,
    pub date: String,
    pub region: String,
    pub service: String,
    pub signed_headers: Vec<String>,
    pub signature: String,
}

pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let mut credential = None;
    let mut signed = None;
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => sig = Some(v),
            _ => return None,
        }
    }
    let mut cred = credential?.split('/');
    let (akid, date, region, service, terminal) =
        (cred.next()?, cred.next()?, cred.next()?, cred.next()?, cred.next()?);
    if terminal != "aws4_request" || cred.next().is_some() {
        return None;
    }
    Some(ParsedAuthorization {
        access_key_id: akid.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed?.split(';').map(str::to_string).collect(),
        signature: sig?.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Credentials and time of AWS's published Signature Version 4 test suite.
    const AKID: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    const EMPTY_SHA: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn at() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2015-08-30T12:36:00Z").expect("time").with_timezone(&Utc)
    }

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn get_vanilla_matches_the_published_suite() {
        let headers = h(&[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]);
        let (creq, signed) = canonical_request("GET", "/", "", &headers, EMPTY_SHA);
        assert_eq!(
            creq,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "host;x-amz-date");
        let scope = scope("20150830", "us-east-1", "service");
        let sts = string_to_sign("20150830T123600Z", &scope, &creq);
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        let sig = signature(&signing_key(SECRET, "20150830", "us-east-1", "service"), &sts);
        assert_eq!(sig, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

        // The same through `sign`.
        let mut req = HttpRequest::new("GET", "https://example.amazonaws.com/");
        let creds = Credentials { access_key_id: AKID, secret_access_key: SECRET, session_token: None };
        sign(&mut req, &creds, "us-east-1", "service", at()).expect("signs");
        assert_eq!(
            req.header("authorization"),
            Some(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
            )
        );
        assert_eq!(req.header("x-amz-date"), Some("20150830T123600Z"));
    }

    #[test]
    fn iam_list_users_example_from_the_docs() {
        // GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08, signed with
        // content-type, host and x-amz-date.
        let headers = h(&[
            ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
            ("Host", "iam.amazonaws.com"),
            ("X-Amz-Date", "20150830T123600Z"),
        ]);
        let (creq, _) = canonical_request("GET", "/", "Action=ListUsers&Version=2010-05-08", &headers, EMPTY_SHA);
        assert_eq!(
            creq,
            "GET\n/\nAction=ListUsers&Version=2010-05-08\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(sha256_hex(creq.as_bytes()), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
        let key = signing_key(SECRET, "20150830", "us-east-1", "iam");
        assert_eq!(hex::encode(key), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
        let sts = string_to_sign("20150830T123600Z", &scope("20150830", "us-east-1", "iam"), &creq);
        assert_eq!(
            sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        assert_eq!(signature(&key, &sts), "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
    }

    #[test]
    fn signed_form_body_and_query_order_match_the_suite() {
        // post-x-www-form-urlencoded.
        let mut req = HttpRequest::new("POST", "https://example.amazonaws.com/")
            .with_header("Content-Type", "application/x-www-form-urlencoded");
        req.body = Some("Param1=value1".into());
        let creds = Credentials { access_key_id: AKID, secret_access_key: SECRET, session_token: None };
        sign(&mut req, &creds, "us-east-1", "service", at()).expect("signs");
        assert!(req.header("authorization").is_some_and(|a| a.ends_with(
            "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"
        )));
        // get-vanilla-query-order-key-case.
        let mut req = HttpRequest::new("GET", "https://example.amazonaws.com/?Param2=value2&Param1=value1");
        sign(&mut req, &creds, "us-east-1", "service", at()).expect("signs");
        assert!(req.header("authorization").is_some_and(|a| {
            a.ends_with("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500")
        }));
    }

    #[test]
    fn authorization_header_parses_and_debug_hides_the_secret() {
        let p = parse_authorization("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=abc").expect("parses");
        assert_eq!(p.access_key_id, "AKIDEXAMPLE");
        assert_eq!(p.service, "iam");
        assert_eq!(p.signed_headers, ["content-type", "host", "x-amz-date"]);
        assert!(parse_authorization("Bearer x").is_none());
        assert!(parse_authorization("AWS4-HMAC-SHA256 Credential=A/B/C, Signature=x").is_none());
        let creds = Credentials { access_key_id: AKID, secret_access_key: SECRET, session_token: Some("tok") };
        let debug = format!("{creds:?}");
        assert!(!debug.contains(SECRET) && !debug.contains("tok"), "{debug}");
    }
}
