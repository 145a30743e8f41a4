//! The OpenAPI document the client was generated from (the packaged
//! `openapi/connections.json`, or the one `CODAT_OPENAPI` named at build
//! time), read as the mock's routing table and
//! request contract: which operation a request calls, by the document's paths
//! and methods, and what the document refuses in it, each violation named.

use jsonschema::{Draft, Registry, Validator};
use serde_json::{Value, json};

use codat_connections_spec::json_pointer::{self, escape, locate, ref_string};

/// The document the SDK is generated from.
const DOCUMENT: &str = include_str!(concat!(env!("OUT_DIR"), "/connections.json"));

/// Where the document sits in the schema registry; `$ref`s into it are
/// resolved there and nowhere else.
const DOCUMENT_URI: &str = "urn:codat-connections:openapi";

/// The operations of the document, ready to match requests against.
#[derive(Debug)]
pub(in crate::mock) struct Contract {
    operations: Vec<Operation>,
    /// The properties of each schema under `components/schemas`, each with
    /// whether it holds an object (whose own keys are free).
    properties: Vec<(String, Vec<(String, bool)>)>,
}

/// One operation of the document.
#[derive(Debug)]
pub(in crate::mock) struct Operation {
    /// The document's `operationId`.
    pub(in crate::mock) id: String,
    method: String,
    segments: Vec<Segment>,
    parameters: Vec<Parameter>,
    body: Option<Body>,
    /// The statuses the document lists among its answers.
    statuses: Vec<String>,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Parameter(String),
}

/// A path or query parameter of an operation.
#[derive(Debug)]
struct Parameter {
    /// Its key under `components/parameters`, which stays when Codat renames
    /// the parameter; its name for a parameter written in place.
    key: String,
    name: String,
    location: String,
    required: bool,
    /// The schema's `type`: a query or path value is text on the wire.
    kind: String,
    /// The schema's `format` (`int32`, `uuid`, ...), when it has one.
    format: Option<String>,
    default: Option<String>,
    validator: Validator,
}

#[derive(Debug)]
struct Body {
    required: bool,
    validator: Validator,
}

/// A request matched to the operation it calls.
#[derive(Debug)]
pub(in crate::mock) struct Call<'c> {
    pub(in crate::mock) operation: &'c Operation,
    /// The path as sent.
    pub(in crate::mock) path: String,
    /// Each parameter sent, decoded.
    values: Vec<(&'c Parameter, String)>,
    /// Query parameters the operation does not declare.
    undeclared: Vec<String>,
}

impl Contract {
    /// The contract of the embedded document, read once per process, or why
    /// it cannot be read. The packaged document always reads (this module's
    /// tests load it); one a user chose with `CODAT_OPENAPI` was derived by
    /// the build and generated a client, but the schema compiler here may
    /// still refuse it, and the mock then refuses to start.
    pub(in crate::mock) fn shared() -> Result<&'static Contract, &'static str> {
        static CONTRACT: std::sync::OnceLock<Result<Contract, String>> = std::sync::OnceLock::new();
        CONTRACT
            .get_or_init(|| Contract::load(DOCUMENT))
            .as_ref()
            .map_err(String::as_str)
    }

