//! Every Connections operation against a local Codat stand-in: the exact
//! request that crosses the wire, and what the answer decodes into.

use std::collections::HashMap;

use futures::StreamExt;

use codat_connections::{
    Client, ConnectionStatus, Error, Reauthorization, RetryPolicy, SourceType,
};
use serde_json::{json, Value};
use wiremock::matchers::{
    any, body_json, body_string, header, header_regex, method, path, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";
const LINK_URL: &str = "https://link-api.codat.io/companies/86bd88cb-44ab-4dfb-b32f-87b19b14287f/connections/ee2eb431-c0fa-4dc9-93fa-d29781c12bcd/start";
/// base64("test-key")
const AUTHORIZATION: &str = "Basic dGVzdC1rZXk=";

/// A client that sends each request once: these tests are about single
/// exchanges (retries have tests of their own).
fn client(server: &MockServer) -> Client {
    Client::builder("test-key")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .expect("a loopback http base URL is allowed")
}

fn connections_path() -> String {
    format!("/companies/{COMPANY}/connections")
}

fn connection_path() -> String {
    format!("/companies/{COMPANY}/connections/{CONNECTION}")
}

/// Codat's own example connection (openapi/connections.json), with `status` set.
fn connection_json(status: &str) -> Value {
    let mut value: Value =
        serde_json::from_str(include_str!("data/connection.json")).expect("fixture is JSON");
    value["status"] = json!(status);
    value
}

fn page_json() -> Value {
    serde_json::from_str(include_str!("data/connections_page.json")).expect("fixture is JSON")
}

fn ok_json(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body)
}

/// The one request the server received; fails if there were more or fewer.
async fn only_request(server: &MockServer) -> Request {
    let mut requests = server
        .received_requests()
        .await
        .expect("request recording is on");
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {:?}",
        requests
            .iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect::<Vec<_>>()
    );
    requests.remove(0)
}

fn header_of<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|v| v.to_str().expect("ASCII header"))
}

fn query_pairs(request: &Request) -> Vec<(String, String)> {
    request
        .url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn assert_standard_headers(request: &Request) {
    assert_eq!(header_of(request, "authorization"), Some(AUTHORIZATION));
    assert_eq!(header_of(request, "accept"), Some("application/json"));
    let user_agent = header_of(request, "user-agent").expect("a User-Agent is sent");
    assert!(
        user_agent.starts_with("codat-connections-rust/"),
        "{user_agent}"
    );
}

fn assert_is_codat_example(connection: &codat_connections::Connection, status: ConnectionStatus) {
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
    assert_eq!(connection.source_type, SourceType::Banking);
    assert_eq!(connection.status, status);
    assert_eq!(connection.link_url, LINK_URL);
    assert_eq!(connection.created.to_string(), "2022-10-27T09:53:29Z");
    assert!(connection.last_sync.is_some());
}

// ---------------------------------------------------------------- list

#[tokio::test]
async fn list_sends_get_with_auth_accept_and_user_agent_and_no_query_by_default() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(header("authorization", AUTHORIZATION))
        .and(header("accept", "application/json"))
        .and(header_regex("user-agent", "^codat-connections-rust/"))
        .and(query_param_is_missing("page"))
        .and(query_param_is_missing("pageSize"))
        .and(query_param_is_missing("query"))
        .and(query_param_is_missing("orderBy"))
        .respond_with(ok_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;

    let page = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect("listing succeeds");
    assert_eq!(page.results.len(), 1);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), connections_path());
    assert_eq!(
        request.url.query(),
        None,
        "no query string when nothing is set"
    );
    assert_standard_headers(&request);
    assert_eq!(
        header_of(&request, "content-type"),
        None,
        "a GET has no body"
    );
    assert!(request.body.is_empty());
    server.verify().await;
}

#[tokio::test]
async fn list_sends_page_page_size_query_and_order_by_exactly_when_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("page", "2"))
        .and(query_param("pageSize", "50"))
        .and(query_param("query", "sourceType=Banking"))
        .and(query_param("orderBy", "-created"))
        .respond_with(ok_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .list(COMPANY)
        .page(2)
        .page_size(50)
        .query("sourceType=Banking")
        .order_by("-created")
        .await
        .expect("listing succeeds");

    let request = only_request(&server).await;
    assert_eq!(
        query_pairs(&request),
        // In the order the generated client writes them.
        [
            ("orderBy".to_owned(), "-created".to_owned()),
            ("page".to_owned(), "2".to_owned()),
            ("pageSize".to_owned(), "50".to_owned()),
            ("query".to_owned(), "sourceType=Banking".to_owned()),
        ]
    );
    server.verify().await;
}

