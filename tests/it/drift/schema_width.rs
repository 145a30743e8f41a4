//! The JSON schemas the `schemars` feature derives for `Connection` and
//! `Company` accept everything Codat's newest document allows for them,
//! field by field: "spec-faithful types" as a checkable promise.
//!
//! Each of Codat's properties is tried alone, on an instance holding only
//! the required ones, with every kind of value Codat's schema allows for it
//! (each enum value, `null` where nullable, an empty and a full array, an
//! object with every, only the required and every nullable property null,
//! any string where Codat allows any); the instances are validated against
//! our derived schema by the `jsonschema` crate.

use codat_connections::{Company, Connection};
use jsonschema::Draft;
use serde_json::{Value, json};

use crate::support;
use crate::support::schema::{Mode, flatten, generate, is_nullable, properties, schema_type};

/// What of `codat` (a schema in Codat's document `doc`) our schema `ours`
/// (a whole derived schema) does not accept: one line per refused instance.
fn refusals(doc: &Value, codat: &Value, ours: &Value, name: &str) -> Vec<String> {
    let validator = jsonschema::options()
        .with_draft(Draft::Draft7)
        .build(ours)
        .unwrap_or_else(|e| panic!("our schema of {name} is not a valid JSON schema: {e}"));
    let mut refused = Vec::new();
    for (what, instance) in instances(doc, codat, name) {
        if let Some(error) = validator.iter_errors(&instance).next() {
            refused.push(format!("{what}: {error} (at {})", error.instance_path()));
        }
    }
    refused
}

/// Instances Codat's `schema` allows, each with what it tries.
fn instances(doc: &Value, schema: &Value, name: &str) -> Vec<(String, Value)> {
    let mut out = vec![
        (
            format!("{name}, every property"),
            generate(doc, schema, Mode::Full, 0),
        ),
        (
            format!("{name}, required only"),
            generate(doc, schema, Mode::Minimal, 0),
        ),
        (
            format!("{name}, nullable ones null"),
            generate(doc, schema, Mode::Nulls, 0),
        ),
    ];
    let base = generate(doc, schema, Mode::Minimal, 0);
    for (property, property_schema) in properties(&flatten(doc, schema, 0)) {
        for (kind, value) in alternatives(doc, &property_schema) {
            let mut instance = base.clone();
            instance[&property] = value.clone();
            out.push((format!("{name}.{property} = {value} ({kind})"), instance));
        }
    }
    out
}

/// Every kind of value Codat's `schema` allows, by what it is.
fn alternatives(doc: &Value, schema: &Value) -> Vec<(&'static str, Value)> {
    let flat = flatten(doc, schema, 0);
    let mut out = Vec::new();
    if is_nullable(&flat) {
        out.push(("null", Value::Null));
    }
    if let Some(values) = flat.get("enum").and_then(Value::as_array) {
        out.extend(
            values
                .iter()
                .filter(|v| !v.is_null())
                .map(|v| ("enum value", v.clone())),
        );
        return out;
    }
    for mode in [Mode::Full, Mode::Minimal, Mode::Nulls] {
        out.push(("generated", generate(doc, schema, mode, 0)));
    }
    match schema_type(&flat).as_deref() {
        Some("array") => out.push(("empty array", json!([]))),
        Some("object") if flat.get("additionalProperties").is_some_and(|a| a != false) => {
            out.push(("empty map", json!({})))
        }
        Some("string") if flat.get("format").is_none() && flat.get("pattern").is_none() => {
            let bounded = flat.get("minLength").is_some() || flat.get("maxLength").is_some();
            if !bounded {
                out.push(("any string", json!("")));
                out.push(("any string", json!("eiusmod tempor")));
            }
        }
        Some("integer") => out.push(("integer", json!(0))),
        None if flat.get("properties").is_none() => {
            for any in [
                json!("text"),
                json!(-1),
                json!(true),
                json!({"a": [1]}),
                json!([]),
            ] {
                out.push(("any JSON", any));
            }
        }
        _ => {}
    }
    out
}

/// The names of the properties of `schema` (a whole derived schema, its
/// `$ref`s into its own `definitions`).
fn our_properties(ours: &Value) -> Vec<String> {
    properties(&flatten(ours, ours, 0))
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

fn derived<T: schemars::JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("a schema serialises")
}

/// Codat's schema called `name` in its newest document.
fn codat(name: &str) -> (Value, &'static Value) {
    let doc = support::upstream::newest();
    (
        json!({ "$ref": format!("#/components/schemas/{name}") }),
        doc,
    )
}

#[test]
fn derived_schemas_accept_everything_codats_schemas_allow_field_by_field() {
    for (name, ours) in [
        ("Connection", derived::<Connection>()),
        ("Company", derived::<Company>()),
    ] {
        let (schema, doc) = codat(name);
        let tried = instances(doc, &schema, name).len();
        assert!(
            tried > 20,
            "only {tried} instances of {name}: the generator lost its way"
        );
        let refused = refusals(doc, &schema, &ours, name);
        assert!(
            refused.is_empty(),
            "our schema of {name} refuses what Codat allows:\n{}",
            refused.join("\n")
        );
        // Wider is not enough: each of Codat's fields is one of ours, so
        // none is dropped on the way in.
        let have = our_properties(&ours);
        for (property, _) in properties(&flatten(doc, &schema, 0)) {
            assert!(
                have.contains(&property),
                "{name}.{property} is not a field of ours: {have:?}"
            );
        }
    }
}

#[test]
fn a_schema_narrower_than_codats_is_caught_naming_the_field() {
    let (schema, doc) = codat("Connection");
    let mut narrowed = derived::<Connection>();
    // As if `status` were a closed enum without `Deauthorized`, and
    // `lastSync` could not be null.
    let mut flat = flatten(&narrowed, &narrowed, 0);
    flat["properties"]["status"] = json!({ "enum": ["PendingAuth", "Linked", "Unlinked"] });
    flat["properties"]["lastSync"] = json!({ "type": "string" });
    let definitions = narrowed["definitions"].take();
    narrowed = flat;
    narrowed["definitions"] = definitions;
    let refused = refusals(doc, &schema, &narrowed, "Connection");
    assert!(
        refused
            .iter()
            .any(|r| r.starts_with("Connection.status = \"Deauthorized\"")),
        "{refused:#?}"
    );
    assert!(
        refused
            .iter()
            .any(|r| r.starts_with("Connection.lastSync = null")),
        "{refused:#?}"
    );
    assert!(
        !refused
            .iter()
            .any(|r| r.contains("Connection.platformName")),
        "{refused:#?}"
    );
}
