//! The tools over what Vigil knows beside the queue: compliance coverage per control, the asset
//! and identity inventory (vendors and their OAuth apps, people, hosts, keys, buckets), the
//! behavioral baselines, and read-only SQL over the lake for those who may hunt.
//!
//! Each runs as the asker through [`vigil_app::App`] (coverage needs the summaries, the
//! inventory its view, baselines the queue's view, SQL and every look at the lake the hunting
//! permission) and turns what it found into facts with citations that resolve.

use serde_json::Value;
use vigil_app::{App, AppError, Caller};

use crate::entity::{Period, is_safe_value};
use crate::fact::{Citation, Fact, FactKind, fmt_day, fmt_ms};
use crate::tools::{MAX_RECORDS, R, Subject, ToolOutput, hunt_rows, i, s, sql_str};

/// The most rows a query the asker wrote turns into facts.
pub const MAX_SQL_ROWS: usize = 20;
/// The most vendors one answer describes.
const MAX_VENDORS: usize = 20;

/// The period a coverage question means when it names none: the 90 days to now, as the
/// compliance page shows by default.
fn coverage_period(app: &App, period: Option<&Period>) -> (i64, i64, String) {
    match period {
        Some(p) => (p.from_ms, p.to_ms.min(app.now_ms()).max(p.from_ms + 1), p.label.clone()),
        None => {
            let now = app.now_ms();
            (now - 90 * 86_400_000, now, "the last 90 days".into())
        }
    }
}

/// Compliance coverage per control: every control of `framework` (only those of `family`,
/// when given: `CC7` takes `CC7.1` … `CC7.5`), its status over the period and what it rests on.
pub fn control_coverage(
    app: &App,
    caller: &Caller,
    framework: &str,
    family: Option<&str>,
    period: Option<&Period>,
) -> R {
    let catalog = vigil_compliance::Catalog::builtin().map_err(|e| AppError::Internal(e.to_string()))?;
    let (from, to, label) = coverage_period(app, period);
    let report = app.coverage(caller, &catalog, app.detection_config(), framework, from, to - 1)?;
    let span = format!("{}..{}", fmt_ms(from), fmt_ms(to - 1));
    let in_family = |id: &str| match family {
        None => true,
        Some(f) => {
            let id = id.to_ascii_uppercase();
            id == f || id.strip_prefix(f).is_some_and(|rest| rest.starts_with('.'))
        }
    };
    let controls: Vec<&vigil_compliance::ControlCoverage> =
        report.controls.iter().filter(|c| in_family(&c.id)).collect();
    let scope = match family {
        Some(f) => format!("{} {f} controls", report.framework),
        None => format!("{} controls", report.framework),
    };
    let mut out = ToolOutput::default();
    if controls.is_empty() {
        out.missing.push(format!("{scope}: the catalog has none"));
        return Ok(out);
    }
    let count = |st: vigil_compliance::CoverageStatus| controls.iter().filter(|c| c.status == st).count();
    use vigil_compliance::CoverageStatus as St;
    let (complete, partial, none, unmapped) =
        (count(St::Complete), count(St::Partial), count(St::NoEvidence), count(St::NotMapped));
    let complete_ids: Vec<&str> = controls.iter().filter(|c| c.status == St::Complete).map(|c| c.id.as_str()).collect();
    let cite = Citation::Compliance { framework: report.framework.clone(), period: span.clone() };
    out.facts.push(
        Fact::new(
            FactKind::Aggregate,
            cite,
            format!(
                "of the {} {scope}, {complete} have complete evidence for {label} ({span}){}; {partial} partial, \
                 {none} without evidence, {unmapped} not mapped",
                controls.len(),
                if complete_ids.is_empty() { String::new() } else { format!(": {}", complete_ids.join(", ")) }
            ),
        )
        .with("framework", report.framework.clone())
        .with("family", family.unwrap_or_default())
        .with("label", label.clone())
        .with("period", span.clone())
        .with("controls", controls.len().to_string())
        .with("complete", complete.to_string())
        .with("partial", partial.to_string())
        .with("no_evidence", none.to_string())
        .with("not_mapped", unmapped.to_string())
        .with("complete_controls", complete_ids.join(", ")),
    );
    for c in controls.iter().take(MAX_RECORDS) {
        let id = format!("{}:{}", report.framework, c.id);
        let mut text = format!(
            "control {id} ({}) is {} for {span}: {}, {}, {}, {}",
            c.title,
            status_words(c.status),
            counted(c.detections.len(), "detection", "detections"),
            counted(c.playbooks.len(), "playbook", "playbooks"),
            counted(c.cases.len(), "case", "cases"),
            counted(c.evidence.len(), "evidence item", "evidence items")
        );
        if let Some(m) = c.missing.first() {
            text.push_str(&format!("; missing: {m}"));
        }
        out.facts.push(
            Fact::new(FactKind::Record, Citation::Control { id: id.clone() }, text)
                .with("control", id)
                .with("title", c.title.clone())
                .with("missing", c.missing.first().cloned().unwrap_or_default())
                .with("status", c.status.as_str())
                .with("detections", c.detections.len().to_string())
                .with("playbooks", c.playbooks.len().to_string())
                .with("cases", c.cases.len().to_string())
                .with("evidence", c.evidence.len().to_string())
                .with("period", span.clone()),
        );
    }
    if controls.len() > MAX_RECORDS {
        out.notes.push(format!("{scope}: the first {MAX_RECORDS} of {} described", controls.len()));
    }
    out.notes.push(format!("coverage mapping status: {}", report.mapping_status));
    Ok(out)
}

fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn status_words(st: vigil_compliance::CoverageStatus) -> &'static str {
    use vigil_compliance::CoverageStatus as St;
    match st {
        St::Complete => "complete",
        St::Partial => "partial",
        St::NoEvidence => "without evidence",
        St::NotMapped => "not mapped",
    }
}

fn str_at<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k).and_then(Value::as_array).map(Vec::as_slice).unwrap_or(&[])
}

fn strs(v: &Value, k: &str) -> Vec<String> {
    arr(v, k).iter().filter_map(Value::as_str).map(str::to_string).collect()
}

/// Whether an inventory citation's `SECTION/NAME` names an entry of this inventory.
pub fn inventory_has(inv: &Value, key: &str) -> bool {
    let Some((section, name)) = key.split_once('/') else { return false };
    let is = |v: &Value, k: &str| str_at(v, k) == name;
    let accounts = arr(inv, "aws_accounts");
    match section {
        "vendor" => arr(inv, "vendors").iter().any(|v| is(v, "name")),
        "user" => arr(inv, "users").iter().any(|u| is(u, "login")),
        "host" => arr(inv, "hosts").iter().any(|h| is(h, "hostname")),
        "key" => accounts
            .iter()
            .flat_map(|a| arr(a, "iam_users"))
            .flat_map(|u| arr(u, "access_keys"))
            .any(|k| is(k, "access_key_id")),
        "iam_user" => accounts.iter().flat_map(|a| arr(a, "iam_users")).any(|u| is(u, "name")),
        "bucket" => accounts.iter().flat_map(|a| arr(a, "buckets")).any(|b| is(b, "name")),
        _ => false,
    }
}

/// Whether the question's words name this vendor: its name, a word of its name of four letters
/// or more that is not a common word, or its domain.
fn names_vendor(vendor: &Value, words: &[String]) -> bool {
    const COMMON: &[&str] = &["services", "service", "systems", "group", "global", "software", "solutions", "cloud"];
    let name = str_at(vendor, "name").to_lowercase();
    let domain = str_at(vendor, "domain").to_lowercase();
    let label = domain.split('.').next().unwrap_or_default().to_string();
    let joined = format!(" {} ", words.join(" "));
    (!name.is_empty() && joined.contains(&format!(" {name} ")))
        || words.iter().any(|w| {
            (!domain.is_empty() && (*w == domain || *w == label))
                || name.split_whitespace().any(|n| n.len() >= 4 && !COMMON.contains(&n) && n == w)
        })
}

