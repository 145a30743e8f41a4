//! What the integration tests share: the fixtures (IDs, connections, pages,
//! Codat's error bodies), the six operations as the document describes
//! them, the clients and servers they talk to, the recorder of
//! RELIABILITY.md's rows, instances of the OpenAPI document's schemas, and
//! proptest strategies of what Codat might send. Each test binary declares
//! `mod support;` and uses the part it needs; `tests/README.md` says which
//! file proves what.
#![allow(dead_code, unused_imports)] // each test binary uses part of it

pub mod allowed;
pub mod arbitrary;
#[cfg(feature = "mock")]
pub mod faults;
pub mod fixtures;
pub mod generated;
/// The one reader of `$ref`s, shared with the mock and `sync-spec`.
pub use codat_connections_spec::json_pointer;
pub mod log;
#[cfg(feature = "mock")]
pub mod mock_setup;
pub mod net;
pub mod operations;
pub mod prism;
#[cfg(feature = "mock")]
pub mod program;
pub mod reliability;
pub mod schema;
pub mod upstream;
pub mod webhooks;

pub use fixtures::*;
pub use reliability::record;
