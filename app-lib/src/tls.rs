//! TLS 1.3 below a connection: [`TlsClient`] says how to trust the server (the pin from the
//! token file, or the web's root authorities), and [`TlsTransport`] runs the handshake over
//! any other [`Transport`] before the netui hello, so that the token and everything after it
//! travel encrypted.
//!
//! A pinned server is trusted when the SHA-256 of the certificate it presents is the one in
//! the token file, as SSH trusts a host key in `known_hosts`: names and dates are not looked
//! at (a display's self-signed certificate has no authority to vouch for it), but the
//! handshake's signature still is, so only the holder of the certificate's key passes. A
//! server with another certificate is refused before anything of the client's, the token
//! included, is sent: TLS 1.3 sends the client's first application bytes only after it has
//! accepted the server's certificate.
//!
//! ```no_run
//! use netui::tls::{TlsClient, TlsTransport};
//! use netui::transport::Stream;
//! use netui_protocol::token::Fingerprint;
//!
//! let socket = std::net::TcpStream::connect("192.0.2.7:7101")?;
//! let tls = TlsClient::pinned(Fingerprint([0; 32]), "192.0.2.7", "192.0.2.7:1");
//! let transport = TlsTransport::new(Stream::Tcp(socket), tls);
//! let display = netui::Display::connect_stream(transport, Some(vec![0; 32]), "192.0.2.7:1".into(), "app")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Mutex};

use netui_protocol::token::Fingerprint;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use subtle_eq::ct_eq;

use crate::transport::Transport;

/// Bytes read from the stream under TLS at a time. rustls asks for at most 4 KiB a time;
/// a buffer below it turns a bulk stream's read system calls (one per 4 KiB, most of what
/// TLS cost bulk images over plain TCP) into one per 64 KiB.
pub const TLS_READ_BUFFER: usize = 64 * 1024;

/// Bytes that TLS seals before it writes them out: rustls's 64 KiB by default, a write
/// system call per 64 KiB of a bulk stream; at 1 MiB, one (of up to 64 records) per MiB.
/// Only a large batch fills it: a small one is written as soon as it is sealed.
pub const TLS_WRITE_BUFFER: usize = 1 << 20;

/// The SHA-256 fingerprint of a certificate (its DER bytes).
pub fn fingerprint(cert_der: &[u8]) -> Fingerprint {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert_der);
    let mut bytes = [0; 32];
    bytes.copy_from_slice(digest.as_ref());
    Fingerprint(bytes)
}

/// The crypto that every netui TLS connection uses: rustls's ring provider, with AES-128-GCM
/// first. rustls lists AES-256-GCM first; with 10 AES rounds to its 14, AES-128 seals and
/// opens bulk images measurably faster, and TLS 1.3 makes it the suite that every peer has.
/// A server takes the client's order, so a netui client asks for it and a browser (which
/// asks for it too) gets it.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = vec![
        cipher_suite::TLS13_AES_128_GCM_SHA256,
        cipher_suite::TLS13_AES_256_GCM_SHA384,
        cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    Arc::new(provider)
}

/// How a client trusts a TLS server, and the name it gives it.
#[derive(Clone)]
pub struct TlsClient {
    config: Arc<ClientConfig>,
    server_name: ServerName<'static>,
    /// The display, for messages.
    display: String,
    /// The pin, when pinned.
    pin: Option<Fingerprint>,
    /// The fingerprint of a certificate that did not match the pin, set by the verifier.
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("server_name", &self.server_name)
            .field("pin", &self.pin)
            .finish_non_exhaustive()
    }
}

