//! Waiting for an event or a deadline, whichever comes first: how the ticking demos (clock,
//! animation, system monitor) sleep between frames without polling.
//!
//! [`netui::Display::wait_event`] blocks with no time limit and
//! [`netui::Display::poll_event`] does not block at all; a [`Timer`] runs
//! [`netui::Display::next_event`] on a small single-threaded tokio runtime under a timeout, so
//! an idle program sleeps in the kernel until either the server says something or its next
//! frame is due, and a key press or a close request is handled at once.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netui::{Display, Event};

/// Waits for events with a deadline.
#[derive(Debug)]
pub struct Timer {
    runtime: tokio::runtime::Runtime,
}

impl Timer {
    /// A timer on its own current-thread runtime (no extra thread is started).
    pub fn new() -> Result<Timer, netui::Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .map_err(|e| netui::Error::Disconnected(format!("cannot start a timer: {e}")))?;
        Ok(Timer { runtime })
    }

    /// Sends what is queued, then waits for the next event until `deadline`: `Ok(None)` when
    /// the deadline came first (at once if it has passed and no event is waiting).
    pub fn event_until(
        &self,
        display: &mut Display,
        deadline: Instant,
    ) -> Result<Option<Event>, netui::Error> {
        if let Some(event) = display.poll_event() {
            return event.map(Some);
        }
        display.flush()?;
        if deadline <= Instant::now() {
            return Ok(None);
        }
        let deadline = tokio::time::Instant::from_std(deadline);
        self.runtime.block_on(async {
            // `next_event` only awaits the event queue once it has flushed, and that wait
            // loses nothing when the timeout drops it.
            match tokio::time::timeout_at(deadline, display.next_event()).await {
                Ok(event) => event.map(Some),
                Err(_elapsed) => Ok(None),
            }
        })
    }
}

/// The instant just after the wall clock's next whole second, so that a clock woken then
/// shows the new second.
pub fn next_second() -> Instant {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let rest =
        Duration::from_secs(1).saturating_sub(Duration::from_nanos(u64::from(now.subsec_nanos())));
    Instant::now() + rest + Duration::from_millis(2)
}
