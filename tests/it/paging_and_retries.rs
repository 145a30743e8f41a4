//! Page streams (including against a server that misbehaves), retries with
//! backoff and `Retry-After`, and the re-authorization helper, against the
//! shipped mock on tokio's paused clock. Each misbehaving server is a row of
//! the stream table, each retry a row of the retry table.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::time::Duration;

use codat_connections::mock::Fault;
use codat_connections::{ConnectionId, ConnectionStatus, Error, RetryPolicy};
use futures::{StreamExt, TryStreamExt};
use support::mock_setup::{
    MockSetup, connection_with_id, ids_of, json_answer, json_bytes_answer, mock_company,
    mock_company_linked, status_answer,
};
use support::net::free_port;
use support::{COMPANY, CONNECTION, page_of};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn three_pages_stream_in_order_and_stop_after_the_last() {
    let mock = mock_company_linked(5).await;
    let codat = &mock.codat;
    let pages: Vec<_> = mock
        .list()
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<i64> = pages.iter().map(|p| p.page_number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(!pages[2].has_next_page(), "the last page has no next link");
    assert_eq!(codat.request_count(), 3, "no request after the last page");
    let streamed: BTreeSet<ConnectionId> = pages
        .iter()
        .flat_map(|p| p.results.iter().map(|c| c.id))
        .collect();
    assert_eq!(streamed, mock.connections.iter().copied().collect());
    let queries: Vec<String> = codat
        .requests()
        .into_iter()
        .map(|r| r.query.unwrap_or_default())
        .collect();
    let expected = (1..=3).map(|page| format!("page={page}&pageSize=2"));
    assert_eq!(queries, expected.collect::<Vec<_>>());
}

#[tokio::test(start_paused = true)]
async fn read_ahead_yields_the_same_connections_in_the_same_order() {
    let mock = mock_company_linked(7).await;
    let plain = ids_of(mock.list().page_size(2)).await;
    let ahead: Vec<ConnectionId> = mock
        .list()
        .page_size(2)
        .read_ahead(2)
        .connections()
        .map_ok(|c| c.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(plain.len(), 7);
    assert_eq!(plain, ahead);
}

#[tokio::test(start_paused = true)]
async fn read_ahead_holds_at_most_its_bound_for_a_slow_consumer() {
    let mock = mock_company_linked(20).await;
    let codat = &mock.codat;
    let mut pages = mock.list().page_size(1).read_ahead(2).pages();
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.page_number, 1);
    // The consumer stalls: the producer may fill the channel (2 pages) and
    // hold one more it is trying to hand over, no more.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let fetched = codat.request_count();
    assert!(
        fetched <= 1 + 2 + 1,
        "fetched {fetched} pages for a stalled consumer"
    );
    assert!(fetched >= 3, "read-ahead did not fetch ahead ({fetched})");
    drop(pages);
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        codat.request_count(),
        fetched,
        "fetching went on after the stream was dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn find_stops_fetching_once_found() {
    let mock = mock_company_linked(6).await;
    let listed = ids_of(mock.list().page_size(2)).await;
    let before = mock.codat.request_count();
    let find = |wanted: Option<ConnectionId>| {
        let listing = mock.list().page_size(2);
        async move { listing.find(|c| Some(c.id) == wanted).await.unwrap() }
    };
    let found = find(Some(listed[2])).await;
    assert_eq!(found.map(|c| c.id), Some(listed[2]));
    assert_eq!(
        mock.codat.request_count() - before,
        2,
        "stopped at the page holding it"
    );
    assert!(find(None).await.is_none());
}

/// The connection IDs the misbehaving pages below are made of.
const A: &str = CONNECTION;
const B: &str = "2e9d2c44-f675-40ba-8049-353bfcb5e171";
const C: &str = "00000000-0000-4000-8000-000000000003";

/// Page `page` (two connections a page) of a listing of `total`, holding
/// `ids`, as the mock's answer.
fn page(page: u64, ids: &[&str], total: u64, next: bool) -> Fault {
    let results = ids.iter().map(|id| connection_with_id(id, "Linked"));
    json_answer(&page_of(page, 2, total, results.collect(), next))
}

/// A page holding `ids` whose paging numbers are `[pageNumber, pageSize,
/// totalResults]` whatever they are, linking to page `next` if any.
fn odd_page(counts: [i64; 3], ids: &[&str], next: Option<u64>) -> Fault {
    let [number, size, total] = counts;
    let mut body = page_of(1, 2, 2, Vec::new(), next.is_some());
    body["results"] = ids
        .iter()
        .map(|id| connection_with_id(id, "Linked"))
        .collect();
    body["pageNumber"] = number.into();
    body["pageSize"] = size.into();
    body["totalResults"] = total.into();
    if let Some(next) = next {
        body["_links"]["next"]["href"] =
            format!("{}?page={next}", support::connections_path()).into();
    }
    json_answer(&body)
}

#[tokio::test(start_paused = true)]
async fn a_stream_of_inconsistent_pages_ends_with_an_error_or_skips_repeats() {
    // The answers, then what the stream yields (connections a page, or the
    // page the error names) and how many requests it made.
    let cases: [(&str, Vec<Fault>, &str, usize); 8] = [
        (
            "the same page served twice",
            vec![page(1, &[A, B], 100, true); 10],
            "2, inconsistent page 2",
            2,
        ),
        (
            "an empty page that claims a next page",
            vec![page(1, &[], 5, true); 10],
            "inconsistent page 1",
            1,
        ),
        (
            "a page past the total that claims a next page: yielded, then the listing stops",
            vec![
                page(1, &[A], 1, true),
                page(2, &[B], 1, true),
                page(3, &[C], 1, false),
            ],
            "1, 1, inconsistent page 2",
            2,
        ),
        (
            "a page past the total with no next page: yielded, and the listing ends",
            vec![page(1, &[A], 1, true), page(2, &[B], 1, false)],
            "1, 1",
            2,
        ),
        (
            "negative numbers: the listing goes on by _links.next",
            vec![
                odd_page([-25036264, -99541011, -2565555], &[A], Some(2)),
                odd_page([-1, -1, -1], &[B, C], None),
            ],
            "1, 2",
            2,
        ),
        (
            "a page size of 0 and a total of 0 under connections: the listing goes on",
            vec![
                odd_page([1, 0, 0], &[A], Some(2)),
                odd_page([2, 0, 0], &[B], None),
            ],
            "1, 1",
            2,
        ),
        (
            "a link back to a page already listed: yielded, then the listing stops",
            vec![odd_page([2, 2, 9], &[A, B], Some(1)); 3],
            "2, inconsistent page 1",
            1,
        ),
        (
            "a connection repeated on a later page: yielded once",
            vec![page(1, &[A, B], 3, true), page(2, &[B, C], 3, false)],
            "2, 1",
            2,
        ),
    ];
    for (what, answers, yields, requests) in cases {
        let mock = mock_company(&[]).await;
        mock.codat.answer_with(answers);
        let items: Vec<String> = mock
            .list()
            .pages()
            .map(|page| match page {
                Ok(page) => page.results.len().to_string(),
                Err(Error::InconsistentPaging { page, .. }) => format!("inconsistent page {page}"),
                Err(other) => format!("{other:?}"),
            })
            .collect()
            .await;
        assert_eq!(items.join(", "), yields, "{what}");
        assert_eq!(mock.codat.request_count(), requests, "{what}");
        support::record(
            "Paging",
            &format!("pages that misbehave: {what}"),
            &format!(
                "the stream yields: {yields} (connections a page), after requests: {requests}"
            ),
        );
    }
}

#[tokio::test(start_paused = true)]
async fn paging_numbers_that_make_no_sense_cost_only_concurrent_pages() {
    // Each listing asks for 4 pages at once; its first page's numbers cannot
    // plan them, so it follows the links one page at a time, losing nothing.
    let listings: [(&str, [i64; 3]); 4] = [
        ("a negative page size", [1, -2, 6]),
        ("a page size of 0", [1, 0, 6]),
        ("a page size over 5000", [1, 5001, 6]),
        ("a negative total", [1, 2, -6]),
    ];
    for (what, counts) in listings {
        let mock = mock_company(&[]).await;
        mock.codat.answer_with(vec![
            odd_page(counts, &[A], Some(2)),
            odd_page(counts, &[B], Some(3)),
            odd_page(counts, &[C], None),
        ]);
        let listing = mock.list().concurrent_pages(4);
        let ids: Vec<String> = listing
            .connections()
            .map_ok(|c| c.id.to_string())
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(ids, [A, B, C], "{what}");
        assert_eq!(mock.codat.request_count(), 3, "{what}: one request a page");
        support::record(
            "Paging",
            &format!("concurrent pages (4) when the first page has {what}"),
            "no pages planned from it: the listing follows _links.next, every connection once, one request a page",
        );
    }
}

/// What a call ended with, in brief: `ok`; an answer's status, and
/// `retryable` when it is; `transport`; or `decode` and the status.
fn ending<T>(result: &Result<T, Error>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(Error::Transport { .. }) => "transport".to_owned(),
        Err(Error::Decode { status, .. }) => format!("decode {}", status.map_or(0, |s| s.as_u16())),
        Err(err) => match (err.status(), err.is_retryable()) {
            (Some(status), true) => format!("{} retryable", status.as_u16()),
            (Some(status), false) => status.as_u16().to_string(),
            (None, _) => format!("{err:?}"),
        },
    }
}

