//! Jira, ServiceNow and GitHub issues: created once per idempotency key.

use serde_json::json;
use vigil_connectors::util::base64_encode;

use crate::common::*;

const KEY: &str = "case-12.step-5";

#[test]
fn jira_searches_by_label_then_creates_with_adf() {
    let h = Harness::new();
    let inputs = json!({ "summary": "Impossible travel: alice", "description": "Sign-ins from two countries.\nWithin 5 minutes.\n\nAccount suspended.", "labels": ["identity"] });
    let out = h.run("jira.create_issue", &inputs, KEY).expect("creates");
    let sent = h.sent();
    let base = h.config["jira"]["base_url"].as_str().expect("base");
    let basic = format!(
        "Basic {}",
        base64_encode(format!("{}:{}", h.secret("jira_email"), h.secret("jira_api_token")).as_bytes())
    );
    assert_eq!((sent[0].method.as_str(), sent[0].url.clone()), ("POST", format!("{base}/rest/api/3/search/jql")));
    assert_eq!(
        body_json(&sent[0]),
        json!({ "jql": format!("labels = \"vigil-{KEY}\""), "fields": ["summary", "labels"], "maxResults": 50 })
    );
    assert_eq!((sent[1].method.as_str(), sent[1].url.clone()), ("POST", format!("{base}/rest/api/3/issue")));
    for r in &sent {
        assert_eq!(header(r, "Authorization"), basic);
        assert_eq!(header(r, "Content-Type"), "application/json");
        assert_eq!(header(r, "Accept"), "application/json");
    }
    let fields = body_json(&sent[1])["fields"].clone();
    assert_eq!(fields["project"], json!({ "key": "SEC" }));
    assert_eq!(fields["summary"], "Impossible travel: alice");
    assert_eq!(fields["issuetype"], json!({ "name": "Task" }));
    assert_eq!(fields["labels"], json!(["vigil", format!("vigil-{KEY}"), "identity"]));
    assert_eq!(
        fields["description"],
        json!({ "type": "doc", "version": 1, "content": [
            { "type": "paragraph", "content": [
                { "type": "text", "text": "Sign-ins from two countries." }, { "type": "hardBreak" }, { "type": "text", "text": "Within 5 minutes." } ] },
            { "type": "paragraph", "content": [ { "type": "text", "text": "Account suspended." } ] }
        ]})
    );
    assert_eq!(out.output, json!({ "key": "SEC-1", "id": "10001", "url": format!("{base}/browse/SEC-1") }));
    assert!(!out.already_done);
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [200, 201]);
    assert_eq!(h.state()["tickets"]["jira"].as_array().map(Vec::len), Some(1));
    assert!(
        h.sb.requests().iter().all(|r| !r.path.ends_with("/rest/api/3/search")),
        "the removed search API is not used"
    );

    h.reset();
    let again = h.run("jira.create_issue", &inputs, KEY).expect("runs");
    assert!(again.already_done);
    assert_eq!(again.output, out.output);
    assert!(h.seen("/rest/api/3/issue").is_empty());
    assert_eq!(h.state()["tickets"]["jira"].as_array().map(Vec::len), Some(1));
}

#[test]
fn jira_pages_through_case_insensitive_matches_to_the_exact_label() {
    let h = Harness::new();
    for i in 0..4 {
        h.sb.seed_jira_issue(&format!("older {i}"), &[&format!("VIGIL-{}", KEY.to_uppercase())]);
    }
    let exact = h.sb.seed_jira_issue("the one", &[&format!("vigil-{KEY}")]);
    let out = h.run("jira.create_issue", &json!({ "summary": "x" }), KEY).expect("runs");
    assert!(out.already_done);
    assert_eq!(out.output["key"], exact);
    let searches = h.seen("/search/jql");
    assert_eq!(searches.len(), 2);
    assert!(searches[1].json().expect("json")["nextPageToken"].is_string());
    assert!(h.seen("/rest/api/3/issue").is_empty());
}

