//! The server's side of one RFB connection, without I/O: fed the bytes that arrive, it gives
//! the bytes to write and the client's input as [`Event`]s.
//!
//! The handshake (RFC 6143 §7.1–7.3) speaks 3.8, 3.7 and 3.3, offers only VNC
//! Authentication, and ends with ServerInit in [`PixelFormat::SERVER`]. A wrong password
//! leaves SecurityResult "failed" (with its reason, from 3.8 on) in the output and makes
//! [`ServerSession::receive`] fail: the caller writes the output, then closes.
//!
//! A view-only client's input is dropped here, not by the caller: it gets no Key, Pointer,
//! CutText or SetDesktopSize events (its SetDesktopSize is answered "prohibited").
//!
//! Fences: the session answers a ClientFence that asks for an answer at once, echoing the
//! flags it knows. Messages are handled strictly in order and each update is written whole,
//! so BlockBefore and BlockAfter hold by construction, and the message after a SyncNext fence
//! takes effect right after the answer in the output, which is what SyncNext asks.
//!
//! ```
//! use netui_protocol::Size;
//! use netui_rfb::{Passwords, ServerSession};
//!
//! let passwords = Passwords { full: "secret".into(), view_only: None };
//! let mut session = ServerSession::new(passwords, [0; 16], Size::new(640, 480), "netui");
//! assert_eq!(session.take_output(), b"RFB 003.008\n");
//! session.receive(b"RFB 003.008\n").unwrap();
//! assert_eq!(session.take_output(), [1, 2]); // one security type: VNC Authentication
//! ```

use std::collections::VecDeque;

use netui_protocol::{Point, Rect, Size};
use netui_scene::render::Canvas;

use crate::auth::{Access, SecurityType, VncAuth};
use crate::clipboard::{self, ExtClipboard};
use crate::encoding::Encodings;
use crate::message::{self, ClientMessage, FENCE_KNOWN, FENCE_REQUEST};
use crate::pixel::PixelFormat;
use crate::update::{DesktopAnswer, Plan, Updater};
use crate::RfbError;

/// The version this server announces.
pub const VERSION: &[u8; 12] = b"RFB 003.008\n";
/// The security types offered, in order of preference.
pub const OFFERED: &[SecurityType] = &[SecurityType::VncAuth];
/// The security types offered by a server that can speak TLS ([`ServerSession::with_tls`]).
pub const OFFERED_WITH_TLS: &[SecurityType] = &[SecurityType::VeNCrypt, SecurityType::VncAuth];
/// With continuous updates on, no update is wanted while this much output waits to be
/// written: the caller's socket is the flow control.
pub const FLOW_LIMIT: usize = 4 << 20;

/// The passwords a server accepts.
#[derive(Clone)]
pub struct Passwords {
    /// Full access.
    pub full: String,
    /// View-only access, if any.
    pub view_only: Option<String>,
}

impl std::fmt::Debug for Passwords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords").finish_non_exhaustive()
    }
}

/// What the client did, for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The handshake is done: updates and input from now on.
    Ready {
        /// The client authenticated with the view-only password.
        view_only: bool,
        /// The client lets other clients share the desktop.
        shared: bool,
    },
    /// A key.
    Key {
        /// Pressed.
        down: bool,
        /// The X keysym.
        keysym: u32,
        /// The XT scancode, from QEMU's Extended Key Event.
        keycode: Option<u32>,
    },
    /// The pointer.
    Pointer {
        /// Button mask, bit 0 the left button.
        buttons: u8,
        /// Column.
        x: u16,
        /// Row.
        y: u16,
    },
    /// The client chose VeNCrypt's X509Vnc: write the output, then run the server's side of
    /// a TLS handshake on the connection, and carry on inside it, starting with
    /// [`ServerSession::tls_started`]. No input comes before that.
    StartTls,
    /// The client's clipboard.
    CutText(String),
    /// The client asks for another screen size: resize (the next update tells it), or call
    /// [`ServerSession::refuse_desktop_size`].
    SetDesktopSize {
        /// Width asked for.
        width: u16,
        /// Height asked for.
        height: u16,
    },
}

