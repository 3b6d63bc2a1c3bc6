//! `scale`: one display server and N real demo processes (clock, notepad and animation in
//! turn) for each N of `--apps`. Per N it measures the server's resident memory (RSS, from
//! `/proc`) before the applications come, while they run and after they have all left; the
//! server's CPU while they run; the pixels the clients hold (the server's own count, from
//! its server-info reply) against the memory they cost; whether every clock and animation
//! window keeps changing and every notepad answers typing; and round trips (a `Sync` after
//! drawing) of probe clients that run among them. A benchmark, not a test: it prints what it
//! measured.
//!
//! The demos never wait for the server once they run (drawing is pipelined), so their own
//! round trips cannot be seen from outside: `--probes` clients of the benchmark, each with a
//! window that it draws into and presents like a demo, measure theirs. The server serves
//! every client in the same round-robin turns, so a probe waits as long as any client would.
//!
//! `cargo build --release -p netui-display-server -p demos && \
//!  cargo run --release -p netui-bench --bin scale -- --apps 100,500,1000`

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use netui::{Color, Display, Font, InputEvent, Key, Point, Rect, ResourceId, WindowKind};
use netui_protocol::display::{socket_path, DISPLAY_ENV};
use netui_protocol::ServerInfo;

/// Serves N real demo processes on one display and measures the server.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// How many applications, one run each (a fresh server per run).
    #[arg(long, value_delimiter = ',', default_value = "100,500,1000")]
    apps: Vec<usize>,
    /// The demos started, in turn.
    #[arg(long, value_delimiter = ',', default_value = "clock,notepad,animation")]
    mix: Vec<String>,
    /// Seconds of measurement once every application shows its window.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Probe clients that measure round trips while the applications run.
    #[arg(long, default_value_t = 4)]
    probes: usize,
    /// The server's limit of all clients' pixels, in millions (`display-server
    /// --max-pixels`): the default 128 holds about 420 clocks.
    #[arg(long, default_value_t = 2048)]
    max_pixels: u64,
    /// Application windows read back to see that they change (spread evenly over all of
    /// them): every read is a round trip with a whole window in it.
    #[arg(long, default_value_t = 60)]
    check: usize,
    /// The server program [default: display-server beside this benchmark] (to compare
    /// builds, such as one with another allocator).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Seconds to wait for the applications' windows before measuring what is there.
    #[arg(long, default_value_t = 120)]
    start_timeout: u64,
}

/// The display number the benchmark's servers take (in a runtime directory of their own).
const NUMBER: u16 = 7;
/// The longest the first reading of the windows may take (each read is a round trip, which
/// can take a second with 1000 clients): the windows not read by then are left out.
const CHECK_TIME: Duration = Duration::from_secs(20);
/// Memory the goal allows a client beside its pixels.
const PER_CLIENT: u64 = 64 << 10;

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let bin = std::env::current_exe()?
        .parent()
        .context("the benchmark's folder")?
        .to_owned();
    let server = args
        .server
        .clone()
        .unwrap_or_else(|| bin.join("display-server"));
    let programs = args.mix.iter().map(|name| bin.join(name));
    for program in programs.chain([server.clone()]) {
        if !program.exists() {
            bail!(
                "{} is missing: build it first (cargo build --release -p netui-display-server -p demos)",
                program.display()
            );
        }
    }
    let files = netui_display_server::runtime::raise_open_files();
    println!(
        "scale: {} on {} cores; open files: {}; apps in turn: {}",
        args.apps
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        std::thread::available_parallelism().map_or(0, usize::from),
        files.map_or_else(|| "unlimited".into(), |n| n.to_string()),
        args.mix.join(", ")
    );
    let mut results = Vec::new();
    for &n in &args.apps {
        println!(
            "\n== {n} applications (load average: {})",
            std::fs::read_to_string("/proc/loadavg")
                .unwrap_or_default()
                .trim()
        );
        match run(&args, &bin, &server, n) {
            Ok(r) => results.push(r),
            Err(e) => println!("  {n} applications: not measured: {e:#}"),
        }
    }
    print_table(&results);
    Ok(())
}

