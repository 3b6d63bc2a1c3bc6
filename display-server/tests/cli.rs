//! The `display-server` program as a user runs it: the ready line, the private directory and
//! token file, a client over the socket and over TCP, refusals, and a clean exit on SIGTERM.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use netui::tls::TlsClient;
use netui::Display;
use netui_protocol::token::{TlsTrust, TokenFile};
use netui_testkit::process::Ready;

/// A headless `display-server` serving `display` in `runtime`, once it has said it is ready.
fn start(runtime: &Path, display: &str, extra: &[&str]) -> Ready {
    Ready::start(
        Command::new(env!("CARGO_BIN_EXE_display-server"))
            .args(["--headless", "--size", "200x100", "--display", display])
            .args(extra)
            .env("XDG_RUNTIME_DIR", runtime)
            // The display's TLS key is made here, not in the real home.
            .env("NETUI_TLS_DIR", runtime.join("tls"))
            .env("RUST_LOG", "warn")
            .stderr(Stdio::inherit()),
    )
}

#[test]
fn serves_a_display_and_cleans_up_on_sigterm() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let mut server = start(runtime.path(), ":7", &["--listen", "127.0.0.1:0"]);
    let dir = runtime.path().join("netui");
    let socket = dir.join("display-7.sock");
    let token_file = dir.join("display-7.token");
    assert!(
        server
            .line
            .starts_with("netui display :7 ready (200x100 headless)"),
        "{}",
        server.line
    );
    assert!(
        server.line.contains(&socket.display().to_string()),
        "{}",
        server.line
    );

    // Only the owner can enter the directory or read the token.
    let mode = |p: &Path| std::fs::metadata(p).expect("exists").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&token_file), 0o600);
    let view_token_file = dir.join("display-7.view-token");
    assert_eq!(mode(&view_token_file), 0o600);
    let read = |path: &Path| {
        TokenFile::parse(&std::fs::read_to_string(path).expect("token file")).expect("parses")
    };
    let file = read(&token_file);
    let token = file.token.clone();
    assert_eq!(token.len(), 32);
    // The pin is the certificate's, made in the TLS directory, owner-only.
    let tls_dir = runtime.path().join("tls");
    assert_eq!(mode(&tls_dir), 0o700);
    assert_eq!(mode(&tls_dir.join("key.pem")), 0o600);
    assert_eq!(mode(&tls_dir.join("cert.pem")), 0o600);
    let Some(TlsTrust::Pin(pin)) = file.tls else {
        panic!("no pin in the token file: {file:?}");
    };
    assert!(server.line.contains(&pin.to_string()), "{}", server.line);
    let view = read(&view_token_file);
    assert_eq!(view.tls, file.tls);
    assert_ne!(view.token, token);

    // A client over the socket sees the screen the server was asked for.
    let mut d = Display::connect_unix(&socket, "cli-test").expect("connects");
    assert_eq!(d.screen_size(), netui::Size::new(200, 100));
    let info = d.server_info().expect("info");
    assert_eq!(info.display, ":7");
    drop(d);

    // Over TCP with the token from the file.
    let tcp = tcp_addr(&server.line);
    assert!(tcp.ip().is_loopback(), "listens on loopback by default");
    let tls = TlsClient::pinned(pin, "127.0.0.1", ":7");
    Display::connect_tcp(tcp, Some(token), Some(tls), "cli-tcp").expect("tcp with the token");

    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(!socket.exists(), "socket removed");
    assert!(!token_file.exists(), "token removed");
    assert!(!view_token_file.exists(), "view-only token removed");
}

/// The address in a ready line's `tcp ADDR ...`.
fn tcp_addr(line: &str) -> std::net::SocketAddr {
    line.split("tcp ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .expect("tcp address in the ready line")
        .parse()
        .expect("an address")
}

/// The same display number after its key was replaced: a client with the old token file's
/// pin is refused with both fingerprints, and a key others can read stops the server.
#[test]
fn a_replaced_key_is_refused_with_both_fingerprints_and_a_readable_key_stops_the_server() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let token_file = runtime.path().join("netui").join("display-5.token");
    let listen = ["--listen", "127.0.0.1:0"];
    let mut server = start(runtime.path(), ":5", &listen);
    let old =
        TokenFile::parse(&std::fs::read_to_string(&token_file).expect("token")).expect("parses");
    let Some(TlsTrust::Pin(old_pin)) = old.tls else {
        panic!("no pin: {old:?}");
    };
    server.terminate();

    // The same key at the next start: the same pin.
    let mut server = start(runtime.path(), ":5", &listen);
    let again =
        TokenFile::parse(&std::fs::read_to_string(&token_file).expect("token")).expect("parses");
    assert_eq!(again.tls, old.tls, "the key outlives a restart");
    server.terminate();

    // A new key: the old pin no longer fits.
    let tls_dir = runtime.path().join("tls");
    std::fs::remove_file(tls_dir.join("key.pem")).expect("removed");
    std::fs::remove_file(tls_dir.join("cert.pem")).expect("removed");
    let mut server = start(runtime.path(), ":5", &listen);
    let new =
        TokenFile::parse(&std::fs::read_to_string(&token_file).expect("token")).expect("parses");
    let Some(TlsTrust::Pin(new_pin)) = new.tls else {
        panic!("no pin: {new:?}");
    };
    assert_ne!(new_pin, old_pin);
    let tls = TlsClient::pinned(old_pin, "127.0.0.1", ":5");
    let err = Display::connect_tcp(tcp_addr(&server.line), Some(new.token), Some(tls), "old")
        .expect_err("the old pin is refused");
    let text = err.to_string();
    assert!(
        text.contains(&old_pin.to_string()) && text.contains(&new_pin.to_string()),
        "{text}"
    );
    server.terminate();

    // A key that others can read: the server does not start, and says what to do.
    std::fs::set_permissions(
        tls_dir.join("key.pem"),
        std::fs::Permissions::from_mode(0o640),
    )
    .expect("chmod");
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--headless", "--display", ":5", "--listen", "127.0.0.1:0"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .env("NETUI_TLS_DIR", &tls_dir)
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("can be read by other users") && stderr.contains("chmod 600"),
        "{stderr}"
    );
}

