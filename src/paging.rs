//! One page of a listing, and the request that lists connections.

use std::collections::HashSet;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, Stream, TryStreamExt};
use reqwest::Method;

use crate::client::Request;
use crate::raw::types::{Connection, Connections as RawPage, HalLinks};
use crate::{Client, CompanyId, ConnectionId, ConnectionStatus, Error, RetryPolicy};

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
    company_id: Result<CompanyId, Rejected>,
    page: Option<u32>,
    page_size: Option<u32>,
    query: Option<String>,
    order_by: Option<String>,
    status: Option<ConnectionStatus>,
    retry: Option<RetryPolicy>,
    read_ahead: usize,
}

/// An invalid company ID, kept (the request is `Clone`, and `Error` is not)
/// to be reported when the request is sent.
#[derive(Debug, Clone)]
struct Rejected {
    field: &'static str,
    value: Option<String>,
    reason: &'static str,
}

impl From<Error> for Rejected {
    fn from(error: Error) -> Self {
        match error {
            Error::InvalidInput {
                field,
                value,
                reason,
            } => Rejected {
                field,
                value,
                reason,
            },
            // Converting into a CompanyId only ever refuses input.
            other => Rejected {
                field: CompanyId::FIELD,
                value: Some(other.to_string()),
                reason: "must be a company ID",
            },
        }
    }
}

impl From<Rejected> for Error {
    fn from(rejected: Rejected) -> Self {
        Error::InvalidInput {
            field: rejected.field,
            value: rejected.value,
            reason: rejected.reason,
        }
    }
}

impl<'a> ListConnections<'a> {
    pub(crate) fn new(
        client: &'a Client,
        company_id: Result<CompanyId, Error>,
        retry: Option<RetryPolicy>,
    ) -> Self {
        Self {
            client,
            company_id: company_id.map_err(Rejected::from),
            page: None,
            page_size: None,
            query: None,
            order_by: None,
            status: None,
            retry,
            read_ahead: 0,
        }
    }

    /// With [`pages`](Self::pages) and [`connections`](Self::connections):
    /// fetch up to `pages` pages ahead of the caller, in a background task,
    /// so that Codat's latency overlaps the caller's work. At most `pages`
    /// fetched pages wait for the caller (plus the one being fetched), so a
    /// slow caller never makes memory grow past that. 0 (the default)
    /// fetches a page only when the caller asks for it.
    pub fn read_ahead(mut self, pages: usize) -> Self {
        self.read_ahead = pages;
        self
    }

    /// Retries with `policy` instead of the client's policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
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
        let company_id = self.company_id.clone().map_err(Error::from)?;
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
        let raw: RawPage = self.client.send_json(&request, self.retry.as_ref()).await?;
        Page::try_from(raw)
    }
}

impl ListConnections<'_> {
    /// Every page from the requested one (default the first) to the last, in
    /// order, fetched lazily.
    ///
    /// It follows Codat's `_links.next` and stops on the last page. A server
    /// that misbehaves (an empty page that claims a successor, the same page
    /// twice, more pages than `totalResults` allows) ends the stream with
    /// [`Error::InconsistentPaging`] instead of looping; a connection already
    /// seen on an earlier page is not yielded again.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut pages = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .page_size(1000)
    ///     .pages();
    /// while let Some(page) = pages.try_next().await? {
    ///     println!("page {}: {} connections", page.page_number, page.results.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages(self) -> PageStream {
        let read_ahead = self.read_ahead;
        let pager = Pager::new(self);
        if read_ahead == 0 {
            return PageStream {
                inner: Box::pin(stream::unfold(pager, |mut pager| async move {
                    pager.next_page().await.map(|page| (page, pager))
                })),
                _producer: None,
            };
        }
        let (sender, mut receiver) = tokio::sync::mpsc::channel(read_ahead);
        let producer = tokio::spawn(async move {
            let mut pager = pager;
            while let Some(page) = pager.next_page().await {
                if sender.send(page).await.is_err() {
                    break; // the caller dropped the stream
                }
            }
        });
        PageStream {
            inner: Box::pin(stream::poll_fn(move |cx| receiver.poll_recv(cx))),
            _producer: Some(AbortOnDrop(producer)),
        }
    }

    /// Every connection of every page, in order; see [`pages`](Self::pages).
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
        ConnectionStream {
            inner: Box::pin(
                self.pages()
                    .map_ok(|page| stream::iter(page.results.into_iter().map(Ok)))
                    .try_flatten(),
            ),
        }
    }

    /// Every connection of every page, in one `Vec` (for small listings).
    pub async fn collect_all(self) -> Result<Vec<Connection>, Error> {
        self.connections().try_collect().await
    }

    /// The first connection, in listing order, for which `predicate` holds;
    /// stops fetching as soon as it is found.
    pub async fn find(
        self,
        mut predicate: impl FnMut(&Connection) -> bool,
    ) -> Result<Option<Connection>, Error> {
        let mut all = self.connections();
        while let Some(connection) = all.try_next().await? {
            if predicate(&connection) {
                return Ok(Some(connection));
            }
        }
        Ok(None)
    }
}

