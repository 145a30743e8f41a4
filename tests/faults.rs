//! The fault matrix: every kind of failure the shipped mock can inject, and
//! what the SDK does with it: retried and succeeded, or one specific typed
//! error. Never a panic, never a hang, never a duplicated create. Each row
//! becomes a line of RELIABILITY.md.
#![cfg(feature = "mock")]

mod support;

use std::time::Duration;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{Client, CompanyId, ConnectionStatus, Error};

/// What one row expects.
enum Expect {
    /// The call succeeds after exactly this many requests.
    Succeeds { requests: usize },
    /// The call fails with this error, after this many requests.
    Fails {
        requests: usize,
        error: fn(&Error) -> bool,
        described: &'static str,
    },
}

/// One row of the matrix: faults queued for the next requests, an operation,
/// and the outcome.
struct Row {
    case: &'static str,
    faults: Vec<Fault>,
    create: bool,
    expect: Expect,
}

fn status(status: u16, retry_after: Option<&str>) -> Fault {
    Fault::Status {
        status,
        retry_after: retry_after.map(str::to_owned),
    }
}

fn respond(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Fault {
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

fn rows() -> Vec<Row> {
    let ok = |requests| Expect::Succeeds { requests };
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
        Row {
            case: "connection dropped during the body",
            faults: vec![Fault::DropDuringBody { status: 200, partial_body: b"{\"results\":[{\"id\":".to_vec() }],
            create: false,
            expect: ok(2),
        },
        Row { case: "HTML error page with status 502", faults: vec![respond(502, "text/html", "<html><body>Bad gateway</body></html>")], create: false, expect: ok(2) },
        Row {
            case: "HTML error page with status 502, every time",
            faults: vec![respond(502, "text/html", "<html><body>Bad gateway</body></html>"); 8],
            create: false,
            expect: Expect::Fails {
                requests: 8,
                error: |e| matches!(e, Error::Api(api) if api.status == 502 && api.message.is_none() && api.body.starts_with("<html>") && api.attempts == 8),
                described: "Error::Api 502 with the HTML kept as the body snippet, after 8 attempts",
            },
        },
        Row {
            case: "HTML error page with status 503 (a documented status), every time",
            faults: vec![respond(503, "text/html", "<html><body>Service unavailable</body></html>"); 8],
            create: false,
            expect: Expect::Fails {
                requests: 8,
                error: |e| matches!(e, Error::Api(api) if api.status == 503 && api.message.is_none() && api.body.starts_with("<html>") && api.attempts == 8),
                described: "Error::Api 503 with the HTML kept as the body snippet, after 8 attempts",
            },
        },
        Row {
            case: "503, 503, then a truncated JSON body on a 200",
            faults: vec![status(503, None), status(503, None), respond(200, "application/json", "{\"results\": [{\"id\": \"ee2eb431")],
            create: false,
            expect: Expect::Fails {
                requests: 3,
                error: |e| matches!(e, Error::Decode { status: Some(status), attempts: 3, .. } if *status == 200) && e.attempts() == 3,
                described: "Error::Decode after 3 attempts (every attempt counted)",
            },
        },
        Row {
            case: "truncated JSON body on a 200",
            faults: vec![respond(200, "application/json", "{\"results\": [{\"id\": \"ee2eb431")],
            create: false,
            expect: Expect::Fails { requests: 1, error: |e| matches!(e, Error::Decode { status: Some(status), .. } if *status == 200), described: "Error::Decode with a snippet of the body (not retried: a 200 will not change)" },
        },
        Row {
            case: "empty body on a 200 that should carry JSON",
            faults: vec![respond(200, "application/json", "")],
            create: false,
            expect: Expect::Fails { requests: 1, error: |e| matches!(e, Error::Decode { message, .. } if message == "the body is empty"), described: "Error::Decode (\"the body is empty\")" },
        },
        Row {
            case: "a 200 with a JSON null",
            faults: vec![respond(200, "application/json", "null")],
            create: false,
            expect: Expect::Fails { requests: 1, error: |e| matches!(e, Error::Decode { .. }), described: "Error::Decode" },
        },
        Row {
            case: "a body of 50 MB",
            faults: vec![respond(200, "application/json", vec![b' '; 50 * 1024 * 1024])],
            create: false,
            expect: Expect::Fails { requests: 1, error: |e| matches!(e, Error::ResponseTooLarge { limit, .. } if *limit == 32 * 1024 * 1024), described: "Error::ResponseTooLarge (32 MiB default limit), body not read further" },
        },
        Row {
            case: "wrong Content-Type (text/plain) on valid JSON",
            faults: vec![respond(200, "text/plain", EMPTY_PAGE)],
            create: false,
            expect: ok(1),
        },
        Row {
            case: "create answered 503",
            faults: vec![status(503, None)],
            create: true,
            expect: Expect::Fails { requests: 1, error: |e| e.status().is_some_and(|s| s == 503) && e.attempts() == 1, described: "Error::Api 503 after 1 attempt: a create is never repeated once Codat may have processed it" },
        },
        Row {
            case: "create with the connection dropped before the answer",
            faults: vec![Fault::DropConnection],
            create: true,
            expect: Expect::Fails { requests: 1, error: |e| matches!(e, Error::Transport { attempts: 1, .. }), described: "Error::Transport after 1 attempt (not repeated)" },
        },
        Row { case: "create answered 429", faults: vec![status(429, Some("1"))], create: true, expect: ok(2) },
    ]
}

const EMPTY_PAGE: &str = r#"{"results":[],"pageNumber":1,"pageSize":100,"totalResults":0,"_links":{"self":{"href":"/x"},"current":{"href":"/x"}}}"#;

async fn run_row(row: &Row) -> String {
    let codat = MockCodat::start().await.unwrap();
    let company: CompanyId = codat.add_company();
    for fault in &row.faults {
        codat.inject(fault.clone(), 1);
    }
    let client: Client = codat.client().unwrap();
    // Virtual time: a hang would show as hours passing, not as a stuck test.
    let outcome = tokio::time::timeout(Duration::from_secs(3600), async {
        if row.create {
            client.connections().create(company, "gbol").await.map(drop)
        } else {
            client.connections().list(company).await.map(drop)
        }
    })
    .await
    .unwrap_or_else(|_| panic!("{}: no outcome within an hour", row.case));
    let requests = codat.request_count();
    let created = client
        .connections()
        .list(company)
        .await
        .unwrap()
        .total_results;
    let posts = codat
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    match (&row.expect, outcome) {
        (Expect::Succeeds { requests: expected }, Ok(())) => {
            assert_eq!(requests, *expected, "{}: requests", row.case);
            if row.create {
                assert_eq!(created, 1, "{}: exactly one connection", row.case);
            }
            if *expected == 1 {
                "succeeded".to_owned()
            } else {
                format!("retried, succeeded on attempt {expected}")
            }
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
            (*described).to_owned()
        }
        (_, other) => panic!("{}: unexpected outcome {other:?}", row.case),
    }
}

#[tokio::test(start_paused = true)]
async fn every_fault_is_retried_or_a_specific_error() {
    for row in rows() {
        let outcome = run_row(&row).await;
        support::record("Faults", row.case, &outcome);
    }
}

#[tokio::test(start_paused = true)]
async fn absurd_retry_after_is_capped_by_the_policy() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(status(429, Some("864000")), 1);
    let started = tokio::time::Instant::now();
    codat
        .client()
        .unwrap()
        .connections()
        .list(company)
        .await
        .unwrap();
    let waited = started.elapsed();
    // The default policy waits at most 60 s between attempts.
    assert!(
        waited >= Duration::from_secs(60) && waited < Duration::from_secs(61),
        "{waited:?}"
    );
    support::record(
        "Faults",
        "429 with an absurd Retry-After: time waited",
        "60 s (the policy's longest wait), not 10 days",
    );
}

