//! `nested`: what a nested display costs (issue #15). The same application, drawing the same
//! updates, once on a headless display and once on a nested display (`display-server
//! --nested`, a process) whose screen is a window on that headless display. Per update it
//! measures the bytes that reach the outer display (the application's own, or the nested
//! server's images of what changed) and the latency from the application's flush until the
//! update shows on the outer screen (a probe client reads that pixel back).
//!
//! The bytes are counted on the wire: each connection to the outer display goes through a
//! counting relay on a Unix socket (the nested server finds the relay as its outer display).
//! A benchmark, not a test: it prints what it measured.
//!
//! Updates come `--gap-ms` apart (50 by default, as typing or a clock would), after the
//! previous one showed: with `--gap-ms 0` each update arrives right after the previous
//! frame, and the nested display's frame pacing (one frame per 16.7 ms) holds it back for
//! most of a frame, which is what the latency then measures.
//!
//! `cargo build --release -p netui-display-server -p netui-bench && \
//!  cargo run --release -p netui-bench --bin nested -- --updates 200`

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use netui::{Color, Display, Font, Point, Rect, ResourceId, Size};
use netui_display_server::{ServerConfig, ServerHandle};
use netui_protocol::Limits;

/// Bytes per update and update latency of an application on a nested display against the
/// same application on the outer display.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Updates the application draws in each case.
    #[arg(long, default_value_t = 200)]
    updates: u32,
    /// Milliseconds between updates (after the previous one showed): more than a frame
    /// (16.7 ms), as typing or a clock, so that a display's frame pacing does not hold an
    /// update back behind the previous one's frame.
    #[arg(long, default_value_t = 50)]
    gap_ms: u64,
    /// The display-server program [default: display-server beside this benchmark].
    #[arg(long)]
    server: Option<PathBuf>,
}

/// The outer display's number, in the benchmark's own runtime directories.
const OUTER: u16 = 1;
/// The nested display's number.
const INNER: u16 = 2;
/// The outer screen, and the nested one in a window on it.
const OUTER_SIZE: Size = Size::new(1024, 768);
const INNER_SIZE: Size = Size::new(640, 480);
/// The application's window, and the line it redraws in each update.
const APP: Rect = Rect::new(40, 40, 400, 200);
const LINE: Rect = Rect::new(10, 10, 360, 24);

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let server = match args.server.clone() {
        Some(server) => server,
        None => std::env::current_exe()?
            .parent()
            .context("the benchmark's folder")?
            .join("display-server"),
    };
    if !server.exists() {
        bail!(
            "{} is missing: build it first (cargo build --release -p netui-display-server)",
            server.display()
        );
    }
    let outer_dir = private_dir()?;
    let outer_socket = outer_dir
        .path()
        .join("netui")
        .join(format!("display-{OUTER}.sock"));
    let outer = ServerHandle::start(ServerConfig {
        display: format!(":{OUTER}"),
        size: OUTER_SIZE,
        unix: Some(outer_socket.clone()),
        tcp: None,
        tls: None,
        token: vec![1; 32],
        view_token: vec![2; 32],
        limits: Limits::default(),
        rfb: None,
    })?;

    println!(
        "{} updates of a {}x{} line (a fill and its text), each flushed alone, {} ms apart",
        args.updates, LINE.width, LINE.height, args.gap_ms
    );
    println!(
        "{:<8} {:>14} {:>14} {:>12} {:>12} {:>12}",
        "display", "bytes/update", "down/update", "p50 ms", "p90 ms", "max ms"
    );

    // The application on the outer display, through a counting relay.
    let relay_dir = private_dir()?;
    let relay = Relay::start(
        &relay_dir
            .path()
            .join("netui")
            .join(format!("display-{OUTER}.sock")),
        &outer_socket,
    )?;
    let mut app = Display::connect_unix(&relay.path, "nested-bench-app")?;
    let mut probe = Display::connect_unix(&outer_socket, "nested-bench-probe")?;
    let gap = Duration::from_millis(args.gap_ms);
    let result = measure(&mut app, &mut probe, &relay, args.updates, gap, |probe| {
        window_origin(probe, "bench")
    })?;
    result.print("outer");
    drop(app);

    // The same on a nested display whose outer display is the relay.
    let relay = Relay::start(
        &relay_dir
            .path()
            .join("netui")
            .join(format!("display-{OUTER}.sock")),
        &outer_socket,
    )?;
    let mut nested = Nested::start(&server, relay_dir.path())?;
    let inner_socket = relay_dir
        .path()
        .join("netui")
        .join(format!("display-{INNER}.sock"));
    let mut app = Display::connect_unix(&inner_socket, "nested-bench-app")?;
    let title = format!("netui :{INNER} (nested)");
    let result = measure(&mut app, &mut probe, &relay, args.updates, gap, |probe| {
        let window = window_origin(probe, &title)?;
        let mut inner = Display::connect_unix(&inner_socket, "nested-bench-where")?;
        let app = window_origin(&mut inner, "bench")?;
        Ok(Point::new(window.x + app.x, window.y + app.y))
    })?;
    result.print("nested");
    drop(app);
    nested.stop();
    outer.stop();
    Ok(())
}

