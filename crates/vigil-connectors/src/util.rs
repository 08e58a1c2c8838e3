//! Small helpers shared by the connectors and the sandbox: URL and form encoding, base64,
//! `Link` headers, minimal XML reading, and reading inputs and configuration.

use serde_json::Value;

use crate::ConnectorError;

/// Percent-encodes everything but the unreserved characters (RFC 3986 §2.3). This is the
/// encoding AWS Signature Version 4 requires and is valid in paths, queries and forms.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Like [`encode`], but a space becomes `+` (the HTML form convention some APIs' search
/// queries are documented with).
pub fn encode_plus(s: &str) -> String {
    s.split(' ').map(encode).collect::<Vec<_>>().join("+")
}

/// Decodes `%XX` escapes; with `plus`, `+` is a space. Invalid escapes are kept as they are.
pub fn decode(s: &str, plus: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                }
                _ => {
                    out.push(b'%');
                    i += 1;
                }
            },
            b'+' if plus => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `application/x-www-form-urlencoded` body from pairs, each part percent-encoded.
pub fn form(pairs: &[(&str, &str)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

/// Parses a form body or a query string into decoded pairs.
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k, true), decode(v, true)),
            None => (decode(p, true), String::new()),
        })
        .collect()
}

/// The first value of `name` in decoded pairs.
pub fn form_get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648 §4), as HTTP Basic authentication uses.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); `None` on any other character.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|&x| x == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The parts of an absolute `http(s)` URL that the connectors need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    pub scheme: String,
    /// Host as written, lower-cased, with `:port` when the URL names one.
    pub authority: String,
    /// Path, at least `/`, still encoded.
    pub path: String,
    /// Query without `?`, still encoded; empty when there is none.
    pub query: String,
}

impl Url {
    pub fn parse(url: &str) -> Option<Url> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let rest = rest.split('#').next().unwrap_or_default();
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let authority = rest[..end].to_ascii_lowercase();
        if authority.is_empty() || authority.contains('@') {
            return None;
        }
        let tail = &rest[end..];
        let (path, query) = match tail.split_once('?') {
            Some((p, q)) => (p, q),
            None => (tail, ""),
        };
        let path = if path.is_empty() { "/".to_string() } else { path.to_string() };
        Some(Url { scheme, authority, path, query: query.to_string() })
    }

    /// `scheme://authority`, the origin a pagination link must stay on.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority)
    }

    /// The authority the way an HTTP client writes it in `Host`: the default port left out.
    pub fn host_header(&self) -> String {
        let default = if self.scheme == "https" { ":443" } else { ":80" };
        self.authority.strip_suffix(default).unwrap_or(&self.authority).to_string()
    }
}

/// The target of `rel="next"` in `Link` header values (RFC 8288), in either spacing style
/// (`<u>; rel="next"` as Okta and GitHub write it, `<u>;rel="next"` as ServiceNow does).
pub fn link_next<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<String> {
    for value in values {
        let mut rest = value;
        while let Some(start) = rest.find('<') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('>') else { break };
            let target = &after[..end];
            let params_and_more = &after[end + 1..];
            let params = &params_and_more[..params_and_more.find('<').unwrap_or(params_and_more.len())];
            let is_next = params.split([';', ',']).any(|p| {
                let p = p.trim();
                match p.split_once('=') {
                    Some((k, v)) if k.trim().eq_ignore_ascii_case("rel") => {
                        v.trim().trim_matches('"').split_whitespace().any(|r| r.eq_ignore_ascii_case("next"))
                    }
                    _ => false,
                }
            });
            if is_next {
                return Some(target.to_string());
            }
            rest = params_and_more;
        }
    }
    None
}

/// Resolves a pagination link against the URL it came from and refuses one that leaves the
/// origin: credentials are attached to every page request.
pub fn same_origin_link(from_url: &str, link: &str) -> Result<String, ConnectorError> {
    let base = Url::parse(from_url).ok_or_else(|| ConnectorError::BadResponse("unparsable request URL".into()))?;
    let resolved = if link.starts_with('/') { format!("{}{}", base.origin(), link) } else { link.to_string() };
    let target = Url::parse(&resolved)
        .ok_or_else(|| ConnectorError::BadResponse("pagination link is not an absolute URL".into()))?;
    if target.origin() != base.origin() {
        return Err(ConnectorError::BadResponse(format!(
            "pagination link leaves {} for {}; not followed",
            base.origin(),
            target.origin()
        )));
    }
    Ok(resolved)
}

/// Inner text of the first `<tag>…</tag>` in `xml`, entities decoded.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_blocks(xml, tag).into_iter().next().map(xml_unescape)
}

/// Inner text of every `<tag>…</tag>` in `xml` (not nested in itself), raw.
pub fn xml_blocks<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let open_attr = format!("<{tag} ");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    loop {
        let start = match (rest.find(&open), rest.find(&open_attr)) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => break,
        };
        let Some(gt) = rest[start..].find('>') else { break };
        let body_start = start + gt + 1;
        if rest[start..body_start].ends_with("/>") {
            out.push("");
            rest = &rest[body_start..];
            continue;
        }
        let Some(len) = rest[body_start..].find(&close) else { break };
        out.push(&rest[body_start..body_start + len]);
        rest = &rest[body_start + len + close.len()..];
    }
    out
}

pub fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// A required input as a string: a string, or a number or boolean written out.
pub fn input_str(inputs: &Value, name: &str) -> Result<String, ConnectorError> {
    opt_input_str(inputs, name).ok_or_else(|| ConnectorError::MissingInput(name.to_string()))
}

