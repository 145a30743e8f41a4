//! Every listing of Codat's, one way: [`Page`], the one request
//! ([`List`], told what is an area's own by a [`Listing`]), Codat's list
//! parameters (`parameters`), and the streams that walk the pages (one after
//! another, several at once, read ahead of the caller) and hand out their
//! items. The walk names no parameter: a [`PageRequest`] knows how to
//! follow a link.

mod list;
mod pager;
pub(crate) mod parameters;

pub(crate) use list::area;
pub use list::{ItemStream, List, Listing, PageStream};

use std::fmt;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, Stream, StreamExt};

use crate::Error;
#[cfg(doc)]
use crate::UndecodedConnection;
use crate::raw::types::HalLinks;

use pager::{Concurrent, Pager};

/// One page of results, with where it sits in the whole listing.
///
/// The paging numbers are kept as Codat sent them: its document allows any
/// integer there. The listing's streams rely on them only where they make
/// sense (a page number from 1, a page size from 1 to
/// [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE), a total that is not negative);
/// otherwise they follow `_links.next` alone, and a page is never dropped
/// for its numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T: ListItem> {
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
    /// (not in `results`): [`UndecodedConnection`]s on a page of
    /// connections, [`UndecodedCompany`](crate::UndecodedCompany)s on a page
    /// of companies. Usually empty: a page decodes in one go, and only when
    /// it does not are its items decoded one by one.
    pub undecoded: Vec<T::Undecoded>,
}

impl<T: ListItem> Page<T> {
    /// Whether Codat says another page follows.
    pub fn has_next_page(&self) -> bool {
        self.next_href().is_some()
    }

    /// The relative link to the next page, when there is one.
    pub fn next_href(&self) -> Option<&str> {
        self.links.next.as_ref()?.href.as_deref()
    }

    /// The page size and total, when both make sense (a size from 1 to
    /// `largest`): what the totals checks and concurrent pages are planned
    /// from.
    fn counts(&self, largest: u32) -> Option<Counts> {
        let size = u64::try_from(self.page_size)
            .ok()
            .filter(|size| (1..=u64::from(largest)).contains(size))?;
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

/// What one page request of a listing asks for: the listing knows its own
/// parameters, the pager only these questions.
pub(crate) trait PageRequest: Clone + Send + Sync + 'static {
    /// The largest page the server serves: larger sizes make no sense.
    const MAX_PAGE_SIZE: u32;

    /// The page number asked for (from 1).
    fn number(&self) -> u64;

    /// The request for the page a `next` link names, or why the link cannot
    /// be followed.
    fn follow(&self, href: &str) -> Result<Self, &'static str>;

    /// This request, for page `number` of `size` items (concurrent pages).
    fn for_page(&self, number: NonZeroU32, size: NonZeroU32) -> Self;
}

/// An item of one of Codat's listings ([`Connection`](crate::Connection),
/// [`Company`](crate::Company)): told apart from the others by its key (a
/// listing never yields the same key twice), and kept, with its raw JSON,
/// as its own kind of undecoded item when it does not decode.
pub trait ListItem: Send + 'static {
    /// What tells two items apart (their ID).
    type Key: Hash + Eq + Send + Sync;
    /// An item of this kind that did not decode.
    type Undecoded: fmt::Debug + Clone + PartialEq + Send + 'static;

    /// This item's key.
    fn key(&self) -> Self::Key;

    /// The error an item stream yields for an undecoded item.
    fn undecoded_error(undecoded: Self::Undecoded) -> Error;
}

/// Fetches one page (with retries); the streams call it for every page,
/// several at once with concurrent pages. It is done once the page's answer
/// has arrived, with the page's [`Decoding`] under way.
pub(crate) type FetchPage<R, T> =
    Arc<dyn Fn(R) -> BoxFuture<'static, Result<Decoding<T>, Error>> + Send + Sync>;

/// A page whose answer has arrived, being decoded.
pub(crate) type Decoding<T> = BoxFuture<'static, Result<Page<T>, Error>>;

/// The pages of a listing, in order; see [`pages`].
pub(crate) struct Pages<T: ListItem> {
    inner: BoxStream<'static, Result<Page<T>, Error>>,
    _producer: Option<AbortOnDrop>,
}

/// The pages of a listing from `first` on, fetched with `fetch`: up to
/// `concurrent` pages at once once the first page tells how many there are
/// (1: one after another), up to `read_ahead` pages ahead of the caller.
pub(crate) fn pages<R: PageRequest, T: ListItem>(
    first: Result<R, Error>,
    fetch: FetchPage<R, T>,
    read_ahead: usize,
    concurrent: usize,
) -> Pages<T> {
    let pager = Pager::new(first, fetch);
    let mut pages: BoxStream<'static, Result<Page<T>, Error>> = if concurrent > 1 {
        Box::pin(stream::unfold(
            Concurrent::new(pager, concurrent),
            Concurrent::step,
        ))
    } else {
        Box::pin(stream::unfold(pager, |mut pager| async move {
            pager.next_page().await.map(|page| (page, pager))
        }))
    };
    if read_ahead == 0 {
        return Pages {
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
    Pages {
        inner: Box::pin(stream::poll_fn(move |cx| receiver.poll_recv(cx))),
        _producer: Some(AbortOnDrop(producer)),
    }
}

impl<T: ListItem> Pages<T> {
    /// Whether pages are fetched ahead of the caller.
    pub(crate) fn reads_ahead(&self) -> bool {
        self._producer.is_some()
    }

    /// Every item of every page, in order; after each page's items, an
    /// [`Error::ConnectionDecode`] for each of its items that did not
    /// decode, and the stream goes on.
    pub(crate) fn items(self) -> Items<T> {
        Items {
            pages: Some(self),
            results: Vec::new().into_iter(),
            undecoded: Vec::new().into_iter(),
        }
    }
}

impl<T: ListItem> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The items of a listing: each page's items handed out as they are, one
/// by one, then the page's undecoded items as errors, then the next page.
pub(crate) struct Items<T: ListItem> {
    /// `None` once the pages are over.
    pages: Option<Pages<T>>,
    results: std::vec::IntoIter<T>,
    undecoded: std::vec::IntoIter<T::Undecoded>,
}

// Nothing of it is pinned: items are moved out of their page's `Vec`.
impl<T: ListItem> Unpin for Items<T> {}

impl<T: ListItem> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if let Some(item) = this.results.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if let Some(item) = this.undecoded.next() {
                return Poll::Ready(Some(Err(T::undecoded_error(item))));
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
