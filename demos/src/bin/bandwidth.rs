//! `bandwidth`: the bytes that each protocol mode needs for each demo's scripted workload.
//!
//! For every workload it starts a headless display server with one viewer per pixel
//! encoding attached (on unlimited links), runs the demo's script through a proxy that
//! records the application's request stream, and then:
//! - pixel modes: counts each viewer's link bytes and checks that its screen equals the
//!   server's;
//! - command modes: re-encodes the recorded requests per mode, decodes them back, replays
//!   them onto a fresh scene and checks that its screen equals the server's.
//!
//! A mismatch fails the run (exit status 1, naming the workload and mode). Outputs: a table
//! on the terminal, a CSV file and an SVG chart.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Parser;
use netui::Size;

#[path = "../bandwidth/command.rs"]
mod command;
#[path = "../bandwidth/report.rs"]
mod report;
#[path = "../bandwidth/session.rs"]
mod session;

use command::CmdMode;
use report::Row;
use session::Script;

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
}

/// A workload: a demo's script and how many frames it draws.
struct Workload {
    name: &'static str,
    script: Script,
    frames: u32,
    /// Key presses the script types (notepad: one per frame after the first).
    keys: Option<u32>,
}

fn workloads(quick: bool) -> Vec<Workload> {
    // (name, frames in a full run, frames in a quick run)
    const FRAMES: &[(&str, u32, u32)] = &[
        ("clock", 60, 5),
        ("paint", 120, 20),
        ("notepad", 240, 30),
        ("files", 120, 12),
        ("imageview", 16, 3),
        ("animation", 300, 20),
        ("sysmon", 60, 8),
        ("hello", 3, 1),
        ("launcher", 40, 6),
    ];
    let frames = |name: &str| {
        FRAMES.iter().find(|(n, ..)| *n == name).map_or(
            if quick { 5 } else { 30 },
            |&(_, full, q)| {
                if quick {
                    q
                } else {
                    full
                }
            },
        )
    };
    let mut list: Vec<Workload> = demos::catalog()
        .iter()
        .map(|demo| {
            let frames = frames(demo.name);
            Workload {
                name: demo.name,
                script: demo.script,
                frames,
                keys: (demo.name == "notepad").then(|| frames.saturating_sub(1)),
            }
        })
        .collect();
    list.push(Workload {
        name: "launcher",
        script: demos::launcher::script,
        frames: frames("launcher"),
        keys: None,
    });
    list
}

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
    let size = if args.quick {
        Size::new(800, 600)
    } else {
        Size::new(1280, 800)
    };
    let list: Vec<Workload> = workloads(args.quick)
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
    let started = Instant::now();
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (i, w) in list.iter().enumerate() {
        let step = format!("[{}/{}] {}", i + 1, list.len(), w.name);
        eprintln!(
            "{step}: running {} frames on {}x{}",
            w.frames, size.width, size.height
        );
        let t = Instant::now();
        let session = session::run(size, w.name, w.script, w.frames)?;
        for viewer in session.viewers {
            match viewer {
                Ok(v) => {
                    eprintln!(
                        "{step}: {:<14} {:>12} B down, {} updates: verified",
                        v.encoding.name(),
                        v.bytes_down,
                        v.updates
                    );
                    rows.push(Row {
                        workload: w.name.into(),
                        protocol: v.encoding.name(),
                        bytes: v.bytes_down,
                        encoded: v.encoded,
                        bytes_back: v.bytes_up,
                        updates: v.updates,
                        encode: None,
                        decode: v.decode,
                        keys: w.keys,
                    });
                }
                Err(e) => {
                    eprintln!("{step}: FAILED: {e}");
                    failures.push(format!("{}: {e}", w.name));
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
                    eprintln!(
                        "{step}: {:<14} {:>12} B, {} frames: verified",
                        mode.name(),
                        r.bytes,
                        r.frames
                    );
                    rows.push(Row {
                        workload: w.name.into(),
                        protocol: mode.name(),
                        bytes: r.bytes,
                        encoded: r.bytes,
                        bytes_back: session.app_down,
                        updates: r.frames,
                        encode: Some(r.encode),
                        decode: r.decode,
                        keys: w.keys,
                    });
                }
                Err(e) => {
                    eprintln!("{step}: {} FAILED: {e}", mode.name());
                    failures.push(format!("{} {}: {e}", w.name, mode.name()));
                }
            }
        }
        eprintln!("{step}: done in {:.1} s", t.elapsed().as_secs_f64());
    }
    // Rows in the table's column order.
    rows.sort_by_key(|r| {
        (
            list.iter().position(|w| w.name == r.workload),
            report::PROTOCOLS.iter().position(|p| *p == r.protocol),
        )
    });
    println!("{}", report::table(&rows));
    report::csv(&rows, &args.csv)?;
    let title = format!(
        "netui bandwidth per protocol ({}x{}{})",
        size.width,
        size.height,
        if args.quick { ", quick" } else { "" }
    );
    report::chart(&rows, &args.chart, &title)?;
    eprintln!(
        "wrote {} and {} in {:.1} s",
        args.csv.display(),
        args.chart.display(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        bail!(
            "{} measurement(s) failed verification:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    Ok(())
}
