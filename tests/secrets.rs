//! The promise: the API key never appears in `Debug` output, logs, errors or
//! panics; nor does a webhook signing secret.
//!
//! Each test captures every tracing span and event (TRACE level, span
//! new/close events with their fields, dependencies included) into memory
//! with a scoped subscriber, drives the client through a tour of operations
//! and failures, collects the `Debug` and `Display` text of everything the
//! SDK hands back (and of every error's `source()` chain), and searches all
//! of it for the key, its base64 and the `Authorization` header value.
#![cfg(feature = "mock")]

mod support;

use std::collections::{BTreeSet, HashMap};
use std::fmt::{Debug, Display};
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use codat_connections::mock::{Fault, MockCodat, MOCK_API_KEY};
use codat_connections::{
    Client, ClientBuilder, CompanyId, ConnectionId, ConnectionStatus, Error, Reauthorization,
    RetryPolicy,
};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AREA: &str = "Secrets";
const SECRET: &str = "sk-live-Secret123";
const SECRET_BASE64: &str = "c2stbGl2ZS1TZWNyZXQxMjM=";
const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const CONNECTION: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";

// ---------------------------------------------------------------------------
// What is searched for, and the search itself.

/// The forms in which a key could leak: the key, a distinctive part of it,
/// its base64 (without padding, so that a cut-off copy is found too) and the
/// full header value.
fn forms_of(key: &str) -> Vec<(&'static str, String)> {
    let base64 = base64::engine::general_purpose::STANDARD.encode(key);
    let mut forms = vec![
        ("the API key", key.to_owned()),
        ("the key's base64", base64.trim_end_matches('=').to_owned()),
        ("the Authorization header value", format!("Basic {base64}")),
    ];
    if key == SECRET {
        forms.push(("the distinctive part of the key", "Secret123".to_owned()));
    }
    forms
}

