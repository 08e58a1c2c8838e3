use super::*;
use crate::format::parse;
use crate::obs::FIELDS;

const DAY: i64 = 86_400_000;
const T0: i64 = 1_790_000_000_000;

fn obs(id: &str, time: i64, fields: &[(&str, &str)]) -> Obs {
    let mut values = vec![None; FIELDS.len()];
    for (k, v) in fields {
        let i = FIELDS.iter().position(|f| f == k).unwrap_or_else(|| panic!("field {k}"));
        values[i] = Some(v.to_string());
    }
    Obs { id: id.into(), time, values, lat: None, lon: None }
}

fn engine(yaml: &str) -> Engine {
    Engine::new(parse("t.yml", yaml).unwrap_or_else(|e| panic!("{e:?}")))
}

const GEO: &str = "format: vigil-behavior/1\nid: geo\ntitle: Geo\nwhere: {class_name: Authentication}\nentity: actor_user_name\nkind: geo_velocity\nparams: {max_kmh: 1500, min_km: 500, shared_ip_users: 3}\n";

fn signin(id: &str, time: i64, user: &str, ip: &str, lat: f64, lon: f64) -> Obs {
    let mut o = obs(
        id,
        time,
        &[("class_name", "Authentication"), ("actor_user_name", user), ("src_ip", ip), ("src_city", "X")],
    );
    o.lat = Some(lat);
    o.lon = Some(lon);
    o
}

#[test]
fn geo_velocity_flags_impossible_trips_but_not_flights_or_shared_egress() {
    let mut e = engine(GEO);
    let boston = (42.36, -71.06);
    let lagos = (6.52, 3.38);
    let singapore = (1.35, 103.82);
    assert!(e.observe(&signin("a1", T0, "ann", "1.1.1.1", boston.0, boston.1)).is_empty());
    // Lagos 90 minutes later: ~8,000 km/h.
    let alerts = e.observe(&signin("a2", T0 + 90 * 60_000, "ann", "2.2.2.2", lagos.0, lagos.1));
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.event_ids, vec!["a1", "a2"]);
    assert_eq!(a.features[0].name, "speed_kmh");
    assert!(a.features[0].value.as_f64().unwrap() > 5000.0);
    assert!((a.features.iter().map(|f| f.contribution).sum::<f64>() - 1.0).abs() < 1e-9);
    assert!(a.confidence.score > 90, "{}", a.confidence.score);
    // A flight: Boston to Singapore in 16 hours (~940 km/h).
    assert!(e.observe(&signin("b1", T0, "bob", "3.3.3.3", boston.0, boston.1)).is_empty());
    assert!(e.observe(&signin("b2", T0 + 16 * 3_600_000, "bob", "4.4.4.4", singapore.0, singapore.1)).is_empty());
    // An address three users share (a VPN that geolocates far away) is not a place.
    for (i, u) in ["c", "d", "f"].iter().enumerate() {
        e.observe(&signin(&format!("v{i}"), T0 - DAY, u, "9.9.9.9", 52.37, 4.9));
    }
    assert!(e.observe(&signin("c1", T0, "carl", "5.5.5.5", boston.0, boston.1)).is_empty());
    assert!(e.observe(&signin("c2", T0 + 60_000 * 30, "carl", "9.9.9.9", 52.37, 4.9)).is_empty());
    // Out of order: the earlier sign-in arrives second and is still compared.
    let mut e = engine(GEO);
    assert!(e.observe(&signin("d2", T0 + 60 * 60_000, "dan", "2.2.2.2", lagos.0, lagos.1)).is_empty());
    assert_eq!(
        e.observe(&signin("d1", T0, "dan", "1.1.1.1", boston.0, boston.1)).len(),
        0,
        "prev of the earlier point is none"
    );
}

const NEWVAL: &str = "format: vigil-behavior/1\nid: nv\ntitle: New network\nwhere: {metadata_product: AWS CloudTrail}\nentity: actor_user_credential_uid\nkind: new_value\nparams: {value: src_ip, transform: ip16, learning_days: 2, min_events: 5}\n";

fn call(id: &str, time: i64, key: &str, ip: &str) -> Obs {
    obs(id, time, &[("metadata_product", "AWS CloudTrail"), ("actor_user_credential_uid", key), ("src_ip", ip)])
}

