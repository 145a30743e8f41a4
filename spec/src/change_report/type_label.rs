//! How the report names a schema's type, seeing through references to plain
//! schemas so that a value inlined in one document and referenced in the
//! other reads the same.

use serde_json::Value;

use crate::json_pointer::{ref_segments, resolve};

/// A schema that only names another simple schema describes that one's
/// constraints; this finds it.
pub fn simple_target<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match single_ref(schema) {
        Some(r) => match resolve(doc, r) {
            Ok(target) if is_simple(target) => target,
            _ => schema,
        },
        None => schema,
    }
}

fn single_ref(schema: &Value) -> Option<&str> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        return Some(r);
    }
    match schema
        .get("allOf")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    {
        Some([only]) => only.get("$ref").and_then(Value::as_str),
        _ => None,
    }
}

/// A plain string, number or boolean without its own values or fields: two
/// documents that reference it in one and inline it in the other mean the same.
fn is_simple(schema: &Value) -> bool {
    schema.get("enum").is_none()
        && schema.get("properties").is_none()
        && schema.get("allOf").is_none()
        && matches!(
            schema.get("type").and_then(Value::as_str),
            Some("string" | "integer" | "number" | "boolean")
        )
}

pub fn type_label(doc: &Value, schema: &Value) -> String {
    if let Some(reference) = single_ref(schema) {
        if let Ok(target) = resolve(doc, reference)
            && is_simple(target)
        {
            return type_label(doc, target);
        }
        return ref_segments(reference)
            .ok()
            .and_then(|s| s.last().cloned())
            .unwrap_or_else(|| reference.to_owned());
    }
    if schema.get("allOf").is_some() {
        return "allOf".to_owned();
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("array") => {
            let items = schema.get("items").unwrap_or(&Value::Null);
            format!("array of {}", type_label(doc, items))
        }
        Some("object") => match schema.get("additionalProperties") {
            Some(Value::Bool(true)) if schema.get("properties").is_none() => {
                "map of any".to_owned()
            }
            Some(values @ Value::Object(_)) if schema.get("properties").is_none() => {
                format!("map of {}", type_label(doc, values))
            }
            _ => "object".to_owned(),
        },
        Some(t) => match schema.get("format").and_then(Value::as_str) {
            Some(format) => format!("{t} ({format})"),
            None => t.to_owned(),
        },
        None => "any".to_owned(),
    }
}