/// A stream of pages; see [`ListConnections::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct PageStream {
    inner: Pin<Box<dyn Stream<Item = Result<Page<Connection>, Error>> + Send>>,
    _producer: Option<AbortOnDrop>,
}

impl std::fmt::Debug for PageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("read_ahead", &self._producer.is_some())
            .finish_non_exhaustive()
    }
}

impl Stream for PageStream {
    type Item = Result<Page<Connection>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// A stream of connections; see [`ListConnections::connections`].
#[must_use = "streams do nothing unless polled"]
pub struct ConnectionStream {
    inner: Pin<Box<dyn Stream<Item = Result<Connection, Error>> + Send>>,
}

impl std::fmt::Debug for ConnectionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionStream").finish_non_exhaustive()
    }
}

impl Stream for ConnectionStream {
    type Item = Result<Connection, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// Stops the read-ahead task when the stream is dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Walks the pages of one listing, and notices a server that misbehaves.
struct Pager {
    client: Client,
    request: Request,
    /// Why the request cannot be sent, reported as the stream's only item.
    invalid: Option<Error>,
    retry: Option<RetryPolicy>,
    next: Option<u64>,
    fetched: u64,
    seen: HashSet<ConnectionId>,
}

impl Pager {
    fn new(list: ListConnections<'_>) -> Self {
        let (request, invalid) = match list.to_request() {
            Ok(request) => (request, None),
            Err(err) => (
                Request::new("list-connections", Method::GET, String::new()),
                Some(err),
            ),
        };
        let first = u64::from(list.page.unwrap_or(1));
        Self {
            client: list.client.clone(),
            request,
            invalid,
            retry: list.retry,
            next: Some(first),
            fetched: 0,
            seen: HashSet::new(),
        }
    }

    fn inconsistent(
        &mut self,
        page: u64,
        reason: &'static str,
    ) -> Option<Result<Page<Connection>, Error>> {
        self.next = None;
        Some(Err(Error::InconsistentPaging { page, reason }))
    }

    async fn next_page(&mut self) -> Option<Result<Page<Connection>, Error>> {
        let number = self.next?;
        if let Some(err) = self.invalid.take() {
            self.next = None;
            return Some(Err(err));
        }
        let mut request = self.request.clone();
        request.query.retain(|(name, _)| *name != "page");
        request.query.push(("page", number.to_string()));
        let raw: Result<RawPage, Error> =
            self.client.send_json(&request, self.retry.as_ref()).await;
        let mut page = match raw.and_then(Page::try_from) {
            Ok(page) => page,
            Err(err) => {
                self.next = None;
                return Some(Err(err));
            }
        };
        self.fetched += 1;
        let has_next = page.has_next_page();
        if page.results.is_empty() && has_next {
            return self.inconsistent(number, "an empty page claims that another page follows");
        }
        let size = page.page_size.max(1);
        let last_possible = page.total_results.div_ceil(size).max(1);
        if number > last_possible && !page.results.is_empty() {
            return self.inconsistent(number, "a page past totalResults holds connections");
        }
        if self.fetched > last_possible + 1 {
            return self.inconsistent(number, "more pages than totalResults allows");
        }
        let before = page.results.len();
        page.results
            .retain(|connection| self.seen.insert(connection.id));
        if before > 0 && page.results.is_empty() {
            return self.inconsistent(number, "the same page was served twice");
        }
        if page.results.len() < before {
            tracing::warn!(
                page = number,
                repeated = before - page.results.len(),
                "codat listing repeated connections from an earlier page; they were skipped"
            );
        }
        self.next = has_next.then_some(number + 1);
        Some(Ok(page))
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
