//! Codat's `DateTime` strings, kept in the form Codat sent them so that a
//! timestamp without an offset is never given an invented one.
//!
//! Codat documents these forms:
//!
//! | Example                     | Meaning                                    | Variant              |
//! |-----------------------------|--------------------------------------------|----------------------|
//! | `2021-11-15T06:00:00Z`      | UTC                                        | [`DateTime::Utc`]    |
//! | `2021-11-15T01:00:00-05:00` | explicit offset from UTC                   | [`DateTime::Offset`] |
//! | `2021-11-15T01:00:00`       | local time of the business, offset unknown | [`DateTime::Local`]  |
//! | `2022-10-23`                | date only                                  | [`DateTime::Date`]   |
//!
//! Any of the time forms may carry fractional seconds; Codat sends up to
//! seven digits (`2022-10-27T10:22:43.6464237Z`), which is 100 ns precision.
//!
//! Codat's document describes these forms but its schema is a plain
//! `string`, so any other string is a valid answer too: it decodes as
//! [`DateTime::Other`], kept exactly as it came, rather than making the
//! connection around it fail to decode.

use std::fmt;
use std::str::FromStr;

mod parse;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use parse::parse;

/// A timestamp or date as Codat writes it, preserving which form was used.
///
/// Decoding (serde) accepts any string, as Codat's document does: one of the
/// documented forms becomes its variant, anything else is kept verbatim as
/// [`DateTime::Other`], whose views ([`to_utc`](DateTime::to_utc),
/// [`naive_local`](DateTime::naive_local), [`date`](DateTime::date)) are
/// `None`. Serialising writes back what came: the same text for
/// [`DateTime::Other`], and the same form and value for the others (the only
/// spelling that can change is a lowercase `t`/`z`, written uppercase, and
/// trailing zeros of the fractional seconds, which are dropped).
///
/// [`str::parse`] is strict: it accepts the documented forms only, for
/// values you write yourself; [`DateTime::from_codat`] is the lenient
/// reading serde uses. [`Display`](fmt::Display) writes the value as serde
/// does.
///
/// ```
/// use codat_connections::DateTime;
///
/// let utc: DateTime = "2021-11-15T06:00:00Z".parse()?;
/// assert!(matches!(utc, DateTime::Utc(_)));
/// assert_eq!(utc.to_string(), "2021-11-15T06:00:00Z");
///
/// // No offset: this is the business's local time, so there is no UTC instant.
/// let local: DateTime = "2021-11-15T01:00:00".parse()?;
/// assert_eq!(local.to_utc(), None);
/// assert_eq!(local.to_string(), "2021-11-15T01:00:00");
///
/// let date: DateTime = "2022-10-23".parse()?;
/// assert_eq!(date.date(), chrono::NaiveDate::from_ymd_opt(2022, 10, 23));
///
/// // Not a date at all, yet allowed by Codat's document: kept as it came.
/// let other: DateTime = serde_json::from_str("\"eiusmod\"")?;
/// assert_eq!(other, DateTime::Other("eiusmod".to_owned()));
/// assert_eq!(other.to_utc(), None);
/// assert_eq!(serde_json::to_string(&other)?, "\"eiusmod\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DateTime {
    /// An instant written with a trailing `Z`, e.g. `2021-11-15T06:00:00Z`.
    Utc(chrono::DateTime<Utc>),
    /// An instant written with an explicit offset, e.g.
    /// `2021-11-15T01:00:00-05:00`.
    ///
    /// `+00:00` stays in this variant rather than becoming [`DateTime::Utc`],
    /// so the value is written back exactly as received.
    Offset(chrono::DateTime<FixedOffset>),
    /// A wall-clock time with no offset, e.g. `2021-11-15T01:00:00`.
    ///
    /// Codat uses this for the local time of the business; the offset is
    /// unknown, so this is not an instant and [`DateTime::to_utc`] returns
    /// `None`.
    Local(NaiveDateTime),
    /// A date without a time, e.g. `2022-10-23`.
    Date(NaiveDate),
    /// A string that is none of the forms above, exactly as Codat sent it
    /// (Codat's schema for `DateTime` is a plain `string`).
    ///
    /// Every view ([`DateTime::to_utc`], [`DateTime::naive_local`],
    /// [`DateTime::date`]) is `None`; [`DateTime::parse_error`] says why it
    /// is not a date. Serialised, it is the same string again.
    Other(String),
}

