//! The slow scenarios: six weekly occurrences, each of which (and each day of which) looks like
//! ordinary work; only the pattern across weeks gives them away.
//!
//! They draw from random streams named after them, and are placed after every other scenario,
//! so the others come out the same with or without them. Every week of an instance falls inside
//! the period: it starts in the second half of the slack the period leaves (a 90-day period
//! gets three to seven weeks of ordinary activity before it).

use std::collections::BTreeSet;

use super::{Instance, Scenarios, instances_for};
use crate::ScenarioKind;
use crate::aws::{self, Ct, Who};
use crate::background::{object_key, object_prefix, token_grant};
use crate::catalog::{EXES, Site, SiteKind};
use crate::company::{
    APP_ATLASSIAN, APP_GITHUB, APP_O365, APP_SALESFORCE, APP_SERVICENOW, APP_TABLEAU, APP_WORKDAY, APPS, BucketKind,
    DORMANT_SERVICE_USERS, PROD, UA_OKTA_SDK,
};
use crate::emit::Emitter;
use crate::geo::{HOSTING_NETS, Net};
use crate::okta::Actor;
use crate::ops::{self, Proc, Sess, SignIn};
use crate::plan::{Plans, local};
use crate::util::{DAY, HOUR, MIN, R, SEC, between, chance, hash_str, lognorm, mix, normal, pick, stream, weekday};
use crate::win;
use crate::zeek::Conn;

/// Weekly occurrences of each slow scenario.
pub(crate) const WEEKS: usize = 6;

/// Bytes a slow exfiltration sends in one week, at most. A laptop's own upload on an ordinary
/// working day (mail, chat, documents, browsing) has a median around 200 KB, so a week's
/// transfer is no more than one ordinary day's upload.
pub(crate) const SLOW_EXFIL_WEEKLY_MAX: u64 = 180_000;

/// Read-only Okta API scopes, in the order a creeping integration picks them up.
static READ_SCOPES: &[&str] = &[
    "okta.users.read",
    "okta.groups.read",
    "okta.apps.read",
    "okta.logs.read",
    "okta.devices.read",
    "okta.policies.read",
    "okta.roles.read",
    "okta.authorizationServers.read",
    "okta.clients.read",
];

/// Apps a creeping vendor identity starts opening, in order (read-heavy ones: wikis, CRM,
/// dashboards, documents, code).
static CREEP_APPS: &[usize] =
    &[APP_ATLASSIAN, APP_SALESFORCE, APP_TABLEAU, APP_O365, APP_GITHUB, APP_WORKDAY, APP_SERVICENOW];

/// Destinations a slow exfiltration sends to: a made-up file-drop site on a hosting network.
static DROP_WORDS: &[&str] = &["northwind", "bluepeak", "clearbox", "filenest", "quietharbor", "stillwater"];
static DROP_SUFFIXES: &[&str] = &["-storage", "-drop", "-sync", "-share"];
static DROP_TLDS: &[&str] = &["com", "net", "io"];

/// A random stream of one slow scenario's instance `n`, for one `part` of its work.
fn rng_for(seed: u64, kind: ScenarioKind, part: &str, n: usize) -> R {
    stream(seed, hash_str(&format!("{}/{part}", kind.name())), n as u64)
}

