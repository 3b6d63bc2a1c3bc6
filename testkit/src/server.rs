//! A headless display server for a test: on a socket in a temporary directory (most tests),
//! also on loopback TCP (in TLS, with a key made in the temporary directory, or plain), or as
//! display `:N` in a private runtime directory, where programs started with
//! [`TestDisplay::command`] find it by its name.

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use netui::tls::TlsClient;
use netui_display_server::rfb::RfbConfig;
use netui_display_server::tls::ServerTls;
use netui_display_server::{ServerConfig, ServerHandle};
use netui_protocol::display::{socket_path, DISPLAY_ENV};
use netui_protocol::{Limits, ResourceId, Size};

/// The token that test servers take over TCP.
pub const TOKEN: [u8; 32] = [5; 32];
/// The view-only token of test servers.
pub const VIEW_TOKEN: [u8; 32] = [6; 32];

/// How a test server serves TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum TcpMode {
    #[default]
    Off,
    /// TLS, with a key made in the test's temporary directory.
    Tls,
    /// Plain TCP (as `--insecure-tcp`).
    Plain,
}

/// What a test server serves besides its Unix socket, and the limits it enforces.
#[derive(Debug, Default)]
struct Serves {
    tcp: TcpMode,
    /// VNC viewers, on 127.0.0.1 at a free port.
    rfb: bool,
    limits: Limits,
}

/// The RFB password of test servers that serve VNC viewers: see and drive.
pub const RFB_PASSWORD: &str = "netui-pw";
/// The view-only RFB password of test servers.
pub const RFB_VIEW_PASSWORD: &str = "look-pw";

/// A headless display `display` (64x48) on loopback TCP only, presenting `tls`: a
/// certificate of the test's own, as `display-server --tls-cert` gives one.
pub fn serve_tls_only(display: &str, tls: ServerTls) -> ServerHandle {
    ServerHandle::start(ServerConfig {
        display: display.into(),
        size: Size::new(64, 48),
        unix: None,
        tcp: Some("127.0.0.1:0".parse().expect("an address")),
        tls: Some(tls),
        token: TOKEN.to_vec(),
        view_token: VIEW_TOKEN.to_vec(),
        limits: Limits::default(),
        rfb: None,
    })
    .expect("a headless server starts")
}

/// A running headless display and the temporary directory that holds its socket; both go
/// away when it is dropped.
///
/// ```no_run
/// use netui_testkit::TestDisplay;
///
/// let display = TestDisplay::start(":test", netui::Size::new(320, 240));
/// let mut app = display.connect("app");
/// assert_eq!(app.screen_size(), netui::Size::new(320, 240));
/// ```
pub struct TestDisplay {
    /// The server (dropped first: fields drop in order).
    pub server: ServerHandle,
    /// The directory of its socket; for a numbered display, the runtime directory
    /// (`XDG_RUNTIME_DIR`) that holds `netui/display-N.sock`.
    pub dir: tempfile::TempDir,
    /// The display number, for a display started with [`TestDisplay::numbered`].
    number: Option<u16>,
}

impl TestDisplay {
    /// A headless display named `display` with a screen of `size`, on a Unix socket only.
    pub fn start(display: &str, size: Size) -> Self {
        Self::unnumbered(display, size, Serves::default())
    }

    /// Like [`TestDisplay::start`], and serving VNC viewers on 127.0.0.1 at a free port
    /// (see [`TestDisplay::rfb_addr`]) with the passwords [`RFB_PASSWORD`] and
    /// [`RFB_VIEW_PASSWORD`].
    pub fn start_with_rfb(display: &str, size: Size) -> Self {
        Self::unnumbered(
            display,
            size,
            Serves {
                rfb: true,
                ..Serves::default()
            },
        )
    }

    /// Like [`TestDisplay::start`], and on 127.0.0.1 at a free port too, in TLS with a key
    /// and certificate made in its temporary directory (see [`TestDisplay::connect_tcp`]).
    pub fn start_with_tcp(display: &str, size: Size) -> Self {
        Self::unnumbered(
            display,
            size,
            Serves {
                tcp: TcpMode::Tls,
                ..Serves::default()
            },
        )
    }

