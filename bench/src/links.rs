//! Links: what a viewer gets on an emulated link, per workload and protocol mode: how long
//! the workload takes to reach it, the frames per second it shows, and its input-to-update
//! latency, all measured.
//!
//! One job is one workload in one mode on one link, on a server of its own:
//! 1. a viewer connects through the thin client's link emulation ([`thin_client::link`]),
//!    attaches in the mode and takes the first full screen (within [`Job::cap`]);
//! 2. the application runs its script through a gate: its setup goes straight on, and once
//!    its window is on the screen each further batch of requests waits for one key press
//!    from the viewer, so every frame is the application's answer to an input that travelled
//!    up the link. The viewer types at [`KEYS_PER_SEC`]; the server reports each key with the
//!    update that carries the application's answer (`ViewMessage::*::input`);
//! 3. when the script is done the viewer follows until its screen equals the server's.
//!
//! The application's answer is ready when the key arrives (the script drew it ahead), so the
//! latency is the display stack's and the link's, not the application's. A job that does not
//! finish within its cap says so instead of a time.
//!
//! RFB modes ([`rfb_modes`]) run the same way with a VNC viewer ([`crate::rfb_link`]) on the
//! server's RFB port behind the same link emulation; it types with RFB KeyEvents (or moves
//! the pointer with PointerEvents), and its latency is defined there.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use netui::{Display, InputEvent, Key, Point, ResourceId, Size, Viewer, WindowKind};
use netui_protocol::frame::{decode_message, decode_request};
use netui_protocol::{
    Compression, Event, PixelEncoding, Request, ServerMessage, ViewMessage, ViewMode,
};
use thin_client::auto::Driver;
use thin_client::link::{LinkProfile, LinkStats};
use thin_client::stats::Stats;
use thin_client::view::View;

use crate::rfb_view::RfbEncoding;
use crate::session::{connect_stream, each_frame, App, Headless, Transport};

/// The rate at which the viewer's user types (one application frame per key).
pub const KEYS_PER_SEC: u32 = 30;
/// How long a viewer must hear nothing, with the right pixels, to count as done.
const QUIET: Duration = Duration::from_millis(40);

/// A viewer mode as the links measure it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveMode {
    /// The protocol's name in reports.
    pub name: &'static str,
    /// The viewer.
    pub viewer: LiveViewer,
}

/// The viewer of a [`LiveMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveViewer {
    /// netui's own viewer.
    Netui {
        /// What the viewer attaches as.
        mode: ViewMode,
        /// How the server compresses the connection's frames (pixel updates never are).
        compression: Compression,
        /// The thin client's `auto` mode: it attaches in `mode` and switches as it measures.
        auto: bool,
    },
    /// A VNC viewer on the server's RFB port, asking for this encoding.
    Rfb(RfbEncoding),
}

/// Every protocol mode, live, in report order: command mode with each compression of the
/// connection, then each pixel encoding, then `auto` as the thin client runs it by default
/// (lz4-ctx, pixels in px-tiles).
pub fn live_modes() -> Vec<LiveMode> {
    let commands = [
        ("cmd-raw", Compression::None),
        ("cmd-lz4", Compression::Lz4),
        ("cmd-lz4-ctx", Compression::Lz4Ctx),
    ];
    let mut modes: Vec<LiveMode> = commands
        .into_iter()
        .map(|(name, compression)| LiveMode {
            name,
            viewer: LiveViewer::Netui {
                mode: ViewMode::Commands,
                compression,
                auto: false,
            },
        })
        .collect();
    modes.extend(PixelEncoding::ALL.into_iter().map(|e| LiveMode {
        name: e.name(),
        viewer: LiveViewer::Netui {
            mode: ViewMode::Pixels(e),
            compression: Compression::default(),
            auto: false,
        },
    }));
    modes.push(LiveMode {
        name: "auto",
        viewer: LiveViewer::Netui {
            mode: ViewMode::Commands,
            compression: Compression::Lz4Ctx,
            auto: true,
        },
    });
    modes
}

/// The RFB modes, live, in report order (`rfb-zrle`, `rfb-tight`, `rfb-tight-jpeg`), JPEG at
/// `jpeg_quality`.
pub fn rfb_modes(jpeg_quality: u8) -> Vec<LiveMode> {
    RfbEncoding::all(jpeg_quality)
        .into_iter()
        .map(|e| LiveMode {
            name: e.rfb_name(),
            viewer: LiveViewer::Rfb(e),
        })
        .collect()
}

