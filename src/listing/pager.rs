//! The walk over one listing's pages: following each page's link, checking
//! that the pages agree with each other, and fetching the pages the first
//! one announces several at once.

use std::collections::HashSet;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;

use futures::stream::{self, Stream, StreamExt};

use super::{Counts, FetchPage, ListItem, Page, PageRequest};
use crate::Error;

/// Walks the pages of one listing, and notices a server that misbehaves.
pub(super) struct Pager<R: PageRequest, T: ListItem> {
    fetch: FetchPage<R, T>,
    /// The next page to fetch, or why the listing cannot be sent (reported
    /// as the stream's only item); `None` once the listing is over.
    next: Option<Result<R, Error>>,
    /// The key of every item of the listing so far. Hashed with foldhash
    /// (seeded per process and per set), which costs a fraction of the
    /// default SipHash on every item of a long listing.
    seen: HashSet<T::Key, foldhash::fast::RandomState>,
}

impl<R: PageRequest, T: ListItem> Pager<R, T> {
    pub(super) fn new(first: Result<R, Error>, fetch: FetchPage<R, T>) -> Self {
        Self {
            fetch,
            next: Some(first),
            seen: HashSet::default(),
        }
    }

    fn inconsistent(&mut self, page: u64, reason: &'static str) -> Result<Page<T>, Error> {
        self.next = None;
        Err(Error::InconsistentPaging { page, reason })
    }

    pub(super) async fn next_page(&mut self) -> Option<Result<Page<T>, Error>> {
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
    fn accept(&mut self, request: R, mut page: Page<T>) -> Result<Page<T>, Error> {
        let number = request.number();
        let next_href = page.next_href().map(str::to_owned);
        if page.held() == 0 && next_href.is_some() {
            return self.inconsistent(number, "an empty page claims that another page follows");
        }
        let before = page.results.len();
        self.seen.reserve(before);
        page.results.retain(|item| self.seen.insert(item.key()));
        if before > 0 && page.results.is_empty() {
            return self.inconsistent(number, "the same page was served twice");
        }
        if page.results.len() < before {
            tracing::warn!(
                page = number,
                repeated = before - page.results.len(),
                "codat listing repeated items from an earlier page; they were skipped"
            );
        }
        // Numbers that make no sense disable this check, not the listing.
        let past_the_last = page
            .counts(R::MAX_PAGE_SIZE)
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
    fn agrees<T: ListItem>(&self, number: u64, page: &Page<T>, largest: u32) -> bool {
        u64::try_from(page.page_number) == Ok(number)
            && page.counts(largest) == Some(self.counts)
            && if number < self.last {
                page.held() == self.counts.size && page.has_next_page()
            } else {
                !page.has_next_page()
            }
    }
}

/// The pages fetched at once, with the request each answers, in page order.
type Batch<R, T> = Pin<Box<dyn Stream<Item = (R, Result<Page<T>, Error>)> + Send>>;

/// Concurrent pages: the first page on its own, then the pages it announces
/// (`totalResults` over `pageSize`), `limit` at a time, checked and yielded
/// in order; back to following `_links.next` one by one as soon as a page
/// disagrees with what the first announced.
pub(super) struct Concurrent<R: PageRequest, T: ListItem> {
    pager: Pager<R, T>,
    limit: usize,
    started: bool,
    batch: Option<(Plan, Batch<R, T>)>,
}

impl<R: PageRequest, T: ListItem> Concurrent<R, T> {
    pub(super) fn new(pager: Pager<R, T>, limit: usize) -> Self {
        Self {
            pager,
            limit,
            started: false,
            batch: None,
        }
    }

    pub(super) async fn step(mut self) -> Option<(Result<Page<T>, Error>, Self)> {
        if let Some((plan, batch)) = &mut self.batch {
            let plan = *plan;
            match batch.next().await {
                Some((request, Ok(page)))
                    if plan.agrees(request.number(), &page, R::MAX_PAGE_SIZE) =>
                {
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
        if !std::mem::replace(&mut self.started, true)
            && let (Ok(page), Some(request)) = (&item, request)
        {
            self.plan(&request, page);
        }
        Some((item, self))
    }

    /// After the first page: fetch the rest at once, when it says how many.
    /// Pages whose numbers make no sense give no plan: the listing then
    /// follows `_links.next` one page at a time.
    fn plan(&mut self, first: &R, page: &Page<T>) {
        let Some(counts) = page.counts(R::MAX_PAGE_SIZE) else {
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
            .map(move |n| base.for_page(n, size));
        let batch = stream::iter(requests)
            .map(move |request| {
                let page = fetch(request.clone());
                async move { (request, page.await) }
            })
            .buffered(self.limit);
        self.batch = Some((plan, Box::pin(batch)));
    }
}
