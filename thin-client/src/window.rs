//! The viewer's window: the remote screen, the user's input sent back, and an overlay with the
//! live measurements and a mode toggle.
//!
//! Keys: Ctrl+Alt+M cycles auto, command and pixel mode, Ctrl+Alt+E cycles the pixel
//! encoding (and leaves auto), Ctrl+Alt+O shows or hides the overlay. A click on the
//! overlay's mode button switches mode too. Everything else goes to the remote display.

use std::sync::mpsc::Sender;

use netui_protocol::{Color, Font, InputEvent, PixelEncoding, Point, Rect, Size, ViewMode};
use netui_scene::render::{Canvas, Fonts};
use netui_window::{input_from_winit, Frame, Presenter};
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, WindowEvent};
use winit::event_loop::ActiveEventLoop;
use winit::keyboard::{Key, ModifiersState};
use winit::window::WindowId;

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
        /// Whether `auto` chooses the mode.
        auto: bool,
    },
    /// The connection ended; close with this message.
    Closed(String),
}

const OVERLAY: Rect = Rect::new(8, 8, 560, 100);
const BUTTON: Rect = Rect::new(8 + 560 - 118, 8 + 6, 110, 22);

/// The window and its copy of the remote screen.
pub struct ViewerWindow {
    title: String,
    net: Sender<NetMsg>,
    presenter: Presenter,
    overlay: bool,
    lines: Vec<String>,
    mode: Option<ViewMode>,
    /// Whether `auto` chooses the mode.
    pub auto: bool,
    encoding: PixelEncoding,
    fonts: Fonts,
    modifiers: ModifiersState,
    pointer: Point,
    /// Why the viewer stopped, when it was not the user.
    pub error: Option<String>,
}

impl ViewerWindow {
    /// A window for a remote screen of `size`.
    pub fn new(title: String, size: Size, net: Sender<NetMsg>, encoding: PixelEncoding) -> Self {
        ViewerWindow {
            title,
            net,
            presenter: Presenter::new(size, Color::BLACK),
            overlay: true,
            lines: Vec::new(),
            mode: None,
            auto: false,
            encoding,
            fonts: Fonts::new(),
            modifiers: ModifiersState::empty(),
            pointer: Point::default(),
            error: None,
        }
    }

    fn input(&self, input: InputEvent) {
        let _ = self.net.send(NetMsg::Input(input));
    }

    /// Auto, then commands, then pixels, then auto again.
    fn toggle_mode(&mut self) {
        let next = match (self.auto, self.mode) {
            (true, _) => NetMsg::SetMode(ViewMode::Commands),
            (false, Some(ViewMode::Commands) | None) => {
                NetMsg::SetMode(ViewMode::Pixels(self.encoding))
            }
            (false, Some(ViewMode::Pixels(_))) => NetMsg::Auto(self.encoding),
        };
        self.auto = matches!(next, NetMsg::Auto(_));
        let _ = self.net.send(next);
    }

    fn next_encoding(&mut self) {
        let all = PixelEncoding::ALL;
        let i = all.iter().position(|e| *e == self.encoding).unwrap_or(0);
        self.encoding = all[(i + 1) % all.len()];
        self.auto = false;
        let _ = self
            .net
            .send(NetMsg::SetMode(ViewMode::Pixels(self.encoding)));
    }

    /// Presents what changed, and the overlay over it (its area is repainted every time:
    /// it shows the screen under it, darkened).
    fn redraw(&mut self) -> Result<(), String> {
        let (shown, lines, fonts) = (self.overlay, &self.lines, &mut self.fonts);
        let label = button_label(self.auto, self.mode);
        self.presenter
            .redraw(Some(OVERLAY), |buffer, width, mirror| {
                if !shown {
                    return;
                }
                let panel = overlay(mirror, lines, label, fonts);
                let height = (buffer.len() / width.max(1) as usize) as u32;
                let area = OVERLAY.intersect(Rect::new(0, 0, width, height));
                for row in 0..area.height as usize {
                    let start = (area.y as usize + row) * width as usize + area.x as usize;
                    let src = row * panel.width() as usize;
                    buffer[start..start + area.width as usize]
                        .copy_from_slice(&panel.pixels()[src..src + area.width as usize]);
                }
            })
    }
}

/// What the mode button switches to.
fn button_label(auto: bool, mode: Option<ViewMode>) -> &'static str {
    match (auto, mode) {
        (true, _) => "to commands",
        (false, Some(ViewMode::Commands) | None) => "to pixels",
        (false, Some(ViewMode::Pixels(_))) => "to auto",
    }
}

/// The overlay: the screen under it, darkened, with the lines and the mode button on top.
fn overlay(screen: &Canvas, lines: &[String], label: &str, fonts: &mut Fonts) -> Canvas {
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
        if self.presenter.is_open() {
            return;
        }
        if let Err(e) = self.presenter.open(event_loop, &self.title) {
            self.error = Some(format!("cannot open the viewer window: {e}"));
            event_loop.exit();
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: ViewerEvent) {
        match event {
            ViewerEvent::Frame(frame) => {
                if frame.size != self.presenter.mirror().size() {
                    self.presenter.resize(frame.size);
                    if let Some(w) = self.presenter.window() {
                        let _ = w.request_inner_size(PhysicalSize::new(
                            frame.size.width,
                            frame.size.height,
                        ));
                    }
                }
                self.presenter.apply(&frame);
            }
            ViewerEvent::Status { lines, mode, auto } => {
                self.lines = lines;
                self.mode = mode;
                self.auto = auto;
            }
            ViewerEvent::Closed(why) => {
                self.error = Some(why);
                event_loop.exit();
                return;
            }
        }
        self.presenter.request_redraw();
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
            WindowEvent::KeyboardInput {
                event: key,
                is_synthetic,
                ..
            } => {
                let local = self.modifiers.control_key() && self.modifiers.alt_key();
                if let (true, Key::Character(c)) = (local, &key.logical_key) {
                    // Not a press that winit made up for a key held as the focus came
                    // (see `netui_window::input_from_winit`).
                    if key.state == ElementState::Pressed && !is_synthetic {
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
                self.presenter.damage(OVERLAY);
            }
            _ => {}
        }
    }
}
