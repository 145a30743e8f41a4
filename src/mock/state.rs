//! What the mock knows: Codat's companies and their connections, the
//! requests it received, and what a test told it to do to the next ones.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use axum::http::header;
use base64::Engine as _;
use serde_json::json;

use super::contract::Contract;
use super::faults::Fault;
use super::idempotency::Keys;
use super::rate_limit::RateWindow;
use super::webhooks::Outbox;
use crate::raw::types::Connection;
use crate::{CompanyId, ConnectionId, ConnectionStatus, DateTime, PlatformKey, SourceType};

/// A request the mock received; see [`MockCodat::requests`](super::MockCodat::requests).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// The method, such as `GET`.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, when there was one.
    pub query: Option<String>,
    /// The headers, but for `Authorization`.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl ReceivedRequest {
    /// The request's `Idempotency-Key`, when it sent one.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mock = codat_connections::mock::MockCodat::start().await?;
    /// let company = mock.add_company();
    /// mock.client()?.connections().create(company, "gbol").await?;
    /// let create = mock.requests().pop().unwrap();
    /// assert!(create.idempotency_key().is_some());
    /// # Ok(()) }
    /// ```
    pub fn idempotency_key(&self) -> Option<&str> {
        self.headers
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case("idempotency-key"))
            .map(|(_, value)| value.as_str())
    }
}

/// Everything the mock knows.
#[derive(Debug)]
pub(super) struct State {
    base_url: String,
    pub(super) companies: BTreeMap<CompanyId, BTreeMap<ConnectionId, Connection>>,
    pub(super) received: Vec<ReceivedRequest>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) latency: Duration,
    pub(super) rate: RateWindow,
    /// The `Idempotency-Key`s seen, and their answers.
    pub(super) idempotency: Keys,
    pub(super) contract: &'static Contract,
    /// The `Authorization` value the mock's key makes, marked sensitive so
    /// that `Debug` does not show it.
    pub(super) authorization: header::HeaderValue,
    /// The connection webhooks to send.
    pub(super) webhooks: Outbox,
}

impl State {
    pub(super) fn new(base_url: String) -> Self {
        Self {
            base_url,
            companies: BTreeMap::new(),
            received: Vec::new(),
            faults: VecDeque::new(),
            latency: Duration::ZERO,
            rate: RateWindow::default(),
            idempotency: Keys::default(),
            contract: Contract::shared(),
            authorization: expected_authorization(),
            webhooks: Default::default(),
        }
    }

    /// Sends the connection webhook `event_type` for `connection`, when a
    /// test registered an endpoint.
    pub(super) fn announce(
        &self,
        event_type: &'static str,
        company: CompanyId,
        connection: &Connection,
    ) {
        self.webhooks
            .connection_event(event_type, company, connection, &self.base_url);
    }

    /// A new connection as Codat makes one, or what keeps the document's
    /// `Connection` from holding it.
    pub(super) fn new_connection(
        &self,
        company: CompanyId,
        id: ConnectionId,
        platform_key: PlatformKey,
        status: ConnectionStatus,
    ) -> Result<Connection, String> {
        // Written as Codat sends it and decoded, so that a field the document
        // adds is simply absent here, as in an answer from Codat.
        serde_json::from_value(json!({
            "id": id,
            "integrationId": uuid::Uuid::new_v4(),
            "integrationKey": platform_key,
            "sourceId": uuid::Uuid::new_v4(),
            "sourceType": SourceType::Accounting,
            "platformName": format!("Platform {platform_key}"),
            "linkUrl": format!(
                "{}/link/companies/{company}/connections/{id}/start",
                self.base_url
            ),
            "status": status,
            "created": DateTime::Utc(chrono::Utc::now()),
        }))
        .map_err(|err| format!("the mock's connection is not a Connection of the document: {err}"))
    }
}

/// The `Authorization` header a client of [`MOCK_API_KEY`](super::MOCK_API_KEY)
/// sends.
fn expected_authorization() -> header::HeaderValue {
    let text = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(super::MOCK_API_KEY)
    );
    // Base64 of a constant is always a valid header value.
    let mut value =
        header::HeaderValue::from_str(&text).unwrap_or(header::HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}
