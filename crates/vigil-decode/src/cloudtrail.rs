//! AWS CloudTrail records (one element of `Records`, or one JSON line) to OCSF.

use serde_json::Value;
use vigil_model::{OcsfClass, Status, account_change, api, authentication};

use crate::json::{boolean, compact, get, text};
use crate::{DecodeError, Decoder, Draft, LogSource};

pub const FAMILY: &str = "cloudtrail";

/// AWS CloudTrail: `Records` envelopes (framed by [`crate::scan_unit`]), JSON arrays or lines.
pub struct CloudTrail;

impl Decoder for CloudTrail {
    fn name(&self) -> &'static str {
        "cloudtrail"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["aws-cloudtrail"]
    }
    fn family(&self) -> &'static str {
        FAMILY
    }
    fn description(&self) -> &'static str {
        "AWS CloudTrail ({\"Records\": [...]} files, JSON arrays or JSON lines)"
    }
    fn recognizes(&self, record: &Value) -> bool {
        looks_like(record)
    }
    fn fixture_log_type(&self, log_type: &str) -> bool {
        log_type == "AWS.CloudTrail"
    }
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError> {
        decode(record, draft)
    }
    fn admits(&self, record: &Value) -> Result<(), DecodeError> {
        head(record).map(|_| ())
    }
    fn classes(&self) -> &'static [OcsfClass] {
        &[OcsfClass::Authentication, OcsfClass::AccountChange, OcsfClass::ApiActivity]
    }
    fn logsource(&self) -> LogSource {
        LogSource::fixed("aws", "cloudtrail")
    }
    fn sample(&self) -> &'static str {
        r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2023-07-10T12:20:00Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketAcl","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.0","requestParameters":{"bucketName":"b"},"responseElements":null,"requestID":"R1","eventID":"E1","eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#
    }
}

pub fn looks_like(v: &Value) -> bool {
    get(v, "eventVersion").is_some() && get(v, "eventSource").is_some() && get(v, "eventName").is_some()
}

/// What a record cannot do without: its event name and source, and its time.
fn head(v: &Value) -> Result<(String, String, i64), DecodeError> {
    let name = text(v, "eventName").ok_or(DecodeError::missing("eventName"))?;
    let source = text(v, "eventSource").ok_or(DecodeError::missing("eventSource"))?;
    Ok((name, source, crate::time_of(v, &["eventTime"])?))
}

pub fn decode(v: &Value, d: &mut Draft) -> Result<(), DecodeError> {
    let (name, source, time) = head(v)?;
    let (class, activity) = classify(&name, &source);
    let e = d.start(class, activity, time, "AWS CloudTrail", "AWS");
    e.metadata.original_uid = text(v, "eventID");
    e.metadata.event_code = Some(name.clone());
    e.metadata.log_name = text(v, "eventCategory").or_else(|| text(v, "eventType"));

    // Actor: who made the call.
    let it = get(v, "userIdentity").unwrap_or(&Value::Null);
    let id_type = text(it, "type");
    // For an assumed role the person (or workload) is the session name, the last part of
    // arn:aws:sts::<account>:assumed-role/<role>/<session>; the role is the session's issuer.
    let session_name = (id_type.as_deref() == Some("AssumedRole"))
        .then(|| text(it, "arn"))
        .flatten()
        .and_then(|a| a.rsplit('/').next().map(str::to_string));
    let user_name = text(it, "userName")
        .or(session_name)
        .or_else(|| text(it, "sessionContext.sessionIssuer.userName"))
        .or_else(|| text(it, "arn").map(|a| a.rsplit('/').next().unwrap_or(&a).to_string()))
        .or_else(|| text(it, "invokedBy"))
        .or_else(|| text(it, "principalId"));
    {
        let u = e.actor_user_mut();
        u.name = user_name;
        u.uid = text(it, "arn").or_else(|| text(it, "principalId"));
        u.r#type = id_type.clone();
        u.domain = text(it, "accountId");
        u.credential_uid = text(it, "accessKeyId");
    }
    if let Some(mfa) = boolean(it, "sessionContext.attributes.mfaAuthenticated") {
        e.actor_session_mut().is_mfa = Some(mfa);
    }
    if let Some(issuer) = text(it, "sessionContext.sessionIssuer.arn") {
        e.actor_session_mut().issuer = Some(issuer);
    }
    e.actor.app_name = text(v, "userAgent");

    // Where from.
    if let Some(ip) = text(v, "sourceIPAddress") {
        let s = e.src_mut();
        if ip.parse::<std::net::IpAddr>().is_ok() {
            s.ip = Some(ip);
        } else {
            s.hostname = Some(ip);
        }
    }
    if let Some(ua) = text(v, "userAgent") {
        e.http_mut().user_agent = Some(ua);
    }
    let c = e.cloud_mut();
    c.provider = Some("AWS".into());
    c.region = text(v, "awsRegion");
    c.account_uid = text(v, "recipientAccountId").or_else(|| text(it, "accountId"));

    let a = e.api_mut();
    a.service = Some(source);
    a.operation = Some(name.clone());
    a.request_uid = text(v, "requestID");
    a.request_data = compact(v, "requestParameters");
    a.response_data = compact(v, "responseElements");
    a.response_error = text(v, "errorCode");
    a.response_error_message = text(v, "errorMessage");

    let failed = text(v, "errorCode").is_some()
        || text(v, "responseElements.ConsoleLogin").is_some_and(|r| r.eq_ignore_ascii_case("failure"));
    e.status = Some(if failed { Status::Failure } else { Status::Success });
    e.status_detail = text(v, "errorMessage").or_else(|| text(v, "errorCode"));

    if class == OcsfClass::Authentication {
        let au = e.auth_mut();
        au.protocol = Some("AWS Sign-In".into());
        au.is_mfa = boolean(v, "additionalEventData.MFAUsed");
        au.is_remote = Some(true);
        let user = e.actor.user.clone();
        e.user = user;
    }
    if class == OcsfClass::AccountChange || name == "CreateAccessKey" {
        // The user acted upon, where the request names one.
        if let Some(target) = text(v, "requestParameters.userName") {
            e.user_mut().name = Some(target);
        }
    }
    if id_type.as_deref() == Some("Root") {
        e.actor_user_mut().r#type = Some("Root".into());
    }
    Ok(())
}

