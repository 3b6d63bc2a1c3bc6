//! The event pump that every demo runs: wait for an event or the next tick, handle every
//! event that has arrived, then show the result once.
//!
//! A demo's state implements [`App`]; [`run`] owns the loop. A demo that draws its whole
//! window again after an expose or a resize, and otherwise only ticks (the clock, the system
//! monitor, the animation, hello), implements [`Redraw`] instead and runs with
//! [`run_redrawing`], which answers those events for it. Waiting is
//! [`netui::Display::wait_event_timeout`] (or [`netui::Display::wait_event`] for a demo that
//! does not tick), which sleeps until the server says something or the deadline comes, so an
//! idle program costs no CPU and a key press or a close request is handled at once. Handling
//! everything that has arrived before drawing turns a burst of input (a fast drag, key
//! repeat) into one frame.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use netui::{Display, Event, Key, Size};

/// Whether a demo goes on after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Keep running.
    Continue,
    /// End the demo (close requested, Escape).
    Quit,
}

impl Flow {
    /// [`Flow::Continue`] if `go_on`, else [`Flow::Quit`].
    pub fn continue_if(go_on: bool) -> Flow {
        if go_on {
            Flow::Continue
        } else {
            Flow::Quit
        }
    }
}

/// Whether `event` asks a demo to end: Escape, or the window manager's close button.
pub fn is_quit(event: &Event) -> bool {
    match event {
        Event::KeyPress(k) => k.key == Key::Escape,
        Event::CloseRequested { .. } => true,
        _ => false,
    }
}

/// A demo as the pump drives it.
pub trait App {
    /// Handles one event, real or scripted; [`Flow::Quit`] ends the pump.
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error>;

    /// Shows what the events (or the tick) just handled changed: draws and presents. Called
    /// once after each batch of events and after each tick.
    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error>;

    /// When the next tick is due; `None`, the default, for a demo that only answers events.
    fn next_tick(&self) -> Option<Instant> {
        None
    }

    /// The tick came (see [`App::next_tick`]).
    fn tick(&mut self, _display: &mut Display) -> Result<(), netui::Error> {
        Ok(())
    }
}

/// Runs `app` until it quits or the connection fails: waits for an event or its next tick,
/// handles every event that has arrived (or the tick), then calls [`App::show`]. The queue is
/// flushed before each wait.
pub fn run(display: &mut Display, app: &mut impl App) -> Result<(), netui::Error> {
    loop {
        let first = match app.next_tick() {
            None => Some(display.wait_event()?),
            Some(due) => {
                display.wait_event_timeout(due.saturating_duration_since(Instant::now()))?
            }
        };
        match first {
            None => app.tick(display)?,
            Some(event) => {
                let mut next = Some(Ok(event));
                while let Some(event) = next {
                    if app.event(display, &event?)? == Flow::Quit {
                        return Ok(());
                    }
                    next = display.poll_event();
                }
            }
        }
        app.show(display)?;
    }
}

/// A demo that draws its whole window again after an expose or a resize and otherwise only
/// ticks; see [`run_redrawing`].
pub trait Redraw {
    /// The window size the demo is laid out for.
    fn size(&self) -> Size;

    /// Lays the demo out for a new window size; a redraw follows.
    fn resize(&mut self, display: &mut Display, size: Size) -> Result<(), netui::Error>;

    /// Draws the whole window (or has the next tick draw it).
    fn redraw(&mut self, display: &mut Display) -> Result<(), netui::Error>;

    /// When the next tick is due, as [`App::next_tick`].
    fn next_tick(&self) -> Option<Instant> {
        None
    }

    /// The tick came: draw what changed with time.
    fn tick(&mut self, _display: &mut Display) -> Result<(), netui::Error> {
        Ok(())
    }
}

/// Runs a [`Redraw`] demo with [`run`]: Escape or a close request ends it; an expose, or a
/// resize to a new size, has it draw its whole window once after the events at hand.
pub fn run_redrawing(display: &mut Display, demo: &mut impl Redraw) -> Result<(), netui::Error> {
    run(
        display,
        &mut Redrawing {
            demo,
            redraw: false,
        },
    )
}

/// A [`Redraw`] demo as an [`App`]: whether its window must be drawn again.
struct Redrawing<'a, T> {
    demo: &'a mut T,
    redraw: bool,
}

impl<T: Redraw> App for Redrawing<'_, T> {
    fn event(&mut self, display: &mut Display, event: &Event) -> Result<Flow, netui::Error> {
        match event {
            _ if is_quit(event) => return Ok(Flow::Quit),
            Event::Expose { .. } => self.redraw = true,
            Event::Configure { rect, .. } if rect.size() != self.demo.size() => {
                self.demo.resize(display, rect.size())?;
                self.redraw = true;
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn show(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        if std::mem::take(&mut self.redraw) {
            self.demo.redraw(display)?;
        }
        Ok(())
    }

    fn next_tick(&self) -> Option<Instant> {
        self.demo.next_tick()
    }

    fn tick(&mut self, display: &mut Display) -> Result<(), netui::Error> {
        self.demo.tick(display)
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
