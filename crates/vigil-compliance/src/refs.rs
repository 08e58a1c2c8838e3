//! Control references (`SOC2:CC6.1`) and the normalization of framework prefixes and control ids.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ComplianceError;

/// AICPA Trust Services Criteria (SOC 2).
pub const SOC2: &str = "SOC2";
/// ISO/IEC 27001:2022 Annex A.
pub const ISO27001: &str = "ISO27001";
/// HIPAA Security Rule and breach notification sections of 45 CFR 164.
pub const HIPAA: &str = "HIPAA";
/// PCI DSS v4.0.1 (selected requirements).
pub const PCI_DSS: &str = "PCI-DSS";
/// NIST Cybersecurity Framework 2.0.
pub const NIST_CSF: &str = "NIST-CSF";
/// NIST SP 800-53 rev. 5.
pub const NIST_800_53: &str = "NIST-800-53";

/// The canonical ids of the built-in frameworks, in the order the catalog lists them.
pub const BUILTIN_FRAMEWORKS: [&str; 6] = [SOC2, ISO27001, HIPAA, PCI_DSS, NIST_CSF, NIST_800_53];

/// The canonical id of a built-in framework for one of its names (case-insensitive; `_` and
/// spaces count as `-`): `soc2`, `iso`, `iso27001`, `hipaa`, `pci`, `pci-dss`, `csf`,
/// `nist-csf`, `800-53`, `nist-800-53`, …
pub fn builtin_framework(name: &str) -> Option<&'static str> {
    let key: String =
        name.trim().chars().map(|c| if c == '_' || c == ' ' { '-' } else { c.to_ascii_uppercase() }).collect();
    let id = match key.as_str() {
        "SOC2" | "SOC-2" | "TSC" | "SOC2-TSC" | "AICPA-TSC" => SOC2,
        "ISO27001" | "ISO-27001" | "ISO" | "ISO27001-2022" | "ISO-27001-2022" | "ISO-IEC-27001" => ISO27001,
        "HIPAA" | "HIPAA-SECURITY-RULE" => HIPAA,
        "PCI-DSS" | "PCI" | "PCIDSS" | "PCI-DSS-4" | "PCI-DSS-V4" => PCI_DSS,
        "NIST-CSF" | "CSF" | "CSF2" | "CSF-2" | "CSF-2.0" | "NIST-CSF-2" | "NIST-CSF-2.0" => NIST_CSF,
        "NIST-800-53" | "800-53" | "NIST-SP-800-53" | "SP-800-53" | "SP800-53" | "NIST-800-53R5" | "800-53R5" => {
            NIST_800_53
        }
        _ => return None,
    };
    Some(id)
}

/// The canonical form of a framework prefix: a built-in framework's id for any of its names,
/// otherwise a custom framework id in upper case (letters, digits, `.`, `_`, `-`; starting with
/// a letter or digit; at most 64 characters).
pub fn canonical_framework(name: &str) -> Result<String, String> {
    if let Some(id) = builtin_framework(name) {
        return Ok(id.to_owned());
    }
    let name = name.trim();
    if name.is_empty() {
        return Err("the framework prefix is empty".into());
    }
    if name.len() > 64 {
        return Err("a framework id has at most 64 characters".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err(format!("framework id `{name}` must start with a letter or digit"));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))) {
        return Err(format!("framework id `{name}` contains `{c}` (allowed: letters, digits, `.`, `_`, `-`)"));
    }
    Ok(name.to_ascii_uppercase())
}

/// A reference to one control of one framework, `FRAMEWORK:ID`.
///
/// [`ControlRef::parse`] normalizes both parts so that a reference compares equal to the
/// catalog's entry however it was written:
///
/// | framework | accepted | canonical |
/// |---|---|---|
/// | `SOC2` | `soc2:cc6.1` | `SOC2:CC6.1` |
/// | `ISO27001` | `iso:a.8.5`, `ISO27001:8.5`, `ISO27001:A.08.05` | `ISO27001:A.8.5` |
/// | `HIPAA` | `HIPAA:164.312(b)`, `HIPAA:45 CFR 164.312(b)`, `HIPAA:§ 164.312 (b)` | `HIPAA:164.312(b)` |
/// | `PCI-DSS` | `pci:10.2.1.4` | `PCI-DSS:10.2.1.4` |
/// | `NIST-CSF` | `csf:de.cm-3`, `NIST-CSF:DE.CM-03` | `NIST-CSF:DE.CM-03` |
/// | `NIST-800-53` | `800-53:AC-2(12)`, `AC-02(12)`, `ac-2.12`, `AC-2 (12)` | `NIST-800-53:AC-2(12)` |
///
/// NIST SP 800-53 ids are written the way the publication writes them in running text: the
/// family in upper case, the control number without zero padding and an enhancement in
/// parentheses (`AC-2(12)`), not the OSCAL id (`ac-2.12`) or the zero-padded label (`AC-02(12)`).
///
/// HIPAA paragraph letters follow the CFR's levels: `(a)`, `(1)`, `(i)`, `(A)`, so
/// `164.308(A)(1)(II)(a)` normalizes to `164.308(a)(1)(ii)(A)`.
///
/// Any other prefix names a custom framework: the prefix is upper-cased and the id kept as
/// written (trimmed; no spaces).
///
/// Serialized as its string form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlRef {
    pub framework: String,
    pub id: String,
}

