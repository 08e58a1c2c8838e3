//! Identifiers and secrets swapped for stable placeholders before text leaves the machine, and
//! put back in the text that comes back.
//!
//! What is recognised without help: e-mail addresses; IPv4 and IPv6 addresses; MAC addresses
//! (colon form); AWS access key ids (`AKIA`/`ASIA` + 16); ARNs (`arn:aws…`); JWTs; PEM private
//! key blocks; tokens with a known prefix (`vgl_`, `sk-`, `ghp_`, `xoxb-`, …); the value after
//! `password=`, `api_key:` and the like; long high-entropy base64 or hex runs; and fully
//! qualified host names with a known top-level domain or an internal suffix (`.local`,
//! `.corp`, `.internal`, …). A bare user or host name cannot be recognised: the caller names
//! those with [`Redactor::know`].
//!
//! Left alone on purpose: 32-, 40- and 64-character hex strings in one case (event ids,
//! MD5/SHA-1/SHA-256 digests) and UUIDs, which answers cite; version numbers; file names
//! such as `a.json`. A secret that is exactly such a hex string cannot be told from an id and
//! is not redacted unless it is known or follows a keyword.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::Ipv6Addr;

/// Replaces identifiers and secrets with stable placeholders (`<EMAIL_1>`, `<USER_2>`,
/// `<IP_3>`, `<HOST_4>`, `<KEY_5>`, `<SECRET_6>`, `<ARN_7>` …), the same value always getting
/// the same placeholder within one `Redactor`, and restores them in text coming back.
///
/// One `Redactor` belongs to one conversation: the placeholders it issues mean something only
/// to it. Its `Debug` output shows counts, never the values.
#[derive(Default)]
pub struct Redactor {
    /// Values the caller named, longest first, with the placeholder prefix each takes.
    known: Vec<(String, String)>,
    /// Original value → placeholder.
    forward: HashMap<String, String>,
    /// Placeholder → original value.
    back: HashMap<String, String>,
    /// Placeholder-shaped text seen in input, never issued, so restoring cannot change it.
    reserved: HashSet<String>,
    next: usize,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor").field("known", &self.known.len()).field("placeholders", &self.back.len()).finish()
    }
}

/// A piece of text on its way through the passes: still open to matching, or already a
/// placeholder.
enum Seg {
    Raw(String),
    /// Kept as it is (placeholder-shaped text already in the input).
    Keep(String),
    /// A value to replace, with its placeholder prefix; numbered in reading order at the end.
    Hit(String, String),
}

