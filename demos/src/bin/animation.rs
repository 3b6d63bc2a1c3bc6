//! `animation`: bouncing balls at 60 frames a second. `--script` draws a fixed session and
//! exits; `--help` says more. The command line is shared by every demo (`demos::cli`).

fn main() -> anyhow::Result<()> {
    demos::cli::demo_main("animation")
}
