//! The changes the drill makes to the document, each breaking or not, and
//! which of them `--only` picks.

use serde_json::{Map, Value, json};

use crate::json_pointer::escape;

/// One change to the document, made by `apply`.
pub struct Change {
    /// What changed, as the drill prints it; `--only` matches against it.
    pub description: &'static str,
    /// Whether code written against the unchanged document can break.
    pub breaking: bool,
    pub apply: fn(&mut Value) -> Result<(), String>,
}

/// Every change the drill makes, breaking ones first.
pub const CHANGES: [Change; 14] = [
    Change {
        description: "path /companies/{companyId}/connections renamed to \
                      /companies/{companyId}/data-connections",
        breaking: true,
        apply: rename_connections_path,
    },
    Change {
        description: "query parameter pageSize renamed to size",
        breaking: true,
        apply: rename_page_size,
    },
    Change {
        description: "required query parameter region added to list-connections",
        breaking: true,
        apply: |doc| add_region_parameter(doc, true),
    },
    Change {
        description: "operation unlink-connection removed",
        breaking: true,
        apply: remove_unlink,
    },
    Change {
        description: "unlink-connection method changed from PATCH to POST",
        breaking: true,
        apply: unlink_with_post,
    },
    Change {
        description: "response field Connection.linkUrl renamed to linkURL",
        breaking: true,
        apply: rename_link_url,
    },
    Change {
        description: "required response field Connection.platformName removed",
        breaking: true,
        apply: remove_platform_name,
    },
    Change {
        description: "Connection.platformName type changed from string to integer",
        breaking: true,
        apply: platform_name_becomes_integer,
    },
    Change {
        description: "required response field CompanyDetails.redirect renamed to redirectUrl",
        breaking: true,
        apply: rename_company_redirect,
    },
    Change {
        description: "optional query parameter region added to list-connections",
        breaking: false,
        apply: |doc| add_region_parameter(doc, false),
    },
    Change {
        description: "enum value Payroll added to SourceType",
        breaking: false,
        apply: add_source_type,
    },
    Change {
        description: "optional response field Connection.region added",
        breaking: false,
        apply: add_optional_connection_field,
    },
    Change {
        description: "optional response field CompanyDetails.region added",
        breaking: false,
        apply: add_optional_company_field,
    },
    Change {
        description: "operation get-connection-history added \
                      (GET /companies/{companyId}/connections/{connectionId}/history)",
        breaking: false,
        apply: add_history_operation,
    },
];

const CONNECTIONS: &str = "/companies/{companyId}/connections";
const CONNECTION: &str = "/companies/{companyId}/connections/{connectionId}";

fn rename_connections_path(doc: &mut Value) -> Result<(), String> {
    let paths = object_at(doc, "/paths")?;
    let item = paths
        .remove(CONNECTIONS)
        .ok_or(format!("no path {CONNECTIONS}"))?;
    paths.insert("/companies/{companyId}/data-connections".to_owned(), item);
    Ok(())
}

fn rename_page_size(doc: &mut Value) -> Result<(), String> {
    let parameter = object_at(doc, "/components/parameters/pageSize")?;
    parameter.insert("name".to_owned(), json!("size"));
    Ok(())
}

fn add_region_parameter(doc: &mut Value, required: bool) -> Result<(), String> {
    list_parameters(doc)?.push(json!({
        "name": "region", "in": "query", "required": required, "schema": {"type": "string"}
    }));
    Ok(())
}

fn remove_unlink(doc: &mut Value) -> Result<(), String> {
    connection_item(doc)?
        .remove("patch")
        .map(drop)
        .ok_or(format!("no PATCH {CONNECTION}"))
}

fn unlink_with_post(doc: &mut Value) -> Result<(), String> {
    let item = connection_item(doc)?;
    let unlink = item
        .remove("patch")
        .ok_or(format!("no PATCH {CONNECTION}"))?;
    item.insert("post".to_owned(), unlink);
    Ok(())
}

fn rename_link_url(doc: &mut Value) -> Result<(), String> {
    rename_field(doc, "Connection", "linkUrl", "linkURL")
}

