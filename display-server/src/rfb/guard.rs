//! The guard against password guessing on the RFB port, as TigerVNC's blacklist: after
//! [`THRESHOLD`] failed VNC authentications in a row from one IP address, further connections
//! from that address are refused for [`FIRST_BLOCK`]; each failure after a block has ended
//! blocks it again for twice as long (up to [`MAX_BLOCK`]); a success forgets the address.
//!
//! VNC Authentication keys DES with at most 8 password bytes and gives a guesser one try per
//! connection, so without a guard a guesser is limited only by the network. The rule is per
//! address: every local user connects from loopback, so one of them guessing locks the others
//! out of loopback for the window too (the README's VNC section says so).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed authentications in a row that block an address.
pub const THRESHOLD: u32 = 5;
/// How long an address is refused the first time.
pub const FIRST_BLOCK: Duration = Duration::from_secs(10);
/// The longest an address is refused at once.
pub const MAX_BLOCK: Duration = Duration::from_secs(3600);
/// Addresses the guard remembers: beyond this, only blocked ones are kept (and a new failing
/// address is not counted until there is room), so a guesser with many addresses cannot make
/// the server's memory grow.
const MAX_ADDRESSES: usize = 4096;

/// What the server says to a refused viewer (RFB 3.8 and 3.3: the refusal's reason).
pub const REASON: &str = "too many authentication failures";

/// Failed authentications per IP address, and which addresses are refused until when.
#[derive(Debug)]
pub struct Guard {
    threshold: u32,
    first_block: Duration,
    max_block: Duration,
    by_address: Mutex<HashMap<IpAddr, Record>>,
}

#[derive(Debug, Clone, Copy)]
struct Record {
    /// Failures in a row.
    failures: u32,
    /// Refused until then.
    blocked_until: Option<Instant>,
    /// How long the next block lasts.
    next_block: Duration,
}

impl Default for Guard {
    fn default() -> Self {
        Guard::new(THRESHOLD, FIRST_BLOCK, MAX_BLOCK)
    }
}

impl Guard {
    /// A guard that blocks after `threshold` failures in a row, for `first_block` and then
    /// twice as long each time, up to `max_block`.
    pub fn new(threshold: u32, first_block: Duration, max_block: Duration) -> Guard {
        Guard {
            threshold: threshold.max(1),
            first_block,
            max_block: max_block.max(first_block),
            by_address: Mutex::new(HashMap::new()),
        }
    }

    /// How much longer `ip` is refused, if it is at `now`.
    pub fn blocked(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let map = self.by_address.lock().ok()?;
        let until = map.get(&ip)?.blocked_until?;
        (until > now).then(|| until - now)
    }

    /// A failed authentication from `ip` at `now`; how long the address is blocked if this
    /// failure blocks it.
    pub fn failed(&self, ip: IpAddr, now: Instant) -> Option<Duration> {
        let mut map = self.by_address.lock().ok()?;
        if map.len() >= MAX_ADDRESSES && !map.contains_key(&ip) {
            map.retain(|_, r| r.blocked_until.is_some_and(|until| until > now));
            if map.len() >= MAX_ADDRESSES {
                return None;
            }
        }
        let first_block = self.first_block;
        let record = map.entry(ip).or_insert(Record {
            failures: 0,
            blocked_until: None,
            next_block: first_block,
        });
        record.failures = record.failures.saturating_add(1);
        if record.failures < self.threshold {
            return None;
        }
        let block = record.next_block;
        record.blocked_until = Some(now + block);
        record.next_block = (block * 2).min(self.max_block);
        Some(block)
    }

    /// A successful authentication from `ip`: its failures are forgotten.
    pub fn succeeded(&self, ip: IpAddr) {
        if let Ok(mut map) = self.by_address.lock() {
            map.remove(&ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn five_failures_block_one_address_for_a_while() {
        let guard = Guard::default();
        let t0 = Instant::now();
        for _ in 1..THRESHOLD {
            assert_eq!(guard.failed(A, t0), None);
            assert_eq!(guard.blocked(A, t0), None);
        }
        assert_eq!(guard.failed(A, t0), Some(FIRST_BLOCK));
        assert_eq!(guard.blocked(A, t0), Some(FIRST_BLOCK));
        assert_eq!(guard.blocked(B, t0), None, "another address is fine");
        let later = t0 + FIRST_BLOCK;
        assert_eq!(guard.blocked(A, later), None, "the block ends");
        // One more failure after it blocks again, twice as long.
        assert_eq!(guard.failed(A, later), Some(FIRST_BLOCK * 2));
        assert_eq!(guard.failed(A, later), Some(FIRST_BLOCK * 4));
    }

    #[test]
    fn a_success_forgets_the_failures() {
        let guard = Guard::default();
        let t0 = Instant::now();
        for _ in 1..THRESHOLD {
            guard.failed(A, t0);
        }
        guard.succeeded(A);
        for _ in 1..THRESHOLD {
            assert_eq!(guard.failed(A, t0), None);
        }
    }

    #[test]
    fn blocks_grow_up_to_the_cap() {
        let guard = Guard::new(1, Duration::from_secs(1), Duration::from_secs(3));
        let t0 = Instant::now();
        let blocks: Vec<_> = (0..4).filter_map(|_| guard.failed(A, t0)).collect();
        let s = Duration::from_secs;
        assert_eq!(blocks, [s(1), s(2), s(3), s(3)]);
    }

    #[test]
    fn memory_stays_bounded_by_blocked_addresses() {
        let guard = Guard::new(2, Duration::from_secs(1), Duration::from_secs(1));
        let t0 = Instant::now();
        for i in 0..(MAX_ADDRESSES as u32 + 10) {
            guard.failed(IpAddr::V4(i.into()), t0);
        }
        let len = guard.by_address.lock().map(|m| m.len()).unwrap_or(0);
        assert!(len <= MAX_ADDRESSES, "{len}");
    }
}
