//! Flow control for a viewer: how many bytes of updates may be on their way unacknowledged.
//!
//! The window is the link's bandwidth-delay product, estimated from the acknowledgements
//! much as TCP's BBR estimates it, and a quarter more (`GAIN`):
//! - The delay is the smallest round trip of a small update sent while nothing else was in
//!   flight. Once the first update is acknowledged, an empty one goes alone to measure it
//!   (the caller sends it when [`Flow::probe_due`] says so).
//! - The rate is the fastest of the recent samples, which are never faster than the link:
//!   an update sent alone tells it by its bytes over its round trip less the delay, and the
//!   others by the delivery rate, the bytes acknowledged between an update's leaving and
//!   its acknowledgement over that time (exact while the link is kept busy). Bytes are
//!   counted as the encoders give them; the connection may compress some further (LZ4
//!   pixels), so the rate is in those bytes, and a sample over a round trip's updates
//!   averages how much they shrank.
//!
//! Until both are known the window is a few kilobytes, and it doubles each time a full
//! window comes back too fast to be measured (a link much faster than the updates: a LAN,
//! loopback), as TCP's slow start grows its window, until updates are large enough to show
//! the rate; a slow link shows its rate with the first update of a few hundred bytes, so
//! its window never grows this way. Once a rate is known, a full window sent alone that
//! comes back too fast to be measured says that the rate is wrong (a viewer that took long
//! over one update made a fast link look slow, and on loopback the window it gave was too
//! small to ever measure the link again): the rate is forgotten and the window grows the
//! same way. Nor is the window ever smaller than an update that went alone in under half a
//! millisecond (beyond the delay): so many bytes add less than that to any update's wait,
//! and on loopback a window cut below them would cut updates into pieces too small to
//! measure anything. One update may always be in flight;
//! more while the unacknowledged bytes are fewer than the window, and [`Flow::room`] says
//! how much the next may carry. So on a long fast link small updates follow each other
//! without waiting for acknowledgements (one unacknowledged update at a time allowed at
//! most one per round trip, 10 frames/s at 100 ms), and on a slow one nothing queues beyond
//! what the link holds: an input's answer waits behind at most about a round trip of
//! updates, and a quarter of one in the link.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use netui_display_server::flow::Flow;
//!
//! let mut flow = Flow::default();
//! let t = Instant::now();
//! // On a link whose round trip is 100 ms: an empty update alone, back after 100 ms; then
//! // 2 KB alone, back after 100 ms + 8 ms.
//! flow.sent(1, 0, t);
//! flow.ack(1, t + Duration::from_millis(100));
//! flow.sent(2, 2000, t + Duration::from_millis(100));
//! flow.ack(2, t + Duration::from_millis(208));
//! // 250 KB/s × 100 ms × 1.25
//! assert!((31_240..=31_260).contains(&flow.window()));
//! ```

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The window until a rate has been measured: small updates (typing, a cursor) go on
/// meanwhile, but not a pile of them on a link that may turn out to be slow. It doubles
/// when a full window comes back too fast to tell the rate.
const INITIAL_WINDOW: usize = 4 * 1024;
/// The largest window, whatever the estimate.
const MAX_WINDOW: usize = 8 << 20;
/// The most times the window doubles before a rate is known: up to [`MAX_WINDOW`].
const MOST_DOUBLINGS: u32 = (MAX_WINDOW / INITIAL_WINDOW).ilog2();
/// An update gives a rate sample only if its transmission shows above the noise: at least
/// this many bytes, over at least [`MIN_EXTRA`]. Smaller updates sent alone tell the delay.
const SAMPLE_BYTES: usize = 256;
const MIN_EXTRA: Duration = Duration::from_micros(500);
/// The window is this much more than the bandwidth-delay product. With exactly the
/// product, an estimate a little low would leave the link idle part of the time, and the
/// deliveries would then say that it is slower still; a quarter more keeps it busy, with
/// at most a quarter of a round trip waiting in it.
const GAIN: f64 = 1.25;
/// The rate is the fastest sample of the last this many round trips (and at least
/// [`RATE_SPAN`]): a link that became slower is known as such after them.
const RATE_ROUNDS: u32 = 10;
const RATE_SPAN: Duration = Duration::from_millis(100);

