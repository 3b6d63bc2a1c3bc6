//! Memory that clients leave behind goes back to the system.
//!
//! glibc's malloc gives freed memory back only from the top of each heap: after hundreds of
//! clients have come and gone, the free blocks between the blocks still in use stay
//! resident (a server that served 400 clocks kept 71 MB where it had started at 39 MB).
//! `malloc_trim` gives them back, but it walks and locks every arena, so it is not called
//! per free: the core says when a client has left, and a thread of this module asks for the
//! memory back once clients have stopped leaving for [`QUIET`] (at most [`MOST`] after the
//! first of a stream of departures). What gives memory back is the program's to say
//! ([`release_with`]; the `display-server` binary passes glibc's `malloc_trim`, and makes
//! all its threads share one arena so that the trim reaches every heap's top), since the
//! library forbids unsafe code; a server that no program set it up for keeps what its
//! allocator keeps.

use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// How long no client must have left before the memory is asked back.
pub const QUIET: Duration = Duration::from_millis(500);
/// The longest a stream of departures delays it.
pub const MOST: Duration = Duration::from_secs(5);

/// The trimming thread's doorbell, once [`release_with`] has started it.
static LEFT: OnceLock<mpsc::Sender<()>> = OnceLock::new();

/// Starts the thread that calls `release` after clients have left (see the module's doc);
/// `release` says whether it gave anything back. Once per process: later calls do nothing.
pub fn release_with(release: fn() -> bool) -> std::io::Result<()> {
    let (tx, rx) = mpsc::channel();
    if LEFT.set(tx).is_err() {
        return Ok(());
    }
    std::thread::Builder::new()
        .name("memory".into())
        .spawn(move || {
            while rx.recv().is_ok() {
                let first = Instant::now();
                loop {
                    match rx.recv_timeout(QUIET) {
                        Ok(()) if first.elapsed() < MOST => {}
                        Ok(()) | Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                let start = Instant::now();
                let released = release();
                tracing::debug!(released, took = ?start.elapsed(), "memory of departed clients given back");
            }
        })?;
    Ok(())
}

/// A client has left: its memory is asked back once no other has left for a while.
pub(crate) fn client_left() {
    if let Some(left) = LEFT.get() {
        let _ = left.send(());
    }
}
