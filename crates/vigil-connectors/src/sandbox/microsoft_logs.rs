//! Microsoft's read APIs for logs and alerts, as the live pollers read them: Entra sign-ins
//! (`GET /graph/v1.0/auditLogs/signIns`) and directory audits
//! (`GET /graph/v1.0/auditLogs/directoryAudits`), Microsoft Graph security alerts
//! (`GET /graph/v1.0/security/alerts_v2`) and Defender for Endpoint alerts
//! (`GET /defender/api/alerts`), each behind its bearer token (checked by the Graph and Defender
//! stand-ins, audience included).
//!
//! They speak OData as the services do for a poller: `$filter` holds one `{time field} ge
//! {date-time}` clause (any other filter is a 400 in Microsoft's error shape), `$orderby` only
//! `{time field} asc` or `desc`, `$top` within the API's bounds; an answer is
//! `{"@odata.context", "value": [...]}` with an `@odata.nextLink` while more match, carrying the
//! same query and an opaque `$skiptoken` that continues just after the last record served (so a
//! record that arrives late with an earlier time is not in that listing: a poller asks again
//! from a while back). Records are served by their time, then in the order they were added.
//! Sign-ins and audits are appended as given ([`crate::sandbox::Sandbox::add_entra_sign_ins`],
//! [`crate::sandbox::Sandbox::add_entra_audits`]); an alert added again with the same `id` is
//! its new version and replaces the old one, as the services keep one alert in its latest state
//! ([`crate::sandbox::Sandbox::add_graph_alerts`], [`crate::sandbox::Sandbox::add_defender_alerts`]).

use serde_json::{Value, json};

use super::{Api, Inner, RecordedRequest, Resp, State, api_error};

/// One of the four listings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    SignIns,
    DirectoryAudits,
    AlertsV2,
    DefenderAlerts,
}

impl Listing {
    fn api(self) -> Api {
        match self {
            Listing::DefenderAlerts => Api::Defender,
            _ => Api::Graph,
        }
    }

    /// The field `$filter` and `$orderby` name.
    fn time_field(self) -> &'static str {
        match self {
            Listing::SignIns => "createdDateTime",
            Listing::DirectoryAudits => "activityDateTime",
            Listing::AlertsV2 => "lastUpdateDateTime",
            Listing::DefenderAlerts => "lastUpdateTime",
        }
    }

    /// The largest `$top` the API takes.
    fn max_top(self) -> usize {
        match self {
            Listing::SignIns => 1000,
            Listing::DirectoryAudits => 999,
            Listing::AlertsV2 => 2000,
            Listing::DefenderAlerts => 10_000,
        }
    }

    /// `$top` when the request names none.
    fn default_top(self) -> usize {
        match self {
            Listing::AlertsV2 => 2000,
            Listing::DefenderAlerts => 10_000,
            _ => 100,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Listing::SignIns => "/graph/v1.0/auditLogs/signIns",
            Listing::DirectoryAudits => "/graph/v1.0/auditLogs/directoryAudits",
            Listing::AlertsV2 => "/graph/v1.0/security/alerts_v2",
            Listing::DefenderAlerts => "/defender/api/alerts",
        }
    }

    fn context(self) -> &'static str {
        match self {
            Listing::SignIns => "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
            Listing::DirectoryAudits => "https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits",
            Listing::AlertsV2 => "https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2",
            Listing::DefenderAlerts => "https://api.securitycenter.microsoft.com/api/$metadata#Alerts",
        }
    }

    pub(crate) fn records(self, st: &State) -> &Vec<Value> {
        match self {
            Listing::SignIns => &st.entra_sign_ins,
            Listing::DirectoryAudits => &st.entra_audits,
            Listing::AlertsV2 => &st.graph_alerts,
            Listing::DefenderAlerts => &st.defender_alerts,
        }
    }

    pub(crate) fn records_mut(self, st: &mut State) -> &mut Vec<Value> {
        match self {
            Listing::SignIns => &mut st.entra_sign_ins,
            Listing::DirectoryAudits => &mut st.entra_audits,
            Listing::AlertsV2 => &mut st.graph_alerts,
            Listing::DefenderAlerts => &mut st.defender_alerts,
        }
    }
}

/// Adds records to a listing: appended, or for alerts replacing the version with the same id.
pub(crate) fn add(st: &mut State, listing: Listing, records: impl IntoIterator<Item = Value>) {
    let alerts = matches!(listing, Listing::AlertsV2 | Listing::DefenderAlerts);
    let list = listing.records_mut(st);
    for r in records {
        if alerts && let Some(id) = r.get("id").cloned() {
            list.retain(|x| x.get("id") != Some(&id));
        }
        list.push(r);
    }
}