/// One retry case: the mock's answers before it behaves, the policy, whether
/// the call is a create (else a list), and then how the call ends, how many
/// requests it sent, how long it waited, and how many connections the
/// company has after (it starts with one).
struct Retry {
    what: &'static str,
    answers: Vec<(Fault, usize)>,
    policy: RetryPolicy,
    create: bool,
    ends: &'static str,
    requests: usize,
    waited: RangeInclusive<Duration>,
    connections_after: i64,
}

#[rustfmt::skip]
fn retries() -> Vec<Retry> {
    let fast = || RetryPolicy::default().max_attempts(5);
    let any = Duration::ZERO..=Duration::MAX;
    let secs = Duration::from_secs;
    let malformed = || json_bytes_answer(b"{\"results\": [");
    let in_four_seconds = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .to_rfc2822()
        .replace("+0000", "GMT");
    let dropped_body = Fault::DropDuringBody { status: 200, partial_body: b"{\"results\": [".to_vec() };
    let row = |what, answers, policy, create, ends, requests, waited, connections_after| Retry {
        what, answers, policy, create, ends, requests, waited, connections_after,
    };
    // what, answers, policy, create (else list), ends, requests, waited, connections after
    vec![
        row("429 with Retry-After 2: waits the seconds", vec![(status_answer(429, Some("2")), 1)], fast(), false, "ok", 2, secs(2)..=Duration::from_millis(2099), 1),
        // The date has whole seconds: between 3 and 4 seconds remain.
        row("429 with Retry-After a date: waits until the date", vec![(status_answer(429, Some(&in_four_seconds)), 1)], fast(), false, "ok", 2, secs(2)..=secs(4), 1),
        row("Retry-After longer than the policy allows: fails at once", vec![(status_answer(429, Some("86400")), 1)], fast().max_delay(secs(600)).max_elapsed(secs(60)), false, "429 retryable", 1, Duration::ZERO..=secs(1), 1),
        row("503 twice, then success", vec![(status_answer(503, None), 2)], fast(), false, "ok", 3, any.clone(), 1),
        row("a create answered 503 is not sent twice (Codat would replay the 503 for its key)", vec![(status_answer(503, None), 1)], fast(), true, "503 retryable", 1, any.clone(), 1),
        row("a create answered 429 is retried (Codat did not process it)", vec![(status_answer(429, Some("1")), 1)], fast(), true, "ok", 2, any.clone(), 2),
        row("500 until the attempts run out", vec![(status_answer(500, None), 4)], RetryPolicy::default().max_attempts(4), false, "500 retryable", 4, any.clone(), 1),
        row("404 is not retried", vec![(status_answer(404, None), 1)], fast(), false, "404", 1, any.clone(), 1),
        row("503 twice, then a malformed success: every attempt counted", vec![(status_answer(503, None), 2), (malformed(), 1)], fast(), false, "decode 200", 3, any.clone(), 1),
        row("a malformed success alone is one attempt", vec![(malformed(), 1)], fast(), false, "decode 200", 1, any.clone(), 1),
        row("a dropped connection is retried for a read", vec![(Fault::DropConnection, 1)], fast(), false, "ok", 2, any.clone(), 1),
        row("a dropped connection is retried for a create, with its Idempotency-Key", vec![(Fault::DropConnection, 1)], fast(), true, "ok", 2, any.clone(), 2),
        row("a create whose answer was lost is retried and answered with the connection it made", vec![(Fault::DropAfterProcessing, 1)], fast(), true, "ok", 2, any.clone(), 2),
        row("a create answered 409 (its key in progress) is asked again", vec![(status_answer(409, None), 2)], fast(), true, "ok", 3, any.clone(), 2),
        row("a connection dropped during the body, every time", vec![(dropped_body, 2)], RetryPolicy::default().max_attempts(2), false, "transport", 2, any, 1),
    ]
}

