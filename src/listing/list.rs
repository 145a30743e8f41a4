//! [`List`], the one request for a page of any of Codat's listings, and the
//! streams it gives: its pages ([`PageStream`]) or its items one by one
//! ([`ItemStream`]). An area ([`Listing`]) says only what is its own: its
//! operation, its own parameters, the generated call and how a page of it
//! decodes.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{Stream, TryStreamExt};

use super::parameters::{ListParameters, ListQuery};
use super::{Decoding, FetchPage, Items, ListItem, Pages};
use crate::http::options::CallOptions;
use crate::raw::types::Connection;
use crate::{Client, Error, Page, Response, RetryPolicy};

pub(crate) mod area {
    //! What an area tells the listing; sealed: the areas are this crate's.

    use std::fmt;
    use std::future::Future;

    use crate::http::Operation;
    use crate::http::intercept::Success;
    use crate::listing::ListItem;
    use crate::listing::parameters::{ListQuery, OwnParameters};
    use crate::raw::{self, types::ErrorMessage};
    use crate::{Error, Page};

    /// One of Codat's listings, by what is its own. Sealed: its signatures
    /// name the crate's own types.
    #[allow(private_interfaces, private_bounds)]
    pub trait Area: Clone + fmt::Debug + Send + Sync + 'static {
        /// What a page holds.
        type Item: ListItem;
        /// The area's own parameters, once checked, sent with every page.
        type Own: OwnParameters;
        /// Codat's operation.
        const OPERATION: Operation;
        /// Checks the area's own settings; `query` is the caller's filter,
        /// which the area may add to (the query Codat is sent).
        fn check(&self, query: Option<&str>) -> Result<(Self::Own, Option<String>), Error>;
        /// The generated call for one page.
        fn send(
            query: &ListQuery<Self::Own>,
            raw: &raw::Client,
        ) -> impl Future<Output = Result<(), raw::Error<ErrorMessage>>> + Send;
        /// A page of the area, decoded from a success answer.
        fn decode(answer: Success) -> Result<Page<Self::Item>, Error>;
    }
}

/// One of Codat's listings (connections, companies): what [`List`] lists.
/// Implemented by this crate's areas only.
pub trait Listing: area::Area {}

impl<A: area::Area> Listing for A {}

/// A request for one page of a listing; `.await` it to send, or walk every
/// page with [`pages`](Self::pages) and every item with
/// [`items`](Self::items). [`ListConnections`](crate::ListConnections) and
/// [`ListCompanies`](crate::ListCompanies) are its two kinds.
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
pub struct List<'a, L: Listing> {
    client: &'a Client,
    pub(crate) own: L,
    pub(crate) list: ListParameters,
    retry: Option<RetryPolicy>,
    options: CallOptions,
    read_ahead: usize,
    concurrent_pages: usize,
}

impl<'a, L: Listing> List<'a, L> {
    pub(crate) fn new(client: &'a Client, own: L, retry: Option<RetryPolicy>) -> Self {
        Self {
            client,
            own,
            list: ListParameters::default(),
            retry,
            options: CallOptions::default(),
            read_ahead: 0,
            concurrent_pages: 1,
        }
    }

    /// With [`pages`](Self::pages) and [`items`](Self::items): fetch up to
    /// `pages` pages ahead of the caller, in a background task, so that
    /// Codat's latency overlaps the caller's work. At most `pages` fetched
    /// pages wait for the caller (plus the one being fetched), so a slow
    /// caller never makes memory grow past that. 0 (the default) fetches a
    /// page only when the caller asks for it.
    pub fn read_ahead(mut self, pages: usize) -> Self {
        self.read_ahead = pages;
        self
    }