#[tokio::test]
async fn list_sends_only_the_parameters_that_are_set() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("pageSize", "5000"))
        .and(query_param_is_missing("page"))
        .and(query_param_is_missing("query"))
        .and(query_param_is_missing("orderBy"))
        .respond_with(ok_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .list(COMPANY)
        .page_size(5000)
        .await
        .expect("listing succeeds");

    let request = only_request(&server).await;
    assert_eq!(
        query_pairs(&request),
        [("pageSize".to_owned(), "5000".to_owned())]
    );
    server.verify().await;
}

#[tokio::test]
async fn status_filter_becomes_a_status_query() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("query", "status=Linked"))
        .respond_with(ok_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .list(COMPANY)
        .status(ConnectionStatus::Linked)
        .await
        .expect("listing succeeds");

    let request = only_request(&server).await;
    assert_eq!(
        query_pairs(&request),
        [("query".to_owned(), "status=Linked".to_owned())]
    );
    server.verify().await;
}

#[tokio::test]
async fn status_filter_is_combined_with_a_user_query_by_double_ampersand() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("query", "sourceType=Banking&&status=Linked"))
        .respond_with(ok_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .list(COMPANY)
        .query("sourceType=Banking")
        .status(ConnectionStatus::Linked)
        .await
        .expect("listing succeeds");

    let request = only_request(&server).await;
    assert_eq!(
        query_pairs(&request),
        [(
            "query".to_owned(),
            "sourceType=Banking&&status=Linked".to_owned()
        )]
    );
    // The `&&` must be percent-encoded, or it would split the query string.
    let raw = request.url.query().expect("a query string");
    assert!(!raw.contains("&&"), "{raw}");
    server.verify().await;
}

#[tokio::test]
async fn list_decodes_a_codat_page_with_a_next_link() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(page_json()))
        .mount(&server)
        .await;

    let page = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect("listing succeeds");

    assert_eq!(page.page_number, 2);
    assert_eq!(page.page_size, 1);
    assert_eq!(page.total_results, 3);
    assert_eq!(page.results.len(), 1);
    assert_is_codat_example(&page.results[0], ConnectionStatus::Linked);
    assert!(page.has_next_page());
    assert_eq!(
        page.next_href(),
        Some("/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections?page=3&pageSize=1")
    );
    assert_eq!(
        page.links.self_.href.as_deref(),
        Some("/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections")
    );
}

#[tokio::test]
async fn list_without_a_next_link_has_no_next_page() {
    let server = MockServer::start().await;
    let mut last_page = page_json();
    last_page["_links"]
        .as_object_mut()
        .expect("_links is an object")
        .remove("next");
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(last_page))
        .mount(&server)
        .await;

    let page = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect("listing succeeds");

    assert!(!page.has_next_page());
    assert_eq!(page.next_href(), None);
    assert_eq!(page.results.len(), 1);
}

#[tokio::test]
async fn list_decodes_the_contract_example_verbatim() {
    let contract: Value = serde_json::from_str(include_str!("../openapi/connections.json"))
        .expect("the contract is JSON");
    let example = contract
        .pointer(
            "/paths/~1companies~1{companyId}~1connections/get/responses/200/content/application~1json/examples/Connections/value",
        )
        .expect("the contract has a list example")
        .clone();
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(example))
        .mount(&server)
        .await;

    let page = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect("the contract's own example decodes");

    assert_eq!(page.results.len(), 1);
    assert_is_codat_example(&page.results[0], ConnectionStatus::Linked);
    assert_eq!(page.page_number, 0);
    assert_eq!(page.page_size, 0);
    assert_eq!(page.total_results, 0);
    assert!(page.has_next_page(), "the example has _links.next");
}

#[tokio::test]
async fn list_with_no_results_field_is_an_empty_page() {
    let server = MockServer::start().await;
    let mut empty = page_json();
    empty.as_object_mut().expect("object").remove("results");
    empty["totalResults"] = json!(0);
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(empty))
        .mount(&server)
        .await;

    let page = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect("results defaults to empty");
    assert!(page.results.is_empty());
    assert_eq!(page.total_results, 0);
}

// ---------------------------------------------------------------- create

#[tokio::test]
async fn create_posts_the_platform_key_as_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(connections_path()))
        .and(header("content-type", "application/json"))
        .and(body_string(r#"{"platformKey":"gbol"}"#))
        .respond_with(ok_json(connection_json("PendingAuth")))
        .expect(1)
        .mount(&server)
        .await;

    let created = client(&server)
        .connections()
        .create(COMPANY, "gbol")
        .await
        .expect("creation succeeds");

    assert_eq!(created.status, ConnectionStatus::PendingAuth);
    assert_eq!(created.link_url, LINK_URL);
    assert_is_codat_example(&created, ConnectionStatus::PendingAuth);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), connections_path());
    assert_eq!(request.url.query(), None);
    assert_standard_headers(&request);
    assert_eq!(
        header_of(&request, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        std::str::from_utf8(&request.body).expect("UTF-8 body"),
        r#"{"platformKey":"gbol"}"#
    );
    server.verify().await;
}

