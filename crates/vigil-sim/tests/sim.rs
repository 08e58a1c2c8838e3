//! End-to-end checks of the simulator's output: determinism, shapes, labels, scenario filtering,
//! volume scaling.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;
use vigil_model::EventId;
use vigil_sim::{ScenarioKind, SimConfig, SimSummary, simulate};

/// A pinned period (from 2026-10-05), so the output does not depend on today's date.
fn cfg(seed: u64, users: u32, days: u32) -> SimConfig {
    SimConfig { seed, users, days, start: SimConfig::fixed_start(), ..SimConfig::default() }
}

fn run(c: &SimConfig) -> (tempfile::TempDir, SimSummary) {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = simulate(c, dir.path()).expect("simulate");
    (dir, s)
}

/// Every file under `dir`, relative path -> bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).expect("prefix").to_string_lossy().replace('\\', "/");
                out.insert(rel, std::fs::read(&p).expect("read"));
            }
        }
    }
    out
}

/// A record as the decoders will see it.
struct Record {
    family: &'static str,
    file: String,
    value: Value,
}

fn records(dir: &Path) -> Vec<Record> {
    let mut out = Vec::new();
    for (rel, bytes) in files(dir) {
        let text = String::from_utf8(bytes).expect("utf-8");
        let family = if rel.starts_with("okta/") {
            "okta"
        } else if rel.starts_with("zeek/") {
            "zeek"
        } else if rel.starts_with("windows/") {
            "windows"
        } else if rel.starts_with("aws/cloudtrail/") {
            "cloudtrail"
        } else {
            continue;
        };
        if family == "cloudtrail" {
            let v: Value = serde_json::from_str(&text).expect("cloudtrail file is JSON");
            let recs = v.get("Records").and_then(Value::as_array).expect("Records array");
            assert!(!recs.is_empty(), "{rel}: empty Records");
            for r in recs {
                // Reparse each element from its own text, as a decoder splitting the array would.
                let t = serde_json::to_string(r).expect("to_string");
                out.push(Record { family, file: rel.clone(), value: serde_json::from_str(&t).expect("reparse") });
            }
        } else {
            for line in text.lines() {
                let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{rel}: bad JSON line: {e}"));
                out.push(Record { family, file: rel.clone(), value: v });
            }
        }
    }
    out
}

fn labels(dir: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.join("labels.jsonl")).expect("labels");
    text.lines().map(|l| serde_json::from_str(l).expect("label JSON")).collect()
}

fn s<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, k| v.get(k))
}

fn has_str(v: &Value, path: &str) -> bool {
    s(v, path).and_then(Value::as_str).is_some_and(|x| !x.is_empty())
}

