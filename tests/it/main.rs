//! The integration tests, one binary: a module per behaviour area (which
//! file proves what: tests/README.md). The tests that need a process of
//! their own (tracing's callsite cache is process-wide) are binaries of
//! their own: `secrets.rs` and `rate_limit_span.rs`.

#[path = "../support/mod.rs"]
mod support;

mod codat_mock;
mod companies;
mod compression;
mod concurrent_pages;
mod contract_prism;
mod drift;
mod faults;
mod forward_compat;
mod generated_answers;
mod hostile_input;
mod idempotency;
mod item_decode;
mod mock;
mod operations;
mod paging_and_retries;
mod properties;
mod python_sdk;
mod rate_limit;
mod sweep;
mod validation;
mod webhook_deliveries;
mod webhooks;
