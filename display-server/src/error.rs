//! The server's error type.

use thiserror::Error;

/// What can stop a display server from starting or running.
#[derive(Debug, Error)]
pub enum ServerError {
    /// An I/O operation failed; the string says which.
    #[error("{0}: {1}")]
    Io(String, #[source] std::io::Error),
    /// Another server already serves this display.
    #[error("{0}")]
    DisplayInUse(String),
    /// The runtime directory is not private.
    #[error("unsafe runtime directory: {0}")]
    UnsafeDir(String),
    /// The TLS key or certificate cannot be made, read or used.
    #[error("TLS: {0}")]
    Tls(String),
    /// The sockets passed by a service manager cannot be served.
    #[error("socket activation: {0}")]
    Activation(String),
    /// The outer display of a nested one cannot be used.
    #[error("{0}")]
    Nested(String),
    /// The rendering thread is gone.
    #[error("the server's core thread stopped")]
    CoreGone,
}