#[tokio::test]
async fn create_with_another_key_does_not_send_gbol() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(body_string(r#"{"platformKey":"gbol"}"#))
        .respond_with(ok_json(connection_json("PendingAuth")))
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(connections_path()))
        .and(body_string(r#"{"platformKey":"qhyg"}"#))
        .respond_with(ok_json(connection_json("PendingAuth")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .create(COMPANY, "qhyg")
        .await
        .expect("creation succeeds");
    server.verify().await;
}

// ---------------------------------------------------------------- get

#[tokio::test]
async fn get_sends_get_to_the_connection_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ok_json(connection_json("Linked")))
        .expect(1)
        .mount(&server)
        .await;

    let connection = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect("get succeeds");
    assert_is_codat_example(&connection, ConnectionStatus::Linked);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET");
    assert_eq!(request.url.path(), connection_path());
    assert_eq!(request.url.query(), None);
    assert_standard_headers(&request);
    assert!(request.body.is_empty());
    assert_eq!(header_of(&request, "content-type"), None);
    server.verify().await;
}

// ---------------------------------------------------------------- delete

#[tokio::test]
async fn delete_answered_200_with_an_empty_body_is_ok() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(connection_path()))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .delete(COMPANY, CONNECTION)
        .await
        .expect("an empty 200 is success for delete");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "DELETE");
    assert_eq!(request.url.path(), connection_path());
    assert_eq!(request.url.query(), None);
    assert_standard_headers(&request);
    assert!(request.body.is_empty());
    server.verify().await;
}

#[tokio::test]
async fn delete_answered_404_is_an_error_not_ok() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(connection_path()))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .delete(COMPANY, CONNECTION)
        .await
        .expect_err("404 is not success");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    server.verify().await;
}

// ---------------------------------------------------------------- unlink

#[tokio::test]
async fn unlink_patches_the_status_to_unlinked() {
    let server = MockServer::start().await;
    Mock::given(method("PATCH"))
        .and(path(connection_path()))
        .and(header("content-type", "application/json"))
        .and(body_string(r#"{"status":"Unlinked"}"#))
        .respond_with(ok_json(connection_json("Unlinked")))
        .expect(1)
        .mount(&server)
        .await;

    let unlinked = client(&server)
        .connections()
        .unlink(COMPANY, CONNECTION)
        .await
        .expect("unlink succeeds");
    assert_eq!(unlinked.status, ConnectionStatus::Unlinked);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PATCH");
    assert_eq!(request.url.path(), connection_path());
    assert_standard_headers(&request);
    assert_eq!(
        std::str::from_utf8(&request.body).expect("UTF-8 body"),
        r#"{"status":"Unlinked"}"#
    );
    server.verify().await;
}

// ---------------------------------------------------------------- update authorization

#[tokio::test]
async fn update_authorization_puts_the_map_as_json() {
    let server = MockServer::start().await;
    let authorization = HashMap::from([
        ("tenantId".to_owned(), "abc-123".to_owned()),
        ("region".to_owned(), "eu".to_owned()),
    ]);
    Mock::given(method("PUT"))
        .and(path(format!("{}/authorization", connection_path())))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"tenantId": "abc-123", "region": "eu"})))
        .respond_with(ok_json(connection_json("Linked")))
        .expect(1)
        .mount(&server)
        .await;

    let connection = client(&server)
        .connections()
        .update_authorization(COMPANY, CONNECTION, &authorization)
        .await
        .expect("update succeeds");
    assert_eq!(connection.status, ConnectionStatus::Linked);

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "PUT");
    assert_eq!(
        request.url.path(),
        format!("{}/authorization", connection_path())
    );
    assert_standard_headers(&request);
    let sent: Value = serde_json::from_slice(&request.body).expect("JSON body");
    assert_eq!(sent, json!({"tenantId": "abc-123", "region": "eu"}));
    server.verify().await;
}

#[tokio::test]
async fn update_authorization_with_an_empty_map_sends_an_empty_object() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("{}/authorization", connection_path())))
        .and(body_string("{}"))
        .respond_with(ok_json(connection_json("Linked")))
        .expect(1)
        .mount(&server)
        .await;

    client(&server)
        .connections()
        .update_authorization(COMPANY, CONNECTION, &HashMap::new())
        .await
        .expect("update succeeds");
    server.verify().await;
}

// ---------------------------------------------------------------- error statuses

#[derive(Debug, Clone, Copy)]
enum Operation {
    List,
    Create,
    Get,
    Delete,
    Unlink,
    UpdateAuthorization,
}