/// Every form of every key in `forms` that `text` contains (case-insensitively).
fn leaks(text: &str, forms: &[(&'static str, String)]) -> Vec<&'static str> {
    let haystack = text.to_ascii_lowercase();
    forms
        .iter()
        .filter(|(_, needle)| haystack.contains(&needle.to_ascii_lowercase()))
        .map(|(label, _)| *label)
        .collect()
}

/// Asserts that no collected text holds any form of the keys, showing the
/// offending text around the first hit when one does.
fn assert_no_leak(what: &str, texts: &[(String, String)], forms: &[(&'static str, String)]) {
    for (label, text) in texts {
        let found = leaks(text, forms);
        if found.is_empty() {
            continue;
        }
        let lower = text.to_ascii_lowercase();
        let needle = forms
            .iter()
            .find(|(l, _)| *l == found[0])
            .map(|(_, n)| n.to_ascii_lowercase())
            .unwrap_or_default();
        let at = lower.find(&needle).unwrap_or(0);
        let start = text.floor_char_boundary_compat(at.saturating_sub(300));
        let end = text.floor_char_boundary_compat((at + needle.len() + 300).min(text.len()));
        panic!(
            "LEAK in {what}: {label} contains {found:?}; around it:\n...{}...",
            &text[start..end]
        );
    }
}

trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, index: usize) -> usize;
}

impl FloorCharBoundary for str {
    fn floor_char_boundary_compat(&self, mut index: usize) -> usize {
        index = index.min(self.len());
        while !self.is_char_boundary(index) {
            index -= 1;
        }
        index
    }
}

// ---------------------------------------------------------------------------
// Capturing tracing output.

/// An in-memory log, written by a `fmt` subscriber.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl io::Write for BufferWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = BufferWriter;

    fn make_writer(&'a self) -> Self::Writer {
        BufferWriter(self.0.clone())
    }
}

impl Buffer {
    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// Runs `tour` on a current-thread runtime (so every task, the mock's
/// included, runs where the scoped subscriber is the default) with every
/// span and event at TRACE level captured; returns the tour's result and
/// the captured log.
fn traced<T>(tour: impl std::future::Future<Output = T>) -> (T, String) {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_target(true)
        .with_file(true)
        .with_line_number(true)
        .with_writer(buffer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(tour)
    });
    (result, buffer.text())
}

// ---------------------------------------------------------------------------
// Collecting what the SDK shows.

/// Every piece of text the SDK produced during a tour, labelled.
#[derive(Default)]
struct Shown {
    texts: Vec<(String, String)>,
    variants: BTreeSet<&'static str>,
    errors: usize,
}

fn variant(error: &Error) -> &'static str {
    match error {
        Error::Api(_) => "Api",
        Error::InvalidInput { .. } => "InvalidInput",
        Error::Timeout { .. } => "Timeout",
        Error::Transport { .. } => "Transport",
        Error::Decode { .. } => "Decode",
        Error::InconsistentPaging { .. } => "InconsistentPaging",
        Error::ResponseTooLarge { .. } => "ResponseTooLarge",
        _ => "unknown",
    }
}

const ALL_VARIANTS: [&str; 7] = [
    "Api",
    "InvalidInput",
    "Timeout",
    "Transport",
    "Decode",
    "InconsistentPaging",
    "ResponseTooLarge",
];

impl Shown {
    fn debug(&mut self, label: &str, value: &impl Debug) {
        self.texts
            .push((format!("{label} (Debug)"), format!("{value:?}")));
        self.texts
            .push((format!("{label} (Debug, alternate)"), format!("{value:#?}")));
    }

    fn display(&mut self, label: &str, value: &impl Display) {
        self.texts
            .push((format!("{label} (Display)"), format!("{value}")));
    }

    /// The error's `Debug` and `Display`, and those of its `source()` chain.
    fn error(&mut self, label: &str, error: &Error) {
        self.errors += 1;
        self.variants.insert(variant(error));
        let label = format!("{label}: Error::{}", variant(error));
        self.debug(&label, error);
        self.display(&label, error);
        let mut source = std::error::Error::source(error);
        let mut depth = 0;
        while let Some(cause) = source {
            depth += 1;
            let label = format!("{label} source #{depth}");
            self.texts
                .push((format!("{label} (Debug)"), format!("{cause:?}")));
            self.texts
                .push((format!("{label} (Display)"), format!("{cause}")));
            source = cause.source();
        }
    }

    /// A result: the value's `Debug`, or the error's text.
    fn result<T: Debug>(&mut self, label: &str, result: &Result<T, Error>) {
        match result {
            Ok(value) => self.debug(label, value),
            Err(error) => self.error(label, error),
        }
    }

    /// Like [`Shown::result`], but the call must have failed.
    fn failure<T: Debug>(&mut self, label: &str, result: &Result<T, Error>) {
        assert!(
            result.is_err(),
            "{label}: expected an error, got {result:?}"
        );
        self.result(label, result);
    }

    /// Like [`Shown::result`], but the call must have succeeded.
    fn success<T: Debug>(&mut self, label: &str, result: &Result<T, Error>) {
        assert!(result.is_ok(), "{label}: expected success, got {result:?}");
        self.result(label, result);
    }

    /// The client, its builder and its retry policy.
    fn client(&mut self, label: &str, builder: &ClientBuilder, client: &Client) {
        self.debug(&format!("{label} builder"), builder);
        self.debug(&format!("{label} client"), client);
        self.debug(&format!("{label} retry policy"), client.retry_policy());
        self.debug(&format!("{label} connections()"), &client.connections());
        self.debug(
            &format!("{label} list request"),
            &client.connections().list(COMPANY).page_size(10),
        );
    }

    fn assert_every_variant(&self) {
        for wanted in ALL_VARIANTS {
            assert!(
                self.variants.contains(wanted),
                "the tour produced no Error::{wanted} (got {:?})",
                self.variants
            );
        }
    }
}

/// A fast retry policy: `Retry-After` and backoff waits are capped at 50 ms.
fn fast_retry() -> RetryPolicy {
    RetryPolicy::default()
        .initial_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(50))
        .max_attempts(4)
}

/// A base URL where nothing listens: a port that was free a moment ago.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let address = listener.local_addr().expect("its address");
    drop(listener);
    format!("http://{address}")
}

/// A page that claims a successor although it is empty.
fn empty_page_with_next() -> Vec<u8> {
    json!({
        "results": [],
        "pageNumber": 1,
        "pageSize": 100,
        "totalResults": 0,
        "_links": {
            "self": {"href": "/companies/x/connections"},
            "current": {"href": "/companies/x/connections?page=1"},
            "next": {"href": "/companies/x/connections?page=2"}
        }
    })
    .to_string()
    .into_bytes()
}

fn json_fault(status: u16, body: Vec<u8>) -> Fault {
    Fault::Respond {
        status,
        content_type: "application/json".into(),
        body,
    }
}