    /// Reads the operations of an OpenAPI 3.0 document.
    pub(in crate::mock) fn load(text: &str) -> Result<Self, String> {
        let doc: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut schemas = doc.clone();
        nullable_to_json_schema(&mut schemas);
        // OpenAPI 3.0's schemas are those of JSON Schema's draft 5 era; draft 7
        // reads them alike and has the `if`/`else` that `nullable` becomes.
        // Its formats lack `uuid`, which the document uses for IDs.
        let registry = Registry::new()
            .draft(Draft::Draft7)
            .add(DOCUMENT_URI, Draft::Draft7.create_resource(schemas))
            .and_then(|registry| registry.prepare())
            .map_err(|e| e.to_string())?;
        let validator = |reference: &str| {
            jsonschema::options()
                .with_draft(Draft::Draft7)
                .with_registry(&registry)
                .with_format("uuid", |text: &str| uuid::Uuid::try_parse(text).is_ok())
                .should_validate_formats(true)
                .build(&json!({ "$ref": format!("{DOCUMENT_URI}{}", json_pointer::uri_reference(reference)) }))
                .map_err(|e| format!("{reference}: {e}"))
        };
        let mut operations = Vec::new();
        let empty = serde_json::Map::new();
        for (path, item) in doc["paths"].as_object().unwrap_or(&empty) {
            let at = ref_string(&["paths", path]);
            for (method, op) in item.as_object().unwrap_or(&empty) {
                if !op.is_object() || method == "parameters" {
                    continue;
                }
                let shared = (0..item["parameters"].as_array().map_or(0, Vec::len))
                    .map(|i| format!("{at}/parameters/{i}"));
                let own = (0..op["parameters"].as_array().map_or(0, Vec::len))
                    .map(|i| format!("{at}/{method}/parameters/{i}"));
                let mut parameters: Vec<Parameter> = Vec::new();
                for reference in shared.chain(own) {
                    let (reference, parameter) = locate(&doc, &reference)?;
                    let text = |field: &str| parameter[field].as_str().unwrap_or("").to_owned();
                    let schema = format!("{reference}/schema");
                    let typed = locate(&doc, &schema).ok().map(|(_, schema)| schema);
                    let name = text("name");
                    // An operation's own parameter overrides a shared one.
                    parameters.retain(|p| !(p.name == name && p.location == text("in")));
                    parameters.push(Parameter {
                        key: match json_pointer::component(&reference) {
                            Some((section, key)) if section == "parameters" => key,
                            _ => name.clone(),
                        },
                        location: text("in"),
                        required: parameter["required"].as_bool().unwrap_or(false),
                        kind: typed
                            .and_then(|s| s["type"].as_str())
                            .unwrap_or("string")
                            .to_owned(),
                        format: typed.and_then(|s| s["format"].as_str()).map(str::to_owned),
                        default: typed.and_then(|s| match &s["default"] {
                            Value::Null => None,
                            Value::String(text) => Some(text.clone()),
                            other => Some(other.to_string()),
                        }),
                        validator: validator(&schema)?,
                        name,
                    });
                }
                let body = match locate(&doc, &format!("{at}/{method}/requestBody")).ok() {
                    None => None,
                    Some((reference, body)) => Some(Body {
                        required: body["required"].as_bool().unwrap_or(false),
                        validator: validator(&format!(
                            "{reference}/content/{}/schema",
                            escape("application/json")
                        ))?,
                    }),
                };
                operations.push(Operation {
                    statuses: op["responses"]
                        .as_object()
                        .map(|answers| answers.keys().cloned().collect())
                        .unwrap_or_default(),
                    id: op["operationId"].as_str().map_or_else(
                        || format!("{} {path}", method.to_uppercase()),
                        str::to_owned,
                    ),
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
                    parameters,
                    body,
                });
            }
        }
        let properties = doc["components"]["schemas"]
            .as_object()
            .unwrap_or(&empty)
            .iter()
            .map(|(name, schema)| {
                // Its own properties, and those of each part of an allOf
                // (a company is its details and its connections).
                let schema = json_pointer::follow_all(&doc, schema);
                let parts = schema["allOf"].as_array().into_iter().flatten();
                let parts = std::iter::once(schema)
                    .chain(parts.map(|part| json_pointer::follow_all(&doc, part)));
                let fields = parts.flat_map(|part| {
                    let fields = part["properties"].as_object().unwrap_or(&empty).iter();
                    fields.map(|(field, node)| {
                        let node = json_pointer::follow_all(&doc, node);
                        (field.clone(), node["type"] == "object")
                    })
                });
                (name.clone(), fields.collect())
            })
            .collect();
        Ok(Self {
            operations,
            properties,
        })
    }

