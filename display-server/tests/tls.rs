//! Issue 13, encrypted and authenticated by default: TLS on the TCP port with the server's
//! certificate pinned, what a server with another certificate gets (nothing), what the wire
//! shows (neither the token nor typed text), plain and TLS meeting each other, and the
//! view-only token.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use netui::tls::TlsClient;
use netui::{Color, Display, ErrorCode, Event, InputEvent, Key, Rect, Size, ViewMode, Viewer};
use netui_display_server::tls::ServerTls;
use netui_testkit::server::{serve_tls_only, TOKEN, VIEW_TOKEN};
use netui_testkit::TestDisplay;

/// Everything that went through a [`CaptureProxy`], both ways.
type Capture = Arc<Mutex<Vec<u8>>>;

/// A TCP proxy in the middle, as a network would be: forwards each connection to `target`
/// and keeps every byte it passes on, both ways.
struct CaptureProxy {
    addr: SocketAddr,
    bytes: Capture,
}

impl CaptureProxy {
    fn start(target: SocketAddr) -> CaptureProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("address");
        let bytes = Capture::default();
        let captured = Arc::clone(&bytes);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(target) else {
                    return;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                for (from, to) in [
                    (client.try_clone(), server.try_clone()),
                    (server.try_clone(), client.try_clone()),
                ] {
                    let (Ok(mut from), Ok(mut to)) = (from, to) else {
                        return;
                    };
                    let captured = Arc::clone(&captured);
                    std::thread::spawn(move || {
                        let mut buf = [0u8; 16384];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            captured
                                .lock()
                                .expect("not poisoned")
                                .extend_from_slice(&buf[..n]);
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                }
            }
        });
        CaptureProxy { addr, bytes }
    }

    fn captured(&self) -> Vec<u8> {
        self.bytes.lock().expect("not poisoned").clone()
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A window that the application keeps, and the text typed into it, as it heard it.
fn typed_text(app: &mut Display, until: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut text = String::new();
    while !text.contains(until) {
        assert!(Instant::now() < deadline, "only {text:?} was typed");
        if let Some(Event::KeyPress(key)) = app
            .wait_event_timeout(Duration::from_millis(100))
            .expect("connected")
        {
            text.push_str(&key.text);
        }
    }
    text
}

/// Types `text` through a viewer, one key press and release per character.
fn type_through(viewer: &mut Viewer, text: &str) {
    let mut seq = 0;
    for c in text.chars() {
        for pressed in [true, false] {
            let input = InputEvent::Key {
                key: Key::Character(c),
                pressed,
                text: if pressed {
                    c.to_string()
                } else {
                    String::new()
                },
            };
            seq += 1;
            viewer.viewer_input(seq, input).expect("sent");
        }
    }
}

/// Gives an application a focused window (a new window takes the focus).
fn focused_app(app: &mut Display) -> netui::Window {
    let w = app
        .create_window(Rect::new(20, 20, 280, 60), "typed into", Color::WHITE)
        .expect("window");
    app.map(w);
    app.sync().expect("sync");
    w
}

#[test]
fn the_wire_carries_neither_the_token_nor_typed_text() {
    let secret_text = "hunter2 is my password";
    let server = TestDisplay::start_with_tcp(":tls", Size::new(320, 240));
    let proxy = CaptureProxy::start(server.server.tcp_addr().expect("tcp"));
    let mut app = Display::connect_tcp(proxy.addr, Some(TOKEN.to_vec()), server.tls(), "app")
        .expect("connects through the proxy over TLS");
    let window = focused_app(&mut app);
    let socket = TcpStream::connect(proxy.addr).expect("connects");
    let mut viewer = Viewer::connect_stream_with(
        netui::transport::Stream::Tls(socket, server.tls().expect("tls")),
        Some(TOKEN.to_vec()),
        "through the proxy".into(),
        "viewer",
        netui::Compression::None,
    )
    .expect("a viewer through the proxy");
    viewer.attach_viewer(ViewMode::Commands).expect("attached");
    type_through(&mut viewer, secret_text);
    assert_eq!(typed_text(&mut app, secret_text), secret_text);
    // The application draws what was typed, so it travels to the viewer too.
    app.text(
        window,
        netui::Point::new(4, 30),
        netui::Font::Sans,
        14,
        Color::BLACK,
        secret_text,
    );
    app.sync().expect("sync");
    drop(viewer);
    drop(app);

    let wire = proxy.captured();
    assert!(
        wire.len() > 1000,
        "the proxy saw the session: {} bytes",
        wire.len()
    );
    let hex = netui_protocol::display::format_token(&TOKEN);
    for (what, needle) in [
        ("the token", &TOKEN[..]),
        ("the token in hexadecimal", hex.as_bytes()),
        ("the typed text", secret_text.as_bytes()),
        ("a word of it", b"hunter2"),
    ] {
        assert!(!contains(&wire, needle), "{what} is on the wire");
    }
}

/// The same capture of a plain server sees the token: the check above can fail.
#[test]
fn the_capture_sees_the_token_of_a_plain_connection() {
    let server = TestDisplay::start_with_plain_tcp(":plain", Size::new(320, 240));
    let proxy = CaptureProxy::start(server.server.tcp_addr().expect("tcp"));
    let mut app = Display::connect_tcp(proxy.addr, Some(TOKEN.to_vec()), None, "plain app")
        .expect("connects in plain TCP");
    app.sync().expect("sync");
    drop(app);
    assert!(
        contains(&proxy.captured(), &TOKEN),
        "plain TCP shows the token"
    );
}

/// A TLS server with a certificate of its own (a proxy in the middle, say), which keeps
/// whatever the client sends it once the handshake is through.
struct Impostor {
    addr: SocketAddr,
    tls: ServerTls,
    received: Capture,
    _dir: tempfile::TempDir,
}

impl Impostor {
    fn start() -> Impostor {
        let dir = tempfile::tempdir().expect("tempdir");
        let tls = ServerTls::load_or_create(&dir.path().join("tls")).expect("another key");
        let listener = TcpListener::bind("127.0.0.1:0").expect("binds");
        let addr = listener.local_addr().expect("address");
        let received = Capture::default();
        let kept = Arc::clone(&received);
        let acceptor = tls.acceptor();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                listener.set_nonblocking(true).expect("nonblocking");
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((socket, _)) = listener.accept().await {
                    let Ok(mut stream) = acceptor.accept(socket).await else {
                        continue;
                    };
                    let mut buf = [0u8; 4096];
                    while let Ok(n) = tokio::io::AsyncReadExt::read(&mut stream, &mut buf).await {
                        if n == 0 {
                            break;
                        }
                        kept.lock()
                            .expect("not poisoned")
                            .extend_from_slice(&buf[..n]);
                    }
                }
            });
        });
        Impostor {
            addr,
            tls,
            received,
            _dir: dir,
        }
    }
}

