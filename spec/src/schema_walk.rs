//! Visits every JSON Schema object of an OpenAPI document, and nothing else:
//! example payloads are data, so a key named `schema` or `$ref` inside one is
//! never mistaken for part of the contract.

use serde_json::Value;

/// Keys whose values are example data, never schemas or OpenAPI objects.
const EXAMPLE_KEYS: [&str; 3] = ["example", "examples", "value"];

/// Calls `visit` on every schema in `doc`: `components.schemas.*`, every
/// `schema` of a parameter, header or media type, and (recursively) every
/// sub-schema of those. A schema is visited before its sub-schemas, so a
/// visitor may reshape a node and have the reshaped node's children visited.
pub fn for_each_schema_mut(doc: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    walk_document(doc, false, visit);
}

fn walk_document(node: &mut Value, under_components: bool, visit: &mut dyn FnMut(&mut Value)) {
    match node {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if EXAMPLE_KEYS.contains(&key.as_str()) {
                    continue;
                }
                if key == "schema" {
                    for_each_subschema(child, visit);
                } else if under_components && key == "schemas" {
                    if let Value::Object(schemas) = child {
                        for schema in schemas.values_mut() {
                            for_each_subschema(schema, visit);
                        }
                    }
                } else {
                    walk_document(child, key == "components", visit);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                walk_document(item, false, visit);
            }
        }
        _ => {}
    }
}

/// Calls `visit` on `schema` and then on each of its sub-schemas.
pub fn for_each_subschema(schema: &mut Value, visit: &mut dyn FnMut(&mut Value)) {
    if !schema.is_object() {
        return;
    }
    visit(schema);
    let Value::Object(map) = schema else { return };
    for (key, child) in map.iter_mut() {
        match key.as_str() {
            "properties" | "definitions" | "patternProperties" => {
                if let Value::Object(children) = child {
                    for sub in children.values_mut() {
                        for_each_subschema(sub, visit);
                    }
                }
            }
            "allOf" | "anyOf" | "oneOf" => {
                if let Value::Array(children) = child {
                    for sub in children {
                        for_each_subschema(sub, visit);
                    }
                }
            }
            "items" | "additionalProperties" | "not" => for_each_subschema(child, visit),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn visited_titles(mut doc: Value) -> Vec<String> {
        let mut titles = Vec::new();
        for_each_schema_mut(&mut doc, &mut |s| {
            if let Some(t) = s.get("title").and_then(Value::as_str) {
                titles.push(t.to_owned());
            }
        });
        titles.sort();
        titles
    }

    #[test]
    fn finds_schemas_everywhere_but_in_examples() {
        let doc = json!({
            "paths": {"/x": {"get": {
                "parameters": [{"name": "p", "schema": {"title": "param"}}],
                "responses": {"200": {"content": {"application/json": {
                    "schema": {"title": "body", "items": {"title": "item"}},
                    "examples": {"e": {"value": {"schema": {"title": "not a schema"}}}}
                }}}}
            }}},
            "components": {"schemas": {
                "A": {"title": "a", "properties": {"b": {"title": "b"}},
                      "allOf": [{"title": "part"}], "additionalProperties": {"title": "extra"}}
            }}
        });
        assert_eq!(
            visited_titles(doc),
            ["a", "b", "body", "extra", "item", "param", "part"]
        );
    }
}
