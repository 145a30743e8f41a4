//! Spec drift: the current client decodes responses shaped by every version
//! of Codat's published OpenAPI document (changes Codat has not made yet are
//! in `tests/forward_compat.rs`).
//!
//! The documents are Codat's raw ones (`Codat-Platform.json` and
//! `history/*.json`), found through `CODAT_UPSTREAM_DIR` or else
//! the repository's own `upstream/`. For each of them this checks
//! every response example of the Connections operations, and instances
//! generated from the raw schemas (every property, only the required ones,
//! every nullable one null) by `support::schema`.

use crate::support;

#[cfg(all(feature = "schemars", feature = "mock"))]
#[path = "drift/schema_width.rs"]
mod schema_width;

use std::path::PathBuf;

use codat_connections::raw::types::{Companies, Company as RawCompany, Connections};
use codat_connections::{Company, Connection, DateTime, ErrorMessage};
use serde_json::{Value, json};
use support::json_pointer;
use support::operations::Operation;
use support::schema::{self, Mode, check_shape, flatten, generate, properties, read_json};

const AREA: &str = "Spec drift";

/// The Connections operations the client wraps, by `operationId`
/// (`support::operations`). Not every operation of the crate's document: one
/// Codat adds there is not in the versions published before it.
fn connections_operations() -> Vec<&'static str> {
    Operation::ALL
        .iter()
        .map(|operation| operation.id())
        .chain(COMPANY_OPERATIONS)
        .collect()
}

/// The company operations the client wraps, by `operationId`.
const COMPANY_OPERATIONS: [&str; 3] = ["list-companies", "get-company", "create-company"];

// ---------------------------------------------------------------------------
// The upstream documents
// ---------------------------------------------------------------------------

/// One published version of Codat's document.
struct Version {
    /// `DATE_COMMIT` for history files, `Codat-Platform (newest)` for the newest.
    name: String,
    doc: Value,
}

fn upstream_dir() -> PathBuf {
    support::upstream::dir()
}

