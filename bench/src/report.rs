//! The benchmark's outputs: the terminal tables, the CSV file and the SVG chart.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use plotters::prelude::*;

use crate::links::{LinkResult, Outcome};

mod vnc;
pub use vnc::vnc_table;

/// Every protocol, in column order: netui's command and pixel modes, `px-tiles` fed the
/// frames that Xvnc is fed in the same lockstep (`px-tiles-lockstep`, with `--vnc`; and
/// without the server's drawings, `px-tiles-pixels-lockstep`), then
/// RFB through netui's own server (`rfb-`, with `--rfb`) and through TigerVNC's Xvnc fed the
/// same frames (`vnc-`, with `--vnc`).
pub const PROTOCOLS: [&str; 16] = [
    "cmd-raw",
    "cmd-lz4",
    "cmd-lz4-ctx",
    "px-raw",
    "px-damage",
    "px-damage-lz4",
    "px-delta-lz4",
    "px-tiles",
    crate::lockstep::PROTOCOL,
    crate::lockstep::PIXELS_ONLY,
    "rfb-zrle",
    "rfb-tight",
    "rfb-tight-jpeg",
    "vnc-zrle",
    "vnc-tight",
    "vnc-tight-jpeg",
];

/// Whether a protocol is lossy (its rows carry a PSNR, and it is never "the best").
pub fn lossy(protocol: &str) -> bool {
    protocol.ends_with("-jpeg")
}

/// Whether the server's encoding time is known for a protocol (not for RFB, whose encoders
/// do not report it, nor for Xvnc).
fn encode_known(protocol: &str) -> bool {
    !(protocol.starts_with("rfb-") || protocol.starts_with("vnc-"))
}

/// One measured (workload, protocol) pair.
#[derive(Debug, Clone)]
pub struct Row {
    /// The workload.
    pub workload: String,
    /// The protocol, one of [`PROTOCOLS`].
    pub protocol: &'static str,
    /// Bytes of the stream that carries the drawing (to the renderer or the viewer).
    pub bytes: u64,
    /// Pixel modes: bytes of encoded pixels in the updates, without the messages and frames
    /// around them and before the connection's second LZ4 pass over the LZ4 encodings.
    /// Command modes: the same as `bytes`.
    pub encoded: u64,
    /// Bytes the other way: for pixel modes the viewer's bytes up; for command modes what the
    /// server sent the application (welcome, replies, events), as recorded.
    pub bytes_back: u64,
    /// Frames (command modes) or updates applied (pixel modes).
    pub updates: u64,
    /// Bytes of `bytes` up to the end of the first frame or update (the window's creation,
    /// or the whole first screen).
    pub first: u64,
    /// CPU time of encoding (pixel modes: as the server measured it).
    pub encode: Duration,
    /// CPU time of decoding.
    pub decode: Duration,
    /// Key presses in the workload (notepad), for bytes per typed character.
    pub keys: Option<u32>,
    /// Pixel and RFB protocols, where measured: the bytes a viewer that joins after the
    /// workload receives until it shows the whole screen (handshake included).
    pub join: Option<u64>,
    /// Lossy protocols: the PSNR (dB) of what the viewer showed against the server's
    /// pixels (over all frames compared), and the worst frame's.
    pub psnr: Option<(f64, f64)>,
}

