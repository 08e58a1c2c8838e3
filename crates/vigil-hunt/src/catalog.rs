//! The weak-signal hunts Vigil ships: what each looks for, its SQL over a window of the lake,
//! and how its rows become hypotheses.
//!
//! Every hunt keeps its SQL to the lake's own tables and columns, so a person can run, read and
//! change it with `vigil query`; every figure a hypothesis states comes from a row.

use std::collections::{BTreeMap, BTreeSet};

use crate::{DAY_MS, Draft, HuntError, Kind, Row, WEEK_MS, Window, fmt_ms, int, sql_str, text};

/// A follow-up query a reader asks its runner for.
pub type Lookup<'a> = dyn FnMut(&str) -> Vec<Row> + 'a;

/// One weak-signal hunt.
pub struct Spec {
    pub id: &'static str,
    pub title: &'static str,
    pub kind: Kind,
    /// What it looks for and why it matters, for the Hunt page.
    pub about: &'static str,
    /// Its SQL over a window.
    pub sql: fn(&Window) -> String,
    /// Its rows read into hypotheses. `lookup` runs a follow-up query (a name for an address,
    /// a host for an IP) through whoever runs the hunt; it gives no rows when it cannot.
    pub read: fn(&Window, &[Row], &mut Lookup<'_>) -> Vec<Draft>,
}

/// The shipped hunts, in the order they run.
pub static CATALOG: &[Spec] = &[
    Spec {
        id: "slow_transfer",
        title: "Small transfers to a new destination, week after week",
        kind: Kind::LowAndSlow,
        about: "An internal address that sends a little data to an outside address no more than one other internal address ever talks to, on few days spread over four or more weeks, starting after the window opened. Each day is ordinary; the weeks are not.",
        sql: slow_transfer_sql,
        read: slow_transfer_read,
    },
    Spec {
        id: "dormant_periodic",
        title: "A dormant cloud key that wakes once a week",
        kind: Kind::LowAndSlow,
        about: "An access key silent for the window's first two weeks, then used on about one day a week for three weeks or more, from addresses no other key uses. A forgotten service identity run on someone else's schedule looks like this.",
        sql: dormant_periodic_sql,
        read: dormant_periodic_read,
    },
    Spec {
        id: "scope_widening",
        title: "An OAuth integration asking for more scopes, week by week",
        kind: Kind::LowAndSlow,
        about: "An app whose token grants add scopes it did not ask for in its first two weeks, in two or more separate weeks. An integration's scopes are set when it is approved; they should not creep.",
        sql: scope_widening_sql,
        read: scope_widening_read,
    },
    Spec {
        id: "app_widening",
        title: "An identity opening more apps, week by week",
        kind: Kind::LowAndSlow,
        about: "An identity active since the window opened that signs in to apps it never used before, in three or more separate weeks. Vendors and service identities read a fixed set; one reading more each week is widening its reach.",
        sql: app_widening_sql,
        read: app_widening_read,
    },
    Spec {
        id: "rare_process_pair",
        title: "Parent and child processes seen on one host only",
        kind: Kind::Rarity,
        about: "Process launches whose parent and child pair appears on a single host and no more than three times in the whole window, after the window's first week: stacking every host's process tree shows what one machine did that no other did.",
        sql: rare_process_pair_sql,
        read: rare_process_pair_read,
    },
    Spec {
        id: "new_country",
        title: "A sign-in from a country new to the identity",
        kind: Kind::Rarity,
        about: "An identity with two weeks of sign-ins that then signs in, on no more than two days, from a country it never used and no more than one other person in the company signs in from.",
        sql: new_country_sql,
        read: new_country_read,
    },
    Spec {
        id: "service_first_seen",
        title: "Services installed on one host only",
        kind: Kind::Rarity,
        about: "A Windows service installed on a single host in the window, after its first week, that no other host has. Remote execution tools and persistence install services like this.",
        sql: service_first_seen_sql,
        read: service_first_seen_read,
    },
];

/// The hunt named `id`.
pub fn spec(id: &str) -> Result<&'static Spec, HuntError> {
    CATALOG
        .iter()
        .find(|s| s.id == id)
        .ok_or_else(|| HuntError::Unknown(id.to_string(), CATALOG.iter().map(|s| s.id).collect::<Vec<_>>().join(", ")))
}

/// SQL: an address column holds an internal (RFC 1918) IPv4 address.
fn private_ip(col: &str) -> String {
    format!("({col} LIKE '10.%' OR {col} LIKE '192.168.%' OR regexp_like({col}, '^172\\.(1[6-9]|2[0-9]|3[01])\\.'))")
}

