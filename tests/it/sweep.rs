//! The sweep across companies: every company yielded exactly once, with the
//! connections that need the customer and their link URLs, or its own
//! error; bounded concurrency and memory; no company lost in a 429 storm.
//! On tokio's paused clock, against the shipped mock.
#![cfg(feature = "mock")]

use crate::support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use codat_connections::mock::MockCodat;
use codat_connections::{Client, CompanyId, ConnectionId, ConnectionStatus, Error};
use futures::StreamExt;
use support::gbol;
use support::mock_setup::status_answer;

/// The connections that need the customer, by company.
type Needing = BTreeMap<CompanyId, BTreeSet<ConnectionId>>;

/// A mock answering after `latency`, with `count` companies of 1 to 3
/// connections each, every third one `Deauthorized` and every seventh
/// `Unlinked`.
async fn portfolio(count: usize, latency: Duration) -> (MockCodat, Needing) {
    let codat = MockCodat::start().await.unwrap();
    codat.set_latency(latency);
    let mut needing = BTreeMap::new();
    let mut n = 0;
    for c in 0..count {
        let company = codat.add_company();
        let mut expected = BTreeSet::new();
        for _ in 0..(c % 3 + 1) {
            n += 1;
            let status = if n % 3 == 0 {
                ConnectionStatus::Deauthorized
            } else if n % 7 == 0 {
                ConnectionStatus::Unlinked
            } else {
                ConnectionStatus::Linked
            };
            let id = codat.add_connection(company, gbol(), status.clone());
            if status != ConnectionStatus::Linked {
                expected.insert(id);
            }
        }
        needing.insert(company, expected);
    }
    (codat, needing)
}

/// Sweeps every company of `expected` through `client`, `concurrency` at a
/// time, and checks that each was yielded once with its connections.
async fn sweep_all(client: &Client, expected: &Needing, concurrency: usize) {
    let companies: Vec<CompanyId> = expected.keys().copied().collect();
    let swept = client.sweep(companies).concurrency(concurrency);
    assert_complete(expected, swept.collect().await);
}

