//! GitHub REST API issue creation, idempotent through a hidden `<!-- vigil:<key> -->` marker
//! in the body, found with the issue search API.

use serde_json::{Value, json};

use super::{action_meta, check_key};
use crate::action::{Session, Vendor};
use crate::util::{base_url, encode, encode_plus, input_str, opt_config_str, opt_input_str, truncate_chars};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

const BASE: &str = "https://api.github.com";
const API_VERSION: &str = "2022-11-28";

fn marker(key: &str) -> String {
    format!("<!-- vigil:{key} -->")
}

struct GitHub {
    base: String,
    token: String,
    owner: String,
    repo: String,
}

impl GitHub {
    fn new(inputs: &Value, config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        let full = opt_input_str(inputs, "repo")
            .or_else(|| opt_config_str(config, "github", "repo"))
            .ok_or_else(|| ConnectorError::MissingConfig("github.repo".into()))?;
        let (owner, repo) = full
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| ConnectorError::Unsupported("github repo must be owner/name".into()))?;
        let base = base_url(config, "github", "base_url", Some(BASE))?;
        Ok(GitHub { base, token: secrets.get("github_token")?.to_string(), owner: owner.into(), repo: repo.into() })
    }

    fn request(&self, method: &str, url: String) -> HttpRequest {
        HttpRequest::new(method, url)
            .with_header("Accept", "application/vnd.github+json")
            .with_header("Authorization", format!("Bearer {}", self.token))
            .with_header("X-GitHub-Api-Version", API_VERSION)
            .with_header("User-Agent", "vigil-connectors")
    }
}

fn issue_out(issue: &Value) -> Value {
    json!({
        "number": issue.get("number").cloned().unwrap_or(Value::Null),
        "url": issue.get("html_url").cloned().unwrap_or(Value::Null),
        "api_url": issue.get("url").cloned().unwrap_or(Value::Null),
    })
}

pub(crate) struct CreateIssue;

impl Action for CreateIssue {
    action_meta!(
        "github.create_issue",
        Notify,
        "Open a GitHub issue (once per idempotency key, marked in the body)",
        api: "GitHub REST issues",
        inputs: ["summary"],
        secrets: ["github_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let title = input_str(inputs, "summary")?;
        let gh = GitHub::new(inputs, config, secrets)?;
        let query = format!("repo:{}/{} \"vigil:{key}\" in:body is:issue", gh.owner, gh.repo);
        let search = gh.request("GET", format!("{}/search/issues?q={}&per_page=100", gh.base, encode_plus(&query)));
        let description = opt_input_str(inputs, "description").unwrap_or_default();
        let body_text = if description.is_empty() { marker(key) } else { format!("{description}\n\n{}", marker(key)) };
        let mut body = json!({ "title": truncate_chars(&title, 256), "body": body_text });
        if let Some(labels) = inputs.get("labels").and_then(Value::as_array) {
            body["labels"] = json!(labels.iter().filter_map(Value::as_str).collect::<Vec<_>>());
        }
        let create = gh
            .request("POST", format!("{}/repos/{}/{}/issues", gh.base, encode(&gh.owner), encode(&gh.repo)))
            .with_header("Idempotency-Key", key)
            .with_json(&body);
        Ok(vec![search, create])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        check_key(ctx.idempotency_key)?;
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let [search, create] = reqs.as_slice() else {
            return Err(ConnectorError::BadResponse("unexpected plan".into()));
        };
        let wanted = marker(ctx.idempotency_key);
        let mut s = Session::new(self.name(), ctx);
        let mut found = None;
        // Search is full-text and fuzzy; only the exact marker counts.
        s.follow_links(search, Vendor::GitHub, |resp| {
            let page = resp.json()?;
            let items = page.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
            found = items.into_iter().find(|i| {
                i.get("pull_request").is_none()
                    && i.get("body").and_then(Value::as_str).is_some_and(|b| b.contains(&wanted))
            });
            Ok(found.is_some())
        })?;
        if let Some(issue) = found {
            return Ok(s.finish(issue_out(&issue), None, true));
        }
        let created = s.send_ok(create, Vendor::GitHub)?.json()?;
        Ok(s.finish(issue_out(&created), None, false))
    }
}