/// The window's first `days` end here.
fn after(w: &Window, days: i64) -> i64 {
    w.from_ms + days * DAY_MS
}

fn weeks_of(ms_from: i64, ms_to: i64) -> i64 {
    (ms_to - ms_from) / WEEK_MS + 1
}

fn s(row: &Row, col: &str) -> String {
    text(row, col).unwrap_or_default()
}

fn i(row: &Row, col: &str) -> i64 {
    int(row, col).unwrap_or(0)
}

fn first_text(rows: Vec<Row>, col: &str) -> Option<String> {
    rows.first().and_then(|r| text(r, col)).filter(|t| !t.is_empty())
}

fn kb(bytes: i64) -> String {
    format!("{:.0} KB", bytes as f64 / 1000.0)
}

// ---------------------------------------------------------------------------------------------
// Low and slow

fn slow_transfer_sql(w: &Window) -> String {
    format!(
        "WITH c AS (SELECT src_ip, dst_ip, time, COALESCE(bytes_out, 0) AS b FROM network_activity \
         WHERE {win} AND metadata_log_name = 'conn' AND src_ip IS NOT NULL AND dst_ip IS NOT NULL \
         AND {src_private} AND NOT {dst_private}), \
         d AS (SELECT dst_ip, count(DISTINCT src_ip) AS talkers FROM c GROUP BY dst_ip), \
         p AS (SELECT c.src_ip, c.dst_ip, count(*) AS conns, count(DISTINCT date_trunc('day', c.time)) AS days, \
         count(DISTINCT date_trunc('week', c.time)) AS weeks, sum(c.b) AS bytes, max(c.b) AS max_bytes, \
         CAST(min(c.time) AS BIGINT) AS first_ms, CAST(max(c.time) AS BIGINT) AS last_ms, max(d.talkers) AS talkers \
         FROM c JOIN d ON c.dst_ip = d.dst_ip WHERE d.talkers <= 2 GROUP BY c.src_ip, c.dst_ip \
         HAVING count(DISTINCT date_trunc('week', c.time)) >= 4 AND sum(c.b) > 0) \
         SELECT p.* FROM p WHERE p.first_ms >= {after} ORDER BY p.src_ip, p.dst_ip LIMIT 500",
        win = w.sql(),
        src_private = private_ip("src_ip"),
        dst_private = private_ip("dst_ip"),
        after = after(w, 7),
    )
}

fn slow_transfer_read(w: &Window, rows: &[Row], lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    for r in rows {
        let (src, dst) = (s(r, "src_ip"), s(r, "dst_ip"));
        let (days, weeks, bytes, conns) = (i(r, "days"), i(r, "weeks"), i(r, "bytes"), i(r, "conns"));
        let (first, last) = (i(r, "first_ms"), i(r, "last_ms"));
        // Regular: about one day a week, small each week (under a few MB), few connections a day.
        let per_week = bytes / weeks.max(1);
        if src.is_empty() || dst.is_empty() || days > weeks + 2 || per_week > 5_000_000 || conns > days * 8 {
            continue;
        }
        // Names and hosts are looked up around the transfers only.
        let near = Window { from_ms: first - DAY_MS, to_ms: last + DAY_MS };
        let name = first_text(
            lookup(&format!(
                "SELECT dns_query AS name, count(*) AS n FROM dns_activity WHERE {} AND dns_query IS NOT NULL AND strpos(dns_answers, {}) > 0 GROUP BY dns_query ORDER BY n DESC, name LIMIT 1",
                near.sql(),
                sql_str(&dst)
            )),
            "name",
        );
        let host = first_text(
            lookup(&format!(
                "SELECT device_hostname AS host, count(*) AS n FROM events WHERE {} AND device_ip = {} AND device_hostname IS NOT NULL GROUP BY device_hostname ORDER BY n DESC, host LIMIT 1",
                near.sql(),
                sql_str(&src)
            )),
            "host",
        );
        let dest = name.as_ref().map_or_else(|| dst.clone(), |n| format!("{n} ({dst})"));
        let from = host.as_ref().map_or_else(|| src.clone(), |h| format!("{h} ({src})"));
        let mut entities = vec![src.clone(), dst.clone()];
        entities.extend(name.clone());
        entities.extend(host.clone());
        out.push(Draft {
            hunt: "slow_transfer".into(),
            subject: format!("{src}>{dst}"),
            statement: format!(
                "{from} may be sending data out a little at a time: {} to {dest} over {weeks} weeks, on {days} days",
                kb(bytes)
            ),
            entities,
            facts: vec![
                format!(
                    "{from} made {conns} connections to {dest} on {days} days in {weeks} different weeks between {} and {}",
                    fmt_ms(first),
                    fmt_ms(last)
                ),
                format!("They sent {} in all, about {} a week", kb(bytes), kb(per_week)),
                format!(
                    "{dest} was first contacted {} days after the window opened, and no more than {} internal address(es) ever talked to it",
                    (first - w.from_ms) / DAY_MS,
                    i(r, "talkers")
                ),
            ],
            test_sql: format!(
                "SELECT id, time, src_ip, dst_ip, dst_port, bytes_out, bytes_in FROM network_activity WHERE {} AND src_ip = {} AND dst_ip = {} ORDER BY time",
                w.sql(),
                sql_str(&src),
                sql_str(&dst)
            ),
            confirm: format!(
                "The process on {from} that opened these connections is not one the business uses for {dest}; the destination is a file-drop or personal storage site; the person cannot say what was sent"
            ),
            refute: format!(
                "{dest} is a service the business uses (a vendor portal, a sync client's endpoint) and the transfers match that work"
            ),
            score: (weeks as f64 * 10.0 + if name.is_some() { 5.0 } else { 0.0 }).min(100.0),
            first_ms: first,
            last_ms: last,
            techniques: vec!["T1030".into(), "T1048".into()],
        });
    }
    out
}

