//! Link emulation: a bandwidth cap and a one-way delay in each direction between the viewer and
//! the display server, so that what each protocol costs on a slow or distant link shows on one
//! machine.
//!
//! Each direction is a FIFO pipe with a serialization rate and a propagation delay. A chunk read
//! at time `t` starts to leave at `max(t, end of the previous chunk)`, takes `len / rate` to
//! leave, and its last byte arrives `delay` after that; the chunk is delivered whole at that
//! moment. A direction holds at most [`LinkProfile::in_flight_limit`] bytes; while it is full it
//! reads nothing, so a slow link pushes back on the sender (as TCP does) instead of growing a
//! queue. The two directions are independent: input going up never waits behind pixels coming
//! down.
//!
//! ```
//! use thin_client::link::LinkProfile;
//! use std::time::Duration;
//!
//! let wan = LinkProfile::parse("wan").unwrap();
//! assert_eq!(wan.bytes_per_sec, Some(250_000));
//! assert_eq!(wan.transmit_time(250_000), Duration::from_secs(1));
//! assert_eq!(LinkProfile::parse("1mbit,20ms").unwrap().delay, Duration::from_millis(20));
//! ```

use std::fmt;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

/// The named links: name, bytes per second, one-way delay.
const NAMED: [(&str, u64, Duration); 4] = [
    ("lan", 100_000_000 / 8, Duration::from_micros(500)),
    ("broadband", 10_000_000 / 8, Duration::from_millis(15)),
    ("wan", 2_000_000 / 8, Duration::from_millis(50)),
    ("modem", 56_000 / 8, Duration::from_millis(100)),
];

/// What every parse error ends with, so that a mistyped `--link` shows what is accepted.
const PARSE_HELP: &str = "a link is one of lan (100 Mbit/s, 0.5 ms), broadband (10 Mbit/s, \
     15 ms), wan (2 Mbit/s, 50 ms), modem (56 kbit/s, 100 ms), unlimited, or RATE,DELAY such as \
     \"1mbit,20ms\" or \"10MB,5ms\" (RATE in bit, kbit, mbit, gbit, B, KB, MB or GB per second, \
     or unlimited; DELAY in us, ms or s)";

/// The most a direction reads at once; big enough to copy fast, small enough that a message
/// does not wait long behind the chunk in front of it.
const CHUNK_MAX: usize = 16 * 1024;
/// The least a direction reads at once on a slow link.
const CHUNK_MIN: usize = 512;
/// A shaped direction may always hold this much, however slow the link.
const IN_FLIGHT_MIN: usize = 64 * 1024;
/// How long the queue of a shaped link may be, in time at its rate (beyond the bytes that are
/// on the wire during the delay).
const QUEUE_TIME: Duration = Duration::from_millis(250);
/// The in-flight limit of a link with a delay but no rate: there is no rate to scale by, and
/// this keeps a local-speed copy going across a delay of tens of milliseconds.
const IN_FLIGHT_UNLIMITED: usize = 8 * 1024 * 1024;

/// A link: bandwidth and one-way delay, the same in both directions.
#[derive(Debug, Clone, PartialEq)]
pub struct LinkProfile {
    /// The profile's name, or the text it was parsed from.
    pub name: String,
    /// The rate in bytes per second; `None` is unlimited.
    pub bytes_per_sec: Option<u64>,
    /// The one-way propagation delay, added to every byte in each direction.
    pub delay: Duration,
}

