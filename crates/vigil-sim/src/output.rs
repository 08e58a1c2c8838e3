//! Writing records to their files: Okta and Zeek as JSON lines, Windows as one JSON-lines file per
//! host (record numbers assigned here, per host and channel, in time order), CloudTrail as one
//! `{"Records":[…]}` file per account, region and hour. Computes the event ids of labeled records.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use vigil_model::EventId;

use crate::SimError;
use crate::company::Company;
use crate::emit::{NO_LABEL, NO_RID, REGIONS, Rec, Sink};
use crate::util::{HOUR, Ts, fmt_ts, hash_b62, mix};

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
    move |source| SimError::Io { path: path.to_path_buf(), source }
}

struct Stream {
    rel: String,
    path: PathBuf,
    w: BufWriter<File>,
    records: u64,
    bytes: u64,
}

impl Stream {
    fn create(root: &Path, rel: &str) -> Result<Stream, SimError> {
        let path = root.join(rel);
        let f = File::create(&path).map_err(io_err(&path))?;
        Ok(Stream { rel: rel.to_string(), path, w: BufWriter::with_capacity(1 << 20, f), records: 0, bytes: 0 })
    }

    fn line(&mut self, text: &str) -> Result<(), SimError> {
        self.w.write_all(text.as_bytes()).map_err(io_err(&self.path))?;
        self.w.write_all(b"\n").map_err(io_err(&self.path))?;
        self.records += 1;
        self.bytes += text.len() as u64 + 1;
        Ok(())
    }
}

/// Event ids and time span of one label's records.
#[derive(Default)]
pub(crate) struct LabelAcc {
    pub ids: Vec<String>,
    pub first: Option<i64>,
    pub last: Option<i64>,
}

/// Relative path -> (records, bytes).
pub(crate) type Files = BTreeMap<String, (u64, u64)>;

pub(crate) struct Out<'c> {
    root: PathBuf,
    co: &'c Company,
    seed: u64,
    okta: Stream,
    conn: Stream,
    dns: Stream,
    rids: Vec<[u64; 3]>,
    win_started: Vec<bool>,
    pub files: Files,
    pub labels: Vec<LabelAcc>,
}

pub(crate) const OKTA_FILE: &str = "okta/system_log.jsonl";
pub(crate) const CONN_FILE: &str = "zeek/conn.jsonl";
pub(crate) const DNS_FILE: &str = "zeek/dns.jsonl";
pub(crate) const CT_DIR: &str = "aws/cloudtrail";
pub(crate) const WIN_DIR: &str = "windows";

