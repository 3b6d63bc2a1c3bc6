//! The screen as a real window (winit + softbuffer).
//!
//! winit wants the main thread, and the core has its own, so the two meet through channels:
//! the core's [`WindowBackend`] copies each frame's damaged rectangles into a [`Frame`] and
//! wakes the event loop with it; the main thread's [`ScreenWindow`] keeps a copy of the screen,
//! presents only the damaged rectangles, and sends keyboard, pointer and resize events to the
//! core through a [`ScreenLink`]. The event loop waits for events: an idle desktop costs no CPU.

use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netui_protocol::{Button, Key, Modifiers, Point, Rect, Size};
use tokio::sync::mpsc;
use winit::application::ApplicationHandler;
use winit::dpi::PhysicalSize;
use winit::event::{ElementState, MouseButton, MouseScrollDelta, WindowEvent};
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::keyboard::{Key as WinitKey, NamedKey};
use winit::window::{Window, WindowId};

use super::{Backend, DEFAULT_FRAME_INTERVAL};
use crate::core::CoreMsg;
use crate::input::InputEvent;
use crate::render::Canvas;
use crate::scene::DESKTOP;

/// What wakes the event loop.
#[derive(Debug)]
pub enum UserEvent {
    /// New pixels for the window.
    Frame(Frame),
    /// The server stopped: close the window.
    Quit,
}

/// The damaged pixels of one composited frame.
#[derive(Debug)]
pub struct Frame {
    /// The screen's size when the frame was composited.
    pub size: Size,
    /// Each damaged rectangle and its pixels, row-major.
    pub rects: Vec<(Rect, Vec<u32>)>,
}

impl Frame {
    /// Copies the damaged rectangles out of the screen.
    pub fn capture(screen: &Canvas, damage: &[Rect]) -> Frame {
        let width = screen.width() as usize;
        let rects = damage
            .iter()
            .map(|&r| r.intersect(screen.bounds()))
            .filter(|r| !r.is_empty())
            .map(|r| {
                let mut pixels = Vec::with_capacity(r.size().area() as usize);
                for y in r.y..r.y + r.height as i32 {
                    let start = y as usize * width + r.x as usize;
                    pixels.extend_from_slice(&screen.pixels()[start..start + r.width as usize]);
                }
                (r, pixels)
            })
            .collect();
        Frame {
            size: screen.size(),
            rects,
        }
    }

    /// Writes the rectangles into a copy of the screen (clipped to it, should the sizes differ
    /// while a resize is on its way) and returns the rectangles written.
    pub fn apply(&self, mirror: &mut Canvas) -> Vec<Rect> {
        let width = mirror.width() as usize;
        let bounds = mirror.bounds();
        let mut written = Vec::with_capacity(self.rects.len());
        for (rect, pixels) in &self.rects {
            let visible = rect.intersect(bounds);
            if visible.is_empty() {
                continue;
            }
            let src_width = rect.width as usize;
            for row in 0..visible.height as usize {
                let sy = (visible.y - rect.y) as usize + row;
                let sx = (visible.x - rect.x) as usize;
                let src = &pixels[sy * src_width + sx..][..visible.width as usize];
                let start = (visible.y as usize + row) * width + visible.x as usize;
                mirror.pixels_mut()[start..start + visible.width as usize].copy_from_slice(src);
            }
            written.push(visible);
        }
        written
    }
}

/// The core's side: hands frames to the window's thread.
#[derive(Debug)]
pub struct WindowBackend {
    proxy: EventLoopProxy<UserEvent>,
    interval_ns: Arc<AtomicU64>,
}

impl WindowBackend {
    /// A backend that wakes `proxy`'s event loop with each frame. `interval_ns` is set by the
    /// window once it knows the monitor's refresh rate.
    pub fn new(proxy: EventLoopProxy<UserEvent>, interval_ns: Arc<AtomicU64>) -> Self {
        Self { proxy, interval_ns }
    }
}

impl Backend for WindowBackend {
    fn present(&mut self, screen: &Canvas, damage: &[Rect]) {
        // An error means the event loop has ended: the server is shutting down.
        let _ = self
            .proxy
            .send_event(UserEvent::Frame(Frame::capture(screen, damage)));
    }

