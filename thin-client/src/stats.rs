//! What the overlay shows and `--stats` writes: bytes, updates, frames per second, compression
//! and input-to-update latency, all measured.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use netui_protocol::{PixelEncoding, ViewMode};
use serde::Serialize;

use crate::link::LinkStats;

/// Running measurements of one viewer.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    /// Updates applied.
    pub updates: u64,
    /// Update arrival times within the last second, for frames/s.
    recent: Vec<Instant>,
    /// Inputs sent and not yet reflected: number → when.
    inputs: BTreeMap<u64, Instant>,
    /// Input-to-update latencies measured.
    latencies: Vec<Duration>,
    /// Bytes down and up at the last rate sample, and when.
    last: (u64, u64, Instant),
    /// Bytes per second down and up over the last sample.
    pub rate: (f64, f64),
    /// Bytes of raw pixels that the updates changed on screen (4 a pixel).
    pub pixel_bytes: u64,
}

impl Default for Stats {
    fn default() -> Self {
        let now = Instant::now();
        Stats {
            started: now,
            updates: 0,
            recent: Vec::new(),
            inputs: BTreeMap::new(),
            latencies: Vec::new(),
            last: (0, 0, now),
            rate: (0.0, 0.0),
            pixel_bytes: 0,
        }
    }
}

/// A summary, as `--stats` writes it.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `commands`, or the pixel encoding's name.
    pub mode: String,
    /// Seconds measured.
    pub seconds: f64,
    /// Bytes received.
    pub bytes_down: u64,
    /// Bytes sent.
    pub bytes_up: u64,
    /// Updates applied.
    pub updates: u64,
    /// Updates per second over the whole run.
    pub updates_per_second: f64,
    /// Inputs whose update arrived.
    pub latency_samples: usize,
    /// Median input-to-update latency, in milliseconds.
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile input-to-update latency, in milliseconds.
    pub latency_p99_ms: Option<f64>,
    /// Worst input-to-update latency, in milliseconds.
    pub latency_max_ms: Option<f64>,
    /// Raw bytes of the pixels the updates changed, divided by the bytes received.
    pub compression_ratio: f64,
    /// In `auto` mode: why it is in the mode it is in, as the overlay says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<String>,
}

/// The name of a mode in reports and on the overlay.
pub fn mode_name(mode: Option<ViewMode>) -> String {
    match mode {
        Some(ViewMode::Commands) => "commands".into(),
        Some(ViewMode::Pixels(encoding)) => encoding.name().into(),
        None => "connecting".into(),
    }
}

/// Parses `--encoding`.
pub fn parse_encoding(text: &str) -> Result<PixelEncoding, String> {
    // The lossy one carries its JPEG quality: px-tiles-jpeg (75) or px-tiles-jpeg:QUALITY.
    let lossy = text.strip_prefix("px-").unwrap_or(text);
    if let Some(rest) = lossy.strip_prefix("tiles-jpeg") {
        let quality = match rest.strip_prefix(':') {
            None if rest.is_empty() => 75,
            Some(q) => q
                .parse::<u8>()
                .ok()
                .filter(|q| (1..=100).contains(q))
                .ok_or_else(|| format!("JPEG quality {q:?} is not between 1 and 100"))?,
            None => return Err(format!("unknown encoding {text:?}")),
        };
        return Ok(PixelEncoding::TilesJpeg { quality });
    }
    PixelEncoding::ALL
        .into_iter()
        .find(|e| e.name() == text || e.name().trim_start_matches("px-") == text)
        .ok_or_else(|| {
            format!(
                "unknown encoding {text:?}: use px-raw, px-damage, px-damage-lz4, px-delta-lz4, \
                 px-tiles or px-tiles-jpeg[:QUALITY]"
            )
        })
}

impl Stats {
    /// An input numbered `seq` was sent now.
    pub fn input_sent(&mut self, seq: u64) {
        self.inputs.insert(seq, Instant::now());
        // Inputs whose update never comes (a key nobody draws for) must not pile up.
        while self.inputs.len() > 1024 {
            self.inputs.pop_first();
        }
    }

