//! Proptest strategies of what Codat might send: date-times in every
//! documented form and near misses, UUIDs in every spelling, open-enum
//! strings, arbitrary and exact JSON, and valid instances of the crate's
//! document's schemas (walked by `schema::arbitrary`).

use std::collections::BTreeSet;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use codat_connections::{ConnectionStatus, DataConnectionErrorStatus, DateTime, SourceType};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

use super::schema;

/// Any calendar date with a four-digit year, with extra weight on the
/// edges: the first and last representable days, and leap days.
pub fn date() -> impl Strategy<Value = NaiveDate> {
    let any_date = (0i32..=9999, 1u32..=366).prop_map(|(year, ordinal)| {
        NaiveDate::from_yo_opt(year, ordinal)
            .or_else(|| NaiveDate::from_yo_opt(year, 365))
            .expect("every year has 365 days")
    });
    let edge = select(vec![
        (0, 1, 1),
        (0, 2, 29),
        (2000, 2, 29),
        (9999, 12, 31),
        (1970, 1, 1),
    ])
    .prop_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).expect("a real date"));
    prop_oneof![4 => any_date, 1 => edge]
}

/// The suffix after the time, and what it means.
#[derive(Clone, Debug)]
pub enum Suffix {
    /// No offset: local time.
    None,
    /// `Z` or `z`.
    Utc { lowercase: bool },
    /// `±hh:mm`.
    Offset {
        negative: bool,
        hours: u32,
        minutes: u32,
    },
}

/// One generated valid input, with the value it must parse to.
#[derive(Clone, Debug)]
pub struct ValidDateTime {
    pub text: String,
    pub expected: DateTime,
    /// Whether `Display` must give back `text` exactly: no fraction, upper
    /// case `T`/`Z`, and no `-00:00` (which is the same offset as `+00:00`).
    pub canonical: bool,
}

pub fn suffix() -> impl Strategy<Value = Suffix> {
    prop_oneof![
        Just(Suffix::None),
        any::<bool>().prop_map(|lowercase| Suffix::Utc { lowercase }),
        (any::<bool>(), 0u32..=23, 0u32..=59).prop_map(|(negative, hours, minutes)| {
            Suffix::Offset {
                negative,
                hours,
                minutes,
            }
        }),
    ]
}

/// Valid inputs of every documented form: date only, or date and time with
/// 0 to 7 fractional digits and no offset, `Z` or `±hh:mm`.
pub fn valid_datetime() -> impl Strategy<Value = ValidDateTime> {
    let date_only = date().prop_map(|d| ValidDateTime {
        text: d.format("%Y-%m-%d").to_string(),
        expected: DateTime::Date(d),
        canonical: true,
    });
    let fraction = (0usize..=7).prop_flat_map(|n| vec(0u8..10, n));
    let timestamp = (
        date(),
        0u32..24,
        0u32..60,
        0u32..60,
        fraction,
        any::<bool>(),
        suffix(),
    )
        .prop_map(|(d, h, m, s, digits, lowercase_t, suffix)| {
            let nanos = (0..9).fold(0u32, |acc, i| {
                acc * 10 + u32::from(digits.get(i).copied().unwrap_or(0))
            });
            let naive: NaiveDateTime = d.and_time(
                NaiveTime::from_hms_nano_opt(h, m, s, nanos).expect("generated in range"),
            );
            let mut text = format!(
                "{}{}{h:02}:{m:02}:{s:02}",
                d.format("%Y-%m-%d"),
                if lowercase_t { 't' } else { 'T' }
            );
            if !digits.is_empty() {
                text.push('.');
                text.extend(digits.iter().map(|&digit| char::from(b'0' + digit)));
            }
            let mut canonical = digits.is_empty() && !lowercase_t;
            let expected = match suffix {
                Suffix::None => DateTime::Local(naive),
                Suffix::Utc { lowercase } => {
                    text.push(if lowercase { 'z' } else { 'Z' });
                    canonical &= !lowercase;
                    DateTime::Utc(naive.and_utc())
                }
                Suffix::Offset {
                    negative,
                    hours,
                    minutes,
                } => {
                    let sign = if negative { '-' } else { '+' };
                    text.push_str(&format!("{sign}{hours:02}:{minutes:02}"));
                    canonical &= !(negative && hours == 0 && minutes == 0);
                    let secs = i32::try_from(hours * 3600 + minutes * 60).expect("small");
                    let offset = if negative {
                        FixedOffset::west_opt(secs)
                    } else {
                        FixedOffset::east_opt(secs)
                    }
                    .expect("offset under a day");
                    DateTime::Offset(
                        offset
                            .from_local_datetime(&naive)
                            .single()
                            .expect("fixed offsets are unambiguous"),
                    )
                }
            };
            ValidDateTime {
                text,
                expected,
                canonical,
            }
        });
    prop_oneof![1 => date_only, 4 => timestamp]
}

