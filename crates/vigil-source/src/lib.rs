//! Read-only file sources: files, directories, gzip, zip and tar archives.
//!
//! Owns: walking the paths a user names (in a stable, sorted order), opening containers by their
//! magic bytes rather than their names, and handing each decoded-container payload ("unit") to the
//! caller with a display name such as `logs.zip!2020/app.json`; text in UTF-16 (Windows
//! PowerShell's default) is handed on as UTF-8. Every unit is size-bounded, so a
//! decompression bomb or a huge file becomes an error on that unit, never an out-of-memory.
//!
//! Must not: interpret record formats (that is `vigil-decode`), write anything, or follow
//! a source beyond what the user named. Sources are read-only by design.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Limits that keep hostile input bounded.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest payload one unit may expand to (after decompression).
    pub max_unit_bytes: u64,
    /// How deep archives may nest (a zip in a tar in a gzip is depth 3).
    pub max_depth: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_unit_bytes: 1 << 30, max_depth: 4 }
    }
}

/// One payload to decode: a plain file, or a file found inside a container.
#[derive(Debug)]
pub struct Unit {
    /// Display name: the file path, with `!entry` for each archive level.
    pub name: String,
    /// The bytes read (possibly a prefix, when `error` says the rest could not be read).
    pub data: Vec<u8>,
    /// A problem reading this unit: truncated compression, size limit. The bytes in `data`
    /// were read before it happened and are still usable.
    pub error: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("{path}: {source}")]
    Io { path: String, source: io::Error },
    #[error("{path}: not found")]
    NotFound { path: String },
    /// A device, FIFO or socket named directly: never opened (reading one may never end).
    #[error("{path}: is a {kind}, not a regular file; refusing to read it")]
    NotRegular { path: String, kind: &'static str },
}

/// What a non-regular file is, for messages; `None` for a regular file or a directory.
pub fn special_kind(ft: &std::fs::FileType) -> Option<&'static str> {
    if ft.is_file() || ft.is_dir() {
        return None;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return Some("FIFO (named pipe)");
        } else if ft.is_char_device() {
            return Some("character device");
        } else if ft.is_block_device() {
            return Some("block device");
        } else if ft.is_socket() {
            return Some("socket");
        }
    }
    Some("special file")
}

/// Every file under the given paths (directories walked recursively), sorted, without duplicates.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, SourceError> {
    collect_files_reporting(paths).map(|(files, _)| files)
}

