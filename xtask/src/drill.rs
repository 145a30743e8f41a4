//! `cargo xtask spec-drill`: makes changes Codat could make to
//! `openapi/connections.json`, one at a time, in a scratch copy of the
//! workspace, and says for each whether the build or the tests notice, or
//! the SDK follows it.
//!
//! A breaking change must be caught (the build or a test fails) or
//! followed: the change report (what `sync-spec` prints) marks it breaking,
//! so our users hear of it, and the SDK regenerated from the changed document
//! passes the tests, which read each operation's method, path and statuses
//! from the document and check what crosses the wire, so the SDK sends what
//! the document now asks for. A breaking change that nothing catches and the
//! report does not flag is a gap: the SDK would send requests Codat no longer
//! answers, or decode what Codat no longer sends, and nobody would be told. A
//! non-breaking change that fails the build or the tests is a gap of the
//! other kind: Codat adding something would break our users.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Map, Value};

use crate::change_report::compare;
use crate::json_pointer::escape;
use crate::normalise::to_pretty_string;
use crate::sync_spec::{workspace_root, DOCUMENT};

/// One change to the document, made by `apply`.
pub struct Change {
    /// What changed, as the drill prints it; `--only` matches against it.
    pub description: &'static str,
    /// Whether code written against the unchanged document can break.
    pub breaking: bool,
    pub apply: fn(&mut Value) -> Result<(), String>,
}

/// Every change the drill makes, breaking ones first.
pub const CHANGES: [Change; 12] = [
    Change {
        description: "path /companies/{companyId}/connections renamed to \
                      /companies/{companyId}/data-connections",
        breaking: true,
        apply: rename_connections_path,
    },
    Change {
        description: "query parameter pageSize renamed to size",
        breaking: true,
        apply: rename_page_size,
    },
    Change {
        description: "required query parameter region added to list-connections",
        breaking: true,
        apply: |doc| add_region_parameter(doc, true),
    },
    Change {
        description: "operation unlink-connection removed",
        breaking: true,
        apply: remove_unlink,
    },
    Change {
        description: "unlink-connection method changed from PATCH to POST",
        breaking: true,
        apply: unlink_with_post,
    },
    Change {
        description: "response field Connection.linkUrl renamed to linkURL",
        breaking: true,
        apply: rename_link_url,
    },
    Change {
        description: "required response field Connection.platformName removed",
        breaking: true,
        apply: remove_platform_name,
    },
    Change {
        description: "Connection.platformName type changed from string to integer",
        breaking: true,
        apply: platform_name_becomes_integer,
    },
    Change {
        description: "optional query parameter region added to list-connections",
        breaking: false,
        apply: |doc| add_region_parameter(doc, false),
    },
    Change {
        description: "enum value Payroll added to SourceType",
        breaking: false,
        apply: add_source_type,
    },
    Change {
        description: "optional response field Connection.region added",
        breaking: false,
        apply: add_optional_connection_field,
    },
    Change {
        description: "operation get-connection-history added \
                      (GET /companies/{companyId}/connections/{connectionId}/history)",
        breaking: false,
        apply: add_history_operation,
    },
];

const CONNECTIONS: &str = "/companies/{companyId}/connections";
const CONNECTION: &str = "/companies/{companyId}/connections/{connectionId}";

// ---------------------------------------------------------------------------
// The changes
// ---------------------------------------------------------------------------

fn rename_connections_path(doc: &mut Value) -> Result<(), String> {
    let paths = object_at(doc, "/paths")?;
    let item = paths
        .remove(CONNECTIONS)
        .ok_or(format!("no path {CONNECTIONS}"))?;
    paths.insert("/companies/{companyId}/data-connections".to_owned(), item);
    Ok(())
}

fn rename_page_size(doc: &mut Value) -> Result<(), String> {
    let parameter = object_at(doc, "/components/parameters/pageSize")?;
    parameter.insert("name".to_owned(), json!("size"));
    Ok(())
}

fn add_region_parameter(doc: &mut Value, required: bool) -> Result<(), String> {
    list_parameters(doc)?.push(json!({
        "name": "region", "in": "query", "required": required, "schema": {"type": "string"}
    }));
    Ok(())
}

