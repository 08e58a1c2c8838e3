//! Who works when and from where: a plan per person per day, with business trips, office and
//! home days, VPN use and admins working late.

use crate::company::{AwsUse, Company, DEPTS, EXEC};
use crate::geo::{self, CITIES, Net, TRAVEL_CITIES};
use crate::util::{DAY, HOUR, MIN, R, between, chance, haversine_km, normal, pick, stream, unit, weekday};

/// A stretch of activity from one network.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    pub from: i64,
    pub to: i64,
    pub net: Net,
    pub office: bool,
    /// Starts with a fresh sign-in (start of the day, after a flight, evening session).
    pub fresh: bool,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct DayPlan {
    pub windows: Vec<Window>,
    /// Traveling (away from home) on this day.
    pub away: bool,
    /// A scenario uses this person on this day; keep the day plain.
    pub pinned: bool,
}

impl DayPlan {
    pub(crate) fn works(&self) -> bool {
        !self.windows.is_empty()
    }

    pub(crate) fn start(&self) -> Option<i64> {
        self.windows.first().map(|w| w.from)
    }

    pub(crate) fn end(&self) -> Option<i64> {
        self.windows.last().map(|w| w.to)
    }

    /// A random instant inside one of the windows, with its window index.
    pub(crate) fn random_ts(&self, rng: &R) -> (i64, usize) {
        let total: i64 = self.windows.iter().map(|w| (w.to - w.from).max(1)).sum();
        let mut x = between(rng, 0, total.max(1) - 1);
        for (i, w) in self.windows.iter().enumerate() {
            let len = (w.to - w.from).max(1);
            if x < len {
                return (w.from + x, i);
            }
            x -= len;
        }
        (self.windows.first().map_or(0, |w| w.from), 0)
    }

    /// Plain: working from the home city, no VPN, no travel.
    pub(crate) fn plain(&self, home: usize) -> bool {
        !self.away
            && !self.pinned
            && !self.windows.is_empty()
            && self.windows.iter().all(|w| w.net.city as usize == home && w.net.isp().kind != geo::NetKind::Vpn)
    }
}

/// Account lifecycle changes admins make during the period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    /// Leaves the company: deactivated, no activity afterwards.
    Leaver,
    /// Goes on leave: suspended, no activity afterwards.
    Leave,
    /// Back from leave: unsuspended, active afterwards.
    Returner,
    /// Starts: a staged account is activated, active afterwards.
    NewHire,
}

pub(crate) struct Plans {
    /// `[user][day]`.
    pub days: Vec<Vec<DayPlan>>,
    pub lifecycle: Vec<(usize, usize, Lifecycle)>,
}

/// UTC instant of a local time `hour` on day number `dayn` in a zone at `tz` hours.
pub(crate) fn local(dayn: i64, hour: f64, tz: f64) -> i64 {
    dayn * DAY + ((hour - tz) * HOUR as f64) as i64
}