#[tokio::test(start_paused = true)]
async fn each_retry_case_sends_and_waits_as_the_policy_and_the_answer_say() {
    for retry in retries() {
        let mock = mock_company_linked(1).await;
        for (answer, times) in retry.answers {
            mock.codat.inject(answer, times);
        }
        let (codat, company) = (&mock.codat, mock.company);
        let connections = mock.client.connections().retry(retry.policy);
        let started = Instant::now();
        let result = match retry.create {
            true => connections.create(company, "gbol").await.map(drop),
            false => connections.list(company).await.map(drop),
        };
        let waited = started.elapsed();
        let what = retry.what;
        assert_eq!(ending(&result), retry.ends, "{what}");
        assert_eq!(codat.request_count(), retry.requests, "{what}");
        assert!(retry.waited.contains(&waited), "{what}: {waited:?}");
        if let Err(err) = result {
            assert_eq!(err.attempts() as usize, retry.requests, "{what}");
            let text = err.to_string();
            let counted = format!("after {} attempts", retry.requests);
            assert_eq!(
                text.contains(&counted),
                retry.requests > 1,
                "{what}: {text}"
            );
        }
        let after = mock.list().await.unwrap();
        assert_eq!(after.total_results, retry.connections_after, "{what}");
    }
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_then_reported_with_the_attempt_count() {
    let nowhere = support::client(&format!("http://127.0.0.1:{}", free_port()));
    let connections = nowhere
        .connections()
        .retry(RetryPolicy::default().max_attempts(3));
    let read = connections.get(COMPANY, CONNECTION).await.map(drop);
    // A refused create was never processed, so it is retried too.
    let create = connections.create(COMPANY, "gbol").await.map(drop);
    for err in [read, create].map(Result::unwrap_err) {
        assert!(
            matches!(err, Error::Transport { attempts: 3, .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("after 3 attempts"), "{err}");
    }
}

#[tokio::test(start_paused = true)]
async fn needing_reauthorization_returns_deauthorized_and_unlinked_with_their_links() {
    use ConnectionStatus::{Deauthorized, Linked, PendingAuth, Unlinked};
    let mock = mock_company(&[Deauthorized, Unlinked, Linked, PendingAuth]).await;
    let connections = mock.client.connections();
    let needed = connections.needing_reauthorization(mock.company).await;
    let needed = needed.unwrap();
    let found: BTreeSet<ConnectionId> = needed.iter().map(|n| n.connection.id).collect();
    assert_eq!(found, mock.connections[..2].iter().copied().collect());
    for n in &needed {
        assert!(n.link_url.as_str().contains(&n.connection.id.to_string()));
    }
    let codat = &mock.codat;
    assert_eq!(codat.received("GET"), codat.request_count(), "only reads");
}

// ---------------------------------------------------------------- settings at their extremes

/// A server that accepts connections and never answers; it stops listening
/// when the listener is dropped.
fn silent_server() -> (std::net::TcpListener, String) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    (listener, url)
}

/// How long `call` took to fail with a timeout (any other end fails).
async fn time_to_time_out<T: std::fmt::Debug>(
    call: impl std::future::IntoFuture<Output = Result<T, Error>>,
) -> Duration {
    let started = Instant::now();
    let result = call.await;
    assert!(matches!(result, Err(Error::Timeout { .. })), "{result:?}");
    started.elapsed()
}

/// Fails unless `waited` is `expected`, give or take tokio's millisecond.
fn assert_about(waited: Duration, expected: Duration, what: &str) {
    let tick = Duration::from_millis(1);
    assert!(
        waited >= expected && waited <= expected + tick,
        "{what}: {waited:?}, not {expected:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_client_timeout_of_duration_max_ends_an_unanswered_request_after_a_day() {
    let (_silent, url) = silent_server();
    let client = codat_connections::Client::builder("k")
        .base_url(url)
        .requests_per_minute(None)
        .retry(RetryPolicy::none())
        .timeout(Duration::MAX)
        .connect_timeout(Duration::MAX)
        .build()
        .unwrap();
    let waited = time_to_time_out(client.connections().get(COMPANY, CONNECTION)).await;
    let day = codat_connections::ClientBuilder::MAX_TIMEOUT;
    assert_about(waited, day, "client timeout");
}

#[tokio::test(start_paused = true)]
async fn per_call_timeouts_of_duration_max_end_an_unanswered_request_after_a_day() {
    let (_silent, url) = silent_server();
    let client = codat_connections::Client::builder("k")
        .base_url(url)
        .requests_per_minute(None)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let day = codat_connections::ClientBuilder::MAX_TIMEOUT;
    let get = client
        .connections()
        .get(COMPANY, CONNECTION)
        .timeout(Duration::MAX);
    assert_about(time_to_time_out(get).await, day, "Call::timeout");
    let list = client.connections().list(COMPANY).timeout(Duration::MAX);
    assert_about(
        time_to_time_out(list).await,
        day,
        "ListConnections::timeout",
    );
    let companies = client.companies().list().timeout(Duration::MAX);
    assert_about(
        time_to_time_out(companies).await,
        day,
        "ListCompanies::timeout",
    );
}

#[tokio::test(start_paused = true)]
async fn a_mock_latency_or_delay_of_duration_max_holds_an_answer_back_an_hour() {
    let mock = mock_company_linked(1).await;
    let client = mock
        .codat
        .client_builder()
        .requests_per_minute(None)
        .retry(RetryPolicy::none())
        .timeout(Duration::MAX)
        .build()
        .unwrap();
    let hour = codat_connections::mock::MAX_DELAY;
    mock.codat.set_latency(Duration::MAX);
    let started = Instant::now();
    let listed = client.connections().list(mock.company).await;
    assert!(listed.is_ok(), "{listed:?}");
    assert_about(started.elapsed(), hour, "latency");
    mock.codat.set_latency(Duration::ZERO);
    mock.codat.inject(Fault::Delay(Duration::MAX), 1);
    let started = Instant::now();
    let listed = client.connections().list(mock.company).await;
    assert!(listed.is_ok(), "{listed:?}");
    assert_about(started.elapsed(), hour, "Fault::Delay");
}
