//! The jobs on a shaped link: `bench-link` (latency and a bandwidth limit)
//! between each client and `bench-server`, with a server that compresses
//! and one that does not. Each job (the connections listing of 100,000,
//! the portfolio sweep of 100,000 companies, single gets) runs with our
//! client at its defaults and Codat's Python and TypeScript SDKs, one
//! process each; `link_report.rs` sets the figures beside their bounds.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::Value;

use super::link_report::{Job, Measured, OURS, OURS_IDENTITY, PYTHON, Row, TYPESCRIPT, render};
use super::measure::{Client, measure, round_robin, rust_client};
use super::peers::Peers;
use super::server::Server;
use super::workload::{
    COMPANY, LINK_GETS, PAGE_SIZE, PORTFOLIO_COMPANIES, SERVER_LATENCY_MS, SHAPES, Shape, TOTAL,
};

/// A `bench-link` process in front of a server, and what it counts.
struct LinkProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    url: String,
}

impl LinkProcess {
    fn start(bin: &Path, upstream: &str, shape: Shape) -> Result<Self, String> {
        let mut child = Command::new(bin.join("bench-link"))
            .args([
                upstream.to_owned(),
                shape.megabits.to_string(),
                shape.round_trip_ms.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start bench-link: {e}"))?;
        let stdin = child.stdin.take().ok_or("bench-link has no stdin")?;
        let mut stdout = BufReader::new(child.stdout.take().ok_or("bench-link has no stdout")?);
        let mut line = String::new();
        stdout.read_line(&mut line).map_err(|e| e.to_string())?;
        if !line.starts_with("http://127.0.0.1:") {
            let _ = child.kill();
            return Err(format!("bench-link said {line:?}"));
        }
        Ok(Self {
            child,
            stdin,
            stdout,
            url: line.trim().to_owned(),
        })
    }

    /// The bytes each way since the last call, as `(up, down)`.
    fn bytes(&mut self) -> Result<(u64, u64), String> {
        writeln!(self.stdin, "stats").map_err(|e| e.to_string())?;
        let mut line = String::new();
        self.stdout
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let counts: Value =
            serde_json::from_str(&line).map_err(|e| format!("bench-link stats {line:?}: {e}"))?;
        let count = |key: &str| counts[key].as_u64().ok_or(format!("no {key} in {line:?}"));
        Ok((count("up")?, count("down")?))
    }
}

impl Drop for LinkProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every job on every link, with a compressing server and a plain one:
/// each kind of server is started once (the portfolio's takes seconds to
/// build and gzip) and measured through every link.
pub fn run_link(bin: &Path, peers: &Peers, runs: usize) -> Result<String, String> {
    let mut measured = Vec::new();
    for gzip in [true, false] {
        let servers = Servers::start(bin, gzip)?;
        for shape in SHAPES {
            measured.push(run_shape(bin, peers, runs, shape, &servers)?);
        }
    }
    // In the report, link by link: each link's compressing server first.
    let link = |m: &Measured| SHAPES.iter().position(|s| *s == m.shape);
    measured.sort_by_key(|m| (link(m), !m.gzip));
    let inflate = super::inflate::run_inflate(bin)?;
    Ok(format!("{}\n{inflate}", render(&measured, runs)))
}

/// The two servers of the link's jobs, compressing or not.
struct Servers {
    gzip: bool,
    listing: Server,
    portfolio: Server,
    /// How many connections of the portfolio need the customer.
    needing: u64,
}

impl Servers {
    fn start(bin: &Path, gzip: bool) -> Result<Self, String> {
        let server = |args: &[String]| {
            let flag = gzip.then(|| "--gzip".to_owned());
            let args: Vec<String> = flag.into_iter().chain(args.iter().cloned()).collect();
            Server::start(&bin.join("bench-server"), &args)
        };
        let latency = SERVER_LATENCY_MS.to_string();
        let listing = server(&[TOTAL.to_string(), PAGE_SIZE.to_string(), latency.clone()])?;
        let portfolio = server(&["sweep".to_owned(), PORTFOLIO_COMPANIES.to_string(), latency])?;
        let needing = portfolio.stat("", "needing_customer")?;
        Ok(Servers {
            gzip,
            listing,
            portfolio,
            needing,
        })
    }
}

/// The three jobs on one link against one kind of server.
fn run_shape(
    bin: &Path,
    peers: &Peers,
    runs: usize,
    shape: Shape,
    servers: &Servers,
) -> Result<Measured, String> {
    let gzip = servers.gzip;
    println!(
        "\n== {}, {} ==",
        shape.name(),
        if gzip {
            "server compresses"
        } else {
            "server does not compress"
        }
    );

    let mut rows = Vec::new();
    for job in [Job::Portfolio, Job::Listing, Job::Get] {
        let server = if job == Job::Portfolio {
            &servers.portfolio
        } else {
            &servers.listing
        };
        let mut link = LinkProcess::start(bin, &server.url, shape)?;
        let clients = clients(bin, peers, job, &link.url, gzip);
        let expected = match job {
            Job::Portfolio => (servers.needing, "connections needing the customer"),
            Job::Listing => (TOTAL, "connections"),
            Job::Get => (LINK_GETS, "gets"),
        };
        link.bytes()?;
        let samples = round_robin(&clients, runs, expected, |client| {
            let mut report = measure(&client.command)?;
            let (up, down) = link.bytes()?;
            report["up_bytes"] = up.into();
            report["down_bytes"] = down.into();
            println!(
                "{:?} {}: wall {:.0} ms, CPU {:.0} ms, {} bytes down",
                job, client.name, report["wall_ms"], report["cpu_ms"], down
            );
            Ok(report)
        })?;
        for (client, samples) in clients.iter().zip(&samples) {
            rows.push(Row::median_of(job, client.name, samples));
        }
    }
    Ok(Measured { shape, gzip, rows })
}

/// The clients of `job`: ours at its defaults, Codat's two SDKs, and with
/// a server that does not compress, ours with compression off too (the
/// client as it was before it asked for compression).
fn clients(bin: &Path, peers: &Peers, job: Job, url: &str, gzip: bool) -> Vec<Client> {
    let (program, ours, peer_mode, company, count) = match job {
        Job::Portfolio => (
            "bench-portfolio",
            "portfolio",
            "companies",
            "-",
            PORTFOLIO_COMPANIES,
        ),
        Job::Listing => ("bench-client", "sdk-defaults", "list", COMPANY, TOTAL),
        Job::Get => ("bench-client", "get-defaults", "get", COMPANY, LINK_GETS),
    };
    let mut clients = vec![
        Client {
            name: OURS,
            command: rust_client(bin, program, ours, url, count),
        },
        Client {
            name: PYTHON,
            command: Peers::command(&peers.python, peer_mode, url, company, count),
        },
        Client {
            name: TYPESCRIPT,
            command: Peers::command(&peers.node, peer_mode, url, company, count),
        },
    ];
    if !gzip {
        clients.push(Client {
            name: OURS_IDENTITY,
            command: rust_client(bin, program, &format!("{ours}+identity"), url, count),
        });
    }
    clients
}