/// Every operation of `client` once, whatever the outcome (used where every
/// answer is a 401).
async fn every_operation(shown: &mut Shown, label: &str, client: &Client, company: CompanyId) {
    let connection: ConnectionId = CONNECTION.parse().expect("a connection ID");
    let ops = client.connections();
    shown.result(&format!("{label} list"), &ops.list(company).await);
    shown.result(
        &format!("{label} list by status"),
        &ops.list(company)
            .status(ConnectionStatus::Deauthorized)
            .await,
    );
    shown.result(
        &format!("{label} create"),
        &ops.create(company, "gbol").await,
    );
    shown.result(&format!("{label} get"), &ops.get(company, connection).await);
    shown.result(
        &format!("{label} unlink"),
        &ops.unlink(company, connection).await,
    );
    let authorization = HashMap::from([("token".to_owned(), "t".to_owned())]);
    shown.result(
        &format!("{label} update authorization"),
        &ops.update_authorization(company, connection, &authorization)
            .await,
    );
    shown.result(
        &format!("{label} reauthorization"),
        &ops.reauthorization(company, connection).await,
    );
    shown.result(
        &format!("{label} needing reauthorization"),
        &ops.needing_reauthorization(company).await,
    );
    shown.result(
        &format!("{label} delete"),
        &ops.delete(company, connection).await,
    );
    let pages: Vec<_> = ops.list(company).pages().collect().await;
    shown.debug(&format!("{label} pages without read-ahead"), &pages);
    for page in &pages {
        shown.result(&format!("{label} page"), page);
    }
    let pages: Vec<_> = ops.list(company).read_ahead(2).pages().collect().await;
    shown.debug(&format!("{label} pages with read-ahead"), &pages);
    for page in &pages {
        shown.result(&format!("{label} page (read-ahead)"), page);
    }
    shown.result(
        &format!("{label} collect_all with read-ahead"),
        &ops.list(company).read_ahead(1).collect_all().await,
    );
    shown.result(
        &format!("{label} find"),
        &ops.list(company).find(|_| true).await,
    );
}

/// Invalid input, refused before anything is sent.
async fn invalid_inputs(shown: &mut Shown, label: &str, client: &Client, company: CompanyId) {
    let ops = client.connections();
    shown.failure(
        &format!("{label} invalid company"),
        &ops.get("../not-a-uuid", CONNECTION).await,
    );
    shown.failure(
        &format!("{label} invalid connection"),
        &ops.get(company, "not-a-uuid").await,
    );
    shown.failure(
        &format!("{label} invalid platform key"),
        &ops.create(company, "not a key!").await,
    );
    shown.failure(
        &format!("{label} page size 0"),
        &ops.list(company).page_size(0).await,
    );
    shown.failure(&format!("{label} page 0"), &ops.list(company).page(0).await);
    shown.failure(
        &format!("{label} query too long"),
        &ops.list(company).query("a".repeat(3000)).await,
    );
    shown.failure(
        &format!("{label} empty orderBy"),
        &ops.list(company).order_by("").await,
    );
    let first: Vec<_> = ops.list("nope").pages().take(1).collect().await;
    shown.debug(&format!("{label} stream of an invalid company"), &first);
    for page in &first {
        shown.failure(&format!("{label} stream of an invalid company"), page);
    }
}

// ---------------------------------------------------------------------------
// The tours.