/// A match inside a raw piece: byte range and placeholder prefix.
type Span = (usize, usize, &'static str);

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Registers a value the caller knows is an identifier (a user name, host name, bucket) —
    /// the patterns cannot recognise a bare user name — so every later occurrence is replaced,
    /// as a whole token and in any ASCII case. `kind` picks the placeholder prefix ("user",
    /// "host", "bucket", "email", "ip", "key", …). Values shorter than 3 characters (after
    /// trimming) are ignored.
    pub fn know(&mut self, kind: &str, value: &str) {
        let value = value.trim();
        if value.chars().count() < 3 || self.known.iter().any(|(v, _)| v == value) {
            return;
        }
        let mut prefix: String =
            kind.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect();
        if prefix.is_empty() {
            prefix = "ID".into();
        }
        self.known.push((value.to_string(), prefix));
        // Longest first, so "ann.lee" is replaced before "ann" could split it.
        self.known.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
    }

    /// Redacts: known values first (longest first, whole tokens), then the patterns.
    pub fn redact(&mut self, text: &str) -> String {
        for p in placeholder_shapes(text) {
            if !self.back.contains_key(p) {
                self.reserved.insert(p.to_string());
            }
        }
        let mut segs = Self::pass(vec![Seg::Raw(text.to_string())], find_existing_placeholders, None);
        for (value, prefix) in &self.known {
            segs = Self::pass(segs, |s| find_known(s, value), Some(prefix));
        }
        let finders: [fn(&str) -> Vec<Span>; 11] = [
            find_private_keys,
            find_jwts,
            find_prefixed_tokens,
            find_aws_key_ids,
            find_arns,
            find_emails,
            find_keyword_secrets,
            find_ipv6_and_macs,
            find_ipv4,
            find_high_entropy,
            find_hosts,
        ];
        for finder in finders {
            segs = Self::pass(segs, finder, None);
        }
        let mut out = String::with_capacity(text.len());
        for seg in segs {
            match seg {
                Seg::Raw(s) | Seg::Keep(s) => out.push_str(&s),
                Seg::Hit(value, prefix) => out.push_str(&self.placeholder(&value, &prefix)),
            }
        }
        out
    }

    /// Puts the originals back where placeholders appear (placeholders this redactor never
    /// issued are left as they are).
    pub fn restore(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in placeholder_ranges(text) {
            if let Some(original) = self.back.get(&text[start..end]) {
                out.push_str(&text[last..start]);
                out.push_str(original);
                last = end;
            }
        }
        out.push_str(&text[last..]);
        out
    }

    /// How many placeholders have been issued.
    pub fn placeholders(&self) -> usize {
        self.back.len()
    }

    /// The placeholder issued for `value`, if it has been seen.
    pub fn placeholder_for(&self, value: &str) -> Option<&str> {
        self.forward.get(value).map(String::as_str)
    }

    fn placeholder(&mut self, value: &str, prefix: &str) -> String {
        if let Some(p) = self.forward.get(value) {
            return p.clone();
        }
        let p = loop {
            self.next += 1;
            let p = format!("<{prefix}_{}>", self.next);
            if !self.reserved.contains(&p) {
                break p;
            }
        };
        self.forward.insert(value.to_string(), p.clone());
        self.back.insert(p.clone(), value.to_string());
        p
    }

    /// Splits every raw piece at the spans `find` reports, marking each as a hit. `prefix`
    /// overrides the finder's (for known values). The special prefix `""` marks text to keep as
    /// it is.
    fn pass(segs: Vec<Seg>, find: impl Fn(&str) -> Vec<Span>, prefix: Option<&str>) -> Vec<Seg> {
        let mut out = Vec::with_capacity(segs.len());
        for seg in segs {
            let raw = match seg {
                Seg::Raw(s) => s,
                done => {
                    out.push(done);
                    continue;
                }
            };
            let mut last = 0;
            for (start, end, kind) in find(&raw) {
                if start < last || end <= start {
                    continue;
                }
                if start > last {
                    out.push(Seg::Raw(raw[last..start].to_string()));
                }
                let value = raw[start..end].to_string();
                if kind.is_empty() {
                    out.push(Seg::Keep(value));
                } else {
                    out.push(Seg::Hit(value, prefix.unwrap_or(kind).to_string()));
                }
                last = end;
            }
            if last < raw.len() {
                out.push(Seg::Raw(raw[last..].to_string()));
            }
        }
        out
    }
}

// ---- character classes -------------------------------------------------------------------

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_b64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-')
}

fn prev_char(s: &str, i: usize) -> Option<char> {
    s[..i].chars().next_back()
}

fn next_char(s: &str, i: usize) -> Option<char> {
    s[i..].chars().next()
}

/// End of the run of bytes from `i` that satisfy `f`.
fn run_end(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut j = i;
    while j < b.len() && f(b[j]) {
        j += 1;
    }
    j
}

/// Maximal runs of bytes satisfying `f`, as byte ranges.
fn runs(s: &str, f: impl Fn(u8) -> bool + Copy) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if f(b[i]) {
            let j = run_end(b, i, f);
            out.push((i, j));
            i = j;
        } else {
            i += 1;
        }
    }
    out
}

// ---- placeholders -----------------------------------------------------------------------