    /// An update arrived that reflects inputs up to `input` and changed `changed`. An input's
    /// latency is the time until an update that reflects it changes the screen; an input whose
    /// first report changes nothing had nothing to show and gives no sample.
    pub fn update(&mut self, input: Option<u64>, changed: &[netui_protocol::Rect]) {
        let now = Instant::now();
        self.updates += 1;
        self.pixel_bytes += changed.iter().map(|r| r.size().area() * 4).sum::<u64>();
        self.recent.push(now);
        self.recent
            .retain(|t| now.duration_since(*t) <= Duration::from_secs(1));
        if let Some(seen) = input {
            let reflected: Vec<u64> = self.inputs.range(..=seen).map(|(k, _)| *k).collect();
            for seq in reflected {
                if let Some(sent) = self.inputs.remove(&seq) {
                    if !changed.is_empty() {
                        self.latencies.push(now.duration_since(sent));
                    }
                }
            }
        }
    }

    /// Updates in the last second.
    pub fn fps(&self) -> usize {
        let now = Instant::now();
        self.recent
            .iter()
            .filter(|t| now.duration_since(**t) <= Duration::from_secs(1))
            .count()
    }

    /// Samples the link's byte counts for the rates shown (call about once a second).
    pub fn sample(&mut self, link: &LinkStats) {
        let now = Instant::now();
        let (down, up) = (
            link.down.load(Ordering::Relaxed),
            link.up.load(Ordering::Relaxed),
        );
        let dt = now.duration_since(self.last.2).as_secs_f64();
        if dt > 0.0 {
            self.rate = (
                (down - self.last.0) as f64 / dt,
                (up - self.last.1) as f64 / dt,
            );
        }
        self.last = (down, up, now);
    }

    /// How many input-to-update latencies have been measured.
    pub fn latency_count(&self) -> usize {
        self.latencies.len()
    }

    /// The latency at percentile `p` (0..=100), in milliseconds.
    pub fn latency_ms(&self, p: f64) -> Option<f64> {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let i = ((p / 100.0) * (sorted.len().saturating_sub(1)) as f64).round() as usize;
        sorted.get(i).map(|d| d.as_secs_f64() * 1000.0)
    }

    /// Raw bytes of the changed pixels per byte received.
    pub fn ratio(&self, link: &LinkStats) -> f64 {
        self.pixel_bytes as f64 / link.down.load(Ordering::Relaxed).max(1) as f64
    }

    /// The whole run as a report.
    pub fn report(&self, mode: Option<ViewMode>, link: &LinkStats) -> Report {
        let seconds = self.started.elapsed().as_secs_f64();
        Report {
            mode: mode_name(mode),
            seconds,
            bytes_down: link.down.load(Ordering::Relaxed),
            bytes_up: link.up.load(Ordering::Relaxed),
            updates: self.updates,
            updates_per_second: self.updates as f64 / seconds.max(1e-9),
            latency_samples: self.latencies.len(),
            latency_p50_ms: self.latency_ms(50.0),
            latency_p99_ms: self.latency_ms(99.0),
            latency_max_ms: self.latency_ms(100.0),
            compression_ratio: self.ratio(link),
            auto: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_parse_by_name_and_the_lossy_one_with_its_quality() {
        assert_eq!(parse_encoding("px-tiles"), Ok(PixelEncoding::Tiles));
        assert_eq!(parse_encoding("delta-lz4"), Ok(PixelEncoding::DeltaLz4));
        assert_eq!(
            parse_encoding("px-tiles-jpeg"),
            Ok(PixelEncoding::TilesJpeg { quality: 75 })
        );
        assert_eq!(
            parse_encoding("px-tiles-jpeg:40"),
            Ok(PixelEncoding::TilesJpeg { quality: 40 })
        );
        assert!(parse_encoding("px-tiles-jpeg:0").is_err());
        assert!(parse_encoding("px-tiles-jpegx").is_err());
        assert!(parse_encoding("px-magic").is_err());
    }
}