/// A full tour against the mock Codat with the key it accepts: every
/// operation succeeds, then every kind of failure is provoked.
async fn mock_tour(shown: &mut Shown) {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    let builder = || {
        Client::builder(MOCK_API_KEY)
            .base_url(codat.base_url())
            .retry(fast_retry())
            .timeout(Duration::from_secs(5))
    };
    shown.debug("mock client builder", &builder());
    let client = builder().build().expect("a client");
    shown.client("mock", &builder(), &client);
    let ops = client.connections();

    // Every operation, succeeding.
    for _ in 0..5 {
        codat.add_connection(
            company,
            "gbol".parse().expect("a key"),
            ConnectionStatus::Deauthorized,
        );
    }
    let linked = codat.add_connection(
        company,
        "gbol".parse().expect("a key"),
        ConnectionStatus::Linked,
    );
    let created = ops.create(company, "gbol").await;
    shown.success("create", &created);
    let created = created.expect("created").id;
    shown.success("get", &ops.get(company, created).await);
    shown.success("list", &ops.list(company).await);
    shown.success(
        "list by status",
        &ops.list(company)
            .status(ConnectionStatus::Deauthorized)
            .page_size(2)
            .await,
    );
    let pages: Vec<_> = ops.list(company).page_size(2).pages().collect().await;
    assert!(pages.len() > 1, "several pages");
    shown.debug("pages without read-ahead", &pages);
    for page in &pages {
        shown.success("page without read-ahead", page);
    }
    let stream = ops.list(company).page_size(2).read_ahead(2).pages();
    shown.debug("page stream with read-ahead", &stream);
    let pages: Vec<_> = stream.collect().await;
    assert!(pages.len() > 1, "several pages");
    for page in &pages {
        shown.success("page with read-ahead", page);
    }
    let stream = ops.list(company).page_size(3).read_ahead(1).connections();
    shown.debug("connection stream with read-ahead", &stream);
    shown.success(
        "connections with read-ahead",
        &stream.try_collect::<Vec<_>>().await,
    );
    shown.success(
        "connections without read-ahead",
        &ops.list(company)
            .page_size(4)
            .connections()
            .try_collect::<Vec<_>>()
            .await,
    );
    shown.success(
        "collect_all",
        &ops.list(company).page_size(2).collect_all().await,
    );
    shown.success(
        "find",
        &ops.list(company)
            .page_size(2)
            .read_ahead(3)
            .find(|c| c.id == linked)
            .await,
    );
    let authorization = HashMap::from([("refreshToken".to_owned(), "abc".to_owned())]);
    shown.success(
        "update authorization",
        &ops.update_authorization(company, created, &authorization)
            .await,
    );

    // Re-authorization helpers.
    shown.success(
        "reauthorization of a pending connection",
        &ops.reauthorization(company, created).await,
    );
    shown.success(
        "reauthorization of a linked connection",
        &ops.reauthorization(company, linked).await,
    );
    let needing = ops.needing_reauthorization(company).await;
    shown.success("needing reauthorization", &needing);
    assert_eq!(needing.expect("listed").len(), 5);
    let mut broken = ops.get(company, linked).await.expect("a connection");
    broken.status = ConnectionStatus::Deauthorized;
    broken.link_url = "not a url".into();
    shown.failure(
        "Reauthorization::of a bad link",
        &Reauthorization::of(broken),
    );

    shown.success("unlink", &ops.unlink(company, linked).await);
    shown.success(
        "reauthorization of an unlinked connection",
        &ops.reauthorization(company, linked).await,
    );
    shown.success("delete", &ops.delete(company, created).await);
    shown.failure(
        "get of a deleted connection",
        &ops.get(company, created).await,
    );
    shown.failure(
        "query the mock refuses",
        &ops.list(company).query("sourceType=Banking").await,
    );

    // Retries: 429 with Retry-After and 503, recovered and exhausted.
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
        1,
    );
    shown.success("list after a 429", &ops.list(company).await);
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        2,
    );
    shown.success("get after two 503s", &ops.get(company, linked).await);
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("Wed, 21 Oct 2015 07:28:00 GMT".into()),
        },
        1,
    );
    shown.success("create after a 429", &ops.create(company, "gbol").await);
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: Some("1".into()),
        },
        4,
    );
    shown.failure("get after four 503s", &ops.get(company, linked).await);
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    );
    shown.failure("create on a 503", &ops.create(company, "gbol").await);
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("3600".into()),
        },
        1,
    );
    shown.failure(
        "list with a Retry-After past the deadline",
        &ops.list(company)
            .retry(fast_retry().max_delay(Duration::from_secs(3600)))
            .await,
    );

    // A timeout, alone and retried.
    let slow_builder = || builder().timeout(Duration::from_millis(200));
    let slow = slow_builder().build().expect("a client");
    shown.client("mock slow", &slow_builder(), &slow);
    codat.inject(Fault::Delay(Duration::from_secs(2)), 1);
    shown.failure(
        "timeout",
        &slow
            .connections()
            .retry(RetryPolicy::none())
            .get(company, linked)
            .await,
    );
    codat.inject(Fault::Delay(Duration::from_secs(2)), 2);
    shown.failure(
        "timeout, retried",
        &slow
            .connections()
            .retry(fast_retry().max_attempts(2))
            .list(company)
            .await,
    );

    // Dropped connections.
    codat.inject(Fault::DropConnection, 1);
    shown.failure(
        "dropped connection",
        &ops.clone()
            .retry(RetryPolicy::none())
            .get(company, linked)
            .await,
    );
    codat.inject(Fault::DropConnection, 1);
    shown.result(
        "dropped connection, retried",
        &ops.get(company, linked).await,
    );
    codat.inject(
        Fault::DropDuringBody {
            status: 200,
            partial_body: b"{\"results\": [".to_vec(),
        },
        1,
    );
    shown.failure(
        "connection dropped during the body",
        &ops.clone().retry(RetryPolicy::none()).list(company).await,
    );

    // Answers that are not what the contract says.
    codat.inject(json_fault(200, b"<html>not json</html>".to_vec()), 1);
    shown.failure("decode error", &ops.get(company, linked).await);
    codat.inject(json_fault(200, Vec::new()), 1);
    shown.failure("empty body", &ops.list(company).await);
    codat.inject(json_fault(502, b"<html>Bad gateway</html>".to_vec()), 1);
    shown.failure(
        "proxy error page",
        &ops.clone().retry(RetryPolicy::none()).list(company).await,
    );
    codat.inject(json_fault(200, empty_page_with_next()), 1);
    let pages: Vec<_> = ops.list(company).pages().collect().await;
    shown.debug("inconsistent pages", &pages);
    assert!(pages.iter().any(Result::is_err));
    for page in &pages {
        shown.result("inconsistent paging", page);
    }
    codat.inject(json_fault(200, empty_page_with_next()), 1);
    shown.failure(
        "inconsistent paging with read-ahead",
        &ops.list(company).read_ahead(2).collect_all().await,
    );

    // An answer over the size limit.
    let small_builder = || builder().max_response_bytes(64);
    let small = small_builder().build().expect("a client");
    shown.client("mock small", &small_builder(), &small);
    codat.inject(json_fault(200, vec![b' '; 10_000]), 1);
    shown.failure(
        "response too large (injected)",
        &small.connections().get(company, linked).await,
    );
    shown.failure(
        "response too large (a real page)",
        &small.connections().list(company).await,
    );
    let pages: Vec<_> = small.connections().list(company).pages().collect().await;
    for page in &pages {
        shown.failure("response too large (stream)", page);
    }

    // Nothing listening.
    let closed_builder = || {
        Client::builder(MOCK_API_KEY)
            .base_url(closed_port_url())
            .retry(fast_retry().max_attempts(3))
    };
    let closed = closed_builder().build().expect("a client");
    shown.client("closed port", &closed_builder(), &closed);
    shown.failure(
        "connection refused, retried",
        &closed.connections().list(company).await,
    );
    shown.failure(
        "connection refused on create",
        &closed.connections().create(company, "gbol").await,
    );

    invalid_inputs(shown, "mock", &client, company).await;

    // A 401: a key the mock does not accept.
    let wrong = Client::builder("some-other-key")
        .base_url(codat.base_url())
        .build()
        .expect("a client");
    shown.failure("401", &wrong.connections().list(company).await);

    shown.debug("mock", &codat);
}

