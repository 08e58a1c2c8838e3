//! Benign activity: people working (sign-ins, apps, browsing, programs, file shares, AWS), admins
//! administering, servers serving, backups and CI running, vendors syncing.

use crate::aws::{self, Ct, Who};
use crate::catalog::{self, CHOCO_PKGS, EXES, INSTALLS, MAINT_SERVICES, SITES, SiteKind, site_by_host, sites_for};
use crate::company::{
    AD_DOMAIN, APP_AWS, APP_O365, APP_SLACK, AwsUse, BucketKind, Company, DEPTS, DEV, PROD, UA_OKTA_SDK, UAS, User,
};
use crate::emit::Emitter;
use crate::geo::{self, Net};
use crate::json::{J, obj};
use crate::okta::{Actor, Client, OktaEv, t_app, t_app_user, t_group, t_user};
use crate::ops::{self, Proc, RoleSession, Sess, SignIn, role_who};
use crate::plan::{Lifecycle, Plans};
use crate::util::{
    DAY, HOUR, MIN, R, SEC, Ts, akia, between, chance, fmt_ts, hex, lognorm, normal, pick, stream, unit, weekday,
    weighted,
};
use crate::win;
use crate::zeek::Conn;

/// Per-department site tables, computed once.
pub(crate) struct Bg<'a> {
    pub co: &'a Company,
    pub plans: &'a Plans,
    pub seed: u64,
    sites: Vec<Vec<(usize, u32)>>,
}

