//! Spec drift: the current client decodes responses shaped by every version
//! of Codat's published OpenAPI document, and responses carrying changes
//! Codat has not made yet.
//!
//! The documents are Codat's raw ones (`Codat-Platform.json` and
//! `history/*.json`), found through `CODAT_UPSTREAM_DIR` or else
//! `<CARGO_MANIFEST_DIR>/../shared/upstream`. For each of them this checks
//! every response example of the Connections operations, and instances
//! generated from the raw schemas (every property, only the required ones,
//! every nullable one null).

#[path = "../src/json_pointer.rs"]
#[allow(dead_code)] // the drift tests use part of it
mod json_pointer;
mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use codat_connections::raw::types::Connections;
use codat_connections::{
    Connection, ConnectionStatus, DataConnectionErrorStatus, DateTime, ErrorMessage, SourceType,
};
use serde_json::{json, Map, Value};

const AREA: &str = "Spec drift";

/// The Connections operations, by `operationId`.
const OPERATIONS: [&str; 6] = [
    "list-connections",
    "create-connection",
    "get-connection",
    "delete-connection",
    "unlink-connection",
    "update-connection-authorization",
];

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
    let dir = match std::env::var_os("CODAT_UPSTREAM_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/upstream"),
    };
    assert!(
        dir.join("Codat-Platform.json").is_file() && dir.join("history").is_dir(),
        "Codat's upstream OpenAPI documents are not at {}: set CODAT_UPSTREAM_DIR to the folder \
         holding Codat-Platform.json and history/*.json (e.g. \
         CODAT_UPSTREAM_DIR=/path/to/shared/upstream cargo test --all-features --test drift)",
        dir.display()
    );
    dir
}

fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
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

fn newest() -> Version {
    versions().pop().expect("the newest version")
}

/// Resolves a local `$ref` (`#/...`) with the crate's one reference reader.
fn resolve<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    json_pointer::resolve(doc, reference).unwrap_or_else(|e| panic!("{e}"))
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

/// The six Connections operations of a document, by operationId.
fn operations(doc: &Value) -> Vec<(&'static str, &Value)> {
    let paths = doc["paths"].as_object().expect("the document has paths");
    let mut found = Vec::new();
    for item in paths.values() {
        let Some(item) = item.as_object() else {
            continue;
        };
        for operation in item.values() {
            let id = operation.get("operationId").and_then(Value::as_str);
            if let Some(known) = OPERATIONS.iter().find(|known| Some(**known) == id) {
                found.push((*known, operation));
            }
        }
    }
    found.sort_by_key(|(id, _)| OPERATIONS.iter().position(|known| known == id));
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
    operation: &'static str,
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
                        operation: operation_id,
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
                        operation: operation_id,
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
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
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
    if let Value::Object(map) = &mut expected {
        for key in ignored {
            map.remove(*key);
        }
    }
    let again = without_nulls(&serde_json::to_value(&decoded).map_err(|e| format!("{e}"))?);
    if !equivalent(&again, &expected) {
        return Err(format!(
            "decoded but re-encodes differently:\n sent    {expected}\n decoded {again}"
        ));
    }
    Ok(decoded)
}

/// Decodes one example into the type its status calls for.
fn check_example(example: &Example) -> Result<(), String> {
    match (example.status, example.operation) {
        (200..=299, "list-connections") => {
            decode_exactly::<Connections>(&example.value, &[]).map(drop)
        }
        (200..=299, _) => decode_exactly::<Connection>(&example.value, &[]).map(drop),
        (400..=599, _) => decode_exactly::<ErrorMessage>(&example.value, &[]).map(drop),
        (status, _) => Err(format!("unexpected status {status}")),
    }
}

// ---------------------------------------------------------------------------
// Part 2: instances generated from the raw schemas
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Every property set.
    Full,
    /// Only the required properties.
    Minimal,
    /// Every property set, and every nullable one null.
    Nulls,
}

