//! Jira Cloud REST API v3: issue creation, idempotent through a `vigil-<key>` label found
//! with the enhanced JQL search (`/rest/api/3/search/jql`, paged by `nextPageToken`).

use serde_json::{Value, json};

use super::{MAX_PAGES, action_meta, check_key, json_str};
use crate::action::{Session, Vendor};
use crate::util::{base_url, base64_encode, config_str, input_str, opt_config_str, opt_input_str, truncate_chars};
use crate::{Action, ActionContext, ActionOutcome, ConnectorError, HttpRequest, Secrets};

struct Jira {
    base: String,
    auth: String,
    project: String,
    issue_type: String,
}

impl Jira {
    fn new(config: &Value, secrets: &Secrets) -> Result<Self, ConnectorError> {
        let base = base_url(config, "jira", "base_url", None)?;
        let project = config_str(config, "jira", "project")?;
        let issue_type = opt_config_str(config, "jira", "issue_type").unwrap_or_else(|| "Task".into());
        let email = secrets.get("jira_email")?;
        let token = secrets.get("jira_api_token")?;
        Ok(Jira {
            base,
            auth: format!("Basic {}", base64_encode(format!("{email}:{token}").as_bytes())),
            project,
            issue_type,
        })
    }

    fn request(&self, method: &str, path: &str) -> HttpRequest {
        HttpRequest::new(method, format!("{}{path}", self.base))
            .with_header("Accept", "application/json")
            .with_header("Authorization", self.auth.clone())
    }

    fn search(&self, label: &str, next_page_token: Option<&str>) -> HttpRequest {
        let escaped = label.replace('\\', "\\\\").replace('"', "\\\"");
        let mut body = json!({
            "jql": format!("labels = \"{escaped}\""),
            "fields": ["summary", "labels"],
            "maxResults": 50,
        });
        if let Some(token) = next_page_token {
            body["nextPageToken"] = json!(token);
        }
        self.request("POST", "/rest/api/3/search/jql").with_json(&body)
    }
}

fn label_for(key: &str) -> String {
    format!("vigil-{key}")
}

/// Plain text as an Atlassian Document Format document: a paragraph per blank-line-separated
/// block, line breaks as `hardBreak` nodes (ADF has no empty text nodes).
pub(crate) fn adf(text: &str) -> Value {
    let paragraphs: Vec<Value> = text
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let mut content = Vec::new();
            for (i, line) in p.trim_matches('\n').lines().enumerate() {
                if i > 0 {
                    content.push(json!({ "type": "hardBreak" }));
                }
                if !line.is_empty() {
                    content.push(json!({ "type": "text", "text": line }));
                }
            }
            json!({ "type": "paragraph", "content": content })
        })
        .collect();
    json!({ "type": "doc", "version": 1, "content": paragraphs })
}

fn labels(inputs: &Value, key: &str) -> Result<Vec<String>, ConnectorError> {
    let mut out = vec!["vigil".to_string(), label_for(key)];
    if let Some(extra) = inputs.get("labels").and_then(Value::as_array) {
        for l in extra.iter().filter_map(Value::as_str) {
            if l.chars().any(char::is_whitespace) {
                return Err(ConnectorError::Unsupported(format!("Jira label `{l}` contains whitespace")));
            }
            if !out.iter().any(|o| o == l) {
                out.push(l.to_string());
            }
        }
    }
    Ok(out)
}

pub(crate) struct CreateIssue;

impl Action for CreateIssue {
    action_meta!(
        "jira.create_issue",
        Notify,
        "Open a Jira issue (once per idempotency key)",
        api: "Jira Cloud REST v3, basic auth with an API token",
        inputs: ["summary"],
        secrets: ["jira_email", "jira_api_token"]
    );

    fn plan_keyed(
        &self,
        inputs: &Value,
        config: &Value,
        secrets: &Secrets,
        key: &str,
    ) -> Result<Vec<HttpRequest>, ConnectorError> {
        let summary = input_str(inputs, "summary")?;
        let jira = Jira::new(config, secrets)?;
        let issue_type = opt_input_str(inputs, "issue_type").unwrap_or_else(|| jira.issue_type.clone());
        let mut fields = json!({
            "project": { "key": jira.project },
            "summary": truncate_chars(summary.lines().next().unwrap_or_default(), 255),
            "issuetype": { "name": issue_type },
            "labels": labels(inputs, key)?,
        });
        if let Some(description) = opt_input_str(inputs, "description") {
            fields["description"] = adf(&description);
        }
        let create = jira
            .request("POST", "/rest/api/3/issue")
            .with_header("Idempotency-Key", key)
            .with_json(&json!({ "fields": fields }));
        Ok(vec![jira.search(&label_for(key), None), create])
    }

    fn execute(&self, inputs: &Value, ctx: &ActionContext<'_>) -> Result<ActionOutcome, ConnectorError> {
        check_key(ctx.idempotency_key)?;
        let reqs = self.plan_keyed(inputs, ctx.config, ctx.secrets, ctx.idempotency_key)?;
        let [search, create] = reqs.as_slice() else {
            return Err(ConnectorError::BadResponse("unexpected plan".into()));
        };
        let jira = Jira::new(ctx.config, ctx.secrets)?;
        let label = label_for(ctx.idempotency_key);
        let mut s = Session::new(self.name(), ctx);
        let mut req = search.clone();
        for _ in 0..MAX_PAGES {
            let page = s.send_ok(&req, Vendor::Jira)?.json()?;
            let issues = page.get("issues").and_then(Value::as_array).cloned().unwrap_or_default();
            // JQL matches labels without regard to case; the key's label must match exactly.
            let found = issues.iter().find(|i| {
                i.pointer("/fields/labels")
                    .and_then(Value::as_array)
                    .is_some_and(|ls| ls.iter().any(|l| l.as_str() == Some(&label)))
            });
            if let Some(issue) = found {
                let key = json_str(issue, "key", "Jira issue")?;
                let out = json!({ "key": key, "id": issue.get("id").cloned().unwrap_or(Value::Null), "url": format!("{}/browse/{key}", jira.base) });
                return Ok(s.finish(out, None, true));
            }
            let last = page.get("isLast").and_then(Value::as_bool).unwrap_or(true);
            match page.get("nextPageToken").and_then(Value::as_str) {
                Some(token) if !last => req = jira.search(&label, Some(token)),
                _ => break,
            }
        }
        let created = s.send_ok(create, Vendor::Jira)?.json()?;
        let key = json_str(&created, "key", "created Jira issue")?.to_string();
        let out = json!({ "key": key, "id": created.get("id").cloned().unwrap_or(Value::Null), "url": format!("{}/browse/{key}", jira.base) });
        Ok(s.finish(out, None, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adf_paragraphs_and_breaks() {
        let doc = adf("first line\nsecond\n\n\nnext para");
        assert_eq!(
            doc,
            json!({"type": "doc", "version": 1, "content": [
                {"type": "paragraph", "content": [
                    {"type": "text", "text": "first line"}, {"type": "hardBreak"}, {"type": "text", "text": "second"}]},
                {"type": "paragraph", "content": [{"type": "text", "text": "next para"}]}
            ]})
        );
        assert_eq!(adf("  \n\n"), json!({"type": "doc", "version": 1, "content": []}));
    }
}