/// What one case measured.
struct Measured {
    up: u64,
    down: u64,
    updates: u32,
    latencies: Vec<Duration>,
}

impl Measured {
    fn print(&self, name: &str) {
        let mut l = self.latencies.clone();
        l.sort_unstable();
        let at = |q: f64| {
            l.get(((l.len() as f64 - 1.0) * q).round() as usize)
                .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "{:<8} {:>14.0} {:>14.0} {:>12.2} {:>12.2} {:>12.2}",
            name,
            self.up as f64 / f64::from(self.updates),
            self.down as f64 / f64::from(self.updates),
            at(0.5),
            at(0.9),
            at(1.0)
        );
    }
}

/// Opens the application's window, waits until it shows on the outer screen (whose origin
/// `origin` finds), then draws `updates` updates, each in a colour of its own, and times each
/// until the probe sees that colour on the outer screen. The relay's bytes are counted over
/// the updates only.
fn measure(
    app: &mut Display,
    probe: &mut Display,
    relay: &Relay,
    updates: u32,
    gap: Duration,
    origin: impl Fn(&mut Display) -> anyhow::Result<Point>,
) -> anyhow::Result<Measured> {
    let window = app.create_window(APP, "bench", Color::WHITE)?;
    app.map(window);
    app.fill_rect(window, LINE, colour(0));
    app.sync()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    let at = loop {
        if let Ok(at) = origin(probe) {
            if seen(
                probe,
                Point::new(at.x + LINE.x + 1, at.y + LINE.y + 1),
                colour(0),
            )? {
                break Point::new(at.x + LINE.x + 1, at.y + LINE.y + 1);
            }
        }
        if Instant::now() > deadline {
            bail!("the application's window never showed on the outer screen");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // Let the first picture settle before counting.
    std::thread::sleep(Duration::from_millis(200));
    let (up0, down0) = relay.counts();
    let mut latencies = Vec::with_capacity(updates as usize);
    for i in 1..=updates {
        std::thread::sleep(gap);
        let c = colour(i);
        app.fill_rect(window, LINE, c);
        app.text(
            window,
            Point::new(LINE.x + 4, LINE.y + 17),
            Font::Sans,
            14,
            Color::BLACK,
            &format!("update {i}: the quick brown fox jumps over the lazy dog"),
        );
        let start = Instant::now();
        app.flush()?;
        loop {
            if seen(probe, at, c)? {
                break;
            }
            if start.elapsed() > Duration::from_secs(10) {
                bail!("update {i} never showed on the outer screen");
            }
        }
        latencies.push(start.elapsed());
    }
    // Everything the updates caused has passed the relay.
    app.sync()?;
    std::thread::sleep(Duration::from_millis(200));
    let (up1, down1) = relay.counts();
    app.destroy_window(window);
    app.sync()?;
    Ok(Measured {
        up: up1 - up0,
        down: down1 - down0,
        updates,
        latencies,
    })
}

/// Whether the outer screen's pixel at `at` is `c`.
fn seen(probe: &mut Display, at: Point, c: Color) -> anyhow::Result<bool> {
    let image = probe.get_image(ResourceId::ROOT, Some(Rect::new(at.x, at.y, 1, 1)))?;
    Ok(image.rgba.get(..3) == Some(&[c.r, c.g, c.b][..]))
}

/// A colour for each update (never white, black or the desktop's).
fn colour(i: u32) -> Color {
    Color::rgb(
        64 + (i * 37 % 128) as u8,
        64 + (i * 91 % 128) as u8,
        64 + (i * 53 % 128) as u8,
    )
}

/// The screen position of the content of the mapped window titled `title`.
fn window_origin(display: &mut Display, title: &str) -> anyhow::Result<Point> {
    display
        .server_info()?
        .clients
        .into_iter()
        .flat_map(|c| c.windows)
        .find(|w| w.title == title && w.mapped)
        .map(|w| Point::new(w.rect.x, w.rect.y))
        .with_context(|| format!("no window {title:?} yet"))
}

/// A private runtime directory (`XDG_RUNTIME_DIR`) with its `netui` directory.
fn private_dir() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    netui_display_server::runtime::ensure_private_dir(&dir.path().join("netui"))?;
    Ok(dir)
}

/// A Unix socket that relays each connection to `target`, counting the bytes each way.
struct Relay {
    path: PathBuf,
    up: Arc<AtomicU64>,
    down: Arc<AtomicU64>,
}

impl Relay {
    fn start(path: &Path, target: &Path) -> anyhow::Result<Self> {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)?;
        let up = Arc::new(AtomicU64::new(0));
        let down = Arc::new(AtomicU64::new(0));
        let (u, d, target) = (Arc::clone(&up), Arc::clone(&down), target.to_owned());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = UnixStream::connect(&target) else {
                    return;
                };
                let (Ok(client2), Ok(server2)) = (client.try_clone(), server.try_clone()) else {
                    return;
                };
                copy(client, server, Arc::clone(&u));
                copy(server2, client2, Arc::clone(&d));
            }
        });
        Ok(Self {
            path: path.to_owned(),
            up,
            down,
        })
    }

    fn counts(&self) -> (u64, u64) {
        (
            self.up.load(Ordering::Relaxed),
            self.down.load(Ordering::Relaxed),
        )
    }
}

/// Copies `from` into `to` on a thread of its own, counting into `count`.
fn copy(mut from: UnixStream, mut to: UnixStream, count: Arc<AtomicU64>) {
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    count.fetch_add(n as u64, Ordering::Relaxed);
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// The nested display-server process.
struct Nested(Child);

impl Nested {
    fn start(server: &Path, runtime: &Path) -> anyhow::Result<Self> {
        let mut child = Command::new(server)
            .args(["--nested", "--no-tcp", "--display"])
            .arg(format!(":{INNER}"))
            .arg("--size")
            .arg(format!("{}x{}", INNER_SIZE.width, INNER_SIZE.height))
            .env("XDG_RUNTIME_DIR", runtime)
            .env("NETUI_DISPLAY", format!(":{OUTER}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .context("starting display-server --nested")?;
        let mut line = String::new();
        let stdout = child.stdout.take().context("its output")?;
        BufReader::new(stdout).read_line(&mut line)?;
        if !line.contains("ready") {
            let _ = child.kill();
            bail!("display-server --nested did not say it was ready: {line}");
        }
        Ok(Self(child))
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
