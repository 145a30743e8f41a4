//! Checks each request against the checked-in OpenAPI document, so that a
//! request Codat would refuse is refused by the mock too, with the violation
//! named.

use regex::Regex;
use serde_json::{Map, Value};

/// The document the SDK is generated from.
const DOCUMENT: &str = include_str!("../../openapi/connections.json");

/// The operations of the document, ready to match requests against.
#[derive(Debug)]
pub(super) struct Contract {
    doc: Value,
    operations: Vec<Operation>,
}

#[derive(Debug)]
struct Operation {
    method: String,
    segments: Vec<Segment>,
    parameters: Vec<Value>,
    body: Option<(bool, Value)>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Parameter(String),
}

impl Contract {
    /// The contract, read from the document once per process.
    pub(super) fn shared() -> &'static Contract {
        static CONTRACT: std::sync::OnceLock<Contract> = std::sync::OnceLock::new();
        CONTRACT.get_or_init(Contract::load)
    }

    pub(super) fn load() -> Self {
        // The document is part of this crate and checked by its tests; an
        // unreadable one is a build defect, not a runtime condition.
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap_or(Value::Null);
        let mut operations = Vec::new();
        let empty = Map::new();
        for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
            let shared: Vec<Value> = item["parameters"].as_array().cloned().unwrap_or_default();
            for (method, op) in item.as_object().unwrap_or(&empty) {
                if method == "parameters" {
                    continue;
                }
                let mut parameters = shared.clone();
                parameters.extend(op["parameters"].as_array().cloned().unwrap_or_default());
                let body = op.get("requestBody").map(|b| {
                    let body = resolve(&doc, b).clone();
                    let required = body["required"].as_bool().unwrap_or(false);
                    (
                        required,
                        body["content"]["application/json"]["schema"].clone(),
                    )
                });
                operations.push(Operation {
                    method: method.to_uppercase(),
                    segments: path
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .map(
                            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                                Some(name) => Segment::Parameter(name.to_owned()),
                                None => Segment::Literal(s.to_owned()),
                            },
                        )
                        .collect(),
                    parameters: parameters
                        .iter()
                        .map(|p| resolve(&doc, p).clone())
                        .collect(),
                    body,
                });
            }
        }
        Self { doc, operations }
    }

    /// The violations of a request, empty when it satisfies the document. A
    /// request for no operation of the document is left to the router.
    pub(super) fn violations(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
        body: &[u8],
    ) -> Vec<String> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let Some((operation, path_values)) = self.operations.iter().find_map(|op| {
            (op.method == method).then_some(())?;
            op.matches(&segments).map(|values| (op, values))
        }) else {
            return Vec::new();
        };
        let query: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let mut out = Vec::new();
        for parameter in &operation.parameters {
            let name = parameter["name"].as_str().unwrap_or("");
            let location = parameter["in"].as_str().unwrap_or("");
            let value = match location {
                "path" => path_values
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone()),
                "query" => query
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, v)| v.clone()),
                _ => continue,
            };
            let Some(value) = value else {
                if parameter["required"].as_bool().unwrap_or(false) {
                    out.push(format!("{location} parameter {name} is required"));
                }
                continue;
            };
            let schema = &parameter["schema"];
            let typed = match resolve(&self.doc, schema)["type"].as_str() {
                Some("integer") => match value.parse::<i64>() {
                    Ok(n) => Value::from(n),
                    Err(_) => {
                        out.push(format!(
                            "{location} parameter {name}: {value:?} is not an integer"
                        ));
                        continue;
                    }
                },
                _ => Value::String(value),
            };
            self.check(
                schema,
                &typed,
                &format!("{location} parameter {name}"),
                &mut out,
            );
        }
        if let Some((required, schema)) = &operation.body {
            if body.is_empty() {
                if *required {
                    out.push("the request body is required".to_owned());
                }
            } else {
                match serde_json::from_slice::<Value>(body) {
                    Ok(value) => self.check(schema, &value, "request body", &mut out),
                    Err(err) => out.push(format!("the request body is not JSON: {err}")),
                }
            }
        }
        out
    }

    /// Checks `value` against `schema` (the JSON Schema subset OpenAPI 3.0
    /// documents use), pushing each violation found at `at`.
    fn check(&self, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
        let schema = resolve(&self.doc, schema);
        if value.is_null() {
            if schema["nullable"].as_bool() != Some(true) {
                out.push(format!("{at} must not be null"));
            }
            return;
        }
        if let Some(parts) = schema["allOf"].as_array() {
            for part in parts {
                self.check(part, value, at, out);
            }
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(value) {
                out.push(format!(
                    "{at}: {value} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        let type_ok = match schema["type"].as_str() {
            Some("string") => value.is_string(),
            Some("integer") => value.is_i64() || value.is_u64(),
            Some("number") => value.is_number(),
            Some("boolean") => value.is_boolean(),
            Some("object") => value.is_object(),
            Some("array") => value.is_array(),
            _ => true,
        };
        if !type_ok {
            out.push(format!("{at}: {value} is not of type {}", schema["type"]));
            return;
        }
        if let Some(text) = value.as_str() {
            let length = text.chars().count() as u64;
            if let Some(min) = schema["minLength"].as_u64().filter(|min| length < *min) {
                out.push(format!("{at}: {text:?} is shorter than {min} characters"));
            }
            if let Some(max) = schema["maxLength"].as_u64().filter(|max| length > *max) {
                out.push(format!("{at}: {text:?} is longer than {max} characters"));
            }
            if let Some(pattern) = schema["pattern"].as_str() {
                // JSON Schema patterns are unanchored, as Regex::is_match is.
                if !Regex::new(pattern).is_ok_and(|re| re.is_match(text)) {
                    out.push(format!(
                        "{at}: {text:?} does not match the pattern {pattern:?}"
                    ));
                }
            }
            if schema["format"] == "uuid" && uuid::Uuid::try_parse(text).is_err() {
                out.push(format!("{at}: {text:?} is not a UUID"));
            }
        }
        if let Some(number) = value.as_f64() {
            if let Some(min) = schema["minimum"].as_f64().filter(|min| number < *min) {
                out.push(format!("{at}: {value} is less than the minimum {min}"));
            }
            if let Some(max) = schema["maximum"].as_f64().filter(|max| number > *max) {
                out.push(format!("{at}: {value} is greater than the maximum {max}"));
            }
        }
        if let Some(object) = value.as_object() {
            let properties = schema["properties"].as_object();
            for name in schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                if !object.contains_key(name) {
                    out.push(format!("{at}: property {name} is required"));
                }
            }
            for (name, field) in object {
                match properties.and_then(|p| p.get(name)) {
                    Some(sub) => self.check(sub, field, &format!("{at}.{name}"), out),
                    None => match &schema["additionalProperties"] {
                        Value::Bool(false) => {
                            out.push(format!("{at}: property {name} is not allowed"))
                        }
                        extra @ Value::Object(_) => {
                            self.check(extra, field, &format!("{at}.{name}"), out)
                        }
                        _ => {}
                    },
                }
            }
        }
        if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
            for (i, item) in values.iter().enumerate() {
                self.check(items, item, &format!("{at}[{i}]"), out);
            }
        }
    }
}

