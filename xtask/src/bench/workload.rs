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

pub const PORTFOLIO_COMPANIES: u64 = 100_000;
pub const PORTFOLIO_PAGE: u64 = 5_000;
pub const PORTFOLIO_LATENCY_MS: u64 = 20;
/// The portfolio sweep's pages at once (`DEFAULT_PORTFOLIO_CONCURRENT_PAGES`).
pub const PORTFOLIO_CONCURRENT_PAGES: u64 = 3;
/// Companies of the per-company sweep's measured run (then extrapolated).
pub const PER_COMPANY_SAMPLE: u64 = 2_000;
/// The client's default pace (`DEFAULT_REQUESTS_PER_MINUTE`): evenly
/// spaced, one second's worth of the minute left unused.
pub const DEFAULT_PACE_PER_MINUTE: u64 = 1_000;
pub const LISTING_LATENCY_MS: u64 = 50;
pub const LISTING_CONCURRENT_PAGES: u64 = 4;
pub const PORTFOLIO_HEADING: &str = "## Portfolio sweep of 100,000 companies";

/// The time between two requests at the default pace, in ms.
pub fn pace_spacing_ms() -> f64 {
    60_000.0 / (DEFAULT_PACE_PER_MINUTE - DEFAULT_PACE_PER_MINUTE / 60) as f64
}

/// A link: its bandwidth and round trip.
#[derive(Clone, Copy, PartialEq)]
pub struct Shape {
    pub megabits: f64,
    pub round_trip_ms: f64,
}

impl Shape {
    pub fn name(&self) -> String {
        let bandwidth = if self.megabits >= 1000.0 {
            format!("{} Gbit/s", self.megabits / 1000.0)
        } else {
            format!("{} Mbit/s", self.megabits)
        };
        format!("{bandwidth}, {} ms round trip", self.round_trip_ms)
    }

    /// Milliseconds to send `bytes` over the link.
    pub fn sending_ms(&self, bytes: f64) -> f64 {
        bytes * 8.0 / (self.megabits * 1e6) * 1000.0
    }
}

/// The links measured: a customer's office line and a data centre's.
pub const SHAPES: [Shape; 2] = [
    Shape {
        megabits: 100.0,
        round_trip_ms: 40.0,
    },
    Shape {
        megabits: 1000.0,
        round_trip_ms: 10.0,
    },
];

/// Every answer of the link's servers comes after this (a timer), as
/// Codat's own take a while.
pub const SERVER_LATENCY_MS: u64 = 20;

/// Gets in the single-get job, one after another.
pub const LINK_GETS: u64 = 20;
