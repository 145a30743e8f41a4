//! Strategies for JSON text that can fool a walk over it, shared by the
//! tests of the walks.

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::Value;

/// `cases` cases a proptest; a failure prints its smallest case, and
/// nothing is written to disk.
pub(super) fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A string that can fool a scanner: quotes, backslashes, brackets,
/// commas, colons, the word `status`, characters beyond ASCII.
pub(super) fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("status".to_owned()),
        select(&["Linked", "Unlinked", "Deauthorized", "PendingAuth"][..]).prop_map(str::to_owned),
        "[\"\\\\{}\\[\\],: a-z]{0,8}",
        "[\"\\\\\\[{]{0,3}status[\"\\\\:\\]}]{0,3}",
        any::<String>(),
    ]
}

/// Any JSON value, up to three levels deep, with tricky strings and
/// keys (`status` often).
pub(super) fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        tricky_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            vec((tricky_text(), inner), 0..5)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A connection as it may come: an object, with a status or not, among
/// other fields; now and then any other value.
pub(super) fn element() -> impl Strategy<Value = Value> {
    let connection = (
        vec((tricky_text(), value()), 0..5),
        option::of(value()),
        0..6usize,
    )
        .prop_map(|(fields, status, at)| {
            let mut fields: Vec<(String, Value)> = fields;
            if let Some(status) = status {
                let at = at.min(fields.len());
                fields.insert(at, ("status".to_owned(), status));
            }
            let mut object = serde_json::Map::new();
            for (key, value) in fields {
                object.insert(key, value);
            }
            Value::Object(object)
        });
    prop_oneof![4 => connection, 1 => value()]
}