impl<'a> Bg<'a> {
    pub(crate) fn new(co: &'a Company, plans: &'a Plans, seed: u64) -> Bg<'a> {
        let sites = DEPTS
            .iter()
            .map(|d| {
                let mut kinds = vec![SiteKind::Common, SiteKind::Personal];
                match d.name {
                    "Engineering" | "IT" | "Data" | "Product" => kinds.push(SiteKind::Engineering),
                    "Sales" | "Executive" | "Customer Support" => kinds.push(SiteKind::Sales),
                    "Marketing" => {
                        kinds.push(SiteKind::Marketing);
                        kinds.push(SiteKind::Sales);
                    }
                    "Finance" | "People" => kinds.push(SiteKind::Finance),
                    _ => {}
                }
                sites_for(&kinds)
            })
            .collect();
        Bg { co, plans, seed, sites }
    }

    /// Everything benign that happens on day `d` (local days of people; UTC for servers).
    pub(crate) fn day(&self, d: usize, em: &mut Emitter) {
        for ui in 0..self.co.users.len() {
            if self.plans.days[ui][d].works() {
                self.user_day(ui, d, em);
            }
        }
        let rng_owned = stream(self.seed, 11, d as u64);
        self.lifecycle(&rng_owned, d, em);
        self.admin_day(&rng_owned, d, em);
        self.infra_day(&rng_owned, d, em);
        self.vendor_day(&rng_owned, d, em);
    }

    fn user_day(&self, ui: usize, d: usize, em: &mut Emitter) {
        let co = self.co;
        let plan = &self.plans.days[ui][d];
        let rng_owned = stream(self.seed, 10, ((d as u64) << 24) | ui as u64);
        let rng = &rng_owned;
        let u = &co.users[ui];
        let actor = Actor::user(u);
        let win_host = u.host.filter(|&h| co.hosts[h].windows);
        let mut okta_session: Option<String> = None;
        let mut sess: Option<Sess> = None;
        let mut browser: Option<Proc> = None;
        let mut windows_lid: Option<(String, u32)> = None;
        let sites = &self.sites[u.dept];
        let site_w: Vec<u32> = sites.iter().map(|&(_, w)| w).collect();
        let n_windows = plan.windows.len();
        let returner = self
            .plans
            .lifecycle
            .iter()
            .any(|&(x, dd, k)| x == ui && dd == d && matches!(k, Lifecycle::Returner | Lifecycle::NewHire));
        for (wi, w) in plan.windows.iter().enumerate() {
            let span = (w.to - w.from).max(10 * MIN);
            let hours = span as f64 / HOUR as f64;

            // Laptop logon (Windows): interactive at the start of the day, unlock later.
            if let Some(hi) = win_host
                && (wi == 0 || w.fresh)
            {
                let host = &co.hosts[hi];
                let ltype = if wi == 0 { 2 } else { 7 };
                let t = w.from - between(rng, 30, 400) * SEC;
                if chance(rng, 0.03) {
                    ops::failed_logon(
                        rng,
                        em,
                        t - between(rng, 5, 40) * SEC,
                        hi,
                        host,
                        &u.login,
                        ltype,
                        None,
                        &host.name,
                    );
                }
                let s = Sess::user(rng, co, hi, &u.login, &u.sid, t, false);
                let lid = ops::logon(
                    rng,
                    em,
                    t,
                    hi,
                    host,
                    &u.login,
                    &u.sid,
                    ltype,
                    None,
                    &host.name,
                    false,
                    u.is_admin,
                    Some(&s.logon_id),
                );
                if let Some((old, old_type)) = windows_lid.take() {
                    ops::logoff(rng, em, t - between(rng, 60, 600) * SEC, hi, host, &u.login, &u.sid, &old, old_type);
                }
                windows_lid = Some((lid, ltype));
                // Kerberos: the domain controller sees the user's network logon.
                let dc = co.srv.dc[hi % 2];
                let dch = &co.hosts[dc];
                let dlid = ops::logon(
                    rng,
                    em,
                    t - between(rng, 1, 3) * SEC,
                    dc,
                    dch,
                    &u.login,
                    &u.sid,
                    3,
                    Some(host.ip),
                    "",
                    true,
                    false,
                    None,
                );
                ops::logoff(rng, em, t + between(rng, 1, 5) * SEC, dc, dch, &u.login, &u.sid, &dlid, 3);
                if wi == 0 {
                    let init = Proc {
                        guid: win::process_guid(rng, host, t),
                        pid: between(rng, 500, 900) as u32 & !3,
                        image: "C:\\Windows\\System32\\winlogon.exe".to_string(),
                        cmd: "winlogon.exe".to_string(),
                        user: "NT AUTHORITY\\SYSTEM".to_string(),
                    };
                    let mut t2 = t + between(rng, 2, 6) * SEC;
                    let ui_proc = ops::spawn(rng, em, t2, &s, &init, catalog::USERINIT, None);
                    t2 += between(rng, 1, 3) * SEC;
                    let explorer = ops::spawn(rng, em, t2, &s, &ui_proc, catalog::EXPLORER, None);
                    let mut s = s;
                    s.shell = explorer;
                    for exe in [catalog::ONEDRIVE, catalog::TEAMS, catalog::OUTLOOK] {
                        t2 += between(rng, 5, 60) * SEC;
                        ops::spawn(rng, em, t2, &s, &s.shell, exe, None);
                    }
                    if u.apps.contains(&APP_SLACK) && chance(rng, 0.5) {
                        t2 += between(rng, 5, 60) * SEC;
                        ops::spawn(rng, em, t2, &s, &s.shell, catalog::SLACK, None);
                    }
                    let b_exe = if u.ua == 1 { catalog::EDGE } else { catalog::CHROME };
                    browser = Some(ops::spawn(rng, em, t2 + between(rng, 10, 120) * SEC, &s, &s.shell, b_exe, None));
                    sess = Some(s);
                } else if let Some(old) = sess.as_mut() {
                    old.logon_id = s.logon_id.clone();
                }
            }

            // Okta sign-in.
            if okta_session.is_none() || w.fresh {
                let away = w.net.city as usize != u.city;
                let t = w.from + between(rng, 60, 480) * SEC;
                let o = SignIn {
                    fail_first: chance(rng, 0.025),
                    lockout: chance(rng, 0.002),
                    deny_once: chance(rng, 0.012),
                    new_geo: away,
                    new_device: false,
                    new_ip: away || chance(rng, 0.05),
                    velocity: false,
                    risk_high: false,
                };
                if returner && okta_session.is_none() {
                    let mut e =
                        OktaEv::new(t - 40 * SEC, "user.mfa.factor.activate", actor, Client::browser(u.ua, w.net));
                    e.targets = Some(vec![t_user(u)]);
                    e.dbg("factor", "OKTA_VERIFY_PUSH");
                    e.emit(rng, em);
                }
                let sid = ops::okta_signin(rng, em, actor, &u.factor_id, u.ua, w.net, t, o);
                let mut t2 = t + between(rng, 3, 40) * SEC;
                ops::okta_sso(rng, em, co, actor, APP_O365, u.ua, w.net, t2, &sid);
                if u.apps.contains(&APP_SLACK) && chance(rng, 0.6) {
                    t2 += between(rng, 10, 300) * SEC;
                    ops::okta_sso(rng, em, co, actor, APP_SLACK, u.ua, w.net, t2, &sid);
                }
                okta_session = Some(sid);
            }
            let sid = okta_session.clone().unwrap_or_default();

            // App sign-ons through the day.
            let n_sso = (hours / 2.2 + unit(rng)).floor() as usize;
            for _ in 0..n_sso {
                let app = *pick(rng, &u.apps);
                if app == APP_AWS {
                    continue;
                }
                let t = w.from + between(rng, 5 * MIN, span);
                ops::okta_sso(rng, em, co, actor, app, u.ua, w.net, t, &sid);
            }

            // Browsing.
            if let Some(hi) = u.host
                && chance(rng, 0.012)
            {
                // Syncing a big folder to the company's OneDrive/SharePoint: a large, sanctioned upload.
                let site = site_by_host("example.sharepoint.com");
                let t = w.from + between(rng, 10 * MIN, span);
                for k in 0..between(rng, 2, 6) {
                    let up = lognorm(rng, 150_000_000.0, 0.7);
                    let win = match (&sess, &browser) {
                        (Some(s), Some(b)) => Some((s, b)),
                        _ => None,
                    };
                    ops::visit(
                        rng,
                        em,
                        co,
                        t + k * between(rng, 60, 400) * SEC,
                        hi,
                        site,
                        win,
                        up,
                        lognorm(rng, 60_000.0, 0.5),
                    );
                }
            }
            if let Some(hi) = u.host {
                let n_web = (hours * 0.9 + unit(rng) * 2.0).floor() as usize;
                if chance(rng, 0.08) {
                    let host = &co.hosts[hi];
                    let q = *pick(
                        rng,
                        &["wpad.corp.example.com", "isatap.corp.example.com", "printer-2f.corp.example.com", "wpad"],
                    );
                    let resolver = co.hosts[co.srv.dc[hi % 2]].ip;
                    crate::zeek::lookup(rng, em, w.from + between(rng, 0, span), host.ip, resolver, q, None, &[], 0);
                }
                for _ in 0..n_web {
                    let site = &SITES[sites[weighted(rng, &site_w)].0];
                    let t = w.from + between(rng, 2 * MIN, span);
                    let (up, down) = ops::visit_bytes(rng, site);
                    let win = match (&sess, &browser) {
                        (Some(s), Some(b)) => Some((s, b)),
                        _ => None,
                    };
                    ops::visit(rng, em, co, t, hi, site, win, up, down);
                }
            }

            // Programs.
            if let Some(s) = &sess {
                let n = (hours * 0.4 + unit(rng)).floor() as usize;
                let choices = programs_for(u);
                for _ in 0..n {
                    let t = w.from + between(rng, 3 * MIN, span);
                    let exe = *pick(rng, choices);
                    let p = ops::spawn(rng, em, t, s, &s.shell, exe, None);
                    if exe == catalog::GIT || exe == catalog::PYTHON {
                        let site = site_by_host("github.com");
                        let (up, down) = ops::visit_bytes(rng, site);
                        if let Some(hi) = u.host {
                            ops::visit(rng, em, co, t + 2 * SEC, hi, site, Some((s, &p)), up, down);
                        }
                    }
                    if exe == catalog::EXCEL || exe == catalog::WORD {
                        let doc = *pick(rng, catalog::DOCS);
                        let ext = if exe == catalog::EXCEL { "xlsx" } else { "docx" };
                        let path = format!("C:\\Users\\{}\\Documents\\~${doc}.{ext}", u.login);
                        ops::file_create(rng, em, t + between(rng, 5, 600) * SEC, s, &p, &path);
                    }
                }
                // Downloads land in the Downloads folder.
                if chance(rng, 0.3 * hours / 8.0)
                    && let Some(b) = &browser
                {
                    let doc = *pick(rng, catalog::DOCS);
                    let path = format!("C:\\Users\\{}\\Downloads\\{doc}.pdf", u.login);
                    ops::file_create(rng, em, w.from + between(rng, 5 * MIN, span), s, b, &path);
                }
                if wi == 0 {
                    self.laptop_extras(rng, em, u, s, w.from, span);
                }
            }

            // File share.
            if let Some(hi) = u.host
                && wi == 0
                && chance(rng, if w.office { 0.6 } else { 0.35 })
            {
                self.file_share(rng, em, u, hi, w.from + between(rng, 10 * MIN, span), &sess);
            }

            // AWS.
            if wi == 0 || (w.fresh && u.is_admin) {
                self.aws_work(rng, em, u, Some(&sid), w.net, w.from + between(rng, 5 * MIN, 40 * MIN), w.to, wi > 0);
            }

            // Self-service account changes.
            if chance(rng, 0.004) {
                let mut e = OktaEv::new(
                    w.from + between(rng, 10 * MIN, span),
                    "user.account.update_password",
                    actor,
                    Client::browser(u.ua, w.net),
                );
                e.targets = Some(vec![t_user(u)]);
                e.session = Some(&sid);
                e.emit(rng, em);
            }
            if chance(rng, 0.002) {
                let mut e = OktaEv::new(
                    w.from + between(rng, 10 * MIN, span),
                    "user.mfa.factor.activate",
                    actor,
                    Client::browser(u.ua, w.net),
                );
                e.targets = Some(vec![t_user(u)]);
                e.session = Some(&sid);
                e.dbg("factor", "OKTA_VERIFY_PUSH");
                e.emit(rng, em);
            }

            // End of the day.
            if wi + 1 == n_windows {
                if chance(rng, 0.35) {
                    let mut e = OktaEv::new(w.to, "user.session.end", actor, Client::browser(u.ua, w.net));
                    e.session = Some(&sid);
                    e.emit(rng, em);
                }
                if let (Some(hi), Some((lid, lt))) = (win_host, &windows_lid)
                    && chance(rng, 0.6)
                {
                    ops::logoff(
                        rng,
                        em,
                        w.to + between(rng, 10, 600) * SEC,
                        hi,
                        &co.hosts[hi],
                        &u.login,
                        &u.sid,
                        lid,
                        *lt,
                    );
                }
            }
        }
    }

    /// Occasional installs and archive extraction on a Windows laptop.
    fn laptop_extras(&self, rng: &R, em: &mut Emitter, u: &User, s: &Sess, from: i64, span: i64) {
        if chance(rng, 0.03) {
            // An MSI install: msiexec and a burst of files under Program Files.
            let (pkg, dir) = *pick(rng, INSTALLS);
            let t = from + between(rng, 20 * MIN, span);
            let cmd = format!(
                "\"C:\\Windows\\System32\\msiexec.exe\" /i \"C:\\Users\\{}\\Downloads\\{pkg}.msi\" /qn",
                u.login
            );
            let p = ops::spawn(rng, em, t, s, &s.shell, catalog::MSIEXEC, Some(cmd));
            let n = between(rng, 12, 60);
            for k in 0..n {
                let path = format!("C:\\Program Files\\{dir}\\{}", install_file(k));
                ops::file_create(rng, em, t + between(rng, 2, 90) * SEC + k * 200_000, s, &p, &path);
            }
        }
        if (u.is_admin || u.dept == crate::company::ENGINEERING) && chance(rng, 0.04) {
            let pkg = *pick(rng, CHOCO_PKGS);
            let t = from + between(rng, 20 * MIN, span);
            let ps = ops::spawn(rng, em, t, s, &s.shell, catalog::POWERSHELL, None);
            let p = ops::spawn(rng, em, t + 5 * SEC, s, &ps, catalog::CHOCO, Some(format!("choco upgrade {pkg} -y")));
            let site = site_by_host("github.com");
            if let Some(hi) = u.host {
                ops::visit(rng, em, self.co, t + 8 * SEC, hi, site, Some((s, &p)), 4_000, 30_000_000);
            }
        }
        if chance(rng, 0.015) {
            // Extracting an archive: a burst of file creations that is not ransomware.
            let t = from + between(rng, 20 * MIN, span);
            let p = ops::spawn(rng, em, t, s, &s.shell, catalog::SEVENZIP, None);
            let folder = *pick(rng, catalog::DOCS);
            let n = between(rng, 40, 150);
            for k in 0..n {
                let path = format!("C:\\Users\\{}\\Downloads\\{folder}\\{}", u.login, install_file(k));
                ops::file_create(rng, em, t + 3 * SEC + k * 150_000, s, &p, &path);
            }
        }
        if chance(rng, 0.01) {
            let t = from + between(rng, 20 * MIN, span);
            let key = format!("HKU\\{}\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive", u.sid);
            let od = Proc {
                guid: win::process_guid(rng, s.host, t),
                pid: between(rng, 3000, 20000) as u32 & !3,
                image: EXES[catalog::ONEDRIVE].path.to_string(),
                cmd: EXES[catalog::ONEDRIVE].cmd.to_string(),
                user: s.qualified(),
            };
            ops::reg_set(
                rng,
                em,
                t,
                s,
                &od,
                "T1060,RunKey",
                &key,
                "\"C:\\Program Files\\Microsoft OneDrive\\OneDrive.exe\" /background",
            );
        }
    }

    /// A mapped-drive session on the file server.
    fn file_share(&self, rng: &R, em: &mut Emitter, u: &User, hi: usize, t: i64, sess: &Option<Sess>) {
        let co = self.co;
        let f = co.srv.file;
        let fh = &co.hosts[f];
        let laptop = &co.hosts[hi];
        let lid = ops::logon(rng, em, t, f, fh, &u.login, &u.sid, 3, Some(laptop.ip), "", true, false, None);
        let n_files = between(rng, 0, 3);
        let dept = DEPTS[u.dept].name.replace(' ', "");
        for _ in 0..n_files {
            let doc = *pick(rng, catalog::DOCS);
            win::security(
                rng,
                em,
                t + between(rng, 5, 600) * SEC,
                f,
                fh,
                4663,
                obj! {
                    "SubjectUserSid": &u.sid,
                    "SubjectUserName": &u.login,
                    "SubjectDomainName": AD_DOMAIN,
                    "SubjectLogonId": &lid,
                    "ObjectServer": "Security",
                    "ObjectType": "File",
                    "ObjectName": format!("D:\\Shares\\{dept}\\{doc}.xlsx"),
                    "HandleId": format!("0x{:x}", between(rng, 0x200, 0x4000)),
                    "AccessList": "%%4416\n\t\t\t\t",
                    "AccessMask": "0x1",
                    "ProcessId": "0x4",
                    "ProcessName": "",
                    "ResourceAttributes": "S:AI",
                },
            );
        }
        let dur = between(rng, 60, 3600);
        let mut c = Conn::tcp(t - SEC, laptop.ip, fh.ip, 445, Some("smb,gssapi"));
        c.duration = dur as f64 + unit(rng);
        c.orig_bytes = lognorm(rng, 40_000.0, 1.0);
        c.resp_bytes = lognorm(rng, 3_000_000.0, 1.2);
        c.emit(rng, em);
        if let Some(s) = sess
            && co.hosts[hi].windows
        {
            let sys = Proc {
                guid: win::process_guid(rng, s.host, t),
                pid: 4,
                image: "System".to_string(),
                cmd: String::new(),
                user: "NT AUTHORITY\\SYSTEM".to_string(),
            };
            ops::net_conn(rng, em, t - SEC, s, &sys, fh.ip, &fh.fqdn, 445, between(rng, 49152, 65535) as u16);
        }
        ops::logoff(rng, em, t + dur * SEC, f, fh, &u.login, &u.sid, &lid, 3);
    }

    /// A person's AWS work for the day.
    fn aws_work(
        &self,
        rng: &R,
        em: &mut Emitter,
        u: &User,
        sid: Option<&str>,
        net: Net,
        t0: i64,
        until: i64,
        evening: bool,
    ) {
        let co = self.co;
        let until = until.max(t0 + 20 * MIN);
        let mac = u.host.is_some_and(|h| !co.hosts[h].windows);
        let cli = if mac { aws::UA_CLI_MAC } else { aws::UA_CLI };
        let ip = net.ip_s();
        match u.aws {
            AwsUse::Developer => {
                if !chance(rng, 0.6) {
                    return;
                }
                let console = chance(rng, 0.3);
                let Some(rs) = ops::aws_federate(rng, em, co, u, u.ua, sid, DEV, "Okta-Developer", net, t0, console)
                else {
                    return;
                };
                let n = between(rng, 4, 16);
                let ua = if console { aws::UA_CONSOLE } else { cli };
                for _ in 0..n {
                    let t = between(rng, t0 + MIN, until);
                    dev_call(rng, em, co, &rs, &u.email, &ip, ua, t);
                }
                if chance(rng, 0.25)
                    && let Some(rs) =
                        ops::aws_federate(rng, em, co, u, u.ua, sid, PROD, "Okta-ReadOnly", net, t0 + 30 * MIN, true)
                {
                    for _ in 0..between(rng, 2, 6) {
                        let t = between(rng, t0 + 31 * MIN, until + HOUR);
                        read_call(rng, em, co, &rs, &u.email, &ip, aws::UA_CONSOLE, t);
                    }
                }
            }
            AwsUse::Finance | AwsUse::Data => {
                if !chance(rng, 0.85) {
                    return;
                }
                let finance = u.aws == AwsUse::Finance;
                let role = if finance { "Okta-FinanceAnalyst" } else { "Okta-DataAnalyst" };
                let Some(rs) = ops::aws_federate(rng, em, co, u, u.ua, sid, PROD, role, net, t0, finance) else {
                    return;
                };
                let kind = if finance { BucketKind::FinanceReports } else { BucketKind::Analytics };
                let mut n = (normal(rng, f64::from(u.s3_daily), f64::from(u.s3_daily) * 0.3).round().max(1.0)) as i64;
                // Month-end close: finance reads several times its usual volume, in office hours.
                let (_, _, dom) = crate::util::civil(t0.div_euclid(DAY));
                if finance && !(4..=27).contains(&dom) {
                    n *= between(rng, 3, 6);
                }
                let ua = if finance { aws::UA_S3_CONSOLE } else { cli };
                s3_reads(rng, em, co, &rs, &u.email, &ip, ua, kind, n, t0 + MIN, until);
                if !finance && chance(rng, 0.5) {
                    athena(rng, em, co, &rs, &u.email, &ip, cli, between(rng, t0, until));
                }
            }
            AwsUse::Admin => {
                if !chance(rng, if evening { 0.5 } else { 0.75 }) {
                    return;
                }
                let acct = if chance(rng, 0.6) { PROD } else { DEV };
                let Some(rs) = ops::aws_federate(rng, em, co, u, u.ua, sid, acct, "Okta-Admin", net, t0, true) else {
                    return;
                };
                for _ in 0..between(rng, 4, 14) {
                    let t = between(rng, t0 + MIN, until);
                    read_call(rng, em, co, &rs, &u.email, &ip, aws::UA_CONSOLE, t);
                }
                if chance(rng, 0.4) {
                    admin_change(rng, em, co, &rs, &u.email, &ip, between(rng, t0 + 5 * MIN, until));
                }
                if chance(rng, 0.3) {
                    s3_reads(
                        rng,
                        em,
                        co,
                        &rs,
                        &u.email,
                        &ip,
                        aws::UA_S3_CONSOLE,
                        BucketKind::AppLogs,
                        u.s3_daily as i64,
                        t0,
                        until,
                    );
                }
                if chance(rng, 0.04) {
                    self.break_glass(rng, em, u, net, between(rng, t0, until));
                }
            }
            AwsUse::None => {}
        }
    }

    /// A sign-in with a break-glass IAM user (password + MFA), sometimes after a mistyped
    /// password, and a few console calls.
    fn break_glass(&self, rng: &R, em: &mut Emitter, u: &User, net: Net, t: i64) {
        let co = self.co;
        let a = &co.accounts[PROD];
        let Some(iu) = a.user(&format!("admin-{}", u.login)) else { return };
        let user = &a.users[iu];
        let ua = UAS[u.ua].raw;
        let ip = net.ip_s();
        let login = |rng: &R, em: &mut Emitter, t: i64, ok: bool| {
            let mut ct = Ct::new(t, PROD, Who::IamUser { user, key: "" }, ip.clone(), ua, "signin.amazonaws.com", "ConsoleLogin")
                .resp(obj! {"ConsoleLogin": if ok { "Success" } else { "Failure" }})
                .add(obj! {
                    "LoginTo": "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1",
                    "MobileVersion": "No",
                    "MFAIdentifier": if ok { J::Own(format!("arn:aws:iam::{}:mfa/{}", a.id, user.name)) } else { J::Null },
                    "MFAUsed": if ok { "Yes" } else { "No" },
                });
            if !ok {
                ct.error = Some(("", "Failed authentication".to_string()));
            }
            ct.event_type = "AwsConsoleSignIn";
            ct.read_only = false;
            ct.emit(rng, em, &co.accounts);
        };
        if chance(rng, 0.15) {
            login(rng, em, t - between(rng, 20, 90) * SEC, false);
        }
        login(rng, em, t, true);
        let key = crate::util::asia(rng);
        for k in 0..between(rng, 2, 6) {
            let (src, name) = *pick(
                rng,
                &[
                    ("iam.amazonaws.com", "ListUsers"),
                    ("iam.amazonaws.com", "GetAccountSummary"),
                    ("cloudtrail.amazonaws.com", "DescribeTrails"),
                    ("organizations.amazonaws.com", "DescribeOrganization"),
                ],
            );
            Ct::new(
                t + (k + 1) * between(rng, 20, 200) * SEC,
                PROD,
                Who::ConsoleUser { user, key: &key, created: t, mfa: true },
                ip.clone(),
                aws::UA_CONSOLE,
                src,
                name,
            )
            .emit(rng, em, &co.accounts);
        }
    }

    /// Account lifecycle changes scheduled for this day.
    fn lifecycle(&self, rng: &R, d: usize, em: &mut Emitter) {
        let co = self.co;
        for &(ui, day, kind) in &self.plans.lifecycle {
            if day != d {
                continue;
            }
            let Some((admin, t, net)) = self.working_admin(rng, d) else { continue };
            let a = &co.users[admin];
            let u = &co.users[ui];
            let client = Client::browser(a.ua, net);
            let dc = co.srv.dc[0];
            let dch = &co.hosts[dc];
            let adm = a.adm.as_deref().unwrap_or(&a.login);
            let adm_sid = a.adm_sid.as_deref().unwrap_or(&a.sid);
            match kind {
                Lifecycle::Leaver => {
                    let t = t.max(self.plans.days[ui][d].end().unwrap_or(t)) + between(rng, 5, 60) * MIN;
                    let mut e = OktaEv::new(t, "user.lifecycle.deactivate", Actor::user(a), client);
                    e.targets = Some(vec![t_user(u)]);
                    e.request_uri = format!("/api/v1/users/{}/lifecycle/deactivate", u.okta_id);
                    e.emit(rng, em);
                    account_change(rng, em, dch, dc, 4725, u, adm, adm_sid, t + between(rng, 30, 600) * SEC);
                }
                Lifecycle::Leave => {
                    let mut e = OktaEv::new(t, "user.lifecycle.suspend", Actor::user(a), client);
                    e.targets = Some(vec![t_user(u)]);
                    e.request_uri = format!("/api/v1/users/{}/lifecycle/suspend", u.okta_id);
                    e.emit(rng, em);
                }
                Lifecycle::NewHire => {
                    let t = self.plans.days[ui][d].start().unwrap_or(t) - between(rng, 30, 120) * MIN;
                    account_change(rng, em, dch, dc, 4720, u, adm, adm_sid, t - between(rng, 60, 600) * SEC);
                    account_change(rng, em, dch, dc, 4722, u, adm, adm_sid, t - between(rng, 1, 50) * SEC);
                    let mut e = OktaEv::new(t, "user.lifecycle.activate", Actor::user(a), client);
                    e.targets = Some(vec![t_user(u)]);
                    e.request_uri = format!("/api/v1/users/{}/lifecycle/activate", u.okta_id);
                    e.emit(rng, em);
                    for (k, g) in [0, 1 + u.dept].into_iter().enumerate() {
                        let mut e = OktaEv::new(
                            t + (k as i64 + 1) * between(rng, 20, 120) * SEC,
                            "group.user_membership.add",
                            Actor::user(a),
                            client,
                        );
                        e.targets = Some(vec![t_user(u), t_group(co, g)]);
                        e.request_uri = format!("/api/v1/groups/{}/users/{}", co.groups[g].id, u.okta_id);
                        e.emit(rng, em);
                    }
                }
                Lifecycle::Returner => {
                    let t = self.plans.days[ui][d].start().unwrap_or(t) - between(rng, 20, 90) * MIN;
                    let mut e = OktaEv::new(t, "user.lifecycle.unsuspend", Actor::user(a), client);
                    e.targets = Some(vec![t_user(u)]);
                    e.request_uri = format!("/api/v1/users/{}/lifecycle/unsuspend", u.okta_id);
                    e.emit(rng, em);
                    let mut e = OktaEv::new(
                        t + between(rng, 30, 300) * SEC,
                        "user.account.update_password",
                        Actor::user(a),
                        client,
                    );
                    e.targets = Some(vec![t_user(u)]);
                    e.request_uri = format!("/api/v1/users/{}/lifecycle/expire_password", u.okta_id);
                    e.emit(rng, em);
                    account_change(rng, em, dch, dc, 4722, u, adm, adm_sid, t + between(rng, 60, 900) * SEC);
                }
            }
        }
    }

    /// An admin who works on day `d`: (user, time inside their day, network).
    fn working_admin(&self, rng: &R, d: usize) -> Option<(usize, i64, Net)> {
        let admins = self.co.admins();
        let working: Vec<usize> = admins.into_iter().filter(|&a| self.plans.days[a][d].works()).collect();
        if working.is_empty() {
            return None;
        }
        let a = *pick(rng, &working);
        let (t, wi) = self.plans.days[a][d].random_ts(rng);
        Some((a, t, self.plans.days[a][d].windows[wi].net))
    }

    /// Okta and AD administration, and admins' server work.
    fn admin_day(&self, rng: &R, d: usize, em: &mut Emitter) {
        let co = self.co;
        let n_group = poisson(rng, co.employees as f64 / 120.0);
        for _ in 0..n_group {
            let Some((a, t, net)) = self.working_admin(rng, d) else { break };
            let au = &co.users[a];
            let target = between(rng, 0, co.employees as i64 - 1) as usize;
            let tu = &co.users[target];
            let g = if chance(rng, 0.5) { 1 + tu.dept } else { between(rng, 0, co.groups.len() as i64 - 1) as usize };
            let g = if co.groups[g].name == "Okta Super Admins" { 0 } else { g };
            let mut e = OktaEv::new(t, "group.user_membership.add", Actor::user(au), Client::browser(au.ua, net));
            e.targets = Some(vec![t_user(tu), t_group(co, g)]);
            e.request_uri = format!("/api/v1/groups/{}/users/{}", co.groups[g].id, tu.okta_id);
            e.emit(rng, em);
        }
        let n_app = poisson(rng, co.employees as f64 / 150.0);
        for _ in 0..n_app {
            let Some((a, t, net)) = self.working_admin(rng, d) else { break };
            let au = &co.users[a];
            let target = between(rng, 0, co.employees as i64 - 1) as usize;
            let tu = &co.users[target];
            let app = *pick(rng, &tu.apps);
            let mut e = OktaEv::new(t, "application.user_membership.add", Actor::user(au), Client::browser(au.ua, net));
            e.targets = Some(vec![t_app_user(rng, &tu.email, &tu.name), t_app(co, app), t_user(tu)]);
            e.request_uri = format!("/api/v1/apps/{}/users", co.app_ids[app]);
            e.emit(rng, em);
        }
        // AD group changes.
        let n_ad = poisson(rng, co.employees as f64 / 250.0);
        for _ in 0..n_ad {
            let Some((a, t, _)) = self.working_admin(rng, d) else { break };
            let au = &co.users[a];
            let tu = &co.users[between(rng, 0, co.employees as i64 - 1) as usize];
            let (eid, group) = *pick(
                rng,
                &[
                    (4728u32, "FileShare-Finance"),
                    (4728, "FileShare-Engineering"),
                    (4732, "Remote Desktop Users"),
                    (4728, "VPN-Users"),
                ],
            );
            let dc = co.srv.dc[0];
            group_change(rng, em, co, dc, eid, tu, group, au, t);
        }
        // Admin server maintenance: RDP to the jump host, then to servers; sometimes a service install.
        for a in co.admins() {
            let plan = &self.plans.days[a][d];
            for (wi, w) in plan.windows.iter().enumerate() {
                let p = if wi > 0 { 0.7 } else { 0.35 };
                if chance(rng, p) {
                    let t = w.from + between(rng, 5 * MIN, (w.to - w.from).max(6 * MIN));
                    self.server_work(rng, em, a, t);
                }
            }
        }
    }

    /// An admin's maintenance session through SRV-JUMP01.
    fn server_work(&self, rng: &R, em: &mut Emitter, a: usize, t: i64) {
        let co = self.co;
        let au = &co.users[a];
        let (Some(adm), Some(adm_sid)) = (au.adm.as_deref(), au.adm_sid.as_deref()) else { return };
        let Some(lap) = au.host else { return };
        let laptop = &co.hosts[lap];
        let j = co.srv.jump;
        let jh = &co.hosts[j];
        if laptop.windows {
            let s = Sess::user(rng, co, lap, &au.login, &au.sid, t, false);
            ops::spawn(rng, em, t - 5 * SEC, &s, &s.shell, catalog::MSTSC, None);
        }
        let mut c = Conn::tcp(t - 2 * SEC, laptop.ip, jh.ip, 3389, Some("rdp"));
        let dur = between(rng, 600, 5400);
        c.duration = dur as f64;
        c.orig_bytes = lognorm(rng, 2_000_000.0, 0.6);
        c.resp_bytes = lognorm(rng, 30_000_000.0, 0.6);
        c.emit(rng, em);
        let jlid = ops::logon(rng, em, t, j, jh, adm, adm_sid, 10, Some(laptop.ip), &laptop.name, false, true, None);
        let js = Sess {
            hi: j,
            host: jh,
            account: adm.to_string(),
            domain: AD_DOMAIN,
            sid: adm_sid.to_string(),
            logon_id: jlid.clone(),
            logon_guid: win::logon_guid(rng),
            shell: Proc {
                guid: win::process_guid(rng, jh, t),
                pid: between(rng, 3000, 9000) as u32 & !3,
                image: EXES[catalog::EXPLORER].path.to_string(),
                cmd: EXES[catalog::EXPLORER].cmd.to_string(),
                user: format!("{AD_DOMAIN}\\{adm}"),
            },
            integrity: "High",
            term: 2,
        };
        let servers = [co.srv.file, co.srv.sql, co.srv.app, co.srv.backup, co.srv.dc[0]];
        let n = between(rng, 1, 3);
        let mut tt = t + between(rng, 60, 600) * SEC;
        for _ in 0..n {
            let target = *pick(rng, &servers);
            let th = &co.hosts[target];
            let ps = ops::spawn(
                rng,
                em,
                tt,
                &js,
                &js.shell,
                catalog::POWERSHELL,
                Some(format!(
                    "\"C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe\" -NoExit -Command Enter-PSSession -ComputerName {}",
                    th.name
                )),
            );
            ops::explicit_creds(rng, em, tt + SEC, &js, &ps, adm, &th.fqdn, th.ip);
            let lid = ops::logon(rng, em, tt + 2 * SEC, target, th, adm, adm_sid, 3, Some(jh.ip), "", true, true, None);
            let mut c = Conn::tcp(tt + SEC, jh.ip, th.ip, 5985, Some("http"));
            c.duration = between(rng, 30, 900) as f64;
            c.orig_bytes = lognorm(rng, 40_000.0, 0.8);
            c.resp_bytes = lognorm(rng, 200_000.0, 0.8);
            c.emit(rng, em);
            if chance(rng, 0.12) {
                let (name, image) = *pick(rng, MAINT_SERVICES);
                let ts = tt + between(rng, 60, 900) * SEC;
                win::service_installed(rng, em, ts, target, th, adm_sid, name, image, "auto start", "LocalSystem");
                win::security(
                    rng,
                    em,
                    ts,
                    target,
                    th,
                    4697,
                    obj! {
                        "SubjectUserSid": adm_sid,
                        "SubjectUserName": adm,
                        "SubjectDomainName": AD_DOMAIN,
                        "SubjectLogonId": &lid,
                        "ServiceName": name,
                        "ServiceFileName": image,
                        "ServiceType": "0x10",
                        "ServiceStartType": 2,
                        "ServiceAccount": "LocalSystem",
                    },
                );
            }
            ops::logoff(rng, em, tt + between(rng, 600, 1800) * SEC, target, th, adm, adm_sid, &lid, 3);
            tt += between(rng, 300, 1500) * SEC;
        }
        ops::logoff(rng, em, t + dur * SEC, j, jh, adm, adm_sid, &jlid, 10);
    }

    /// Servers, backups, CI, scheduled jobs and AWS's own activity.
    fn infra_day(&self, rng: &R, d: usize, em: &mut Emitter) {
        let co = self.co;
        let dayn = co.start_day + d as i64;
        let day0 = dayn * DAY;
        let wd = weekday(dayn);
        let scale = (co.employees as f64 / 100.0).max(0.1);

        self.backups(rng, em, day0, wd, scale);

        // CI: pipelines during US working hours on weekdays.
        if wd < 5 {
            let engineers = (0..co.employees).filter(|&i| co.users[i].dept == crate::company::ENGINEERING).count();
            let runs = poisson(rng, (engineers as f64 * 0.5).max(0.5));
            for _ in 0..runs {
                let t = day0 + between(rng, 13 * HOUR, 23 * HOUR);
                self.ci_run(rng, em, t);
            }
            // The on-premises reporting job with its years-old access key.
            self.legacy_report(rng, em, day0 + 6 * HOUR + between(rng, 0, 10 * MIN));
        }
        if wd == 1 || wd == 3 {
            self.terraform_plan(rng, em, day0 + between(rng, 14 * HOUR, 20 * HOUR));
        }

        // AWS services acting on their own.
        for acct in [PROD, DEV] {
            let per_hour = if acct == PROD { 1.0 + scale * 0.8 } else { 0.5 + scale * 0.3 };
            for h in 0..24 {
                for _ in 0..poisson(rng, per_hour) {
                    self.aws_service_call(rng, em, acct, day0 + h * HOUR + between(rng, 0, HOUR - 1));
                }
            }
        }
        if d == 0 || chance(rng, 0.03) {
            let a = &co.accounts[PROD];
            let t = day0 + between(rng, 0, DAY - 1);
            let key_arn = format!("arn:aws:kms:us-east-1:{}:key/{}", a.id, a.kms_key);
            let mut ct = Ct::new(
                t,
                PROD,
                Who::Service("kms.amazonaws.com"),
                "kms.amazonaws.com".to_string(),
                "kms.amazonaws.com",
                "kms.amazonaws.com",
                "RotateKey",
            )
            .req(J::Null)
            .resp(J::Null)
            .add(obj! {"keyId": key_arn.clone()});
            ct.event_type = "AwsServiceEvent";
            ct.read_only = false;
            ct.tls = false;
            ct.resources = Some(J::Arr(vec![obj! {"accountId": &a.id, "type": "AWS::KMS::Key", "ARN": key_arn}]));
            ct.emit(rng, em, &co.accounts);
        }

        // Inbound web traffic to the public web servers.
        for &w in &co.srv.web {
            let wh = &co.hosts[w];
            for h in 0..24 {
                let local_h = (h + 20) % 24; // US Eastern
                let diurnal = if (8..22).contains(&local_h) { 1.0 } else { 0.35 };
                let n = poisson(rng, scale * 4.0 * diurnal);
                for _ in 0..n {
                    let (city, isp) = *pick(rng, &INBOUND_NETS);
                    let src = Net::draw(rng, city, isp);
                    let mut c = Conn::tcp(day0 + h * HOUR + between(rng, 0, HOUR - 1), src.ip, wh.ip, 443, Some("ssl"));
                    c.duration = 0.05 + unit(rng) * 20.0;
                    c.orig_bytes = lognorm(rng, 2_000.0, 0.8);
                    c.resp_bytes = lognorm(rng, 60_000.0, 1.2);
                    if chance(rng, 0.04) {
                        c.state = "REJ";
                        c.service = None;
                        c.resp_p = *pick(rng, &[22u16, 23, 3389, 8080, 445]);
                    }
                    c.emit(rng, em);
                }
            }
        }
        // App server to database, and domain controller replication.
        let app = &co.hosts[co.srv.app];
        let sql = &co.hosts[co.srv.sql];
        let (dc1, dc2) = (&co.hosts[co.srv.dc[0]], &co.hosts[co.srv.dc[1]]);
        for h in 0..24 {
            for _ in 0..poisson(rng, 1.0 + scale * 0.5) {
                let mut c = Conn::tcp(day0 + h * HOUR + between(rng, 0, HOUR - 1), app.ip, sql.ip, 1433, None);
                c.duration = unit(rng) * 300.0;
                c.orig_bytes = lognorm(rng, 20_000.0, 1.0);
                c.resp_bytes = lognorm(rng, 400_000.0, 1.3);
                c.emit(rng, em);
            }
            let mut c = Conn::tcp(day0 + h * HOUR + between(rng, 0, 10 * MIN), dc1.ip, dc2.ip, 135, Some("dce_rpc"));
            c.duration = unit(rng) * 2.0;
            c.orig_bytes = lognorm(rng, 3_000.0, 0.5);
            c.resp_bytes = lognorm(rng, 8_000.0, 0.5);
            c.emit(rng, em);
        }
        // Weekly shadow-copy housekeeping on the file server (benign vssadmin).
        if wd == 6 {
            let f = co.srv.file;
            let s = Sess::system(rng, co, f);
            let t = day0 + 7 * HOUR + between(rng, 0, 20 * MIN);
            let task = Proc {
                guid: win::process_guid(rng, s.host, t),
                pid: between(rng, 1000, 3000) as u32 & !3,
                image: "C:\\Windows\\System32\\svchost.exe".to_string(),
                cmd: "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule".to_string(),
                user: "NT AUTHORITY\\SYSTEM".to_string(),
            };
            let cmd = ops::spawn(
                rng,
                em,
                t,
                &s,
                &task,
                catalog::CMD,
                Some("C:\\Windows\\system32\\cmd.exe /c C:\\Scripts\\vss-rotate.cmd".to_string()),
            );
            ops::spawn(
                rng,
                em,
                t + 2 * SEC,
                &s,
                &cmd,
                catalog::VSSADMIN,
                Some("vssadmin  list shadows /for=D:".to_string()),
            );
            ops::spawn(
                rng,
                em,
                t + 9 * SEC,
                &s,
                &cmd,
                catalog::VSSADMIN,
                Some("vssadmin  create shadow /for=D:".to_string()),
            );
            ops::spawn(
                rng,
                em,
                t + 40 * SEC,
                &s,
                &cmd,
                catalog::VSSADMIN,
                Some("vssadmin  delete shadows /for=D: /oldest /quiet".to_string()),
            );
        }
    }

    /// Nightly backups: file server over SMB, S3 uploads, and on Sundays a full read of the
    /// customer-data bucket (a large, legitimate bulk download).
    fn backups(&self, rng: &R, em: &mut Emitter, day0: i64, wd: u32, scale: f64) {
        let co = self.co;
        let b = co.srv.backup;
        let bh = &co.hosts[b];
        let f = co.srv.file;
        let fh = &co.hosts[f];
        let svc = &co.users[co.svc_backup];
        let t = day0 + 5 * HOUR + between(rng, 0, 15 * MIN);
        let s = Sess::system(rng, co, b);
        let agent = ops::spawn(rng, em, t, &s, &s.shell, catalog::VEEAM, None);
        let lid = ops::logon(rng, em, t + 5 * SEC, f, fh, &svc.login, &svc.sid, 3, Some(bh.ip), "", true, true, None);
        let mut total = 0u64;
        for k in 0..between(rng, 2, 5) {
            let mut c = Conn::tcp(t + 6 * SEC + k * 37 * MIN, bh.ip, fh.ip, 445, Some("smb,gssapi"));
            c.duration = between(rng, 600, 2400) as f64 + unit(rng);
            c.orig_bytes = lognorm(rng, 2_000_000.0, 0.3);
            c.resp_bytes = lognorm(rng, 2_000_000_000.0 * scale.max(0.2), 0.4);
            total += c.resp_bytes;
            c.emit(rng, em);
        }
        ops::net_conn(rng, em, t + 6 * SEC, &s, &agent, fh.ip, &fh.fqdn, 445, between(rng, 49152, 65535) as u16);
        ops::logoff(rng, em, t + 3 * HOUR, f, fh, &svc.login, &svc.sid, &lid, 3);
        // Upload to S3 (prod backups bucket).
        let a = &co.accounts[PROD];
        let Some(iu) = a.user("svc-backup") else { return };
        let user = &a.users[iu];
        let key = &user.keys[0].id;
        let Some(bk) = a.bucket(BucketKind::Backups) else { return };
        let bucket = &a.buckets[bk].name;
        let ip = co.offices[0].1.ip_s();
        let n_put = (4.0 + scale * 3.0).round() as i64;
        let date = crate::util::fmt_day(day0 / DAY);
        for k in 0..n_put {
            let tt = t + HOUR + k * between(rng, 20, 120) * SEC;
            let size = total / n_put.max(1) as u64;
            Ct::new(tt, PROD, Who::IamUser { user, key }, ip.clone(), aws::UA_BACKUP, "s3.amazonaws.com", "PutObject")
                .s3_object(a, bucket, format!("fileserver/{date}/vbk-part-{k:04}.vib"), 0, size)
                .emit(rng, em, &co.accounts);
        }
        let mut c = Conn::tcp(t + HOUR, bh.ip, crate::util::ip(52, 217, 10, 90), 443, Some("ssl"));
        c.duration = between(rng, 900, 3000) as f64;
        c.orig_bytes = total;
        c.resp_bytes = lognorm(rng, 400_000.0, 0.3);
        c.emit(rng, em);
        if wd == 6 {
            let Some(cb) = a.bucket(BucketKind::CustomerData) else { return };
            let cbucket = &a.buckets[cb].name;
            Ct::new(
                t + 2 * HOUR,
                PROD,
                Who::IamUser { user, key },
                ip.clone(),
                aws::UA_BACKUP,
                "s3.amazonaws.com",
                "ListObjects",
            )
            .s3_bucket_data(a, cbucket, "exports/".to_string())
            .emit(rng, em, &co.accounts);
            let n = (60.0 + scale * 40.0).round() as i64;
            for k in 0..n {
                let tt = t + 2 * HOUR + k * between(rng, 2, 20) * SEC;
                Ct::new(
                    tt,
                    PROD,
                    Who::IamUser { user, key },
                    ip.clone(),
                    aws::UA_BACKUP,
                    "s3.amazonaws.com",
                    "GetObject",
                )
                .s3_object(
                    a,
                    cbucket,
                    format!("exports/2026/{:02}/customers-part-{k:05}.parquet", between(rng, 1, 9)),
                    lognorm(rng, 40_000_000.0, 0.5),
                    0,
                )
                .emit(rng, em, &co.accounts);
            }
        }
    }

    fn ci_run(&self, rng: &R, em: &mut Emitter, t: i64) {
        let co = self.co;
        let acct = if chance(rng, 0.65) { DEV } else { PROD };
        let a = &co.accounts[acct];
        let Some(iu) = a.user("ci-deploy") else { return };
        let user = &a.users[iu];
        let key = &user.keys[0].id;
        let ip = pick(rng, &co.ci_runner_nets).ip_s();
        let Some(ri) = a.role("ci-deploy-role") else { return };
        let role = &a.roles[ri];
        let session = format!("gha-{}", between(rng, 10_000_000_000, 12_000_000_000));
        let tmp = crate::util::asia(rng);
        let resp = aws::creds_response(
            rng,
            &tmp,
            t + HOUR,
            format!("arn:aws:sts::{}:assumed-role/{}/{}", a.id, role.name, session),
            format!("{}:{}", role.id, session),
            None,
        );
        let mut ct =
            Ct::new(t, acct, Who::IamUser { user, key }, ip.clone(), aws::UA_CI, "sts.amazonaws.com", "AssumeRole")
                .req(obj! {"roleArn": &role.arn, "roleSessionName": session.clone(), "durationSeconds": 3600})
                .resp(resp);
        ct.read_only = true;
        ct.emit(rng, em, &co.accounts);
        let who = || Who::Role { role, session: &session, key: &tmp, created: t, mfa: false };
        let service = *pick(rng, SERVICES);
        let sha = hex(rng, 40);
        let bucket_kind = if acct == DEV { BucketKind::Artifacts } else { BucketKind::StaticAssets };
        if let Some(bk) = a.bucket(bucket_kind) {
            let bucket = &a.buckets[bk].name;
            for k in 0..between(rng, 1, 4) {
                Ct::new(t + (20 + k * 7) * SEC, acct, who(), ip.clone(), aws::UA_CI, "s3.amazonaws.com", "PutObject")
                    .s3_object(
                        a,
                        bucket,
                        format!("builds/{service}/{sha}/bundle-{k}.zip"),
                        0,
                        lognorm(rng, 30_000_000.0, 0.7),
                    )
                    .emit(rng, em, &co.accounts);
            }
        }
        let tt = t + between(rng, 60, 300) * SEC;
        Ct::new(tt, acct, who(), ip.clone(), aws::UA_CI, "ecr.amazonaws.com", "GetAuthorizationToken")
            .req(obj! {"registryIds": vec![J::Str(&a.id)]})
            .emit(rng, em, &co.accounts);
        if chance(rng, 0.5) {
            Ct::new(tt + 40 * SEC, acct, who(), ip.clone(), aws::UA_CI, "ecs.amazonaws.com", "UpdateService")
                .req(obj! {"cluster": if acct == PROD { "prod" } else { "dev" }, "service": service, "forceNewDeployment": true})
                .resp(obj! {"service": obj!{"serviceName": service, "status": "ACTIVE", "desiredCount": 3}})
                .emit(rng, em, &co.accounts);
        } else {
            Ct::new(tt + 40 * SEC, acct, who(), ip.clone(), aws::UA_CI, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2")
                .req(obj! {"functionName": format!("{service}-worker"), "s3Bucket": format!("{}-{}-artifacts", crate::company::SLUG, if acct == PROD { "prod" } else { "dev" }), "s3Key": format!("builds/{service}/{sha}/bundle-0.zip")})
                .resp(obj! {"functionName": format!("{service}-worker"), "runtime": "python3.12", "codeSize": between(rng, 1_000_000, 40_000_000)})
                .emit(rng, em, &co.accounts);
        }
    }

    fn legacy_report(&self, rng: &R, em: &mut Emitter, t: i64) {
        let co = self.co;
        let a = &co.accounts[PROD];
        let Some(iu) = a.user("legacy-reporting") else { return };
        let user = &a.users[iu];
        let key = &user.keys[0].id;
        let ip = co.reporting_net.ip_s();
        let Some(bk) = a.bucket(BucketKind::FinanceReports) else { return };
        let bucket = &a.buckets[bk].name;
        Ct::new(t, PROD, Who::IamUser { user, key }, ip.clone(), aws::UA_LEGACY, "s3.amazonaws.com", "ListObjects")
            .s3_bucket_data(a, bucket, "daily/".to_string())
            .emit(rng, em, &co.accounts);
        for k in 0..3 {
            Ct::new(
                t + (5 + k * 3) * SEC,
                PROD,
                Who::IamUser { user, key },
                ip.clone(),
                aws::UA_LEGACY,
                "s3.amazonaws.com",
                "GetObject",
            )
            .s3_object(a, bucket, format!("daily/input/ledger-{k}.csv"), lognorm(rng, 800_000.0, 0.3), 0)
            .emit(rng, em, &co.accounts);
        }
        let date = crate::util::fmt_day(t / DAY);
        Ct::new(
            t + 40 * SEC,
            PROD,
            Who::IamUser { user, key },
            ip.clone(),
            aws::UA_LEGACY,
            "s3.amazonaws.com",
            "PutObject",
        )
        .s3_object(a, bucket, format!("daily/{date}/revenue-summary.xlsx"), 0, lognorm(rng, 300_000.0, 0.3))
        .emit(rng, em, &co.accounts);
    }

    fn terraform_plan(&self, rng: &R, em: &mut Emitter, t: i64) {
        let co = self.co;
        let acct = if chance(rng, 0.5) { PROD } else { DEV };
        let a = &co.accounts[acct];
        let Some(iu) = a.user("terraform") else { return };
        let user = &a.users[iu];
        let key = &user.keys[0].id;
        let ip = pick(rng, &co.ci_runner_nets).ip_s();
        let who = || Who::IamUser { user, key };
        Ct::new(t, acct, who(), ip.clone(), aws::UA_TERRAFORM, "sts.amazonaws.com", "GetCallerIdentity").emit(
            rng,
            em,
            &co.accounts,
        );
        let calls: [(&'static str, &'static str); 6] = [
            ("ec2.amazonaws.com", "DescribeInstances"),
            ("ec2.amazonaws.com", "DescribeSecurityGroups"),
            ("iam.amazonaws.com", "GetRole"),
            ("iam.amazonaws.com", "GetPolicy"),
            ("s3.amazonaws.com", "GetBucketPolicy"),
            ("rds.amazonaws.com", "DescribeDBInstances"),
        ];
        for k in 0..between(rng, 8, 20) {
            let (src, name) = *pick(rng, &calls);
            let req = match name {
                "GetRole" => obj! {"roleName": &a.roles[between(rng, 0, a.roles.len() as i64 - 1) as usize].name},
                "GetPolicy" => obj! {"policyArn": format!("arn:aws:iam::{}:policy/CIDeploy", a.id)},
                "GetBucketPolicy" => {
                    obj! {"bucketName": &a.buckets[0].name, "Host": format!("{}.s3.amazonaws.com", a.buckets[0].name), "policy": ""}
                }
                _ => obj! {"maxResults": 1000},
            };
            Ct::new(t + (k + 2) * 800_000, acct, who(), ip.clone(), aws::UA_TERRAFORM, src, name).req(req).emit(
                rng,
                em,
                &co.accounts,
            );
        }
        if let Some(bk) = a.bucket(BucketKind::TfState).or(a.bucket(BucketKind::Backups)) {
            Ct::new(t + SEC, acct, who(), ip.clone(), aws::UA_TERRAFORM, "s3.amazonaws.com", "GetObject")
                .s3_object(a, &a.buckets[bk].name, "env/terraform.tfstate".to_string(), lognorm(rng, 900_000.0, 0.2), 0)
                .emit(rng, em, &co.accounts);
        }
    }

    fn aws_service_call(&self, rng: &R, em: &mut Emitter, acct: usize, t: i64) {
        let co = self.co;
        let a = &co.accounts[acct];
        match between(rng, 0, 3) {
            0 => {
                // A service assumes its execution role.
                let (svc, role) = if chance(rng, 0.5) {
                    ("lambda.amazonaws.com", "lambda-exec-role")
                } else {
                    ("ec2.amazonaws.com", "ec2-app-role")
                };
                let Some(ri) = a.role(role) else { return };
                let r = &a.roles[ri];
                let session = if svc.starts_with("ec2") {
                    format!("i-{}", hex(rng, 17))
                } else {
                    format!("{}-worker", pick(rng, SERVICES))
                };
                let tmp = crate::util::asia(rng);
                let resp = aws::creds_response(
                    rng,
                    &tmp,
                    t + 6 * HOUR,
                    format!("arn:aws:sts::{}:assumed-role/{}/{}", a.id, r.name, session),
                    format!("{}:{}", r.id, session),
                    None,
                );
                let mut ct =
                    Ct::new(t, acct, Who::Service(svc), svc.to_string(), svc, "sts.amazonaws.com", "AssumeRole")
                        .req(obj! {"roleArn": &r.arn, "roleSessionName": session})
                        .resp(resp);
                ct.read_only = true;
                ct.tls = false;
                ct.resources = Some(J::Arr(vec![obj! {"accountId": &a.id, "type": "AWS::IAM::Role", "ARN": &r.arn}]));
                ct.emit(rng, em, &co.accounts);
            }
            1 => {
                let Some(ri) = a.role("ec2-app-role") else { return };
                let session = format!("i-{}", hex(rng, 17));
                let key = crate::util::asia(rng);
                let who = Who::Role {
                    role: &a.roles[ri],
                    session: &session,
                    key: &key,
                    created: t - between(rng, 60, 18000) * SEC,
                    mfa: false,
                };
                let key_arn = format!("arn:aws:kms:us-east-1:{}:key/{}", a.id, a.kms_key);
                let mut ct = Ct::new(t, acct, who, format!("10.{}.{}.{}", 100 + acct, between(rng, 0, 15), between(rng, 2, 250)), aws::UA_SDK_APP, "kms.amazonaws.com", "Decrypt")
                    .req(obj! {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": obj!{"aws:secretsmanager:arn": format!("arn:aws:secretsmanager:us-east-1:{}:secret:prod/db-{}", a.id, hex(rng, 6))}});
                ct.resources = Some(J::Arr(vec![obj! {"accountId": &a.id, "type": "AWS::KMS::Key", "ARN": key_arn}]));
                ct.emit(rng, em, &co.accounts);
            }
            2 => {
                let Some(ri) = a.role("ec2-app-role") else { return };
                let session = format!("i-{}", hex(rng, 17));
                let key = crate::util::asia(rng);
                let who = Who::Role {
                    role: &a.roles[ri],
                    session: &session,
                    key: &key,
                    created: t - between(rng, 60, 18000) * SEC,
                    mfa: false,
                };
                let bk = a.bucket(BucketKind::AppLogs).or(a.bucket(BucketKind::Scratch)).unwrap_or(0);
                let date = crate::util::fmt_day(t / DAY).replace('-', "/");
                Ct::new(
                    t,
                    acct,
                    who,
                    format!("10.{}.{}.{}", 100 + acct, between(rng, 0, 15), between(rng, 2, 250)),
                    aws::UA_SDK_APP,
                    "s3.amazonaws.com",
                    "PutObject",
                )
                .s3_object(
                    a,
                    &a.buckets[bk].name,
                    format!("app/{}/{date}/{}.log.gz", pick(rng, SERVICES), hex(rng, 12)),
                    0,
                    lognorm(rng, 2_000_000.0, 0.8),
                )
                .emit(rng, em, &co.accounts);
            }
            _ => {
                let Some(ri) = a.role("lambda-exec-role") else { return };
                let session = format!("{}-worker", pick(rng, SERVICES));
                let key = crate::util::asia(rng);
                let who = Who::Role {
                    role: &a.roles[ri],
                    session: &session,
                    key: &key,
                    created: t - between(rng, 60, 3000) * SEC,
                    mfa: false,
                };
                Ct::new(t, acct, who, format!("10.{}.{}.{}", 100 + acct, between(rng, 16, 31), between(rng, 2, 250)), aws::UA_SDK_APP, "logs.amazonaws.com", "CreateLogStream")
                    .req(obj! {"logGroupName": format!("/aws/lambda/{}", session), "logStreamName": format!("{}/[$LATEST]{}", crate::util::fmt_day(t / DAY).replace('-', "/"), hex(rng, 32))})
                    .emit(rng, em, &co.accounts);
            }
        }
    }

    /// Vendors: their integrations fetch tokens, their people sign in now and then.
    fn vendor_day(&self, rng: &R, d: usize, em: &mut Emitter) {
        let co = self.co;
        let dayn = co.start_day + d as i64;
        let wd = weekday(dayn);
        for v in &co.vendors {
            let n = poisson(rng, f64::from(v.app.daily_grants) * if wd < 5 { 1.0 } else { 0.4 });
            for _ in 0..n {
                let t = dayn * DAY + between(rng, 11 * HOUR, 23 * HOUR);
                token_grant(rng, em, v, v.net, t, v.app.scopes, UA_OKTA_SDK);
            }
            if wd < 5 && chance(rng, v.login_rate) {
                let t = dayn * DAY + between(rng, 13 * HOUR, 22 * HOUR);
                let actor = Actor::vendor(v);
                let sid = ops::okta_signin(rng, em, actor, &v.okta_id, 0, v.net, t, SignIn::default());
                for (k, &app) in v.apps.iter().enumerate() {
                    ops::okta_sso(
                        rng,
                        em,
                        co,
                        actor,
                        app,
                        0,
                        v.net,
                        t + (k as i64 + 1) * between(rng, 20, 600) * SEC,
                        &sid,
                    );
                }
            }
        }
    }
}

/// Grants an OAuth client-credentials token to a vendor app.
pub(crate) fn token_grant(
    rng: &R,
    em: &mut Emitter,
    v: &crate::company::Vendor,
    net: Net,
    t: i64,
    scopes: &[&str],
    ua: usize,
) {
    let mut e = OktaEv::new(t, "app.oauth2.as.token.grant", Actor::client_app(v), Client::api(ua, net, &v.app.id));
    e.transaction = "WEB";
    let scope = scopes.join(" ");
    e.targets = Some(vec![
        obj! {"id": format!("aus{}", crate::util::hash_b62(crate::util::hash_str(crate::company::OKTA_HOST), 17)), "type": "AuthorizationServer", "alternateId": "Okta Org Authorization Server", "displayName": "Okta Org Authorization Server", "detailEntry": obj!{"authorizationServerType": "ORG"}},
        obj! {"id": format!("AT.{}", crate::util::b62(rng, 43)), "type": "access_token", "alternateId": "access_token", "displayName": "Access Token", "detailEntry": obj!{"expires": fmt_ts(t + HOUR, Ts::Millis), "subject": &v.app.id, "hash": crate::util::b62(rng, 22)}},
    ]);
    e.dbg("grantType", "client_credentials");
    e.dbg("grantedScopes", scope.clone());
    e.dbg("requestedScopes", scope);
    e.dbg("clientAuthType", "private_key_jwt");
    e.emit(rng, em);
}

static SERVICES: &[&str] = &["api", "billing", "ingest", "search", "notifications", "auth", "reports"];

/// Inbound visitors to the web servers.
static INBOUND_NETS: [(usize, usize); 10] = [
    (geo::NEW_YORK, geo::VERIZON),
    (geo::SAN_FRANCISCO, geo::COMCAST),
    (geo::CHICAGO, geo::ATT),
    (geo::LONDON, geo::BT),
    (geo::PARIS, geo::ORANGE),
    (geo::TORONTO, geo::ROGERS),
    (geo::TOKYO, geo::NTT),
    (geo::AMSTERDAM, geo::DIGITALOCEAN),
    (geo::FRANKFURT, geo::HETZNER),
    (geo::ASHBURN, geo::AWS),
];

fn programs_for(u: &User) -> &'static [usize] {
    use catalog::*;
    match DEPTS[u.dept].aws {
        AwsUse::Developer | AwsUse::Admin => &[CODE, GIT, POWERSHELL, CMD, NOTEPAD, ZOOM, EXCEL, TASKMGR, PYTHON],
        AwsUse::Data => &[PYTHON, EXCEL, CODE, ZOOM, NOTEPAD, POWERSHELL],
        _ => &[EXCEL, WORD, POWERPNT, ACROBAT, ZOOM, NOTEPAD, EXCEL, WORD],
    }
}

fn install_file(k: i64) -> String {
    const NAMES: [&str; 8] = [
        "bin\\app",
        "lib\\core",
        "resources\\locale",
        "plugins\\ext",
        "data\\cache",
        "docs\\help",
        "bin\\helper",
        "lib\\ui",
    ];
    const EXTS: [&str; 6] = ["dll", "exe", "json", "pak", "dat", "xml"];
    format!("{}{:03}.{}", NAMES[(k % 8) as usize], k, EXTS[(k % 6) as usize])
}

/// A Poisson sample (Knuth; fine for the small means used here).
pub(crate) fn poisson(rng: &R, mean: f64) -> i64 {
    if mean <= 0.0 {
        return 0;
    }
    if mean > 30.0 {
        return normal(rng, mean, mean.sqrt()).round().max(0.0) as i64;
    }
    let l = (-mean).exp();
    let mut k = 0;
    let mut p = 1.0;
    loop {
        p *= unit(rng);
        if p <= l {
            return k;
        }
        k += 1;
    }
}

/// A developer's API call in the dev account.
fn dev_call(rng: &R, em: &mut Emitter, co: &Company, rs: &RoleSession, email: &str, ip: &str, ua: &str, t: i64) {
    let a = &co.accounts[rs.acct];
    let who = role_who(co, rs, email);
    let svc = *pick(rng, SERVICES);
    let region = if chance(rng, 0.7) { "us-east-1" } else { "us-west-2" };
    let ct = match between(rng, 0, 11) {
        0 | 1 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "ec2.amazonaws.com", "DescribeInstances")
            .region(region)
            .req(obj! {"instancesSet": obj!{}, "filterSet": obj!{"items": vec![obj!{"name": "tag:service", "valueSet": obj!{"items": vec![obj!{"value": svc}]}}]}}),
        2 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "ListBuckets").req(obj! {"Host": "s3.amazonaws.com"}),
        3 | 4 => {
            let bk = a.bucket(if chance(rng, 0.5) { BucketKind::Artifacts } else { BucketKind::Scratch }).unwrap_or(0);
            let b = &a.buckets[bk];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "GetObject")
                .region(b.region)
                .s3_object(a, &b.name, format!("{svc}/{}/{}.json", crate::util::fmt_day(t / DAY), hex(rng, 8)), lognorm(rng, 200_000.0, 1.2), 0)
        }
        5 => {
            let bk = a.bucket(BucketKind::Scratch).unwrap_or(0);
            let b = &a.buckets[bk];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "PutObject")
                .region(b.region)
                .s3_object(a, &b.name, format!("tmp/{email}/{}.csv", hex(rng, 8)), 0, lognorm(rng, 500_000.0, 1.0))
        }
        6 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "logs.amazonaws.com", "FilterLogEvents")
            .region(region)
            .req(obj! {"logGroupName": format!("/aws/lambda/{svc}-worker"), "startTime": (t / 1000) - 3_600_000, "limit": 100}),
        7 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "lambda.amazonaws.com", "ListFunctions20150331").region(region).req(J::Null),
        8 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "ssm.amazonaws.com", "GetParameter")
            .region(region)
            .req(obj! {"name": format!("/dev/{svc}/db-host"), "withDecryption": false}),
        9 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "ecs.amazonaws.com", "DescribeServices")
            .region(region)
            .req(obj! {"cluster": "dev", "services": vec![J::Str(svc)]}),
        10 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "cloudformation.amazonaws.com", "DescribeStacks")
            .region(region)
            .req(obj! {"stackName": format!("{svc}-dev")}),
        _ => Ct::new(t, rs.acct, who, ip.to_string(), ua, "sts.amazonaws.com", "GetCallerIdentity"),
    };
    ct.emit(rng, em, &co.accounts);
}

