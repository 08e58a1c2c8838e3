//! Jira Cloud, ServiceNow and GitHub issues.

use serde_json::{Value, json};

use super::{Api, Inner, RecordedRequest, Resp, State, api_error, now_rfc3339, page_offset, page_token, random_hex};
use crate::util::{encode, encode_plus};

const JIRA_PROJECT: &str = "SEC";
const JIRA_TYPES: &[&str] = &["Task", "Bug", "Incident"];
const GITHUB_REPO: &str = "acme/soc";

fn jira_error(status: u16, message: &str) -> Resp {
    api_error(Api::Jira, status, "", message)
}

fn jira_field_error(field: &str, message: &str) -> Resp {
    Resp::json(400, json!({ "errorMessages": [], "errors": { field: message } }))
}

pub(crate) fn new_jira_issue(
    base: &str,
    st: &mut State,
    summary: &str,
    labels: &[&str],
    issue_type: &str,
    description: Value,
) -> String {
    let n = st.jira.len() + 1;
    let id = (10_000 + n).to_string();
    let key = format!("{JIRA_PROJECT}-{n}");
    st.jira.push(json!({
        "id": id,
        "key": key,
        "self": format!("{base}/jira/rest/api/3/issue/{id}"),
        "fields": {
            "summary": summary,
            "labels": labels,
            "issuetype": { "name": issue_type },
            "project": { "key": JIRA_PROJECT },
            "description": description,
            "status": { "name": "To Do" },
        }
    }));
    key
}

/// A valid Atlassian Document Format document, loosely: a `doc` of version 1 whose nodes
/// all have a type, and whose text nodes are non-empty.
fn valid_adf(doc: &Value) -> bool {
    fn node_ok(n: &Value) -> bool {
        let Some(t) = n.get("type").and_then(Value::as_str) else { return false };
        if t == "text" && n.get("text").and_then(Value::as_str).is_none_or(str::is_empty) {
            return false;
        }
        n.get("content").and_then(Value::as_array).is_none_or(|c| c.iter().all(node_ok))
    }
    doc.get("type").and_then(Value::as_str) == Some("doc")
        && doc.get("version").and_then(Value::as_u64) == Some(1)
        && doc.get("content").and_then(Value::as_array).is_some_and(|c| c.iter().all(node_ok))
}

/// `labels = "x"` (or unquoted), the one JQL form the sandbox evaluates.
fn jql_label(jql: &str) -> Option<String> {
    let rest = jql.trim();
    let rest = rest.get(..6).filter(|p| p.eq_ignore_ascii_case("labels")).map(|_| rest[6..].trim_start())?;
    let value = rest.strip_prefix('=')?.trim();
    if let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        return Some(inner.replace("\\\"", "\"").replace("\\\\", "\\"));
    }
    (!value.is_empty() && !value.contains(' ')).then(|| value.to_string())
}

