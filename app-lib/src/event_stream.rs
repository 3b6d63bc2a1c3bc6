//! Events as an async stream.

use std::pin::Pin;
use std::task::{Context, Poll};

use netui_protocol::Event;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::error::Error;

/// The events of a display as a [`futures_core::Stream`]; see [`crate::Display::events`].
/// It ends after the connection closes (the last item is then the error that says why).
#[derive(Debug)]
pub struct EventStream<'a> {
    pub(crate) rx: &'a mut UnboundedReceiver<Result<Event, Error>>,
}

impl futures_core::Stream for EventStream<'_> {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}
