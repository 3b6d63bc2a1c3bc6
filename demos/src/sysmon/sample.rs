//! The readings the system monitor charts: from `/proc`, or made up for the script.

/// Bytes in a GiB.
const GIB: f64 = (1u64 << 30) as f64;

/// One reading of the system.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sample {
    /// Percent of CPU time busy since the previous reading.
    pub cpu: Option<f64>,
    /// Memory in use and in all, and the same for swap, in bytes.
    pub memory: Option<[u64; 4]>,
    /// The 1, 5 and 15 minute load averages.
    pub load: Option<[f64; 3]>,
}

/// Reads `/proc`; keeps the previous CPU counters to compute usage from their deltas.
#[derive(Debug, Default)]
pub struct Proc {
    /// Busy and total jiffies at the previous reading.
    cpu: Option<(u64, u64)>,
}

impl Proc {
    /// Takes a reading.
    pub fn sample(&mut self) -> Sample {
        let read = |path| std::fs::read_to_string(path).unwrap_or_default();
        let now = cpu_times(&read("/proc/stat"));
        let cpu = match (self.cpu, now) {
            (Some((busy0, total0)), Some((busy, total))) if total > total0 => {
                Some(100.0 * busy.saturating_sub(busy0) as f64 / (total - total0) as f64)
            }
            _ => None,
        };
        self.cpu = now;
        let load: Vec<f64> = read("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .filter_map(|s| s.parse().ok())
            .collect();
        Sample {
            cpu,
            memory: memory(&read("/proc/meminfo")),
            load: load.try_into().ok(),
        }
    }
}

/// Busy and total jiffies from the `cpu` line of `/proc/stat`.
fn cpu_times(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8) // user nice system idle iowait irq softirq steal (guest is in user)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = fields.iter().sum();
    let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
    Some((total - idle, total))
}

/// `[used, total, swap used, swap total]` in bytes from `/proc/meminfo`.
fn memory(meminfo: &str) -> Option<[u64; 4]> {
    let field = |name: &str| -> Option<u64> {
        let rest = meminfo.lines().find_map(|l| l.strip_prefix(name))?;
        let kib: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kib * 1024)
    };
    let total = field("MemTotal:")?;
    let available = field("MemAvailable:")?;
    let (swap_total, swap_free) = (
        field("SwapTotal:").unwrap_or(0),
        field("SwapFree:").unwrap_or(0),
    );
    Some([
        total.saturating_sub(available),
        total,
        swap_total.saturating_sub(swap_free),
        swap_total,
    ])
}

/// The script's made-up but plausible reading number `i`.
pub fn synthetic(i: u64) -> Sample {
    let t = i as f64;
    let spike = if i % 37 < 3 { 35.0 } else { 0.0 };
    let cpu =
        (28.0 + 18.0 * (t / 7.0).sin() + 10.0 * (t / 2.3 + 1.0).sin() + spike).clamp(0.0, 100.0);
    let total = 16u64 << 30;
    let used = (6.2 + 1.4 * (t / 40.0).sin() + 0.004 * t) * GIB;
    // The kernel updates the load averages every five seconds.
    let five = (i / 5) as f64;
    Sample {
        cpu: Some(cpu),
        memory: Some([used as u64, total, 300 << 20, 4 << 30]),
        load: Some([
            1.0 + 0.5 * (five / 3.0).sin(),
            1.1 + 0.2 * (five / 9.0).sin(),
            0.9 + 0.1 * (five / 27.0).sin(),
        ]),
    }
}

/// What the headers say about a reading: each chart's value, and a note at the right.
pub fn labels(s: &Sample) -> [(String, String); 2] {
    let cpu = s.cpu.map_or_else(|| "…".to_owned(), |v| format!("{v:.1}%"));
    let load = s.load.map_or_else(String::new, |[a, b, c]| {
        format!("load {a:.2} {b:.2} {c:.2}")
    });
    let memory = match s.memory {
        Some([used, total, swap_used, swap_total]) => (
            format!(
                "{:.1} of {:.1} GiB ({:.0}%)",
                used as f64 / GIB,
                total as f64 / GIB,
                100.0 * used as f64 / total.max(1) as f64
            ),
            if swap_total == 0 {
                "no swap".to_owned()
            } else {
                format!(
                    "swap {:.1} of {:.1} GiB",
                    swap_used as f64 / GIB,
                    swap_total as f64 / GIB
                )
            },
        ),
        None => ("unavailable".to_owned(), String::new()),
    };
    [(cpu, load), memory]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc() {
        let stat = "cpu  100 0 50 800 50 0 0 0 0 0\ncpu0 1 2 3 4\n";
        assert_eq!(cpu_times(stat), Some((150, 1000)));
        let meminfo = "MemTotal:       16000 kB\nMemFree: 1000 kB\nMemAvailable:    4000 kB\nSwapTotal: 2048 kB\nSwapFree: 1024 kB\n";
        assert_eq!(
            memory(meminfo),
            Some([12000 * 1024, 16000 * 1024, 1024 * 1024, 2048 * 1024])
        );
        assert_eq!(memory("nonsense"), None);
        assert_eq!(cpu_times(""), None);
    }
}