fn remove_unlink(doc: &mut Value) -> Result<(), String> {
    connection_item(doc)?
        .remove("patch")
        .map(drop)
        .ok_or(format!("no PATCH {CONNECTION}"))
}

fn unlink_with_post(doc: &mut Value) -> Result<(), String> {
    let item = connection_item(doc)?;
    let unlink = item
        .remove("patch")
        .ok_or(format!("no PATCH {CONNECTION}"))?;
    item.insert("post".to_owned(), unlink);
    Ok(())
}

fn rename_link_url(doc: &mut Value) -> Result<(), String> {
    rename_field(doc, "Connection", "linkUrl", "linkURL")
}

fn remove_platform_name(doc: &mut Value) -> Result<(), String> {
    let connection = object_at(doc, "/components/schemas/Connection")?;
    remove_required(connection, "platformName");
    object_in(connection, "properties")?
        .remove("platformName")
        .map(drop)
        .ok_or("no Connection.platformName".to_owned())
}

fn platform_name_becomes_integer(doc: &mut Value) -> Result<(), String> {
    let field = object_at(
        doc,
        "/components/schemas/Connection/properties/platformName",
    )?;
    field.insert("type".to_owned(), json!("integer"));
    field.remove("format");
    Ok(())
}

/// Every enum of our document is replaced by a hand-written open enum; this
/// one is decoded from every connection (`sourceType`).
fn add_source_type(doc: &mut Value) -> Result<(), String> {
    doc.pointer_mut("/components/schemas/SourceType/enum")
        .and_then(Value::as_array_mut)
        .ok_or("no SourceType enum")?
        .push(json!("Payroll"));
    Ok(())
}

fn add_optional_connection_field(doc: &mut Value) -> Result<(), String> {
    let connection = object_at(doc, "/components/schemas/Connection")?;
    object_in(connection, "properties")?.insert(
        "region".to_owned(),
        json!({"type": "string", "description": "Where the connection's data is held."}),
    );
    Ok(())
}

fn add_history_operation(doc: &mut Value) -> Result<(), String> {
    let mut history = connection_item(doc)?
        .get("get")
        .cloned()
        .ok_or(format!("no GET {CONNECTION}"))?;
    history["operationId"] = json!("get-connection-history");
    history["summary"] = json!("Get connection history");
    object_at(doc, "/paths")?.insert(format!("{CONNECTION}/history"), json!({ "get": history }));
    Ok(())
}

fn rename_field(doc: &mut Value, schema: &str, from: &str, to: &str) -> Result<(), String> {
    let schema = object_at(doc, &format!("/components/schemas/{schema}"))?;
    let properties = object_in(schema, "properties")?;
    let field = properties.remove(from).ok_or(format!("no field {from}"))?;
    properties.insert(to.to_owned(), field);
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        for name in required.iter_mut().filter(|n| *n == from) {
            *name = json!(to);
        }
    }
    Ok(())
}

fn remove_required(schema: &mut Map<String, Value>, field: &str) {
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| name != field);
    }
}

fn list_parameters(doc: &mut Value) -> Result<&mut Vec<Value>, String> {
    doc.pointer_mut(&format!("/paths/{}/get/parameters", escape(CONNECTIONS)))
        .and_then(Value::as_array_mut)
        .ok_or("list-connections has no parameters".to_owned())
}

fn connection_item(doc: &mut Value) -> Result<&mut Map<String, Value>, String> {
    object_at(doc, &format!("/paths/{}", escape(CONNECTION)))
}

fn object_at<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Map<String, Value>, String> {
    doc.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .ok_or(format!("no object at {pointer}"))
}

fn object_in<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    map.get_mut(key)
        .and_then(Value::as_object_mut)
        .ok_or(format!("no object `{key}`"))
}

// ---------------------------------------------------------------------------
// Running the drill
// ---------------------------------------------------------------------------

/// What the build and the tests made of one change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Something failed; says what (a compile error's place, a test's name).
    Caught(String),
    /// Everything built and every test passed.
    Passes,
}

/// One change and what came of it.
pub struct Verdict<'a> {
    pub change: &'a Change,
    /// Whether the change report, run on the document before and after the
    /// change, marks something breaking: what tells our users.
    pub reported: bool,
    pub outcome: Outcome,
}

