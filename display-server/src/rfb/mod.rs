//! VNC viewers: the RFB port of a display (5900 + N), plain, in TLS (VeNCrypt X509Vnc, with
//! the display's certificate, when it has one) or inside a WebSocket (noVNC), plain (`ws://`)
//! or in TLS with the same certificate (`wss://`).
//!
//! An RFB connection is a viewer of the display like a netui pixel viewer, and the core
//! treats it as one: after the RFB handshake (VNC Authentication with the display's full or
//! view-only password, [`netui_rfb::server::ServerSession`]) this module says hello to the
//! core with [`Access::Viewer`] or [`Access::ViewOnly`], attaches as a `px-delta-lz4` viewer
//! and acknowledges each update as soon as it has applied it to its own copy of the screen.
//! So the core never waits for a VNC viewer: a slow one only lets its copy run ahead of what
//! it was sent. When the viewer asks for an update (or has continuous updates on) and what
//! it was sent before has left, the session encodes, in the viewer's chosen encoding, what
//! changed since (merged damage, compared with what the viewer has). Memory stays bounded: a
//! copy of the screen, the session's shadow of the viewer's, and at most [`MAX_PENDING`]
//! bytes on their way out.
//!
//! The viewer's keyboard and pointer become the screen's input ([`input::RfbInput`]) and go
//! to the core as `ViewerInput`, which the permission table refuses for a view-only viewer.
//!
//! The clipboard goes both ways for a viewer that may drive the display: what the viewer
//! copies (ClientCutText in Latin-1, or UTF-8 through the Extended Clipboard) claims the
//! display's clipboard, and this connection answers the applications' requests for it;
//! when an application copies text, this connection pastes it (it watches the selections)
//! and sends it to the viewer ([`ServerSession::send_cut_text`] picks the form).
//!
//! An address that fails VNC Authentication [`guard::THRESHOLD`] times in a row is refused
//! for a while ([`guard`]). A benchmark in the same process can learn which of a viewer's
//! inputs each update answers ([`answer`]), which RFB itself does not say.

pub mod answer;
pub mod guard;
pub mod input;
mod transport;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use netui_protocol::{
    InputEvent, PixelEncoding, Rect, RectEncoding, Refusal, Request, Role, Selection,
    SelectionLimits, ServerMessage, Size, ViewMessage, ViewMode,
};
use netui_rfb::server::{DesktopSizeStatus, Event, Passwords, ServerSession};
use netui_scene::damage::Damage;
use netui_scene::encoding::PixelDecoder;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};

use crate::core::{CoreMsg, Incoming, Outbox, OutboxReceiver};
use crate::listener::Shared;
use crate::peer::{Access, ConnId, Peer};
use transport::{Opening, Transport};

/// How long a new connection has to authenticate: a viewer asks its user for the password
/// in the middle of the handshake, and people take their time.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes of updates that may be on their way to a viewer before the next is held back.
pub const MAX_PENDING: usize = 1 << 20;
/// How long a viewer may leave bytes unread before it is disconnected.
const STALL_TIMEOUT: Duration = Duration::from_secs(60);
/// What the core is told this client is called.
const CLIENT_NAME: &str = "vnc viewer";

/// The RFB endpoint of a display: where it listens and its two passwords.
#[derive(Debug, Clone)]
pub struct RfbConfig {
    /// The address (port 5900 + N unless told otherwise).
    pub addr: SocketAddr,
    /// The password that lets a viewer see and drive the display.
    pub password: String,
    /// The password that lets a viewer only see it.
    pub view_only_password: String,
}

