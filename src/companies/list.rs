//! [`ListCompanies`], a request for the companies of the account (each with
//! its connections), and the streams it gives: its pages, or its companies
//! one by one.

use std::future::{Future, IntoFuture};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{Stream, TryStreamExt};

use crate::companies::query::{CompaniesParameters, CompaniesQuery};
use crate::companies::{salvage, Company};
use crate::http::options::CallOptions;
use crate::http::{self, Operation};
use crate::paging::{self, FetchPage, Items, Pages};
use crate::{Client, Error, Page, Response, RetryPolicy};

const LIST: Operation = Operation::idempotent("list-companies");

/// A request for one page of companies; `.await` it to send.
///
/// ```no_run
/// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
/// let page = client
///     .companies()
///     .list()
///     .tags("region=uk")
///     .page_size(5000)
///     .await?;
/// for company in &page.results {
///     println!("{} has {} connections", company.name, company.data_connections.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a list request does nothing until awaited"]
pub struct ListCompanies<'a> {
    client: &'a Client,
    parameters: CompaniesParameters,
    retry: Option<RetryPolicy>,
    options: CallOptions,
    read_ahead: usize,
    concurrent_pages: usize,
}

impl<'a> ListCompanies<'a> {
    pub(crate) fn new(client: &'a Client, retry: Option<RetryPolicy>) -> Self {
        Self {
            client,
            parameters: CompaniesParameters::default(),
            retry,
            options: CallOptions::default(),
            read_ahead: 0,
            concurrent_pages: 1,
        }
    }

    /// With [`pages`](Self::pages) and [`companies`](Self::companies): fetch
    /// up to `pages` pages ahead of the caller, as
    /// [`ListConnections::read_ahead`](crate::ListConnections::read_ahead).
    pub fn read_ahead(mut self, pages: usize) -> Self {
        self.read_ahead = pages;
        self
    }

    /// With [`pages`](Self::pages) and [`companies`](Self::companies): fetch
    /// up to `pages` pages at once once the first tells how many there are,
    /// as [`ListConnections::concurrent_pages`](crate::ListConnections::concurrent_pages).
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

    /// How many companies a page holds, 1 to [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE)
    /// (Codat's default is 100; a sweep of every company wants 5,000).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.parameters.list.page_size = Some(page_size);
        self
    }

    /// A filter in [Codat's query language](https://docs.codat.io/using-the-api/querying),
    /// such as `name~Tech`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.parameters.list.query = Some(query.into());
        self
    }

    /// Only companies whose tags match, such as `region=uk && team!=finance`:
    /// Codat reads `=`, `!=` and `~` (contains) on tags.
    pub fn tags(mut self, tags: impl Into<String>) -> Self {
        self.parameters.tags = Some(tags.into());
        self
    }

    /// The field to order by, such as `-created` for newest first.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.parameters.list.order_by = Some(order_by.into());
        self
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Page<Company>, Error> {
        Ok(self.send_with_response().await?.value)
    }

    /// Sends the request: the page, with the answer's status and headers
    /// and how many attempts it took.
    pub async fn send_with_response(self) -> Result<Response<Page<Company>>, Error> {
        let query = self.parameters.check()?;
        let policy = self.client.policy(self.retry.as_ref());
        list_page(self.client, &query, policy, self.options).await
    }

    /// Every page from the requested one (default the first) to the last, in
    /// order, fetched lazily, with the checks of
    /// [`ListConnections::pages`](crate::ListConnections::pages) (a company
    /// already listed is not yielded again).
    pub fn pages(self) -> CompanyPageStream {
        let first = self.parameters.check().map(|mut first| {
            first.paging.page = first.paging.page.or(NonZeroU32::new(1));
            first
        });
        let client = self.client.clone();
        let policy = client.policy(self.retry.as_ref()).clone();
        let options = self.options;
        let fetch: FetchPage<CompaniesQuery, Company> = Arc::new(move |query| {
            let (client, policy, options) = (client.clone(), policy.clone(), options.clone());
            Box::pin(async move {
                let page = list_page(&client, &query, &policy, options).await?;
                Ok(page.value)
            })
        });
        let pages = paging::pages(first, fetch, self.read_ahead, self.concurrent_pages);
        CompanyPageStream(pages)
    }

    /// Every company of every page, in order; see [`pages`](Self::pages).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut all = client.companies().list().page_size(5000).read_ahead(1).companies();
    /// while let Some(company) = all.try_next().await? {
    ///     println!("{} {}", company.id, company.name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn companies(self) -> CompanyStream {
        CompanyStream(self.pages().0.items())
    }

    /// Every company of every page, in one `Vec` (for small accounts).
    pub async fn collect_all(self) -> Result<Vec<Company>, Error> {
        self.companies().try_collect().await
    }
}

/// Fetches one page of companies (`list-companies`).
async fn list_page(
    client: &Client,
    query: &CompaniesQuery,
    policy: &RetryPolicy,
    options: CallOptions,
) -> Result<Response<Page<Company>>, Error> {
    let send = || query.send(client.raw());
    http::call(policy, LIST, options, send, salvage::page).await
}

impl<'a> IntoFuture for ListCompanies<'a> {
    type Output = Result<Page<Company>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A stream of pages of companies; see [`ListCompanies::pages`].
#[must_use = "streams do nothing unless polled"]
pub struct CompanyPageStream(pub(crate) Pages<Company>);

impl std::fmt::Debug for CompanyPageStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyPageStream")
            .field("read_ahead", &self.0.reads_ahead())
            .finish_non_exhaustive()
    }
}

impl Stream for CompanyPageStream {
    type Item = Result<Page<Company>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

/// A stream of companies; see [`ListCompanies::companies`].
#[must_use = "streams do nothing unless polled"]
pub struct CompanyStream(Items<Company>);

impl std::fmt::Debug for CompanyStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompanyStream").finish_non_exhaustive()
    }
}

impl Stream for CompanyStream {
    type Item = Result<Company, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}
