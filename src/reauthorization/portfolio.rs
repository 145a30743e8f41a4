//! The portfolio sweep: "which connections, across all my companies, need
//! the customer again?", answered from `list-companies`, whose pages of up to
//! 5,000 companies carry each company's connections: a portfolio of N
//! companies in ceil(N / 5,000) requests instead of N.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::Stream;

use super::{Collected, Unusable};
use crate::companies::{Company, CompanyStream};
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
/// gone through and the pages arriving.
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
    /// Each company is one item, in listing order, at most once. A connection
    /// that does not decode, or needs the customer but has no usable link
    /// URL, is in that company's
    /// [`undecoded`](CompanyReauthorizations::undecoded); a page that cannot
    /// be read (after the client's retries) ends the stream with its error,
    /// after every company before it. Memory holds the page being gone
    /// through and the pages on their way
    /// ([`DEFAULT_PORTFOLIO_CONCURRENT_PAGES`] of them unless told otherwise).
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
    companies: Option<CompanyStream>,
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

    fn start(&self) -> CompanyStream {
        let settings = &self.settings;
        let mut list = self
            .client
            .companies()
            .list()
            .page_size(settings.page_size)
            .read_ahead(settings.read_ahead)
            .concurrent_pages(settings.concurrent_pages);
        if let Some(query) = &settings.query {
            list = list.query(query.clone());
        }
        if let Some(tags) = &settings.tags {
            list = list.tags(tags.clone());
        }
        list.companies()
    }
}

/// What one company of the listing needs.
fn reauthorizations(mut company: Company) -> CompanyReauthorizations {
    let company_id = company.details.id;
    let mut found = Collected {
        undecoded: std::mem::take(&mut company.undecoded_connections),
        ..Collected::default()
    };
    for connection in std::mem::take(&mut company.data_connections) {
        // Kept, not failed: `Keep` never refuses a connection.
        let _ = found.add(connection, Unusable::Keep);
    }
    for undecoded in &mut found.undecoded {
        undecoded.company = Some(company_id);
    }
    CompanyReauthorizations {
        company_id,
        company_name: Some(company.details.name),
        needing_reauthorization: found.needing_reauthorization,
        undecoded: found.undecoded,
        connections: found.connections,
    }
}

/// The companies listing, each company mapped to what it needs; a company
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
            .map(|item| item.map(|company| company.map(reauthorizations)))
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