/// Serves one accepted RFB connection from its first byte to its close.
pub(crate) async fn serve(
    conn: ConnId,
    stream: TcpStream,
    addr: SocketAddr,
    shared: Arc<Shared>,
    core: mpsc::Sender<CoreMsg>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let opening = transport::sniff(&stream).await;
    let Some(config) = shared.rfb.as_ref() else {
        return Err(std::io::Error::other("RFB is not configured"));
    };
    let mut challenge = [0u8; 16];
    getrandom::getrandom(&mut challenge).map_err(|e| std::io::Error::other(e.to_string()))?;
    let passwords = Passwords {
        full: config.password.clone(),
        view_only: Some(config.view_only_password.clone()),
    };
    // The size in ServerInit; should it change during the handshake, the first update says.
    let size = *shared.screen_size.borrow();
    let name = format!("netui {}", shared.display);
    let mut session = ServerSession::new(passwords, challenge, size, &name);
    // VeNCrypt on bare RFB connections when the display has its certificate; a WebSocket in
    // TLS (wss://) is in TLS already, one without (ws://) cannot carry VeNCrypt to noVNC.
    let tls = shared.tls.as_ref();
    if opening == Opening::Rfb && tls.is_some() {
        session = session.with_tls();
    }
    let ip = addr.ip();
    let blocked = shared.rfb_guard.blocked(ip, std::time::Instant::now());
    if let Some(left) = blocked {
        session.refuse(guard::REASON);
        tracing::warn!(
            conn, %addr, seconds_left = left.as_secs(),
            "refused a VNC viewer: its address failed authentication too often"
        );
    }
    let opened = tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        open(opening, &mut session, stream, addr, tls),
    )
    .await
    .unwrap_or_else(|_| Err(std::io::Error::other("no security negotiation in time")));
    let (mut transport, opened_tls) = match opened {
        Ok(opened) => opened,
        Err(e) => {
            tracing::info!(conn, %addr, error = %e, "RFB security negotiation failed");
            return Ok(());
        }
    };
    let peer = Peer::Rfb {
        addr,
        websocket: opening != Opening::Rfb,
        tls: opened_tls,
    };
    let view_only = match tokio::time::timeout(
        HANDSHAKE_TIMEOUT,
        handshake(&mut session, &mut transport),
    )
    .await
    {
        Ok(Ok(view_only)) => {
            shared.rfb_guard.succeeded(ip);
            view_only
        }
        Ok(Err(e)) => {
            if blocked.is_none() {
                tracing::warn!(conn, %peer, error = %e.message, "RFB handshake failed");
            }
            if e.bad_password {
                if let Some(block) = shared.rfb_guard.failed(ip, std::time::Instant::now()) {
                    tracing::warn!(
                        conn, %peer, seconds = block.as_secs(), failures = guard::THRESHOLD,
                        "blocking VNC connections from this address after failed \
                         authentications"
                    );
                }
            }
            return Ok(());
        }
        Err(_) => {
            let secs = HANDSHAKE_TIMEOUT.as_secs();
            return Err(std::io::Error::other(format!(
                "no RFB handshake within {secs} s"
            )));
        }
    };
    let access = if view_only {
        Access::ViewOnly
    } else {
        Access::Viewer
    };
    let (outbox_tx, outbox) = Outbox::channel();
    let (respond, answer) = oneshot::channel();
    let gone = || std::io::Error::other("server is shutting down");
    core.send(CoreMsg::Hello {
        conn,
        name: CLIENT_NAME.into(),
        peer,
        access,
        role: Role::Viewer,
        outbox: outbox_tx,
        respond,
    })
    .await
    .map_err(|_| gone())?;
    let limits = match answer.await {
        Ok(Ok(welcome)) => welcome.limits.selection,
        Ok(Err(refusal)) => return Err(refused(refusal)),
        Err(_) => return Err(gone()),
    };
    tracing::info!(conn, %peer, ?access, "VNC viewer connected");
    let mut viewer = RfbViewer {
        conn,
        core,
        session,
        transport,
        view_only,
        screen: PixelDecoder::new(Size::new(0, 0)),
        told_size: Size::new(0, 0),
        damage: Damage::default(),
        copies: Vec::new(),
        input: input::RfbInput::default(),
        max_side: shared.limits.max_side,
        next_seq: 0,
        next_input: 1,
        answers: shared.rfb_answers.take(addr).map(answer::Answers::new),
        clipboard: RfbClipboard {
            limits,
            ..RfbClipboard::default()
        },
    };
    let result = viewer.run(outbox).await;
    viewer.release_input().await;
    result
}

