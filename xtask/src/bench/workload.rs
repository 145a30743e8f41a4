//! How big each benchmark's workload is: the scenarios run it and the
//! report describes it, with the same numbers.

pub const TOTAL: u64 = 100_000;
pub const PAGE_SIZE: u64 = 5_000;
pub const GET_CALLS: u64 = 2_000;
pub const COMPANY: &str = "8a210b68-6988-11ed-a1eb-0242ac120002";
pub const API_KEY: &str = "benchmark-key";
pub const SWEEP_COMPANIES: u64 = 2_000;
pub const SWEEP_LATENCY_MS: u64 = 20;
pub const SWEEP_CONCURRENCY: u64 = 16;
pub const SWEEP_HEADING: &str = "## Sweep of 2,000 companies against Codat's SDKs";
