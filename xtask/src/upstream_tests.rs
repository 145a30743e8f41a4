//! Tests over Codat's real published documents: every version in
//! `upstream/history/` normalises, passes a real OpenAPI 3.0.3
//! validator and progenitor, and the change report between consecutive
//! versions says what the history's README says changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::normalise::OPERATIONS;
use crate::sync_spec::{DOCUMENT, render_from_file, report_lines, workspace_root};

#[allow(dead_code)] // the tests call `generate` only
mod build_script {
    // The very settings build.rs generates the client with, so that what is
    // tested here is what the crate compiles.
    include!("../../build.rs");
}

/// The history, oldest first, in the order of its README (two versions share
/// a date, so file names alone do not order them).
const HISTORY: [&str; 14] = [
    "2023-09-14_fc560eb.json",
    "2023-09-25_7e746ae.json",
    "2023-09-25_3aea39b.json",
    "2023-10-19_0ee4ef8.json",
    "2024-01-31_2f9f7ea.json",
    "2024-02-13_9e619aa.json",
    "2024-03-04_fff349d.json",
    "2024-05-24_6efc121.json",
    "2024-09-23_5a17935.json",
    "2024-09-23_bd76b58.json",
    "2024-09-26_8c4c022.json",
    "2025-06-04_347442f.json",
    "2025-10-30_ee9d633.json",
    "2026-04-15_2255d88.json",
];

