//! Flow control for a viewer: how many bytes of updates may be on their way unacknowledged.
//!
//! The window is the link's bandwidth-delay product, estimated from the acknowledgements:
//! the smallest round trip of a small update is the link's delay, and a larger update sent
//! while nothing else was in flight that took `rtt` to come back tells the rate,
//! `bytes / (rtt - base_rtt)`. Until both are known the window is a few kilobytes. One
//! update may always be in flight; more while the unacknowledged bytes are fewer than the
//! window. So on a long fast link small updates follow each other without waiting for
//! acknowledgements (one unacknowledged update at a time allowed at most one per round trip,
//! 10 frames/s at 100 ms), and on a slow one nothing queues beyond what the link holds: an
//! input's answer waits behind at most about one round trip of updates.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use netui_display_server::flow::Flow;
//!
//! let mut flow = Flow::default();
//! let t = Instant::now();
//! // 2 KB alone, back after 100 ms + 8 ms on a link whose round trip is 100 ms:
//! flow.sent(1, 200, t);
//! flow.ack(1, t + Duration::from_millis(100));
//! flow.sent(2, 2000, t + Duration::from_millis(100));
//! flow.ack(2, t + Duration::from_millis(208));
//! // 250 KB/s × 100 ms
//! assert_eq!(flow.window(), 25_000);
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window until a rate has been measured: small updates (typing, a cursor) go on
/// meanwhile, but not a pile of them on a link that may turn out to be slow.
const INITIAL_WINDOW: usize = 4 * 1024;
/// The largest window, whatever the estimate.
const MAX_WINDOW: usize = 8 << 20;
/// An update gives a rate sample only if its transmission shows above the noise: at least
/// this many bytes, and a round trip longer than the base by at least [`MIN_EXTRA`].
const SAMPLE_BYTES: usize = 1024;
const MIN_EXTRA: Duration = Duration::from_micros(500);
/// Weight of a new rate sample in the running estimate.
const SAMPLE_WEIGHT: f64 = 0.3;

/// One viewer's unacknowledged updates and its estimate of the link.
#[derive(Debug, Default)]
pub struct Flow {
    unacked: VecDeque<Sent>,
    /// The smallest round trip seen.
    base_rtt: Option<Duration>,
    /// Bytes per second, once measured.
    rate: Option<f64>,
}

#[derive(Debug)]
struct Sent {
    update: u64,
    bytes: usize,
    at: Instant,
    /// Nothing else was in flight when it left: its round trip is its own.
    alone: bool,
}

impl Flow {
    /// Whether another update may go now.
    pub fn may_send(&self) -> bool {
        self.unacked.is_empty() || self.unacked_bytes() < self.window()
    }

    /// Update `update` of `bytes` bytes left at `now`.
    pub fn sent(&mut self, update: u64, bytes: usize, now: Instant) {
        let alone = self.unacked.is_empty();
        self.unacked.push_back(Sent {
            update,
            bytes,
            at: now,
            alone,
        });
    }

    /// The viewer has applied every update up to `update`; its acknowledgement arrived at
    /// `now`.
    pub fn ack(&mut self, update: u64, now: Instant) {
        while let Some(sent) = self.unacked.front() {
            if sent.update > update {
                break;
            }
            let rtt = now.saturating_duration_since(sent.at);
            let (bytes, own) = (sent.bytes, sent.update == update && sent.alone);
            if own {
                self.sample(bytes, rtt);
            }
            // Only a small update's round trip is the link's delay: a large one's includes its
            // own transmission, and a base that large would turn the next sample's small
            // excess into an enormous rate (a window of seconds on a modem).
            if bytes < SAMPLE_BYTES {
                self.base_rtt = Some(self.base_rtt.map_or(rtt, |b| b.min(rtt)));
            }
            self.unacked.pop_front();
        }
    }

    fn sample(&mut self, bytes: usize, rtt: Duration) {
        let Some(base) = self.base_rtt else { return };
        let extra = rtt.saturating_sub(base);
        if bytes < SAMPLE_BYTES || extra < MIN_EXTRA {
            return;
        }
        let sample = bytes as f64 / extra.as_secs_f64();
        self.rate = Some(self.rate.map_or(sample, |r| {
            r * (1.0 - SAMPLE_WEIGHT) + sample * SAMPLE_WEIGHT
        }));
    }

