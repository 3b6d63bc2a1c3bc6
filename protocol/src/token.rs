//! Token files: the secret a TCP client presents, and how it knows the server is the right
//! one (the SHA-256 fingerprint of the display's certificate: its *pin*).
//!
//! A display server writes two token files beside its socket, each readable by its owner
//! only: `display-N.token` (the full token: applications, and viewers that type and click)
//! and `display-N.view-token` (viewers that only watch). Copying one to another machine
//! gives it both the secret and the pin, as copying a host key into `known_hosts` does for
//! SSH. The text is line-based:
//!
//! ```text
//! # netui display :1 (full token): copy this file to connect from elsewhere (NETUI_AUTH=FILE)
//! token 3f1c…(64 hexadecimal digits)
//! tls sha256 9A:4F:…(32 bytes)
//! ```
//!
//! `tls` is `sha256 FINGERPRINT` (the server's self-signed certificate, pinned), `roots`
//! (the server has a certificate of its own, checked against the web's root authorities and
//! the host name, as a browser does) or `off` (the server speaks plain TCP, started with
//! `--insecure-tcp`). A file of the older format, one line of hexadecimal, is read as a token
//! with no `tls` line: good for the Unix socket, refused over TCP with a word on what to do.
//!
//! ```
//! use netui_protocol::token::{Fingerprint, TokenFile, TlsTrust};
//!
//! let pin = Fingerprint([0xab; 32]);
//! let file = TokenFile { token: vec![1, 2, 3], tls: Some(TlsTrust::Pin(pin)) };
//! let text = file.to_text(":1 (full token)");
//! assert_eq!(TokenFile::parse(&text), Ok(file));
//! assert_eq!(TokenFile::parse("010203\n").unwrap().tls, None);
//! ```

use std::fmt;

/// The SHA-256 digest of a certificate (its DER bytes): what a client pins.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub [u8; 32]);

impl fmt::Display for Fingerprint {
    /// Upper-case hexadecimal pairs joined by colons, as `openssl x509 -fingerprint -sha256`
    /// prints them, so that a person can compare the two.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl Fingerprint {
    /// Parses 32 bytes of hexadecimal, with or without colons between the pairs.
    pub fn parse(text: &str) -> Option<Self> {
        let digits: String = text.trim().chars().filter(|c| *c != ':').collect();
        let bytes = crate::display::parse_token(&digits)?;
        Some(Self(bytes.try_into().ok()?))
    }
}

/// How a client makes sure that the TCP server is the display whose token it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsTrust {
    /// TLS, with the server's certificate pinned: its SHA-256 must be this.
    Pin(Fingerprint),
    /// TLS, with the server's certificate checked against the web's root authorities and
    /// the host name (a certificate of the user's own, `--tls-cert`).
    Roots,
    /// Plain TCP: the server was started with `--insecure-tcp`.
    Off,
}

/// What a token file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenFile {
    /// The secret presented in the hello.
    pub token: Vec<u8>,
    /// How to trust the server over TCP; `None` in a file of the older format.
    pub tls: Option<TlsTrust>,
}

impl TokenFile {
    /// Parses a token file's text (either format); the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        if let [only] = lines.as_slice() {
            if let Some(token) = crate::display::parse_token(only) {
                return Ok(Self { token, tls: None });
            }
        }
        let mut token = None;
        let mut tls = None;
        for line in lines {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next(), words.next()) {
                (Some("token"), Some(hex), None, None) => {
                    token = Some(
                        crate::display::parse_token(hex).ok_or("its token is not hexadecimal")?,
                    );
                }
                (Some("tls"), Some("sha256"), Some(pin), None) => {
                    tls = Some(TlsTrust::Pin(
                        Fingerprint::parse(pin)
                            .ok_or("its tls sha256 is not 32 bytes of hexadecimal")?,
                    ));
                }
                (Some("tls"), Some("roots"), None, None) => tls = Some(TlsTrust::Roots),
                (Some("tls"), Some("off"), None, None) => tls = Some(TlsTrust::Off),
                _ => {
                    return Err(format!(
                        "it has a line that is not a token file's: {line:?}"
                    ))
                }
            }
        }
        let token = token.ok_or("it has no token line")?;
        Ok(Self { token, tls })
    }

    /// The file's text; `what` goes into the comment on its first line (such as
    /// `:1 (full token)`).
    pub fn to_text(&self, what: &str) -> String {
        let mut text = format!(
            "# netui display {what}: copy this file to connect from elsewhere (NETUI_AUTH=FILE)\n\
             token {}\n",
            crate::display::format_token(&self.token)
        );
        match self.tls {
            Some(TlsTrust::Pin(pin)) => text.push_str(&format!("tls sha256 {pin}\n")),
            Some(TlsTrust::Roots) => text.push_str("tls roots\n"),
            Some(TlsTrust::Off) => text.push_str("tls off\n"),
            None => {}
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_file_round_trips() {
        for tls in [
            Some(TlsTrust::Pin(Fingerprint([7; 32]))),
            Some(TlsTrust::Roots),
            Some(TlsTrust::Off),
            None,
        ] {
            let file = TokenFile {
                token: vec![0xde, 0xad],
                tls,
            };
            assert_eq!(TokenFile::parse(&file.to_text(":3")), Ok(file));
        }
    }

    #[test]
    fn fingerprints_read_with_or_without_colons() {
        let pin = Fingerprint([0x0f; 32]);
        assert_eq!(Fingerprint::parse(&pin.to_string()), Some(pin));
        assert_eq!(Fingerprint::parse(&"0f".repeat(32)), Some(pin));
        assert_eq!(Fingerprint::parse(&"0f".repeat(31)), None);
        assert!(pin.to_string().starts_with("0F:0F:"));
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(TokenFile::parse("").is_err());
        assert!(TokenFile::parse("tls off\n")
            .unwrap_err()
            .contains("no token"));
        assert!(TokenFile::parse("token zz\n")
            .unwrap_err()
            .contains("hexadecimal"));
        assert!(TokenFile::parse("token 00\ntls sha256 00\n")
            .unwrap_err()
            .contains("32 bytes"));
        assert!(TokenFile::parse("token 00\ntls maybe\n")
            .unwrap_err()
            .contains("tls maybe"));
    }
}
