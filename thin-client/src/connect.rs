//! Reaching the display: the socket to the server, through the emulated link, handed to the
//! connection library as the other end of a socket pair. Over TLS the link carries the
//! encrypted bytes, as a real network would: the TLS handshake runs over the socket pair.

use std::sync::Arc;

use anyhow::Context;
use netui::tls::TlsTransport;
use netui::transport::Stream;
use netui::{Compression, Display};
use netui_protocol::display::DisplayName;
use netui_protocol::Role;
use tokio::runtime::Runtime;

use crate::link::{spawn_shaped, LinkProfile, LinkStats};

/// Connects to `name` through a link shaped as `profile`; returns the connection and the
/// link's byte counts (everything the viewer sends and receives passes through them).
pub fn open(
    runtime: &Runtime,
    name: &DisplayName,
    profile: LinkProfile,
) -> anyhow::Result<(Display, Arc<LinkStats>)> {
    let (server, token) = netui::connect::open(name)?;
    open_stream(runtime, server, token, &name.to_string(), profile)
}

/// Connects over an open socket to the server through a link shaped as `profile`.
pub fn open_stream(
    runtime: &Runtime,
    server: Stream,
    token: Option<Vec<u8>>,
    name: &str,
    profile: LinkProfile,
) -> anyhow::Result<(Display, Arc<LinkStats>)> {
    open_stream_with(
        runtime,
        server,
        token,
        name,
        profile,
        Compression::default(),
    )
}

/// Connects over an open socket to the server through a link shaped as `profile`, with the
/// connection's frames in `compression` (pixel updates excepted: the server never compresses
/// their frames, since the pixel encoding does).
pub fn open_stream_with(
    runtime: &Runtime,
    server: Stream,
    token: Option<Vec<u8>>,
    name: &str,
    profile: LinkProfile,
    compression: Compression,
) -> anyhow::Result<(Display, Arc<LinkStats>)> {
    let (near, far) =
        std::os::unix::net::UnixStream::pair().context("cannot make a socket pair")?;
    far.set_nonblocking(true).context("socket pair")?;
    let stats = Arc::new(LinkStats::default());
    let _guard = runtime.enter();
    let far = tokio::net::UnixStream::from_std(far).context("socket pair")?;
    let tls = match server {
        Stream::Unix(s) => {
            s.set_nonblocking(true).context("socket")?;
            let s = tokio::net::UnixStream::from_std(s).context("socket")?;
            spawn_shaped(s, far, profile, Arc::clone(&stats));
            None
        }
        Stream::Tcp(s) => {
            s.set_nonblocking(true).context("socket")?;
            let s = tokio::net::TcpStream::from_std(s).context("socket")?;
            spawn_shaped(s, far, profile, Arc::clone(&stats));
            None
        }
        Stream::Tls(s, tls) => {
            s.set_nonblocking(true).context("socket")?;
            let s = tokio::net::TcpStream::from_std(s).context("socket")?;
            spawn_shaped(s, far, profile, Arc::clone(&stats));
            Some(tls)
        }
    };
    let near = Stream::Unix(near);
    let (token, name) = (token, name.to_owned());
    let display = match tls {
        Some(tls) => Display::connect_stream_as(
            TlsTransport::new(near, tls),
            token,
            name,
            "thin-client",
            compression,
            Role::Viewer,
        )?,
        None => {
            Display::connect_stream_as(near, token, name, "thin-client", compression, Role::Viewer)?
        }
    };
    Ok((display, stats))
}