fn refused(refusal: Refusal) -> std::io::Error {
    std::io::Error::other(format!("refused by the core: {refusal}"))
}

/// Opens the connection as it began: a bare one with VeNCrypt offered (`tls`) or not, a
/// WebSocket on the bare socket, or the TLS handshake with the display's certificate and a
/// WebSocket inside. The transport, and whether it is in TLS.
async fn open(
    opening: Opening,
    session: &mut ServerSession,
    stream: TcpStream,
    addr: SocketAddr,
    tls: Option<&tokio_rustls::TlsAcceptor>,
) -> std::io::Result<(Transport, bool)> {
    match (opening, tls) {
        (Opening::Rfb, Some(tls)) => negotiate_tls(session, stream, tls.clone()).await,
        (Opening::Rfb, None) => Ok((Transport::over(stream), false)),
        (Opening::WebSocket, _) => Ok((Transport::websocket(stream, addr).await?, false)),
        (Opening::Tls, Some(tls)) => {
            let stream = tls
                .accept(stream)
                .await
                .map_err(|e| std::io::Error::other(format!("TLS handshake (wss://): {e}")))?;
            let stream = transport::expect_upgrade(stream).await?;
            Ok((Transport::websocket(stream, addr).await?, true))
        }
        (Opening::Tls, None) => Err(std::io::Error::other(
            "a TLS handshake on the RFB port, but the display has no TLS key (--insecure-tcp): \
             it serves RFB and ws:// in plain TCP only",
        )),
    }
}

/// Runs the handshake up to the choice of security type on the bare socket; if the viewer
/// chose VeNCrypt, runs the TLS handshake (the display's certificate) and gives the rest of
/// the connection in TLS, else the plain socket; whether it is TLS.
async fn negotiate_tls(
    session: &mut ServerSession,
    mut stream: TcpStream,
    tls: tokio_rustls::TlsAcceptor,
) -> std::io::Result<(Transport, bool)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 4096];
    loop {
        let output = session.take_output();
        stream.write_all(&output).await?;
        while let Some(event) = session.next_event() {
            if event == Event::StartTls {
                let stream = tls
                    .accept(stream)
                    .await
                    .map_err(|e| std::io::Error::other(format!("VeNCrypt's TLS handshake: {e}")))?;
                session.tls_started();
                return Ok((Transport::over(stream), true));
            }
        }
        if !session.negotiating_security() {
            return Ok((Transport::over(stream), false));
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(std::io::Error::other(
                "closed during the security negotiation",
            ));
        }
        if let Err(e) = session.receive(&buf[..n]) {
            let output = session.take_output();
            let _ = stream.write_all(&output).await;
            return Err(std::io::Error::other(e.to_string()));
        }
    }
}

/// Why a handshake did not end with a viewer.
struct HandshakeFailed {
    message: String,
    /// The viewer answered the challenge with a wrong password.
    bad_password: bool,
}

/// Runs the RFB handshake until the viewer is authenticated and initialised; whether it is
/// view-only. A failure (a wrong password) has its last message written before it returns.
async fn handshake(
    session: &mut ServerSession,
    transport: &mut Transport,
) -> Result<bool, HandshakeFailed> {
    loop {
        transport.send(session.take_output());
        while let Some(event) = session.next_event() {
            if let Event::Ready { view_only, .. } = event {
                return Ok(view_only);
            }
        }
        let Some(chunk) = transport.recv().await else {
            return Err(HandshakeFailed {
                message: "closed during the handshake".into(),
                bad_password: false,
            });
        };
        if let Err(e) = session.receive(&chunk) {
            transport.send(session.take_output());
            return Err(HandshakeFailed {
                bad_password: matches!(e, netui_rfb::RfbError::AuthenticationFailed),
                message: e.to_string(),
            });
        }
    }
}

