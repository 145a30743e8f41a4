//! Concurrent pages: after the first page, the pages it announces are
//! fetched a bounded number at a time and yielded in page order; when the
//! totals stop adding up, the listing follows `_links.next` instead. On
//! tokio's paused clock, against the shipped mock.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::HashSet;
use std::time::Duration;

use codat_connections::{ConnectionId, ConnectionStatus};
use futures::{StreamExt, TryStreamExt};
use support::gbol;
use support::mock_setup::{MockSetup, ids_of, mock_company_linked};
use tokio::time::Instant;

#[tokio::test(start_paused = true)]
async fn pages_are_fetched_four_at_a_time_and_yielded_in_order() {
    let mock = mock_company_linked(29).await;
    mock.codat.set_latency(Duration::from_millis(50));

    let started = Instant::now();
    let sequential = ids_of(mock.list().page_size(3)).await;
    let sequential_time = started.elapsed();

    let started = Instant::now();
    let concurrently = mock.list().page_size(3).concurrent_pages(4);
    let pages: Vec<_> = concurrently.pages().try_collect().await.unwrap();
    let concurrent_time = started.elapsed();
    let numbers: Vec<i64> = pages.iter().map(|p| p.page_number).collect();
    assert_eq!(numbers, (1..=10).collect::<Vec<_>>(), "in page order");
    let concurrent: Vec<ConnectionId> = pages
        .into_iter()
        .flat_map(|p| p.results.into_iter().map(|c| c.id))
        .collect();
    assert_eq!(
        concurrent, sequential,
        "the same connections in the same order"
    );
    // 10 pages of 50 ms: one after another 500 ms; the first, then 9 four
    // at a time (4, 4, 1): 200 ms. Unbounded would be 100 ms.
    assert_eq!(sequential_time.as_millis() / 50, 10, "{sequential_time:?}");
    assert_eq!(concurrent_time.as_millis() / 50, 4, "{concurrent_time:?}");
    let requests = mock.codat.request_count();
    assert_eq!(requests, 20, "each page fetched once per listing");
    support::record(
        "Paging",
        "10 pages with 50 ms latency, concurrent pages (4)",
        "the same connections in the same order as one page at a time; 200 ms instead of 500 ms (first page, then 4 at a time); each page fetched once",
    );
}

#[tokio::test(start_paused = true)]
async fn totals_that_stop_adding_up_fall_back_to_following_the_links() {
    let mock = mock_company_linked(9).await;
    let (codat, company) = (&mock.codat, mock.company);
    let mut pages = mock.list().page_size(3).concurrent_pages(4).pages();
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.total_results, 9);
    // Three more connections arrive after the first page: the other pages
    // now say 12, not the 9 the first announced.
    for _ in 0..3 {
        codat.add_connection(company, gbol(), ConnectionStatus::Linked);
    }
    let rest: Vec<_> = pages.try_collect().await.unwrap();
    let ids: Vec<ConnectionId> = std::iter::once(first)
        .chain(rest)
        .flat_map(|p| p.results.into_iter().map(|c| c.id))
        .collect();
    let unique: HashSet<_> = ids.iter().collect();
    assert_eq!(ids.len(), 12, "every connection, the new ones included");
    assert_eq!(unique.len(), 12, "none twice");
    // The first page, pages 2 and 3 at once (refused: other totals), then
    // pages 2, 3 and 4 by their links.
    assert_eq!(codat.request_count(), 6);

    // The negative case: totals that add up cost no extra request.
    let (steady, connections) = codat.company_with_linked(9);
    codat.clear_requests();
    let listing = mock.client.connections().list(steady).page_size(3);
    assert_eq!(ids_of(listing.concurrent_pages(4)).await, connections);
    assert_eq!(codat.request_count(), 3);
    support::record(
        "Paging",
        "concurrent pages (4) when totalResults changes after the first page",
        "the disagreeing pages are dropped and the listing follows _links.next from the last page that agreed: every connection once",
    );
}

#[tokio::test(start_paused = true)]
async fn concurrent_pages_with_read_ahead_and_a_single_page() {
    let mock = mock_company_linked(2).await;
    let all = ids_of(mock.list().concurrent_pages(4).read_ahead(2)).await;
    assert_eq!(all, mock.connections);
    assert_eq!(mock.codat.request_count(), 1);
}
