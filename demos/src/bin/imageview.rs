//! `imageview`: shows the PNG images of a folder (or the shipped samples) on a netui
//! display; arrows browse, Escape quits; `--script` steps through the samples and exits.

use std::path::PathBuf;

use clap::Parser;

/// Shows PNG images, scaled to fit, in a window on a netui display.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// A folder of PNG images, or one PNG file [default: the samples shipped with netui].
    dir: Option<PathBuf>,
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Show the deterministic scripted session (no sleeping, no input) and exit.
    #[arg(long, conflicts_with = "dir")]
    script: bool,
    /// Frames the script draws (one image each).
    #[arg(long, default_value_t = 60, requires = "script")]
    frames: u32,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    if args.script {
        demos::imageview::script(&mut display, args.frames)?;
    } else {
        demos::imageview::run_with(&mut display, args.dir)?;
    }
    Ok(())
}
