//! The controls: how a test arranges the mock's Codat (companies,
//! connections and their statuses, faults, a rate limit, latency,
//! compression, a webhook endpoint) and reads back what reached it. The
//! Rust controls are the methods here; `api` serves the same over HTTP
//! under `/_mock` (its wire types in `wire`), for clients in any language;
//! `faults` and `seed` are what both arrange.

pub(in crate::mock) mod api;
pub(in crate::mock) mod faults;
pub(in crate::mock) mod seed;
pub(in crate::mock) mod wire;

use self::seed::Seed;
use crate::mock::codat::state::{MockCompany, State};
use crate::mock::codat::webhooks::{self, WebhookDelivery, WebhookFault};
use crate::mock::{Fault, MockCodat, ReceivedRequest};
use crate::raw::types::Connection;
use crate::{CompanyId, ConnectionId, ConnectionStatus, PlatformKey};

impl MockCodat {
    /// Adds a company (named `Mock company N`) and returns its ID.
    pub fn add_company(&self) -> CompanyId {
        let id = CompanyId::from_uuid(uuid::Uuid::new_v4());
        let mut state = self.state();
        let name = format!("Mock company {}", state.companies.len() + 1);
        state.companies.insert(id, MockCompany::named(name));
        id
    }

    /// How many companies `create-company` made (the controls' companies
    /// are not counted): a test of code that must never create a company
    /// (Codat charges for each) asserts it stays 0.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codat = codat_connections::mock::MockCodat::start().await?;
    /// codat.add_company();
    /// assert_eq!(codat.companies_created(), 0);
    /// codat.client()?.companies().create("Technicalium").await?;
    /// assert_eq!(codat.companies_created(), 1);
    /// # Ok(()) }
    /// ```
    pub fn companies_created(&self) -> u64 {
        self.state().companies_created
    }

    /// Adds `count` companies, each with the connections `connections`
    /// gives for its index (platform key and status), for portfolio-sized
    /// tests such as a sweep; returns their IDs in order.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codat_connections::mock::MockCodat;
    /// use codat_connections::ConnectionStatus;
    ///
    /// let codat = MockCodat::start().await?;
    /// let gbol = "gbol".parse()?;
    /// let companies = codat.add_companies(2_000, |i| {
    ///     let status = if i % 10 == 0 { ConnectionStatus::Deauthorized } else { ConnectionStatus::Linked };
    ///     vec![(gbol, status); i % 3 + 1]
    /// });
    /// assert_eq!(companies.len(), 2_000);
    /// codat.set_latency(std::time::Duration::from_millis(20));
    /// # Ok(()) }
    /// ```
    pub fn add_companies(
        &self,
        count: usize,
        mut connections: impl FnMut(usize) -> Vec<(PlatformKey, ConnectionStatus)>,
    ) -> Vec<CompanyId> {
        (0..count)
            .map(|index| {
                let company = self.add_company();
                for (key, status) in connections(index) {
                    self.add_connection(company, key, status);
                }
                company
            })
            .collect()
    }

