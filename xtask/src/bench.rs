//! `cargo xtask bench`: lists 100,000 connections from one local server with
//! every client side by side (the raw-HTTP limit, serde on the generated
//! types, our SDK's stream, Codat's Python and TypeScript SDKs), measures
//! single get-connection latency, runs the portfolio scenarios
//! (`benchmarks/src/bin/bench-sweep.rs`: a sweep, a rate-limited sweep,
//! a paged listing with latency), and writes `BENCHMARKS.md` and
//! `BENCHMARKS.svg`.

use std::io::{BufRead, BufReader};
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

pub fn run(args: &[String]) -> Result<(), String> {
    let runs: usize = match args {
        [] => 5,
        [flag, n] if flag == "--runs" => n.parse().map_err(|_| "bench: --runs takes a number")?,
        _ => return Err("usage: cargo xtask bench [--runs N]".to_owned()),
    };
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

    let mut server = Server::start(&bin.join("bench-server"))?;
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
    let mut python_list = vec![
        python.display().to_string(),
        root.join("xtask/bench/peer_python.py")
            .display()
            .to_string(),
    ];
    python_list.extend(peer_args("list", &total));
    let mut node_list = vec![
        "node".to_owned(),
        node_dir.join("peer_node.mjs").display().to_string(),
    ];
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
        "listing {TOTAL} connections ({} pages of {PAGE_SIZE}), median of {runs} runs each",
        TOTAL / PAGE_SIZE
    );
    let mut figures = Vec::new();
    for client in &clients {
        let mut samples = Vec::new();
        for _ in 0..runs {
            let report = measure(&client.command)?;
            if report["items"].as_u64() != Some(TOTAL) {
                return Err(format!(
                    "{} listed {} connections, not {TOTAL}",
                    client.name, report["items"]
                ));
            }
            samples.push(report);
        }
        let median = |key: &str| median(samples.iter().filter_map(|s| s[key].as_f64()).collect());
        let f = Figures {
            name: client.name,
            wall_ms: median("wall_ms"),
            cpu_ms: median("cpu_ms"),
            max_rss_kb: median("max_rss_kb"),
        };
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
    std::fs::write(root.join("BENCHMARKS.md"), &markdown).map_err(|e| e.to_string())?;
    std::fs::write(root.join("BENCHMARKS.svg"), render_svg(&figures)).map_err(|e| e.to_string())?;
    println!("\n{markdown}");
    println!("wrote BENCHMARKS.md and BENCHMARKS.svg");
    Ok(())
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
    fn start(bin: &Path) -> Result<Self, String> {
        let mut child = Command::new(bin)
            .args([TOTAL.to_string(), PAGE_SIZE.to_string()])
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
         that serves pre-serialised pages from memory. Medians of {runs} runs; each client runs in its own \
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
