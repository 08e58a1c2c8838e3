//! Named secrets: API tokens, client secrets, webhook URLs.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use crate::ConnectorError;

/// The environment prefix [`Secrets::from_env`] reads: `VIGIL_SECRET_OKTA_TOKEN` is `okta_token`.
pub const ENV_PREFIX: &str = "VIGIL_SECRET_";

/// Secrets by name (e.g. `okta_token`). Names are case-insensitive (kept lower-case).
///
/// Loaded from a file (`KEY=VALUE` lines or a JSON object of strings) or from the environment
/// (`VIGIL_SECRET_<NAME>`). `Debug` prints the names only, and no error this type returns
/// contains a value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secrets {
    values: BTreeMap<String, String>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets").field("names", &self.values.keys().collect::<Vec<_>>()).finish()
    }
}

impl Secrets {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, name: &str, value: &str) {
        self.values.insert(name.trim().to_ascii_lowercase(), value.to_string());
    }

    /// The value of `name`; [`ConnectorError::MissingSecret`] when it is absent or empty.
    pub fn get(&self, name: &str) -> Result<&str, ConnectorError> {
        self.get_opt(name).ok_or_else(|| ConnectorError::MissingSecret(name.to_string()))
    }

    /// The value of `name` when present and non-empty.
    pub fn get_opt(&self, name: &str) -> Option<&str> {
        self.values.get(&name.to_ascii_lowercase()).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// Reads a secrets file: a JSON object (`{"okta_token": "…"}`) when its first non-blank
    /// character is `{`, otherwise `KEY=VALUE` lines (blank lines and `#` comments skipped,
    /// an optional `export ` prefix, values optionally in matching single or double quotes).
    pub fn from_file(path: &Path) -> Result<Self, ConnectorError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConnectorError::MissingConfig(format!("secrets file {}: {}", path.display(), e.kind())))?;
        Self::parse(&text)
            .map_err(|why| ConnectorError::MissingConfig(format!("secrets file {}: {why}", path.display())))
    }

    /// Parses the text of a secrets file (see [`Secrets::from_file`]). Errors name the line,
    /// never its content.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out = Secrets::new();
        if text.trim_start().starts_with('{') {
            let value: serde_json::Value =
                serde_json::from_str(text).map_err(|e| format!("not a JSON object (line {})", e.line()))?;
            let Some(object) = value.as_object() else { return Err("not a JSON object".into()) };
            for (name, value) in object {
                match value {
                    serde_json::Value::String(s) => out.insert(name, s),
                    serde_json::Value::Number(n) => out.insert(name, &n.to_string()),
                    _ => return Err(format!("value of `{name}` is not a string")),
                }
            }
            return Ok(out);
        }
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((name, value)) = line.split_once('=') else {
                return Err(format!("line {}: expected KEY=VALUE", index + 1));
            };
            let name = name.trim();
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.') {
                return Err(format!("line {}: invalid name", index + 1));
            }
            let value = value.trim();
            let value = match (value.chars().next(), value.chars().last()) {
                (Some(q @ ('"' | '\'')), Some(e)) if value.len() >= 2 && q == e => &value[1..value.len() - 1],
                _ => value,
            };
            out.insert(name, value);
        }
        Ok(out)
    }

    /// Every `VIGIL_SECRET_<NAME>` variable of this process, as `<name>` lower-cased.
    pub fn from_env() -> Self {
        Self::from_vars(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))))
    }

    /// Like [`Secrets::from_env`] over the given variables.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut out = Secrets::new();
        for (key, value) in vars {
            if let Some(name) = key.strip_prefix(ENV_PREFIX)
                && !name.is_empty()
            {
                out.insert(name, &value);
            }
        }
        out
    }

    /// Adds `other`'s secrets; on a name in both, `other`'s value wins.
    pub fn merge(&mut self, other: Secrets) {
        self.values.extend(other.values);
    }

    /// Every value (for masking).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.values.values().map(String::as_str)
    }

    /// Every name.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.values.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_value_lines() {
        let s = Secrets::parse("# comment\n\nOKTA_TOKEN=abc=def\nexport jira_api_token = \"q u\"\nx='y'\n")
            .expect("parses");
        assert_eq!(s.get("okta_token").ok(), Some("abc=def"));
        assert_eq!(s.get("JIRA_API_TOKEN").ok(), Some("q u"));
        assert_eq!(s.get("x").ok(), Some("y"));
        assert!(matches!(s.get("nope"), Err(ConnectorError::MissingSecret(n)) if n == "nope"));
    }

    #[test]
    fn bad_lines_are_named_not_echoed() {
        let err = Secrets::parse("ok=1\nthis-is-a-secret-without-equals\n").expect_err("bad line");
        assert_eq!(err, "line 2: expected KEY=VALUE");
        assert!(!err.contains("secret-without"));
    }

    #[test]
    fn json_object_and_debug_shows_names_only() {
        let s = Secrets::parse(r#" {"github_token": "ghp_xyz", "port": 25} "#).expect("parses");
        assert_eq!(s.get("github_token").ok(), Some("ghp_xyz"));
        assert_eq!(s.get("port").ok(), Some("25"));
        let debug = format!("{s:?}");
        assert!(debug.contains("github_token") && !debug.contains("ghp_xyz"), "{debug}");
        assert!(Secrets::parse(r#"{"a": {"b": 1}}"#).is_err());
        assert!(Secrets::parse("[1]").is_err());
    }

    #[test]
    fn env_vars_and_merge() {
        let mut s = Secrets::from_vars([
            ("VIGIL_SECRET_OKTA_TOKEN".to_string(), "t1".to_string()),
            ("OTHER".to_string(), "x".to_string()),
            ("VIGIL_SECRET_".to_string(), "y".to_string()),
        ]);
        assert_eq!(s.names().collect::<Vec<_>>(), ["okta_token"]);
        let mut other = Secrets::new();
        other.insert("okta_token", "t2");
        other.insert("github_token", "g");
        s.merge(other);
        assert_eq!(s.get("okta_token").ok(), Some("t2"));
        assert_eq!(s.values().count(), 2);
        assert!(s.get("empty").is_err());
        s.insert("empty", "");
        assert!(matches!(s.get("empty"), Err(ConnectorError::MissingSecret(_))));
    }
}

/// Connector settings and credentials as a deployment gives them: settings from a JSON object
/// file (base URLs, tenants, projects per connector; none means defaults only), secrets from
/// the environment (`VIGIL_SECRET_*`) and, over them, a secrets file.
pub fn load_settings(
    settings: Option<&Path>,
    secrets: Option<&Path>,
) -> Result<(serde_json::Value, Secrets), ConnectorError> {
    let config = match settings {
        None => serde_json::Value::Object(Default::default()),
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                ConnectorError::MissingConfig(format!("connector settings {}: {}", p.display(), e.kind()))
            })?;
            let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                ConnectorError::MissingConfig(format!(
                    "connector settings {}: not JSON (line {})",
                    p.display(),
                    e.line()
                ))
            })?;
            if !v.is_object() {
                return Err(ConnectorError::MissingConfig(format!(
                    "connector settings {}: must be a JSON object",
                    p.display()
                )));
            }
            v
        }
    };
    let mut s = Secrets::from_env();
    if let Some(p) = secrets {
        s.merge(Secrets::from_file(p)?);
    }
    Ok((config, s))
}

#[cfg(test)]
mod settings_tests {
    use super::*;

    #[test]
    fn settings_must_be_a_json_object_and_the_file_overrides_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let (cfg, _) = load_settings(None, None).unwrap();
        assert_eq!(cfg, serde_json::json!({}));
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "[1, 2]").unwrap();
        assert!(load_settings(Some(&bad), None).unwrap_err().to_string().contains("must be a JSON object"));
        std::fs::write(&bad, "{ nope").unwrap();
        assert!(load_settings(Some(&bad), None).unwrap_err().to_string().contains("not JSON"));
        let good = dir.path().join("good.json");
        std::fs::write(&good, r#"{"okta": {"base_url": "https://acme.okta.com"}}"#).unwrap();
        let secrets = dir.path().join("s.env");
        std::fs::write(&secrets, "okta_token=from-file\n").unwrap();
        let (cfg, s) = load_settings(Some(&good), Some(&secrets)).unwrap();
        assert_eq!(cfg["okta"]["base_url"], "https://acme.okta.com");
        assert_eq!(s.get("okta_token").unwrap(), "from-file");
        assert!(load_settings(None, Some(&dir.path().join("missing.env"))).is_err());
    }
}