/// One viewer's unacknowledged updates and its estimate of the link.
#[derive(Debug, Default)]
pub struct Flow {
    unacked: VecDeque<Sent>,
    /// The smallest round trip of a small update sent alone.
    delay: Option<Duration>,
    /// Rate samples (bytes per second) and when they were taken, oldest first, from the last
    /// [`RATE_ROUNDS`] round trips: only those faster than every newer one, so the first is
    /// the fastest and the queue stays short.
    rates: VecDeque<(Instant, f64)>,
    /// Bytes acknowledged so far, when the newest acknowledgement came, and when the update
    /// it acknowledged had left.
    delivered: usize,
    delivered_at: Option<Instant>,
    delivered_sent_at: Option<Instant>,
    /// Updates acknowledged so far.
    acked: u64,
    /// How many times a full window came back too fast to measure: while no rate is known,
    /// the window is [`INITIAL_WINDOW`] doubled that often.
    doublings: u32,
    /// The most bytes an update sent alone is known to have taken less than [`MIN_EXTRA`]
    /// over, beyond the delay: a window of that many adds less than that to any update's wait
    /// however the rate is estimated, so the window is never smaller.
    fast: usize,
}

/// What an acknowledged update told of the link's rate.
#[derive(Debug, PartialEq, Eq)]
enum Sample {
    /// What it could: a rate, or nothing (too small to tell, or slower than what is known).
    Told,
    /// Its bytes went in less than [`MIN_EXTRA`]: the link is faster than can be told.
    TooFast,
}

#[derive(Debug)]
struct Sent {
    update: u64,
    bytes: usize,
    at: Instant,
    /// Nothing else was in flight when it left: its round trip is its own.
    alone: bool,
    /// [`Flow::delivered`], [`Flow::delivered_at`] and [`Flow::delivered_sent_at`] when it
    /// left (its leaving for both times, when alone).
    delivered: usize,
    delivered_at: Instant,
    delivered_sent_at: Instant,
    /// The unacknowledged bytes reached the window with it: the link set the pace.
    full: bool,
}

impl Flow {
    /// Whether another update may go now.
    pub fn may_send(&self) -> bool {
        self.unacked.is_empty() || (self.delay.is_some() && self.unacked_bytes() < self.window())
    }

    /// Whether an urgent update (an answer to input) may go now: also past a full window,
    /// by up to a quarter of it, once the delay is known. So an answer waits behind what is
    /// in flight but not for acknowledgements too, and answers that come faster than the
    /// link carries them wait and merge instead of queueing in the link.
    pub fn may_send_urgent(&self) -> bool {
        self.may_send()
            || (self.delay.is_some() && self.unacked_bytes() < self.window() + self.window() / 4)
    }

    /// Whether the next update should be an empty one, to measure the link's delay: once the
    /// first update has been acknowledged, while the delay is unknown and nothing is in
    /// flight. Until it comes back nothing else goes.
    pub fn probe_due(&self) -> bool {
        self.delay.is_none() && self.acked > 0 && self.unacked.is_empty()
    }

    /// About how many bytes the next update may carry: what the window has room for.
    pub fn room(&self) -> usize {
        self.window().saturating_sub(self.unacked_bytes())
    }

    /// Update `update` of `bytes` bytes left at `now`.
    pub fn sent(&mut self, update: u64, bytes: usize, now: Instant) {
        let alone = self.unacked.is_empty();
        let since = |at: Option<Instant>| at.filter(|_| !alone).unwrap_or(now);
        self.unacked.push_back(Sent {
            update,
            bytes,
            at: now,
            alone,
            delivered: self.delivered,
            delivered_at: since(self.delivered_at),
            delivered_sent_at: since(self.delivered_sent_at),
            full: false,
        });
        let full = self.unacked_bytes() >= self.window();
        if let Some(sent) = self.unacked.back_mut() {
            sent.full = full;
        }
    }

