//! Property tests for every decoder written by hand: Codat's `DateTime`
//! forms, the open enums, the validated identifiers, page and connection
//! decoding, and the decoding of Codat's error bodies.
//!
//! Each property is a plain `#[test]` that drives a
//! [`TestRunner`](proptest::test_runner::TestRunner) and records its row of
//! RELIABILITY.md only after every case passed.

use crate::support;

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

use codat_connections::raw::types::{Connection, Connections, ErrorMessage};
use codat_connections::{
    BODY_SNIPPET_LIMIT, CompanyId, ConnectionId, ConnectionStatus, DataConnectionErrorStatus,
    DateTime, Error, Page, PlatformKey, SourceType,
};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{TestCaseError, TestRunner};
use serde_json::Value;
use support::arbitrary::*;
use support::{COMPANY, CONNECTION};

/// Cases per property: enough to find shallow bugs, few enough that the
/// whole file runs in a few seconds.
const CASES: u32 = 256;

const AREA: &str = "Property tests";

/// `text` through `FromStr`, and through serde from a JSON string value and
/// from JSON text, none of which may panic.
#[allow(clippy::type_complexity)]
fn three_ways<T>(
    text: &str,
) -> Result<
    (
        Result<T, T::Err>,
        Result<T, serde_json::Error>,
        Result<T, serde_json::Error>,
    ),
    TestCaseError,
>
where
    T: std::str::FromStr + serde::de::DeserializeOwned,
{
    let json = Value::String(text.to_owned());
    Ok((
        no_panic("FromStr", &text, || text.parse::<T>())?,
        no_panic("serde_json::from_value", &text, || {
            serde_json::from_value(json.clone())
        })?,
        no_panic("serde_json::from_str", &text, || {
            serde_json::from_str(&json.to_string())
        })?,
    ))
}

/// Checks that non-string JSON is an error for `T`, never a panic.
fn refuses_non_string_json<T: serde::de::DeserializeOwned + Debug>() {
    check(non_string_json(), |value| {
        let decoded = no_panic("serde_json::from_value", &value, || {
            serde_json::from_value::<T>(value.clone())
        })?;
        prop_assert!(decoded.is_err(), "{} decoded as {:?}", value, decoded);
        Ok(())
    });
}

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
    // PROPTEST_CASES, proptest's own setting, replaces every count here
    // (the spec drill runs these with a few cases: it asks whether they
    // still hold, not how hard they were tried).
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
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

/// An error body, and what `Client` must keep of it, known from how the
/// body was made.
#[derive(Clone, Debug)]
enum ErrorBody {
    /// Not JSON: no `ErrorMessage`.
    NotJson(Vec<u8>),
    /// JSON but not an object: no `ErrorMessage`, even from an array serde
    /// would take as a struct's fields in order.
    NotAnObject(Value),
    /// An `ErrorMessage` as Codat documents it: decoded with its values.
    Codat(Value),
    /// Another object: an `ErrorMessage` exactly when the members the type
    /// knows hold values of their documented types.
    Object(Value),
}

impl ErrorBody {
    fn bytes(&self) -> Vec<u8> {
        match self {
            ErrorBody::NotJson(bytes) => bytes.clone(),
            ErrorBody::NotAnObject(value) | ErrorBody::Codat(value) | ErrorBody::Object(value) => {
                value.to_string().into_bytes()
            }
        }
    }
}

fn error_body() -> impl Strategy<Value = ErrorBody> {
    let not_json = |bytes: &Vec<u8>| serde_json::from_slice::<Value>(bytes).is_err();
    let fields_in_order = |value: Value| match value {
        Value::Object(object) => Value::Array(object.into_iter().map(|(_, v)| v).collect()),
        other => other,
    };
    prop_oneof![
        vec(any::<u8>(), 0..1200)
            .prop_filter("not JSON", not_json)
            .prop_map(ErrorBody::NotJson),
        any::<String>()
            .prop_map(String::into_bytes)
            .prop_filter("not JSON", not_json)
            .prop_map(ErrorBody::NotJson),
        Just(ErrorBody::NotJson(
            b"<html><body>502 Bad Gateway</body></html>".to_vec()
        )),
        json_value()
            .prop_filter("not an object", |v| !v.is_object())
            .prop_map(ErrorBody::NotAnObject),
        instances("ErrorMessage").prop_map(move |v| ErrorBody::NotAnObject(fields_in_order(v))),
        instances("ErrorMessage").prop_map(ErrorBody::Codat),
        prop_oneof![json_value(), damaged(instances("ErrorMessage"))]
            .prop_filter("an object", Value::is_object)
            .prop_map(ErrorBody::Object),
    ]
}

