//! `BENCHMARKS.md` and `BENCHMARKS.svg`, written from the figures the
//! scenarios measured.

use std::process::Command;

use super::measure::{Figures, cores};
use super::workload::{
    GET_CALLS, PAGE_SIZE, SWEEP_COMPANIES, SWEEP_CONCURRENCY, SWEEP_HEADING, SWEEP_LATENCY_MS,
    TOTAL,
};

/// How a target line of `BENCHMARKS.md` begins.
pub fn met_or_missed(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

pub fn render_sweep(rows: &[(Figures, f64)], found: u64, runs: usize) -> String {
    let ideal_ms = (SWEEP_COMPANIES * SWEEP_LATENCY_MS) as f64 / SWEEP_CONCURRENCY as f64;
    let mut out = format!(
        "{SWEEP_HEADING}\n\n\
         The same job in each language, the natural way: {SWEEP_COMPANIES} companies with 1-3 connections \
         each, list every company's connections (all pages) and keep those `Deauthorized` or `Unlinked` \
         with their `linkUrl` ({found} in all; every client must find them all). Our client runs \
         `Client::sweep(ids).concurrency({SWEEP_CONCURRENCY})` (no pace of its own, no retries); Codat's \
         Python SDK runs on a `ThreadPoolExecutor({SWEEP_CONCURRENCY})`, its TypeScript SDK with \
         {SWEEP_CONCURRENCY} requests in flight (a pool of async workers), both with retries off. \
         Each client runs in its own process against `bench-server sweep` on 127.0.0.1 (another \
         process), which answers every request after {SWEEP_LATENCY_MS} ms (a timer) and counts the \
         requests; each process measures the wall and CPU time of the sweep itself (not its start-up) \
         and reports its peak resident memory. Medians of {runs} rounds, each client once a round, so that \
         a change in the machine's load falls on every client alike.\n\n\
         | client | wall (ms) | CPU (ms) | peak RSS (MiB) | requests |\n|---|---:|---:|---:|---:|\n"
    );
    for (f, requests) in rows {
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.1} | {requests:.0} |\n",
            f.name,
            f.wall_ms,
            f.cpu_ms,
            f.max_rss_kb / 1024.0
        ));
    }
    out.push_str("\n### Targets\n\n");
    if let Some((ours, _)) = rows.first() {
        let ratio = ours.wall_ms / ideal_ms;
        out.push_str(&format!(
            "- {}: our sweep's wall time is {ratio:.2}x the ideal {:.1} s (companies x {SWEEP_LATENCY_MS} ms / {SWEEP_CONCURRENCY}; target: within 1.25x)\n",
            met_or_missed(ratio <= 1.25),
            ideal_ms / 1000.0
        ));
        for (peer, _) in rows.iter().filter(|(f, _)| f.name.starts_with("Codat ")) {
            let ratio = peer.cpu_ms / ours.cpu_ms;
            out.push_str(&format!(
                "- {}: {} uses {ratio:.1}x our CPU time (target: at least 10x)\n",
                met_or_missed(ratio >= 10.0),
                peer.name
            ));
        }
        if let Some((floor, _)) = rows.iter().find(|(f, _)| f.name.contains("(the floor)")) {
            out.push_str(&format!(
                "\nOur sweep uses {:.2}x the CPU of the floor (raw reqwest + serde_json into the generated types, the same 16 at a time, no SDK); the Python SDK uses {:.1}x the floor's.\n",
                ours.cpu_ms / floor.cpu_ms,
                rows.iter()
                    .find(|(f, _)| f.name.starts_with("Codat Python"))
                    .map_or(f64::NAN, |(p, _)| p.cpu_ms / floor.cpu_ms)
            ));
        }
    }
    out
}