#[tokio::test(start_paused = true)]
async fn retry_after_zero_or_in_the_past_still_backs_off() {
    for (value, case) in [
        ("0", "429 with Retry-After 0, seven times: time waited"),
        (
            "Thu, 01 Jan 2015 00:00:00 GMT",
            "429 with Retry-After an HTTP date in the past, seven times: time waited",
        ),
    ] {
        let codat = MockCodat::start().await.unwrap();
        let company = codat.add_company();
        codat.inject(status(429, Some(value)), 7);
        let started = tokio::time::Instant::now();
        codat
            .client()
            .unwrap()
            .connections()
            .list(company)
            .await
            .unwrap();
        let waited = started.elapsed();
        assert_eq!(codat.request_count(), 8, "{case}");
        // At least half of each backoff: 0.25 + 0.375 + ... (initial 500 ms, x1.5).
        let floor: f64 = (0..7).map(|n| 0.25 * 1.5f64.powi(n)).sum();
        assert!(waited.as_secs_f64() >= floor, "{case}: {waited:?}");
        support::record(
            "Faults",
            case,
            &format!(
                "the policy's backoff, never no wait: at least {floor:.1} s over 7 retries, succeeded on attempt 8"
            ),
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_survives_faults_between_pages() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let key = "gbol".parse().unwrap();
    for _ in 0..5 {
        codat.add_connection(company, key, ConnectionStatus::Linked);
    }
    let client = codat.client().unwrap();
    let mut pages = client.connections().list(company).page_size(2).pages();
    use futures::TryStreamExt;
    let first = pages.try_next().await.unwrap().unwrap();
    codat.inject(status(503, None), 1);
    codat.inject(Fault::DropConnection, 1);
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    let total: usize = first.results.len() + rest.iter().map(|p| p.results.len()).sum::<usize>();
    assert_eq!(total, 5);
    assert_eq!(codat.request_count(), 3 + 2);
    support::record(
        "Faults",
        "503 and a dropped connection in the middle of a page stream",
        "retried; every connection yielded once",
    );
}
