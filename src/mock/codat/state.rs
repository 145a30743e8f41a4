//! What the mock knows: Codat's companies and their connections, the
//! requests it received, and what a test told it to do to the next ones.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use axum::http::header;
use base64::Engine as _;
use serde_json::{Value, json};

use super::contract::Contract;
use super::idempotency::Keys;
use super::rate_limit::RateWindow;
use super::webhooks::Outbox;
use crate::mock::controls::faults::Fault;
use crate::raw::types::Connection;
use crate::{CompanyId, ConnectionId, ConnectionStatus, DateTime, PlatformKey, SourceType};

/// A request the mock received; see [`MockCodat::requests`](crate::mock::MockCodat::requests).
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

/// A company the mock holds, and its connections.
#[derive(Debug, Clone)]
pub(in crate::mock) struct MockCompany {
    pub(in crate::mock) name: String,
    pub(in crate::mock) description: Option<String>,
    pub(in crate::mock) tags: BTreeMap<String, String>,
    pub(in crate::mock) created: chrono::DateTime<chrono::Utc>,
    pub(in crate::mock) connections: BTreeMap<ConnectionId, Connection>,
}

impl MockCompany {
    /// A company named `name`, created now, with no tags or connections.
    pub(in crate::mock) fn named(name: String) -> Self {
        Self {
            name,
            description: None,
            tags: BTreeMap::new(),
            created: chrono::Utc::now(),
            connections: BTreeMap::new(),
        }
    }
}

/// Everything the mock knows.
#[derive(Debug)]
pub(in crate::mock) struct State {
    base_url: String,
    pub(in crate::mock) companies: BTreeMap<CompanyId, MockCompany>,
    /// How many companies `create-company` made.
    pub(in crate::mock) companies_created: u64,
    pub(in crate::mock) received: Vec<ReceivedRequest>,
    pub(in crate::mock) faults: VecDeque<Fault>,
    pub(in crate::mock) latency: Duration,
    /// Whether answers are gzipped for a request that accepts gzip.
    pub(in crate::mock) compression: bool,
    pub(in crate::mock) rate: RateWindow,
    /// The `Idempotency-Key`s seen, and their answers.
    pub(in crate::mock) idempotency: Keys,
    pub(in crate::mock) contract: &'static Contract,
    /// The `Authorization` value the mock's key makes, marked sensitive so
    /// that `Debug` does not show it.
    pub(in crate::mock) authorization: header::HeaderValue,
    /// The connection webhooks to send.
    pub(in crate::mock) webhooks: Outbox,
}

impl State {
    pub(in crate::mock) fn new(base_url: String, contract: &'static Contract) -> Self {
        Self {
            base_url,
            companies: BTreeMap::new(),
            companies_created: 0,
            received: Vec::new(),
            faults: VecDeque::new(),
            latency: Duration::ZERO,
            compression: true,
            rate: RateWindow::default(),
            idempotency: Keys::default(),
            contract,
            authorization: expected_authorization(),
            webhooks: Default::default(),
        }
    }

    /// Sends the connection webhook `event_type` for `connection`, when a
    /// test registered an endpoint.
    pub(in crate::mock) fn announce(
        &self,
        event_type: &'static str,
        company: CompanyId,
        connection: &Connection,
    ) {
        let name = self.companies.get(&company).map_or("", |c| c.name.as_str());
        self.webhooks
            .connection_event(event_type, company, name, connection, &self.base_url);
    }

    /// A company as Codat answers with it (`get-company`, and each item of
    /// `list-companies`): its details, its `redirect` link and its
    /// connections.
    pub(in crate::mock) fn company_json(&self, id: CompanyId, company: &MockCompany) -> Value {
        let mut json = json!({
            "id": id,
            "name": company.name,
            "redirect": format!("{}/link/company/{id}", self.base_url),
            "created": DateTime::Utc(company.created),
            "products": [],
            "tags": company.tags,
            "referenceSubsidiaryCompanies": [],
            "dataConnections": company.connections.values().collect::<Vec<_>>(),
        });
        if let Some(description) = &company.description {
            json["description"] = json!(description);
        }
        json
    }

    /// A new connection as Codat makes one, or what keeps the document's
    /// `Connection` from holding it.
    pub(in crate::mock) fn new_connection(
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

/// The `Authorization` header a client of [`MOCK_API_KEY`](crate::mock::MOCK_API_KEY)
/// sends.
fn expected_authorization() -> header::HeaderValue {
    let text = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(crate::mock::MOCK_API_KEY)
    );
    // Base64 of a constant is always a valid header value.
    let mut value =
        header::HeaderValue::from_str(&text).unwrap_or(header::HeaderValue::from_static(""));
    value.set_sensitive(true);
    value
}
