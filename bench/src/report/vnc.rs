//! The comparison with VNC: netui's best pixel mode beside RFB through netui's server and
//! through TigerVNC's Xvnc, with the ratio. Where `px-tiles` was fed Xvnc's frames in the
//! same lockstep (`px-tiles-lockstep`), that row is netui's figure: it is over the same
//! updates as Xvnc's, which the live viewers' (paced by time) need not be. Beside it, the
//! same frames without the server's drawings (`px-tiles-pixels-lockstep`) and their ratio:
//! what the pixels alone cost.

use std::fmt::Write as _;

use super::{find, human, lossy, present, workloads, Row};

/// What a table shows of a row.
type Measure = dyn Fn(&Row) -> Option<f64>;

/// The comparison with VNC, if any RFB protocol was measured: per workload, netui's best
/// lossless pixel mode (its lockstep row, where there is one) beside RFB through netui's
/// server and through Xvnc, steady-state bytes per update and the first full screen, with
/// the ratio of netui's to the best lossless VNC encoding; lossy columns with their mean
/// PSNR.
pub fn vnc_table(rows: &[Row]) -> Option<String> {
    let rfb: Vec<&str> = present(rows)
        .into_iter()
        .filter(|p| p.starts_with("rfb-") || p.starts_with("vnc-"))
        .collect();
    if rfb.is_empty() {
        return None;
    }
    let names = workloads(rows);
    let width = names.iter().map(String::len).max().unwrap_or(8).max(8);
    let mut out = String::new();
    let sections: [(&str, &Measure); 2] = [
        (
            "steady state, bytes per update after the first",
            &|r: &Row| r.steady(),
        ),
        (
            "the whole screen to a viewer that joins after the workload, bytes (handshake \
             included)",
            &|r: &Row| r.join.map(|j| j as f64),
        ),
    ];
    for (what, value) in sections {
        let _ = writeln!(
            out,
            "Pixel streaming against VNC, {what}: netui's px-tiles fed Xvnc's frames in \
             lockstep (else its best live lossless pixel mode), RFB through netui's server \
             (rfb-) and TigerVNC's Xvnc fed the same frames (vnc-); JPEG with its mean PSNR"
        );
        let _ = write!(
            out,
            "{:width$} | {:>26} | {:>16}",
            "workload", "netui px", "pixels only"
        );
        for p in &rfb {
            let _ = write!(out, " | {p:>16}");
        }
        let _ = writeln!(out, " | {:>12} | {:>11}", "best VNC", "netui/VNC");
        for name in &names {
            let best_of = |prefix: &str| {
                rows.iter()
                    .filter(|r| r.workload == *name && r.protocol.starts_with(prefix))
                    .filter(|r| !lossy(r.protocol))
                    .filter_map(|r| value(r).map(|v| (v, r.protocol)))
                    .min_by(|a, b| a.0.total_cmp(&b.0))
            };
            let netui = best_of(crate::lockstep::PROTOCOL).or_else(|| best_of("px-"));
            let vnc = best_of("vnc-");
            let ratio = |n: Option<(f64, &str)>| match (n, vnc) {
                (Some((n, _)), Some((v, _))) if v > 0.0 => format!("{:.2}", n / v),
                _ => "-".into(),
            };
            let pixels = best_of(crate::lockstep::PIXELS_ONLY);
            let _ = write!(
                out,
                "{name:width$} | {:>26} | {:>16}",
                netui.map_or("-".to_owned(), |(v, p)| format!(
                    "{} {p}",
                    human(v.round() as u64)
                )),
                pixels.map_or("-".to_owned(), |(v, _)| format!(
                    "{} {}",
                    human(v.round() as u64),
                    ratio(pixels)
                ))
            );
            for p in &rfb {
                let cell = find(rows, name, p).and_then(|r| {
                    let v = human(value(r)?.round() as u64);
                    Some(match r.psnr {
                        Some((mean, _)) => format!("{v} {mean:.1}dB"),
                        None => v,
                    })
                });
                let _ = write!(out, " | {:>16}", cell.unwrap_or_else(|| "-".into()));
            }
            let _ = writeln!(
                out,
                " | {:>12} | {:>11}",
                vnc.map_or("-".to_owned(), |(v, p)| format!(
                    "{} {}",
                    human(v.round() as u64),
                    p.trim_start_matches("vnc-")
                )),
                ratio(netui)
            );
        }
        out.push('\n');
    }
    Some(out)
}
