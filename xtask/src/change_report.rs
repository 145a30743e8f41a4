//! What changed for our users between two normalised documents, one line per
//! change, each classified as breaking or not.
//!
//! Both documents are flattened into facts keyed by where a user meets them
//! (`Connection.integrationKey`, `list-connections parameter page`,
//! `list-connections response 402`), and the facts are compared. A change is
//! breaking when code written against the old document can stop compiling or
//! stop working against the new one; which direction data flows decides that
//! (a field becoming optional breaks readers of a response, a field becoming
//! required breaks writers of a request). An operation is known by its
//! `operationId`; its method and path are facts about it, so a request sent
//! somewhere else is reported, and an operation added or removed is one line,
//! not one per parameter and response.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use crate::json_pointer::{follow, ref_segments, resolve};
use crate::reachability::{
    component_schemas_reachable, operation_parts, OperationParts, WEBHOOKS_EXTENSION,
};

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// Whether code written against the old document can break.
    pub breaking: bool,
    /// What changed, in one sentence.
    pub text: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let class = if self.breaking {
            "breaking"
        } else {
            "non-breaking"
        };
        write!(f, "{class}: {}", self.text)
    }
}

/// Which way data described by a fact travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Flow {
    request: bool,
    response: bool,
}

/// What a user can observe about one place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fact {
    kind: Kind,
    flow: Flow,
    type_label: String,
    nullable: bool,
    required: bool,
    enum_values: Option<BTreeSet<String>>,
    constraints: BTreeMap<String, String>,
    /// Where an operation is sent: its method and path.
    endpoint: Option<Endpoint>,
    /// The operation a fact belongs to (its parameters, body, responses).
    operation: Option<String>,
}

/// The HTTP method (upper case) and path an operation is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Endpoint {
    method: String,
    path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Operation,
    Response,
    Parameter,
    Schema,
    Field,
    /// The body of a response: its appearing or going is the response's.
    ResponseBody,
    /// A webhook Codat sends (`connection.failed`), with its body's type.
    Webhook,
}

impl Kind {
    fn noun(self) -> &'static str {
        match self {
            Kind::Operation => "operation",
            Kind::Response => "response",
            Kind::Parameter => "parameter",
            Kind::Schema => "schema",
            Kind::Field => "field",
            Kind::ResponseBody => "response body",
            Kind::Webhook => "webhook",
        }
    }
}

const CONSTRAINTS: [&str; 8] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "maxItems",
];

/// The changes from `old` to `new`, breaking ones first.
pub fn compare(old: &Value, new: &Value) -> Vec<Change> {
    let before = facts(old);
    let after = facts(new);
    // The parameters, body and responses of an operation that was added or
    // removed come and go with it: the operation's own line says it all.
    let is_operation = |facts: &BTreeMap<String, Fact>, id: &str| {
        facts.get(id).is_some_and(|f| f.kind == Kind::Operation)
    };
    let with_its_operation = |fact: &Fact| {
        fact.operation
            .as_deref()
            .is_some_and(|id| !(is_operation(&before, id) && is_operation(&after, id)))
    };
    let mut changes = Vec::new();
    for (place, fact) in &before {
        match after.get(place) {
            None if fact.kind == Kind::ResponseBody || with_its_operation(fact) => {}
            None => changes.push(Change {
                breaking: fact.kind != Kind::Response,
                text: format!("{} `{place}` removed", fact.kind.noun()),
            }),
            Some(now) => compare_fact(place, fact, now, &mut changes),
        }
    }
    for (place, fact) in &after {
        if before.contains_key(place) || fact.kind == Kind::ResponseBody || with_its_operation(fact)
        {
            continue;
        }
        // Something new breaks a caller only when it must be sent: a required
        // parameter or request field. A new operation or schema is only more.
        let breaking = fact.required
            && fact.flow.request
            && !matches!(fact.kind, Kind::Schema | Kind::Operation);
        let mut text = format!("{} `{place}` added", fact.kind.noun());
        if let Some(endpoint) = &fact.endpoint {
            text.push_str(&format!(" ({} {})", endpoint.method, endpoint.path));
        }
        changes.push(Change { breaking, text });
    }
    changes.sort_by(|a, b| b.breaking.cmp(&a.breaking).then(a.text.cmp(&b.text)));
    changes
}

