//! The asset and identity inventory: who is an admin, a service or a vendor identity, which hosts
//! are crown jewels, which buckets hold sensitive data. Read from a JSON file in the shape
//! `vigil simulate` writes (`inventory.json`); every section is optional and unknown fields are
//! ignored, so an export from a CMDB or an identity directory can be mapped onto it.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::TriageError;

/// Why an entity matters more than an ordinary one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Criticality {
    /// `admin`, `service`, `vendor`, `crown_jewel`, `sensitive_data`, `executive`.
    pub kind: String,
    /// Points added to the risk score.
    pub weight: f64,
    pub reason: String,
}

/// What the inventory knows about one entity.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct EntityInfo {
    /// The canonical name (an email for people, a hostname for hosts).
    pub name: String,
    pub kind: String,
    pub criticality: Vec<Criticality>,
    /// The person behind it (the owner of an access key or IAM user), when known.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub owner: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Inventory {
    by_key: HashMap<String, EntityInfo>,
    /// Users, hosts, keys and buckets described.
    pub entities: usize,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(|x| x.trim().to_ascii_lowercase()).filter(|x| !x.is_empty())
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

/// How an entity name from an alert is looked up: lower case, without a `DOMAIN\` prefix.
pub fn normalize(name: &str) -> String {
    let n = name.trim().to_ascii_lowercase();
    match n.rsplit_once('\\') {
        Some((_, rest)) if !rest.is_empty() => rest.to_string(),
        _ => n,
    }
}

impl Inventory {
    pub fn empty() -> Inventory {
        Inventory::default()
    }

    /// Parses the inventory; an error names the JSON position or the section that is malformed.
    pub fn from_json(text: &str) -> Result<Inventory, TriageError> {
        let v: Value = serde_json::from_str(text).map_err(|e| TriageError::Inventory(format!("{e}")))?;
        if !v.is_object() {
            return Err(TriageError::Inventory("the inventory must be a JSON object".into()));
        }
        for section in ["users", "hosts", "aws_accounts", "vendors", "crown_jewels"] {
            if let Some(x) = v.get(section)
                && !x.is_array()
            {
                return Err(TriageError::Inventory(format!("`{section}` must be an array")));
            }
        }
        let mut inv = Inventory::default();
        for u in arr(&v, "users") {
            let Some(email) = s(u, "email").or_else(|| s(u, "login")) else { continue };
            let mut crit = Vec::new();
            if u.get("is_admin").and_then(Value::as_bool) == Some(true) {
                crit.push(Criticality {
                    kind: "admin".into(),
                    weight: 15.0,
                    reason: format!("{email} is an administrator"),
                });
            }
            if u.get("is_service").and_then(Value::as_bool) == Some(true) {
                crit.push(Criticality {
                    kind: "service".into(),
                    weight: 5.0,
                    reason: format!("{email} is a service account"),
                });
            }
            if s(u, "department").as_deref() == Some("executive") || s(u, "role").as_deref() == Some("executive") {
                crit.push(Criticality {
                    kind: "executive".into(),
                    weight: 10.0,
                    reason: format!("{email} is an executive"),
                });
            }
            let info = EntityInfo { name: email.clone(), kind: "user".into(), criticality: crit, owner: None };
            let mut keys = vec![email.clone()];
            keys.extend(s(u, "login"));
            keys.extend(s(u, "samaccountname").or_else(|| s(u, "samAccountName")));
            keys.extend(s(u, "sid"));
            keys.extend(s(u, "id"));
            // Windows renders group members by display name.
            keys.extend(s(u, "name"));
            if let Some((local, _)) = email.split_once('@') {
                keys.push(local.to_string());
            }
            for k in keys {
                inv.by_key.insert(k, info.clone());
            }
            // The separate admin account of a person (`adm-…`) is an administrator.
            if let Some(adm) = s(u, "admin_account") {
                let a = EntityInfo {
                    name: adm.clone(),
                    kind: "user".into(),
                    criticality: vec![Criticality {
                        kind: "admin".into(),
                        weight: 15.0,
                        reason: format!("{adm} is the administrator account of {email}"),
                    }],
                    owner: Some(email.clone()),
                };
                inv.by_key.insert(adm, a);
            }
            inv.entities += 1;
        }
        for h in arr(&v, "hosts") {
            let Some(name) = s(h, "hostname") else { continue };
            let mut crit = Vec::new();
            match s(h, "criticality").as_deref() {
                Some("critical") => crit.push(Criticality {
                    kind: "crown_jewel".into(),
                    weight: 15.0,
                    reason: format!("{name} is a crown-jewel asset (criticality critical)"),
                }),
                Some("high") => crit.push(Criticality {
                    kind: "crown_jewel".into(),
                    weight: 8.0,
                    reason: format!("{name} has criticality high"),
                }),
                _ => {}
            }
            let info = EntityInfo { name: name.clone(), kind: "host".into(), criticality: crit, owner: s(h, "owner") };
            for k in [Some(name.clone()), s(h, "fqdn"), s(h, "ip")].into_iter().flatten() {
                inv.by_key.insert(k, info.clone());
            }
            inv.entities += 1;
        }
        for a in arr(&v, "aws_accounts") {
            for b in arr(a, "buckets") {
                let Some(name) = s(b, "name") else { continue };
                let crit = match s(b, "sensitivity").as_deref() {
                    Some(x @ ("restricted" | "confidential")) => vec![Criticality {
                        kind: "sensitive_data".into(),
                        weight: if x == "restricted" { 12.0 } else { 8.0 },
                        reason: format!("bucket {name} holds {x} data"),
                    }],
                    _ => vec![],
                };
                inv.by_key
                    .insert(name.clone(), EntityInfo { name, kind: "bucket".into(), criticality: crit, owner: None });
                inv.entities += 1;
            }
            for u in arr(a, "iam_users") {
                let owner = s(u, "owner");
                let admin = arr(u, "attached_policies")
                    .iter()
                    .filter_map(Value::as_str)
                    .any(|p| p.contains("AdministratorAccess") || p.eq_ignore_ascii_case("IAMFullAccess"));
                let crit = if admin {
                    vec![Criticality {
                        kind: "admin".into(),
                        weight: 15.0,
                        reason: "IAM user with administrator policies".into(),
                    }]
                } else {
                    vec![]
                };
                if let Some(name) = s(u, "name") {
                    let info = EntityInfo {
                        name: name.clone(),
                        kind: "iam_user".into(),
                        criticality: crit.clone(),
                        owner: owner.clone(),
                    };
                    inv.by_key.insert(name, info.clone());
                    if let Some(arn) = s(u, "arn") {
                        inv.by_key.insert(arn, info);
                    }
                }
                for k in arr(u, "access_keys") {
                    if let Some(id) = s(k, "access_key_id") {
                        inv.by_key.insert(
                            id.clone(),
                            EntityInfo {
                                name: id,
                                kind: "key".into(),
                                criticality: crit.clone(),
                                owner: owner.clone(),
                            },
                        );
                        inv.entities += 1;
                    }
                }
            }
        }
        for ven in arr(&v, "vendors") {
            let vname = s(ven, "name").unwrap_or_else(|| "vendor".into());
            let c = |what: &str| Criticality {
                kind: "vendor".into(),
                weight: 10.0,
                reason: format!("{what} belongs to vendor {vname}"),
            };
            for i in arr(ven, "identities") {
                if let Some(login) = s(i, "login") {
                    inv.by_key.insert(
                        login.clone(),
                        EntityInfo {
                            name: login.clone(),
                            kind: "user".into(),
                            criticality: vec![c(&login)],
                            owner: None,
                        },
                    );
                    inv.entities += 1;
                }
            }
            for app in arr(ven, "oauth_apps") {
                if let Some(id) = s(app, "client_id") {
                    inv.by_key.insert(
                        id.clone(),
                        EntityInfo { name: id.clone(), kind: "app".into(), criticality: vec![c(&id)], owner: None },
                    );
                }
            }
        }
        for cj in arr(&v, "crown_jewels").iter().filter_map(Value::as_str) {
            let k = normalize(cj);
            let e = inv.by_key.entry(k.clone()).or_insert_with(|| EntityInfo {
                name: k.clone(),
                kind: "asset".into(),
                ..Default::default()
            });
            e.criticality.push(Criticality {
                kind: "crown_jewel".into(),
                weight: 15.0,
                reason: format!("{k} is listed as a crown jewel"),
            });
        }
        Ok(inv)
    }

