//! AWS IAM Query API: Signature Version 4 checked as AWS checks it, then ListAccessKeys,
//! UpdateAccessKey, ListAttachedUserPolicies, AttachUserPolicy and DetachUserPolicy.

use chrono::{NaiveDateTime, Utc};

use super::{Api, Inner, RecordedRequest, Resp, api_error, page_offset, page_token, uuid};
use crate::sigv4::{canonical_request, parse_authorization, scope, sha256_hex, signature, signing_key, string_to_sign};
use crate::util::{form_get, xml_escape};

const NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

fn err(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::Aws, status, code, message)
}

/// Checks the request's signature; `Err` is AWS's answer.
fn authenticate(sb: &Inner, req: &RecordedRequest) -> Result<(), Resp> {
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
    if p.service != "iam" {
        return Err(err(
            403,
            "SignatureDoesNotMatch",
            &format!("Credential should be scoped to correct service: 'iam'. not '{}'", p.service),
        ));
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
