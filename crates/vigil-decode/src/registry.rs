//! The decoder registry: what every decoder declares, and the [`Format`] handle that names one.
//!
//! A decoder is a unit struct implementing [`Decoder`]; [`crate::DECODERS`] lists them all, in
//! sniffing order. Everything else that needs to know the decoders reads that list: the names
//! `--format` accepts and its help text ([`Format`]), which vendor a JSON record is
//! ([`crate::detect`]), which decoder a test-fixture envelope declares, and the Sigma logsource
//! the detection engine routes a record to ([`Decoder::logsource`]).

use serde_json::Value;
use vigil_model::OcsfClass;

use crate::{DECODERS, DecodeError, Draft};

/// One vendor format: how it is named, recognised, decoded and routed.
///
/// Implementations are stateless unit structs; [`crate::DECODERS`] holds one of each.
pub trait Decoder: Sync {
    /// The name on the command line (`--format`) and in quarantine records: lower case, unique.
    fn name(&self) -> &'static str;

    /// Other names `--format` accepts for this decoder (lower case, unique across the registry).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The family hashed into every [`vigil_model::EventId`] this decoder gives. Changing it
    /// changes the id of every event already stored, so a shipped decoder keeps its family.
    /// Decoders that read the same records in other framings share one (EVTX and Windows JSON).
    fn family(&self) -> &'static str;

    /// One line for `--format` help.
    fn description(&self) -> &'static str;

    /// Whether one JSON record (a test-fixture envelope already unwrapped) is this vendor's.
    /// Sniffing asks the decoders in registry order and the first that answers yes reads the
    /// record, so this must look at keys only this vendor writes. The default, never, leaves the
    /// decoder to be named with `--format` or reached through its framing (EVTX).
    fn recognizes(&self, record: &Value) -> bool {
        let _ = record;
        false
    }

    /// Whether a test-fixture envelope's declared log type (`log_types[0]` or `p_log_type`,
    /// such as `AWS.CloudTrail`) names this decoder's records.
    fn fixture_log_type(&self, log_type: &str) -> bool {
        let _ = log_type;
        false
    }

    /// The record as this decoder reads it, when that differs from the record as written: a
    /// shape whose event data needs naming or parsing before it can be read (PowerShell's unnamed
    /// `Properties`, a Sentinel row's `EventData` XML). `None`, the default, reads the record as
    /// it is. The event id still hashes the record as written, so it is the same whether or not
    /// a later version reshapes it; the Sigma view and the decode read the reshaped record.
    fn reshape(&self, record: &Value) -> Option<Value> {
        let _ = record;
        None
    }

    /// Normalizes one record: `draft.start` it with its class and time and fill the event, or
    /// return why it cannot be read (the record is then quarantined with that reason).
    fn decode(&self, record: &Value, draft: &mut Draft) -> Result<(), DecodeError>;

    /// Whether [`Decoder::decode`] would read the record, without building the event: the same
    /// checks of the fields it cannot do without, through the same functions, so the two never
    /// disagree (a property test holds every decoder to it). The offline scan counts the
    /// records no rule matched through this instead of normalizing each.
    fn admits(&self, record: &Value) -> Result<(), DecodeError>;

    /// The OCSF classes its events may have.
    fn classes(&self) -> &'static [OcsfClass];

    /// The Sigma logsource its records satisfy: the rules that see them.
    fn logsource(&self) -> LogSource;

    /// For decoders routed by [`Service::LogName`] or [`Service::OneOf`], the log name a record
    /// states itself (Zeek's `_path`, the Azure log category's service); for [`Service::LogName`]
    /// the file name's stem is used when it states none.
    fn log_name<'v>(&self, record: &'v Value) -> Option<&'v str> {
        let _ = record;
        None
    }

    /// For a security product's own alert (an EDR's detection, a cloud security service's
    /// alert, an IDS signature hit): the finding the record states, which the detection engine
    /// raises as a vendor alert beside the rules' own, so triage treats it like Vigil's. `None`,
    /// the default, for a record of activity. A finding the vendor already closed
    /// ([`Finding::open`] false) stays an event and raises nothing.
    fn finding(&self, record: &Value) -> Option<Finding> {
        let _ = record;
        None
    }

    /// A small, valid record of this vendor, as read from a file (one JSON line). Sniffing
    /// recognises it as this decoder's family and decoding it gives an event of one of
    /// [`Decoder::classes`]; the conformance tests hold every decoder to that.
    fn sample(&self) -> &'static str;
}

