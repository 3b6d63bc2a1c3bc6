//! Real VNC viewers, for the tests of a display's RFB endpoint: TigerVNC's `vncviewer` (in a
//! window under [`Xvfb`]), vncdotool (a scripted client from PyPI) and noVNC (npm) in Debian's
//! headless Chromium, driven by playwright-core.
//!
//! `.ci/run` installs them all: Debian's tigervnc-viewer, tigervnc-tools (`vncpasswd`) and
//! chromium; vncdotool in a virtual environment at `target/peers/venv` (pinned in
//! `testkit/python/requirements.txt`); noVNC and playwright-core in `testkit/web/node_modules`
//! (pinned by `testkit/web/package-lock.json`). A test whose viewer is missing says
//! `SKIPPED: ...` and passes, unless `NETUI_REQUIRE_XVFB` is set (as `.ci/run` sets it): then
//! it fails, as the Xvfb tests do.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::golden::{rgba, write_png, xrgb};
use crate::process::KillOnDrop;
use crate::xvfb::Xvfb;
use crate::DEADLINE;

/// The workspace's root (where `target/peers` is).
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit sits in the workspace")
        .to_path_buf()
}

/// Whether `program` runs at all (found on `PATH` and executable).
fn runs(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// Says that a test was skipped because `what` is missing (and how to install it), or fails
/// when `NETUI_REQUIRE_XVFB` asks for every test to run.
fn missing<T>(what: &str, install: &str) -> Option<T> {
    assert!(
        std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
        "NETUI_REQUIRE_XVFB is set but {what} is missing ({install})"
    );
    eprintln!("SKIPPED: {what} is missing ({install})");
    None
}

/// An image: width, height and RGBA rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row after row, RGBA.
    pub rgba: Vec<u8>,
}