impl Operation {
    const ALL: [Operation; 6] = [
        Operation::List,
        Operation::Create,
        Operation::Get,
        Operation::Delete,
        Operation::Unlink,
        Operation::UpdateAuthorization,
    ];

    fn method(self) -> &'static str {
        match self {
            Operation::List | Operation::Get => "GET",
            Operation::Create => "POST",
            Operation::Delete => "DELETE",
            Operation::Unlink => "PATCH",
            Operation::UpdateAuthorization => "PUT",
        }
    }

    fn path(self) -> String {
        match self {
            Operation::List | Operation::Create => connections_path(),
            Operation::Get | Operation::Delete | Operation::Unlink => connection_path(),
            Operation::UpdateAuthorization => format!("{}/authorization", connection_path()),
        }
    }

    /// The error statuses openapi/connections.json documents for the operation.
    fn documented_error_statuses(self) -> &'static [u16] {
        match self {
            Operation::List => &[400, 401, 402, 403, 404, 429, 500, 503],
            _ => &[401, 402, 403, 404, 429, 500, 503],
        }
    }

    async fn run(self, client: &Client) -> Result<(), Error> {
        let connections = client.connections();
        match self {
            Operation::List => connections.list(COMPANY).await.map(drop),
            Operation::Create => connections.create(COMPANY, "gbol").await.map(drop),
            Operation::Get => connections.get(COMPANY, CONNECTION).await.map(drop),
            Operation::Delete => connections.delete(COMPANY, CONNECTION).await,
            Operation::Unlink => connections.unlink(COMPANY, CONNECTION).await.map(drop),
            Operation::UpdateAuthorization => connections
                .update_authorization(
                    COMPANY,
                    CONNECTION,
                    &HashMap::from([("key".to_owned(), "value".to_owned())]),
                )
                .await
                .map(drop),
        }
    }
}

fn codat_error(status: u16, text: &str, correlation_id: &str) -> Value {
    json!({
        "canBeRetried": "Unknown",
        "correlationId": correlation_id,
        "detailedErrorCode": 0,
        "error": text,
        "service": "PublicApi",
        "statusCode": status,
    })
}

#[tokio::test]
async fn every_documented_error_status_of_every_operation_is_an_api_error() {
    for operation in Operation::ALL {
        for &status in operation.documented_error_statuses() {
            let server = MockServer::start().await;
            let text = format!("{operation:?} failed with {status}");
            let correlation_id = format!("corr-{status}-{operation:?}");
            Mock::given(method(operation.method()))
                .and(path(operation.path()))
                .respond_with(ResponseTemplate::new(status).set_body_json(codat_error(
                    status,
                    &text,
                    &correlation_id,
                )))
                .expect(1)
                .mount(&server)
                .await;

            let err = operation
                .run(&client(&server))
                .await
                .expect_err("an error status is an error");
            let context = format!("{operation:?} {status}: {err:?}");

            assert_eq!(err.status().map(|s| s.as_u16()), Some(status), "{context}");
            assert_eq!(
                err.correlation_id(),
                Some(correlation_id.as_str()),
                "{context}"
            );
            assert_eq!(
                err.is_retryable(),
                status == 429 || status >= 500,
                "{context}"
            );
            assert_eq!(err.invalid_field(), None, "{context}");
            let Error::Api(api) = &err else {
                panic!("expected Error::Api, {context}");
            };
            assert_eq!(api.status.as_u16(), status, "{context}");
            let message = api.message.as_ref().expect("Codat's ErrorMessage decoded");
            assert_eq!(message.error.as_deref(), Some(text.as_str()), "{context}");
            assert_eq!(message.status_code, Some(i64::from(status)), "{context}");
            assert_eq!(message.service.as_deref(), Some("PublicApi"), "{context}");
            assert_eq!(message.can_be_retried.as_deref(), Some("Unknown"));
            assert_eq!(api.retry_after, None, "{context}");
            let shown = err.to_string();
            assert!(shown.contains(&text), "{shown}");
            assert!(shown.contains(&correlation_id), "{shown}");

            // The request really was the operation's.
            let request = only_request(&server).await;
            assert_eq!(request.method.as_str(), operation.method(), "{context}");
            assert_eq!(request.url.path(), operation.path(), "{context}");
            server.verify().await;
        }
    }
}

