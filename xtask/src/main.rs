//! Project tasks: `cargo xtask sync-spec`, `cargo xtask spec-diff`,
//! `cargo xtask spec-drill`, `cargo xtask ci`, and the measurements (`bench`,
//! `soak`, `first-build`).

mod advisories;
mod bench;
mod ci;
mod docs;
mod drill;
mod first_build;
mod package;
mod reliability;
mod schemathesis;
mod sync_spec;
mod tools;
#[cfg(test)]
mod upstream_tests;

use std::process::ExitCode;

// The rules from Codat's document to ours, shared with the build script.
use codat_connections_spec::{change_report, json_pointer, normalise};

const USAGE: &str = "\
usage:
  cargo xtask sync-spec [PATH] [--check] [--commit SHA]
                                           regenerate openapi/connections.json from Codat's
                                           Platform API document at PATH (default:
                                           upstream/Codat-Platform.json), recording the
                                           codatio/oas commit it came from (--commit, or
                                           the one upstream/source.json lists for it);
                                           --check only verifies the checked-in document
  cargo xtask spec-diff OLD NEW            print what changed for users between two of
                                           Codat's documents, classified breaking / non-breaking
  cargo xtask spec-drill [--only TEXT]... [--list]
                                           make each of a set of breaking and non-breaking
                                           changes to openapi/connections.json in a copy of the
                                           workspace (target/spec-drill/), build and test it, and
                                           print `caught: CHANGE: HOW` or `passes: CHANGE`; fails
                                           when a breaking change passes or a non-breaking one
                                           is caught. --only runs the changes whose description
                                           contains TEXT; --list prints them
  cargo xtask ci                           everything CI runs: formatting, the spec check,
                                           clippy, every test and Schemathesis
  cargo xtask package                      package the crate, build the package, and run a user's
                                           program on it beside reqwest's default features with
                                           each TLS feature (rustls's process default must work
                                           with rustls-aws-lc-rs)
  cargo xtask schemathesis                 Schemathesis (pinned) against codat-mock with
                                           openapi/connections.json; what it relaxes, and
                                           why, is in xtask/schemathesis.toml
  cargo xtask reliability                  run the tests and write RELIABILITY.md from the
                                           cases they prove
  cargo xtask soak                         10,000 requests with 5 % faults through one client;
                                           prints outcomes, open sockets and memory
  cargo xtask bench [--runs N] [--only sweep]
                                           list 100,000 connections with every client side by
                                           side, sweep 2,000 companies with ours and Codat's
                                           SDKs; writes BENCHMARKS.md and BENCHMARKS.svg
                                           (--only sweep: that section alone)
  cargo xtask docs                         the API documentation as docs.rs builds it (every
                                           feature, --cfg docsrs, broken links are errors)
  cargo xtask first-build [--crate PATH]   time a user's first release build of the crate (a
                                           minimal consumer, empty target directory)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sync-spec") => sync_spec::run(&args[1..]),
        Some("spec-diff") => sync_spec::run_diff(&args[1..]),
        Some("spec-drill") => drill::run(&args[1..]),
        Some("ci") => ci::run(&args[1..]),
        Some("schemathesis") => schemathesis::run_alone(&args[1..]),
        Some("bench") => bench::run(&args[1..]),
        Some("reliability") => reliability::run(&args[1..]),
        Some("soak") => bench::soak(&args[1..]),
        Some("first-build") => first_build::run(&args[1..]),
        Some("package") => package::run(&args[1..]),
        Some("docs") if args.len() == 1 => docs::check(&sync_spec::workspace_root(), "cargo"),
        _ => Err(USAGE.to_owned()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
