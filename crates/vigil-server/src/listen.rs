//! Syslog listeners (UDP, TCP, TLS) and file tails: sources that push, or write, rather than
//! being polled. Both put what they receive into the same durable spool as HTTP ingest
//! ([`crate::ingest::Spool`]), as text lines the decoders recognise by content (syslog messages,
//! audit records, JSON lines), so what arrives is decoded, detected and kept exactly as a file
//! handed to `vigil ingest` would be.
//!
//! Syslog framing ([`Framer`]) reads RFC 6587's two framings on a stream, octet counting
//! (`LEN SP MSG`) and newline-terminated messages, message by message; a datagram is one message
//! (or several, newline-separated). A message longer than the limit keeps its first bytes and is
//! counted as truncated, the rest of it is skipped and the stream goes on with the next message;
//! a newline-terminated message cut by the sender closing the connection is still a message, an
//! octet-counted one cut short is counted as partial. Messages wait in memory at most a second
//! (or until a batch is full) before they are written to the spool; when the spool is full they
//! wait there, and past [`MAX_PENDING_BYTES`] new ones are dropped and counted — syslog has no
//! way to ask a sender to slow down, so a flood costs messages, never the server.
//!
//! Each message is spooled as a JSON line of its own (`{"syslog": …, "received": …, "peer": …}`),
//! so one sender's bytes cannot change how the others' are read, and a message without a time
//! stamp of its own (much network gear) is placed at its receive time.
//!
//! A file tail ([`tail`]) reads the lines appended to a file and follows it through rotation: a
//! renamed file is read on until it has stopped growing (the program writing it reopens its log
//! only when told to), then to its end, before the new one is opened (also when the rename
//! happened while Vigil was stopped, by finding the old file beside the new one by its inode);
//! a file truncated in place is read again from its start, and a line longer than 16 MiB is cut
//! there. When the spool refuses a batch, the tail reads it again next time. Its position is kept in the data directory
//! (`tail/`) and written only after the lines before it are in the spool, so a restart neither
//! loses lines nor reads more than the last batch again, and what it reads again adds nothing
//! (event ids dedupe).
//!
//! Must not: decode records (the spool's worker does), hold a message back longer than a batch,
//! or follow a file outside the paths it was given.

use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

use crate::Shared;

/// The default largest message (bytes); longer ones are truncated to it.
pub const MAX_MESSAGE_BYTES: usize = 64 << 10;
/// Most bytes held in memory, received and not yet spooled, before new messages are dropped.
pub const MAX_PENDING_BYTES: usize = 64 << 20;
/// A batch is spooled once it holds this many bytes, or after [`FLUSH_EVERY`].
const BATCH_BYTES: usize = 1 << 20;
const FLUSH_EVERY: Duration = Duration::from_secs(1);
/// A followed file's line longer than this is cut here (and read on as a line of its own), so a
/// file without newlines cannot fill memory.
const MAX_TAIL_LINE: usize = 16 << 20;
/// How many looks a renamed file must not grow in before it is left for the new one.
const DRAIN_LOOKS: u32 = 6;
/// How often a tailed file is looked at.
const TAIL_EVERY: Duration = Duration::from_millis(500);

/// What to listen on and which files to follow (`vigil serve --syslog-udp … --tail …`).
#[derive(Debug, Clone, Default)]
pub struct ListenConfig {
    pub syslog_udp: Option<SocketAddr>,
    pub syslog_tcp: Option<SocketAddr>,
    /// Syslog over TLS (RFC 5425), with the server's certificate (`--tls-cert`).
    pub syslog_tls: Option<SocketAddr>,
    /// Files to follow, each read from where it was left (from its end the first time).
    pub tails: Vec<PathBuf>,
    /// Largest message; `0` means [`MAX_MESSAGE_BYTES`].
    pub max_message_bytes: usize,
}

impl ListenConfig {
    pub fn is_empty(&self) -> bool {
        self.syslog_udp.is_none() && self.syslog_tcp.is_none() && self.syslog_tls.is_none() && self.tails.is_empty()
    }
    fn max(&self) -> usize {
        if self.max_message_bytes == 0 { MAX_MESSAGE_BYTES } else { self.max_message_bytes }
    }
}