    /// The viewer has applied every update up to `update`; its acknowledgement arrived at
    /// `now`.
    pub fn ack(&mut self, update: u64, now: Instant) {
        while let Some(sent) = self.unacked.pop_front() {
            if sent.update > update {
                self.unacked.push_front(sent);
                break;
            }
            self.delivered += sent.bytes;
            self.delivered_at = Some(now);
            self.delivered_sent_at = Some(sent.at);
            self.acked += 1;
            let rtt = now.saturating_duration_since(sent.at);
            // Only a small update's round trip, with nothing in front of it, is the link's
            // delay: a large one's includes its own transmission, and a delay that large
            // would turn the next sample's small excess into an enormous rate.
            if sent.bytes < SAMPLE_BYTES && sent.alone {
                self.delay = Some(self.delay.map_or(rtt, |d| d.min(rtt)));
            }
            if sent.alone
                && self
                    .delay
                    .is_some_and(|d| rtt.saturating_sub(d) < MIN_EXTRA)
            {
                self.fast = self.fast.max(sent.bytes);
            }
            if self.sample(&sent, rtt, now) == Sample::TooFast && sent.full {
                // A whole window, sent alone, went faster than can be told: the rate that
                // made this window is too low (a viewer slow to apply one update looks like
                // a slow link), or the window is too small to measure the link at all (on
                // loopback rate × delay is less than goes in half a millisecond), and either
                // way no update it lets through could replace the rate. It is forgotten, and
                // the window grows from what the link has carried that fast until it shows
                // the rate. (On a slow link a window's bytes take longer than that.)
                if sent.alone {
                    self.rates.clear();
                }
                self.doublings = (self.doublings + 1).min(MOST_DOUBLINGS);
            }
        }
    }

    /// The rate samples that `sent`, acknowledged at `now` after `rtt`, gives.
    fn sample(&mut self, sent: &Sent, rtt: Duration, now: Instant) -> Sample {
        if sent.bytes < SAMPLE_BYTES {
            return Sample::Told;
        }
        if sent.alone {
            // Its transmission took its round trip less the delay.
            let Some(extra) = self.delay.map(|d| rtt.saturating_sub(d)) else {
                return Sample::Told;
            };
            if extra < MIN_EXTRA {
                return Sample::TooFast;
            }
            self.push_rate(now, sent.bytes as f64 / extra.as_secs_f64());
            return Sample::Told;
        }
        // What was delivered since it left, over the longer of the times it took to send
        // and to acknowledge: acknowledgements that come bunched together do not make the
        // link look faster.
        let bytes = self.delivered - sent.delivered;
        let acking = now.saturating_duration_since(sent.delivered_at);
        let sending = sent.at.saturating_duration_since(sent.delivered_sent_at);
        let time = acking.max(sending);
        if time < MIN_EXTRA {
            return Sample::TooFast;
        }
        let rate = bytes as f64 / time.as_secs_f64();
        // Unless the window was full, the screen set the pace, and the sample says only
        // that the link is at least this fast.
        if sent.full || self.rate().is_none_or(|r| rate > r) {
            self.push_rate(now, rate);
        }
        Sample::Told
    }

    /// Adds a rate sample taken at `now`, and forgets those older than [`RATE_ROUNDS`]
    /// round trips, and those no faster than it (it outlives them).
    fn push_rate(&mut self, now: Instant, rate: f64) {
        let span = self
            .delay
            .map_or(RATE_SPAN, |d| (d * RATE_ROUNDS).max(RATE_SPAN));
        let old = |&(at, _): &(Instant, f64)| now.saturating_duration_since(at) > span;
        while self.rates.front().is_some_and(old) {
            self.rates.pop_front();
        }
        while self.rates.back().is_some_and(|&(_, r)| r <= rate) {
            self.rates.pop_back();
        }
        self.rates.push_back((now, rate));
    }

    /// The bytes that may be unacknowledged: the estimated rate times the link's delay, and a
    /// quarter more; until both are known, a few kilobytes, more on a link too fast to
    /// measure; never fewer than an update alone was seen to take under half a millisecond.
    pub fn window(&self) -> usize {
        let estimate = match (self.rate(), self.delay) {
            (Some(rate), Some(delay)) => (GAIN * rate * delay.as_secs_f64()) as usize,
            _ => INITIAL_WINDOW << self.doublings,
        };
        estimate.max(self.fast).min(MAX_WINDOW)
    }

    /// The link's rate in bytes per second, once measured.
    pub fn rate(&self) -> Option<f64> {
        self.rates.front().map(|&(_, rate)| rate)
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
    const US: Duration = Duration::from_micros(1);

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
        let flow = measure(250_000.0, 100 * MS, &[0, 5000, 8000, 3000]);
        assert!((31_240..=31_260).contains(&flow.window()));
        // modem: 7 KB/s, 200 ms: 1.75 KB, so a pixel update of a few kilobytes goes alone.
        let flow = measure(7_000.0, 200 * MS, &[0, 3000, 2000]);
        assert!((1_740..=1_760).contains(&flow.window()));
        // A delay measured with a few bytes is a little long, and so is the window.
        let flow = measure(7_000.0, 200 * MS, &[100, 3000, 2000]);
        let window = flow.window();
        assert!((1_750..=2_000).contains(&window), "{window}");
    }

