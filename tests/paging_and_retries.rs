//! Page streams (including against a server that misbehaves), retries with
//! backoff and `Retry-After`, and the re-authorization sweep, against the
//! shipped mock on tokio's paused clock.
#![cfg(feature = "mock")]

use std::collections::BTreeSet;
use std::time::Duration;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{
    Client, CompanyId, ConnectionId, ConnectionStatus, Error, PlatformKey, RetryPolicy,
};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use tokio::time::Instant;

fn gbol() -> PlatformKey {
    "gbol".parse().unwrap()
}

async fn company_with(codat: &MockCodat, count: usize) -> (CompanyId, Vec<ConnectionId>) {
    let company = codat.add_company();
    let ids = (0..count)
        .map(|_| codat.add_connection(company, gbol(), ConnectionStatus::Linked))
        .collect();
    (company, ids)
}

#[tokio::test(start_paused = true)]
async fn three_pages_stream_in_order_and_stop_after_the_last() {
    let codat = MockCodat::start().await.unwrap();
    let (company, ids) = company_with(&codat, 5).await;
    let client = codat.client().unwrap();
    let pages: Vec<_> = client
        .connections()
        .list(company)
        .page_size(2)
        .pages()
        .try_collect()
        .await
        .unwrap();
    let numbers: Vec<u64> = pages.iter().map(|p| p.page_number).collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(!pages[2].has_next_page(), "the last page has no next link");
    assert_eq!(codat.request_count(), 3, "no request after the last page");
    let streamed: Vec<ConnectionId> = pages
        .iter()
        .flat_map(|p| p.results.iter().map(|c| c.id))
        .collect();
    assert_eq!(
        streamed.iter().collect::<BTreeSet<_>>(),
        ids.iter().collect::<BTreeSet<_>>()
    );
    let queries: Vec<String> = codat
        .requests()
        .into_iter()
        .map(|r| r.query.unwrap_or_default())
        .collect();
    assert_eq!(
        queries,
        [
            "page=1&pageSize=2",
            "page=2&pageSize=2",
            "page=3&pageSize=2"
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn read_ahead_yields_the_same_connections_in_the_same_order() {
    let codat = MockCodat::start().await.unwrap();
    let (company, _) = company_with(&codat, 7).await;
    let client = codat.client().unwrap();
    let plain: Vec<ConnectionId> = client
        .connections()
        .list(company)
        .page_size(2)
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let ahead: Vec<ConnectionId> = client
        .connections()
        .list(company)
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
    let codat = MockCodat::start().await.unwrap();
    let (company, _) = company_with(&codat, 20).await;
    let client = codat.client().unwrap();
    let mut pages = client
        .connections()
        .list(company)
        .page_size(1)
        .read_ahead(2)
        .pages();
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
    let codat = MockCodat::start().await.unwrap();
    let (company, ids) = company_with(&codat, 6).await;
    let client = codat.client().unwrap();
    let listed: Vec<ConnectionId> = client
        .connections()
        .list(company)
        .page_size(2)
        .collect_all()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let before = codat.request_count();
    let wanted = listed[2];
    let found = client
        .connections()
        .list(company)
        .page_size(2)
        .find(|c| c.id == wanted)
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.id), Some(wanted));
    assert_eq!(
        codat.request_count() - before,
        2,
        "stopped at the page holding it"
    );
    let missing = client
        .connections()
        .list(company)
        .page_size(2)
        .find(|_| false)
        .await
        .unwrap();
    assert!(missing.is_none());
    assert_eq!(ids.len(), 6);
}

fn page_body(page: u64, ids: &[&str], total: u64, next: bool) -> Vec<u8> {
    let results: Vec<_> = ids
        .iter()
        .map(|id| {
            json!({
                "id": id, "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
                "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee", "platformName": "Xero",
                "linkUrl": "https://link-api.codat.io/start", "status": "Linked",
                "created": "2022-10-27T09:53:29Z", "sourceType": "Accounting"
            })
        })
        .collect();
    let mut links = json!({"self": {"href": "/x"}, "current": {"href": format!("/x?page={page}")}});
    if next {
        links["next"] = json!({"href": format!("/x?page={}", page + 1)});
    }
    json!({"results": results, "pageNumber": page, "pageSize": 2, "totalResults": total, "_links": links})
        .to_string()
        .into_bytes()
}

fn respond(body: Vec<u8>) -> Fault {
    Fault::Respond {
        status: 200,
        content_type: "application/json".into(),
        body,
    }
}

const A: &str = "ee2eb431-c0fa-4dc9-93fa-d29781c12bcd";
const B: &str = "2e9d2c44-f675-40ba-8049-353bfcb5e171";

async fn stream_against(faults: Vec<Fault>) -> (Vec<Result<usize, Error>>, usize) {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    for fault in faults {
        codat.inject(fault, 1);
    }
    let client = codat.client().unwrap();
    let items: Vec<Result<usize, Error>> = client
        .connections()
        .list(company)
        .pages()
        .map(|page| page.map(|p| p.results.len()))
        .collect()
        .await;
    (items, codat.request_count())
}

#[tokio::test(start_paused = true)]
async fn the_same_page_served_twice_ends_the_stream_with_an_error() {
    let page = page_body(1, &[A, B], 100, true);
    let (items, requests) = stream_against(vec![respond(page.clone()); 10]).await;
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(*items[0].as_ref().unwrap(), 2);
    assert!(
        matches!(items[1], Err(Error::InconsistentPaging { page: 2, .. })),
        "{items:?}"
    );
    assert_eq!(requests, 2);
}

#[tokio::test(start_paused = true)]
async fn an_empty_page_that_claims_a_next_page_ends_the_stream() {
    let (items, requests) = stream_against(vec![respond(page_body(1, &[], 5, true)); 10]).await;
    assert!(
        matches!(
            items.as_slice(),
            [Err(Error::InconsistentPaging { page: 1, .. })]
        ),
        "{items:?}"
    );
    assert_eq!(requests, 1);
}

#[tokio::test(start_paused = true)]
async fn a_page_past_the_total_ends_the_stream() {
    let faults = vec![
        respond(page_body(1, &[A], 1, true)),
        respond(page_body(2, &[B], 1, true)),
    ];
    let (items, requests) = stream_against(faults).await;
    assert_eq!(*items[0].as_ref().unwrap(), 1);
    assert!(
        matches!(items[1], Err(Error::InconsistentPaging { page: 2, .. })),
        "{items:?}"
    );
    assert_eq!(items.len(), 2);
    assert_eq!(requests, 2);
}

#[tokio::test(start_paused = true)]
async fn a_connection_repeated_on_a_later_page_is_yielded_once() {
    let faults = vec![
        respond(page_body(1, &[A, B], 3, true)),
        respond(page_body(
            2,
            &[B, "8a210b68-6988-11ed-a1eb-0242ac120002"],
            3,
            false,
        )),
    ];
    let (items, _) = stream_against(faults).await;
    let counts: Vec<usize> = items.into_iter().map(Result::unwrap).collect();
    assert_eq!(counts, [2, 1]);
}

fn fast_policy() -> RetryPolicy {
    RetryPolicy::default().max_attempts(5)
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_the_retry_after_seconds() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("2".into()),
        },
        1,
    );
    let started = Instant::now();
    codat
        .client()
        .unwrap()
        .connections()
        .retry(fast_policy())
        .list(company)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_millis(2100),
        "{waited:?}"
    );
    assert_eq!(codat.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn too_many_requests_waits_until_the_retry_after_date() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let at = (chrono::Utc::now() + chrono::Duration::seconds(4))
        .to_rfc2822()
        .replace("+0000", "GMT");
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some(at),
        },
        1,
    );
    let started = Instant::now();
    codat
        .client()
        .unwrap()
        .connections()
        .retry(fast_policy())
        .list(company)
        .await
        .unwrap();
    let waited = started.elapsed();
    // The date has whole seconds: between 3 and 4 seconds remain.
    assert!(
        waited >= Duration::from_secs(2) && waited <= Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(codat.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn retry_after_longer_than_the_policy_allows_fails_at_once() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("86400".into()),
        },
        1,
    );
    let policy = fast_policy()
        .max_delay(Duration::from_secs(600))
        .max_elapsed(Duration::from_secs(60));
    let started = Instant::now();
    let err = codat
        .client()
        .unwrap()
        .connections()
        .retry(policy)
        .list(company)
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.attempts(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn service_unavailable_twice_then_success() {
    let codat = MockCodat::start().await.unwrap();
    let (company, _) = company_with(&codat, 1).await;
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        2,
    );
    let page = codat
        .client()
        .unwrap()
        .connections()
        .retry(fast_policy())
        .list(company)
        .await
        .unwrap();
    assert_eq!(page.results.len(), 1);
    assert_eq!(codat.request_count(), 3);
}