fn dormant_periodic_sql(w: &Window) -> String {
    format!(
        "WITH a AS (SELECT actor_user_credential_uid AS k, actor_user_name AS u, src_ip, time, api_operation FROM events \
         WHERE {win} AND metadata_format = 'cloudtrail' AND actor_user_credential_uid LIKE 'AKIA%' AND src_ip IS NOT NULL), \
         ipk AS (SELECT src_ip, count(DISTINCT k) AS keys FROM a GROUP BY src_ip) \
         SELECT a.k AS key, min(a.u) AS user_name, count(*) AS calls, count(DISTINCT date_trunc('day', a.time)) AS days, \
         count(DISTINCT date_trunc('week', a.time)) AS weeks, count(DISTINCT a.src_ip) AS ips, min(a.src_ip) AS ip, \
         max(ipk.keys) AS shared, count(DISTINCT a.api_operation) AS operations, \
         CAST(min(a.time) AS BIGINT) AS first_ms, CAST(max(a.time) AS BIGINT) AS last_ms \
         FROM a JOIN ipk ON a.src_ip = ipk.src_ip GROUP BY a.k \
         HAVING count(DISTINCT date_trunc('week', a.time)) >= 3 AND min(a.time) >= to_timestamp_millis({after}) \
         ORDER BY a.k LIMIT 500",
        win = w.sql(),
        after = after(w, 14),
    )
}

fn dormant_periodic_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    for r in rows {
        let key = s(r, "key");
        let (days, weeks, ips, shared) = (i(r, "days"), i(r, "weeks"), i(r, "ips"), i(r, "shared"));
        let (first, last) = (i(r, "first_ms"), i(r, "last_ms"));
        let span = weeks_of(first, last);
        // About one day a week, from one or two addresses of its own.
        if key.is_empty() || days > weeks + 2 || days > span + 1 || ips > 2 || shared > 1 {
            continue;
        }
        let user = text(r, "user_name");
        let who = user.as_ref().map_or_else(|| key.clone(), |u| format!("{u}'s key {key}"));
        let ip = s(r, "ip");
        let mut entities = vec![key.clone(), ip.clone()];
        entities.extend(user.clone());
        out.push(Draft {
            hunt: "dormant_periodic".into(),
            subject: key.clone(),
            statement: format!(
                "{who} may be in someone else's hands: silent for {} days, then used about once a week from {ip} for {weeks} weeks",
                (first - w.from_ms) / DAY_MS
            ),
            entities,
            facts: vec![
                format!(
                    "{who} made no call in the window's first {} days, then {} calls ({} different operations) on {days} days in {weeks} weeks, {} to {}",
                    (first - w.from_ms) / DAY_MS,
                    i(r, "calls"),
                    i(r, "operations"),
                    fmt_ms(first),
                    fmt_ms(last)
                ),
                format!("Every call came from {ips} address(es) ({ip} first), which no other key used in the window"),
            ],
            test_sql: format!(
                "SELECT id, time, src_ip, api_service, api_operation, http_user_agent FROM events WHERE {} AND actor_user_credential_uid = {} ORDER BY time",
                w.sql(),
                sql_str(&key)
            ),
            confirm: format!(
                "No one owns a job that uses {key} on this schedule; {ip} is not the business's; the calls read data (listing, reading objects) rather than keep a system running"
            ),
            refute: format!("A known job runs with {key} from {ip} on this schedule, and its owner confirms it"),
            score: (weeks as f64 * 12.0).min(100.0),
            first_ms: first,
            last_ms: last,
            techniques: vec!["T1078.004".into()],
        });
    }
    out
}

