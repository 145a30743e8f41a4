//! What the benchmark runs: the listing with every client (then single-call
//! latency and the portfolio scenarios), and the sweep against Codat's SDKs.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::measure::{Client, Figures, measure, median_of, percentile, round_robin, rust_client};
use super::peers::Peers;
use super::report::{render_markdown, render_sweep};
use super::server::Server;
use super::workload::{
    COMPANY, GET_CALLS, PAGE_SIZE, SWEEP_COMPANIES, SWEEP_CONCURRENCY, SWEEP_LATENCY_MS, TOTAL,
};

/// The listing, latency and in-process portfolio sections of
/// `BENCHMARKS.md`, and the listing's figures for the chart.
pub fn run_listing(
    bin: &Path,
    peers: &Peers,
    runs: usize,
) -> Result<(String, Vec<Figures>), String> {
    let mut server = Server::start(
        &bin.join("bench-server"),
        &[TOTAL.to_string(), PAGE_SIZE.to_string()],
    )?;
    let url = server.url.clone();
    let rust = |mode: &str, count: u64| rust_client(bin, "bench-client", mode, &url, count);
    let python_list = Peers::command(&peers.python, "list", &url, COMPANY, TOTAL);
    let node_list = Peers::command(&peers.node, "list", &url, COMPANY, TOTAL);

    let clients = [
        Client {
            name: "raw reqwest, bytes only (the limit)",
            command: rust("raw", TOTAL),
        },
        Client {
            name: "raw reqwest + serde_json (generated types)",
            command: rust("serde", TOTAL),
        },
        Client {
            name: "codat-connections stream",
            command: rust("sdk", TOTAL),
        },
        Client {
            name: "codat-connections stream, read-ahead 2",
            command: rust("sdk-read-ahead", TOTAL),
        },
        Client {
            name: "Codat Python SDK (codat-platform)",
            command: python_list,
        },
        Client {
            name: "Codat TypeScript SDK (@codat/platform)",
            command: node_list,
        },
    ];
    println!(
        "listing {TOTAL} connections ({} pages of {PAGE_SIZE}), median of {runs} rounds (each client once a round)",
        TOTAL / PAGE_SIZE
    );
    let all_samples = round_robin(&clients, runs, (TOTAL, "connections listed"), |client| {
        measure(&client.command)
    })?;
    let mut figures = Vec::new();
    for (client, samples) in clients.iter().zip(&all_samples) {
        let f = Figures::median_of(client.name, samples);
        println!(
            "  {:<45} wall {:>9.1} ms  cpu {:>9.1} ms  peak RSS {:>8.0} KiB",
            f.name, f.wall_ms, f.cpu_ms, f.max_rss_kb
        );
        figures.push(f);
    }

    println!("single get-connection, {GET_CALLS} sequential calls");
    let mut latencies = Vec::new();
    for (name, mode) in [
        ("raw reqwest + serde_json", "get-raw"),
        ("codat-connections", "get-sdk"),
    ] {
        let report = measure(&rust(mode, GET_CALLS))?;
        let mut values: Vec<f64> = report["latencies_us"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect();
        values.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&values, 0.50), percentile(&values, 0.99));
        println!("  {name:<45} p50 {p50:>8.1} µs  p99 {p99:>8.1} µs");
        latencies.push((name, p50, p99));
    }
    server.stop();

    // The portfolio scenarios (this crate's client only, for now).
    let portfolio = Command::new(bin.join("bench-sweep"))
        .output()
        .map_err(|e| format!("bench-sweep: {e}"))?;
    if !portfolio.status.success() {
        return Err(format!(
            "bench-sweep failed ({}): {}",
            portfolio.status,
            String::from_utf8_lossy(&portfolio.stderr)
        ));
    }
    let mut markdown = render_markdown(&figures, &latencies, runs);
    markdown.push('\n');
    markdown.push_str(&String::from_utf8_lossy(&portfolio.stdout));
    Ok((markdown, figures))
}

/// Sweeps the portfolio of `bench-server sweep` with our client and each
/// peer, `runs` times each, one process per run; returns the Markdown
/// section.
pub fn run_sweep(bin: &Path, peers: &Peers, runs: usize) -> Result<String, String> {
    let mut server = Server::start_sweep(bin, SWEEP_COMPANIES, SWEEP_LATENCY_MS)?;
    let url = server.url.clone();
    let peer = |command: &[String]| Peers::command(command, "sweep", &url, "-", SWEEP_COMPANIES);
    let clients = [
        Client {
            name: "codat-connections sweep, concurrency 16",
            command: rust_client(bin, "bench-client", "sweep", &url, SWEEP_COMPANIES),
        },
        Client {
            name: "Codat Python SDK, 16 threads",
            command: peer(&peers.python),
        },
        Client {
            name: "Codat TypeScript SDK, 16 in flight",
            command: peer(&peers.node),
        },
        Client {
            name: "raw reqwest + serde_json, 16 at a time (the floor)",
            command: rust_client(bin, "bench-client", "sweep-raw", &url, SWEEP_COMPANIES),
        },
    ];
    let expected = server.stat("", "needing_customer")?;
    println!(
        "sweeping {SWEEP_COMPANIES} companies ({SWEEP_LATENCY_MS} ms a request, {SWEEP_CONCURRENCY} at a time), median of {runs} rounds (each client once a round)"
    );
    let needing = (expected, "connections needing the customer found");
    let all_samples = round_robin(&clients, runs, needing, |client| {
        let before = server.requests()?;
        let mut report = measure(&client.command)?;
        report["requests"] = (server.requests()? - before).into();
        Ok(report)
    })?;
    let mut rows = Vec::new();
    for (client, samples) in clients.iter().zip(&all_samples) {
        let median = |key: &str| median_of(samples, key);
        let f = Figures::median_of(client.name, samples);
        let requests = median("requests");
        println!(
            "  {:<45} wall {:>9.1} ms  cpu {:>9.1} ms  peak RSS {:>8.0} KiB  requests {requests:.0}",
            f.name, f.wall_ms, f.cpu_ms, f.max_rss_kb
        );
        rows.push((f, requests));
    }
    server.stop();
    Ok(render_sweep(&rows, expected, runs))
}
