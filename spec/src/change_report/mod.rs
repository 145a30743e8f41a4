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

mod facts;
mod type_label;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

use facts::{Fact, Flow, Kind, facts};

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
    // Likewise the fields of a schema that was added or removed: the
    // schema's own line says it.
    let is_schema = |facts: &BTreeMap<String, Fact>, name: &str| {
        facts.get(name).is_some_and(|f| f.kind == Kind::Schema)
    };
    let with_its_schema = |place: &str, fact: &Fact| {
        let schema = place.split(['.', '[', '{']).next().unwrap_or(place);
        fact.kind == Kind::Field && !(is_schema(&before, schema) && is_schema(&after, schema))
    };
    let mut changes = Vec::new();
    for (place, fact) in &before {
        match after.get(place) {
            None if fact.kind == Kind::ResponseBody
                || with_its_operation(fact)
                || with_its_schema(place, fact) => {}
            None => changes.push(Change {
                breaking: fact.kind != Kind::Response,
                text: format!("{} `{place}` removed", fact.kind.noun()),
            }),
            Some(now) => compare_fact(place, fact, now, &mut changes),
        }
    }
    for (place, fact) in &after {
        if before.contains_key(place)
            || fact.kind == Kind::ResponseBody
            || with_its_operation(fact)
            || with_its_schema(place, fact)
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

    #[test]
    fn a_new_schema_is_one_non_breaking_line_with_its_fields() {
        // A new operation whose body is a new schema with a required field:
        // nothing written against the old document sends it.
        let mut old = operations();
        old["components"]["schemas"] = json!({});
        let mut new = old.clone();
        new["paths"]["/companies"] = json!({"post": {"operationId": "create-company",
            "requestBody": {"content": {"application/json": {"schema":
                {"$ref": "#/components/schemas/CompanyRequestBody"}}}},
            "responses": {"200": {"description": "OK"}}}});
        new["components"]["schemas"]["CompanyRequestBody"] = json!({"type": "object",
            "required": ["name"], "properties": {"name": {"type": "string"},
                "tags": {"type": "object", "additionalProperties": {"type": "string"}}}});
        assert_eq!(
            report(&old, &new),
            [
                "non-breaking: operation `create-company` added (POST /companies)",
                "non-breaking: schema `CompanyRequestBody` added",
            ]
        );
        // And gone, one line for each.
        assert_eq!(
            report(&new, &old),
            [
                "breaking: operation `create-company` removed",
                "breaking: schema `CompanyRequestBody` removed",
            ]
        );
    }
}