impl LinkProfile {
    /// A named link or a `RATE,DELAY` pair.
    ///
    /// The names are lan (100 Mbit/s, 0.5 ms), broadband (10 Mbit/s, 15 ms), wan (2 Mbit/s,
    /// 50 ms), modem (56 kbit/s, 100 ms) and unlimited. RATE is a number with a unit of bits
    /// (`bit`, `kbit`, `mbit`, `gbit`, any case) or bytes (`B`, `KB`, `MB`, `GB`) per second,
    /// decimal prefixes, an optional `/s`, or `unlimited`; DELAY is a number with `us`, `ms` or
    /// `s`. Examples: `1mbit,20ms`, `512kbit,100ms`, `10MB,5ms`, `unlimited,50ms`.
    ///
    /// # Errors
    /// A message that says what is wrong and lists the accepted forms.
    pub fn parse(text: &str) -> Result<LinkProfile, String> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        if lower == "unlimited" {
            return Ok(LinkProfile::unlimited());
        }
        if let Some(&(name, rate, delay)) = NAMED.iter().find(|(name, ..)| *name == lower) {
            return Ok(LinkProfile {
                name: name.to_owned(),
                bytes_per_sec: Some(rate),
                delay,
            });
        }
        let fail = |what: String| format!("bad link {text:?}: {what}; {PARSE_HELP}");
        let Some((rate, delay)) = text.split_once(',') else {
            return Err(fail("not a named link and not RATE,DELAY".into()));
        };
        Ok(LinkProfile {
            name: text.to_owned(),
            bytes_per_sec: parse_rate(rate.trim()).map_err(&fail)?,
            delay: parse_delay(delay.trim()).map_err(&fail)?,
        })
    }

    /// No shaping at all.
    pub fn unlimited() -> LinkProfile {
        LinkProfile {
            name: "unlimited".into(),
            bytes_per_sec: None,
            delay: Duration::ZERO,
        }
    }

    /// The time `bytes` take to serialize on this link (0 if unlimited).
    pub fn transmit_time(&self, bytes: usize) -> Duration {
        let Some(rate) = self.bytes_per_sec else {
            return Duration::ZERO;
        };
        // Whole nanoseconds in u128 so that neither a large count nor a tiny rate overflows.
        let nanos = bytes as u128 * 1_000_000_000 / u128::from(rate.max(1));
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The most bytes one direction holds between reading and delivering them: the bytes on
    /// the wire during the delay plus a queue of 250 ms at the link's rate, and at least 64 KiB.
    /// (An unshaped link just copies, through a buffer of this size.)
    pub fn in_flight_limit(&self) -> usize {
        match self.bytes_per_sec {
            None if self.delay.is_zero() => CHUNK_MAX,
            None => IN_FLIGHT_UNLIMITED,
            Some(rate) => {
                let window =
                    u128::from(rate) * (QUEUE_TIME + self.delay).as_nanos() / 1_000_000_000;
                // The cap keeps the count well within a semaphore's range.
                usize::try_from(window.min(1 << 30))
                    .unwrap_or(IN_FLIGHT_MIN)
                    .max(IN_FLIGHT_MIN)
            }
        }
    }

    /// How much one direction reads at once: 10 ms at the link's rate, within 512 B..16 KiB.
    fn chunk_size(&self) -> usize {
        match self.bytes_per_sec {
            None => CHUNK_MAX,
            Some(rate) => usize::try_from(rate / 100)
                .unwrap_or(CHUNK_MAX)
                .clamp(CHUNK_MIN, CHUNK_MAX),
        }
    }

    fn is_unlimited(&self) -> bool {
        self.bytes_per_sec.is_none() && self.delay.is_zero()
    }
}

impl fmt::Display for LinkProfile {
    /// For example `wan (2 Mbit/s, 50 ms)` or `unlimited`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unlimited() {
            return f.write_str(&self.name);
        }
        let rate = match self.bytes_per_sec {
            None => "unlimited".to_owned(),
            Some(rate) => {
                let bits = rate as f64 * 8.0;
                match bits {
                    b if b >= 1e9 => format!("{} Gbit/s", b / 1e9),
                    b if b >= 1e6 => format!("{} Mbit/s", b / 1e6),
                    b if b >= 1e3 => format!("{} kbit/s", b / 1e3),
                    b => format!("{b} bit/s"),
                }
            }
        };
        let delay_ms = self.delay.as_secs_f64() * 1e3;
        write!(f, "{} ({rate}, {delay_ms} ms)", self.name)
    }
}

/// `1mbit`, `512kbit`, `10MB`, `1.5 Mbit/s`, `unlimited`.
fn parse_rate(text: &str) -> Result<Option<u64>, String> {
    if text.eq_ignore_ascii_case("unlimited") {
        return Ok(None);
    }
    let (number, unit) =
        split_number(text).ok_or_else(|| format!("rate {text:?} has no number"))?;
    let unit = unit.strip_suffix("/s").unwrap_or(unit).trim();
    let lower = unit.to_ascii_lowercase();
    // Bits in any case; bytes only with a capital B, so that "mb" is not taken for megabytes.
    let bytes_per_unit = match (lower.as_str(), unit.ends_with('B')) {
        ("bit", _) => 1.0 / 8.0,
        ("kbit", _) => 1e3 / 8.0,
        ("mbit", _) => 1e6 / 8.0,
        ("gbit", _) => 1e9 / 8.0,
        ("b", true) => 1.0,
        ("kb", true) => 1e3,
        ("mb", true) => 1e6,
        ("gb", true) => 1e9,
        _ => return Err(format!("rate {text:?} has an unknown unit {unit:?}")),
    };
    let bytes = (number * bytes_per_unit).round();
    if !(1.0..=1e15).contains(&bytes) {
        return Err(format!("rate {text:?} is not between 8 bit/s and 1 PB/s"));
    }
    // In range, checked just above.
    Ok(Some(bytes as u64))
}

