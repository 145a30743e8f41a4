//! Property tests for every decoder written by hand: Codat's `DateTime`
//! forms, the open enums, the validated identifiers, page and connection
//! decoding, and the decoding of Codat's error bodies.
//!
//! Each property is a plain `#[test]` that drives a
//! [`TestRunner`](proptest::test_runner::TestRunner) and records its row of
//! RELIABILITY.md only after every case passed.

mod support;

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use codat_connections::raw::types::{Connection, Connections, ErrorMessage};
use codat_connections::{
    Client, CompanyId, ConnectionId, ConnectionStatus, DataConnectionErrorStatus, DateTime, Error,
    Page, PlatformKey, RetryPolicy, SourceType, BODY_SNIPPET_LIMIT,
};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::{json, Map, Value};

/// Cases per property: enough to find shallow bugs, few enough that the
/// whole file runs in a few seconds.
const CASES: u32 = 256;

const AREA: &str = "Property tests";

/// Runs `test` on `CASES` values of `strategy`, panicking with the shrunk
/// failing input if any case fails or panics.
fn check<S>(strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    check_with(CASES, strategy, test);
}

fn check_with<S>(cases: u32, strategy: S, test: impl Fn(S::Value) -> Result<(), TestCaseError>)
where
    S: Strategy,
    S::Value: Debug,
{
    let config = ProptestConfig {
        cases,
        // Nothing is written next to the sources: this file is the only one
        // the tests own.
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    if let Err(err) = runner.run(&strategy, test) {
        panic!("{err}");
    }
}

/// Asserts (inside a property) that `f` does not panic, and returns its value.
fn no_panic<T>(what: &str, input: &dyn Debug, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| TestCaseError::fail(format!("{what} panicked on {input:?}")))
}

// ------------------------------------------------------------ strategies