impl TlsClient {
    /// Trusts the server whose certificate has this SHA-256 fingerprint, and no other.
    /// `host` is sent as the server's name (when it is a DNS name), `display` names the
    /// display in messages.
    pub fn pinned(pin: Fingerprint, host: &str, display: &str) -> Self {
        let provider = provider();
        let mismatch = Arc::new(Mutex::new(None));
        let verifier = Arc::new(PinVerifier {
            pin,
            algorithms: provider.signature_verification_algorithms,
            mismatch: Arc::clone(&mismatch),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            // The ring provider supports TLS 1.3: cannot fail.
            .expect("ring supports TLS 1.3")
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        Self {
            config: Arc::new(config),
            server_name: server_name(host),
            display: display.to_owned(),
            pin: Some(pin),
            mismatch,
        }
    }

    /// Trusts a server whose certificate a root authority vouches for, for the name `host`:
    /// a server with a certificate of its own (`display-server --tls-cert`). The authorities
    /// are the web's (Mozilla's list, as browsers have it, compiled in) and those this
    /// machine trusts: its trust store, or the files that `SSL_CERT_FILE` and `SSL_CERT_DIR`
    /// name, as OpenSSL reads them (a company's authority, mkcert's).
    pub fn roots(host: &str, display: &str) -> Self {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!("the machine's trust store: {error}");
        }
        let (added, unusable) = roots.add_parsable_certificates(native.certs);
        tracing::debug!(
            added,
            unusable,
            "root authorities from the machine's trust store"
        );
        let config = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13])
            // The ring provider supports TLS 1.3: cannot fail.
            .expect("ring supports TLS 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Self {
            config: Arc::new(config),
            server_name: server_name(host),
            display: display.to_owned(),
            pin: None,
            mismatch: Arc::new(Mutex::new(None)),
        }
    }

    /// Runs the handshake over `stream`; the error says why it failed in words a user can
    /// act on (another certificate: both fingerprints; a plain server: what to do).
    pub async fn handshake<S>(
        &self,
        stream: S,
    ) -> std::io::Result<tokio_rustls::client::TlsStream<S>>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.config));
        match connector.connect(self.server_name.clone(), stream).await {
            Ok(mut stream) => {
                stream.get_mut().1.set_buffer_limit(Some(TLS_WRITE_BUFFER));
                Ok(stream)
            }
            Err(e) => Err(self.explain(e)),
        }
    }

    fn explain(&self, e: std::io::Error) -> std::io::Error {
        let seen = *self.mismatch.lock().unwrap_or_else(|p| p.into_inner());
        if let (Some(pin), Some(seen)) = (self.pin, seen) {
            return std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "the server of display {} presented another certificate than the one its \
                     token file names, so nothing was sent to it (not the token): the token \
                     file expects SHA-256 {pin}, the server presented {seen}. Either the \
                     server's key was replaced (then copy its new token file here), or \
                     someone is in the middle of the connection (then do not connect)",
                    self.display
                ),
            );
        }
        let untrusted = e
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .filter(|inner| matches!(inner, rustls::Error::InvalidCertificate(_)));
        if let Some(reason) = untrusted {
            return std::io::Error::new(
                e.kind(),
                format!(
                    "the server of display {} presented a certificate that is not trusted here \
                     ({reason}): a certificate of a display's own (--tls-cert) must be made for \
                     the name connected to and come from an authority that the web or this \
                     machine trusts (its trust store, or SSL_CERT_FILE or SSL_CERT_DIR); a \
                     display with the certificate it made itself is reached with its token \
                     file, which pins that certificate",
                    self.display
                ),
            );
        }
        let plain_hint = matches!(
            e.kind(),
            std::io::ErrorKind::InvalidData
                | std::io::ErrorKind::UnexpectedEof
                | std::io::ErrorKind::ConnectionReset
        );
        if plain_hint {
            return std::io::Error::new(
                e.kind(),
                format!(
                    "the TLS handshake with display {} failed ({e}): if its server was started \
                     with --insecure-tcp it speaks plain TCP, and the token file it wrote says \
                     `tls off`; use that file",
                    self.display
                ),
            );
        }
        std::io::Error::new(
            e.kind(),
            format!(
                "the TLS handshake with display {} failed: {e}",
                self.display
            ),
        )
    }
}

/// A name for the server: its host name or address; a made-up name when `host` is neither
/// (a pinned server's name is not checked).
fn server_name(host: &str) -> ServerName<'static> {
    ServerName::try_from(host.to_owned())
        .unwrap_or_else(|_| ServerName::try_from("netui.invalid").expect("a valid DNS name"))
}

/// Accepts the one certificate whose SHA-256 is the pin, and checks the handshake's
/// signature with it.
#[derive(Debug)]
struct PinVerifier {
    pin: Fingerprint,
    algorithms: WebPkiSupportedAlgorithms,
    mismatch: Arc<Mutex<Option<Fingerprint>>>,
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = fingerprint(end_entity);
        if ct_eq(&seen.0, &self.pin.0) {
            return Ok(ServerCertVerified::assertion());
        }
        *self.mismatch.lock().unwrap_or_else(|p| p.into_inner()) = Some(seen);
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::ApplicationVerificationFailure,
        ))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        // Only TLS 1.3 is offered; should 1.2 ever be, its signature is checked as well.
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Comparison in constant time, so that the time a refusal takes says nothing about how
/// much of a forged certificate's digest was right (cheap insurance; the digest is public).
mod subtle_eq {
    pub(super) fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
        a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

/// A [`Transport`] with TLS over another: opens `inner`, then runs the TLS handshake on it.
///
/// The thin client puts its emulated link between the two (TLS over the link's socket pair),
/// so that the link carries the encrypted bytes, as a real network would.
#[derive(Debug)]
pub struct TlsTransport<T> {
    inner: T,
    tls: TlsClient,
}

impl<T: Transport> TlsTransport<T> {
    /// TLS as `tls` says, over `inner`.
    pub fn new(inner: T, tls: TlsClient) -> Self {
        Self { inner, tls }
    }
}

impl<T: Transport> Transport for TlsTransport<T> {
    type Io = tokio_rustls::client::TlsStream<tokio::io::BufReader<T::Io>>;

    async fn open(self) -> std::io::Result<Self::Io> {
        let stream = self.inner.open().await?;
        let stream = tokio::io::BufReader::with_capacity(TLS_READ_BUFFER, stream);
        self.tls.handshake(stream).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_is_the_sha256_of_the_bytes() {
        // SHA-256 of the empty string.
        assert_eq!(
            fingerprint(b"").to_string(),
            "E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55"
        );
    }

    #[test]
    fn only_equal_digests_compare_equal() {
        let a = [1u8; 32];
        let mut b = a;
        assert!(ct_eq(&a, &b));
        b[31] ^= 1;
        assert!(!ct_eq(&a, &b));
    }
}
