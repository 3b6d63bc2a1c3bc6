//! `clock`: an analog and digital clock of local time, ticking once a second. `--script` draws a fixed session and
//! exits; `--help` says more. The command line is shared by every demo (`demos::cli`).

fn main() -> anyhow::Result<()> {
    demos::cli::demo_main("clock")
}