/// A read-only console/API call (admins and read-only sessions).
fn read_call(rng: &R, em: &mut Emitter, co: &Company, rs: &RoleSession, email: &str, ip: &str, ua: &str, t: i64) {
    let a = &co.accounts[rs.acct];
    let who = role_who(co, rs, email);
    let ct = match between(rng, 0, 7) {
        0 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "ec2.amazonaws.com", "DescribeInstances")
            .req(obj! {"instancesSet": obj!{}, "filterSet": obj!{}}),
        1 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "ListUsers").req(J::Null),
        2 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "ListRoles").req(J::Null),
        3 => {
            let r = &a.roles[between(rng, 0, a.roles.len() as i64 - 1) as usize];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "ListAttachedRolePolicies")
                .req(obj! {"roleName": &r.name})
        }
        4 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "ListBuckets")
            .req(obj! {"Host": "s3.amazonaws.com"}),
        5 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "cloudtrail.amazonaws.com", "LookupEvents")
            .req(obj! {"maxResults": 50}),
        6 => Ct::new(t, rs.acct, who, ip.to_string(), ua, "ec2.amazonaws.com", "DescribeSecurityGroups")
            .req(obj! {"securityGroupSet": obj!{}, "filterSet": obj!{}}),
        _ => {
            let u = &a.users[between(rng, 0, a.users.len() as i64 - 1) as usize];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "GetUser").req(obj! {"userName": &u.name})
        }
    };
    ct.emit(rng, em, &co.accounts);
}

