//! The OpenAPI 3.1 document, built from the route table itself (through utoipa's model), so
//! every route the router serves is documented with the permission it needs, and nothing else is.

use axum::Json;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, HttpMethod, InfoBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, Required,
    ResponseBuilder, ResponsesBuilder,
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
        let mut op = OperationBuilder::new()
            .summary(Some(spec.summary))
            .description(Some(format!("Access: {needs}.")))
            .tag(spec.path.trim_start_matches('/').split('/').nth(2).unwrap_or("vigil"))
            .responses(
                ResponsesBuilder::new()
                    .response("200", ResponseBuilder::new().description("Success (JSON)"))
                    .response(
                        "400",
                        ResponseBuilder::new().description("Bad request: {\"error\": {\"code\", \"message\"}}"),
                    )
                    .response("401", ResponseBuilder::new().description("Not signed in"))
                    .response("403", ResponseBuilder::new().description("Not allowed for the caller's roles"))
                    .response("404", ResponseBuilder::new().description("Not found"))
                    .build(),
            );
        for seg in spec.path.split('/') {
            if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                op = op.parameter(
                    ParameterBuilder::new().name(name).parameter_in(ParameterIn::Path).required(Required::True),
                );
            }
        }
        if spec.method == axum::http::Method::GET && matches!(spec.path, p if p.ends_with('s') && !p.contains('{')) {
            for name in ["limit", "offset"] {
                op = op.parameter(
                    ParameterBuilder::new().name(name).parameter_in(ParameterIn::Query).required(Required::False),
                );
            }
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
