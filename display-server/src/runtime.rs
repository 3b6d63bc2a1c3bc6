//! The per-user runtime directory, its display sockets, token files and RFB passwords.
//!
//! Like `/tmp/.X11-unix` and `~/.Xauthority`, but private: the directory is created with mode
//! 0700 and refused if anyone else could enter it; token and password files are 0600.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use netui_protocol::display;

use crate::error::ServerError;

/// File descriptors kept back from clients: for the listeners, the runtime, log and token
/// files, and for refusing clients beyond the limit with a reason instead of a hang.
pub const FD_RESERVE: u64 = 32;

/// Raises this process's soft limit of open files to its hard limit (like most servers do
/// at start: the soft limit is often 1024 while the hard one allows far more); returns the
/// soft limit now in force (`None`: unlimited).
pub fn raise_open_files() -> Option<u64> {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        match setrlimit(Resource::Nofile, raised) {
            Ok(()) => {
                tracing::debug!(from = ?limit.current, to = ?limit.maximum, "raised the open-file limit");
            }
            Err(e) => tracing::warn!("cannot raise the open-file limit: {e}"),
        }
    }
    getrlimit(Resource::Nofile).current
}

/// How many connections this process can serve at once: its soft limit of open files less
/// [`FD_RESERVE`] (at least one).
pub fn connection_capacity() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    soft.map_or(usize::MAX, |n| {
        usize::try_from(n.saturating_sub(FD_RESERVE).max(1)).unwrap_or(usize::MAX)
    })
}

/// Bytes of a fresh token.
pub const TOKEN_LEN: usize = 32;

/// This user's runtime directory (`$XDG_RUNTIME_DIR/netui`, else `/tmp/netui-UID`).
pub fn user_runtime_dir() -> PathBuf {
    let xdg = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    display::runtime_dir(xdg.as_deref(), rustix::process::getuid().as_raw())
}

/// Creates `dir` (mode 0700) if needed and checks that it is a real directory that belongs to
/// this user and that nobody else can enter.
pub fn ensure_private_dir(dir: &Path) -> Result<(), ServerError> {
    let io = |e| ServerError::Io(format!("cannot create {}", dir.display()), e);
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io)?;
    }
    let meta = fs::symlink_metadata(dir).map_err(io)?;
    let uid = rustix::process::getuid().as_raw();
    if !meta.is_dir() || meta.uid() != uid {
        return Err(ServerError::UnsafeDir(format!(
            "{} is not a directory owned by you (uid {uid}); remove it",
            dir.display()
        )));
    }
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(ServerError::UnsafeDir(format!(
            "{} can be entered by other users; run: chmod 700 {}",
            dir.display(),
            dir.display()
        )));
    }
    Ok(())
}

/// A fresh random token.
pub fn new_token() -> Result<Vec<u8>, ServerError> {
    let mut token = vec![0; TOKEN_LEN];
    getrandom::getrandom(&mut token).map_err(|e| {
        ServerError::Io(
            "no randomness for the token".into(),
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(token)
}

/// Characters of an RFB password: no two that look alike (0/O, 1/l/I).
const PASSWORD_CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
/// VNC Authentication uses the first eight characters of a password, and no more.
pub const PASSWORD_LEN: usize = 8;

/// A fresh random RFB password: eight characters from 32 (40 bits, all that VNC
/// Authentication can use).
pub fn new_password() -> Result<String, ServerError> {
    let mut bytes = [0u8; PASSWORD_LEN];
    getrandom::getrandom(&mut bytes).map_err(|e| {
        ServerError::Io(
            "no randomness for a password".into(),
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(bytes
        .iter()
        .map(|b| char::from(PASSWORD_CHARS[usize::from(*b) % PASSWORD_CHARS.len()]))
        .collect())
}

/// Writes a token file's text (see [`netui_protocol::token::TokenFile`]) into a file
/// readable by its owner only (replacing an old one).
pub fn write_token(path: &Path, text: &str) -> Result<(), ServerError> {
    write_secret(path, text.trim_end())
}

/// Writes a secret (a token, a password) and a newline into a file readable by its owner
/// only, replacing an old one.
pub fn write_secret(path: &Path, secret: &str) -> Result<(), ServerError> {
    let io = |e| {
        ServerError::Io(
            format!("cannot write the secret file {}", path.display()),
            e,
        )
    };
    // Remove first: an existing file keeps its old mode, and could be a link planted by others.
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(e)),
        _ => {}
    }
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    writeln!(file, "{secret}").map_err(io)
}
