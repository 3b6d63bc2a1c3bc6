//! Issue 13: a display with a certificate of its own (`--tls-cert`) from an authority that
//! the client's machine trusts but the web does not (a company's, mkcert's): refused while
//! the client does not know the authority, served once it does (`SSL_CERT_FILE`, as OpenSSL
//! reads it), and refused for a name the certificate was not made for.
//!
//! A test binary of its own: it sets `SSL_CERT_FILE` in its process, which no other test
//! may see.

use std::os::unix::fs::PermissionsExt;

use netui::tls::TlsClient;
use netui::Display;
use netui_display_server::tls::ServerTls;
use netui_testkit::server::{serve_tls_only, TOKEN};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

#[test]
fn a_certificate_from_an_authority_the_machine_trusts_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    // An authority, and a certificate it signs for "localhost".
    let mut authority = CertificateParams::new(Vec::<String>::new()).expect("params");
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(DnType::CommonName, "netui test authority");
    authority.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let authority_key = KeyPair::generate().expect("a key");
    let authority = authority.self_signed(&authority_key).expect("signed");
    let server_key = KeyPair::generate().expect("a key");
    let server_cert = CertificateParams::new(vec!["localhost".to_owned()])
        .expect("params")
        .signed_by(&server_key, &authority, &authority_key)
        .expect("signed");
    let ca_path = dir.path().join("authority.pem");
    let cert_path = dir.path().join("cert.pem");
    let key_path = dir.path().join("key.pem");
    std::fs::write(&ca_path, authority.pem()).expect("written");
    std::fs::write(&cert_path, server_cert.pem()).expect("written");
    std::fs::write(&key_path, server_key.serialize_pem()).expect("written");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).expect("chmod");

    let tls = ServerTls::from_files(&cert_path, &key_path).expect("loaded");
    let server = serve_tls_only(":own-ca", tls);
    let addr = server.tcp_addr().expect("tcp");
    let connect = |host: &str| {
        let roots = TlsClient::roots(host, ":own-ca");
        Display::connect_tcp(addr, Some(TOKEN.to_vec()), Some(roots), "app")
    };

    // The authority is not the web's, and this machine does not know it yet.
    let empty = dir.path().join("no-authorities");
    std::fs::create_dir(&empty).expect("made");
    std::env::set_var("SSL_CERT_FILE", empty.join("none.pem"));
    std::env::set_var("SSL_CERT_DIR", &empty);
    let err = connect("localhost").expect_err("an unknown authority");
    let said = err.to_string();
    assert!(
        said.contains("UnknownIssuer") && said.contains("SSL_CERT_FILE"),
        "{said}"
    );

    // Now it does: the display is served, and draws.
    std::env::set_var("SSL_CERT_FILE", &ca_path);
    let mut app = connect("localhost").expect("the machine trusts the authority");
    let info = app.server_info().expect("a round trip over TLS");
    assert!(info.clients.iter().any(|c| c.name == "app"), "{info:?}");

    // The certificate was made for "localhost", not for another name.
    let err = connect("display.example").expect_err("another name");
    assert!(err.to_string().contains("not valid for name"), "{err}");
}
