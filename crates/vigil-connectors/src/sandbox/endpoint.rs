//! CrowdStrike Falcon (OAuth2 token, device entities, device actions, and the Alerts API the
//! live poller reads, served from `logs.rs`) and Defender for Endpoint (machine actions,
//! isolate, unisolate).

use serde_json::{Value, json};

use super::{Api, Audience, Device, Inner, RecordedRequest, Resp, api_error, crowdstrike_meta, now_rfc3339, uuid};
use crate::util::{encode, form_get};

fn cs_error(status: u16, message: &str) -> Resp {
    api_error(Api::CrowdStrike, status, "", message)
}

fn device_json(d: &Device) -> Value {
    json!({
        "device_id": d.id,
        "cid": "sandbox0cid0000000000000000000000",
        "hostname": d.hostname,
        "platform_name": "Windows",
        "os_version": "Windows 11",
        "status": d.falcon_status,
        "last_seen": now_rfc3339(),
    })
}

/// `/crowdstrike/...`.
pub(super) fn crowdstrike(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    if seg == ["oauth2", "token"] {
        if req.method != "POST" {
            return cs_error(405, "Method Not Allowed");
        }
        if !req.content_type_is("application/x-www-form-urlencoded") {
            return cs_error(415, "Unsupported Media Type");
        }
        let form = req.form();
        let (Some(id), Some(secret)) = (form_get(&form, "client_id"), form_get(&form, "client_secret")) else {
            return cs_error(400, "client_id and client_secret are required");
        };
        if id != sb.creds.crowdstrike_client_id || secret != sb.creds.crowdstrike_client_secret {
            return cs_error(403, "Failed to issue access token - Not Authorized");
        }
        let token = sb.state().issue_token(Audience::CrowdStrike);
        return Resp::json(201, json!({ "access_token": token, "token_type": "bearer", "expires_in": 1799 }));
    }
    if sb.bearer_ok(req, Audience::CrowdStrike).is_err() {
        return cs_error(401, "access denied, invalid bearer token");
    }
    match (req.method.as_str(), seg) {
        ("GET", ["alerts", "queries", "alerts", "v2"]) => super::logs::crowdstrike_alert_ids(sb, req),
        ("POST", ["alerts", "entities", "alerts", "v2"]) => super::logs::crowdstrike_alerts(sb, req),
        ("GET", ["devices", "entities", "devices", "v2"]) => {
            let ids: Vec<String> = req.query_pairs().into_iter().filter(|(k, _)| k == "ids").map(|(_, v)| v).collect();
            if ids.is_empty() {
                return cs_error(400, "ids is required");
            }
            let st = sb.state();
            let found: Vec<Value> = ids.iter().filter_map(|id| st.devices.get(id)).map(device_json).collect();
            if found.is_empty() {
                return cs_error(404, "Device not found.");
            }
            Resp::json(200, json!({ "meta": crowdstrike_meta(), "resources": found, "errors": [] }))
        }
        ("GET", ["devices", "queries", "devices", "v1"]) => {
            // FQL: only `hostname:'<name>'` is understood here, case-insensitively, as Falcon does.
            let filter = req.query_param("filter").unwrap_or_default();
            let Some(name) = filter
                .strip_prefix("hostname:'")
                .and_then(|f| f.strip_suffix('\''))
                .map(|n| n.replace("\\'", "'").replace("\\\\", "\\"))
            else {
                return cs_error(400, &format!("Invalid filter: {filter}"));
            };
            let st = sb.state();
            let ids: Vec<&String> = st
                .devices
                .values()
                .filter(|d| d.hostname.eq_ignore_ascii_case(&name) || d.id.eq_ignore_ascii_case(&name))
                .map(|d| &d.id)
                .collect();
            let mut meta = crowdstrike_meta();
            meta["pagination"] = json!({ "offset": 0, "limit": 100, "total": ids.len() });
            Resp::json(200, json!({ "meta": meta, "resources": ids, "errors": [] }))
        }
        ("POST", ["devices", "entities", "devices-actions", "v2"]) => {
            let action = req.query_param("action_name").unwrap_or_default();
            let new_status = match action.as_str() {
                "contain" => "contained",
                "lift_containment" => "normal",
                "" => return cs_error(400, "action_name is required"),
                other => {
                    return cs_error(
                        400,
                        &format!(
                            "Invalid action_name: {other}. Valid values are contain, lift_containment, hide_host, unhide_host"
                        ),
                    );
                }
            };
            if !req.content_type_is("application/json") {
                return cs_error(415, "Unsupported Media Type");
            }
            let ids: Vec<String> = match req.json().and_then(|b| b.get("ids").cloned()) {
                Some(Value::Array(a)) if !a.is_empty() && a.iter().all(Value::is_string) => {
                    a.iter().filter_map(Value::as_str).map(str::to_string).collect()
                }
                _ => return cs_error(400, "ids are required in the request body"),
            };
            let mut st = sb.state();
            if let Some(missing) = ids.iter().find(|id| !st.devices.contains_key(*id)) {
                return cs_error(404, &format!("Device {missing} not found."));
            }
            let mut resources = Vec::new();
            for id in &ids {
                if let Some(d) = st.devices.get_mut(id) {
                    d.falcon_status = new_status.into();
                    resources.push(json!({ "id": id, "path": "" }));
                }
            }
            let mut meta = crowdstrike_meta();
            meta["writes"] = json!({ "resources_affected": resources.len() });
            Resp::json(202, json!({ "meta": meta, "resources": resources, "errors": [] }))
        }
        _ => cs_error(404, "Not Found"),
    }
}