/// The distinctive key, raw and as the portal's ready-made header value,
/// against the mock (which answers 401 to everything) and against wiremock
/// (which accepts exactly that header value).
async fn distinctive_tour(shown: &mut Shown) -> Vec<String> {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    let ready_made = format!("Basic {SECRET_BASE64}");
    let server = MockServer::start().await;
    let expected_header = format!("Basic {SECRET_BASE64}");
    let connection_path = format!("/companies/{COMPANY}/connections/{CONNECTION}");
    let list_path = format!("/companies/{COMPANY}/connections");
    let connection = |status: &str| {
        let mut value: serde_json::Value =
            serde_json::from_str(include_str!("data/connection.json")).expect("a fixture");
        value["status"] = json!(status);
        value
    };
    let page = json!({
        "results": [connection("Deauthorized")],
        "pageNumber": 1,
        "pageSize": 100,
        "totalResults": 1,
        "_links": {
            "self": {"href": list_path},
            "current": {"href": format!("{list_path}?page=1")}
        }
    });
    let authorized = |verb: &str, at: &str| {
        Mock::given(method(verb))
            .and(path(at))
            .and(header("authorization", expected_header.as_str()))
    };
    authorized("GET", &list_path)
        .respond_with(ResponseTemplate::new(200).set_body_json(&page))
        .mount(&server)
        .await;
    authorized("POST", &list_path)
        .respond_with(ResponseTemplate::new(200).set_body_json(connection("PendingAuth")))
        .mount(&server)
        .await;
    authorized("GET", &connection_path)
        .respond_with(ResponseTemplate::new(200).set_body_json(connection("Deauthorized")))
        .mount(&server)
        .await;
    authorized("PATCH", &connection_path)
        .respond_with(ResponseTemplate::new(200).set_body_json(connection("Unlinked")))
        .mount(&server)
        .await;
    authorized("PUT", &format!("{connection_path}/authorization"))
        .respond_with(ResponseTemplate::new(200).set_body_json(connection("Linked")))
        .mount(&server)
        .await;
    authorized("DELETE", &connection_path)
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "statusCode": 401,
            "service": "PublicApi",
            "error": "Unauthorized",
            "correlationId": "c0ffee",
            "canBeRetried": "False",
            "detailedErrorCode": 0
        })))
        .with_priority(10)
        .mount(&server)
        .await;

    for (form, key) in [("raw key", SECRET.to_owned()), ("header value", ready_made)] {
        // Against the mock: every answer is a 401.
        let builder = || {
            Client::builder(key.clone())
                .base_url(codat.base_url())
                .retry(fast_retry())
        };
        let client = builder().build().expect("a client");
        shown.client(&format!("{form} on the mock"), &builder(), &client);
        every_operation(shown, &format!("{form} 401"), &client, company).await;
        invalid_inputs(shown, form, &client, company).await;

        // Against wiremock: every operation succeeds, then failures.
        let builder = || {
            Client::builder(key.clone())
                .base_url(server.uri())
                .retry(fast_retry())
                .timeout(Duration::from_secs(1))
        };
        let client = builder().build().expect("a client");
        shown.client(&format!("{form} on wiremock"), &builder(), &client);
        let company: CompanyId = COMPANY.parse().expect("a company ID");
        every_operation(shown, &format!("{form} wiremock"), &client, company).await;
        let ops = client.connections();

        authorized("GET", &connection_path)
            .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.success(
            "wiremock get after a 429",
            &ops.get(company, CONNECTION).await,
        );
        authorized("GET", &list_path)
            .respond_with(ResponseTemplate::new(503))
            .up_to_n_times(2)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.success("wiremock list after two 503s", &ops.list(company).await);
        authorized("GET", &connection_path)
            .respond_with(ResponseTemplate::new(503).insert_header("Retry-After", "1"))
            .up_to_n_times(4)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.failure(
            "wiremock retries exhausted",
            &ops.get(company, CONNECTION).await,
        );
        authorized("GET", &connection_path)
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(connection("Linked"))
                    .set_delay(Duration::from_secs(5)),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.failure(
            "wiremock timeout",
            &ops.clone()
                .retry(RetryPolicy::none())
                .get(company, CONNECTION)
                .await,
        );
        authorized("GET", &connection_path)
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>hello</html>"))
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.failure("wiremock decode error", &ops.get(company, CONNECTION).await);
        authorized("GET", &list_path)
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(empty_page_with_next(), "application/json"),
            )
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        shown.failure(
            "wiremock inconsistent paging",
            &ops.list(company).collect_all().await,
        );
        let small = Client::builder(key.clone())
            .base_url(server.uri())
            .max_response_bytes(16)
            .build()
            .expect("a client");
        shown.failure(
            "wiremock response too large",
            &small.connections().get(company, CONNECTION).await,
        );
        let closed = Client::builder(key.clone())
            .base_url(closed_port_url())
            .retry(fast_retry().max_attempts(2))
            .build()
            .expect("a client");
        shown.failure(
            "connection refused",
            &closed.connections().get(company, CONNECTION).await,
        );
    }

    // What wiremock received: the header, as the positive control.
    let received = server.received_requests().await.unwrap_or_default();
    assert!(!received.is_empty());
    received
        .iter()
        .map(|request| format!("{:?}", request.headers))
        .collect()
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn the_search_finds_every_form_of_the_key() {
    let forms = forms_of(SECRET);
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(SECRET),
        SECRET_BASE64
    );
    for (label, needle) in &forms {
        let text = format!("prefix {needle} suffix");
        assert!(leaks(&text, &forms).contains(label), "{label}");
        let upper = text.to_uppercase();
        assert!(
            leaks(&upper, &forms).contains(label),
            "{label} in upper case"
        );
    }
    assert!(leaks(&format!("Basic {SECRET_BASE64}"), &forms).len() >= 2);
    assert!(leaks("nothing to see here <redacted>", &forms).is_empty());
    let mock_forms = forms_of(MOCK_API_KEY);
    assert_eq!(
        leaks("Authorization: Basic bW9jay1jb2RhdC1hcGkta2V5", &mock_forms),
        ["the key's base64", "the Authorization header value"]
    );
    // The capture sees TRACE events' fields and span fields (on new/close).
    let ((), log) = traced(async {
        let span = tracing::trace_span!("planted.span", key = SECRET);
        let _entered = span.enter();
    });
    assert!(log.contains("planted.span"), "{log}");
    assert!(leaks(&log, &forms).contains(&"the API key"), "{log}");
    let ((), log) = traced(async {
        tracing::trace!(authorization = %format!("Basic {SECRET_BASE64}"), "planted event");
    });
    assert!(
        leaks(&log, &forms).contains(&"the Authorization header value"),
        "{log}"
    );
    let caught = std::panic::catch_unwind(|| {
        assert_no_leak(
            "a planted leak",
            &[("text".into(), format!("key={SECRET}"))],
            &forms,
        );
    });
    assert!(caught.is_err(), "assert_no_leak misses a planted key");
}