/// Any calendar date with a four-digit year, with extra weight on the
/// edges: the first and last representable days, and leap days.
fn date() -> impl Strategy<Value = NaiveDate> {
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
enum Suffix {
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
struct ValidDateTime {
    text: String,
    expected: DateTime,
    /// Whether `Display` must give back `text` exactly: no fraction, upper
    /// case `T`/`Z`, and no `-00:00` (which is the same offset as `+00:00`).
    canonical: bool,
}

fn suffix() -> impl Strategy<Value = Suffix> {
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
fn valid_datetime() -> impl Strategy<Value = ValidDateTime> {
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
fn datetime_char() -> impl Strategy<Value = char> {
    prop_oneof![
        6 => (b'0'..=b'9').prop_map(char::from),
        4 => select(vec!['-', ':', 'T', 'Z', '+', '.', 't', 'z', ' ', 'é', '\u{0}', '٣']),
    ]
}

#[derive(Clone, Debug)]
enum Mutation {
    Replace(usize, char),
    Insert(usize, char),
    Delete(usize),
    Truncate(usize),
    Duplicate,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), datetime_char()).prop_map(|(i, c)| Mutation::Replace(i, c)),
        (any::<usize>(), datetime_char()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
        Just(Mutation::Duplicate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
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
fn datetime_like_string() -> impl Strategy<Value = String> {
    prop_oneof![
        valid_datetime().prop_map(|v| v.text),
        (valid_datetime(), vec(mutation(), 1..4)).prop_map(|(v, m)| mutate(&v.text, &m)),
        vec(datetime_char(), 0..40).prop_map(|chars| chars.into_iter().collect()),
        any::<String>(),
    ]
}

/// Finite JSON numbers (JSON has no NaN or infinity).
fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
    ]
}

/// Strings that land in the interesting branches of the decoders.
fn json_string() -> impl Strategy<Value = String> {
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

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ]
}

/// Field names of Codat's types, so arbitrary objects sometimes have the
/// right keys with the wrong values.
const FIELD_NAMES: &[&str] = &[
    "_links",
    "current",
    "next",
    "previous",
    "self",
    "href",
    "pageNumber",
    "pageSize",
    "totalResults",
    "results",
    "id",
    "integrationId",
    "integrationKey",
    "sourceId",
    "sourceType",
    "platformName",
    "linkUrl",
    "status",
    "lastSync",
    "created",
    "connectionInfo",
    "dataConnectionErrors",
    "statusCode",
    "statusText",
    "errorMessage",
    "erroredOnUtc",
    "resolvedOnUtc",
    "service",
    "error",
    "correlationId",
    "validation",
    "errors",
    "warnings",
    "itemId",
    "message",
    "validatorName",
    "canBeRetried",
    "detailedErrorCode",
];

fn json_key() -> impl Strategy<Value = String> {
    prop_oneof![select(FIELD_NAMES).prop_map(str::to_owned), any::<String>(),]
}

/// Arbitrary JSON, at most 4 levels deep and about 64 nodes.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(json_key(), inner, 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

fn non_string_json() -> impl Strategy<Value = Value> {
    json_value().prop_filter("not a string", |v| !v.is_string())
}

fn uuid() -> impl Strategy<Value = uuid::Uuid> {
    any::<[u8; 16]>().prop_map(uuid::Uuid::from_bytes)
}

/// UUIDs in every spelling, and near misses.
fn uuid_like_string() -> impl Strategy<Value = String> {
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

fn open_enum_string(known: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        select(known).prop_map(str::to_owned),
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

/// A JSON value that is absent (`None`), `null`, or `present`.
fn optional(present: impl Strategy<Value = Value>) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some(Value::Null)),
        3 => present.prop_map(Some),
    ]
}

fn insert_optional(object: &mut Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(value) = value {
        object.insert(key.to_owned(), value);
    }
}

/// JSON that survives a trip through text unchanged (no floats that need
/// more digits than the default parser promises to keep).
fn exact_json() -> impl Strategy<Value = Value> {
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
}

fn datetime_json() -> impl Strategy<Value = Value> {
    valid_datetime().prop_map(|v| Value::String(v.text))
}

/// A `DataConnectionError` as Codat might send it.
fn data_connection_error_json() -> impl Strategy<Value = Value> {
    (
        optional(any::<String>().prop_map(Value::String)),
        optional(datetime_json()),
        optional(datetime_json()),
        optional(open_enum_string(DataConnectionErrorStatus::KNOWN_VALUES).prop_map(Value::String)),
        optional(prop_oneof!["[1-5][0-9]{2}", any::<String>()].prop_map(Value::String)),
        optional(any::<String>().prop_map(Value::String)),
        btree_map("x-[a-z]{1,8}", exact_json(), 0..3),
    )
        .prop_map(|(message, errored, resolved, status, code, text, extra)| {
            let mut object: Map<String, Value> = extra.into_iter().collect();
            insert_optional(&mut object, "errorMessage", message);
            insert_optional(&mut object, "erroredOnUtc", errored);
            insert_optional(&mut object, "resolvedOnUtc", resolved);
            insert_optional(&mut object, "status", status);
            insert_optional(&mut object, "statusCode", code);
            insert_optional(&mut object, "statusText", text);
            Value::Object(object)
        })
}

/// Extra fields Codat may add later; never one of `Connection`'s own names.
fn unknown_fields() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(
        prop_oneof!["[a-z][A-Za-z]{0,12}", any::<String>()],
        json_value(),
        0..4,
    )
    .prop_map(|fields| {
        fields
            .into_iter()
            .filter(|(key, _)| !FIELD_NAMES.contains(&key.as_str()))
            .collect()
    })
}

