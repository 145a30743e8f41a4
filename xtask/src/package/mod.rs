//! `cargo xtask package`: the crate as crates.io would get it. Packages it
//! (`cargo package`, which builds the packaged crate), checks that the
//! package holds what a user and docs.rs need, and builds and runs a user's
//! program against it beside reqwest's default features, once with each TLS
//! feature: with `rustls-aws-lc-rs` rustls keeps one provider and its
//! process-wide default works; with `rustls-ring` (the default, here with
//! `mock` and `schemars`, so that the package is built with every feature as
//! docs.rs builds it) rustls gets both and that default panics, which is why
//! the README says to pick `rustls-aws-lc-rs` there. Then the same user
//! builds it from Codat documents of their choosing (`chosen.rs`).
//!
//! The crate's build script depends on `codat-connections-spec`, packaged
//! beside it: the user's manifest takes that package in place of the
//! crates.io release it names (`[patch.crates-io]`), as the two would be
//! published together.

mod chosen;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools;

/// Files the package must hold, beyond the sources cargo needs to build it.
const REQUIRED: [&str; 6] = [
    "README.md",
    "CHANGELOG.md",
    "LICENSE-MIT",
    "LICENSE-APACHE",
    "openapi/connections.json",
    "build.rs",
];

/// What rustls says when it cannot choose a process-wide provider.
const NO_PROCESS_PROVIDER: &str =
    "Could not automatically determine the process-level CryptoProvider";

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!("package: unexpected argument `{unknown}`"));
    }
    let root = crate::sync_spec::workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let packaged = package(&root, &cargo)?;
    consumer(&root, &cargo, &packaged)
}

/// The crates packaged, the one the build script depends on first.
const PACKAGES: [&str; 2] = ["codat-connections-spec", "codat-connections"];

/// Packages the crate and builds the package; returns the folder it was
/// unpacked to.
fn package(root: &Path, cargo: &str) -> Result<PathBuf, String> {
    let mut command = Command::new(cargo);
    // `--allow-dirty`: the package is what the work tree holds, committed
    // or not, so that it can be tried before a commit.
    command
        .args(["package", "--allow-dirty"])
        .args(PACKAGES.iter().flat_map(|name| ["-p", name]))
        .current_dir(root);
    tools::run(
        &mut command,
        "cargo package (and a build of the packaged crate)",
    )?;
    let listed = Command::new(cargo)
        .args([
            "package",
            "-p",
            "codat-connections",
            "--allow-dirty",
            "--list",
        ])
        .current_dir(root)
        .output()
        .map_err(|e| format!("cargo package --list: {e}"))?;
    if !listed.status.success() {
        return Err(format!(
            "cargo package --list failed: {}",
            String::from_utf8_lossy(&listed.stderr)
        ));
    }
    let listed = String::from_utf8_lossy(&listed.stdout);
    let files: Vec<&str> = listed.lines().collect();
    let missing: Vec<&str> = REQUIRED
        .into_iter()
        .filter(|f| !files.contains(f))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "the package lacks {missing:?} (the `include` list of Cargo.toml)"
        ));
    }
    if let Some(stray) = files
        .iter()
        .find(|f| f.starts_with("tests/") || f.starts_with("upstream/") || f.starts_with("target/"))
    {
        return Err(format!(
            "the package holds `{stray}`, which users do not need"
        ));
    }
    println!("    the package holds {} files", files.len());
    let version = package_version(root)?;
    Ok(root.join(format!("target/package/codat-connections-{version}")))
}

/// Where `cargo package` unpacked `codat-connections-spec`, beside the
/// crate's own package (the two share their version).
fn spec_package(packaged: &Path) -> PathBuf {
    let name = packaged
        .file_name()
        .map(|name| {
            name.to_string_lossy()
                .replacen("codat-connections-", "codat-connections-spec-", 1)
        })
        .unwrap_or_default();
    packaged.with_file_name(name)
}

/// The crate's version, from its manifest.
fn package_version(root: &Path) -> Result<String, String> {
    let manifest = fs::read_to_string(root.join("Cargo.toml")).map_err(|e| e.to_string())?;
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package && let Some(version) = line.strip_prefix("version = ") {
            return Ok(version.trim_matches('"').to_owned());
        }
    }
    Err("Cargo.toml: no version in [package]".to_owned())
}