    /// Adds everything `seed` holds; returns the companies' IDs in order.
    /// A seed that uses an ID the mock already has adds nothing.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codat_connections::mock::{MockCodat, Seed};
    ///
    /// let mock = MockCodat::start().await?;
    /// let seed = Seed::from_json(r#"{"companies": [{"connections": [{"platformKey": "gbol", "status": "Deauthorized"}]}]}"#)?;
    /// let companies = mock.seed(&seed)?;
    /// let listed = mock.client()?.connections().list(companies[0]).await?;
    /// assert_eq!(listed.total_results, 1);
    /// # Ok(()) }
    /// ```
    pub fn seed(&self, seed: &Seed) -> Result<Vec<CompanyId>, String> {
        seed.check()?;
        {
            let state = self.state();
            for company in &seed.companies {
                if let Some(id) = company.id.filter(|id| state.companies.contains_key(id)) {
                    return Err(format!("the mock already has the company {id}"));
                }
                let taken = company.connections.iter().filter_map(|c| c.id).find(|id| {
                    let held = state.companies.values();
                    held.into_iter()
                        .any(|held| held.connections.contains_key(id))
                });
                if let Some(id) = taken {
                    return Err(format!("the mock already has the connection {id}"));
                }
            }
        }
        let mut ids = Vec::new();
        for company in &seed.companies {
            let id = company
                .id
                .unwrap_or_else(|| CompanyId::from_uuid(uuid::Uuid::new_v4()));
            {
                let mut state = self.state();
                let name = company
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("Mock company {}", state.companies.len() + 1));
                let held = state
                    .companies
                    .entry(id)
                    .or_insert_with(|| MockCompany::named(name));
                held.description = company.description.clone();
                held.tags = company.tags.clone();
            }
            for connection in &company.connections {
                self.insert_connection(
                    id,
                    connection.id,
                    connection.platform_key,
                    connection.status.clone(),
                )?;
            }
            ids.push(id);
        }
        Ok(ids)
    }

    /// Adds a connection with the given status to an existing company, as
    /// if it had been created and linked earlier.
    ///
    /// # Panics
    /// If the company does not exist in the mock (a mistake in the test), or
    /// if the document's `Connection` can no longer hold the connections the
    /// mock makes (a change of the document the mock must follow).
    pub fn add_connection(
        &self,
        company: CompanyId,
        platform_key: PlatformKey,
        status: ConnectionStatus,
    ) -> ConnectionId {
        self.insert_connection(company, None, platform_key, status)
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// Adds a connection, with the ID `id` or a fresh one, or says why the
    /// mock cannot hold it (no such company, or a document whose
    /// `Connection` cannot hold the mock's connections).
    fn insert_connection(
        &self,
        company: CompanyId,
        id: Option<ConnectionId>,
        platform_key: PlatformKey,
        status: ConnectionStatus,
    ) -> Result<ConnectionId, String> {
        let mut state = self.state();
        let id = id.unwrap_or_else(|| ConnectionId::from_uuid(uuid::Uuid::new_v4()));
        let connection = state.new_connection(company, id, platform_key, status)?;
        state
            .companies
            .get_mut(&company)
            .ok_or_else(|| format!("mock Codat has no company {company}"))?
            .connections
            .insert(id, connection);
        Ok(id)
    }

    /// Moves a connection to `status`, as Codat's Link flow (`Linked`), the
    /// platform (`Deauthorized`) or the end user (`Unlinked`) would.
    ///
    /// # Panics
    /// If the connection does not exist in the mock (a mistake in the test).
    pub fn set_status(
        &self,
        company: CompanyId,
        connection: ConnectionId,
        status: ConnectionStatus,
    ) {
        self.try_set_status(company, connection, status)
            .unwrap_or_else(|message| panic!("{message}"));
    }

    /// [`set_status`](Self::set_status), or why not: the control API's
    /// road, where a connection the mock lacks is the caller's 404.
    pub(in crate::mock) fn try_set_status(
        &self,
        company: CompanyId,
        connection: ConnectionId,
        status: ConnectionStatus,
    ) -> Result<(), String> {
        let mut state = self.state();
        let found = existing(&mut state, company, connection)?;
        let changed = webhooks::status_event(&found.status, &status);
        found.status = status;
        if let Some(event_type) = changed {
            let connection = found.clone();
            state.announce(event_type, company, &connection);
        }
        Ok(())
    }

    /// Forgets everything: companies and connections, the requests
    /// received, queued faults, the rate limit, the latency, compression
    /// turned off (it is on again), the `Idempotency-Key`s seen, and the
    /// webhook endpoint with its faults and deliveries (what was still queued
    /// is not sent). The base URL stays.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codat = codat_connections::mock::MockCodat::start().await?;
    /// let company = codat.add_company();
    /// codat.reset();
    /// assert!(codat.client()?.connections().list(company).await.is_err(), "no such company");
    /// # Ok(()) }
    /// ```
    pub fn reset(&self) {
        let mut state = self.state();
        state.webhooks.close();
        *state = State::new(self.base_url.clone(), state.contract);
    }

    /// The number of requests the mock has received.
    pub fn request_count(&self) -> usize {
        self.state().received.len()
    }

    /// Every request received so far, oldest first (the `Authorization`
    /// header left out).
    pub fn requests(&self) -> Vec<ReceivedRequest> {
        self.state().received.clone()
    }

    /// Forgets the requests received so far (the log grows with every
    /// request; a long-running test can keep it small).
    pub fn clear_requests(&self) {
        self.state().received.clear();
    }

    /// Answers the next `times` requests with `fault` instead of Codat's
    /// behaviour (after any faults already queued).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codat_connections::mock::{Fault, MockCodat};
    ///
    /// let codat = MockCodat::start().await?;
    /// let company = codat.add_company();
    /// codat.inject(Fault::Status { status: 503, retry_after: None }, 2);
    /// // The client retries the two 503s, then succeeds.
    /// let page = codat.client()?.connections().list(company).await?;
    /// assert_eq!(codat.request_count(), 3);
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault, times: usize) {
        let mut state = self.state();
        state.faults.extend(std::iter::repeat_n(fault, times));
    }

    /// Refuses requests over `per_minute` in each minute with a 429 and a
    /// `Retry-After` (whole seconds until the minute ends), as Codat does;
    /// the `X-Rate-Limit-*` headers of every answer count down to it. The
    /// minutes run on tokio's clock, from the first request.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codat_connections::mock::MockCodat;
    ///
    /// let codat = MockCodat::start().await?;
    /// let company = codat.add_company();
    /// codat.enforce_rate_limit(2);
    /// let client = codat.client()?;
    /// client.connections().list(company).await?;
    /// assert_eq!(client.rate_limit().and_then(|r| r.remaining), Some(1));
    /// # Ok(()) }
    /// ```
    pub fn enforce_rate_limit(&self, per_minute: u64) {
        self.enforce_rate_limit_per(per_minute, std::time::Duration::from_secs(60));
    }

    /// As [`enforce_rate_limit`](Self::enforce_rate_limit), counting in
    /// windows of `window` instead of a minute: a limit scaled down (200 a
    /// second for Codat's 12,000 a minute) keeps a load test short. The
    /// first window starts with the next request. `window` is clamped to
    /// between a millisecond and [`MAX_DELAY`](crate::mock::MAX_DELAY) (an hour).
    pub fn enforce_rate_limit_per(&self, limit: u64, window: std::time::Duration) {
        self.state().rate.set(limit, window);
    }

    /// How many requests the rate limit refused with a 429 so far.
    pub fn rate_limited_count(&self) -> u64 {
        self.state().rate.refused
    }

    /// Delays every answer by `latency`, like a distant server; clamped to
    /// [`MAX_DELAY`](crate::mock::MAX_DELAY) (an hour).
    pub fn set_latency(&self, latency: std::time::Duration) {
        self.state().latency = latency.min(crate::mock::MAX_DELAY);
    }

    /// Whether answers are gzipped for a request whose `Accept-Encoding`
    /// allows it (the default; this crate's client asks), as a server that
    /// compresses does. Turned off, every answer goes out as it is, until
    /// it is turned on again or [`reset`](Self::reset). For a compressed
    /// body that is broken, see [`Fault::Encoded`].
    pub fn set_compression(&self, compression: bool) {
        self.state().compression = compression;
    }

    /// From now on, sends Codat's connection webhooks to `url`, signed with
    /// `secret` (`whsec_` and base64, as Codat's portal shows it): creating a
    /// connection (`connection.created`), [`set_status`](Self::set_status)
    /// to `Linked` (`connection.connected`, or `connection.reconnected` after
    /// a disconnection) or to `Deauthorized`/`Unlinked` and unlinking
    /// (`connection.disconnected`), and deleting (`connection.deleted`).
    /// Connections added with [`add_connection`](Self::add_connection) send
    /// nothing. Events are sent in order, one at a time; one the endpoint does
    /// not answer 2xx is attempted [`MAX_DELIVERY_ATTEMPTS`](crate::mock::MAX_DELIVERY_ATTEMPTS) times.
    ///
    /// Call it inside the tokio runtime the mock runs on.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use codat_connections::mock::MockCodat;
    /// use codat_connections::ConnectionStatus;
    ///
    /// let codat = MockCodat::start().await?;
    /// let company = codat.add_company();
    /// let connection = codat.add_connection(company, "gbol".parse()?, ConnectionStatus::Linked);
    /// // Nobody listens on this port: the delivery fails, and is recorded.
    /// codat.send_webhooks_to("http://127.0.0.1:9/".parse()?, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// codat.set_status(company, connection, ConnectionStatus::Deauthorized);
    /// let deliveries = codat.wait_for_webhook_deliveries(1).await;
    /// assert_eq!(deliveries[0].event_type, "connection.disconnected");
    /// assert!(!deliveries[0].outcome.is_accepted());
    /// # Ok(()) }
    /// ```
    pub fn send_webhooks_to(
        &self,
        url: crate::Url,
        secret: &str,
    ) -> Result<(), crate::webhooks::WebhookError> {
        let outbox = self.state().webhooks.clone();
        outbox.register(url, secret)
    }

    /// Sends `connection.failed` for a connection, as Codat does when a
    /// customer's attempt to link it fails; its status does not change.
    ///
    /// # Panics
    /// If the connection does not exist in the mock (a mistake in the test).
    pub fn fail_linking(&self, company: CompanyId, connection: ConnectionId) {
        self.try_fail_linking(company, connection)
            .unwrap_or_else(|message| panic!("{message}"));
    }

    /// [`fail_linking`](Self::fail_linking), or why not.
    pub(in crate::mock) fn try_fail_linking(
        &self,
        company: CompanyId,
        connection: ConnectionId,
    ) -> Result<(), String> {
        let mut state = self.state();
        let found = existing(&mut state, company, connection)?.clone();
        state.announce("connection.failed", company, &found);
        Ok(())
    }

    /// Does `fault` to the next `times` webhook deliveries (after any faults
    /// already queued).
    pub fn inject_webhook_fault(&self, fault: WebhookFault, times: usize) {
        let outbox = self.state().webhooks.clone();
        outbox.inject(fault, times);
    }

    /// Every attempt to deliver a webhook so far, oldest first.
    pub fn webhook_deliveries(&self) -> Vec<WebhookDelivery> {
        let outbox = self.state().webhooks.clone();
        outbox.deliveries()
    }

    /// Waits until at least `count` delivery attempts were made (for at most
    /// five seconds of real time, whatever tokio's clock says), and returns
    /// all of them.
    pub async fn wait_for_webhook_deliveries(&self, count: usize) -> Vec<WebhookDelivery> {
        let started = std::time::Instant::now();
        loop {
            let deliveries = self.webhook_deliveries();
            if deliveries.len() >= count || started.elapsed() > std::time::Duration::from_secs(5) {
                return deliveries;
            }
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
    }
}

/// The connection a control names, or why the mock has none: a test naming
/// one the mock lacks is wrong (the Rust controls panic with this message,
/// the control API answers 404 with it).
fn existing(
    state: &mut State,
    company: CompanyId,
    connection: ConnectionId,
) -> Result<&mut Connection, String> {
    state
        .companies
        .get_mut(&company)
        .and_then(|held| held.connections.get_mut(&connection))
        .ok_or_else(|| format!("mock Codat has no connection {connection} in {company}"))
}
