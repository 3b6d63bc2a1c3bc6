//! `notepad`: a text editor on a netui display; Ctrl+S saves, close quits; `--script` types
//! a fixed text (saving into a temporary folder) and exits.

use std::path::PathBuf;

use clap::Parser;

/// Edits a text file in a window on a netui display.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// The file to edit, loaded if it exists; Ctrl+S saves it [default: notepad.txt].
    file: Option<PathBuf>,
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Type the deterministic scripted session (no sleeping, no input) and exit.
    #[arg(long, conflicts_with = "file")]
    script: bool,
    /// Frames the script draws (one key each).
    #[arg(long, default_value_t = 1200, requires = "script")]
    frames: u32,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    if args.script {
        demos::notepad::script(&mut display, args.frames)?;
    } else {
        demos::notepad::run_with(&mut display, args.file)?;
    }
    Ok(())
}