/// Vendors in the inventory (those the question names, or every one), each with its identities
/// and OAuth apps; then, for each app, its token grants in the lake: how many, the last, and
/// any revocation or deactivation after.
pub fn vendors(app: &App, caller: &Caller, names: &[String]) -> R {
    let inv = app.inventory(caller)?;
    let all = arr(&inv, "vendors");
    let mut out = ToolOutput::default();
    if all.is_empty() {
        out.missing.push("vendors in the inventory: none is loaded (`vigil inventory load`)".into());
        return Ok(out);
    }
    let words: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let named: Vec<&Value> = all.iter().filter(|v| names_vendor(v, &words)).collect();
    let chosen: Vec<&Value> = if named.is_empty() { all.iter().collect() } else { named };
    for v in chosen.iter().take(MAX_VENDORS) {
        let name = str_at(v, "name");
        if name.is_empty() {
            continue;
        }
        let key = format!("vendor/{name}");
        let logins: Vec<String> =
            arr(v, "identities").iter().map(|i| str_at(i, "login").to_string()).filter(|l| !l.is_empty()).collect();
        let apps = arr(v, "oauth_apps");
        let app_words: Vec<String> = apps
            .iter()
            .map(|a| {
                format!("{} (client {}) with scopes {}", str_at(a, "name"), str_at(a, "client_id"), {
                    let sc = strs(a, "scopes");
                    if sc.is_empty() { "none listed".to_string() } else { sc.join(", ") }
                })
            })
            .collect();
        let mut text = format!("per the inventory, vendor {name}");
        if !str_at(v, "kind").is_empty() {
            text.push_str(&format!(" ({})", str_at(v, "kind")));
        }
        if app_words.is_empty() {
            text.push_str(" holds no OAuth app");
        } else {
            text.push_str(&format!(" holds OAuth app {}", app_words.join("; ")));
        }
        if !logins.is_empty() {
            text.push_str(&format!(", and signs in as {}", logins.join(", ")));
        }
        if !str_at(v, "access_scope").is_empty() {
            text.push_str(&format!("; its access: {}", str_at(v, "access_scope")));
        }
        out.facts.push(
            Fact::new(FactKind::Record, Citation::Inventory { key }, text)
                .with("vendor", name)
                .with("terms", "OAuth")
                .with("kind", str_at(v, "kind"))
                .with("app_names", apps.iter().map(|a| str_at(a, "name")).collect::<Vec<_>>().join(" "))
                .with("scopes", apps.iter().flat_map(|a| strs(a, "scopes")).collect::<Vec<_>>().join(" "))
                .with("access", str_at(v, "access_scope"))
                .with("identities", logins.join(" "))
                .with(
                    "oauth_apps",
                    apps.iter().map(|a| str_at(a, "client_id").to_string()).collect::<Vec<_>>().join(" "),
                ),
        );
        for a in apps {
            let client = str_at(a, "client_id");
            if !is_safe_value(client) {
                continue;
            }
            match grants(app, caller, name, client) {
                Ok(found) => {
                    out.facts.extend(found.facts);
                    out.missing.extend(found.missing);
                }
                Err(e) => {
                    let r = ToolOutput::refusal(&e, &format!("token grants to {name}'s OAuth app"));
                    out.notes.extend(r.notes);
                    out.missing.extend(r.missing);
                    out.refused |= r.refused;
                }
            }
        }
    }
    if chosen.len() > MAX_VENDORS {
        out.notes.push(format!("vendors: the first {MAX_VENDORS} of {} described", chosen.len()));
    }
    Ok(out)
}

