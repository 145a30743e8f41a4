//! [`ListConnections`], a request for a company's connections, and the
//! streams it gives: its pages, or its connections one by one.

use std::future::{Future, IntoFuture};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{Stream, TryStreamExt};

use crate::connections::query::{ListParameters, ListQuery};
use crate::connections::salvage;
use crate::http::options::CallOptions;
use crate::http::{self, Operation};
use crate::paging::{self, FetchPage, Items, Keyed, Pages};
use crate::raw::types::{Connection, Connections as ConnectionsPage};
use crate::{
    Client, CompanyId, ConnectionId, ConnectionStatus, Error, Page, Response, RetryPolicy,
};

const LIST: Operation = Operation::idempotent("list-connections");

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
    parameters: ListParameters,
    retry: Option<RetryPolicy>,
    options: CallOptions,
    read_ahead: usize,
    concurrent_pages: usize,
}

impl<'a> ListConnections<'a> {
    pub(crate) fn new(
        client: &'a Client,
        company_id: Result<CompanyId, Error>,
        retry: Option<RetryPolicy>,
    ) -> Self {
        Self {
            client,
            parameters: ListParameters::new(company_id),
            retry,
            options: CallOptions::default(),
            read_ahead: 0,
            concurrent_pages: 1,
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

    /// With [`pages`](Self::pages) and [`connections`](Self::connections):
    /// once the first page gives `totalResults` and the page size, fetch the
    /// remaining pages up to `pages` at a time (1, the default: one after
    /// another). Pages are still yielded in order, at most `pages` are held
    /// at once, and every check of the sequential listing applies (a
    /// connection already seen is not yielded again); as soon as a page
    /// disagrees with what the first announced (other totals or size, a
    /// short page before the last, a link past the last), the listing goes
    /// back to following `_links.next` one page at a time from the last
    /// page that agreed. Combine with [`read_ahead`](Self::read_ahead) to
    /// fetch while the caller works.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// let all = client
    ///     .connections()
    ///     .list("8a210b68-6988-11ed-a1eb-0242ac120002")
    ///     .page_size(100)
    ///     .concurrent_pages(4)
    ///     .collect_all()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn concurrent_pages(mut self, pages: usize) -> Self {
        self.concurrent_pages = pages.max(1);
        self
    }

    /// Retries with `policy` instead of the client's policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }

    /// The longest each attempt of each page request may take, instead of
    /// the client's [`timeout`](crate::ClientBuilder::timeout); clamped to
    /// [`ClientBuilder::MAX_TIMEOUT`](crate::ClientBuilder::MAX_TIMEOUT)
    /// (one day).
    pub fn timeout(mut self, timeout: std::time::Duration) -> Self {
        self.options.timeout = Some(timeout.min(crate::ClientBuilder::MAX_TIMEOUT));
        self
    }

    /// Sends the header `name: value` with each page request; refused as
    /// by [`Call::header`](crate::Call::header).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.options.add_header(name, value);
        self
    }

    /// The page to fetch, from 1 (default 1).
    pub fn page(mut self, page: u32) -> Self {
        self.parameters.list.page = Some(page);
        self
    }

    /// How many connections a page holds, 1 to [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE) (Codat's default is 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.parameters.list.page_size = Some(page_size);
        self
    }

    /// A filter in [Codat's query language](https://docs.codat.io/using-the-api/querying),
    /// such as `sourceType=Banking`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.parameters.list.query = Some(query.into());
        self
    }

    /// The field to order by, such as `-created` for newest first.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.parameters.list.order_by = Some(order_by.into());
        self
    }

    /// Only connections with this status (added to any [`query`](Self::query) with `&&`).
    pub fn status(mut self, status: ConnectionStatus) -> Self {
        self.parameters.status = Some(status);
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Page<Connection>, Error> {
        Ok(self.send_with_response().await?.value)
    }

    /// Sends the request: the page, with the answer's status and headers
    /// and how many attempts it took.
    pub async fn send_with_response(self) -> Result<Response<Page<Connection>>, Error> {
        let query = self.parameters.check()?;
        let policy = self.client.policy(self.retry.as_ref());
        list_page(self.client, &query, policy, self.options).await
    }
}

