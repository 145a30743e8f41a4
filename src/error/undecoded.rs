//! The items of a listing that did not decode, kept with their raw JSON:
//! [`UndecodedConnection`] and [`UndecodedCompany`]. The two share every
//! field but what each kind says of itself, so one macro declares both.

use std::fmt;

use reqwest::StatusCode;

use super::{Error, after, snippet};
use crate::raw::types::Connection;

/// Declares the undecoded item `$name` of kind `$kind`: the fields every
/// kind has (its JSON, `id`, what did not decode, where it came from), the
/// kind's own fields (each read from the item's JSON by its expression,
/// which may call `$text`, the reader of a string field), its constructor
/// and its `Display`, which adds what `$about` (a method of the type) says.
macro_rules! undecoded_item {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal, about: $about:ident,
        page: $page_doc:literal, read with $text:ident,
        {$($(#[$field_meta:meta])* $field:ident: $ty:ty = $read:expr,)*}
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq)]
        #[non_exhaustive]
        pub struct $name {
            #[doc = concat!("The ", $kind, "'s JSON, as Codat sent it.")]
            pub raw: serde_json::Value,
            /// Its `id`, when that is a string.
            pub id: Option<String>,
            $($(#[$field_meta])* pub $field: $ty,)*
            /// What did not decode (serde's message).
            pub message: String,
            #[doc = $page_doc]
            pub page: Option<u64>,
            /// The status of the answer that carried it.
            pub http_status: StatusCode,
            /// How many attempts were made for the answer that carried it.
            pub attempts: u32,
        }

        impl $name {
            pub(crate) fn new(
                raw: serde_json::Value,
                error: &serde_json::Error,
                page: Option<u64>,
                http_status: StatusCode,
            ) -> Self {
                let $text = |field: &str| raw.get(field)?.as_str().map(str::to_owned);
                Self {
                    id: $text("id"),
                    $($field: $read,)*
                    message: error.to_string(),
                    page,
                    http_status,
                    attempts: 1,
                    raw,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "could not decode {}", $kind)?;
                if let Some(id) = &self.id {
                    write!(f, " {id:?}")?;
                }
                f.write_str(&self.$about())?;
                if let Some(page) = self.page {
                    write!(f, " on page {page}")?;
                }
                let raw = self.raw.to_string();
                write!(
                    f,
                    ": {} (starts {:?}){}",
                    self.message,
                    snippet(raw.as_bytes()),
                    after(self.attempts)
                )
            }
        }
    };
}

undecoded_item! {
    /// A connection whose JSON does not decode; see [`Error::ConnectionDecode`].
    UndecodedConnection, "connection", about: status_said,
    page: "The listing page it came on (`None` from `get`).", read with text,
    {
        /// Its `status`, when that is a string: a `Deauthorized` connection
        /// that fails to decode still needs the customer.
        status: Option<String> = text("status"),
        /// The company it came embedded in (a company's `dataConnections`), or
        /// that a sweep was looking at.
        company: Option<crate::CompanyId> = None,
    }
}

undecoded_item! {
    /// A company of a listing whose JSON does not decode; see
    /// [`Error::CompanyDecode`].
    UndecodedCompany, "company", about: name_said,
    page: "The listing page it came on.", read with text,
    {
        /// Its `name`, when that is a string.
        name: Option<String> = text("name"),
    }
}

impl UndecodedConnection {
    /// A connection embedded in `company` (as a listing of companies holds
    /// it) whose JSON `text` does not decode (`error` says why). Its page
    /// and answer are said once the company's page is placed.
    pub(crate) fn embedded(
        text: &str,
        error: &serde_json::Error,
        company: crate::CompanyId,
    ) -> Self {
        // The text is one JSON value: it was read as such with its company.
        let raw = serde_json::from_str(text).unwrap_or(serde_json::Value::Null);
        let mut undecoded = Self::new(raw, error, None, StatusCode::OK);
        undecoded.company = Some(company);
        undecoded
    }

    /// A connection that decoded and needs the customer, but whose
    /// `linkUrl` is not a URL (`error` says why): kept as it decoded. It
    /// came on a page of a listing, whose one success answer in Codat's
    /// document is 200.
    pub(crate) fn without_link_url(connection: &Connection, error: &Error) -> Self {
        Self {
            raw: serde_json::to_value(connection).unwrap_or_default(),
            id: Some(connection.id.to_string()),
            status: Some(connection.status.to_string()),
            message: error.to_string(),
            page: None,
            company: None,
            http_status: StatusCode::OK,
            attempts: 1,
        }
    }

    /// What its `Display` says of it beyond its ID.
    fn status_said(&self) -> String {
        self.status
            .as_ref()
            .map(|status| format!(" (status {status:?})"))
            .unwrap_or_default()
    }
}

impl UndecodedCompany {
    /// What its `Display` says of it beyond its ID.
    fn name_said(&self) -> String {
        self.name
            .as_ref()
            .map(|name| format!(" ({name:?})"))
            .unwrap_or_default()
    }
}
