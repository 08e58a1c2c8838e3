//! AWS IAM Query API: Signature Version 4 checked as AWS checks it, then ListAccessKeys,
//! UpdateAccessKey, ListAttachedUserPolicies, AttachUserPolicy and DetachUserPolicy; and S3
//! (path style, under `/s3`): ListObjectsV2 and GetObject, signed for `s3`, for the CloudTrail
//! poller.

use chrono::{NaiveDateTime, Utc};

use super::{Api, Inner, RecordedRequest, Resp, api_error, page_offset, page_token, uuid};
use crate::sigv4::{canonical_request, parse_authorization, scope, sha256_hex, signature, signing_key, string_to_sign};
use crate::util::{form_get, xml_escape};

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

fn err(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::Aws, status, code, message)
}

/// Checks the request's signature for IAM; `Err` is AWS's answer.
fn authenticate(sb: &Inner, req: &RecordedRequest) -> Result<(), Resp> {
    authenticate_for(sb, req, "iam", &err)
}

/// Checks the request's signature for `service`; `Err` is the service's answer (`fail`).
fn authenticate_for(
    sb: &Inner,
    req: &RecordedRequest,
    service: &str,
    err: &dyn Fn(u16, &str, &str) -> Resp,
) -> Result<(), Resp> {
    let Some(auth) = req.header("authorization") else {
        return Err(err(403, "MissingAuthenticationToken", "Request is missing Authentication Token"));
    };
    let Some(p) = parse_authorization(auth) else {
        return Err(err(
            400,
            "IncompleteSignature",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        ));
    };
    let creds = &sb.creds;
    if p.access_key_id != creds.aws_access_key_id {
        return Err(err(403, "InvalidClientTokenId", "The security token included in the request is invalid."));
    }
    if req.header("x-amz-security-token") != Some(creds.aws_session_token.as_str()) {
        return Err(err(403, "InvalidClientTokenId", "The security token included in the request is invalid."));
    }
    let Some(stamp) = req.header("x-amz-date") else {
        return Err(err(
            400,
            "IncompleteSignature",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let Ok(at) = NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ") else {
        return Err(err(400, "IncompleteSignature", "Date must be in ISO-8601 'basic format'."));
    };
    let skew = (Utc::now().naive_utc() - at).num_seconds().abs();
    if skew > 15 * 60 {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            &format!("Signature expired: {stamp} is now earlier or later than the allowed 15 minutes."),
        ));
    }
    if p.date != stamp[..8] {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.",
        ));
    }
    if p.region != "us-east-1" {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            &format!("Credential should be scoped to a valid region, not '{}'.", p.region),
        ));
    }
    if p.service != service {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            &format!("Credential should be scoped to correct service: '{service}'. not '{}'", p.service),
        ));
    }
    if service == "s3" && req.header("x-amz-content-sha256").is_none() {
        return Err(err(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"));
    }
    for must in ["host", "x-amz-date", "x-amz-security-token"] {
        if !p.signed_headers.iter().any(|h| h == must) {
            return Err(err(
                403,
                "SignatureDoesNotMatch",
                &format!("'{must}' must be a 'SignedHeader' in the AWS Authorization."),
            ));
        }
    }
    let mut headers = Vec::new();
    for name in &p.signed_headers {
        let values: Vec<&str> =
            req.headers.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str()).collect();
        if values.is_empty() {
            return Err(err(
                403,
                "SignatureDoesNotMatch",
                &format!("Signed header '{name}' is missing from the request."),
            ));
        }
        for v in values {
            headers.push((name.clone(), v.to_string()));
        }
    }
    let (canonical, _) =
        canonical_request(&req.method, &req.path, &req.query, &headers, &sha256_hex(req.body.as_bytes()));
    let sts = string_to_sign(stamp, &scope(&p.date, &p.region, &p.service), &canonical);
    let expected = signature(&signing_key(&creds.aws_secret_access_key, &p.date, &p.region, &p.service), &sts);
    if expected != p.signature {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
        ));
    }
    Ok(())
}

/// `/aws/`: the IAM endpoint.
pub(super) fn iam(sb: &Inner, req: &RecordedRequest) -> Resp {
    if req.path.trim_end_matches('/') != "/aws" {
        return Resp::text(404, "Not Found");
    }
    let params = match req.method.as_str() {
        "POST" if req.content_type_is("application/x-www-form-urlencoded") => req.form(),
        "POST" => return err(400, "MissingAction", "Missing Action"),
        "GET" => req.query_pairs(),
        _ => return err(405, "InvalidAction", "The HTTP method is not supported."),
    };
    if let Err(resp) = authenticate(sb, req) {
        return resp;
    }
    let Some(action) = form_get(&params, "Action") else { return err(400, "MissingAction", "Missing Action") };
    if form_get(&params, "Version") != Some("2010-05-08") {
        return err(
            400,
            "InvalidAction",
            &format!(
                "Could not find operation {action} for version {}",
                form_get(&params, "Version").unwrap_or("NO_VERSION_SPECIFIED")
            ),
        );
    }
    match action {
        "ListAccessKeys" => list_access_keys(sb, &params),
        "UpdateAccessKey" => update_access_key(sb, &params),
        "ListAttachedUserPolicies" => list_attached_user_policies(sb, &params),
        "AttachUserPolicy" => change_user_policy(sb, &params, true),
        "DetachUserPolicy" => change_user_policy(sb, &params, false),
        other => err(400, "InvalidAction", &format!("Could not find operation {other} for version 2010-05-08")),
    }
}

