//! TLS for the server: the certificate chain and private key read from PEM files, served with
//! rustls (TLS 1.2 and 1.3, the ring provider's default cipher suites), and reloaded when either
//! file changes so a renewed certificate takes effect without a restart.
//!
//! A reload that fails (a half-written file, a key that does not match the certificate) keeps
//! the certificate in use and logs why; the next change is tried again. Connections already
//! open keep the certificate they were handshaked with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Where the server's certificate chain and private key live (`--tls-cert`, `--tls-key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    /// PEM: the server certificate first, then any intermediates.
    pub cert: PathBuf,
    /// PEM: a PKCS#8, PKCS#1 (RSA) or SEC1 (EC) private key.
    pub key: PathBuf,
}

/// How often the files are checked for a change.
pub const RELOAD_EVERY: Duration = Duration::from_secs(10);

/// Why the certificate or key could not be used; names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("reading {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {what}")]
    Pem { path: PathBuf, what: String },
    #[error("the key in {key} cannot serve the certificate in {cert}: {what}")]
    Mismatch { cert: PathBuf, key: PathBuf, what: String },
}

/// The files' identity when last loaded: a change in size or modification time triggers a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    cert: (u64, Option<SystemTime>),
    key: (u64, Option<SystemTime>),
}

fn stamp_of(path: &Path) -> (u64, Option<SystemTime>) {
    match std::fs::metadata(path) {
        Ok(m) => (m.len(), m.modified().ok()),
        Err(_) => (0, None),
    }
}

/// The configuration new connections are handshaked with, swapped on reload.
pub struct Certificates {
    files: TlsFiles,
    current: RwLock<Arc<ServerConfig>>,
    stamp: RwLock<Stamp>,
}

impl Certificates {
    /// Loads both files; an error here stops the server from starting.
    pub fn load(files: &TlsFiles) -> Result<Certificates, TlsError> {
        let stamp = Stamp { cert: stamp_of(&files.cert), key: stamp_of(&files.key) };
        let config = server_config(files)?;
        Ok(Certificates { files: files.clone(), current: RwLock::new(Arc::new(config)), stamp: RwLock::new(stamp) })
    }

    /// The configuration for the next handshake.
    pub fn current(&self) -> Arc<ServerConfig> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads when either file changed since the last load; `Ok(true)` when a new certificate
    /// is now served. On error the previous certificate stays in use.
    pub fn reload_if_changed(&self) -> Result<bool, TlsError> {
        let now = Stamp { cert: stamp_of(&self.files.cert), key: stamp_of(&self.files.key) };
        let last = match self.stamp.read() {
            Ok(s) => *s,
            Err(p) => *p.into_inner(),
        };
        if now == last {
            return Ok(false);
        }
        // Remember the attempt either way, so a broken file is reported once per change.
        match self.stamp.write() {
            Ok(mut s) => *s = now,
            Err(p) => *p.into_inner() = now,
        }
        let config = Arc::new(server_config(&self.files)?);
        match self.current.write() {
            Ok(mut c) => *c = config,
            Err(p) => *p.into_inner() = config,
        }
        Ok(true)
    }
}

/// Builds a rustls server configuration from the two PEM files (HTTP/1.1 over ALPN).
pub fn server_config(files: &TlsFiles) -> Result<ServerConfig, TlsError> {
    let cert_pem = read(&files.cert)?;
    let key_pem = read(&files.key)?;
    let mut chain = Vec::new();
    for c in CertificateDer::pem_slice_iter(&cert_pem) {
        chain.push(
            c.map_err(|e| TlsError::Pem { path: files.cert.clone(), what: format!("not a PEM certificate: {e}") })?,
        );
    }
    if chain.is_empty() {
        return Err(TlsError::Pem { path: files.cert.clone(), what: "holds no CERTIFICATE block".into() });
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::Pem {
        path: files.key.clone(),
        what: format!("holds no usable private key (PKCS#8, RSA or EC PEM): {e}"),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError::Mismatch { cert: files.cert.clone(), key: files.key.clone(), what: e.to_string() })?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Mismatch { cert: files.cert.clone(), key: files.key.clone(), what: e.to_string() })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Certificate files are small; anything past this is not one.
const MAX_PEM_BYTES: u64 = 1 << 20;

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    use std::io::Read;
    let f = std::fs::File::open(path).map_err(|source| TlsError::Read { path: path.to_path_buf(), source })?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(|source| TlsError::Read { path: path.to_path_buf(), source })?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::Pem { path: path.to_path_buf(), what: format!("larger than {MAX_PEM_BYTES} bytes") });
    }
    Ok(buf)
}