    /// The properties of the document's schema `components/schemas/{name}`,
    /// each with whether it holds an object; none for a schema it lacks.
    pub(in crate::mock) fn properties(&self, schema: &str) -> &[(String, bool)] {
        self.properties
            .iter()
            .find(|(name, _)| name == schema)
            .map_or(&[], |(_, fields)| fields.as_slice())
    }

    /// The operation a request calls, with the parameters it sends; `None`
    /// when the document has no operation for its method and path.
    pub(in crate::mock) fn route(
        &self,
        method: &str,
        path: &str,
        query: Option<&str>,
    ) -> Option<Call<'_>> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let (operation, path_values) = self
            .operations
            .iter()
            .filter(|op| op.method == method)
            .filter_map(|op| op.matches(&segments).map(|values| (op, values)))
            // A path written out wins over a templated one, as OpenAPI says.
            .min_by_key(|(_, values)| values.len())?;
        let mut values = Vec::new();
        for (name, value) in path_values {
            if let Some(p) = operation.parameter("path", &name) {
                values.push((p, value));
            }
        }
        let mut undeclared = Vec::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match operation.parameter("query", &name) {
                Some(p) => values.push((p, value.into_owned())),
                None => undeclared.push(name.into_owned()),
            }
        }
        Some(Call {
            operation,
            path: path.to_owned(),
            values,
            undeclared,
        })
    }
}

impl Operation {
    /// Whether the document lists `status` among the operation's answers.
    pub(in crate::mock) fn answers_with(&self, status: u16) -> bool {
        self.statuses.iter().any(|s| *s == status.to_string())
    }

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
                    values.push((name.clone(), json_pointer::percent_decode_lossy(segment)))
                }
            }
        }
        Some(values)
    }

    fn parameter(&self, location: &str, name: &str) -> Option<&Parameter> {
        self.parameters
            .iter()
            .find(|p| p.location == location && p.name == name)
    }
}

impl Call<'_> {
    /// The value of the parameter the document keeps under
    /// `components/parameters/{key}`, as sent, or else its default.
    pub(in crate::mock) fn value(&self, key: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| p.key == key)
            .map(|(_, value)| value.as_str())
            .or_else(|| self.declared(key)?.default.as_deref())
    }

    /// The name on the wire of the parameter the document keeps under
    /// `components/parameters/{key}`, when the operation has it.
    pub(in crate::mock) fn name(&self, key: &str) -> Option<&str> {
        self.declared(key).map(|p| p.name.as_str())
    }

    fn declared(&self, key: &str) -> Option<&Parameter> {
        self.operation.parameters.iter().find(|p| p.key == key)
    }

    /// Every way the request breaks the document, empty when it does not.
    pub(in crate::mock) fn violations(&self, body: &[u8]) -> Vec<String> {
        let mut out: Vec<String> = self
            .undeclared
            .iter()
            .map(|name| {
                format!(
                    "query parameter {name} is not a parameter of {}",
                    self.operation.id
                )
            })
            .collect();
        // Header and cookie parameters are not read: the one header the
        // mock knows, Authorization, is checked before the contract.
        out.extend(self.parameter_violations("path"));
        out.extend(self.parameter_violations("query"));
        out.extend(self.body_violations(body));
        out
    }

    /// Every way the parameters `location` holds (`path`, `query`) break
    /// the document.
    pub(in crate::mock) fn parameter_violations(&self, location: &str) -> Vec<String> {
        let mut out = Vec::new();
        let checked = self
            .operation
            .parameters
            .iter()
            .filter(|p| p.location == location);
        for parameter in checked {
            let at = format!("{} parameter {}", parameter.location, parameter.name);
            let sent: Vec<&str> = self
                .values
                .iter()
                .filter(|(p, _)| std::ptr::eq(*p, parameter))
                .map(|(_, value)| value.as_str())
                .collect();
            if sent.is_empty() && parameter.required {
                out.push(format!("{at} is required"));
            }
            for text in sent {
                let value = match parameter.kind.as_str() {
                    // Text that is no number stays text, and fails as such.
                    "integer" | "number" | "boolean" => serde_json::from_str(text)
                        .ok()
                        .filter(|v: &Value| !v.is_string())
                        .unwrap_or_else(|| Value::from(text)),
                    _ => Value::from(text),
                };
                for error in parameter.validator.iter_errors(&value) {
                    out.push(format!("{at}: {error} ({})", error.kind().keyword()));
                }
                if let Some(range) = integer_range(parameter.format.as_deref()) {
                    let fits = value.as_i64().is_some_and(|n| range.contains(&n));
                    if value.is_number() && !fits {
                        let format = parameter.format.as_deref().unwrap_or_default();
                        out.push(format!("{at}: {text} is not an {format} (format)"));
                    }
                }
            }
        }
        out
    }

    fn body_violations(&self, body: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(expected) = &self.operation.body {
            if body.is_empty() {
                if expected.required {
                    out.push("the request body is required".to_owned());
                }
            } else {
                match serde_json::from_slice::<Value>(body) {
                    Ok(value) => {
                        for error in expected.validator.iter_errors(&value) {
                            let at = match error.instance_path().as_str() {
                                "" => String::new(),
                                path => format!(" at {path}"),
                            };
                            let keyword = error.kind().keyword();
                            out.push(format!("request body{at}: {error} ({keyword})"));
                        }
                    }
                    Err(err) => out.push(format!("the request body is not JSON: {err}")),
                }
            }
        }
        out
    }
}

