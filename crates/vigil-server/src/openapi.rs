//! The OpenAPI 3.1 document, built from the route table itself (through utoipa's model), so
//! every route the router serves is documented with the permission it needs, and nothing else is.

use axum::Json;
use serde_json::{Value, json};
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, ContentBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, RefOr,
    Required, ResponseBuilder, ResponsesBuilder, Schema,
};

use crate::{Access, routes};

fn method(m: &axum::http::Method) -> HttpMethod {
    match m.as_str() {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "DELETE" => HttpMethod::Delete,
        "PATCH" => HttpMethod::Patch,
        _ => HttpMethod::Get,
    }
}

/// A JSON Schema literal as utoipa's model.
fn schema(v: Value) -> RefOr<Schema> {
    // The literals below are fixed and tested (`every_schema_literal_parses`); a bad one would
    // show as an empty schema, never a panic at serve time.
    serde_json::from_value(v).unwrap_or_else(|_| RefOr::T(Schema::default()))
}

fn string() -> Value {
    json!({"type": "string"})
}

fn count() -> Value {
    json!({"type": "integer", "minimum": 0})
}

/// The query parameters a route reads, with their schemas.
fn query_params(method: &axum::http::Method, path: &str) -> Vec<(&'static str, Value)> {
    if method != axum::http::Method::GET {
        return vec![];
    }
    let page = vec![("limit", count()), ("offset", count())];
    match path {
        "/api/v1/alerts" => {
            let mut v = vec![("rule", string()), ("level", string())];
            v.extend(page);
            v
        }
        "/api/v1/incidents" => {
            let mut v = vec![("all", json!({"type": "boolean"}))];
            v.extend(page);
            v
        }
        "/api/v1/incidents/{id}/investigation" => vec![(
            "fresh",
            json!({"type": "boolean", "description": "investigate again even when the kept investigation is current"}),
        )],
        "/api/v1/cases"
        | "/api/v1/rules"
        | "/api/v1/audit"
        | "/api/v1/users"
        | "/api/v1/tokens"
        | "/api/v1/grants"
        | "/api/v1/auditor/cases"
        | "/api/v1/assistant/conversation" => page,
        "/api/v1/scorecard" => vec![
            ("week", json!({"type": "string", "description": "ISO week, e.g. 2026-W49"})),
            ("weeks", count()),
            ("format", json!({"type": "string", "enum": ["json", "markdown", "html"]})),
        ],
        "/api/v1/compliance/coverage" => vec![
            ("framework", string()),
            ("from", json!({"type": "string", "description": "a date, YYYY-MM-DD"})),
            ("to", json!({"type": "string", "description": "a date, YYYY-MM-DD"})),
            ("format", json!({"type": "string", "enum": ["json", "csv"]})),
        ],
        _ => vec![],
    }
}

