//! Display names and where they lead: the user-visible addressing contract.
//!
//! - `:N` is local display N: a Unix socket in a per-user directory.
//! - `HOST:N` is display N on HOST over TCP, port [`BASE_PORT`] + N.
//!
//! The environment variable [`DISPLAY_ENV`] names the display an application connects to;
//! [`AUTH_ENV`] names the token file to present over TCP.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// TCP port of display 0; display N listens on `BASE_PORT + N`.
pub const BASE_PORT: u16 = 7100;
/// The highest display number (so that the port stays below 65536).
pub const MAX_DISPLAY: u16 = u16::MAX - BASE_PORT;
/// The environment variable with the display name.
pub const DISPLAY_ENV: &str = "NETUI_DISPLAY";
/// The environment variable with the path of the token file to present.
pub const AUTH_ENV: &str = "NETUI_AUTH";

/// Where a display is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisplayName {
    /// `:N`: a Unix socket on this machine.
    Local {
        /// Display number.
        number: u16,
    },
    /// `HOST:N`: TCP to HOST at port `BASE_PORT + N`.
    Tcp {
        /// Host name or address (brackets removed from IPv6 literals).
        host: String,
        /// Display number.
        number: u16,
    },
}

/// A display name that does not parse.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("bad display name {name:?}: {why} (expected :N or HOST:N, such as :1 or example.org:1)")]
pub struct DisplayNameError {
    name: String,
    why: String,
}

impl DisplayName {
    /// Parses `:N`, `HOST:N` or `[IPV6]:N`.
    pub fn parse(name: &str) -> Result<Self, DisplayNameError> {
        let fail = |why: &str| DisplayNameError {
            name: name.to_owned(),
            why: why.to_owned(),
        };
        let (host, number) = name.rsplit_once(':').ok_or_else(|| fail("no ':'"))?;
        let number: u16 = number
            .parse()
            .map_err(|_| fail("the display number is not a number"))?;
        if number > MAX_DISPLAY {
            return Err(fail(&format!("the display number is above {MAX_DISPLAY}")));
        }
        if host.is_empty() {
            return Ok(DisplayName::Local { number });
        }
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(fail("the host name is empty or has spaces"));
        }
        Ok(DisplayName::Tcp {
            host: host.to_owned(),
            number,
        })
    }

    /// The display number.
    pub fn number(&self) -> u16 {
        match self {
            DisplayName::Local { number } | DisplayName::Tcp { number, .. } => *number,
        }
    }

    /// True for a TCP display whose host is this machine's loopback.
    pub fn is_loopback(&self) -> bool {
        match self {
            DisplayName::Local { .. } => true,
            DisplayName::Tcp { host, .. } => {
                host == "localhost" || host == "::1" || host.starts_with("127.")
            }
        }
    }
}

impl std::fmt::Display for DisplayName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DisplayName::Local { number } => write!(f, ":{number}"),
            DisplayName::Tcp { host, number } if host.contains(':') => {
                write!(f, "[{host}]:{number}")
            }
            DisplayName::Tcp { host, number } => write!(f, "{host}:{number}"),
        }
    }
}

/// The TCP port of display `number`.
pub fn tcp_port(number: u16) -> u16 {
    BASE_PORT.saturating_add(number)
}

/// The first port of the RFB (VNC) endpoints: display N's VNC viewers connect to 5900 + N,
/// as for every VNC server.
pub const RFB_BASE_PORT: u16 = 5900;

/// The RFB (VNC) port of display `number`.
pub fn rfb_port(number: u16) -> u16 {
    RFB_BASE_PORT.saturating_add(number)
}

/// The files of display `number` that hold its RFB passwords: the full one (see and drive)
/// and the view-only one, beside its token file.
pub fn rfb_password_paths(runtime_dir: &Path, number: u16) -> (PathBuf, PathBuf) {
    (
        runtime_dir.join(format!("display-{number}.rfb-password")),
        runtime_dir.join(format!("display-{number}.rfb-view-password")),
    )
}

/// The per-user directory that holds display sockets and token files:
/// `$XDG_RUNTIME_DIR/netui` when that is set, else `/tmp/netui-UID`.
pub fn runtime_dir(xdg_runtime_dir: Option<&Path>, uid: u32) -> PathBuf {
    match xdg_runtime_dir {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join("netui"),
        _ => PathBuf::from(format!("/tmp/netui-{uid}")),
    }
}

/// The Unix socket of display `number` inside the runtime directory.
pub fn socket_path(runtime_dir: &Path, number: u16) -> PathBuf {
    runtime_dir.join(format!("display-{number}.sock"))
}

/// The token file of display `number` inside the runtime directory.
pub fn token_path(runtime_dir: &Path, number: u16) -> PathBuf {
    runtime_dir.join(format!("display-{number}.token"))
}

/// The view-only token file of display `number` inside the runtime directory: its token lets
/// a viewer watch the screen, nothing more.
pub fn view_token_path(runtime_dir: &Path, number: u16) -> PathBuf {
    runtime_dir.join(format!("display-{number}.view-token"))
}

/// Parses a token's hexadecimal text: hexadecimal, surrounding white space ignored.
pub fn parse_token(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Formats a token as a token file's text (lower-case hexadecimal).
pub fn format_token(token: &[u8]) -> String {
    token.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(
            DisplayName::parse(":3"),
            Ok(DisplayName::Local { number: 3 })
        );
        assert_eq!(
            DisplayName::parse("example.org:12"),
            Ok(DisplayName::Tcp {
                host: "example.org".into(),
                number: 12
            })
        );
        let v6 = DisplayName::parse("[::1]:0").expect("parses");
        assert_eq!(
            v6,
            DisplayName::Tcp {
                host: "::1".into(),
                number: 0
            }
        );
        assert_eq!(v6.to_string(), "[::1]:0");
        assert!(v6.is_loopback());
        for bad in ["", "3", ":x", "host:", ":99999", " :1", "a b:1"] {
            assert!(DisplayName::parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(tcp_port(5), 7105);
    }

    #[test]
    fn tokens_round_trip() {
        let token = [0u8, 1, 0xab, 0xff];
        assert_eq!(format_token(&token), "0001abff");
        assert_eq!(parse_token(" 0001abff\n"), Some(token.to_vec()));
        assert_eq!(parse_token("abc"), None);
        assert_eq!(parse_token("zz"), None);
        assert_eq!(parse_token("é1"), None);
    }
}