impl DateTime {
    /// The UTC instant, if the value carries an offset.
    ///
    /// Returns `None` for [`DateTime::Local`] and [`DateTime::Date`] (their
    /// offset is unknown and guessing one would silently shift the time),
    /// and for [`DateTime::Other`], which is not a date.
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// let t: DateTime = "2021-11-15T01:00:00-05:00".parse()?;
    /// assert_eq!(t.to_utc().map(|u| u.to_rfc3339()).as_deref(), Some("2021-11-15T06:00:00+00:00"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn to_utc(&self) -> Option<chrono::DateTime<Utc>> {
        match self {
            Self::Utc(dt) => Some(*dt),
            Self::Offset(dt) => Some(dt.with_timezone(&Utc)),
            Self::Local(_) | Self::Date(_) | Self::Other(_) => None,
        }
    }

    /// The wall-clock date and time as written, ignoring any offset.
    ///
    /// A [`DateTime::Date`] becomes midnight at the start of that date;
    /// [`DateTime::Other`], which is not a date, gives `None`.
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// let t: DateTime = "2021-11-15T01:00:00-05:00".parse()?;
    /// assert_eq!(t.naive_local().map(|t| t.to_string()).as_deref(), Some("2021-11-15 01:00:00"));
    /// let d: DateTime = "2022-10-23".parse()?;
    /// assert_eq!(d.naive_local().map(|t| t.to_string()).as_deref(), Some("2022-10-23 00:00:00"));
    /// assert_eq!(DateTime::from_codat("soon").naive_local(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn naive_local(&self) -> Option<NaiveDateTime> {
        match self {
            Self::Utc(dt) => Some(dt.naive_utc()),
            Self::Offset(dt) => Some(dt.naive_local()),
            Self::Local(dt) => Some(*dt),
            Self::Date(d) => Some(d.and_time(NaiveTime::MIN)),
            Self::Other(_) => None,
        }
    }

    /// The calendar date as written, ignoring any offset; `None` for
    /// [`DateTime::Other`].
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// let t: DateTime = "2021-11-15T23:30:00-05:00".parse()?;
    /// assert_eq!(t.date().map(|d| d.to_string()).as_deref(), Some("2021-11-15"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn date(&self) -> Option<NaiveDate> {
        self.naive_local().map(|t| t.date())
    }

    /// The value of Codat's text `text`: its documented form when it is one,
    /// else [`DateTime::Other`] holding `text` unchanged. This is how serde
    /// decodes a `DateTime`; [`str::parse`] is the strict reading.
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// assert!(matches!(DateTime::from_codat("2021-11-15T06:00:00Z"), DateTime::Utc(_)));
    /// assert_eq!(DateTime::from_codat("est"), DateTime::Other("est".to_owned()));
    /// ```
    #[must_use]
    pub fn from_codat(text: &str) -> Self {
        parse(text.as_bytes()).unwrap_or_else(|_| Self::Other(text.to_owned()))
    }

    /// Why the value is not one of the forms Codat documents, for
    /// [`DateTime::Other`]; `None` for every other variant.
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// let other = DateTime::from_codat("2021-13-01");
    /// let why = other.parse_error().expect("month 13 is not a date");
    /// assert!(why.to_string().contains("date out of range"), "{why}");
    /// assert!(DateTime::from_codat("2021-12-01").parse_error().is_none());
    /// ```
    #[must_use]
    pub fn parse_error(&self) -> Option<DateTimeParseError> {
        match self {
            Self::Other(text) => text.parse::<Self>().err(),
            _ => None,
        }
    }

    /// Whether the value carries an offset (`Z` or `±hh:mm`), i.e. whether
    /// [`DateTime::to_utc`] returns `Some`.
    ///
    /// ```
    /// use codat_connections::DateTime;
    ///
    /// assert!("2021-11-15T06:00:00Z".parse::<DateTime>()?.has_offset());
    /// assert!(!"2021-11-15T06:00:00".parse::<DateTime>()?.has_offset());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn has_offset(&self) -> bool {
        matches!(self, Self::Utc(_) | Self::Offset(_))
    }
}

impl From<chrono::DateTime<Utc>> for DateTime {
    fn from(dt: chrono::DateTime<Utc>) -> Self {
        Self::Utc(dt)
    }
}