/// An optional input as a string; empty strings count as absent.
pub fn opt_input_str(inputs: &Value, name: &str) -> Option<String> {
    match inputs.get(name)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A required setting `config.<connector>.<field>`.
pub fn config_str(config: &Value, connector: &str, field: &str) -> Result<String, ConnectorError> {
    opt_config_str(config, connector, field)
        .ok_or_else(|| ConnectorError::MissingConfig(format!("{connector}.{field}")))
}

pub fn opt_config_str(config: &Value, connector: &str, field: &str) -> Option<String> {
    match config.get(connector)?.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A base URL setting, with a default for vendors that have one global endpoint; it must be
/// an absolute http(s) URL and is returned without a trailing slash.
pub fn base_url(config: &Value, connector: &str, field: &str, default: Option<&str>) -> Result<String, ConnectorError> {
    let raw = match (opt_config_str(config, connector, field), default) {
        (Some(v), _) => v,
        (None, Some(d)) => d.to_string(),
        (None, None) => return Err(ConnectorError::MissingConfig(format!("{connector}.{field}"))),
    };
    if Url::parse(&raw).is_none() {
        return Err(ConnectorError::Unsupported(format!("{connector}.{field} must be an absolute http(s) URL")));
    }
    Ok(raw.trim_end_matches('/').to_string())
}

/// Truncates to at most `max` characters, on a character boundary.
pub fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_string(),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_round_trips() {
        let s = "a b+c/d=é~_.-";
        assert_eq!(encode(s), "a%20b%2Bc%2Fd%3D%C3%A9~_.-");
        assert_eq!(decode(&encode(s), false), s);
        assert_eq!(encode_plus("repo:a/b \"x\""), "repo%3Aa%2Fb+%22x%22");
        assert_eq!(decode("repo%3Aa%2Fb+%22x%22", true), "repo:a/b \"x\"");
        assert_eq!(decode("100%", false), "100%");
        assert_eq!(decode("%zz%4", false), "%zz%4");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(plain.as_bytes()), enc);
            assert_eq!(base64_decode(enc).as_deref(), Some(plain.as_bytes()));
        }
        assert_eq!(base64_decode("a*b"), None);
    }

    #[test]
    fn link_headers_in_both_styles() {
        let okta = r#"<https://x.okta.com/api/v1/users?limit=2>; rel="self", <https://x.okta.com/api/v1/users?after=00u2&limit=2>; rel="next""#;
        assert_eq!(link_next([okta]).as_deref(), Some("https://x.okta.com/api/v1/users?after=00u2&limit=2"));
        let snow = r#"<https://i.service-now.com/api/now/table/incident?sysparm_offset=0>;rel="first",<https://i.service-now.com/api/now/table/incident?sysparm_offset=1>;rel="next",<https://i.service-now.com/api/now/table/incident?sysparm_offset=4>;rel="last""#;
        assert_eq!(
            link_next([snow]).as_deref(),
            Some("https://i.service-now.com/api/now/table/incident?sysparm_offset=1")
        );
        assert_eq!(link_next([r#"<https://a/b?c=1,2>; rel="prev""#]), None);
        assert_eq!(link_next(["<https://a/b?c=1,2>; rel=next"]).as_deref(), Some("https://a/b?c=1,2"));
    }

    #[test]
    fn pagination_links_stay_on_origin() {
        assert!(same_origin_link("https://a.example/x?p=1", "https://a.example/x?p=2").is_ok());
        assert_eq!(same_origin_link("https://a.example/x", "/x?p=2").ok().as_deref(), Some("https://a.example/x?p=2"));
        assert!(same_origin_link("https://a.example/x", "https://evil.example/x?p=2").is_err());
        assert!(same_origin_link("https://a.example/x", "http://a.example/x?p=2").is_err());
    }

    #[test]
    fn url_parts() {
        let u = Url::parse("HTTPS://IAM.amazonaws.com:443/?Action=X").expect("parse");
        assert_eq!(u.host_header(), "iam.amazonaws.com");
        assert_eq!(u.path, "/");
        assert_eq!(u.query, "Action=X");
        assert_eq!(Url::parse("http://127.0.0.1:8080").map(|u| u.host_header()).as_deref(), Some("127.0.0.1:8080"));
        assert!(Url::parse("ftp://x/").is_none());
        assert!(Url::parse("https://user:pw@x/").is_none());
    }

    #[test]
    fn xml_reading() {
        let xml = "<ErrorResponse><Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The &quot;key&quot; &amp; more</Message></Error></ErrorResponse>";
        assert_eq!(xml_text(xml, "Code").as_deref(), Some("NoSuchEntity"));
        assert_eq!(xml_text(xml, "Message").as_deref(), Some("The \"key\" & more"));
        let list = "<AccessKeyMetadata><member><AccessKeyId>A</AccessKeyId></member><member><AccessKeyId>B</AccessKeyId></member></AccessKeyMetadata>";
        let ids: Vec<_> = xml_blocks(list, "member").into_iter().filter_map(|m| xml_text(m, "AccessKeyId")).collect();
        assert_eq!(ids, ["A", "B"]);
        assert_eq!(
            xml_text(
                "<ListAccessKeysResponse xmlns=\"x\"><Marker>m</Marker></ListAccessKeysResponse>",
                "ListAccessKeysResponse"
            )
            .map(|s| s.contains("Marker")),
            Some(true)
        );
    }
}