impl<'c> Out<'c> {
    /// Creates the layout under `root`, removing files a previous run left in the directories
    /// this crate owns.
    pub(crate) fn new(root: &Path, co: &'c Company, seed: u64, n_labels: usize) -> Result<Out<'c>, SimError> {
        for dir in ["okta", CT_DIR, WIN_DIR, "zeek"] {
            let p = root.join(dir);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        for (dir, ext) in [(CT_DIR, "json"), (WIN_DIR, "jsonl")] {
            let p = root.join(dir);
            for entry in fs::read_dir(&p).map_err(io_err(&p))? {
                let path = entry.map_err(io_err(&p))?.path();
                if path.is_file() && path.extension().is_some_and(|e| e == ext) {
                    fs::remove_file(&path).map_err(io_err(&path))?;
                }
            }
        }
        Ok(Out {
            okta: Stream::create(root, OKTA_FILE)?,
            conn: Stream::create(root, CONN_FILE)?,
            dns: Stream::create(root, DNS_FILE)?,
            root: root.to_path_buf(),
            co,
            seed,
            rids: vec![[0; 3]; co.hosts.len()],
            win_started: vec![false; co.hosts.len()],
            files: BTreeMap::new(),
            labels: (0..n_labels).map(|_| LabelAcc::default()).collect(),
        })
    }

    fn label(&mut self, r: &Rec, text: &str) -> Result<(), SimError> {
        if r.label == NO_LABEL {
            return Ok(());
        }
        let v: serde_json::Value = serde_json::from_str(text)?;
        let id = EventId::of_json(r.sink.family(), &v);
        if let Some(acc) = self.labels.get_mut(r.label as usize) {
            acc.ids.push(id.to_string());
            acc.first = Some(acc.first.map_or(r.ts, |f| f.min(r.ts)));
            acc.last = Some(acc.last.map_or(r.ts, |l| l.max(r.ts)));
        }
        Ok(())
    }

    /// Writes time-sorted records. CloudTrail hours must not span two calls.
    pub(crate) fn flush(&mut self, recs: &[Rec]) -> Result<(), SimError> {
        let mut win: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
        let mut ct: BTreeMap<(u8, u8, i64), Vec<usize>> = BTreeMap::new();
        for (i, r) in recs.iter().enumerate() {
            match r.sink {
                Sink::Okta => {
                    self.okta.line(&r.text)?;
                    self.label(r, &r.text)?;
                }
                Sink::Conn => {
                    self.conn.line(&r.text)?;
                    self.label(r, &r.text)?;
                }
                Sink::Dns => {
                    self.dns.line(&r.text)?;
                    self.label(r, &r.text)?;
                }
                Sink::Win { host, .. } => win.entry(host).or_default().push(i),
                Sink::Ct { acct, region } => ct.entry((acct, region, r.ts.div_euclid(HOUR))).or_default().push(i),
            }
        }
        let mut text = String::with_capacity(4096);
        for (host, idxs) in win {
            let h = host as usize;
            let rel = format!("{WIN_DIR}/{}.jsonl", self.co.hosts[h].name);
            let path = self.root.join(&rel);
            let f = if self.win_started[h] { OpenOptions::new().append(true).open(&path) } else { File::create(&path) }
                .map_err(io_err(&path))?;
            self.win_started[h] = true;
            let mut w = BufWriter::with_capacity(256 << 10, f);
            let mut bytes = 0u64;
            for &i in &idxs {
                let r = &recs[i];
                let Sink::Win { chan, .. } = r.sink else { continue };
                let n = &mut self.rids[h][chan as usize];
                *n += 1;
                text.clear();
                if r.rid_at == NO_RID {
                    text.push_str(&r.text);
                } else {
                    let at = r.rid_at as usize;
                    text.push_str(&r.text[..at]);
                    text.push_str(&n.to_string());
                    text.push_str(&r.text[at..]);
                }
                text.push('\n');
                w.write_all(text.as_bytes()).map_err(io_err(&path))?;
                bytes += text.len() as u64;
                self.label(r, text.trim_end())?;
            }
            w.flush().map_err(io_err(&path))?;
            let e = self.files.entry(rel).or_insert((0, 0));
            e.0 += idxs.len() as u64;
            e.1 += bytes;
        }
        for ((acct, region, hour), idxs) in ct {
            let account = &self.co.accounts[acct as usize].id;
            let region_name = REGIONS[region as usize];
            let key = mix(self.seed ^ mix(u64::from(acct) << 56 ^ u64::from(region) << 48 ^ hour as u64));
            // Delivered within a quarter hour after the hour the records belong to.
            let minute = (1 + key % 3) as i64 * 5 * 60 * 1_000_000;
            let stamp = fmt_ts((hour + 1) * HOUR + minute, Ts::Compact);
            let mut attempt = 0u64;
            let rel = loop {
                let rel = format!(
                    "{CT_DIR}/{account}_CloudTrail_{region_name}_{stamp}_{}.json",
                    hash_b62(key ^ attempt.wrapping_mul(0x9E37), 16)
                );
                if !self.files.contains_key(&rel) {
                    break rel;
                }
                attempt += 1;
            };
            let path = self.root.join(&rel);
            let mut body = String::with_capacity(idxs.iter().map(|&i| recs[i].text.len() + 1).sum::<usize>() + 16);
            body.push_str("{\"Records\":[");
            for (k, &i) in idxs.iter().enumerate() {
                if k > 0 {
                    body.push(',');
                }
                body.push_str(&recs[i].text);
                self.label(&recs[i], &recs[i].text)?;
            }
            body.push_str("]}");
            fs::write(&path, body.as_bytes()).map_err(io_err(&path))?;
            self.files.insert(rel, (idxs.len() as u64, body.len() as u64));
        }
        Ok(())
    }

    /// Flushes the streams and records their sizes.
    pub(crate) fn finish(mut self) -> Result<(Files, Vec<LabelAcc>), SimError> {
        for s in [&mut self.okta, &mut self.conn, &mut self.dns] {
            s.w.flush().map_err(io_err(&s.path))?;
            self.files.insert(s.rel.clone(), (s.records, s.bytes));
        }
        Ok((self.files, self.labels))
    }
}