#[test]
fn the_mock_tour_never_shows_the_key() {
    let mut shown = Shown::default();
    let ((), log) = traced(mock_tour(&mut shown));
    let forms = forms_of(MOCK_API_KEY);

    // Not vacuous: the log holds every operation and the retries.
    for needle in [
        "attempt",
        "codat.request",
        "codat.response",
        "list-connections",
        "create-connection",
        "get-connection",
        "unlink-connection",
        "delete-connection",
        "update-connection-authorization",
        "retrying",
        "429",
        "503",
        "timed out",
        "could not talk to Codat",
    ] {
        assert!(log.contains(needle), "the log lacks {needle:?}:\n{log}");
    }
    assert!(shown.errors > 20, "only {} errors", shown.errors);
    shown.assert_every_variant();

    assert_no_leak(
        "the tracing output of the mock tour",
        &[("tracing log".into(), log)],
        &forms,
    );
    assert_no_leak("the mock tour's Debug/Display", &shown.texts, &forms);
    support::record(
        AREA,
        "Tracing output at TRACE level (spans with fields, every event) of a full tour against the mock: every operation, list streams with and without read-ahead, re-authorization helpers, 429/503 retries, timeout, dropped connection, decode error, 401",
        "API key, its base64 and the header value absent",
    );
    support::record(
        AREA,
        "Debug and Display of the Client, ClientBuilder, RetryPolicy, results, and every Error variant (Api, InvalidInput, Timeout, Transport, Decode, InconsistentPaging, ResponseTooLarge) with its source() chain",
        "API key, its base64 and the header value absent",
    );
}

