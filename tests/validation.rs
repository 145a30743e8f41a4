//! Invalid input is refused before anything is sent, naming the field; and
//! the API key never shows in errors or debug output.

use std::collections::HashMap;

use codat_connections::{Client, ConnectionStatus, Error, RetryPolicy};
use serde_json::json;
use wiremock::matchers::{any, method, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";
const KEY_BASE64: &str = "dGVzdC1rZXk";

/// IDs that must never reach a request path.
const BAD_IDS: [&str; 10] = [
    "../",
    "%2F",
    "",
    " ",
    "8a210b68 6988 11ed a1eb 0242ac120002",
    " 8a210b68-6988-11ed-a1eb-0242ac120002",
    "8a210b68-6988-11ed-a1eb-0242ac1200é", // 36 bytes, one non-ASCII letter
    "８a210b68-6988-11ed-a1eb-0242ac120002", // full-width digit
    "../../8a210b68-6988-11ed-a1eb-0242ac1",
    "8a210b68-6988-11ed-a1eb-0242ac12000%2F",
];

fn connection_json() -> serde_json::Value {
    json!({
        "created": "2022-10-27T09:53:29Z",
        "id": CONNECTION,
        "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
        "linkUrl": "https://link-api.codat.io/start",
        "platformName": "Basiq",
        "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
        "sourceType": "Banking",
        "status": "Linked"
    })
}

fn page_json() -> serde_json::Value {
    json!({
        "_links": {"current": {"href": "/x"}, "self": {"href": "/x"}},
        "pageNumber": 1,
        "pageSize": 100,
        "results": [connection_json()],
        "totalResults": 1
    })
}

/// A server that would answer anything with success, so a request that
/// slips through would not fail for another reason.
async fn permissive_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex("/connections$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json()))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(connection_json()))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder("test-key")
        .base_url(server.uri())
        .build()
        .expect("valid settings")
}

async fn assert_nothing_sent(server: &MockServer, context: &str) {
    let requests = server.received_requests().await.expect("recording is on");
    assert!(
        requests.is_empty(),
        "{context}: {} request(s) sent, first to {}",
        requests.len(),
        requests[0].url
    );
}

fn assert_invalid(result: Result<(), Error>, field: &str, context: &str) {
    let err = result.expect_err(context);
    assert!(
        matches!(err, Error::InvalidInput { .. }),
        "{context}: expected InvalidInput, got {err:?}"
    );
    assert_eq!(err.invalid_field(), Some(field), "{context}: {err}");
    assert!(err.to_string().contains(field), "{context}: {err}");
    assert!(!err.is_retryable(), "{context}");
    assert_eq!(err.status(), None, "{context}");
}

/// Runs every operation with these identifiers, labelled by name.
async fn every_operation(
    client: &Client,
    company: &str,
    connection: &str,
) -> Vec<(&'static str, Result<(), Error>)> {
    let c = client.connections();
    let authorization = HashMap::from([("k".to_owned(), "v".to_owned())]);
    vec![
        ("list", c.list(company).await.map(drop)),
        ("create", c.create(company, "gbol").await.map(drop)),
        ("get", c.get(company, connection).await.map(drop)),
        ("delete", c.delete(company, connection).await),
        ("unlink", c.unlink(company, connection).await.map(drop)),
        (
            "update_authorization",
            c.update_authorization(company, connection, &authorization)
                .await
                .map(drop),
        ),
        (
            "reauthorization",
            c.reauthorization(company, connection).await.map(drop),
        ),
    ]
}

#[tokio::test]
async fn valid_ids_do_reach_the_server() {
    let server = permissive_server().await;
    let results = every_operation(&client(&server), COMPANY, CONNECTION).await;
    for (operation, result) in &results {
        assert!(result.is_ok(), "{operation}: {result:?}");
    }
    let sent = server.received_requests().await.expect("recording is on");
    assert_eq!(sent.len(), results.len());
}

#[tokio::test]
async fn invalid_company_id_sends_no_request() {
    for bad in BAD_IDS {
        let server = permissive_server().await;
        for (operation, result) in every_operation(&client(&server), bad, CONNECTION).await {
            assert_invalid(result, "companyId", &format!("{operation} {bad:?}"));
        }
        assert_nothing_sent(&server, bad).await;
    }
}

#[tokio::test]
async fn invalid_connection_id_sends_no_request() {
    for bad in BAD_IDS {
        let server = permissive_server().await;
        let results = every_operation(&client(&server), COMPANY, bad).await;
        for (operation, result) in results {
            if matches!(operation, "list" | "create") {
                // These take no connection ID.
                continue;
            }
            assert_invalid(result, "connectionId", &format!("{operation} {bad:?}"));
        }
        let sent = server.received_requests().await.expect("recording is on");
        assert!(
            sent.iter()
                .all(|r| r.url.path()
                    == "/companies/8a210b68-6988-11ed-a1eb-0242ac120002/connections"),
            "{bad:?}: only list and create may have been sent: {:?}",
            sent.iter().map(|r| r.url.to_string()).collect::<Vec<_>>()
        );
        assert_eq!(sent.len(), 2, "{bad:?}");
    }
}

#[tokio::test]
async fn invalid_company_id_is_refused_before_the_connection_id_is_looked_at() {
    let server = permissive_server().await;
    for (operation, result) in every_operation(&client(&server), "../", "../").await {
        if matches!(operation, "list" | "create") {
            assert_invalid(result, "companyId", operation);
        } else {
            let err = result.expect_err(operation);
            assert!(
                matches!(err.invalid_field(), Some("companyId" | "connectionId")),
                "{operation}: {err:?}"
            );
        }
    }
    assert_nothing_sent(&server, "both invalid").await;
}

#[tokio::test]
async fn invalid_platform_key_sends_no_request() {
    for bad in [
        "", "g", "gbo", "gbolx", "GBOL", "Gbol", "gb0l", "gb l", "gbé", "../a", "gbol\n",
    ] {
        let server = permissive_server().await;
        let result = client(&server)
            .connections()
            .create(COMPANY, bad)
            .await
            .map(drop);
        assert_invalid(result, "platformKey", &format!("{bad:?}"));
        assert_nothing_sent(&server, bad).await;
    }
}

#[tokio::test]
async fn valid_platform_key_is_sent() {
    let server = permissive_server().await;
    client(&server)
        .connections()
        .create(COMPANY, "qhyg")
        .await
        .expect("four lowercase letters are valid");
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        1
    );
}

