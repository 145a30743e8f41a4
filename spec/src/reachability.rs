//! Which component schemas each part of our document reaches through `$ref`s:
//! what a client sends (parameters, request bodies) and what it receives
//! (responses, webhooks).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::json_pointer::{component, refs_under, resolve};

/// Codat's OpenAPI 3.1 document describes its webhooks in a top-level
/// `webhooks` section, which OpenAPI 3.0 (what progenitor reads) does not
/// have. The connection webhooks are kept, as Codat wrote them (path items
/// keyed by event type, each a `post` whose request body is the event), under
/// this extension: progenitor ignores it, while the schemas it references are
/// components like any other, so build.rs generates the event types.
pub const WEBHOOKS_EXTENSION: &str = "x-codat-webhooks";

/// Names of the component schemas that a response can contain, directly or
/// through other schemas.
pub fn component_schemas_reachable_from_responses(doc: &Value) -> BTreeSet<String> {
    let mut roots = operation_parts(doc).received;
    roots.extend(doc.pointer("/components/responses"));
    // A webhook's body is received, like a response, and Codat adds fields
    // to it in the same way.
    roots.extend(doc.get(WEBHOOKS_EXTENSION));
    component_schemas_reachable(doc, roots)
}

/// What the operations of a document exchange: what a client sends (the
/// parameters, path-level ones included, and the request bodies) and what
/// it receives (the responses).
#[derive(Default)]
pub struct OperationParts<'d> {
    pub sent: Vec<&'d Value>,
    pub received: Vec<&'d Value>,
}

/// The [`OperationParts`] of every operation under `paths`.
pub fn operation_parts(doc: &Value) -> OperationParts<'_> {
    let mut parts = OperationParts::default();
    let paths = doc.get("paths").and_then(Value::as_object);
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for (key, op) in item.as_object().into_iter().flatten() {
            if key == "parameters" {
                parts.sent.push(op);
                continue;
            }
            parts.sent.extend(op.get("parameters"));
            parts.sent.extend(op.get("requestBody"));
            parts.received.extend(op.get("responses"));
        }
    }
    parts
}

/// Names of the component schemas reachable from `roots` through `$ref`s
/// (responses are followed through their own `$ref`s too).
pub fn component_schemas_reachable(doc: &Value, roots: Vec<&Value>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut seen = BTreeSet::new();
    let mut pending: Vec<&str> = roots.into_iter().flat_map(refs_under).collect();
    while let Some(reference) = pending.pop() {
        if !seen.insert(reference) {
            continue;
        }
        if let Some((section, name)) = component(reference)
            && section == "schemas"
        {
            found.insert(name);
        }
        if let Ok(target) = resolve(doc, reference) {
            pending.extend(refs_under(target));
        }
    }
    found
}
