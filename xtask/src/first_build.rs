//! `cargo xtask first-build`: how long a user's first build of this crate
//! takes. A minimal consumer (`Client::new` and one call, no `mock`
//! feature) is built with `cargo build --release` into an empty target
//! directory, as on a new project; crates already downloaded are not
//! downloaded again, so the figure is build time, not network time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::sync_spec::workspace_root;

const CONSUMER_MAIN: &str = r#"#[tokio::main]
async fn main() -> Result<(), codat_connections::Error> {
    let client = codat_connections::Client::new("key")?;
    let page = client
        .connections()
        .list("8a210b68-6988-11ed-a1eb-0242ac120002")
        .await?;
    println!("{}", page.total_results);
    Ok(())
}
"#;

/// How many of the slowest compilation units to list.
const SLOWEST: usize = 10;

pub fn run(args: &[String]) -> Result<(), String> {
    let root = workspace_root();
    let krate = match args {
        [] => root.clone(),
        [flag, path] if flag == "--crate" => PathBuf::from(path),
        _ => return Err("usage: cargo xtask first-build [--crate PATH]".to_owned()),
    };
    let krate = krate
        .canonicalize()
        .map_err(|e| format!("{}: {e}", krate.display()))?;
    let dir = root.join("target/first-build");
    let consumer = dir.join("consumer");
    let target = dir.join("target");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(consumer.join("src")).map_err(|e| format!("{e}"))?;
    write(&consumer.join("Cargo.toml"), &manifest(&krate))?;
    write(&consumer.join("src/main.rs"), CONSUMER_MAIN)?;
    // The same versions as the crate's own lock file, so that the figure
    // does not move with whatever crates.io served today.
    std::fs::copy(krate.join("Cargo.lock"), consumer.join("Cargo.lock"))
        .map_err(|e| format!("{}: {e}", krate.join("Cargo.lock").display()))?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    crate::tools::run(
        Command::new(&cargo)
            .args(["fetch", "--quiet"])
            .current_dir(&consumer),
        "downloading the consumer's crates (not timed)",
    )?;
    let started = Instant::now();
    crate::tools::run(
        Command::new(&cargo)
            .args(["build", "--release", "--quiet", "--timings"])
            .env("CARGO_TARGET_DIR", &target)
            .current_dir(&consumer),
        &format!(
            "cargo build --release of a minimal consumer of {}, empty target directory",
            krate.display()
        ),
    )?;
    let wall = started.elapsed().as_secs_f64();
    println!("first release build: {wall:.0} s wall on {} cores", cores());
    let timings = target.join("cargo-timings/cargo-timing.html");
    match std::fs::read_to_string(&timings) {
        Ok(html) => print_slowest(&html),
        Err(e) => println!("(no timings: {}: {e})", timings.display()),
    }
    Ok(())
}

fn manifest(krate: &Path) -> String {
    format!(
        r#"[package]
name = "first-build-consumer"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
codat-connections = {{ path = "{}" }}
tokio = {{ version = "1", features = ["rt-multi-thread", "macros"] }}

# Its own workspace, not a member of the one it sits in.
[workspace]
"#,
        krate.display()
    )
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Prints the slowest units of a `cargo build --timings` report.
fn print_slowest(html: &str) {
    let units = units(html);
    let total: f64 = units.iter().map(|u| u.1).sum();
    println!(
        "{} units, {total:.0} s of compilation in all; the slowest:",
        units.len()
    );
    for (name, seconds) in units.iter().take(SLOWEST) {
        println!("  {seconds:6.1} s  {name}");
    }
}

/// `(name version [mode], seconds)` of each unit, slowest first, read from
/// the report's `UNIT_DATA` array.
fn units(html: &str) -> Vec<(String, f64)> {
    let Some(start) = html.find("const UNIT_DATA = ") else {
        return Vec::new();
    };
    let rest = &html[start + "const UNIT_DATA = ".len()..];
    let Some(end) = rest.find(";\n") else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Array(items)) = serde_json::from_str(&rest[..end]) else {
        return Vec::new();
    };
    let mut units: Vec<(String, f64)> = items
        .iter()
        .filter_map(|unit| {
            let text = |key: &str| unit.get(key).and_then(|v| v.as_str()).unwrap_or("");
            let seconds = unit.get("duration")?.as_f64()?;
            let mode = match text("mode") {
                "run-custom-build" => " (build script run)",
                _ => "",
            };
            Some((
                format!("{} {}{mode}", text("name"), text("version")),
                seconds,
            ))
        })
        .collect();
    units.sort_by(|a, b| b.1.total_cmp(&a.1));
    units
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_read_from_the_timings_report_slowest_first() {
        let html = r#"<script>
const UNIT_DATA = [{"name":"ring","version":"0.17.14","mode":"run-custom-build","duration":4.2},{"name":"rustls","version":"0.23.46","mode":"todo","duration":14.5}];
const CONCURRENCY_DATA = [];
</script>"#;
        assert_eq!(
            units(html),
            [
                ("rustls 0.23.46".to_owned(), 14.5),
                ("ring 0.17.14 (build script run)".to_owned(), 4.2)
            ]
        );
        assert!(units("no report").is_empty());
    }

    #[test]
    fn the_consumer_is_a_workspace_of_its_own() {
        let text = manifest(Path::new("/x/codat"));
        assert!(text.contains(r#"codat-connections = { path = "/x/codat" }"#));
        assert!(text.contains("\n[workspace]\n"));
    }
}