/// Byte ranges of `<PREFIX_N>` shapes: uppercase letters and digits, `_`, digits.
fn placeholder_ranges(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'<' {
            let p = run_end(b, i + 1, |c| c.is_ascii_uppercase() || c.is_ascii_digit());
            if p > i + 1 && p < b.len() && b[p] == b'_' {
                let d = run_end(b, p + 1, |c| c.is_ascii_digit());
                if d > p + 1 && d < b.len() && b[d] == b'>' {
                    out.push((i, d + 1));
                    i = d + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

fn placeholder_shapes(text: &str) -> impl Iterator<Item = &str> {
    placeholder_ranges(text).into_iter().map(move |(s, e)| &text[s..e])
}

/// Placeholder-shaped text is kept as it is, so no pattern takes it apart.
fn find_existing_placeholders(s: &str) -> Vec<Span> {
    placeholder_ranges(s).into_iter().map(|(a, b)| (a, b, "")).collect()
}

// ---- known values -----------------------------------------------------------------------

/// Whole-token, ASCII-case-insensitive occurrences of `value`.
fn find_known(s: &str, value: &str) -> Vec<Span> {
    let hay = s.as_bytes();
    let needle = value.as_bytes();
    let mut out = Vec::new();
    if needle.is_empty() || needle.len() > hay.len() {
        return out;
    }
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        let end = i + needle.len();
        if hay[i..end].eq_ignore_ascii_case(needle)
            && s.is_char_boundary(i)
            && s.is_char_boundary(end)
            && !prev_char(s, i).is_some_and(is_word)
            && !next_char(s, end).is_some_and(is_word)
        {
            out.push((i, end, "ID"));
            i = end;
        } else {
            i += 1;
        }
    }
    out
}

// ---- secrets ------------------------------------------------------------------------------

fn find_private_keys(s: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = s[from..].find("-----BEGIN ") {
        let start = from + rel;
        let header_end = match s[start + 11..].find("-----") {
            Some(r) => start + 11 + r,
            None => break,
        };
        let label = &s[start + 11..header_end];
        if !label.contains("PRIVATE KEY") || label.contains('\n') {
            from = header_end;
            continue;
        }
        let end_marker = format!("-----END {label}-----");
        let end = match s[header_end..].find(&end_marker) {
            Some(r) => header_end + r + end_marker.len(),
            // An unterminated block is cut off at the end of the text: all of it goes.
            None => s.len(),
        };
        out.push((start, end, "SECRET"));
        from = end;
    }
    out
}

/// Three base64url segments, the first starting `eyJ` (`{"` encoded).
fn find_jwts(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = s[from..].find("eyJ") {
        let start = from + rel;
        from = start + 3;
        if start > 0 && is_token_byte(b[start - 1]) {
            continue;
        }
        let e1 = run_end(b, start, is_token_byte);
        if e1 >= b.len() || b[e1] != b'.' {
            continue;
        }
        let e2 = run_end(b, e1 + 1, is_token_byte);
        if e2 - (e1 + 1) < 2 || e2 >= b.len() || b[e2] != b'.' {
            continue;
        }
        let e3 = run_end(b, e2 + 1, is_token_byte);
        out.push((start, e3, "SECRET"));
        from = e3;
    }
    out
}

/// Prefixes of well-known bearer and API tokens, each followed by at least 16 token bytes.
const TOKEN_PREFIXES: &[&str] = &[
    "vgl_",
    "sk-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxr-",
    "xoxs-",
    "xoxe-",
    "xapp-",
    "hf_",
    "npm_",
    "AIza",
];

fn find_prefixed_tokens(s: &str) -> Vec<Span> {
    let mut out: Vec<Span> = Vec::new();
    for (start, end) in runs(s, is_token_byte) {
        let run = &s[start..end];
        if let Some(p) = TOKEN_PREFIXES.iter().find(|p| run.starts_with(**p))
            && run.len() >= p.len() + 16
        {
            out.push((start, end, "SECRET"));
        }
    }
    out
}

fn find_aws_key_ids(s: &str) -> Vec<Span> {
    runs(s, |c| c.is_ascii_alphanumeric())
        .into_iter()
        .filter(|&(a, e)| {
            let r = &s[a..e];
            r.len() == 20
                && (r.starts_with("AKIA") || r.starts_with("ASIA"))
                && r.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
                && prev_char(s, a) != Some('_')
                && next_char(s, e) != Some('_')
        })
        .map(|(a, e)| (a, e, "KEY"))
        .collect()
}

/// `arn:aws…:service:region:account:resource`, up to whitespace or a closing delimiter.
fn find_arns(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(rel) = s[from..].find("arn:aws") {
        let start = from + rel;
        from = start + 7;
        if prev_char(s, start).is_some_and(|c| is_word(c) || c == '-' || c == ':') {
            continue;
        }
        let mut end = run_end(b, start, |c| {
            !(c.is_ascii_whitespace() || c.is_ascii_control() || matches!(c, b'"' | b'\'' | b'`' | b'<' | b'>' | b','))
                && c.is_ascii()
        });
        // Sentence punctuation and closing brackets are not part of it.
        while end > start && matches!(b[end - 1], b'.' | b';' | b')' | b']' | b'}') {
            end -= 1;
        }
        if s[start..end].matches(':').count() >= 5 {
            out.push((start, end, "ARN"));
            from = end;
        }
    }
    out
}

/// Words after which `=` or `:` introduces a secret value.
const SECRET_KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "client_secret",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "secret_key",
    "token",
    "access_token",
    "refresh_token",
    "auth_token",
    "authorization",
    "private_key",
];

/// The value in `password=…`, `"api_key": "…"`, `token: …` and the like.
fn find_keyword_secrets(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let lower = s.to_ascii_lowercase();
    let mut out: Vec<Span> = Vec::new();
    for (start, end) in runs(s, is_token_byte) {
        let word = &lower[start..end];
        let is_keyword = SECRET_KEYWORDS.iter().any(|k| {
            word == *k || (word.ends_with(k) && matches!(word.as_bytes()[word.len() - k.len() - 1], b'_' | b'-'))
        });
        if !is_keyword {
            continue;
        }
        let mut i = end;
        if i < b.len() && matches!(b[i], b'"' | b'\'') {
            i += 1;
        }
        i = run_end(b, i, |c| c == b' ' || c == b'\t');
        if i >= b.len() || !matches!(b[i], b'=' | b':') {
            continue;
        }
        i += 1;
        i = run_end(b, i, |c| c == b' ' || c == b'\t');
        let quote = if i < b.len() && matches!(b[i], b'"' | b'\'') {
            i += 1;
            Some(b[i - 1])
        } else {
            None
        };
        // "Authorization: Bearer xyz" hides the credential after the scheme.
        for scheme in ["Bearer ", "Basic ", "bearer ", "basic "] {
            if s[i..].starts_with(scheme) {
                i += scheme.len();
            }
        }
        let v_end = match quote {
            Some(q) => run_end(b, i, |c| c != q && c != b'\n' && c != b'\r'),
            None => run_end(b, i, |c| {
                !(c.is_ascii_whitespace() || matches!(c, b'"' | b'\'' | b',' | b';' | b'&' | b'}' | b')' | b']' | b'<'))
            }),
        };
        if v_end >= i + 2 && s.is_char_boundary(i) && s.is_char_boundary(v_end) {
            out.push((i, v_end, "SECRET"));
        }
    }
    out.sort_by_key(|sp| sp.0);
    out
}

/// Shannon entropy in bits per character.
fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for c in s.bytes() {
        counts[usize::from(c)] += 1;
    }
    let n = s.len() as f64;
    counts.iter().filter(|&&c| c > 0).map(|&c| f64::from(c) / n).map(|p| -p * p.log2()).sum()
}

fn is_uuid(r: &str) -> bool {
    let b = r.as_bytes();
    b.len() == 36
        && b.iter()
            .enumerate()
            .all(|(i, &c)| if matches!(i, 8 | 13 | 18 | 23) { c == b'-' } else { c.is_ascii_hexdigit() })
}

/// Hex in one case, 32, 40 or 64 long: an event id or a digest, which answers cite.
fn is_hex_id(r: &str) -> bool {
    matches!(r.len(), 32 | 40 | 64)
        && r.bytes().all(|c| c.is_ascii_hexdigit())
        && (!r.bytes().any(|c| c.is_ascii_uppercase()) || !r.bytes().any(|c| c.is_ascii_lowercase()))
}

/// Runs of 32 or more base64/hex characters that look random: letters and digits mixed, and
/// an entropy no word or path reaches. Ids (see [`is_hex_id`]) and UUIDs are left alone.
fn find_high_entropy(s: &str) -> Vec<Span> {
    runs(s, is_b64_byte)
        .into_iter()
        .filter_map(|(a, e)| {
            // Leading slashes belong to a path, trailing `-` to prose; neither to a secret.
            let mut a = a;
            let b = s.as_bytes();
            while a < e && matches!(b[a], b'/' | b'-' | b'_') {
                a += 1;
            }
            let r = &s[a..e];
            if r.len() < 32 || is_hex_id(r) || is_uuid(r) {
                return None;
            }
            let has_digit = r.bytes().any(|c| c.is_ascii_digit());
            let has_alpha = r.bytes().any(|c| c.is_ascii_alphabetic());
            if !has_digit || !has_alpha {
                return None;
            }
            let all_hex = r.bytes().all(|c| c.is_ascii_hexdigit());
            let threshold = if all_hex { 3.0 } else { 4.0 };
            (entropy(r) >= threshold).then_some((a, e, "SECRET"))
        })
        .collect()
}

// ---- addresses ----------------------------------------------------------------------------

fn is_email_local(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-')
}

/// Checks `name` as a DNS name of two or more labels; returns the top-level label.
fn dns_tld(name: &str) -> Option<&str> {
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return None;
    }
    for l in &labels {
        if l.is_empty() || l.len() > 63 || l.starts_with('-') || l.ends_with('-') {
            return None;
        }
        if !l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return None;
        }
    }
    labels.last().copied()
}