/// SQL: the text a regular expression's first group captures in `raw` (the record as the
/// source wrote it), or NULL.
fn raw_capture(pattern: &str) -> String {
    format!(
        "CASE WHEN regexp_like(raw, '{p}') THEN regexp_replace(raw, '^.*?{p}.*$', '\\1') END",
        p = pattern.replace('\'', "''")
    )
}

fn scope_widening_sql(w: &Window) -> String {
    format!(
        "SELECT actor_user_name AS client, min({name}) AS client_name, scopes, count(*) AS grants, \
         count(DISTINCT src_ip) AS ips, CAST(min(time) AS BIGINT) AS first_ms, CAST(max(time) AS BIGINT) AS last_ms \
         FROM (SELECT actor_user_name, time, src_ip, raw, {scopes} AS scopes FROM events \
         WHERE {win} AND metadata_event_code = 'app.oauth2.as.token.grant' AND actor_user_name IS NOT NULL) g \
         WHERE scopes IS NOT NULL GROUP BY actor_user_name, scopes ORDER BY 1, 6 LIMIT 5000",
        name = raw_capture(r#""displayName":"([^"]*)""#),
        scopes = raw_capture(r#""grantedScopes":"([^"]*)""#),
        win = w.sql(),
    )
}

/// Per subject, what it used (scopes, apps) and when each was first used.
struct Firsts {
    label: Option<String>,
    first_active: i64,
    last_active: i64,
    items: BTreeMap<String, i64>,
}

fn widening(
    w: &Window,
    firsts: &BTreeMap<String, Firsts>,
    min_new: usize,
    min_weeks: usize,
) -> Vec<(String, Vec<(String, i64)>)> {
    let mut out = Vec::new();
    for (subject, f) in firsts {
        // Active from the window's first week, so "new" means new to it, not to us.
        if f.first_active > after(w, 7) {
            continue;
        }
        let baseline_end = f.first_active + 14 * DAY_MS;
        let mut new: Vec<(String, i64)> =
            f.items.iter().filter(|(_, t)| **t >= baseline_end).map(|(k, t)| (k.clone(), *t)).collect();
        new.sort_by_key(|(k, t)| (*t, k.clone()));
        let weeks: BTreeSet<i64> = new.iter().map(|(_, t)| (t - w.from_ms) / WEEK_MS).collect();
        if new.len() >= min_new && weeks.len() >= min_weeks {
            out.push((subject.clone(), new));
        }
    }
    out
}

fn scope_widening_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut firsts: BTreeMap<String, Firsts> = BTreeMap::new();
    for r in rows {
        let client = s(r, "client");
        if client.is_empty() {
            continue;
        }
        let (first, last) = (i(r, "first_ms"), i(r, "last_ms"));
        let f = firsts.entry(client).or_insert(Firsts {
            label: None,
            first_active: first,
            last_active: last,
            items: BTreeMap::new(),
        });
        f.label = f.label.take().or_else(|| text(r, "client_name"));
        f.first_active = f.first_active.min(first);
        f.last_active = f.last_active.max(last);
        for scope in s(r, "scopes").split_whitespace() {
            let t = f.items.entry(scope.to_string()).or_insert(first);
            *t = (*t).min(first);
        }
    }
    let mut out = Vec::new();
    for (client, new) in widening(w, &firsts, 2, 2) {
        let f = &firsts[&client];
        let name = f.label.clone().map_or_else(|| client.clone(), |l| format!("{l} ({client})"));
        let before: Vec<&str> =
            f.items.iter().filter(|(_, t)| **t < f.first_active + 14 * DAY_MS).map(|(k, _)| k.as_str()).collect();
        let weeks: BTreeSet<i64> = new.iter().map(|(_, t)| (t - w.from_ms) / WEEK_MS).collect();
        let mut entities = vec![client.clone()];
        entities.extend(f.label.clone());
        out.push(Draft {
            hunt: "scope_widening".into(),
            subject: client.clone(),
            statement: format!(
                "The integration {name} may be widening what it can read: {} new scopes in {} different weeks",
                new.len(),
                weeks.len()
            ),
            entities,
            facts: vec![
                format!("In its first two weeks {name} was granted {}", before.join(" ")),
                format!(
                    "Then it was granted, for the first time: {}",
                    new.iter().map(|(k, t)| format!("{k} on {}", fmt_ms(*t))).collect::<Vec<_>>().join("; ")
                ),
            ],
            test_sql: format!(
                "SELECT id, time, src_ip, {} AS scopes FROM events WHERE {} AND metadata_event_code = 'app.oauth2.as.token.grant' AND actor_user_name = {} ORDER BY time",
                raw_capture(r#""grantedScopes":"([^"]*)""#),
                w.sql(),
                sql_str(&client)
            ),
            confirm: format!(
                "No change request or vendor notice asked for these scopes; the app's configuration in the identity provider was changed without review, or {name} uses them to read data it has no need for"
            ),
            refute: format!("A reviewed change to {name}'s integration asked for exactly these scopes"),
            score: (new.len() as f64 * 10.0 + weeks.len() as f64 * 5.0).min(100.0),
            first_ms: new.first().map_or(f.first_active, |(_, t)| *t),
            last_ms: f.last_active,
            techniques: vec!["T1098.001".into(), "T1528".into()],
        });
    }
    out
}

fn app_widening_sql(w: &Window) -> String {
    format!(
        "SELECT actor_user_name AS who, app, count(*) AS sign_ins, CAST(min(time) AS BIGINT) AS first_ms, \
         CAST(max(time) AS BIGINT) AS last_ms FROM (SELECT actor_user_name, time, {app} AS app FROM events \
         WHERE {win} AND metadata_event_code = 'user.authentication.sso' AND actor_user_name IS NOT NULL) s \
         WHERE app IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 4 LIMIT 100000",
        app = raw_capture(r#""type":"AppInstance","alternateId":"([^"]*)""#),
        win = w.sql(),
    )
}

fn app_widening_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut firsts: BTreeMap<String, Firsts> = BTreeMap::new();
    for r in rows {
        let who = s(r, "who");
        let app = s(r, "app");
        if who.is_empty() || app.is_empty() {
            continue;
        }
        let (first, last) = (i(r, "first_ms"), i(r, "last_ms"));
        let f = firsts.entry(who).or_insert(Firsts {
            label: None,
            first_active: first,
            last_active: last,
            items: BTreeMap::new(),
        });
        f.first_active = f.first_active.min(first);
        f.last_active = f.last_active.max(last);
        f.items.insert(app, first);
    }
    let mut out = Vec::new();
    for (who, new) in widening(w, &firsts, 3, 3) {
        let f = &firsts[&who];
        let before: Vec<&str> =
            f.items.iter().filter(|(_, t)| **t < f.first_active + 14 * DAY_MS).map(|(k, _)| k.as_str()).collect();
        let weeks: BTreeSet<i64> = new.iter().map(|(_, t)| (t - w.from_ms) / WEEK_MS).collect();
        out.push(Draft {
            hunt: "app_widening".into(),
            subject: who.clone(),
            statement: format!(
                "{who} may be widening its reach: it opened {} apps it had never used, in {} different weeks",
                new.len(),
                weeks.len()
            ),
            entities: vec![who.clone()],
            facts: vec![
                format!(
                    "In its first two weeks {who} used {}",
                    if before.is_empty() { "no app".to_string() } else { before.join(", ") }
                ),
                format!(
                    "Then it opened, for the first time: {}",
                    new.iter().map(|(k, t)| format!("{k} on {}", fmt_ms(*t))).collect::<Vec<_>>().join("; ")
                ),
            ],
            test_sql: format!(
                "SELECT id, time, src_ip, {} AS app FROM events WHERE {} AND metadata_event_code = 'user.authentication.sso' AND actor_user_name = {} ORDER BY time",
                raw_capture(r#""type":"AppInstance","alternateId":"([^"]*)""#),
                w.sql(),
                sql_str(&who)
            ),
            confirm: format!("{who}'s role or contract gives it no reason to use these apps, and no one granted the access on purpose"),
            refute: format!("{who} took on work that needs these apps, and the access was granted through the usual request"),
            score: (new.len() as f64 * 8.0 + weeks.len() as f64 * 5.0).min(100.0),
            first_ms: new.first().map_or(f.first_active, |(_, t)| *t),
            last_ms: f.last_active,
            techniques: vec!["T1078".into(), "T1213".into()],
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Rarity

/// SQL: the file name at the end of a Windows or POSIX path column, lower-cased.
fn base_name(col: &str) -> String {
    format!("lower(regexp_replace({col}, '^.*[\\\\/]', ''))")
}

fn rare_process_pair_sql(w: &Window) -> String {
    format!(
        "WITH p AS (SELECT {parent} AS parent, {child} AS child, device_hostname AS host, time, id, process_cmd_line AS cmd \
         FROM process_activity WHERE {win} AND process_parent_path IS NOT NULL AND process_path IS NOT NULL \
         AND device_hostname IS NOT NULL), \
         r AS (SELECT parent, child FROM p GROUP BY parent, child HAVING count(DISTINCT host) = 1 AND count(*) <= 6) \
         SELECT p.parent, p.child, min(p.host) AS host, count(*) AS launches, min(p.cmd) AS cmd, \
         CAST(min(p.time) AS BIGINT) AS first_ms, CAST(max(p.time) AS BIGINT) AS last_ms \
         FROM p JOIN r ON p.parent = r.parent AND p.child = r.child GROUP BY p.parent, p.child \
         HAVING min(p.time) >= to_timestamp_millis({after}) ORDER BY first_ms LIMIT 500",
        parent = base_name("process_parent_path"),
        child = base_name("process_path"),
        win = w.sql(),
        after = after(w, 7),
    )
}

/// How unusual a child process is as a hunting lead (the tools attackers start from others).
fn child_weight(child: &str) -> f64 {
    const LOLBINS: &[&str] = &[
        "cmd.exe",
        "powershell.exe",
        "pwsh.exe",
        "rundll32.exe",
        "regsvr32.exe",
        "mshta.exe",
        "wscript.exe",
        "cscript.exe",
        "vssadmin.exe",
        "wmic.exe",
        "bcdedit.exe",
        "psexesvc.exe",
        "certutil.exe",
        "schtasks.exe",
        "sc.exe",
        "net.exe",
        "net1.exe",
        "whoami.exe",
        "nltest.exe",
    ];
    if LOLBINS.contains(&child) { 30.0 } else { 0.0 }
}

fn rare_process_pair_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    for r in rows {
        let (parent, child, host) = (s(r, "parent"), s(r, "child"), s(r, "host"));
        if parent.is_empty() || child.is_empty() || host.is_empty() {
            continue;
        }
        let (first, last, n) = (i(r, "first_ms"), i(r, "last_ms"), i(r, "launches"));
        let cmd = text(r, "cmd");
        out.push(Draft {
            hunt: "rare_process_pair".into(),
            subject: format!("{host}|{parent}>{child}"),
            statement: format!("{host} ran {child} from {parent}, a pair no other host ran in {} days", w.days()),
            entities: vec![host.clone()],
            facts: {
                let when = if fmt_ms(first) == fmt_ms(last) {
                    format!("at {}", fmt_ms(first))
                } else {
                    format!("between {} and {}", fmt_ms(first), fmt_ms(last))
                };
                let mut f = vec![format!(
                    "{parent} started {child} on {host} {n} time(s) {when}; no other host ran this pair in the window"
                )];
                if let Some(c) = cmd {
                    f.push(format!("One command line was: {}", truncate(&c, 300)));
                }
                f
            },
            test_sql: format!(
                "SELECT id, time, device_hostname, process_parent_path, process_path, process_cmd_line, process_user FROM process_activity WHERE {} AND device_hostname = {} AND {} = {} AND {} = {} ORDER BY time",
                w.sql(),
                sql_str(&host),
                base_name("process_parent_path"),
                sql_str(&parent),
                base_name("process_path"),
                sql_str(&child)
            ),
            confirm: format!("The command lines do something no one on {host} meant to do (tampering, discovery, remote execution, staging)"),
            refute: format!("The launch is an installer, an update or an administrator's documented work on {host}"),
            score: (20.0 + child_weight(&child) - n as f64).clamp(0.0, 100.0),
            first_ms: first,
            last_ms: last,
            techniques: vec![],
        });
    }
    out
}

fn new_country_sql(w: &Window) -> String {
    format!(
        "WITH a AS (SELECT user_name AS who, src_country AS country, time FROM authentication \
         WHERE {win} AND status_id = 1 AND user_name IS NOT NULL AND src_country IS NOT NULL), \
         f AS (SELECT who, min(time) AS since FROM a GROUP BY who), \
         c AS (SELECT country, count(DISTINCT who) AS people FROM a GROUP BY country HAVING count(DISTINCT who) <= 2) \
         SELECT a.who, a.country, count(*) AS sign_ins, count(DISTINCT date_trunc('day', a.time)) AS days, \
         CAST(min(a.time) AS BIGINT) AS first_ms, CAST(max(a.time) AS BIGINT) AS last_ms, CAST(min(f.since) AS BIGINT) AS since_ms, \
         max(c.people) AS people \
         FROM a JOIN f ON a.who = f.who JOIN c ON a.country = c.country GROUP BY a.who, a.country \
         HAVING min(a.time) >= min(f.since) + INTERVAL '14 days' AND count(DISTINCT date_trunc('day', a.time)) <= 2 \
         ORDER BY first_ms LIMIT 500",
        win = w.sql(),
    )
}

fn new_country_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    for r in rows {
        let (who, country) = (s(r, "who"), s(r, "country"));
        if who.is_empty() || country.is_empty() {
            continue;
        }
        let (first, last, since) = (i(r, "first_ms"), i(r, "last_ms"), i(r, "since_ms"));
        out.push(Draft {
            hunt: "new_country".into(),
            subject: format!("{who}|{country}"),
            statement: format!("{who} signed in from {country} for the first time"),
            entities: vec![who.clone()],
            facts: vec![format!(
                "{who} had signed in since {} without ever coming from {country}; then {} successful sign-in(s) from {country} on {} day(s), {} to {}",
                fmt_ms(since),
                i(r, "sign_ins"),
                i(r, "days"),
                fmt_ms(first),
                fmt_ms(last)
            ), format!("{} person(s) in the company signed in from {country} in the window", i(r, "people"))],
            test_sql: format!(
                "SELECT id, time, src_ip, src_country, src_city, auth_mfa_factor, http_user_agent FROM authentication WHERE {} AND user_name = {} ORDER BY time",
                w.sql(),
                sql_str(&who)
            ),
            confirm: format!("{who} was not travelling; the device or browser is one {who} never used; the same hours show sign-ins from home"),
            refute: format!("{who} was travelling to {country} (calendar, expenses) on a known device"),
            score: 15.0,
            first_ms: first,
            last_ms: last,
            techniques: vec!["T1078".into()],
        });
    }
    let _ = w;
    out
}

fn service_first_seen_sql(w: &Window) -> String {
    let name = "COALESCE(file_name, process_name, message)";
    format!(
        "WITH s AS (SELECT {name} AS service, device_hostname AS host, time, process_path AS path, id FROM events \
         WHERE {win} AND class_name = 'Windows Service Activity' AND device_hostname IS NOT NULL AND {name} IS NOT NULL), \
         r AS (SELECT service FROM s GROUP BY service HAVING count(DISTINCT host) = 1) \
         SELECT s.service, min(s.host) AS host, count(*) AS installs, min(s.path) AS path, \
         CAST(min(s.time) AS BIGINT) AS first_ms, CAST(max(s.time) AS BIGINT) AS last_ms \
         FROM s JOIN r ON s.service = r.service GROUP BY s.service \
         HAVING min(s.time) >= to_timestamp_millis({after}) ORDER BY first_ms LIMIT 500",
        win = w.sql(),
        after = after(w, 7),
    )
}

fn service_first_seen_read(w: &Window, rows: &[Row], _lookup: &mut Lookup<'_>) -> Vec<Draft> {
    let mut out = Vec::new();
    for r in rows {
        let (service, host) = (s(r, "service"), s(r, "host"));
        if service.is_empty() || host.is_empty() {
            continue;
        }
        let (first, last) = (i(r, "first_ms"), i(r, "last_ms"));
        let path = text(r, "path");
        out.push(Draft {
            hunt: "service_first_seen".into(),
            subject: format!("{host}|{service}"),
            statement: format!("The service {} appeared on {host} and on no other host", truncate(&service, 120)),
            entities: vec![host.clone()],
            facts: vec![format!(
                "{} service event(s) for {} on {host}, {} to {}{}; no other host has it in {} days",
                i(r, "installs"),
                truncate(&service, 120),
                fmt_ms(first),
                fmt_ms(last),
                path.map(|p| format!(", binary {}", truncate(&p, 200))).unwrap_or_default(),
                w.days()
            )],
            test_sql: format!(
                "SELECT id, time, device_hostname, message, process_path, actor_user_name FROM events WHERE {} AND class_name = 'Windows Service Activity' AND device_hostname = {} ORDER BY time",
                w.sql(),
                sql_str(&host)
            ),
            confirm: format!("The binary is a remote-execution or persistence tool, or was written minutes before by a remote session on {host}"),
            refute: "The service belongs to software the business deployed (an agent, a driver, an update)".to_string(),
            score: 25.0,
            first_ms: first,
            last_ms: last,
            techniques: vec!["T1543.003".into(), "T1569.002".into()],
        });
    }
    out
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_string() } else { format!("{}…", s.chars().take(n).collect::<String>()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: serde_json::Value) -> Row {
        v.as_object().cloned().unwrap_or_default()
    }

    fn none(_: &str) -> Vec<Row> {
        Vec::new()
    }

    fn window() -> Window {
        Window { from_ms: 0, to_ms: 90 * DAY_MS }
    }

    #[test]
    fn every_hunt_is_found_by_its_id_and_reads_nothing_from_nothing() {
        for s in CATALOG {
            assert_eq!(spec(s.id).map(|x| x.id), Ok(s.id));
            assert!((s.read)(&window(), &[], &mut none).is_empty());
            let sql = (s.sql)(&window());
            assert!(sql.starts_with("WITH") || sql.starts_with("SELECT"), "{}", s.id);
        }
        assert!(matches!(spec("nope"), Err(HuntError::Unknown(..))));
    }

    #[test]
    fn rows_missing_their_columns_or_of_the_wrong_type_are_skipped_not_panicked_on() {
        let junk = [
            row(serde_json::json!({})),
            row(serde_json::json!({"src_ip": 5, "dst_ip": null, "weeks": "x", "key": [], "client": {}})),
            row(serde_json::json!({"who": "a", "app": "b", "first_ms": "not a time"})),
        ];
        for s in CATALOG {
            let _ = (s.read)(&window(), &junk, &mut none);
        }
    }

    #[test]
    fn a_weekly_trickle_to_a_new_site_is_a_hypothesis_and_a_daily_habit_is_not() {
        let base = serde_json::json!({
            "src_ip": "10.0.0.5", "dst_ip": "203.0.113.9", "conns": 14, "days": 6, "weeks": 6,
            "bytes": 900_000, "max_bytes": 80_000, "first_ms": 30 * DAY_MS, "last_ms": 66 * DAY_MS,
            "talkers": 1
        });
        let mut names = |sql: &str| {
            let v = if sql.contains("dns_query") {
                serde_json::json!({"name": "files.example-drop.com"})
            } else {
                serde_json::json!({"host": "LT-1"})
            };
            vec![row(v)]
        };
        let d = slow_transfer_read(&window(), &[row(base.clone())], &mut names);
        assert_eq!(d.len(), 1);
        assert!(d[0].statement.contains("files.example-drop.com"));
        assert!(d[0].entities.contains(&"LT-1".to_string()));
        assert!(d[0].test_sql.contains("'203.0.113.9'"));
        let mut daily = base.clone();
        daily["days"] = 40.into();
        assert!(slow_transfer_read(&window(), &[row(daily)], &mut none).is_empty());
        let mut bulk = base;
        bulk["bytes"] = 900_000_000i64.into();
        assert!(slow_transfer_read(&window(), &[row(bulk)], &mut none).is_empty());
    }

    #[test]
    fn a_key_shared_with_others_or_used_daily_is_not_dormant() {
        let base = serde_json::json!({
            "key": "AKIAEXAMPLE", "user_name": "svc-report", "calls": 20, "days": 6, "weeks": 6, "ips": 1,
            "ip": "198.51.100.7", "shared": 1, "operations": 4, "first_ms": 30 * DAY_MS, "last_ms": 65 * DAY_MS
        });
        assert_eq!(dormant_periodic_read(&window(), &[row(base.clone())], &mut none).len(), 1);
        let mut shared = base.clone();
        shared["shared"] = 3.into();
        assert!(dormant_periodic_read(&window(), &[row(shared)], &mut none).is_empty());
        let mut daily = base;
        daily["days"] = 30.into();
        assert!(dormant_periodic_read(&window(), &[row(daily)], &mut none).is_empty());
    }

    #[test]
    fn scopes_added_in_separate_weeks_widen_an_integration() {
        let g = |scopes: &str, first: i64| {
            row(serde_json::json!({"client": "0oa1", "client_name": "PayFlow", "scopes": scopes,
                "grants": 3, "ips": 1, "first_ms": first, "last_ms": first + DAY_MS}))
        };
        let rows = [
            g("okta.users.read", DAY_MS),
            g("okta.users.read okta.groups.read", 30 * DAY_MS),
            g("okta.users.read okta.groups.read okta.apps.read", 37 * DAY_MS),
        ];
        let d = scope_widening_read(&window(), &rows, &mut none);
        assert_eq!(d.len(), 1);
        assert!(d[0].facts[1].contains("okta.groups.read") && d[0].facts[1].contains("okta.apps.read"));
        // The same scopes from the start are no widening.
        let steady =
            [g("okta.users.read okta.groups.read", DAY_MS), g("okta.users.read okta.groups.read", 40 * DAY_MS)];
        assert!(scope_widening_read(&window(), &steady, &mut none).is_empty());
    }

    #[test]
    fn raw_captures_are_sql_with_quotes_escaped() {
        let c = raw_capture(r#""a":"([^"]*)""#);
        assert!(c.contains("regexp_like(raw,") && c.contains("'\\1'"));
        assert!(!raw_capture("it's").contains("it's"));
    }
}
