//! The fault matrix (`tests/support/faults.rs`) run against the shipped
//! mock: every row is retried and succeeds, or ends in one specific typed
//! error; never a panic, a hang or a duplicated create. Each row, and each
//! case below, becomes a line of RELIABILITY.md.
#![cfg(feature = "mock")]

use crate::support;

use std::time::Duration;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{ConnectionStatus, RetryPolicy};
use futures::TryStreamExt;
use support::faults::{rows, run, status, waited_out};

#[tokio::test(start_paused = true)]
async fn every_fault_is_retried_or_a_specific_error() {
    for row in rows() {
        let ran = run(&row).await;
        support::record("Faults", row.case, &ran.outcome);
    }
}

#[tokio::test(start_paused = true)]
async fn absurd_retry_after_is_capped_by_the_policy() {
    let (waited, requests) = waited_out("864000", 1).await;
    assert_eq!(requests, 2);
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
    // At least half of each backoff: 0.25 + 0.375 + ... (initial 500 ms, x1.5).
    let floor: f64 = (0..7).map(|n| 0.25 * 1.5f64.powi(n)).sum();
    for (value, case) in [
        ("0", "429 with Retry-After 0, seven times: time waited"),
        (
            "Thu, 01 Jan 2015 00:00:00 GMT",
            "429 with Retry-After an HTTP date in the past, seven times: time waited",
        ),
    ] {
        let (waited, requests) = waited_out(value, 7).await;
        assert_eq!(requests, 8, "{case}");
        assert!(waited.as_secs_f64() >= floor, "{case}: {waited:?}");
        let outcome = format!(
            "the policy's backoff, never no wait: at least {floor:.1} s over 7 retries, succeeded on attempt 8"
        );
        support::record("Faults", case, &outcome);
    }
}

#[tokio::test(start_paused = true)]
async fn a_stream_survives_faults_between_pages() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    for _ in 0..5 {
        codat.add_connection(company, support::gbol(), ConnectionStatus::Linked);
    }
    let client = codat.client().unwrap();
    let mut pages = client.connections().list(company).page_size(2).pages();
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

#[tokio::test(start_paused = true)]
async fn max_delay_of_duration_max_waits_out_the_longest_retry_after_without_overflow() {
    let codat = MockCodat::start().await.expect("the mock starts");
    let company = codat.add_company();
    // The longest wait a server can ask for, in seconds.
    codat.inject(status(429, Some(&u64::MAX.to_string())), 1);
    let patient = RetryPolicy::default()
        .max_delay(Duration::MAX)
        .max_elapsed(Duration::MAX);
    let client = codat
        .client_builder()
        .requests_per_minute(None)
        .retry(patient)
        .build()
        .expect("the mock's client");
    let started = tokio::time::Instant::now();
    let listed = client.connections().list(company).await;
    assert!(listed.is_ok(), "{listed:?}");
    assert_eq!(codat.request_count(), 2);
    // The whole client (its shared pause, then the retry) waits a day.
    let waited = started.elapsed();
    let ceiling = RetryPolicy::MAX_DELAY_CEILING;
    assert!(
        waited >= ceiling && waited < ceiling + Duration::from_secs(1),
        "{waited:?}"
    );
}
