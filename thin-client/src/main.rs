//! The netui thin client is not built yet: it is the subject of its own issue
//! ("Thin client: command mode and pixel mode"). This program only says so.

fn main() -> std::process::ExitCode {
    eprintln!("thin-client: not built yet; see the README's 'Status' section");
    std::process::ExitCode::FAILURE
}
