//! The six Connections operations as openapi/connections.json documents them
//! (method, path, statuses and answers, found by `operationId`), how a test
//! calls each one, and a stand-in Codat that answers one operation and shows
//! what it was sent.
//!
//! Nothing here repeats a fact of the document: when Codat moves a path or
//! changes a method, the regenerated client and these tests follow it
//! together, and what crosses the wire is still checked against the document.

use std::collections::HashMap;

use codat_connections::{Client, Connection, ConnectionStatus, Error, ListConnections};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::fixtures::{AUTHORIZATION, COMPANY, CONNECTION, connection_json, page_json};

/// A Connections operation, known by its `operationId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    List,
    Create,
    Get,
    Delete,
    Unlink,
    UpdateAuthorization,
}

impl Operation {
    pub const ALL: [Operation; 6] = [
        Operation::List,
        Operation::Create,
        Operation::Get,
        Operation::Delete,
        Operation::Unlink,
        Operation::UpdateAuthorization,
    ];

    /// The `operationId` the document knows it by.
    pub fn id(self) -> &'static str {
        match self {
            Operation::List => "list-connections",
            Operation::Create => "create-connection",
            Operation::Get => "get-connection",
            Operation::Delete => "delete-connection",
            Operation::Unlink => "unlink-connection",
            Operation::UpdateAuthorization => "update-connection-authorization",
        }
    }

    /// The documented path template, method (as the document writes it, in
    /// lower case) and operation object.
    fn documented(self) -> (&'static str, &'static str, &'static Value) {
        super::schema::connections_document()["paths"]
            .as_object()
            .into_iter()
            .flatten()
            .flat_map(|(template, item)| {
                let methods = item.as_object().into_iter().flatten();
                methods
                    .map(move |(method, operation)| (template.as_str(), method.as_str(), operation))
            })
            .find(|(_, _, operation)| operation["operationId"] == self.id())
            .unwrap_or_else(|| panic!("openapi/connections.json has no `{}`", self.id()))
    }

    /// The documented HTTP method, as it crosses the wire (`GET`).
    pub fn method(self) -> String {
        self.documented().1.to_uppercase()
    }

    /// The documented path, for `COMPANY` and `CONNECTION`.
    pub fn path(self) -> String {
        self.documented()
            .0
            .replace("{companyId}", COMPANY)
            .replace("{connectionId}", CONNECTION)
    }

    /// The error statuses (400 and up) the document lists for the operation.
    pub fn error_statuses(self) -> Vec<u16> {
        let responses = self.documented().2["responses"].as_object();
        let statuses = responses.into_iter().flatten().map(|(status, _)| status);
        statuses
            .filter_map(|status| status.parse().ok())
            .filter(|status| *status >= 400)
            .collect()
    }

    /// The documented success, `200`.
    fn success_documented(self) -> &'static Value {
        &self.documented().2["responses"]["200"]
    }

    /// Whether the documented success has a JSON body.
    pub fn answers_json(self) -> bool {
        self.success_documented()
            .pointer("/content/application~1json")
            .is_some()
    }

    /// The first example the document gives of the success's body.
    pub fn example(self) -> Option<Value> {
        let examples = self
            .success_documented()
            .pointer("/content/application~1json/examples")?;
        let first = examples.as_object()?.values().next()?;
        first.get("value").cloned()
    }

    /// A success as Codat sends it: Codat's example connection with
    /// `status`, alone or on a page, or no body where none is documented.
    pub fn success(self, status: &str) -> ResponseTemplate {
        match self {
            _ if !self.answers_json() => ResponseTemplate::new(200),
            Operation::List => {
                let mut page = page_json();
                page["results"] = serde_json::json!([connection_json(status)]);
                ResponseTemplate::new(200).set_body_json(page)
            }
            _ => ResponseTemplate::new(200).set_body_json(connection_json(status)),
        }
    }

    /// Calls the operation as most tests do (`Call::of`).
    pub async fn run(self, client: &Client) -> Result<Vec<Connection>, Error> {
        Call::of(self).run(client).await
    }
}

