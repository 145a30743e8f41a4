//! One page of a listing, and the request that lists connections.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use reqwest::Method;

use crate::client::Request;
use crate::raw::types::{Connection, Connections as RawPage, HalLinks};
use crate::{Client, CompanyId, ConnectionStatus, Error};

/// The largest page Codat serves.
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The longest query Codat accepts, in characters.
pub const MAX_QUERY_LENGTH: usize = 2048;

/// One page of results, with where it sits in the whole listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub results: Vec<T>,
    /// This page's number, from 1.
    pub page_number: u64,
    /// The page size asked for.
    pub page_size: u64,
    /// How many items the whole listing holds.
    pub total_results: u64,
    /// Codat's links to this, the next and the previous page (`href`s are
    /// relative to the base URL).
    pub links: HalLinks,
}

impl<T> Page<T> {
    /// Whether Codat says another page follows.
    pub fn has_next_page(&self) -> bool {
        self.next_href().is_some()
    }

    /// The relative link to the next page, when there is one.
    pub fn next_href(&self) -> Option<&str> {
        self.links.next.as_ref()?.href.as_deref()
    }
}

impl TryFrom<RawPage> for Page<Connection> {
    type Error = Error;

    fn try_from(raw: RawPage) -> Result<Self, Error> {
        let count = |name: &str, value: i64| {
            u64::try_from(value).map_err(|_| Error::Decode {
                status: reqwest::StatusCode::OK,
                message: format!("{name} is negative ({value})"),
                snippet: String::new(),
            })
        };
        Ok(Page {
            page_number: count("pageNumber", raw.page_number)?,
            page_size: count("pageSize", raw.page_size)?,
            total_results: count("totalResults", raw.total_results)?,
            results: raw.results,
            links: raw.links,
        })
    }
}

/// A request for one page of a company's connections; `.await` it to send.
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
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until awaited"]
pub struct ListConnections<'a> {
    client: &'a Client,
    company_id: Result<CompanyId, String>,
    page: Option<u32>,
    page_size: Option<u32>,
    query: Option<String>,
    order_by: Option<String>,
    status: Option<ConnectionStatus>,
}

impl<'a> ListConnections<'a> {
    pub(crate) fn new(client: &'a Client, company_id: Result<CompanyId, Error>) -> Self {
        Self {
            client,
            // Kept as the rejected text: the error is rebuilt when sent.
            company_id: company_id.map_err(|e| match e {
                Error::InvalidInput { value, .. } => value.unwrap_or_default(),
                other => other.to_string(),
            }),
            page: None,
            page_size: None,
            query: None,
            order_by: None,
            status: None,
        }
    }

    /// The page to fetch, from 1 (default 1).
    pub fn page(mut self, page: u32) -> Self {
        self.page = Some(page);
        self
    }