#[tokio::test(start_paused = true)]
async fn create_is_not_retried_after_503() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        1,
    );
    let client = codat.client().unwrap();
    let err = client
        .connections()
        .retry(fast_policy())
        .create(company, "gbol")
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.attempts(), 1);
    let posts = codat
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(posts, 1, "a 503'd create must not be sent twice");
    let page = client.connections().list(company).await.unwrap();
    assert_eq!(page.total_results, 0);
}

#[tokio::test(start_paused = true)]
async fn create_is_retried_after_429() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(
        Fault::Status {
            status: 429,
            retry_after: Some("1".into()),
        },
        1,
    );
    let client = codat.client().unwrap();
    let created = client
        .connections()
        .retry(fast_policy())
        .create(company, "gbol")
        .await
        .unwrap();
    assert_eq!(created.status, ConnectionStatus::PendingAuth);
    assert_eq!(codat.request_count(), 2);
    assert_eq!(
        client
            .connections()
            .list(company)
            .await
            .unwrap()
            .total_results,
        1
    );
}

#[tokio::test(start_paused = true)]
async fn connection_refused_is_retried_then_reported_with_the_attempt_count() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = Client::builder("k")
        .base_url(format!("http://127.0.0.1:{port}"))
        .retry(RetryPolicy::default().max_attempts(3))
        .build()
        .unwrap();
    let err = client
        .connections()
        .get(
            CompanyId::from_uuid(uuid()),
            ConnectionId::from_uuid(uuid()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Transport { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
    // A refused create was never processed, so it is retried too.
    let err = client
        .connections()
        .create(CompanyId::from_uuid(uuid()), "gbol")
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 3);
}

fn uuid() -> uuid::Uuid {
    "8a210b68-6988-11ed-a1eb-0242ac120002".parse().unwrap()
}

#[tokio::test(start_paused = true)]
async fn max_attempts_reached_reports_how_many() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.inject(
        Fault::Status {
            status: 500,
            retry_after: None,
        },
        10,
    );
    let err = codat
        .client()
        .unwrap()
        .connections()
        .retry(RetryPolicy::default().max_attempts(4))
        .list(company)
        .await
        .unwrap_err();
    assert_eq!(err.attempts(), 4);
    assert!(err.to_string().ends_with("after 4 attempts"), "{err}");
    assert_eq!(codat.request_count(), 4);
    assert!(err.is_retryable());
}

