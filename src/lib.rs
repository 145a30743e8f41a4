//! A typed, forward-compatible client for the Connections endpoints of
//! [Codat's Platform API](https://docs.codat.io/platform-api).
//!
//! A connection links a Codat company to an accounting, banking or commerce
//! platform. This crate creates, lists, unlinks and deletes connections, and
//! tells you where to send a customer whose connection became
//! `Deauthorized`.
//!
//! # Quickstart
//!
//! ```no_run
//! use codat_connections::{Client, ConnectionStatus, Reauthorization};
//!
//! # async fn run() -> Result<(), codat_connections::Error> {
//! let client = Client::from_env()?; // CODAT_API_KEY
//! let company = "8a210b68-6988-11ed-a1eb-0242ac120002";
//!
//! // Connect the company to a platform: the customer authorizes at link_url.
//! let created = client.connections().create(company, "gbol").await?;
//! assert_eq!(created.status, ConnectionStatus::PendingAuth);
//! println!("authorize at {}", created.link_url);
//!
//! // Find the connections that need the customer again.
//! let page = client
//!     .connections()
//!     .list(company)
//!     .status(ConnectionStatus::Deauthorized)
//!     .await?;
//! for connection in page.results {
//!     if let Reauthorization::Required { link_url, .. } = Reauthorization::of(connection)? {
//!         println!("re-authorize at {link_url}");
//!     }
//! }
//!
//! // Stop syncing but keep the data, or delete the connection and its data.
//! client.connections().unlink(company, created.id).await?;
//! client.connections().delete(company, created.id).await?;
//! # Ok(()) }
//! ```
//!
//! # Many companies, one rate limit
//!
//! [`Client::sweep`] answers "who needs to re-authorize?" across thousands
//! of companies as a stream, a bounded number at a time. A client keeps
//! one rate limit for all its requests: a pace under Codat's documented
//! 1,000 requests a minute ([`ClientBuilder::requests_per_minute`]), one
//! pause for all when Codat answers 429 or `X-Rate-Limit-Remaining` reaches
//! 0, and the latest values in [`Client::rate_limit`].
//!
//! # Forward compatibility
//!
//! Codat adds enum values and fields without notice. [`ConnectionStatus`],
//! [`SourceType`] and [`DataConnectionErrorStatus`] keep values they do not
//! know, unknown fields are ignored, and [`DateTime`] keeps any string
//! Codat sends (its schema is a plain `string`): the documented forms as
//! their own variant, anything else verbatim as [`DateTime::Other`]. A
//! [`Page`]'s numbers are kept as sent; numbers that make no sense cost
//! only the concurrent pages and totals checks that need them.
//!
//! # Webhooks
//!
//! [`webhooks::Webhooks`] verifies the connection webhooks Codat sends
//! (created, connected, failed, disconnected, reconnected, deleted) and
//! decodes them into [`webhooks::ConnectionEvent`].
//!
//! # Errors
//!
//! Every operation returns [`Error`]; invalid input (an ID that is not a
//! UUID, a page size over 5000) is refused before anything is sent.
//!
//! # The layers, and the road of one request
//!
//! ```text
//! client.rs             Client and its settings
//! call.rs               Call: one operation with its own options, sent when awaited
//! listing/              Page, List (the one request of any listing), Codat's list
//!                       parameters, the streams over any linked listing (generic)
//! connections/          the area: its operations, what of a listing is its own
//!                       (list.rs), decode (its answers)
//! companies/            the companies area, the same shape
//! reauthorization/      who needs the customer again: one connection, a company,
//!                       the sweep over many companies, the portfolio sweep
//! http/                 call (the one door), retry + classify, intercept, hooks,
//!                       transport, rate_limit, decode, tls
//! raw.rs                the generated client;   types/  the replacements it uses
//! ```
//!
//! `client.connections().list(company).connections()` goes one way:
//! `listing::List` (the page's query, with what `connections::list` adds) →
//! `listing` (which page next) → `http::call` (the call's options, an
//! `Idempotency-Key` for a write) → `http::retry` (each attempt) →
//! `http::intercept::exchange` → the generated `list_connections` call →
//! `http::hooks` (the settings, then `http::options`) → `http::transport`
//! (rate limit, whole body) → Codat, and the answer back the same way:
//! decoded once in `connections::decode` (by `http::decode`, on tokio's
//! blocking pool for a large page), handed out by `listing`.
#![deny(missing_docs)]
// docs.rs builds with `--cfg docsrs`: each feature-gated item then says
// which feature it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod call;
mod client;
mod codat_document;
mod companies;
mod connections;
mod error;
mod http;
mod listing;
#[cfg(feature = "mock")]
pub mod mock;
pub mod raw;
mod reauthorization;
mod types;
pub mod webhooks;

pub use call::Call;
pub use client::{
    Client, ClientBuilder, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
};
pub use codat_document::{CODAT_DOCUMENT, CodatDocument};
pub use companies::{
    Companies, CompaniesListing, Company, CompanyPageStream, CompanyStream, CreateCompany,
    ListCompanies,
};
pub use connections::{ConnectionStream, Connections, ConnectionsListing, ListConnections};
pub use error::{ApiError, BODY_SNIPPET_LIMIT, Error, UndecodedCompany, UndecodedConnection};
pub use http::rate_limit::{DEFAULT_REQUESTS_PER_MINUTE, RateLimit};
pub use http::response::Response;
pub use http::retry::RetryPolicy;
pub use http::transport::RequestSettings;
pub use listing::parameters::{MAX_PAGE_SIZE, MAX_QUERY_LENGTH};
pub use listing::{ItemStream, List, ListItem, Listing, Page, PageStream};
pub use raw::types::{Connection, DataConnectionError, ErrorMessage, HalLinks, HalRef};
pub use reauthorization::{
    CompanyReauthorizations, DEFAULT_PORTFOLIO_CONCURRENT_PAGES, DEFAULT_PORTFOLIO_READ_AHEAD,
    DEFAULT_SWEEP_CONCURRENCY, NeedsReauthorization, PortfolioSweep, Reauthorization, Sweep,
    SweptCompany,
};
pub use types::{
    CompanyId, ConnectionId, ConnectionStatus, DataConnectionErrorStatus, DateTime,
    DateTimeParseError, IntoCompanyId, IntoConnectionId, IntoPlatformKey, PlatformKey, SourceType,
};
pub use url::Url;
pub use webhooks::{WebhookError, Webhooks};

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