#[test]
fn the_distinctive_key_never_shows_raw_or_ready_made() {
    let mut shown = Shown::default();
    let (received, log) = traced(distinctive_tour(&mut shown));
    let forms = forms_of(SECRET);

    // Positive control: the key did travel, in the header wiremock received.
    assert!(
        received
            .iter()
            .all(|headers| !leaks(headers, &forms).is_empty()),
        "wiremock received a request without the key"
    );
    for needle in [
        "attempt",
        "codat.request",
        "list-connections",
        "create-connection",
        "get-connection",
        "unlink-connection",
        "delete-connection",
        "update-connection-authorization",
        "401",
        "retrying",
    ] {
        assert!(log.contains(needle), "the log lacks {needle:?}:\n{log}");
    }
    shown.assert_every_variant();

    assert_no_leak(
        "the tracing output of the distinctive-key tour",
        &[("tracing log".into(), log)],
        &forms,
    );
    assert_no_leak(
        "the distinctive-key tour's Debug/Display",
        &shown.texts,
        &forms,
    );
    support::record(
        AREA,
        "A key given raw and as the portal's ready-made `Basic ...` value: tracing output, Debug and Display of clients, results and errors, through successes (wiremock), 401s (mock), retries, timeout, decode, paging, size and connection errors",
        "API key, its base64 and the header value absent",
    );
}

/// The message a panicking closure left.
fn panic_message(run: Box<dyn FnOnce() + std::panic::UnwindSafe>) -> String {
    let payload = std::panic::catch_unwind(run).expect_err("the closure panics");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a text payload");
    assert!(!message.is_empty());
    message
}

#[test]
fn panics_and_key_errors_never_show_the_key() {
    let forms = forms_of(SECRET);
    let mut texts: Vec<(String, String)> = Vec::new();
    let mut panic_text = |label: &str, run: Box<dyn FnOnce() + std::panic::UnwindSafe>| {
        texts.push((format!("panic of {label}"), panic_message(run)));
    };
    let ready_made = format!("Basic {SECRET_BASE64}");
    for key in [SECRET.to_owned(), ready_made] {
        let k = key.clone();
        panic_text(
            "build().unwrap() with a bad base URL",
            Box::new(move || {
                Client::builder(k).base_url("not a url").build().unwrap();
            }),
        );
        let k = key.clone();
        panic_text(
            "build().unwrap() with plain http",
            Box::new(move || {
                Client::builder(k)
                    .base_url("http://api.codat.io")
                    .build()
                    .unwrap();
            }),
        );
        let k = key.clone();
        panic_text(
            "build().expect() with a bad user agent",
            Box::new(move || {
                Client::builder(k)
                    .user_agent("bad\nagent")
                    .build()
                    .expect("a client");
            }),
        );
        let k = key.clone();
        panic_text(
            "unwrap_err() of a client",
            Box::new(move || {
                Client::builder(k).build().unwrap_err();
            }),
        );
        let k = key.clone();
        panic_text(
            "a panic formatting the client and builder",
            Box::new(move || {
                let builder = Client::builder(k.clone());
                let client = Client::new(k).unwrap();
                panic!("{builder:?} {client:?} {client:#?}");
            }),
        );
    }
    // Keys that are refused: the error never echoes them.
    let refused = [
        format!("{SECRET}é"),
        format!("Basic {SECRET_BASE64}\u{7}"),
        format!("{SECRET}\nSecret123"),
        format!("Basic {SECRET}é"),
    ];
    let mut errors = 0;
    for key in refused {
        let builder = Client::builder(key.clone());
        texts.push(("builder with a bad key".into(), format!("{builder:?}")));
        let error = builder.build().expect_err("a bad key is refused");
        assert_eq!(error.invalid_field(), Some("apiKey"));
        texts.push(("bad key error (Debug)".into(), format!("{error:?}")));
        texts.push(("bad key error (Display)".into(), error.to_string()));
        errors += 1;
        let k = key.clone();
        let message = panic_message(Box::new(move || {
            Client::builder(k).build().unwrap();
        }));
        texts.push(("panic of build().unwrap() with a bad key".into(), message));
    }
    assert_eq!(errors, 4);
    assert!(texts.iter().any(|(_, t)| t.contains("<redacted>")));
    assert!(texts.iter().any(|(_, t)| t.contains("baseUrl")));

    assert_no_leak("panic payloads and key errors", &texts, &forms);
    support::record(
        AREA,
        "Panic messages of unwrap()/expect() on builder errors and on a client (bad base URL, plain http, bad user agent, refused keys), and errors for refused keys",
        "API key, its base64 and the header value absent",
    );
}

