//! Ground truth: labeled attack instances (the simulator's `labels.jsonl`, or any file of the
//! same shape), each naming the event ids that belong to it. Detection and triage are scored
//! against them.

use serde::Deserialize;

/// One labeled attack instance.
#[derive(Debug, Clone, Deserialize)]
pub struct Label {
    pub scenario: String,
    #[serde(default)]
    pub instance: String,
    #[serde(default)]
    pub event_ids: Vec<String>,
    /// The users, hosts, keys, buckets, addresses and domains the attack involves, where the
    /// labels name them (the simulator's do); investigations and hunts are scored on them.
    #[serde(default)]
    pub entities: LabelEntities,
}

/// The entities one labeled attack involves, by kind.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LabelEntities {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub keys: Vec<String>,
    #[serde(default)]
    pub buckets: Vec<String>,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub domains: Vec<String>,
}

impl LabelEntities {
    /// Every named entity, lower-cased, whatever its kind.
    pub fn names(&self) -> std::collections::BTreeSet<String> {
        [&self.users, &self.hosts, &self.keys, &self.buckets, &self.ips, &self.domains]
            .into_iter()
            .flatten()
            .map(|v| v.to_lowercase())
            .collect()
    }
}

/// Reads labels, one JSON object per line; errors name the line. An instance without a name is
/// named after its scenario and line.
pub fn read_labels(text: &str) -> Result<Vec<Label>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let mut l: Label = serde_json::from_str(line).map_err(|e| format!("line {}: {e}", i + 1))?;
        if l.instance.is_empty() {
            l.instance = format!("{}-{}", l.scenario, i + 1);
        }
        out.push(l);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_read_per_line_and_name_their_errors() {
        let l =
            read_labels("{\"scenario\":\"s\",\"event_ids\":[\"e1\"]}\n\n{\"scenario\":\"t\",\"instance\":\"t-a\"}\n")
                .unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].instance.as_str(), l[0].event_ids.as_slice()), ("s-1", &["e1".to_string()][..]));
        assert_eq!(l[1].instance, "t-a");
        assert!(read_labels("{\"scenario\":\"s\"}\nnot json\n").unwrap_err().starts_with("line 2:"));
    }
}
