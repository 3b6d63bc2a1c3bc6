//! `files [DIR]`: a file browser of a folder. `--script` draws a fixed session and
//! exits; `--help` says more. The command line is shared by every demo (`demos::cli`).

fn main() -> anyhow::Result<()> {
    demos::cli::demo_main("files")
}
