//! Validated identifiers: a value of these types is always safe to put in a
//! request path, so an ID such as `../` can never reach Codat's URL space.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::Error;

/// What a valid company or connection ID looks like.
const UUID_REASON: &str = "must be a UUID such as 8a210b68-6988-11ed-a1eb-0242ac120002";

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $field:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// The name Codat gives this identifier, used in errors.
            pub const FIELD: &'static str = $field;

            /// Wraps an already-parsed UUID.
            pub const fn from_uuid(uuid: Uuid) -> Self {
                Self(uuid)
            }

            /// The UUID inside.
            pub const fn as_uuid(&self) -> &Uuid {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                // Only the canonical hyphenated form Codat uses: braces, URNs
                // and simple hex forms are refused rather than silently rewritten.
                match Uuid::try_parse(s) {
                    Ok(uuid) if s.len() == 36 => Ok(Self(uuid)),
                    _ => Err(Error::invalid_input($field, s, UUID_REASON)),
                }
            }
        }

        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self, Error> {
                s.parse()
            }
        }

        impl TryFrom<&String> for $name {
            type Error = Error;
            fn try_from(s: &String) -> Result<Self, Error> {
                s.parse()
            }
        }

        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self, Error> {
                s.parse()
            }
        }

        impl From<Uuid> for $name {
            fn from(uuid: Uuid) -> Self {
                Self(uuid)
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                *id
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        /// Decoding Codat's answers accepts every spelling of a UUID (Codat
        /// sends the hyphenated one); only input from callers is held to the
        /// canonical form by [`FromStr`].
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Uuid::deserialize(deserializer).map(Self)
            }
        }

        #[cfg(feature = "schemars")]
        impl schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn json_schema(generator: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
                Uuid::json_schema(generator)
            }
        }
    };
}

uuid_id!(
    /// A Codat company's identifier (a UUID).
    ///
    /// ```
    /// use codat_connections::CompanyId;
    ///
    /// let id: CompanyId = "8a210b68-6988-11ed-a1eb-0242ac120002".parse()?;
    /// assert!("../etc".parse::<CompanyId>().is_err());
    /// # Ok::<(), codat_connections::Error>(())
    /// ```
    CompanyId,
    "companyId"
);

uuid_id!(
    /// A data connection's identifier (a UUID).
    ///
    /// ```
    /// use codat_connections::ConnectionId;
    ///
    /// let id: ConnectionId = "2e9d2c44-f675-40ba-8049-353bfcb5e171".parse()?;
    /// assert_eq!(id.to_string(), "2e9d2c44-f675-40ba-8049-353bfcb5e171");
    /// # Ok::<(), codat_connections::Error>(())
    /// ```
    ConnectionId,
    "connectionId"
);

/// The four lowercase letters that name a platform at Codat (`gbol`, `qhyg`, ...).
///
/// ```
/// use codat_connections::PlatformKey;
///
/// let sandbox: PlatformKey = "gbol".parse()?;
/// assert!("GBOL".parse::<PlatformKey>().is_err());
/// # Ok::<(), codat_connections::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlatformKey([u8; 4]);

impl PlatformKey {
    /// The name Codat gives this value, used in errors.
    pub const FIELD: &'static str = "platformKey";

    /// The key as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII lowercase letters are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl FromStr for PlatformKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match <[u8; 4]>::try_from(s.as_bytes()) {
            Ok(bytes) if bytes.iter().all(u8::is_ascii_lowercase) => Ok(Self(bytes)),
            _ => Err(Error::invalid_input(
                Self::FIELD,
                s,
                "must be four lowercase letters, such as `gbol`",
            )),
        }
    }
}

impl TryFrom<&str> for PlatformKey {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

impl TryFrom<String> for PlatformKey {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        s.parse()
    }
}

impl TryFrom<&String> for PlatformKey {
    type Error = Error;
    fn try_from(s: &String) -> Result<Self, Error> {
        s.parse()
    }
}

impl fmt::Display for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PlatformKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PlatformKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Cow::<str>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
impl schemars::JsonSchema for PlatformKey {
    fn schema_name() -> String {
        "PlatformKey".to_owned()
    }

