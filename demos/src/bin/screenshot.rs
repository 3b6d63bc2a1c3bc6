//! `screenshot`: writes the screen, or one window, of a display to a PNG file (like xwd).

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use netui::ResourceId;

/// Writes the screen of a netui display, or one of its windows, to a PNG file.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Display to read (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
    /// Only this window, by id (as `netinfo` prints it, such as 0x200001).
    #[arg(long, value_parser = parse_id, conflicts_with = "title")]
    window: Option<u32>,
    /// Only the topmost window with this title.
    #[arg(long)]
    title: Option<String>,
    /// The PNG file to write.
    #[arg(short, long, default_value = "screenshot.png")]
    output: PathBuf,
}

fn parse_id(s: &str) -> Result<u32, String> {
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.map_err(|_| format!("{s:?} is not a window id (such as 0x200001)"))
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    let source = match (args.window, &args.title) {
        (Some(id), _) => ResourceId(id),
        (None, Some(title)) => {
            let info = display.server_info()?;
            let titled = |id: &netui::ResourceId| {
                info.clients
                    .iter()
                    .flat_map(|c| &c.windows)
                    .any(|w| w.id == *id && &w.title == title)
            };
            info.stack
                .iter()
                .rev()
                .copied()
                .find(titled)
                .with_context(|| format!("no window titled {title:?} (netinfo lists them)"))?
        }
        (None, None) => ResourceId::ROOT,
    };
    let image = display.get_image(source, None)?;
    demos::image::write_png(
        &args.output,
        image.area.width,
        image.area.height,
        &image.rgba,
    )?;
    println!(
        "{}x{} written to {}",
        image.area.width,
        image.area.height,
        args.output.display()
    );
    Ok(())
}
