//! What failed, read from cargo's output: the first compile error's place,
//! a build script's panic, the tests that failed.

use std::path::Path;

use serde_json::Value;

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
            && let Some(block) = failed.last_mut()
        {
            block.push(test);
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
}