/// Counters of the listeners and tails since start (in `/metrics`).
#[derive(Debug, Default)]
pub struct Stats {
    pub messages: AtomicU64,
    pub truncated: AtomicU64,
    pub partial: AtomicU64,
    pub dropped: AtomicU64,
    pub tailed_lines: AtomicU64,
    pub spooled_batches: AtomicU64,
}

/// One message as framing found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub bytes: Vec<u8>,
    /// Longer than the limit: these are its first bytes.
    pub truncated: bool,
}

/// Splits a syslog stream into messages (RFC 6587 octet counting or newline-terminated).
#[derive(Debug)]
pub struct Framer {
    buf: Vec<u8>,
    max: usize,
    /// Bytes of an oversized octet-counted message still to skip.
    skip: usize,
    /// Skipping the rest of an oversized newline-terminated message.
    skip_line: bool,
}

impl Framer {
    pub fn new(max: usize) -> Framer {
        Framer { buf: Vec::new(), max: max.max(1), skip: 0, skip_line: false }
    }

    /// Reads `data`, appending the messages it completes to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut Vec<Frame>) {
        self.buf.extend_from_slice(data);
        let mut at = 0;
        loop {
            let rest = &self.buf[at..];
            if self.skip > 0 {
                let n = self.skip.min(rest.len());
                self.skip -= n;
                at += n;
                if self.skip > 0 {
                    break;
                }
                continue;
            }
            if self.skip_line {
                match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        at += i + 1;
                        self.skip_line = false;
                        continue;
                    }
                    None => {
                        at = self.buf.len();
                        break;
                    }
                }
            }
            if rest.is_empty() {
                break;
            }
            match octet_count(rest) {
                Count::Need => break,
                Count::Len(head, len) => {
                    let keep = len.min(self.max);
                    if rest.len() < head + keep {
                        break;
                    }
                    let bytes = rest[head..head + keep].to_vec();
                    at += head + keep;
                    self.skip = len - keep;
                    if !bytes.is_empty() {
                        out.push(Frame { bytes, truncated: len > keep });
                    }
                }
                Count::NotCounted => match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        let line = trim_cr(&rest[..i]);
                        if !line.trim_ascii().is_empty() {
                            let keep = line.len().min(self.max);
                            out.push(Frame { bytes: line[..keep].to_vec(), truncated: line.len() > keep });
                        }
                        at += i + 1;
                    }
                    None if rest.len() > self.max => {
                        out.push(Frame { bytes: rest[..self.max].to_vec(), truncated: true });
                        at = self.buf.len();
                        self.skip_line = true;
                        break;
                    }
                    None => break,
                },
            }
        }
        self.buf.drain(..at);
    }

    /// The sender closed the stream: a newline-terminated message without its newline is still a
    /// message; an octet-counted one cut short is not (`Err` with its size so far).
    pub fn finish(&mut self) -> Result<Option<Frame>, usize> {
        let rest = std::mem::take(&mut self.buf);
        if self.skip > 0 || self.skip_line || rest.trim_ascii().is_empty() {
            return Ok(None);
        }
        match octet_count(&rest) {
            Count::NotCounted => {
                let line = trim_cr(&rest);
                let keep = line.len().min(self.max);
                Ok(Some(Frame { bytes: line[..keep].to_vec(), truncated: line.len() > keep }))
            }
            Count::Need | Count::Len(..) => Err(rest.len()),
        }
    }
}

enum Count {
    /// Digits so far and no space yet: wait for more.
    Need,
    /// The header's length and the message's.
    Len(usize, usize),
    NotCounted,
}

/// `LEN SP <` at the start of `b` (RFC 6587 octet counting: a non-zero decimal of at most 9
/// digits, then the message, which opens with its priority): a newline-terminated message that
/// happens to open with a number and a space is not taken for a count.
fn octet_count(b: &[u8]) -> Count {
    if !b.first().is_some_and(|c| (b'1'..=b'9').contains(c)) {
        return Count::NotCounted;
    }
    for (i, &c) in b.iter().enumerate().take(10) {
        match c {
            b'0'..=b'9' => {}
            b' ' => {
                match b.get(i + 1) {
                    None => return Count::Need,
                    Some(b'<') => {}
                    Some(_) => return Count::NotCounted,
                }
                let len = std::str::from_utf8(&b[..i]).ok().and_then(|s| s.parse().ok());
                return len.map_or(Count::NotCounted, |len| Count::Len(i + 1, len));
            }
            _ => return Count::NotCounted,
        }
    }
    if b.len() < 10 { Count::Need } else { Count::NotCounted }
}