    /// What the inventory says about an entity name from an alert, if anything.
    pub fn lookup(&self, name: &str) -> Option<&EntityInfo> {
        let n = normalize(name);
        self.by_key.get(&n).or_else(|| {
            // An ARN of an assumed role session names the person last: …/Role/alice@example.com.
            n.rsplit_once('/').and_then(|(_, last)| self.by_key.get(last))
        })
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_people_hosts_buckets_keys_and_vendors() {
        let inv = Inventory::from_json(
            r#"{"users":[{"email":"Ann@x.com","samAccountName":"ann","is_admin":true,"admin_account":"adm-ann"},
                        {"email":"bob@x.com","is_service":false}],
                "hosts":[{"hostname":"DC01","fqdn":"dc01.corp.x.com","criticality":"critical"}],
                "aws_accounts":[{"buckets":[{"name":"pii","sensitivity":"restricted"}],
                  "iam_users":[{"name":"ci","owner":"bob@x.com","attached_policies":["AdministratorAccess"],
                     "access_keys":[{"access_key_id":"AKIA1"}]}]}],
                "vendors":[{"name":"PayFlow","identities":[{"login":"int@payflow.io"}]}],
                "unknown": 1}"#,
        )
        .unwrap();
        assert_eq!(inv.lookup("CORP\\ann").unwrap().criticality[0].kind, "admin");
        assert_eq!(inv.lookup("adm-ann").unwrap().owner.as_deref(), Some("ann@x.com"));
        assert!(inv.lookup("bob@x.com").unwrap().criticality.is_empty());
        assert_eq!(inv.lookup("dc01").unwrap().criticality[0].kind, "crown_jewel");
        assert_eq!(inv.lookup("pii").unwrap().criticality[0].kind, "sensitive_data");
        assert_eq!(inv.lookup("AKIA1").unwrap().owner.as_deref(), Some("bob@x.com"));
        assert_eq!(inv.lookup("int@payflow.io").unwrap().criticality[0].kind, "vendor");
        assert_eq!(inv.lookup("arn:aws:sts::1:assumed-role/Dev/ann@x.com").unwrap().name, "ann@x.com");
        assert!(inv.lookup("nobody").is_none());
    }

    #[test]
    fn malformed_inventory_is_a_clear_error() {
        for bad in ["", "[1]", "{\"users\": 3}", "{\"users\": [", "\u{0}"] {
            let e = Inventory::from_json(bad).unwrap_err().to_string();
            assert!(e.starts_with("inventory:"), "{bad:?} → {e}");
        }
        // Entries without a name are skipped, not fatal.
        let inv = Inventory::from_json(r#"{"users":[{"is_admin":true}, 5, null]}"#).unwrap();
        assert!(inv.is_empty());
    }
}