impl Plans {
    pub(crate) fn generate(seed: u64, co: &Company, days: usize) -> Plans {
        let mut lifecycle = Vec::new();
        let rng_owned = stream(seed, 2, 0);
        // Leavers and returners: about one each per 150 people per month.
        let expected = (co.employees as f64 / 150.0) * (days as f64 / 30.0);
        let n_leavers = (expected.floor() as usize) + usize::from(unit(&rng_owned) < expected.fract());
        let n_return = (expected.floor() as usize) + usize::from(unit(&rng_owned) < expected.fract());
        let n_leave = usize::from(unit(&rng_owned) < expected / 2.0);
        if days > 2 {
            for k in 0..n_leavers + n_leave {
                let u = between(&rng_owned, 0, co.employees as i64 - 1) as usize;
                if co.users[u].is_admin || lifecycle.iter().any(|&(x, _, _)| x == u) {
                    continue;
                }
                let kind = if k < n_leavers { Lifecycle::Leaver } else { Lifecycle::Leave };
                lifecycle.push((u, between(&rng_owned, 1, days as i64 - 1) as usize, kind));
            }
            let staged: Vec<usize> =
                (co.employees..co.users.len()).filter(|&i| co.users[i].status == "STAGED").collect();
            let n_hire = ((co.employees as f64 / 150.0) * (days as f64 / 20.0)).ceil() as usize;
            for &s in staged.iter().take(n_hire) {
                lifecycle.push((s, between(&rng_owned, 1, days as i64 - 1) as usize, Lifecycle::NewHire));
            }
            let dormant: Vec<usize> = (co.employees..co.users.len())
                .filter(|&i| co.users[i].status == "SUSPENDED" && !co.users[i].is_admin && !co.users[i].is_service)
                .collect();
            for &k in dormant.iter().take(n_return) {
                lifecycle.push((k, between(&rng_owned, 1, days as i64 - 1) as usize, Lifecycle::Returner));
            }
        }

        let mut all = Vec::with_capacity(co.users.len());
        for (ui, u) in co.users.iter().enumerate() {
            let rng_owned = stream(seed, 3, ui as u64);
            let mut plans: Vec<DayPlan> = vec![DayPlan::default(); days];
            if u.is_service {
                all.push(plans);
                continue;
            }
            let mut active_from = 0usize;
            let mut active_to = days;
            let returning = lifecycle.iter().find(|&&(x, _, _)| x == ui);
            match returning {
                Some(&(_, d, Lifecycle::Returner | Lifecycle::NewHire)) => active_from = d,
                Some(&(_, d, Lifecycle::Leaver | Lifecycle::Leave)) => active_to = d,
                None if !u.active() => active_to = 0,
                None => {}
            }
            let mut d = active_from;
            while d < active_to {
                let dayn = co.start_day + d as i64;
                let wd = weekday(dayn);
                // Business trips start early in the week and last two to four days.
                let trip_p = if u.dept == EXEC || u.dept == 1 { 0.03 } else { 0.006 };
                if wd <= 2 && d + 2 < active_to && u.host.is_some() && chance(&rng_owned, trip_p) {
                    let len = (between(&rng_owned, 2, 4) as usize).min(active_to - d);
                    let dest = loop {
                        let c = *pick(&rng_owned, &TRAVEL_CITIES);
                        if c != u.city {
                            break c;
                        }
                    };
                    trip(co, &mut plans[d..d + len], &rng_owned, ui, dayn, dest);
                    d += len;
                    continue;
                }
                plans[d] = ordinary_day(co, &rng_owned, ui, dayn, wd, false);
                d += 1;
            }
            all.push(plans);
        }
        Plans { days: all, lifecycle }
    }

    /// Makes `user` work a plain day at home or in the office on `day` (used by scenarios that
    /// need a victim who is around).
    pub(crate) fn pin_plain(&mut self, seed: u64, co: &Company, user: usize, day: usize) {
        let rng_owned = stream(seed, 4, (user as u64) << 20 | day as u64);
        let dayn = co.start_day + day as i64;
        let mut p = ordinary_day(co, &rng_owned, user, dayn, weekday(dayn), true);
        let home = co.users[user].city;
        for w in p.windows.iter_mut() {
            if w.net.city as usize != home || w.net.isp().kind == geo::NetKind::Vpn {
                w.net = co.users[user].home;
                w.office = false;
            }
        }
        p.pinned = true;
        self.days[user][day] = p;
    }
}

