//! The portfolio sweep of 100,000 companies on `bench-server sweep`: our
//! `Client::sweep_portfolio()` at the client's default pace and with none,
//! Codat's Python and TypeScript SDKs doing the same through
//! `companies.list`, the per-company `Client::sweep` extrapolated from a
//! measured 2,000-company run at the same pace, and the concurrent
//! connections listing, each against the ideal made of its fetch bound
//! and its decode bound (`bench-portfolio`'s `*-bounds` modes measure
//! both).

use std::path::Path;

use serde_json::Value;

use super::measure::{
    Client, Figures, cores, measure, median, median_of, round_robin, rust_client,
};
use super::peers::Peers;
use super::report::met_or_missed;
use super::server::Server;
use super::workload::{
    DEFAULT_PACE_PER_MINUTE, LISTING_CONCURRENT_PAGES, LISTING_LATENCY_MS, PAGE_SIZE,
    PER_COMPANY_SAMPLE, PORTFOLIO_COMPANIES, PORTFOLIO_CONCURRENT_PAGES, PORTFOLIO_HEADING,
    PORTFOLIO_LATENCY_MS, PORTFOLIO_PAGE, TOTAL, pace_spacing_ms,
};

/// What the ideal of a paged job is made of, from `runs` runs of a
/// `*-bounds` mode: medians of each page's answer time and of the CPU time
/// of decoding every page.
struct Bounds {
    pages: u64,
    answer_ms: f64,
    decode_cpu_ms: f64,
    page_bytes: f64,
    decoded_page_kb: f64,
}

impl Bounds {
    fn measure(bin: &Path, mode: &str, url: &str, pages: u64, runs: usize) -> Result<Self, String> {
        let command = portfolio_client(bin, mode, url, pages);
        let samples = (0..runs)
            .map(|_| measure(&command))
            .collect::<Result<Vec<Value>, String>>()?;
        let answers: Vec<f64> = samples
            .iter()
            .filter_map(|s| s["latencies_us"].as_array())
            .flatten()
            .filter_map(Value::as_f64)
            .map(|us| us / 1000.0)
            .collect();
        Ok(Self {
            pages,
            answer_ms: median(answers),
            decode_cpu_ms: median_of(&samples, "decode_cpu_ms"),
            page_bytes: median_of(&samples, "page_bytes"),
            decoded_page_kb: median_of(&samples, "decoded_page_kb"),
        })
    }

    /// Every page at its answer time, `concurrent` at once after the first.
    fn fetch_ms(&self, concurrent: u64) -> f64 {
        let rounds = if concurrent <= 1 {
            self.pages
        } else {
            1 + (self.pages - 1).div_ceil(concurrent)
        };
        rounds as f64 * self.answer_ms
    }

    /// The decoding of every page spread over the machine's cores.
    fn decode_ms(&self) -> f64 {
        self.decode_cpu_ms / cores() as f64
    }

    /// The requests as the default pace lets them start, and the last answer.
    fn pace_ms(&self) -> f64 {
        (self.pages - 1) as f64 * pace_spacing_ms() + self.answer_ms
    }
}

fn portfolio_client(bin: &Path, mode: &str, url: &str, count: u64) -> Vec<String> {
    rust_client(bin, "bench-portfolio", mode, url, count)
}

/// One row of the section's table.
struct Row {
    figures: Figures,
    requests: f64,
}