fn compare_fact(place: &str, old: &Fact, new: &Fact, out: &mut Vec<Change>) {
    let flow = Flow {
        request: old.flow.request || new.flow.request,
        response: old.flow.response || new.flow.response,
    };
    // A request sent with another method or to another path reaches
    // nothing, or something else; a value of another type decodes as
    // nothing either side expects.
    let mut changed = vec![("type", old.type_label.clone(), new.type_label.clone())];
    if let (Some(was), Some(is)) = (&old.endpoint, &new.endpoint) {
        changed.push(("method", was.method.clone(), is.method.clone()));
        let quoted = |path: &str| format!("`{path}`");
        changed.push(("path", quoted(&was.path), quoted(&is.path)));
    }
    for (what, was, is) in changed {
        if was != is {
            let text = format!("`{place}` {what} changed from {was} to {is}");
            out.push(Change {
                breaking: true,
                text,
            });
        }
    }
    // A value that may now be null breaks whoever reads it; a field that
    // must now be sent breaks whoever writes it.
    for (what, was, is, breaks_when_set, breaks_when_cleared) in [
        (
            "nullable",
            old.nullable,
            new.nullable,
            flow.response,
            flow.request,
        ),
        (
            "required",
            old.required,
            new.required,
            flow.request,
            flow.response,
        ),
    ] {
        if was != is {
            let (breaking, now) = if is {
                (breaks_when_set, "now")
            } else {
                (breaks_when_cleared, "no longer")
            };
            let text = format!("`{place}` is {now} {what}");
            out.push(Change { breaking, text });
        }
    }
    let empty = BTreeSet::new();
    let old_values = old.enum_values.as_ref().unwrap_or(&empty);
    let new_values = new.enum_values.as_ref().unwrap_or(&empty);
    for added in new_values.difference(old_values) {
        // Our response enums are open (they keep unknown values), so a new
        // value breaks nobody.
        out.push(Change {
            breaking: false,
            text: format!("`{place}` enum value `{added}` added"),
        });
    }
    for removed in old_values.difference(new_values) {
        out.push(Change {
            breaking: true,
            text: format!("`{place}` enum value `{removed}` removed"),
        });
    }
    let keys: BTreeSet<&String> = old
        .constraints
        .keys()
        .chain(new.constraints.keys())
        .collect();
    for key in keys {
        let (was, is) = (old.constraints.get(key), new.constraints.get(key));
        if was == is {
            continue;
        }
        let describe = |v: Option<&String>| v.map_or("none".to_owned(), |v| format!("`{v}`"));
        // A constraint on what we send can reject a request that used to pass;
        // on what we receive it changes nothing we decode.
        out.push(Change {
            breaking: flow.request,
            text: format!(
                "`{place}` {key} changed from {} to {}",
                describe(was),
                describe(is)
            ),
        });
    }
}

/// Flattens a normalised document into facts.
fn facts(doc: &Value) -> BTreeMap<String, Fact> {
    let mut out = BTreeMap::new();
    let flows = component_flows(doc);
    let paths = doc.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let mut own = operation_facts(doc, id, item.get("parameters"), op);
            for fact in own.values_mut() {
                fact.operation = Some(id.to_owned());
            }
            out.append(&mut own);
            let op_flow = Flow {
                request: true,
                response: true,
            };
            let mut operation = plain_fact(Kind::Operation, op_flow, "operation");
            operation.endpoint = Some(Endpoint {
                method: method.to_ascii_uppercase(),
                path: path.clone(),
            });
            out.insert(id.to_owned(), operation);
        }
    }
    // A webhook is received like a response: its going, or its body's type
    // changing, breaks a receiver; a new one is only more.
    if let Some(webhooks) = doc.get(WEBHOOKS_EXTENSION).and_then(Value::as_object) {
        let received = Flow {
            request: false,
            response: true,
        };
        for (event_type, item) in webhooks {
            let body = item
                .pointer("/post/requestBody/content/application~1json/schema")
                .unwrap_or(&Value::Null);
            let mut fact = schema_fact(doc, Kind::Webhook, received, body);
            fact.required = true;
            out.insert(event_type.clone(), fact);
        }
    }
    if let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, schema) in schemas {
            let flow = flows.get(name).copied().unwrap_or_default();
            flatten(doc, name, schema, flow, Kind::Schema, &mut out);
        }
    }
    out
}

