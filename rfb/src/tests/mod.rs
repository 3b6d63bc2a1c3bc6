//! Tests across modules: a [`ServerSession`] and a [`Client`] talking through an in-memory
//! pipe, with real bytes both ways.

mod bad_input;
mod handshake;
pub(crate) mod pixels;

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::rc::Rc;

use netui_protocol::{Color, Point, Rect, Size};
use netui_scene::render::Canvas;

use crate::client::Client;
use crate::{Event, Passwords, RfbError, ServerSession};

/// The server's end: a session, the screen it shows, and what changed since the last update.
pub(crate) struct Server {
    pub session: ServerSession,
    pub screen: Canvas,
    pub damage: Vec<Rect>,
    pub copies: Vec<(Rect, Point)>,
    pub events: Vec<Event>,
    pub error: Option<RfbError>,
    /// Client to server, not yet received.
    inbox: Vec<u8>,
    /// Server to client, not yet read.
    outbox: VecDeque<u8>,
    /// Every byte the server has sent.
    pub sent: usize,
}

impl Server {
    /// Delivers what the client wrote, and sends an update when one is wanted.
    pub fn pump(&mut self) {
        let inbox = std::mem::take(&mut self.inbox);
        if self.error.is_none() {
            if let Err(e) = self.session.receive(&inbox) {
                self.error = Some(e);
            }
        }
        while let Some(e) = self.session.next_event() {
            self.events.push(e);
        }
        if self.error.is_none() && self.session.wants_update() {
            let result = self
                .session
                .send_update(&self.screen, &self.damage, &self.copies);
            if let Err(e) = result {
                self.error = Some(e);
            }
            self.damage.clear();
            self.copies.clear();
        }
        let out = self.session.take_output();
        self.sent += out.len();
        self.outbox.extend(out);
    }

    /// Changes the screen: `f` draws and returns the damage.
    pub fn draw(&mut self, f: impl FnOnce(&mut Canvas) -> Rect) {
        let damage = f(&mut self.screen);
        self.damage.push(damage);
    }

    /// Moves `src` to `dst` on the screen, as a window manager scrolling would.
    pub fn copy(&mut self, src: Rect, dst: Point) {
        let bounds = self.screen.bounds();
        let done = self.screen.copy_within(src, dst, bounds);
        let from = Point::new(done.x - dst.x + src.x, done.y - dst.y + src.y);
        self.damage.push(done);
        self.copies.push((done, from));
    }
}

/// The client's end of the pipe; reading runs the server when nothing is waiting.
#[derive(Clone)]
pub(crate) struct Pipe(pub Rc<RefCell<Server>>);

impl Read for Pipe {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut server = self.0.borrow_mut();
        if server.outbox.is_empty() {
            server.pump();
        }
        if server.outbox.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the server has nothing to send",
            ));
        }
        let n = buf.len().min(server.outbox.len());
        for (b, v) in buf.iter_mut().zip(server.outbox.drain(..n)) {
            *b = v;
        }
        Ok(n)
    }
}

impl Write for Pipe {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().inbox.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(crate) const CHALLENGE: [u8; 16] = *b"0123456789abcdef";

pub(crate) fn passwords() -> Passwords {
    Passwords {
        full: "secret".into(),
        view_only: Some("look".into()),
    }
}

/// A server showing `screen`, and a pipe to it.
pub(crate) fn serve(screen: Canvas) -> Pipe {
    let session = ServerSession::new(passwords(), CHALLENGE, screen.size(), "netui test");
    Pipe(Rc::new(RefCell::new(Server {
        session,
        screen,
        damage: Vec::new(),
        copies: Vec::new(),
        events: Vec::new(),
        error: None,
        inbox: Vec::new(),
        outbox: VecDeque::new(),
        sent: 0,
    })))
}

/// A client connected with the full password.
pub(crate) fn connect(screen: Canvas, encodings: &[i32]) -> (Pipe, Client<Pipe>) {
    let pipe = serve(screen);
    let client = Client::connect(pipe.clone(), "secret", encodings).expect("handshake");
    (pipe, client)
}

/// A small deterministic random generator (xorshift), so tests need no crate for it.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 32) as u32
    }
}

/// A screen of `size` with some of everything: a gradient, text-like strokes, noise, and
/// solid areas.
pub(crate) fn busy_screen(size: Size, seed: u64) -> Canvas {
    let mut c = Canvas::new(size.width, size.height, Color::rgb(30, 60, 90));
    let (w, h) = (size.width as usize, size.height as usize);
    let mut rng = Rng(seed | 1);
    for (i, p) in c.pixels_mut().iter_mut().enumerate() {
        let (x, y) = (i % w, i / w);
        if y < h / 3 {
            // Gradient.
            *p = ((x * 255 / w.max(1)) as u32) << 16 | ((y * 255 / h.max(1)) as u32) << 8 | 0x40;
        } else if y < h * 2 / 3 && x < w / 2 {
            // Text-like: dark strokes on white.
            let stroke = (x % 7 == 1 && y % 11 < 8) || (y % 11 == 4 && x % 7 < 5);
            *p = if stroke { 0x0010_1010 } else { 0x00ff_ffff };
        } else if y >= h * 2 / 3 && x >= w / 2 {
            // Noise.
            *p = rng.next() & 0x00ff_ffff;
        }
        // Elsewhere: the solid fill.
    }
    c
}
