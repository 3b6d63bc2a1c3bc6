//! `netui`: the desktop session that `cargo run --release` starts.
//!
//! It starts a display server on the first free display number, then the session's
//! applications as separate processes connected to it like any remote application, and prints
//! how other machines join. Ctrl-C or SIGTERM ends the session and its applications.
//!
//! The screen is a window when there is a desktop (X11 or Wayland) to show it on, and a virtual
//! (headless) screen otherwise. The session's first application is the launcher, whose buttons
//! start the demos, each as a process of this same program (`netui clock`, ...).

use std::process::{Child, Command, ExitCode};

use anyhow::Context;
use clap::Parser;
use netui_display_server::backend::Headless;
use netui_display_server::launch::{self, Tcp, TcpSecurity};
use netui_display_server::screen;
use netui_protocol::display::DISPLAY_ENV;
use netui_protocol::Size;

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
    /// Do not serve VNC viewers (the RFB port 5900+N).
    #[arg(long)]
    no_rfb: bool,
    /// Run one application on $NETUI_DISPLAY instead of a session: `launcher`, a demo (the
    /// launcher starts demos this way, as processes of this same program), or `desktop`: a
    /// nested display (a whole desktop in a window, with its own launcher).
    #[arg(value_parser = app_name)]
    app: Option<String>,
}

fn app_name(name: &str) -> Result<String, String> {
    let known = demos::catalog().iter().any(|d| d.name == name)
        || name == "launcher"
        || name == demos::launcher::DESKTOP;
    if known {
        return Ok(name.to_owned());
    }
    let names: Vec<&str> = demos::catalog().iter().map(|d| d.name).collect();
    Err(format!(
        "no application {name:?}; there are: launcher, desktop, {}",
        names.join(", ")
    ))
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
    let result = match args.app.as_deref() {
        Some(name) => app(name),
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

/// Runs the launcher or one demo on $NETUI_DISPLAY.
fn app(name: &str) -> anyhow::Result<()> {
    let mut display = demos::cli::connect(None)?;
    if name == "launcher" {
        let exe = std::env::current_exe().context("cannot find this program to start demos")?;
        let spawn: demos::launcher::Spawn =
            Box::new(move |demo| Command::new(&exe).arg(demo).spawn().map(Some));
        return Ok(demos::launcher::run(&mut display, spawn)?);
    }
    if name == demos::launcher::DESKTOP {
        drop(display);
        return desktop();
    }
    let demo = demos::catalog()
        .iter()
        .find(|d| d.name == name)
        .context("no such demo")?;
    Ok((demo.run)(&mut display)?)
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
        &TcpSecurity::default(),
        !args.no_rfb,
    ))?;
    let display = format!(":{}", launched.number);
    println!("{}", launched.ready_line(args.size, mode));
    println!();
    println!("  run an application here:   NETUI_DISPLAY={display} cargo run --release -p demos --bin hello");
    println!("  look at the screen:        NETUI_DISPLAY={display} cargo run --release -p demos --bin screenshot -- -o screen.png");
    if let Some(addr) = launched.server.tcp_addr() {
        println!("  join from another machine: NETUI_DISPLAY=THIS_HOST{display} NETUI_AUTH=token-file hello");
        println!(
            "      where token-file is a copy of {} (the token and the certificate's fingerprint;",
            launched.token_path.display()
        );
        println!(
            "      to only watch, {})",
            launched.view_token_path.display()
        );
        if addr.ip().is_loopback() {
            println!("      (TCP listens on {addr} only: restart with --listen 0.0.0.0 to accept other machines)");
        }
    }
    if let (Some(addr), Some(rfb)) = (launched.server.rfb_addr(), &launched.rfb) {
        println!(
            "  any VNC viewer:            vncviewer {}::{}   password {} (view-only: {})",
            addr.ip(),
            addr.port(),
            rfb.full,
            rfb.view_only
        );
        println!("      or noVNC in a browser, pointed at ws://{addr} (no websockify needed)");
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
        .arg("launcher")
        .env(DISPLAY_ENV, &display)
        .spawn()
        .context("cannot start the launcher")?;
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

/// The size of a nested desktop's screen: two thirds of the outer screen's, at least 640x400.
fn nested_size(outer: Size) -> Size {
    Size::new(
        (outer.width * 2 / 3).max(640).min(outer.width.max(1)),
        (outer.height * 2 / 3).max(400).min(outer.height.max(1)),
    )
}

/// `netui desktop`: a nested display (its screen a window on $NETUI_DISPLAY, as
/// `display-server --nested`) on the first free display number from :1, with a launcher of
/// its own; it ends when the window is closed or the outer display goes away.
fn desktop() -> anyhow::Result<()> {
    let outer = demos::cli::connect(None)?.screen_size();
    let size = nested_size(outer);
    let runtime = tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
    let launched = runtime.block_on(launch::bind_free_display(
        1,
        size,
        Tcp::Off,
        &TcpSecurity::default(),
        false,
    ))?;
    let display = format!(":{}", launched.number);
    let mut apps = Apps::default();
    let exe = std::env::current_exe().context("cannot find this program to start applications")?;
    let ending =
        netui_display_server::backend::nested::serve(&runtime, launched, size, None, |l| {
            println!("{}", l.ready_line(size, "nested"));
            match Command::new(&exe)
                .arg("launcher")
                .env(DISPLAY_ENV, &display)
                .spawn()
            {
                Ok(child) => apps.0.push(child),
                Err(e) => eprintln!("netui: cannot start the nested desktop's launcher: {e}"),
            }
        })?;
    drop(apps);
    if let Some(ending) = ending {
        eprintln!("netui: desktop {display} ends: {ending}");
    }
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
