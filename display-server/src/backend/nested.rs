//! The screen as a window on another netui display (`display-server --nested`), as Xephyr and
//! Xnest are X servers whose screen is a window of another X server.
//!
//! The nested server is an ordinary application of the outer display, through the app
//! library: its screen is one window there. Two halves meet through a channel:
//!
//! - [`NestedBackend`], on the core's thread, copies each frame's damaged rectangles out of
//!   the screen (as the windowed backend does) and hands them on.
//! - [`Outer::run`], on a thread of its own, keeps a copy of the screen, writes what changed
//!   into the outer window with `PutImage` (all the frames that came while the previous one
//!   was on its way merged into one; a round trip after each, so that at most one is in
//!   flight and a slow outer display makes the nested one skip frames rather than queue
//!   them), and turns the outer window's events into the nested display's input: pointer,
//!   buttons, wheel, keys and modifiers into its window manager and applications, a resize
//!   of the outer window into a resize of the screen, `Expose` into its pixels again. It ends
//!   when the outer display goes away or asks the window to close, and says why.

use netui::{Display, Window};
use netui_protocol::{Event, ImageFormat, InputEvent, Modifiers, Rect, Size};
use netui_scene::scene::DESKTOP;
use netui_scene::Canvas;
use netui_window::Frame;
use tokio::sync::mpsc;

use super::Backend;
use crate::core::ScreenSink;

/// More damaged rectangles than this in one update go as their bounding box.
const MAX_RECTS: usize = 32;

/// The core's side: hands each frame's damage to [`Outer::run`].
#[derive(Debug)]
pub struct NestedBackend {
    frames: mpsc::UnboundedSender<Frame>,
}

impl Backend for NestedBackend {
    fn present(&mut self, screen: &Canvas, damage: &[Rect]) {
        // An error means the outer side has ended: the server is shutting down.
        let _ = self.frames.send(Frame::capture(screen, damage));
    }
}

/// Why the nested display's window ended.
#[derive(Debug)]
pub enum Ending {
    /// The outer display went away (or the connection to it failed); what it said.
    OuterGone(String),
    /// The outer display asked the window to close (its close button).
    Closed,
    /// The nested server stopped first.
    ServerStopped,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::OuterGone(why) => write!(f, "the outer display went away ({why})"),
            Ending::Closed => f.write_str("its window on the outer display was closed"),
            Ending::ServerStopped => f.write_str("the nested server stopped"),
        }
    }
}

/// The nested screen's window on the outer display.
pub struct Outer {
    display: Display,
    window: Window,
    /// What the outer window shows (the nested screen as last sent).
    mirror: Canvas,
    /// Damage received and not yet sent.
    pending: Vec<Rect>,
    /// The modifiers last passed on.
    modifiers: Modifiers,
    /// Bytes of pixels sent, and updates.
    sent: (u64, u64),
}

impl Outer {
    /// Opens a window of `size` titled `title` on the outer display `outer` (`None`:
    /// `NETUI_DISPLAY`) for the nested screen, and the backend whose frames it shows.
    pub fn open(
        outer: Option<&str>,
        title: &str,
        size: Size,
    ) -> Result<(Self, NestedBackend, mpsc::UnboundedReceiver<Frame>), netui::Error> {
        let mut display = Display::connect(outer)?;
        let window =
            display.create_window(Rect::new(0, 0, size.width, size.height), title, DESKTOP)?;
        display.map(window);
        display.sync()?;
        let (tx, rx) = mpsc::unbounded_channel();
        Ok((
            Self {
                display,
                window,
                mirror: Canvas::new(size.width, size.height, DESKTOP),
                pending: Vec::new(),
                modifiers: Modifiers::NONE,
                sent: (0, 0),
            },
            NestedBackend { frames: tx },
            rx,
        ))
    }

    /// The outer display's name for itself (`:N`), for messages.
    pub fn outer_name(&mut self) -> String {
        self.display
            .server_info()
            .map(|i| i.display)
            .unwrap_or_else(|_| "?".into())
    }

