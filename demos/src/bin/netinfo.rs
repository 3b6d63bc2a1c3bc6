//! `netinfo`: describes a display (like xdpyinfo): server, screen, clients and their windows.

use clap::Parser;

/// Prints what a netui display server says about itself, its screen and its clients.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Display to describe (:N or HOST:N); defaults to $NETUI_DISPLAY.
    #[arg(long)]
    display: Option<String>,
}

fn main() -> anyhow::Result<()> {
    demos::cli::init_logging();
    let args = Args::parse();
    let mut display = demos::cli::connect(args.display.as_deref())?;
    let welcome = display.welcome().clone();
    let info = display.server_info()?;
    println!("display:          {}", info.display);
    println!("vendor:           {}", info.vendor);
    println!("protocol version: {}", info.protocol_version);
    println!(
        "screen:           {}x{} pixels, {:?}",
        info.screen.width, info.screen.height, welcome.pixel_format
    );
    println!(
        "limits:           frames up to {} bytes, drawables up to {}x{}",
        welcome.limits.max_payload, welcome.limits.max_side, welcome.limits.max_side
    );
    println!(
        "limits:           {} pixels per client, {} for all, {} bytes waiting per client",
        welcome.limits.max_client_pixels,
        welcome.limits.max_total_pixels,
        welcome.limits.max_outbox_bytes
    );
    println!("clients:          {}", info.clients.len());
    if info.windows_left_out > 0 {
        println!(
            "                  ({} windows not listed: the list fills a reply)",
            info.windows_left_out
        );
    }
    for c in &info.clients {
        println!(
            "  client {} {:?} from {} ({}): {} windows, {} pixmaps",
            c.id,
            c.name,
            c.peer,
            c.access,
            c.windows.len(),
            c.pixmaps
        );
        for w in &c.windows {
            println!(
                "    window {} {:?} {}x{}+{}+{} {}",
                w.id,
                w.title,
                w.rect.width,
                w.rect.height,
                w.rect.x,
                w.rect.y,
                if w.mapped { "mapped" } else { "unmapped" }
            );
        }
    }
    Ok(())
}
