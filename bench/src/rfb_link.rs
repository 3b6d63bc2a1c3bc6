//! A VNC viewer on an emulated link, for the links phase ([`crate::links`]): netui-rfb's
//! blocking client on the server's RFB port, behind the thin client's link emulation
//! ([`thin_client::link::spawn_shaped`]) as netui's own viewers are.
//!
//! It asks for updates as a real viewer does: the whole screen first, then an incremental
//! FramebufferUpdateRequest as soon as it has applied each update. When told to type it
//! sends, from a thread of its own so that a long update does not hold the keys back, an RFB
//! KeyEvent press and release of `x` (or a one-pixel PointerEvent move over a panel) at
//! [`KEYS_PER_SEC`]: each press lets one batch of the application through the gate.
//!
//! # Latency
//! RFB numbers neither inputs nor updates. The server does know which of a connection's
//! inputs each update answers: its core reports, with each pixel update it hands the RFB
//! connection, the newest of that connection's inputs whose answer the update carries (the
//! very report that netui's viewers get with their updates), and every RFB update encoded
//! after it is drawn from a screen that holds that answer. The server, the gate, the link and
//! this viewer share one process and one clock, and the server tells a watcher in the
//! process, for the n-th FramebufferUpdate it writes, how many of the viewer's input messages
//! it answers ([`netui_display_server::rfb::answer`]). A key's latency is then the time from
//! the moment its KeyEvent (or PointerEvent) was handed to the link until this viewer has
//! read and applied the first update that answers it and changes the screen: the netui
//! modes' definition (key sent → update showing its answer received), in RFB messages.
//! An update is credited with an answer only if the server encoded it after the answer was
//! in its copy of the screen, so no latency is shorter than the core's report; one can be longer,
//! by up to one update, when the answer reached the copy while an earlier update was being
//! encoded and went out with the next. "The answer" is what the core calls it for every
//! viewer: the application has carried out its next batch of requests after the input's
//! events (or 250 ms passed); inputs that arrive while one waits are answered with it (a
//! report that can be early for the later input), which the gate (one batch per key, keys
//! 33 ms apart) makes rare, for RFB and netui alike.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use netui::Point;
use netui_display_server::rfb::answer::Answered;
use netui_display_server::rfb::RfbConfig;
use netui_display_server::ServerHandle;
use netui_rfb::message::ClientMessage;
use thin_client::link::LinkStats;

use crate::frames::psnr;
use crate::links::{Cue, Job, LiveViewer, Said, KEYS_PER_SEC};
use crate::rfb_view::{self, RfbEncoding, RfbView};
use crate::session::{RFB_PASSWORD, RFB_VIEW_PASSWORD};

/// How long the viewer must have read every update the server wrote, and heard nothing
/// more, to count as caught up.
const QUIET: Duration = Duration::from_millis(40);
/// The longest the viewer waits for bytes before it looks at its cues again.
const POLL: Duration = Duration::from_millis(10);
/// The X keysym the viewer types.
const KEYSYM_X: u32 = 0x78;

/// The RFB endpoint a job's server needs: one for an RFB viewer, none otherwise.
pub(crate) fn config(job: &Job) -> Option<RfbConfig> {
    matches!(job.mode.viewer, LiveViewer::Rfb(_)).then(|| RfbConfig {
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        password: RFB_PASSWORD.into(),
        view_only_password: RFB_VIEW_PASSWORD.into(),
    })
}

/// The viewer's thread, and what it says.
type Viewer = std::thread::JoinHandle<Result<(), String>>;

/// Connects a VNC viewer asking for `encoding` to `server`'s RFB port through `job`'s link,
/// and runs it on a thread that follows `cues` and reports on `tell`; the link's byte counts.
pub(crate) fn spawn(
    runtime: &tokio::runtime::Runtime,
    server: &ServerHandle,
    job: &Job,
    encoding: RfbEncoding,
    cues: Receiver<Cue>,
    tell: Sender<Said>,
) -> anyhow::Result<(Arc<LinkStats>, Viewer)> {
    let addr = server.rfb_addr().context("the server has no RFB port")?;
    // The link's far end connects to the server; the server sees the viewer at its address.
    let upstream = runtime
        .block_on(tokio::net::TcpStream::connect(addr))
        .context("the link connects to the RFB port")?;
    let _ = upstream.set_nodelay(true);
    let answers = server.rfb_answers().watch(upstream.local_addr()?);
    // The viewer's end: a loopback pair, one side for the link, one for the viewer.
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).context("a loopback port")?;
    let viewer_end = TcpStream::connect(listener.local_addr()?).context("the viewer connects")?;
    let (link_end, _) = listener.accept().context("the link accepts the viewer")?;
    let _ = viewer_end.set_nodelay(true);
    let _ = link_end.set_nodelay(true);
    link_end.set_nonblocking(true)?;
    let stats = Arc::new(LinkStats::default());
    {
        let _entered = runtime.enter();
        let link_end = tokio::net::TcpStream::from_std(link_end)?;
        thin_client::link::spawn_shaped(upstream, link_end, job.link.clone(), Arc::clone(&stats));
    }
    let cap = job.cap;
    let writer = Arc::new(Mutex::new(viewer_end.try_clone()?));
    let (typed_tx, typed) = mpsc::channel();
    let (told_tx, told) = mpsc::channel();
    // The cues are taken, and the typing started and stopped, on a thread of their own: the
    // viewer's may be inside a long read (a big update on a slow link), and a cue's moment
    // must not wait for it.
    let typist = Arc::clone(&writer);
    std::thread::Builder::new()
        .name(format!("cues {}", encoding.rfb_name()))
        .spawn(move || relay(&cues, &told_tx, &typist, &typed_tx))?;
    let thread = std::thread::Builder::new()
        .name(format!("viewer {}", encoding.rfb_name()))
        .spawn(move || {
            let channels = Channels {
                answers,
                typed,
                told,
            };
            watch(viewer_end, writer, encoding, cap, &channels, &tell)
                .map_err(|e| format!("{}: {e:#}", encoding.rfb_name()))
        })?;
    Ok((stats, thread))
}

