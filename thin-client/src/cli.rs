//! The thin client program: its command line, its window or headless run. `main.rs` only
//! calls [`main`], so that the end-to-end tests (in `netui-testkit`) can build the same
//! program beside a display server.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::clipboard::ClipboardSync;
use crate::link::LinkProfile;
use crate::net::Net;
use crate::stats::{mode_name, parse_encoding};
use crate::window::{ViewerEvent, ViewerWindow};
use anyhow::Context;
use clap::Parser;
use netui_protocol::display::DisplayName;
use netui_protocol::{Compression, PixelEncoding, ViewMode};
use netui_window::Frame;

/// Shows a netui display's screen in a window (or headless, for tests and benchmarks).
///
/// Keys in the window: Ctrl+Alt+M cycles auto, command and pixel mode, Ctrl+Alt+E cycles
/// the pixel encoding, Ctrl+Alt+O shows or hides the overlay.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The display to show (:N or HOST:N); defaults to $NETUI_DISPLAY. Over TCP the token
    /// comes from $NETUI_AUTH, as for applications.
    display: Option<String>,
    /// auto (measure what each mode costs and switch while it runs), commands (render the
    /// drawing here) or pixels (the server renders).
    #[arg(long, default_value = "auto", value_parser = ["auto", "commands", "pixels"])]
    mode: String,
    /// The pixel encoding: px-raw, px-damage, px-damage-lz4, px-delta-lz4, px-tiles, or the
    /// lossy px-tiles-jpeg[:QUALITY] (photographic tiles as JPEG, quality 1-100, 75 by
    /// default; text stays exact).
    #[arg(long, default_value = "px-tiles", value_parser = parse_encoding)]
    encoding: PixelEncoding,
    /// How the connection's frames are compressed, both ways: none, lz4 (each frame on its
    /// own) or lz4-ctx (each frame against the last 64 KiB sent before, and repeated large
    /// messages as references to a cache). This is what command mode costs on the link
    /// (cmd-raw, cmd-lz4, cmd-lz4-ctx); pixel updates are never compressed by the connection.
    /// Default: lz4-ctx in auto mode (the cheapest command mode on every workload measured),
    /// lz4 otherwise.
    #[arg(long, value_parser = Compression::parse)]
    compression: Option<Compression>,
    /// Emulate a link: lan, broadband, wan, modem, or RATE,DELAY such as 1mbit,20ms.
    #[arg(long, value_parser = LinkProfile::parse)]
    link: Option<LinkProfile>,
    /// No window: follow the display for --seconds, then write --stats and --screenshot.
    #[arg(long)]
    headless: bool,
    /// With --headless: how long to follow the display.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// With --headless: write the measurements here as JSON.
    #[arg(long)]
    stats: Option<std::path::PathBuf>,
    /// With --headless: write the viewer's picture here as PNG.
    #[arg(long)]
    screenshot: Option<std::path::PathBuf>,
    /// Keep the display's clipboard and this machine's the same (text and images): both ways,
    /// to-host (the display's copies paste here), from-host (copies here paste there), or
    /// off.
    #[arg(long, value_enum, default_value_t = ClipboardSync::Both)]
    clipboard: ClipboardSync,
}

