//! Programs under test, run as child processes: killed when the test lets go of them, so a
//! failing test leaves nothing running; a program that says it is ready on its first line of
//! output (the display server, the session); and SIGTERM, the way a user stops a daemon.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};

/// A child process, killed and reaped when this is dropped.
pub struct KillOnDrop(pub Child);

impl KillOnDrop {
    /// Starts `command`.
    pub fn spawn(command: &mut Command) -> Self {
        Self(command.spawn().expect("the program starts"))
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A program that prints one line when it is ready (`netui display :N ready ...`); killed
/// when dropped unless it has already ended.
pub struct Ready {
    /// The process.
    pub child: KillOnDrop,
    /// Its first line of output.
    pub line: String,
    /// The rest of its output. It stays open, so that the program's later lines do not meet
    /// a closed pipe.
    pub stdout: BufReader<ChildStdout>,
}

impl Ready {
    /// Starts `command` with its standard output piped and waits for its first line.
    pub fn start(command: &mut Command) -> Self {
        let mut child = KillOnDrop::spawn(command.stdout(Stdio::piped()));
        let mut stdout = BufReader::new(child.0.stdout.take().expect("a piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("a ready line");
        Self {
            child,
            line,
            stdout,
        }
    }

    /// Sends it SIGTERM and waits for it to end.
    pub fn terminate(&mut self) -> ExitStatus {
        terminate(&mut self.child.0)
    }

    /// What it printed after the ready line, up to the end of its output (once it has ended).
    pub fn rest_of_output(&mut self) -> String {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).expect("its output");
        rest
    }
}

/// Sends `child` SIGTERM (with `kill`, as a user would) and waits for it to end.
pub fn terminate(child: &mut Child) -> ExitStatus {
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success(), "kill -TERM {} failed", child.id());
    child.wait().expect("the program ends")
}

/// The path of the workspace program `name` (a demo such as `hello` or `notepad`), for the
/// tests of another package: cargo gives a test the paths of its own package's programs only
/// (`CARGO_BIN_EXE_*`). It builds them once per test process (`cargo build -p demos --bins`,
/// with the test's own profile and target directory: nothing to do after `cargo test
/// --workspace`, which has built them), then takes `name` from beside the test's executable.
pub fn demo_program(name: &str) -> std::path::PathBuf {
    workspace_program("demos", name)
}

/// The path of program `name` of the workspace's package `package` (`thin-client`,
/// `netui-display-server`...), built as [`demo_program`] builds the demos: once per package
/// and test process.
pub fn workspace_program(package: &str, name: &str) -> std::path::PathBuf {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    // target/<profile>/deps/<test>-<hash>: the programs are in target/<profile>.
    let exe = std::env::current_exe().expect("the test knows its own path");
    let dir = exe
        .parent()
        .and_then(std::path::Path::parent)
        .expect("a test runs from target/<profile>/deps")
        .to_path_buf();
    // A poisoned lock only means another test failed while building: build again.
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|p| p == package) {
        let target = dir.parent().expect("target/<profile>");
        let profile = dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a profile directory");
        // Cargo names the dev profile's directory `debug`.
        let profile = if profile == "debug" { "dev" } else { profile };
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args([
                "build",
                "--quiet",
                "-p",
                package,
                "--bins",
                "--profile",
                profile,
            ])
            .arg("--manifest-path")
            .arg(&manifest)
            .env("CARGO_TARGET_DIR", target)
            .output()
            .expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build -p {package} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        built.push(package.to_owned());
    }
    let path = dir.join(name);
    assert!(path.exists(), "no program {}", path.display());
    path
}