/// A valid `Connection` as Codat might send it: realistic values, unknown
/// status and source type strings, nulls in optional fields, extra fields.
fn connection_json() -> impl Strategy<Value = Value> {
    let ids = (uuid(), uuid(), uuid(), any::<bool>());
    let required = (
        datetime_json(),
        prop_oneof![
            (uuid(), uuid()).prop_map(|(company, connection)| format!(
                "https://link-api.codat.io/companies/{company}/connections/{connection}/start"
            )),
            any::<String>(),
        ],
        prop_oneof!["[A-Z][a-z]{2,12}", any::<String>()],
        open_enum_string(SourceType::KNOWN_VALUES),
        open_enum_string(ConnectionStatus::KNOWN_VALUES),
    );
    let optional_fields = (
        optional(prop_oneof!["[a-z]{4}", any::<String>()].prop_map(Value::String)),
        optional(datetime_json()),
        optional(
            btree_map(any::<String>(), exact_json(), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ),
        optional(vec(data_connection_error_json(), 0..3).prop_map(Value::Array)),
    );
    (ids, required, optional_fields, unknown_fields()).prop_map(
        |(
            (id, integration_id, source_id, uppercase_id),
            (created, link_url, platform_name, source_type, status),
            (integration_key, last_sync, connection_info, errors),
            extra,
        )| {
            let mut object = extra;
            let id = id.hyphenated().to_string();
            let id = if uppercase_id { id.to_uppercase() } else { id };
            object.insert("id".to_owned(), json!(id));
            object.insert("integrationId".to_owned(), json!(integration_id));
            object.insert("sourceId".to_owned(), json!(source_id));
            object.insert("created".to_owned(), created);
            object.insert("linkUrl".to_owned(), json!(link_url));
            object.insert("platformName".to_owned(), json!(platform_name));
            object.insert("sourceType".to_owned(), json!(source_type));
            object.insert("status".to_owned(), json!(status));
            insert_optional(&mut object, "integrationKey", integration_key);
            insert_optional(&mut object, "lastSync", last_sync);
            insert_optional(&mut object, "connectionInfo", connection_info);
            insert_optional(&mut object, "dataConnectionErrors", errors);
            Value::Object(object)
        },
    )
}

fn hal_ref_json() -> impl Strategy<Value = Value> {
    optional(
        prop_oneof![
            (uuid(), 1u32..10).prop_map(|(company, page)| format!(
                "/companies/{company}/connections?page={page}&pageSize=100"
            )),
            any::<String>(),
        ]
        .prop_map(Value::String),
    )
    .prop_map(|href| {
        let mut object = Map::new();
        insert_optional(&mut object, "href", href);
        Value::Object(object)
    })
}

/// A `Connections` page as Codat might send it, with counts of any sign.
fn page_json() -> impl Strategy<Value = Value> {
    let count = prop_oneof![3 => 0i64..10_000, 1 => any::<i64>()];
    (
        hal_ref_json(),
        hal_ref_json(),
        optional(hal_ref_json()),
        optional(hal_ref_json()),
        (count.clone(), count.clone(), count),
        prop_oneof![
            1 => Just(None),
            4 => vec(connection_json(), 0..4).prop_map(Some),
        ],
        unknown_fields(),
    )
        .prop_map(
            |(current, self_, next, previous, (number, size, total), results, extra)| {
                let mut links = Map::new();
                links.insert("current".to_owned(), current);
                links.insert("self".to_owned(), self_);
                insert_optional(&mut links, "next", next);
                insert_optional(&mut links, "previous", previous);
                let mut object = extra;
                object.insert("_links".to_owned(), Value::Object(links));
                object.insert("pageNumber".to_owned(), json!(number));
                object.insert("pageSize".to_owned(), json!(size));
                object.insert("totalResults".to_owned(), json!(total));
                if let Some(results) = results {
                    object.insert("results".to_owned(), Value::Array(results));
                }
                Value::Object(object)
            },
        )
}

/// Replaces, removes or adds a few fields of `object` with arbitrary JSON.
fn damaged(object: impl Strategy<Value = Value>) -> impl Strategy<Value = Value> {
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

fn validation_item_json() -> impl Strategy<Value = Value> {
    (
        optional(any::<String>().prop_map(Value::String)),
        optional(any::<String>().prop_map(Value::String)),
        optional(any::<String>().prop_map(Value::String)),
    )
        .prop_map(|(id, message, validator)| {
            let mut object = Map::new();
            insert_optional(&mut object, "itemId", id);
            insert_optional(&mut object, "message", message);
            insert_optional(&mut object, "validatorName", validator);
            Value::Object(object)
        })
}

/// An `ErrorMessage` as Codat might send it.
fn error_message_json() -> impl Strategy<Value = Value> {
    let validation = (
        optional(vec(validation_item_json(), 0..3).prop_map(Value::Array)),
        optional(vec(validation_item_json(), 0..3).prop_map(Value::Array)),
    )
        .prop_map(|(errors, warnings)| {
            let mut object = Map::new();
            insert_optional(&mut object, "errors", errors);
            insert_optional(&mut object, "warnings", warnings);
            Value::Object(object)
        });
    (
        optional(select(vec!["True", "False", "Unknown"]).prop_map(Value::from)),
        optional(uuid().prop_map(|u| json!(u.simple().to_string()))),
        optional(any::<i64>().prop_map(Value::from)),
        optional(any::<String>().prop_map(Value::String)),
        optional(select(vec!["PublicApi", "ClientsApi"]).prop_map(Value::from)),
        optional((100i64..600).prop_map(Value::from)),
        optional(validation),
        unknown_fields(),
    )
        .prop_map(
            |(retry, correlation, code, error, service, status, validation, extra)| {
                let mut object = extra;
                insert_optional(&mut object, "canBeRetried", retry);
                insert_optional(&mut object, "correlationId", correlation);
                insert_optional(&mut object, "detailedErrorCode", code);
                insert_optional(&mut object, "error", error);
                insert_optional(&mut object, "service", service);
                insert_optional(&mut object, "statusCode", status);
                insert_optional(&mut object, "validation", validation);
                Value::Object(object)
            },
        )
}

/// Error bodies: arbitrary bytes, arbitrary JSON, and Codat's shape.
fn error_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..1200),
        any::<String>().prop_map(String::into_bytes),
        json_value().prop_map(|v| v.to_string().into_bytes()),
        error_message_json().prop_map(|v| v.to_string().into_bytes()),
        damaged(error_message_json()).prop_map(|v| v.to_string().into_bytes()),
        Just(b"<html><body>502 Bad Gateway</body></html>".to_vec()),
    ]
}

