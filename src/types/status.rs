//! Forward-compatible enums for the status-like strings in Codat's responses.
//!
//! Codat adds enum values without notice, so each enum here has a catch-all
//! variant that keeps any value it does not recognise: decoding never fails
//! on a new value, and re-encoding writes it back unchanged.
//!
//! Converting from a string (`From<&str>`, `From<String>`, [`str::parse`]
//! or serde) always yields the named variant for a known
//! value; matching is case-sensitive because Codat's values are exact. Build
//! the catch-all variant by hand only for values that are not known: a
//! hand-built catch-all holding a known spelling (say
//! `ConnectionStatus::Unknown("Linked".into())`) compares unequal to the named
//! variant, although it encodes to the same string and decodes back to the
//! named variant.

/// Generates an open enum: named variants with their exact wire strings, a
/// catch-all variant (named by the caller, since some enums have a real
/// `Unknown` value) holding any other string, and the conversions, serde and
/// JSON Schema impls that treat it as that plain string.
///
/// The catch-all is declared after the braces so `macro_rules!` can tell it
/// apart from the named variants without lookahead.
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident = $wire:literal,
            )+
        }
        $(#[$cmeta:meta])*
        catch_all $other:ident;
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            $(#[$cmeta])*
            $other(String),
        }

        impl $name {
            #[doc = concat!("The values `", stringify!($name), "` has a named variant for, as Codat spells them.")]
            pub const KNOWN_VALUES: &'static [&'static str] = &[$($wire),+];

            /// The value exactly as Codat spells it.
            #[must_use]
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::$other(value) => value,
                }
            }

            #[doc = concat!("Whether this is a named variant rather than [`", stringify!($name), "::", stringify!($other), "`].")]
            #[must_use]
            pub const fn is_known(&self) -> bool {
                !matches!(self, Self::$other(_))
            }

            fn known(value: &str) -> Option<Self> {
                match value {
                    $($wire => Some(Self::$variant),)+
                    _ => None,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                // `pad` rather than `write_str` so width and alignment flags work.
                f.pad(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(s: &str) -> ::std::result::Result<Self, Self::Err> {
                Ok(Self::from(s))
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::known(value).unwrap_or_else(|| Self::$other(value.to_owned()))
            }
        }

        impl ::std::convert::From<String> for $name {
            fn from(value: String) -> Self {
                // Reuses the caller's allocation for the catch-all.
                Self::known(&value).unwrap_or(Self::$other(value))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                struct Visitor;

                impl ::serde::de::Visitor<'_> for Visitor {
                    type Value = $name;

                    fn expecting(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        f.write_str(concat!("a ", stringify!($name), " string"))
                    }

                    fn visit_str<E: ::serde::de::Error>(
                        self,
                        v: &str,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }

                    fn visit_string<E: ::serde::de::Error>(
                        self,
                        v: String,
                    ) -> ::std::result::Result<$name, E> {
                        Ok($name::from(v))
                    }
                }

                deserializer.deserialize_str(Visitor)
            }
        }

        #[cfg(feature = "schemars")]
        impl ::schemars::JsonSchema for $name {
            fn schema_name() -> String {
                stringify!($name).to_owned()
            }

            fn schema_id() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(concat!(module_path!(), "::", stringify!($name)))
            }

            fn json_schema(
                _: &mut ::schemars::r#gen::SchemaGenerator,
            ) -> ::schemars::schema::Schema {
                use ::schemars::schema::{InstanceType, Metadata, SchemaObject};

                // Deliberately no `enum` keyword: it would make validators
                // reject the values Codat adds later.
                let known = [$(concat!("`", $wire, "`")),+].join(", ");
                SchemaObject {
                    instance_type: Some(InstanceType::String.into()),
                    metadata: Some(Box::new(Metadata {
                        description: Some(format!(
                            "Known values: {known}. Codat may send other values without notice; \
                             clients must accept and keep them."
                        )),
                        examples: $name::KNOWN_VALUES
                            .iter()
                            .map(|v| ::serde_json::Value::from(*v))
                            .collect(),
                        ..Default::default()
                    })),
                    ..Default::default()
                }
                .into()
            }
        }
    };
}

