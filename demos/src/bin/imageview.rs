//! `imageview [DIR]`: shows the PNG images of a folder, or the shipped samples. `--script` draws a fixed session and
//! exits; `--help` says more. The command line is shared by every demo (`demos::cli`).

fn main() -> anyhow::Result<()> {
    demos::cli::demo_main("imageview")
}
