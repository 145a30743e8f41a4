//! `cargo xtask sync-spec`: writes (or, with `--check`, verifies)
//! `openapi/connections.json` from Codat's published document.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::change_report;
use crate::normalise::{normalise, sha256_hex, to_pretty_string};

/// Where the checked-in document lives, relative to the workspace root.
pub const DOCUMENT: &str = "openapi/connections.json";

/// Where Codat's document is looked for when no path is given, relative to
/// the workspace root.
pub const DEFAULT_UPSTREAM: &str = "../shared/upstream/Codat-Platform.json";

const HOW_TO_GET_UPSTREAM: &str = "Download Codat's Platform API document \
(json/Codat-Platform.json in the public repository codatio/oas) and pass its path: \
`cargo xtask sync-spec path/to/Codat-Platform.json`.";

/// The workspace root (the directory holding the library's Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn run(args: &[String]) -> Result<(), String> {
    let check = args.iter().any(|a| a == "--check");
    let paths: Vec<&String> = args.iter().filter(|a| !a.starts_with("--")).collect();
    if let Some(unknown) = args.iter().find(|a| a.starts_with("--") && *a != "--check") {
        return Err(format!("sync-spec: unknown option `{unknown}`"));
    }
    let root = workspace_root();
    let upstream_path = upstream_path(&root, &paths)?;
    let generated = render_from_file(&upstream_path)?;
    let target = root.join(DOCUMENT);
    let existing = fs::read_to_string(&target).ok();

    if existing.as_deref() == Some(generated.as_str()) {
        println!("{DOCUMENT} is up to date with {}", upstream_path.display());
        return Ok(());
    }
    let report = match &existing {
        Some(text) => report_lines(text, &generated)?,
        None => vec![format!("{DOCUMENT} does not exist yet")],
    };
    if check {
        let mut message = format!(
            "sync-spec --check: {DOCUMENT} is not what `cargo xtask sync-spec {}` produces.\n",
            upstream_path.display()
        );
        for line in report {
            message.push_str(&format!("  {line}\n"));
        }
        if let Some(text) = &existing {
            for place in differing_places(text, &generated) {
                message.push_str(&format!("  differs at {place}\n"));
            }
        }
        message.push_str("Run `cargo xtask sync-spec` and commit the result.");
        return Err(message);
    }
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(&target, &generated)
        .map_err(|e| format!("cannot write {}: {e}", target.display()))?;
    println!("wrote {DOCUMENT} from {}", upstream_path.display());
    for line in report {
        println!("  {line}");
    }
    Ok(())
}

/// The upstream document to read: the one given, or the default beside the
/// workspace; without either, an error that says how to pass one.
fn upstream_path(root: &Path, paths: &[&String]) -> Result<PathBuf, String> {
    match paths {
        [] => {
            let default = root.join(DEFAULT_UPSTREAM);
            if default.exists() {
                Ok(default)
            } else {
                Err(format!(
                    "sync-spec: no upstream document given, and none at {}.\n{HOW_TO_GET_UPSTREAM}",
                    default.display()
                ))
            }
        }
        [path] => Ok(PathBuf::from(path)),
        _ => Err("sync-spec: give at most one upstream document".to_owned()),
    }
}

/// `cargo xtask spec-diff OLD NEW`: normalises both of Codat's documents and
/// prints the change report.
pub fn run_diff(args: &[String]) -> Result<(), String> {
    let [old, new] = args else {
        return Err("spec-diff: give two upstream documents, OLD and NEW".to_owned());
    };
    let old = render_from_file(Path::new(old))?;
    let new = render_from_file(Path::new(new))?;
    let lines = report_lines(&old, &new)?;
    for line in &lines {
        println!("{line}");
    }
    Ok(())
}

/// Normalises the upstream document at `path` into the text we check in.
pub fn render_from_file(path: &Path) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let upstream: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let doc = normalise(&upstream, &sha256_hex(&bytes))
        .map_err(|e| format!("cannot normalise {}: {e}", path.display()))?;
    Ok(to_pretty_string(&doc))
}

/// The change report between two rendered documents, one line per change.
pub fn report_lines(old: &str, new: &str) -> Result<Vec<String>, String> {
    let old: Value = serde_json::from_str(old).map_err(|e| format!("{DOCUMENT}: {e}"))?;
    let new: Value = serde_json::from_str(new).map_err(|e| e.to_string())?;
    let changes = change_report::compare(&old, &new);
    if changes.is_empty() {
        return Ok(vec!["no change that affects users".to_owned()]);
    }
    Ok(changes.iter().map(ToString::to_string).collect())
}

/// JSON pointers (at most 20) where two rendered documents differ.
fn differing_places(old: &str, new: &str) -> Vec<String> {
    let (Ok(old), Ok(new)) = (
        serde_json::from_str::<Value>(old),
        serde_json::from_str::<Value>(new),
    ) else {
        return vec!["(the checked-in document is not valid JSON)".to_owned()];
    };
    let mut out = Vec::new();
    diff_values("", &old, &new, &mut out);
    if out.is_empty() {
        out.push("(formatting only)".to_owned());
    }
    out.truncate(20);
    out
}

fn diff_values(at: &str, old: &Value, new: &Value, out: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let place = format!("{at}/{}", crate::json_pointer::escape(key));
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => diff_values(&place, x, y, out),
                    _ => out.push(place),
                }
            }
        }
        _ if old != new => out.push(if at.is_empty() {
            "/".to_owned()
        } else {
            at.to_owned()
        }),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_an_upstream_document_it_says_how_to_pass_one() {
        let nowhere = workspace_root().join("target/tmp/no-upstream/main");
        let err = upstream_path(&nowhere, &[]).unwrap_err();
        assert!(err.contains("no upstream document given"), "{err}");
        assert!(
            err.contains("cargo xtask sync-spec path/to/Codat-Platform.json"),
            "{err}"
        );
        assert!(err.contains("codatio/oas"), "{err}");
    }

    #[test]
    fn a_given_document_that_cannot_be_read_is_an_error() {
        let err = run(&[
            "--check".to_owned(),
            "/nonexistent/Codat-Platform.json".to_owned(),
        ])
        .unwrap_err();
        assert!(
            err.contains("cannot read /nonexistent/Codat-Platform.json"),
            "{err}"
        );
    }

    #[test]
    fn check_names_what_differs() {
        let old = std::fs::read_to_string(workspace_root().join(DOCUMENT)).unwrap();
        let mut changed: Value = serde_json::from_str(&old).unwrap();
        changed["components"]["schemas"]["Connection"]["required"]
            .as_array_mut()
            .unwrap()
            .retain(|f| f != "linkUrl");
        let places = differing_places(&old, &crate::normalise::to_pretty_string(&changed));
        assert_eq!(places, ["/components/schemas/Connection/required"]);
        let report = report_lines(&old, &crate::normalise::to_pretty_string(&changed)).unwrap();
        assert_eq!(
            report,
            ["breaking: `Connection.linkUrl` is no longer required"]
        );
    }
}