/// S3 reads from a bucket: one ListObjects and `n` GetObjects spread over `[t0, until]`.
pub(crate) fn s3_reads(
    rng: &R,
    em: &mut Emitter,
    co: &Company,
    rs: &RoleSession,
    email: &str,
    ip: &str,
    ua: &str,
    kind: BucketKind,
    n: i64,
    t0: i64,
    until: i64,
) {
    let a = &co.accounts[rs.acct];
    let Some(bk) = a.bucket(kind) else { return };
    let b = &a.buckets[bk];
    let prefix = object_prefix(kind);
    Ct::new(t0, rs.acct, role_who(co, rs, email), ip.to_string(), ua, "s3.amazonaws.com", "ListObjects")
        .region(b.region)
        .s3_bucket_data(a, &b.name, prefix.to_string())
        .emit(rng, em, &co.accounts);
    for _ in 0..n {
        let t = between(rng, t0 + SEC, until.max(t0 + 2 * SEC));
        Ct::new(t, rs.acct, role_who(co, rs, email), ip.to_string(), ua, "s3.amazonaws.com", "GetObject")
            .region(b.region)
            .s3_object(a, &b.name, object_key(rng, kind), lognorm(rng, 2_000_000.0, 1.0), 0)
            .emit(rng, em, &co.accounts);
    }
}