// ------------------------------------------------------------ DateTime

/// Decodes `text` strictly (`str::parse`) and as serde does, and checks the
/// two agree: a documented form decodes to the value `parse` gives and every
/// encoding decodes back to an equal value; any other string decodes to
/// `DateTime::Other`, which is not a date and serialises to the very string.
fn check_datetime_text(text: &str) -> Result<Option<DateTime>, TestCaseError> {
    let (parsed, from_json, from_text) = three_ways::<DateTime>(text)?;
    let json = Value::String(text.to_owned());
    for decoded in [&from_json, &from_text] {
        prop_assert!(
            decoded.is_ok(),
            "serde refused the string {:?}: {:?}",
            text,
            decoded
        );
    }
    let (from_json, from_text) = (from_json.expect("checked"), from_text.expect("checked"));
    prop_assert_eq!(
        &from_json,
        &from_text,
        "serde disagrees with itself on {:?}",
        text
    );
    match &parsed {
        Ok(value) => {
            prop_assert_eq!(
                &from_json,
                value,
                "serde disagrees with parse on {:?}",
                text
            );
            let written = value.to_string();
            let reparsed: DateTime = written.parse().map_err(|e| {
                TestCaseError::fail(format!(
                    "{text:?} was written as {written:?}, which fails: {e}"
                ))
            })?;
            prop_assert_eq!(&reparsed, value, "{:?} -> {:?}", text, written);
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
            prop_assert_eq!(&decoded, value);
            let via_text: DateTime =
                serde_json::from_str(&serde_json::to_string(value).expect("serialises"))
                    .expect("what was written decodes");
            prop_assert_eq!(&via_text, value);
            prop_assert!(value.parse_error().is_none());
            prop_assert!(value.naive_local().is_some(), "{:?} is a date", text);
        }
        Err(err) => {
            prop_assert_eq!(
                &from_json,
                &DateTime::Other(text.to_owned()),
                "kept as it came"
            );
            prop_assert_eq!(
                serde_json::to_value(&from_json).expect("serialises"),
                json.clone(),
                "serialised to exactly what came"
            );
            prop_assert_eq!(from_json.to_string(), text.to_owned());
            prop_assert_eq!(
                (
                    from_json.to_utc(),
                    from_json.naive_local(),
                    from_json.date()
                ),
                (None, None, None),
                "{:?} is not a date",
                text
            );
            prop_assert_eq!(from_json.parse_error(), Some(err.clone()));
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
    // A quarter of the inputs are valid by construction, but a run with few
    // cases (the spec drill runs 16) may draw none: the round trip is also
    // checked on documented forms, so it is exercised whatever the draw.
    for text in [
        "2022-10-23T00:00:00.000Z",
        "2022-10-23T00:00:00+01:00",
        "2022-10-23T00:00:00",
        "2022-10-23",
    ] {
        let parsed = check_datetime_text(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(parsed.is_some(), "{text} is a documented form");
        accepted.fetch_add(1, Ordering::Relaxed);
    }
    assert!(accepted.into_inner() > 0, "no input was accepted");
    support::record(
        AREA,
        "DateTime: arbitrary, near-valid and mutated strings through str::parse and serde_json",
        "256 cases: never panics; serde decodes every string; a documented form decodes as parse reads it and re-encodes (Display and serde) to a string that decodes to an equal value; any other string is DateTime::Other, no date, serialised back to exactly that string",
    );
}

#[test]
fn datetime_accepts_every_documented_form_and_keeps_its_variant() {
    check(valid_datetime(), |valid| {
        let parsed = valid
            .text
            .parse::<DateTime>()
            .map_err(|e| TestCaseError::fail(format!("{:?} should parse: {e}", valid.text)))?;
        prop_assert_eq!(&parsed, &valid.expected, "{:?}", valid.text);
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
    refuses_non_string_json::<DateTime>();
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
    check(open_enum_string(owned(known)), |text| {
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
    refuses_non_string_json::<T>();
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
        let (parsed, from_json, _) = three_ways::<T>(&text)?;
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
    refuses_non_string_json::<T>();
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
        let (parsed, from_json, from_text) = three_ways::<PlatformKey>(&text)?;
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
    refuses_non_string_json::<PlatformKey>();
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
        damaged(instances("Connection")),
        damaged(instances("Connections")),
    ];
    check(inputs, |value| {
        no_panic("serde_json::from_value::<Connection>", &value, || {
            let _ = serde_json::from_value::<Connection>(value.clone());
        })?;
        let page = no_panic("serde_json::from_value::<Connections>", &value, || {
            serde_json::from_value::<Connections>(value.clone())
        })?;
        if let Ok(raw) = page {
            no_panic("Page::from", &value, || {
                let _ = Page::<Connection>::from(raw);
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
    check(instances("Connection"), |json| {
        let text = json.to_string();
        let connection: Connection = serde_json::from_str(&text)
            .map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))?;
        let from_value: Connection = decoded(&json)?;
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
fn valid_page_decodes_and_page_conversion_keeps_every_count_as_sent() {
    check(instances("Connections"), |json| {
        let raw: Connections = decoded(&json)?;
        round_trip(&raw)?;
        let counts = [raw.page_number, raw.page_size, raw.total_results];
        let page = Page::<Connection>::from(raw.clone());
        prop_assert_eq!(
            [page.page_number, page.page_size, page.total_results],
            counts
        );
        prop_assert_eq!(&page.results, &raw.results);
        prop_assert_eq!(&page.links, &raw.links);
        prop_assert!(page.undecoded.is_empty());
        let next = json["_links"]["next"]["href"].as_str();
        prop_assert_eq!(page.next_href(), next);
        prop_assert_eq!(page.has_next_page(), next.is_some());
        Ok(())
    });
    support::record(
        AREA,
        "Connections page: generated valid JSON with counts of any sign, then Page::from",
        "256 cases: always decodes and re-encodes to an equal value; Page keeps results, links and every count as sent, negative ones too",
    );
}

// ------------------------------------------------------------ error bodies

/// `json` decoded as `T`, or the case fails with the JSON that did not.
fn decoded<T: serde::de::DeserializeOwned>(json: &Value) -> Result<T, TestCaseError> {
    serde_json::from_value(json.clone()).map_err(|e| TestCaseError::fail(format!("{e}: {json:#}")))
}

/// Checks the `ErrorMessage` decoded from a Codat-documented body against
/// the JSON it came from, and its round trip.
fn check_codat_error(json: &Value, message: &ErrorMessage) -> Result<(), TestCaseError> {
    prop_assert_eq!(message.error.as_deref(), json["error"].as_str());
    prop_assert_eq!(
        message.correlation_id.as_deref(),
        json["correlationId"].as_str()
    );
    prop_assert_eq!(message.status_code, json["statusCode"].as_i64());
    round_trip(message)
}

#[test]
fn error_bodies_never_panic_when_decoded_as_error_message() {
    check(error_body(), |body| {
        let bytes = body.bytes();
        let message = no_panic("serde_json::from_slice::<ErrorMessage>", &body, || {
            serde_json::from_slice::<ErrorMessage>(&bytes)
        })?;
        if let ErrorBody::NotJson(_) = body {
            prop_assert!(message.is_err(), "{:?} decoded as {:?}", body, message);
        }
        Ok(())
    });
    check(
        prop_oneof![json_value(), damaged(instances("ErrorMessage"))],
        |value| {
            no_panic("serde_json::from_value::<ErrorMessage>", &value, || {
                let _ = serde_json::from_value::<ErrorMessage>(value.clone());
            })?;
            Ok(())
        },
    );
    check(instances("ErrorMessage"), |json| {
        check_codat_error(&json, &decoded(&json)?)
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

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(MockServer::start());
    let client = support::client(&server.uri());
    let statuses = select(vec![400u16, 401, 403, 404, 409, 422, 500, 503]);
    check((statuses, error_body()), |(status, made)| {
        let body = made.bytes();
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
        let expected = match &made {
            ErrorBody::NotJson(_) | ErrorBody::NotAnObject(_) => None,
            ErrorBody::Codat(json) => {
                let message = decoded(json)?;
                check_codat_error(json, &message)?;
                Some(message)
            }
            ErrorBody::Object(json) => serde_json::from_value(json.clone()).ok(),
        };
        prop_assert_eq!(&api.message, &expected, "{:?}", made);
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