    #[test]
    fn small_updates_follow_each_other_on_a_long_fast_link() {
        let mut flow = measure(250_000.0, 100 * MS, &[0, 5000]);
        let now = Instant::now();
        let mut sent = 0;
        while flow.may_send() {
            sent += 1;
            flow.sent(100 + sent, 500, now);
        }
        // About 31 KB of 500-byte updates.
        assert!((60..=66).contains(&sent), "{sent}");
    }

    #[test]
    fn one_update_may_always_go_and_a_large_one_goes_alone() {
        let mut flow = measure(7_000.0, 200 * MS, &[0, 3000]);
        assert!(flow.may_send());
        flow.sent(10, 50_000, Instant::now());
        assert!(!flow.may_send());
        assert_eq!(flow.in_flight(), 1);
        flow.ack(10, Instant::now());
        assert!(flow.may_send());
        assert_eq!(flow.unacked_bytes(), 0);
    }

    #[test]
    fn an_answer_goes_past_a_full_window_by_a_quarter_of_it_at_most() {
        // The modem's window, 1.75 KB, full of an animation's updates.
        let mut flow = measure(7_000.0, 200 * MS, &[0, 3000, 2000]);
        let now = Instant::now();
        flow.sent(10, 1_800, now);
        assert!(!flow.may_send() && flow.may_send_urgent());
        // Answers of 100 bytes: four more go, then they wait (and merge).
        let mut answers = 0;
        while flow.may_send_urgent() {
            answers += 1;
            flow.sent(10 + answers, 100, now);
        }
        assert_eq!(answers, 4);
        // Until the delay is known, nothing goes past the window.
        let mut unknown = Flow::default();
        unknown.sent(1, 100, now);
        assert!(!unknown.may_send_urgent());
    }

    #[test]
    fn large_updates_alone_do_not_make_a_base_round_trip() {
        // Pixel updates of 20 KB on a modem: no small update, so no delay is known, one
        // update goes at a time, and the next should be a probe.
        let mut flow = measure(7_000.0, 200 * MS, &[20_000, 20_500, 21_000]);
        assert_eq!(flow.window(), INITIAL_WINDOW);
        assert!(flow.probe_due());
        flow.sent(10, 20_000, Instant::now());
        assert!(!flow.may_send());
        assert!(!flow.probe_due());
    }

    /// A sender that always has updates of `size` bytes (or what [`Flow::room`] allows, if
    /// less) on a link of `rate` bytes/s and a round trip of `rtt`, for `seconds`: sends
    /// whenever flow control lets it. Returns the flow and the round trips of the last
    /// second's updates.
    fn saturate(rate: f64, rtt: Duration, size: usize, seconds: u64) -> (Flow, Vec<Duration>) {
        saturate_with(rate, rtt, size, seconds, |_| Duration::ZERO)
    }

    /// [`saturate`], with each update's acknowledgement later by `busy(update)`: the time the
    /// viewer took to apply it, not the link's.
    fn saturate_with(
        rate: f64,
        rtt: Duration,
        size: usize,
        seconds: u64,
        busy: impl Fn(u64) -> Duration,
    ) -> (Flow, Vec<Duration>) {
        let start = Instant::now();
        let end = start + Duration::from_secs(seconds);
        let mut flow = Flow::default();
        // (acknowledged at, update, sent at), in the order they come back.
        let mut acks: VecDeque<(Instant, u64, Instant)> = VecDeque::new();
        let (mut now, mut link_free, mut applied, mut update) = (start, start, start, 0);
        let mut rtts = Vec::new();
        while now < end {
            while flow.may_send() {
                update += 1;
                let bytes = match update {
                    1 => 50_000,
                    _ if flow.probe_due() => 0,
                    _ => size.min(flow.room().max(1)),
                };
                flow.sent(update, bytes, now);
                link_free = link_free.max(now) + Duration::from_secs_f64(bytes as f64 / rate);
                // The viewer applies updates in turn.
                applied = applied.max(link_free + rtt) + busy(update);
                acks.push_back((applied, update, now));
            }
            let Some((at, acked, sent)) = acks.pop_front() else {
                break;
            };
            now = at;
            flow.ack(acked, now);
            if now + Duration::from_secs(1) > end {
                rtts.push(now - sent);
            }
        }
        (flow, rtts)
    }