fn remove_platform_name(doc: &mut Value) -> Result<(), String> {
    let connection = object_at(doc, "/components/schemas/Connection")?;
    remove_required(connection, "platformName");
    object_in(connection, "properties")?
        .remove("platformName")
        .map(drop)
        .ok_or("no Connection.platformName".to_owned())
}

fn platform_name_becomes_integer(doc: &mut Value) -> Result<(), String> {
    let field = object_at(
        doc,
        "/components/schemas/Connection/properties/platformName",
    )?;
    field.insert("type".to_owned(), json!("integer"));
    field.remove("format");
    Ok(())
}

/// Every enum of our document is replaced by a hand-written open enum; this
/// one is decoded from every connection (`sourceType`).
fn add_source_type(doc: &mut Value) -> Result<(), String> {
    doc.pointer_mut("/components/schemas/SourceType/enum")
        .and_then(Value::as_array_mut)
        .ok_or("no SourceType enum")?
        .push(json!("Payroll"));
    Ok(())
}

fn add_optional_connection_field(doc: &mut Value) -> Result<(), String> {
    let connection = object_at(doc, "/components/schemas/Connection")?;
    object_in(connection, "properties")?.insert(
        "region".to_owned(),
        json!({"type": "string", "description": "Where the connection's data is held."}),
    );
    Ok(())
}

/// A company's `redirect` (its Link URL) under another name: every company
/// Codat sends has it, and this SDK decodes it.
fn rename_company_redirect(doc: &mut Value) -> Result<(), String> {
    rename_field(doc, "CompanyDetails", "redirect", "redirectUrl")
}

fn add_optional_company_field(doc: &mut Value) -> Result<(), String> {
    let company = object_at(doc, "/components/schemas/CompanyDetails")?;
    object_in(company, "properties")?.insert(
        "region".to_owned(),
        json!({"type": "string", "description": "Where the company's data is held."}),
    );
    Ok(())
}

fn add_history_operation(doc: &mut Value) -> Result<(), String> {
    let mut history = connection_item(doc)?
        .get("get")
        .cloned()
        .ok_or(format!("no GET {CONNECTION}"))?;
    history["operationId"] = json!("get-connection-history");
    history["summary"] = json!("Get connection history");
    object_at(doc, "/paths")?.insert(format!("{CONNECTION}/history"), json!({ "get": history }));
    Ok(())
}

fn rename_field(doc: &mut Value, schema: &str, from: &str, to: &str) -> Result<(), String> {
    let schema = object_at(doc, &format!("/components/schemas/{schema}"))?;
    let properties = object_in(schema, "properties")?;
    let field = properties.remove(from).ok_or(format!("no field {from}"))?;
    properties.insert(to.to_owned(), field);
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        for name in required.iter_mut().filter(|n| *n == from) {
            *name = json!(to);
        }
    }
    Ok(())
}

fn remove_required(schema: &mut Map<String, Value>, field: &str) {
    if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
        required.retain(|name| name != field);
    }
}

fn list_parameters(doc: &mut Value) -> Result<&mut Vec<Value>, String> {
    doc.pointer_mut(&format!("/paths/{}/get/parameters", escape(CONNECTIONS)))
        .and_then(Value::as_array_mut)
        .ok_or("list-connections has no parameters".to_owned())
}

fn connection_item(doc: &mut Value) -> Result<&mut Map<String, Value>, String> {
    object_at(doc, &format!("/paths/{}", escape(CONNECTION)))
}

fn object_at<'a>(doc: &'a mut Value, pointer: &str) -> Result<&'a mut Map<String, Value>, String> {
    doc.pointer_mut(pointer)
        .and_then(Value::as_object_mut)
        .ok_or(format!("no object at {pointer}"))
}

fn object_in<'a>(
    map: &'a mut Map<String, Value>,
    key: &str,
) -> Result<&'a mut Map<String, Value>, String> {
    map.get_mut(key)
        .and_then(Value::as_object_mut)
        .ok_or(format!("no object `{key}`"))
}