/// The facts of operation `id`: its parameters (with those shared by its
/// path), its request body and its responses.
fn operation_facts(
    doc: &Value,
    id: &str,
    shared_params: Option<&Value>,
    op: &Value,
) -> BTreeMap<String, Fact> {
    let mut out = BTreeMap::new();
    let request = Flow {
        request: true,
        response: false,
    };
    let params = shared_params
        .into_iter()
        .chain(op.get("parameters"))
        .filter_map(Value::as_array)
        .flatten();
    for param in params {
        let param = follow(doc, param);
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let place = format!("{id} parameter {name}");
        let schema = param.get("schema").unwrap_or(&Value::Null);
        let mut fact = schema_fact(doc, Kind::Parameter, request, schema);
        fact.required = param.get("required") == Some(&Value::Bool(true));
        out.insert(place, fact);
    }
    if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
        flatten(
            doc,
            &format!("{id} request body"),
            schema,
            request,
            Kind::Schema,
            &mut out,
        );
    }
    let response = Flow {
        request: false,
        response: true,
    };
    let responses = op.get("responses").and_then(Value::as_object);
    for (status, body) in responses.into_iter().flatten() {
        let place = format!("{id} response {status}");
        out.insert(place.clone(), plain_fact(Kind::Response, response, status));
        let body = follow(doc, body);
        if let Some(schema) = body.pointer("/content/application~1json/schema") {
            if schema.get("$ref").is_none() {
                flatten(
                    doc,
                    &format!("{place} body"),
                    schema,
                    response,
                    Kind::ResponseBody,
                    &mut out,
                );
            } else {
                let mut fact = schema_fact(doc, Kind::ResponseBody, response, schema);
                fact.required = true;
                out.insert(format!("{place} body"), fact);
            }
        }
    }
    out
}

fn plain_fact(kind: Kind, flow: Flow, label: &str) -> Fact {
    Fact {
        kind,
        flow,
        type_label: label.to_owned(),
        nullable: false,
        required: true,
        enum_values: None,
        constraints: BTreeMap::new(),
        endpoint: None,
        operation: None,
    }
}

/// Which way each component schema's data travels.
fn component_flows(doc: &Value) -> BTreeMap<String, Flow> {
    let OperationParts {
        sent: requests,
        received: mut responses,
    } = operation_parts(doc);
    responses.extend(doc.get(WEBHOOKS_EXTENSION));
    let mut flows: BTreeMap<String, Flow> = BTreeMap::new();
    for name in component_schemas_reachable(doc, requests) {
        flows.entry(name).or_default().request = true;
    }
    for name in component_schemas_reachable(doc, responses) {
        flows.entry(name).or_default().response = true;
    }
    flows
}

/// Adds the fact for `schema` at `place`, and one for each field under it.
fn flatten(
    doc: &Value,
    place: &str,
    schema: &Value,
    flow: Flow,
    kind: Kind,
    out: &mut BTreeMap<String, Fact>,
) {
    let mut fact = schema_fact(doc, kind, flow, schema);
    fact.required = kind != Kind::Field || fact.required;
    out.insert(place.to_owned(), fact);

    // Fields come from the schema itself and from inline parts of an allOf;
    // referenced parts are facts of their own component.
    let mut parts = vec![schema];
    if let Some(all_of) = schema.get("allOf").and_then(Value::as_array) {
        parts.extend(all_of.iter().filter(|p| p.get("$ref").is_none()));
    }
    for part in parts {
        let required: BTreeSet<&str> = part
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(properties) = part.get("properties").and_then(Value::as_object) {
            for (field, sub) in properties {
                let sub_place = format!("{place}.{field}");
                flatten(doc, &sub_place, sub, flow, Kind::Field, out);
                if let Some(f) = out.get_mut(&sub_place) {
                    f.required = required.contains(field.as_str());
                }
            }
        }
        // Arrays and maps of plain values are described by the parent's type;
        // only element objects have fields of their own.
        if let Some(items) = part.get("items") {
            if items.get("properties").is_some() {
                flatten(doc, &format!("{place}[]"), items, flow, Kind::Field, out);
            }
        }
        if let Some(values) = part.get("additionalProperties") {
            if values.get("properties").is_some() {
                flatten(doc, &format!("{place}{{}}"), values, flow, Kind::Field, out);
            }
        }
    }
}

