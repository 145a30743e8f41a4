//! `cargo xtask bench`: lists 100,000 connections from one local server with
//! every client side by side (the raw-HTTP limit, serde on the generated
//! types, our SDK's stream, Codat's Python and TypeScript SDKs), measures
//! single get-connection latency, runs the portfolio scenarios
//! (`benchmarks/src/bin/bench-sweep.rs`: a sweep, a rate-limited sweep,
//! a paged listing with latency), sweeps a portfolio of 2,000 companies
//! answering after 20 ms with our client and Codat's two SDKs (one process
//! each, against `bench-server sweep`), and writes `BENCHMARKS.md` and
//! `BENCHMARKS.svg`. `--only sweep` runs the last alone and replaces only
//! its section of `BENCHMARKS.md`.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

use crate::sync_spec::workspace_root;
use crate::tools;

const TOTAL: u64 = 100_000;
const PAGE_SIZE: u64 = 5_000;
const GET_CALLS: u64 = 2_000;
const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
const API_KEY: &str = "benchmark-key";
const SWEEP_COMPANIES: u64 = 2_000;
const SWEEP_LATENCY_MS: u64 = 20;
const SWEEP_CONCURRENCY: u64 = 16;
const SWEEP_HEADING: &str = "## Sweep of 2,000 companies against Codat's SDKs";

/// One client the benchmark runs.
struct Client {
    name: &'static str,
    command: Vec<String>,
}

/// The medians of several runs of one client.
struct Figures {
    name: &'static str,
    wall_ms: f64,
    cpu_ms: f64,
    max_rss_kb: f64,
}

impl Figures {
    /// The medians of one client's runs.
    fn median_of(name: &'static str, samples: &[Value]) -> Figures {
        Figures {
            name,
            wall_ms: median_of(samples, "wall_ms"),
            cpu_ms: median_of(samples, "cpu_ms"),
            max_rss_kb: median_of(samples, "max_rss_kb"),
        }
    }
}

/// Runs every client `runs` times, a round at a time (each client once,
/// then the next round), and returns each client's reports in `clients`'
/// order. A change in the machine's load during the minutes a benchmark
/// takes then falls on every client alike, instead of on whichever client
/// ran during it. Every report must count the `expected` items (what they
/// are, for the error).
fn round_robin(
    clients: &[Client],
    runs: usize,
    (expected, items): (u64, &str),
    mut run: impl FnMut(&Client) -> Result<Value, String>,
) -> Result<Vec<Vec<Value>>, String> {
    let mut samples = vec![Vec::with_capacity(runs); clients.len()];
    for _ in 0..runs {
        for (client, reports) in clients.iter().zip(&mut samples) {
            let report = run(client)?;
            if report["items"].as_u64() != Some(expected) {
                return Err(format!(
                    "{}: {} {items}, not {expected}",
                    client.name, report["items"]
                ));
            }
            reports.push(report);
        }
    }
    Ok(samples)
}

/// The median of `key` over the runs' reports.
fn median_of(samples: &[Value], key: &str) -> f64 {
    median(samples.iter().filter_map(|s| s[key].as_f64()).collect())
}

pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: cargo xtask bench [--runs N] [--only sweep]";
    let (mut runs, mut only_sweep) = (5, false);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(String::as_str)) {
            ("--runs", Some(n)) => runs = n.parse().map_err(|_| "bench: --runs takes a number")?,
            ("--only", Some("sweep")) => only_sweep = true,
            _ => return Err(USAGE.to_owned()),
        }
    }
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    tools::run(
        Command::new(&cargo).current_dir(&root).args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "benchmarks",
        ]),
        "building the benchmark binaries",
    )?;
    let bin = root.join("target/release");
    let python = install_python_peer(&root)?;
    let node_dir = install_node_peer(&root)?;
    let peers = Peers {
        python: vec![
            python.display().to_string(),
            root.join("xtask/bench/peer_python.py")
                .display()
                .to_string(),
        ],
        node: vec![
            "node".to_owned(),
            node_dir.join("peer_node.mjs").display().to_string(),
        ],
    };

    let sweep = run_sweep(&bin, &peers, runs)?;
    let markdown = if only_sweep {
        let old = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
        let kept = old
            .find(SWEEP_HEADING)
            .map_or(old.as_str(), |at| &old[..at]);
        format!("{}\n\n{sweep}", kept.trim_end())
    } else {
        let (listing, figures) = run_listing(&bin, &peers, runs)?;
        std::fs::write(root.join("BENCHMARKS.svg"), render_svg(&figures))
            .map_err(|e| e.to_string())?;
        format!("{listing}\n{sweep}")
    };
    std::fs::write(root.join("BENCHMARKS.md"), &markdown).map_err(|e| e.to_string())?;
    println!("\n{markdown}");
    println!(
        "wrote BENCHMARKS.md{}",
        if only_sweep {
            ""
        } else {
            " and BENCHMARKS.svg"
        }
    );
    Ok(())
}

