//! `netui`: the desktop session that `cargo run --release` starts.
//!
//! It starts a display server on the first free display number, then the session's
//! applications as separate processes connected to it like any remote application, and prints
//! how other machines join. Ctrl-C or SIGTERM ends the session and its applications.
//!
//! The screen is a window when there is a desktop (X11 or Wayland) to show it on, and a virtual
//! (headless) screen otherwise. Until the launcher exists, the session runs `hello`.

use std::process::{Child, Command, ExitCode};

use anyhow::Context;
use clap::{Parser, Subcommand};
use netui_protocol::display::{format_token, DISPLAY_ENV};
use netui_protocol::Size;
use netui_server::backend::Headless;
use netui_server::launch::{self, Tcp};
use netui_server::screen;

/// The netui desktop session: a display server and its applications.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Screen size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x800", value_parser = parse_size)]
    size: Size,
    /// Display number to try first (the first free one from here on is used).
    #[arg(long, default_value_t = 0)]
    first_display: u16,
    /// Address for TCP: an IP (port 7100+N) or IP:PORT; loopback by default. Use 0.0.0.0 so
    /// that other machines can join.
    #[arg(long, value_parser = Tcp::parse)]
    listen: Option<Tcp>,
    /// Run a headless (virtual) screen even when a desktop could show a window.
    #[arg(long)]
    headless: bool,
    #[command(subcommand)]
    app: Option<App>,
}

/// Applications that the session starts as processes of this same program.
#[derive(Debug, Subcommand)]
enum App {
    /// Run the hello demo on $NETUI_DISPLAY (what the session starts).
    #[command(hide = true)]
    Hello,
}

fn parse_size(s: &str) -> Result<Size, String> {
    let (w, h) = s.split_once('x').ok_or("expected WIDTHxHEIGHT")?;
    Ok(Size::new(
        w.parse().map_err(|_| "width is not a number")?,
        h.parse().map_err(|_| "height is not a number")?,
    ))
}

fn main() -> ExitCode {
    demos::cli::init_logging();
    let args = Args::parse();
    let result = match args.app {
        Some(App::Hello) => demos::cli::connect(None)
            .and_then(|mut d| demos::hello::run(&mut d).map_err(Into::into)),
        None => session(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("netui: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn session(args: &Args) -> anyhow::Result<()> {
    // A real window when there is a desktop to show it on; a virtual screen otherwise.
    let event_loop = if args.headless {
        None
    } else {
        match screen::event_loop() {
            Ok(event_loop) => Some(event_loop),
            Err(e) => {
                eprintln!("netui: {e}");
                eprintln!("netui: starting a headless (virtual) display instead");
                None
            }
        }
    };
    let mode = if event_loop.is_some() {
        "window"
    } else {
        "headless"
    };
    let runtime = tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
    let tcp = args.listen.unwrap_or_default();
    let launched = runtime.block_on(launch::bind_free_display(
        args.first_display,
        args.size,
        tcp,
    ))?;
    let display = format!(":{}", launched.number);
    println!("{}", launched.ready_line(args.size, mode));
    println!();
    println!("  run an application here:   NETUI_DISPLAY={display} cargo run -p demos --bin hello");
    println!("  look at the screen:        NETUI_DISPLAY={display} cargo run -p demos --bin screenshot -- -o screen.png");
    if let Some(addr) = launched.server.tcp_addr() {
        println!("  join from another machine: NETUI_DISPLAY=THIS_HOST{display} NETUI_AUTH=token-file hello");
        println!(
            "      where token-file holds: {}",
            format_token(&launched.token)
        );
        if addr.ip().is_loopback() {
            println!("      (TCP listens on {addr} only: restart with --listen 0.0.0.0 to accept other machines)");
        }
    }
    println!();
    println!(
        "Ctrl-C{} ends the session.",
        if event_loop.is_some() {
            " or closing the window"
        } else {
            ""
        }
    );

    let mut apps = Apps::default();
    let exe = std::env::current_exe().context("cannot find this program to start applications")?;
    let child = Command::new(exe)
        .arg("hello")
        .env(DISPLAY_ENV, &display)
        .spawn()
        .context("cannot start hello")?;
    apps.0.push(child);
    match event_loop {
        Some(event_loop) => screen::run(
            event_loop,
            runtime,
            launched,
            format!("netui {display}"),
            args.size,
        )?,
        None => runtime
            .block_on(launched.run(Box::new(Headless::default()), launch::shutdown_signal()))?,
    }
    drop(apps);
    println!("session on {display} ended");
    Ok(())
}

/// The session's application processes; they end with the session.
#[derive(Default)]
struct Apps(Vec<Child>);

impl Drop for Apps {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