#[test]
fn a_server_with_another_certificate_is_refused_with_both_fingerprints_and_gets_nothing() {
    let server = TestDisplay::start_with_tcp(":tls", Size::new(320, 240));
    let pin = server.server.tls().expect("tls").fingerprint;
    let impostor = Impostor::start();
    let proxy = CaptureProxy::start(impostor.addr);
    let tls = TlsClient::pinned(pin, "127.0.0.1", ":tls");
    let err = Display::connect_tcp(proxy.addr, Some(TOKEN.to_vec()), Some(tls), "app")
        .expect_err("another certificate is refused");
    let text = err.to_string();
    assert!(
        text.contains(&pin.to_string()) && text.contains(&impostor.tls.fingerprint.to_string()),
        "both fingerprints: {text}"
    );
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(
        text.contains("copy its new token file"),
        "what to do: {text}"
    );
    // Give the impostor a moment to read what it might have been sent.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        impostor.received.lock().expect("not poisoned").len(),
        0,
        "the impostor got application data"
    );
    assert!(
        !contains(&proxy.captured(), &TOKEN),
        "the token is on the wire"
    );
    // The real server, with the same pin, is fine.
    let mut d = server.connect_tcp("the real one");
    d.sync().expect("served");
}

#[test]
fn plain_to_tls_and_tls_to_plain_fail_clearly_within_a_second() {
    let tls_server = TestDisplay::start_with_tcp(":tls", Size::new(320, 240));
    let addr = tls_server.server.tcp_addr().expect("tcp");
    let start = Instant::now();
    let err = Display::connect_tcp(addr, Some(TOKEN.to_vec()), None, "plain client")
        .expect_err("a plain client is refused");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let text = err.to_string();
    assert!(text.contains("speaks TLS"), "{text}");

    let plain_server = TestDisplay::start_with_plain_tcp(":plain", Size::new(320, 240));
    let addr = plain_server.server.tcp_addr().expect("tcp");
    let tls = tls_server.tls();
    let start = Instant::now();
    let err = Display::connect_tcp(addr, Some(TOKEN.to_vec()), tls, "tls client")
        .expect_err("a TLS client on a plain port fails");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    let text = err.to_string();
    assert!(
        text.contains("--insecure-tcp") && text.contains("tls off"),
        "{text}"
    );
    // Both servers still serve their own kind.
    tls_server.connect_tcp("tls").sync().expect("served");
    plain_server.connect_tcp("plain").sync().expect("served");
}

