//! `display-server`: serves a netui display.

use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Parser;
use netui_display_server::activation::{self, Passed};
use netui_display_server::backend::Headless;
use netui_display_server::launch::{self, Tcp, TcpSecurity};
use netui_display_server::screen;
use netui_protocol::display::DisplayName;
use netui_protocol::{Limits, Size};

/// A netui display server: owns a screen, serves applications over a Unix socket and TCP,
/// and VNC viewers over RFB.
///
/// Display :N listens on the Unix socket display-N.sock in your private runtime directory
/// ($XDG_RUNTIME_DIR/netui, else /tmp/netui-UID), on TCP port 7100+N (TLS 1.3) and for VNC
/// viewers (RFB 3.8 with VeNCrypt X509Vnc, also inside a WebSocket for noVNC) on port 5900+N, both on loopback.
/// TCP clients must present the token written to display-N.token beside the socket (or, to
/// only watch, display-N.view-token); the file also carries the SHA-256 fingerprint of the
/// display's certificate, which clients check. The key and self-signed certificate are made
/// at the first start in $NETUI_TLS_DIR, else $XDG_CONFIG_HOME/netui/tls, else
/// ~/.config/netui/tls, and kept. VNC viewers give the password in display-N.rfb-password
/// (or, to only watch, display-N.rfb-view-password).
///
/// Started by systemd with its sockets passed in (socket activation: LISTEN_FDS), it serves
/// those and binds none: the Unix stream socket is the display's, a TCP socket on port 5900+N
/// the VNC endpoint, another TCP socket the netui port (or as LISTEN_FDNAMES says: unix, tcp,
/// rfb). With NOTIFY_SOCKET set it sends READY=1 once it serves. See dist/systemd.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Logs go to stderr; set RUST_LOG=debug for more."
)]
struct Args {
    /// Run without a screen: the display lives in memory (a virtual screen). Without this
    /// flag the screen is a window on the desktop you run it from (X11 or Wayland).
    #[arg(long, conflicts_with = "nested")]
    headless: bool,
    /// Open the screen as a window on another netui display, the one named by NETUI_DISPLAY
    /// (as Xephyr does in X): a whole desktop in a window. The window's input drives this
    /// display, its resizes resize the screen, and the server ends when the outer display
    /// goes away or the window is closed. Without --display it serves the first free display
    /// number from :1.
    #[arg(long)]
    nested: bool,
    /// Screen size, WIDTHxHEIGHT.
    #[arg(long, default_value = "1280x800", value_parser = parse_size)]
    size: Size,
    /// The display to serve, :N (default :0; with --nested, the first free one from :1).
    #[arg(long)]
    display: Option<String>,
    /// Address to listen on for TCP: an IP (port 7100+N) or IP:PORT. Loopback by default;
    /// pass 0.0.0.0 to accept other machines.
    #[arg(long, value_parser = Tcp::parse)]
    listen: Option<Tcp>,
    /// Do not listen on TCP at all (neither netui nor VNC).
    #[arg(long, conflicts_with = "listen")]
    no_tcp: bool,
    /// Do not serve VNC viewers (the RFB port 5900+N).
    #[arg(long)]
    no_rfb: bool,
    /// Serve the netui TCP port in plain TCP, unencrypted (tokens and keystrokes readable
    /// by anyone who sees the traffic): only on a loopback address, unless
    /// --insecure-tcp-beyond-loopback is given too. The token file says `tls off`.
    #[arg(long, conflicts_with_all = ["tls_cert", "no_tcp"])]
    insecure_tcp: bool,
    /// With --insecure-tcp: allow plain TCP on an address that other machines reach.
    #[arg(long, requires = "insecure_tcp")]
    insecure_tcp_beyond_loopback: bool,
    /// A certificate (chain, PEM) of your own for the TCP port, such as one that browsers
    /// trust; clients check it against the web's root authorities and the host name
    /// instead of pinning the display's self-signed one. Needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    tls_cert: Option<std::path::PathBuf>,
    /// The private key (PEM, readable by you only) of --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    tls_key: Option<std::path::PathBuf>,
    /// Most pixels that all clients' windows and pixmaps may hold together, in millions
    /// (4 bytes each): a request that would go above gets a ResourceLimit error. Raise it to
    /// serve hundreds of applications on a machine with the memory for them.
    #[arg(long, value_name = "MPIXELS", default_value_t = Limits::default().max_total_pixels >> 20)]
    max_pixels: u64,
}