/// What `Client` keeps of an error body: Codat's `ErrorMessage` when the
/// body is a JSON object of that shape.
fn expected_error_message(body: &[u8]) -> Option<ErrorMessage> {
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
        .and_then(|value| serde_json::from_value(value).ok())
}

// ------------------------------------------------------------ DateTime

/// Decodes `text` both ways and checks that the two agree; on success,
/// checks that every encoding decodes back to an equal value.
fn check_datetime_text(text: &str) -> Result<Option<DateTime>, TestCaseError> {
    let parsed = no_panic("str::parse::<DateTime>", &text, || text.parse::<DateTime>())?;
    let from_json = no_panic("serde_json::from_value::<DateTime>", &text, || {
        serde_json::from_value::<DateTime>(Value::String(text.to_owned()))
    })?;
    let from_text = no_panic("serde_json::from_str::<DateTime>", &text, || {
        serde_json::from_str::<DateTime>(&Value::String(text.to_owned()).to_string())
    })?;
    match &parsed {
        Ok(value) => {
            prop_assert_eq!(
                from_json.as_ref().ok(),
                Some(value),
                "serde disagrees on {:?}",
                text
            );
            prop_assert_eq!(
                from_text.as_ref().ok(),
                Some(value),
                "serde disagrees on {:?}",
                text
            );
            let written = value.to_string();
            let reparsed: DateTime = written.parse().map_err(|e| {
                TestCaseError::fail(format!(
                    "{text:?} was written as {written:?}, which fails: {e}"
                ))
            })?;
            prop_assert_eq!(reparsed, *value, "{:?} -> {:?}", text, written);
            prop_assert_eq!(
                reparsed.to_string(),
                written.clone(),
                "Display is not stable"
            );
            let encoded = serde_json::to_value(value).expect("DateTime serialises");
            prop_assert_eq!(&encoded, &Value::String(written.clone()));
            let decoded: DateTime = serde_json::from_value(encoded).map_err(|e| {
                TestCaseError::fail(format!(
                    "{text:?} serialised as {written:?}, which fails: {e}"
                ))
            })?;
            prop_assert_eq!(decoded, *value);
            let via_text: DateTime =
                serde_json::from_str(&serde_json::to_string(value).expect("serialises"))
                    .expect("what was written decodes");
            prop_assert_eq!(via_text, *value);
        }
        Err(err) => {
            prop_assert!(
                from_json.is_err(),
                "serde accepted {:?} that parse refused",
                text
            );
            prop_assert!(
                from_text.is_err(),
                "serde accepted {:?} that parse refused",
                text
            );
            let kept: String = text.chars().take(64).collect();
            prop_assert_eq!(
                err.input(),
                kept.as_str(),
                "the error keeps the input's start"
            );
        }
    }
    Ok(parsed.ok())
}

