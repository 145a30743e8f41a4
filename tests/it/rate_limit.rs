//! One client, one rate limit: a 429 to one request makes every request of
//! the client wait, an `X-Rate-Limit-Remaining` of 0 waits for the reset
//! instead of spending requests on 429s, and the default pace keeps under
//! Codat's documented 1,000 requests a minute. On tokio's paused clock,
//! against the shipped mock.
#![cfg(feature = "mock")]

use crate::support;

use std::time::Duration;

use codat_connections::{Client, DEFAULT_REQUESTS_PER_MINUTE, Error, RetryPolicy};
use support::mock_setup::{mock_company, status_answer};
use tokio::time::Instant;

/// Lists `company` `n` times at once through `client`; returns when each
/// finished, from `started`.
async fn concurrently(
    client: &Client,
    company: codat_connections::CompanyId,
    n: usize,
    started: Instant,
) -> Vec<Duration> {
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                client.connections().list(company).await.unwrap();
                started.elapsed()
            })
        })
        .collect();
    let mut done = Vec::new();
    for task in tasks {
        done.push(task.await.unwrap());
    }
    done
}

#[tokio::test(start_paused = true)]
async fn a_429_to_one_request_makes_every_request_of_the_client_wait() {
    let mock = mock_company(&[]).await;
    let (codat, company, client) = (&mock.codat, mock.company, &mock.client);
    // One request answered 429, with no retry of its own.
    let refused_once = || async {
        codat.inject(status_answer(429, Some("10")), 1);
        let once = client.connections().retry(RetryPolicy::none());
        let refused = once.list(company).await.unwrap_err();
        assert_eq!(refused.status().map(|s| s.as_u16()), Some(429));
    };
    let started = Instant::now();
    refused_once().await;

    // A clone shares the limit: eight requests wait for the pause, and none
    // reaches the server before it ends.
    let clone = client.clone();
    let waiting = tokio::spawn(async move { concurrently(&clone, company, 8, started).await });
    tokio::time::sleep(Duration::from_millis(9_900)).await;
    assert_eq!(codat.request_count(), 1, "a request left during the pause");
    let done = waiting.await.unwrap();
    assert!(
        done.iter().all(|t| *t >= Duration::from_secs(10)),
        "{done:?}"
    );
    assert_eq!(codat.request_count(), 9);

    // A client of its own does not share the pause (the negative case).
    let other = codat.client().unwrap();
    refused_once().await;
    let before = Instant::now();
    other.connections().list(company).await.unwrap();
    assert_eq!(before.elapsed(), Duration::ZERO);
    support::record(
        "Rate limit",
        "429 with Retry-After 10 to one request, 8 more requests from clones of the client",
        "none sent before the 10 s are over; all succeed after; another client is not held",
    );
}

#[tokio::test(start_paused = true)]
async fn remaining_zero_waits_for_the_reset_instead_of_spending_requests_on_429s() {
    let mock = mock_company(&[]).await;
    let (codat, company, client) = (&mock.codat, mock.company, &mock.client);
    codat.enforce_rate_limit(5);
    let started = Instant::now();
    for _ in 0..12 {
        client.connections().list(company).await.unwrap();
    }
    assert_eq!(codat.rate_limited_count(), 0, "a request was refused");
    assert_eq!(codat.request_count(), 12);
    // Three windows of a minute: 5, 5 and 2 requests.
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(120) && waited < Duration::from_secs(125),
        "{waited:?}"
    );
    let seen = client.rate_limit().unwrap();
    assert_eq!((seen.limit, seen.remaining), (Some(5), Some(3)));
    assert!(seen.reset.is_some());
    support::record(
        "Rate limit",
        "server allows 5 requests a minute; 12 requests one after another",
        "no 429: the client waits for X-Rate-Limit-Reset whenever X-Rate-Limit-Remaining is 0; 12 requests in 3 minutes",
    );
}

