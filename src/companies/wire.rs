//! A company as it comes on the wire, read in one pass: every field but
//! `dataConnections` goes straight to the generated [`CompanyDetails`], and
//! the connections are read as the caller asks: as JSON text, each to be
//! decoded on its own ([`Company`](super::Company)), or straight into
//! connections (a page's first try, `decode::page`).
//!
//! `#[serde(flatten)]` would do the same by buffering every field of the
//! company first and decoding the details from that copy: on a page of
//! 5,000 companies that buffering cost more than decoding the details.

use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, MapAccessDeserializer, StringDeserializer};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::raw::types::CompanyDetails;

/// The key of a company's connections.
const CONNECTIONS: &str = "dataConnections";

/// A company's details, and its connections read as `C` (empty when the
/// key is missing or `null`).
pub(super) fn read<'de, D, C>(deserializer: D) -> Result<(CompanyDetails, Vec<C>), D::Error>
where
    D: Deserializer<'de>,
    C: Deserialize<'de>,
{
    deserializer.deserialize_map(CompanyVisitor(std::marker::PhantomData))
}

/// Connections kept as JSON text, each to be decoded on its own.
pub(super) type ConnectionText = Box<RawValue>;

struct CompanyVisitor<C>(std::marker::PhantomData<C>);

impl<'de, C: Deserialize<'de>> Visitor<'de> for CompanyVisitor<C> {
    type Value = (CompanyDetails, Vec<C>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a company (a JSON object)")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut connections = None;
        let details =
            CompanyDetails::deserialize(MapAccessDeserializer::new(WithoutConnections {
                map,
                connections: &mut connections,
            }))?;
        Ok((details, connections.flatten().unwrap_or_default()))
    }
}

/// The company's fields but its connections, which it sets aside.
struct WithoutConnections<'a, A, C> {
    map: A,
    connections: &'a mut Option<Option<Vec<C>>>,
}

impl<'de, A: MapAccess<'de>, C: Deserialize<'de>> MapAccess<'de> for WithoutConnections<'_, A, C> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        loop {
            match self.map.next_key::<Key<'de>>()? {
                None => return Ok(None),
                Some(Key::Borrowed(CONNECTIONS)) => {}
                Some(Key::Owned(key)) if key == CONNECTIONS => {}
                Some(Key::Borrowed(key)) => {
                    return seed
                        .deserialize(BorrowedStrDeserializer::new(key))
                        .map(Some);
                }
                Some(Key::Owned(key)) => {
                    return seed.deserialize(StringDeserializer::new(key)).map(Some);
                }
            }
            if self.connections.is_some() {
                return Err(serde::de::Error::duplicate_field(CONNECTIONS));
            }
            *self.connections = Some(self.map.next_value()?);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// A key, borrowed from the input where it can be (no allocation).
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key::Borrowed(key))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key.to_owned()))
            }

            fn visit_string<E>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key::Owned(key))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COMPANY: &str = r#"{"id": "8a210b68-6988-11ed-a1eb-0242ac120002", "name": "Technicalium",
        "redirect": "https://link.codat.io/company/8a210b68-6988-11ed-a1eb-0242ac120002""#;

    fn read_text(text: &str) -> serde_json::Result<(CompanyDetails, Vec<ConnectionText>)> {
        read(&mut serde_json::Deserializer::from_str(text))
    }

    #[test]
    fn the_connections_are_set_aside_wherever_they_are_and_the_rest_is_the_details() {
        for text in [
            format!(
                r#"{{"dataConnections": [{{"id": 1}}, 2], {}, "tags": {{"a": "b"}}}}"#,
                &COMPANY[1..]
            ),
            format!(r#"{COMPANY}, "dataConnections": [{{"id": 1}}, 2], "tags": {{"a": "b"}}}}"#),
            // An escaped key is not borrowed from the input.
            format!(
                r#"{COMPANY}, "data\u0043onnections": [{{"id": 1}}, 2], "t\u0061gs": {{"a": "b"}}}}"#
            ),
        ] {
            let (details, connections) = read_text(&text).unwrap();
            assert_eq!(details.name, "Technicalium", "{text}");
            assert_eq!(
                details.tags.get("a").map(String::as_str),
                Some("b"),
                "{text}"
            );
            let texts: Vec<&str> = connections.iter().map(|c| c.get()).collect();
            assert_eq!(texts, [r#"{"id": 1}"#, "2"], "{text}");
        }
    }

    #[test]
    fn missing_or_null_connections_are_none_and_the_details_are_still_checked() {
        for text in [
            format!("{COMPANY}}}"),
            format!(r#"{COMPANY}, "dataConnections": null}}"#),
        ] {
            assert!(read_text(&text).unwrap().1.is_empty(), "{text}");
        }
        let nameless = r#"{"id": "8a210b68-6988-11ed-a1eb-0242ac120002", "dataConnections": []}"#;
        assert!(
            read_text(nameless)
                .unwrap_err()
                .to_string()
                .contains("name")
        );
        assert!(read_text("[]").is_err());
        let twice = format!(r#"{COMPANY}, "dataConnections": [], "dataConnections": []}}"#);
        assert!(
            read_text(&twice)
                .unwrap_err()
                .to_string()
                .contains("duplicate")
        );
    }

    #[test]
    fn a_company_from_a_json_value_reads_the_same() {
        let value: serde_json::Value =
            serde_json::from_str(&format!(r#"{COMPANY}, "dataConnections": [{{"id": 1}}]}}"#))
                .unwrap();
        let (details, connections) = read::<_, ConnectionText>(&value).unwrap();
        assert_eq!(details.name, "Technicalium");
        assert_eq!(connections.len(), 1);
    }

    #[test]
    fn connections_can_be_read_as_any_type_and_one_that_does_not_fit_fails_the_company() {
        let text = format!(r#"{COMPANY}, "dataConnections": [1, 2]}}"#);
        let (_, numbers) = read::<_, u8>(&mut serde_json::Deserializer::from_str(&text)).unwrap();
        assert_eq!(numbers, [1, 2]);
        let text = format!(r#"{COMPANY}, "dataConnections": [1, "two"]}}"#);
        assert!(read::<_, u8>(&mut serde_json::Deserializer::from_str(&text)).is_err());
    }
}