#[test]
fn jira_errors_carry_jira_messages() {
    let h = Harness::new();
    let other = with_config(&h.config, "jira", "project", json!("OPS"));
    assert_http(
        h.run_with("jira.create_issue", &json!({ "summary": "x" }), KEY, &other, &h.secrets),
        400,
        "project: valid project is required",
    );
    let bug = with_config(&h.config, "jira", "issue_type", json!("Epic"));
    assert_http(
        h.run_with("jira.create_issue", &json!({ "summary": "x" }), KEY, &bug, &h.secrets),
        400,
        "issuetype: Specify a valid issue type",
    );
    h.sb.fail_next("/rest/api/3/issue", 403, None);
    assert_http(
        h.run("jira.create_issue", &json!({ "summary": "x" }), KEY),
        403,
        "You do not have permission to create issues",
    );
    assert!(matches!(
        h.run("jira.create_issue", &json!({ "summary": "x", "labels": ["two words"] }), KEY),
        Err(vigil_connectors::ConnectorError::Unsupported(_))
    ));
    assert!(matches!(
        h.run("jira.create_issue", &json!({ "summary": "x" }), "has space"),
        Err(vigil_connectors::ConnectorError::Unsupported(_))
    ));
    assert!(matches!(
        h.run("jira.create_issue", &json!({ "summary": "x" }), ""),
        Err(vigil_connectors::ConnectorError::MissingInput(_))
    ));
}

#[test]
fn servicenow_looks_up_the_correlation_id_then_creates() {
    let h = Harness::new();
    let inputs =
        json!({ "summary": "Malware on WS-01", "description": "Falcon detection 1234", "urgency": 1, "impact": "2" });
    let out = h.run("servicenow.create_incident", &inputs, KEY).expect("creates");
    let sent = h.sent();
    let base = h.config["servicenow"]["base_url"].as_str().expect("base");
    let basic = format!(
        "Basic {}",
        base64_encode(format!("{}:{}", h.secret("servicenow_username"), h.secret("servicenow_password")).as_bytes())
    );
    assert_eq!(sent[0].method, "GET");
    let lookup = &h.seen("/table/incident")[0];
    assert_eq!(lookup.path, "/servicenow/api/now/table/incident");
    assert_eq!(lookup.query_param("sysparm_query"), Some(format!("correlation_id={KEY}")));
    assert_eq!(lookup.query_param("sysparm_limit").as_deref(), Some("1"));
    assert_eq!((sent[1].method.as_str(), sent[1].url.clone()), ("POST", format!("{base}/api/now/table/incident")));
    for r in &sent {
        assert_eq!(header(r, "Authorization"), basic);
        assert_eq!(header(r, "Accept"), "application/json");
    }
    assert_eq!(header(&sent[1], "Content-Type"), "application/json");
    assert_eq!(
        body_json(&sent[1]),
        json!({ "short_description": "Malware on WS-01", "description": "Falcon detection 1234", "urgency": "1", "impact": "2", "correlation_id": KEY, "correlation_display": "Vigil" })
    );
    assert_eq!(out.output["number"], "INC0010001");
    assert!(
        out.output["url"].as_str().is_some_and(|u| u.starts_with(&format!("{base}/nav_to.do?uri=incident.do?sys_id=")))
    );
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [200, 201]);

    h.reset();
    let again = h.run("servicenow.create_incident", &inputs, KEY).expect("runs");
    assert!(again.already_done);
    assert_eq!(again.output, out.output);
    assert!(h.sb.requests().iter().all(|r| r.method == "GET"));
    assert_eq!(h.state()["tickets"]["servicenow"].as_array().map(Vec::len), Some(1));
}

#[test]
fn servicenow_follows_link_headers_past_case_insensitive_matches() {
    let h = Harness::new();
    h.sb.seed_incident("older", &KEY.to_uppercase());
    h.sb.seed_incident("older 2", &KEY.to_uppercase());
    let exact = h.sb.seed_incident("the one", KEY);
    let out = h.run("servicenow.create_incident", &json!({ "summary": "x" }), KEY).expect("runs");
    assert!(out.already_done);
    assert_eq!(out.output["number"], exact);
    let lookups = h.seen("/table/incident");
    assert_eq!(lookups.len(), 3);
    assert_eq!(lookups[2].query_param("sysparm_offset").as_deref(), Some("2"));
    assert!(h.received()[0].header("link").is_some_and(|l| l.contains(";rel=\"next\"")));
}

