//! What a playbook acts on: the kind of an incident's entity (an identity-provider account, a
//! cloud principal, an access key, a host …), resolved from the inventory where it knows the
//! entity and otherwise from the entity's shape, so an action is never aimed at a system the
//! entity does not live in (an AWS ARN is never an Okta user).

use serde::Serialize;
use vigil_triage::Inventory;

/// The kinds of entity a playbook may declare in `targets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// An identity-provider account (Okta, Entra ID): a sign-in name, an email or UPN.
    IdpUser,
    /// An AWS IAM user or role, or an account root (an ARN or an IAM user name).
    CloudPrincipal,
    /// A cloud access key (`AKIA…` long-lived, `ASIA…` temporary).
    AccessKey,
    Host,
    Ip,
    Bucket,
}

impl TargetKind {
    pub const ALL: [TargetKind; 6] = [
        TargetKind::IdpUser,
        TargetKind::CloudPrincipal,
        TargetKind::AccessKey,
        TargetKind::Host,
        TargetKind::Ip,
        TargetKind::Bucket,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TargetKind::IdpUser => "idp_user",
            TargetKind::CloudPrincipal => "cloud_principal",
            TargetKind::AccessKey => "access_key",
            TargetKind::Host => "host",
            TargetKind::Ip => "ip",
            TargetKind::Bucket => "bucket",
        }
    }

    /// In words, for error messages and the approvals inbox.
    pub fn describe(self) -> &'static str {
        match self {
            TargetKind::IdpUser => "identity-provider account (Okta, Entra ID)",
            TargetKind::CloudPrincipal => "cloud principal (AWS IAM user, role or account root)",
            TargetKind::AccessKey => "cloud access key",
            TargetKind::Host => "host",
            TargetKind::Ip => "IP address",
            TargetKind::Bucket => "storage bucket",
        }
    }

    pub fn parse(s: &str) -> Option<TargetKind> {
        TargetKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The kind an old playbook's `trigger.needs` stands for: `user` → `idp_user` (the pilot's
    /// user steps are identity-provider actions), `host` → `host`, `key` → `access_key`.
    pub fn from_needs(needs: &str) -> Option<TargetKind> {
        match needs {
            "user" => Some(TargetKind::IdpUser),
            "host" => Some(TargetKind::Host),
            "key" => Some(TargetKind::AccessKey),
            _ => None,
        }
    }
}

/// One entity of a case or incident with the kind it was resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub kind: TargetKind,
    /// The entity as the case holds it (`user:arn:aws:iam::…`).
    pub entity: String,
    /// The value an action is given: the inventory's canonical name for a person, an access
    /// key in upper case (key ids are), else the entity's value.
    pub value: String,
    /// `inventory` or `shape`.
    pub source: &'static str,
}

fn is_access_key(v: &str) -> bool {
    let u = v.to_ascii_uppercase();
    (u.starts_with("AKIA") || u.starts_with("ASIA"))
        && (16..=128).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_alphanumeric())
}

/// An AWS principal by its shape: an ARN, or a 12-digit account id.
fn is_cloud_principal(v: &str) -> bool {
    v.starts_with("arn:aws") || (v.len() == 12 && v.chars().all(|c| c.is_ascii_digit()))
}

fn is_email(v: &str) -> bool {
    match v.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !v.contains(':') && !v.contains('/') && !v.contains('\\')
        }
        None => false,
    }
}

/// The kind of one `kind:value` entity, or `None` when neither the inventory nor its shape
/// says (a bare account name unknown to the inventory is not assumed to be anyone's).
pub fn resolve(entity: &str, inventory: Option<&Inventory>) -> Option<Resolved> {
    let (prefix, value) = entity.split_once(':')?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let r = |kind: TargetKind, v: String, source: &'static str| {
        Some(Resolved { kind, entity: entity.to_string(), value: v, source })
    };
    match prefix {
        "host" => return r(TargetKind::Host, value.to_string(), "shape"),
        "ip" => return r(TargetKind::Ip, value.to_string(), "shape"),
        "bucket" => return r(TargetKind::Bucket, value.to_string(), "shape"),
        "user" | "key" => {}
        _ => return None,
    }
    // Shapes that cannot be anything else come first: an ARN is never an Okta user, even when
    // the inventory knows the person at the end of a role session's ARN.
    if is_cloud_principal(value) {
        return r(TargetKind::CloudPrincipal, value.to_string(), "shape");
    }
    if is_access_key(value) {
        return r(TargetKind::AccessKey, value.to_ascii_uppercase(), "shape");
    }
    // An exact inventory entry (not the role-session fallback of `Inventory::lookup`).
    if let Some(info) = inventory.and_then(|inv| inv.lookup(value)).filter(|_| !value.contains('/')) {
        let kind = match info.kind.as_str() {
            "user" => Some(TargetKind::IdpUser),
            "iam_user" => Some(TargetKind::CloudPrincipal),
            "key" => Some(TargetKind::AccessKey),
            "host" => Some(TargetKind::Host),
            "bucket" => Some(TargetKind::Bucket),
            _ => None,
        };
        if let Some(kind) = kind {
            let v = match kind {
                // A person is known to the identity provider by the inventory's canonical
                // name (the email), also when the alert named a Windows account.
                TargetKind::IdpUser if is_email(&info.name) => info.name.clone(),
                TargetKind::AccessKey => value.to_ascii_uppercase(),
                _ => value.to_string(),
            };
            return r(kind, v, "inventory");
        }
    }
    if prefix == "user" && is_email(value) {
        return r(TargetKind::IdpUser, value.to_string(), "shape");
    }
    None
}

