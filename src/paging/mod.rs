//! One page of a listing, and the streams that walk a listing page by page
//! by following Codat's `_links.next`.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{self, Stream, StreamExt};
use url::Url;

use crate::raw::types::{Connection, Connections as RawPage, HalLinks};
use crate::{ConnectionId, Error, UndecodedConnection};

/// The largest page Codat serves.
pub const MAX_PAGE_SIZE: u32 = 5000;

/// The longest query Codat accepts, in characters.
pub const MAX_QUERY_LENGTH: usize = 2048;

/// One page of results, with where it sits in the whole listing.
///
/// The paging numbers are kept as Codat sent them: its document allows any
/// integer there. The listing's streams rely on them only where they make
/// sense (a page number from 1, a page size from 1 to [`MAX_PAGE_SIZE`], a
/// total that is not negative); otherwise they follow `_links.next` alone,
/// and a page is never dropped for its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items on this page.
    pub results: Vec<T>,
    /// This page's number (Codat counts from 1), as Codat sent it.
    pub page_number: i64,
    /// The page size asked for, as Codat sent it.
    pub page_size: i64,
    /// How many items the whole listing holds, as Codat sent it.
    pub total_results: i64,
    /// Codat's links to this, the next and the previous page (`href`s are
    /// relative to the base URL).
    pub links: HalLinks,
    /// The items on this page that did not decode, each with its raw JSON
    /// (not in `results`). Usually empty: a page decodes in one go, and only
    /// when it does not are its items decoded one by one.
    pub undecoded: Vec<UndecodedConnection>,
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

    /// The page size and total, when both make sense: what the totals
    /// checks and concurrent pages are planned from.
    fn counts(&self) -> Option<Counts> {
        let size = u64::try_from(self.page_size)
            .ok()
            .filter(|size| (1..=u64::from(MAX_PAGE_SIZE)).contains(size))?;
        let total = u64::try_from(self.total_results).ok()?;
        Some(Counts { size, total })
    }

    /// How many items the page holds, decoded or not.
    fn held(&self) -> u64 {
        (self.results.len() + self.undecoded.len()) as u64
    }
}

/// A page's size and the listing's total, both usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    size: u64,
    total: u64,
}

impl Counts {
    /// The number of the last page these counts allow (1 for an empty listing).
    fn last_page(self) -> u64 {
        self.total.div_ceil(self.size).max(1)
    }
}

impl From<RawPage> for Page<Connection> {
    fn from(raw: RawPage) -> Self {
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

/// What one page request asks for, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PageRequest {
    pub page: Option<NonZeroU32>,
    pub page_size: Option<NonZeroU32>,
    pub query: Option<String>,
    pub order_by: Option<String>,
}

impl PageRequest {
    /// The page number asked for (Codat starts at 1).
    fn number(&self) -> u64 {
        self.page.map_or(1, |page| u64::from(page.get()))
    }

    /// The request for the page Codat's `_links.next` names: the `page`,
    /// `pageSize`, `query` and `orderBy` the link carries replace this
    /// request's, and a link without `page` means the page after this one.
    ///
    /// Only those values are taken from the link, never its host or path:
    /// the API key goes nowhere but the configured base URL.
    ///
    /// The names are the ones Codat writes in its links, the same the
    /// generated `list_connections` builder sends; when the document renames
    /// one, the builder call in `src/connections.rs` stops compiling, and
    /// this is the other place to follow it.
    fn follow(&self, href: &str) -> Result<Self, &'static str> {
        const UNREADABLE: &str = "the next page's link is not a URL";
        let base = Url::parse(crate::DEFAULT_BASE_URL).map_err(|_| UNREADABLE)?;
        let link = base.join(href).map_err(|_| UNREADABLE)?;
        let number = |value: &str| {
            value.parse::<NonZeroU32>().map_err(|_| {
                "the next page's link has a page or pageSize that is not a positive number"
            })
        };
        let mut next = self.clone();
        let mut page = None;
        for (name, value) in link.query_pairs() {
            match &*name {
                "page" => page = Some(number(&value)?),
                "pageSize" => next.page_size = Some(number(&value)?),
                "query" => next.query = Some(value.into_owned()),
                "orderBy" => next.order_by = Some(value.into_owned()),
                _ => {}
            }
        }
        next.page = match page {
            Some(page) => Some(page),
            None => u32::try_from(self.number() + 1)
                .ok()
                .and_then(NonZeroU32::new)
                .map(Some)
                .ok_or("the next page's number is out of range")?,
        };
        Ok(next)
    }
}