fn mde_error(status: u16, code: &str, message: &str) -> Resp {
    api_error(Api::Defender, status, code, message)
}

pub(crate) fn machine_action(d: &Device, kind: &str, status: &str, comment: &str, created: &str) -> Value {
    json!({
        "id": uuid(),
        "type": kind,
        "scope": if kind == "Isolate" { json!("Full") } else { Value::Null },
        "requestor": "vigil-app",
        "requestorComment": comment,
        "status": status,
        "machineId": d.id,
        "computerDnsName": d.hostname,
        "creationDateTimeUtc": created,
        "lastUpdateDateTimeUtc": created,
        "cancellationRequestor": null,
        "cancellationComment": null,
        "cancellationDateTimeUtc": null,
        "errorHResult": 0,
        "relatedFileInfo": null,
    })
}

/// Whether the latest effective Isolate/Unisolate action of `d` is an Isolate.
pub(crate) fn is_isolated(d: &Device) -> bool {
    d.machine_actions
        .iter()
        .filter(|a| {
            matches!(a["type"].as_str(), Some("Isolate" | "Unisolate"))
                && matches!(a["status"].as_str(), Some("Pending" | "InProgress" | "Succeeded"))
        })
        .max_by(|a, b| a["creationDateTimeUtc"].as_str().cmp(&b["creationDateTimeUtc"].as_str()))
        .is_some_and(|a| a["type"] == "Isolate")
}

