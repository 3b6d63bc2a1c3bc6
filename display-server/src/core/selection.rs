//! The selections (clipboard and primary): who owns each, the text the server keeps for
//! each, and the transfers in progress (see [`netui_protocol::selection`]).
//!
//! The server never holds a transfer's content: each chunk that an owner sends is checked
//! and handed on to the requester's outbox at once, so a transfer costs the server one
//! chunk at a time, and its client's outbox limit bounds a requester that does not read.
//! The owner's chunks are requests like any other, served in the owner's turns by the fair
//! queue ([`super::fair`]), which counts a chunk's bytes as pixels (four bytes each): a
//! large transfer shares the core with the others, in turns, and never holds up a round
//! trip for longer than a turn.
//!
//! Bad input is the sender's own problem: a chunk longer than the limit, a transfer larger
//! than the limit, a type name too long, a transfer number it was not asked for, each gets
//! an error report to that client (and the requester a [`SelectionFailure`]), and nobody
//! else notices.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use netui_protocol::selection::TEXT;
use netui_protocol::{
    ErrorCode, Event, Request, Selection, SelectionFailure, SelectionLimits, ServerMessage,
};
use netui_scene::scene::SceneError;

use super::Core;
use crate::peer::ConnId;

/// A selection's owner and what it offers.
#[derive(Debug)]
struct Owner {
    conn: ConnId,
    types: Vec<String>,
}

/// A transfer in progress, by the number the server gave it.
#[derive(Debug)]
struct Transfer {
    owner: ConnId,
    requester: ConnId,
    /// The requester's number for it.
    number: u32,
    /// Bytes handed on so far.
    sent: u64,
    /// When it ends with [`SelectionFailure::Timeout`] unless the owner sends more.
    deadline: Instant,
    /// The transfer has ended for its requester (it failed, or the requester left); the
    /// owner's further chunks are dropped without a word until its last one or the deadline.
    dead: bool,
}

/// The state of both selections.
#[derive(Debug)]
pub(super) struct Selections {
    owners: [Option<Owner>; 2],
    /// The text of the last claim of each selection that gave one.
    kept: [Option<String>; 2],
    transfers: BTreeMap<u32, Transfer>,
    next: u32,
    /// Clients that asked for [`Event::SelectionChanged`].
    watchers: BTreeSet<ConnId>,
    limits: SelectionLimits,
}

impl Selections {
    /// No owners, nothing kept.
    pub(super) fn new(limits: SelectionLimits) -> Self {
        Self {
            owners: [None, None],
            kept: [None, None],
            transfers: BTreeMap::new(),
            next: 0,
            watchers: BTreeSet::new(),
            limits,
        }
    }

    /// The earliest deadline of a transfer.
    pub(super) fn deadline(&self) -> Option<Instant> {
        self.transfers.values().map(|t| t.deadline).min()
    }

    fn timeout(&self) -> Duration {
        Duration::from_millis(u64::from(self.limits.timeout_ms))
    }
}

/// The cost of a selection request for the fair queue, in pixels: a chunk's bytes, four to
/// a pixel as the screen stores them.
pub(super) fn cost(request: &Request) -> u64 {
    match request {
        Request::SendSelection { data, .. } => data.len() as u64 / 4,
        _ => 0,
    }
}

fn error(code: ErrorCode, message: String) -> SceneError {
    SceneError {
        code,
        resource: None,
        message,
    }
}

impl Core {
    /// Carries out a selection request.
    pub(super) fn select(&mut self, conn: ConnId, request: &Request) -> Result<(), SceneError> {
        match request {
            Request::ClaimSelection {
                selection,
                types,
                text,
            } => self.claim(conn, *selection, types, text.as_deref()),
            Request::RequestSelection {
                selection,
                mime,
                transfer,
            } => self.request_selection(conn, *selection, mime, *transfer),
            Request::SendSelection {
                transfer,
                data,
                more,
            } => self.send_selection(conn, *transfer, data, *more),
            Request::RefuseSelection { transfer } => {
                self.owners_transfer(conn, *transfer)?;
                if let Some(t) = self.selections.transfers.remove(transfer) {
                    if !t.dead {
                        self.fail(t.requester, t.number, SelectionFailure::Refused);
                    }
                }
                Ok(())
            }
            Request::WatchSelections => {
                self.selections.watchers.insert(conn);
                Ok(())
            }
            _ => Err(super::not_mine(request)),
        }
    }

