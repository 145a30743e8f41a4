//! From Codat's whole Platform API document to ours: the six Connections
//! operations and the three company operations they belong to, the
//! connection webhooks (under [`WEBHOOKS_EXTENSION`]), every
//! schema they reach under a stable name, and provenance.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::json_pointer::{component, ref_segments, ref_string, refs_under, resolve};
use crate::reachability::WEBHOOKS_EXTENSION;
use crate::rewrite;

/// The tag that marks Codat's Connections operations: every operation it
/// marks is kept.
pub const TAG: &str = "Connections";

/// The tag of Codat's company operations, of which only
/// [`COMPANY_OPERATIONS`] are kept.
pub const COMPANIES_TAG: &str = "Companies";

/// The company operations kept: a connection belongs to a company, and the
/// listing embeds each company's connections. Deleting or changing a company
/// stays out (a delete removes the company's data; nothing here needs it).
pub const COMPANY_OPERATIONS: [&str; 3] = ["list-companies", "get-company", "create-company"];

/// The operations this SDK wraps; the document holds exactly these.
pub const OPERATIONS: [&str; 9] = [
    "list-connections",
    "create-connection",
    "get-connection",
    "delete-connection",
    "unlink-connection",
    "update-connection-authorization",
    "list-companies",
    "get-company",
    "create-company",
];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Component sections whose entries are kept under their own name.
const COMPONENT_SECTIONS: [&str; 6] = [
    "schemas",
    "parameters",
    "responses",
    "requestBodies",
    "headers",
    "examples",
];

/// Names for hoisted schemas where the name Codat's pointer ends in would not
/// explain itself.
const HOISTED_NAMES: [(&str, &str); 2] = [
    ("dataConnectionStatus", "ConnectionStatus"),
    ("links", "HalLinks"),
];

/// Names for hoisted properties of another schema (`<schema>/properties/<field>`),
/// where the field's name alone would be ambiguous: the company reference in
/// a connection webhook points at two different `description`s.
const HOISTED_PROPERTY_NAMES: [(&str, &str, &str); 4] = [
    ("companyDetails", "name", "CompanyName"),
    ("companyDetails", "description", "CompanyDescription"),
    (
        "CompanyRequestBody",
        "description",
        "CompanyRequestDescription",
    ),
    ("companyDetails", "tags", "CompanyTags"),
];

/// The webhooks kept: every one whose event type starts with this (Codat's
/// documents before September 2024 have none, later ones five or six).
pub const WEBHOOK_PREFIX: &str = "connection.";

/// Produces our document from Codat's `upstream` document, whose bytes hash
/// to `source_sha256`.
pub fn normalise(upstream: &Value, source_sha256: &str) -> Result<Value, String> {
    let paths = select_operations(upstream)?;
    let mut doc = json!({
        "openapi": upstream.get("openapi").cloned().unwrap_or(Value::Null),
        "info": provenance_info(upstream, source_sha256),
        "paths": paths,
    });
    for key in ["servers", "security"] {
        if let Some(value) = upstream.get(key) {
            doc[key] = value.clone();
        }
    }
    if let Some(tags) = upstream.get("tags").and_then(Value::as_array) {
        let kept: Vec<Value> = tags
            .iter()
            .filter(|t| {
                let name = t.get("name").and_then(Value::as_str);
                name == Some(TAG) || name == Some(COMPANIES_TAG)
            })
            .cloned()
            .collect();
        doc["tags"] = Value::Array(kept);
    }
    let webhooks = select_webhooks(upstream);
    if !webhooks.is_empty() {
        doc[WEBHOOKS_EXTENSION] = Value::Object(webhooks);
    }
    doc["components"] = collect_components(upstream, &mut doc)?;
    rewrite::apply_all(&mut doc);
    Ok(canonical(&doc))
}

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Serialises a document the one way we check in: keys sorted, two-space
/// indentation, a final newline.
pub fn to_pretty_string(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(&canonical(doc)).unwrap_or_default();
    text.push('\n');
    text
}

