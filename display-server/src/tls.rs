//! The display's TLS key and certificate, and the rustls configuration of its TCP port.
//!
//! As SSH's host key: at its first start a server makes a key and a self-signed certificate
//! (rcgen, ECDSA P-256) in an owner-only directory that outlives restarts, and every later
//! start uses them again, so the fingerprint that clients pin stays the same. The directory
//! is [`TLS_DIR_ENV`] when set, else `$XDG_CONFIG_HOME/netui/tls`, else
//! `~/.config/netui/tls`; it holds `key.pem` and `cert.pem`, both mode 0600, and a server
//! refuses to start if others could read them. `--tls-cert`/`--tls-key` take a certificate
//! of the user's own instead, which clients check against the web's root authorities.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use netui_protocol::token::{Fingerprint, TlsTrust};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::ServerError;
use crate::runtime;

/// The environment variable that names the directory of the display's key and certificate
/// (tests point it at a temporary directory).
pub const TLS_DIR_ENV: &str = "NETUI_TLS_DIR";

/// The directory of this user's display key and certificate: [`TLS_DIR_ENV`], else
/// `$XDG_CONFIG_HOME/netui/tls`, else `$HOME/.config/netui/tls`.
pub fn key_dir() -> Result<PathBuf, ServerError> {
    let var = |name| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var(TLS_DIR_ENV) {
        return Ok(dir);
    }
    if let Some(config) = var("XDG_CONFIG_HOME") {
        return Ok(config.join("netui").join("tls"));
    }
    match var("HOME") {
        Some(home) => Ok(home.join(".config").join("netui").join("tls")),
        None => Err(ServerError::Tls(format!(
            "no place for the display's TLS key: set {TLS_DIR_ENV}, XDG_CONFIG_HOME or HOME"
        ))),
    }
}

/// The SHA-256 fingerprint of a certificate (its DER bytes), as clients pin it.
pub fn fingerprint(cert_der: &[u8]) -> Fingerprint {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert_der);
    let mut bytes = [0; 32];
    bytes.copy_from_slice(digest.as_ref());
    Fingerprint(bytes)
}

/// The TLS side of a display's TCP port: its rustls configuration and how clients trust it.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<rustls::ServerConfig>,
    /// The SHA-256 of the certificate that the server presents.
    pub fingerprint: Fingerprint,
    /// What the token file tells clients: pin the fingerprint (a self-signed certificate), or
    /// check the certificate against the web's roots (a certificate of the user's own).
    pub trust: TlsTrust,
    /// Where the certificate is, for messages.
    pub cert_path: PathBuf,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("fingerprint", &self.fingerprint)
            .field("trust", &self.trust)
            .field("cert_path", &self.cert_path)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The key and self-signed certificate in `dir`, made there (with the directory, mode
    /// 0700) if there are none yet. Refused when the directory or either file could be
    /// read by others, or only one of the two is there.
    pub fn load_or_create(dir: &Path) -> Result<Self, ServerError> {
        runtime::ensure_private_dir(dir)?;
        let key_path = dir.join("key.pem");
        let cert_path = dir.join("cert.pem");
        match (key_path.exists(), cert_path.exists()) {
            (true, true) => {}
            (false, false) => create(&key_path, &cert_path)?,
            _ => {
                return Err(ServerError::Tls(format!(
                    "{} holds only one of key.pem and cert.pem: remove the other to have a \
                     new key made (clients will then need the new token file)",
                    dir.display()
                )))
            }
        }
        check_private_file(&key_path)?;
        check_private_file(&cert_path)?;
        let mut tls = Self::load(&cert_path, &key_path)?;
        tls.trust = TlsTrust::Pin(tls.fingerprint);
        Ok(tls)
    }

    /// A certificate (chain) and key of the user's own (`--tls-cert`, `--tls-key`), in PEM;
    /// clients check it against the web's root authorities and the host name. The key file
    /// must be readable by its owner only (a certificate is public).
    pub fn from_files(cert_path: &Path, key_path: &Path) -> Result<Self, ServerError> {
        check_private_file(key_path)?;
        Self::load(cert_path, key_path)
    }

    fn load(cert_path: &Path, key_path: &Path) -> Result<Self, ServerError> {
        let bad = |path: &Path, e: &dyn std::fmt::Display| {
            ServerError::Tls(format!("cannot read {}: {e}", path.display()))
        };
        let chain = CertificateDer::pem_file_iter(cert_path)
            .map_err(|e| bad(cert_path, &e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| bad(cert_path, &e))?;
        let Some(end_entity) = chain.first() else {
            return Err(ServerError::Tls(format!(
                "{} holds no certificate",
                cert_path.display()
            )));
        };
        let fingerprint = fingerprint(end_entity);
        let key = PrivateKeyDer::from_pem_file(key_path).map_err(|e| bad(key_path, &e))?;
        let config = rustls::ServerConfig::builder_with_provider(netui::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| ServerError::Tls(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| {
                ServerError::Tls(format!(
                    "the key {} does not go with the certificate {}: {e}",
                    key_path.display(),
                    cert_path.display()
                ))
            })?;
        let mut config = config;
        // No session tickets: clients make a new configuration per connection and never
        // resume, so tickets would only be bytes on the link (two of them, by default, after
        // every handshake).
        config.send_tls13_tickets = 0;
        Ok(Self {
            config: Arc::new(config),
            fingerprint,
            trust: TlsTrust::Roots,
            cert_path: cert_path.to_owned(),
        })
    }

    /// The acceptor of the TCP port's connections (a test's impostor uses one too).
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config))
    }
}

