//! `paint`: draw with the mouse in colors and widths chosen from a toolbar. Escape or close quits; `--script` draws a fixed session and exits.

use clap::Parser;

/// A paint program on a netui display: draw with the mouse, pick colors and widths, c clears.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Draw the deterministic scripted session (no sleeping, no input) and exit.
    #[arg(long)]
    script: bool,
    /// Frames the script draws.
    #[arg(long, default_value_t = 60, requires = "script")]
    frames: u32,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    if args.script {
        demos::paint::script(&mut display, args.frames)?;
    } else {
        demos::paint::run(&mut display)?;
    }
    Ok(())
}