#[test]
fn same_seed_gives_identical_files_and_another_seed_differs() {
    let c = cfg(42, 30, 7);
    let (a, sa) = run(&c);
    let (b, sb) = run(&c);
    assert_eq!(sa, sb);
    let (fa, fb) = (files(a.path()), files(b.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (k, v) in &fa {
        assert!(v == &fb[k], "{k} differs between two runs with the same seed");
    }
    // Running again into the same directory replaces everything (no stale files).
    let again = simulate(&c, a.path()).expect("rerun");
    assert_eq!(again, sa);
    assert_eq!(files(a.path()), fa);

    let (d, _) = run(&cfg(43, 30, 7));
    let fd = files(d.path());
    assert_ne!(fa.get("okta/system_log.jsonl"), fd.get("okta/system_log.jsonl"));
    assert_ne!(fa.get("zeek/conn.jsonl"), fd.get("zeek/conn.jsonl"));
}

#[test]
fn records_have_vendor_shapes_unique_ids_and_labels_point_at_them() {
    let (dir, summary) = run(&cfg(7, 30, 7));
    let recs = records(dir.path());
    assert_eq!(recs.len() as u64, summary.events);
    let mut ids = BTreeSet::new();
    let mut by_family: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rid: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &recs {
        *by_family.entry(r.family).or_default() += 1;
        let v = &r.value;
        match r.family {
            "okta" => {
                for f in [
                    "uuid",
                    "published",
                    "eventType",
                    "version",
                    "severity",
                    "displayMessage",
                    "outcome.result",
                    "client.ipAddress",
                    "actor.id",
                    "actor.type",
                    "actor.alternateId",
                    "transaction.id",
                    "securityContext.isp",
                ] {
                    assert!(has_str(v, f), "okta record without {f}: {v}");
                }
                assert!(s(v, "published").and_then(Value::as_str).is_some_and(|p| p.ends_with('Z') && p.len() == 24));
                assert!(s(v, "client.geographicalContext.geolocation.lat").is_some_and(Value::is_f64));
                assert!(s(v, "securityContext.asNumber").is_some_and(Value::is_u64));
                assert!(s(v, "request.ipChain").is_some_and(Value::is_array));
                assert!(v.get("target").is_some());
            }
            "cloudtrail" => {
                for f in [
                    "eventVersion",
                    "eventTime",
                    "eventSource",
                    "eventName",
                    "awsRegion",
                    "sourceIPAddress",
                    "userAgent",
                    "eventID",
                    "eventType",
                    "recipientAccountId",
                    "eventCategory",
                    "userIdentity.type",
                ] {
                    assert!(has_str(v, f), "cloudtrail record without {f}: {v}");
                }
                assert!(v.get("readOnly").is_some_and(Value::is_boolean));
                assert!(v.get("managementEvent").is_some_and(Value::is_boolean));
                assert_eq!(s(v, "eventTime").and_then(Value::as_str).map(str::len), Some(20));
                if s(v, "eventCategory").and_then(Value::as_str) == Some("Data") {
                    assert!(v.get("resources").is_some_and(Value::is_array), "data event without resources: {v}");
                }
                if s(v, "eventName").and_then(Value::as_str) == Some("ConsoleLogin") {
                    assert!(has_str(v, "responseElements.ConsoleLogin"));
                    assert!(has_str(v, "additionalEventData.MFAUsed"));
                }
            }
            "windows" => {
                let sys = s(v, "Event.System").expect("Event.System");
                for f in ["Channel", "Computer", "TimeCreated.#attributes.SystemTime", "Provider.#attributes.Name"] {
                    assert!(has_str(sys, f), "windows record without System.{f}: {v}");
                }
                assert!(s(v, "Event.#attributes.xmlns").is_some());
                let eid =
                    sys.get("EventID").and_then(|e| e.as_i64().or_else(|| e.get("#text").and_then(Value::as_i64)));
                assert!(eid.is_some(), "no EventID: {v}");
                assert!(s(v, "Event.EventData").is_some() || s(v, "Event.UserData").is_some());
                let n = sys.get("EventRecordID").and_then(Value::as_i64).expect("EventRecordID");
                let channel = sys["Channel"].as_str().unwrap_or_default().to_string();
                let prev = rid.insert((r.file.clone(), channel.clone()), n).unwrap_or(0);
                assert_eq!(n, prev + 1, "{}: {channel} record numbers must count up by one", r.file);
                let computer = sys["Computer"].as_str().unwrap_or_default();
                let host = r.file.trim_start_matches("windows/").trim_end_matches(".jsonl");
                assert!(computer.starts_with(host), "{computer} in {}", r.file);
                if channel == "Microsoft-Windows-Sysmon/Operational" && eid == Some(1) {
                    for f in ["ProcessGuid", "Image", "CommandLine", "ParentImage", "User", "Hashes", "UtcTime"] {
                        assert!(has_str(&v["Event"]["EventData"], f), "sysmon 1 without {f}");
                    }
                }
            }
            "zeek" => {
                for f in ["_path", "_write_ts", "ts", "uid", "id.orig_h", "id.resp_h", "proto"] {
                    assert!(v.get(f).and_then(Value::as_str).is_some(), "zeek record without {f}: {v}");
                }
                assert!(v.get("id.resp_p").is_some_and(Value::is_u64));
                match v["_path"].as_str() {
                    Some("conn") => assert!(v.get("conn_state").is_some() && v.get("local_orig").is_some()),
                    Some("dns") => assert!(
                        v.get("query").is_some() && v.get("qtype_name").is_some() && v.get("rcode_name").is_some()
                    ),
                    other => panic!("unexpected zeek path {other:?}"),
                }
            }
            _ => unreachable!(),
        }
        let id = EventId::of_json(r.family, v);
        assert!(ids.insert(id.to_string()), "duplicate record in {}: {v}", r.file);
    }
    for fam in ["okta", "cloudtrail", "windows", "zeek"] {
        assert!(by_family.get(fam).copied().unwrap_or(0) > 100, "too few {fam} records: {by_family:?}");
    }

    let ls = labels(dir.path());
    let mut kinds = BTreeSet::new();
    let mut labeled = BTreeSet::new();
    for l in &ls {
        let name = l["scenario"].as_str().expect("scenario");
        kinds.insert(name.to_string());
        assert!(l["instance"].as_str().is_some_and(|i| i.starts_with(name)));
        assert!(
            l["techniques"]
                .as_array()
                .is_some_and(|t| !t.is_empty() && t.iter().all(|x| x.as_str().is_some_and(|s| s.starts_with('T'))))
        );
        assert!(has_str(l, "start") && has_str(l, "end") && has_str(l, "description"));
        for e in ["users", "hosts", "keys", "buckets", "ips"] {
            assert!(l["entities"][e].is_array(), "entities.{e}");
        }
        let eids = l["event_ids"].as_array().expect("event_ids");
        assert!(!eids.is_empty(), "{name}: no events");
        for id in eids {
            let id = id.as_str().expect("id string");
            assert!(ids.contains(id), "{name}: label references an id no record has: {id}");
            assert!(labeled.insert(id.to_string()), "{id} labeled twice");
        }
    }
    let all: BTreeSet<String> = ScenarioKind::all().iter().map(|k| k.name().to_string()).collect();
    assert_eq!(kinds, all);
    assert_eq!(summary.scenarios.len(), all.len());
    assert!(summary.scenarios.iter().all(|(_, n)| *n >= 1));
    assert_eq!(summary.labels_path, "labels.jsonl");
    // Attacks are a small part of the data.
    assert!(labeled.len() * 5 < recs.len(), "{} labeled of {}", labeled.len(), recs.len());
}

#[test]
fn scenario_filter_and_scenario_content() {
    let mut c = cfg(11, 30, 7);
    c.scenarios = vec![ScenarioKind::Ransomware, ScenarioKind::MfaFatigue, ScenarioKind::ExposedAccessKey];
    let (dir, summary) = run(&c);
    let names: Vec<&str> = summary.scenarios.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mfa_fatigue", "exposed_access_key", "ransomware"]);
    let ls = labels(dir.path());
    let kinds: BTreeSet<&str> = ls.iter().filter_map(|l| l["scenario"].as_str()).collect();
    assert_eq!(kinds, BTreeSet::from(["mfa_fatigue", "exposed_access_key", "ransomware"]));

    let recs = records(dir.path());
    let by_id: BTreeMap<String, &Record> =
        recs.iter().map(|r| (EventId::of_json(r.family, &r.value).to_string(), r)).collect();
    let of = |scenario: &str| -> Vec<&Record> {
        ls.iter()
            .filter(|l| l["scenario"] == scenario)
            .flat_map(|l| l["event_ids"].as_array().cloned().unwrap_or_default())
            .filter_map(|id| id.as_str().and_then(|i| by_id.get(i).copied()))
            .collect()
    };

    let mfa = of("mfa_fatigue");
    let pushes = mfa.iter().filter(|r| r.value["eventType"] == "system.push.send_factor_verify_push").count();
    let denies = mfa.iter().filter(|r| r.value["eventType"] == "user.mfa.okta_verify.deny_push").count();
    assert!(pushes >= 10, "{pushes} pushes");
    assert!(denies >= 1);
    assert!(
        mfa.iter().any(|r| r.value["eventType"] == "user.session.start" && r.value["outcome"]["result"] == "SUCCESS")
    );

    let rw = of("ransomware");
    let cmd =
        |r: &&Record| s(&r.value, "Event.EventData.CommandLine").and_then(Value::as_str).unwrap_or("").to_lowercase();
    assert!(rw.iter().any(|r| cmd(r).contains("vssadmin") && cmd(r).contains("delete shadows")));
    assert!(rw.iter().any(|r| cmd(r).contains("bcdedit") && cmd(r).contains("recoveryenabled no")));
    let eid = |r: &&Record| s(&r.value, "Event.System.EventID").and_then(Value::as_i64);
    let creates = rw.iter().filter(|r| eid(r) == Some(11)).count();
    let deletes = rw.iter().filter(|r| eid(r) == Some(23)).count();
    assert!(creates >= 100 && deletes >= 100, "{creates} creates, {deletes} deletes");
    assert!(rw.iter().any(|r| eid(r) == Some(1102)));

    let key = of("exposed_access_key");
    assert!(key.iter().any(|r| r.value["eventName"] == "GetCallerIdentity"));
    assert!(key.iter().any(|r| r.value["userIdentity"]["type"] == "Root"));
    assert!(key.iter().all(|r| r.family == "cloudtrail"));

    // Nothing from unselected scenarios: no pushes denied in bursts, no PSEXESVC, no public grants.
    let all_text: String = std::fs::read_dir(dir.path().join("windows"))
        .expect("windows dir")
        .map(|e| std::fs::read_to_string(e.expect("entry").path()).expect("read"))
        .collect();
    assert!(!all_text.contains("PSEXESVC"));
    assert!(recs.iter().all(|r| r.value.get("eventName").is_none_or(|n| n != "PutBucketAcl")));
}

#[test]
fn volume_scales_with_people() {
    let one = |users| {
        let mut c = cfg(5, users, 7);
        c.scenarios = vec![ScenarioKind::ImpossibleTravel];
        run(&c).1.events as f64
    };
    let (a, b) = (one(30), one(60));
    let ratio = b / a;
    assert!((1.6..=2.4).contains(&ratio), "30 users: {a}, 60 users: {b}, ratio {ratio}");
    let per = a / (30.0 * 7.0);
    assert!((40.0..=160.0).contains(&per), "{per} events per user-day");
}

#[test]
fn inventory_describes_the_company() {
    let (dir, _) = run(&cfg(3, 40, 3));
    let inv: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("inventory.json")).expect("read")).expect("json");
    let users = inv["users"].as_array().expect("users");
    assert!(users.len() >= 40);
    assert!(users.iter().any(|u| u["is_admin"] == true && u["status"] == "ACTIVE"));
    assert!(users.iter().any(|u| u["is_service"] == true));
    assert!(users.iter().any(|u| u["is_admin"] == true
        && u["status"] == "SUSPENDED"
        && u["last_active"].as_str() < Some("2026-08-06")));
    assert_eq!(inv["aws_accounts"].as_array().map(Vec::len), Some(2));
    assert_eq!(inv["vendors"].as_array().map(Vec::len), Some(3));
    assert!(inv["hosts"].as_array().is_some_and(|h| h.iter().any(|h| h["hostname"] == "SRV-DC01")));
    for u in users {
        for f in [
            "id",
            "email",
            "name",
            "department",
            "role",
            "title",
            "city",
            "country",
            "timezone_offset_hours",
            "work_hours",
            "status",
            "last_active",
        ] {
            assert!(u.get(f).is_some(), "user without {f}");
        }
    }
}

