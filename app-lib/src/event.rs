//! Events, from the connection's reader to the application: one queue that the application
//! waits on however it runs, blocking, with a deadline, without waiting, or async.
//!
//! The queue is a std channel, which waits with a deadline by itself (no timer, so no
//! runtime on the application's side), and a [`Notify`] that wakes an async waiter whenever
//! the reader sends.

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use netui_protocol::Event;
use tokio::sync::futures::Notified;
use tokio::sync::Notify;

use crate::error::Error;

/// What a waiter gets once the reader is gone and the queue is empty.
fn lost() -> Error {
    Error::Disconnected("the connection to the display was lost".into())
}

/// A queue of events: the reader's end and the application's.
pub(crate) fn channel() -> (EventSender, Events) {
    let (tx, rx) = mpsc::channel();
    let wake = Arc::new(Notify::new());
    let sender = EventSender {
        tx: Some(tx),
        wake: Arc::clone(&wake),
    };
    (sender, Events { rx, wake })
}

/// The reader's end of the event queue.
#[derive(Debug)]
pub(crate) struct EventSender {
    /// `None` once dropped, so that the waiter woken by the drop finds the queue closed.
    tx: Option<mpsc::Sender<Result<Event, Error>>>,
    wake: Arc<Notify>,
}

impl EventSender {
    /// Queues an event (or the error that ends the connection) and wakes an async waiter.
    pub(crate) fn send(&self, event: Result<Event, Error>) {
        if let Some(tx) = &self.tx {
            // The application may have dropped its end; then nobody wants the event.
            let _ = tx.send(event);
        }
        // A permit is kept if nobody waits yet, so a waiter that comes later is not missed.
        self.wake.notify_one();
    }
}

impl Drop for EventSender {
    fn drop(&mut self) {
        // Close first: an async waiter woken now must see the closed queue, not wait again.
        self.tx = None;
        self.wake.notify_one();
    }
}

/// The application's end of the event queue.
#[derive(Debug)]
pub(crate) struct Events {
    rx: mpsc::Receiver<Result<Event, Error>>,
    wake: Arc<Notify>,
}

impl Events {
    /// The next event, blocking the thread until one comes.
    pub(crate) fn recv(&self) -> Result<Event, Error> {
        self.rx.recv().unwrap_or_else(|_| Err(lost()))
    }

    /// The next event, blocking the thread for at most `timeout`: `Ok(None)` when none came.
    pub(crate) fn recv_timeout(&self, timeout: Duration) -> Result<Option<Event>, Error> {
        match self.rx.recv_timeout(timeout) {
            Ok(event) => event.map(Some),
            Err(RecvTimeoutError::Timeout) => Ok(None),
            Err(RecvTimeoutError::Disconnected) => Err(lost()),
        }
    }

    /// The next event if one is queued.
    pub(crate) fn try_recv(&self) -> Option<Result<Event, Error>> {
        self.rx.try_recv().ok()
    }

    /// The next event, waiting asynchronously.
    pub(crate) async fn recv_async(&mut self) -> Result<Event, Error> {
        loop {
            match self.rx.try_recv() {
                Ok(event) => return event,
                Err(TryRecvError::Disconnected) => return Err(lost()),
                // The reader notifies after each send, and a notification sent before this
                // wait starts is kept: none is lost between the check and the wait.
                Err(TryRecvError::Empty) => self.wake.notified().await,
            }
        }
    }

    /// The events as a [`futures_core::Stream`].
    pub(crate) fn stream(&mut self) -> EventStream<'_> {
        EventStream {
            rx: &mut self.rx,
            wake: &self.wake,
            waiting: None,
        }
    }
}

/// The events of a display as a [`futures_core::Stream`]; see [`crate::Display::events`].
/// It ends after the connection closes (the last item is then the error that says why).
pub struct EventStream<'a> {
    rx: &'a mut mpsc::Receiver<Result<Event, Error>>,
    wake: &'a Notify,
    /// The wait for the reader's next notification, kept between polls so that it stays
    /// registered.
    waiting: Option<Pin<Box<Notified<'a>>>>,
}

impl std::fmt::Debug for EventStream<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream")
            .field("waiting", &self.waiting.is_some())
            .finish_non_exhaustive()
    }
}

impl futures_core::Stream for EventStream<'_> {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            match this.rx.try_recv() {
                Ok(event) => {
                    this.waiting = None;
                    return Poll::Ready(Some(event));
                }
                Err(TryRecvError::Disconnected) => return Poll::Ready(None),
                Err(TryRecvError::Empty) => {}
            }
            let wake = this.wake;
            let waiting = this
                .waiting
                .get_or_insert_with(|| Box::pin(wake.notified()));
            if waiting.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            // Notified: look again (a notification may also be one left from earlier).
            this.waiting = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netui_protocol::ResourceId;

    fn close_requested() -> Event {
        Event::CloseRequested {
            window: ResourceId(1),
        }
    }

    #[test]
    fn a_blocking_wait_times_out_without_a_runtime() {
        let (_sender, events) = channel();
        let started = std::time::Instant::now();
        assert!(matches!(
            events.recv_timeout(Duration::from_millis(20)),
            Ok(None)
        ));
        assert!(started.elapsed() >= Duration::from_millis(20));
    }

    #[test]
    fn an_async_waiter_is_woken_by_an_event_sent_from_another_thread() {
        let (sender, mut events) = channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            sender.send(Ok(close_requested()));
            // And then the reader goes away.
        });
        let first = runtime.block_on(events.recv_async());
        assert_eq!(first.expect("event"), close_requested());
        thread.join().expect("sender thread");
        let after = runtime.block_on(events.recv_async());
        assert!(matches!(after, Err(Error::Disconnected(_))), "{after:?}");
    }

    #[test]
    fn the_stream_ends_when_the_reader_is_gone() {
        use futures_core::Stream;
        let (sender, mut events) = channel();
        sender.send(Ok(close_requested()));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        let mut stream = events.stream();
        let mut next = || {
            runtime.block_on(std::future::poll_fn(|cx| {
                Pin::new(&mut stream).poll_next(cx)
            }))
        };
        assert!(matches!(next(), Some(Ok(_))));
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            drop(sender);
        });
        assert!(next().is_none());
        thread.join().expect("sender thread");
    }
}
