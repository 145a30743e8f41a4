//! The fault matrix: every kind of failure the shipped mock can inject, and
//! what the SDK does with it: retried and succeeded, or one specific typed
//! error; never a panic, a hang or a duplicated create (a create's attempts
//! share one `Idempotency-Key`). `tests/faults.rs`
//! records each row in RELIABILITY.md; `tests/secrets.rs` runs the same rows
//! and searches everything they show for the API key.

use std::time::Duration;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{Client, Error};

use super::fixtures::page_of;

/// What one row expects.
pub enum Expect {
    /// The call succeeds after exactly this many requests.
    Succeeds { requests: usize },
    /// The call fails with this error, after this many requests.
    Fails {
        requests: usize,
        error: fn(&Error) -> bool,
        described: &'static str,
    },
}

/// One row of the matrix: faults queued for the next requests, an operation
/// (a create, or else a list), and the outcome.
pub struct Row {
    pub case: &'static str,
    pub faults: Vec<Fault>,
    pub create: bool,
    pub expect: Expect,
}

/// An error status with Codat's body, and `Retry-After` when given: short
/// for the table's rows.
pub use super::mock_setup::status_answer as status;

/// Exactly this answer.
pub fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Fault {
    Fault::Respond {
        status,
        content_type: content_type.to_owned(),
        body: body.into(),
    }
}

fn http_date_in(seconds: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(seconds))
        .to_rfc2822()
        .replace("+0000", "GMT")
}

/// The rows, in RELIABILITY.md's order.
#[rustfmt::skip]
pub fn rows() -> Vec<Row> {
    let ok = |requests| Expect::Succeeds { requests };
    let fails = |requests, error, described| Expect::Fails { requests, error, described };
    let html = |status: u16, text: &str| respond(status, "text/html", format!("<html><body>{text}</body></html>"));
    let truncated = || respond(200, "application/json", "{\"results\": [{\"id\": \"ee2eb431");
    let empty_page = page_of(1, 100, 0, Vec::new(), false).to_string();
    vec![
        Row { case: "429 with Retry-After in seconds (2)", faults: vec![status(429, Some("2"))], create: false, expect: ok(2) },
        Row { case: "429 with Retry-After as an HTTP date", faults: vec![status(429, Some(&http_date_in(3)))], create: false, expect: ok(2) },
        Row { case: "429 without Retry-After", faults: vec![status(429, None)], create: false, expect: ok(2) },
        Row { case: "429 with an absurd Retry-After (10 days)", faults: vec![status(429, Some("864000"))], create: false, expect: ok(2) },
        Row { case: "500 Internal Server Error", faults: vec![status(500, None)], create: false, expect: ok(2) },
        Row { case: "502 Bad Gateway", faults: vec![status(502, None)], create: false, expect: ok(2) },
        Row { case: "503 Service Unavailable, twice", faults: vec![status(503, None), status(503, None)], create: false, expect: ok(3) },
        Row { case: "504 Gateway Timeout", faults: vec![status(504, None)], create: false, expect: ok(2) },
        Row { case: "an answer slower than the timeout", faults: vec![Fault::Delay(Duration::from_secs(120))], create: false, expect: ok(2) },
        Row { case: "connection dropped before the answer", faults: vec![Fault::DropConnection], create: false, expect: ok(2) },
        Row { case: "connection dropped during the body", faults: vec![Fault::DropDuringBody { status: 200, partial_body: b"{\"results\":[{\"id\":".to_vec() }], create: false, expect: ok(2) },
        Row { case: "HTML error page with status 502", faults: vec![html(502, "Bad gateway")], create: false, expect: ok(2) },
        Row { case: "HTML error page with status 502, every time", faults: vec![html(502, "Bad gateway"); 8], create: false,
            expect: fails(8, |e| matches!(e, Error::Api(api) if api.status == 502 && api.message.is_none() && api.body.starts_with("<html>") && api.attempts == 8), "Error::Api 502 with the HTML kept as the body snippet, after 8 attempts") },
        Row { case: "HTML error page with status 503 (a documented status), every time", faults: vec![html(503, "Service unavailable"); 8], create: false,
            expect: fails(8, |e| matches!(e, Error::Api(api) if api.status == 503 && api.message.is_none() && api.body.starts_with("<html>") && api.attempts == 8), "Error::Api 503 with the HTML kept as the body snippet, after 8 attempts") },
        Row { case: "503, 503, then a truncated JSON body on a 200", faults: vec![status(503, None), status(503, None), truncated()], create: false,
            expect: fails(3, |e| matches!(e, Error::Decode { status: Some(status), attempts: 3, .. } if *status == 200) && e.attempts() == 3, "Error::Decode after 3 attempts (every attempt counted)") },
        Row { case: "truncated JSON body on a 200", faults: vec![truncated()], create: false,
            expect: fails(1, |e| matches!(e, Error::Decode { status: Some(status), .. } if *status == 200), "Error::Decode with a snippet of the body (not retried: a 200 will not change)") },
        Row { case: "empty body on a 200 that should carry JSON", faults: vec![respond(200, "application/json", "")], create: false,
            expect: fails(1, |e| matches!(e, Error::Decode { message, .. } if message == "the body is empty"), "Error::Decode (\"the body is empty\")") },
        Row { case: "a 200 with a JSON null", faults: vec![respond(200, "application/json", "null")], create: false,
            expect: fails(1, |e| matches!(e, Error::Decode { .. }), "Error::Decode") },
        Row { case: "a body of 50 MB", faults: vec![respond(200, "application/json", vec![b' '; 50 * 1024 * 1024])], create: false,
            expect: fails(1, |e| matches!(e, Error::ResponseTooLarge { limit, .. } if *limit == 32 * 1024 * 1024), "Error::ResponseTooLarge (32 MiB default limit), body not read further") },
        Row { case: "wrong Content-Type (text/plain) on valid JSON", faults: vec![respond(200, "text/plain", empty_page)], create: false, expect: ok(1) },
        Row { case: "create answered 503", faults: vec![status(503, None)], create: true,
            expect: fails(1, |e| e.status().is_some_and(|s| s == 503) && e.attempts() == 1 && e.idempotency_key().is_some(), "Error::Api 503 after 1 attempt, naming its Idempotency-Key: Codat keeps a 5xx for the key and would only replay it") },
        Row { case: "create with the connection dropped before the answer", faults: vec![Fault::DropConnection], create: true, expect: ok(2) },
        Row { case: "create whose answer is lost after the connection was created", faults: vec![Fault::DropAfterProcessing], create: true, expect: ok(2) },
        Row { case: "create slower than the timeout", faults: vec![Fault::Delay(Duration::from_secs(120))], create: true, expect: ok(2) },
        Row { case: "create answered 409 (its Idempotency-Key still in progress)", faults: vec![status(409, None)], create: true, expect: ok(2) },
        Row { case: "create answered 422 (its Idempotency-Key used with another request)", faults: vec![status(422, None)], create: true,
            expect: fails(1, |e| matches!(e, Error::IdempotencyKeyReused { .. }), "Error::IdempotencyKeyReused after 1 attempt") },
        Row { case: "create answered 429", faults: vec![status(429, Some("1"))], create: true, expect: ok(2) },
    ]
}