    fn json_schema(_: &mut schemars::r#gen::SchemaGenerator) -> schemars::schema::Schema {
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            string: Some(Box::new(schemars::schema::StringValidation {
                min_length: Some(4),
                max_length: Some(4),
                pattern: Some("^[a-z]{4}$".to_owned()),
            })),
            ..Default::default()
        }
        .into()
    }
}

/// A trait for "anything that names" one of the validated types: whatever
/// converts into it, with a failed conversion reported as [`Error`].
macro_rules! into_validated {
    ($(#[$doc:meta])* $trait:ident, $method:ident -> $validated:ident, $what:literal) => {
        $(#[$doc])*
        pub trait $trait {
            #[doc = concat!("The validated ", $what, ".")]
            fn $method(self) -> Result<$validated, Error>;
        }

        impl<T: TryInto<$validated>> $trait for T
        where
            T::Error: Into<Error>,
        {
            fn $method(self) -> Result<$validated, Error> {
                self.try_into().map_err(Into::into)
            }
        }
    };
}

into_validated!(
    /// Anything that names a company: `&str`, `String`, [`uuid::Uuid`] or
    /// [`CompanyId`]. Text is validated when the call is made, and an invalid
    /// value fails it with [`Error::InvalidInput`] before anything is sent.
    IntoCompanyId, into_company_id -> CompanyId, "identifier"
);

into_validated!(
    /// Anything that names a connection: `&str`, `String`, [`uuid::Uuid`] or
    /// [`ConnectionId`]; see [`IntoCompanyId`].
    IntoConnectionId, into_connection_id -> ConnectionId, "identifier"
);

into_validated!(
    /// Anything that names a platform: `&str`, `String` or [`PlatformKey`]; see
    /// [`IntoCompanyId`].
    IntoPlatformKey, into_platform_key -> PlatformKey, "key"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn company_id_accepts_only_hyphenated_uuids() {
        let id: CompanyId = "8a210b68-6988-11ed-a1eb-0242ac120002".parse().unwrap();
        assert_eq!(id.to_string(), "8a210b68-6988-11ed-a1eb-0242ac120002");
        for bad in [
            "",
            "../../etc/passwd",
            "8a210b68-6988-11ed-a1eb-0242ac12000%2F",
            "8a210b686988-11ed-a1eb-0242ac120002",
            "{8a210b68-6988-11ed-a1eb-0242ac120002}",
            "8a210b68 6988 11ed a1eb 0242ac120002",
            "8a210b68-6988-11ed-a1eb-0242ac12000é",
        ] {
            let err = bad.parse::<CompanyId>().unwrap_err();
            assert_eq!(err.invalid_field(), Some("companyId"), "{bad}");
        }
    }

    #[test]
    fn connection_id_error_names_its_field() {
        let err = ConnectionId::try_from("nope").unwrap_err();
        assert_eq!(err.invalid_field(), Some("connectionId"));
        assert!(err.to_string().contains("connectionId"));
    }

    #[test]
    fn platform_key_is_four_lowercase_letters() {
        assert_eq!("gbol".parse::<PlatformKey>().unwrap().as_str(), "gbol");
        for bad in ["", "gbo", "gbolx", "GBOL", "gb0l", "gbé", "gb l"] {
            let err = bad.parse::<PlatformKey>().unwrap_err();
            assert_eq!(err.invalid_field(), Some("platformKey"), "{bad}");
        }
    }

    #[test]
    fn ids_round_trip_through_json() {
        let id: ConnectionId = "2e9d2c44-f675-40ba-8049-353bfcb5e171".parse().unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"2e9d2c44-f675-40ba-8049-353bfcb5e171\"");
        assert_eq!(serde_json::from_str::<ConnectionId>(&json).unwrap(), id);
        let key: PlatformKey = serde_json::from_str("\"qhyg\"").unwrap();
        assert_eq!(serde_json::to_string(&key).unwrap(), "\"qhyg\"");
        assert!(serde_json::from_str::<PlatformKey>("\"QHYG\"").is_err());
    }
}