#[tokio::test]
async fn api_error_status_comes_from_http_not_from_the_body() {
    // Codat's own 402 example carries `"statusCode": 429` in its body.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(connections_path()))
        .respond_with(ResponseTemplate::new(402).set_body_json(codat_error(
            429,
            "You have exceeded the 50-company limit that applies to a Free plan.",
            "bc997528a9d7abb9161ef45f05d38599",
        )))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .create(COMPANY, "gbol")
        .await
        .expect_err("402 is an error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(402));
    assert!(
        !err.is_retryable(),
        "a 402 is not retryable whatever the body says"
    );
    assert_eq!(
        err.correlation_id(),
        Some("bc997528a9d7abb9161ef45f05d38599")
    );
}

#[tokio::test]
async fn error_with_an_html_body_keeps_the_raw_snippet_and_no_message() {
    let server = MockServer::start().await;
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("content-type", "text/html")
                .set_body_string(html),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("502 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status.as_u16(), 502);
    assert_eq!(api.message, None);
    assert_eq!(api.body, html);
    assert_eq!(err.correlation_id(), None);
    assert!(err.is_retryable());
}

#[tokio::test]
async fn error_with_a_json_body_keeps_the_body_snippet_too() {
    let server = MockServer::start().await;
    let body = codat_error(404, "Data connection not found", "8fa2b5f4");
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ResponseTemplate::new(404).set_body_json(body.clone()))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("404 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert!(api.message.is_some());
    let kept: Value = serde_json::from_str(&api.body).expect("snippet is the whole short body");
    assert_eq!(kept, body);
}

#[tokio::test]
async fn long_error_body_is_cut_to_the_snippet_limit() {
    let server = MockServer::start().await;
    let html = format!("<html>{}</html>", "x".repeat(10_000));
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ResponseTemplate::new(502).set_body_string(html.clone()))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("502 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.body.len(), codat_connections::BODY_SNIPPET_LIMIT);
    assert!(html.starts_with(&api.body));
}

#[tokio::test]
async fn retry_after_header_is_kept() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "30")
                .set_body_json(codat_error(429, "Too many requests", "c0ffee")),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect_err("429 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.retry_after.as_deref(), Some("30"));
    assert!(err.is_retryable());
    assert_eq!(err.correlation_id(), Some("c0ffee"));
}

#[tokio::test]
async fn retry_after_is_none_without_the_header() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(
            ResponseTemplate::new(429).set_body_json(codat_error(429, "Too many", "c0ffee")),
        )
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect_err("429 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.retry_after, None);
}

// ---------------------------------------------------------------- undecodable success

#[tokio::test]
async fn success_with_a_body_that_is_not_a_connection_keeps_its_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ok_json(json!({"hello": "world"})))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("not a Connection");
    let Error::ConnectionDecode(item) = &err else {
        panic!("expected Error::ConnectionDecode, got {err:?}");
    };
    assert_eq!(item.raw, json!({"hello": "world"}));
    assert_eq!((item.id.as_deref(), item.status.as_deref()), (None, None));
    assert!(!item.message.is_empty());
    assert_eq!(err.status().map(|s| s.as_u16()), Some(200));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn success_with_a_body_that_is_not_json_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ok_json(json!(["hello", "world"])))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("not a Connection");
    let Error::Decode {
        status, snippet, ..
    } = &err
    else {
        panic!("expected Error::Decode, got {err:?}");
    };
    assert_eq!(status.map(|s| s.as_u16()), Some(200));
    assert_eq!(snippet, r#"["hello","world"]"#);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn success_with_a_page_that_is_not_a_page_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(connection_json("Linked")))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect_err("a Connection is not a page");
    assert!(
        matches!(&err, Error::Decode { status: Some(status), snippet, .. }
            if status.as_u16() == 200 && snippet.contains("Basiq")),
        "{err:?}"
    );
}

#[tokio::test]
async fn success_with_an_empty_body_where_json_is_expected_is_a_decode_error() {
    for operation in [
        Operation::List,
        Operation::Create,
        Operation::Get,
        Operation::Unlink,
        Operation::UpdateAuthorization,
    ] {
        let server = MockServer::start().await;
        Mock::given(method(operation.method()))
            .and(path(operation.path()))
            .respond_with(ResponseTemplate::new(200))
            .expect(1)
            .mount(&server)
            .await;

        let err = operation
            .run(&client(&server))
            .await
            .expect_err("an empty body is not JSON");
        let Error::Decode {
            status, snippet, ..
        } = &err
        else {
            panic!("{operation:?}: expected Error::Decode, got {err:?}");
        };
        assert_eq!(status.map(|s| s.as_u16()), Some(200), "{operation:?}");
        assert_eq!(snippet, "", "{operation:?}");
        server.verify().await;
    }
}

#[tokio::test]
async fn success_with_a_negative_count_is_a_decode_error() {
    let server = MockServer::start().await;
    let mut page = page_json();
    page["totalResults"] = json!(-1);
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .respond_with(ok_json(page))
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .list(COMPANY)
        .await
        .expect_err("a negative total cannot be a count");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

// ---------------------------------------------------------------- reauthorization

async fn reauthorization_for(status: &str) -> (Reauthorization, MockServer) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ok_json(connection_json(status)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ok_json(connection_json("PendingAuth")))
        .expect(0)
        .mount(&server)
        .await;

    let answer = client(&server)
        .connections()
        .reauthorization(COMPANY, CONNECTION)
        .await
        .expect("reauthorization succeeds");

    let request = only_request(&server).await;
    assert_eq!(request.method.as_str(), "GET", "{status}");
    assert_eq!(request.url.path(), connection_path(), "{status}");
    server.verify().await;
    (answer, server)
}

