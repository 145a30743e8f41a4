//! The rules that derive `codat-connections`' OpenAPI document from Codat's
//! published Platform API document, and the report of what changed between
//! two such documents.
//!
//! `codat-connections` generates its client from the document these rules
//! derive. Its build script applies them to a document its user chooses
//! (the `CODAT_OPENAPI` environment variable), and the repository's
//! `cargo xtask sync-spec` to the document it checks in: both sides use this
//! crate, so both derive the same document from the same input. It is a
//! build-time helper of `codat-connections`, versioned with it.
//!
//! ```
//! use codat_connections_spec::{derive, DocumentError};
//!
//! let err = derive(br#"{"openapi": "3.1.0", "paths": {}}"#).unwrap_err();
//! assert!(matches!(err, DocumentError::NoConnectionsOperations));
//! ```

#![deny(missing_docs)]

pub mod change_report;
mod derive;
pub mod json_pointer;
#[cfg(test)]
mod json_pointer_tests;
pub mod normalise;
mod reachability;
mod rewrite;
mod schema_walk;

pub use derive::{DocumentError, derive, is_derived};
