//! `paint`: draw with the mouse in colors and widths chosen from a toolbar. `--script` draws a fixed session and
//! exits; `--help` says more. The command line is shared by every demo (`demos::cli`).

fn main() -> anyhow::Result<()> {
    demos::cli::demo_main("paint")
}
