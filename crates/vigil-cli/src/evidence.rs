//! `vigil case export`, `vigil verify`, `vigil audit verify|checkpoint|witness|public-key`,
//! `vigil evidence …` and `vigil compliance …`: thin calls into `vigil-vault`,
//! `vigil-evidence` and `vigil-compliance`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use vigil_app::{App, Caller};
use vigil_compliance::Catalog;
use vigil_evidence::SignedCheckpoint;
use vigil_evidence::packet::{TrustedKey, VerifyReport, verify_packet_trusting};
use vigil_pipeline::DataDir;
use vigil_vault::{ExportOptions, ledger, vault};

use crate::queue::{now_ms, when};

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

/// A date (`2026-11-01`), a date and time (RFC 3339) or milliseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i64> {
    Ok(vigil_metrics::parse_instant(s)?)
}

/// The catalog with any custom frameworks loaded.
pub fn catalog(custom: &[PathBuf]) -> Result<Catalog> {
    let mut c = Catalog::builtin().context("loading the built-in compliance catalogs")?;
    for p in custom {
        let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        c.load_custom_yaml(&text, &p.display().to_string())?;
    }
    Ok(c)
}

pub fn export(dir: &DataDir, id: &str, out: &Path, margin_hours: i64, who: &Caller, json: bool) -> Result<()> {
    let cat = catalog(&[])?;
    let opts = ExportOptions { margin_ms: margin_hours.max(0) * 3_600_000, ..ExportOptions::default() };
    let (bytes, ex) = App::new(dir.root()).export_case(who, id, &cat, &opts)?;
    if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    if json {
        return print_json(&serde_json::json!({"out": out.display().to_string(), "export": ex}));
    }
    println!("{} exported to {} ({} bytes, SHA-256 {})", ex.case_id, out.display(), ex.size, ex.sha256);
    println!(
        "  {} files; {} log records from {} to {}; {} ledger entries proven in the checkpoint of {} entries",
        ex.files.len(),
        ex.log_records,
        when(ex.from_ms),
        when(ex.to_ms),
        ex.ledger_entries,
        ex.checkpoint.checkpoint.size
    );
    println!("  controls: {}", if ex.controls.is_empty() { "-".to_string() } else { ex.controls.join(", ") });
    println!(
        "  kept in the vault as item {}; verify with: vigil verify {} --public-key <key>",
        ex.vault_item,
        out.display()
    );
    Ok(())
}

/// A public key given as 64 hex digits or as a file holding them.
fn read_key(arg: &str) -> Result<String> {
    let p = Path::new(arg);
    let text = if p.exists() {
        std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?
    } else {
        arg.to_string()
    };
    let key = text.split_whitespace().next().unwrap_or_default().to_ascii_lowercase();
    if key.len() != 64 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        bail!("{arg:?} is not a public key (64 hex digits) or a file holding one");
    }
    Ok(key)
}

