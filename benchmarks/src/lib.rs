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
    uuid(n)
}

/// A version 4 UUID made from `seed`, as random-looking as Codat's own:
/// the benchmarks' pages then compress as Codat's would (IDs counting up
/// would compress many times better). Two rounds of SplitMix64, which the
/// peers repeat: `hex(splitmix64(2 seed)) + hex(splitmix64(2 seed + 1))`,
/// with the version and variant set.
pub fn uuid(seed: u64) -> String {
    let hex = format!(
        "{:016x}{:016x}",
        splitmix64(seed.wrapping_mul(2)),
        splitmix64(seed.wrapping_mul(2).wrapping_add(1))
    );
    let digit = char::from(hex.as_bytes()[16]).to_digit(16).unwrap_or(0);
    let variant = ["8", "9", "a", "b"][digit as usize % 4];
    format!(
        "{}-{}-4{}-{variant}{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[13..16],
        &hex[17..20],
        &hex[20..]
    )
}

/// SplitMix64's output for `x` (one step from state `x`).
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A time between 2022 and 2024 made from `seed`, in Codat's form, with
/// `fraction` digits of a second: real listings' times differ from item to
/// item, and so compress as these do.
pub fn timestamp(seed: u64, fraction: usize) -> String {
    let h = splitmix64(seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let part = |shift: u32, modulus: u64| (h >> shift) % modulus;
    let mut time = format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
        2022 + part(0, 3),
        1 + part(2, 12),
        1 + part(6, 28),
        part(11, 24),
        part(16, 60),
        part(22, 60)
    );
    if fraction > 0 {
        let digits = format!("{:07}", part(28, 10_000_000));
        time.push('.');
        time.push_str(&digits[..fraction.min(7)]);
    }
    time + "Z"
}

/// Where connection IDs' seeds start, apart from companies'.
const CONNECTION_SEEDS: u64 = 1 << 48;

/// How many connections the `n`th company of the sweep portfolio has: 1 to 3.
pub fn sweep_connections(n: u64) -> u64 {
    n % 3 + 1
}

/// A realistic connection, as Codat returns it, with the `n`th identifier.
pub fn connection(n: u64) -> serde_json::Value {
    let id = uuid(CONNECTION_SEEDS + n);
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
        "lastSync": timestamp(CONNECTION_SEEDS + n, 7),
        "created": timestamp(!n, 0),
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
        "lastSync": timestamp(n, 7),
        "created": timestamp(!(CONNECTION_SEEDS + n), 3),
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

/// Measures wall and CPU time of the work between `start` and `report`,
/// and when the first item arrived.
pub struct Measure {
    wall: Instant,
    cpu: f64,
    first: Option<f64>,
}

impl Measure {
    /// Starts measuring.
    pub fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu: cpu_ms(),
            first: None,
        }
    }

    /// Notes that an item has arrived: the first one sets `first_ms`.
    pub fn item(&mut self) {
        if self.first.is_none() {
            self.first = Some(self.wall.elapsed().as_secs_f64() * 1000.0);
        }
    }

    /// The one JSON line every benchmark client prints; `first_ms` is
    /// `null` when no item was noted.
    pub fn report(self, items: u64, latencies_us: &[f64]) -> String {
        serde_json::json!({
            "items": items,
            "wall_ms": self.wall.elapsed().as_secs_f64() * 1000.0,
            "cpu_ms": cpu_ms() - self.cpu,
            "max_rss_kb": max_rss_kb(),
            "first_ms": self.first,
            "latencies_us": latencies_us,
        })
        .to_string()
    }
}
#[cfg(test)]
mod tests {
    use super::{sweep_company, uuid};

    /// The peers (`benchmarks/peers/`) compute these same IDs: the values
    /// are theirs, printed by `sweep_company_id(0)` and `sweepCompanyId(12345)`.
    #[test]
    fn ids_are_the_ones_the_peers_compute() {
        assert_eq!(sweep_company(0), "e220a839-7b1d-4daf-910a-2dec89025cc1");
        assert_eq!(sweep_company(12345), "f6fd368f-019d-4ee2-822e-465e77c67759");
        let ids: std::collections::HashSet<_> = (0..10_000).map(uuid).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
