//! `thin-client`: shows a netui display's screen here, from drawing commands or from pixels,
//! with the user's keyboard and mouse sent back and live measurements on an overlay.
#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    thin_client::cli::main()
}
