//! The shipped mock, set up the way the tests need it: a company with
//! connections, answers the mock gives instead of Codat's, and what it
//! received.

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{Client, CompanyId, ConnectionId, ConnectionStatus, ListConnections};
use serde_json::{Value, json};

use super::fixtures::{connection_json, gbol};

/// A running mock, one company of it, that company's connections, and a
/// client of the mock.
pub struct MockCompany {
    pub codat: MockCodat,
    pub company: CompanyId,
    pub connections: Vec<ConnectionId>,
    pub client: Client,
}

impl MockCompany {
    /// The listing of the company's connections.
    pub fn list(&self) -> ListConnections<'_> {
        self.client.connections().list(self.company)
    }
}

/// Starts a mock with one company holding a connection in each of
/// `statuses`. Keep the value whole (rather than take it apart with `..`):
/// the mock stops when it is dropped.
pub async fn mock_company(statuses: &[ConnectionStatus]) -> MockCompany {
    let codat = MockCodat::start().await.expect("the mock starts");
    let (company, connections) = codat.company_with(statuses);
    let client = codat.client().expect("the mock's client builds");
    MockCompany {
        codat,
        company,
        connections,
        client,
    }
}

/// Starts a mock with one company holding `count` `Linked` connections.
pub async fn mock_company_linked(count: usize) -> MockCompany {
    mock_company(&vec![ConnectionStatus::Linked; count]).await
}

/// What the tests ask of a running mock, beyond its own API.
pub trait MockSetup {
    /// A new company with one connection (on Codat's sandbox platform) in
    /// each of `statuses`; the company and the connections, in that order.
    fn company_with(&self, statuses: &[ConnectionStatus]) -> (CompanyId, Vec<ConnectionId>);

    /// A new company with `count` `Linked` connections.
    fn company_with_linked(&self, count: usize) -> (CompanyId, Vec<ConnectionId>) {
        self.company_with(&vec![ConnectionStatus::Linked; count])
    }

    /// Answers the next requests with `answers`, one each, in order.
    fn answer_with(&self, answers: Vec<Fault>);

    /// How many requests with `method` the mock received.
    fn received(&self, method: &str) -> usize;
}

impl MockSetup for MockCodat {
    fn company_with(&self, statuses: &[ConnectionStatus]) -> (CompanyId, Vec<ConnectionId>) {
        let company = self.add_company();
        let ids = statuses
            .iter()
            .map(|status| self.add_connection(company, gbol(), status.clone()))
            .collect();
        (company, ids)
    }

    fn answer_with(&self, answers: Vec<Fault>) {
        for answer in answers {
            self.inject(answer, 1);
        }
    }

    fn received(&self, method: &str) -> usize {
        self.requests()
            .iter()
            .filter(|r| r.method == method)
            .count()
    }
}

/// An answer of 200 with `body` as JSON, whatever was asked.
pub fn json_answer(body: &Value) -> Fault {
    json_bytes_answer(body.to_string().as_bytes())
}

/// An answer of 200, labelled JSON, with exactly these bytes (which need
/// not be JSON at all).
pub fn json_bytes_answer(body: &[u8]) -> Fault {
    Fault::Respond {
        status: 200,
        content_type: "application/json".into(),
        body: body.to_vec(),
    }
}

/// An answer of `status` with Codat's error body, and `Retry-After` when given.
pub fn status_answer(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    }
}

/// Codat's example connection (`connection_json`), with another `id`.
pub fn connection_with_id(id: &str, status: &str) -> Value {
    let mut connection = connection_json(status);
    connection["id"] = json!(id);
    connection
}

/// The `Authorization` header the mock accepts, for hand-made requests.
pub fn mock_authorization() -> String {
    use base64::Engine as _;
    let key = codat_connections::mock::MOCK_API_KEY;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}

/// The IDs of every connection of `listing`, page after page, in order.
pub async fn ids_of(listing: ListConnections<'_>) -> Vec<ConnectionId> {
    let connections = listing.collect_all().await.expect("the listing succeeds");
    connections.into_iter().map(|c| c.id).collect()
}
