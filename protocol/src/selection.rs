//! Selections: the clipboard and the primary selection, in the X tradition.
//!
//! An application *claims* a selection with the types it can give
//! ([`crate::Request::ClaimSelection`]); the previous owner hears that it lost it
//! ([`crate::Event::SelectionLost`]). Another application asks for the content in one of
//! those types ([`crate::Request::RequestSelection`]); the server asks the owner
//! ([`crate::Event::SelectionRequest`]), the owner answers in chunks of at most
//! [`SelectionLimits::max_chunk`] bytes ([`crate::Request::SendSelection`], the last one with
//! `more: false`), and the server hands each chunk on to the requester as it comes
//! ([`crate::Event::SelectionData`]), as X's INCR transfers do: the server never holds a
//! whole transfer and never waits for one. A transfer that cannot finish ends with
//! [`crate::Event::SelectionFailed`], which says why ([`SelectionFailure`]); a selection
//! that nobody owns answers [`SelectionFailure::NoOwner`] (an empty clipboard is an answer,
//! not a broken request).
//!
//! A claim may carry a copy of its text ([`SelectionLimits::max_kept_text`] bytes at most):
//! the server keeps the last one, so that the text still pastes once its owner has gone.
//!
//! ```text
//! owner                       server                        requester
//!   ClaimSelection ─────────▶ (owner, types, kept text)
//!                             ◀──────────────────────────── RequestSelection {transfer: 7}
//!   ◀───── SelectionRequest {transfer: 1}
//!   SendSelection {1, more} ─▶ ─── SelectionData {7, more} ─▶
//!   SendSelection {1, last} ─▶ ─── SelectionData {7, last} ─▶
//! ```

use serde::{Deserialize, Serialize};

/// The type name of UTF-8 text, which every application that copies text offers.
pub const TEXT: &str = "text/plain;charset=utf-8";
/// The type name of a PNG image.
pub const PNG: &str = "image/png";

/// Which selection: the clipboard (Ctrl+C, Ctrl+V) or the primary selection (select to copy,
/// middle-click to paste).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Selection {
    /// What Ctrl+C copies and Ctrl+V pastes.
    Clipboard,
    /// What was last selected; a middle click pastes it.
    Primary,
}

impl Selection {
    /// Both selections.
    pub const ALL: [Selection; 2] = [Selection::Clipboard, Selection::Primary];

    /// The selection's index in [`Selection::ALL`].
    pub const fn index(self) -> usize {
        match self {
            Selection::Clipboard => 0,
            Selection::Primary => 1,
        }
    }
}

/// Why a transfer ended without its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SelectionFailure {
    /// Nobody owns the selection, and the server keeps no text for it: it is empty.
    NoOwner,
    /// The owner does not offer the type asked for.
    NotOffered,
    /// The owner refused ([`crate::Request::RefuseSelection`]).
    Refused,
    /// The owner went away (or claimed nothing any more) before the transfer ended.
    OwnerGone,
    /// The owner sent more than [`SelectionLimits::max_bytes`].
    TooLarge,
    /// The owner broke the rules (a chunk longer than the limit): it got an error of its own.
    OwnerError,
    /// The owner did not answer for [`SelectionLimits::timeout_ms`].
    Timeout,
}

impl std::fmt::Display for SelectionFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SelectionFailure::NoOwner => "the selection is empty (nobody owns it)",
            SelectionFailure::NotOffered => "the selection's owner does not offer that type",
            SelectionFailure::Refused => "the selection's owner refused",
            SelectionFailure::OwnerGone => "the selection's owner went away",
            SelectionFailure::TooLarge => "the content is larger than the server allows",
            SelectionFailure::OwnerError => "the selection's owner sent bad data",
            SelectionFailure::Timeout => "the selection's owner did not answer in time",
        })
    }
}

/// The limits of selections, part of the [`crate::Limits`] that every welcome carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionLimits {
    /// Longest chunk of one [`crate::Request::SendSelection`], in bytes.
    pub max_chunk: u32,
    /// Most bytes one transfer may carry.
    pub max_bytes: u64,
    /// Longest text that a claim may give the server to keep, in bytes.
    pub max_kept_text: u32,
    /// Longest type name, in bytes.
    pub max_type_len: u32,
    /// Most types that one claim may offer.
    pub max_types: u32,
    /// Transfers that one client may have asked for and not yet received at once.
    pub max_transfers: u32,
    /// How long the server waits for an owner's next chunk before it ends the transfer
    /// with [`SelectionFailure::Timeout`], in milliseconds.
    pub timeout_ms: u32,
}

impl Default for SelectionLimits {
    fn default() -> Self {
        Self {
            max_chunk: 256 << 10,
            max_bytes: 32 << 20,
            max_kept_text: 1 << 20,
            max_type_len: 255,
            max_types: 16,
            max_transfers: 1,
            timeout_ms: 10_000,
        }
    }
}