impl Scenarios<'_> {
    /// Places and writes instance `n` (0-based) of a slow scenario. An instance that finds no
    /// one to use writes nothing (its label is then left out).
    pub(super) fn slow(
        &self,
        kind: ScenarioKind,
        n: usize,
        plans: &mut Plans,
        used: &mut BTreeSet<usize>,
        em: &mut Emitter,
    ) -> Instance {
        let place = rng_for(self.seed, kind, "place", n);
        let write = rng_for(self.seed, kind, "write", n);
        let slack = self.days.saturating_sub(WEEKS * 7);
        let first = between(&place, (slack / 2) as i64, slack as i64) as usize;
        let mut inst = Instance {
            kind,
            name: format!("{}-{}", kind.name(), n + 1),
            techniques: kind.techniques(),
            users: Vec::new(),
            hosts: Vec::new(),
            keys: Vec::new(),
            buckets: Vec::new(),
            ips: Vec::new(),
            domains: Vec::new(),
            description: String::new(),
        };
        match kind {
            ScenarioKind::SlowExfiltration => self.slow_exfil(&place, &write, em, plans, used, first, &mut inst),
            ScenarioKind::DormantServiceWeekly => self.dormant_weekly(&place, &write, em, n, first, &mut inst),
            ScenarioKind::VendorScopeCreep => self.scope_creep(&write, em, n, first, &mut inst),
            _ => {}
        }
        inst
    }

    /// Days `[first + 7w, first + 7w + 6]` of week `w`, inside the period.
    fn week_days(&self, first: usize, w: usize) -> impl Iterator<Item = usize> + '_ {
        let lo = first + 7 * w;
        (lo..lo + 7).filter(|&d| d < self.days)
    }

    fn is_weekday(&self, d: usize) -> bool {
        weekday(self.co.start_day + d as i64) < 5
    }

    /// A laptop sends a few hundred KB a week to one new file-drop site, for six weeks.
    fn slow_exfil(
        &self,
        place: &R,
        rng: &R,
        em: &mut Emitter,
        plans: &mut Plans,
        used: &mut BTreeSet<usize>,
        first: usize,
        inst: &mut Instance,
    ) {
        let co = self.co;
        let last = self.days - 1;
        let ok = |i: usize| {
            let u = &co.users[i];
            u.host.is_some() && !u.is_admin && self.alive(plans, i, last)
        };
        let mut cands: Vec<usize> = (0..co.employees).filter(|&i| ok(i) && !used.contains(&i)).collect();
        if cands.is_empty() {
            cands = (0..co.employees).filter(|&i| ok(i)).collect();
        }
        let Some(&v) = cands.get(between(place, 0, cands.len() as i64 - 1) as usize) else { return };
        used.insert(v);
        let u = &co.users[v];
        let Some(hi) = u.host else { return };
        let host = &co.hosts[hi];
        // One site, one address, all six weeks.
        let domain = format!(
            "{}.{}{}.{}",
            pick(place, &["files", "upload", "sync", "share"]),
            pick(place, DROP_WORDS),
            pick(place, DROP_SUFFIXES),
            pick(place, DROP_TLDS)
        );
        let (c, i) = *pick(place, &HOSTING_NETS);
        let dest = Net::draw(place, c, i);
        let site = Site {
            host: &domain,
            cname: None,
            ip: dest.ip,
            port: 443,
            up: 0,
            down: 0,
            ttl: 300,
            kind: SiteKind::Exfil,
            weight: 0,
        };
        // The same part of the week each time: Tuesday to Thursday, moved to another working
        // day when the person is off.
        let routine = between(place, 1, 3) as u32;
        let mut total = 0u64;
        let mut weeks = 0;
        for w in 0..WEEKS {
            let mut days: Vec<usize> = self.week_days(first, w).filter(|&d| self.is_weekday(d)).collect();
            days.sort_by_key(|&d| (weekday(co.start_day + d as i64) as i64 - routine as i64).abs());
            let Some(&fallback) = days.first() else { continue };
            let day = match days.iter().copied().find(|&d| {
                let p = &plans.days[v][d];
                p.works() && !p.away && !p.pinned
            }) {
                Some(d) => d,
                None => {
                    plans.pin_plain(self.seed, co, v, fallback);
                    fallback
                }
            };
            plans.days[v][day].pinned = true;
            let plan = &plans.days[v][day];
            let Some(win) = plan.windows.iter().max_by_key(|w| w.to - w.from) else { continue };
            let span = win.to - win.from;
            let t0 = win.from + between(rng, 30 * MIN, (span - 30 * MIN).max(31 * MIN));
            let sess = host.windows.then(|| Sess::user(rng, co, hi, &u.login, &u.sid, win.from, false));
            let browser = sess.as_ref().map(|s| {
                let exe = &EXES[if u.ua == 1 { crate::catalog::EDGE } else { crate::catalog::CHROME }];
                Proc {
                    guid: win::process_guid(rng, host, win.from + between(rng, 60, 300) * SEC),
                    pid: between(rng, 4000, 14000) as u32 & !3,
                    image: exe.path.to_string(),
                    cmd: format!("\"{}\"", exe.path),
                    user: s.qualified(),
                }
            });
            // A few uploads of a few tens of KB each, minutes apart: a form post or two.
            let budget = between(rng, 100_000, SLOW_EXFIL_WEEKLY_MAX as i64) as u64;
            let parts = between(rng, 2, 3) as u64;
            let mut left = budget;
            let mut t = t0;
            for k in 0..parts {
                let up = if k + 1 == parts { left } else { (budget / parts) * between(rng, 85, 115) as u64 / 100 };
                let up = up.min(left);
                left -= up;
                let down = lognorm(rng, 3_000.0, 0.3);
                let winp = sess.as_ref().zip(browser.as_ref());
                if k == 0 {
                    ops::visit(rng, em, co, t, hi, &site, winp, up, down);
                } else {
                    let src_port = between(rng, 49152, 65535) as u16;
                    let mut cn = Conn::tcp(t, host.ip, site.ip, 443, Some("ssl"));
                    cn.orig_p = src_port;
                    cn.duration = up as f64 / 400_000.0 + 0.4 + crate::util::unit(rng) * 2.0;
                    cn.orig_bytes = up;
                    cn.resp_bytes = down;
                    cn.emit(rng, em);
                    if let Some((s, p)) = winp {
                        ops::net_conn(rng, em, t + 150, s, p, site.ip, site.host, 443, src_port);
                    }
                }
                t += between(rng, 2, 9) * MIN;
            }
            total += budget;
            weeks += 1;
        }
        if weeks == 0 {
            return;
        }
        inst.description = format!(
            "{} sent {} KB from {} to {} ({}, {}) over {} weeks, a few connections of tens of KB on one working day a week (at most {} KB a week, less than the laptop's own upload on an ordinary day)",
            u.email,
            total / 1000,
            host.name,
            domain,
            dest.ip_s(),
            dest.isp().isp,
            weeks,
            SLOW_EXFIL_WEEKLY_MAX / 1000
        );
        inst.users.push(u.email.clone());
        inst.hosts.push(host.name.clone());
        inst.ips.push(dest.ip_s());
        inst.ips.push(crate::util::ip_str(host.ip));
        inst.domains.push(domain);
    }

    /// A retired service user's dormant access key makes a handful of read calls once a week,
    /// always from the same outside address.
    fn dormant_weekly(&self, place: &R, rng: &R, em: &mut Emitter, n: usize, first: usize, inst: &mut Instance) {
        let co = self.co;
        let a = &co.accounts[PROD];
        let base = DORMANT_SERVICE_USERS[n % DORMANT_SERVICE_USERS.len()].0;
        let name = if n < DORMANT_SERVICE_USERS.len() {
            base.to_string()
        } else {
            format!("{base}-{}", n / DORMANT_SERVICE_USERS.len() + 1)
        };
        let Some(ui) = a.user(&name) else { return };
        let user = &a.users[ui];
        let Some(key) = user.keys.first() else { return };
        let key = key.id.as_str();
        let Some(bk) = a.bucket(BucketKind::Analytics) else { return };
        let b = &a.buckets[bk];
        let (c, i) = *pick(place, &HOSTING_NETS);
        let net = Net::draw(place, c, i);
        let ipx = net.ip_s();
        // A scheduled job on the other side: the same weekday each week, 01:00-05:00 UTC.
        let routine = between(place, 0, 6) as u32;
        let hour = 1.0 + crate::util::unit(place) * 4.0;
        let who = || Who::IamUser { user, key };
        let ua = aws::UA_BOTO;
        let mut calls = 0;
        let mut objects = 0;
        let mut weeks = 0;
        for w in 0..WEEKS {
            let days: Vec<usize> = self.week_days(first, w).collect();
            let Some(&d0) = days.iter().find(|&&d| weekday(co.start_day + d as i64) == routine).or(days.first()) else {
                continue;
            };
            // Now and then a day late.
            let day = if chance(rng, 0.2) && days.contains(&(d0 + 1)) { d0 + 1 } else { d0 };
            let dayn = co.start_day + day as i64;
            let mut t = local(dayn, (hour + normal(rng, 0.0, 0.3)).clamp(0.2, 6.0), 0.0) + between(rng, 0, 59) * SEC;
            let step = |rng: &R, t: &mut i64| *t += between(rng, 1, 6) * SEC;
            Ct::new(t, PROD, who(), ipx.clone(), ua, "sts.amazonaws.com", "GetCallerIdentity").emit(
                rng,
                em,
                &co.accounts,
            );
            calls += 1;
            if w == 0 || chance(rng, 0.3) {
                step(rng, &mut t);
                Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "ListBuckets")
                    .req(crate::json::obj! {"Host": "s3.amazonaws.com"})
                    .emit(rng, em, &co.accounts);
                calls += 1;
            }
            step(rng, &mut t);
            Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "ListObjects")
                .region(b.region)
                .s3_bucket_data(a, &b.name, object_prefix(BucketKind::Analytics).to_string())
                .emit(rng, em, &co.accounts);
            calls += 1;
            for _ in 0..between(rng, 1, 3) {
                step(rng, &mut t);
                Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "GetObject")
                    .region(b.region)
                    .s3_object(a, &b.name, object_key(rng, BucketKind::Analytics), lognorm(rng, 600_000.0, 0.5), 0)
                    .emit(rng, em, &co.accounts);
                calls += 1;
                objects += 1;
            }
            weeks += 1;
        }
        if weeks == 0 {
            return;
        }
        let idle = key_idle_days(co.start_day, &user.keys[0].last_used);
        inst.description = format!(
            "The access key {} of the retired service user {} in {} ({}; last used {} days before the period) was used once a week for {} weeks from {} ({}, AS{}): GetCallerIdentity, then listing and reading s3://{} — {} read calls in all, {} objects",
            key,
            user.name,
            a.name,
            user.purpose,
            idle,
            weeks,
            ipx,
            net.isp().isp,
            net.isp().asn,
            b.name,
            calls,
            objects
        );
        inst.users.push(user.name.clone());
        inst.keys.push(key.to_string());
        inst.buckets.push(b.name.clone());
        inst.ips.push(ipx);
    }

    /// A vendor's OAuth app asks for one more read-only scope each week, and its person opens
    /// one more app each week, from the vendor's usual network.
    fn scope_creep(&self, rng: &R, em: &mut Emitter, n: usize, first: usize, inst: &mut Instance) {
        let co = self.co;
        if co.vendors.is_empty() {
            return;
        }
        // Starts from the vendors the vendor compromise does not take first.
        let rotation = (mix(self.seed ^ ScenarioKind::VendorCompromise.stream_id()) % 1009) as usize;
        let vi = (rotation + instances_for(ScenarioKind::VendorCompromise, co.employees) + n) % co.vendors.len();
        let v = &co.vendors[vi];
        let new_scopes: Vec<&'static str> =
            READ_SCOPES.iter().copied().filter(|s| !v.app.scopes.contains(s)).take(WEEKS).collect();
        let new_apps: Vec<usize> = CREEP_APPS.iter().copied().filter(|a| !v.apps.contains(a)).take(WEEKS).collect();
        let actor = Actor::vendor(v);
        let mut grants = 0;
        let mut weeks = 0;
        for w in 0..WEEKS {
            let workdays: Vec<usize> = self.week_days(first, w).filter(|&d| self.is_weekday(d)).collect();
            if workdays.is_empty() {
                continue;
            }
            let mut scopes: Vec<&str> = v.app.scopes.to_vec();
            scopes.extend(new_scopes.iter().take(w + 1));
            // A couple of extra token grants, one more each week.
            for _ in 0..2 + w {
                let d = *pick(rng, &workdays);
                let t = (co.start_day + d as i64) * DAY + between(rng, 11 * HOUR, 23 * HOUR);
                token_grant(rng, em, v, v.net, t, &scopes, UA_OKTA_SDK);
                grants += 1;
            }
            // The vendor's person signs in as usual and opens the apps picked up so far.
            let apps = &new_apps[..(w + 1).min(new_apps.len())];
            if !apps.is_empty() {
                let d = *pick(rng, &workdays);
                let t = (co.start_day + d as i64) * DAY + between(rng, 13 * HOUR, 20 * HOUR);
                let sid = ops::okta_signin(rng, em, actor, &v.okta_id, 0, v.net, t, SignIn::default());
                let mut tt = t;
                for &app in apps {
                    tt += between(rng, 20, 600) * SEC;
                    ops::okta_sso(rng, em, co, actor, app, 0, v.net, tt, &sid);
                }
            }
            weeks += 1;
        }
        if weeks == 0 {
            return;
        }
        let shown_scopes: Vec<&str> = new_scopes.iter().take(weeks).copied().collect();
        let shown_apps: Vec<&str> = new_apps.iter().take(weeks).map(|&a| APPS[a].0).collect();
        inst.description = format!(
            "Vendor {}: over {} weeks its OAuth app {} added one read-only scope a week to its token requests ({}; usually {}) with {} extra grants in all, one more each week, and its identity {} opened one more app a week ({}); all from its usual address {}",
            v.name,
            weeks,
            v.app.name,
            shown_scopes.join(", "),
            v.app.scopes.join(" "),
            grants,
            v.email,
            shown_apps.join(", "),
            v.net.ip_s()
        );
        inst.users.push(v.email.clone());
        inst.users.push(v.app.id.clone());
        inst.ips.push(v.net.ip_s());
    }
}

/// Whole days between a key's last use and the period's first day.
fn key_idle_days(start_day: i64, last_used: &Option<i64>) -> i64 {
    last_used.map_or(0, |t| start_day - t.div_euclid(DAY))
}