fn trim_cr(b: &[u8]) -> &[u8] {
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Messages waiting to be spooled, as lines.
pub struct Batch {
    buf: Mutex<Vec<u8>>,
    /// Held for a whole flush, so a flush at stop waits for one in flight (whose messages
    /// would otherwise reach the spool after its last run).
    flushing: Mutex<()>,
    stats: Arc<Stats>,
}

impl Batch {
    pub fn new(stats: Arc<Stats>) -> Arc<Batch> {
        Arc::new(Batch { buf: Mutex::new(Vec::new()), flushing: Mutex::new(()), stats })
    }

    /// Adds one message from `peer` as a JSON line of its own — `{"syslog": …, "received": …,
    /// "peer": …}`, which the syslog decoder reads (bytes that are not UTF-8 replaced) — so that
    /// what one sender sends cannot change how the rest of the batch is read; drops it when too
    /// much is waiting. Whether the batch is now worth spooling.
    pub fn add(&self, f: &Frame, peer: Option<std::net::IpAddr>) -> bool {
        let line = serde_json::json!({
            "syslog": String::from_utf8_lossy(&f.bytes),
            "received": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "peer": peer.map(|p| p.to_string()),
        });
        let Ok(line) = serde_json::to_vec(&line) else { return false };
        let Ok(mut buf) = self.buf.lock() else { return false };
        if buf.len() + line.len() > MAX_PENDING_BYTES {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        buf.extend_from_slice(&line);
        buf.push(b'\n');
        self.stats.messages.fetch_add(1, Ordering::Relaxed);
        if f.truncated {
            self.stats.truncated.fetch_add(1, Ordering::Relaxed);
        }
        buf.len() >= BATCH_BYTES
    }

    /// Writes what waits into the spool; when the spool refuses (full, stopping), it waits for
    /// the next try.
    pub fn flush(&self, state: &Shared) {
        let _one = self.flushing.lock();
        let taken = match self.buf.lock() {
            Ok(mut b) if !b.is_empty() => std::mem::take(&mut *b),
            _ => return,
        };
        match state.ingest.accept(&taken) {
            Ok(_) => {
                self.stats.spooled_batches.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!("syslog messages wait in memory: the spool refused them: {}", e.message);
                if let Ok(mut b) = self.buf.lock() {
                    let newer = std::mem::replace(&mut *b, taken);
                    b.extend_from_slice(&newer);
                }
            }
        }
    }
}

/// The listeners' bound addresses.
#[derive(Debug, Default, Clone)]
pub struct Bound {
    pub udp: Option<SocketAddr>,
    pub tcp: Option<SocketAddr>,
    pub tls: Option<SocketAddr>,
}

/// Running listeners and tails; [`Running::stop`] ends them after spooling what they hold.
pub struct Running {
    pub bound: Bound,
    closing: tokio::sync::watch::Sender<bool>,
    open: Arc<std::sync::atomic::AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    tails: Vec<std::thread::JoinHandle<()>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    batch: Arc<Batch>,
    state: Shared,
}

impl Running {
    pub async fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        for t in &self.tasks {
            t.abort();
        }
        // Open connections hand over what their framers hold, then end (a few seconds at most).
        let _ = self.closing.send(true);
        for _ in 0..50 {
            if self.open.load(Ordering::SeqCst) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let tails = self.tails;
        let _ = tokio::task::spawn_blocking(move || {
            for t in tails {
                let _ = t.join();
            }
        })
        .await;
        let (batch, state) = (self.batch.clone(), self.state.clone());
        let _ = tokio::task::spawn_blocking(move || batch.flush(&state)).await;
    }
}

/// Binds the configured listeners and starts the tails; a listener that cannot bind, or TLS
/// without the server's certificate, stops the start.
pub async fn start(state: Shared, certs: Option<Arc<crate::tls::Certificates>>) -> std::io::Result<Running> {
    let cfg = state.config.listen.clone();
    let stats = state.listen_stats.clone();
    let batch = Batch::new(stats.clone());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    let conns = Conns { closing: closing_rx, open: Arc::new(std::sync::atomic::AtomicUsize::new(0)) };
    let mut tasks = Vec::new();
    let mut bound = Bound::default();
    let max = cfg.max();
    if let Some(addr) = cfg.syslog_udp {
        let sock = tokio::net::UdpSocket::bind(addr).await?;
        bound.udp = Some(sock.local_addr()?);
        tasks.push(tokio::spawn(udp(sock, batch.clone(), state.clone(), max)));
    }
    if let Some(addr) = cfg.syslog_tcp {
        let l = tokio::net::TcpListener::bind(addr).await?;
        bound.tcp = Some(l.local_addr()?);
        tasks.push(tokio::spawn(tcp(l, None, batch.clone(), state.clone(), max, conns.clone())));
    }
    if let Some(addr) = cfg.syslog_tls {
        let Some(certs) = certs else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "syslog over TLS needs the server's certificate and key (--tls-cert, --tls-key)",
            ));
        };
        let l = tokio::net::TcpListener::bind(addr).await?;
        bound.tls = Some(l.local_addr()?);
        tasks.push(tokio::spawn(tcp(l, Some(certs), batch.clone(), state.clone(), max, conns.clone())));
    }
    if bound.udp.is_some() || bound.tcp.is_some() || bound.tls.is_some() {
        let (b, st) = (batch.clone(), state.clone());
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(FLUSH_EVERY);
            loop {
                tick.tick().await;
                let (b, st) = (b.clone(), st.clone());
                let _ = tokio::task::spawn_blocking(move || b.flush(&st)).await;
            }
        }));
    }
    let mut tails = Vec::new();
    for path in &cfg.tails {
        let (path, st, stop, stats) = (path.clone(), state.clone(), stop.clone(), stats.clone());
        tails.push(
            std::thread::Builder::new()
                .name("vigil-tail".into())
                .spawn(move || tail(&path, &st, &stop, &stats, TAIL_EVERY))?,
        );
    }
    Ok(Running { bound, closing, open: conns.open, tasks, tails, stop, batch, state })
}