/// Checks the files every [`RELOAD_EVERY`] until the task is dropped.
pub async fn watch(certs: Arc<Certificates>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let c = certs.clone();
        match tokio::task::spawn_blocking(move || c.reload_if_changed()).await {
            Ok(Ok(true)) => tracing::info!("TLS certificate reloaded from {}", certs.files.cert.display()),
            Ok(Ok(false)) => {}
            Ok(Err(e)) => tracing::error!("TLS certificate not reloaded (the previous one stays in use): {e}"),
            Err(e) => tracing::error!("TLS certificate reload: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path, name: &str) -> TlsFiles {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap().self_signed(&key).unwrap();
        let files = TlsFiles { cert: dir.join("cert.pem"), key: dir.join("key.pem") };
        std::fs::write(&files.cert, cert.pem()).unwrap();
        std::fs::write(&files.key, key.serialize_pem()).unwrap();
        files
    }

    #[test]
    fn loads_a_pair_and_names_what_is_wrong_with_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pair(dir.path(), "localhost");
        assert!(server_config(&files).is_ok());

        let missing = TlsFiles { cert: dir.path().join("nope.pem"), key: files.key.clone() };
        let e = server_config(&missing).unwrap_err().to_string();
        assert!(e.contains("nope.pem"), "{e}");

        std::fs::write(dir.path().join("garbage.pem"), b"hello\n").unwrap();
        let garbage = TlsFiles { cert: dir.path().join("garbage.pem"), key: files.key.clone() };
        let e = server_config(&garbage).unwrap_err().to_string();
        assert!(e.contains("garbage.pem") && e.contains("no CERTIFICATE"), "{e}");

        let nokey = TlsFiles { cert: files.cert.clone(), key: files.cert.clone() };
        let e = server_config(&nokey).unwrap_err().to_string();
        assert!(e.contains("private key"), "{e}");

        // A key that is not the certificate's.
        let other = tempfile::tempdir().unwrap();
        let other_files = write_pair(other.path(), "localhost");
        let mismatched = TlsFiles { cert: files.cert.clone(), key: other_files.key };
        let e = server_config(&mismatched).unwrap_err().to_string();
        assert!(e.contains("cannot serve"), "{e}");

        std::fs::write(dir.path().join("huge.pem"), vec![b'A'; (MAX_PEM_BYTES + 10) as usize]).unwrap();
        let huge = TlsFiles { cert: dir.path().join("huge.pem"), key: files.key };
        let e = server_config(&huge).unwrap_err().to_string();
        assert!(e.contains("larger than"), "{e}");
    }

    #[test]
    fn a_broken_reload_keeps_the_previous_certificate() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pair(dir.path(), "localhost");
        let certs = Certificates::load(&files).unwrap();
        let first = certs.current();
        assert!(!certs.reload_if_changed().unwrap(), "nothing changed");
        // Half-written certificate: refused, the old configuration stays.
        std::fs::write(&files.cert, b"-----BEGIN CERTIFICATE-----\nMIIB").unwrap();
        assert!(certs.reload_if_changed().is_err());
        assert!(Arc::ptr_eq(&first, &certs.current()));
        // A good pair again: served.
        write_pair(dir.path(), "vigil.example");
        assert!(certs.reload_if_changed().unwrap());
        assert!(!Arc::ptr_eq(&first, &certs.current()));
    }
}
