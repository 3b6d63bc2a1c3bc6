//! Finding a display: its name, its socket or address, and its token.

use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use netui_protocol::display::{self, DisplayName, AUTH_ENV, DISPLAY_ENV};

use crate::error::Error;
use crate::transport::Stream;

/// This user's runtime directory, where local displays keep their sockets and tokens.
pub fn user_runtime_dir() -> PathBuf {
    let xdg = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    display::runtime_dir(xdg.as_deref(), rustix::process::getuid().as_raw())
}

/// The display to use: `name` if given, else `NETUI_DISPLAY`.
pub fn display_name(name: Option<&str>) -> Result<DisplayName, Error> {
    let name = match name {
        Some(name) => name.to_owned(),
        None => std::env::var(DISPLAY_ENV).map_err(|_| Error::NoDisplay)?,
    };
    Ok(DisplayName::parse(&name)?)
}

/// Opens the byte stream to a display and finds the token to present.
pub fn open(name: &DisplayName) -> Result<(Stream, Option<Vec<u8>>), Error> {
    match name {
        DisplayName::Local { number } => {
            let dir = user_runtime_dir();
            let path = display::socket_path(&dir, *number);
            let stream = UnixStream::connect(&path).map_err(|source| Error::Connect {
                display: name.to_string(),
                address: path.display().to_string(),
                source,
            })?;
            // A Unix socket in a private directory needs no token; send it when we have it.
            let token = read_token_file(&display::token_path(&dir, *number)).ok();
            Ok((Stream::Unix(stream), token))
        }
        DisplayName::Tcp { host, number } => {
            let token = tcp_token(name)?;
            let port = display::tcp_port(*number);
            let address = format!("{host}:{port}");
            let connect_err = |source| Error::Connect {
                display: name.to_string(),
                address: address.clone(),
                source,
            };
            let addrs = (host.as_str(), port)
                .to_socket_addrs()
                .map_err(connect_err)?;
            let mut last = std::io::Error::other("the host name has no address");
            for addr in addrs {
                match TcpStream::connect(addr) {
                    Ok(stream) => {
                        // Small frames of input and drawing must not wait for Nagle.
                        let _ = stream.set_nodelay(true);
                        return Ok((Stream::Tcp(stream), Some(token)));
                    }
                    Err(e) => last = e,
                }
            }
            Err(connect_err(last))
        }
    }
}

/// The token for a TCP display: the file named by `NETUI_AUTH`, or, for a display on this
/// machine, the server's own token file.
fn tcp_token(name: &DisplayName) -> Result<Vec<u8>, Error> {
    if let Some(path) = std::env::var_os(AUTH_ENV) {
        let path = PathBuf::from(path);
        return read_token_file(&path).map_err(|why| {
            Error::Token(format!(
                "cannot use the token file {} ({AUTH_ENV}): {why}",
                path.display()
            ))
        });
    }
    let local = display::token_path(&user_runtime_dir(), name.number());
    if name.is_loopback() {
        if let Ok(token) = read_token_file(&local) {
            return Ok(token);
        }
    }
    Err(Error::Token(format!(
        "display {name} is reached over TCP and needs its token: copy the server's token file \
         (on the server machine: {}) here and set {AUTH_ENV}=/path/to/that/file",
        local.display()
    )))
}

/// Reads and parses a token file.
pub fn read_token_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    display::parse_token(&text).ok_or_else(|| "it does not hold a hexadecimal token".to_owned())
}