#[tokio::test]
async fn page_size_out_of_range_sends_no_request() {
    for bad in [0, 5001, u32::MAX] {
        let server = permissive_server().await;
        let result = client(&server)
            .connections()
            .list(COMPANY)
            .page_size(bad)
            .await
            .map(drop);
        assert_invalid(result, "pageSize", &format!("pageSize {bad}"));
        assert_nothing_sent(&server, &format!("pageSize {bad}")).await;
    }
}

#[tokio::test]
async fn page_size_at_the_limits_is_sent() {
    for good in [1, 5000] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(query_param("pageSize", good.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_json()))
            .expect(1)
            .mount(&server)
            .await;
        client(&server)
            .connections()
            .list(COMPANY)
            .page_size(good)
            .await
            .unwrap_or_else(|e| panic!("pageSize {good}: {e}"));
        server.verify().await;
    }
}

#[tokio::test]
async fn page_zero_sends_no_request_and_page_one_does() {
    let server = permissive_server().await;
    let result = client(&server)
        .connections()
        .list(COMPANY)
        .page(0)
        .await
        .map(drop);
    assert_invalid(result, "page", "page 0");
    assert_nothing_sent(&server, "page 0").await;

    client(&server)
        .connections()
        .list(COMPANY)
        .page(1)
        .await
        .expect("page 1 is valid");
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        1
    );
}

#[tokio::test]
async fn query_of_2049_characters_sends_no_request() {
    let server = permissive_server().await;
    let result = client(&server)
        .connections()
        .list(COMPANY)
        .query("a".repeat(2049))
        .await
        .map(drop);
    assert_invalid(result, "query", "2049 characters");
    assert_nothing_sent(&server, "2049 characters").await;
}

#[tokio::test]
async fn query_of_2048_characters_is_sent_unchanged() {
    let query = format!("platformName={}", "a".repeat(2048 - "platformName=".len()));
    assert_eq!(query.chars().count(), 2048);
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("query", query.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(page_json()))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .connections()
        .list(COMPANY)
        .query(query.clone())
        .await
        .expect("2048 characters is the limit, not over it");
    server.verify().await;
}

