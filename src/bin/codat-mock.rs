//! `codat-mock`: the crate's stateful mock Codat as a program of its own,
//! for clients in any language (Codat's Python or TypeScript SDK, `curl`, a
//! service under test in a container).
//!
//! ```text
//! cargo run --features mock --bin codat-mock -- --addr 127.0.0.1:4010 --seed seed.json
//! ```
//!
//! It prints the base URL, the API key it accepts and where its HTTP control
//! API is (seed, statuses, faults, rate limit, latency, compression,
//! webhooks, the requests received, reset: `openapi/mock-control.json`),
//! serves until SIGINT or SIGTERM, and then stops cleanly (exit status 0).
//! A usage error exits with 2, a server that cannot start (an address in
//! use, a seed file that cannot be read) with 1; in both cases nothing is
//! left half-started.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use codat_connections::mock::{MOCK_API_KEY, MockCodat, Seed};

const USAGE: &str = "\
usage: codat-mock [--addr ADDRESS] [--seed FILE] [--latency MS] [--rate-limit PER_MINUTE]
                  [--allow-non-loopback]

  --addr ADDRESS          where to listen (default 127.0.0.1:0, a free port)
  --seed FILE             companies and connections to start with (JSON; see
                          codat_connections::mock::Seed)
  --latency MS            answer every request after this many milliseconds
  --rate-limit N          refuse (429) what goes over N requests a minute
  --allow-non-loopback    listen on an address other machines can reach";

/// What the command line asks for.
#[derive(Debug, Default)]
struct Options {
    address: Option<SocketAddr>,
    seed: Option<String>,
    latency: Option<Duration>,
    rate_limit: Option<u64>,
    allow_non_loopback: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let options = match parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("codat-mock: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(serve(options)),
        Err(err) => Err(format!("cannot start the runtime: {err}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("codat-mock: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the command line, refusing what it cannot use.
fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let mut value = || {
            rest.next()
                .ok_or_else(|| format!("{arg} needs a value"))
                .cloned()
        };
        match arg.as_str() {
            "--addr" => {
                let text = value()?;
                let address = text.parse().map_err(|_| {
                    format!("--addr {text:?} is not an address such as 127.0.0.1:4010")
                })?;
                options.address = Some(address);
            }
            "--seed" => options.seed = Some(value()?),
            "--latency" => {
                let text = value()?;
                let ms: u64 = text
                    .parse()
                    .map_err(|_| format!("--latency {text:?} is not a number of milliseconds"))?;
                options.latency = Some(Duration::from_millis(ms));
            }
            "--rate-limit" => {
                let text = value()?;
                let limit = text.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    format!("--rate-limit {text:?} is not a number of requests above 0")
                })?;
                options.rate_limit = Some(limit);
            }
            "--allow-non-loopback" => options.allow_non_loopback = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let address = options.address.unwrap_or(([127, 0, 0, 1], 0).into());
    if !address.ip().is_loopback() && !options.allow_non_loopback {
        return Err(format!(
            "{address} can be reached from other machines, and the mock accepts a published API key; \
             pass --allow-non-loopback to listen there anyway"
        ));
    }
    options.address = Some(address);
    Ok(options)
}

/// Starts the mock, seeds it, and serves until asked to stop.
async fn serve(options: Options) -> Result<(), String> {
    // The seed is read before anything listens: a bad one starts nothing.
    let seed = match &options.seed {
        None => None,
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|err| format!("cannot read the seed file {path}: {err}"))?;
            Some(Seed::from_json(&text).map_err(|err| format!("{path}: {err}"))?)
        }
    };
    let address = options.address.unwrap_or(([127, 0, 0, 1], 0).into());
    let mock = MockCodat::start_at(address)
        .await
        .map_err(|err| format!("cannot listen on {address}: {err}"))?;
    if let Some(seed) = &seed {
        mock.seed(seed)?;
    }
    if let Some(latency) = options.latency {
        mock.set_latency(latency);
    }
    if let Some(limit) = options.rate_limit {
        mock.enforce_rate_limit(limit);
    }
    let companies = seed.as_ref().map_or(0, |s| s.companies.len());
    println!("Mock Codat at {}", mock.base_url());
    println!("API key: {MOCK_API_KEY} (send `Authorization: Basic <base64 of the key>`)");
    println!(
        "Control API: {}/_mock (described by openapi/mock-control.json)",
        mock.base_url()
    );
    println!("Companies: {companies}; stop with Ctrl-C or SIGTERM");
    stopped().await?;
    drop(mock);
    println!("Mock Codat stopped");
    Ok(())
}

/// Waits for SIGINT or SIGTERM.
async fn stopped() -> Result<(), String> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())
            .map_err(|err| format!("cannot wait for SIGTERM: {err}"))?;
        let interrupted = std::pin::pin!(tokio::signal::ctrl_c());
        let terminated = std::pin::pin!(terminate.recv());
        match futures::future::select(interrupted, terminated).await {
            futures::future::Either::Left((interrupted, _)) => {
                interrupted.map_err(|err| err.to_string())
            }
            futures::future::Either::Right(_) => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(|err| err.to_string())
    }
}