#[tokio::test]
async fn deauthorized_and_unlinked_require_reauthorization_at_the_link_url() {
    for (status, expected) in [
        ("Deauthorized", ConnectionStatus::Deauthorized),
        ("Unlinked", ConnectionStatus::Unlinked),
    ] {
        let (answer, _server) = reauthorization_for(status).await;
        let Reauthorization::Required {
            link_url,
            connection,
        } = &answer
        else {
            panic!("{status}: expected Required, got {answer:?}");
        };
        assert_eq!(link_url.as_str(), LINK_URL, "{status}");
        assert_eq!(connection.status, expected);
        assert_eq!(connection.id.to_string(), CONNECTION);
        assert_eq!(
            answer.required_link_url().map(|u| u.as_str()),
            Some(LINK_URL)
        );
    }
}

#[tokio::test]
async fn linked_is_already_linked() {
    let (answer, _server) = reauthorization_for("Linked").await;
    assert!(
        matches!(&answer, Reauthorization::AlreadyLinked { connection }
            if connection.status == ConnectionStatus::Linked),
        "{answer:?}"
    );
    assert_eq!(answer.required_link_url(), None);
}

#[tokio::test]
async fn pending_auth_is_pending_auth_with_its_link_url() {
    let (answer, _server) = reauthorization_for("PendingAuth").await;
    let Reauthorization::PendingAuth {
        link_url,
        connection,
    } = &answer
    else {
        panic!("expected PendingAuth, got {answer:?}");
    };
    assert_eq!(link_url.as_str(), LINK_URL);
    assert_eq!(connection.status, ConnectionStatus::PendingAuth);
    assert_eq!(answer.required_link_url(), None);
}

#[tokio::test]
async fn unknown_status_is_reported_as_unknown_not_as_required() {
    let (answer, _server) = reauthorization_for("Suspended").await;
    assert!(
        matches!(&answer, Reauthorization::UnknownStatus { connection }
            if connection.status == ConnectionStatus::Unknown("Suspended".to_owned())),
        "{answer:?}"
    );
    assert_eq!(answer.required_link_url(), None);
    assert_eq!(
        answer.connection().status,
        ConnectionStatus::Unknown("Suspended".to_owned())
    );
}

#[tokio::test]
async fn reauthorization_of_a_missing_connection_is_the_404_and_creates_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(ResponseTemplate::new(404).set_body_json(codat_error(
            404,
            "Data connection not found",
            "8fa2b5f4",
        )))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .and(method("POST"))
        .respond_with(ok_json(connection_json("PendingAuth")))
        .expect(0)
        .mount(&server)
        .await;

    let err = client(&server)
        .connections()
        .reauthorization(COMPANY, CONNECTION)
        .await
        .expect_err("404 is an error");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!(only_request(&server).await.method.as_str(), "GET");
    server.verify().await;
}

// ---------------------------------------------------------------- authorization header

#[tokio::test]
async fn portal_header_value_is_sent_as_given() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", AUTHORIZATION))
        .respond_with(ok_json(connection_json("Linked")))
        .expect(1)
        .mount(&server)
        .await;

    let client = Client::builder(AUTHORIZATION)
        .base_url(server.uri())
        .build()
        .expect("valid settings");
    client
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect("same header as the raw key");
    assert_eq!(
        header_of(&only_request(&server).await, "authorization"),
        Some(AUTHORIZATION)
    );
    server.verify().await;
}

#[tokio::test]
async fn another_key_sends_another_authorization() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(connection_json("Linked")))
        .mount(&server)
        .await;

    Client::builder("other-key")
        .base_url(server.uri())
        .build()
        .expect("valid settings")
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect("get succeeds");
    // base64("other-key")
    assert_eq!(
        header_of(&only_request(&server).await, "authorization"),
        Some("Basic b3RoZXIta2V5")
    );
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_a_timeout_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ok_json(connection_json("Linked")).set_delay(std::time::Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    let client = Client::builder("test-key")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let err = client
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    // The same request with time to spare succeeds.
    let patient = Client::builder("test-key")
        .base_url(server.uri())
        .build()
        .unwrap();
    server.reset().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(connection_json("Linked")))
        .mount(&server)
        .await;
    assert!(patient.connections().get(COMPANY, CONNECTION).await.is_ok());
}

// ---------------------------------------------------------------- documented status, foreign body