/// The characters Codat's date-times are made of, plus a few near misses.
pub fn datetime_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => (b'0'..=b'9').prop_map(char::from),
        4 => select(vec!['-', ':', 'T', 'Z', '+', '.', 't', 'z', ' ', 'é', '\u{0}', '٣']),
    ]
}

#[derive(Clone, Debug)]
pub enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    Duplicate,
}

pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), datetime_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), datetime_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::Duplicate),
    ]
}

pub fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for mutation in mutations {
        let len = chars.len();
        match *mutation {
            Mutation::Replace(i, c) if len > 0 => chars[i % len] = c,
            Mutation::Insert(i, c) => chars.insert(i % (len + 1), c),
            Mutation::Delete(i) if len > 0 => {
                chars.remove(i % len);
            }
            Mutation::Truncate(i) => chars.truncate(i % (len + 1)),
            Mutation::Duplicate => chars.extend_from_within(..),
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// Strings that are, or are close to, Codat date-times, and arbitrary text.
pub fn datetime_like_string() -> impl Strategy<Value = String> {
    prop_oneof![
        valid_datetime().prop_map(|v| v.text),
        (valid_datetime(), vec(mutation(), 1..4)).prop_map(|(v, m)| mutate(&v.text, &m)),
        vec(datetime_char(), 0..40).prop_map(|chars| chars.into_iter().collect()),
        any::<String>(),
    ]
}

/// Finite JSON numbers (JSON has no NaN or infinity).
pub fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
    ]
}

/// Strings that land in the interesting branches of the decoders.
pub fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        datetime_like_string(),
        uuid_like_string(),
        select(
            [
                ConnectionStatus::KNOWN_VALUES,
                SourceType::KNOWN_VALUES,
                DataConnectionErrorStatus::KNOWN_VALUES,
            ]
            .concat()
        )
        .prop_map(str::to_owned),
    ]
}

pub fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ]
}

/// The names the document gives properties, so arbitrary objects sometimes
/// have the right keys with the wrong values.
pub fn json_key() -> impl Strategy<Value = String> {
    let names: Vec<String> = schema::property_names(schema::connections_document())
        .into_iter()
        .collect();
    prop_oneof![select(names), any::<String>()]
}

/// Arbitrary JSON, at most 4 levels deep and about 64 nodes.
pub fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

pub fn non_string_json() -> impl Strategy<Value = Value> {
    json_value().prop_filter("not a string", |v| !v.is_string())
}

pub fn uuid() -> impl Strategy<Value = uuid::Uuid> {
    any::<[u8; 16]>().prop_map(uuid::Uuid::from_bytes)
}

/// UUIDs in every spelling, and near misses.
pub fn uuid_like_string() -> impl Strategy<Value = String> {
    prop_oneof![
        uuid().prop_map(|u| u.hyphenated().to_string()),
        uuid().prop_map(|u| u.hyphenated().to_string().to_uppercase()),
        uuid().prop_map(|u| u.simple().to_string()),
        uuid().prop_map(|u| u.braced().to_string()),
        uuid().prop_map(|u| u.urn().to_string()),
        (uuid(), vec(mutation(), 1..3)).prop_map(|(u, m)| mutate(&u.to_string(), &m)),
        "[0-9a-fA-F-]{30,40}",
        any::<String>(),
    ]
}

pub fn open_enum_string(known: Vec<String>) -> impl Strategy<Value = String> {
    prop_oneof![
        select(known.clone()),
        // Known values in the wrong case or with stray spaces stay unknown.
        (select(known), 0usize..4).prop_map(|(wire, how)| match how {
            0 => wire.to_lowercase(),
            1 => wire.to_uppercase(),
            2 => format!(" {wire}"),
            _ => format!("{wire} "),
        }),
        "[A-Za-z]{0,16}",
        any::<String>(),
    ]
}