/// The request body a route reads: its media type, schema and whether it is required.
fn request_body(method: &axum::http::Method, path: &str) -> Option<(&'static str, Value, bool)> {
    let obj = |required: &[&str], props: Value| json!({"type": "object", "required": required, "properties": props});
    let s = string();
    let body = match (method.as_str(), path) {
        ("POST", "/api/v1/session") => obj(&["username", "password"], json!({"username": s, "password": s})),
        ("POST", "/api/v1/me/password") => obj(&["current", "new"], json!({"current": s, "new": s})),
        ("POST", "/api/v1/events/query") => obj(&["sql"], json!({"sql": s, "limit": count(), "offset": count()})),
        ("POST", "/api/v1/hunts/run") => obj(
            &[],
            json!({"days": {"type": "integer", "minimum": 1, "maximum": 366}, "only": {"type": "array", "items": s}}),
        ),
        ("POST", "/api/v1/hypotheses/{id}/take") => obj(&[], json!({"owner": s})),
        ("POST", "/api/v1/hypotheses/{id}/dismiss") => obj(&["reason"], json!({"reason": s})),
        ("POST", "/api/v1/assistant/ask") => obj(
            &["question"],
            json!({"question": {"type": "string", "minLength": 1, "maxLength": 2000}, "case": s, "incident": s, "alert": s}),
        ),
        ("POST", "/api/v1/cases/{id}/assign") => obj(&["owner"], json!({"owner": s, "team": s})),
        ("POST", "/api/v1/cases/{id}/comments") => obj(&["text"], json!({"text": s})),
        ("POST", "/api/v1/cases/{id}/status") => obj(&["status"], json!({"status": s})),
        ("POST", "/api/v1/cases/{id}/sla") => {
            obj(&["action"], json!({"action": {"type": "string", "enum": ["pause", "resume"]}, "reason": s}))
        }
        ("POST", "/api/v1/cases/{id}/disposition") => obj(&["disposition"], json!({"disposition": s, "note": s})),
        ("PUT", "/api/v1/inventory") => obj(&[], json!({"assets": {"type": "array"}, "identities": {"type": "array"}})),
        ("POST", "/api/v1/users") => obj(
            &["username", "roles", "password"],
            json!({"username": s, "display_name": s, "roles": {"type": "array", "items": s}, "password": s}),
        ),
        ("POST", "/api/v1/users/{name}/password") => obj(&["password"], json!({"password": s})),
        ("POST", "/api/v1/tokens") => obj(
            &["name", "roles"],
            json!({"owner": s, "name": s, "roles": {"type": "array", "items": s}, "days": {"type": "integer"}}),
        ),
        ("POST", "/api/v1/grants") => obj(
            &["auditor", "cases", "from_ms", "to_ms", "expires_ms"],
            json!({"auditor": s, "cases": {"type": "array", "items": s}, "from_ms": {"type": "integer"},
                "to_ms": {"type": "integer"}, "expires_ms": {"type": "integer"}}),
        ),
        ("POST", "/api/v1/cases/{id}/playbooks/{playbook}") => {
            return Some(("application/json", obj(&[], json!({"dry_run": {"type": "boolean"}})), false));
        }
        ("POST", "/api/v1/runs/{id}/rollback") => {
            return Some(("application/json", obj(&[], json!({"step": s})), false));
        }
        ("POST", "/api/v1/approvals/{id}/approve") | ("POST", "/api/v1/approvals/{id}/deny") => {
            return Some(("application/json", obj(&[], json!({"note": s, "inputs": {"type": "object"}})), false));
        }
        ("POST", "/api/v1/ingest") => {
            return Some(("application/x-ndjson", json!({"type": "string", "description": "JSON lines"}), true));
        }
        ("POST", p) if p.starts_with("/services/collector/event") => {
            let event = json!({"type": "object", "required": ["event"],
                "properties": {"event": {"type": ["object", "string"]}, "time": {"type": "number"},
                    "host": s, "source": s, "sourcetype": s}});
            return Some(("application/json", event, true));
        }
        _ => return None,
    };
    Some(("application/json", body, true))
}

/// The success statuses of a route.
fn successes(method: &axum::http::Method, path: &str) -> &'static [(&'static str, &'static str)] {
    match (method.as_str(), path) {
        ("POST", "/api/v1/session") => &[("204", "Signed in; the session cookie is set")],
        ("DELETE", _) | ("POST", "/api/v1/me/password") | ("POST", "/api/v1/users/{name}/password") => {
            &[("204", "Done")]
        }
        ("POST", "/api/v1/users")
        | ("POST", "/api/v1/tokens")
        | ("POST", "/api/v1/grants")
        | ("POST", "/api/v1/cases/{id}/export")
        | ("POST", "/api/v1/cases/{id}/brief") => &[("201", "Created")],
        ("POST", "/api/v1/cases/{id}/playbooks/{playbook}") => {
            &[("200", "A dry run's plan"), ("201", "The run, started")]
        }
        ("POST", "/api/v1/ingest") => &[("202", "Accepted into the spool")],
        _ => &[("200", "Success")],
    }
}

/// The errors any API route may answer with, each `{"error": {"code", "message"}}` (HEC routes
/// answer in Splunk's `{"text", "code"}` shape).
const ERRORS: &[(&str, &str)] = &[
    ("400", "Bad request: the body, a parameter or the operation is invalid"),
    ("401", "Not signed in, or the credentials are wrong, expired or revoked"),
    ("403", "Not allowed for the caller's roles or grants, or refused by a rule (four eyes, CSRF)"),
    ("404", "Not found"),
    ("405", "Method not allowed on this path"),
    ("409", "Conflicts with the current state (exists already, a case rule)"),
    ("413", "The body is larger than this route takes"),
    ("415", "The body's media type is not what this route takes"),
    ("422", "The body is well-formed but does not have the fields this route needs"),
    ("429", "Too many attempts or too many running at once; see Retry-After"),
    ("503", "Busy or shutting down; see Retry-After"),
];

