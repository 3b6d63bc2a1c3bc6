//! The benchmark's outputs: the terminal tables, the CSV file and the SVG chart.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use plotters::prelude::*;

/// Every protocol, in column order.
pub const PROTOCOLS: [&str; 7] = [
    "cmd-raw",
    "cmd-lz4",
    "cmd-lz4-ctx",
    "px-raw",
    "px-damage",
    "px-damage-lz4",
    "px-delta-lz4",
];

/// One measured (workload, protocol) pair.
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload.
    pub workload: String,
    /// The protocol, one of [`PROTOCOLS`].
    pub protocol: &'static str,
    /// Bytes of the stream that carries the drawing (to the renderer or the viewer).
    pub bytes: u64,
    /// Pixel modes: bytes of encoded pixels in the updates, before the connection's framing
    /// (which LZ4-compresses every frame it can shrink). Command modes: the same as `bytes`.
    pub encoded: u64,
    /// Bytes the other way: for pixel modes the viewer's bytes up; for command modes what the
    /// server sent the application (welcome, replies, events), as recorded.
    pub bytes_back: u64,
    /// Frames (command modes) or updates applied (pixel modes).
    pub updates: u64,
    /// CPU time of encoding, when measured.
    pub encode: Option<Duration>,
    /// CPU time of decoding.
    pub decode: Duration,
    /// Key presses in the workload (notepad), for bytes per typed character.
    pub keys: Option<u32>,
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 10 << 20 => format!("{:.1} MB", b as f64 / (1 << 20) as f64),
        b if b >= 10 << 10 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn workloads(rows: &[Row]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        if !names.contains(&row.workload) {
            names.push(row.workload.clone());
        }
    }
    names
}

fn find<'a>(rows: &'a [Row], workload: &str, protocol: &str) -> Option<&'a Row> {
    rows.iter()
        .find(|r| r.workload == workload && r.protocol == protocol)
}

/// The terminal report: bytes with the ratio to the best of the row, CPU times, and bytes
/// per typed character.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let names = workloads(rows);
    let width = names.iter().map(String::len).max().unwrap_or(8).max(8);
    let _ = writeln!(
        out,
        "Bytes of the drawing stream (x = ratio to the best protocol of the row)"
    );
    let _ = write!(out, "{:width$}", "workload");
    for p in PROTOCOLS {
        let _ = write!(out, " | {p:>17}");
    }
    out.push('\n');
    for name in &names {
        let best = PROTOCOLS
            .iter()
            .filter_map(|p| find(rows, name, p))
            .map(|r| r.bytes)
            .min()
            .unwrap_or(1)
            .max(1);
        let _ = write!(out, "{name:width$}");
        for p in PROTOCOLS {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| {
                format!("{} x{:.1}", human(r.bytes), r.bytes as f64 / best as f64)
            });
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nPixel modes: encoded pixel bytes before the connection's LZ4 framing"
    );
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in PROTOCOLS {
            let cell = find(rows, name, p)
                .filter(|r| r.protocol.starts_with("px-"))
                .map_or("-".to_owned(), |r| human(r.encoded));
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nCPU ms, encode/decode (pixel encode runs inside the server: not measured)"
    );
    let _ = write!(out, "{:width$}", "workload");
    for p in PROTOCOLS {
        let _ = write!(out, " | {p:>17}");
    }
    out.push('\n');
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in PROTOCOLS {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| {
                let enc = r.encode.map_or("n/m".to_owned(), ms);
                format!("{enc}/{}", ms(r.decode))
            });
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nUpdates (pixel modes) / frames (command modes)");
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in PROTOCOLS {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| r.updates.to_string());
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    for name in &names {
        let Some(keys) = find(rows, name, PROTOCOLS[0]).and_then(|r| r.keys) else {
            continue;
        };
        let _ = writeln!(
            out,
            "\nBytes per typed key, {name} ({keys} keys; drawing stream + the other direction):"
        );
        for p in PROTOCOLS {
            if let Some(r) = find(rows, name, p) {
                let k = f64::from(keys.max(1));
                let _ = writeln!(
                    out,
                    "  {p:>14}: {:>10.1} B/key down + {:>8.1} B/key back",
                    r.bytes as f64 / k,
                    r.bytes_back as f64 / k
                );
            }
        }
    }
    out
}

/// Writes the CSV: one line per (workload, protocol).
pub fn csv(rows: &[Row], path: &Path) -> anyhow::Result<()> {
    let mut out = String::from(
        "workload,protocol,bytes,encoded_bytes,bytes_back,updates,encode_us,decode_us,keys,bytes_per_key\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{}",
            r.workload,
            r.protocol,
            r.bytes,
            r.encoded,
            r.bytes_back,
            r.updates,
            r.encode
                .map_or("not measured".to_owned(), |d| d.as_micros().to_string()),
            r.decode.as_micros(),
            r.keys.map_or(String::new(), |k| k.to_string()),
            r.keys.map_or(String::new(), |k| format!(
                "{:.1}",
                r.bytes as f64 / f64::from(k.max(1))
            )),
        );
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

const COLORS: [RGBColor; 7] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
];

/// Draws the grouped bar chart, bytes on a log scale, as SVG.
pub fn chart(rows: &[Row], path: &Path, title: &str) -> anyhow::Result<()> {
    let names = workloads(rows);
    let max = rows.iter().map(|r| r.bytes).max().unwrap_or(1).max(1) as f64;
    let root = SVGBackend::new(path, (1200, 640)).into_drawing_area();
    let draw = |e: &dyn std::fmt::Display| anyhow::anyhow!("drawing the chart: {e}");
    root.fill(&WHITE).map_err(|e| draw(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..names.len() as f64, (1f64..max * 4.0).log_scale())
        .map_err(|e| draw(&e))?;
    let labels = names.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(names.len() * 2 + 1)
        .x_label_formatter(&move |x: &f64| {
            let i = x.floor();
            if (x - i - 0.5).abs() < 1e-6 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc("bytes (log scale)")
        .y_label_formatter(&|y: &f64| human(*y as u64))
        .draw()
        .map_err(|e| draw(&e))?;
    let bar = 0.8 / PROTOCOLS.len() as f64;
    for (j, protocol) in PROTOCOLS.iter().enumerate() {
        let color = COLORS[j];
        let bars: Vec<Rectangle<(f64, f64)>> = names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let r = find(rows, name, protocol)?;
                let x0 = i as f64 + 0.1 + j as f64 * bar;
                Some(Rectangle::new(
                    [(x0, 1.0), (x0 + bar * 0.9, (r.bytes.max(1)) as f64)],
                    color.filled(),
                ))
            })
            .collect();
        chart
            .draw_series(bars)
            .map_err(|e| draw(&e))?
            .label(*protocol)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(|e| draw(&e))?;
    root.present().map_err(|e| draw(&e))?;
    Ok(())
}
