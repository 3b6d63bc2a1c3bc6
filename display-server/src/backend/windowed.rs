//! The screen as a real window (winit + softbuffer).
//!
//! winit wants the main thread, and the core has its own, so the two meet through channels:
//! the core's [`WindowBackend`] copies each frame's damaged rectangles into a [`Frame`] and
//! wakes the event loop with it; the main thread's [`ScreenWindow`] shows them through a
//! [`Presenter`] (the window glue the thin client shares) and sends keyboard, pointer and
//! resize events to the core through its [`ScreenSink`]. The event loop waits for events: an
//! idle desktop costs no CPU.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use netui_protocol::{Rect, Size};
use netui_scene::scene::DESKTOP;
use netui_scene::Canvas;
use netui_window::{input_from_winit, Frame, Presenter};
use winit::application::ApplicationHandler;
use winit::event::WindowEvent;
use winit::event_loop::{ActiveEventLoop, EventLoopProxy};
use winit::window::WindowId;

use super::{Backend, DEFAULT_FRAME_INTERVAL};
use crate::core::ScreenSink;

/// What wakes the event loop.
#[derive(Debug)]
pub enum UserEvent {
    /// New pixels for the window.
    Frame(Frame),
    /// The server stopped: close the window.
    Quit,
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

/// The main thread's side: the window that is the screen.
pub struct ScreenWindow {
    sink: ScreenSink,
    title: String,
    presenter: Presenter,
    interval_ns: Arc<AtomicU64>,
    /// Why the window could not be shown, if it could not.
    error: Option<String>,
}

impl ScreenWindow {
    /// A screen window of `size` titled `title`, sending its input to the core through `sink`.
    pub fn new(sink: ScreenSink, title: String, size: Size, interval_ns: Arc<AtomicU64>) -> Self {
        Self {
            sink,
            title,
            presenter: Presenter::new(size, DESKTOP),
            interval_ns,
            error: None,
        }
    }

    /// Why the window failed, after the event loop ended.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, error: String) {
        tracing::error!("{error}");
        self.error.get_or_insert(error);
        event_loop.exit();
    }
}

impl ApplicationHandler<UserEvent> for ScreenWindow {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.presenter.is_open() {
            return;
        }
        if let Err(e) = self.presenter.open(event_loop, &self.title) {
            return self.fail(event_loop, e);
        }
        if let Some(interval) = self.presenter.refresh_interval() {
            let ns = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
            self.interval_ns.store(ns, Ordering::Relaxed);
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: UserEvent) {
        match event {
            UserEvent::Frame(frame) => self.presenter.apply(&frame),
            UserEvent::Quit => event_loop.exit(),
        }
    }

    fn window_event(&mut self, event_loop: &ActiveEventLoop, _id: WindowId, event: WindowEvent) {
        match event {
            WindowEvent::CloseRequested => event_loop.exit(),
            WindowEvent::RedrawRequested => {
                if let Err(e) = self.presenter.redraw(None, |_, _, _| {}) {
                    self.fail(
                        event_loop,
                        format!("cannot present to the screen window: {e}"),
                    );
                }
            }
            WindowEvent::Resized(size) if size.width > 0 && size.height > 0 => {
                let size = Size::new(size.width, size.height);
                self.presenter.resize(size);
                self.sink.resize(size);
            }
            other => {
                if let Some(input) = input_from_winit(&other) {
                    self.sink.input(input);
                }
            }
        }
    }
}