/// A cue as the viewer gets it: with the moment it was given.
enum Told {
    Reach(Vec<u32>, Instant),
    Type(Instant),
    Finish(Vec<u32>, Instant),
}

/// What the viewer hears from: the server's answers, the typist and the cues.
struct Channels {
    answers: Receiver<Answered>,
    typed: Receiver<(u64, Instant)>,
    told: Receiver<Told>,
}

/// Passes the cues on with their moments, starting the typist at `Type` and stopping it
/// before `Finish` goes on (so every key it typed has been booked).
fn relay(
    cues: &Receiver<Cue>,
    told: &Sender<Told>,
    writer: &Arc<Mutex<TcpStream>>,
    typed: &Sender<(u64, Instant)>,
) {
    let mut typer: Option<Typer> = None;
    while let Ok(cue) = cues.recv() {
        let now = Instant::now();
        let next = match cue {
            Cue::Reach(screen) => Told::Reach(xrgb(&screen), now),
            Cue::Type(at) => {
                match Typer::start(Arc::clone(writer), at, typed.clone()) {
                    Ok(t) => typer = Some(t),
                    Err(e) => tracing::warn!("cannot start typing: {e:#}"),
                }
                Told::Type(now)
            }
            Cue::Finish(screen) => {
                if let Some(t) = typer.take() {
                    t.stop();
                }
                Told::Finish(xrgb(&screen), now)
            }
        };
        if told.send(next).is_err() {
            break;
        }
    }
    if let Some(t) = typer.take() {
        t.stop();
    }
}

/// The viewer's stream: reads from the socket, writes through a lock that the typing thread
/// shares, so that messages never interleave.
struct Split {
    read: TcpStream,
    write: Arc<Mutex<TcpStream>>,
}

impl Read for Split {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.read.read(buf)
    }
}