/// The changes whose description contains one of `only` (ignoring case), or
/// every change when `only` is empty.
pub fn select(only: &[String]) -> Vec<&'static Change> {
    CHANGES
        .iter()
        .filter(|change| {
            let description = change.description.to_lowercase();
            only.is_empty()
                || only
                    .iter()
                    .any(|text| description.contains(&text.to_lowercase()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    use crate::change_report::compare;
    use crate::sync_spec::{DOCUMENT, workspace_root};

    fn checked_in() -> Value {
        let text = fs::read_to_string(workspace_root().join(DOCUMENT)).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn changed(change: &Change) -> Value {
        let mut doc = checked_in();
        (change.apply)(&mut doc).unwrap_or_else(|e| panic!("{}: {e}", change.description));
        doc
    }

    #[test]
    fn the_change_report_classifies_every_change_as_the_drill_does() {
        let original = checked_in();
        for change in &CHANGES {
            let report = compare(&original, &changed(change));
            assert!(!report.is_empty(), "{}: no change", change.description);
            let breaking = report.iter().any(|c| c.breaking);
            assert_eq!(
                breaking, change.breaking,
                "{}: {report:?}",
                change.description
            );
        }
    }

    #[test]
    fn each_change_reports_what_it_says() {
        let report = |text: &str| -> Vec<String> {
            let change = select(&[text.to_owned()]);
            assert_eq!(change.len(), 1, "{text}");
            compare(&checked_in(), &changed(change[0]))
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            report("method"),
            ["breaking: `unlink-connection` method changed from PATCH to POST"]
        );
        assert_eq!(
            report("unlink-connection removed"),
            ["breaking: operation `unlink-connection` removed"]
        );
        assert_eq!(
            report("path /companies"),
            [
                "breaking: `create-connection` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
                "breaking: `list-connections` path changed from `/companies/{companyId}/connections` \
                 to `/companies/{companyId}/data-connections`",
            ]
        );
        assert_eq!(
            report("pageSize"),
            [
                // The parameter both listings share.
                "breaking: parameter `list-companies parameter pageSize` removed",
                "breaking: parameter `list-connections parameter pageSize` removed",
                "non-breaking: parameter `list-companies parameter size` added",
                "non-breaking: parameter `list-connections parameter size` added",
            ]
        );
        assert_eq!(
            report("required query"),
            ["breaking: parameter `list-connections parameter region` added"]
        );
        assert_eq!(
            report("optional query"),
            ["non-breaking: parameter `list-connections parameter region` added"]
        );
        assert_eq!(
            report("type changed"),
            ["breaking: `Connection.platformName` type changed from string to integer"]
        );
        assert_eq!(
            report("history"),
            ["non-breaking: operation `get-connection-history` added \
                 (GET /companies/{companyId}/connections/{connectionId}/history)"]
        );
        assert_eq!(
            report("Payroll"),
            ["non-breaking: `SourceType` enum value `Payroll` added"]
        );
        assert_eq!(
            report("redirect"),
            [
                "breaking: field `CompanyDetails.redirect` removed",
                // Received, not sent: a new field of a response breaks nobody.
                "non-breaking: field `CompanyDetails.redirectUrl` added",
            ]
        );
        assert_eq!(
            report("CompanyDetails.region"),
            ["non-breaking: field `CompanyDetails.region` added"]
        );
    }

    #[test]
    fn changes_refuse_a_document_without_what_they_change() {
        for change in &CHANGES {
            let mut empty = json!({"paths": {}, "components": {"schemas": {}}});
            assert!(
                (change.apply)(&mut empty).is_err(),
                "{} changed an empty document",
                change.description
            );
        }
    }

    #[test]
    fn only_selects_by_description_ignoring_case() {
        assert_eq!(select(&[]).len(), CHANGES.len());
        let page_size = select(&["PAGESIZE".to_owned()]);
        assert_eq!(page_size.len(), 1);
        assert_eq!(
            page_size[0].description,
            "query parameter pageSize renamed to size"
        );
        assert_eq!(select(&["region".to_owned()]).len(), 4);
        assert!(select(&["nothing like this".to_owned()]).is_empty());
    }
}
