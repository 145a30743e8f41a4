//! The promise: the API key never appears in `Debug` output, logs, errors or
//! panics; nor does a webhook signing secret.
//!
//! Each test captures every tracing span and event (TRACE level, span
//! new/close events with their fields, dependencies included) into memory
//! with a scoped subscriber, runs its cases, collects the `Debug` and
//! `Display` text of everything the SDK hands back (every error's `source()`
//! chain, and the panic an `unwrap()` of it leaves), and searches all of it
//! for the key, its base64 and the `Authorization` header value.
//!
//! The cases: every row of the fault matrix (`tests/support/faults.rs`), and
//! this file's own table of calls (`Op`), made against the mock, with a key
//! it refuses, and against wiremock with a distinctive key. A new fault goes
//! in the matrix; a new call, in `Op`.
#![cfg(feature = "mock")]

mod support;

use std::collections::{BTreeSet, HashMap};
use std::fmt::Debug;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use base64::Engine as _;
use codat_connections::mock::{Fault, MOCK_API_KEY, MockCodat};
use codat_connections::{
    Client, ClientBuilder, CompanyId, ConnectionId, ConnectionStatus, Error, Reauthorization,
    RetryPolicy,
};
use futures::{StreamExt, TryStreamExt};
use support::faults::{respond, rows, run};
use support::log::Log;
use support::{codat_error, connection_json, connection_path, connections_path, page_of};
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AREA: &str = "Secrets";
const SECRET: &str = "sk-live-Secret123";
const SECRET_BASE64: &str = "c2stbGl2ZS1TZWNyZXQxMjM=";

// ---------------------------------------------------------------------------
// What is searched for, and the search itself.

/// The forms in which a key could leak: the key, a distinctive part of it,
/// its base64 (without padding, so that a padded or cut-off copy is found
/// too) and the full header value.
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