open_enum! {
    /// The state of a data connection between a Codat company and a source
    /// platform.
    ///
    /// ```
    /// use codat_connections::ConnectionStatus;
    ///
    /// let status: ConnectionStatus = serde_json::from_str("\"Deauthorized\"")?;
    /// assert_eq!(status, ConnectionStatus::Deauthorized);
    /// assert!(status.needs_reauthorization());
    ///
    /// // A value Codat adds later is kept, not rejected.
    /// let status: ConnectionStatus = serde_json::from_str("\"Suspended\"")?;
    /// assert_eq!(status, ConnectionStatus::Unknown("Suspended".to_owned()));
    /// assert_eq!(serde_json::to_string(&status)?, "\"Suspended\"");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub enum ConnectionStatus {
        /// The connection has been created but the end user has not finished
        /// linking it in Codat's Link flow yet.
        PendingAuth = "PendingAuth",
        /// The end user has authorized the connection; Codat can sync data
        /// from the platform.
        Linked = "Linked",
        /// The connection was unlinked by you or by the end user. Data already
        /// synced is kept, but no new data is fetched.
        Unlinked = "Unlinked",
        /// The source platform revoked Codat's access, for example because the
        /// credentials expired or the user revoked them on the platform.
        Deauthorized = "Deauthorized",
    }
    /// A status this version of the crate does not know, kept verbatim.
    catch_all Unknown;
}

impl ConnectionStatus {
    /// Whether the end user must go through Codat's Link flow again before
    /// data can sync: true for [`Deauthorized`](Self::Deauthorized) and
    /// [`Unlinked`](Self::Unlinked).
    ///
    /// Unknown statuses return `false`, since nothing is known about them.
    ///
    /// ```
    /// use codat_connections::ConnectionStatus;
    ///
    /// assert!(ConnectionStatus::Unlinked.needs_reauthorization());
    /// assert!(!ConnectionStatus::Linked.needs_reauthorization());
    /// // Still mid-link: finishing the current flow is enough.
    /// assert!(!ConnectionStatus::PendingAuth.needs_reauthorization());
    /// ```
    #[must_use]
    pub const fn needs_reauthorization(&self) -> bool {
        matches!(self, Self::Deauthorized | Self::Unlinked)
    }
}

open_enum! {
    /// The kind of platform a data connection is to.
    ///
    /// Codat sends a real `"Unknown"` value, so that is a named variant
    /// ([`SourceType::Unknown`]) and values this crate does not recognise go
    /// to [`SourceType::Unrecognized`] instead.
    ///
    /// ```
    /// use codat_connections::SourceType;
    ///
    /// assert_eq!(SourceType::from("Unknown"), SourceType::Unknown);
    /// assert!(SourceType::Unknown.is_known());
    /// assert_eq!(SourceType::from("Payroll"), SourceType::Unrecognized("Payroll".to_owned()));
    /// ```
    pub enum SourceType {
        /// An accounting platform.
        Accounting = "Accounting",
        /// A banking platform.
        Banking = "Banking",
        /// A bank feed target.
        BankFeed = "BankFeed",
        /// A commerce platform.
        Commerce = "Commerce",
        /// An expense-management platform.
        Expense = "Expense",
        /// A platform of another kind, as classified by Codat.
        Other = "Other",
        /// Codat's own `"Unknown"` value: Codat does not know the platform's
        /// type. This is a documented value, not a decoding fallback.
        Unknown = "Unknown",
    }
    /// A source type this version of the crate does not know, kept verbatim.
    ///
    /// Named `Unrecognized` rather than `Unknown` because
    /// [`SourceType::Unknown`] is a real value that Codat sends.
    catch_all Unrecognized;
}

