//! Which of a VNC viewer's inputs each update answers, for a benchmark in the same process.
//!
//! RFB numbers neither inputs nor updates, so a VNC viewer cannot tell which update shows the
//! answer to a key it sent. The server knows: the core reports, with each pixel update it
//! hands the connection, the newest of the connection's inputs whose answer the update
//! carries (the same report a netui viewer gets, `ViewMessage::Pixels::input`), and every
//! RFB update encoded after that is drawn from a copy of the screen that holds the answer.
//! Whoever [`AnswerWatch::watch`]es a connection (by the viewer's address as the server sees
//! it) gets, for each FramebufferUpdate written to it, its number and how many of the
//! viewer's input messages (KeyEvent, QEMU key and PointerEvent messages, counted from 1 in
//! the order sent) it answers. A connection nobody watches costs nothing.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// What one FramebufferUpdate to a watched VNC viewer answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The update's number on its connection: the n-th FramebufferUpdate written is n.
    pub update: u64,
    /// The viewer's input messages whose answer the update shows: every one up to this
    /// number (0: none yet).
    pub inputs: u64,
}

/// The connections someone watches, by the viewer's address; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AnswerWatch {
    by_peer: Arc<Mutex<HashMap<SocketAddr, Sender<Answered>>>>,
}

impl AnswerWatch {
    /// Watches the RFB connection that will come from `peer`: its updates' answers arrive on
    /// the receiver. Call it before the viewer's handshake ends (the connection looks once,
    /// when it is ready).
    pub fn watch(&self, peer: SocketAddr) -> Receiver<Answered> {
        let (tx, rx) = channel();
        if let Ok(mut map) = self.by_peer.lock() {
            map.insert(peer, tx);
        }
        rx
    }

    /// The watcher of `peer`'s connection, if any; taken, so that the map does not grow.
    pub(crate) fn take(&self, peer: SocketAddr) -> Option<Sender<Answered>> {
        self.by_peer.lock().ok()?.remove(&peer)
    }
}

/// The most input messages that wait for their answer; older ones are dropped (a watcher
/// then sees their answer with a later input's).
const MAX_WAITING: usize = 4096;

/// One watched connection's books: which input message produced which input numbers, and
/// how many messages are answered.
#[derive(Debug)]
pub(crate) struct Answers {
    to: Sender<Answered>,
    /// Input messages received.
    messages: u64,
    /// Messages not yet answered: (message number, the newest input number it produced).
    waiting: VecDeque<(u64, u64)>,
    /// Messages answered, in order: all up to this one.
    answered: u64,
    /// The last update reported.
    reported: u64,
}

impl Answers {
    pub(crate) fn new(to: Sender<Answered>) -> Answers {
        Answers {
            to,
            messages: 0,
            waiting: VecDeque::new(),
            answered: 0,
            reported: 0,
        }
    }

    /// An input message arrived; the inputs it produced are numbered up to `newest_input`
    /// (no new number if it produced none).
    pub(crate) fn message(&mut self, newest_input: u64) {
        self.messages += 1;
        if self.waiting.len() >= MAX_WAITING {
            self.waiting.pop_front();
        }
        self.waiting.push_back((self.messages, newest_input));
    }

    /// The core says its update carries the answers to inputs up to `input`.
    pub(crate) fn input_answered(&mut self, input: u64) {
        while let Some(&(message, newest)) = self.waiting.front() {
            if newest > input {
                break;
            }
            self.answered = message;
            self.waiting.pop_front();
        }
    }

    /// The session has written `updates` FramebufferUpdates: tells the watcher about a new
    /// one. `false` once the watcher is gone.
    pub(crate) fn written(&mut self, updates: u64) -> bool {
        if updates <= self.reported {
            return true;
        }
        self.reported = updates;
        self.to
            .send(Answered {
                update: updates,
                inputs: self.answered,
            })
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_answered_by_the_inputs_they_produced() {
        let (tx, rx) = channel();
        let mut answers = Answers::new(tx);
        answers.message(1); // a key press: input 1
        answers.message(2); // its release: input 2
        answers.message(2); // a pointer event that moved nothing: no input
        answers.message(3);
        assert!(answers.written(1));
        answers.input_answered(1);
        assert!(answers.written(2));
        assert!(answers.written(2), "the same update is told once");
        answers.input_answered(2);
        assert!(answers.written(3));
        answers.input_answered(3);
        assert!(answers.written(4));
        let told: Vec<_> = rx.try_iter().map(|a| (a.update, a.inputs)).collect();
        assert_eq!(told, [(1, 0), (2, 1), (3, 3), (4, 4)]);
    }

    #[test]
    fn a_watch_is_taken_once() {
        let watch = AnswerWatch::default();
        let peer: SocketAddr = "127.0.0.1:5000".parse().expect("an address");
        let _rx = watch.watch(peer);
        assert!(watch.take(peer).is_some());
        assert!(watch.take(peer).is_none());
    }
}
