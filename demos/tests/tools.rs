//! The user's programs against a real display: `hello` draws, `screenshot` writes what the
//! screen shows, `netinfo` lists clients and windows, and the `netui` session starts and ends
//! cleanly. Each test gets its own runtime directory (XDG_RUNTIME_DIR), so display numbers do
//! not collide with a user's or with each other.

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use netui_protocol::Size;
use netui_testkit::golden::read_png;
use netui_testkit::process::{KillOnDrop, Ready};
use netui_testkit::{assert_golden, TestDisplay};

/// A headless server serving display `:1` inside a private temporary runtime directory.
fn display() -> TestDisplay {
    TestDisplay::numbered(1, Size::new(640, 400))
}

/// Runs `program` with `args` on `display`; it must succeed.
fn run(display: &TestDisplay, program: &str, args: &[&str]) -> Output {
    let out = display.command(program).args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn netinfo(display: &TestDisplay) -> String {
    String::from_utf8_lossy(&run(display, env!("CARGO_BIN_EXE_netinfo"), &[]).stdout).into_owned()
}

/// Waits until `netinfo` shows `text`.
fn wait_for(display: &TestDisplay, text: &str) -> String {
    let start = Instant::now();
    loop {
        let info = netinfo(display);
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

/// Compares a PNG file (a screenshot) with the golden `tests/golden/NAME.png`.
fn assert_same_png(actual: &std::path::Path, name: &str) {
    let (width, height, rgba) = read_png(actual).expect("the screenshot is a PNG");
    assert_golden!(name, width, height, &rgba);
}

#[test]
fn hello_draws_and_screenshot_and_netinfo_see_it() {
    let fx = display();
    let _hello = KillOnDrop::spawn(&mut fx.command(env!("CARGO_BIN_EXE_hello")));
    let info = wait_for(&fx, "\"Hello, netui\" 480x320+80+60 mapped");
    assert!(info.contains("display:          :1"), "{info}");
    assert!(info.contains("screen:           640x400 pixels"), "{info}");
    assert!(info.contains("\"hello\" from unix (owner)"), "{info}");

    // hello draws on its first expose; wait for the drawing to land, then compare.
    let out = fx.dir.path().join("hello.png");
    let out_text = out.to_str().expect("utf-8 path");
    let start = Instant::now();
    loop {
        run(
            &fx,
            env!("CARGO_BIN_EXE_screenshot"),
            &["--title", "Hello, netui", "-o", out_text],
        );
        let (_, _, rgba) = read_png(&out).expect("png");
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
    assert_same_png(&out, "hello");

    // The whole screen: the window at its place on the desktop.
    let screen = fx.dir.path().join("screen.png");
    let stdout = run(
        &fx,
        env!("CARGO_BIN_EXE_screenshot"),
        &["-o", screen.to_str().expect("utf-8")],
    )
    .stdout;
    assert!(String::from_utf8_lossy(&stdout).starts_with("640x400 written to"));
    assert_same_png(&screen, "hello-screen");
}

#[test]
fn hello_exits_with_a_message_when_the_display_goes_away() {
    let fx = display();
    let hello = fx
        .command(env!("CARGO_BIN_EXE_hello"))
        .stderr(Stdio::piped())
        .spawn()
        .expect("hello starts");
    wait_for(&fx, "Hello, netui");
    let TestDisplay { server, dir, .. } = fx;
    server.stop();
    let out = hello.wait_with_output().expect("hello exits");
    drop(dir);
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
    let mut session = Ready::start(
        Command::new(env!("CARGO_BIN_EXE_netui"))
            .args(["--headless", "--listen", "127.0.0.1:0", "--size", "640x400"])
            .env("XDG_RUNTIME_DIR", runtime.path())
            // The display's TLS key is made here, not in the real home.
            .env("NETUI_TLS_DIR", runtime.path().join("tls")),
    );
    let ready = &session.line;
    assert!(ready.starts_with("netui display :0 ready"), "{ready}");

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
    let status = session.terminate();
    assert!(status.success(), "{status:?}");
    let rest = session.rest_of_output();
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
