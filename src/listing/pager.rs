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
        let page = match (self.fetch)(request.clone()).await {
            Ok(decoding) => decoding.await,
            Err(err) => Err(err),
        };
        Some(page.and_then(|page| self.accept(request, page)))
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
        // A page's answer frees its place for the next request as soon as
        // it has arrived; its decoding goes on meanwhile, as many at once.
        let batch = stream::iter(requests)
            .map(move |request| {
                let page = fetch(request.clone());
                async move { (request, page.await) }
            })
            .buffered(self.limit)
            .map(|(request, arrived)| async move {
                match arrived {
                    Ok(decoding) => (request, decoding.await),
                    Err(error) => (request, Err(error)),
                }
            })
            .buffered(self.limit);
        self.batch = Some((plan, Box::pin(batch)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raw::types::{HalLinks, HalRef};
    use std::sync::Mutex;
    use std::time::Duration;

    /// An item of the fake listing: its number.
    #[derive(Debug)]
    struct Item(u64);

    impl ListItem for Item {
        type Key = u64;
        type Undecoded = ();

        fn key(&self) -> u64 {
            self.0
        }

        fn undecoded_error((): ()) -> Error {
            Error::InconsistentPaging {
                page: 0,
                reason: "no item of this listing is undecoded",
            }
        }
    }

    /// A request of the fake listing: its page number.
    #[derive(Debug, Clone)]
    struct Number(u64);

    impl PageRequest for Number {
        const MAX_PAGE_SIZE: u32 = 10;

        fn number(&self) -> u64 {
            self.0
        }

        fn follow(&self, href: &str) -> Result<Self, &'static str> {
            href.parse().map(Number).map_err(|_| "not a page number")
        }

        fn for_page(&self, number: NonZeroU32, _: NonZeroU32) -> Self {
            Number(number.get().into())
        }
    }

    /// Page `number` of `last`, two items a page.
    fn page(number: u64, last: u64) -> Page<Item> {
        let link = |href: String| HalRef { href: Some(href) };
        Page {
            results: vec![Item(2 * number), Item(2 * number + 1)],
            page_number: number as i64,
            page_size: 2,
            total_results: 2 * last as i64,
            links: HalLinks {
                current: link(number.to_string()),
                self_: link(number.to_string()),
                next: (number < last).then(|| link((number + 1).to_string())),
                previous: None,
            },
            undecoded: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_page_being_decoded_does_not_hold_back_the_next_request() {
        let last = 4;
        let asked = Arc::new(Mutex::new(Vec::new()));
        let (told, mut asked_for) = tokio::sync::watch::channel(0);
        let told = Arc::new(told);
        let fetch: FetchPage<Number, Item> = {
            let asked = Arc::clone(&asked);
            Arc::new(move |request: Number| {
                asked.lock().unwrap().push(request.0);
                told.send_modify(|highest| *highest = request.0.max(*highest));
                let mut asked_for = told.subscribe();
                Box::pin(async move {
                    // Page 2 is decoded only once page 4, which needs a
                    // free place (2 at a time), has been asked for.
                    let decoding: super::super::Decoding<Item> = Box::pin(async move {
                        if request.0 == 2 {
                            let four = asked_for.wait_for(|&highest| highest >= 4);
                            tokio::time::timeout(Duration::from_secs(10), four)
                                .await
                                .map_err(|_| Error::InconsistentPaging {
                                    page: 2,
                                    reason: "page 4 was not asked for while page 2 was decoded",
                                })?
                                .unwrap();
                        }
                        Ok(page(request.0, last))
                    });
                    Ok(decoding)
                })
            })
        };
        let concurrent = Concurrent::new(Pager::new(Ok(Number(1)), fetch), 2);
        let pages: Vec<Page<Item>> = stream::unfold(concurrent, Concurrent::step)
            .map(|page| page.unwrap())
            .collect()
            .await;
        let numbers: Vec<i64> = pages.iter().map(|p| p.page_number).collect();
        assert_eq!(numbers, [1, 2, 3, 4], "every page, in order");
        assert_eq!(*asked.lock().unwrap(), [1, 2, 3, 4], "each page once");
        assert_eq!(*asked_for.borrow_and_update(), 4);
    }
}
