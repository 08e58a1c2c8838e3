//! Randomness, identifiers and time formatting shared by the generators.
//!
//! Times are microseconds since the Unix epoch, UTC. All randomness comes from ChaCha8 streams
//! derived from the seed, so the same seed gives the same bytes on every run.

use std::cell::RefCell;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random stream. Shared (`&R`) so a draw can appear among the arguments of a call that also
/// takes the stream; draws happen in argument order, which is fixed.
pub(crate) struct R(RefCell<ChaCha8Rng>);

impl R {
    fn with<T>(&self, f: impl FnOnce(&mut ChaCha8Rng) -> T) -> T {
        f(&mut self.0.borrow_mut())
    }
}

pub(crate) const SEC: i64 = 1_000_000;
pub(crate) const MIN: i64 = 60 * SEC;
pub(crate) const HOUR: i64 = 60 * MIN;
pub(crate) const DAY: i64 = 24 * HOUR;

const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX_LO: &[u8] = b"0123456789abcdef";
const HEX_UP: &[u8] = b"0123456789ABCDEF";
const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// SplitMix64 finalizer: a cheap, well-mixed hash of a u64.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Hash of a string (FNV-1a, then mixed).
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

/// An independent random stream for `(seed, stream, index)`.
pub(crate) fn stream(seed: u64, stream: u64, index: u64) -> R {
    R(RefCell::new(ChaCha8Rng::seed_from_u64(mix(seed ^ mix(stream.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ mix(index))))))
}

pub(crate) fn chance(rng: &R, p: f64) -> bool {
    rng.with(|r| r.gen_bool(p.clamp(0.0, 1.0)))
}

/// Uniform integer in `[lo, hi]` (inclusive); `lo` when the range is empty.
pub(crate) fn between(rng: &R, lo: i64, hi: i64) -> i64 {
    if hi <= lo { lo } else { rng.with(|r| r.gen_range(lo..=hi)) }
}

pub(crate) fn unit(rng: &R) -> f64 {
    rng.with(|r| r.r#gen::<f64>())
}

/// A normal sample (Box-Muller).
pub(crate) fn normal(rng: &R, mean: f64, sd: f64) -> f64 {
    let u1 = unit(rng).max(1e-12);
    let u2 = unit(rng);
    mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A log-normal-ish positive size around `median`.
pub(crate) fn lognorm(rng: &R, median: f64, spread: f64) -> u64 {
    (median * normal(rng, 0.0, spread).exp()).max(1.0) as u64
}

pub(crate) fn pick<'a, T>(rng: &R, items: &'a [T]) -> &'a T {
    &items[rng.with(|r| r.gen_range(0..items.len()))]
}

/// Index drawn with the given weights (all weights zero: index 0).
pub(crate) fn weighted(rng: &R, weights: &[u32]) -> usize {
    let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
    if total == 0 {
        return 0;
    }
    let mut x = rng.with(|r| r.gen_range(0..total));
    for (i, &w) in weights.iter().enumerate() {
        if x < u64::from(w) {
            return i;
        }
        x -= u64::from(w);
    }
    weights.len() - 1
}

pub(crate) fn shuffle<T>(rng: &R, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.with(|r| r.gen_range(0..=i));
        items.swap(i, j);
    }
}

fn chars(rng: &R, alphabet: &[u8], n: usize) -> String {
    rng.with(|r| (0..n).map(|_| alphabet[r.gen_range(0..alphabet.len())] as char).collect())
}

pub(crate) fn b62(rng: &R, n: usize) -> String {
    chars(rng, B62, n)
}

pub(crate) fn hex(rng: &R, n: usize) -> String {
    chars(rng, HEX_LO, n)
}

pub(crate) fn hex_up(rng: &R, n: usize) -> String {
    chars(rng, HEX_UP, n)
}

pub(crate) fn upper_alnum(rng: &R, n: usize) -> String {
    chars(rng, &B62[..36], n)
}

/// Deterministic characters from a hash (for things that must be stable per name, e.g. file hashes).
pub(crate) fn hash_chars(key: u64, alphabet: &[u8], n: usize) -> String {
    let mut out = String::with_capacity(n);
    let mut h = key;
    for i in 0..n {
        if i % 8 == 0 {
            h = mix(h ^ i as u64);
        }
        out.push(alphabet[(h % alphabet.len() as u64) as usize] as char);
        h /= alphabet.len() as u64;
    }
    out
}

pub(crate) fn hash_b62(key: u64, n: usize) -> String {
    hash_chars(key, B62, n)
}