/// One authenticated VNC viewer.
struct RfbViewer {
    conn: ConnId,
    core: mpsc::Sender<CoreMsg>,
    session: ServerSession,
    transport: Transport,
    view_only: bool,
    /// The screen as the core sent it.
    screen: PixelDecoder,
    /// The screen's size as the core last told it (its start message, or an update that
    /// resized the screen); updates give none otherwise.
    told_size: Size,
    /// What changed on it since the viewer's last update, and the moves among it.
    damage: Damage,
    copies: Vec<(Rect, netui_protocol::Point)>,
    input: input::RfbInput,
    /// The largest screen side the core accepts.
    max_side: u32,
    /// The sequence number of the next request handed to the core.
    next_seq: u32,
    /// The number of the next input.
    next_input: u64,
    /// Which inputs each update answers, if someone watches this connection.
    answers: Option<answer::Answers>,
    /// The clipboard between the viewer and the display.
    clipboard: RfbClipboard,
}

/// The clipboard of one VNC viewer: what it copied (the display's clipboard while this
/// connection owns it), and the display's text on its way to it.
#[derive(Debug, Default)]
struct RfbClipboard {
    limits: SelectionLimits,
    /// The text the viewer copied, while this connection owns the display's clipboard.
    held: Option<String>,
    /// The transfer under way from the display, and what has come of it.
    incoming: Option<(u32, Vec<u8>)>,
    next_transfer: u32,
}

impl RfbViewer {
    async fn run(&mut self, mut outbox: OutboxReceiver) -> std::io::Result<()> {
        let mode = ViewMode::Pixels(PixelEncoding::DeltaLz4);
        self.request(vec![Request::AttachViewer { mode }]).await?;
        if !self.view_only {
            self.request(vec![Request::WatchSelections]).await?;
        }
        let mut stalled_since = None;
        let drained = self.transport.drained();
        loop {
            tokio::select! {
                message = outbox.recv() => {
                    let Some(message) = message else {
                        return Err(std::io::Error::other("the core closed the connection"));
                    };
                    self.handle_core(message).await?;
                }
                chunk = self.transport.recv() => {
                    let Some(chunk) = chunk else { return Ok(()) };
                    if let Err(e) = self.session.receive(&chunk) {
                        self.transport.send(self.session.take_output());
                        return Err(std::io::Error::other(format!("bad RFB message: {e}")));
                    }
                    self.handle_viewer().await?;
                }
                () = drained.notified() => {}
                () = tokio::time::sleep(Duration::from_secs(1)), if stalled_since.is_some() => {}
            }
            self.update()?;
            // A viewer that reads nothing keeps its bytes pending: after a while it goes.
            if self.transport.pending() >= MAX_PENDING {
                let since = *stalled_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() > STALL_TIMEOUT {
                    return Err(std::io::Error::other(format!(
                        "the viewer read nothing for {} s",
                        STALL_TIMEOUT.as_secs()
                    )));
                }
            } else {
                stalled_since = None;
            }
        }
    }

    /// A message from the core: an update to apply to the copy of the screen (and to
    /// acknowledge at once), or anything else, which a VNC viewer has no use for.
    async fn handle_core(&mut self, message: ServerMessage) -> std::io::Result<()> {
        match message {
            ServerMessage::View(ViewMessage::Pixels {
                update,
                size,
                rects,
                input,
            }) => {
                if let Some(size) = size {
                    self.told_size = size;
                }
                let size = self.told_size;
                let resized = size != self.screen.canvas().size();
                let changed = self
                    .screen
                    .apply(size, &rects)
                    .map_err(|e| std::io::Error::other(format!("bad update from the core: {e}")))?;
                if resized {
                    self.damage = Damage::default();
                    self.copies.clear();
                    self.damage.add(Rect::from_size(size));
                }
                for rect in &rects {
                    if let RectEncoding::Copy { src } = rect.kind {
                        self.copies.push((rect.rect, src));
                    }
                }
                for rect in changed {
                    self.damage.add(rect);
                }
                if let (Some(answers), Some(input)) = (&mut self.answers, input) {
                    answers.input_answered(input);
                }
                self.request(vec![Request::AckUpdate { update }]).await
            }
            ServerMessage::View(ViewMessage::Start { size, .. }) => {
                // The screen is shown from the first update on, which gives no size of its own.
                self.told_size = size;
                Ok(())
            }
            ServerMessage::Error(report) => {
                tracing::debug!(conn = self.conn, ?report, "the core refused a request");
                Ok(())
            }
            ServerMessage::Event(event) => self.selection_event(event).await,
            _ => Ok(()),
        }
    }

