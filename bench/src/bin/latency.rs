//! `latency`: input-to-update latency of the thin client, per mode, measured on loopback: a
//! viewer drags a window by its title bar, one pointer move every 25 ms (a 40 Hz mouse), and
//! times each move until the first update that reflects it. With `--link modem --animation`
//! an animation runs meanwhile, the worst case of the issue. With `--slideshow` another
//! application shows a new photograph every 100 ms (the two that `imageview` ships, each
//! slide with its rows turned a little further, so that no slide is one the server has
//! coded before): a command-mode viewer receives each one coded, which takes 10 to 15 ms.
//! With `--joins` another command-mode viewer attaches again every 250 ms meanwhile, so
//! that the server takes a snapshot of the screen for it each time (with `--slideshow`, of
//! a slide it has not coded: the slides are put one row down in their window).
//!
//! `cargo run --release -p netui-bench --bin latency [-- --link modem --animation]`
//! `cargo run --release -p netui-bench --bin latency -- --slideshow --mode commands`
//! `cargo run --release -p netui-bench --bin latency -- --slideshow --joins --mode commands`

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use demos::imageview::picture::scale_rgb;
use netui::{Button, Color, Display, ImageFormat, InputEvent, Point, Rect, Size};
use netui_bench::session::Headless;
use netui_protocol::{PixelEncoding, ViewMode};
use thin_client::link::LinkProfile;
use thin_client::net::{Net, NetMsg};

/// Measures input-to-update latency per viewer mode.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The link between viewer and server.
    #[arg(long, default_value = "unlimited", value_parser = LinkProfile::parse)]
    link: LinkProfile,
    /// Pointer moves per mode.
    #[arg(long, default_value_t = 200)]
    moves: u32,
    /// Run a bouncing-balls animation meanwhile.
    #[arg(long)]
    animation: bool,
    /// Show a new photograph every 100 ms meanwhile, from another application.
    #[arg(long)]
    slideshow: bool,
    /// Have another command-mode viewer attach again every 250 ms meanwhile.
    #[arg(long)]
    joins: bool,
    /// Measure only these modes (commands, px-raw, px-damage, px-damage-lz4, px-delta-lz4, px-tiles;
    /// repeat the option for several). Default: every mode.
    #[arg(long = "mode")]
    modes: Vec<String>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let size = Size::new(1280, 800);
    println!(
        "Input-to-update latency, {} pointer moves per mode, link {}{}{}, screen {}x{}:",
        args.moves,
        args.link,
        match (args.animation, args.slideshow) {
            (true, true) => ", animation and slideshow running",
            (true, false) => ", animation running",
            (false, true) => ", slideshow running",
            (false, false) => "",
        },
        if args.joins {
            ", a viewer joining every 250 ms"
        } else {
            ""
        },
        size.width,
        size.height
    );
    println!(
        "  {:<14} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "mode", "p50 ms", "p99 ms", "max ms", "samples", "anim fps"
    );
    let modes = std::iter::once(ViewMode::Commands)
        .chain(PixelEncoding::ALL.into_iter().map(ViewMode::Pixels));
    let chosen = |mode: &ViewMode| {
        let name = thin_client::stats::mode_name(Some(*mode));
        args.modes.is_empty() || args.modes.contains(&name)
    };
    for mode in modes.filter(chosen) {
        let (p50, p99, max, n, fps) = measure(&args, size, mode)?;
        println!(
            "  {:<14} {p50:>9.2} {p99:>9.2} {max:>9.2} {n:>8} {fps:>9.1}",
            thin_client::stats::mode_name(Some(mode))
        );
    }
    Ok(())
}

