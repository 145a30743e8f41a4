//! RELIABILITY.md, written from the rows the reliability tests record
//! (`tests/support/mod.rs`), never by hand: `cargo xtask reliability` writes
//! it, `cargo xtask ci` fails when it is not what the tests produce.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::sync_spec::workspace_root;

/// The file written.
pub const DOCUMENT: &str = "RELIABILITY.md";

/// Where the tests write their rows, relative to the workspace root.
pub const ROWS: &str = "target/reliability";

/// Sections in this order; any other area follows, by name.
const AREAS: [(&str, &str); 16] = [
    (
        "Faults",
        "tests/it/faults.rs: every fault the shipped mock can inject, against a client with the default retry policy (tokio's paused clock).",
    ),
    (
        "Idempotency",
        "tests/it/idempotency.rs: creates and unlinks carry an Idempotency-Key, the same on each attempt, against the mock's model of Codat's idempotency (tokio's paused clock).",
    ),
    (
        "Per-call options",
        "tests/it/idempotency.rs: a timeout and headers for one call, and the answer's status, headers and attempts on success (tokio's paused clock).",
    ),
    (
        "Rate limit",
        "tests/it/rate_limit.rs: one rate limit per client, against the mock's X-Rate-Limit-* headers and per-minute limit (tokio's paused clock).",
    ),
    (
        "Sweep",
        "tests/it/sweep.rs: the sweep across companies, against the mock with latency and a per-minute limit (tokio's paused clock).",
    ),
    (
        "Companies",
        "tests/it/companies.rs: the company operations and the portfolio sweep against the mock: onboarding, what is refused before sending, filters, a malformed embedded connection, a 429 storm (tokio's paused clock), and no company created by re-linking.",
    ),
    (
        "Paging",
        "tests/it/concurrent_pages.rs: concurrent pages, in order and consistent; tests/it/paging_and_retries.rs: pages that misbehave or whose paging numbers make no sense (tokio's paused clock).",
    ),
    (
        "Compression",
        "tests/it/compression.rs: gzip answers from the mock, a body limit that counts inflated bytes, and bodies that do not inflate or come in an encoding the client did not ask for.",
    ),
    (
        "Decoding",
        "tests/it/item_decode.rs: a connection that does not decode costs only itself.",
    ),
    (
        "Generated answers",
        "tests/it/generated_answers.rs and tests/it/contract_prism.rs: answers generated from Codat's published document, by a walker of its schemas (a fixed seed) and by Prism's dynamic mode, through the client.",
    ),
    (
        "Hostile input",
        "tests/it/hostile_input.rs: each value crosses the wire exactly as given (checked on the request the mock received) or is refused before sending.",
    ),
    (
        "Property tests",
        "tests/it/properties.rs: the decoders written by hand, on generated input.",
    ),
    (
        "Spec drift",
        "tests/it/drift.rs: the current client against responses shaped by every published version of Codat's document; tests/it/forward_compat.rs: by changes Codat has not made yet.",
    ),
    (
        "Webhooks",
        "tests/it/webhooks.rs: deliveries signed, forged, replayed or odd, against `Webhooks::verify` (an injected clock); tests/it/webhook_deliveries.rs: the mock's deliveries end to end.",
    ),
    (
        "Standalone mock",
        "tests/it/codat_mock.rs: the `codat-mock` program, started as a user would, driven over HTTP and stopped by a signal; and what it refuses. tests/it/codat_mock/control_api.rs: its HTTP control API, every route against its document, and what it refuses. tests/it/python_sdk.rs: Codat's Python SDK as its client.",
    ),
    (
        "Secrets",
        "tests/secrets.rs: everything the SDK can print while the fault matrix and a table of calls run, searched for the API key.",
    ),
];

/// `cargo xtask reliability`: runs the tests, recording their rows, and
/// writes RELIABILITY.md.
pub fn run(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!("reliability: unexpected argument `{unknown}`"));
    }
    let root = workspace_root();
    let rows = root.join(ROWS);
    clear(&rows)?;
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(&root)
        .args([
            "test",
            "--all-features",
            "--tests",
            "-p",
            "codat-connections",
        ])
        .env("RELIABILITY_OUT", &rows)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "the tests failed ({status}); {DOCUMENT} was not written"
        ));
    }
    let text = render(&rows)?;
    std::fs::write(root.join(DOCUMENT), text).map_err(|e| e.to_string())?;
    println!("wrote {DOCUMENT}");
    Ok(())
}