#[test]
fn the_view_only_token_watches_and_its_input_is_refused() {
    let server = TestDisplay::start_with_tcp(":view", Size::new(320, 240));
    let mut app = server.connect("app");
    focused_app(&mut app);
    let before = server.screen();

    let mut watcher = server
        .connect_tcp_viewer(&VIEW_TOKEN, "watcher")
        .expect("a viewer may watch with the view-only token");
    watcher.attach_viewer(ViewMode::Commands).expect("attached");
    let start = watcher
        .wait_view(Duration::from_secs(5))
        .expect("connected");
    assert!(start.is_some(), "the watcher sees the screen");
    watcher
        .viewer_input(
            1,
            InputEvent::Key {
                key: Key::Character('x'),
                pressed: true,
                text: "x".into(),
            },
        )
        .expect("sent");
    let err = watcher.sync().expect_err("its input is refused");
    assert_eq!(
        err.report().map(|r| r.code),
        Some(ErrorCode::Access),
        "{err}"
    );
    assert!(err.to_string().contains("view-only"), "{err}");
    // Nothing reached the application, and no pixel changed.
    let quiet = Instant::now() + Duration::from_millis(300);
    while Instant::now() < quiet {
        let heard = app
            .wait_event_timeout(Duration::from_millis(50))
            .expect("connected");
        assert!(
            !matches!(heard, Some(Event::KeyPress(_))),
            "the key reached the application: {heard:?}"
        );
    }
    assert_eq!(server.screen(), before, "a pixel changed");
    // It may not draw either.
    let w = watcher
        .display_mut()
        .create_window(Rect::new(0, 0, 10, 10), "no", Color::BLACK);
    let err = match w {
        Ok(_) => watcher.sync().expect_err("drawing is refused"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("full token"), "{err}");

    // The full token's viewer types.
    let mut driver = server
        .connect_tcp_viewer(&TOKEN, "driver")
        .expect("a viewer with the full token");
    driver.attach_viewer(ViewMode::Commands).expect("attached");
    type_through(&mut driver, "ok");
    assert_eq!(typed_text(&mut app, "ok"), "ok");

    // The view-only token is no application's.
    let addr = server.server.tcp_addr().expect("tcp");
    let err = Display::connect_tcp(addr, Some(VIEW_TOKEN.to_vec()), server.tls(), "app")
        .expect_err("refused");
    assert!(err.to_string().contains("view-only token"), "{err}");

    // Each client's permission is in the server's description (netinfo prints it).
    let info = app.server_info().expect("info");
    let access = |name: &str| {
        info.clients
            .iter()
            .find(|c| c.name == name)
            .map(|c| (c.access.clone(), c.peer.clone()))
            .unwrap_or_else(|| panic!("no client {name}: {info:?}"))
    };
    assert_eq!(access("app").0, "owner");
    let (watcher_access, watcher_peer) = access("watcher");
    assert_eq!(watcher_access, "view-only");
    assert!(watcher_peer.starts_with("tls 127.0.0.1:"), "{watcher_peer}");
    assert_eq!(access("driver").0, "application");
}

/// A server with a certificate of its own (`--tls-cert`) is checked against the web's roots:
/// a self-signed one is refused, saying why.
#[test]
fn a_certificate_of_ones_own_is_checked_against_the_roots() {
    let dir = tempfile::tempdir().expect("tempdir");
    let made = ServerTls::load_or_create(&dir.path().join("tls")).expect("a key");
    let own = ServerTls::from_files(&made.cert_path, &dir.path().join("tls").join("key.pem"))
        .expect("loaded");
    let server = serve_tls_only(":own", own);
    let addr = server.tcp_addr().expect("tcp");
    let roots = TlsClient::roots("localhost", ":own");
    let err = Display::connect_tcp(addr, Some(TOKEN.to_vec()), Some(roots), "app")
        .expect_err("a self-signed certificate has no root to vouch for it");
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    // Pinned, the same certificate is fine.
    let pinned = TlsClient::pinned(made.fingerprint, "localhost", ":own");
    Display::connect_tcp(addr, Some(TOKEN.to_vec()), Some(pinned), "app").expect("pinned");
}

/// The RFB port speaks TLS for noVNC's `wss://` only (its certificate is the display's): a
/// TLS client that sends anything but a WebSocket upgrade is closed at once (VNC viewers
/// choose VeNCrypt), and a display without a key (`--insecure-tcp`) closes a TLS handshake
/// at once. Either way, the next VNC viewer is served.
#[test]
fn the_rfb_port_closes_tls_that_is_no_websocket_and_tls_without_a_key() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let with_key = TestDisplay::start_with_rfb_tls(":rfb-tls", Size::new(320, 240));
    let without_key = TestDisplay::start_with_rfb(":rfb-plain", Size::new(320, 240));
    let tls = with_key.tls().expect("the display has TLS");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        // RFB's own first words inside TLS, as a viewer behind stunnel would say them.
        let socket = tokio::net::TcpStream::connect(with_key.rfb_addr())
            .await
            .expect("connects");
        let mut stream = tls
            .handshake(socket)
            .await
            .expect("the RFB port presents the display's certificate");
        stream.write_all(b"RFB 003.008\n").await.expect("written");
        stream.flush().await.expect("flushed");
        let start = Instant::now();
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .expect("closed within 2 s, not left waiting");
        assert!(
            matches!(read, Ok(0) | Err(_)),
            "the server answered {read:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );

        let socket = tokio::net::TcpStream::connect(without_key.rfb_addr())
            .await
            .expect("connects");
        let start = Instant::now();
        let e = tokio::time::timeout(Duration::from_secs(2), tls.handshake(socket))
            .await
            .expect("refused within 2 s")
            .expect_err("no TLS without a key");
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "{:?}",
            start.elapsed()
        );
        assert!(e.to_string().contains("handshake"), "{e}");
    });
    for display in [&with_key, &without_key] {
        let stream = TcpStream::connect(display.rfb_addr()).expect("connects");
        let client = netui_rfb::client::Client::connect(
            stream,
            netui_testkit::server::RFB_PASSWORD,
            &[netui_rfb::encoding::RAW],
        )
        .expect("a VNC viewer is served as before");
        assert_eq!(client.canvas().size(), Size::new(320, 240));
    }
}
