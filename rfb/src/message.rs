//! Messages after the handshake (RFC 6143 §7.5–7.6 and the community RFB spec): the
//! client's, parsed incrementally from a byte buffer, and writers for the server's.
//!
//! [`ClientMessage::parse`] answers `Ok(None)` until a whole message is in the buffer, and
//! checks every length before waiting for (or allocating) what it announces, so that a client
//! cannot make the server hold more than [`MAX_CUT_TEXT`] bytes for one message.
//!
//! ```
//! use netui_rfb::message::ClientMessage;
//!
//! let msg = ClientMessage::PointerEvent { buttons: 1, x: 10, y: 20 };
//! let mut bytes = Vec::new();
//! msg.write(&mut bytes);
//! assert_eq!(ClientMessage::parse(&bytes[..3]), Ok(None));
//! assert_eq!(ClientMessage::parse(&bytes), Ok(Some((msg, 6))));
//! ```

use netui_protocol::Rect;

use crate::pixel::PixelFormat;
use crate::RfbError;

/// The most encodings a SetEncodings may list (clients send a few dozen).
pub const MAX_ENCODINGS: usize = 1024;
/// The longest cut text (or extended clipboard message) accepted: 1 MiB.
pub const MAX_CUT_TEXT: usize = 1 << 20;
/// The longest fence payload (the spec's limit).
pub const MAX_FENCE_PAYLOAD: usize = 64;

/// Fence flag: messages before the fence are handled before the answer.
pub const FENCE_BLOCK_BEFORE: u32 = 1;
/// Fence flag: messages after the fence wait until the answer is sent.
pub const FENCE_BLOCK_AFTER: u32 = 1 << 1;
/// Fence flag: the message after the fence is handled together with the answer.
pub const FENCE_SYNC_NEXT: u32 = 1 << 2;
/// Fence flag: this fence asks for an answer.
pub const FENCE_REQUEST: u32 = 1 << 31;
/// The fence flags this server knows (and so echoes).
pub const FENCE_KNOWN: u32 = FENCE_BLOCK_BEFORE | FENCE_BLOCK_AFTER | FENCE_SYNC_NEXT;

/// One screen of an ExtendedDesktopSize layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    /// The screen's id.
    pub id: u32,
    /// Its area of the framebuffer.
    pub rect: Rect,
    /// Unused flags.
    pub flags: u32,
}

/// A message from the client, after the handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    /// 0: the pixel format for updates from now on.
    SetPixelFormat(PixelFormat),
    /// 2: the encodings the client accepts, most wanted first.
    SetEncodings(Vec<i32>),
    /// 3: send an update of `rect`; only what changed when `incremental`.
    FramebufferUpdateRequest {
        /// Only changes are wanted.
        incremental: bool,
        /// The area.
        rect: Rect,
    },
    /// 4: a key pressed or released.
    KeyEvent {
        /// Pressed.
        down: bool,
        /// The X keysym.
        keysym: u32,
    },
    /// 5: the pointer moved or a button changed.
    PointerEvent {
        /// Button mask, bit 0 the left button.
        buttons: u8,
        /// Column.
        x: u16,
        /// Row.
        y: u16,
    },
    /// 6: the client's clipboard (Latin-1 on the wire).
    ClientCutText(String),
    /// 6 with a negative length: an Extended Clipboard message ([`crate::clipboard`]).
    ExtendedClipboard {
        /// Its flags word.
        flags: u32,
        /// What follows the flags.
        data: Vec<u8>,
    },
    /// 150: start (or stop) sending updates of `rect` without requests.
    EnableContinuousUpdates {
        /// Start or stop.
        enable: bool,
        /// The area.
        rect: Rect,
    },
    /// 248: a fence.
    ClientFence {
        /// Its flags.
        flags: u32,
        /// Up to 64 bytes to echo.
        payload: Vec<u8>,
    },
    /// 251: the client asks for another framebuffer size.
    SetDesktopSize {
        /// The new width.
        width: u16,
        /// The new height.
        height: u16,
        /// The screen layout asked for.
        screens: Vec<Screen>,
    },
    /// 255/0: QEMU's Extended Key Event: a keysym with the keyboard's own code.
    QemuKeyEvent {
        /// Pressed.
        down: bool,
        /// The X keysym (0 when there is none).
        keysym: u32,
        /// The XT scancode.
        keycode: u32,
    },
}