#[tokio::test(start_paused = true)]
async fn requests_already_in_flight_learn_the_limit_from_429s_and_lose_nothing() {
    let mock = mock_company(&[]).await;
    mock.codat.enforce_rate_limit(5);
    let (codat, company, client) = (&mock.codat, mock.company, &mock.client);
    concurrently(client, company, 8, Instant::now()).await;
    // Eight at once: three are refused (the server saw them before any
    // answer came back), then they wait for the shared pause and succeed.
    assert_eq!(codat.rate_limited_count(), 3);
    assert_eq!(codat.request_count(), 11);

    // Now the client knows what remains: ten more at once spend it and wait
    // for each reset, and none is refused.
    let started = Instant::now();
    let done = concurrently(client, company, 10, started).await;
    assert_eq!(codat.rate_limited_count(), 3, "a request was refused");
    assert_eq!(codat.request_count(), 21);
    assert!(
        done.iter().all(|t| *t < Duration::from_secs(180)),
        "{done:?}"
    );
    support::record(
        "Rate limit",
        "server allows 5 requests a minute; 8 requests at once",
        "the 3 over the limit are answered 429, wait for Retry-After, and succeed; none lost; 10 more at once then spend what remains and wait for each reset: no 429",
    );
}

#[tokio::test(start_paused = true)]
async fn the_default_pace_keeps_under_codats_thousand_requests_a_minute() {
    let mock = mock_company(&[]).await;
    let (codat, company) = (&mock.codat, mock.company);
    let client = codat.client_builder().build().unwrap();
    assert_eq!(
        client.requests_per_minute(),
        Some(DEFAULT_REQUESTS_PER_MINUTE)
    );
    assert_eq!(DEFAULT_REQUESTS_PER_MINUTE, 1000);
    let started = Instant::now();
    let done = concurrently(&client, company, 1100, started).await;
    let mut done = done;
    done.sort();
    // At most 1,000 in the first minute, and not much slower than that.
    let first_minute = done
        .iter()
        .filter(|t| **t < Duration::from_secs(60))
        .count();
    assert!(first_minute <= 1000, "{first_minute} in the first minute");
    assert!(first_minute >= 980, "{first_minute}: the pace is too slow");

    // Disabled, the same requests all go at once (the negative case).
    let unpaced = codat.client().unwrap();
    assert_eq!(unpaced.requests_per_minute(), None);
    let started = Instant::now();
    let done = concurrently(&unpaced, company, 1100, started).await;
    let last = done.iter().max().unwrap();
    assert!(*last < Duration::from_secs(1), "the last took {last:?}");
    support::record(
        "Rate limit",
        "1,100 requests at once through a client with the default pace",
        "at most 1,000 sent in the first minute (Codat's documented per-IP limit); without a pace, all at once",
    );
}

#[tokio::test(start_paused = true)]
async fn rate_limit_values_are_exposed_after_each_answer() {
    let mock = mock_company(&[]).await;
    let (company, client) = (mock.company, &mock.client);
    assert_eq!(client.rate_limit(), None);
    mock.codat.enforce_rate_limit(100);
    client.connections().list(company).await.unwrap();
    client.connections().list(company).await.unwrap();
    let seen = client.rate_limit().unwrap();
    assert_eq!((seen.limit, seen.remaining), (Some(100), Some(98)));
    // An error answer carries them too.
    let err = client
        .connections()
        .list(support::COMPANY)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Api(_)));
    assert_eq!(client.rate_limit().unwrap().remaining, Some(97));
}

#[tokio::test(start_paused = true)]
async fn a_mock_rate_limit_window_of_duration_max_refuses_with_an_hours_retry_after() {
    let mock = mock_company(&[]).await;
    mock.codat.enforce_rate_limit_per(1, Duration::MAX);
    let client = mock
        .codat
        .client_builder()
        .requests_per_minute(None)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let listed = client.connections().list(mock.company).await;
    assert!(listed.is_ok(), "{listed:?}");
    // The window counts as an hour: the reset is that far, the client
    // pauses its longest wait (60 s), then the mock refuses what is left.
    let reset = client.rate_limit().and_then(|r| r.reset).unwrap();
    let until_reset = (reset - chrono::Utc::now()).num_seconds();
    let refused = client.connections().list(mock.company).await.unwrap_err();
    assert_eq!(
        refused.status().map(|s| s.as_u16()),
        Some(429),
        "{refused:?}"
    );
    let retry_after = match &refused {
        Error::Api(api) => api
            .retry_after
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok()),
        _ => None,
    };
    assert_eq!(retry_after, Some(3600 - 60), "{refused:?}");
    assert_eq!(mock.codat.rate_limited_count(), 1);
    assert!((3590..=3600).contains(&until_reset), "{until_reset}");
}
