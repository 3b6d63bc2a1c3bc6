//! Security: the types a server offers (RFC 6143 §7.1.2), and VNC Authentication (§7.2.2).
//!
//! VNC Authentication encrypts a 16-byte random challenge with DES-ECB, keyed by the first 8
//! bytes of the password (zero-padded) with the bits of each key byte reversed: a quirk of the
//! original VNC code that every viewer copies. The caller supplies the challenge, since it
//! owns the randomness.
//!
//! ```
//! use netui_rfb::auth::{vnc_response, Access, VncAuth};
//!
//! let challenge = [7; 16];
//! let auth = VncAuth::new("secret", Some("look"));
//! assert_eq!(auth.check(&challenge, &vnc_response(&challenge, "secret")), Some(Access::Full));
//! assert_eq!(auth.check(&challenge, &vnc_response(&challenge, "look")), Some(Access::ViewOnly));
//! assert_eq!(auth.check(&challenge, &vnc_response(&challenge, "guess")), None);
//! ```

use des::cipher::{BlockEncrypt, KeyInit};
use des::Des;
use subtle::ConstantTimeEq;

/// A security type a server can offer. None (1) is deliberately absent: this server always
/// asks for a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecurityType {
    /// VNC Authentication (2): DES challenge and response.
    VncAuth,
    /// VeNCrypt (19): a choice of sub-types, here only [`VENCRYPT_X509_VNC`]: TLS with the
    /// server's certificate, then VNC Authentication inside it.
    VeNCrypt,
}

/// VeNCrypt's X509Vnc sub-type: TLS with the server's X.509 certificate, then VNC
/// Authentication inside it. (TLSNone and TLSVnc need anonymous Diffie-Hellman, which rustls
/// does not do; X509None would let anyone in.)
pub const VENCRYPT_X509_VNC: u32 = 261;

impl SecurityType {
    /// Its number on the wire.
    pub fn code(self) -> u8 {
        match self {
            SecurityType::VncAuth => 2,
            SecurityType::VeNCrypt => 19,
        }
    }

    /// The type with this number, if the server knows it.
    pub fn from_code(code: u8) -> Option<SecurityType> {
        match code {
            2 => Some(SecurityType::VncAuth),
            19 => Some(SecurityType::VeNCrypt),
            _ => None,
        }
    }
}

/// What a password lets the client do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Input and output.
    Full,
    /// Output only: input events are dropped.
    ViewOnly,
}

/// The DES key of a password: its first 8 bytes, zero-padded, each byte's bits reversed.
fn key(password: &str) -> [u8; 8] {
    let mut key = [0u8; 8];
    for (k, b) in key.iter_mut().zip(password.bytes()) {
        *k = b.reverse_bits();
    }
    key
}

/// The response a client gives to `challenge` with `password`: the challenge's two 8-byte
/// blocks encrypted with DES-ECB.
pub fn vnc_response(challenge: &[u8; 16], password: &str) -> [u8; 16] {
    let cipher = Des::new(&key(password).into());
    let mut out = *challenge;
    for block in out.chunks_exact_mut(8) {
        cipher.encrypt_block(block.into());
    }
    out
}

/// The server's passwords, checked against a client's response.
pub struct VncAuth {
    full: [u8; 8],
    view_only: Option<[u8; 8]>,
}

impl std::fmt::Debug for VncAuth {
    // Keys are secrets: never in a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VncAuth").finish_non_exhaustive()
    }
}

impl VncAuth {
    /// Passwords for full access and, optionally, view-only access. Only their first 8 bytes
    /// count (VNC Authentication's limit).
    pub fn new(full: &str, view_only: Option<&str>) -> VncAuth {
        VncAuth {
            full: key(full),
            view_only: view_only.map(key),
        }
    }

    /// Which password the response to `challenge` was made with, if any. Both are compared in
    /// constant time, whichever matches.
    pub fn check(&self, challenge: &[u8; 16], response: &[u8; 16]) -> Option<Access> {
        let expect = |key: &[u8; 8]| {
            let cipher = Des::new(key.into());
            let mut out = *challenge;
            for block in out.chunks_exact_mut(8) {
                cipher.encrypt_block(block.into());
            }
            out
        };
        let full = expect(&self.full).ct_eq(response);
        let view = match &self.view_only {
            Some(k) => expect(k).ct_eq(response),
            None => subtle::Choice::from(0),
        };
        if bool::from(full) {
            Some(Access::Full)
        } else if bool::from(view) {
            Some(Access::ViewOnly)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_response() {
        // The challenge 0..16 and the password "password", whose bit-reversed key is
        // 0e86ceceeef64e26; the expected bytes are from
        // `openssl enc -des-ecb -K 0e86ceceeef64e26 -nopad` (legacy provider).
        let challenge: [u8; 16] = core::array::from_fn(|i| i as u8);
        assert_eq!(
            vnc_response(&challenge, "password"),
            [
                0xb8, 0x66, 0x92, 0x41, 0x25, 0xc8, 0xee, 0xbb, 0x9d, 0xeb, 0xc1, 0xdb, 0x61, 0xc5,
                0x38, 0xe2
            ]
        );
    }

    #[test]
    fn only_eight_bytes_count() {
        let c = [3; 16];
        assert_eq!(vnc_response(&c, "12345678"), vnc_response(&c, "123456789"));
        assert_ne!(vnc_response(&c, "1234567"), vnc_response(&c, "12345678"));
    }

    #[test]
    fn the_same_password_twice_is_full_access() {
        let c = [9; 16];
        let auth = VncAuth::new("same", Some("same"));
        assert_eq!(
            auth.check(&c, &vnc_response(&c, "same")),
            Some(Access::Full)
        );
    }
}
