//! The rewrite rules that turn Codat's OpenAPI 3.1-flavoured document into the
//! OpenAPI 3.0.3 that progenitor and typify generate faithful Rust from.
//!
//! Each rule is one function with the reason it exists, and
//! [`apply_all`] runs them in a fixed order. Rules run after the Connections
//! operations were selected and every foreign `$ref` was hoisted.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::json_pointer::ref_string;
use crate::reachability::{
    component_schemas_reachable, component_schemas_reachable_from_responses, operation_parts,
};
use crate::schema_walk::{for_each_schema_mut, for_each_subschema};

/// The OpenAPI version the checked-in document declares.
pub const OPENAPI_VERSION: &str = "3.0.3";

/// Runs every rule, in order.
pub fn apply_all(doc: &mut Value) {
    declare_openapi_3_0(doc);
    schema_examples_to_example(doc);
    name_inline_enums(doc);
    wrap_ref_siblings_in_all_of(doc);
    drop_schema_definitions(doc);
    drop_boolean_property_schemas(doc);
    drop_property_names(doc);
    spell_additional_properties(doc);
    open_response_objects(doc);
    copy_limited_schemas_into_requests(doc);
    drop_limits_on_received_values(doc);
    strip_byte_order_marks(doc);
}

/// Codat declares `openapi: 3.1.0` but writes (almost) 3.0; progenitor only
/// accepts `3.0.x`, and the other rules remove what 3.0 does not allow.
pub fn declare_openapi_3_0(doc: &mut Value) {
    doc["openapi"] = Value::from(OPENAPI_VERSION);
}

/// JSON Schema 2020-12 (OpenAPI 3.1) has an `examples` array in schemas;
/// OpenAPI 3.0 has a single `example`. A 3.0 parser rejects the array, so the
/// first example is kept as `example` (an existing `example` wins).
pub fn schema_examples_to_example(doc: &mut Value) {
    for_each_schema_mut(doc, &mut |schema| {
        let Value::Object(map) = schema else { return };
        if let Some(Value::Array(examples)) = map.remove("examples")
            && !map.contains_key("example")
            && let Some(first) = examples.into_iter().next()
        {
            map.insert("example".into(), first);
        }
    });
}

/// typify generates a closed Rust enum for an inline `enum`, and progenitor
/// can only replace *named* schemas with our open enums; a new value Codat
/// adds to an inline enum would then fail decoding of the whole response.
/// So every enum defined inline in a property of a component schema becomes a
/// component of its own, named `<Schema><Property>` (such as
/// `DataConnectionErrorStatus`); `nullable` and `description` stay on the
/// property, which now references it.
pub fn name_inline_enums(doc: &mut Value) {
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    let mut named = Vec::new();
    for (schema_name, schema) in schemas.iter_mut() {
        let Some(Value::Object(properties)) = schema.get_mut("properties") else {
            continue;
        };
        for (property, sub) in properties.iter_mut() {
            let Value::Object(map) = sub else { continue };
            if !map.contains_key("enum") || map.contains_key("$ref") {
                continue;
            }
            let name = format!("{schema_name}{}", upper_first(property));
            let mut enum_schema = std::mem::take(map);
            let mut reference = Map::new();
            reference.insert(
                "$ref".into(),
                Value::from(ref_string(&["components", "schemas", &name])),
            );
            for key in ["nullable", "description"] {
                if let Some(value) = enum_schema.remove(key) {
                    reference.insert(key.into(), value);
                }
            }
            *map = reference;
            named.push((name, Value::Object(enum_schema)));
        }
    }
    for (name, schema) in named {
        schemas.entry(name).or_insert(schema);
    }
}

