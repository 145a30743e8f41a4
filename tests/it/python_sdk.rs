//! Codat's official Python SDK (`codat-platform`, pinned in
//! `benchmarks/peers/requirements.txt`) as a client of the `codat-mock` program:
//! a client no one here wrote creates, lists, gets, unlinks and deletes
//! connections over HTTP, and retries a 429 injected through the mock's
//! control API (`tests/python/sdk_roundtrip.py`).
//!
//! It needs a Python with that SDK: `cargo xtask ci` installs it under
//! `target/tools/` and passes its path as `CODAT_PYTHON`.
#![cfg(all(feature = "mock", unix))]

use crate::support;

use std::path::PathBuf;
use std::process::Command;

use codat_connections::mock::MOCK_API_KEY;
use support::program::{start, stderr_of, stop};

const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const LINKED: &str = "2e9d2c44-f675-40ba-8049-353bfcb5e171";

fn python() -> PathBuf {
    let path = std::env::var_os("CODAT_PYTHON").map(PathBuf::from);
    match path {
        Some(path) if path.exists() => path,
        _ => panic!(
            "CODAT_PYTHON must name a Python with Codat's SDK installed. Run `cargo xtask ci`, \
             which installs the pinned version under target/tools/, or `python3 -m venv VENV && \
             VENV/bin/pip install --no-deps -r benchmarks/peers/requirements.txt` and set \
             CODAT_PYTHON=VENV/bin/python."
        ),
    }
}

#[test]
fn codats_python_sdk_creates_lists_gets_unlinks_deletes_and_retries_a_429_against_the_program() {
    let python = python();
    let dir = std::env::temp_dir().join(format!("codat-mock-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let seed = dir.join("seed.json");
    std::fs::write(
        &seed,
        format!(
            r#"{{"companies": [{{"id": "{COMPANY}", "connections": [
                {{"id": "{LINKED}", "platformKey": "qhyg", "status": "Linked"}}]}}]}}"#
        ),
    )
    .unwrap();
    let (mut child, base_url) = start(&["--seed", seed.to_str().unwrap()]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sdk_roundtrip.py");
    let run = Command::new(&python)
        .args([script, &base_url, MOCK_API_KEY, COMPANY, LINKED])
        .output()
        .expect("the Python SDK script runs");
    let status = stop(&mut child, "TERM");
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "Codat's Python SDK failed against codat-mock:\n{said}\n{}\nthe mock said: {}",
        String::from_utf8_lossy(&run.stderr),
        stderr_of(&mut child)
    );
    for step in [
        "created ",
        "listed 2 ",
        "a 429 ",
        "got ",
        "unlinked ",
        "deleted ",
    ] {
        assert!(said.contains(step), "no `{step}` step in:\n{said}");
    }
    assert!(status.success(), "{status:?}");
    support::record(
        "Standalone mock",
        "Codat's Python SDK (codat-platform) drives codat-mock: create, list, get, unlink, delete, and a 429 injected through the control API",
        "every call answers as the SDK expects; the SDK retries the 429 (the mock saw both requests); the deleted connection is no longer listed",
    );
}
