//! The `codat-mock` program as its users start it: a child process whose
//! first lines say where it listens, stopped by a signal, and killed
//! whatever happens to the test that started it.

use std::io::{BufRead, BufReader, Read};
use std::ops::{Deref, DerefMut};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use codat_connections::mock::MOCK_API_KEY;

pub const PROGRAM: &str = env!("CARGO_BIN_EXE_codat-mock");

/// The running program. Dropped, it is killed and waited for, so a test
/// that fails (a panic included) leaves no process behind.
pub struct Running(Child);

impl Deref for Running {
    type Target = Child;

    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Already stopped (`stop`): both are no-ops then.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The program, started with `args`, and the base URL it printed.
pub fn start(args: &[&str]) -> (Running, String) {
    let mut child = Running(
        Command::new(PROGRAM)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("codat-mock starts"),
    );
    let stdout = child.stdout.take().expect("its output");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("codat-mock printed nothing: {}", stderr_of(&mut child)));
    let base_url = first
        .strip_prefix("Mock Codat at ")
        .unwrap_or_else(|| panic!("not the first line it prints: {first:?}"))
        .to_owned();
    let key_line = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(key_line.contains(MOCK_API_KEY), "{key_line}");
    // The rest of its output is read as it comes, so it never blocks.
    std::thread::spawn(move || lines.for_each(drop));
    (child, base_url)
}

pub fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut text);
    }
    text
}

/// Sends `signal` to the program and waits (at most ten seconds) for it
/// to exit.
pub fn stop(child: &mut Child, signal: &str) -> std::process::ExitStatus {
    let sent = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("the program's status") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "codat-mock did not stop on SIG{signal}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