    /// The bytes that may be unacknowledged: the estimated rate times the base round trip.
    pub fn window(&self) -> usize {
        match (self.rate, self.base_rtt) {
            (Some(rate), Some(rtt)) => ((rate * rtt.as_secs_f64()) as usize).min(MAX_WINDOW),
            _ => INITIAL_WINDOW,
        }
    }

    /// The link's rate in bytes per second, once measured.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Bytes sent and not yet acknowledged.
    pub fn unacked_bytes(&self) -> usize {
        self.unacked.iter().map(|s| s.bytes).sum()
    }

    /// Updates sent and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.unacked.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// A link of `rate` bytes/s and a round trip of `rtt`: sends `sizes` one at a time and
    /// acknowledges each when it would have arrived.
    fn measure(rate: f64, rtt: Duration, sizes: &[usize]) -> Flow {
        let mut flow = Flow::default();
        let mut now = Instant::now();
        for (i, &bytes) in sizes.iter().enumerate() {
            let update = i as u64 + 1;
            flow.sent(update, bytes, now);
            now += rtt + Duration::from_secs_f64(bytes as f64 / rate);
            flow.ack(update, now);
        }
        flow
    }

    #[test]
    fn the_window_is_the_bandwidth_delay_product() {
        // wan: 250 KB/s, 100 ms.
        let flow = measure(250_000.0, 100 * MS, &[100, 5000, 8000, 3000]);
        let window = flow.window();
        assert!((24_000..=26_000).contains(&window), "{window}");
        // modem: 7 KB/s, 200 ms: about 1.4 KB (a little more: the smallest round trip also
        // carried 100 bytes), so a pixel update goes alone.
        let flow = measure(7_000.0, 200 * MS, &[100, 3000, 2000]);
        let window = flow.window();
        assert!((1_300..=1_700).contains(&window), "{window}");
    }

    #[test]
    fn small_updates_follow_each_other_on_a_long_fast_link() {
        let mut flow = measure(250_000.0, 100 * MS, &[100, 5000]);
        let now = Instant::now();
        let mut sent = 0;
        while flow.may_send() {
            sent += 1;
            flow.sent(100 + sent, 500, now);
        }
        // About 25 KB of 500-byte updates.
        assert!((48..=54).contains(&sent), "{sent}");
    }

    #[test]
    fn one_update_may_always_go_and_a_large_one_goes_alone() {
        let mut flow = measure(7_000.0, 200 * MS, &[100, 3000]);
        assert!(flow.may_send());
        flow.sent(10, 50_000, Instant::now());
        assert!(!flow.may_send());
        assert_eq!(flow.in_flight(), 1);
        flow.ack(10, Instant::now());
        assert!(flow.may_send());
        assert_eq!(flow.unacked_bytes(), 0);
    }

    #[test]
    fn large_updates_alone_do_not_make_a_base_round_trip() {
        // Pixel updates of 20 KB on a modem: no small update, so no delay is known and the
        // window stays small (one large update at a time), however the samples fall.
        let mut flow = measure(7_000.0, 200 * MS, &[20_000, 20_500, 21_000]);
        assert_eq!(flow.window(), INITIAL_WINDOW);
        flow.sent(10, 20_000, Instant::now());
        assert!(!flow.may_send());
    }

    #[test]
    fn before_any_rate_is_known_the_window_is_small() {
        // Tiny updates only: no rate sample.
        let flow = measure(1_000_000.0, 50 * MS, &[100, 200, 50]);
        assert_eq!(flow.window(), INITIAL_WINDOW);
    }

    #[test]
    fn an_acknowledgement_covers_every_update_before_it() {
        let mut flow = Flow::default();
        let now = Instant::now();
        for u in 1..=5 {
            flow.sent(u, 100, now);
        }
        flow.ack(3, now + 10 * MS);
        assert_eq!(flow.in_flight(), 2);
        flow.ack(99, now + 20 * MS);
        assert_eq!(flow.in_flight(), 0);
    }
}