#[test]
fn servicenow_errors_carry_servicenow_messages() {
    let h = Harness::new();
    h.sb.fail_next("/table/incident", 403, None);
    assert_http(
        h.run("servicenow.create_incident", &json!({ "summary": "x" }), KEY),
        403,
        "Operation Failed: ACL Exception Insert Failed",
    );
    h.sb.fail_next("/table/incident", 404, None);
    assert_http(h.run("servicenow.create_incident", &json!({ "summary": "x" }), KEY), 404, "No Record found");
    assert!(matches!(
        h.run("servicenow.create_incident", &json!({ "summary": "x", "urgency": 5 }), KEY),
        Err(vigil_connectors::ConnectorError::Unsupported(_))
    ));
}

#[test]
fn github_searches_for_the_marker_then_creates() {
    let h = Harness::new();
    let inputs = json!({ "summary": "Leaked token in CI logs", "description": "Rotated.", "labels": ["security"] });
    let out = h.run("github.create_issue", &inputs, KEY).expect("creates");
    let sent = h.sent();
    let base = h.config["github"]["base_url"].as_str().expect("base");
    assert_eq!(sent[0].method, "GET");
    let search = &h.seen("/search/issues")[0];
    assert_eq!(search.query_param("q"), Some(format!("repo:acme/soc \"vigil:{KEY}\" in:body is:issue")));
    assert_eq!((sent[1].method.as_str(), sent[1].url.clone()), ("POST", format!("{base}/repos/acme/soc/issues")));
    for r in &sent {
        assert_eq!(header(r, "Authorization"), format!("Bearer {}", h.secret("github_token")));
        assert_eq!(header(r, "Accept"), "application/vnd.github+json");
        assert_eq!(header(r, "X-GitHub-Api-Version"), "2022-11-28");
    }
    assert_eq!(
        body_json(&sent[1]),
        json!({ "title": "Leaked token in CI logs", "body": format!("Rotated.\n\n<!-- vigil:{KEY} -->"), "labels": ["security"] })
    );
    assert_eq!(out.output["number"], 1);
    assert_eq!(out.output["url"], "https://github.com/acme/soc/issues/1");
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [200, 201]);

    h.reset();
    let again = h.run("github.create_issue", &inputs, KEY).expect("runs");
    assert!(again.already_done);
    assert_eq!(again.output, out.output);
    assert!(h.seen("/repos/").is_empty());
}

#[test]
fn github_follows_search_pages_and_only_the_exact_marker_counts() {
    let h = Harness::new();
    for i in 0..4 {
        h.sb.seed_github_issue(&format!("mentions {i}"), &format!("see vigil:{KEY} in the runbook"));
    }
    let n = h.sb.seed_github_issue("the one", &format!("Body\n\n<!-- vigil:{KEY} -->"));
    let out = h.run("github.create_issue", &json!({ "summary": "x" }), KEY).expect("runs");
    assert!(out.already_done);
    assert_eq!(out.output["number"], n);
    let pages = h.seen("/search/issues");
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].query_param("page").as_deref(), Some("2"));
    // Without the exact marker nothing counts: a new issue is opened.
    let other = h.run("github.create_issue", &json!({ "summary": "y" }), "another-key").expect("creates");
    assert!(!other.already_done);
}

#[test]
fn github_errors_carry_github_messages() {
    let h = Harness::new();
    assert_http(h.run("github.create_issue", &json!({ "summary": "x", "repo": "acme/nope" }), KEY), 404, "Not Found");
    // GitHub's primary rate limit is a 403 with no requests remaining: retried.
    h.sb.fail_next("/repos/acme/soc/issues", 403, Some(0));
    let out = h.run("github.create_issue", &json!({ "summary": "x" }), KEY).expect("creates after the wait");
    assert_eq!(out.calls.iter().map(|c| c.status).collect::<Vec<_>>(), [200, 403, 201]);
    // A plain 403 is not a rate limit.
    h.sb.fail_next("/repos/acme/soc/issues", 403, None);
    assert_http(
        h.run("github.create_issue", &json!({ "summary": "x" }), "k2"),
        403,
        "Resource not accessible by personal access token",
    );
    assert!(matches!(
        h.run("github.create_issue", &json!({ "summary": "x", "repo": "noslash" }), KEY),
        Err(vigil_connectors::ConnectorError::Unsupported(_))
    ));
}
