//! Okta, the Microsoft identity platform token endpoint, and Microsoft Graph users (and, through
//! [`super::microsoft_logs`], Graph's sign-in, audit and security alert listings).

use serde_json::{Value, json};

use super::microsoft_logs::Listing;
use super::{Api, Audience, Inner, RecordedRequest, Resp, User, api_error};
use crate::util::{encode, form_get};

fn okta_error(status: u16, code: &str, summary: &str) -> Resp {
    api_error(Api::Okta, status, code, summary)
}

fn okta_validation(cause: &str) -> Resp {
    let mut r = okta_error(400, "E0000001", "Api validation failed: status");
    if let Ok(mut body) = serde_json::from_slice::<Value>(&r.body) {
        body["errorCauses"] = json!([{ "errorSummary": cause }]);
        r.body = body.to_string().into_bytes();
    }
    r
}

fn okta_user_json(base: &str, u: &User) -> Value {
    json!({
        "id": u.id,
        "status": u.okta_status,
        "created": "2024-01-01T00:00:00.000Z",
        "activated": "2024-01-01T00:00:00.000Z",
        "statusChanged": "2024-01-01T00:00:00.000Z",
        "lastLogin": null,
        "lastUpdated": "2024-01-01T00:00:00.000Z",
        "passwordChanged": "2024-01-01T00:00:00.000Z",
        "type": { "id": "oty1sandbox" },
        "profile": { "login": u.login, "email": u.login, "firstName": "", "lastName": "" },
        "credentials": { "provider": { "type": "OKTA", "name": "OKTA" } },
        "_links": { "self": { "href": format!("{base}/okta/api/v1/users/{}", u.id) } }
    })
}

/// `/okta/api/v1/users/...`, authenticated with `Authorization: SSWS <token>`.
pub(super) fn okta(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    if req.header("authorization") != Some(format!("SSWS {}", sb.creds.okta_token).as_str()) {
        return okta_error(401, "E0000011", "Invalid token provided");
    }
    if seg == ["api", "v1", "logs"] {
        return super::logs::okta_logs(sb, req);
    }
    let ["api", "v1", "users", user, rest @ ..] = seg else {
        return okta_error(404, "E0000007", "Not found: Resource not found");
    };
    let mut st = sb.state();
    let base = sb.base.clone();
    let page_size = sb.page_size();
    let Some(u) = st.user_mut(user) else {
        return okta_error(404, "E0000007", &format!("Not found: Resource not found: {user} (User)"));
    };
    let method = req.method.as_str();
    match (method, rest) {
        ("GET", []) => Resp::json(200, okta_user_json(&base, u)),
        ("POST", ["lifecycle", op]) => match *op {
            "suspend" if u.okta_status == "ACTIVE" => {
                u.okta_status = "SUSPENDED".into();
                Resp::json(200, json!({}))
            }
            "suspend" => okta_validation("Cannot suspend a user that is not active"),
            "unsuspend" if u.okta_status == "SUSPENDED" => {
                u.okta_status = "ACTIVE".into();
                Resp::json(200, json!({}))
            }
            "unsuspend" => okta_validation("Cannot unsuspend a user that is not suspended"),
            "reset_factors" => {
                u.factors.clear();
                Resp::json(200, json!({}))
            }
            _ => okta_error(404, "E0000007", "Not found: Resource not found"),
        },
        ("DELETE", ["sessions"]) => {
            u.okta_sessions = 0;
            if req.query_param("oauthTokens").as_deref() == Some("true") {
                u.oauth_tokens = 0;
            }
            Resp::empty(204)
        }
        ("GET", ["factors"]) => {
            // Okta collections page with an `after` cursor and `Link` headers.
            let limit =
                req.query_param("limit").and_then(|l| l.parse::<usize>().ok()).unwrap_or(page_size).clamp(1, page_size);
            let start = match req.query_param("after") {
                Some(after) => match u.factors.iter().position(|f| f.id == after) {
                    Some(i) => i + 1,
                    None => return okta_validation("Invalid cursor"),
                },
                None => 0,
            };
            let page: Vec<Value> = u
                .factors
                .iter()
                .skip(start)
                .take(limit)
                .map(|f| {
                    json!({
                        "id": f.id,
                        "factorType": f.factor_type,
                        "provider": f.provider,
                        "vendorName": f.provider,
                        "status": f.status,
                        "created": "2024-01-01T00:00:00.000Z",
                        "lastUpdated": "2024-01-01T00:00:00.000Z",
                    })
                })
                .collect();
            let self_url = format!("{base}/okta/api/v1/users/{}/factors", u.id);
            let mut resp =
                Resp::json(200, Value::Array(page)).with_header("Link", format!("<{self_url}>; rel=\"self\""));
            if start + limit < u.factors.len()
                && let Some(last) = u.factors.get(start + limit - 1)
            {
                resp = resp.with_header(
                    "Link",
                    format!("<{self_url}?after={}&limit={limit}>; rel=\"next\"", encode(&last.id)),
                );
            }
            resp
        }
        (_, [] | ["sessions"] | ["factors"] | ["lifecycle", _]) => {
            okta_error(405, "E0000022", "The endpoint does not support the provided HTTP method")
        }
        _ => okta_error(404, "E0000007", "Not found: Resource not found"),
    }
}