/// Runs the portfolio scenarios; returns the Markdown section.
pub fn run_portfolio(bin: &Path, peers: &Peers, runs: usize) -> Result<String, String> {
    let mut server = Server::start_sweep(bin, PORTFOLIO_COMPANIES, PORTFOLIO_LATENCY_MS)?;
    let url = server.url.clone();
    let needing = server.stat("", "needing_customer")?;
    let portfolio_bytes = server.stat("", "portfolio_bytes")?;
    let pages = PORTFOLIO_COMPANIES.div_ceil(PORTFOLIO_PAGE);
    println!(
        "portfolio sweep of {PORTFOLIO_COMPANIES} companies: measuring the bounds ({pages} pages)"
    );
    let bounds = Bounds::measure(bin, "company-bounds", &url, pages, runs)?;

    let peer =
        |command: &[String]| Peers::command(command, "companies", &url, "-", PORTFOLIO_COMPANIES);
    let clients = [
        Client {
            name: "codat-connections `sweep_portfolio()`, default pace (1,000/min)",
            command: portfolio_client(bin, "portfolio", &url, PORTFOLIO_COMPANIES),
        },
        Client {
            name: "codat-connections `sweep_portfolio()`, no pace",
            command: portfolio_client(bin, "portfolio-unpaced", &url, PORTFOLIO_COMPANIES),
        },
        Client {
            name: "Codat Python SDK, `companies.list`",
            command: peer(&peers.python),
        },
        Client {
            name: "Codat TypeScript SDK, `companies.list`",
            command: peer(&peers.node),
        },
    ];
    println!("  median of {runs} rounds (each client once a round)");
    let all = round_robin(
        &clients,
        runs,
        (needing, "connections needing the customer found"),
        |client| {
            let before = server.requests()?;
            let mut report = measure(&client.command)?;
            report["requests"] = (server.requests()? - before).into();
            Ok(report)
        },
    )?;
    let mut rows: Vec<Row> = clients
        .iter()
        .zip(&all)
        .map(|(client, samples)| Row {
            figures: Figures::median_of(client.name, samples),
            requests: median_of(samples, "requests"),
        })
        .collect();

    // The per-company sweep at the same pace takes a minute per 1,000
    // companies: measured once, on 2,000, then extrapolated.
    let sample_needing = server.stat(
        &format!("companies={PER_COMPANY_SAMPLE}"),
        "needing_customer",
    )?;
    println!(
        "  the per-company sweep of {PER_COMPANY_SAMPLE} companies at the default pace (about 2 minutes)"
    );
    let before = server.requests()?;
    let sample = measure(&portfolio_client(
        bin,
        "sweep-paced",
        &url,
        PER_COMPANY_SAMPLE,
    ))?;
    if sample["items"].as_u64() != Some(sample_needing) {
        return Err(format!(
            "the per-company sweep found {} connections needing the customer, not {sample_needing}",
            sample["items"]
        ));
    }
    let sample_requests = (server.requests()? - before) as f64;
    server.stop();
    let scale = (PORTFOLIO_COMPANIES / PER_COMPANY_SAMPLE) as f64;
    let per_company = Row {
        figures: Figures {
            name: "codat-connections `Client::sweep(ids)`, default pace: extrapolated",
            wall_ms: sample["wall_ms"].as_f64().unwrap_or(f64::NAN) * scale,
            cpu_ms: sample["cpu_ms"].as_f64().unwrap_or(f64::NAN) * scale,
            max_rss_kb: sample["max_rss_kb"].as_f64().unwrap_or(f64::NAN),
        },
        requests: sample_requests * scale,
    };

    let listing = run_concurrent_listing(bin, runs)?;
    rows.push(per_company);
    Ok(render(
        &rows,
        &bounds,
        &listing,
        (needing, portfolio_bytes),
        &sample,
        runs,
    ))
}

/// The connections listing with concurrent pages, and its bounds.
struct Listing {
    figures: Figures,
    bounds: Bounds,
}

fn run_concurrent_listing(bin: &Path, runs: usize) -> Result<Listing, String> {
    let server = Server::start(
        &bin.join("bench-server"),
        &[
            TOTAL.to_string(),
            PAGE_SIZE.to_string(),
            LISTING_LATENCY_MS.to_string(),
        ],
    )?;
    let pages = TOTAL.div_ceil(PAGE_SIZE);
    println!(
        "listing {TOTAL} connections, {pages} pages at {LISTING_LATENCY_MS} ms, {LISTING_CONCURRENT_PAGES} at once"
    );
    let bounds = Bounds::measure(bin, "listing-bounds", &server.url, pages, runs)?;
    let client = Client {
        name: "codat-connections listing, concurrent pages 4",
        command: rust_client(bin, "bench-client", "sdk-concurrent", &server.url, TOTAL),
    };
    let samples = round_robin(
        std::slice::from_ref(&client),
        runs,
        (TOTAL, "connections"),
        |client| measure(&client.command),
    )?;
    Ok(Listing {
        figures: Figures::median_of(client.name, &samples[0]),
        bounds,
    })
}

