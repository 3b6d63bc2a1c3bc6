//! Finding a display: its name, its socket or address, its token, and how to trust it over
//! TCP (the `tls` line of its token file: the certificate's pin, the web's roots, or plain).

use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;

use netui_protocol::display::{self, DisplayName, AUTH_ENV, DISPLAY_ENV};
use netui_protocol::token::{TlsTrust, TokenFile};

use crate::error::Error;
use crate::tls::TlsClient;
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

/// Opens the byte stream to a display and finds the token to present. Over TCP the stream
/// is TLS unless the token file says `tls off`; the TLS handshake itself runs when the
/// connection opens the stream ([`crate::transport::Transport::open`]).
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
            let token = read_token_file(&display::token_path(&dir, *number))
                .ok()
                .map(|file| file.token);
            Ok((Stream::Unix(stream), token))
        }
        DisplayName::Tcp { host, number } => {
            let (file, path) = tcp_token(name)?;
            let tls = match file.tls {
                Some(TlsTrust::Pin(pin)) => Some(TlsClient::pinned(pin, host, &name.to_string())),
                Some(TlsTrust::Roots) => Some(TlsClient::roots(host, &name.to_string())),
                Some(TlsTrust::Off) => None,
                None => {
                    return Err(Error::Token(format!(
                        "the token file {} is of an older netui: it does not say how to trust \
                         the server over TCP (no `tls` line with the certificate's \
                         fingerprint); copy the token file that the running server wrote",
                        path.display()
                    )))
                }
            };
            let token = file.token;
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
                        let stream = match tls {
                            Some(tls) => Stream::Tls(stream, tls),
                            None => Stream::Tcp(stream),
                        };
                        return Ok((stream, Some(token)));
                    }
                    Err(e) => last = e,
                }
            }
            Err(connect_err(last))
        }
    }
}

/// The token file for a TCP display, and where it was: the file named by `NETUI_AUTH`, or,
/// for a display on this machine, the server's own token file.
fn tcp_token(name: &DisplayName) -> Result<(TokenFile, PathBuf), Error> {
    if let Some(path) = std::env::var_os(AUTH_ENV) {
        let path = PathBuf::from(path);
        return match read_token_file(&path) {
            Ok(file) => Ok((file, path)),
            Err(why) => Err(Error::Token(format!(
                "cannot use the token file {} ({AUTH_ENV}): {why}",
                path.display()
            ))),
        };
    }
    let local = display::token_path(&user_runtime_dir(), name.number());
    if name.is_loopback() {
        if let Ok(file) = read_token_file(&local) {
            return Ok((file, local));
        }
    }
    Err(Error::Token(format!(
        "display {name} is reached over TCP and needs its token: copy the server's token file \
         (on the server machine: {}) here and set {AUTH_ENV}=/path/to/that/file",
        local.display()
    )))
}

/// Reads and parses a token file (either format: see [`netui_protocol::token`]).
pub fn read_token_file(path: &std::path::Path) -> Result<TokenFile, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    TokenFile::parse(&text)
}
