//! A normalised document flattened into facts, each keyed by where a user
//! meets it and marked with the way its data travels.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::type_label::{simple_target, type_label};
use crate::json_pointer::follow;
use crate::reachability::{
    OperationParts, WEBHOOKS_EXTENSION, component_schemas_reachable, operation_parts,
};

/// Which way data described by a fact travels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flow {
    pub request: bool,
    pub response: bool,
}

/// What a user can observe about one place in the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub kind: Kind,
    pub flow: Flow,
    pub type_label: String,
    pub nullable: bool,
    pub required: bool,
    pub enum_values: Option<BTreeSet<String>>,
    pub constraints: BTreeMap<String, String>,
    /// Where an operation is sent: its method and path.
    pub endpoint: Option<Endpoint>,
    /// The operation a fact belongs to (its parameters, body, responses).
    pub operation: Option<String>,
}

/// The HTTP method (upper case) and path an operation is sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: String,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
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
    pub fn noun(self) -> &'static str {
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

/// Flattens a normalised document into facts.
pub fn facts(doc: &Value) -> BTreeMap<String, Fact> {
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
        if let Some(items) = part.get("items")
            && items.get("properties").is_some()
        {
            flatten(doc, &format!("{place}[]"), items, flow, Kind::Field, out);
        }
        if let Some(values) = part.get("additionalProperties")
            && values.get("properties").is_some()
        {
            flatten(doc, &format!("{place}{{}}"), values, flow, Kind::Field, out);
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