/// Files found, and the special files skipped with what each is.
pub type Collected = (Vec<PathBuf>, Vec<(PathBuf, &'static str)>);

/// As [`collect_files`], also returning the non-regular files (devices, FIFOs, sockets) found
/// inside directories and skipped, each with what it is. One named directly is an error.
pub fn collect_files_reporting(paths: &[PathBuf]) -> Result<Collected, SourceError> {
    let mut out = Vec::new();
    let mut skipped = Vec::new();
    for p in paths {
        let md = std::fs::metadata(p).map_err(|e| {
            if e.kind() == io::ErrorKind::NotFound {
                SourceError::NotFound { path: p.display().to_string() }
            } else {
                SourceError::Io { path: p.display().to_string(), source: e }
            }
        })?;
        if md.is_dir() {
            let mut visited = std::collections::HashSet::new();
            walk(p, &mut out, &mut visited, &mut skipped)?;
        } else if let Some(kind) = special_kind(&md.file_type()) {
            return Err(SourceError::NotRegular { path: p.display().to_string(), kind });
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok((out, skipped))
}

/// Walks a directory, following symbolic links to directories once each (a link cycle is not
/// followed twice).
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    visited: &mut std::collections::HashSet<PathBuf>,
    skipped: &mut Vec<(PathBuf, &'static str)>,
) -> Result<(), SourceError> {
    let io_err = |e| SourceError::Io { path: dir.display().to_string(), source: e };
    if let Ok(real) = std::fs::canonicalize(dir)
        && !visited.insert(real)
    {
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(dir).map_err(io_err)?.collect::<Result<_, _>>().map_err(io_err)?;
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        let ft = e.file_type().map_err(io_err)?;
        if ft.is_dir() || (ft.is_symlink() && path.is_dir()) {
            walk(&path, out, visited, skipped)?;
        } else if ft.is_file() || (ft.is_symlink() && path.is_file()) {
            out.push(path);
        } else if let Ok(md) = std::fs::metadata(&path)
            && let Some(kind) = special_kind(&md.file_type())
        {
            skipped.push((path, kind));
        }
    }
    Ok(())
}

/// Container kinds recognised by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    Gzip,
    Zip,
    Tar,
}

/// Recognises a container by its first bytes.
pub fn sniff_container(head: &[u8]) -> Option<Container> {
    if head.starts_with(&[0x1f, 0x8b]) {
        Some(Container::Gzip)
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Some(Container::Zip)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Container::Tar)
    } else {
        None
    }
}

/// Reads one file and calls `emit` for every unit in it, containers opened recursively.
/// An unreadable file is itself emitted as a unit with an error, so the caller can quarantine it.
pub fn read_file_units(path: &Path, limits: Limits, emit: &mut dyn FnMut(Unit)) {
    read_file_units_hashed(path, limits, emit);
}

/// What [`read_file_units_hashed`] read: the size and SHA-256 of exactly the bytes its units
/// came from, taken in one read, so a file that changes while it is decoded cannot give a
/// record that mixes states (F14).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FileRead {
    /// Bytes read from the file (at most the unit limit).
    pub bytes: u64,
    /// SHA-256 (hex) of those bytes; empty when nothing could be read.
    pub sha256: String,
}

/// [`read_file_units`], also returning the size and hash of the bytes read.
pub fn read_file_units_hashed(path: &Path, limits: Limits, emit: &mut dyn FnMut(Unit)) -> FileRead {
    use sha2::Digest;
    let name = path.display().to_string();
    // Never open a FIFO (the open blocks) nor read a device (it may never end).
    if let Ok(md) = std::fs::metadata(path)
        && let Some(kind) = special_kind(&md.file_type())
    {
        emit(Unit { name, data: Vec::new(), error: Some(format!("is a {kind}, not a regular file; not read")) });
        return FileRead::default();
    }
    match File::open(path) {
        Ok(f) => {
            let (data, error) = read_bounded(f, limits.max_unit_bytes);
            let read = FileRead { bytes: data.len() as u64, sha256: hex::encode(sha2::Sha256::digest(&data)) };
            let error = error.map(|e| format!("reading file: {e}"));
            expand(name, data, error, 0, limits, emit);
            read
        }
        Err(e) => {
            emit(Unit { name, data: Vec::new(), error: Some(format!("cannot open: {e}")) });
            FileRead::default()
        }
    }
}

/// Expands in-memory bytes (as from an HTTP body) the same way.
pub fn read_bytes_units(name: &str, data: Vec<u8>, limits: Limits, emit: &mut dyn FnMut(Unit)) {
    expand(name.to_string(), data, None, 0, limits, emit);
}

fn read_bounded(r: impl Read, max: u64) -> (Vec<u8>, Option<String>) {
    let mut buf = Vec::new();
    let mut limited = r.take(max + 1);
    match limited.read_to_end(&mut buf) {
        Ok(_) if buf.len() as u64 > max => {
            buf.truncate(max as usize);
            (buf, Some(format!("payload exceeds the {max}-byte limit; only the first {max} bytes were read")))
        }
        Ok(_) => (buf, None),
        Err(e) => {
            let at = buf.len();
            (buf, Some(format!("{e} after {at} bytes")))
        }
    }
}

fn expand(name: String, data: Vec<u8>, error: Option<String>, depth: u32, limits: Limits, emit: &mut dyn FnMut(Unit)) {
    let kind = sniff_container(&data[..data.len().min(512)]);
    if kind.is_none() || depth >= limits.max_depth {
        let error = match (kind, error) {
            (Some(k), None) => {
                Some(format!("{k:?} archive nested deeper than {} levels; not opened", limits.max_depth))
            }
            (_, e) => e,
        };
        match utf16_to_utf8(&data, limits.max_unit_bytes) {
            Some((text, why)) => {
                let error = match (error, why) {
                    (Some(a), Some(b)) => Some(format!("{a}; {b}")),
                    (a, b) => a.or(b),
                };
                emit(Unit { name, data: text, error })
            }
            None => emit(Unit { name, data, error }),
        }
        return;
    }
    match kind {
        Some(Container::Gzip) => {
            let inner_name = name.strip_suffix(".gz").map(str::to_string).unwrap_or_else(|| format!("{name}!gunzip"));
            let (inner, err) = read_bounded(flate2::read::MultiGzDecoder::new(&data[..]), limits.max_unit_bytes);
            let err = match (err, error) {
                (Some(e), _) => Some(format!("gzip stream: {e}")),
                (None, e) => e,
            };
            expand(inner_name, inner, err, depth + 1, limits, emit);
        }
        Some(Container::Zip) => expand_zip(name, data, error, depth, limits, emit),
        Some(Container::Tar) => expand_tar(name, data, error, depth, limits, emit),
        None => {}
    }
}

/// Text in UTF-16 (what Windows PowerShell 5's `>` and `Out-File` write by default, and so many
/// `Get-WinEvent` and `wevtutil` exports), recognised by its byte-order mark and handed on as
/// UTF-8 without the mark, so the decoders read it like any other text; byte offsets in its
/// records' locators are then offsets in that UTF-8. `None` when the payload does not open with
/// a UTF-16 mark, or what follows the mark is not text (binary data that happens to start with
/// those two bytes is left as it is, for the decoders to name). An unpaired surrogate becomes
/// U+FFFD and an odd final byte is dropped, each said in the unit's error so it is counted. The
/// UTF-8 (up to half as large again as the UTF-16 it came from) is held to `max` bytes like any
/// unit; what would pass it is left unread and said.
fn utf16_to_utf8(data: &[u8], max: u64) -> Option<(Vec<u8>, Option<String>)> {
    let little = match data.get(..2)? {
        [0xff, 0xfe] if data.get(2..4) != Some(&[0, 0][..]) => true, // FF FE 00 00 is UTF-32
        [0xfe, 0xff] => false,
        _ => return None,
    };
    let body = &data[2..];
    let units = body.chunks_exact(2).map(|c| {
        let pair = [c[0], c[1]];
        if little { u16::from_le_bytes(pair) } else { u16::from_be_bytes(pair) }
    });
    let mut text = String::with_capacity(body.len() / 2 + body.len() / 8);
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let (mut unpaired, mut cut) = (0usize, false);
    for (i, c) in char::decode_utf16(units).enumerate() {
        let c = c.unwrap_or_else(|_| {
            unpaired += 1;
            char::REPLACEMENT_CHARACTER
        });
        // The first 2,048 characters decide whether this is text at all: no control characters
        // but tabs and line ends, and at most a few unpaired surrogates (binary data read as
        // UTF-16 gives both within a few hundred characters).
        if i < 2048 && ((c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || unpaired > 4) {
            return None;
        }
        if text.len() + c.len_utf8() > max {
            cut = true;
            break;
        }
        text.push(c);
    }
    let mut why = Vec::new();
    if cut {
        why.push(format!("UTF-16 text is larger than the {max}-byte limit once read as UTF-8; the rest was not read"));
    }
    if unpaired > 0 {
        why.push(format!("UTF-16 text: {unpaired} unpaired surrogates read as U+FFFD"));
    }
    if body.len() % 2 == 1 && !cut {
        why.push("UTF-16 text ends in half a character; its last byte was dropped".to_string());
    }
    Some((text.into_bytes(), (!why.is_empty()).then(|| why.join("; "))))
}

fn expand_zip(
    name: String,
    data: Vec<u8>,
    error: Option<String>,
    depth: u32,
    limits: Limits,
    emit: &mut dyn FnMut(Unit),
) {
    let mut archive = match zip::ZipArchive::new(io::Cursor::new(&data[..])) {
        Ok(a) => a,
        Err(e) => {
            let why =
                format!("zip archive cannot be read: {e}{}", error.map(|x| format!(" ({x})")).unwrap_or_default());
            emit(Unit { name, data, error: Some(why) });
            return;
        }
    };
    let mut emitted = 0usize;
    let mut counted = |u: Unit| {
        emitted += 1;
        emit(u)
    };
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                counted(Unit {
                    name: format!("{name}!#{i}"),
                    data: Vec::new(),
                    error: Some(format!("zip entry {i}: {e}")),
                });
                continue;
            }
        };
        if entry.is_dir() {
            continue;
        }
        let entry_name = match entry.name() {
            Ok(n) => format!("{name}!{n}"),
            Err(_) => format!("{name}!#{i}"),
        };
        let (bytes, err) = read_bounded(&mut entry, limits.max_unit_bytes);
        drop(entry);
        expand(entry_name, bytes, err.map(|e| format!("zip entry: {e}")), depth + 1, limits, &mut counted);
    }
    if let Some(e) = error {
        counted(Unit { name: format!("{name}!(tail)"), data: Vec::new(), error: Some(e) });
    }
    if emitted == 0 {
        emit(no_file_entries(name, "zip", archive.len()));
    }
}

