//! The portfolio clients `cargo xtask bench` measures against
//! `bench-server sweep` (and the latency listing of `bench-server`), one per
//! mode:
//!
//! `bench-portfolio <mode> <base url> <count>`, with mode
//! - `portfolio`: `Client::sweep_portfolio()` with every default of the
//!   client (its pace of 1,000 requests a minute, pages of 5,000, one page
//!   read ahead) over a portfolio of `count` companies; the items are the
//!   connections found needing the customer again;
//! - `portfolio-unpaced`: the same with no pace;
//! - `sweep-paced`: `Client::sweep` over the first `count` companies, 16 at
//!   a time, at the client's default pace; the same items;
//! - `company-bounds` and `listing-bounds`: what the ideal of the two is
//!   made of. Fetches the `count` pages one after the other (bytes only,
//!   each answer's time from sending to its last byte in `latencies_us`),
//!   then decodes each with serde in one pass, on this thread: connections
//!   into the generated types as the client does, companies into what the
//!   portfolio sweep reads of them (see [`SweptPage`]). It reports the
//!   CPU time of the decoding (`decode_cpu_ms`), the pages' mean size
//!   (`page_bytes`) and, of companies, about how much memory one decoded
//!   page holds (`decoded_page_kb`); the items are pages.
//!
//! A mode ending in `+identity` runs the same with the client's compression
//! off. Prints one JSON line (see `benchmarks::Measure`; `first_ms` is when
//! the first company arrived).

use codat_connections::raw::types::{Connection, Connections, PagingInfo};
use codat_connections::{Client, CompanyId, ConnectionStatus, Url};
use futures::{StreamExt, TryStreamExt};
use serde_json::value::RawValue;

use benchmarks::{API_KEY, AUTH, COMPANY, Measure, cpu_ms, rss_kb};

type Failure = Box<dyn std::error::Error>;

/// Companies at once in `sweep-paced` (as the in-process sweep benchmark).
const SWEEP_CONCURRENCY: usize = 16;

/// A `list-companies` page as the portfolio sweep reads it, in one pass:
/// of each company its ID, name and connections' JSON text; of each
/// connection its status, and the whole connection (the generated type)
/// with its link URL parsed when it needs the customer again. serde reads
/// all of it here: the client goes through a page in a checked walk of its
/// own and reads each status off the text (its own code, not public), in
/// less time, so this decoding costs more than the client's.
#[derive(serde::Deserialize)]
struct SweptPage<'a> {
    #[serde(borrow)]
    results: Vec<SweptCompany<'a>>,
    #[serde(flatten)]
    _paging: PagingInfo,
}

#[derive(serde::Deserialize)]
struct SweptCompany<'a> {
    id: CompanyId,
    name: String,
    #[serde(rename = "dataConnections", default, borrow)]
    connections: Option<Vec<&'a RawValue>>,
}

#[derive(serde::Deserialize)]
struct Status {
    status: ConnectionStatus,
}

/// A company as the sweep hands it out: its ID, name, and each connection
/// needing the customer with its link URL.
type Swept = (CompanyId, String, Vec<(Url, Connection)>);

impl SweptPage<'_> {
    /// Each company's ID, name and connections needing the customer.
    fn read(self) -> Result<Vec<Swept>, Failure> {
        let mut read = Vec::with_capacity(self.results.len());
        for company in self.results {
            let mut needing = Vec::new();
            for text in company.connections.iter().flatten() {
                let status: Status = serde_json::from_str(text.get())?;
                if status.status.needs_reauthorization() {
                    let connection: Connection = serde_json::from_str(text.get())?;
                    needing.push((Url::parse(&connection.link_url)?, connection));
                }
            }
            read.push((company.id, company.name, needing));
        }
        Ok(read)
    }
}

/// A page of companies as the portfolio sweep reads it.
fn sweep_read(body: &[u8]) -> Result<impl Sized, Failure> {
    serde_json::from_str::<SweptPage<'_>>(std::str::from_utf8(body)?)?.read()
}

/// The client decodes a page as text once it is valid UTF-8.
fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Failure> {
    Ok(serde_json::from_str(std::str::from_utf8(body)?)?)
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, base, count] = args.as_slice() else {
        return Err("usage: bench-portfolio <mode> <base url> <count>".into());
    };
    let count: u64 = count.parse()?;
    let (mode, compression) = match mode.strip_suffix("+identity") {
        Some(mode) => (mode, false),
        None => (mode.as_str(), true),
    };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let paced = Client::builder(API_KEY)
        .base_url(base)
        .compression(compression)
        .build()?;
    let unpaced = Client::builder(API_KEY)
        .base_url(base)
        .compression(compression)
        .requests_per_minute(None)
        .build()?;

    let mut measure = Measure::start();
    let mut extra = serde_json::Map::new();
    let mut latencies = Vec::new();
    let items = match mode {
        "portfolio" | "portfolio-unpaced" => {
            let client = if mode == "portfolio" {
                &paced
            } else {
                &unpaced
            };
            let mut sweep = client.sweep_portfolio();
            let (mut companies, mut found) = (0, 0);
            while let Some(company) = sweep.try_next().await? {
                measure.item();
                companies += 1;
                found += company.needing_reauthorization.len() as u64;
                std::hint::black_box(&company);
            }
            if companies != count {
                return Err(format!("swept {companies} companies, not {count}").into());
            }
            found
        }
        "sweep-paced" => {
            let companies = (0..count).map(benchmarks::sweep_company);
            let mut sweep = paced.sweep(companies).concurrency(SWEEP_CONCURRENCY);
            let mut found = 0;
            while let Some(company) = sweep.next().await {
                found += company.result?.needing_reauthorization.len() as u64;
            }
            found
        }
        "company-bounds" | "listing-bounds" => {
            let http = reqwest::Client::new();
            let mut pages = Vec::new();
            for page in 1..=count {
                let url = if mode == "company-bounds" {
                    format!("{base}/companies?page={page}&pageSize=5000")
                } else {
                    format!("{base}/companies/{COMPANY}/connections?page={page}&pageSize=5000")
                };
                let started = std::time::Instant::now();
                let answer = http.get(url).header("Authorization", AUTH).send().await?;
                let body = answer.error_for_status()?.bytes().await?;
                latencies.push(started.elapsed().as_secs_f64() * 1e6);
                pages.push(body);
            }
            if mode == "company-bounds" {
                // About what one decoded page takes, held while nothing else
                // is decoded.
                let before = rss_kb();
                let held = sweep_read(&pages[0])?;
                extra.insert(
                    "decoded_page_kb".into(),
                    rss_kb().saturating_sub(before).into(),
                );
                drop(held);
            }
            let decoding = cpu_ms();
            for page in &pages {
                if mode == "company-bounds" {
                    std::hint::black_box(sweep_read(page)?);
                } else {
                    std::hint::black_box(decode::<Connections>(page)?);
                }
            }
            extra.insert("decode_cpu_ms".into(), (cpu_ms() - decoding).into());
            let bytes: usize = pages.iter().map(|p| p.len()).sum();
            extra.insert("page_bytes".into(), (bytes / pages.len().max(1)).into());
            count
        }
        other => return Err(format!("unknown mode {other}").into()),
    };
    let mut report: serde_json::Value = serde_json::from_str(&measure.report(items, &latencies))?;
    if let Some(fields) = report.as_object_mut() {
        fields.extend(extra);
    }
    println!("{report}");
    Ok(())
}