pub(crate) fn object_prefix(kind: BucketKind) -> &'static str {
    match kind {
        BucketKind::FinanceReports => "reports/",
        BucketKind::Analytics => "daily/",
        BucketKind::CustomerData => "exports/",
        BucketKind::AppLogs => "app/",
        _ => "",
    }
}

pub(crate) fn object_key(rng: &R, kind: BucketKind) -> String {
    match kind {
        BucketKind::FinanceReports => format!(
            "reports/2026-Q{}/{}-{}.xlsx",
            between(rng, 1, 3),
            pick(
                rng,
                &["revenue-by-region", "ap-aging", "payroll-summary", "forecast", "bookings", "opex", "headcount"]
            ),
            between(rng, 1, 40)
        ),
        BucketKind::Analytics => {
            format!("daily/2026-09-{:02}/events-{:05}.json.gz", between(rng, 1, 30), between(rng, 0, 400))
        }
        BucketKind::CustomerData => {
            format!("exports/2026/{:02}/customers-part-{:05}.parquet", between(rng, 1, 9), between(rng, 0, 9999))
        }
        BucketKind::AppLogs => {
            format!("app/{}/2026/10/{:02}/{}.log.gz", pick(rng, SERVICES), between(rng, 1, 28), hex(rng, 12))
        }
        BucketKind::MlData => {
            format!("datasets/customer-churn/v{}/part-{:05}.parquet", between(rng, 1, 4), between(rng, 0, 2000))
        }
        _ => format!("misc/{}.bin", hex(rng, 12)),
    }
}

