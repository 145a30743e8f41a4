//! The connections listing: what of [`List`] is its own (the company, the
//! `status` filter folded into Codat's `query`, the generated
//! `list-connections` call, a page's decoding), and the names users know it
//! by.

use std::future::Future;

use crate::connections::decode;
use crate::http::Operation;
use crate::http::intercept::Success;
use crate::listing::area::Area;
use crate::listing::parameters::{ListQuery, OwnParameters, with_paging};
use crate::listing::{ItemStream, List, ListItem};
use crate::raw;
use crate::raw::types::{Connection, Connections as ConnectionsPage, ErrorMessage};
use crate::{CompanyId, ConnectionId, ConnectionStatus, Error, Page, UndecodedConnection};

/// A request for one page of a company's connections; `.await` it to send.
/// Everything but [`status`](List::status) and
/// [`connections`](List::connections) is [`List`]'s.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// use codat_connections::ConnectionStatus;
///
/// let linked = client
///     .connections()
///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
///     .status(ConnectionStatus::Linked)
///     .page_size(500)
///     .await?;
/// # Ok(()) }
/// ```
pub type ListConnections<'a> = List<'a, ConnectionsListing>;

/// A stream of connections; see [`List::connections`].
pub type ConnectionStream = ItemStream<Connection>;

/// The connections listing's own settings: the company and the status
/// filter ([`ListConnections`] is a [`List`] of it).
#[derive(Debug, Clone)]
pub struct ConnectionsListing {
    company_id: Result<CompanyId, InvalidCompanyId>,
    status: Option<ConnectionStatus>,
}

/// A company ID that was refused, kept (the settings are `Clone`, and
/// `Error` is not) to be reported when the listing is sent.
#[derive(Debug, Clone)]
struct InvalidCompanyId {
    field: &'static str,
    value: Option<String>,
    reason: &'static str,
}

impl ConnectionsListing {
    pub(crate) fn new(company_id: Result<CompanyId, Error>) -> Self {
        let company_id = company_id.map_err(|error| match error {
            Error::InvalidInput {
                field,
                value,
                reason,
            } => InvalidCompanyId {
                field,
                value,
                reason,
            },
            // Converting into a CompanyId only ever refuses input; anything
            // else is still reported as this field's.
            other => InvalidCompanyId {
                field: CompanyId::FIELD,
                value: Some(other.to_string()),
                reason: "must be a company ID",
            },
        });
        Self {
            company_id,
            status: None,
        }
    }
}

impl OwnParameters for CompanyId {}

// The area's part is sealed: its signatures name the crate's own types.
#[allow(private_interfaces)]
impl Area for ConnectionsListing {
    type Item = Connection;
    type Own = CompanyId;
    const OPERATION: Operation = Operation::idempotent("list-connections");

    fn check(&self, query: Option<&str>) -> Result<(CompanyId, Option<String>), Error> {
        let company_id = self
            .company_id
            .clone()
            .map_err(|invalid| Error::InvalidInput {
                field: invalid.field,
                value: invalid.value,
                reason: invalid.reason,
            })?;
        let status = self.status.as_ref().map(|s| format!("status={s}"));
        let query = match (query, status) {
            (None, status) => status,
            (Some(query), None) => Some(query.to_owned()),
            // Braces group in Codat's query language, so an `||` in the
            // caller's query cannot swallow the status filter.
            (Some(query), Some(status)) if query.contains("||") => {
                Some(format!("{{{query}}}&&{status}"))
            }
            (Some(query), Some(status)) => Some(format!("{query}&&{status}")),
        };
        Ok((company_id, query))
    }

    fn send(
        query: &ListQuery<CompanyId>,
        raw: &raw::Client,
    ) -> impl Future<Output = Result<(), raw::Error<ErrorMessage>>> + Send {
        let list = with_paging!(raw.list_connections().company_id(query.own), &query.paging);
        async move { list.send().await.map(drop) }
    }

    fn decode(answer: Success) -> Result<Page<Connection>, Error> {
        decode::page(answer)
    }
}

impl<'a> List<'a, ConnectionsListing> {
    /// Only connections with this status (added to any
    /// [`query`](Self::query) with `&&`).
    pub fn status(mut self, status: ConnectionStatus) -> Self {
        self.own.status = Some(status);
        self
    }

    /// Every connection of every page, in order: [`items`](Self::items).
    ///
    /// A connection that does not decode costs only itself: it comes as an
    /// `Err(`[`Error::ConnectionDecode`]`)`, with its raw JSON, after the
    /// page's good connections, and the stream goes on after it.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut all = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .read_ahead(2)
    ///     .connections();
    /// while let Some(connection) = all.try_next().await? {
    ///     println!("{} {}", connection.id, connection.status);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn connections(self) -> ConnectionStream {
        self.items()
    }
}

impl From<ConnectionsPage> for Page<Connection> {
    fn from(raw: ConnectionsPage) -> Self {
        Page {
            page_number: raw.page_number,
            page_size: raw.page_size,
            total_results: raw.total_results,
            results: raw.results,
            links: raw.links,
            undecoded: Vec::new(),
        }
    }
}

impl ListItem for Connection {
    type Key = ConnectionId;
    type Undecoded = UndecodedConnection;

    fn key(&self) -> ConnectionId {
        self.id
    }

    fn undecoded_error(undecoded: UndecodedConnection) -> Error {
        Error::ConnectionDecode(Box::new(undecoded))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Client;

    fn list(client: &Client) -> ListConnections<'_> {
        client
            .connections()
            .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    }

    fn query_of(request: ListConnections<'_>) -> Option<String> {
        request.check().unwrap().paging.query
    }

    #[test]
    fn status_filter_is_written_into_the_query() {
        let client = Client::new("k").unwrap();
        assert_eq!(
            query_of(list(&client).status(ConnectionStatus::Linked)).as_deref(),
            Some("status=Linked")
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("sourceType=Banking")
                    .status(ConnectionStatus::Deauthorized)
            )
            .as_deref(),
            Some("sourceType=Banking&&status=Deauthorized")
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("a=1||b=2")
                    .status(ConnectionStatus::Linked)
            )
            .as_deref(),
            Some("{a=1||b=2}&&status=Linked")
        );
    }

    #[test]
    fn the_listing_checks_codats_list_parameters() {
        // The checks themselves are `listing::parameters`'; the listing makes them.
        let client = Client::new("k").unwrap();
        let err = list(&client).page_size(5001).check().unwrap_err();
        assert_eq!(err.invalid_field(), Some("pageSize"));
        let err = list(&client).query("a".repeat(2049)).check().unwrap_err();
        assert_eq!(err.invalid_field(), Some("query"));
    }

    #[test]
    fn invalid_company_id_is_reported_when_sent() {
        let client = Client::new("k").unwrap();
        let err = client.connections().list("../x").check().unwrap_err();
        assert_eq!(err.invalid_field(), Some("companyId"));
    }
}