/// Builds and runs the user's program (`xtask/consumer/main.rs`) against the
/// packaged crate with each TLS feature, and checks how each ends.
fn consumer(root: &Path, cargo: &str, packaged: &Path) -> Result<(), String> {
    let dir = root.join("target/consumer");
    fs::create_dir_all(dir.join("src")).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::copy(root.join("xtask/consumer/main.rs"), dir.join("src/main.rs"))
        .map_err(|e| format!("xtask/consumer/main.rs: {e}"))?;
    // The workspace's versions where they serve, so that the target
    // directory's artifacts are reused; what reqwest's defaults add is
    // resolved on top.
    if !dir.join("Cargo.lock").exists() {
        fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))
            .map_err(|e| format!("Cargo.lock: {e}"))?;
    }
    let path = packaged.display().to_string();
    let spec = spec_package(packaged).display().to_string();
    let cases = [
        (
            format!(
                r#"{{ path = "{path}", default-features = false, features = ["rustls-aws-lc-rs"] }}"#
            ),
            Ending::Works,
        ),
        // The default TLS feature, and the crate's other features: docs.rs
        // builds the package with all of them.
        (
            format!(r#"{{ path = "{path}", features = ["mock", "schemars"] }}"#),
            Ending::NoProcessProvider,
        ),
    ];
    for (dependency, expected) in cases {
        fs::write(dir.join("Cargo.toml"), manifest(&dependency, &spec))
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        let what = format!("a user's program with codat-connections = {dependency}");
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet"])
            .current_dir(&dir)
            .env("CARGO_TARGET_DIR", root.join("target"));
        tools::run(&mut build, &format!("building {what}"))?;
        let output = Command::new(root.join("target/debug/codat-consumer"))
            .output()
            .map_err(|e| format!("cannot run {what}: {e}"))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let ended = match (
            output.status.success(),
            stderr.contains(NO_PROCESS_PROVIDER),
        ) {
            (true, _) => Ending::Works,
            (false, true) => Ending::NoProcessProvider,
            (false, false) => {
                return Err(format!("{what} failed ({}):\n{stderr}", output.status));
            }
        };
        if ended != expected {
            return Err(format!(
                "{what}: expected {expected:?}, but it {ended:?}\nstdout: {}\nstderr: {stderr}",
                String::from_utf8_lossy(&output.stdout)
            ));
        }
        println!("    {what}: {ended:?}, as expected");
    }
    let dependency = format!(r#"{{ path = "{path}", features = ["mock"] }}"#);
    chosen::run(root, cargo, &dir, &manifest(&dependency, &spec))
}

/// How the user's program ends.
#[derive(Debug, PartialEq, Clone, Copy)]
enum Ending {
    /// It works: rustls's process default is there.
    Works,
    /// It panics: rustls has two providers and so no process default.
    NoProcessProvider,
}

/// The user's manifest: the crate as `dependency` says, beside reqwest and
/// rustls with their default features, with `codat-connections-spec` from
/// its package at `spec`.
fn manifest(dependency: &str, spec: &str) -> String {
    format!(
        r#"[package]
name = "codat-consumer"
version = "0.0.0"
edition = "2021"
publish = false

# A project of its own, not a member of the workspace around it.
[workspace]

[dependencies]
codat-connections = {dependency}
reqwest = "0.13"
rustls = "0.23"
serde_json = "1"
tokio = {{ version = "1", features = ["rt"] }}

# Published with codat-connections; here, its package.
[patch.crates-io]
codat-connections-spec = {{ path = "{spec}" }}

# As the workspace builds, so that its artifacts are reused.
[profile.dev]
debug = "line-tables-only"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_is_read_from_the_package_section() {
        let root = crate::sync_spec::workspace_root();
        let version = package_version(&root).unwrap();
        assert!(version.split('.').count() == 3, "{version}");
        let manifest = manifest("{ path = \"x\" }", "y");
        assert!(manifest.contains("codat-connections = { path = \"x\" }"));
        assert!(manifest.contains("codat-connections-spec = { path = \"y\" }"));
        let spec = spec_package(Path::new("/t/package/codat-connections-0.1.0"));
        assert_eq!(spec, Path::new("/t/package/codat-connections-spec-0.1.0"));
    }
}
