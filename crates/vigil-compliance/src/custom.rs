//! Custom frameworks in YAML (`format: vigil-framework/1`).
//!
//! The file is read with hand-written serde visitors so that every check (unknown field,
//! duplicate control id, empty title, bad `maps_to`, an id clashing with a built-in framework)
//! fails while the parser stands on the offending node: the error then carries that node's
//! line, column and path (`controls[1].title`).

use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::ComplianceError;
use crate::catalog::{self, Catalog, Control, Framework};
use crate::refs::{self, ControlRef};

/// The `format` a custom framework file must declare.
pub const FRAMEWORK_FORMAT: &str = "vigil-framework/1";

const FRAMEWORK_FIELDS: &[&str] = &["format", "id", "name", "version", "source", "licence", "controls"];
const CONTROL_FIELDS: &[&str] = &["id", "title", "group", "soc_ops_relevant", "maps_to"];

/// Parses a custom framework:
///
/// ```yaml
/// format: vigil-framework/1
/// id: ACME-SEC          # the ControlRef prefix (upper-cased)
/// name: Acme security standard
/// version: "2026"       # optional, as are source and licence
/// controls:
///   - id: SEC-1
///     title: Security events are monitored
///     group: Operations             # optional
///     soc_ops_relevant: true        # optional, default false
///     maps_to: [SOC2:CC7.2, ISO27001:A.8.16]   # optional
/// ```
///
/// `maps_to` may name controls of the built-in frameworks; to map to another custom framework,
/// load both into one catalog with [`Catalog::load_custom_yaml`]. Errors name the file, the line
/// and column, and the field.
pub fn load_framework_yaml(text: &str, file_name: &str) -> Result<Framework, ComplianceError> {
    parse(text, file_name, Catalog::builtin_ref()?)
}

pub(crate) fn parse(text: &str, file_name: &str, catalog: &Catalog) -> Result<Framework, ComplianceError> {
    let de = yaml_serde::Deserializer::from_str(text);
    FrameworkSeed { catalog }.deserialize(de).map_err(|e| yaml_error(file_name, &e))
}

fn yaml_error(file: &str, error: &yaml_serde::Error) -> ComplianceError {
    let mut message = error.to_string();
    let location = error.location();
    if let Some(loc) = &location
        && let Some(stripped) = message.strip_suffix(&format!(" at line {} column {}", loc.line(), loc.column()))
    {
        message = stripped.to_owned();
    }
    // yaml_serde writes `path: message` for errors inside a document (`controls[1].title: …`).
    let mut field = None;
    if let Some((path, rest)) = message.split_once(": ")
        && !path.is_empty()
        && path.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '[' | ']' | '-'))
    {
        field = Some(path.to_owned());
        message = rest.to_owned();
    }
    ComplianceError::Yaml {
        file: file.to_owned(),
        line: location.as_ref().map(|l| l.line()),
        column: location.as_ref().map(|l| l.column()),
        field,
        message,
    }
}

/// A string scalar checked while the parser is on it.
struct CheckedStr<F, T> {
    check: F,
    expecting: &'static str,
    out: PhantomData<T>,
}

fn checked<F, T>(expecting: &'static str, check: F) -> CheckedStr<F, T>
where
    F: FnOnce(&str) -> Result<T, String>,
{
    CheckedStr { check, expecting, out: PhantomData }
}

impl<'de, F, T> DeserializeSeed<'de> for CheckedStr<F, T>
where
    F: FnOnce(&str) -> Result<T, String>,
{
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de, F, T> Visitor<'de> for CheckedStr<F, T>
where
    F: FnOnce(&str) -> Result<T, String>,
{
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.check)(v).map_err(E::custom)
    }
}

/// A mapping key: one of `allowed`, seen once.
struct Key<'a> {
    allowed: &'static [&'static str],
    seen: &'a mut Vec<&'static str>,
}

impl<'de> DeserializeSeed<'de> for Key<'_> {
    type Value = &'static str;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<&'static str, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key<'_> {
    type Value = &'static str;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<&'static str, E> {
        let Some(field) = self.allowed.iter().find(|a| **a == v) else {
            return Err(E::unknown_field(v, self.allowed));
        };
        if self.seen.contains(field) {
            return Err(E::duplicate_field(field));
        }
        self.seen.push(field);
        Ok(field)
    }
}

fn non_empty(field: &'static str) -> impl FnOnce(&str) -> Result<String, String> {
    move |s| match s.trim() {
        "" => Err(format!("{field} must not be empty")),
        t => Ok(t.to_owned()),
    }
}

struct FrameworkSeed<'c> {
    catalog: &'c Catalog,
}