/// One OAuth app's token grants in the lake, and whether it was revoked or deactivated after.
fn grants(app: &App, caller: &Caller, vendor: &str, client: &str) -> R {
    let c = sql_str(client);
    let sql = format!(
        "SELECT count(*) AS grants, CAST(min(time) AS BIGINT) AS first_ms, CAST(max(time) AS BIGINT) AS last_ms, \
         last_value(id ORDER BY time, id) AS last_id FROM events \
         WHERE metadata_event_code = 'app.oauth2.as.token.grant' AND actor_user_uid = {c}"
    );
    let (rows, _) = hunt_rows(app, caller, &sql, 1)?;
    let mut out = ToolOutput::default();
    let row = rows.first();
    let n = row.and_then(|r| i(r, "grants")).unwrap_or(0);
    let last_ms = row.and_then(|r| i(r, "last_ms"));
    match (n, last_ms) {
        (n, Some(last)) if n > 0 => {
            let first = row.and_then(|r| i(r, "first_ms")).map(fmt_ms).unwrap_or_default();
            out.facts.push(
                Fact::new(
                    FactKind::Aggregate,
                    Citation::event(&row.map(|r| s(r, "last_id")).unwrap_or_default()),
                    format!(
                        "{vendor}'s OAuth app {client} was granted {n} tokens from {first} to {}, the last at {}",
                        fmt_ms(last),
                        fmt_ms(last)
                    ),
                )
                .with("vendor", vendor)
                .with("terms", "OAuth")
                .with("client", client)
                .with("grants", n.to_string())
                .with("first", first)
                .with("last", fmt_ms(last)),
            );
            // Anything that ended the grant after it was last used.
            let sql = format!(
                "SELECT id, CAST(time AS BIGINT) AS t, metadata_event_code AS code FROM events \
                 WHERE (actor_user_uid = {c} OR user_uid = {c} OR strpos(api_request_data, {c}) > 0) \
                 AND (strpos(lower(metadata_event_code), 'revoke') > 0 \
                 OR strpos(lower(metadata_event_code), 'deactivate') > 0 \
                 OR strpos(lower(metadata_event_code), 'delete') > 0) ORDER BY time DESC, id LIMIT 1"
            );
            let (ended, _) = hunt_rows(app, caller, &sql, 1)?;
            if let Some(e) = ended.first() {
                let when = i(e, "t").map(fmt_ms).unwrap_or_default();
                out.facts.push(
                    Fact::new(
                        FactKind::Record,
                        Citation::event(&s(e, "id")),
                        format!("{vendor}'s OAuth app {client} had {} at {when}", s(e, "code")),
                    )
                    .with("vendor", vendor)
                    .with("terms", "OAuth")
                    .with("client", client)
                    .with("code", s(e, "code"))
                    .with("time", when),
                );
            } else {
                out.facts.push(
                    Fact::new(
                        FactKind::Aggregate,
                        Citation::coverage("lake"),
                        format!("no revocation or deactivation of {vendor}'s OAuth app {client} is in the lake"),
                    )
                    .with("vendor", vendor)
                    .with("terms", "OAuth")
                    .with("client", client),
                );
            }
        }
        _ => {
            out.missing.push(format!("token grants to {vendor}'s OAuth app {client}: none in the lake"));
        }
    }
    Ok(out)
}