    fn frame_interval(&self) -> Duration {
        match self.interval_ns.load(Ordering::Relaxed) {
            0 => DEFAULT_FRAME_INTERVAL,
            ns => Duration::from_nanos(ns),
        }
    }
}

/// The window thread's way to the core: input and resizes. They travel on their own channel,
/// which the core reads before any client's requests, so input overtakes bulk drawing.
#[derive(Debug, Clone)]
pub struct ScreenLink {
    tx: mpsc::UnboundedSender<CoreMsg>,
}

impl ScreenLink {
    /// Wraps the core's screen channel.
    pub fn new(tx: mpsc::UnboundedSender<CoreMsg>) -> Self {
        Self { tx }
    }

    /// Sends input to the core.
    pub fn input(&self, event: InputEvent) {
        // Fails only once the core has stopped; then nobody needs the input.
        let _ = self.tx.send(CoreMsg::Input(event));
    }

    /// Tells the core the screen's new size.
    pub fn resize(&self, size: Size) {
        let _ = self.tx.send(CoreMsg::ResizeScreen(size));
    }
}

/// The main thread's side: the window that is the screen.
pub struct ScreenWindow {
    link: ScreenLink,
    title: String,
    mirror: Canvas,
    damage: Vec<Rect>,
    interval_ns: Arc<AtomicU64>,
    window: Option<Rc<Window>>,
    surface: Option<softbuffer::Surface<Rc<Window>, Rc<Window>>>,
    /// Why the window could not be shown, if it could not.
    error: Option<String>,
}

impl ScreenWindow {
    /// A screen window of `size` titled `title`, talking to the core through `link`.
    pub fn new(link: ScreenLink, title: String, size: Size, interval_ns: Arc<AtomicU64>) -> Self {
        Self {
            link,
            title,
            mirror: Canvas::new(size.width, size.height, DESKTOP),
            damage: vec![Rect::from_size(size)],
            interval_ns,
            window: None,
            surface: None,
            error: None,
        }
    }

    /// Why the window failed, after the event loop ended.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn open(&mut self, event_loop: &ActiveEventLoop) -> Result<(), String> {
        let size = self.mirror.size();
        let attributes = Window::default_attributes()
            .with_title(self.title.clone())
            .with_inner_size(PhysicalSize::new(size.width, size.height));
        let window = Rc::new(
            event_loop
                .create_window(attributes)
                .map_err(|e| format!("cannot open the screen window: {e}"))?,
        );
        let context = softbuffer::Context::new(window.clone())
            .map_err(|e| format!("cannot draw into the screen window: {e}"))?;
        let surface = softbuffer::Surface::new(&context, window.clone())
            .map_err(|e| format!("cannot draw into the screen window: {e}"))?;
        if let Some(mhz) = window
            .current_monitor()
            .and_then(|m| m.refresh_rate_millihertz())
        {
            if mhz > 0 {
                self.interval_ns
                    .store(1_000_000_000_000 / u64::from(mhz), Ordering::Relaxed);
            }
        }
        self.surface = Some(surface);
        self.window = Some(window);
        Ok(())
    }

    /// Copies the damaged parts of the screen copy into the window and presents them.
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
        // A buffer that does not hold the previous frame needs everything.
        let rects: Vec<Rect> = if buffer.age() == 1 {
            self.damage.iter().map(|r| r.intersect(target)).collect()
        } else {
            vec![target]
        };
        let presented = copy_rects(
            &mut buffer,
            size.width,
            &self.mirror,
            &rects,
            DESKTOP.to_xrgb(),
        );
        self.damage.clear();
        buffer
            .present_with_damage(&presented)
            .map_err(|e| e.to_string())
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: String) {
        tracing::error!("{error}");
        self.error.get_or_insert(error);
        event_loop.exit();
    }
}

