//! Syslog over UDP, TCP and TLS, and a followed file, reach the lake through the ingest spool:
//! framing that survives split, oversized and cut-off messages, a file followed through
//! rotation (also one that happened while the server was stopped) and restarts, with nothing
//! lost and nothing read twice.

mod common;

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use vigil_server::listen::{self, ListenConfig};
use vigil_store::StateStore;

fn local() -> Option<std::net::SocketAddr> {
    Some("127.0.0.1:0".parse().unwrap())
}

/// Waits until `f` holds (or fails the test after 20 s).
async fn until(what: &str, f: impl Fn() -> bool) {
    for _ in 0..200 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

fn line(host: &str, n: u32) -> String {
    format!(
        "<38>1 2026-03-02T10:{:02}:{:02}Z {host} sshd {n} - - Failed password for root from 198.51.100.{} port {} ssh2\n",
        n / 60 % 60,
        n % 60,
        n % 250,
        40000 + n
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_over_udp_and_tcp_and_a_followed_file_reach_the_lake() {
    let files = tempfile::tempdir().unwrap();
    let log = files.path().join("app.log");
    // What the file held before it was followed is not read (that is `vigil ingest`'s job).
    append(&log, &line("old", 1));
    append(&log, &line("old", 2));
    let env = common::env_with(|c| {
        c.listen = ListenConfig {
            syslog_udp: local(),
            syslog_tcp: local(),
            syslog_tls: None,
            tails: vec![log.clone()],
            max_message_bytes: 512,
        }
    });
    let running = listen::start(env.state.clone(), None).await.unwrap();
    let stats = env.state.listen_stats.clone();

    // UDP: one message per datagram, or several separated by newlines.
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let to = running.bound.udp.unwrap();
    udp.send_to(line("udp", 10).as_bytes(), to).await.unwrap();
    udp.send_to(format!("{}{}", line("udp", 11), line("udp", 12)).as_bytes(), to).await.unwrap();
    udp.send_to(b"<13>Mar  2 10:00:13 udp app: no newline at the end", to).await.unwrap();

    // TCP: octet counting and newlines mixed, split anywhere; an oversized message; a last
    // message cut by the close.
    let mut tcp = tokio::net::TcpStream::connect(running.bound.tcp.unwrap()).await.unwrap();
    let counted = line("tcp", 20);
    let counted = counted.trim_end();
    let stream = format!(
        "{} {counted}{}<13>Mar  2 10:00:22 tcp app: {}\n{}<13>Mar  2 10:00:24 tcp app: last",
        counted.len(),
        line("tcp", 21),
        "x".repeat(2000),
        line("tcp", 23)
    );
    for chunk in stream.as_bytes().chunks(7) {
        tcp.write_all(chunk).await.unwrap();
    }
    tcp.shutdown().await.unwrap();
    drop(tcp);

    until("the network messages", || stats.messages.load(Ordering::Relaxed) == 9).await;
    assert_eq!(stats.truncated.load(Ordering::Relaxed), 1);

    // The file: lines appended, then rotated: renamed, a line its writer still appends to the
    // renamed file after the tail has seen the rename, then the new file.
    tokio::time::sleep(Duration::from_millis(700)).await;
    append(&log, &line("file", 30));
    append(&log, &line("file", 31));
    until("the appended lines", || stats.tailed_lines.load(Ordering::Relaxed) == 2).await;
    std::fs::rename(&log, files.path().join("app.log.1")).unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    append(&files.path().join("app.log.1"), &line("file", 32));
    append(&log, &line("file", 33));
    until("the rotated and new lines", || stats.tailed_lines.load(Ordering::Relaxed) == 4).await;

    running.stop().await;
    // Stopped: a line written, then a rotation, then the new file's first line.
    append(&log, &line("file", 34));
    std::fs::rename(&log, files.path().join("app.log.2")).unwrap();
    append(&log, &line("file", 35));
    let again = listen::start(env.state.clone(), None).await.unwrap();
    until("the lines written while stopped", || stats.tailed_lines.load(Ordering::Relaxed) == 6).await;
    again.stop().await;

    let st = env.state.clone();
    tokio::task::spawn_blocking(move || st.ingest.shutdown()).await.unwrap();
    let store = env.state.store().unwrap();
    // 9 messages over the network, 6 lines from the file; nothing quarantined, nothing twice.
    assert_eq!(store.event_count().unwrap(), 15);
    assert_eq!(store.quarantine_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syslog_over_tls_uses_the_servers_certificate() {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["vigil.test".to_string()]).unwrap().self_signed(&key).unwrap();
    let files = vigil_server::tls::TlsFiles { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem") };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    let env = common::env_with(|c| {
        c.listen = ListenConfig { syslog_tls: local(), ..ListenConfig::default() };
        c.tls = Some(files.clone());
    });
    // Without the certificate, TLS does not start.
    let err = listen::start(env.state.clone(), None).await.err().expect("TLS without a certificate is refused");
    assert!(err.to_string().contains("--tls-cert"), "{err}");
    let certs = std::sync::Arc::new(vigil_server::tls::Certificates::load(&files).unwrap());
    let running = listen::start(env.state.clone(), Some(certs)).await.unwrap();

    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert.pem().as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(running.bound.tls.unwrap()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("vigil.test".to_string()).unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    let m = line("tls", 40);
    let m = m.trim_end();
    tls.write_all(format!("{} {m}{}", m.len(), line("tls", 41)).as_bytes()).await.unwrap();
    tls.shutdown().await.unwrap();
    // A client that does not speak TLS is dropped without a message.
    let mut plain = tokio::net::TcpStream::connect(running.bound.tls.unwrap()).await.unwrap();
    plain.write_all(line("plain", 42).as_bytes()).await.unwrap();
    drop(plain);
    let stats = env.state.listen_stats.clone();
    until("the TLS messages", || stats.messages.load(Ordering::Relaxed) == 2).await;
    running.stop().await;
    let st = env.state.clone();
    tokio::task::spawn_blocking(move || st.ingest.shutdown()).await.unwrap();
    let store = env.state.store().unwrap();
    assert_eq!((store.event_count().unwrap(), store.quarantine_count().unwrap()), (2, 0));
}