/// `20ms`, `0.5 ms`, `1s`, `250us`, `0`.
fn parse_delay(text: &str) -> Result<Duration, String> {
    let (number, unit) =
        split_number(text).ok_or_else(|| format!("delay {text:?} has no number"))?;
    let seconds = match unit.trim() {
        "s" => number,
        "ms" => number / 1e3,
        "us" | "µs" => number / 1e6,
        "" if number == 0.0 => 0.0,
        unit => return Err(format!("delay {text:?} has an unknown unit {unit:?}")),
    };
    Duration::try_from_secs_f64(seconds)
        .ok()
        .filter(|delay| *delay <= Duration::from_secs(60))
        .ok_or_else(|| format!("delay {text:?} is not between 0 and 60 s"))
}

/// Splits `"1.5mbit"` into `(1.5, "mbit")`; `None` if it does not start with a finite number.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let number: f64 = text[..end].parse().ok()?;
    number.is_finite().then_some((number, &text[end..]))
}

/// Byte counts of a running link, readable while it runs.
#[derive(Debug, Default)]
pub struct LinkStats {
    /// Bytes delivered from the server to the viewer.
    pub down: AtomicU64,
    /// Bytes delivered from the viewer to the server.
    pub up: AtomicU64,
    /// Bytes read from the server but not yet delivered to the viewer.
    pub queued_down: AtomicU64,
}

/// Pumps bytes both ways between `server` and `viewer`, shaping each direction with `profile`,
/// until both sides have closed.
///
/// When one side closes its sending half (or goes away), the bytes it sent are still delivered
/// and then the other side's receiving half is shut down, so it reads end-of-file. A direction
/// that fails (a reset connection, a peer that went away while bytes were arriving for it)
/// stops both directions. Returns at once; the work happens on a spawned task, so call it inside
/// a tokio runtime.
pub fn spawn_shaped<S, V>(
    server: S,
    viewer: V,
    profile: LinkProfile,
    stats: Arc<LinkStats>,
) -> tokio::task::JoinHandle<()>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    V: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let (server_read, server_write) = tokio::io::split(server);
        let (viewer_read, viewer_write) = tokio::io::split(viewer);
        let down = Meter {
            delivered: &stats.down,
            queued: Some(&stats.queued_down),
        };
        let up = Meter {
            delivered: &stats.up,
            queued: None,
        };
        let result = tokio::try_join!(
            pump(server_read, viewer_write, &profile, down),
            pump(viewer_read, server_write, &profile, up),
        );
        match result {
            Ok(_) => tracing::debug!(link = %profile, "link closed"),
            Err(error) => tracing::debug!(link = %profile, %error, "link failed"),
        }
    })
}

/// Where a direction counts its bytes.
#[derive(Clone, Copy)]
struct Meter<'a> {
    delivered: &'a AtomicU64,
    queued: Option<&'a AtomicU64>,
}

impl Meter<'_> {
    fn read(&self, bytes: usize) {
        if let Some(queued) = self.queued {
            queued.fetch_add(bytes as u64, Ordering::Relaxed);
        }
    }

    fn delivered(&self, bytes: usize) {
        if let Some(queued) = self.queued {
            queued.fetch_sub(bytes as u64, Ordering::Relaxed);
        }
        self.delivered.fetch_add(bytes as u64, Ordering::Relaxed);
    }
}

/// One direction: copies `src` to `dst` through the link until `src` ends, then shuts `dst`.
async fn pump<R, W>(src: R, mut dst: W, profile: &LinkProfile, meter: Meter<'_>) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    if profile.is_unlimited() {
        copy(src, &mut dst, meter).await?;
    } else {
        shape(src, &mut dst, profile, meter).await?;
    }
    // The other side may already be gone; that is its business, not a failure of the link.
    if let Err(error) = dst.shutdown().await {
        tracing::debug!(%error, "shutting down a link's far side");
    }
    Ok(())
}

