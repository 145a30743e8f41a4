//! Re-authorization, in one place: what a connection needs for the customer
//! to share data again ([`Reauthorization`]), the one walk over a company's
//! connections that collects every one needing the customer
//! ([`Connections::needing_reauthorization`]), the sweep over many companies
//! (`sweep`) and over the whole portfolio (`portfolio`, the companies
//! listing mapped).
//!
//! A link handed out here is Codat's `linkUrl` as Codat sent it. With
//! Codat's secure linking (one-time links) turned on for your account, such
//! a link works once and expires a day after it was made: fetch it fresh
//! ([`Connections::reauthorization`], one `get-connection`) just before you
//! send the customer to it, rather than storing the links a sweep hands out
//! in bulk. Such a link already carries a query (its one-time password):
//! add parameters of your own with `Url::query_pairs_mut`, not by appending
//! `?...`.

mod connections_text;
mod json_text;
mod page_text;
mod portfolio;
mod portfolio_page;
mod sweep;
#[cfg(test)]
mod test_json;

pub use portfolio::{
    DEFAULT_PORTFOLIO_CONCURRENT_PAGES, DEFAULT_PORTFOLIO_READ_AHEAD, PortfolioSweep,
};
pub use sweep::{CompanyReauthorizations, DEFAULT_SWEEP_CONCURRENCY, Sweep, SweptCompany};

use futures::stream::StreamExt;
use url::Url;

use crate::connections::Connections;
use crate::raw::types::Connection;
use crate::types::ids::{IntoCompanyId, IntoConnectionId};
use crate::{ConnectionStatus, Error, MAX_PAGE_SIZE, UndecodedConnection};

/// What a connection needs for the customer to share data again; see
/// [`Connections::reauthorization`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reauthorization {
    /// The connection is `Deauthorized` or `Unlinked`: send the customer to
    /// `link_url` to authorize it again.
    Required {
        /// Where the customer re-authorizes this same connection.
        link_url: Url,
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// The connection is `Linked`: nothing to do.
    AlreadyLinked {
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// The connection is `PendingAuth`: the customer has not finished
    /// linking yet; `link_url` is where they can.
    PendingAuth {
        /// Where the customer finishes linking.
        link_url: Url,
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
    /// Codat reported a status this SDK does not know yet.
    UnknownStatus {
        /// The connection as Codat returned it.
        connection: Box<Connection>,
    },
}

impl Reauthorization {
    /// The URL to send the customer to, when re-authorization is required.
    pub fn required_link_url(&self) -> Option<&Url> {
        match self {
            Reauthorization::Required { link_url, .. } => Some(link_url),
            _ => None,
        }
    }

    /// The connection this answer is about.
    pub fn connection(&self) -> &Connection {
        match self {
            Reauthorization::Required { connection, .. }
            | Reauthorization::AlreadyLinked { connection }
            | Reauthorization::PendingAuth { connection, .. }
            | Reauthorization::UnknownStatus { connection } => connection,
        }
    }
}

/// A connection the customer must authorize again, and where; see
/// [`Connections::needing_reauthorization`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct NeedsReauthorization {
    /// Where the customer re-authorizes this connection.
    pub link_url: Url,
    /// The connection (`Deauthorized` or `Unlinked`).
    pub connection: Connection,
}

impl Connections<'_> {
    /// Finds out whether the customer must re-authorize a connection, and
    /// where: gets the connection and, when it is `Deauthorized` or
    /// `Unlinked`, returns its own link URL. It never creates a company or
    /// a connection (a new company costs money at Codat).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use codat_connections::Reauthorization;
    ///
    /// match client
    ///     .connections()
    ///     .reauthorization(
    ///         "8a210b68-6988-11ed-a1eb-0242ac120002",
    ///         "2e9d2c44-f675-40ba-8049-353bfcb5e171",
    ///     )
    ///     .await?
    /// {
    ///     Reauthorization::Required { link_url, .. } => println!("send the customer to {link_url}"),
    ///     Reauthorization::AlreadyLinked { .. } => println!("nothing to do"),
    ///     other => println!("{:?}", other.connection().status),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn reauthorization(
        &self,
        company_id: impl IntoCompanyId,
        connection_id: impl IntoConnectionId,
    ) -> Result<Reauthorization, Error> {
        let connection = self.get(company_id, connection_id).await?;
        Reauthorization::of(connection)
    }

    /// Every connection of a company that needs the customer's action
    /// (`Deauthorized` or `Unlinked`), each with its link URL, in one call:
    /// it walks all pages of the listing. It never creates anything.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// for needed in client
    ///     .connections()
    ///     .needing_reauthorization("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .await?
    /// {
    ///     println!("{} is {}: {}", needed.connection.id, needed.connection.status, needed.link_url);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn needing_reauthorization(
        &self,
        company_id: impl IntoCompanyId,
    ) -> Result<Vec<NeedsReauthorization>, Error> {
        let collected = collect(self, company_id, Unusable::Fail).await?;
        Ok(collected.needing_reauthorization)
    }
}