    /// How many connections a page holds, 1 to [`MAX_PAGE_SIZE`] (Codat's default is 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// A filter in [Codat's query language](https://docs.codat.io/using-the-api/querying),
    /// such as `sourceType=Banking`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.query = Some(query.into());
        self
    }

    /// The field to order by, such as `-created` for newest first.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.order_by = Some(order_by.into());
        self
    }

    /// Only connections with this status (added to any [`query`](Self::query) with `&&`).
    pub fn status(mut self, status: ConnectionStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The query parameter actually sent: the query and the status filter combined.
    fn combined_query(&self) -> Option<String> {
        let status = self.status.as_ref().map(|s| format!("status={s}"));
        match (self.query.as_deref(), status) {
            (None, status) => status,
            (Some(query), None) => Some(query.to_owned()),
            // Braces group in Codat's query language, so an `||` in the
            // caller's query cannot swallow the status filter.
            (Some(query), Some(status)) if query.contains("||") => {
                Some(format!("{{{query}}}&&{status}"))
            }
            (Some(query), Some(status)) => Some(format!("{query}&&{status}")),
        }
    }

    /// Validates everything and describes the request, or says what is wrong.
    pub(crate) fn to_request(&self) -> Result<Request, Error> {
        let company_id = self.company_id.as_ref().map_err(|value| {
            Error::invalid_input(
                CompanyId::FIELD,
                value,
                "must be a UUID such as 8a210b68-6988-11ed-a1eb-0242ac120002",
            )
        })?;
        let mut request = Request::new(
            "list-connections",
            Method::GET,
            format!("/companies/{company_id}/connections"),
        );
        if let Some(page) = self.page {
            if page == 0 {
                return Err(Error::invalid_input("page", "0", "must be 1 or more"));
            }
            request.query.push(("page", page.to_string()));
        }
        if let Some(size) = self.page_size {
            if !(1..=MAX_PAGE_SIZE).contains(&size) {
                return Err(Error::invalid_input(
                    "pageSize",
                    &size.to_string(),
                    "must be from 1 to 5000",
                ));
            }
            request.query.push(("pageSize", size.to_string()));
        }
        if let Some(query) = self.combined_query() {
            if query.chars().count() > MAX_QUERY_LENGTH {
                return Err(Error::invalid_input(
                    "query",
                    &query,
                    "must be at most 2048 characters",
                ));
            }
            if query.is_empty() {
                return Err(Error::invalid_input(
                    "query",
                    "",
                    "must not be empty when given",
                ));
            }
            request.query.push(("query", query));
        }
        if let Some(order_by) = &self.order_by {
            if order_by.is_empty() {
                return Err(Error::invalid_input(
                    "orderBy",
                    "",
                    "must not be empty when given",
                ));
            }
            request.query.push(("orderBy", order_by.clone()));
        }
        Ok(request)
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Page<Connection>, Error> {
        let request = self.to_request()?;
        let raw: RawPage = self.client.send_json(&request).await?;
        Page::try_from(raw)
    }
}

impl<'a> IntoFuture for ListConnections<'a> {
    type Output = Result<Page<Connection>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(client: &Client) -> ListConnections<'_> {
        client
            .connections()
            .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    }

    fn query_of(request: ListConnections<'_>) -> Vec<(&'static str, String)> {
        request.to_request().unwrap().query
    }

    #[test]
    fn status_filter_is_written_into_the_query() {
        let client = Client::new("k").unwrap();
        assert_eq!(
            query_of(list(&client).status(ConnectionStatus::Linked)),
            [("query", "status=Linked".to_owned())]
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("sourceType=Banking")
                    .status(ConnectionStatus::Deauthorized)
            ),
            [(
                "query",
                "sourceType=Banking&&status=Deauthorized".to_owned()
            )]
        );
        assert_eq!(
            query_of(
                list(&client)
                    .query("a=1||b=2")
                    .status(ConnectionStatus::Linked)
            ),
            [("query", "{a=1||b=2}&&status=Linked".to_owned())]
        );
    }

    #[test]
    fn page_size_must_be_within_codats_limits() {
        let client = Client::new("k").unwrap();
        for bad in [0, 5001, u32::MAX] {
            let err = list(&client).page_size(bad).to_request().unwrap_err();
            assert_eq!(err.invalid_field(), Some("pageSize"), "{bad}");
        }
        for good in [1, 100, 5000] {
            assert!(list(&client).page_size(good).to_request().is_ok());
        }
        assert_eq!(
            list(&client)
                .page(0)
                .to_request()
                .unwrap_err()
                .invalid_field(),
            Some("page")
        );
    }

    #[test]
    fn query_longer_than_2048_characters_is_refused() {
        let client = Client::new("k").unwrap();
        assert!(list(&client).query("é".repeat(2048)).to_request().is_ok());
        let err = list(&client)
            .query("a".repeat(2049))
            .to_request()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("query"));
    }

    #[test]
    fn invalid_company_id_is_reported_when_sent() {
        let client = Client::new("k").unwrap();
        let err = client.connections().list("../x").to_request().unwrap_err();
        assert_eq!(err.invalid_field(), Some("companyId"));
    }
}