/// Parses WIDTHxHEIGHT.
fn parse_size(s: &str) -> Result<Size, String> {
    let (w, h) = s
        .split_once('x')
        .ok_or("expected WIDTHxHEIGHT, such as 1280x800")?;
    let w: u32 = w.parse().map_err(|_| "width is not a number")?;
    let h: u32 = h.parse().map_err(|_| "height is not a number")?;
    let max = Limits::default().max_side;
    if w == 0 || h == 0 || w > max || h > max {
        return Err(format!("size must be between 1x1 and {max}x{max}"));
    }
    Ok(Size::new(w, h))
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    one_arena();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,winit=error")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("display-server: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Gives the free pages of glibc's heap back to the system (`malloc_trim(0)`): glibc
/// returns freed memory only from the top of a heap, so what departed clients leave between
/// live blocks would stay resident. Run by [`netui_display_server::memory`] once clients have
/// stopped leaving; see BENCHMARKS.md ("Many applications") for what it and the other
/// options (a fixed mmap threshold, mimalloc) measured.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() -> bool {
    // SAFETY: malloc_trim takes no pointers and has no preconditions; glibc locks each
    // arena while it walks it, so it may run beside other threads' allocations.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Makes every thread allocate from glibc's one main arena. `malloc_trim` gives back the
/// free pages inside every arena but never trims a thread arena's free top: that goes back
/// only on a `free` that leaves it beyond the trim threshold, which glibc raises to twice the
/// largest block it has unmapped (8 MB after a whole-screen image). After 500 applications
/// and a few screenshots, two tokio workers' arenas kept 7 and 13 MB that no trim could
/// reach; the main arena's top is trimmed. Measured in BENCHMARKS.md ("Many applications"):
/// RSS after 500 apps +4–5% instead of +12–20%, round trips the same within the noise.
/// Called first, before any thread exists.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn one_arena() {
    // SAFETY: mallopt takes no pointers; it is called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    // Each client takes a descriptor: serve as many as the hard limit allows, and refuse the
    // rest with a reason (the listeners keep a reserve for that).
    let open_files = netui_display_server::runtime::raise_open_files();
    tracing::debug!(
        open_files = ?open_files,
        clients = netui_display_server::runtime::connection_capacity(),
        "open-file limit"
    );
    let number = match DisplayName::parse(args.display.as_deref().unwrap_or(":0"))? {
        DisplayName::Local { number } => number,
        DisplayName::Tcp { .. } => bail!("--display takes a local name such as :1, not HOST:N"),
    };
    let tcp = if args.no_tcp {
        Tcp::Off
    } else {
        args.listen.unwrap_or_default()
    };
    let limits = Limits {
        max_total_pixels: args.max_pixels.saturating_mul(1 << 20),
        ..Limits::default()
    };
    let security = match (args.insecure_tcp, args.tls_cert, args.tls_key) {
        (true, _, _) => TcpSecurity::Plain {
            beyond_loopback: args.insecure_tcp_beyond_loopback,
        },
        (false, Some(cert), Some(key)) => TcpSecurity::Own { cert, key },
        _ => TcpSecurity::SelfSigned,
    };
    // Started by systemd with its sockets (socket activation): serve those, bind nothing.
    // Read (and the variables removed) before any other thread starts.
    let passed = Passed::from_env(number)?;
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    netui_display_server::memory::release_with(trim).context("cannot start the memory thread")?;
    if let Some(passed) = &passed {
        if passed.is_empty() {
            bail!("socket activation passed no socket that the display can serve");
        }
        if args.listen.is_some() || args.no_tcp {
            tracing::warn!(
                "--listen and --no-tcp do not apply: the display serves the sockets it was passed"
            );
        }
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the tokio runtime")?;
    if args.nested {
        let nested = Nested {
            size: args.size,
            rfb: !args.no_rfb,
            number: args.display.is_some().then_some(number),
            tcp,
            limits,
        };
        return run_nested(nested, runtime, passed, &security);
    }
    let start = |passed: Option<Passed>| async move {
        match passed {
            Some(passed) => {
                launch::adopt_display(number, args.size, passed, &security, !args.no_rfb, limits)
                    .await
            }
            None => {
                launch::bind_display_with(number, args.size, tcp, &security, !args.no_rfb, limits)
                    .await
            }
        }
    };
    if args.headless {
        return runtime.block_on(async {
            let launched = start(passed).await?;
            let ready = launched.ready_line(args.size, "headless");
            println!("{ready}");
            activation::notify_ready(&ready);
            launched
                .run(Box::new(Headless::default()), launch::shutdown_signal())
                .await?;
            anyhow::Ok(())
        });
    }
    // The screen is a window: winit wants the main thread, so the server runs on others.
    let event_loop = screen::event_loop()?;
    let launched = runtime.block_on(start(passed))?;
    let ready = launched.ready_line(args.size, "window");
    println!("{ready}");
    activation::notify_ready(&ready);
    screen::run(
        event_loop,
        runtime,
        launched,
        format!("netui :{number}"),
        args.size,
    )?;
    Ok(())
}

/// What `--nested` starts.
struct Nested {
    size: Size,
    rfb: bool,
    /// The display number asked for, if one was.
    number: Option<u16>,
    tcp: Tcp,
    limits: Limits,
}

/// `--nested`: the screen is a window on the display that `NETUI_DISPLAY` names.
fn run_nested(
    nested: Nested,
    runtime: tokio::runtime::Runtime,
    passed: Option<Passed>,
    security: &TcpSecurity,
) -> anyhow::Result<()> {
    let outer_name = std::env::var(netui_protocol::display::DISPLAY_ENV).unwrap_or_default();
    if outer_name.is_empty() {
        bail!(
            "--nested opens the screen as a window on another netui display: set {} to it \
             (such as :0)",
            netui_protocol::display::DISPLAY_ENV
        );
    }
    let Nested {
        size,
        rfb,
        number,
        tcp,
        limits,
    } = nested;
    let launched = runtime.block_on(async {
        match (number, passed) {
            (_, Some(passed)) => {
                launch::adopt_display(number.unwrap_or(0), size, passed, security, rfb, limits)
                    .await
            }
            (Some(number), None) => {
                launch::bind_display_with(number, size, tcp, security, rfb, limits).await
            }
            (None, None) => launch::bind_free_display(1, size, tcp, security, rfb).await,
        }
    })?;
    let display = format!(":{}", launched.number);
    let ending =
        netui_display_server::backend::nested::serve(&runtime, launched, size, None, |l| {
            let ready = l.ready_line(size, &format!("nested in {outer_name}"));
            println!("{ready}");
            activation::notify_ready(&ready);
        })
        .with_context(|| format!("the outer display is {outer_name}"))?;
    if let Some(ending) = ending {
        eprintln!("display-server: {display} ends: {ending}");
    }
    Ok(())
}
