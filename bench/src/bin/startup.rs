//! `startup`: how fast applications start on a display — the round trips each demo needs from
//! connecting to its first frame, and the time from a click on the launcher's button to the
//! demo's first frame on the screen. A benchmark, not a test: it prints what it measured.
//!
//! `cargo run --release -p netui-bench --bin startup`

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use netui::{Button, Display, InputEvent, Point, ResourceId, Size, WindowKind};
use netui_display_server::{ServerConfig, ServerHandle};
use netui_protocol::display::{socket_path, DISPLAY_ENV};
use netui_protocol::Limits;

/// Measures round trips to the first frame and launcher-click-to-first-frame times.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Launches per demo (the median is reported).
    #[arg(long, default_value_t = 5)]
    runs: usize,
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let runtime = tempfile::tempdir()?;
    let dir = runtime.path().join("netui");
    netui_display_server::runtime::ensure_private_dir(&dir)?;
    let server = ServerHandle::start(ServerConfig {
        display: ":1".into(),
        size: Size::new(1280, 800),
        unix: Some(socket_path(&dir, 1)),
        tcp: None,
        tls: None,
        token: vec![9; 32],
        view_token: vec![8; 32],
        limits: Limits::default(),
        rfb: None,
    })?;
    let socket = server.unix_path().context("socket")?.to_owned();

    println!("Round trips from connect to the first frame (the handshake counts as one):");
    for demo in demos::catalog() {
        let mut d = Display::connect_unix(&socket, demo.name)?;
        (demo.script)(&mut d, 1)?;
        // Every script ends with a sync, which is not part of starting up.
        println!("  {:<10} {}", demo.name, d.stats().round_trips - 1);
    }

    let netui = std::env::current_exe()?.with_file_name("netui");
    if !netui.exists() {
        bail!(
            "{} is missing: build it first (cargo build --release -p demos)",
            netui.display()
        );
    }
    let mut probe = Display::connect_unix(&socket, "probe")?;
    let _launcher = Killed(
        Command::new(&netui)
            .arg("launcher")
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env(DISPLAY_ENV, ":1")
            .spawn()?,
    );
    let bar = wait_for(&mut probe, |w| w.kind == WindowKind::Panel && w.mapped)?;
    let titles = demos::launcher::button_titles();
    let layout = demos::launcher::layout(probe.fonts(), 1280, &titles);
    println!("\nFrom a click on the launcher's button to the demo's first frame on the screen ({} runs, median):", args.runs);
    for (demo, button) in demos::catalog().iter().zip(&layout.demos) {
        let mut times = Vec::new();
        for _ in 0..args.runs {
            let before: Vec<ResourceId> = windows(&mut probe)?.iter().map(|w| w.id).collect();
            let click = Point::new(bar.rect.x + button.x + 4, bar.rect.y + button.y + 4);
            let start = Instant::now();
            probe.inject(InputEvent::PointerMoved(click));
            probe.inject(InputEvent::Button {
                button: Button::Left,
                pressed: true,
            });
            probe.inject(InputEvent::Button {
                button: Button::Left,
                pressed: false,
            });
            probe.flush()?;
            let window = wait_for(&mut probe, |w| {
                w.mapped && w.kind == WindowKind::Normal && !before.contains(&w.id)
            })?;
            // The first frame: the window shows something other than its background.
            loop {
                let image = probe.get_image(window.id, None)?;
                if image.rgba.chunks(4).any(|p| p != &image.rgba[..4]) {
                    break;
                }
                if start.elapsed() > Duration::from_secs(10) {
                    bail!("{} never drew", demo.name);
                }
            }
            times.push(start.elapsed());
            // Close it (twice if it does not listen) and wait until it is gone.
            let close = netui_scene::wm::close_rect(window.rect);
            for _ in 0..2 {
                probe.inject(InputEvent::PointerMoved(Point::new(
                    close.x + 3,
                    close.y + 3,
                )));
                probe.inject(InputEvent::Button {
                    button: Button::Left,
                    pressed: true,
                });
                probe.inject(InputEvent::Button {
                    button: Button::Left,
                    pressed: false,
                });
                probe.sync()?;
                std::thread::sleep(Duration::from_millis(50));
                if !windows(&mut probe)?.iter().any(|w| w.id == window.id) {
                    break;
                }
            }
        }
        times.sort();
        let median = times[times.len() / 2];
        println!(
            "  {:<10} {:>6.1} ms  (fastest {:.1} ms, slowest {:.1} ms)",
            demo.name,
            ms(median),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn windows(d: &mut Display) -> anyhow::Result<Vec<netui_protocol::WindowInfo>> {
    Ok(d.server_info()?
        .clients
        .into_iter()
        .flat_map(|c| c.windows)
        .collect())
}

/// Polls the window list (each poll is a round trip of well under a millisecond).
fn wait_for(
    d: &mut Display,
    want: impl Fn(&netui_protocol::WindowInfo) -> bool,
) -> anyhow::Result<netui_protocol::WindowInfo> {
    let start = Instant::now();
    loop {
        if let Some(w) = windows(d)?.into_iter().find(|w| want(w)) {
            return Ok(w);
        }
        if start.elapsed() > Duration::from_secs(10) {
            bail!("the window never appeared");
        }
    }
}
