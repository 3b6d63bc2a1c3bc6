//! The winit event loop, with a clear error when there is no desktop to open a window on.

use thiserror::Error;
use winit::event_loop::EventLoop;

/// Why there is no window.
#[derive(Debug, Error)]
pub enum WindowError {
    /// Neither X11 nor Wayland is there to show a window.
    #[error("no screen to open a window on: neither DISPLAY nor WAYLAND_DISPLAY is set; run with --headless for a virtual screen")]
    NoDesktop,
    /// The desktop could not be reached or refused the window.
    #[error(
        "cannot open a window on this desktop ({0}); run with --headless for a virtual screen"
    )]
    Unavailable(String),
}

/// The event loop for a program whose user events are `T`, or a clear error when there is no
/// desktop to show a window on. Call it on the main thread.
pub fn event_loop<T: 'static>() -> Result<EventLoop<T>, WindowError> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if !has("DISPLAY") && !has("WAYLAND_DISPLAY") {
        return Err(WindowError::NoDesktop);
    }
    // winit reports a display it cannot open as an error; guard against a panic from a
    // missing system library as well, so that the user always gets the sentence above.
    let built = std::panic::catch_unwind(|| EventLoop::<T>::with_user_event().build());
    match built {
        Ok(Ok(event_loop)) => Ok(event_loop),
        Ok(Err(e)) => Err(WindowError::Unavailable(e.to_string())),
        Err(_) => Err(WindowError::Unavailable(
            "the windowing system failed to start (is libxkbcommon-x11 installed?)".into(),
        )),
    }
}
