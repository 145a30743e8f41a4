//! Shared by the reliability tests: each case they prove is recorded as a
//! row of RELIABILITY.md (`cargo xtask reliability` writes it from these
//! rows, and `cargo xtask ci` checks that it is current).
#![allow(dead_code)] // each test binary uses part of it

use std::io::Write;

/// Records that `case`, in the area `area` (a section of RELIABILITY.md),
/// had `outcome`. Rows are written only when `RELIABILITY_OUT` names a
/// folder; call this after the assertions that prove the outcome.
pub fn record(area: &str, case: &str, outcome: &str) {
    let Some(dir) = std::env::var_os("RELIABILITY_OUT") else {
        return;
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("RELIABILITY_OUT is writable");
    let line = serde_json::json!({"area": area, "case": case, "outcome": outcome}).to_string();
    let file_name = format!(
        "{}.jsonl",
        area.to_lowercase()
            .replace(|c: char| !c.is_ascii_alphanumeric(), "-")
    );
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(file_name))
        .expect("RELIABILITY_OUT is writable");
    // One write of one line: appends from parallel tests do not interleave.
    file.write_all(format!("{line}\n").as_bytes())
        .expect("the row is written");
}
