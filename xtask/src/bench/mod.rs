//! `cargo xtask bench`: lists 100,000 connections from one local server with
//! every client side by side (the raw-HTTP limit, serde on the generated
//! types, our SDK's stream, Codat's Python and TypeScript SDKs), measures
//! single get-connection latency, runs the portfolio scenarios
//! (`benchmarks/src/bin/bench-sweep.rs`: a sweep, a rate-limited sweep,
//! a paged listing with latency), sweeps a portfolio of 2,000 companies
//! answering after 20 ms with our client and Codat's two SDKs (one process
//! each, against `bench-server sweep`), sweeps a portfolio of 100,000
//! companies through `list-companies` (`portfolio.rs`), and writes
//! `BENCHMARKS.md` and `BENCHMARKS.svg`, then runs the jobs again on a
//! shaped link (`link.rs`). `--only sweep`, `--only portfolio` or
//! `--only link` runs that section alone and replaces only it in
//! `BENCHMARKS.md`.

mod inflate;
mod link;
mod link_report;
mod measure;
mod peers;
mod portfolio;
mod report;
mod scenarios;
mod server;
mod workload;

use std::process::Command;

use crate::sync_spec::workspace_root;
use crate::tools;
use link::run_link;
use link_report::LINK_HEADING;
use peers::{Peers, install_node_peer, install_python_peer};
use portfolio::run_portfolio;
use report::render_svg;
use scenarios::{run_listing, run_sweep};
use workload::{PORTFOLIO_HEADING, SWEEP_HEADING};

pub fn run(args: &[String]) -> Result<(), String> {
    const USAGE: &str = "usage: cargo xtask bench [--runs N] [--only sweep|portfolio|link]";
    let (mut runs, mut only) = (5, None);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next().map(String::as_str)) {
            ("--runs", Some(n)) => runs = n.parse().map_err(|_| "bench: --runs takes a number")?,
            ("--only", Some(section @ ("sweep" | "portfolio" | "link"))) => only = Some(section),
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
            root.join("benchmarks/peers/peer_python.py")
                .display()
                .to_string(),
        ],
        node: vec![
            "node".to_owned(),
            node_dir.join("peer_node.mjs").display().to_string(),
        ],
    };

    let old = std::fs::read_to_string(root.join("BENCHMARKS.md")).unwrap_or_default();
    let markdown = match only {
        Some("sweep") => {
            let sweep = run_sweep(&bin, &peers, runs)?;
            replace_section(&old, SWEEP_HEADING, Some(PORTFOLIO_HEADING), &sweep)
        }
        Some("portfolio") => {
            let portfolio = run_portfolio(&bin, &peers, runs)?;
            replace_section(&old, PORTFOLIO_HEADING, Some(LINK_HEADING), &portfolio)
        }
        Some(_) => {
            let link = run_link(&bin, &peers, runs.min(LINK_RUNS))?;
            replace_section(&old, LINK_HEADING, None, &link)
        }
        None => {
            let (listing, figures) = run_listing(&bin, &peers, runs)?;
            let sweep = run_sweep(&bin, &peers, runs)?;
            let portfolio = run_portfolio(&bin, &peers, runs)?;
            let link = run_link(&bin, &peers, runs.min(LINK_RUNS))?;
            std::fs::write(root.join("BENCHMARKS.svg"), render_svg(&figures))
                .map_err(|e| e.to_string())?;
            format!("{listing}\n{sweep}\n{portfolio}\n{link}")
        }
    };
    std::fs::write(root.join("BENCHMARKS.md"), &markdown).map_err(|e| e.to_string())?;
    println!("\n{markdown}");
    println!(
        "wrote BENCHMARKS.md{}",
        if only.is_some() {
            ""
        } else {
            " and BENCHMARKS.svg"
        }
    );
    Ok(())
}

/// Rounds on the shaped link at most: a round there takes minutes (Codat's
/// Python SDK moves 139 MiB at 100 Mbit/s four times over).
const LINK_RUNS: usize = 3;

/// `old` with the section from `heading` to `next` (or to the end)
/// replaced by `new`; `new` is added at the end when `old` has no such
/// section.
fn replace_section(old: &str, heading: &str, next: Option<&str>, new: &str) -> String {
    let Some(start) = old.find(heading) else {
        return format!("{}\n\n{}", old.trim_end(), new.trim_end()) + "\n";
    };
    let end = next
        .and_then(|next| old[start..].find(next).map(|at| start + at))
        .unwrap_or(old.len());
    let rest = old[end..].trim_start();
    let joined = format!("{}\n\n{}", old[..start].trim_end(), new.trim_end());
    if rest.is_empty() {
        joined + "\n"
    } else {
        format!("{joined}\n\n{rest}")
    }
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

#[cfg(test)]
mod tests {
    use super::replace_section;

    #[test]
    fn a_section_is_replaced_up_to_the_next_and_added_when_missing() {
        let old = "# B\n\n## S\nold s\n\n## P\nold p\n";
        assert_eq!(
            replace_section(old, "## S", Some("## P"), "## S\nnew s\n"),
            "# B\n\n## S\nnew s\n\n## P\nold p\n"
        );
        assert_eq!(
            replace_section(old, "## P", None, "## P\nnew p\n"),
            "# B\n\n## S\nold s\n\n## P\nnew p\n"
        );
        assert_eq!(
            replace_section("# B\n\n## S\nold s\n", "## P", None, "## P\nnew p"),
            "# B\n\n## S\nold s\n\n## P\nnew p\n"
        );
    }
}
