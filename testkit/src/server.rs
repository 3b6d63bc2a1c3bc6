//! A headless display server on a socket in a temporary directory, as most tests start one.

use netui_protocol::{Limits, Size};
use netui_server::{ServerConfig, ServerHandle};

/// The token that test servers take over TCP.
pub const TOKEN: [u8; 32] = [5; 32];

/// A running headless display and the temporary directory that holds its socket; both go
/// away when it is dropped.
pub struct TestDisplay {
    /// The server (dropped first: fields drop in order).
    pub server: ServerHandle,
    /// The directory of its socket.
    pub dir: tempfile::TempDir,
}

impl TestDisplay {
    /// A headless display named `display` with a screen of `size`, on a Unix socket only.
    pub fn start(display: &str, size: Size) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let server = ServerHandle::start(ServerConfig {
            display: display.into(),
            size,
            unix: Some(dir.path().join("display.sock")),
            tcp: None,
            token: TOKEN.to_vec(),
            limits: Limits::default(),
        })
        .expect("a headless server starts");
        Self { server, dir }
    }

    /// An application (or viewer) connected to it by its Unix socket, named `name`.
    pub fn connect(&self, name: &str) -> netui::Display {
        let path = self.server.unix_path().expect("the server has a socket");
        netui::Display::connect_unix(path, name).expect("connects")
    }
}
