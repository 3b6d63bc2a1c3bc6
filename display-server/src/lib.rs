//! The netui display server: it owns a screen, accepts applications over a Unix socket and
//! TCP, keeps each client's windows and pixmaps, composites them into the screen, and serves
//! their pixels back.
//!
//! Data flows one way: connection tasks ([`server`]) decode frames into requests, the [`core`]
//! thread checks and applies them to the scene ([`netui_scene`]), which draws with its
//! renderer and records damage, and the core composites damage into frames for a [`backend`].
//!
//! # Layout
//! - [`input`]: keyboard and pointer routing, focus, grabs, moves and closes.
//! - [`core`]: the owner of all state: clients, access checks, events and replies.
//! - [`peer`]: who a connection is ([`peer::Peer`]) and what it may do ([`peer::Access`]: the
//!   one table of permissions).
//! - [`server`]: listeners, connection tasks, and [`ServerHandle`] for running in-process.
//! - [`viewer`]: each thin client's state: what it was sent, flow control.
//! - [`flow`]: a viewer's window of unacknowledged updates, from the link's estimated
//!   bandwidth-delay product.
//! - [`backend`]: where frames go (headless now; a real window in its own issue).
//! - [`launch`]: display number → listeners and token file, as the programs start them.
//! - [`screen`]: running a display whose screen is a window (event loop and server together).
//! - [`runtime`]: the private per-user directory, sockets and token files.
//! - [`error`]: the server's error type.
#![forbid(unsafe_code)]

pub mod backend;
pub mod core;
pub mod error;
pub mod flow;
pub mod input;
pub mod launch;
pub mod peer;
pub mod runtime;
pub mod screen;
pub mod server;
pub mod viewer;

pub use error::ServerError;
pub use server::{Server, ServerConfig, ServerHandle};