impl Operation {
    fn matches(&self, segments: &[&str]) -> Option<Vec<(String, String)>> {
        if segments.len() != self.segments.len() {
            return None;
        }
        let mut values = Vec::new();
        for (segment, expected) in segments.iter().zip(&self.segments) {
            match expected {
                Segment::Literal(text) if text == segment => {}
                Segment::Literal(_) => return None,
                Segment::Parameter(name) => {
                    let decoded = percent_decode(segment);
                    values.push((name.clone(), decoded));
                }
            }
        }
        Some(values)
    }
}

fn percent_decode(segment: &str) -> String {
    url::form_urlencoded::parse(format!("v={}", segment.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// Follows a local `$ref` (`#/components/...`) to what it points at.
fn resolve<'a>(doc: &'a Value, node: &'a Value) -> &'a Value {
    match node["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc
            .pointer(pointer)
            .map_or(node, |target| resolve(doc, target)),
        None => node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = "/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections";

    #[test]
    fn valid_requests_pass() {
        let contract = Contract::load();
        assert_eq!(
            contract.violations(
                "GET",
                COMPANY,
                Some("page=1&pageSize=5000&query=status%3DLinked"),
                b""
            ),
            Vec::<String>::new()
        );
        assert!(contract
            .violations("POST", COMPANY, None, br#"{"platformKey":"gbol"}"#)
            .is_empty());
        let one = format!("{COMPANY}/2e9d2c44-f675-40ba-8049-353bfcb5e171");
        assert!(contract
            .violations("PATCH", &one, None, br#"{"status":"Unlinked"}"#)
            .is_empty());
        assert!(contract
            .violations(
                "PUT",
                &format!("{one}/authorization"),
                None,
                br#"{"a":"b"}"#
            )
            .is_empty());
    }

    #[test]
    fn each_violation_is_named() {
        let contract = Contract::load();
        /// Method, path, query, body, and the violation expected.
        type Case<'a> = (&'a str, String, Option<&'a str>, &'a [u8], &'a str);
        let cases: [Case; 7] = [
            (
                "GET",
                COMPANY.into(),
                Some("pageSize=5001"),
                b"",
                "query parameter pageSize: 5001 is greater than the maximum 5000",
            ),
            (
                "GET",
                COMPANY.into(),
                Some("page=0"),
                b"",
                "query parameter page: 0 is less than the minimum 1",
            ),
            (
                "GET",
                COMPANY.into(),
                Some("page=x"),
                b"",
                "query parameter page: \"x\" is not an integer",
            ),
            (
                "GET",
                "/companies/not-a-uuid/connections".into(),
                None,
                b"",
                "path parameter companyId: \"not-a-uuid\" is not a UUID",
            ),
            (
                "POST",
                COMPANY.into(),
                None,
                br#"{"platformKey":"GBOL"}"#,
                "request body.platformKey: \"GBOL\" does not match the pattern",
            ),
            (
                "PATCH",
                format!("{COMPANY}/2e9d2c44-f675-40ba-8049-353bfcb5e171"),
                None,
                br#"{"status":"Gone","x":1}"#,
                "request body.status: \"Gone\" is not one of",
            ),
            (
                "PUT",
                format!("{COMPANY}/2e9d2c44-f675-40ba-8049-353bfcb5e171/authorization"),
                None,
                br#"{"a":1}"#,
                "request body.a: 1 is not of type \"string\"",
            ),
        ];
        for (method, path, query, body, expected) in cases {
            let found = contract.violations(method, &path, query, body);
            assert!(
                found.iter().any(|v| v.starts_with(expected)),
                "{method} {path}: {found:?}"
            );
        }
        let unlink = contract.violations(
            "PATCH",
            &format!("{COMPANY}/2e9d2c44-f675-40ba-8049-353bfcb5e171"),
            None,
            br#"{"status":"Unlinked","x":1}"#,
        );
        assert_eq!(unlink, ["request body: property x is not allowed"]);
        let malformed = contract.violations("POST", COMPANY, None, b"{not json");
        assert!(
            malformed[0].starts_with("the request body is not JSON"),
            "{malformed:?}"
        );
    }
}