fn render(
    rows: &[Row],
    bounds: &Bounds,
    listing: &Listing,
    (needing, portfolio_bytes): (u64, u64),
    sample: &Value,
    runs: usize,
) -> String {
    let mib = |kb: f64| kb / 1024.0;
    let page_mib = bounds.page_bytes / (1024.0 * 1024.0);
    let mut out = format!(
        "{PORTFOLIO_HEADING}\n\n\
         Which connections, across all of an account's companies, need the customer again? \
         {PORTFOLIO_COMPANIES} companies with 1-3 connections each ({needing} of them `Deauthorized` or \
         `Unlinked`; every client must find them all) on `bench-server sweep`, another process on \
         127.0.0.1, which answers every request after {PORTFOLIO_LATENCY_MS} ms (a timer) plus the time \
         to send its bytes. `list-companies` in pages of {PORTFOLIO_PAGE}: {} pages of {page_mib:.1} MiB \
         of JSON ({:.0} MiB in all). Our client runs `Client::sweep_portfolio()` with every default \
         (pages of 5,000, {PORTFOLIO_CONCURRENT_PAGES} at once after the first, the client's pace of {DEFAULT_PACE_PER_MINUTE} requests a \
         minute, which starts a request every {:.0} ms), and once with no pace; Codat's SDKs list the \
         companies page by page with `companies.list` (page size {PORTFOLIO_PAGE}, retries off) and go \
         through each company's `dataConnections`, one process each. The per-company sweep \
         (`Client::sweep(ids)`, 16 companies at a time, the same pace) was measured once on the first \
         {PER_COMPANY_SAMPLE} companies (wall {:.0} ms, CPU {:.0} ms) and its wall time, CPU time and \
         requests are multiplied by {}; its peak memory is as measured. Medians of {runs} rounds, each \
         client once a round.\n\n\
         | client | wall (ms) | CPU (ms) | peak RSS (MiB) | requests |\n|---|---:|---:|---:|---:|\n",
        bounds.pages,
        portfolio_bytes as f64 / (1024.0 * 1024.0),
        pace_spacing_ms(),
        sample["wall_ms"].as_f64().unwrap_or(f64::NAN),
        sample["cpu_ms"].as_f64().unwrap_or(f64::NAN),
        PORTFOLIO_COMPANIES / PER_COMPANY_SAMPLE,
    );
    for row in rows {
        let f = &row.figures;
        out.push_str(&format!(
            "| {} | {:.0} | {:.0} | {:.1} | {:.0} |\n",
            f.name,
            f.wall_ms,
            f.cpu_ms,
            mib(f.max_rss_kb),
            row.requests
        ));
    }
    let fetch = bounds.fetch_ms(PORTFOLIO_CONCURRENT_PAGES);
    let decode = bounds.decode_ms();
    let pace = bounds.pace_ms();
    out.push_str(&format!(
        "\nThe bounds, measured by fetching the {} pages one after the other (bytes only) and then \
         decoding them with serde_json into what the sweep reads (each company's ID and name, each \
         connection's status, and in full, its link parsed, each connection that needs the customer), \
         on one thread; our client reads a page in a checked walk of its own, in less time: a \
         page's answer takes {:.1} ms (median), so \
         the fetch bound, the first page and then {PORTFOLIO_CONCURRENT_PAGES} at a time as our client \
         asks for them, is {fetch:.0} ms; decoding every page takes {:.0} ms of \
         CPU, so the decode bound on {} cores is {decode:.0} ms. At the default pace the requests \
         cannot start faster than one every {:.0} ms: the pace bound is {pace:.0} ms ({} gaps and \
         the last answer). A decoded page holds about {:.1} MiB.\n",
        bounds.pages,
        bounds.answer_ms,
        bounds.decode_cpu_ms,
        cores(),
        pace_spacing_ms(),
        bounds.pages - 1,
        mib(bounds.decoded_page_kb),
    ));

    out.push_str("\n### Targets\n\n");
    let [paced, unpaced, python, node, per_company] = rows else {
        return out;
    };
    let expected_requests = PORTFOLIO_COMPANIES.div_ceil(PORTFOLIO_PAGE) as f64;
    out.push_str(&format!(
        "- {}: the portfolio sweep sends {:.0} requests (target: ceil({PORTFOLIO_COMPANIES} / {PORTFOLIO_PAGE}) = {expected_requests:.0}); the per-company sweep sends {:.0}\n",
        met_or_missed(paced.requests == expected_requests && unpaced.requests == expected_requests),
        paced.requests,
        per_company.requests,
    ));
    // The ideal that leaves the pace out is no target at the default pace:
    // no client keeping to Codat's limit reaches it.
    let two_bound = fetch.max(decode);
    let three_bound = two_bound.max(pace);
    let ratio = paced.figures.wall_ms / three_bound;
    out.push_str(&format!(
        "- {}: at the default pace, wall time {ratio:.2}x {three_bound:.0} ms, the largest of the fetch, decode and pace bounds (target: within 1.3x)\n",
        met_or_missed(ratio <= 1.3),
    ));
    let ratio = unpaced.figures.wall_ms / two_bound;
    out.push_str(&format!(
        "- {}: with no pace, wall time {ratio:.2}x the ideal {two_bound:.0} ms, the larger of the fetch and decode bounds (target: within 1.3x){}\n",
        met_or_missed(ratio <= 1.3),
        if ratio > 1.3 {
            format!(
                ". Our CPU time over the {} cores, {:.0} ms, is a bound the decode bound leaves out (it also counts receiving the bytes and going through each company), and the server sends from the same cores",
                cores(),
                unpaced.figures.cpu_ms / cores() as f64
            )
        } else {
            String::new()
        }
    ));
    let page_worth = bounds.page_bytes / 1024.0 + bounds.decoded_page_kb;
    let worth = paced.figures.max_rss_kb / page_worth;
    out.push_str(&format!(
        "- {}: peak memory {:.1} MiB, {worth:.1} pages' worth (a page: {page_mib:.1} MiB of JSON and about {:.1} MiB decoded), while the portfolio's JSON is {:.0} MiB (target: at most 3 pages' worth, the page gone through and the pages arriving)\n",
        met_or_missed(worth <= 3.0),
        mib(paced.figures.max_rss_kb),
        mib(bounds.decoded_page_kb),
        portfolio_bytes as f64 / (1024.0 * 1024.0),
    ));
    for peer in [python, node] {
        let ratio = peer.figures.cpu_ms / paced.figures.cpu_ms;
        out.push_str(&format!(
            "- {}: {} uses {ratio:.1}x our CPU time (target: at least 10x) and {:.1}x our peak memory (target: more than 1x)\n",
            met_or_missed(ratio >= 10.0 && peer.figures.max_rss_kb > paced.figures.max_rss_kb),
            peer.figures.name,
            peer.figures.max_rss_kb / paced.figures.max_rss_kb,
        ));
    }
    // What any client reading these pages with serde pays: the decode
    // bound's reader decodes only what the sweep reads.
    out.push_str(&format!(
        "- for scale: serde decoding only what the sweep reads takes {:.0} ms of CPU for these pages (the decode bound's reader), {:.2}x our whole sweep's CPU; {} uses {:.1}x that\n",
        bounds.decode_cpu_ms,
        bounds.decode_cpu_ms / paced.figures.cpu_ms,
        node.figures.name,
        node.figures.cpu_ms / bounds.decode_cpu_ms,
    ));
    out.push_str(&format!(
        "- the per-company sweep of the same portfolio would take {:.0} min and {:.0} requests (one unit of the daily quota per company); the portfolio sweep takes {:.1} s and {:.0}\n",
        per_company.figures.wall_ms / 60_000.0,
        per_company.requests,
        paced.figures.wall_ms / 1000.0,
        paced.requests,
    ));

    let lb = &listing.bounds;
    let (fetch, decode) = (lb.fetch_ms(LISTING_CONCURRENT_PAGES), lb.decode_ms());
    let ideal = fetch.max(decode);
    let ratio = listing.figures.wall_ms / ideal;
    out.push_str(&format!(
        "- {}: the connections listing of {TOTAL} ({} pages of {PAGE_SIZE} at {LISTING_LATENCY_MS} ms, {LISTING_CONCURRENT_PAGES} at once, no pace; `bench-server` in another process) takes {:.0} ms, {ratio:.2}x the ideal {ideal:.0} ms, the larger of the fetch bound {fetch:.0} ms (the first page, then {LISTING_CONCURRENT_PAGES} at a time, {:.1} ms an answer) and the decode bound {decode:.0} ms ({:.0} ms of CPU on {} cores) (target: within 1.3x); CPU {:.0} ms, peak RSS {:.1} MiB\n",
        met_or_missed(ratio <= 1.3),
        lb.pages,
        listing.figures.wall_ms,
        lb.answer_ms,
        lb.decode_cpu_ms,
        cores(),
        listing.figures.cpu_ms,
        mib(listing.figures.max_rss_kb),
    ));
    out
}