    /// A selection event from the core: the display's clipboard changed (fetch its text for
    /// the viewer), a chunk of it, or a request for what the viewer copied.
    async fn selection_event(&mut self, event: netui_protocol::Event) -> std::io::Result<()> {
        use netui_protocol::selection::TEXT;
        use netui_protocol::Event;
        let clip = &mut self.clipboard;
        match event {
            Event::SelectionChanged {
                selection: Selection::Clipboard,
                types,
            } if types.iter().any(|t| t == TEXT) => {
                let transfer = clip.next_transfer;
                clip.next_transfer = transfer.wrapping_add(1);
                clip.incoming = Some((transfer, Vec::new()));
                let ask = Request::RequestSelection {
                    selection: Selection::Clipboard,
                    mime: TEXT.into(),
                    transfer,
                };
                self.request(vec![ask]).await
            }
            Event::SelectionData {
                transfer,
                data,
                more,
            } => {
                let Some((number, text)) = &mut clip.incoming else {
                    return Ok(());
                };
                if *number != transfer {
                    return Ok(());
                }
                text.extend_from_slice(&data);
                if text.len() > netui_rfb::message::MAX_CUT_TEXT {
                    // More than a cut text may carry: the viewer does not get it.
                    tracing::debug!(conn = self.conn, "the display's clipboard is too long");
                    clip.incoming = None;
                } else if !more {
                    if let Some((_, bytes)) = clip.incoming.take() {
                        let text = String::from_utf8_lossy(&bytes).into_owned();
                        self.session.send_cut_text(&text);
                    }
                }
                Ok(())
            }
            Event::SelectionFailed { transfer, .. } => {
                if clip.incoming.as_ref().is_some_and(|(n, _)| *n == transfer) {
                    clip.incoming = None;
                }
                Ok(())
            }
            Event::SelectionRequest { mime, transfer, .. } => {
                let answer = match (&clip.held, mime == TEXT) {
                    (Some(text), true) => {
                        let chunk = (clip.limits.max_chunk as usize).max(1);
                        let bytes = text.as_bytes();
                        let mut requests: Vec<Request> = bytes
                            .chunks(chunk)
                            .map(|piece| Request::SendSelection {
                                transfer,
                                data: piece.to_vec(),
                                more: true,
                            })
                            .collect();
                        match requests.last_mut() {
                            Some(Request::SendSelection { more, .. }) => *more = false,
                            _ => requests.push(Request::SendSelection {
                                transfer,
                                data: Vec::new(),
                                more: false,
                            }),
                        }
                        requests
                    }
                    _ => vec![Request::RefuseSelection { transfer }],
                };
                self.request(answer).await
            }
            Event::SelectionLost {
                selection: Selection::Clipboard,
            } => {
                clip.held = None;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The viewer copied `text`: it becomes the display's clipboard, served from here.
    async fn viewer_copied(&mut self, text: String) -> std::io::Result<()> {
        let keep = text.len() <= self.clipboard.limits.max_kept_text as usize;
        let claim = Request::ClaimSelection {
            selection: Selection::Clipboard,
            types: vec![netui_protocol::selection::TEXT.into()],
            text: keep.then(|| text.clone()),
        };
        self.clipboard.held = Some(text);
        self.request(vec![claim]).await
    }

    /// What the viewer asked for: input to forward, a resize.
    async fn handle_viewer(&mut self) -> std::io::Result<()> {
        let mut inputs = Vec::new();
        while let Some(event) = self.session.next_event() {
            tracing::trace!(conn = self.conn, ?event, "from the VNC viewer");
            match event {
                Event::Key {
                    down,
                    keysym,
                    keycode: _,
                } => {
                    self.input.key(down, keysym, &mut inputs);
                    self.input_message(inputs.len());
                }
                Event::Pointer { buttons, x, y } => {
                    self.input.pointer(buttons, x, y, &mut inputs);
                    self.input_message(inputs.len());
                }
                // The session reports it only for a viewer that may drive the display.
                Event::SetDesktopSize { width, height } => {
                    let size = Size::new(u32::from(width), u32::from(height));
                    let max = self.max_side;
                    if (1..=max).contains(&size.width) && (1..=max).contains(&size.height) {
                        let _ = self.core.send(CoreMsg::ResizeScreen(size)).await;
                    } else {
                        self.session
                            .refuse_desktop_size(DesktopSizeStatus::InvalidLayout);
                    }
                }
                // The session reports it only for a viewer that may drive the display.
                Event::CutText(text) => self.viewer_copied(text).await?,
                _ => {}
            }
        }
        // A view-only viewer's session reports no input (and the core would refuse it).
        self.send_input(inputs).await
    }

    /// Books an input message for a watcher: the inputs it produced are numbered up to
    /// `next_input - 1 + produced` (`produced` counts every input of this batch so far).
    fn input_message(&mut self, produced: usize) {
        if let Some(answers) = &mut self.answers {
            answers.message(self.next_input - 1 + produced as u64);
        }
    }

    async fn send_input(&mut self, inputs: Vec<InputEvent>) -> std::io::Result<()> {
        if inputs.is_empty() {
            return Ok(());
        }
        let requests = inputs
            .into_iter()
            .map(|input| {
                let seq = self.next_input;
                self.next_input += 1;
                Request::ViewerInput { seq, input }
            })
            .collect();
        self.request(requests).await
    }

    /// Lets go of whatever the viewer held down, so that no key or button stays pressed on
    /// the display after it left.
    async fn release_input(&mut self) {
        if self.view_only {
            return;
        }
        let mut inputs = Vec::new();
        self.input.release_all(&mut inputs);
        let _ = self.send_input(inputs).await;
    }

    /// Sends the viewer an update if it wants one and the last has left. The session keeps
    /// what it could not send yet (damage outside the area the viewer asked for); an
    /// unchanged screen costs nothing.
    fn update(&mut self) -> std::io::Result<()> {
        // Until the core's first update the copy of the screen is empty, and a viewer told
        // of a 0x0 desktop gives up.
        let has_screen = self.screen.canvas().size() != Size::new(0, 0);
        if has_screen && self.transport.pending() < MAX_PENDING && self.session.wants_update() {
            let damage = self.damage.take();
            let sent = self
                .session
                .send_update(self.screen.canvas(), &damage, &self.copies);
            self.copies.clear();
            sent.map_err(|e| std::io::Error::other(format!("cannot update the viewer: {e}")))?;
            let updates = self.session.updates_sent();
            if let Some(answers) = &mut self.answers {
                if !answers.written(updates) {
                    self.answers = None;
                }
            }
        }
        self.transport.send(self.session.take_output());
        Ok(())
    }

    /// Hands requests to the core, as a netui client's frame would.
    async fn request(&mut self, requests: Vec<Request>) -> std::io::Result<()> {
        let items = requests
            .into_iter()
            .map(|request| {
                self.next_seq = self.next_seq.wrapping_add(1);
                Incoming::new(self.next_seq, None, Ok(request))
            })
            .collect();
        self.core
            .send(CoreMsg::Batch {
                conn: self.conn,
                items,
                // A VNC viewer's requests are few and small (input, acknowledgements).
                permit: None,
            })
            .await
            .map_err(|_| std::io::Error::other("core gone"))
    }
}