/// `/defender/api/...`.
pub(super) fn defender(sb: &Inner, req: &RecordedRequest, seg: &[&str]) -> Resp {
    match sb.bearer_ok(req, Audience::Defender) {
        Ok(()) => {}
        Err("missing") => return mde_error(401, "Unauthorized", "Authorization header is missing."),
        Err("expired") => {
            return mde_error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.");
        }
        Err(_) => return mde_error(401, "Unauthorized", "Authorization token is invalid or expired."),
    }
    match (req.method.as_str(), seg) {
        (_, ["api", "alerts"]) => super::microsoft_logs::list(sb, req, super::microsoft_logs::Listing::DefenderAlerts),
        ("GET", ["api", "machineactions"]) => {
            let filter = req.query_param("$filter");
            let machine = match filter.as_deref() {
                None => None,
                Some(f) => match f.trim().strip_prefix("machineId eq '").and_then(|r| r.strip_suffix('\'')) {
                    Some(id) => Some(id.replace("''", "'")),
                    None => return mde_error(400, "InvalidRequest", &format!("Invalid filter clause: {f}")),
                },
            };
            let page_size = sb.page_size();
            let top =
                req.query_param("$top").and_then(|t| t.parse::<usize>().ok()).unwrap_or(10_000).clamp(1, page_size);
            let skip = req.query_param("$skip").and_then(|t| t.parse::<usize>().ok()).unwrap_or(0);
            let st = sb.state();
            // Oldest first, as the API returns them unordered: a reader must see every page.
            let mut all: Vec<&Value> = st
                .devices
                .values()
                .filter(|d| machine.as_ref().is_none_or(|m| *m == d.id))
                .flat_map(|d| d.machine_actions.iter())
                .collect();
            all.sort_by(|a, b| a["creationDateTimeUtc"].as_str().cmp(&b["creationDateTimeUtc"].as_str()));
            let page: Vec<Value> = all.iter().skip(skip).take(top).map(|v| (*v).clone()).collect();
            let mut body = json!({ "@odata.context": "https://api.securitycenter.microsoft.com/api/$metadata#MachineActions", "value": page });
            if skip + top < all.len() {
                let mut next = format!("{}/defender/api/machineactions?", sb.base);
                if let Some(f) = &filter {
                    next.push_str(&format!("$filter={}&", encode(f)));
                }
                next.push_str(&format!("$top={top}&$skip={}", skip + top));
                body["@odata.nextLink"] = json!(next);
            }
            Resp::json(200, body)
        }
        ("POST", ["api", "machines", id, op @ ("isolate" | "unisolate")]) => {
            if !req.content_type_is("application/json") {
                return mde_error(
                    415,
                    "UnsupportedMediaType",
                    "The request content type is not supported; use application/json.",
                );
            }
            let body = req.json().unwrap_or(Value::Null);
            let Some(comment) = body.get("Comment").and_then(Value::as_str).filter(|c| !c.trim().is_empty()) else {
                return mde_error(400, "InvalidRequestBody", "Request body is incorrect: Comment is required.");
            };
            if *op == "isolate" {
                match body.get("IsolationType").and_then(Value::as_str) {
                    Some("Full" | "Selective" | "UnManagedDevice") => {}
                    _ => {
                        return mde_error(
                            400,
                            "InvalidRequestBody",
                            "Request body is incorrect: IsolationType must be Full, Selective or UnManagedDevice.",
                        );
                    }
                }
            }
            let mut st = sb.state();
            let Some(d) = st.devices.get_mut(*id) else {
                return mde_error(404, "ResourceNotFound", &format!("Machine {id} was not found"));
            };
            let isolated = is_isolated(d);
            if *op == "isolate" && isolated {
                return mde_error(
                    400,
                    "ActiveRequestAlreadyExists",
                    "Action is already in progress or the machine is already isolated.",
                );
            }
            if *op == "unisolate" && !isolated {
                return mde_error(400, "InvalidRequest", "Machine is not isolated.");
            }
            // Strictly later than every earlier action of the machine.
            let mut created = now_rfc3339();
            if let Some(last) = d.machine_actions.iter().filter_map(|a| a["creationDateTimeUtc"].as_str()).max()
                && created.as_str() <= last
            {
                created = chrono::DateTime::parse_from_rfc3339(last)
                    .map(|t| {
                        (t + chrono::Duration::milliseconds(1))
                            .to_utc()
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                    })
                    .unwrap_or(created);
            }
            let kind = if *op == "isolate" { "Isolate" } else { "Unisolate" };
            let mut action = machine_action(d, kind, "Pending", comment, &created);
            if *op == "isolate" {
                action["scope"] = body.get("IsolationType").cloned().unwrap_or(Value::Null);
            }
            d.machine_actions.push(action.clone());
            let mut out = action;
            if let Some(o) = out.as_object_mut() {
                o.insert(
                    "@odata.context".into(),
                    json!("https://api.securitycenter.microsoft.com/api/$metadata#MachineActions/$entity"),
                );
            }
            Resp::json(201, out)
        }
        (_, ["api", "machines", _, "isolate" | "unisolate"]) => {
            mde_error(405, "MethodNotAllowed", "The requested resource does not support this HTTP method.")
        }
        _ => mde_error(404, "ResourceNotFound", "The requested resource was not found."),
    }
}
