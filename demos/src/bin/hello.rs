//! `hello`: opens a window with shapes, text and an image; Escape or close quits.

use clap::Parser;

/// Opens a window on a netui display and draws shapes, text and an image in it.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Display to connect to (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    demos::hello::run(&mut display)?;
    Ok(())
}