fn athena(rng: &R, em: &mut Emitter, co: &Company, rs: &RoleSession, email: &str, ip: &str, ua: &str, t: i64) {
    let qid = crate::util::uuid(rng);
    Ct::new(t, rs.acct, role_who(co, rs, email), ip.to_string(), ua, "athena.amazonaws.com", "StartQueryExecution")
        .region("eu-west-1")
        .req(obj! {"queryString": "SELECT region, count(*) FROM events WHERE dt >= date_add('day', -7, current_date) GROUP BY 1", "workGroup": "analysts"})
        .resp(obj! {"queryExecutionId": qid.clone()})
        .emit(rng, em, &co.accounts);
    Ct::new(
        t + between(rng, 3, 30) * SEC,
        rs.acct,
        role_who(co, rs, email),
        ip.to_string(),
        ua,
        "athena.amazonaws.com",
        "GetQueryResults",
    )
    .region("eu-west-1")
    .req(obj! {"queryExecutionId": qid})
    .emit(rng, em, &co.accounts);
}

/// A routine IAM/S3/EC2 change by an admin (benign look-alikes of the risky ones included).
fn admin_change(rng: &R, em: &mut Emitter, co: &Company, rs: &RoleSession, email: &str, ip: &str, t: i64) {
    let a = &co.accounts[rs.acct];
    let who = role_who(co, rs, email);
    let ua = aws::UA_CONSOLE;
    match between(rng, 0, 6) {
        0 => {
            let policy = *pick(rng, &["CIDeploy", "ReportingReadWrite", "BackupOperator"]);
            let doc = format!(
                "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\"Action\":[\"s3:GetObject\",\"s3:PutObject\",\"s3:ListBucket\"],\"Resource\":[\"arn:aws:s3:::{}\",\"arn:aws:s3:::{}/*\"]}}]}}",
                a.buckets[0].name, a.buckets[0].name
            );
            let v = between(rng, 2, 9);
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "CreatePolicyVersion")
                .req(obj! {"policyArn": format!("arn:aws:iam::{}:policy/{policy}", a.id), "policyDocument": doc, "setAsDefault": true})
                .resp(obj! {"policyVersion": obj!{"versionId": format!("v{v}"), "isDefaultVersion": true, "createDate": fmt_ts(t, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
        }
        1 => {
            let (role, policy) = *pick(
                rng,
                &[
                    ("ec2-app-role", "CloudWatchAgentServerPolicy"),
                    ("lambda-exec-role", "AWSXRayDaemonWriteAccess"),
                    ("ec2-app-role", "AmazonSSMManagedInstanceCore"),
                ],
            );
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "AttachRolePolicy")
                .req(obj! {"roleName": role, "policyArn": format!("arn:aws:iam::aws:policy/{policy}")})
                .emit(rng, em, &co.accounts);
        }
        2 => {
            // Key rotation for a service user: create the new key, deactivate the old one.
            let svc = if rs.acct == PROD { *pick(rng, &["ci-deploy", "svc-backup"]) } else { "ci-deploy" };
            let Some(ui) = a.user(svc) else { return };
            let iu = &a.users[ui];
            let new_key = akia(rng);
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "CreateAccessKey")
                .req(obj! {"userName": &iu.name})
                .resp(obj! {"accessKey": obj!{"userName": &iu.name, "accessKeyId": new_key, "status": "Active", "createDate": fmt_ts(t, Ts::Secs)}})
                .emit(rng, em, &co.accounts);
            let old = iu.keys.first().map(|k| k.id.as_str()).unwrap_or("");
            Ct::new(
                t + between(rng, 60, 900) * SEC,
                rs.acct,
                role_who(co, rs, email),
                ip.to_string(),
                ua,
                "iam.amazonaws.com",
                "UpdateAccessKey",
            )
            .req(obj! {"userName": &iu.name, "accessKeyId": old, "status": "Inactive"})
            .emit(rng, em, &co.accounts);
        }
        3 => {
            let sg = format!("sg-{}", hex(rng, 17));
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress")
                .req(obj! {"groupId": sg, "ipPermissions": obj!{"items": vec![obj!{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "groups": obj!{}, "ipRanges": obj!{"items": vec![obj!{"cidrIp": "10.0.0.0/8"}]}, "ipv6Ranges": obj!{}, "prefixListIds": obj!{}}]}})
                .resp(obj! {"requestId": crate::util::uuid(rng), "_return": true})
                .emit(rng, em, &co.accounts);
        }
        4 => {
            // The static-assets bucket is served through CloudFront: a service principal, not "*".
            let bk = a.bucket(BucketKind::StaticAssets).or(a.bucket(BucketKind::Artifacts)).unwrap_or(0);
            let b = &a.buckets[bk];
            let policy = format!(
                "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Sid\":\"AllowCloudFrontServicePrincipal\",\"Effect\":\"Allow\",\"Principal\":{{\"Service\":\"cloudfront.amazonaws.com\"}},\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::{}/*\",\"Condition\":{{\"StringEquals\":{{\"AWS:SourceArn\":\"arn:aws:cloudfront::{}:distribution/E{}\"}}}}}}]}}",
                b.name,
                a.id,
                crate::util::upper_alnum(rng, 13)
            );
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "PutBucketPolicy")
                .req(obj! {"bucketName": &b.name, "Host": format!("{}.s3.amazonaws.com", b.name), "policy": policy})
                .emit(rng, em, &co.accounts);
        }
        5 => {
            let b = &a.buckets[between(rng, 0, a.buckets.len() as i64 - 1) as usize];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "s3.amazonaws.com", "PutBucketPublicAccessBlock")
                .req(obj! {"bucketName": &b.name, "Host": format!("{}.s3.amazonaws.com", b.name), "publicAccessBlock": "", "PublicAccessBlockConfiguration": obj!{"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/", "RestrictPublicBuckets": true, "BlockPublicPolicy": true, "BlockPublicAcls": true, "IgnorePublicAcls": true}})
                .emit(rng, em, &co.accounts);
        }
        _ => {
            let r = &a.roles[between(rng, 0, a.roles.len() as i64 - 1) as usize];
            Ct::new(t, rs.acct, who, ip.to_string(), ua, "iam.amazonaws.com", "TagRole")
                .req(obj! {"roleName": &r.name, "tags": vec![obj!{"key": "owner", "value": "platform"}]})
                .emit(rng, em, &co.accounts);
        }
    }
}

