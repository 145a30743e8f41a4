//! What the benchmark clients share: the data set, and how a process
//! measures its own CPU time and peak memory.

use std::time::Instant;

/// The company every benchmark lists.
pub const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";

/// The connection every get-connection benchmark fetches.
pub const CONNECTION: &str = "2e9d2c44-f675-40ba-8049-353bfcb5e171";

/// The API key the benchmark server expects (any value works; it is sent).
pub const API_KEY: &str = "benchmark-key";

/// The `Authorization` header of [`API_KEY`], as the hand-written clients send it.
pub const AUTH: &str = "Basic YmVuY2htYXJrLWtleQ==";

/// The `n`th company of the sweep benchmark's portfolio. The Python and
/// TypeScript peers (`benchmarks/peers/`) build the same IDs.
pub fn sweep_company(n: u64) -> String {
    format!("00000000-0000-4000-8000-{n:012x}")
}

/// How many connections the `n`th company of the sweep portfolio has: 1 to 3.
pub fn sweep_connections(n: u64) -> u64 {
    n % 3 + 1
}

/// A realistic connection, as Codat returns it, with the `n`th identifier.
pub fn connection(n: u64) -> serde_json::Value {
    let id = format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        n as u32,
        (n >> 32) & 0xffff,
        n % 0xfff,
        n % 0xfff,
        n
    );
    let statuses = [
        "Linked",
        "Linked",
        "Linked",
        "Deauthorized",
        "Unlinked",
        "PendingAuth",
    ];
    let kinds = ["Accounting", "Banking", "Commerce", "BankFeed"];
    serde_json::json!({
        "id": id,
        "integrationId": "bf083d72-62c7-493e-aec9-81b4dbba7e2c",
        "integrationKey": "dfxm",
        "sourceId": "bdd831ce-eebd-4896-89a7-20e5ee8989ee",
        "platformName": "Basiq",
        "linkUrl": format!("https://link-api.codat.io/companies/{COMPANY}/connections/{id}/start"),
        "status": statuses[(n % statuses.len() as u64) as usize],
        "lastSync": "2022-10-27T10:22:43.6464237Z",
        "created": "2022-10-27T09:53:29Z",
        "sourceType": kinds[(n % kinds.len() as u64) as usize],
        "dataConnectionErrors": [],
        "connectionInfo": {},
    })
}

/// The `n`th company of the sweep portfolio as `list-companies` returns it
/// (`Company` of Codat's document), with `connections` (JSON text of each)
/// embedded as its `dataConnections`: JSON text, so that a server can
/// serve pages of companies without serialising them again. It has no
/// parent, and says so by leaving `referenceParentCompany` out: Codat's
/// document allows `null` too, but Codat's TypeScript SDK rejects a page
/// holding one.
pub fn company(n: u64, connections: &[String]) -> String {
    let id = sweep_company(n);
    let region = ["uk", "us", "eu"][(n % 3) as usize];
    let mut details = serde_json::json!({
        "id": id,
        "name": format!("Company {n}"),
        "description": "A customer of the sweep benchmark",
        "redirect": format!("https://link.codat.io/company/{id}"),
        "lastSync": "2022-10-27T10:22:43.6464237Z",
        "created": "2022-01-01T12:00:00.000Z",
        "createdByUserName": "Onboarding",
        "products": ["spend-insights", "lending"],
        "tags": {"region": region, "uid": format!("customer-{n}")},
        "referenceSubsidiaryCompanies": [],
    })
    .to_string();
    details.pop(); // the closing brace: the connections follow
    format!(
        r#"{details},"dataConnections":[{}]}}"#,
        connections.join(",")
    )
}

/// CPU time (user + system) this process has used, in milliseconds, to
/// the microsecond (`getrusage`; `/proc/self/stat` only counts 10 ms ticks).
pub fn cpu_ms() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, which is zeroed
    // and lives for the call.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let ms = |t: libc::timeval| t.tv_sec as f64 * 1000.0 + t.tv_usec as f64 / 1000.0;
    ms(usage.ru_utime) + ms(usage.ru_stime)
}

/// Peak resident memory of this process, in KiB.
pub fn max_rss_kb() -> u64 {
    proc_status_kb("VmHWM")
}

/// Resident memory of this process now, in KiB.
pub fn rss_kb() -> u64 {
    proc_status_kb("VmRSS")
}

/// A `kB` field of `/proc/self/status`, such as `VmHWM` or `VmRSS`.
fn proc_status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Measures wall and CPU time of the work between `start` and `report`.
pub struct Measure {
    wall: Instant,
    cpu: f64,
}

impl Measure {
    /// Starts measuring.
    pub fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_ms(),
        }
    }

    /// The one JSON line every benchmark client prints.
    pub fn report(self, items: u64, latencies_us: &[f64]) -> String {
        serde_json::json!({
            "items": items,
            "wall_ms": self.wall.elapsed().as_secs_f64() * 1000.0,
            "cpu_ms": cpu_ms() - self.cpu,
            "max_rss_kb": max_rss_kb(),
            "latencies_us": latencies_us,
        })
        .to_string()
    }
}