fn list_access_keys(sb: &Inner, params: &[(String, String)]) -> Resp {
    let Some(user) = form_get(params, "UserName") else {
        return err(
            400,
            "ValidationError",
            "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null",
        );
    };
    let max_items = match form_get(params, "MaxItems").map(str::parse::<usize>) {
        None => 100,
        Some(Ok(n)) if (1..=1000).contains(&n) => n,
        Some(_) => {
            return err(
                400,
                "ValidationError",
                "1 validation error detected: Value at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000",
            );
        }
    };
    let start = match form_get(params, "Marker") {
        Some(m) => match page_offset(m) {
            Some(o) => o,
            None => return err(400, "ValidationError", "Invalid Marker."),
        },
        None => 0,
    };
    let st = sb.state();
    let keys: Vec<_> = st.keys.iter().filter(|k| k.user == user).collect();
    if keys.is_empty() {
        return err(404, "NoSuchEntity", &format!("The user with name {user} cannot be found."));
    }
    let take = max_items.min(sb.page_size());
    let page: String = keys
        .iter()
        .skip(start)
        .take(take)
        .map(|k| {
            format!(
                "      <member>\n        <UserName>{}</UserName>\n        <AccessKeyId>{}</AccessKeyId>\n        <Status>{}</Status>\n        <CreateDate>{}</CreateDate>\n      </member>\n",
                xml_escape(&k.user),
                xml_escape(&k.id),
                k.status,
                k.created
            )
        })
        .collect();
    let truncated = start + take < keys.len();
    let marker = if truncated { format!("    <Marker>{}</Marker>\n", page_token(start + take)) } else { String::new() };
    Resp::xml(
        200,
        format!(
            "<ListAccessKeysResponse xmlns=\"{NS}\">\n  <ListAccessKeysResult>\n    <UserName>{}</UserName>\n    <AccessKeyMetadata>\n{page}    </AccessKeyMetadata>\n    <IsTruncated>{truncated}</IsTruncated>\n{marker}  </ListAccessKeysResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</ListAccessKeysResponse>\n",
            xml_escape(user),
            uuid()
        ),
    )
}

fn update_access_key(sb: &Inner, params: &[(String, String)]) -> Resp {
    let Some(key_id) = form_get(params, "AccessKeyId") else {
        return err(
            400,
            "ValidationError",
            "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null",
        );
    };
    let status = form_get(params, "Status").unwrap_or_default();
    if status != "Active" && status != "Inactive" {
        return err(
            400,
            "ValidationError",
            &format!(
                "1 validation error detected: Value '{status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive, Expired]"
            ),
        );
    }
    let user = form_get(params, "UserName");
    let mut st = sb.state();
    let Some(key) = st.keys.iter_mut().find(|k| k.id == key_id && user.is_none_or(|u| u == k.user)) else {
        return err(404, "NoSuchEntity", &format!("The Access Key with id {key_id} cannot be found."));
    };
    key.status = status.to_string();
    Resp::xml(
        200,
        format!(
            "<UpdateAccessKeyResponse xmlns=\"{NS}\">\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</UpdateAccessKeyResponse>\n",
            uuid()
        ),
    )
}