#[tokio::test]
async fn html_503_from_a_proxy_keeps_status_retry_after_and_snippet() {
    let html = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
    for operation in Operation::ALL {
        // 503 is a documented status of every operation, but this body is
        // not Codat's ErrorMessage.
        let server = MockServer::start().await;
        Mock::given(method(operation.method()))
            .and(path(operation.path()))
            .respond_with(
                ResponseTemplate::new(503)
                    .insert_header("content-type", "text/html")
                    .insert_header("retry-after", "7")
                    .set_body_string(html),
            )
            .expect(1)
            .mount(&server)
            .await;

        let err = operation
            .run(&client(&server))
            .await
            .expect_err("503 is an error");
        let Error::Api(api) = &err else {
            panic!("{operation:?}: expected Error::Api, got {err:?}");
        };
        assert_eq!(api.status.as_u16(), 503, "{operation:?}");
        assert_eq!(api.retry_after.as_deref(), Some("7"), "{operation:?}");
        assert_eq!(api.body, html, "{operation:?}");
        assert_eq!(api.message, None, "{operation:?}");
        assert_eq!(api.attempts, 1, "{operation:?}");
        assert_eq!(err.correlation_id(), None, "{operation:?}");
        assert!(err.is_retryable(), "{operation:?}");
        server.verify().await;
    }
}

#[tokio::test]
async fn json_503_keeps_the_message_beside_status_and_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "7")
                .set_body_json(codat_error(503, "Service unavailable", "5e7f")),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("503 is an error");
    let Error::Api(api) = &err else {
        panic!("expected Error::Api, got {err:?}");
    };
    assert_eq!(api.status.as_u16(), 503);
    assert_eq!(api.retry_after.as_deref(), Some("7"));
    assert!(api.message.is_some());
    assert_eq!(err.correlation_id(), Some("5e7f"));
}

// ---------------------------------------------------------------- the raw client

#[tokio::test]
async fn raw_client_sends_the_authorization_header_and_user_agent() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(connection_path()))
        .and(header("authorization", AUTHORIZATION))
        .and(header_regex("user-agent", "^codat-connections-rust/"))
        .respond_with(ok_json(connection_json("Linked")))
        .expect(1)
        .mount(&server)
        .await;

    let client = client(&server);
    let connection = client
        .raw()
        .get_connection()
        .company_id(COMPANY.parse::<codat_connections::CompanyId>().unwrap())
        .connection_id(
            CONNECTION
                .parse::<codat_connections::ConnectionId>()
                .unwrap(),
        )
        .send()
        .await
        .expect("the raw client is authorized too")
        .into_inner();
    assert_is_codat_example(&connection, ConnectionStatus::Linked);

    let request = only_request(&server).await;
    assert_standard_headers(&request);
    assert_eq!(header_of(&request, "api-version"), None);
    server.verify().await;
}

#[tokio::test]
async fn raw_client_sends_another_user_agent_when_configured() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ok_json(page_json()))
        .mount(&server)
        .await;
    let client = Client::builder("other-key")
        .base_url(server.uri())
        .user_agent("my-app/2")
        .build()
        .unwrap();
    client
        .raw()
        .list_connections()
        .company_id(COMPANY.parse::<codat_connections::CompanyId>().unwrap())
        .send()
        .await
        .expect("listing succeeds");
    let request = only_request(&server).await;
    assert_eq!(
        header_of(&request, "authorization"),
        Some("Basic b3RoZXIta2V5")
    );
    let user_agent = header_of(&request, "user-agent").unwrap();
    assert!(
        user_agent.starts_with("my-app/2 codat-connections-rust/"),
        "{user_agent}"
    );
}

#[tokio::test]
async fn raw_client_refuses_an_answer_over_the_body_limit() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ok_json(connection_json("Linked")))
        .mount(&server)
        .await;
    let small = Client::builder("test-key")
        .base_url(server.uri())
        .max_response_bytes(64)
        .build()
        .unwrap();
    let company = COMPANY.parse::<codat_connections::CompanyId>().unwrap();
    let connection = CONNECTION
        .parse::<codat_connections::ConnectionId>()
        .unwrap();
    let err = small
        .raw()
        .get_connection()
        .company_id(company)
        .connection_id(connection)
        .send()
        .await
        .expect_err("the answer is over 64 bytes");
    assert!(err.to_string().contains("64-byte limit"), "{err}");
    // The crate's own call says the same, typed.
    let err = small
        .connections()
        .get(company, connection)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: 64,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    // With room to spare, the same answer is read.
    assert!(client(&server)
        .raw()
        .get_connection()
        .company_id(company)
        .connection_id(connection)
        .send()
        .await
        .is_ok());
}

#[tokio::test]
async fn no_operation_sends_the_undocumented_api_version_header() {
    for operation in Operation::ALL {
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(404).set_body_json(codat_error(
                404,
                "Not found",
                "c0ffee",
            )))
            .mount(&server)
            .await;
        let _ = operation.run(&client(&server)).await;
        let request = only_request(&server).await;
        assert_eq!(header_of(&request, "api-version"), None, "{operation:?}");
        assert_standard_headers(&request);
    }
}