#[test]
fn datetime_never_panics_and_accepted_values_re_encode_to_an_equal_value() {
    let accepted = AtomicUsize::new(0);
    check(datetime_like_string(), |text| {
        if check_datetime_text(&text)?.is_some() {
            accepted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    // A quarter of the inputs are valid by construction: the round trip
    // must actually have been exercised.
    assert!(accepted.into_inner() > 0, "no generated input was accepted");
    support::record(
        AREA,
        "DateTime: arbitrary, near-valid and mutated strings through str::parse and serde_json",
        "256 cases: never panics; parse and serde agree; every accepted value re-encodes (Display and serde) to a string that decodes to an equal value",
    );
}

#[test]
fn datetime_accepts_every_documented_form_and_keeps_its_variant() {
    check(valid_datetime(), |valid| {
        let parsed = valid
            .text
            .parse::<DateTime>()
            .map_err(|e| TestCaseError::fail(format!("{:?} should parse: {e}", valid.text)))?;
        prop_assert_eq!(parsed, valid.expected, "{:?}", valid.text);
        prop_assert_eq!(
            std::mem::discriminant(&parsed),
            std::mem::discriminant(&valid.expected)
        );
        prop_assert_eq!(
            parsed.has_offset(),
            !matches!(parsed, DateTime::Local(_) | DateTime::Date(_))
        );
        if valid.canonical {
            prop_assert_eq!(
                parsed.to_string(),
                valid.text.clone(),
                "written back as received"
            );
        }
        check_datetime_text(&valid.text)?;
        Ok(())
    });
    support::record(
        AREA,
        "DateTime: generated valid inputs of each documented form (Z, no offset, ±hh:mm, 0–7 fractional digits, date only)",
        "256 cases: always accepted with the expected value and variant; written back unchanged when already canonical",
    );
}

#[test]
fn datetime_rejects_non_string_json_without_panicking() {
    check(non_string_json(), |value| {
        let decoded = no_panic("serde_json::from_value::<DateTime>", &value, || {
            serde_json::from_value::<DateTime>(value.clone())
        })?;
        prop_assert!(decoded.is_err(), "{} decoded as {:?}", value, decoded);
        Ok(())
    });
    support::record(
        AREA,
        "DateTime: arbitrary non-string JSON through serde_json",
        "256 cases: always an error, never a panic",
    );
}

// ------------------------------------------------------------ open enums

/// The open-enum contract for one enum: any string decodes to a value that
/// re-encodes to exactly that string; known values give named variants.
fn check_open_enum<T>(known: &'static [&'static str], label: &str)
where
    T: serde::Serialize + serde::de::DeserializeOwned + From<String>,
    T: for<'a> From<&'a str> + ToString + Debug + PartialEq + Clone,
    T: OpenEnum,
{
    check(open_enum_string(known), |text| {
        let decoded = no_panic("serde_json::from_value", &text, || {
            serde_json::from_value::<T>(Value::String(text.clone()))
        })?
        .map_err(|e| TestCaseError::fail(format!("{text:?} was refused: {e}")))?;
        let from_text: T = serde_json::from_str(&Value::String(text.clone()).to_string())
            .map_err(|e| TestCaseError::fail(format!("{text:?} was refused: {e}")))?;
        prop_assert_eq!(&from_text, &decoded);
        prop_assert_eq!(&T::from(text.as_str()), &decoded);
        prop_assert_eq!(&T::from(text.clone()), &decoded);
        prop_assert_eq!(decoded.wire(), text.as_str());
        prop_assert_eq!(decoded.to_string(), text.clone());
        prop_assert_eq!(
            serde_json::to_value(&decoded).expect("serialises"),
            Value::String(text.clone())
        );
        prop_assert_eq!(
            serde_json::to_string(&decoded).expect("serialises"),
            Value::String(text.clone()).to_string()
        );
        prop_assert_eq!(
            decoded.known(),
            known.contains(&text.as_str()),
            "{:?} known-ness",
            text
        );
        Ok(())
    });
    check(non_string_json(), |value| {
        let decoded = no_panic("serde_json::from_value", &value, || {
            serde_json::from_value::<T>(value.clone())
        })?;
        prop_assert!(decoded.is_err(), "{} decoded as {:?}", value, decoded);
        Ok(())
    });
    // Every known value, exhaustively, maps to its named variant.
    for &wire in known {
        let value = T::from(wire);
        assert!(value.known(), "{label}: {wire} is not a named variant");
        assert_eq!(value.wire(), wire);
    }
}

/// The parts of the open enums' API the property needs.
trait OpenEnum {
    fn wire(&self) -> &str;
    fn known(&self) -> bool;
}

macro_rules! open_enum_impl {
    ($($name:ty),+) => {$(
        impl OpenEnum for $name {
            fn wire(&self) -> &str {
                self.as_str()
            }
            fn known(&self) -> bool {
                self.is_known()
            }
        }
    )+};
}

open_enum_impl!(ConnectionStatus, SourceType, DataConnectionErrorStatus);

#[test]
fn connection_status_decodes_any_string_and_re_encodes_it_unchanged() {
    check_open_enum::<ConnectionStatus>(ConnectionStatus::KNOWN_VALUES, "ConnectionStatus");
    support::record(
        AREA,
        "ConnectionStatus: arbitrary strings and non-string JSON",
        "256 cases each: any string decodes and re-encodes to exactly the same string; known values are named variants; non-string JSON is an error, never a panic",
    );
}

#[test]
fn source_type_decodes_any_string_and_re_encodes_it_unchanged() {
    check_open_enum::<SourceType>(SourceType::KNOWN_VALUES, "SourceType");
    support::record(
        AREA,
        "SourceType: arbitrary strings and non-string JSON",
        "256 cases each: any string decodes and re-encodes to exactly the same string; known values (including `Unknown`) are named variants; non-string JSON is an error, never a panic",
    );
}

#[test]
fn data_connection_error_status_decodes_any_string_and_re_encodes_it_unchanged() {
    check_open_enum::<DataConnectionErrorStatus>(
        DataConnectionErrorStatus::KNOWN_VALUES,
        "DataConnectionErrorStatus",
    );
    support::record(
        AREA,
        "DataConnectionErrorStatus: arbitrary strings and non-string JSON",
        "256 cases each: any string decodes and re-encodes to exactly the same string; known values are named variants; non-string JSON is an error, never a panic",
    );
}

// ------------------------------------------------------------ identifiers

/// The spelling `FromStr` accepts for the UUID identifiers: hyphenated hex.
fn is_hyphenated_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn check_uuid_id<T>(label: &str)
where
    T: std::str::FromStr<Err = Error> + std::fmt::Display + serde::Serialize,
    T: serde::de::DeserializeOwned + Debug + PartialEq + Copy,
{
    check(uuid_like_string(), |text| {
        let parsed = no_panic("FromStr", &text, || text.parse::<T>())?;
        let from_json = no_panic("serde_json::from_value", &text, || {
            serde_json::from_value::<T>(Value::String(text.clone()))
        })?;
        prop_assert_eq!(
            parsed.is_ok(),
            is_hyphenated_uuid(&text),
            "{}: {:?}",
            label,
            text
        );
        match parsed {
            Ok(id) => {
                let written = id.to_string();
                prop_assert!(is_hyphenated_uuid(&written));
                prop_assert_eq!(written.clone(), written.to_lowercase());
                prop_assert_eq!(written.parse::<T>().ok(), Some(id));
                prop_assert_eq!(from_json.ok(), Some(id), "serde disagrees on {:?}", text);
                let encoded = serde_json::to_value(id).expect("serialises");
                prop_assert_eq!(&encoded, &Value::String(written));
                prop_assert_eq!(serde_json::from_value::<T>(encoded).ok(), Some(id));
            }
            Err(err) => {
                prop_assert!(err.invalid_field().is_some(), "{:?}", err);
                // Serde is only checked for not panicking here: it follows
                // `uuid`, which also takes the braced, URN and simple forms.
                if let Ok(id) = from_json {
                    let written = id.to_string();
                    prop_assert_eq!(written.parse::<T>().ok(), Some(id));
                }
            }
        }
        Ok(())
    });
    check(non_string_json(), |value| {
        let decoded = no_panic("serde_json::from_value", &value, || {
            serde_json::from_value::<T>(value.clone())
        })?;
        prop_assert!(decoded.is_err(), "{} decoded as {:?}", value, decoded);
        Ok(())
    });
}

#[test]
fn company_id_accepts_hyphenated_uuids_and_round_trips() {
    check_uuid_id::<CompanyId>("CompanyId");
    support::record(
        AREA,
        "CompanyId: arbitrary and UUID-like strings through FromStr and serde_json",
        "256 cases each: never panics; FromStr accepts exactly hyphenated UUIDs; accepted values round-trip through Display/FromStr and serde",
    );
}

#[test]
fn connection_id_accepts_hyphenated_uuids_and_round_trips() {
    check_uuid_id::<ConnectionId>("ConnectionId");
    support::record(
        AREA,
        "ConnectionId: arbitrary and UUID-like strings through FromStr and serde_json",
        "256 cases each: never panics; FromStr accepts exactly hyphenated UUIDs; accepted values round-trip through Display/FromStr and serde",
    );
}

fn is_platform_key(text: &str) -> bool {
    text.len() == 4 && text.bytes().all(|b| b.is_ascii_lowercase())
}

#[test]
fn platform_key_accepts_exactly_four_lowercase_letters() {
    let strings = prop_oneof![
        "[a-z]{4}",
        "[a-zA-Z0-9 é_-]{0,6}",
        "[a-z]{3,5}",
        any::<String>(),
    ];
    check(strings, |text| {
        let parsed = no_panic("PlatformKey::from_str", &text, || {
            text.parse::<PlatformKey>()
        })?;
        let from_json = no_panic("serde_json::from_value::<PlatformKey>", &text, || {
            serde_json::from_value::<PlatformKey>(Value::String(text.clone()))
        })?;
        let from_text = no_panic("serde_json::from_str::<PlatformKey>", &text, || {
            serde_json::from_str::<PlatformKey>(&Value::String(text.clone()).to_string())
        })?;
        prop_assert_eq!(parsed.is_ok(), is_platform_key(&text), "{:?}", text);
        prop_assert_eq!(from_json.as_ref().ok(), parsed.as_ref().ok(), "{:?}", text);
        prop_assert_eq!(from_text.as_ref().ok(), parsed.as_ref().ok(), "{:?}", text);
        match parsed {
            Ok(key) => {
                prop_assert_eq!(key.as_str(), text.as_str());
                prop_assert_eq!(key.to_string(), text.clone());
                prop_assert_eq!(key.to_string().parse::<PlatformKey>().ok(), Some(key));
                let encoded = serde_json::to_value(key).expect("serialises");
                prop_assert_eq!(&encoded, &Value::String(text.clone()));
                prop_assert_eq!(
                    serde_json::from_value::<PlatformKey>(encoded).ok(),
                    Some(key)
                );
            }
            Err(err) => prop_assert_eq!(err.invalid_field(), Some("platformKey")),
        }
        Ok(())
    });
    check(non_string_json(), |value| {
        let decoded = no_panic("serde_json::from_value::<PlatformKey>", &value, || {
            serde_json::from_value::<PlatformKey>(value.clone())
        })?;
        prop_assert!(decoded.is_err(), "{} decoded as {:?}", value, decoded);
        Ok(())
    });
    support::record(
        AREA,
        "PlatformKey: arbitrary and near-miss strings through FromStr and serde_json",
        "256 cases each: never panics; accepts exactly [a-z]{4}; FromStr and serde agree; accepted values round-trip unchanged",
    );
}

// ------------------------------------------------------------ connections and pages

#[test]
fn arbitrary_json_never_panics_when_decoded_as_connection_or_page() {
    let inputs = prop_oneof![
        json_value(),
        damaged(connection_json()),
        damaged(page_json()),
    ];
    check(inputs, |value| {
        no_panic("serde_json::from_value::<Connection>", &value, || {
            let _ = serde_json::from_value::<Connection>(value.clone());
        })?;
        let page = no_panic("serde_json::from_value::<Connections>", &value, || {
            serde_json::from_value::<Connections>(value.clone())
        })?;
        if let Ok(raw) = page {
            no_panic("Page::try_from", &value, || {
                let _ = Page::<Connection>::try_from(raw);
            })?;
        }
        let text = value.to_string();
        no_panic("serde_json::from_str::<Connections>", &text, || {
            let _ = serde_json::from_str::<Connection>(&text);
            let _ = serde_json::from_str::<Connections>(&text);
        })?;
        Ok(())
    });
    support::record(
        AREA,
        "Connection and Connections (page): arbitrary JSON, and valid JSON with fields replaced by arbitrary values",
        "256 cases: decoding never panics, from a value or from text",
    );
}

fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + Debug,
{
    let text = serde_json::to_string(value).expect("serialises");
    let from_text: T = serde_json::from_str(&text)
        .map_err(|e| TestCaseError::fail(format!("re-encoded {text} does not decode: {e}")))?;
    prop_assert_eq!(&from_text, value, "through text {}", text);
    let encoded = serde_json::to_value(value).expect("serialises");
    let from_value: T = serde_json::from_value(encoded.clone())
        .map_err(|e| TestCaseError::fail(format!("re-encoded {encoded} does not decode: {e}")))?;
    prop_assert_eq!(&from_value, value, "through a value {}", encoded);
    Ok(())
}

#[test]
fn valid_connection_always_decodes_and_re_encodes_to_an_equal_value() {
    check(connection_json(), |json| {
        let text = json.to_string();
        let connection: Connection = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))?;
        let from_value: Connection = serde_json::from_value(json.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))?;
        prop_assert_eq!(&from_value, &connection);
        // The open enums kept the string as sent.
        prop_assert_eq!(Some(connection.status.as_str()), json["status"].as_str());
        prop_assert_eq!(
            Some(connection.source_type.as_str()),
            json["sourceType"].as_str()
        );
        prop_assert_eq!(
            Some(connection.id.to_string()),
            json["id"].as_str().map(str::to_lowercase)
        );
        prop_assert_eq!(connection.last_sync.is_some(), json["lastSync"].is_string());
        prop_assert_eq!(
            connection.data_connection_errors.is_some(),
            json["dataConnectionErrors"].is_array()
        );
        round_trip(&connection)?;
        Ok(())
    });
    support::record(
        AREA,
        "Connection: generated valid JSON (unknown status and sourceType strings, nulls in optional fields, unknown extra fields)",
        "256 cases: always decodes with the strings as sent; re-encoding then decoding gives an equal value",
    );
}