impl Row {
    /// Bytes per frame or update after the first, if there were several.
    pub fn steady(&self) -> Option<f64> {
        (self.updates > 1)
            .then(|| self.bytes.saturating_sub(self.first) as f64 / (self.updates - 1) as f64)
    }
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

/// The protocols that `rows` measured, in column order.
fn present(rows: &[Row]) -> Vec<&'static str> {
    PROTOCOLS
        .into_iter()
        .filter(|p| rows.iter().any(|r| r.protocol == *p))
        .collect()
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
    let protocols = present(rows);
    let width = names.iter().map(String::len).max().unwrap_or(8).max(8);
    let _ = writeln!(
        out,
        "Bytes of the drawing stream (x = ratio to the best lossless protocol of the row)"
    );
    let _ = write!(out, "{:width$}", "workload");
    for p in &protocols {
        let _ = write!(out, " | {p:>17}");
    }
    out.push('\n');
    for name in &names {
        let best = protocols
            .iter()
            .filter(|p| !lossy(p))
            .filter_map(|p| find(rows, name, p))
            .map(|r| r.bytes)
            .min()
            .unwrap_or(1)
            .max(1);
        let _ = write!(out, "{name:width$}");
        for p in &protocols {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| {
                format!("{} x{:.1}", human(r.bytes), r.bytes as f64 / best as f64)
            });
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nPixel modes: encoded pixel bytes (without messages, frame headers and the \
         connection's second LZ4 pass)"
    );
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in &protocols {
            let cell = find(rows, name, p)
                .filter(|r| r.protocol.starts_with("px-"))
                .map_or("-".to_owned(), |r| human(r.encoded));
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nCPU ms, encode/decode (pixel encoding as the server measured it)"
    );
    let _ = write!(out, "{:width$}", "workload");
    for p in &protocols {
        let _ = write!(out, " | {p:>17}");
    }
    out.push('\n');
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in &protocols {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| {
                let encode = if encode_known(r.protocol) {
                    ms(r.encode)
                } else {
                    "-".into()
                };
                format!("{encode}/{}", ms(r.decode))
            });
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "\nSteady state: bytes per frame or update after the first (which builds the window, \
         or sends the whole screen)"
    );
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in &protocols {
            let cell = find(rows, name, p)
                .and_then(Row::steady)
                .map_or("-".to_owned(), |b| human(b.round() as u64));
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    let _ = writeln!(out, "\nUpdates (pixel modes) / frames (command modes)");
    for name in &names {
        let _ = write!(out, "{name:width$}");
        for p in &protocols {
            let cell = find(rows, name, p).map_or("-".to_owned(), |r| r.updates.to_string());
            let _ = write!(out, " | {cell:>17}");
        }
        out.push('\n');
    }
    for name in &names {
        let Some(keys) = rows
            .iter()
            .find(|r| r.workload == *name)
            .and_then(|r| r.keys)
        else {
            continue;
        };
        let _ = writeln!(
            out,
            "\nBytes per typed key, {name} ({keys} keys; drawing stream + the other direction):"
        );
        for p in &protocols {
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
        "workload,protocol,bytes,encoded_bytes,bytes_back,updates,first_bytes,steady_bytes_per_update,encode_us,decode_us,keys,bytes_per_key,join_bytes,psnr_db,psnr_worst_db\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            r.workload,
            r.protocol,
            r.bytes,
            r.encoded,
            r.bytes_back,
            r.updates,
            r.first,
            r.steady().map_or(String::new(), |b| format!("{b:.1}")),
            if encode_known(r.protocol) {
                r.encode.as_micros().to_string()
            } else {
                String::new()
            },
            r.decode.as_micros(),
            r.keys.map_or(String::new(), |k| k.to_string()),
            r.keys.map_or(String::new(), |k| format!(
                "{:.1}",
                r.bytes as f64 / f64::from(k.max(1))
            )),
            r.join.map_or(String::new(), |j| j.to_string()),
            r.psnr.map_or(String::new(), |p| format!("{:.2}", p.0)),
            r.psnr.map_or(String::new(), |p| format!("{:.2}", p.1)),
        );
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

/// One color per protocol of [`PROTOCOLS`], in its order.
const COLORS: [RGBColor; PROTOCOLS.len()] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0xf7, 0xb6, 0xd2),
    RGBColor(0xa0, 0x30, 0x70),
    // RFB through netui's server: greys; through Xvnc: yellows and olive.
    RGBColor(0x40, 0x40, 0x40),
    RGBColor(0x80, 0x80, 0x80),
    RGBColor(0xb8, 0xb8, 0xb8),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0xdb, 0xdb, 0x8d),
    RGBColor(0xff, 0xd7, 0x00),
];

