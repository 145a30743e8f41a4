//! The portfolio benchmarks of this crate's client, against the shipped mock
//! in the same process (real clock): a sweep of 2,000 companies, the same
//! sweep under a rate limit (with and without the client's pace), and a
//! paged listing with latency (one page at a time, read-ahead, concurrent
//! pages). Prints a Markdown section with each target met or MISSED.
//!
//! CPU time and memory here are the client's and the mock's together, so
//! only wall time, requests and 429s are reported.

use std::time::{Duration, Instant};

use codat_connections::mock::MockCodat;
use codat_connections::{Client, CompanyId, ConnectionStatus};
use futures::{StreamExt, TryStreamExt};

const COMPANIES: usize = 2_000;
const LATENCY: Duration = Duration::from_millis(20);

/// 2,000 companies with 1 to 3 connections each, every tenth deauthorized.
fn portfolio(codat: &MockCodat) -> Result<Vec<CompanyId>, Box<dyn std::error::Error>> {
    let gbol = "gbol".parse()?;
    Ok(codat.add_companies(COMPANIES, |i| {
        let status = if i % 10 == 0 {
            ConnectionStatus::Deauthorized
        } else {
            ConnectionStatus::Linked
        };
        vec![(gbol, status); i % 3 + 1]
    }))
}

/// Sweeps `companies`; returns the wall time and how many companies
/// failed or were missing.
async fn sweep(
    client: &Client,
    companies: Vec<CompanyId>,
    concurrency: usize,
) -> (Duration, usize) {
    let expected = companies.len();
    let started = Instant::now();
    let swept: Vec<_> = client
        .sweep(companies)
        .concurrency(concurrency)
        .collect()
        .await;
    let ok = swept.iter().filter(|c| c.result.is_ok()).count();
    (started.elapsed(), expected - ok)
}

fn met_or_missed(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = Vec::new();
    let mut targets = Vec::new();

    // Sweep: 2,000 companies, 20 ms each, concurrency 16.
    let codat = MockCodat::start().await?;
    let companies = portfolio(&codat)?;
    codat.set_latency(LATENCY);
    let (wall, lost) = sweep(&codat.client()?, companies, 16).await;
    let ideal = LATENCY * COMPANIES as u32 / 16;
    let ratio = wall.as_secs_f64() / ideal.as_secs_f64();
    rows.push(format!(
        "| sweep, concurrency 16, no rate limit | {:.0} | {} | 0 | {lost} |",
        wall.as_secs_f64() * 1000.0,
        codat.request_count()
    ));
    targets.push(format!(
        "- {}: sweep wall time {ratio:.2}x the ideal {:.1} s (companies x 20 ms / 16; target: within 1.25x)",
        met_or_missed(ratio <= 1.25 && lost == 0),
        ideal.as_secs_f64()
    ));

    // Rate-limited sweep: 200 requests a second (Codat's 12,000 a minute
    // scaled to a second), concurrency 32, with and without the pace.
    for (label, pace, max_429) in [
        ("pace 12,000/min", Some(12_000), 0.01),
        ("no pace (learning from the answers)", None, 0.05),
    ] {
        let codat = MockCodat::start().await?;
        let companies = portfolio(&codat)?;
        codat.set_latency(LATENCY);
        codat.enforce_rate_limit_per(200, Duration::from_secs(1));
        let client = codat.client_builder().requests_per_minute(pace).build()?;
        let (wall, lost) = sweep(&client, companies, 32).await;
        let sent = codat.request_count();
        let refused = codat.rate_limited_count();
        let share = refused as f64 / sent as f64;
        let ideal = Duration::from_secs_f64(COMPANIES as f64 / 200.0);
        let ratio = wall.as_secs_f64() / ideal.as_secs_f64();
        rows.push(format!(
            "| rate-limited sweep (200/s), concurrency 32, {label} | {:.0} | {sent} | {refused} | {lost} |",
            wall.as_secs_f64() * 1000.0
        ));
        targets.push(format!(
            "- {}: rate-limited sweep, {label}: {:.1}% of requests answered 429 (target: under {:.0}%), {lost} companies lost (target: 0), wall time {ratio:.2}x the ideal {:.0} s (target: within 1.3x)",
            met_or_missed(share <= max_429 && lost == 0 && ratio <= 1.3),
            share * 100.0,
            max_429 * 100.0,
            ideal.as_secs_f64()
        ));
    }

    // Paged listing: 20 pages, 50 ms each.
    let codat = MockCodat::start().await?;
    let company = codat.add_company();
    for _ in 0..20 * 50 {
        codat.add_connection(company, "gbol".parse()?, ConnectionStatus::Linked);
    }
    codat.set_latency(Duration::from_millis(50));
    let client = codat.client()?;
    let mut paged = Vec::new();
    for (label, read_ahead, concurrent) in [
        ("one page at a time", 0, 1),
        ("read-ahead 2", 2, 1),
        ("concurrent pages 4", 0, 4),
    ] {
        codat.clear_requests();
        let started = Instant::now();
        let count = client
            .connections()
            .list(company)
            .page_size(50)
            .read_ahead(read_ahead)
            .concurrent_pages(concurrent)
            .connections()
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await?;
        let wall = started.elapsed();
        rows.push(format!(
            "| listing of 20 pages at 50 ms, {label} | {:.0} | {} | 0 | {} |",
            wall.as_secs_f64() * 1000.0,
            codat.request_count(),
            usize::from(count != 1_000)
        ));
        paged.push(wall);
    }
    // The first page, then 19 four at a time: 1 + 5 rounds of 50 ms.
    let ideal = Duration::from_millis(50 * 6);
    let ratio = paged[2].as_secs_f64() / ideal.as_secs_f64();
    targets.push(format!(
        "- {}: concurrent pages (4) {ratio:.2}x the ideal {} ms (the first page, then 19 pages 4 at a time; target: within 1.3x)",
        met_or_missed(ratio <= 1.3),
        ideal.as_millis()
    ));

    println!("## Portfolio sweep, rate limit and concurrent pages (this crate only)\n");
    println!(
        "2,000 companies with 1-3 connections each on the shipped mock, every request answered after 20 ms (50 ms for the listing), in one process with the client; wall time on the real clock. CPU and memory are not reported here (the client and the mock share the process); the next section compares the same sweep with Codat's Python and TypeScript SDKs, one process per client, with CPU and memory.\n"
    );
    println!("| scenario | wall (ms) | requests | 429s | companies lost (listing: incomplete) |");
    println!("|---|---:|---:|---:|---:|");
    for row in rows {
        println!("{row}");
    }
    println!("\n### Targets\n");
    for target in targets {
        println!("{target}");
    }
    Ok(())
}
