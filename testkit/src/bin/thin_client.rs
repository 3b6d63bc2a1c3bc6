//! The `thin-client` program, for the end-to-end tests in this crate.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    thin_client::cli::main()
}