impl From<chrono::DateTime<FixedOffset>> for DateTime {
    fn from(dt: chrono::DateTime<FixedOffset>) -> Self {
        Self::Offset(dt)
    }
}

impl From<NaiveDateTime> for DateTime {
    fn from(dt: NaiveDateTime) -> Self {
        Self::Local(dt)
    }
}

impl From<NaiveDate> for DateTime {
    fn from(d: NaiveDate) -> Self {
        Self::Date(d)
    }
}

/// The error returned when a string is not one of Codat's `DateTime` forms.
///
/// ```
/// use codat_connections::DateTime;
///
/// let err = "2021-13-01".parse::<DateTime>().unwrap_err();
/// assert_eq!(err.input(), "2021-13-01");
/// assert!(err.to_string().contains("2021-13-01"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateTimeParseError {
    input: String,
    truncated: bool,
    reason: &'static str,
}

impl DateTimeParseError {
    /// Inputs can be arbitrarily large (a whole response body in the wrong
    /// field), and the error is meant for logs, so only a prefix is kept.
    const MAX_INPUT_CHARS: usize = 64;

    fn new(input: &str, reason: &'static str) -> Self {
        let mut chars = input.chars();
        let kept: String = chars.by_ref().take(Self::MAX_INPUT_CHARS).collect();
        Self {
            input: kept,
            truncated: chars.next().is_some(),
            reason,
        }
    }

    /// The rejected input, cut to its first 64 characters.
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }
}

impl fmt::Display for DateTimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug formatting quotes the input and escapes control characters,
        // so garbage cannot corrupt a log line.
        write!(f, "invalid Codat DateTime {:?}", self.input)?;
        if self.truncated {
            f.write_str(" (truncated)")?;
        }
        write!(
            f,
            ": {}; expected `YYYY-MM-DD` or `YYYY-MM-DDThh:mm:ss[.fffffff]` optionally followed by `Z` or `±hh:mm`",
            self.reason
        )
    }
}

impl std::error::Error for DateTimeParseError {}

impl FromStr for DateTime {
    type Err = DateTimeParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s.as_bytes()).map_err(|reason| DateTimeParseError::new(s, reason))
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Utc(dt) => {
                write_naive(f, &dt.naive_utc())?;
                f.write_str("Z")
            }
            // The offset is written as given: `+00:00` stays `+00:00`, not `Z`.
            Self::Offset(dt) => {
                write_naive(f, &dt.naive_local())?;
                write!(f, "{}", dt.format("%:z"))
            }
            Self::Local(dt) => write_naive(f, dt),
            Self::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Self::Other(text) => f.write_str(text),
        }
    }
}

