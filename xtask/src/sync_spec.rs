//! `cargo xtask sync-spec`: writes (or, with `--check`, verifies)
//! `openapi/connections.json` from Codat's published document.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::change_report;
use crate::normalise::{normalise, sha256_hex, to_pretty_string};

/// Where the checked-in document lives, relative to the workspace root.
pub const DOCUMENT: &str = "openapi/connections.json";

/// The folder of Codat's published documents in the repository (the newest,
/// `history/`, and `source.json` saying where the newest came from),
/// relative to the workspace root.
pub const UPSTREAM_DIR: &str = "upstream";

/// Where Codat's document is looked for when no path is given, relative to
/// the workspace root.
pub const DEFAULT_UPSTREAM: &str = "upstream/Codat-Platform.json";

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
    let mut check = false;
    let mut commit = None;
    let mut paths = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--check" => check = true,
            "--commit" => match args.next() {
                Some(sha) if is_commit(sha) => commit = Some(sha.as_str()),
                _ => {
                    return Err("sync-spec: --commit takes a git commit (40 hex digits)".to_owned());
                }
            },
            unknown if unknown.starts_with("--") => {
                return Err(format!("sync-spec: unknown option `{unknown}`"));
            }
            _ => paths.push(arg),
        }
    }
    let root = workspace_root();
    let upstream_path = upstream_path(&root, &paths)?;
    let generated = render(&upstream_path, commit)?;
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
    render(path, None)
}

/// Normalises the upstream document at `path`, recording in
/// `info.x-codat-source` the codatio/oas commit it came from: `commit`
/// where given, else the one `upstream/source.json` lists for its SHA-256,
/// else none.
fn render(path: &Path, commit: Option<&str>) -> Result<String, String> {
    let bytes = fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let upstream: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    let sha256 = sha256_hex(&bytes);
    let mut doc = normalise(&upstream, &sha256)
        .map_err(|e| format!("cannot normalise {}: {e}", path.display()))?;
    let commit = match commit {
        Some(commit) => Some(commit.to_owned()),
        None => listed_commit(&workspace_root().join(SOURCES), &sha256)?,
    };
    if let Some(commit) = commit {
        doc["info"]["x-codat-source"]["commit"] = Value::String(commit);
    }
    Ok(to_pretty_string(&doc))
}

/// Where the commits of Codat's documents are listed, by SHA-256.
const SOURCES: &str = "upstream/source.json";

/// The commit `sources` (a `source.json`) lists for the document whose
/// bytes hash to `sha256`; `None` when it lists none or there is no such
/// file.
fn listed_commit(sources: &Path, sha256: &str) -> Result<Option<String>, String> {
    let text = match fs::read_to_string(sources) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", sources.display())),
    };
    let bad = |why: &str| format!("{}: {why}", sources.display());
    let listed: Value = serde_json::from_str(&text).map_err(|e| bad(&e.to_string()))?;
    let documents = listed["documents"]
        .as_array()
        .ok_or_else(|| bad("`documents` is not a list"))?;
    for document in documents {
        if document["sha256"] != sha256 {
            continue;
        }
        return match document["commit"].as_str() {
            Some(commit) if is_commit(commit) => Ok(Some(commit.to_owned())),
            _ => Err(bad(&format!(
                "the document {sha256} has no 40-digit commit"
            ))),
        };
    }
    Ok(None)
}

/// Whether `text` is a full git commit: 40 hex digits.
fn is_commit(text: &str) -> bool {
    text.len() == 40 && text.bytes().all(|b| b.is_ascii_hexdigit())
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
    fn the_commit_of_a_listed_document_is_recorded_and_others_get_none() {
        let newest = workspace_root().join(DEFAULT_UPSTREAM);
        let rendered: Value = serde_json::from_str(&render_from_file(&newest).unwrap()).unwrap();
        let source = &rendered["info"]["x-codat-source"];
        assert_eq!(source["commit"], "1d1fab12d2d20a2b5e5f09a9d18401face690e90");
        let older = workspace_root().join("upstream/history/2026-04-15_2255d88.json");
        let rendered: Value = serde_json::from_str(&render_from_file(&older).unwrap()).unwrap();
        assert!(rendered["info"]["x-codat-source"].get("commit").is_none());
        let given = "2255d88000000000000000000000000000000000";
        let rendered: Value = serde_json::from_str(&render(&older, Some(given)).unwrap()).unwrap();
        assert_eq!(rendered["info"]["x-codat-source"]["commit"], given);
    }

    #[test]
    fn a_sources_file_that_is_wrong_is_an_error_naming_it() {
        let dir = workspace_root().join("target/tmp/sources");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("source.json");
        std::fs::write(
            &path,
            r#"{"documents": [{"sha256": "ab", "commit": "short"}]}"#,
        )
        .unwrap();
        let err = listed_commit(&path, "ab").unwrap_err();
        assert!(
            err.contains("source.json") && err.contains("40-digit"),
            "{err}"
        );
        assert_eq!(listed_commit(&path, "cd").unwrap(), None);
        assert_eq!(listed_commit(&dir.join("none.json"), "ab").unwrap(), None);
        let err = run(&["--commit".to_owned(), "xyz".to_owned()]).unwrap_err();
        assert!(err.contains("--commit takes a git commit"), "{err}");
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