/// OCSF class and activity from the API call.
fn classify(name: &str, source: &str) -> (OcsfClass, u32) {
    if name == "ConsoleLogin" || (source == "signin.amazonaws.com" && name.contains("Login")) {
        return (OcsfClass::Authentication, authentication::LOGON);
    }
    if source == "iam.amazonaws.com" {
        let ac = match name {
            "CreateUser" => Some(account_change::CREATE),
            "DeleteUser" => Some(account_change::DELETE),
            "UpdateLoginProfile" | "ChangePassword" => Some(account_change::PASSWORD_CHANGE),
            "CreateLoginProfile" => Some(account_change::PASSWORD_RESET),
            "AttachUserPolicy" | "PutUserPolicy" => Some(account_change::ATTACH_POLICY),
            "DetachUserPolicy" | "DeleteUserPolicy" => Some(account_change::DETACH_POLICY),
            "EnableMFADevice" => Some(account_change::MFA_ENABLE),
            "DeactivateMFADevice" | "DeleteVirtualMFADevice" => Some(account_change::MFA_DISABLE),
            _ => None,
        };
        if let Some(a) = ac {
            return (OcsfClass::AccountChange, a);
        }
    }
    let verb_end =
        name.char_indices().skip(1).find(|(_, c)| c.is_ascii_uppercase()).map(|(i, _)| i).unwrap_or(name.len());
    let verb = &name[..verb_end];
    let activity = match verb {
        "Create" | "Run" | "Import" | "Allocate" | "Register" | "Issue" => api::CREATE,
        "Batch" if name.contains("Delete") || name.contains("Remove") => api::DELETE,
        "Batch" if name.contains("Write") || name.contains("Put") || name.contains("Update") => api::UPDATE,
        "Get" | "Describe" | "List" | "Head" | "Lookup" | "Search" | "Select" | "Batch" | "Scan" | "Query" => api::READ,
        "Update" | "Modify" | "Attach" | "Set" | "Put" | "Add" | "Enable" | "Associate" | "Start" | "Stop"
        | "Change" | "Replace" | "Tag" | "Upload" | "Copy" | "Restore" | "Authorize" | "Assume" => api::UPDATE,
        "Delete" | "Remove" | "Detach" | "Disable" | "Deactivate" | "Terminate" | "Revoke" | "Disassociate"
        | "Untag" | "Deregister" | "Release" | "Cancel" | "Abort" => api::DELETE,
        _ => api::OTHER,
    };
    (OcsfClass::ApiActivity, activity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activities() {
        assert_eq!(classify("ConsoleLogin", "signin.amazonaws.com"), (OcsfClass::Authentication, 1));
        assert_eq!(classify("CreateUser", "iam.amazonaws.com"), (OcsfClass::AccountChange, 1));
        assert_eq!(classify("ListBuckets", "s3.amazonaws.com"), (OcsfClass::ApiActivity, api::READ));
        assert_eq!(classify("DeleteBucket", "s3.amazonaws.com"), (OcsfClass::ApiActivity, api::DELETE));
        assert_eq!(classify("PutBucketAcl", "s3.amazonaws.com"), (OcsfClass::ApiActivity, api::UPDATE));
        assert_eq!(classify("PutObject", "s3.amazonaws.com"), (OcsfClass::ApiActivity, api::UPDATE));
        assert_eq!(classify("RunInstances", "ec2.amazonaws.com"), (OcsfClass::ApiActivity, api::CREATE));
        assert_eq!(classify("X", "ec2.amazonaws.com"), (OcsfClass::ApiActivity, api::OTHER));
        assert_eq!(classify("BatchDeleteImage", "ecr.amazonaws.com"), (OcsfClass::ApiActivity, api::DELETE));
        assert_eq!(classify("BatchGetImage", "ecr.amazonaws.com"), (OcsfClass::ApiActivity, api::READ));
    }
}
