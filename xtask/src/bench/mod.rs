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

mod measure;
mod peers;
mod report;
mod scenarios;
mod server;
mod workload;

use std::process::Command;

use crate::sync_spec::workspace_root;
use crate::tools;
use peers::{install_node_peer, install_python_peer, Peers};
use report::render_svg;
use scenarios::{run_listing, run_sweep};
use workload::SWEEP_HEADING;

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