    /// Like [`TestDisplay::start_with_rfb`], and with TLS on TCP: its RFB port offers
    /// VeNCrypt with the same certificate ([`TestDisplay::tls_cert`]).
    pub fn start_with_rfb_tls(display: &str, size: Size) -> Self {
        Self::unnumbered(
            display,
            size,
            Serves {
                tcp: TcpMode::Tls,
                rfb: true,
                ..Serves::default()
            },
        )
    }

    /// The PEM file of the display's TLS certificate (a display with TLS).
    pub fn tls_cert(&self) -> std::path::PathBuf {
        self.server
            .tls()
            .expect("the display has TLS")
            .cert_path
            .clone()
    }

    /// Like [`TestDisplay::start_with_tcp`], in plain TCP (as `--insecure-tcp`).
    pub fn start_with_plain_tcp(display: &str, size: Size) -> Self {
        Self::unnumbered(
            display,
            size,
            Serves {
                tcp: TcpMode::Plain,
                ..Serves::default()
            },
        )
    }

    /// Like [`TestDisplay::start`], enforcing `limits` (tests of the limits, scaled down).
    pub fn start_with_limits(display: &str, size: Size, limits: Limits) -> Self {
        Self::unnumbered(
            display,
            size,
            Serves {
                limits,
                ..Serves::default()
            },
        )
    }

    /// Display `:number` in a private runtime directory of its own, as a user's display
    /// server would serve it, so that programs started with [`TestDisplay::command`] connect
    /// to it by its name. Socket only.
    pub fn numbered(number: u16, size: Size) -> Self {
        Self::numbered_with(number, size, Serves::default())
    }

    /// [`TestDisplay::numbered`], serving VNC viewers too as [`TestDisplay::start_with_rfb`]
    /// does.
    pub fn numbered_with_rfb(number: u16, size: Size) -> Self {
        Self::numbered_with(
            number,
            size,
            Serves {
                rfb: true,
                ..Serves::default()
            },
        )
    }

    /// [`TestDisplay::numbered_with_rfb`] with TLS on TCP, as a user's display server has by
    /// default: its RFB port offers VeNCrypt and serves `wss://` with the display's
    /// certificate ([`TestDisplay::tls_cert`]).
    pub fn numbered_with_rfb_tls(number: u16, size: Size) -> Self {
        Self::numbered_with(
            number,
            size,
            Serves {
                tcp: TcpMode::Tls,
                rfb: true,
                ..Serves::default()
            },
        )
    }