#[test]
fn new_value_learns_first_then_alerts_once_per_value() {
    let mut e = engine(NEWVAL);
    // Learning: new networks in the first two days and first five events raise nothing.
    assert!(e.observe(&call("1", T0, "AKIA1", "4.42.1.1")).is_empty());
    assert!(e.observe(&call("2", T0 + 1000, "AKIA1", "8.8.1.1")).is_empty());
    for i in 0..10 {
        assert!(e.observe(&call(&format!("k{i}"), T0 + i * DAY / 3, "AKIA1", "4.42.9.9")).is_empty());
    }
    let a = e.observe(&call("x", T0 + 4 * DAY, "AKIA1", "45.134.22.138"));
    assert_eq!(a.len(), 1);
    assert!(a[0].explanation.contains("45.134.0.0/16"), "{}", a[0].explanation);
    assert_eq!(a[0].entities.keys, vec!["AKIA1"]);
    assert_eq!(a[0].features[0].baseline, json!(["4.42.0.0/16", "8.8.0.0/16"]));
    // Same /16 again: known now, silent.
    assert!(e.observe(&call("y", T0 + 4 * DAY + 10, "AKIA1", "45.134.99.1")).is_empty());
    // Events that do not match `where` are ignored.
    assert!(
        e.observe(&obs("z", T0 + 5 * DAY, &[("actor_user_credential_uid", "AKIA1"), ("src_ip", "7.7.7.7")])).is_empty()
    );
}

const RATE: &str = "format: vigil-behavior/1\nid: rs\ntitle: Spike\nwhere: {api_operation: GetObject}\nentity: actor_user_name\nkind: rate_spike\nparams: {bucket: 1d, k_mad: 6, min_ratio: 10, floor: 20, min_buckets: 3}\n";

fn get(id: &str, time: i64, user: &str) -> Obs {
    obs(id, time, &[("api_operation", "GetObject"), ("actor_user_name", user)])
}

#[test]
fn rate_spike_compares_with_the_entitys_own_median() {
    let mut e = engine(RATE);
    let mut n = 0;
    // Five ordinary days of 5, 6, 4, 5, 7 downloads.
    for (d, count) in [5, 6, 4, 5, 7].iter().enumerate() {
        for k in 0..*count {
            n += 1;
            assert!(e.observe(&get(&format!("e{n}"), T0 + d as i64 * DAY + k * 60_000, "eve")).is_empty());
        }
    }
    // Day six: 60 downloads; the alert comes once, when the count crosses 10x the median (5).
    let mut alerts = Vec::new();
    for k in 0..60 {
        alerts.extend(e.observe(&get(&format!("s{k}"), T0 + 5 * DAY + k * 1000, "eve")));
    }
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.features[0].value, json!(50.0), "fires at 10 x the median of 5");
    assert_eq!(a.features[0].baseline["median"], json!(5.0));
    assert_eq!(a.event_ids.len(), 50, "cites the day's events");
    // A user with no history yet is learning: silent.
    for k in 0..100 {
        assert!(e.observe(&get(&format!("n{k}"), T0 + k * 1000, "new")).is_empty());
    }
}

const EGRESS: &str = "format: vigil-behavior/1\nid: eg\ntitle: Upload\nwhere: {class_name: Network Activity}\nentity: src_ip\nkind: egress_volume\nparams: {window: 1h, floor_bytes: 1000000, domains: [mega.nz]}\n";

#[test]
fn egress_volume_joins_dns_answers_to_connections() {
    let mut e = engine(EGRESS);
    let dns = obs(
        "d",
        T0,
        &[("class_name", "DNS Activity"), ("dns_query", "g.api.mega.nz"), ("dns_answers", "::ffff:31.216.144.5;")],
    );
    assert!(e.observe(&dns).is_empty());
    let conn = |id: &str, t: i64, dst: &str, bytes: &str| {
        obs(id, t, &[("class_name", "Network Activity"), ("src_ip", "10.0.0.7"), ("dst_ip", dst), ("bytes_out", bytes)])
    };
    // Traffic to an address no listed domain resolved to does not count.
    assert!(e.observe(&conn("c0", T0 + 1, "1.2.3.4", "9000000")).is_empty());
    assert!(e.observe(&conn("c1", T0 + 2, "31.216.144.5", "600000")).is_empty());
    let a = e.observe(&conn("c2", T0 + 3, "31.216.144.5", "600000"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].event_ids, vec!["c1", "c2"]);
    assert!(a[0].explanation.contains("g.api.mega.nz"), "{}", a[0].explanation);
    assert!(e.observe(&conn("c3", T0 + 4, "31.216.144.5", "600000")).is_empty(), "once per window");
}

const SEQ: &str = "format: vigil-behavior/1\nid: sq\ntitle: Seq\nkind: sequence\nsteps:\n  - name: unsuspended\n    where: {metadata_event_code: user.lifecycle.unsuspend}\n    entity: user_name\n  - name: self-add\n    where: {metadata_event_code: group.user_membership.add}\n    entity: actor_user_name\nparams: {within: 1h}\n";