/// Checkpoints the reader holds: a checkpoint JSON file, or an earlier packet (its checkpoint).
fn read_known(paths: &[PathBuf]) -> Result<Vec<SignedCheckpoint>> {
    let mut out = Vec::new();
    for p in paths {
        let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
        if bytes.starts_with(b"PK") {
            out.push(
                vigil_evidence::packet::checkpoint_of(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            );
        } else {
            out.push(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a signed checkpoint", p.display()))?,
            );
        }
    }
    Ok(out)
}

pub fn verify(
    packet: &Path,
    public_key: Option<&str>,
    fingerprint: Option<&str>,
    known: &[PathBuf],
    json: bool,
) -> Result<bool> {
    let bytes = std::fs::read(packet).with_context(|| format!("reading {}", packet.display()))?;
    let trusted = match (public_key.map(read_key).transpose()?, fingerprint) {
        (Some(k), _) => Some(TrustedKey::PublicKey(k)),
        (None, Some(f)) => Some(TrustedKey::Fingerprint(f.to_string())),
        (None, None) => None,
    };
    let known = read_known(known)?;
    let r = verify_packet_trusting(&bytes, trusted.as_ref(), &known);
    if json {
        print_json(&r)?;
    } else {
        print_report(packet, &r);
    }
    Ok(r.ok())
}

fn print_report(packet: &Path, r: &VerifyReport) {
    for p in &r.passed {
        println!("  ok    {p}");
    }
    for p in &r.problems {
        println!("  FAIL  {p}");
    }
    if r.ok() {
        println!(
            "{}: VERIFIED — case {}, {} files, {} ledger entries, tree size {}, pinned key {} (sha256 {})",
            packet.display(),
            r.case_id,
            r.files,
            r.entries,
            r.tree_size,
            r.key_id,
            r.key_fingerprint,
        );
    } else {
        println!("{}: NOT VERIFIED — {} problem(s)", packet.display(), r.problems.len());
    }
}

#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Put a file in the vault with its scope (case, controls, period).
    Add {
        /// The file to keep.
        file: PathBuf,
        /// Its name in the vault (default: the file name).
        #[arg(long)]
        name: Option<String>,
        /// The case it is evidence for.
        #[arg(long)]
        case: Option<String>,
        /// Control refs (`SOC2:CC7.2`); repeat for several.
        #[arg(long = "control")]
        controls: Vec<String>,
        /// The period it covers.
        #[arg(long)]
        from: Option<String>,
        /// The end of the period it covers.
        #[arg(long)]
        to: Option<String>,
        /// Where it came from (a system, a report).
        #[arg(long, default_value = "manual upload")]
        source: String,
        /// Days to keep it; kept until a person purges it otherwise.
        #[arg(long)]
        retain_days: Option<i64>,
    },
    /// Artifacts in the vault.
    List {
        /// Only the artifacts of this case.
        #[arg(long)]
        case: Option<String>,
    },
    /// Write an artifact out, checking its hash (a custody event).
    Get {
        /// The artifact's SHA-256 (from `vigil evidence list`).
        sha256: String,
        /// Where it is written.
        #[arg(long)]
        out: PathBuf,
    },
    /// Place a legal hold on a case's evidence.
    Hold {
        /// The case whose evidence is held.
        case: String,
        /// Why (a matter, a request); on the ledger.
        #[arg(long)]
        reason: String,
    },
    /// Release a legal hold.
    Release {
        /// The case whose hold ends.
        case: String,
        /// Why; on the ledger.
        #[arg(long)]
        reason: String,
    },
    /// Purge artifacts whose retention has passed (not those under a legal hold).
    Purge,
    /// Check every artifact's bytes against its hash.
    Verify,
}