fn class(breaking: bool) -> &'static str {
    if breaking {
        "breaking"
    } else {
        "non-breaking"
    }
}

impl Verdict<'_> {
    /// The line the drill prints: `caught: <change> (<class>): <how>`,
    /// `followed: <change> (breaking): <why that is enough>` or
    /// `passes: <change> (<class>)`.
    pub fn line(&self) -> String {
        let (change, class) = (self.change.description, class(self.change.breaking));
        match &self.outcome {
            Outcome::Caught(how) => format!("caught: {change} ({class}): {how}"),
            Outcome::Passes if self.change.breaking && self.reported => format!(
                "followed: {change} ({class}): the change report marks it breaking; \
                 the SDK follows it, the tests pass"
            ),
            Outcome::Passes => format!("passes: {change} ({class})"),
        }
    }

    /// A breaking change must be caught or followed (reported as breaking,
    /// with every test passing); a non-breaking one must pass.
    pub fn as_it_should_be(&self) -> bool {
        match self.outcome {
            Outcome::Caught(_) => self.change.breaking,
            Outcome::Passes => !self.change.breaking || self.reported,
        }
    }
}

const USAGE: &str = "usage: cargo xtask spec-drill [--only TEXT]... [--list]";

/// `cargo xtask spec-drill [--only TEXT]... [--list]`.
pub fn run(args: &[String]) -> Result<(), String> {
    let mut only = Vec::new();
    let mut list = false;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--only" => only.push(
                rest.next()
                    .ok_or(format!("spec-drill: --only needs a text\n{USAGE}"))?
                    .clone(),
            ),
            "--list" => list = true,
            other => return Err(format!("spec-drill: unexpected `{other}`\n{USAGE}")),
        }
    }
    let selected = select(&only);
    if selected.is_empty() {
        return Err(format!(
            "spec-drill: no change matches {only:?}; run `cargo xtask spec-drill --list`"
        ));
    }
    if list {
        for change in selected {
            println!("{}: {}", class(change.breaking), change.description);
        }
        return Ok(());
    }

    let root = workspace_root();
    let scratch = Scratch::new(&root);
    mirror_tracked_files(&root, &scratch.work)?;
    let document = scratch.work.join(DOCUMENT);
    let original_text = fs::read_to_string(&document)
        .map_err(|e| format!("cannot read {}: {e}", document.display()))?;
    let original: Value =
        serde_json::from_str(&original_text).map_err(|e| format!("{}: {e}", document.display()))?;
    let tests = test_binaries(&scratch.work)?;

    let mut verdicts = Vec::new();
    let mut failure = None;
    for change in selected {
        let mut doc = original.clone();
        if let Err(e) = (change.apply)(&mut doc) {
            failure = Some(format!(
                "spec-drill: cannot make the change `{}`: {e}",
                change.description
            ));
            break;
        }
        eprintln!(
            "spec-drill: building and testing with {}",
            change.description
        );
        if let Err(e) = fs::write(&document, to_pretty_string(&doc)) {
            failure = Some(format!("cannot write {}: {e}", document.display()));
            break;
        }
        let reported = compare(&original, &doc).iter().any(|c| c.breaking);
        match scratch.exercise(&tests) {
            Ok(outcome) => {
                let verdict = Verdict {
                    change,
                    reported,
                    outcome,
                };
                println!("{}", verdict.line());
                verdicts.push(verdict);
            }
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    fs::write(&document, &original_text)
        .map_err(|e| format!("cannot restore {}: {e}", document.display()))?;
    match failure {
        Some(e) => Err(e),
        None => decide(&verdicts),
    }
}

/// The changes whose description contains one of `only` (ignoring case), or
/// every change when `only` is empty.
pub fn select(only: &[String]) -> Vec<&'static Change> {
    CHANGES
        .iter()
        .filter(|change| {
            let description = change.description.to_lowercase();
            only.is_empty()
                || only
                    .iter()
                    .any(|text| description.contains(&text.to_lowercase()))
        })
        .collect()
}

