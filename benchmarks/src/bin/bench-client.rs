//! The Rust clients `cargo xtask bench` measures, one per mode:
//!
//! `bench-client <mode> <base url> <expected total | calls>`, with mode
//! `raw` (reqwest, bytes only: the limit), `serde` (reqwest + serde_json into
//! the generated types), `sdk` (the SDK's connection stream), `sdk-read-ahead`
//! (the same with read-ahead 2), `sdk-concurrent` (the same with 4 pages at
//! once), `get-raw` and `get-sdk` (single
//! get-connection latency), `sweep` (`Client::sweep` over `count`
//! companies of `bench-server sweep`, 16 at a time; the items are the
//! connections found needing the customer again) and `sweep-raw` (the same
//! with reqwest + serde_json into the generated types: the floor). A mode
//! ending in `+identity` runs the same with the SDK's compression off. Prints
//! one JSON line (see `benchmarks::Measure`; `first_ms` is when the first
//! connection, or the first get's answer, arrived).

use std::ops::Deref;

use codat_connections::raw::types::{Connection, Connections};
use codat_connections::{Client, RetryPolicy};
use futures::{StreamExt, TryStreamExt};

use benchmarks::{API_KEY, AUTH, COMPANY, CONNECTION, Measure};

const PAGE_SIZE: u32 = 5000;

/// Companies listed at once in `sweep` mode (the peers use as many).
const SWEEP_CONCURRENCY: usize = 16;

type Failure = Box<dyn std::error::Error>;

/// A hand-written client's GET: the answer's bytes, nothing decoded.
async fn fetch(
    http: &reqwest::Client,
    url: &str,
) -> Result<impl Deref<Target = [u8]> + use<>, Failure> {
    let answer = http.get(url).header("Authorization", AUTH).send().await?;
    Ok(answer.error_for_status()?.bytes().await?)
}

/// A hand-written client's listing: one page of `company`'s connections,
/// decoded into the generated types.
async fn fetch_page(
    http: &reqwest::Client,
    base: &str,
    company: &str,
    page: u64,
) -> Result<Connections, Failure> {
    let page = fetch(http, &list_url(base, company, page)).await?;
    Ok(serde_json::from_slice(&page)?)
}

fn list_url(base: &str, company: &str, page: u64) -> String {
    format!("{base}/companies/{company}/connections?page={page}&pageSize={PAGE_SIZE}")
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, base, count] = args.as_slice() else {
        return Err("usage: bench-client <mode> <base url> <count>".into());
    };
    let count: u64 = count.parse()?;
    let (mode, compression) = match mode.strip_suffix("+identity") {
        Some(mode) => (mode, false),
        None => (mode.as_str(), true),
    };
    // This crate gives reqwest rustls without a built-in crypto provider
    // (it hands its own clients a ring configuration), so a plain reqwest
    // client needs one installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let sdk = Client::builder(API_KEY)
        .base_url(base)
        .retry(RetryPolicy::none())
        // A local server, not Codat: measure the client, not Codat's pace.
        .requests_per_minute(None)
        .compression(compression)
        .build()?;
    let defaults = Client::builder(API_KEY)
        .base_url(base)
        .compression(compression)
        .build()?;
    let get_url = format!("{base}/companies/{COMPANY}/connections/{CONNECTION}");

    let mut measure = Measure::start();
    let mut latencies = Vec::new();
    let items: u64 = match mode {
        "raw" => {
            let (mut bytes, mut page) = (0usize, 1);
            while page <= count.div_ceil(u64::from(PAGE_SIZE)) {
                bytes += fetch(&http, &list_url(base, COMPANY, page)).await?.len();
                page += 1;
            }
            std::hint::black_box(bytes);
            count
        }
        "serde" => {
            let (mut items, mut page) = (0, 1);
            loop {
                let decoded = fetch_page(&http, base, COMPANY, page).await?;
                items += decoded.results.len() as u64;
                if decoded.links.next.is_none() {
                    break items;
                }
                page += 1;
            }
        }
        "sdk" | "sdk-read-ahead" | "sdk-concurrent" | "sdk-defaults" => {
            let list = if mode == "sdk-defaults" {
                defaults.connections().list(COMPANY).page_size(PAGE_SIZE)
            } else {
                let (ahead, concurrent) = match mode {
                    "sdk" => (0, 1),
                    "sdk-read-ahead" => (2, 1),
                    _ => (0, 4),
                };
                let list = sdk.connections().list(COMPANY).page_size(PAGE_SIZE);
                list.read_ahead(ahead).concurrent_pages(concurrent)
            };
            let mut stream = list.connections();
            let mut items = 0;
            while let Some(connection) = stream.try_next().await? {
                measure.item();
                std::hint::black_box(&connection);
                items += 1;
            }
            items
        }
        "get-raw" | "get-sdk" | "get-defaults" => {
            let client = if mode == "get-defaults" {
                &defaults
            } else {
                &sdk
            };
            for _ in 0..count {
                let started = std::time::Instant::now();
                if mode == "get-raw" {
                    let body = fetch(&http, &get_url).await?;
                    std::hint::black_box(serde_json::from_slice::<Connection>(&body)?);
                } else {
                    std::hint::black_box(client.connections().get(COMPANY, CONNECTION).await?);
                }
                measure.item();
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
            }
            count
        }
        "sweep" => {
            let companies = (0..count).map(benchmarks::sweep_company);
            let mut sweep = sdk.sweep(companies).concurrency(SWEEP_CONCURRENCY);
            let mut found = 0;
            while let Some(company) = sweep.next().await {
                let company_found = company.result?;
                found += company_found.needing_reauthorization.len() as u64;
                std::hint::black_box(&company_found);
            }
            found
        }
        "sweep-raw" => {
            let http = &http;

            futures::stream::iter(0..count)
                .map(|n| async move {
                    let company = benchmarks::sweep_company(n);
                    let mut found = Vec::new();
                    let mut page = 1;
                    loop {
                        let decoded = fetch_page(http, base, &company, page).await?;
                        found.extend(decoded.results.into_iter().filter(|c| {
                            matches!(c.status.to_string().as_str(), "Deauthorized" | "Unlinked")
                        }));
                        if decoded.links.next.is_none() {
                            break Ok::<_, Failure>(found);
                        }
                        page += 1;
                    }
                })
                .buffer_unordered(SWEEP_CONCURRENCY)
                .try_fold(0, |n, found| async move { Ok(n + found.len() as u64) })
                .await?
        }
        other => return Err(format!("unknown mode {other}").into()),
    };
    println!("{}", measure.report(items, &latencies));
    Ok(())
}
