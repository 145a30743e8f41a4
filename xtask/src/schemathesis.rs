//! `cargo xtask schemathesis`, and a step of `cargo xtask ci`: Schemathesis
//! (pinned, in a venv under `target/tools/`) against the standalone mock
//! `codat-mock`, with `openapi/connections.json` and then with its own
//! control API's `openapi/mock-control.json`, every check and every phase, a fixed seed and a bounded number of examples. What it relaxes,
//! and why, is in `xtask/schemathesis.toml`, and nowhere else.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::tools;

/// Schemathesis and everything it needs, pinned (a full `pip freeze`).
const REQUIREMENTS: &str = "xtask/schemathesis-requirements.txt";
/// The one file of exclusions, each with the evidence for it.
const CONFIG: &str = "xtask/schemathesis.toml";
/// The control API's settings: every check, nothing relaxed.
const CONTROL_CONFIG: &str = "xtask/schemathesis-control.toml";
/// Codat's API as the client is generated from it.
const CODAT_DOCUMENT: &str = "openapi/connections.json";
/// The mock's own control API.
const CONTROL_DOCUMENT: &str = "openapi/mock-control.json";
/// The mock's companies and connections: the document's example IDs, so
/// that its examples name resources that exist, and a connection in each
/// status.
const MOCK_SEED: &str = "tests/data/schemathesis-seed.json";
/// Hypothesis's seed: the same cases on every run.
const SEED: &str = "20240601";
/// Cases per operation and phase (about 1,000 in all, some seconds).
const MAX_EXAMPLES: &str = "100";
/// How long the mock may take to say where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// `cargo xtask schemathesis`: the step alone.
pub fn run_alone(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!("schemathesis: unexpected argument `{unknown}`"));
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    run(&crate::sync_spec::workspace_root(), &cargo)
}

/// Installs the pinned Schemathesis, builds and starts `codat-mock` on a free
/// loopback port, runs Schemathesis against it, and stops the mock whatever
/// happened; fails with Schemathesis's output when it finds a failure.
pub fn run(root: &Path, cargo: &str) -> Result<(), String> {
    let venv = root.join("target/tools/schemathesis-venv");
    tools::pip_venv(
        &venv,
        &root.join(REQUIREMENTS),
        "Schemathesis, for the mock's conformance",
    )?;
    let program = build_mock(root, cargo)?;
    // Codat's API; then the control API, on a mock of its own (its cases
    // reset and reshape the mock as they go). Both seeded with the IDs their
    // documents' examples name.
    for (document, config) in [(CODAT_DOCUMENT, CONFIG), (CONTROL_DOCUMENT, CONTROL_CONFIG)] {
        check(root, &venv, &program, document, config)?;
    }
    Ok(())
}