/// `/jira/rest/api/3/...` with HTTP Basic (email and API token).
pub(super) fn jira(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    if !Inner::basic_ok(req, &sb.creds.jira_email, &sb.creds.jira_api_token) {
        return jira_error(401, "Client must be authenticated to access this resource.");
    }
    match (req.method.as_str(), seg) {
        ("GET" | "POST", ["rest", "api", "3", "search"]) => Resp::json(
            410,
            json!({ "errorMessages": ["The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046"], "errors": {} }),
        ),
        ("POST", ["rest", "api", "3", "search", "jql"]) => {
            if !req.content_type_is("application/json") {
                return jira_error(415, "Unsupported Media Type");
            }
            let Some(body) = req.json().filter(Value::is_object) else {
                return jira_error(400, "Invalid request payload. Refer to the REST API documentation and try again.");
            };
            if body.get("startAt").is_some() {
                return jira_error(400, "Invalid request payload. Refer to the REST API documentation and try again.");
            }
            let Some(jql) = body.get("jql").and_then(Value::as_str) else {
                return jira_error(
                    400,
                    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.",
                );
            };
            let Some(label) = jql_label(jql) else {
                return jira_error(
                    400,
                    &format!("Error in the JQL Query: the sandbox evaluates only `labels = \"…\"` (got `{jql}`)."),
                );
            };
            let max = body.get("maxResults").and_then(Value::as_u64).unwrap_or(50).clamp(1, 5000) as usize;
            let take = max.min(sb.page_size());
            let start = match body.get("nextPageToken").and_then(Value::as_str) {
                Some(t) => match page_offset(t) {
                    Some(o) => o,
                    None => return jira_error(400, "Invalid nextPageToken."),
                },
                None => 0,
            };
            let fields: Vec<String> = body
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| f.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            let st = sb.state();
            // JQL compares labels without regard to case.
            let matching: Vec<&Value> = st
                .jira
                .iter()
                .filter(|i| {
                    i.pointer("/fields/labels")
                        .and_then(Value::as_array)
                        .is_some_and(|ls| ls.iter().filter_map(Value::as_str).any(|l| l.eq_ignore_ascii_case(&label)))
                })
                .collect();
            let issues: Vec<Value> = matching
                .iter()
                .skip(start)
                .take(take)
                .map(|i| {
                    let mut shown = serde_json::Map::new();
                    for f in &fields {
                        if let Some(v) = i.pointer(&format!("/fields/{f}")) {
                            shown.insert(f.clone(), v.clone());
                        }
                    }
                    json!({ "id": i["id"], "key": i["key"], "self": i["self"], "fields": shown })
                })
                .collect();
            let last = start + take >= matching.len();
            let mut out = json!({ "issues": issues, "isLast": last });
            if !last {
                out["nextPageToken"] = json!(page_token(start + take));
            }
            Resp::json(200, out)
        }
        ("POST", ["rest", "api", "3", "issue"]) => {
            if !req.content_type_is("application/json") {
                return jira_error(415, "Unsupported Media Type");
            }
            let Some(fields) = req.json().and_then(|b| b.get("fields").cloned()).filter(Value::is_object) else {
                return jira_error(400, "Field 'fields' is required.");
            };
            if fields.pointer("/project/key").and_then(Value::as_str) != Some(JIRA_PROJECT) {
                return jira_field_error("project", "valid project is required");
            }
            let summary = fields.get("summary").and_then(Value::as_str).unwrap_or_default();
            if summary.trim().is_empty() {
                return jira_field_error("summary", "You must specify a summary of the issue.");
            }
            if summary.chars().count() > 255 {
                return jira_field_error("summary", "Summary must be less than 255 characters.");
            }
            let issue_type = fields.pointer("/issuetype/name").and_then(Value::as_str).unwrap_or_default();
            if !JIRA_TYPES.contains(&issue_type) {
                return jira_field_error("issuetype", "Specify a valid issue type");
            }
            let description = fields.get("description").cloned().unwrap_or(Value::Null);
            if !description.is_null() && !valid_adf(&description) {
                return jira_field_error(
                    "description",
                    "Operation value must be an Atlassian Document (see the Atlassian Document Format)",
                );
            }
            let labels: Vec<&str> = match fields.get("labels") {
                None => Vec::new(),
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => a.iter().filter_map(Value::as_str).collect(),
                Some(_) => return jira_field_error("labels", "Field 'labels' must be an array of strings."),
            };
            if let Some(bad) = labels.iter().find(|l| l.contains(' ')) {
                return jira_field_error("labels", &format!("The label '{bad}' contains spaces which is invalid."));
            }
            let mut st = sb.state();
            let key = new_jira_issue(&sb.base, &mut st, summary, &labels, issue_type, description);
            let issue = st.jira.last().cloned().unwrap_or(Value::Null);
            Resp::json(201, json!({ "id": issue["id"], "key": key, "self": issue["self"] }))
        }
        _ => jira_error(404, "Not Found"),
    }
}

fn snow_error(status: u16, message: &str, detail: &str) -> Resp {
    api_error(Api::ServiceNow, status, message, detail)
}

