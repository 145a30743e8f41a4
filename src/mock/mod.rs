//! A stateful, in-process mock of Codat's Connections endpoints, for tests
//! and for trying the SDK without an API key (feature `mock`).
//!
//! It behaves like Codat where the SDK and its users can tell: companies
//! (created, got and listed with Codat's paging, `query`, `orderBy` and
//! `tags` filter, each with its connections and its `redirect` link) that
//! exist or not, the API-key check, `PendingAuth` connections with a link URL,
//! 1-based paging with `_links`, Codat's query language on the listing
//! (`=`, `!=`, `~`, `>`, `<`, `>=`, `<=`, `&&`, `||` and `{ }`, such as
//! `status=Deauthorized || created>2024-01-01`; a query that does not parse,
//! or names a property a connection lacks, gets Codat's 400 "Error parsing
//! query - ..."), unlink of linked
//! connections only, delete, and authorization updates, and the
//! `Idempotency-Key` of a `POST` or `PATCH` (its first answer replayed for
//! 90 minutes, 409 while in progress, 422 for another request with it, a
//! 429 never kept). Errors come in Codat's `ErrorMessage` shape. With
//! [`MockCodat::send_webhooks_to`] it also sends Codat's signed connection
//! webhooks, with delivery faults.
//!
//! Its paths, methods and parameter names are those of the document the
//! client is generated from (`openapi/connections.json`, or the one the
//! `CODAT_OPENAPI` environment variable named when the crate was built):
//! a method and path the document lacks is answered 404, and so is a path
//! whose IDs its schemas refuse (where the operation lists no 400); a query
//! parameter it does not declare, a value (integers within their `int32` or
//! `int64` format too) or a body its schemas refuse, 400 naming each
//! violation.
//!
//! # Where it knowingly differs from the document
//!
//! Each of these refuses what the document's schemas allow, or answers a
//! status the document does not list for the operation, because Codat does.
//! Schemathesis checks the standalone mock against the document (`cargo
//! xtask schemathesis`, part of `cargo xtask ci`); these are the only checks
//! it relaxes, each for its operation, in `xtask/schemathesis.toml`, which
//! cites the same evidence:
//!
//! - **A listing (of connections or companies) whose `query` or `orderBy`
//!   Codat cannot use** (a query that
//!   does not parse, or a property a connection lacks) is answered with the
//!   400 the document lists for the listing (`Malformed-Query`: "Error
//!   parsing query - Malformed query.", "... Could not resolve property X on
//!   ..."), although the schema of both is any string (Codat's
//!   `using-the-api/querying` page gives the language).
//!
//! - **An unlink of a connection that is not `Linked`** is answered 400:
//!   "Only `Linked` data connections can be unlinked" (Codat's
//!   `core-concepts/connections` page).
//! - **An unlink whose body does not say `{"status": "Unlinked"}`** is
//!   answered 400: unlinking is the one change the operation makes (its
//!   summary and example), and the schema's `status` is optional only in
//!   form.
//! - **A company create without a body** (the document does not require
//!   one) is answered with the 400 the document lists: a company needs its
//!   `name`, the body schema's one required property.
//!
//! - **A method a path does not have** (TRACE on `/companies`) is answered
//!   404, as Codat answers a route it does not have: the document lists a
//!   404 for every operation and a 405 for none.
//!
//! - **A create without a `platformKey`** is answered 400: a connection is
//!   to a platform, and the schema's `platformKey` is optional only in form
//!   (every example and Codat's "Create a connection" guide give one).
//! - **A request body that breaks the operation's schema** (a body sent to
//!   create, unlink or update-authorization), or a query parameter the
//!   operation does not declare, is answered 400 naming the violation,
//!   although only the listing lists a 400: Codat's document lists that 400
//!   (`Bad-Request`, "The request made is not valid.") on its other
//!   operations that take a body (create-company, for one), and its
//!   `using-the-api/errors` page gives 400 for a client-side error.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use codat_connections::mock::MockCodat;
//! use codat_connections::ConnectionStatus;
//!
//! let codat = MockCodat::start().await?;
//! let company = codat.add_company();
//! let client = codat.client()?;
//!
//! let created = client.connections().create(company, "gbol").await?;
//! assert_eq!(created.status, ConnectionStatus::PendingAuth);
//! codat.set_status(company, created.id, ConnectionStatus::Linked);
//! assert_eq!(client.connections().get(company, created.id).await?.status, ConnectionStatus::Linked);
//! # Ok(()) }
//! ```

//! # In your tests
//!
//! Point the code under test at the mock, arrange Codat's state, and assert
//! on both what your code returned and what reached "Codat":
//!
//! ```
//! use codat_connections::mock::{Fault, MockCodat};
//! use codat_connections::{Client, CompanyId, ConnectionStatus, Error, Url};
//!
//! /// Your service's code: who must re-authorize?
//! async fn links_to_email(client: &Client, company: CompanyId) -> Result<Vec<Url>, Error> {
//!     let needed = client.connections().needing_reauthorization(company).await?;
//!     Ok(needed.into_iter().map(|n| n.link_url).collect())
//! }
//!
//! // In your crate: #[tokio::test] async fn deauthorized_customers_get_a_link() { ... }
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let codat = MockCodat::start().await?;
//! let company = codat.add_company();
//! let expired = codat.add_connection(company, "gbol".parse()?, ConnectionStatus::Deauthorized);
//! codat.add_connection(company, "gbol".parse()?, ConnectionStatus::Linked);
//! codat.inject(Fault::Status { status: 429, retry_after: Some("1".into()) }, 1);
//!
//! let links = links_to_email(&codat.client()?, company).await?;
//!
//! assert_eq!(links.len(), 1);
//! assert!(links[0].path().contains(&expired.to_string()));
//! assert_eq!(codat.requests().len(), 2, "rate-limited once, then served");
//! # Ok(()) }
//! ```

