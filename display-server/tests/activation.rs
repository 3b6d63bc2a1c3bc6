//! The display server as a service: started by `systemd-socket-activate` (Debian's systemd
//! package, as systemd itself starts it) with its listening sockets passed in, READY=1 on a
//! notify socket, the sockets told apart by name or by kind, a socket it cannot serve refused
//! with a reason, and the user units in `dist/systemd` checked by `systemd-analyze verify`.
//! Each test skips itself when its program is missing, unless `NETUI_REQUIRE_XVFB` is set.

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::DirBuilderExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use netui::tls::TlsClient;
use netui::{Color, Display, Rect, ResourceId};
use netui_protocol::token::{TlsTrust, TokenFile};
use netui_testkit::process::{terminate, KillOnDrop};
use netui_testkit::{tools, DEADLINE};

const INSTALL: &str = "apt-get install systemd";

/// A free TCP port on loopback (free when asked; the test binds it right after).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until `done` holds, failing the test with `what` after [`DEADLINE`].
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A private runtime directory (`XDG_RUNTIME_DIR`) with its `netui` directory (0700), as the
/// socket unit's `DirectoryMode=0700` makes it.
fn runtime() -> (tempfile::TempDir, PathBuf) {
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = runtime.path().join("netui");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .expect("netui dir");
    (runtime, dir)
}

/// `systemd-socket-activate` listening on `listen`, with its `flags` (`--fdname=`,
/// `--setenv=`, `--datagram`), ready to start a headless `display-server --display :number`
/// in the runtime directory.
fn socket_activate(
    program: &Path,
    runtime: &Path,
    listen: &[String],
    flags: &[String],
    number: u16,
) -> Command {
    let mut command = Command::new(program);
    for l in listen {
        command.args(["-l", l]);
    }
    // systemd-socket-activate passes on only the variables it is told to (as systemd does).
    command
        .arg(format!("--setenv=XDG_RUNTIME_DIR={}", runtime.display()))
        .arg(format!(
            "--setenv=NETUI_TLS_DIR={}",
            runtime.join("tls").display()
        ))
        .arg("--setenv=RUST_LOG=warn")
        .args(flags)
        .arg(env!("CARGO_BIN_EXE_display-server"))
        .args(["--headless", "--size", "200x100", "--display"])
        .arg(format!(":{number}"));
    command
}

/// The token file, once the server has written it.
fn token_file(path: &Path) -> TokenFile {
    wait_until("the token file", || path.exists());
    TokenFile::parse(&std::fs::read_to_string(path).expect("token file")).expect("parses")
}

/// Pixels of `color` in an RGBA image.
fn count(rgba: &[u8], color: Color) -> usize {
    rgba.chunks_exact(4)
        .filter(|p| p[..3] == [color.r, color.g, color.b])
        .count()
}