/// A security product's own alert, as its record states it ([`Decoder::finding`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The product that raised it, as the alert names it (`CrowdStrike Falcon`).
    pub product: String,
    /// What the alert is grouped and tuned by: the product's name for this kind of detection,
    /// prefixed with the decoder (`crowdstrike:Known Malware`, `suricata:2001219`).
    pub rule_id: String,
    /// The product's title for this alert.
    pub title: String,
    /// The product's own words about it, when it has them.
    pub description: Option<String>,
    pub level: vigil_model::Level,
    /// The product's id of the alert (its composite id, alert id, signature and flow), which
    /// makes the alert the same however often the product re-delivers it.
    pub uid: Option<String>,
    /// Whether the product still holds it open: a finding it already resolved is kept as an event
    /// and raises no alert.
    pub open: bool,
    /// Sigma-style tags from the product's ATT&CK mapping (`attack.execution`, `attack.t1204`).
    pub tags: Vec<String>,
    /// How sure the product is, 0–100, when it says.
    pub confidence: Option<u8>,
    /// Where the product shows it (a console link), for the analyst.
    pub link: Option<String>,
}

impl Finding {
    /// An ATT&CK tactic's name as a Sigma tag (`Credential Access`, `CredentialAccess` →
    /// `attack.credential-access`); `None` for a name that is not one of ATT&CK's tactics
    /// (products use the field for their own words too: `Malware`, `AnonymousLogin`).
    pub fn tactic_tag(name: &str) -> Option<String> {
        let mut words = String::new();
        for (i, c) in name.trim().chars().enumerate() {
            if c.is_ascii_uppercase() && i > 0 && !words.ends_with('_') {
                words.push('_');
            }
            match c {
                ' ' | '-' | '_' if !words.ends_with('_') => words.push('_'),
                ' ' | '-' | '_' => {}
                c => words.push(c.to_ascii_lowercase()),
            }
        }
        vigil_model::TACTICS.contains(&words.as_str()).then(|| format!("attack.{}", words.replace('_', "-")))
    }

    /// An ATT&CK technique id as a Sigma tag (`T1059.001` → `attack.t1059.001`); `None` for
    /// anything that is not one.
    pub fn technique_tag(id: &str) -> Option<String> {
        let id = id.trim();
        let rest = id.strip_prefix('T').or_else(|| id.strip_prefix('t'))?;
        let (main, sub) = rest.split_once('.').map_or((rest, None), |(m, s)| (m, Some(s)));
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        (digits(main, 4) && sub.is_none_or(|s| digits(s, 3))).then(|| format!("attack.{}", id.to_ascii_lowercase()))
    }
}

/// A Sigma logsource (`product`, `service`, `category`), as a decoder declares it for its records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSource {
    /// `None`: only rules that leave the product open see the records.
    pub product: Option<&'static str>,
    pub service: Service,
    /// `None`: only rules that leave the category open see the records.
    pub category: Option<&'static str>,
}

impl LogSource {
    /// No product, service or category: seen only by rules that name none.
    pub const NONE: LogSource = LogSource { product: None, service: Service::None, category: None };

    /// A product and one service, no category (`aws` / `cloudtrail`).
    pub const fn fixed(product: &'static str, service: &'static str) -> LogSource {
        LogSource { product: Some(product), service: Service::Fixed(service), category: None }
    }
}

/// How a decoder's records get their Sigma `service`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// No service.
    None,
    /// Every record has this one.
    Fixed(&'static str),
    /// The record's log name ([`Decoder::log_name`], else the file name's stem): Zeek's `conn`,
    /// `dns` …, so a rule for any log name can be routed.
    LogName,
    /// One of these, as the record states it ([`Decoder::log_name`]): Azure's `signinlogs`,
    /// `auditlogs` … . Only rules naming one of them are routed; a record stating none of them
    /// has no service.
    OneOf(&'static [&'static str]),
    /// The record's event channel, and its categories by event id, through the Windows routing
    /// tables of the detection engine. A record in no Windows shape satisfies no logsource.
    WindowsChannel,
}