/// An unshaped direction: a plain copy.
async fn copy<R, W>(mut src: R, dst: &mut W, meter: Meter<'_>) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut buf = vec![0; CHUNK_MAX];
    loop {
        let n = src.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        meter.read(n);
        dst.write_all(&buf[..n]).await?;
        meter.delivered(n);
    }
}

/// Bytes on their way, and the moment their last byte reaches the far side.
struct Chunk {
    data: Vec<u8>,
    arrival: Instant,
}

/// A shaped direction: a reader that stamps each chunk with its arrival time and a writer that
/// delivers it then, joined by a channel and a byte budget that bounds what is in flight.
async fn shape<R, W>(src: R, dst: &mut W, profile: &LinkProfile, meter: Meter<'_>) -> io::Result<()>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    // Permits are bytes that may be in flight; the reader takes them, the writer gives them back.
    let budget = Semaphore::new(profile.in_flight_limit());
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::try_join!(
        read_chunks(src, sender, &budget, profile, meter),
        deliver_chunks(receiver, dst, &budget, meter),
    )
    .map(|_| ())
}

/// Reads `src` in chunks while the budget allows, and stamps each with its arrival time.
/// Returns at the end of `src`, dropping `sender` so that the writer knows.
async fn read_chunks<R>(
    mut src: R,
    sender: mpsc::UnboundedSender<Chunk>,
    budget: &Semaphore,
    profile: &LinkProfile,
    meter: Meter<'_>,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
{
    let chunk_size = profile.chunk_size();
    let mut wire = Wire::new(profile);
    loop {
        // The budget is never closed, and acquiring fails only on a closed one.
        let Ok(permit) = budget.acquire_many(chunk_size as u32).await else {
            return Ok(());
        };
        let mut data = vec![0; chunk_size];
        let n = src.read(&mut data).await?;
        // Keep the permits for the bytes read; give back the rest of the reservation.
        permit.forget();
        budget.add_permits(chunk_size - n);
        if n == 0 {
            return Ok(());
        }
        data.truncate(n);
        meter.read(n);
        let arrival = wire.send(Instant::now(), n);
        if sender.send(Chunk { data, arrival }).is_err() {
            return Ok(()); // the writer has failed and the direction is ending
        }
    }
}

/// Writes each chunk to `dst` at its arrival time, in order, until the reader is done.
async fn deliver_chunks<W>(
    mut receiver: mpsc::UnboundedReceiver<Chunk>,
    dst: &mut W,
    budget: &Semaphore,
    meter: Meter<'_>,
) -> io::Result<()>
where
    W: AsyncWrite + Unpin,
{
    while let Some(Chunk { data, arrival }) = receiver.recv().await {
        tokio::time::sleep_until(arrival).await;
        dst.write_all(&data).await?;
        dst.flush().await?;
        meter.delivered(data.len());
        budget.add_permits(data.len());
    }
    Ok(())
}

/// When a direction's link is busy: the schedule of a FIFO pipe with a rate and a delay.
struct Wire<'a> {
    profile: &'a LinkProfile,
    /// When the link has finished serializing what it was given so far.
    free_at: Option<Instant>,
}

impl<'a> Wire<'a> {
    fn new(profile: &'a LinkProfile) -> Self {
        Wire {
            profile,
            free_at: None,
        }
    }