/// The commands that run Codat's SDKs (the mode and its arguments follow).
struct Peers {
    python: Vec<String>,
    node: Vec<String>,
}

/// The listing, latency and in-process portfolio sections of
/// `BENCHMARKS.md`, and the listing's figures for the chart.
fn run_listing(bin: &Path, peers: &Peers, runs: usize) -> Result<(String, Vec<Figures>), String> {
    let mut server = Server::start(
        &bin.join("bench-server"),
        &[TOTAL.to_string(), PAGE_SIZE.to_string()],
    )?;
    let url = server.url.clone();
    let rust = |mode: &str, count: u64| -> Vec<String> {
        vec![
            bin.join("bench-client").display().to_string(),
            mode.to_owned(),
            url.clone(),
            count.to_string(),
        ]
    };
    let total = TOTAL.to_string();
    let peer_args = |mode: &str, count: &str| -> Vec<String> {
        vec![
            mode.to_owned(),
            url.clone(),
            COMPANY.to_owned(),
            API_KEY.to_owned(),
            count.to_owned(),
        ]
    };
    let mut python_list = peers.python.clone();
    python_list.extend(peer_args("list", &total));
    let mut node_list = peers.node.clone();
    node_list.extend(peer_args("list", &total));

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
fn run_sweep(bin: &Path, peers: &Peers, runs: usize) -> Result<String, String> {
    let mut server = Server::start(
        &bin.join("bench-server"),
        &[
            "sweep".to_owned(),
            SWEEP_COMPANIES.to_string(),
            SWEEP_LATENCY_MS.to_string(),
        ],
    )?;
    let url = server.url.clone();
    let companies = SWEEP_COMPANIES.to_string();
    let peer = |command: &[String]| -> Vec<String> {
        let mut command = command.to_vec();
        command.extend(["sweep", &url, "-", API_KEY, &companies].map(str::to_owned));
        command
    };
    let clients = [
        Client {
            name: "codat-connections sweep, concurrency 16",
            command: vec![
                bin.join("bench-client").display().to_string(),
                "sweep".to_owned(),
                url.clone(),
                companies.clone(),
            ],
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
            command: vec![
                bin.join("bench-client").display().to_string(),
                "sweep-raw".to_owned(),
                url.clone(),
                companies.clone(),
            ],
        },
    ];
    let expected = server.stats()?["needing_customer"]
        .as_u64()
        .ok_or("the sweep server did not say how many connections need the customer")?;
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

fn render_sweep(rows: &[(Figures, f64)], found: u64, runs: usize) -> String {
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
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    if let Some((ours, _)) = rows.first() {
        let ratio = ours.wall_ms / ideal_ms;
        out.push_str(&format!(
            "- {}: our sweep's wall time is {ratio:.2}x the ideal {:.1} s (companies x {SWEEP_LATENCY_MS} ms / {SWEEP_CONCURRENCY}; target: within 1.25x)\n",
            verdict(ratio <= 1.25),
            ideal_ms / 1000.0
        ));
        for (peer, _) in rows.iter().filter(|(f, _)| f.name.starts_with("Codat ")) {
            let ratio = peer.cpu_ms / ours.cpu_ms;
            out.push_str(&format!(
                "- {}: {} uses {ratio:.1}x our CPU time (target: at least 10x)\n",
                verdict(ratio >= 10.0),
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

/// `cargo xtask soak`: builds and runs the soak (`benchmarks/src/bin/soak.rs`).
pub fn soak(args: &[String]) -> Result<(), String> {
    if let Some(unknown) = args.first() {
        return Err(format!("soak: unexpected argument `{unknown}`"));
    }
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    tools::run(
        Command::new(cargo).current_dir(&root).args([
            "run",
            "--release",
            "--quiet",
            "-p",
            "benchmarks",
            "--bin",
            "soak",
        ]),
        "soak: 10,000 requests, 5 % faults",
    )
}

/// Installs Codat's Python SDK, pinned, into a venv under `target/bench/`.
fn install_python_peer(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join("target/bench/venv");
    tools::pip_venv(
        &venv,
        &root.join("xtask/bench/requirements.txt"),
        "Codat's Python SDK",
    )?;
    Ok(venv.join("bin/python"))
}

/// Installs Codat's TypeScript SDK, pinned, under `target/bench/node/`, with
/// the peer script beside it so that its imports resolve there.
fn install_node_peer(root: &Path) -> Result<PathBuf, String> {
    let dir = root.join("target/bench/node");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    for file in ["package.json", "package-lock.json", "peer_node.mjs"] {
        std::fs::copy(root.join("xtask/bench").join(file), dir.join(file))
            .map_err(|e| format!("xtask/bench/{file}: {e}"))?;
    }
    tools::npm_ci(&dir, "Codat's TypeScript SDK")?;
    Ok(dir)
}

struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(bin: &Path, args: &[String]) -> Result<Self, String> {
        let mut child = Command::new(bin)
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take().ok_or("the server has no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            return Err(format!("the benchmark server said {line:?}"));
        }
        Ok(Self {
            child,
            url: line.trim().to_owned(),
        })
    }

    /// `GET /bench/stats` of a sweep server.
    fn stats(&self) -> Result<Value, String> {
        let address = self.url.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(address).map_err(|e| e.to_string())?;
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .map_err(|e| e.to_string())?;
        write!(
            stream,
            "GET /bench/stats HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
        )
        .map_err(|e| e.to_string())?;
        let mut answer = String::new();
        stream
            .read_to_string(&mut answer)
            .map_err(|e| e.to_string())?;
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, body)| body);
        serde_json::from_str(body)
            .map_err(|e| format!("the sweep server's stats ({e}): {answer:?}"))
    }

    /// How many listings a sweep server has answered so far.
    fn requests(&self) -> Result<u64, String> {
        self.stats()?["requests"]
            .as_u64()
            .ok_or_else(|| "the sweep server did not count its requests".to_owned())
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs one client process and reads its JSON report.
fn measure(command: &[String]) -> Result<Value, String> {
    let output = Command::new(&command[0])
        .args(&command[1..])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", command[0]))?;
    if !output.status.success() {
        return Err(format!("{} failed ({})", command.join(" "), output.status));
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().last().unwrap_or("");
    serde_json::from_str(line)
        .map_err(|e| format!("{}: not a report ({e}): {line:?}", command.join(" ")))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

fn render_markdown(figures: &[Figures], latencies: &[(&str, f64, f64)], runs: usize) -> String {
    let limit = &figures[0];
    let by_name = |prefix: &str| figures.iter().find(|f| f.name.starts_with(prefix));
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
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
    let target =
        |text: String, met: bool| format!("- {} {text}\n", if met { "met:" } else { "MISSED:" });
    if let (Some(sdk), Some(serde)) = (
        by_name("codat-connections stream"),
        by_name("raw reqwest + serde_json"),
    ) {
        let ratio = sdk.cpu_ms / serde.cpu_ms;
        out.push_str(&target(format!("our stream uses {ratio:.2}x the CPU of raw reqwest + serde_json on the same types (target: within 1.15x)"), ratio <= 1.15));
        if let Some(python) = by_name("Codat Python") {
            let ratio = python.cpu_ms / sdk.cpu_ms;
            out.push_str(&target(
                format!("the Python SDK uses {ratio:.1}x our CPU time (target: at least 10x)"),
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
fn render_svg(figures: &[Figures]) -> String {
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