impl ControlRef {
    /// Parses and normalizes `FRAMEWORK:ID`.
    pub fn parse(reference: &str) -> Result<ControlRef, ComplianceError> {
        let bad = |reason: String| ComplianceError::BadControlRef { reference: reference.to_owned(), reason };
        let Some((framework, id)) = reference.split_once(':') else {
            return Err(bad("expected FRAMEWORK:ID, e.g. SOC2:CC6.1".into()));
        };
        ControlRef::new(framework, id).map_err(|e| match e {
            ComplianceError::BadControlRef { reason, .. } => bad(reason),
            other => other,
        })
    }

    /// Builds a reference from its two parts, normalizing both.
    pub fn new(framework: &str, id: &str) -> Result<ControlRef, ComplianceError> {
        let bad = |reason: String| ComplianceError::BadControlRef { reference: format!("{framework}:{id}"), reason };
        let framework = canonical_framework(framework).map_err(bad)?;
        let id = normalize_id(&framework, id).map_err(bad)?;
        Ok(ControlRef { framework, id })
    }

    /// This reference in canonical form; one that does not parse is returned unchanged.
    pub fn canonical(&self) -> ControlRef {
        ControlRef::new(&self.framework, &self.id).unwrap_or_else(|_| self.clone())
    }
}

impl fmt::Display for ControlRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.framework, self.id)
    }
}

impl FromStr for ControlRef {
    type Err = ComplianceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ControlRef::parse(s)
    }
}

impl Serialize for ControlRef {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ControlRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ControlRef::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Normalizes a control id of the framework with canonical id `framework`.
pub fn normalize_id(framework: &str, id: &str) -> Result<String, String> {
    let id = id.trim();
    if id.is_empty() {
        return Err("the control id is empty".into());
    }
    match framework {
        SOC2 => soc2_id(id),
        ISO27001 => iso_id(id),
        HIPAA => hipaa_id(id),
        PCI_DSS => pci_id(id),
        NIST_CSF => csf_id(id),
        NIST_800_53 => sp800_53_id(id),
        _ => custom_control_id(id),
    }
}

fn compact_upper(id: &str) -> String {
    id.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
}

fn number(s: &str, what: &str) -> Result<u32, String> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("expected a number for the {what}, found `{s}`"));
    }
    s.parse::<u32>().map_err(|_| format!("the {what} `{s}` is out of range"))
}

/// `CC6.1`, `A1.2`, `C1.1`, `PI1.3`, `P6.5`.
fn soc2_id(id: &str) -> Result<String, String> {
    let s = compact_upper(id);
    let letters: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let rest = &s[letters.len()..];
    let numbers = rest.split_once('.');
    match (letters.as_str(), numbers) {
        ("CC" | "A" | "C" | "PI" | "P", Some((series, point))) => {
            Ok(format!("{letters}{}.{}", number(series, "criterion series")?, number(point, "criterion number")?))
        }
        _ => Err(format!("`{id}` is not a Trust Services Criteria id (e.g. CC6.1, A1.2, C1.1)")),
    }
}

/// `A.8.5`; also `8.5`, `A8.5`, `A.08.05`.
fn iso_id(id: &str) -> Result<String, String> {
    let s = compact_upper(id);
    let body = s.strip_prefix("A.").or_else(|| s.strip_prefix('A')).unwrap_or(&s);
    let parts: Vec<&str> = body.split('.').collect();
    let [theme, control] = parts.as_slice() else {
        return Err(format!("`{id}` is not an ISO/IEC 27001:2022 Annex A id (e.g. A.8.5)"));
    };
    Ok(format!("A.{}.{}", number(theme, "Annex A theme")?, number(control, "Annex A control")?))
}