/// Rebuilds every object with its keys in sorted order, whatever map type
/// serde_json was built with.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, canonical(v))).collect();
            let mut out = Map::new();
            for (k, v) in sorted {
                out.insert(k.clone(), v);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn provenance_info(upstream: &Value, source_sha256: &str) -> Value {
    let upstream_info = upstream.get("info").cloned().unwrap_or_else(|| json!({}));
    let version = upstream_info.get("version").cloned().unwrap_or(Value::Null);
    json!({
        "title": "Codat Platform API: Connections",
        "version": version,
        "description": "The Connections operations of Codat's Platform API, derived from Codat's \
            published OpenAPI document by `cargo xtask sync-spec`. Do not edit by hand.",
        "contact": upstream_info.get("contact").cloned().unwrap_or_else(|| json!({})),
        "x-codat-source": {
            "sha256": source_sha256,
            "info-version": version,
            "openapi": upstream.get("openapi").cloned().unwrap_or(Value::Null),
        },
    })
}

/// The path items holding the operations tagged [`TAG`] and the
/// [`COMPANY_OPERATIONS`], with their path-level parameters, and nothing
/// else.
fn select_operations(upstream: &Value) -> Result<Value, String> {
    let paths = upstream
        .get("paths")
        .and_then(Value::as_object)
        .ok_or("the document has no `paths`")?;
    let mut kept = Map::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let mut kept_item = Map::new();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tagged = op
                .get("tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|t| t == TAG));
            let company = op
                .get("operationId")
                .and_then(Value::as_str)
                .is_some_and(|id| COMPANY_OPERATIONS.contains(&id));
            if tagged || company {
                kept_item.insert(method.to_owned(), op.clone());
            }
        }
        if kept_item.is_empty() {
            continue;
        }
        if let Some(parameters) = item.get("parameters") {
            kept_item.insert("parameters".into(), parameters.clone());
        }
        kept.insert(path.clone(), Value::Object(kept_item));
    }
    let found: BTreeSet<&str> = kept
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(|op| op.get("operationId").and_then(Value::as_str))
        .collect();
    let missing: Vec<&str> = OPERATIONS
        .iter()
        .copied()
        .filter(|op| !found.contains(op))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "operations this SDK wraps are missing from the document: {}",
            missing.join(", ")
        ));
    }
    Ok(Value::Object(kept))
}

