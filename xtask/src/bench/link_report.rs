//! The shaped-link section of `BENCHMARKS.md`: each job's figures beside
//! its three bounds (the pace, the link, the CPU), and the targets.

use serde_json::Value;

use super::measure::{cores, median_of};
use super::report::met_or_missed;
use super::workload::{
    LINK_GETS, PAGE_SIZE, PORTFOLIO_COMPANIES, SERVER_LATENCY_MS, SHAPES, Shape, TOTAL,
    pace_spacing_ms,
};

pub const LINK_HEADING: &str = "## On a shaped link";

/// The rows' names.
pub const OURS: &str = "codat-connections, defaults";
pub const OURS_IDENTITY: &str = "codat-connections, compression off";
pub const PYTHON: &str = "Codat Python SDK";
pub const TYPESCRIPT: &str = "Codat TypeScript SDK";

/// A job every client runs on the link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    Portfolio,
    Listing,
    Get,
}

impl Job {
    fn name(self) -> &'static str {
        match self {
            Job::Portfolio => "portfolio sweep, 100,000 companies",
            Job::Listing => "connections listing, 100,000",
            Job::Get => "get-connection, 20 one after another",
        }
    }

    fn requests(self) -> u64 {
        match self {
            Job::Portfolio => PORTFOLIO_COMPANIES.div_ceil(PAGE_SIZE),
            Job::Listing => TOTAL.div_ceil(PAGE_SIZE),
            Job::Get => LINK_GETS,
        }
    }

    /// The round trips the job must wait for one after another: a listing
    /// needs its first page to know how many follow, then may ask for the
    /// rest at once; gets are one after another by the job's definition.
    fn round_trips_in_sequence(self) -> u64 {
        match self {
            Job::Portfolio | Job::Listing => 2,
            Job::Get => LINK_GETS,
        }
    }
}

/// The medians of one client's runs of one job.
pub struct Row {
    pub job: Job,
    pub name: &'static str,
    wall_ms: f64,
    cpu_ms: f64,
    max_rss_kb: f64,
    first_ms: f64,
    up_bytes: f64,
    down_bytes: f64,
    /// How far apart the runs were (largest less smallest) of `wall_ms`,
    /// `cpu_ms`, `max_rss_kb` and `first_ms`: the noise of this row.
    spread: [f64; 4],
}

impl Row {
    pub fn median_of(job: Job, name: &'static str, samples: &[Value]) -> Row {
        Row {
            job,
            name,
            wall_ms: median_of(samples, "wall_ms"),
            cpu_ms: median_of(samples, "cpu_ms"),
            max_rss_kb: median_of(samples, "max_rss_kb"),
            first_ms: median_of(samples, "first_ms"),
            up_bytes: median_of(samples, "up_bytes"),
            down_bytes: median_of(samples, "down_bytes"),
            spread: ["wall_ms", "cpu_ms", "max_rss_kb", "first_ms"].map(|key| {
                let values = samples.iter().filter_map(|s| s[key].as_f64());
                values.clone().fold(f64::MIN, f64::max) - values.fold(f64::MAX, f64::min)
            }),
        }
    }

    fn ours(&self) -> bool {
        self.name == OURS || self.name == OURS_IDENTITY
    }

    fn bytes(&self) -> f64 {
        self.up_bytes + self.down_bytes
    }
}

/// One link with one kind of server, and its rows.
pub struct Measured {
    pub shape: Shape,
    pub gzip: bool,
    pub rows: Vec<Row>,
}

impl Measured {
    fn title(&self) -> String {
        let server = if self.gzip {
            "a server that compresses"
        } else {
            "a server that does not compress"
        };
        format!("{}, {server}", self.shape.name())
    }

    fn row(&self, job: Job, name: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.job == job && r.name == name)
    }
}

/// A row's bounds, in ms.
struct Bounds {
    /// Only for a client that keeps to Codat's limit (ours, at 1,000
    /// requests a minute); Codat's SDKs keep no pace.
    pace: Option<f64>,
    link: f64,
    cpu: f64,
}

impl Bounds {
    fn of(row: &Row, shape: Shape) -> Bounds {
        let requests = row.job.requests() as f64;
        let answer = shape.round_trip_ms
            + SERVER_LATENCY_MS as f64
            + shape.sending_ms(row.down_bytes / requests);
        let pace = row
            .ours()
            .then(|| (requests - 1.0) * pace_spacing_ms() + answer);
        // The handshake's round trip, the round trips in sequence (each
        // with the server's answer time), and every byte at the bandwidth.
        let link = shape.round_trip_ms
            + row.job.round_trips_in_sequence() as f64
                * (shape.round_trip_ms + SERVER_LATENCY_MS as f64)
            + shape.sending_ms(row.bytes());
        // Our client spreads inflating and decoding over the cores; the
        // peers' work runs on one thread (Python's GIL, Node's event loop).
        let spread = if row.ours() { cores() as f64 } else { 1.0 };
        Bounds {
            pace,
            link,
            cpu: row.cpu_ms / spread,
        }
    }

    /// The largest bound and its name.
    fn largest(&self) -> (f64, &'static str) {
        let mut largest = (self.link, "link");
        if self.cpu > largest.0 {
            largest = (self.cpu, "CPU");
        }
        if let Some(pace) = self.pace
            && pace > largest.0
        {
            largest = (pace, "pace");
        }
        largest
    }
}