/// Draws the grouped bar chart, bytes on a log scale, as SVG.
pub fn chart(rows: &[Row], path: &Path, title: &str) -> anyhow::Result<()> {
    let names = workloads(rows);
    let root = SVGBackend::new(path, (1200 + KEY_WIDTH, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| drawing(&e))?;
    let (plot, key_area) = root.split_horizontally(1200);
    let value = |name: &str, protocol: &str| find(rows, name, protocol).map(|r| r.bytes as f64);
    let protocols = present(rows);
    bars(
        &plot,
        title,
        "bytes (log scale)",
        &names,
        &protocols,
        &value,
        &|y| human(y as u64),
    )?;
    key(&key_area, &protocols)?;
    root.present().map_err(|e| drawing(&e))?;
    Ok(())
}

/// Draws the links chart as SVG: one panel per link, the median input-to-update latency per
/// workload and protocol on a log scale; no bar where the viewer did not finish.
pub fn links_chart(results: &[LinkResult], path: &Path, title: &str) -> anyhow::Result<()> {
    let mut links: Vec<&str> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut protocols: Vec<&str> = Vec::new();
    for r in results {
        if !links.contains(&r.link.as_str()) {
            links.push(&r.link);
        }
        if !names.contains(&r.workload) {
            names.push(r.workload.clone());
        }
        if !protocols.contains(&r.protocol) {
            protocols.push(r.protocol);
        }
    }
    let rows = links.len().div_ceil(2).max(1);
    let root = SVGBackend::new(path, (1400 + KEY_WIDTH, 420 * rows as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| drawing(&e))?;
    let (main, key_area) = root.split_horizontally(1400);
    key(&key_area, &protocols)?;
    let (title_area, panels) = main.split_vertically(40);
    title_area
        .titled(title, ("sans-serif", 22))
        .map_err(|e| drawing(&e))?;
    let columns = if links.len() > 1 { 2 } else { 1 };
    for (area, link) in panels.split_evenly((rows, columns)).iter().zip(&links) {
        let value = |name: &str, protocol: &str| {
            results
                .iter()
                .find(|r| {
                    r.link == *link
                        && r.workload == name
                        && r.protocol == protocol
                        && r.outcome == Outcome::Finished
                })
                .and_then(|r| r.latency.map(|l| l.0))
        };
        let caption = format!("{link}: median input-to-update latency");
        bars(
            area,
            &caption,
            "ms (log scale)",
            &names,
            &protocols,
            &value,
            &|y| format!("{y:.0}"),
        )?;
    }
    root.present().map_err(|e| drawing(&e))?;
    Ok(())
}

fn drawing(e: &dyn std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("drawing the chart: {e}")
}

/// The width of the key beside a chart, in pixels: outside the plot, so that no bar runs
/// under it.
const KEY_WIDTH: u32 = 190;

/// The color of a protocol's bars.
fn color(protocol: &str) -> RGBColor {
    PROTOCOLS
        .iter()
        .position(|p| *p == protocol)
        .map_or(BLACK, |k| COLORS[k])
}

/// The key of the series' colors, a line each, from the top of `area`.
fn key(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    series: &[&str],
) -> anyhow::Result<()> {
    for (j, s) in series.iter().enumerate() {
        let y = 60 + 22 * j as i32;
        let c = color(s);
        area.draw(&Rectangle::new([(4, y - 6), (18, y + 6)], c.filled()))
            .map_err(|e| drawing(&e))?;
        area.draw(&Text::new(*s, (26, y - 7), ("sans-serif", 14)))
            .map_err(|e| drawing(&e))?;
    }
    Ok(())
}

/// Grouped bars on a log scale: a group per name, a bar per series, `value` of each (the
/// colors' key is drawn beside, by [`key`]).
fn bars(
    area: &DrawingArea<SVGBackend, plotters::coord::Shift>,
    title: &str,
    y_desc: &str,
    names: &[String],
    series: &[&str],
    value: &dyn Fn(&str, &str) -> Option<f64>,
    y_format: &dyn Fn(f64) -> String,
) -> anyhow::Result<()> {
    let max = names
        .iter()
        .flat_map(|n| series.iter().filter_map(move |s| value(n, s)))
        .fold(1f64, f64::max);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(40)
        .y_label_area_size(80)
        .build_cartesian_2d(0f64..names.len() as f64, (1f64..max * 4.0).log_scale())
        .map_err(|e| drawing(&e))?;
    let labels = names.to_vec();
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
        .y_desc(y_desc)
        .y_label_formatter(&|y: &f64| y_format(*y))
        .draw()
        .map_err(|e| drawing(&e))?;
    let bar = 0.8 / series.len().max(1) as f64;
    for (j, s) in series.iter().enumerate() {
        let color = color(s);
        let bars: Vec<Rectangle<(f64, f64)>> = names
            .iter()
            .enumerate()
            .filter_map(|(i, name)| {
                let v = value(name, s)?;
                let x0 = i as f64 + 0.1 + j as f64 * bar;
                Some(Rectangle::new(
                    [(x0, 1.0), (x0 + bar * 0.9, v.max(1.0))],
                    color.filled(),
                ))
            })
            .collect();
        chart.draw_series(bars).map_err(|e| drawing(&e))?;
    }
    Ok(())
}

/// One link measurement in a few characters: seconds, frames per second and median latency,
/// or why there are none.
pub fn link_cell(r: &LinkResult) -> String {
    match (r.outcome, r.seconds) {
        (Outcome::Finished, Some(s)) => format!(
            "{s:.1}s {:.0}/s {}{}",
            r.fps().unwrap_or(0.0),
            r.latency
                .map_or("-".to_owned(), |(p50, ..)| format!("{p50:.0}ms")),
            r.psnr.map_or(String::new(), |p| format!(" {p:.0}dB"))
        ),
        (Outcome::NoFirstScreen, _) => "no 1st screen".into(),
        _ => "behind".into(),
    }
}

/// The links report: per link, rows of workloads, columns of live modes; each cell the
/// workload's time on the viewer, its frames per second and the median input-to-update
/// latency.
pub fn links_table(results: &[LinkResult], cap: Duration) -> String {
    let mut out = String::new();
    let mut links: Vec<&str> = Vec::new();
    let mut modes: Vec<&str> = Vec::new();
    let mut names: Vec<&str> = Vec::new();
    for r in results {
        for (list, item) in [
            (&mut links, r.link.as_str()),
            (&mut modes, r.protocol),
            (&mut names, r.workload.as_str()),
        ] {
            if !list.contains(&item) {
                list.push(item);
            }
        }
    }
    let _ = writeln!(
        out,
        "On each link: seconds until the viewer shows the workload's last frame, frames/s it \
         shows, median input-to-update latency (\"behind\": not caught up {} s after the \
         workload; \"no 1st screen\": the first screen took over {} s)",
        cap.as_secs_f64(),
        cap.as_secs_f64()
    );
    if results.iter().any(|r| r.protocol.starts_with("rfb-")) {
        let _ = writeln!(
            out,
            "rfb-*: a VNC viewer on the server's RFB port; its latency is from a KeyEvent (or \
             PointerEvent) handed to the link until the viewer has applied the first update \
             that the server encoded after the answer was in its copy of the screen, as the \
             server's core reports answers to netui's viewers; JPEG: PSNR of the last screen \
             (dB)"
        );
    }
    for link in links {
        let _ = write!(out, "\n{link:<10}");
        for m in &modes {
            let _ = write!(out, "| {m:>20} ");
        }
        out.push('\n');
        for name in &names {
            let _ = write!(out, "{name:<10}");
            for m in &modes {
                let cell = results
                    .iter()
                    .find(|r| r.link == link && r.protocol == *m && r.workload == *name)
                    .map_or("-".to_owned(), link_cell);
                let _ = write!(out, "| {cell:>20} ");
            }
            out.push('\n');
        }
    }
    out
}

/// The link measurements as CSV, one line per workload, protocol and link.
pub fn links_csv(results: &[LinkResult], path: &Path) -> anyhow::Result<()> {
    let mut out = String::from(
        "workload,protocol,link,outcome,seconds,frames,fps,latency_p50_ms,latency_p95_ms,\
         latency_max_ms,latency_samples,bytes_down,bytes_up,psnr_db\n",
    );
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.2}"));
    for r in results {
        let _ = writeln!(
            out,
            "{},{},{},{:?},{},{},{},{},{},{},{},{},{},{}",
            r.workload,
            r.protocol,
            r.link,
            r.outcome,
            opt(r.seconds),
            r.frames,
            opt(r.fps()),
            opt(r.latency.map(|l| l.0)),
            opt(r.latency.map(|l| l.1)),
            opt(r.latency.map(|l| l.2)),
            r.samples,
            r.bytes_down,
            r.bytes_up,
            opt(r.psnr),
        );
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}