pub(crate) fn new_incident(st: &mut State, fields: &Value) -> Value {
    let n = st.incidents.len() + 1;
    let s = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let record = json!({
        "sys_id": random_hex(32),
        "number": format!("INC{:07}", 10_000 + n),
        "short_description": s("short_description"),
        "description": s("description"),
        "urgency": fields.get("urgency").and_then(Value::as_str).unwrap_or("3"),
        "impact": fields.get("impact").and_then(Value::as_str).unwrap_or("3"),
        "correlation_id": s("correlation_id"),
        "correlation_display": s("correlation_display"),
        "state": "1",
        "sys_created_on": now_rfc3339(),
    });
    st.incidents.push(record.clone());
    record
}

/// `/servicenow/api/now/table/{table}` with HTTP Basic.
pub(super) fn servicenow(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    if !Inner::basic_ok(req, &sb.creds.servicenow_username, &sb.creds.servicenow_password) {
        return snow_error(401, "User Not Authenticated", "Required to provide Auth information");
    }
    let ["api", "now", "table", table] = seg else {
        return snow_error(400, "Requested URI does not represent any resource", "");
    };
    if *table != "incident" {
        return Resp::json(
            400,
            json!({ "error": { "message": format!("Invalid table {table}"), "detail": null }, "status": "failure" }),
        );
    }
    match req.method.as_str() {
        "GET" => {
            // Encoded query: `^`-joined `field=value` terms. Unknown fields are ignored,
            // as ServiceNow does by default; string comparison ignores case.
            let query = req.query_param("sysparm_query").unwrap_or_default();
            let terms: Vec<(String, String)> = query
                .split('^')
                .filter_map(|t| t.split_once('='))
                .filter(|(f, _)| matches!(*f, "correlation_id" | "number" | "sys_id"))
                .map(|(f, v)| (f.to_string(), v.to_string()))
                .collect();
            let limit = req
                .query_param("sysparm_limit")
                .and_then(|l| l.parse::<usize>().ok())
                .unwrap_or(10_000)
                .clamp(1, sb.page_size());
            let offset = req.query_param("sysparm_offset").and_then(|l| l.parse::<usize>().ok()).unwrap_or(0);
            let fields: Option<Vec<String>> =
                req.query_param("sysparm_fields").map(|f| f.split(',').map(|s| s.trim().to_string()).collect());
            let st = sb.state();
            let matching: Vec<&Value> = st
                .incidents
                .iter()
                .filter(|r| {
                    terms
                        .iter()
                        .all(|(f, v)| r.get(f).and_then(Value::as_str).is_some_and(|x| x.eq_ignore_ascii_case(v)))
                })
                .collect();
            let result: Vec<Value> = matching
                .iter()
                .skip(offset)
                .take(limit)
                .map(|r| match &fields {
                    Some(fs) => {
                        Value::Object(fs.iter().filter_map(|f| r.get(f).map(|v| (f.clone(), v.clone()))).collect())
                    }
                    None => (*r).clone(),
                })
                .collect();
            let total = matching.len();
            let link_for = |off: usize| {
                let mut q: Vec<String> = req
                    .query_pairs()
                    .into_iter()
                    .filter(|(k, _)| k != "sysparm_offset")
                    .map(|(k, v)| format!("{}={}", encode(&k), encode(&v)))
                    .collect();
                q.push(format!("sysparm_offset={off}"));
                format!("{}/servicenow/api/now/table/incident?{}", sb.base, q.join("&"))
            };
            let mut links = vec![format!("<{}>;rel=\"first\"", link_for(0))];
            if offset > 0 {
                links.push(format!("<{}>;rel=\"prev\"", link_for(offset.saturating_sub(limit))));
            }
            if offset + limit < total {
                links.push(format!("<{}>;rel=\"next\"", link_for(offset + limit)));
            }
            links.push(format!("<{}>;rel=\"last\"", link_for(total.saturating_sub(1) / limit * limit)));
            Resp::json(200, json!({ "result": result }))
                .with_header("Link", links.join(","))
                .with_header("X-Total-Count", total.to_string())
        }
        "POST" => {
            if !req.content_type_is("application/json") {
                return snow_error(415, "Unsupported Media Type", "Request content type must be application/json");
            }
            let Some(body) = req.json().filter(Value::is_object) else {
                return snow_error(400, "Exception while reading request", "The payload is not valid JSON.");
            };
            for level in ["urgency", "impact"] {
                if let Some(v) = body.get(level)
                    && !matches!(v.as_str(), Some("1" | "2" | "3"))
                {
                    return snow_error(400, "Invalid value", &format!("{level} must be 1, 2 or 3"));
                }
            }
            let mut st = sb.state();
            let record = new_incident(&mut st, &body);
            Resp::json(201, json!({ "result": record })).with_header(
                "Location",
                format!(
                    "{}/servicenow/api/now/table/incident/{}",
                    sb.base,
                    record["sys_id"].as_str().unwrap_or_default()
                ),
            )
        }
        _ => snow_error(405, "Method not Supported", "The method is not supported for this resource"),
    }
}