#[test]
fn valid_page_decodes_and_page_conversion_refuses_exactly_negative_counts() {
    check(page_json(), |json| {
        let raw: Connections = serde_json::from_value(json.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))?;
        round_trip(&raw)?;
        let counts = [raw.page_number, raw.page_size, raw.total_results];
        let page = Page::<Connection>::try_from(raw.clone());
        match page {
            Ok(page) => {
                prop_assert!(counts.iter().all(|&n| n >= 0), "{:?} accepted", counts);
                let as_i64 = |n: u64| i64::try_from(n).expect("came from an i64");
                prop_assert_eq!(
                    [
                        as_i64(page.page_number),
                        as_i64(page.page_size),
                        as_i64(page.total_results)
                    ],
                    counts
                );
                prop_assert_eq!(&page.results, &raw.results);
                prop_assert_eq!(&page.links, &raw.links);
                let next = json["_links"]["next"]["href"].as_str();
                prop_assert_eq!(page.next_href(), next);
                prop_assert_eq!(page.has_next_page(), next.is_some());
            }
            Err(err) => {
                prop_assert!(
                    counts.iter().any(|&n| n < 0),
                    "{:?} refused: {}",
                    counts,
                    err
                );
                prop_assert!(matches!(err, Error::Decode { .. }), "{:?}", err);
            }
        }
        Ok(())
    });
    support::record(
        AREA,
        "Connections page: generated valid JSON with counts of any sign, then Page::try_from",
        "256 cases: always decodes and re-encodes to an equal value; Page keeps results and links and refuses exactly the negative counts",
    );
}

