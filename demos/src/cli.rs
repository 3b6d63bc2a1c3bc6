//! What every netui program does the same way: logs and the display to connect to.

use std::path::PathBuf;

use anyhow::Context;
use clap::{CommandFactory, FromArgMatches, Parser};
use netui::Display;

/// Sends `tracing` logs to stderr, filtered by `RUST_LOG` (warnings by default; winit's
/// complaints about the X server's settings only as errors).
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,winit=error")),
        )
        .with_writer(std::io::stderr)
        .init();
}

/// Connects to `--display` if given, else to `NETUI_DISPLAY`.
pub fn connect(display: Option<&str>) -> anyhow::Result<Display> {
    Display::connect(display).with_context(|| {
        format!(
            "cannot open display {}",
            display.map_or_else(
                || std::env::var("NETUI_DISPLAY")
                    .unwrap_or_else(|_| "(NETUI_DISPLAY unset)".into()),
                str::to_owned
            )
        )
    })
}

/// The command line of every demo program.
#[derive(Debug, Parser)]
#[command(version)]
struct DemoArgs {
    /// A file or folder to open (notepad, files, imageview).
    path: Option<PathBuf>,
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Draw the deterministic scripted session (fixed time and input, no sleeping) and exit.
    #[arg(long, conflicts_with = "path")]
    script: bool,
    /// Frames the script draws [default: the demo's own].
    #[arg(long, requires = "script")]
    frames: Option<u32>,
}

/// The `main` of a demo program: parses the shared command line, connects, and runs the demo
/// `name` of the catalog (or its script).
pub fn demo_main(name: &str) -> anyhow::Result<()> {
    let demo = crate::catalog()
        .iter()
        .find(|d| d.name == name)
        .with_context(|| format!("no demo named {name}"))?;
    let matches = DemoArgs::command()
        .name(demo.name)
        .about(demo.about)
        .get_matches();
    let args = DemoArgs::from_arg_matches(&matches)?;
    init_logging();
    if args.path.is_some() && demo.open.is_none() {
        anyhow::bail!("{name} opens no file or folder");
    }
    let mut display = connect(args.display.as_deref())?;
    match (args.script, demo.open) {
        (true, _) => {
            (demo.script)(&mut display, args.frames.unwrap_or(demo.frames))?;
        }
        (false, Some(open)) => open(&mut display, args.path)?,
        (false, None) => (demo.run)(&mut display)?,
    }
    Ok(())
}
