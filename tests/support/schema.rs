//! Instances of an OpenAPI document's schemas, built by walking the schemas
//! themselves: the fixed instances the drift tests decode for every published
//! version of Codat's document (every property, only the required ones, every
//! nullable one null), and the proptest strategies of valid instances the
//! property tests decode.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

use super::json_pointer;

/// The crate's own document, `openapi/connections.json`, read once.
pub fn connections_document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        read_json(&PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("openapi/connections.json"))
    })
}

/// The JSON in the file at `path`.
pub fn read_json(path: &std::path::Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// A reference to the component schema `name` (`#/components/schemas/<name>`).
pub fn component(name: &str) -> Value {
    json!({ "$ref": json_pointer::ref_string(&["components", "schemas", name]) })
}

/// Every operation in `doc` that has an `operationId`, by that id, in the
/// document's order.
pub fn operations(doc: &Value) -> Vec<(&str, &Value)> {
    doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|paths| paths.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|operation| {
            let id = operation.get("operationId").and_then(Value::as_str)?;
            Some((id, operation))
        })
        .collect()
}

/// Every name any schema in `doc` gives a property.
pub fn property_names(doc: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut stack = vec![doc];
    while let Some(node) = stack.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::Object(properties)) = map.get("properties") {
                    names.extend(properties.keys().cloned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    names
}

// ---------------------------------------------------------------------------
// Fixed instances
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
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
pub fn flatten(doc: &Value, schema: &Value, depth: usize) -> Value {
    assert!(depth < 64, "schema nesting too deep (a $ref cycle?)");
    let Value::Object(map) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    if let Some(reference) = map.get("$ref").and_then(Value::as_str)
        && let Value::Object(target) = flatten(
            doc,
            json_pointer::resolve(doc, reference).unwrap_or_else(|e| panic!("{e}")),
            depth + 1,
        )
    {
        out = target;
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
pub fn schema_type(schema: &Value) -> Option<String> {
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

pub fn is_nullable(schema: &Value) -> bool {
    schema.get("nullable") == Some(&Value::Bool(true))
        || schema
            .get("type")
            .and_then(Value::as_array)
            .is_some_and(|types| types.contains(&json!("null")))
}

/// The properties of a flattened object schema, minus those whose schema is
/// `false` (no value is valid: the oldest documents have a *property*
/// literally named `additionalProperties` with schema `false`).
pub fn properties(schema: &Value) -> Vec<(String, Value)> {
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

/// An instance of `schema` in `mode` (`depth` is 0 at the top).
pub fn generate(doc: &Value, schema: &Value, mode: Mode, depth: usize) -> Value {
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
pub fn check_shape(
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

// ---------------------------------------------------------------------------
// Random instances
// ---------------------------------------------------------------------------

/// The values a random instance is made of where its schema leaves them
/// open; the schema gives the structure.
pub struct Leaves {
    /// The strategy for a property, by its name and flattened schema, where
    /// the caller has a sharper one than the schema's type alone gives.
    pub value: fn(&str, &Value) -> Option<BoxedStrategy<Value>>,
    /// Whether an optional property (name, flattened schema) may be `null`.
    pub null: fn(&str, &Value) -> bool,
    /// Any value: for `additionalProperties: true` and schemas without a type.
    pub free: fn() -> BoxedStrategy<Value>,
    /// Members Codat may add to an object later, given the names it has.
    pub unknown: fn(BTreeSet<String>) -> BoxedStrategy<Map<String, Value>>,
}

/// Valid instances of `schema` (a property named `name`): every required
/// property, each optional one absent, `null` or set, and unknown members.
pub fn arbitrary(doc: &Value, schema: &Value, name: &str, leaves: &Leaves) -> BoxedStrategy<Value> {
    let schema = flatten(doc, schema, 0);
    if let Some(strategy) = (leaves.value)(name, &schema) {
        return strategy;
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(values.clone()).boxed();
    }
    match schema_type(&schema).as_deref() {
        Some("object") => arbitrary_object(doc, &schema, leaves),
        Some("array") => {
            let items = schema.get("items").cloned().unwrap_or(Value::Bool(true));
            vec(arbitrary(doc, &items, name, leaves), 0..3)
                .prop_map(Value::Array)
                .boxed()
        }
        Some("integer") => any::<i64>().prop_map(Value::from).boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("string") => any::<String>().prop_map(Value::String).boxed(),
        _ => (leaves.free)(),
    }
}

fn arbitrary_object(doc: &Value, schema: &Value, leaves: &Leaves) -> BoxedStrategy<Value> {
    let required = required(schema);
    let mut names = BTreeSet::new();
    let mut members = Vec::new();
    for (name, property) in properties(schema) {
        let key = name.clone();
        let set =
            arbitrary(doc, &property, &name, leaves).prop_map(move |v| Some((key.clone(), v)));
        members.push(if required.contains(&name) {
            set.boxed()
        } else if (leaves.null)(&name, &flatten(doc, &property, 0)) {
            let null = Just(Some((name.clone(), Value::Null)));
            prop_oneof![1 => Just(None), 1 => null, 3 => set].boxed()
        } else {
            prop_oneof![1 => Just(None), 3 => set].boxed()
        });
        names.insert(name);
    }
    let others = if schema.get("additionalProperties") == Some(&Value::Bool(true)) {
        btree_map(any::<String>(), (leaves.free)(), 0..4)
            .prop_map(|members| members.into_iter().collect())
            .boxed()
    } else {
        (leaves.unknown)(names)
    };
    (members, others)
        .prop_map(|(members, mut object)| {
            object.extend(members.into_iter().flatten());
            Value::Object(object)
        })
        .boxed()
}