#[tokio::test]
async fn query_limit_counts_characters_not_bytes() {
    let server = permissive_server().await;
    client(&server)
        .connections()
        .list(COMPANY)
        .query("é".repeat(2048))
        .await
        .expect("2048 two-byte characters are 2048 characters");
    assert_eq!(
        server.received_requests().await.expect("recording").len(),
        1
    );
}

#[tokio::test]
async fn status_filter_counts_towards_the_query_limit() {
    let server = permissive_server().await;
    let result = client(&server)
        .connections()
        .list(COMPANY)
        .query("a".repeat(2040))
        .status(ConnectionStatus::Linked)
        .await
        .map(drop);
    assert_invalid(result, "query", "query plus status over 2048");
    assert_nothing_sent(&server, "query plus status").await;
}

#[tokio::test]
async fn empty_query_and_empty_order_by_send_no_request() {
    let server = permissive_server().await;
    let c = client(&server);
    assert_invalid(
        c.connections().list(COMPANY).query("").await.map(drop),
        "query",
        "empty query",
    );
    assert_invalid(
        c.connections().list(COMPANY).order_by("").await.map(drop),
        "orderBy",
        "empty orderBy",
    );
    assert_nothing_sent(&server, "empty query / orderBy").await;
}

// ---------------------------------------------------------------- client settings

#[test]
fn plain_http_base_url_off_loopback_is_refused() {
    for bad in [
        "http://example.com",
        "http://api.codat.io",
        "http://localhost.evil.com",
        "http://10.0.0.1:8080",
        "ftp://127.0.0.1",
        "not a url",
    ] {
        let err = Client::builder("test-key")
            .base_url(bad)
            .build()
            .expect_err(bad);
        assert_eq!(err.invalid_field(), Some("baseUrl"), "{bad}: {err}");
    }
}

#[test]
fn https_and_loopback_http_base_urls_are_accepted() {
    for good in [
        "https://api.codat.io",
        "http://127.0.0.1:4010",
        "http://localhost:8080",
        "http://[::1]:9000",
    ] {
        let client = Client::builder("test-key")
            .base_url(good)
            .build()
            .unwrap_or_else(|e| panic!("{good}: {e}"));
        assert_eq!(
            client.base_url().as_str().trim_end_matches('/'),
            good.trim_end_matches('/')
        );
    }
}

#[test]
fn empty_api_key_is_refused() {
    for bad in ["", "   ", "\t"] {
        let err = Client::builder(bad).build().expect_err("no key");
        assert_eq!(err.invalid_field(), Some("apiKey"), "{bad:?}: {err}");
        assert!(
            matches!(err, Error::InvalidInput { value: None, .. }),
            "{err:?}"
        );
    }
}

fn assert_key_not_shown(shown: &str) {
    assert!(!shown.contains("test-key"), "{shown}");
    assert!(!shown.contains(KEY_BASE64), "{shown}");
}

#[test]
fn client_and_builder_debug_never_show_the_key() {
    let builder = Client::builder("test-key").base_url("http://127.0.0.1:1");
    assert_key_not_shown(&format!("{builder:?}"));
    let client = builder.build().expect("valid settings");
    let shown = format!("{client:?} {client:#?}");
    assert_key_not_shown(&shown);
    assert!(
        shown.contains("127.0.0.1"),
        "the Debug output is useful: {shown}"
    );
}

#[test]
fn settings_errors_never_show_the_key() {
    let errors = [
        Client::builder("test-key")
            .base_url("http://example.com")
            .build()
            .expect_err("http off loopback"),
        Client::builder("test-key\ntest-key")
            .build()
            .expect_err("a key with a newline inside"),
        Client::builder("tést-key")
            .build()
            .expect_err("non-ASCII key"),
    ];
    for err in errors {
        assert_key_not_shown(&format!("{err} {err:?}"));
    }
}

#[tokio::test]
async fn api_and_transport_errors_never_show_the_key() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "Unauthorized", "correlationId": "abc", "statusCode": 401
        })))
        .mount(&server)
        .await;
    let err = client(&server)
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("401");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_key_not_shown(&format!("{err} {err:?}"));

    // Nothing listens on a port just released by the operating system
    // (wiremock keeps its servers alive in a pool, so not one of those).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let err = Client::builder("test-key")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::none())
        .build()
        .expect("valid settings")
        .connections()
        .get(COMPANY, CONNECTION)
        .await
        .expect_err("nothing listens");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_key_not_shown(&format!("{err} {err:?}"));
}