//! # From any language
//!
//! The `codat-mock` program serves a mock on an address of its own; its
//! HTTP control API, under `/_mock` and described by
//! `openapi/mock-control.json`, is these same controls (seed, statuses, a
//! link failure, faults (a broken compressed body too), a rate limit,
//! latency, compression on or off, webhooks and their faults, the requests
//! and deliveries, [`reset`](MockCodat::reset)), for a test that is not
//! written in Rust. Control calls need no API key, are not recorded, and no
//! fault or rate limit applies to them.

mod codat;
mod controls;

pub use codat::state::ReceivedRequest;
pub use codat::webhooks::{DeliveryOutcome, MAX_DELIVERY_ATTEMPTS, WebhookDelivery, WebhookFault};
pub use controls::faults::Fault;
pub use controls::seed::{Seed, SeedCompany, SeedConnection};

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::{Client, Error};

/// The API key the mock accepts.
pub const MOCK_API_KEY: &str = "mock-codat-api-key";

/// The longest the mock holds an answer back or counts a rate-limit
/// window: one hour, as its HTTP control API allows. A longer latency
/// ([`MockCodat::set_latency`]), [`Fault::Delay`] or window
/// ([`MockCodat::enforce_rate_limit_per`]), up to [`Duration::MAX`], counts
/// as this.
pub const MAX_DELAY: Duration = Duration::from_secs(60 * 60);

/// How many connections may wait to be accepted (the kernel caps it at
/// `net.core.somaxconn`, 4,096 by default).
const LISTEN_BACKLOG: u32 = 4096;

/// A running mock Codat, listening on `127.0.0.1` on a free port. It stops
/// when dropped.
#[derive(Debug)]
pub struct MockCodat {
    base_url: String,
    state: Arc<Mutex<codat::state::State>>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockCodat {
    /// Starts a mock with no companies, accepting [`MOCK_API_KEY`], on a
    /// free port of `127.0.0.1`.
    pub async fn start() -> std::io::Result<Self> {
        Self::start_at((std::net::Ipv4Addr::LOCALHOST, 0).into()).await
    }

    /// Starts a mock with no companies, accepting [`MOCK_API_KEY`], on
    /// `address` (port 0: a free one). The `codat-mock` program serves one
    /// this way for clients in any language. Fails when the address cannot
    /// be bound, or (`InvalidData`) when the mock cannot read the document
    /// the client was generated from as its contract.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let address = "127.0.0.1:0".parse()?;
    /// let mock = codat_connections::mock::MockCodat::start_at(address).await?;
    /// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
    /// # Ok(()) }
    /// ```
    pub async fn start_at(address: std::net::SocketAddr) -> std::io::Result<Self> {
        let contract = codat::contract::Contract::shared().map_err(|why| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("the mock cannot read the document the client was generated from: {why}"),
            )
        })?;
        // A burst of connections larger than tokio's default backlog of
        // 1,024 waits in the queue instead of being dropped (and retried by
        // the kernel a second later).
        let socket = match address {
            std::net::SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
            std::net::SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
        };
        // As `TcpListener::bind` does: a port just given up can be taken
        // again at once.
        socket.set_reuseaddr(true)?;
        socket.bind(address)?;
        let listener = socket.listen(LISTEN_BACKLOG)?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(Mutex::new(codat::state::State::new(
            base_url.clone(),
            contract,
        )));
        let (shutdown, stopped) = oneshot::channel();
        let app = codat::server::router(state.clone(), base_url.clone());
        let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
            // Answers go out at once, as from a real server, not after a
            // Nagle delay.
            let _ = tcp.set_nodelay(true);
        });
        tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(err) = serve.await {
                tracing::warn!(error = %err, "mock Codat stopped");
            }
        });
        Ok(Self {
            base_url,
            state,
            shutdown: Some(shutdown),
        })
    }

    /// The base URL to point a client at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client for this mock, with the key it accepts and no pace of its
    /// own (the mock has no rate limit unless given one), so that tests run
    /// as fast as the mock answers. [`client_builder`](Self::client_builder)
    /// gives one with the default pace, to set other settings.
    pub fn client(&self) -> Result<Client, Error> {
        self.client_builder().requests_per_minute(None).build()
    }

    /// A builder for a client of this mock: its base URL and key, and
    /// otherwise [`Client::builder`]'s defaults (Codat's pace included).
    pub fn client_builder(&self) -> crate::ClientBuilder {
        Client::builder(MOCK_API_KEY).base_url(&self.base_url)
    }

    /// The controls of the mock serving `state` at `base_url`, for its HTTP
    /// control API (`controls/api.rs`): the same controls as a test's, on a
    /// handle that does not stop the mock when dropped.
    fn handle(base_url: String, state: Arc<Mutex<codat::state::State>>) -> Self {
        Self {
            base_url,
            state,
            shutdown: None,
        }
    }

    /// The state, for the controls (`controls.rs`) as for the server.
    fn state(&self) -> MutexGuard<'_, codat::state::State> {
        // A panicking test thread must not hide the state from the others.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for MockCodat {
    fn drop(&mut self) {
        // Only the mock itself stops it; a control API's handle does not.
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
            self.state().webhooks.close();
        }
    }
}