// ------------------------------------------------------------ error bodies

#[test]
fn error_bodies_never_panic_when_decoded_as_error_message() {
    check(error_body(), |body| {
        // The steps `Client` takes with an error body.
        no_panic("ErrorMessage decoding", &body, || {
            let _ = expected_error_message(&body);
            let _ = serde_json::from_slice::<ErrorMessage>(&body);
        })?;
        Ok(())
    });
    check(
        prop_oneof![json_value(), damaged(error_message_json())],
        |value| {
            no_panic("serde_json::from_value::<ErrorMessage>", &value, || {
                let _ = serde_json::from_value::<ErrorMessage>(value.clone());
            })?;
            Ok(())
        },
    );
    check(error_message_json(), |json| {
        let message: ErrorMessage = serde_json::from_value(json.clone())
            .map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))?;
        prop_assert_eq!(message.error.as_deref(), json["error"].as_str());
        prop_assert_eq!(
            message.correlation_id.as_deref(),
            json["correlationId"].as_str()
        );
        round_trip(&message)?;
        Ok(())
    });
    support::record(
        AREA,
        "ErrorMessage: arbitrary bytes, arbitrary JSON and Codat-shaped error bodies",
        "256 cases each: decoding never panics; Codat-shaped bodies decode and re-encode to an equal value",
    );
}