/// The IAM user name of a cloud principal: the last part of `arn:aws:iam::…:user/[path/]name`,
/// or a bare name; `None` for an account root, a role or a role session.
pub fn iam_user_name(principal: &str) -> Option<String> {
    if let Some(rest) = principal.strip_prefix("arn:") {
        let resource = rest.splitn(5, ':').nth(4)?;
        let path = resource.strip_prefix("user/")?;
        return path.rsplit('/').next().filter(|n| !n.is_empty()).map(str::to_string);
    }
    let bare = !principal.is_empty()
        && !principal.chars().all(|c| c.is_ascii_digit())
        && principal.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c));
    bare.then(|| principal.to_string())
}

/// Every entity resolved, in the order given; entities of no known kind are left out.
pub fn resolve_all<'a>(entities: impl IntoIterator<Item = &'a String>, inventory: Option<&Inventory>) -> Vec<Resolved> {
    entities.into_iter().filter_map(|e| resolve(e, inventory)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_decide_without_an_inventory() {
        let k = |e: &str| resolve(e, None).map(|r| r.kind);
        assert_eq!(k("user:arn:aws:iam::123456789012:root"), Some(TargetKind::CloudPrincipal));
        assert_eq!(k("user:arn:aws:iam::123456789012:user/dev-ann"), Some(TargetKind::CloudPrincipal));
        assert_eq!(k("user:arn:aws:sts::1:assumed-role/Admin/ann@x.com"), Some(TargetKind::CloudPrincipal));
        assert_eq!(k("user:123456789012"), Some(TargetKind::CloudPrincipal));
        assert_eq!(k("key:akiaabcdefghijklmnop"), Some(TargetKind::AccessKey));
        assert_eq!(k("user:ann@x.com"), Some(TargetKind::IdpUser));
        assert_eq!(k("host:wks-1"), Some(TargetKind::Host));
        assert_eq!(k("user:corp\\ann"), None);
        assert_eq!(k("user:ann"), None);
        assert_eq!(resolve("key:akiaabcdefghijklmnop", None).map(|r| r.value).as_deref(), Some("AKIAABCDEFGHIJKLMNOP"));
    }

    #[test]
    fn the_inventory_decides_what_it_knows_but_never_turns_an_arn_into_a_person() {
        let inv = Inventory::from_json(
            r#"{"users":[{"email":"ann@x.com","samaccountname":"ann"}],
                "aws_accounts":[{"iam_users":[{"name":"dev-ann","arn":"arn:aws:iam::1:user/dev-ann","owner":"ann@x.com","access_keys":[{"access_key_id":"AKIA1111222233334444"}]}]}]}"#,
        )
        .unwrap();
        let r = |e: &str| resolve(e, Some(&inv)).map(|r| (r.kind, r.value));
        assert_eq!(r("user:ann"), Some((TargetKind::IdpUser, "ann@x.com".into())));
        assert_eq!(r("user:dev-ann"), Some((TargetKind::CloudPrincipal, "dev-ann".into())));
        assert_eq!(r("user:arn:aws:sts::1:assumed-role/Dev/ann@x.com").map(|x| x.0), Some(TargetKind::CloudPrincipal));
        assert_eq!(r("key:akia1111222233334444"), Some((TargetKind::AccessKey, "AKIA1111222233334444".into())));
    }

    #[test]
    fn iam_user_names_come_from_user_arns_only() {
        assert_eq!(iam_user_name("arn:aws:iam::1:user/dev-ann").as_deref(), Some("dev-ann"));
        assert_eq!(iam_user_name("arn:aws:iam::1:user/ops/svc-x").as_deref(), Some("svc-x"));
        assert_eq!(iam_user_name("arn:aws:iam::1:root"), None);
        assert_eq!(iam_user_name("arn:aws:sts::1:assumed-role/Admin/x"), None);
        assert_eq!(iam_user_name("dev-ann").as_deref(), Some("dev-ann"));
        assert_eq!(iam_user_name("123456789012"), None);
    }
}