fn null_error(field: &str) -> Resp {
    err(
        400,
        "ValidationError",
        &format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

fn no_user(user: &str) -> Resp {
    err(404, "NoSuchEntity", &format!("The user with name {user} cannot be found."))
}

fn list_attached_user_policies(sb: &Inner, params: &[(String, String)]) -> Resp {
    let Some(user) = form_get(params, "UserName") else { return null_error("userName") };
    let start = match form_get(params, "Marker") {
        Some(m) => match page_offset(m) {
            Some(o) => o,
            None => return err(400, "ValidationError", "Invalid Marker."),
        },
        None => 0,
    };
    let st = sb.state();
    let Some(policies) = st.iam_policies.get(user) else { return no_user(user) };
    let take = sb.page_size();
    let page: String = policies
        .iter()
        .skip(start)
        .take(take)
        .map(|arn| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            format!(
                "      <member>\n        <PolicyName>{}</PolicyName>\n        <PolicyArn>{}</PolicyArn>\n      </member>\n",
                xml_escape(name),
                xml_escape(arn)
            )
        })
        .collect();
    let truncated = start + take < policies.len();
    let marker = if truncated { format!("    <Marker>{}</Marker>\n", page_token(start + take)) } else { String::new() };
    Resp::xml(
        200,
        format!(
            "<ListAttachedUserPoliciesResponse xmlns=\"{NS}\">\n  <ListAttachedUserPoliciesResult>\n    <AttachedPolicies>\n{page}    </AttachedPolicies>\n    <IsTruncated>{truncated}</IsTruncated>\n{marker}  </ListAttachedUserPoliciesResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</ListAttachedUserPoliciesResponse>\n",
            uuid()
        ),
    )
}

/// AttachUserPolicy (`attach`) or DetachUserPolicy; detaching a policy that is not attached is
/// IAM's NoSuchEntity, attaching one twice changes nothing.
fn change_user_policy(sb: &Inner, params: &[(String, String)], attach: bool) -> Resp {
    let Some(user) = form_get(params, "UserName") else { return null_error("userName") };
    let Some(arn) = form_get(params, "PolicyArn") else { return null_error("policyArn") };
    if !arn.starts_with("arn:aws:iam::") || !arn.contains(":policy/") {
        return err(400, "InvalidInput", &format!("ARN {arn} is not valid."));
    }
    let mut st = sb.state();
    let Some(policies) = st.iam_policies.get_mut(user) else { return no_user(user) };
    let name = if attach {
        if !policies.iter().any(|p| p == arn) {
            policies.push(arn.to_string());
        }
        "AttachUserPolicy"
    } else {
        let Some(i) = policies.iter().position(|p| p == arn) else {
            return err(404, "NoSuchEntity", &format!("Policy {arn} was not found."));
        };
        policies.remove(i);
        "DetachUserPolicy"
    };
    Resp::xml(
        200,
        format!(
            "<{name}Response xmlns=\"{NS}\">\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</{name}Response>\n",
            uuid()
        ),
    )
}

fn s3_err(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::S3, status, code, message)
}

/// `GET /s3/{bucket}?list-type=2…` (ListObjectsV2: `prefix`, `start-after`, `max-keys` up to
/// 1,000, `continuation-token`) and `GET /s3/{bucket}/{key}` (GetObject), signed for `s3`.
pub(super) fn s3(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    if let Err(resp) = authenticate_for(sb, req, "s3", &s3_err) {
        return resp;
    }
    if req.method != "GET" {
        return s3_err(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    }
    let Some((bucket, key)) = seg.split_first() else {
        return s3_err(404, "NoSuchBucket", "The specified bucket does not exist");
    };
    let st = sb.state();
    if !st.s3.keys().any(|(b, _)| b == bucket) {
        return s3_err(404, "NoSuchBucket", "The specified bucket does not exist");
    }
    if !key.is_empty() {
        let key = key.join("/");
        return match st.s3.get(&(bucket.to_string(), key)) {
            Some(body) => Resp {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: body.clone(),
            },
            None => s3_err(404, "NoSuchKey", "The specified key does not exist."),
        };
    }
    if req.query_param("list-type").as_deref() != Some("2") {
        return s3_err(400, "InvalidArgument", "Only ListObjectsV2 (list-type=2) is served here");
    }
    let prefix = req.query_param("prefix").unwrap_or_default();
    let max = match req.query_param("max-keys") {
        None => 1000,
        Some(m) => match m.parse::<usize>() {
            Ok(n) => n.clamp(1, 1000),
            Err(_) => {
                return s3_err(400, "InvalidArgument", "Provided max-keys not an integer or within integer range");
            }
        },
    };
    // The continuation token is the last key listed, as the sandbox writes it.
    let after = req.query_param("continuation-token").or_else(|| req.query_param("start-after")).unwrap_or_default();
    let keys: Vec<(&String, usize)> = st
        .s3
        .iter()
        .filter(|((b, k), _)| b == bucket && k.starts_with(&prefix) && k.as_str() > after.as_str())
        .map(|((_, k), v)| (k, v.len()))
        .collect();
    let page = &keys[..keys.len().min(max)];
    let truncated = keys.len() > page.len();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount><MaxKeys>{max}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        xml_escape(bucket),
        xml_escape(&prefix),
        page.len()
    );
    for (k, size) in page {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>2024-05-01T00:00:00.000Z</LastModified><ETag>&quot;{}&quot;</ETag><Size>{size}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            xml_escape(k),
            &sha256_hex(k.as_bytes())[..32]
        ));
    }
    if truncated && let Some((last, _)) = page.last() {
        xml.push_str(&format!("<NextContinuationToken>{}</NextContinuationToken>", xml_escape(last)));
    }
    xml.push_str("</ListBucketResult>");
    Resp::xml(200, xml)
}