    #[test]
    fn a_busy_screen_on_a_slow_link_keeps_about_a_round_trip_in_flight() {
        // The animation on the modem: 300-byte updates, always more. The delay is probed
        // after the first (whole-screen) update, the rate measured from the deliveries.
        let (flow, rtts) = saturate(7_000.0, 200 * MS, 300, 30);
        let window = flow.window();
        assert!((1_600..=1_900).contains(&window), "{window}");
        // So an update waits behind little: its round trip is the link's plus about itself.
        let worst = rtts.iter().max().unwrap();
        assert!(*worst < 300 * MS, "{worst:?}");
    }

    #[test]
    fn the_delay_is_probed_with_an_empty_update_alone() {
        let mut flow = Flow::default();
        let t = Instant::now();
        assert!(!flow.probe_due());
        flow.sent(1, 50_000, t);
        assert!(!flow.may_send());
        flow.ack(1, t + 7 * 1000 * MS);
        // No delay is known: a probe, and nothing else until it comes back.
        assert!(flow.probe_due());
        flow.sent(2, 0, t + 7000 * MS);
        assert!(!flow.may_send());
        flow.ack(2, t + 7201 * MS);
        assert_eq!(flow.delay, Some(201 * MS));
        assert!(!flow.probe_due());
        assert_eq!(flow.room(), INITIAL_WINDOW);
        assert!(flow.may_send());
    }

    #[test]
    fn the_rate_is_the_fastest_recent_sample() {
        let mut flow = Flow::default();
        let t = Instant::now();
        for (ms, rate) in [(0, 100.0), (10, 50.0), (20, 80.0), (30, 60.0)] {
            flow.push_rate(t + ms * MS, rate);
        }
        assert_eq!(flow.rate(), Some(100.0));
        // Only the samples that may still be the fastest are kept.
        assert_eq!(flow.rates.len(), 3);
        // With no delay known, samples last 100 ms.
        flow.push_rate(t + 105 * MS, 10.0);
        assert_eq!(flow.rate(), Some(80.0));
        flow.push_rate(t + 200 * MS, 1.0);
        assert_eq!(flow.rate(), Some(10.0));
    }

    #[test]
    fn before_any_rate_is_known_the_window_is_small() {
        // Tiny updates only: no rate sample.
        let flow = measure(1_000_000.0, 50 * MS, &[100, 200, 50]);
        assert_eq!(flow.window(), INITIAL_WINDOW);
    }

    #[test]
    fn a_link_too_fast_to_measure_grows_the_window_until_it_shows_its_rate() {
        // Loopback (1 GB/s, 0.1 ms) and a LAN (100 Mbit/s, 0.5 ms), updates of 20 KB always
        // waiting: a 4 KiB update goes in microseconds, too fast to tell the rate, so the
        // window doubles until deliveries take long enough to measure; then it is the
        // bandwidth-delay product and a quarter. (It stayed at 4 KiB before: a LAN carried
        // 4.9 MB/s of its 12.5.)
        for (rate, rtt, expected) in [(1e9, 100 * US, 125_000), (12.5e6, 500 * US, 7_812)] {
            let (flow, _) = saturate(rate, rtt, 20_000, 1);
            let measured = flow.rate().expect("a rate");
            assert!((measured / rate - 1.0).abs() < 0.01, "{measured} on {rate}");
            assert!(flow.window().abs_diff(expected) < 50, "{}", flow.window());
        }
    }

    #[test]
    fn a_viewer_that_was_busy_once_does_not_shrink_a_fast_links_window_for_good() {
        // Loopback, updates of 20 KB always waiting; the viewer took 5 ms over one update
        // early on (a descheduled thread): that update's round trip made a rate of a few
        // MB/s, a window of a few hundred bytes with loopback's delay. Updates cut to that
        // window came back too fast to measure, so no sample replaced it: the window stayed
        // there, and an animation went as 20 updates a frame of one cell each.
        let (flow, _) = saturate_with(1e9, 100 * US, 20_000, 1, |update| match update {
            5 => 5 * MS,
            _ => Duration::ZERO,
        });
        assert!(flow.window() > 100_000, "{}", flow.window());
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