pub fn render_markdown(figures: &[Figures], latencies: &[(&str, f64, f64)], runs: usize) -> String {
    let limit = &figures[0];
    let by_name = |prefix: &str| figures.iter().find(|f| f.name.starts_with(prefix));
    let cores = cores();
    let date = Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let mut out = String::new();
    out.push_str("# Benchmarks\n\n");
    out.push_str(&format!(
        "Produced by `cargo xtask bench` on {date}, on a machine with {cores} cores. Every client lists the same \
         {TOTAL} connections ({} pages of {PAGE_SIZE}, realistic connection objects) from one local server \
         that serves pre-serialised pages from memory. Medians of {runs} rounds (each client once a round, so that a change in the \
         machine's load falls on every client alike); each client runs in its own \
         process, which measures the CPU time and wall time of the listing itself (not its start-up) and \
         reports its peak resident memory. Ratios are to the limit (raw HTTP, no decoding); absolute times on \
         a shared 2-core machine are noisy, ratios less so.\n\n",
        TOTAL / PAGE_SIZE
    ));
    out.push_str("| client | wall (ms) | CPU (ms) | CPU vs limit | peak RSS (MiB) |\n|---|---:|---:|---:|---:|\n");
    for f in figures {
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.2}x | {:.1} |\n",
            f.name,
            f.wall_ms,
            f.cpu_ms,
            f.cpu_ms / limit.cpu_ms,
            f.max_rss_kb / 1024.0
        ));
    }
    out.push_str(
        "\nThe raw rows decode each page with `serde_json::from_slice`, as the generated client and most \
         code do. Our stream checks each page is UTF-8 once, whole, then parses it as a `str`, which spares \
         serde_json checking every string on its own: that is why it can use less CPU than the raw row on \
         the same types.\n",
    );
    out.push_str("\n![CPU time per client](BENCHMARKS.svg)\n\n## Single get-connection latency\n\n| client | p50 (µs) | p99 (µs) |\n|---|---:|---:|\n");
    for (name, p50, p99) in latencies {
        out.push_str(&format!("| {name} | {p50:.0} | {p99:.0} |\n"));
    }
    out.push_str(&format!(
        "\n{GET_CALLS} sequential calls each, over one kept-alive connection.\n\n## Targets\n\n"
    ));
    let target = |text: String, met: bool| format!("- {}: {text}\n", met_or_missed(met));
    if let (Some(sdk), Some(serde)) = (
        by_name("codat-connections stream"),
        by_name("raw reqwest + serde_json"),
    ) {
        let ratio = sdk.cpu_ms / serde.cpu_ms;
        out.push_str(&target(format!("our stream uses {ratio:.2}x the CPU of raw reqwest + serde_json on the same types (target: within 1.15x)"), ratio <= 1.15));
        if let Some(python) = by_name("Codat Python") {
            let ratio = python.cpu_ms / sdk.cpu_ms;
            out.push_str(&target(
                format!(
                    "the Python SDK uses {ratio:.1}x our CPU time (target: at least 10x); it uses {:.1}x the CPU of raw reqwest + serde_json into the same types, which any client handing out those types pays",
                    python.cpu_ms / serde.cpu_ms
                ),
                ratio >= 10.0,
            ));
        }
        if let Some(ts) = by_name("Codat TypeScript") {
            let ratio = ts.cpu_ms / sdk.cpu_ms;
            out.push_str(&target(
                format!("the TypeScript SDK uses {ratio:.1}x our CPU time (target: at least 3x)"),
                ratio >= 3.0,
            ));
        }
        let page_mib = 2.8;
        out.push_str(&target(
            format!(
                "our stream's peak memory while listing {TOTAL} connections is {:.1} MiB, about {:.0} pages of {PAGE_SIZE} as JSON (~{page_mib} MiB each), not the whole listing (~{:.0} MiB of JSON)",
                sdk.max_rss_kb / 1024.0,
                sdk.max_rss_kb / 1024.0 / page_mib,
                page_mib * (TOTAL / PAGE_SIZE) as f64
            ),
            sdk.max_rss_kb / 1024.0 < page_mib * 8.0,
        ));
    }
    out
}

/// A horizontal bar chart of the median CPU time of each client.
pub fn render_svg(figures: &[Figures]) -> String {
    let (width, bar, gap, left) = (900.0, 28.0, 12.0, 330.0);
    let height = 60.0 + figures.len() as f64 * (bar + gap);
    let max = figures.iter().map(|f| f.cpu_ms).fold(1.0, f64::max);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\">CPU time to list {TOTAL} connections (ms, median)</text>\n"
    );
    for (i, f) in figures.iter().enumerate() {
        let y = 40.0 + i as f64 * (bar + gap);
        let w = (width - left - 110.0) * f.cpu_ms / max;
        let color = if f.name.starts_with("codat-connections") {
            "#2a7ab0"
        } else {
            "#9aa5ae"
        };
        svg.push_str(&format!(
            "<text x=\"10\" y=\"{:.0}\">{}</text>\n<rect x=\"{left}\" y=\"{y:.0}\" width=\"{w:.1}\" height=\"{bar}\" fill=\"{color}\"/>\n<text x=\"{:.1}\" y=\"{:.0}\">{:.0}</text>\n",
            y + bar * 0.65,
            f.name.replace('&', "&amp;").replace('<', "&lt;"),
            left + w + 6.0,
            y + bar * 0.65,
            f.cpu_ms
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