/// Fetches one page (with retries); the streams call it for every page,
/// several at once with concurrent pages.
pub(crate) type FetchPage =
    Arc<dyn Fn(PageRequest) -> BoxFuture<'static, Result<Page<Connection>, Error>> + Send + Sync>;

/// A stream of pages, boxed.
type Pages = Pin<Box<dyn Stream<Item = Result<Page<Connection>, Error>> + Send>>;

/// The pages of a listing from `first` on, fetched with `fetch`: up to
/// `concurrent` pages at once once the first page tells how many there are
/// (1: one after another), up to `read_ahead` pages ahead of the caller.
pub(crate) fn page_stream(
    first: Result<PageRequest, Error>,
    fetch: FetchPage,
    read_ahead: usize,
    concurrent: usize,
) -> PageStream {
    let pager = Pager {
        fetch,
        next: Some(first),
        seen: HashSet::default(),
    };
    let mut pages: Pages = if concurrent > 1 {
        Box::pin(stream::unfold(
            Concurrent {
                pager,
                limit: concurrent,
                started: false,
                batch: None,
            },
            Concurrent::step,
        ))
    } else {
        Box::pin(stream::unfold(pager, |mut pager| async move {
            pager.next_page().await.map(|page| (page, pager))
        }))
    };
    if read_ahead == 0 {
        return PageStream {
            inner: pages,
            _producer: None,
        };
    }
    let (sender, mut receiver) = tokio::sync::mpsc::channel(read_ahead);
    let producer = tokio::spawn(async move {
        while let Some(page) = pages.next().await {
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

/// What the first page says the rest of the listing looks like.
#[derive(Debug, Clone, Copy)]
struct Plan {
    counts: Counts,
    last: u64,
}

impl Plan {
    /// Whether page `number` is the page this plan expects: its own number,
    /// same size and total, full with a successor before the last page, no
    /// successor on the last.
    fn agrees(&self, number: u64, page: &Page<Connection>) -> bool {
        u64::try_from(page.page_number) == Ok(number)
            && page.counts() == Some(self.counts)
            && if number < self.last {
                page.held() == self.counts.size && page.has_next_page()
            } else {
                !page.has_next_page()
            }
    }
}

/// The pages fetched at once, with the request each answers, in page order.
type Batch = Pin<Box<dyn Stream<Item = (PageRequest, Result<Page<Connection>, Error>)> + Send>>;

/// Concurrent pages: the first page on its own, then the pages it announces
/// (`totalResults` over `pageSize`), `limit` at a time, checked and yielded
/// in order; back to following `_links.next` one by one as soon as a page
/// disagrees with what the first announced.
struct Concurrent {
    pager: Pager,
    limit: usize,
    started: bool,
    batch: Option<(Plan, Batch)>,
}

impl Concurrent {
    async fn step(mut self) -> Option<(Result<Page<Connection>, Error>, Self)> {
        if let Some((plan, batch)) = &mut self.batch {
            let plan = *plan;
            match batch.next().await {
                Some((request, Ok(page))) if plan.agrees(request.number(), &page) => {
                    let item = self.pager.accept(request, page);
                    if item.is_err() {
                        self.batch = None;
                    }
                    return Some((item, self));
                }
                Some((request, Ok(_))) => {
                    tracing::warn!(
                        page = request.number(),
                        "codat page disagrees with the first page's totals; following _links.next instead"
                    );
                }
                Some((_, Err(error))) => {
                    self.pager.next = None;
                    self.batch = None;
                    return Some((Err(error), self));
                }
                None => {}
            }
            // Follow the links from the last page accepted.
            self.batch = None;
        }
        let request = match &self.pager.next {
            Some(Ok(request)) => Some(request.clone()),
            _ => None,
        };
        let item = self.pager.next_page().await?;
        if !std::mem::replace(&mut self.started, true) {
            if let (Ok(page), Some(request)) = (&item, request) {
                self.plan(&request, page);
            }
        }
        Some((item, self))
    }

    /// After the first page: fetch the rest at once, when it says how many.
    /// Pages whose numbers make no sense give no plan: the listing then
    /// follows `_links.next` one page at a time.
    fn plan(&mut self, first: &PageRequest, page: &Page<Connection>) {
        let Some(counts) = page.counts() else {
            return;
        };
        if !matches!(self.pager.next, Some(Ok(_))) {
            return;
        }
        let plan = Plan {
            counts,
            last: counts.last_page(),
        };
        let (Ok(size), Ok(number)) = (u32::try_from(counts.size), u32::try_from(first.number()))
        else {
            return;
        };
        let Some(size) = NonZeroU32::new(size) else {
            return;
        };
        let last = u32::try_from(plan.last).unwrap_or(u32::MAX);
        if last <= number {
            return;
        }
        let fetch = Arc::clone(&self.pager.fetch);
        let base = first.clone();
        let requests = (number + 1..=last)
            .filter_map(NonZeroU32::new)
            .map(move |n| {
                let mut request = base.clone();
                request.page = Some(n);
                request.page_size = Some(size);
                request
            });
        let batch = stream::iter(requests)
            .map(move |request| {
                let page = fetch(request.clone());
                async move { (request, page.await) }
            })
            .buffered(self.limit);
        self.batch = Some((plan, Box::pin(batch)));
    }
}

/// A stream of pages; see [`ListConnections::pages`](crate::ListConnections::pages).
#[must_use = "streams do nothing unless polled"]
pub struct PageStream {
    inner: Pin<Box<dyn Stream<Item = Result<Page<Connection>, Error>> + Send>>,
    _producer: Option<AbortOnDrop>,
}

impl PageStream {
    /// Every connection of every page, in order; after each page's
    /// connections, an [`Error::ConnectionDecode`] for each of its items
    /// that did not decode, and the stream goes on.
    pub(crate) fn connections(self) -> ConnectionStream {
        ConnectionStream {
            pages: Some(self),
            results: Vec::new().into_iter(),
            undecoded: Vec::new().into_iter(),
        }
    }
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

/// A stream of connections; see
/// [`ListConnections::connections`](crate::ListConnections::connections).
///
/// It hands out each page's connections as they are, one by one, then the
/// page's undecoded items as errors, then asks for the next page.
#[must_use = "streams do nothing unless polled"]
pub struct ConnectionStream {
    /// `None` once the pages are over.
    pages: Option<PageStream>,
    results: std::vec::IntoIter<Connection>,
    undecoded: std::vec::IntoIter<UndecodedConnection>,
}

impl std::fmt::Debug for ConnectionStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionStream").finish_non_exhaustive()
    }
}

impl Stream for ConnectionStream {
    type Item = Result<Connection, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(connection) = this.results.next() {
                return Poll::Ready(Some(Ok(connection)));
            }
            if let Some(item) = this.undecoded.next() {
                return Poll::Ready(Some(Err(Error::ConnectionDecode(Box::new(item)))));
            }
            // Free this page before the next one is read and decoded.
            this.results = Vec::new().into_iter();
            this.undecoded = Vec::new().into_iter();
            let Some(pages) = &mut this.pages else {
                return Poll::Ready(None);
            };
            match std::task::ready!(Pin::new(pages).poll_next(cx)) {
                Some(Ok(page)) => {
                    this.results = page.results.into_iter();
                    this.undecoded = page.undecoded.into_iter();
                }
                Some(Err(error)) => return Poll::Ready(Some(Err(error))),
                None => this.pages = None,
            }
        }
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
    fetch: FetchPage,
    /// The next page to fetch, or why the listing cannot be sent (reported
    /// as the stream's only item); `None` once the listing is over.
    next: Option<Result<PageRequest, Error>>,
    /// Every connection ID of the listing so far. Hashed with foldhash
    /// (seeded per process and per set), which costs a fraction of the
    /// default SipHash on every connection of a long listing.
    seen: HashSet<ConnectionId, foldhash::fast::RandomState>,
}

impl Pager {
    fn inconsistent(&mut self, page: u64, reason: &'static str) -> Result<Page<Connection>, Error> {
        self.next = None;
        Err(Error::InconsistentPaging { page, reason })
    }

    async fn next_page(&mut self) -> Option<Result<Page<Connection>, Error>> {
        let request = match self.next.take()? {
            Ok(request) => request,
            Err(invalid) => return Some(Err(invalid)),
        };
        match (self.fetch)(request.clone()).await {
            Ok(page) => Some(self.accept(request, page)),
            Err(err) => Some(Err(err)),
        }
    }

    /// Checks `page`, the answer to `request`, against what came before,
    /// and sets the next page to fetch from its link.
    ///
    /// A page is refused only when it holds nothing new (going on would
    /// loop); otherwise it is yielded, and what its link or numbers
    /// contradict ends the listing after it.
    fn accept(
        &mut self,
        request: PageRequest,
        mut page: Page<Connection>,
    ) -> Result<Page<Connection>, Error> {
        let number = request.number();
        let next_href = page.next_href().map(str::to_owned);
        if page.held() == 0 && next_href.is_some() {
            return self.inconsistent(number, "an empty page claims that another page follows");
        }
        let before = page.results.len();
        self.seen.reserve(before);
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
        // Numbers that make no sense disable this check, not the listing.
        let past_the_last = page
            .counts()
            .is_some_and(|counts| number > counts.last_page());
        self.next = next_href.map(|href| {
            let inconsistent = |reason| Error::InconsistentPaging {
                page: number,
                reason,
            };
            if past_the_last {
                return Err(inconsistent(
                    "a page past the last that totalResults allows claims that another page follows",
                ));
            }
            let next = request.follow(&href).map_err(inconsistent)?;
            if next.number() <= number {
                return Err(inconsistent(
                    "the next page's link goes back to a page already listed",
                ));
            }
            Ok(next)
        });
        Ok(page)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> PageRequest {
        PageRequest {
            page: None,
            page_size: NonZeroU32::new(2),
            query: Some("status=Linked".into()),
            order_by: None,
        }
    }

    #[test]
    fn a_relative_link_gives_its_page_size_query_and_order() {
        let next = request()
            .follow("/listing?page=3&pageSize=50&query=sourceType%3DBanking&orderBy=-created")
            .unwrap();
        assert_eq!(
            next,
            PageRequest {
                page: NonZeroU32::new(3),
                page_size: NonZeroU32::new(50),
                query: Some("sourceType=Banking".into()),
                order_by: Some("-created".into()),
            }
        );
    }

    #[test]
    fn a_link_without_values_keeps_the_request_and_asks_for_the_next_page() {
        let next = request().follow("/x").unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, request().page_size);
        assert_eq!(next.query, request().query);
        assert_eq!(
            next.follow("x?orderBy=id").unwrap().page,
            NonZeroU32::new(3)
        );
    }

    #[test]
    fn an_absolute_link_gives_its_values_only() {
        let next = request()
            .follow("https://elsewhere.example/steal?page=2")
            .unwrap();
        assert_eq!(next.page, NonZeroU32::new(2));
        assert_eq!(next.page_size, request().page_size);
    }

    #[test]
    fn a_link_with_an_unusable_page_is_refused() {
        for href in [
            "/x?page=0",
            "/x?page=-1",
            "/x?page=two",
            "/x?pageSize=0",
            "/x?page=99999999999",
        ] {
            assert!(request().follow(href).is_err(), "{href}");
        }
    }
}