impl ApplicationHandler<UserEvent> for ScreenWindow {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.window.is_some() {
            return;
        }
        if let Err(e) = self.open(event_loop) {
            self.fail(event_loop, e);
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Frame(frame) => {
                let written = frame.apply(&mut self.mirror);
                self.damage.extend(written);
                if let Some(window) = &self.window {
                    window.request_redraw();
                }
            }
            UserEvent::Quit => event_loop.exit(),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.redraw() {
                    self.fail(
                        event_loop,
                        format!("cannot present to the screen window: {e}"),
                    );
                }
            }
            WindowEvent::Resized(size) if size.width > 0 && size.height > 0 => {
                let size = Size::new(size.width, size.height);
                self.mirror.resize(size.width, size.height, DESKTOP);
                self.damage.push(Rect::from_size(size));
                self.link.resize(size);
            }
            other => {
                if let Some(input) = input_from_winit(&other) {
                    self.link.input(input);
                }
            }
        }
    }
}

/// The protocol's input for a winit window event (pointer, buttons, wheel, modifiers, keys),
/// in the window's coordinates. Shared by the display's window and the thin client's.
pub fn input_from_winit(event: &WindowEvent) -> Option<InputEvent> {
    Some(match event {
        WindowEvent::CursorMoved { position, .. } => InputEvent::PointerMoved(Point::new(
            position.x.round() as i32,
            position.y.round() as i32,
        )),
        WindowEvent::CursorLeft { .. } => InputEvent::PointerLeft,
        WindowEvent::MouseInput { state, button, .. } => InputEvent::Button {
            button: button_from_winit(*button),
            pressed: *state == ElementState::Pressed,
        },
        WindowEvent::MouseWheel { delta, .. } => {
            // winit's positive y scrolls up; the protocol's positive dy scrolls down.
            let (dx, dy) = match delta {
                MouseScrollDelta::LineDelta(x, y) => (x.round() as i32, -y.round() as i32),
                MouseScrollDelta::PixelDelta(p) => {
                    ((p.x / 20.0).round() as i32, (-p.y / 20.0).round() as i32)
                }
            };
            if dx == 0 && dy == 0 {
                return None;
            }
            InputEvent::Wheel { dx, dy }
        }
        WindowEvent::ModifiersChanged(m) => InputEvent::Modifiers(modifiers_from_winit(m.state())),
        WindowEvent::KeyboardInput { event, .. } => {
            let pressed = event.state == ElementState::Pressed;
            let text = match (&event.text, pressed) {
                (Some(text), true) => text.to_string(),
                _ => String::new(),
            };
            InputEvent::Key {
                key: key_from_winit(&event.logical_key),
                pressed,
                text,
            }
        }
        _ => return None,
    })
}

/// Copies rectangles of a screen copy into a presentation buffer `width` pixels wide, and
/// returns them as softbuffer's damage. Parts outside the copy (while a resize is on its
/// way) get `outside`. Shared by the display's window and the thin client's.
pub fn copy_rects(
    buffer: &mut [u32],
    width: u32,
    copy: &Canvas,
    rects: &[Rect],
    outside: u32,
) -> Vec<softbuffer::Rect> {
    let height = (buffer.len() / width.max(1) as usize) as u32;
    let target = Rect::new(0, 0, width, height);
    let mut presented = Vec::with_capacity(rects.len());
    for r in rects
        .iter()
        .map(|r| r.intersect(target))
        .filter(|r| !r.is_empty())
    {
        let inside = r.intersect(copy.bounds());
        for y in r.y..r.y + r.height as i32 {
            let start = y as usize * width as usize + r.x as usize;
            let dst = &mut buffer[start..start + r.width as usize];
            let n = if inside.is_empty() || i64::from(y) >= inside.bottom() {
                0
            } else {
                inside.width as usize
            };
            let src = y as usize * copy.width() as usize + r.x as usize;
            dst[..n].copy_from_slice(&copy.pixels()[src..src + n]);
            dst[n..].fill(outside);
        }
        if let (Some(rw), Some(rh)) = (NonZeroU32::new(r.width), NonZeroU32::new(r.height)) {
            presented.push(softbuffer::Rect {
                x: r.x as u32,
                y: r.y as u32,
                width: rw,
                height: rh,
            });
        }
    }
    presented
}

/// The protocol's modifiers for winit's.
pub fn modifiers_from_winit(s: winit::keyboard::ModifiersState) -> Modifiers {
    let mut mods = Modifiers::NONE;
    for (held, bit) in [
        (s.shift_key(), Modifiers::SHIFT),
        (s.control_key(), Modifiers::CONTROL),
        (s.alt_key(), Modifiers::ALT),
        (s.super_key(), Modifiers::SUPER),
    ] {
        if held {
            mods = mods | bit;
        }
    }
    mods
}