fn bad_request(listing: Listing, message: &str) -> Resp {
    let code = if listing == Listing::DefenderAlerts { "InvalidRequest" } else { "BadRequest" };
    api_error(listing.api(), 400, code, message)
}

fn time_of(v: &Value, field: &str) -> Option<i64> {
    v.get(field)
        .and_then(Value::as_str)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis())
}

/// `$skiptoken`: the position (time, index) of the last record served, opaque to the caller.
fn skiptoken(time: i64, index: usize) -> String {
    crate::util::base64_encode(format!("sbx:{time}:{index}").as_bytes())
        .replace('+', "-")
        .replace('/', "_")
        .trim_end_matches('=')
        .to_string()
}

fn parse_skiptoken(token: &str) -> Option<(i64, usize)> {
    let mut t = token.replace('-', "+").replace('_', "/");
    while !t.len().is_multiple_of(4) {
        t.push('=');
    }
    let raw = String::from_utf8(crate::util::base64_decode(&t)?).ok()?;
    let mut parts = raw.strip_prefix("sbx:")?.split(':');
    let time = parts.next()?.parse().ok()?;
    let index = parts.next()?.parse().ok()?;
    Some((time, index))
}

/// `GET` of one listing (the bearer token already checked).
pub(super) fn list(sb: &Inner, req: &RecordedRequest, listing: Listing) -> Resp {
    if req.method != "GET" {
        return api_error(
            listing.api(),
            405,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request uri.",
        );
    }
    let field = listing.time_field();
    let since = match req.query_param("$filter") {
        None => None,
        Some(f) => {
            let clause = f.trim();
            let value = clause
                .strip_prefix(field)
                .and_then(|r| r.trim_start().strip_prefix("ge "))
                .map(str::trim)
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
            match value {
                Some(t) => Some(t.timestamp_millis()),
                None => return bad_request(listing, &format!("Invalid filter clause: {clause}")),
            }
        }
    };
    let desc = match req.query_param("$orderby") {
        None => false,
        Some(o) => match o.trim().strip_prefix(field).map(str::trim) {
            Some("" | "asc") => false,
            Some("desc") => true,
            _ => return bad_request(listing, &format!("Invalid $orderby: only {field} can be ordered by")),
        },
    };
    let top = match req.query_param("$top") {
        None => listing.default_top(),
        Some(t) => match t.parse::<usize>() {
            Ok(n) if (1..=listing.max_top()).contains(&n) => n,
            _ => {
                return bad_request(
                    listing,
                    &format!("Invalid page size specified: '{t}'. Must be between 1 and {}.", listing.max_top()),
                );
            }
        },
    };
    let after = match req.query_param("$skiptoken") {
        None => None,
        Some(t) => match parse_skiptoken(&t) {
            Some(p) => Some(p),
            None => return bad_request(listing, "Invalid $skiptoken."),
        },
    };
    let st = sb.state();
    let records = listing.records(&st);
    let mut order: Vec<(i64, usize)> = records
        .iter()
        .enumerate()
        .filter_map(|(i, r)| time_of(r, field).map(|t| (t, i)))
        .filter(|(t, _)| since.is_none_or(|s| *t >= s))
        .collect();
    order.sort();
    if desc {
        order.reverse();
    }
    let rest: Vec<(i64, usize)> = match after {
        None => order,
        Some(pos) => order.into_iter().filter(|p| if desc { *p < pos } else { *p > pos }).collect(),
    };
    let page: Vec<Value> = rest.iter().take(top).map(|(_, i)| records[*i].clone()).collect();
    let mut body = json!({ "@odata.context": listing.context(), "value": page });
    if rest.len() > top
        && let Some((t, i)) = rest.get(top - 1)
    {
        // The same query, the continuation token in place of any earlier one.
        let mut q: Vec<String> = req
            .query
            .split('&')
            .filter(|kv| !kv.is_empty() && !kv.starts_with("$skiptoken=") && !kv.starts_with("%24skiptoken="))
            .map(str::to_string)
            .collect();
        q.push(format!("$skiptoken={}", skiptoken(*t, *i)));
        body["@odata.nextLink"] = json!(format!("{}{}?{}", sb.base, listing.path(), q.join("&")));
    }
    Resp::json(200, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skiptokens_round_trip_and_are_url_safe() {
        let t = skiptoken(1_700_000_000_123, 42);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "{t}");
        assert_eq!(parse_skiptoken(&t), Some((1_700_000_000_123, 42)));
        assert_eq!(parse_skiptoken("nope"), None);
    }
}
