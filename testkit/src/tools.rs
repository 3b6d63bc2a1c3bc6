//! System programs that some tests run (systemd's `systemd-socket-activate` and
//! `systemd-analyze`, `kubectl`), found on `PATH`: a test whose program is missing says
//! `SKIPPED: ...` and passes, unless `NETUI_REQUIRE_XVFB` is set (as `.ci/run` sets it, having
//! installed them all), then it fails, as the Xvfb and VNC viewer tests do.

use std::path::PathBuf;

/// The path of `program` on `PATH`, or `None` after saying that the test is skipped (with
/// `install`, the way to get it); a failure instead when `NETUI_REQUIRE_XVFB` is set.
pub fn program(program: &str, install: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("NETUI_REQUIRE_XVFB").is_none(),
            "NETUI_REQUIRE_XVFB is set but {program} is missing ({install})"
        );
        eprintln!("SKIPPED: {program} is missing ({install})");
    }
    found
}
