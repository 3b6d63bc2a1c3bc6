//! The viewer's window: the remote screen, the user's input sent back, and an overlay with the
//! live measurements and a mode toggle.
//!
//! Keys: Ctrl+Alt+M switches between command and pixel mode, Ctrl+Alt+E cycles the pixel
//! encoding, Ctrl+Alt+O shows or hides the overlay. A click on the overlay's mode button
//! switches mode too. Everything else goes to the remote display.

use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::mpsc::Sender;

use netui_protocol::{Color, Font, InputEvent, PixelEncoding, Point, Rect, Size, ViewMode};
use netui_server::backend::windowed::{copy_rects, input_from_winit, Frame};
use netui_server::render::{Canvas, Fonts};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::keyboard::{Key, ModifiersState};
use winit::window::{Window, WindowId};

use crate::net::NetMsg;

/// What the network thread tells the window.
#[derive(Debug)]
pub enum ViewerEvent {
    /// New pixels.
    Frame(Frame),
    /// The overlay's lines and the mode in force.
    Status {
        /// Lines of text.
        lines: Vec<String>,
        /// The mode.
        mode: Option<ViewMode>,
    },
    /// The connection ended; close with this message.
    Closed(String),
}

const OVERLAY: Rect = Rect::new(8, 8, 470, 82);
const BUTTON: Rect = Rect::new(8 + 470 - 118, 8 + 6, 110, 22);

/// The window and its copy of the remote screen.
pub struct ViewerWindow {
    title: String,
    net: Sender<NetMsg>,
    mirror: Canvas,
    damage: Vec<Rect>,
    overlay: bool,
    lines: Vec<String>,
    mode: Option<ViewMode>,
    encoding: PixelEncoding,
    fonts: Fonts,
    modifiers: ModifiersState,
    pointer: Point,
    window: Option<Rc<Window>>,
    surface: Option<softbuffer::Surface<Rc<Window>, Rc<Window>>>,
    /// Why the viewer stopped, when it was not the user.
    pub error: Option<String>,
}

impl ViewerWindow {
    /// A window for a remote screen of `size`.
    pub fn new(title: String, size: Size, net: Sender<NetMsg>, encoding: PixelEncoding) -> Self {
        ViewerWindow {
            title,
            net,
            mirror: Canvas::new(size.width, size.height, Color::BLACK),
            damage: Vec::new(),
            overlay: true,
            lines: Vec::new(),
            mode: None,
            encoding,
            fonts: Fonts::new(),
            modifiers: ModifiersState::empty(),
            pointer: Point::default(),
            window: None,
            surface: None,
            error: None,
        }
    }

    fn input(&self, input: InputEvent) {
        let _ = self.net.send(NetMsg::Input(input));
    }

    fn toggle_mode(&mut self) {
        let next = match self.mode {
            Some(ViewMode::Commands) | None => ViewMode::Pixels(self.encoding),
            Some(ViewMode::Pixels(_)) => ViewMode::Commands,
        };
        let _ = self.net.send(NetMsg::SetMode(next));
    }

    fn next_encoding(&mut self) {
        let all = PixelEncoding::ALL;
        let i = all.iter().position(|e| *e == self.encoding).unwrap_or(0);
        self.encoding = all[(i + 1) % all.len()];
        let _ = self
            .net
            .send(NetMsg::SetMode(ViewMode::Pixels(self.encoding)));
    }

    fn redraw(&mut self) -> Result<(), String> {
        let (Some(window), Some(surface)) = (&self.window, &mut self.surface) else {
            return Ok(());
        };
        let size = window.inner_size();
        let (Some(w), Some(h)) = (NonZeroU32::new(size.width), NonZeroU32::new(size.height)) else {
            return Ok(());
        };
        surface.resize(w, h).map_err(|e| e.to_string())?;
        let mut buffer = surface.buffer_mut().map_err(|e| e.to_string())?;
        let target = Rect::new(0, 0, size.width, size.height);
        let mut rects: Vec<Rect> = if buffer.age() == 1 {
            std::mem::take(&mut self.damage)
        } else {
            vec![target]
        };
        self.damage.clear();
        // The overlay lies over the screen copy, so its area is repainted every time.
        rects.push(OVERLAY);
        let width = size.width as usize;
        let presented = copy_rects(&mut buffer, size.width, &self.mirror, &rects, 0);
        if self.overlay {
            let panel = overlay(&self.mirror, &self.lines, self.mode, &mut self.fonts);
            let area = OVERLAY.intersect(target);
            for row in 0..area.height as usize {
                let start = (area.y as usize + row) * width + area.x as usize;
                let src = row * panel.width() as usize;
                buffer[start..start + area.width as usize]
                    .copy_from_slice(&panel.pixels()[src..src + area.width as usize]);
            }
        }
        buffer
            .present_with_damage(&presented)
            .map_err(|e| e.to_string())
    }
}