fn upper_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// In OpenAPI 3.0 every keyword beside `$ref` is ignored, so Codat's
/// `{"$ref": ..., "nullable": true}` would silently lose `nullable` (and a
/// generated field would fail on `null`). Wrapping the reference in a
/// one-element `allOf` keeps the siblings meaningful in 3.0.
pub fn wrap_ref_siblings_in_all_of(doc: &mut Value) {
    for_each_schema_mut(doc, &mut |schema| {
        let Value::Object(map) = schema else { return };
        if map.len() < 2 {
            return;
        }
        let Some(reference) = map.remove("$ref") else {
            return;
        };
        let mut target = Map::new();
        target.insert("$ref".into(), reference);
        map.insert("allOf".into(), Value::Array(vec![Value::Object(target)]));
    });
}

/// `definitions` is not an OpenAPI 3.0 schema keyword. Everything the
/// Connections operations use from Codat's `definitions` has been hoisted into
/// `components/schemas` before this rule runs, so what is left is unused.
pub fn drop_schema_definitions(doc: &mut Value) {
    drop_keyword(doc, "definitions");
}

/// Removes `keyword` from every schema of `doc`.
fn drop_keyword(doc: &mut Value, keyword: &str) {
    for_each_schema_mut(doc, &mut |schema| {
        if let Value::Object(map) = schema {
            map.remove(keyword);
        }
    });
}

/// A boolean schema (`true`/`false`) is JSON Schema 2020-12 only; OpenAPI 3.0
/// requires an object. Codat's documents before September 2024 carried
/// `"additionalProperties": false` *inside* `Connection.properties`, i.e. a
/// property literally named `additionalProperties` with the schema `false`
/// ("must be absent"). There is no field to generate for it, so it goes.
pub fn drop_boolean_property_schemas(doc: &mut Value) {
    for_each_schema_mut(doc, &mut |schema| {
        if let Some(Value::Object(properties)) = schema.get_mut("properties") {
            properties.retain(|_, sub| !sub.is_boolean());
        }
    });
}

/// `propertyNames` is JSON Schema 2020-12 only; OpenAPI 3.0 rejects it. Codat
/// uses it to limit the keys of a company's `tags` (in the company reference
/// of a connection webhook), which this SDK only receives: a key Codat sends
/// is kept whatever its length, so the constraint goes.
pub fn drop_property_names(doc: &mut Value) {
    drop_keyword(doc, "propertyNames");
}

/// Codat's documents from September 2024 to June 2025 spell a company's
/// `tags` map `"additional properties"` (with a space), which no schema
/// dialect knows and OpenAPI 3.0 rejects; later documents spell it
/// `additionalProperties`. The evident meaning is kept: a map of strings.
pub fn spell_additional_properties(doc: &mut Value) {
    for_each_schema_mut(doc, &mut |schema| {
        if let Value::Object(map) = schema
            && let Some(values) = map.remove("additional properties")
        {
            map.entry("additionalProperties").or_insert(values);
        }
    });
}

/// typify turns `additionalProperties: false` into `#[serde(deny_unknown_fields)]`,
/// so the first field Codat adds to a response would make every call fail to
/// decode. Codat adds fields without notice, so schemas that appear in a
/// response are opened; schemas used only in requests stay closed.
pub fn open_response_objects(doc: &mut Value) {
    let response_schemas = component_schemas_reachable_from_responses(doc);
    let open = &mut |schema: &mut Value| {
        if let Value::Object(map) = schema
            && map.get("additionalProperties") == Some(&Value::Bool(false))
        {
            map.remove("additionalProperties");
        }
    };
    if let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            if response_schemas.contains(name) {
                for_each_subschema(schema, open);
            }
        }
    }
    for response in responses_mut(doc) {
        if let Some(Value::Object(content)) = response.get_mut("content") {
            for media in content.values_mut() {
                if let Some(schema) = media.get_mut("schema") {
                    for_each_subschema(schema, open);
                }
            }
        }
    }
}

/// The component schemas this SDK sends (reached from a request, a
/// parameter or a request body), and those it receives (reached from a
/// response or a webhook).
fn sent_and_received(doc: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let received = component_schemas_reachable_from_responses(doc);
    let mut sent_roots = operation_parts(doc).sent;
    sent_roots.extend(doc.pointer("/components/parameters"));
    sent_roots.extend(doc.pointer("/components/requestBodies"));
    (component_schemas_reachable(doc, sent_roots), received)
}

