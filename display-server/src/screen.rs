//! Running a display whose screen is a window: the event loop on the main thread, the server
//! on a tokio runtime beside it, each ending the other.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use netui_protocol::Size;
use thiserror::Error;
use winit::event_loop::EventLoop;

use crate::backend::windowed::{ScreenWindow, UserEvent, WindowBackend};
use crate::launch::{self, Launched};

/// Why there is no screen window.
#[derive(Debug, Error)]
pub enum ScreenError {
    /// Neither X11 nor Wayland is there to show a window.
    #[error("no screen to open a window on: neither DISPLAY nor WAYLAND_DISPLAY is set; run with --headless for a virtual screen")]
    NoDesktop,
    /// The desktop could not be reached or refused the window.
    #[error(
        "cannot open a window on this desktop ({0}); run with --headless for a virtual screen"
    )]
    Unavailable(String),
    /// The server behind the window failed.
    #[error(transparent)]
    Server(#[from] crate::ServerError),
}

/// The event loop of the screen window, or a clear error when there is no desktop to show it
/// on. Call it on the main thread.
pub fn event_loop() -> Result<EventLoop<UserEvent>, ScreenError> {
    event_loop_with::<UserEvent>()
}

/// Like [`event_loop`], for a program with its own user events (the thin client's window).
pub fn event_loop_with<T: 'static>() -> Result<EventLoop<T>, ScreenError> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if !has("DISPLAY") && !has("WAYLAND_DISPLAY") {
        return Err(ScreenError::NoDesktop);
    }
    // winit reports a display it cannot open as an error; guard against a panic from a
    // missing system library as well, so that the user always gets the sentence above.
    let built = std::panic::catch_unwind(|| EventLoop::<T>::with_user_event().build());
    match built {
        Ok(Ok(event_loop)) => Ok(event_loop),
        Ok(Err(e)) => Err(ScreenError::Unavailable(e.to_string())),
        Err(_) => Err(ScreenError::Unavailable(
            "the windowing system failed to start (is libxkbcommon-x11 installed?)".into(),
        )),
    }
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
    let link = launched.server.screen_link();
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
        .map_err(|e| ScreenError::Unavailable(format!("cannot start the server thread: {e}")))?;

    let mut window = ScreenWindow::new(link, title, size, interval);
    let looped = event_loop.run_app(&mut window);
    let _ = stop_tx.send(());
    let served = server
        .join()
        .map_err(|_| ScreenError::Unavailable("the server thread panicked".into()))?;
    if let Some(error) = window.error() {
        return Err(ScreenError::Unavailable(error.to_owned()));
    }
    looped.map_err(|e| ScreenError::Unavailable(e.to_string()))?;
    Ok(served?)
}