    /// Shows frames and forwards input until the outer display goes away, closes the window,
    /// or the server stops (`frames` ends); `sink` takes the input and resizes.
    pub fn run(mut self, mut frames: mpsc::UnboundedReceiver<Frame>, sink: ScreenSink) -> Ending {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(e) => return Ending::OuterGone(format!("cannot start a runtime: {e}")),
        };
        let ending = runtime.block_on(async {
            loop {
                tokio::select! {
                    frame = frames.recv() => {
                        let Some(frame) = frame else {
                            return Ending::ServerStopped;
                        };
                        self.take(frame);
                        // Every frame that came meanwhile goes in the same update.
                        while let Ok(frame) = frames.try_recv() {
                            self.take(frame);
                        }
                        if let Err(ending) = self.send() {
                            return ending;
                        }
                    }
                    event = self.display.next_event() => match event {
                        Ok(event) => {
                            if let Some(ending) = self.event(event, &sink) {
                                return ending;
                            }
                        }
                        Err(e) => return Ending::OuterGone(e.to_string()),
                    }
                }
            }
        });
        tracing::debug!(
            bytes = self.sent.0,
            updates = self.sent.1,
            "nested screen: {ending}"
        );
        ending
    }

    /// Writes a frame into the mirror and remembers its damage.
    fn take(&mut self, frame: Frame) {
        if frame.size != self.mirror.size() {
            // The screen was resized: all of it goes again.
            self.mirror = Canvas::new(frame.size.width, frame.size.height, DESKTOP);
            self.pending.clear();
            self.pending.push(self.mirror.bounds());
        }
        let written = frame.apply(&mut self.mirror);
        self.pending.extend(written);
    }

    /// Sends the pending damage as images, then waits for the outer display to have drawn
    /// them (one update in flight at most).
    fn send(&mut self) -> Result<(), Ending> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut rects = std::mem::take(&mut self.pending);
        if rects.len() > MAX_RECTS {
            let bounds = rects.iter().fold(Rect::new(0, 0, 0, 0), |a, r| a.union(*r));
            rects = vec![bounds];
        }
        for rect in rects {
            let rect = rect.intersect(self.mirror.bounds());
            if rect.is_empty() {
                continue;
            }
            let data = rgb(&self.mirror, rect);
            self.sent.0 += data.len() as u64;
            self.display
                .put_image(self.window, rect, ImageFormat::Rgb8, &data);
        }
        self.sent.1 += 1;
        match self.display.sync() {
            Ok(()) => Ok(()),
            // A request the outer display refused (the window resized under it, say): the
            // next update puts it right.
            Err(netui::Error::Request(report)) => {
                tracing::debug!("the outer display refused an update: {report}");
                Ok(())
            }
            Err(e) => Err(Ending::OuterGone(e.to_string())),
        }
    }

    /// Passes one of the outer window's events on; `Some` when it ends the nested display.
    fn event(&mut self, event: Event, sink: &ScreenSink) -> Option<Ending> {
        let pressed = matches!(event, Event::KeyPress(_));
        match event {
            Event::PointerMotion { pos, .. } | Event::Enter { pos, .. } => {
                sink.input(InputEvent::PointerMoved(pos));
            }
            Event::Leave { .. } => sink.input(InputEvent::PointerLeft),
            Event::ButtonPress { button, pos, .. } => {
                sink.input(InputEvent::PointerMoved(pos));
                sink.input(InputEvent::Button {
                    button,
                    pressed: true,
                });
            }
            Event::ButtonRelease { button, pos, .. } => {
                sink.input(InputEvent::PointerMoved(pos));
                sink.input(InputEvent::Button {
                    button,
                    pressed: false,
                });
            }
            Event::Wheel { dx, dy, pos, .. } => {
                sink.input(InputEvent::PointerMoved(pos));
                sink.input(InputEvent::Wheel { dx, dy });
            }
            Event::KeyPress(key) | Event::KeyRelease(key) => {
                if key.modifiers != self.modifiers {
                    self.modifiers = key.modifiers;
                    sink.input(InputEvent::Modifiers(key.modifiers));
                }
                sink.input(InputEvent::Key {
                    key: key.key,
                    pressed,
                    text: if pressed { key.text } else { String::new() },
                });
            }
            Event::FocusOut { .. } if self.modifiers != Modifiers::NONE => {
                // Keys held when the focus left will not be released here.
                self.modifiers = Modifiers::NONE;
                sink.input(InputEvent::Modifiers(Modifiers::NONE));
            }
            Event::Configure { rect, .. }
                if rect.size() != self.mirror.size() && rect.width > 0 && rect.height > 0 =>
            {
                // The outer display is another machine's word: no screen beyond the limits.
                let max = netui_protocol::Limits::default().max_side;
                sink.resize(Size::new(rect.width.min(max), rect.height.min(max)));
            }
            Event::Expose { area, .. } => {
                self.pending.push(area);
                if let Err(ending) = self.send() {
                    return Some(ending);
                }
            }
            Event::CloseRequested { .. } => return Some(Ending::Closed),
            _ => {}
        }
        None
    }
}

/// The pixels of `rect` (inside `canvas`) as RGB bytes.
fn rgb(canvas: &Canvas, rect: Rect) -> Vec<u8> {
    let width = canvas.width() as usize;
    let mut data = Vec::with_capacity(rect.size().area() as usize * 3);
    for y in rect.y..rect.y + rect.height as i32 {
        let start = y as usize * width + rect.x as usize;
        for &pixel in &canvas.pixels()[start..start + rect.width as usize] {
            data.extend_from_slice(&[(pixel >> 16) as u8, (pixel >> 8) as u8, pixel as u8]);
        }
    }
    data
}

/// Runs display `launched` with its screen in a window of `size` on the outer display `outer`
/// (`None`: `NETUI_DISPLAY`) until the outer display goes away, closes the window, or the
/// process is told to stop (Ctrl-C, SIGTERM); `ready` is called once the window is open.
/// Returns why it ended (`None`: told to stop).
pub fn serve(
    runtime: &tokio::runtime::Runtime,
    launched: crate::launch::Launched,
    size: Size,
    outer: Option<&str>,
    ready: impl FnOnce(&crate::launch::Launched),
) -> Result<Option<Ending>, crate::ServerError> {
    let title = format!("netui :{} (nested)", launched.number);
    let (outer, backend, frames) = match Outer::open(outer, &title, size) {
        Ok(opened) => opened,
        Err(e) => {
            // Nothing of a display that never ran stays behind.
            launched.discard();
            return Err(crate::ServerError::Nested(format!(
                "cannot open a window on the outer display: {e}"
            )));
        }
    };
    ready(&launched);
    let sink = launched.server.screen_sink();
    let (ended_tx, ended_rx) = tokio::sync::oneshot::channel();
    // Not joined: when the server stops first it ends with its frames, or with the process.
    std::thread::Builder::new()
        .name("netui-nested".into())
        .spawn(move || {
            let _ = ended_tx.send(outer.run(frames, sink));
        })
        .map_err(|e| crate::ServerError::Io("cannot start the nested screen's thread".into(), e))?;
    let mut ending = None;
    runtime.block_on(launched.run(Box::new(backend), async {
        tokio::select! {
            () = crate::launch::shutdown_signal() => {}
            ended = ended_rx => ending = ended.ok(),
        }
    }))?;
    Ok(ending)
}