/// A schema with limits that is both sent and received (a company's tags:
/// in the create-company body, and in every company and webhook Codat sends)
/// cannot keep its limits for what is sent and drop them for what is
/// received ([`drop_limits_on_received_values`]) while it is one type. So
/// each request-only schema that references it gets its own copy instead
/// (typify names it after the property, `CompanyRequestBodyTags`), with the
/// limits, and the shared schema is left to what is received.
pub fn copy_limited_schemas_into_requests(doc: &mut Value) {
    let (sent, received) = sent_and_received(doc);
    let Some(Value::Object(schemas)) = doc.pointer("/components/schemas") else {
        return;
    };
    let limited = |schema: &Value| {
        let mut found = false;
        for_each_subschema(&mut schema.clone(), &mut |sub| {
            found |= sub.get("maxLength").is_some() || sub.get("maxProperties").is_some();
        });
        found
    };
    let copies: Vec<(String, Value)> = schemas
        .iter()
        .filter(|(name, schema)| {
            sent.contains(*name) && received.contains(*name) && limited(schema)
        })
        .map(|(name, schema)| (ref_string(&["components", "schemas", name]), schema.clone()))
        .collect();
    let request_only: Vec<String> = schemas
        .keys()
        .filter(|name| sent.contains(*name) && !received.contains(*name))
        .cloned()
        .collect();
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    for name in request_only {
        if let Some(schema) = schemas.get_mut(&name) {
            for_each_subschema(schema, &mut |sub| {
                let target = sub.get("$ref").and_then(Value::as_str);
                if let Some((_, copy)) = copies.iter().find(|(r, _)| Some(r.as_str()) == target) {
                    *sub = copy.clone();
                }
            });
        }
    }
}

/// typify turns `maxLength` and `maxProperties` into checks made while
/// decoding, so a company tag one character longer than Codat documents
/// today would make a whole webhook undecodable (and Codat would retry it
/// for days). Limits on what Codat sends are Codat's to enforce: they are
/// dropped from schemas that are only received (reached from a response or
/// a webhook, never from a request), and kept where this SDK sends data.
pub fn drop_limits_on_received_values(doc: &mut Value) {
    let (sent, received) = sent_and_received(doc);
    let Some(Value::Object(schemas)) = doc.pointer_mut("/components/schemas") else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if received.contains(name) && !sent.contains(name) {
            for_each_subschema(schema, &mut |sub| {
                if let Value::Object(map) = sub {
                    map.remove("maxLength");
                    map.remove("maxProperties");
                }
            });
        }
    }
}

/// Some of Codat's descriptions start with a byte-order mark (U+FEFF), which
/// would end up invisible but present in generated documentation.
pub fn strip_byte_order_marks(doc: &mut Value) {
    match doc {
        Value::String(s) if s.contains('\u{feff}') => *s = s.replace('\u{feff}', ""),
        Value::Array(items) => items.iter_mut().for_each(strip_byte_order_marks),
        Value::Object(map) => map.values_mut().for_each(strip_byte_order_marks),
        _ => {}
    }
}