/// Security 4722/4725 on a domain controller.
pub(crate) fn account_change(
    rng: &R,
    em: &mut Emitter,
    dch: &crate::company::Host,
    dc: usize,
    eid: u32,
    u: &User,
    by: &str,
    by_sid: &str,
    t: i64,
) {
    let mut data = obj! {
        "TargetUserName": &u.login,
        "TargetDomainName": AD_DOMAIN,
        "TargetSid": &u.sid,
        "SubjectUserSid": by_sid.to_string(),
        "SubjectUserName": by.to_string(),
        "SubjectDomainName": AD_DOMAIN,
        "SubjectLogonId": win::logon_id(rng),
    };
    if eid == 4720 {
        data.push("PrivilegeList", "-");
        data.push("SamAccountName", &u.login);
        data.push("DisplayName", &u.name);
        data.push("UserPrincipalName", &u.email);
        for f in ["HomeDirectory", "HomePath", "ScriptPath", "ProfilePath", "UserWorkstations"] {
            data.push(f, "-");
        }
        data.push("PasswordLastSet", "%%1794");
        data.push("AccountExpires", "%%1794");
        data.push("PrimaryGroupId", "513");
        data.push("AllowedToDelegateTo", "-");
        data.push("OldUacValue", "0x0");
        data.push("NewUacValue", "0x15");
        data.push("UserAccountControl", "\n\t\t%%2080\n\t\t%%2082\n\t\t%%2084");
        data.push("UserParameters", "%%1793");
        data.push("SidHistory", "-");
        data.push("LogonHours", "%%1797");
    }
    win::security(rng, em, t, dc, dch, eid, data);
}