/// Every history version, oldest first, then the newest.
fn versions() -> Vec<Version> {
    let dir = upstream_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("history"))
        .expect("history/ is readable")
        .map(|entry| entry.expect("history/ is readable").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no history/*.json under {}",
        dir.display()
    );
    let mut versions: Vec<Version> = files
        .iter()
        .map(|path| Version {
            name: path
                .file_stem()
                .expect("a file name")
                .to_string_lossy()
                .into_owned(),
            doc: read_json(path),
        })
        .collect();
    versions.push(Version {
        name: "Codat-Platform (newest)".to_owned(),
        doc: read_json(&dir.join("Codat-Platform.json")),
    });
    versions
}

/// Follows `$ref`s until the value is not a reference (for responses and
/// examples, where sibling keywords carry no meaning).
fn deref<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    let value = json_pointer::follow_all(doc, value);
    assert!(
        value.get("$ref").is_none(),
        "a $ref that does not resolve, or a cycle: {value}"
    );
    value
}

/// The Connections operations of a document, in the crate's order.
fn operations(doc: &Value) -> Vec<(&str, &Value)> {
    let known = connections_operations();
    let position = |id: &str| known.iter().position(|k| *k == id);
    let mut found: Vec<_> = schema::operations(doc)
        .into_iter()
        .filter(|(id, _)| position(id).is_some())
        .collect();
    found.sort_by_key(|(id, _)| position(id));
    found
}

/// The raw schema of a response (`status`, first media type with a schema).
fn response_schema<'a>(doc: &'a Value, operation_id: &str, status: &str) -> &'a Value {
    let (_, operation) = operations(doc)
        .into_iter()
        .find(|(id, _)| *id == operation_id)
        .unwrap_or_else(|| panic!("no operation {operation_id}"));
    let response = deref(doc, &operation["responses"][status]);
    response["content"]
        .as_object()
        .and_then(|content| content.values().find_map(|media| media.get("schema")))
        .unwrap_or_else(|| panic!("{operation_id} {status} has no schema"))
}

// ---------------------------------------------------------------------------
// Part 1: the documents' own examples
// ---------------------------------------------------------------------------

/// A response example: where it is, its status, its value.
struct Example {
    label: String,
    operation: String,
    status: u16,
    value: Value,
}

fn examples(doc: &Value) -> Vec<Example> {
    let mut out = Vec::new();
    for (operation_id, operation) in operations(doc) {
        let responses = operation["responses"]
            .as_object()
            .expect("an operation has responses");
        for (status, response) in responses {
            let Ok(status_code) = status.parse::<u16>() else {
                continue; // `default` or a range: no status to classify by
            };
            let response = deref(doc, response);
            let Some(content) = response.get("content").and_then(Value::as_object) else {
                continue;
            };
            for (media_type, media) in content {
                if let Some(value) = media.get("example") {
                    out.push(Example {
                        label: format!("{operation_id} {status} {media_type} example"),
                        operation: operation_id.to_owned(),
                        status: status_code,
                        value: value.clone(),
                    });
                }
                for (name, example) in media
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    let example = deref(doc, example);
                    let value = example.get("value").unwrap_or_else(|| {
                        panic!("{operation_id} {status} example {name:?} has no inline value")
                    });
                    out.push(Example {
                        label: format!("{operation_id} {status} {media_type} examples.{name}"),
                        operation: operation_id.to_owned(),
                        status: status_code,
                        value: value.clone(),
                    });
                }
            }
        }
    }
    out
}

/// Drops nulls at every depth: the client does not write absent optionals
/// back, so round-trips are compared without them.
fn without_nulls(value: &Value) -> Value {
    // An empty list or map is written as none (the generated types skip
    // them), which means the same.
    let empty = |v: &Value| {
        v.is_null()
            || v.as_array().is_some_and(Vec::is_empty)
            || v.as_object().is_some_and(serde_json::Map::is_empty)
    };
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !empty(v))
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// JSON equality, except that two strings that are the same `DateTime` are
/// equal (`+00:00` and `Z` name the same instant, for example).
fn equivalent(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| equivalent(v, w)))
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(v, w)| equivalent(v, w))
        }
        (Value::String(a), Value::String(b)) if a != b => {
            match (a.parse::<DateTime>(), b.parse::<DateTime>()) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            }
        }
        _ => a == b,
    }
}

/// Decodes `value` as `T` and checks that re-encoding gives the same JSON
/// (minus nulls, and minus the keys `ignored` lists, which our types do not
/// model): the values decoded to what was sent, not merely to something.
fn decode_exactly<T>(value: &Value, ignored: &[&str]) -> Result<T, String>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let decoded: T = serde_json::from_value(value.clone()).map_err(|e| format!("{e}"))?;
    let mut expected = without_nulls(value);
    remove_keys(&mut expected, ignored);
    let again = without_nulls(&serde_json::to_value(&decoded).map_err(|e| format!("{e}"))?);
    if !equivalent(&again, &expected) {
        return Err(format!(
            "decoded but re-encodes differently:\n sent    {expected}\n decoded {again}"
        ));
    }
    Ok(decoded)
}

/// `value` without the keys `ignored`, at every depth.
fn remove_keys(value: &mut Value, ignored: &[&str]) {
    match value {
        Value::Object(map) => {
            for key in ignored {
                map.remove(*key);
            }
            map.values_mut().for_each(|v| remove_keys(v, ignored));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| remove_keys(v, ignored)),
        _ => {}
    }
}

/// What a company of an older version has that the current document does
/// not, and the client ignores: its `platform` (dropped from `Company` in
/// 5a17935) and its `groups` (dropped in bd76b58).
const FORMER_COMPANY_FIELDS: [&str; 2] = ["platform", "groups"];

/// Decodes one example into the type its status calls for.
fn check_example(example: &Example) -> Result<(), String> {
    match (example.status, example.operation.as_str()) {
        (200..=299, "list-connections") => {
            decode_exactly::<Connections>(&example.value, &[]).map(drop)
        }
        (200..=299, "list-companies") => {
            decode_exactly::<Companies>(&example.value, &FORMER_COMPANY_FIELDS)?;
            let page: Vec<Value> = example.value["results"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            page.iter().try_for_each(whole_company)
        }
        (200..=299, "get-company" | "create-company") => {
            decode_exactly::<RawCompany>(&example.value, &FORMER_COMPANY_FIELDS)?;
            whole_company(&example.value)
        }
        (200..=299, _) => decode_exactly::<Connection>(&example.value, &[]).map(drop),
        (400..=599, _) => decode_exactly::<ErrorMessage>(&example.value, &[]).map(drop),
        (status, _) => Err(format!("unexpected status {status}")),
    }
}

/// Decodes `value` as the SDK's [`Company`], whose connections must all
/// decode.
fn whole_company(value: &Value) -> Result<(), String> {
    let company: Company = serde_json::from_value(value.clone()).map_err(|e| e.to_string())?;
    match company.undecoded_connections.first() {
        None => Ok(()),
        Some(undecoded) => Err(format!(
            "a connection of the company: {}",
            undecoded.message
        )),
    }
}

// ---------------------------------------------------------------------------
// Part 2: instances generated from the raw schemas
// ---------------------------------------------------------------------------

/// Generates the three instances of the Connection schema and of the list
/// page schema of one version, checks their shape and decodes them.
/// Returns how many properties of the Connection instance, nested ones included, are nullable (and
/// came out null in the nulls instance), or a description of the failures.
fn check_generated(version: &Version) -> Result<usize, String> {
    let doc = &version.doc;
    let connection_schema = response_schema(doc, "get-connection", "200");
    let page_schema = response_schema(doc, "list-connections", "200");
    let mut failures = Vec::new();
    let mut nullable = 0;
    for mode in [Mode::Full, Mode::Minimal, Mode::Nulls] {
        let connection = generate(doc, connection_schema, mode, 0);
        let (checked, nulls) = check_shape(doc, connection_schema, &connection, mode, "Connection");
        assert!(checked >= 6, "too few properties checked: {connection}");
        if mode == Mode::Nulls {
            nullable = nulls;
        }
        if let Err(e) = decode_exactly::<Connection>(&connection, &[]) {
            failures.push(format!("{mode:?} Connection {connection}: {e}"));
        }
        let page = generate(doc, page_schema, mode, 0);
        let _ = check_shape(doc, page_schema, &page, mode, "Connections");
        if let Err(e) = decode_exactly::<Connections>(&page, &[]) {
            failures.push(format!("{mode:?} Connections page {page}: {e}"));
        }
    }
    // A company and a page of companies, each with its connections.
    let company_schema = response_schema(doc, "get-company", "200");
    let companies_schema = response_schema(doc, "list-companies", "200");
    for mode in [Mode::Full, Mode::Minimal, Mode::Nulls] {
        let company = generate(doc, company_schema, mode, 0);
        let _ = check_shape(doc, company_schema, &company, mode, "Company");
        let decoded = decode_exactly::<RawCompany>(&company, &FORMER_COMPANY_FIELDS)
            .and_then(|_| whole_company(&company));
        if let Err(e) = decoded {
            failures.push(format!("{mode:?} Company {company}: {e}"));
        }
        let page = generate(doc, companies_schema, mode, 0);
        let _ = check_shape(doc, companies_schema, &page, mode, "Companies");
        if let Err(e) = decode_exactly::<Companies>(&page, &FORMER_COMPANY_FIELDS) {
            failures.push(format!("{mode:?} Companies page {page}: {e}"));
        }
    }
    // The full instances set what the schema lists, at the top level too.
    let full = generate(doc, connection_schema, Mode::Full, 0);
    let flat = flatten(doc, connection_schema, 0);
    for (name, _) in properties(&flat) {
        assert!(full.get(&name).is_some(), "full instance lacks {name}");
    }
    for name in ["id", "created", "status", "sourceType", "linkUrl"] {
        assert!(full.get(name).is_some(), "Connection schema lacks {name}");
    }
    // And a generated instance can fail: with its `id` broken it is refused.
    let mut broken = full;
    broken["id"] = json!(42);
    assert!(serde_json::from_value::<Connection>(broken).is_err());
    if failures.is_empty() {
        Ok(nullable)
    } else {
        Err(failures.join("\n"))
    }
}

/// Parts 1 and 2 for every version: one row per version.
#[test]
fn every_published_version_decodes() {
    let versions = versions();
    let mut failures = Vec::new();
    for version in &versions {
        let found: Vec<&str> = operations(&version.doc)
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        assert_eq!(
            found,
            connections_operations(),
            "{}: not every Connections operation is in the document",
            version.name
        );
        let examples = examples(&version.doc);
        let successes = examples.iter().filter(|e| e.status < 400).count();
        let errors = examples.len() - successes;
        assert!(
            successes >= 2 && errors >= 1,
            "{}: too few examples found ({successes} success, {errors} error): the walk is broken",
            version.name
        );
        let mut version_failures = Vec::new();
        for example in &examples {
            if let Err(e) = check_example(example) {
                version_failures.push(format!("{}: {e}", example.label));
            }
        }
        let nullable = match check_generated(version) {
            Ok(nullable) => nullable,
            Err(e) => {
                version_failures.push(e);
                0
            }
        };
        if version_failures.is_empty() {
            support::record(
                AREA,
                &format!(
                    "{}: response examples and generated instances",
                    version.name
                ),
                &format!(
                    "examples: {successes} success and {errors} error decode; \
                     generated Connection and page, Company and page, full/minimal/nulls \
                     ({nullable} nullable properties of a Connection null): decode"
                ),
            );
        } else {
            failures.push(format!(
                "{}:\n{}",
                version.name,
                version_failures.join("\n")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "versions whose shapes the current client cannot decode:\n\n{}",
        failures.join("\n\n")
    );
}

/// A schema written here, so the generators' rules are pinned independently
/// of what Codat's documents happen to use.
fn pinned_document() -> Value {
    json!({
        "paths": {"/a/{id}": {"get": {"x": {"type": "string", "format": "uuid"}}}},
        "components": {"schemas": {
            "Base": {"type": "object", "required": ["a"], "properties": {
                "a": {"type": "integer", "maximum": 0, "minimum": -5},
                "b": {"$ref": "#/paths/~1a~1%7Bid%7D/get/x", "nullable": true}
            }},
            "Both": {"allOf": [
                {"$ref": "#/components/schemas/Base"},
                {"type": "object", "required": ["c"], "properties": {
                    "c": {"type": "string", "enum": ["X", "Y"], "example": "Y"},
                    "d": {"type": "array", "items": {"type": "boolean"}},
                    "e": {"type": "object", "additionalProperties": {"type": "string"}},
                    "f": false
                }}
            ]}
        }}
    })
}

#[test]
fn generator_follows_refs_allof_nullable_and_percent_encoding() {
    let doc = pinned_document();
    let schema = schema::component("Both");
    assert_eq!(
        generate(&doc, &schema, Mode::Full, 0),
        json!({"a": 0, "b": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "c": "Y",
               "d": [true], "e": {"extraKey": "text"}})
    );
    assert_eq!(
        generate(&doc, &schema, Mode::Minimal, 0),
        json!({"a": 0, "c": "Y"})
    );
    let nulls = generate(&doc, &schema, Mode::Nulls, 0);
    assert_eq!(nulls["b"], Value::Null);
    assert_eq!(check_shape(&doc, &schema, &nulls, Mode::Nulls, "Both").1, 1);
}

/// The random walker the property tests use, on the same schema: required
/// members always, optional ones absent, null (where allowed) or set, the
/// caller's unknown members beside them, and never a property whose schema
/// is `false`.
#[test]
fn random_instances_follow_refs_allof_required_and_nullable() {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    let doc = pinned_document();
    let leaves = schema::Leaves {
        value: |name, _| (name == "b").then(|| Just(json!("an id")).boxed()),
        null: |_, schema| schema::is_nullable(schema),
        free: || Just(json!("free")).boxed(),
        unknown: |names| {
            Just(
                names
                    .into_iter()
                    .map(|n| (format!("new {n}"), json!(1)))
                    .collect(),
            )
            .boxed()
        },
    };
    let strategy = schema::arbitrary(&doc, &schema::component("Both"), "Both", &leaves);
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..200 {
        let value = strategy.new_tree(&mut runner).expect("a value").current();
        let object = value.as_object().expect("an object");
        assert!(object["a"].is_i64(), "{value}");
        assert!(
            ["X", "Y"].contains(&object["c"].as_str().unwrap_or_default()),
            "{value}"
        );
        assert!(
            object.get("b").is_none_or(|b| b.is_null() || b == "an id"),
            "{value}"
        );
        assert!(
            object.get("d").is_none_or(|d| d
                .as_array()
                .is_some_and(|d| d.iter().all(Value::is_boolean))),
            "{value}"
        );
        assert!(
            object.get("e").is_none_or(|e| e
                .as_object()
                .is_some_and(|e| e.values().all(|v| v == "free"))),
            "{value}"
        );
        assert!(object.get("f").is_none(), "{value}");
        assert_eq!(object.get("new a"), Some(&json!(1)), "{value}");
        seen.extend(
            object
                .iter()
                .map(|(k, v)| format!("{k}={}", if v.is_null() { "null" } else { "set" })),
        );
    }
    // Each optional member came out set, and the nullable one null too.
    for member in ["b=null", "b=set", "d=set", "e=set"] {
        assert!(seen.contains(member), "{member} never generated: {seen:?}");
    }
    assert!(!seen.contains("d=null"), "d is not nullable");
}
