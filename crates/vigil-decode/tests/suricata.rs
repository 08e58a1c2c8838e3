//! The Suricata EVE decoder: alerts as detection findings, protocol records as network activity
//! of their kind, what is quarantined and why, and the alerts of
//! `$VIGIL_CORPUS/suricata-sample-data/samples/*/alerts-only.json` (skipped, with a message,
//! when `VIGIL_CORPUS` is not set) with their counts asserted.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vigil_decode::{Decoded, Options, decode_unit};
use vigil_model::{Event, OcsfClass, QuarantineRecord, Severity};

fn run(data: &[u8]) -> (Vec<Event>, Vec<QuarantineRecord>) {
    let (mut ev, mut q) = (Vec::new(), Vec::new());
    let stats = decode_unit("eve.json", data, &Options::default(), &mut |d| match d {
        Decoded::Event(e) => ev.push(*e),
        Decoded::Quarantine(r) => q.push(r),
    });
    assert_eq!((stats.events as usize, stats.quarantined as usize), (ev.len(), q.len()));
    (ev, q)
}

const EVE: &str = r#"{"timestamp":"2018-03-24T14:37:19.037299-0600","flow_id":928532049924531,"event_type":"alert","src_ip":"203.0.113.9","src_port":26078,"dest_ip":"10.47.8.150","dest_port":22,"proto":"TCP","alert":{"action":"allowed","gid":1,"signature_id":2001219,"rev":20,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":1},"flow":{"bytes_toserver":74,"bytes_toclient":0}}
{"timestamp":"2018-03-24T14:37:20.000000+0000","flow_id":1,"event_type":"dns","src_ip":"10.0.0.5","src_port":5353,"dest_ip":"10.0.0.1","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"evil.example","rrtype":"A"}}
{"timestamp":"2018-03-24T14:37:21Z","flow_id":2,"event_type":"http","src_ip":"10.0.0.5","dest_ip":"198.51.100.7","dest_port":80,"proto":"TCP","http":{"hostname":"example.org","url":"/a.exe","http_method":"GET","status":200,"http_user_agent":"curl/8"}}
{"timestamp":"yesterday","flow_id":3,"event_type":"flow","src_ip":"10.0.0.5","dest_ip":"10.0.0.6"}
{"timestamp":"2018-03-24T14:37:22Z","flow_id":4,"src_ip":"10.0.0.5","dest_ip":"10.0.0.6","event_type":7}
"#;

#[test]
fn alerts_are_findings_and_protocol_records_their_activity() {
    let (ev, q) = run(EVE.as_bytes());
    assert_eq!(ev.len(), 3, "{q:?}");
    let a = &ev[0];
    assert_eq!((a.class, a.severity), (OcsfClass::DetectionFinding, Severity::High));
    assert_eq!(a.time, 1_521_923_839_037, "-0600 read as an offset");
    assert_eq!(a.message.as_deref(), Some("ET SCAN Potential SSH Scan"));
    assert_eq!(a.metadata.event_code.as_deref(), Some("2001219:20"));
    assert_eq!(a.metadata.original_uid.as_deref(), Some("928532049924531"));
    let (s, d) = (a.src_endpoint.as_ref().unwrap(), a.dst_endpoint.as_ref().unwrap());
    assert_eq!((s.ip.as_deref(), d.ip.as_deref(), d.port), (Some("203.0.113.9"), Some("10.47.8.150"), Some(22)));
    assert_eq!(ev[1].class, OcsfClass::DnsActivity);
    assert_eq!(ev[1].dns.as_ref().and_then(|x| x.query.as_deref()), Some("evil.example"));
    assert_eq!(ev[2].class, OcsfClass::HttpActivity);
    assert_eq!(ev[2].http.as_ref().and_then(|h| h.url.as_deref()), Some("example.org/a.exe"));
    // An unreadable time and an event type that is not text: quarantined, each saying which.
    assert_eq!(q.len(), 2);
    assert!(q[0].reason.contains("timestamp"), "{}", q[0].reason);
    assert!(q[1].locator.starts_with("line 5") && q[1].reason.contains("event_type"), "{q:?}");
}

#[test]
fn suricata_sample_data_alerts() {
    let Some(root) = std::env::var_os("VIGIL_CORPUS").map(PathBuf::from) else {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "skipping the Suricata corpus test: VIGIL_CORPUS is not set");
        return;
    };
    let dir = root.join("suricata-sample-data/samples");
    let mut per_file = BTreeMap::new();
    let mut severity: BTreeMap<String, usize> = BTreeMap::new();
    for set in ["first-org-conf-2015", "honeypot-2018", "wrccdc-2017", "wrccdc-2018"] {
        let f = dir.join(set).join("alerts-only.json");
        let data = std::fs::read(&f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let (ev, q) = run(&data);
        assert!(q.is_empty(), "{set}: {:?}", q.first());
        assert!(ev.iter().all(|e| e.class == OcsfClass::DetectionFinding && e.message.is_some()), "{set}");
        for e in &ev {
            *severity.entry(format!("{:?}", e.severity)).or_default() += 1;
        }
        per_file.insert(set, ev.len());
    }
    println!("{per_file:?} {severity:?}");
    let want: BTreeMap<String, usize> =
        [("High", 203), ("Low", 128), ("Medium", 217)].into_iter().map(|(k, n)| (k.to_string(), n)).collect();
    assert_eq!(severity, want, "Suricata's severities 1, 2 and 3");
    assert_eq!(
        per_file.into_iter().collect::<Vec<_>>(),
        vec![("first-org-conf-2015", 136), ("honeypot-2018", 44), ("wrccdc-2017", 161), ("wrccdc-2018", 207)]
    );
}