pub fn evidence(dir: &DataDir, cmd: EvidenceCommand, who: &Caller, json: bool) -> Result<()> {
    let app = App::new(dir.root());
    let now = app.now_ms();
    match cmd {
        EvidenceCommand::Add { file, name, case, controls, from, to, source, retain_days } => {
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let mut refs = Vec::new();
            for c in &controls {
                refs.push(vigil_compliance::ControlRef::parse(c)?.to_string());
            }
            let frameworks: std::collections::BTreeSet<String> =
                refs.iter().filter_map(|c| c.split_once(':').map(|(f, _)| f.to_string())).collect();
            let meta = vault::ItemMeta {
                name: name
                    .unwrap_or_else(|| file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()),
                media_type: "application/octet-stream".into(),
                kind: "artifact".into(),
                scope: vault::Scope {
                    case_id: case,
                    frameworks: frameworks.into_iter().collect(),
                    controls: refs,
                    from_ms: from.as_deref().map(parse_time).transpose()?,
                    to_ms: to.as_deref().map(parse_time).transpose()?,
                },
                source,
                collector: format!("vigil {} evidence add", env!("CARGO_PKG_VERSION")),
                added_by: who.name(),
                retain_until_ms: retain_days.map(|d| now + d * 86_400_000),
            };
            let (item, entry) = app.add_evidence(who, &bytes, &meta)?;
            if json {
                return print_json(&item);
            }
            println!(
                "added {} as vault item {} (SHA-256 {}, ledger entry {})",
                item.meta.name, item.id, item.sha256, entry.seq
            );
        }
        EvidenceCommand::List { case } => {
            let items = app.evidence_items(who, case.as_deref())?;
            if json {
                return print_json(&items);
            }
            println!(
                "{:>4}  {:<16}  {:<8}  {:>9}  {:<14}  {:<10}  name",
                "id", "added", "kind", "bytes", "case", "sha256"
            );
            for i in &items {
                println!(
                    "{:>4}  {:<16}  {:<8}  {:>9}  {:<14}  {:<10}  {}{}",
                    i.id,
                    when(i.added_ms),
                    i.meta.kind,
                    i.size,
                    i.meta.scope.case_id.as_deref().unwrap_or("-"),
                    &i.sha256[..10.min(i.sha256.len())],
                    i.meta.name,
                    if i.purged_ms.is_some() { " (purged)" } else { "" }
                );
            }
        }
        EvidenceCommand::Get { sha256, out } => {
            let d = app.read_artifact(who, &sha256, &out.display().to_string())?;
            std::fs::write(&out, &d.bytes).with_context(|| format!("writing {}", out.display()))?;
            println!("wrote {} ({} bytes, hash checked)", out.display(), d.bytes.len());
        }
        EvidenceCommand::Hold { case, reason } => {
            app.legal_hold(who, &case, true, &reason)?;
            println!("legal hold placed on {case}");
        }
        EvidenceCommand::Release { case, reason } => {
            app.legal_hold(who, &case, false, &reason)?;
            println!("legal hold on {case} released");
        }
        EvidenceCommand::Purge => {
            let r = app.purge_expired(who)?;
            if json {
                return print_json(&r);
            }
            println!("{} purged, {} held by a legal hold, {} kept", r.purged.len(), r.held.len(), r.kept);
        }
        EvidenceCommand::Verify => {
            let (n, problems) = app.verify_vault(who)?;
            if json {
                print_json(&serde_json::json!({"items": n, "problems": problems}))?;
            } else {
                for p in &problems {
                    println!("  FAIL  {p}");
                }
                println!("{n} artifacts checked, {} problem(s)", problems.len());
            }
            if !problems.is_empty() {
                bail!("the vault does not verify");
            }
        }
    }
    Ok(())
}

/// The exit status `vigil audit verify` ends with when nothing is wrong but the log was only
/// checked against checkpoints kept in the same store (no witness file given).
pub const EXIT_UNANCHORED: i32 = 3;

/// An error that ends the command with a particular exit status (see [`exit_code`]).
#[derive(Debug)]
pub struct ExitStatus {
    pub code: i32,
    pub message: String,
}

impl std::fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExitStatus {}

/// The exit status for a command's error: 1, unless it asks for another ([`ExitStatus`]).
pub fn exit_code(e: &anyhow::Error) -> i32 {
    e.downcast_ref::<ExitStatus>().map_or(1, |s| s.code)
}

pub fn audit_verify(
    dir: &DataDir,
    who: &Caller,
    public_key: Option<&str>,
    witness: &[PathBuf],
    json: bool,
) -> Result<()> {
    let key = public_key.map(read_key).transpose()?;
    let mut witnessed = Vec::new();
    for w in witness {
        witnessed.extend(ledger::read_witness(w)?);
    }
    let witnessed = (!witness.is_empty()).then_some(witnessed.as_slice());
    let r = App::new(dir.root()).verify_ledger_witnessed(who, key.as_deref(), witnessed)?;
    if json {
        print_json(&r)?;
    } else {
        for p in &r.passed {
            println!("  ok    {p}");
        }
        for p in &r.problems {
            println!("  FAIL  {p}");
        }
        println!(
            "{}: {} entries ({} audit, {} evidence, {} custody), {} checkpoints, {} witnessed, root {}, key {}",
            r.status,
            r.entries,
            r.audit_entries,
            r.evidence_entries,
            r.custody_entries,
            r.checkpoints,
            r.witnessed,
            r.root_hex,
            r.key_id
        );
        if r.ok() && !r.anchored() {
            println!(
                "UNANCHORED: the log was checked only against checkpoints kept in the same database; whoever can \
                 rewrite the log can rewrite those too. Keep checkpoints elsewhere (`vigil audit witness --out <file>`, \
                 or VIGIL_WITNESS=<file>) and verify with --witness <file>."
            );
        }
    }
    if !r.ok() {
        bail!("the audit log does not verify: {} problem(s)", r.problems.len());
    }
    if !r.anchored() {
        return Err(ExitStatus {
            code: EXIT_UNANCHORED,
            message: "the audit log is UNANCHORED: no witnessed checkpoint was checked (give --witness <file>)".into(),
        }
        .into());
    }
    Ok(())
}