#[test]
fn rejects_bad_configs_and_parses_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert!(simulate(&cfg(1, 3, 7), dir.path()).is_err());
    assert!(simulate(&cfg(1, 30, 0), dir.path()).is_err());
    for k in ScenarioKind::every() {
        assert_eq!(k.name().parse::<ScenarioKind>().ok(), Some(k));
    }
    assert_eq!("mfa-fatigue".parse::<ScenarioKind>().ok(), Some(ScenarioKind::MfaFatigue));
    assert_eq!(" Slow-Exfiltration ".parse::<ScenarioKind>().ok(), Some(ScenarioKind::SlowExfiltration));
    assert_eq!("dormant_service_weekly".parse::<ScenarioKind>().ok(), Some(ScenarioKind::DormantServiceWeekly));
    assert_eq!("vendor-scope-creep".parse::<ScenarioKind>().ok(), Some(ScenarioKind::VendorScopeCreep));
    for bad in ["nope", "", "slow", "slow_exfiltration,ransomware"] {
        let e = bad.parse::<ScenarioKind>().expect_err(bad).to_string();
        assert!(e.contains("unknown scenario") && e.contains("vendor_scope_creep"), "{e}");
    }
}

#[test]
fn short_periods_get_none_of_the_slow_scenarios() {
    // The default set is exactly the earlier one below six weeks, and every scenario from there.
    assert_eq!(ScenarioKind::SLOW_MIN_DAYS, 42);
    for days in [1, 7, 14, 30, 41] {
        assert_eq!(ScenarioKind::defaults_for(days), ScenarioKind::all(), "{days} days");
    }
    assert_eq!(ScenarioKind::defaults_for(42), ScenarioKind::every());
    assert_eq!(ScenarioKind::every().len(), ScenarioKind::all().len() + 3);
    assert!(ScenarioKind::slow().iter().all(|k| k.is_slow() && !ScenarioKind::all().contains(k)));

    let (dir, summary) = run(&cfg(1, 10, 14));
    let names: Vec<&str> = summary.scenarios.iter().map(|(n, _)| n.as_str()).collect();
    let all: Vec<&str> = ScenarioKind::all().iter().map(|k| k.name()).collect();
    assert_eq!(names, all);
    let ls = labels(dir.path());
    assert!(
        ls.iter()
            .all(|l| !l["scenario"].as_str().is_some_and(|n| n.parse::<ScenarioKind>().is_ok_and(|k| k.is_slow())))
    );
    assert!(ls.iter().all(|l| l["entities"].get("domains").is_none()));
    let inv = std::fs::read_to_string(dir.path().join("inventory.json")).expect("inventory");
    assert!(!inv.contains("svc-etl-export") && !inv.contains("last_used"));

    // Asking for a slow scenario in a period too short for it is an error that says why.
    let mut c = cfg(1, 10, 41);
    c.scenarios = vec![ScenarioKind::Ransomware, ScenarioKind::VendorScopeCreep];
    let d = tempfile::tempdir().expect("tempdir");
    let e = simulate(&c, d.path()).expect_err("41 days").to_string();
    assert!(e.contains("vendor_scope_creep") && e.contains("at least 42 days") && e.contains("41"), "{e}");
}