    fn check_type(&self, mime: &str) -> Result<(), SceneError> {
        let max = self.selections.limits.max_type_len;
        if mime.len() > max as usize {
            return Err(error(
                ErrorCode::BadValue,
                format!(
                    "a type name of {} bytes is longer than the limit of {max}",
                    mime.len()
                ),
            ));
        }
        Ok(())
    }

    fn claim(
        &mut self,
        conn: ConnId,
        selection: Selection,
        types: &[String],
        text: Option<&str>,
    ) -> Result<(), SceneError> {
        let limits = self.selections.limits;
        if types.len() > limits.max_types as usize {
            return Err(error(
                ErrorCode::BadValue,
                format!(
                    "a claim of {} types offers more than the limit of {}",
                    types.len(),
                    limits.max_types
                ),
            ));
        }
        for mime in types {
            self.check_type(mime)?;
        }
        if let Some(text) = text.filter(|t| t.len() > limits.max_kept_text as usize) {
            return Err(error(
                ErrorCode::BadLength,
                format!(
                    "a claim's text of {} bytes is longer than the {} bytes the server keeps: \
                     give none, and answer requests for it",
                    text.len(),
                    limits.max_kept_text
                ),
            ));
        }
        let i = selection.index();
        let new = (!types.is_empty()).then(|| Owner {
            conn,
            types: types.to_vec(),
        });
        let old = std::mem::replace(&mut self.selections.owners[i], new);
        if let Some(old) = old.filter(|o| o.conn != conn) {
            let lost = Event::SelectionLost { selection };
            self.clients.send(old.conn, ServerMessage::Event(lost));
        }
        self.selections.kept[i] = text.map(str::to_owned);
        tracing::debug!(conn, ?selection, ?types, "selection claimed");
        let offered = self.offered(selection);
        self.tell_watchers(selection, offered, Some(conn));
        Ok(())
    }

    /// The types that a request for `selection` can be answered in now.
    fn offered(&self, selection: Selection) -> Vec<String> {
        let i = selection.index();
        match (&self.selections.owners[i], &self.selections.kept[i]) {
            (Some(owner), _) => owner.types.clone(),
            (None, Some(_)) => vec![TEXT.to_owned()],
            (None, None) => Vec::new(),
        }
    }

    fn tell_watchers(&mut self, selection: Selection, types: Vec<String>, except: Option<ConnId>) {
        let changed = ServerMessage::Event(Event::SelectionChanged { selection, types });
        let watchers: Vec<ConnId> = self.selections.watchers.iter().copied().collect();
        for watcher in watchers.into_iter().filter(|w| Some(*w) != except) {
            self.clients.send(watcher, changed.clone());
        }
    }

    fn fail(&mut self, requester: ConnId, number: u32, reason: SelectionFailure) {
        tracing::debug!(requester, number, %reason, "selection transfer failed");
        let failed = Event::SelectionFailed {
            transfer: number,
            reason,
        };
        self.clients.send(requester, ServerMessage::Event(failed));
    }

    fn request_selection(
        &mut self,
        conn: ConnId,
        selection: Selection,
        mime: &str,
        number: u32,
    ) -> Result<(), SceneError> {
        self.check_type(mime)?;
        let limits = self.selections.limits;
        let open = self
            .selections
            .transfers
            .values()
            .filter(|t| t.requester == conn && !t.dead)
            .count();
        if open >= limits.max_transfers as usize {
            return Err(error(
                ErrorCode::ResourceLimit,
                format!(
                    "this client has {open} selection transfers under way, the most it may \
                     have at once: wait for their last chunk"
                ),
            ));
        }
        let i = selection.index();
        let Some(owner) = &self.selections.owners[i] else {
            match &self.selections.kept[i] {
                Some(text) if mime == TEXT => {
                    // The owner has gone: the server answers with the text it kept.
                    let text = text.clone().into_bytes();
                    self.hand_over(conn, number, &text);
                }
                Some(_) => self.fail(conn, number, SelectionFailure::NotOffered),
                None => self.fail(conn, number, SelectionFailure::NoOwner),
            }
            return Ok(());
        };
        if !owner.types.iter().any(|t| t == mime) {
            self.fail(conn, number, SelectionFailure::NotOffered);
            return Ok(());
        }
        let owner = owner.conn;
        let id = self.selections.next;
        self.selections.next = id.wrapping_add(1);
        let deadline = Instant::now() + self.selections.timeout();
        self.selections.transfers.insert(
            id,
            Transfer {
                owner,
                requester: conn,
                number,
                sent: 0,
                deadline,
                dead: false,
            },
        );
        let ask = Event::SelectionRequest {
            selection,
            mime: mime.to_owned(),
            transfer: id,
        };
        self.clients.send(owner, ServerMessage::Event(ask));
        Ok(())
    }

