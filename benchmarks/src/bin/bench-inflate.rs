//! Peak memory while a compressed answer inflates past the client's body
//! limit: `bench-inflate <limit MiB> <inflated MiB>` starts the shipped
//! mock in this process, has it answer one get-connection with a gzip body
//! that inflates to `inflated MiB` of JSON whitespace, and gets it with a
//! client whose `max_response_bytes` is `limit MiB`.
//!
//! Prints one JSON line: `limit_kb`, `inflated_kb`, `wire_kb` (the gzip's
//! size), `refused` (whether the answer was refused as too large, naming
//! the limit) and `peak_rise_kb`: the peak resident memory during the get
//! over the resident memory before it (the peak is reset first through
//! `/proc/self/clear_refs`, so what came before does not count).

use std::io::Write;

use codat_connections::mock::{Fault, MockCodat};
use codat_connections::{ConnectionStatus, Error, PlatformKey, RetryPolicy};

use benchmarks::{max_rss_kb, rss_kb};

type Failure = Box<dyn std::error::Error>;

const MIB: usize = 1024 * 1024;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [limit, inflated] = args.as_slice() else {
        return Err("usage: bench-inflate <limit MiB> <inflated MiB>".into());
    };
    let (limit, inflated): (usize, usize) = (limit.parse()?, inflated.parse()?);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let whitespace = vec![b' '; MIB];
    for _ in 0..inflated {
        gzip.write_all(&whitespace)?;
    }
    let body = gzip.finish()?;
    let wire_kb = body.len() / 1024;

    let mock = MockCodat::start().await?;
    let company = mock.add_company();
    let connection = mock.add_connection(
        company,
        "gbol".parse::<PlatformKey>()?,
        ConnectionStatus::Linked,
    );
    mock.inject(
        Fault::Encoded {
            status: 200,
            content_encoding: "gzip".to_owned(),
            body,
        },
        1,
    );
    let client = mock
        .client_builder()
        .max_response_bytes(limit * MIB)
        .retry(RetryPolicy::none())
        .build()?;

    std::fs::write("/proc/self/clear_refs", "5")?;
    let before = rss_kb();
    let answer = client.connections().get(company, connection).await;
    let peak = max_rss_kb();
    let refused = matches!(
        answer,
        Err(Error::ResponseTooLarge { limit: l, .. }) if l == limit * MIB
    );
    println!(
        "{}",
        serde_json::json!({
            "limit_kb": limit * 1024,
            "inflated_kb": inflated * 1024,
            "wire_kb": wire_kb,
            "refused": refused,
            "peak_rise_kb": peak.saturating_sub(before),
        })
    );
    Ok(())
}