/// The webhooks whose event type starts with [`WEBHOOK_PREFIX`], as Codat
/// wrote them.
fn select_webhooks(upstream: &Value) -> Map<String, Value> {
    upstream
        .get("webhooks")
        .and_then(Value::as_object)
        .map(|all| {
            all.iter()
                .filter(|(name, _)| name.starts_with(WEBHOOK_PREFIX))
                .map(|(name, item)| (name.clone(), item.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Follows every `$ref` reachable from `doc` (its paths, its webhooks, and transitively what
/// they reference), copies what they point at into `components`, and rewrites
/// the references in `doc` and in the copies. References into a component
/// section entry keep that entry's name; any other pointer (into `#/paths`,
/// `.../definitions/...`, `.../properties/...`, `#/components/parameters/x/schema`)
/// is hoisted into a named schema.
fn collect_components(upstream: &Value, doc: &mut Value) -> Result<Value, String> {
    // Where every reference reachable from the paths points, and what it becomes.
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    let mut copies: BTreeMap<(String, String), Value> = BTreeMap::new();
    let mut pending: Vec<String> = Vec::new();
    pending.extend(refs_under(&doc["paths"]).into_iter().map(str::to_owned));
    if let Some(webhooks) = doc.get(WEBHOOKS_EXTENSION) {
        pending.extend(refs_under(webhooks).into_iter().map(str::to_owned));
    }

    while let Some(reference) = pending.pop() {
        if renamed.contains_key(&reference) {
            continue;
        }
        let target = resolve(upstream, &reference)?.clone();
        let (section, name) = match component(&reference) {
            Some((section, name)) if COMPONENT_SECTIONS.contains(&section.as_str()) => {
                (section, name)
            }
            _ => (
                "schemas".to_owned(),
                hoisted_name(&ref_segments(&reference)?)?,
            ),
        };
        let key = (section.clone(), name.clone());
        if let Some(existing) = copies.get(&key)
            && existing != &target
        {
            return Err(format!(
                "two different schemas would both be named `{name}` (one at `{reference}`)"
            ));
        }
        pending.extend(refs_under(&target).into_iter().map(str::to_owned));
        copies.insert(key, target);
        renamed.insert(reference, ref_string(&["components", &section, &name]));
    }

    // A hoisted parameter schema should be shared with the parameter itself,
    // so that `connectionId` in the path and `Connection.id` are one type.
    for (reference, new) in &renamed {
        let segments = ref_segments(reference)?;
        if let [c, s, param, leaf] = segments.as_slice()
            && c == "components"
            && s == "parameters"
            && leaf == "schema"
            && let Some(parameter) = copies.get_mut(&("parameters".to_owned(), param.clone()))
        {
            parameter["schema"] = json!({ "$ref": new });
        }
    }

    let mut components = Map::new();
    for ((section, name), mut value) in copies {
        rename_refs(&mut value, &renamed);
        let entry = components
            .entry(section)
            .or_insert_with(|| Value::Object(Map::new()));
        entry[name] = value;
    }
    rename_refs(doc, &renamed);

    if let Some(schemes) = used_security_schemes(upstream, doc) {
        components.insert("securitySchemes".into(), schemes);
    }
    Ok(Value::Object(components))
}

/// The security schemes named by the document's `security` requirements.
fn used_security_schemes(upstream: &Value, doc: &Value) -> Option<Value> {
    let all = upstream
        .pointer("/components/securitySchemes")?
        .as_object()?;
    let mut used = Map::new();
    for requirement in doc.get("security")?.as_array()? {
        for name in requirement.as_object()?.keys() {
            if let Some(scheme) = all.get(name) {
                used.insert(name.clone(), scheme.clone());
            }
        }
    }
    Some(Value::Object(used))
}

/// A stable, self-explaining schema name for a pointer outside the component
/// sections: the last meaningful segment in PascalCase, or its entry in
/// [`HOISTED_NAMES`].
pub fn hoisted_name(segments: &[String]) -> Result<String, String> {
    let last = segments
        .iter()
        .rev()
        .find(|s| s.as_str() != "schema" && s.parse::<usize>().is_err())
        .ok_or_else(|| format!("cannot name a schema for `{}`", segments.join("/")))?;
    if let [.., parent, properties, field] = segments {
        let named = HOISTED_PROPERTY_NAMES
            .iter()
            .find(|(p, f, _)| properties == "properties" && parent == p && field == f);
        if let Some((_, _, name)) = named {
            return Ok((*name).to_owned());
        }
    }
    if let Some((_, name)) = HOISTED_NAMES.iter().find(|(from, _)| from == last) {
        return Ok((*name).to_owned());
    }
    let mut name = String::new();
    let mut upper = true;
    for c in last.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                name.push(c.to_ascii_uppercase());
            } else {
                name.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!("cannot name a schema for `{}`", segments.join("/")));
    }
    Ok(name)
}

fn rename_refs(node: &mut Value, renamed: &BTreeMap<String, String>) {
    match node {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    "$ref" => {
                        if let Some(new) = child.as_str().and_then(|r| renamed.get(r)) {
                            *child = Value::from(new.as_str());
                        }
                    }
                    "example" | "examples" => {}
                    _ => rename_refs(child, renamed),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renamed)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(r: &str) -> Vec<String> {
        ref_segments(r).unwrap()
    }

    #[test]
    fn hoisted_names_explain_themselves() {
        let cases = [
            (
                "#/components/schemas/Connection/definitions/dataConnectionStatus",
                "ConnectionStatus",
            ),
            (
                "#/components/schemas/Integration/definitions/sourceType",
                "SourceType",
            ),
            (
                "#/components/schemas/PagingInfo/definitions/links",
                "HalLinks",
            ),
            (
                "#/components/schemas/PagingInfo/definitions/halRef",
                "HalRef",
            ),
            (
                "#/components/parameters/connectionId/schema",
                "ConnectionId",
            ),
            (
                "#/paths/~1companies~1%7BcompanyId%7D~1syncSettings/post/requestBody/content/application~1json/schema/allOf/0/properties/companyId",
                "CompanyId",
            ),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                hoisted_name(&segs(reference)).unwrap(),
                expected,
                "{reference}"
            );
        }
    }

    #[test]
    fn canonical_sorts_keys_at_every_depth() {
        let doc = json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 3}});
        assert_eq!(
            to_pretty_string(&doc),
            "{\n  \"a\": {\n    \"c\": 3,\n    \"d\": [\n      {\n        \"y\": 2,\n        \"z\": 1\n      }\n    ]\n  },\n  \"b\": 1\n}\n"
        );
    }

    fn mini_upstream() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "Platform API", "version": "3.0.0", "summary": "3.1 only"},
            "security": [{"auth_header": []}],
            "tags": [{"name": "Companies"}, {"name": "Connections"}],
            "paths": {
                "/companies/{companyId}/connections": {
                    "get": {"operationId": "list-connections", "tags": ["Connections"],
                        "parameters": [{"$ref": "#/components/parameters/companyId"}],
                        "responses": {"200": {"description": "OK", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/Connection"}}}}}},
                    "post": {"operationId": "create-connection", "tags": ["Connections"], "responses": {}}
                },
                "/companies/{companyId}/connections/{connectionId}": {
                    "get": {"operationId": "get-connection", "tags": ["Connections"], "responses": {}},
                    "delete": {"operationId": "delete-connection", "tags": ["Connections"], "responses": {}},
                    "patch": {"operationId": "unlink-connection", "tags": ["Connections"], "responses": {}}
                },
                "/companies/{companyId}/connections/{connectionId}/authorization": {
                    "parameters": [{"$ref": "#/components/parameters/companyId"}],
                    "put": {"operationId": "update-connection-authorization", "tags": ["Connections"], "responses": {}}
                },
                "/companies": {
                    "get": {"operationId": "list-companies", "tags": ["Companies"], "responses": {}},
                    "post": {"operationId": "create-company", "tags": ["Companies"], "responses": {}}
                },
                "/companies/{companyId}": {
                    "get": {"operationId": "get-company", "tags": ["Companies"], "responses": {}},
                    "delete": {"operationId": "delete-company", "tags": ["Companies"], "responses": {}}
                },
                "/companies/{companyId}/products": {
                    "get": {"operationId": "list-company-products", "tags": ["Companies"], "responses": {}}
                }
            },
            "components": {
                "securitySchemes": {"auth_header": {"type": "apiKey", "in": "header", "name": "Authorization"},
                                    "unused": {"type": "http", "scheme": "basic"}},
                "parameters": {"companyId": {"name": "companyId", "in": "path", "required": true,
                    "schema": {"$ref": "#/paths/~1companies/get/x-props/companyId"}}},
                "schemas": {
                    "Connection": {"type": "object", "properties": {
                        "status": {"$ref": "#/components/schemas/Connection/definitions/dataConnectionStatus"}},
                        "definitions": {"dataConnectionStatus": {"type": "string", "enum": ["Linked"]}}},
                    "Company": {"type": "object"}
                }
            }
        })
    }

    #[test]
    fn keeps_the_connections_operations_and_what_they_reach() {
        let mut upstream = mini_upstream();
        upstream["paths"]["/companies"]["get"]["x-props"] =
            json!({"companyId": {"type": "string", "format": "uuid"}});
        let doc = normalise(&upstream, "abc").unwrap();
        let paths = doc["paths"].as_object().unwrap();
        // The Connections operations and three of the company operations:
        // not deleting a company, not the rest of the Companies tag.
        assert_eq!(paths.len(), 5);
        let company: Vec<&String> = paths["/companies/{companyId}"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(company, ["get"]);
        assert_eq!(paths["/companies"].as_object().unwrap().len(), 2);
        assert!(
            doc["paths"]
                .get("/companies/{companyId}/products")
                .is_none()
        );
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let names: Vec<&str> = schemas.keys().map(String::as_str).collect();
        assert_eq!(names, ["CompanyId", "Connection", "ConnectionStatus"]);
        assert_eq!(
            doc["components"]["schemas"]["Connection"]["properties"]["status"]["$ref"],
            "#/components/schemas/ConnectionStatus"
        );
        assert_eq!(
            doc["components"]["parameters"]["companyId"]["schema"]["$ref"],
            "#/components/schemas/CompanyId"
        );
        assert!(doc["components"]["securitySchemes"].get("unused").is_none());
        assert_eq!(
            doc["tags"],
            json!([{"name": "Companies"}, {"name": "Connections"}])
        );
        assert_eq!(doc["info"]["x-codat-source"]["sha256"], "abc");
        assert_eq!(doc["info"]["x-codat-source"]["info-version"], "3.0.0");
        assert_eq!(doc["openapi"], "3.0.3");
        assert!(doc["info"].get("summary").is_none());
    }

    #[test]
    fn connection_webhooks_are_kept_under_the_extension_with_their_schemas() {
        let mut upstream = mini_upstream();
        upstream["paths"]["/companies"]["get"]["x-props"] =
            json!({"companyId": {"type": "string", "format": "uuid"}});
        let body = |schema: &str| {
            json!({"post": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": schema}}}}, "responses": {"200": {"description": "OK"}}}})
        };
        upstream["webhooks"] = json!({
            "connection.created": body("#/components/schemas/ConnectionWebhook"),
            "company.created": body("#/components/schemas/Company"),
        });
        upstream["components"]["schemas"]["ConnectionWebhook"] = json!({
            "type": "object",
            "properties": {"payload": {"$ref": "#/components/schemas/ConnectionWebhook/definitions/connectionWebhookPayload"}},
            "definitions": {"connectionWebhookPayload": {"type": "object", "properties": {
                "connection": {"$ref": "#/components/schemas/Connection"}}}}
        });
        let doc = normalise(&upstream, "abc").unwrap();
        let webhooks = doc[WEBHOOKS_EXTENSION].as_object().unwrap();
        let names: Vec<&str> = webhooks.keys().map(String::as_str).collect();
        assert_eq!(names, ["connection.created"]);
        assert_eq!(
            doc["components"]["schemas"]["ConnectionWebhook"]["properties"]["payload"]["$ref"],
            "#/components/schemas/ConnectionWebhookPayload"
        );
        assert!(doc["components"]["schemas"].get("Company").is_none());

        // Without webhooks (Codat's documents before September 2024), no extension.
        let doc = normalise(
            &{
                let mut u = upstream.clone();
                u.as_object_mut().unwrap().remove("webhooks");
                u
            },
            "abc",
        )
        .unwrap();
        assert!(doc.get(WEBHOOKS_EXTENSION).is_none());
    }

    #[test]
    fn ambiguous_company_properties_get_names_of_their_own() {
        assert_eq!(
            hoisted_name(&segs(
                "#/components/schemas/Company/definitions/companyDetails/properties/description"
            ))
            .unwrap(),
            "CompanyDescription"
        );
        assert_eq!(
            hoisted_name(&segs(
                "#/components/schemas/CompanyRequestBody/properties/description"
            ))
            .unwrap(),
            "CompanyRequestDescription"
        );
    }

    #[test]
    fn a_missing_operation_is_an_error() {
        let mut upstream = mini_upstream();
        upstream["paths"]["/companies/{companyId}/connections"]
            .as_object_mut()
            .unwrap()
            .remove("post");
        let err = normalise(&upstream, "abc").unwrap_err();
        assert!(err.contains("create-connection"), "{err}");
    }

    #[test]
    fn a_dangling_reference_is_an_error() {
        let err = normalise(&mini_upstream(), "abc").unwrap_err();
        assert!(err.contains("x-props"), "{err}");
    }
}