/// One measurement to make.
#[derive(Clone)]
pub struct Job {
    /// The workload's name.
    pub workload: String,
    /// The application.
    pub app: App,
    /// The screen.
    pub size: Size,
    /// The link.
    pub link: LinkProfile,
    /// The mode.
    pub mode: LiveMode,
    /// The longest the viewer may take for its first screen, and again to catch up at the end.
    pub cap: Duration,
    /// How the viewer reaches the server, below the emulated link (netui's viewers; the
    /// RFB viewers use the RFB port).
    pub transport: Transport,
}

/// What a job measured.
#[derive(Debug, Clone)]
pub struct LinkResult {
    /// The workload's name.
    pub workload: String,
    /// The mode's name, as in [`crate::report::PROTOCOLS`].
    pub protocol: &'static str,
    /// The link's name.
    pub link: String,
    /// What happened: finished, or where it stopped.
    pub outcome: Outcome,
    /// Seconds from the first key until the viewer showed the final screen.
    pub seconds: Option<f64>,
    /// Updates that changed the viewer's screen between the first key and the end.
    pub frames: u64,
    /// Input-to-update latency, milliseconds: median, 95th percentile, worst.
    pub latency: Option<(f64, f64, f64)>,
    /// The latency's samples.
    pub samples: usize,
    /// Link bytes down, the whole job.
    pub bytes_down: u64,
    /// Link bytes up, the whole job.
    pub bytes_up: u64,
    /// Lossy modes: the PSNR (dB) of the viewer's last screen against the server's.
    pub psnr: Option<f64>,
}

/// How a job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The viewer showed the final screen.
    Finished,
    /// The first full screen did not arrive within the cap.
    NoFirstScreen,
    /// The viewer had not caught up within the cap after the workload ended.
    Behind,
}

impl LinkResult {
    /// Frames per second the viewer showed, if it finished.
    pub fn fps(&self) -> Option<f64> {
        self.seconds
            .filter(|s| *s > 0.0)
            .map(|s| self.frames as f64 / s)
    }
}

