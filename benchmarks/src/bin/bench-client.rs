//! The Rust clients `cargo xtask bench` measures, one per mode:
//!
//! `bench-client <mode> <base url> <expected total | calls>`, with mode
//! `raw` (reqwest, bytes only: the limit), `serde` (reqwest + serde_json into
//! the generated types), `sdk` (the SDK's connection stream), `sdk-read-ahead`
//! (the same with read-ahead 2), `get-raw` and `get-sdk` (single
//! get-connection latency), `sweep` (`Client::sweep` over `count`
//! companies of `bench-server sweep`, 16 at a time; the items are the
//! connections found needing the customer again) and `sweep-raw` (the same
//! with reqwest + serde_json into the generated types: the floor). Prints one JSON line (see
//! `benchmarks::Measure`).

use codat_connections::raw::types::{Connection, Connections};
use codat_connections::{Client, RetryPolicy};
use futures::{StreamExt, TryStreamExt};

use benchmarks::{Measure, API_KEY, COMPANY, CONNECTION};

const PAGE_SIZE: u32 = 5000;

/// Companies listed at once in `sweep` mode (the peers use as many).
const SWEEP_CONCURRENCY: usize = 16;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, base, count] = args.as_slice() else {
        return Err("usage: bench-client <mode> <base url> <count>".into());
    };
    let count: u64 = count.parse()?;
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
        .build()?;
    let list_url = |page: u64| {
        format!("{base}/companies/{COMPANY}/connections?page={page}&pageSize={PAGE_SIZE}")
    };
    let get_url = format!("{base}/companies/{COMPANY}/connections/{CONNECTION}");
    let auth = "Basic YmVuY2htYXJrLWtleQ==";

    let measure = Measure::start();
    let mut latencies = Vec::new();
    let items: u64 = match mode.as_str() {
        "raw" => {
            let (mut bytes, mut page) = (0usize, 1);
            while page <= count.div_ceil(u64::from(PAGE_SIZE)) {
                let body = http
                    .get(list_url(page))
                    .header("Authorization", auth)
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                bytes += body.len();
                page += 1;
            }
            std::hint::black_box(bytes);
            count
        }
        "serde" => {
            let (mut items, mut page) = (0, 1);
            loop {
                let body = http
                    .get(list_url(page))
                    .header("Authorization", auth)
                    .send()
                    .await?
                    .error_for_status()?
                    .bytes()
                    .await?;
                let decoded: Connections = serde_json::from_slice(&body)?;
                items += decoded.results.len() as u64;
                if decoded.links.next.is_none() {
                    break items;
                }
                page += 1;
            }
        }
        "sdk" | "sdk-read-ahead" => {
            let ahead = if mode == "sdk" { 0 } else { 2 };
            let mut stream = sdk
                .connections()
                .list(COMPANY)
                .page_size(PAGE_SIZE)
                .read_ahead(ahead)
                .connections();
            let mut items = 0;
            while let Some(connection) = stream.try_next().await? {
                std::hint::black_box(&connection);
                items += 1;
            }
            items
        }
        "get-raw" | "get-sdk" => {
            for _ in 0..count {
                let started = std::time::Instant::now();
                if mode == "get-raw" {
                    let body = http
                        .get(&get_url)
                        .header("Authorization", auth)
                        .send()
                        .await?
                        .error_for_status()?
                        .bytes()
                        .await?;
                    std::hint::black_box(serde_json::from_slice::<Connection>(&body)?);
                } else {
                    std::hint::black_box(sdk.connections().get(COMPANY, CONNECTION).await?);
                }
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
            let found = futures::stream::iter(0..count)
                .map(|n| async move {
                    let company = benchmarks::sweep_company(n);
                    let mut found = Vec::new();
                    let mut page = 1;
                    loop {
                        let body = http
                            .get(format!(
                                "{base}/companies/{company}/connections?page={page}&pageSize={PAGE_SIZE}"
                            ))
                            .header("Authorization", auth)
                            .send()
                            .await?
                            .error_for_status()?
                            .bytes()
                            .await?;
                        let decoded: Connections = serde_json::from_slice(&body)?;
                        found.extend(decoded.results.into_iter().filter(|c| {
                            matches!(c.status.to_string().as_str(), "Deauthorized" | "Unlinked")
                        }));
                        if decoded.links.next.is_none() {
                            break Ok::<_, Box<dyn std::error::Error>>(found);
                        }
                        page += 1;
                    }
                })
                .buffer_unordered(SWEEP_CONCURRENCY)
                .try_fold(0, |n, found| async move { Ok(n + found.len() as u64) })
                .await?;
            found
        }
        other => return Err(format!("unknown mode {other}").into()),
    };
    println!("{}", measure.report(items, &latencies));
    Ok(())
}