/// Whole days from the period's start of an RFC 3339 time.
fn day_of(ts: &str, start: chrono::NaiveDate) -> i64 {
    let t = chrono::DateTime::parse_from_rfc3339(ts).unwrap_or_else(|e| panic!("{ts}: {e}"));
    t.date_naive().signed_duration_since(start).num_days()
}

/// The record's time, whatever its family.
fn time_of(r: &Record) -> String {
    let v = &r.value;
    let t = match r.family {
        "okta" => &v["published"],
        "cloudtrail" => &v["eventTime"],
        "windows" => &v["Event"]["System"]["TimeCreated"]["#attributes"]["SystemTime"],
        _ => &v["ts"],
    };
    t.as_str().expect("time").to_string()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { 0.0 } else { v[v.len() / 2] }
}

#[test]
fn slow_scenarios_span_weeks_and_stay_below_per_event_and_per_day_bounds() {
    let c = cfg(3, 30, 63);
    let start = c.start;
    let (dir, summary) = run(&c);
    let every: Vec<&str> = ScenarioKind::every().iter().map(|k| k.name()).collect();
    assert_eq!(summary.scenarios.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), every);
    assert!(summary.scenarios.iter().all(|(_, n)| *n >= 1), "{:?}", summary.scenarios);

    let recs = records(dir.path());
    let by_id: BTreeMap<String, &Record> =
        recs.iter().map(|r| (EventId::of_json(r.family, &r.value).to_string(), r)).collect();
    assert_eq!(by_id.len(), recs.len(), "record ids are unique");
    let ls = labels(dir.path());
    let labeled: BTreeSet<&str> =
        ls.iter().flat_map(|l| l["event_ids"].as_array().into_iter().flatten()).filter_map(Value::as_str).collect();
    let inv: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("inventory.json")).expect("read")).expect("json");

    // Every labeled id is a record in the logs; each slow instance spans at least four weeks.
    let of = |l: &Value| -> Vec<&Record> {
        l["event_ids"]
            .as_array()
            .expect("event_ids")
            .iter()
            .map(|id| {
                let id = id.as_str().expect("id");
                *by_id.get(id).unwrap_or_else(|| panic!("{}: {id} is in no log", l["instance"]))
            })
            .collect()
    };
    let mut seen = BTreeSet::new();
    for l in &ls {
        let kind: ScenarioKind = l["scenario"].as_str().expect("scenario").parse().expect("known scenario");
        if !kind.is_slow() {
            continue;
        }
        seen.insert(kind);
        let rs = of(l);
        assert!(!rs.is_empty());
        let days: BTreeSet<i64> = rs.iter().map(|r| day_of(&time_of(r), start)).collect();
        let weeks: BTreeSet<i64> = days.iter().map(|d| d / 7).collect();
        let (first, last) = (days.first().copied().unwrap_or(0), days.last().copied().unwrap_or(0));
        assert!(weeks.len() >= 5 && last - first >= 28, "{}: days {days:?}", l["instance"]);
        assert!(first >= 0 && last < 63, "{}: outside the period: {days:?}", l["instance"]);
        assert_eq!(l["start"].as_str().map(|s| day_of(s, start)), Some(first));
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ScenarioKind::slow());

    // The background's outbound volume per laptop and day, and per connection.
    let laptop = |ip: &str| ip.starts_with("10.2");
    let external = |ip: &str| !ip.starts_with("10.");
    let conns: Vec<(&Record, bool)> = recs
        .iter()
        .filter(|r| r.family == "zeek" && r.value["_path"] == "conn")
        .map(|r| (r, labeled.contains(EventId::of_json(r.family, &r.value).to_string().as_str())))
        .collect();
    let mut host_day: BTreeMap<(String, i64), f64> = BTreeMap::new();
    let mut per_conn = Vec::new();
    for (r, is_attack) in &conns {
        let (src, dst) = (r.value["id.orig_h"].as_str().unwrap_or(""), r.value["id.resp_h"].as_str().unwrap_or(""));
        if *is_attack || !laptop(src) || !external(dst) {
            continue;
        }
        let b = r.value["orig_bytes"].as_f64().unwrap_or(0.0);
        *host_day.entry((src.to_string(), day_of(&time_of(r), start))).or_default() += b;
        per_conn.push(b);
    }
    let fleet_median_day = median(host_day.values().copied().collect());
    per_conn.sort_by(f64::total_cmp);
    let conn_p99 = per_conn[per_conn.len() * 99 / 100];
    assert!(fleet_median_day > 50_000.0, "{fleet_median_day}");

    for l in ls.iter().filter(|l| l["scenario"] == "slow_exfiltration") {
        let rs = of(l);
        let domain = l["entities"]["domains"][0].as_str().expect("domain").to_string();
        let dest = l["entities"]["ips"][0].as_str().expect("destination").to_string();
        let host_ip = l["entities"]["ips"][1].as_str().expect("host address").to_string();
        assert_eq!(l["entities"]["domains"].as_array().map(Vec::len), Some(1));
        // One destination, looked up and reached every week; new to the company.
        let queries: BTreeSet<&str> = rs.iter().filter_map(|r| r.value.get("query").and_then(Value::as_str)).collect();
        assert_eq!(queries, BTreeSet::from([domain.as_str()]));
        let tcp: Vec<&&Record> =
            rs.iter().filter(|r| r.value["_path"] == "conn" && r.value["proto"] == "tcp").collect();
        assert!(tcp.iter().all(|r| r.value["id.resp_h"] == dest.as_str() && r.value["id.orig_h"] == host_ip.as_str()));
        let dns_weeks: BTreeSet<i64> =
            rs.iter().filter(|r| r.value["_path"] == "dns").map(|r| day_of(&time_of(r), start) / 7).collect();
        assert!(dns_weeks.len() >= 5, "{dns_weeks:?}");
        for r in recs.iter().filter(|r| r.family == "zeek") {
            let id = EventId::of_json(r.family, &r.value).to_string();
            if !labeled.contains(id.as_str()) {
                assert!(r.value.get("query").is_none_or(|q| q != domain.as_str()), "background looks up {domain}");
                assert!(r.value["id.resp_h"] != dest.as_str(), "background reaches {dest}");
            }
        }
        // Per week: under the median laptop's upload of one ordinary day; per connection: under
        // the 99th percentile of ordinary connections; per day: the laptop's total stays within
        // a few times its own median day (the lowest ratio a built-in spike detection uses is 5).
        let mut per_week: BTreeMap<i64, f64> = BTreeMap::new();
        let mut attack_days: BTreeMap<i64, f64> = BTreeMap::new();
        for r in &tcp {
            let b = r.value["orig_bytes"].as_f64().unwrap_or(0.0);
            assert!(b < conn_p99, "one connection of {b} bytes, ordinary p99 {conn_p99}");
            let d = day_of(&time_of(r), start);
            *per_week.entry(d / 7).or_default() += b;
            *attack_days.entry(d).or_default() += b;
        }
        assert!(per_week.len() >= 5 && attack_days.len() == dns_weeks.len(), "{per_week:?} {attack_days:?}");
        for (w, b) in &per_week {
            assert!(*b < fleet_median_day, "week {w}: {b} bytes, median laptop day {fleet_median_day}");
        }
        let own: Vec<f64> = host_day.iter().filter(|((h, _), _)| *h == host_ip).map(|(_, b)| *b).collect();
        let own_median = median(own);
        for (d, b) in &attack_days {
            let total = b + host_day.get(&(host_ip.clone(), *d)).copied().unwrap_or(0.0);
            assert!(total < 5.0 * own_median, "day {d}: {total} bytes against the host's median {own_median}");
        }
    }

    for l in ls.iter().filter(|l| l["scenario"] == "dormant_service_weekly") {
        let rs = of(l);
        let key = l["entities"]["keys"][0].as_str().expect("key");
        let user = l["entities"]["users"][0].as_str().expect("user");
        // The key belongs to a service user the inventory shows idle for months before.
        let inv_user = inv["aws_accounts"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|a| a["iam_users"].as_array().cloned().unwrap_or_default())
            .find(|u| u["name"] == user)
            .expect("in the inventory");
        assert_eq!(inv_user["access_keys"][0]["access_key_id"], key);
        let last_used = inv_user["access_keys"][0]["last_used"].as_str().expect("last_used");
        assert!(day_of(last_used, start) < -90, "{last_used}");
        // Dormant: nothing else uses it; all calls read-only, from one address, a handful a week.
        let uses: Vec<&Record> =
            recs.iter().filter(|r| r.family == "cloudtrail" && r.value["userIdentity"]["accessKeyId"] == key).collect();
        assert_eq!(uses.len(), rs.len(), "the key is used only by the scenario");
        assert!(rs.iter().all(|r| r.family == "cloudtrail" && r.value["readOnly"] == true));
        let ips: BTreeSet<&str> = rs.iter().filter_map(|r| r.value["sourceIPAddress"].as_str()).collect();
        assert_eq!(ips.into_iter().collect::<Vec<_>>(), [l["entities"]["ips"][0].as_str().unwrap_or("")]);
        let mut per_day: BTreeMap<i64, usize> = BTreeMap::new();
        for r in &rs {
            *per_day.entry(day_of(&time_of(r), start)).or_default() += 1;
        }
        let days: Vec<i64> = per_day.keys().copied().collect();
        assert!(days.len() >= 5 && days.windows(2).all(|w| (5..=9).contains(&(w[1] - w[0]))), "{days:?}");
        assert!(per_day.values().all(|&n| n <= 6), "{per_day:?}");
    }

    for l in ls.iter().filter(|l| l["scenario"] == "vendor_scope_creep") {
        let rs = of(l);
        let email = l["entities"]["users"][0].as_str().expect("vendor identity");
        let client = l["entities"]["users"][1].as_str().expect("oauth client");
        let vendor = inv["vendors"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|v| v["identities"][0]["login"] == email)
            .expect("a vendor");
        assert_eq!(vendor["oauth_apps"][0]["client_id"], client);
        let usual_ip = vendor["usual_ip"].as_str().expect("usual_ip");
        assert!(rs.iter().all(|r| r.value["client"]["ipAddress"] == usual_ip), "always from the usual address");
        // The app's grants, in time order: each asks for at most one scope more than the last,
        // only read scopes, and the count of new scopes grows to six.
        let mut grants: Vec<(String, Vec<String>)> = rs
            .iter()
            .filter(|r| r.value["eventType"] == "app.oauth2.as.token.grant")
            .map(|r| {
                let scopes = r.value["debugContext"]["debugData"]["grantedScopes"].as_str().unwrap_or("");
                (time_of(r), scopes.split(' ').map(str::to_string).collect())
            })
            .collect();
        grants.sort();
        assert!(grants.iter().all(|(_, s)| s.iter().all(|x| x.ends_with(".read"))));
        for w in grants.windows(2) {
            let (a, b) = (&w[0].1, &w[1].1);
            assert!(b.len() >= a.len() && b.len() <= a.len() + 1, "{a:?} then {b:?}");
        }
        let usual: Vec<&str> =
            vendor["oauth_apps"][0]["scopes"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let widest = grants.last().map(|(_, s)| s.len()).unwrap_or(0);
        assert_eq!(widest, usual.len() + 6);
        // The person's weekly sessions: one more app each time.
        let mut sessions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for r in rs.iter().filter(|r| r.value["eventType"] == "user.authentication.sso") {
            let sid = r.value["authenticationContext"]["externalSessionId"].as_str().unwrap_or("").to_string();
            let app = r.value["target"][0]["alternateId"].as_str().unwrap_or("").to_string();
            sessions.entry(sid).or_default().insert(app);
        }
        let mut sizes: Vec<(String, usize)> = Vec::new();
        for r in rs.iter().filter(|r| r.value["eventType"] == "user.authentication.sso") {
            let sid = r.value["authenticationContext"]["externalSessionId"].as_str().unwrap_or("");
            if !sizes.iter().any(|(s, _)| s == sid) {
                sizes.push((sid.to_string(), sessions[sid].len()));
            }
        }
        let counts: Vec<usize> = sizes.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [1, 2, 3, 4, 5, 6]);
        // Never a spike: the app's grants per day, ordinary and extra together, stay under the
        // token-spike detection's floor (60) and its ratio (5x) over the ordinary daily median.
        let mut daily: BTreeMap<i64, (f64, f64)> = BTreeMap::new();
        for r in recs
            .iter()
            .filter(|r| r.value["eventType"] == "app.oauth2.as.token.grant" && r.value["actor"]["id"] == client)
        {
            let e = daily.entry(day_of(&time_of(r), start)).or_default();
            if labeled.contains(EventId::of_json(r.family, &r.value).to_string().as_str()) {
                e.1 += 1.0;
            } else {
                e.0 += 1.0;
            }
        }
        let ordinary = median(daily.values().map(|(o, _)| *o).collect());
        for (d, (o, x)) in &daily {
            assert!(o + x < 60.0 && o + x < 5.0 * ordinary.max(1.0), "day {d}: {o} + {x}, median {ordinary}");
        }
    }
}