    /// With [`pages`](Self::pages) and [`items`](Self::items): once the
    /// first page gives `totalResults` and the page size, fetch the
    /// remaining pages up to `pages` at a time (1, the default: one after
    /// another). A page's answer frees its place for the next request as
    /// soon as it has arrived, and is decoded meanwhile: at most `pages`
    /// requests are on their way at once, and at most `pages` pages are
    /// being decoded. Pages are still yielded in order, and every check of
    /// the sequential listing applies (an item
    /// already seen is not yielded again); as soon as a page disagrees with
    /// what the first announced (other totals or size, a short page before
    /// the last, a link past the last), the listing goes back to following
    /// `_links.next` one page at a time from the last page that agreed.
    /// Combine with [`read_ahead`](Self::read_ahead) to fetch while the
    /// caller works.
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
        self.options.set_timeout(timeout);
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
        self.list.page = Some(page);
        self
    }

    /// How many items a page holds, 1 to
    /// [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE) (Codat's default is 100).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.list.page_size = Some(page_size);
        self
    }

    /// A filter in [Codat's query language](https://docs.codat.io/using-the-api/querying),
    /// such as `sourceType=Banking`.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.list.query = Some(query.into());
        self
    }

    /// The field to order by, such as `-created` for newest first.
    pub fn order_by(mut self, order_by: impl Into<String>) -> Self {
        self.list.order_by = Some(order_by.into());
        self
    }

    /// The checked request of the page asked for: Codat's list parameters
    /// and the area's own.
    pub(crate) fn check(&self) -> Result<ListQuery<L::Own>, Error> {
        let (own, query) = self.own.check(self.list.query.as_deref())?;
        Ok(ListQuery {
            paging: self.list.check(query)?,
            own,
        })
    }

    /// Sends the request.
    pub async fn send(self) -> Result<Page<L::Item>, Error> {
        Ok(self.send_with_response().await?.value)
    }

    /// Sends the request: the page, with the answer's status and headers
    /// and how many attempts it took.
    pub async fn send_with_response(self) -> Result<Response<Page<L::Item>>, Error> {
        let query = self.check()?;
        let policy = self.client.policy(self.retry.as_ref());
        list_page::<L>(self.client, &query, policy, self.options).await
    }

    /// Every page from the requested one (default the first) to the last, in
    /// order, fetched lazily.
    ///
    /// It follows Codat's `_links.next` and stops on the last page. A server
    /// that misbehaves (an empty page that claims a successor, the same page
    /// twice, a link back to a page already listed, a page past the last
    /// that `totalResults` allows still claiming a successor) ends the
    /// stream with [`Error::InconsistentPaging`] instead of looping, after
    /// every page that held anything new; an item already seen on an
    /// earlier page is not yielded again. Paging numbers that make no sense
    /// (negative, a page size of 0 or over
    /// [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE)) cost only the checks and
    /// concurrent pages that need them: the listing goes on by
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
    pub fn pages(self) -> PageStream<L::Item> {
        // A stream asks for its first page by number too.
        let first = self.check().map(|mut first| {
            first.paging.page = first.paging.page.or(NonZeroU32::new(1));
            first
        });
        let client = self.client.clone();
        let policy = client.policy(self.retry.as_ref()).clone();
        let options = self.options;
        let fetch: FetchPage<ListQuery<L::Own>, L::Item> = Arc::new(move |query| {
            let (client, policy, options) = (client.clone(), policy.clone(), options.clone());
            Box::pin(async move {
                let decoding = list_page_decoding::<L>(&client, &query, &policy, options).await?;
                let page: Decoding<L::Item> = Box::pin(async move { Ok(decoding.await?.value) });
                Ok(page)
            })
        });
        let pages = super::pages(first, fetch, self.read_ahead, self.concurrent_pages);
        PageStream(pages)
    }

    /// Every item of every page, in order; see [`pages`](Self::pages).
    ///
    /// An item that does not decode (a field in a shape Codat's document
    /// does not allow) costs only itself: the page is then decoded item by
    /// item, every item that decodes is yielded, and each one that does not
    /// comes as an `Err` with its raw JSON (for a connection
    /// [`Error::ConnectionDecode`]), after the page's good items; the
    /// stream goes on after it. Consumers that stop at the first error
    /// (`try_next()?`, [`collect_all`](Self::collect_all)) stop there too;
    /// to keep going, match on the item.
    pub fn items(self) -> ItemStream<L::Item> {
        ItemStream(self.pages().0.items())
    }

    /// Every item of every page, in one `Vec` (for small listings).
    pub async fn collect_all(self) -> Result<Vec<L::Item>, Error> {
        self.items().try_collect().await
    }

    /// The first item, in listing order, for which `predicate` holds; stops
    /// fetching as soon as it is found.
    pub async fn find(
        self,
        mut predicate: impl FnMut(&L::Item) -> bool,
    ) -> Result<Option<L::Item>, Error> {
        let mut all = self.items();
        while let Some(item) = all.try_next().await? {
            if predicate(&item) {
                return Ok(Some(item));
            }
        }
        Ok(None)
    }
}

/// Fetches one page of the listing `L`.
async fn list_page<L: Listing>(
    client: &Client,
    query: &ListQuery<L::Own>,
    policy: &RetryPolicy,
    options: CallOptions,
) -> Result<Response<Page<L::Item>>, Error> {
    list_page_decoding::<L>(client, query, policy, options)
        .await?
        .await
}

/// Fetches one page of the listing `L`, up to its answer's arrival: the
/// page, decoded, comes from the future it returns.
async fn list_page_decoding<L: Listing>(
    client: &Client,
    query: &ListQuery<L::Own>,
    policy: &RetryPolicy,
    options: CallOptions,
) -> Result<impl Future<Output = Result<Response<Page<L::Item>>, Error>> + Send + 'static, Error> {
    let send = || L::send(query, client.raw());
    crate::http::call_decoding(policy, L::OPERATION, options, send, L::decode).await
}

impl<'a, L: Listing> IntoFuture for List<'a, L> {
    type Output = Result<Page<L::Item>, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A stream of pages; see [`List::pages`]. `PageStream` alone is one of
/// connections.
#[must_use = "streams do nothing unless polled"]
pub struct PageStream<T: ListItem = Connection>(pub(crate) Pages<T>);

impl<T: ListItem> fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PageStream")
            .field("read_ahead", &self.0.reads_ahead())
            .finish_non_exhaustive()
    }
}

impl<T: ListItem> Stream for PageStream<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}

/// A stream of a listing's items; see [`List::items`].
///
/// It hands out each page's items as they are, one by one, then the page's
/// undecoded items as errors, then asks for the next page.
#[must_use = "streams do nothing unless polled"]
pub struct ItemStream<T: ListItem>(Items<T>);

impl<T: ListItem> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream").finish_non_exhaustive()
    }
}

impl<T: ListItem> Stream for ItemStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        Pin::new(&mut self.0).poll_next(cx)
    }
}