fn ordinary_day(co: &Company, rng: &R, ui: usize, dayn: i64, wd: u32, force: bool) -> DayPlan {
    let u = &co.users[ui];
    let tz = u.tz();
    let mut plan = DayPlan::default();
    let weekend = wd >= 5;
    if weekend && !force {
        if !chance(rng, u.weekend) {
            return plan;
        }
        let start = normal(rng, 13.0, 3.0).clamp(8.0, 21.0);
        let len = between(rng, 20, 150) as f64 / 60.0;
        plan.windows.push(Window {
            from: local(dayn, start, tz),
            to: local(dayn, start + len, tz),
            net: u.home,
            office: false,
            fresh: true,
        });
        return plan;
    }
    if chance(rng, 0.045) && !force {
        return plan; // vacation or sick day
    }
    let start = (u.work_start + normal(rng, 0.0, 0.35)).clamp(5.5, 12.0);
    let end = (u.work_end + normal(rng, 0.0, 0.45)).clamp(start + 3.0, 23.0);
    let office_p = u.office_bias + if (1..=3).contains(&wd) { 0.15 } else { -0.15 };
    let office = chance(rng, office_p);
    let base = if office { co.office(u.city) } else { u.home };
    let from = local(dayn, start, tz);
    let to = local(dayn, end, tz);
    match u.vpn {
        Some(v) if chance(rng, 0.45) => {
            let vpn = co.vpn[v];
            if chance(rng, 0.5) {
                plan.windows.push(Window { from, to, net: vpn, office: false, fresh: true });
            } else {
                // Connects the VPN mid-morning: same person, "suddenly" in Amsterdam/Frankfurt.
                let switch = from + between(rng, 40 * MIN, (to - from) / 2);
                plan.windows.push(Window { from, to: switch, net: base, office, fresh: true });
                plan.windows.push(Window { from: switch, to, net: vpn, office: false, fresh: false });
            }
        }
        _ => plan.windows.push(Window { from, to, net: base, office, fresh: true }),
    }
    // Admins (and some engineers) put in an evening session from home.
    let late_p = if u.is_admin {
        0.2
    } else if DEPTS[u.dept].aws == AwsUse::Developer {
        0.05
    } else {
        0.02
    };
    if chance(rng, late_p) {
        let s = (end + 2.0 + unit(rng) * 2.0).min(23.0);
        let len = between(rng, 25, 100) as f64 / 60.0;
        plan.windows.push(Window {
            from: local(dayn, s, tz),
            to: local(dayn, s + len, tz),
            net: u.home,
            office: false,
            fresh: true,
        });
    }
    plan
}

/// A trip: fly out on the first day, work at the destination, fly back on the last day.
fn trip(co: &Company, plans: &mut [DayPlan], rng: &R, ui: usize, dayn: i64, dest: usize) {
    let u = &co.users[ui];
    let home = u.city;
    let (hc, dc) = (&CITIES[home], &CITIES[dest]);
    let km = haversine_km(hc.lat, hc.lon, dc.lat, dc.lon);
    let flight = ((km / 820.0 + 1.2) * HOUR as f64) as i64;
    let hotel_isp = *pick(rng, geo::home_isps(dc.cc));
    let hotel = Net::draw(rng, dest, hotel_isp);
    let dest_office = co.offices.iter().find(|(c, _)| *c == dest).map(|(_, n)| *n);
    let n = plans.len();
    for (k, plan) in plans.iter_mut().enumerate() {
        let day = dayn + k as i64;
        plan.away = true;
        if k == 0 {
            // Morning at home, then the flight, then the evening at the hotel.
            let depart = local(day, normal(rng, 9.5, 1.5).clamp(6.0, 14.0), hc.tz);
            let first = depart - 4 * HOUR;
            if chance(rng, 0.8) {
                plan.windows.push(Window {
                    from: first,
                    to: depart - 2 * HOUR,
                    net: u.home,
                    office: false,
                    fresh: true,
                });
            }
            let arrive = depart + flight;
            plan.windows.push(Window {
                from: arrive + between(rng, 40, 120) * MIN,
                to: arrive + between(rng, 150, 300) * MIN,
                net: hotel,
                office: false,
                fresh: true,
            });
        } else if k + 1 < n {
            let start = (u.work_start + normal(rng, 0.0, 0.4)).clamp(6.5, 11.0);
            let end = (u.work_end + normal(rng, 0.0, 0.5)).clamp(start + 3.0, 21.0);
            let (net, office) = match dest_office {
                Some(o) => (o, true),
                None => (hotel, false),
            };
            plan.windows.push(Window {
                from: local(day, start, dc.tz),
                to: local(day, end, dc.tz),
                net,
                office,
                fresh: true,
            });
        } else {
            // Work the morning at the destination, fly home in the afternoon.
            let start = (u.work_start + normal(rng, 0.0, 0.4)).clamp(6.5, 10.0);
            let depart = local(day, normal(rng, 15.0, 1.0).clamp(12.5, 18.0), dc.tz);
            let from = local(day, start, dc.tz);
            if depart - 2 * HOUR > from + 30 * MIN {
                plan.windows.push(Window { from, to: depart - 2 * HOUR, net: hotel, office: false, fresh: true });
            }
            let arrive = depart + flight;
            if chance(rng, 0.5) {
                plan.windows.push(Window {
                    from: arrive + between(rng, 60, 150) * MIN,
                    to: arrive + between(rng, 180, 260) * MIN,
                    net: u.home,
                    office: false,
                    fresh: true,
                });
            }
        }
    }
}
