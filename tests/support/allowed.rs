//! Instances of a document's schemas with nothing sharper than the document
//! says: any string where it says `string` (long, empty, lorem ipsum, a
//! date or not), any integer within its bounds, absolute URIs of every
//! shape where it says `uri`, `null` exactly where it says `nullable`, only
//! its own enum values. What Codat may send, by its own contract; the
//! proptest strategies in `arbitrary.rs` are shaped by how Codat behaves.

use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

use super::arbitrary::{exact_json, unknown_fields, uuid, valid_datetime};
use super::schema;

/// Any string: short or empty, up to a few thousand characters.
fn any_string() -> BoxedStrategy<String> {
    prop_oneof![
        4 => any::<String>(),
        1 => Just(String::new()),
        1 => "[ -~]{300,3000}",
    ]
    .boxed()
}

/// An absolute URI (RFC 3986): a scheme, an optional authority, a path, a
/// query and a fragment, with characters a URI may hold unescaped or
/// percent-encoded.
fn absolute_uri() -> BoxedStrategy<String> {
    let scheme = "(https?|ftp|urn|mailto|[a-z][a-z0-9+.-]{0,7})";
    let authority = "(//([a-z0-9._~-]{1,20}@)?([a-zA-Z0-9-]{1,20}(\\.[a-zA-Z0-9-]{1,20}){0,3}|127\\.0\\.0\\.1|\\[::1\\])(:[0-9]{1,5})?)?";
    let segment = "(/([A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-F]{2}){0,12}){0,4}";
    let query = "(\\?([A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-F]{2}){0,20})?";
    let fragment = "(#[A-Za-z0-9._~-]{0,8})?";
    proptest::string::string_regex(&format!("{scheme}:{authority}{segment}{query}{fragment}"))
        .expect("a valid pattern")
        .boxed()
}

/// A URI reference: absolute, or relative (a path, a query, or both).
fn uri_reference() -> BoxedStrategy<String> {
    let relative = "(/?[A-Za-z0-9._~-]{0,10}){0,4}(\\?[A-Za-z0-9=&%._-]{0,30})?";
    prop_oneof![absolute_uri(), relative].boxed()
}

/// The value of a property the document leaves open, by its flattened
/// schema; `None` leaves it to the walker (objects, arrays).
pub fn leaf(_name: &str, schema: &Value) -> Option<BoxedStrategy<Value>> {
    let format = schema.get("format").and_then(Value::as_str);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return Some(select(values.clone()).boxed());
    }
    let string = |s: BoxedStrategy<String>| Some(s.prop_map(Value::String).boxed());
    match (schema::schema_type(schema).as_deref(), format) {
        // Codat's `DateTime` is a plain string; its forms, and any other.
        (Some("string"), None) if schema.get("title") == Some(&Value::from("Date time")) => {
            string(prop_oneof![valid_datetime().prop_map(|v| v.text), any_string()].boxed())
        }
        (Some("string"), Some("uuid")) => string(
            (uuid(), any::<bool>())
                .prop_map(|(id, upper)| {
                    let id = id.hyphenated().to_string();
                    if upper { id.to_uppercase() } else { id }
                })
                .boxed(),
        ),
        (Some("string"), Some("uri")) => string(absolute_uri()),
        (Some("string"), Some("uri-reference")) => string(uri_reference()),
        (Some("string"), _) => match schema.get("pattern").and_then(Value::as_str) {
            Some(pattern) => string(
                proptest::string::string_regex(pattern)
                    .unwrap_or_else(|e| panic!("pattern {pattern}: {e}"))
                    .boxed(),
            ),
            None => string(any_string()),
        },
        (Some("integer"), _) => {
            let bound = |key: &str, default: i64| {
                schema.get(key).and_then(Value::as_i64).unwrap_or(default)
            };
            let range = bound("minimum", i64::MIN)..=bound("maximum", i64::MAX);
            Some(prop_oneof![3 => range.clone(), 1 => select(vec![*range.start(), *range.end(), 0, -1])].prop_map(Value::from).boxed())
        }
        _ => None,
    }
}

/// How [`schema::arbitrary`] fills in what the document allows.
pub const LEAVES: schema::Leaves = schema::Leaves {
    value: leaf,
    null: |_, schema| schema::is_nullable(schema),
    free: exact_json,
    unknown: unknown_fields,
};