impl Write for Split {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut stream = self
            .write
            .lock()
            .map_err(|_| std::io::Error::other("the writer's lock is poisoned"))?;
        stream.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What the viewer is asked to show: the server's screen, since when, and whether it is the
/// last one.
struct Target {
    screen: Vec<u32>,
    since: Instant,
    last: bool,
}

/// The viewer: takes its first screen, asks for an update after each, types when told, and
/// reports when it shows the screens it is given.
fn watch(
    stream: TcpStream,
    writer: Arc<Mutex<TcpStream>>,
    encoding: RfbEncoding,
    cap: Duration,
    channels: &Channels,
    tell: &Sender<Said>,
) -> anyhow::Result<()> {
    let Channels {
        answers,
        typed: keys,
        told,
    } = channels;
    let probe = stream.try_clone()?;
    let split = Split {
        read: stream,
        write: writer,
    };
    let mut view = RfbView::connect(split, Some(RFB_PASSWORD), encoding)?;
    view.request(false)?;
    let mut target: Option<Target> = None;
    // Keys typed and not yet answered: input message number → when it went to the link.
    let mut typed: BTreeMap<u64, Instant> = BTreeMap::new();
    // What the server said each update answers: update number → input messages.
    let mut answered: BTreeMap<u64, u64> = BTreeMap::new();
    let mut written = 0u64;
    let mut latencies: Vec<Duration> = Vec::new();
    let mut started: Option<Instant> = None;
    let (mut shown, mut frames_at_start) = (0u64, 0u64);
    let mut last_update = Instant::now();
    loop {
        if rfb_view::wait_for_bytes(&probe, POLL)? {
            let update = view.read_update()?;
            let now = Instant::now();
            last_update = now;
            typed.extend(keys.try_iter());
            for a in answers.try_iter() {
                written = written.max(a.update);
                answered.insert(a.update, a.inputs);
            }
            // A note is sent before its update's bytes: a missing one credits nothing.
            let inputs = answered.remove(&view.updates).unwrap_or(0);
            answered.retain(|n, _| *n > view.updates);
            let changed = !update.rects.is_empty();
            shown += u64::from(changed);
            let done: Vec<u64> = typed.range(..=inputs).map(|(k, _)| *k).collect();
            for key in done {
                if let Some(sent) = typed.remove(&key) {
                    // As netui's viewers count: an answer that changes nothing gives no sample.
                    if changed {
                        latencies.push(now.duration_since(sent));
                    }
                }
            }
            view.request(true)?;
        }
        for a in answers.try_iter() {
            written = written.max(a.update);
            answered.insert(a.update, a.inputs);
        }
        match told.try_recv() {
            Ok(Told::Reach(screen, since)) => {
                target = Some(Target {
                    screen,
                    since,
                    last: false,
                })
            }
            Ok(Told::Type(at)) => {
                started = Some(at);
                frames_at_start = shown;
            }
            Ok(Told::Finish(screen, since)) => {
                typed.extend(keys.try_iter());
                target = Some(Target {
                    screen,
                    since,
                    last: true,
                });
            }
            Err(mpsc::TryRecvError::Empty) => {}
            Err(mpsc::TryRecvError::Disconnected) => return Ok(()),
        }
        let Some(Target {
            screen,
            since,
            last,
        }) = &target
        else {
            continue;
        };
        // Caught up: every update the server wrote has been read, and it has been quiet.
        let quiet = last_update.elapsed() >= QUIET && written <= view.updates;
        let in_time = last_update.saturating_duration_since(*since) <= cap;
        let (reached, picture) = if !quiet {
            (false, None)
        } else if encoding.lossless() {
            (view.pixels() == screen.as_slice(), None)
        } else {
            let p = psnr(view.pixels(), screen).unwrap_or(f64::INFINITY);
            (p >= rfb_view::PSNR_FLOOR, Some(p))
        };
        let reached = reached && in_time;
        if reached || since.elapsed() > cap {
            let mut said = Said {
                reached,
                psnr: picture,
                ..Said::default()
            };
            if *last {
                let end = if reached { last_update } else { Instant::now() };
                said.seconds = started
                    .filter(|_| reached)
                    .map(|s| end.saturating_duration_since(s).as_secs_f64());
                said.frames = shown - frames_at_start;
                said.samples = latencies.len();
                said.latency = percentiles(&mut latencies);
            }
            let _ = tell.send(said);
            target = None;
        }
    }
}

/// The median, the 95th percentile and the worst of `samples`, in milliseconds (picked as
/// netui's viewers pick them, `thin_client::stats::Stats::latency_ms`).
fn percentiles(samples: &mut [Duration]) -> Option<(f64, f64, f64)> {
    samples.sort();
    let at = |p: f64| {
        let i = ((p / 100.0) * (samples.len().saturating_sub(1)) as f64).round() as usize;
        samples.get(i).map(|d| d.as_secs_f64() * 1000.0)
    };
    Some((at(50.0)?, at(95.0)?, at(100.0)?))
}

/// RGBA bytes as `0x00RRGGBB` pixels.
fn xrgb(rgba: &[u8]) -> Vec<u32> {
    rgba.chunks_exact(4)
        .map(|p| u32::from_be_bytes([0, p[0], p[1], p[2]]))
        .collect()
}

/// The viewer's user: input messages at [`KEYS_PER_SEC`] on a thread of its own, each
/// key's first input message number and the moment it was handed to the link on `typed`.
struct Typer {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Typer {
    /// Starts typing `x` (press and release), or moving the pointer back and forth by a
    /// pixel at `pointer`.
    fn start(
        writer: Arc<Mutex<TcpStream>>,
        pointer: Option<Point>,
        typed: Sender<(u64, Instant)>,
    ) -> anyhow::Result<Typer> {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("rfb typist".into())
            .spawn(move || type_keys(&writer, pointer, &stopped, &typed))?;
        Ok(Typer { stop, thread })
    }

    /// Stops typing, once the key being typed (if any) has gone.
    fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// The typing thread's loop; ends when told or when the connection fails.
fn type_keys(
    writer: &Mutex<TcpStream>,
    pointer: Option<Point>,
    stop: &AtomicBool,
    typed: &Sender<(u64, Instant)>,
) {
    let every = Duration::from_secs(1) / KEYS_PER_SEC;
    let mut next = Instant::now();
    // Input messages sent, as the server counts them (KeyEvent and PointerEvent).
    let mut messages = 0u64;
    let mut out = Vec::new();
    for n in 0u64.. {
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        if stop.load(Ordering::Relaxed) {
            return;
        }
        out.clear();
        let sent = match pointer {
            Some(p) => {
                let x = u16::try_from(p.x + (n % 2) as i32).unwrap_or(0);
                let y = u16::try_from(p.y).unwrap_or(0);
                ClientMessage::PointerEvent { buttons: 0, x, y }.write(&mut out);
                1
            }
            None => {
                for down in [true, false] {
                    ClientMessage::KeyEvent {
                        down,
                        keysym: KEYSYM_X,
                    }
                    .write(&mut out);
                }
                2
            }
        };
        // Booked before it is written, so that no answer can come before its key is known.
        if typed.send((messages + 1, Instant::now())).is_err() {
            return;
        }
        messages += sent;
        let Ok(mut stream) = writer.lock() else {
            return;
        };
        if stream.write_all(&out).is_err() {
            return;
        }
        drop(stream);
        next += every;
    }
}
