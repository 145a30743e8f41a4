//! `cargo xtask ci`: every check CI runs, in the order that fails fastest.
//! The tools the tests need are installed here, pinned, under `target/tools/`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::sync_spec::workspace_root;
use crate::tools;

/// Pinned requirements of the OpenAPI validator the tests run.
const VALIDATOR_REQUIREMENTS: &str = "xtask/validator-requirements.txt";

pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!("ci: unexpected argument `{unknown}`"));
    }
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());

    let started = Instant::now();
    step(&root, "formatting", &cargo, &["fmt", "--all", "--check"])?;
    // Every crate of the lock file, for every platform: the cargo deny
    // steps run offline, and `cargo metadata` under them needs the crates
    // of platforms (Windows, Android, ...) a Linux build never downloads.
    step(
        &root,
        "fetching every crate in Cargo.lock (all platforms)",
        &cargo,
        &["fetch", "--locked"],
    )?;
    let deny = install_cargo_deny(&root, &cargo)?;
    step(
        &root,
        "cargo deny (licenses, bans, sources)",
        &deny,
        &["--offline", "check", "licenses", "bans", "sources"],
    )?;
    crate::advisories::check(&root, &deny)?;
    println!("==> the checked-in OpenAPI document");
    crate::sync_spec::run(&["--check".to_owned()])?;
    let validator = install_validator(&root)?;
    let prism = install_prism(&root)?;
    let python = install_python_sdk(&root)?;
    step(
        &root,
        "clippy",
        &cargo,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            // The mock and its program too; rustdoc then reuses what this
            // checked of the dependencies (same features).
            "--all-features",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    // The crate as most users build it: default features, no mock.
    step(
        &root,
        "clippy, default features",
        &cargo,
        &[
            "clippy",
            "-p",
            "codat-connections",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    )?;
    let rows = root.join(crate::reliability::ROWS);
    crate::reliability::clear(&rows)?;
    let mut test = Command::new(&cargo);
    // Every target but the benchmarks, which measure rather than test (the
    // benchmarks crate holds no test; clippy builds its programs).
    test.args([
        "test",
        "--workspace",
        "--exclude",
        "benchmarks",
        "--lib",
        "--bins",
        "--tests",
        "--examples",
        "--all-features",
    ])
    .env("OPENAPI_SPEC_VALIDATOR", &validator)
    .env("PRISM_BIN", &prism)
    .env("CODAT_PYTHON", &python)
    .env("RELIABILITY_OUT", &rows);
    run_command(&root, "tests, all features", test)?;
    // The crate as most users build it: its unit tests (the TLS provider of
    // the default feature among them). Its integration tests run above, and
    // clippy built them with these features too; against loopback HTTP
    // servers they do not depend on the TLS feature.
    step(
        &root,
        "unit tests, default features",
        &cargo,
        &["test", "-p", "codat-connections", "--lib"],
    )?;
    // The standalone mock against the document, by a tool that is not ours.
    crate::schemathesis::run(&root, &cargo)?;
    println!("==> RELIABILITY.md");
    crate::reliability::check(&root)?;
    // Every synthetic change to the document must be noticed by the build or
    // the tests when it breaks users, and pass when it does not.
    println!("==> spec-drill");
    crate::drill::run(&[])?;
    crate::docs::check(&root, &cargo)?;
    step(
        &root,
        "doctests",
        &cargo,
        // The crate's: the workspace's other members have none.
        &["test", "-p", "codat-connections", "--doc", "--all-features"],
    )?;
    // The crate as crates.io would get it, and a user's program beside
    // reqwest's defaults with each TLS feature.
    crate::package::run(&[])?;
    step(
        &root,
        "the quickstart (README's first command)",
        &cargo,
        &[
            "run",
            "--quiet",
            "--example",
            "quickstart",
            "--features",
            "mock",
        ],
    )?;
    step(
        &root,
        "the webhook receiver example, against deliveries it sends itself",
        &cargo,
        &[
            "run",
            "--quiet",
            "--example",
            "webhooks",
            "--features",
            "mock",
            "--",
            "--self-test",
        ],
    )?;
    println!(
        "==> all checks passed in {:.1} min",
        started.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

/// Installs the pinned `openapi-spec-validator` into a venv under `target/`
/// and returns the path of its command.
fn install_validator(root: &Path) -> Result<String, String> {
    let venv = root.join("target/tools/validator-venv");
    tools::pip_venv(
        &venv,
        &root.join(VALIDATOR_REQUIREMENTS),
        "openapi-spec-validator",
    )?;
    Ok(venv
        .join("bin/openapi-spec-validator")
        .display()
        .to_string())
}

/// Installs Codat's Python SDK, pinned as the benchmarks pin it, into a
/// venv under `target/tools/` and returns the path of its Python, which
/// `tests/it/python_sdk.rs` drives the standalone mock with.
fn install_python_sdk(root: &Path) -> Result<String, String> {
    let venv = root.join("target/tools/python-sdk-venv");
    tools::pip_venv(
        &venv,
        &root.join("benchmarks/peers/requirements.txt"),
        "Codat's Python SDK, for the standalone mock's test",
    )?;
    Ok(venv.join("bin/python").display().to_string())
}

/// The cargo-deny version CI installs.
const CARGO_DENY: &str = "0.20.2";

/// Installs the pinned cargo-deny under `target/tools/` (once; it takes a few
/// minutes to build) and returns the path of its command.
fn install_cargo_deny(root: &Path, cargo: &str) -> Result<String, String> {
    let tools = root.join("target/tools/cargo-deny");
    let bin = tools.join("bin/cargo-deny");
    if let Ok(output) = Command::new(&bin).arg("--version").output()
        && String::from_utf8_lossy(&output.stdout).contains(CARGO_DENY)
    {
        return Ok(bin.display().to_string());
    }
    let root_arg = tools.display().to_string();
    let mut install = Command::new(cargo);
    install.args([
        "install",
        "--locked",
        "--quiet",
        "--root",
        &root_arg,
        "--version",
        CARGO_DENY,
        "cargo-deny",
    ]);
    // cargo-deny's own release profile (fat LTO, one codegen unit) took
    // four and a half minutes on two cores; a check of one lock file needs
    // none of that speed. Unoptimised, it builds in 53 s instead of 101 s
    // (at opt-level 1) and checks this lock file in 1.7 s instead of 0.8 s.
    for (setting, value) in [
        ("CARGO_PROFILE_RELEASE_LTO", "false"),
        ("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
        ("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0"),
        ("CARGO_PROFILE_RELEASE_DEBUG", "0"),
    ] {
        install.env(setting, value);
    }
    let name = format!("installing cargo-deny {CARGO_DENY} (pinned, built once)");
    run_command(root, &name, install)?;
    Ok(bin.display().to_string())
}

/// Installs the pinned Prism (`tests/prism/package-lock.json`) with `npm ci`
/// and returns the path of its command.
fn install_prism(root: &Path) -> Result<String, String> {
    let dir = root.join("tests/prism");
    tools::npm_ci(&dir, "Prism, for the contract tests")?;
    Ok(dir.join("node_modules/.bin/prism").display().to_string())
}

fn step(root: &Path, name: &str, program: &str, args: &[&str]) -> Result<(), String> {
    let mut command = Command::new(program);
    command.args(args);
    run_command(root, name, command)
}

fn run_command(root: &Path, name: &str, mut command: Command) -> Result<(), String> {
    tools::run(command.current_dir(root), name)
}
