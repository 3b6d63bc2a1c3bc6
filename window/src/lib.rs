//! The window glue that the display server's screen window and the thin client's viewer
//! window share: both show a copy of a screen in a winit window, present only what changed
//! through softbuffer, and send the protocol's input back.
//!
//! # Layout
//! - [`event_loop`](mod@event_loop): the winit event loop, or a sentence that says why
//!   there is none.
//! - [`frame`]: [`Frame`], the damaged pixels of a screen that travel to a window's thread.
//! - [`presenter`]: [`Presenter`], a window, its surface and the copy of the screen it shows.
//! - [`input`]: winit's keyboard and pointer events as the protocol's [`InputEvent`]s.
//!
//! # Where to make a change
//! - A key or button the protocol should know: `input.rs` (and `Key` in the protocol).
//! - How pixels reach the window (a new backend of softbuffer's, say): `presenter.rs`.
//!
//! [`InputEvent`]: netui_protocol::InputEvent
#![forbid(unsafe_code)]

pub mod event_loop;
pub mod frame;
pub mod input;
pub mod presenter;

pub use event_loop::{event_loop, WindowError};
pub use frame::Frame;
pub use input::input_from_winit;
pub use presenter::Presenter;