#[test]
fn the_first_connection_starts_the_display_it_draws_the_next_app_finds_it_and_ready_is_told() {
    let Some(program) = tools::program("systemd-socket-activate", INSTALL) else {
        return;
    };
    let (runtime, dir) = runtime();
    let number = 81;
    let socket = dir.join(format!("display-{number}.sock"));
    let tcp: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let notify_path = runtime.path().join("notify.sock");
    let notify = UnixDatagram::bind(&notify_path).expect("notify socket");
    let mut server = KillOnDrop::spawn(
        socket_activate(
            &program,
            runtime.path(),
            &[socket.display().to_string(), tcp.to_string()],
            &[
                "--fdname=unix:tcp".into(),
                format!("--setenv=NOTIFY_SOCKET={}", notify_path.display()),
            ],
            number,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::inherit()),
    );
    wait_until("systemd-socket-activate's socket", || socket.exists());

    // Nothing runs yet: no token file, nothing said on the notify socket.
    std::thread::sleep(Duration::from_millis(300));
    let token_path = dir.join(format!("display-{number}.token"));
    assert!(
        !token_path.exists(),
        "the server started before any connection"
    );
    notify.set_nonblocking(true).expect("nonblocking");
    let mut buf = [0u8; 4096];
    assert!(
        notify.recv(&mut buf).is_err(),
        "READY=1 before the server ran"
    );
    notify.set_nonblocking(false).expect("blocking");

    // The first application's connection starts it; the application draws.
    let mut first = Display::connect_unix(&socket, "first").expect("the first app connects");
    assert_eq!(first.screen_size(), netui::Size::new(200, 100));
    let red = Color::rgb(211, 17, 43);
    let window = first
        .create_window(Rect::new(20, 20, 60, 30), "first", red)
        .expect("a window");
    first.map(window);
    first.fill_rect(window, Rect::new(0, 0, 60, 30), red);
    first.sync().expect("sync");

    // READY=1 reached the notify socket, with the ready line as the status.
    notify
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    let n = notify.recv(&mut buf).expect("a notification");
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.lines().any(|l| l == "READY=1"), "{text}");
    assert!(
        text.contains(&format!("STATUS=netui display :{number} ready")),
        "{text}"
    );

    // The token file is written as always; a second application, over the passed TCP socket
    // in TLS, finds the same display and the first one's pixels.
    let file = token_file(&token_path);
    let Some(TlsTrust::Pin(pin)) = file.tls else {
        panic!("no pin in the token file: {file:?}");
    };
    let tls = TlsClient::pinned(pin, "127.0.0.1", &format!(":{number}"));
    let mut second =
        Display::connect_tcp(tcp, Some(file.token), Some(tls), "second").expect("tcp app");
    let info = second.server_info().expect("info");
    assert_eq!(info.display, format!(":{number}"));
    assert!(
        info.clients.iter().any(|c| c.name == "first"),
        "{:?}",
        info.clients
    );
    wait_until("the first app's window on the screen", || {
        let screen = second.get_image(ResourceId::ROOT, None).expect("get image");
        count(&screen.rgba, red) >= 60 * 30
    });
    // And a third on the Unix socket, again the same display.
    let mut third = Display::connect_unix(&socket, "third").expect("third app");
    let info = third.server_info().expect("info");
    assert!(info.clients.iter().any(|c| c.name == "second"));
    drop((first, second, third));

    // SIGTERM: a clean stop that removes the token files, and leaves the passed socket's file
    // to whoever passed it.
    let status = terminate(&mut server.0);
    assert!(status.success(), "{status:?}");
    assert!(!token_path.exists(), "token file removed");
    assert!(!dir.join(format!("display-{number}.view-token")).exists());
    assert!(
        socket.exists(),
        "the passed socket's file is not the server's to remove"
    );
}

