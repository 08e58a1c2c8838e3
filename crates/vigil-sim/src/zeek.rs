//! Zeek `conn` and `dns` logs in JSON streaming form (ISO-8601 timestamps).

use crate::emit::{Emitter, Sink};
use crate::json::{J, obj};
use crate::util::{R, SEC, Ts, between, fmt_ts, ip_str, unit, zeek_uid};

fn local(ip: u32) -> bool {
    ip >> 24 == 10
}

pub(crate) struct Conn {
    pub ts: i64,
    pub orig: u32,
    pub orig_p: u16,
    pub resp: u32,
    pub resp_p: u16,
    pub proto: &'static str,
    pub service: Option<&'static str>,
    pub duration: f64,
    pub orig_bytes: u64,
    pub resp_bytes: u64,
    pub state: &'static str,
}

impl Conn {
    pub(crate) fn tcp(ts: i64, orig: u32, resp: u32, resp_p: u16, service: Option<&'static str>) -> Conn {
        Conn {
            ts,
            orig,
            orig_p: 0,
            resp,
            resp_p,
            proto: "tcp",
            service,
            duration: 1.0,
            orig_bytes: 0,
            resp_bytes: 0,
            state: "SF",
        }
    }

    /// Writes the record and returns its uid.
    pub(crate) fn emit(self, rng: &R, em: &mut Emitter) -> String {
        let uid = zeek_uid(rng);
        let orig_p = if self.orig_p == 0 { between(rng, 49152, 65535) as u16 } else { self.orig_p };
        let history = match (self.proto, self.state) {
            ("udp", _) => "Dd",
            (_, "S0") => "S",
            (_, "REJ") => "Sr",
            (_, "RSTO") => "ShADadR",
            (_, "SH") => "ShAFf",
            _ => {
                if unit(rng) < 0.7 {
                    "ShADadFf"
                } else {
                    "ShADadfF"
                }
            }
        };
        let mss = 1400u64;
        let orig_pkts = if self.state == "S0" { 1 } else { self.orig_bytes / mss + 3 + between(rng, 0, 3) as u64 };
        let resp_pkts = if self.state == "S0" { 0 } else { self.resp_bytes / mss + 2 + between(rng, 0, 3) as u64 };
        let hdr = if self.proto == "udp" { 28 } else { 52 };
        let duration = (self.duration * 1e6).round() / 1e6;
        let end = self.ts + (duration * SEC as f64) as i64;
        let write_ts = end + between(rng, 1, 60) * SEC + between(rng, 0, 999_999);
        let mut j = obj! {
            "_path": "conn",
            "_write_ts": fmt_ts(write_ts, Ts::Micros),
            "ts": fmt_ts(self.ts, Ts::Micros),
            "uid": uid.clone(),
            "id.orig_h": ip_str(self.orig),
            "id.orig_p": orig_p,
            "id.resp_h": ip_str(self.resp),
            "id.resp_p": self.resp_p,
            "proto": self.proto,
        };
        if let Some(s) = self.service {
            j.push("service", s);
        }
        if self.state != "S0" {
            j.push("duration", duration);
            j.push("orig_bytes", self.orig_bytes);
            j.push("resp_bytes", self.resp_bytes);
        }
        j.push("conn_state", self.state);
        j.push("local_orig", local(self.orig));
        j.push("local_resp", local(self.resp));
        j.push("missed_bytes", 0);
        j.push("history", history);
        j.push("orig_pkts", orig_pkts);
        j.push("orig_ip_bytes", self.orig_bytes + orig_pkts * hdr);
        j.push("resp_pkts", resp_pkts);
        j.push("resp_ip_bytes", self.resp_bytes + resp_pkts * hdr);
        em.emit(self.ts, Sink::Conn, &j);
        uid
    }
}

/// A DNS lookup from `orig` to the resolver `resp`, with its UDP conn record. Returns the answer
/// records as written.
pub(crate) fn lookup(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    orig: u32,
    resp: u32,
    query: &str,
    cname: Option<&str>,
    addrs: &[u32],
    ttl: u32,
) {
    let rtt = 0.0008 + unit(rng) * 0.03;
    let orig_p = between(rng, 49152, 65535) as u16;
    let uid = Conn {
        ts,
        orig,
        orig_p,
        resp,
        resp_p: 53,
        proto: "udp",
        service: Some("dns"),
        duration: rtt,
        orig_bytes: 30 + query.len() as u64,
        resp_bytes: 46 + query.len() as u64 + 16 * addrs.len() as u64 + cname.map_or(0, |c| c.len() as u64 + 12),
        state: "SF",
    }
    .emit(rng, em);
    let mut answers: Vec<J> = Vec::new();
    let mut ttls: Vec<J> = Vec::new();
    if let Some(c) = cname {
        answers.push(J::Own(c.to_string()));
        ttls.push(J::Float(f64::from(ttl.max(60) * 5)));
    }
    for &a in addrs {
        answers.push(J::Own(ip_str(a)));
        ttls.push(J::Float(f64::from(ttl)));
    }
    let nx = addrs.is_empty() && cname.is_none();
    let j = obj! {
        "_path": "dns",
        "_write_ts": fmt_ts(ts + (rtt * 1e6) as i64 + between(rng, 0, 2_000_000), Ts::Micros),
        "ts": fmt_ts(ts, Ts::Micros),
        "uid": uid,
        "id.orig_h": ip_str(orig),
        "id.orig_p": orig_p,
        "id.resp_h": ip_str(resp),
        "id.resp_p": 53,
        "proto": "udp",
        "trans_id": between(rng, 1, 65535),
        "rtt": (rtt * 1e6).round() / 1e6,
        "query": query.to_string(),
        "qclass": 1,
        "qclass_name": "C_INTERNET",
        "qtype": 1,
        "qtype_name": "A",
        "rcode": if nx { 3 } else { 0 },
        "rcode_name": if nx { "NXDOMAIN" } else { "NOERROR" },
        "AA": false,
        "TC": false,
        "RD": true,
        "RA": true,
        "Z": 0,
    };
    // Zeek leaves unset fields out.
    let mut j = j;
    if !nx {
        j.push("answers", J::Arr(answers));
        j.push("TTLs", J::Arr(ttls));
    }
    j.push("rejected", false);
    em.emit(ts, Sink::Dns, &j);
}