    /// Puts `len` bytes read at `now` on the wire; returns when their last byte arrives.
    fn send(&mut self, now: Instant, len: usize) -> Instant {
        let start = self.free_at.map_or(now, |free| free.max(now));
        let end = start + self.profile.transmit_time(len);
        self.free_at = Some(end);
        end + self.profile.delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(text: &str) -> (Option<u64>, Duration) {
        let profile = LinkProfile::parse(text).unwrap();
        (profile.bytes_per_sec, profile.delay)
    }

    #[test]
    fn parse_named_profiles() {
        assert_eq!(named("lan"), (Some(12_500_000), Duration::from_micros(500)));
        assert_eq!(
            named("broadband"),
            (Some(1_250_000), Duration::from_millis(15))
        );
        assert_eq!(named("wan"), (Some(250_000), Duration::from_millis(50)));
        assert_eq!(named("modem"), (Some(7_000), Duration::from_millis(100)));
        assert_eq!(named(" WAN "), named("wan"));
        assert_eq!(LinkProfile::parse("modem").unwrap().name, "modem");
        assert_eq!(
            LinkProfile::parse("unlimited").unwrap(),
            LinkProfile::unlimited()
        );
    }

    #[test]
    fn parse_rate_and_delay() {
        let ms = Duration::from_millis;
        assert_eq!(named("1mbit,20ms"), (Some(125_000), ms(20)));
        assert_eq!(named("512kbit,100ms"), (Some(64_000), ms(100)));
        assert_eq!(named("10MB,5ms"), (Some(10_000_000), ms(5)));
        assert_eq!(
            named("1Gbit,0.5ms"),
            (Some(125_000_000), Duration::from_micros(500))
        );
        assert_eq!(named("800bit,1s"), (Some(100), ms(1000)));
        assert_eq!(named("64KB,0"), (Some(64_000), Duration::ZERO));
        assert_eq!(
            named("1.5 Mbit/s, 250us"),
            (Some(187_500), Duration::from_micros(250))
        );
        assert_eq!(named("unlimited,50ms"), (None, ms(50)));
        assert_eq!(LinkProfile::parse("1mbit,20ms").unwrap().name, "1mbit,20ms");
    }

    #[test]
    fn parse_errors_say_what_and_list_the_profiles() {
        for (text, what) in [
            ("dialup", "not a named link"),
            ("", "not a named link"),
            ("1mbit", "not a named link"),
            ("1xbit,20ms", "unknown unit \"xbit\""),
            ("1mb,20ms", "unknown unit \"mb\""),
            ("fast,20ms", "has no number"),
            ("0bit,20ms", "not between"),
            ("1mbit,20", "unknown unit \"\""),
            ("1mbit,20min", "unknown unit \"min\""),
            ("1mbit,2h", "unknown unit"),
            ("1mbit,100s", "not between 0 and 60 s"),
            ("1mbit,-5ms", "has no number"),
        ] {
            let error = LinkProfile::parse(text).unwrap_err();
            assert!(error.contains(what), "{text:?}: {error}");
            for name in ["lan", "broadband", "wan", "modem", "RATE,DELAY"] {
                assert!(error.contains(name), "{text:?}: {error}");
            }
        }
    }

    #[test]
    fn transmit_time_is_bytes_over_rate() {
        let link = LinkProfile::parse("1mbit,0ms").unwrap();
        assert_eq!(link.transmit_time(125_000), Duration::from_secs(1));
        assert_eq!(link.transmit_time(1), Duration::from_micros(8));
        assert_eq!(link.transmit_time(0), Duration::ZERO);
        assert_eq!(
            LinkProfile::unlimited().transmit_time(1 << 30),
            Duration::ZERO
        );
    }

    #[test]
    fn limits_scale_with_the_rate() {
        let modem = LinkProfile::parse("modem").unwrap();
        assert_eq!(modem.in_flight_limit(), IN_FLIGHT_MIN);
        assert_eq!(modem.chunk_size(), CHUNK_MIN);
        let lan = LinkProfile::parse("lan").unwrap();
        // 250.5 ms at 12.5 MB/s.
        assert_eq!(lan.in_flight_limit(), 3_131_250);
        assert_eq!(lan.chunk_size(), CHUNK_MAX);
        assert_eq!(LinkProfile::parse("1mbit,0ms").unwrap().chunk_size(), 1_250);
    }

    #[test]
    fn wire_queues_chunks_behind_one_another() {
        let link = LinkProfile::parse("1mbit,20ms").unwrap();
        let mut wire = Wire::new(&link);
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        // 1250 bytes take 10 ms to leave, then 20 ms to arrive.
        assert_eq!(wire.send(t0, 1_250), t0 + ms(30));
        // Read while the first is still leaving: leaves after it.
        assert_eq!(wire.send(t0 + ms(5), 1_250), t0 + ms(40));
        // Read after the link went idle: leaves at once.
        assert_eq!(wire.send(t0 + ms(100), 125), t0 + ms(121));
    }

    #[test]
    fn display_names_rate_and_delay() {
        let wan = LinkProfile::parse("wan").unwrap();
        assert_eq!(wan.to_string(), "wan (2 Mbit/s, 50 ms)");
        let modem = LinkProfile::parse("modem").unwrap();
        assert_eq!(modem.to_string(), "modem (56 kbit/s, 100 ms)");
        assert_eq!(LinkProfile::unlimited().to_string(), "unlimited");
    }
}