#[test]
fn passed_sockets_without_names_are_told_apart_by_kind_and_port() {
    let Some(program) = tools::program("systemd-socket-activate", INSTALL) else {
        return;
    };
    let (runtime, dir) = runtime();
    // A display number whose RFB port (5900 + N) is free.
    let (number, rfb) = loop {
        let port = free_port();
        if let Some(n) = port.checked_sub(5900) {
            if n <= netui_protocol::display::MAX_DISPLAY && n != 0 {
                break (n, port);
            }
        }
    };
    let socket = dir.join(format!("display-{number}.sock"));
    let tcp: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let rfb: SocketAddr = ([127, 0, 0, 1], rfb).into();
    let mut server = KillOnDrop::spawn(
        // The RFB socket first: the order says nothing either.
        socket_activate(
            &program,
            runtime.path(),
            &[
                rfb.to_string(),
                socket.display().to_string(),
                tcp.to_string(),
            ],
            &[],
            number,
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit()),
    );
    wait_until("systemd-socket-activate's socket", || socket.exists());

    // A VNC viewer's connection starts it: the RFB port answers in RFB.
    let mut viewer = TcpStream::connect(rfb).expect("rfb connects");
    viewer
        .set_read_timeout(Some(DEADLINE))
        .expect("read timeout");
    let mut version = [0u8; 12];
    viewer.read_exact(&mut version).expect("the RFB version");
    assert_eq!(&version, b"RFB 003.008\n");

    // The ready line names each socket as what it is.
    let mut stdout = std::io::BufReader::new(server.0.stdout.take().expect("stdout"));
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut line).expect("ready line");
    assert!(
        line.contains(&format!("unix {}", socket.display())),
        "{line}"
    );
    assert!(line.contains(&format!("tcp {tcp} tls")), "{line}");
    assert!(line.contains(&format!("vnc {rfb}")), "{line}");

    // The other TCP socket is the netui port, in TLS with the token.
    let file = token_file(&dir.join(format!("display-{number}.token")));
    let Some(TlsTrust::Pin(pin)) = file.tls else {
        panic!("no pin: {file:?}");
    };
    let tls = TlsClient::pinned(pin, "127.0.0.1", &format!(":{number}"));
    let mut app = Display::connect_tcp(tcp, Some(file.token), Some(tls), "tcp").expect("tcp");
    assert_eq!(
        app.server_info().expect("info").display,
        format!(":{number}")
    );
    Display::connect_unix(&socket, "unix").expect("unix");
    drop(viewer);
    let status = terminate(&mut server.0);
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_passed_socket_that_the_display_cannot_serve_stops_it_with_a_reason() {
    let Some(program) = tools::program("systemd-socket-activate", INSTALL) else {
        return;
    };
    let (runtime, _dir) = runtime();
    let udp: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    let mut child = KillOnDrop::spawn(
        socket_activate(
            &program,
            runtime.path(),
            &[udp.to_string()],
            &["--datagram".into(), "--fdname=tcp".into()],
            82,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped()),
    );
    // systemd-socket-activate starts the program at the first datagram.
    let sender = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    let deadline = Instant::now() + DEADLINE;
    let status = loop {
        let _ = sender.send_to(b"hello", udp);
        if let Some(status) = child.0.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let mut stderr = String::new();
    child
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("stderr");
    assert!(
        stderr.contains("neither a Unix nor a TCP stream socket")
            && stderr.contains("named \"tcp\""),
        "{stderr}"
    );
}

#[test]
fn the_user_units_pass_systemd_analyze_verify() {
    let Some(analyze) = tools::program("systemd-analyze", INSTALL) else {
        return;
    };
    let home = tempfile::tempdir().expect("tempdir");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // Installed the README's way, into this home.
    let out = Command::new("sh")
        .arg(repo.join("dist/systemd/install.sh"))
        .args(["3", "--no-enable"])
        .env("HOME", home.path())
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("install.sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let units = home.path().join(".config/systemd/user");
    let ports = std::fs::read_to_string(units.join("netui-display@3.socket.d/ports.conf"))
        .expect("the ports drop-in");
    assert!(
        ports.contains("ListenStream=127.0.0.1:7103")
            && ports.contains("ListenStream=127.0.0.1:5903"),
        "{ports}"
    );
    // The service's program where ExecStart looks for it (verify checks that it exists).
    let bin = home.path().join(".local/bin");
    std::fs::create_dir_all(&bin).expect("bin dir");
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_display-server"),
        bin.join("display-server"),
    )
    .expect("symlink");
    let run = home.path().join("run");
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&run)
        .expect("runtime dir");
    let out = Command::new(analyze)
        .args([
            "verify",
            "--user",
            "netui-display@3.socket",
            "netui-display@3.service",
        ])
        .current_dir(home.path())
        .env("HOME", home.path())
        .env("XDG_RUNTIME_DIR", &run)
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("systemd-analyze runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A unit with a mistake can still exit 0 ("Unknown key ..., ignoring"): no word at all.
    assert!(out.status.success() && stderr.trim().is_empty(), "{stderr}");
}