async fn udp(sock: tokio::net::UdpSocket, batch: Arc<Batch>, state: Shared, max: usize) {
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = match sock.recv_from(&mut buf).await {
            Ok((n, peer)) => (n, peer.ip()),
            Err(e) => {
                tracing::warn!("syslog over UDP: {e}");
                continue;
            }
        };
        spool_frames(&batch, &state, &datagram(&buf[..n], max), peer).await;
    }
}

/// The messages of one datagram: one, or several separated by newlines (no octet counting on
/// UDP), each kept to `max` bytes.
pub fn datagram(data: &[u8], max: usize) -> Vec<Frame> {
    data.split(|&b| b == b'\n')
        .map(trim_cr)
        .filter(|m| !m.trim_ascii().is_empty())
        .map(|m| {
            let keep = m.len().min(max.max(1));
            Frame { bytes: m[..keep].to_vec(), truncated: m.len() > keep }
        })
        .collect()
}

async fn spool_frames(batch: &Arc<Batch>, state: &Shared, frames: &[Frame], peer: std::net::IpAddr) {
    let mut full = false;
    for f in frames {
        full |= batch.add(f, Some(peer));
    }
    if full {
        let (b, st) = (batch.clone(), state.clone());
        let _ = tokio::task::spawn_blocking(move || b.flush(&st)).await;
    }
}

/// The open connections, and the signal that tells them the listeners are stopping.
#[derive(Clone)]
struct Conns {
    closing: tokio::sync::watch::Receiver<bool>,
    open: Arc<std::sync::atomic::AtomicUsize>,
}