pub fn render(measured: &[Measured], runs: usize) -> String {
    let mut out = format!(
        "{LINK_HEADING}\n\nThe same jobs between a client and `bench-server` with a real network's latency and bandwidth between them: `bench-link` (a proxy in the benchmarks crate) gives every byte each way the link's bandwidth, shared by all of a client's connections, and half the round trip; a new connection waits a whole round trip (TCP's handshake; no TLS). Every answer comes after {SERVER_LATENCY_MS} ms (a timer). The server that compresses keeps every page gzipped at level 6 from its start (5,000 companies: 7.0 MiB of JSON, about 0.83 MiB gzipped; IDs and times are random-looking, as Codat's are) and sends it to a client that asks for gzip; the other sends JSON whatever is asked. Our client runs at its defaults (its pace of 1,000 requests a minute, retries, compression, the portfolio sweep's settings); Codat's SDKs run as in the sections above, retries off. One process each; medians of {runs} rounds. Bytes are HTTP bytes on the link, both ways.\n\nThe bounds, each a least wall time: **pace**, for a client keeping to 1,000 requests a minute (ours; Codat's SDKs keep none): the gaps between its requests and one answer; **link**: the handshake, the round trips the job must wait for one after another (a listing: its first page, then the rest at once; gets: each), and the client's bytes at the bandwidth; **CPU**: the client's CPU time over the cores it can use (ours: {cores}; the peers: one, for Python's GIL and Node's event loop). *wall / bound* is the wall time over the largest, named.\n",
        cores = cores()
    );
    for measured in measured {
        out += &format!(
            "\n### {}\n\n| job | client | wall (ms) | CPU (ms) | peak RSS (MiB) | first item (ms) | MiB on the wire | pace bound | link bound | CPU bound | wall / bound |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n",
            measured.title()
        );
        for row in &measured.rows {
            let bounds = Bounds::of(row, measured.shape);
            let (largest, binds) = bounds.largest();
            out += &format!(
                "| {} | {} | {:.0} | {:.0} | {:.1} | {:.0} | {:.2} | {} | {:.0} | {:.0} | {:.2}x {binds} |\n",
                row.job.name(),
                row.name,
                row.wall_ms,
                row.cpu_ms,
                row.max_rss_kb / 1024.0,
                row.first_ms,
                row.bytes() / 1_048_576.0,
                bounds.pace.map_or("-".to_owned(), |p| format!("{p:.0}")),
                bounds.link,
                bounds.cpu,
                row.wall_ms / largest,
            );
        }
    }
    out + "\n" + &targets(measured)
}

/// The targets of the shaped link.
fn targets(measured: &[Measured]) -> String {
    let mut out = "### Targets\n\n".to_owned();
    let office = SHAPES[0];
    if let Some(compressing) = measured.iter().find(|m| m.shape == office && m.gzip)
        && let Some(ours) = compressing.row(Job::Portfolio, OURS)
    {
        let bounds = Bounds::of(ours, office);
        let (largest, binds) = bounds.largest();
        let ratio = ours.wall_ms / largest;
        out += &format!(
            "- {}: on {}, the portfolio sweep at its defaults takes {:.0} ms, {ratio:.2}x its largest bound ({largest:.0} ms, the {binds}; target: within 1.25x)\n",
            met_or_missed(ratio <= 1.25),
            compressing.title(),
            ours.wall_ms
        );
        for peer in [PYTHON, TYPESCRIPT] {
            let Some(theirs) = compressing.row(Job::Portfolio, peer) else {
                continue;
            };
            out += &format!(
                "- {}: {peer}: wall {:.1}x ours, CPU {:.1}x ours (target: both above 1x); bytes on the wire {:.2} MiB against our {:.2} MiB (target: ours no more)\n",
                met_or_missed(
                    theirs.wall_ms > ours.wall_ms
                        && theirs.cpu_ms > ours.cpu_ms
                        && ours.bytes() <= theirs.bytes()
                ),
                theirs.wall_ms / ours.wall_ms,
                theirs.cpu_ms / ours.cpu_ms,
                theirs.bytes() / 1_048_576.0,
                ours.bytes() / 1_048_576.0,
            );
        }
    }
    for plain in measured.iter().filter(|m| !m.gzip) {
        for job in [Job::Portfolio, Job::Listing, Job::Get] {
            let (Some(now), Some(before)) = (plain.row(job, OURS), plain.row(job, OURS_IDENTITY))
            else {
                continue;
            };
            // What each figure is, now and before, and the least difference
            // that counts: more than either row's runs differ among
            // themselves, and more than a few milliseconds or a MiB.
            let noise = |n: usize| now.spread[n].max(before.spread[n]);
            let figures = [
                ("wall", now.wall_ms, before.wall_ms, noise(0).max(5.0)),
                ("CPU", now.cpu_ms, before.cpu_ms, noise(1).max(5.0)),
                (
                    "peak memory",
                    now.max_rss_kb,
                    before.max_rss_kb,
                    noise(2).max(1024.0),
                ),
                (
                    "first item",
                    now.first_ms,
                    before.first_ms,
                    noise(3).max(5.0),
                ),
                ("bytes down", now.down_bytes, before.down_bytes, 0.0),
            ];
            let worse = figures
                .iter()
                .any(|(_, now, before, least)| now / before > NOISE && now - before > *least);
            let ratios = figures.map(|(what, now, before, _)| (what, now / before));
            let listed: Vec<String> = ratios
                .iter()
                .map(|(what, ratio)| format!("{what} {ratio:.2}x"))
                .collect();
            out += &format!(
                "- {}: {}, {}: asking for compression against compression off: {}; {:+.0} bytes up (the `Accept-Encoding` header) (target: no figure worse by more than {NOISE}x and more than the runs of either differ among themselves)\n",
                met_or_missed(!worse),
                plain.title(),
                job.name(),
                listed.join(", "),
                now.up_bytes - before.up_bytes,
            );
        }
    }
    out
}

/// How much worse a median may be before it counts as worse: what the
/// same client's medians differ by from one run of the benchmark to the
/// next on this machine.
const NOISE: f64 = 1.10;
