//! Running one client process, reading its JSON report, and the medians
//! and percentiles of several runs.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One client the benchmark runs.
pub struct Client {
    pub name: &'static str,
    pub command: Vec<String>,
}

/// The command that runs one of the benchmark binaries (`bench-client`,
/// `bench-portfolio`) in `mode` against `url` with its count.
pub fn rust_client(bin: &Path, program: &str, mode: &str, url: &str, count: u64) -> Vec<String> {
    vec![
        bin.join(program).display().to_string(),
        mode.to_owned(),
        url.to_owned(),
        count.to_string(),
    ]
}

/// The medians of several runs of one client.
pub struct Figures {
    pub name: &'static str,
    pub wall_ms: f64,
    pub cpu_ms: f64,
    pub max_rss_kb: f64,
}

impl Figures {
    /// The medians of one client's runs.
    pub fn median_of(name: &'static str, samples: &[Value]) -> Figures {
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
pub fn round_robin(
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
pub fn median_of(samples: &[Value], key: &str) -> f64 {
    median(samples.iter().filter_map(|s| s[key].as_f64()).collect())
}

/// Runs one client process and reads its JSON report.
pub fn measure(command: &[String]) -> Result<Value, String> {
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

/// The median of `values` (NaN when there are none).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted[index]
}

/// The machine's cores, as the decode bounds spread work over them.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