/// Date and time with only the fractional digits that carry a value, so that
/// Codat's 7-digit `.6464237` is written back as `.6464237`, not `.646423700`.
fn write_naive(f: &mut fmt::Formatter<'_>, dt: &NaiveDateTime) -> fmt::Result {
    write!(f, "{}", dt.format("%Y-%m-%dT%H:%M:%S"))?;
    let nanos = dt.and_utc().timestamp_subsec_nanos();
    if nanos > 0 {
        let digits = format!("{nanos:09}");
        write!(f, ".{}", digits.trim_end_matches('0'))?;
    }
    Ok(())
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Other(text) => serializer.serialize_str(text),
            _ => serializer.collect_str(self),
        }
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl serde::de::Visitor<'_> for Visitor {
            type Value = DateTime;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a string (Codat writes dates such as `2021-11-15T06:00:00Z` or `2022-10-23`)",
                )
            }

            // Any string: Codat's schema for `DateTime` is a plain `string`.
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<DateTime, E> {
                Ok(DateTime::from_codat(v))
            }

            // An owned string that is not a date is kept without a copy.
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<DateTime, E> {
                Ok(match parse(v.as_bytes()) {
                    Ok(parsed) => parsed,
                    Err(_) => DateTime::Other(v),
                })
            }
        }

        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for DateTime {
    fn schema_name() -> String {
        "DateTime".to_owned()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        // The default id is the bare name, which would collide with other
        // types called `DateTime` (including chrono's) in one schema.
        std::borrow::Cow::Borrowed(concat!(module_path!(), "::DateTime"))
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        use schemars::schema::{InstanceType, Metadata, SchemaObject};

        // No `format`: `date-time` would reject the date-only and no-offset
        // forms that Codat sends.
        SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            metadata: Some(Box::new(Metadata {
                description: Some(
                    "A Codat date or date-time: `YYYY-MM-DD`, or `YYYY-MM-DDThh:mm:ss` with optional \
                     fractional seconds, followed by `Z` (UTC), an offset such as `-05:00`, or \
                     nothing (local time of the business, offset unknown)."
                        .to_owned(),
                ),
                examples: [
                    "2021-11-15T06:00:00Z",
                    "2021-11-15T01:00:00-05:00",
                    "2021-11-15T01:00:00",
                    "2022-10-27T10:22:43.6464237Z",
                    "2022-10-23",
                ]
                .into_iter()
                .map(serde_json::Value::from)
                .collect(),
                ..Default::default()
            })),
            ..Default::default()
        }
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};

    fn parse(s: &str) -> DateTime {
        s.parse()
            .unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn ymd_hms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|d| d.and_hms_opt(h, mi, s))
            .expect("valid test date")
    }

    #[test]
    fn utc_form_parses_to_utc_variant() {
        let dt = parse("2021-11-15T06:00:00Z");
        assert_eq!(dt, DateTime::Utc(ymd_hms(2021, 11, 15, 6, 0, 0).and_utc()));
        assert_eq!(dt.to_string(), "2021-11-15T06:00:00Z");
    }

    #[test]
    fn lowercase_t_and_z_are_accepted_and_written_uppercase() {
        let dt = parse("2021-11-15t06:00:00z");
        assert_eq!(dt, parse("2021-11-15T06:00:00Z"));
        assert_eq!(dt.to_string(), "2021-11-15T06:00:00Z");
    }

    #[test]
    fn offset_form_parses_to_offset_variant_with_that_offset() {
        let dt = parse("2021-11-15T01:00:00-05:00");
        let DateTime::Offset(inner) = dt else {
            panic!("expected Offset, got {dt:?}");
        };
        assert_eq!(inner.offset().local_minus_utc(), -5 * 3600);
        assert_eq!(inner.naive_local(), ymd_hms(2021, 11, 15, 1, 0, 0));
        assert_eq!(dt.to_utc(), Some(ymd_hms(2021, 11, 15, 6, 0, 0).and_utc()));
        assert_eq!(dt.to_string(), "2021-11-15T01:00:00-05:00");
    }

    #[test]
    fn positive_offset_with_minutes_is_kept() {
        let dt = parse("2021-11-15T01:00:00+05:30");
        assert_eq!(dt.to_string(), "2021-11-15T01:00:00+05:30");
        assert_eq!(
            dt.to_utc(),
            Some(ymd_hms(2021, 11, 14, 19, 30, 0).and_utc())
        );
    }

    #[test]
    fn zero_offset_stays_offset_not_utc() {
        let dt = parse("2021-11-15T06:00:00+00:00");
        assert!(matches!(dt, DateTime::Offset(_)), "{dt:?}");
        assert_ne!(dt, parse("2021-11-15T06:00:00Z"));
        assert_eq!(dt.to_utc(), parse("2021-11-15T06:00:00Z").to_utc());
        assert_eq!(dt.to_string(), "2021-11-15T06:00:00+00:00");
    }

    #[test]
    fn no_offset_form_is_local_without_invented_offset() {
        let dt = parse("2021-11-15T01:00:00");
        assert_eq!(dt, DateTime::Local(ymd_hms(2021, 11, 15, 1, 0, 0)));
        assert!(!dt.has_offset());
        assert_eq!(dt.to_utc(), None);
        assert_eq!(dt.naive_local(), Some(ymd_hms(2021, 11, 15, 1, 0, 0)));
        assert_eq!(dt.to_string(), "2021-11-15T01:00:00");
    }

    #[test]
    fn date_only_form_is_date_at_midnight() {
        let dt = parse("2022-10-23");
        let date = NaiveDate::from_ymd_opt(2022, 10, 23).expect("valid test date");
        assert_eq!(dt, DateTime::Date(date));
        assert_eq!(dt.date(), Some(date));
        assert_eq!(dt.naive_local(), Some(ymd_hms(2022, 10, 23, 0, 0, 0)));
        assert_eq!(dt.to_utc(), None);
        assert!(!dt.has_offset());
        assert_eq!(dt.to_string(), "2022-10-23");
    }

    #[test]
    fn seven_fractional_digits_keep_100ns_precision() {
        let dt = parse("2022-10-27T10:22:43.6464237Z");
        let utc = dt.to_utc().expect("has offset");
        assert_eq!(utc.nanosecond(), 646_423_700);
        assert_eq!((utc.hour(), utc.minute(), utc.second()), (10, 22, 43));
        // Written back with the digits it came with.
        assert_eq!(dt.to_string(), "2022-10-27T10:22:43.6464237Z");
        assert_eq!(parse(&dt.to_string()), dt);
    }

    #[test]
    fn fractional_seconds_are_written_only_when_non_zero_and_without_trailing_zeros() {
        assert_eq!(
            parse("2021-11-15T06:00:00.000Z").to_string(),
            "2021-11-15T06:00:00Z"
        );
        assert_eq!(
            parse("2021-11-15T06:00:00.5").to_string(),
            "2021-11-15T06:00:00.5"
        );
        assert_eq!(
            parse("2021-11-15T06:00:00.1234-05:00").to_string(),
            "2021-11-15T06:00:00.1234-05:00"
        );
    }

    #[test]
    fn date_ignores_offset_and_uses_written_wall_clock() {
        let dt = parse("2021-11-15T23:30:00-05:00");
        assert_eq!(dt.date().map(|d| d.day()), Some(15));
        assert_eq!(dt.to_utc().map(|u| u.day()), Some(16));
    }

    #[test]
    fn serde_round_trips_every_form_through_json() {
        for s in [
            "2021-11-15T06:00:00Z",
            "2021-11-15T01:00:00",
            "2021-11-15T01:00:00-05:00",
            "2021-11-15T01:00:00+00:00",
            "2022-10-27T10:22:43.6464237Z",
            "2022-10-27T10:22:43.5-05:00",
            "2022-10-23",
        ] {
            let json = format!("\"{s}\"");
            let dt: DateTime = serde_json::from_str(&json).expect("valid DateTime json");
            assert_eq!(dt, parse(s));
            assert_eq!(serde_json::to_string(&dt).expect("serialisable"), json);
        }
    }

    #[test]
    fn serde_keeps_any_other_string_verbatim_and_rejects_non_strings() {
        for text in [
            "2021-13-01",
            "eiusmod",
            "",
            "fugiat sed",
            "2021-11-15 06:00:00",
            "é\u{0}\"",
        ] {
            let json = serde_json::to_string(text).expect("a string is JSON");
            let dt: DateTime = serde_json::from_str(&json).expect("any string decodes");
            assert_eq!(dt, DateTime::Other(text.to_owned()));
            assert_eq!(
                (dt.to_utc(), dt.naive_local(), dt.date()),
                (None, None, None)
            );
            assert!(!dt.has_offset());
            assert_eq!(dt.to_string(), text);
            assert_eq!(serde_json::to_string(&dt).expect("serialisable"), json);
            // The strict reading still says why it is not a date.
            let why = dt.parse_error().expect("not a documented form");
            assert_eq!(why, text.parse::<DateTime>().expect_err("strict"));
        }
        // From a reader, serde hands over an owned string: kept the same.
        let dt: DateTime = serde_json::from_reader(&b"\"est\""[..]).expect("any string decodes");
        assert_eq!(dt, DateTime::Other("est".to_owned()));
        assert!(serde_json::from_str::<DateTime>("20211115").is_err());
        assert!(serde_json::from_str::<DateTime>("null").is_err());
    }

    #[test]
    fn from_codat_parses_documented_forms_and_keeps_the_rest() {
        assert_eq!(DateTime::from_codat("2022-10-23"), parse("2022-10-23"));
        assert_eq!(
            DateTime::from_codat("2021-11-15T01:00:00-05:00"),
            parse("2021-11-15T01:00:00-05:00")
        );
        assert_eq!(
            DateTime::from_codat("2021-02-29"),
            DateTime::Other("2021-02-29".into())
        );
        assert_eq!(parse("2022-10-23").parse_error(), None);
    }

    #[test]
    fn garbage_empty_and_out_of_range_are_rejected_with_the_input() {
        for bad in [
            "",
            "garbage",
            "2021-13-01",
            "2021-02-29",
            "2021-00-10",
            "2021-11-15T24:00:00",
            "2021-11-15T23:60:00",
            "2021-11-15T23:59:60Z",
            "2021-11-15T06:00:00+24:00",
            "2021-11-15T06:00:00+05:60",
            "2021-11-15T06:00:00+0500",
            "2021-11-15T06:00:00 Z",
            "2021-11-15 06:00:00",
            "2021-11-15T06:00",
            "2021-11-15T06:00:00.",
            "2021-11-15T06:00:00.1234567890Z",
            "2021-11-15T06:00:00ZZ",
            "2021-1-15",
            "+2021-11-15",
            "2021-11-15T",
            " 2021-11-15",
            "2021-11-15\u{e9}",
            "２０２１-11-15",
        ] {
            let err = bad
                .parse::<DateTime>()
                .expect_err(&format!("{bad:?} should be rejected"));
            assert_eq!(err.input(), bad);
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn long_rejected_input_is_truncated_in_the_error() {
        let long = "x".repeat(1000);
        let err = long.parse::<DateTime>().expect_err("garbage");
        assert_eq!(err.input().chars().count(), 64);
        assert!(err.to_string().contains("truncated"));
        // Multi-byte characters are cut on a character boundary.
        let err = "é".repeat(100).parse::<DateTime>().expect_err("garbage");
        assert_eq!(err.input(), "é".repeat(64));
    }

    #[test]
    fn generated_inputs_round_trip_through_display() {
        // Each piece carries whether it is valid (for years: whether it is a
        // leap year), so the loop also checks that rejection happens exactly
        // where expected.
        let years = [
            ("0000", true),
            ("0001", false),
            ("1970", false),
            ("1999", false),
            ("2000", true),
            ("2024", true),
            ("9999", false),
        ];
        let month_days = [
            ("01-01", true),
            ("02-28", true),
            ("03-15", true),
            ("06-30", true),
            ("10-09", true),
            ("12-31", true),
            ("02-29", true), // valid only in leap years
            ("02-30", false),
            ("04-31", false),
            ("13-01", false),
        ];
        let times = [
            ("00:00:00", true),
            ("06:05:04", true),
            ("12:30:59", true),
            ("23:59:59", true),
            ("24:00:00", false),
        ];
        let fractions = [
            "",
            ".0",
            ".5",
            ".05",
            ".123",
            ".1234",
            ".123456",
            ".6464237",
            ".12345678",
            ".999999999",
        ];
        let suffixes = [
            "", "Z", "z", "+00:00", "-05:00", "+05:30", "+23:59", "-23:59",
        ];

        // A fixed LCG picks combinations so the test is deterministic but
        // covers mixes a nested loop of this size would not reach.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(state >> 33).expect("fits in usize") % n
        };

        let mut accepted = 0;
        for i in 0..800 {
            let (year, leap) = years[next(years.len())];
            let (month_day, md_ok) = month_days[next(month_days.len())];
            let mut valid = md_ok && (month_day != "02-29" || leap);
            let s = if i % 10 == 0 {
                format!("{year}-{month_day}")
            } else {
                let (time, time_ok) = times[next(times.len())];
                valid &= time_ok;
                format!(
                    "{year}-{month_day}T{time}{}{}",
                    fractions[next(fractions.len())],
                    suffixes[next(suffixes.len())]
                )
            };
            let first = match s.parse::<DateTime>() {
                Ok(first) => first,
                Err(e) => {
                    assert!(!valid, "{s:?} should parse: {e}");
                    continue;
                }
            };
            assert!(valid, "{s:?} should be rejected, got {first:?}");
            accepted += 1;
            let written = first.to_string();
            let second: DateTime = written
                .parse()
                .unwrap_or_else(|e| panic!("{s:?} wrote {written:?}, which failed: {e}"));
            assert_eq!(second, first, "{s:?} -> {written:?}");
            assert_eq!(second.to_string(), written, "Display must be stable");
        }
        assert!(accepted > 300, "only {accepted} generated inputs parsed");
    }

    #[cfg(feature = "schemars")]
    #[test]
    fn json_schema_is_a_plain_string_named_datetime() {
        let json = crate::types::status::string_schema::<DateTime>("DateTime");
        assert!(json.get("format").is_none(), "{json}");
    }
}
