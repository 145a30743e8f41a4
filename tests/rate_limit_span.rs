//! The request's tracing span carries the `X-Rate-Limit-*` values it was
//! answered with. A binary of its own: tracing caches which callsites are
//! enabled process-wide, so a subscriber set for one test thread races with
//! the other tests of a binary.
#![cfg(feature = "mock")]

mod support;

use codat_connections::mock::MockCodat;
use support::log::Log;

#[tokio::test(start_paused = true)]
async fn rate_limit_values_are_in_the_request_span() {
    let codat = MockCodat::start().await.unwrap();
    let company = codat.add_company();
    codat.enforce_rate_limit(100);
    let log = Log::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(log.writer())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let client = codat.client().unwrap();
    client.connections().list(company).await.unwrap();
    let text = log.text();
    let closed = text
        .lines()
        .find(|l| l.contains("codat.request") && l.contains("close"))
        .unwrap_or_else(|| panic!("no closed request span in {text}"));
    assert!(closed.contains("rate_limit.limit=100"), "{closed}");
    assert!(closed.contains("rate_limit.remaining=99"), "{closed}");
    assert!(closed.contains("rate_limit.reset="), "{closed}");
}