    /// Sends `data` to a requester in chunks of the limit, the last with `more: false`.
    fn hand_over(&mut self, conn: ConnId, number: u32, data: &[u8]) {
        let chunk = (self.selections.limits.max_chunk as usize).max(1);
        let mut chunks = data.chunks(chunk).peekable();
        if chunks.peek().is_none() {
            let last = Event::SelectionData {
                transfer: number,
                data: Vec::new(),
                more: false,
            };
            self.clients.send(conn, ServerMessage::Event(last));
        }
        while let Some(piece) = chunks.next() {
            let event = Event::SelectionData {
                transfer: number,
                data: piece.to_vec(),
                more: chunks.peek().is_some(),
            };
            self.clients.send(conn, ServerMessage::Event(event));
        }
    }

    /// Checks that transfer `id` was asked of `conn`.
    fn owners_transfer(&self, conn: ConnId, id: u32) -> Result<(), SceneError> {
        match self.selections.transfers.get(&id) {
            Some(t) if t.owner == conn => Ok(()),
            _ => Err(error(
                ErrorCode::BadValue,
                format!("no selection transfer {id} was asked of this client (or it has ended)"),
            )),
        }
    }

    fn send_selection(
        &mut self,
        conn: ConnId,
        id: u32,
        data: &[u8],
        more: bool,
    ) -> Result<(), SceneError> {
        self.owners_transfer(conn, id)?;
        let limits = self.selections.limits;
        let timeout = self.selections.timeout();
        let Some(t) = self.selections.transfers.get_mut(&id) else {
            return Ok(());
        };
        if t.dead {
            if !more {
                self.selections.transfers.remove(&id);
            }
            return Ok(());
        }
        let (requester, number) = (t.requester, t.number);
        let broken = if data.len() > limits.max_chunk as usize {
            Some((
                SelectionFailure::OwnerError,
                format!(
                    "a selection chunk of {} bytes is longer than the limit of {}",
                    data.len(),
                    limits.max_chunk
                ),
            ))
        } else if t.sent.saturating_add(data.len() as u64) > limits.max_bytes {
            Some((
                SelectionFailure::TooLarge,
                format!(
                    "the selection transfer would carry more than the limit of {} bytes",
                    limits.max_bytes
                ),
            ))
        } else {
            None
        };
        if let Some((reason, message)) = broken {
            t.dead = true;
            if !more {
                self.selections.transfers.remove(&id);
            }
            self.fail(requester, number, reason);
            return Err(error(ErrorCode::BadLength, message));
        }
        t.sent += data.len() as u64;
        t.deadline = Instant::now() + timeout;
        if !more {
            self.selections.transfers.remove(&id);
        }
        let event = Event::SelectionData {
            transfer: number,
            data: data.to_vec(),
            more,
        };
        self.clients.send(requester, ServerMessage::Event(event));
        Ok(())
    }

    /// Ends the transfers whose owner has been silent past their deadline.
    pub(super) fn expire_transfers(&mut self, now: Instant) {
        let expired: Vec<u32> = self
            .selections
            .transfers
            .iter()
            .filter(|(_, t)| t.deadline <= now)
            .map(|(id, _)| *id)
            .collect();
        for id in expired {
            if let Some(t) = self.selections.transfers.remove(&id) {
                if !t.dead {
                    self.fail(t.requester, t.number, SelectionFailure::Timeout);
                }
            }
        }
    }

    /// A client has gone: the selections it owned keep only their text, its transfers as
    /// owner fail, and those it asked for are dropped.
    pub(super) fn selections_forget(&mut self, conn: ConnId) {
        self.selections.watchers.remove(&conn);
        for selection in Selection::ALL {
            let i = selection.index();
            if self.selections.owners[i]
                .as_ref()
                .is_some_and(|o| o.conn == conn)
            {
                self.selections.owners[i] = None;
                let offered = self.offered(selection);
                self.tell_watchers(selection, offered, None);
            }
        }
        let mut failed = Vec::new();
        self.selections.transfers.retain(|_, t| {
            if t.owner == conn {
                if !t.dead {
                    failed.push((t.requester, t.number));
                }
                return false;
            }
            if t.requester == conn {
                t.dead = true;
            }
            true
        });
        for (requester, number) in failed {
            self.fail(requester, number, SelectionFailure::OwnerGone);
        }
    }
}