#[test]
fn sequences_need_their_steps_in_order_within_the_window() {
    let mut e = engine(SEQ);
    let unsuspend = |id: &str, t: i64, who: &str| {
        obs(id, t, &[("metadata_event_code", "user.lifecycle.unsuspend"), ("user_name", who)])
    };
    let add = |id: &str, t: i64, who: &str| {
        obs(id, t, &[("metadata_event_code", "group.user_membership.add"), ("actor_user_name", who)])
    };
    assert!(e.observe(&add("a0", T0, "kim")).is_empty(), "step two before step one");
    assert!(e.observe(&unsuspend("u1", T0 + 1, "kim")).is_empty());
    assert!(e.observe(&add("a1", T0 + 2, "lee")).is_empty(), "another entity");
    let a = e.observe(&add("a2", T0 + 60_000, "Kim"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].event_ids, vec!["u1", "a2"]);
    assert!(e.observe(&unsuspend("u2", T0, "max")).is_empty());
    assert!(e.observe(&add("a3", T0 + 2 * 3_600_000, "max")).is_empty(), "outside the window");
}

const OFF: &str = "format: vigil-behavior/1\nid: oh\ntitle: Off hours\nwhere: {api_operation: GetObject}\nentity: actor_user_name\nkind: off_hours\nparams: {learning_days: 3, min_events: 20, max_share: 0.0}\n";

#[test]
fn off_hours_compares_with_the_users_own_hours() {
    let mut e = engine(OFF);
    // Ten days of reads between 13:00 and 17:00 UTC.
    let mut n = 0;
    for d in 0..10 {
        for h in 13..17 {
            n += 1;
            assert!(e.observe(&get(&format!("e{n}"), T0 - T0 % DAY + d * DAY + h * 3_600_000, "eve")).is_empty());
        }
    }
    // 16:30 is her hour; 03:00 is not, nor 02:00 or 04:00.
    assert!(e.observe(&get("ok", T0 - T0 % DAY + 10 * DAY + 16 * 3_600_000 + 1_800_000, "eve")).is_empty());
    let a = e.observe(&get("night", T0 - T0 % DAY + 10 * DAY + 3 * 3_600_000, "eve"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].features[0].value, json!(3));
    assert!(a[0].explanation.contains("busiest hours"), "{}", a[0].explanation);
    // Once per day.
    assert!(e.observe(&get("night2", T0 - T0 % DAY + 10 * DAY + 3 * 3_600_000 + 60_000, "eve")).is_empty());
    // The shoulder of her day is not off-hours.
    assert!(e.observe(&get("late", T0 - T0 % DAY + 11 * DAY + 17 * 3_600_000, "eve")).is_empty());
}

#[test]
fn state_survives_a_restart_and_stays_bounded() {
    // Learn in one engine, persist, restore into another: it alerts as the first would.
    let mut a = engine(NEWVAL);
    for i in 0..10 {
        a.observe(&call(&format!("k{i}"), T0 + i * DAY / 3, "AKIA1", "4.42.9.9"));
    }
    let rows = a.take_dirty();
    assert_eq!(rows.len(), 1);
    assert!(a.take_dirty().is_empty(), "only what changed since the last save");
    let mut b = engine(NEWVAL);
    assert_eq!(b.load(&rows), 1);
    assert_eq!(b.observe(&call("x", T0 + 4 * DAY, "AKIA1", "45.134.22.138")).len(), 1);
    assert_eq!(b.entity("AKIA1").len(), 1);
    // Rows of detections no longer in the pack, and unreadable rows, are skipped.
    let stale = StateRow { detection: "gone".into(), entity: "x".into(), updated_ms: 0, state: "{}".into() };
    let bad = StateRow { detection: "nv".into(), entity: "y".into(), updated_ms: 0, state: "not json".into() };
    assert_eq!(b.load(&[stale, bad]), 0);
}

#[test]
fn entities_are_capped_per_detection() {
    let mut e = engine(RATE);
    for i in 0..(MAX_ENTITIES + 10) as i64 {
        e.observe(&get(&format!("e{i}"), T0 + i, &format!("user{i}")));
    }
    assert!(e.states[0].len() <= MAX_ENTITIES, "{}", e.states[0].len());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any sequence of observations, in any order, never panics and never alerts twice on the
    /// same (detection, entity, bucket or value).
    #[test]
    fn arbitrary_streams_are_safe(events in proptest::collection::vec((0i64..30, 0u8..4, 0u8..6, 0u32..200), 0..200)) {
        let mut e = Engine::new(crate::builtin().unwrap());
        let mut ids = std::collections::HashSet::new();
        for (n, (day, user, ip, bytes)) in events.into_iter().enumerate() {
            let mut o = obs(&format!("e{n}"), T0 + day * DAY + n as i64, &[
                ("class_name", "Authentication"), ("metadata_product", "Okta System Log"),
                ("metadata_event_code", "user.session.start"), ("actor_user_name", &format!("u{user}")),
                ("src_ip", &format!("10.0.{ip}.1")), ("api_operation", "GetObject"), ("bytes_out", &bytes.to_string()),
            ]);
            o.lat = Some(f64::from(ip) * 10.0);
            o.lon = Some(f64::from(user) * 20.0);
            for a in e.observe(&o) {
                proptest::prop_assert!(ids.insert(a.id.clone()), "alert {} twice", a.id);
            }
        }
    }
}

