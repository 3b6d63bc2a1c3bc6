//! Running a display whose screen is a window: the event loop on the main thread, the server
//! on a tokio runtime beside it, each ending the other.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use netui_protocol::Size;
use netui_window::WindowError;
use thiserror::Error;
use winit::event_loop::EventLoop;

use crate::backend::windowed::{ScreenWindow, UserEvent, WindowBackend};
use crate::launch::{self, Launched};

/// Why there is no screen window.
#[derive(Debug, Error)]
pub enum ScreenError {
    /// There is no desktop to open the window on, or it refused the window.
    #[error(transparent)]
    Window(#[from] WindowError),
    /// The server behind the window failed.
    #[error(transparent)]
    Server(#[from] crate::ServerError),
}

/// The event loop of the screen window, or a clear error when there is no desktop to show it
/// on. Call it on the main thread.
pub fn event_loop() -> Result<EventLoop<UserEvent>, ScreenError> {
    Ok(netui_window::event_loop::<UserEvent>()?)
}

/// Runs the display with its screen in a window until the window is closed, or the server is
/// told to stop (Ctrl-C, SIGTERM).
pub fn run(
    event_loop: EventLoop<UserEvent>,
    runtime: tokio::runtime::Runtime,
    launched: Launched,
    title: String,
    size: Size,
) -> Result<(), ScreenError> {
    let interval = Arc::new(AtomicU64::new(0));
    let sink = launched.server.screen_sink();
    let proxy = event_loop.create_proxy();
    let backend = WindowBackend::new(proxy.clone(), Arc::clone(&interval));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::Builder::new()
        .name("netui-server".into())
        .spawn(move || {
            let result = runtime.block_on(launched.run(Box::new(backend), async {
                tokio::select! {
                    () = launch::shutdown_signal() => {}
                    _ = stop_rx => {}
                }
            }));
            // Closes the window if the server stopped first.
            let _ = proxy.send_event(UserEvent::Quit);
            result
        })
        .map_err(|e| unavailable(format!("cannot start the server thread: {e}")))?;

    let mut window = ScreenWindow::new(sink, title, size, interval);
    let looped = event_loop.run_app(&mut window);
    let _ = stop_tx.send(());
    let served = server
        .join()
        .map_err(|_| unavailable("the server thread panicked"))?;
    if let Some(error) = window.error() {
        return Err(unavailable(error.to_owned()));
    }
    looped.map_err(|e| unavailable(e.to_string()))?;
    Ok(served?)
}

/// The window could not be shown, or its server thread failed to start or to end.
fn unavailable(why: impl Into<String>) -> ScreenError {
    ScreenError::Window(WindowError::Unavailable(why.into()))
}
