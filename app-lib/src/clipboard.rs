//! The clipboard and the primary selection, for applications: copy (own a selection, with
//! its content held here and served by the library), paste (ask and wait), and the
//! lower-level requests for those who serve or receive content themselves.
//!
//! See [`Display::set_selection`] for an example, and [`netui_protocol::selection`] for how
//! a transfer travels.

use std::collections::VecDeque;

use netui_protocol::selection::TEXT;
use netui_protocol::{Event, Request, Selection, SelectionFailure};

use crate::display::Display;
use crate::error::Error;

/// What this client offers for a selection that it claimed with
/// [`Display::set_selection`]: each type with its bytes. The library answers the server's
/// requests for it (inside [`Display::wait_event`] and its siblings, and while
/// [`Display::paste`] waits).
pub(crate) type Offers = Vec<(String, Vec<u8>)>;

/// The selection state of a [`Display`].
#[derive(Debug, Default)]
pub(crate) struct SelectionState {
    /// What is held for each selection ([`Selection::index`]), while this client owns it.
    held: [Option<Offers>; 2],
    /// Events that came while [`Display::paste`] waited, for the application's next waits.
    pub(crate) pending: VecDeque<Event>,
    /// The number of the next transfer this client asks for.
    next_transfer: u32,
}

impl Display {
    /// Makes this client the owner of `selection` and holds its content here, one entry per
    /// type (such as [`netui_protocol::selection::TEXT`] and
    /// [`netui_protocol::selection::PNG`]): the library answers other clients' requests for
    /// it, in chunks of the server's limit, while the application waits for events. UTF-8
    /// text that fits the server's `max_kept_text` goes with the claim, so that it still
    /// pastes after this client has gone. The previous owner is told it lost the selection.
    ///
    /// ```no_run
    /// use netui::{Display, Selection};
    ///
    /// let mut copier = Display::connect(None)?;
    /// copier.set_selection_text(Selection::Clipboard, "hello, clipboard")?;
    ///
    /// // Another application (here in the same program) pastes it: the copier's library
    /// // answers on its own thread of events, so a second thread serves it.
    /// let serve = std::thread::spawn(move || while copier.wait_event().is_ok() {});
    /// let mut paster = Display::connect(None)?;
    /// let text = paster.paste_text(Selection::Clipboard)?;
    /// assert_eq!(text.as_deref(), Some("hello, clipboard"));
    /// # drop(serve);
    /// # Ok::<(), netui::Error>(())
    /// ```
    pub fn set_selection(
        &mut self,
        selection: Selection,
        offers: Vec<(String, Vec<u8>)>,
    ) -> Result<(), Error> {
        let limit = self.welcome().limits.selection.max_kept_text as usize;
        let text = offers
            .iter()
            .find(|(mime, data)| mime == TEXT && data.len() <= limit)
            .and_then(|(_, data)| std::str::from_utf8(data).ok())
            .map(str::to_owned);
        let types = offers.iter().map(|(mime, _)| mime.clone()).collect();
        self.send(Request::ClaimSelection {
            selection,
            types,
            text,
        });
        self.selection_state().held[selection.index()] = Some(offers);
        self.flush()
    }

    /// [`Display::set_selection`] with UTF-8 text alone.
    pub fn set_selection_text(&mut self, selection: Selection, text: &str) -> Result<(), Error> {
        self.set_selection(selection, vec![(TEXT.to_owned(), text.as_bytes().to_vec())])
    }

    /// Whether this client holds content for `selection` (it claimed it with
    /// [`Display::set_selection`] and has not lost it since, as far as the events it has
    /// read tell).
    pub fn owns_selection(&mut self, selection: Selection) -> bool {
        self.selection_state().held[selection.index()].is_some()
    }

    /// Claims `selection`, offering `types`, without holding the content here: the
    /// application answers each [`Event::SelectionRequest`] itself with
    /// [`Display::answer_selection`] or [`Display::refuse_selection`]. `keep_text` is a copy
    /// of the text for the server to keep (at most the welcome's `max_kept_text` bytes).
    pub fn claim_selection(
        &mut self,
        selection: Selection,
        types: &[&str],
        keep_text: Option<&str>,
    ) -> Result<(), Error> {
        self.selection_state().held[selection.index()] = None;
        self.send(Request::ClaimSelection {
            selection,
            types: types.iter().map(|t| (*t).to_owned()).collect(),
            text: keep_text.map(str::to_owned),
        });
        self.flush()
    }