/// An archive that yields nothing (empty, or directories only) is still reported, so a payload
/// never disappears without a trace.
fn no_file_entries(name: String, kind: &str, entries: usize) -> Unit {
    Unit {
        name,
        data: Vec::new(),
        error: Some(format!(
            "{kind} archive holds no file entries ({entries} entries, none a regular file); nothing read"
        )),
    }
}

fn expand_tar(
    name: String,
    data: Vec<u8>,
    error: Option<String>,
    depth: u32,
    limits: Limits,
    emit: &mut dyn FnMut(Unit),
) {
    let mut archive = tar::Archive::new(&data[..]);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => {
            emit(Unit { name, data: Vec::new(), error: Some(format!("tar archive cannot be read: {e}")) });
            return;
        }
    };
    let mut emitted = 0usize;
    let mut seen = 0usize;
    let mut counted = |u: Unit| {
        emitted += 1;
        emit(u)
    };
    for (i, entry) in entries.enumerate() {
        seen = i + 1;
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                counted(Unit {
                    name: format!("{name}!#{i}"),
                    data: Vec::new(),
                    error: Some(format!("tar entry {i}: {e}")),
                });
                break;
            }
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            // Links, devices, sparse files: named, not silently skipped.
            let entry_name =
                entry.path().map(|p| format!("{name}!{}", p.display())).unwrap_or_else(|_| format!("{name}!#{i}"));
            counted(Unit {
                name: entry_name,
                data: Vec::new(),
                error: Some(format!("tar entry of type {kind:?} is not read")),
            });
            continue;
        }
        let entry_name = match entry.path() {
            Ok(p) => format!("{name}!{}", p.display()),
            Err(_) => format!("{name}!#{i}"),
        };
        let (bytes, err) = read_bounded(&mut entry, limits.max_unit_bytes);
        // A tar entry cut short by a truncated outer stream reads as fewer bytes than its header says.
        let declared = entry.header().size().unwrap_or(0);
        let err = err.or_else(|| {
            (declared > bytes.len() as u64)
                .then(|| format!("tar entry truncated: header says {declared} bytes, {} present", bytes.len()))
        });
        expand(entry_name, bytes, err.map(|e| format!("tar entry: {e}")), depth + 1, limits, &mut counted);
    }
    if let Some(e) = error {
        counted(Unit { name: format!("{name}!(tail)"), data: Vec::new(), error: Some(e) });
    }
    if emitted == 0 {
        emit(no_file_entries(name, "tar", seen));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_hash_and_size_are_of_the_bytes_the_units_came_from() {
        use sha2::Digest;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("growing.jsonl");
        std::fs::write(&p, b"{\"a\":1}\n").unwrap();
        let mut seen = Vec::new();
        // The file grows while its unit is being decoded (a log still being written).
        let read = read_file_units_hashed(&p, Limits::default(), &mut |u| {
            std::fs::OpenOptions::new().append(true).open(&p).unwrap().write_all(b"{\"a\":2}\n").unwrap();
            seen.extend_from_slice(&u.data);
        });
        assert_eq!(seen, b"{\"a\":1}\n");
        assert_eq!(read.bytes, seen.len() as u64);
        assert_eq!(read.sha256, hex::encode(sha2::Sha256::digest(&seen)));
        assert_ne!(read.sha256, hex::encode(sha2::Sha256::digest(std::fs::read(&p).unwrap())), "the file did change");
        // Nothing readable: nothing hashed.
        assert_eq!(
            read_file_units_hashed(&dir.path().join("missing"), Limits::default(), &mut |_| {}),
            FileRead::default()
        );
    }

    fn units_of(path: &Path, limits: Limits) -> Vec<Unit> {
        let mut v = Vec::new();
        read_file_units(path, limits, &mut |u| v.push(u));
        v
    }

    fn utf16(text: &str, little: bool) -> Vec<u8> {
        let mut out = if little { vec![0xff, 0xfe] } else { vec![0xfe, 0xff] };
        for u in text.encode_utf16() {
            out.extend(if little { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn utf16_text_is_handed_on_as_utf8_in_files_and_archives() {
        let dir = tempfile::tempdir().unwrap();
        let text = "{\"Id\":4624,\"Message\":\"Kontoanmeldung \u{fc}ber \u{1F510}\"}\r\n{\"Id\":4625}\r\n";
        for little in [true, false] {
            let p = dir.path().join(format!("events-{little}.json"));
            std::fs::write(&p, utf16(text, little)).unwrap();
            let u = units_of(&p, Limits::default());
            assert_eq!(u.len(), 1);
            assert_eq!(String::from_utf8(u[0].data.clone()).unwrap(), text, "little endian: {little}");
            assert!(u[0].error.is_none());
            // Inside gzip, as any other payload.
            let g = dir.path().join(format!("events-{little}.json.gz"));
            std::fs::write(&g, gz(&utf16(text, little))).unwrap();
            assert_eq!(units_of(&g, Limits::default())[0].data, text.as_bytes());
        }
        // Damage is kept visible: an unpaired surrogate and an odd last byte are each said.
        let mut bad = utf16("{\"a\":1}\n{\"b\":\"", true);
        bad.extend([0x00, 0xd8]); // a lone high surrogate
        bad.extend(&utf16("\"}\n", true)[2..]);
        bad.push(0x41);
        let p = dir.path().join("damaged.json");
        std::fs::write(&p, &bad).unwrap();
        let u = units_of(&p, Limits::default());
        assert_eq!(String::from_utf8(u[0].data.clone()).unwrap(), "{\"a\":1}\n{\"b\":\"\u{FFFD}\"}\n");
        let why = u[0].error.clone().unwrap_or_default();
        assert!(why.contains("1 unpaired surrogates") && why.contains("half a character"), "{why}");
    }

    #[test]
    fn utf16_text_read_as_utf8_keeps_to_the_unit_limit() {
        // Three UTF-8 bytes for each two UTF-16 bytes: 600 characters are 1,202 bytes of UTF-16
        // and 1,800 of UTF-8.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("wide.json");
        std::fs::write(&p, utf16(&"\u{4e2d}".repeat(600), true)).unwrap();
        let limits = Limits { max_unit_bytes: 1500, max_depth: 4 };
        let u = units_of(&p, limits);
        assert!(u[0].data.len() <= 1500 && u[0].data.len() > 1490, "{}", u[0].data.len());
        assert!(std::str::from_utf8(&u[0].data).is_ok(), "cut at a character boundary");
        let why = u[0].error.clone().unwrap_or_default();
        assert!(why.contains("1500-byte limit"), "{why}");
    }

    #[test]
    fn bytes_that_only_start_like_utf16_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        // Binary after the mark; UTF-32's mark; too short to be anything; NULs.
        for (name, bytes) in [
            ("bin", vec![0xff, 0xfe, 0x00, 0x00, 0x01, 0x00, 0x02, 0x03]),
            ("utf32", vec![0xff, 0xfe, 0x00, 0x00, b'{', 0, 0, 0]),
            ("short", vec![0xff]),
            ("nul", vec![0xfe, 0xff, 0x00, 0x00, 0x00, 0x41]),
            ("control", vec![0xff, 0xfe, 0x01, 0x00, 0x41, 0x00]),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            let u = units_of(&p, Limits::default());
            assert_eq!(u[0].data, bytes, "{name}");
            assert!(u[0].error.is_none(), "{name}");
        }
    }

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn plain_gzip_zip_and_tar() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.json"), b"{}\n").unwrap();
        std::fs::write(dir.path().join("b.json.gz"), gz(b"{\"x\":1}\n")).unwrap();
        let mut zw = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        zw.start_file("inner/c.json", zip::write::SimpleFileOptions::default()).unwrap();
        zw.write_all(b"{\"c\":1}\n").unwrap();
        zw.add_directory("d/", zip::write::SimpleFileOptions::default()).unwrap();
        std::fs::write(dir.path().join("c.zip"), zw.finish().unwrap().into_inner()).unwrap();
        let mut tb = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_size(8);
        h.set_cksum();
        tb.append_data(&mut h, "t.json", &b"{\"t\":1}\n"[..]).unwrap();
        std::fs::write(dir.path().join("d.tar.gz"), gz(&tb.into_inner().unwrap())).unwrap();

        let files = collect_files(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files.len(), 4);
        let mut all = Vec::new();
        for f in &files {
            all.extend(units_of(f, Limits::default()));
        }
        let names: Vec<_> = all.iter().map(|u| u.name.rsplit('/').next().unwrap().to_string()).collect();
        assert_eq!(names, ["a.json", "b.json", "c.json", "d.tar!t.json"]);
        assert!(all[2].name.ends_with("c.zip!inner/c.json"));
        assert!(all.iter().all(|u| u.error.is_none()));
        assert_eq!(all[1].data, b"{\"x\":1}\n");
        assert_eq!(all[3].data, b"{\"t\":1}\n");
    }

    #[test]
    fn truncated_gzip_keeps_the_prefix_and_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..20_000).flat_map(|i| format!("{{\"n\":{i}}}\n").into_bytes()).collect();
        let z = gz(&body);
        let p = dir.path().join("t.json.gz");
        std::fs::write(&p, &z[..z.len() / 2]).unwrap();
        let u = units_of(&p, Limits::default());
        assert_eq!(u.len(), 1);
        assert!(u[0].error.as_deref().unwrap().contains("gzip stream"), "{:?}", u[0].error);
        assert!(!u[0].data.is_empty() && body.starts_with(&u[0].data));
    }

    #[test]
    fn decompression_bomb_is_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.gz");
        std::fs::write(&p, gz(&vec![b'a'; 5 << 20])).unwrap();
        let u = units_of(&p, Limits { max_unit_bytes: 1 << 20, max_depth: 4 });
        assert_eq!(u[0].data.len(), 1 << 20);
        assert!(u[0].error.as_deref().unwrap().contains("limit"));
    }

    /// Found by the `source_units` fuzz target: a zip whose only entry is a directory (with
    /// data behind it) made the whole payload vanish with no unit and no error.
    #[test]
    fn archives_without_file_entries_are_reported_not_dropped() {
        let limits = Limits::default();
        let collect = |name: &str, data: Vec<u8>| {
            let mut out = Vec::new();
            read_bytes_units(name, data, limits, &mut |u| out.push(u));
            out
        };
        let fuzz_found: &[u8] =
            b"\x50\x4b\x03\x04\x14\x00\x00\x00\x08\x00\x00\x00\x21\x5c\xfb\xaf\x4d\x07\x51\x00\x00\x00\x57\x00\
          \x00\x00\x0c\x00\x00\x00\x61\x2f\x6f\x6b\x74\x61\x2e\x6a\x73\x6f\x66\x6c\xab\x56\x2a\x2d\xcd\x4c\
          \x51\xb2\x52\x2a\xd5\x35\x54\xd2\x51\x2a\x28\x4d\xca\xc9\x2c\xce\x48\x05\x89\x18\x19\x18\x99\xe9\
          \x1a\x1a\xe8\x1a\x18\x86\x18\x1a\x58\x19\x80\x90\x9e\x81\x81\x41\x14\x50\x59\x6a\x59\x6a\x5e\x49\
          \x48\x65\x41\x2a\x48\x63\x71\x6a\x91\x5e\x71\x6a\x71\x71\x66\x7e\x9e\x5e\x71\x49\x17\x00\x89\x52\
          \x2d\x17\x00\x50\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x08\x00\x00\x00\x21\x5c\xfb\xaf\x4d\x07\x51\
          \x00\x00\x00\x57\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\
          \x00\x61\x2f\x6f\x6b\x74\x61\x2e\x6a\x73\x6f\x6e\x6c\x50\x4b\x05\x06\x00\x00\x00\x00\x01\x00\x01\
          \x00\x3a\x00\x00\x00\x7b\x00\x00\x00\x00\x00";
        let u = collect("found.zip", fuzz_found.to_vec());
        assert_eq!(u.len(), 1, "{u:?}");
        assert_eq!(u[0].name, "found.zip");
        assert!(u[0].error.as_deref().unwrap().contains("zip archive holds no file entries (1 entries"), "{u:?}");

        let mut zw = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        zw.add_directory("d/", zip::write::SimpleFileOptions::default()).unwrap();
        let u = collect("dirs.zip", zw.finish().unwrap().into_inner());
        assert_eq!((u.len(), u[0].name.as_str()), (1, "dirs.zip"));
        assert!(u[0].error.as_deref().unwrap().contains("zip archive holds no file entries"));

        let empty_zip = zip::ZipWriter::new(io::Cursor::new(Vec::new())).finish().unwrap().into_inner();
        let u = collect("empty.zip", empty_zip);
        assert!(u[0].error.as_deref().unwrap().contains("(0 entries"), "{u:?}");

        let mut tb = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_size(0);
        h.set_cksum();
        tb.append_data(&mut h, "only-a-dir/", &b""[..]).unwrap();
        let u = collect("dirs.tar.gz", gz(&tb.into_inner().unwrap()));
        assert_eq!((u.len(), u[0].name.as_str()), (1, "dirs.tar"), "{u:?}");
        assert!(u[0].error.as_deref().unwrap().contains("tar archive holds no file entries (1 entries"), "{u:?}");

        // An archive with a file in it is unchanged: no extra unit.
        let mut zw = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        zw.add_directory("d/", zip::write::SimpleFileOptions::default()).unwrap();
        zw.start_file("d/a.json", zip::write::SimpleFileOptions::default()).unwrap();
        zw.write_all(b"{}").unwrap();
        let u = collect("one.zip", zw.finish().unwrap().into_inner());
        assert_eq!(u.len(), 1);
        assert_eq!((u[0].name.as_str(), u[0].error.is_none()), ("one.zip!d/a.json", true));
    }

    #[test]
    fn corrupt_zip_and_missing_path() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.zip");
        std::fs::write(&p, b"PK\x03\x04garbage").unwrap();
        let u = units_of(&p, Limits::default());
        assert_eq!(u.len(), 1);
        assert!(u[0].error.as_deref().unwrap().contains("zip"));
        let missing = collect_files(&[dir.path().join("nope")]);
        assert!(matches!(missing, Err(SourceError::NotFound { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn symlinked_directories_are_followed_once() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real");
        std::fs::create_dir(&real).unwrap();
        std::fs::write(real.join("a.json"), b"{}").unwrap();
        std::os::unix::fs::symlink(&real, dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), real.join("loop")).unwrap();
        let files = collect_files(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files.len(), 1, "{files:?}");
    }

    #[cfg(unix)]
    #[test]
    fn special_files_are_refused_by_name_and_reported_in_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("good.json"), b"{}\n").unwrap();
        let zero = dir.path().join("z.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let fifo = dir.path().join("f.json");
        let ok = std::process::Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
        match collect_files(&[dir.path().join("good.json"), zero.clone()]) {
            Err(SourceError::NotRegular { path, kind }) => {
                assert!(path.ends_with("z.json") && kind.contains("character device"), "{path} {kind}")
            }
            other => panic!("{other:?}"),
        }
        let u = units_of(&zero, Limits::default());
        assert!(u[0].error.as_deref().unwrap().contains("not a regular file") && u[0].data.is_empty());
        if ok {
            assert!(matches!(
                collect_files(std::slice::from_ref(&fifo)),
                Err(SourceError::NotRegular { kind: "FIFO (named pipe)", .. })
            ));
            assert!(units_of(&fifo, Limits::default())[0].error.is_some());
        }
        let (files, skipped) = collect_files_reporting(&[dir.path().to_path_buf()]).unwrap();
        assert_eq!(files, [dir.path().join("good.json")]);
        assert_eq!(skipped.len(), 1 + ok as usize, "{skipped:?}");
    }

    #[test]
    fn nesting_is_bounded() {
        let mut data = b"{}\n".to_vec();
        for _ in 0..6 {
            data = gz(&data);
        }
        let mut v = Vec::new();
        read_bytes_units("deep.gz", data, Limits { max_unit_bytes: 1 << 20, max_depth: 3 }, &mut |u| v.push(u));
        assert_eq!(v.len(), 1);
        assert!(v[0].error.as_deref().unwrap().contains("nested"));
    }
}
