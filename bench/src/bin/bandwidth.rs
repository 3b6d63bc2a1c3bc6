//! `bandwidth`: what each protocol mode needs for each workload, in bytes and on links.
//!
//! Bytes: for every workload it starts a headless display server with one viewer per pixel
//! encoding attached (on unlimited links), runs the workload's application through a proxy
//! that records its request stream, and then:
//! - pixel modes: counts each viewer's link bytes and checks that its screen equals the
//!   server's;
//! - command modes: re-encodes the recorded requests per mode, decodes them back, replays
//!   them onto a fresh scene and checks that its screen equals the server's.
//!
//! Links: every workload again, in every mode, live on each emulated link
//! (`netui_bench::links`): the time, frames per second and input-to-update latency a viewer
//! gets.
//!
//! RFB (VNC), with `--rfb`: three RFB viewers (ZRLE, Tight lossless, Tight with JPEG) follow
//! each workload through the server's own RFB endpoint, decoding in the same run; lossless
//! screens must equal the server's, JPEG's are reported with their PSNR. The links phase then
//! measures the same three live on every link too (`netui_bench::rfb_link`).
//!
//! The real VNC, with `--vnc`: the frames that the px-tiles viewer showed are fed, in
//! lockstep, into TigerVNC's Xvnc (the server's copy hints as X CopyArea), and three VNC
//! viewers count and decode what Xvnc sends for each (`netui_bench::vnc`). Skipped, saying
//! so, when Xvnc is not installed, unless `NETUI_REQUIRE_XVFB` is set.
//!
//! A mismatch or a failed measurement fails the run (exit status 1, naming the workload and
//! mode). Outputs: tables on the terminal, CSV files and SVG charts. `--record` saves a
//! workload's request stream and `--replay` measures a saved one (`netui_bench::record`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use std::sync::Arc;

use anyhow::{bail, Context};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use netui::Size;
use thin_client::link::LinkProfile;

use netui_bench::command::{self, CmdMode};
use netui_bench::links;
use netui_bench::lockstep::{self, Lockstep};
use netui_bench::record::Recording;
use netui_bench::report::{self, Row};
use netui_bench::rfb_view::{RfbEncoding, RfbResult};
use netui_bench::session::{self, App, Transport};
use netui_bench::workload::{self, Workload};
use netui_bench::{vnc, xvnc};

/// Measures the bytes each protocol mode needs for each demo's workload.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// Small frame counts and an 800x600 screen, for CI (under 20 s in release).
    #[arg(long)]
    quick: bool,
    /// Where to write the CSV.
    #[arg(long, default_value = "bandwidth.csv")]
    csv: PathBuf,
    /// Where to write the SVG chart.
    #[arg(long, default_value = "bandwidth.svg")]
    chart: PathBuf,
    /// Run only the workloads whose names contain this text.
    #[arg(long)]
    only: Option<String>,
    /// The links to measure each workload and mode on (comma-separated names or RATE,DELAY
    /// pairs separated by `;`), or `none`. Default: lan,broadband,wan,modem (--quick: lan,modem).
    #[arg(long)]
    links: Option<String>,
    /// The longest a viewer may take for its first screen, and to catch up at the end, in
    /// seconds (default 4; --quick 2).
    #[arg(long)]
    cap: Option<f64>,
    /// Link measurements run at once (each has a server of its own).
    #[arg(long, default_value_t = 10)]
    parallel: usize,
    /// Where to write the CSV of the link measurements.
    #[arg(long, default_value = "bandwidth-links.csv")]
    links_csv: PathBuf,
    /// Save the workload's request stream to FILE (one workload: choose it with --only).
    #[arg(long, value_name = "FILE", conflicts_with = "replay")]
    record: Option<PathBuf>,
    /// Measure a saved request stream instead of the demos' scripts (on the screen size it was
    /// recorded on).
    #[arg(long, value_name = "FILE")]
    replay: Option<PathBuf>,
    /// Where to write the SVG chart of the link measurements.
    #[arg(long, default_value = "bandwidth-links.svg")]
    links_chart: PathBuf,
    /// Also feed each workload's frames into TigerVNC's Xvnc and measure what VNC viewers
    /// receive (ZRLE, Tight, Tight with JPEG); skipped when Xvnc is missing, unless
    /// NETUI_REQUIRE_XVFB is set.
    #[arg(long)]
    vnc: bool,
    /// Also measure RFB viewers (ZRLE, Tight, Tight with JPEG) on the server's own RFB
    /// endpoint: bytes on an unlimited link, and live on each of --links.
    #[arg(long)]
    rfb: bool,
    /// Run the links phase's netui viewers over loopback TCP twice, in plain TCP and in TLS
    /// 1.3 (each link's name gets ` tcp` or ` tls`), to measure what TLS costs.
    #[arg(long, conflicts_with = "rfb")]
    tls_vs_tcp: bool,
    /// The JPEG quality level (0 to 9) that the Tight-with-JPEG viewers ask for.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(0..=9))]
    jpeg_quality: u8,
}