fn gh_error(status: u16, message: &str) -> Resp {
    api_error(Api::GitHub, status, "", message)
}

pub(crate) fn new_github_issue(base: &str, st: &mut State, title: &str, body: &str, labels: &[&str]) -> Value {
    let n = st.github.len() as u64 + 1;
    let issue = json!({
        "id": 2_000_000 + n,
        "node_id": format!("I_kwDO{}", random_hex(12)),
        "number": n,
        "title": title,
        "body": body,
        "state": "open",
        "labels": labels.iter().map(|l| json!({ "name": l })).collect::<Vec<_>>(),
        "user": { "login": "vigil-bot", "type": "Bot" },
        "html_url": format!("https://github.com/{GITHUB_REPO}/issues/{n}"),
        "url": format!("{base}/github/repos/{GITHUB_REPO}/issues/{n}"),
        "repository_url": format!("{base}/github/repos/{GITHUB_REPO}"),
        "created_at": now_rfc3339(),
    });
    st.github.push(issue.clone());
    issue
}

/// Search terms of a `q`: qualifiers (`repo:`, `in:`, `is:`) and quoted or bare words.
fn search_terms(q: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut qualifiers = Vec::new();
    let mut words = Vec::new();
    let mut rest = q.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            words.push(after[..end].to_string());
            rest = after.get(end + 1..).unwrap_or_default().trim_start();
            continue;
        }
        let end = rest.find(' ').unwrap_or(rest.len());
        let token = &rest[..end];
        match token.split_once(':') {
            Some((k, v)) if matches!(k, "repo" | "in" | "is" | "state" | "label") => {
                qualifiers.push((k.to_string(), v.to_string()))
            }
            _ => words.push(token.to_string()),
        }
        rest = rest[end..].trim_start();
    }
    (qualifiers, words)
}

