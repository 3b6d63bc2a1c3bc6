//! `sysmon`: CPU and memory use as scrolling charts, sampled once a second. Escape or close quits; `--script` draws a fixed session and exits.

use clap::Parser;

/// A system monitor on a netui display: CPU and memory charts, sampled once a second.
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
        demos::sysmon::script(&mut display, args.frames)?;
    } else {
        demos::sysmon::run(&mut display)?;
    }
    Ok(())
}