/// Empties the rows folder before a run that records them.
pub fn clear(rows: &Path) -> Result<(), String> {
    if rows.exists() {
        std::fs::remove_dir_all(rows).map_err(|e| format!("{}: {e}", rows.display()))?;
    }
    std::fs::create_dir_all(rows).map_err(|e| format!("{}: {e}", rows.display()))
}

/// Fails, naming the difference, when RELIABILITY.md is not what the rows
/// recorded in `rows` make.
pub fn check(root: &Path) -> Result<(), String> {
    let expected = render(&root.join(ROWS))?;
    let actual = std::fs::read_to_string(root.join(DOCUMENT)).unwrap_or_default();
    if expected == actual {
        println!("{DOCUMENT} is what the tests produce");
        return Ok(());
    }
    let old: BTreeSet<&str> = actual.lines().collect();
    let new: BTreeSet<&str> = expected.lines().collect();
    let mut message = format!(
        "{DOCUMENT} is not what the tests produce; run `cargo xtask reliability` and commit it.\n"
    );
    for line in new.difference(&old).take(20) {
        message.push_str(&format!("  + {line}\n"));
    }
    for line in old.difference(&new).take(20) {
        message.push_str(&format!("  - {line}\n"));
    }
    Err(message)
}

/// The document the recorded rows make.
pub fn render(rows: &Path) -> Result<String, String> {
    let mut areas: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    let entries = std::fs::read_dir(rows).map_err(|e| {
        format!(
            "{}: {e} (did the tests run with RELIABILITY_OUT?)",
            rows.display()
        )
    })?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: Value =
                serde_json::from_str(line).map_err(|e| format!("{}: {e}", path.display()))?;
            let field = |key: &str| row[key].as_str().unwrap_or_default().to_owned();
            areas
                .entry(field("area"))
                .or_default()
                .insert((field("case"), field("outcome")));
        }
    }
    if areas.is_empty() {
        return Err(format!("no rows were recorded in {}", rows.display()));
    }
    let mut order: Vec<String> = AREAS
        .iter()
        .map(|(a, _)| (*a).to_owned())
        .filter(|a| areas.contains_key(a))
        .collect();
    order.extend(
        areas
            .keys()
            .filter(|a| !AREAS.iter().any(|(known, _)| known == a))
            .cloned(),
    );
    let mut out = String::from(
        "# Reliability\n\nWhat the SDK does under faults and bad input, one row per case a test proves. \
         Written by `cargo xtask reliability` from the rows the tests record after their assertions \
         pass (`tests/support/mod.rs`); `cargo xtask ci` fails when this file is not what the tests \
         produce. Do not edit by hand.\n",
    );
    for area in order {
        out.push_str(&format!("\n## {area}\n\n"));
        if let Some((_, about)) = AREAS.iter().find(|(a, _)| *a == area) {
            out.push_str(&format!("{about}\n\n"));
        }
        out.push_str("| case | outcome |\n|---|---|\n");
        for (case, outcome) in &areas[&area] {
            out.push_str(&format!("| {} | {} |\n", cell(case), cell(outcome)));
        }
    }
    Ok(out)
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_grouped_sorted_and_deduplicated() {
        let dir = workspace_root().join("target/tmp/reliability-render");
        clear(&dir).unwrap();
        std::fs::write(
            dir.join("a.jsonl"),
            concat!(
                "{\"area\":\"Secrets\",\"case\":\"b\",\"outcome\":\"absent\"}\n",
                "{\"area\":\"Faults\",\"case\":\"z | pipe\",\"outcome\":\"retried\"}\n",
                "{\"area\":\"Faults\",\"case\":\"a\",\"outcome\":\"retried\"}\n",
                "{\"area\":\"Faults\",\"case\":\"a\",\"outcome\":\"retried\"}\n",
            ),
        )
        .unwrap();
        let text = render(&dir).unwrap();
        let faults = text.find("## Faults").unwrap();
        let secrets = text.find("## Secrets").unwrap();
        assert!(faults < secrets);
        assert_eq!(text.matches("| a | retried |").count(), 1);
        assert!(text.contains("| z \\| pipe | retried |"));
        clear(&dir).unwrap();
        assert!(
            render(&dir).is_err(),
            "no rows must not render an empty document"
        );
    }
}