/// Waits until the image that `capture` returns equals the one that `expected` returns
/// (both taken again each time, so an application still drawing does not fail the test) and
/// returns it. Fails after [`DEADLINE`], naming `what` and writing both images as PNGs in the
/// temporary directory.
pub fn wait_same(
    what: &str,
    mut capture: impl FnMut() -> Image,
    expected: impl Fn() -> Image,
) -> Image {
    let start = Instant::now();
    loop {
        let actual = capture();
        let wanted = expected();
        if actual == wanted {
            return actual;
        }
        if start.elapsed() > DEADLINE {
            let differing = if (actual.width, actual.height) == (wanted.width, wanted.height) {
                format!(
                    "{} pixels differ",
                    crate::golden::differing(&actual.rgba, &wanted.rgba)
                )
            } else {
                format!(
                    "{}x{} instead of {}x{}",
                    actual.width, actual.height, wanted.width, wanted.height
                )
            };
            let (a, e) = write_pair(what, &actual, &wanted);
            panic!(
                "{what}: never equal to the server's screen ({differing}); see {} and {}",
                a.display(),
                e.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Writes `actual` and `expected` side by side in the temporary directory (outside any
/// test's own, which goes away with the failing test); their paths.
pub fn write_pair(what: &str, actual: &Image, expected: &Image) -> (PathBuf, PathBuf) {
    let stem: String = what
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let dir = std::env::temp_dir();
    let a = dir.join(format!(
        "netui-test-{}-{stem}.actual.png",
        std::process::id()
    ));
    let e = dir.join(format!(
        "netui-test-{}-{stem}.expected.png",
        std::process::id()
    ));
    write_png(&a, actual.width, actual.height, &actual.rgba);
    write_png(&e, expected.width, expected.height, &expected.rgba);
    (a, e)
}

/// The peak signal-to-noise ratio of `actual` against `expected` (RGBA) over R, G and B, in
/// dB (infinite when they are equal): how a lossy (JPEG) picture is judged.
pub fn psnr(actual: &[u8], expected: &[u8]) -> f64 {
    assert_eq!(actual.len(), expected.len(), "images of different sizes");
    netui_scene::render::psnr(&xrgb(actual), &xrgb(expected))
}

// ---- TigerVNC ----

/// TigerVNC's viewer (Debian: tigervnc-viewer) and `vncpasswd` (tigervnc-tools).
pub struct TigerVnc {
    viewer: PathBuf,
}

/// A running `vncviewer` window on an [`Xvfb`], killed when dropped.
pub struct TigerVncWindow {
    /// The X window that shows the remote screen (for xdotool and xwd).
    pub window: String,
    _process: KillOnDrop,
}

impl TigerVnc {
    /// `vncviewer` and `vncpasswd` when both are installed; otherwise `None` (skipped) or a
    /// failure (`NETUI_REQUIRE_XVFB`).
    pub fn find() -> Option<Self> {
        let viewer = PathBuf::from("vncviewer");
        if !runs(&viewer, &["-help"]) || !runs(Path::new("vncpasswd"), &["-help"]) {
            return missing(
                "TigerVNC's vncviewer or vncpasswd",
                "apt-get install tigervnc-viewer tigervnc-tools",
            );
        }
        Some(Self { viewer })
    }

    /// Writes `password` in `dir` as a VNC password file (obfuscated by `vncpasswd -f`, as
    /// the viewer's `-passwd` option reads it) and returns its path.
    pub fn password_file(dir: &Path, password: &str) -> PathBuf {
        let mut child = Command::new("vncpasswd")
            .arg("-f")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("vncpasswd runs");
        let mut stdin = child.stdin.take().expect("a piped stdin");
        writeln!(stdin, "{password}").expect("vncpasswd reads the password");
        drop(stdin);
        let out = child.wait_with_output().expect("vncpasswd ends");
        assert!(
            out.status.success() && out.stdout.len() == 8,
            "vncpasswd -f failed"
        );
        let path = dir.join("vnc.passwd");
        std::fs::write(&path, &out.stdout).expect("writes the password file");
        path
    }

    /// Starts the viewer on `xvfb`, connecting to `addr` with the password in `password_file`
    /// with lossless settings (`encoding` preferred: ZRLE, Tight, Hextile or Raw; no JPEG,
    /// full colour, no automatic choice, no resizing of the remote screen), and waits for its
    /// window.
    pub fn start(
        &self,
        xvfb: &Xvfb,
        addr: SocketAddr,
        password_file: &Path,
        encoding: &str,
    ) -> TigerVncWindow {
        self.start_with(
            xvfb,
            addr,
            password_file,
            encoding,
            &["-SecurityTypes", "VncAuth"],
        )
    }

    /// [`TigerVnc::start`] with `security` instead of `-SecurityTypes VncAuth`: such as
    /// VeNCrypt's X509Vnc with the server's certificate as the CA
    /// (`-SecurityTypes X509Vnc -X509CA cert.pem`).
    pub fn start_with(
        &self,
        xvfb: &Xvfb,
        addr: SocketAddr,
        password_file: &Path,
        encoding: &str,
        security: &[&str],
    ) -> TigerVncWindow {
        let process = KillOnDrop::spawn(
            Command::new(&self.viewer)
                .arg("-passwd")
                .arg(password_file)
                .args(security)
                .args([
                    "-PreferredEncoding",
                    encoding,
                    "-AutoSelect=0",
                    "-NoJPEG",
                    "-FullColor",
                    "-RemoteResize=0",
                    "-Shared",
                    "-geometry",
                    "+0+0",
                    &format!("{}::{}", addr.ip(), addr.port()),
                ])
                .env("DISPLAY", xvfb.display())
                .env_remove("WAYLAND_DISPLAY")
                .stdout(Stdio::null())
                .stderr(Stdio::null()),
        );
        // Its title is the desktop's name, then " - TigerVNC".
        let window = xvfb.find_window(" - TigerVNC$");
        TigerVncWindow {
            window,
            _process: process,
        }
    }
}

impl TigerVncWindow {
    /// The window's pixels (xwd), as an RGBA [`Image`].
    pub fn image(&self, xvfb: &Xvfb) -> Image {
        let capture = xvfb.capture(&self.window);
        Image {
            width: capture.width,
            height: capture.height,
            rgba: rgba(&capture.pixels),
        }
    }
}

// ---- vncdotool ----

/// vncdotool (PyPI), run by the Python that has it: the virtual environment `.ci/run` makes
/// at `target/peers/venv`, or else `python3` from `PATH` when it can import it.
pub struct Vncdo {
    python: PathBuf,
}

/// The encodings that vncdotool decodes, by the names of its `rfb.Encoding` (it offers one
/// at a time, beside the pseudo-encodings; Raw is always allowed).
pub const VNCDO_ENCODINGS: &[&str] = &["RAW", "COPY_RECTANGLE", "RRE", "CORRE", "HEXTILE", "ZRLE"];

impl Vncdo {
    /// vncdotool when it is installed; otherwise `None` (skipped) or a failure
    /// (`NETUI_REQUIRE_XVFB`).
    pub fn find() -> Option<Self> {
        let venv = workspace().join("target/peers/venv/bin/python");
        for python in [venv, PathBuf::from("python3")] {
            let imports = Command::new(&python)
                .args(["-c", "import vncdotool"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if imports {
                return Some(Self { python });
            }
        }
        missing(
            "vncdotool",
            "python3 -m venv target/peers/venv && target/peers/venv/bin/pip install -r testkit/python/requirements.txt",
        )
    }

    /// Runs vncdo against `addr` with `password`, offering `encoding` (one of
    /// [`VNCDO_ENCODINGS`]), with `args` as its commands (`capture FILE`, `move X Y`, ...),
    /// and a timeout of [`DEADLINE`].
    pub fn run(&self, addr: SocketAddr, password: &str, encoding: &str, args: &[&str]) -> Output {
        Command::new(&self.python)
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("python/vncdo_encoding.py"))
            .arg(encoding)
            .args(["-s", &format!("{}::{}", addr.ip(), addr.port())])
            .args(["-p", password])
            // Without Cursor the server may draw the pointer into the picture; with it
            // (and not drawing it), the capture is the screen alone.
            .arg("--nocursor")
            .args(["-t", &DEADLINE.as_secs().to_string()])
            .args(args)
            // cryptography warns about TripleDES on every run.
            .env("PYTHONWARNINGS", "ignore")
            .stdin(Stdio::null())
            .output()
            .expect("vncdo runs")
    }

    /// The screen at `addr` as vncdo captures it offering `encoding`, written to `file` (a
    /// PNG) and read back; the error is vncdo's output when it fails.
    pub fn capture(
        &self,
        addr: SocketAddr,
        password: &str,
        encoding: &str,
        file: &Path,
    ) -> Result<Image, String> {
        let path = file.to_str().expect("a UTF-8 path");
        let out = self.run(addr, password, encoding, &["capture", path]);
        if !out.status.success() {
            return Err(format!(
                "vncdo exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let (width, height, rgba) = crate::golden::read_png(file)?;
        Ok(Image {
            width,
            height,
            rgba,
        })
    }
}

// ---- noVNC ----

/// noVNC (npm `@novnc/novnc`) in Debian's headless Chromium, driven by playwright-core
/// through `testkit/web/novnc.mjs`.
pub struct NoVnc {
    script: PathBuf,
    chromium: PathBuf,
}

/// A page with noVNC connected, answering the driver's commands; the browser is closed (and
/// the driver killed) when it is dropped.
pub struct NoVncPage {
    /// The remote screen's size, as noVNC's canvas has it.
    pub size: (u32, u32),
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    _process: KillOnDrop,
}

impl NoVnc {
    /// noVNC, playwright-core, node and Chromium when all are installed; otherwise `None`
    /// (skipped) or a failure (`NETUI_REQUIRE_XVFB`). Chromium is `/usr/bin/chromium` unless
    /// `NETUI_CHROMIUM` names another.
    pub fn find() -> Option<Self> {
        let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let chromium = std::env::var_os("NETUI_CHROMIUM")
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        if !runs(Path::new("node"), &["--version"]) {
            return missing("node", "apt-get install nodejs npm");
        }
        let modules = web.join("node_modules");
        if !modules.join("@novnc/novnc/core/rfb.js").exists()
            || !modules.join("playwright-core/package.json").exists()
        {
            return missing(
                "noVNC or playwright-core",
                "cd testkit/web && npm ci --no-audit --no-fund",
            );
        }
        if !chromium.exists() {
            return missing("Chromium", "apt-get install chromium");
        }
        Some(Self {
            script: web.join("novnc.mjs"),
            chromium,
        })
    }

    /// Opens noVNC's page and connects it to the RFB endpoint at `addr` over a WebSocket with
    /// `password`. `lossless` takes noVNC's quality level (and JPEG) out of its SetEncodings,
    /// so that a server must not send JPEG. The error is what the driver said (a refused
    /// password, a connection that failed).
    pub fn connect(
        &self,
        addr: SocketAddr,
        password: &str,
        lossless: bool,
    ) -> Result<NoVncPage, String> {
        self.open(&format!("ws://{addr}"), None, password, lossless)
    }

    /// [`NoVnc::connect`] over `wss://`, the browser trusting the one key whose SPKI pin
    /// (see [`spki_pin`]) is `pin`, as Chromium's `--ignore-certificate-errors-spki-list`
    /// does: any other certificate fails the connection.
    pub fn connect_wss(
        &self,
        addr: SocketAddr,
        pin: &str,
        password: &str,
        lossless: bool,
    ) -> Result<NoVncPage, String> {
        self.open(&format!("wss://{addr}"), Some(pin), password, lossless)
    }

    fn open(
        &self,
        url: &str,
        pin: Option<&str>,
        password: &str,
        lossless: bool,
    ) -> Result<NoVncPage, String> {
        let mut command = Command::new("node");
        command
            .arg(&self.script)
            .args(["--url", url])
            .args(["--password", password])
            .arg("--chromium")
            .arg(&self.chromium)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        if lossless {
            command.arg("--lossless");
        }
        if let Some(pin) = pin {
            command.args(["--spki", pin]);
        }
        let mut process = KillOnDrop::spawn(&mut command);
        let stdin = process.0.stdin.take().expect("a piped stdin");
        let stdout = BufReader::new(process.0.stdout.take().expect("a piped stdout"));
        let mut page = NoVncPage {
            size: (0, 0),
            stdin,
            stdout,
            _process: process,
        };
        let ready = page.line();
        let Some(size) = ready.strip_prefix("ready ") else {
            return Err(ready);
        };
        let (w, h) = size.split_once('x').expect("ready WIDTHxHEIGHT");
        page.size = (w.parse().expect("a width"), h.parse().expect("a height"));
        Ok(page)
    }
}

/// What Chromium's `--ignore-certificate-errors-spki-list` takes for the certificate in the
/// PEM file `cert`: the SHA-256 of its SubjectPublicKeyInfo, in base64 (what `openssl x509
/// -pubkey -noout -in cert.pem | openssl pkey -pubin -outform der | openssl dgst -sha256
/// -binary | base64` prints).
pub fn spki_pin(cert: &Path) -> String {
    use base64::Engine;
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_file(cert)
        .unwrap_or_else(|e| panic!("a certificate in {}: {e}", cert.display()));
    let parsed = webpki::EndEntityCert::try_from(&der)
        .unwrap_or_else(|e| panic!("a certificate that parses in {}: {e:?}", cert.display()));
    let spki = parsed.subject_public_key_info();
    let digest = ring::digest::digest(&ring::digest::SHA256, spki.as_ref());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

impl NoVncPage {
    /// The driver's next line of output (empty when it has ended).
    fn line(&mut self) -> String {
        let mut line = String::new();
        let _ = self.stdout.read_line(&mut line);
        line.trim_end().to_owned()
    }

    /// Sends the driver `command` and returns its answer; fails on an error.
    fn ask(&mut self, command: &str) -> String {
        writeln!(self.stdin, "{command}").expect("the noVNC driver is running");
        let answer = self.line();
        assert!(
            !answer.is_empty() && !answer.starts_with("error"),
            "noVNC driver, {command:?}: {answer:?}"
        );
        answer
    }

    /// noVNC's canvas, as an RGBA [`Image`] (through the file `scratch`).
    pub fn image(&mut self, scratch: &Path) -> Image {
        let path = scratch.to_str().expect("a UTF-8 path");
        let answer = self.ask(&format!("shot {path}"));
        let mut dims = answer
            .split(' ')
            .skip(1)
            .map(|n| n.parse().expect("a size"));
        let (width, height) = (
            dims.next().expect("a width"),
            dims.next().expect("a height"),
        );
        let rgba = std::fs::read(scratch).expect("the canvas's pixels");
        assert_eq!(rgba.len(), (width * height * 4) as usize, "a whole canvas");
        Image {
            width,
            height,
            rgba,
        }
    }

    /// Clicks the left button at (`x`, `y`) of the remote screen, in the page.
    pub fn click(&mut self, x: u32, y: u32) {
        self.ask(&format!("click {x} {y}"));
    }

    /// Types `text` on the page's keyboard (noVNC has the focus).
    pub fn type_text(&mut self, text: &str) {
        assert!(!text.contains('\n'), "one line at a time");
        self.ask(&format!("type {text}"));
    }

    /// Presses a key by playwright's name (`Enter`, `Control+s`).
    pub fn key(&mut self, name: &str) {
        self.ask(&format!("key {name}"));
    }
}

impl Drop for NoVncPage {
    fn drop(&mut self) {
        // Ask the driver to close the browser; killing it (KillOnDrop) would leave Chromium.
        if writeln!(self.stdin, "quit").is_ok() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline && !self.line().is_empty() {}
        }
    }
}

/// The server's screen of `display`, as an [`Image`] of `size`.
pub fn screen(display: &crate::TestDisplay, size: netui::Size) -> Image {
    Image {
        width: size.width,
        height: size.height,
        rgba: display.screen(),
    }
}

// ---- a desktop to look at and drive ----

/// A numbered display serving RFB, with `notepad` editing a file that does not exist yet
/// and `hello` on top of it: what the viewers' tests look at, click and type into.
///
/// The screen must be wider than 700 and taller than 480 pixels, so that notepad (at
/// (60, 40), 640x440) shows beside hello (at (80, 60), 480x320), at [`Desktop::NOTEPAD_ONLY`].
pub struct Desktop {
    /// The display (its screen, its RFB address).
    pub display: crate::TestDisplay,
    /// The screen's size.
    pub size: netui::Size,
    /// The file notepad saves to (Ctrl+S).
    pub notepad_file: PathBuf,
    /// A client of the display's own, to ask about its windows and pixels.
    pub client: netui::Display,
    _hello: KillOnDrop,
    _notepad: KillOnDrop,
}

/// hello's title band, at the top-left corner of its window once it has drawn.
const HELLO_BLUE: [u8; 4] = [0x3b, 0x5b, 0x98, 255];
/// A point inside hello's window, near its top-left corner, that notepad covers once raised.
const INSIDE_HELLO: (i32, i32) = (85, 65);

impl Desktop {
    /// A point of the screen where notepad shows and hello does not.
    pub const NOTEPAD_ONLY: (u32, u32) = (650, 420);

    /// Display `:number` with a screen of `size` and RFB, notepad, then hello on top; returns
    /// once hello has drawn.
    pub fn start(number: u16, size: netui::Size) -> Self {
        Self::on(crate::TestDisplay::numbered_with_rfb(number, size), size)
    }

    /// [`Desktop::start`] on a display with its TLS key, as a user's display has by default:
    /// its RFB port offers VeNCrypt and serves `wss://` ([`crate::TestDisplay::tls_cert`]).
    pub fn start_with_tls(number: u16, size: netui::Size) -> Self {
        Self::on(
            crate::TestDisplay::numbered_with_rfb_tls(number, size),
            size,
        )
    }

    fn on(display: crate::TestDisplay, size: netui::Size) -> Self {
        let notepad_file = display.dir.path().join("typed.txt");
        let mut client = display.connect("test");
        let notepad = KillOnDrop::spawn(
            display
                .command(crate::process::demo_program("notepad"))
                .arg(&notepad_file),
        );
        crate::server::wait_windows(&mut client, "notepad's window", |ws| {
            ws.iter().any(|w| w.title.ends_with("Notepad") && w.mapped)
        });
        let hello = KillOnDrop::spawn(&mut display.command(crate::process::demo_program("hello")));
        let start = Instant::now();
        while crate::golden::screen_pixel(&mut client, INSIDE_HELLO.0, INSIDE_HELLO.1) != HELLO_BLUE
        {
            assert!(start.elapsed() < DEADLINE, "hello never drew");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            display,
            size,
            notepad_file,
            client,
            _hello: hello,
            _notepad: notepad,
        }
    }

    /// The server's screen, as an [`Image`].
    pub fn screen(&self) -> Image {
        screen(&self.display, self.size)
    }

    /// Whether notepad has the keyboard focus and covers hello (it was raised).
    pub fn notepad_raised(&mut self) -> bool {
        let windows = crate::server::windows(&mut self.client);
        let focused = windows
            .iter()
            .any(|w| w.title.ends_with("Notepad") && w.focused);
        focused
            && crate::golden::screen_pixel(&mut self.client, INSIDE_HELLO.0, INSIDE_HELLO.1)
                != HELLO_BLUE
    }

    /// Waits until a click has raised notepad (focused, over hello); fails after
    /// [`DEADLINE`], naming `what`.
    pub fn wait_notepad_raised(&mut self, what: &str) {
        let start = Instant::now();
        while !self.notepad_raised() {
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: notepad was never raised; windows: {:?}",
                crate::server::windows(&mut self.client)
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until notepad has saved exactly `text`; fails after [`DEADLINE`], naming `what`
    /// and showing what it saved, if anything.
    pub fn wait_saved(&self, what: &str, text: &str) {
        let start = Instant::now();
        loop {
            let saved = std::fs::read_to_string(&self.notepad_file).ok();
            if saved.as_deref() == Some(text) {
                return;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{what}: notepad saved {saved:?}, not {text:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