/// Every response object of the document: under operations and under
/// `components/responses`.
fn responses_mut(doc: &mut Value) -> Vec<&mut Value> {
    let mut out = Vec::new();
    let Value::Object(root) = doc else { return out };
    for (key, section) in root.iter_mut() {
        match key.as_str() {
            "paths" => {
                let Value::Object(paths) = section else {
                    continue;
                };
                for item in paths.values_mut() {
                    let Value::Object(item) = item else { continue };
                    for op in item.values_mut() {
                        if let Some(Value::Object(responses)) = op.get_mut("responses") {
                            out.extend(responses.values_mut());
                        }
                    }
                }
            }
            "components" => {
                if let Some(Value::Object(responses)) = section.get_mut("responses") {
                    out.extend(responses.values_mut());
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn limits_are_dropped_only_from_schemas_that_are_only_received() {
        let mut doc = json!({
            "paths": {"/x": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Sent"}}}},
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Received"}}}}}
            }}},
            "x-codat-webhooks": {"connection.created": {"post": {"requestBody": {"content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Tags"}}}}}}},
            "components": {"schemas": {
                "Sent": {"type": "string", "maxLength": 4},
                "Received": {"type": "object", "properties": {
                    "name": {"type": "string", "maxLength": 10},
                    "sent": {"$ref": "#/components/schemas/Sent"}}},
                "Tags": {"type": "object", "maxProperties": 10,
                    "additionalProperties": {"type": "string", "maxLength": 100}}
            }}
        });
        drop_limits_on_received_values(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(schemas["Sent"]["maxLength"], 4);
        assert!(
            schemas["Received"]["properties"]["name"]
                .get("maxLength")
                .is_none()
        );
        assert!(schemas["Tags"].get("maxProperties").is_none());
        assert!(
            schemas["Tags"]["additionalProperties"]
                .get("maxLength")
                .is_none()
        );
    }

    #[test]
    fn a_limited_schema_sent_and_received_is_copied_into_the_request_that_sends_it() {
        let tags = json!({"type": "object", "maxProperties": 10,
            "additionalProperties": {"type": "string", "maxLength": 100}});
        let mut doc = json!({
            "paths": {"/companies": {"post": {
                "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Body"}}}},
                "responses": {"200": {"description": "OK", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Company"}}}}}
            }}},
            "components": {"schemas": {
                "Body": {"type": "object", "properties": {"tags": {"$ref": "#/components/schemas/Tags"}}},
                "Company": {"type": "object", "properties": {"tags": {"$ref": "#/components/schemas/Tags"}}},
                "Tags": tags.clone()
            }}
        });
        copy_limited_schemas_into_requests(&mut doc);
        drop_limits_on_received_values(&mut doc);
        let schemas = &doc["components"]["schemas"];
        // The request keeps the limits, in a copy of its own ...
        assert_eq!(schemas["Body"]["properties"]["tags"], tags);
        // ... and what is received drops them.
        assert_eq!(
            schemas["Company"]["properties"]["tags"]["$ref"],
            "#/components/schemas/Tags"
        );
        assert!(schemas["Tags"].get("maxProperties").is_none());
    }

    #[test]
    fn misspelt_additional_properties_and_property_names_are_rewritten() {
        let mut doc = json!({"components": {"schemas": {"CompanyTags": {
            "type": "object",
            "propertyNames": {"pattern": "^.{1,27}$"},
            "additional properties": {"type": "string"}
        }}}});
        drop_property_names(&mut doc);
        spell_additional_properties(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["CompanyTags"],
            json!({"type": "object", "additionalProperties": {"type": "string"}})
        );
    }

    #[test]
    fn version_becomes_3_0_3() {
        let mut doc = json!({"openapi": "3.1.0"});
        declare_openapi_3_0(&mut doc);
        assert_eq!(doc["openapi"], "3.0.3");
    }

    #[test]
    fn schema_examples_array_becomes_first_example() {
        let mut doc = json!({"components": {"schemas": {
            "DateTime": {"type": "string", "examples": ["2022-10-23T00:00:00Z", "2022-10-23"]},
            "Kept": {"type": "string", "example": "mine", "examples": ["theirs"]}
        }}});
        schema_examples_to_example(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["DateTime"],
            json!({"type": "string", "example": "2022-10-23T00:00:00Z"})
        );
        assert_eq!(doc["components"]["schemas"]["Kept"]["example"], "mine");
        assert!(
            doc["components"]["schemas"]["Kept"]
                .get("examples")
                .is_none()
        );
    }

    #[test]
    fn media_type_examples_are_left_alone() {
        let body = json!({"schema": {"type": "string"}, "examples": {"one": {"value": "x"}}});
        let mut doc = json!({"paths": {"/a": {"get": {"responses": {"200": {
            "content": {"application/json": body.clone()}}}}}}});
        schema_examples_to_example(&mut doc);
        assert_eq!(
            doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"],
            body
        );
    }

    #[test]
    fn ref_with_nullable_is_wrapped_in_all_of() {
        let mut doc = json!({"components": {"schemas": {"C": {"properties": {
            "lastSync": {"$ref": "#/components/schemas/DateTime", "nullable": true},
            "created": {"$ref": "#/components/schemas/DateTime"}
        }}}}});
        wrap_ref_siblings_in_all_of(&mut doc);
        let props = &doc["components"]["schemas"]["C"]["properties"];
        assert_eq!(
            props["lastSync"],
            json!({"allOf": [{"$ref": "#/components/schemas/DateTime"}], "nullable": true})
        );
        assert_eq!(
            props["created"],
            json!({"$ref": "#/components/schemas/DateTime"})
        );
    }

    #[test]
    fn inline_enums_get_a_name_of_their_own() {
        let mut doc = json!({"components": {"schemas": {"DataConnectionError": {"properties": {
            "status": {"type": "string", "nullable": true, "description": "d",
                       "title": "Error status", "enum": ["Active", "Resolved"]},
            "other": {"type": "string"}
        }}}}});
        name_inline_enums(&mut doc);
        let schemas = &doc["components"]["schemas"];
        assert_eq!(
            schemas["DataConnectionError"]["properties"]["status"],
            json!({"$ref": "#/components/schemas/DataConnectionErrorStatus",
                   "nullable": true, "description": "d"})
        );
        assert_eq!(
            schemas["DataConnectionErrorStatus"],
            json!({"type": "string", "title": "Error status", "enum": ["Active", "Resolved"]})
        );
        assert_eq!(
            schemas["DataConnectionError"]["properties"]["other"],
            json!({"type": "string"})
        );
    }

    #[test]
    fn definitions_are_dropped() {
        let mut doc = json!({"components": {"schemas": {"C": {
            "type": "object", "definitions": {"x": {"type": "string"}}
        }}}});
        drop_schema_definitions(&mut doc);
        assert_eq!(doc["components"]["schemas"]["C"], json!({"type": "object"}));
    }

    #[test]
    fn boolean_property_schemas_are_dropped() {
        let mut doc = json!({"components": {"schemas": {"Connection": {"properties": {
            "id": {"type": "string"}, "additionalProperties": false
        }}}}});
        drop_boolean_property_schemas(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Connection"],
            json!({"properties": {"id": {"type": "string"}}})
        );
    }

    #[test]
    fn only_response_objects_are_opened() {
        let mut doc = json!({
            "paths": {"/c": {
                "get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Connection"}}}}}},
                "patch": {"requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Update"}}}},
                    "responses": {"404": {"$ref": "#/components/responses/NotFound"}}}
            }},
            "components": {
                "responses": {"NotFound": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Error"}}}}},
                "schemas": {
                    "Connection": {"type": "object", "additionalProperties": false,
                        "properties": {"e": {"$ref": "#/components/schemas/Nested"}}},
                    "Nested": {"type": "object", "additionalProperties": false},
                    "Error": {"type": "object", "additionalProperties": false},
                    "Update": {"type": "object", "additionalProperties": false}
                }
            }
        });
        open_response_objects(&mut doc);
        let schemas = &doc["components"]["schemas"];
        for open in ["Connection", "Nested", "Error"] {
            assert!(
                schemas[open].get("additionalProperties").is_none(),
                "{open}"
            );
        }
        assert_eq!(schemas["Update"]["additionalProperties"], false);
    }

    #[test]
    fn byte_order_marks_are_removed() {
        let mut doc = json!({"a": ["\u{feff}List the connections"]});
        strip_byte_order_marks(&mut doc);
        assert_eq!(doc, json!({"a": ["List the connections"]}));
    }
}