/// `164.312(b)`; also `45 CFR 164.312(b)`, `§ 164.312 (b)`.
fn hipaa_id(id: &str) -> Result<String, String> {
    let mut s = id.trim();
    for prefix in ["45 C.F.R.", "45 CFR", "45CFR"] {
        if let Some(head) = s.get(..prefix.len())
            && head.eq_ignore_ascii_case(prefix)
        {
            s = s[prefix.len()..].trim_start();
        }
    }
    s = s.trim_start_matches('§').trim_start();
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let not_cfr = || format!("`{id}` is not a 45 CFR 164 citation (e.g. 164.312(b))");
    let (section, mut paragraphs) = match s.find('(') {
        Some(at) => (&s[..at], &s[at..]),
        None => (s.as_str(), ""),
    };
    let Some((part, sec)) = section.split_once('.') else { return Err(not_cfr()) };
    if part != "164" || sec.len() != 3 || !sec.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_cfr());
    }
    let mut out = format!("{part}.{sec}");
    let mut depth = 0;
    while !paragraphs.is_empty() {
        let Some(inner_end) = paragraphs.find(')') else { return Err(format!("`{id}` has an unclosed `(`")) };
        let Some(inner) = paragraphs[..inner_end].strip_prefix('(') else { return Err(not_cfr()) };
        // The CFR's paragraph levels: (a), (1), (i), (A), then (1) and (i) again.
        let letters = |upper: bool| {
            if inner.is_empty() || !inner.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(format!("`{id}`: paragraph `({inner})` should be a letter or roman numeral"));
            }
            Ok(if upper { inner.to_ascii_uppercase() } else { inner.to_ascii_lowercase() })
        };
        let normalized = match depth {
            1 | 4 => number(inner, "paragraph")?.to_string(),
            3 => letters(true)?,
            _ => letters(false)?,
        };
        out.push('(');
        out.push_str(&normalized);
        out.push(')');
        paragraphs = &paragraphs[inner_end + 1..];
        depth += 1;
    }
    Ok(out)
}

/// `10.2.1.4`.
fn pci_id(id: &str) -> Result<String, String> {
    let s = compact_upper(id);
    let s = s.strip_prefix("REQ.").or_else(|| s.strip_prefix("REQ")).unwrap_or(&s);
    let parts = s.split('.').map(|p| number(p, "requirement number")).collect::<Result<Vec<_>, _>>();
    match parts {
        Ok(parts) if parts.len() <= 5 => Ok(parts.iter().map(u32::to_string).collect::<Vec<_>>().join(".")),
        _ => Err(format!("`{id}` is not a PCI DSS requirement number (e.g. 10.2.1.4)")),
    }
}

/// `DE.CM-03` (subcategory) or `DE.CM` (category); `de.cm-3` is accepted.
fn csf_id(id: &str) -> Result<String, String> {
    let s = compact_upper(id);
    let not_csf = || format!("`{id}` is not a NIST CSF 2.0 id (e.g. DE.CM-03 or DE.CM)");
    let Some((function, rest)) = s.split_once('.') else { return Err(not_csf()) };
    let (category, sub) = match rest.split_once('-') {
        Some((c, n)) => (c, Some(n)),
        None => (rest, None),
    };
    let two_letters = |x: &str| x.len() == 2 && x.chars().all(|c| c.is_ascii_uppercase());
    if !two_letters(function) || !two_letters(category) {
        return Err(not_csf());
    }
    match sub {
        Some(n) => Ok(format!("{function}.{category}-{:02}", number(n, "subcategory number")?)),
        None => Ok(format!("{function}.{category}")),
    }
}

/// `AC-2(12)`; also `AC-02(12)`, `ac-2.12`, `AC-2 (12)`, `AC2`.
fn sp800_53_id(id: &str) -> Result<String, String> {
    let s = compact_upper(id);
    let not_800_53 = || format!("`{id}` is not a NIST SP 800-53 id (e.g. AC-2 or AC-2(12))");
    let family: String = s.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    if family.len() != 2 {
        return Err(not_800_53());
    }
    let rest = &s[2..];
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let (base, enhancement) = if let Some(open) = rest.find('(') {
        let Some(inner) = rest[open + 1..].strip_suffix(')') else { return Err(not_800_53()) };
        (&rest[..open], Some(inner))
    } else if let Some((b, e)) = rest.split_once('.') {
        (b, Some(e))
    } else {
        (rest, None)
    };
    let base = number(base, "control number").map_err(|_| not_800_53())?;
    match enhancement {
        Some(e) => Ok(format!("{family}-{base}({})", number(e, "enhancement number").map_err(|_| not_800_53())?)),
        None => Ok(format!("{family}-{base}")),
    }
}