fn schema_fact(doc: &Value, kind: Kind, flow: Flow, schema: &Value) -> Fact {
    let constraints = CONSTRAINTS
        .iter()
        .filter_map(|key| {
            let value = simple_target(doc, schema).get(*key)?;
            Some((
                (*key).to_owned(),
                value.to_string().trim_matches('"').to_owned(),
            ))
        })
        .collect();
    let enum_values = schema.get("enum").and_then(Value::as_array).map(|values| {
        values
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect()
    });
    Fact {
        kind,
        flow,
        type_label: type_label(doc, schema),
        nullable: schema.get("nullable") == Some(&Value::Bool(true)),
        required: false,
        enum_values,
        constraints,
        endpoint: None,
        operation: None,
    }
}

/// A schema that only names another simple schema describes that one's
/// constraints; this finds it.
fn simple_target<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
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

fn type_label(doc: &Value, schema: &Value) -> String {
    if let Some(reference) = single_ref(schema) {
        if let Ok(target) = resolve(doc, reference) {
            if is_simple(target) {
                return type_label(doc, target);
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(connection: Value) -> Value {
        json!({
            "paths": {"/c": {"get": {"operationId": "get-connection",
                "responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Connection"}}}}}}}},
            "components": {"schemas": {"Connection": connection,
                "DateTime": {"type": "string"}}}
        })
    }

    fn lines(old: Value, new: Value) -> Vec<String> {
        compare(&doc(old), &doc(new))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let c = json!({"type": "object", "properties": {"id": {"type": "string"}}});
        assert!(lines(c.clone(), c).is_empty());
    }

    #[test]
    fn field_no_longer_required_in_a_response_is_breaking() {
        let old =
            json!({"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}}});
        let new = json!({"type": "object", "properties": {"k": {"type": "string"}}});
        assert_eq!(
            lines(old.clone(), new.clone()),
            ["breaking: `Connection.k` is no longer required"]
        );
        assert_eq!(
            lines(new, old),
            ["non-breaking: `Connection.k` is now required"]
        );
    }

    #[test]
    fn fields_added_and_removed() {
        let old = json!({"type": "object", "properties": {"a": {"type": "string"}}});
        let new = json!({"type": "object", "properties": {"b": {"type": "string"}}});
        assert_eq!(
            lines(old, new),
            [
                "breaking: field `Connection.a` removed",
                "non-breaking: field `Connection.b` added"
            ]
        );
    }

    #[test]
    fn nullable_and_type_changes() {
        let old = json!({"type": "object", "properties": {
            "last": {"$ref": "#/components/schemas/DateTime"},
            "info": {"type": "object", "additionalProperties": {"type": "string"}}}});
        let new = json!({"type": "object", "properties": {
            "last": {"allOf": [{"$ref": "#/components/schemas/DateTime"}], "nullable": true},
            "info": {"type": "object", "additionalProperties": true}}});
        assert_eq!(
            lines(old, new),
            [
                "breaking: `Connection.info` type changed from map of string to map of any",
                "breaking: `Connection.last` is now nullable",
            ]
        );
    }

    #[test]
    fn enum_values() {
        let old = json!({"type": "string", "enum": ["A", "B"]});
        let new = json!({"type": "string", "enum": ["A", "C"]});
        assert_eq!(
            lines(old, new),
            [
                "breaking: `Connection` enum value `B` removed",
                "non-breaking: `Connection` enum value `C` added"
            ]
        );
    }

    /// Three operations on two paths, parameters written by reference as
    /// Codat writes them.
    fn operations() -> Value {
        json!({
            "paths": {
                "/companies/{companyId}/connections": {
                    "get": {"operationId": "list-connections",
                        "parameters": [{"$ref": "#/components/parameters/companyId"},
                                       {"$ref": "#/components/parameters/pageSize"}],
                        "responses": {"200": {"description": "OK"}}},
                    "post": {"operationId": "create-connection",
                        "parameters": [{"$ref": "#/components/parameters/companyId"}],
                        "requestBody": {"content": {"application/json": {"schema": {
                            "type": "object", "required": ["platformKey"],
                            "properties": {"platformKey": {"type": "string"}}}}}},
                        "responses": {"200": {"description": "OK"}}}
                },
                "/companies/{companyId}/connections/{connectionId}": {
                    "parameters": [{"$ref": "#/components/parameters/companyId"}],
                    "patch": {"operationId": "unlink-connection",
                        "responses": {"200": {"description": "OK"}}}
                }
            },
            "components": {"parameters": {
                "companyId": {"name": "companyId", "in": "path", "required": true,
                    "schema": {"type": "string"}},
                "pageSize": {"name": "pageSize", "in": "query",
                    "schema": {"type": "integer"}}
            }}
        })
    }

    fn report(old: &Value, new: &Value) -> Vec<String> {
        compare(old, new).iter().map(ToString::to_string).collect()
    }

    /// The report from [`operations`] to the same document after `change`.
    fn report_after(change: impl FnOnce(&mut Value)) -> Vec<String> {
        let old = operations();
        let mut new = old.clone();
        change(&mut new);
        report(&old, &new)
    }

    fn list_parameters(doc: &mut Value) -> &mut Vec<Value> {
        doc["paths"]["/companies/{companyId}/connections"]["get"]["parameters"]
            .as_array_mut()
            .unwrap()
    }

    #[test]
    fn a_changed_path_is_breaking_for_every_operation_on_it() {
        let moved = report_after(|new| {
            let paths = new["paths"].as_object_mut().unwrap();
            let item = paths.remove("/companies/{companyId}/connections").unwrap();
            paths.insert("/companies/{companyId}/data-connections".into(), item);
        });
        assert_eq!(
            moved,
            [
                "breaking: `create-connection` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
                "breaking: `list-connections` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
            ]
        );
    }

    #[test]
    fn a_changed_method_is_breaking() {
        let changed = report_after(|new| {
            let item = new["paths"]["/companies/{companyId}/connections/{connectionId}"]
                .as_object_mut()
                .unwrap();
            let unlink = item.remove("patch").unwrap();
            item.insert("post".into(), unlink);
        });
        assert_eq!(
            changed,
            ["breaking: `unlink-connection` method changed from PATCH to POST"]
        );
    }

    #[test]
    fn a_renamed_query_parameter_is_breaking() {
        assert_eq!(
            report_after(|new| new["components"]["parameters"]["pageSize"]["name"] = json!("size")),
            [
                "breaking: parameter `list-connections parameter pageSize` removed",
                "non-breaking: parameter `list-connections parameter size` added",
            ]
        );
    }

    #[test]
    fn a_removed_query_parameter_is_breaking() {
        assert_eq!(
            report_after(|new| drop(list_parameters(new).pop())),
            ["breaking: parameter `list-connections parameter pageSize` removed"]
        );
    }

    #[test]
    fn a_new_query_parameter_breaks_only_when_required() {
        for (required, line) in [
            (
                false,
                "non-breaking: parameter `list-connections parameter status` added",
            ),
            (
                true,
                "breaking: parameter `list-connections parameter status` added",
            ),
        ] {
            let status = json!({"name": "status", "in": "query", "required": required,
                "schema": {"type": "string"}});
            assert_eq!(
                report_after(|new| list_parameters(new).push(status)),
                [line]
            );
        }
    }

    #[test]
    fn a_removed_operation_is_one_breaking_line() {
        let removed = report_after(|new| {
            let item = &mut new["paths"]["/companies/{companyId}/connections"];
            item.as_object_mut().unwrap().remove("post");
        });
        assert_eq!(removed, ["breaking: operation `create-connection` removed"]);
    }

    #[test]
    fn a_new_operation_is_one_non_breaking_line() {
        // Its required body field and parameters are new to everyone: nothing
        // written against the old document sends them.
        let mut old = operations();
        let create = old["paths"]["/companies/{companyId}/connections"]
            .as_object_mut()
            .unwrap()
            .remove("post")
            .unwrap();
        let mut new = old.clone();
        new["paths"]["/companies/{companyId}/connections"]["post"] = create;
        assert_eq!(
            report(&old, &new),
            ["non-breaking: operation `create-connection` added \
                 (POST /companies/{companyId}/connections)"]
        );
    }
}