/// The values an integer `format` of OpenAPI allows (JSON Schema checks
/// formats of strings only).
fn integer_range(format: Option<&str>) -> Option<std::ops::RangeInclusive<i64>> {
    match format? {
        "int32" => Some(i64::from(i32::MIN)..=i64::from(i32::MAX)),
        "int64" => Some(i64::MIN..=i64::MAX),
        _ => None,
    }
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema says it: null, or else
/// whatever the rest of the schema allows (so that the violations of a value
/// that is not null are named as without `nullable`).
fn nullable_to_json_schema(node: &mut Value) {
    match node {
        Value::Object(map) => {
            map.values_mut().for_each(nullable_to_json_schema);
            if map.get("nullable") == Some(&Value::Bool(true)) {
                map.remove("nullable");
                let rest = std::mem::take(map);
                map.insert("if".to_owned(), json!({"type": "null"}));
                map.insert("else".to_owned(), Value::Object(rest));
            }
        }
        Value::Array(items) => items.iter_mut().for_each(nullable_to_json_schema),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An operation of the document as a test reads it.
    struct Described {
        id: String,
        method: String,
        template: String,
        /// Each parameter, `$ref` followed, with its schema resolved.
        parameters: Vec<(Value, Value)>,
        body: Option<Value>,
    }

    fn described(doc: &Value) -> Vec<Described> {
        let mut out = Vec::new();
        for (template, item) in doc["paths"].as_object().unwrap() {
            let at = ref_string(&["paths", template]);
            for (method, op) in item.as_object().unwrap() {
                if method == "parameters" {
                    continue;
                }
                let count = |p: &str| {
                    json_pointer::resolve(doc, p)
                        .ok()
                        .and_then(Value::as_array)
                        .map_or(0, Vec::len)
                };
                let shared =
                    (0..count(&format!("{at}/parameters"))).map(|i| format!("{at}/parameters/{i}"));
                let own = (0..count(&format!("{at}/{method}/parameters")))
                    .map(|i| format!("{at}/{method}/parameters/{i}"));
                let parameters = shared
                    .chain(own)
                    .map(|p| {
                        let (p, parameter) = locate(doc, &p).unwrap();
                        let schema = locate(doc, &format!("{p}/schema")).unwrap().1;
                        (parameter.clone(), schema.clone())
                    })
                    .collect();
                let body = locate(doc, &format!("{at}/{method}/requestBody"))
                    .ok()
                    .map(|(p, _)| {
                        let schema = format!("{p}/content/{}/schema", escape("application/json"));
                        locate(doc, &schema).unwrap().1.clone()
                    });
                out.push(Described {
                    id: op["operationId"].as_str().unwrap().to_owned(),
                    method: method.to_uppercase(),
                    template: template.clone(),
                    parameters,
                    body,
                });
            }
        }
        out
    }

    /// A value the schema accepts, from the document's examples.
    fn example(doc: &Value, schema: &Value) -> Value {
        let schema = match schema["$ref"].as_str() {
            Some(r) => locate(doc, r).unwrap().1,
            None => schema,
        };
        if let Some(value) = schema.get("example").or(schema.get("default")) {
            return value.clone();
        }
        if let Some(first) = schema["enum"].get(0).or(schema["allOf"].get(0)) {
            return match schema["enum"].get(0) {
                Some(value) => value.clone(),
                None => example(doc, first),
            };
        }
        match schema["properties"].as_object() {
            Some(properties) => properties
                .iter()
                .map(|(name, property)| (name.clone(), example(doc, property)))
                .collect(),
            None if schema["type"] == "object" => json!({}),
            None => json!("text"),
        }
    }

    /// What to send for a parameter: its example, as text.
    fn text(doc: &Value, parameter: &Value, schema: &Value) -> String {
        match parameter
            .get("example")
            .cloned()
            .unwrap_or_else(|| example(doc, schema))
        {
            Value::String(text) => text,
            other => other.to_string(),
        }
    }

    /// A request for `op`: each path parameter from its example, the query
    /// as given.
    fn path(doc: &Value, op: &Described) -> String {
        let mut path = op.template.clone();
        for (parameter, schema) in &op.parameters {
            if parameter["in"] == "path" {
                let name = parameter["name"].as_str().unwrap();
                path = path.replace(&format!("{{{name}}}"), &text(doc, parameter, schema));
            }
        }
        path
    }

    fn violations(
        contract: &Contract,
        op: &Described,
        path: &str,
        query: &str,
        body: &[u8],
    ) -> Vec<String> {
        let call = contract
            .route(&op.method, path, Some(query))
            .unwrap_or_else(|| panic!("no route for {} {path}", op.method));
        assert_eq!(call.operation.id, op.id);
        call.violations(body)
    }

    /// Asserts that `found` holds a violation of `keyword` at the place `at`
    /// starts; `sent` says what was sent.
    fn assert_names(found: &[String], at: &str, keyword: &str, sent: &str) {
        let tail = format!("({keyword})");
        assert!(
            found
                .iter()
                .any(|v| v.starts_with(at) && v.ends_with(&tail)),
            "{sent} should break {keyword}: {found:?}"
        );
    }

    /// Values breaking `schema`, each with the keyword it breaks. Patterns
    /// are broken by text jsonschema itself says does not match.
    fn breaking(doc: &Value, schema: &Value) -> Vec<(Value, &'static str)> {
        let schema = match schema["$ref"].as_str() {
            Some(r) => locate(doc, r).unwrap().1,
            None => schema,
        };
        let mut out = Vec::new();
        if let Some(max) = schema["maximum"].as_i64() {
            out.push((json!(max + 1), "maximum"));
        }
        if let Some(min) = schema["minimum"].as_i64() {
            out.push((json!(min - 1), "minimum"));
        }
        if let Some(max) = schema["maxLength"].as_u64() {
            out.push((json!("a".repeat(max as usize + 1)), "maxLength"));
        }
        if let Some(min) = schema["minLength"].as_u64().filter(|min| *min > 0) {
            out.push((json!("a".repeat(min as usize - 1)), "minLength"));
        }
        if let Some(pattern) = schema["pattern"].as_str() {
            let unmatched = json!("!".repeat(schema["minLength"].as_u64().unwrap_or(1) as usize));
            if !jsonschema::is_valid(&json!({ "pattern": pattern }), &unmatched) {
                out.push((unmatched, "pattern"));
            }
        }
        if schema["format"] == "uuid" {
            out.push((json!("not-a-uuid"), "format"));
        }
        if schema["enum"].is_array() {
            out.push((json!("NotOneOfThem"), "enum"));
        }
        match schema["type"].as_str() {
            Some("integer" | "number") => out.push((json!("x"), "type")),
            Some("string") => out.push((json!(1), "type")),
            _ => {}
        }
        for part in schema["allOf"].as_array().into_iter().flatten() {
            out.extend(breaking(doc, part));
        }
        out
    }

    #[test]
    fn a_request_made_of_the_documents_examples_passes() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let contract = Contract::load(DOCUMENT).unwrap();
        for op in described(&doc) {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (parameter, schema) in &op.parameters {
                if parameter["in"] == "query" {
                    query.append_pair(
                        parameter["name"].as_str().unwrap(),
                        &text(&doc, parameter, schema),
                    );
                }
            }
            let body = op
                .body
                .as_ref()
                .map(|s| example(&doc, s).to_string())
                .unwrap_or_default();
            let found = violations(
                &contract,
                &op,
                &path(&doc, &op),
                &query.finish(),
                body.as_bytes(),
            );
            assert_eq!(found, Vec::<String>::new(), "{} with {body}", op.id);
        }
    }

    #[test]
    fn each_violation_is_named() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let contract = Contract::load(DOCUMENT).unwrap();
        let mut keywords = std::collections::BTreeSet::new();
        for op in described(&doc) {
            let valid_path = path(&doc, &op);
            for (parameter, schema) in &op.parameters {
                let name = parameter["name"].as_str().unwrap();
                let location = parameter["in"].as_str().unwrap();
                for (bad, keyword) in breaking(&doc, schema) {
                    // On the wire every value is text: `1` is text too.
                    if keyword == "type" && !bad.is_string() {
                        continue;
                    }
                    let bad = match bad {
                        Value::String(text) => text,
                        other => other.to_string(),
                    };
                    let (path, query) = match location {
                        "path" => (
                            valid_path.replace(
                                &text(&doc, parameter, schema),
                                &url::form_urlencoded::byte_serialize(bad.as_bytes())
                                    .collect::<String>(),
                            ),
                            String::new(),
                        ),
                        _ => (
                            valid_path.clone(),
                            url::form_urlencoded::Serializer::new(String::new())
                                .append_pair(name, &bad)
                                .finish(),
                        ),
                    };
                    let found = violations(&contract, &op, &path, &query, b"");
                    let at = format!("{location} parameter {name}: ");
                    assert_names(&found, &at, keyword, &format!("{} {name}={bad:?}", op.id));
                    keywords.insert(keyword);
                }
            }
            let found = violations(
                &contract,
                &op,
                &valid_path,
                "undeclaredByTheDocument=1",
                b"",
            );
            assert!(
                found.contains(&format!(
                    "query parameter undeclaredByTheDocument is not a parameter of {}",
                    op.id
                )),
                "{}: {found:?}",
                op.id
            );
            let Some(schema) = &op.body else { continue };
            let valid = example(&doc, schema);
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                for (bad, keyword) in breaking(&doc, property) {
                    let mut body = valid.clone();
                    body[name] = bad;
                    let found =
                        violations(&contract, &op, &valid_path, "", body.to_string().as_bytes());
                    let at = format!("request body at /{name}: ");
                    assert_names(&found, &at, keyword, &format!("{} {body}", op.id));
                    keywords.insert(keyword);
                }
            }
            let extra = match &schema["additionalProperties"] {
                Value::Bool(false) => Some((json!(1), "additionalProperties")),
                Value::Object(_) => Some((json!({"undeclaredByTheDocument": 1}), "type")),
                _ => None,
            };
            if let Some((bad, keyword)) = extra {
                let mut body = valid.clone();
                if keyword == "additionalProperties" {
                    body["undeclaredByTheDocument"] = bad;
                } else {
                    body = bad;
                }
                let found =
                    violations(&contract, &op, &valid_path, "", body.to_string().as_bytes());
                assert_names(
                    &found,
                    "request body",
                    keyword,
                    &format!("{} {body}", op.id),
                );
                keywords.insert(keyword);
            }
            let found = violations(&contract, &op, &valid_path, "", b"{not json");
            assert!(
                found[0].starts_with("the request body is not JSON"),
                "{found:?}"
            );
        }
        // The document states each of these on some request; had the walk
        // above found none of one, it would have checked nothing for it.
        for keyword in [
            "maximum",
            "minimum",
            "type",
            "format",
            "enum",
            "pattern",
            "additionalProperties",
            "maxLength",
            "minLength",
        ] {
            assert!(
                keywords.contains(keyword),
                "no request broke {keyword}: {keywords:?}"
            );
        }
    }

    #[test]
    fn a_renamed_parameter_is_followed_and_its_old_name_refused() {
        let mut doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let op = described(&doc)
            .into_iter()
            .find(|op| op.parameters.iter().any(|(p, _)| p["in"] == "query"))
            .unwrap();
        let key = doc["components"]["parameters"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(_, p)| p["in"] == "query" && op.parameters.iter().any(|(q, _)| q == *p))
            .map(|(key, _)| key.clone())
            .unwrap();
        let old = doc["components"]["parameters"][&key]["name"]
            .as_str()
            .unwrap()
            .to_owned();
        let new = format!("{old}Renamed");
        doc["components"]["parameters"][&key]["name"] = json!(new);
        let contract = Contract::load(&doc.to_string()).unwrap();
        let path = path(&doc, &op);

        let old_call = contract
            .route(&op.method, &path, Some(&format!("{old}=1")))
            .unwrap();
        let refused = format!("query parameter {old} is not a parameter of {}", op.id);
        assert!(old_call.violations(b"").contains(&refused));
        let new_call = contract
            .route(&op.method, &path, Some(&format!("{new}=1")))
            .unwrap();
        // Other parameters the operation requires are not this test's business.
        let found = new_call.violations(b"");
        assert!(!found.iter().any(|v| v.contains(&new)), "{found:?}");
        assert_eq!(new_call.value(&key), Some("1"));
        assert_eq!(new_call.name(&key), Some(new.as_str()));
    }

    #[test]
    fn a_method_or_path_the_document_lacks_has_no_route() {
        let doc: Value = serde_json::from_str(DOCUMENT).unwrap();
        let contract = Contract::load(DOCUMENT).unwrap();
        let op = &described(&doc)[0];
        let path = path(&doc, op);
        assert!(contract.route(&op.method, &path, None).is_some());
        assert!(contract.route("TRACE", &path, None).is_none());
        assert!(
            contract
                .route(&op.method, &format!("/undeclared{path}"), None)
                .is_none()
        );
        assert!(contract.route(&op.method, "/", None).is_none());
    }

    #[test]
    fn a_path_written_out_wins_over_a_template() {
        let doc = json!({"paths": {
            "/things/{id}": {"get": {"operationId": "templated", "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}
            ]}},
            "/things/mine": {"get": {"operationId": "written"}},
        }});
        let contract = Contract::load(&doc.to_string()).unwrap();
        let id = |path| {
            contract
                .route("GET", path, None)
                .unwrap()
                .operation
                .id
                .clone()
        };
        assert_eq!(id("/things/mine"), "written");
        assert_eq!(id("/things/yours"), "templated");
    }
}
