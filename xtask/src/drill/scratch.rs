//! The copy of the workspace the drill changes, builds and tests, kept
//! between runs so that each rebuild is incremental.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::failures::{build_failure, first_compile_error, test_failure};
use super::outcome::Outcome;

/// Where the drill works: a copy of the workspace's tracked files, built in
/// the workspace's own target directory, with the same profile and features
/// as `cargo test`: the crates it depends on are the ones the tests already
/// built, and each change rebuilds only the copy, incrementally. The copy's
/// crate has a version of its own ([`apart`]): cargo names a path package's
/// artifacts by its name, version and path within its workspace, which the
/// copy shares with the original, so without it each change would
/// overwrite the original's build, and a build of the original after the
/// drill would take the drill's last generated client for its own.
pub struct Scratch {
    pub work: PathBuf,
    target: PathBuf,
    cargo: String,
    upstream: Option<PathBuf>,
}

impl Scratch {
    pub fn new(root: &Path) -> Scratch {
        let drill = root.join("target/spec-drill");
        // The copy holds no documents of Codat's: its tests read the
        // workspace's own.
        let upstream = std::env::var_os("CODAT_UPSTREAM_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(root.join(crate::sync_spec::UPSTREAM_DIR)));
        Scratch {
            work: drill.join("work"),
            target: root.join("target"),
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned()),
            upstream,
        }
    }

    fn cargo(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.cargo);
        command
            .args(args)
            .current_dir(&self.work)
            .env("CARGO_TARGET_DIR", &self.target)
            // The property tests are asked whether they still hold, with a
            // few cases each, not how hard they can be tried.
            .env("PROPTEST_CASES", "16")
            .env_remove("RELIABILITY_OUT");
        if let Some(upstream) = &self.upstream {
            command.env("CODAT_UPSTREAM_DIR", upstream);
        }
        command
    }

    /// Builds every target of the changed copy, and runs the tests when
    /// it compiles. A build, not a check: the tests then reuse what it
    /// compiled instead of compiling the crate a second time.
    ///
    /// With `first_failure` (a breaking change, where one failure is enough
    /// to say it is caught), the tests stop at the first binary that fails.
    pub fn exercise(&self, tests: &[String], first_failure: bool) -> Result<Outcome, String> {
        // Every target of the crate (the benchmarks' own programs are not
        // what a user builds against the document).
        let check = output(self.cargo(&[
            "build",
            "--package",
            "codat-connections",
            "--all-targets",
            "--all-features",
            "--message-format=json",
        ]))?;
        if !check.status.success() {
            let how = first_compile_error(&String::from_utf8_lossy(&check.stdout))
                .or_else(|| build_failure(&String::from_utf8_lossy(&check.stderr)))
                .unwrap_or_else(|| "cargo build failed".to_owned());
            return Ok(Outcome::Caught(format!("does not compile: {how}")));
        }
        let mut args = vec!["test", "--package", "codat-connections", "--all-features"];
        if !first_failure {
            args.push("--no-fail-fast");
        }
        args.push("--lib");
        for test in tests {
            args.extend(["--test", test.as_str()]);
        }
        args.push("--");
        for module in NEEDS_OTHER_TOOLS {
            args.extend(["--skip", module]);
        }
        let test = output(self.cargo(&args))?;
        if test.status.success() {
            return Ok(Outcome::Passes);
        }
        let stdout = String::from_utf8_lossy(&test.stdout);
        let stderr = String::from_utf8_lossy(&test.stderr);
        Ok(Outcome::Caught(test_failure(&stdout, &stderr)))
    }
}

fn output(mut command: Command) -> Result<Output, String> {
    command
        .output()
        .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))
}

/// The tests (modules of `tests/it/`) that need Prism or Python, skipped by
/// name: the document's changes reach them through the mock, which the
/// other tests already exercise, and without the tool from another language
/// they fail: `contract_prism` (Prism, Node.js) and `python_sdk` (Codat's
/// Python SDK).
const NEEDS_OTHER_TOOLS: [&str; 2] = ["contract_prism::", "python_sdk::"];