/// The document for every API route (the web app's HTML routes are left out).
pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    for (spec, _) in routes().into_iter().filter(|(s, _)| !s.web) {
        let needs = match spec.access {
            Access::Public => "public".to_string(),
            Access::Signed => "any signed-in caller".to_string(),
            Access::Needs(p) => format!("permission `{}`", p.as_str()),
            Access::Hec => "an API token with permission `ingest`, as `Authorization: Splunk <token>`".to_string(),
        };
        let mut responses = ResponsesBuilder::new();
        for (code, what) in successes(&spec.method, spec.path).iter().chain(ERRORS) {
            responses = responses.response(*code, ResponseBuilder::new().description(*what));
        }
        let mut op = OperationBuilder::new()
            .summary(Some(spec.summary))
            .description(Some(format!("Access: {needs}.")))
            .tag(spec.path.trim_start_matches('/').split('/').nth(2).unwrap_or("vigil"))
            .responses(responses.build());
        for seg in spec.path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(name)
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(schema(string()))),
                );
            }
        }
        for (name, s) in query_params(&spec.method, spec.path) {
            op = op.parameter(
                ParameterBuilder::new()
                    .name(name)
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .schema(Some(schema(s))),
            );
        }
        if let Some((media, s, required)) = request_body(&spec.method, spec.path) {
            let mut body = RequestBodyBuilder::new()
                .content(media, ContentBuilder::new().schema(Some(schema(s.clone()))).build())
                .required(Some(if required { Required::True } else { Required::False }));
            // JSON lines are read whatever the declared type; tools that know no NDJSON send text.
            if media == "application/x-ndjson" {
                body = body.content("text/plain", ContentBuilder::new().schema(Some(schema(s))).build());
            }
            op = op.request_body(Some(body.build()));
        }
        if spec.access != Access::Public {
            let scheme = if spec.access == Access::Hec { "splunk" } else { "bearer" };
            op = op.security(SecurityRequirement::new::<&str, [&str; 0], &str>(scheme, []));
            if spec.access != Access::Hec {
                op = op.security(SecurityRequirement::new::<&str, [&str; 0], &str>("session", []));
            }
        }
        paths = paths.path(spec.path, PathItem::new(method(&spec.method), op.build()));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Vigil")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some("The Vigil API. Errors are {\"error\": {\"code\", \"message\"}}; lists take limit and offset and answer {items, total, limit, offset}. Browser sessions send X-CSRF-Token on state-changing requests."))
                .build(),
        )
        .paths(paths.build())
        .components(Some(
            ComponentsBuilder::new()
                .security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()))
                .security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::authn::SESSION_COOKIE))))
                .security_scheme("splunk", SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("Authorization"))))
                .build(),
        ))
        .build()
}

pub async fn document() -> Json<OpenApi> {
    Json(build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_literal_parses() {
        for (spec, _) in routes().into_iter().filter(|(s, _)| !s.web) {
            let mut literals: Vec<Value> = query_params(&spec.method, spec.path).into_iter().map(|(_, v)| v).collect();
            literals.extend(request_body(&spec.method, spec.path).map(|(_, v, _)| v));
            for v in literals {
                let parsed: Result<RefOr<Schema>, _> = serde_json::from_value(v.clone());
                assert!(parsed.is_ok(), "{} {}: {v} does not parse as a schema", spec.method, spec.path);
            }
        }
    }

    #[test]
    fn every_path_parameter_and_body_has_a_schema() {
        let doc = serde_json::to_value(build()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                for p in op["parameters"].as_array().into_iter().flatten() {
                    assert!(p["schema"].is_object(), "{method} {path}: parameter {} has no schema", p["name"]);
                }
                if let Some(b) = op.get("requestBody") {
                    let content = b["content"].as_object().unwrap();
                    assert!(
                        content.values().all(|c| c["schema"]["type"].is_string() || c["schema"]["type"].is_array()),
                        "{method} {path}: {b}"
                    );
                }
                assert!(op["responses"]["401"].is_object() && op["responses"]["429"].is_object(), "{method} {path}");
            }
        }
        // The bodies the handlers read are documented.
        for (m, p) in [
            ("post", "/api/v1/session"),
            ("post", "/api/v1/events/query"),
            ("post", "/api/v1/assistant/ask"),
            ("post", "/api/v1/users"),
            ("post", "/services/collector/event"),
        ] {
            assert!(doc["paths"][p][m]["requestBody"].is_object(), "{m} {p}");
        }
    }
}