impl<'de> DeserializeSeed<'de> for FrameworkSeed<'_> {
    type Value = Framework;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Framework, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FrameworkSeed<'_> {
    type Value = Framework;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a {FRAMEWORK_FORMAT} framework (a mapping with format, id, name and controls)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Framework, A::Error> {
        let catalog = self.catalog;
        let mut seen = Vec::new();
        let (mut format, mut id, mut name, mut version, mut source, mut licence, mut controls) =
            (None, None, None, None, None, None, None);
        while let Some(key) = map.next_key_seed(Key { allowed: FRAMEWORK_FIELDS, seen: &mut seen })? {
            match key {
                "format" => {
                    format = Some(map.next_value_seed(checked("the format name", |s| match s.trim() {
                        FRAMEWORK_FORMAT => Ok(()),
                        other => Err(format!("format must be `{FRAMEWORK_FORMAT}`, not `{other}`")),
                    }))?)
                }
                "id" => {
                    id = Some(map.next_value_seed(checked("a framework id", |s| {
                        catalog::check_custom_framework_id(s, catalog)
                    }))?)
                }
                "name" => name = Some(map.next_value_seed(checked("a name", non_empty("name")))?),
                "version" => version = Some(map.next_value_seed(checked("a version", |s| Ok(s.trim().to_owned())))?),
                "source" => source = Some(map.next_value_seed(checked("a source", |s| Ok(s.trim().to_owned())))?),
                "licence" => licence = Some(map.next_value_seed(checked("a licence", |s| Ok(s.trim().to_owned())))?),
                _ => controls = Some(map.next_value_seed(ControlsSeed { catalog })?),
            }
        }
        let () = format.ok_or_else(|| de::Error::missing_field("format"))?;
        let id: String = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        let controls: Vec<Control> = controls.ok_or_else(|| de::Error::missing_field("controls"))?;
        Ok(Framework {
            id,
            name,
            version: version.unwrap_or_default(),
            source: source.unwrap_or_default(),
            licence: licence.unwrap_or_default(),
            controls,
        })
    }
}

struct ControlsSeed<'c> {
    catalog: &'c Catalog,
}

impl<'de> DeserializeSeed<'de> for ControlsSeed<'_> {
    type Value = Vec<Control>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Control>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ControlsSeed<'_> {
    type Value = Vec<Control>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of controls")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Control>, A::Error> {
        let mut controls = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        while let Some(control) = seq.next_element_seed(ControlSeed { catalog: self.catalog, ids: &ids })? {
            ids.insert(control.id.clone(), controls.len());
            controls.push(control);
        }
        if controls.is_empty() {
            return Err(de::Error::custom("controls must list at least one control"));
        }
        Ok(controls)
    }
}

struct ControlSeed<'a> {
    catalog: &'a Catalog,
    ids: &'a HashMap<String, usize>,
}

impl<'de> DeserializeSeed<'de> for ControlSeed<'_> {
    type Value = Control;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Control, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ControlSeed<'_> {
    type Value = Control;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a control (a mapping with id and title)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Control, A::Error> {
        let mut seen = Vec::new();
        let (mut id, mut title, mut group, mut soc_ops_relevant, mut maps_to) = (None, None, None, None, None);
        while let Some(key) = map.next_key_seed(Key { allowed: CONTROL_FIELDS, seen: &mut seen })? {
            match key {
                "id" => {
                    id = Some(map.next_value_seed(checked("a control id", |s| {
                        let id = refs::custom_control_id(s.trim())?;
                        match self.ids.get(&id) {
                            Some(first) => {
                                Err(format!("duplicate control id `{id}` (already used by controls[{first}])"))
                            }
                            None => Ok(id),
                        }
                    }))?)
                }
                "title" => title = Some(map.next_value_seed(checked("a title", non_empty("title")))?),
                "group" => group = Some(map.next_value_seed(checked("a group", non_empty("group")))?),
                "soc_ops_relevant" => soc_ops_relevant = Some(map.next_value::<bool>()?),
                _ => maps_to = Some(map.next_value_seed(MapsToSeed { catalog: self.catalog })?),
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let title = title.ok_or_else(|| de::Error::missing_field("title"))?;
        Ok(Control {
            id,
            title,
            group,
            soc_ops_relevant: soc_ops_relevant.unwrap_or(false),
            kind: None,
            designation: None,
            maps_to: maps_to.unwrap_or_default(),
        })
    }
}

struct MapsToSeed<'c> {
    catalog: &'c Catalog,
}

impl<'de> DeserializeSeed<'de> for MapsToSeed<'_> {
    type Value = Vec<ControlRef>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<ControlRef>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for MapsToSeed<'_> {
    type Value = Vec<ControlRef>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of control references such as SOC2:CC7.2")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<ControlRef>, A::Error> {
        let mut out: Vec<ControlRef> = Vec::new();
        while let Some(r) = seq.next_element_seed(checked("a control reference such as SOC2:CC7.2", |s| {
            catalog::check_maps_to(s, self.catalog)
        }))? {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        Ok(out)
    }
}
