//! `files`: a file browser on a netui display; arrows, PageUp/PageDown and the wheel
//! scroll, Enter opens, Backspace goes up, Escape quits; `--script` browses a made-up tree
//! and exits.

use std::path::PathBuf;

use clap::Parser;

/// Browses a folder in a window on a netui display.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The folder to show [default: the current folder].
    dir: Option<PathBuf>,
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Browse the deterministic scripted session (no sleeping, no input) and exit.
    #[arg(long, conflicts_with = "dir")]
    script: bool,
    /// Frames the script draws (one event each).
    #[arg(long, default_value_t = 300, requires = "script")]
    frames: u32,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    if args.script {
        demos::files::script(&mut display, args.frames)?;
    } else {
        demos::files::run_with(&mut display, args.dir)?;
    }
    Ok(())
}