#[test]
fn one_slow_scenario_alone_over_six_weeks() {
    let mut c = cfg(5, 10, 42);
    c.scenarios = vec![ScenarioKind::DormantServiceWeekly];
    let (dir, summary) = run(&c);
    assert_eq!(summary.scenarios, vec![("dormant_service_weekly".to_string(), 1)]);
    let ls = labels(dir.path());
    assert_eq!(ls.len(), 1);
    assert_eq!(ls[0]["instance"], "dormant_service_weekly-1");
    assert_eq!(ls[0]["techniques"][0], "T1078.004");
    let inv = std::fs::read_to_string(dir.path().join("inventory.json")).expect("inventory");
    assert!(inv.contains("svc-etl-export") && inv.contains("last_used"));
}

/// The latest record time in the labels ("end"), as written (RFC 3339, millisecond, UTC).
fn last_label_end(dir: &Path) -> String {
    labels(dir).iter().filter_map(|l| l["end"].as_str().map(str::to_string)).max().expect("labels")
}

#[test]
fn default_period_ends_at_the_present() {
    // By hand: the default is 14 whole UTC days ending where the day of 12 hours ago began, so
    // its exclusive end is that day and its first day 14 days before.
    let spill = chrono::Duration::hours(SimConfig::SPILL_HOURS);
    let before = (chrono::Utc::now() - spill).date_naive();
    let c = SimConfig::default();
    let after = (chrono::Utc::now() - spill).date_naive();
    assert_eq!(c.days, 14);
    assert!(c.end() == before || c.end() == after, "default period ends {} (today {before})", c.end());
    assert_eq!(c.start + chrono::Days::new(14), c.end());

    // Simulated with the default window, the logs end within the last four days and never
    // after now.
    let small = SimConfig { users: 20, days: 3, ..SimConfig::ending_now(3) };
    let (dir, _) = run(&small);
    let now = chrono::Utc::now();
    let last = last_label_end(dir.path());
    let fmt = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    assert!(last <= fmt(now), "last labeled record {last} is after now {}", fmt(now));
    assert!(last >= fmt(now - chrono::Duration::days(4)), "last labeled record {last} is older than 4 days");
}

#[test]
fn pinned_period_is_deterministic_and_ends_where_asked() {
    // ending_on(2026-11-20, 3): days 2026-11-17, -18 and -19; start 2026-11-17.
    let end = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let c = SimConfig { users: 20, ..SimConfig::ending_on(end, 3) };
    assert_eq!(c.start, chrono::NaiveDate::from_ymd_opt(2026, 11, 17).unwrap());
    assert_eq!(c.end(), end);
    let (a, _) = run(&c);
    let (b, _) = run(&c);
    assert_eq!(files(a.path()), files(b.path()));
    let first = labels(a.path()).iter().filter_map(|l| l["start"].as_str().map(str::to_string)).min().unwrap();
    assert!(first.as_str() >= "2026-11-16T16", "{first}");
    assert!(last_label_end(a.path()).as_str() < "2026-11-21", "{}", last_label_end(a.path()));
}
