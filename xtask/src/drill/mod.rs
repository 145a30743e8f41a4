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

mod changes;
mod failures;
mod scratch;
mod verdict;

use std::fs;

use serde_json::Value;

use crate::change_report::compare;
use crate::normalise::to_pretty_string;
use crate::sync_spec::{workspace_root, DOCUMENT};
use changes::select;
use scratch::{mirror_tracked_files, test_binaries, Scratch};
use verdict::{class, decide, Verdict};

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