/// The integration test binaries: each `tests/*.rs`, and each folder of
/// `tests/` with a `main.rs` (`tests/it/`).
pub fn test_binaries(work: &Path) -> Result<Vec<String>, String> {
    let dir = work.join("tests");
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            let name = e.file_name().to_str()?.to_owned();
            match name.strip_suffix(".rs") {
                Some(binary) => Some(binary.to_owned()),
                None => path.join("main.rs").is_file().then_some(name),
            }
        })
        .collect();
    names.sort();
    Ok(names)
}

/// Makes `work` hold exactly the files git tracks in `root`, as they are in
/// the working tree. Files already the same are not touched, so cargo sees
/// them unchanged and rebuilds only what the changed document affects.
pub fn mirror_tracked_files(root: &Path, work: &Path) -> Result<(), String> {
    let listing = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["ls-files", "-z"])
        .output()
        .map_err(|e| format!("spec-drill copies the files git tracks; cannot run git: {e}"))?;
    if !listing.status.success() {
        return Err(format!(
            "spec-drill copies the files git tracks, and `git ls-files` failed in {}: {}",
            root.display(),
            String::from_utf8_lossy(&listing.stderr).trim()
        ));
    }
    let mut kept = BTreeSet::new();
    for relative in String::from_utf8_lossy(&listing.stdout)
        .split('\0')
        .filter(|p| !p.is_empty())
    {
        // A tracked file deleted in the working tree is left out.
        let Ok(mut bytes) = fs::read(root.join(relative)) else {
            continue;
        };
        if relative == "Cargo.toml" {
            bytes = apart(&String::from_utf8_lossy(&bytes)).into_bytes();
        }
        let to = work.join(relative);
        if fs::read(&to).ok().as_deref() != Some(bytes.as_slice()) {
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            fs::write(&to, &bytes).map_err(|e| format!("{}: {e}", to.display()))?;
        }
        kept.insert(to);
    }
    remove_files_not_in(work, &kept)
}

/// The copy's manifest: the crate's version marked as the drill's, so that
/// its artifacts are not the original's.
fn apart(manifest: &str) -> String {
    let mut in_package = false;
    let mut out = String::with_capacity(manifest.len() + 16);
    for line in manifest.lines() {
        if line.starts_with('[') {
            in_package = line.trim() == "[package]";
        }
        match line
            .strip_prefix("version = \"")
            .and_then(|v| v.strip_suffix('"'))
        {
            Some(version) if in_package => {
                out.push_str(&format!("version = \"{version}-spec-drill\""));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

fn remove_files_not_in(dir: &Path, kept: &BTreeSet<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            remove_files_not_in(&path, kept)?;
        } else if !kept.contains(&path) {
            fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync_spec::workspace_root;

    #[test]
    fn the_copys_crate_has_a_version_of_its_own() {
        let manifest = "[workspace]\nmembers = [\"x\"]\n\n[workspace.package]\nversion = \"9\"\n\n\
                        [package]\nname = \"c\"\nversion = \"0.1.0\"\n\n[dependencies]\n\
                        a = { version = \"1\" }\n";
        let copied = apart(manifest);
        assert!(
            copied.contains("[package]\nname = \"c\"\nversion = \"0.1.0-spec-drill\"\n"),
            "{copied}"
        );
        assert!(
            copied.contains("[workspace.package]\nversion = \"9\"\n"),
            "{copied}"
        );
        let root = fs::read_to_string(workspace_root().join("Cargo.toml")).unwrap();
        assert_ne!(apart(&root), root, "the workspace's own manifest");
    }

    #[test]
    fn every_test_binary_is_run_and_the_tests_needing_other_tools_are_skipped() {
        let tests = test_binaries(&workspace_root()).unwrap();
        assert_eq!(tests, ["it", "rate_limit_span", "secrets"]);
        // The modules skipped by name are modules of the binary.
        let main = fs::read_to_string(workspace_root().join("tests/it/main.rs")).unwrap();
        for module in NEEDS_OTHER_TOOLS {
            let declared = format!("mod {};", module.trim_end_matches("::"));
            assert!(
                main.contains(&declared),
                "{declared} is not in tests/it/main.rs"
            );
        }
    }
}