/// What the inventory says about one subject: a person (by email, login or user name), a host,
/// an access key (its IAM user and owner) or a bucket.
pub fn inventory_entry(app: &App, caller: &Caller, subject: &Subject) -> R {
    let inv = app.inventory(caller)?;
    let want = subject.value().to_lowercase();
    let eq = |v: &Value, keys: &[&str]| keys.iter().any(|k| str_at(v, k).to_lowercase() == want);
    let mut out = ToolOutput::default();
    let yes_no = |b: bool| if b { "is" } else { "is not" };
    match subject {
        Subject::User(_) | Subject::Email(_) => {
            for u in arr(&inv, "users").iter().filter(|u| {
                eq(u, &["login", "email", "samAccountName", "admin_account"])
                    || str_at(u, "email").to_lowercase().split('@').next() == Some(want.as_str())
            }) {
                let login = str_at(u, "login");
                let admin = u.get("is_admin").and_then(Value::as_bool).unwrap_or(false);
                let mut text = format!(
                    "per the inventory, {login} is {}, {} in {}, and {} an administrator",
                    str_at(u, "name"),
                    str_at(u, "title"),
                    str_at(u, "department"),
                    yes_no(admin)
                );
                for (k, label) in [("manager", "manager"), ("status", "status"), ("laptop", "laptop")] {
                    if !str_at(u, k).is_empty() {
                        text.push_str(&format!("; {label} {}", str_at(u, k)));
                    }
                }
                if !str_at(u, "admin_account").is_empty() {
                    text.push_str(&format!("; admin account {}", str_at(u, "admin_account")));
                }
                out.facts.push(
                    Fact::new(FactKind::Record, Citation::Inventory { key: format!("user/{login}") }, text)
                        .with("user", login)
                        .with("name", str_at(u, "name"))
                        .with("department", str_at(u, "department"))
                        .with("title", str_at(u, "title"))
                        .with("admin", admin.to_string())
                        .with("manager", str_at(u, "manager"))
                        .with("laptop", str_at(u, "laptop"))
                        .with("admin_account", str_at(u, "admin_account"))
                        .with("status", str_at(u, "status")),
                );
            }
        }
        _ => {}
    }
    // An IAM user of that name: its account, its owner, its keys.
    if let Subject::User(_) = subject {
        for acct in arr(&inv, "aws_accounts") {
            for u in arr(acct, "iam_users").iter().filter(|u| eq(u, &["name"])) {
                let name = str_at(u, "name");
                let owner = str_at(u, "owner");
                let keys: Vec<String> =
                    arr(u, "access_keys").iter().map(|k| str_at(k, "access_key_id").to_string()).collect();
                let text = format!(
                    "per the inventory, IAM user {name} in AWS account {} is owned by {}; access keys: {}; attached \
                     policies: {}",
                    str_at(acct, "id"),
                    if owner.is_empty() { "no one listed" } else { owner },
                    if keys.is_empty() { "none".to_string() } else { keys.join(", ") },
                    strs(u, "attached_policies").join(", ")
                );
                out.facts.push(
                    Fact::new(FactKind::Record, Citation::Inventory { key: format!("iam_user/{name}") }, text)
                        .with("iam_user", name)
                        .with("account", str_at(acct, "id"))
                        .with("owner", owner)
                        .with("terms", "AWS IAM")
                        .with("keys", keys.join(" "))
                        .with("policies", strs(u, "attached_policies").join(" ")),
                );
            }
        }
    }
    match subject {
        Subject::Host(_) | Subject::Ip(_) => {
            for h in arr(&inv, "hosts").iter().filter(|h| eq(h, &["hostname", "fqdn", "ip"])) {
                let name = str_at(h, "hostname");
                let owner = str_at(h, "owner");
                let text = format!(
                    "per the inventory, host {name} ({}, {}, {}, criticality {}) has the address {} and {}",
                    str_at(h, "kind"),
                    str_at(h, "role"),
                    str_at(h, "os"),
                    str_at(h, "criticality"),
                    str_at(h, "ip"),
                    if owner.is_empty() { "no owner".to_string() } else { format!("the owner {owner}") }
                );
                out.facts.push(
                    Fact::new(FactKind::Record, Citation::Inventory { key: format!("host/{name}") }, text)
                        .with("host", name)
                        .with("owner", owner)
                        .with("ip", str_at(h, "ip"))
                        .with("kind", str_at(h, "kind"))
                        .with("role", str_at(h, "role"))
                        .with("os", str_at(h, "os"))
                        .with("criticality", str_at(h, "criticality")),
                );
            }
        }
        Subject::Key(_) => {
            for acct in arr(&inv, "aws_accounts") {
                for u in arr(acct, "iam_users") {
                    for k in arr(u, "access_keys").iter().filter(|k| eq(k, &["access_key_id"])) {
                        let id = str_at(k, "access_key_id");
                        let text = format!(
                            "per the inventory, access key {id} belongs to IAM user {} in AWS account {}, owned by \
                             {}, created {}, status {}; attached policies: {}",
                            str_at(u, "name"),
                            str_at(acct, "id"),
                            if str_at(k, "owner").is_empty() { "no one listed" } else { str_at(k, "owner") },
                            str_at(k, "created"),
                            str_at(k, "status"),
                            strs(u, "attached_policies").join(", ")
                        );
                        out.facts.push(
                            Fact::new(FactKind::Record, Citation::Inventory { key: format!("key/{id}") }, text)
                                .with("key", id)
                                .with("iam_user", str_at(u, "name"))
                                .with("account", str_at(acct, "id"))
                                .with("owner", str_at(k, "owner"))
                                .with("created", str_at(k, "created"))
                                .with("terms", "AWS IAM")
                                .with("policies", strs(u, "attached_policies").join(" "))
                                .with("status", str_at(k, "status")),
                        );
                    }
                }
            }
        }
        Subject::Bucket(_) => {
            for acct in arr(&inv, "aws_accounts") {
                for b in arr(acct, "buckets").iter().filter(|b| eq(b, &["name"])) {
                    let name = str_at(b, "name");
                    let text = format!(
                        "per the inventory, bucket {name} is in AWS account {} ({}), sensitivity {}",
                        str_at(acct, "id"),
                        str_at(b, "region"),
                        str_at(b, "sensitivity")
                    );
                    out.facts.push(
                        Fact::new(FactKind::Record, Citation::Inventory { key: format!("bucket/{name}") }, text)
                            .with("bucket", name)
                            .with("account", str_at(acct, "id"))
                            .with("terms", "AWS")
                            .with("region", str_at(b, "region"))
                            .with("sensitivity", str_at(b, "sensitivity")),
                    );
                }
            }
        }
        Subject::Process(_) | Subject::User(_) | Subject::Email(_) => {}
    }
    if out.facts.is_empty() {
        out.missing.push(format!("{} {} in the inventory: not listed", subject.noun(), subject.value()));
    }
    Ok(out)
}