/// Why a client's SetDesktopSize was not carried out (ExtendedDesktopSize status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DesktopSizeStatus {
    /// Resizing is not allowed (1).
    Prohibited = 1,
    /// Out of resources (2).
    OutOfResources = 2,
    /// The layout is invalid (3).
    InvalidLayout = 3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V3_3,
    V3_7,
    V3_8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Version,
    Security,
    /// VeNCrypt: the client's version (two bytes).
    VenVersion,
    /// VeNCrypt: the client's sub-type (four bytes).
    VenSubtype,
    /// VeNCrypt: waiting for the caller's TLS handshake.
    Tls,
    Challenge,
    ClientInit,
    Ready,
    Failed,
}

/// The server's side of one connection.
pub struct ServerSession {
    state: State,
    version: Version,
    auth: VncAuth,
    challenge: [u8; 16],
    name: String,
    input: Vec<u8>,
    output: Vec<u8>,
    events: VecDeque<Event>,
    view_only: bool,
    format: PixelFormat,
    encodings: Encodings,
    /// The framebuffer size the client was last told.
    size: Size,
    /// Pending incremental and non-incremental requests.
    requested: Option<Rect>,
    forced: Option<Rect>,
    continuous: Option<Rect>,
    desktop: Option<DesktopAnswer>,
    cursor_sent: bool,
    /// The QEMU Extended Key Event pseudo-rectangle went (see `update::Plan::qemu_key`).
    qemu_key_sent: bool,
    told_continuous: bool,
    /// The server's caps for the Extended Clipboard were sent.
    told_clipboard: bool,
    /// The server's clipboard text, as last given to [`ServerSession::send_cut_text`].
    clipboard: Option<String>,
    /// The most unsolicited clipboard text the client takes (its caps say).
    client_text_limit: u32,
    updater: Updater,
    /// FramebufferUpdates written so far.
    updates: u64,
    /// Set by [`ServerSession::refuse`]: the reason the handshake fails with.
    refusal: Option<String>,
    /// The security types offered.
    offered: &'static [SecurityType],
}