/// What running a row showed.
pub struct Ran {
    /// The outcome, in RELIABILITY.md's words.
    pub outcome: String,
    /// The error the call ended with, when the row expects one.
    pub error: Option<Error>,
    /// The client that made the call (the mock's, with the default retry
    /// policy).
    pub client: Client,
}

/// Runs `row` against a fresh mock and checks its expectation: the number of
/// requests, the error, and that a create is never repeated. Call it on
/// tokio's paused clock: the waits are virtual, and a hang shows as an hour
/// passing, not as a stuck test.
pub async fn run(row: &Row) -> Ran {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    for fault in &row.faults {
        codat.inject(fault.clone(), 1);
    }
    let client = codat.client().expect("the mock's client");
    let ops = client.connections();
    let outcome = tokio::time::timeout(Duration::from_secs(3600), async {
        if row.create {
            ops.create(company, "gbol").await.map(drop)
        } else {
            ops.list(company).await.map(drop)
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{}: no outcome within an hour", row.case));
    let requests = codat.request_count();
    let posts = codat
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    if row.create {
        let keys: Vec<_> = codat
            .requests()
            .iter()
            .filter(|r| r.method == "POST")
            .map(|r| r.idempotency_key().map(str::to_owned))
            .collect();
        assert!(
            keys.iter().all(|key| key.is_some() && *key == keys[0]),
            "{}: every attempt carries the same Idempotency-Key: {keys:?}",
            row.case
        );
    }
    let created = ops
        .list(company)
        .await
        .expect("the mock lists")
        .total_results;
    let (outcome, error) = match (&row.expect, outcome) {
        (Expect::Succeeds { requests: expected }, Ok(())) => {
            assert_eq!(requests, *expected, "{}: requests", row.case);
            if row.create {
                assert_eq!(created, 1, "{}: exactly one connection", row.case);
            }
            let described = match expected {
                1 => "succeeded".to_owned(),
                n => format!("retried, succeeded on attempt {n}"),
            };
            (described, None)
        }
        (
            Expect::Fails {
                requests: expected,
                error,
                described,
            },
            Err(err),
        ) => {
            assert!(error(&err), "{}: unexpected error {err:?}", row.case);
            assert_eq!(requests, *expected, "{}: requests", row.case);
            if row.create {
                assert_eq!(posts, 1, "{}: the create was sent twice", row.case);
                assert_eq!(created, 0, "{}: a connection was created", row.case);
            }
            ((*described).to_owned(), Some(err))
        }
        (_, other) => panic!("{}: unexpected outcome {other:?}", row.case),
    };
    Ran {
        outcome,
        error,
        client,
    }
}

/// How long a list waited with a 429 carrying `retry_after` queued `times`,
/// and how many requests it took to succeed (the default retry policy).
pub async fn waited_out(retry_after: &str, times: usize) -> (Duration, usize) {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    codat.inject(status(429, Some(retry_after)), times);
    let client = codat.client().expect("the mock's client");
    let started = tokio::time::Instant::now();
    let listed = client.connections().list(company).await;
    assert!(listed.is_ok(), "{retry_after} x{times}: {listed:?}");
    (started.elapsed(), codat.request_count())
}