/// Succeeds when every breaking change was caught or followed and every
/// non-breaking one passed; otherwise says which were not.
pub fn decide(verdicts: &[Verdict]) -> Result<(), String> {
    let wrong: Vec<&Verdict> = verdicts.iter().filter(|v| !v.as_it_should_be()).collect();
    if wrong.is_empty() {
        return Ok(());
    }
    let mut message = String::from(
        "spec-drill: neither the build and tests nor the change report say what changed:",
    );
    for verdict in wrong {
        let what = if verdict.change.breaking {
            "breaking, but nothing failed and the change report does not mark it breaking"
        } else {
            "not breaking, but something failed"
        };
        message.push_str(&format!("\n  {}: {what}", verdict.change.description));
    }
    Err(message)
}

/// Where the drill works: a copy of the workspace's tracked files, and one
/// target directory shared by every change so each rebuild is incremental.
struct Scratch {
    work: PathBuf,
    target: PathBuf,
    cargo: String,
    upstream: Option<PathBuf>,
}

impl Scratch {
    fn new(root: &Path) -> Scratch {
        let drill = root.join("target/spec-drill");
        let upstream = std::env::var_os("CODAT_UPSTREAM_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(root.join("../shared/upstream")).filter(|d| d.is_dir()));
        Scratch {
            work: drill.join("work"),
            target: drill.join("target"),
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
            // Nothing here is debugged: leave out debug info, link faster.
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .env_remove("RELIABILITY_OUT");
        if let Some(upstream) = &self.upstream {
            command.env("CODAT_UPSTREAM_DIR", upstream);
        }
        command
    }

    /// Checks every target of the changed copy, and runs the tests when
    /// it compiles.
    fn exercise(&self, tests: &[String]) -> Result<Outcome, String> {
        let check = output(self.cargo(&[
            "check",
            "--workspace",
            "--exclude",
            "xtask",
            "--all-targets",
            "--all-features",
            "--message-format=json",
        ]))?;
        if !check.status.success() {
            let how = first_compile_error(&String::from_utf8_lossy(&check.stdout))
                .or_else(|| build_failure(&String::from_utf8_lossy(&check.stderr)))
                .unwrap_or_else(|| "cargo check failed".to_owned());
            return Ok(Outcome::Caught(format!("does not compile: {how}")));
        }
        let mut args = vec![
            "test",
            "--package",
            "codat-connections",
            "--all-features",
            "--no-fail-fast",
            "--lib",
        ];
        for test in tests {
            args.extend(["--test", test.as_str()]);
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

/// The integration tests to run: every `tests/*.rs` but `contract_prism`,
/// which needs Prism (Node.js) and fails without it.
fn test_binaries(work: &Path) -> Result<Vec<String>, String> {
    let dir = work.join("tests");
    let entries = fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".rs"))
                .map(str::to_owned)
        })
        .filter(|name| name != "contract_prism")
        .collect();
    names.sort();
    Ok(names)
}

/// Makes `work` hold exactly the files git tracks in `root`, as they are in
/// the working tree. Files already the same are not touched, so cargo sees
/// them unchanged and rebuilds only what the changed document affects.
fn mirror_tracked_files(root: &Path, work: &Path) -> Result<(), String> {
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
        let Ok(bytes) = fs::read(root.join(relative)) else {
            continue;
        };
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

/// `file:line: message` of the first error in cargo's JSON messages, at the
/// place in the workspace it concerns.
pub fn first_compile_error(json_lines: &str) -> Option<String> {
    let errors = json_lines
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-message" && m["message"]["level"] == "error")
        .map(|m| m["message"].clone());
    for message in errors {
        let text = message["message"].as_str().unwrap_or("error");
        let spans = message["spans"].as_array().cloned().unwrap_or_default();
        if let Some(span) = spans.iter().find(|s| s["is_primary"] == true) {
            return Some(format!("{}: {text}", workspace_place(span)));
        }
    }
    None
}

/// `file:line` of a span; for an error inside a macro of the standard library
/// (an absolute path), the place in the workspace that called the macro.
fn workspace_place(span: &Value) -> String {
    let file = span["file_name"].as_str().unwrap_or("?");
    let call_site = &span["expansion"]["span"];
    if Path::new(file).is_absolute() && call_site.is_object() {
        return workspace_place(call_site);
    }
    format!("{file}:{}", span["line_start"].as_u64().unwrap_or(0))
}

/// What went wrong when cargo failed before the compiler said anything (the
/// build script rejecting the document, typically).
pub fn build_failure(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().map(str::trim).collect();
    if let Some(at) = lines.iter().position(|l| l.contains("panicked at")) {
        let reason = lines.get(at + 1).copied().unwrap_or_default();
        return Some(format!("build.rs: {reason}"));
    }
    lines
        .iter()
        .find(|l| l.starts_with("error"))
        .map(|l| (*l).to_owned())
}

/// Which tests failed, from `cargo test --no-fail-fast`'s output:
/// `tests/<binary>.rs: <test> failed (and N more)` for each binary with a
/// failure, joined by `; `.
pub fn test_failure(stdout: &str, stderr: &str) -> String {
    // cargo announces each binary on stderr ("Running tests/mock.rs (...)")
    // and the binary then prints "running N tests" on stdout: the n-th
    // announcement is the n-th block of stdout.
    let binaries: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Running "))
        .map(|rest| {
            let source = rest.split(" (").next().unwrap_or(rest);
            match source.strip_prefix("unittests ") {
                Some(_) => "src/ unit tests".to_owned(),
                None => source.to_owned(),
            }
        })
        .collect();
    let mut failed: Vec<Vec<&str>> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with("running ") {
            failed.push(Vec::new());
        } else if let Some(test) = line
            .strip_prefix("test ")
            .and_then(|l| l.strip_suffix(" ... FAILED"))
        {
            if let Some(block) = failed.last_mut() {
                block.push(test);
            }
        }
    }
    let parts: Vec<String> = failed
        .iter()
        .enumerate()
        .filter_map(|(i, tests)| {
            let binary = binaries.get(i).map_or("tests", String::as_str);
            match tests.as_slice() {
                [] => None,
                [only] => Some(format!("{binary}: {only} failed")),
                [first, rest @ ..] => Some(format!(
                    "{binary}: {first} failed (and {} more)",
                    rest.len()
                )),
            }
        })
        .collect();
    const SHOWN: usize = 3;
    if parts.len() > SHOWN {
        let more = parts.len() - SHOWN;
        return format!(
            "{}; and {more} more test binar{}",
            parts[..SHOWN].join("; "),
            if more == 1 { "y" } else { "ies" }
        );
    }
    if parts.is_empty() {
        return build_failure(stderr)
            .map(|e| format!("the tests do not build: {e}"))
            .unwrap_or_else(|| "cargo test failed".to_owned());
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked_in() -> Value {
        let text = fs::read_to_string(workspace_root().join(DOCUMENT)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn changed(change: &Change) -> Value {
        let mut doc = checked_in();
        (change.apply)(&mut doc).unwrap_or_else(|e| panic!("{}: {e}", change.description));
        doc
    }

    #[test]
    fn the_change_report_classifies_every_change_as_the_drill_does() {
        let original = checked_in();
        for change in &CHANGES {
            let report = compare(&original, &changed(change));
            assert!(!report.is_empty(), "{}: no change", change.description);
            let breaking = report.iter().any(|c| c.breaking);
            assert_eq!(
                breaking, change.breaking,
                "{}: {report:?}",
                change.description
            );
        }
    }

    #[test]
    fn each_change_reports_what_it_says() {
        let report = |text: &str| -> Vec<String> {
            let change = select(&[text.to_owned()]);
            assert_eq!(change.len(), 1, "{text}");
            compare(&checked_in(), &changed(change[0]))
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            report("method"),
            ["breaking: `unlink-connection` method changed from PATCH to POST"]
        );
        assert_eq!(
            report("unlink-connection removed"),
            ["breaking: operation `unlink-connection` removed"]
        );
        assert_eq!(
            report("path /companies"),
            [
                "breaking: `create-connection` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
                "breaking: `list-connections` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
            ]
        );
        assert_eq!(
            report("pageSize"),
            [
                "breaking: parameter `list-connections parameter pageSize` removed",
                "non-breaking: parameter `list-connections parameter size` added",
            ]
        );
        assert_eq!(
            report("required query"),
            ["breaking: parameter `list-connections parameter region` added"]
        );
        assert_eq!(
            report("optional query"),
            ["non-breaking: parameter `list-connections parameter region` added"]
        );
        assert_eq!(
            report("type changed"),
            ["breaking: `Connection.platformName` type changed from string to integer"]
        );
        assert_eq!(
            report("history"),
            ["non-breaking: operation `get-connection-history` added \
                 (GET /companies/{companyId}/connections/{connectionId}/history)"]
        );
        assert_eq!(
            report("Payroll"),
            ["non-breaking: `SourceType` enum value `Payroll` added"]
        );
    }

    #[test]
    fn changes_refuse_a_document_without_what_they_change() {
        for change in &CHANGES {
            let mut empty = json!({"paths": {}, "components": {"schemas": {}}});
            assert!(
                (change.apply)(&mut empty).is_err(),
                "{} changed an empty document",
                change.description
            );
        }
    }

    #[test]
    fn only_selects_by_description_ignoring_case() {
        assert_eq!(select(&[]).len(), CHANGES.len());
        let page_size = select(&["PAGESIZE".to_owned()]);
        assert_eq!(page_size.len(), 1);
        assert_eq!(
            page_size[0].description,
            "query parameter pageSize renamed to size"
        );
        assert_eq!(select(&["region".to_owned()]).len(), 3);
        assert!(select(&["nothing like this".to_owned()]).is_empty());
    }

    fn verdict(breaking: bool, reported: bool, outcome: Outcome) -> Verdict<'static> {
        let change = CHANGES.iter().find(|c| c.breaking == breaking).unwrap();
        Verdict {
            change,
            reported,
            outcome,
        }
    }

    fn caught() -> Outcome {
        Outcome::Caught("tests/x.rs: t failed".to_owned())
    }

    #[test]
    fn lines_say_caught_followed_or_passes() {
        let how = "does not compile: src/connections.rs:40: no field";
        let path = "path /companies/{companyId}/connections renamed to \
                    /companies/{companyId}/data-connections (breaking)";
        let caught = verdict(true, true, Outcome::Caught(how.to_owned()));
        assert_eq!(caught.line(), format!("caught: {path}: {how}"));
        let followed = verdict(true, true, Outcome::Passes);
        assert_eq!(
            followed.line(),
            format!(
                "followed: {path}: the change report marks it breaking; \
                 the SDK follows it, the tests pass"
            )
        );
        // Unreported, a breaking change that passes is not followed: it passes unseen.
        assert_eq!(
            verdict(true, false, Outcome::Passes).line(),
            format!("passes: {path}")
        );
        let passes = verdict(false, false, Outcome::Passes);
        assert_eq!(
            passes.line(),
            "passes: optional query parameter region added to list-connections (non-breaking)"
        );
    }

    #[test]
    fn breaking_must_be_caught_or_reported_and_followed_and_non_breaking_must_pass() {
        // (breaking, reported, outcome, as it should be)
        for (breaking, reported, outcome, fine) in [
            (true, true, caught(), true),
            (true, false, caught(), true),
            (true, true, Outcome::Passes, true),
            (true, false, Outcome::Passes, false),
            (false, false, Outcome::Passes, true),
            (false, true, Outcome::Passes, true),
            (false, false, caught(), false),
            (false, true, caught(), false),
        ] {
            let verdict = verdict(breaking, reported, outcome);
            assert_eq!(verdict.as_it_should_be(), fine, "{}", verdict.line());
            let decided = decide(std::slice::from_ref(&verdict));
            assert_eq!(decided.is_ok(), fine, "{decided:?}");
        }
        assert!(decide(&[]).is_ok());
    }

    #[test]
    fn decide_names_each_wrong_verdict_and_why() {
        let followed = verdict(true, true, Outcome::Passes);
        let missed = verdict(true, false, Outcome::Passes);
        let broke = verdict(false, false, caught());
        let message = decide(&[followed, missed, broke]).unwrap_err();
        let why: Vec<&str> = message.lines().skip(1).collect();
        assert_eq!(
            why,
            [
                format!(
                    "  {}: breaking, but nothing failed and the change report does not mark \
                     it breaking",
                    CHANGES[0].description
                ),
                format!(
                    "  {}: not breaking, but something failed",
                    CHANGES.iter().find(|c| !c.breaking).unwrap().description
                ),
            ]
        );
    }

    #[test]
    fn first_compile_error_names_file_and_line() {
        let messages = [
            r#"{"reason":"compiler-artifact","target":{}}"#,
            r#"{"reason":"compiler-message","message":{"level":"warning","message":"unused","spans":[{"file_name":"src/a.rs","line_start":1,"is_primary":true}]}}"#,
            r#"{"reason":"compiler-message","message":{"level":"error","message":"no method named `unlink_connection`","spans":[{"file_name":"src/x.rs","line_start":3,"is_primary":false},{"file_name":"src/connections.rs","line_start":88,"is_primary":true}]}}"#,
            r#"{"reason":"compiler-message","message":{"level":"error","message":"aborting","spans":[]}}"#,
        ]
        .join("\n");
        assert_eq!(
            first_compile_error(&messages).as_deref(),
            Some("src/connections.rs:88: no method named `unlink_connection`")
        );
        assert_eq!(first_compile_error("not json\n"), None);
    }

    #[test]
    fn an_error_inside_a_std_macro_is_placed_where_the_macro_is_called() {
        let message = r#"{"reason":"compiler-message","message":{"level":"error","message":"mismatched types","spans":[{"file_name":"/rustc/abc/library/alloc/src/macros.rs","line_start":114,"is_primary":true,"expansion":{"macro_decl_name":"format!","span":{"file_name":"src/mock/server.rs","line_start":72,"is_primary":false}}}]}}"#;
        assert_eq!(
            first_compile_error(message).as_deref(),
            Some("src/mock/server.rs:72: mismatched types")
        );
    }

    #[test]
    fn a_build_script_panic_is_named() {
        let stderr = "error: failed to run custom build command for `codat-connections`\n\
            --- stderr\n\
            thread 'main' panicked at build.rs:92:10:\n\
            progenitor rejected openapi/connections.json: bad\n";
        assert_eq!(
            build_failure(stderr).as_deref(),
            Some("build.rs: progenitor rejected openapi/connections.json: bad")
        );
    }

    #[test]
    fn test_failures_name_each_binary_and_its_tests() {
        let stderr = "    Finished `test` profile\n\
            \x20    Running unittests src/lib.rs (target/debug/deps/codat_connections-1)\n\
            \x20    Running tests/mock.rs (target/debug/deps/mock-2)\n\
            \x20    Running tests/operations.rs (target/debug/deps/operations-3)\n\
            error: 2 targets failed:\n";
        let stdout = "\nrunning 2 tests\n\
            test mock::contract::tests::each_violation_is_named ... FAILED\n\
            test status::tests::parses ... ok\n\
            test result: FAILED. 1 passed; 1 failed\n\
            \nrunning 1 test\n\
            test seeds ... ok\n\
            \nrunning 3 tests\n\
            test lists_pages ... ok\n\
            test list_sends_page_size ... FAILED\n\
            test list_sends_status ... FAILED\n";
        assert_eq!(
            test_failure(stdout, stderr),
            "src/ unit tests: mock::contract::tests::each_violation_is_named failed; \
             tests/operations.rs: list_sends_page_size failed (and 1 more)"
        );
    }

    #[test]
    fn at_most_three_failing_binaries_are_named() {
        let names = ["a", "b", "c", "d", "e"];
        let stderr: String = names
            .iter()
            .map(|n| format!("     Running tests/{n}.rs (target/debug/deps/{n}-1)\n"))
            .collect();
        let stdout: String = names
            .iter()
            .map(|n| format!("running 1 test\ntest {n}_works ... FAILED\n"))
            .collect();
        assert_eq!(
            test_failure(&stdout, &stderr),
            "tests/a.rs: a_works failed; tests/b.rs: b_works failed; tests/c.rs: c_works failed; \
             and 2 more test binaries"
        );
    }

    #[test]
    fn tests_that_do_not_build_say_so() {
        let stderr = "error: could not compile `codat-connections` (test \"mock\")\n";
        assert_eq!(
            test_failure("", stderr),
            "the tests do not build: error: could not compile `codat-connections` (test \"mock\")"
        );
    }

    #[test]
    fn the_prism_contract_test_is_left_out() {
        let tests = test_binaries(&workspace_root()).unwrap();
        assert!(!tests.contains(&"contract_prism".to_owned()));
        assert!(tests.contains(&"operations".to_owned()));
    }
}
