//! Installing the pinned tools the tests and benchmarks need: Python
//! packages into a venv and npm packages with `npm ci`, each only again when
//! its pins change.

use std::path::Path;
use std::process::Command;

/// Runs `command`, announcing it as `what`; fails when it does.
pub fn run(command: &mut Command, what: &str) -> Result<(), String> {
    println!("==> {what}");
    let started = std::time::Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{what}: cannot start {:?}: {e}", command.get_program()))?;
    println!("    ({what}: {:.1} s)", started.elapsed().as_secs_f64());
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("{what} failed ({status})"))
}

/// Installs the packages pinned in `requirements` (a full `pip freeze`) into
/// the venv `venv`, unless it already holds exactly those.
pub fn pip_venv(venv: &Path, requirements: &Path, what: &str) -> Result<(), String> {
    let stamp = venv.join("installed-requirements.txt");
    let Some(pins) = stale(requirements, &stamp)? else {
        return Ok(());
    };
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    run(
        Command::new(python).args(["-m", "venv"]).arg(venv),
        &format!("creating a venv for {what}"),
    )
    .map_err(|e| {
        format!("{e}\n{what} needs Python 3 with venv (Debian: apt-get install python3-venv).")
    })?;
    run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--no-deps", "-r"])
            .arg(requirements),
        &format!("installing {what} (pinned)"),
    )?;
    std::fs::write(&stamp, pins).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// Runs `npm ci` in `dir` (which holds `package.json` and
/// `package-lock.json`), unless it already installed exactly that lockfile.
pub fn npm_ci(dir: &Path, what: &str) -> Result<(), String> {
    let stamp = dir.join("node_modules/.installed-package-lock.json");
    let Some(pins) = stale(&dir.join("package-lock.json"), &stamp)? else {
        return Ok(());
    };
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--prefix"])
            .arg(dir),
        &format!("installing {what} (pinned, npm ci)"),
    )
    .map_err(|e| {
        format!(
            "{e}\n{what} needs Node.js 20 or newer with npm (Debian: apt-get install nodejs npm)."
        )
    })?;
    std::fs::write(&stamp, pins).map_err(|e| format!("{}: {e}", stamp.display()))
}

/// The pins, when what `stamp` records differs from them (an install is due).
fn stale(pins: &Path, stamp: &Path) -> Result<Option<String>, String> {
    let wanted = std::fs::read_to_string(pins)
        .map_err(|e| format!("cannot read {}: {e}", pins.display()))?;
    let installed = std::fs::read_to_string(stamp).ok();
    Ok((installed.as_deref() != Some(wanted.as_str())).then_some(wanted))
}