#[tokio::test(start_paused = true)]
async fn a_404_is_not_retried() {
    let codat = MockCodat::start().await.unwrap();
    let err = codat
        .client()
        .unwrap()
        .connections()
        .list(CompanyId::from_uuid(uuid()))
        .await
        .unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert_eq!((err.attempts(), codat.request_count()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn needing_reauthorization_returns_deauthorized_and_unlinked_with_their_links() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    let deauthorized = codat.add_connection(company, gbol(), ConnectionStatus::Deauthorized);
    let unlinked = codat.add_connection(company, gbol(), ConnectionStatus::Unlinked);
    codat.add_connection(company, gbol(), ConnectionStatus::Linked);
    codat.add_connection(company, gbol(), ConnectionStatus::PendingAuth);
    let needed = codat
        .client()
        .unwrap()
        .connections()
        .needing_reauthorization(company)
        .await
        .unwrap();
    let mut ids: Vec<ConnectionId> = needed.iter().map(|n| n.connection.id).collect();
    ids.sort();
    let mut expected = vec![deauthorized, unlinked];
    expected.sort();
    assert_eq!(ids, expected);
    for n in &needed {
        assert!(n.link_url.as_str().contains(&n.connection.id.to_string()));
    }
    assert!(
        codat.requests().iter().all(|r| r.method == "GET"),
        "only reads"
    );
}

#[tokio::test(start_paused = true)]
async fn attempts_count_every_attempt_before_a_malformed_success() {
    let codat = MockCodat::start().await.unwrap();
    let (company, _) = company_with(&codat, 1).await;
    codat.inject(
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        2,
    );
    codat.inject(
        Fault::Respond {
            status: 200,
            content_type: "application/json".into(),
            body: b"{\"results\": [".to_vec(),
        },
        1,
    );
    let client = codat.client().unwrap();
    let err = client
        .connections()
        .retry(fast_policy())
        .list(company)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: Some(status), .. } if *status == 200),
        "{err:?}"
    );
    assert_eq!(err.attempts(), 3);
    assert!(err.to_string().ends_with("after 3 attempts"), "{err}");
    assert_eq!(codat.request_count(), 3);
    // Without the failures before it, the same malformed answer is one attempt.
    codat.inject(
        Fault::Respond {
            status: 200,
            content_type: "application/json".into(),
            body: b"{\"results\": [".to_vec(),
        },
        1,
    );
    let err = client.connections().list(company).await.unwrap_err();
    assert_eq!(err.attempts(), 1);
}