open_enum! {
    /// Whether an error reported on a data connection still applies.
    ///
    /// ```
    /// use codat_connections::DataConnectionErrorStatus;
    ///
    /// let status: DataConnectionErrorStatus = "Resolved".parse().unwrap_or_else(|e| match e {});
    /// assert_eq!(status, DataConnectionErrorStatus::Resolved);
    /// ```
    pub enum DataConnectionErrorStatus {
        /// The error is still affecting the connection.
        Active = "Active",
        /// The error no longer affects the connection.
        Resolved = "Resolved",
    }
    /// An error status this version of the crate does not know, kept verbatim.
    catch_all Unknown;
}

/// The JSON schema of `T`, once checked to be a string schema named `name`:
/// what the hand-written types that replace the document's schemas give.
#[cfg(all(test, feature = "schemars"))]
pub(crate) fn string_schema<T: schemars::JsonSchema>(name: &str) -> serde_json::Value {
    assert_eq!(T::schema_name(), name);
    let json = serde_json::to_value(schemars::schema_for!(T)).expect("schema serialises");
    assert_eq!(json["type"], "string", "{json}");
    json
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T>(value: &T, wire: &str)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let json = serde_json::to_string(value).expect("serialisable");
        assert_eq!(json, format!("\"{wire}\""));
        let back: T = serde_json::from_str(&json).expect("deserialisable");
        assert_eq!(&back, value);
    }

    /// Each known value writes its wire form, reads back as itself and
    /// says it is known.
    fn known_round_trip<T>(known: &[(T, &str)], is_known: fn(&T) -> bool)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        for (value, wire) in known {
            round_trip(value, wire);
            assert!(is_known(value), "{wire}");
        }
    }

    #[test]
    fn known_values_round_trip_through_json() {
        known_round_trip(
            &[
                (ConnectionStatus::PendingAuth, "PendingAuth"),
                (ConnectionStatus::Linked, "Linked"),
                (ConnectionStatus::Unlinked, "Unlinked"),
                (ConnectionStatus::Deauthorized, "Deauthorized"),
            ],
            ConnectionStatus::is_known,
        );
        known_round_trip(
            &[
                (SourceType::Accounting, "Accounting"),
                (SourceType::Banking, "Banking"),
                (SourceType::BankFeed, "BankFeed"),
                (SourceType::Commerce, "Commerce"),
                (SourceType::Expense, "Expense"),
                (SourceType::Other, "Other"),
                (SourceType::Unknown, "Unknown"),
            ],
            SourceType::is_known,
        );
        let errors = [
            (DataConnectionErrorStatus::Active, "Active"),
            (DataConnectionErrorStatus::Resolved, "Resolved"),
        ];
        known_round_trip(&errors, DataConnectionErrorStatus::is_known);
    }

    #[test]
    fn known_values_list_matches_as_str_and_parsing() {
        for &wire in ConnectionStatus::KNOWN_VALUES {
            let parsed = ConnectionStatus::from(wire);
            assert!(parsed.is_known(), "{wire}");
            assert_eq!(parsed.as_str(), wire);
        }
        assert_eq!(SourceType::KNOWN_VALUES.len(), 7);
        assert_eq!(
            DataConnectionErrorStatus::KNOWN_VALUES,
            ["Active", "Resolved"]
        );
    }

    #[test]
    fn unknown_value_is_kept_and_re_encoded_unchanged() {
        let status: ConnectionStatus =
            serde_json::from_str("\"SomethingNew\"").expect("open enum accepts any string");
        assert_eq!(status, ConnectionStatus::Unknown("SomethingNew".to_owned()));
        assert!(!status.is_known());
        round_trip(&status, "SomethingNew");

        let source: SourceType = serde_json::from_str("\"SomethingNew\"").expect("open enum");
        assert_eq!(source, SourceType::Unrecognized("SomethingNew".to_owned()));
        round_trip(&source, "SomethingNew");

        let error: DataConnectionErrorStatus =
            serde_json::from_str("\"SomethingNew\"").expect("open enum");
        assert_eq!(
            error,
            DataConnectionErrorStatus::Unknown("SomethingNew".to_owned())
        );
        round_trip(&error, "SomethingNew");
    }

    #[test]
    fn empty_string_is_kept_as_unknown() {
        assert_eq!(
            ConnectionStatus::from(""),
            ConnectionStatus::Unknown(String::new())
        );
    }

    #[test]
    fn non_string_json_is_rejected() {
        assert!(serde_json::from_str::<ConnectionStatus>("1").is_err());
        assert!(serde_json::from_str::<ConnectionStatus>("null").is_err());
    }

    #[test]
    fn source_type_unknown_is_a_real_value_distinct_from_unrecognized() {
        let unknown: SourceType = serde_json::from_str("\"Unknown\"").expect("valid");
        assert_eq!(unknown, SourceType::Unknown);
        assert!(unknown.is_known());

        let unrecognized = SourceType::from("Unrecognized");
        assert_eq!(
            unrecognized,
            SourceType::Unrecognized("Unrecognized".to_owned())
        );
        assert!(!unrecognized.is_known());
        assert_ne!(unknown, SourceType::Unrecognized("Unknown".to_owned()));
    }

    #[test]
    fn deauthorized_and_unlinked_need_reauthorization() {
        assert!(ConnectionStatus::Deauthorized.needs_reauthorization());
        assert!(ConnectionStatus::Unlinked.needs_reauthorization());
        assert!(!ConnectionStatus::Linked.needs_reauthorization());
        assert!(!ConnectionStatus::PendingAuth.needs_reauthorization());
        assert!(!ConnectionStatus::from("SomethingNew").needs_reauthorization());
    }

    #[test]
    fn known_value_spelled_as_catch_all_normalises_through_strings() {
        let hand_built = ConnectionStatus::Unknown("Linked".to_owned());
        // Constructed directly, it is not the named variant...
        assert_ne!(hand_built, ConnectionStatus::Linked);
        assert!(!hand_built.is_known());
        // ...but every conversion from a string yields the named variant.
        assert_eq!(
            ConnectionStatus::from(hand_built.as_str()),
            ConnectionStatus::Linked
        );
        assert_eq!(
            ConnectionStatus::from(hand_built.to_string()),
            ConnectionStatus::Linked
        );
        let json = serde_json::to_string(&hand_built).expect("serialisable");
        assert_eq!(json, "\"Linked\"");
        let decoded: ConnectionStatus = serde_json::from_str(&json).expect("valid");
        assert_eq!(decoded, ConnectionStatus::Linked);
    }

    #[test]
    fn parsing_is_case_sensitive() {
        for spelling in ["linked", "LINKED", "Linked ", " Linked", "pendingAuth"] {
            let parsed: ConnectionStatus = spelling.parse().unwrap_or_else(|e| match e {});
            assert_eq!(parsed, ConnectionStatus::Unknown(spelling.to_owned()));
        }
        assert_eq!(
            SourceType::from("unknown"),
            SourceType::Unrecognized("unknown".to_owned())
        );
        assert_eq!(
            SourceType::from("Bankfeed"),
            SourceType::Unrecognized("Bankfeed".to_owned())
        );
    }

    #[test]
    fn display_and_from_str_agree() {
        let status = ConnectionStatus::PendingAuth;
        assert_eq!(status.to_string(), "PendingAuth");
        assert_eq!(format!("[{status:>12}]"), "[ PendingAuth]");
        let parsed: ConnectionStatus = status.to_string().parse().unwrap_or_else(|e| match e {});
        assert_eq!(parsed, status);
        assert_eq!(
            SourceType::from(String::from("BankFeed")),
            SourceType::BankFeed
        );
    }

    #[cfg(feature = "schemars")]
    #[test]
    fn json_schema_is_an_open_string_listing_known_values() {
        let json = string_schema::<SourceType>("SourceType");
        assert!(json.get("enum").is_none(), "{json}");
        let description = json["description"].as_str().expect("has description");
        for wire in SourceType::KNOWN_VALUES {
            assert!(description.contains(&format!("`{wire}`")), "{description}");
        }
        assert!(description.contains("other values"), "{description}");
    }
}