/// A schema with `$ref`s resolved (sibling keywords win over the target's)
/// and `allOf` merged (properties and required lists united). Boolean
/// schemas stay booleans.
fn flatten(doc: &Value, schema: &Value, depth: usize) -> Value {
    assert!(depth < 64, "schema nesting too deep (a $ref cycle?)");
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
        if let Value::Object(target) = flatten(doc, resolve(doc, reference), depth + 1) {
            out = target;
        }
    }
    for part in map
        .get("allOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Value::Object(part) = flatten(doc, part, depth + 1) else {
            continue;
        };
        for (key, value) in part {
            match (key.as_str(), out.get_mut(&key), value) {
                ("properties", Some(Value::Object(have)), Value::Object(add)) => have.extend(add),
                ("required", Some(Value::Array(have)), Value::Array(add)) => {
                    for name in add {
                        if !have.contains(&name) {
                            have.push(name);
                        }
                    }
                }
                (_, Some(_), _) => {}
                (_, None, value) => {
                    out.insert(key, value);
                }
            }
        }
    }
    for (key, value) in map {
        if key != "$ref" && key != "allOf" {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// The schema's type: `type` (the first non-null one if it is a list), or
/// `object` when it has properties.
fn schema_type(schema: &Value) -> Option<String> {
    match schema.get("type") {
        Some(Value::String(t)) => Some(t.clone()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .map(str::to_owned),
        _ if schema.get("properties").is_some() => Some("object".to_owned()),
        _ => None,
    }
}

fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|types| types.contains(&json!("null")))
}

/// The properties of a flattened object schema, minus those whose schema is
/// `false` (no value is valid: the oldest documents have a *property*
/// literally named `additionalProperties` with schema `false`).
fn properties(schema: &Value) -> Vec<(String, Value)> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, s)| **s != Value::Bool(false))
        .map(|(name, s)| (name.clone(), s.clone()))
        .collect()
}

fn required(schema: &Value) -> BTreeSet<String> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// The schema's own example, if any (`example`, or the first of `examples`).
fn own_example(schema: &Value) -> Option<Value> {
    schema.get("example").cloned().or_else(|| {
        schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|examples| examples.first())
            .cloned()
    })
}

/// An instance of `schema` in `mode`.
fn generate(doc: &Value, schema: &Value, mode: Mode, depth: usize) -> Value {
    assert!(depth < 32, "instance nesting too deep");
    let schema = flatten(doc, schema, 0);
    if schema == Value::Bool(true) {
        return json!("any value");
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        let non_null: Vec<&Value> = values.iter().filter(|v| !v.is_null()).collect();
        let example = own_example(&schema).filter(|e| non_null.contains(&e));
        return example
            .or_else(|| non_null.first().map(|v| (*v).clone()))
            .expect("an enum has a value");
    }
    match schema_type(&schema).as_deref() {
        Some("object") => {
            let mut object = Map::new();
            let required = required(&schema);
            for (name, property) in properties(&schema) {
                if mode == Mode::Minimal && !required.contains(&name) {
                    continue;
                }
                let flat = flatten(doc, &property, 0);
                let value = if mode == Mode::Nulls && is_nullable(&flat) {
                    Value::Null
                } else {
                    generate(doc, &property, mode, depth + 1)
                };
                object.insert(name, value);
            }
            if mode != Mode::Minimal {
                match schema.get("additionalProperties") {
                    Some(Value::Bool(true)) => {
                        object.insert("extraString".to_owned(), json!("value"));
                        object.insert("extraNumber".to_owned(), json!(42));
                        object.insert("extraObject".to_owned(), json!({"nested": [true, null]}));
                    }
                    Some(additional @ Value::Object(_)) => {
                        object.insert(
                            "extraKey".to_owned(),
                            generate(doc, additional, mode, depth + 1),
                        );
                    }
                    _ => {}
                }
            }
            Value::Object(object)
        }
        Some("array") => {
            if mode == Mode::Minimal {
                json!([])
            } else {
                let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
                json!([generate(doc, &items, mode, depth + 1)])
            }
        }
        Some("integer") => own_example(&schema)
            .filter(Value::is_i64)
            .unwrap_or_else(|| {
                let minimum = schema.get("minimum").and_then(Value::as_i64).unwrap_or(1);
                let maximum = schema
                    .get("maximum")
                    .and_then(Value::as_i64)
                    .unwrap_or(i64::MAX);
                json!(minimum.max(1).min(maximum))
            }),
        Some("number") => own_example(&schema)
            .filter(Value::is_number)
            .unwrap_or(json!(1.5)),
        Some("boolean") => own_example(&schema)
            .filter(Value::is_boolean)
            .unwrap_or(json!(true)),
        Some("string") | None => {
            if let Some(example) = own_example(&schema).filter(Value::is_string) {
                return example;
            }
            json!(match schema.get("format").and_then(Value::as_str) {
                Some("uuid") => "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                Some("date-time") => "2021-11-15T06:00:00Z",
                Some("date") => "2022-10-23",
                Some("uri") => "https://example.com/path?query=1",
                Some("uri-reference") => "/companies?page=1&pageSize=10",
                _ => "text",
            })
        }
        Some(other) => panic!("the generator does not handle type {other:?}"),
    }
}

