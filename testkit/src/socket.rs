//! A pump between two sockets: what a test puts between an application and its display to
//! keep the bytes that pass.

use std::io::{Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

/// Copies `from` to `to` on a thread of its own until `from` ends or `to` fails, then shuts
/// down `to`'s writing side. With `keep`, the bytes are appended to it *before* they are
/// forwarded, so that whatever the other side has answered is already kept.
pub fn pump(mut from: UnixStream, mut to: UnixStream, keep: Option<Arc<Mutex<Vec<u8>>>>) {
    std::thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            if let Some(keep) = &keep {
                keep.lock().expect("keep").extend_from_slice(&buf[..n]);
            }
            if to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// A proxy in front of the display at `socket`: returns the application's end, and what the
/// application sends through it, kept as it passes.
pub fn recording_proxy(socket: &std::path::Path) -> (UnixStream, Arc<Mutex<Vec<u8>>>) {
    let (app_end, proxy_end) = UnixStream::pair().expect("a socket pair");
    let upstream = UnixStream::connect(socket).expect("connects to the display");
    let kept = Arc::new(Mutex::new(Vec::new()));
    pump(
        proxy_end.try_clone().expect("clone"),
        upstream.try_clone().expect("clone"),
        Some(Arc::clone(&kept)),
    );
    pump(upstream, proxy_end, None);
    (app_end, kept)
}