/// Reads big-endian numbers at fixed offsets of a buffer already known to be long enough.
fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_be_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn rect_at(b: &[u8], i: usize) -> Rect {
    Rect::new(
        i32::from(u16_at(b, i)),
        i32::from(u16_at(b, i + 2)),
        u32::from(u16_at(b, i + 4)),
        u32::from(u16_at(b, i + 6)),
    )
}

/// `Some(buf[..n])` when the buffer holds `n` bytes.
fn whole(buf: &[u8], n: usize) -> Option<&[u8]> {
    buf.get(..n)
}

impl ClientMessage {
    /// The first message of `buf` and its length in bytes; `Ok(None)` while it is
    /// incomplete. Lengths are checked as soon as they can be read.
    pub fn parse(buf: &[u8]) -> Result<Option<(ClientMessage, usize)>, RfbError> {
        let Some(&kind) = buf.first() else {
            return Ok(None);
        };
        let done = |msg, n| Ok(Some((msg, n)));
        match kind {
            0 => {
                let Some(b) = whole(buf, 20) else {
                    return Ok(None);
                };
                let mut fmt = [0; 16];
                fmt.copy_from_slice(&b[4..20]);
                done(ClientMessage::SetPixelFormat(PixelFormat::parse(&fmt)?), 20)
            }
            2 => {
                let Some(b) = whole(buf, 4) else {
                    return Ok(None);
                };
                let count = u16_at(b, 2);
                if usize::from(count) > MAX_ENCODINGS {
                    return Err(RfbError::TooManyEncodings(count));
                }
                let n = 4 + 4 * usize::from(count);
                let Some(b) = whole(buf, n) else {
                    return Ok(None);
                };
                let list = b[4..]
                    .chunks_exact(4)
                    .map(|c| i32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                    .collect();
                done(ClientMessage::SetEncodings(list), n)
            }
            3 => {
                let Some(b) = whole(buf, 10) else {
                    return Ok(None);
                };
                let msg = ClientMessage::FramebufferUpdateRequest {
                    incremental: b[1] != 0,
                    rect: rect_at(b, 2),
                };
                done(msg, 10)
            }
            4 => {
                let Some(b) = whole(buf, 8) else {
                    return Ok(None);
                };
                let msg = ClientMessage::KeyEvent {
                    down: b[1] != 0,
                    keysym: u32_at(b, 4),
                };
                done(msg, 8)
            }
            5 => {
                let Some(b) = whole(buf, 6) else {
                    return Ok(None);
                };
                let msg = ClientMessage::PointerEvent {
                    buttons: b[1],
                    x: u16_at(b, 2),
                    y: u16_at(b, 4),
                };
                done(msg, 6)
            }
            6 => {
                let Some(b) = whole(buf, 8) else {
                    return Ok(None);
                };
                let length = u32_at(b, 4) as i32;
                let len = length.unsigned_abs() as usize;
                if len > MAX_CUT_TEXT {
                    return Err(RfbError::CutTextTooLong(len as u64));
                }
                let Some(b) = whole(buf, 8 + len) else {
                    return Ok(None);
                };
                let data = &b[8..];
                if length >= 0 {
                    // Latin-1 is the first 256 code points of Unicode.
                    let text = data.iter().map(|&c| char::from(c)).collect();
                    done(ClientMessage::ClientCutText(text), 8 + len)
                } else {
                    // Extended Clipboard: a flags word, then its data.
                    let flags = if len >= 4 { u32_at(data, 0) } else { 0 };
                    let data = data.get(4..).unwrap_or_default().to_vec();
                    done(ClientMessage::ExtendedClipboard { flags, data }, 8 + len)
                }
            }
            150 => {
                let Some(b) = whole(buf, 10) else {
                    return Ok(None);
                };
                let msg = ClientMessage::EnableContinuousUpdates {
                    enable: b[1] != 0,
                    rect: rect_at(b, 2),
                };
                done(msg, 10)
            }
            248 => {
                let Some(b) = whole(buf, 9) else {
                    return Ok(None);
                };
                let len = b[8];
                if usize::from(len) > MAX_FENCE_PAYLOAD {
                    return Err(RfbError::FenceTooLong(len));
                }
                let n = 9 + usize::from(len);
                let Some(b) = whole(buf, n) else {
                    return Ok(None);
                };
                let msg = ClientMessage::ClientFence {
                    flags: u32_at(b, 4),
                    payload: b[9..].to_vec(),
                };
                done(msg, n)
            }
            251 => {
                let Some(b) = whole(buf, 8) else {
                    return Ok(None);
                };
                // At most 255 screens of 16 bytes: bounded by the u8.
                let n = 8 + 16 * usize::from(b[6]);
                let Some(b) = whole(buf, n) else {
                    return Ok(None);
                };
                let screens = b[8..]
                    .chunks_exact(16)
                    .map(|s| Screen {
                        id: u32_at(s, 0),
                        rect: rect_at(s, 4),
                        flags: u32_at(s, 12),
                    })
                    .collect();
                let msg = ClientMessage::SetDesktopSize {
                    width: u16_at(b, 2),
                    height: u16_at(b, 4),
                    screens,
                };
                done(msg, n)
            }
            255 => {
                let Some(&sub) = buf.get(1) else {
                    return Ok(None);
                };
                if sub != 0 {
                    return Err(RfbError::UnknownQemuMessage(sub));
                }
                let Some(b) = whole(buf, 12) else {
                    return Ok(None);
                };
                let msg = ClientMessage::QemuKeyEvent {
                    down: u16_at(b, 2) != 0,
                    keysym: u32_at(b, 4),
                    keycode: u32_at(b, 8),
                };
                done(msg, 12)
            }
            other => Err(RfbError::UnknownMessage(other)),
        }
    }

    /// Appends the message's bytes, as a client sends it. Lists longer than the protocol's
    /// counts can say are cut (the server would refuse them anyway).
    pub fn write(&self, out: &mut Vec<u8>) {
        let rect = |out: &mut Vec<u8>, r: &Rect| {
            for v in [r.x as u32, r.y as u32, r.width, r.height] {
                out.extend_from_slice(&(v as u16).to_be_bytes());
            }
        };
        match self {
            ClientMessage::SetPixelFormat(format) => {
                out.extend_from_slice(&[0, 0, 0, 0]);
                out.extend_from_slice(&format.to_bytes());
            }
            ClientMessage::SetEncodings(list) => {
                let list = &list[..list.len().min(usize::from(u16::MAX))];
                out.extend_from_slice(&[2, 0]);
                out.extend_from_slice(&(list.len() as u16).to_be_bytes());
                for e in list {
                    out.extend_from_slice(&e.to_be_bytes());
                }
            }
            ClientMessage::FramebufferUpdateRequest {
                incremental,
                rect: r,
            } => {
                out.extend_from_slice(&[3, u8::from(*incremental)]);
                rect(out, r);
            }
            ClientMessage::KeyEvent { down, keysym } => {
                out.extend_from_slice(&[4, u8::from(*down), 0, 0]);
                out.extend_from_slice(&keysym.to_be_bytes());
            }
            ClientMessage::PointerEvent { buttons, x, y } => {
                out.extend_from_slice(&[5, *buttons]);
                out.extend_from_slice(&x.to_be_bytes());
                out.extend_from_slice(&y.to_be_bytes());
            }
            ClientMessage::ClientCutText(text) => {
                let latin1 = latin1(text);
                out.extend_from_slice(&[6, 0, 0, 0]);
                out.extend_from_slice(&(latin1.len() as u32).to_be_bytes());
                out.extend_from_slice(&latin1);
            }
            ClientMessage::ExtendedClipboard { flags, data } => {
                out.extend_from_slice(&[6, 0, 0, 0]);
                out.extend_from_slice(&(-(4 + data.len() as i32)).to_be_bytes());
                out.extend_from_slice(&flags.to_be_bytes());
                out.extend_from_slice(data);
            }
            ClientMessage::EnableContinuousUpdates { enable, rect: r } => {
                out.extend_from_slice(&[150, u8::from(*enable)]);
                rect(out, r);
            }
            ClientMessage::ClientFence { flags, payload } => {
                write_fence(out, *flags, payload);
            }
            ClientMessage::SetDesktopSize {
                width,
                height,
                screens,
            } => {
                let screens = &screens[..screens.len().min(255)];
                out.extend_from_slice(&[251, 0]);
                out.extend_from_slice(&width.to_be_bytes());
                out.extend_from_slice(&height.to_be_bytes());
                out.extend_from_slice(&[screens.len() as u8, 0]);
                for s in screens {
                    out.extend_from_slice(&s.id.to_be_bytes());
                    rect(out, &s.rect);
                    out.extend_from_slice(&s.flags.to_be_bytes());
                }
            }
            ClientMessage::QemuKeyEvent {
                down,
                keysym,
                keycode,
            } => {
                out.extend_from_slice(&[255, 0]);
                out.extend_from_slice(&u16::from(*down).to_be_bytes());
                out.extend_from_slice(&keysym.to_be_bytes());
                out.extend_from_slice(&keycode.to_be_bytes());
            }
        }
    }
}

/// Text as Latin-1 bytes, `?` for what Latin-1 cannot say, at most [`MAX_CUT_TEXT`] bytes.
pub fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .take(MAX_CUT_TEXT)
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Starts a FramebufferUpdate with a rectangle count of 0; returns where the count is, for
/// [`patch_rect_count`].
pub fn write_update_header(out: &mut Vec<u8>) -> usize {
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(&[0, 0]);
    out.len() - 2
}

/// Sets the rectangle count of the update started at `at` by [`write_update_header`].
pub fn patch_rect_count(out: &mut [u8], at: usize, count: u16) {
    if let Some(slot) = out.get_mut(at..at + 2) {
        slot.copy_from_slice(&count.to_be_bytes());
    }
}

/// A rectangle's header: position, size (each 16 bits) and encoding. Values beyond 16 bits
/// are cut; the caller keeps its rectangles inside a framebuffer of at most 65535x65535.
pub fn write_rect_header(out: &mut Vec<u8>, rect: Rect, encoding: i32) {
    for v in [rect.x as u32, rect.y as u32, rect.width, rect.height] {
        out.extend_from_slice(&(v as u16).to_be_bytes());
    }
    out.extend_from_slice(&encoding.to_be_bytes());
}

/// Bell (2).
pub fn write_bell(out: &mut Vec<u8>) {
    out.push(2);
}

/// ServerCutText (3), the text as Latin-1.
pub fn write_server_cut_text(out: &mut Vec<u8>, text: &str) {
    let latin1 = latin1(text);
    out.extend_from_slice(&[3, 0, 0, 0]);
    out.extend_from_slice(&(latin1.len() as u32).to_be_bytes());
    out.extend_from_slice(&latin1);
}

/// EndOfContinuousUpdates (150).
pub fn write_end_of_continuous_updates(out: &mut Vec<u8>) {
    out.push(150);
}

/// A Fence (248 both ways): flags, then at most 64 bytes of payload (more is cut).
pub fn write_fence(out: &mut Vec<u8>, flags: u32, payload: &[u8]) {
    let payload = &payload[..payload.len().min(MAX_FENCE_PAYLOAD)];
    out.extend_from_slice(&[248, 0, 0, 0]);
    out.extend_from_slice(&flags.to_be_bytes());
    out.push(payload.len() as u8);
    out.extend_from_slice(payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(msg: ClientMessage) {
        let mut bytes = Vec::new();
        msg.write(&mut bytes);
        for cut in 0..bytes.len() {
            assert_eq!(
                ClientMessage::parse(&bytes[..cut]),
                Ok(None),
                "{msg:?} cut at {cut}"
            );
        }
        bytes.push(0xee);
        let n = bytes.len() - 1;
        assert_eq!(ClientMessage::parse(&bytes), Ok(Some((msg, n))));
    }

    #[test]
    fn every_message_survives_its_bytes() {
        round_trip(ClientMessage::SetPixelFormat(PixelFormat::rgb565()));
        round_trip(ClientMessage::SetEncodings(vec![16, 5, 0, -239, -308]));
        round_trip(ClientMessage::FramebufferUpdateRequest {
            incremental: true,
            rect: Rect::new(1, 2, 300, 400),
        });
        round_trip(ClientMessage::KeyEvent {
            down: true,
            keysym: 0xff0d,
        });
        round_trip(ClientMessage::PointerEvent {
            buttons: 5,
            x: 640,
            y: 1,
        });
        round_trip(ClientMessage::ClientCutText("grüße".into()));
        round_trip(ClientMessage::ExtendedClipboard {
            flags: 1 << 24,
            data: vec![0, 1, 0, 0],
        });
        round_trip(ClientMessage::EnableContinuousUpdates {
            enable: true,
            rect: Rect::new(0, 0, 80, 60),
        });
        round_trip(ClientMessage::ClientFence {
            flags: FENCE_REQUEST | FENCE_BLOCK_BEFORE,
            payload: vec![1, 2, 3],
        });
        round_trip(ClientMessage::SetDesktopSize {
            width: 1024,
            height: 768,
            screens: vec![Screen {
                id: 7,
                rect: Rect::new(0, 0, 1024, 768),
                flags: 0,
            }],
        });
        round_trip(ClientMessage::QemuKeyEvent {
            down: false,
            keysym: 0x61,
            keycode: 0x1e,
        });
    }

    #[test]
    fn the_exact_bytes_of_a_request() {
        let msg = ClientMessage::FramebufferUpdateRequest {
            incremental: false,
            rect: Rect::new(1, 2, 3, 4),
        };
        let mut bytes = Vec::new();
        msg.write(&mut bytes);
        #[rustfmt::skip]
        assert_eq!(bytes, [
            3, 0,  // type, not incremental
            0, 1,  // x
            0, 2,  // y
            0, 3,  // width
            0, 4,  // height
        ]);
    }

    #[test]
    fn lying_lengths_are_refused_before_waiting() {
        // SetEncodings announcing 65,535 encodings, with none of them sent.
        assert_eq!(
            ClientMessage::parse(&[2, 0, 0xff, 0xff]),
            Err(RfbError::TooManyEncodings(65535))
        );
        // ClientCutText announcing 2 GiB.
        assert_eq!(
            ClientMessage::parse(&[6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]),
            Err(RfbError::CutTextTooLong(0x7fff_ffff))
        );
        // An extended clipboard message of i32::MIN bytes.
        assert!(ClientMessage::parse(&[6, 0, 0, 0, 0x80, 0, 0, 0]).is_err());
        assert_eq!(
            ClientMessage::parse(&[248, 0, 0, 0, 0, 0, 0, 0, 65]),
            Err(RfbError::FenceTooLong(65))
        );
        assert_eq!(ClientMessage::parse(&[7]), Err(RfbError::UnknownMessage(7)));
        assert_eq!(
            ClientMessage::parse(&[255, 1]),
            Err(RfbError::UnknownQemuMessage(1))
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            if let Ok(Some((_, n))) = ClientMessage::parse(&bytes) {
                prop_assert!(n <= bytes.len());
            }
        }

        #[test]
        fn pointer_and_keys_round_trip(buttons: u8, x: u16, y: u16, down: bool, keysym: u32) {
            round_trip(ClientMessage::PointerEvent { buttons, x, y });
            round_trip(ClientMessage::KeyEvent { down, keysym });
        }
    }
}