/// Fetches one page of a company's connections (`list-connections`).
async fn list_page(
    client: &Client,
    query: &ListQuery,
    policy: &RetryPolicy,
    options: CallOptions,
) -> Result<Response<Page<Connection>>, Error> {
    let send = || query.send(client.raw());
    http::call(policy, LIST, options, send, salvage::page).await
}

impl ListConnections<'_> {
    /// Every page from the requested one (default the first) to the last, in
    /// order, fetched lazily.
    ///
    /// It follows Codat's `_links.next` and stops on the last page. A server
    /// that misbehaves (an empty page that claims a successor, the same page
    /// twice, a link back to a page already listed, a page past the last
    /// that `totalResults` allows still claiming a successor) ends the
    /// stream with [`Error::InconsistentPaging`] instead of looping, after
    /// every page that held anything new; a connection already seen on an
    /// earlier page is not yielded again. Paging numbers that make no sense
    /// (negative, a page size of 0 or over [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE)) cost only the
    /// checks and concurrent pages that need them: the listing goes on by
    /// `_links.next`.
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
        // A stream asks for its first page by number too.
        let first = self.parameters.check().map(|mut first| {
            first.paging.page = first.paging.page.or(NonZeroU32::new(1));
            first
        });
        let client = self.client.clone();
        let policy = client.policy(self.retry.as_ref()).clone();
        let options = self.options;
        let fetch: FetchPage<ListQuery, Connection> = Arc::new(move |query| {
            let (client, policy, options) = (client.clone(), policy.clone(), options.clone());
            Box::pin(async move {
                let page = list_page(&client, &query, &policy, options).await?;
                Ok(page.value)
            })
        });
        let pages = paging::pages(first, fetch, self.read_ahead, self.concurrent_pages);
        PageStream(pages)
    }

    /// Every connection of every page, in order; see [`pages`](Self::pages).
    ///
    /// A connection that does not decode (a field in a shape Codat's
    /// document does not allow) costs only itself: the page is then decoded
    /// item by item, every connection that decodes is yielded, and each one
    /// that does not comes as an `Err(`[`Error::ConnectionDecode`]`)`, with its
    /// raw JSON, after the page's good connections; the stream goes on after
    /// it. Consumers that stop at the first error (`try_next()?`,
    /// [`collect_all`](Self::collect_all)) stop there too; to keep going,
    /// match on the item.
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
        ConnectionStream(self.pages().0.items())
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

impl<'a> IntoFuture for ListConnections<'a> {
    type Output = Result<Page<Connection>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
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

impl Keyed for Connection {
    type Key = ConnectionId;

    fn key(&self) -> ConnectionId {
        self.id
    }
}

/// A stream of pages; see [`ListConnections::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct PageStream(Pages<Connection>);

impl std::fmt::Debug for PageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("read_ahead", &self.0.reads_ahead())
            .finish_non_exhaustive()
    }
}

impl Stream for PageStream {
    type Item = Result<Page<Connection>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

/// A stream of connections; see [`ListConnections::connections`].
///
/// It hands out each page's connections as they are, one by one, then the
/// page's undecoded items as errors, then asks for the next page.
#[must_use = "streams do nothing unless polled"]
pub struct ConnectionStream(Items<Connection>);

impl std::fmt::Debug for ConnectionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionStream").finish_non_exhaustive()
    }
}

impl Stream for ConnectionStream {
    type Item = Result<Connection, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
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

    fn query_of(request: ListConnections<'_>) -> Option<String> {
        request.parameters.check().unwrap().paging.query
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
        // The checks themselves are `list_query`'s; the listing makes them.
        let client = Client::new("k").unwrap();
        let err = list(&client)
            .page_size(5001)
            .parameters
            .check()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("pageSize"));
        let err = list(&client)
            .query("a".repeat(2049))
            .parameters
            .check()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("query"));
    }

    #[test]
    fn invalid_company_id_is_reported_when_sent() {
        let client = Client::new("k").unwrap();
        let err = client
            .connections()
            .list("../x")
            .parameters
            .check()
            .unwrap_err();
        assert_eq!(err.invalid_field(), Some("companyId"));
    }
}
