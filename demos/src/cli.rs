//! What every netui program does the same way: logs and the display to connect to.

use anyhow::Context;
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
