//! The portfolio sweep: "which connections, across all my companies, need
//! the customer again?", answered from `list-companies`, whose pages of up to
//! 5,000 companies carry each company's connections: a portfolio of N
//! companies in ceil(N / 5,000) requests instead of N.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::Stream;

use super::portfolio_page::{PortfolioCompany, PortfolioListing};
use crate::listing::{ItemStream, List};
use crate::{Client, CompanyReauthorizations, Error, MAX_PAGE_SIZE};

/// How many pages a portfolio sweep fetches ahead of the caller unless told
/// otherwise: none beyond its [concurrent pages](DEFAULT_PORTFOLIO_CONCURRENT_PAGES),
/// which already keep the next page coming while this one is gone through.
pub const DEFAULT_PORTFOLIO_READ_AHEAD: usize = 0;

/// How many pages a portfolio sweep asks for at once unless told otherwise,
/// once the first page has said how many there are: three, so that the next
/// pages' requests are on their way while this page's bytes still arrive and
/// while it is decoded. On a link of 100 Mbit/s with a 40 ms round trip this
/// takes a sweep of 100,000 companies from 3.2 s (one page at a time, the
/// link idle for a round trip and a decode between pages) to 1.7 s (two at
/// a time: 1.9 s), within 1.1x of what the link allows; on loopback at the
/// default pace it changes neither time nor memory. Memory holds the page
/// gone through, the pages being decoded and the pages arriving.
pub const DEFAULT_PORTFOLIO_CONCURRENT_PAGES: usize = 3;

impl Client {
    /// Every company of the account (or those [`PortfolioSweep::query`] and
    /// [`PortfolioSweep::tags`] select), each with its connections that need
    /// the customer again ([`Deauthorized`](crate::ConnectionStatus::Deauthorized)
    /// or [`Unlinked`](crate::ConnectionStatus::Unlinked)) and their link
    /// URLs, read from `list-companies` pages of 5,000 companies.
    ///
    /// Use it to look at all your companies (or a tagged set of them): a
    /// portfolio of 100,000 companies is 20 requests. Use
    /// [`Client::sweep`] for a list of company IDs you already hold (a few
    /// companies out of many, or IDs from your own database): one request per
    /// company, however many Codat has.
    ///
    /// Each company is one item, in listing order, at most once. A page that
    /// cannot be read (after the client's retries) ends the stream with its
    /// error, after every company before it. Memory holds the page being
    /// gone through and the pages on their way
    /// ([`DEFAULT_PORTFOLIO_CONCURRENT_PAGES`] of them unless told otherwise).
    ///
    /// The sweep reads of each company only what it hands out: its ID, its
    /// name and each connection's `status`, and in full only the
    /// connections that need the customer. Other fields are checked as
    /// JSON and skipped, not decoded (well under half the CPU time of
    /// decoding every field), so one in a shape Codat's document does not
    /// allow costs nothing here, where
    /// [`List::companies`](crate::List::companies) would yield that company
    /// as an [`Error::CompanyDecode`]. A company whose ID or name does not
    /// decode is such an error of its own, and the sweep goes on after it;
    /// a connection whose status does not decode, or that needs the
    /// customer but does not decode in full or has no usable link URL, is
    /// in its company's [`undecoded`](CompanyReauthorizations::undecoded).
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client) -> Result<(), codat_connections::Error> {
    /// use futures::TryStreamExt;
    ///
    /// let mut sweep = client.sweep_portfolio().tags("region=uk");
    /// while let Some(company) = sweep.try_next().await? {
    ///     let name = company.company_name.as_deref().unwrap_or_default();
    ///     for needed in &company.needing_reauthorization {
    ///         println!("{name}: send the customer to {}", needed.link_url);
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sweep_portfolio(&self) -> PortfolioSweep {
        PortfolioSweep {
            client: self.clone(),
            settings: Settings {
                query: None,
                tags: None,
                page_size: MAX_PAGE_SIZE,
                read_ahead: DEFAULT_PORTFOLIO_READ_AHEAD,
                concurrent_pages: DEFAULT_PORTFOLIO_CONCURRENT_PAGES,
            },
            companies: None,
        }
    }
}

/// How the listing is asked for.
#[derive(Debug, Clone)]
struct Settings {
    query: Option<String>,
    tags: Option<String>,
    page_size: u32,
    read_ahead: usize,
    concurrent_pages: usize,
}

/// A stream of [`CompanyReauthorizations`], one per company, in listing
/// order; see [`Client::sweep_portfolio`]. Its settings apply until it is
/// first polled.
#[must_use = "streams do nothing unless polled"]
pub struct PortfolioSweep {
    client: Client,
    settings: Settings,
    /// The companies listing, once the sweep is first polled.
    companies: Option<ItemStream<PortfolioCompany>>,
}

impl PortfolioSweep {
    /// Only companies matching this filter in Codat's query language.
    pub fn query(mut self, query: impl Into<String>) -> Self {
        self.settings.query = Some(query.into());
        self
    }

    /// Only companies whose tags match, such as `region=uk`.
    pub fn tags(mut self, tags: impl Into<String>) -> Self {
        self.settings.tags = Some(tags.into());
        self
    }

    /// Companies per request (default and most: 5,000).
    pub fn page_size(mut self, page_size: u32) -> Self {
        self.settings.page_size = page_size;
        self
    }

    /// Pages fetched ahead of the caller (default
    /// [`DEFAULT_PORTFOLIO_READ_AHEAD`]; 0: only when asked for).
    pub fn read_ahead(mut self, pages: usize) -> Self {
        self.settings.read_ahead = pages;
        self
    }

    /// Pages fetched at once once the first tells how many there are
    /// (default [`DEFAULT_PORTFOLIO_CONCURRENT_PAGES`]), as
    /// [`ListConnections::concurrent_pages`](crate::ListConnections::concurrent_pages).
    pub fn concurrent_pages(mut self, pages: usize) -> Self {
        self.settings.concurrent_pages = pages.max(1);
        self
    }

    fn start(&self) -> ItemStream<PortfolioCompany> {
        let settings = &self.settings;
        let listing = PortfolioListing::tagged(settings.tags.clone());
        let mut list = List::new(&self.client, listing, None)
            .page_size(settings.page_size)
            .read_ahead(settings.read_ahead)
            .concurrent_pages(settings.concurrent_pages);
        if let Some(query) = &settings.query {
            list = list.query(query.clone());
        }
        list.items()
    }
}

/// The companies listing, each company read for what it needs; a company
/// that does not decode is an item of its own (`Error::CompanyDecode`), and
/// the sweep goes on after it.
impl Stream for PortfolioSweep {
    type Item = Result<CompanyReauthorizations, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.companies.is_none() {
            self.companies = Some(self.start());
        }
        let Some(companies) = self.companies.as_mut() else {
            return Poll::Ready(None);
        };
        Pin::new(companies)
            .poll_next(cx)
            .map(|item| item.map(|company| company.map(|company| company.0)))
    }
}

impl fmt::Debug for PortfolioSweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PortfolioSweep")
            .field("settings", &self.settings)
            .field("started", &self.companies.is_some())
            .finish_non_exhaustive()
    }
}