    /// A display on a socket in a temporary directory of its own.
    fn unnumbered(display: &str, size: Size, serves: Serves) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let socket = dir.path().join("display.sock");
        Self::serve(display, size, socket, dir, None, serves)
    }

    fn numbered_with(number: u16, size: Size, serves: Serves) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let private = dir.path().join("netui");
        netui_display_server::runtime::ensure_private_dir(&private).expect("a private directory");
        let socket = socket_path(&private, number);
        Self::serve(
            &format!(":{number}"),
            size,
            socket,
            dir,
            Some(number),
            serves,
        )
    }

    fn serve(
        display: &str,
        size: Size,
        socket: std::path::PathBuf,
        dir: tempfile::TempDir,
        number: Option<u16>,
        serves: Serves,
    ) -> Self {
        let Serves { tcp, rfb, limits } = serves;
        let rfb = rfb.then(|| RfbConfig {
            addr: "127.0.0.1:0".parse().expect("an address"),
            password: RFB_PASSWORD.into(),
            view_only_password: RFB_VIEW_PASSWORD.into(),
        });
        let loopback: SocketAddr = "127.0.0.1:0".parse().expect("an address");
        let tls = (tcp == TcpMode::Tls).then(|| {
            ServerTls::load_or_create(&dir.path().join("tls")).expect("a TLS key and certificate")
        });
        let server = ServerHandle::start(ServerConfig {
            display: display.into(),
            size,
            unix: Some(socket),
            tcp: (tcp != TcpMode::Off).then_some(loopback),
            tls,
            token: TOKEN.to_vec(),
            view_token: VIEW_TOKEN.to_vec(),
            limits,
            rfb,
        })
        .expect("a headless server starts");
        Self {
            server,
            dir,
            number,
        }
    }

    /// The RFB (VNC) address of a display started with RFB.
    pub fn rfb_addr(&self) -> SocketAddr {
        self.server
            .rfb_addr()
            .expect("the server serves VNC viewers")
    }

    /// The server's Unix socket.
    pub fn socket(&self) -> &Path {
        self.server.unix_path().expect("the server has a socket")
    }

    /// An application (or viewer) connected to it by its Unix socket, named `name`.
    pub fn connect(&self, name: &str) -> netui::Display {
        netui::Display::connect_unix(self.socket(), name).expect("connects")
    }

    /// An application connected over TCP with the server's token, in TLS with the server's
    /// certificate pinned (or plain, for [`TestDisplay::start_with_plain_tcp`]); the display
    /// must have been started with TCP.
    pub fn connect_tcp(&self, name: &str) -> netui::Display {
        let addr = self.server.tcp_addr().expect("the server listens on TCP");
        netui::Display::connect_tcp(addr, Some(self.server.token().to_vec()), self.tls(), name)
            .expect("connects over TCP")
    }

    /// A viewer connected over TCP (as [`TestDisplay::connect_tcp`]) with `token`.
    pub fn connect_tcp_viewer(
        &self,
        token: &[u8],
        name: &str,
    ) -> Result<netui::Viewer, netui::Error> {
        let addr = self.server.tcp_addr().expect("the server listens on TCP");
        let socket = std::net::TcpStream::connect(addr).expect("connects");
        let stream = match self.tls() {
            Some(tls) => netui::transport::Stream::Tls(socket, tls),
            None => netui::transport::Stream::Tcp(socket),
        };
        netui::Viewer::connect_stream_with(
            stream,
            Some(token.to_vec()),
            addr.to_string(),
            name,
            netui::Compression::default(),
        )
    }

    /// How a client trusts this display's TCP port: its certificate pinned; `None` when it
    /// is plain.
    pub fn tls(&self) -> Option<TlsClient> {
        let tls = self.server.tls()?;
        Some(TlsClient::pinned(
            tls.fingerprint,
            "127.0.0.1",
            "the test display",
        ))
    }

    /// The server's whole screen, RGBA, read back by a client of its own.
    pub fn screen(&self) -> Vec<u8> {
        self.connect("screen-reader")
            .get_image(ResourceId::ROOT, None)
            .expect("reads the root")
            .rgba
    }

    /// A command for `program` that finds this display by its name (`NETUI_DISPLAY=:N` in
    /// this display's runtime directory), with no desktop to open windows on and `RUST_LOG`
    /// at `warn`. Only for a display started with [`TestDisplay::numbered`].
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let number = self
            .number
            .expect("a display started with TestDisplay::numbered");
        let mut command = Command::new(program);
        command
            .env("XDG_RUNTIME_DIR", self.dir.path())
            .env(DISPLAY_ENV, format!(":{number}"))
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env("RUST_LOG", "warn");
        command
    }
}

/// Every window on the display, as its server lists them.
pub fn windows(display: &mut netui::Display) -> Vec<netui_protocol::WindowInfo> {
    display
        .server_info()
        .expect("the server describes itself")
        .clients
        .into_iter()
        .flat_map(|c| c.windows)
        .collect()
}

/// Waits until the server's window list satisfies `check`, and returns it. Fails after
/// [`crate::DEADLINE`], naming `what`.
pub fn wait_windows(
    display: &mut netui::Display,
    what: &str,
    check: impl Fn(&[netui_protocol::WindowInfo]) -> bool,
) -> Vec<netui_protocol::WindowInfo> {
    let start = std::time::Instant::now();
    loop {
        let windows = windows(display);
        if check(&windows) {
            return windows;
        }
        assert!(
            start.elapsed() < crate::DEADLINE,
            "{what}: never happened; windows: {windows:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