pub fn audit_checkpoint(dir: &DataDir, who: &Caller, witness: Option<&Path>, json: bool) -> Result<()> {
    let cp = App::new(dir.root()).checkpoint(who)?;
    if let Some(w) = witness {
        ledger::append_witness(w, std::slice::from_ref(&cp))?;
    }
    if json {
        return print_json(&cp);
    }
    println!("checkpoint: {} entries, root {}, signed by {}", cp.checkpoint.size, cp.checkpoint.root_hex, cp.key_id);
    if let Some(w) = witness {
        println!("appended to the witness {}", w.display());
    }
    Ok(())
}

/// `vigil audit witness --out FILE [--all]`: signs a checkpoint of the log as it is now and
/// appends it (with `--all`, every stored checkpoint the key verifies too) to a witness file
/// for the admin to keep outside the data directory.
pub fn audit_witness(dir: &DataDir, who: &Caller, out: &Path, all: bool, json: bool) -> Result<()> {
    let app = App::new(dir.root());
    let cp = app.checkpoint(who)?;
    let mut cps = Vec::new();
    if all {
        let key = ledger::load_or_create_key(dir.root())?.public_key_hex();
        let store = dir.open_store()?;
        for c in ledger::checkpoints(&store)? {
            if vigil_evidence::verify_checkpoint(&c, &key).is_ok() && c.checkpoint.size < cp.checkpoint.size {
                cps.push(c);
            }
        }
    }
    cps.push(cp.clone());
    let written = ledger::append_witness(out, &cps)?;
    if json {
        return print_json(&serde_json::json!({"out": out.display().to_string(), "written": written, "latest": cp}));
    }
    println!(
        "{written} checkpoint(s) appended to {} (latest: {} entries, root {}); keep it outside the data directory and \
         verify with: vigil audit verify --witness {}",
        out.display(),
        cp.checkpoint.size,
        cp.checkpoint.root_hex,
        out.display()
    );
    Ok(())
}