impl std::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerSession")
            .field("state", &self.state)
            .field("size", &self.size)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A session for a new connection, with the server's version already in the output.
    /// `challenge` must be fresh random bytes; `size` is the screen's (RFB says at most
    /// 65535x65535: larger sizes are told as 65535).
    pub fn new(passwords: Passwords, challenge: [u8; 16], size: Size, name: &str) -> Self {
        ServerSession {
            state: State::Version,
            version: Version::V3_8,
            auth: VncAuth::new(&passwords.full, passwords.view_only.as_deref()),
            challenge,
            name: name.to_owned(),
            input: Vec::new(),
            output: VERSION.to_vec(),
            events: VecDeque::new(),
            view_only: false,
            format: PixelFormat::SERVER,
            encodings: Encodings::default(),
            size,
            requested: None,
            forced: None,
            continuous: None,
            desktop: None,
            cursor_sent: false,
            qemu_key_sent: false,
            told_continuous: false,
            told_clipboard: false,
            clipboard: None,
            client_text_limit: crate::clipboard::DEFAULT_TEXT_LIMIT,
            updater: Updater::new(size),
            updates: 0,
            refusal: None,
            offered: OFFERED,
        }
    }

    /// Offers VeNCrypt (X509Vnc: TLS, then the password) before VNC Authentication: the
    /// caller can run TLS on this connection when the client asks ([`Event::StartTls`]).
    pub fn with_tls(mut self) -> Self {
        self.offered = OFFERED_WITH_TLS;
        self
    }

    /// The security type is still being chosen (the version, the list of types, VeNCrypt's
    /// version and sub-type): a caller that may have to start TLS reads the bare socket
    /// until this turns false or [`Event::StartTls`] comes.
    pub fn negotiating_security(&self) -> bool {
        matches!(
            self.state,
            State::Version | State::Security | State::VenVersion | State::VenSubtype
        )
    }

    /// The TLS handshake that [`Event::StartTls`] asked for is done: VNC Authentication goes
    /// on inside it.
    pub fn tls_started(&mut self) {
        if self.state == State::Tls {
            self.output.extend_from_slice(&self.challenge);
            self.state = State::Challenge;
        }
    }

    /// Refuses the connection at the security stage with `reason`, whatever password the
    /// client has: 3.7 and 3.8 get an empty list of security types and the reason, 3.3 the
    /// security type 0 (invalid) and the reason (RFC 6143 §7.1.2, and §A for 3.3). Call it
    /// before the client's version arrives; [`ServerSession::receive`] then fails with
    /// [`RfbError::Refused`] once the refusal is in the output.
    pub fn refuse(&mut self, reason: &str) {
        self.refusal = Some(reason.to_owned());
    }

    /// FramebufferUpdates written so far: the n-th update the client reads is the one that
    /// made this n.
    pub fn updates_sent(&self) -> u64 {
        self.updates
    }

    /// Takes bytes from the client. An error is fatal: write the output (it may hold a last
    /// message saying why), then close the connection.
    pub fn receive(&mut self, bytes: &[u8]) -> Result<(), RfbError> {
        if self.state == State::Failed {
            return Err(RfbError::Closed);
        }
        self.input.extend_from_slice(bytes);
        // Taken out so that `step` can borrow the session mutably; it never reads `input`.
        let input = std::mem::take(&mut self.input);
        let mut at = 0;
        let result = loop {
            match self.step(input.get(at..).unwrap_or_default()) {
                Ok(Some(n)) => at += n,
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        self.input = input;
        self.input.drain(..at.min(self.input.len()));
        if result.is_err() {
            self.state = State::Failed;
            self.input.clear();
        }
        result
    }

    /// The next thing the client did, if any.
    pub fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The bytes to write to the client now (may be empty).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// How many bytes wait to be written.
    pub fn output_len(&self) -> usize {
        self.output.len()
    }

    /// The client authenticated with the view-only password.
    pub fn view_only(&self) -> bool {
        self.view_only
    }

    /// The pixel format the client asked for.
    pub fn pixel_format(&self) -> &PixelFormat {
        &self.format
    }

    /// What the client's SetEncodings asked for.
    pub fn encodings(&self) -> &Encodings {
        &self.encodings
    }

    /// Whether an update should be sent: a FramebufferUpdateRequest is pending, or continuous
    /// updates are on and less than [`FLOW_LIMIT`] bytes wait to be written.
    pub fn wants_update(&self) -> bool {
        self.state == State::Ready
            && (self.requested.is_some()
                || self.forced.is_some()
                || (self.continuous.is_some() && self.output.len() < FLOW_LIMIT))
    }

    /// Sends what changed on `screen`, if the client wants an update (else the damage is kept
    /// for the next one). `damage` is everything that changed since the last call (copy
    /// destinations included); `copies` are the moves in order, each a destination and the
    /// source's top-left. Nothing is written when nothing differs from what the client has.
    ///
    /// Fails when the screen changed size and the client cannot be told (no DesktopSize), or
    /// is larger than RFB can say: close the connection then.
    pub fn send_update(
        &mut self,
        screen: &Canvas,
        damage: &[Rect],
        copies: &[(Rect, Point)],
    ) -> Result<(), RfbError> {
        if self.state == State::Failed {
            return Err(RfbError::Closed);
        }
        if !self.wants_update() {
            self.updater.defer(damage);
            return Ok(());
        }
        let all = Rect::from_size(self.size);
        let wanted = [self.requested, self.forced, self.continuous]
            .into_iter()
            .flatten()
            .fold(Rect::default(), Rect::union);
        let plan = Plan {
            format: &self.format,
            encodings: &self.encodings,
            wanted: if screen.size() == self.size {
                wanted
            } else {
                all
            },
            forced: self.forced.unwrap_or_default(),
            desktop: self.desktop,
            cursor: self.encodings.cursor && !self.cursor_sent,
            qemu_key: self.encodings.qemu_key && !self.qemu_key_sent,
        };
        let start = self.output.len();
        let count_at = message::write_update_header(&mut self.output);
        let result = self
            .updater
            .update(screen, damage, copies, &plan, &mut self.output);
        let count = match result {
            Ok(count) => count,
            Err(e) => {
                self.output.truncate(start);
                self.state = State::Failed;
                return Err(e);
            }
        };
        let answered_request = self.forced.is_some();
        if count == 0 && !answered_request {
            // Nothing changed: no update, and the request stays pending.
            self.output.truncate(start);
            return Ok(());
        }
        message::patch_rect_count(&mut self.output, count_at, count);
        self.updates += 1;
        self.cursor_sent |= plan.cursor;
        self.qemu_key_sent |= plan.qemu_key;
        self.desktop = None;
        self.size = screen.size();
        self.requested = None;
        self.forced = None;
        Ok(())
    }

    /// Answers the client's SetDesktopSize with a refusal in the next update (instead of
    /// the resize it asked for).
    pub fn refuse_desktop_size(&mut self, status: DesktopSizeStatus) {
        self.desktop = Some(DesktopAnswer {
            reason: 1,
            status: status as u16,
        });
    }

    /// Sends the server's clipboard to the client: as UTF-8 in an Extended Clipboard
    /// provide (or a notify, when it is longer than the client takes unasked) if the client
    /// listed the pseudo-encoding, else as Latin-1. The session keeps it, to answer the
    /// client's requests.
    pub fn send_cut_text(&mut self, text: &str) {
        self.clipboard = Some(text.to_owned());
        if self.state != State::Ready {
            return;
        }
        if !self.encodings.extended_clipboard {
            message::write_server_cut_text(&mut self.output, text);
        } else if text.len() < self.client_text_limit as usize {
            let provide = ExtClipboard::Provide {
                text: Some(text.to_owned()),
            };
            clipboard::write(&provide, true, &mut self.output);
        } else {
            let notify = ExtClipboard::Notify {
                formats: clipboard::TEXT,
            };
            clipboard::write(&notify, true, &mut self.output);
        }
    }

    /// Answers an Extended Clipboard message from the client.
    fn extended_clipboard(&mut self, msg: ExtClipboard, input: bool) {
        match msg {
            ExtClipboard::Caps { text_limit, .. } => {
                self.client_text_limit = text_limit.unwrap_or(0);
            }
            ExtClipboard::Request { formats } if formats & clipboard::TEXT != 0 => {
                let text = self.clipboard.clone();
                clipboard::write(&ExtClipboard::Provide { text }, true, &mut self.output);
            }
            ExtClipboard::Request { .. } => {
                let provide = ExtClipboard::Provide { text: None };
                clipboard::write(&provide, true, &mut self.output);
            }
            ExtClipboard::Peek => {
                let formats = if self.clipboard.is_some() {
                    clipboard::TEXT
                } else {
                    0
                };
                clipboard::write(&ExtClipboard::Notify { formats }, true, &mut self.output);
            }
            // The client's clipboard changed: fetch its text (unless it may only watch).
            ExtClipboard::Notify { formats } if input && formats & clipboard::TEXT != 0 => {
                let request = ExtClipboard::Request {
                    formats: clipboard::TEXT,
                };
                clipboard::write(&request, true, &mut self.output);
            }
            ExtClipboard::Notify { .. } => {}
            ExtClipboard::Provide { text: Some(text) } if input => {
                self.events.push_back(Event::CutText(text));
            }
            ExtClipboard::Provide { .. } => {}
        }
    }

    /// Rings the client's bell.
    pub fn bell(&mut self) {
        if self.state == State::Ready {
            message::write_bell(&mut self.output);
        }
    }

    /// Handles the first whole thing in `input`; its length, or `None` while it is not whole.
    fn step(&mut self, input: &[u8]) -> Result<Option<usize>, RfbError> {
        match self.state {
            State::Version => {
                let Some(bytes) = input.get(..12) else {
                    return Ok(None);
                };
                self.version(bytes)?;
                Ok(Some(12))
            }
            State::Security => {
                let Some(&code) = input.first() else {
                    return Ok(None);
                };
                match SecurityType::from_code(code).filter(|t| self.offered.contains(t)) {
                    Some(SecurityType::VncAuth) => {
                        self.output.extend_from_slice(&self.challenge);
                        self.state = State::Challenge;
                        Ok(Some(1))
                    }
                    Some(SecurityType::VeNCrypt) => {
                        // VeNCrypt 0.2.
                        self.output.extend_from_slice(&[0, 2]);
                        self.state = State::VenVersion;
                        Ok(Some(1))
                    }
                    None => {
                        self.security_failed("security type not offered");
                        Err(RfbError::SecurityType(code))
                    }
                }
            }
            State::VenVersion => {
                let Some(&[major, minor]) = input.get(..2) else {
                    return Ok(None);
                };
                if (major, minor) != (0, 2) {
                    // Not 0.2: refused, and the connection closes.
                    self.output.push(255);
                    return Err(RfbError::VeNCrypt(format!(
                        "VeNCrypt version {major}.{minor}, not 0.2"
                    )));
                }
                self.output.push(0);
                self.output.push(1);
                self.output
                    .extend_from_slice(&crate::auth::VENCRYPT_X509_VNC.to_be_bytes());
                self.state = State::VenSubtype;
                Ok(Some(2))
            }
            State::VenSubtype => {
                let Some(bytes) = input.get(..4) else {
                    return Ok(None);
                };
                let subtype = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
                if subtype != crate::auth::VENCRYPT_X509_VNC {
                    self.output.push(0);
                    return Err(RfbError::VeNCrypt(format!(
                        "VeNCrypt sub-type {subtype} was not offered"
                    )));
                }
                self.output.push(1);
                self.events.push_back(Event::StartTls);
                self.state = State::Tls;
                Ok(Some(4))
            }
            // The TLS handshake's bytes are not the session's.
            State::Tls => Ok(None),
            State::Challenge => {
                let Some(bytes) = input.get(..16) else {
                    return Ok(None);
                };
                let mut response = [0; 16];
                response.copy_from_slice(bytes);
                match self.auth.check(&self.challenge, &response) {
                    Some(access) => {
                        self.output.extend_from_slice(&0u32.to_be_bytes());
                        self.view_only = access == Access::ViewOnly;
                        self.state = State::ClientInit;
                        Ok(Some(16))
                    }
                    None => {
                        self.security_failed("authentication failed");
                        Err(RfbError::AuthenticationFailed)
                    }
                }
            }
            State::ClientInit => {
                let Some(&shared) = input.first() else {
                    return Ok(None);
                };
                self.server_init();
                self.events.push_back(Event::Ready {
                    view_only: self.view_only,
                    shared: shared != 0,
                });
                self.state = State::Ready;
                Ok(Some(1))
            }
            State::Ready => match ClientMessage::parse(input)? {
                Some((msg, n)) => {
                    self.handle(msg)?;
                    Ok(Some(n))
                }
                None => Ok(None),
            },
            State::Failed => Err(RfbError::Closed),
        }
    }

    /// Reads the client's ProtocolVersion and offers security.
    fn version(&mut self, bytes: &[u8]) -> Result<(), RfbError> {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let minor = match bytes {
            [b'R', b'F', b'B', b' ', b'0', b'0', b'3', b'.', a, b, c, b'\n']
                if [a, b, c].iter().all(|d| d.is_ascii_digit()) =>
            {
                u32::from(a - b'0') * 100 + u32::from(b - b'0') * 10 + u32::from(c - b'0')
            }
            _ => 0,
        };
        self.version = match minor {
            3..=6 => Version::V3_3,
            7 => Version::V3_7,
            8.. => Version::V3_8,
            _ => {
                // The 3.8 failure: no security types, then why.
                self.output.push(0);
                put_string(&mut self.output, "unsupported protocol version");
                return Err(RfbError::Version(text));
            }
        };
        if let Some(reason) = self.refusal.take() {
            if self.version == Version::V3_3 {
                self.output.extend_from_slice(&0u32.to_be_bytes());
            } else {
                self.output.push(0);
            }
            put_string(&mut self.output, &reason);
            return Err(RfbError::Refused(reason));
        }
        if self.version == Version::V3_3 {
            // 3.3: the server decides, then the challenge follows at once.
            let code = u32::from(SecurityType::VncAuth.code());
            self.output.extend_from_slice(&code.to_be_bytes());
            self.output.extend_from_slice(&self.challenge);
            self.state = State::Challenge;
        } else {
            self.output.push(self.offered.len() as u8);
            self.output.extend(self.offered.iter().map(|t| t.code()));
            self.state = State::Security;
        }
        Ok(())
    }

    /// SecurityResult "failed", with the reason from 3.8 on.
    fn security_failed(&mut self, reason: &str) {
        self.output.extend_from_slice(&1u32.to_be_bytes());
        if self.version == Version::V3_8 {
            put_string(&mut self.output, reason);
        }
    }

    fn server_init(&mut self) {
        let side = |v: u32| v.min(u32::from(u16::MAX)) as u16;
        self.size = Size::new(
            u32::from(side(self.size.width)),
            u32::from(side(self.size.height)),
        );
        self.output
            .extend_from_slice(&side(self.size.width).to_be_bytes());
        self.output
            .extend_from_slice(&side(self.size.height).to_be_bytes());
        self.output.extend_from_slice(&self.format.to_bytes());
        put_string(&mut self.output, &self.name);
    }

    /// An error unless `rect` lies in the framebuffer the client was last told of.
    fn check_area(&self, rect: Rect) -> Result<(), RfbError> {
        if Rect::from_size(self.size).contains_rect(rect) {
            Ok(())
        } else {
            Err(RfbError::RequestOutsideScreen {
                rect,
                size: self.size,
            })
        }
    }

    fn handle(&mut self, msg: ClientMessage) -> Result<(), RfbError> {
        let input = !self.view_only;
        match msg {
            ClientMessage::SetPixelFormat(format) => {
                self.format = format;
                // What the client shows was converted to the old format: send it all again.
                self.updater.invalidate();
            }
            ClientMessage::SetEncodings(list) => {
                let old = self.encodings;
                self.encodings = Encodings::from_list(&list);
                if self.encodings.extended_desktop_size && !old.extended_desktop_size {
                    // The client learns that the server speaks ExtendedDesktopSize.
                    self.desktop.get_or_insert(DesktopAnswer {
                        reason: 0,
                        status: 0,
                    });
                }
                if self.encodings.extended_clipboard && !self.told_clipboard {
                    // The spec's answer to the pseudo-encoding: the server's caps.
                    self.told_clipboard = true;
                    let caps = clipboard::server_caps(message::MAX_CUT_TEXT as u32);
                    clipboard::write(&caps, true, &mut self.output);
                }
                if self.encodings.continuous_updates && !self.told_continuous {
                    // The spec's way of saying that continuous updates are supported.
                    self.told_continuous = true;
                    message::write_end_of_continuous_updates(&mut self.output);
                }
            }
            ClientMessage::FramebufferUpdateRequest { incremental, rect } => {
                self.check_area(rect)?;
                let pending = if incremental {
                    &mut self.requested
                } else {
                    &mut self.forced
                };
                *pending = Some(pending.map_or(rect, |r| r.union(rect)));
            }
            ClientMessage::KeyEvent { down, keysym } => {
                if input {
                    self.events.push_back(Event::Key {
                        down,
                        keysym,
                        keycode: None,
                    });
                }
            }
            ClientMessage::QemuKeyEvent {
                down,
                keysym,
                keycode,
            } => {
                if input {
                    self.events.push_back(Event::Key {
                        down,
                        keysym,
                        keycode: Some(keycode),
                    });
                }
            }
            ClientMessage::PointerEvent { buttons, x, y } => {
                if input {
                    self.events.push_back(Event::Pointer { buttons, x, y });
                }
            }
            ClientMessage::ClientCutText(text) => {
                if input {
                    self.events.push_back(Event::CutText(text));
                }
            }
            ClientMessage::ExtendedClipboard { flags, data } => {
                let msg = clipboard::parse(flags, &data)?;
                self.extended_clipboard(msg, input);
            }
            ClientMessage::EnableContinuousUpdates { enable, rect } => {
                if enable {
                    self.check_area(rect)?;
                    self.continuous = Some(rect);
                } else {
                    self.continuous = None;
                    message::write_end_of_continuous_updates(&mut self.output);
                }
            }
            ClientMessage::ClientFence { flags, payload } => {
                // A fence without the request flag answers one of ours; we send none.
                if flags & FENCE_REQUEST != 0 {
                    message::write_fence(&mut self.output, flags & FENCE_KNOWN, &payload);
                }
            }
            ClientMessage::SetDesktopSize {
                width,
                height,
                screens,
            } => {
                let status = if !input {
                    Some(DesktopSizeStatus::Prohibited)
                } else if width == 0 || height == 0 || screens.is_empty() {
                    Some(DesktopSizeStatus::InvalidLayout)
                } else {
                    None
                };
                match status {
                    Some(status) => self.refuse_desktop_size(status),
                    None => {
                        self.desktop = Some(DesktopAnswer {
                            reason: 1,
                            status: 0,
                        });
                        self.events
                            .push_back(Event::SetDesktopSize { width, height });
                    }
                }
            }
        }
        Ok(())
    }
}

/// A length-prefixed string (u32 length), as reasons and the desktop name are sent.
fn put_string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}