    /// Answers the [`Event::SelectionRequest`] numbered `transfer` with `data`, in chunks of
    /// the server's limit (an empty `data` is one empty chunk).
    pub fn answer_selection(&mut self, transfer: u32, data: &[u8]) -> Result<(), Error> {
        let chunk = (self.welcome().limits.selection.max_chunk as usize).max(1);
        let mut chunks = data.chunks(chunk).peekable();
        if chunks.peek().is_none() {
            self.send(Request::SendSelection {
                transfer,
                data: Vec::new(),
                more: false,
            });
        }
        while let Some(piece) = chunks.next() {
            self.send(Request::SendSelection {
                transfer,
                data: piece.to_vec(),
                more: chunks.peek().is_some(),
            });
        }
        self.flush()
    }

    /// Refuses the [`Event::SelectionRequest`] numbered `transfer`.
    pub fn refuse_selection(&mut self, transfer: u32) -> Result<(), Error> {
        self.send(Request::RefuseSelection { transfer });
        self.flush()
    }

    /// Asks for the content of `selection` as `mime` without waiting: it comes as
    /// [`Event::SelectionData`] chunks carrying the number returned here, or an
    /// [`Event::SelectionFailed`]. (Only [`Display::wait_event`] and its siblings deliver
    /// them; [`Display::paste`] waits for it all.)
    pub fn request_selection(&mut self, selection: Selection, mime: &str) -> Result<u32, Error> {
        let state = self.selection_state();
        let transfer = state.next_transfer;
        state.next_transfer = transfer.wrapping_add(1);
        self.send(Request::RequestSelection {
            selection,
            mime: mime.to_owned(),
            transfer,
        });
        self.flush()?;
        Ok(transfer)
    }

    /// Asks to hear [`Event::SelectionChanged`] whenever another client claims a selection.
    pub fn watch_selections(&mut self) -> Result<(), Error> {
        self.send(Request::WatchSelections);
        self.flush()
    }

    /// The content of `selection` as `mime`, waiting for all of it: `None` when the
    /// selection is empty or is not offered in that type; [`Error::Selection`] when its
    /// owner failed to give it. Events that come meanwhile wait for the next
    /// [`Display::wait_event`], and requests for what this client holds are answered.
    pub fn paste(&mut self, selection: Selection, mime: &str) -> Result<Option<Vec<u8>>, Error> {
        let transfer = self.request_selection(selection, mime)?;
        self.count_round_trip();
        let mut content = Vec::new();
        let mut held = VecDeque::new();
        let outcome = loop {
            self.flush()?;
            let event = match self.next_raw_event() {
                Ok(event) => event,
                Err(e) => break Err(e),
            };
            match event {
                Event::SelectionData {
                    transfer: t,
                    data,
                    more,
                } if t == transfer => {
                    content.extend_from_slice(&data);
                    if !more {
                        break Ok(Some(content));
                    }
                }
                Event::SelectionFailed {
                    transfer: t,
                    reason,
                } if t == transfer => {
                    break match reason {
                        SelectionFailure::NoOwner | SelectionFailure::NotOffered => Ok(None),
                        other => Err(Error::Selection(other)),
                    };
                }
                other => {
                    if let Some(event) = self.serve_selection_event(other)? {
                        held.push_back(event);
                    }
                }
            }
        };
        self.selection_state().pending.extend(held);
        outcome
    }

    /// [`Display::paste`] of UTF-8 text: `None` when there is none (invalid UTF-8 is
    /// replaced, as a terminal would show it).
    pub fn paste_text(&mut self, selection: Selection) -> Result<Option<String>, Error> {
        Ok(self
            .paste(selection, TEXT)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// What the library does with an event before the application sees it: a request for
    /// content held here is answered (and the event kept from the application), a lost
    /// selection lets its content go.
    pub(crate) fn serve_selection_event(&mut self, event: Event) -> Result<Option<Event>, Error> {
        match event {
            Event::SelectionRequest {
                selection,
                ref mime,
                transfer,
            } => {
                let Some(offers) = &self.selection_state().held[selection.index()] else {
                    return Ok(Some(event));
                };
                let data = offers
                    .iter()
                    .find(|(m, _)| m == mime)
                    .map(|(_, data)| data.clone());
                match data {
                    Some(data) => self.answer_selection(transfer, &data)?,
                    None => self.refuse_selection(transfer)?,
                }
                Ok(None)
            }
            Event::SelectionLost { selection } => {
                self.selection_state().held[selection.index()] = None;
                Ok(Some(event))
            }
            other => Ok(Some(other)),
        }
    }
}