// ---------------------------------------------------------------------------
// The webhook signing secret is kept like the API key.

#[test]
fn the_webhook_signing_secret_never_shows() {
    use codat_connections::webhooks::Webhooks;

    const SIGNING_SECRET: &str = "whsec_U2lnbmluZ1NlY3JldEZvclRoZVRvdXI=";
    let encoded = SIGNING_SECRET.trim_start_matches("whsec_");
    let forms = vec![
        ("the signing secret", SIGNING_SECRET.to_owned()),
        ("its base64", encoded.trim_end_matches('=').to_owned()),
        ("the key it encodes", "SigningSecretForTheTour".to_owned()),
    ];
    let mut shown = Shown::default();
    let (texts, log) = traced(async {
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut show = |label: &str, text: String| texts.push((label.to_owned(), text));
        let webhooks = Webhooks::new(SIGNING_SECRET).unwrap();
        show("Webhooks", format!("{webhooks:?}"));
        let body =
            br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01", "eventType": "connection.paused"}"#;
        let signed = webhooks.sign("msg_tour", 0, body);
        show("signed headers", format!("{signed:?}"));
        let mut headers = signed.to_header_map();
        for (label, result) in [
            ("no headers", webhooks.verify(&http::HeaderMap::new(), body)),
            ("stale", webhooks.verify(&headers, body)),
            (
                "too large",
                webhooks.clone().max_body_bytes(1).verify(&headers, body),
            ),
        ] {
            let err = result.unwrap_err();
            show(label, format!("{err} {err:?}"));
        }
        headers.insert("webhook-signature", "v1,AAAA".parse().unwrap());
        let err = webhooks.verify(&headers, body).unwrap_err();
        show("bad signature", format!("{err} {err:?}"));
        for malformed in [format!("{SIGNING_SECRET}!"), format!("{encoded} x")] {
            let err = Webhooks::new(&malformed).unwrap_err();
            show("malformed secret", format!("{err} {err:?}"));
        }

        // The mock signs and sends with it: to a closed port, so every
        // attempt fails and is logged.
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        codat
            .send_webhooks_to(closed_port_url().parse().unwrap(), SIGNING_SECRET)
            .unwrap();
        let connection = codat
            .client()
            .unwrap()
            .connections()
            .create(company, "gbol")
            .await
            .unwrap();
        codat.set_status(company, connection.id, ConnectionStatus::Linked);
        let deliveries = codat
            .wait_for_webhook_deliveries(2 * codat_connections::mock::MAX_DELIVERY_ATTEMPTS)
            .await;
        assert_eq!(
            deliveries.len(),
            2 * codat_connections::mock::MAX_DELIVERY_ATTEMPTS
        );
        show("deliveries", format!("{deliveries:?}"));
        show("the mock", format!("{codat:?}"));
        texts
    });
    shown.texts = texts;
    assert!(log.contains("connection"), "the log is empty:\n{log}");
    assert_no_leak(
        "the tracing output of the webhook tour",
        &[("tracing log".into(), log)],
        &forms,
    );
    assert_no_leak("the webhook tour's Debug/Display", &shown.texts, &forms);
    support::record(
        AREA,
        "The webhook signing secret: Debug of Webhooks and of the mock, every WebhookError (a malformed secret included), signed headers, the mock's deliveries and the tracing output of failing deliveries",
        "the secret, its base64 and the key it encodes absent",
    );
}
