//! The user's programs against a real display: `hello` draws, `screenshot` writes what the
//! screen shows, `netinfo` lists clients and windows, and the `netui` session starts and ends
//! cleanly. Each test gets its own runtime directory (XDG_RUNTIME_DIR), so display numbers do
//! not collide with a user's or with each other.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use netui_protocol::display::socket_path;
use netui_protocol::{Limits, Size};
use netui_server::{ServerConfig, ServerHandle};

/// A headless server serving display `:1` inside a private temporary runtime directory.
struct Fixture {
    runtime: tempfile::TempDir,
    server: Option<ServerHandle>,
}

impl Fixture {
    fn start() -> Self {
        let runtime = tempfile::tempdir().expect("tempdir");
        let dir = runtime.path().join("netui");
        netui_server::runtime::ensure_private_dir(&dir).expect("private dir");
        let server = ServerHandle::start(ServerConfig {
            display: ":1".into(),
            size: Size::new(640, 400),
            unix: Some(socket_path(&dir, 1)),
            tcp: None,
            token: vec![7; 32],
            limits: Limits::default(),
        })
        .expect("server");
        Self {
            runtime,
            server: Some(server),
        }
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("XDG_RUNTIME_DIR", self.runtime.path())
            .env("NETUI_DISPLAY", ":1")
            .env("RUST_LOG", "warn");
        c
    }

    fn run(&self, program: &str, args: &[&str]) -> Output {
        let out = self.command(program).args(args).output().expect("runs");
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn netinfo(&self) -> String {
        String::from_utf8_lossy(&self.run(env!("CARGO_BIN_EXE_netinfo"), &[]).stdout).into_owned()
    }

    /// Waits until `netinfo` shows `text`.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let info = self.netinfo();
            if info.contains(text) {
                return info;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "never saw {text:?} in:\n{info}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

/// Compares a PNG file with a golden one; on a mismatch keeps the actual file beside it.
fn assert_same_png(actual: &Path, name: &str) {
    let expected = golden(name);
    let keep = golden(&name.replace(".png", ".actual.png"));
    let (aw, ah, a) = demos::image::read_png(actual).expect("actual png");
    if std::env::var_os("NETUI_BLESS").is_some() {
        std::fs::copy(actual, &expected).expect("bless");
    }
    let (ew, eh, e) = demos::image::read_png(&expected).unwrap_or_default();
    if (aw, ah, &a) != (ew, eh, &e) {
        std::fs::copy(actual, &keep).expect("keep actual");
        panic!(
            "{} differs from {}; actual kept in {}",
            actual.display(),
            expected.display(),
            keep.display()
        );
    }
}

#[test]
fn hello_draws_and_screenshot_and_netinfo_see_it() {
    let fx = Fixture::start();
    let _hello = Killed(
        fx.command(env!("CARGO_BIN_EXE_hello"))
            .spawn()
            .expect("hello starts"),
    );
    let info = fx.wait_for("\"Hello, netui\" 480x320+80+60 mapped");
    assert!(info.contains("display:          :1"), "{info}");
    assert!(info.contains("screen:           640x400 pixels"), "{info}");
    assert!(info.contains("\"hello\" from unix"), "{info}");

    // hello draws on its first expose; wait for the drawing to land, then compare.
    let out = fx.runtime.path().join("hello.png");
    let out_text = out.to_str().expect("utf-8 path");
    let start = Instant::now();
    loop {
        fx.run(
            env!("CARGO_BIN_EXE_screenshot"),
            &["--title", "Hello, netui", "-o", out_text],
        );
        let (_, _, rgba) = demos::image::read_png(&out).expect("png");
        // The title band is blue once hello has drawn.
        if rgba[..4] == [0x3b, 0x5b, 0x98, 255] {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "hello never drew"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_same_png(&out, "hello.png");

    // The whole screen: the window at its place on the desktop.
    let screen = fx.runtime.path().join("screen.png");
    let stdout = fx
        .run(
            env!("CARGO_BIN_EXE_screenshot"),
            &["-o", screen.to_str().expect("utf-8")],
        )
        .stdout;
    assert!(String::from_utf8_lossy(&stdout).starts_with("640x400 written to"));
    assert_same_png(&screen, "hello-screen.png");
}

#[test]
fn hello_exits_with_a_message_when_the_display_goes_away() {
    let mut fx = Fixture::start();
    let hello = fx
        .command(env!("CARGO_BIN_EXE_hello"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("hello starts");
    fx.wait_for("Hello, netui");
    if let Some(server) = fx.server.take() {
        server.stop();
    }
    let out = hello.wait_with_output().expect("hello exits");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection is closed"), "{stderr}");
}

#[test]
fn tools_without_a_display_say_how_to_name_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_netinfo"))
        .env_remove("NETUI_DISPLAY")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("set NETUI_DISPLAY"), "{stderr}");
    let runtime = tempfile::tempdir().expect("tempdir");
    let out = Command::new(env!("CARGO_BIN_EXE_screenshot"))
        .args(["--display", ":5"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("is a display server running there?"),
        "{stderr}"
    );
}

#[test]
fn the_session_starts_a_display_with_its_launcher_and_ends_on_sigterm() {
    let runtime = tempfile::tempdir().expect("tempdir");
    let mut session = Command::new(env!("CARGO_BIN_EXE_netui"))
        .args(["--headless", "--listen", "127.0.0.1:0", "--size", "640x400"])
        .env("XDG_RUNTIME_DIR", runtime.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("session starts");
    let mut stdout = BufReader::new(session.stdout.take().expect("stdout"));
    let mut ready = String::new();
    stdout.read_line(&mut ready).expect("ready line");
    assert!(ready.starts_with("netui display :0 ready"), "{ready}");
    let mut session = Killed(session);

    let mut info = Command::new(env!("CARGO_BIN_EXE_netinfo"));
    info.args(["--display", ":0"])
        .env("XDG_RUNTIME_DIR", runtime.path());
    let start = Instant::now();
    loop {
        let out = info.output().expect("netinfo");
        if String::from_utf8_lossy(&out.stdout).contains("\"Launcher\"") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the launcher never appeared"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let kill = Command::new("kill")
        .args(["-TERM", &session.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let status = session.0.wait().expect("session ends");
    assert!(status.success(), "{status:?}");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("stdout");
    assert!(rest.contains("session on :0 ended"), "{rest}");
    // The session's launcher (this program, run as `netui launcher`) is gone with it.
    let pattern = format!("^{} launcher$", env!("CARGO_BIN_EXE_netui"));
    let left = Command::new("pgrep")
        .args(["-f", &pattern])
        .output()
        .expect("pgrep");
    assert!(
        left.stdout.is_empty(),
        "left behind: {}",
        String::from_utf8_lossy(&left.stdout)
    );
    assert!(!runtime.path().join("netui/display-0.sock").exists());
}
