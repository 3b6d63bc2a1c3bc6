//! The netui display server: it owns a screen, accepts applications over a Unix socket and
//! TCP, keeps each client's windows and pixmaps, composites them into the screen, and serves
//! their pixels back.
//!
//! Data flows one way: connection tasks ([`codec`]) decode frames into requests, the [`core`]
//! thread checks and applies them to the scene ([`netui_scene`]), which draws with its
//! renderer and records damage, and the core composites damage into frames for a [`backend`].
//!
//! # Layout
//! - [`input`]: keyboard and pointer routing, focus, grabs, moves and closes.
//! - [`core`]: the owner of all state: the loop, frame pacing, and each request's dispatch by
//!   its class; `core/clients.rs` holds the registry of clients (ids, quotas, access checks),
//!   `core/viewers.rs` the viewers' map and how they are fed, `core/fair.rs` each client's
//!   queue of requests, served round-robin in turns bounded by the pixels they touch,
//!   `core/selection.rs` the clipboard and the primary selection (owners, kept text,
//!   transfers handed on chunk by chunk).
//! - [`peer`]: who a connection is ([`peer::Peer`]) and what it may do ([`peer::Access`]: the
//!   one table of permissions).
//! - [`server`]: a server's configuration, listeners and core started together, and
//!   [`ServerHandle`] for running one in-process.
//! - [`listener`]: where connections come from (Unix socket, TCP); each accepted stream is
//!   served on a task of its own.
//! - [`codec`]: the netui protocol on one connection, over any byte stream: the hello, the
//!   reader that hands requests to the core, the writer that batches what the core sends.
//! - [`rfb`]: the RFB (VNC) endpoint: each VNC viewer (plain, or in a WebSocket for noVNC)
//!   is a pixel viewer of the core, with its own copy of the screen, encoded by
//!   [`netui_rfb`] when the viewer asks; [`rfb::input`] turns keysyms and buttons into input.
//! - [`viewer`]: each thin client's state: what it was sent, flow control; `viewer/backlog.rs`
//!   the command-mode queue that drops drawing which later drawing covers and merges fills.
//! - [`flow`]: a viewer's window of unacknowledged updates, from the link's estimated
//!   bandwidth-delay product.
//! - [`backend`]: where frames go: headless, or a real window ([`backend::windowed`]).
//! - [`memory`]: the memory of departed clients given back to the system, once they have
//!   stopped leaving.
//! - [`launch`]: display number → listeners and token file, as the programs start them.
//! - [`activation`]: listening sockets passed by systemd (socket activation) and `READY=1`.
//! - [`screen`]: running a display whose screen is a window (event loop and server together).
//! - [`runtime`]: the private per-user directory, sockets and token files.
//! - [`tls`]: the display's TLS key and self-signed certificate (made once, kept owner-only)
//!   or the user's own, and the TCP port's rustls configuration.
//! - [`error`]: the server's error type.
//!
//! # Where to make a change
//! - A new request: add it at the end of the protocol's list in
//!   `protocol/src/request.rs` with its class (`=> Scene`, ...), and name its ids in
//!   `Request::map_ids`. A `Scene` request is carried out by its arm in the scene crate's
//!   `Scene::carry_out` (`scene/src/scene/request.rs`) and needs here only its ids in
//!   `resources` (`core/clients.rs`), and its quota in `Clients::account` if it creates
//!   pixels. A `Connection` request is answered in `Core::answer` (`core/mod.rs`), a `Viewer`
//!   one in `Core::view` (`core/viewers.rs`), a `Selection` one in `Core::select`
//!   (`core/selection.rs`). Then the app library's method for it.
//! - Who may send what: the table in [`peer::Access::check`], and the README's words for
//!   users (under "Input can be injected").
//! - A pixel encoding: the scene crate's `encoding/` and the protocol's `PixelEncoding`; the
//!   server only hands damage to [`viewer::Viewer`], which encodes it.
//! - A transport or listener: bind and accept it in [`listener`] ([`listener::Listeners`])
//!   with a new [`peer::Peer`] variant, hand its (decrypted) stream to [`codec`], and decide
//!   its [`peer::Access`] in [`peer::Access::admit`]; [`launch`] maps a display number to
//!   it. Another protocol on its own port is a codec of its own beside [`codec`], as
//!   [`rfb`] is.
//! - What VNC viewers get: the protocol and its encoders are the `netui-rfb` crate; how a
//!   viewer is fed, its passwords and its input are [`rfb`].
//! - A backend: implement [`backend::Backend`] (`present`, and `frame_interval` if the
//!   screen has its own rate) beside [`backend::Headless`] in `backend/`, and start it the
//!   way [`screen`] starts the window.
#![forbid(unsafe_code)]

pub mod activation;
pub mod backend;
pub mod codec;
pub mod core;
pub mod error;
pub mod flow;
pub mod input;
pub mod launch;
pub mod listener;
pub mod memory;
pub mod peer;
pub mod rfb;
pub mod runtime;
pub mod screen;
pub mod server;
pub mod tls;
pub mod viewer;

pub use error::ServerError;
pub use server::{Server, ServerConfig, ServerHandle};