/// Checks that every company was yielded once, successfully, with exactly
/// the connections expected.
fn assert_complete(expected: &Needing, swept: Vec<codat_connections::SweptCompany>) {
    assert_eq!(swept.len(), expected.len(), "companies yielded");
    let mut seen = BTreeSet::new();
    for company in swept {
        let found = company
            .result
            .unwrap_or_else(|e| panic!("{}: {e}", company.company));
        assert!(seen.insert(found.company_id), "{} twice", found.company_id);
        let ids: BTreeSet<ConnectionId> = found
            .needing_reauthorization
            .iter()
            .map(|n| n.connection.id)
            .collect();
        assert_eq!(&ids, &expected[&found.company_id]);
        for needed in &found.needing_reauthorization {
            assert!(
                needed
                    .link_url
                    .path()
                    .contains(&needed.connection.id.to_string())
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_company_once_with_its_links_and_a_deleted_company_does_not_end_it() {
    let (codat, expected) = portfolio(50, Duration::from_millis(20)).await;
    let deleted = support::COMPANY.to_owned();
    let mut ids: Vec<String> = expected.keys().map(ToString::to_string).collect();
    ids.insert(10, deleted.clone());
    ids.insert(20, "not-a-company".to_owned());
    let client = codat.client().unwrap();
    let swept: Vec<_> = client.sweep(ids).collect().await;
    assert_eq!(swept.len(), 52);
    let (failed, ok): (Vec<_>, Vec<_>) = swept.into_iter().partition(|c| c.result.is_err());
    assert_complete(&expected, ok);
    let failed: BTreeMap<String, Error> = failed
        .into_iter()
        .map(|c| (c.company, c.result.unwrap_err()))
        .collect();
    assert_eq!(failed.len(), 2);
    assert_eq!(failed[&deleted].status().map(|s| s.as_u16()), Some(404));
    assert_eq!(failed["not-a-company"].invalid_field(), Some("companyId"));
    // One request per company that exists or not; none for an invalid ID.
    assert_eq!(codat.request_count(), 51);
    support::record(
        "Sweep",
        "50 companies with 1-3 connections, a deleted company (404) and an invalid ID among them",
        "each company yielded once with its Deauthorized/Unlinked connections and link URLs; the 404 and the invalid ID are those companies' errors; the sweep goes on",
    );
}

#[tokio::test(start_paused = true)]
async fn concurrency_and_memory_are_bounded() {
    let (codat, expected) = portfolio(200, Duration::from_millis(20)).await;
    let pulled = Arc::new(AtomicUsize::new(0));
    let counter = pulled.clone();
    let ids =
        futures::stream::iter(expected.keys().copied().collect::<Vec<_>>()).inspect(move |_| {
            counter.fetch_add(1, Ordering::SeqCst);
        });
    let client = codat.client().unwrap();
    let started = tokio::time::Instant::now();
    let mut sweep = client.sweep_stream(ids).concurrency(8);
    let mut swept = Vec::new();
    while let Some(company) = sweep.next().await {
        let taken = pulled.load(Ordering::SeqCst);
        assert!(
            taken <= swept.len() + 1 + 8,
            "{taken} companies taken with {} yielded",
            swept.len() + 1
        );
        swept.push(company);
    }
    assert_complete(&expected, swept);
    // 200 companies, 8 at a time, 20 ms each: 25 rounds.
    assert_eq!(started.elapsed().as_millis() / 20, 25);
    support::record(
        "Sweep",
        "200 companies from a stream at concurrency 8, 20 ms latency",
        "never more than 8 companies taken ahead of those yielded; 25 rounds of 20 ms",
    );
}

#[tokio::test(start_paused = true)]
async fn a_429_storm_loses_no_company_and_yields_none_twice() {
    let (codat, expected) = portfolio(300, Duration::from_millis(20)).await;
    codat.enforce_rate_limit(60);
    // On top of the limit, a storm: the next 100 requests it lets through
    // are answered 429 with Retry-After 5.
    codat.inject(status_answer(429, Some("5")), 100);
    // No pace: the client learns the limit from Codat's answers alone.
    sweep_all(&codat.client().unwrap(), &expected, 32).await;
    let refused = codat.rate_limited_count();
    let sent = codat.request_count();
    assert_eq!(sent as u64, 300 + 100 + refused, "every 429 retried once");
    // Over the limit only while the first requests were in flight: after
    // that the client spends X-Rate-Limit-Remaining itself, then waits for
    // the reset.
    assert!(refused <= 32, "{refused} refused by the limit");
    support::record(
        "Sweep",
        "300 companies at concurrency 32, the server allowing 60 requests a minute and answering 100 requests 429 with Retry-After 5, no client pace",
        "no company lost, none yielded twice; every 429 retried after the shared pause; over the limit only with the first requests in flight",
    );

    // With the client's pace set to the server's limit, no 429 at all.
    let (codat, expected) = portfolio(150, Duration::ZERO).await;
    codat.enforce_rate_limit(60);
    let paced = codat.client_builder().requests_per_minute(60).build();
    sweep_all(&paced.unwrap(), &expected, 32).await;
    assert_eq!(codat.rate_limited_count(), 0);
    support::record(
        "Sweep",
        "150 companies at concurrency 32, the server allowing 60 requests a minute, the client's pace set to 60",
        "no company lost, none yielded twice; no 429",
    );
}

#[tokio::test(start_paused = true)]
async fn two_thousand_companies_at_concurrency_16_take_the_ideal_time() {
    let codat = MockCodat::start().await.unwrap();
    let gbol = gbol();
    let companies = codat.add_companies(2_000, |i| {
        let status = if i % 10 == 0 {
            ConnectionStatus::Deauthorized
        } else {
            ConnectionStatus::Linked
        };
        vec![(gbol, status); i % 3 + 1]
    });
    codat.set_latency(Duration::from_millis(20));
    let client = codat.client().unwrap();
    let started = tokio::time::Instant::now();
    let swept: Vec<_> = client.sweep(companies).concurrency(16).collect().await;
    let took = started.elapsed();
    assert_eq!(swept.len(), 2_000);
    let needing: usize = swept
        .iter()
        .map(|c| c.result.as_ref().unwrap().needing_reauthorization.len())
        .sum();
    // Companies 0, 10, 20, ...: i % 3 + 1 connections each.
    let expected: usize = (0..2_000).step_by(10).map(|i| i % 3 + 1).sum();
    assert_eq!(needing, expected);
    assert_eq!(codat.request_count(), 2_000);
    // Ideal: 2,000 x 20 ms / 16 = 2.5 s.
    let ideal = Duration::from_millis(2_000 * 20 / 16);
    assert!(took >= ideal && took <= ideal.mul_f64(1.25), "{took:?}");
    support::record(
        "Sweep",
        "2,000 companies with 1-3 connections, 20 ms latency, concurrency 16 (tokio's clock)",
        "one request per company; within 1.25x of the ideal 2.5 s",
    );
}