#[test]
fn client_keeps_any_error_body_and_decodes_codat_shaped_ones() {
    use wiremock::matchers::any as any_request;
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
    const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(MockServer::start());
    let client = Client::builder("test-key")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .expect("valid settings");
    let statuses = select(vec![400u16, 401, 403, 404, 409, 422, 500, 503]);
    check((statuses, error_body()), |(status, body)| {
        let err = runtime.block_on(async {
            server.reset().await;
            Mock::given(any_request())
                .respond_with(ResponseTemplate::new(status).set_body_bytes(body.clone()))
                .mount(&server)
                .await;
            client.connections().get(COMPANY, CONNECTION).await
        });
        let Err(Error::Api(api)) = err else {
            return Err(TestCaseError::fail(format!(
                "expected Error::Api, got {err:?}"
            )));
        };
        prop_assert_eq!(api.status.as_u16(), status);
        prop_assert_eq!(&api.message, &expected_error_message(&body));
        prop_assert!(api.body.len() <= BODY_SNIPPET_LIMIT);
        let lossy = String::from_utf8_lossy(&body);
        prop_assert!(
            lossy.starts_with(&api.body),
            "{:?} is not a prefix",
            api.body
        );
        if body.len() <= BODY_SNIPPET_LIMIT && std::str::from_utf8(&body).is_ok() {
            prop_assert_eq!(api.body.as_bytes(), body.as_slice());
        }
        // Display never panics either, whatever the body held.
        let _ = Error::Api(api).to_string();
        Ok(())
    });
    support::record(
        AREA,
        "Client error answers: arbitrary bytes, arbitrary JSON and Codat-shaped bodies served with 4xx/5xx statuses",
        "256 cases: always Error::Api with the status, a bounded prefix of the body, and ErrorMessage exactly when the body is a Codat-shaped JSON object",
    );
}