/// Makes a key and a self-signed certificate for it, each in a new file of mode 0600.
fn create(key_path: &Path, cert_path: &Path) -> Result<(), ServerError> {
    // netui's clients pin the certificate's digest and look at no name; VNC viewers that
    // trust it as their CA (VeNCrypt, TigerVNC's X509CA) check the name they connected to.
    let names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    let certified = rcgen::generate_simple_self_signed(names)
        .map_err(|e| ServerError::Tls(format!("cannot make a TLS certificate: {e}")))?;
    write_private(key_path, &certified.key_pair.serialize_pem())?;
    write_private(cert_path, &certified.cert.pem())?;
    tracing::info!(
        key = %key_path.display(),
        fingerprint = %fingerprint(certified.cert.der()),
        "made the display's TLS key and certificate"
    );
    Ok(())
}

fn write_private(path: &Path, text: &str) -> Result<(), ServerError> {
    let io = |e| ServerError::Io(format!("cannot write {}", path.display()), e);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)
}

/// Checks that `path` is a file of this user's that nobody else may read or write.
fn check_private_file(path: &Path) -> Result<(), ServerError> {
    let meta = fs::metadata(path)
        .map_err(|e| ServerError::Io(format!("cannot read {}", path.display()), e))?;
    let uid = rustix::process::getuid().as_raw();
    if !meta.is_file() || meta.uid() != uid {
        return Err(ServerError::Tls(format!(
            "{} is not a file owned by you (uid {uid})",
            path.display()
        )));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(ServerError::Tls(format!(
            "{} can be read by other users, who could then pose as this display: run \
             chmod 600 {} (and, if they may have read it, remove the key and certificate to \
             have new ones made)",
            path.display(),
            path.display()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_made_once_and_kept() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tls_dir = dir.path().join("tls");
        let first = ServerTls::load_or_create(&tls_dir).expect("made");
        let again = ServerTls::load_or_create(&tls_dir).expect("loaded");
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_eq!(again.trust, TlsTrust::Pin(again.fingerprint));
        for file in ["key.pem", "cert.pem", ""] {
            let mode = fs::metadata(tls_dir.join(file))
                .expect("there")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "{file:?} is {mode:o}");
        }
    }

    #[test]
    fn a_certificate_of_ones_own_is_checked_against_the_roots_and_its_key_kept_private() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tls_dir = dir.path().join("tls");
        let made = ServerTls::load_or_create(&tls_dir).expect("made");
        let (cert, key) = (tls_dir.join("cert.pem"), tls_dir.join("key.pem"));
        let own = ServerTls::from_files(&cert, &key).expect("loaded");
        assert_eq!(own.trust, TlsTrust::Roots);
        assert_eq!(own.fingerprint, made.fingerprint);
        // A certificate is public; its key is not.
        fs::set_permissions(&cert, fs::Permissions::from_mode(0o644)).expect("chmod");
        ServerTls::from_files(&cert, &key).expect("a readable certificate is fine");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).expect("chmod");
        let e = ServerTls::from_files(&cert, &key).expect_err("a readable key is refused");
        assert!(e.to_string().contains("chmod 600"), "{e}");
        fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).expect("chmod");
        // A key that is not the certificate's.
        let other = dir.path().join("other");
        ServerTls::load_or_create(&other).expect("another");
        let e = ServerTls::from_files(&cert, &other.join("key.pem")).expect_err("refused");
        assert!(e.to_string().contains("does not go with"), "{e}");
    }

    #[test]
    fn files_that_others_can_read_are_refused() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let tls_dir = dir.path().join("tls");
        ServerTls::load_or_create(&tls_dir).expect("made");
        for file in ["key.pem", "cert.pem"] {
            let path = tls_dir.join(file);
            fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).expect("chmod");
            let e = ServerTls::load_or_create(&tls_dir).expect_err("refused");
            assert!(
                e.to_string().contains("can be read by other users")
                    && e.to_string().contains("chmod 600"),
                "{e}"
            );
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        fs::remove_file(tls_dir.join("cert.pem")).expect("removed");
        let e = ServerTls::load_or_create(&tls_dir).expect_err("refused");
        assert!(e.to_string().contains("only one of"), "{e}");
    }
}