/// Settings of `list` (`|l| l.page_size(50)`).
pub type ListSettings = fn(ListConnections<'_>) -> ListConnections<'_>;

/// One call of an operation, with its arguments.
#[derive(Debug, Clone)]
pub enum Call {
    /// `list`, with the settings the function makes.
    List(ListSettings),
    Create(&'static str),
    Get,
    Delete,
    Unlink,
    UpdateAuthorization(&'static [(&'static str, &'static str)]),
}

impl Call {
    /// The call most tests make of `operation`.
    pub fn of(operation: Operation) -> Call {
        match operation {
            Operation::List => Call::List(|list| list),
            Operation::Create => Call::Create("gbol"),
            Operation::Get => Call::Get,
            Operation::Delete => Call::Delete,
            Operation::Unlink => Call::Unlink,
            Operation::UpdateAuthorization => Call::UpdateAuthorization(&[("key", "value")]),
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            Call::List(_) => Operation::List,
            Call::Create(_) => Operation::Create,
            Call::Get => Operation::Get,
            Call::Delete => Operation::Delete,
            Call::Unlink => Operation::Unlink,
            Call::UpdateAuthorization(_) => Operation::UpdateAuthorization,
        }
    }

    /// Makes the call for `COMPANY` (and `CONNECTION`): the connections the
    /// answer holds (a page's results, or the one connection; none for a
    /// deletion).
    pub async fn run(&self, client: &Client) -> Result<Vec<Connection>, Error> {
        let connections = client.connections();
        match self {
            Call::List(settings) => settings(connections.list(COMPANY))
                .await
                .map(|page| page.results),
            Call::Create(platform_key) => connections
                .create(COMPANY, *platform_key)
                .await
                .map(|c| vec![c]),
            Call::Get => connections.get(COMPANY, CONNECTION).await.map(|c| vec![c]),
            Call::Delete => connections
                .delete(COMPANY, CONNECTION)
                .await
                .map(|()| Vec::new()),
            Call::Unlink => connections
                .unlink(COMPANY, CONNECTION)
                .await
                .map(|c| vec![c]),
            Call::UpdateAuthorization(pairs) => {
                let map: HashMap<String, String> = pairs
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect();
                connections
                    .update_authorization(COMPANY, CONNECTION, &map)
                    .await
                    .map(|c| vec![c])
            }
        }
    }
}

/// A stand-in Codat that answers `operation`'s documented method and path
/// with `answer`, and anything else with 404.
pub async fn serve(operation: Operation, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(operation.method().as_str()))
        .and(path(operation.path()))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// The one request `server` received; fails if there were more or fewer.
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    let seen: Vec<String> = requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url))
        .collect();
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {seen:?}"
    );
    requests.remove(0)
}

/// Checks that `request` is `operation` as the document has it.
pub fn assert_is_documented(request: &Request, operation: Operation) {
    assert_eq!(
        (request.method.as_str(), request.url.path()),
        (operation.method().as_str(), operation.path().as_str()),
        "{operation:?}"
    );
}

pub fn header_of<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

/// Checks the query's names and values, decoded, in the order they were sent.
pub fn assert_query(request: &Request, expected: &[(&str, &str)]) {
    let pairs = request.url.query_pairs();
    let sent: Vec<(String, String)> = pairs.map(|(k, v)| (k.into(), v.into())).collect();
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|&(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    assert_eq!(sent, expected, "{}", request.url);
}

/// Checks the headers every request of the default test client carries, and
/// that Codat's undocumented `api-version` header is not among them.
pub fn assert_standard_headers(request: &Request) {
    assert_eq!(header_of(request, "authorization"), Some(AUTHORIZATION));
    assert_eq!(header_of(request, "accept"), Some("application/json"));
    let user_agent = header_of(request, "user-agent").expect("a User-Agent is sent");
    assert!(
        user_agent.starts_with("codat-connections-rust/"),
        "{user_agent}"
    );
    assert_eq!(header_of(request, "api-version"), None);
}

/// Checks that `connection` is Codat's example connection
/// (`tests/data/connection.json`) with `status`.
pub fn assert_is_codat_example(connection: &Connection, status: &ConnectionStatus) {
    assert_eq!(connection.id.to_string(), CONNECTION);
    assert_eq!(
        connection.integration_id.to_string(),
        "bf083d72-62c7-493e-aec9-81b4dbba7e2c"
    );
    assert_eq!(connection.integration_key.as_deref(), Some("dfxm"));
    assert_eq!(connection.platform_name, "Basiq");
    assert_eq!(
        connection.source_id.to_string(),
        "bdd831ce-eebd-4896-89a7-20e5ee8989ee"
    );
    assert_eq!(
        connection.source_type,
        codat_connections::SourceType::Banking
    );
    assert_eq!(&connection.status, status);
    assert_eq!(connection.link_url, super::fixtures::LINK_URL);
    assert_eq!(connection.created.to_string(), "2022-10-27T09:53:29Z");
    assert!(connection.last_sync.is_some());
}