/// The `thin-client` program: parses its arguments, runs, and says what went wrong.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,winit=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("thin-client: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let name = match &args.display {
        Some(name) => DisplayName::parse(name)?,
        None => DisplayName::parse(
            &std::env::var(netui_protocol::display::DISPLAY_ENV)
                .context("no display: name one (thin-client :1) or set NETUI_DISPLAY")?,
        )?,
    };
    let auto = args.mode == "auto";
    let mode = if args.mode == "pixels" {
        ViewMode::Pixels(args.encoding)
    } else {
        ViewMode::Commands
    };
    let compression = args.compression.unwrap_or(if auto {
        Compression::Lz4Ctx
    } else {
        Compression::Lz4
    });
    let profile = args.link.clone().unwrap_or_else(LinkProfile::unlimited);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .context("cannot start the tokio runtime")?;
    // The window needs the event loop before anything else, so that a missing desktop is
    // reported before connecting.
    let event_loop = if args.headless {
        None
    } else {
        Some(netui_window::event_loop::<ViewerEvent>().map_err(|e| anyhow::anyhow!("{e}"))?)
    };
    let (server, token) = netui::connect::open(&name)?;
    let (display, link) = crate::connect::open_stream_with(
        &runtime,
        server,
        token,
        &name.to_string(),
        profile.clone(),
        compression,
    )?;
    let size = display.screen_size();
    // The clipboard has a connection of its own, so that a paste never holds up updates.
    if args.clipboard != ClipboardSync::Off {
        match crate::connect::open(&runtime, &name, profile.clone()) {
            Ok((clip, _)) => {
                crate::clipboard::start(clip, args.clipboard);
            }
            Err(e) => tracing::warn!("no clipboard bridge: {e:#}"),
        }
    }
    let mut net = if auto {
        Net::start_auto(display, link, args.encoding)?
    } else {
        Net::start(display, link, mode)?
    };
    let Some(event_loop) = event_loop else {
        net.run_for(args.seconds).map_err(anyhow::Error::msg)?;
        if let Some(path) = &args.stats {
            let mut report = net.stats.report(net.view.mode(), &net.link);
            report.auto = net.auto().map(|a| a.reason().to_owned());
            std::fs::write(path, serde_json::to_string_pretty(&report)?)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if let Some(path) = &args.screenshot {
            write_png(path, net.view.screen())?;
        }
        return Ok(());
    };

    let proxy = event_loop.create_proxy();
    let sender = net.sender();
    let link_name = profile.name.clone();
    let display_name = name.to_string();
    std::thread::Builder::new()
        .name("netui-viewer-net".into())
        .spawn(move || {
            let mut next_status = Instant::now();
            loop {
                match net.step(Duration::from_millis(250)) {
                    Ok(changed) => {
                        if !changed.is_empty() {
                            let frame = Frame::capture(net.view.screen(), &changed);
                            if proxy.send_event(ViewerEvent::Frame(frame)).is_err() {
                                return;
                            }
                        }
                    }
                    Err(why) => {
                        let _ = proxy.send_event(ViewerEvent::Closed(why));
                        return;
                    }
                }
                if Instant::now() >= next_status {
                    next_status = Instant::now() + Duration::from_millis(500);
                    net.stats.sample(&net.link);
                    let lines = status_lines(&net, &display_name, &link_name);
                    if proxy
                        .send_event(ViewerEvent::Status {
                            lines,
                            mode: net.view.mode(),
                            auto: net.auto().is_some(),
                        })
                        .is_err()
                    {
                        return;
                    }
                }
            }
        })
        .context("cannot start the network thread")?;
    let mut window = ViewerWindow::new(format!("netui viewer {name}"), size, sender, args.encoding);
    window.auto = auto;
    event_loop
        .run_app(&mut window)
        .context("the window failed")?;
    if let Some(error) = window.error {
        anyhow::bail!(error);
    }
    Ok(())
}

fn status_lines(net: &Net, display: &str, link: &str) -> Vec<String> {
    use std::sync::atomic::Ordering;
    let s = &net.stats;
    let kb = |b: f64| b / 1024.0;
    let down = net.link.down.load(Ordering::Relaxed);
    let latency = match (s.latency_ms(50.0), s.latency_ms(99.0)) {
        (Some(p50), Some(p99)) => format!("latency p50 {p50:.1} ms  p99 {p99:.1} ms"),
        _ => "latency: move or type to measure".into(),
    };
    let mode = match net.auto() {
        Some(_) => format!("auto: {}", mode_name(net.view.mode())),
        None => mode_name(net.view.mode()),
    };
    let mut lines = vec![
        format!("{display}  {mode}  link {link}"),
        format!(
            "down {:.1} KB/s  up {:.1} KB/s  total {:.1} KB",
            kb(s.rate.0),
            kb(s.rate.1),
            kb(down as f64)
        ),
        format!("{} updates/s  ratio {:.1}x", s.fps(), s.ratio(&net.link)),
        latency,
    ];
    if let Some(auto) = net.auto() {
        lines.push(auto.reason().to_owned());
    }
    lines
}

fn write_png(path: &std::path::Path, canvas: &netui_scene::render::Canvas) -> anyhow::Result<()> {
    let (_, rgba) = canvas.read_rgba(canvas.bounds());
    let png = netui::image::encode_png(canvas.width(), canvas.height(), &rgba)
        .map_err(anyhow::Error::msg)?;
    std::fs::write(path, png).with_context(|| format!("cannot write {}", path.display()))
}