/// Keeps the generator honest: walks `instance` against `schema` and checks
/// that every object has exactly the properties `mode` calls for (all, or
/// only the required ones), that in `Nulls` mode exactly the nullable ones
/// are null, and that every array has an item unless `Minimal`. Returns how
/// many properties it checked and how many were null.
fn check_shape(
    doc: &Value,
    schema: &Value,
    instance: &Value,
    mode: Mode,
    path: &str,
) -> (usize, usize) {
    let schema = flatten(doc, schema, 0);
    let (mut checked, mut nulls) = (0, 0);
    if schema.get("enum").is_some() {
        return (checked, nulls);
    }
    match schema_type(&schema).as_deref() {
        Some("object") => {
            let object = instance
                .as_object()
                .unwrap_or_else(|| panic!("{path}: expected an object, generated {instance}"));
            let required = required(&schema);
            let expected: BTreeSet<String> = properties(&schema)
                .into_iter()
                .map(|(name, _)| name)
                .filter(|name| mode != Mode::Minimal || required.contains(name))
                .collect();
            let declared: BTreeSet<String> = object
                .keys()
                .filter(|key| {
                    schema["properties"].get(key.as_str()).is_some() || mode == Mode::Minimal
                })
                .cloned()
                .collect();
            assert_eq!(
                declared, expected,
                "{path}: the {mode:?} instance does not have the properties the schema lists"
            );
            for (name, property) in properties(&schema) {
                let Some(value) = object.get(&name) else {
                    continue;
                };
                checked += 1;
                let flat = flatten(doc, &property, 0);
                let should_be_null = mode == Mode::Nulls && is_nullable(&flat);
                assert_eq!(
                    value.is_null(),
                    should_be_null,
                    "{path}.{name}: null in a {mode:?} instance must mean nullable"
                );
                if value.is_null() {
                    nulls += 1;
                } else {
                    let (c, n) =
                        check_shape(doc, &property, value, mode, &format!("{path}.{name}"));
                    checked += c;
                    nulls += n;
                }
            }
        }
        Some("array") => {
            let items = instance
                .as_array()
                .unwrap_or_else(|| panic!("{path}: expected an array, generated {instance}"));
            assert_eq!(
                items.is_empty(),
                mode == Mode::Minimal,
                "{path}: array items"
            );
            let item_schema = schema.get("items").cloned().unwrap_or(Value::Bool(true));
            for (i, item) in items.iter().enumerate() {
                let (c, n) = check_shape(doc, &item_schema, item, mode, &format!("{path}[{i}]"));
                checked += c;
                nulls += n;
            }
        }
        _ => {}
    }
    (checked, nulls)
}

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
    // The full instances set what the schema lists, at the top level too.
    let full = generate(doc, connection_schema, Mode::Full, 0);
    let flat = flatten(doc, connection_schema, 0);
    for (name, _) in properties(&flat) {
        assert!(full.get(&name).is_some(), "full instance lacks {name}");
    }
    for name in ["id", "created", "status", "sourceType", "linkUrl"] {
        assert!(full.get(name).is_some(), "Connection schema lacks {name}");
    }
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
            found, OPERATIONS,
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
                     generated Connection and page full/minimal/nulls \
                     ({nullable} nullable properties null): decode"
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