/// Codat's documents: `CODAT_UPSTREAM_DIR`, or the repository's own
/// `upstream/`.
fn upstream_dir() -> PathBuf {
    let dir = std::env::var_os("CODAT_UPSTREAM_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(crate::sync_spec::UPSTREAM_DIR));
    assert!(
        dir.join("history").is_dir(),
        "Codat's published documents are not at {} (expected Codat-Platform.json and history/). \
         Set CODAT_UPSTREAM_DIR to a folder holding them.",
        dir.display()
    );
    dir
}

fn history(name: &str) -> PathBuf {
    upstream_dir().join("history").join(name)
}

fn render(path: &Path) -> String {
    render_from_file(path).unwrap_or_else(|e| panic!("{e}"))
}

/// What the change report says from one history version to the next.
fn report(old: &str, new: &str) -> Vec<String> {
    let old = render(&history(old));
    let new = if new == "newest" {
        render(&upstream_dir().join("Codat-Platform.json"))
    } else {
        render(&history(new))
    };
    report_lines(&old, &new).unwrap()
}

#[test]
fn history_readme_lists_every_version() {
    let mut on_disk: Vec<String> = std::fs::read_dir(upstream_dir().join("history"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = HISTORY.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
    let readme = std::fs::read_to_string(upstream_dir().join("README.md")).unwrap();
    let positions: Vec<usize> = HISTORY.iter().map(|n| readme.find(n).unwrap()).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "README order differs"
    );
}

#[test]
fn checked_in_document_is_what_sync_spec_produces() {
    let generated = render(&upstream_dir().join("Codat-Platform.json"));
    let checked_in = std::fs::read_to_string(workspace_root().join(DOCUMENT)).unwrap();
    assert!(generated == checked_in, "run `cargo xtask sync-spec`");
    let again = render(&upstream_dir().join("Codat-Platform.json"));
    assert_eq!(generated, again, "rendering is not deterministic");
}

#[test]
fn checked_in_document_holds_exactly_the_nine_operations() {
    let text = std::fs::read_to_string(workspace_root().join(DOCUMENT)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .collect();
    ids.sort();
    let mut expected = OPERATIONS.to_vec();
    expected.sort();
    assert_eq!(ids, expected);
    assert_eq!(doc["openapi"], "3.0.3");
    let source = &doc["info"]["x-codat-source"];
    assert_eq!(source["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(source["info-version"], "3.0.0");
    // Every error response keeps Codat's ErrorMessage schema.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(responses) = op.get("responses").and_then(Value::as_object) else {
                continue;
            };
            // The Connections operations answer each of these; a company
            // operation some of them (list-companies no 404, for one).
            let connections = path.contains("/connections");
            for status in ["401", "402", "403", "404", "429", "500", "503"] {
                let Some(response) = responses.get(status) else {
                    assert!(!connections, "{method} {path} lacks response {status}");
                    continue;
                };
                let target = response["$ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{method} {path}: response {status} is inline"));
                let resolved = crate::json_pointer::resolve(&doc, target).unwrap();
                assert_eq!(
                    resolved["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorMessage"
                );
            }
        }
    }
}

/// `OPENAPI_SPEC_VALIDATOR`, or the one `cargo xtask ci` installs.
fn validator() -> PathBuf {
    let path = std::env::var_os("OPENAPI_SPEC_VALIDATOR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            workspace_root().join("target/tools/validator-venv/bin/openapi-spec-validator")
        });
    assert!(
        path.exists(),
        "openapi-spec-validator is not installed at {}. Run `cargo xtask ci` (it installs the \
         pinned version from xtask/validator-requirements.txt), or `pip install -r \
         xtask/validator-requirements.txt` and set OPENAPI_SPEC_VALIDATOR to its path.",
        path.display()
    );
    path
}

fn assert_valid_openapi_3_0(path: &Path) {
    let output = Command::new(validator())
        .args(["--schema", "3.0"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} is not valid OpenAPI 3.0:\n{}{}",
        path.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn checked_in_document_validates_as_openapi_3_0_3() {
    assert_valid_openapi_3_0(&workspace_root().join(DOCUMENT));
}

#[test]
fn the_mock_control_api_document_validates_as_openapi_3_0_3() {
    // Written by hand: it describes the mock's own API, not Codat's.
    assert_valid_openapi_3_0(&workspace_root().join("openapi/mock-control.json"));
}

#[test]
fn validator_rejects_an_invalid_document() {
    // The validator must be able to fail: Codat's own document is 3.1-flavoured
    // and not valid 3.0 as published.
    let output = Command::new(validator())
        .args(["--schema", "3.0"])
        .arg(upstream_dir().join("Codat-Platform.json"))
        .output()
        .unwrap();
    assert!(
        !output.status.success(),
        "the validator accepted Codat's 3.1 document as 3.0"
    );
}

#[test]
fn every_history_version_normalises_validates_and_generates() {
    let scratch = workspace_root().join("target/tmp/history");
    std::fs::create_dir_all(&scratch).unwrap();
    for name in HISTORY {
        let text = render(&history(name));
        let out = scratch.join(name);
        std::fs::write(&out, &text).unwrap();
        assert_valid_openapi_3_0(&out);
        let code = build_script::generate(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(code.contains("pub fn list_connections("), "{name}");
        assert!(
            code.contains("crate::types::ConnectionStatus"),
            "{name}: status not replaced"
        );
    }
}

#[test]
fn report_fc560eb_to_7e746ae_page_size_maximum_and_platform_key_schema() {
    assert_eq!(
        report(HISTORY[0], HISTORY[1]),
        [
            "breaking: `create-connection request body.platformKey` maxLength changed from none to `4`",
            "breaking: `create-connection request body.platformKey` minLength changed from none to `4`",
            "breaking: `create-connection request body.platformKey` pattern changed from none to `[a-z]{4}`",
            "non-breaking: `PagingInfo.pageSize` maximum changed from none to `2000`",
            "non-breaking: schema `PlatformKey` added",
        ]
    );
}

#[test]
fn report_is_empty_where_only_descriptions_and_examples_changed() {
    // 3aea39b: Connection reshuffled (descriptions/refs); 0ee4ef8: operation
    // descriptions; fff349d: PagingInfo examples; ee9d633: DateTime
    // examples/description.
    for (old, new) in [(1, 2), (2, 3), (5, 6), (11, 12)] {
        assert_eq!(
            report(HISTORY[old], HISTORY[new]),
            ["no change that affects users"],
            "{} -> {}",
            HISTORY[old],
            HISTORY[new]
        );
    }
}

/// The report from `old` to `new`, once checked to be non-breaking
/// throughout and to hold each of `expected`.
fn non_breaking(old: &str, new: &str, expected: impl IntoIterator<Item = String>) -> Vec<String> {
    let lines = report(old, new);
    for line in expected {
        assert!(lines.contains(&line), "missing {line}: {lines:?}");
    }
    assert!(
        lines.iter().all(|l| l.starts_with("non-breaking")),
        "{lines:?}"
    );
    lines
}

#[test]
fn report_2f9f7ea_source_types_and_error_responses_added() {
    let values = ["BankFeed", "Expense"]
        .map(|value| format!("non-breaking: `SourceType` enum value `{value}` added"));
    let responses = OPERATIONS.iter().flat_map(|op| {
        ["402", "403", "500", "503"]
            .map(|status| format!("non-breaking: response `{op} response {status}` added"))
    });
    non_breaking(HISTORY[3], HISTORY[4], values.into_iter().chain(responses));
}

#[test]
fn report_9e619aa_error_message_gains_validation() {
    let added = "non-breaking: field `ErrorMessage.validation` added";
    non_breaking(HISTORY[4], HISTORY[5], [added.to_owned()]);
}

#[test]
fn report_6efc121_data_connection_error_gains_status_and_resolved_on() {
    assert_eq!(
        report(HISTORY[6], HISTORY[7]),
        [
            "non-breaking: field `DataConnectionError.resolvedOnUtc` added",
            "non-breaking: field `DataConnectionError.status` added",
            "non-breaking: schema `DataConnectionErrorStatus` added",
        ]
    );
}

#[test]
fn report_5a17935_connection_webhooks_added() {
    // Also: additionalProperties moved in Connection (we open response
    // objects either way), which is no change for users.
    let webhooks = [
        "created",
        "connected",
        "disconnected",
        "reconnected",
        "deleted",
    ]
    .map(|event| format!("non-breaking: webhook `connection.{event}` added"));
    let schemas = [
        "ConnectionWebhook",
        "ConnectionWebhookPayload",
        "CompanyReference",
    ]
    .map(|schema| format!("non-breaking: schema `{schema}` added"));
    let lines = report(HISTORY[7], HISTORY[8]);
    for line in webhooks.iter().chain(&schemas) {
        assert!(lines.contains(line), "missing {line}: {lines:?}");
    }
    assert!(
        !lines.iter().any(|l| l.contains("connection.failed")),
        "{lines:?}"
    );
    // The same version moved a company's fields into `CompanyDetails`
    // (`Company` became an allOf of it and `dataConnections`), and named the
    // description schema after the company: breaking for code that named
    // `Company`'s own fields or `Description`. Nothing else breaks.
    let breaking: Vec<&String> = lines.iter().filter(|l| l.starts_with("breaking")).collect();
    let mut expected = vec!["breaking: `Company` type changed from object to allOf".to_owned()];
    expected.extend(
        [
            "createdByUserName",
            "created",
            "description",
            "groups",
            "id",
            "lastSync",
            "name",
            "platform",
            "redirect",
        ]
        .map(|field| format!("breaking: field `Company.{field}` removed")),
    );
    expected.push("breaking: schema `Description` removed".to_owned());
    assert_eq!(breaking, expected.iter().collect::<Vec<_>>());
    assert!(lines.contains(&"non-breaking: schema `CompanyDetails` added".to_owned()));
}

#[test]
fn report_bd76b58_connection_info_and_last_sync_become_nullable() {
    assert_eq!(
        report(HISTORY[8], HISTORY[9]),
        [
            "breaking: `Connection.connectionInfo` is now nullable",
            "breaking: `Connection.lastSync` is now nullable",
            // A company's groups are gone from Codat's API.
            "breaking: field `CompanyRequestBody.groups` removed",
            "breaking: schema `GroupRef` removed",
            "breaking: schema `Id` removed",
        ]
    );
}

#[test]
fn report_8c4c022_data_connection_errors_become_nullable() {
    assert_eq!(
        report(HISTORY[9], HISTORY[10]),
        [
            "breaking: `Connection.dataConnectionErrors` is now nullable",
            "non-breaking: field `CompanyRequestBody.tags` added",
        ]
    );
}

#[test]
fn report_347442f_connection_info_values_become_any_json() {
    assert_eq!(
        report(HISTORY[10], HISTORY[11]),
        [
            "breaking: `Connection.connectionInfo` type changed from map of string to map of any",
            "non-breaking: field `CompanyDetails.referenceParentCompany` added",
            "non-breaking: field `CompanyDetails.referenceSubsidiaryCompanies` added",
            "non-breaking: parameter `list-companies parameter tags` added",
            "non-breaking: webhook `connection.failed` added",
        ]
    );
}

#[test]
fn report_2255d88_integration_key_no_longer_required() {
    let lines = report(HISTORY[12], HISTORY[13]);
    assert_eq!(
        lines,
        [
            "breaking: `Connection.integrationKey` is no longer required",
            // The companyId parameter's schema now points into another
            // operation, where the webhooks' company reference already
            // pointed: `CompanyId` exists since 5a17935.
        ]
    );
}

#[test]
fn report_newest_has_no_user_visible_change_since_2255d88() {
    assert_eq!(
        report(HISTORY[13], "newest"),
        ["no change that affects users"]
    );
}