/// A custom framework's control id: kept as written, without spaces or control characters.
pub(crate) fn custom_control_id(id: &str) -> Result<String, String> {
    if id.is_empty() {
        return Err("the control id is empty".into());
    }
    if id.chars().count() > 128 {
        return Err("a control id has at most 128 characters".into());
    }
    if let Some(c) = id.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("control id `{id}` contains {c:?}"));
    }
    Ok(id.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        match ControlRef::parse(s) {
            Ok(r) => r.to_string(),
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn prefixes_are_case_insensitive_and_canonical() {
        assert_eq!(canon("soc2:cc6.1"), "SOC2:CC6.1");
        assert_eq!(canon("Soc2:A1.2"), "SOC2:A1.2");
        assert_eq!(canon("iso:a.8.5"), "ISO27001:A.8.5");
        assert_eq!(canon("iso27001:8.5"), "ISO27001:A.8.5");
        assert_eq!(canon("ISO27001:A.08.05"), "ISO27001:A.8.5");
        assert_eq!(canon("pci:10.2.1.4"), "PCI-DSS:10.2.1.4");
        assert_eq!(canon("pci_dss:8.3.1"), "PCI-DSS:8.3.1");
        assert_eq!(canon("csf:de.cm-3"), "NIST-CSF:DE.CM-03");
        assert_eq!(canon("NIST-CSF:DE.CM"), "NIST-CSF:DE.CM");
        assert_eq!(canon("acme-sec:SEC-1"), "ACME-SEC:SEC-1");
    }

    #[test]
    fn hipaa_citations_normalize() {
        assert_eq!(canon("HIPAA:164.312(b)"), "HIPAA:164.312(b)");
        assert_eq!(canon("hipaa:45 CFR 164.312(b)"), "HIPAA:164.312(b)");
        assert_eq!(canon("HIPAA:§ 164.312 (b)"), "HIPAA:164.312(b)");
        assert_eq!(canon("HIPAA:164.308(A)(1)(II)(a)"), "HIPAA:164.308(a)(1)(ii)(A)");
        assert_eq!(canon("HIPAA:164.402"), "HIPAA:164.402");
    }

    #[test]
    fn sp800_53_forms_normalize_to_one() {
        for s in
            ["800-53:AC-2(12)", "NIST-800-53:AC-02(12)", "nist-800-53:ac-2.12", "800-53:AC-2 (12)", "800-53:ac02(012)"]
        {
            assert_eq!(canon(s), "NIST-800-53:AC-2(12)", "{s}");
        }
        assert_eq!(canon("800-53:si-4"), "NIST-800-53:SI-4");
        assert_eq!(canon("800-53:AU-09"), "NIST-800-53:AU-9");
    }

    #[test]
    fn bad_references_say_why() {
        let cases = [
            ("CC6.1", "expected FRAMEWORK:ID"),
            ("SOC2:", "empty"),
            ("SOC2:X6.1", "Trust Services Criteria"),
            ("ISO27001:A.8", "Annex A"),
            ("ISO27001:A.8.x", "Annex A control"),
            ("HIPAA:164.312b", "45 CFR 164"),
            ("HIPAA:164.312(b", "unclosed"),
            ("HIPAA:165.312(b)", "45 CFR 164"),
            ("PCI-DSS:10.x", "PCI DSS"),
            ("NIST-CSF:DECM-03", "NIST CSF"),
            ("NIST-CSF:DE.CM-x", "subcategory number"),
            ("NIST-800-53:A-2", "800-53"),
            ("NIST-800-53:AC-2(12", "800-53"),
            ("ACME SEC:1", "contains ` `"),
            (":CC6.1", "prefix is empty"),
            ("ACME:SEC 1", "contains ' '"),
        ];
        for (input, why) in cases {
            match ControlRef::parse(input) {
                Ok(r) => panic!("{input} parsed as {r}"),
                Err(e) => {
                    let msg = e.to_string();
                    assert!(msg.contains(input), "{input}: {msg}");
                    assert!(msg.contains(why), "{input}: {msg} (wanted {why})");
                }
            }
        }
    }

    #[test]
    fn serde_uses_the_string_form() {
        let r = ControlRef::parse("iso:a.8.16").ok();
        let json = serde_json::to_string(&r).ok();
        assert_eq!(json.as_deref(), Some("\"ISO27001:A.8.16\""));
        let back: Option<ControlRef> = json.and_then(|j| serde_json::from_str(&j).ok());
        assert_eq!(back, r);
        assert!(serde_json::from_str::<ControlRef>("\"SOC2\"").is_err());
    }
}
