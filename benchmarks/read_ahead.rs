//! Read-ahead hides Codat's latency behind the caller's own work.
//!
//! Lists 50 pages from the mock Codat with 20 ms of latency per page while
//! the consumer spends 20 ms on each page, with and without read-ahead, and
//! prints the wall-clock times next to the two bounds: the sum
//! (50 x (latency + work)) and the overlap (50 x max(latency, work)).
//!
//! ```sh
//! cargo bench -p benchmarks --bench read_ahead
//! ```

use std::time::{Duration, Instant};

use codat_connections::mock::MockCodat;
use codat_connections::{ConnectionStatus, PlatformKey};
use futures::TryStreamExt;

const PAGES: usize = 50;
const PAGE_SIZE: u32 = 10;
const LATENCY: Duration = Duration::from_millis(20);
const WORK: Duration = Duration::from_millis(20);
const RUNS: usize = 3;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codat = MockCodat::start().await?;
    let company = codat.add_company();
    let key: PlatformKey = "gbol".parse()?;
    for _ in 0..PAGES * PAGE_SIZE as usize {
        codat.add_connection(company, key, ConnectionStatus::Linked);
    }
    codat.set_latency(LATENCY);
    let client = codat.client()?;

    let sum = (LATENCY + WORK) * PAGES as u32;
    let overlap = LATENCY.max(WORK) * PAGES as u32;
    println!(
        "{PAGES} pages, {} ms latency per page, {} ms work per page, median of {RUNS} runs",
        LATENCY.as_millis(),
        WORK.as_millis()
    );
    println!("bound without overlap (sum):  {:>6} ms", sum.as_millis());
    println!(
        "bound with overlap (max):     {:>6} ms",
        overlap.as_millis()
    );
    for read_ahead in [0, 1, 2, 4] {
        let mut times = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let mut pages = client
                .connections()
                .list(company)
                .page_size(PAGE_SIZE)
                .read_ahead(read_ahead)
                .pages();
            let mut seen = 0;
            while let Some(page) = pages.try_next().await? {
                seen += 1;
                std::hint::black_box(&page);
                tokio::time::sleep(WORK).await;
            }
            assert_eq!(seen, PAGES);
            times.push(started.elapsed());
        }
        times.sort();
        let median = times[RUNS / 2];
        println!(
            "read_ahead({read_ahead}):                {:>6} ms  ({:.2} x the overlap bound)",
            median.as_millis(),
            median.as_secs_f64() / overlap.as_secs_f64()
        );
    }
    Ok(())
}
