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
mod outcome;
mod scratch;

use std::fs;

use serde_json::Value;

use crate::change_report::compare;
use crate::normalise::to_pretty_string;
use crate::sync_spec::{DOCUMENT, workspace_root};
use changes::{Change, select};
use outcome::{Judged, Outcome, class, decide};
use scratch::{Scratch, mirror_tracked_files, test_binaries};

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

    // Breaking changes one at a time; the non-breaking ones first all
    // together (one build instead of one each), and one at a time only when
    // together they fail, to say which. A non-breaking change can only fail
    // alone if another undoes what it does, and none of them touches what
    // another changes.
    let (breaking, additions): (Vec<&Change>, Vec<&Change>) =
        selected.into_iter().partition(|change| change.breaking);
    let drill = Drill {
        original: &original,
        document: &document,
        scratch: &scratch,
        tests: &tests,
    };
    let result = drill.each(&breaking).and_then(|mut outcomes| {
        outcomes.extend(drill.together(&additions)?);
        Ok(outcomes)
    });
    fs::write(&document, &original_text)
        .map_err(|e| format!("cannot restore {}: {e}", document.display()))?;
    decide(&result?)
}

/// What every change is tried against.
struct Drill<'a> {
    original: &'a Value,
    document: &'a std::path::Path,
    scratch: &'a Scratch,
    tests: &'a [String],
}

impl<'a> Drill<'a> {
    /// The document with `changes` made, or why one cannot be made.
    fn changed(&self, changes: &[&Change]) -> Result<Value, String> {
        let mut doc = self.original.clone();
        for change in changes {
            (change.apply)(&mut doc).map_err(|e| {
                format!(
                    "spec-drill: cannot make the change `{}`: {e}",
                    change.description
                )
            })?;
        }
        Ok(doc)
    }

    /// Builds and tests the copy with `doc` as its document.
    fn exercise(&self, doc: &Value, first_failure: bool) -> Result<Outcome, String> {
        fs::write(self.document, to_pretty_string(doc))
            .map_err(|e| format!("cannot write {}: {e}", self.document.display()))?;
        self.scratch.exercise(self.tests, first_failure)
    }

    /// Whether the change report marks something of `change` breaking.
    fn reported(&self, change: &Change) -> Result<bool, String> {
        let doc = self.changed(&[change])?;
        Ok(compare(self.original, &doc).iter().any(|c| c.breaking))
    }

    /// What became of each change, tried one at a time.
    fn each(&self, changes: &[&'a Change]) -> Result<Vec<Judged<'a>>, String> {
        let mut outcomes = Vec::new();
        for change in changes {
            eprintln!(
                "spec-drill: building and testing with {}",
                change.description
            );
            let doc = self.changed(&[change])?;
            let outcome = self.exercise(&doc, change.breaking)?;
            let judged = Judged {
                change,
                reported: self.reported(change)?,
                outcome,
            };
            println!("{}", judged.line());
            outcomes.push(judged);
        }
        Ok(outcomes)
    }

    /// What became of each change, tried all together first.
    fn together(&self, changes: &[&'a Change]) -> Result<Vec<Judged<'a>>, String> {
        if changes.len() < 2 {
            return self.each(changes);
        }
        eprintln!(
            "spec-drill: building and testing with the {} non-breaking changes together",
            changes.len()
        );
        let doc = self.changed(changes)?;
        if self.exercise(&doc, false)? != Outcome::Passes {
            eprintln!("spec-drill: together they fail; trying each alone");
            return self.each(changes);
        }
        let mut outcomes = Vec::new();
        for change in changes {
            let judged = Judged {
                change,
                reported: self.reported(change)?,
                outcome: Outcome::Passes,
            };
            println!("{} (tried with the others)", judged.line());
            outcomes.push(judged);
        }
        Ok(outcomes)
    }
}