/// Plain TCP only when asked, and then on loopback only unless asked twice.
#[test]
fn insecure_tcp_is_plain_on_loopback_and_refused_beyond_it_unless_asked_twice() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let mut server = start(
        runtime.path(),
        ":6",
        &["--insecure-tcp", "--listen", "127.0.0.1:0"],
    );
    assert!(server.line.contains("PLAIN"), "{}", server.line);
    let file = runtime.path().join("netui").join("display-6.token");
    let file = TokenFile::parse(&std::fs::read_to_string(file).expect("token")).expect("parses");
    assert_eq!(file.tls, Some(TlsTrust::Off));
    Display::connect_tcp(tcp_addr(&server.line), Some(file.token), None, "plain")
        .expect("plain TCP with the token");
    server.terminate();

    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--headless", "--display", ":6", "--insecure-tcp"])
        .args(["--listen", "0.0.0.0:0"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("only on loopback") && stderr.contains("--insecure-tcp-beyond-loopback"),
        "{stderr}"
    );
    let mut server = start(
        runtime.path(),
        ":6",
        &[
            "--insecure-tcp",
            "--insecure-tcp-beyond-loopback",
            "--listen",
            "0.0.0.0:0",
            "--no-rfb",
        ],
    );
    assert!(server.line.contains("0.0.0.0:"), "{}", server.line);
    server.terminate();
}

#[test]
fn a_second_server_on_the_same_display_says_so() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let _first = start(runtime.path(), ":3", &["--no-tcp"]);
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--headless", "--display", ":3", "--no-tcp"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("display :3 is already served"), "{stderr}");
}

#[test]
fn a_runtime_directory_others_can_enter_is_refused() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let dir = runtime.path().join("netui");
    std::fs::create_dir(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .args(["--headless", "--display", ":4", "--no-tcp"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("chmod 700"), "{stderr}");
}

#[test]
fn help_describes_the_display_and_its_files() {
    let out = Command::new(env!("CARGO_BIN_EXE_display-server"))
        .arg("--help")
        .output()
        .expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["--headless", "--display", "--listen", "7100", "token"] {
        assert!(text.contains(word), "--help lacks {word}: {text}");
    }
}

/// Issue 12, file descriptors: started with a soft limit of 40 open files and a hard one of
/// 96, the server raises its own limit, serves as many clients as 96 less its reserve, and
/// refuses the next one with a reason (and a log line) instead of leaving it hanging.
#[test]
fn clients_beyond_the_open_file_limit_are_refused_with_a_reason() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let log_path = runtime.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut server = Ready::start(
        Command::new("sh")
            .arg("-c")
            .arg("ulimit -S -n 40 && ulimit -H -n 96 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_display-server"))
            .args(["--headless", "--size", "200x100", "--display", ":8"])
            .args(["--no-tcp", "--no-rfb"])
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("RUST_LOG", "warn")
            .stderr(Stdio::from(log)),
    );
    let socket = runtime.path().join("netui").join("display-8.sock");
    let capacity = 96 - netui_display_server::runtime::FD_RESERVE as usize;
    let mut clients = Vec::new();
    for i in 0..capacity {
        let client = Display::connect_unix(&socket, &format!("client {i}"));
        clients.push(client.unwrap_or_else(|e| panic!("client {i} of {capacity}: {e}")));
    }
    let start = std::time::Instant::now();
    let refused = Display::connect_unix(&socket, "one too many").expect_err("refused");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(5),
        "the refusal took {:?}",
        start.elapsed()
    );
    assert!(
        refused.to_string().contains("too many clients"),
        "{refused}"
    );
    // The others are still served.
    clients[0].sync().expect("served");
    // A client that leaves makes room.
    clients.pop();
    let start = std::time::Instant::now();
    loop {
        match Display::connect_unix(&socket, "after one left") {
            Ok(_) => break,
            Err(e) if start.elapsed() < std::time::Duration::from_secs(5) => {
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => panic!("no room after a client left: {e}"),
        }
    }
    drop(clients);
    server.terminate();
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(log.contains("refusing a client"), "{log}");
}
