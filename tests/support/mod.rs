//! What the integration tests share: the fixtures (IDs, connections, pages,
//! Codat's error bodies), the clients and servers they talk to, and the
//! recorder of RELIABILITY.md's rows. Each test binary declares `mod support;`
//! and uses the part it needs; `tests/README.md` says which file proves what.
#![allow(dead_code, unused_imports)] // each test binary uses part of it

pub mod fixtures;
pub mod operations;
pub mod reliability;

pub use fixtures::*;
pub use reliability::record;