/// Runs Schemathesis with `document` and `config` against a fresh, seeded
/// `codat-mock`, and stops the mock whatever happened.
fn check(
    root: &Path,
    venv: &Path,
    program: &Path,
    document: &str,
    config: &str,
) -> Result<(), String> {
    println!(
        "==> Schemathesis against codat-mock with {document} (seed {SEED}, {MAX_EXAMPLES} examples)"
    );
    let started = Instant::now();
    let mock = Mock::start(program, &root.join(MOCK_SEED))?;
    let mut command = Command::new(venv.join("bin/schemathesis"));
    command
        .current_dir(root)
        .arg("--config-file")
        .arg(root.join(config))
        .arg("run")
        .arg(root.join(document))
        .args(["--url", &mock.base_url])
        .args([
            "--header",
            &format!("Authorization: {}", mock.authorization),
        ])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .args(["--seed", SEED, "--max-examples", MAX_EXAMPLES])
        // No example database: a failure found once would otherwise be
        // replayed on later runs, which would then not be the same run.
        .args(["--generation-database", "none", "--no-color"]);
    let output = command.output();
    // The mock stops here, and on every early return (its `Drop`).
    drop(mock);
    let output = output.map_err(|e| format!("cannot start Schemathesis: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if !output.status.success() {
        return Err(format!(
            "{text}\nSchemathesis found the mock breaking {document} \
             ({}); fix the mock, or, where Codat itself answers so, relax that one \
             check in {config} with the evidence and say so in src/mock/mod.rs",
            output.status
        ));
    }
    println!("{}", summary(&text));
    println!(
        "    (Schemathesis: {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Builds `codat-mock` and returns the path cargo gives for it.
fn build_mock(root: &Path, cargo: &str) -> Result<PathBuf, String> {
    println!("==> building codat-mock");
    let output = Command::new(cargo)
        .current_dir(root)
        // What `cargo xtask ci`'s tests build (the same targets of the same
        // packages, so the same features): after them, nothing to build.
        .args([
            "build",
            "--workspace",
            "--lib",
            "--bins",
            "--tests",
            "--examples",
        ])
        .arg("--all-features")
        .args(["--message-format", "json-render-diagnostics"])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!("building codat-mock failed ({})", output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        // The program, not the harness of its unit tests.
        .filter(|message| {
            message["target"]["name"] == "codat-mock" && message["profile"]["test"] == false
        })
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo built codat-mock but named no executable for it".to_owned())
}

/// The running `codat-mock`.
struct Mock {
    child: Child,
    base_url: String,
    /// The `Authorization` header it accepts.
    authorization: String,
}

impl Mock {
    fn start(program: &Path, seed: &Path) -> Result<Mock, String> {
        let mut child = Command::new(program)
            .args(["--addr", "127.0.0.1:0", "--seed"])
            .arg(seed)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", program.display()))?;
        let Some(stdout) = child.stdout.take() else {
            return Err("codat-mock's output cannot be read".to_owned());
        };
        // Its output is read on a thread, to the end, so that it never
        // blocks on a full pipe; its first lines come back here.
        let (lines, heard) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut mock = Mock {
            child,
            base_url: String::new(),
            authorization: String::new(),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while mock.base_url.is_empty() || mock.authorization.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok(line) = heard.recv_timeout(left) else {
                return Err("codat-mock did not say where it listens".to_owned());
            };
            if let Some(url) = base_url(&line) {
                mock.base_url = url.to_owned();
            } else if let Some(key) = api_key(&line) {
                mock.authorization = format!("Basic {}", base64(key.as_bytes()));
            }
        }
        Ok(mock)
    }
}

impl Drop for Mock {
    /// SIGTERM, then a wait of up to ten seconds; a mock still running then
    /// is killed.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The base URL in the mock's line `Mock Codat at http://127.0.0.1:PORT`.
fn base_url(line: &str) -> Option<&str> {
    line.strip_prefix("Mock Codat at ")
        .map(str::trim)
        .filter(|url| url.starts_with("http://"))
}

/// The key in the mock's line `API key: KEY (send ...)`.
fn api_key(line: &str) -> Option<&str> {
    let rest = line.strip_prefix("API key: ")?;
    rest.split_whitespace().next()
}

/// Standard base64 with padding, as HTTP Basic carries Codat's key.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Schemathesis's closing summary (from its `SUMMARY` line), or all of it.
fn summary(text: &str) -> &str {
    text.find("SUMMARY")
        .and_then(|at| text[..at].rfind('\n').map(|line| &text[line + 1..]))
        .unwrap_or(text)
        .trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_base_url_and_key_the_mock_prints() {
        assert_eq!(
            base_url("Mock Codat at http://127.0.0.1:43613"),
            Some("http://127.0.0.1:43613")
        );
        assert_eq!(base_url("Companies: 1; stop with Ctrl-C or SIGTERM"), None);
        assert_eq!(base_url("Mock Codat at 127.0.0.1:1"), None);
        let line = "API key: mock-codat-api-key (send `Authorization: Basic <base64 of the key>`)";
        assert_eq!(api_key(line), Some("mock-codat-api-key"));
        assert_eq!(api_key("Mock Codat stopped"), None);
    }

    #[test]
    fn base64_pads_as_http_basic_expects() {
        assert_eq!(base64(b"mock-codat-api-key"), "bW9jay1jb2RhdC1hcGkta2V5");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn the_summary_starts_at_its_heading() {
        let text = "cases...\n===== SUMMARY =====\nTest cases: 3 passed\n";
        assert_eq!(summary(text), "===== SUMMARY =====\nTest cases: 3 passed");
        assert_eq!(summary("no heading\n"), "no heading");
    }
}