/// The protocol's button for a winit mouse button.
pub fn button_from_winit(button: MouseButton) -> Button {
    match button {
        MouseButton::Left => Button::Left,
        MouseButton::Middle => Button::Middle,
        MouseButton::Right => Button::Right,
        MouseButton::Back => Button::Back,
        MouseButton::Forward => Button::Forward,
        MouseButton::Other(n) => Button::Other(n),
    }
}

/// The protocol's key for a winit logical key.
pub fn key_from_winit(key: &WinitKey) -> Key {
    match key {
        WinitKey::Character(s) => s.chars().next().map_or(Key::Other(0), |c| {
            Key::Character(c.to_lowercase().next().unwrap_or(c))
        }),
        WinitKey::Named(named) => match named {
            NamedKey::Escape => Key::Escape,
            NamedKey::Enter => Key::Enter,
            NamedKey::Tab => Key::Tab,
            NamedKey::Backspace => Key::Backspace,
            NamedKey::Delete => Key::Delete,
            NamedKey::Insert => Key::Insert,
            NamedKey::ArrowLeft => Key::Left,
            NamedKey::ArrowRight => Key::Right,
            NamedKey::ArrowUp => Key::Up,
            NamedKey::ArrowDown => Key::Down,
            NamedKey::Home => Key::Home,
            NamedKey::End => Key::End,
            NamedKey::PageUp => Key::PageUp,
            NamedKey::PageDown => Key::PageDown,
            NamedKey::Shift => Key::Shift,
            NamedKey::Control => Key::Control,
            NamedKey::Alt => Key::Alt,
            NamedKey::Super => Key::Super,
            NamedKey::Space => Key::Character(' '),
            NamedKey::F1 => Key::F(1),
            NamedKey::F2 => Key::F(2),
            NamedKey::F3 => Key::F(3),
            NamedKey::F4 => Key::F(4),
            NamedKey::F5 => Key::F(5),
            NamedKey::F6 => Key::F(6),
            NamedKey::F7 => Key::F(7),
            NamedKey::F8 => Key::F(8),
            NamedKey::F9 => Key::F(9),
            NamedKey::F10 => Key::F(10),
            NamedKey::F11 => Key::F(11),
            NamedKey::F12 => Key::F(12),
            other => Key::Other(*other as u32),
        },
        _ => Key::Other(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::Color;

    #[test]
    fn a_frame_carries_exactly_the_damaged_pixels() {
        let mut screen = Canvas::new(20, 10, Color::BLACK);
        screen.fill_rect(Rect::new(2, 2, 3, 3), Color::RED, screen.bounds());
        let frame = Frame::capture(&screen, &[Rect::new(1, 1, 5, 5), Rect::new(18, 8, 9, 9)]);
        assert_eq!(frame.rects.len(), 2);
        assert_eq!(frame.rects[1].0, Rect::new(18, 8, 2, 2));
        let mut mirror = Canvas::new(20, 10, Color::WHITE);
        let written = frame.apply(&mut mirror);
        assert_eq!(written, vec![Rect::new(1, 1, 5, 5), Rect::new(18, 8, 2, 2)]);
        assert_eq!(mirror.pixel(3, 3), screen.pixel(3, 3));
        assert_eq!(mirror.pixel(1, 1), Some(0));
        assert_eq!(
            mirror.pixel(10, 5),
            Some(0x00ff_ffff),
            "undamaged pixels stay"
        );
        // A smaller mirror (a resize on its way) takes what fits.
        let mut small = Canvas::new(4, 4, Color::WHITE);
        assert_eq!(frame.apply(&mut small), vec![Rect::new(1, 1, 3, 3)]);
    }

    #[test]
    fn keys_map_by_meaning() {
        assert_eq!(
            key_from_winit(&WinitKey::Character("A".into())),
            Key::Character('a')
        );
        assert_eq!(
            key_from_winit(&WinitKey::Named(NamedKey::Escape)),
            Key::Escape
        );
        assert_eq!(key_from_winit(&WinitKey::Named(NamedKey::F5)), Key::F(5));
    }
}