/// What a walk over a listing does with a connection it cannot use (one
/// that does not decode, or needs the customer but has no usable link URL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The walk fails with the first one's error.
    Fail,
    /// The walk keeps it, in [`Collected::undecoded`], and goes on.
    Keep,
}

/// What one walk over a company's connections found.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    /// Every `Deauthorized` or `Unlinked` connection, with its link URL.
    pub needing_reauthorization: Vec<NeedsReauthorization>,
    /// With [`Unusable::Keep`]: the connections that could not be used.
    pub undecoded: Vec<UndecodedConnection>,
    /// How many connections decoded.
    pub connections: usize,
}

/// Walks every page of a company's connections (the largest pages Codat
/// serves) and collects those that need the customer again.
pub(crate) async fn collect(
    connections: &Connections<'_>,
    company_id: impl IntoCompanyId,
    unusable: Unusable,
) -> Result<Collected, Error> {
    let mut all = connections
        .list(company_id)
        .page_size(MAX_PAGE_SIZE)
        .connections();
    let mut found = Collected::default();
    while let Some(item) = all.next().await {
        match item {
            Ok(connection) => found.add(connection, unusable)?,
            Err(Error::ConnectionDecode(item)) if unusable == Unusable::Keep => {
                found.undecoded.push(*item);
            }
            Err(other) => return Err(other),
        }
    }
    Ok(found)
}

impl Collected {
    /// Counts `connection`, and keeps it when it needs the customer again;
    /// one that does but has no usable link URL is kept as undecoded, or
    /// fails the walk, as `unusable` says.
    pub(crate) fn add(&mut self, connection: Connection, unusable: Unusable) -> Result<(), Error> {
        self.connections += 1;
        if !connection.status.needs_reauthorization() {
            return Ok(());
        }
        match link_url(&connection) {
            Ok(link_url) => self.needing_reauthorization.push(NeedsReauthorization {
                link_url,
                connection,
            }),
            Err(error) if unusable == Unusable::Keep => self
                .undecoded
                .push(UndecodedConnection::without_link_url(&connection, &error)),
            Err(error) => return Err(error),
        }
        Ok(())
    }
}

/// `connection`'s `linkUrl`, parsed.
fn link_url(connection: &Connection) -> Result<Url, Error> {
    // Not an answer of its own: the connection may come from anywhere.
    Url::parse(&connection.link_url).map_err(|e| Error::Decode {
        status: None,
        message: format!("linkUrl is not a URL: {e}"),
        snippet: crate::error::snippet(connection.link_url.as_bytes()),
        attempts: 0,
    })
}

impl Reauthorization {
    /// What `connection` needs, from its status.
    pub fn of(connection: Connection) -> Result<Self, Error> {
        let connection = Box::new(connection);
        Ok(match &connection.status {
            ConnectionStatus::Deauthorized | ConnectionStatus::Unlinked => {
                Reauthorization::Required {
                    link_url: link_url(&connection)?,
                    connection,
                }
            }
            ConnectionStatus::Linked => Reauthorization::AlreadyLinked { connection },
            ConnectionStatus::PendingAuth => Reauthorization::PendingAuth {
                link_url: link_url(&connection)?,
                connection,
            },
            _ => Reauthorization::UnknownStatus { connection },
        })
    }
}
