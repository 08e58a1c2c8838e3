//! Records on their way to a file: rendered text, time, destination and (for attacks) label.

use crate::json::J;

/// CloudTrail regions records may be delivered from (index in [`Sink::Ct`]).
pub(crate) static REGIONS: &[&str] = &[
    "us-east-1",
    "eu-west-1",
    "us-west-2",
    "eu-central-1",
    "ap-southeast-1",
    "sa-east-1",
    "ap-northeast-1",
    "us-east-2",
];

pub(crate) fn region_idx(name: &str) -> u8 {
    REGIONS.iter().position(|r| *r == name).unwrap_or(0) as u8
}

/// Windows channels: the record number counts per host per channel.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Chan {
    Security = 0,
    Sysmon = 1,
    System = 2,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub(crate) enum Sink {
    Okta,
    Ct { acct: u8, region: u8 },
    Win { host: u32, chan: Chan },
    Conn,
    Dns,
}

impl Sink {
    /// The record family `vigil_model::EventId::of_json` is called with.
    pub(crate) fn family(&self) -> &'static str {
        match self {
            Sink::Okta => "okta",
            Sink::Ct { .. } => "cloudtrail",
            Sink::Win { .. } => "windows",
            Sink::Conn | Sink::Dns => "zeek",
        }
    }
}

pub(crate) const NO_LABEL: u32 = u32::MAX;
pub(crate) const NO_RID: u32 = u32::MAX;

pub(crate) struct Rec {
    pub ts: i64,
    pub seq: u64,
    pub sink: Sink,
    pub text: String,
    /// Byte offset where the Windows `EventRecordID` is inserted.
    pub rid_at: u32,
    pub label: u32,
}

/// Collects rendered records. `label` is set while an attack is being written.
pub(crate) struct Emitter {
    pub recs: Vec<Rec>,
    seq: u64,
    pub label: u32,
}

impl Emitter {
    pub(crate) fn new(seq_base: u64) -> Emitter {
        Emitter { recs: Vec::new(), seq: seq_base, label: NO_LABEL }
    }

    pub(crate) fn emit(&mut self, ts: i64, sink: Sink, j: &J) {
        let mut text = String::with_capacity(1024);
        let at = j.write(&mut text);
        self.seq += 1;
        self.recs.push(Rec {
            ts,
            seq: self.seq,
            sink,
            text,
            rid_at: at.map(|a| a as u32).unwrap_or(NO_RID),
            label: self.label,
        });
    }
}