/// A learned state in words, from its fields only.
fn describe_state(state: &Value) -> Option<String> {
    let kind = str_at(state, "kind");
    let n = |k: &str| state.get(k).and_then(Value::as_i64);
    Some(match kind {
        "known" => {
            let values = strs(state, "values");
            let alerted = strs(state, "alerted");
            let mut t = format!(
                "has learned {} values ({}) from {} events between {} and {}",
                values.len(),
                values.join(", "),
                n("events")?,
                fmt_ms(n("first")?),
                fmt_ms(n("last")?)
            );
            if !alerted.is_empty() {
                t.push_str(&format!("; it alerted on {}", alerted.join(", ")));
            }
            t
        }
        "rate" => {
            let counts: Vec<f64> =
                arr(state, "buckets").iter().filter_map(|b| b.get(1).and_then(Value::as_f64)).collect();
            let mut sorted = counts.clone();
            sorted.sort_by(f64::total_cmp);
            let median = sorted.get(sorted.len() / 2).copied()?;
            let highest = sorted.last().copied()?;
            let latest = counts.last().copied()?;
            format!(
                "has counted {} periods: median {median:.0} events per period, highest {highest:.0}, latest \
                 {latest:.0}; it alerted in {} of them",
                counts.len(),
                arr(state, "alerted").len()
            )
        }
        "geo" => {
            let points = arr(state, "points");
            let mut places: Vec<String> = Vec::new();
            for p in points {
                let pl = str_at(p, "place").to_string();
                if !pl.is_empty() && !places.contains(&pl) {
                    places.push(pl);
                }
            }
            let last = points.last()?;
            format!(
                "has {} recent sign-in places ({}), the latest from {} at {}",
                points.len(),
                places.join("; "),
                str_at(last, "ip"),
                fmt_ms(last.get("time").and_then(Value::as_i64)?)
            )
        }
        "egress" => format!(
            "has seen {} connections and {:.0} bytes to {} since {}",
            n("conns")?,
            state.get("bytes").and_then(Value::as_f64)?,
            strs(state, "domains").join(", "),
            fmt_ms(n("start")?)
        ),
        "hours" => {
            let hours: Vec<u64> = arr(state, "hours").iter().filter_map(Value::as_u64).collect();
            let active: Vec<String> =
                hours.iter().enumerate().filter(|(_, c)| **c > 0).map(|(h, _)| format!("{h:02}")).collect();
            format!("has seen activity in the UTC hours {} since {}", active.join(", "), fmt_day(n("first")?))
        }
        "seq" => format!("is at step {} of its sequence, started {}", n("step")?, fmt_ms(n("started")?)),
        _ => return None,
    })
}

