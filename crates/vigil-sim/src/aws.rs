//! CloudTrail records (the elements of a delivered file's `Records` array).

use crate::company::{AwsAccount, IamRole, IamUser};
use crate::emit::{Emitter, Sink, region_idx};
use crate::json::{J, obj};
use crate::util::{R, Ts, fmt_ts, hex_up, upper_alnum, uuid};

pub(crate) enum Who<'a> {
    IamUser {
        user: &'a IamUser,
        key: &'a str,
    },
    /// An IAM user signed in to the console (temporary `ASIA` key, MFA flag).
    ConsoleUser {
        user: &'a IamUser,
        key: &'a str,
        created: i64,
        mfa: bool,
    },
    Role {
        role: &'a IamRole,
        session: &'a str,
        key: &'a str,
        created: i64,
        mfa: bool,
    },
    Saml {
        email: &'a str,
    },
    Root {
        key: Option<&'a str>,
    },
    Service(&'static str),
    Anonymous,
}

impl<'a> Who<'a> {
    fn json(&self, acct: &'a AwsAccount) -> J<'a> {
        match self {
            Who::IamUser { user, key } => J::Obj(vec![
                ("type", J::Str("IAMUser")),
                ("principalId", J::Str(&user.id)),
                ("arn", J::Str(&user.arn)),
                ("accountId", J::Str(&acct.id)),
                ("accessKeyId", if key.is_empty() { J::Null } else { J::Str(key) }),
                ("userName", J::Str(&user.name)),
            ])
            .without_nulls(),
            Who::ConsoleUser { user, key, created, mfa } => obj! {
                "type": "IAMUser",
                "principalId": &user.id,
                "arn": &user.arn,
                "accountId": &acct.id,
                "accessKeyId": *key,
                "userName": &user.name,
                "sessionContext": obj!{
                    "sessionIssuer": obj!{},
                    "webIdFederationData": obj!{},
                    "attributes": obj!{
                        "creationDate": fmt_ts(*created, Ts::Secs),
                        "mfaAuthenticated": if *mfa { "true" } else { "false" },
                    },
                },
            },
            Who::Role { role, session, key, created, mfa } => J::Obj(vec![
                ("type", J::Str("AssumedRole")),
                ("principalId", J::Own(format!("{}:{}", role.id, session))),
                ("arn", J::Own(format!("arn:aws:sts::{}:assumed-role/{}/{}", acct.id, role.name, session))),
                ("accountId", J::Str(&acct.id)),
                ("accessKeyId", if key.is_empty() { J::Null } else { J::Str(key) }),
                (
                    "sessionContext",
                    obj! {
                        "sessionIssuer": obj!{
                            "type": "Role",
                            "principalId": &role.id,
                            "arn": &role.arn,
                            "accountId": &acct.id,
                            "userName": &role.name,
                        },
                        "webIdFederationData": obj!{},
                        "attributes": obj!{
                            "creationDate": fmt_ts(*created, Ts::Secs),
                            "mfaAuthenticated": if *mfa { "true" } else { "false" },
                        },
                    },
                ),
            ])
            .without_nulls(),
            Who::Saml { email } => obj! {
                "type": "SAMLUser",
                "principalId": format!("{}:{}", saml_issuer(acct), email),
                "userName": *email,
                "identityProvider": saml_issuer(acct),
            },
            Who::Root { key } => {
                let mut j = obj! {
                    "type": "Root",
                    "principalId": &acct.id,
                    "arn": format!("arn:aws:iam::{}:root", acct.id),
                    "accountId": &acct.id,
                };
                if let Some(k) = key {
                    j.push("accessKeyId", *k);
                }
                j
            }
            Who::Service(svc) => obj! {"type": "AWSService", "invokedBy": *svc},
            Who::Anonymous => obj! {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"},
        }
    }
}

fn saml_issuer(acct: &AwsAccount) -> String {
    crate::util::hash_chars(crate::util::hash_str(&acct.saml_provider), b"abcdefghijklmnopqrstuvwxyz0123456789+/", 27)
        + "="
}

pub(crate) struct Ct<'a> {
    pub ts: i64,
    pub acct: usize,
    pub region: &'static str,
    pub who: Who<'a>,
    pub ip: String,
    pub ua: &'a str,
    pub source: &'static str,
    pub name: &'static str,
    pub req: J<'a>,
    pub resp: J<'a>,
    pub additional: Option<J<'a>>,
    pub resources: Option<J<'a>>,
    pub read_only: bool,
    pub event_type: &'static str,
    pub data: bool,
    pub error: Option<(&'static str, String)>,
    pub tls: bool,
}

/// Whether an API name is read-only, by CloudTrail's convention.
fn read_only_name(name: &str) -> bool {
    ["Get", "List", "Describe", "Head", "Lookup", "Search", "Decrypt", "GenerateDataKey"]
        .iter()
        .any(|p| name.starts_with(p))
}

impl<'a> Ct<'a> {
    pub(crate) fn new(
        ts: i64,
        acct: usize,
        who: Who<'a>,
        ip: String,
        ua: &'a str,
        source: &'static str,
        name: &'static str,
    ) -> Ct<'a> {
        Ct {
            ts,
            acct,
            region: "us-east-1",
            who,
            ip,
            ua,
            source,
            name,
            req: J::Null,
            resp: J::Null,
            additional: None,
            resources: None,
            read_only: read_only_name(name),
            event_type: "AwsApiCall",
            data: false,
            error: None,
            tls: true,
        }
    }

    pub(crate) fn region(mut self, r: &'static str) -> Self {
        self.region = r;
        self
    }
    pub(crate) fn req(mut self, j: J<'a>) -> Self {
        self.req = j;
        self
    }
    pub(crate) fn resp(mut self, j: J<'a>) -> Self {
        self.resp = j;
        self
    }
    pub(crate) fn add(mut self, j: J<'a>) -> Self {
        self.additional = Some(j);
        self
    }
    pub(crate) fn error(mut self, code: &'static str, msg: String) -> Self {
        self.error = Some((code, msg));
        self
    }

    /// Marks an S3 object-level data event on `bucket/key`.
    pub(crate) fn s3_object(
        mut self,
        acct: &'a AwsAccount,
        bucket: &'a str,
        key: String,
        bytes_out: u64,
        bytes_in: u64,
    ) -> Self {
        let host = format!("{bucket}.s3.{}.amazonaws.com", self.region);
        self.data = true;
        self.resources = Some(J::Arr(vec![
            obj! {"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{bucket}/{key}")},
            obj! {"accountId": &acct.id, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")},
        ]));
        self.req = obj! {"bucketName": bucket, "Host": host, "key": key};
        self.additional = Some(obj! {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": bytes_in,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": J::Null,
            "bytesTransferredOut": bytes_out,
        });
        self
    }

    /// Marks an S3 bucket-level data event (`ListObjects`).
    pub(crate) fn s3_bucket_data(mut self, acct: &'a AwsAccount, bucket: &'a str, prefix: String) -> Self {
        let host = format!("{bucket}.s3.{}.amazonaws.com", self.region);
        self.data = true;
        self.resources = Some(J::Arr(vec![
            obj! {"accountId": &acct.id, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")},
        ]));
        self.req = obj! {"bucketName": bucket, "Host": host, "prefix": prefix, "list-type": "2", "max-keys": "1000"};
        self.additional = Some(obj! {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": 0,
            "AuthenticationMethod": "AuthHeader",
            "bytesTransferredOut": 4096,
        });
        self
    }

    pub(crate) fn emit(self, rng: &R, em: &mut Emitter, accounts: &'a [AwsAccount]) {
        let acct = &accounts[self.acct];
        let s3 = self.source == "s3.amazonaws.com";
        let request_id = if s3 { hex_up(rng, 16) } else { uuid(rng) };
        let mut additional = self.additional;
        if let (Some(J::Obj(fields)), true) = (&mut additional, s3) {
            for (k, v) in fields.iter_mut() {
                if *k == "x-amz-id-2" {
                    *v = J::Own(format!("{}/{}=", upper_alnum(rng, 40), upper_alnum(rng, 20)));
                }
            }
        }
        let mut ev = obj! {
            "eventVersion": if self.data { "1.10" } else { "1.08" },
            "userIdentity": self.who.json(acct),
            "eventTime": fmt_ts(self.ts, Ts::Secs),
            "eventSource": self.source,
            "eventName": self.name,
            "awsRegion": self.region,
            "sourceIPAddress": self.ip,
            "userAgent": self.ua,
        };
        if let Some((code, msg)) = self.error {
            if !code.is_empty() {
                ev.push("errorCode", code);
            }
            ev.push("errorMessage", msg);
        }
        ev.push("requestParameters", self.req);
        ev.push("responseElements", self.resp);
        if let Some(a) = additional {
            ev.push("additionalEventData", a);
        }
        ev.push("requestID", request_id);
        ev.push("eventID", uuid(rng));
        ev.push("readOnly", self.read_only);
        if let Some(r) = self.resources {
            ev.push("resources", r);
        }
        ev.push("eventType", self.event_type);
        ev.push("managementEvent", !self.data);
        ev.push("recipientAccountId", &acct.id);
        ev.push("eventCategory", if self.data { "Data" } else { "Management" });
        if self.tls {
            let host = match self.source {
                "s3.amazonaws.com" => format!("s3.{}.amazonaws.com", self.region),
                "signin.amazonaws.com" => "signin.aws.amazon.com".to_string(),
                "iam.amazonaws.com" | "sts.amazonaws.com" => self.source.to_string(),
                src => format!("{}.{}.amazonaws.com", src.trim_end_matches(".amazonaws.com"), self.region),
            };
            ev.push(
                "tlsDetails",
                obj! {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": host},
            );
        }
        em.emit(self.ts, Sink::Ct { acct: self.acct as u8, region: region_idx(self.region) }, &ev);
    }
}

/// `responseElements` of an STS call that hands out temporary credentials.
pub(crate) fn creds_response<'a>(
    rng: &R,
    key: &'a str,
    expires: i64,
    assumed_arn: String,
    assumed_id: String,
    extra: Option<(&'static str, J<'a>)>,
) -> J<'a> {
    let mut j = obj! {
        "credentials": obj!{
            "accessKeyId": key,
            "sessionToken": format!("IQoJb3JpZ2luX2VjE{}", crate::util::b62(rng, 48)),
            "expiration": crate::util::fmt_ts(expires, Ts::Secs).replace('T', " ").replace('Z', ""),
        },
        "assumedRoleUser": obj!{"assumedRoleId": assumed_id, "arn": assumed_arn},
    };
    if let Some((k, v)) = extra {
        j.push(k, v);
    }
    j
}

/// S3 user agents.
pub(crate) const UA_CLI: &str = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#s3.cp";
pub(crate) const UA_CLI_MAC: &str = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#s3.ls";
pub(crate) const UA_CONSOLE: &str = "AWS Internal";
pub(crate) const UA_S3_CONSOLE: &str = "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.750 Linux/5.10.223-190.873.amzn2int.x86_64 OpenJDK_64-Bit_Server_VM/25.412-b09 java/1.8.0_412 vendor/Oracle_Corporation cfg/retry-mode/standard]";
pub(crate) const UA_CI: &str = "aws-cli/2.17.30 md/awscrt#0.21.2 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython exec-env#GitHub_Actions cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.22 md/prompt#off md/command#s3.cp";
pub(crate) const UA_TERRAFORM: &str = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.30.4 ua/2.1 os/linux lang/go#1.22.6 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.5";
pub(crate) const UA_LEGACY: &str = "aws-cli/1.18.69 Python/2.7.18 Windows/10 botocore/1.17.39";
pub(crate) const UA_BACKUP: &str = "Veeam Backup & Replication/12.1 aws-sdk-dotnet-core/3.7.300 .NET_Runtime/8.0 .NET_Framework/8.0 OS/Microsoft_Windows_10.0.20348";
pub(crate) const UA_KALI: &str = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off command/sts.get-caller-identity";
pub(crate) const UA_BOTO: &str = "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#5.15.0-91-generic md/arch#x86_64 lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.11";
pub(crate) const UA_SDK_APP: &str = "aws-sdk-java/2.26.12 Linux/5.10.220-209.869.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.12+7-LTS Java/17.0.12 vendor/Amazon.com_Inc. exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/legacy";