fn find_emails(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out: Vec<Span> = Vec::new();
    for (at, _) in s.match_indices('@') {
        if out.last().is_some_and(|l| l.1 > at) {
            continue;
        }
        let mut start = at;
        while start > 0 && is_email_local(b[start - 1]) {
            start -= 1;
        }
        while start < at && b[start] == b'.' {
            start += 1;
        }
        let mut end = run_end(b, at + 1, is_domain_byte);
        while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        if start == at || end == at + 1 {
            continue;
        }
        let Some(tld) = dns_tld(&s[at + 1..end]) else { continue };
        if tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()) {
            out.push((start, end, "EMAIL"));
        }
    }
    out
}

/// Candidate runs of hex digits, colons and dots that parse as an IPv6 address (not `::`),
/// or are a colon-separated MAC address.
fn find_ipv6_and_macs(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (a, e) in runs(s, |c| c.is_ascii_hexdigit() || c == b':' || c == b'.') {
        if prev_char(s, a).is_some_and(is_word) || next_char(s, e).is_some_and(is_word) {
            continue;
        }
        let mut end = e;
        while end > a && matches!(b[end - 1], b'.' | b':') && !s[a..end].ends_with("::") {
            end -= 1;
        }
        let mut start = a;
        while start < end && b[start] == b':' && !s[start..end].starts_with("::") {
            start += 1;
        }
        let r = &s[start..end];
        if r.matches(':').count() < 2 {
            continue;
        }
        if let Ok(ip) = r.parse::<Ipv6Addr>() {
            if !ip.is_unspecified() {
                out.push((start, end, "IP"));
            }
        } else if is_mac(r) {
            out.push((start, end, "MAC"));
        }
    }
    out
}