/// `/github/...` with a bearer token, GitHub's API version header and a User-Agent.
pub(super) fn github(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    let token_ok = req
        .header("authorization")
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("token ")))
        .is_some_and(|t| t.trim() == sb.creds.github_token);
    if !token_ok {
        return gh_error(401, "Bad credentials");
    }
    if req.header("user-agent").is_none_or(str::is_empty) {
        return Resp::text(
            403,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header.",
        );
    }
    if let Some(v) = req.header("x-github-api-version")
        && v != "2022-11-28"
    {
        return gh_error(400, &format!("API version '{v}' is not supported."));
    }
    match (req.method.as_str(), seg) {
        ("GET", ["orgs", org, "audit-log"]) => super::logs::github_audit(sb, req, org),
        ("GET", ["search", "issues"]) => {
            let Some(q) = req.query_param("q").filter(|q| !q.trim().is_empty()) else {
                return Resp::json(
                    422,
                    json!({ "message": "Validation Failed", "errors": [{ "resource": "Search", "field": "q", "code": "missing" }], "documentation_url": "https://docs.github.com/rest/search/search#search-issues-and-pull-requests", "status": "422" }),
                );
            };
            let (qualifiers, words) = search_terms(&q);
            let per_page = req
                .query_param("per_page")
                .and_then(|p| p.parse::<usize>().ok())
                .unwrap_or(30)
                .clamp(1, 100)
                .min(sb.page_size());
            let page = req.query_param("page").and_then(|p| p.parse::<usize>().ok()).unwrap_or(1).max(1);
            let in_body_only = qualifiers.iter().any(|(k, v)| k == "in" && v == "body");
            let repo = qualifiers.iter().find(|(k, _)| k == "repo").map(|(_, v)| v.clone());
            let st = sb.state();
            let matching: Vec<&Value> = st
                .github
                .iter()
                .filter(|_| repo.as_deref().is_none_or(|r| r.eq_ignore_ascii_case(GITHUB_REPO)))
                .filter(|i| {
                    let body = i["body"].as_str().unwrap_or_default().to_lowercase();
                    let title = i["title"].as_str().unwrap_or_default().to_lowercase();
                    words.iter().all(|w| {
                        let w = w.to_lowercase();
                        body.contains(&w) || (!in_body_only && title.contains(&w))
                    })
                })
                .collect();
            let items: Vec<Value> = matching
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| {
                    let mut v = (*i).clone();
                    v["score"] = json!(1.0);
                    v
                })
                .collect();
            let last_page = matching.len().div_ceil(per_page).max(1);
            let link = |p: usize| {
                format!("{}/github/search/issues?q={}&per_page={per_page}&page={p}", sb.base, encode_plus(&q))
            };
            let mut resp =
                Resp::json(200, json!({ "total_count": matching.len(), "incomplete_results": false, "items": items }));
            if page < last_page {
                resp = resp.with_header(
                    "Link",
                    format!("<{}>; rel=\"next\", <{}>; rel=\"last\"", link(page + 1), link(last_page)),
                );
            }
            resp
        }
        ("POST", ["repos", owner, repo, "issues"]) => {
            if !format!("{owner}/{repo}").eq_ignore_ascii_case(GITHUB_REPO) {
                return gh_error(404, "Not Found");
            }
            let Some(body) = req.json().filter(Value::is_object) else {
                return gh_error(400, "Problems parsing JSON");
            };
            let title = match body.get("title") {
                Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Resp::json(
                        422,
                        json!({ "message": "Validation Failed", "errors": [{ "resource": "Issue", "code": "missing_field", "field": "title" }], "documentation_url": "https://docs.github.com/rest/issues/issues#create-an-issue", "status": "422" }),
                    );
                }
            };
            let labels: Vec<&str> = match body.get("labels") {
                None => Vec::new(),
                Some(Value::Array(a)) if a.iter().all(Value::is_string) => a.iter().filter_map(Value::as_str).collect(),
                Some(_) => {
                    return gh_error(422, "Invalid request. For 'properties/labels', must be an array of strings.");
                }
            };
            let text = body.get("body").and_then(Value::as_str).unwrap_or_default();
            let mut st = sb.state();
            let issue = new_github_issue(&sb.base, &mut st, &title, text, &labels);
            Resp::json(201, issue.clone()).with_header("Location", issue["url"].as_str().unwrap_or_default())
        }
        _ => gh_error(404, "Not Found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jql_and_search_parsing() {
        assert_eq!(jql_label(r#"labels = "vigil-abc""#).as_deref(), Some("vigil-abc"));
        assert_eq!(jql_label("LABELS=vigil-abc").as_deref(), Some("vigil-abc"));
        assert_eq!(jql_label("project = SEC"), None);
        let (q, w) = search_terms(r#"repo:acme/soc "vigil:k1" in:body is:issue"#);
        assert_eq!(w, ["vigil:k1"]);
        assert!(q.contains(&("repo".into(), "acme/soc".into())) && q.contains(&("in".into(), "body".into())));
    }
}