/// The percentiles 50, 99 and 100 of the latency in ms, the number of samples, and the
/// animation's frames per second while the pointer moved (what the link had to carry: the
/// animation sleeps 16 ms after each frame, so a busy machine draws fewer).
fn measure(args: &Args, size: Size, mode: ViewMode) -> anyhow::Result<(f64, f64, f64, usize, f64)> {
    let headless = Headless::start(size)?;
    let socket = &headless.socket;
    let mut app = Display::connect_unix(socket, "target")?;
    let w = app.create_window(
        Rect::new(100, 100, 400, 300),
        "drag me",
        Color::rgb(240, 240, 235),
    )?;
    app.map(w);
    app.fill_rect(w, Rect::new(20, 20, 200, 100), Color::rgb(60, 90, 160));
    app.sync()?;
    let stop = Arc::new(AtomicBool::new(false));
    let frames = Arc::new(AtomicU64::new(0));
    let animation = args.animation.then(|| {
        let stop = Arc::clone(&stop);
        let frames = Arc::clone(&frames);
        let d = Display::connect_unix(socket, "animation");
        std::thread::spawn(move || {
            let Ok(mut d) = d else { return };
            let Ok(a) = d.create_window(Rect::new(600, 300, 500, 400), "balls", Color::WHITE)
            else {
                return;
            };
            d.map(a);
            let mut t = 0i32;
            while !stop.load(Ordering::Relaxed) {
                d.clear(a, None);
                for i in 0..6 {
                    let (x, y) = ((t * (i + 2) + i * 50) % 460, (t * (i + 1) + i * 40) % 360);
                    d.fill_ellipse(
                        a,
                        Rect::new(x, y, 40, 40),
                        Color::rgb((i * 40) as u8, 120, 200),
                    );
                }
                if d.present(a).is_err() {
                    return;
                }
                t += 1;
                frames.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(16));
            }
        })
    });
    let slideshow = match args.slideshow {
        true => Some(slideshow(
            Display::connect_unix(socket, "slideshow")?,
            Arc::clone(&stop),
            i32::from(args.joins),
        )),
        false => None,
    };
    let joins = match args.joins {
        true => Some(joins(socket, Arc::clone(&stop))?),
        false => None,
    };
    let stream = netui::transport::Stream::Unix(std::os::unix::net::UnixStream::connect(socket)?);
    let (display, link) = thin_client::connect::open_stream(
        &headless.runtime,
        stream,
        None,
        "latency",
        args.link.clone(),
    )?;
    let mut net = Net::start(display, link, mode)?;
    let input = net.sender();
    // Let the first full update arrive before measuring.
    let settle = Instant::now()
        + Duration::from_secs(if args.link.bytes_per_sec.is_some_and(|r| r < 100_000) {
            20
        } else {
            1
        });
    while Instant::now() < settle {
        net.step(Duration::from_millis(20))
            .map_err(anyhow::Error::msg)?;
    }
    // Grab the title bar, then move one pixel every 25 ms.
    let title = Point::new(200, 100 - 12);
    input.send(NetMsg::Input(InputEvent::PointerMoved(title)))?;
    input.send(NetMsg::Input(InputEvent::Button {
        button: Button::Left,
        pressed: true,
    }))?;
    let before = net.stats.latency_count();
    let (frames_before, moving) = (frames.load(Ordering::Relaxed), Instant::now());
    for i in 1..=args.moves {
        let next = Instant::now() + Duration::from_millis(25);
        let x = title.x + (i % 200) as i32;
        input.send(NetMsg::Input(InputEvent::PointerMoved(Point::new(
            x, title.y,
        ))))?;
        while Instant::now() < next {
            net.step(next.saturating_duration_since(Instant::now()))
                .map_err(anyhow::Error::msg)?;
        }
    }
    let fps =
        (frames.load(Ordering::Relaxed) - frames_before) as f64 / moving.elapsed().as_secs_f64();
    // Let the last answers arrive.
    let end = Instant::now()
        + Duration::from_secs(if args.link.bytes_per_sec.is_some_and(|r| r < 100_000) {
            10
        } else {
            1
        });
    while Instant::now() < end {
        net.step(Duration::from_millis(20))
            .map_err(anyhow::Error::msg)?;
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(thread) = animation {
        let _ = thread.join();
    }
    // A run whose slideshow or joining viewer stopped early did not measure what it says.
    for thread in slideshow.into_iter().chain(joins) {
        thread
            .join()
            .map_err(|_| anyhow::anyhow!("a helper thread panicked"))??;
    }
    let samples = net.stats.latency_count() - before;
    let p = |q| net.stats.latency_ms(q).unwrap_or(f64::NAN);
    Ok((p(50.0), p(99.0), p(100.0), samples, fps))
}

/// Shows a new photograph every 100 ms in a window of its own until `stop`: the samples
/// that `imageview` ships in turn, each time with its rows turned by a few more, so that
/// every slide is new to the server and is coded for command-mode viewers. The slides go
/// `down` rows from the window's top. Its error, if it stops early, says why.
fn slideshow(
    mut d: Display,
    stop: Arc<AtomicBool>,
    down: i32,
) -> std::thread::JoinHandle<anyhow::Result<()>> {
    std::thread::spawn(move || {
        let pictures = demos::imageview::Source::samples()
            .iter()
            .map(|sample| {
                let picture = sample.load().map_err(anyhow::Error::msg)?;
                let size = picture.size();
                Ok((size, scale_rgb(&picture, size, Color::BLACK)))
            })
            .collect::<anyhow::Result<Vec<(Size, Vec<u8>)>>>()?;
        let Some(&(size, _)) = pictures.first() else {
            bail!("imageview ships no sample to show");
        };
        let w = d.create_window(
            Rect::new(720, 300, size.width, size.height + down as u32),
            "slides",
            Color::BLACK,
        )?;
        d.map(w);
        for n in 0.. {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let (size, rgb) = &pictures[n % pictures.len()];
            let row = 3 * size.width as usize;
            let mut slide = rgb.clone();
            slide.rotate_left(row * (n * 7 % size.height as usize));
            let at = Rect::new(0, down, size.width, size.height);
            d.put_image(w, at, ImageFormat::Rgb8, &slide);
            d.present(w)?;
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    })
}

/// A command-mode viewer that attaches again every 250 ms until `stop`, reading and
/// acknowledging its updates meanwhile. Its error, if it stops early, says why.
fn joins(
    socket: &std::path::Path,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<anyhow::Result<()>>> {
    let stream = std::os::unix::net::UnixStream::connect(socket)?;
    let mut viewer = netui::Viewer::connect_stream_with(
        netui::transport::Stream::Unix(stream),
        None,
        socket.display().to_string(),
        "joins",
        netui_protocol::frame::Compression::default(),
    )?;
    Ok(std::thread::spawn(move || {
        let mut next = Instant::now();
        while !stop.load(Ordering::Relaxed) {
            if Instant::now() >= next {
                viewer.attach_viewer(ViewMode::Commands)?;
                next += Duration::from_millis(250);
            }
            if let Some(netui_protocol::ViewMessage::Scene { update, .. }) =
                viewer.wait_view(Duration::from_millis(10))?
            {
                viewer.ack_update(update)?;
            }
        }
        Ok(())
    }))
}