/// The overlay: the screen under it, darkened, with the lines and the mode button on top.
fn overlay(screen: &Canvas, lines: &[String], mode: Option<ViewMode>, fonts: &mut Fonts) -> Canvas {
    let mut panel = Canvas::new(OVERLAY.width, OVERLAY.height, Color::BLACK);
    let all = panel.bounds();
    panel.copy_from(screen, OVERLAY, Point::new(0, 0), all);
    panel.fill_rect(all, Color::rgba(0x10, 0x14, 0x1c, 220), all);
    for (i, line) in lines.iter().enumerate() {
        let pos = Point::new(8, 6 + i as i32 * 18);
        panel.text(
            fonts,
            pos,
            Font::Mono,
            12,
            Color::rgb(0xec, 0xef, 0xf4),
            line,
            all,
        );
    }
    let label = match mode {
        Some(ViewMode::Commands) => "to pixels",
        _ => "to commands",
    };
    let button = BUTTON.translate(-OVERLAY.x, -OVERLAY.y);
    panel.fill_rect(button, Color::rgb(0x3b, 0x5b, 0x98), all);
    panel.text(
        fonts,
        Point::new(button.x + 10, button.y + 3),
        Font::Sans,
        12,
        Color::WHITE,
        label,
        all,
    );
    panel
}

impl ApplicationHandler<ViewerEvent> for ViewerWindow {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_some() {
            return;
        }
        let size = self.mirror.size();
        let attributes = Window::default_attributes()
            .with_title(self.title.clone())
            .with_inner_size(PhysicalSize::new(size.width, size.height));
        let opened = event_loop
            .create_window(attributes)
            .map_err(|e| e.to_string())
            .and_then(|w| {
                let w = Rc::new(w);
                let context = softbuffer::Context::new(w.clone()).map_err(|e| e.to_string())?;
                let surface =
                    softbuffer::Surface::new(&context, w.clone()).map_err(|e| e.to_string())?;
                Ok((w, surface))
            });
        match opened {
            Ok((w, surface)) => {
                self.window = Some(w);
                self.surface = Some(surface);
            }
            Err(e) => {
                self.error = Some(format!("cannot open the viewer window: {e}"));
                event_loop.exit();
            }
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: ViewerEvent) {
        match event {
            ViewerEvent::Frame(frame) => {
                if frame.size != self.mirror.size() {
                    self.mirror
                        .resize(frame.size.width, frame.size.height, Color::BLACK);
                    if let Some(w) = &self.window {
                        let _ = w.request_inner_size(PhysicalSize::new(
                            frame.size.width,
                            frame.size.height,
                        ));
                    }
                }
                let written = frame.apply(&mut self.mirror);
                self.damage.extend(written);
            }
            ViewerEvent::Status { lines, mode } => {
                self.lines = lines;
                self.mode = mode;
            }
            ViewerEvent::Closed(why) => {
                self.error = Some(why);
                event_loop.exit();
                return;
            }
        }
        if let Some(w) = &self.window {
            w.request_redraw();
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        // What the viewer keeps for itself: closing, drawing, its key combinations and its
        // overlay button. Everything else goes to the remote display.
        match &event {
            WindowEvent::CloseRequested => return event_loop.exit(),
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.redraw() {
                    self.error = Some(format!("cannot present: {e}"));
                    event_loop.exit();
                }
                return;
            }
            WindowEvent::ModifiersChanged(m) => self.modifiers = m.state(),
            WindowEvent::KeyboardInput { event: key, .. } => {
                let local = self.modifiers.control_key() && self.modifiers.alt_key();
                if let (true, Key::Character(c)) = (local, &key.logical_key) {
                    if key.state == ElementState::Pressed {
                        self.shortcut(c);
                    }
                    return;
                }
            }
            WindowEvent::CursorMoved { position, .. } => {
                self.pointer = Point::new(position.x.round() as i32, position.y.round() as i32);
            }
            WindowEvent::MouseInput { state, .. }
                if self.overlay && BUTTON.contains(self.pointer) =>
            {
                if *state == ElementState::Pressed {
                    self.toggle_mode();
                }
                return;
            }
            _ => {}
        }
        if let Some(input) = input_from_winit(&event) {
            self.input(input);
        }
    }
}

impl ViewerWindow {
    /// Ctrl+Alt+M, E and O.
    fn shortcut(&mut self, c: &str) {
        match c.to_lowercase().as_str() {
            "m" => self.toggle_mode(),
            "e" => self.next_encoding(),
            "o" => {
                self.overlay = !self.overlay;
                self.damage.push(OVERLAY);
                if let Some(w) = &self.window {
                    w.request_redraw();
                }
            }
            _ => {}
        }
    }
}