/// Security 4728/4732 on a domain controller: `member` added to `group` by admin `by`.
pub(crate) fn group_change(
    rng: &R,
    em: &mut Emitter,
    co: &Company,
    dc: usize,
    eid: u32,
    member: &User,
    group: &str,
    by: &User,
    t: i64,
) {
    let dch = &co.hosts[dc];
    let by_name = by.adm.as_deref().unwrap_or(&by.login);
    let by_sid = by.adm_sid.as_deref().unwrap_or(&by.sid);
    let group_rid = 1000 + (crate::util::hash_str(group) % 900);
    win::security(
        rng,
        em,
        t,
        dc,
        dch,
        eid,
        obj! {
            "MemberName": format!("CN={},OU=Users,OU=Corp,DC=corp,DC=example,DC=com", member.name),
            "MemberSid": &member.sid,
            "TargetUserName": group.to_string(),
            "TargetDomainName": AD_DOMAIN,
            "TargetSid": if eid == 4732 { "S-1-5-32-555".to_string() } else { format!("{}-{}", co.domain_sid, group_rid) },
            "SubjectUserSid": by_sid.to_string(),
            "SubjectUserName": by_name.to_string(),
            "SubjectDomainName": AD_DOMAIN,
            "SubjectLogonId": win::logon_id(rng),
            "PrivilegeList": "-",
        },
    );
}