/// Every kind files its entity under the kind the detection declares: a host field's value is
/// a host (never a user), an access key a key, an address an address.
#[test]
fn alerts_file_entities_under_their_kind() {
    // rate_spike on hosts: mass file changes.
    let mass = "format: vigil-behavior/1\nid: mf\ntitle: Mass file changes\nwhere: {class_name: File System Activity}\nentity: device_hostname\nkind: rate_spike\nparams: {bucket: 1h, k_mad: 8, min_ratio: 10, floor: 30, min_buckets: 3}\n";
    let mut e = engine(mass);
    let host = "wks-0187.corp.example.com";
    let write = |id: String, t: i64| obs(&id, t, &[("class_name", "File System Activity"), ("device_hostname", host)]);
    for h in 0..5 {
        for k in 0..3 {
            assert!(e.observe(&write(format!("w{h}-{k}"), T0 + h * 3_600_000 + k * 1000)).is_empty());
        }
    }
    let mut alerts = Vec::new();
    for k in 0..60 {
        alerts.extend(e.observe(&write(format!("burst{k}"), T0 + 5 * 3_600_000 + k * 1000)));
    }
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].entities.hosts, vec![host.to_string()]);
    assert!(alerts[0].entities.users.is_empty(), "a host is never a user: {:?}", alerts[0].entities);

    // new_value on an access key: the key is a key whatever it looks like.
    let nv = "format: vigil-behavior/1\nid: nv\ntitle: New net\nwhere: {api_operation: X}\nentity: actor_user_credential_uid\nkind: new_value\nparams: {value: src_ip, learning_days: 0, min_events: 2}\n";
    let mut e = engine(nv);
    let call = |id: &str, t: i64, ip: &str| {
        obs(id, t, &[("api_operation", "X"), ("actor_user_credential_uid", "ci-key-7"), ("src_ip", ip)])
    };
    for k in 0..3 {
        assert!(e.observe(&call(&format!("c{k}"), T0 + k, "10.0.0.1")).is_empty());
    }
    let a = e.observe(&call("new", T0 + 10, "203.0.113.9"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].entities.keys, vec!["ci-key-7".to_string()]);
    assert!(a[0].entities.users.is_empty());
    assert_eq!(a[0].entities.ips, vec!["203.0.113.9".to_string()]);

    // off_hours declared on hosts with entity_kind: the explicit kind is used.
    let off = "format: vigil-behavior/1\nid: oh\ntitle: Off hours\nwhere: {api_operation: GetObject}\nentity: actor_user_name\nentity_kind: host\nkind: off_hours\nparams: {learning_days: 3, min_events: 20, max_share: 0.0}\n";
    let mut e = engine(off);
    let mut n = 0;
    for d in 0..10 {
        for h in 13..17 {
            n += 1;
            assert!(e.observe(&get(&format!("e{n}"), T0 - T0 % DAY + d * DAY + h * 3_600_000, "srv-x")).is_empty());
        }
    }
    let a = e.observe(&get("night", T0 - T0 % DAY + 10 * DAY + 3 * 3_600_000, "srv-x"));
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].entities.hosts, vec!["srv-x".to_string()]);
    assert!(a[0].entities.users.is_empty());

    // Sequences and users: users.
    let mut e = engine(SEQ);
    e.observe(&obs("u", T0, &[("metadata_event_code", "user.lifecycle.unsuspend"), ("user_name", "kim")]));
    let a = e.observe(&obs(
        "a",
        T0 + 1,
        &[("metadata_event_code", "group.user_membership.add"), ("actor_user_name", "kim")],
    ));
    assert_eq!(a[0].entities.users, vec!["kim".to_string()]);

    // egress_volume on an address: an address.
    let mut e = engine(EGRESS);
    e.observe(&obs(
        "d",
        T0,
        &[("class_name", "DNS Activity"), ("dns_query", "mega.nz"), ("dns_answers", "31.216.144.5")],
    ));
    let a = e.observe(&obs(
        "c",
        T0 + 1,
        &[
            ("class_name", "Network Activity"),
            ("src_ip", "10.0.0.7"),
            ("dst_ip", "31.216.144.5"),
            ("bytes_out", "2000000"),
        ],
    ));
    assert_eq!(a[0].entities.ips, vec!["10.0.0.7".to_string(), "31.216.144.5".to_string()]);
    assert!(a[0].entities.users.is_empty() && a[0].entities.hosts.is_empty());
}
