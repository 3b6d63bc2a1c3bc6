//! The context of an `lz4-ctx` stream, the same at both ends: the dictionary of recent
//! payloads and the cache of large messages.

use std::collections::VecDeque;
use std::sync::Arc;

use super::*;

/// The last [`DICT_BYTES`] of a stream's context payloads, the same at both ends.
#[derive(Debug, Default)]
pub(super) struct History(pub(super) Vec<u8>);

impl History {
    pub(super) fn push(&mut self, payload: &[u8]) {
        if payload.len() >= DICT_BYTES {
            self.0.clear();
            self.0
                .extend_from_slice(&payload[payload.len() - DICT_BYTES..]);
            return;
        }
        let excess = (self.0.len() + payload.len()).saturating_sub(DICT_BYTES);
        self.0.drain(..excess);
        self.0.extend_from_slice(payload);
    }
}

/// The cache of large message bodies, kept the same at both ends: bodies are admitted in the
/// order their entries travel and evicted oldest first.
#[derive(Debug, Default)]
pub(super) struct Cache {
    /// Oldest first.
    pub(super) entries: VecDeque<Arc<[u8]>>,
    /// Bytes of the bodies held.
    pub(super) bytes: usize,
    /// Bodies admitted since the stream began (the newest is number `admitted - 1`).
    pub(super) admitted: u64,
}

impl Cache {
    /// Whether a message body of `len` bytes enters the cache.
    pub(super) fn admits(len: usize) -> bool {
        (CACHE_MIN..=CACHE_BYTES).contains(&len)
    }

    /// Admits `body` (for which [`Cache::admits`] holds) as the newest entry, evicting the
    /// oldest until it fits. Returns how many were evicted.
    pub(super) fn admit(&mut self, body: &[u8]) -> usize {
        let mut evicted = 0;
        while self.bytes + body.len() > CACHE_BYTES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.len();
            evicted += 1;
        }
        self.bytes += body.len();
        self.entries.push_back(Arc::from(body));
        self.admitted += 1;
        evicted
    }

    /// The body admitted `back` admissions before the newest, if still held.
    pub(super) fn get(&self, back: usize) -> Option<&Arc<[u8]>> {
        let index = self.entries.len().checked_sub(back.checked_add(1)?)?;
        self.entries.get(index)
    }

    /// The number of the oldest entry held.
    pub(super) fn first(&self) -> u64 {
        self.admitted - self.entries.len() as u64
    }
}
