//! A user of the packaged crate who builds it from a Codat document of their
//! choosing (`CODAT_OPENAPI`): with a field and a parameter added, their
//! program reads the field and the mock answers the parameter; with a field
//! the crate reads renamed, the build fails naming the change, and still
//! fails, in the crate, when told to go on anyway.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// Codat's newest document in the repository, which the cases change.
const UPSTREAM: &str = "upstream/Codat-Platform.json";

/// What the report says of the added field (the build prints it).
const ADDED: &str = "non-breaking: field `CompanyDetails.ownerUserIds` added";

/// What the build says of the renamed field.
const RENAMED: &str = "breaking: field `Connection.status` removed";

/// Runs the cases in `dir` (the consumer crate, whose manifest names the
/// packaged crate with `dependency`).
pub fn run(root: &Path, cargo: &str, dir: &Path, manifest: &str) -> Result<(), String> {
    let upstream: Value = serde_json::from_str(
        &fs::read_to_string(root.join(UPSTREAM)).map_err(|e| format!("{UPSTREAM}: {e}"))?,
    )
    .map_err(|e| format!("{UPSTREAM}: {e}"))?;
    fs::write(dir.join("Cargo.toml"), manifest).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::copy(
        root.join("xtask/consumer/chosen.rs"),
        dir.join("src/main.rs"),
    )
    .map_err(|e| format!("xtask/consumer/chosen.rs: {e}"))?;

    let added = write(
        dir,
        "Codat-Platform-added.json",
        &with_added(upstream.clone())?,
    )?;
    let built = build(root, cargo, dir, &added, false)?;
    if !built.ok {
        return Err(format!(
            "the build from {} failed:\n{}",
            added.display(),
            built.stderr
        ));
    }
    expect(&built.stderr, ADDED, "the build's warnings")?;
    let output = Command::new(root.join("target/debug/codat-consumer"))
        .output()
        .map_err(|e| format!("cannot run the user's program: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the user's program built from {} failed:\n{}",
            added.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    print!("    {}", String::from_utf8_lossy(&output.stdout));

    let renamed = write(dir, "Codat-Platform-renamed.json", &with_renamed(upstream)?)?;
    let refused = build(root, cargo, dir, &renamed, false)?;
    if refused.ok {
        return Err(format!("the build from {} succeeded", renamed.display()));
    }
    expect(&refused.stderr, RENAMED, "the failed build")?;
    expect(
        &refused.stderr,
        "A release of codat-connections",
        "the failed build",
    )?;
    println!("    with `Connection.status` renamed: the build fails, naming the change");
    let anyway = build(root, cargo, dir, &renamed, true)?;
    if anyway.ok {
        return Err(format!(
            "the build from {} with CODAT_OPENAPI_ACCEPT_BREAKING=1 succeeded, though the crate \
             reads the renamed field",
            renamed.display()
        ));
    }
    expect(&anyway.stderr, RENAMED, "the build told to go on")?;
    expect(&anyway.stderr, "error[E0609]", "the build told to go on")?;
    println!(
        "    told to go on anyway: the crate does not compile, and the warnings name the change"
    );
    Ok(())
}

/// Codat's document with `ownerUserIds` on a company and an optional
/// `region` parameter on list-companies.
fn with_added(mut upstream: Value) -> Result<Value, String> {
    let details = upstream
        .pointer_mut("/components/schemas/Company/definitions/companyDetails/properties")
        .and_then(Value::as_object_mut)
        .ok_or(format!("{UPSTREAM}: no company details"))?;
    details.insert(
        "ownerUserIds".to_owned(),
        json!({
            "type": "array",
            "description": "The users who own the company.",
            "items": {"type": "string", "format": "uuid"}
        }),
    );
    let parameters = upstream
        .pointer_mut("/paths/~1companies/get/parameters")
        .and_then(Value::as_array_mut)
        .ok_or(format!("{UPSTREAM}: list-companies has no parameters"))?;
    parameters.push(json!({
        "name": "region",
        "in": "query",
        "required": false,
        "schema": {"type": "string"},
        "description": "Only the companies of this region."
    }));
    Ok(upstream)
}

/// Codat's document with a connection's `status` (which the crate reads)
/// renamed `connectionStatus`.
fn with_renamed(mut upstream: Value) -> Result<Value, String> {
    let connection = upstream
        .pointer_mut("/components/schemas/Connection")
        .ok_or(format!("{UPSTREAM}: no Connection"))?;
    let properties = connection["properties"]
        .as_object_mut()
        .ok_or(format!("{UPSTREAM}: Connection has no properties"))?;
    let status = properties
        .remove("status")
        .ok_or(format!("{UPSTREAM}: Connection has no status"))?;
    properties.insert("connectionStatus".to_owned(), status);
    for required in connection["required"].as_array_mut().into_iter().flatten() {
        if required == "status" {
            *required = json!("connectionStatus");
        }
    }
    Ok(upstream)
}

fn write(dir: &Path, name: &str, document: &Value) -> Result<std::path::PathBuf, String> {
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(document).map_err(|e| e.to_string())?;
    fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

/// How a build ended, and what it printed.
struct Built {
    ok: bool,
    stderr: String,
}

fn build(
    root: &Path,
    cargo: &str,
    dir: &Path,
    document: &Path,
    accept: bool,
) -> Result<Built, String> {
    let what = format!(
        "building the user's program with CODAT_OPENAPI={}{}",
        document.display(),
        if accept {
            " CODAT_OPENAPI_ACCEPT_BREAKING=1"
        } else {
            ""
        }
    );
    println!("==> {what}");
    let started = std::time::Instant::now();
    let mut command = Command::new(cargo);
    command
        .args(["build"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root.join("target"))
        .env("CODAT_OPENAPI", document)
        .env_remove("CODAT_OPENAPI_ACCEPT_BREAKING");
    if accept {
        command.env("CODAT_OPENAPI_ACCEPT_BREAKING", "1");
    }
    let output = command.output().map_err(|e| format!("{what}: {e}"))?;
    println!("    ({what}: {:.1} s)", started.elapsed().as_secs_f64());
    Ok(Built {
        ok: output.status.success(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    })
}

/// An error unless `text` (what `place` printed) contains `wanted`.
fn expect(text: &str, wanted: &str, place: &str) -> Result<(), String> {
    if text.contains(wanted) {
        Ok(())
    } else {
        Err(format!("{place} does not say `{wanted}`:\n{text}"))
    }
}
