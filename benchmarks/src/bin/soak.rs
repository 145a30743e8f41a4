//! Soak: 10,000 requests through one client against the mock Codat with 5 %
//! injected faults. Every result must be accounted for; open sockets and
//! memory are printed for the first and the last thousand requests, to show
//! they stay flat. A measurement, not a test: `cargo xtask soak`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use benchmarks::rss_kb;
use codat_connections::mock::{Fault, MOCK_API_KEY, MockCodat};
use codat_connections::{Client, ConnectionStatus, Error, RetryPolicy};

const REQUESTS: u64 = 10_000;
const FAULT_PERCENT: u64 = 5;

/// Open sockets of this process (the mock's and the client's).
fn open_sockets() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| {
                    std::fs::read_link(e.path())
                        .is_ok_and(|t| t.to_string_lossy().starts_with("socket:"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// A fixed pseudo-random sequence (64-bit LCG), so every soak injects the
/// same faults in the same places.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let codat = MockCodat::start().await?;
    let company = codat.add_company();
    let key = "gbol".parse()?;
    let connection = codat.add_connection(company, key, ConnectionStatus::Linked);
    for _ in 0..50 {
        codat.add_connection(company, key, ConnectionStatus::Linked);
    }
    // Short waits: the soak is about resources, not about waiting.
    let policy = RetryPolicy::default()
        .initial_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .max_attempts(3);
    let client = Client::builder(MOCK_API_KEY)
        .base_url(codat.base_url())
        .retry(policy)
        // The mock, not Codat: 10,000 requests at Codat's pace would take 10 minutes.
        .requests_per_minute(None)
        .build()?;
    let faults = [
        Fault::Status {
            status: 503,
            retry_after: None,
        },
        Fault::Status {
            status: 429,
            retry_after: Some("0".into()),
        },
        Fault::DropConnection,
        Fault::Delay(Duration::from_millis(5)),
        Fault::Respond {
            status: 502,
            content_type: "text/html".into(),
            body: b"<html>bad gateway</html>".to_vec(),
        },
    ];
    let mut sequence = Sequence(2026);
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    let mut samples = Vec::new();
    let mut received = 0;
    let started = Instant::now();
    for i in 0..REQUESTS {
        if sequence.next() % 100 < FAULT_PERCENT {
            codat.inject(
                faults[(sequence.next() % faults.len() as u64) as usize].clone(),
                1,
            );
        }
        let result = if i % 10 == 0 {
            client
                .connections()
                .list(company)
                .page_size(20)
                .await
                .map(drop)
        } else {
            client
                .connections()
                .get(company, connection)
                .await
                .map(drop)
        };
        let outcome = match result {
            Ok(()) => "ok".to_owned(),
            Err(Error::Api(api)) => format!("Api {}", api.status.as_u16()),
            Err(err) => format!("{err:?}")
                .split([' ', '{', '('])
                .next()
                .unwrap_or("?")
                .to_owned(),
        };
        *outcomes.entry(outcome).or_default() += 1;
        if (i + 1) % 1000 == 0 {
            // The mock logs every request it receives; that log is the
            // mock's memory, not the client's.
            received += codat.request_count();
            codat.clear_requests();
            samples.push((i + 1, open_sockets(), rss_kb()));
        }
    }
    let elapsed = started.elapsed();
    let accounted: u64 = outcomes.values().sum();
    println!(
        "{REQUESTS} requests through one client, {FAULT_PERCENT} % injected faults, in {:.1} s",
        elapsed.as_secs_f64()
    );
    println!("the mock received {received} requests (retries included)");
    println!("outcomes: {outcomes:?}");
    println!("after request | open sockets | RSS (KiB)");
    for (n, sockets, rss) in &samples {
        println!("{n:>13} | {sockets:>12} | {rss:>9}");
    }
    let (first, last) = (samples[0], samples[samples.len() - 1]);
    println!(
        "first thousand -> last thousand: sockets {} -> {}, RSS {} -> {} KiB ({:+.1} %)",
        first.1,
        last.1,
        first.2,
        last.2,
        (last.2 as f64 / first.2 as f64 - 1.0) * 100.0
    );
    if accounted != REQUESTS {
        return Err(format!("{accounted} results for {REQUESTS} requests").into());
    }
    Ok(())
}