/// The generator against a schema written here, so its rules are pinned
/// independently of what Codat's documents happen to use.
#[test]
fn generator_follows_refs_allof_nullable_and_percent_encoding() {
    let doc = json!({
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
    });
    let schema = json!({"$ref": "#/components/schemas/Both"});
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

// ---------------------------------------------------------------------------
// Part 3: changes Codat has not made yet
// ---------------------------------------------------------------------------

/// The newest document's get-connection example.
fn newest_connection() -> Value {
    let version = newest();
    examples(&version.doc)
        .into_iter()
        .find(|e| e.operation == "get-connection" && e.status == 200)
        .expect("the newest document has a get-connection example")
        .value
}

/// The newest document's list-connections example.
fn newest_page() -> Value {
    let version = newest();
    examples(&version.doc)
        .into_iter()
        .find(|e| e.operation == "list-connections" && e.status == 200)
        .expect("the newest document has a list-connections example")
        .value
}

fn decode_connection(value: &Value) -> Connection {
    serde_json::from_value(value.clone())
        .unwrap_or_else(|e| panic!("does not decode: {e}\n{value:#}"))
}

#[test]
fn future_enum_values_are_kept() {
    let mut value = newest_connection();
    value["status"] = json!("Suspended");
    value["sourceType"] = json!("Payroll");
    value["dataConnectionErrors"] = json!([{
        "statusCode": "503",
        "statusText": "Service Unavailable",
        "errorMessage": "The platform is down",
        "erroredOnUtc": "2024-05-01T10:00:00Z",
        "status": "Escalated",
        "resolvedOnUtc": null
    }]);
    let connection = decode_connection(&value);
    assert_eq!(
        connection.status,
        ConnectionStatus::Unknown("Suspended".into())
    );
    assert!(!connection.status.is_known());
    assert_eq!(
        connection.source_type,
        SourceType::Unrecognized("Payroll".into())
    );
    let errors = connection
        .data_connection_errors
        .as_ref()
        .expect("errors decode");
    assert_eq!(
        errors[0].status,
        Some(DataConnectionErrorStatus::Unknown("Escalated".into()))
    );
    // Written back unchanged.
    let again = serde_json::to_value(&connection).expect("encodes");
    assert_eq!(again["status"], "Suspended");
    assert_eq!(again["sourceType"], "Payroll");
    assert_eq!(again["dataConnectionErrors"][0]["status"], "Escalated");
    support::record(
        AREA,
        "future: status Suspended, sourceType Payroll, error status Escalated",
        "decode to the catch-all variants and re-encode unchanged",
    );
}

#[test]
fn future_fields_are_ignored() {
    let base = newest_connection();
    let mut value = base.clone();
    value["syncSettings"] = json!({"frequency": "daily", "windows": [{"from": 1, "to": 2}]});
    value["tags"] = json!(["a", "b", {"c": null}]);
    value["healthScore"] = json!(0.93);
    value["isSandbox"] = json!(false);
    value["previousStatus"] = Value::Null;
    value["dataConnectionErrors"] = json!([{
        "statusCode": "401",
        "erroredOnUtc": "2024-05-01T10:00:00Z",
        "status": "Active",
        "retryAfter": {"seconds": 30, "hints": ["backoff"]},
        "causes": [{"code": 1}]
    }]);
    let connection = decode_connection(&value);
    let mut expected = base.clone();
    expected["dataConnectionErrors"] =
        json!([{"statusCode": "401", "erroredOnUtc": "2024-05-01T10:00:00Z", "status": "Active"}]);
    assert_eq!(connection, decode_connection(&expected));
    let errors = connection.data_connection_errors.expect("errors decode");
    assert_eq!(errors[0].status, Some(DataConnectionErrorStatus::Active));
    assert_eq!(errors[0].status_code.as_deref(), Some("401"));
    support::record(
        AREA,
        "future: new top-level and nested fields (objects, arrays, numbers, bools, null)",
        "ignored; the known fields decode as without them",
    );
}

#[test]
fn future_nulls_in_every_optional_field() {
    let mut value = newest_connection();
    for key in [
        "integrationKey",
        "lastSync",
        "dataConnectionErrors",
        "connectionInfo",
    ] {
        value[key] = Value::Null;
    }
    let connection = decode_connection(&value);
    assert_eq!(connection.integration_key, None);
    assert_eq!(connection.last_sync, None);
    assert_eq!(connection.data_connection_errors, None);
    assert_eq!(connection.connection_info, None);

    value["dataConnectionErrors"] = json!([{
        "statusCode": null, "statusText": null, "errorMessage": null,
        "erroredOnUtc": null, "status": null, "resolvedOnUtc": null
    }]);
    let connection = decode_connection(&value);
    let errors = connection.data_connection_errors.expect("errors decode");
    assert_eq!(
        errors,
        vec![codat_connections::DataConnectionError::default()]
    );
    support::record(
        AREA,
        "future: null in every optional field (Connection and dataConnectionErrors[])",
        "decodes to None",
    );
}

#[test]
fn future_connection_info_holds_any_json() {
    let mut value = newest_connection();
    let info = json!({
        "realmId": "123",
        "nested": {"deeper": {"list": [1, 2.5, -3, true, null, "x", {"k": []}]}},
        "count": 7,
        "ratio": 0.25,
        "enabled": true,
        "nothing": null,
        "list": []
    });
    value["connectionInfo"] = info.clone();
    let connection = decode_connection(&value);
    assert_eq!(
        connection.connection_info.map(Value::Object),
        Some(info),
        "connectionInfo is kept exactly"
    );
    support::record(
        AREA,
        "future: connectionInfo with nested objects, arrays, numbers, bools, nulls",
        "decodes and keeps every value",
    );
}

/// Whether a decoded `DateTime` is the variant a form must decode to.
type IsVariant = fn(&DateTime) -> bool;

#[test]
fn future_date_time_forms_in_every_date_field() {
    // (as sent, as written back, the variant it must decode to)
    let forms: [(&str, &str, IsVariant); 7] = [
        ("2021-11-15T06:00:00Z", "2021-11-15T06:00:00Z", |d| {
            matches!(d, DateTime::Utc(_))
        }),
        ("2021-11-15T01:00:00", "2021-11-15T01:00:00", |d| {
            matches!(d, DateTime::Local(_))
        }),
        (
            "2021-11-15T01:00:00-05:00",
            "2021-11-15T01:00:00-05:00",
            |d| matches!(d, DateTime::Offset(_)),
        ),
        (
            "2021-11-15T06:00:00+00:00",
            "2021-11-15T06:00:00+00:00",
            |d| matches!(d, DateTime::Offset(_)),
        ),
        // Seven digits are written back as seven.
        (
            "2022-10-27T10:22:43.6464237Z",
            "2022-10-27T10:22:43.6464237Z",
            |d| matches!(d, DateTime::Utc(_)),
        ),
        (
            "2022-10-27T10:22:43.6464237",
            "2022-10-27T10:22:43.6464237",
            |d| matches!(d, DateTime::Local(_)),
        ),
        ("2022-10-23", "2022-10-23", |d| {
            matches!(d, DateTime::Date(_))
        }),
    ];
    for (form, written, is_expected_variant) in forms {
        let mut value = newest_connection();
        value["created"] = json!(form);
        value["lastSync"] = json!(form);
        value["dataConnectionErrors"] = json!([{
            "erroredOnUtc": form, "resolvedOnUtc": form, "status": "Resolved"
        }]);
        let connection = decode_connection(&value);
        let errors = connection
            .data_connection_errors
            .as_ref()
            .expect("errors decode");
        let dates = [
            Some(connection.created),
            connection.last_sync,
            errors[0].errored_on_utc,
            errors[0].resolved_on_utc,
        ];
        for date in dates {
            let date = date.unwrap_or_else(|| panic!("{form}: a date field decoded to None"));
            assert!(is_expected_variant(&date), "{form} decoded to {date:?}");
            assert_eq!(
                date.to_string(),
                written,
                "{form} is written back as {written}"
            );
            assert_eq!(
                written.parse::<DateTime>().ok(),
                Some(date),
                "{written} is {form}"
            );
        }
    }
    let utc: DateTime = "2021-11-15T01:00:00-05:00".parse().expect("parses");
    assert_eq!(
        utc.to_utc().map(|u| u.to_rfc3339()).as_deref(),
        Some("2021-11-15T06:00:00+00:00")
    );
    support::record(
        AREA,
        "future: created, lastSync, erroredOnUtc, resolvedOnUtc in Z, local, offset, 7-digit fraction and date-only forms",
        "decode to the matching DateTime variant; re-encode unchanged (7 digits as 9)",
    );
}

#[test]
fn future_page_with_extra_links_and_fields() {
    let mut page = newest_page();
    page["_links"]["first"] = json!({"href": "/companies/x/connections?page=1"});
    page["_links"]["last"] = json!({"href": "/companies/x/connections?page=9", "templated": false});
    page["_links"]["self"]["title"] = json!("This page");
    page["_links"]["next"] = Value::Null;
    page["nextCursor"] = json!("opaque-cursor");
    page["meta"] = json!({"generatedAt": "2026-01-01T00:00:00Z", "shards": [1, 2]});
    let mut second = newest_connection();
    second["status"] = json!("Suspended");
    second["id"] = json!("0f5f2c39-3f0f-4e1f-9b7a-3a1f2d5e6c7b");
    page["results"]
        .as_array_mut()
        .expect("results")
        .push(second);
    let decoded: Connections = serde_json::from_value(page.clone())
        .unwrap_or_else(|e| panic!("page does not decode: {e}\n{page:#}"));
    assert_eq!(decoded.results.len(), 2);
    assert_eq!(
        decoded.results[1].status,
        ConnectionStatus::Unknown("Suspended".into())
    );
    assert_eq!(decoded.links.next, None);
    assert_eq!(
        decoded.links.self_.href,
        page["_links"]["self"]["href"].as_str().map(str::to_owned)
    );
    assert_eq!(
        decoded.links.current.href,
        page["_links"]["current"]["href"]
            .as_str()
            .map(str::to_owned)
    );
    assert_eq!(Some(decoded.page_number), page["pageNumber"].as_i64());
    assert_eq!(Some(decoded.total_results), page["totalResults"].as_i64());
    support::record(
        AREA,
        "future: page with extra _links entries, extra link fields, next null, extra top-level fields",
        "decodes; extras ignored",
    );
}

// ---------------------------------------------------------------------------
// Part 4: negative control
// ---------------------------------------------------------------------------

#[test]
fn genuinely_invalid_responses_do_not_decode() {
    let base = newest_connection();
    // The control's control: the untouched example decodes.
    decode_connection(&base);
    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut missing_created = base.clone();
    missing_created
        .as_object_mut()
        .expect("an object")
        .remove("created");
    cases.push(("created missing", missing_created));
    let mut bad_id = base.clone();
    bad_id["id"] = json!("not-a-uuid");
    cases.push(("id not a UUID", bad_id));
    let mut bad_date = base.clone();
    bad_date["created"] = json!("yesterday");
    cases.push(("created not a date", bad_date));
    let mut numeric_status = base.clone();
    numeric_status["status"] = json!(3);
    cases.push(("status a number", numeric_status));
    for (name, value) in &cases {
        assert!(
            serde_json::from_value::<Connection>(value.clone()).is_err(),
            "{name}: decoded although invalid: {value}"
        );
    }
    let mut page = newest_page();
    page.as_object_mut().expect("an object").remove("_links");
    assert!(
        serde_json::from_value::<Connections>(page).is_err(),
        "a page without _links decoded"
    );
    // And the generated instances can fail too: a full instance with its
    // `id` broken is refused.
    let version = newest();
    let schema = response_schema(&version.doc, "get-connection", "200");
    let mut generated = generate(&version.doc, schema, Mode::Full, 0);
    generated["id"] = json!(42);
    assert!(serde_json::from_value::<Connection>(generated).is_err());
    support::record(
        AREA,
        "negative control: created missing, id not a UUID, created not a date, status a number, page without _links",
        "refused",
    );
}