/// The workloads that --quick measures on links (typing and a drag: input answered by frames).
const QUICK_LINK_WORKLOADS: [&str; 2] = ["notepad", "drag"];

fn main() -> std::process::ExitCode {
    demos::cli::init_logging();
    match run(Args::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bandwidth: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let mut size = if args.quick {
        Size::new(800, 600)
    } else {
        Size::new(1280, 800)
    };
    let list: Vec<Workload> = match &args.replay {
        Some(path) => {
            let recording = Recording::load(path)
                .with_context(|| format!("cannot replay {}", path.display()))?;
            size = recording.size;
            vec![Workload {
                name: recording.workload.clone(),
                app: App::Replay(Arc::new(recording)),
                keys: None,
            }]
        }
        None => workload::all(args.quick),
    }
    .into_iter()
    .filter(|w| {
        args.only
            .as_deref()
            .filter(|o| !w.name.contains(o))
            .is_none()
    })
    .collect();
    if list.is_empty() {
        bail!("no workload matches --only");
    }
    if args.record.is_some() && list.len() != 1 {
        bail!(
            "--record saves one workload's requests: choose it with --only (one of {})",
            list.iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let link_list = link_profiles(args.links.as_deref(), args.quick)?;
    let cap = args.cap.unwrap_or(if args.quick { 2.0 } else { 4.0 });
    if !(cap.is_finite() && cap >= 0.0) {
        bail!("--cap wants a number of seconds, not {cap}");
    }
    let cap = Duration::from_secs_f64(cap);
    let link_frames = if args.quick { 8 } else { 30 };
    let mut live_modes = links::live_modes();
    if args.rfb {
        live_modes.extend(links::rfb_modes(args.jpeg_quality));
    }
    let live_modes = &live_modes;
    // With --tls-vs-tcp each link is measured over plain TCP and over TLS, one beside the
    // other; otherwise over the Unix socket.
    let link_list: Vec<(LinkProfile, Transport)> = if args.tls_vs_tcp {
        link_list
            .iter()
            .flat_map(|link| {
                [Transport::Tcp, Transport::Tls].map(|transport| {
                    let mut link = link.clone();
                    link.name = format!("{} {}", link.name, transport.name());
                    (link, transport)
                })
            })
            .collect()
    } else {
        link_list
            .into_iter()
            .map(|link| (link, Transport::Unix))
            .collect()
    };
    let link_list = &link_list;
    let jobs: Vec<links::Job> = list
        .iter()
        .filter(|w| {
            !args.quick || args.replay.is_some() || QUICK_LINK_WORKLOADS.contains(&w.name.as_str())
        })
        .flat_map(|w| {
            link_list.iter().flat_map(move |(link, transport)| {
                live_modes.iter().map(move |&mode| links::Job {
                    workload: w.name.clone(),
                    app: w.app.at_most(link_frames),
                    size,
                    link: link.clone(),
                    mode,
                    cap,
                    transport: *transport,
                })
            })
        })
        .collect();
    let xvnc_program = match (args.vnc, xvnc::find()) {
        (false, _) => None,
        (true, Some(program)) => Some(program),
        (true, None) if std::env::var_os(vnc::REQUIRE_ENV).is_some() => bail!(
            "--vnc: {} is not installed (Debian: apt-get install tigervnc-standalone-server), \
             and {} is set",
            xvnc::PROGRAM,
            vnc::REQUIRE_ENV
        ),
        (true, None) => {
            eprintln!(
                "vnc: skipped: {} is not installed (Debian: apt-get install \
                 tigervnc-standalone-server)",
                xvnc::PROGRAM
            );
            None
        }
    };
    let options = session::Options {
        record_frames: xvnc_program.is_some(),
        rfb: if args.rfb {
            RfbEncoding::all(args.jpeg_quality).to_vec()
        } else {
            Vec::new()
        },
        // The whole screen to a viewer that joins, beside Xvnc's or the RFB endpoint's.
        join: args.rfb || xvnc_program.is_some(),
    };
    let started = Instant::now();
    let progress = Progress::new((list.len() + jobs.len()) as u64);
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, w) in list.iter().enumerate() {
        let step = format!("[{}/{}] {}", i + 1, list.len(), w.name);
        progress.message(&format!("bytes: {}", w.name));
        let t = Instant::now();
        let session = session::run(size, &w.name, &w.app, &options)?;
        if let Some(path) = &args.record {
            let recording = Recording {
                workload: w.name.clone(),
                size,
                frames: w.app.frames(),
                id_base: session.id_base,
                stream: session.recorded.clone(),
            };
            recording
                .save(path)
                .with_context(|| format!("cannot save {}", path.display()))?;
            progress.line(&format!(
                "{step}: saved its {} bytes of requests to {}",
                recording.stream.len(),
                path.display()
            ));
        }
        for viewer in session.viewers {
            match viewer {
                Ok(v) => {
                    progress.line(&format!(
                        "{step}: {:<14} {:>12} B down, {} updates: verified",
                        v.encoding.name(),
                        v.bytes_down,
                        v.updates
                    ));
                    rows.push(Row {
                        workload: w.name.clone(),
                        protocol: v.encoding.name(),
                        bytes: v.bytes_down,
                        encoded: v.encoded,
                        bytes_back: v.bytes_up,
                        updates: v.updates,
                        first: v.first,
                        encode: v.encode,
                        decode: v.decode,
                        keys: w.keys,
                        join: None,
                        psnr: None,
                    });
                }
                Err(e) => {
                    progress.line(&format!("{step}: FAILED: {e}"));
                    failures.push(format!("{}: {e}", w.name));
                }
            }
        }
        for result in &session.rfb {
            match result {
                Ok(r) => {
                    let row = rfb_row(&w.name, "rfb-", r, w.keys);
                    progress.line(&format!("{step}: {}", rfb_line(&row, r)));
                    rows.push(row);
                }
                Err(e) => {
                    progress.line(&format!("{step}: FAILED: {e}"));
                    failures.push(format!("{}: {e}", w.name));
                }
            }
        }
        if let Some(program) = &xvnc_program {
            progress.message(&format!("vnc: {}", w.name));
            if let Some(frames) = &session.frames {
                progress.line(&format!(
                    "{step}: vnc: feeding Xvnc {} frames with {} copies ({} repaired)",
                    frames.frames.len(),
                    frames.copies(),
                    frames.repairs
                ));
            }
            match session
                .frames
                .as_ref()
                .map(|frames| vnc::measure(program, frames, &RfbEncoding::all(args.jpeg_quality)))
            {
                Some(Ok(results)) => {
                    for result in &results {
                        match result {
                            Ok(r) => {
                                let row = rfb_row(&w.name, "vnc-", r, w.keys);
                                progress.line(&format!("{step}: {}", rfb_line(&row, r)));
                                rows.push(row);
                            }
                            Err(e) => {
                                progress.line(&format!("{step}: FAILED: {e}"));
                                failures.push(format!("{}: {e}", w.name));
                            }
                        }
                    }
                }
                Some(Err(e)) => {
                    progress.line(&format!("{step}: vnc FAILED: {e:#}"));
                    failures.push(format!("{} vnc: {e:#}", w.name));
                }
                None => {
                    progress.line(&format!("{step}: vnc FAILED: no frames recorded"));
                    failures.push(format!(
                        "{} vnc: the px-tiles viewer recorded no frames",
                        w.name
                    ));
                }
            }
            // px-tiles on the very frames Xvnc got, for a comparison over the same updates:
            // with the server's drawings, and with its pixels alone.
            let frames = session.frames.iter();
            let protocols = [lockstep::PROTOCOL, lockstep::PIXELS_ONLY];
            for (frames, protocol) in frames.flat_map(|f| protocols.map(|p| (f, p))) {
                let drawings = protocol == lockstep::PROTOCOL;
                match lockstep::measure(frames, netui_protocol::PixelEncoding::Tiles, drawings) {
                    Ok(l) => {
                        let row = lockstep_row(&w.name, protocol, &l, w.keys);
                        progress.line(&format!(
                            "{step}: {:<14} {:>12} B down, {} frames",
                            row.protocol, row.bytes, row.updates
                        ));
                        rows.push(row);
                    }
                    Err(e) => {
                        progress.line(&format!("{step}: lockstep FAILED: {e:#}"));
                        failures.push(format!("{} lockstep: {e:#}", w.name));
                    }
                }
            }
        }
        for (protocol, join) in &session.joins {
            match join {
                Ok(bytes) => {
                    if let Some(row) = rows
                        .iter_mut()
                        .find(|r| r.workload == w.name && r.protocol == *protocol)
                    {
                        row.join = Some(*bytes);
                    }
                }
                Err(e) => {
                    progress.line(&format!("{step}: a viewer that joins FAILED: {e}"));
                    failures.push(format!("{} {protocol} joining: {e}", w.name));
                }
            }
        }
        let batches = match command::batches(&session.recorded) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{}: {e}", w.name));
                continue;
            }
        };
        for mode in CmdMode::ALL {
            match command::measure(mode, &batches, session.size, &session.screen) {
                Ok(r) => {
                    progress.line(&format!(
                        "{step}: {:<14} {:>12} B, {} frames: verified",
                        mode.name(),
                        r.bytes,
                        r.frames
                    ));
                    rows.push(Row {
                        workload: w.name.clone(),
                        protocol: mode.name(),
                        bytes: r.bytes,
                        encoded: r.bytes,
                        bytes_back: session.app_down,
                        updates: r.frames,
                        first: r.first,
                        encode: r.encode,
                        decode: r.decode,
                        keys: w.keys,
                        join: None,
                        psnr: None,
                    });
                }
                Err(e) => {
                    progress.line(&format!("{step}: {} FAILED: {e}", mode.name()));
                    failures.push(format!("{} {}: {e}", w.name, mode.name()));
                }
            }
        }
        progress.line(&format!(
            "{step}: {} frames on {}x{} done in {:.1} s",
            w.app.frames(),
            size.width,
            size.height,
            t.elapsed().as_secs_f64()
        ));
        progress.inc();
    }

    progress.message("links");
    let link_results = links::run_all(&jobs, args.parallel, |job, result| {
        let what = format!("{} {} on {}", job.workload, job.mode.name, job.link.name);
        progress.line(&match result {
            Ok(r) => format!("links: {what}: {}", report::link_cell(r)),
            Err(e) => format!("links: {what}: FAILED: {e}"),
        });
        progress.inc();
    });
    progress.finish();
    let mut measured = Vec::new();
    for (job, result) in jobs.iter().zip(link_results) {
        match result {
            Ok(r) => measured.push(r),
            Err(e) => failures.push(format!(
                "{} {} on {}: {e}",
                job.workload, job.mode.name, job.link.name
            )),
        }
    }

    // Rows in the table's column order.
    rows.sort_by_key(|r| {
        (
            list.iter().position(|w| w.name == r.workload),
            report::PROTOCOLS.iter().position(|p| *p == r.protocol),
        )
    });
    println!("{}", report::table(&rows));
    if let Some(table) = report::vnc_table(&rows) {
        println!("{table}");
    }
    if !measured.is_empty() {
        println!("{}", report::links_table(&measured, cap));
    }
    report::csv(&rows, &args.csv)?;
    let title = format!(
        "netui bandwidth per protocol ({}x{}{})",
        size.width,
        size.height,
        if args.quick { ", quick" } else { "" }
    );
    report::chart(&rows, &args.chart, &title)?;
    let mut wrote = vec![args.csv.display(), args.chart.display()];
    if !measured.is_empty() {
        report::links_csv(&measured, &args.links_csv)?;
        let title = format!(
            "netui on emulated links, {} keys/s ({}x{}{})",
            links::KEYS_PER_SEC,
            size.width,
            size.height,
            if args.quick { ", quick" } else { "" }
        );
        report::links_chart(&measured, &args.links_chart, &title)?;
        wrote.extend([args.links_csv.display(), args.links_chart.display()]);
    }
    let wrote: Vec<String> = wrote.iter().map(ToString::to_string).collect();
    eprintln!(
        "wrote {} in {:.1} s",
        wrote.join(", "),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        bail!(
            "{} measurement(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    Ok(())
}

/// The report's row for an RFB viewer's result, its protocol `prefix` (`rfb-`, `vnc-`) and
/// encoding.
fn rfb_row(workload: &str, prefix: &str, r: &RfbResult, keys: Option<u32>) -> Row {
    let protocol = if prefix == "rfb-" {
        r.encoding.rfb_name()
    } else {
        r.encoding.vnc_name()
    };
    Row {
        workload: workload.to_owned(),
        protocol,
        bytes: r.bytes_down,
        encoded: r.bytes_down,
        bytes_back: r.bytes_up,
        updates: r.frames,
        first: r.first,
        encode: Duration::ZERO,
        decode: r.decode,
        keys,
        join: r.join,
        psnr: r.psnr.and_then(|p| Some((p.mean()?, p.worst()?))),
    }
}

/// The report's row `protocol` for `px-tiles` fed Xvnc's frames in lockstep.
fn lockstep_row(workload: &str, protocol: &'static str, l: &Lockstep, keys: Option<u32>) -> Row {
    Row {
        workload: workload.to_owned(),
        protocol,
        bytes: l.bytes,
        encoded: l.encoded,
        bytes_back: l.acks,
        updates: l.frames,
        first: l.first,
        encode: l.encode,
        decode: l.decode,
        keys,
        join: None,
        psnr: None,
    }
}

/// A progress line for an RFB viewer's row.
fn rfb_line(row: &Row, r: &RfbResult) -> String {
    format!(
        "{:<14} {:>12} B down, {} frames in {} updates ({} B of CopyRect){}: {}",
        row.protocol,
        row.bytes,
        r.frames,
        r.updates,
        r.copy_bytes,
        r.join.map_or(String::new(), |j| format!(", {j} B to join")),
        match row.psnr {
            Some((mean, worst)) => format!("PSNR {mean:.1} dB (worst {worst:.1})"),
            None => "verified".into(),
        }
    )
}

/// The links of `--links`: `none`, or names and `RATE,DELAY` pairs separated by `;` (names
/// may also be separated by commas).
fn link_profiles(text: Option<&str>, quick: bool) -> anyhow::Result<Vec<LinkProfile>> {
    let text = text.unwrap_or(if quick {
        "lan,modem"
    } else {
        "lan,broadband,wan,modem"
    });
    if text.trim() == "none" {
        return Ok(Vec::new());
    }
    let mut list = Vec::new();
    for part in text.split(';').filter(|p| !p.trim().is_empty()) {
        match LinkProfile::parse(part) {
            Ok(link) => list.push(link),
            Err(e) => {
                for name in part.split(',') {
                    list.push(LinkProfile::parse(name).map_err(|_| anyhow::anyhow!("{e}"))?);
                }
            }
        }
    }
    Ok(list)
}

/// The progress bar on a terminal; one line per step otherwise (CI logs, pipes).
struct Progress {
    bar: ProgressBar,
}

impl Progress {
    fn new(steps: u64) -> Progress {
        let bar = ProgressBar::new(steps);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} (eta {eta}) {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Progress { bar }
    }

    fn line(&self, text: &str) {
        if self.bar.is_hidden() {
            eprintln!("{text}");
        } else {
            self.bar.println(text);
        }
    }

    fn message(&self, text: &str) {
        self.bar.set_message(text.to_owned());
    }

    fn inc(&self) {
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