/// Every form in `forms` that `text` contains (case-insensitively).
fn leaks(text: &str, forms: &[(&'static str, String)]) -> Vec<&'static str> {
    let haystack = text.to_ascii_lowercase();
    forms
        .iter()
        .filter(|(_, needle)| haystack.contains(&needle.to_ascii_lowercase()))
        .map(|(label, _)| *label)
        .collect()
}

/// Asserts that no text holds any of `forms`, showing the line that does.
fn assert_no_leak(what: &str, texts: &[(String, String)], forms: &[(&'static str, String)]) {
    for (label, text) in texts {
        let found = leaks(text, forms);
        if !found.is_empty() {
            let line = text.lines().find(|line| !leaks(line, forms).is_empty());
            let line = line.unwrap_or(text);
            panic!("LEAK in {what}: {label} contains {found:?}, in the line:\n{line}");
        }
    }
}

// ---------------------------------------------------------------------------
// Capturing what the SDK shows.

/// Runs `cases` on a current-thread runtime (so every task, the mock's
/// included, runs where the scoped subscriber is the default), on tokio's
/// paused clock when `paused`, with every span and event at TRACE level
/// captured; returns their result and the captured log.
fn traced<T>(paused: bool, cases: impl std::future::Future<Output = T>) -> (T, String) {
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .with_target(true)
        .with_file(true)
        .with_line_number(true)
        .with_writer(log.writer())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(paused)
            .build()
            .expect("a runtime")
            .block_on(cases)
    });
    (result, log.text())
}

/// The message a panicking closure left.
fn panic_message(run: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(run)).expect_err("the closure panics");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .expect("a text payload");
    assert!(!message.is_empty());
    message
}

/// Every piece of text the SDK produced during the cases, labelled, and the
/// `Error` variants among them.
#[derive(Default)]
struct Shown {
    texts: Vec<(String, String)>,
    variants: BTreeSet<String>,
}

/// The variants every test of the client's calls must produce.
const ALL_VARIANTS: &str = "Api InvalidInput Timeout Transport Decode InconsistentPaging ResponseTooLarge IdempotencyKeyReused";

/// What the log of every operation, some retried, holds.
const LOGGED: &str = "attempt codat.request list-connections create-connection get-connection \
    unlink-connection delete-connection update-connection-authorization retrying";

impl Shown {
    fn debug(&mut self, label: &str, value: &impl Debug) {
        let text = format!("{value:?}\n{value:#?}");
        self.texts.push((label.to_owned(), text));
    }

    /// The error's `Display` and `Debug`, those of its `source()` chain, and
    /// the panic of an `unwrap()` of it.
    fn error(&mut self, label: &str, error: Error) {
        let debug = format!("{error:?}");
        // The variant's name, with which its derived `Debug` starts.
        let variant: String = debug
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let mut text = format!("{error}\n{debug}\n{error:#?}");
        let label = format!("{label}: Error::{variant}");
        self.variants.insert(variant);
        let mut source = std::error::Error::source(&error);
        while let Some(cause) = source {
            text.push_str(&format!("\nsource: {cause}\n{cause:?}"));
            source = cause.source();
        }
        self.texts.push((label.clone(), text));
        // What a caller's `unwrap()` of the call would show.
        #[allow(clippy::unnecessary_literal_unwrap)]
        let panic = panic_message(|| Err::<(), _>(error).unwrap());
        self.texts
            .push((format!("{label}, unwrap()'s panic"), panic));
    }

    /// Asserts that the cases were what they claim (the log holds what
    /// every operation logs and `also`, every variant was produced), and
    /// that neither the log nor any text holds a form of `key`.
    fn assert_never_shown(&self, key: &str, log: String, also: &[&str]) {
        for needle in LOGGED.split_whitespace().chain(also.iter().copied()) {
            assert!(log.contains(needle), "the log lacks {needle:?}:\n{log}");
        }
        let missing = ALL_VARIANTS
            .split(' ')
            .filter(|v| !self.variants.contains(*v));
        let missing: Vec<_> = missing.collect();
        assert!(missing.is_empty(), "no Error::{missing:?} among the cases");
        let forms = forms_of(key);
        assert_no_leak("the tracing log", &[("log".into(), log)], &forms);
        assert_no_leak("the Debug and Display texts", &self.texts, &forms);
    }
}

// ---------------------------------------------------------------------------
// The calls the cases make.

/// Where a case's calls go: a client (built from a builder whose `Debug` is
/// shown too), a company and a connection.
struct Target {
    label: String,
    client: Client,
    company: CompanyId,
    connection: ConnectionId,
}

impl Target {
    fn new(shown: &mut Shown, label: &str, builder: ClientBuilder, company: CompanyId) -> Self {
        let connection = support::CONNECTION.parse().expect("a connection ID");
        shown.debug(&format!("{label}: builder"), &builder);
        let client = builder.build().expect("a client");
        shown.debug(&format!("{label}: client"), &client);
        shown.debug(&format!("{label}: retry policy"), client.retry_policy());
        shown.debug(&format!("{label}: connections()"), &client.connections());
        let list = client.connections().list(company).page_size(10);
        shown.debug(&format!("{label}: a list request"), &list);
        let label = label.to_owned();
        Target {
            label,
            client,
            company,
            connection,
        }
    }

    fn at(self, connection: ConnectionId) -> Self {
        Target { connection, ..self }
    }
}

/// One call of the SDK.
#[derive(Clone, Copy, Debug)]
enum Op {
    List,
    ListByStatus,
    /// A page stream, with this many pages read ahead.
    Pages(usize),
    /// A connection stream, with this many pages read ahead.
    Connections(usize),
    CollectAll,
    Find,
    Create,
    Get,
    GetNotRetried,
    UpdateAuthorization,
    Reauthorization,
    NeedingReauthorization,
    Unlink,
    Delete,
    /// `Reauthorization::of` a connection whose link is not a URL.
    ReauthorizationOfABadLink,
    /// A query that is not Codat's query language (no operator).
    MalformedQuery,
    InvalidCompany,
    InvalidConnection,
    InvalidPlatformKey,
    PageSizeZero,
    PageZero,
    QueryTooLong,
    EmptyOrderBy,
    StreamOfAnInvalidCompany,
}

/// Every operation, in an order a live connection allows (delete last).
#[rustfmt::skip]
const EVERY_OPERATION: [Op; 15] = [
    Op::List, Op::ListByStatus, Op::Pages(0), Op::Pages(2), Op::Connections(0), Op::Connections(1),
    Op::CollectAll, Op::Find, Op::Create, Op::Get, Op::UpdateAuthorization, Op::Reauthorization, Op::NeedingReauthorization,
    Op::Unlink, Op::Delete,
];

/// Input refused before anything is sent.
#[rustfmt::skip]
const INVALID_INPUT: [Op; 8] = [
    Op::InvalidCompany, Op::InvalidConnection, Op::InvalidPlatformKey, Op::PageSizeZero,
    Op::PageZero, Op::QueryTooLong, Op::EmptyOrderBy, Op::StreamOfAnInvalidCompany,
];

/// A value's `Debug`, or the error.
fn shown<T: Debug>(result: Result<T, Error>) -> Result<String, Error> {
    result.map(|value| format!("{value:?}\n{value:#?}"))
}

impl Op {
    /// Makes the call; returns what it handed back: values (as `Debug`
    /// text) and errors.
    async fn call(self, to: &Target) -> Vec<Result<String, Error>> {
        let ops = to.client.connections();
        let (company, connection) = (to.company, to.connection);
        let list = || ops.list(company).page_size(2);
        let refresh = HashMap::from([("refreshToken".to_owned(), "abc".to_owned())]);
        let result = match self {
            Op::List => shown(list().await),
            Op::ListByStatus => shown(list().status(ConnectionStatus::Deauthorized).await),
            Op::Pages(read_ahead) => {
                let stream = list().read_ahead(read_ahead).pages();
                let mut results = vec![Ok(format!("{stream:?}"))];
                results.extend(stream.map(shown).collect::<Vec<_>>().await);
                return results;
            }
            Op::Connections(read_ahead) => {
                let stream = list().read_ahead(read_ahead).connections();
                let debug = Ok(format!("{stream:?}"));
                return vec![debug, shown(stream.try_collect::<Vec<_>>().await)];
            }
            Op::CollectAll => shown(list().collect_all().await),
            Op::Find => shown(list().read_ahead(3).find(|c| c.id == connection).await),
            Op::Create => shown(ops.create(company, "gbol").await),
            Op::Get => shown(ops.get(company, connection).await),
            Op::GetNotRetried => {
                let once = ops.clone().retry(RetryPolicy::none());
                shown(once.get(company, connection).await)
            }
            Op::UpdateAuthorization => shown(
                ops.update_authorization(company, connection, &refresh)
                    .await,
            ),
            Op::Reauthorization => shown(ops.reauthorization(company, connection).await),
            Op::NeedingReauthorization => shown(ops.needing_reauthorization(company).await),
            Op::Unlink => shown(ops.unlink(company, connection).await),
            Op::Delete => shown(ops.delete(company, connection).await),
            Op::ReauthorizationOfABadLink => {
                let mut broken = ops.get(company, connection).await.expect("a connection");
                broken.status = ConnectionStatus::Deauthorized;
                broken.link_url = "not a url".into();
                shown(Reauthorization::of(broken))
            }
            Op::MalformedQuery => shown(list().query("sourceType Banking").await),
            Op::InvalidCompany => shown(ops.get("../not-a-uuid", connection).await),
            Op::InvalidConnection => shown(ops.get(company, "not-a-uuid").await),
            Op::InvalidPlatformKey => shown(ops.create(company, "not a key!").await),
            Op::PageSizeZero => shown(ops.list(company).page_size(0).await),
            Op::PageZero => shown(list().page(0).await),
            Op::QueryTooLong => shown(list().query("a".repeat(3000)).await),
            Op::EmptyOrderBy => shown(list().order_by("").await),
            Op::StreamOfAnInvalidCompany => {
                let mut stream = ops.list("nope").pages();
                shown(stream.next().await.expect("one item"))
            }
        };
        vec![result]
    }
}

/// Makes each call of `ops` against `to`; each must succeed, or each must
/// fail (`succeed` false). Keeps what the calls showed.
async fn check(shown: &mut Shown, to: &Target, ops: &[Op], succeed: bool) {
    for op in ops {
        let label = format!("{}: {op:?}", to.label);
        let results = op.call(to).await;
        let succeeded = results.iter().all(Result::is_ok);
        assert_eq!(succeeded, succeed, "{label}: {results:?}");
        for result in results {
            match result {
                Ok(text) => shown.texts.push((label.clone(), text)),
                Err(error) => shown.error(&label, error),
            }
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
    format!("http://{address}")
}

// ---------------------------------------------------------------------------
// The tests.

#[test]
fn the_search_finds_every_form_of_the_key() {
    let forms = forms_of(SECRET);
    let base64 = base64::engine::general_purpose::STANDARD.encode(SECRET);
    assert_eq!(base64, SECRET_BASE64);
    for (label, needle) in &forms {
        let text = format!("prefix {needle} suffix");
        assert!(leaks(&text, &forms).contains(label), "{label}");
        let upper = text.to_uppercase();
        assert!(
            leaks(&upper, &forms).contains(label),
            "{label} in upper case"
        );
    }
    assert!(leaks(SECRET_BASE64, &forms).contains(&"the key's base64"));
    assert!(leaks(&format!("Basic {SECRET_BASE64}"), &forms).len() >= 2);
    assert!(leaks("nothing to see here <redacted>", &forms).is_empty());
    let mock_forms = forms_of(MOCK_API_KEY);
    assert_eq!(
        leaks("Authorization: Basic bW9jay1jb2RhdC1hcGkta2V5", &mock_forms),
        ["the key's base64", "the Authorization header value"]
    );
    // The capture sees TRACE events' fields and span fields (on new/close).
    let ((), log) = traced(false, async {
        let span = tracing::trace_span!("planted.span", key = SECRET);
        let _entered = span.enter();
    });
    assert!(log.contains("planted.span"), "{log}");
    assert!(leaks(&log, &forms).contains(&"the API key"), "{log}");
    let ((), log) = traced(false, async {
        tracing::trace!(authorization = %format!("Basic {SECRET_BASE64}"), "planted event");
    });
    let found = leaks(&log, &forms);
    assert!(found.contains(&"the Authorization header value"), "{log}");
    // So does the collection of an error's text, and the check itself.
    let mut shown = Shown::default();
    let planted = Error::Decode {
        status: None,
        message: format!("key={SECRET}"),
        snippet: String::new(),
        attempts: 1,
    };
    shown.error("planted", planted);
    let texts = [("text".to_owned(), format!("key={SECRET}"))];
    for texts in [&texts[..], &shown.texts] {
        let caught = catch_unwind(|| assert_no_leak("a planted leak", texts, &forms));
        assert!(caught.is_err(), "assert_no_leak misses a planted key");
    }
}

#[test]
fn the_mock_cases_never_show_the_key() {
    let mut shown = Shown::default();
    let ((), log) = traced(true, async {
        for row in rows() {
            let ran = run(&row).await;
            shown.debug(&format!("{}: client", row.case), &ran.client);
            if let Some(error) = ran.error {
                shown.error(row.case, error);
            }
        }
        let codat = MockCodat::start().await.expect("the mock starts");
        let company = codat.add_company();
        for _ in 0..5 {
            codat.add_connection(company, support::gbol(), ConnectionStatus::Deauthorized);
        }
        let linked = codat.add_connection(company, support::gbol(), ConnectionStatus::Linked);
        let builder = codat.client_builder().requests_per_minute(None);
        let mock = Target::new(&mut shown, "mock", builder, company).at(linked);
        // Faults the matrix does not list, with the call each breaks.
        let claims_a_successor = page_of(1, 100, 0, Vec::new(), true).to_string();
        for (op, fault) in [
            (Op::GetNotRetried, Fault::Delay(Duration::from_secs(120))),
            (Op::GetNotRetried, Fault::DropConnection),
            (
                Op::CollectAll,
                respond(200, "application/json", claims_a_successor),
            ),
        ] {
            codat.inject(fault, 1);
            check(&mut shown, &mock, &[op], false).await;
        }
        let refused = [Op::ReauthorizationOfABadLink, Op::MalformedQuery];
        check(&mut shown, &mock, &refused, false).await;
        check(&mut shown, &mock, &INVALID_INPUT, false).await;
        check(&mut shown, &mock, &EVERY_OPERATION, true).await;
        check(&mut shown, &mock, &[Op::Get], false).await; // deleted
        let wrong_key = Client::builder("some-other-key").base_url(codat.base_url());
        let wrong_key = Target::new(&mut shown, "a key the mock refuses", wrong_key, company);
        check(&mut shown, &wrong_key, &EVERY_OPERATION, false).await;
        shown.debug("the mock", &codat);
    });
    let also = [
        "codat.response",
        "429",
        "503",
        "timed out",
        "could not talk to Codat",
    ];
    shown.assert_never_shown(MOCK_API_KEY, log, &also);
    support::record(
        AREA,
        "Tracing output at TRACE level (spans with fields, every event) of every fault-matrix row and a table of calls against the mock: every operation, list streams with and without read-ahead, re-authorization helpers, 429/503 retries, timeout, dropped connection, decode error, 401",
        "API key, its base64 and the header value absent",
    );
    support::record(
        AREA,
        "Debug and Display of the Client, ClientBuilder, RetryPolicy, results, and every Error variant (Api, InvalidInput, Timeout, Transport, Decode, InconsistentPaging, ResponseTooLarge, IdempotencyKeyReused) with its source() chain",
        "API key, its base64 and the header value absent",
    );
}

#[test]
fn the_distinctive_key_never_shows_raw_or_ready_made() {
    let mut shown = Shown::default();
    let (received, log) = traced(false, async {
        let codat = MockCodat::start().await.expect("the mock starts");
        let company = codat.add_company();
        let server = MockServer::start().await;
        let (list_path, connection_path) = (connections_path(), connection_path());
        let authorized = |verb: &str, at: &str| {
            let value = format!("Basic {SECRET_BASE64}");
            Mock::given(method(verb))
                .and(path(at))
                .and(header("authorization", value))
        };
        let json = |status: &str| ResponseTemplate::new(200).set_body_json(connection_json(status));
        let page = page_of(1, 2, 1, vec![connection_json("Deauthorized")], false);
        // Every endpoint answers the key; anything else is a 401.
        #[rustfmt::skip]
        let endpoints = [
            ("GET", list_path.clone(), ResponseTemplate::new(200).set_body_json(page)),
            ("POST", list_path.clone(), json("PendingAuth")),
            ("GET", connection_path.clone(), json("Deauthorized")),
            ("PATCH", connection_path.clone(), json("Unlinked")),
            ("PUT", format!("{connection_path}/authorization"), json("Linked")),
            ("DELETE", connection_path.clone(), ResponseTemplate::new(200)),
        ];
        for (verb, at, answer) in endpoints {
            authorized(verb, &at)
                .respond_with(answer)
                .mount(&server)
                .await;
        }
        let unauthorized = codat_error(401, "Unauthorized", "c0ffee");
        let unauthorized = ResponseTemplate::new(401).set_body_json(unauthorized);
        let anything = Mock::given(any()).respond_with(unauthorized);
        anything.with_priority(10).mount(&server).await;

        for (form, key) in [
            ("raw key", SECRET.to_owned()),
            ("header value", format!("Basic {SECRET_BASE64}")),
        ] {
            let served_company = support::COMPANY.parse().expect("a company ID");
            let builder = Client::builder(&key).base_url(server.uri());
            let builder = builder.retry(fast_retry()).timeout(Duration::from_secs(1));
            let served = format!("{form}, served");
            let served = Target::new(&mut shown, &served, builder, served_company);
            check(&mut shown, &served, &EVERY_OPERATION, true).await;
            // Answers ahead of the endpoints': (call, path, answer, times, succeeds).
            let slow = json("Linked").set_delay(Duration::from_secs(5));
            let claims_a_successor = page_of(1, 100, 0, Vec::new(), true);
            #[rustfmt::skip]
            let answers = [
                (Op::Get, &connection_path, ResponseTemplate::new(429).insert_header("Retry-After", "1"), 1, true),
                (Op::List, &list_path, ResponseTemplate::new(503), 2, true),
                (Op::Get, &connection_path, ResponseTemplate::new(503).insert_header("Retry-After", "1"), 4, false),
                (Op::GetNotRetried, &connection_path, slow, 1, false),
                (Op::Get, &connection_path, ResponseTemplate::new(200).set_body_string("<html>hello</html>"), 1, false),
                (Op::CollectAll, &list_path, ResponseTemplate::new(200).set_body_json(claims_a_successor), 1, false),
            ];
            for (op, at, answer, times, succeeds) in answers {
                let once = authorized("GET", at)
                    .respond_with(answer)
                    .up_to_n_times(times);
                once.with_priority(1).mount(&server).await;
                check(&mut shown, &served, &[op], succeeds).await;
            }
            // A create whose Idempotency-Key was used with another request.
            let reused = codat_error(422, "The Idempotency-Key was already used", "c0ffee");
            let reused = ResponseTemplate::new(422).set_body_json(reused);
            let once = authorized("POST", &list_path).respond_with(reused);
            once.up_to_n_times(1).with_priority(1).mount(&server).await;
            check(&mut shown, &served, &[Op::Create], false).await;
            // Clients whose every call fails.
            let client = || Client::builder(&key);
            #[rustfmt::skip]
            let failing = [
                ("refused by the mock", client().base_url(codat.base_url()).retry(fast_retry()), &EVERY_OPERATION[..]),
                ("refused by the mock", client().base_url(codat.base_url()), &INVALID_INPUT[..]),
                ("with a 16-byte limit", client().base_url(server.uri()).max_response_bytes(16), &[Op::Get][..]),
                ("with nothing listening", client().base_url(closed_port_url()).retry(fast_retry()), &[Op::Get, Op::Create][..]),
            ];
            for (label, builder, ops) in failing {
                let target = Target::new(&mut shown, &format!("{form}, {label}"), builder, company);
                check(&mut shown, &target, ops, false).await;
            }
        }
        // What wiremock received: the header, as the positive control.
        let received = server.received_requests().await.unwrap_or_default();
        assert!(!received.is_empty());
        received
            .iter()
            .map(|request| format!("{:?}", request.headers))
            .collect::<Vec<_>>()
    });
    let forms = forms_of(SECRET);
    let without_key = received.iter().find(|h| leaks(h, &forms).is_empty());
    assert_eq!(
        without_key, None,
        "wiremock received a request without the key"
    );
    shown.assert_never_shown(SECRET, log, &["401"]);
    support::record(
        AREA,
        "A key given raw and as the portal's ready-made `Basic ...` value: tracing output, Debug and Display of clients, results and errors, through successes (wiremock), 401s (mock), retries, timeout, decode, paging, size and connection errors",
        "API key, its base64 and the header value absent",
    );
}

/// A builder for a key.
type BuilderFor = fn(&str) -> ClientBuilder;

#[test]
fn panics_and_key_errors_never_show_the_key() {
    let mut shown = Shown::default();
    // Builders that fail, with the field each names; the last four are keys
    // that are refused.
    #[rustfmt::skip]
    let refused: [(&str, &str, BuilderFor); 7] = [
        ("a bad base URL", "baseUrl", |key| Client::builder(key).base_url("not a url")),
        ("plain http", "baseUrl", |key| Client::builder(key).base_url("http://api.codat.io")),
        ("a bad user agent", "userAgent", |key| Client::builder(key).user_agent("bad\nagent")),
        ("a key with a non-ASCII character", "apiKey", |key| Client::builder(format!("{key}é"))),
        ("a key with a control character", "apiKey", |key| Client::builder(format!("{key}\u{7}"))),
        ("a key over two lines", "apiKey", |key| Client::builder(format!("{key}\nSecret123"))),
        ("`Basic` before a bad raw key", "apiKey", |_| Client::builder(format!("Basic {SECRET}é"))),
    ];
    for key in [SECRET.to_owned(), format!("Basic {SECRET_BASE64}")] {
        for (label, field, builder) in refused {
            shown.debug(&format!("a builder with {label}"), &builder(&key));
            let error = builder(&key).build().expect_err(label);
            assert_eq!(error.invalid_field(), Some(field), "{label}");
            shown.error(&format!("a builder with {label}"), error);
            let expect = panic_message(|| drop(builder(&key).build().expect("a client")));
            shown.texts.push((format!("expect() with {label}"), expect));
        }
        let unwrap_err = panic_message(|| drop(Client::new(key.clone()).unwrap_err()));
        shown
            .texts
            .push(("unwrap_err() of a client".into(), unwrap_err));
        let (builder, client) = (Client::builder(&key), Client::new(&key).expect("a client"));
        let formatted = panic_message(|| panic!("{builder:?} {client:?} {client:#?}"));
        shown
            .texts
            .push(("a panic formatting them".into(), formatted));
    }
    assert_eq!(shown.variants, BTreeSet::from(["InvalidInput".to_owned()]));
    assert!(shown.texts.iter().any(|(_, t)| t.contains("<redacted>")));
    assert!(shown.texts.iter().any(|(_, t)| t.contains("baseUrl")));
    assert_no_leak(
        "panic payloads and key errors",
        &shown.texts,
        &forms_of(SECRET),
    );
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
    use codat_connections::mock::MAX_DELIVERY_ATTEMPTS;
    use codat_connections::webhooks::Webhooks;

    const SIGNING_SECRET: &str = "whsec_U2lnbmluZ1NlY3JldEZvclRoZVRvdXI=";
    let encoded = SIGNING_SECRET.trim_start_matches("whsec_");
    let forms = vec![
        ("the signing secret", SIGNING_SECRET.to_owned()),
        ("its base64", encoded.trim_end_matches('=').to_owned()),
        ("the key it encodes", "SigningSecretForTheTour".to_owned()),
    ];
    let (texts, log) = traced(false, async {
        let mut texts: Vec<(String, String)> = Vec::new();
        let mut show = |label: &str, text: String| texts.push((label.to_owned(), text));
        let webhooks = Webhooks::new(SIGNING_SECRET).unwrap();
        show("Webhooks", format!("{webhooks:?}"));
        let body =
            br#"{"id": "ba29118f-5406-4e59-b05c-ba307ca38d01", "eventType": "connection.paused"}"#;
        let signed = webhooks.sign("msg_tour", 0, body);
        show("signed headers", format!("{signed:?}"));
        let mut headers = signed.to_header_map();
        let too_large = webhooks.clone().max_body_bytes(1);
        for (label, result) in [
            ("no headers", webhooks.verify(&http::HeaderMap::new(), body)),
            ("stale", webhooks.verify(&headers, body)),
            ("too large", too_large.verify(&headers, body)),
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
        let receiver = closed_port_url().parse().unwrap();
        codat.send_webhooks_to(receiver, SIGNING_SECRET).unwrap();
        let client = codat.client().unwrap();
        let connection = client.connections().create(company, "gbol").await.unwrap();
        codat.set_status(company, connection.id, ConnectionStatus::Linked);
        let deliveries = codat
            .wait_for_webhook_deliveries(2 * MAX_DELIVERY_ATTEMPTS)
            .await;
        assert_eq!(deliveries.len(), 2 * MAX_DELIVERY_ATTEMPTS);
        show("deliveries", format!("{deliveries:?}"));
        show("the mock", format!("{codat:?}"));
        texts
    });
    assert!(log.contains("connection"), "the log is empty:\n{log}");
    assert_no_leak("the webhook tour's log", &[("log".into(), log)], &forms);
    assert_no_leak("the webhook tour's Debug/Display", &texts, &forms);
    support::record(
        AREA,
        "The webhook signing secret: Debug of Webhooks and of the mock, every WebhookError (a malformed secret included), signed headers, the mock's deliveries and the tracing output of failing deliveries",
        "the secret, its base64 and the key it encodes absent",
    );
}