/// `known` as owned strings.
pub fn owned(known: &[&str]) -> Vec<String> {
    known.iter().map(|&wire| wire.to_owned()).collect()
}

/// JSON that survives a trip through text unchanged (no floats that need
/// more digits than the default parser promises to keep).
pub fn exact_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (any::<i32>(), 0u32..4).prop_map(|(m, e)| json!(f64::from(m) / f64::from(1u32 << e))),
        any::<String>().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(any::<String>(), inner, 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
    .boxed()
}

/// `realistic` or any string.
pub fn string_or_any(realistic: impl Strategy<Value = String> + 'static) -> BoxedStrategy<Value> {
    prop_oneof![realistic, any::<String>()]
        .prop_map(Value::String)
        .boxed()
}

/// What the document leaves open, as Codat might fill it in: valid
/// date-times, UUIDs in either case, link URLs, platform keys, page counts
/// of any sign, and any string (known or not) for the open enums.
pub fn leaf(name: &str, schema: &Value) -> Option<BoxedStrategy<Value>> {
    let count = || prop_oneof![3 => 0i64..10_000, 1 => any::<i64>()].prop_map(Value::from);
    Some(match (name, schema.get("format").and_then(Value::as_str)) {
        _ if schema.get("enum").is_some() => {
            let known = serde_json::from_value(schema["enum"].clone()).expect("string values");
            open_enum_string(known).prop_map(Value::String).boxed()
        }
        _ if schema.get("title") == Some(&json!("Date time")) => {
            valid_datetime().prop_map(|v| Value::String(v.text)).boxed()
        }
        (_, Some("uuid")) => (uuid(), any::<bool>())
            .prop_map(|(id, upper)| {
                let id = id.hyphenated().to_string();
                Value::String(if upper { id.to_uppercase() } else { id })
            })
            .boxed(),
        (_, Some("uri")) => string_or_any((uuid(), uuid()).prop_map(|(company, connection)| {
            format!("https://link-api.codat.io/companies/{company}/connections/{connection}/start")
        })),
        (_, Some("uri-reference")) => {
            string_or_any((uuid(), 1u32..10).prop_map(|(company, page)| {
                format!("/companies/{company}/connections?page={page}&pageSize=100")
            }))
        }
        ("integrationKey", _) => string_or_any("[a-z]{4}"),
        ("platformName", _) => string_or_any("[A-Z][a-z]{2,12}"),
        ("statusCode", _) if schema["type"] == "string" => string_or_any("[1-5][0-9]{2}"),
        ("statusCode", _) => (100i64..600).prop_map(Value::from).boxed(),
        ("pageNumber" | "pageSize" | "totalResults", _) => count().boxed(),
        _ => return None,
    })
}

/// How random instances of the document's schemas are filled in.
pub const LEAVES: schema::Leaves = schema::Leaves {
    value: leaf,
    // An optional member may be null too, except an array the generated
    // types keep as a plain `Vec` (absent means empty, null is refused).
    null: |_, schema| schema::is_nullable(schema) || schema["type"] != "array",
    free: exact_json,
    unknown: unknown_fields,
};

/// Valid instances of the document's component schema `name`, as Codat
/// might send them.
pub fn instances(name: &str) -> BoxedStrategy<Value> {
    schema::arbitrary(
        schema::connections_document(),
        &schema::component(name),
        name,
        &LEAVES,
    )
}

/// Members Codat may add later; never one of the object's own names.
pub fn unknown_fields(known: BTreeSet<String>) -> BoxedStrategy<Map<String, Value>> {
    btree_map(
        prop_oneof!["[a-z][A-Za-z]{0,12}", any::<String>()],
        json_value(),
        0..4,
    )
    .prop_map(move |fields| {
        fields
            .into_iter()
            .filter(|(key, _)| !known.contains(key))
            .collect()
    })
    .boxed()
}

/// A JSON value that is absent (`None`), `null`, or `present`.
pub fn optional(present: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        3 => present.prop_map(Some),
    ]
}

/// Replaces, removes or adds a few fields of `object` with arbitrary JSON.
pub fn damaged(object: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
    (object, vec((json_key(), optional(json_value())), 1..4)).prop_map(|(mut value, edits)| {
        if let Value::Object(object) = &mut value {
            for (key, new) in edits {
                match new {
                    Some(new) => {
                        object.insert(key, new);
                    }
                    None => {
                        object.remove(&key);
                    }
                }
            }
        }
        value
    })
}