/// Runs `jobs`, at most `parallel` at once, calling `progress` after each; the results come
/// in the order of `jobs`.
pub fn run_all(
    jobs: &[Job],
    parallel: usize,
    progress: impl Fn(&Job, &Result<LinkResult, String>) + Sync,
) -> Vec<Result<LinkResult, String>> {
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<Result<LinkResult, String>>>> =
        Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|s| {
        for _ in 0..parallel.max(1) {
            s.spawn(|| loop {
                let i = {
                    let Ok(mut next) = next.lock() else { return };
                    let i = *next;
                    *next += 1;
                    i
                };
                let Some(job) = jobs.get(i) else { return };
                let result = run(job).map_err(|e| format!("{e:#}"));
                progress(job, &result);
                if let Ok(mut results) = results.lock() {
                    results[i] = Some(result);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err("the job did not run".into())))
        .collect()
}

/// What the session tells the viewer.
pub(crate) enum Cue {
    /// Show this screen (RGBA), then say so.
    Reach(Arc<Vec<u8>>),
    /// Start the input: keys to the focused window, or pointer moves at a point of a window
    /// that takes no keys (a panel).
    Type(Option<Point>),
    /// Stop typing and show this final screen.
    Finish(Arc<Vec<u8>>),
}

/// Runs one job.
pub fn run(job: &Job) -> anyhow::Result<LinkResult> {
    let Headless {
        dir: _dir,
        socket,
        server,
        runtime,
    } = Headless::start_on(job.size, crate::rfb_link::config(job), job.transport)?;
    let mut observer = Display::connect_unix(&socket, "links-observer")?;

    // The viewer, and its first screen.
    let (cue, cues) = mpsc::channel();
    let (told, tell) = mpsc::channel();
    let cap = job.cap;
    let (link, viewer) = match job.mode.viewer {
        LiveViewer::Netui {
            mode,
            compression,
            auto,
        } => {
            let (stream, token) = connect_stream(&server, &socket, job.transport)?;
            let (display, link) = thin_client::connect::open_stream_with(
                &runtime,
                stream,
                token,
                job.mode.name,
                job.link.clone(),
                compression,
            )?;
            let down = Arc::clone(&link);
            let viewer = std::thread::Builder::new()
                .name(format!("viewer {}", job.mode.name))
                .spawn(move || watch(display, mode, auto, &down, cap, cues, told))?;
            (link, viewer)
        }
        LiveViewer::Rfb(encoding) => {
            crate::rfb_link::spawn(&runtime, &server, job, encoding, cues, told)?
        }
    };
    let first = Arc::new(observer.get_image(ResourceId::ROOT, None)?.rgba);
    let _ = cue.send(Cue::Reach(first));
    let result = |outcome, said: Option<Said>| {
        let said = said.unwrap_or_default();
        LinkResult {
            workload: job.workload.clone(),
            protocol: job.mode.name,
            link: job.link.name.clone(),
            outcome,
            seconds: said.seconds,
            frames: said.frames,
            latency: said.latency,
            samples: said.samples,
            bytes_down: link.down.load(Ordering::Relaxed),
            bytes_up: link.up.load(Ordering::Relaxed),
            psnr: said.psnr,
        }
    };
    if !matches!(tell.recv(), Ok(Said { reached: true, .. })) {
        drop(cue);
        let _ = viewer.join();
        server.stop();
        return Ok(result(Outcome::NoFirstScreen, None));
    }

    // The application, through the gate.
    let gate = Gate::default();
    let (app_end, proxy_end) = UnixStream::pair().context("socket pair")?;
    let upstream = UnixStream::connect(&socket).context("the gate connects")?;
    gate.spawn(proxy_end, upstream)?;
    let (done_tx, done) = mpsc::channel();
    let (release_tx, release) = mpsc::channel::<()>();
    let name = job.workload.as_str();
    let app = job.app.spawn(name, app_end, done_tx, release)?;
    let finish = (|| -> anyhow::Result<bool> {
        // Once the window is up, the viewer types; each key lets one batch through.
        if !gate.wait_window(Duration::from_secs(30)) {
            anyhow::bail!("the {name} window never appeared");
        }
        let _ = cue.send(Cue::Type(pointer_target(&mut observer, name)?));
        let waited = job.cap + frames_time(job.app.frames()) * 4;
        match done.recv_timeout(waited) {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => anyhow::bail!("the {name} application failed: {e}"),
            Err(_) => return Ok(false),
        }
        let last = Arc::new(observer.get_image(ResourceId::ROOT, None)?.rgba);
        let _ = cue.send(Cue::Finish(last));
        Ok(true)
    })();
    gate.open_all();
    let said = match finish {
        Ok(true) => tell.recv().ok(),
        _ => None,
    };
    drop(cue);
    let _ = release_tx.send(());
    let _ = app.join();
    let _ = viewer.join();
    drop(observer);
    server.stop();
    finish?;
    Ok(match said {
        Some(said) if said.reached => result(Outcome::Finished, Some(said)),
        said => result(Outcome::Behind, said),
    })
}

/// Where the viewer points if the application's window takes no keys (a panel): the middle
/// of its first such window; `None` if its first window takes keys.
fn pointer_target(observer: &mut Display, name: &str) -> anyhow::Result<Option<Point>> {
    let info = observer.server_info()?;
    let window = info
        .clients
        .iter()
        .filter(|c| c.name == name)
        .flat_map(|c| &c.windows)
        .find(|w| w.mapped)
        .with_context(|| format!("the {name} window is not listed"))?;
    let r = window.rect;
    Ok((window.kind == WindowKind::Panel)
        .then(|| Point::new(r.x + r.width as i32 / 2, r.y + r.height as i32 / 2)))
}

/// The longest a script of `frames` frames takes at [`KEYS_PER_SEC`].
fn frames_time(frames: u32) -> Duration {
    Duration::from_secs_f64(f64::from(frames) / f64::from(KEYS_PER_SEC)) + Duration::from_secs(1)
}

/// What the viewer reports.
#[derive(Debug, Default)]
pub(crate) struct Said {
    /// Whether it reached the screen it was asked for.
    pub(crate) reached: bool,
    /// Seconds from the first key to the final screen, if it got there.
    pub(crate) seconds: Option<f64>,
    /// Updates that changed its screen from the first key on.
    pub(crate) frames: u64,
    /// Input-to-update latency, ms: median, 95th percentile, worst.
    pub(crate) latency: Option<(f64, f64, f64)>,
    /// The latency's samples.
    pub(crate) samples: usize,
    /// Lossy modes: the PSNR of its final screen against the server's, dB.
    pub(crate) psnr: Option<f64>,
}

/// The viewer: applies and acknowledges updates, types when told, and reports when it shows
/// the screens it is given.
#[allow(clippy::too_many_arguments)]
fn watch(
    display: Display,
    mode: ViewMode,
    auto_mode: bool,
    link: &LinkStats,
    cap: Duration,
    cues: Receiver<Cue>,
    tell: Sender<Said>,
) -> Result<(), String> {
    let mut viewer = Viewer::from(display);
    let views = viewer.take_views();
    let down = || link.down.load(Ordering::Relaxed);
    let mut auto = None;
    if auto_mode {
        auto = Some(
            Driver::start(&mut viewer, PixelEncoding::Tiles, down()).map_err(|e| e.to_string())?,
        );
    } else {
        viewer.attach_viewer(mode).map_err(|e| e.to_string())?;
    }
    let mut view = View::default();
    let mut stats = Stats::default();
    let mut target: Option<(Arc<Vec<u8>>, Instant, bool)> = None;
    let mut typing: Option<(Instant, u64)> = None;
    let mut pointer: Option<Point> = None;
    let mut started: Option<Instant> = None;
    let mut frames_at_start = 0u64;
    // Updates that changed the screen.
    let mut shown = 0u64;
    let mut last_message = Instant::now();
    let key_every = Duration::from_secs(1) / KEYS_PER_SEC;
    loop {
        let wait = typing.map_or(Duration::from_millis(10), |(next, _)| {
            next.saturating_duration_since(Instant::now())
                .min(Duration::from_millis(10))
        });
        match views.recv_timeout(wait) {
            Ok(message) => {
                // A report of costs (auto) is not a change to the screen.
                if !matches!(message, ViewMessage::Costs(_)) {
                    last_message = Instant::now();
                }
                if let Some(auto) = &mut auto {
                    auto.message(&message, down(), &mut viewer)
                        .map_err(|e| e.to_string())?;
                }
                let applied = view.apply(message).map_err(|e| e.to_string())?;
                if let Some(update) = applied.update {
                    shown += u64::from(!applied.changed.is_empty());
                    stats.update(applied.input, &applied.changed);
                    viewer.ack_update(update).map_err(|e| e.to_string())?;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Err("the display closed".into()),
        }
        if let Some((next, seq)) = &mut typing {
            if Instant::now() >= *next {
                *seq += 1;
                stats.input_sent(*seq);
                let input = match pointer {
                    // Back and forth by a pixel: every move is a move.
                    Some(p) => InputEvent::PointerMoved(Point::new(p.x + (*seq % 2) as i32, p.y)),
                    None => InputEvent::Key {
                        key: Key::Character('x'),
                        pressed: true,
                        text: "x".into(),
                    },
                };
                viewer
                    .viewer_input(*seq, input)
                    .map_err(|e| e.to_string())?;
                *next += key_every;
            }
        }
        match cues.try_recv() {
            Ok(Cue::Reach(screen)) => target = Some((screen, Instant::now(), false)),
            Ok(Cue::Type(at)) => {
                started = Some(Instant::now());
                frames_at_start = shown;
                typing = Some((Instant::now(), 0));
                pointer = at;
            }
            Ok(Cue::Finish(screen)) => {
                typing = None;
                target = Some((screen, Instant::now(), true));
            }
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
        }
        let Some((screen, since, last)) = &target else {
            continue;
        };
        let reached = last_message.elapsed() >= QUIET && {
            let canvas = view.screen();
            view.mode().is_some() && canvas.read_rgba(canvas.bounds()).1 == **screen
        };
        if reached || since.elapsed() > cap {
            let mut said = Said {
                reached,
                ..Said::default()
            };
            if *last {
                // The end is when the last change arrived, not when the quiet was noticed.
                let end = if reached {
                    last_message
                } else {
                    Instant::now()
                };
                said.seconds = started
                    .filter(|_| reached)
                    .map(|s| end.duration_since(s).as_secs_f64());
                said.frames = shown - frames_at_start;
                said.samples = stats.latency_count();
                said.latency = stats
                    .latency_ms(50.0)
                    .zip(stats.latency_ms(95.0))
                    .zip(stats.latency_ms(100.0))
                    .map(|((a, b), c)| (a, b, c));
            }
            let _ = tell.send(said);
            target = None;
        }
    }
}

/// Between the application and the server: lets the setup through, then one batch of
/// requests per input event (key press or pointer motion) the server delivers to the
/// application.
#[derive(Clone, Default)]
struct Gate {
    state: Arc<(Mutex<GateState>, Condvar)>,
}

#[derive(Default)]
struct GateState {
    /// The application's window is on the screen (it got its first Expose): the viewer may
    /// type.
    window: bool,
    /// Input events delivered to the application, and batches let through for them.
    keys: u64,
    used: u64,
    /// Everything goes through now.
    open: bool,
}

impl Gate {
    /// Starts the two directions between `app` and `server`.
    fn spawn(&self, app: UnixStream, server: UnixStream) -> anyhow::Result<()> {
        let up = self.clone();
        let (app_read, server_write) = (app.try_clone()?, server.try_clone()?);
        std::thread::Builder::new()
            .name("gate up".into())
            .spawn(move || up.requests(app_read, server_write))?;
        let down = self.clone();
        std::thread::Builder::new()
            .name("gate down".into())
            .spawn(move || down.events(server, app))?;
        Ok(())
    }

    /// Waits until the application's window is up.
    fn wait_window(&self, limit: Duration) -> bool {
        let (lock, ready) = &*self.state;
        let Ok(state) = lock.lock() else { return false };
        ready
            .wait_timeout_while(state, limit, |s| !s.window && !s.open)
            .map(|(s, _)| s.window)
            .unwrap_or(false)
    }

    /// Lets everything through from now on.
    fn open_all(&self) {
        self.change(|s| s.open = true);
    }

    fn change(&self, f: impl FnOnce(&mut GateState)) {
        let (lock, changed) = &*self.state;
        if let Ok(mut state) = lock.lock() {
            f(&mut state);
        }
        changed.notify_all();
    }

    /// Application → server: whole frames; after the batch that maps the window, one per
    /// input event delivered.
    fn requests(&self, mut from: UnixStream, mut to: UnixStream) {
        let (mut hello, mut gated) = (true, false);
        let rest = each_frame(&mut from, |mut frame| {
            if gated {
                let (lock, changed) = &*self.state;
                let Ok(state) = lock.lock() else { return false };
                let Ok(mut state) = changed.wait_while(state, |s| !s.open && s.used >= s.keys)
                else {
                    return false;
                };
                state.used += 1;
            } else if !std::mem::take(&mut hello) {
                // The setup goes straight on, up to the batch that maps the window.
                gated = frame
                    .bodies
                    .any(|body| matches!(decode_request(body), Ok(Request::MapWindow { .. })));
            }
            to.write_all(frame.wire).is_ok()
        });
        let _ = to.write_all(&rest);
        let _ = to.shutdown(std::net::Shutdown::Write);
    }

    /// Server → application: frame by frame, watching for the first Expose and for input
    /// events.
    fn events(&self, mut from: UnixStream, mut to: UnixStream) {
        let mut hello = true;
        let rest = each_frame(&mut from, |frame| {
            if to.write_all(frame.wire).is_err() {
                return false;
            }
            if std::mem::take(&mut hello) {
                return true;
            }
            let (mut exposed, mut keys) = (false, 0);
            for body in frame.bodies {
                match decode_message::<ServerMessage>(body) {
                    Ok(ServerMessage::Event(Event::Expose { .. })) => exposed = true,
                    Ok(ServerMessage::Event(Event::KeyPress(_) | Event::PointerMotion { .. })) => {
                        keys += 1
                    }
                    _ => {}
                }
            }
            if exposed || keys > 0 {
                self.change(|s| {
                    s.keys += keys;
                    s.window |= exposed;
                });
            }
            true
        });
        let _ = to.write_all(&rest);
        let _ = to.shutdown(std::net::Shutdown::Write);
    }
}