/// A random (v4-shaped) UUID, lowercase.
pub(crate) fn uuid(rng: &R) -> String {
    let (a, b): (u64, u64) = rng.with(|r| (r.r#gen(), r.r#gen()));
    format_uuid(a, b, false)
}

/// A Windows GUID in braces, uppercase.
pub(crate) fn guid(rng: &R) -> String {
    let (a, b): (u64, u64) = rng.with(|r| (r.r#gen(), r.r#gen()));
    format!("{{{}}}", format_uuid(a, b, true))
}

fn format_uuid(a: u64, b: u64, upper: bool) -> String {
    let a = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    let s = format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFFF,
        b >> 48,
        b & 0xFFFF_FFFF_FFFF
    );
    if upper { s.to_uppercase() } else { s }
}

/// An AWS long-term access key id (`AKIA…`).
pub(crate) fn akia(rng: &R) -> String {
    format!("AKIA{}", chars(rng, B32, 16))
}

/// An AWS temporary access key id (`ASIA…`).
pub(crate) fn asia(rng: &R) -> String {
    format!("ASIA{}", chars(rng, B32, 16))
}

/// An AWS unique id with the given prefix (`AIDA`, `AROA`).
pub(crate) fn aws_uid(rng: &R, prefix: &str) -> String {
    format!("{prefix}{}", chars(rng, B32, 17))
}

/// A Zeek connection uid.
pub(crate) fn zeek_uid(rng: &R) -> String {
    format!("C{}", b62(rng, 17))
}

pub(crate) fn ip_str(ip: u32) -> String {
    let [a, b, c, d] = ip.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

pub(crate) const fn ip(a: u8, b: u8, c: u8, d: u8) -> u32 {
    u32::from_be_bytes([a, b, c, d])
}

/// Days since the epoch to (year, month, day) — Howard Hinnant's `civil_from_days`.
pub(crate) fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Weekday of a day number: 0 = Monday … 6 = Sunday.
pub(crate) fn weekday(day: i64) -> u32 {
    (day + 3).rem_euclid(7) as u32
}

fn push2(out: &mut String, v: u32) {
    out.push((b'0' + (v / 10 % 10) as u8) as char);
    out.push((b'0' + (v % 10) as u8) as char);
}

fn push_frac(out: &mut String, micros: u32, digits: u32) {
    let mut div = 100_000;
    for _ in 0..digits {
        out.push((b'0' + (micros / div % 10) as u8) as char);
        div /= 10;
    }
}

/// Time format styles used by the vendors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ts {
    /// `2026-10-05T08:01:02.123Z` (Okta).
    Millis,
    /// `2026-10-05T08:01:02Z` (CloudTrail).
    Secs,
    /// `2026-10-05T08:01:02.123456Z` (evtx, Zeek ISO).
    Micros,
    /// `2026-10-05 08:01:02.123` (Sysmon `UtcTime`).
    Sysmon,
    /// `20261005T0801Z` (CloudTrail file names).
    Compact,
}

pub(crate) fn fmt_ts(ts: i64, style: Ts) -> String {
    let days = ts.div_euclid(DAY);
    let rem = ts.rem_euclid(DAY);
    let (y, m, d) = civil(days);
    let secs = (rem / SEC) as u32;
    let micros = (rem % SEC) as u32;
    let (hh, mm, ss) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::with_capacity(28);
    let yy = y.clamp(0, 9999) as u32;
    push2(&mut out, yy / 100);
    push2(&mut out, yy % 100);
    if style != Ts::Compact {
        out.push('-');
    }
    push2(&mut out, m);
    if style != Ts::Compact {
        out.push('-');
    }
    push2(&mut out, d);
    out.push(if style == Ts::Sysmon { ' ' } else { 'T' });
    push2(&mut out, hh);
    if style != Ts::Compact {
        out.push(':');
    }
    push2(&mut out, mm);
    if style != Ts::Compact {
        out.push(':');
        push2(&mut out, ss);
    }
    match style {
        Ts::Millis => {
            out.push('.');
            push_frac(&mut out, micros, 3);
            out.push('Z');
        }
        Ts::Micros => {
            out.push('.');
            push_frac(&mut out, micros, 6);
            out.push('Z');
        }
        Ts::Sysmon => {
            out.push('.');
            push_frac(&mut out, micros, 3);
        }
        Ts::Secs | Ts::Compact => out.push('Z'),
    }
    out
}

/// `YYYY-MM-DD` of a day number.
pub(crate) fn fmt_day(day: i64) -> String {
    let (y, m, d) = civil(day);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Great-circle distance in km.
pub(crate) fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};

    #[test]
    fn formats_match_chrono() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("date");
        for ts in [0i64, 1_791_187_262_123_456, 951_782_400_000_001, 4_102_444_799_999_999] {
            let dt = DateTime::<Utc>::from_timestamp_micros(ts).expect("ts");
            assert_eq!(fmt_ts(ts, Ts::Micros), dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            assert_eq!(fmt_ts(ts, Ts::Millis), dt.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string());
            assert_eq!(fmt_ts(ts, Ts::Secs), dt.format("%Y-%m-%dT%H:%M:%SZ").to_string());
            assert_eq!(fmt_ts(ts, Ts::Sysmon), dt.format("%Y-%m-%d %H:%M:%S%.3f").to_string());
            assert_eq!(fmt_ts(ts, Ts::Compact), dt.format("%Y%m%dT%H%MZ").to_string());
            let day = ts.div_euclid(DAY);
            assert_eq!(fmt_day(day), dt.format("%Y-%m-%d").to_string());
            let date = dt.date_naive();
            assert_eq!(day, date.signed_duration_since(epoch).num_days());
        }
        // 2026-10-05 is a Monday.
        let d = NaiveDate::from_ymd_opt(2026, 10, 5).expect("date").signed_duration_since(epoch).num_days();
        assert_eq!(weekday(d), 0);
    }

    #[test]
    fn uuids_are_shaped() {
        let r = stream(1, 2, 3);
        let u = uuid(&r);
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert!(guid(&r).starts_with('{'));
        assert_eq!(akia(&r).len(), 20);
    }
}
