//! Invalid input is refused before anything is sent, naming the field (and
//! the value at the limit is sent as given), against a server that would
//! answer anything; and the API key never shows in errors or debug output.

use crate::support;

use std::collections::HashMap;

use codat_connections::{Client, ConnectionStatus, Error, ListConnections};
use support::{API_KEY, COMPANY, CONNECTION, KEY_BASE64, client, connection_json, page_json};
use wiremock::matchers::{any, method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
        .respond_with(ResponseTemplate::new(200).set_body_json(connection_json("Linked")))
        .mount(&server)
        .await;
    server
}

/// The requests `server` received: method, path and query.
async fn received(server: &MockServer) -> Vec<String> {
    let requests = server.received_requests().await.expect("recording is on");
    requests
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
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

/// Which field each operation refuses `company` and `connection` under
/// (`None`: it is sent), and what reaches the server.
async fn refused_ids(company: &str, connection: &str) -> (Vec<String>, Vec<String>) {
    let server = permissive_server().await;
    let results = every_operation(&client(&server.uri()), company, connection).await;
    let mut refusals = Vec::new();
    for (operation, result) in results {
        let field = result.as_ref().err().and_then(Error::invalid_field);
        if let Some(field) = field {
            assert_invalid(
                result,
                field,
                &format!("{operation} {company:?} {connection:?}"),
            );
        }
        refusals.push(format!("{operation}: {}", field.unwrap_or("sent")));
    }
    (refusals, received(&server).await)
}

/// The operations `every_operation` runs, in order: the first two take no
/// connection ID.
const OPERATIONS: [&str; 7] = [
    "list",
    "create",
    "get",
    "delete",
    "unlink",
    "update_authorization",
    "reauthorization",
];

#[tokio::test]
async fn each_invalid_id_is_refused_by_every_operation_and_a_valid_one_is_sent() {
    let every = |list_and_create: &str, others: &str| -> Vec<String> {
        let field = |i: usize| if i < 2 { list_and_create } else { others };
        let labelled = OPERATIONS.iter().enumerate();
        labelled
            .map(|(i, op)| format!("{op}: {}", field(i)))
            .collect()
    };
    let (refusals, sent) = refused_ids(COMPANY, CONNECTION).await;
    assert_eq!(refusals, every("sent", "sent"));
    assert_eq!(sent.len(), 7, "{sent:?}");
    let listed = format!("/companies/{COMPANY}/connections");
    for bad in BAD_IDS {
        let (refusals, sent) = refused_ids(bad, CONNECTION).await;
        assert_eq!(refusals, every("companyId", "companyId"), "{bad:?}");
        assert_eq!(sent, Vec::<String>::new(), "{bad:?}");
        let (refusals, sent) = refused_ids(COMPANY, bad).await;
        assert_eq!(refusals, every("sent", "connectionId"), "{bad:?}");
        let only_list_and_create = [format!("GET {listed}"), format!("POST {listed}")];
        assert_eq!(sent, only_list_and_create, "{bad:?}");
    }
    // Both invalid: nothing is sent, whichever is named.
    let (refusals, sent) = refused_ids("../", "../").await;
    assert!(refusals.iter().all(|r| r.ends_with("Id")), "{refusals:?}");
    assert_eq!(sent, Vec::<String>::new());
}

#[tokio::test]
async fn each_invalid_platform_key_is_refused_and_a_valid_one_is_sent() {
    let bad_keys = [
        "", "g", "gbo", "gbolx", "GBOL", "Gbol", "gb0l", "gb l", "gbé", "../a", "gbol\n",
    ];
    for key in bad_keys.into_iter().chain(["qhyg"]) {
        let server = permissive_server().await;
        let created = client(&server.uri())
            .connections()
            .create(COMPANY, key)
            .await
            .map(drop);
        if key == "qhyg" {
            assert!(created.is_ok(), "four lowercase letters are valid");
            assert_eq!(received(&server).await.len(), 1);
        } else {
            assert_invalid(created, "platformKey", &format!("{key:?}"));
            assert_eq!(received(&server).await, Vec::<String>::new(), "{key:?}");
        }
    }
}

/// What a listing does with a parameter: refuses it, naming the field, or
/// sends a query parameter with exactly this value.
enum Expect {
    Refused(&'static str),
    Sent(&'static str, String),
}

fn query_of(length: usize) -> String {
    let prefix = "platformName=";
    format!("{prefix}{}", "a".repeat(length - prefix.len()))
}

#[tokio::test]
async fn list_parameters_are_refused_past_their_limits_and_sent_at_them() {
    use Expect::{Refused, Sent};
    type Set = fn(ListConnections<'_>) -> ListConnections<'_>;
    let parameters: [(&str, Set, Expect); 13] = [
        ("pageSize 0", |l| l.page_size(0), Refused("pageSize")),
        ("pageSize 5001", |l| l.page_size(5001), Refused("pageSize")),
        (
            "pageSize u32::MAX",
            |l| l.page_size(u32::MAX),
            Refused("pageSize"),
        ),
        (
            "pageSize 1",
            |l| l.page_size(1),
            Sent("pageSize", "1".into()),
        ),
        (
            "pageSize 5000",
            |l| l.page_size(5000),
            Sent("pageSize", "5000".into()),
        ),
        ("page 0", |l| l.page(0), Refused("page")),
        ("page 1", |l| l.page(1), Sent("page", "1".into())),
        (
            "query of 2049 characters",
            |l| l.query(query_of(2049)),
            Refused("query"),
        ),
        (
            "query of 2048 characters",
            |l| l.query(query_of(2048)),
            Sent("query", query_of(2048)),
        ),
        // The limit counts characters, not bytes.
        (
            "2048 two-byte characters",
            |l| l.query("é".repeat(2048)),
            Sent("query", "é".repeat(2048)),
        ),
        // The status filter is part of the query.
        (
            "query and status over 2048",
            |l| l.query("a".repeat(2040)).status(ConnectionStatus::Linked),
            Refused("query"),
        ),
        ("empty query", |l| l.query(""), Refused("query")),
        ("empty orderBy", |l| l.order_by(""), Refused("orderBy")),
    ];
    for (what, set, expect) in parameters {
        let server = permissive_server().await;
        let client = client(&server.uri());
        let result = set(client.connections().list(COMPANY)).await.map(drop);
        let requests = server.received_requests().await.expect("recording is on");
        match expect {
            Refused(field) => {
                assert_invalid(result, field, what);
                assert_eq!(requests.len(), 0, "{what}");
            }
            Sent(name, value) => {
                result.unwrap_or_else(|e| panic!("{what}: {e}"));
                let [request] = requests.as_slice() else {
                    panic!("{what}: {} requests", requests.len());
                };
                let sent = request.url.query_pairs().find(|(key, _)| key == name);
                assert_eq!(sent.map(|(_, v)| v.into_owned()), Some(value), "{what}");
            }
        }
    }
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
        let err = Client::builder(API_KEY)
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
        let client = client(good);
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
    assert!(!shown.contains(API_KEY), "{shown}");
    assert!(!shown.contains(KEY_BASE64), "{shown}");
}

#[test]
fn client_and_builder_debug_never_show_the_key() {
    let builder = Client::builder(API_KEY).base_url("http://127.0.0.1:1");
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
        Client::builder(API_KEY)
            .base_url("http://example.com")
            .build()
            .expect_err("http off loopback"),
        Client::builder(format!("{API_KEY}\n{API_KEY}"))
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
    let unauthorized = support::codat_error(401, "Unauthorized", "abc");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(401).set_body_json(unauthorized))
        .mount(&server)
        .await;
    // Nothing listens on a port just released by the operating system
    // (wiremock keeps its servers alive in a pool, so not one of those).
    let nowhere = format!("http://127.0.0.1:{}", support::net::free_port());
    for (base_url, expected) in [(server.uri(), "401"), (nowhere, "transport")] {
        let answer = client(&base_url)
            .connections()
            .get(COMPANY, CONNECTION)
            .await;
        let err = answer.expect_err(expected);
        let got = match (&err, err.status()) {
            (Error::Transport { .. }, _) => "transport".to_owned(),
            (_, status) => status.map(|s| s.as_u16().to_string()).unwrap_or_default(),
        };
        assert_eq!(got, expected, "{err:?}");
        assert_key_not_shown(&format!("{err} {err:?}"));
    }
}