/// A decoder, as chosen on the command line: [`Format::Auto`] (recognise by content) or one
/// entry of [`crate::DECODERS`]. Parsed from a decoder's name or alias, case-insensitively.
#[derive(Clone, Copy)]
pub struct Format(Option<&'static dyn Decoder>);

impl Format {
    /// Recognise each payload and record by content.
    #[allow(non_upper_case_globals)]
    pub const Auto: Format = Format(None);

    pub(crate) const fn of(d: &'static dyn Decoder) -> Format {
        Format(Some(d))
    }

    /// The decoder, or `None` for [`Format::Auto`].
    pub fn decoder(self) -> Option<&'static dyn Decoder> {
        self.0
    }

    /// The name `--format` gives it (`auto` for [`Format::Auto`]).
    pub fn name(self) -> &'static str {
        self.0.map_or("auto", |d| d.name())
    }

    /// The decoder registered under `name` or one of its aliases (any case), or `auto`.
    pub fn named(name: &str) -> Option<Format> {
        let name = name.trim().to_ascii_lowercase();
        if name == "auto" {
            return Some(Format::Auto);
        }
        DECODERS.iter().find(|d| d.name() == name || d.aliases().contains(&name.as_str())).map(|d| Format::of(*d))
    }

    /// Every choice, `auto` first, then the registry in order.
    pub fn all() -> impl Iterator<Item = Format> {
        std::iter::once(Format::Auto).chain(DECODERS.iter().map(|d| Format::of(*d)))
    }

    /// Every name `--format` accepts as the main one: `auto` and each decoder's name.
    pub fn names() -> Vec<&'static str> {
        Format::all().map(Format::name).collect()
    }

    /// One line of help for `--format`: what it does and the names it takes.
    pub fn help() -> String {
        format!("Decoder to use instead of content sniffing: {}", Format::names().join(", "))
    }

    /// The long help for `--format`: each name with its aliases and description.
    pub fn long_help() -> String {
        let mut out = String::from(
            "Decoder to use instead of content sniffing. By default each payload and each record is recognised by \
             its content; name a decoder to read every record with it.\n",
        );
        out.push_str("\n  auto: recognise each payload and record by content (the default)");
        for d in DECODERS {
            out.push_str(&format!("\n  {}: {}", d.name(), d.description()));
            if !d.aliases().is_empty() {
                out.push_str(&format!(" (also: {})", d.aliases().join(", ")));
            }
        }
        out
    }
}

impl PartialEq for Format {
    fn eq(&self, other: &Format) -> bool {
        self.name() == other.name()
    }
}

impl Eq for Format {}

impl std::hash::Hash for Format {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name().hash(state);
    }
}

impl PartialOrd for Format {
    fn partial_cmp(&self, other: &Format) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// In registry order, `auto` first.
impl Ord for Format {
    fn cmp(&self, other: &Format) -> std::cmp::Ordering {
        let rank = |f: &Format| match f.0 {
            None => 0,
            Some(d) => 1 + DECODERS.iter().position(|x| x.name() == d.name()).unwrap_or(DECODERS.len()),
        };
        rank(self).cmp(&rank(other))
    }
}

impl std::fmt::Debug for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Format({})", self.name())
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::named(s).ok_or_else(|| {
            format!("unknown format {:?}; expected one of {}", s.to_ascii_lowercase(), Format::names().join(", "))
        })
    }
}

/// The decoder a family belongs to (the first registered, where several share one).
pub fn by_family(family: &str) -> Option<&'static dyn Decoder> {
    DECODERS.iter().find(|d| d.family() == family).copied()
}

/// The decoder whose records a test-fixture envelope's log type declares.
pub(crate) fn by_fixture_log_type(log_type: &str) -> Option<&'static dyn Decoder> {
    DECODERS.iter().find(|d| d.fixture_log_type(log_type)).copied()
}