fn is_mac(r: &str) -> bool {
    let parts: Vec<&str> = r.split(':').collect();
    parts.len() == 6 && parts.iter().all(|p| p.len() == 2 && p.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// Dotted quads, each part 0–255, not inside a longer dotted number (a version).
fn find_ipv4(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (a, e) in runs(s, |c| c.is_ascii_digit() || c == b'.') {
        if prev_char(s, a).is_some_and(is_word) || next_char(s, e).is_some_and(is_word) {
            continue;
        }
        let mut end = e;
        while end > a && b[end - 1] == b'.' {
            end -= 1;
        }
        let r = &s[a..end];
        let parts: Vec<&str> = r.split('.').collect();
        let ok = parts.len() == 4
            && parts.iter().all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u16>().is_ok_and(|n| n <= 255));
        if ok {
            out.push((a, end, "IP"));
        }
    }
    out
}

/// Top-level domains and internal suffixes taken as the end of a host name. Ones that are
/// also common file extensions (`.sh`, `.py`, `.rs`, `.md`, `.pl`, `.zip`, `.so`, `.cc`, …)
/// or the last word of common field names (`event.id`, `user.domain`, `user.home`) are left
/// out, so `run.sh` stays a file name and `event.id` a field.
#[rustfmt::skip]
const HOST_SUFFIXES: &[&str] = &[
    // Generic.
    "com", "net", "org", "edu", "gov", "mil", "int", "io", "co", "ai", "app", "dev", "cloud", "info", "biz", "xyz",
    "tech", "online", "site", "me", "tv", "aws", "azure", "google", "microsoft",
    // Country codes in common use.
    "us", "uk", "de", "fr", "nl", "be", "eu", "ch", "at", "se", "no", "dk", "fi", "es", "it", "pt", "ie", "ru",
    "ua", "cn", "jp", "kr", "in", "au", "nz", "ca", "br", "mx", "ar", "za", "sg", "hk", "tw", "il", "ae", "sa",
    "tr", "gr", "cz", "hu", "ro", "bg", "lt", "lv", "ee", "my", "th", "vn", "ph", "pk", "ng", "ke", "eg", "cl",
    "pe", "is", "lu", "sk", "si", "hr", "by", "kz",
    // Internal and reserved.
    "local", "corp", "internal", "lan", "intranet", "localdomain", "localhost", "priv", "ad", "example", "invalid",
    "arpa",
];

/// Host names: two or more DNS labels ending in a known suffix, written in one case (so a
/// missing space after a full stop, "done.It", is not a host).
fn find_hosts(s: &str) -> Vec<Span> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    for (a, e) in runs(s, is_domain_byte) {
        if prev_char(s, a).is_some_and(is_word) || next_char(s, e).is_some_and(|c| c == '_') {
            continue;
        }
        let mut start = a;
        while start < e && matches!(b[start], b'.' | b'-') {
            start += 1;
        }
        let mut end = e;
        while end > start && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let name = &s[start..end];
        let Some(tld) = dns_tld(name) else { continue };
        let one_case = !tld.bytes().any(|c| c.is_ascii_uppercase()) || !tld.bytes().any(|c| c.is_ascii_lowercase());
        let lower = tld.to_ascii_lowercase();
        if one_case && HOST_SUFFIXES.contains(&lower.as_str()) && name.bytes().any(|c| c.is_ascii_alphabetic()) {
            out.push((start, end, "HOST"));
        }
    }
    out
}

#[cfg(test)]
mod tests;
