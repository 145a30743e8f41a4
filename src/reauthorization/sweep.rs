//! A sweep across many companies: "which connections, across all my
//! companies, need the customer again?", answered company by company as a
//! stream, a bounded number of companies at a time.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{self, Stream, StreamExt};

use super::{NeedsReauthorization, Unusable, collect};
use crate::types::ids::IntoCompanyId;
use crate::{Client, CompanyId, Error, UndecodedConnection};

/// How many companies a sweep lists at once unless told otherwise: enough to
/// hide Codat's latency (16 requests in flight at about 60 ms each reach the
/// client's default pace of 1,000 requests a minute), few enough to keep
/// memory small.
pub const DEFAULT_SWEEP_CONCURRENCY: usize = 16;

impl Client {
    /// Lists every connection of every company in `companies` (all pages),
    /// a bounded number of companies at a time, and yields, for each
    /// company as soon as it is done, the connections that need the
    /// customer again ([`Deauthorized`](crate::ConnectionStatus::Deauthorized)
    /// or [`Unlinked`](crate::ConnectionStatus::Unlinked)) with their link
    /// URLs, or the company's error.
    ///
    /// One company's error (a 404 for a company deleted since, retries
    /// exhausted) is that company's item, and the sweep goes on. Companies
    /// are taken from `companies` only as earlier ones finish, so memory
    /// stays bounded by [`Sweep::concurrency`] however many there are. The
    /// client's rate limit is shared by all of them: the sweep runs at the
    /// client's pace (see
    /// [`ClientBuilder::requests_per_minute`](crate::ClientBuilder::requests_per_minute))
    /// and, when Codat asks, every company waits.
    ///
    /// ```no_run
    /// # async fn run(client: codat_connections::Client, company_ids: Vec<String>) {
    /// use futures::StreamExt;
    ///
    /// let mut sweep = client.sweep(company_ids).concurrency(16);
    /// while let Some(company) = sweep.next().await {
    ///     match company.result {
    ///         Ok(found) => {
    ///             for needed in found.needing_reauthorization {
    ///                 println!("{}: send the customer to {}", company.company, needed.link_url);
    ///             }
    ///         }
    ///         Err(err) => eprintln!("{}: {err}", company.company),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn sweep<I>(&self, companies: I) -> Sweep
    where
        I: IntoIterator,
        I::IntoIter: Send + 'static,
        I::Item: IntoCompanyId + fmt::Display + Send + 'static,
    {
        self.sweep_stream(stream::iter(companies))
    }

    /// As [`sweep`](Self::sweep), with the company IDs from a stream (such
    /// as rows read from a database as the sweep goes).
    pub fn sweep_stream<S>(&self, companies: S) -> Sweep
    where
        S: Stream + Send + 'static,
        S::Item: IntoCompanyId + fmt::Display + Send + 'static,
    {
        let client = self.clone();
        let companies = companies.map(move |company| {
            let client = client.clone();
            let given = company.to_string();
            let id = company.into_company_id();
            Box::pin(async move { sweep_company(client, given, id).await }) as CompanyInProgress
        });
        Sweep {
            companies: Some(Box::pin(companies)),
            concurrency: DEFAULT_SWEEP_CONCURRENCY,
            running: None,
        }
    }
}

/// One company's sweep, started or not.
type CompanyInProgress = Pin<Box<dyn std::future::Future<Output = SweptCompany> + Send>>;

/// One company's answer in a [`Sweep`].
#[derive(Debug)]
#[non_exhaustive]
pub struct SweptCompany {
    /// The company ID as given.
    pub company: String,
    /// The company's connections that need the customer, or why they could
    /// not be listed.
    pub result: Result<CompanyReauthorizations, Error>,
}

/// The connections of one company that need the customer again.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CompanyReauthorizations {
    /// The company.
    pub company_id: CompanyId,
    /// Its name, when the sweep read it: the portfolio sweep does (the
    /// listing carries it), [`Client::sweep`] does not (it lists only the
    /// company's connections).
    pub company_name: Option<String>,
    /// Every `Deauthorized` or `Unlinked` connection, with its link URL.
    pub needing_reauthorization: Vec<NeedsReauthorization>,
    /// Connections that did not decode, with their raw JSON (look at their
    /// `status`: one may need the customer too), and connections needing
    /// the customer whose `linkUrl` is not a URL. The portfolio sweep
    /// decodes in full only the connections that need the customer; see
    /// [`Client::sweep_portfolio`].
    pub undecoded: Vec<UndecodedConnection>,
    /// How many of the company's connections were read: every one but
    /// those that did not decode (one needing the customer whose `linkUrl`
    /// is not a URL is counted, and is in `undecoded` too).
    pub connections: usize,
}

/// A stream of [`SweptCompany`], in the order companies finish; see
/// [`Client::sweep`].
#[must_use = "streams do nothing unless polled"]
pub struct Sweep {
    /// The companies not started yet, until the sweep is first polled.
    companies: Option<Pin<Box<dyn Stream<Item = CompanyInProgress> + Send>>>,
    concurrency: usize,
    running: Option<Pin<Box<dyn Stream<Item = SweptCompany> + Send>>>,
}

impl Sweep {
    /// How many companies are listed at once (default
    /// [`DEFAULT_SWEEP_CONCURRENCY`]; at least 1). The client's pace, not
    /// this, decides how fast requests leave.
    pub fn concurrency(mut self, companies: usize) -> Self {
        self.concurrency = companies.max(1);
        self
    }
}

impl fmt::Debug for Sweep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sweep")
            .field("concurrency", &self.concurrency)
            .field("started", &self.running.is_some())
            .finish_non_exhaustive()
    }
}

impl Stream for Sweep {
    type Item = SweptCompany;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if let Some(companies) = self.companies.take() {
            let concurrency = self.concurrency;
            self.running = Some(Box::pin(companies.buffer_unordered(concurrency)));
        }
        match self.running.as_mut() {
            Some(running) => running.as_mut().poll_next(cx),
            None => Poll::Ready(None),
        }
    }
}

async fn sweep_company(
    client: Client,
    company: String,
    id: Result<CompanyId, Error>,
) -> SweptCompany {
    let result = match id {
        Ok(id) => reauthorizations(&client, id).await,
        Err(invalid) => Err(invalid),
    };
    SweptCompany { company, result }
}

async fn reauthorizations(
    client: &Client,
    company_id: CompanyId,
) -> Result<CompanyReauthorizations, Error> {
    let found = collect(&client.connections(), company_id, Unusable::Keep).await?;
    Ok(CompanyReauthorizations {
        company_id,
        company_name: None,
        needing_reauthorization: found.needing_reauthorization,
        undecoded: found.undecoded,
        connections: found.connections,
    })
}