/// What the behavioral detections have learned about a subject.
pub fn baseline(app: &App, caller: &Caller, subject: &Subject) -> R {
    let rows = app.baseline(caller, subject.value())?;
    let mut out = ToolOutput::default();
    for b in rows.iter().take(MAX_RECORDS) {
        let Some(what) = describe_state(&b.state) else { continue };
        let text =
            format!("the baseline of {} for {} {what} (updated {})", b.detection, b.entity, fmt_ms(b.updated_ms));
        out.facts.push(
            Fact::new(
                FactKind::Record,
                Citation::Baseline { detection: b.detection.clone(), entity: b.entity.clone() },
                text,
            )
            .with("detection", b.detection.clone())
            .with("subject", b.entity.clone())
            .with("learned", what.clone())
            .with("updated", fmt_ms(b.updated_ms)),
        );
    }
    if out.facts.is_empty() {
        out.missing.push(format!(
            "a behavioral baseline for {} {}: no detection has learned one",
            subject.noun(),
            subject.value()
        ));
    }
    Ok(out)
}

/// A read-only query the asker wrote, run as the asker ([`App::hunt`] checks the permission,
/// runs it read-only under its limits and audits it): one fact per row, citing the row's event
/// when it carries an `id` column of an event, else the query itself.
pub fn sql(app: &App, caller: &Caller, sql: &str) -> R {
    let (rows, truncated) = hunt_rows(app, caller, sql, MAX_SQL_ROWS)?;
    let mut out = ToolOutput::default();
    let query = Citation::Query { sql: sql.to_string() };
    for r in &rows {
        let Value::Object(m) = r else { continue };
        let cells: Vec<String> = m
            .iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(x) => x.clone(),
                    Value::Null => "null".into(),
                    other => other.to_string(),
                };
                format!("{k} = {}", v.chars().take(200).collect::<String>())
            })
            .collect();
        let id = s(r, "id");
        let cite = if id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()) {
            Citation::event(&id)
        } else {
            query.clone()
        };
        let mut f = Fact::new(FactKind::Record, cite, format!("the query returned a row: {}", cells.join(", ")))
            .with("columns", m.keys().cloned().collect::<Vec<_>>().join(" "));
        for (k, v) in m {
            let v = match v {
                Value::String(x) => x.chars().take(200).collect(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            f = f.with(k, v);
        }
        out.facts.push(f);
    }
    if rows.is_empty() {
        out.facts
            .push(Fact::new(FactKind::Aggregate, query, "the query returned no rows".to_string()).with("rows", "0"));
    }
    if truncated {
        out.notes.push(format!("query: the first {MAX_SQL_ROWS} rows shown"));
    }
    Ok(out)
}
