//! Waiting for an event or a deadline, whichever comes first: how the ticking demos (clock,
//! animation, system monitor) sleep between frames without polling.
//!
//! [`netui::Display::wait_event_timeout`] sleeps until the server says something or the
//! deadline comes, so an idle program costs no CPU and a key press or a close request is
//! handled at once.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netui::{Display, Event};

/// Waits for the next event until `deadline`: `Ok(None)` when the deadline came first (at
/// once if it has passed and no event is waiting). The queue is flushed first.
pub fn event_until(
    display: &mut Display,
    deadline: Instant,
) -> Result<Option<Event>, netui::Error> {
    display.wait_event_timeout(deadline.saturating_duration_since(Instant::now()))
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