fn login_error(status: u16, code: &str, description: &str) -> Resp {
    api_error(Api::Login, status, code, description)
}

/// `/login/{tenant}/oauth2/v2.0/token`: the client-credentials grant.
pub(super) fn login(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    let [tenant, "oauth2", "v2.0", "token"] = seg else {
        return Resp::text(404, "Not Found");
    };
    if req.method != "POST" {
        return login_error(405, "invalid_request", "AADSTS900561: The endpoint only accepts POST requests.");
    }
    if *tenant != sb.creds.tenant_id {
        return login_error(
            400,
            "invalid_request",
            &format!(
                "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."
            ),
        );
    }
    if !req.content_type_is("application/x-www-form-urlencoded") {
        return login_error(
            400,
            "invalid_request",
            "AADSTS900144: The request body must contain the following parameter: 'grant_type'.",
        );
    }
    let form = req.form();
    for required in ["grant_type", "client_id", "scope"] {
        if form_get(&form, required).is_none_or(str::is_empty) {
            return login_error(
                400,
                "invalid_request",
                &format!("AADSTS900144: The request body must contain the following parameter: '{required}'."),
            );
        }
    }
    let grant = form_get(&form, "grant_type").unwrap_or_default();
    if grant != "client_credentials" {
        return login_error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.");
    }
    let scope = form_get(&form, "scope").unwrap_or_default();
    let (audience, id, secret) = match scope {
        "https://graph.microsoft.com/.default" => {
            (Audience::Graph, &sb.creds.entra_client_id, &sb.creds.entra_client_secret)
        }
        "https://api.securitycenter.microsoft.com/.default" => {
            (Audience::Defender, &sb.creds.defender_client_id, &sb.creds.defender_client_secret)
        }
        // The same app registration as Graph's, with the Office 365 Management APIs permission.
        "https://manage.office.com/.default" => {
            (Audience::Manage, &sb.creds.entra_client_id, &sb.creds.entra_client_secret)
        }
        other => {
            return login_error(
                400,
                "invalid_scope",
                &format!(
                    "AADSTS1002012: The provided value for scope {other} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."
                ),
            );
        }
    };
    let client = form_get(&form, "client_id").unwrap_or_default();
    if client != id {
        return login_error(
            400,
            "unauthorized_client",
            &format!("AADSTS700016: Application with identifier '{client}' was not found in the directory '{tenant}'."),
        );
    }
    if form_get(&form, "client_secret") != Some(secret.as_str()) {
        return login_error(
            401,
            "invalid_client",
            &format!(
                "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client}'."
            ),
        );
    }
    let token = sb.state().issue_token(audience);
    Resp::json(
        200,
        json!({ "token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token }),
    )
}

fn graph_error(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::Graph, status, code, message)
}

/// `/graph/v1.0/users/{id | userPrincipalName}[/revokeSignInSessions]`.
pub(super) fn graph(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    match sb.bearer_ok(req, Audience::Graph) {
        Ok(()) => {}
        Err("missing") => return graph_error(401, "InvalidAuthenticationToken", "Access token is empty."),
        Err("audience") => {
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "Access token validation failure. Invalid audience.",
            );
        }
        Err("expired") => {
            return graph_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
        }
        Err(_) => {
            return graph_error(
                401,
                "InvalidAuthenticationToken",
                "IDX14100: JWT is not well formed, there are no dots (.).",
            );
        }
    }
    match seg {
        ["v1.0", "auditLogs", "signIns"] => return super::microsoft_logs::list(sb, req, Listing::SignIns),
        ["v1.0", "auditLogs", "directoryAudits"] => {
            return super::microsoft_logs::list(sb, req, Listing::DirectoryAudits);
        }
        ["v1.0", "security", "alerts_v2"] => return super::microsoft_logs::list(sb, req, Listing::AlertsV2),
        _ => {}
    }
    let ["v1.0", "users", user, rest @ ..] = seg else {
        return graph_error(400, "BadRequest", "Resource not found for the segment.");
    };
    let mut st = sb.state();
    let Some(u) = st.user_mut(user) else {
        return graph_error(
            404,
            "Request_ResourceNotFound",
            &format!(
                "Resource '{user}' does not exist or one of its queried reference-property objects are not present."
            ),
        );
    };
    match (req.method.as_str(), rest) {
        ("GET", []) => {
            let all = json!({
                "id": u.id,
                "userPrincipalName": u.login,
                "displayName": u.login.split('@').next().unwrap_or_default(),
                "mail": u.login,
                "accountEnabled": u.account_enabled,
            });
            match req.query_param("$select") {
                Some(select) => {
                    let mut out = serde_json::Map::new();
                    out.insert(
                        "@odata.context".into(),
                        json!(format!("https://graph.microsoft.com/v1.0/$metadata#users({select})/$entity")),
                    );
                    for field in select.split(',').map(str::trim) {
                        match all.get(field) {
                            Some(v) => {
                                out.insert(field.into(), v.clone());
                            }
                            None => {
                                return graph_error(
                                    400,
                                    "Request_BadRequest",
                                    &format!(
                                        "Could not find a property named '{field}' on type 'microsoft.graph.user'."
                                    ),
                                );
                            }
                        }
                    }
                    Resp::json(200, Value::Object(out))
                }
                None => {
                    let mut out = all;
                    // accountEnabled is not among the properties Graph returns by default.
                    if let Some(o) = out.as_object_mut() {
                        o.remove("accountEnabled");
                        o.insert(
                            "@odata.context".into(),
                            json!("https://graph.microsoft.com/v1.0/$metadata#users/$entity"),
                        );
                    }
                    Resp::json(200, out)
                }
            }
        }
        ("PATCH", []) => {
            if !req.content_type_is("application/json") {
                return graph_error(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                );
            }
            let Some(Value::Object(patch)) = req.json() else {
                return graph_error(
                    400,
                    "BadRequest",
                    "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.",
                );
            };
            for (k, v) in &patch {
                match (k.as_str(), v) {
                    ("accountEnabled", Value::Bool(_)) | ("displayName", Value::String(_)) => {}
                    ("accountEnabled" | "displayName", _) => {
                        return graph_error(
                            400,
                            "Request_BadRequest",
                            &format!("Invalid value specified for property '{k}' of resource 'User'."),
                        );
                    }
                    _ => return graph_error(400, "Request_BadRequest", &format!("Invalid property '{k}'.")),
                }
            }
            if let Some(Value::Bool(b)) = patch.get("accountEnabled") {
                u.account_enabled = *b;
            }
            Resp::empty(204)
        }
        ("POST", ["revokeSignInSessions"]) => {
            u.sign_in_sessions_revoked += 1;
            Resp::json(
                200,
                json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean", "value": true }),
            )
        }
        (_, [] | ["revokeSignInSessions"]) => {
            graph_error(405, "Request_BadRequest", "Specified HTTP method is not allowed for the request uri.")
        }
        _ => graph_error(400, "BadRequest", "Resource not found for the segment."),
    }
}