// ---------------------------------------------------------------- following _links.next

fn connection_with_id(id: &str) -> Value {
    let mut connection = connection_json("Linked");
    connection["id"] = json!(id);
    connection
}

fn page_with(page: u64, ids: &[&str], total: u64, next: Option<&str>) -> Value {
    let mut links =
        json!({"self": {"href": connections_path()}, "current": {"href": connections_path()}});
    if let Some(next) = next {
        links["next"] = json!({ "href": next });
    }
    json!({
        "results": ids.iter().map(|id| connection_with_id(id)).collect::<Vec<_>>(),
        "pageNumber": page,
        "pageSize": 2,
        "totalResults": total,
        "_links": links,
    })
}

const OTHER: [&str; 3] = [
    "2e9d2c44-f675-40ba-8049-353bfcb5e171",
    "51baa045-4836-4317-a42e-3542e991e581",
    "6b0e1b7d-3d95-4c6a-9f7d-2d7a3c0c9a11",
];

#[tokio::test]
async fn paging_follows_a_relative_next_href() {
    let server = MockServer::start().await;
    // Codat's link names the page and may carry other values than asked.
    let next = format!(
        "{}?page=3&pageSize=2&query=sourceType%3DBanking&orderBy=-created",
        connections_path()
    );
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("page", "3"))
        .and(query_param("query", "sourceType=Banking"))
        .and(query_param("orderBy", "-created"))
        .respond_with(ok_json(page_with(3, &[OTHER[2]], 5, None)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(connections_path()))
        .and(query_param("page", "1"))
        .respond_with(ok_json(page_with(1, &[OTHER[0], OTHER[1]], 5, Some(&next))))
        .expect(1)
        .mount(&server)
        .await;

    let pages: Vec<_> = client(&server)
        .connections()
        .list(COMPANY)
        .page_size(2)
        .pages()
        .collect::<Vec<_>>()
        .await;
    let counts: Vec<usize> = pages
        .into_iter()
        .map(|page| page.expect("every page is served").results.len())
        .collect();
    assert_eq!(counts, [2, 1]);

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].url.path(), connections_path());
    assert_eq!(
        query_pairs(&requests[1]),
        [
            ("orderBy".to_owned(), "-created".to_owned()),
            ("page".to_owned(), "3".to_owned()),
            ("pageSize".to_owned(), "2".to_owned()),
            ("query".to_owned(), "sourceType=Banking".to_owned()),
        ]
    );
    server.verify().await;
}

#[tokio::test]
async fn paging_takes_only_the_values_of_a_next_href_not_its_host_or_path() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("page", "2"))
        .respond_with(ok_json(page_with(2, &[OTHER[2]], 3, None)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(query_param("page", "1"))
        .respond_with(ok_json(page_with(
            1,
            &[OTHER[0], OTHER[1]],
            3,
            Some("https://elsewhere.example/steal?page=2"),
        )))
        .mount(&server)
        .await;

    let all = client(&server)
        .connections()
        .list(COMPANY)
        .collect_all()
        .await
        .expect("both pages are served by the configured server");
    assert_eq!(all.len(), 3);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert_eq!(request.url.path(), connections_path());
        assert_standard_headers(request);
    }
}

#[tokio::test]
async fn paging_stops_at_a_next_href_with_an_unusable_page() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok_json(page_with(
            1,
            &[OTHER[0], OTHER[1]],
            5,
            Some("/x?page=0"),
        )))
        .mount(&server)
        .await;
    let pages: Vec<_> = client(&server)
        .connections()
        .list(COMPANY)
        .pages()
        .collect::<Vec<_>>()
        .await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(pages[0].as_ref().map(|p| p.results.len()).ok(), Some(2));
    assert!(
        matches!(pages[1], Err(Error::InconsistentPaging { page: 1, .. })),
        "{pages:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn a_link_url_that_is_not_a_url_is_a_decode_error_with_no_status() {
    let mut value = connection_json("Deauthorized");
    value["linkUrl"] = json!("not a url");
    let connection: codat_connections::Connection =
        serde_json::from_value(value).expect("a connection");
    let err = Reauthorization::of(connection).expect_err("the link is not a URL");
    assert!(
        matches!(&err, Error::Decode { status: None, attempts: 0, snippet, .. } if snippet == "not a url"),
        "{err:?}"
    );
    assert_eq!(err.status(), None, "no HTTP answer is involved");
    // A real link is a URL.
    let connection: codat_connections::Connection =
        serde_json::from_value(connection_json("Deauthorized")).expect("a connection");
    assert!(Reauthorization::of(connection).is_ok());
}