/// What one N measured.
struct Measured {
    asked: usize,
    shown: usize,
    baseline_kb: u64,
    running_kb: u64,
    peak_kb: u64,
    cpu: f64,
    apps_cpu: f64,
    clients: usize,
    pixel_bytes: u64,
    round_trips: Vec<Duration>,
    updating: (usize, usize),
    gone_kb: u64,
    settled_kb: u64,
}

/// One run: a fresh server, `n` applications, the measurements, then all of them gone.
fn run(args: &Args, bin: &Path, server: &Path, n: usize) -> anyhow::Result<Measured> {
    let server = Server::start(server, args.max_pixels)?;
    // Where it was: no client has connected yet.
    std::thread::sleep(Duration::from_millis(300));
    let baseline_kb = server.rss_kb()?;
    println!("  server RSS with no clients: {}", mb(baseline_kb));
    let mut watch = Display::connect_unix(&server.socket, "scale")?;

    let started = Instant::now();
    let mut apps = Apps::default();
    for i in 0..n {
        let name = &args.mix[i % args.mix.len()];
        if let Err(e) = apps.spawn(bin, name, &server) {
            println!("  app {i} ({name}) did not start: {e:#}; going on with {i}");
            break;
        }
        if (i + 1) % 100 == 0 {
            println!(
                "  started {}/{n} processes ({:.1} s)",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let shown = wait_shown(&mut watch, &mut apps, n, args.start_timeout)?;
    println!(
        "  {shown}/{n} windows shown after {:.1} s; server RSS {}",
        started.elapsed().as_secs_f64(),
        mb(server.rss_kb()?)
    );
    if shown < n {
        println!("  {}", apps.why_missing(&server));
    }

    // Measure: CPU over the window, RSS at its end, probes' round trips throughout.
    let stop = Arc::new(AtomicBool::new(false));
    let probes: Vec<_> = (0..args.probes)
        .map(|i| spawn_probe(server.socket.clone(), i, Arc::clone(&stop)))
        .collect::<Result<_, _>>()?;
    let cpu_before = server.cpu()?;
    let apps_before = apps.cpu();
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(args.seconds));
    let cpu = (server.cpu()? - cpu_before).as_secs_f64() / t0.elapsed().as_secs_f64();
    let apps_cpu = (apps.cpu() - apps_before).as_secs_f64() / t0.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let mut round_trips = Vec::new();
    for probe in probes {
        match probe.join() {
            Ok(Ok(times)) => round_trips.extend(times),
            Ok(Err(e)) => println!("  a probe failed: {e:#}"),
            Err(_) => println!("  a probe panicked"),
        }
    }
    round_trips.sort();
    println!(
        "  probes' round trips: {} syncs, median {} ms, p99 {} ms, slowest {} ms",
        round_trips.len(),
        quantile(&round_trips, 0.5),
        quantile(&round_trips, 0.99),
        quantile(&round_trips, 1.0)
    );
    let running_kb = server.rss_kb()?;
    let info = watch.server_info()?;
    let clients = info.clients.len();
    let pixel_bytes = info.clients.iter().map(|c| c.pixels * 4).sum::<u64>();
    println!(
        "  server: RSS {}, CPU {:.0}% of a core (the applications: {:.0}%); {clients} clients hold {} of pixels",
        mb(running_kb),
        cpu * 100.0,
        apps_cpu * 100.0,
        mb(pixel_bytes / 1024)
    );
    let checked = Instant::now();
    let updating = check_updating(&mut watch, &info, args.check)?;
    println!(
        "  windows that changed in 1.5 s: {} of {} read (notepads typed into; {:.1} s)",
        updating.0,
        updating.1,
        checked.elapsed().as_secs_f64()
    );
    let peak_kb = server.peak_kb()?;

    // Everyone leaves.
    let left = Instant::now();
    apps.stop_all();
    loop {
        let info = watch.server_info()?;
        if info.clients.len() <= 1 {
            break;
        }
        if left.elapsed() > Duration::from_secs(60) {
            bail!(
                "{} clients still listed a minute after their processes ended",
                info.clients.len() - 1
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // The benchmark's own client goes too: its connection holds buffers the size of the
    // images it read.
    drop(watch);
    let gone_kb = server.rss_kb()?;
    println!(
        "  all gone after {:.1} s: server RSS {}",
        left.elapsed().as_secs_f64(),
        mb(gone_kb)
    );
    std::thread::sleep(Duration::from_secs(3));
    let settled_kb = server.rss_kb()?;
    println!("  3 s later: server RSS {}", mb(settled_kb));
    server.stop();
    Ok(Measured {
        asked: n,
        shown,
        baseline_kb,
        running_kb,
        peak_kb,
        cpu,
        apps_cpu,
        clients,
        pixel_bytes,
        round_trips,
        updating,
        gone_kb,
        settled_kb,
    })
}

/// The server as a process of its own, so that `/proc` tells its memory and CPU alone.
struct Server {
    child: Child,
    /// Its runtime directory (`XDG_RUNTIME_DIR`), removed when this goes.
    runtime: tempfile::TempDir,
    socket: PathBuf,
    log: PathBuf,
}

impl Server {
    /// Starts `program` (a display-server) headless on display [`NUMBER`] in a runtime
    /// directory of its own and waits for its ready line.
    fn start(program: &Path, max_pixels: u64) -> anyhow::Result<Server> {
        let runtime = tempfile::tempdir()?;
        let log = runtime.path().join("server.log");
        let mut child = Command::new(program)
            .args(["--headless", "--no-tcp", "--no-rfb", "--display"])
            .arg(format!(":{NUMBER}"))
            .arg("--max-pixels")
            .arg(max_pixels.to_string())
            .env("XDG_RUNTIME_DIR", runtime.path())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("starting display-server")?;
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let socket = socket_path(&runtime.path().join("netui"), NUMBER);
        let server = Server {
            child,
            runtime,
            socket,
            log,
        };
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) if line.contains("ready") => Ok(server),
            _ => bail!(
                "display-server did not say it was ready: {}",
                std::fs::read_to_string(&server.log).unwrap_or_default()
            ),
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of `/proc/PID/status`, in kB.
    fn status_kb(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|l| {
                l.strip_prefix(field)?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
            .with_context(|| format!("no {field} in the server's /proc status"))
    }

    /// Resident memory now, in kB.
    fn rss_kb(&self) -> anyhow::Result<u64> {
        self.status_kb("VmRSS:")
    }

    /// The most resident memory so far, in kB.
    fn peak_kb(&self) -> anyhow::Result<u64> {
        self.status_kb("VmHWM:")
    }

    /// CPU time (user and system, all threads) so far.
    fn cpu(&self) -> anyhow::Result<Duration> {
        cpu_of(self.pid())
    }

    /// Ends the server (SIGTERM, as a user's Ctrl-C) and waits for it.
    fn stop(mut self) {
        terminate(&mut self.child);
        drop(self.runtime);
    }
}

/// The CPU time (user and system, all threads) of process `pid` so far.
fn cpu_of(pid: u32) -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // The command name may hold spaces; fields 14 and 15 (utime, stime) count from the ')'
    // that ends it.
    let rest = stat.rsplit_once(')').context("a /proc stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11)
        .zip(fields.get(12))
        .and_then(|(u, s)| Some(u.parse::<u64>().ok()? + s.parse::<u64>().ok()?))
        .context("utime and stime in a /proc stat")?;
    let hz = rustix::param::clock_ticks_per_second();
    Ok(Duration::from_secs_f64(ticks as f64 / hz as f64))
}

/// The demo processes of a run.
#[derive(Default)]
struct Apps {
    children: Vec<(String, Child)>,
    /// The folder that notepads run in (they would save their files there).
    home: Option<tempfile::TempDir>,
}

impl Apps {
    /// Starts demo `name` on the server's display.
    fn spawn(&mut self, bin: &Path, name: &str, server: &Server) -> anyhow::Result<()> {
        if self.home.is_none() {
            self.home = Some(tempfile::tempdir()?);
        }
        let home = self.home.as_ref().context("the apps' folder")?.path();
        let child = Command::new(bin.join(name))
            .env(DISPLAY_ENV, format!(":{NUMBER}"))
            .env("XDG_RUNTIME_DIR", server.runtime.path())
            .env("RUST_LOG", "error")
            .current_dir(home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {name}"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    /// The CPU time of every process still running.
    fn cpu(&self) -> Duration {
        self.children
            .iter()
            .filter_map(|(_, c)| cpu_of(c.id()).ok())
            .sum()
    }

    /// Says why fewer windows showed than processes were asked for: processes that ended,
    /// and the server's last words.
    fn why_missing(&mut self, server: &Server) -> String {
        let ended = self
            .children
            .iter_mut()
            .filter_map(|(_, c)| c.try_wait().ok().flatten())
            .count();
        let log = std::fs::read_to_string(&server.log).unwrap_or_default();
        let last: Vec<&str> = log.lines().rev().take(3).collect();
        format!(
            "{} of {} processes started; {ended} of them ended; the server's log ends: {}",
            self.children.len(),
            self.children.len(),
            if last.is_empty() {
                "(empty)".into()
            } else {
                last.join(" | ")
            }
        )
    }

    /// Ends every process (SIGTERM) and waits for them.
    fn stop_all(&mut self) {
        for (_, child) in &self.children {
            if let Ok(pid) = i32::try_from(child.id()) {
                if let Some(pid) = rustix::process::Pid::from_raw(pid) {
                    let _ = rustix::process::kill_process(pid, rustix::process::Signal::Term);
                }
            }
        }
        for (_, child) in &mut self.children {
            let _ = child.wait();
        }
        self.children.clear();
    }
}

impl Drop for Apps {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Ends `child` with SIGTERM and waits; SIGKILL if it has not gone in 5 s.
fn terminate(child: &mut Child) {
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::Term);
    }
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits until `n` application windows are shown (mapped normal windows), or until none
/// has come for `timeout` seconds; returns how many are shown.
fn wait_shown(
    watch: &mut Display,
    apps: &mut Apps,
    n: usize,
    timeout: u64,
) -> anyhow::Result<usize> {
    let mut shown = 0;
    let mut last_change = Instant::now();
    let mut said = Instant::now();
    loop {
        let now = app_windows(&watch.server_info()?).len();
        if now != shown {
            shown = now;
            last_change = Instant::now();
        }
        if shown >= n || last_change.elapsed() > Duration::from_secs(timeout) {
            return Ok(shown);
        }
        let ended = apps
            .children
            .iter_mut()
            .filter_map(|(_, c)| c.try_wait().ok().flatten())
            .count();
        if ended > 0 && shown + ended >= n {
            return Ok(shown);
        }
        if said.elapsed() > Duration::from_secs(5) {
            println!("  {shown}/{n} windows shown, {ended} processes ended");
            said = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// The applications' windows in a server-info reply: mapped normal windows of clients
/// other than the benchmark's own, with the name of their client.
fn app_windows(info: &ServerInfo) -> Vec<(String, ResourceId)> {
    info.clients
        .iter()
        .filter(|c| c.name != "scale" && !c.name.starts_with("probe"))
        .flat_map(|c| {
            c.windows
                .iter()
                .filter(|w| w.mapped && w.kind == WindowKind::Normal)
                .map(|w| (c.name.clone(), w.id))
        })
        .collect()
}

/// Reads `most` application windows (spread evenly over them) twice, 1.5 s apart, having
/// typed a key into each notepad among them in between (clocks tick and animations move by
/// themselves); returns how many changed, of how many read.
fn check_updating(
    watch: &mut Display,
    info: &ServerInfo,
    most: usize,
) -> anyhow::Result<(usize, usize)> {
    let all = app_windows(info);
    // i * len / most: spread over the list, and over the demos, which come in turn.
    let n = all.len().min(most);
    let windows: Vec<_> = (0..n)
        .filter_map(|i| all.get(i * all.len() / n.max(1)).cloned())
        .collect();
    let mut first = HashMap::new();
    let start = Instant::now();
    for (_, id) in &windows {
        if start.elapsed() > CHECK_TIME {
            break;
        }
        if let Ok(image) = watch.get_image(*id, None) {
            first.insert(*id, hash(&image.rgba));
        }
    }
    let windows: Vec<_> = windows
        .into_iter()
        .filter(|(_, id)| first.contains_key(id))
        .collect();
    for (name, id) in &windows {
        if name == "notepad" {
            watch.activate(*id);
            for pressed in [true, false] {
                watch.inject(InputEvent::Key {
                    key: Key::Character('x'),
                    pressed,
                    text: if pressed { "x".into() } else { String::new() },
                });
            }
        }
    }
    watch.sync()?;
    std::thread::sleep(Duration::from_millis(1500).saturating_sub(start.elapsed()));
    let mut changed = 0;
    for (_, id) in &windows {
        if let Ok(image) = watch.get_image(*id, None) {
            if first.get(id).is_some_and(|h| *h != hash(&image.rgba)) {
                changed += 1;
            }
        }
    }
    Ok((changed, windows.len()))
}

fn hash(bytes: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}

/// A probe: a client with a small window that, until `stop`, draws a frame, presents it
/// and times a `Sync`, 20 times a second; returns the round trips.
fn spawn_probe(
    socket: PathBuf,
    i: usize,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<std::thread::JoinHandle<anyhow::Result<Vec<Duration>>>> {
    Ok(std::thread::Builder::new()
        .name(format!("probe {i}"))
        .spawn(move || {
            let mut d = Display::connect_unix(&socket, &format!("probe {i}"))?;
            let at = i32::try_from(i).unwrap_or(0) * 40;
            let window = d.create_window(
                Rect::new(at, at, 160, 60),
                &format!("probe {i}"),
                Color::rgb(0x20, 0x20, 0x20),
            )?;
            d.map(window);
            d.sync()?;
            let mut times = Vec::new();
            let mut frame = 0u32;
            while !stop.load(Ordering::Relaxed) {
                frame += 1;
                let shade = (frame % 200) as u8;
                d.fill_rect(
                    window,
                    Rect::new(0, 0, 160, 60),
                    Color::rgb(shade, 0x40, 0x80),
                );
                d.text(
                    window,
                    Point::new(8, 36),
                    Font::Sans,
                    14,
                    Color::rgb(0xff, 0xff, 0xff),
                    &format!("frame {frame}"),
                );
                d.present(window)?;
                let t = Instant::now();
                d.sync()?;
                times.push(t.elapsed());
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(times)
        })?)
}

/// The `p` quantile of sorted `times`, in ms (`-` if there are none).
fn quantile(times: &[Duration], p: f64) -> String {
    let i = ((times.len() as f64 - 1.0) * p).round() as usize;
    times.get(i).map_or_else(|| "-".into(), |d| ms(*d))
}

fn mb(kb: u64) -> String {
    format!("{:.0} MB", kb as f64 / 1024.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The summary: one row per N.
fn print_table(results: &[Measured]) {
    if results.is_empty() {
        return;
    }
    println!("\n| apps | shown | updating | server CPU (apps) | RSS before | RSS running (peak) | over before | pixels + 64 KiB/client | ratio | round trip median / p99 / max (ms) | RSS all gone | 3 s later | vs before |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for r in results {
        let budget = r.pixel_bytes + PER_CLIENT * r.clients as u64;
        let over = r.running_kb.saturating_sub(r.baseline_kb) * 1024;
        let q = |p| quantile(&r.round_trips, p);
        println!(
            "| {} | {} | {}/{} | {:.0}% ({:.0}%) | {} | {} ({}) | {} | {} | {:.2} | {} / {} / {} ({} syncs) | {} | {} | {:+.0}% |",
            r.asked,
            r.shown,
            r.updating.0,
            r.updating.1,
            r.cpu * 100.0,
            r.apps_cpu * 100.0,
            mb(r.baseline_kb),
            mb(r.running_kb),
            mb(r.peak_kb),
            mb(over / 1024),
            mb(budget / 1024),
            over as f64 / budget.max(1) as f64,
            q(0.5),
            q(0.99),
            q(1.0),
            r.round_trips.len(),
            mb(r.gone_kb),
            mb(r.settled_kb),
            (r.settled_kb as f64 / r.baseline_kb.max(1) as f64 - 1.0) * 100.0,
        );
    }
}