async fn tcp(
    l: tokio::net::TcpListener,
    certs: Option<Arc<crate::tls::Certificates>>,
    batch: Arc<Batch>,
    state: Shared,
    max: usize,
    conns: Conns,
) {
    let limit = Arc::new(tokio::sync::Semaphore::new(state.config.max_connections.max(1)));
    loop {
        let Ok(permit) = limit.clone().acquire_owned().await else { return };
        let (conn, peer) = match l.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("syslog over TCP: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let (batch, state, certs, conns) = (batch.clone(), state.clone(), certs.clone(), conns.clone());
        conns.open.fetch_add(1, Ordering::SeqCst);
        tokio::spawn(async move {
            let _permit = permit;
            let peer = peer.ip();
            match certs {
                None => stream(conn, &batch, &state, max, peer, conns.closing.clone()).await,
                Some(c) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(c.current());
                    match tokio::time::timeout(state.config.header_read_timeout, acceptor.accept(conn)).await {
                        Ok(Ok(tls)) => stream(tls, &batch, &state, max, peer, conns.closing.clone()).await,
                        Ok(Err(e)) => tracing::info!("syslog over TLS from {peer}: handshake failed: {e}"),
                        Err(_) => tracing::info!("syslog over TLS from {peer}: no handshake in time"),
                    }
                }
            }
            conns.open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// Reads one connection's messages until the sender closes it, it stays silent past the server's
/// idle time-out, or the listeners stop.
async fn stream(
    mut conn: impl AsyncRead + Unpin,
    batch: &Arc<Batch>,
    state: &Shared,
    max: usize,
    peer: std::net::IpAddr,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let mut framer = Framer::new(max);
    let mut buf = vec![0u8; 64 << 10];
    let idle = state.config.idle_timeout.max(Duration::from_secs(60));
    while !*closing.borrow() {
        let n = tokio::select! {
            r = tokio::time::timeout(idle, conn.read(&mut buf)) => match r {
                Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
                Ok(Ok(n)) => n,
            },
            _ = closing.changed() => break,
        };
        let mut out = Vec::new();
        framer.push(&buf[..n], &mut out);
        spool_frames(batch, state, &out, peer).await;
    }
    match framer.finish() {
        Ok(Some(f)) => spool_frames(batch, state, &[f], peer).await,
        Ok(None) => {}
        Err(_) => {
            state.listen_stats.partial.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Where a tail stands: the file (device and inode) and how far it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub dev: u64,
    pub ino: u64,
    pub offset: u64,
}

fn position_file(data_dir: &Path, path: &Path) -> PathBuf {
    use sha2::Digest;
    let h = sha2::Sha256::digest(path.to_string_lossy().as_bytes());
    let name: String = h.iter().take(8).map(|b| format!("{b:02x}")).collect();
    data_dir.join("tail").join(format!("{name}.json"))
}

fn load_position(file: &Path) -> Option<Position> {
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

fn save_position(file: &Path, p: &Position) -> std::io::Result<()> {
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = file.with_extension("tmp");
    let mut f = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut f, &serde_json::to_vec(p).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, file)
}

fn identity(m: &std::fs::Metadata) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    (m.dev(), m.ino())
}

/// The file beside `path` (a rotated name) that is the file `pos` was reading.
fn rotated_sibling(path: &Path, pos: &Position) -> Option<PathBuf> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let stem = path.file_name()?.to_string_lossy().into_owned();
    std::fs::read_dir(dir).ok()?.flatten().map(|e| e.path()).find(|p| {
        p.file_name().is_some_and(|n| n.to_string_lossy().starts_with(&stem))
            && p != path
            && std::fs::metadata(p).is_ok_and(|m| identity(&m) == (pos.dev, pos.ino))
    })
}

/// One open file of a tail.
struct Open {
    file: std::fs::File,
    pos: Position,
    /// Looks since the file was renamed away (or removed) in which it did not grow.
    idle: u32,
}

/// Follows `path` until `stop`: see the module documentation.
pub fn tail(path: &Path, state: &Shared, stop: &std::sync::atomic::AtomicBool, stats: &Stats, every: Duration) {
    let kept = position_file(&state.config.data_dir, path);
    let mut open: Option<Open> = None;
    let mut first = true;
    while !stop.load(Ordering::Relaxed) {
        if let Err(e) = tail_once(path, &kept, state, stats, &mut open, &mut first) {
            tracing::warn!("tailing {}: {e}", path.display());
        }
        std::thread::sleep(every);
    }
}

fn tail_once(
    path: &Path,
    kept: &Path,
    state: &Shared,
    stats: &Stats,
    open: &mut Option<Open>,
    first: &mut bool,
) -> std::io::Result<()> {
    let now = std::fs::metadata(path).ok();
    if open.is_none() {
        let saved = load_position(kept);
        if let (Some(pos), true) = (saved, *first) {
            // A rotation while stopped: finish the old file first.
            if now.as_ref().is_none_or(|m| identity(m) != (pos.dev, pos.ino))
                && let Some(old) = rotated_sibling(path, &pos)
            {
                let mut o = Open { file: std::fs::File::open(&old)?, pos, idle: 0 };
                o.file.seek(SeekFrom::Start(pos.offset))?;
                read_lines(&mut o, kept, state, stats, true)?;
            }
        }
        let Some(m) = &now else {
            *first = false;
            return Ok(());
        };
        let (dev, ino) = identity(m);
        let file = std::fs::File::open(path)?;
        let offset = match saved {
            Some(p) if (p.dev, p.ino) == (dev, ino) && p.offset <= m.len() => p.offset,
            // Never seen: from its end, so starting to follow a file does not ingest its history
            // (that is `vigil ingest`'s job).
            None if *first => m.len(),
            _ => 0,
        };
        let mut o = Open { file, pos: Position { dev, ino, offset }, idle: 0 };
        o.file.seek(SeekFrom::Start(offset))?;
        save_position(kept, &o.pos)?;
        *open = Some(o);
        *first = false;
    }
    let Some(o) = open.as_mut() else { return Ok(()) };
    let rotated = now.as_ref().is_none_or(|m| identity(m) != (o.pos.dev, o.pos.ino));
    if !rotated && now.as_ref().is_some_and(|m| m.len() < o.pos.offset) {
        // Truncated in place (copytruncate): from the start again.
        o.pos.offset = 0;
        o.file.seek(SeekFrom::Start(0))?;
    }
    let before = o.pos.offset;
    read_lines(o, kept, state, stats, false)?;
    if rotated {
        // Renamed away (or removed): the program writing it may go on writing to it until it is
        // told to reopen its log, so it is read on until it has not grown for a while; then its
        // last line, even without its newline, and the new file from its start.
        o.idle = if o.pos.offset == before { o.idle + 1 } else { 0 };
        if o.idle < DRAIN_LOOKS {
            return Ok(());
        }
        read_lines(o, kept, state, stats, true)?;
        *open = None;
        if let Some(m) = &now {
            let (dev, ino) = identity(m);
            let mut o = Open { file: std::fs::File::open(path)?, pos: Position { dev, ino, offset: 0 }, idle: 0 };
            save_position(kept, &o.pos)?;
            read_lines(&mut o, kept, state, stats, false)?;
            *open = Some(o);
        }
    }
    Ok(())
}

/// Spools the whole lines from the file's position on (and, when `to_end`, a last line without
/// its newline), in batches, saving the position after each batch is in the spool.
fn read_lines(o: &mut Open, kept: &Path, state: &Shared, stats: &Stats, to_end: bool) -> std::io::Result<()> {
    let mut buf = vec![0u8; BATCH_BYTES];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = o.file.read(&mut buf)?;
        carry.extend_from_slice(&buf[..n]);
        let mut cut =
            if n == 0 && to_end { carry.len() } else { carry.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1) };
        if cut == 0 && carry.len() >= MAX_TAIL_LINE {
            cut = carry.len();
        }
        if cut > 0 && (n == 0 || carry.len() >= BATCH_BYTES) {
            let batch: Vec<u8> = carry.drain(..cut).collect();
            let lines = batch.split(|&b| b == b'\n').filter(|l| !l.trim_ascii().is_empty()).count() as u64;
            if lines > 0
                && let Err(e) = state.ingest.accept(&batch)
            {
                // Not spooled (the spool is full or stopping): read again from the position next
                // time, so nothing is skipped.
                o.file.seek(SeekFrom::Start(o.pos.offset))?;
                return Err(std::io::Error::other(e.message));
            }
            if lines > 0 {
                stats.tailed_lines.fetch_add(lines, Ordering::Relaxed);
                stats.spooled_batches.fetch_add(1, Ordering::Relaxed);
            }
            o.pos.offset += cut as u64;
            save_position(kept, &o.pos)?;
        }
        if n == 0 {
            // What is left is a line still being written: read again from its start next time.
            o.file.seek(SeekFrom::Start(o.pos.offset))?;
            return Ok(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> (Vec<Frame>, Result<Option<Frame>, usize>) {
        let mut f = Framer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.push(c, &mut out);
        }
        let end = f.finish();
        (out, end)
    }

    fn msg(s: &str) -> Frame {
        Frame { bytes: s.as_bytes().to_vec(), truncated: false }
    }

    #[test]
    fn both_framings_are_read_across_any_split() {
        let stream = b"<13>a b\n19 <13>line\nbreak here11 <13>counted<13>c\r\n";
        let want = vec![msg("<13>a b"), msg("<13>line\nbreak here"), msg("<13>counted"), msg("<13>c")];
        // Whole, and cut at every byte.
        assert_eq!(frames(&[stream], 1024).0, want);
        for i in 0..stream.len() {
            let (a, b) = stream.split_at(i);
            assert_eq!(frames(&[a, b], 1024), (want.clone(), Ok(None)), "cut at {i}");
        }
        // `11 <13>counted` is a count of 11 bytes: `<13>counted`; then `<13>c` by its newline.
        let (out, end) = frames(&[b"11 <13>counted<13>c\n"], 1024);
        assert_eq!(out, vec![msg("<13>counted"), msg("<13>c")]);
        assert_eq!(end, Ok(None));
    }

    #[test]
    fn oversized_and_partial_messages_do_not_derail_the_stream() {
        // An oversized counted message keeps its first bytes; the next message is intact.
        let (out, _) = frames(&[b"20 <13>0123456789abcdef<13>next\n"], 8);
        assert_eq!(out, vec![Frame { bytes: b"<13>0123".to_vec(), truncated: true }, msg("<13>next")]);
        // An oversized line, across pushes, keeps its first bytes and skips to its end.
        let (out, _) = frames(&[b"<13>0123456789", b"abcdef\n<13>x\n"], 8);
        assert_eq!(out, vec![Frame { bytes: b"<13>0123".to_vec(), truncated: true }, msg("<13>x")]);
        // A newline-terminated message cut by the close is a message; a counted one is partial.
        assert_eq!(frames(&[b"<13>a\n<13>last"], 64), (vec![msg("<13>a")], Ok(Some(msg("<13>last")))));
        assert_eq!(frames(&[b"<13>a\n30 <13>cut"], 64), (vec![msg("<13>a")], Err(10)));
        // Blank lines are not messages; a zero or huge count is not a count.
        assert_eq!(frames(&[b"\n\r\n\n<13>a\n"], 64).0, vec![msg("<13>a")]);
        assert_eq!(frames(&[b"0 x\n"], 64).0, vec![msg("0 x")]);
        // A number and a space without a priority after it is a message, not a count.
        assert_eq!(frames(&[b"404 Not Found\n<13>a\n"], 64).0, vec![msg("404 Not Found"), msg("<13>a")]);
        assert_eq!(frames(&[b"99999999999 x\n"], 64).0, vec![msg("99999999999 x")]);
    }

    #[test]
    fn a_datagram_is_one_message_or_several_by_newline() {
        let d = datagram(b"123 not a count\n<13>b\r\n\n<13>0123456789", 8);
        assert_eq!(
            d,
            vec![
                Frame { bytes: b"123 not ".to_vec(), truncated: true },
                msg("<13>b"),
                Frame { bytes: b"<13>0123".to_vec(), truncated: true },
            ]
        );
        assert!(datagram(b"\n\r\n", 8).is_empty());
    }

    proptest::proptest! {
        #[test]
        fn any_split_of_a_stream_gives_the_same_messages(
            msgs in proptest::collection::vec("[ -~]{1,40}", 1..12),
            counted in proptest::collection::vec(proptest::bool::ANY, 12),
            cuts in proptest::collection::vec(0usize..400, 0..6),
            max in 4usize..64,
        ) {
            let mut stream = Vec::new();
            for (i, m) in msgs.iter().enumerate() {
                // A message that would read as a count on its own is always counted.
                if counted[i] || m.trim().is_empty() || m.as_bytes()[0].is_ascii_digit() {
                    // A counted message opens with its priority.
                    let m = format!("<13>{m}");
                    stream.extend_from_slice(format!("{} {m}", m.len()).as_bytes());
                } else {
                    stream.extend_from_slice(m.as_bytes());
                    stream.push(b'\n');
                }
            }
            let whole = frames(&[&stream], max);
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
            cuts.sort();
            let mut chunks = Vec::new();
            let mut prev = 0;
            for c in cuts {
                chunks.push(&stream[prev..c]);
                prev = c;
            }
            chunks.push(&stream[prev..]);
            proptest::prop_assert_eq!(&frames(&chunks, max), &whole);
            proptest::prop_assert!(whole.0.iter().all(|f| f.bytes.len() <= max));
        }
    }
}
