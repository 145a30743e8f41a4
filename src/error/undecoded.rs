//! The items of a listing that did not decode, kept with their raw JSON:
//! [`UndecodedConnection`] and [`UndecodedCompany`].

use std::fmt;

use reqwest::StatusCode;

use super::{Error, after, snippet};
use crate::raw::types::Connection;

/// A connection whose JSON does not decode; see [`Error::ConnectionDecode`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UndecodedConnection {
    /// The connection's JSON, as Codat sent it.
    pub raw: serde_json::Value,
    /// Its `id`, when that is a string.
    pub id: Option<String>,
    /// Its `status`, when that is a string: a `Deauthorized` connection
    /// that fails to decode still needs the customer.
    pub status: Option<String>,
    /// What did not decode (serde's message).
    pub message: String,
    /// The listing page it came on (`None` from `get`).
    pub page: Option<u64>,
    /// The company it came embedded in (a company's `dataConnections`), or
    /// that a sweep was looking at.
    pub company: Option<crate::CompanyId>,
    /// The status of the answer that carried it.
    pub http_status: StatusCode,
    /// How many attempts were made for the answer that carried it.
    pub attempts: u32,
}

impl UndecodedConnection {
    pub(crate) fn new(
        raw: serde_json::Value,
        error: &serde_json::Error,
        page: Option<u64>,
        http_status: StatusCode,
    ) -> Self {
        let text = |field: &str| raw.get(field)?.as_str().map(str::to_owned);
        Self {
            id: text("id"),
            status: text("status"),
            message: error.to_string(),
            page,
            company: None,
            http_status,
            attempts: 1,
            raw,
        }
    }

    /// This connection, as one of `company`'s.
    pub(crate) fn of_company(mut self, company: crate::CompanyId) -> Self {
        self.company = Some(company);
        self
    }
}

impl UndecodedConnection {
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
}

impl fmt::Display for UndecodedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self.status.as_ref().map(|s| format!(" (status {s:?})"));
        let item = Item {
            kind: "connection",
            id: self.id.as_deref(),
            about: status.as_deref(),
            page: self.page,
            raw: &self.raw,
            message: &self.message,
            attempts: self.attempts,
        };
        item.fmt(f)
    }
}

/// A company of a listing whose JSON does not decode; see
/// [`Error::CompanyDecode`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct UndecodedCompany {
    /// The company's JSON, as Codat sent it.
    pub raw: serde_json::Value,
    /// Its `id`, when that is a string.
    pub id: Option<String>,
    /// Its `name`, when that is a string.
    pub name: Option<String>,
    /// What did not decode (serde's message).
    pub message: String,
    /// The listing page it came on.
    pub page: Option<u64>,
    /// The status of the answer that carried it.
    pub http_status: StatusCode,
    /// How many attempts were made for the answer that carried it.
    pub attempts: u32,
}

impl UndecodedCompany {
    pub(crate) fn new(
        raw: serde_json::Value,
        error: &serde_json::Error,
        page: Option<u64>,
        http_status: StatusCode,
    ) -> Self {
        let text = |field: &str| raw.get(field)?.as_str().map(str::to_owned);
        Self {
            id: text("id"),
            name: text("name"),
            message: error.to_string(),
            page,
            http_status,
            attempts: 1,
            raw,
        }
    }
}

impl fmt::Display for UndecodedCompany {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = self.name.as_ref().map(|n| format!(" ({n:?})"));
        let item = Item {
            kind: "company",
            id: self.id.as_deref(),
            about: name.as_deref(),
            page: self.page,
            raw: &self.raw,
            message: &self.message,
            attempts: self.attempts,
        };
        item.fmt(f)
    }
}

/// How an undecoded item of either kind is told: what it is, where it came
/// from, what did not decode, and the start of its JSON.
struct Item<'a> {
    kind: &'static str,
    id: Option<&'a str>,
    about: Option<&'a str>,
    page: Option<u64>,
    raw: &'a serde_json::Value,
    message: &'a str,
    attempts: u32,
}

impl Item<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "could not decode {}", self.kind)?;
        if let Some(id) = self.id {
            write!(f, " {id:?}")?;
        }
        f.write_str(self.about.unwrap_or_default())?;
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