pub fn public_key(dir: &DataDir, out: Option<&Path>, json: bool) -> Result<()> {
    let key = ledger::load_or_create_key(dir.root())?;
    if let Some(out) = out {
        std::fs::write(out, format!("{}\n", key.public_key_hex()))
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if json {
        return print_json(
            &serde_json::json!({"algorithm": "ed25519", "public_key_hex": key.public_key_hex(), "key_id": key.key_id(),
                "fingerprint": format!("sha256:{}", key.fingerprint())}),
        );
    }
    println!("{}", key.public_key_hex());
    eprintln!(
        "key id {} (ed25519), fingerprint sha256:{}; give the key or its fingerprint to auditors over a channel they trust",
        key.key_id(),
        key.fingerprint()
    );
    Ok(())
}

#[derive(Subcommand)]
pub enum ComplianceCommand {
    /// The frameworks Vigil ships (and any custom ones given).
    Frameworks {
        /// Custom frameworks (`vigil-framework/1` YAML).
        #[arg(long = "custom")]
        custom: Vec<PathBuf>,
    },
    /// The controls of one framework.
    Controls {
        /// The framework's id (see `vigil compliance frameworks`).
        framework: String,
        /// Custom frameworks (`vigil-framework/1` YAML).
        #[arg(long = "custom")]
        custom: Vec<PathBuf>,
    },
    /// The controls a detection or playbook maps to.
    Map {
        /// A detection's or playbook's id.
        id: String,
    },
    /// Per control: the mapped detections and playbooks, the evidence in the period, and
    /// whether it is complete.
    Coverage {
        /// The framework's id (see `vigil compliance frameworks`).
        #[arg(long)]
        framework: String,
        /// Start of the period (YYYY-MM-DD, RFC 3339 or epoch ms); default 90 days ago.
        #[arg(long)]
        from: Option<String>,
        /// End of the period; default now.
        #[arg(long)]
        to: Option<String>,
        /// text, markdown, csv or json (`--json` too).
        #[arg(long, default_value = "text")]
        format: String,
        /// Custom frameworks (`vigil-framework/1` YAML).
        #[arg(long = "custom")]
        custom: Vec<PathBuf>,
        #[command(flatten)]
        rules: crate::detect::RuleArgs,
    },
}

pub fn compliance(dir: &DataDir, cmd: ComplianceCommand, who: &Caller, json: bool) -> Result<()> {
    match cmd {
        ComplianceCommand::Frameworks { custom } => {
            let cat = catalog(&custom)?;
            if json {
                let v: Vec<_> = cat
                    .frameworks()
                    .iter()
                    .map(|f| serde_json::json!({"id": f.id, "name": f.name, "version": f.version, "controls": f.controls.len(), "source": f.source, "licence": f.licence}))
                    .collect();
                return print_json(&v);
            }
            for f in cat.frameworks() {
                println!("{:<14} {:>4} controls  {} ({})", f.id, f.controls.len(), f.name, f.version);
            }
            println!("mapping: {} — {}", cat.mapping_title(), cat.mapping_status());
        }
        ComplianceCommand::Controls { framework, custom } => {
            let cat = catalog(&custom)?;
            let f = cat
                .framework(&framework)
                .with_context(|| format!("no framework {framework:?}; `vigil compliance frameworks` lists them"))?;
            if json {
                return print_json(&f.controls);
            }
            for c in &f.controls {
                println!(
                    "{:<24} {}{}",
                    c.id,
                    c.title,
                    if c.soc_ops_relevant { "" } else { "  (outside SOC operations)" }
                );
            }
        }
        ComplianceCommand::Map { id } => {
            let cat = catalog(&[])?;
            let mut controls = cat.controls_for_detection(&id, &[], &[]);
            if controls.is_empty() {
                controls = cat.controls_for_playbook(&id);
            }
            let uc = cat.use_cases_for_detection(&id, &[]);
            if json {
                return print_json(
                    &serde_json::json!({"id": id, "use_cases": uc, "controls": controls.iter().map(|c| c.to_string()).collect::<Vec<_>>()}),
                );
            }
            println!("{id}: use cases {}", if uc.is_empty() { "-".into() } else { uc.join(", ") });
            for c in controls {
                let title =
                    cat.lookup(&c).map(|x| x.title.clone()).unwrap_or_else(|| "(not in the shipped catalog)".into());
                println!("  {c:<28} {title}");
            }
        }
        ComplianceCommand::Coverage { framework, from, to, format, custom, rules } => {
            let cat = catalog(&custom)?;
            let now = now_ms();
            let to_ms = to.as_deref().map(parse_time).transpose()?.unwrap_or(now);
            let from_ms = from.as_deref().map(parse_time).transpose()?.unwrap_or(to_ms - 90 * 86_400_000);
            if from_ms >= to_ms {
                bail!("--from must be before --to");
            }
            let report = App::new(dir.root()).coverage(who, &cat, &rules.config(), &framework, from_ms, to_ms)?;
            match (json, format.as_str()) {
                (true, _) | (_, "json") => print_json(&report)?,
                (_, "csv") => print!("{}", report.to_csv()),
                (_, "markdown" | "md") => print!("{}", report.to_markdown()),
                (_, "text") => print!("{}", report.to_markdown()),
                (_, other) => bail!("--format {other:?}: use text, markdown, csv or json"),
            }
        }
    }
    Ok(())
}
