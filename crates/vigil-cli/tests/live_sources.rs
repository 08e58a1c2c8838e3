//! Live sources end to end: `vigil connect` a source served by the local vendor sandbox (a real
//! HTTP server speaking Okta's System Log polling contract), `vigil poll` it page by page to its
//! end, again after new, late and duplicate records, and through 20 `kill -9`s of a poll in
//! flight: every record the vendor holds becomes exactly one event, none lost, none twice.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use vigil_connectors::sandbox::Sandbox;

fn vigil(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("VIGIL_DATA_DIR")
        .env_remove("VIGIL_TOKEN")
        .env_remove("VIGIL_SECRETS_FILE")
        .output()
        .expect("run vigil")
}

fn ok_json(data: &Path, args: &[&str]) -> Value {
    let out = vigil(data, args);
    assert!(out.status.success(), "vigil {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// An Okta System Log record as the API returns it, `minutes` after a fixed start.
fn okta(i: u32, minutes: i64) -> Value {
    let t = chrono::DateTime::from_timestamp(1_717_000_000 + minutes * 60, 0).unwrap();
    json!({
        "uuid": format!("6d1f7c1e-0000-4000-8000-{i:012}"),
        "published": t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "eventType": if i.is_multiple_of(7) { "user.session.start" } else { "user.authentication.sso" },
        "version": "0",
        "severity": "INFO",
        "displayMessage": "User login to Okta",
        "actor": {"id": format!("00u{}", i % 13), "type": "User", "alternateId": format!("user{}@acme.example", i % 13), "displayName": "A User"},
        "client": {"ipAddress": format!("198.51.100.{}", i % 250), "userAgent": {"rawUserAgent": "Mozilla/5.0", "browser": "CHROME"}},
        "outcome": {"result": if i.is_multiple_of(11) { "FAILURE" } else { "SUCCESS" }},
        "transaction": {"type": "WEB", "id": format!("tx{i}")}
    })
}

/// Events stored, and rows in the lake (the same when nothing was written twice).
fn counts(data: &Path) -> (u64, u64) {
    let status = ok_json(data, &["--json", "status"]);
    let events = status["events"].as_u64().unwrap();
    let rows = ok_json(data, &["--json", "query", "SELECT count(*) AS n FROM events"]);
    let lake = rows[0]["n"].as_u64().unwrap();
    (events, lake)
}

#[test]
fn a_live_source_is_polled_to_its_end_and_survives_kill_9_without_loss_or_repeat() {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["okta"]["base_url"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secrets = dir.path().join("secrets.env");
    std::fs::write(&secrets, format!("okta_token={}\n", sb.secrets().get("okta_token").unwrap())).unwrap();
    let secrets = secrets.to_str().unwrap().to_string();

    // A wrong kind, a plain-http address off loopback, a missing secret: refused, named.
    let out = vigil(&data, &["connect", "add", "x", "--kind", "splunk", "--url", &base, "--secret", "t"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown source kind"));
    let out =
        vigil(&data, &["connect", "add", "x", "--kind", "okta", "--url", "http://acme.okta.com", "--secret", "t"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain http only to a loopback"));
    ok_json(
        &data,
        &[
            "--json",
            "connect",
            "add",
            "okta-prod",
            "--kind",
            "okta",
            "--url",
            &base,
            "--secret",
            "okta_token",
            "--page-limit",
            "5",
        ],
    );
    let list = ok_json(&data, &["--json", "connect", "list"]);
    assert_eq!(list[0]["name"], "okta-prod");
    assert!(!list.to_string().contains(&sb.secrets().get("okta_token").unwrap().to_string()), "no secret kept");
    let out = vigil(&data, &["connect", "test", "okta-prod"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("VIGIL_SECRET_OKTA_TOKEN"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // 42 records within the backfill window (the sandbox's clock is now; the records are
    // recent), polled in pages of 5 to the end.
    let now_min = (chrono::Utc::now().timestamp() - 1_717_000_000) / 60;
    sb.add_okta_logs((0..42).map(|i| okta(i, now_min - 600 + i64::from(i))));
    let t = ok_json(&data, &["--json", "connect", "test", "okta-prod", "--secrets", &secrets]);
    assert_eq!(t["records_on_first_page"], 5);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(
        (r[0]["pages"].as_u64(), r[0]["records"].as_u64(), r[0]["events"].as_u64()),
        (Some(9), Some(42), Some(42))
    );
    assert_eq!(r[0]["caught_up"], true);
    assert_eq!(counts(&data), (42, 42));
    // Nothing new: one request, nothing read.
    let r = ok_json(&data, &["--json", "poll", "okta-prod", "--secrets", &secrets, "--no-detect"]);
    assert_eq!((r[0]["pages"].as_u64(), r[0]["records"].as_u64()), (Some(1), Some(0)));
    // New records, one arriving late (an earlier time) and one delivered a second time.
    sb.add_okta_logs([okta(100, now_min - 900), okta(101, now_min - 1), okta(7, now_min - 593)]);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(
        (r[0]["records"].as_u64(), r[0]["events"].as_u64(), r[0]["duplicates"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(counts(&data), (44, 44));
    // A rate limit and a server error on the way are waited out and retried.
    sb.add_okta_logs((200..207).map(|i| okta(i, now_min)));
    sb.fail_next("/okta/api/v1/logs", 429, Some(1));
    sb.fail_next("/okta/api/v1/logs", 503, None);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(r[0]["events"].as_u64(), Some(7));
    // Health: read, lag known, no error.
    let h = ok_json(&data, &["--json", "sources", "--live"]);
    assert_eq!(h[0]["name"], "okta-prod");
    assert_eq!(h[0]["events_total"].as_u64(), Some(51));
    assert!(h[0]["last_error"].is_null() && h[0]["blind_spot"].is_null(), "{h}");
    assert!(h[0]["lag_ms"].as_i64().is_some_and(|l| l >= 0));

    // kill -9 in flight, 20 times: each poll is slowed (every page takes 40 ms), killed after a
    // random time, with records added between trials.
    let mut next = 1000u32;
    let mut trials = Vec::new();
    for trial in 0..20u64 {
        sb.add_okta_logs((next..next + 23).map(|i| okta(i, now_min - 300 + i64::from(i % 200))));
        next += 23;
        sb.delay("/okta/api/v1/logs", Duration::from_millis(40));
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("--data-dir")
            .arg(&data)
            .args(["poll", "--no-detect", "--secrets", &secrets])
            .env_remove("VIGIL_DATA_DIR")
            .env_remove("VIGIL_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kills over the poll: early (before the first commit), mid-page, late.
        let after = Duration::from_millis(30 + (trial * 37) % 400);
        std::thread::sleep(after);
        let killed = child.try_wait().unwrap().is_none();
        child.kill().ok(); // SIGKILL on Unix
        child.wait().unwrap();
        let (events, lake) = counts(&data);
        trials.push((trial, after.as_millis(), killed, events, lake));
    }
    sb.delay("/okta/api/v1/logs", Duration::ZERO);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(r[0]["caught_up"], true);
    println!("trial  kill after  killed in flight  events stored  lake rows");
    for (t, ms, k, e, l) in &trials {
        println!("{t:>5} {ms:>8} ms {k:>17} {e:>14} {l:>10}");
    }
    // Every distinct record the vendor holds is one event, in the store and in the lake.
    let distinct = 42 + 2 + 7 + 20 * 23;
    assert_eq!(counts(&data), (distinct, distinct), "none lost, none twice");
    assert!(trials.iter().filter(|t| t.2).count() >= 15, "most kills landed in flight: {trials:?}");
    // The audit log holds every completed poll.
    let audit = ok_json(&data, &["--json", "audit", "list", "--limit", "1000"]);
    assert!(audit.to_string().contains("source.poll"), "{audit}");

    // The credential revoked: each poll fails with Okta's reason; the third failure in a row
    // makes the source a blind spot, raised once as an alert of its own.
    std::fs::write(dir.path().join("secrets.env"), "okta_token=00revoked\n").unwrap();
    for n in 1..=4 {
        let out = vigil(&data, &["poll", "--secrets", &secrets, "--no-detect"]);
        assert!(!out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("HTTP 401") && text.contains("E0000011"),
            "poll {n}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!text.contains("00revoked"));
    }
    let h = ok_json(&data, &["--json", "sources", "--live"]);
    assert_eq!(h[0]["failures"].as_u64(), Some(4));
    assert!(h[0]["blind_spot"].as_str().is_some_and(|b| b.contains("failed 4 polls")), "{h}");
    let out = vigil(&data, &["--json", "alerts", "list", "--rule", "vigil-source-blind-spot"]);
    assert!(out.status.success());
    let alerts: Vec<Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let blind: Vec<&Value> = alerts.iter().filter(|a| a["rule"]["id"] == "vigil-source-blind-spot").collect();
    assert_eq!(blind.len(), 1, "one blind-spot alert per source and day: {alerts:?}");
    assert!(blind[0]["explanation"].as_str().unwrap().contains("okta-prod has failed"), "{}", blind[0]);
    // Triage queues it like any other alert.
    let out = vigil(&data, &["triage", "--investigate", "0"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = vigil(&data, &["--json", "incidents", "list"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Live source is a blind spot: okta-prod"));
    // Removing the source forgets its cursor and health; its events stay.
    let out = vigil(&data, &["connect", "remove", "okta-prod"]);
    assert!(out.status.success());
    assert_eq!(ok_json(&data, &["--json", "connect", "list"]), json!([]));
    assert_eq!(counts(&data).0, distinct);
}

/// A GitHub organization's audit log as a live source: read to its end (GitHub's last page has
/// no next link, so the next poll starts a while before the newest record read), decoded by the
/// GitHub audit decoder, and what is read again stores nothing twice.
#[test]
fn a_github_audit_log_source_reads_to_its_end_and_carries_on() {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["github"]["base_url"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secrets = dir.path().join("secrets.env");
    std::fs::write(&secrets, format!("github_token={}\n", sb.secrets().get("github_token").unwrap())).unwrap();
    let secrets = secrets.to_str().unwrap().to_string();
    let out = vigil(&data, &["connect", "add", "gh", "--kind", "github", "--url", &base, "--secret", "github_token"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("org"), "GitHub needs its organization");
    ok_json(
        &data,
        &[
            "--json",
            "connect",
            "add",
            "gh",
            "--kind",
            "github",
            "--url",
            &base,
            "--secret",
            "github_token",
            "--org",
            "acme",
            "--page-limit",
            "4",
        ],
    );
    let now = chrono::Utc::now().timestamp_millis();
    let rec = |i: i64| {
        json!({"@timestamp": now - 600_000 + i * 1000, "_document_id": format!("d{i}"), "action": "org.add_member",
               "actor": "octocat", "org": "acme", "user": format!("new{i}"), "actor_ip": "203.0.113.4"})
    };
    sb.add_github_audit((0..10).map(rec));
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(
        (r[0]["records"].as_u64(), r[0]["events"].as_u64(), r[0]["caught_up"].as_bool()),
        (Some(10), Some(10), Some(true))
    );
    let rows = ok_json(&data, &["--json", "query", "SELECT count(*) AS n FROM group_management"]);
    assert_eq!(rows[0]["n"], 10, "org.add_member read as group management by the GitHub decoder");
    sb.add_github_audit((10..12).map(rec));
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    // Past GitHub's last page the poll asks again from ten minutes before the newest record:
    // the ten already read come again and dedupe; the two new ones are stored.
    assert_eq!(
        (r[0]["records"].as_u64(), r[0]["events"].as_u64(), r[0]["duplicates"].as_u64()),
        (Some(12), Some(2), Some(10))
    );
    assert_eq!(counts(&data), (12, 12));
}

/// CloudTrail delivered to S3 as a live source: each log file a page, read in key order with
/// SigV4-signed requests, decoded by the CloudTrail decoder; nothing read twice.
#[test]
fn a_cloudtrail_bucket_source_reads_each_file_once() {
    let sb = Sandbox::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secrets = dir.path().join("secrets.env");
    let s = sb.secrets();
    std::fs::write(
        &secrets,
        format!(
            "aws_access_key_id={}\naws_secret_access_key={}\naws_session_token={}\n",
            s.get("aws_access_key_id").unwrap(),
            s.get("aws_secret_access_key").unwrap(),
            s.get("aws_session_token").unwrap()
        ),
    )
    .unwrap();
    let secrets = secrets.to_str().unwrap().to_string();
    let prefix = "AWSLogs/123456789012/CloudTrail/us-east-1/";
    let base = format!("{}/s3", sb.base_url());
    ok_json(
        &data,
        &[
            "--json",
            "connect",
            "add",
            "trail",
            "--kind",
            "cloudtrail",
            "--url",
            &base,
            "--org",
            "acme-trail",
            "--prefix",
            prefix,
            "--secret",
            "aws",
        ],
    );
    let day = chrono::Utc::now().format("%Y/%m/%d").to_string();
    let file = |n: u32, tag: &str| {
        let recs: Vec<Value> = (0..n)
            .map(|i| json!({"eventVersion": "1.08", "eventTime": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey", "awsRegion": "us-east-1",
                            "sourceIPAddress": "198.51.100.7", "userIdentity": {"type": "IAMUser", "userName": "bob"},
                            "eventID": format!("{tag}-{i}")}))
            .collect();
        json!({"Records": recs}).to_string().into_bytes()
    };
    sb.put_s3_object("acme-trail", &format!("{prefix}{day}/a.json"), file(3, "a"));
    sb.put_s3_object("acme-trail", &format!("{prefix}{day}/b.json"), file(2, "b"));
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(
        (r[0]["pages"].as_u64(), r[0]["records"].as_u64(), r[0]["events"].as_u64()),
        (Some(2), Some(5), Some(5)),
        "{r}"
    );
    let rows = ok_json(&data, &["--json", "query", "SELECT count(*) AS n FROM api_activity"]);
    assert_eq!(rows[0]["n"], 5);
    sb.put_s3_object("acme-trail", &format!("{prefix}{day}/c.json"), file(1, "c"));
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets, "--no-detect"]);
    assert_eq!(
        (r[0]["records"].as_u64(), r[0]["events"].as_u64(), r[0]["duplicates"].as_u64()),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(counts(&data), (6, 6));
}

/// A CrowdStrike Falcon alert as the Alerts API gives it, `minutes` before now.
fn falcon(n: u32, status: &str, severity: &str, host: &str, user: &str, minutes_ago: i64, updated_ago: i64) -> Value {
    let at = |m: i64| {
        (chrono::Utc::now() - chrono::Duration::minutes(m)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    };
    json!({
        "composite_id": format!("0c2b6b5f0c8c4a1d9e2f3a4b5c6d7e8f:ind:1a2b3c4d:{n}"),
        "created_timestamp": at(minutes_ago),
        "updated_timestamp": at(updated_ago),
        "status": status,
        "severity_name": severity,
        "severity": 70,
        "name": format!("Pattern{n}"),
        "display_name": format!("Falcon detection {n} on {host}"),
        "description": "A process accessed LSASS memory in a way consistent with credential theft.",
        "tactic": "Credential Access",
        "technique_id": "T1003.001",
        "confidence": 85,
        "device": {"hostname": host, "device_id": format!("dev-{host}"), "local_ip": format!("10.0.0.{n}"), "platform_name": "Windows"},
        "user_name": user,
        "cmdline": "procdump64.exe -ma lsass.exe out.dmp",
        "falcon_host_link": format!("https://falcon.crowdstrike.com/activity-v2/detections/{n}"),
    })
}

#[test]
fn an_edrs_own_alerts_are_polled_into_the_triage_queue() {
    let sb = Sandbox::start().unwrap();
    let base = sb.config()["crowdstrike"]["base_url"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let secrets = dir.path().join("secrets.env");
    let s = sb.secrets();
    std::fs::write(
        &secrets,
        format!(
            "falcon_client_id={}\nfalcon_client_secret={}\n",
            s.get("crowdstrike_client_id").unwrap(),
            s.get("crowdstrike_client_secret").unwrap()
        ),
    )
    .unwrap();
    let secrets = secrets.to_str().unwrap().to_string();
    ok_json(
        &data,
        &["--json", "connect", "add", "falcon", "--kind", "crowdstrike", "--url", &base, "--secret", "falcon"],
    );

    // Two open alerts and one Falcon already closed.
    sb.add_crowdstrike_alerts([
        falcon(1, "new", "High", "WS-7", "bob", 90, 89),
        falcon(2, "closed", "Critical", "WS-9", "eve", 80, 70),
        falcon(3, "new", "Medium", "SRV-2", "svc_backup", 60, 60),
    ]);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets]);
    assert_eq!((r[0]["records"].as_u64(), r[0]["events"].as_u64()), (Some(3), Some(3)), "{r}");
    assert_eq!(r[0]["alerts"].as_u64(), Some(2), "the closed alert stays an event: {r}");
    // Falcon updates alert 1 (an analyst took it): a new version, one more event, the same alert.
    sb.add_crowdstrike_alerts([falcon(1, "in_progress", "High", "WS-7", "bob", 90, 1)]);
    let r = ok_json(&data, &["--json", "poll", "--secrets", &secrets]);
    assert_eq!(r[0]["events"].as_u64(), Some(1), "{r}");
    let alerts = ok_json(&data, &["--json", "query", "SELECT count(*) AS n FROM events WHERE class_uid = 2004"]);
    assert_eq!(alerts[0]["n"].as_u64(), Some(4));

    // Triage queues them as it would Vigil's own detections.
    let t = ok_json(&data, &["--json", "triage", "--investigate", "0"]);
    assert_eq!(t["stats"]["raw_alerts"].as_u64(), Some(2), "{t}");
    let queue = ok_json(&data, &["--json", "incidents", "list"]).to_string();
    assert!(queue.contains("Falcon detection 1 on WS-7"), "{queue}");
    assert!(!queue.contains("Falcon detection 2"), "a closed alert is not queued: {queue}");
    let out = vigil(&data, &["--json", "alerts", "list"]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert!(shown.contains("crowdstrike:Pattern1") && shown.contains("\"vendor\""), "{shown}");
}

/// `vigil serve --syslog-tcp … --tail …`: messages over TCP and lines appended to a followed file
/// reach the lake; stopped and started again, the file is read on from where it was left.
#[test]
fn serve_receives_syslog_and_follows_a_file_across_a_restart() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("auth.log");
    std::fs::write(&log, "Mar  2 09:00:00 web1 sshd[1]: an old line, before the file was followed\n").unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let syslog = format!("127.0.0.1:{port}");
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_vigil"))
            .arg("--data-dir")
            .arg(&data)
            .args(["serve", "--listen", "127.0.0.1:0", "--insecure-cookies", "--syslog-tcp", &syslog, "--tail"])
            .arg(&log)
            .env("VIGIL_ADMIN_PASSWORD", "a-long-test-password-1")
            .env_remove("VIGIL_DATA_DIR")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start vigil serve")
    };
    let offset = || -> Option<u64> {
        let pos = std::fs::read_dir(data.join("tail"))
            .ok()?
            .flatten()
            .find(|e| e.path().extension().is_some_and(|x| x == "json"))?;
        serde_json::from_slice::<Value>(&std::fs::read(pos.path()).ok()?).ok()?["offset"].as_u64()
    };
    let until = |what: &str, f: &dyn Fn() -> bool| {
        for _ in 0..600 {
            if f() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("timed out waiting for {what}");
    };
    let append = |n: u32| {
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        writeln!(
            f,
            "Mar  2 10:00:{n:02} web1 sshd[{n}]: Failed password for root from 198.51.100.{n} port 4{n:04} ssh2"
        )
        .unwrap();
    };
    let stop = |mut child: std::process::Child| {
        // SIGTERM: the server spools what it holds and ingests the spool before it exits.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        assert!(child.wait().unwrap().success());
    };

    let child = serve();
    let mut tcp = None;
    until("the syslog listener", &|| std::net::TcpStream::connect(&syslog).is_ok());
    for _ in 0..50 {
        if let Ok(s) = std::net::TcpStream::connect(&syslog) {
            tcp = Some(s);
            break;
        }
    }
    let mut tcp = tcp.unwrap();
    for n in 0..4 {
        writeln!(tcp, "<38>1 2026-03-02T10:00:{n:02}Z web1 sshd {n} - - Accepted publickey for u{n} from 203.0.113.{n} port 5{n:04} ssh2").unwrap();
    }
    drop(tcp);
    // The file is followed from its end: lines written after it was first read are taken.
    until("the file to be followed", &|| offset().is_some());
    append(10);
    append(11);
    let len = || std::fs::metadata(&log).unwrap().len();
    until("the appended lines", &|| offset() == Some(len()));
    stop(child);
    assert_eq!(counts(&data), (6, 6), "4 messages and 2 lines; not the line written before");

    // Written while stopped: read on start, from where it was left.
    append(12);
    let child = serve();
    until("the line written while stopped", &|| offset() == Some(len()));
    stop(child);
    assert_eq!(counts(&data), (7, 7));
}
